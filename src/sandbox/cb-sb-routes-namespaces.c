/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM surface of Microsoft.DeviceRegistry/namespaces: list (by subscription or resource
 * group), get, create or update (PUT), PATCH (tags) and delete. A namespace with a credential
 * cannot be deleted. At 2026-11-01 (and 2026-11-02-preview) a PUT or PATCH also names the
 * namespace's linked IoT hubs and DPS instances (properties.messaging.endpoints,
 * properties.provisioning.endpoints, cb-sb-adr-linking.c), and every answer shows them with
 * their linkingState, and its management endpoints (properties.management.endpoints: kept as
 * written, nothing is linked). */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-endpoint-store.h"
#include "cb-sb-adr-linking.h"
#include "cb-sb-adr-ops.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-body.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-arm-write.h"
#include "cb-sb-dps-store.h"
#include "cb-sb-faults.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-namespaces.h"

#define OP_NS_WRITE        "Microsoft.DeviceRegistry/namespaces/write"
#define OP_NS_DELETE       "Microsoft.DeviceRegistry/namespaces/delete"
#define OP_NS_READ         "Microsoft.DeviceRegistry/namespaces/read"

/* ---- The stable model's endpoints --------------------------------------------------------- */

static gboolean
is_stable (const char *api_version)
{
  return g_strcmp0 (api_version, CB_SB_ARM_API_VERSION_STABLE) == 0 ||
         g_strcmp0 (api_version, CB_SB_ARM_API_VERSION_STABLE_PREVIEW) == 0;
}

/* A hub's address and deviceAddress, as Azure shows them: {hub}.service.azure-devices.net for
 * services and {hub}.device.azure-devices.net for devices (Microsoft's example); the sandbox
 * serves both on its one host per hub. Nothing when the hub is not in the topology. */
static void
add_hub_addresses (CbSandbox       *self,
                   JsonBuilder     *b,
                   CbSbEndpointRow *row)
{
  g_autofree char *name = NULL;
  g_autofree char *host = NULL;
  g_autofree char *hub = NULL;
  g_autofree char *address = NULL;
  g_autofree char *device_address = NULL;
  const char *dot;
  const char *domain;

  if (!cb_sb_adr_linking_parse_id (row->resource_id, FALSE, NULL, NULL, &name) ||
      (host = cb_sb_dps_hub_host_name (self, name)) == NULL)
    return;

  dot = strchr (host, '.');
  hub = g_strndup (host, dot != NULL ? (gsize) (dot - host) : strlen (host));
  domain = dot != NULL ? dot : "";
  address = g_strconcat (hub, ".service", domain, NULL);
  device_address = g_strconcat (hub, ".device", domain, NULL);
  cb_sb_json_add_string (b, "address", address);
  cb_sb_json_add_string (b, "deviceAddress", device_address);
}

static void
add_endpoint (CbSandbox       *self,
              JsonBuilder     *b,
              CbSbEndpointRow *row)
{
  gboolean failed = g_strcmp0 (row->linking_state, CB_SB_LINKING_FAILED) == 0;
  gboolean hub = g_str_equal (row->kind, CB_SB_ENDPOINTS_MESSAGING);

  json_builder_set_member_name (b, row->name);
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "endpointType", row->endpoint_type);
  cb_sb_json_add_string (b, "resourceId", row->resource_id);
  if (row->identity_type != NULL)
    {
      json_builder_set_member_name (b, "inboundCallerIdentity");
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "type", row->identity_type);
      if (row->user_identity != NULL)
        cb_sb_json_add_string (b, "userAssignedIdentity", row->user_identity);
      json_builder_end_object (b);
    }
  cb_sb_json_add_string (b, "linkingState", row->linking_state);
  if (failed && row->error_code != NULL)
    {
      json_builder_set_member_name (b, "linkingError");
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "code", row->error_code);
      cb_sb_json_add_string (b, "message", row->error_message);
      json_builder_end_object (b);
    }
  /* A hub that links or is linked shows its addresses and how DPS may allocate to it, the
   * defaults (Available, weight 1) when the client set none, as the examples show them from
   * the 201 on (CreateOrReplace_Namespace_With_MessagingAndProvisioningEndpoints.json); a
   * failed link shows neither (Get_Namespace_With_FailedLinkingEndpoint.json). */
  if (hub && !failed)
    add_hub_addresses (self, b, row);
  if (row->availability != NULL || row->allocation_weight >= 0 || (hub && !failed))
    {
      json_builder_set_member_name (b, "provisioning");
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "availability",
                             row->availability != NULL ? row->availability
                                                       : CB_SB_ENDPOINT_AVAILABLE);
      json_builder_set_member_name (b, "allocationWeight");
      json_builder_add_int_value (b, row->allocation_weight >= 0
                                     ? row->allocation_weight
                                     : CB_SB_ENDPOINT_DEFAULT_WEIGHT);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

