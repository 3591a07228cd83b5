/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the Device Provisioning Service's device API (cb-sb-routes-dps-device.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* The device API under /dps/{idScope}. */
void          cb_sb_routes_dps_device_add      (CbSandbox   *self);

G_END_DECLS
