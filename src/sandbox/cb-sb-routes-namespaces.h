/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the ARM routes of Microsoft.DeviceRegistry/namespaces (cb-sb-routes-namespaces.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_namespaces_add (CbSandbox *self);

G_END_DECLS
