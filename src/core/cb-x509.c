/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-x509"

#include "config.h"

#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>
#include <string.h>

#include "cb-der-private.h"
#include "cb-x509.h"

G_DEFINE_QUARK (cb-x509-error-quark, cb_x509_error)

typedef gnutls_pubkey_t CbX509Pubkey;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CbX509Pubkey, gnutls_pubkey_deinit, NULL)

/* ---- DER and PEM helpers -------------------------------------------------------------- */

/* Checks that data is exactly one DER SEQUENCE, explaining what is wrong otherwise. */
static gboolean
der_check_sequence (const guint8  *data,
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
static gboolean
der_split_signed (GBytes         *der,
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

static char *
pem_encode (const char *label,
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

typedef enum
{
  PEM_BLOCK,
  PEM_NONE,
  PEM_ERROR,
} PemResult;

/* Finds the next PEM block at or after *pos. what_fmt names the block for messages
 * ("certificate 2"); the caller counts. On PEM_BLOCK, *label and *der are set. */
static PemResult
pem_next_block (const char **pos,
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
    return PEM_NONE;

  label_start = begin + strlen (begin_marker);
  label_end = g_strstr_len (label_start, end - label_start, "-----");
  if (label_end == NULL || memchr (label_start, '\n', label_end - label_start) != NULL)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "The PEM armour of %s is damaged: its BEGIN line does not end in \"-----\"",
                   what);
      return PEM_ERROR;
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
      return PEM_ERROR;
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
      return PEM_ERROR;
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
          return PEM_ERROR;
        }
      else if (!g_ascii_isspace (*c))
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                       "%s is damaged: its base64 text contains the character 0x%02x",
                       what, (guint) (guchar) *c);
          g_clear_pointer (label, g_free);
          return PEM_ERROR;
        }
    }

  if (clean->len == 0 || clean->len % 4 != 0)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   clean->len == 0 ? "%s is empty between its BEGIN and END lines"
                                   : "%s is damaged: its base64 text has a wrong length "
                                     "(lines missing?)", what);
      g_clear_pointer (label, g_free);
      return PEM_ERROR;
    }

  decoded = g_base64_decode (clean->str, &decoded_len);
  *der = g_bytes_new_take (g_steal_pointer (&decoded), decoded_len);
  *pos = after;

  return PEM_BLOCK;
}

static gboolean
is_certificate_label (const char *label)
{
  return g_str_equal (label, "CERTIFICATE") || g_str_equal (label, "X509 CERTIFICATE");
}

static gboolean
is_csr_label (const char *label)
{
  return g_str_equal (label, "CERTIFICATE REQUEST") ||
         g_str_equal (label, "NEW CERTIFICATE REQUEST");
}

static gboolean
is_blank (const guint8 *data,
          gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  return TRUE;
}

static gboolean
looks_like_pem (const guint8 *data,
                gsize         len)
{
  return g_strstr_len ((const char *) data, len, "-----BEGIN ") != NULL;
}

static char *
hex_string (const guint8 *data,
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

static char *
checksum_fingerprint (GChecksumType  type,
                      GBytes        *der)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (type);
  guint8 digest[64];
  gsize digest_len = sizeof digest;

  g_checksum_update (checksum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (checksum, digest, &digest_len);

  return hex_string (digest, digest_len, TRUE, ':');
}

static GBytes *
pubkey_export (gnutls_pubkey_t pub)
{
  gnutls_datum_t out = { NULL, 0 };
  GBytes *bytes;

  if (gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &out) < 0)
    return NULL;

  bytes = g_bytes_new (out.data, out.size);
  gnutls_free (out.data);

  return bytes;
}

/* ---- CbCertificate -------------------------------------------------------------------- */

struct _CbCertificate
{
  GObject                  parent_instance;

  gnutls_x509_crt_t        crt;
  GBytes                  *der;
  GBytes                  *spki;
  gnutls_sign_algorithm_t  sign_algorithm;
  char                    *subject;
  char                    *issuer;
  char                    *common_name;
  char                    *serial;
  char                    *signature_algorithm;
  char                    *sha256_fingerprint;
  char                    *sha1_fingerprint;
  char                    *subject_key_id;
  char                    *authority_key_id;
  char                   **ext_key_usage;
  char                   **subject_alt_names;
  gint64                   not_before;
  gint64                   not_after;
  CbKeyType                key_type;
  int                      version;
  int                      path_len;
  guint                    key_usage;
  guint                    is_ca : 1;
  guint                    has_key_usage : 1;
};

G_DEFINE_FINAL_TYPE (CbCertificate, cb_certificate, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SUBJECT,
  PROP_ISSUER,
  PROP_COMMON_NAME,
  PROP_SERIAL,
  PROP_NOT_BEFORE,
  PROP_NOT_AFTER,
  PROP_SIGNATURE_ALGORITHM,
  PROP_SHA256_FINGERPRINT,
  PROP_IS_CA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cb_certificate_finalize (GObject *object)
{
  CbCertificate *self = (CbCertificate *) object;

  g_clear_pointer (&self->crt, gnutls_x509_crt_deinit);
  g_clear_pointer (&self->der, g_bytes_unref);
  g_clear_pointer (&self->spki, g_bytes_unref);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->common_name, g_free);
  g_clear_pointer (&self->serial, g_free);
  g_clear_pointer (&self->signature_algorithm, g_free);
  g_clear_pointer (&self->sha256_fingerprint, g_free);
  g_clear_pointer (&self->sha1_fingerprint, g_free);
  g_clear_pointer (&self->subject_key_id, g_free);
  g_clear_pointer (&self->authority_key_id, g_free);
  g_clear_pointer (&self->ext_key_usage, g_strfreev);
  g_clear_pointer (&self->subject_alt_names, g_strfreev);

  G_OBJECT_CLASS (cb_certificate_parent_class)->finalize (object);
}

