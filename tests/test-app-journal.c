/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Journal page: a run provisioned on the Bench page (virtual device, seeded sandbox) shows
 * in the page's model, the filters find it or hide it, and the export writes it. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cb-test-app.h"

#include "cb-bench-page.h"
#include "cb-journal-page.h"
#include "cb-run-window.h"
#include "cbd-virtual-device.h"

static gboolean
bench_idle (gpointer user_data)
{
  return cb_bench_page_get_n_running (CB_BENCH_PAGE (user_data)) == 0;
}

static gboolean
journal_loaded (gpointer user_data)
{
  return !cb_journal_page_get_loading (CB_JOURNAL_PAGE (user_data));
}

static CbJournalRun *
find_run (GListModel *model,
          const char *serial)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(CbJournalRun) run = g_list_model_get_item (model, i);

      if (g_strcmp0 (cb_journal_run_get_device_serial (run), serial) == 0)
        return run;
    }
  return NULL;
}

static void
on_exported (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static gboolean
have_result (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}


static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
collect_row_titles (GtkWidget *root,
                    GString   *out)
{
  if (ADW_IS_PREFERENCES_ROW (root))
    {
      g_string_append (out, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)));
      g_string_append_c (out, '\n');
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_row_titles (child, out);
}

static gboolean
window_is_open (GtkWindow *window)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) candidate = g_list_model_get_item (toplevels, i);

      if (candidate == window)
        return TRUE;
    }
  return FALSE;
}

/* Activates the run's row action and returns the window it opened, found by its title. */
static GtkWindow *
show_run (GtkWidget    *journal,
          CbJournalRun *run,
          const char   *title)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* transfer none */
  GtkWindow *details = NULL;

  g_assert_true (gtk_widget_activate_action (journal, "journal.show-run", "x",
                                             cb_journal_run_get_id (run)));
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) candidate = g_list_model_get_item (toplevels, i);

      g_test_message ("window: %s", gtk_window_get_title (candidate));
      if (g_strcmp0 (gtk_window_get_title (candidate), title) == 0)
        details = candidate;
    }
  g_assert_nonnull (details);
  cb_test_app_spin (50);
  return details;
}

/* What a key press would do: runs the action of the window's shortcut for @accel (as
 * gtk_shortcut_trigger_to_string prints it); FALSE when the window has none. */
static gboolean
close_by_shortcut (GtkWindow  *window,
                   const char *accel)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          g_autofree char *trigger =
            gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));

          if (g_strcmp0 (trigger, accel) == 0)
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0,
                                                 GTK_WIDGET (window),
                                                 gtk_shortcut_get_arguments (shortcut));
        }
    }
  return FALSE;
}

static void
on_clipboard_text (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  char **slot = user_data;
  g_autoptr(GError) error = NULL;

  *slot = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
have_text (gpointer user_data)
{
  return *(char **) user_data != NULL;
}

/* The run window shows the steps by title (never by id) and the stored protocol log, which
 * "Copy" puts on the clipboard. */
static void
check_run_window (GtkWindow  *details,
                  const char *serial)
{
  g_autoptr(GString) titles = g_string_new (NULL);
  g_autofree char *copied = NULL;
  g_autofree char *shown = NULL;
  CbJournalRun *run = cb_run_window_get_run (CB_RUN_WINDOW (details));
  const char *log = cb_journal_run_get_protocol_log (run);
  GtkWidget *expander, *view;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  collect_row_titles (GTK_WIDGET (details), titles);
  g_test_message ("rows:\n%s", titles->str);
  g_assert_nonnull (strstr (titles->str, "Identify the device\n"));
  g_assert_nonnull (strstr (titles->str, "Register with DPS\n"));
  g_assert_nonnull (strstr (titles->str, "Record in the journal\n"));
  g_assert_null (strstr (titles->str, "identify\n"));
  g_assert_null (strstr (titles->str, "hub-connect\n"));

  g_assert_nonnull (log);
  g_assert_nonnull (strstr (log, "(info) seq"));
  g_assert_nonnull (strstr (log, serial));
  expander = find_named (GTK_WIDGET (details), "protocol-log");
  g_assert_true (GTK_IS_EXPANDER (expander));
  g_assert_cmpstr (gtk_expander_get_label (GTK_EXPANDER (expander)), ==, "_Protocol log");
  gtk_expander_set_expanded (GTK_EXPANDER (expander), TRUE);
  view = cb_test_app_find_widget (expander, GTK_TYPE_TEXT_VIEW);
  g_assert_nonnull (view);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  shown = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_cmpstr (shown, ==, log);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (details), "run.copy-log", NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (details)), NULL,
                                 on_clipboard_text, &copied);
  cb_test_app_wait (have_text, &copied, 5000);
  g_assert_cmpstr (copied, ==, log);
}

