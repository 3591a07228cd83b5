/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The kind of the toasts of an overlay that shows one toast at a time: the outcome of what the
 * user did last ("Report copied", "Device disabled", "Signed out"). A newer one replaces the
 * one up whatever it says: it is the answer to the user's latest action, and waiting in a queue
 * behind an older one (5 s each) would show it late and out of step with what they did. The
 * older one was on screen already. Every toast of the window, the Registry, Diagnostics and
 * device pages, the run window and the preferences and connections windows is of this kind. */
#define CB_TOAST_KIND_OUTCOME "outcome"

/* Shows @toast on @overlay in place of the last toast of the same @kind when that one is
 * still shown or queued: a newer outcome of the same kind ("valid for 90 days") makes the
 * older one ("valid for 7 days") wrong, so it must not wait its turn in the queue. The toast
 * up takes @toast's title, custom title, button, action, priority and timeout (restarted);
 * handlers connected to @toast are not carried over. There is no queue: libadwaita 1.2's (see
 * cb-toasts.c) could write into freed memory. Takes ownership of @toast. Returns the toast
 * shown: @toast, or the one it updated (owned by @overlay). */
AdwToast *cb_toast_overlay_add_kind  (AdwToastOverlay *overlay,
                                      const char      *kind,
                                      AdwToast        *toast);

/* The toast of @kind @overlay shows or queues, or NULL (for tests). */
AdwToast *cb_toast_overlay_get_kind  (AdwToastOverlay *overlay,
                                      const char      *kind);

/* The same for a preferences window's own overlay. */
AdwToast *cb_preferences_window_add_kind (AdwPreferencesWindow *window,
                                          const char           *kind,
                                          AdwToast             *toast);
AdwToast *cb_preferences_window_get_kind (AdwPreferencesWindow *window,
                                          const char           *kind);

/* Makes @overlay the place where cb_widget_toast() shows the toasts of widgets in @root.
 * @root does not own @overlay (it is its child). */
void      cb_toast_overlay_set_for_root (GtkRoot         *root,
                                         AdwToastOverlay *overlay);

/* Convenience for pages: toasts @title in the overlay set for the page's root, as a toast of
 * kind CB_TOAST_KIND_OUTCOME (does nothing outside one). */
void      cb_widget_toast            (GtkWidget       *widget,
                                      const char      *title);

G_END_DECLS