static void
cb_certificate_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CbCertificate *self = CB_CERTIFICATE (object);

  switch (prop_id)
    {
    case PROP_SUBJECT:
      g_value_set_string (value, self->subject);
      break;
    case PROP_ISSUER:
      g_value_set_string (value, self->issuer);
      break;
    case PROP_COMMON_NAME:
      g_value_set_string (value, self->common_name);
      break;
    case PROP_SERIAL:
      g_value_set_string (value, self->serial);
      break;
    case PROP_NOT_BEFORE:
      g_value_set_int64 (value, self->not_before);
      break;
    case PROP_NOT_AFTER:
      g_value_set_int64 (value, self->not_after);
      break;
    case PROP_SIGNATURE_ALGORITHM:
      g_value_set_string (value, self->signature_algorithm);
      break;
    case PROP_SHA256_FINGERPRINT:
      g_value_set_string (value, self->sha256_fingerprint);
      break;
    case PROP_IS_CA:
      g_value_set_boolean (value, self->is_ca);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_certificate_class_init (CbCertificateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_certificate_finalize;
  object_class->get_property = cb_certificate_get_property;

  /* Read-only: a certificate never changes once parsed. For binding in list rows. */
  properties[PROP_SUBJECT] = g_param_spec_string ("subject", NULL, NULL, NULL, flags);
  properties[PROP_ISSUER] = g_param_spec_string ("issuer", NULL, NULL, NULL, flags);
  properties[PROP_COMMON_NAME] = g_param_spec_string ("common-name", NULL, NULL, NULL, flags);
  properties[PROP_SERIAL] = g_param_spec_string ("serial", NULL, NULL, NULL, flags);
  properties[PROP_NOT_BEFORE] =
    g_param_spec_int64 ("not-before", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_NOT_AFTER] =
    g_param_spec_int64 ("not-after", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_SIGNATURE_ALGORITHM] =
    g_param_spec_string ("signature-algorithm", NULL, NULL, NULL, flags);
  properties[PROP_SHA256_FINGERPRINT] =
    g_param_spec_string ("sha256-fingerprint", NULL, NULL, NULL, flags);
  properties[PROP_IS_CA] = g_param_spec_boolean ("is-ca", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_certificate_init (CbCertificate *self)
{
  self->path_len = -1;
  self->key_type = CB_KEY_TYPE_UNKNOWN;
}

static char *
datum_to_string (gnutls_datum_t *datum)
{
  char *str = g_strndup ((const char *) datum->data, datum->size);

  gnutls_free (datum->data);
  datum->data = NULL;

  return str;
}

static char *
crt_get_common_name (gnutls_x509_crt_t crt)
{
  char buf[1024];
  size_t len = sizeof buf;

  /* The most specific CN is the last one in DER order. */
  for (int i = 16; i >= 0; i--)
    {
      len = sizeof buf;
      if (gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, i, 0, buf, &len) == 0)
        return g_strndup (buf, len);
    }

  return NULL;
}

static char **
crt_get_sans (gnutls_x509_crt_t crt)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_null_terminated (4, g_free, TRUE);
  gnutls_datum_t ext = { NULL, 0 };
  gnutls_subject_alt_names_t sans = NULL;
  unsigned int critical = 0;

  if (gnutls_x509_crt_get_extension_by_oid2 (crt, GNUTLS_X509EXT_OID_SAN, 0, &ext,
                                             &critical) < 0)
    return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);

  if (gnutls_subject_alt_names_init (&sans) == 0 &&
      gnutls_x509_ext_import_subject_alt_names (&ext, sans, 0) == 0)
    {
      for (unsigned int i = 0; ; i++)
        {
          gnutls_datum_t san = { NULL, 0 };
          unsigned int type = 0;

          if (gnutls_subject_alt_names_get (sans, i, &type, &san, NULL) < 0)
            break;

          switch (type)
            {
            case GNUTLS_SAN_DNSNAME:
              g_ptr_array_add (out, g_strdup_printf ("DNS:%.*s", (int) san.size, san.data));
              break;
            case GNUTLS_SAN_URI:
              g_ptr_array_add (out, g_strdup_printf ("URI:%.*s", (int) san.size, san.data));
              break;
            case GNUTLS_SAN_RFC822NAME:
              g_ptr_array_add (out, g_strdup_printf ("email:%.*s", (int) san.size, san.data));
              break;
            case GNUTLS_SAN_IPADDRESS:
              {
                char text[INET6_ADDRSTRLEN];

                if ((san.size == 4 && inet_ntop (AF_INET, san.data, text, sizeof text)) ||
                    (san.size == 16 && inet_ntop (AF_INET6, san.data, text, sizeof text)))
                  g_ptr_array_add (out, g_strdup_printf ("IP:%s", text));
              }
              break;
            default:
              break;
            }
        }
    }

  g_clear_pointer (&sans, gnutls_subject_alt_names_deinit);
  gnutls_free (ext.data);

  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

static char **
crt_get_eku (gnutls_x509_crt_t crt)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_null_terminated (2, g_free, TRUE);

  for (unsigned int i = 0; ; i++)
    {
      char oid[256];
      size_t len = sizeof oid;

      if (gnutls_x509_crt_get_key_purpose_oid (crt, i, oid, &len, NULL) < 0)
        break;
      g_ptr_array_add (out, g_strndup (oid, len));
    }

  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

/* what: how to name the certificate in errors ("certificate 2"). */
static CbCertificate *
certificate_new_from_der (GBytes      *der,
                          const char  *what,
                          GError     **error)
{
  g_autoptr(CbCertificate) self = NULL;
  g_autofree char *reason = NULL;
  g_auto(CbX509Pubkey) pub = NULL;
  gnutls_datum_t datum;
  gnutls_datum_t dn = { NULL, 0 };
  guint8 buf[256];
  size_t len;
  unsigned int critical = 0;
  unsigned int ca = 0;
  unsigned int usage = 0;
  int path_len = -1;
  time_t t;
  int ret;

  if (!der_check_sequence (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &reason))
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "%s is not a valid X.509 certificate: %s", what, reason);
      return NULL;
    }

  self = g_object_new (CB_TYPE_CERTIFICATE, NULL);
  self->der = g_bytes_ref (der);

  datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
  datum.size = g_bytes_get_size (der);
  if ((ret = gnutls_x509_crt_init (&self->crt)) < 0 ||
      (ret = gnutls_x509_crt_import (self->crt, &datum, GNUTLS_X509_FMT_DER)) < 0)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "%s is not a valid X.509 certificate: %s", what, gnutls_strerror (ret));
      return NULL;
    }

  if (gnutls_x509_crt_get_dn3 (self->crt, &dn, 0) >= 0)
    self->subject = datum_to_string (&dn);
  else
    self->subject = g_strdup ("");
  if (gnutls_x509_crt_get_issuer_dn3 (self->crt, &dn, 0) >= 0)
    self->issuer = datum_to_string (&dn);
  else
    self->issuer = g_strdup ("");
  self->common_name = crt_get_common_name (self->crt);
  self->version = gnutls_x509_crt_get_version (self->crt);

  /* Lower-case hex of the integer value: a 0x00 that only keeps the number positive is
   * dropped, so the text matches `openssl x509 -serial`. */
  len = sizeof buf;
  if (gnutls_x509_crt_get_serial (self->crt, buf, &len) >= 0 && len > 0)
    {
      gsize skip = 0;

      while (skip + 1 < len && buf[skip] == 0)
        skip++;
      self->serial = hex_string (buf + skip, len - skip, FALSE, '\0');
    }
  else
    self->serial = g_strdup ("");

  t = gnutls_x509_crt_get_activation_time (self->crt);
  self->not_before = t;
  t = gnutls_x509_crt_get_expiration_time (self->crt);
  self->not_after = t;
  if (self->not_before == -1 || self->not_after == -1)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "%s (%s) has an unreadable validity period", what, self->subject);
      return NULL;
    }

  if ((ret = gnutls_pubkey_init (&pub)) < 0 ||
      (ret = gnutls_pubkey_import_x509 (pub, self->crt, 0)) < 0 ||
      (self->spki = pubkey_export (pub)) == NULL)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "%s (%s) has an unreadable public key: %s", what, self->subject,
                   gnutls_strerror (ret));
      return NULL;
    }
  self->key_type = cb_pki_key_type_from_spki (self->spki);

  ret = gnutls_x509_crt_get_signature_algorithm (self->crt);
  self->sign_algorithm = ret < 0 ? GNUTLS_SIGN_UNKNOWN : (gnutls_sign_algorithm_t) ret;
  if (gnutls_sign_get_name (self->sign_algorithm) != NULL)
    self->signature_algorithm = g_strdup (gnutls_sign_get_name (self->sign_algorithm));
  else
    self->signature_algorithm = g_strdup ("unknown");

  self->sha256_fingerprint = checksum_fingerprint (G_CHECKSUM_SHA256, der);
  self->sha1_fingerprint = checksum_fingerprint (G_CHECKSUM_SHA1, der);

  len = sizeof buf;
  if (gnutls_x509_crt_get_subject_key_id (self->crt, buf, &len, &critical) >= 0)
    self->subject_key_id = hex_string (buf, len, FALSE, '\0');
  len = sizeof buf;
  if (gnutls_x509_crt_get_authority_key_id (self->crt, buf, &len, &critical) >= 0)
    self->authority_key_id = hex_string (buf, len, FALSE, '\0');

  if (gnutls_x509_crt_get_basic_constraints (self->crt, &critical, &ca, &path_len) >= 0)
    {
      self->is_ca = ca != 0;
      self->path_len = self->is_ca && path_len >= 0 ? path_len : -1;
    }

  if (gnutls_x509_crt_get_key_usage (self->crt, &usage, &critical) >= 0)
    {
      self->key_usage = usage;
      self->has_key_usage = TRUE;
    }

  self->ext_key_usage = crt_get_eku (self->crt);
  self->subject_alt_names = crt_get_sans (self->crt);

  return g_steal_pointer (&self);
}

