/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the sandbox's own view of a device's hub connection
 * (GET /sandbox/hubs/{hub}/devices/{deviceId}/connection). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_mqtt_connection_add (CbSandbox *self);

G_END_DECLS
