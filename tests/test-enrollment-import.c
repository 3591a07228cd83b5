/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cb-csv-reader.h"
#include "cb-dps-enrollment-x509.h"
#include "cb-dps-service-client.h"
#include "cb-enrollment-import.h"
#include "cb-error.h"
#include "cb-pki.h"
#include "cb-sandbox-profile.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* Device certificates imported in bulk into DPS individual enrollments on a real sandbox: a
 * folder of 100 device certificates made here by a test factory CA, with bad ones among them
 * (garbage, an expired certificate, a CN DPS cannot take, a CN twice, a file with a private
 * key, a CA certificate), becomes 100 enrollments, each reported, the bad ones each with their
 * reason and never stopping the rest; a second run finds them all enrolled. A CSV of
 * serial,certificate in every documented form (quoted PEM, PEM with \n, base64 DER, a file
 * name) does the same; a cancelled import ends with the rest cancelled. */

#define SUB        "00000000-0000-0000-0000-0000000e0e11"
#define RG         "rg-import"
#define NS         "ns-import"
#define HUB        "hub-import"
#define DPS        "dps-import"
#define ID_SCOPE   "0ne00E0E110"
#define OWNER_KEY  "aW1wb3J0LW93bmVyLWtleS1mb3ItdGVzdHMtMDEyMzQ="
#define N_DEVICES  100

typedef struct
{
  CbTestSandbox      *ts;
  CbProfile          *profile;
  CbHttpClient       *http;
  CbDpsServiceClient *service;
  CbKey              *device_key;
  CbCertIssuer       *factory;
  char               *dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  static const char * const no_eku[] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) ca_key = NULL;
  g_autoptr(GBytes) ca_spki = NULL;
  g_autoptr(GBytes) ca_der = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile ca = {
    .subject_dn = "CN=Test factory CA,O=Test factory",
    .not_before = now - 3600,
    .not_after = now + 30 * 86400,
    .is_ca = TRUE,
    .path_len = 0,
    .key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN,
    .ext_key_usage = no_eku,
  };
  g_autofree char *namespace_id = cb_sb_namespace_id (SUB, RG, NS);
  CbSandbox *sb;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  sb = f->ts->sandbox;
  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SUB, RG, DPS, ID_SCOPE, namespace_id, HUB, &error);
  g_assert_no_error (error);
  g_assert_true (cb_sb_set_dps_owner_key (sb, DPS, OWNER_KEY));
  cb_sb_adr_create_namespace (sb, SUB, RG, NS, "westeurope", &error);
  g_assert_no_error (error);
  cb_sb_adr_create_credential (sb, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_unlock (sb);

  f->profile = cb_sandbox_create_profile (sb);
  g_assert_cmpstr (cb_profile_get_dps_name (f->profile), ==, DPS);
  f->http = cb_http_client_new (f->profile, &error);
  g_assert_no_error (error);
  f->service = cb_dps_service_client_new (f->profile, f->http, NULL);
  cb_dps_service_client_set_sas_key (f->service, NULL, OWNER_KEY);

  /* One key for every device certificate: the import never sees a key, so its strength is
   * beside the point, and generating 100 would only slow the test. */
  f->device_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  ca_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  ca_spki = cb_key_get_public_key_der (ca_key);
  ca_der = cb_cert_issue (&ca, ca_spki, ca_key, NULL, &error);
  g_assert_no_error (error);
  f->factory = cb_cert_issuer_new (ca_key, ca_der, &error);
  g_assert_no_error (error);

  f->dir = g_dir_make_tmp ("test-enrollment-import-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->service);
  g_assert_finalize_object (f->http);
  g_assert_finalize_object (f->profile);
  g_clear_pointer (&f->device_key, cb_key_unref);
  g_clear_pointer (&f->factory, cb_cert_issuer_unref);
  cb_test_sandbox_free (f->ts);
  cb_test_remove_tree (f->dir);
  g_free (f->dir);
}

/* A device certificate from the factory CA for subject "CN=<cn>", valid from @not_before to
 * @not_after (0: an hour ago and in a month). */
static CbCertificate *
device_certificate (Fixture    *f,
                    const char *cn,
                    gint64      not_before,
                    gint64      not_after)
{
  static const char * const client_auth[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (f->device_key);
  g_autoptr(GBytes) der = NULL;
  g_autofree char *dn = g_strdup_printf ("CN=%s,O=Test factory", cn);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = dn,
    .not_before = not_before != 0 ? not_before : now - 3600,
    .not_after = not_after != 0 ? not_after : now + 30 * 86400,
    .is_ca = FALSE,
    .path_len = -1,
    .key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE,
    .ext_key_usage = client_auth,
  };
  CbCertificate *cert;

  der = cb_cert_issuer_issue (f->factory, &profile, spki, &error);
  g_assert_no_error (error);
  cert = cb_certificate_new_from_der (der, &error);
  g_assert_no_error (error);
  return cert;
}

static void
write_file (Fixture    *f,
            const char *name,
            const char *contents,
            gssize      len)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, len, &error));
  g_assert_no_error (error);
}

