/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-arm-resource.h"
#include "cb-context.h"
#include "cb-discovery-step.h"

G_BEGIN_DECLS

/* Choosing an Azure connection from lists after signing in: tenant (only when there are
 * several), subscription, resource group, namespace, IoT hub and DPS instance, one step after
 * the other in a leaflet. "finished" (gboolean complete) is emitted once: complete when the
 * last step was reached, else the user chose to enter the rest by hand; the choices made so
 * far are there either way. */
#define CB_TYPE_CONNECTION_DISCOVERY (cb_connection_discovery_get_type ())
G_DECLARE_FINAL_TYPE (CbConnectionDiscovery, cb_connection_discovery, CB, CONNECTION_DISCOVERY,
                      AdwWindow)

/* Lists with the context's sign-in (its Entra client, HTTP client and ARM endpoint). */
CbConnectionDiscovery *cb_connection_discovery_new        (CbContext             *context);
/* What was chosen at the step of kind, or NULL. */
CbArmResource         *cb_connection_discovery_get_choice (CbConnectionDiscovery *self,
                                                           CbArmResourceKind      kind);
/* The step shown now. */
CbDiscoveryStep       *cb_connection_discovery_get_step   (CbConnectionDiscovery *self);

G_END_DECLS
