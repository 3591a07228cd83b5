/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: IoT Hub's shared access signatures as the hub checks them (cb-sb-sas.c), the one
 * place both the service REST surface (Authorization header) and the device endpoint (the MQTT
 * password) verify a token: signed with a shared access policy's key (skn=iothubowner, device,
 * service, ...) or with a device identity's own symmetric key (no skn). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

typedef enum
{
  CB_SB_HUB_RIGHT_REGISTRY_READ  = 1 << 0,
  CB_SB_HUB_RIGHT_REGISTRY_WRITE = 1 << 1,
  CB_SB_HUB_RIGHT_SERVICE        = 1 << 2,
  CB_SB_HUB_RIGHT_DEVICE         = 1 << 3,
} CbSbHubRights;

/* Verifies authorization (a "SharedAccessSignature sr=…&sig=…&se=…[&skn=…]" value) for the
 * resource addressed under the hub (canonical name hub, host host_name): "{host}" or
 * "{host}/{path}". sr must be the host or a prefix of the resource; the token must not have
 * expired (session clock); the signature must be the policy's (primary or secondary key) when
 * skn names one, else the device's own symmetric key, when sr is "{host}/devices/{id}".
 * Returns the rights the token grants (a device's own key: CB_SB_HUB_RIGHT_DEVICE), the
 * policy's name (NULL for a device key) and the device a device-scoped token names (NULL for a
 * hub-wide one). FALSE with a message (never a key) otherwise. */
gboolean      cb_sb_hub_sas_verify        (CbSandbox   *self,
                                           const char  *hub,
                                           const char  *host_name,
                                           const char  *authorization,
                                           const char  *resource,
                                           guint       *out_rights,
                                           char       **out_key_name,
                                           char       **out_device_id,
                                           GError     **error);

G_END_DECLS
