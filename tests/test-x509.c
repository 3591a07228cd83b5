/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <string.h>

#include "cb-csr.h"
#include "cb-provisioning-chain.h"
#include "cb-pki.h"
#include "cb-util.h"
#include "cb-x509-chain.h"
#include "cb-x509-encoding-private.h"
#include "cb-x509.h"

#define HOUR (60 * 60)
#define DAY  (24 * HOUR)

#define CA_USAGE (CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN | \
                  CB_KEY_USAGE_DIGITAL_SIGNATURE)

static const char *client_auth[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
static char *tmp_dir;

/* ---- helpers -------------------------------------------------------------------------- */

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static CbKey *
new_key (CbKeyType type)
{
  g_autoptr(GError) error = NULL;
  CbKey *key = cb_key_generate (type, &error);

  g_assert_no_error (error);
  g_assert_nonnull (key);
  return key;
}

static CbCertificate *
cert_from_der (GBytes *der)
{
  g_autoptr(GError) error = NULL;
  CbCertificate *cert = cb_certificate_new_from_der (der, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cert);
  return cert;
}

/* Issues a certificate for subject_key; issuer NULL means self-signed. */
static CbCertificate *
issue (const char    *dn,
       CbKey         *subject_key,
       CbKey         *issuer_key,
       CbCertificate *issuer,
       gboolean       is_ca,
       int            path_len,
       guint          key_usage,
       gint64         not_before,
       gint64         not_after)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (subject_key);
  g_autoptr(GBytes) issuer_der = issuer != NULL ? cb_certificate_get_der (issuer) : NULL;
  g_autoptr(GBytes) der = NULL;
  CbCertProfile profile = {
    .subject_dn = dn,
    .not_before = not_before,
    .not_after = not_after,
    .is_ca = is_ca,
    .path_len = path_len,
    .key_usage = key_usage,
    .ext_key_usage = is_ca ? NULL : client_auth,
  };

  der = cb_cert_issue (&profile, spki, issuer_key, issuer_der, &error);
  g_assert_no_error (error);
  return cert_from_der (der);
}

typedef struct
{
  gint64         now;
  CbKey         *root_key;
  CbKey         *ica_key;
  CbKey         *leaf_key;
  CbCertificate *root;
  CbCertificate *ica;
  CbCertificate *leaf;
  GPtrArray     *anchors;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->now = now_s ();
  f->root_key = new_key (CB_KEY_TYPE_EC_P384);
  f->ica_key = new_key (CB_KEY_TYPE_EC_P384);
  f->leaf_key = new_key (CB_KEY_TYPE_EC_P256);
  f->root = issue ("CN=Test Root,O=Certbench Tests", f->root_key, f->root_key, NULL,
                   TRUE, 1, CA_USAGE, f->now - DAY, f->now + 3650 * DAY);
  f->ica = issue ("CN=Test ICA,O=Certbench Tests", f->ica_key, f->root_key, f->root,
                  TRUE, 0, CA_USAGE, f->now - DAY, f->now + 365 * DAY);
  f->leaf = issue ("CN=dev-1", f->leaf_key, f->ica_key, f->ica,
                   FALSE, -1, CB_KEY_USAGE_DIGITAL_SIGNATURE, f->now - 300, f->now + 30 * DAY);
  f->anchors = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (f->anchors, g_object_ref (f->root));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->anchors, g_ptr_array_unref);
  g_assert_finalize_object (f->leaf);
  g_assert_finalize_object (f->ica);
  g_assert_finalize_object (f->root);
  g_clear_pointer (&f->root_key, cb_key_unref);
  g_clear_pointer (&f->ica_key, cb_key_unref);
  g_clear_pointer (&f->leaf_key, cb_key_unref);
}

/* A new array holding refs to the given certificates (NULL-terminated arguments). */
static GPtrArray *
list_of (CbCertificate *first,
         ...)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);
  va_list args;

  va_start (args, first);
  for (CbCertificate *c = first; c != NULL; c = va_arg (args, CbCertificate *))
    g_ptr_array_add (list, g_object_ref (c));
  va_end (args);

  return list;
}

static void
assert_chain_error (GPtrArray  *chain,
                    GPtrArray  *anchors,
                    gint64      now,
                    int         code,
                    const char *must_mention)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (cb_x509_verify_chain (chain, anchors, now, &error));
  g_assert_nonnull (error);
  g_test_message ("chain error: %s", error->message);
  g_assert_error (error, CB_X509_ERROR, code);
  if (must_mention != NULL)
    g_assert_nonnull (strstr (error->message, must_mention));
}

static GBytes *
flip_byte (GBytes *bytes,
           gsize   offset_from_end)
{
  gsize len = g_bytes_get_size (bytes);
  guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);

  copy[len - 1 - offset_from_end] ^= 0x01;
  return g_bytes_new_take (copy, len);
}

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

static char *
write_tmp (const char *name,
           const void *data,
           gsize       len)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmp_dir, name, NULL);

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
  return path;
}

static char *
armour (const char *label,
        GBytes     *der)
{
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));

  return g_strdup_printf ("-----BEGIN %s-----\n%s\n-----END %s-----\n", label, b64, label);
}

/* ---- chain verification --------------------------------------------------------------- */

static void
test_chain_valid (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) without_root = list_of (f->leaf, f->ica, NULL);
  g_autoptr(GPtrArray) with_root = list_of (f->leaf, f->ica, f->root, NULL);
  g_autoptr(GPtrArray) root_only = list_of (f->root, NULL);

  g_assert_true (cb_x509_verify_chain (without_root, f->anchors, f->now, &error));
  g_assert_no_error (error);
  g_assert_true (cb_x509_verify_chain (with_root, f->anchors, f->now, &error));
  g_assert_no_error (error);
  g_assert_true (cb_x509_verify_chain (root_only, f->anchors, f->now, &error));
  g_assert_no_error (error);
}

/* A station splits the same issuing CA and root out of every device's chain: parsed once and
 * kept, by their DER; the leaf is parsed anew. */
static void
test_chain_split_keeps_cas (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) joined = g_byte_array_new ();
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  CbCertificate *certs[] = { f->leaf, f->ica, f->root };

  for (guint i = 0; i < G_N_ELEMENTS (certs); i++)
    {
      g_autoptr(GBytes) one = cb_certificate_get_der (certs[i]);
      g_byte_array_append (joined, g_bytes_get_data (one, NULL), g_bytes_get_size (one));
    }
  der = g_byte_array_free_to_bytes (g_steal_pointer (&joined));

  first = cb_provisioning_split_chain (der, &error);
  g_assert_no_error (error);
  second = cb_provisioning_split_chain (der, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->len, ==, 3);
  g_assert_cmpuint (second->len, ==, 3);
  g_assert_true (g_ptr_array_index (first, 0) != g_ptr_array_index (second, 0));
  g_assert_true (g_ptr_array_index (first, 1) == g_ptr_array_index (second, 1));
  g_assert_true (g_ptr_array_index (first, 2) == g_ptr_array_index (second, 2));
  for (guint i = 0; i < 3; i++)
    g_assert_true (cb_certificate_equal (g_ptr_array_index (second, i), certs[i]));
  g_assert_true (cb_x509_verify_chain (second, f->anchors, f->now, &error));
  g_assert_no_error (error);
}

/* A CA once verified under its root is remembered by both DERs: an ICA with the same name
 * and key under a root of the same name but another key still fails, before and after the
 * real one verified. */
static void
test_chain_verified_ca_kept (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(CbKey) other_key = new_key (CB_KEY_TYPE_EC_P384);
  g_autoptr(CbCertificate) other_root = issue ("CN=Test Root,O=Certbench Tests", other_key,
                                               other_key, NULL, TRUE, 1, CA_USAGE,
                                               f->now - DAY, f->now + 3650 * DAY);
  g_autoptr(CbCertificate) forged = issue ("CN=Test ICA,O=Certbench Tests", f->ica_key,
                                           other_key, other_root, TRUE, 0, CA_USAGE,
                                           f->now - DAY, f->now + 365 * DAY);
  g_autoptr(GPtrArray) good = list_of (f->leaf, f->ica, f->root, NULL);
  g_autoptr(GPtrArray) bad = list_of (f->leaf, forged, f->root, NULL);

  g_assert_false (cb_x509_verify_chain (bad, f->anchors, f->now, NULL));
  for (guint i = 0; i < 2; i++)
    g_assert_true (cb_x509_verify_chain (good, f->anchors, f->now, NULL));
  g_assert_true (cb_certificate_is_issued_by (f->ica, f->root));
  g_assert_true (cb_certificate_is_issued_by (forged, other_root));
  g_assert_false (cb_certificate_is_issued_by (forged, f->root));
  g_assert_false (cb_certificate_is_issued_by (f->ica, other_root));
  g_assert_false (cb_x509_verify_chain (bad, f->anchors, f->now, NULL));
}

/* A station verifies the same issuing CA under the same root for every device: the link is
 * checked once per process, so a second device's chain costs one signature check, its leaf's. */
