/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One diagnosis for the Diagnostics page and `certbench-cli inspect`: the built CLI and core's
 * CbDiagnosis (the object the page shows) diagnose the same device (certbench-devsim on a pty,
 * provisioned by the CLI) against the same sandbox served from this process, and give the same
 * findings; after the device is revoked both say so in the credential-identifier finding. */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "cb-adr-client.h"
#include "cb-ca-certificate-store.h"
#include "cb-diagnosis.h"
#include "cb-sandbox-profile.h"
#include "cb-sandbox-service.h"
#include "cb-test-cli.h"
#include "cb-test-factory.h"
#include "cb-test-sandbox.h"

typedef struct
{
  CbTestSandbox *ts;
  char          *home;          /* XDG folders for the CLI: nothing touches the real home */
  char          *journal;
  char          *cli;
  char          *devsim;
  GSubprocess   *device;
  char          *pty;
  CbContext     *context;       /* core's, on the same sandbox */
} Fixture;

static int
run_cli (Fixture             *f,
         char               **out_stdout,
         const char * const  *args)
{
  return cb_test_cli_run (f->cli, f->home, f->ts, f->journal, out_stdout, NULL, args);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSecrets) secrets = cb_secrets_new_memory ();
  g_autoptr(CbPortMonitor) monitor = cb_port_monitor_new ();
  g_autofree char *dir = NULL;
  g_autofree char *profiles = NULL;
  g_autofree char *journal = NULL;
  gint64 deadline;

  f->cli = cb_test_cli_built_binary ("CERTBENCH_CLI", "cli", "certbench-cli");
  f->devsim = cb_test_cli_built_binary ("CERTBENCH_DEVSIM", "devsim", "certbench-devsim");
  f->home = g_dir_make_tmp ("cb-diagnosis-XXXXXX", &error);
  g_assert_no_error (error);
  f->journal = g_build_filename (f->home, "journal.sqlite", NULL);
  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  cb_sandbox_seed_demo (f->ts->sandbox, &error);
  g_assert_no_error (error);

  dir = g_build_filename (f->home, "core", NULL);
  profiles = g_build_filename (dir, "profiles.ini", NULL);
  journal = g_build_filename (dir, "journal.sqlite", NULL);
  f->context = cb_context_new_full (f->ts->sandbox, secrets, monitor, dir, profiles, journal);
  cb_context_start (f->context);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (cb_context_get_state (f->context) != CB_CONTEXT_STATE_READY &&
         g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpint (cb_context_get_state (f->context), ==, CB_CONTEXT_STATE_READY);

  f->device = cb_test_cli_start_device (f->cli, f->devsim, f->home,
                                        (const char *[]) { "--serial", "CB-DIAG-0001", NULL },
                                        &f->pty);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->device != NULL)
    {
      g_subprocess_send_signal (f->device, SIGTERM);
      g_subprocess_wait (f->device, NULL, NULL);
    }
  g_clear_object (&f->device);
  if (f->context != NULL)
    cb_context_shutdown (f->context);
  g_clear_object (&f->context);
  cb_test_sandbox_free (f->ts);
  if (g_getenv ("CB_TEST_KEEP_DATA") == NULL)
    cb_test_remove_tree (f->home);
  g_free (f->home);
  g_free (f->journal);
  g_free (f->cli);
  g_free (f->devsim);
  g_free (f->pty);
}

