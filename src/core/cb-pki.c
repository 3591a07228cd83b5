/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-pki"

#include "config.h"

#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "cb-der-private.h"
#include "cb-pki-private.h"
#include "cb-pki.h"

G_DEFINE_QUARK (cb-pki-error-quark, cb_pki_error)

struct _CbKey
{
  gatomicrefcount        ref_count;
  CbKeyType              type;
  gnutls_x509_privkey_t  x509;
  gnutls_privkey_t       privkey;
};

/* Scoped cleanups for the GnuTLS handles used below. */
typedef gnutls_x509_crt_t  CbGnutlsCrt;
typedef gnutls_x509_crq_t  CbGnutlsCrq;
typedef gnutls_x509_crl_t  CbGnutlsCrl;
typedef gnutls_pubkey_t    CbGnutlsPubkey;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CbGnutlsCrt, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CbGnutlsCrq, gnutls_x509_crq_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CbGnutlsCrl, gnutls_x509_crl_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CbGnutlsPubkey, gnutls_pubkey_deinit, NULL)

const char *
cb_key_type_to_string (CbKeyType type)
{
  switch (type)
    {
    case CB_KEY_TYPE_EC_P256:
      return "EC P-256";
    case CB_KEY_TYPE_EC_P384:
      return "EC P-384";
    case CB_KEY_TYPE_EC_P521:
      return "EC P-521";
    case CB_KEY_TYPE_RSA:
      return "RSA";
    case CB_KEY_TYPE_UNKNOWN:
    default:
      return "unknown";
    }
}

CbKeyType
cb_pki_key_type_from_pubkey (gnutls_pubkey_t pub)
{
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  int pk = gnutls_pubkey_get_pk_algorithm (pub, NULL);

  if (pk == GNUTLS_PK_RSA)
    return CB_KEY_TYPE_RSA;

  if (pk != GNUTLS_PK_ECDSA ||
      gnutls_pubkey_export_ecc_raw2 (pub, &curve, NULL, NULL, 0) < 0)
    return CB_KEY_TYPE_UNKNOWN;

  switch (curve)
    {
    case GNUTLS_ECC_CURVE_SECP256R1:
      return CB_KEY_TYPE_EC_P256;
    case GNUTLS_ECC_CURVE_SECP384R1:
      return CB_KEY_TYPE_EC_P384;
    case GNUTLS_ECC_CURVE_SECP521R1:
      return CB_KEY_TYPE_EC_P521;
    default:
      return CB_KEY_TYPE_UNKNOWN;
    }
}

static gnutls_digest_algorithm_t
digest_for_key_type (CbKeyType type)
{
  switch (type)
    {
    case CB_KEY_TYPE_EC_P384:
      return GNUTLS_DIG_SHA384;
    case CB_KEY_TYPE_EC_P521:
      return GNUTLS_DIG_SHA512;
    case CB_KEY_TYPE_EC_P256:
    case CB_KEY_TYPE_RSA:
    case CB_KEY_TYPE_UNKNOWN:
    default:
      return GNUTLS_DIG_SHA256;
    }
}

static gnutls_sign_algorithm_t
sign_algorithm_for_key_type (CbKeyType type)
{
  switch (type)
    {
    case CB_KEY_TYPE_EC_P256:
      return GNUTLS_SIGN_ECDSA_SHA256;
    case CB_KEY_TYPE_EC_P384:
      return GNUTLS_SIGN_ECDSA_SHA384;
    case CB_KEY_TYPE_EC_P521:
      return GNUTLS_SIGN_ECDSA_SHA512;
    case CB_KEY_TYPE_RSA:
      return GNUTLS_SIGN_RSA_SHA256;
    case CB_KEY_TYPE_UNKNOWN:
    default:
      return GNUTLS_SIGN_UNKNOWN;
    }
}

static gboolean
set_gnutls_error (GError     **error,
                  int          code,
                  int          ret,
                  const char  *what)
{
  g_set_error (error, CB_PKI_ERROR, code, "%s: %s", what, gnutls_strerror (ret));
  return FALSE;
}

static GBytes *
datum_to_bytes (gnutls_datum_t *datum)
{
  GBytes *bytes = g_bytes_new (datum->data, datum->size);

  gnutls_free (datum->data);
  datum->data = NULL;
  datum->size = 0;

  return bytes;
}

static CbKey *
cb_key_new_take (gnutls_x509_privkey_t   x509,
                 GError                **error)
{
  CbKey *key;
  gnutls_privkey_t privkey = NULL;
  gnutls_pubkey_t pub = NULL;
  CbKeyType type = CB_KEY_TYPE_UNKNOWN;
  int ret;

  if ((ret = gnutls_privkey_init (&privkey)) < 0 ||
      (ret = gnutls_privkey_import_x509 (privkey, x509, 0)) < 0 ||
      (ret = gnutls_pubkey_init (&pub)) < 0 ||
      (ret = gnutls_pubkey_import_privkey (pub, privkey, 0, 0)) < 0 ||
      (type = cb_pki_key_type_from_pubkey (pub)) == CB_KEY_TYPE_UNKNOWN)
    {
      g_clear_pointer (&pub, gnutls_pubkey_deinit);
      g_clear_pointer (&privkey, gnutls_privkey_deinit);
      gnutls_x509_privkey_deinit (x509);
      if (type == CB_KEY_TYPE_UNKNOWN && ret >= 0)
        g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY,
                     "Only EC P-256/P-384/P-521 and RSA keys are supported");
      else
        set_gnutls_error (error, CB_PKI_ERROR_INVALID_KEY, ret, "Cannot use the private key");
      return NULL;
    }
  gnutls_pubkey_deinit (pub);

  key = g_new0 (CbKey, 1);
  g_atomic_ref_count_init (&key->ref_count);
  key->type = type;
  key->x509 = x509;
  key->privkey = privkey;

  return key;
}

