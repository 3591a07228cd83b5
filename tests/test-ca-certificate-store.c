/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The CA certificates the station keeps (cb-ca-certificate-store.h): a chain leaves its CA
 * certificates (not its leaf) in one PEM file that the real openssl reads; a new store on the
 * same file has them; a damaged file is never written over; and the lookup finds an ADR CA's
 * certificate by thumbprint or by subject and dates, with its chain up to the root, checked
 * by signature (a look-alike with the root's name is not taken). */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cb-ca-certificate-store.h"
#include "cb-pki.h"
#include "cb-test-arm.h"
#include "cb-test-factory.h"
#include "cb-x509.h"

typedef struct
{
  char          *dir;
  char          *path;
  GPtrArray     *chain;   /* leaf, ICA, root */
  CbCertificate *impostor; /* a root with the real root's name, another key */
  gint64         now;
} Fixture;

static CbCertificate *
issue (const char  *subject,
       gboolean     is_ca,
       CbKey       *key,
       CbKey       *issuer_key,
       GBytes      *issuer_der,
       gint64       now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pub = cb_key_get_public_key_der (key);
  g_autoptr(GBytes) der = NULL;
  CbCertProfile profile = { 0 };
  CbCertificate *cert;

  profile.subject_dn = subject;
  profile.not_before = now - 3600;
  profile.not_after = now + 365 * 24 * 3600;
  profile.is_ca = is_ca;
  profile.path_len = is_ca ? 1 : -1;
  profile.key_usage = is_ca ? CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN
                            : CB_KEY_USAGE_DIGITAL_SIGNATURE;
  der = cb_cert_issue (&profile, pub, issuer_key, issuer_der, &error);
  g_assert_no_error (error);
  cert = cb_certificate_new_from_der (der, &error);
  g_assert_no_error (error);
  return cert;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) root_key = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
  g_autoptr(CbKey) ica_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(CbKey) leaf_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(CbKey) other_key = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
  g_autoptr(CbCertificate) root = NULL;
  g_autoptr(CbCertificate) ica = NULL;
  g_autoptr(GBytes) root_der = NULL;
  g_autoptr(GBytes) ica_der = NULL;

  g_assert_no_error (error);
  f->now = g_get_real_time () / G_USEC_PER_SEC;
  f->dir = g_dir_make_tmp ("cb-ca-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "station", "ca-certificates.pem", NULL);

  root = issue ("CN=Contoso Root,O=Contoso", TRUE, root_key, root_key, NULL, f->now);
  root_der = cb_certificate_get_der (root);
  ica = issue ("CN=contoso-ica,O=Contoso", TRUE, ica_key, root_key, root_der, f->now);
  ica_der = cb_certificate_get_der (ica);
  f->chain = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (f->chain, issue ("CN=device-1", FALSE, leaf_key, ica_key, ica_der, f->now));
  g_ptr_array_add (f->chain, g_object_ref (ica));
  g_ptr_array_add (f->chain, g_object_ref (root));
  f->impostor = issue ("CN=Contoso Root,O=Contoso", TRUE, other_key, other_key, NULL, f->now);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
  g_ptr_array_unref (f->chain);
  g_object_unref (f->impostor);
}

static CbCertificate *
at (GPtrArray *list,
    guint      i)
{
  return g_ptr_array_index (list, i);
}

static void
test_keep (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(CbCaCertificateStore) store = cb_ca_certificate_store_new (f->path);
  g_autoptr(CbCaCertificateStore) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sha1 = NULL;
  GStatBuf st;

  g_assert_cmpuint (cb_ca_certificate_store_get_certificates (store)->len, ==, 0);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));

  /* The ICA and the root, not the leaf; twice is once. */
  g_assert_true (cb_ca_certificate_store_add_chain (store, f->chain, &error));
  g_assert_no_error (error);
  g_assert_true (cb_ca_certificate_store_add_chain (store, f->chain, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cb_ca_certificate_store_get_certificates (store)->len, ==, 2);
  g_assert_true (cb_certificate_equal (at (cb_ca_certificate_store_get_certificates (store), 0),
                                       at (f->chain, 1)));

  /* The file is PEM the real openssl reads: its first certificate is the ICA. */
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  sha1 = cb_test_openssl_fingerprint (f->path, "-sha1", FALSE);
  g_assert_cmpstr (sha1, ==, cb_certificate_get_sha1_fingerprint (at (f->chain, 1)));

  /* Another store on the file (the next start) has them. */
  again = cb_ca_certificate_store_new (f->path);
  g_assert_cmpuint (cb_ca_certificate_store_get_certificates (again)->len, ==, 2);
  g_assert_true (cb_certificate_equal (at (cb_ca_certificate_store_get_certificates (again), 1),
                                       at (f->chain, 2)));
}

