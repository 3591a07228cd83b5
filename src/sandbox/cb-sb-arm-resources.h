/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the subscriptions and resource groups ARM lists (cb-sb-arm-resources.c). A
 * subscription or resource group is there when it was named (arm_subscriptions,
 * arm_resource_groups) or when a hub, DPS instance or namespace lives in it. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* The subscriptions there are (their ids), as a SELECT of one column named id. */
#define CB_SB_ARM_SUBSCRIPTIONS_SQL \
  "SELECT id FROM arm_subscriptions UNION SELECT subscription FROM hubs " \
  "UNION SELECT subscription FROM dps_instances UNION SELECT subscription FROM adr_namespaces"
/* The resource groups there are, as a SELECT of subscription, name. */
#define CB_SB_ARM_RESOURCE_GROUPS_SQL \
  "SELECT subscription, name FROM arm_resource_groups " \
  "UNION SELECT subscription, resource_group FROM hubs " \
  "UNION SELECT subscription, resource_group FROM dps_instances " \
  "UNION SELECT subscription, resource_group FROM adr_namespaces"

/* Creates arm_subscriptions(id PK, display_name) and arm_resource_groups(subscription, name,
 * location) after the store opened. */
gboolean      cb_sb_arm_resources_init        (CbSandbox   *self,
                                               GError     **error);
gboolean      cb_sb_arm_add_subscription      (CbSandbox   *self,
                                               const char  *id,
                                               const char  *display_name,
                                               GError     **error);
/* A subscription in another tenant than the home one (NULL: the home tenant). */
gboolean      cb_sb_arm_add_subscription_in_tenant (CbSandbox *self,
                                                    const char *id,
                                                    const char *display_name,
                                                    const char *tenant,
                                                    GError    **error);
gboolean      cb_sb_arm_add_resource_group    (CbSandbox   *self,
                                               const char  *subscription,
                                               const char  *name,
                                               const char  *location,
                                               GError     **error);
/* The display name of a subscription: the one it was given, else "Sandbox subscription". */
char         *cb_sb_arm_subscription_name     (CbSandbox   *self,
                                               const char  *id);
/* The location of a resource group: the one it was given, else its first namespace's, else
 * westeurope. */
char         *cb_sb_arm_resource_group_location (CbSandbox  *self,
                                                 const char *subscription,
                                                 const char *name);

/* The tenant a subscription belongs to (the home tenant unless it was named in another), or
 * NULL when there is no such subscription. */
char         *cb_sb_arm_subscription_tenant   (CbSandbox   *self,
                                               const char  *id);

G_END_DECLS
