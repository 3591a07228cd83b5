/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the ARM routes of ADR devices (cb-sb-routes-devices.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_devices_add (CbSandbox *self);

G_END_DECLS