CbCertificate *
cb_certificate_new_from_der (GBytes  *der,
                             GError **error)
{
  g_return_val_if_fail (der != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_bytes_get_size (der) == 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "There is no certificate: the input is empty");
      return NULL;
    }

  return certificate_new_from_der (der, "The certificate", error);
}

/* Parses PEM text. With first_only, stops after the first certificate. */
static GPtrArray *
certificate_list_from_pem (const char  *text,
                           gsize        len,
                           gboolean     first_only,
                           GError     **error)
{
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *other_label = NULL;
  const char *pos = text;
  const char *end = text + len;

  for (;;)
    {
      g_autofree char *what = g_strdup_printf ("certificate %u", certs->len + 1);
      g_autofree char *label = NULL;
      g_autoptr(GBytes) der = NULL;
      CbCertificate *cert;

      switch (pem_next_block (&pos, end, what, &label, &der, error))
        {
        case PEM_ERROR:
          /* The message starts with the block name: capitalise it. */
          if (error != NULL && *error != NULL && g_ascii_islower ((*error)->message[0]))
            (*error)->message[0] = g_ascii_toupper ((*error)->message[0]);
          return NULL;
        case PEM_NONE:
          goto done;
        case PEM_BLOCK:
        default:
          break;
        }

      if (!is_certificate_label (label))
        {
          /* Keys or requests next to certificates are skipped (bundles often hold both). */
          if (other_label == NULL)
            other_label = g_steal_pointer (&label);
          continue;
        }

      what[0] = g_ascii_toupper (what[0]);
      if ((cert = certificate_new_from_der (der, what, error)) == NULL)
        return NULL;
      g_ptr_array_add (certs, cert);

      if (first_only)
        break;
    }

done:
  if (certs->len == 0)
    {
      if (other_label != NULL)
        g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                     "The input holds a PEM \"%s\", not a certificate "
                     "(expected \"-----BEGIN CERTIFICATE-----\")", other_label);
      else
        g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                             "There is no certificate in the input");
      return NULL;
    }

  return g_steal_pointer (&certs);
}

