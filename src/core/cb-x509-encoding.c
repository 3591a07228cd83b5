/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-x509"

/* The X.509 files' DER and PEM helpers: checking and splitting signed DER, PEM blocks in and
 * out, hex and fingerprints, exporting a public key, checking a signature against a key. */

#include "config.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "cb-der-private.h"
#include "cb-pki-private.h"
#include "cb-x509-encoding-private.h"
#include "cb-x509-error.h"

/* Checks that data is exactly one DER SEQUENCE, explaining what is wrong otherwise. */
gboolean
cb_x509_der_check_sequence (const guint8  *data,
                    gsize          size,
                    char         **reason)
{
  const guint8 *p = data;
  guint8 tag;
  gsize len;

  if (size == 0)
    {
      *reason = g_strdup ("it is empty");
      return FALSE;
    }

  if (data[0] != 0x30 || !cb_der_read_header (&p, data + size, &tag, &len))
    {
      *reason = g_strdup ("it is not DER (it does not start with an ASN.1 SEQUENCE)");
      return FALSE;
    }

  if ((gsize) (p - data) + len > size)
    {
      *reason = g_strdup_printf ("it is truncated (%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                                 " bytes)", size, (gsize) (p - data) + len);
      return FALSE;
    }

  if ((gsize) (p - data) + len < size)
    {
      *reason = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes of unexpected data follow it",
                                 size - ((gsize) (p - data) + len));
      return FALSE;
    }

  return TRUE;
}

/* Splits a signed object (Certificate, CertificationRequest) into the signed part (the whole
 * TLV of its first element) and the signature bits. */
gboolean
cb_x509_der_split_signed (GBytes         *der,
                  gnutls_datum_t *tbs,
                  gnutls_datum_t *signature)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (der, &size);
  const guint8 *p = data;
  const guint8 *end = data + size;
  const guint8 *start;
  guint8 tag;
  gsize len;

  if (!cb_der_read_header (&p, end, &tag, &len) || tag != 0x30 || len > (gsize) (end - p))
    return FALSE;
  end = p + len;

  start = p;
  if (!cb_der_read_header (&p, end, &tag, &len) || tag != 0x30 || len > (gsize) (end - p))
    return FALSE;
  p += len;
  tbs->data = (unsigned char *) start;
  tbs->size = p - start;

  if (!cb_der_read_header (&p, end, &tag, &len) || tag != 0x30 || len > (gsize) (end - p))
    return FALSE;
  p += len;

  if (!cb_der_read_header (&p, end, &tag, &len) || tag != 0x03 || len < 1 ||
      len > (gsize) (end - p))
    return FALSE;
  signature->data = (unsigned char *) p + 1;
  signature->size = len - 1;

  return TRUE;
}

char *
cb_x509_pem_encode (const char *label,
            GBytes     *der)
{
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  GString *out = g_string_new (NULL);
  gsize b64_len = strlen (b64);

  g_string_append_printf (out, "-----BEGIN %s-----\n", label);
  for (gsize i = 0; i < b64_len; i += 64)
    {
      g_string_append_len (out, b64 + i, MIN (64, b64_len - i));
      g_string_append_c (out, '\n');
    }
  g_string_append_printf (out, "-----END %s-----\n", label);

  return g_string_free (out, FALSE);
}


/* Finds the next PEM block at or after *pos. what_fmt names the block for messages
 * ("certificate 2"); the caller counts. On CB_X509_PEM_BLOCK, *label and *der are set. */
