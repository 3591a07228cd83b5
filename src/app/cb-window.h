/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

#define CB_TYPE_WINDOW (cb_window_get_type ())
G_DECLARE_FINAL_TYPE (CbWindow, cb_window, CB, WINDOW, AdwApplicationWindow)

/* @application may be NULL (tests). */
CbWindow   *cb_window_new              (GtkApplication *application,
                                        CbContext      *context);
CbContext  *cb_window_get_context      (CbWindow       *self);
/* Shows an outcome as a toast over the pages. Takes ownership of @toast. */
void        cb_window_add_toast        (CbWindow       *self,
                                        AdwToast       *toast);
/* "bench", "journal", "registry", "fleet", "diagnostics". */
void        cb_window_set_page         (CbWindow       *self,
                                        const char     *name);
const char *cb_window_get_page         (CbWindow       *self);
/* The page widget by name, or NULL. */
GtkWidget  *cb_window_get_page_widget  (CbWindow       *self,
                                        const char     *name);

/* Opens the device page on @device_id over the pages (Back returns). Returns: (transfer none)
 * the CbDevicePage. */
GtkWidget  *cb_window_show_device      (CbWindow       *self,
                                        const char     *device_id);
/* The device page while it is shown, else NULL. Returns: (transfer none) (nullable) */
GtkWidget  *cb_window_get_device_page  (CbWindow       *self);

/* For a page: the CbWindow it is in, or NULL. */
CbWindow   *cb_window_for_widget       (GtkWidget      *widget);

G_END_DECLS
