/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-arm-discovery"

/* Discovery after sign-in: the ARM lists a connection is chosen from, on the generic ARM
 * engine (a bearer token only to the profile's ARM host, nextLink paging there only, ARM's
 * error bodies, cancellation). Tenants (GET /tenants), subscriptions (GET /subscriptions),
 * resource groups (GET /subscriptions/{id}/resourcegroups), namespaces
 * (Microsoft.DeviceRegistry/namespaces), IoT hubs (Microsoft.Devices/IotHubs) and DPS
 * instances (Microsoft.Devices/provisioningServices), the last three by resource group or by
 * subscription. The account's tenants are listed whatever tenant the token is from; the rest
 * only in the token's tenant, so once a tenant is chosen (cb_arm_discovery_set_tenant) the
 * lists are read with a token for it, got with the sign-in's refresh token at that tenant's
 * authority (ARM refuses another tenant's token for a subscription:
 * InvalidAuthenticationTokenTenant). */

#include "config.h"

#include "cb-adr-client.h"
#include "cb-arm-discovery.h"
#include "cb-arm-engine.h"
#include "cb-error.h"

struct _CbArmDiscovery
{
  GObject     parent_instance;

  CbArmEngine arm;
};

G_DEFINE_FINAL_TYPE (CbArmDiscovery, cb_arm_discovery, G_TYPE_OBJECT)

static void
cb_arm_discovery_finalize (GObject *object)
{
  CbArmDiscovery *self = CB_ARM_DISCOVERY (object);

  cb_arm_engine_clear (&self->arm);

  G_OBJECT_CLASS (cb_arm_discovery_parent_class)->finalize (object);
}

static void
cb_arm_discovery_class_init (CbArmDiscoveryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_arm_discovery_finalize;
}

static void
cb_arm_discovery_init (CbArmDiscovery *self)
{
  cb_arm_engine_init (&self->arm, CB_ADR_ARM_SCOPE);
}

CbArmDiscovery *
cb_arm_discovery_new (CbProfile    *profile,
                      CbHttpClient *http)
{
  CbArmDiscovery *self;

  g_return_val_if_fail (CB_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (http), NULL);

  self = g_object_new (CB_TYPE_ARM_DISCOVERY, NULL);
  self->arm.profile = g_object_ref (profile);
  self->arm.http = g_object_ref (http);
  return self;
}

void
cb_arm_discovery_set_entra_client (CbArmDiscovery *self,
                                   CbEntraClient  *entra)
{
  g_return_if_fail (CB_IS_ARM_DISCOVERY (self));
  g_return_if_fail (entra == NULL || CB_IS_ENTRA_CLIENT (entra));

  cb_arm_engine_set_entra_client (&self->arm, entra);
}

void
cb_arm_discovery_set_access_token (CbArmDiscovery *self,
                                   const char     *token)
{
  g_return_if_fail (CB_IS_ARM_DISCOVERY (self));

  cb_arm_engine_set_access_token (&self->arm, token);
}

