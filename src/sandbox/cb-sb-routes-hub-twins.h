/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the device twin routes of IoT Hub's service REST surface
 * (cb-sb-routes-hub-twins.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_hub_twins_add      (CbSandbox      *self);

G_END_DECLS
