/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bulk actions in the real window on the demo seed (issue 17): from Fleet's Expired group an
 * admin selects ten devices, revokes them in one action through one impact dialog, watches
 * the run and reads the summary; the sandbox's activity log then has all ten revocations.
 * "Select all N matching" lists the whole filtered set over several pages; a device deleted
 * before the run is listed in the summary with its reason; the Registry's selection exports
 * as CSV and reads back. Screenshots of the bar, the dialog and the summary, wide and at 360 px. */

#include "config.h"

#include <string.h>

#include "cb-adr-client.h"
#include "cb-bulk-bar.h"
#include "cb-confirm-dialog.h"
#include "cb-device-list-model.h"
#include "cb-device-state-info.h"
#include "cb-fleet-page.h"
#include "cb-registry-page.h"
#include "cb-test-app.h"
#include "cb-window.h"

typedef struct
{
  CbTestApp         *app;
  CbWindow          *window;
  CbFleetPage       *fleet;
  CbBulkBar         *bar;
  CbDeviceListModel *devices;
  GtkSelectionModel *selection;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  f->window = cb_window_new (NULL, f->app->context);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_window_present (GTK_WINDOW (f->window));
  f->fleet = CB_FLEET_PAGE (cb_window_get_page_widget (f->window, "fleet"));
  f->bar = CB_BULK_BAR (cb_fleet_page_get_bulk_bar (f->fleet));
  f->devices = cb_fleet_page_get_devices (f->fleet);
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
fleet_counted (gpointer data)
{
  Fixture *f = data;

  return !cb_fleet_page_get_loading (f->fleet) && cb_fleet_page_get_total (f->fleet) > 0;
}

static gboolean
devices_idle (gpointer data)
{
  Fixture *f = data;

  return g_list_model_get_n_items (G_LIST_MODEL (f->devices)) > 0 &&
         !cb_device_list_model_get_loading (f->devices);
}

static gboolean
has_summary (gpointer data)
{
  Fixture *f = data;

  return cb_bulk_bar_get_summary (f->bar) != NULL;
}

/* Fleet → the Expired group, its first page listed. */
static void
open_expired (Fixture *f)
{
  GtkWidget *table;

  cb_window_set_page (f->window, "fleet");
  cb_test_app_wait (fleet_counted, f, 30000);
  g_assert_cmpuint (cb_fleet_page_get_count (f->fleet, CB_DEVICE_STATE_EXPIRED), >=, 10);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->fleet), "fleet.show-group", "i",
                                             CB_DEVICE_STATE_EXPIRED));
  cb_test_app_wait (devices_idle, f, 30000);
  table = cb_test_app_find_widget (GTK_WIDGET (f->fleet), GTK_TYPE_COLUMN_VIEW);
  g_assert_nonnull (table);
  f->selection = gtk_column_view_get_model (GTK_COLUMN_VIEW (table));
  g_assert_true (GTK_IS_MULTI_SELECTION (f->selection));
  /* Nothing selected: no bar. */
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->bar)));
}

/* Rows 0..n-1 selected one by one, as ctrl-click adds a row to the selection. */
static void
select_rows (Fixture *f,
             guint    n)
{
  for (guint i = 0; i < n; i++)
    g_assert_true (gtk_selection_model_select_item (f->selection, i, FALSE));
  g_assert_cmpuint (cb_bulk_bar_get_n_selected (f->bar), ==, n);
}

static CbDeviceStateInfo *
load_signals (Fixture *f)
{
  GAsyncResult *result = NULL;
  CbDeviceStateInfo *info;

  cb_device_state_info_load_async (f->app->context, NULL, CB_DEFAULT_RENEWAL_FRACTION, NULL,
                                   cb_test_store_result_cb, &result);
  info = cb_device_state_info_load_finish (cb_test_wait_for (&result), NULL);
  g_object_unref (result);
  g_assert_nonnull (info);
  return info;
}

static void
screenshot (Fixture    *f,
            GtkWidget  *widget,
            const char *name,
            int         width,
            int         height)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);

  cb_test_app_save_png (widget, path, width, height);
}

