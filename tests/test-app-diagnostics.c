/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The diagnostics page against the real devsim (the in-process Virtual device on a pty) after
 * a real provisioning run: every check passes, the device is connected to the sandbox hub;
 * after the device is revoked in the sandbox the credential-identifier check fails and says
 * "revoked", the hub row shows the refused reconnection with the sandbox's reason, and the
 * device's effective state reads Revoked (Healthy before). */

#include "config.h"

#include <glib/gstdio.h>

#include "cb-bench-client.h"
#include "cb-certificate-actions.h"
#include "cb-certificate-details-window.h"
#include "cb-diagnostics-page.h"
#include "cb-provisioning-chain.h"
#include "cb-provisioning-run.h"
#include "cb-sandbox-profile.h"
#include "cb-sandbox-service.h"
#include "cb-serial-port.h"
#include "cb-test-app.h"
#include "cb-util.h"
#include "cbd-virtual-device.h"

typedef struct
{
  CbTestApp         *app;
  CbVirtualDevice   *device;
  char              *state_dir;
  char              *device_id;
  GtkWidget         *window;
  CbDiagnosticsPage *page;
} Fixture;

typedef struct
{
  GAsyncResult *result;
} AsyncWait;

static void
async_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  ((AsyncWait *) user_data)->result = g_object_ref (result);
}

static gboolean
async_done (gpointer data)
{
  return ((AsyncWait *) data)->result != NULL;
}

static void
provision (Fixture *f)
{
  CbContext *context = f->app->context;
  CbProfile *profile = cb_context_get_profile (context);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSerialPort) port = NULL;
  g_autoptr(CbSmpTransport) transport = NULL;
  g_autoptr(CbBenchClient) bench = NULL;
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbProvisioningRun) run = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autofree char *group_key = NULL;
  AsyncWait w = { 0 };

  group_key = cb_sandbox_dup_enrollment_group_key (cb_context_get_sandbox (context),
                                                   cb_profile_get_dps_name (profile),
                                                   cb_profile_get_enrollment_group_id (profile));
  g_assert_nonnull (group_key);

  config = cb_provisioning_config_new (profile);
  cb_provisioning_config_set_dps_client (config, cb_context_get_dps (context));
  cb_provisioning_config_set_adr_client (config, cb_context_get_adr (context));
  cb_provisioning_config_set_enrollment_group_key (config, group_key);
  cb_provisioning_config_set_station (config, "test-diagnostics");
  /* The run's last step: the device connects to the sandbox hub and reports its twin. */
  cb_provisioning_config_set_hub_client (config, cb_context_get_hub (context));
  cb_provisioning_config_set_http_client (config, cb_context_get_http (context));

  port = cb_serial_port_open (cb_virtual_device_get_path (f->device), CB_SERIAL_PORT_DEFAULT_BAUD,
                              &error);
  g_assert_no_error (error);
  transport = cb_smp_transport_new (port);
  bench = cb_bench_client_new (transport);
  run = cb_provisioning_run_new (config, bench, cb_virtual_device_get_path (f->device));
  cb_provisioning_run_run_async (run, NULL, async_cb, &w);
  cb_test_app_wait (async_done, &w, 60000);
  result = cb_provisioning_run_run_finish (run, w.result, &error);
  g_clear_object (&w.result);
  g_assert_no_error (error);
  if (!cb_run_result_get_passed (result))
    g_test_message ("run failed: %s", cb_run_result_get_error (result)->message);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpint (cb_run_step_get_state (cb_provisioning_run_get_step (run, CB_RUN_STEP_HUB_CONNECT)),
                   ==, CB_RUN_STEP_STATE_PASSED);
  cb_serial_port_close (port);

  f->device_id = g_strdup (cb_run_result_get_device_id (result));
  g_assert_nonnull (f->device_id);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  f->state_dir = g_build_filename (f->app->dir, "virtual-device", NULL);
  f->device = cb_virtual_device_new (f->state_dir, 0, &error);
  g_assert_no_error (error);
  cb_virtual_device_set_monitor (f->device, cb_context_get_port_monitor (f->app->context));

  if (data != NULL)
    provision (f);

  f->page = CB_DIAGNOSTICS_PAGE (cb_diagnostics_page_new (f->app->context));
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->page));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  cb_test_app_spin (50);
  cb_virtual_device_set_monitor (f->device, NULL);
  g_clear_object (&f->device);
  cb_test_app_spin (50);
  g_free (f->state_dir);
  g_free (f->device_id);
  cb_test_app_free (f->app);
}