/* properties.messaging and properties.provisioning as the stable model has them: the
 * endpoints the namespace named, with their linking state (the preview's messaging, read off
 * the topology, gives way). */
static void
replace_endpoints (CbSandbox  *self,
                   JsonNode   *node,
                   const char *ns_id)
{
  static const char * const kinds[] = { CB_SB_ENDPOINTS_MESSAGING, CB_SB_ENDPOINTS_PROVISIONING };
  JsonObject *props = cb_sb_json_member_object (json_node_get_object (node), "properties");
  gboolean failed = FALSE;

  if (props == NULL)
    return;

  json_object_remove_member (props, "messaging");
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autoptr(GPtrArray) rows = cb_sb_adr_endpoints_list (self, ns_id, kinds[k]);
      g_autoptr(JsonBuilder) b = NULL;

      if (rows->len == 0)
        continue;

      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "endpoints");
      json_builder_begin_object (b);
      for (guint i = 0; i < rows->len; i++)
        {
          CbSbEndpointRow *row = g_ptr_array_index (rows, i);

          add_endpoint (self, b, row);
          failed |= g_strcmp0 (row->linking_state, CB_SB_LINKING_FAILED) == 0;
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
      json_object_set_member (props, kinds[k], json_builder_get_root (b));
    }

  /* A namespace whose link failed shows it (Get_Namespace_With_FailedLinkingEndpoint.json),
   * until the link is made again. */
  if (failed && g_strcmp0 (json_object_get_string_member_with_default (props, "provisioningState",
                                                                       NULL), "Succeeded") == 0)
    json_object_set_string_member (props, "provisioningState", "Failed");
}

/* properties.management as the client wrote it, when the namespace has any. */
static void
add_management (CbSandbox  *self,
                JsonNode   *node,
                const char *ns_id)
{
  JsonObject *props = cb_sb_json_member_object (json_node_get_object (node), "properties");
  g_autofree char *text = cb_sb_adr_management_endpoints (self, ns_id);
  JsonNode *endpoints = text != NULL ? json_from_string (text, NULL) : NULL;
  JsonObject *management;

  if (props == NULL || endpoints == NULL)
    {
      g_clear_pointer (&endpoints, json_node_unref);
      return;
    }

  management = json_object_new ();
  json_object_set_member (management, "endpoints", endpoints);
  json_object_set_object_member (props, "management", management);
}

/* The members of a management endpoint (ManagementEndpoint: all four required). */
static const char * const management_members[] = {
  "endpointType", "address", "scopeId", "resourceId",
};

/* One entry of properties.management.endpoints, only its own members; NULL after replying 400. */
static JsonNode *
read_management_endpoint (CbSbRequest *req,
                          const char  *name,
                          JsonNode    *node)
{
  g_autoptr(JsonObject) out = json_object_new ();
  JsonNode *result;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *target = g_strdup_printf ("properties.management.endpoints.%s", name);
      g_autofree char *message = g_strdup_printf ("%s must be an object", target);

      cb_sb_arm_reply_invalid_content (req, target, message);
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (management_members); i++)
    {
      JsonNode *value = json_object_get_member (json_node_get_object (node),
                                                management_members[i]);

      if (value == NULL || !JSON_NODE_HOLDS_VALUE (value) ||
          json_node_get_value_type (value) != G_TYPE_STRING ||
          *json_node_get_string (value) == '\0')
        {
          g_autofree char *target = g_strdup_printf ("properties.management.endpoints.%s.%s",
                                                     name, management_members[i]);
          g_autofree char *message = g_strdup_printf ("%s is required, a non-empty string",
                                                      target);

          cb_sb_arm_reply_invalid_content (req, target, message);
          return NULL;
        }
      json_object_set_string_member (out, management_members[i], json_node_get_string (value));
    }

  result = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (result, out);
  return result;
}

