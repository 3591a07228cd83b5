/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cb-test-app.h"
#include "cb-window.h"

/* One PNG per main page at 1280×800 on the demo seed, into <build>/tests/screenshots: the
 * metainfo screenshots come from these, and people look at them to catch clipped text and
 * empty panes. */

#define WIDTH  1280
#define HEIGHT 800

static const char * const pages[] = { "bench", "journal", "registry", "fleet", "diagnostics" };

static CbTestApp *app;
static CbWindow *window;

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

  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_pointer (&app, cb_test_app_free);
  return ret;
}
