/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the IoT Hub resource provider's hubs on ARM (cb-sb-routes-iothub-rp.c): get, list
 * by subscription and by resource group, and the shared access policies' keys. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_iothub_rp_add      (CbSandbox      *self);

G_END_DECLS
