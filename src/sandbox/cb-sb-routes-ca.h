/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: The sandbox's own CA endpoints (cb-sb-routes-ca.c): CRLs, a namespace's root, check-chain. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_ca_add (CbSandbox *self);

G_END_DECLS