/* The namespace's management endpoints after a stable PUT (replace) or PATCH (merge: an entry
 * set to null goes): *out the JSON text to store (NULL: none), *changed whether the request
 * touches them. FALSE after replying 400; nothing is written here. */
static gboolean
read_management (CbSbRequest *req,
                 const char  *ns_id,
                 JsonObject  *props,
                 gboolean     replace,
                 char       **out,
                 gboolean    *changed)
{
  JsonNode *kind_node = props != NULL ? json_object_get_member (props, "management") : NULL;
  JsonNode *endpoints = NULL;
  g_autoptr(JsonNode) merged = NULL;
  g_autofree char *stored = NULL;
  g_autoptr(GList) names = NULL;
  JsonObject *set;

  *out = NULL;
  *changed = replace;
  if (kind_node != NULL && !JSON_NODE_HOLDS_NULL (kind_node))
    {
      if (!JSON_NODE_HOLDS_OBJECT (kind_node))
        {
          cb_sb_arm_reply_invalid_content (req, "properties.management",
                                           "properties.management must be an object");
          return FALSE;
        }
      endpoints = json_object_get_member (json_node_get_object (kind_node), "endpoints");
    }
  if (kind_node != NULL && (endpoints != NULL || JSON_NODE_HOLDS_NULL (kind_node)))
    *changed = TRUE;
  if (endpoints == NULL || JSON_NODE_HOLDS_NULL (endpoints))
    return TRUE;   /* none (when changed) */
  if (!JSON_NODE_HOLDS_OBJECT (endpoints))
    {
      cb_sb_arm_reply_invalid_content (req, "properties.management.endpoints",
                                       "properties.management.endpoints must be an object");
      return FALSE;
    }

  stored = replace ? NULL : cb_sb_adr_management_endpoints (req->sandbox, ns_id);
  merged = stored != NULL ? json_from_string (stored, NULL) : NULL;
  if (merged == NULL || !JSON_NODE_HOLDS_OBJECT (merged))
    {
      g_clear_pointer (&merged, json_node_unref);
      merged = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (merged, json_object_new ());
    }
  set = json_node_get_object (merged);

  names = json_object_get_members (json_node_get_object (endpoints));
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *entry = json_object_get_member (json_node_get_object (endpoints), l->data);
      JsonNode *read;

      if (JSON_NODE_HOLDS_NULL (entry))
        {
          if (json_object_has_member (set, l->data))
            json_object_remove_member (set, l->data);
          continue;
        }
      if ((read = read_management_endpoint (req, l->data, entry)) == NULL)
        return FALSE;
      json_object_set_member (set, l->data, read);
    }

  if (json_object_get_size (set) > 0)
    *out = json_to_string (merged, FALSE);
  return TRUE;
}

static JsonNode *
namespace_json (CbSandbox  *self,
                const char *ns_id,
                const char *api_version)
{
  JsonNode *node = cb_sb_arm_namespace_json (self, ns_id, api_version);
  JsonObject *obj;
  JsonObject *tags;

  if (node == NULL || !is_stable (api_version))
    return node;

  replace_endpoints (self, node, ns_id);
  add_management (self, node, ns_id);

  /* The stable model's answers leave out tags the resource does not have. */
  obj = json_node_get_object (node);
  tags = cb_sb_json_member_object (obj, "tags");
  if (tags != NULL && json_object_get_size (tags) == 0)
    json_object_remove_member (obj, "tags");

  return node;
}

