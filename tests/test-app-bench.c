/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Bench page against a seeded sandbox and the in-process Virtual device: provisioning
 * through the page's actions, the live step list, PASS / FAIL, the chain rows, the counters. */
#include "config.h"

#include <string.h>

#include "cb-test-app.h"

#include "cb-bench-page.h"
#include "cb-certificate-row.h"
#include "cb-fleet-page.h"
#include "cb-lifetime-bar.h"
#include "cb-port-row.h"
#include "cb-run-step-row.h"
#include "cb-registration-template.h"
#include "cb-util.h"
#include "cbd-virtual-device.h"

static gboolean
page_idle (gpointer user_data)
{
  return cb_bench_page_get_n_running (CB_BENCH_PAGE (user_data)) == 0;
}

static guint
count_rows (GtkListBox *list,
            GType       type)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
      n++;
  return n;
}

static CbPortRow *
find_port_row (GtkWidget  *widget,
               const char *path)
{
  if (CB_IS_PORT_ROW (widget) && g_strcmp0 (cb_port_row_get_path (CB_PORT_ROW (widget)), path) == 0)
    return CB_PORT_ROW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      CbPortRow *row = find_port_row (child, path);

      if (row != NULL)
        return row;
    }
  return NULL;
}

static void
test_lifetime_bar (void)
{
  GtkWidget *bar = g_object_ref_sink (cb_lifetime_bar_new ());
  gint64 nb = 1700000000;

  cb_lifetime_bar_set_validity (CB_LIFETIME_BAR (bar), nb, nb + 100 * 86400);
  cb_lifetime_bar_set_now (CB_LIFETIME_BAR (bar), nb + 25 * 86400);
  g_assert_cmpfloat_with_epsilon (cb_lifetime_bar_get_fraction_used (CB_LIFETIME_BAR (bar)), 0.25,
                                  1e-9);
  cb_lifetime_bar_set_now (CB_LIFETIME_BAR (bar), nb + 200 * 86400);
  g_assert_cmpfloat_with_epsilon (cb_lifetime_bar_get_fraction_used (CB_LIFETIME_BAR (bar)), 1.0,
                                  1e-9);
  cb_lifetime_bar_set_renewal_fraction (CB_LIFETIME_BAR (bar), 0.75);
  g_assert_cmpfloat (cb_lifetime_bar_get_renewal_fraction (CB_LIFETIME_BAR (bar)), ==, 0.75);
  g_assert_finalize_object (bar);
}

