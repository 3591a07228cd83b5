/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The unattended station's feedback (issue 17): with "Start when a device is plugged in" on,
 * each result on the Virtual device raises a desktop notification, seen here as the desktop
 * would see it (the test owns org.gtk.Notifications on the test's session bus and records the
 * calls GApplication makes), replaced per port and withdrawn when the port's next run starts;
 * with the station attended (auto-start off) nothing is sent; the sound preference picks a
 * PASS and a FAIL sound; and the board's tile shows the port's result in large type. */
#include "config.h"

#include <string.h>

#include "cb-bench-page.h"
#include "cb-station-feedback.h"
#include "cb-station-tile.h"
#include "cb-test-app.h"
#include "cbd-virtual-device.h"

#define TEST_APP_ID "io.github.certbench.Certbench.FeedbackTest"

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.gtk.Notifications'>"
  "    <method name='AddNotification'>"
  "      <arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/>"
  "    </method>"
  "    <method name='RemoveNotification'>"
  "      <arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

/* The desktop's side: every call as "Add <id> <title> | <body>" or "Remove <id>". */
typedef struct
{
  GDBusConnection *bus;
  guint            object_id;
  guint            name_id;
  gboolean         owned;
  GPtrArray       *calls;
} Desktop;

typedef struct
{
  CbTestApp      *app;
  GtkApplication *gapp;
  GtkWidget      *window;
  GtkWidget      *other;          /* another app's window, in front */
  CbBenchPage    *bench;
  GSettings      *settings;
  Desktop         desktop;
} Fixture;

static void
desktop_method_cb (GDBusConnection       *connection,
                   const char            *sender,
                   const char            *object_path,
                   const char            *interface_name,
                   const char            *method_name,
                   GVariant              *parameters,
                   GDBusMethodInvocation *invocation,
                   gpointer               user_data)
{
  Desktop *desktop = user_data;
  const char *app_id = NULL;
  const char *id = NULL;

  if (g_strcmp0 (method_name, "AddNotification") == 0)
    {
      g_autoptr(GVariant) notification = NULL;
      const char *title = "";
      const char *body = "";

      g_variant_get (parameters, "(&s&s@a{sv})", &app_id, &id, &notification);
      g_variant_lookup (notification, "title", "&s", &title);
      g_variant_lookup (notification, "body", "&s", &body);
      g_assert_cmpstr (app_id, ==, TEST_APP_ID);
      g_ptr_array_add (desktop->calls, g_strdup_printf ("Add %s %s | %s", id, title, body));
    }
  else
    {
      g_variant_get (parameters, "(&s&s)", &app_id, &id);
      g_ptr_array_add (desktop->calls, g_strdup_printf ("Remove %s", id));
    }
  g_test_message ("desktop: %s", (char *) g_ptr_array_index (desktop->calls,
                                                            desktop->calls->len - 1));
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable desktop_vtable = { desktop_method_cb, NULL, NULL, { 0 } };

static GtkApplication *gapp;

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  ((Desktop *) user_data)->owned = TRUE;
}

static gboolean
desktop_owned (gpointer user_data)
{
  return ((Desktop *) user_data)->owned;
}

/* A connection of its own, as a notification server is another process. */
static void
desktop_start (Desktop *desktop)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);

  g_assert_no_error (error);
  desktop->calls = g_ptr_array_new_with_free_func (g_free);
  desktop->bus = g_dbus_connection_new_for_address_sync (address,
                                                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                         G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                         NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  desktop->object_id = g_dbus_connection_register_object (desktop->bus, "/org/gtk/Notifications",
                                                          info->interfaces[0], &desktop_vtable,
                                                          desktop, NULL, &error);
  g_assert_no_error (error);
  desktop->name_id = g_bus_own_name_on_connection (desktop->bus, "org.gtk.Notifications",
                                                   G_BUS_NAME_OWNER_FLAGS_NONE,
                                                   name_acquired_cb, NULL, desktop, NULL);
  cb_test_app_wait (desktop_owned, desktop, 10000);
}

