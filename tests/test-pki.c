/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "cb-pki.h"
#include "cb-util.h"

#define HOUR (60 * 60)
#define DAY  (24 * HOUR)

static const char *ica_eku[] = { "1.3.6.1.5.5.7.3.2", NULL };

/* ---- helpers -------------------------------------------------------------------------- */

static char *tmp_dir;

static char *
write_tmp (const char   *name,
           const void   *data,
           gsize         len)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmp_dir, name, NULL);

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);

  return path;
}

static gboolean
have_openssl (void)
{
  g_autofree char *path = g_find_program_in_path ("openssl");

  if (path == NULL)
    {
      g_test_skip ("openssl is not installed");
      return FALSE;
    }
  return TRUE;
}

/* Runs openssl with argv (NULL-terminated, without "openssl"), asserts success, returns stdout. */
static char *
run_openssl (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;

  g_ptr_array_add (argv, (char *) "openssl");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("openssl stderr: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return out;
}

static gnutls_x509_crt_t
import_crt (GBytes *der)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum;

  datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
  datum.size = g_bytes_get_size (der);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER), ==, 0);

  return crt;
}

typedef struct
{
  CbKey  *root_key;
  GBytes *root;
  CbKey  *ica_key;
  GBytes *ica;
  CbKey  *leaf_key;
  GBytes *leaf;
} Chain;

static GBytes *
issue_root (CbKey  *key,
            gint64  now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
  CbCertProfile profile = {
    .subject_dn = "CN=Test Root,O=Certbench Tests",
    .not_before = now - HOUR,
    .not_after = now + 365 * DAY,
    .is_ca = TRUE,
    .path_len = 1,
    .key_usage = GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN | GNUTLS_KEY_DIGITAL_SIGNATURE,
  };
  GBytes *der = cb_cert_issue (&profile, spki, key, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (der);
  return der;
}

static void
chain_init (Chain *c)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) ica_spki = NULL;
  g_autoptr(GBytes) leaf_spki = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  static const char *leaf_dns[] = { "dev-1.example.net", NULL };
  static const char *leaf_uri[] = { "urn:certbench:credential:1234", NULL };
  static const char *leaf_ip[] = { "192.0.2.7", "2001:db8::1", NULL };
  g_autoptr(GBytes) ext_value = g_bytes_new_static ("\x0c\x05hello", 7);
  CbCertExtension ext = { "1.3.6.1.4.1.55555.1.1", ext_value, FALSE };
  CbCertProfile ica_profile = {
    .subject_dn = "CN=Test ICA,O=Certbench Tests",
    .not_before = now - HOUR,
    .not_after = now + 100 * DAY,
    .is_ca = TRUE,
    .path_len = 0,
    .key_usage = GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN | GNUTLS_KEY_DIGITAL_SIGNATURE,
    .ext_key_usage = ica_eku,
    .crl_url = "http://127.0.0.1/root.crl",
  };
  CbCertProfile leaf_profile = {
    .subject_dn = "CN=dev-1",
    .not_before = now - 300,
    .not_after = now + 30 * DAY,
    .is_ca = FALSE,
    .path_len = -1,
    .key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE,
    .ext_key_usage = ica_eku,
    .san_dns = leaf_dns,
    .san_uri = leaf_uri,
    .san_ip = leaf_ip,
    .crl_url = "http://127.0.0.1/ica.crl",
    .extensions = &ext,
    .n_extensions = 1,
  };

  c->root_key = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
  g_assert_no_error (error);
  c->ica_key = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
  g_assert_no_error (error);
  c->leaf_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);

  c->root = issue_root (c->root_key, now);

  ica_spki = cb_key_get_public_key_der (c->ica_key);
  c->ica = cb_cert_issue (&ica_profile, ica_spki, c->root_key, c->root, &error);
  g_assert_no_error (error);
  g_assert_nonnull (c->ica);

  leaf_spki = cb_key_get_public_key_der (c->leaf_key);
  c->leaf = cb_cert_issue (&leaf_profile, leaf_spki, c->ica_key, c->ica, &error);
  g_assert_no_error (error);
  g_assert_nonnull (c->leaf);
}

static void
chain_clear (Chain *c)
{
  g_clear_pointer (&c->root_key, cb_key_unref);
  g_clear_pointer (&c->ica_key, cb_key_unref);
  g_clear_pointer (&c->leaf_key, cb_key_unref);
  g_clear_pointer (&c->root, g_bytes_unref);
  g_clear_pointer (&c->ica, g_bytes_unref);
  g_clear_pointer (&c->leaf, g_bytes_unref);
}

/* ---- keys ----------------------------------------------------------------------------- */

static void
test_key_generate (void)
{
  static const CbKeyType types[] = {
    CB_KEY_TYPE_EC_P256, CB_KEY_TYPE_EC_P384, CB_KEY_TYPE_EC_P521, CB_KEY_TYPE_RSA,
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbKey) key = cb_key_generate (types[i], &error);
      g_autoptr(CbKey) again = NULL;
      g_autoptr(GBytes) spki = NULL;
      g_autoptr(GBytes) spki_again = NULL;
      g_autofree char *pem = NULL;

      g_assert_no_error (error);
      g_assert_nonnull (key);
      g_assert_cmpint (cb_key_get_key_type (key), ==, types[i]);

      pem = cb_key_to_pem (key, &error);
      g_assert_no_error (error);
      g_assert_true (g_str_has_prefix (pem, "-----BEGIN PRIVATE KEY-----\n"));

      again = cb_key_new_from_pem (pem, -1, &error);
      g_assert_no_error (error);
      g_assert_cmpint (cb_key_get_key_type (again), ==, types[i]);

      spki = cb_key_get_public_key_der (key);
      spki_again = cb_key_get_public_key_der (again);
      g_assert_true (g_bytes_equal (spki, spki_again));
      g_assert_cmpint (cb_pki_key_type_from_spki (spki), ==, types[i]);
    }

  g_assert_cmpstr (cb_key_type_to_string (CB_KEY_TYPE_EC_P384), ==, "EC P-384");
  g_assert_cmpstr (cb_key_type_to_string (CB_KEY_TYPE_RSA), ==, "RSA");
}

