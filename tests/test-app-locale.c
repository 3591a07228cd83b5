/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

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
  g_assert_nonnull (cb_test_app_find_button (GTK_WIDGET (window), "_Verbindungen …"));
  g_assert_null (cb_test_app_find_button (GTK_WIDGET (window), "Sign _Out"));
  g_assert_null (cb_test_app_find_button (GTK_WIDGET (window), "_Connections…"));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* A widget's type, its minimum width and the first text in it. */
static void
add_described (GtkWidget *widget,
               GString   *names)
{
  int minimum;
  const char *text = NULL;

  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  for (GtkWidget *w = widget; w != NULL && text == NULL; w = gtk_widget_get_first_child (w))
    text = GTK_IS_LABEL (w) ? gtk_label_get_label (GTK_LABEL (w))
           : GTK_IS_BUTTON (w) ? gtk_button_get_label (GTK_BUTTON (w))
           : NULL;
  g_string_append_printf (names, " [%s %d%s%s%s]", G_OBJECT_TYPE_NAME (widget), minimum,
                          text != NULL ? " \"" : "", text != NULL ? text : "",
                          text != NULL ? "\"" : "");
}

/* The widgets at least @width wide of which no child is: what keeps a window from being
 * narrower, named with their text where they have one. */
static void
add_too_wide (GtkWidget *widget,
              int        width,
              GString   *names)
{
  gboolean child_too_wide = FALSE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int minimum;

      if (!gtk_widget_get_visible (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
      if (minimum > width)
        {
          child_too_wide = TRUE;
          add_too_wide (child, width, names);
        }
    }
  if (!child_too_wide)
    {
      const char *text = GTK_IS_LABEL (widget) ? gtk_label_get_label (GTK_LABEL (widget))
                         : GTK_IS_BUTTON (widget) ? gtk_button_get_label (GTK_BUTTON (widget))
                         : NULL;

      g_string_append_printf (names, " %s%s%s%s", G_OBJECT_TYPE_NAME (widget),
                              text != NULL ? " \"" : "", text != NULL ? text : "",
                              text != NULL ? "\"" : "");
      /* A row of children that fit alone: say what they are. */
      if (gtk_widget_get_first_child (widget) != NULL)
        {
          g_string_append (names, " of");
          for (GtkWidget *child = gtk_widget_get_first_child (widget);
               child != NULL;
               child = gtk_widget_get_next_sibling (child))
            if (gtk_widget_get_visible (child))
              add_described (child, names);
        }
    }
}

/* The shown labels of one word that have less width than the word: a wrapping label cut
 * mid-word ("Ansc-hluss"), the sign of a row squeezed by what sits beside it. */
static void
add_broken_words (GtkWidget *widget,
                  GString   *names)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_LABEL (widget) && gtk_label_get_wrap (GTK_LABEL (widget)) &&
      gtk_label_get_ellipsize (GTK_LABEL (widget)) == PANGO_ELLIPSIZE_NONE)
    {
      const char *text = gtk_label_get_text (GTK_LABEL (widget));
      int natural;

      gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
      if (text[0] != '\0' && strchr (text, ' ') == NULL && strchr (text, '\n') == NULL &&
          gtk_widget_get_width (widget) < natural)
        g_string_append_printf (names, " \"%s\" (%d of %d pixels)", text,
                                gtk_widget_get_width (widget), natural);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    add_broken_words (child, names);
}

/* In German, whose words are longer, every page still fits a window 360 pixels wide (a phone,
 * a narrow tile): nothing asks for more than the window has. */
static void
test_locale_narrow (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NO_SIGN_IN);
  CbWindow *window = cb_window_new (NULL, app->context);
  static const char * const pages[] = { "bench", "journal", "registry", "fleet", "diagnostics" };
  GtkWidget *content;
  int widest = 0;
  g_autoptr(GString) broken = g_string_new (NULL);

  require_locale ();
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  gtk_window_present (GTK_WINDOW (window));
  content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (window));
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autoptr(GString) culprits = g_string_new (NULL);
      int minimum;

      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s",
                                                 pages[i]));
      cb_test_app_spin (1000);
      gtk_widget_measure (content, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
      if (minimum > 360)
        add_too_wide (content, 360, culprits);
      g_test_message ("%s: at least %d pixels wide;%s", pages[i], minimum, culprits->str);
      add_broken_words (content, broken);
      /* For people to look at: nothing clipped, nothing squeezed to a letter a line. */
      {
        g_autofree char *name = g_strdup_printf ("narrow-de-%s.png", pages[i]);
        g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);

        cb_test_app_save_png (GTK_WIDGET (window), path, 360, 720);
      }
      widest = MAX (widest, minimum);
    }
  /* The Bench's other pane: the shift's counters, the ports, the station's settings. */
  {
    GtkWidget *bench = cb_window_get_page_widget (window, "bench");
    g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                   "narrow-de-bench-ports.png", NULL);

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s",
                                               "bench"));
    g_assert_true (gtk_widget_activate_action (bench, "bench.show-ports", NULL));
    cb_test_app_spin (1000);
    add_broken_words (content, broken);
    cb_test_app_save_png (GTK_WIDGET (window), path, 360, 720);
  }
  g_assert_cmpint (widest, <=, 360);
  if (broken->len > 0)
    g_test_message ("words cut:%s", broken->str);
  g_assert_cmpuint (broken->len, ==, 0);

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
  g_test_add_func ("/cb/app-locale/narrow", test_locale_narrow);

  ret = g_test_run ();
  g_free (app_path);
  return ret;
}