CbCertificate *
cb_certificate_new_from_pem (const char  *pem,
                             gssize       len,
                             GError     **error)
{
  g_autoptr(GPtrArray) certs = NULL;

  g_return_val_if_fail (pem != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len < 0)
    len = strlen (pem);

  if (is_blank ((const guint8 *) pem, len))
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "There is no certificate: the input is empty");
      return NULL;
    }

  if (!looks_like_pem ((const guint8 *) pem, len))
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                           "The input is not a PEM certificate: "
                           "there is no \"-----BEGIN CERTIFICATE-----\" line");
      return NULL;
    }

  certs = certificate_list_from_pem (pem, len, TRUE, error);
  if (certs == NULL)
    return NULL;

  return g_object_ref (g_ptr_array_index (certs, 0));
}

CbCertificate *
cb_certificate_new_from_text (const char *text)
{
  g_autoptr(GPtrArray) list = NULL;
  g_autofree guchar *der = NULL;
  gsize len = 0;

  if (text == NULL)
    return NULL;

  if (strstr (text, "-----BEGIN") != NULL)
    {
      list = cb_certificate_list_new_from_data ((const guint8 *) text, strlen (text), NULL);
      return list != NULL && list->len > 0 ? g_object_ref (g_ptr_array_index (list, 0)) : NULL;
    }

  der = g_base64_decode (text, &len);
  if (der != NULL && len > 0)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (der, len);
      return cb_certificate_new_from_der (bytes, NULL);
    }

  return NULL;
}

GPtrArray *
cb_certificate_list_new_from_data (const guint8  *data,
                                   gsize          len,
                                   GError       **error)
{
  g_autoptr(GBytes) der = NULL;
  GPtrArray *certs;
  CbCertificate *cert;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len == 0 || is_blank (data, len))
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "There is no certificate: the input is empty");
      return NULL;
    }

  if (looks_like_pem (data, len))
    return certificate_list_from_pem ((const char *) data, len, FALSE, error);

  if (data[0] != 0x30)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                           "The input is neither PEM (no \"-----BEGIN CERTIFICATE-----\" line) "
                           "nor a DER certificate");
      return NULL;
    }

  der = g_bytes_new (data, len);
  if ((cert = certificate_new_from_der (der, "The DER certificate", error)) == NULL)
    return NULL;

  certs = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (certs, cert);

  return certs;
}

char *
cb_certificate_list_to_pem (GPtrArray *certificates)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (certificates != NULL, NULL);

  for (guint i = 0; i < certificates->len; i++)
    {
      g_autofree char *pem = cb_certificate_to_pem (g_ptr_array_index (certificates, i));

      g_string_append (out, pem);
    }

  return g_string_free (out, FALSE);
}

GBytes *
cb_certificate_get_der (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return g_bytes_ref (self->der);
}

char *
cb_certificate_to_pem (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return pem_encode ("CERTIFICATE", self->der);
}

const char *
cb_certificate_get_subject (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return self->subject;
}

const char *
cb_certificate_get_issuer (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return self->issuer;
}

const char *
cb_certificate_get_common_name (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return self->common_name;
}

const char *
cb_certificate_get_serial (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return self->serial;
}

gint64
cb_certificate_get_not_before (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), 0);

  return self->not_before;
}

gint64
cb_certificate_get_not_after (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), 0);

  return self->not_after;
}

CbKeyType
cb_certificate_get_key_type (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), CB_KEY_TYPE_UNKNOWN);

  return self->key_type;
}

const char *
cb_certificate_get_signature_algorithm (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return self->signature_algorithm;
}

const char *
cb_certificate_get_sha256_fingerprint (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return self->sha256_fingerprint;
}

const char *
cb_certificate_get_sha1_fingerprint (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return self->sha1_fingerprint;
}

const char *
cb_certificate_get_subject_key_id (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return self->subject_key_id;
}

const char *
cb_certificate_get_authority_key_id (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return self->authority_key_id;
}

gboolean
cb_certificate_is_ca (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), FALSE);

  return self->is_ca;
}

int
cb_certificate_get_path_len (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), -1);

  return self->path_len;
}

guint
cb_certificate_get_key_usage (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), 0);

  return self->key_usage;
}

const char * const *
cb_certificate_get_ext_key_usage (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return (const char * const *) self->ext_key_usage;
}

const char * const *
cb_certificate_get_subject_alt_names (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return (const char * const *) self->subject_alt_names;
}

GBytes *
cb_certificate_get_public_key_der (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return g_bytes_ref (self->spki);
}

GBytes *
cb_certificate_get_extension (CbCertificate *self,
                              const char    *oid,
                              gboolean      *critical)
{
  gnutls_datum_t ext = { NULL, 0 };
  unsigned int crit = 0;
  GBytes *bytes;

  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);
  g_return_val_if_fail (oid != NULL, NULL);

  if (gnutls_x509_crt_get_extension_by_oid2 (self->crt, oid, 0, &ext, &crit) < 0)
    return NULL;

  if (critical != NULL)
    *critical = crit != 0;

  bytes = g_bytes_new (ext.data, ext.size);
  gnutls_free (ext.data);

  return bytes;
}

