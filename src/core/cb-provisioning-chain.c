/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-chain"

/* Cutting a device's stored chain (concatenated DER certificates) into certificates. The
 * issuing CAs and the root repeat for every device of a station: they are parsed once and
 * kept, by the SHA-256 of their DER. */

#include "config.h"

#include "cb-provisioning-chain.h"
#include "cb-x509.h"

/* Length of the DER SEQUENCE at data, header included; 0 when it is not a complete one. */
static gsize
der_sequence_length (const guint8 *data,
                     gsize         avail)
{
  gsize len, header;

  if (avail < 2 || data[0] != 0x30)
    return 0;

  if (data[1] < 0x80)
    {
      len = data[1];
      header = 2;
    }
  else
    {
      guint n = data[1] & 0x7f;

      if (n == 0 || n > 4 || avail < 2 + n)
        return 0;
      len = 0;
      for (guint i = 0; i < n; i++)
        len = (len << 8) | data[2 + i];
      header = 2 + n;
    }

  if (len > avail - header)
    return 0;
  return header + len;
}

/* Parsed CA certificates by the SHA-256 of their DER; emptied when full (a station sees a
 * handful). CbCertificate is immutable, so one object serves every run and thread. */
#define PARSED_CA_MAX 64

static GMutex parsed_ca_lock;
static GHashTable *parsed_cas;

static CbCertificate *
certificate_from_der (GBytes    *der,
                      gboolean   may_be_ca,
                      GError   **error)
{
  g_autofree char *hash = NULL;
  CbCertificate *cert;

  /* The first certificate is the device's own leaf: new on every run. */
  if (!may_be_ca)
    return cb_certificate_new_from_der (der, error);

  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, der);
  g_mutex_lock (&parsed_ca_lock);
  cert = parsed_cas != NULL ? g_hash_table_lookup (parsed_cas, hash) : NULL;
  if (cert != NULL)
    g_object_ref (cert);
  g_mutex_unlock (&parsed_ca_lock);
  if (cert != NULL)
    return cert;

  cert = cb_certificate_new_from_der (der, error);
  if (cert == NULL || !cb_certificate_is_ca (cert))
    return cert;

  g_mutex_lock (&parsed_ca_lock);
  if (parsed_cas == NULL)
    parsed_cas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  if (g_hash_table_size (parsed_cas) >= PARSED_CA_MAX)
    g_hash_table_remove_all (parsed_cas);
  g_hash_table_replace (parsed_cas, g_steal_pointer (&hash), g_object_ref (cert));
  g_mutex_unlock (&parsed_ca_lock);

  return cert;
}

GPtrArray *
cb_provisioning_split_chain (GBytes  *der_chain,
                             GError **error)
{
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);
  gsize len = 0;
  const guint8 *data;
  gsize offset = 0;

  g_return_val_if_fail (der_chain != NULL, NULL);

  data = g_bytes_get_data (der_chain, &len);
  if (len == 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY, "The chain is empty");
      return NULL;
    }

  while (offset < len)
    {
      gsize one = der_sequence_length (data + offset, len - offset);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) local_error = NULL;
      CbCertificate *cert;

      if (one == 0)
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                       "The chain is not a sequence of DER certificates (at byte %" G_GSIZE_FORMAT
                       " of %" G_GSIZE_FORMAT ")", offset, len);
          return NULL;
        }

      bytes = g_bytes_new_from_bytes (der_chain, offset, one);
      cert = certificate_from_der (bytes, offset > 0, &local_error);
      if (cert == NULL)
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                       "Certificate %u of the chain cannot be read: %s", chain->len + 1,
                       local_error->message);
          return NULL;
        }
      g_ptr_array_add (chain, cert);
      offset += one;
    }

  return g_steal_pointer (&chain);
}
