/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-toasts"

#include "config.h"

#include "cb-toasts.h"

/* The overlay keeps its current toast of each kind as object data under "cb-toast:<kind>"; the
 * toast carries the key, so its "dismissed" handler can drop it again. */
#define KEY_DATA "cb-toast-key"
/* The root keeps the overlay its widgets' toasts go to. */
#define ROOT_OVERLAY_DATA "cb-toast-root-overlay"

static char *
kind_key (const char *kind)
{
  return g_strconcat ("cb-toast:", kind, NULL);
}

static void
on_toast_dismissed (AdwToast        *toast,
                    AdwToastOverlay *overlay)
{
  const char *key = g_object_get_data (G_OBJECT (toast), KEY_DATA);

  g_assert (ADW_IS_TOAST (toast));
  g_assert (ADW_IS_TOAST_OVERLAY (overlay));

  if (key != NULL && g_object_get_data (G_OBJECT (overlay), key) == toast)
    g_object_set_data (G_OBJECT (overlay), key, NULL);
}

void
cb_toast_overlay_add_kind (AdwToastOverlay *overlay,
                           const char      *kind,
                           AdwToast        *toast)
{
  g_autofree char *key = NULL;
  AdwToast *old;

  g_return_if_fail (ADW_IS_TOAST_OVERLAY (overlay));
  g_return_if_fail (ADW_IS_TOAST (toast));

  if (kind == NULL)
    {
      adw_toast_overlay_add_toast (overlay, toast);
      return;
    }

  key = kind_key (kind);
  old = g_object_get_data (G_OBJECT (overlay), key);
  /* Dismissing takes a queued toast out of the queue, or hides the shown one. Its handler
   * drops it from the overlay's data. */
  if (old != NULL)
    adw_toast_dismiss (old);

  g_object_set_data_full (G_OBJECT (toast), KEY_DATA, g_strdup (key), g_free);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_toast_dismissed), overlay, 0);
  g_object_set_data_full (G_OBJECT (overlay), key, g_object_ref (toast), g_object_unref);
  adw_toast_overlay_add_toast (overlay, toast);
}

AdwToast *
cb_toast_overlay_get_kind (AdwToastOverlay *overlay,
                           const char      *kind)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (ADW_IS_TOAST_OVERLAY (overlay), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  key = kind_key (kind);
  return g_object_get_data (G_OBJECT (overlay), key);
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
    adw_toast_overlay_add_toast (overlay, adw_toast_new (title));
}
