/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the sandbox's way to send a cloud-to-device message (cb-sb-routes-hub-c2d.c):
 * POST /hubs/{hub}/devices/{id}/messages/deviceBound. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_hub_c2d_add        (CbSandbox      *self);

G_END_DECLS