CbKey *
cb_key_generate (CbKeyType   type,
                 GError    **error)
{
  gnutls_x509_privkey_t x509 = NULL;
  gnutls_pk_algorithm_t pk;
  unsigned int bits;
  int ret;

  switch (type)
    {
    case CB_KEY_TYPE_EC_P256:
      pk = GNUTLS_PK_ECDSA;
      bits = GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1);
      break;
    case CB_KEY_TYPE_EC_P384:
      pk = GNUTLS_PK_ECDSA;
      bits = GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP384R1);
      break;
    case CB_KEY_TYPE_EC_P521:
      pk = GNUTLS_PK_ECDSA;
      bits = GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP521R1);
      break;
    case CB_KEY_TYPE_RSA:
      pk = GNUTLS_PK_RSA;
      bits = 2048;
      break;
    case CB_KEY_TYPE_UNKNOWN:
    default:
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   "Cannot generate a key of unknown type");
      return NULL;
    }

  if ((ret = gnutls_x509_privkey_init (&x509)) < 0 ||
      (ret = gnutls_x509_privkey_generate (x509, pk, bits, 0)) < 0)
    {
      g_clear_pointer (&x509, gnutls_x509_privkey_deinit);
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Key generation failed");
      return NULL;
    }

  return cb_key_new_take (x509, error);
}

CbKey *
cb_key_new_from_pem (const char  *pem,
                     gssize       len,
                     GError     **error)
{
  gnutls_x509_privkey_t x509 = NULL;
  gnutls_datum_t datum;
  int ret;

  g_return_val_if_fail (pem != NULL || len == 0, NULL);

  if (len < 0)
    len = strlen (pem);

  if (len == 0)
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY, "The private key is empty");
      return NULL;
    }

  datum.data = (unsigned char *) pem;
  datum.size = len;

  /* import2 accepts PKCS#8 ("PRIVATE KEY") as well as the legacy "EC PRIVATE KEY" and
   * "RSA PRIVATE KEY" armours. Encrypted keys are refused: there is no password here. */
  if ((ret = gnutls_x509_privkey_init (&x509)) < 0 ||
      (ret = gnutls_x509_privkey_import2 (x509, &datum, GNUTLS_X509_FMT_PEM, NULL,
                                          GNUTLS_PKCS_PLAIN)) < 0)
    {
      g_clear_pointer (&x509, gnutls_x509_privkey_deinit);
      set_gnutls_error (error, CB_PKI_ERROR_INVALID_KEY, ret, "Cannot read the private key");
      return NULL;
    }

  return cb_key_new_take (x509, error);
}

CbKey *
cb_key_ref (CbKey *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  g_atomic_ref_count_inc (&key->ref_count);
  return key;
}

void
cb_key_unref (CbKey *key)
{
  g_return_if_fail (key != NULL);

  if (g_atomic_ref_count_dec (&key->ref_count))
    {
      /* gnutls_x509_privkey_deinit zeroes the key material. */
      gnutls_privkey_deinit (key->privkey);
      gnutls_x509_privkey_deinit (key->x509);
      g_free (key);
    }
}

CbKeyType
cb_key_get_key_type (CbKey *key)
{
  g_return_val_if_fail (key != NULL, CB_KEY_TYPE_UNKNOWN);

  return key->type;
}

char *
cb_key_to_pem (CbKey   *key,
               GError **error)
{
  gnutls_datum_t out = { NULL, 0 };
  char *pem;
  int ret;

  g_return_val_if_fail (key != NULL, NULL);

  ret = gnutls_x509_privkey_export2_pkcs8 (key->x509, GNUTLS_X509_FMT_PEM, NULL,
                                           GNUTLS_PKCS_PLAIN, &out);
  if (ret < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot export the private key");
      return NULL;
    }

  pem = g_strndup ((const char *) out.data, out.size);
  /* Do not leave a copy of the key in freed memory. */
  gnutls_memset (out.data, 0, out.size);
  gnutls_free (out.data);

  return pem;
}

static gnutls_pubkey_t
pubkey_from_key (CbKey   *key,
                 GError **error)
{
  gnutls_pubkey_t pub = NULL;
  int ret;

  if ((ret = gnutls_pubkey_init (&pub)) < 0 ||
      (ret = gnutls_pubkey_import_privkey (pub, key->privkey, 0, 0)) < 0)
    {
      g_clear_pointer (&pub, gnutls_pubkey_deinit);
      set_gnutls_error (error, CB_PKI_ERROR_INVALID_KEY, ret, "Cannot derive the public key");
      return NULL;
    }

  return pub;
}

static gnutls_pubkey_t
pubkey_from_der (GBytes  *der,
                 GError **error)
{
  gnutls_pubkey_t pub = NULL;
  gnutls_datum_t datum;
  gsize len = 0;
  int ret;

  datum.data = (unsigned char *) g_bytes_get_data (der, &len);
  datum.size = len;

  if (len == 0)
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY, "The public key is empty");
      return NULL;
    }

  if ((ret = gnutls_pubkey_init (&pub)) < 0 ||
      (ret = gnutls_pubkey_import (pub, &datum, GNUTLS_X509_FMT_DER)) < 0)
    {
      g_clear_pointer (&pub, gnutls_pubkey_deinit);
      set_gnutls_error (error, CB_PKI_ERROR_INVALID_KEY, ret, "Cannot read the public key");
      return NULL;
    }

  return pub;
}

static GBytes *
pubkey_to_der (gnutls_pubkey_t   pub,
               GError          **error)
{
  gnutls_datum_t out = { NULL, 0 };
  int ret;

  if ((ret = gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &out)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot export the public key");
      return NULL;
    }

  return datum_to_bytes (&out);
}

GBytes *
cb_key_get_public_key_der (CbKey *key)
{
  g_autoptr(GError) error = NULL;
  g_auto(CbGnutlsPubkey) pub = NULL;
  GBytes *der;

  g_return_val_if_fail (key != NULL, NULL);

  if ((pub = pubkey_from_key (key, &error)) == NULL ||
      (der = pubkey_to_der (pub, &error)) == NULL)
    {
      g_critical ("%s", error->message);
      return NULL;
    }

  return der;
}

