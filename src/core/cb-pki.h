/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Key generation, CSRs, certificate and CRL issuance (GnuTLS). Used by the sandbox's CA
 * engine, the simulated device and the tests; the app never links crypto directly. */

typedef enum
{
  CB_KEY_TYPE_UNKNOWN,
  CB_KEY_TYPE_EC_P256,
  CB_KEY_TYPE_EC_P384,
  CB_KEY_TYPE_EC_P521,
  CB_KEY_TYPE_RSA,
} CbKeyType;

const char *cb_key_type_to_string   (CbKeyType type);     /* "EC P-256", "RSA", ... */

typedef enum
{
  CB_PKI_ERROR_FAILED,
  CB_PKI_ERROR_INVALID_KEY,
  CB_PKI_ERROR_INVALID_INPUT,
} CbPkiError;

#define CB_PKI_ERROR (cb_pki_error_quark ())
GQuark cb_pki_error_quark (void);

typedef struct _CbKey CbKey;

CbKey     *cb_key_generate          (CbKeyType      type,
                                     GError       **error);
CbKey     *cb_key_new_from_pem      (const char    *pem,
                                     gssize         len,
                                     GError       **error);
CbKey     *cb_key_ref               (CbKey         *key);
void       cb_key_unref             (CbKey         *key);
CbKeyType  cb_key_get_key_type      (CbKey         *key);
/* Unencrypted PKCS#8 PEM. Callers write it with cb_write_private_file(). */
char      *cb_key_to_pem            (CbKey         *key,
                                     GError       **error);
/* DER SubjectPublicKeyInfo. */
GBytes    *cb_key_get_public_key_der (CbKey        *key);
/* ECDSA signature (DER-encoded Ecdsa-Sig-Value) over data, with SHA-256 for P-256 keys and
 * SHA-384 for P-384, SHA-512 for P-521. (An RSA key gives PKCS#1 v1.5 RSA-SHA256.) */
GBytes    *cb_key_sign              (CbKey         *key,
                                     const guint8  *data,
                                     gsize          len,
                                     GError       **error);
/* Verifies a signature made by cb_key_sign() with the public key (DER SPKI). */
gboolean   cb_pki_verify_signature  (GBytes        *public_key_der,
                                     const guint8  *data,
                                     gsize          len,
                                     GBytes        *signature,
                                     GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbKey, cb_key_unref)

/* The key type of a DER SubjectPublicKeyInfo, CB_KEY_TYPE_UNKNOWN when unreadable. */
CbKeyType  cb_pki_key_type_from_spki (GBytes       *public_key_der);
/* RFC 5280 key identifier: SHA-1 of the subjectPublicKey bits of a DER SPKI (20 bytes, as
 * cb_cert_issue() writes into SKI/AKI), or NULL when the SPKI is malformed. */
GBytes    *cb_pki_key_id_from_spki  (GBytes        *public_key_der);

/* A PKCS#10 request, DER, signed by key, subject "CN=<common_name>". */
GBytes    *cb_csr_create            (CbKey         *key,
                                     const char    *common_name,
                                     GError       **error);

typedef struct
{
  const char *oid;        /* dotted form */
  GBytes     *der_value;  /* the extension's extnValue contents (DER) */
  gboolean    critical;
} CbCertExtension;

typedef struct
{
  /* Subject as an RFC 4514 DN, e.g. "CN=demo-root,O=Certbench Sandbox". */
  const char            *subject_dn;
  gint64                 not_before;    /* unix seconds */
  gint64                 not_after;
  gboolean               is_ca;
  int                    path_len;      /* -1: no pathLenConstraint */
  guint                  key_usage;     /* GNUTLS_KEY_* bits, critical */
  const char * const    *ext_key_usage; /* NULL-terminated OIDs, or NULL for none */
  GBytes                *serial;        /* NULL: 16 random bytes, positive */
  const char            *crl_url;       /* NULL: no CRL distribution point */
  const char * const    *san_dns;       /* NULL-terminated, or NULL */
  const char * const    *san_uri;       /* NULL-terminated, or NULL */
  const char * const    *san_ip;        /* NULL-terminated textual addresses, or NULL */
  const CbCertExtension *extensions;    /* additional extensions */
  guint                  n_extensions;
} CbCertProfile;

/* Issues a certificate for subject_public_key (DER SPKI). With issuer_cert_der NULL the
 * certificate is self-signed by issuer_key (whose public key must then be the subject's).
 * SKI = SHA-1 of the public key, AKI = the issuer's SKI, X.509 v3. The signature digest
 * follows the issuer key (SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521, SHA-256
 * for RSA). Basic constraints are always present and critical (CA:FALSE unless is_ca); key
 * usage is critical and omitted when 0; EKU, SAN and CDP are non-critical. A given serial is
 * stored as a positive minimal INTEGER (a 0x00 is prepended when the top bit is set).
 * Errors: CB_PKI_ERROR_INVALID_KEY when issuer_key does not match issuer_cert_der (or, when
 * self-signed, the subject key), CB_PKI_ERROR_INVALID_INPUT for a bad DN, IP, OID or dates.
 * Returns DER. */
GBytes    *cb_cert_issue            (const CbCertProfile *profile,
                                     GBytes        *subject_public_key_der,
                                     CbKey         *issuer_key,
                                     GBytes        *issuer_cert_der,
                                     GError       **error);

/* An issuing CA kept parsed: its certificate imported and matched with its key once, for
 * issuing many certificates under it (the sandbox issues every leaf of a CA under one).
 * Errors as cb_cert_issue()'s for the issuer. */
typedef struct _CbCertIssuer CbCertIssuer;

CbCertIssuer *cb_cert_issuer_new     (CbKey               *key,
                                      GBytes              *cert_der,
                                      GError             **error);
CbCertIssuer *cb_cert_issuer_ref     (CbCertIssuer        *self);
void          cb_cert_issuer_unref   (CbCertIssuer        *self);
GBytes       *cb_cert_issuer_get_der (CbCertIssuer        *self);
CbKey        *cb_cert_issuer_get_key (CbCertIssuer        *self);   /* (transfer none) */
/* For tests: every certificate built by GnuTLS, never written as DER directly (a leaf of
 * the common shape is, byte for byte the same but for its signature). */
void          cb_cert_issuer_set_gnutls_only (CbCertIssuer  *self,
                                              gboolean       gnutls_only);
/* cb_cert_issue() under the kept issuer: the same certificate, without parsing it again.
 * Safe to call from several threads at once. */
GBytes       *cb_cert_issuer_issue   (CbCertIssuer        *self,
                                      const CbCertProfile *profile,
                                      GBytes              *subject_public_key_der,
                                      GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbCertIssuer, cb_cert_issuer_unref)

/* A v2 CRL signed by the issuer listing revoked_serials (GBytes each, raw big-endian), each
 * revoked at this_update, with a CRL number and the issuer's AKI. Returns DER. */
GBytes    *cb_crl_issue             (CbKey         *issuer_key,
                                     GBytes        *issuer_cert_der,
                                     GPtrArray     *revoked_serials,
                                     gint64         this_update,
                                     gint64         next_update,
                                     guint          crl_number,
                                     GError       **error);

G_END_DECLS
