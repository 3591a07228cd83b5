/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-arm-resource"

/* One entry of the lists a signed-in user chooses a connection from, read from the shapes of
 * Azure's examples: GetTenants.json and GetSubscriptions.json (Microsoft.Resources
 * 2022-12-01), resource groups (CreateResourceGroup.json), Device Registry namespaces, IoT
 * hubs (iothub_get.json) and DPS instances (DPSListByResourceGroup.json). Lenient about what
 * it does not need. */

#include "config.h"

#include "cb-arm-resource.h"
#include "cb-error.h"

struct _CbArmResource
{
  GObject            parent_instance;

  CbArmResourceKind  kind;
  char              *id;
  char              *name;
  char              *title;
  char              *detail;
  char              *tenant_id;
  char              *location;
  char              *host_name;
  char              *id_scope;
};

G_DEFINE_FINAL_TYPE (CbArmResource, cb_arm_resource, G_TYPE_OBJECT)

static void
cb_arm_resource_finalize (GObject *object)
{
  CbArmResource *self = CB_ARM_RESOURCE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->title);
  g_free (self->detail);
  g_free (self->tenant_id);
  g_free (self->location);
  g_free (self->host_name);
  g_free (self->id_scope);

  G_OBJECT_CLASS (cb_arm_resource_parent_class)->finalize (object);
}

static void
cb_arm_resource_class_init (CbArmResourceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_arm_resource_finalize;
}

static void
cb_arm_resource_init (CbArmResource *self)
{
}

static char *
dup_string (JsonObject *object,
            const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING || *json_node_get_string (node) == '\0')
    return NULL;
  return g_strdup (json_node_get_string (node));
}

static JsonObject *
member_object (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

CbArmResource *
cb_arm_resource_new_from_json (CbArmResourceKind   kind,
                               JsonNode           *node,
                               GError            **error)
{
  g_autoptr(CbArmResource) self = NULL;
  JsonObject *object;
  JsonObject *props;
  const char *name_member;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                   "An ARM list element is not an object");
      return NULL;
    }
  object = json_node_get_object (node);
  props = member_object (object, "properties");
  name_member = kind == CB_ARM_RESOURCE_TENANT ? "tenantId"
              : kind == CB_ARM_RESOURCE_SUBSCRIPTION ? "subscriptionId"
              : "name";

  self = g_object_new (CB_TYPE_ARM_RESOURCE, NULL);
  self->kind = kind;
  self->name = dup_string (object, name_member);
  if (self->name == NULL)
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                   "An ARM list element has no %s", name_member);
      return NULL;
    }
  self->id = dup_string (object, "id");
  self->location = dup_string (object, "location");

  switch (kind)
    {
    case CB_ARM_RESOURCE_TENANT:
      self->title = dup_string (object, "displayName");
      self->detail = dup_string (object, "defaultDomain");
      break;
    case CB_ARM_RESOURCE_SUBSCRIPTION:
      self->title = dup_string (object, "displayName");
      self->tenant_id = dup_string (object, "tenantId");
      self->detail = g_strdup (self->name);
      break;
    case CB_ARM_RESOURCE_HUB:
      self->host_name = dup_string (props, "hostName");
      self->detail = g_strdup (self->host_name);
      break;
    case CB_ARM_RESOURCE_DPS:
      self->host_name = dup_string (props, "serviceOperationsHostName");
      self->id_scope = dup_string (props, "idScope");
      self->detail = g_strdup (self->id_scope);
      break;
    case CB_ARM_RESOURCE_GROUP:
    case CB_ARM_RESOURCE_NAMESPACE:
    default:
      break;
    }
  if (self->title == NULL)
    self->title = g_strdup (self->name);
  if (self->detail == NULL)
    self->detail = g_strdup (self->location);

  return g_steal_pointer (&self);
}

CbArmResourceKind
cb_arm_resource_get_kind (CbArmResource *self)
{
  g_return_val_if_fail (CB_IS_ARM_RESOURCE (self), CB_ARM_RESOURCE_TENANT);
  return self->kind;
}

#define GETTER(field) \
  const char * \
  cb_arm_resource_get_##field (CbArmResource *self) \
  { \
    g_return_val_if_fail (CB_IS_ARM_RESOURCE (self), NULL); \
    return self->field; \
  }

GETTER (id)
GETTER (name)
GETTER (title)
GETTER (detail)
GETTER (tenant_id)
GETTER (location)
GETTER (host_name)
GETTER (id_scope)