static void
test_chain_verified_link_counted (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GPtrArray) chain = list_of (f->leaf, f->ica, f->root, NULL);
  g_autoptr(CbKey) key2 = new_key (CB_KEY_TYPE_EC_P256);
  g_autoptr(CbCertificate) leaf2 = issue ("CN=dev-2", key2, f->ica_key, f->ica, FALSE, -1,
                                          CB_KEY_USAGE_DIGITAL_SIGNATURE, f->now - 300,
                                          f->now + 30 * DAY);
  g_autoptr(GPtrArray) chain2 = list_of (leaf2, f->ica, f->root, NULL);
  guint count = cb_x509_signature_verify_count ();

  /* First device: its leaf under the ICA, the ICA under the root. */
  g_assert_true (cb_x509_verify_chain (chain, f->anchors, f->now, NULL));
  g_assert_cmpuint (cb_x509_signature_verify_count () - count, ==, 2);

  /* The next devices: only their leaf (a leaf is never kept: each is checked). */
  count = cb_x509_signature_verify_count ();
  g_assert_true (cb_x509_verify_chain (chain2, f->anchors, f->now, NULL));
  g_assert_cmpuint (cb_x509_signature_verify_count () - count, ==, 1);
  count = cb_x509_signature_verify_count ();
  g_assert_true (cb_x509_verify_chain (chain, f->anchors, f->now, NULL));
  g_assert_cmpuint (cb_x509_signature_verify_count () - count, ==, 1);
}

/* Once the real ICA's link is kept, anything that differs from it is checked in full and fails
 * as it did before: a tampered ICA (its signature altered), an expired ICA of the same name and
 * key, the real ICA at a time past its end (validity is judged per device, never kept), and the
 * real ICA against another root of the same name. */
static void
test_chain_verified_link_misses (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GPtrArray) good = list_of (f->leaf, f->ica, f->root, NULL);
  g_autoptr(GBytes) ica_der = cb_certificate_get_der (f->ica);
  g_autoptr(GBytes) tampered_der = flip_byte (ica_der, 0);
  g_autoptr(CbCertificate) tampered = cert_from_der (tampered_der);
  g_autoptr(GPtrArray) with_tampered = list_of (f->leaf, tampered, f->root, NULL);
  g_autoptr(CbCertificate) expired = issue ("CN=Test ICA,O=Certbench Tests", f->ica_key,
                                            f->root_key, f->root, TRUE, 0, CA_USAGE,
                                            f->now - 2 * DAY, f->now - 1);
  g_autoptr(GPtrArray) with_expired = list_of (f->leaf, expired, f->root, NULL);
  g_autoptr(CbKey) long_key = new_key (CB_KEY_TYPE_EC_P256);
  g_autoptr(CbCertificate) long_leaf = issue ("CN=dev-long", long_key, f->ica_key, f->ica,
                                              FALSE, -1, CB_KEY_USAGE_DIGITAL_SIGNATURE,
                                              f->now - 300, f->now + 3000 * DAY);
  g_autoptr(GPtrArray) long_chain = list_of (long_leaf, f->ica, f->root, NULL);
  g_autoptr(CbKey) other_key = new_key (CB_KEY_TYPE_EC_P384);
  g_autoptr(CbCertificate) other_root = issue ("CN=Test Root,O=Certbench Tests", other_key,
                                               other_key, NULL, TRUE, 1, CA_USAGE,
                                               f->now - DAY, f->now + 3650 * DAY);
  g_autoptr(GPtrArray) other_anchors = list_of (other_root, NULL);
  g_autoptr(GPtrArray) without_root = list_of (f->leaf, f->ica, NULL);
  guint count;

  g_assert_true (cb_x509_verify_chain (good, f->anchors, f->now, NULL));
  g_assert_true (cb_x509_verify_chain (long_chain, f->anchors, f->now, NULL));

  count = cb_x509_signature_verify_count ();
  assert_chain_error (with_tampered, f->anchors, f->now, CB_X509_ERROR_BAD_SIGNATURE,
                      "The signature on certificate 2 of 3 (CN=Test ICA,O=Certbench Tests) "
                      "does not verify");
  g_assert_cmpuint (cb_x509_signature_verify_count () - count, ==, 2);

  assert_chain_error (with_expired, f->anchors, f->now, CB_X509_ERROR_EXPIRED,
                      "Certificate 2 of 3 (CN=Test ICA,O=Certbench Tests) expired");
  assert_chain_error (long_chain, f->anchors, f->now + 400 * DAY, CB_X509_ERROR_EXPIRED,
                      "Certificate 2 of 3 (CN=Test ICA,O=Certbench Tests) expired");
  assert_chain_error (without_root, other_anchors, f->now, CB_X509_ERROR_UNKNOWN_ISSUER,
                      "a trusted root has that name but a different key");
  g_assert_false (cb_certificate_is_issued_by (f->ica, other_root));

  /* And the real chain still verifies after all of them. */
  g_assert_true (cb_x509_verify_chain (good, f->anchors, f->now, NULL));
}

static void
test_chain_expired_leaf (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CbCertificate) leaf = issue ("CN=old-device", f->leaf_key, f->ica_key, f->ica,
                                         FALSE, -1, CB_KEY_USAGE_DIGITAL_SIGNATURE,
                                         f->now - 30 * DAY, f->now - 1);
  g_autoptr(GPtrArray) chain = list_of (leaf, f->ica, NULL);

  assert_chain_error (chain, f->anchors, f->now, CB_X509_ERROR_EXPIRED,
                      "Certificate 1 of 2, the leaf (CN=old-device) expired");

  /* The same chain is fine the second before it expired. */
  g_assert_true (cb_x509_verify_chain (chain, f->anchors, f->now - 1, NULL));
}

static void
test_chain_not_yet_valid (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(CbCertificate) ica = issue ("CN=Future ICA", f->ica_key, f->root_key, f->root,
                                        TRUE, 0, CA_USAGE, f->now + HOUR, f->now + 10 * DAY);
  g_autoptr(CbCertificate) leaf = issue ("CN=dev-2", f->leaf_key, f->ica_key, ica,
                                         FALSE, -1, CB_KEY_USAGE_DIGITAL_SIGNATURE,
                                         f->now - HOUR, f->now + DAY);
  g_autoptr(GPtrArray) chain = list_of (leaf, ica, NULL);

  assert_chain_error (chain, f->anchors, f->now, CB_X509_ERROR_NOT_YET_VALID,
                      "Certificate 2 of 2 (CN=Future ICA) is not valid yet");
  g_assert_true (cb_x509_verify_chain (chain, f->anchors, f->now + HOUR, NULL));
}

static void
test_chain_expired_root (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CbKey) key = new_key (CB_KEY_TYPE_EC_P256);
  g_autoptr(CbCertificate) root = issue ("CN=Short Root", key, key, NULL, TRUE, -1, CA_USAGE,
                                         f->now - 10 * DAY, f->now + DAY);
  g_autoptr(CbCertificate) leaf = issue ("CN=dev-3", f->leaf_key, key, root, FALSE, -1,
                                         CB_KEY_USAGE_DIGITAL_SIGNATURE,
                                         f->now - DAY, f->now + 5 * DAY);
  g_autoptr(GPtrArray) chain = list_of (leaf, NULL);
  g_autoptr(GPtrArray) anchors = list_of (root, NULL);

  g_assert_true (cb_x509_verify_chain (chain, anchors, f->now, NULL));
  assert_chain_error (chain, anchors, f->now + 2 * DAY, CB_X509_ERROR_EXPIRED,
                      "The trusted root (CN=Short Root) expired");
}

static void
test_chain_unknown_root (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CbKey) key = new_key (CB_KEY_TYPE_EC_P384);
  g_autoptr(CbCertificate) other = issue ("CN=Other Root", key, key, NULL, TRUE, 1, CA_USAGE,
                                          f->now - DAY, f->now + DAY);
  /* Same name as the real root, different key. */
  g_autoptr(CbCertificate) impostor = issue ("CN=Test Root,O=Certbench Tests", key, key, NULL,
                                             TRUE, 1, CA_USAGE, f->now - DAY, f->now + DAY);
  g_autoptr(GPtrArray) chain = list_of (f->leaf, f->ica, NULL);
  g_autoptr(GPtrArray) anchors = list_of (other, NULL);
  g_autoptr(GPtrArray) impostors = list_of (impostor, NULL);
  g_autoptr(GPtrArray) both = list_of (impostor, f->root, NULL);
  g_autoptr(GPtrArray) empty = g_ptr_array_new ();

  assert_chain_error (chain, anchors, f->now, CB_X509_ERROR_UNKNOWN_ISSUER,
                      "Certificate 2 of 2 (CN=Test ICA,O=Certbench Tests) is issued by "
                      "\"CN=Test Root,O=Certbench Tests\", which is not a trusted root");
  assert_chain_error (chain, impostors, f->now, CB_X509_ERROR_UNKNOWN_ISSUER, "different key");
  assert_chain_error (chain, empty, f->now, CB_X509_ERROR_UNKNOWN_ISSUER, NULL);

  /* With the impostor and the real root trusted, the real one is found. */
  g_assert_true (cb_x509_verify_chain (chain, both, f->now, NULL));
}

static void
test_chain_swapped (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) swapped = list_of (f->ica, f->leaf, NULL);
  g_autoptr(GPtrArray) root_first = list_of (f->root, f->leaf, f->ica, NULL);
  g_autoptr(GPtrArray) root_middle = list_of (f->leaf, f->root, f->ica, NULL);

  assert_chain_error (swapped, f->anchors, f->now, CB_X509_ERROR_CHAIN_ORDER,
                      "The chain is out of order: certificate 2 of 2 (CN=dev-1) is issued by "
                      "the one before it, certificate 1 of 2 (CN=Test ICA,O=Certbench Tests)");
  assert_chain_error (root_first, f->anchors, f->now, CB_X509_ERROR_CHAIN_ORDER,
                      "certificate 1 of 3 (CN=Test Root,O=Certbench Tests)");
  assert_chain_error (root_middle, f->anchors, f->now, CB_X509_ERROR_CHAIN_ORDER,
                      "The chain is out of order: certificate 1 of 3, the leaf (CN=dev-1) is "
                      "issued by certificate 3, not by the next one, certificate 2 of 3 "
                      "(CN=Test Root,O=Certbench Tests)");
}