static void
test_damaged (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CbCaCertificateStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autofree char *contents = NULL;
  const char *damaged = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                        "-----END CERTIFICATE-----\n";

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, damaged, -1, &error));
  g_test_expect_message ("cb-ca-certificate-store", G_LOG_LEVEL_WARNING, "*do not parse*");
  store = cb_ca_certificate_store_new (f->path);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (cb_ca_certificate_store_get_certificates (store)->len, ==, 0);

  /* Kept for this run, but the file is what it was: nothing of it lost. */
  g_assert_true (cb_ca_certificate_store_add_chain (store, f->chain, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cb_ca_certificate_store_get_certificates (store)->len, ==, 2);
  g_assert_true (g_file_get_contents (f->path, &contents, NULL, &error));
  g_assert_cmpstr (contents, ==, damaged);
}

static void
test_find (Fixture       *f,
           gconstpointer  data)
{
  CbCertificate *ica = at (f->chain, 1);
  CbCertificate *root = at (f->chain, 2);
  g_autoptr(GPtrArray) pool = g_ptr_array_new ();
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *thumbprint = NULL;
  g_autofree char *lower = NULL;

  /* The impostor first: a root with the same name must not be taken for the ICA's issuer. */
  g_ptr_array_add (pool, f->impostor);
  g_ptr_array_add (pool, root);
  g_ptr_array_add (pool, ica);

  /* By subject and dates, as ADR gives a Microsoft-issued ICA: the ICA, then its real root. */
  found = cb_ca_certificate_find_chain (pool, "CN=contoso-ica, O=Contoso",
                                        cb_certificate_get_not_before (ica),
                                        cb_certificate_get_not_after (ica), NULL);
  g_assert_nonnull (found);
  g_assert_cmpuint (found->len, ==, 2);
  g_assert_true (cb_certificate_equal (at (found, 0), ica));
  g_assert_true (cb_certificate_equal (at (found, 1), root));
  g_clear_pointer (&found, g_ptr_array_unref);

  /* Another validity (a rotated CA of the same name): not this one. */
  g_assert_null (cb_ca_certificate_find_chain (pool, "CN=contoso-ica,O=Contoso",
                                               cb_certificate_get_not_before (ica),
                                               cb_certificate_get_not_after (ica) + 1, NULL));
  /* RDNs the other way round are one subject. */
  found = cb_ca_certificate_find_chain (pool, "O=Contoso,CN=contoso-ica", 0, 0, NULL);
  g_assert_nonnull (found);
  g_clear_pointer (&found, g_ptr_array_unref);

  /* By thumbprint (an External ICA): ARM's upper-case hex without colons, or lower case. */
  thumbprint = g_strdup (cb_certificate_get_sha1_fingerprint (ica));
  {
    char *w = thumbprint;

    for (const char *r = thumbprint; *r != '\0'; r++)
      if (*r != ':')
        *w++ = *r;
    *w = '\0';
  }
  found = cb_ca_certificate_find_chain (pool, "CN=someone else", 0, 0, thumbprint);
  g_assert_nonnull (found);
  g_assert_true (cb_certificate_equal (at (found, 0), ica));
  g_assert_cmpuint (found->len, ==, 2);
  g_clear_pointer (&found, g_ptr_array_unref);
  lower = g_ascii_strdown (thumbprint, -1);
  found = cb_ca_certificate_find_chain (pool, NULL, 0, 0, lower);
  g_assert_nonnull (found);
  g_clear_pointer (&found, g_ptr_array_unref);
  /* A thumbprint of nothing in the pool: not found, whatever the subject says. */
  g_assert_null (cb_ca_certificate_find_chain (pool, "CN=contoso-ica,O=Contoso", 0, 0,
                                               "00112233445566778899AABBCCDDEEFF00112233"));

  /* The root alone: a chain of one. The ICA without its root in the pool: a chain of one. */
  found = cb_ca_certificate_find_chain (pool, "CN=Contoso Root,O=Contoso",
                                        cb_certificate_get_not_before (root),
                                        cb_certificate_get_not_after (root), NULL);
  g_assert_nonnull (found);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  g_ptr_array_remove (pool, root);
  found = cb_ca_certificate_find_chain (pool, "CN=contoso-ica,O=Contoso", 0, 0, NULL);
  g_assert_nonnull (found);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);

  /* Nothing to go by. */
  g_assert_null (cb_ca_certificate_find_chain (pool, NULL, 0, 0, NULL));
  g_assert_null (cb_ca_certificate_find_chain (pool, "CN=unknown", 0, 0, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/ca-certificate-store/keep", Fixture, NULL, fixture_setup, test_keep,
              fixture_teardown);
  g_test_add ("/cb/ca-certificate-store/damaged", Fixture, NULL, fixture_setup, test_damaged,
              fixture_teardown);
  g_test_add ("/cb/ca-certificate-store/find", Fixture, NULL, fixture_setup, test_find,
              fixture_teardown);

  return g_test_run ();
}