static void
write_pem (Fixture       *f,
           const char    *name,
           CbCertificate *cert)
{
  g_autofree char *pem = cb_certificate_to_pem (cert);

  write_file (f, name, pem, -1);
}

static void
on_item_finished (CbEnrollmentImport *import,
                  guint               index,
                  gpointer            user_data)
{
  GHashTable *reported = user_data;

  /* Each item is reported once. */
  g_assert_false (g_hash_table_contains (reported, GUINT_TO_POINTER (index)));
  g_hash_table_add (reported, GUINT_TO_POINTER (index));
}

static CbEnrollmentImport *
run_import (Fixture      *f,
            GFile        *source,
            GCancellable *cancellable,
            GHashTable   *reported,
            GError      **error)
{
  CbEnrollmentImport *import = cb_enrollment_import_new (f->service, source);
  g_autoptr(GAsyncResult) result = NULL;

  g_signal_connect (import, "item-finished", G_CALLBACK (on_item_finished), reported);
  cb_enrollment_import_run_async (import, cancellable, cb_test_store_result_cb, &result);
  cb_enrollment_import_run_finish (import, cb_test_wait_for (&result), error);
  return import;
}

static const CbEnrollmentImportItem *
item_from (CbEnrollmentImport *import,
           const char         *source)
{
  GPtrArray *items = cb_enrollment_import_get_items (import);

  for (guint i = 0; i < items->len; i++)
    {
      const CbEnrollmentImportItem *item = g_ptr_array_index (items, i);

      if (g_str_equal (item->source, source))
        return item;
    }
  g_error ("No item from %s", source);
  return NULL;
}

static void
assert_item (CbEnrollmentImport       *import,
             const char               *source,
             CbEnrollmentImportStatus  status,
             const char               *message_part)
{
  const CbEnrollmentImportItem *item = item_from (import, source);

  g_test_message ("%s: %s %s", source, cb_enrollment_import_status_to_string (item->status),
                  item->message != NULL ? item->message : "");
  g_assert_cmpstr (cb_enrollment_import_status_to_string (item->status), ==,
                   cb_enrollment_import_status_to_string (status));
  if (message_part != NULL)
    g_assert_nonnull (strstr (item->message, message_part));
}

static JsonObject *
get_enrollment (Fixture    *f,
                const char *id,
                GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_dps_service_client_get_async (f->service, CB_DPS_ENROLLMENT_INDIVIDUAL, id, NULL,
                                   cb_test_store_result_cb, &result);
  return cb_dps_service_client_enrollment_finish (f->service, cb_test_wait_for (&result), error);
}