static void
test_key_generate_unknown (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_UNKNOWN, &error);

  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_assert_null (key);
}

static void
test_key_pem_invalid (void)
{
  static const char *inputs[] = {
    "",
    "garbage",
    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n",
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbKey) key = cb_key_new_from_pem (inputs[i], -1, &error);

      g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY);
      g_assert_null (key);
    }
}

/* The SPKI and PKCS#8 forms agree with OpenSSL, and an OpenSSL "EC PRIVATE KEY" loads. */
static void
test_key_openssl (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(CbKey) ossl_key = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) ossl_spki = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *spki_path = NULL;
  g_autofree char *ossl_path = NULL;
  g_autofree char *ossl_pem = NULL;
  g_autofree char *out = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!have_openssl ())
    return;

  key = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
  g_assert_no_error (error);
  pem = cb_key_to_pem (key, &error);
  g_assert_no_error (error);
  key_path = write_tmp ("p384.pem", pem, strlen (pem));
  spki_path = g_build_filename (tmp_dir, "p384.spki", NULL);

  out = run_openssl ((const char *[]) { "pkey", "-in", key_path, "-pubout", "-outform", "DER",
                                        "-out", spki_path, NULL });
  g_file_get_contents (spki_path, &contents, &len, &error);
  g_assert_no_error (error);
  spki = cb_key_get_public_key_der (key);
  g_assert_cmpmem (contents, len, g_bytes_get_data (spki, NULL), g_bytes_get_size (spki));

  ossl_path = g_build_filename (tmp_dir, "ossl-ec.pem", NULL);
  g_free (run_openssl ((const char *[]) { "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                                          "-out", ossl_path, NULL }));
  g_file_get_contents (ossl_path, &ossl_pem, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (ossl_pem, "-----BEGIN EC PRIVATE KEY-----"));
  ossl_key = cb_key_new_from_pem (ossl_pem, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_key_get_key_type (ossl_key), ==, CB_KEY_TYPE_EC_P256);
  ossl_spki = cb_key_get_public_key_der (ossl_key);
  g_assert_nonnull (ossl_spki);
}

/* ---- proof-of-possession signatures --------------------------------------------------- */

static void
test_sign_verify (void)
{
  static const CbKeyType types[] = {
    CB_KEY_TYPE_EC_P256, CB_KEY_TYPE_EC_P384, CB_KEY_TYPE_EC_P521,
  };
  static const guint8 nonce[] = "sandbox-nonce-1234";

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbKey) key = cb_key_generate (types[i], &error);
      g_autoptr(CbKey) other = cb_key_generate (types[i], &error);
      g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
      g_autoptr(GBytes) other_spki = cb_key_get_public_key_der (other);
      g_autoptr(GBytes) sig = NULL;
      g_autoptr(GBytes) tampered = NULL;
      g_autofree guint8 *copy = NULL;
      const guint8 *sig_data;

      g_assert_no_error (error);

      sig = cb_key_sign (key, nonce, sizeof nonce, &error);
      g_assert_no_error (error);
      sig_data = g_bytes_get_data (sig, NULL);
      /* DER Ecdsa-Sig-Value: a SEQUENCE. */
      g_assert_cmpint (sig_data[0], ==, 0x30);

      g_assert_true (cb_pki_verify_signature (spki, nonce, sizeof nonce, sig, &error));
      g_assert_no_error (error);

      /* Wrong key. */
      g_assert_false (cb_pki_verify_signature (other_spki, nonce, sizeof nonce, sig, &error));
      g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
      g_clear_error (&error);

      /* Other data. */
      g_assert_false (cb_pki_verify_signature (spki, nonce, sizeof nonce - 2, sig, &error));
      g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
      g_clear_error (&error);

      /* A flipped bit in the signature. */
      copy = g_memdup2 (sig_data, g_bytes_get_size (sig));
      copy[g_bytes_get_size (sig) - 3] ^= 0x01;
      tampered = g_bytes_new (copy, g_bytes_get_size (sig));
      g_assert_false (cb_pki_verify_signature (spki, nonce, sizeof nonce, tampered, &error));
      g_assert_nonnull (error);
    }
}

static void
test_sign_verify_bad_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) junk = g_bytes_new_static ("\x30\x03\x02\x01\x00", 5);
  g_autoptr(GBytes) sig = g_bytes_new_static ("\x30\x00", 2);

  g_assert_false (cb_pki_verify_signature (junk, (const guint8 *) "x", 1, sig, &error));
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY);
  g_assert_null (cb_pki_key_id_from_spki (junk));
  g_assert_cmpint (cb_pki_key_type_from_spki (junk), ==, CB_KEY_TYPE_UNKNOWN);
}

/* ---- CSRs ----------------------------------------------------------------------------- */

