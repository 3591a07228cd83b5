/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the fleet (cbd-fleet.c) shares with its command line (cbd-fleet-main.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* CbdFleetOptions.max_registering when 0. */
#define CBD_FLEET_DEFAULT_MAX_REGISTERING 32

/* round(count x fraction), within 0..count: how many devices a role fraction makes. */
guint       cbd_fleet_fraction_count   (guint                  count,
                                        double                 fraction);
/* Zeroes a secret string, then frees it. NULL is fine. */
void        cbd_fleet_wipe_free        (char                  *secret);

G_END_DECLS
