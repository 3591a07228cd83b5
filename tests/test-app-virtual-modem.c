/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Virtual device's two kinds (issue 15): Preferences' "Virtual device" radio rows set the
 * "virtual-device" setting, and the Bench page swaps its in-process device at once: a simulated
 * Nordic nRF91 modem (AT commands, its IMEI as serial, its own state folder) or the Certbench
 * bench device (SMP). The modem on the Bench's port answers the nRF91 driver's identify, and the
 * Bench provisions it to PASS. */
#define _GNU_SOURCE 1
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cb-test-app.h"

#include "cb-app-settings.h"
#include "cb-at-channel.h"
#include "cb-bench-page.h"
#include "cb-diagnostics-page.h"
#include "cb-journal.h"
#include "cb-journal-run.h"
#include "cb-journal-step.h"
#include "cb-nrf91-modem.h"
#include "cb-preferences-window.h"
#include "cb-serial-port.h"
#include "cbd-virtual-device.h"

#define SETTINGS_SCHEMA "io.github.certbench.Certbench"

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
have_result (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

static guint
count_virtual (CbPortMonitor *monitor)
{
  GListModel *ports = cb_port_monitor_get_ports (monitor);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (ports); i++)
    {
      g_autoptr(CbSerialPortInfo) info = g_list_model_get_item (ports, i);

      if (cb_serial_port_info_get_is_virtual (info))
        n++;
    }
  return n;
}

/* The Preferences radio row's check button whose action target is kind. */
static GtkWidget *
find_kind_check (GtkWidget  *root,
                 const char *kind)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_CHECK_BUTTON (child))
        {
          GVariant *target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (child));

          if (target != NULL && g_variant_is_of_type (target, G_VARIANT_TYPE_STRING) &&
              g_str_equal (g_variant_get_string (target, NULL), kind))
            return child;
        }
      if ((found = find_kind_check (child, kind)) != NULL)
        return found;
    }
  return NULL;
}

static void
test_choose_modem (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(GSettings) settings = g_settings_new (SETTINGS_SCHEMA);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSerialPort) port = NULL;
  g_autoptr(CbAtChannel) channel = NULL;
  g_autoptr(CbNrf91Modem) modem = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbNrf91Identity) id = NULL;
  g_autofree char *modem_path = NULL;
  GtkWidget *window, *page, *prefs, *smp_check, *nrf91_check;
  CbVirtualDevice *device;
  CbSerialPortInfo *info;
  CbPortMonitor *monitor = cb_context_get_port_monitor (app->context);

  g_settings_reset (settings, "virtual-device");
  page = cb_bench_page_new (app->context);
  window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (page));
  g_assert_nonnull (device);
  g_assert_cmpint (cb_virtual_device_get_kind (device), ==, CB_VIRTUAL_DEVICE_SMP);

  /* Preferences: the row chooses the modem */
  prefs = GTK_WIDGET (cb_preferences_window_new (settings));
  gtk_window_present (GTK_WINDOW (prefs));
  smp_check = find_kind_check (prefs, "smp");
  nrf91_check = find_kind_check (prefs, "nrf91");
  g_assert_nonnull (smp_check);
  g_assert_nonnull (nrf91_check);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (smp_check)));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (nrf91_check)));
  /* as a click on the row does */
  gtk_widget_activate (nrf91_check);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (nrf91_check)));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (smp_check)));
  g_assert_cmpstr (g_settings_get_string (settings, "virtual-device"), ==, "nrf91");

  /* the Bench swapped its device: a modem on a new port, the old port gone */
  device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (page));
  g_assert_nonnull (device);
  g_assert_cmpint (cb_virtual_device_get_kind (device), ==, CB_VIRTUAL_DEVICE_NRF91);
  g_assert_true (g_str_has_suffix (cb_virtual_device_get_state_dir (device), "virtual-modem"));
  modem_path = g_strdup (cb_virtual_device_get_path (device));
  /* one virtual port, the modem's (the pty number may be the old one's again) */
  g_assert_cmpuint (count_virtual (monitor), ==, 1);
  info = cb_port_monitor_lookup (monitor, modem_path);
  g_assert_nonnull (info);
  g_assert_true (cb_serial_port_info_get_is_virtual (info));
  g_assert_cmpuint (strlen (cb_virtual_device_get_serial (device)), ==, 15);
  g_assert_cmpstr (cb_serial_port_info_get_serial_number (info), ==,
                   cb_virtual_device_get_serial (device));

  /* it speaks AT: the nRF91 modem operations identify it by the IMEI the port shows */
  port = cb_serial_port_open (modem_path, CB_SERIAL_PORT_DEFAULT_BAUD, &error);
  g_assert_no_error (error);
  channel = cb_at_channel_new (port);
  modem = cb_nrf91_modem_new (channel);
  cb_nrf91_modem_identify_async (modem, NULL, on_done, &result);
  cb_test_app_wait (have_result, &result, 20000);
  id = cb_nrf91_modem_identify_finish (modem, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id->imei, ==, cb_virtual_device_get_serial (device));
  g_clear_object (&modem);
  g_clear_object (&channel);
  cb_serial_port_close (port);

  /* and back */
  gtk_widget_activate (smp_check);
  device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (page));
  g_assert_cmpint (cb_virtual_device_get_kind (device), ==, CB_VIRTUAL_DEVICE_SMP);
  g_assert_cmpuint (count_virtual (monitor), ==, 1);
  g_assert_cmpstr (cb_serial_port_info_get_serial_number (cb_port_monitor_lookup (monitor, cb_virtual_device_get_path (device))),
                   ==, cb_virtual_device_get_serial (device));

  g_settings_reset (settings, "virtual-device");
  gtk_window_destroy (GTK_WINDOW (prefs));
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
bench_idle (gpointer user_data)
{
  return cb_bench_page_get_n_running (CB_BENCH_PAGE (user_data)) == 0;
}

