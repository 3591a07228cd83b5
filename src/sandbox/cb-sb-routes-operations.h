/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the ARM routes of ARM operation statuses and results (cb-sb-routes-operations.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_operations_add (CbSandbox *self);

G_END_DECLS
