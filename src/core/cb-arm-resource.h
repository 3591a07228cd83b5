/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What a discovery list holds (cb-arm-discovery.h). */
typedef enum
{
  CB_ARM_RESOURCE_TENANT,
  CB_ARM_RESOURCE_SUBSCRIPTION,
  CB_ARM_RESOURCE_GROUP,
  CB_ARM_RESOURCE_NAMESPACE,
  CB_ARM_RESOURCE_HUB,
  CB_ARM_RESOURCE_DPS,
} CbArmResourceKind;

/**
 * CbArmResource:
 *
 * One entry of an ARM list read after signing in: a tenant, subscription, resource group,
 * Device Registry namespace, IoT hub or DPS instance, with what a connection needs of it.
 */
#define CB_TYPE_ARM_RESOURCE (cb_arm_resource_get_type ())
G_DECLARE_FINAL_TYPE (CbArmResource, cb_arm_resource, CB, ARM_RESOURCE, GObject)

/* Reads one element of a list's "value" as Azure shapes it for kind; NULL with an error when
 * it lacks what identifies it (tenantId, subscriptionId, name). */
CbArmResource     *cb_arm_resource_new_from_json  (CbArmResourceKind  kind,
                                                   JsonNode          *node,
                                                   GError           **error);

CbArmResourceKind  cb_arm_resource_get_kind       (CbArmResource     *self);
/* The ARM id ("/subscriptions/…"); for a tenant "/tenants/{id}". */
const char        *cb_arm_resource_get_id         (CbArmResource     *self);
/* What identifies it in its parent: the tenant or subscription GUID, or the resource name. */
const char        *cb_arm_resource_get_name       (CbArmResource     *self);
/* What a person reads: displayName for tenants and subscriptions, else the name. */
const char        *cb_arm_resource_get_title      (CbArmResource     *self);
/* A line under the title: the tenant's domain, the subscription's id, the location, the
 * hub's host name, the DPS instance's ID scope. */
const char        *cb_arm_resource_get_detail     (CbArmResource     *self);
/* A subscription's tenant; NULL for the rest. */
const char        *cb_arm_resource_get_tenant_id  (CbArmResource     *self);
const char        *cb_arm_resource_get_location   (CbArmResource     *self);
/* A hub's host name (properties.hostName), a DPS instance's service host name
 * (properties.serviceOperationsHostName); NULL for the rest. */
const char        *cb_arm_resource_get_host_name  (CbArmResource     *self);
/* A DPS instance's ID scope; NULL for the rest. */
const char        *cb_arm_resource_get_id_scope   (CbArmResource     *self);

G_END_DECLS
