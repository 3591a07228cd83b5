/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the IoT Hub device registry, twins and connection state, as other modules use them
 * (cb-sb-hub-store.c, cb-sb-twin-store.c). */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* IoT Hub device registry (cb-sb-hub-store.c) */
gboolean      cb_sb_hub_ensure_device     (CbSandbox *self, const char *hub,
                                           const char *device_id, GError **error);
/* Creates or updates the identity as a symmetric-key (sas) device with these keys, as DPS does
 * for a registration attested by a symmetric key (the key derived from the enrollment group's,
 * or the individual enrollment's); secondary may be NULL (then the primary serves both). An
 * existing identity keeps its status and twin. */
gboolean      cb_sb_hub_ensure_sas_device (CbSandbox *self, const char *hub,
                                           const char *device_id, const char *primary_key,
                                           const char *secondary_key, GError **error);
/* FALSE when the device does not exist. */
gboolean      cb_sb_hub_lookup_device     (CbSandbox *self, const char *hub,
                                           const char *device_id, gboolean *enabled);
gboolean      cb_sb_hub_set_device_enabled (CbSandbox *self, const char *hub,
                                            const char *device_id, gboolean enabled,
                                            GError **error);
/* Merges a reported-properties patch (as a device would send it). */
gboolean      cb_sb_hub_patch_reported    (CbSandbox *self, const char *hub,
                                           const char *device_id, JsonObject *patch,
                                           GError **error);

/* Twin (cb-sb-twin-store.c) and connection state (cb-sb-hub-store.c) for the hub device
 * endpoint. patch_reported_versioned is patch_reported that also gives the reported
 * properties' new $version. */
gboolean      cb_sb_hub_patch_reported_versioned (CbSandbox *self, const char *hub,
                                                  const char *device_id, JsonObject *patch,
                                                  gint64 *out_version, GError **error);
/* {"desired": {..., "$version": n}, "reported": {..., "$version": m}} as a device GETs it, or
 * NULL when the device does not exist. */
JsonNode     *cb_sb_hub_dup_device_twin   (CbSandbox *self, const char *hub,
                                           const char *device_id);
/* connectionState Connected/Disconnected (and connectionStateUpdatedTime) plus lastActivityTime
 * (usec on the sandbox clock; 0 leaves it). No etag change, as on IoT Hub. */
gboolean      cb_sb_hub_set_connection    (CbSandbox *self, const char *hub,
                                           const char *device_id, gboolean connected,
                                           gint64 activity_usec);
gboolean      cb_sb_hub_set_activity      (CbSandbox *self, const char *hub,
                                           const char *device_id, gint64 activity_usec);
/* Every device Disconnected (at start: no connection survives a restart). */
void          cb_sb_hub_reset_connections (CbSandbox *self);
/* FALSE when the device does not exist. */
gboolean      cb_sb_hub_get_connection    (CbSandbox *self, const char *hub,
                                           const char *device_id, char **state,
                                           gint64 *activity_usec);

G_END_DECLS
