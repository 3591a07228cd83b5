/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The renewal point the user chose in Preferences (the "renewal-fraction" key), or
 * CB_DEFAULT_RENEWAL_FRACTION where the schema is not installed (a test without it). */
double cb_app_settings_get_renewal_fraction (void);

/* The device driver pinned for the port @path ("port-drivers"): "smp", "nrf91", or "auto"
 * when none is pinned or the schema is not installed. Returns: (transfer full) */
char   *cb_app_settings_dup_port_driver      (const char  *path);
/* Pins @name for @path ("auto" or NULL unpins). FALSE with @error for an unknown driver name
 * or when the schema is not installed. */
gboolean cb_app_settings_set_port_driver     (const char  *path,
                                              const char  *name,
                                              GError     **error);

G_END_DECLS
