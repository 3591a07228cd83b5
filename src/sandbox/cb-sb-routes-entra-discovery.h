/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: Entra's metadata documents (cb-sb-routes-entra-discovery.c). */

#include "cb-sb-request.h"

G_BEGIN_DECLS

/* Whether the {tenant} of the request is one the sandbox answers for (common, organizations,
 * its own tenant id or "sandbox", another tenant's id or domain); replies 400 invalid_request
 * otherwise. */
gboolean      cb_sb_entra_check_tenant          (CbSbRequest *req);
/* The id of the tenant the request's {tenant} names, or NULL for common and organizations
 * (the tenant then comes from the account or the refresh token). */
char         *cb_sb_entra_authority_tenant      (CbSbRequest *req);
/* Adds the OpenID configuration, the (empty) signing keys and instance discovery. */
void          cb_sb_routes_entra_discovery_add  (CbSandbox   *self);

G_END_DECLS
