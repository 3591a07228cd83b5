/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cb-bench-page.h"
#include "cb-connections-window.h"
#include "cb-device-page.h"
#include "cb-diagnostics-page.h"
#include "cb-preferences-window.h"
#include "cb-sign-in-dialog.h"
#include "cb-test-app.h"
#include "cb-window.h"

/* One PNG per main page at 1280×800 on the demo seed, into <build>/tests/screenshots: the
 * metainfo screenshots come from these, and people look at them to catch clipped text and
 * empty panes. */

#define WIDTH  1280
#define HEIGHT 800
#define NARROW_WIDTH  360
#define NARROW_HEIGHT 720

static const char * const pages[] = { "bench", "journal", "registry", "fleet", "diagnostics" };

static CbTestApp *app;
static CbWindow *window;

static gboolean
bench_idle (gpointer data)
{
  return cb_bench_page_get_n_running (CB_BENCH_PAGE (data)) == 0;
}

static void
test_screenshot (gconstpointer data)
{
  const char *page = data;
  g_autofree char *name = g_strconcat (page, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", page));
  g_assert_cmpstr (cb_window_get_page (window), ==, page);

  /* Pages load from the sandbox when shown; give them time to get there. */
  cb_test_app_spin (1500);
  cb_test_app_save_png (GTK_WIDGET (window), path, WIDTH, HEIGHT);

  texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, WIDTH);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, HEIGHT);
}

/* The same pages in a 360-pixel window (a phone, a narrow tile): nothing clipped, the view
 * switcher at the bottom, the two-pane pages one pane at a time. */
static void
test_screenshot_narrow (gconstpointer data)
{
  const char *page = data;
  g_autofree char *name = g_strconcat ("narrow-", page, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);
  GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (window));
  GtkWidget *bar = cb_test_app_find_widget (content, ADW_TYPE_VIEW_SWITCHER_BAR);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", page));
  cb_test_app_spin (1500);
  cb_test_app_save_png (GTK_WIDGET (window), path, NARROW_WIDTH, NARROW_HEIGHT);

  texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, NARROW_WIDTH);
  g_assert_nonnull (bar);
  g_assert_true (adw_view_switcher_bar_get_reveal (ADW_VIEW_SWITCHER_BAR (bar)));
}

/* Narrow, the bench shows one pane: choosing the Virtual device shows its run, with a back
 * button to the ports. */
static void
test_screenshot_narrow_bench_run (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                 "narrow-bench-run.png", NULL);
  GtkWidget *page = cb_window_get_page_widget (window, "bench");
  CbVirtualDevice *device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (page));
  AdwLeaflet *leaflet = ADW_LEAFLET (cb_test_app_find_widget (page, ADW_TYPE_LEAFLET));

  /* The narrow tests before this one left the window 360 pixels wide. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "bench"));
  cb_test_app_spin (200);
  g_assert_true (adw_leaflet_get_folded (leaflet));
  g_assert_true (gtk_widget_activate_action (page, "bench.provision", "s",
                                             cb_virtual_device_get_path (device)));
  cb_test_app_wait (bench_idle, page, 60000);
  cb_test_app_save_png (GTK_WIDGET (window), path, NARROW_WIDTH, NARROW_HEIGHT);
  {
    CbProvisioningRun *run = cb_bench_page_get_run (CB_BENCH_PAGE (page),
                                                    cb_virtual_device_get_path (device));
    CbRunResult *result = run != NULL ? cb_provisioning_run_get_result (run) : NULL;

    if (result != NULL && cb_run_result_get_error (result) != NULL)
      g_test_message ("run failed: %s", cb_run_result_get_error (result)->message);
  }
  g_assert_cmpstr (cb_bench_page_get_result_text (CB_BENCH_PAGE (page)), ==, "PASS");
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (adw_leaflet_get_visible_child (leaflet)), ==, "GtkStack");

  /* The run's buttons are on a row under the port's name, which keeps the pane's width: beside
   * it they left the name about 70 pixels, a few letters a line, and pushed the result below
   * the fold. */
  {
    GtkWidget *title = cb_test_app_find_label (page, "Virtual device (Certbench)");
    GtkWidget *again = cb_test_app_find_button (page, "_Provision Again");
    graphene_rect_t title_bounds, again_bounds;

    g_assert_nonnull (title);
    g_assert_nonnull (again);
    g_assert_true (gtk_widget_compute_bounds (title, page, &title_bounds));
    g_assert_true (gtk_widget_compute_bounds (again, page, &again_bounds));
    g_assert_cmpfloat (again_bounds.origin.y, >=, title_bounds.origin.y + title_bounds.size.height);
    g_assert_cmpfloat (title_bounds.size.width, >=, NARROW_WIDTH / 2);
  }

  /* Back to the ports. */
  g_assert_true (gtk_widget_activate_action (page, "bench.show-ports", NULL));
  cb_test_app_spin (500);
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (adw_leaflet_get_visible_child (leaflet)), ==, "AdwClamp");
}