gboolean
cb_certificate_equal (CbCertificate *a,
                      CbCertificate *b)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (a), FALSE);
  g_return_val_if_fail (CB_IS_CERTIFICATE (b), FALSE);

  return a == b || g_bytes_equal (a->der, b->der);
}

static gboolean
signature_verifies (GBytes                  *signed_der,
                    gnutls_sign_algorithm_t  algorithm,
                    GBytes                  *signer_spki)
{
  g_auto(CbX509Pubkey) pub = NULL;
  gnutls_datum_t tbs;
  gnutls_datum_t sig;
  gnutls_datum_t spki;

  if (!der_split_signed (signed_der, &tbs, &sig))
    return FALSE;

  spki.data = (unsigned char *) g_bytes_get_data (signer_spki, NULL);
  spki.size = g_bytes_get_size (signer_spki);
  if (gnutls_pubkey_init (&pub) < 0 ||
      gnutls_pubkey_import (pub, &spki, GNUTLS_X509_FMT_DER) < 0)
    return FALSE;

  /* Signature check only: algorithm strength is judged by the callers, with a clearer
   * message than GnuTLS's "insufficient security". */
  return gnutls_pubkey_verify_data2 (pub, algorithm,
                                     GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 |
                                     GNUTLS_VERIFY_ALLOW_BROKEN,
                                     &tbs, &sig) >= 0;
}

gboolean
cb_certificate_is_issued_by (CbCertificate *self,
                             CbCertificate *issuer)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), FALSE);
  g_return_val_if_fail (CB_IS_CERTIFICATE (issuer), FALSE);

  return signature_verifies (self->der, self->sign_algorithm, issuer->spki);
}

/* ---- Validity ------------------------------------------------------------------------- */

const char *
cb_validity_state_to_string (CbValidityState state)
{
  switch (state)
    {
    case CB_VALIDITY_NOT_YET_VALID:
      return "not-yet-valid";
    case CB_VALIDITY_VALID:
      return "valid";
    case CB_VALIDITY_RENEWAL_DUE:
      return "renewal-due";
    case CB_VALIDITY_EXPIRED:
      return "expired";
    default:
      return "unknown";
    }
}

gint64
cb_validity_get_renewal_point (gint64 not_before,
                               gint64 not_after,
                               double renewal_fraction)
{
  double exact;
  gint64 offset;

  if (renewal_fraction != renewal_fraction)  /* NaN */
    renewal_fraction = CB_DEFAULT_RENEWAL_FRACTION;
  renewal_fraction = CLAMP (renewal_fraction, 0.0, 1.0);

  if (not_after <= not_before)
    return not_after;

  /* Rounded up so the renewal point is never before the exact fraction (no libm here). */
  exact = (double) (not_after - not_before) * renewal_fraction;
  offset = (gint64) exact;
  if ((double) offset < exact)
    offset++;

  return not_before + offset;
}

CbValidityState
cb_validity_get_state (gint64 not_before,
                       gint64 not_after,
                       gint64 now,
                       double renewal_fraction)
{
  /* notBefore and notAfter are both inside the validity period (RFC 5280 4.1.2.5). */
  if (now < not_before)
    return CB_VALIDITY_NOT_YET_VALID;
  if (now > not_after)
    return CB_VALIDITY_EXPIRED;
  if (now >= cb_validity_get_renewal_point (not_before, not_after, renewal_fraction))
    return CB_VALIDITY_RENEWAL_DUE;
  return CB_VALIDITY_VALID;
}

int
cb_validity_get_days_left (gint64 not_after,
                           gint64 now)
{
  gint64 seconds = not_after - now;
  gint64 days;

  /* Floor division, so one second past notAfter is day -1. */
  days = seconds / 86400;
  if (seconds % 86400 != 0 && seconds < 0)
    days--;

  return (int) CLAMP (days, G_MININT, G_MAXINT);
}

double
cb_validity_get_fraction_used (gint64 not_before,
                               gint64 not_after,
                               gint64 now)
{
  if (not_after <= not_before)
    return now >= not_after ? 1.0 : 0.0;

  return CLAMP ((double) (now - not_before) / (double) (not_after - not_before), 0.0, 1.0);
}

CbValidityState
cb_certificate_get_validity_state (CbCertificate *self,
                                   gint64         now,
                                   double         renewal_fraction)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), CB_VALIDITY_EXPIRED);

  return cb_validity_get_state (self->not_before, self->not_after, now, renewal_fraction);
}

/* ---- Chain verification --------------------------------------------------------------- */

static char *
format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  if (dt == NULL)
    return g_strdup_printf ("%" G_GINT64_FORMAT, t);

  return g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC");
}

static gboolean
is_insecure_algorithm (gnutls_sign_algorithm_t algorithm)
{
  gnutls_digest_algorithm_t digest = gnutls_sign_get_hash_algorithm (algorithm);

  return digest == GNUTLS_DIG_SHA1 || digest == GNUTLS_DIG_MD5 || digest == GNUTLS_DIG_MD2 ||
         digest == GNUTLS_DIG_RMD160 ||
         !gnutls_sign_is_secure2 (algorithm, GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS);
}

/* "certificate 2 of 3 (CN=...)", for error messages. index is 0-based, the words 1-based. */
static char *
describe (guint          index,
          guint          total,
          gboolean       is_anchor,
          CbCertificate *cert)
{
  if (is_anchor && index >= total)
    return g_strdup_printf ("the trusted root (%s)", cert->subject);

  if (is_anchor)
    return g_strdup_printf ("certificate %u of %u, the trusted root (%s)",
                            index + 1, total, cert->subject);

  if (index == 0 && !cert->is_ca)
    return g_strdup_printf ("certificate 1 of %u, the leaf (%s)", total, cert->subject);

  return g_strdup_printf ("certificate %u of %u (%s)", index + 1, total, cert->subject);
}

