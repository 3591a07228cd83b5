/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The ARM resource ids of ADR's resources (and of the hubs they link to), built from their
 * names and taken apart again. */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-ids.h"

char *
cb_sb_namespace_id (const char *subscription,
                    const char *resource_group,
                    const char *ns)
{
  return g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/"
                          "Microsoft.DeviceRegistry/namespaces/%s",
                          subscription, resource_group, ns);
}

char *
cb_sb_policy_id (const char *namespace_id,
                 const char *policy)
{
  return g_strdup_printf ("%s/credentials/default/policies/%s", namespace_id, policy);
}

char *
cb_sb_credential_id (const char *namespace_id)
{
  return g_strdup_printf ("%s/credentials/default", namespace_id);
}

char *
cb_sb_device_id (const char *namespace_id,
                 const char *device)
{
  return g_strdup_printf ("%s/devices/%s", namespace_id, device);
}

char *
cb_sb_hub_resource_id (const char *subscription,
                       const char *resource_group,
                       const char *hub)
{
  return g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Devices/"
                          "IotHubs/%s", subscription, resource_group, hub);
}

char *
cb_sb_namespace_of (const char *resource_id)
{
  const char *p = strstr (resource_id, "/credentials/");

  if (p == NULL)
    p = strstr (resource_id, "/devices/");
  if (p == NULL)
    return g_strdup (resource_id);

  return g_strndup (resource_id, p - resource_id);
}
