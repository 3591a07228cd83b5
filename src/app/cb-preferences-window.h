/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CB_TYPE_PREFERENCES_WINDOW (cb_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (CbPreferencesWindow, cb_preferences_window, CB, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

/* Edits @settings (schema io.github.certbench.Certbench) directly. */
CbPreferencesWindow *cb_preferences_window_new (GSettings *settings);

G_END_DECLS