static gboolean
finished (gpointer data)
{
  Fixture *f = data;
  return !cb_diagnostics_page_get_running (f->page);
}

static void
diagnose (Fixture *f)
{
  cb_diagnostics_page_run (f->page, cb_virtual_device_get_path (f->device));
  g_assert_true (cb_diagnostics_page_get_running (f->page));
  cb_test_app_wait (finished, f, 60000);
}

static void
log_checks (Fixture *f)
{
  GListModel *checks = cb_diagnostics_page_get_checks (f->page);

  for (guint i = 0; i < g_list_model_get_n_items (checks); i++)
    {
      g_autoptr(CbDiagnosticCheck) check = g_list_model_get_item (checks, i);

      g_test_message ("%s: %s (%s)", cb_diagnostic_check_get_id (check),
                      cb_check_status_to_string (cb_diagnostic_check_get_status (check)),
                      cb_diagnostic_check_get_detail (check));
    }
}

/* The checklist's end (the hub and renewal rows) is below the fold at 1280×800: picture the
 * page scrolled to the bottom too. */
static void
save_scrolled_to_end (Fixture    *f,
                      const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);
  GtkScrolledWindow *scrolled =
    GTK_SCROLLED_WINDOW (cb_test_app_find_widget (GTK_WIDGET (f->page), GTK_TYPE_SCROLLED_WINDOW));
  GtkAdjustment *adjustment;

  g_assert_nonnull (scrolled);
  adjustment = gtk_scrolled_window_get_vadjustment (scrolled);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);
  gtk_adjustment_set_value (adjustment, 0);
}

static gboolean
revoked (gpointer data)
{
  return ((AsyncWait *) data)->result != NULL;
}