/* Applies the endpoints a stable PUT (replace) or PATCH names. FALSE after replying 400. */
static gboolean
apply_endpoints (CbSbRequest *req,
                 const char  *ns_id,
                 JsonObject  *body,
                 gboolean     replace)
{
  static const char * const kinds[] = { CB_SB_ENDPOINTS_MESSAGING, CB_SB_ENDPOINTS_PROVISIONING };
  JsonObject *props = NULL;
  const char *fault = NULL;
  gboolean fault_taken = FALSE;
  g_autofree char *management = NULL;
  gboolean management_changed = FALSE;
  g_autoptr(GError) management_error = NULL;

  if (!cb_sb_arm_is_stable_api (req))
    return TRUE;

  if (json_object_has_member (body, "properties"))
    {
      JsonNode *node = json_object_get_member (body, "properties");

      if (!JSON_NODE_HOLDS_NULL (node) && !JSON_NODE_HOLDS_OBJECT (node))
        {
          cb_sb_arm_reply_invalid_content (req, "properties", "properties must be an object");
          return FALSE;
        }
      if (JSON_NODE_HOLDS_OBJECT (node))
        props = json_node_get_object (node);
    }

  /* Checked before anything is linked, written after */
  if (!read_management (req, ns_id, props, replace, &management, &management_changed))
    return FALSE;

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autoptr(JsonObject) empty = json_object_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *target = g_strdup_printf ("properties.%s", kinds[k]);
      JsonNode *kind_node = props != NULL ? json_object_get_member (props, kinds[k]) : NULL;
      JsonNode *endpoints = NULL;
      gboolean kind_replace = replace;

      if (kind_node == NULL && !replace)
        continue;

      if (kind_node != NULL && !JSON_NODE_HOLDS_NULL (kind_node))
        {
          if (!JSON_NODE_HOLDS_OBJECT (kind_node))
            {
              g_autofree char *message = g_strdup_printf ("%s must be an object", target);

              cb_sb_arm_reply_invalid_content (req, target, message);
              return FALSE;
            }
          endpoints = json_object_get_member (json_node_get_object (kind_node), "endpoints");
          if (endpoints == NULL && !replace)
            continue;
        }

      if (endpoints != NULL && !JSON_NODE_HOLDS_NULL (endpoints) &&
          !JSON_NODE_HOLDS_OBJECT (endpoints))
        {
          g_autofree char *message = g_strdup_printf ("%s.endpoints must be an object", target);

          cb_sb_arm_reply_invalid_content (req, target, message);
          return FALSE;
        }
      /* A null (or, in a PUT, a missing) set of endpoints unlinks them all. */
      if (endpoints == NULL || JSON_NODE_HOLDS_NULL (endpoints))
        kind_replace = TRUE;

      if (!fault_taken)
        {
          fault = cb_sb_fault_rule_value (req->fault, "linking");
          fault_taken = TRUE;
        }

      if (!cb_sb_adr_linking_apply (req->sandbox, ns_id, kinds[k],
                                    endpoints != NULL && JSON_NODE_HOLDS_OBJECT (endpoints)
                                      ? json_node_get_object (endpoints) : empty,
                                    kind_replace, fault, &error))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
            cb_sb_arm_reply_invalid_content (req, target, error->message);
          else
            cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                   "InternalServerError", NULL, "%s", error->message);
          return FALSE;
        }
    }

  if (management_changed &&
      !cb_sb_adr_management_endpoints_set (req->sandbox, ns_id, management, &management_error))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError", NULL,
                             "%s", management_error->message);
      return FALSE;
    }

  return TRUE;
}

static void
namespaces_list_subscription (CbSbRequest      *req,
                              const CbSbArmIds *ids)
{
  cb_sb_arm_reply_list (req,
                        "SELECT id, name, id FROM adr_namespaces WHERE subscription = ?1 "
                        "AND (name, id) > (:k1, :k2) ORDER BY name, id LIMIT :limit",
                        cb_sb_param (req, "sub"), NULL, namespace_json);
}

