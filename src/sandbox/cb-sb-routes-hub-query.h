/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the device query routes of IoT Hub's service REST surface
 * (cb-sb-routes-hub-query.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_hub_query_add      (CbSandbox      *self);

G_END_DECLS