static void
test_chain_empty (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) chain = g_ptr_array_new ();

  assert_chain_error (chain, f->anchors, f->now, CB_X509_ERROR_EMPTY, NULL);
}

static void
test_chain_not_a_ca (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CbKey) key = new_key (CB_KEY_TYPE_EC_P256);
  /* The leaf (CA:FALSE) used as an issuer. */
  g_autoptr(CbCertificate) sub = issue ("CN=sub-device", key, f->leaf_key, f->leaf, FALSE, -1,
                                        CB_KEY_USAGE_DIGITAL_SIGNATURE,
                                        f->now - HOUR, f->now + DAY);
  g_autoptr(GPtrArray) chain = list_of (sub, f->leaf, f->ica, NULL);
  /* A CA without keyCertSign. */
  g_autoptr(CbCertificate) ica = issue ("CN=No Sign ICA", f->ica_key, f->root_key, f->root,
                                        TRUE, 0, CB_KEY_USAGE_DIGITAL_SIGNATURE,
                                        f->now - HOUR, f->now + DAY);
  g_autoptr(CbCertificate) leaf = issue ("CN=dev-4", f->leaf_key, f->ica_key, ica, FALSE, -1,
                                         CB_KEY_USAGE_DIGITAL_SIGNATURE,
                                         f->now - HOUR, f->now + DAY);
  g_autoptr(GPtrArray) chain2 = list_of (leaf, ica, NULL);

  assert_chain_error (chain, f->anchors, f->now, CB_X509_ERROR_NOT_A_CA,
                      "Certificate 2 of 3 (CN=dev-1) signed certificate 1 of 3, the leaf "
                      "(CN=sub-device) but is not a CA");
  assert_chain_error (chain2, f->anchors, f->now, CB_X509_ERROR_NOT_A_CA, "keyCertSign");
}

static void
test_chain_bad_signature (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GBytes) der = cb_certificate_get_der (f->leaf);
  g_autoptr(GBytes) tampered_der = flip_byte (der, 0);
  g_autoptr(CbCertificate) tampered = cert_from_der (tampered_der);
  g_autoptr(GPtrArray) chain = list_of (tampered, f->ica, NULL);
  g_autoptr(GBytes) ica_der = cb_certificate_get_der (f->ica);
  g_autoptr(GBytes) tampered_ica_der = flip_byte (ica_der, 1);
  g_autoptr(CbCertificate) tampered_ica = cert_from_der (tampered_ica_der);
  g_autoptr(GPtrArray) chain2 = list_of (f->leaf, tampered_ica, NULL);

  g_assert_false (cb_certificate_is_issued_by (tampered, f->ica));
  g_assert_true (cb_certificate_is_issued_by (f->leaf, f->ica));
  assert_chain_error (chain, f->anchors, f->now, CB_X509_ERROR_BAD_SIGNATURE,
                      "The signature on certificate 1 of 2, the leaf (CN=dev-1) does not "
                      "verify with the key of certificate 2 of 2 (CN=Test ICA");
  /* The tampered ICA's own signature is bad; its key (and so the leaf's signature) is fine. */
  assert_chain_error (chain2, f->anchors, f->now, CB_X509_ERROR_BAD_SIGNATURE,
                      "The signature on certificate 2 of 2 (CN=Test ICA,O=Certbench Tests) "
                      "does not verify with the key of the trusted root");
}

static void
test_chain_path_length (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CbKey) sub_key = new_key (CB_KEY_TYPE_EC_P256);
  /* The ICA has pathLen 0, so it may not issue another CA. */
  g_autoptr(CbCertificate) sub_ica = issue ("CN=Sub ICA", sub_key, f->ica_key, f->ica, TRUE, -1,
                                            CA_USAGE, f->now - HOUR, f->now + DAY);
  g_autoptr(CbCertificate) leaf = issue ("CN=dev-5", f->leaf_key, sub_key, sub_ica, FALSE, -1,
                                         CB_KEY_USAGE_DIGITAL_SIGNATURE,
                                         f->now - HOUR, f->now + DAY);
  g_autoptr(GPtrArray) chain = list_of (leaf, sub_ica, f->ica, NULL);
  /* A root with pathLen 0 may not have an ICA under it. */
  g_autoptr(CbKey) key = new_key (CB_KEY_TYPE_EC_P256);
  g_autoptr(CbCertificate) root0 = issue ("CN=Root Zero", key, key, NULL, TRUE, 0, CA_USAGE,
                                          f->now - HOUR, f->now + DAY);
  g_autoptr(CbCertificate) ica = issue ("CN=ICA under zero", f->ica_key, key, root0, TRUE, -1,
                                        CA_USAGE, f->now - HOUR, f->now + DAY);
  g_autoptr(CbCertificate) leaf2 = issue ("CN=dev-6", f->leaf_key, f->ica_key, ica, FALSE, -1,
                                          CB_KEY_USAGE_DIGITAL_SIGNATURE,
                                          f->now - HOUR, f->now + DAY);
  g_autoptr(GPtrArray) chain2 = list_of (leaf2, ica, NULL);
  g_autoptr(GPtrArray) anchors2 = list_of (root0, NULL);
  g_autoptr(GPtrArray) chain3 = list_of (leaf2, ica, root0, NULL);

  assert_chain_error (chain, f->anchors, f->now, CB_X509_ERROR_PATH_LENGTH,
                      "Certificate 3 of 3 (CN=Test ICA,O=Certbench Tests) allows 0 "
                      "intermediate CA certificates below it, but the chain has 1");
  assert_chain_error (chain2, anchors2, f->now, CB_X509_ERROR_PATH_LENGTH,
                      "The trusted root (CN=Root Zero) allows 0");
  assert_chain_error (chain3, anchors2, f->now, CB_X509_ERROR_PATH_LENGTH,
                      "Certificate 3 of 3, the trusted root (CN=Root Zero) allows 0");
}

static void
test_chain_sha1 (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GBytes) ica_der = NULL;
  g_autofree char *csr_pem = NULL;
  g_autofree char *ica_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *csr_path = NULL;
  g_autofree char *ica_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(CbCertificate) leaf = NULL;
  g_autoptr(GPtrArray) chain = NULL;

  if (!have_openssl ())
    return;

  csr = cb_csr_create (f->leaf_key, "sha1-device", &error);
  g_assert_no_error (error);
  csr_pem = armour ("CERTIFICATE REQUEST", csr);
  ica_pem = cb_certificate_to_pem (f->ica);
  key_pem = cb_key_to_pem (f->ica_key, &error);
  g_assert_no_error (error);

  csr_path = write_tmp ("sha1.csr", csr_pem, strlen (csr_pem));
  ica_path = write_tmp ("sha1-ica.pem", ica_pem, strlen (ica_pem));
  key_path = write_tmp ("sha1-ica.key", key_pem, strlen (key_pem));
  out_path = g_build_filename (tmp_dir, "sha1-leaf.pem", NULL);

  g_free (run_openssl ((const char *[]) { "x509", "-req", "-in", csr_path, "-CA", ica_path,
                                          "-CAkey", key_path, "-sha1", "-days", "1",
                                          "-set_serial", "7", "-out", out_path, NULL }));
  g_file_get_contents (out_path, &contents, NULL, &error);
  g_assert_no_error (error);
  leaf = cb_certificate_new_from_pem (contents, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_certificate_get_signature_algorithm (leaf), ==, "ECDSA-SHA1");

  chain = list_of (leaf, f->ica, NULL);
  assert_chain_error (chain, f->anchors, now_s (), CB_X509_ERROR_INSECURE_ALGORITHM,
                      "Certificate 1 of 2, the leaf (CN=sha1-device) is signed with ECDSA-SHA1");
  /* The signature itself is fine. */
  g_assert_true (cb_certificate_is_issued_by (leaf, f->ica));
}

/* ---- parsing -------------------------------------------------------------------------- */

static void
test_parse_pem_roundtrip (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chain = list_of (f->leaf, f->ica, f->root, NULL);
  g_autofree char *pem = cb_certificate_list_to_pem (chain);
  g_autofree char *single = cb_certificate_to_pem (f->ica);
  g_autoptr(GPtrArray) parsed = NULL;
  g_autoptr(CbCertificate) first = NULL;
  g_autoptr(CbCertificate) again = NULL;
  g_autofree char *with_key = NULL;

  g_assert_true (g_str_has_prefix (single, "-----BEGIN CERTIFICATE-----\n"));
  g_assert_true (g_str_has_suffix (single, "\n-----END CERTIFICATE-----\n"));
  /* 64-column lines, as openssl writes them. */
  g_assert_cmpint (strchr (single + 28, '\n') - (single + 28), ==, 64);

  parsed = cb_certificate_list_new_from_data ((const guint8 *) pem, strlen (pem), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parsed->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_true (cb_certificate_equal (g_ptr_array_index (parsed, i),
                                         g_ptr_array_index (chain, i)));

  first = cb_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  g_assert_true (cb_certificate_equal (first, f->leaf));

  again = cb_certificate_new_from_pem (single, -1, &error);
  g_assert_no_error (error);
  g_assert_true (cb_certificate_equal (again, f->ica));
  g_assert_false (cb_certificate_equal (again, f->leaf));

  /* Text around blocks, CRLF line ends and a key block are tolerated. */
  {
    g_auto(GStrv) lines = g_strsplit (pem, "\n", -1);
    g_autofree char *joined = g_strjoinv ("\r\n", lines);

    with_key = g_strconcat ("subject=CN = dev-1\n", joined,
                            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                            NULL);
    g_clear_pointer (&parsed, g_ptr_array_unref);
    parsed = cb_certificate_list_new_from_data ((const guint8 *) with_key, strlen (with_key),
                                                &error);
    g_assert_no_error (error);
    g_assert_cmpuint (parsed->len, ==, 3);
  }
}

static void
test_parse_der_roundtrip (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) der = cb_certificate_get_der (f->root);
  g_autoptr(CbCertificate) again = cb_certificate_new_from_der (der, &error);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GBytes) der_again = NULL;

  g_assert_no_error (error);
  g_assert_true (cb_certificate_equal (again, f->root));
  der_again = cb_certificate_get_der (again);
  g_assert_true (g_bytes_equal (der, der_again));

  list = cb_certificate_list_new_from_data (g_bytes_get_data (der, NULL),
                                            g_bytes_get_size (der), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_true (cb_certificate_equal (g_ptr_array_index (list, 0), f->root));
}

