/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-station-feedback"

/* The station's feedback for a technician who is not watching the window: one desktop
 * notification per port, replaced by the port's next result (so a shift of devices leaves one
 * per port, not hundreds) and withdrawn when the port's next run starts, and a sound per result
 * from the freedesktop sound theme, played through GtkMediaFile, or the display's bell when the
 * theme (or a media backend) is missing. No sound file is shipped. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-station-feedback.h"

#define FAIL_BEEP_GAP_MS 300

struct _CbStationFeedback
{
  GObject          parent_instance;

  GSettings       *settings;       /* nullable */
  GtkMediaStream  *player;         /* the sound playing, if any */
  GdkDisplay      *beep_display;   /* the second beep of a FAIL */
  guint            beep_id;
  char            *last_sound;
  GHashTable      *shown;          /* paths of the ports whose result is notified */
};

G_DEFINE_FINAL_TYPE (CbStationFeedback, cb_station_feedback, G_TYPE_OBJECT)

static void
cb_station_feedback_dispose (GObject *object)
{
  CbStationFeedback *self = CB_STATION_FEEDBACK (object);

  g_clear_handle_id (&self->beep_id, g_source_remove);
  g_clear_object (&self->beep_display);
  g_clear_object (&self->player);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (cb_station_feedback_parent_class)->dispose (object);
}

static void
cb_station_feedback_finalize (GObject *object)
{
  CbStationFeedback *self = CB_STATION_FEEDBACK (object);

  g_free (self->last_sound);
  g_hash_table_unref (self->shown);

  G_OBJECT_CLASS (cb_station_feedback_parent_class)->finalize (object);
}

static void
cb_station_feedback_class_init (CbStationFeedbackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_station_feedback_dispose;
  object_class->finalize = cb_station_feedback_finalize;
}

static void
cb_station_feedback_init (CbStationFeedback *self)
{
  self->shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

CbStationFeedback *
cb_station_feedback_new (GSettings *settings)
{
  CbStationFeedback *self = g_object_new (CB_TYPE_STATION_FEEDBACK, NULL);

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  if (settings != NULL)
    self->settings = g_object_ref (settings);
  return self;
}

char *
cb_station_feedback_dup_id (const char *port_path)
{
  g_return_val_if_fail (port_path != NULL, NULL);

  return g_strconcat ("station-result-", port_path, NULL);
}

const char *
cb_station_feedback_get_last_sound (CbStationFeedback *self)
{
  g_return_val_if_fail (CB_IS_STATION_FEEDBACK (self), NULL);
  return self->last_sound;
}

/* ---- Notifications ---------------------------------------------------------------------- */

/* The application the widget's window belongs to, registered (GNotification needs its bus
 * name), else the process's default one, else NULL. */
static GApplication *
find_application (GtkWidget *widget)
{
  GtkRoot *root = widget != NULL ? gtk_widget_get_root (widget) : NULL;
  GApplication *app = NULL;

  if (GTK_IS_WINDOW (root))
    app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (root)));
  if (app == NULL)
    app = g_application_get_default ();
  if (app == NULL || !g_application_get_is_registered (app) || g_application_get_is_remote (app))
    return NULL;
  return app;
}

static gboolean
window_is_watched (GtkWidget *widget)
{
  GtkRoot *root = widget != NULL ? gtk_widget_get_root (widget) : NULL;

  /* A page in no window, or in one without the focus: nobody is looking at it. */
  return GTK_IS_WINDOW (root) && gtk_widget_get_mapped (GTK_WIDGET (root)) &&
         gtk_window_is_active (GTK_WINDOW (root));
}

static void
notify_result (CbStationFeedback *self,
               GApplication      *app,
               const char        *port_path,
               const char        *port_name,
               gboolean           passed,
               const char        *detail)
{
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GIcon) icon = NULL;
  g_autofree char *id = cb_station_feedback_dup_id (port_path);
  g_autofree char *title = NULL;

  if (passed)
    /* Translators: a desktop notification's title, %s is the port ("Virtual device") */
    title = g_strdup_printf (_("PASS on %s"), port_name);
  else
    /* Translators: a desktop notification's title, %s is the port ("Virtual device") */
    title = g_strdup_printf (_("FAIL on %s"), port_name);

  notification = g_notification_new (title);
  if (detail != NULL && *detail != '\0')
    g_notification_set_body (notification, detail);
  icon = g_themed_icon_new (passed ? "emblem-ok-symbolic" : "dialog-error-symbolic");
  g_notification_set_icon (notification, icon);
  /* A failed device waits on the bench for someone: it may interrupt, a pass need not. */
  g_notification_set_priority (notification, passed ? G_NOTIFICATION_PRIORITY_NORMAL
                                                    : G_NOTIFICATION_PRIORITY_HIGH);
  /* The same id per port: the port's next result replaces this one. */
  g_application_send_notification (app, id, notification);
  g_hash_table_add (self->shown, g_strdup (port_path));
}