static void
test_provision_virtual_device (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *png = NULL;
  g_autofree char *log = NULL;
  g_autofree char *saved_path = NULL;
  GtkWidget *window, *page;
  CbBenchPage *bench;
  CbVirtualDevice *device;
  CbSerialPortInfo *info;
  CbProvisioningRun *run;
  CbRunResult *result;
  CbPortRow *port_row;
  GtkListBox *steps, *chain;
  GtkWidget *first;
  const char *path;
  guint n_steps = 0, n_passed_steps = 0;

  page = cb_bench_page_new (app->context);
  bench = CB_BENCH_PAGE (page);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  /* The virtual device is a port like any other, marked virtual, with its serial. */
  device = cb_bench_page_get_virtual_device (bench);
  g_assert_nonnull (device);
  path = cb_virtual_device_get_path (device);
  g_assert_nonnull (path);
  g_assert_nonnull (cb_virtual_device_get_serial (device));
  info = cb_port_monitor_lookup (cb_context_get_port_monitor (app->context), path);
  g_assert_nonnull (info);
  g_assert_true (cb_serial_port_info_get_is_virtual (info));
  g_assert_cmpstr (cb_serial_port_info_get_serial_number (info), ==,
                   cb_virtual_device_get_serial (device));
  port_row = find_port_row (page, path);
  g_assert_nonnull (port_row);
  g_assert_cmpint (cb_port_row_get_state (port_row), ==, CB_PORT_ROW_IDLE);

  /* Provision through the page's action, as the row's button does. */
  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
  g_assert_cmpuint (cb_bench_page_get_n_running (bench), ==, 1);
  g_assert_cmpstr (cb_bench_page_get_selected_port (bench), ==, path);
  g_assert_cmpstr (cb_bench_page_get_result_text (bench), ==, "Running…");
  g_assert_cmpint (cb_port_row_get_state (port_row), ==, CB_PORT_ROW_RUNNING);

  cb_test_app_wait (page_idle, page, 50000);

  run = cb_bench_page_get_run (bench, path);
  g_assert_nonnull (run);
  result = cb_provisioning_run_get_result (run);
  g_assert_nonnull (result);
  if (!cb_run_result_get_passed (result))
    g_test_message ("run failed: %s", cb_run_result_get_error (result)->message);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpstr (cb_bench_page_get_result_text (bench), ==, "PASS");
  g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 1);
  g_assert_cmpuint (cb_bench_page_get_n_failed (bench), ==, 0);
  g_assert_cmpint (cb_port_row_get_state (port_row), ==, CB_PORT_ROW_PASSED);
  /* The station's template (GSettings default line1-{serial}) named the device. */
  g_assert_true (g_str_has_prefix (cb_run_result_get_registration_id (result), "line1-"));

  /* The step list: one row per step, bound to the run's steps, every one passed or skipped. */
  steps = cb_bench_page_get_steps_list (bench);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (steps));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      CbRunStep *step;

      if (!CB_IS_RUN_STEP_ROW (child))
        continue;
      step = cb_run_step_row_get_step (CB_RUN_STEP_ROW (child));
      g_assert_true (step == cb_provisioning_run_get_step (run, cb_run_step_get_kind (step)));
      g_assert_true (cb_run_step_get_state (step) == CB_RUN_STEP_STATE_PASSED ||
                     cb_run_step_get_state (step) == CB_RUN_STEP_STATE_SKIPPED);
      if (cb_run_step_get_state (step) == CB_RUN_STEP_STATE_PASSED)
        n_passed_steps++;
      n_steps++;
    }
  g_assert_cmpuint (n_steps, ==, CB_RUN_N_STEPS);
  g_assert_cmpuint (n_passed_steps, >=, CB_RUN_N_STEPS - 1);
  g_assert_cmpint (cb_run_step_get_state (cb_provisioning_run_get_step (run, CB_RUN_STEP_COMMIT)),
                   ==, CB_RUN_STEP_STATE_PASSED);
  /* With the hub check on (the default) the device connected and its twin has the dates. */
  g_assert_cmpint (cb_run_step_get_state (cb_provisioning_run_get_step (run, CB_RUN_STEP_HUB_CONNECT)),
                   ==, CB_RUN_STEP_STATE_PASSED);

  /* The chain: one row per certificate, leaf first, named after the registration id. */
  chain = cb_bench_page_get_chain_list (bench);
  g_assert_cmpuint (count_rows (chain, CB_TYPE_CERTIFICATE_ROW), ==,
                    cb_run_result_get_chain (result)->len);
  g_assert_cmpuint (count_rows (chain, CB_TYPE_CERTIFICATE_ROW), >=, 2);
  first = gtk_widget_get_first_child (GTK_WIDGET (chain));
  g_assert_true (CB_IS_CERTIFICATE_ROW (first));
  g_assert_cmpstr (cb_certificate_get_common_name (
                     cb_certificate_row_get_certificate (CB_CERTIFICATE_ROW (first))),
                   ==, cb_run_result_get_registration_id (result));
  g_assert_cmpint (cb_certificate_row_get_days_left (CB_CERTIFICATE_ROW (first)), >, 0);
  g_assert_cmpint (cb_certificate_row_get_days_left (CB_CERTIFICATE_ROW (first)), <=,
                   (int) cb_run_result_get_validity_days (result));

  /* The protocol log shows decoded frames both ways. */
  log = cb_bench_page_dup_log_text (bench, path);
  g_assert_nonnull (log);
  g_assert_nonnull (strstr (log, "TX "));
  g_assert_nonnull (strstr (log, "RX "));
  g_assert_nonnull (strstr (log, "PASS"));

  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "bench-pass.png", NULL);
  cb_test_app_save_png (window, png, 1280, 800);
  g_free (png);
  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "bench-chain.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (chain), png, 1280, 800);

  /* Again on the same device, as Ctrl+Return does for the port on screen: the counters go on,
   * and the step list shows the new run. */
  g_object_ref (run);   /* so the next run cannot take its address */
  g_assert_true (gtk_widget_activate_action (page, "bench.provision-selected", NULL));
  g_assert_true (cb_bench_page_get_run (bench, path) != run);
  g_object_unref (run);
  first = GTK_WIDGET (gtk_list_box_get_row_at_index (steps, 0));
  g_assert_true (cb_run_step_row_get_step (CB_RUN_STEP_ROW (first)) ==
                 cb_provisioning_run_get_step (cb_bench_page_get_run (bench, path),
                                               CB_RUN_STEP_IDENTIFY));
  cb_test_app_wait (page_idle, page, 50000);
  g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 2);
  g_assert_cmpstr (cb_bench_page_get_result_text (bench), ==, "PASS");

  /* The station's template: a bad one is refused and changes nothing, a good one names the
   * next device. */
  {
    g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
    g_autofree char *saved = NULL;
    CbRunResult *again;

    g_assert_false (cb_bench_page_set_registration_template (bench, "{imsi}", &error));
    g_assert_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_UNKNOWN_PLACEHOLDER);
    g_clear_error (&error);
    saved = g_settings_get_string (settings, "registration-id-template");
    g_assert_cmpstr (saved, ==, "line1-{serial}");

    g_assert_true (cb_bench_page_set_registration_template (bench, "line2-{serial}", &error));
    g_assert_no_error (error);
    /* ...and a bench without network turns the hub check off for the runs that follow. */
    g_assert_true (g_settings_get_boolean (settings, "hub-check"));
    g_settings_set_boolean (settings, "hub-check", FALSE);
    g_free (saved);
    saved = g_settings_get_string (settings, "registration-id-template");
    g_assert_cmpstr (saved, ==, "line2-{serial}");

    g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
    cb_test_app_wait (page_idle, page, 50000);
    again = cb_provisioning_run_get_result (cb_bench_page_get_run (bench, path));
    g_assert_true (cb_run_result_get_passed (again));
    g_assert_true (g_str_has_prefix (cb_run_result_get_registration_id (again), "line2-"));
    g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 3);
    {
      CbRunStep *hub_step = cb_provisioning_run_get_step (cb_bench_page_get_run (bench, path),
                                                          CB_RUN_STEP_HUB_CONNECT);

      g_assert_cmpint (cb_run_step_get_state (hub_step), ==, CB_RUN_STEP_STATE_SKIPPED);
      g_assert_cmpstr (cb_run_step_get_detail (hub_step), ==,
                       "hub check off (no network at the bench)");
    }
    g_settings_reset (settings, "registration-id-template");
    g_settings_reset (settings, "hub-check");
  }

  /* A port that cannot be opened fails (and counts) without a run. */
  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", "/dev/certbench-none"));
  cb_test_app_wait (page_idle, page, 10000);
  g_assert_cmpuint (cb_bench_page_get_n_failed (bench), ==, 1);
  g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 3);

  /* Cancelled at once: nothing counts, the device keeps what it had, the port is ready again. */
  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
  g_assert_cmpuint (cb_bench_page_get_n_running (bench), ==, 1);
  g_assert_true (gtk_widget_activate_action (page, "bench.cancel", "s", path));
  cb_test_app_wait (page_idle, page, 20000);
  g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 3);
  g_assert_cmpuint (cb_bench_page_get_n_failed (bench), ==, 1);
  g_assert_cmpstr (cb_bench_page_get_result_text (bench), ==, "Ready");
  g_assert_cmpint (cb_port_row_get_state (port_row), ==, CB_PORT_ROW_IDLE);

  /* A new shift. */
  g_assert_true (gtk_widget_activate_action (page, "bench.reset-counters", NULL));
  g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 0);
  g_assert_cmpuint (cb_bench_page_get_n_failed (bench), ==, 0);

  /* Nothing keeps the page alive once its window is gone (runs, sessions, signal handlers). */
  saved_path = g_strdup (path);   /* the device's string goes with the page */
  g_object_add_weak_pointer (G_OBJECT (page), (gpointer *) &page);
  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (100);
  g_assert_null (page);
  g_assert_null (cb_port_monitor_lookup (cb_context_get_port_monitor (app->context), saved_path));
}

