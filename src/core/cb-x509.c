/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-x509"

#include "config.h"

#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>
#include <string.h>

#include "cb-pki-private.h"
#include "cb-x509-encoding-private.h"
#include "cb-x509-private.h"


/* ---- CbCertificate -------------------------------------------------------------------- */


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
  g_clear_pointer (&self->pub, gnutls_pubkey_deinit);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->common_name, g_free);
  g_clear_pointer (&self->serial, g_free);
  g_clear_pointer (&self->signature_algorithm, g_free);
  g_clear_pointer (&self->sha256_fingerprint, g_free);
  g_clear_pointer (&self->subject_key_id, g_free);
  g_clear_pointer (&self->authority_key_id, g_free);
  if (self->extras != NULL)
    {
      g_free (self->extras->sha1_fingerprint);
      g_strfreev (self->extras->ext_key_usage);
      g_strfreev (self->extras->subject_alt_names);
      g_free (self->extras);
    }

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
crt_get_common_name (gnutls_x509_crt_t crt)
{
  char buf[1024];
  char *cn = NULL;

  /* The most specific CN is the last one in DER order (of the first 17): counted upwards, so a
   * subject with one CN costs two look-ups, not seventeen. The indices have no gaps. */
  for (int i = 0; i <= 16; i++)
    {
      size_t len = sizeof buf;
      int ret = gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, i, 0, buf, &len);

      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret == 0)
        {
          g_free (cn);
          cn = g_strndup (buf, len);
        }
    }

  return cn;
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

  if (!cb_x509_der_check_sequence (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &reason))
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
    self->subject = cb_x509_datum_to_string (&dn);
  else
    self->subject = g_strdup ("");
  if (gnutls_x509_crt_get_issuer_dn3 (self->crt, &dn, 0) >= 0)
    self->issuer = cb_x509_datum_to_string (&dn);
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
      self->serial = cb_x509_hex_string (buf + skip, len - skip, FALSE, '\0');
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

  /* The key is kept parsed; its type comes from it, not from importing the SPKI again. */
  if ((ret = gnutls_pubkey_init (&self->pub)) < 0 ||
      (ret = cb_x509_import_key (der, self->crt, NULL, self->pub, &self->spki,
                                 &self->key_type)) < 0)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "%s (%s) has an unreadable public key: %s", what, self->subject,
                   gnutls_strerror (ret));
      return NULL;
    }

  ret = gnutls_x509_crt_get_signature_algorithm (self->crt);
  self->sign_algorithm = ret < 0 ? GNUTLS_SIGN_UNKNOWN : (gnutls_sign_algorithm_t) ret;
  if (gnutls_sign_get_name (self->sign_algorithm) != NULL)
    self->signature_algorithm = g_strdup (gnutls_sign_get_name (self->sign_algorithm));
  else
    self->signature_algorithm = g_strdup ("unknown");

  self->sha256_fingerprint = cb_x509_checksum_fingerprint (G_CHECKSUM_SHA256, der);

  len = sizeof buf;
  if (gnutls_x509_crt_get_subject_key_id (self->crt, buf, &len, &critical) >= 0)
    self->subject_key_id = cb_x509_hex_string (buf, len, FALSE, '\0');
  len = sizeof buf;
  if (gnutls_x509_crt_get_authority_key_id (self->crt, buf, &len, &critical) >= 0)
    self->authority_key_id = cb_x509_hex_string (buf, len, FALSE, '\0');

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

  return g_steal_pointer (&self);
}

CbCertificateExtras *
cb_certificate_get_extras (CbCertificate *self)
{
  if (g_once_init_enter (&self->extras))
    {
      CbCertificateExtras *extras = g_new0 (CbCertificateExtras, 1);

      extras->sha1_fingerprint = cb_x509_checksum_fingerprint (G_CHECKSUM_SHA1, self->der);
      extras->ext_key_usage = crt_get_eku (self->crt);
      extras->subject_alt_names = crt_get_sans (self->crt);
      g_once_init_leave (&self->extras, extras);
    }

  return self->extras;
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

      switch (cb_x509_pem_next_block (&pos, end, what, &label, &der, error))
        {
        case CB_X509_PEM_ERROR:
          /* The message starts with the block name: capitalise it. */
          if (error != NULL && *error != NULL && g_ascii_islower ((*error)->message[0]))
            (*error)->message[0] = g_ascii_toupper ((*error)->message[0]);
          return NULL;
        case CB_X509_PEM_NONE:
          goto done;
        case CB_X509_PEM_BLOCK:
        default:
          break;
        }

      if (!cb_x509_is_certificate_label (label))
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

  if (cb_x509_is_blank ((const guint8 *) pem, len))
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "There is no certificate: the input is empty");
      return NULL;
    }

  if (!cb_x509_looks_like_pem ((const guint8 *) pem, len))
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

  if (len == 0 || cb_x509_is_blank (data, len))
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "There is no certificate: the input is empty");
      return NULL;
    }

  if (cb_x509_looks_like_pem (data, len))
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

  return cb_x509_pem_encode ("CERTIFICATE", self->der);
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

  return cb_certificate_get_extras (self)->sha1_fingerprint;
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

  return (const char * const *) cb_certificate_get_extras (self)->ext_key_usage;
}

const char * const *
cb_certificate_get_subject_alt_names (CbCertificate *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  return (const char * const *) cb_certificate_get_extras (self)->subject_alt_names;
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

gboolean
cb_certificate_verify_signature (CbCertificate  *self,
                                 const guint8   *data,
                                 gsize           len,
                                 GBytes         *signature,
                                 GError        **error)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return cb_pki_verify_signature_with_pubkey (self->pub, data, len, signature, error);
}

/* CA certificates whose signature verified with an issuer's key, as "CA hash/issuer hash"
 * (SHA-256 of each DER): a station checks the same issuing CA under the same root for every
 * device. Only successes are kept, and only for CAs (each leaf is checked once); emptied when
 * full. */
#define VERIFIED_CA_MAX 256

static GMutex verified_ca_lock;
static GHashTable *verified_cas;

gboolean
cb_certificate_is_issued_by (CbCertificate *self,
                             CbCertificate *issuer)
{
  g_autofree char *key = NULL;
  gboolean known;

  g_return_val_if_fail (CB_IS_CERTIFICATE (self), FALSE);
  g_return_val_if_fail (CB_IS_CERTIFICATE (issuer), FALSE);

  if (!self->is_ca)
    return cb_x509_signature_verifies (self->der, self->sign_algorithm, issuer->pub);

  key = g_strconcat (self->sha256_fingerprint, "/", issuer->sha256_fingerprint, NULL);
  g_mutex_lock (&verified_ca_lock);
  known = verified_cas != NULL && g_hash_table_contains (verified_cas, key);
  g_mutex_unlock (&verified_ca_lock);
  if (known)
    return TRUE;

  if (!cb_x509_signature_verifies (self->der, self->sign_algorithm, issuer->pub))
    return FALSE;

  g_mutex_lock (&verified_ca_lock);
  if (verified_cas == NULL)
    verified_cas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (g_hash_table_size (verified_cas) >= VERIFIED_CA_MAX)
    g_hash_table_remove_all (verified_cas);
  g_hash_table_add (verified_cas, g_steal_pointer (&key));
  g_mutex_unlock (&verified_ca_lock);

  return TRUE;
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
