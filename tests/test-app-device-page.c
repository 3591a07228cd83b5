/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device page against the demo seed, in the real window: opened from the Registry's list
 * and from Fleet's Expired group (a row activated), it shows the device's effective state with
 * the reason the lists give, its twin as rows and JSON and its certificate dates; its revoke
 * asks the Registry's impact question and the device then reads Revoked; Back returns to the
 * pages; every control on it has an accessible name. */

#include "config.h"

#include <string.h>

#include "cb-bench-page.h"
#include "cb-confirm-dialog.h"
#include "cb-device-list-model.h"
#include "cb-device-page.h"
#include "cb-device-table.h"
#include "cb-diagnostics-page.h"
#include "cb-fleet-page.h"
#include "cb-journal.h"
#include "cb-registry-page.h"
#include "cb-run-window.h"
#include "cb-test-app.h"
#include "cb-window.h"
#include "cbd-virtual-device.h"

typedef struct
{
  CbTestApp *app;
  CbWindow  *window;
  CbDeviceListModel *devices;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  f->window = cb_window_new (NULL, f->app->context);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  cb_test_app_spin (50);
  cb_test_app_free (f->app);
}

static gboolean
devices_idle (gpointer data)
{
  Fixture *f = data;

  return g_list_model_get_n_items (G_LIST_MODEL (f->devices)) > 0 &&
         !cb_device_list_model_get_loading (f->devices);
}

static gboolean
page_loaded (gpointer data)
{
  CbDevicePage *page = data;

  return !cb_device_page_get_loading (page) && cb_device_page_get_state_reason (page) != NULL;
}

static gboolean
page_idle (gpointer data)
{
  CbDevicePage *page = data;

  return cb_device_page_get_n_running (page) == 0 && cb_device_page_get_last_toast (page) != NULL &&
         page_loaded (page);
}

/* Activates row @position of the device table under @root, as a double click does. */
static CbDevicePage *
activate_row (Fixture   *f,
              GtkWidget *root,
              guint      position)
{
  GtkWidget *table = cb_test_app_find_widget (root, CB_TYPE_DEVICE_TABLE);
  GtkWidget *view;
  GtkWidget *page;

  g_assert_nonnull (table);
  view = cb_test_app_find_widget (table, GTK_TYPE_COLUMN_VIEW);
  g_assert_nonnull (view);
  g_assert_null (cb_window_get_device_page (f->window));
  g_signal_emit_by_name (view, "activate", position);
  page = cb_window_get_device_page (f->window);
  g_assert_true (CB_IS_DEVICE_PAGE (page));
  cb_test_app_wait (page_loaded, page, 30000);
  return CB_DEVICE_PAGE (page);
}

static char *
twin_text (CbDevicePage *page)
{
  GtkWidget *view = cb_test_app_find_widget (GTK_WIDGET (page), GTK_TYPE_TEXT_VIEW);
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_assert_nonnull (view);
  g_assert_false (gtk_text_view_get_editable (GTK_TEXT_VIEW (view)));
  g_assert_true (gtk_text_view_get_monospace (GTK_TEXT_VIEW (view)));
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* The row titled @title shows @value (a row's subtitle). */
static void
assert_row (CbDevicePage *page,
            const char   *title,
            const char   *value)
{
  GtkWidget *label = cb_test_app_find_label (GTK_WIDGET (page), title);
  GtkWidget *row;

  g_assert_nonnull (label);
  row = gtk_widget_get_ancestor (label, ADW_TYPE_ACTION_ROW);
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, value);
}

/* What the page shows agrees with the list's row and with the twin itself. */
static void
check_shows (CbDevicePage *page,
             CbDeviceItem *item)
{
  g_autofree char *json = twin_text (page);
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  JsonObject *twin;
  JsonObject *certificate;

  g_assert_cmpstr (cb_device_page_get_device_id (page), ==, cb_device_item_get_device_id (item));
  g_assert_cmpint (cb_device_page_get_state (page), ==, cb_device_item_get_state (item));
  g_assert_cmpstr (cb_device_page_get_state_reason (page), ==, cb_device_item_get_state_reason (item));
  assert_row (page, "Why", cb_device_item_get_state_reason (item));
  assert_row (page, "Effective state", cb_device_item_get_state_label (item));
  assert_row (page, "Hub device ID", cb_device_item_get_device_id (item));

  /* The twin as JSON is the hub's twin; its certificate dates are rows too. */
  g_assert_nonnull (node);
  twin = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (twin, "deviceId"), ==,
                   cb_device_item_get_device_id (item));
  certificate = json_object_get_object_member (json_object_get_object_member (
                  json_object_get_object_member (twin, "properties"), "reported"), "certificate");
  assert_row (page, "Reported valid until", json_object_get_string_member (certificate, "validUntil"));
  assert_row (page, "reported.certificate.validUntil",
              json_object_get_string_member (certificate, "validUntil"));
}