/* The done-when walk: ten devices of the Expired group revoked in one action. */
static void
test_revoke_ten (Fixture       *f,
                 gconstpointer  data)
{
  g_auto(GStrv) ids = NULL;
  g_autoptr(CbDeviceStateInfo) info = NULL;
  CbConfirmDialog *dialog;
  CbBulkOperation *op;
  GtkWidget *label;

  open_expired (f);
  select_rows (f, 10);
  ids = cb_bulk_bar_list_selected (f->bar);
  g_assert_cmpuint (g_strv_length (ids), ==, 10);

  /* The bar: the count as a status line, and the actions. */
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->bar)));
  label = cb_test_app_find_label (GTK_WIDGET (f->bar), "10 devices selected");
  g_assert_nonnull (label);
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (label)), ==,
                   GTK_ACCESSIBLE_ROLE_STATUS);
  g_assert_nonnull (cb_test_app_find_button (GTK_WIDGET (f->bar), "_Revoke…"));
  screenshot (f, GTK_WIDGET (f->window), "bulk-selection.png", 1280, 800);
  screenshot (f, GTK_WIDGET (f->window), "bulk-selection-narrow.png", 360, 800);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);

  /* One dialog for the set, with what they lose. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bar), "bulk.revoke", NULL));
  dialog = cb_bulk_bar_get_dialog (f->bar);
  g_assert_true (CB_IS_CONFIRM_DIALOG (dialog));
  g_test_message ("dialog: %s — %s", adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)),
                  adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Revoke the Certificates of 10 Devices?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "10 devices lose every certificate"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "cannot reconnect until they are provisioned again"));
  g_assert_true (cb_confirm_dialog_get_confirm_enabled (dialog));
  screenshot (f, GTK_WIDGET (dialog), "bulk-revoke-dialog.png", 600, 400);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* The run shows its progress and leaves the page usable. */
  op = cb_bulk_bar_get_operation (f->bar);
  g_assert_nonnull (op);
  g_assert_true (cb_bulk_operation_get_running (op));
  g_assert_cmpuint (cb_bulk_operation_get_n_items (op), ==, 10);
  /* Leaving the page does not stop it. */
  cb_window_set_page (f->window, "registry");
  cb_test_app_wait (has_summary, f, 60000);
  cb_window_set_page (f->window, "fleet");
  g_test_message ("summary: %s", cb_bulk_bar_get_summary (f->bar));
  g_assert_cmpstr (cb_bulk_bar_get_summary (f->bar), ==, "Revoked the certificates of 10 devices");
  g_assert_cmpuint (cb_bulk_operation_get_n_failed (op), ==, 0);
  cb_test_app_wait (fleet_counted, f, 30000);
  screenshot (f, GTK_WIDGET (f->window), "bulk-summary.png", 1280, 800);

  /* On the sandbox: all ten revoked (its activity log), and the Fleet counts them. */
  info = load_signals (f);
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert_cmpint (cb_revocations_get_device (info->revocations, ids[i]), >, 0);
  g_assert_cmpuint (cb_fleet_page_get_count (f->fleet, CB_DEVICE_STATE_REVOKED), ==, 10);
}

static gboolean
counted_matching (gpointer data)
{
  Fixture *f = data;

  return cb_bulk_bar_get_n_matching (f->bar) > 0;
}

static gboolean
all_selected (gpointer data)
{
  Fixture *f = data;

  return cb_bulk_bar_get_n_selected (f->bar) == cb_bulk_bar_get_n_matching (f->bar) &&
         !cb_device_list_model_get_loading (f->devices);
}

/* The Registry's device list, its first page loaded. */
static GtkWidget *
open_registry (Fixture *f)
{
  GtkWidget *registry = cb_window_get_page_widget (f->window, "registry");
  GtkWidget *table;

  cb_window_set_page (f->window, "registry");
  f->bar = CB_BULK_BAR (cb_registry_page_get_bulk_bar (CB_REGISTRY_PAGE (registry)));
  f->devices = cb_registry_page_get_devices (CB_REGISTRY_PAGE (registry));
  cb_test_app_wait (devices_idle, f, 30000);
  table = cb_test_app_find_widget (registry, GTK_TYPE_COLUMN_VIEW);
  f->selection = gtk_column_view_get_model (GTK_COLUMN_VIEW (table));
  g_assert_true (GTK_IS_MULTI_SELECTION (f->selection));
  return registry;
}

static gboolean
model_idle (gpointer data)
{
  return !cb_device_list_model_get_loading (data) && g_list_model_get_n_items (data) > 0;
}

/* "Select all N matching" means the whole filtered set on the service, not the loaded rows:
 * counted first, then every page listed. A table in a window keeps about 200 rows made, which
 * is the whole demo fleet; the bar here is on a model without a view, so only what the bar
 * asks for is loaded. */