/* Narrow, the registry's views replace its sidebar: the devices with their wrapped actions. */
static void
test_screenshot_narrow_registry_devices (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                 "narrow-registry-devices.png", NULL);
  GtkWidget *page = cb_window_get_page_widget (window, "registry");
  AdwLeaflet *leaflet = ADW_LEAFLET (cb_test_app_find_widget (page, ADW_TYPE_LEAFLET));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s",
                                             "registry"));
  g_assert_true (gtk_widget_activate_action (page, "registry.show-view", "s", "devices"));
  cb_test_app_spin (1500);
  cb_test_app_save_png (GTK_WIDGET (window), path, NARROW_WIDTH, NARROW_HEIGHT);
  g_assert_true (adw_leaflet_get_folded (leaflet));
  g_assert_cmpstr (gtk_widget_get_name (adw_leaflet_get_visible_child (leaflet)), !=, "");

  g_assert_true (gtk_widget_activate_action (page, "registry.show-sidebar", NULL));
  g_assert_true (gtk_widget_activate_action (page, "registry.show-view", "s", "policy"));
}

/* ---- The metainfo's screenshots of issue 17: the board, the device page, the verdict ------- */

/* At 1280×800 as the app's users see it: without the development build's striped header, the
 * header's view switcher settled at the new width (a narrow test may come before), and the
 * toasts of what came before gone (they last five seconds). Named metainfo-*.png: the other
 * tests' pictures of the same pages keep their names. */
static void
save_metainfo_shot (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", file, NULL);
  gboolean devel = gtk_widget_has_css_class (GTK_WIDGET (window), "devel");

  gtk_widget_remove_css_class (GTK_WIDGET (window), "devel");
  cb_test_app_save_png (GTK_WIDGET (window), path, WIDTH, HEIGHT);
  cb_test_app_spin (5500);
  cb_test_app_save_png (GTK_WIDGET (window), path, WIDTH, HEIGHT);
  if (devel)
    gtk_widget_add_css_class (GTK_WIDGET (window), "devel");
}

static const char *
provisioned_device_id (CbBenchPage *bench)
{
  CbVirtualDevice *device = cb_bench_page_get_virtual_device (bench);
  CbProvisioningRun *run = cb_bench_page_get_run (bench, cb_virtual_device_get_path (device));
  CbRunResult *result = run != NULL ? cb_provisioning_run_get_result (run) : NULL;

  return result != NULL && cb_run_result_get_passed (result)
           ? cb_run_result_get_registration_id (result) : NULL;
}

/* The station's board: every port's last result in large type (after bench-run-narrow's run,
 * the Virtual device's PASS). */
static void
test_bench_board (void)
{
  GtkWidget *page = cb_window_get_page_widget (window, "bench");
  g_autofree char *narrow = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                   "narrow-bench-board.png", NULL);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "bench"));
  g_assert_nonnull (provisioned_device_id (CB_BENCH_PAGE (page)));
  g_assert_true (gtk_widget_activate_action (page, "bench.show-board", NULL));
  cb_test_app_spin (500);
  g_assert_true (cb_bench_page_get_board_shown (CB_BENCH_PAGE (page)));
  save_metainfo_shot ("metainfo-bench-board");
  cb_test_app_save_png (GTK_WIDGET (window), narrow, NARROW_WIDTH, NARROW_HEIGHT);
}

static gboolean
device_page_loaded (gpointer data)
{
  GtkWidget *page = cb_window_get_device_page (window);

  return page != NULL && cb_device_page_get_state_reason (CB_DEVICE_PAGE (page)) != NULL;
}

/* The device just provisioned, on its own page. */
static void
test_device_page (void)
{
  GtkWidget *bench = cb_window_get_page_widget (window, "bench");
  const char *device_id = provisioned_device_id (CB_BENCH_PAGE (bench));

  g_assert_nonnull (device_id);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-device", "s",
                                             device_id));
  cb_test_app_wait (device_page_loaded, NULL, 30000);
  cb_test_app_spin (500);
  save_metainfo_shot ("metainfo-device-page");
  g_assert_true (gtk_widget_activate_action (cb_window_get_device_page (window), "device.back",
                                             NULL));
  cb_test_app_spin (200);
}

