/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The fleet expiry page against the demo seed: its COUNT() groups agree with the twins the hub
 * holds, and each group opens a list of exactly its devices; a device revoke and an issuer
 * revoke through the sandbox move devices to Revoked and Needs re-provisioning. */

#include "config.h"

#include "cb-device-list-model.h"
#include "cb-fleet-page.h"
#include "cb-test-app.h"
#include "cb-util.h"
#include "cb-x509.h"

typedef struct
{
  CbTestApp   *app;
  GtkWidget   *window;
  CbFleetPage *page;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  f->page = CB_FLEET_PAGE (cb_fleet_page_new (f->app->context));
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
counted (gpointer data)
{
  Fixture *f = data;
  return !cb_fleet_page_get_loading (f->page) && cb_fleet_page_get_total (f->page) > 0;
}

typedef struct
{
  CbHubQueryPage *page;
  GError         *error;
  gboolean        done;
} QueryWait;

static void
query_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  QueryWait *w = user_data;

  w->page = cb_hub_client_query_finish (CB_HUB_CLIENT (object), result, &w->error);
  w->done = TRUE;
}

static gboolean
query_done (gpointer data)
{
  return ((QueryWait *) data)->done;
}

static gboolean list_idle (gpointer data);

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

/* Every twin, page by page, judged by the state rules on signals read anew: an independent
 * count. */
static void
classify_fleet (CbContext *context,
                double     fraction,
                guint      counts[CB_DEVICE_N_STATES],
                guint     *total)
{
  CbHubClient *hub = cb_context_get_hub (context);
  g_autofree char *continuation = NULL;
  g_autoptr(CbDeviceStateInfo) info = NULL;
  AsyncWait a = { 0 };

  cb_device_state_info_load_async (context, cb_profile_get_credential_policy (cb_context_get_profile (context)),
                                   fraction, NULL, async_cb, &a);
  cb_test_app_wait (async_done, &a, 30000);
  info = cb_device_state_info_load_finish (a.result, NULL);
  g_clear_object (&a.result);
  g_assert_nonnull (info);
  g_assert_null (info->error);

  *total = 0;
  memset (counts, 0, CB_DEVICE_N_STATES * sizeof (guint));

  do
    {
      QueryWait w = { 0 };

      cb_hub_client_query_async (hub, "SELECT * FROM devices", 100, continuation, NULL, query_cb, &w);
      cb_test_app_wait (query_done, &w, 30000);
      g_assert_no_error (w.error);

      for (guint i = 0; i < json_array_get_length (w.page->items); i++)
        {
          g_autoptr(CbDeviceItem) item =
            cb_device_item_new_from_twin (json_array_get_object_element (w.page->items, i),
                                          NULL, info);
          counts[cb_device_item_get_state (item)]++;
          (*total)++;
        }

      g_free (continuation);
      continuation = g_strdup (w.page->continuation);
      cb_hub_query_page_free (w.page);
    }
  while (continuation != NULL);
}

static void
check_counts (Fixture *f,
              double   fraction,
              guint    expected[CB_DEVICE_N_STATES])
{
  guint total;
  guint sum = 0;

  cb_test_app_wait (counted, f, 30000);
  classify_fleet (f->app->context, fraction, expected, &total);

  g_assert_cmpuint (cb_fleet_page_get_total (f->page), ==, total);
  g_assert_cmpuint (total, ==, 240);
  for (guint i = 0; i < CB_DEVICE_N_STATES; i++)
    {
      g_test_message ("%s: page %u, twins %u", cb_device_state_to_label (i),
                      cb_fleet_page_get_count (f->page, i), expected[i]);
      g_assert_cmpuint (cb_fleet_page_get_count (f->page, i), ==, expected[i]);
      sum += cb_fleet_page_get_count (f->page, i);
    }
  g_assert_cmpuint (sum, ==, total);
}

