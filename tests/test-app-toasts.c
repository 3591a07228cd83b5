/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Toasts of a kind (cb-toasts.c) replace each other: clicked in a row, and with the page that
 * shows them reparented while they are up. Run with MALLOC_PERTURB_ (tests/meson.build): on
 * libadwaita 1.2 a toast dismissed within 200 ms of being shown over a hiding one had its show
 * animation write into freed memory, which crashed here.
 *
 * Then each overlay of the app the way a user meets it: the window (its own toasts and its
 * pages'), the Diagnostics page, the device page, the run window and the Registry, each shown
 * two toasts in a row and its close button double clicked: one toast, the last, and nothing
 * after it. The preferences and connections windows too, through their own overlays. */
#include "config.h"

#include <string.h>

#include "cb-certificate-actions.h"
#include "cb-connections-window.h"
#include "cb-device-page.h"
#include "cb-diagnostics-page.h"
#include "cb-journal.h"
#include "cb-preferences-window.h"
#include "cb-registry-page.h"
#include "cb-run-window.h"
#include "cb-test-app.h"
#include "cb-toasts.h"
#include "cb-window.h"

typedef struct
{
  GtkWidget       *window;
  GtkWidget       *other;     /* the window the page moves to */
  GtkWidget       *page;      /* a page: a box holding the overlay, as the app's pages do */
  AdwToastOverlay *overlay;
  GtkWidget       *content;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->window = gtk_window_new ();
  f->other = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 640, 480);
  gtk_window_set_default_size (GTK_WINDOW (f->other), 360, 480);
  f->page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  f->overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (f->overlay), TRUE);
  f->content = gtk_label_new ("content");
  adw_toast_overlay_set_child (f->overlay, f->content);
  gtk_box_append (GTK_BOX (f->page), GTK_WIDGET (f->overlay));
  gtk_window_set_child (GTK_WINDOW (f->window), f->page);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_window_present (GTK_WINDOW (f->other));
  cb_test_app_spin (300);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (f->overlay)));
}

/* The toast widgets @overlay holds, shown or hiding. */
static guint
n_toast_widgets (AdwToastOverlay *overlay)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (overlay));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (child != adw_toast_overlay_get_child (overlay))
      n++;
  return n;
}

static gboolean
no_toast_widgets (gpointer overlay)
{
  return n_toast_widgets (overlay) == 0;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  gtk_window_destroy (GTK_WINDOW (f->other));
  cb_test_app_spin (100);
}

static void
add (Fixture    *f,
     const char *title)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_timeout (toast, 5);
  cb_toast_overlay_add_kind (f->overlay, "test", toast);
}

/* The one toast of the kind, showing @title, is the only one the overlay shows. */
static void
assert_shows (Fixture    *f,
              const char *title,
              const char *gone)
{
  AdwToast *toast = cb_toast_overlay_get_kind (f->overlay, "test");

  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_title (toast), ==, title);
  g_assert_nonnull (cb_test_app_find_label (GTK_WIDGET (f->overlay), title));
  if (gone != NULL)
    g_assert_null (cb_test_app_find_label (GTK_WIDGET (f->overlay), gone));
}

/* Three outcomes within 100 ms: the last replaces the others, nothing waits in the queue and
 * the animations end with the overlay intact. */
static void
test_replace_in_a_row (Fixture       *f,
                       gconstpointer  data)
{
  add (f, "Valid for 7 days");
  cb_test_app_spin (30);
  add (f, "Valid for 30 days");
  cb_test_app_spin (30);
  add (f, "Valid for 90 days");
  /* Longer than every show and hide animation (500 ms at most). */
  cb_test_app_spin (800);
  assert_shows (f, "Valid for 90 days", "Valid for 7 days");
  g_assert_null (cb_test_app_find_label (GTK_WIDGET (f->overlay), "Valid for 30 days"));

  /* Dismissed (its close button, its timeout): the kind starts afresh. */
  adw_toast_dismiss (cb_toast_overlay_get_kind (f->overlay, "test"));
  g_assert_null (cb_toast_overlay_get_kind (f->overlay, "test"));
  /* Its hide animation (300 ms) ends: later than that on a loaded machine. */
  cb_test_app_wait (no_toast_widgets, f->overlay, 5000);
  g_assert_null (cb_test_app_find_label (GTK_WIDGET (f->overlay), "Valid for 90 days"));
  add (f, "Valid for 1 day");
  cb_test_app_spin (400);
  assert_shows (f, "Valid for 1 day", NULL);
}

