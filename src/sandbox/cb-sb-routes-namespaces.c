/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM surface of Microsoft.DeviceRegistry/namespaces: list (by subscription or resource
 * group), get, create or update (PUT), PATCH (tags) and delete. A namespace with a credential
 * cannot be deleted. */

#include "config.h"

#include "cb-sb-adr-ops.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-body.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-routes-namespaces.h"

#define OP_NS_WRITE        "Microsoft.DeviceRegistry/namespaces/write"
#define OP_NS_DELETE       "Microsoft.DeviceRegistry/namespaces/delete"
#define OP_NS_READ         "Microsoft.DeviceRegistry/namespaces/read"

static void
namespaces_list_subscription (CbSbRequest      *req,
                              const CbSbArmIds *ids)
{
  cb_sb_arm_reply_list (req,
                        "SELECT id FROM adr_namespaces WHERE subscription = ?1 ORDER BY name, id "
                        "LIMIT :limit OFFSET :offset",
                        cb_sb_param (req, "sub"), NULL, cb_sb_arm_namespace_json);
}

static void
namespaces_list_group (CbSbRequest      *req,
                       const CbSbArmIds *ids)
{
  cb_sb_arm_reply_list (req,
                        "SELECT id FROM adr_namespaces WHERE subscription = ?1 "
                        "AND resource_group = ?2 ORDER BY name LIMIT :limit OFFSET :offset",
                        cb_sb_param (req, "sub"), cb_sb_param (req, "rg"),
                        cb_sb_arm_namespace_json);
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
  JsonNode *node = cb_sb_arm_namespace_json (req->sandbox, ids->ns_id,
                                             cb_sb_arm_api_version (req));

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

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = cb_sb_arm_body_object (req, body)) == NULL)
    return;
  if (!cb_sb_arm_require_location (req, obj, &location) || !cb_sb_arm_get_tags (req, obj, &tags))
    return;

  state = cb_sb_adr_namespace_state (self, ns_id, &current_location);
  if (state != NULL)
    {
      if (cb_sb_arm_reply_if_deleting (req, state) ||
          !cb_sb_arm_check_location_unchanged (req, ns, current_location, location))
        return;

      if (tags != NULL)
        cb_sb_adr_set_tags (self, "adr_namespaces", "id", ns_id, tags);
      cb_sb_adr_set_modified (self, "adr_namespaces", "id", ns_id, req->principal);
      cb_sb_reply_json (req, SOUP_STATUS_OK,
                        cb_sb_arm_namespace_json (self, ns_id, cb_sb_arm_api_version (req)));
      return;
    }

  cb_sb_adr_insert_namespace (self, sub, rg, ns, location, tags, "Accepted",
                              cb_sb_actor (req->principal));
  cb_sb_arm_reply_created (req, location, "ns-create", ns_id, ns_id, NULL, OP_NS_WRITE,
                           cb_sb_arm_namespace_json (self, ns_id, cb_sb_arm_api_version (req)));
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

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = cb_sb_arm_body_object (req, body)) == NULL ||
      !cb_sb_arm_get_tags (req, obj, &tags))
    return;

  args = cb_sb_arm_tags_args (tags);
  cb_sb_arm_start_patch (req, "ns-update", ids->ns_id, ids->ns_id, location, state, args,
                         OP_NS_WRITE);
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

  cb_sb_arm_start_delete (req, "ns-delete", ids->ns_id, ids->ns_id, location, state,
                          OP_NS_DELETE);
}

CB_SB_ARM_ROUTE (handle_namespaces_list_subscription, CB_SB_ARM_SCOPE_SUBSCRIPTION, OP_NS_READ,
                 CB_SB_PERM_READ, FALSE, FALSE, namespaces_list_subscription)
CB_SB_ARM_ROUTE (handle_namespaces_list_group, CB_SB_ARM_SCOPE_GROUP, OP_NS_READ,
                 CB_SB_PERM_READ, FALSE, FALSE, namespaces_list_group)
CB_SB_ARM_ROUTE (handle_namespace_get, CB_SB_ARM_SCOPE_NAMESPACE, OP_NS_READ,
                 CB_SB_PERM_READ, FALSE, FALSE, namespace_get)
CB_SB_ARM_ROUTE (handle_namespace_put, CB_SB_ARM_SCOPE_NAMESPACE, OP_NS_WRITE,
                 CB_SB_PERM_WRITE, FALSE, TRUE, namespace_put)
CB_SB_ARM_ROUTE (handle_namespace_patch, CB_SB_ARM_SCOPE_NAMESPACE, OP_NS_WRITE,
                 CB_SB_PERM_WRITE, FALSE, TRUE, namespace_patch)
CB_SB_ARM_ROUTE (handle_namespace_delete, CB_SB_ARM_SCOPE_NAMESPACE, OP_NS_DELETE,
                 CB_SB_PERM_WRITE, FALSE, TRUE, namespace_delete)

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