GBytes *
cb_key_sign (CbKey         *key,
             const guint8  *data,
             gsize          len,
             GError       **error)
{
  gnutls_datum_t in;
  gnutls_datum_t sig = { NULL, 0 };
  int ret;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  in.data = (unsigned char *) data;
  in.size = len;

  ret = gnutls_privkey_sign_data2 (key->privkey, sign_algorithm_for_key_type (key->type), 0,
                                   &in, &sig);
  if (ret < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Signing failed");
      return NULL;
    }

  return datum_to_bytes (&sig);
}

gboolean
cb_pki_verify_signature_with_pubkey (gnutls_pubkey_t  pub,
                                     const guint8    *data,
                                     gsize            len,
                                     GBytes          *signature,
                                     GError         **error)
{
  gnutls_datum_t in;
  gnutls_datum_t sig;
  gsize sig_len = 0;
  CbKeyType type;
  int ret;

  g_return_val_if_fail (pub != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);

  type = cb_pki_key_type_from_pubkey (pub);
  if (type == CB_KEY_TYPE_UNKNOWN)
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY,
                   "The public key is neither EC P-256/P-384/P-521 nor RSA");
      return FALSE;
    }

  in.data = (unsigned char *) data;
  in.size = len;
  sig.data = (unsigned char *) g_bytes_get_data (signature, &sig_len);
  sig.size = sig_len;

  ret = gnutls_pubkey_verify_data2 (pub, sign_algorithm_for_key_type (type), 0, &in, &sig);
  if (ret < 0)
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   "The signature does not verify with this %s public key (%s)",
                   cb_key_type_to_string (type), gnutls_strerror (ret));
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_pki_verify_signature (GBytes        *public_key_der,
                         const guint8  *data,
                         gsize          len,
                         GBytes        *signature,
                         GError       **error)
{
  g_auto(CbGnutlsPubkey) pub = NULL;

  g_return_val_if_fail (public_key_der != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);

  if ((pub = pubkey_from_der (public_key_der, error)) == NULL)
    return FALSE;

  return cb_pki_verify_signature_with_pubkey (pub, data, len, signature, error);
}

/* One DER tag and length at *p whose contents fit before end. */
static gboolean
der_read_header (const guint8 **p,
                 const guint8  *end,
                 guint8        *tag,
                 gsize         *len)
{
  return cb_der_read_header (p, end, tag, len) && (gsize) (end - *p) >= *len;
}

GBytes *
cb_pki_key_id_from_spki (GBytes *public_key_der)
{
  const guint8 *p;
  const guint8 *end;
  gsize size = 0;
  gsize len;
  guint8 tag;
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  g_autoptr(GChecksum) checksum = NULL;

  g_return_val_if_fail (public_key_der != NULL, NULL);

  p = g_bytes_get_data (public_key_der, &size);
  if (p == NULL)
    return NULL;
  end = p + size;

  /* SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING } */
  if (!der_read_header (&p, end, &tag, &len) || tag != 0x30)
    return NULL;
  end = p + len;
  if (!der_read_header (&p, end, &tag, &len) || tag != 0x30)
    return NULL;
  p += len;
  if (!der_read_header (&p, end, &tag, &len) || tag != 0x03 || len < 1)
    return NULL;

  /* RFC 5280 4.2.1.2 method (1): SHA-1 of the key bits, without the unused-bits octet. */
  checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (checksum, p + 1, len - 1);
  g_checksum_get_digest (checksum, digest, &digest_len);

  return g_bytes_new (digest, digest_len);
}

/* The SubjectPublicKeyInfo of an EC key on a named curve, as GnuTLS writes it, up to and with
 * the point's 04 (uncompressed): SEQUENCE { SEQUENCE { id-ecPublicKey, curve }, BIT STRING
 * { 00 04 X Y } }, X and Y each coordinate_len bytes. */
static const struct
{
  CbKeyType     type;
  gsize         coordinate_len;
  gsize         header_len;
  const guint8 *header;
} ec_spki_forms[] = {
  { CB_KEY_TYPE_EC_P256, 32, 27,
    (const guint8 *) "\x30\x59\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x08\x2a"
                     "\x86\x48\xce\x3d\x03\x01\x07\x03\x42\x00\x04" },
  { CB_KEY_TYPE_EC_P384, 48, 24,
    (const guint8 *) "\x30\x76\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x05\x2b"
                     "\x81\x04\x00\x22\x03\x62\x00\x04" },
  { CB_KEY_TYPE_EC_P521, 66, 26,
    (const guint8 *) "\x30\x81\x9b\x30\x10\x06\x07\x2a\x86\x48\xce\x3d\x02\x01\x06\x05"
                     "\x2b\x81\x04\x00\x23\x03\x81\x86\x00\x04" },
};

CbKeyType
cb_pki_key_type_from_ec_spki (const guint8 *data,
                              gsize         len)
{
  for (guint i = 0; i < G_N_ELEMENTS (ec_spki_forms); i++)
    if (len == ec_spki_forms[i].header_len + 2 * ec_spki_forms[i].coordinate_len &&
        memcmp (data, ec_spki_forms[i].header, ec_spki_forms[i].header_len) == 0)
      return ec_spki_forms[i].type;

  return CB_KEY_TYPE_UNKNOWN;
}

CbKeyType
cb_pki_key_type_from_spki (GBytes *public_key_der)
{
  g_auto(CbGnutlsPubkey) pub = NULL;
  gsize len = 0;
  const guint8 *data;
  CbKeyType type;

  g_return_val_if_fail (public_key_der != NULL, CB_KEY_TYPE_UNKNOWN);

  /* A device's key in the form GnuTLS writes needs no import (a station's keygen step would
   * otherwise wake GnuTLS's ASN.1 parser for its type alone). GnuTLS imports exactly these
   * bytes as a key of that curve, whatever X and Y are (it checks the point when it verifies),
   * so the answer is the one the import below would give. */
  data = g_bytes_get_data (public_key_der, &len);
  if ((type = cb_pki_key_type_from_ec_spki (data, len)) != CB_KEY_TYPE_UNKNOWN)
    return type;

  if ((pub = pubkey_from_der (public_key_der, NULL)) == NULL)
    return CB_KEY_TYPE_UNKNOWN;

  return cb_pki_key_type_from_pubkey (pub);
}

