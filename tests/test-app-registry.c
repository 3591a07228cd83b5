/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The registry page against a seeded sandbox: template, policies, the lazily paged device
 * list, typed-name confirmations, a device revoke through the action, the activity log and
 * the 403 wording. */

#include "config.h"

#include <string.h>

#include "cb-confirm-dialog.h"
#include "cb-device-table.h"
#include "cb-device-list-model.h"
#include "cb-error.h"
#include "cb-hub-certificates-client.h"
#include "cb-registry-page.h"
#include "cb-error-text.h"
#include "cb-test-app.h"
#include "cb-toasts.h"

typedef struct
{
  CbTestApp      *app;
  GtkWidget      *window;
  CbRegistryPage *page;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  f->page = CB_REGISTRY_PAGE (cb_registry_page_new (f->app->context));
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
  cb_test_app_free (f->app);
}

static gboolean
has_policies (gpointer data)
{
  Fixture *f = data;
  return g_list_model_get_n_items (cb_registry_page_get_policies (f->page)) > 0;
}

static gboolean
devices_idle (gpointer data)
{
  Fixture *f = data;
  CbDeviceListModel *model = cb_registry_page_get_devices (f->page);

  return g_list_model_get_n_items (G_LIST_MODEL (model)) > 0 &&
         !cb_device_list_model_get_loading (model);
}

static gboolean
devices_idle_or_empty (gpointer data)
{
  Fixture *f = data;
  CbDeviceListModel *model = cb_registry_page_get_devices (f->page);

  return !cb_device_list_model_get_loading (model) && cb_device_list_model_get_complete (model);
}

static gboolean
operations_done (gpointer data)
{
  Fixture *f = data;
  return cb_registry_page_get_n_operations (f->page) == 0 &&
         cb_registry_page_get_last_toast (f->page) != NULL;
}

static gboolean
has_activity (gpointer data)
{
  Fixture *f = data;
  return cb_registry_page_get_n_activity (f->page) > 0;
}

static void
wait_loaded (Fixture *f)
{
  cb_test_app_wait (has_policies, f, 30000);
  cb_test_app_wait (devices_idle, f, 30000);
}

static void test_edit_validity (Fixture *f, gconstpointer data);
static void test_search_filter (Fixture *f, gconstpointer data);
static void load_all (Fixture *f);

static void
test_policies (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CbPolicy) policy = NULL;
  g_autofree char *path = NULL;

  wait_loaded (f);

  policy = g_list_model_get_item (cb_registry_page_get_policies (f->page), 0);
  g_assert_cmpstr (cb_policy_get_name (policy), ==, "default");
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 30);

  /* With a policy and a credential, the policy actions are on; nothing selected, no device ones. */
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (f->page)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.refresh", NULL));
  cb_test_app_wait (has_policies, f, 30000);

  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "registry-policy.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);

  /* Same sandbox (each one costs a few seconds): the validity editor. */
  test_edit_validity (f, data);
}

typedef struct
{
  CbDeviceListModel *model;
  GtkAdjustment     *vadjustment;
} Scroll;

/* Scrolls the table to its end, as a scrollbar dragged down and held there, one step per poll;
 * done when the list is complete and idle. */
static gboolean
scrolled_to_end (gpointer data)
{
  Scroll *scroll = data;

  gtk_adjustment_set_value (scroll->vadjustment,
                            gtk_adjustment_get_upper (scroll->vadjustment) -
                            gtk_adjustment_get_page_size (scroll->vadjustment));
  return cb_device_list_model_get_complete (scroll->model) &&
         !cb_device_list_model_get_loading (scroll->model);
}

static gboolean
model_done (gpointer data)
{
  CbDeviceListModel *model = data;

  return cb_device_list_model_get_complete (model) && !cb_device_list_model_get_loading (model);
}

static gboolean
model_idle (gpointer data)
{
  CbDeviceListModel *model = data;

  return g_list_model_get_n_items (G_LIST_MODEL (model)) > 0 &&
         !cb_device_list_model_get_loading (model);
}

/* The hub's devices, read whole by a model of its own that no view looks at. */
static guint
count_devices (Fixture *f)
{
  g_autoptr(CbDeviceListModel) all = cb_device_list_model_new ();

  cb_device_list_model_set_hub (all, cb_context_get_hub (f->app->context));
  cb_device_list_model_set_page_size (all, 1000);
  cb_device_list_model_reload (all);
  cb_test_app_wait (model_done, all, 30000);
  g_assert_null (cb_device_list_model_get_error (all));
  return g_list_model_get_n_items (G_LIST_MODEL (all));
}

/* What the views see of a page: how much each items-changed adds, and what the model does
 * when asked for more while the rest of a page is still to be shown. */
typedef struct
{
  guint    emissions;
  guint    largest;
  guint    first_added;
  gboolean loading_at_first;
  guint    requests_after_first;
} Slices;

static void
on_slice_cb (GListModel *model,
             guint       position,
             guint       removed,
             guint       added,
             Slices     *slices)
{
  CbDeviceListModel *devices = CB_DEVICE_LIST_MODEL (model);

  slices->emissions++;
  slices->largest = MAX (slices->largest, added);
  if (slices->emissions == 1)
    {
      /* A view at the end of the first slice asks for more: the next page is fetched now,
       * while the rest of this one is still being shown. */
      slices->first_added = added;
      slices->loading_at_first = cb_device_list_model_get_loading (devices);
      cb_device_list_model_load_more (devices);
      slices->requests_after_first = cb_device_list_model_get_n_requests (devices);
    }
}

static void
test_slices (Fixture *f,
             guint    total)
{
  g_autoptr(CbDeviceListModel) sliced = cb_device_list_model_new ();
  g_autoptr(CbDeviceListModel) ahead = cb_device_list_model_new ();
  g_autoptr(GObject) item = NULL;
  Slices slices = { 0, };

  /* A page of 150 reaches the views as 100 then 50, a main-loop turn apart; the list is
   * loading until its last slice is in. Before, the page came as one emission of 150 and the
   * next page could only be asked for once it was all in. */
  cb_device_list_model_set_hub (sliced, cb_context_get_hub (f->app->context));
  cb_device_list_model_set_page_size (sliced, 150);
  g_signal_connect (sliced, "items-changed", G_CALLBACK (on_slice_cb), &slices);
  cb_device_list_model_reload (sliced);
  cb_test_app_wait (model_done, sliced, 30000);
  g_assert_null (cb_device_list_model_get_error (sliced));
  g_assert_cmpuint (slices.first_added, ==, 100);
  g_assert_true (slices.loading_at_first);
  g_assert_cmpuint (slices.requests_after_first, ==, 2);
  g_assert_cmpuint (slices.largest, <=, 100);
  g_assert_cmpuint (slices.emissions, >=, (total + 99) / 100);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sliced)), ==, total);
  g_assert_cmpuint (cb_device_list_model_get_n_requests (sliced), ==, 2);

  /* The next page is asked for well before the end of what is shown: a row half way into
   * the last 200 is near enough. (Before, only the last ten rows were.) */
  cb_device_list_model_set_hub (ahead, cb_context_get_hub (f->app->context));
  cb_device_list_model_set_page_size (ahead, 200);
  cb_device_list_model_reload (ahead);
  cb_test_app_wait (model_idle, ahead, 30000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (ahead)), ==, 200);
  item = g_list_model_get_item (G_LIST_MODEL (ahead), 50);
  g_assert_false (cb_device_list_model_get_loading (ahead));
  g_clear_object (&item);
  item = g_list_model_get_item (G_LIST_MODEL (ahead), 120);
  g_assert_true (cb_device_list_model_get_loading (ahead));
  cb_test_app_wait (model_done, ahead, 30000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (ahead)), ==, total);
}