static void
test_csr_create (void)
{
  static const CbKeyType types[] = { CB_KEY_TYPE_EC_P256, CB_KEY_TYPE_EC_P384 };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbKey) key = cb_key_generate (types[i], &error);
      g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
      g_autoptr(GBytes) csr = NULL;
      gnutls_x509_crq_t crq = NULL;
      gnutls_pubkey_t pub = NULL;
      gnutls_datum_t datum;
      gnutls_datum_t pub_der = { NULL, 0 };
      char cn[64];
      size_t cn_len = sizeof cn;

      g_assert_no_error (error);
      csr = cb_csr_create (key, "device-0001", &error);
      g_assert_no_error (error);
      g_assert_nonnull (csr);

      datum.data = (unsigned char *) g_bytes_get_data (csr, NULL);
      datum.size = g_bytes_get_size (csr);
      g_assert_cmpint (gnutls_x509_crq_init (&crq), ==, 0);
      g_assert_cmpint (gnutls_x509_crq_import (crq, &datum, GNUTLS_X509_FMT_DER), ==, 0);
      g_assert_cmpint (gnutls_x509_crq_verify (crq, 0), ==, 0);
      g_assert_cmpint (gnutls_x509_crq_get_dn_by_oid (crq, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                                      cn, &cn_len), ==, 0);
      g_assert_cmpstr (cn, ==, "device-0001");

      g_assert_cmpint (gnutls_pubkey_init (&pub), ==, 0);
      g_assert_cmpint (gnutls_pubkey_import_x509_crq (pub, crq, 0), ==, 0);
      g_assert_cmpint (gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &pub_der), ==, 0);
      g_assert_cmpmem (pub_der.data, pub_der.size,
                       g_bytes_get_data (spki, NULL), g_bytes_get_size (spki));

      gnutls_free (pub_der.data);
      gnutls_pubkey_deinit (pub);
      gnutls_x509_crq_deinit (crq);
    }
}

static void
test_csr_openssl (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;

  if (!have_openssl ())
    return;

  key = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
  g_assert_no_error (error);
  csr = cb_csr_create (key, "reg-42", &error);
  g_assert_no_error (error);
  path = write_tmp ("req.der", g_bytes_get_data (csr, NULL), g_bytes_get_size (csr));

  out = run_openssl ((const char *[]) { "req", "-inform", "DER", "-in", path, "-noout",
                                        "-verify", "-subject", NULL });
  g_assert_nonnull (strstr (out, "CN = reg-42"));
}

static void
test_csr_empty_cn (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) csr = NULL;

  g_assert_no_error (error);
  csr = cb_csr_create (key, "", &error);
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_assert_null (csr);
}

/* ---- certificates --------------------------------------------------------------------- */