static void
test_select_all_matching (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(CbDeviceListModel) devices = cb_device_list_model_new ();
  g_autoptr(GtkMultiSelection) selection = NULL;
  GtkWidget *bar = cb_bulk_bar_new ();
  GtkWidget *holder = gtk_window_new ();
  guint loaded;
  guint requests;
  guint matching;
  g_autofree char *label = NULL;
  g_autofree char *count = NULL;

  gtk_window_set_child (GTK_WINDOW (holder), bar);
  f->bar = CB_BULK_BAR (bar);
  f->devices = devices;
  cb_device_list_model_set_hub (devices, cb_context_get_hub (f->app->context));
  cb_device_list_model_set_page_size (devices, 20);
  cb_device_list_model_set_condition (devices, "status = 'enabled'");
  cb_device_list_model_reload (devices);
  cb_test_app_wait (model_idle, devices, 30000);
  selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (devices)));
  f->selection = GTK_SELECTION_MODEL (selection);
  cb_bulk_bar_set_context (f->bar, f->app->context);
  cb_bulk_bar_set_model (f->bar, f->selection, devices);

  loaded = g_list_model_get_n_items (G_LIST_MODEL (devices));
  g_assert_cmpuint (loaded, ==, 20);
  select_rows (f, 1);

  /* Counted first on the service, offered with its number. */
  cb_test_app_wait (counted_matching, f, 30000);
  matching = cb_bulk_bar_get_n_matching (f->bar);
  g_test_message ("%u loaded, %u matching", loaded, matching);
  g_assert_cmpuint (matching, >, 200);
  label = g_strdup_printf ("Select all %u matching", matching);
  g_assert_nonnull (cb_test_app_find_button (bar, label));

  requests = cb_device_list_model_get_n_requests (devices);
  g_assert_true (gtk_widget_activate_action (bar, "bulk.select-all-matching", NULL));
  cb_test_app_wait (all_selected, f, 60000);
  g_assert_true (cb_device_list_model_get_complete (devices));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (devices)), ==, matching);
  g_assert_cmpuint (cb_bulk_bar_get_n_selected (f->bar), ==, matching);
  g_assert_cmpuint (cb_device_list_model_get_n_requests (devices), >, requests);
  count = g_strdup_printf ("%u devices selected", matching);
  g_assert_nonnull (cb_test_app_find_label (bar, count));

  /* Clear: nothing selected, no bar. */
  g_assert_true (gtk_widget_activate_action (bar, "bulk.clear", NULL));
  g_assert_cmpuint (cb_bulk_bar_get_n_selected (f->bar), ==, 0);
  g_assert_false (gtk_widget_get_visible (bar));
  gtk_window_destroy (GTK_WINDOW (holder));
}

static gboolean
deleted (gpointer data)
{
  GAsyncResult **slot = data;

  return *slot != NULL;
}

/* A device deleted before the run fails, is listed with its reason, and the rest still run. */
static void
test_failed_item (Fixture       *f,
                  gconstpointer  data)
{
  CbAdrClient *adr = cb_context_get_adr (f->app->context);
  g_auto(GStrv) ids = NULL;
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  CbConfirmDialog *dialog;
  CbBulkOperation *op;
  GtkWidget *row_label;

  open_expired (f);
  select_rows (f, 3);
  ids = cb_bulk_bar_list_selected (f->bar);
  cb_adr_client_delete_device_async (adr, ids[1], NULL, cb_test_store_result_cb, &result);
  cb_test_app_wait (deleted, &result, 30000);
  g_assert_true (cb_adr_client_delete_device_finish (adr, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bar), "bulk.disable", NULL));
  dialog = cb_bulk_bar_get_dialog (f->bar);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "3 devices are disabled"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cb_test_app_wait (has_summary, f, 60000);

  op = cb_bulk_bar_get_operation (f->bar);
  g_test_message ("summary: %s", cb_bulk_bar_get_summary (f->bar));
  g_assert_cmpstr (cb_bulk_bar_get_summary (f->bar), ==, "2 of 3 devices done; 1 failed");
  g_assert_true (cb_bulk_operation_get_item_done (op, 2));
  g_assert_null (cb_bulk_operation_get_item_error (op, 2));
  /* The failed device is listed by name, with the service's reason in words. */
  row_label = cb_test_app_find_label (GTK_WIDGET (f->bar), ids[1]);
  g_assert_nonnull (row_label);
  g_assert_nonnull (gtk_widget_get_ancestor (row_label, ADW_TYPE_ACTION_ROW));
  g_test_message ("reason: %s",
                  adw_action_row_get_subtitle (ADW_ACTION_ROW (gtk_widget_get_ancestor (row_label,
                                                                                    ADW_TYPE_ACTION_ROW))));
  g_assert_true (gtk_widget_get_visible (cb_test_app_find_button (GTK_WIDGET (f->bar),
                                                                  "_Retry the Failed")));
  cb_test_app_wait (fleet_counted, f, 30000);
  screenshot (f, GTK_WIDGET (f->window), "bulk-summary-failed.png", 1280, 800);
  screenshot (f, GTK_WIDGET (f->window), "bulk-summary-failed-narrow.png", 360, 800);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);

  /* Retry takes only the failed one (it fails again: it is gone). */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bar), "bulk.retry", NULL));
  g_assert_cmpuint (cb_bulk_operation_get_n_items (cb_bulk_bar_get_operation (f->bar)), ==, 1);
  cb_test_app_wait (has_summary, f, 60000);
  g_assert_cmpstr (cb_bulk_operation_get_item_id (cb_bulk_bar_get_operation (f->bar), 0), ==, ids[1]);
}

