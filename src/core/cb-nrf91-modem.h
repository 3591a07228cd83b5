/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-at-channel.h"

G_BEGIN_DECLS

/* A Nordic nRF91 modem's operations on an AT channel, as Nordic's nRF91 AT command reference
 * defines them (docs/devices.md cites the pages): identification (+CGSN, %DEVICEUUID, +CGMM,
 * +CGMR), the functional mode (+CFUN), key generation (%KEYGEN) and credential storage
 * (%CMNG write, list, read, delete). The first operation turns on numeric errors (+CMEE=1);
 * "+CME ERROR: <n>" then comes back as CB_AT_CME_ERROR n with the reference's meaning as the
 * message (cb_nrf91_cme_error_text). */

/* %CMNG credential types. */
typedef enum
{
  CB_NRF91_CRED_ROOT_CA = 0,
  CB_NRF91_CRED_CLIENT_CERT = 1,
  CB_NRF91_CRED_CLIENT_KEY = 2,
  CB_NRF91_CRED_PSK = 3,
  CB_NRF91_CRED_PSK_IDENTITY = 4,
  CB_NRF91_CRED_PUBLIC_KEY = 5,
} CbNrf91CredType;

/* +CFUN modes the station uses. */
#define CB_NRF91_CFUN_POWER_OFF 0
#define CB_NRF91_CFUN_NORMAL 1
#define CB_NRF91_CFUN_OFFLINE 4

#define CB_NRF91_SEC_TAG_MAX 2147483647u

typedef struct
{
  char *imei;       /* +CGSN */
  char *uuid;       /* %DEVICEUUID; NULL on a modem without it (nRF9160 firmware before 2.0) */
  char *model;      /* +CGMM, e.g. "nRF9160-SICA" */
  char *firmware;   /* +CGMR, e.g. "mfw_nrf9160_1.3.6" */
} CbNrf91Identity;

void cb_nrf91_identity_free (CbNrf91Identity *identity);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbNrf91Identity, cb_nrf91_identity_free)

typedef struct
{
  GBytes *csr_der;   /* the PKCS#10 CSR */
  GBytes *cose;      /* the COSE_Sign1 attestation object (CBOR tag 18), kept as bytes */
} CbNrf91Keygen;

void cb_nrf91_keygen_free (CbNrf91Keygen *keygen);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbNrf91Keygen, cb_nrf91_keygen_free)

typedef struct
{
  guint32          sec_tag;
  CbNrf91CredType  type;
  char            *sha256;    /* 64 upper-case hex digits, the digest of the entity as stored */
  char            *content;   /* %CMNG read only; NULL from a list */
} CbNrf91Credential;

void cb_nrf91_credential_free (CbNrf91Credential *credential);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbNrf91Credential, cb_nrf91_credential_free)

/* What a +CME ERROR code means in the nRF91 reference, translated; NULL for a code it does not
 * define. */
const char *cb_nrf91_cme_error_text (int code);
/* "root CA certificate", "client certificate", ... translated. */
const char *cb_nrf91_cred_type_text (CbNrf91CredType type);
/* The SHA-256 %CMNG list reports for content written as text: upper-case hex. */
char       *cb_nrf91_content_digest (const char *content);

#define CB_TYPE_NRF91_MODEM (cb_nrf91_modem_get_type ())
G_DECLARE_FINAL_TYPE (CbNrf91Modem, cb_nrf91_modem, CB, NRF91_MODEM, GObject)

CbNrf91Modem    *cb_nrf91_modem_new              (CbAtChannel          *channel);
/* Returns: (transfer none) */
CbAtChannel     *cb_nrf91_modem_get_channel      (CbNrf91Modem         *self);

/* "AT" (answers at all), then +CGSN=1, +CGMM, +CGMR, %DEVICEUUID. */
void             cb_nrf91_modem_identify_async   (CbNrf91Modem         *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbNrf91Identity *cb_nrf91_modem_identify_finish  (CbNrf91Modem         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* +CFUN? */
void             cb_nrf91_modem_get_cfun_async   (CbNrf91Modem         *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
/* Returns: the mode, or -1 with error */
int              cb_nrf91_modem_get_cfun_finish  (CbNrf91Modem         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* +CFUN=<mode> */
void             cb_nrf91_modem_set_cfun_async   (CbNrf91Modem         *self,
                                                  int                   mode,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean         cb_nrf91_modem_set_cfun_finish  (CbNrf91Modem         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* %KEYGEN=<sec_tag>,2,0[,"<attributes>"]: a new client private key in sec_tag and its CSR.
 * attributes is the CSR subject, e.g. "CN=dev-1" (NULL: the modem's default). */
void             cb_nrf91_modem_keygen_async     (CbNrf91Modem         *self,
                                                  guint32               sec_tag,
                                                  const char           *attributes,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbNrf91Keygen   *cb_nrf91_modem_keygen_finish    (CbNrf91Modem         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* %CMNG=0,<sec_tag>,<type>,"<content>". The content is written as given (PEM with its line
 * breaks); it must not hold a double quote. */
void             cb_nrf91_modem_cmng_write_async (CbNrf91Modem         *self,
                                                  guint32               sec_tag,
                                                  CbNrf91CredType       type,
                                                  const char           *content,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean         cb_nrf91_modem_cmng_write_finish (CbNrf91Modem        *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* %CMNG=1[,<sec_tag>[,<type>]]: sec_tag -1 lists every tag, type -1 every type. */
void             cb_nrf91_modem_cmng_list_async  (CbNrf91Modem         *self,
                                                  gint64                sec_tag,
                                                  int                   type,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
/* Returns: (transfer full) (element-type CbNrf91Credential) */
GPtrArray       *cb_nrf91_modem_cmng_list_finish (CbNrf91Modem         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* %CMNG=2,<sec_tag>,<type> */
void             cb_nrf91_modem_cmng_read_async  (CbNrf91Modem         *self,
                                                  guint32               sec_tag,
                                                  CbNrf91CredType       type,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbNrf91Credential *cb_nrf91_modem_cmng_read_finish (CbNrf91Modem       *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* %CMNG=3,<sec_tag>,<type> */
void             cb_nrf91_modem_cmng_delete_async (CbNrf91Modem        *self,
                                                  guint32               sec_tag,
                                                  CbNrf91CredType       type,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean         cb_nrf91_modem_cmng_delete_finish (CbNrf91Modem       *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

G_END_DECLS