/* The app scans the ports after its first frame, when the bench page may already be up:
 * a device that was plugged in before the app started shows in that scan but is not
 * auto-started; one plugged in after it is. */
static void
test_auto_start_after_late_scan (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  g_autoptr(CbVirtualDevice) present = NULL;
  g_autoptr(CbVirtualDevice) later = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *present_dir = g_build_filename (app->dir, "present-device", NULL);
  g_autofree char *later_dir = g_build_filename (app->dir, "later-device", NULL);
  CbPortMonitor *monitor = cb_context_get_port_monitor (app->context);
  GtkWidget *window, *page;
  CbBenchPage *bench;

  g_settings_set_boolean (settings, "auto-start", TRUE);

  /* As the app starts: signed in, the bench page up, the ports not scanned yet. */
  cb_context_start_without_ports (app->context);
  cb_test_app_wait_for_state (app->context, CB_CONTEXT_STATE_READY, 30000);
  g_assert_false (cb_port_monitor_get_scanned (monitor));

  page = cb_bench_page_new (app->context);
  bench = CB_BENCH_PAGE (page);
  window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  /* A device that was there before: the monitor lists it before its first scan is done. */
  present = cb_virtual_device_new (present_dir, 0, &error);
  g_assert_no_error (error);
  cb_virtual_device_set_monitor (present, monitor);
  cb_port_monitor_start (monitor);
  g_assert_true (cb_port_monitor_get_scanned (monitor));
  g_assert_nonnull (cb_port_monitor_lookup (monitor, cb_virtual_device_get_path (present)));
  cb_test_app_spin (100);
  g_assert_cmpuint (cb_bench_page_get_n_running (bench), ==, 0);
  g_assert_null (cb_bench_page_get_run (bench, cb_virtual_device_get_path (present)));

  /* Plugged in after the scan: provisioned without a click. */
  later = cb_virtual_device_new (later_dir, 0, &error);
  g_assert_no_error (error);
  cb_virtual_device_set_monitor (later, monitor);
  g_assert_cmpuint (cb_bench_page_get_n_running (bench), ==, 1);

  cb_test_app_wait (page_idle, page, 50000);
  g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 1);
  g_assert_nonnull (cb_bench_page_get_run (bench, cb_virtual_device_get_path (later)));
  g_assert_null (cb_bench_page_get_run (bench, cb_virtual_device_get_path (present)));

  cb_virtual_device_set_monitor (later, NULL);
  cb_virtual_device_set_monitor (present, NULL);
  g_settings_reset (settings, "auto-start");
  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (100);
}

