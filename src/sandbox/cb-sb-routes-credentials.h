/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the ARM routes of the credential and its policies (cb-sb-routes-credentials.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_credentials_add (CbSandbox *self);

G_END_DECLS
