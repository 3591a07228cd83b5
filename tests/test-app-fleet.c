/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The fleet expiry page against the demo seed: its COUNT() groups agree with the twins the hub
 * holds, and each group opens a list of exactly its devices. */

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

/* Every twin, page by page, classified on its own dates: an independent count. */
static void
classify_fleet (CbHubClient *hub,
                double       fraction,
                guint        counts[4],
                guint       *total)
{
  g_autofree char *continuation = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  *total = 0;
  memset (counts, 0, 4 * sizeof (guint));

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
                                          NULL, now, fraction);
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
test_counts (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  double fraction = g_settings_get_double (settings, "renewal-fraction");
  guint expected[4];
  guint total;
  guint sum = 0;
  g_autofree char *path = NULL;

  cb_test_app_wait (counted, f, 30000);
  classify_fleet (cb_context_get_hub (f->app->context), fraction, expected, &total);

  g_assert_cmpuint (cb_fleet_page_get_total (f->page), ==, total);
  g_assert_cmpuint (total, ==, 240);
  for (guint i = 0; i < 4; i++)
    {
      g_test_message ("%s: page %u, twins %u", cb_device_state_to_label (i),
                      cb_fleet_page_get_count (f->page, i), expected[i]);
      g_assert_cmpuint (cb_fleet_page_get_count (f->page, i), ==, expected[i]);
      g_assert_cmpuint (expected[i], >, 0);
      sum += cb_fleet_page_get_count (f->page, i);
    }
  g_assert_cmpuint (sum, ==, total);

  path = g_test_build_filename (G_TEST_BUILT, "screenshots", "fleet-page.png", NULL);
  cb_test_app_save_png (GTK_WIDGET (f->page), path, 1280, 800);

  /* A different renewal point moves devices between healthy and renewal due. */
  g_settings_set_double (settings, "renewal-fraction", 0.5);
  cb_test_app_spin (50);
  cb_test_app_wait (counted, f, 30000);
  classify_fleet (cb_context_get_hub (f->app->context), 0.5, expected, &total);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (cb_fleet_page_get_count (f->page, i), ==, expected[i]);
  g_settings_reset (settings, "renewal-fraction");
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

  for (int state = 0; state < 4; state++)
    {
      guint n;

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

static void
test_conditions (void)
{
  gint64 now = 1800000000;
  g_autofree char *expired = cb_device_state_build_condition (CB_DEVICE_STATE_EXPIRED, now, 0.75, 30);
  g_autofree char *due = cb_device_state_build_condition (CB_DEVICE_STATE_RENEWAL_DUE, now, 0.75, 30);
  g_autofree char *healthy = cb_device_state_build_condition (CB_DEVICE_STATE_HEALTHY, now, 0.75, 30);
  g_autofree char *silent = cb_device_state_build_condition (CB_DEVICE_STATE_NOT_REPORTING, now, 0.75, 30);
  g_autofree char *now_text = cb_time_format_fixed (now);
  /* 25 % of 30 days after now */
  g_autofree char *cutoff = cb_time_format_fixed (now + 30 * 86400 / 4);

  g_assert_nonnull (strstr (expired, now_text));
  g_assert_nonnull (strstr (due, now_text));
  g_assert_nonnull (strstr (due, cutoff));
  g_assert_nonnull (strstr (healthy, cutoff));
  g_assert_cmpstr (silent, ==, "NOT IS_DEFINED(properties.reported.certificate.validUntil)");
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-fleet/conditions", test_conditions);
  g_test_add ("/cb/app-fleet/counts", Fixture, NULL, fixture_setup, test_counts, fixture_teardown);
  g_test_add ("/cb/app-fleet/group-list", Fixture, NULL, fixture_setup, test_group_list,
              fixture_teardown);

  return g_test_run ();
}