static gboolean
key_ids_conflict (CbCertificate *cert,
                  CbCertificate *issuer)
{
  return cert->authority_key_id != NULL && issuer->subject_key_id != NULL &&
         g_ascii_strcasecmp (cert->authority_key_id, issuer->subject_key_id) != 0;
}

static gboolean
names_issuer (CbCertificate *cert,
              CbCertificate *issuer)
{
  return g_strcmp0 (cert->issuer, issuer->subject) == 0 && !key_ids_conflict (cert, issuer);
}

static gboolean
check_validity (CbCertificate  *cert,
                const char     *desc,
                gint64          now,
                GError        **error)
{
  if (now < cert->not_before)
    {
      g_autofree char *when = format_time (cert->not_before);

      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_NOT_YET_VALID,
                   "%s is not valid yet: its validity starts %s", desc, when);
      return FALSE;
    }

  if (now > cert->not_after)
    {
      g_autofree char *when = format_time (cert->not_after);

      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_EXPIRED,
                   "%s expired on %s", desc, when);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_is_ca (CbCertificate  *issuer,
             const char     *issuer_desc,
             const char     *cert_desc,
             gboolean        is_anchor,
             GError        **error)
{
  /* A version 1 root has no extensions at all; accept it only as a trust anchor. */
  if (is_anchor && issuer->version == 1)
    return TRUE;

  if (!issuer->is_ca)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_NOT_A_CA,
                   "%s signed %s but is not a CA (its basic constraints lack CA:TRUE)",
                   issuer_desc, cert_desc);
      return FALSE;
    }

  if (issuer->has_key_usage && !(issuer->key_usage & CB_KEY_USAGE_KEY_CERT_SIGN))
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_NOT_A_CA,
                   "%s signed %s but its key usage does not allow signing certificates "
                   "(keyCertSign is missing)", issuer_desc, cert_desc);
      return FALSE;
    }

  return TRUE;
}

/* The anchor that issued cert: by name, without conflicting key identifiers, preferring the
 * one whose key verifies the signature (a root and its replacement may share a name). */
static CbCertificate *
find_anchor (CbCertificate *cert,
             GPtrArray     *anchors,
             gboolean      *name_match)
{
  CbCertificate *by_name = NULL;

  *name_match = FALSE;

  for (guint j = 0; j < anchors->len; j++)
    {
      CbCertificate *candidate = g_ptr_array_index (anchors, j);

      if (g_strcmp0 (cert->issuer, candidate->subject) != 0)
        continue;
      *name_match = TRUE;

      if (key_ids_conflict (cert, candidate))
        continue;

      if (cb_certificate_is_issued_by (cert, candidate))
        return candidate;

      if (by_name == NULL)
        by_name = candidate;
    }

  /* Its signature check then fails and is reported as a bad signature. */
  return by_name;
}

static void
set_wrong_issuer_error (GError        **error,
                        GPtrArray      *chain,
                        guint           i,
                        const char     *desc,
                        const char     *next_desc,
                        CbCertificate  *cert,
                        CbCertificate  *next)
{
  int found = -1;

  for (guint j = 0; j < chain->len; j++)
    if (j != i && names_issuer (cert, g_ptr_array_index (chain, j)))
      found = j;

  if (names_issuer (next, cert))
    g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_CHAIN_ORDER,
                 "The chain is out of order: %s is issued by the one before it, %s; the list "
                 "must start with the leaf and go towards the root", next_desc, desc);
  else if (g_strcmp0 (cert->issuer, next->subject) == 0)
    g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_CHAIN_ORDER,
                 "The chain is broken: %s is not issued by the next one, %s; the names match "
                 "but the key identifiers differ (a different CA key with the same name, for "
                 "example a replaced issuing CA)", desc, next_desc);
  else if (found >= 0)
    g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_CHAIN_ORDER,
                 "The chain is out of order: %s is issued by certificate %d, not by the next "
                 "one, %s", desc, found + 1, next_desc);
  else
    g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_CHAIN_ORDER,
                 "The chain is broken: %s is issued by \"%s\", not by the next one, %s",
                 desc, cert->issuer, next_desc);
}