static void
test_cert_chain_verifies (void)
{
  Chain c = { 0 };
  gnutls_x509_crt_t certs[3];
  gnutls_x509_trust_list_t tl = NULL;
  unsigned int status = 0;

  chain_init (&c);
  certs[0] = import_crt (c.leaf);
  certs[1] = import_crt (c.ica);
  certs[2] = import_crt (c.root);

  g_assert_cmpint (gnutls_x509_trust_list_init (&tl, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_trust_list_add_cas (tl, &certs[2], 1, 0), ==, 1);
  g_assert_cmpint (gnutls_x509_trust_list_verify_crt (tl, certs, 2, 0, &status, NULL), ==, 0);
  g_assert_cmpuint (status, ==, 0);

  /* Signature digests follow the issuer keys (both P-384). */
  g_assert_cmpint (gnutls_x509_crt_get_signature_algorithm (certs[0]), ==,
                   GNUTLS_SIGN_ECDSA_SHA384);
  g_assert_cmpint (gnutls_x509_crt_get_signature_algorithm (certs[2]), ==,
                   GNUTLS_SIGN_ECDSA_SHA384);

  gnutls_x509_trust_list_deinit (tl, 1);  /* frees the CA (certs[2]) */
  gnutls_x509_crt_deinit (certs[0]);
  gnutls_x509_crt_deinit (certs[1]);
  chain_clear (&c);
}

static void
test_cert_profile_fields (void)
{
  Chain c = { 0 };
  gnutls_x509_crt_t leaf;
  gnutls_x509_crt_t ica;
  gnutls_x509_crt_t root;
  g_autoptr(GBytes) leaf_spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  guint8 buf[256];
  size_t len;
  unsigned int critical = 0;
  unsigned int ca = 0;
  int path_len = -2;
  unsigned int usage = 0;
  char name[256];
  unsigned int san_type;

  chain_init (&c);
  leaf = import_crt (c.leaf);
  ica = import_crt (c.ica);
  root = import_crt (c.root);

  g_assert_cmpint (gnutls_x509_crt_get_version (leaf), ==, 3);

  /* Random serial: 16 bytes, positive, without a redundant leading zero. */
  len = sizeof buf;
  g_assert_cmpint (gnutls_x509_crt_get_serial (leaf, buf, &len), ==, 0);
  g_assert_cmpuint (len, ==, 16);
  g_assert_cmpuint (buf[0] & 0x80, ==, 0);
  g_assert_cmpuint (buf[0], !=, 0);

  /* SKI is the SHA-1 of the public key; AKI is the issuer's SKI. */
  leaf_spki = cb_key_get_public_key_der (c.leaf_key);
  key_id = cb_pki_key_id_from_spki (leaf_spki);
  g_assert_cmpuint (g_bytes_get_size (key_id), ==, 20);
  len = sizeof buf;
  g_assert_cmpint (gnutls_x509_crt_get_subject_key_id (leaf, buf, &len, &critical), ==, 0);
  g_assert_cmpmem (buf, len, g_bytes_get_data (key_id, NULL), 20);
  {
    guint8 ica_ski[64];
    size_t ica_ski_len = sizeof ica_ski;

    g_assert_cmpint (gnutls_x509_crt_get_subject_key_id (ica, ica_ski, &ica_ski_len,
                                                         &critical), ==, 0);
    len = sizeof buf;
    g_assert_cmpint (gnutls_x509_crt_get_authority_key_id (leaf, buf, &len, &critical), ==, 0);
    g_assert_cmpmem (buf, len, ica_ski, ica_ski_len);

    /* A root's AKI is its own SKI. */
    ica_ski_len = sizeof ica_ski;
    g_assert_cmpint (gnutls_x509_crt_get_subject_key_id (root, ica_ski, &ica_ski_len,
                                                         &critical), ==, 0);
    len = sizeof buf;
    g_assert_cmpint (gnutls_x509_crt_get_authority_key_id (root, buf, &len, &critical), ==, 0);
    g_assert_cmpmem (buf, len, ica_ski, ica_ski_len);
  }

  /* Basic constraints, critical. */
  g_assert_cmpint (gnutls_x509_crt_get_basic_constraints (leaf, &critical, &ca, &path_len),
                   >=, 0);
  g_assert_cmpuint (critical, ==, 1);
  g_assert_cmpuint (ca, ==, 0);
  g_assert_cmpint (gnutls_x509_crt_get_basic_constraints (ica, &critical, &ca, &path_len),
                   >=, 0);
  g_assert_cmpuint (critical, ==, 1);
  g_assert_cmpuint (ca, ==, 1);
  g_assert_cmpint (path_len, ==, 0);
  g_assert_cmpint (gnutls_x509_crt_get_basic_constraints (root, &critical, &ca, &path_len),
                   >=, 0);
  g_assert_cmpint (path_len, ==, 1);

  /* Key usage, critical. */
  g_assert_cmpint (gnutls_x509_crt_get_key_usage (leaf, &usage, &critical), >=, 0);
  g_assert_cmpuint (critical, ==, 1);
  g_assert_cmpuint (usage, ==, GNUTLS_KEY_DIGITAL_SIGNATURE);
  g_assert_cmpint (gnutls_x509_crt_get_key_usage (ica, &usage, &critical), >=, 0);
  g_assert_cmpuint (usage, ==, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN |
                               GNUTLS_KEY_DIGITAL_SIGNATURE);

  /* EKU. */
  len = sizeof name;
  g_assert_cmpint (gnutls_x509_crt_get_key_purpose_oid (leaf, 0, name, &len, &critical), ==, 0);
  g_assert_cmpstr (name, ==, "1.3.6.1.5.5.7.3.2");
  len = sizeof name;
  g_assert_cmpint (gnutls_x509_crt_get_key_purpose_oid (root, 0, name, &len, &critical), <, 0);

  /* SAN: DNS, URI, two IPs, in that order. */
  len = sizeof name;
  g_assert_cmpint (gnutls_x509_crt_get_subject_alt_name2 (leaf, 0, name, &len, &san_type, NULL),
                   ==, GNUTLS_SAN_DNSNAME);
  g_assert_cmpstr (name, ==, "dev-1.example.net");
  len = sizeof name;
  g_assert_cmpint (gnutls_x509_crt_get_subject_alt_name2 (leaf, 1, name, &len, &san_type, NULL),
                   ==, GNUTLS_SAN_URI);
  g_assert_cmpstr (name, ==, "urn:certbench:credential:1234");
  len = sizeof name;
  g_assert_cmpint (gnutls_x509_crt_get_subject_alt_name2 (leaf, 2, name, &len, &san_type, NULL),
                   ==, GNUTLS_SAN_IPADDRESS);
  g_assert_cmpmem (name, len, "\xc0\x00\x02\x07", 4);
  len = sizeof name;
  g_assert_cmpint (gnutls_x509_crt_get_subject_alt_name2 (leaf, 3, name, &len, &san_type, NULL),
                   ==, GNUTLS_SAN_IPADDRESS);
  g_assert_cmpuint (len, ==, 16);

  /* CRL distribution point. */
  len = sizeof name;
  g_assert_cmpint (gnutls_x509_crt_get_crl_dist_points (leaf, 0, name, &len, NULL, &critical),
                   ==, GNUTLS_SAN_URI);
  g_assert_cmpstr (name, ==, "http://127.0.0.1/ica.crl");
  len = sizeof name;
  g_assert_cmpint (gnutls_x509_crt_get_crl_dist_points (root, 0, name, &len, NULL, &critical),
                   <, 0);

  /* The custom extension, non-critical, byte for byte. */
  len = sizeof buf;
  g_assert_cmpint (gnutls_x509_crt_get_extension_by_oid (leaf, "1.3.6.1.4.1.55555.1.1", 0,
                                                         buf, &len, &critical), ==, 0);
  g_assert_cmpuint (critical, ==, 0);
  g_assert_cmpmem (buf, len, "\x0c\x05hello", 7);

  /* Subject and issuer. */
  {
    gnutls_datum_t dn = { NULL, 0 };

    g_assert_cmpint (gnutls_x509_crt_get_dn3 (ica, &dn, 0), ==, 0);
    g_assert_cmpstr ((const char *) dn.data, ==, "CN=Test ICA,O=Certbench Tests");
    gnutls_free (dn.data);
    g_assert_cmpint (gnutls_x509_crt_get_issuer_dn3 (leaf, &dn, 0), ==, 0);
    g_assert_cmpstr ((const char *) dn.data, ==, "CN=Test ICA,O=Certbench Tests");
    gnutls_free (dn.data);
  }

  gnutls_x509_crt_deinit (leaf);
  gnutls_x509_crt_deinit (ica);
  gnutls_x509_crt_deinit (root);
  chain_clear (&c);
}

/* The SKI matches what OpenSSL computes for the same key (subjectKeyIdentifier=hash). */
static void
test_cert_ski_openssl (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) ours = NULL;
  g_autoptr(GBytes) theirs_der = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  gnutls_x509_crt_t crt;
  guint8 ski[64];
  size_t ski_len = sizeof ski;
  unsigned int critical;

  if (!have_openssl ())
    return;

  key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  pem = cb_key_to_pem (key, &error);
  g_assert_no_error (error);
  key_path = write_tmp ("ski.pem", pem, strlen (pem));
  cert_path = g_build_filename (tmp_dir, "ski.der", NULL);

  g_free (run_openssl ((const char *[]) { "req", "-new", "-x509", "-key", key_path, "-subj",
                                          "/CN=ski", "-days", "1", "-config", "/dev/null",
                                          "-addext", "subjectKeyIdentifier=hash",
                                          "-outform", "DER", "-out", cert_path, NULL }));
  g_file_get_contents (cert_path, &contents, &len, &error);
  g_assert_no_error (error);
  theirs_der = g_bytes_new (contents, len);
  crt = import_crt (theirs_der);
  g_assert_cmpint (gnutls_x509_crt_get_subject_key_id (crt, ski, &ski_len, &critical), ==, 0);

  spki = cb_key_get_public_key_der (key);
  ours = cb_pki_key_id_from_spki (spki);
  g_assert_cmpmem (ski, ski_len, g_bytes_get_data (ours, NULL), g_bytes_get_size (ours));

  gnutls_x509_crt_deinit (crt);
}