/* The Bench provisions the virtual modem to PASS through the nRF91 driver (the Virtual device
 * says what it is); then the Diagnostics page, on the same port, reads the modem's chain back
 * and judges it, the checks the modem cannot report "not available" with the driver's reason. */
static gboolean
diagnostics_done (gpointer user_data)
{
  return !cb_diagnostics_page_get_running (CB_DIAGNOSTICS_PAGE (user_data));
}

static void
assert_check (GtkWidget     *page,
              const char    *id,
              CbCheckStatus  status,
              const char    *detail_part)
{
  CbDiagnosticCheck *check = cb_diagnostics_page_lookup_check (CB_DIAGNOSTICS_PAGE (page), id);

  g_assert_nonnull (check);
  g_test_message ("%s: %s (%s)", id, cb_check_status_to_string (cb_diagnostic_check_get_status (check)),
                  cb_diagnostic_check_get_detail (check));
  g_assert_cmpint (cb_diagnostic_check_get_status (check), ==, status);
  g_assert_nonnull (strstr (cb_diagnostic_check_get_detail (check), detail_part));
}

/* The station journal's newest run, read in full (its steps, its protocol log). */
static CbJournalRun *
get_last_journal_run (CbTestApp *app)
{
  CbJournal *journal = cb_context_get_journal (app->context);
  g_autoptr(GPtrArray) runs = cb_journal_list_runs (journal, NULL, NULL);
  CbJournalRun *full;

  g_assert_nonnull (runs);
  g_assert_cmpuint (runs->len, >=, 1);
  full = cb_journal_get_run (journal, cb_journal_run_get_id (g_ptr_array_index (runs, 0)), NULL);
  g_assert_nonnull (full);
  return full;
}