/* The model keeps its rows as plain data and makes a row's item when it is asked for: the
 * same item while someone holds it, gone once no one does (before, the model held an item for
 * every row it had read: 100k GObjects at fleet scale). What an item is told (its switch, new
 * signals) reaches the row, and the items made after. */
static void
test_items_on_demand (CbDeviceListModel *model)
{
  g_autoptr(CbDeviceItem) first = NULL;
  g_autoptr(CbDeviceItem) again = NULL;
  g_autoptr(CbDeviceItem) found = NULL;
  g_autoptr(CbDeviceStateInfo) info = NULL;
  g_autofree char *device_id = NULL;
  CbDeviceItem *weak;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
  guint position = G_MAXUINT;
  guint row;

  /* A row with certificate dates that only unknown revocations keep from a verdict, well
   * before the end (rows near it fetch the next page). */
  g_assert_cmpuint (n, >, 20);
  for (row = 0; row < 10; row++)
    {
      g_autoptr(CbDeviceItem) item = g_list_model_get_item (G_LIST_MODEL (model), row);

      if (cb_device_item_get_state (item) == CB_DEVICE_STATE_UNKNOWN)
        break;
    }
  g_assert_cmpuint (row, <, 10);
  first = g_list_model_get_item (G_LIST_MODEL (model), row);
  again = g_list_model_get_item (G_LIST_MODEL (model), row);
  g_assert_true (first == again);
  device_id = g_strdup (cb_device_item_get_device_id (first));
  found = cb_device_list_model_dup_device (model, device_id, &position);
  g_assert_true (found == first);
  g_assert_cmpuint (position, ==, row);
  g_clear_object (&found);
  g_clear_object (&again);

  /* Only the caller holds it: once it lets go, the item is gone. */
  weak = first;
  g_object_add_weak_pointer (G_OBJECT (weak), (gpointer *) &weak);
  g_assert_true (cb_device_item_get_enabled (first));
  cb_device_item_set_enabled (first, FALSE);
  g_clear_object (&first);
  g_assert_null (weak);

  /* A new item for the row, as the switch left it. */
  first = g_list_model_get_item (G_LIST_MODEL (model), row);
  g_assert_cmpstr (cb_device_item_get_device_id (first), ==, device_id);
  g_assert_false (cb_device_item_get_enabled (first));
  g_assert_cmpint (cb_device_item_get_state (first), ==, CB_DEVICE_STATE_DISABLED);
  cb_device_item_set_enabled (first, TRUE);

  /* New signals reach the item held, in place: with revocations unknown no row is judged
   * healthy; once they are known (none), this one is not Unknown any more. */
  g_assert_cmpint (cb_device_item_get_state (first), ==, CB_DEVICE_STATE_UNKNOWN);
  info = cb_device_state_info_new (g_get_real_time () / G_USEC_PER_SEC,
                                   CB_DEFAULT_RENEWAL_FRACTION);
  info->context.revocations_known = TRUE;
  cb_device_list_model_update_state_info (model, info);
  g_assert_cmpint (cb_device_item_get_state (first), !=, CB_DEVICE_STATE_UNKNOWN);

  /* A removed row's item, still held, is not the list's: the id is not found any more. */
  cb_device_list_model_remove_device (model, device_id);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n - 1);
  g_assert_null (cb_device_list_model_dup_device (model, device_id, NULL));
  g_assert_cmpstr (cb_device_item_get_device_id (first), ==, device_id);
}

static void
test_lazy_paging (Fixture       *f,
                  gconstpointer  data)
{
  CbDeviceListModel *model;
  GtkWidget *table;
  GtkWidget *scrolled;
  g_autoptr(CbDeviceListModel) lone = NULL;
  g_autoptr(GObject) item = NULL;
  Scroll scroll;
  guint total;
  guint requests;
  guint pages = 0;

  wait_loaded (f);
  model = cb_registry_page_get_devices (f->page);
  total = count_devices (f);
  g_assert_cmpuint (total, >, 200);

  /* The page's own table: a GtkColumnView (a GtkListView inside) on the model, in the window. */
  table = cb_test_app_find_widget (GTK_WIDGET (f->page), CB_TYPE_DEVICE_TABLE);
  g_assert_nonnull (table);
  scrolled = cb_test_app_find_widget (table, GTK_TYPE_SCROLLED_WINDOW);
  g_assert_nonnull (scrolled);
  scroll.model = model;
  scroll.vadjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

  /* Small pages, scrolled to the end, again and again as rows come: the view asks for the
   * last rows while it takes in each page (GTK 4.8 does so inside items-changed), and every
   * such request loads the next page, twice as large, until the last device is in. Before,
   * requests made during the emission were dropped and the list stopped after a page or two. */
  cb_device_list_model_set_page_size (model, 20);
  requests = cb_device_list_model_get_n_requests (model);
  cb_device_list_model_reload (model);
  cb_test_app_wait (devices_idle, f, 30000);
  cb_test_app_wait (scrolled_to_end, &scroll, 30000);
  g_assert_null (cb_device_list_model_get_error (model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, total);

  /* One request per page and never two at once: 20, 40, 80, 160… until the total (plus at
   * most one that finds the end empty). */
  for (guint loaded = 0, size = 20; loaded < total; loaded += size, size = MIN (size * 2, 1000))
    pages++;
  g_assert_cmpuint (cb_device_list_model_get_n_requests (model) - requests, >=, pages);
  g_assert_cmpuint (cb_device_list_model_get_n_requests (model) - requests, <=, pages + 1);

  /* Without a view: a reload asks for one page; rows far from its end fetch nothing, the last
   * one fetches the next page, twice as large. (A GtkListView at the top of the list keeps
   * about 200 rows made, so with a view it fetches that many by itself.) */
  lone = cb_device_list_model_new ();
  cb_device_list_model_set_hub (lone, cb_context_get_hub (f->app->context));
  cb_device_list_model_set_page_size (lone, 20);
  cb_device_list_model_reload (lone);
  cb_test_app_wait (model_idle, lone, 30000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (lone)), ==, 20);
  g_assert_cmpuint (cb_device_list_model_get_n_requests (lone), ==, 1);
  item = g_list_model_get_item (G_LIST_MODEL (lone), 5);
  g_assert_false (cb_device_list_model_get_loading (lone));
  g_clear_object (&item);
  item = g_list_model_get_item (G_LIST_MODEL (lone), 19);
  g_assert_nonnull (item);
  g_assert_true (cb_device_list_model_get_loading (lone));
  cb_test_app_wait (model_idle, lone, 30000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (lone)), ==, 60);
  g_assert_cmpuint (cb_device_list_model_get_n_requests (lone), ==, 2);

  /* Same model: items are made for the rows asked for and not kept by the model. */
  test_items_on_demand (lone);

  /* Same sandbox: pages shown in slices, the next one asked for ahead. */
  test_slices (f, total);

  /* Same sandbox: search and filters. */
  test_search_filter (f, data);
}

static void
test_typed_name (Fixture       *f,
                 gconstpointer  data)
{
  AdwMessageDialog *dialog;
  GtkEditable *entry;

  wait_loaded (f);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.delete-policy", NULL));
  dialog = cb_registry_page_get_dialog (f->page);
  g_assert_true (CB_IS_CONFIRM_DIALOG (dialog));
  entry = cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog));
  g_assert_nonnull (entry);
  /* The impact is stated in numbers and the CA option is offered. */
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "devices"));
  g_assert_nonnull (cb_confirm_dialog_get_option (CB_CONFIRM_DIALOG (dialog)));

  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  gtk_editable_set_text (entry, "defaul");
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  gtk_editable_set_text (entry, "Default");
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  gtk_editable_set_text (entry, "default");
  g_assert_true (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cb_test_app_spin (50);
  g_assert_cmpuint (cb_registry_page_get_n_operations (f->page), ==, 0);

  /* Revoking the issuer and deleting the credential ask for the name too. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.revoke-issuer", NULL));
  dialog = cb_registry_page_get_dialog (f->page);
  g_assert_true (CB_IS_CONFIRM_DIALOG (dialog));
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  gtk_editable_set_text (cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog)), "default");
  g_assert_true (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.delete-credential", NULL));
  dialog = cb_registry_page_get_dialog (f->page);
  g_assert_true (CB_IS_CONFIRM_DIALOG (dialog));
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cb_test_app_spin (50);

  /* The policy is still there: nothing was deleted. */
  g_assert_cmpuint (g_list_model_get_n_items (cb_registry_page_get_policies (f->page)), ==, 1);
}

