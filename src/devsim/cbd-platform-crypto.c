/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cbd-crypto"

#include "config.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "cb-pki.h"
#include "cb-x509.h"
#include "cbd-host.h"

/* The device's crypto on GnuTLS through cb-pki/cb-x509. Key blobs are PKCS#8 PEM. */

static int keygen_delay_ms;

void
cbd_crypto_set_keygen_delay (int ms)
{
  keygen_delay_ms = ms;
}

static int
bytes_out (GBytes *bytes, uint8_t **out, size_t *out_len)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  uint8_t *copy = malloc (len > 0 ? len : 1);

  if (copy == NULL)
    return -1;
  if (len > 0)
    memcpy (copy, data, len);
  *out = copy;
  *out_len = len;
  return 0;
}

static CbKey *
key_from_blob (const uint8_t *key, size_t key_len)
{
  g_autoptr(GError) error = NULL;
  CbKey *k = cb_key_new_from_pem ((const char *) key, (gssize) key_len, &error);

  if (k == NULL)
    g_warning ("Stored device key is unreadable: %s", error->message);
  return k;
}

static int
crypto_random (void *ctx, uint8_t *out, size_t len)
{
  return gnutls_rnd (GNUTLS_RND_RANDOM, out, len) == 0 ? 0 : -1;
}

static int
crypto_keygen (void *ctx, const char *type, uint8_t **key, size_t *key_len)
{
  g_autoptr(CbKey) k = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;
  CbKeyType kt;
  size_t n;

  if (g_strcmp0 (type, "p256") == 0)
    kt = CB_KEY_TYPE_EC_P256;
  else if (g_strcmp0 (type, "p384") == 0)
    kt = CB_KEY_TYPE_EC_P384;
  else
    return -1;

  /* The slow-keygen fault: a device busy in its crypto engine does not read the port. */
  if (keygen_delay_ms > 0)
    g_usleep ((gulong) keygen_delay_ms * 1000);

  k = cb_key_generate (kt, &error);
  if (k == NULL)
    {
      g_warning ("Key generation failed: %s", error->message);
      return -1;
    }
  pem = cb_key_to_pem (k, &error);
  if (pem == NULL)
    return -1;
  n = strlen (pem);
  *key = malloc (n);
  if (*key == NULL)
    {
      explicit_bzero (pem, n);
      return -1;
    }
  memcpy (*key, pem, n);
  *key_len = n;
  explicit_bzero (pem, n);
  return 0;
}

static int
crypto_public_key (void *ctx, const uint8_t *key, size_t key_len, uint8_t **spki, size_t *spki_len)
{
  g_autoptr(CbKey) k = key_from_blob (key, key_len);
  g_autoptr(GBytes) pub = NULL;

  if (k == NULL)
    return -1;
  pub = cb_key_get_public_key_der (k);
  if (pub == NULL)
    return -1;
  return bytes_out (pub, spki, spki_len);
}

static int
crypto_csr (void *ctx, const uint8_t *key, size_t key_len, const char *cn,
            uint8_t **der, size_t *der_len)
{
  g_autoptr(CbKey) k = key_from_blob (key, key_len);
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GError) error = NULL;

  if (k == NULL)
    return -1;
  csr = cb_csr_create (k, cn, &error);
  if (csr == NULL)
    {
      g_warning ("CSR creation failed: %s", error->message);
      return -1;
    }
  return bytes_out (csr, der, der_len);
}

static int
crypto_sign (void *ctx, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
             uint8_t **sig, size_t *sig_len)
{
  g_autoptr(CbKey) k = key_from_blob (key, key_len);
  g_autoptr(GBytes) s = NULL;
  g_autoptr(GError) error = NULL;

  if (k == NULL)
    return -1;
  s = cb_key_sign (k, msg, msg_len, &error);
  if (s == NULL)
    {
      g_warning ("Signing failed: %s", error->message);
      return -1;
    }
  return bytes_out (s, sig, sig_len);
}

static int
crypto_cert_info (void *ctx, const uint8_t *der, size_t der_len, uint8_t **spki,
                  size_t *spki_len, int64_t *not_before, int64_t *not_after)
{
  g_autoptr(GBytes) bytes = g_bytes_new (der, der_len);
  g_autoptr(CbCertificate) cert = NULL;
  g_autoptr(GError) error = NULL;

  cert = cb_certificate_new_from_der (bytes, &error);
  if (cert == NULL)
    return -1;
  if (not_before != NULL)
    *not_before = cb_certificate_get_not_before (cert);
  if (not_after != NULL)
    *not_after = cb_certificate_get_not_after (cert);
  if (spki != NULL)
    {
      g_autoptr(GBytes) pub = cb_certificate_get_public_key_der (cert);
      if (pub == NULL)
        return -1;
      return bytes_out (pub, spki, spki_len);
    }
  return 0;
}

static int
crypto_cert_cn (void *ctx, const uint8_t *der, size_t der_len, char **cn)
{
  g_autoptr(GBytes) bytes = g_bytes_new (der, der_len);
  g_autoptr(CbCertificate) cert = cb_certificate_new_from_der (bytes, NULL);
  const char *name;

  if (cert == NULL || (name = cb_certificate_get_common_name (cert)) == NULL)
    return -1;
  *cn = strdup (name);
  return *cn != NULL ? 0 : -1;
}

static void
crypto_sha256 (void *ctx, const uint8_t *data, size_t len, uint8_t out[32])
{
  static const uint8_t empty[1];

  gnutls_hash_fast (GNUTLS_DIG_SHA256, len > 0 ? (const void *) data : (const void *) empty,
                    len, out);
}

void
cbd_crypto_fill (cbd_platform *platform)
{
  platform->random = crypto_random;
  platform->keygen = crypto_keygen;
  platform->public_key = crypto_public_key;
  platform->csr = crypto_csr;
  platform->sign = crypto_sign;
  platform->cert_info = crypto_cert_info;
  platform->sha256 = crypto_sha256;
  platform->cert_cn = crypto_cert_cn;
}