static void
test_pass_then_revoked (Fixture       *f,
                        gconstpointer  data)
{
  GListModel *checks = cb_diagnostics_page_get_checks (f->page);
  CbDiagnosticCheck *identifier;
  CbDiagnosticCheck *hub;
  gint64 deadline;
  g_autoptr(GError) error = NULL;
  g_autofree char *report = NULL;
  g_autofree char *path = NULL;
  CbDeviceState state = CB_DEVICE_STATE_UNKNOWN;
  const char *state_reason = NULL;
  AsyncWait w = { 0 };

  /* The virtual device is offered in the port list. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "diagnostics.run", NULL));
  cb_test_app_wait (finished, f, 60000);

  log_checks (f);
  g_assert_cmpuint (g_list_model_get_n_items (checks), ==, 9);
  for (guint i = 0; i < g_list_model_get_n_items (checks); i++)
    {
      g_autoptr(CbDiagnosticCheck) check = g_list_model_get_item (checks, i);

      g_assert_cmpint (cb_diagnostic_check_get_status (check), ==, CB_CHECK_PASS);
      g_assert_null (cb_diagnostic_check_get_advice (check));
    }

  /* The chain was checked against the namespace's root from the service, not only the root
   * the device carries. */
  g_assert_nonnull (strstr (cb_diagnostic_check_get_detail (cb_diagnostics_page_lookup_check (f->page, "chain")),
                            "confirmed with the service"));
  /* The device itself is connected, and the sandbox hub agrees. */
  hub = cb_diagnostics_page_lookup_check (f->page, "hub");
  g_assert_nonnull (strstr (cb_diagnostic_check_get_detail (hub), "Connected to"));
  g_assert_nonnull (strstr (cb_diagnostic_check_get_detail (hub), "the sandbox hub sees it connected"));
  g_assert_nonnull (strstr (cb_diagnostic_check_get_detail (cb_diagnostics_page_lookup_check (f->page, "renewal")),
                            "No renewal yet"));
  /* One effective state, from every signal. */
  g_assert_true (cb_diagnostics_page_get_state (f->page, &state, &state_reason));
  g_test_message ("state: %s: %s", cb_device_state_to_label (state), state_reason);
  g_assert_cmpint (state, ==, CB_DEVICE_STATE_HEALTHY);

  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "diagnostics-pass.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);
  save_scrolled_to_end (f, "diagnostics-pass-end.png");

  /* Revoke the device (not disabled) in the sandbox, as the registry page would. */
  cb_adr_client_revoke_device_async (cb_context_get_adr (f->app->context), f->device_id, FALSE,
                                     NULL, async_cb, &w);
  cb_test_app_wait (revoked, &w, 30000);
  g_assert_true (cb_adr_client_revoke_device_finish (cb_context_get_adr (f->app->context),
                                                     w.result, &error));
  g_assert_no_error (error);
  g_clear_object (&w.result);

  /* The sandbox drops the live connection on revoke; the device reconnects and is refused. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  do
    {
      diagnose (f);
      hub = cb_diagnostics_page_lookup_check (f->page, "hub");
      if (cb_diagnostic_check_get_status (hub) == CB_CHECK_FAIL)
        break;
      g_test_message ("hub: %s", cb_diagnostic_check_get_detail (hub));
      cb_test_app_spin (500);
    }
  while (g_get_monotonic_time () < deadline);
  log_checks (f);

  g_assert_cmpint (cb_diagnostic_check_get_status (hub), ==, CB_CHECK_FAIL);
  g_assert_nonnull (strstr (cb_diagnostic_check_get_detail (hub), "Refused"));
  g_assert_nonnull (strstr (cb_diagnostic_check_get_detail (hub), "revoked-identifier"));
  g_assert_nonnull (strstr (cb_diagnostic_check_get_advice (hub), "provisioned again"));

  identifier = cb_diagnostics_page_lookup_check (f->page, "identifier");
  g_assert_nonnull (identifier);
  g_assert_cmpint (cb_diagnostic_check_get_status (identifier), ==, CB_CHECK_FAIL);
  g_assert_true (strstr (cb_diagnostic_check_get_detail (identifier), "revoked") != NULL ||
                 strstr (cb_diagnostic_check_get_detail (identifier), "Revoked") != NULL);
  g_assert_nonnull (cb_diagnostic_check_get_advice (identifier));
  /* The rest of the chain is still fine: only the identifier was rotated. */
  g_assert_cmpint (cb_diagnostic_check_get_status (cb_diagnostics_page_lookup_check (f->page, "chain")),
                   ==, CB_CHECK_PASS);
  g_assert_cmpint (cb_diagnostic_check_get_status (cb_diagnostics_page_lookup_check (f->page, "enabled")),
                   ==, CB_CHECK_PASS);

  /* The device's state says revoked, from the activity log's revoke (a real Azure signal),
   * not only from the sandbox's verdict. */
  g_assert_true (cb_diagnostics_page_get_state (f->page, &state, &state_reason));
  g_test_message ("state: %s: %s", cb_device_state_to_label (state), state_reason);
  g_assert_cmpint (state, ==, CB_DEVICE_STATE_REVOKED);
  g_assert_nonnull (strstr (state_reason, "were revoked on"));

  report = cb_diagnostics_page_dup_report (f->page);
  g_assert_nonnull (strstr (report, "State: Revoked"));
  g_assert_nonnull (strstr (report, "[Fail] Credential identifier current"));
  g_assert_nonnull (strstr (report, "[Fail] Hub connection"));
  g_assert_nonnull (strstr (report, "What to do:"));
  g_assert_nonnull (strstr (report, f->device_id));

  g_free (path);
  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "diagnostics-revoked.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);
  save_scrolled_to_end (f, "diagnostics-revoked-end.png");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "diagnostics.copy-report", NULL));
}

static void
test_no_device (Fixture       *f,
                gconstpointer  data)
{
  CbDiagnosticCheck *chain;

  cb_diagnostics_page_run (f->page, "/nonexistent/tty");
  cb_test_app_wait (finished, f, 10000);
  chain = cb_diagnostics_page_lookup_check (f->page, "chain");
  g_assert_cmpint (cb_diagnostic_check_get_status (chain), ==, CB_CHECK_FAIL);
  g_assert_nonnull (strstr (cb_diagnostic_check_get_detail (chain), "/nonexistent/tty"));
}

