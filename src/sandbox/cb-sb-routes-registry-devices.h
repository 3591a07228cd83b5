/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the ARM routes of registry devices and their authentication profiles, stable
 * 2026-11-01 model (cb-sb-routes-registry-devices.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_registry_devices_add (CbSandbox *self);

G_END_DECLS
