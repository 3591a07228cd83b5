/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CB_TYPE_NAMESPACE_ENDPOINT (cb_namespace_endpoint_get_type ())

G_DECLARE_FINAL_TYPE (CbNamespaceEndpoint, cb_namespace_endpoint, CB, NAMESPACE_ENDPOINT, GObject)

typedef enum
{
  CB_ENDPOINT_MESSAGING,     /* properties.messaging.endpoints: an IoT hub */
  CB_ENDPOINT_PROVISIONING,  /* properties.provisioning.endpoints: a DPS instance */
} CbEndpointKind;

/* linkingState values. */
#define CB_LINKING_IN_PROGRESS "InProgress"
#define CB_LINKING_SUCCEEDED   "Succeeded"
#define CB_LINKING_FAILED      "Failed"

#define CB_ENDPOINT_TYPE_IOT_HUB "Microsoft.Devices/IotHubs"
#define CB_ENDPOINT_TYPE_DPS     "Microsoft.Devices/provisioningServices"

/* One hub or DPS linked to a namespace in the 2026-11-01 model: the member named name of
 * properties.messaging.endpoints or properties.provisioning.endpoints. */
CbNamespaceEndpoint *cb_namespace_endpoint_new_from_json (CbEndpointKind   kind,
                                                          const char      *name,
                                                          JsonNode        *node,
                                                          GError         **error);

CbEndpointKind cb_namespace_endpoint_get_kind            (CbNamespaceEndpoint *self);
const char    *cb_namespace_endpoint_get_name            (CbNamespaceEndpoint *self);
const char    *cb_namespace_endpoint_get_endpoint_type   (CbNamespaceEndpoint *self);
/* NULL in the preview model, which gives the address instead. */
const char    *cb_namespace_endpoint_get_resource_id     (CbNamespaceEndpoint *self);
const char    *cb_namespace_endpoint_get_address         (CbNamespaceEndpoint *self);
/* The hub's or DPS's name, from the resource id. */
const char    *cb_namespace_endpoint_get_resource_name   (CbNamespaceEndpoint *self);
const char    *cb_namespace_endpoint_get_linking_state   (CbNamespaceEndpoint *self);
/* Set only while linkingState is Failed. */
const char    *cb_namespace_endpoint_get_linking_error_code    (CbNamespaceEndpoint *self);
const char    *cb_namespace_endpoint_get_linking_error_message (CbNamespaceEndpoint *self);

/* The JSON of a new link as the namespace's PATCH carries it (its linkingState is the
 * service's). */
JsonNode      *cb_namespace_endpoint_build_link          (const char      *endpoint_type,
                                                          const char      *resource_id);

G_END_DECLS
