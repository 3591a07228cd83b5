/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: The Azure Monitor activity log surface (cb-sb-routes-activity.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_activity_add (CbSandbox *self);

G_END_DECLS