/* The page moves to another window while toasts of its kind are up and coming: taken out (its
 * animations skip to their ends), a newer toast while it has no window, put in the other. */
static void
test_reparent (Fixture       *f,
               gconstpointer  data)
{
  for (guint round = 0; round < 4; round++)
    {
      GtkWidget *from = round % 2 == 0 ? f->window : f->other;
      GtkWidget *to = round % 2 == 0 ? f->other : f->window;

      add (f, "Copied as PEM");
      cb_test_app_spin (30);
      add (f, "Copied as DER");
      cb_test_app_spin (30);
      add (f, "Copied the chain");
      cb_test_app_spin (50);

      g_object_ref (f->page);
      gtk_window_set_child (GTK_WINDOW (from), NULL);
      g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (f->overlay)));
      add (f, "Copied the SHA-256 fingerprint");
      add (f, "Copied the SHA-1 fingerprint");
      gtk_window_set_child (GTK_WINDOW (to), f->page);
      g_object_unref (f->page);
      add (f, "Copied the fingerprints");
      cb_test_app_spin (30);
      add (f, "Copied as PEM again");
      cb_test_app_spin (800);
      g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (f->overlay)));
      assert_shows (f, "Copied as PEM again", "Copied the chain");
    }
}

static char *
make_certificate_pem (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null",
                         "-subj", "/CN=toast-test", "-days", "30", NULL };

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&out);
}

/* The certificate actions' copies in a row, the way a user copies PEM, then a fingerprint:
 * one toast, the last. */
static void
test_certificate_copies (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *pem = make_certificate_pem ();
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  const char *actions[] = { "cert.copy-pem", "cert.copy-sha256", "cert.copy-der",
                            "cert.copy-sha1" };

  g_ptr_array_add (chain, cb_certificate_new_from_pem (pem, -1, &error));
  g_assert_no_error (error);
  cb_certificate_actions_install (f->content, chain, 0);

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      g_assert_true (gtk_widget_activate_action (f->content, actions[i], NULL));
      cb_test_app_spin (40);
    }
  cb_test_app_spin (800);
  g_assert_nonnull (cb_toast_overlay_get_kind (f->overlay, CB_CERTIFICATE_TOAST_KIND));
  g_test_message ("toast: %s",
                  adw_toast_get_title (cb_toast_overlay_get_kind (f->overlay,
                                                                  CB_CERTIFICATE_TOAST_KIND)));
  g_assert_null (cb_test_app_find_label (GTK_WIDGET (f->overlay), "Certificate copied as PEM"));
  g_assert_nonnull (cb_test_app_find_label (
    GTK_WIDGET (f->overlay),
    adw_toast_get_title (cb_toast_overlay_get_kind (f->overlay, CB_CERTIFICATE_TOAST_KIND))));
}

/* ---- the app's overlays ------------------------------------------------------------------ */

typedef struct
{
  CbTestApp *app;
  GtkWidget *window;
} AppFixture;

static void
app_fixture_setup (AppFixture    *f,
                   gconstpointer  data)
{
  f->app = cb_test_app_new (CB_TEST_APP_NONE);
}

static void
app_fixture_teardown (AppFixture    *f,
                      gconstpointer  data)
{
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  cb_test_app_spin (100);
  cb_test_app_free (f->app);
}

static void
present (AppFixture *f,
         GtkWidget  *window)
{
  f->window = window;
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  cb_test_app_spin (300);
}

/* The toast @overlay shows, or NULL: the last one put in (those hiding are below it), unless it
 * is hiding itself (fading out, and no longer a target). */
static GtkWidget *
shown_toast (AdwToastOverlay *overlay)
{
  GtkWidget *last = gtk_widget_get_last_child (GTK_WIDGET (overlay));

  if (last == NULL || last == adw_toast_overlay_get_child (overlay) ||
      !gtk_widget_get_can_target (last) || gtk_widget_get_opacity (last) < 1.0)
    return NULL;
  return last;
}

static const char *
toast_title (GtkWidget *toast)
{
  GtkWidget *label = cb_test_app_find_widget (toast, GTK_TYPE_LABEL);

  g_assert_nonnull (label);
  return gtk_label_get_label (GTK_LABEL (label));
}

/* The toast's close button: its round one. */
static GtkWidget *
close_button (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && gtk_widget_has_css_class (child, "circular"))
        return child;
      if ((found = close_button (child)) != NULL)
        return found;
    }
  return NULL;
}

/* A click on @toast's close button (its release: gtk_widget_activate() would wait 250 ms). */
static void
click_close (GtkWidget *toast)
{
  GtkWidget *button = close_button (toast);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
}

