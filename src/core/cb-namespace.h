/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "cb-adr-model.h"
#include "cb-namespace-endpoint.h"

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
/* The certificate-management model it uses, as the ADR client found it (UNKNOWN until then). */
CbAdrModel   cb_namespace_get_model              (CbNamespace  *self);
void         cb_namespace_set_model              (CbNamespace  *self,
                                                  CbAdrModel    model);
/* The hubs and DPS instances linked to it (2026-11-01), messaging ones first, each kind in the
 * order of its name. Returns: (transfer none) (element-type CbNamespaceEndpoint) */
GPtrArray   *cb_namespace_get_endpoints          (CbNamespace  *self);

G_END_DECLS