static void
test_bench (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(GSettings) settings = g_settings_new (SETTINGS_SCHEMA);
  g_autofree char *png = NULL;
  g_autofree char *report = NULL;
  static const char * const not_available[] = { "device", "hub", "renewal" };
  GtkWidget *window, *page, *row, *diagnostics, *diag_window;
  GtkAdjustment *adjustment;
  CbDeviceState state;
  CbVirtualDevice *device;
  CbProvisioningRun *run;
  CbRunResult *result;
  const char *path;

  g_settings_set_string (settings, "virtual-device", "nrf91");
  page = cb_bench_page_new (app->context);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (page));
  g_assert_cmpint (cb_virtual_device_get_kind (device), ==, CB_VIRTUAL_DEVICE_NRF91);
  path = cb_virtual_device_get_path (device);

  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
  cb_test_app_wait (bench_idle, page, 60000);
  run = cb_bench_page_get_run (CB_BENCH_PAGE (page), path);
  g_assert_nonnull (run);
  result = cb_provisioning_run_get_result (run);
  g_assert_nonnull (result);
  if (!cb_run_result_get_passed (result))
    g_test_message ("run failed: %s", cb_run_result_get_error (result)->message);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpstr (cb_bench_page_get_result_text (CB_BENCH_PAGE (page)), ==, "PASS");
  g_assert_true (g_str_has_prefix (cb_run_result_get_registration_id (result), "line1-35265610"));
  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "bench-nrf91-pass.png", NULL);
  cb_test_app_save_png (window, png, 1280, 800);
  g_clear_pointer (&png, g_free);
  /* the port's protocol log shows the AT traffic, a PEM shortened to its start and size */
  {
    GtkWidget *view = cb_test_app_find_widget (page, GTK_TYPE_TEXT_VIEW);
    GtkTextBuffer *buffer;
    GtkTextIter start, end;
    g_autofree char *text = NULL;

    g_assert_nonnull (view);
    buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
    gtk_text_buffer_get_bounds (buffer, &start, &end);
    text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    g_assert_nonnull (strstr (text, "TX AT%KEYGEN=11,2,0,\"CN=line1-35265610"));
    g_assert_nonnull (strstr (text, "RX %KEYGEN: \""));
    g_assert_nonnull (strstr (text, "TX AT%CMNG=0,11,1,\"-----BEGIN CERTIFICATE-----"));
    g_assert_nonnull (strstr (text, " bytes)"));
    g_assert_null (strstr (text, "END CERTIFICATE"));
  }
  /* and the run's journaled protocol log (the driver's attach_protocol_log) has it too */
  {
    g_autoptr(CbJournalRun) full = get_last_journal_run (app);
    const char *log;

    log = cb_journal_run_get_protocol_log (full);
    g_assert_nonnull (log);
    g_assert_nonnull (strstr (log, "== AT TX AT%KEYGEN=11,2,0,"));
    g_assert_nonnull (strstr (log, "== AT RX %CMNG: 11,1,"));
  }
  /* the template's title names the modem's placeholders */
  row = cb_test_app_find_widget (page, ADW_TYPE_ENTRY_ROW);
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                            "{imei}, {uuid}"));

  /* Diagnostics on the Virtual nRF91 modem: the nRF91 driver (the Virtual device's kind)
   * reads the chain the Bench installed; chain, issuer and validity are judged as an SMP
   * device's; what needs device diagnostics is not available, never passed or failed. */
  diagnostics = cb_diagnostics_page_new (app->context);
  diag_window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (diag_window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (diag_window), diagnostics);
  gtk_window_present (GTK_WINDOW (diag_window));
  cb_diagnostics_page_run (CB_DIAGNOSTICS_PAGE (diagnostics), path);
  cb_test_app_wait (diagnostics_done, diagnostics, 60000);
  assert_check (diagnostics, "chain", CB_CHECK_PASS, "verif");
  assert_check (diagnostics, "issuer", CB_CHECK_PASS, "current issuing CA");
  assert_check (diagnostics, "validity", CB_CHECK_PASS, "Valid until");
  assert_check (diagnostics, "enabled", CB_CHECK_PASS, cb_run_result_get_registration_id (result));
  assert_check (diagnostics, "identifier", CB_CHECK_PASS, "would accept");
  for (guint i = 0; i < G_N_ELEMENTS (not_available); i++)
    assert_check (diagnostics, not_available[i], CB_CHECK_NOT_AVAILABLE,
                  "Not available on this device: The modem reports no clock, TLS or hub state");
  g_assert_true (cb_diagnostics_page_get_state (CB_DIAGNOSTICS_PAGE (diagnostics), &state, NULL));
  g_assert_cmpint (state, ==, CB_DEVICE_STATE_HEALTHY);
  report = cb_diagnostics_page_dup_report (CB_DIAGNOSTICS_PAGE (diagnostics));
  g_assert_nonnull (strstr (report, "[Not available] Hub connection"));
  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "diagnostics-nrf91.png", NULL);
  cb_test_app_save_png (diag_window, png, 1280, 800);
  g_clear_pointer (&png, g_free);
  /* the not-available rows are below the fold */
  adjustment = gtk_scrolled_window_get_vadjustment (
    GTK_SCROLLED_WINDOW (cb_test_app_find_widget (diagnostics, GTK_TYPE_SCROLLED_WINDOW)));
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "diagnostics-nrf91-end.png", NULL);
  cb_test_app_save_png (diag_window, png, 1280, 800);
  g_clear_pointer (&png, g_free);
  gtk_window_destroy (GTK_WINDOW (diag_window));

  g_settings_reset (settings, "virtual-device");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A label below root whose text holds part. */