/* openssl sees the same serial, the extensions, and verifies the chain. */
static void
test_cert_openssl (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) serial = g_bytes_new_static ("\x00\x00\x9f\x01\x02", 5);
  g_autoptr(GBytes) der = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = "CN=serial-test,O=Certbench Tests",
    .not_before = now,
    .not_after = now + DAY,
    .is_ca = FALSE,
    .path_len = -1,
    .key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE,
    .ext_key_usage = ica_eku,
    .serial = serial,
  };

  if (!have_openssl ())
    return;

  key = cb_key_generate (CB_KEY_TYPE_EC_P521, &error);
  g_assert_no_error (error);
  spki = cb_key_get_public_key_der (key);
  der = cb_cert_issue (&profile, spki, key, NULL, &error);
  g_assert_no_error (error);
  path = write_tmp ("serial.der", g_bytes_get_data (der, NULL), g_bytes_get_size (der));

  /* Leading zeros dropped, a 0x00 kept so the integer stays positive. */
  out = run_openssl ((const char *[]) { "x509", "-inform", "DER", "-in", path, "-noout",
                                        "-serial", NULL });
  g_assert_cmpstr (out, ==, "serial=9F0102\n");
  {
    gnutls_x509_crt_t crt = import_crt (der);
    guint8 raw[32];
    size_t raw_len = sizeof raw;

    g_assert_cmpint (gnutls_x509_crt_get_serial (crt, raw, &raw_len), ==, 0);
    g_assert_cmpmem (raw, raw_len, "\x00\x9f\x01\x02", 4);
    gnutls_x509_crt_deinit (crt);
  }

  text = run_openssl ((const char *[]) { "x509", "-inform", "DER", "-in", path, "-noout",
                                         "-text", NULL });
  g_assert_nonnull (strstr (text, "Version: 3 (0x2)"));
  g_assert_nonnull (strstr (text, "ecdsa-with-SHA512"));
  g_assert_nonnull (strstr (text, "X509v3 Basic Constraints: critical"));
  g_assert_nonnull (strstr (text, "X509v3 Key Usage: critical"));
  g_assert_nonnull (strstr (text, "TLS Web Client Authentication"));
  g_assert_nonnull (strstr (text, "Subject: O = Certbench Tests, CN = serial-test"));
}

static void
test_cert_openssl_verify (void)
{
  Chain c = { 0 };
  g_autofree char *root_path = NULL;
  g_autofree char *ica_path = NULL;
  g_autofree char *leaf_path = NULL;
  g_autofree char *root_pem = NULL;
  g_autofree char *ica_pem = NULL;
  g_autofree char *leaf_pem = NULL;
  g_autofree char *out = NULL;

  if (!have_openssl ())
    return;

  chain_init (&c);
  root_path = write_tmp ("root.der", g_bytes_get_data (c.root, NULL), g_bytes_get_size (c.root));
  ica_path = write_tmp ("ica.der", g_bytes_get_data (c.ica, NULL), g_bytes_get_size (c.ica));
  leaf_path = write_tmp ("leaf.der", g_bytes_get_data (c.leaf, NULL), g_bytes_get_size (c.leaf));
  root_pem = g_build_filename (tmp_dir, "root.pem", NULL);
  ica_pem = g_build_filename (tmp_dir, "ica.pem", NULL);
  leaf_pem = g_build_filename (tmp_dir, "leaf.pem", NULL);
  g_free (run_openssl ((const char *[]) { "x509", "-inform", "DER", "-in", root_path,
                                          "-out", root_pem, NULL }));
  g_free (run_openssl ((const char *[]) { "x509", "-inform", "DER", "-in", ica_path,
                                          "-out", ica_pem, NULL }));
  g_free (run_openssl ((const char *[]) { "x509", "-inform", "DER", "-in", leaf_path,
                                          "-out", leaf_pem, NULL }));

  out = run_openssl ((const char *[]) { "verify", "-x509_strict", "-purpose", "sslclient",
                                        "-CAfile", root_pem, "-untrusted", ica_pem,
                                        leaf_pem, NULL });
  g_assert_nonnull (strstr (out, ": OK"));

  chain_clear (&c);
}

static void
test_cert_bad_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(CbKey) other = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
  g_autoptr(GBytes) other_spki = cb_key_get_public_key_der (other);
  g_autoptr(GBytes) root = NULL;
  g_autoptr(GBytes) der = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = "CN=x",
    .not_before = now,
    .not_after = now + DAY,
    .path_len = -1,
  };

  g_assert_no_error (error);

  /* Self-signed with a key that is not the subject's. */
  der = cb_cert_issue (&profile, other_spki, key, NULL, &error);
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY);
  g_assert_null (der);
  g_clear_error (&error);

  /* An issuer key that does not match the issuer certificate. */
  root = issue_root (key, now);
  der = cb_cert_issue (&profile, other_spki, other, root, &error);
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY);
  g_assert_null (der);
  g_clear_error (&error);

  /* Reversed validity. */
  profile.not_after = now - DAY;
  der = cb_cert_issue (&profile, spki, key, NULL, &error);
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  profile.not_after = now + DAY;

  /* A subject that is not a DN. */
  profile.subject_dn = "no equals sign";
  der = cb_cert_issue (&profile, spki, key, NULL, &error);
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  profile.subject_dn = "CN=x";

  /* Not an IP address. */
  profile.san_ip = (const char *[]) { "999.1.1.1", NULL };
  der = cb_cert_issue (&profile, spki, key, NULL, &error);
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_assert_null (der);
}