static void
desktop_stop (Desktop *desktop)
{
  g_bus_unown_name (desktop->name_id);
  g_dbus_connection_unregister_object (desktop->bus, desktop->object_id);
  g_dbus_connection_close_sync (desktop->bus, NULL, NULL);
  g_clear_object (&desktop->bus);
  g_clear_pointer (&desktop->calls, g_ptr_array_unref);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  desktop_start (&f->desktop);
  /* One application for the whole run, registered once on the bus, like the app's own. */
  if (gapp == NULL)
    {
      gapp = gtk_application_new (TEST_APP_ID, G_APPLICATION_NON_UNIQUE);
      g_assert_true (g_application_register (G_APPLICATION (gapp), NULL, &error));
      g_assert_no_error (error);
    }
  f->gapp = gapp;

  f->settings = g_settings_new ("io.github.certbench.Certbench");
  g_settings_set_boolean (f->settings, "auto-start", TRUE);
  g_settings_set_boolean (f->settings, "station-sound", FALSE);

  f->app = cb_test_app_new (CB_TEST_APP_NONE);
  f->bench = CB_BENCH_PAGE (cb_bench_page_new (f->app->context));
  f->window = gtk_window_new ();
  gtk_window_set_application (GTK_WINDOW (f->window), f->gapp);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->bench));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (cb_bench_page_get_virtual_device (f->bench) != NULL)
    g_object_run_dispose (G_OBJECT (cb_bench_page_get_virtual_device (f->bench)));
  gtk_window_destroy (GTK_WINDOW (f->window));
  if (f->other != NULL)
    gtk_window_destroy (GTK_WINDOW (f->other));
  cb_test_app_spin (100);
  cb_test_app_free (f->app);
  g_settings_reset (f->settings, "auto-start");
  g_settings_reset (f->settings, "station-sound");
  g_clear_object (&f->settings);
  f->gapp = NULL;
  desktop_stop (&f->desktop);
}

/* Waiting for a window to be the active one (or not) on a display the suite's other display
 * test shares: its window may take the focus meanwhile, so the window wanted in front is
 * presented again every second until it is. */
typedef struct
{
  GtkWindow *window;      /* the one whose state is waited for */
  GtkWindow *front;       /* the one to keep presenting */
  gboolean   active;      /* the state wanted */
  gint64     presented;
} FocusWait;

static gboolean
focus_reached (gpointer user_data)
{
  FocusWait *w = user_data;
  gint64 now = g_get_monotonic_time ();

  if (gtk_window_is_active (w->window) == w->active)
    return TRUE;
  if (now - w->presented > G_USEC_PER_SEC)
    {
      gtk_window_present (w->front);
      w->presented = now;
    }
  return FALSE;
}

static void
wait_for_focus (GtkWindow *window,
                GtkWindow *front,
                gboolean   active)
{
  FocusWait w = { window, front, active, g_get_monotonic_time () };

  cb_test_app_wait (focus_reached, &w, 10000);
}

static void
on_is_active_cb (GtkWindow  *window,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  if (!gtk_window_is_active (window))
    *(gboolean *) user_data = TRUE;
}

/* The technician works in another window: the station's is no longer the active one. */
static void
look_away (Fixture *f)
{
  if (f->other == NULL)
    {
      f->other = gtk_window_new ();
      gtk_window_set_title (GTK_WINDOW (f->other), "Another app");
      gtk_window_set_default_size (GTK_WINDOW (f->other), 320, 200);
    }
  gtk_window_present (GTK_WINDOW (f->other));
  wait_for_focus (GTK_WINDOW (f->window), GTK_WINDOW (f->other), FALSE);
}

static gboolean
page_idle (gpointer user_data)
{
  return cb_bench_page_get_n_running (CB_BENCH_PAGE (user_data)) == 0;
}

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
deleted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cb_adr_client_delete_policy_finish (CB_ADR_CLIENT (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static const char *
virtual_path (Fixture *f)
{
  return cb_virtual_device_get_path (cb_bench_page_get_virtual_device (f->bench));
}

static gboolean
provision (Fixture *f)
{
  CbRunResult *result;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bench), "bench.provision", "s",
                                             virtual_path (f)));
  cb_test_app_wait (page_idle, f->bench, 60000);
  result = cb_provisioning_run_get_result (cb_bench_page_get_run (f->bench, virtual_path (f)));
  g_assert_nonnull (result);
  return cb_run_result_get_passed (result);
}

static CbStationTile *
find_tile (Fixture    *f,
           const char *path)
{
  GtkFlowBox *board = cb_bench_page_get_board (f->bench);

  g_assert_nonnull (board);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (board));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (CB_IS_STATION_TILE (child) &&
          g_strcmp0 (cb_station_tile_get_path (CB_STATION_TILE (child)), path) == 0)
        return CB_STATION_TILE (child);
    }
  return NULL;
}

typedef struct
{
  Desktop    *desktop;
  const char *prefix;
} CallWait;