static void
assert_parse_error (const char *input,
                    gssize      len,
                    int         code,
                    const char *must_mention)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;

  if (len < 0)
    len = strlen (input);

  list = cb_certificate_list_new_from_data ((const guint8 *) input, len, &error);
  g_assert_null (list);
  g_assert_nonnull (error);
  g_test_message ("parse error: %s", error->message);
  g_assert_error (error, CB_X509_ERROR, code);
  if (must_mention != NULL)
    g_assert_nonnull (strstr (error->message, must_mention));
}

static void
test_parse_truncated (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) chain = list_of (f->leaf, f->ica, f->root, NULL);
  g_autofree char *pem = cb_certificate_list_to_pem (chain);
  g_autofree char *leaf_pem = cb_certificate_to_pem (f->leaf);
  g_autofree char *ica_pem = cb_certificate_to_pem (f->ica);
  gsize cut = strlen (leaf_pem) + strlen (ica_pem) / 2;
  g_autoptr(GBytes) der = cb_certificate_get_der (f->leaf);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *missing_line = NULL;
  g_autoptr(GBytes) short_der = NULL;

  /* Cut in the middle of the second certificate. */
  assert_parse_error (pem, cut, CB_X509_ERROR_PARSE,
                      "Certificate 2 is truncated: the \"-----END CERTIFICATE-----\" line is "
                      "missing");

  /* A base64 line dropped from the first one. */
  missing_line = g_strconcat ("-----BEGIN CERTIFICATE-----\n", leaf_pem + 28 + 65, NULL);
  assert_parse_error (missing_line, -1, CB_X509_ERROR_PARSE, "Certificate 1");

  /* Truncated DER. */
  assert_parse_error (g_bytes_get_data (der, NULL), g_bytes_get_size (der) - 10,
                      CB_X509_ERROR_PARSE, "truncated");
  short_der = g_bytes_new_from_bytes (der, 0, 40);
  cert = cb_certificate_new_from_der (short_der, &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE);
  g_assert_null (cert);
}

static void
test_parse_garbage (void)
{
  static const guint8 fake_der[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertificate) cert = NULL;

  assert_parse_error ("hello, I am not a certificate", -1, CB_X509_ERROR_PARSE,
                      "neither PEM");
  assert_parse_error ((const char *) fake_der, sizeof fake_der, CB_X509_ERROR_PARSE,
                      "not a valid X.509 certificate");
  assert_parse_error ("-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
                      -1, CB_X509_ERROR_PARSE, "Certificate 1 is not a valid X.509 certificate");
  assert_parse_error ("-----BEGIN CERTIFICATE-----\nab$cd\n-----END CERTIFICATE-----\n",
                      -1, CB_X509_ERROR_PARSE, "character 0x24");

  cert = cb_certificate_new_from_pem ("random text", -1, &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE);
  g_assert_null (cert);
}

static void
test_parse_wrong_armour (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) der = cb_certificate_get_der (f->leaf);
  g_autofree char *as_csr = armour ("CERTIFICATE REQUEST", der);
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_autofree char *mismatched = g_strdup_printf ("-----BEGIN CERTIFICATE-----\n%s\n"
                                                 "-----END X509 CRL-----\n", b64);
  g_autoptr(CbCsr) csr = NULL;

  assert_parse_error (as_csr, -1, CB_X509_ERROR_PARSE,
                      "The input holds a PEM \"CERTIFICATE REQUEST\", not a certificate");
  assert_parse_error (mismatched, -1, CB_X509_ERROR_PARSE,
                      "ends with \"-----END X509 CRL-----\"");
  assert_parse_error ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", -1,
                      CB_X509_ERROR_PARSE, "PRIVATE KEY");

  /* The other way round: a certificate handed to the CSR parser. */
  {
    g_autofree char *cert_pem = cb_certificate_to_pem (f->leaf);

    csr = cb_csr_new_from_pem (cert_pem, -1, &error);
    g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE);
    g_assert_null (csr);
  }
}

static void
test_parse_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);

  assert_parse_error ("", 0, CB_X509_ERROR_EMPTY, NULL);
  assert_parse_error (" \n\t\n", -1, CB_X509_ERROR_EMPTY, NULL);
  assert_parse_error ("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", -1,
                      CB_X509_ERROR_PARSE, "empty between");

  cert = cb_certificate_new_from_pem ("", -1, &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY);
  g_clear_error (&error);
  cert = cb_certificate_new_from_der (empty, &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY);
}

/* ---- accessors ------------------------------------------------------------------------ */

static void
test_cert_fields (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (f->leaf_key);
  g_autoptr(GBytes) key_id = cb_pki_key_id_from_spki (spki);
  g_autofree char *key_id_hex = cb_hex_encode (g_bytes_get_data (key_id, NULL), 20, FALSE);
  g_autoptr(GBytes) cert_spki = cb_certificate_get_public_key_der (f->leaf);
  g_autoptr(GBytes) ext_value = g_bytes_new_static ("\x0c\x03" "abc", 5);
  CbCertExtension ext = { "1.3.6.1.4.1.55555.7", ext_value, TRUE };
  static const char *dns[] = { "dev-7.example.net", NULL };
  static const char *uri[] = { "urn:certbench:credential:42", NULL };
  static const char *ip[] = { "192.0.2.7", "2001:db8::1", NULL };
  CbCertProfile profile = {
    .subject_dn = "CN=dev-7,O=Example",
    .not_before = f->now - 300,
    .not_after = f->now + 7 * DAY,
    .path_len = -1,
    .key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE,
    .ext_key_usage = client_auth,
    .san_dns = dns,
    .san_uri = uri,
    .san_ip = ip,
    .extensions = &ext,
    .n_extensions = 1,
  };
  g_autoptr(GBytes) ica_der = cb_certificate_get_der (f->ica);
  g_autoptr(GBytes) der = cb_cert_issue (&profile, spki, f->ica_key, ica_der, &error);
  g_autoptr(CbCertificate) cert = NULL;
  g_autoptr(GBytes) got_ext = NULL;
  g_autofree char *cn_prop = NULL;
  gint64 not_after_prop = 0;
  gboolean critical = FALSE;
  const char * const *sans;
  const char * const *eku;

  g_assert_no_error (error);
  cert = cert_from_der (der);

  g_assert_cmpstr (cb_certificate_get_subject (cert), ==, "CN=dev-7,O=Example");
  g_assert_cmpstr (cb_certificate_get_issuer (cert), ==, "CN=Test ICA,O=Certbench Tests");
  g_assert_cmpstr (cb_certificate_get_common_name (cert), ==, "dev-7");
  g_assert_cmpint (cb_certificate_get_not_before (cert), ==, f->now - 300);
  g_assert_cmpint (cb_certificate_get_not_after (cert), ==, f->now + 7 * DAY);
  g_assert_cmpint (cb_certificate_get_key_type (cert), ==, CB_KEY_TYPE_EC_P256);
  g_assert_cmpint (cb_certificate_get_key_type (f->root), ==, CB_KEY_TYPE_EC_P384);
  g_assert_cmpstr (cb_certificate_get_signature_algorithm (cert), ==, "ECDSA-SHA384");
  g_assert_cmpuint (strlen (cb_certificate_get_serial (cert)), ==, 32);
  g_assert_false (cb_certificate_is_ca (cert));
  g_assert_cmpint (cb_certificate_get_path_len (cert), ==, -1);
  g_assert_cmpuint (cb_certificate_get_key_usage (cert), ==, CB_KEY_USAGE_DIGITAL_SIGNATURE);
  g_assert_true (g_bytes_equal (cert_spki, spki));

  g_assert_true (cb_certificate_is_ca (f->root));
  g_assert_cmpint (cb_certificate_get_path_len (f->root), ==, 1);
  g_assert_cmpint (cb_certificate_get_path_len (f->ica), ==, 0);
  g_assert_cmpuint (cb_certificate_get_key_usage (f->ica), ==, CA_USAGE);
  g_assert_cmpstr (cb_certificate_get_common_name (f->root), ==, "Test Root");

  g_assert_cmpstr (cb_certificate_get_subject_key_id (cert), ==, key_id_hex);
  g_assert_cmpstr (cb_certificate_get_authority_key_id (cert), ==,
                   cb_certificate_get_subject_key_id (f->ica));

  eku = cb_certificate_get_ext_key_usage (cert);
  g_assert_cmpuint (g_strv_length ((char **) eku), ==, 1);
  g_assert_cmpstr (eku[0], ==, CB_OID_EKU_CLIENT_AUTH);
  g_assert_cmpuint (g_strv_length ((char **) cb_certificate_get_ext_key_usage (f->root)), ==, 0);

  sans = cb_certificate_get_subject_alt_names (cert);
  g_assert_cmpuint (g_strv_length ((char **) sans), ==, 4);
  g_assert_cmpstr (sans[0], ==, "DNS:dev-7.example.net");
  g_assert_cmpstr (sans[1], ==, "URI:urn:certbench:credential:42");
  g_assert_cmpstr (sans[2], ==, "IP:192.0.2.7");
  g_assert_cmpstr (sans[3], ==, "IP:2001:db8::1");
  g_assert_cmpuint (g_strv_length ((char **) cb_certificate_get_subject_alt_names (f->root)),
                    ==, 0);

  got_ext = cb_certificate_get_extension (cert, "1.3.6.1.4.1.55555.7", &critical);
  g_assert_nonnull (got_ext);
  g_assert_true (g_bytes_equal (got_ext, ext_value));
  g_assert_true (critical);
  g_assert_null (cb_certificate_get_extension (cert, "1.3.6.1.4.1.55555.8", NULL));

  g_assert_true (cb_certificate_is_issued_by (cert, f->ica));
  g_assert_false (cb_certificate_is_issued_by (cert, f->root));
  g_assert_true (cb_certificate_is_issued_by (f->root, f->root));

  g_object_get (cert, "common-name", &cn_prop, "not-after", &not_after_prop, NULL);
  g_assert_cmpstr (cn_prop, ==, "dev-7");
  g_assert_cmpint (not_after_prop, ==, f->now + 7 * DAY);
}

