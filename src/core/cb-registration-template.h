/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The DPS registration id of a device, made from a template over what the device says about
 * itself, e.g. "line1-{serial}". Placeholders: {serial}, {model}, {firmware}. The result is
 * lower-cased (DPS compares registration ids without case, so the station always uses one
 * spelling: the CN in the CSR, the journal and the hub device id then agree) and must satisfy
 * DPS's rules: 1 to 128 characters, ASCII letters, digits and - . _ :, the last one a letter,
 * digit or '-'. */

typedef enum
{
  CB_REGISTRATION_ID_ERROR_EMPTY,
  CB_REGISTRATION_ID_ERROR_TOO_LONG,
  CB_REGISTRATION_ID_ERROR_INVALID_CHARACTER,
  CB_REGISTRATION_ID_ERROR_INVALID_LAST_CHARACTER,
  CB_REGISTRATION_ID_ERROR_UNKNOWN_PLACEHOLDER,   /* "{foo}" */
  CB_REGISTRATION_ID_ERROR_UNBALANCED_BRACE,      /* "{serial" or "serial}" */
  CB_REGISTRATION_ID_ERROR_MISSING_VALUE,         /* the device did not report {model} */
} CbRegistrationIdError;

#define CB_REGISTRATION_ID_ERROR (cb_registration_id_error_quark ())
GQuark    cb_registration_id_error_quark     (void);

#define CB_REGISTRATION_ID_MAX_LENGTH 128
#define CB_REGISTRATION_TEMPLATE_DEFAULT "{serial}"

/* Checks a template's syntax (placeholders known, braces balanced) without a device. */
gboolean  cb_registration_template_check     (const char  *template_text,
                                              GError     **error);
/* Expands and validates. Values may be NULL when the template does not use them.
 * Returns: (transfer full): the lower-cased registration id, or NULL with error */
char     *cb_registration_template_expand    (const char  *template_text,
                                              const char  *serial,
                                              const char  *model,
                                              const char  *firmware,
                                              GError     **error);
/* The value of a placeholder ("serial", "imei", ...) or NULL when the device did not report
 * it; cb_device_info_get_fact fits (user_data the CbDeviceInfo). */
typedef const char *(*CbRegistrationLookup) (gpointer    user_data,
                                             const char *name);

/* Expands with every placeholder's value from lookup; then as cb_registration_template_expand.
 * Returns: (transfer full): the lower-cased registration id, or NULL with error */
char     *cb_registration_template_expand_with (const char            *template_text,
                                                CbRegistrationLookup   lookup,
                                                gpointer               user_data,
                                                GError               **error);
/* Validates an id as given (an operator's --registration-id); does not change case, so callers
 * that want DPS's spelling lower-case it first. */
gboolean  cb_registration_id_validate        (const char  *registration_id,
                                              GError     **error);
/* Validates and lower-cases. Returns: (transfer full) (nullable) */
char     *cb_registration_id_normalize       (const char  *registration_id,
                                              GError     **error);

G_END_DECLS