typedef struct
{
  Fixture       *f;
  const char    *device_id;
  CbDeviceState  state;
  gboolean       enabled;
} RowWait;

/* The device's row is loaded and reads state (and enabled). */
static gboolean
row_is (gpointer data)
{
  RowWait *w = data;
  CbDeviceListModel *model = cb_registry_page_get_devices (w->f->page);
  g_autoptr(CbDeviceItem) item = NULL;

  if (cb_device_list_model_get_loading (model))
    return FALSE;
  item = cb_device_list_model_dup_device (model, w->device_id, NULL);
  return item != NULL && cb_device_item_get_state (item) == w->state &&
         cb_device_item_get_enabled (item) == w->enabled;
}

static CbDeviceItem *
get_selected (Fixture *f)
{
  GtkColumnView *view = NULL;
  GtkWidget *w = GTK_WIDGET (f->page);
  GtkSelectionModel *selection;
  GtkBitset *set;
  CbDeviceItem *item = NULL;

  view = GTK_COLUMN_VIEW (cb_test_app_find_widget (w, GTK_TYPE_COLUMN_VIEW));
  selection = gtk_column_view_get_model (view);
  set = gtk_selection_model_get_selection (selection);
  if (!gtk_bitset_is_empty (set))
    {
      item = g_list_model_get_item (G_LIST_MODEL (selection), gtk_bitset_get_nth (set, 0));
      g_object_unref (item);   /* the model keeps it */
    }
  gtk_bitset_unref (set);
  return item;
}

static void
test_revoke_device (Fixture       *f,
                    gconstpointer  data)
{
  CbDeviceListModel *model;
  g_autoptr(CbDeviceItem) item = NULL;
  RowWait wanted = { 0 };
  AdwMessageDialog *dialog;
  g_autofree char *device_id = NULL;
  g_autofree char *path = NULL;

  wait_loaded (f);
  model = cb_registry_page_get_devices (f->page);

  /* No selection: the device actions are off. */
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.revoke-device", NULL) &&
                  cb_registry_page_get_dialog (f->page) != NULL);

  /* An enabled device. */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)) && item == NULL; i++)
    {
      g_autoptr(CbDeviceItem) candidate = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (cb_device_item_get_enabled (candidate))
        item = g_steal_pointer (&candidate);
    }
  g_assert_nonnull (item);
  device_id = g_strdup (cb_device_item_get_device_id (item));
  g_assert_true (cb_registry_page_select_device (f->page, device_id));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.revoke-device", NULL));
  dialog = cb_registry_page_get_dialog (f->page);
  g_assert_true (CB_IS_CONFIRM_DIALOG (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "1 device"));
  /* A single device needs no typed name. */
  g_assert_true (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  gtk_check_button_set_active (cb_confirm_dialog_get_option (CB_CONFIRM_DIALOG (dialog)), TRUE);

  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "registry-revoke-dialog.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (dialog), path, 600, 400);

  adw_message_dialog_response (dialog, "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpuint (cb_registry_page_get_n_operations (f->page), ==, 1);

  cb_test_app_wait (operations_done, f, 30000);
  g_test_message ("toast: %s", cb_registry_page_get_last_toast (f->page));
  g_assert_true (g_str_has_prefix (cb_registry_page_get_last_toast (f->page), "Revoked the certificates of"));
  g_assert_nonnull (strstr (cb_registry_page_get_last_toast (f->page), device_id));
  /* "Also disable" reached the row without a reload. */
  g_assert_false (cb_device_item_get_enabled (item));

  /* The activity view shows who revoked what. */
  cb_test_app_wait (has_activity, f, 30000);

  /* The list reads the revoke back: the row says Revoked (not Enabled / Healthy), stays
   * selected, and there is nothing left to revoke on it. */
  wanted.f = f;
  wanted.device_id = device_id;
  wanted.state = CB_DEVICE_STATE_REVOKED;
  wanted.enabled = FALSE;
  cb_test_app_wait (row_is, &wanted, 30000);
  g_clear_object (&item);
  item = cb_device_list_model_dup_device (model, device_id, NULL);
  g_assert_cmpstr (cb_device_item_get_state_label (item), ==, "Revoked");
  g_test_message ("reason: %s", cb_device_item_get_state_reason (item));
  g_assert_nonnull (strstr (cb_device_item_get_state_reason (item), "revoked"));
  g_assert_true (get_selected (f) == item);
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.revoke-device", NULL) &&
                  cb_registry_page_get_dialog (f->page) != NULL);

  /* The Revoked filter finds it. */
  cb_registry_page_filter_devices (f->page, NULL, CB_DEVICE_STATE_REVOKED);
  cb_test_app_wait (row_is, &wanted, 30000);
  load_all (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  cb_registry_page_filter_devices (f->page, NULL, -1);
  cb_test_app_spin (300);
  cb_test_app_wait (devices_idle, f, 30000);
  g_assert_true (cb_registry_page_select_device (f->page, device_id));

  /* The device is disabled now: enable is on, disable is off. Enabled, it is still revoked. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.enable-device", NULL));
  cb_test_app_wait (operations_done, f, 30000);
  cb_test_app_spin (100);
  wanted.enabled = TRUE;
  cb_test_app_wait (row_is, &wanted, 30000);

  g_free (path);
  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "registry-devices.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);
}

static gboolean
issuer_revoked_rows (gpointer data)
{
  Fixture *f = data;
  GListModel *model = G_LIST_MODEL (cb_registry_page_get_devices (f->page));
  g_autoptr(CbDeviceItem) item = NULL;

  if (cb_device_list_model_get_loading (CB_DEVICE_LIST_MODEL (model)) ||
      g_list_model_get_n_items (model) == 0)
    return FALSE;
  item = g_list_model_get_item (model, 0);
  return cb_device_item_get_state (item) == CB_DEVICE_STATE_ISSUER_REVOKED;
}

/* Opens a policy-wide confirmation once its impact line has the counts. */
static AdwMessageDialog *
open_counted_dialog (Fixture    *f,
                     const char *action)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (;;)
    {
      AdwMessageDialog *dialog;

      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), action, NULL));
      dialog = cb_registry_page_get_dialog (f->page);
      g_assert_nonnull (dialog);
      if (strstr (adw_message_dialog_get_body (dialog), "still being counted") == NULL)
        return dialog;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      adw_message_dialog_response (dialog, "cancel");
      gtk_window_destroy (GTK_WINDOW (dialog));
      cb_test_app_spin (200);
    }
}

/* "Revoke issuer" through the dialog: it counts the devices that hold a working certificate,
 * then the rows read Needs re-provisioning and the delete dialog no longer says they keep
 * working. */