/* A subject with several CNs: the common name is the last in DER order, the first in the
 * RFC 4514 subject string (which lists the DN from its end). */
static void
test_cert_last_common_name (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(CbKey) key = new_key (CB_KEY_TYPE_EC_P256);
  g_autoptr(CbCertificate) cert = issue ("CN=inner,OU=Devices,CN=outer,O=Certbench Tests", key,
                                         f->ica_key, f->ica, FALSE, -1,
                                         CB_KEY_USAGE_DIGITAL_SIGNATURE, f->now - 300,
                                         f->now + DAY);
  const char *subject = cb_certificate_get_subject (cert);
  g_auto(GStrv) parts = g_strsplit (subject, ",", -1);
  const char *first_cn = NULL;
  guint n_cn = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_has_prefix (parts[i], "CN="))
      {
        if (first_cn == NULL)
          first_cn = parts[i] + 3;
        n_cn++;
      }

  g_test_message ("subject %s, common name %s", subject, cb_certificate_get_common_name (cert));
  g_assert_cmpuint (n_cn, ==, 2);
  g_assert_cmpstr (cb_certificate_get_common_name (cert), ==, first_cn);
  g_assert_cmpstr (cb_certificate_get_common_name (f->leaf), ==, "dev-1");
}

static void
test_cert_openssl (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  /* Top bit set: DER needs a leading 0x00, which openssl does not print. */
  g_autoptr(GBytes) serial = g_bytes_new_static ("\x80\x11\x22\x33", 4);
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (f->leaf_key);
  g_autoptr(GBytes) ica_der = cb_certificate_get_der (f->ica);
  CbCertProfile profile = {
    .subject_dn = "CN=dev-8",
    .not_before = f->now,
    .not_after = f->now + DAY,
    .path_len = -1,
    .key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE,
    .serial = serial,
  };
  g_autoptr(GBytes) der = cb_cert_issue (&profile, spki, f->ica_key, ica_der, &error);
  CbCertificate *certs[2];

  if (!have_openssl ())
    return;

  g_assert_no_error (error);
  certs[0] = cert_from_der (der);
  certs[1] = g_object_ref (f->root);
  g_assert_cmpstr (cb_certificate_get_serial (certs[0]), ==, "80112233");

  for (guint i = 0; i < G_N_ELEMENTS (certs); i++)
    {
      g_autoptr(GBytes) cert_der = cb_certificate_get_der (certs[i]);
      g_autofree char *path = write_tmp ("fp.der", g_bytes_get_data (cert_der, NULL),
                                         g_bytes_get_size (cert_der));
      g_autofree char *sha256 = run_openssl ((const char *[]) { "x509", "-inform", "DER", "-in",
                                                                path, "-noout", "-fingerprint",
                                                                "-sha256", NULL });
      g_autofree char *sha1 = run_openssl ((const char *[]) { "x509", "-inform", "DER", "-in",
                                                              path, "-noout", "-fingerprint",
                                                              "-sha1", NULL });
      g_autofree char *serial_out = run_openssl ((const char *[]) { "x509", "-inform", "DER",
                                                                    "-in", path, "-noout",
                                                                    "-serial", NULL });
      g_autofree char *expected256 = g_strdup_printf ("sha256 Fingerprint=%s\n",
                                                      cb_certificate_get_sha256_fingerprint (certs[i]));
      g_autofree char *expected1 = g_strdup_printf ("sha1 Fingerprint=%s\n",
                                                    cb_certificate_get_sha1_fingerprint (certs[i]));
      g_autofree char *expected_serial = g_strdup_printf ("serial=%s\n",
                                                          cb_certificate_get_serial (certs[i]));

      g_assert_cmpint (g_ascii_strcasecmp (sha256, expected256), ==, 0);
      g_assert_cmpint (g_ascii_strcasecmp (sha1, expected1), ==, 0);
      g_assert_cmpint (g_ascii_strcasecmp (serial_out, expected_serial), ==, 0);
      /* Upper-case hex in colon-separated pairs, like openssl. */
      g_assert_cmpuint (strlen (cb_certificate_get_sha256_fingerprint (certs[i])), ==, 32 * 3 - 1);
      g_assert_true (g_regex_match_simple ("^([0-9A-F]{2}:){31}[0-9A-F]{2}$",
                                           cb_certificate_get_sha256_fingerprint (certs[i]),
                                           0, 0));
      g_assert_true (g_regex_match_simple ("^[0-9a-f]+$", cb_certificate_get_serial (certs[i]),
                                           0, 0));
    }

  g_object_unref (certs[0]);
  g_object_unref (certs[1]);
}

/* ---- validity ------------------------------------------------------------------------- */

static void
test_validity_math (void)
{
  const gint64 nb = 1700000000;
  const gint64 na = nb + 100 * DAY;
  const gint64 rp = nb + 80 * DAY;

  g_assert_cmpint (cb_validity_get_renewal_point (nb, na, 0.8), ==, rp);
  g_assert_cmpint (cb_validity_get_renewal_point (nb, na, 0.0), ==, nb);
  g_assert_cmpint (cb_validity_get_renewal_point (nb, na, 1.0), ==, na);
  g_assert_cmpint (cb_validity_get_renewal_point (nb, na, 7.0), ==, na);
  /* 80 % of 7 s is 5.6 s: not due before it has fully passed. */
  g_assert_cmpint (cb_validity_get_renewal_point (0, 7, 0.8), ==, 6);

  g_assert_cmpint (cb_validity_get_days_left (na, nb), ==, 100);
  g_assert_cmpint (cb_validity_get_days_left (na, na - DAY - 1), ==, 1);
  g_assert_cmpint (cb_validity_get_days_left (na, na - DAY), ==, 1);
  g_assert_cmpint (cb_validity_get_days_left (na, na - DAY + 1), ==, 0);
  g_assert_cmpint (cb_validity_get_days_left (na, na), ==, 0);
  g_assert_cmpint (cb_validity_get_days_left (na, na + 1), ==, -1);
  g_assert_cmpint (cb_validity_get_days_left (na, na + DAY), ==, -1);
  g_assert_cmpint (cb_validity_get_days_left (na, na + DAY + 1), ==, -2);

  g_assert_cmpfloat (cb_validity_get_fraction_used (nb, na, nb - DAY), ==, 0.0);
  g_assert_cmpfloat (cb_validity_get_fraction_used (nb, na, nb), ==, 0.0);
  g_assert_cmpfloat_with_epsilon (cb_validity_get_fraction_used (nb, na, nb + 50 * DAY), 0.5,
                                  1e-12);
  g_assert_cmpfloat_with_epsilon (cb_validity_get_fraction_used (nb, na, rp), 0.8, 1e-12);
  g_assert_cmpfloat (cb_validity_get_fraction_used (nb, na, na), ==, 1.0);
  g_assert_cmpfloat (cb_validity_get_fraction_used (nb, na, na + DAY), ==, 1.0);
  g_assert_cmpfloat (cb_validity_get_fraction_used (nb, nb, nb - 1), ==, 0.0);
  g_assert_cmpfloat (cb_validity_get_fraction_used (nb, nb, nb), ==, 1.0);

  /* State transitions at the exact boundaries. */
  g_assert_cmpint (cb_validity_get_state (nb, na, nb - 1, 0.8), ==, CB_VALIDITY_NOT_YET_VALID);
  g_assert_cmpint (cb_validity_get_state (nb, na, nb, 0.8), ==, CB_VALIDITY_VALID);
  g_assert_cmpint (cb_validity_get_state (nb, na, rp - 1, 0.8), ==, CB_VALIDITY_VALID);
  g_assert_cmpint (cb_validity_get_state (nb, na, rp, 0.8), ==, CB_VALIDITY_RENEWAL_DUE);
  g_assert_cmpint (cb_validity_get_state (nb, na, na, 0.8), ==, CB_VALIDITY_RENEWAL_DUE);
  g_assert_cmpint (cb_validity_get_state (nb, na, na + 1, 0.8), ==, CB_VALIDITY_EXPIRED);
  g_assert_cmpint (cb_validity_get_state (nb, na, rp, 0.9), ==, CB_VALIDITY_VALID);
  g_assert_cmpint (cb_validity_get_state (nb, na, rp, CB_DEFAULT_RENEWAL_FRACTION), ==,
                   CB_VALIDITY_RENEWAL_DUE);

  g_assert_cmpstr (cb_validity_state_to_string (CB_VALIDITY_NOT_YET_VALID), ==, "not-yet-valid");
  g_assert_cmpstr (cb_validity_state_to_string (CB_VALIDITY_VALID), ==, "valid");
  g_assert_cmpstr (cb_validity_state_to_string (CB_VALIDITY_RENEWAL_DUE), ==, "renewal-due");
  g_assert_cmpstr (cb_validity_state_to_string (CB_VALIDITY_EXPIRED), ==, "expired");
}

