/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-pki.h"
#include "cb-x509-error.h"

G_BEGIN_DECLS

/* Key usage bits, same values as GnuTLS's GNUTLS_KEY_*. */
typedef enum
{
  CB_KEY_USAGE_DIGITAL_SIGNATURE = 128,
  CB_KEY_USAGE_NON_REPUDIATION   = 64,
  CB_KEY_USAGE_KEY_ENCIPHERMENT  = 32,
  CB_KEY_USAGE_DATA_ENCIPHERMENT = 16,
  CB_KEY_USAGE_KEY_AGREEMENT     = 8,
  CB_KEY_USAGE_KEY_CERT_SIGN     = 4,
  CB_KEY_USAGE_CRL_SIGN          = 2,
} CbKeyUsage;

#define CB_OID_EKU_CLIENT_AUTH "1.3.6.1.5.5.7.3.2"
#define CB_OID_EKU_SERVER_AUTH "1.3.6.1.5.5.7.3.1"

/* ---- Certificates --------------------------------------------------------------------- */

#define CB_TYPE_CERTIFICATE (cb_certificate_get_type ())
G_DECLARE_FINAL_TYPE (CbCertificate, cb_certificate, CB, CERTIFICATE, GObject)

CbCertificate *cb_certificate_new_from_der        (GBytes         *der,
                                                   GError        **error);
/* The first certificate in PEM text. */
CbCertificate *cb_certificate_new_from_pem        (const char     *pem,
                                                   gssize          len,
                                                   GError        **error);
/* Every certificate in PEM text, or a single DER certificate: element type CbCertificate.
 * Errors with CB_X509_ERROR_EMPTY when there is none, CB_X509_ERROR_PARSE when one is
 * broken (naming which one). */
/* A certificate as services write it in JSON: PEM (the first one), or base64 DER without
 * armour. NULL when text is NULL or neither form parses. */
CbCertificate *cb_certificate_new_from_text       (const char     *text);
GPtrArray     *cb_certificate_list_new_from_data  (const guint8   *data,
                                                   gsize           len,
                                                   GError        **error);
char          *cb_certificate_list_to_pem         (GPtrArray      *certificates);

GBytes        *cb_certificate_get_der             (CbCertificate  *self);
char          *cb_certificate_to_pem              (CbCertificate  *self);
/* RFC 4514 strings, e.g. "CN=dev-1,O=Example". */
const char    *cb_certificate_get_subject         (CbCertificate  *self);
const char    *cb_certificate_get_issuer          (CbCertificate  *self);
const char    *cb_certificate_get_common_name     (CbCertificate  *self); /* or NULL */
/* Lower-case hex without separators, of the integer value: a leading 00 that only keeps the
 * number positive is dropped, as `openssl x509 -serial` prints it. */
const char    *cb_certificate_get_serial          (CbCertificate  *self);
gint64         cb_certificate_get_not_before      (CbCertificate  *self);
gint64         cb_certificate_get_not_after       (CbCertificate  *self);
CbKeyType      cb_certificate_get_key_type        (CbCertificate  *self);
/* "ECDSA-SHA384" and so on. */
const char    *cb_certificate_get_signature_algorithm (CbCertificate *self);
/* Upper-case hex, colon separated (as openssl prints them). */
const char    *cb_certificate_get_sha256_fingerprint (CbCertificate *self);
const char    *cb_certificate_get_sha1_fingerprint   (CbCertificate *self);
/* Lower-case hex, or NULL when absent. */
const char    *cb_certificate_get_subject_key_id  (CbCertificate  *self);
const char    *cb_certificate_get_authority_key_id (CbCertificate *self);
gboolean       cb_certificate_is_ca               (CbCertificate  *self);
int            cb_certificate_get_path_len        (CbCertificate  *self); /* -1 when absent */
guint          cb_certificate_get_key_usage       (CbCertificate  *self); /* CbKeyUsage bits, 0 when absent */
/* OIDs, NULL-terminated; empty when the extension is absent. */
const char * const *cb_certificate_get_ext_key_usage (CbCertificate *self);
/* "DNS:x", "URI:y", "IP:z", "email:w" entries, NULL-terminated. */
const char * const *cb_certificate_get_subject_alt_names (CbCertificate *self);
GBytes        *cb_certificate_get_public_key_der  (CbCertificate  *self);
/* The raw extnValue of an extension, or NULL when absent. */
GBytes        *cb_certificate_get_extension       (CbCertificate  *self,
                                                   const char     *oid,
                                                   gboolean       *critical);
gboolean       cb_certificate_equal               (CbCertificate  *a,
                                                   CbCertificate  *b);
/* Whether issuer's key signed self (signature check only). */
gboolean       cb_certificate_is_issued_by        (CbCertificate  *self,
                                                   CbCertificate  *issuer);
/* cb_pki_verify_signature() with the certificate's key, parsed once with the certificate:
 * whether its holder signed data (a proof of possession). The same errors. */
gboolean       cb_certificate_verify_signature    (CbCertificate  *self,
                                                   const guint8   *data,
                                                   gsize           len,
                                                   GBytes         *signature,
                                                   GError        **error);

/* ---- Validity and renewal ------------------------------------------------------------- */

#define CB_DEFAULT_RENEWAL_FRACTION 0.8

typedef enum
{
  CB_VALIDITY_NOT_YET_VALID,
  CB_VALIDITY_VALID,
  CB_VALIDITY_RENEWAL_DUE,
  CB_VALIDITY_EXPIRED,
} CbValidityState;

const char     *cb_validity_state_to_string      (CbValidityState state); /* "not-yet-valid", ... */
/* Pure functions on a validity window, shared by certificates and twin-reported dates. */
CbValidityState cb_validity_get_state            (gint64  not_before,
                                                  gint64  not_after,
                                                  gint64  now,
                                                  double  renewal_fraction);
/* Whole days left, rounded down; negative once expired. */
int             cb_validity_get_days_left        (gint64  not_after,
                                                  gint64  now);
/* 0.0 at notBefore, 1.0 at notAfter, clamped to [0, 1]. */
double          cb_validity_get_fraction_used    (gint64  not_before,
                                                  gint64  not_after,
                                                  gint64  now);
gint64          cb_validity_get_renewal_point    (gint64  not_before,
                                                  gint64  not_after,
                                                  double  renewal_fraction);

CbValidityState cb_certificate_get_validity_state (CbCertificate *self,
                                                   gint64         now,
                                                   double         renewal_fraction);

G_END_DECLS
