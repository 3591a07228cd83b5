/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-namespace"

#include "config.h"

#include "cb-adr-json-private.h"
#include "cb-namespace.h"

struct _CbNamespace
{
  GObject  parent_instance;

  char    *id;
  char    *name;
  char    *location;
  char    *uuid;
  char    *provisioning_state;
  char    *resource_group;

  CbAdrModel  model;
  GPtrArray  *endpoints;
};

G_DEFINE_FINAL_TYPE (CbNamespace, cb_namespace, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_LOCATION,
  PROP_UUID,
  PROP_PROVISIONING_STATE,
  PROP_RESOURCE_GROUP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char **
cb_namespace_string_field (CbNamespace *self,
                           guint        prop_id)
{
  switch (prop_id)
    {
    case PROP_ID:
      return &self->id;
    case PROP_NAME:
      return &self->name;
    case PROP_LOCATION:
      return &self->location;
    case PROP_UUID:
      return &self->uuid;
    case PROP_PROVISIONING_STATE:
      return &self->provisioning_state;
    case PROP_RESOURCE_GROUP:
      return &self->resource_group;
    default:
      return NULL;
    }
}

static void
cb_namespace_finalize (GObject *object)
{
  CbNamespace *self = (CbNamespace *)object;

  for (guint i = PROP_0 + 1; i < N_PROPS; i++)
    g_clear_pointer (cb_namespace_string_field (self, i), g_free);
  g_clear_pointer (&self->endpoints, g_ptr_array_unref);

  G_OBJECT_CLASS (cb_namespace_parent_class)->finalize (object);
}

static void
cb_namespace_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  char **field = cb_namespace_string_field (CB_NAMESPACE (object), prop_id);

  if (field == NULL)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  else
    g_value_set_string (value, *field);
}

static void
cb_namespace_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  char **field = cb_namespace_string_field (CB_NAMESPACE (object), prop_id);

  if (field == NULL)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  else if (cb_set_str (field, g_value_get_string (value)))
    g_object_notify_by_pspec (object, pspec);
}

static void
cb_namespace_class_init (CbNamespaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_namespace_finalize;
  object_class->get_property = cb_namespace_get_property;
  object_class->set_property = cb_namespace_set_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_LOCATION] = g_param_spec_string ("location", NULL, NULL, NULL, flags);
  properties[PROP_UUID] = g_param_spec_string ("uuid", NULL, NULL, NULL, flags);
  properties[PROP_PROVISIONING_STATE] =
    g_param_spec_string ("provisioning-state", NULL, NULL, NULL, flags);
  properties[PROP_RESOURCE_GROUP] =
    g_param_spec_string ("resource-group", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_namespace_init (CbNamespace *self)
{
  self->endpoints = g_ptr_array_new_with_free_func (g_object_unref);
}

/* properties.<group>.endpoints: each member is one link, named by the member. */
static gboolean
parse_endpoints (CbNamespace     *self,
                 JsonObject      *props,
                 const char      *group,
                 CbEndpointKind   kind,
                 GError         **error)
{
  const char *what = "namespace";
  JsonObject *group_object = NULL;
  JsonObject *endpoints = NULL;
  g_autoptr(GList) names = NULL;

  if (!cb_adr_json_get_object (props, group, what, &group_object, error) ||
      !cb_adr_json_get_object (group_object, "endpoints", what, &endpoints, error))
    return FALSE;
  if (endpoints == NULL)
    return TRUE;

  names = g_list_sort (json_object_get_members (endpoints), (GCompareFunc) g_strcmp0);
  for (GList *l = names; l != NULL; l = l->next)
    {
      CbNamespaceEndpoint *endpoint =
        cb_namespace_endpoint_new_from_json (kind, l->data,
                                             json_object_get_member (endpoints, l->data), error);

      if (endpoint == NULL)
        return FALSE;
      g_ptr_array_add (self->endpoints, endpoint);
    }

  return TRUE;
}

/**
 * cb_namespace_new_from_json:
 * @node: one namespace resource as ARM returns it
 *
 * Returns: (transfer full): the namespace, or %NULL with %CB_API_ERROR_PARSE
 */
CbNamespace *
cb_namespace_new_from_json (JsonNode  *node,
                            GError   **error)
{
  const char *what = "namespace";
  CbNamespace *self;
  JsonObject *obj;
  JsonObject *props = NULL;
  const char *id = NULL, *name = NULL, *location = NULL, *uuid = NULL, *state = NULL;

  if (!(obj = cb_adr_json_require_object (node, what, error)) ||
      !cb_adr_json_require_string (obj, "name", what, &name, error) ||
      !cb_adr_json_get_string (obj, "id", what, &id, error) ||
      !cb_adr_json_get_string (obj, "location", what, &location, error) ||
      !cb_adr_json_get_object (obj, "properties", what, &props, error) ||
      !cb_adr_json_get_string (props, "uuid", what, &uuid, error) ||
      !cb_adr_json_get_string (props, "provisioningState", what, &state, error))
    return NULL;

  self = g_object_new (CB_TYPE_NAMESPACE, NULL);
  if (!parse_endpoints (self, props, "messaging", CB_ENDPOINT_MESSAGING, error) ||
      !parse_endpoints (self, props, "provisioning", CB_ENDPOINT_PROVISIONING, error))
    {
      g_object_unref (self);
      return NULL;
    }
  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->location = g_strdup (location);
  self->uuid = g_strdup (uuid);
  self->provisioning_state = g_strdup (state);
  self->resource_group = cb_adr_json_id_segment (id, "resourceGroups");

  return self;
}

const char *
cb_namespace_get_id (CbNamespace *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE (self), NULL);
  return self->id;
}

const char *
cb_namespace_get_name (CbNamespace *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE (self), NULL);
  return self->name;
}

const char *
cb_namespace_get_location (CbNamespace *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE (self), NULL);
  return self->location;
}

const char *
cb_namespace_get_uuid (CbNamespace *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE (self), NULL);
  return self->uuid;
}

const char *
cb_namespace_get_provisioning_state (CbNamespace *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE (self), NULL);
  return self->provisioning_state;
}

const char *
cb_namespace_get_resource_group (CbNamespace *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE (self), NULL);
  return self->resource_group;
}

CbAdrModel
cb_namespace_get_model (CbNamespace *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE (self), CB_ADR_MODEL_UNKNOWN);

  return self->model;
}

void
cb_namespace_set_model (CbNamespace *self,
                        CbAdrModel   model)
{
  g_return_if_fail (CB_IS_NAMESPACE (self));

  self->model = model;
}

GPtrArray *
cb_namespace_get_endpoints (CbNamespace *self)
{
  g_return_val_if_fail (CB_IS_NAMESPACE (self), NULL);

  return self->endpoints;
}