static void
test_validity_certificate (Fixture       *f,
                           gconstpointer  data)
{
  gint64 nb = cb_certificate_get_not_before (f->leaf);
  gint64 na = cb_certificate_get_not_after (f->leaf);
  gint64 rp = cb_validity_get_renewal_point (nb, na, 0.8);

  g_assert_cmpint (cb_certificate_get_validity_state (f->leaf, f->now, 0.8), ==,
                   CB_VALIDITY_VALID);
  g_assert_cmpint (cb_certificate_get_validity_state (f->leaf, rp, 0.8), ==,
                   CB_VALIDITY_RENEWAL_DUE);
  g_assert_cmpint (cb_certificate_get_validity_state (f->leaf, na + 1, 0.8), ==,
                   CB_VALIDITY_EXPIRED);
  g_assert_cmpint (cb_certificate_get_validity_state (f->leaf, nb - 1, 0.8), ==,
                   CB_VALIDITY_NOT_YET_VALID);
  g_assert_cmpint (cb_validity_get_days_left (na, f->now), ==, 30);
  g_assert_cmpint (cb_validity_get_days_left (na, f->now + 1), ==, 29);
}

/* ---- CSRs ----------------------------------------------------------------------------- */

static CbCsr *
make_csr (CbKey      *key,
          const char *cn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) der = cb_csr_create (key, cn, &error);
  CbCsr *csr;

  g_assert_no_error (error);
  csr = cb_csr_new_from_der (der, &error);
  g_assert_no_error (error);
  g_assert_nonnull (csr);

  return csr;
}

static void
test_csr_accepted (void)
{
  static const CbKeyType types[] = { CB_KEY_TYPE_EC_P256, CB_KEY_TYPE_EC_P384 };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbKey) key = new_key (types[i]);
      g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
      g_autoptr(CbCsr) csr = make_csr (key, "device-0001");
      g_autoptr(GBytes) der = cb_csr_get_der (csr);
      g_autoptr(GBytes) csr_spki = cb_csr_get_public_key_der (csr);
      g_autofree char *pem = armour ("CERTIFICATE REQUEST", der);
      g_autofree char *new_pem = armour ("NEW CERTIFICATE REQUEST", der);
      g_autofree char *b64 = g_base64_encode (g_bytes_get_data (der, NULL),
                                              g_bytes_get_size (der));
      g_autoptr(CbCsr) from_pem = NULL;
      g_autoptr(CbCsr) from_new_pem = NULL;
      g_autoptr(CbCsr) from_b64 = NULL;
      g_autoptr(GBytes) der2 = NULL;

      g_assert_cmpint (cb_csr_get_key_type (csr), ==, types[i]);
      g_assert_cmpstr (cb_csr_get_common_name (csr), ==, "device-0001");
      g_assert_cmpstr (cb_csr_get_subject (csr), ==, "CN=device-0001");
      g_assert_true (g_bytes_equal (csr_spki, spki));

      g_assert_true (cb_csr_verify_signature (csr, &error));
      g_assert_no_error (error);
      g_assert_true (cb_csr_check (csr, "device-0001", spki, &error));
      g_assert_no_error (error);
      g_assert_true (cb_csr_check (csr, "device-0001", NULL, &error));
      g_assert_no_error (error);

      from_pem = cb_csr_new_from_pem (pem, -1, &error);
      g_assert_no_error (error);
      der2 = cb_csr_get_der (from_pem);
      g_assert_true (g_bytes_equal (der, der2));
      from_new_pem = cb_csr_new_from_pem (new_pem, -1, &error);
      g_assert_no_error (error);
      g_assert_true (cb_csr_check (from_new_pem, "device-0001", spki, &error));
      from_b64 = cb_csr_new_from_base64 (b64, &error);
      g_assert_no_error (error);
      g_assert_true (cb_csr_check (from_b64, "device-0001", spki, &error));
      g_assert_no_error (error);
    }
}

static void
test_csr_unsupported_key (void)
{
  static const CbKeyType types[] = { CB_KEY_TYPE_RSA, CB_KEY_TYPE_EC_P521 };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbKey) key = new_key (types[i]);
      g_autoptr(CbCsr) csr = make_csr (key, "device-rsa");

      g_assert_cmpint (cb_csr_get_key_type (csr), ==, types[i]);
      /* The signature is fine; the key type is not. */
      g_assert_true (cb_csr_verify_signature (csr, &error));
      g_assert_no_error (error);
      g_assert_false (cb_csr_check (csr, "device-rsa", NULL, &error));
      g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_UNSUPPORTED_KEY);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cb_key_type_to_string (types[i])));
    }
}

static void
test_csr_wrong_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = new_key (CB_KEY_TYPE_EC_P256);
  g_autoptr(CbCsr) csr = make_csr (key, "device-1");

  g_assert_false (cb_csr_check (csr, "device-2", NULL, &error));
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_WRONG_NAME);
  g_assert_nonnull (strstr (error->message, "\"device-1\", expected \"device-2\""));
  g_clear_error (&error);

  /* Exact match: case counts. */
  g_assert_false (cb_csr_check (csr, "Device-1", NULL, &error));
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_WRONG_NAME);
}

static void
test_csr_tampered (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = new_key (CB_KEY_TYPE_EC_P384);
  g_autoptr(CbCsr) csr = make_csr (key, "device-1");
  g_autoptr(GBytes) der = cb_csr_get_der (csr);
  g_autoptr(GBytes) bad_sig = flip_byte (der, 0);
  g_autoptr(CbCsr) tampered = cb_csr_new_from_der (bad_sig, &error);
  g_autofree guint8 *renamed = g_memdup2 (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  guint8 *hit = NULL;
  g_autoptr(GBytes) renamed_der = NULL;
  g_autoptr(CbCsr) renamed_csr = NULL;

  g_assert_no_error (error);
  g_assert_false (cb_csr_verify_signature (tampered, &error));
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (cb_csr_check (tampered, "device-1", NULL, &error));
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_BAD_SIGNATURE);
  g_clear_error (&error);

  /* Someone edits the CN in the signed part: device-1 becomes device-2. */
  for (gsize i = 0; i + 8 <= g_bytes_get_size (der); i++)
    if (memcmp (renamed + i, "device-1", 8) == 0)
      hit = renamed + i;
  g_assert_nonnull (hit);
  hit[7] = '2';
  renamed_der = g_bytes_new (renamed, g_bytes_get_size (der));
  renamed_csr = cb_csr_new_from_der (renamed_der, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_csr_get_common_name (renamed_csr), ==, "device-2");
  g_assert_false (cb_csr_check (renamed_csr, "device-2", NULL, &error));
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_BAD_SIGNATURE);
}

static void
test_csr_wrong_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = new_key (CB_KEY_TYPE_EC_P256);
  g_autoptr(CbKey) other = new_key (CB_KEY_TYPE_EC_P256);
  g_autoptr(GBytes) other_spki = cb_key_get_public_key_der (other);
  g_autoptr(CbCsr) csr = make_csr (key, "device-1");

  g_assert_false (cb_csr_check (csr, "device-1", other_spki, &error));
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_WRONG_KEY);
}

static void
test_csr_parse_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) junk = g_bytes_new_static ("\x30\x05\x02\x01", 4);
  g_autoptr(CbCsr) csr = NULL;

  csr = cb_csr_new_from_der (empty, &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY);
  g_clear_error (&error);
  csr = cb_csr_new_from_der (junk, &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "truncated"));
  g_clear_error (&error);
  csr = cb_csr_new_from_pem ("not pem", -1, &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE);
  g_clear_error (&error);
  csr = cb_csr_new_from_pem ("", -1, &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY);
  g_clear_error (&error);
  csr = cb_csr_new_from_base64 ("MIIB*", &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE);
  g_clear_error (&error);
  csr = cb_csr_new_from_base64 ("MIIBAA", &error);
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE);
  g_assert_null (csr);
}

/* ---- proof of possession -------------------------------------------------------------- */

