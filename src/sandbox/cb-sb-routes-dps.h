/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the route files of the Device Provisioning Service. */

#include "cb-sb-request.h"

G_BEGIN_DECLS

/* The device API under /dps/{idScope} (cb-sb-routes-dps-device.c). */
void          cb_sb_routes_dps_device_add      (CbSandbox   *self);
/* 401 401002 "Unauthorized: <reason>", as both APIs refuse a caller. Returns FALSE. */
gboolean      cb_sb_dps_reply_unauthorized     (CbSbRequest *req,
                                                const char  *reason);

G_END_DECLS