static gboolean
diagnosis_done (gpointer data)
{
  return !cb_diagnostics_page_get_running (data);
}

/* Diagnostics on the Virtual device: its verdict on top of the checks. */
static void
test_diagnostics_verdict (void)
{
  GtkWidget *bench = cb_window_get_page_widget (window, "bench");
  GtkWidget *page = cb_window_get_page_widget (window, "diagnostics");
  CbVirtualDevice *device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (bench));
  g_autofree char *verdict = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s",
                                             "diagnostics"));
  cb_diagnostics_page_run (CB_DIAGNOSTICS_PAGE (page), cb_virtual_device_get_path (device));
  cb_test_app_wait (diagnosis_done, page, 60000);
  verdict = cb_diagnostics_page_dup_verdict (CB_DIAGNOSTICS_PAGE (page), NULL);
  g_test_message ("verdict: %s", verdict);
  g_assert_nonnull (verdict);
  cb_test_app_spin (500);
  save_metainfo_shot ("metainfo-diagnostics-verdict");
}

static void
save_dialog (GtkWindow  *dialog,
             const char *name,
             int         width,
             int         height)
{
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", file, NULL);

  gtk_window_set_transient_for (dialog, GTK_WINDOW (window));
  cb_test_app_save_png (GTK_WIDGET (dialog), path, width, height);
  gtk_window_destroy (dialog);
}

static void
test_connections (void)
{
  CbConnectionsWindow *connections = cb_connections_window_new (app->context);
  g_autoptr(CbProfile) azure = NULL;

  azure = cb_profile_new_azure ("Line 1 (West Europe)", "contoso.onmicrosoft.com",
                                "11111111-2222-3333-4444-555555555555",
                                "00000000-0000-0000-0000-000000000001", "rg-line1", "hub-line1",
                                NULL, "0ne00000001");
  cb_profile_set_namespace (azure, "ns-line1");
  g_assert_true (cb_context_save_profile (app->context, azure, NULL));

  save_dialog (GTK_WINDOW (connections), "connections", 640, 560);

  connections = cb_connections_window_new (app->context);
  cb_connections_window_edit (connections, cb_profile_get_id (azure));
  save_dialog (GTK_WINDOW (connections), "connections-edit", 640, 760);

  g_assert_true (cb_context_remove_profile (app->context, cb_profile_get_id (azure), NULL));
}

static gboolean
has_code (gpointer user_data)
{
  return cb_sign_in_dialog_get_code (user_data) != NULL;
}

static void
test_sign_in (void)
{
  CbSignInDialog *dialog;

  /* Keep the code on screen: the sandbox waits for an approval that never comes. */
  cb_sandbox_set_auto_approve (app->ts->sandbox, FALSE);
  dialog = cb_sign_in_dialog_new (app->context);
  cb_test_app_wait (has_code, dialog, 10000);
  save_dialog (GTK_WINDOW (dialog), "sign-in", 460, 340);
  cb_sandbox_set_auto_approve (app->ts->sandbox, TRUE);
}

static void
test_preferences (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");

  save_dialog (GTK_WINDOW (cb_preferences_window_new (settings)), "preferences", 560, 520);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  cb_test_app_init (&argc, &argv);

  app = cb_test_app_new (CB_TEST_APP_NONE);
  window = cb_window_new (NULL, app->context);

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *test_path = g_strdup_printf ("/cb/app-screenshots/%s", pages[i]);

      g_test_add_data_func (test_path, pages[i], test_screenshot);
    }

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *test_path = g_strdup_printf ("/cb/app-screenshots/%s-narrow", pages[i]);

      g_test_add_data_func (test_path, pages[i], test_screenshot_narrow);
    }
  g_test_add_func ("/cb/app-screenshots/registry-devices-narrow",
                   test_screenshot_narrow_registry_devices);
  /* Before the dialogs: the sign-in one leaves the sandbox approving nothing for a while. */
  g_test_add_func ("/cb/app-screenshots/bench-run-narrow", test_screenshot_narrow_bench_run);
  /* After bench-run-narrow: they show the device it provisioned. */
  g_test_add_func ("/cb/app-screenshots/bench-board", test_bench_board);
  g_test_add_func ("/cb/app-screenshots/device-page", test_device_page);
  g_test_add_func ("/cb/app-screenshots/diagnostics-verdict", test_diagnostics_verdict);

  g_test_add_func ("/cb/app-screenshots/connections", test_connections);
  g_test_add_func ("/cb/app-screenshots/sign-in", test_sign_in);
  g_test_add_func ("/cb/app-screenshots/preferences", test_preferences);

  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_pointer (&app, cb_test_app_free);
  return ret;
}
