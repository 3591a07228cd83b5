/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What an unattended station tells the technician about each result when nobody is looking
 * at the window: a desktop notification per port (GNotification, replaced by the port's next
 * result and withdrawn when its next run starts), and, when Preferences say so
 * ("station-sound"), a sound for PASS and another for FAIL. */

#define CB_TYPE_STATION_FEEDBACK (cb_station_feedback_get_type ())
G_DECLARE_FINAL_TYPE (CbStationFeedback, cb_station_feedback, CB, STATION_FEEDBACK, GObject)

/* @settings: the app's settings ("auto-start", "station-sound"), or NULL (no feedback). */
CbStationFeedback *cb_station_feedback_new            (GSettings         *settings);

/* A run on @port_path ended. Notifies when the station starts runs by itself ("auto-start")
 * and @widget's window is not the active one; plays the result's sound when the preference
 * is on. @port_name is what the technician calls the port, @detail a sentence or NULL. */
void               cb_station_feedback_result         (CbStationFeedback *self,
                                                       GtkWidget         *widget,
                                                       const char        *port_path,
                                                       const char        *port_name,
                                                       gboolean           passed,
                                                       const char        *detail);
/* A new run starts on @port_path: its last result's notification goes. */
void               cb_station_feedback_withdraw       (CbStationFeedback *self,
                                                       GtkWidget         *widget,
                                                       const char        *port_path);

/* The GNotification id of a port's result ("station-result-" and the path).
 * Returns: (transfer full) */
char              *cb_station_feedback_dup_id         (const char        *port_path);

/* The sound the last result played: a sound file's path, "beep" (no sound file found, the
 * display's bell instead), or NULL (none played). */
const char        *cb_station_feedback_get_last_sound (CbStationFeedback *self);

/* The freedesktop sound theme file for a result ("complete" for PASS, "dialog-warning" for
 * FAIL) in the system's data dirs, or NULL when the theme is not installed.
 * Returns: (transfer full) (nullable) */
char              *cb_station_feedback_find_sound     (gboolean           passed);

G_END_DECLS