static void
test_cert_random_serials_differ (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_no_error (error);

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GBytes) der = issue_root (key, now);
      gnutls_x509_crt_t crt = import_crt (der);
      guint8 serial[32];
      size_t len = sizeof serial;

      g_assert_cmpint (gnutls_x509_crt_get_serial (crt, serial, &len), ==, 0);
      g_assert_cmpuint (len, ==, 16);
      g_assert_cmpuint (serial[0] & 0x80, ==, 0);
      g_assert_true (g_hash_table_add (seen, cb_hex_encode (serial, len, FALSE)));
      gnutls_x509_crt_deinit (crt);
    }
}

/* An issuer kept parsed issues, leaf after leaf, what cb_cert_issue() issues with the CA's DER
 * each time (the same fields, verifying under the same CA, AKI = the CA's SKI), keeps its own
 * references, and refuses a key that is not the certificate's. */
/* A leaf of the common shape is written as DER directly (cb-pki.c); it must be the
 * certificate GnuTLS builds for the same inputs, byte for byte but for the signature (ECDSA
 * signatures differ each time), and openssl must accept its chain. Cases: both issuer key
 * types, the sandbox's own extension, a GeneralizedTime notAfter, several key usage bits and
 * none, and a subject the direct path leaves to GnuTLS. */
static GBytes *
tbs_of (GBytes *der)
{
  const guint8 *p = g_bytes_get_data (der, NULL);
  const guint8 *q;
  gsize outer_head = (p[1] & 0x80) ? 2 + (p[1] & 0x7f) : 2;
  gsize head;
  gsize len = 0;

  q = p + outer_head;
  head = (q[1] & 0x80) ? 2 + (q[1] & 0x7f) : 2;
  for (gsize i = 2; i < head; i++)
    len = (len << 8) | q[i];
  if (head == 2)
    len = q[1];
  return g_bytes_new (q, head + len);
}

static void
test_cert_leaf_direct_der (void)
{
  static const struct
  {
    CbKeyType   ca_type;
    const char *subject;
    gint64      lifetime;
    guint       key_usage;
  } cases[] = {
    { CB_KEY_TYPE_EC_P384, "CN=batch-dev-00001", 30 * DAY, GNUTLS_KEY_DIGITAL_SIGNATURE },
    { CB_KEY_TYPE_EC_P256, "CN=batch-dev-00001", 30 * DAY, GNUTLS_KEY_DIGITAL_SIGNATURE },
    { CB_KEY_TYPE_EC_P384, "CN=dev:a.b-(1)", 30 * 365 * DAY,
      GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT },
    { CB_KEY_TYPE_EC_P384, "CN=x", DAY, 0 },
    { CB_KEY_TYPE_EC_P384, "CN=under_score", DAY, GNUTLS_KEY_DIGITAL_SIGNATURE },
  };
  static const guint8 identifier[] = { 0x0c, 0x03, 'a', 'b', 'c' };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!have_openssl ())
    return;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbKey) ca_key = cb_key_generate (cases[i].ca_type, &error);
      g_autoptr(CbKey) dev_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
      g_autoptr(GBytes) ca_spki = cb_key_get_public_key_der (ca_key);
      g_autoptr(GBytes) dev_spki = cb_key_get_public_key_der (dev_key);
      g_autoptr(GBytes) ca_der = NULL;
      g_autoptr(GBytes) id_value = g_bytes_new_static (identifier, sizeof identifier);
      g_autoptr(GBytes) serial = g_bytes_new_static ("\x41\x02\x03\x04\x05\x06\x07\x08"
                                                     "\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
      g_autoptr(CbCertIssuer) issuer = NULL;
      g_autoptr(GBytes) direct = NULL;
      g_autoptr(GBytes) built = NULL;
      g_autoptr(GBytes) direct_tbs = NULL;
      g_autoptr(GBytes) built_tbs = NULL;
      g_autofree char *ca_pem = NULL;
      g_autofree char *leaf_pem = NULL;
      g_autofree char *out = NULL;
      CbCertExtension ext = { "1.3.6.1.4.1.32473.1.1", id_value, FALSE };
      CbCertProfile ca_profile = {
        .subject_dn = "CN=demo-ica,O=Certbench Sandbox",
        .not_before = now - DAY,
        .not_after = now + 40 * 365 * DAY,
        .is_ca = TRUE,
        .path_len = 0,
        .key_usage = GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN,
      };
      CbCertProfile leaf = {
        .subject_dn = cases[i].subject,
        .not_before = now - 300,
        .not_after = now + cases[i].lifetime,
        .path_len = -1,
        .key_usage = cases[i].key_usage,
        .ext_key_usage = ica_eku,
        .serial = serial,
        .extensions = &ext,
        .n_extensions = 1,
      };
      const char *verify_args[] = { "verify", "-CAfile", NULL, NULL, NULL };

      g_assert_no_error (error);
      ca_der = cb_cert_issue (&ca_profile, ca_spki, ca_key, NULL, &error);
      g_assert_no_error (error);
      issuer = cb_cert_issuer_new (ca_key, ca_der, &error);
      g_assert_no_error (error);

      direct = cb_cert_issuer_issue (issuer, &leaf, dev_spki, &error);
      g_assert_no_error (error);
      cb_cert_issuer_set_gnutls_only (issuer, TRUE);
      built = cb_cert_issuer_issue (issuer, &leaf, dev_spki, &error);
      g_assert_no_error (error);

      direct_tbs = tbs_of (direct);
      built_tbs = tbs_of (built);
      g_test_message ("%s: TBS %" G_GSIZE_FORMAT " bytes", cases[i].subject,
                      g_bytes_get_size (direct_tbs));
      g_assert_cmpmem (g_bytes_get_data (direct_tbs, NULL), g_bytes_get_size (direct_tbs),
                       g_bytes_get_data (built_tbs, NULL), g_bytes_get_size (built_tbs));

      ca_pem = write_tmp ("direct-ca.der", g_bytes_get_data (ca_der, NULL),
                          g_bytes_get_size (ca_der));
      leaf_pem = write_tmp ("direct-leaf.der", g_bytes_get_data (direct, NULL),
                            g_bytes_get_size (direct));
      {
        const char *to_pem_ca[] = { "x509", "-inform", "DER", "-in", ca_pem, "-out",
                                    "direct-ca.pem", NULL };
        const char *to_pem_leaf[] = { "x509", "-inform", "DER", "-in", leaf_pem, "-out",
                                      "direct-leaf.pem", NULL };
        g_autofree char *ca_out = NULL;
        g_autofree char *leaf_out = NULL;
        g_autofree char *ca_path = g_build_filename (tmp_dir, "direct-ca.pem", NULL);
        g_autofree char *leaf_path = g_build_filename (tmp_dir, "direct-leaf.pem", NULL);

        to_pem_ca[6] = ca_path;
        to_pem_leaf[6] = leaf_path;
        ca_out = run_openssl (to_pem_ca);
        leaf_out = run_openssl (to_pem_leaf);
        verify_args[2] = ca_path;
        verify_args[3] = leaf_path;
        out = run_openssl (verify_args);
        g_assert_nonnull (strstr (out, ": OK"));
      }
    }
}