static void
test_revoke_issuer (Fixture       *f,
                    gconstpointer  data)
{
  GListModel *model;
  AdwMessageDialog *dialog;
  guint working = 0;
  guint n;
  g_autofree char *expected = NULL;
  g_autofree char *path = NULL;
  const char *body;

  wait_loaded (f);
  model = G_LIST_MODEL (cb_registry_page_get_devices (f->page));
  load_all (f);
  n = g_list_model_get_n_items (model);
  g_assert_cmpuint (n, ==, 240);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbDeviceItem) item = g_list_model_get_item (model, i);
      CbDeviceState state = cb_device_item_get_state (item);

      working += state == CB_DEVICE_STATE_HEALTHY || state == CB_DEVICE_STATE_RENEWAL_DUE ||
                 state == CB_DEVICE_STATE_DISABLED;
    }
  g_assert_cmpuint (working, >, 0);
  g_assert_cmpuint (working, <, 211);   /* not every reporting device: expired ones lose nothing */

  dialog = open_counted_dialog (f, "registry.revoke-issuer");
  body = adw_message_dialog_get_body (dialog);
  g_test_message ("revoke issuer: %s", body);
  expected = g_strdup_printf ("%u devices holding a working certificate", working);
  g_assert_nonnull (strstr (body, expected));
  gtk_editable_set_text (cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog)), "default");
  adw_message_dialog_response (dialog, "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cb_test_app_wait (operations_done, f, 30000);
  g_test_message ("toast: %s", cb_registry_page_get_last_toast (f->page));
  g_assert_true (g_str_has_prefix (cb_registry_page_get_last_toast (f->page), "Revoked the issuing CA"));

  /* The rows: needs re-provisioning, not healthy; and nothing left to revoke on them. */
  cb_test_app_wait (issuer_revoked_rows, f, 30000);
  load_all (f);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(CbDeviceItem) item = g_list_model_get_item (model, i);

      g_assert_cmpint (cb_device_item_get_state (item), !=, CB_DEVICE_STATE_HEALTHY);
      g_assert_cmpint (cb_device_item_get_state (item), !=, CB_DEVICE_STATE_RENEWAL_DUE);
    }
  {
    g_autoptr(CbDeviceItem) item = g_list_model_get_item (model, 0);

    g_assert_cmpstr (cb_device_item_get_state_label (item), ==, "Needs re-provisioning");
    g_assert_true (cb_registry_page_select_device (f->page, cb_device_item_get_device_id (item)));
    g_assert_false (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.revoke-device", NULL) &&
                    cb_registry_page_get_dialog (f->page) != NULL);
  }
  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "registry-issuer-revoked.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);

  /* The delete dialog: nobody keeps working on the revoked issuer's certificates. */
  dialog = open_counted_dialog (f, "registry.delete-policy");
  body = adw_message_dialog_get_body (dialog);
  g_test_message ("delete policy: %s", body);
  g_assert_null (strstr (body, "keep working"));
  g_assert_nonnull (strstr (body, "No device holds a working certificate"));
  g_assert_nonnull (strstr (body, "revoked issuer"));
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
test_forbidden_wording (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) other = NULL;
  g_autofree char *other_text = NULL;

  error = cb_api_error_new_full (CB_API_ERROR_FORBIDDEN, 403, "AuthorizationFailed", NULL, 0,
                                 "The client 'reader@sandbox.certbench.local' with object id 'x' "
                                 "does not have authorization to perform action "
                                 "'Microsoft.DeviceRegistry/namespaces/devices/revoke/action' over "
                                 "scope '/subscriptions/s/resourceGroups/rg/providers/"
                                 "Microsoft.DeviceRegistry/namespaces/demo-ns' or the scope is "
                                 "invalid. Required role: 'Azure Device Registry Credentials "
                                 "Contributor' (or 'Owner') on that scope or a parent scope.");
  text = cb_error_text (error);
  g_assert_nonnull (strstr (text, "Azure Device Registry Credentials Contributor"));
  g_assert_nonnull (strstr (text, "namespaces/demo-ns"));
  g_assert_null (strstr (text, "object id"));

  other = g_error_new_literal (CB_API_ERROR, CB_API_ERROR_CONFLICT, "It exists");
  other_text = cb_error_text (other);
  g_assert_cmpstr (other_text, ==, "It exists");
}

static gboolean
toast_contains_role (gpointer data)
{
  Fixture *f = data;
  const char *toast = cb_registry_page_get_last_toast (f->page);

  return cb_registry_page_get_n_operations (f->page) == 0 && toast != NULL &&
         strstr (toast, "Permission denied") != NULL;
}

/* A principal without the role gets told which role on which scope, from the real 403. */
static void
test_forbidden_live (Fixture       *f,
                     gconstpointer  data)
{
  CbProfile *profile = cb_context_get_profile (f->app->context);
  CbDeviceListModel *model;
  g_autoptr(CbDeviceItem) item = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *token = NULL;
  AdwMessageDialog *dialog;
  const char *toast;

  wait_loaded (f);
  model = cb_registry_page_get_devices (f->page);
  item = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_true (cb_registry_page_select_device (f->page, cb_device_item_get_device_id (item)));

  scope = g_strconcat ("/subscriptions/", cb_profile_get_subscription_id (profile), NULL);
  token = cb_test_sandbox_token (f->app->ts, "reader@test", "Reader", scope, CB_SB_AUD_ARM);
  cb_adr_client_set_access_token (cb_context_get_adr (f->app->context), token + strlen ("Bearer "));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.revoke-device", NULL));
  dialog = cb_registry_page_get_dialog (f->page);
  adw_message_dialog_response (dialog, "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));

  cb_test_app_wait (toast_contains_role, f, 30000);
  toast = cb_registry_page_get_last_toast (f->page);
  g_test_message ("toast: %s", toast);
  g_assert_nonnull (strstr (toast, "Azure Device Registry Credentials Contributor"));
  g_assert_nonnull (strstr (toast, cb_profile_get_namespace (profile)));
  g_assert_null (strstr (toast, "AuthorizationFailed"));
  g_assert_true (cb_device_item_get_enabled (item));
}

static gboolean
no_policies (gpointer data)
{
  Fixture *f = data;
  return cb_registry_page_get_n_operations (f->page) == 0 &&
         g_list_model_get_n_items (cb_registry_page_get_policies (f->page)) == 0;
}

static gboolean
policy_created (gpointer data)
{
  Fixture *f = data;
  GListModel *policies = cb_registry_page_get_policies (f->page);
  g_autoptr(CbPolicy) policy = NULL;

  if (cb_registry_page_get_n_operations (f->page) > 0 || g_list_model_get_n_items (policies) != 1)
    return FALSE;
  policy = g_list_model_get_item (policies, 0);
  return g_strcmp0 (cb_policy_get_name (policy), "line2") == 0;
}

typedef struct
{
  GPtrArray *certificates;
  gboolean   done;
} CertWait;

static void
certificates_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CertWait *w = user_data;
  g_autoptr(GError) error = NULL;

  w->certificates = cb_adr_client_list_hub_certificates_finish (CB_ADR_CLIENT (object), result, &error);
  g_assert_no_error (error);
  w->done = TRUE;
}

static gboolean
certificates_done (gpointer data)
{
  return ((CertWait *) data)->done;
}

static guint
count_hub_certificates_of (Fixture    *f,
                           const char *policy)
{
  CertWait w = { 0 };
  guint n = 0;

  cb_adr_client_list_hub_certificates_async (cb_context_get_adr (f->app->context), NULL,
                                             certificates_cb, &w);
  cb_test_app_wait (certificates_done, &w, 30000);
  for (guint i = 0; i < w.certificates->len; i++)
    if (g_strcmp0 (cb_hub_certificate_get_policy_name (g_ptr_array_index (w.certificates, i)),
                   policy) == 0)
      n++;
  g_ptr_array_unref (w.certificates);
  return n;
}

static gboolean
policy_certificate_known (gpointer data)
{
  Fixture *f = data;
  AdwActionRow *row = g_object_get_data (G_OBJECT (f->page), "cb-policy-certificate-row");

  return row != NULL && adw_action_row_get_subtitle (row) != NULL &&
         strstr (adw_action_row_get_subtitle (row), "hub") != NULL;
}

