/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: a registry device (2026-11-01) in its ARM JSON shape
 * (cb-sb-arm-registry-device.c). */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

#define CB_SB_TYPE_REGISTRY_DEVICE "Microsoft.DeviceRegistry/namespaces/registryDevices"

/* The device by its adr_devices id, or NULL when it does not exist (a CbSbArmToJson). */
JsonNode  *cb_sb_arm_registry_device_json (CbSandbox  *self,
                                           const char *device_id,
                                           const char *api_version);

G_END_DECLS