static void
test_counts (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  double fraction = g_settings_get_double (settings, "renewal-fraction");
  guint expected[CB_DEVICE_N_STATES];
  g_autofree char *path = NULL;

  check_counts (f, fraction, expected);
  /* The seed spreads over the date states; nothing is revoked, and revocations are known. */
  g_assert_cmpuint (expected[CB_DEVICE_STATE_EXPIRED], >, 0);
  g_assert_cmpuint (expected[CB_DEVICE_STATE_RENEWAL_DUE], >, 0);
  g_assert_cmpuint (expected[CB_DEVICE_STATE_HEALTHY], >, 0);
  g_assert_cmpuint (expected[CB_DEVICE_STATE_NOT_REPORTING], >, 0);
  g_assert_cmpuint (expected[CB_DEVICE_STATE_REVOKED], ==, 0);
  g_assert_cmpuint (expected[CB_DEVICE_STATE_UNKNOWN], ==, 0);

  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "fleet-page.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);

  /* A different renewal point moves devices between healthy and renewal due. */
  g_settings_set_double (settings, "renewal-fraction", 0.5);
  cb_test_app_spin (50);
  check_counts (f, 0.5, expected);
  g_settings_reset (settings, "renewal-fraction");
}

static gboolean
revoke_done (gpointer data)
{
  return ((AsyncWait *) data)->result != NULL;
}

/* A new user revokes a device, then the policy's issuer: the fleet counts them as revoked and
 * as needing re-provisioning, not as healthy. */
static void
test_revocations (Fixture       *f,
                  gconstpointer  data)
{
  CbAdrClient *adr = cb_context_get_adr (f->app->context);
  CbDeviceListModel *model = cb_fleet_page_get_devices (f->page);
  guint expected[CB_DEVICE_N_STATES];
  guint healthy_before;
  guint due_before;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  AsyncWait w = { 0 };

  check_counts (f, CB_DEFAULT_RENEWAL_FRACTION, expected);
  healthy_before = expected[CB_DEVICE_STATE_HEALTHY];
  due_before = expected[CB_DEVICE_STATE_RENEWAL_DUE];

  /* demo-0001 reports a healthy certificate in the seed. */
  cb_adr_client_revoke_device_async (adr, "demo-0001", FALSE, NULL, async_cb, &w);
  cb_test_app_wait (revoke_done, &w, 30000);
  g_assert_true (cb_adr_client_revoke_device_finish (adr, w.result, &error));
  g_assert_no_error (error);
  g_clear_object (&w.result);

  cb_fleet_page_reload (f->page);
  check_counts (f, CB_DEFAULT_RENEWAL_FRACTION, expected);
  g_assert_cmpuint (cb_fleet_page_get_count (f->page, CB_DEVICE_STATE_REVOKED), ==, 1);
  g_assert_cmpuint (cb_fleet_page_get_count (f->page, CB_DEVICE_STATE_HEALTHY), ==,
                    healthy_before - 1);

  /* The group lists exactly that device, reading Revoked. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "fleet.show-group", "i",
                                             CB_DEVICE_STATE_REVOKED));
  cb_test_app_wait (list_idle, f, 30000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  {
    g_autoptr(CbDeviceItem) item = g_list_model_get_item (G_LIST_MODEL (model), 0);

    g_assert_cmpstr (cb_device_item_get_device_id (item), ==, "demo-0001");
    g_assert_cmpstr (cb_device_item_get_state_label (item), ==, "Revoked");
  }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "fleet.show-summary", NULL));

  /* Revoke the issuer: every certificate it signed needs re-provisioning. */
  cb_adr_client_revoke_issuer_async (adr, "default", NULL, async_cb, &w);
  cb_test_app_wait (revoke_done, &w, 30000);
  g_assert_true (cb_adr_client_revoke_issuer_finish (adr, w.result, &error));
  g_assert_no_error (error);
  g_clear_object (&w.result);

  cb_fleet_page_reload (f->page);
  check_counts (f, CB_DEFAULT_RENEWAL_FRACTION, expected);
  g_assert_cmpuint (cb_fleet_page_get_count (f->page, CB_DEVICE_STATE_HEALTHY), ==, 0);
  g_assert_cmpuint (cb_fleet_page_get_count (f->page, CB_DEVICE_STATE_RENEWAL_DUE), ==, 0);
  g_assert_cmpuint (cb_fleet_page_get_count (f->page, CB_DEVICE_STATE_ISSUER_REVOKED), >=,
                    healthy_before - 1 + due_before);
  g_assert_cmpuint (cb_fleet_page_get_count (f->page, CB_DEVICE_STATE_REVOKED), ==, 1);

  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "fleet-issuer-revoked.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);
}