/* ---- the verdict, certificates to take away, a dropped file --------------------------------- */

static char *
clipboard_text (GtkWidget *widget)
{
  AsyncWait w = { 0 };
  g_autoptr(GError) error = NULL;
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  char *text;

  gdk_clipboard_read_text_async (clipboard, NULL, async_cb, &w);
  cb_test_app_wait (async_done, &w, 10000);
  text = gdk_clipboard_read_text_finish (clipboard, w.result, &error);
  g_clear_object (&w.result);
  g_assert_no_error (error);
  return text;
}

/* What `openssl x509 -noout -fingerprint -<digest>` prints for @pem_path, after the "=". */
static char *
openssl_fingerprint (const char *pem_path,
                     const char *digest)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "openssl", "x509", "-noout", "-fingerprint", digest, "-in", pem_path, NULL };
  int status = 0;
  char *eq;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  eq = strchr (out, '=');
  g_assert_nonnull (eq);
  return g_strdup (g_strstrip (eq + 1));
}

static GtkDropTarget *
find_drop_target (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        return GTK_DROP_TARGET (controller);
    }
  return NULL;
}

/* Drops @path on the page through its drop target, as a file manager's drop would arrive. */
static gboolean
drop_file (Fixture    *f,
           const char *path)
{
  GtkDropTarget *target = find_drop_target (GTK_WIDGET (f->page));
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GSList) files = g_slist_prepend (NULL, file);
  GValue value = G_VALUE_INIT;
  gboolean handled = FALSE;

  g_assert_nonnull (target);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &handled);
  g_value_unset (&value);
  return handled;
}

typedef struct
{
  Fixture    *f;
  const char *verdict;
} VerdictWait;

static gboolean
verdict_is (gpointer data)
{
  VerdictWait *w = data;
  g_autofree char *verdict = cb_diagnostics_page_dup_verdict (w->f->page, NULL);
  static char *last;

  if (g_strcmp0 (verdict, last) != 0)
    {
      g_test_message ("verdict: %s", verdict);
      g_free (last);
      last = g_strdup (verdict);
    }
  return g_strcmp0 (verdict, w->verdict) == 0;
}

static void
save_at (GtkWidget  *widget,
         const char *name,
         int         width,
         int         height)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);

  cb_test_app_save_png (widget, path, width, height);
}

