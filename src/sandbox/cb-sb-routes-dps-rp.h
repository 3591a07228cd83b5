/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the Device Provisioning Service's resource provider on ARM
 * (cb-sb-routes-dps-rp.c): get a DPS instance, list them by subscription and resource group. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_dps_rp_add         (CbSandbox      *self);

G_END_DECLS
