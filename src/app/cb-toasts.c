/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-toasts"

#include "config.h"

#include "cb-toasts.h"

/* The overlay keeps its current toast of each kind as object data under "cb-toast:<kind>"; the
 * toast carries the key, so its "dismissed" handler can drop it again.
 *
 * A newer toast of a kind is shown by changing the toast already up (or queued) in place, the
 * way libadwaita's documentation updates an undo toast, never by dismissing it: libadwaita 1.2's
 * AdwToastOverlay frees a toast's bookkeeping when its hide animation ends but leaves its show
 * animation running, and a toast shown while another hid (a 500 ms show) and dismissed within
 * 200 ms had its show animation's "done" write into freed memory (a crash under
 * MALLOC_PERTURB_; fixed in libadwaita 1.3, "Prevent show_done from firing after hide_done").
 * Copies clicked in a row, or a page reparented (unmapped, so every animation skips to its end
 * at once) with such toasts up, did exactly that. A queue does it too: the toast up closed,
 * the next one is shown over it as it hides, at the same place, and a double click on the close
 * button closes that one as well. So the app's toasts have kinds (CB_TOAST_KIND_OUTCOME where
 * an overlay has one toast at a time) and only this file calls adw_toast_overlay_add_toast or
 * adw_preferences_window_add_toast (build-aux/check-layers.py checks it). A preferences window
 * keeps its overlay to itself, so the window holds the kinds of its toasts. */
#define KEY_DATA "cb-toast-key"
/* The root keeps the overlay its widgets' toasts go to. */
#define ROOT_OVERLAY_DATA "cb-toast-root-overlay"

static char *
kind_key (const char *kind)
{
  return g_strconcat ("cb-toast:", kind, NULL);
}

static AdwToast *
get_kind (GObject    *holder,
          const char *kind)
{
  g_autofree char *key = kind_key (kind);

  return g_object_get_data (holder, key);
}

static void
on_toast_dismissed (AdwToast *toast,
                    GObject  *holder)
{
  const char *key = g_object_get_data (G_OBJECT (toast), KEY_DATA);

  g_assert (ADW_IS_TOAST (toast));

  if (key != NULL && g_object_get_data (holder, key) == toast)
    g_object_set_data (holder, key, NULL);
}

/* What a caller sets on a toast, from @from onto @to (the widget showing @to follows its
 * properties). */
static void
update_in_place (AdwToast *to,
                 AdwToast *from)
{
  GtkWidget *custom_title = adw_toast_get_custom_title (from);

  /* Each of the two setters clears the other. */
  if (custom_title != NULL)
    {
      g_object_ref (custom_title);
      adw_toast_set_custom_title (from, NULL);
      adw_toast_set_custom_title (to, custom_title);
      g_object_unref (custom_title);
    }
  else
    {
      adw_toast_set_title (to, adw_toast_get_title (from));
    }
  adw_toast_set_button_label (to, adw_toast_get_button_label (from));
  adw_toast_set_action_name (to, adw_toast_get_action_name (from));
  adw_toast_set_action_target_value (to, adw_toast_get_action_target_value (from));
  adw_toast_set_priority (to, adw_toast_get_priority (from));
  adw_toast_set_timeout (to, adw_toast_get_timeout (from));
}

/* Puts a toast on the overlay @holder stands for: the overlay itself, or a preferences
 * window's own (libadwaita 1.2 gives no way to reach it but adw_preferences_window_add_toast). */
typedef void (*AddToastFunc) (gpointer holder, AdwToast *toast);

static void
overlay_add (gpointer  holder,
             AdwToast *toast)
{
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (holder), toast);
}

static void
preferences_window_add (gpointer  holder,
                        AdwToast *toast)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (holder), toast);
}

static AdwToast *
add_kind (GObject      *holder,
          AddToastFunc  add,
          const char   *kind,
          AdwToast     *toast)
{
  AdwToast *old = get_kind (holder, kind);
  g_autofree char *key = NULL;

  if (old != NULL)
    {
      update_in_place (old, toast);
      g_object_unref (toast);
      /* Adding a toast the overlay holds restarts its timeout when it is shown, and moves it
       * up the queue when it waits; the overlay takes no reference then. */
      add (holder, g_object_ref (old));
      return old;
    }

  key = kind_key (kind);
  g_object_set_data_full (G_OBJECT (toast), KEY_DATA, g_strdup (key), g_free);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_toast_dismissed), holder, 0);
  g_object_set_data_full (holder, key, g_object_ref (toast), g_object_unref);
  add (holder, toast);
  return toast;
}

AdwToast *
cb_toast_overlay_add_kind (AdwToastOverlay *overlay,
                           const char      *kind,
                           AdwToast        *toast)
{
  g_return_val_if_fail (ADW_IS_TOAST_OVERLAY (overlay), NULL);
  g_return_val_if_fail (ADW_IS_TOAST (toast), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  return add_kind (G_OBJECT (overlay), overlay_add, kind, toast);
}

AdwToast *
cb_toast_overlay_get_kind (AdwToastOverlay *overlay,
                           const char      *kind)
{
  g_return_val_if_fail (ADW_IS_TOAST_OVERLAY (overlay), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  return get_kind (G_OBJECT (overlay), kind);
}

AdwToast *
cb_preferences_window_add_kind (AdwPreferencesWindow *window,
                                const char           *kind,
                                AdwToast             *toast)
{
  g_return_val_if_fail (ADW_IS_PREFERENCES_WINDOW (window), NULL);
  g_return_val_if_fail (ADW_IS_TOAST (toast), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  return add_kind (G_OBJECT (window), preferences_window_add, kind, toast);
}

AdwToast *
cb_preferences_window_get_kind (AdwPreferencesWindow *window,
                                const char           *kind)
{
  g_return_val_if_fail (ADW_IS_PREFERENCES_WINDOW (window), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  return get_kind (G_OBJECT (window), kind);
}

void
cb_toast_overlay_set_for_root (GtkRoot         *root,
                               AdwToastOverlay *overlay)
{
  g_return_if_fail (GTK_IS_ROOT (root));
  g_return_if_fail (overlay == NULL || ADW_IS_TOAST_OVERLAY (overlay));

  g_object_set_data (G_OBJECT (root), ROOT_OVERLAY_DATA, overlay);
}

void
cb_widget_toast (GtkWidget  *widget,
                 const char *title)
{
  GtkRoot *root;
  AdwToastOverlay *overlay = NULL;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (title != NULL);

  root = gtk_widget_get_root (widget);
  if (root != NULL)
    overlay = g_object_get_data (G_OBJECT (root), ROOT_OVERLAY_DATA);
  if (overlay != NULL)
    cb_toast_overlay_add_kind (overlay, CB_TOAST_KIND_OUTCOME, adw_toast_new (title));
}