static gboolean
list_idle (gpointer data)
{
  Fixture *f = data;
  return !cb_device_list_model_get_loading (cb_fleet_page_get_devices (f->page));
}

static void
test_group_list (Fixture       *f,
                 gconstpointer  data)
{
  CbDeviceListModel *model = cb_fleet_page_get_devices (f->page);
  g_autofree char *path = NULL;

  cb_test_app_wait (counted, f, 30000);

  for (int state = 0; state < CB_DEVICE_N_STATES; state++)
    {
      guint n;

      if (state == CB_DEVICE_STATE_REFUSED)
        continue;

      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "fleet.show-group", "i",
                                                 state));
      cb_test_app_wait (list_idle, f, 30000);
      while (!cb_device_list_model_get_complete (model))
        {
          cb_device_list_model_load_more (model);
          cb_test_app_wait (list_idle, f, 30000);
        }
      g_assert_null (cb_device_list_model_get_error (model));

      n = g_list_model_get_n_items (G_LIST_MODEL (model));
      g_assert_cmpuint (n, ==, cb_fleet_page_get_count (f->page, state));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(CbDeviceItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);
          g_assert_cmpint (cb_device_item_get_state (item), ==, state);
        }

      if (state == CB_DEVICE_STATE_EXPIRED)
        {
          path = g_test_build_filename (G_TEST_BUILT, "screenshots", "fleet-expired.png", NULL);
          cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);
        }
    }

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "fleet.show-summary", NULL));
}

static gboolean
group_has (Fixture    *f,
           const char *device_id)
{
  CbDeviceListModel *model = cb_fleet_page_get_devices (f->page);
  g_autoptr(CbDeviceItem) item = cb_device_list_model_dup_device (model, device_id, NULL);

  return item != NULL;
}

/* The healthy group's list, every page of it. */
static guint
list_healthy (Fixture *f)
{
  CbDeviceListModel *model = cb_fleet_page_get_devices (f->page);

  cb_test_app_wait (list_idle, f, 30000);
  while (!cb_device_list_model_get_complete (model))
    {
      cb_device_list_model_load_more (model);
      cb_test_app_wait (list_idle, f, 30000);
    }
  g_assert_null (cb_device_list_model_get_error (model));
  return g_list_model_get_n_items (G_LIST_MODEL (model));
}

static void
delete_device (Fixture    *f,
               const char *device_id)
{
  CbAdrClient *adr = cb_context_get_adr (f->app->context);
  g_autoptr(GError) error = NULL;
  AsyncWait w = { 0 };

  /* What the Registry's and the device page's Delete do. */
  cb_adr_client_delete_device_async (adr, device_id, NULL, async_cb, &w);
  cb_test_app_wait (revoke_done, &w, 30000);
  g_assert_true (cb_adr_client_delete_device_finish (adr, w.result, &error));
  g_assert_no_error (error);
  g_clear_object (&w.result);
}

typedef struct
{
  Fixture    *f;
  const char *gone;
} Relisted;

static gboolean
relisted_without (gpointer data)
{
  Relisted *r = data;

  return !cb_fleet_page_get_loading (r->f->page) &&
         !cb_device_list_model_get_loading (cb_fleet_page_get_devices (r->f->page)) &&
         !group_has (r->f, r->gone);
}

static char *
dup_listed_id (Fixture *f,
               guint    position)
{
  g_autoptr(CbDeviceItem) item =
    g_list_model_get_item (G_LIST_MODEL (cb_fleet_page_get_devices (f->page)), position);

  g_assert_nonnull (item);
  return g_strdup (cb_device_item_get_device_id (item));
}

/* A device deleted in the Registry leaves the fleet: the hub's registry forgets it and its
 * twin (the namespace is the linked hub's registry), so the counts and the group's list have
 * one device fewer, on a reload and on coming back to the list. */