GBytes *
cb_csr_create (CbKey       *key,
               const char  *common_name,
               GError     **error)
{
  g_auto(CbGnutlsCrq) crq = NULL;
  g_auto(CbGnutlsPubkey) pub = NULL;
  gnutls_datum_t out = { NULL, 0 };
  int ret;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (common_name != NULL, NULL);

  if (*common_name == '\0')
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   "A CSR needs a non-empty common name");
      return NULL;
    }

  if ((pub = pubkey_from_key (key, error)) == NULL)
    return NULL;

  if ((ret = gnutls_x509_crq_init (&crq)) < 0 ||
      (ret = gnutls_x509_crq_set_version (crq, 1)) < 0 ||
      (ret = gnutls_x509_crq_set_dn_by_oid (crq, GNUTLS_OID_X520_COMMON_NAME, 0,
                                            common_name, strlen (common_name))) < 0 ||
      (ret = gnutls_x509_crq_set_pubkey (crq, pub)) < 0 ||
      (ret = gnutls_x509_crq_privkey_sign (crq, key->privkey,
                                           digest_for_key_type (key->type), 0)) < 0 ||
      (ret = gnutls_x509_crq_export2 (crq, GNUTLS_X509_FMT_DER, &out)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot create the CSR");
      return NULL;
    }

  return datum_to_bytes (&out);
}

/* A positive, minimally encoded INTEGER body for a raw big-endian serial. */
static GByteArray *
normalize_serial (const guint8 *data,
                  gsize         len)
{
  GByteArray *out = g_byte_array_new ();

  while (len > 1 && data[0] == 0 && !(data[1] & 0x80))
    {
      data++;
      len--;
    }

  if (len == 0)
    {
      g_byte_array_append (out, (const guint8 *) "\0", 1);
      return out;
    }

  if (data[0] & 0x80)
    g_byte_array_append (out, (const guint8 *) "\0", 1);
  g_byte_array_append (out, data, len);

  return out;
}

static gboolean
import_crt (gnutls_x509_crt_t  *crt,
            GBytes             *der,
            GError            **error)
{
  gnutls_datum_t datum;
  gsize len = 0;
  int ret;

  datum.data = (unsigned char *) g_bytes_get_data (der, &len);
  datum.size = len;

  if ((ret = gnutls_x509_crt_init (crt)) < 0 ||
      (ret = gnutls_x509_crt_import (*crt, &datum, GNUTLS_X509_FMT_DER)) < 0)
    return set_gnutls_error (error, CB_PKI_ERROR_INVALID_INPUT, ret,
                             "Cannot read the issuer certificate");

  return TRUE;
}

/* The issuer's SKI as written in its certificate, or computed from its key when absent. */
static GBytes *
issuer_key_id (gnutls_x509_crt_t issuer)
{
  guint8 id[64];
  size_t id_len = sizeof id;
  unsigned int critical = 0;
  gnutls_datum_t spki = { NULL, 0 };
  g_autoptr(GBytes) spki_bytes = NULL;
  g_auto(CbGnutlsPubkey) pub = NULL;

  if (gnutls_x509_crt_get_subject_key_id (issuer, id, &id_len, &critical) >= 0)
    return g_bytes_new (id, id_len);

  if (gnutls_pubkey_init (&pub) < 0 ||
      gnutls_pubkey_import_x509 (pub, issuer, 0) < 0 ||
      gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &spki) < 0)
    return NULL;

  spki_bytes = datum_to_bytes (&spki);
  return cb_pki_key_id_from_spki (spki_bytes);
}

struct _CbCertIssuer
{
  gatomicrefcount    ref_count;
  CbKey             *key;
  gnutls_x509_crt_t  crt;
  GBytes            *der;
  GBytes            *key_id;   /* the AKI of what it issues */
  GMutex             lock;     /* signing: the sandbox signs in a worker thread too */
  gboolean           gnutls_only;  /* tests: every certificate built by GnuTLS */
};

CbCertIssuer *
cb_cert_issuer_new (CbKey   *key,
                    GBytes  *cert_der,
                    GError **error)
{
  g_auto(CbGnutlsCrt) crt = NULL;
  g_auto(CbGnutlsPubkey) pub = NULL;
  g_autoptr(GBytes) cert_spki = NULL;
  g_autoptr(GBytes) key_spki = NULL;
  CbCertIssuer *self;
  int ret;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (cert_der != NULL, NULL);

  if (!import_crt (&crt, cert_der, error))
    return NULL;

  if ((ret = gnutls_pubkey_init (&pub)) < 0 ||
      (ret = gnutls_pubkey_import_x509 (pub, crt, 0)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_INVALID_INPUT, ret,
                        "Cannot read the issuer certificate's key");
      return NULL;
    }

  if ((cert_spki = pubkey_to_der (pub, error)) == NULL)
    return NULL;
  key_spki = cb_key_get_public_key_der (key);
  if (key_spki == NULL || !g_bytes_equal (cert_spki, key_spki))
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY,
                   "The issuer key does not belong to the issuer certificate");
      return NULL;
    }

  self = g_new0 (CbCertIssuer, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->key = cb_key_ref (key);
  self->crt = g_steal_pointer (&crt);
  self->der = g_bytes_ref (cert_der);
  self->key_id = issuer_key_id (self->crt);
  g_mutex_init (&self->lock);
  return self;
}