static void
test_auto_start_and_parallel (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  g_autoptr(CbVirtualDevice) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = g_build_filename (app->dir, "second-device", NULL);
  CbPortMonitor *monitor = cb_context_get_port_monitor (app->context);
  CbVirtualDevice *first;
  CbRunResult *first_result, *second_result;
  GtkWidget *window, *page;
  CbBenchPage *bench;

  g_settings_set_boolean (settings, "auto-start", TRUE);

  page = cb_bench_page_new (app->context);
  bench = CB_BENCH_PAGE (page);
  window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  /* The app's own virtual device does not start by itself: it was there before. */
  first = cb_bench_page_get_virtual_device (bench);
  g_assert_nonnull (first);
  g_assert_cmpuint (cb_bench_page_get_n_running (bench), ==, 0);

  /* A device plugged in with auto-start on is provisioned without a click... */
  second = cb_virtual_device_new (state_dir, 0, &error);
  g_assert_no_error (error);
  cb_virtual_device_set_monitor (second, monitor);
  g_assert_cmpuint (cb_bench_page_get_n_running (bench), ==, 1);

  /* ...while another port runs at the same time. */
  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s",
                                             cb_virtual_device_get_path (first)));
  g_assert_cmpuint (cb_bench_page_get_n_running (bench), ==, 2);

  cb_test_app_wait (page_idle, page, 50000);
  g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 2);
  g_assert_cmpuint (cb_bench_page_get_n_failed (bench), ==, 0);

  first_result = cb_provisioning_run_get_result (
    cb_bench_page_get_run (bench, cb_virtual_device_get_path (first)));
  second_result = cb_provisioning_run_get_result (
    cb_bench_page_get_run (bench, cb_virtual_device_get_path (second)));
  g_assert_true (cb_run_result_get_passed (first_result));
  g_assert_true (cb_run_result_get_passed (second_result));
  g_assert_cmpstr (cb_run_result_get_device_serial (second_result), ==,
                   cb_virtual_device_get_serial (second));
  g_assert_cmpstr (cb_run_result_get_registration_id (first_result), !=,
                   cb_run_result_get_registration_id (second_result));

  /* Unplugged: the port leaves the list. */
  cb_virtual_device_set_monitor (second, NULL);
  g_assert_null (cb_port_monitor_lookup (monitor, cb_virtual_device_get_path (second)));

  g_settings_reset (settings, "auto-start");
  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (100);
}

