/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: direct methods on IoT Hub's service REST surface (cb-sb-routes-hub-methods.c):
 * POST /hubs/{hub}/twins/{id}/methods. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_hub_methods_add    (CbSandbox      *self);

G_END_DECLS