static void
test_journal_finds_run (void)
{
  g_autoptr(CbTestApp) app = cb_test_app_new (CB_TEST_APP_NONE);
  g_autoptr(GAsyncResult) export_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *csv_path = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *png = NULL;
  g_autofree char *serial_part = NULL;
  GtkWidget *window, *box, *bench, *journal;
  CbJournalPage *page;
  CbVirtualDevice *device;
  CbJournalRun *run;
  GListModel *model;
  const char *serial;
  const char *registration_id;

  bench = cb_bench_page_new (app->context);
  journal = cb_journal_page_new (app->context);
  page = CB_JOURNAL_PAGE (journal);
  box = gtk_stack_new ();
  gtk_stack_add_named (GTK_STACK (box), bench, "bench");
  gtk_stack_add_named (GTK_STACK (box), journal, "journal");
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));

  /* Empty journal first. */
  cb_test_app_wait (journal_loaded, journal, 10000);
  model = cb_journal_page_get_model (page);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);

  device = cb_bench_page_get_virtual_device (CB_BENCH_PAGE (bench));
  g_assert_nonnull (device);
  serial = cb_virtual_device_get_serial (device);
  g_assert_true (gtk_widget_activate_action (bench, "bench.provision", "s",
                                             cb_virtual_device_get_path (device)));
  cb_test_app_wait (bench_idle, bench, 50000);
  g_assert_cmpuint (cb_bench_page_get_n_passed (CB_BENCH_PAGE (bench)), ==, 1);

  /* Showing the page reads the journal again. */
  gtk_stack_set_visible_child_name (GTK_STACK (box), "journal");
  cb_test_app_spin (50);
  cb_test_app_wait (journal_loaded, journal, 10000);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  run = find_run (model, serial);
  g_assert_nonnull (run);
  g_assert_cmpint (cb_journal_run_get_result (run), ==, CB_JOURNAL_RESULT_PASS);
  registration_id = cb_journal_run_get_registration_id (run);
  g_assert_true (g_str_has_prefix (registration_id, "line1-"));
  g_assert_cmpstr (cb_journal_run_get_port (run), ==, cb_virtual_device_get_path (device));
  g_assert_cmpint (cb_journal_run_get_not_after (run), >, g_get_real_time () / G_USEC_PER_SEC);

  /* Text search: part of the serial, any case; the registration id; something else. */
  serial_part = g_ascii_strdown (serial + 4, 6);
  cb_journal_page_set_search_text (page, serial_part);
  g_assert_nonnull (find_run (model, serial));
  cb_journal_page_set_search_text (page, registration_id);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  cb_journal_page_set_search_text (page, "no-such-device");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  cb_journal_page_set_search_text (page, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);

  /* Result filter. */
  cb_journal_page_set_result_filter (page, CB_JOURNAL_RESULT_FAIL);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  cb_journal_page_set_result_filter (page, CB_JOURNAL_RESULT_PASS);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  cb_journal_page_set_result_filter (page, CB_JOURNAL_RESULT_NONE);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);

  png = g_test_build_filename (G_TEST_BUILT, "screenshots", "journal-page.png", NULL);
  cb_test_app_save_png (window, png, 1280, 800);

  /* The run's details, as activating its row does: a window named after the registration id,
   * steps under their titles, the protocol log; Escape and Ctrl+W close it. */
  {
    g_autofree char *title = g_strdup_printf ("Run of %s", registration_id);
    GtkWindow *details;

    details = show_run (journal, run, title);
    g_assert_true (gtk_window_get_transient_for (details) == GTK_WINDOW (window));
    check_run_window (details, serial);
    g_free (png);
    png = g_test_build_filename (G_TEST_BUILT, "screenshots", "journal-run.png", NULL);
    gtk_expander_set_expanded (GTK_EXPANDER (find_named (GTK_WIDGET (details), "protocol-log")),
                               TRUE);
    cb_test_app_save_png (GTK_WIDGET (details), png, 720, 900);
    g_assert_true (close_by_shortcut (details, "Escape"));
    cb_test_app_spin (50);
    g_assert_false (window_is_open (details));

    details = show_run (journal, run, title);
    g_assert_true (close_by_shortcut (details, "<Control>w"));
    cb_test_app_spin (50);
    g_assert_false (window_is_open (details));
  }

  /* Export, as the file chooser's answer does. */
  csv_path = g_build_filename (app->dir, "export.csv", NULL);
  file = g_file_new_for_path (csv_path);
  cb_journal_page_export_async (page, file, CB_JOURNAL_EXPORT_CSV, NULL, on_exported,
                                &export_result);
  cb_test_app_wait (have_result, &export_result, 10000);
  g_assert_true (cb_journal_page_export_finish (page, export_result, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (csv, serial));
  g_assert_nonnull (strstr (csv, registration_id));

  gtk_window_destroy (GTK_WINDOW (window));
  cb_test_app_spin (100);
}

int
main (int    argc,
      char **argv)
{
  cb_test_app_init (&argc, &argv);

  g_test_add_func ("/cb/app-journal/finds-run", test_journal_finds_run);

  return g_test_run ();
}