static void
test_from_registry (Fixture       *f,
                    gconstpointer  data)
{
  GtkWidget *registry = cb_window_get_page_widget (f->window, "registry");
  g_autoptr(CbDeviceItem) item = NULL;
  CbDevicePage *page;
  AdwMessageDialog *dialog;
  g_autofree char *path = NULL;
  guint position = 0;

  cb_window_set_page (f->window, "registry");
  f->devices = cb_registry_page_get_devices (CB_REGISTRY_PAGE (registry));
  cb_test_app_wait (devices_idle, f, 30000);

  /* An enabled device: there is something to revoke. */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (f->devices)) && item == NULL; i++)
    {
      g_autoptr(CbDeviceItem) candidate = g_list_model_get_item (G_LIST_MODEL (f->devices), i);

      if (cb_device_state_can_revoke (cb_device_item_get_state (candidate)))
        {
          item = g_steal_pointer (&candidate);
          position = i;
        }
    }
  g_assert_nonnull (item);

  page = activate_row (f, registry, position);
  check_shows (page, item);

  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "device-page.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->window), path, 1280, 800);
  g_clear_pointer (&path, g_free);
  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "device-page-narrow.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->window), path, 360, 800);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  {
    /* Further down: the twin and the history. */
    GtkWidget *text = cb_test_app_find_widget (GTK_WIDGET (page), GTK_TYPE_TEXT_VIEW);
    GtkWidget *scrolled = gtk_widget_get_ancestor (gtk_widget_get_parent (gtk_widget_get_parent (text)),
                                                   GTK_TYPE_SCROLLED_WINDOW);
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

    g_clear_pointer (&path, g_free);
    path = g_test_build_filename (G_TEST_BUILT, "screenshots", "device-page-twin.png", NULL);
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
    cb_test_app_save_png (GTK_WIDGET (f->window), path, 1280, 800);
    gtk_adjustment_set_value (adjustment, 0);
  }

  /* Revoke from the page: the Registry's impact question, then the state reads Revoked. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "device.revoke", NULL));
  dialog = cb_device_page_get_dialog (page);
  g_assert_true (CB_IS_CONFIRM_DIALOG (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "1 device loses every certificate"));
  g_assert_nonnull (strstr (adw_message_dialog_get_heading (dialog), cb_device_item_get_device_id (item)));
  adw_message_dialog_response (dialog, "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpuint (cb_device_page_get_n_running (page), ==, 1);
  cb_test_app_wait (page_idle, page, 30000);
  g_test_message ("toast: %s", cb_device_page_get_last_toast (page));
  g_assert_true (g_str_has_prefix (cb_device_page_get_last_toast (page), "Revoked the certificates of"));
  g_assert_cmpint (cb_device_page_get_state (page), ==, CB_DEVICE_STATE_REVOKED);
  g_assert_nonnull (strstr (cb_device_page_get_state_reason (page), "revoked"));
  /* Nothing is left to revoke. */
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (page), "device.revoke", NULL) &&
                  cb_device_page_get_n_running (page) > 0);

  /* Back: the pages again. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "device.back", NULL));
  g_assert_null (cb_window_get_device_page (f->window));
  g_assert_cmpstr (cb_window_get_page (f->window), ==, "registry");
}

static gboolean
fleet_counted (gpointer data)
{
  CbFleetPage *page = data;
  return !cb_fleet_page_get_loading (page) && cb_fleet_page_get_total (page) > 0;
}

static void
test_from_fleet_expired (Fixture       *f,
                         gconstpointer  data)
{
  GtkWidget *fleet = cb_window_get_page_widget (f->window, "fleet");
  g_autoptr(CbDeviceItem) item = NULL;
  CbDevicePage *page;

  cb_window_set_page (f->window, "fleet");
  cb_test_app_wait (fleet_counted, fleet, 30000);
  g_assert_cmpuint (cb_fleet_page_get_count (CB_FLEET_PAGE (fleet), CB_DEVICE_STATE_EXPIRED), >, 0);
  g_assert_true (gtk_widget_activate_action (fleet, "fleet.show-group", "i", CB_DEVICE_STATE_EXPIRED));
  f->devices = cb_fleet_page_get_devices (CB_FLEET_PAGE (fleet));
  cb_test_app_wait (devices_idle, f, 30000);
  item = g_list_model_get_item (G_LIST_MODEL (f->devices), 0);
  g_assert_cmpint (cb_device_item_get_state (item), ==, CB_DEVICE_STATE_EXPIRED);

  page = activate_row (f, fleet, 0);
  check_shows (page, item);
  /* Why it cannot connect, in words. */
  g_assert_nonnull (strstr (cb_device_page_get_state_reason (page), "expired"));
}