/* @overlay shows one toast, @title, and closing it with a double click on its close button
 * leaves nothing: no older toast waited behind it. The second click lands where the next toast
 * of a queue comes up, 100 ms into its show, which libadwaita 1.2 then freed under its show
 * animation. */
static void
assert_one_toast_then_none (AdwToastOverlay *overlay,
                            const char      *title)
{
  GtkWidget *toast;
  g_autofree char *second = NULL;

  /* Longer than every show and hide animation (500 ms at most). */
  cb_test_app_spin (800);
  toast = shown_toast (overlay);
  g_assert_nonnull (toast);
  g_test_message ("shown: %s", toast_title (toast));
  g_assert_cmpuint (n_toast_widgets (overlay), ==, 1);
  g_assert_cmpstr (toast_title (toast), ==, title);

  click_close (toast);
  cb_test_app_spin (100);
  toast = shown_toast (overlay);
  if (toast != NULL)
    {
      second = g_strdup (toast_title (toast));
      click_close (toast);
    }
  cb_test_app_spin (800);
  g_assert_cmpstr (second, ==, NULL);
  /* The hide animation (300 ms) ends: later than that on a loaded machine. */
  cb_test_app_wait (no_toast_widgets, overlay, 5000);
}

/* The window's own toasts ("Connected to …", "Signed out"), then a page's (through
 * cb_widget_toast): the page's, the latest, replaces them. */
static void
test_window (AppFixture    *f,
             gconstpointer  data)
{
  CbWindow *window = cb_window_new (NULL, f->app->context);
  AdwToastOverlay *overlay;

  present (f, GTK_WIDGET (window));
  overlay = ADW_TOAST_OVERLAY (cb_test_app_find_widget (GTK_WIDGET (window),
                                                        ADW_TYPE_TOAST_OVERLAY));
  g_assert_nonnull (overlay);
  cb_test_app_spin (800);
  g_assert_cmpuint (n_toast_widgets (overlay), ==, 0);

  cb_window_add_toast (window, adw_toast_new ("Connected to Sandbox"));
  cb_test_app_spin (40);
  cb_window_add_toast (window, adw_toast_new ("Signed out"));
  cb_test_app_spin (40);
  /* A page: the overlay's content is the pages' stack. */
  cb_widget_toast (adw_toast_overlay_get_child (overlay), "3 devices deleted");
  assert_one_toast_then_none (overlay, "3 devices deleted");
}

static gboolean
diagnostics_error_up (gpointer data)
{
  AdwToastOverlay *overlay = data;
  GtkWidget *toast = shown_toast (overlay);

  return toast != NULL && strstr (toast_title (toast), "is not a certificate") != NULL;
}

static gboolean
diagnostics_done (gpointer data)
{
  CbDiagnosticsPage *page = data;

  return !cb_diagnostics_page_get_running (page) &&
         g_list_model_get_n_items (cb_diagnostics_page_get_checks (page)) > 0;
}

/* A certificate checked, then "Copy report" twice in a row: one "Report copied". And after a
 * file that is not a certificate (an error toast that stays until closed), the copy's toast
 * shows at once instead of waiting behind it. */