static gboolean
exported (gpointer data)
{
  Fixture *f = data;

  return cb_bulk_bar_get_last_message (f->bar) != NULL;
}

/* The Registry's selection as CSV, read back: a header, one CRLF line per device in list
 * order, RFC 4180 quoting. */
static void
test_registry_export_csv (Fixture       *f,
                          gconstpointer  data)
{
  GtkWidget *registry;
  g_autofree char *dir = g_build_filename (f->app->dir, "export", NULL);
  g_autofree char *path = g_build_filename (dir, "devices.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  registry = open_registry (f);

  /* One row: the single-device actions still have their device. */
  g_assert_true (gtk_selection_model_select_item (f->selection, 0, TRUE));
  g_assert_true (gtk_widget_activate_action (registry, "registry.delete-device", NULL) &&
                 cb_registry_page_get_dialog (CB_REGISTRY_PAGE (registry)) != NULL);
  gtk_window_destroy (GTK_WINDOW (cb_registry_page_get_dialog (CB_REGISTRY_PAGE (registry))));
  select_rows (f, 4);
  /* Four rows: none of them is "the" device. */
  g_assert_false (gtk_widget_activate_action (registry, "registry.delete-device", NULL) &&
                  cb_registry_page_get_dialog (CB_REGISTRY_PAGE (registry)) != NULL);
  screenshot (f, GTK_WIDGET (f->window), "bulk-registry-selection.png", 1280, 800);
  screenshot (f, GTK_WIDGET (f->window), "bulk-registry-selection-narrow.png", 360, 800);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  cb_bulk_bar_export_to_file (f->bar, file, CB_DEVICE_EXPORT_CSV);
  cb_test_app_wait (exported, f, 30000);
  g_assert_cmpstr (cb_bulk_bar_get_last_message (f->bar), ==, "Exported 4 devices to devices.csv");

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("%s", contents);
  g_assert_true (g_str_has_suffix (contents, "\r\n"));
  lines = g_strsplit (contents, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 6);   /* header, 4 rows, the empty tail */
  g_assert_cmpstr (lines[0], ==,
                   "device_id,enabled,state,reason,certificate_valid_until,last_activity");
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(CbDeviceItem) item = g_list_model_get_item (G_LIST_MODEL (f->devices), i);
      g_autofree char *start = g_strdup_printf ("%s,%s,%s,", cb_device_item_get_device_id (item),
                                                cb_device_item_get_enabled (item) ? "true" : "false",
                                                cb_device_item_get_state_label (item));
      const char *reason = cb_device_item_get_state_reason (item);
      const char *rest;

      g_assert_true (g_str_has_prefix (lines[i + 1], start));
      /* The reason, quoted when it holds a comma. */
      rest = lines[i + 1] + strlen (start);
      if (strchr (reason, ',') != NULL)
        {
          g_assert_true (rest[0] == '"');
          g_assert_true (strncmp (rest + 1, reason, strlen (reason)) == 0);
          g_assert_true (rest[1 + strlen (reason)] == '"');
        }
      else
        g_assert_true (strncmp (rest, reason, strlen (reason)) == 0 && rest[strlen (reason)] == ',');
    }
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GTK_A11Y", "test", TRUE);
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app-bulk/revoke-ten", Fixture, NULL, fixture_setup, test_revoke_ten,
              fixture_teardown);
  g_test_add ("/cb/app-bulk/select-all-matching", Fixture, NULL, fixture_setup,
              test_select_all_matching, fixture_teardown);
  g_test_add ("/cb/app-bulk/failed-item", Fixture, NULL, fixture_setup, test_failed_item,
              fixture_teardown);
  g_test_add ("/cb/app-bulk/registry-export-csv", Fixture, NULL, fixture_setup,
              test_registry_export_csv, fixture_teardown);
  return g_test_run ();
}
