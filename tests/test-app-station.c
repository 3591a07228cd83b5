/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bench repairs itself from the app: the station's policy or enrollment group goes away,
 * a run fails, the banner says why, its button opens the chooser read from the service, and
 * after a choice (a new policy, another group) the next Provision passes. */
#include "config.h"

#include <string.h>

#include "cb-bench-page.h"
#include "cb-dps-service-client.h"
#include "cb-error.h"
#include "cb-policy-dialog.h"
#include "cb-station-chooser.h"
#include "cb-test-app.h"
#include "cbd-virtual-device.h"

typedef struct
{
  CbTestApp   *app;
  GtkWidget   *window;
  CbBenchPage *bench;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  f->bench = CB_BENCH_PAGE (cb_bench_page_new (f->app->context));
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->bench));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* The Virtual device stops with its test: it must not outlive the test's folder and
   * sandbox while a reference to the page is still let go of (it would write into a folder
   * that is gone, in the next test). */
  if (cb_bench_page_get_virtual_device (f->bench) != NULL)
    g_object_run_dispose (G_OBJECT (cb_bench_page_get_virtual_device (f->bench)));
  gtk_window_destroy (GTK_WINDOW (f->window));
  cb_test_app_spin (100);
  cb_test_app_free (f->app);
}

static gboolean
page_idle (gpointer user_data)
{
  return cb_bench_page_get_n_running (CB_BENCH_PAGE (user_data)) == 0;
}

static gboolean
has_problem (gpointer user_data)
{
  return cb_bench_page_get_station_problem (CB_BENCH_PAGE (user_data)) != NULL;
}

static gboolean
no_problem (gpointer user_data)
{
  return cb_bench_page_get_station_problem (CB_BENCH_PAGE (user_data)) == NULL;
}

static gboolean
chooser_closed (gpointer user_data)
{
  return cb_bench_page_get_station_chooser (CB_BENCH_PAGE (user_data)) == NULL;
}

static gboolean
chooser_loaded (gpointer user_data)
{
  const char *state = cb_station_chooser_get_state (user_data);

  return g_strcmp0 (state, "loading") != 0;
}

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (CB_IS_ADR_CLIENT (object))
    g_assert_true (cb_adr_client_delete_policy_finish (CB_ADR_CLIENT (object), result, &error));
  else
    g_assert_true (cb_dps_service_client_delete_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                        &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
put_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GError) error = NULL;

  group = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* Provisions the Virtual device; returns whether it passed. */
static gboolean
provision (Fixture *f)
{
  CbVirtualDevice *device = cb_bench_page_get_virtual_device (f->bench);
  const char *path = cb_virtual_device_get_path (device);
  CbRunResult *result;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bench), "bench.provision", "s", path));
  cb_test_app_wait (page_idle, f->bench, 60000);
  result = cb_provisioning_run_get_result (cb_bench_page_get_run (f->bench, path));
  g_assert_nonnull (result);
  if (!cb_run_result_get_passed (result))
    g_test_message ("run failed: %s", cb_run_result_get_error (result) != NULL
                                        ? cb_run_result_get_error (result)->message : "?");
  return cb_run_result_get_passed (result);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return GTK_WINDOW (window);
    }
  return NULL;
}

static gboolean
no_policy_dialog (gpointer user_data)
{
  return find_toplevel (CB_TYPE_POLICY_DIALOG) == NULL;
}

static char *
shot (const char *name)
{
  return g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);
}

static void
save_page (Fixture    *f,
           const char *name)
{
  g_autofree char *path = shot (name);

  cb_test_app_save_png (f->window, path, 1280, 800);
}

/* The station's policy is deleted: the run fails, the banner names it, and a new policy
 * chosen from the banner's chooser repairs the bench. */