static void
test_cert_issuer_kept (void)
{
  Chain c = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertIssuer) issuer = NULL;
  g_autoptr(CbCertIssuer) wrong = NULL;
  g_autoptr(GBytes) leaf_spki = NULL;
  g_autoptr(GBytes) kept_der = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = "CN=dev-1",
    .not_before = now - 300,
    .not_after = now + 30 * DAY,
    .path_len = -1,
    .key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE,
    .ext_key_usage = ica_eku,
  };
  gnutls_x509_crt_t ica;
  gnutls_x509_crt_t root;
  gnutls_x509_trust_list_t tl = NULL;
  guint8 ica_ski[64];
  size_t ica_ski_len = sizeof ica_ski;
  unsigned int critical = 0;

  chain_init (&c);
  issuer = cb_cert_issuer_new (c.ica_key, c.ica, &error);
  g_assert_no_error (error);
  g_assert_nonnull (issuer);
  g_assert_true (cb_cert_issuer_get_key (issuer) == c.ica_key);
  kept_der = cb_cert_issuer_get_der (issuer);
  g_assert_true (g_bytes_equal (kept_der, c.ica));

  ica = import_crt (c.ica);
  root = import_crt (c.root);
  g_assert_cmpint (gnutls_x509_crt_get_subject_key_id (ica, ica_ski, &ica_ski_len, &critical), ==, 0);
  g_assert_cmpint (gnutls_x509_trust_list_init (&tl, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_trust_list_add_cas (tl, &root, 1, 0), ==, 1);

  leaf_spki = cb_key_get_public_key_der (c.leaf_key);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) kept_leaf = cb_cert_issuer_issue (issuer, &profile, leaf_spki, &error);
      g_autoptr(GBytes) plain_leaf = NULL;
      gnutls_x509_crt_t certs[2];
      gnutls_x509_crt_t plain;
      unsigned int status = 1;
      guint8 aki[64];
      size_t aki_len = sizeof aki;
      char dn[128], plain_dn[128];
      size_t dn_len = sizeof dn, plain_dn_len = sizeof plain_dn;

      g_assert_no_error (error);
      g_assert_nonnull (kept_leaf);
      plain_leaf = cb_cert_issue (&profile, leaf_spki, c.ica_key, c.ica, &error);
      g_assert_no_error (error);

      certs[0] = import_crt (kept_leaf);
      certs[1] = ica;
      g_assert_cmpint (gnutls_x509_trust_list_verify_crt (tl, certs, 2, 0, &status, NULL), ==, 0);
      g_assert_cmpuint (status, ==, 0);
      g_assert_cmpint (gnutls_x509_crt_get_authority_key_id (certs[0], aki, &aki_len, &critical),
                       ==, 0);
      g_assert_cmpmem (aki, aki_len, ica_ski, ica_ski_len);

      plain = import_crt (plain_leaf);
      g_assert_cmpint (gnutls_x509_crt_get_issuer_dn (certs[0], dn, &dn_len), ==, 0);
      g_assert_cmpint (gnutls_x509_crt_get_issuer_dn (plain, plain_dn, &plain_dn_len), ==, 0);
      g_assert_cmpstr (dn, ==, plain_dn);
      g_assert_cmpint (gnutls_x509_crt_get_signature_algorithm (certs[0]), ==,
                       gnutls_x509_crt_get_signature_algorithm (plain));
      g_assert_cmpuint (g_bytes_get_size (kept_leaf), >, 0);
      gnutls_x509_crt_deinit (plain);
      gnutls_x509_crt_deinit (certs[0]);
    }

  /* The leaf key is not the ICA's. */
  wrong = cb_cert_issuer_new (c.leaf_key, c.ica, &error);
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY);
  g_assert_null (wrong);
  g_clear_error (&error);

  /* The issuer holds its key and DER: it outlives the caller's. */
  chain_clear (&c);
  g_clear_pointer (&kept_der, g_bytes_unref);
  {
    g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
    g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
    g_autoptr(GBytes) leaf = cb_cert_issuer_issue (issuer, &profile, spki, &error);

    g_assert_no_error (error);
    g_assert_nonnull (leaf);
  }

  gnutls_x509_trust_list_deinit (tl, 1);
  gnutls_x509_crt_deinit (ica);
}