/* The leaflet's shown page holds the policy's views (the view switcher), not the sidebar. */
static gboolean
shows_content (Fixture *f)
{
  AdwLeaflet *leaflet =
    ADW_LEAFLET (cb_test_app_find_widget (GTK_WIDGET (f->page), ADW_TYPE_LEAFLET));
  GtkWidget *shown = adw_leaflet_get_visible_child (leaflet);

  return cb_test_app_find_widget (shown, ADW_TYPE_VIEW_SWITCHER) != NULL;
}

static gboolean
back_button_shown (gpointer data)
{
  Fixture *f = data;
  AdwLeaflet *leaflet =
    ADW_LEAFLET (cb_test_app_find_widget (GTK_WIDGET (f->page), ADW_TYPE_LEAFLET));
  /* The content pane's first button is the back button. */
  GtkWidget *back = cb_test_app_find_widget (adw_leaflet_get_visible_child (leaflet),
                                             GTK_TYPE_BUTTON);

  return back != NULL && gtk_widget_get_visible (back) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (back)),
                    "registry.show-sidebar") == 0;
}

/* At 360 px (a phone) the leaflet folds: the namespace chosen at load (here the only one)
 * shows its content, with a back button to the namespaces, as GNOME Settings does; back
 * shows the sidebar, and activating a namespace there shows its content again. */
/* The namespace row a reload replaced is gone (a weak pointer). */
static gboolean
namespace_row_replaced (gpointer data)
{
  GtkWidget **row = data;

  return *row == NULL;
}

/* The labels below @widget showing a device id of @ids; each must show it whole. */
static guint
check_whole_ids (GtkWidget  *widget,
                 GHashTable *ids)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && gtk_widget_get_mapped (child) &&
          g_hash_table_contains (ids, gtk_label_get_label (GTK_LABEL (child))))
        {
          PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (child));

          if (pango_layout_is_ellipsized (layout))
            g_test_message ("%s ellipsized in %d px", gtk_label_get_label (GTK_LABEL (child)),
                            gtk_widget_get_width (child));
          g_assert_false (pango_layout_is_ellipsized (layout));
          n++;
        }
      n += check_whole_ids (child, ids);
    }
  return n;
}

/* The device table at the window's width: whole device ids in its Device column, and the
 * columns it shows @titles. */
static void
assert_device_table (Fixture    *f,
                     const char *titles)
{
  CbDeviceTable *table = CB_DEVICE_TABLE (cb_test_app_find_widget (GTK_WIDGET (f->page),
                                                                   CB_TYPE_DEVICE_TABLE));
  GListModel *devices = G_LIST_MODEL (cb_registry_page_get_devices (f->page));
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *shown = NULL;

  g_assert_nonnull (table);
  g_assert_cmpuint (g_list_model_get_n_items (devices), >, 0);
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr(CbDeviceItem) item = g_list_model_get_item (devices, i);

      g_hash_table_add (ids, g_strdup (cb_device_item_get_device_id (item)));
    }
  /* The columns change after the allocation that asks for it. */
  cb_test_app_spin (300);
  shown = cb_test_app_column_titles (GTK_WIDGET (table));
  g_test_message ("%d px: %s", gtk_widget_get_width (GTK_WIDGET (table)), shown);
  g_assert_cmpuint (check_whole_ids (GTK_WIDGET (table), ids), >, 0);
  g_assert_cmpstr (shown, ==, titles);

  /* The toolbar above it: the device count whole, the search wide enough for its hint
   * text "Device ID starts with…" (on a line of its own in a narrow window). */
  {
    guint n = g_list_model_get_n_items (devices);
    g_autofree char *count = g_strdup_printf (cb_device_list_model_get_complete (
                                                CB_DEVICE_LIST_MODEL (devices))
                                                ? "%u devices" : "%u devices so far", n);
    GtkWidget *label = cb_test_app_find_label (GTK_WIDGET (f->page), count);
    GtkWidget *search = gtk_widget_get_ancestor (cb_test_app_find_label (GTK_WIDGET (f->page),
                                                                         "Device ID starts with…"),
                                                 GTK_TYPE_SEARCH_ENTRY);

    g_assert_nonnull (label);
    g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (label))));
    g_assert_nonnull (search);
    g_assert_cmpint (gtk_widget_get_width (search), >=, 240);
  }
}

static void
test_narrow (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                 "registry-narrow.png", NULL);
  g_autofree char *sidebar_path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                         "registry-narrow-sidebar.png", NULL);
  g_autofree char *wide_path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                      "registry-wide-after-narrow.png", NULL);
  g_autofree char *devices_path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                         "registry-narrow-devices.png", NULL);
  g_autofree char *wide_devices_path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                              "registry-wide-devices.png", NULL);
  AdwLeaflet *leaflet;
  GtkWidget *namespace_row;

  wait_loaded (f);
  leaflet = ADW_LEAFLET (cb_test_app_find_widget (GTK_WIDGET (f->page), ADW_TYPE_LEAFLET));
  g_assert_nonnull (leaflet);
  g_assert_false (adw_leaflet_get_folded (leaflet));

  cb_test_app_save_png (GTK_WIDGET (f->window), path, 360, 800);
  g_assert_true (adw_leaflet_get_folded (leaflet));
  g_assert_true (shows_content (f));
  cb_test_app_wait (back_button_shown, f, 5000);
  /* A phone's width, on the Devices view: the device ids whole, next to their state; the
   * other columns dropped. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s",
                                             "devices"));
  cb_test_app_wait (devices_idle, f, 30000);
  cb_test_app_spin (300);
  cb_test_app_save_png (GTK_WIDGET (f->window), devices_path, 360, 800);
  assert_device_table (f, "Device|State");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s",
                                             "policy"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-sidebar", NULL));
  cb_test_app_spin (400);
  g_assert_false (shows_content (f));
  cb_test_app_save_png (GTK_WIDGET (f->window), sidebar_path, 360, 800);

  /* The namespace's row, chosen again (a click or Enter activates it). */
  namespace_row = cb_test_app_find_widget (adw_leaflet_get_visible_child (leaflet),
                                           ADW_TYPE_ACTION_ROW);
  g_assert_nonnull (namespace_row);
  g_assert_true (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (namespace_row)));
  g_signal_emit_by_name (namespace_row, "activate");
  cb_test_app_spin (400);
  g_assert_true (shows_content (f));

  /* The same for a policy's row. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-sidebar", NULL));
  cb_test_app_spin (400);
  g_assert_false (shows_content (f));
  {
    GtkWidget *policy_row = cb_test_app_find_label (adw_leaflet_get_visible_child (leaflet),
                                                    "default");

    while (policy_row != NULL && !GTK_IS_LIST_BOX_ROW (policy_row))
      policy_row = gtk_widget_get_parent (policy_row);
    g_assert_nonnull (policy_row);
    g_signal_emit_by_name (policy_row, "activate");
  }
  cb_test_app_spin (400);
  g_assert_true (shows_content (f));

  /* Back at the list, a reload leaves the folded page there: only a profile's first load
   * chooses the content for the user. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-sidebar", NULL));
  cb_test_app_spin (400);
  namespace_row = cb_test_app_find_widget (adw_leaflet_get_visible_child (leaflet),
                                           ADW_TYPE_ACTION_ROW);
  g_object_add_weak_pointer (G_OBJECT (namespace_row), (gpointer *) &namespace_row);
  cb_registry_page_reload (f->page);
  cb_test_app_wait (namespace_row_replaced, &namespace_row, 30000);
  cb_test_app_spin (400);
  g_assert_false (shows_content (f));

  /* Wide again: both side by side, and every column back. */
  cb_test_app_save_png (GTK_WIDGET (f->window), wide_path, 1280, 800);
  g_assert_false (adw_leaflet_get_folded (leaflet));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s",
                                             "devices"));
  cb_test_app_wait (devices_idle, f, 30000);
  cb_test_app_spin (300);
  cb_test_app_save_png (GTK_WIDGET (f->window), wide_devices_path, 1280, 800);
  assert_device_table (f, "Device|Enabled|Policy|Reported valid until|Days left|State");
}