CbCertIssuer *
cb_cert_issuer_ref (CbCertIssuer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
cb_cert_issuer_unref (CbCertIssuer *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;

  cb_key_unref (self->key);
  gnutls_x509_crt_deinit (self->crt);
  g_bytes_unref (self->der);
  g_clear_pointer (&self->key_id, g_bytes_unref);
  g_mutex_clear (&self->lock);
  g_free (self);
}

GBytes *
cb_cert_issuer_get_der (CbCertIssuer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_bytes_ref (self->der);
}

void
cb_cert_issuer_set_gnutls_only (CbCertIssuer *self,
                                gboolean      gnutls_only)
{
  g_return_if_fail (self != NULL);

  self->gnutls_only = gnutls_only;
}

CbKey *
cb_cert_issuer_get_key (CbCertIssuer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->key;
}

/* ---- The leaf written as DER directly ------------------------------------------------ */

/* GnuTLS builds a certificate in libtasn1 structures, encodes it, and parses its issuer again:
 * about half of the sandbox's signing time went there, not into the signature
 * (docs/performance.md, "DPS issuance"). A leaf of the common shape (not a CA, no SANs or
 * CRL distribution point, a subject of one printable CN, an EC issuer key) is written here
 * as DER directly, byte for byte as GnuTLS writes it (test-pki compares the two), and its
 * TBS signed with gnutls_privkey_sign_data. */

static void
der_put_header (GByteArray *out,
                guint8      tag,
                gsize       len)
{
  guint8 head[6];
  guint n = 0;

  head[n++] = tag;
  if (len < 0x80)
    head[n++] = (guint8) len;
  else if (len < 0x100)
    {
      head[n++] = 0x81;
      head[n++] = (guint8) len;
    }
  else if (len < 0x10000)
    {
      head[n++] = 0x82;
      head[n++] = (guint8) (len >> 8);
      head[n++] = (guint8) len;
    }
  else
    {
      head[n++] = 0x83;
      head[n++] = (guint8) (len >> 16);
      head[n++] = (guint8) (len >> 8);
      head[n++] = (guint8) len;
    }
  g_byte_array_append (out, head, n);
}

static void
der_put (GByteArray   *out,
         guint8        tag,
         const guint8 *data,
         gsize         len)
{
  der_put_header (out, tag, len);
  if (len > 0)
    g_byte_array_append (out, data, (guint) len);
}

/* Wraps what was written after start in a TLV of tag. */
static void
der_wrap (GByteArray *out,
          guint       start,
          guint8      tag)
{
  g_autoptr(GByteArray) head = g_byte_array_new ();
  guint len = out->len - start;

  der_put_header (head, tag, len);
  g_byte_array_set_size (out, out->len + head->len);
  memmove (out->data + start + head->len, out->data + start, len);
  memcpy (out->data + start, head->data, head->len);
}

/* A dotted OID's contents; FALSE when it is not one. */
static gboolean
der_put_oid (GByteArray *out,
             const char *dotted)
{
  g_auto(GStrv) arcs = g_strsplit (dotted, ".", -1);
  g_autoptr(GByteArray) body = g_byte_array_new ();
  guint n = g_strv_length (arcs);
  guint64 first = 0;

  if (n < 2)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      guint64 v;
      guint8 buf[10];
      guint k = 0;

      if (!g_ascii_string_to_unsigned (arcs[i], 10, 0, G_MAXUINT32, &v, NULL))
        return FALSE;
      if (i == 0)
        {
          if (v > 2)
            return FALSE;
          first = v;
          continue;
        }
      if (i == 1)
        v += first * 40;
      do
        {
          buf[k++] = (guint8) (v & 0x7f);
          v >>= 7;
        }
      while (v > 0);
      while (k > 0)
        {
          guint8 b = buf[--k];

          if (k > 0)
            b |= 0x80;
          g_byte_array_append (body, &b, 1);
        }
    }
  der_put (out, 0x06, body->data, body->len);
  return TRUE;
}

static void
der_put_time (GByteArray *out,
              gint64      t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  g_autofree char *text = NULL;
  int year = g_date_time_get_year (dt);

  /* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, as GnuTLS writes. */
  if (year >= 1950 && year < 2050)
    {
      text = g_date_time_format (dt, "%y%m%d%H%M%SZ");
      der_put (out, 0x17, (const guint8 *) text, strlen (text));
    }
  else
    {
      text = g_date_time_format (dt, "%Y%m%d%H%M%SZ");
      der_put (out, 0x18, (const guint8 *) text, strlen (text));
    }
}

/* The value of a "CN=<value>" subject that GnuTLS writes as one PrintableString, or NULL
 * (then GnuTLS builds the certificate). */
static const char *
simple_common_name (const char *dn)
{
  const char *value;

  if (dn == NULL || strncmp (dn, "CN=", 3) != 0)
    return NULL;
  value = dn + 3;
  if (*value == '\0' || strlen (value) > 64)
    return NULL;
  for (const char *c = value; *c != '\0'; c++)
    {
      /* PrintableString, without what an RFC 4514 string escapes or separates. */
      if (!g_ascii_isalnum (*c) && strchr (" '()-./:?", *c) == NULL)
        return NULL;
    }
  if (value[0] == ' ' || value[strlen (value) - 1] == ' ')
    return NULL;
  return value;
}

static const char *
ecdsa_signature_oid (CbKeyType type)
{
  switch (type)
    {
    case CB_KEY_TYPE_EC_P256:
      return "1.2.840.10045.4.3.2";
    case CB_KEY_TYPE_EC_P384:
      return "1.2.840.10045.4.3.3";
    case CB_KEY_TYPE_EC_P521:
      return "1.2.840.10045.4.3.4";
    case CB_KEY_TYPE_RSA:
    case CB_KEY_TYPE_UNKNOWN:
    default:
      return NULL;
    }
}

static gboolean
leaf_fits_direct_der (const CbCertProfile *profile,
                      CbKey               *key)
{
  return !profile->is_ca && profile->crl_url == NULL &&
         (profile->san_dns == NULL || profile->san_dns[0] == NULL) &&
         (profile->san_uri == NULL || profile->san_uri[0] == NULL) &&
         (profile->san_ip == NULL || profile->san_ip[0] == NULL) &&
         (profile->key_usage & ~0xffu) == 0 &&
         simple_common_name (profile->subject_dn) != NULL &&
         ecdsa_signature_oid (key->type) != NULL;
}

static gboolean
der_put_extension (GByteArray   *out,
                   const char   *oid,
                   gboolean      critical,
                   const guint8 *value,
                   gsize         len)
{
  guint start = out->len;
  static const guint8 true_value[] = { 0xff };

  if (!der_put_oid (out, oid))
    return FALSE;
  if (critical)
    der_put (out, 0x01, true_value, 1);
  der_put (out, 0x04, value, len);
  der_wrap (out, start, 0x30);
  return TRUE;
}

/* The leaf as GnuTLS writes it, issuer_dn the issuer's raw subject; NULL with error for an
 * extension OID that is not one. */