static void
namespaces_list_group (CbSbRequest      *req,
                       const CbSbArmIds *ids)
{
  cb_sb_arm_reply_list (req,
                        "SELECT id, name FROM adr_namespaces WHERE subscription = ?1 "
                        "AND resource_group = ?2 AND name > :k1 ORDER BY name LIMIT :limit",
                        cb_sb_param (req, "sub"), cb_sb_param (req, "rg"),
                        namespace_json);
}

static void
reply_namespace_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s", CB_SB_TYPE_NAMESPACE, cb_sb_param (req, "ns"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
namespace_get (CbSbRequest      *req,
               const CbSbArmIds *ids)
{
  JsonNode *node = namespace_json (req->sandbox, ids->ns_id, cb_sb_arm_api_version (req));

  if (node == NULL)
    reply_namespace_not_found (req);
  else
    cb_sb_reply_json (req, SOUP_STATUS_OK, node);
}

static void
namespace_put (CbSbRequest      *req,
               const CbSbArmIds *ids)
{
  CbSandbox *self = req->sandbox;
  const char *ns_id = ids->ns_id;
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  const char *ns = cb_sb_param (req, "ns");
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *state = NULL;
  g_autofree char *current_location = NULL;
  JsonObject *obj;
  const char *location;

  if (!cb_sb_adr_valid_namespace_name (ns))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidResourceName", "name",
                             "The resource name '%s' is invalid. A namespace name has 3 to 64 "
                             "characters: lower-case letters, digits and hyphens, starting and "
                             "ending with a letter or digit (^[a-z0-9][a-z0-9-]*[a-z0-9]$).", ns);
      return;
    }

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL)
    return;
  if (!cb_sb_arm_require_location (req, obj, &location) || !cb_sb_arm_get_tags (req, obj, &tags))
    return;

  state = cb_sb_adr_namespace_state (self, ns_id, &current_location);
  if (state != NULL)
    {
      if (cb_sb_arm_reply_if_deleting (req, state) ||
          !cb_sb_arm_check_location_unchanged (req, ns, current_location, location))
        return;

      if (!apply_endpoints (req, ns_id, obj, TRUE))
        return;
      if (tags != NULL)
        cb_sb_adr_set_tags (self, "adr_namespaces", "id", ns_id, tags);
      cb_sb_adr_set_modified (self, "adr_namespaces", "id", ns_id, req->principal);
      cb_sb_reply_json (req, SOUP_STATUS_OK,
                        namespace_json (self, ns_id, cb_sb_arm_api_version (req)));
      return;
    }

  if (!apply_endpoints (req, ns_id, obj, TRUE))
    return;
  cb_sb_adr_insert_namespace (self, sub, rg, ns, location, tags, "Accepted",
                              cb_sb_actor (req->principal));
  cb_sb_arm_reply_created (req, location, "ns-create", ns_id, ns_id, NULL, OP_NS_WRITE,
                           namespace_json (self, ns_id, cb_sb_arm_api_version (req)));
}

static void
namespace_patch (CbSbRequest      *req,
                 const CbSbArmIds *ids)
{
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;

  state = cb_sb_adr_namespace_state (req->sandbox, ids->ns_id, &location);
  if (state == NULL)
    {
      reply_namespace_not_found (req);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !cb_sb_arm_get_tags (req, obj, &tags) || !apply_endpoints (req, ids->ns_id, obj, FALSE))
    return;

  args = cb_sb_arm_tags_args (tags);
  cb_sb_arm_start_patch (req, "ns-update", ids->ns_id, ids->ns_id, location, state, args,
                         OP_NS_WRITE);
}

static gboolean
unlink_all (CbSbRequest *req,
            const char  *ns_id)
{
  static const char * const kinds[] = { CB_SB_ENDPOINTS_MESSAGING, CB_SB_ENDPOINTS_PROVISIONING };
  g_autoptr(JsonObject) none = json_object_new ();

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autoptr(GError) error = NULL;

      if (!cb_sb_adr_linking_apply (req->sandbox, ns_id, kinds[k], none, TRUE, NULL, &error))
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError",
                                 NULL, "%s", error->message);
          return FALSE;
        }
    }

  /* The management endpoints go with the namespace too */
  {
    g_autoptr(GError) error = NULL;

    if (!cb_sb_adr_management_endpoints_set (req->sandbox, ns_id, NULL, &error))
      {
        cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError",
                               NULL, "%s", error->message);
        return FALSE;
      }
  }

  return TRUE;
}