/* The policy view's issuing CA: its certificate, from the profile hub's CA certificates (credential
 * sync puts it there), with the cert actions; the SHA-1 copied is the hub's thumbprint. */
static void
test_policy_certificate (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                 "registry-policy-certificate.png", NULL);
  g_autofree char *narrow = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                   "narrow-registry-policy-certificate.png", NULL);
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GString) copied = g_string_new (NULL);
  const char *thumbprint = NULL;
  GtkWidget *row;
  GtkWidget *menu;
  CertWait w = { 0 };

  wait_loaded (f);
  cb_test_app_wait (policy_certificate_known, f, 30000);
  row = g_object_get_data (G_OBJECT (f->page), "cb-policy-certificate-row");
  g_test_message ("policy certificate: %s", adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  menu = cb_test_app_find_widget (row, GTK_TYPE_MENU_BUTTON);
  g_assert_nonnull (menu);
  policy = g_list_model_get_item (cb_registry_page_get_policies (f->page), 0);

  cb_adr_client_list_hub_certificates_async (cb_context_get_adr (f->app->context), NULL,
                                             certificates_cb, &w);
  cb_test_app_wait (certificates_done, &w, 30000);
  for (guint i = 0; i < w.certificates->len; i++)
    if (g_strcmp0 (cb_hub_certificate_get_policy_name (g_ptr_array_index (w.certificates, i)),
                   cb_policy_get_name (policy)) == 0)
      thumbprint = cb_hub_certificate_get_thumbprint (g_ptr_array_index (w.certificates, i));
  g_assert_nonnull (thumbprint);

  g_assert_true (gtk_widget_activate_action (menu, "cert.copy-sha1", NULL));
  {
    GdkClipboard *clipboard = gtk_widget_get_clipboard (menu);
    GdkContentProvider *content = gdk_clipboard_get_content (clipboard);
    GValue value = G_VALUE_INIT;

    g_value_init (&value, G_TYPE_STRING);
    g_assert_true (gdk_content_provider_get_value (content, &value, NULL));
    for (const char *p = g_value_get_string (&value); *p != '\0'; p++)
      if (*p != ':')
        g_string_append_c (copied, g_ascii_toupper (*p));
    g_value_unset (&value);
  }
  g_assert_cmpstr (copied->str, ==, thumbprint);
  g_ptr_array_unref (w.certificates);

  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s",
                                             "policy"));
  cb_test_app_save_png (GTK_WIDGET (f->page), narrow, 360, 800);
}

/* Delete the policy and its CA on the hubs through the dialog, then create one through the
 * form, whose spin button keeps the validity within 7..90. */
static void
test_policy_lifecycle (Fixture       *f,
                       gconstpointer  data)
{
  AdwMessageDialog *dialog;
  CbPolicyDialog *policy_dialog;
  GtkEditable *name;
  GtkEditable *days;
  g_autoptr(CbPolicy) policy = NULL;
  g_autofree char *path = NULL;

  wait_loaded (f);
  g_assert_cmpuint (count_hub_certificates_of (f, "default"), ==, 1);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.delete-policy", NULL));
  dialog = cb_registry_page_get_dialog (f->page);
  gtk_editable_set_text (cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog)), "default");
  gtk_check_button_set_active (cb_confirm_dialog_get_option (CB_CONFIRM_DIALOG (dialog)), TRUE);
  adw_message_dialog_response (dialog, "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));

  cb_test_app_wait (no_policies, f, 30000);
  /* The CA removal runs after the delete; wait for it too. */
  cb_test_app_spin (200);
  cb_test_app_wait (no_policies, f, 30000);
  g_test_message ("toast: %s", cb_registry_page_get_last_toast (f->page));
  g_assert_cmpuint (count_hub_certificates_of (f, "default"), ==, 0);

  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "registry-no-policy.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.create-policy", NULL));
  policy_dialog = cb_registry_page_get_policy_dialog (f->page);
  g_assert_nonnull (policy_dialog);
  g_assert_false (gtk_widget_get_sensitive (cb_test_app_find_button (GTK_WIDGET (policy_dialog),
                                                                     "C_reate")));
  name = cb_policy_dialog_get_name_entry (policy_dialog);
  days = cb_policy_dialog_get_days_entry (policy_dialog);
  gtk_editable_set_text (name, "line2");
  gtk_editable_set_text (days, "45");
  g_assert_null (cb_policy_dialog_get_error (policy_dialog));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (policy_dialog), "policy.create", NULL));
  cb_test_app_wait (policy_created, f, 30000);
  policy = g_list_model_get_item (cb_registry_page_get_policies (f->page), 0);
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 45);
}

static void
test_views (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *devices = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                    "registry-devices-view.png", NULL);
  g_autofree char *activity = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                     "registry-activity.png", NULL);
  CbDeviceListModel *model;
  g_autoptr(CbDeviceItem) item = NULL;
  AdwMessageDialog *dialog;

  wait_loaded (f);
  model = cb_registry_page_get_devices (f->page);

  /* Something in the activity log first. */
  item = g_list_model_get_item (G_LIST_MODEL (model), 3);
  g_assert_true (cb_registry_page_select_device (f->page, cb_device_item_get_device_id (item)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.revoke-device", NULL));
  dialog = cb_registry_page_get_dialog (f->page);
  adw_message_dialog_response (dialog, "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cb_test_app_wait (operations_done, f, 30000);
  cb_test_app_wait (has_activity, f, 30000);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s", "devices"));
  cb_test_app_save_png (GTK_WIDGET (f->page), devices, 1280, 800);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.show-view", "s", "activity"));
  cb_test_app_save_png (GTK_WIDGET (f->page), activity, 1280, 800);
}

static gboolean
dialog_open (gpointer data)
{
  Fixture *f = data;
  return cb_registry_page_get_dialog (f->page) != NULL &&
         cb_registry_page_get_n_operations (f->page) == 0;
}

static gboolean
byor_created (gpointer data)
{
  Fixture *f = data;
  GListModel *policies = cb_registry_page_get_policies (f->page);
  g_autoptr(CbPolicy) policy = NULL;

  if (cb_registry_page_get_n_operations (f->page) > 0 || g_list_model_get_n_items (policies) != 1)
    return FALSE;
  policy = g_list_model_get_item (policies, 0);
  return g_strcmp0 (cb_policy_get_name (policy), "own") == 0;
}

/* A bring-your-own-root policy: created pending activation, and its delete first looks for the
 * devices holding its certificates. */
static void
test_byor_policy (Fixture       *f,
                  gconstpointer  data)
{
  AdwMessageDialog *dialog;
  CbPolicyDialog *policy_dialog;
  g_autoptr(CbPolicy) policy = NULL;

  wait_loaded (f);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.delete-policy", NULL));
  dialog = cb_registry_page_get_dialog (f->page);
  gtk_editable_set_text (cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog)), "default");
  adw_message_dialog_response (dialog, "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cb_test_app_wait (no_policies, f, 30000);
  /* Without the option the hub keeps the CA: existing certificates keep working. */
  g_assert_cmpuint (count_hub_certificates_of (f, "default"), ==, 1);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.create-policy", NULL));
  policy_dialog = cb_registry_page_get_policy_dialog (f->page);
  gtk_editable_set_text (cb_policy_dialog_get_name_entry (policy_dialog), "own");
  gtk_check_button_set_active (cb_policy_dialog_get_byor_check (policy_dialog), TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (policy_dialog), "policy.create", NULL));
  cb_test_app_wait (byor_created, f, 30000);

  policy = g_list_model_get_item (cb_registry_page_get_policies (f->page), 0);
  g_assert_true (cb_policy_get_byor_enabled (policy));
  g_assert_cmpstr (cb_policy_get_byor_status (policy), ==, CB_POLICY_BYOR_PENDING_ACTIVATION);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.delete-policy", NULL));
  cb_test_app_wait (dialog_open, f, 30000);
  dialog = cb_registry_page_get_dialog (f->page);
  g_test_message ("body: %s", adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "No device"));
  g_assert_false (cb_confirm_dialog_get_confirm_enabled (CB_CONFIRM_DIALOG (dialog)));
  gtk_editable_set_text (cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog)), "own");
  adw_message_dialog_response (dialog, "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cb_test_app_wait (no_policies, f, 30000);
}