static GBytes *
issue_direct_der (const CbCertProfile  *profile,
                  GBytes               *subject_public_key_der,
                  CbKey                *key,
                  const gnutls_datum_t *issuer_dn,
                  GBytes               *ski,
                  GBytes               *aki,
                  GByteArray           *serial,
                  GError              **error)
{
  g_autoptr(GByteArray) tbs = g_byte_array_new ();
  g_autoptr(GByteArray) alg = g_byte_array_new ();
  g_autoptr(GByteArray) value = g_byte_array_new ();
  g_autoptr(GByteArray) cert = NULL;
  const char *cn = simple_common_name (profile->subject_dn);
  gnutls_datum_t tbs_datum;
  gnutls_datum_t sig = { NULL, 0 };
  static const guint8 version[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
  static const guint8 no_constraints[] = { 0x30, 0x00 };
  guint start;
  guint exts;
  int ret;

  /* AlgorithmIdentifier: ecdsa-with-SHAn, no parameters */
  der_put_oid (alg, ecdsa_signature_oid (key->type));
  der_wrap (alg, 0, 0x30);

  g_byte_array_append (tbs, version, sizeof version);
  der_put (tbs, 0x02, serial->data, serial->len);
  g_byte_array_append (tbs, alg->data, alg->len);
  g_byte_array_append (tbs, issuer_dn->data, issuer_dn->size);

  start = tbs->len;
  der_put_time (tbs, profile->not_before);
  der_put_time (tbs, profile->not_after);
  der_wrap (tbs, start, 0x30);

  /* Subject: SEQUENCE { SET { SEQUENCE { commonName, PrintableString } } } */
  start = tbs->len;
  der_put_oid (tbs, "2.5.4.3");
  der_put (tbs, 0x13, (const guint8 *) cn, strlen (cn));
  der_wrap (tbs, start, 0x30);
  der_wrap (tbs, start, 0x31);
  der_wrap (tbs, start, 0x30);

  g_byte_array_append (tbs, g_bytes_get_data (subject_public_key_der, NULL),
                       (guint) g_bytes_get_size (subject_public_key_der));

  /* Extensions, in the order issue_signed sets them. */
  exts = tbs->len;
  der_put_extension (tbs, "2.5.29.19", TRUE, no_constraints, sizeof no_constraints);
  if (profile->key_usage != 0)
    {
      guint8 ku[4] = { 0x03, 0x02, 0, (guint8) profile->key_usage };
      guint unused = 0;

      while (!(ku[3] & (1u << unused)))
        unused++;
      ku[2] = (guint8) unused;
      der_put_extension (tbs, "2.5.29.15", TRUE, ku, sizeof ku);
    }
  if (profile->ext_key_usage != NULL && profile->ext_key_usage[0] != NULL)
    {
      g_byte_array_set_size (value, 0);
      for (guint i = 0; profile->ext_key_usage[i] != NULL; i++)
        if (!der_put_oid (value, profile->ext_key_usage[i]))
          {
            g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                         "Invalid extended key usage \"%s\"", profile->ext_key_usage[i]);
            return NULL;
          }
      der_wrap (value, 0, 0x30);
      der_put_extension (tbs, "2.5.29.37", FALSE, value->data, value->len);
    }
  g_byte_array_set_size (value, 0);
  der_put (value, 0x04, g_bytes_get_data (ski, NULL), g_bytes_get_size (ski));
  der_put_extension (tbs, "2.5.29.14", FALSE, value->data, value->len);
  if (aki != NULL)
    {
      g_byte_array_set_size (value, 0);
      der_put (value, 0x80, g_bytes_get_data (aki, NULL), g_bytes_get_size (aki));
      der_wrap (value, 0, 0x30);
      der_put_extension (tbs, "2.5.29.35", FALSE, value->data, value->len);
    }
  for (guint i = 0; i < profile->n_extensions; i++)
    {
      const CbCertExtension *ext = &profile->extensions[i];
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (ext->der_value, &len);

      if (!der_put_extension (tbs, ext->oid, ext->critical, data, len))
        {
          g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                       "Cannot add extension %s", ext->oid);
          return NULL;
        }
    }
  der_wrap (tbs, exts, 0x30);
  der_wrap (tbs, exts, 0xa3);
  der_wrap (tbs, 0, 0x30);

  tbs_datum.data = tbs->data;
  tbs_datum.size = tbs->len;
  if ((ret = gnutls_privkey_sign_data (key->privkey, digest_for_key_type (key->type), 0,
                                       &tbs_datum, &sig)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot sign the certificate");
      return NULL;
    }

  cert = g_byte_array_sized_new (tbs->len + alg->len + sig.size + 16);
  g_byte_array_append (cert, tbs->data, tbs->len);
  g_byte_array_append (cert, alg->data, alg->len);
  start = cert->len;
  g_byte_array_append (cert, (const guint8 *) "\0", 1);   /* no unused bits */
  g_byte_array_append (cert, sig.data, sig.size);
  gnutls_free (sig.data);
  der_wrap (cert, start, 0x03);
  der_wrap (cert, 0, 0x30);

  return g_byte_array_free_to_bytes (g_steal_pointer (&cert));
}

/* Builds and signs: under issuer (its parsed certificate and key identifier) or, with
 * issuer NULL, self-signed by key. */
