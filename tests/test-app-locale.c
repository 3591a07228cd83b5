/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>

#include "cb-i18n.h"
#include "cb-provisioning-run.h"
#include "cb-test-app.h"
#include "cb-window.h"

/* The main window in German, with the catalogue the build made from po/de.po: proves that
 * the C strings (_()), the GtkBuilder templates and the plural forms all reach the screen. */

static char *
page_title (GtkWidget  *window,
            const char *name)
{
  AdwViewStack *stack = ADW_VIEW_STACK (cb_test_app_find_widget (window, ADW_TYPE_VIEW_STACK));
  GtkWidget *child;

  g_assert_nonnull (stack);
  child = adw_view_stack_get_child_by_name (stack, name);
  g_assert_nonnull (child);
  return g_strdup (adw_view_stack_page_get_title (adw_view_stack_get_page (stack, child)));
}

static gboolean have_locale;

static void
require_locale (void)
{
  if (!have_locale)
    g_test_message ("de_DE.UTF-8 is not generated (build-aux/setup.sh does it)");
  g_assert_true (have_locale);
}

static void
test_locale_catalogue (void)
{
  require_locale ();
  /* The catalogue itself, independent of any widget. */
  g_assert_cmpstr (_("Bench"), ==, "Prüfplatz");
  g_assert_cmpstr (g_dngettext (GETTEXT_PACKAGE, "%u device", "%u devices", 1), ==, "%u Gerät");
  g_assert_cmpstr (g_dngettext (GETTEXT_PACKAGE, "%u device", "%u devices", 3), ==, "%u Geräte");
  g_assert_cmpstr (g_dpgettext2 (GETTEXT_PACKAGE, "shortcut window", "Quit"), ==, "Beenden");
  /* Run step titles are English in core and translated where the app shows them. */
  g_assert_cmpstr (_(cb_run_step_kind_to_title (CB_RUN_STEP_IDENTIFY)), ==, "Gerät identifizieren");
  g_assert_cmpstr (_(cb_run_step_kind_to_title (CB_RUN_STEP_HUB_CONNECT)), ==, "Hub-Verbindung");
}

static void
test_locale_window (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  CbWindow *window = cb_window_new (NULL, app->context);
  g_autofree char *bench = NULL;
  g_autofree char *fleet = NULL;

  require_locale ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  gtk_window_present (GTK_WINDOW (window));
  cb_test_app_spin (100);

  /* Page titles come from _() in cb-window.c. */
  bench = page_title (GTK_WIDGET (window), "bench");
  fleet = page_title (GTK_WIDGET (window), "fleet");
  g_assert_cmpstr (bench, ==, "Prüfplatz");
  g_assert_cmpstr (fleet, ==, "Flotte");
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (window), "Prüfplatz"));
  g_assert_null (cb_test_app_find_label (GTK_WIDGET (window), "Bench"));

  /* Button labels come from the window's GtkBuilder template. */
  g_assert_nonnull (cb_test_app_find_button (GTK_WIDGET (window), "_Abmelden"));
  g_assert_nonnull (cb_test_app_find_button (GTK_WIDGET (window), "_Verbindungen …"));
  g_assert_null (cb_test_app_find_button (GTK_WIDGET (window), "Sign _Out"));
  g_assert_null (cb_test_app_find_button (GTK_WIDGET (window), "_Connections…"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static char *app_path;

/* The certbench binary in the build tree reads the catalogues the build made; an installed one
 * (any other path, even with the same name) never looks there. */
static void
test_locale_uninstalled (void)
{
  g_autofree char *build_po = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *copy = g_test_build_filename (G_TEST_BUILT, "certbench", NULL);
  g_autofree char *expected = realpath (build_po, NULL);
  g_autofree char *got = NULL;

  require_locale ();
  g_assert_true (g_file_test (app_path, G_FILE_TEST_IS_EXECUTABLE));
  got = realpath (cb_i18n_get_locale_dir (app_path), NULL);
  g_assert_nonnull (got);
  g_assert_cmpstr (got, ==, expected);

  g_assert_cmpstr (cb_i18n_get_locale_dir ("/usr/bin/certbench"), ==, LOCALEDIR);
  g_assert_cmpstr (cb_i18n_get_locale_dir (copy), ==, LOCALEDIR);
  g_assert_cmpstr (cb_i18n_get_locale_dir (NULL), ==, LOCALEDIR);

  /* main.c's call, made in main() below for the built binary: German on screen. */
  g_assert_cmpstr (_("Bench"), ==, "Prüfplatz");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  /* Before any thread exists: setenv is not thread-safe. */
  g_setenv ("LANGUAGE", "de", TRUE);
  cb_test_app_init (&argc, &argv);

  /* gtk_test_init forces an English locale; switch to German afterwards. The catalogue is
   * found the way main.c finds it for the uninstalled binary: the one meson built into
   * <build>/po, not an installed one. */
  have_locale = setlocale (LC_ALL, "de_DE.UTF-8") != NULL;
  app_path = g_test_build_filename (G_TEST_BUILT, "..", "src", "app", "certbench", NULL);
  cb_i18n_init (app_path);

  g_test_add_func ("/cb/app-locale/uninstalled", test_locale_uninstalled);
  g_test_add_func ("/cb/app-locale/catalogue", test_locale_catalogue);
  g_test_add_func ("/cb/app-locale/window", test_locale_window);

  ret = g_test_run ();
  g_free (app_path);
  return ret;
}