static gboolean
policy_dialog_idle (gpointer data)
{
  return !cb_policy_dialog_get_busy (data);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;

  policy = cb_adr_client_create_policy_finish (CB_ADR_CLIENT (object), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

/* New Policy: only offered while the credential has room for one; the form says what the
 * service will refuse before sending, never changes what was typed, and a refusal keeps it
 * open with the reason. */
static void
test_policy_dialog (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                 "policy-dialog-error.png", NULL);
  AdwMessageDialog *dialog;
  CbPolicyDialog *policy_dialog;
  GtkEditable *name;
  GtkEditable *days;
  GtkWidget *create;
  gboolean created = FALSE;

  wait_loaded (f);

  /* The credential holds its one policy: no New Policy. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.create-policy", NULL);
  g_assert_null (cb_registry_page_get_policy_dialog (f->page));

  /* The delete dialog names the enrollment groups that still use the policy. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.delete-policy", NULL));
  dialog = cb_registry_page_get_dialog (f->page);
  g_test_message ("body: %s", adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog),
                            "Enrollment group “factory-line-1” still uses it"));
  gtk_editable_set_text (cb_confirm_dialog_get_name_entry (CB_CONFIRM_DIALOG (dialog)), "default");
  adw_message_dialog_response (dialog, "confirm");
  gtk_window_destroy (GTK_WINDOW (dialog));
  cb_test_app_wait (no_policies, f, 30000);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.create-policy", NULL));
  policy_dialog = cb_registry_page_get_policy_dialog (f->page);
  g_assert_nonnull (policy_dialog);
  name = cb_policy_dialog_get_name_entry (policy_dialog);
  days = cb_policy_dialog_get_days_entry (policy_dialog);
  create = cb_test_app_find_button (GTK_WIDGET (policy_dialog), "C_reate");
  g_assert_nonnull (create);
  g_assert_false (gtk_widget_get_sensitive (create));
  g_assert_null (cb_policy_dialog_get_error (policy_dialog));

  /* Names: 3..63 letters, digits and hyphens, not starting with a hyphen. */
  gtk_editable_set_text (name, "ab");
  g_assert_nonnull (cb_policy_dialog_get_error (policy_dialog));
  g_assert_false (gtk_widget_get_sensitive (create));
  gtk_editable_set_text (name, "line_2");
  g_assert_nonnull (cb_policy_dialog_get_error (policy_dialog));
  gtk_editable_set_text (name, "-line2");
  g_assert_nonnull (cb_policy_dialog_get_error (policy_dialog));
  gtk_editable_set_text (name, "line-2");
  g_assert_null (cb_policy_dialog_get_error (policy_dialog));
  g_assert_true (gtk_widget_get_sensitive (create));

  /* Days: 7..90, shown as typed and refused, never turned into 7 or 90. */
  gtk_editable_set_text (days, "5");
  g_assert_nonnull (strstr (cb_policy_dialog_get_error (policy_dialog), "7 to 90"));
  g_assert_cmpstr (gtk_editable_get_text (days), ==, "5");
  g_assert_false (gtk_widget_get_sensitive (create));
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (policy_dialog), "policy.create", NULL) &&
                  cb_policy_dialog_get_busy (policy_dialog));
  gtk_editable_set_text (days, "120");
  g_assert_nonnull (cb_policy_dialog_get_error (policy_dialog));
  g_assert_cmpstr (gtk_editable_get_text (days), ==, "120");
  cb_test_app_save_png (GTK_WIDGET (policy_dialog), path, 460, 380);
  gtk_editable_set_text (days, "3 0");
  g_assert_nonnull (cb_policy_dialog_get_error (policy_dialog));
  gtk_editable_set_text (days, "45");
  g_assert_null (cb_policy_dialog_get_error (policy_dialog));
  g_assert_true (gtk_widget_get_sensitive (create));

  /* Someone else fills the credential meanwhile: the service refuses, the dialog stays with
   * its reason and everything typed. */
  cb_adr_client_create_policy_async (cb_context_get_adr (f->app->context), "other", 30, FALSE,
                                     NULL, create_cb, &created);
  cb_test_app_wait (is_true, &created, 30000);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (policy_dialog), "policy.create", NULL));
  g_assert_true (cb_policy_dialog_get_busy (policy_dialog));
  cb_test_app_wait (policy_dialog_idle, policy_dialog, 30000);
  g_assert_true (cb_registry_page_get_policy_dialog (f->page) == policy_dialog);
  g_test_message ("error: %s", cb_policy_dialog_get_error (policy_dialog));
  g_assert_nonnull (strstr (cb_policy_dialog_get_error (policy_dialog), "not created"));
  g_assert_cmpstr (gtk_editable_get_text (name), ==, "line-2");
  g_assert_cmpstr (gtk_editable_get_text (days), ==, "45");
  g_assert_true (gtk_widget_get_sensitive (create));
  path = (g_free (path), g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                "policy-dialog-server-error.png", NULL));
  cb_test_app_save_png (GTK_WIDGET (policy_dialog), path, 460, 380);
  gtk_window_destroy (GTK_WINDOW (policy_dialog));
}

static void
load_all (Fixture *f)
{
  CbDeviceListModel *model = cb_registry_page_get_devices (f->page);

  cb_test_app_spin (300);   /* the search entry's own delay */
  cb_test_app_wait (devices_idle, f, 30000);
  while (!cb_device_list_model_get_complete (model))
    {
      cb_device_list_model_load_more (model);
      cb_test_app_wait (devices_idle, f, 30000);
    }
  g_assert_null (cb_device_list_model_get_error (model));
}

/* Search and filters run as hub query conditions. */
static void
test_search_filter (Fixture       *f,
                    gconstpointer  data)
{
  GListModel *model;
  guint n;

  wait_loaded (f);
  model = G_LIST_MODEL (cb_registry_page_get_devices (f->page));

  cb_registry_page_filter_devices (f->page, "demo-001", -1);
  load_all (f);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 10);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(CbDeviceItem) item = g_list_model_get_item (model, i);
      g_assert_true (g_str_has_prefix (cb_device_item_get_device_id (item), "demo-001"));
    }

  cb_registry_page_filter_devices (f->page, NULL, CB_DEVICE_STATE_EXPIRED);
  load_all (f);
  n = g_list_model_get_n_items (model);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, 240);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbDeviceItem) item = g_list_model_get_item (model, i);
      g_assert_cmpint (cb_device_item_get_state (item), ==, CB_DEVICE_STATE_EXPIRED);
    }

  /* Nothing is disabled in the demo fleet: the empty state, not an empty table. */
  cb_registry_page_filter_devices (f->page, NULL, CB_DEVICE_STATE_DISABLED);
  cb_test_app_spin (300);
  cb_test_app_wait (devices_idle_or_empty, f, 30000);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_null (cb_device_list_model_get_error (cb_registry_page_get_devices (f->page)));
}