CbX509PemResult
cb_x509_pem_next_block (const char **pos,
                const char  *end,
                const char  *what,
                char       **label,
                GBytes     **der,
                GError     **error)
{
  static const char begin_marker[] = "-----BEGIN ";
  static const char end_marker[] = "-----END ";
  const char *begin;
  const char *label_start;
  const char *label_end;
  const char *body;
  const char *body_end;
  const char *after;
  g_autofree char *end_line = NULL;
  g_autoptr(GString) clean = NULL;
  g_autofree guchar *decoded = NULL;
  gsize decoded_len = 0;

  begin = g_strstr_len (*pos, end - *pos, begin_marker);
  if (begin == NULL)
    return CB_X509_PEM_NONE;

  label_start = begin + strlen (begin_marker);
  label_end = g_strstr_len (label_start, end - label_start, "-----");
  if (label_end == NULL || memchr (label_start, '\n', label_end - label_start) != NULL)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "The PEM armour of %s is damaged: its BEGIN line does not end in \"-----\"",
                   what);
      return CB_X509_PEM_ERROR;
    }

  *label = g_strndup (label_start, label_end - label_start);
  body = label_end + 5;

  end_line = g_strdup_printf ("%s%s-----", end_marker, *label);
  body_end = g_strstr_len (body, end - body, end_marker);
  if (body_end == NULL)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "%s is truncated: the \"%s\" line is missing", what, end_line);
      g_clear_pointer (label, g_free);
      return CB_X509_PEM_ERROR;
    }

  if ((gsize) (end - body_end) < strlen (end_line) ||
      strncmp (body_end, end_line, strlen (end_line)) != 0)
    {
      const char *nl = memchr (body_end, '\n', end - body_end);
      g_autofree char *found = g_strndup (body_end, (nl != NULL ? nl : end) - body_end);

      g_strchomp (found);
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "The PEM armour of %s does not match: it begins with \"-----BEGIN %s-----\" "
                   "but ends with \"%s\"", what, *label, found);
      g_clear_pointer (label, g_free);
      return CB_X509_PEM_ERROR;
    }
  after = body_end + strlen (end_line);

  clean = g_string_new (NULL);
  for (const char *c = body; c < body_end; c++)
    {
      if (g_ascii_isalnum (*c) || *c == '+' || *c == '/' || *c == '=')
        g_string_append_c (clean, *c);
      else if (*c == ':')
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                       "%s has PEM headers (is it encrypted?); only plain PEM is supported",
                       what);
          g_clear_pointer (label, g_free);
          return CB_X509_PEM_ERROR;
        }
      else if (!g_ascii_isspace (*c))
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                       "%s is damaged: its base64 text contains the character 0x%02x",
                       what, (guint) (guchar) *c);
          g_clear_pointer (label, g_free);
          return CB_X509_PEM_ERROR;
        }
    }

  if (clean->len == 0 || clean->len % 4 != 0)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   clean->len == 0 ? "%s is empty between its BEGIN and END lines"
                                   : "%s is damaged: its base64 text has a wrong length "
                                     "(lines missing?)", what);
      g_clear_pointer (label, g_free);
      return CB_X509_PEM_ERROR;
    }

  decoded = g_base64_decode (clean->str, &decoded_len);
  *der = g_bytes_new_take (g_steal_pointer (&decoded), decoded_len);
  *pos = after;

  return CB_X509_PEM_BLOCK;
}

gboolean
cb_x509_is_certificate_label (const char *label)
{
  return g_str_equal (label, "CERTIFICATE") || g_str_equal (label, "X509 CERTIFICATE");
}

gboolean
cb_x509_is_csr_label (const char *label)
{
  return g_str_equal (label, "CERTIFICATE REQUEST") ||
         g_str_equal (label, "NEW CERTIFICATE REQUEST");
}

gboolean
cb_x509_is_blank (const guint8 *data,
          gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  return TRUE;
}

gboolean
cb_x509_looks_like_pem (const guint8 *data,
                gsize         len)
{
  return g_strstr_len ((const char *) data, len, "-----BEGIN ") != NULL;
}

char *
cb_x509_hex_string (const guint8 *data,
            gsize         len,
            gboolean      upper,
            char          separator)
{
  static const char lower_digits[] = "0123456789abcdef";
  static const char upper_digits[] = "0123456789ABCDEF";
  const char *digits = upper ? upper_digits : lower_digits;
  GString *out = g_string_sized_new (len * 3);

  for (gsize i = 0; i < len; i++)
    {
      if (separator != '\0' && i > 0)
        g_string_append_c (out, separator);
      g_string_append_c (out, digits[data[i] >> 4]);
      g_string_append_c (out, digits[data[i] & 0xf]);
    }

  return g_string_free (out, FALSE);
}

char *
cb_x509_checksum_fingerprint (GChecksumType  type,
                      GBytes        *der)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (type);
  guint8 digest[64];
  gsize digest_len = sizeof digest;

  g_checksum_update (checksum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (checksum, digest, &digest_len);

  return cb_x509_hex_string (digest, digest_len, TRUE, ':');
}

/* The SubjectPublicKeyInfo TLV inside a signed certificate or request: the seventh field of
 * a TBSCertificate (after its explicit [0] version), the third of a CertificationRequestInfo.
 * FALSE when the DER is not shaped so. */
static gboolean
der_find_spki (GBytes         *der,
               gboolean        is_request,
               gnutls_datum_t *spki)
{
  gnutls_datum_t tbs;
  gnutls_datum_t signature;
  const guint8 *p;
  const guint8 *end;
  guint8 tag;
  gsize len;
  /* Before it: serial, signature, issuer, validity, subject; or version, subject. */
  guint before = is_request ? 2 : 5;

  if (!cb_x509_der_split_signed (der, &tbs, &signature))
    return FALSE;

  p = tbs.data;
  end = tbs.data + tbs.size;
  if (!cb_der_read_header (&p, end, &tag, &len) || tag != 0x30 || len != (gsize) (end - p))
    return FALSE;

  /* A certificate's version is the optional [0]. */
  if (!is_request && p < end && *p == 0xa0)
    before++;

  for (guint i = 0; i < before; i++)
    {
      if (!cb_der_read_header (&p, end, &tag, &len) || len > (gsize) (end - p))
        return FALSE;
      p += len;
    }

  spki->data = (unsigned char *) p;
  if (!cb_der_read_header (&p, end, &tag, &len) || tag != 0x30 || len > (gsize) (end - p))
    return FALSE;
  spki->size = (p + len) - spki->data;

  return TRUE;
}

