/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the route files of the Device Provisioning Service. */

#include "cb-sb-routes-dps-reply.h"
#include "cb-sb-request.h"
#include "cb-sb-routes-dps-device.h"

G_BEGIN_DECLS

G_END_DECLS