static gboolean
has_call (gpointer user_data)
{
  CallWait *w = user_data;

  for (guint i = 0; i < w->desktop->calls->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (w->desktop->calls, i), w->prefix))
      return TRUE;
  return FALSE;
}

static void
wait_for_call (Fixture    *f,
               const char *prefix)
{
  CallWait w = { &f->desktop, prefix };

  cb_test_app_wait (has_call, &w, 20000);
}

static void
save (Fixture    *f,
      const char *name,
      int         width)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "screenshots", name, NULL);

  cb_test_app_save_png (f->window, path, width, 800);
}

/* Unattended (auto-start on, the window not in front): PASS and then FAIL notify under one
 * id for the port, the second run withdraws the first result, the tile shows each result. */
static void
test_unattended (Fixture       *f,
                 gconstpointer  data)
{
  const char *path;
  g_autofree char *id = NULL;
  g_autofree char *add_pass = NULL;
  g_autofree char *add_fail = NULL;
  g_autofree char *remove = NULL;
  CbStationTile *tile;
  CbRunResult *result;
  gboolean deleted = FALSE;
  gboolean lost_focus;
  gulong handler;

  cb_test_app_spin (1500);
  path = virtual_path (f);
  id = cb_station_feedback_dup_id (path);
  /* Auto-start shows the board from the start, a tile for the Virtual device. */
  g_assert_true (cb_bench_page_get_board_shown (f->bench));
  tile = find_tile (f, path);
  g_assert_nonnull (tile);
  g_assert_cmpstr (cb_station_tile_get_state_text (tile), ==, "Ready");
  /* In front, the station's own window shows the result: nothing is sent. (The suite runs
   * two tests at once on one display: when the other one's window takes the focus during
   * the run, this check cannot be made and is left out.) */
  gtk_window_present (GTK_WINDOW (f->window));
  wait_for_focus (GTK_WINDOW (f->window), GTK_WINDOW (f->window), TRUE);
  lost_focus = FALSE;
  handler = g_signal_connect (f->window, "notify::is-active", G_CALLBACK (on_is_active_cb),
                              &lost_focus);
  g_assert_true (provision (f));
  cb_test_app_spin (1000);
  g_signal_handler_disconnect (f->window, handler);
  if (!lost_focus)
    g_assert_cmpuint (f->desktop.calls->len, ==, 0);
  else
    g_test_message ("another window took the focus during the run: not checked");
  look_away (f);
  g_ptr_array_set_size (f->desktop.calls, 0);


  g_assert_true (provision (f));
  result = cb_provisioning_run_get_result (cb_bench_page_get_run (f->bench, path));
  add_pass = g_strdup_printf ("Add %s PASS on Virtual", id);
  wait_for_call (f, add_pass);
  g_assert_cmpuint (f->desktop.calls->len, >=, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (f->desktop.calls, f->desktop.calls->len - 1),
                            cb_run_result_get_registration_id (result)));
  /* The big tile says it: word, step line and the device's registration id. */
  tile = find_tile (f, path);
  g_assert_cmpint (cb_station_tile_get_state (tile), ==, CB_PORT_ROW_PASSED);
  g_assert_cmpstr (cb_station_tile_get_state_text (tile), ==, "PASS");
  g_assert_true (g_str_has_prefix (cb_station_tile_get_step_text (tile), "Done in"));
  g_assert_cmpstr (cb_station_tile_get_device_text (tile), ==,
                   cb_run_result_get_registration_id (result));
  g_assert_true (cb_bench_page_get_board_shown (f->bench));
  /* Its accessible name says the same in one line. */
  {
    g_autofree char *label = g_strdup_printf ("Virtual device (Certbench): PASS, %s, %s",
                                              cb_station_tile_get_step_text (tile),
                                              cb_station_tile_get_device_text (tile));
    g_autofree char *mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (tile),
                                                                    GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                                    label);

    g_assert_null (mismatch);
  }
  save (f, "bench-board.png", 1280);
  save (f, "bench-board-360.png", 360);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->bench), "bench.show-board", NULL));
  /* Taking the pictures brought the window to the front. */
  look_away (f);

  /* The policy goes: the next run fails. Its start withdraws the PASS, its end replaces it. */
  cb_adr_client_delete_policy_async (cb_context_get_adr (f->app->context),
                                     cb_profile_get_credential_policy (
                                       cb_context_get_profile (f->app->context)),
                                     NULL, deleted_cb, &deleted);
  cb_test_app_wait (is_true, &deleted, 30000);
  g_assert_false (provision (f));
  remove = g_strdup_printf ("Remove %s", id);
  add_fail = g_strdup_printf ("Add %s FAIL on Virtual", id);
  wait_for_call (f, add_fail);
  wait_for_call (f, remove);
  tile = find_tile (f, path);
  g_assert_cmpstr (cb_station_tile_get_state_text (tile), ==, "FAIL");
  g_test_message ("step: %s", cb_station_tile_get_step_text (tile));
  g_assert_true (g_str_has_prefix (cb_station_tile_get_step_text (tile), "Failed at: "));
  save (f, "bench-board-fail.png", 1280);

  /* One id per port: every Add names the same one. */
  for (guint i = 0; i < f->desktop.calls->len; i++)
    {
      const char *call = g_ptr_array_index (f->desktop.calls, i);

      g_assert_true (g_str_has_prefix (call, add_pass) || g_str_has_prefix (call, add_fail) ||
                     g_strcmp0 (call, remove) == 0);
    }

  /* The tile opens the port's run. */
  g_signal_emit_by_name (tile, "activate");
  g_assert_false (cb_bench_page_get_board_shown (f->bench));
  g_assert_cmpstr (cb_bench_page_get_result_text (f->bench), ==, "FAIL");
}