/* A journal run opens its device; the device page lists the run in its history. */
static void
test_from_journal (Fixture       *f,
                   gconstpointer  data)
{
  CbJournal *journal = cb_context_get_journal (f->app->context);
  CbJournalRunStart start = { .station = "bench-1", .port = "/dev/ttyTEST0" };
  CbJournalDevice device = { .serial = "SN-1", .registration_id = "demo-0002" };
  CbJournalRunEnd end = { .result = CB_JOURNAL_RESULT_PASS, .device_id = "demo-0002",
                          .leaf_serial = "0A1B", .leaf_fingerprint = "AB:CD:EF" };
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  GtkWidget *run_window;
  CbDevicePage *page;
  gint64 id;

  id = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  g_assert_true (cb_journal_set_device (journal, id, &device, &error));
  g_assert_true (cb_journal_end_run (journal, id, &end, &error));
  run = cb_journal_get_run (journal, id, &error);
  g_assert_no_error (error);

  run_window = cb_run_window_new (run);
  gtk_window_set_transient_for (GTK_WINDOW (run_window), GTK_WINDOW (f->window));
  gtk_window_present (GTK_WINDOW (run_window));
  g_assert_nonnull (cb_test_app_find_button (run_window, "_Open device"));
  g_assert_true (gtk_widget_activate_action (run_window, "run.open-device", NULL));
  gtk_window_destroy (GTK_WINDOW (run_window));

  page = CB_DEVICE_PAGE (cb_window_get_device_page (f->window));
  g_assert_nonnull (page);
  g_assert_cmpstr (cb_device_page_get_device_id (page), ==, "demo-0002");
  cb_test_app_wait (page_loaded, page, 30000);
  /* The history row and the leaf it issued. */
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (page), "Passed — /dev/ttyTEST0"));
  assert_row (page, "Last issued on this station: SHA-256", "AB:CD:EF");
}

/* Every control a keyboard or screen reader reaches says what it is: a button by its label or
 * an accessible label, a row by its title, anything else focusable by an accessible label. */
static guint
walk_names (GtkWidget *widget,
            GString   *unnamed)
{
  guint n = 0;
  gboolean named;

  if (!gtk_widget_get_visible (widget))
    return 0;
  if (GTK_IS_BUTTON (widget) || GTK_IS_LIST_BOX_ROW (widget) || GTK_IS_TEXT_VIEW (widget) ||
      (gtk_widget_get_focusable (widget) && !GTK_IS_SCROLLED_WINDOW (widget)))
    {
      named = gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget),
                                                GTK_ACCESSIBLE_PROPERTY_LABEL) ||
              gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget),
                                                GTK_ACCESSIBLE_RELATION_LABELLED_BY) ||
              (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL) ||
              (ADW_IS_PREFERENCES_ROW (widget) &&
               *adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)) != '\0');
      if (!named)
        g_string_append_printf (unnamed, " %s", G_OBJECT_TYPE_NAME (widget));
      n++;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += walk_names (child, unnamed);
  return n;
}

