/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Shared access signatures as IoT Hub and DPS define them: one implementation serves the
 * clients (which sign) and the sandbox (which verifies). */

typedef enum
{
  CB_SAS_ERROR_MALFORMED,
  CB_SAS_ERROR_BAD_KEY,
  CB_SAS_ERROR_EXPIRED,
  CB_SAS_ERROR_WRONG_RESOURCE,
  CB_SAS_ERROR_WRONG_KEY_NAME,
  CB_SAS_ERROR_BAD_SIGNATURE,
} CbSasError;

#define CB_SAS_ERROR (cb_sas_error_quark ())
GQuark cb_sas_error_quark (void);

typedef struct
{
  char   *resource;      /* decoded "sr" */
  char   *resource_raw;  /* "sr" exactly as in the token (it is what was signed) */
  char   *signature;     /* decoded "sig" (base64) */
  char   *key_name;      /* "skn", or NULL */
  gint64  expiry;        /* "se", unix seconds */
} CbSasToken;

typedef enum
{
  CB_SAS_FLAGS_NONE = 0,
  /* IoT Hub signs the lower-cased resource URI; DPS keeps the ID scope's case. */
  CB_SAS_FLAGS_LOWERCASE_RESOURCE = 1 << 0,
} CbSasFlags;

char       *cb_sas_token_new          (const char    *resource_uri,
                                       const char    *key_base64,
                                       const char    *key_name,
                                       gint64         expiry_unix,
                                       CbSasFlags     flags,
                                       GError       **error);
char       *cb_sas_derive_device_key  (const char    *group_key_base64,
                                       const char    *registration_id,
                                       GError       **error);
/* An Authorization header value for the clients: signs resource_uri (a profile's hub or DPS host
 * name, described by what for the error) with key, valid for lifetime seconds from now.
 * G_IO_ERROR_NOT_INITIALIZED when resource_uri is NULL. Free with a wiping free. */
char       *cb_sas_authorization_new  (const char    *resource_uri,
                                       const char    *what,
                                       const char    *key_base64,
                                       const char    *key_name,
                                       gint64         lifetime_seconds,
                                       CbSasFlags     flags,
                                       GError       **error);
CbSasToken *cb_sas_token_parse        (const char    *authorization,
                                       GError       **error);
gboolean    cb_sas_token_verify       (const CbSasToken *token,
                                       const char    *expected_resource,
                                       const char    *key_base64,
                                       gint64         now_unix,
                                       GError       **error);
void        cb_sas_token_free         (CbSasToken    *token);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSasToken, cb_sas_token_free)

G_END_DECLS