static GBytes *
issue_signed (const CbCertProfile  *profile,
              GBytes               *subject_public_key_der,
              CbKey                *key,
              gnutls_x509_crt_t     issuer,
              GBytes               *issuer_key_id_bytes,
              gboolean              direct_der,
              GError              **error)
{
  g_auto(CbGnutlsCrt) crt = NULL;
  g_auto(CbGnutlsPubkey) pub = NULL;
  g_autoptr(GBytes) ski = NULL;
  g_autoptr(GBytes) aki = NULL;
  g_autoptr(GByteArray) serial = NULL;
  gnutls_datum_t out = { NULL, 0 };
  const char *err_pos = NULL;
  int ret;

  if (profile->subject_dn == NULL || *profile->subject_dn == '\0')
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   "The certificate needs a subject");
      return NULL;
    }
  /* Checked here for both builders (the direct DER one and GnuTLS's). */
  for (guint i = 0; i < profile->n_extensions; i++)
    if (profile->extensions[i].oid == NULL || profile->extensions[i].der_value == NULL)
      {
        g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                     "Extension %u has no OID or no value", i);
        return NULL;
      }

  if (profile->not_after <= profile->not_before)
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   "The certificate's notAfter must be later than its notBefore");
      return NULL;
    }

  if ((pub = pubkey_from_der (subject_public_key_der, error)) == NULL)
    return NULL;

  ski = cb_pki_key_id_from_spki (subject_public_key_der);
  if (ski == NULL)
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY,
                   "Cannot read the subject public key");
      return NULL;
    }

  if (issuer != NULL)
    {
      aki = issuer_key_id_bytes != NULL ? g_bytes_ref (issuer_key_id_bytes) : NULL;
    }
  else
    {
      g_autoptr(GBytes) key_spki = cb_key_get_public_key_der (key);

      if (key_spki == NULL || !g_bytes_equal (key_spki, subject_public_key_der))
        {
          g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY,
                       "A self-signed certificate must be signed by the subject's own key");
          return NULL;
        }

      aki = g_bytes_ref (ski);
    }

  if (profile->serial != NULL)
    {
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (profile->serial, &len);

      if (len == 0 || len > 20)
        {
          g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                       "A serial number must be 1 to 20 bytes long, not %" G_GSIZE_FORMAT, len);
          return NULL;
        }
      serial = normalize_serial (data, len);
    }
  else
    {
      guint8 random_serial[16];

      if ((ret = gnutls_rnd (GNUTLS_RND_NONCE, random_serial, sizeof random_serial)) < 0)
        {
          set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "No random serial number");
          return NULL;
        }
      /* Positive and exactly 16 bytes once DER-encoded. */
      random_serial[0] = (random_serial[0] & 0x7f) | 0x40;
      serial = g_byte_array_new ();
      g_byte_array_append (serial, random_serial, sizeof random_serial);
    }

  if (issuer != NULL && direct_der && leaf_fits_direct_der (profile, key))
    {
      gnutls_datum_t issuer_dn = { NULL, 0 };
      GBytes *der;

      /* A copy, the issuer's subject as it is encoded. */
      if ((ret = gnutls_x509_crt_get_raw_dn (issuer, &issuer_dn)) < 0)
        {
          set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot read the issuer's name");
          return NULL;
        }
      der = issue_direct_der (profile, subject_public_key_der, key, &issuer_dn, ski, aki,
                              serial, error);
      gnutls_free (issuer_dn.data);
      return der;
    }

  if ((ret = gnutls_x509_crt_init (&crt)) < 0 ||
      (ret = gnutls_x509_crt_set_version (crt, 3)) < 0 ||
      (ret = gnutls_x509_crt_set_pubkey (crt, pub)) < 0 ||
      (ret = gnutls_x509_crt_set_serial (crt, serial->data, serial->len)) < 0 ||
      (ret = gnutls_x509_crt_set_activation_time (crt, (time_t) profile->not_before)) < 0 ||
      (ret = gnutls_x509_crt_set_expiration_time (crt, (time_t) profile->not_after)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot build the certificate");
      return NULL;
    }

  if ((ret = gnutls_x509_crt_set_dn (crt, profile->subject_dn, &err_pos)) < 0)
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   "Invalid subject \"%s\" near \"%s\": %s", profile->subject_dn,
                   err_pos != NULL ? err_pos : "", gnutls_strerror (ret));
      return NULL;
    }

  /* GnuTLS marks basic constraints and key usage critical. */
  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, profile->is_ca,
                                                    profile->path_len)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot set basic constraints");
      return NULL;
    }

  if (profile->key_usage != 0 &&
      (ret = gnutls_x509_crt_set_key_usage (crt, profile->key_usage)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot set the key usage");
      return NULL;
    }

  for (guint i = 0; profile->ext_key_usage != NULL && profile->ext_key_usage[i] != NULL; i++)
    {
      if ((ret = gnutls_x509_crt_set_key_purpose_oid (crt, profile->ext_key_usage[i], 0)) < 0)
        {
          g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                       "Invalid extended key usage \"%s\": %s", profile->ext_key_usage[i],
                       gnutls_strerror (ret));
          return NULL;
        }
    }

  for (guint i = 0; profile->san_dns != NULL && profile->san_dns[i] != NULL; i++)
    {
      const char *name = profile->san_dns[i];

      if ((ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, name,
                                                       strlen (name), GNUTLS_FSAN_APPEND)) < 0)
        {
          g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                       "Invalid DNS name \"%s\": %s", name, gnutls_strerror (ret));
          return NULL;
        }
    }

  for (guint i = 0; profile->san_uri != NULL && profile->san_uri[i] != NULL; i++)
    {
      const char *uri = profile->san_uri[i];

      if ((ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_URI, uri,
                                                       strlen (uri), GNUTLS_FSAN_APPEND)) < 0)
        {
          g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                       "Invalid URI \"%s\": %s", uri, gnutls_strerror (ret));
          return NULL;
        }
    }

  for (guint i = 0; profile->san_ip != NULL && profile->san_ip[i] != NULL; i++)
    {
      const char *ip = profile->san_ip[i];
      guint8 addr[16];
      unsigned int addr_len;

      if (inet_pton (AF_INET, ip, addr) == 1)
        addr_len = 4;
      else if (inet_pton (AF_INET6, ip, addr) == 1)
        addr_len = 16;
      else
        {
          g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                       "\"%s\" is not an IP address", ip);
          return NULL;
        }

      if ((ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, addr,
                                                       addr_len, GNUTLS_FSAN_APPEND)) < 0)
        {
          set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot add the IP address");
          return NULL;
        }
    }

  if (profile->crl_url != NULL &&
      (ret = gnutls_x509_crt_set_crl_dist_points (crt, GNUTLS_SAN_URI, profile->crl_url, 0)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_INVALID_INPUT, ret,
                        "Cannot set the CRL distribution point");
      return NULL;
    }

  if ((ret = gnutls_x509_crt_set_subject_key_id (crt, g_bytes_get_data (ski, NULL),
                                                 g_bytes_get_size (ski))) < 0 ||
      (aki != NULL &&
       (ret = gnutls_x509_crt_set_authority_key_id (crt, g_bytes_get_data (aki, NULL),
                                                    g_bytes_get_size (aki))) < 0))
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot set the key identifiers");
      return NULL;
    }

  for (guint i = 0; i < profile->n_extensions; i++)
    {
      const CbCertExtension *ext = &profile->extensions[i];
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (ext->der_value, &len);

      if ((ret = gnutls_x509_crt_set_extension_by_oid (crt, ext->oid, data, len,
                                                       ext->critical ? 1 : 0)) < 0)
        {
          g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                       "Cannot add extension %s: %s", ext->oid, gnutls_strerror (ret));
          return NULL;
        }
    }

  /* Self-signed: the certificate is its own issuer, so the issuer DN is its subject. */
  ret = gnutls_x509_crt_privkey_sign (crt, issuer != NULL ? issuer : crt, key->privkey,
                                      digest_for_key_type (key->type), 0);
  if (ret < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot sign the certificate");
      return NULL;
    }

  if ((ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &out)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot export the certificate");
      return NULL;
    }

  return datum_to_bytes (&out);
}

