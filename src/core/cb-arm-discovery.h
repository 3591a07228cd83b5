/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-arm-resource.h"
#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-profile.h"

G_BEGIN_DECLS

/* The api-versions the lists are read at. */
#define CB_ARM_DISCOVERY_RESOURCES_API_VERSION "2022-12-01"
#define CB_ARM_DISCOVERY_IOTHUB_API_VERSION    "2023-06-30"
#define CB_ARM_DISCOVERY_DPS_API_VERSION       "2022-02-05"

/**
 * CbArmDiscovery:
 *
 * Finds, for a signed-in user, what a connection can use: the tenants, subscriptions,
 * resource groups, Device Registry namespaces, IoT hubs and DPS instances ARM lets them read,
 * every page of each list. Tokens come from the Entra client (or a fixed token): for the
 * profile's tenant, or for the tenant chosen with cb_arm_discovery_set_tenant(), which the
 * sign-in's refresh token gets at that tenant's authority.
 */
#define CB_TYPE_ARM_DISCOVERY (cb_arm_discovery_get_type ())
G_DECLARE_FINAL_TYPE (CbArmDiscovery, cb_arm_discovery, CB, ARM_DISCOVERY, GObject)

/* profile: its ARM endpoint is where the lists are read and the only host tokens go to. */
CbArmDiscovery *cb_arm_discovery_new              (CbProfile            *profile,
                                                   CbHttpClient         *http);
void            cb_arm_discovery_set_entra_client (CbArmDiscovery       *self,
                                                   CbEntraClient        *entra);
void            cb_arm_discovery_set_access_token (CbArmDiscovery       *self,
                                                   const char           *token);

/* The tenant (its id) the lists after the tenants are read in; NULL: the profile's. ARM lists
 * the subscriptions of the token's tenant only. */
void            cb_arm_discovery_set_tenant       (CbArmDiscovery       *self,
                                                   const char           *tenant);
const char     *cb_arm_discovery_get_tenant       (CbArmDiscovery       *self);

/* The URL of the first page of a list: tenants and subscriptions take no parent; resource
 * groups a subscription; namespaces, hubs and DPS instances a subscription and, unless NULL,
 * a resource group. NULL with an error when a parent it needs is missing. */
char           *cb_arm_discovery_build_url        (const char           *arm_endpoint,
                                                   CbArmResourceKind     kind,
                                                   const char           *subscription,
                                                   const char           *resource_group,
                                                   GError              **error);

/* Every entry of one list (following nextLink), in the service's order: a GPtrArray of
 * CbArmResource. A 403 is CB_API_ERROR_FORBIDDEN: the account may not list there (enter the
 * name by hand). */
void            cb_arm_discovery_list_async       (CbArmDiscovery       *self,
                                                   CbArmResourceKind     kind,
                                                   const char           *subscription,
                                                   const char           *resource_group,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
GPtrArray      *cb_arm_discovery_list_finish      (CbArmDiscovery       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

G_END_DECLS
