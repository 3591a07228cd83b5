/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the ARM routes of a namespace's certificate authorities in ADR's 2026-11-01
 * model (cb-sb-routes-certificate-authorities.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_certificate_authorities_add (CbSandbox *self);

G_END_DECLS