/* An EC key in the form GnuTLS writes, imported from its coordinates as they stand: GnuTLS's
 * import from the certificate or request would parse the same SubjectPublicKeyInfo again
 * through its ASN.1 structures, to the same curve and point. */
static gboolean
import_ec_spki (const gnutls_datum_t *spki,
                CbKeyType             type,
                gnutls_pubkey_t       pub)
{
  gnutls_ecc_curve_t curve;
  gnutls_datum_t x;
  gnutls_datum_t y;
  guint n;

  switch (type)
    {
    case CB_KEY_TYPE_EC_P256:
      curve = GNUTLS_ECC_CURVE_SECP256R1;
      n = 32;
      break;
    case CB_KEY_TYPE_EC_P384:
      curve = GNUTLS_ECC_CURVE_SECP384R1;
      n = 48;
      break;
    case CB_KEY_TYPE_EC_P521:
      curve = GNUTLS_ECC_CURVE_SECP521R1;
      n = 66;
      break;
    case CB_KEY_TYPE_RSA:
    case CB_KEY_TYPE_UNKNOWN:
    default:
      return FALSE;
    }

  /* The point is the last 2n bytes: X, then Y. */
  x.data = spki->data + spki->size - 2 * n;
  x.size = n;
  y.data = x.data + n;
  y.size = n;

  return gnutls_pubkey_import_ecc_raw (pub, curve, &x, &y) >= 0;
}

int
cb_x509_import_key (GBytes           *der,
                    gnutls_x509_crt_t  crt,
                    gnutls_x509_crq_t  crq,
                    gnutls_pubkey_t    pub,
                    GBytes           **spki,
                    CbKeyType         *type)
{
  gnutls_datum_t found;
  int ret;

  /* An EC key in the exact form GnuTLS exports: its SPKI is those bytes already, kept as a
   * slice of the DER, and its point is imported as it stands. Should GnuTLS refuse the point
   * so (it takes no zero coordinate), the full parse below decides, as for any other key. */
  if (der_find_spki (der, crq != NULL, &found) &&
      (*type = cb_pki_key_type_from_ec_spki (found.data, found.size)) != CB_KEY_TYPE_UNKNOWN &&
      import_ec_spki (&found, *type, pub))
    {
      gsize offset = found.data - (const guint8 *) g_bytes_get_data (der, NULL);

      *spki = g_bytes_new_from_bytes (der, offset, found.size);
      return 0;
    }

  /* Key usage is left out of the kept key, as for a key read from the SPKI alone: the chain
   * check judges it. */
  if ((ret = crq != NULL ? gnutls_pubkey_import_x509_crq (pub, crq, 0)
                         : gnutls_pubkey_import_x509 (pub, crt, 0)) < 0 ||
      (ret = gnutls_pubkey_set_key_usage (pub, 0)) < 0)
    return ret;

  *type = cb_pki_key_type_from_pubkey (pub);
  if ((*spki = cb_x509_pubkey_export (pub)) == NULL)
    return GNUTLS_E_INTERNAL_ERROR;

  return 0;
}

GBytes *
cb_x509_pubkey_export (gnutls_pubkey_t pub)
{
  gnutls_datum_t out = { NULL, 0 };
  GBytes *bytes;

  if (gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &out) < 0)
    return NULL;

  bytes = g_bytes_new (out.data, out.size);
  gnutls_free (out.data);

  return bytes;
}

char *
cb_x509_datum_to_string (gnutls_datum_t *datum)
{
  char *str = g_strndup ((const char *) datum->data, datum->size);

  gnutls_free (datum->data);
  datum->data = NULL;

  return str;
}

/* Signatures checked so far in this process, for the tests of what is verified once. */
static gint signature_verify_count;

guint
cb_x509_signature_verify_count (void)
{
  return (guint) g_atomic_int_get (&signature_verify_count);
}

gboolean
cb_x509_signature_verifies (GBytes                  *signed_der,
                            gnutls_sign_algorithm_t  algorithm,
                            gnutls_pubkey_t          signer)
{
  gnutls_datum_t tbs;
  gnutls_datum_t sig;

  if (signer == NULL || !cb_x509_der_split_signed (signed_der, &tbs, &sig))
    return FALSE;

  g_atomic_int_inc (&signature_verify_count);

  /* Signature check only: algorithm strength is judged by the callers, with a clearer
   * message than GnuTLS's "insufficient security". */
  return gnutls_pubkey_verify_data2 (signer, algorithm,
                                     GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 |
                                     GNUTLS_VERIFY_ALLOW_BROKEN,
                                     &tbs, &sig) >= 0;
}