/* Runs started by hand (auto-start off) are watched by whoever started them: no notification,
 * and the run pane shows the run, not the board. */
static void
test_attended (Fixture       *f,
               gconstpointer  data)
{
  g_settings_set_boolean (f->settings, "auto-start", FALSE);
  cb_test_app_spin (1500);
  look_away (f);

  g_assert_true (provision (f));
  cb_test_app_spin (1000);
  g_assert_cmpuint (f->desktop.calls->len, ==, 0);
  g_assert_null (cb_station_feedback_get_last_sound (cb_bench_page_get_feedback (f->bench)));
  g_assert_cmpstr (cb_station_tile_get_state_text (find_tile (f, virtual_path (f))), ==, "PASS");
}

/* The sound preference: a PASS sound and a different FAIL sound from the freedesktop theme,
 * or the display's bell where the theme is not installed. */
static void
test_sound (Fixture       *f,
            gconstpointer  data)
{
  CbStationFeedback *feedback = cb_bench_page_get_feedback (f->bench);
  g_autofree char *pass_sound = cb_station_feedback_find_sound (TRUE);
  g_autofree char *fail_sound = cb_station_feedback_find_sound (FALSE);
  gboolean deleted = FALSE;

  g_settings_set_boolean (f->settings, "station-sound", TRUE);
  cb_test_app_spin (1500);
  g_test_message ("sounds: %s, %s", pass_sound, fail_sound);
  g_assert_true (pass_sound == NULL || g_str_has_suffix (pass_sound, "/complete.oga"));
  g_assert_true (fail_sound == NULL || g_str_has_suffix (fail_sound, "/dialog-warning.oga"));

  g_assert_true (provision (f));
  g_assert_cmpstr (cb_station_feedback_get_last_sound (feedback), ==,
                   pass_sound != NULL ? pass_sound : "beep");

  cb_adr_client_delete_policy_async (cb_context_get_adr (f->app->context),
                                     cb_profile_get_credential_policy (
                                       cb_context_get_profile (f->app->context)),
                                     NULL, deleted_cb, &deleted);
  cb_test_app_wait (is_true, &deleted, 30000);
  g_assert_false (provision (f));
  g_assert_cmpstr (cb_station_feedback_get_last_sound (feedback), ==,
                   fail_sound != NULL ? fail_sound : "beep");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  /* The desktop this test plays is org.gtk.Notifications (GNOME Shell's): pick its backend
   * even where a portal or another server would be found. */
  g_setenv ("GNOTIFICATION_BACKEND", "gtk", TRUE);
  /* The test AT context keeps the tiles' accessible names for the test to read. */
  g_setenv ("GTK_A11Y", "test", TRUE);
  cb_test_app_init (&argc, &argv);

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("no session bus (run under dbus-run-session, as build-aux/test.sh does)");
      return 77;
    }
  g_test_add ("/cb/app-station-feedback/unattended", Fixture, NULL, fixture_setup,
              test_unattended, fixture_teardown);
  g_test_add ("/cb/app-station-feedback/attended", Fixture, NULL, fixture_setup,
              test_attended, fixture_teardown);
  g_test_add ("/cb/app-station-feedback/sound", Fixture, NULL, fixture_setup,
              test_sound, fixture_teardown);

  ret = g_test_run ();
  g_clear_object (&gapp);
  return ret;
}
