/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The ADR module's part of the assembly: each init creates its tables, then adds its
 * routes (cb_sandbox_start calls them in the order of cb-sb-modules.h). */

#include "config.h"

#include "cb-sb-activity.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-adr-device-keys.h"
#include "cb-sb-adr-endpoint-store.h"
#include "cb-sb-adr-linking.h"
#include "cb-sb-adr-operations.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-resources.h"
#include "cb-sb-ca.h"
#include "cb-sb-events.h"
#include "cb-sb-modules.h"
#include "cb-sb-routes-activity.h"
#include "cb-sb-routes-arm-resources.h"
#include "cb-sb-routes-ca.h"
#include "cb-sb-routes-certificate-authorities.h"
#include "cb-sb-routes-certificate-policies.h"
#include "cb-sb-routes-credentials.h"
#include "cb-sb-routes-devices.h"
#include "cb-sb-routes-dps-rp.h"
#include "cb-sb-routes-hub-certificates.h"
#include "cb-sb-routes-namespaces.h"
#include "cb-sb-routes-operations.h"
#include "cb-sb-routes-registry-devices.h"

/* The CA engine's tables and the sandbox's own CA endpoints. */
gboolean
cb_sb_ca_init (CbSandbox  *self,
               GError    **error)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!cb_sb_ca_store_init (self, error))
    return FALSE;

  cb_sb_routes_ca_add (self);
  return TRUE;
}

/* The activity log and the Monitor surface that serves it. */
gboolean
cb_sb_activity_init (CbSandbox  *self,
                     GError    **error)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!cb_sb_activity_store_init (self, error))
    return FALSE;

  cb_sb_routes_activity_add (self);
  return TRUE;
}

/* The ADR tables and the ARM surfaces: Microsoft.DeviceRegistry and the hubs' certificates. */
gboolean
cb_sb_arm_init (CbSandbox  *self,
                GError    **error)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!cb_sb_adr_store_init (self, error) || !cb_sb_adr_operations_init (self, error) ||
      !cb_sb_adr_ca_store_init (self, error))
    return FALSE;
  if (!cb_sb_adr_endpoints_init (self, error) || !cb_sb_adr_device_keys_init (self, error))
    return FALSE;
  if (!cb_sb_arm_resources_init (self, error))
    return FALSE;
  cb_sb_adr_linking_init (self);

  cb_sb_routes_operations_add (self);
  cb_sb_routes_certificate_authorities_add (self);
  cb_sb_routes_certificate_policies_add (self);
  cb_sb_routes_namespaces_add (self);
  cb_sb_routes_credentials_add (self);
  cb_sb_routes_devices_add (self);
  cb_sb_routes_registry_devices_add (self);
  cb_sb_routes_hub_certificates_add (self);
  cb_sb_routes_arm_resources_add (self);
  cb_sb_routes_dps_rp_add (self);
  return TRUE;
}