static void
test_verdict_take_away_and_drop (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("cb-app-certs-XXXXXX", NULL);
  g_autofree char *pem_path = g_build_filename (dir, "chain.pem", NULL);
  g_autofree char *der_path = g_build_filename (dir, "chain.der", NULL);
  g_autofree char *leaf_path = g_build_filename (dir, "leaf.pem", NULL);
  g_autofree char *bad_path = g_build_filename (dir, "notes.crt", NULL);
  g_autoptr(GFile) pem_file = g_file_new_for_path (pem_path);
  g_autoptr(GFile) der_file = g_file_new_for_path (der_path);
  g_autoptr(GFile) leaf_file = g_file_new_for_path (leaf_path);
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GPtrArray) read_back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *verdict = NULL;
  g_autofree char *first = NULL;
  g_autofree char *report = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *copied = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *registration = NULL;
  g_autofree char *version = g_strdup_printf ("App version: %s\n", PACKAGE_VERSION);
  GtkWidget *menu;
  GtkWidget *details = NULL;
  gsize len;
  VerdictWait vw = { f, NULL };

  /* The device: all nine pass, said at the top. */
  diagnose (f);
  verdict = cb_diagnostics_page_dup_verdict (f->page, &first);
  g_assert_cmpstr (verdict, ==, "9 of 9 checks passed");
  g_assert_null (first);
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (f->page), "9 of 9 checks passed"));
  report = cb_diagnostics_page_dup_report (f->page);
  g_test_message ("%s", report);
  registration = g_strdup_printf ("\nRegistration ID: %s\n", f->device_id);
  g_assert_nonnull (strstr (report, "\n9 of 9 checks passed\n"));
  g_assert_nonnull (strstr (report, "\nHardware serial: "));
  g_assert_nonnull (strstr (report, registration));
  g_assert_nonnull (strstr (report, version));
  g_assert_nonnull (strstr (report, "\nService time: "));
  save_at (GTK_WIDGET (f->page), "diagnostics-verdict.png", 1280, 800);
  save_at (GTK_WIDGET (f->page), "diagnostics-verdict-360.png", 360, 800);

  /* The chain read from the device, exported as PEM and DER and read back (what the save
   * actions write once the desktop's file chooser has a name). */
  menu = cb_test_app_find_widget (GTK_WIDGET (f->page), GTK_TYPE_MENU_BUTTON);
  g_assert_nonnull (menu);
  g_assert_true (gtk_widget_get_visible (menu));
  {
    g_autofree char *pem = NULL;

    /* Copy the chain as PEM through the menu's action: the device's whole chain. */
    g_assert_true (gtk_widget_activate_action (menu, "cert.copy-chain-pem", NULL));
    pem = clipboard_text (menu);
    chain = cb_certificate_list_new_from_data ((const guint8 *) pem, strlen (pem), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (chain->len, >=, 2);
  }

  g_assert_true (cb_certificate_export_to_file (chain, -1, CB_CERTIFICATE_FORMAT_PEM, pem_file, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (pem_path, &contents, &len, &error));
  read_back = cb_certificate_list_new_from_data ((const guint8 *) contents, len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read_back->len, ==, chain->len);
  for (guint i = 0; i < chain->len; i++)
    g_assert_true (cb_certificate_equal (g_ptr_array_index (read_back, i), g_ptr_array_index (chain, i)));
  g_clear_pointer (&read_back, g_ptr_array_unref);
  g_clear_pointer (&contents, g_free);

  g_assert_true (cb_certificate_export_to_file (chain, -1, CB_CERTIFICATE_FORMAT_DER, der_file, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (der_path, &contents, &len, &error));
  {
    g_autoptr(GBytes) der = g_bytes_new (contents, len);

    g_assert_cmpuint (contents[0], ==, 0x30);
    read_back = cb_provisioning_split_chain (der, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (read_back->len, ==, chain->len);
  for (guint i = 0; i < chain->len; i++)
    g_assert_true (cb_certificate_equal (g_ptr_array_index (read_back, i), g_ptr_array_index (chain, i)));
  g_clear_pointer (&contents, g_free);

  g_assert_true (cb_certificate_export_to_file (chain, 0, CB_CERTIFICATE_FORMAT_PEM, leaf_file, &error));
  g_assert_no_error (error);

  /* The fingerprints copied are openssl's. */
  g_assert_true (gtk_widget_activate_action (menu, "cert.copy-sha256", NULL));
  copied = clipboard_text (menu);
  expected = openssl_fingerprint (leaf_path, "-sha256");
  g_assert_cmpstr (copied, ==, expected);
  g_clear_pointer (&copied, g_free);
  g_clear_pointer (&expected, g_free);
  g_assert_true (gtk_widget_activate_action (menu, "cert.copy-sha1", NULL));
  copied = clipboard_text (menu);
  expected = openssl_fingerprint (leaf_path, "-sha1");
  g_assert_cmpstr (copied, ==, expected);

  /* The details window shows the leaf, every field. */
  g_assert_true (gtk_widget_activate_action (menu, "cert.details", NULL));
  cb_test_app_spin (100);
  {
    GList *toplevels = gtk_window_list_toplevels ();

    for (GList *l = toplevels; l != NULL; l = l->next)
      if (CB_IS_CERTIFICATE_DETAILS_WINDOW (l->data))
        details = l->data;
    g_list_free (toplevels);
  }
  g_assert_nonnull (details);
  g_assert_true (cb_certificate_equal (cb_certificate_details_window_get_certificate (CB_CERTIFICATE_DETAILS_WINDOW (details)),
                                       g_ptr_array_index (chain, 0)));
  g_assert_nonnull (cb_test_app_find_label (details, cb_certificate_get_sha256_fingerprint (g_ptr_array_index (chain, 0))));
  g_assert_nonnull (cb_test_app_find_label (details, "Subject key identifier"));
  save_at (details, "certificate-details.png", 640, 900);
  save_at (details, "certificate-details-360.png", 360, 900);
  gtk_window_destroy (GTK_WINDOW (details));

  /* A file that is not a certificate: a clear error, the findings stay. */
  g_assert_true (g_file_set_contents (bad_path, "not a certificate\n", -1, NULL));
  g_assert_false (cb_diagnostics_page_check_data (f->page, (const guint8 *) "not a certificate\n", 18,
                                                   "notes.crt", &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "notes.crt is not a certificate"));
  g_clear_error (&error);
  g_assert_true (drop_file (f, bad_path));
  cb_test_app_spin (300);
  g_clear_pointer (&verdict, g_free);
  verdict = cb_diagnostics_page_dup_verdict (f->page, NULL);
  g_assert_cmpstr (verdict, ==, "9 of 9 checks passed");
  g_assert_false (cb_diagnostics_page_get_running (f->page));

  /* The chain dropped as a DER file: the service's checks, the device's not available. */
  g_assert_true (drop_file (f, der_path));
  vw.verdict = "6 of 6 checks passed (3 not available)";
  cb_test_app_wait (verdict_is, &vw, 60000);
  log_checks (f);
  g_clear_pointer (&report, g_free);
  report = cb_diagnostics_page_dup_report (f->page);
  g_assert_nonnull (strstr (report, "\nChecked from: chain.der\n"));
  g_assert_nonnull (strstr (report, registration));
  g_assert_cmpint (cb_diagnostic_check_get_status (cb_diagnostics_page_lookup_check (f->page, "identifier")),
                   ==, CB_CHECK_PASS);
  save_at (GTK_WIDGET (f->page), "diagnostics-file.png", 1280, 800);

  /* The leaf alone (PEM): the chain check fails, and the verdict says what to do first. */
  g_assert_true (drop_file (f, leaf_path));
  /* The chain fails, and without an issuing CA the issuer check warns. */
  vw.verdict = "4 of 6 checks passed (3 not available)";
  cb_test_app_wait (verdict_is, &vw, 60000);
  g_clear_pointer (&first, g_free);
  g_clear_pointer (&verdict, g_free);
  verdict = cb_diagnostics_page_dup_verdict (f->page, &first);
  g_assert_nonnull (first);
  g_assert_true (g_str_has_suffix (first, "(Chain valid to the namespace root)"));
  /* Its dates are fine, but a certificate without its chain is not judged healthy: the state
   * says the chain is incomplete and what to add. */
  {
    CbDeviceState state = CB_DEVICE_STATE_HEALTHY;
    const char *reason = NULL;

    g_assert_true (cb_diagnostics_page_get_state (f->page, &state, &reason));
    g_test_message ("state: %s: %s", cb_device_state_to_label (state), reason);
    g_assert_cmpint (state, ==, CB_DEVICE_STATE_UNKNOWN);
    g_assert_nonnull (strstr (reason, "chain is incomplete"));
    g_assert_nonnull (strstr (reason, "issuing CA"));
    g_clear_pointer (&report, g_free);
    report = cb_diagnostics_page_dup_report (f->page);
    g_assert_null (strstr (report, "State: Healthy"));
    g_assert_nonnull (strstr (report, "\nState: Unknown: Its dates are fine, but its chain is "
                                      "incomplete"));
  }
  save_at (GTK_WIDGET (f->page), "diagnostics-file-leaf.png", 1280, 800);
  save_at (GTK_WIDGET (f->page), "diagnostics-file-leaf-360.png", 360, 800);

  g_unlink (pem_path);
  g_unlink (der_path);
  g_unlink (leaf_path);
  g_unlink (bad_path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app-diagnostics/pass-then-revoked", Fixture, "provision", fixture_setup,
              test_pass_then_revoked, fixture_teardown);
  g_test_add ("/cb/app-diagnostics/no-device", Fixture, NULL, fixture_setup, test_no_device,
              fixture_teardown);
  g_test_add ("/cb/app-diagnostics/verdict-take-away-and-drop", Fixture, "provision",
              fixture_setup, test_verdict_take_away_and_drop, fixture_teardown);

  return g_test_run ();
}