static gboolean
verify_chain (GPtrArray  *chain,
              GPtrArray  *anchors,
              gint64      now,
              GError    **error)
{
  CbCertificate *included_anchor = NULL;
  guint n_chain;

  if (chain->len == 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "The chain holds no certificate");
      return FALSE;
    }

  if (anchors->len == 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_UNKNOWN_ISSUER,
                           "There is no trusted root to verify the chain against");
      return FALSE;
    }

  /* The chain may end with the anchor itself. An anchor anywhere else is out of order, and
   * the walk below reports it. */
  n_chain = chain->len;
  for (guint j = 0; j < anchors->len; j++)
    {
      if (cb_certificate_equal (g_ptr_array_index (chain, chain->len - 1),
                                g_ptr_array_index (anchors, j)))
        {
          included_anchor = g_ptr_array_index (chain, chain->len - 1);
          n_chain = chain->len - 1;
          break;
        }
    }

  for (guint i = 0; i <= n_chain; i++)
    {
      CbCertificate *cert;
      CbCertificate *issuer;
      gboolean issuer_is_anchor;
      g_autofree char *desc = NULL;
      g_autofree char *issuer_desc = NULL;

      /* Past the last chain certificate: only the anchor's own validity is left. */
      if (i == n_chain)
        {
          CbCertificate *anchor = included_anchor;

          if (anchor == NULL)
            break;
          desc = describe (i, chain->len, TRUE, anchor);
          return check_validity (anchor, desc, now, error);
        }

      cert = g_ptr_array_index (chain, i);
      desc = describe (i, chain->len, FALSE, cert);

      if (!check_validity (cert, desc, now, error))
        return FALSE;

      if (is_insecure_algorithm (cert->sign_algorithm))
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_INSECURE_ALGORITHM,
                       "%s is signed with %s, which is no longer secure (SHA-256 or "
                       "stronger is required)", desc, cert->signature_algorithm);
          return FALSE;
        }

      if (i + 1 < chain->len)
        {
          /* The next certificate in the list, trusted or not. */
          issuer = g_ptr_array_index (chain, i + 1);
          issuer_is_anchor = (i + 1 == n_chain);
          issuer_desc = describe (i + 1, chain->len, issuer_is_anchor, issuer);

          if (!names_issuer (cert, issuer))
            {
              set_wrong_issuer_error (error, chain, i, desc, issuer_desc, cert, issuer);
              return FALSE;
            }
        }
      else
        {
          gboolean name_match = FALSE;

          issuer = find_anchor (cert, anchors, &name_match);
          issuer_is_anchor = TRUE;

          if (issuer == NULL)
            {
              if (name_match)
                g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_UNKNOWN_ISSUER,
                             "%s is issued by \"%s\"; a trusted root has that name but a "
                             "different key, so this chain belongs to another root",
                             desc, cert->issuer);
              else
                g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_UNKNOWN_ISSUER,
                             "%s is issued by \"%s\", which is not a trusted root (the "
                             "chain does not end at a known root)", desc, cert->issuer);
              return FALSE;
            }

          issuer_desc = describe (i + 1, i + 1, TRUE, issuer);
        }

      if (!cb_certificate_is_issued_by (cert, issuer))
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_BAD_SIGNATURE,
                       "The signature on %s does not verify with the key of %s (the "
                       "certificate was altered or signed by another key)", desc, issuer_desc);
          return FALSE;
        }

      if (!check_is_ca (issuer, issuer_desc, desc, issuer_is_anchor, error))
        return FALSE;

      /* pathLenConstraint counts the CA certificates below the issuer, the leaf excluded:
       * certificates 1 .. i. */
      if (issuer->path_len >= 0 && (int) i > issuer->path_len)
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PATH_LENGTH,
                       "%s allows %d intermediate CA certificate%s below it, but the chain "
                       "has %u", issuer_desc, issuer->path_len,
                       issuer->path_len == 1 ? "" : "s", i);
          return FALSE;
        }

      if (issuer_is_anchor && i + 1 >= chain->len)
        {
          if (!check_validity (issuer, issuer_desc, now, error))
            return FALSE;
        }
    }

  return TRUE;
}

gboolean
cb_x509_verify_chain (GPtrArray  *chain,
                      GPtrArray  *anchors,
                      gint64      now,
                      GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (chain != NULL, FALSE);
  g_return_val_if_fail (anchors != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (verify_chain (chain, anchors, now, &local_error))
    return TRUE;

  /* Messages often start with a certificate's description: make them sentences. */
  local_error->message[0] = g_ascii_toupper (local_error->message[0]);
  g_propagate_error (error, g_steal_pointer (&local_error));

  return FALSE;
}

/* ---- CbCsr ---------------------------------------------------------------------------- */

struct _CbCsr
{
  GObject            parent_instance;

  gnutls_x509_crq_t  crq;
  GBytes            *der;
  GBytes            *spki;
  char              *subject;
  char              *common_name;
  CbKeyType          key_type;
};

G_DEFINE_FINAL_TYPE (CbCsr, cb_csr, G_TYPE_OBJECT)

static void
cb_csr_finalize (GObject *object)
{
  CbCsr *self = (CbCsr *) object;

  g_clear_pointer (&self->crq, gnutls_x509_crq_deinit);
  g_clear_pointer (&self->der, g_bytes_unref);
  g_clear_pointer (&self->spki, g_bytes_unref);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->common_name, g_free);

  G_OBJECT_CLASS (cb_csr_parent_class)->finalize (object);
}

static void
cb_csr_class_init (CbCsrClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_csr_finalize;
}

static void
cb_csr_init (CbCsr *self)
{
  self->key_type = CB_KEY_TYPE_UNKNOWN;
}

CbCsr *
cb_csr_new_from_der (GBytes  *der,
                     GError **error)
{
  g_autoptr(CbCsr) self = NULL;
  g_autofree char *reason = NULL;
  g_auto(CbX509Pubkey) pub = NULL;
  gnutls_datum_t datum;
  gnutls_datum_t dn = { NULL, 0 };
  char cn[1024];
  size_t cn_len;
  int ret;

  g_return_val_if_fail (der != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_bytes_get_size (der) == 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "There is no certificate request: the input is empty");
      return NULL;
    }

  if (!der_check_sequence (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &reason))
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "The certificate request is not valid PKCS#10: %s", reason);
      return NULL;
    }

  self = g_object_new (CB_TYPE_CSR, NULL);
  self->der = g_bytes_ref (der);

  datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
  datum.size = g_bytes_get_size (der);
  if ((ret = gnutls_x509_crq_init (&self->crq)) < 0 ||
      (ret = gnutls_x509_crq_import (self->crq, &datum, GNUTLS_X509_FMT_DER)) < 0)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "The certificate request is not valid PKCS#10: %s", gnutls_strerror (ret));
      return NULL;
    }

  if (gnutls_x509_crq_get_dn3 (self->crq, &dn, 0) >= 0)
    self->subject = datum_to_string (&dn);
  else
    self->subject = g_strdup ("");

  for (int i = 16; i >= 0 && self->common_name == NULL; i--)
    {
      cn_len = sizeof cn;
      if (gnutls_x509_crq_get_dn_by_oid (self->crq, GNUTLS_OID_X520_COMMON_NAME, i, 0,
                                         cn, &cn_len) == 0)
        self->common_name = g_strndup (cn, cn_len);
    }

  if ((ret = gnutls_pubkey_init (&pub)) < 0 ||
      (ret = gnutls_pubkey_import_x509_crq (pub, self->crq, 0)) < 0 ||
      (self->spki = pubkey_export (pub)) == NULL)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "The certificate request has an unreadable public key: %s",
                   gnutls_strerror (ret));
      return NULL;
    }
  self->key_type = cb_pki_key_type_from_spki (self->spki);

  return g_steal_pointer (&self);
}

