/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: Microsoft.Resources' lists on ARM (cb-sb-routes-arm-resources.c): tenants,
 * subscriptions and a subscription's resource groups, as a signed-in user sees them. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_arm_resources_add  (CbSandbox      *self);

G_END_DECLS
