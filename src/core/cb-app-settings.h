/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The renewal point the user chose in Preferences (the "renewal-fraction" key), or
 * CB_DEFAULT_RENEWAL_FRACTION where the schema is not installed (a test without it). */
double cb_app_settings_get_renewal_fraction (void);

G_END_DECLS