static void
namespace_delete (CbSbRequest      *req,
                  const CbSbArmIds *ids)
{
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;

  state = cb_sb_adr_namespace_state (req->sandbox, ids->ns_id, &location);
  if (state == NULL)
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  /* The credential's root CA is deleted only on purpose [INF: Azure's cascade rules for
   * namespaces with a credential are not published]. */
  if (cb_sb_adr_has_credential (req->sandbox, ids->ns_id))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                             "The namespace '%s' has a credential. Delete its policies and its "
                             "credential before deleting the namespace.",
                             cb_sb_param (req, "ns"));
      return;
    }

  /* Its links go with it, so a namespace made again under the name starts unlinked and the
   * hubs and DPS instances are free for another. */
  if (!unlink_all (req, ids->ns_id))
    return;

  cb_sb_arm_start_delete (req, "ns-delete", ids->ns_id, ids->ns_id, location, state,
                          OP_NS_DELETE);
}

CB_SB_ARM_ROUTE (handle_namespaces_list_subscription, CB_SB_ARM_SCOPE_SUBSCRIPTION, OP_NS_READ,
                 CB_SB_PERM_READ, CB_SB_ARM_VERSIONS_ANY, FALSE, namespaces_list_subscription)
CB_SB_ARM_ROUTE (handle_namespaces_list_group, CB_SB_ARM_SCOPE_GROUP, OP_NS_READ,
                 CB_SB_PERM_READ, CB_SB_ARM_VERSIONS_ANY, FALSE, namespaces_list_group)
CB_SB_ARM_ROUTE (handle_namespace_get, CB_SB_ARM_SCOPE_NAMESPACE, OP_NS_READ,
                 CB_SB_PERM_READ, CB_SB_ARM_VERSIONS_ANY, FALSE, namespace_get)
CB_SB_ARM_ROUTE (handle_namespace_put, CB_SB_ARM_SCOPE_NAMESPACE, OP_NS_WRITE,
                 CB_SB_PERM_WRITE, CB_SB_ARM_VERSIONS_ANY, TRUE, namespace_put)
CB_SB_ARM_ROUTE (handle_namespace_patch, CB_SB_ARM_SCOPE_NAMESPACE, OP_NS_WRITE,
                 CB_SB_PERM_WRITE, CB_SB_ARM_VERSIONS_ANY, TRUE, namespace_patch)
CB_SB_ARM_ROUTE (handle_namespace_delete, CB_SB_ARM_SCOPE_NAMESPACE, OP_NS_DELETE,
                 CB_SB_PERM_WRITE, CB_SB_ARM_VERSIONS_ANY, TRUE, namespace_delete)

void
cb_sb_routes_namespaces_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET", CB_SB_ARM_SUB "/providers/Microsoft.DeviceRegistry/namespaces",
                   CB_SB_STYLE_ARM, handle_namespaces_list_subscription);
  cb_sb_add_route (self, "GET",
                   CB_SB_ARM_SUB "/resourceGroups/{rg}/providers/Microsoft.DeviceRegistry/"
                   "namespaces",
                   CB_SB_STYLE_ARM, handle_namespaces_list_group);
  cb_sb_add_route (self, "GET", CB_SB_ARM_NS, CB_SB_STYLE_ARM, handle_namespace_get);
  cb_sb_add_route (self, "PUT", CB_SB_ARM_NS, CB_SB_STYLE_ARM, handle_namespace_put);
  cb_sb_add_route (self, "PATCH", CB_SB_ARM_NS, CB_SB_STYLE_ARM, handle_namespace_patch);
  cb_sb_add_route (self, "DELETE", CB_SB_ARM_NS, CB_SB_STYLE_ARM, handle_namespace_delete);
}
