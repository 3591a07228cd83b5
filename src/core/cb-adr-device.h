/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CB_TYPE_ADR_DEVICE (cb_adr_device_get_type ())
G_DECLARE_FINAL_TYPE (CbAdrDevice, cb_adr_device, CB, ADR_DEVICE, GObject)

/* A namespace device (Microsoft.DeviceRegistry/namespaces/devices). */
CbAdrDevice *cb_adr_device_new_from_json           (JsonNode     *node,
                                                    GError      **error);

const char  *cb_adr_device_get_id                  (CbAdrDevice  *self);
const char  *cb_adr_device_get_name                (CbAdrDevice  *self);
const char  *cb_adr_device_get_uuid                (CbAdrDevice  *self);
gboolean     cb_adr_device_get_enabled             (CbAdrDevice  *self);
void         cb_adr_device_set_enabled             (CbAdrDevice  *self,
                                                    gboolean      enabled);
/* properties.policy.resourceId, NULL when the device has no certificate policy. */
const char  *cb_adr_device_get_policy_id           (CbAdrDevice  *self);
/* The policy name, from policy-id. */
const char  *cb_adr_device_get_policy_name         (CbAdrDevice  *self);
const char  *cb_adr_device_get_etag                (CbAdrDevice  *self);
gint64       cb_adr_device_get_version             (CbAdrDevice  *self);
const char  *cb_adr_device_get_external_device_id  (CbAdrDevice  *self);
const char  *cb_adr_device_get_manufacturer        (CbAdrDevice  *self);
const char  *cb_adr_device_get_model               (CbAdrDevice  *self);
const char  *cb_adr_device_get_provisioning_state  (CbAdrDevice  *self);

G_END_DECLS