static void
test_folder (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GFile) folder = g_file_new_for_path (f->dir);
  g_autoptr(GHashTable) reported = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) reported_again = g_hash_table_new (NULL, NULL);
  g_autoptr(CbEnrollmentImport) import = NULL;
  g_autoptr(CbEnrollmentImport) again = NULL;
  g_autoptr(CbCertificate) first = NULL;
  g_autoptr(CbCertificate) expired = NULL;
  g_autoptr(CbCertificate) bad_id = NULL;
  g_autoptr(CbCertificate) twin = NULL;
  g_autoptr(JsonObject) enrollment = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertificate) ca_cert = NULL;
  g_autoptr(GBytes) ca_der = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *first_pem = NULL;
  g_autofree char *with_key = NULL;
  g_autofree char *thumbprint = NULL;
  g_autoptr(GPtrArray) thumbprints = NULL;
  GPtrArray *items;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbDpsX509Info info;

  for (guint i = 0; i < N_DEVICES; i++)
    {
      g_autofree char *cn = g_strdup_printf ("Factory-%04u", i);
      g_autofree char *name = g_strdup_printf ("device-%04u.%s", i, i % 3 == 0 ? "crt" : "pem");
      g_autoptr(CbCertificate) cert = device_certificate (f, cn, 0, 0);

      /* A third in DER, as some factories hand them over. */
      if (i % 3 == 0)
        {
          g_autoptr(GBytes) der = cb_certificate_get_der (cert);

          write_file (f, name, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
        }
      else
        write_pem (f, name, cert);
      if (i == 0)
        first = g_object_ref (cert);
    }

  write_file (f, "garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
              "-----END CERTIFICATE-----\n", -1);
  expired = device_certificate (f, "old-device", now - 90 * 86400, now - 86400);
  write_pem (f, "expired.pem", expired);
  bad_id = device_certificate (f, "bad id!", 0, 0);
  write_pem (f, "bad-id.pem", bad_id);
  twin = device_certificate (f, "factory-0007", 0, 0);
  write_pem (f, "twin-of-0007.pem", twin);
  key_pem = cb_key_to_pem (f->device_key, &error);
  g_assert_no_error (error);
  first_pem = cb_certificate_to_pem (first);
  with_key = g_strconcat (first_pem, key_pem, NULL);
  write_file (f, "with-key.pem", with_key, -1);
  ca_der = cb_cert_issuer_get_der (f->factory);
  ca_cert = cb_certificate_new_from_der (ca_der, &error);
  g_assert_no_error (error);
  write_pem (f, "factory-ca.pem", ca_cert);
  write_file (f, "notes.txt", "not a certificate, and not read", -1);

  import = run_import (f, folder, NULL, reported, &error);
  g_assert_no_error (error);
  items = cb_enrollment_import_get_items (import);
  /* 100 devices and 6 bad files; notes.txt is not a certificate file and is not read. */
  g_assert_cmpuint (items->len, ==, N_DEVICES + 6);
  g_assert_cmpuint (g_hash_table_size (reported), ==, items->len);
  g_assert_cmpuint (cb_enrollment_import_get_n_finished (import), ==, items->len);
  g_assert_cmpuint (cb_enrollment_import_count (import, CB_ENROLLMENT_IMPORT_CREATED), ==,
                    N_DEVICES);
  g_assert_cmpuint (cb_enrollment_import_count_failed (import), ==, 6);

  assert_item (import, "device-0000.crt", CB_ENROLLMENT_IMPORT_CREATED, NULL);
  assert_item (import, "device-0099.crt", CB_ENROLLMENT_IMPORT_CREATED, NULL);
  g_assert_cmpstr (item_from (import, "device-0041.pem")->registration_id, ==, "factory-0041");
  assert_item (import, "garbage.pem", CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
               "Not a certificate");
  assert_item (import, "expired.pem", CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE, "expired");
  assert_item (import, "bad-id.pem", CB_ENROLLMENT_IMPORT_INVALID_ID, "“ ”");
  assert_item (import, "twin-of-0007.pem", CB_ENROLLMENT_IMPORT_DUPLICATE, "device-0007.pem");
  assert_item (import, "with-key.pem", CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE, "private key");
  assert_item (import, "factory-ca.pem", CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
               "CA certificate");

  /* What DPS holds: the device's certificate, read back as the service shows it. */
  enrollment = get_enrollment (f, "factory-0000", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_dps_enrollment_get_attestation_type (enrollment), ==, "x509");
  g_assert_true (cb_dps_enrollment_get_x509_info (enrollment, &info));
  thumbprint = cb_dps_x509_thumbprint (first);
  g_assert_cmpstr (info.sha256_thumbprint, ==, thumbprint);
  g_assert_cmpstr (info.subject, ==, cb_certificate_get_subject (first));
  g_assert_cmpint (info.not_after, ==, cb_certificate_get_not_after (first));
  thumbprints = cb_dps_enrollment_dup_x509_thumbprints (enrollment);
  g_assert_cmpuint (thumbprints->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (thumbprints, 0), ==, thumbprint);
  g_clear_pointer (&enrollment, json_object_unref);
  enrollment = get_enrollment (f, "old-device", &error);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Again: all there with these certificates, nothing created, nothing failed. */
  again = run_import (f, folder, NULL, reported_again, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_enrollment_import_count (again, CB_ENROLLMENT_IMPORT_EXISTS), ==,
                    N_DEVICES);
  g_assert_cmpuint (cb_enrollment_import_count (again, CB_ENROLLMENT_IMPORT_CREATED), ==, 0);
}

