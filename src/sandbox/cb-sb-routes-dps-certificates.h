/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the certificates sub-resource of Microsoft.Devices/provisioningServices on ARM
 * (signing CAs of X.509 enrollment groups, with proof of possession). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

#define CB_SB_DPS_ARM_API_VERSION "2026-08-01"

/* Creates the table and adds the routes. */
gboolean      cb_sb_routes_dps_certificates_init (CbSandbox  *self,
                                                  GError    **error);

G_END_DECLS