static void
test_pop (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  static const guint8 nonce[] = "pop-nonce-5f2c";
  g_autoptr(GBytes) sig = cb_key_sign (f->leaf_key, nonce, sizeof nonce, &error);
  g_autoptr(GBytes) leaf_spki = cb_certificate_get_public_key_der (f->leaf);
  g_autoptr(GBytes) ica_spki = cb_certificate_get_public_key_der (f->ica);

  g_assert_no_error (error);
  g_assert_true (cb_pki_verify_signature (leaf_spki, nonce, sizeof nonce, sig, &error));
  g_assert_no_error (error);

  /* Signed by the leaf's key, checked against another certificate's key. */
  g_assert_false (cb_pki_verify_signature (ica_spki, nonce, sizeof nonce, sig, &error));
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_clear_error (&error);
}

/* The proof of possession with the key the certificate parsed once: the same answers and
 * errors as with its exported SPKI, for a P-256 leaf and a P-384 CA. */
static void
test_pop_certificate_key (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) spki_error = NULL;
  static const guint8 nonce[] = "pop-nonce-77a1";
  g_autoptr(GBytes) sig = cb_key_sign (f->leaf_key, nonce, sizeof nonce, &error);
  g_autoptr(GBytes) ica_sig = cb_key_sign (f->ica_key, nonce, sizeof nonce, &error);
  g_autoptr(GBytes) bad_sig = flip_byte (sig, 0);
  g_autoptr(GBytes) ica_spki = cb_certificate_get_public_key_der (f->ica);

  g_assert_no_error (error);
  g_assert_true (cb_certificate_verify_signature (f->leaf, nonce, sizeof nonce, sig, &error));
  g_assert_no_error (error);
  g_assert_true (cb_certificate_verify_signature (f->ica, nonce, sizeof nonce, ica_sig, &error));
  g_assert_no_error (error);

  g_assert_false (cb_certificate_verify_signature (f->leaf, nonce, sizeof nonce - 1, sig, &error));
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (cb_certificate_verify_signature (f->leaf, nonce, sizeof nonce, bad_sig, &error));
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  /* Another certificate's key: the message names the key's type, as before. */
  g_assert_false (cb_certificate_verify_signature (f->ica, nonce, sizeof nonce, sig, &error));
  g_assert_false (cb_pki_verify_signature (ica_spki, nonce, sizeof nonce, sig, &spki_error));
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, spki_error->message);
  g_assert_nonnull (strstr (error->message, "EC P-384"));

  g_assert_cmpint (cb_certificate_get_key_type (f->leaf), ==, CB_KEY_TYPE_EC_P256);
  g_assert_cmpint (cb_certificate_get_key_type (f->ica), ==, CB_KEY_TYPE_EC_P384);
}

/* Whether bytes lies inside the memory of whole (a slice of it, not a copy). */
static gboolean
is_slice_of (GBytes *bytes,
             GBytes *whole)
{
  const guint8 *b = g_bytes_get_data (bytes, NULL);
  const guint8 *w = g_bytes_get_data (whole, NULL);

  return b >= w && b + g_bytes_get_size (bytes) <= w + g_bytes_get_size (whole);
}

/* A certificate's and a request's SPKI are the bytes GnuTLS exports for their key; an EC key's
 * are taken from the DER itself (nothing is encoded again), whatever the key type. */
static void
test_spki_as_in_der (void)
{
  static const CbKeyType types[] = {
    CB_KEY_TYPE_EC_P256, CB_KEY_TYPE_EC_P384, CB_KEY_TYPE_EC_P521, CB_KEY_TYPE_RSA
  };
  gint64 now = now_s ();

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbKey) key = new_key (types[i]);
      g_autoptr(GBytes) exported = cb_key_get_public_key_der (key);
      g_autoptr(CbCertificate) cert = issue ("CN=spki,O=Certbench Tests", key, key, NULL, TRUE, -1,
                                             CA_USAGE, now - 60, now + 3600);
      g_autoptr(GBytes) cert_der = cb_certificate_get_der (cert);
      g_autoptr(GBytes) cert_spki = cb_certificate_get_public_key_der (cert);
      g_autoptr(GBytes) csr_der = cb_csr_create (key, "spki-device", &error);
      g_autoptr(CbCsr) csr = NULL;
      g_autoptr(GBytes) csr_spki = NULL;
      gboolean ec = types[i] != CB_KEY_TYPE_RSA;

      g_assert_no_error (error);
      csr = cb_csr_new_from_der (csr_der, &error);
      g_assert_no_error (error);
      csr_spki = cb_csr_get_public_key_der (csr);

      g_assert_true (g_bytes_equal (cert_spki, exported));
      g_assert_true (g_bytes_equal (csr_spki, exported));
      g_assert_cmpint (cb_certificate_get_key_type (cert), ==, types[i]);
      g_assert_cmpint (cb_csr_get_key_type (csr), ==, types[i]);
      g_assert_cmpint (cb_pki_key_type_from_spki (exported), ==, types[i]);
      g_assert_true (is_slice_of (cert_spki, cert_der) == ec);
      g_assert_true (is_slice_of (csr_spki, csr_der) == ec);
    }
}

/* What GnuTLS makes of a DER SPKI: the type cb_pki_key_type_from_spki() must agree with. */
static CbKeyType
gnutls_spki_type (const guint8 *data,
                  gsize         len)
{
  gnutls_pubkey_t pub = NULL;
  gnutls_datum_t datum = { (unsigned char *) data, len };
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  CbKeyType type = CB_KEY_TYPE_UNKNOWN;

  g_assert_cmpint (gnutls_pubkey_init (&pub), ==, 0);
  if (gnutls_pubkey_import (pub, &datum, GNUTLS_X509_FMT_DER) == 0)
    {
      if (gnutls_pubkey_get_pk_algorithm (pub, NULL) == GNUTLS_PK_RSA)
        type = CB_KEY_TYPE_RSA;
      else if (gnutls_pubkey_export_ecc_raw2 (pub, &curve, NULL, NULL, 0) == 0)
        type = curve == GNUTLS_ECC_CURVE_SECP256R1 ? CB_KEY_TYPE_EC_P256 :
               curve == GNUTLS_ECC_CURVE_SECP384R1 ? CB_KEY_TYPE_EC_P384 :
               curve == GNUTLS_ECC_CURVE_SECP521R1 ? CB_KEY_TYPE_EC_P521 : CB_KEY_TYPE_UNKNOWN;
    }
  gnutls_pubkey_deinit (pub);

  return type;
}

/* A device's key read without GnuTLS when it has GnuTLS's own form: the same type as GnuTLS's
 * import for it and for every one-byte change, one byte less or one more. */
static void
test_spki_type_agrees (void)
{
  static const CbKeyType types[] = { CB_KEY_TYPE_EC_P256, CB_KEY_TYPE_EC_P384, CB_KEY_TYPE_EC_P521 };
  static const guint8 flips[] = { 0x01, 0x02, 0x80, 0xff };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(CbKey) key = new_key (types[i]);
      g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
      gsize len = g_bytes_get_size (spki);
      g_autofree guint8 *copy = g_malloc (len + 1);

      memcpy (copy, g_bytes_get_data (spki, NULL), len);
      copy[len] = 0;

      for (gsize n = len - 1; n <= len + 1; n++)
        {
          g_autoptr(GBytes) sized = g_bytes_new (copy, n);

          g_assert_cmpint (cb_pki_key_type_from_spki (sized), ==, gnutls_spki_type (copy, n));
        }

      for (gsize at = 0; at < len; at++)
        for (guint f = 0; f < G_N_ELEMENTS (flips); f++)
          {
            g_autoptr(GBytes) changed = NULL;

            copy[at] ^= flips[f];
            changed = g_bytes_new (copy, len);
            g_assert_cmpint (cb_pki_key_type_from_spki (changed), ==, gnutls_spki_type (copy, len));
            copy[at] ^= flips[f];
          }
    }
}

/* A copy of der whose SPKI (the bytes spki, found in it) has its point's coordinates changed by
 * change (X all zero, or Y's last byte flipped). */
typedef enum { POINT_X_ZERO, POINT_Y_FLIPPED } PointChange;

static GBytes *
change_point (GBytes      *der,
              GBytes      *spki,
              gsize        coordinate_len,
              PointChange  change)
{
  gsize len = g_bytes_get_size (der);
  gsize spki_len = g_bytes_get_size (spki);
  guint8 *copy = g_memdup2 (g_bytes_get_data (der, NULL), len);
  guint8 *at = NULL;
  guint8 *x;

  for (gsize i = 0; at == NULL && i + spki_len <= len; i++)
    if (memcmp (copy + i, g_bytes_get_data (spki, NULL), spki_len) == 0)
      at = copy + i;
  g_assert_nonnull (at);
  x = at + spki_len - 2 * coordinate_len;
  if (change == POINT_X_ZERO)
    memset (x, 0, coordinate_len);
  else
    x[2 * coordinate_len - 1] ^= 0x01;

  return g_bytes_new_take (copy, len);
}

/* A certificate or request whose EC point is off the curve, or has a zero coordinate, reads
 * as GnuTLS's import of its SPKI reads (GnuTLS checks the point only when it verifies), and
 * no signature verifies with it, with the message the SPKI's own verify gives. */