static CbDiagnosis *
diagnose (Fixture *f)
{
  g_autoptr(CbDiagnosis) diagnosis = cb_diagnosis_new (f->context);
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  cb_diagnosis_run (diagnosis, f->pty, 0);
  while (cb_diagnosis_get_running (diagnosis) && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_false (cb_diagnosis_get_running (diagnosis));
  return g_steal_pointer (&diagnosis);
}

/* The CLI's findings (inspect --json) against core's, check by check. The "device" check says
 * how long the device has been up, and the "hub" check quotes the device's last connection
 * error: those parts of their details differ between two reads. */
static void
assert_same_findings (JsonArray   *findings,
                      CbDiagnosis *diagnosis)
{
  GListModel *checks = cb_diagnosis_get_checks (diagnosis);

  g_assert_cmpuint (json_array_get_length (findings), ==, g_list_model_get_n_items (checks));
  g_assert_cmpuint (json_array_get_length (findings), >=, 9);
  for (guint i = 0; i < g_list_model_get_n_items (checks); i++)
    {
      g_autoptr(CbDiagnosticCheck) check = g_list_model_get_item (checks, i);
      JsonObject *finding = json_array_get_object_element (findings, i);
      const char *id = cb_diagnostic_check_get_id (check);
      const char *advice = json_object_has_member (finding, "advice")
                             ? json_object_get_string_member (finding, "advice") : NULL;

      g_test_message ("%s: %s / %s", id, json_object_get_string_member (finding, "status"),
                      cb_check_status_to_string (cb_diagnostic_check_get_status (check)));
      g_assert_cmpstr (json_object_get_string_member (finding, "id"), ==, id);
      g_assert_cmpstr (json_object_get_string_member (finding, "title"), ==,
                       cb_diagnostic_check_get_title (check));
      g_assert_cmpstr (json_object_get_string_member (finding, "status"), ==,
                       cb_check_status_to_string (cb_diagnostic_check_get_status (check)));
      g_assert_cmpstr (advice, ==, cb_diagnostic_check_get_advice (check));
      if (g_strcmp0 (id, "device") == 0)
        continue;
      if (g_strcmp0 (id, "hub") == 0)
        {
          /* What the device last saw changes with each of its reconnection attempts. */
          g_auto(GStrv) cli = g_strsplit (json_object_get_string_member (finding, "detail"),
                                          "; the device says", 2);
          g_auto(GStrv) core = g_strsplit (cb_diagnostic_check_get_detail (check),
                                           "; the device says", 2);

          g_assert_cmpstr (cli[0], ==, core[0]);
          continue;
        }
      g_assert_cmpstr (json_object_get_string_member (finding, "detail"), ==,
                       cb_diagnostic_check_get_detail (check));
    }
}

static JsonArray *
inspect_findings (Fixture   *f,
                  JsonNode **out_root)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  run_cli (f, &out, (const char *[]) { "inspect", "--port", f->pty, "--json", NULL });
  *out_root = json_from_string (out, &error);
  g_assert_no_error (error);
  object = json_node_get_object (*out_root);
  g_assert_true (json_object_has_member (object, "findings"));
  return json_object_get_array_member (object, "findings");
}