static void
test_deleted_device (Fixture       *f,
                     gconstpointer  data)
{
  guint expected[CB_DEVICE_N_STATES];
  guint total;
  guint total_before;
  guint healthy_before;
  guint listed_before;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  Relisted r = { f, NULL };

  cb_test_app_wait (counted, f, 30000);
  total_before = cb_fleet_page_get_total (f->page);
  healthy_before = cb_fleet_page_get_count (f->page, CB_DEVICE_STATE_HEALTHY);
  g_assert_cmpuint (healthy_before, >=, 2);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "fleet.show-group", "i",
                                             CB_DEVICE_STATE_HEALTHY));
  listed_before = list_healthy (f);
  g_assert_cmpuint (listed_before, ==, healthy_before);
  first = dup_listed_id (f, 0);
  second = dup_listed_id (f, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "fleet.show-summary", NULL));

  delete_device (f, first);
  /* The hub itself: one twin fewer. */
  classify_fleet (f->app->context, CB_DEFAULT_RENEWAL_FRACTION, expected, &total);
  g_assert_cmpuint (total, ==, total_before - 1);

  cb_fleet_page_reload (f->page);
  cb_test_app_wait (counted, f, 30000);
  g_assert_cmpuint (cb_fleet_page_get_total (f->page), ==, total_before - 1);
  g_assert_cmpuint (cb_fleet_page_get_count (f->page, CB_DEVICE_STATE_HEALTHY), ==,
                    healthy_before - 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "fleet.show-group", "i",
                                             CB_DEVICE_STATE_HEALTHY));
  g_assert_cmpuint (list_healthy (f), ==, listed_before - 1);
  g_assert_false (group_has (f, first));
  g_assert_true (group_has (f, second));

  /* The list stays open while the user deletes another in the Registry (the Fleet page
   * hidden meanwhile); coming back shows the list without it. */
  gtk_widget_set_visible (GTK_WIDGET (f->page), FALSE);
  delete_device (f, second);
  gtk_widget_set_visible (GTK_WIDGET (f->page), TRUE);
  r.gone = second;
  cb_test_app_wait (relisted_without, &r, 30000);
  g_assert_cmpuint (list_healthy (f), ==, listed_before - 2);
  g_assert_cmpuint (cb_fleet_page_get_total (f->page), ==, total_before - 2);
  g_assert_cmpuint (cb_fleet_page_get_count (f->page, CB_DEVICE_STATE_HEALTHY), ==,
                    healthy_before - 2);
}

/* A hidden page does not count; shown, it counts its groups once, and being hidden and shown
 * again while that round is under way does not start another. */
static void
test_hidden (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  Fixture f = { app, NULL, NULL };
  GtkWidget *window;

  f.page = CB_FLEET_PAGE (cb_fleet_page_new (app->context));
  g_object_ref_sink (f.page);
  cb_fleet_page_reload (f.page);
  cb_test_app_spin (300);
  g_assert_cmpuint (cb_fleet_page_get_rounds (f.page), ==, 0);
  g_assert_false (cb_fleet_page_get_loading (f.page));

  window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (f.page));
  gtk_window_present (GTK_WINDOW (window));
  /* Hidden and shown again before the counts are in: still the one round. */
  gtk_widget_set_visible (GTK_WIDGET (f.page), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (f.page), TRUE);
  cb_test_app_wait (counted, &f, 60000);
  g_assert_cmpuint (cb_fleet_page_get_rounds (f.page), ==, 1);

  /* Coming back later counts again, once. */
  gtk_widget_set_visible (GTK_WIDGET (f.page), FALSE);
  cb_fleet_page_reload (f.page);
  cb_test_app_spin (200);
  g_assert_cmpuint (cb_fleet_page_get_rounds (f.page), ==, 1);
  gtk_widget_set_visible (GTK_WIDGET (f.page), TRUE);
  cb_test_app_wait (counted, &f, 60000);
  g_assert_cmpuint (cb_fleet_page_get_rounds (f.page), ==, 2);

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (f.page);
  cb_test_app_spin (50);
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app-fleet/counts", Fixture, NULL, fixture_setup, test_counts, fixture_teardown);
  g_test_add ("/cb/app-fleet/group-list", Fixture, NULL, fixture_setup, test_group_list,
              fixture_teardown);
  g_test_add_func ("/cb/app-fleet/hidden", test_hidden);
  g_test_add ("/cb/app-fleet/revocations", Fixture, NULL, fixture_setup, test_revocations,
              fixture_teardown);
  g_test_add ("/cb/app-fleet/deleted-device", Fixture, NULL, fixture_setup, test_deleted_device,
              fixture_teardown);

  return g_test_run ();
}