static void
test_failed_run (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(CbVirtualDevice) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = g_build_filename (app->dir, "faulty-device", NULL);
  g_autofree char *png = NULL;
  CbProvisioningRun *run;
  CbRunResult *result;
  CbRunStep *csr;
  GtkWidget *window, *page;
  GtkListBox *steps;
  CbBenchPage *bench;
  const char *path;
  gboolean error_row_found = FALSE;

  page = cb_bench_page_new (app->context);
  bench = CB_BENCH_PAGE (page);
  window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  /* A device whose CSR names someone else: the station must refuse it. */
  device = cb_virtual_device_new_with_faults (state_dir, 0, CB_VIRTUAL_DEVICE_FAULT_WRONG_CN,
                                              &error);
  g_assert_no_error (error);
  cb_virtual_device_set_monitor (device, cb_context_get_port_monitor (app->context));
  path = cb_virtual_device_get_path (device);

  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
  cb_test_app_wait (page_idle, page, 50000);

  g_assert_cmpstr (cb_bench_page_get_selected_port (bench), ==, path);
  g_assert_cmpstr (cb_bench_page_get_result_text (bench), ==, "FAIL");
  g_assert_cmpuint (cb_bench_page_get_n_failed (bench), ==, 1);
  g_assert_cmpuint (cb_bench_page_get_n_passed (bench), ==, 0);
  run = cb_bench_page_get_run (bench, path);
  result = cb_provisioning_run_get_result (run);
  g_assert_false (cb_run_result_get_passed (result));
  g_assert_false (cb_run_result_get_device_changed (result));
  g_assert_cmpint (cb_run_result_get_failed_step (result), ==, CB_RUN_STEP_CSR);
  csr = cb_provisioning_run_get_step (run, CB_RUN_STEP_CSR);
  g_assert_cmpint (cb_run_step_get_state (csr), ==, CB_RUN_STEP_STATE_FAILED);
  g_assert_nonnull (cb_run_step_get_error (csr));

  /* The failed step's row is in the list with its error; nothing was issued. */
  steps = cb_bench_page_get_steps_list (bench);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (steps));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (CB_IS_RUN_STEP_ROW (child) && cb_run_step_row_get_step (CB_RUN_STEP_ROW (child)) == csr)
      error_row_found = TRUE;
  g_assert_true (error_row_found);
  g_assert_cmpuint (count_rows (cb_bench_page_get_chain_list (bench), CB_TYPE_CERTIFICATE_ROW),
                    ==, 0);

  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "bench-fail.png", NULL);
  cb_test_app_save_png (window, png, 1280, 800);

  cb_virtual_device_set_monitor (device, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (100);
}

static void
test_not_connected (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  GtkWidget *page = g_object_ref_sink (cb_bench_page_new (app->context));
  CbVirtualDevice *device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (page));
  g_autofree char *path = NULL;

  /* The page builds and lists the virtual device before the station is connected, but
   * Provision waits for the connection. */
  g_assert_nonnull (device);
  path = g_strdup (cb_virtual_device_get_path (device));
  g_assert_nonnull (cb_port_monitor_lookup (cb_context_get_port_monitor (app->context), path));
  g_assert_null (cb_context_get_dps (app->context));
  gtk_widget_activate_action (page, "bench.provision", "s", path);
  g_assert_cmpuint (cb_bench_page_get_n_running (CB_BENCH_PAGE (page)), ==, 0);
  g_assert_cmpuint (cb_bench_page_get_n_failed (CB_BENCH_PAGE (page)), ==, 0);

  /* The page going takes the virtual device out of the port list. */
  g_object_run_dispose (G_OBJECT (page));
  g_assert_null (cb_port_monitor_lookup (cb_context_get_port_monitor (app->context), path));
  g_assert_finalize_object (page);
}