static void
on_result (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_same_findings_then_revoked (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(CbDiagnosis) diagnosis = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CbDiagnosticCheck *identifier;
  JsonArray *findings;
  int status;

  status = run_cli (f, NULL, (const char *[]) { "provision", "--port", f->pty, "--template",
                                                "diag-{serial}", "--quiet", NULL });
  g_assert_cmpint (status, ==, 0);

  /* Healthy: every check passes, in both. */
  findings = inspect_findings (f, &root);
  diagnosis = diagnose (f);
  assert_same_findings (findings, diagnosis);
  g_assert_cmpint (cb_diagnostic_check_get_status (cb_diagnosis_lookup_check (diagnosis,
                                                                              "identifier")),
                   ==, CB_CHECK_PASS);
  g_clear_object (&diagnosis);
  g_clear_pointer (&root, json_node_unref);

  /* Revoked in the registry: the credential-identifier finding fails and says so. */
  cb_adr_client_revoke_device_async (cb_context_get_adr (f->context), "diag-cb-diag-0001", FALSE,
                                     NULL, on_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (cb_adr_client_revoke_device_finish (cb_context_get_adr (f->context), result,
                                                     &error));
  g_assert_no_error (error);

  /* The sandbox drops the device's connection; it reconnects and is refused. Wait for that,
   * so both read the same hub connection. */
  {
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

    do
      {
        g_clear_object (&diagnosis);
        diagnosis = diagnose (f);
        if (cb_diagnostic_check_get_status (cb_diagnosis_lookup_check (diagnosis, "hub")) ==
            CB_CHECK_FAIL)
          break;
        g_usleep (300 * 1000);
      }
    while (g_get_monotonic_time () < deadline);
  }
  findings = inspect_findings (f, &root);
  identifier = cb_diagnosis_lookup_check (diagnosis, "identifier");
  g_assert_cmpint (cb_diagnostic_check_get_status (identifier), ==, CB_CHECK_FAIL);
  g_assert_nonnull (strstr (cb_diagnostic_check_get_detail (identifier), "revoked"));
  assert_same_findings (findings, diagnosis);
}

static void
wait_done (CbDiagnosis *diagnosis)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (cb_diagnosis_get_running (diagnosis) && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_false (cb_diagnosis_get_running (diagnosis));
}

/* The verdict and the report's header on a healthy device; then the same device's chain, as a
 * file would give it, checked with the same rules: the same service findings, the device's own
 * not available; a chain that does not end at the namespace root says what to do first. */
static void
test_verdict_and_chain_from_file (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(CbDiagnosis) diagnosis = NULL;
  g_autoptr(CbDiagnosis) from_file = NULL;
  g_autofree char *verdict = NULL;
  g_autofree char *first = NULL;
  g_autofree char *report = NULL;
  g_autofree char *version = g_strdup_printf ("App version: %s\n", PACKAGE_VERSION);
  GPtrArray *chain;
  int status;

  status = run_cli (f, NULL, (const char *[]) { "provision", "--port", f->pty, "--template",
                                                "diag-{serial}", "--quiet", NULL });
  g_assert_cmpint (status, ==, 0);

  diagnosis = diagnose (f);
  verdict = cb_diagnosis_dup_verdict (diagnosis, &first);
  g_assert_cmpstr (verdict, ==, "9 of 9 checks passed");
  g_assert_null (first);
  report = cb_diagnosis_dup_report (diagnosis);
  g_test_message ("%s", report);
  g_assert_nonnull (strstr (report, "\n9 of 9 checks passed\n"));
  g_assert_nonnull (strstr (report, "\nHardware serial: CB-DIAG-0001\n"));
  g_assert_nonnull (strstr (report, "\nRegistration ID: diag-cb-diag-0001\n"));
  g_assert_nonnull (strstr (report, version));
  g_assert_nonnull (strstr (report, "\nService time: "));

  /* The same chain from a file. */
  chain = cb_diagnosis_get_chain (diagnosis);
  from_file = cb_diagnosis_new (f->context);
  cb_diagnosis_run_chain (from_file, chain, "dev.pem");
  wait_done (from_file);
  for (guint i = 0; i < 9; i++)
    {
      g_autoptr(CbDiagnosticCheck) device = g_list_model_get_item (cb_diagnosis_get_checks (diagnosis), i);
      g_autoptr(CbDiagnosticCheck) file = g_list_model_get_item (cb_diagnosis_get_checks (from_file), i);
      const char *id = cb_diagnostic_check_get_id (file);

      g_test_message ("%s: %s", id, cb_check_status_to_string (cb_diagnostic_check_get_status (file)));
      if (g_str_equal (id, "device") || g_str_equal (id, "hub") || g_str_equal (id, "renewal"))
        g_assert_cmpint (cb_diagnostic_check_get_status (file), ==, CB_CHECK_NOT_AVAILABLE);
      else if (g_str_equal (id, "validity"))
        {
          /* "Valid until <date> (N days left)…": the two reads are a moment apart and the
           * leaf's end is on a whole minute, so N may differ by one across it; the date and
           * the state may not. */
          const char *a = cb_diagnostic_check_get_detail (device);
          const char *b = cb_diagnostic_check_get_detail (file);
          const char *a_end = strstr (a, " (") ? strstr (a, " (") : a + strlen (a);
          const char *b_end = strstr (b, " (") ? strstr (b, " (") : b + strlen (b);

          g_assert_cmpint (cb_diagnostic_check_get_status (file), ==, cb_diagnostic_check_get_status (device));
          g_assert_cmpmem (a, a_end - a, b, b_end - b);
        }
      else
        {
          g_assert_cmpint (cb_diagnostic_check_get_status (file), ==, cb_diagnostic_check_get_status (device));
          g_assert_cmpstr (cb_diagnostic_check_get_detail (file), ==, cb_diagnostic_check_get_detail (device));
        }
    }
  g_clear_pointer (&verdict, g_free);
  verdict = cb_diagnosis_dup_verdict (from_file, &first);
  g_assert_cmpstr (verdict, ==, "6 of 6 checks passed (3 not available)");
  g_assert_null (first);
  g_clear_pointer (&report, g_free);
  report = cb_diagnosis_dup_report (from_file);
  g_assert_nonnull (strstr (report, "\nChecked from: dev.pem\n"));
  g_assert_nonnull (strstr (report, "\nRegistration ID: diag-cb-diag-0001\n"));
  g_assert_null (strstr (report, "Hardware serial"));

  /* The leaf alone does not end at a root: the chain check fails first, with its advice. */
  {
    g_autoptr(GPtrArray) leaf_only = g_ptr_array_new ();

    g_ptr_array_add (leaf_only, g_ptr_array_index (chain, 0));
    cb_diagnosis_run_chain (from_file, leaf_only, "leaf.der");
    wait_done (from_file);
    g_clear_pointer (&verdict, g_free);
    verdict = cb_diagnosis_dup_verdict (from_file, &first);
    g_assert_cmpint (cb_diagnostic_check_get_status (cb_diagnosis_lookup_check (from_file, "chain")),
                     ==, CB_CHECK_FAIL);
    g_assert_true (g_str_has_suffix (verdict, "checks passed (3 not available)"));
    g_assert_cmpstr (first, ==, "Provision the device again: the station installs the whole chain "
                                "up to the namespace root (Chain valid to the namespace root)");
  }
}

static gboolean
store_has (CbCaCertificateStore *store,
           CbCertificate        *cert)
{
  GPtrArray *kept = cb_ca_certificate_store_get_certificates (store);

  for (guint i = 0; i < kept->len; i++)
    if (cb_certificate_equal (g_ptr_array_index (kept, i), cert))
      return TRUE;
  return FALSE;
}

/* A device's chain that the service confirms as the namespace's leaves its CA certificates in
 * the station's CA certificate store (the Registry's CA panes offer them); a chain ending at a
 * root of the device's own does not, however well it verifies to it. */
static void
test_chain_feeds_ca_store (Fixture       *f,
                           gconstpointer  data)
{
  CbCaCertificateStore *store = cb_ca_certificate_store_get_for_context (f->context);
  g_autoptr(CbDiagnosis) diagnosis = NULL;
  g_autoptr(CbDiagnosis) forged = NULL;
  g_autoptr(GPtrArray) forged_chain = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *ca = g_build_filename (f->home, "forged-ca.pem", NULL);
  g_autofree char *ca_key = g_build_filename (f->home, "forged-ca.key", NULL);
  g_autofree char *leaf = g_build_filename (f->home, "forged-leaf.pem", NULL);
  g_autofree char *leaf_key = g_build_filename (f->home, "forged-leaf.key", NULL);
  g_autoptr(GError) error = NULL;
  GPtrArray *chain;
  guint kept;
  int status;

  status = run_cli (f, NULL, (const char *[]) { "provision", "--port", f->pty, "--template",
                                                "store-{serial}", "--quiet", NULL });
  g_assert_cmpint (status, ==, 0);

  /* Nothing of the namespace's CAs is kept yet (the CLI ran in a process of its own). */
  g_assert_cmpuint (cb_ca_certificate_store_get_certificates (store)->len, ==, 0);
  diagnosis = diagnose (f);
  g_assert_cmpint (cb_diagnostic_check_get_status (cb_diagnosis_lookup_check (diagnosis, "chain")),
                   ==, CB_CHECK_PASS);
  chain = cb_diagnosis_get_chain (diagnosis);
  g_assert_cmpuint (chain->len, >=, 2);
  for (guint i = 1; i < chain->len; i++)
    g_assert_true (store_has (store, g_ptr_array_index (chain, i)));
  g_assert_false (store_has (store, g_ptr_array_index (chain, 0)));
  kept = cb_ca_certificate_store_get_certificates (store)->len;

  /* A chain of the device's own: it verifies to its root, which is not the namespace's. */
  cb_test_factory_ca (ca, ca_key, "/CN=Forged Issuing CA");
  cb_test_factory_device (ca, ca_key, "store-forged", leaf, leaf_key);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *pem = NULL;
      CbCertificate *cert;

      g_assert_true (g_file_get_contents (i == 0 ? leaf : ca, &pem, NULL, NULL));
      cert = cb_certificate_new_from_pem (pem, -1, &error);
      g_assert_no_error (error);
      g_ptr_array_add (forged_chain, cert);
    }
  forged = cb_diagnosis_new (f->context);
  cb_diagnosis_run_chain (forged, forged_chain, "forged.pem");
  wait_done (forged);
  g_assert_cmpint (cb_diagnostic_check_get_status (cb_diagnosis_lookup_check (forged, "chain")),
                   ==, CB_CHECK_FAIL);
  g_assert_false (store_has (store, g_ptr_array_index (forged_chain, 1)));
  g_assert_cmpuint (cb_ca_certificate_store_get_certificates (store)->len, ==, kept);
}

static CbCertificate *
read_certificate (const char *path)
{
  g_autofree char *pem = NULL;
  g_autoptr(GError) error = NULL;
  CbCertificate *cert;

  g_assert_true (g_file_get_contents (path, &pem, NULL, NULL));
  cert = cb_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  return cert;
}

/* A chain that verifies to a root the store already keeps (as one from an issued chain is,
 * the way Azure's roots come in) leaves its new issuing CA there, though the sandbox's
 * namespace root is another; the same chain whose root the store does not keep leaves
 * nothing. */
static void
test_chain_feeds_ca_store_known_root (Fixture       *f,
                                      gconstpointer  data)
{
  CbCaCertificateStore *store = cb_ca_certificate_store_get_for_context (f->context);
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) root_only = g_ptr_array_new ();
  g_autoptr(CbDiagnosis) unknown = NULL;
  g_autoptr(CbDiagnosis) known = NULL;
  const char *names[] = { "leaf", "issuing", "root" };
  g_auto(GStrv) paths = g_new0 (char *, 4);
  g_auto(GStrv) keys = g_new0 (char *, 4);
  g_autofree char *csr = g_build_filename (f->home, "issuing.csr", NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *pem_name = g_strconcat ("known-", names[i], ".pem", NULL);
      g_autofree char *key_name = g_strconcat ("known-", names[i], ".key", NULL);

      paths[i] = g_build_filename (f->home, pem_name, NULL);
      keys[i] = g_build_filename (f->home, key_name, NULL);
    }
  cb_test_factory_ca (paths[2], keys[2], "/CN=Known Root CA");
  g_free (cb_test_openssl ((const char *[]) {
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", keys[1], "-out", csr, "-subj", "/CN=Known Issuing CA",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL }));
  g_free (cb_test_openssl ((const char *[]) {
    "x509", "-req", "-in", csr, "-CA", paths[2], "-CAkey", keys[2], "-CAcreateserial",
    "-copy_extensions", "copyall", "-days", "30", "-out", paths[1], NULL }));
  cb_test_factory_device (paths[1], keys[1], "store-known", paths[0], keys[0]);
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (chain, read_certificate (paths[i]));

  /* Its root is in no store: nothing is kept. */
  unknown = cb_diagnosis_new (f->context);
  cb_diagnosis_run_chain (unknown, chain, "known.pem");
  wait_done (unknown);
  g_assert_false (store_has (store, g_ptr_array_index (chain, 1)));
  g_assert_false (store_has (store, g_ptr_array_index (chain, 2)));

  /* The root kept first: now the issuing CA is kept beside it, and never the leaf. */
  g_ptr_array_add (root_only, g_ptr_array_index (chain, 2));
  g_assert_true (cb_ca_certificate_store_add_chain (store, root_only, &error));
  g_assert_no_error (error);
  known = cb_diagnosis_new (f->context);
  cb_diagnosis_run_chain (known, chain, "known.pem");
  wait_done (known);
  g_assert_true (store_has (store, g_ptr_array_index (chain, 1)));
  g_assert_true (store_has (store, g_ptr_array_index (chain, 2)));
  g_assert_false (store_has (store, g_ptr_array_index (chain, 0)));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/diagnosis/same-findings-then-revoked", Fixture, NULL, fixture_setup,
              test_same_findings_then_revoked, fixture_teardown);
  g_test_add ("/cb/diagnosis/verdict-and-chain-from-file", Fixture, NULL, fixture_setup,
              test_verdict_and_chain_from_file, fixture_teardown);
  g_test_add ("/cb/diagnosis/chain-feeds-ca-store", Fixture, NULL, fixture_setup,
              test_chain_feeds_ca_store, fixture_teardown);
  g_test_add ("/cb/diagnosis/chain-feeds-ca-store/known-root", Fixture, NULL, fixture_setup,
              test_chain_feeds_ca_store_known_root, fixture_teardown);

  return g_test_run ();
}
