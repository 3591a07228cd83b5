/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the ARM routes of the certificate policies under a certificate authority in
 * ADR's 2026-11-01 model (cb-sb-routes-certificate-policies.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

void          cb_sb_routes_certificate_policies_add (CbSandbox *self);

G_END_DECLS
