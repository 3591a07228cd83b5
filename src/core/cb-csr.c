/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-x509"

/* CbCsr: a PKCS#10 certificate signing request read from DER, PEM or base64, its subject and
 * key, its signature and the checks the station makes before sending it to be signed. */

#include "config.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "cb-csr.h"
#include "cb-pki-private.h"
#include "cb-pki.h"
#include "cb-x509-encoding-private.h"
#include "cb-x509-error.h"

struct _CbCsr
{
  GObject            parent_instance;

  gnutls_x509_crq_t  crq;
  GBytes            *der;
  GBytes            *spki;
  gnutls_pubkey_t    pub;            /* the key, parsed once: its type, the signature */
  char              *subject;
  char              *common_name;
  CbKeyType          key_type;
  gboolean           signature_ok;   /* verified once: the DER cannot change */
};

G_DEFINE_FINAL_TYPE (CbCsr, cb_csr, G_TYPE_OBJECT)

static void
cb_csr_finalize (GObject *object)
{
  CbCsr *self = (CbCsr *) object;

  g_clear_pointer (&self->crq, gnutls_x509_crq_deinit);
  g_clear_pointer (&self->der, g_bytes_unref);
  g_clear_pointer (&self->spki, g_bytes_unref);
  g_clear_pointer (&self->pub, gnutls_pubkey_deinit);
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

  if (!cb_x509_der_check_sequence (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &reason))
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
    self->subject = cb_x509_datum_to_string (&dn);
  else
    self->subject = g_strdup ("");

  /* The last CN (of the first 17), counted upwards: the indices have no gaps. */
  for (int i = 0; i <= 16; i++)
    {
      cn_len = sizeof cn;
      ret = gnutls_x509_crq_get_dn_by_oid (self->crq, GNUTLS_OID_X520_COMMON_NAME, i, 0, cn,
                                           &cn_len);
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret == 0)
        {
          g_free (self->common_name);
          self->common_name = g_strndup (cn, cn_len);
        }
    }

  if ((ret = gnutls_pubkey_init (&self->pub)) < 0 ||
      (ret = cb_x509_import_key (der, NULL, self->crq, self->pub, &self->spki,
                                 &self->key_type)) < 0)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "The certificate request has an unreadable public key: %s",
                   gnutls_strerror (ret));
      return NULL;
    }

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

  if (cb_x509_is_blank ((const guint8 *) pem, len))
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

      switch (cb_x509_pem_next_block (&pos, end, "The certificate request", &label, &der, error))
        {
        case CB_X509_PEM_ERROR:
          return NULL;
        case CB_X509_PEM_NONE:
          g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                               "The input is not a PEM certificate request: there is no "
                               "\"-----BEGIN CERTIFICATE REQUEST-----\" line");
          return NULL;
        case CB_X509_PEM_BLOCK:
        default:
          break;
        }

      if (cb_x509_is_csr_label (label))
        return cb_csr_new_from_der (der, error);

      if (cb_x509_is_certificate_label (label) || strstr (label, "KEY") != NULL)
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

  if (self->signature_ok)
    return TRUE;

  algorithm = gnutls_x509_crq_get_signature_algorithm (self->crq);
  if (algorithm < 0 ||
      !cb_x509_signature_verifies (self->der, (gnutls_sign_algorithm_t) algorithm, self->pub))
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_BAD_SIGNATURE,
                   "The certificate request for \"%s\" is not signed by its own key "
                   "(it was altered, or the wrong key signed it)",
                   self->common_name != NULL ? self->common_name : self->subject);
      return FALSE;
    }

  self->signature_ok = TRUE;
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