/* Between "clients made" and "signed in" (a slow sign-in), Provision must wait: a run started
 * then would have no ARM client and fail its chain check. */
static void
test_signing_in (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  GtkWidget *page = NULL;
  CbVirtualDevice *device;
  g_autofree char *path = NULL;

  /* Device codes now wait for an approval that never comes. */
  cb_sandbox_set_auto_approve (app->ts->sandbox, FALSE);
  cb_context_start (app->context);
  while (cb_context_get_dps (app->context) == NULL)
    cb_test_app_spin (20);
  g_assert_cmpint (cb_context_get_state (app->context), !=, CB_CONTEXT_STATE_READY);

  page = g_object_ref_sink (cb_bench_page_new (app->context));
  device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (page));
  g_assert_nonnull (device);
  path = g_strdup (cb_virtual_device_get_path (device));

  gtk_widget_activate_action (page, "bench.provision", "s", path);
  cb_test_app_spin (200);
  g_assert_cmpuint (cb_bench_page_get_n_running (CB_BENCH_PAGE (page)), ==, 0);
  g_assert_cmpuint (cb_bench_page_get_n_failed (CB_BENCH_PAGE (page)), ==, 0);

  g_object_run_dispose (G_OBJECT (page));
  g_assert_finalize_object (page);
}

static gboolean
fleet_counted (gpointer user_data)
{
  CbFleetPage *fleet = user_data;

  return !cb_fleet_page_get_loading (fleet) && cb_fleet_page_get_total (fleet) > 0;
}

static gboolean
list_loaded (gpointer user_data)
{
  return !cb_device_list_model_get_loading (user_data);
}

typedef struct
{
  CbContext  *context;
  const char *device_id;
  char       *valid_until;
} TwinWatch;

/* Reads the twin's reported validUntil once per call (the wait iterates until it changes). */
static gboolean
twin_moved_on (gpointer user_data)
{
  TwinWatch *watch = user_data;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) twin = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *properties, *reported, *certificate;
  const char *until;

  cb_hub_client_get_twin_async (cb_context_get_hub (watch->context), watch->device_id, NULL,
                                cb_test_store_result_cb, &result);
  twin = cb_hub_client_object_finish (cb_context_get_hub (watch->context),
                                      cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  properties = json_object_get_object_member (twin, "properties");
  reported = json_object_get_object_member (properties, "reported");
  certificate = json_object_get_object_member (reported, "certificate");
  g_assert_nonnull (certificate);
  until = json_object_get_string_member (certificate, "validUntil");
  if (watch->valid_until == NULL)
    {
      watch->valid_until = g_strdup (until);
      return FALSE;
    }
  if (g_strcmp0 (until, watch->valid_until) == 0)
    {
      cb_test_app_spin (500);
      return FALSE;
    }
  g_free (watch->valid_until);
  watch->valid_until = g_strdup (until);
  return TRUE;
}

/* The virtual device lives on the sandbox's clock: provisioned, it reports its certificate in
 * the twin; 25 days on in the sandbox it renews through the hub, and the twin says so. */