static void
test_a11y (Fixture       *f,
           gconstpointer  data)
{
  GtkWidget *registry = cb_window_get_page_widget (f->window, "registry");
  g_autoptr(GString) unnamed = g_string_new (NULL);
  CbDevicePage *page;
  guint n;

  cb_window_set_page (f->window, "registry");
  f->devices = cb_registry_page_get_devices (CB_REGISTRY_PAGE (registry));
  cb_test_app_wait (devices_idle, f, 30000);
  page = activate_row (f, registry, 0);

  n = walk_names (GTK_WIDGET (page), unnamed);
  g_test_message ("%u controls; unnamed:%s", n, unnamed->str);
  g_assert_cmpuint (n, >, 20);
  g_assert_cmpstr (unnamed->str, ==, "");
}

static gboolean
bench_idle (gpointer data)
{
  return cb_bench_page_get_n_running (data) == 0;
}

static gboolean
diagnosis_done (gpointer data)
{
  return !cb_diagnostics_page_get_running (data);
}

/* A device provisioned on the Bench and then diagnosed: the verdict's Device Page button opens
 * its page, and the page's Re-provision on the Bench goes back to the Bench, to the port the
 * device is on, its last run on screen. A device that is not plugged in gets told so. */
static void
test_from_diagnostics_and_reprovision (Fixture       *f,
                                       gconstpointer  data)
{
  CbBenchPage *bench = CB_BENCH_PAGE (cb_window_get_page_widget (f->window, "bench"));
  GtkWidget *diagnostics = cb_window_get_page_widget (f->window, "diagnostics");
  CbVirtualDevice *device = cb_bench_page_get_virtual_device (bench);
  const char *path;
  const char *device_id;
  CbRunResult *result;
  GtkWidget *button;
  GtkWidget *page;

  g_assert_nonnull (device);
  path = cb_virtual_device_get_path (device);
  cb_window_set_page (f->window, "bench");
  cb_test_app_spin (1000);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (bench), "bench.provision", "s", path));
  cb_test_app_wait (bench_idle, bench, 60000);
  result = cb_provisioning_run_get_result (cb_bench_page_get_run (bench, path));
  g_assert_true (cb_run_result_get_passed (result));
  device_id = cb_run_result_get_registration_id (result);

  cb_window_set_page (f->window, "diagnostics");
  button = cb_test_app_find_button (diagnostics, "Device _Page");
  g_assert_nonnull (button);
  g_assert_false (gtk_widget_get_visible (button));
  cb_diagnostics_page_run (CB_DIAGNOSTICS_PAGE (diagnostics), path);
  cb_test_app_wait (diagnosis_done, diagnostics, 60000);
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  page = cb_window_get_device_page (f->window);
  g_assert_true (CB_IS_DEVICE_PAGE (page));
  cb_test_app_wait (page_loaded, page, 30000);
  g_assert_cmpstr (cb_device_page_get_device_id (CB_DEVICE_PAGE (page)), ==, device_id);

  /* Back on the Bench, its port and run shown rather than the board. */
  g_assert_true (gtk_widget_activate_action (page, "device.reprovision", NULL));
  g_assert_null (cb_window_get_device_page (f->window));
  g_assert_cmpstr (cb_window_get_page (f->window), ==, "bench");
  g_assert_cmpstr (cb_bench_page_get_selected_port (bench), ==, path);
  g_assert_false (cb_bench_page_get_board_shown (bench));
  g_assert_cmpstr (cb_bench_page_get_result_text (bench), ==, "PASS");

  /* Not on any port: the Bench says to plug it in. */
  g_assert_false (cb_bench_page_reprovision (bench, "not-plugged-in"));
}

int
main (int   argc,
      char *argv[])
{
  /* The test AT context keeps the accessible properties for the walk to read (the suite's
   * GTK_A11Y=none keeps none). */
  g_setenv ("GTK_A11Y", "test", TRUE);
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app-device-page/from-registry", Fixture, NULL, fixture_setup,
              test_from_registry, fixture_teardown);
  g_test_add ("/cb/app-device-page/from-fleet-expired", Fixture, NULL, fixture_setup,
              test_from_fleet_expired, fixture_teardown);
  g_test_add ("/cb/app-device-page/from-journal", Fixture, NULL, fixture_setup, test_from_journal,
              fixture_teardown);
  g_test_add ("/cb/app-device-page/a11y", Fixture, NULL, fixture_setup, test_a11y,
              fixture_teardown);
  g_test_add ("/cb/app-device-page/from-diagnostics-reprovision", Fixture, NULL, fixture_setup,
              test_from_diagnostics_and_reprovision, fixture_teardown);
  return g_test_run ();
}