static void
test_policy_deleted (Fixture       *f,
                     gconstpointer  data)
{
  CbContext *context = f->app->context;
  CbStationChooser *chooser;
  CbPolicyDialog *dialog;
  g_auto(GStrv) names = NULL;
  g_autofree char *png = NULL;
  gboolean deleted = FALSE;

  /* Healthy first: no banner, the rows say what the station uses. */
  cb_test_app_spin (1500);
  g_assert_null (cb_bench_page_get_station_problem (f->bench));
  save_page (f, "bench-station-card.png");

  cb_adr_client_delete_policy_async (cb_context_get_adr (context),
                                     cb_profile_get_credential_policy (cb_context_get_profile (context)),
                                     NULL, done_cb, &deleted);
  cb_test_app_wait (is_true, &deleted, 30000);

  /* Back on the bench (as after the Registry page), it says so before any run. */
  gtk_widget_set_visible (GTK_WIDGET (f->bench), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (f->bench), TRUE);
  cb_test_app_wait (has_problem, f->bench, 30000);
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (f->bench), "default · no longer exists"));

  g_assert_false (provision (f));
  cb_test_app_wait (has_problem, f->bench, 30000);
  g_test_message ("banner: %s", cb_bench_page_get_station_problem (f->bench));
  g_assert_nonnull (strstr (cb_bench_page_get_station_problem (f->bench), "no longer exists"));
  g_assert_nonnull (strstr (cb_bench_page_get_station_problem (f->bench), "default"));
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (f->bench), "default · no longer exists"));
  g_assert_nonnull (cb_test_app_find_button (GTK_WIDGET (f->bench), "Choose _Policy…"));
  save_page (f, "bench-station-banner.png");

  /* The banner's button opens the policy chooser: the credential has none now. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bench), "bench.fix-station", NULL));
  chooser = cb_bench_page_get_station_chooser (f->bench);
  g_assert_nonnull (chooser);
  cb_test_app_wait (chooser_loaded, chooser, 30000);
  g_assert_cmpstr (cb_station_chooser_get_state (chooser), ==, "empty");
  png = shot ("station-chooser-policy-empty.png");
  cb_test_app_save_png (GTK_WIDGET (chooser), png, 480, 460);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chooser), "chooser.new-policy", NULL));
  dialog = CB_POLICY_DIALOG (find_toplevel (CB_TYPE_POLICY_DIALOG));
  g_assert_nonnull (dialog);
  gtk_editable_set_text (cb_policy_dialog_get_name_entry (dialog), "line2");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "policy.create", NULL));
  cb_test_app_wait (no_policy_dialog, NULL, 30000);
  cb_test_app_wait (chooser_loaded, chooser, 30000);
  g_assert_cmpstr (cb_station_chooser_get_state (chooser), ==, "list");
  names = cb_station_chooser_dup_names (chooser);
  g_assert_cmpuint (g_strv_length (names), ==, 1);
  g_assert_cmpstr (names[0], ==, "line2");
  g_free (png);
  png = shot ("station-chooser-policy.png");
  cb_test_app_save_png (GTK_WIDGET (chooser), png, 480, 460);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chooser), "chooser.use", NULL));
  cb_test_app_wait (chooser_closed, f->bench, 30000);
  g_assert_cmpstr (cb_profile_get_credential_policy (cb_context_get_profile (context)), ==,
                   "line2");
  cb_test_app_wait (no_problem, f->bench, 30000);

  g_assert_true (provision (f));
  g_assert_null (cb_bench_page_get_station_problem (f->bench));
}

/* The station's enrollment group is deleted: the banner offers the groups DPS has, and the
 * chosen one (with its key) makes the next run pass. */
static void
test_enrollment_deleted (Fixture       *f,
                         gconstpointer  data)
{
  CbContext *context = f->app->context;
  CbDpsServiceClient *service = cb_context_get_dps_service (context);
  CbProfile *profile = cb_context_get_profile (context);
  g_autoptr(JsonObject) group = NULL;
  g_autofree char *old_group = g_strdup (cb_profile_get_enrollment_group_id (profile));
  g_autofree char *png = NULL;
  g_auto(GStrv) names = NULL;
  CbStationChooser *chooser;
  gboolean done = FALSE;

  g_assert_nonnull (service);
  group = cb_dps_enrollment_new_symmetric_key (CB_DPS_ENROLLMENT_GROUP, "line-b",
                                               cb_profile_get_credential_policy (profile),
                                               NULL, NULL, NULL);
  cb_dps_service_client_put_async (service, CB_DPS_ENROLLMENT_GROUP, "line-b", group, NULL, NULL,
                                   put_cb, &done);
  cb_test_app_wait (is_true, &done, 30000);
  done = FALSE;
  cb_dps_service_client_delete_async (service, CB_DPS_ENROLLMENT_GROUP, old_group, NULL, NULL,
                                      done_cb, &done);
  cb_test_app_wait (is_true, &done, 30000);

  g_assert_false (provision (f));
  cb_test_app_wait (has_problem, f->bench, 30000);
  g_test_message ("banner: %s", cb_bench_page_get_station_problem (f->bench));
  g_assert_nonnull (strstr (cb_bench_page_get_station_problem (f->bench), old_group));
  g_assert_nonnull (cb_test_app_find_button (GTK_WIDGET (f->bench), "Choose _Enrollment Group…"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bench), "bench.fix-station", NULL));
  chooser = cb_bench_page_get_station_chooser (f->bench);
  cb_test_app_wait (chooser_loaded, chooser, 30000);
  g_assert_cmpstr (cb_station_chooser_get_state (chooser), ==, "list");
  names = cb_station_chooser_dup_names (chooser);
  g_assert_true (g_strv_contains ((const char * const *) names, "line-b"));
  g_assert_false (g_strv_contains ((const char * const *) names, old_group));
  g_assert_true (cb_station_chooser_select (chooser, "line-b"));
  png = shot ("station-chooser-enrollment.png");
  cb_test_app_save_png (GTK_WIDGET (chooser), png, 480, 460);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (chooser), "chooser.use", NULL));
  cb_test_app_wait (chooser_closed, f->bench, 30000);
  g_assert_cmpstr (cb_profile_get_enrollment_group_id (cb_context_get_profile (context)), ==,
                   "line-b");
  cb_test_app_wait (no_problem, f->bench, 30000);

  g_assert_true (provision (f));
}

int
main (int   argc,
      char *argv[])
{
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app-station/policy-deleted", Fixture, NULL, fixture_setup,
              test_policy_deleted, fixture_teardown);
  g_test_add ("/cb/app-station/enrollment-deleted", Fixture, NULL, fixture_setup,
              test_enrollment_deleted, fixture_teardown);

  return g_test_run ();
}