static void
test_virtual_device_renews (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autofree char *first_until = NULL;
  g_autofree char *issued_until = NULL;
  TwinWatch watch = { 0, };
  GtkWidget *window, *page;
  CbBenchPage *bench;
  CbRunResult *result;
  CbCertificate *leaf;
  const char *path;

  page = cb_bench_page_new (app->context);
  bench = CB_BENCH_PAGE (page);
  window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  path = cb_virtual_device_get_path (cb_bench_page_get_virtual_device (bench));
  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
  cb_test_app_wait (page_idle, page, 50000);
  result = cb_provisioning_run_get_result (cb_bench_page_get_run (bench, path));
  g_assert_true (cb_run_result_get_passed (result));

  /* The twin carries the issued leaf's dates. */
  leaf = g_ptr_array_index (cb_run_result_get_chain (result), 0);
  issued_until = cb_time_format_fixed (cb_certificate_get_not_after (leaf));
  watch.context = app->context;
  watch.device_id = cb_run_result_get_registration_id (result);
  g_assert_false (twin_moved_on (&watch));
  g_assert_cmpstr (watch.valid_until, ==, issued_until);
  first_until = g_strdup (watch.valid_until);

  /* A day a second: the 30-day leaf reaches its 80 % renewal point about 24 s later (a jump
   * of the offset would also age the station's sign-in). */
  g_assert_cmpuint (cb_test_sandbox_request (app->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": 86400}", NULL, NULL), ==, 200);
  cb_test_app_wait (twin_moved_on, &watch, 60000);
  g_assert_cmpuint (cb_test_sandbox_request (app->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": 1}", NULL, NULL), ==, 200);
  g_assert_cmpstr (watch.valid_until, >, first_until);

  /* The fleet view lists it as healthy, with the renewed certificate's date from its twin. */
  {
    GtkWidget *fleet_window = gtk_window_new ();
    GtkWidget *fleet = cb_fleet_page_new (app->context);
    CbDeviceListModel *model;
    g_autofree char *png = NULL;
    gboolean found = FALSE;

    gtk_window_set_default_size (GTK_WINDOW (fleet_window), 1280, 800);
    gtk_window_set_child (GTK_WINDOW (fleet_window), fleet);
    gtk_window_present (GTK_WINDOW (fleet_window));
    cb_test_app_wait (fleet_counted, fleet, 30000);
    cb_fleet_page_show_group (CB_FLEET_PAGE (fleet), CB_DEVICE_STATE_HEALTHY);
    model = cb_fleet_page_get_devices (CB_FLEET_PAGE (fleet));
    cb_test_app_wait (list_loaded, model, 30000);
    while (!cb_device_list_model_get_complete (model) && !found)
      {
        cb_device_list_model_load_more (model);
        cb_test_app_wait (list_loaded, model, 30000);
      }
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)) && !found; i++)
      {
        g_autoptr(CbDeviceItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);
        g_autofree char *until = NULL;

        if (g_strcmp0 (cb_device_item_get_device_id (item), watch.device_id) != 0)
          continue;
        until = cb_time_format_fixed (cb_device_item_get_valid_until (item));
        g_assert_cmpstr (until, ==, watch.valid_until);
        found = TRUE;
      }
    g_assert_true (found);
    png = g_test_build_filename (G_TEST_BUILT, "screenshots", "fleet-renewed.png", NULL);
    cb_test_app_save_png (fleet_window, png, 1280, 800);
    gtk_window_destroy (GTK_WINDOW (fleet_window));
  }

  /* It renewed through the hub (not through DPS after expiring), as its diag says. */
  {
    g_autoptr(CbBenchClient) client = NULL;
    g_autoptr(CbDeviceDiag) diag = NULL;
    g_autoptr(GAsyncResult) diag_result = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(CbSerialPort) port = cb_serial_port_open (path, CB_SERIAL_PORT_DEFAULT_BAUD, &error);
    g_autoptr(CbSmpTransport) transport = NULL;

    g_assert_no_error (error);
    transport = cb_smp_transport_new (port);
    client = cb_bench_client_new (transport);
    cb_bench_client_diag_async (client, NULL, cb_test_store_result_cb, &diag_result);
    diag = cb_bench_client_diag_finish (client, cb_test_wait_for (&diag_result), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (cb_device_diag_get_renew_state (diag), ==, "renewed");
    g_assert_cmpstr (cb_device_diag_get_hub_state (diag), ==, "connected");
  }
  g_free (watch.valid_until);

  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (100);
}

int
main (int    argc,
      char **argv)
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-bench/lifetime-bar", test_lifetime_bar);
  g_test_add_func ("/cb/app-bench/provision-virtual-device", test_provision_virtual_device);
  g_test_add_func ("/cb/app-bench/virtual-device-renews", test_virtual_device_renews);
  g_test_add_func ("/cb/app-bench/signing-in", test_signing_in);
  g_test_add_func ("/cb/app-bench/auto-start-and-parallel", test_auto_start_and_parallel);
  g_test_add_func ("/cb/app-bench/auto-start-after-late-scan",
                   test_auto_start_after_late_scan);
  g_test_add_func ("/cb/app-bench/failed-run", test_failed_run);
  g_test_add_func ("/cb/app-bench/not-connected", test_not_connected);

  return g_test_run ();
}