static GtkWidget *
find_label_with (GtkWidget  *root,
                 const char *part)
{
  if (GTK_IS_LABEL (root) && strstr (gtk_label_get_label (GTK_LABEL (root)), part) != NULL)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label_with (child, part);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A port whose driver is "auto" (no pin, and not the app's own Virtual device): the Bench
 * probes it without blocking the page, the simulated nRF91 modem answers AT, the run goes
 * through the nRF91 driver to PASS, and the log and the port's subtitle say what answered. */
static void
test_bench_probes_modem (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(CbVirtualDevice) modem = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = g_build_filename (app->dir, "plugged-modem", NULL);
  g_autofree char *png = NULL;
  g_autofree char *text = NULL;
  g_autofree char *pinned = NULL;
  GtkWidget *window, *page;
  CbProvisioningRun *run;
  CbRunResult *result;
  const char *path;

  page = cb_bench_page_new (app->context);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  modem = cb_virtual_device_new_kind (state_dir, 0, CB_VIRTUAL_DEVICE_NRF91, &error);
  g_assert_no_error (error);
  cb_virtual_device_set_monitor (modem, cb_context_get_port_monitor (app->context));
  path = cb_virtual_device_get_path (modem);
  pinned = cb_app_settings_dup_port_driver (path);
  g_assert_cmpstr (pinned, ==, "auto");

  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
  /* The probe runs in the main loop: the page is back at once, the port running. */
  g_assert_cmpuint (cb_bench_page_get_n_running (CB_BENCH_PAGE (page)), ==, 1);
  cb_test_app_wait (bench_idle, page, 60000);

  run = cb_bench_page_get_run (CB_BENCH_PAGE (page), path);
  g_assert_nonnull (run);
  g_assert_cmpstr (cb_device_driver_get_name (cb_provisioning_run_get_driver (run)), ==, "nrf91");
  result = cb_provisioning_run_get_result (run);
  g_assert_nonnull (result);
  if (!cb_run_result_get_passed (result))
    g_test_message ("run failed: %s", cb_run_result_get_error (result)->message);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpstr (cb_bench_page_get_result_text (CB_BENCH_PAGE (page)), ==, "PASS");

  text = cb_bench_page_dup_log_text (CB_BENCH_PAGE (page), path);
  g_assert_nonnull (strstr (text, "which driver it speaks: an SMP request (MCUmgr parameters), "
                                  "then AT"));
  g_assert_nonnull (strstr (text, "The device answered the probe as a Nordic nRF91 modem (AT commands)"));
  g_assert_nonnull (strstr (text, "TX AT%KEYGEN=11,2,0,"));
  g_assert_nonnull (find_label_with (page, "Nordic nRF91 modem (AT commands), found by the probe"));

  /* The journal has the step the modem cannot do as skipped, with the driver's reason. */
  {
    g_autoptr(CbJournalRun) full = get_last_journal_run (app);
    GPtrArray *steps;
    gboolean pop_seen = FALSE;

    steps = cb_journal_run_get_steps (full);
    for (guint i = 0; steps != NULL && i < steps->len; i++)
      {
        CbJournalStep *step = g_ptr_array_index (steps, i);

        if (g_strcmp0 (cb_journal_step_get_name (step), "proof-of-possession") != 0)
          continue;
        pop_seen = TRUE;
        g_assert_cmpint (cb_journal_step_get_result (step), ==, CB_JOURNAL_RESULT_SKIPPED);
        g_assert_true (g_str_has_prefix (cb_journal_step_get_detail (step), "not applicable: "));
      }
    g_assert_true (pop_seen);
  }

  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "bench-nrf91-probed.png", NULL);
  cb_test_app_save_png (window, png, 1280, 800);
  g_clear_pointer (&png, g_free);
  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "bench-nrf91-probed-narrow.png", NULL);
  cb_test_app_save_png (window, png, 360, 800);

  cb_virtual_device_set_monitor (modem, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (100);
}

static const char *probed_path;

static gboolean
probing (gpointer user_data)
{
  g_autofree char *text = cb_bench_page_dup_log_text (CB_BENCH_PAGE (user_data), probed_path);

  return text != NULL && strstr (text, "which driver it speaks") != NULL;
}

/* A port where nothing answers: Cancel during the probe ends the run cancelled; else the run
 * cannot start, and the page says why and what to check; nothing blocks meanwhile. */
static void
test_bench_probe_silent (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(CbSerialPortInfo) info = NULL;
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_autofree char *png = NULL;
  GtkWidget *window, *page;
  int master = posix_openpt (O_RDWR | O_NOCTTY);

  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  path = g_strdup (ptsname (master));

  page = cb_bench_page_new (app->context);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  info = cb_serial_port_info_new (path, 0, 0, NULL, NULL, NULL, FALSE);
  cb_port_monitor_add_port (cb_context_get_port_monitor (app->context), info);

  /* Cancel while the port is probed: the run ends cancelled, not failed. */
  probed_path = path;
  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
  cb_test_app_wait (probing, page, 60000);
  g_assert_true (gtk_widget_activate_action (page, "bench.cancel", "s", path));
  cb_test_app_wait (bench_idle, page, 60000);
  g_assert_cmpstr (cb_bench_page_get_result_text (CB_BENCH_PAGE (page)), ==, "Ready");
  g_assert_cmpuint (cb_bench_page_get_n_failed (CB_BENCH_PAGE (page)), ==, 0);
  text = cb_bench_page_dup_log_text (CB_BENCH_PAGE (page), path);
  g_assert_nonnull (strstr (text, "Run cancelled"));
  g_assert_null (strstr (text, "No device answered on"));
  g_clear_pointer (&text, g_free);

  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s", path));
  g_assert_cmpuint (cb_bench_page_get_n_running (CB_BENCH_PAGE (page)), ==, 1);
  cb_test_app_wait (bench_idle, page, 60000);

  g_assert_cmpstr (cb_bench_page_get_result_text (CB_BENCH_PAGE (page)), ==, "FAIL");
  g_assert_cmpuint (cb_bench_page_get_n_failed (CB_BENCH_PAGE (page)), ==, 1);
  text = cb_bench_page_dup_log_text (CB_BENCH_PAGE (page), path);
  g_assert_nonnull (strstr (text, "No device answered on"));
  g_assert_nonnull (strstr (text, "neither SMP nor AT"));
  /* the result's detail, under FAIL, says it too */
  g_assert_nonnull (find_label_with (page, "Check that the device is powered on"));
  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "bench-probe-silent.png", NULL);
  cb_test_app_save_png (window, png, 1280, 800);

  cb_port_monitor_remove_port (cb_context_get_port_monitor (app->context), path);
  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (100);
  close (master);
}

int
main (int    argc,
      char **argv)
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-virtual-modem/choose-modem", test_choose_modem);
  g_test_add_func ("/cb/app-virtual-modem/bench", test_bench);
  g_test_add_func ("/cb/app-virtual-modem/bench-probes-modem", test_bench_probes_modem);
  g_test_add_func ("/cb/app-virtual-modem/bench-probe-silent", test_bench_probe_silent);

  return g_test_run ();
}