/* ---- CRLs ----------------------------------------------------------------------------- */

static void
test_crl_issue (void)
{
  Chain c = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) serials = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) crl_der = NULL;
  gnutls_x509_crt_t leaf;
  gnutls_x509_crt_t ica;
  gnutls_x509_crl_t crl = NULL;
  gnutls_datum_t datum;
  guint8 serial[32];
  size_t serial_len = sizeof serial;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *leaf_serial_hex = NULL;

  chain_init (&c);
  leaf = import_crt (c.leaf);
  ica = import_crt (c.ica);
  g_assert_cmpint (gnutls_x509_crt_get_serial (leaf, serial, &serial_len), ==, 0);
  leaf_serial_hex = cb_hex_encode (serial, serial_len, TRUE);

  g_ptr_array_add (serials, g_bytes_new (serial, serial_len));
  g_ptr_array_add (serials, g_bytes_new_static ("\xfe\xdc", 2));

  crl_der = cb_crl_issue (c.ica_key, c.ica, serials, now, now + 7 * DAY, 300, &error);
  g_assert_no_error (error);
  g_assert_nonnull (crl_der);

  datum.data = (unsigned char *) g_bytes_get_data (crl_der, NULL);
  datum.size = g_bytes_get_size (crl_der);
  g_assert_cmpint (gnutls_x509_crl_init (&crl), ==, 0);
  g_assert_cmpint (gnutls_x509_crl_import (crl, &datum, GNUTLS_X509_FMT_DER), ==, 0);
  g_assert_cmpint (gnutls_x509_crl_get_version (crl), ==, 2);
  g_assert_cmpint (gnutls_x509_crl_get_crt_count (crl), ==, 2);
  g_assert_cmpint (gnutls_x509_crl_get_this_update (crl), ==, now);
  g_assert_cmpint (gnutls_x509_crl_get_next_update (crl), ==, now + 7 * DAY);
  {
    unsigned int status = 0;

    g_assert_cmpint (gnutls_x509_crl_verify (crl, &ica, 1, 0, &status), ==, 0);
    g_assert_cmpuint (status, ==, 0);
  }

  if (have_openssl ())
    {
      g_autofree char *path = write_tmp ("ica.crl", datum.data, datum.size);
      g_autofree char *text = run_openssl ((const char *[]) { "crl", "-inform", "DER", "-in",
                                                              path, "-noout", "-text", NULL });
      g_autofree char *expected = g_strdup_printf ("Serial Number: %s", leaf_serial_hex);

      g_test_message ("%s", text);
      g_assert_nonnull (strstr (text, expected));
      g_assert_nonnull (strstr (text, "Serial Number: FEDC"));
      g_assert_nonnull (strstr (text, "Version 2 (0x1)"));
      g_assert_nonnull (strstr (text, "X509v3 CRL Number"));
      g_assert_nonnull (strstr (text, "300"));
      g_assert_nonnull (strstr (text, "Issuer: O = Certbench Tests, CN = Test ICA"));
      g_assert_nonnull (strstr (text, "ecdsa-with-SHA384"));
    }

  gnutls_x509_crl_deinit (crl);
  gnutls_x509_crt_deinit (leaf);
  gnutls_x509_crt_deinit (ica);
  chain_clear (&c);
}

static void
test_crl_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) root = issue_root (key, now);
  g_autoptr(GBytes) crl = NULL;

  crl = cb_crl_issue (key, root, NULL, now, now + DAY, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (crl);

  g_clear_pointer (&crl, g_bytes_unref);
  crl = cb_crl_issue (key, root, NULL, now, now - DAY, 1, &error);
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_assert_null (crl);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("test-pki-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cb/pki/key/generate", test_key_generate);
  g_test_add_func ("/cb/pki/key/generate-unknown", test_key_generate_unknown);
  g_test_add_func ("/cb/pki/key/pem-invalid", test_key_pem_invalid);
  g_test_add_func ("/cb/pki/key/openssl", test_key_openssl);
  g_test_add_func ("/cb/pki/sign/verify", test_sign_verify);
  g_test_add_func ("/cb/pki/sign/bad-public-key", test_sign_verify_bad_key);
  g_test_add_func ("/cb/pki/csr/create", test_csr_create);
  g_test_add_func ("/cb/pki/csr/openssl", test_csr_openssl);
  g_test_add_func ("/cb/pki/csr/empty-cn", test_csr_empty_cn);
  g_test_add_func ("/cb/pki/cert/chain-verifies", test_cert_chain_verifies);
  g_test_add_func ("/cb/pki/cert/profile-fields", test_cert_profile_fields);
  g_test_add_func ("/cb/pki/cert/ski-openssl", test_cert_ski_openssl);
  g_test_add_func ("/cb/pki/cert/openssl", test_cert_openssl);
  g_test_add_func ("/cb/pki/cert/openssl-verify", test_cert_openssl_verify);
  g_test_add_func ("/cb/pki/cert/bad-input", test_cert_bad_input);
  g_test_add_func ("/cb/pki/cert/random-serials", test_cert_random_serials_differ);
  g_test_add_func ("/cb/pki/cert/issuer-kept", test_cert_issuer_kept);
  g_test_add_func ("/cb/pki/cert/leaf-direct-der", test_cert_leaf_direct_der);
  g_test_add_func ("/cb/pki/crl/issue", test_crl_issue);
  g_test_add_func ("/cb/pki/crl/empty", test_crl_empty);

  ret = g_test_run ();

  /* Best effort: the files are small and in the temp dir anyway. */
  {
    g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
        g_unlink (path);
      }
    g_rmdir (tmp_dir);
  }
  g_free (tmp_dir);

  return ret;
}