static void
test_spki_odd_points (void)
{
  static const struct { CbKeyType type; gsize n; } curves[] = {
    { CB_KEY_TYPE_EC_P256, 32 }, { CB_KEY_TYPE_EC_P384, 48 },
  };
  static const guint8 nonce[] = "odd-point";
  gint64 now = now_s ();

  for (guint i = 0; i < G_N_ELEMENTS (curves); i++)
    for (PointChange change = POINT_X_ZERO; change <= POINT_Y_FLIPPED; change++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GError) spki_error = NULL;
        g_autoptr(CbKey) key = new_key (curves[i].type);
        g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
        g_autoptr(CbCertificate) cert = issue ("CN=odd,O=Certbench Tests", key, key, NULL, TRUE,
                                               -1, CA_USAGE, now - 60, now + 3600);
        g_autoptr(GBytes) cert_der = cb_certificate_get_der (cert);
        g_autoptr(GBytes) csr_der = cb_csr_create (key, "odd-device", &error);
        g_autoptr(GBytes) sig = cb_key_sign (key, nonce, sizeof nonce, &error);
        g_autoptr(GBytes) odd_cert_der = change_point (cert_der, spki, curves[i].n, change);
        g_autoptr(GBytes) odd_csr_der = change_point (csr_der, spki, curves[i].n, change);
        g_autoptr(GBytes) odd_spki = change_point (spki, spki, curves[i].n, change);
        CbKeyType expected = gnutls_spki_type (g_bytes_get_data (odd_spki, NULL),
                                               g_bytes_get_size (odd_spki));
        g_autoptr(CbCertificate) odd_cert = NULL;
        g_autoptr(CbCsr) odd_csr = NULL;

        g_assert_no_error (error);
        odd_cert = cb_certificate_new_from_der (odd_cert_der, NULL);
        odd_csr = cb_csr_new_from_der (odd_csr_der, NULL);
        g_test_message ("%s, %s: GnuTLS reads %s", cb_key_type_to_string (curves[i].type),
                        change == POINT_X_ZERO ? "X zero" : "Y changed",
                        cb_key_type_to_string (expected));
        g_assert_true ((odd_cert != NULL) == (expected != CB_KEY_TYPE_UNKNOWN));
        g_assert_true ((odd_csr != NULL) == (expected != CB_KEY_TYPE_UNKNOWN));
        if (expected == CB_KEY_TYPE_UNKNOWN)
          continue;

        {
          g_autoptr(GBytes) cert_spki = cb_certificate_get_public_key_der (odd_cert);
          g_autoptr(GBytes) csr_spki = cb_csr_get_public_key_der (odd_csr);

          g_assert_true (g_bytes_equal (cert_spki, odd_spki));
          g_assert_true (g_bytes_equal (csr_spki, odd_spki));
        }
        g_assert_cmpint (cb_certificate_get_key_type (odd_cert), ==, expected);
        g_assert_cmpint (cb_csr_get_key_type (odd_csr), ==, expected);

        g_assert_false (cb_certificate_verify_signature (odd_cert, nonce, sizeof nonce, sig, &error));
        g_assert_false (cb_pki_verify_signature (odd_spki, nonce, sizeof nonce, sig, &spki_error));
        g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
        g_assert_cmpstr (error->message, ==, spki_error->message);
        g_clear_error (&error);
        g_assert_false (cb_csr_verify_signature (odd_csr, &error));
        g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_BAD_SIGNATURE);
      }
}

typedef struct
{
  CbCertificate      *cert;
  const char         *sha1;
  const char * const *eku;
  const char * const *sans;
} ExtrasSeen;

static gpointer
read_extras (gpointer data)
{
  ExtrasSeen *seen = data;

  seen->sha1 = cb_certificate_get_sha1_fingerprint (seen->cert);
  seen->eku = cb_certificate_get_ext_key_usage (seen->cert);
  seen->sans = cb_certificate_get_subject_alt_names (seen->cert);

  return NULL;
}

/* A certificate's SHA-1 fingerprint, extended key usage and alternative names are written out
 * when first asked for: threads asking at once all get the one copy, with the certificate's
 * values. */
static void
test_cert_extras_shared (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GBytes) der = cb_certificate_get_der (f->leaf);
  g_autoptr(CbCertificate) cert = cert_from_der (der);
  g_autofree char *sha1 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, der);
  g_autoptr(GString) plain = g_string_new (NULL);
  ExtrasSeen seen[8];
  GThread *threads[G_N_ELEMENTS (seen)];

  for (guint i = 0; i < G_N_ELEMENTS (seen); i++)
    {
      seen[i] = (ExtrasSeen) { .cert = cert };
      threads[i] = g_thread_new ("extras", read_extras, &seen[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (seen); i++)
    {
      g_thread_join (threads[i]);
      g_assert_true (seen[i].sha1 == seen[0].sha1);
      g_assert_true (seen[i].eku == seen[0].eku);
      g_assert_true (seen[i].sans == seen[0].sans);
    }

  for (const char *c = seen[0].sha1; *c != '\0'; c++)
    if (*c != ':')
      g_string_append_c (plain, g_ascii_tolower (*c));
  g_assert_cmpstr (plain->str, ==, sha1);
  g_assert_cmpstr (seen[0].sha1, ==, cb_certificate_get_sha1_fingerprint (f->leaf));
  g_assert_nonnull (seen[0].eku);
  g_assert_cmpstr (seen[0].eku[0], ==, CB_OID_EKU_CLIENT_AUTH);
  g_assert_null (seen[0].eku[1]);
  g_assert_nonnull (seen[0].sans);
  g_assert_null (seen[0].sans[0]);
}

/* Services write certificates in JSON as PEM or as bare base64 DER. */
static void
test_parse_text (void)
{
  g_autoptr(CbKey) key = new_key (CB_KEY_TYPE_EC_P256);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(CbCertificate) cert = issue ("CN=text", key, key, NULL, TRUE, -1,
                                         CB_KEY_USAGE_KEY_CERT_SIGN, now - 60, now + 3600);
  g_autoptr(GBytes) der = cb_certificate_get_der (cert);
  g_autofree char *pem = cb_certificate_to_pem (cert);
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_autoptr(CbCertificate) from_pem = cb_certificate_new_from_text (pem);
  g_autoptr(CbCertificate) from_b64 = cb_certificate_new_from_text (b64);

  g_assert_nonnull (from_pem);
  g_assert_nonnull (from_b64);
  g_assert_true (cb_certificate_equal (from_pem, cert));
  g_assert_true (cb_certificate_equal (from_b64, cert));
  g_assert_null (cb_certificate_new_from_text (NULL));
  g_assert_null (cb_certificate_new_from_text ("not a certificate"));
  g_assert_null (cb_certificate_new_from_text ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("test-x509-XXXXXX", &error);
  g_assert_no_error (error);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/cb/x509/chain/valid", test_chain_valid);
  ADD ("/cb/x509/chain/split-keeps-cas", test_chain_split_keeps_cas);
  ADD ("/cb/x509/chain/verified-ca-kept", test_chain_verified_ca_kept);
  ADD ("/cb/x509/chain/verified-link-counted", test_chain_verified_link_counted);
  ADD ("/cb/x509/chain/verified-link-misses", test_chain_verified_link_misses);
  ADD ("/cb/x509/chain/expired-leaf", test_chain_expired_leaf);
  ADD ("/cb/x509/chain/not-yet-valid", test_chain_not_yet_valid);
  ADD ("/cb/x509/chain/expired-root", test_chain_expired_root);
  ADD ("/cb/x509/chain/unknown-root", test_chain_unknown_root);
  ADD ("/cb/x509/chain/swapped", test_chain_swapped);
  ADD ("/cb/x509/chain/empty", test_chain_empty);
  ADD ("/cb/x509/chain/not-a-ca", test_chain_not_a_ca);
  ADD ("/cb/x509/chain/bad-signature", test_chain_bad_signature);
  ADD ("/cb/x509/chain/path-length", test_chain_path_length);
  ADD ("/cb/x509/chain/sha1", test_chain_sha1);
  ADD ("/cb/x509/parse/pem-roundtrip", test_parse_pem_roundtrip);
  ADD ("/cb/x509/parse/der-roundtrip", test_parse_der_roundtrip);
  ADD ("/cb/x509/parse/truncated", test_parse_truncated);
  g_test_add_func ("/cb/x509/parse/garbage", test_parse_garbage);
  g_test_add_func ("/cb/x509/parse/text", test_parse_text);
  ADD ("/cb/x509/parse/wrong-armour", test_parse_wrong_armour);
  g_test_add_func ("/cb/x509/parse/empty", test_parse_empty);
  ADD ("/cb/x509/cert/fields", test_cert_fields);
  ADD ("/cb/x509/cert/openssl", test_cert_openssl);
  ADD ("/cb/x509/cert/last-common-name", test_cert_last_common_name);
  ADD ("/cb/x509/cert/extras-shared", test_cert_extras_shared);
  g_test_add_func ("/cb/x509/validity/math", test_validity_math);
  ADD ("/cb/x509/validity/certificate", test_validity_certificate);
  g_test_add_func ("/cb/x509/csr/accepted", test_csr_accepted);
  g_test_add_func ("/cb/x509/csr/unsupported-key", test_csr_unsupported_key);
  g_test_add_func ("/cb/x509/csr/wrong-name", test_csr_wrong_name);
  g_test_add_func ("/cb/x509/csr/tampered", test_csr_tampered);
  g_test_add_func ("/cb/x509/csr/wrong-key", test_csr_wrong_key);
  g_test_add_func ("/cb/x509/csr/parse-errors", test_csr_parse_errors);
  ADD ("/cb/x509/pop/sign-verify", test_pop);
  ADD ("/cb/x509/pop/certificate-key", test_pop_certificate_key);
  g_test_add_func ("/cb/x509/spki/as-in-der", test_spki_as_in_der);
  g_test_add_func ("/cb/x509/spki/type-agrees", test_spki_type_agrees);
  g_test_add_func ("/cb/x509/spki/odd-points", test_spki_odd_points);

#undef ADD

  ret = g_test_run ();

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