static GtkWidget *
find_child_of_type (GtkWidget *widget,
                    GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_child_of_type (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
validity_saved (gpointer data)
{
  Fixture *f = data;
  GListModel *policies = cb_registry_page_get_policies (f->page);
  g_autoptr(CbPolicy) policy = NULL;

  if (cb_registry_page_get_n_operations (f->page) > 0 || g_list_model_get_n_items (policies) != 1)
    return FALSE;
  policy = g_list_model_get_item (policies, 0);
  return cb_policy_get_validity_days (policy) == 90;
}

/* The leaf validity editor: the spin button keeps it within 7..90 and Apply saves it. */
static void
test_edit_validity (Fixture       *f,
                    gconstpointer  data)
{
  GtkSpinButton *spin;

  wait_loaded (f);
  spin = GTK_SPIN_BUTTON (find_child_of_type (GTK_WIDGET (f->page), GTK_TYPE_SPIN_BUTTON));
  g_assert_nonnull (spin);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 30);

  gtk_spin_button_set_value (spin, 5);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 7);
  gtk_spin_button_set_value (spin, 365);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 90);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.save-validity", NULL));
  cb_test_app_wait (validity_saved, f, 30000);
  g_test_message ("toast: %s", cb_registry_page_get_last_toast (f->page));
  g_assert_nonnull (strstr (cb_registry_page_get_last_toast (f->page), "90 days"));
}

static gboolean
validity_is (Fixture *f,
             guint    days)
{
  GListModel *policies = cb_registry_page_get_policies (f->page);
  g_autoptr(CbPolicy) policy = NULL;

  if (cb_registry_page_get_n_operations (f->page) > 0 || g_list_model_get_n_items (policies) != 1)
    return FALSE;
  policy = g_list_model_get_item (policies, 0);
  return cb_policy_get_validity_days (policy) == days;
}

static gboolean
validity_is_7 (gpointer data)
{
  return validity_is (data, 7);
}

/* The toast labels on screen: the overlay's children other than its content. */
static void
collect_toast_titles (GtkWidget *overlay,
                      GString   *titles)
{
  GtkWidget *content = adw_toast_overlay_get_child (ADW_TOAST_OVERLAY (overlay));

  for (GtkWidget *child = gtk_widget_get_first_child (overlay);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *label;

      if (child == content)
        continue;
      label = cb_test_app_find_widget (child, GTK_TYPE_LABEL);
      if (label != NULL)
        g_string_append_printf (titles, "[%s]", gtk_label_get_label (GTK_LABEL (label)));
    }
}

/* The overlay shows no toast whose title has the given text (NULL: no toast at all). The
 * hide animation of a replaced or dismissed toast takes its time, longer under a sanitizer. */
typedef struct
{
  GtkWidget  *overlay;
  const char *text;
} ToastGone;

static gboolean
toast_gone (gpointer data)
{
  ToastGone *gone = data;
  g_autoptr(GString) titles = g_string_new ("");

  collect_toast_titles (gone->overlay, titles);
  return gone->text == NULL ? titles->len == 0 : strstr (titles->str, gone->text) == NULL;
}

/* Two validity changes in a row: the second toast replaces the first instead of waiting five
 * seconds behind "valid for 7 days" while the page already says 90. */
static void
test_validity_toast_replaced (Fixture       *f,
                              gconstpointer  data)
{
  GtkWidget *overlay;
  GtkSpinButton *spin;
  AdwToast *toast;
  g_autoptr(GString) titles = g_string_new ("");

  wait_loaded (f);
  overlay = cb_test_app_find_widget (GTK_WIDGET (f->page), ADW_TYPE_TOAST_OVERLAY);
  spin = GTK_SPIN_BUTTON (find_child_of_type (GTK_WIDGET (f->page), GTK_TYPE_SPIN_BUTTON));
  g_assert_nonnull (overlay);
  g_assert_nonnull (spin);

  gtk_spin_button_set_value (spin, 7);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.save-validity", NULL));
  cb_test_app_wait (validity_is_7, f, 30000);
  cb_test_app_spin (100);
  collect_toast_titles (overlay, titles);
  g_test_message ("toasts: %s", titles->str);
  g_assert_nonnull (strstr (titles->str, "valid for 7 days"));

  gtk_spin_button_set_value (spin, 90);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "registry.save-validity", NULL));
  cb_test_app_wait (validity_saved, f, 30000);
  /* The replaced toast's hide animation is 300 ms; a queued one would stay for 5 s. */
  cb_test_app_wait (toast_gone, &(ToastGone) { overlay, "valid for 7 days" }, 3000);
  g_string_truncate (titles, 0);
  collect_toast_titles (overlay, titles);
  g_test_message ("toasts: %s", titles->str);
  g_assert_nonnull (strstr (titles->str, "valid for 90 days"));
  g_assert_null (strstr (titles->str, "valid for 7 days"));

  /* And nothing stale waits behind it: dismissed, no toast follows. */
  toast = cb_toast_overlay_get_kind (ADW_TOAST_OVERLAY (overlay), CB_REGISTRY_TOAST_VALIDITY);
  g_assert_nonnull (toast);
  g_assert_nonnull (strstr (adw_toast_get_title (toast), "90 days"));
  adw_toast_dismiss (toast);
  g_assert_null (cb_toast_overlay_get_kind (ADW_TOAST_OVERLAY (overlay),
                                            CB_REGISTRY_TOAST_VALIDITY));
  cb_test_app_wait (toast_gone, &(ToastGone) { overlay, NULL }, 3000);
  g_string_truncate (titles, 0);
  collect_toast_titles (overlay, titles);
  g_test_message ("toasts after dismissing: %s", titles->str);
  g_assert_cmpstr (titles->str, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-registry/forbidden-wording", test_forbidden_wording);
  g_test_add ("/cb/app-registry/policies", Fixture, NULL, fixture_setup, test_policies,
              fixture_teardown);
  g_test_add ("/cb/app-registry/validity-toast-replaced", Fixture, NULL, fixture_setup,
              test_validity_toast_replaced, fixture_teardown);
  g_test_add ("/cb/app-registry/lazy-paging", Fixture, NULL, fixture_setup, test_lazy_paging,
              fixture_teardown);
  g_test_add ("/cb/app-registry/typed-name", Fixture, NULL, fixture_setup, test_typed_name,
              fixture_teardown);
  g_test_add ("/cb/app-registry/revoke-device", Fixture, NULL, fixture_setup, test_revoke_device,
              fixture_teardown);

  g_test_add ("/cb/app-registry/forbidden-live", Fixture, NULL, fixture_setup, test_forbidden_live,
              fixture_teardown);
  g_test_add ("/cb/app-registry/policy-lifecycle", Fixture, NULL, fixture_setup,
              test_policy_lifecycle, fixture_teardown);
  g_test_add ("/cb/app-registry/policy-dialog", Fixture, NULL, fixture_setup, test_policy_dialog,
              fixture_teardown);
  g_test_add ("/cb/app-registry/byor-policy", Fixture, NULL, fixture_setup, test_byor_policy,
              fixture_teardown);
  g_test_add ("/cb/app-registry/views", Fixture, NULL, fixture_setup, test_views, fixture_teardown);
  g_test_add ("/cb/app-registry/narrow", Fixture, NULL, fixture_setup, test_narrow,
              fixture_teardown);
  g_test_add ("/cb/app-registry/policy-certificate", Fixture, NULL, fixture_setup,
              test_policy_certificate, fixture_teardown);
  g_test_add ("/cb/app-registry/revoke-issuer", Fixture, NULL, fixture_setup, test_revoke_issuer,
              fixture_teardown);

  return g_test_run ();
}