/* One registration id enrolled with another certificate is a conflict, not overwritten. */
static void
test_conflict (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GFile) folder = g_file_new_for_path (f->dir);
  g_autoptr(GHashTable) reported = g_hash_table_new (NULL, NULL);
  g_autoptr(CbEnrollmentImport) import = NULL;
  g_autoptr(CbCertificate) old = device_certificate (f, "line-1", 0, 0);
  g_autoptr(CbCertificate) new = device_certificate (f, "line-1", 0, 0);
  g_autoptr(JsonObject) body = cb_dps_enrollment_new_x509 ("line-1", old);
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_thumbprint = cb_dps_x509_thumbprint (old);
  CbDpsX509Info info;

  cb_dps_service_client_put_async (f->service, CB_DPS_ENROLLMENT_INDIVIDUAL, "line-1", body,
                                   NULL, NULL, cb_test_store_result_cb, &result);
  created = cb_dps_service_client_enrollment_finish (f->service, cb_test_wait_for (&result),
                                                     &error);
  g_assert_no_error (error);

  write_pem (f, "line-1.pem", new);
  import = run_import (f, folder, NULL, reported, &error);
  g_assert_no_error (error);
  assert_item (import, "line-1.pem", CB_ENROLLMENT_IMPORT_CONFLICT, "another attestation");
  after = get_enrollment (f, "line-1", &error);
  g_assert_no_error (error);
  g_assert_true (cb_dps_enrollment_get_x509_info (after, &info));
  g_assert_cmpstr (info.sha256_thumbprint, ==, old_thumbprint);
}

