/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-namespace-endpoint"

/* A hub or a DPS linked to an ADR namespace (2026-11-01; the preview model lists a hub by its
 * address, without a resource id or a linking state): ADR syncs the namespace's ICAs to
 * linked hubs and lets linked DPS instances issue under its policies, so the link and its
 * linkingState are what an admin checks first when devices are refused. */

#include "config.h"

#include "cb-adr-json-private.h"
#include "cb-namespace-endpoint.h"

struct _CbNamespaceEndpoint
{
  GObject         parent_instance;

  CbEndpointKind  kind;
  char           *name;
  char           *endpoint_type;
  char           *resource_id;
  char           *resource_name;
  char           *address;
  char           *linking_state;
  char           *error_code;
  char           *error_message;
};

G_DEFINE_FINAL_TYPE (CbNamespaceEndpoint, cb_namespace_endpoint, G_TYPE_OBJECT)

static void
cb_namespace_endpoint_finalize (GObject *object)
{
  CbNamespaceEndpoint *self = (CbNamespaceEndpoint *)object;

  g_free (self->name);
  g_free (self->endpoint_type);
  g_free (self->resource_id);
  g_free (self->resource_name);
  g_free (self->address);
  g_free (self->linking_state);
  g_free (self->error_code);
  g_free (self->error_message);

  G_OBJECT_CLASS (cb_namespace_endpoint_parent_class)->finalize (object);
}

static void
cb_namespace_endpoint_class_init (CbNamespaceEndpointClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_namespace_endpoint_finalize;
}

static void
cb_namespace_endpoint_init (CbNamespaceEndpoint *self)
{
}

/**
 * cb_namespace_endpoint_new_from_json:
 * @name: the member's name (the link's name)
 * @node: the member's value
 *
 * Returns: (transfer full): the endpoint, or %NULL with %CB_API_ERROR_PARSE
 */
CbNamespaceEndpoint *
cb_namespace_endpoint_new_from_json (CbEndpointKind   kind,
                                     const char      *name,
                                     JsonNode        *node,
                                     GError         **error)
{
  const char *what = "namespace endpoint";
  CbNamespaceEndpoint *self;
  JsonObject *obj;
  JsonObject *link_error = NULL;
  const char *type = NULL, *resource_id = NULL, *address = NULL, *state = NULL;
  const char *code = NULL, *message = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  if (!(obj = cb_adr_json_require_object (node, what, error)) ||
      !cb_adr_json_get_string (obj, "endpointType", what, &type, error) ||
      !cb_adr_json_get_string (obj, "resourceId", what, &resource_id, error) ||
      !cb_adr_json_get_string (obj, "address", what, &address, error) ||
      !cb_adr_json_get_string (obj, "linkingState", what, &state, error) ||
      !cb_adr_json_get_object (obj, "linkingError", what, &link_error, error) ||
      !cb_adr_json_get_string (link_error, "code", what, &code, error) ||
      !cb_adr_json_get_string (link_error, "message", what, &message, error))
    return NULL;

  self = g_object_new (CB_TYPE_NAMESPACE_ENDPOINT, NULL);
  self->kind = kind;
  self->name = g_strdup (name);
  self->endpoint_type = g_strdup (type);
  self->resource_id = g_strdup (resource_id);
  self->resource_name = cb_adr_json_id_segment (resource_id,
                                                kind == CB_ENDPOINT_MESSAGING
                                                ? "IotHubs" : "provisioningServices");
  self->address = g_strdup (address);
  self->linking_state = g_strdup (state);
  self->error_code = g_strdup (code);
  self->error_message = g_strdup (message);

  return self;
}

#define GETTER(type, func, member, fallback)                                               \
  type                                                                                     \
  cb_namespace_endpoint_get_##func (CbNamespaceEndpoint *self)                             \
  {                                                                                        \
    g_return_val_if_fail (CB_IS_NAMESPACE_ENDPOINT (self), fallback);                      \
    return self->member;                                                                   \
  }

GETTER (CbEndpointKind, kind, kind, CB_ENDPOINT_MESSAGING)
GETTER (const char *, name, name, NULL)
GETTER (const char *, endpoint_type, endpoint_type, NULL)
GETTER (const char *, resource_id, resource_id, NULL)
GETTER (const char *, resource_name, resource_name, NULL)
GETTER (const char *, address, address, NULL)
GETTER (const char *, linking_state, linking_state, NULL)
GETTER (const char *, linking_error_code, error_code, NULL)
GETTER (const char *, linking_error_message, error_message, NULL)

#undef GETTER

JsonNode *
cb_namespace_endpoint_build_link (const char *endpoint_type,
                                  const char *resource_id)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (endpoint_type != NULL, NULL);
  g_return_val_if_fail (resource_id != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "endpointType");
  json_builder_add_string_value (builder, endpoint_type);
  json_builder_set_member_name (builder, "resourceId");
  json_builder_add_string_value (builder, resource_id);
  json_builder_set_member_name (builder, "inboundCallerIdentity");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "SystemAssigned");
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