char *
cb_arm_discovery_build_url (const char         *arm_endpoint,
                            CbArmResourceKind   kind,
                            const char         *subscription,
                            const char         *resource_group,
                            GError            **error)
{
  const char *provider = NULL;
  const char *type = NULL;
  const char *api_version = CB_ARM_DISCOVERY_RESOURCES_API_VERSION;

  if (!cb_arm_require_setting (arm_endpoint, "ARM endpoint", error))
    return NULL;

  switch (kind)
    {
    case CB_ARM_RESOURCE_TENANT:
      {
        const char *segments[] = { "tenants", NULL };
        return cb_arm_build_url (arm_endpoint, segments, api_version);
      }
    case CB_ARM_RESOURCE_SUBSCRIPTION:
      {
        const char *segments[] = { "subscriptions", NULL };
        return cb_arm_build_url (arm_endpoint, segments, api_version);
      }
    case CB_ARM_RESOURCE_GROUP:
      {
        const char *segments[] = { "subscriptions", subscription, "resourcegroups", NULL };

        if (!cb_arm_require_setting (subscription, "subscription id", error))
          return NULL;
        return cb_arm_build_url (arm_endpoint, segments, api_version);
      }
    case CB_ARM_RESOURCE_NAMESPACE:
      provider = "Microsoft.DeviceRegistry";
      type = "namespaces";
      api_version = CB_ADR_API_VERSION;
      break;
    case CB_ARM_RESOURCE_HUB:
      provider = "Microsoft.Devices";
      type = "IotHubs";
      api_version = CB_ARM_DISCOVERY_IOTHUB_API_VERSION;
      break;
    case CB_ARM_RESOURCE_DPS:
      provider = "Microsoft.Devices";
      type = "provisioningServices";
      api_version = CB_ARM_DISCOVERY_DPS_API_VERSION;
      break;
    default:
      g_return_val_if_reached (NULL);
    }

  if (!cb_arm_require_setting (subscription, "subscription id", error))
    return NULL;
  if (resource_group != NULL && *resource_group != '\0')
    {
      const char *segments[] = { "subscriptions", subscription, "resourceGroups", resource_group,
                                 "providers", provider, type, NULL };
      return cb_arm_build_url (arm_endpoint, segments, api_version);
    }
  else
    {
      const char *segments[] = { "subscriptions", subscription, "providers", provider, type,
                                 NULL };
      return cb_arm_build_url (arm_endpoint, segments, api_version);
    }
}

#define PARSER(fn, kind) \
  static gpointer \
  fn (JsonNode *node, GError **error) \
  { \
    return cb_arm_resource_new_from_json (kind, node, error); \
  }

PARSER (parse_tenant, CB_ARM_RESOURCE_TENANT)
PARSER (parse_subscription, CB_ARM_RESOURCE_SUBSCRIPTION)
PARSER (parse_group, CB_ARM_RESOURCE_GROUP)
PARSER (parse_namespace, CB_ARM_RESOURCE_NAMESPACE)
PARSER (parse_hub, CB_ARM_RESOURCE_HUB)
PARSER (parse_dps, CB_ARM_RESOURCE_DPS)

static const CbArmParseFunc parsers[] = {
  [CB_ARM_RESOURCE_TENANT] = parse_tenant,
  [CB_ARM_RESOURCE_SUBSCRIPTION] = parse_subscription,
  [CB_ARM_RESOURCE_GROUP] = parse_group,
  [CB_ARM_RESOURCE_NAMESPACE] = parse_namespace,
  [CB_ARM_RESOURCE_HUB] = parse_hub,
  [CB_ARM_RESOURCE_DPS] = parse_dps,
};

void
cb_arm_discovery_list_async (CbArmDiscovery      *self,
                             CbArmResourceKind    kind,
                             const char          *subscription,
                             const char          *resource_group,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ARM_DISCOVERY (self));
  g_return_if_fail ((guint) kind < G_N_ELEMENTS (parsers));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  url = cb_arm_discovery_build_url (cb_profile_get_arm_endpoint (self->arm.profile), kind,
                                    subscription, resource_group, &error);
  cb_arm_engine_list (&self->arm, self, cb_arm_discovery_list_async, url, error,
                      parsers[kind], FALSE, cancellable, callback, user_data);
}

void
cb_arm_discovery_set_tenant (CbArmDiscovery *self,
                             const char     *tenant)
{
  g_return_if_fail (CB_IS_ARM_DISCOVERY (self));

  cb_arm_engine_set_tenant (&self->arm, tenant);
}

const char *
cb_arm_discovery_get_tenant (CbArmDiscovery *self)
{
  g_return_val_if_fail (CB_IS_ARM_DISCOVERY (self), NULL);

  return self->arm.tenant;
}

/**
 * cb_arm_discovery_list_finish:
 *
 * Returns: (transfer full) (element-type CbArmResource): the entries
 */
GPtrArray *
cb_arm_discovery_list_finish (CbArmDiscovery  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  return cb_arm_finish_pointer (self, result, cb_arm_discovery_list_async, error);
}