static char *
json_escaped_pem (CbCertificate *cert)
{
  g_autofree char *pem = cb_certificate_to_pem (cert);
  g_autoptr(GString) s = g_string_new (pem);

  g_string_replace (s, "\n", "\\n", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_csv (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GHashTable) reported = g_hash_table_new (NULL, NULL);
  g_autoptr(CbEnrollmentImport) import = NULL;
  g_autoptr(CbCertificate) a = device_certificate (f, "csv-a", 0, 0);
  g_autoptr(CbCertificate) b = device_certificate (f, "csv-b", 0, 0);
  g_autoptr(CbCertificate) c = device_certificate (f, "csv-c", 0, 0);
  g_autoptr(CbCertificate) d = device_certificate (f, "csv-d", 0, 0);
  g_autoptr(CbCertificate) e = device_certificate (f, "csv-e", 0, 0);
  g_autoptr(GBytes) der = cb_certificate_get_der (c);
  g_autofree char *pem_a = cb_certificate_to_pem (a);
  g_autofree char *pem_e = cb_certificate_to_pem (e);
  g_autofree char *escaped_b = json_escaped_pem (b);
  g_autofree char *der_c = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_autofree char *csv = NULL;
  g_autofree char *csv_path = g_build_filename (f->dir, "devices.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (csv_path);
  g_autoptr(GError) error = NULL;

  write_pem (f, "d.pem", d);
  /* Header; a quoted PEM over several lines (line 2 to 13 or so); "\n"-escaped PEM; base64
   * DER; a file name; a serial that is not the CN; a broken row; a missing file. */
  csv = g_strdup_printf ("serial,certificate\r\n"
                         "csv-a,\"%s\"\r\n"
                         "csv-b,%s\r\n"
                         "\"csv-c\",%s\r\n"
                         ",d.pem\r\n"
                         "\r\n"
                         "other-serial,\"%s\"\r\n"
                         "only-one-column\r\n"
                         "csv-f,missing.pem\r\n",
                         pem_a, escaped_b, der_c, pem_e);
  write_file (f, "devices.csv", csv, -1);

  import = run_import (f, file, NULL, reported, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_enrollment_import_get_items (import)->len, ==, 7);
  assert_item (import, "devices.csv, line 2", CB_ENROLLMENT_IMPORT_CREATED, NULL);
  g_assert_cmpstr (item_from (import, "devices.csv, line 2")->registration_id, ==, "csv-a");
  /* The quoted PEM spans lines; the next record starts after it. */
  g_assert_cmpuint (cb_enrollment_import_count (import, CB_ENROLLMENT_IMPORT_CREATED), ==, 4);
  {
    GPtrArray *items = cb_enrollment_import_get_items (import);
    const CbEnrollmentImportItem *item_b = g_ptr_array_index (items, 1);
    const CbEnrollmentImportItem *item_c = g_ptr_array_index (items, 2);
    const CbEnrollmentImportItem *item_d = g_ptr_array_index (items, 3);
    const CbEnrollmentImportItem *item_e = g_ptr_array_index (items, 4);
    const CbEnrollmentImportItem *item_short = g_ptr_array_index (items, 5);
    const CbEnrollmentImportItem *item_missing = g_ptr_array_index (items, 6);

    g_assert_cmpstr (item_b->registration_id, ==, "csv-b");
    g_assert_cmpint (item_b->status, ==, CB_ENROLLMENT_IMPORT_CREATED);
    g_assert_cmpstr (item_c->registration_id, ==, "csv-c");
    g_assert_cmpint (item_c->status, ==, CB_ENROLLMENT_IMPORT_CREATED);
    g_assert_cmpstr (item_d->registration_id, ==, "csv-d");
    g_assert_cmpint (item_d->status, ==, CB_ENROLLMENT_IMPORT_CREATED);
    g_assert_cmpint (item_e->status, ==, CB_ENROLLMENT_IMPORT_INVALID_ID);
    g_assert_nonnull (strstr (item_e->message, "other-serial"));
    g_assert_cmpint (item_short->status, ==, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE);
    g_assert_nonnull (strstr (item_short->message, "two columns"));
    g_assert_cmpint (item_missing->status, ==, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE);
    g_assert_true (g_str_has_suffix (item_missing->source, "line 10") ||
                   g_str_has_prefix (item_missing->source, "devices.csv, line"));
  }
}

/* Cancelled before the input is read: the run fails cancelled and DPS is not asked. */
static void
cancel_soon (CbEnrollmentImport *import,
             guint               index,
             gpointer            user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GFile) folder = g_file_new_for_path (f->dir);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(CbEnrollmentImport) import = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint created, cancelled;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *cn = g_strdup_printf ("cancel-%02u", i);
      g_autofree char *name = g_strdup_printf ("%s.pem", cn);
      g_autoptr(CbCertificate) cert = device_certificate (f, cn, 0, 0);

      write_pem (f, name, cert);
    }

  import = cb_enrollment_import_new (f->service, folder);
  cb_enrollment_import_set_max_in_flight (import, 2);
  /* Cancel as the first result comes in: at most the two in flight finish. */
  g_signal_connect (import, "item-finished", G_CALLBACK (cancel_soon), cancellable);
  cb_enrollment_import_run_async (import, cancellable, cb_test_store_result_cb, &result);
  g_assert_false (cb_enrollment_import_run_finish (import, cb_test_wait_for (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  created = cb_enrollment_import_count (import, CB_ENROLLMENT_IMPORT_CREATED);
  cancelled = cb_enrollment_import_count (import, CB_ENROLLMENT_IMPORT_CANCELLED);
  g_assert_cmpuint (created, <=, 2);
  g_assert_cmpuint (created + cancelled, ==, 20);
  g_assert_cmpuint (cb_enrollment_import_get_n_finished (import), ==, 20);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/enrollment-import/folder", Fixture, NULL, fixture_setup, test_folder,
              fixture_teardown);
  g_test_add ("/cb/enrollment-import/conflict", Fixture, NULL, fixture_setup, test_conflict,
              fixture_teardown);
  g_test_add ("/cb/enrollment-import/csv", Fixture, NULL, fixture_setup, test_csv,
              fixture_teardown);
  g_test_add ("/cb/enrollment-import/cancel", Fixture, NULL, fixture_setup, test_cancel,
              fixture_teardown);

  return g_test_run ();
}
