/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-application"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-application.h"
#include "cb-preferences-window.h"
#include "cb-sandbox-service.h"
#include "cb-window.h"

struct _CbApplication
{
  AdwApplication  parent_instance;

  /* Owned */
  CbContext      *context;
  GSettings      *settings;

  gboolean        ports_scan_pending;
};

G_DEFINE_FINAL_TYPE (CbApplication, cb_application, ADW_TYPE_APPLICATION)

static void
on_profile_notify_cb (CbApplication *self,
                      GParamSpec    *pspec,
                      CbContext     *context)
{
  CbProfile *profile = cb_context_get_profile (context);

  g_settings_set_string (self->settings, "active-profile", cb_profile_get_id (profile));
}

static void
cb_application_startup (GApplication *app)
{
  CbApplication *self = CB_APPLICATION (app);
  g_autofree char *profile_id = NULL;

  G_APPLICATION_CLASS (cb_application_parent_class)->startup (app);

  self->settings = g_settings_new ("io.github.certbench.Certbench");
  self->context = cb_context_new ();

  profile_id = g_settings_get_string (self->settings, "active-profile");
  if (!cb_context_switch_profile (self->context, profile_id, NULL))
    g_settings_reset (self->settings, "active-profile");

  g_signal_connect_object (self->context, "notify::profile", G_CALLBACK (on_profile_notify_cb),
                           self, G_CONNECT_SWAPPED);
}

static gboolean
scan_ports_cb (gpointer user_data)
{
  CbApplication *self = user_data;
  CbPortMonitor *monitor = self->context != NULL ? cb_context_get_port_monitor (self->context)
                                                 : NULL;

  self->ports_scan_pending = FALSE;
  if (monitor != NULL)
    cb_port_monitor_start (monitor);
  return G_SOURCE_REMOVE;
}

static void
on_first_frame_cb (GdkFrameClock *clock,
                   CbApplication *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_frame_cb, self);
  /* Out of the frame clock's cycle: the frame is on screen, the scan comes next, before the
   * window builds its hidden pages (cb-window.c, also at G_PRIORITY_DEFAULT). */
  g_idle_add_full (G_PRIORITY_DEFAULT, scan_ports_cb, g_object_ref (self), g_object_unref);
}

/* The ports are scanned once the window's first frame is drawn: the scan waits on udev and
 * nothing in the first frame needs it. The monitor tells the ports this scan lists (there
 * before) from the ones plugged in later, so the late scan auto-starts nothing. */
static void
scan_ports_after_first_frame (CbApplication *self,
                              GtkWindow     *window)
{
  CbPortMonitor *monitor = cb_context_get_port_monitor (self->context);
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  if (monitor == NULL || cb_port_monitor_get_scanned (monitor) || self->ports_scan_pending)
    return;
  self->ports_scan_pending = TRUE;
  if (surface != NULL)
    g_signal_connect_object (gdk_surface_get_frame_clock (surface), "after-paint",
                             G_CALLBACK (on_first_frame_cb), self, 0);
  else
    g_idle_add_full (G_PRIORITY_DEFAULT, scan_ports_cb, g_object_ref (self), g_object_unref);
}

static void
cb_application_activate (GApplication *app)
{
  CbApplication *self = CB_APPLICATION (app);
  GtkWindow *window;

  /* The sandbox starts in a thread of its own while the window is built and shown; the
   * connection indicator follows it. */
  cb_context_start_without_ports (self->context);

  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (window == NULL)
    window = GTK_WINDOW (cb_window_new (GTK_APPLICATION (app), self->context));
  gtk_window_present (window);
  scan_ports_after_first_frame (self, window);
}

static void
cb_application_shutdown (GApplication *app)
{
  CbApplication *self = CB_APPLICATION (app);

  if (self->context != NULL)
    cb_context_shutdown (self->context);

  G_APPLICATION_CLASS (cb_application_parent_class)->shutdown (app);
}

static void
cb_application_dispose (GObject *object)
{
  CbApplication *self = CB_APPLICATION (object);

  g_clear_object (&self->context);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (cb_application_parent_class)->dispose (object);
}

static void
cb_application_quit_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  CbApplication *self = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /* Destroy the windows (their size goes to GSettings on the way), then quit. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  g_list_free (windows);

  g_application_quit (G_APPLICATION (self));
}

static void
cb_application_preferences_action (GSimpleAction *action,
                                   GVariant      *parameter,
                                   gpointer       user_data)
{
  CbApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWindow *preferences;

  preferences = GTK_WINDOW (cb_preferences_window_new (self->settings));
  gtk_window_set_transient_for (preferences, parent);
  gtk_window_set_application (preferences, GTK_APPLICATION (self));
  gtk_window_present (preferences);
}

static void
cb_application_about_action (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  CbApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  static const char *developers[] = { "The Certbench developers", NULL };
  GtkIconTheme *icons = gtk_icon_theme_get_for_display (gdk_display_get_default ());
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "application", self,
                        "application-name", _("Certbench"),
                        /* Run from the build tree the app icon is not installed: a themed
                         * stand-in rather than a broken image. */
                        "application-icon", gtk_icon_theme_has_icon (icons, APP_ID)
                                            ? APP_ID : "applications-engineering-symbolic",
                        "version", PACKAGE_VERSION,
                        "developer-name", _("The Certbench developers"),
                        "developers", developers,
                        "comments", _("Provision, renew, revoke and diagnose device "
                                      "certificates for Azure IoT, at the bench and across "
                                      "the fleet."),
                        "website", "https://github.com/certbench/certbench",
                        "issue-url", "https://github.com/certbench/certbench/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: your name, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { "quit", cb_application_quit_action },
  { "preferences", cb_application_preferences_action },
  { "about", cb_application_about_action },
};

static void
cb_application_class_init (CbApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = cb_application_dispose;
  app_class->startup = cb_application_startup;
  app_class->activate = cb_application_activate;
  app_class->shutdown = cb_application_shutdown;
}

static void
cb_application_init (CbApplication *self)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
}

CbApplication *
cb_application_new (void)
{
  return g_object_new (CB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       /* the same resources for the .Devel build, so style.css auto-loads */
                       "resource-base-path", "/io/github/certbench/Certbench",
                       NULL);
}

CbContext *
cb_application_get_context (CbApplication *self)
{
  g_return_val_if_fail (CB_IS_APPLICATION (self), NULL);
  return self->context;
}

GSettings *
cb_application_get_settings (CbApplication *self)
{
  g_return_val_if_fail (CB_IS_APPLICATION (self), NULL);
  return self->settings;
}