static void
test_diagnostics (AppFixture    *f,
                  gconstpointer  data)
{
  GtkWidget *page = cb_diagnostics_page_new (f->app->context);
  GtkWidget *window = gtk_window_new ();
  AdwToastOverlay *overlay;
  g_autofree char *path = g_build_filename (f->app->dir, "notes.txt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = make_certificate_pem ();

  gtk_window_set_child (GTK_WINDOW (window), page);
  present (f, window);
  overlay = ADW_TOAST_OVERLAY (cb_test_app_find_widget (page, ADW_TYPE_TOAST_OVERLAY));
  g_assert_nonnull (overlay);
  g_assert_true (cb_diagnostics_page_check_data (CB_DIAGNOSTICS_PAGE (page), (const guint8 *) pem,
                                                 strlen (pem), "toast-test.pem", &error));
  g_assert_no_error (error);
  cb_test_app_wait (diagnostics_done, page, 30000);

  g_assert_true (gtk_widget_activate_action (page, "diagnostics.copy-report", NULL));
  cb_test_app_spin (40);
  g_assert_true (gtk_widget_activate_action (page, "diagnostics.copy-report", NULL));
  assert_one_toast_then_none (overlay, "Report copied");

  g_assert_true (g_file_set_contents (path, "not a certificate\n", -1, &error));
  g_assert_no_error (error);
  cb_diagnostics_page_check_file (CB_DIAGNOSTICS_PAGE (page), file);
  cb_test_app_wait (diagnostics_error_up, overlay, 10000);
  g_assert_true (gtk_widget_activate_action (page, "diagnostics.copy-report", NULL));
  assert_one_toast_then_none (overlay, "Report copied");
}

static gboolean
device_page_idle (gpointer data)
{
  CbDevicePage *page = data;

  return !cb_device_page_get_loading (page) && cb_device_page_get_n_running (page) == 0 &&
         cb_device_page_get_state_reason (page) != NULL;
}

/* Disabled, then enabled again as soon as it may be: "Device enabled" replaces "Device
 * disabled". */
static void
test_device_page (AppFixture    *f,
                  gconstpointer  data)
{
  CbWindow *window = cb_window_new (NULL, f->app->context);
  CbDevicePage *page;
  AdwToastOverlay *overlay;

  present (f, GTK_WIDGET (window));
  page = CB_DEVICE_PAGE (cb_window_show_device (window, "demo-0002"));
  g_assert_nonnull (page);
  cb_test_app_wait (device_page_idle, page, 30000);
  overlay = ADW_TOAST_OVERLAY (cb_test_app_find_widget (GTK_WIDGET (page),
                                                        ADW_TYPE_TOAST_OVERLAY));
  g_assert_nonnull (overlay);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "device.disable", NULL));
  cb_test_app_wait (device_page_idle, page, 30000);
  g_assert_cmpstr (cb_device_page_get_last_toast (page), ==, "Device disabled");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "device.enable", NULL));
  cb_test_app_wait (device_page_idle, page, 30000);
  g_assert_cmpstr (cb_device_page_get_last_toast (page), ==, "Device enabled");
  assert_one_toast_then_none (overlay, "Device enabled");
}

/* "Copy" on the protocol log twice in a row: one "Protocol log copied". */
static void
test_run_window (AppFixture    *f,
                 gconstpointer  data)
{
  CbJournal *journal = cb_context_get_journal (f->app->context);
  CbJournalRunStart start = { .station = "bench-1", .port = "/dev/ttyTEST0" };
  CbJournalRunEnd end = { .result = CB_JOURNAL_RESULT_PASS, .device_id = "demo-0002" };
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  GtkWidget *window;
  AdwToastOverlay *overlay;
  gint64 id;

  id = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  g_assert_true (cb_journal_add_protocol_log (journal, id, "> AT\n< OK\n", &error));
  g_assert_no_error (error);
  g_assert_true (cb_journal_end_run (journal, id, &end, &error));
  run = cb_journal_get_run (journal, id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cb_journal_run_get_protocol_log (run));

  window = cb_run_window_new (run);
  present (f, window);
  overlay = ADW_TOAST_OVERLAY (cb_test_app_find_widget (window, ADW_TYPE_TOAST_OVERLAY));
  g_assert_nonnull (overlay);

  g_assert_true (gtk_widget_activate_action (window, "run.copy-log", NULL));
  cb_test_app_spin (40);
  g_assert_true (gtk_widget_activate_action (window, "run.copy-log", NULL));
  assert_one_toast_then_none (overlay, "Protocol log copied");
}

static gboolean
registry_loaded (gpointer data)
{
  CbRegistryPage *page = data;

  return g_list_model_get_n_items (cb_registry_page_get_policies (page)) > 0 &&
         cb_registry_page_get_n_operations (page) == 0;
}

static gboolean
registry_idle (gpointer data)
{
  return cb_registry_page_get_n_operations (data) == 0;
}

/* "Sync to hubs" twice in a row: both syncs end with the same outcome, one toast. */
static void
test_registry (AppFixture    *f,
               gconstpointer  data)
{
  GtkWidget *page = cb_registry_page_new (f->app->context);
  GtkWidget *window = gtk_window_new ();
  AdwToastOverlay *overlay;

  gtk_window_set_child (GTK_WINDOW (window), page);
  present (f, window);
  cb_test_app_wait (registry_loaded, page, 30000);
  overlay = ADW_TOAST_OVERLAY (cb_test_app_find_widget (page, ADW_TYPE_TOAST_OVERLAY));
  g_assert_nonnull (overlay);

  g_assert_true (gtk_widget_activate_action (page, "registry.sync", NULL));
  cb_test_app_spin (40);
  g_assert_true (gtk_widget_activate_action (page, "registry.sync", NULL));
  cb_test_app_wait (registry_idle, page, 30000);
  g_assert_cmpstr (cb_registry_page_get_last_toast (CB_REGISTRY_PAGE (page)), ==,
                   "The issuing CAs are on the linked hubs");
  assert_one_toast_then_none (overlay, "The issuing CAs are on the linked hubs");
}