void
cb_station_feedback_withdraw (CbStationFeedback *self,
                              GtkWidget         *widget,
                              const char        *port_path)
{
  GApplication *app;
  g_autofree char *id = NULL;

  g_return_if_fail (CB_IS_STATION_FEEDBACK (self));
  g_return_if_fail (port_path != NULL);

  /* Only what this station sent: no call for a port that never notified. */
  if (!g_hash_table_remove (self->shown, port_path))
    return;
  app = find_application (widget);
  if (app == NULL)
    return;
  id = cb_station_feedback_dup_id (port_path);
  g_application_withdraw_notification (app, id);
}

/* ---- Sounds ----------------------------------------------------------------------------- */

char *
cb_station_feedback_find_sound (gboolean passed)
{
  const char * const *dirs = g_get_system_data_dirs ();
  /* The freedesktop sound theme's names: GNOME's own apps use "complete" when a job is done. */
  g_autofree char *file = g_strconcat (passed ? "complete" : "dialog-warning", ".oga", NULL);

  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], "sounds", "freedesktop", "stereo", file,
                                                NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

static gboolean
second_beep_cb (gpointer user_data)
{
  CbStationFeedback *self = user_data;

  self->beep_id = 0;
  if (self->beep_display != NULL)
    gdk_display_beep (self->beep_display);
  g_clear_object (&self->beep_display);
  return G_SOURCE_REMOVE;
}

/* No sound file, or no way to play it: one bell for PASS, two for FAIL. */
static void
beep (CbStationFeedback *self,
      GtkWidget         *widget,
      gboolean           passed)
{
  GdkDisplay *display = widget != NULL ? gtk_widget_get_display (widget)
                                       : gdk_display_get_default ();

  g_free (self->last_sound);
  self->last_sound = g_strdup ("beep");
  if (display == NULL)
    return;
  gdk_display_beep (display);
  if (passed)
    return;
  g_clear_handle_id (&self->beep_id, g_source_remove);
  g_set_object (&self->beep_display, display);
  self->beep_id = g_timeout_add (FAIL_BEEP_GAP_MS, second_beep_cb, self);
}

static void
on_player_error_cb (GtkMediaStream *stream,
                    GParamSpec     *pspec,
                    gpointer        user_data)
{
  CbStationFeedback *self = user_data;
  const GError *error = gtk_media_stream_get_error (stream);

  if (error == NULL || stream != self->player)
    return;
  g_debug ("The result's sound could not play: %s", error->message);
  beep (self, NULL, g_object_get_data (G_OBJECT (stream), "passed") != NULL);
}

static void
play_sound (CbStationFeedback *self,
            GtkWidget         *widget,
            gboolean           passed)
{
  g_autofree char *path = cb_station_feedback_find_sound (passed);

  if (self->player != NULL)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_clear_object (&self->player);
  if (path == NULL)
    {
      beep (self, widget, passed);
      return;
    }

  self->player = gtk_media_file_new_for_filename (path);
  g_object_set_data (G_OBJECT (self->player), "passed", GINT_TO_POINTER (passed));
  if (gtk_media_stream_get_error (self->player) != NULL)
    {
      /* GTK without a media backend says so at once. */
      g_clear_object (&self->player);
      beep (self, widget, passed);
      return;
    }
  g_signal_connect (self->player, "notify::error", G_CALLBACK (on_player_error_cb), self);
  g_free (self->last_sound);
  self->last_sound = g_steal_pointer (&path);
  gtk_media_stream_play (self->player);
}

void
cb_station_feedback_result (CbStationFeedback *self,
                            GtkWidget         *widget,
                            const char        *port_path,
                            const char        *port_name,
                            gboolean           passed,
                            const char        *detail)
{
  GApplication *app;

  g_return_if_fail (CB_IS_STATION_FEEDBACK (self));
  g_return_if_fail (port_path != NULL);

  if (self->settings == NULL)
    return;

  if (g_settings_get_boolean (self->settings, "station-sound"))
    play_sound (self, widget, passed);

  /* Runs started by a click are watched by whoever clicked: only the unattended station
   * notifies, and only when its window is not the one in front. */
  if (!g_settings_get_boolean (self->settings, "auto-start") || window_is_watched (widget))
    return;
  app = find_application (widget);
  if (app == NULL)
    return;
  notify_result (self, app, port_path, port_name != NULL ? port_name : port_path, passed,
                 detail);
}
