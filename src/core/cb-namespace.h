/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CB_TYPE_NAMESPACE (cb_namespace_get_type ())
G_DECLARE_FINAL_TYPE (CbNamespace, cb_namespace, CB, NAMESPACE, GObject)

/* An Azure Device Registry namespace (Microsoft.DeviceRegistry/namespaces). */
CbNamespace *cb_namespace_new_from_json          (JsonNode     *node,
                                                  GError      **error);

const char  *cb_namespace_get_id                 (CbNamespace  *self);
const char  *cb_namespace_get_name               (CbNamespace  *self);
const char  *cb_namespace_get_location           (CbNamespace  *self);
const char  *cb_namespace_get_uuid               (CbNamespace  *self);
const char  *cb_namespace_get_provisioning_state (CbNamespace  *self);
/* The resource group, from the id. */
const char  *cb_namespace_get_resource_group     (CbNamespace  *self);

G_END_DECLS