/* A preferences window's own overlay (libadwaita keeps it inside the window). */
static AdwToastOverlay *
preferences_overlay (GtkWidget *window)
{
  AdwToastOverlay *overlay = ADW_TOAST_OVERLAY (cb_test_app_find_widget (window,
                                                                         ADW_TYPE_TOAST_OVERLAY));

  g_assert_nonnull (overlay);
  return overlay;
}

/* A registration-ID template DPS would refuse, applied twice in a row with two different
 * mistakes: the second explanation replaces the first. */
static void
test_preferences (AppFixture    *f,
                  gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");
  CbPreferencesWindow *window = cb_preferences_window_new (settings);
  GtkWidget *row;
  AdwToast *toast;
  g_autofree char *last = NULL;

  present (f, GTK_WIDGET (window));
  row = cb_test_app_find_widget (GTK_WIDGET (window), ADW_TYPE_ENTRY_ROW);
  g_assert_nonnull (row);

  gtk_editable_set_text (GTK_EDITABLE (row), "{serial");
  g_signal_emit_by_name (row, "apply");
  cb_test_app_spin (40);
  gtk_editable_set_text (GTK_EDITABLE (row), "{nosuch}");
  g_signal_emit_by_name (row, "apply");
  toast = cb_preferences_window_get_kind (ADW_PREFERENCES_WINDOW (window), CB_TOAST_KIND_OUTCOME);
  g_assert_nonnull (toast);
  last = g_strdup (adw_toast_get_title (toast));
  assert_one_toast_then_none (preferences_overlay (GTK_WIDGET (window)), last);
}

/* The connections window: a form left empty, a profile that is not there, then the sandbox put
 * to use: one toast, the last ("Using …"), which also took the place of the others. */
static void
test_connections (AppFixture    *f,
                  gconstpointer  data)
{
  CbConnectionsWindow *window = cb_connections_window_new (f->app->context);
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "screenshots",
                                                "connections-using-toast.png", NULL);
  AdwToast *toast;
  g_autofree char *last = NULL;

  present (f, GTK_WIDGET (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.add", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.save", NULL));
  cb_test_app_spin (40);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.use", "s", "no-such"));
  cb_test_app_spin (40);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "conn.use", "s", "sandbox"));
  toast = cb_preferences_window_get_kind (ADW_PREFERENCES_WINDOW (window), CB_TOAST_KIND_OUTCOME);
  g_assert_nonnull (toast);
  last = g_strdup (adw_toast_get_title (toast));
  g_assert_nonnull (strstr (last, "Using"));
  /* Narrow, as on a small screen: the toast's text is whole. */
  cb_test_app_spin (800);
  cb_test_app_save_png (GTK_WIDGET (window), png, 360, 640);
  assert_one_toast_then_none (preferences_overlay (GTK_WIDGET (window)), last);
}

int
main (int    argc,
      char **argv)
{
  cb_test_app_init (&argc, &argv);

  g_test_add ("/cb/app/toasts/replace-in-a-row", Fixture, NULL, fixture_setup,
              test_replace_in_a_row, fixture_teardown);
  g_test_add ("/cb/app/toasts/reparent", Fixture, NULL, fixture_setup, test_reparent,
              fixture_teardown);
  g_test_add ("/cb/app/toasts/certificate-copies", Fixture, NULL, fixture_setup,
              test_certificate_copies, fixture_teardown);
  g_test_add ("/cb/app/toasts/window", AppFixture, NULL, app_fixture_setup, test_window,
              app_fixture_teardown);
  g_test_add ("/cb/app/toasts/diagnostics", AppFixture, NULL, app_fixture_setup,
              test_diagnostics, app_fixture_teardown);
  g_test_add ("/cb/app/toasts/device-page", AppFixture, NULL, app_fixture_setup,
              test_device_page, app_fixture_teardown);
  g_test_add ("/cb/app/toasts/run-window", AppFixture, NULL, app_fixture_setup,
              test_run_window, app_fixture_teardown);
  g_test_add ("/cb/app/toasts/registry", AppFixture, NULL, app_fixture_setup, test_registry,
              app_fixture_teardown);
  g_test_add ("/cb/app/toasts/preferences", AppFixture, NULL, app_fixture_setup,
              test_preferences, app_fixture_teardown);
  g_test_add ("/cb/app/toasts/connections", AppFixture, NULL, app_fixture_setup,
              test_connections, app_fixture_teardown);

  return g_test_run ();
}