GBytes *
cb_cert_issuer_issue (CbCertIssuer         *self,
                      const CbCertProfile  *profile,
                      GBytes               *subject_public_key_der,
                      GError              **error)
{
  GBytes *der;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (profile != NULL, NULL);
  g_return_val_if_fail (subject_public_key_der != NULL, NULL);

  /* GnuTLS makes a private key safe to share between threads (3.5.11 on); the issuer's parsed
   * certificate is only read, but GnuTLS promises that for no more than "read-only" objects
   * in general: one signature at a time per kept issuer. */
  g_mutex_lock (&self->lock);
  der = issue_signed (profile, subject_public_key_der, self->key, self->crt, self->key_id,
                      !self->gnutls_only, error);
  g_mutex_unlock (&self->lock);
  return der;
}

GBytes *
cb_cert_issue (const CbCertProfile  *profile,
               GBytes               *subject_public_key_der,
               CbKey                *issuer_key,
               GBytes               *issuer_cert_der,
               GError              **error)
{
  g_autoptr(CbCertIssuer) issuer = NULL;

  g_return_val_if_fail (profile != NULL, NULL);
  g_return_val_if_fail (subject_public_key_der != NULL, NULL);
  g_return_val_if_fail (issuer_key != NULL, NULL);

  if (issuer_cert_der == NULL)
    return issue_signed (profile, subject_public_key_der, issuer_key, NULL, NULL, FALSE, error);

  if (!(issuer = cb_cert_issuer_new (issuer_key, issuer_cert_der, error)))
    return NULL;
  return cb_cert_issuer_issue (issuer, profile, subject_public_key_der, error);
}

GBytes *
cb_crl_issue (CbKey      *issuer_key,
              GBytes     *issuer_cert_der,
              GPtrArray  *revoked_serials,
              gint64      this_update,
              gint64      next_update,
              guint       crl_number,
              GError    **error)
{
  g_auto(CbGnutlsCrl) crl = NULL;
  g_auto(CbGnutlsCrt) issuer = NULL;
  g_autoptr(GBytes) aki = NULL;
  gnutls_datum_t out = { NULL, 0 };
  g_autoptr(GByteArray) crl_number_body = NULL;
  guint8 number[4];
  int ret;

  g_return_val_if_fail (issuer_key != NULL, NULL);
  g_return_val_if_fail (issuer_cert_der != NULL, NULL);

  if (next_update <= this_update)
    {
      g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                   "The CRL's nextUpdate must be later than its thisUpdate");
      return NULL;
    }

  if (!import_crt (&issuer, issuer_cert_der, error))
    return NULL;

  if ((ret = gnutls_x509_crl_init (&crl)) < 0 ||
      (ret = gnutls_x509_crl_set_version (crl, 2)) < 0 ||
      (ret = gnutls_x509_crl_set_this_update (crl, (time_t) this_update)) < 0 ||
      (ret = gnutls_x509_crl_set_next_update (crl, (time_t) next_update)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot build the CRL");
      return NULL;
    }

  for (guint i = 0; revoked_serials != NULL && i < revoked_serials->len; i++)
    {
      GBytes *raw = g_ptr_array_index (revoked_serials, i);
      g_autoptr(GByteArray) serial = NULL;
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (raw, &len);

      if (len == 0 || len > 20)
        {
          g_set_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT,
                       "Revoked serial %u must be 1 to 20 bytes long", i);
          return NULL;
        }

      serial = normalize_serial (data, len);
      if ((ret = gnutls_x509_crl_set_crt_serial (crl, serial->data, serial->len,
                                                 (time_t) this_update)) < 0)
        {
          set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot add a revoked serial");
          return NULL;
        }
    }

  number[0] = (crl_number >> 24) & 0xff;
  number[1] = (crl_number >> 16) & 0xff;
  number[2] = (crl_number >> 8) & 0xff;
  number[3] = crl_number & 0xff;
  crl_number_body = normalize_serial (number, 4);

  if ((ret = gnutls_x509_crl_set_number (crl, crl_number_body->data,
                                         crl_number_body->len)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot set the CRL number");
      return NULL;
    }

  aki = issuer_key_id (issuer);
  if (aki != NULL &&
      (ret = gnutls_x509_crl_set_authority_key_id (crl, g_bytes_get_data (aki, NULL),
                                                   g_bytes_get_size (aki))) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot set the CRL's key identifier");
      return NULL;
    }

  ret = gnutls_x509_crl_privkey_sign (crl, issuer, issuer_key->privkey,
                                      digest_for_key_type (issuer_key->type), 0);
  if (ret < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot sign the CRL");
      return NULL;
    }

  if ((ret = gnutls_x509_crl_export2 (crl, GNUTLS_X509_FMT_DER, &out)) < 0)
    {
      set_gnutls_error (error, CB_PKI_ERROR_FAILED, ret, "Cannot export the CRL");
      return NULL;
    }

  return datum_to_bytes (&out);
}