CbCsr *
cb_csr_new_from_pem (const char  *pem,
                     gssize       len,
                     GError     **error)
{
  const char *pos;
  const char *end;

  g_return_val_if_fail (pem != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len < 0)
    len = strlen (pem);

  if (is_blank ((const guint8 *) pem, len))
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "There is no certificate request: the input is empty");
      return NULL;
    }

  pos = pem;
  end = pem + len;
  for (;;)
    {
      g_autofree char *label = NULL;
      g_autoptr(GBytes) der = NULL;

      switch (pem_next_block (&pos, end, "The certificate request", &label, &der, error))
        {
        case PEM_ERROR:
          return NULL;
        case PEM_NONE:
          g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                               "The input is not a PEM certificate request: there is no "
                               "\"-----BEGIN CERTIFICATE REQUEST-----\" line");
          return NULL;
        case PEM_BLOCK:
        default:
          break;
        }

      if (is_csr_label (label))
        return cb_csr_new_from_der (der, error);

      if (is_certificate_label (label) || strstr (label, "KEY") != NULL)
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                       "The input holds a PEM \"%s\", not a certificate request "
                       "(expected \"-----BEGIN CERTIFICATE REQUEST-----\")", label);
          return NULL;
        }
    }
}

CbCsr *
cb_csr_new_from_base64 (const char  *base64,
                        GError     **error)
{
  g_autoptr(GString) clean = NULL;
  guchar *decoded;
  gsize decoded_len = 0;

  g_return_val_if_fail (base64 != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  clean = g_string_new (NULL);
  for (const char *c = base64; *c != '\0'; c++)
    {
      if (g_ascii_isalnum (*c) || *c == '+' || *c == '/' || *c == '=')
        g_string_append_c (clean, *c);
      else if (!g_ascii_isspace (*c))
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                       "The certificate request is not base64: it contains the character "
                       "0x%02x", (guint) (guchar) *c);
          return NULL;
        }
    }

  if (clean->len == 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "There is no certificate request: the input is empty");
      return NULL;
    }

  if (clean->len % 4 != 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                           "The certificate request's base64 text has a wrong length "
                           "(truncated?)");
      return NULL;
    }

  decoded = g_base64_decode (clean->str, &decoded_len);
  {
    g_autoptr(GBytes) der = g_bytes_new_take (decoded, decoded_len);

    return cb_csr_new_from_der (der, error);
  }
}

GBytes *
cb_csr_get_der (CbCsr *self)
{
  g_return_val_if_fail (CB_IS_CSR (self), NULL);

  return g_bytes_ref (self->der);
}

const char *
cb_csr_get_subject (CbCsr *self)
{
  g_return_val_if_fail (CB_IS_CSR (self), NULL);

  return self->subject;
}

const char *
cb_csr_get_common_name (CbCsr *self)
{
  g_return_val_if_fail (CB_IS_CSR (self), NULL);

  return self->common_name;
}

CbKeyType
cb_csr_get_key_type (CbCsr *self)
{
  g_return_val_if_fail (CB_IS_CSR (self), CB_KEY_TYPE_UNKNOWN);

  return self->key_type;
}

GBytes *
cb_csr_get_public_key_der (CbCsr *self)
{
  g_return_val_if_fail (CB_IS_CSR (self), NULL);

  return g_bytes_ref (self->spki);
}

gboolean
cb_csr_verify_signature (CbCsr   *self,
                         GError **error)
{
  int algorithm;

  g_return_val_if_fail (CB_IS_CSR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  algorithm = gnutls_x509_crq_get_signature_algorithm (self->crq);
  if (algorithm < 0 ||
      !signature_verifies (self->der, (gnutls_sign_algorithm_t) algorithm, self->spki))
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_BAD_SIGNATURE,
                   "The certificate request for \"%s\" is not signed by its own key "
                   "(it was altered, or the wrong key signed it)",
                   self->common_name != NULL ? self->common_name : self->subject);
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_csr_check (CbCsr       *self,
              const char  *expected_cn,
              GBytes      *expected_public_key_der,
              GError     **error)
{
  g_return_val_if_fail (CB_IS_CSR (self), FALSE);
  g_return_val_if_fail (expected_cn != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cb_csr_verify_signature (self, error))
    return FALSE;

  if (self->key_type != CB_KEY_TYPE_EC_P256 && self->key_type != CB_KEY_TYPE_EC_P384)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_UNSUPPORTED_KEY,
                   "The certificate request's key is %s; only EC P-256 and P-384 keys "
                   "are accepted", cb_key_type_to_string (self->key_type));
      return FALSE;
    }

  if (g_strcmp0 (self->common_name, expected_cn) != 0)
    {
      if (self->common_name == NULL)
        g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_WRONG_NAME,
                     "The certificate request has no common name; expected \"%s\"",
                     expected_cn);
      else
        g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_WRONG_NAME,
                     "The certificate request is for \"%s\", expected \"%s\"",
                     self->common_name, expected_cn);
      return FALSE;
    }

  if (expected_public_key_der != NULL && !g_bytes_equal (self->spki, expected_public_key_der))
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_WRONG_KEY,
                           "The certificate request's public key is not the expected one");
      return FALSE;
    }

  return TRUE;
}
