/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM surface of ADR devices (Microsoft.DeviceRegistry/namespaces/devices): list, get, PUT,
 * PATCH and delete with If-Match/If-None-Match on the etag, and revoke (a new credential
 * identifier, optionally disabling the device; 2026-03-01-preview only). */

#include "config.h"

#include "cb-sb-adr-ops.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-body.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-routes-devices.h"

#define OP_DEVICE_WRITE    "Microsoft.DeviceRegistry/namespaces/devices/write"
#define OP_DEVICE_DELETE   "Microsoft.DeviceRegistry/namespaces/devices/delete"
#define OP_DEVICE_READ     "Microsoft.DeviceRegistry/namespaces/devices/read"
#define OP_DEVICE_REVOKE   "Microsoft.DeviceRegistry/namespaces/devices/revoke/action"

static void
reply_device_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/devices/%s", CB_SB_TYPE_NAMESPACE,
                                           cb_sb_param (req, "ns"), cb_sb_param (req, "device"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

/* If-Match / If-None-Match against the device's etag. */
static gboolean
check_preconditions (CbSbRequest *req,
                     const char  *etag)       /* NULL: the resource does not exist */
{
  const char *if_match = cb_sb_header (req, "If-Match");
  const char *if_none_match = cb_sb_header (req, "If-None-Match");
  g_autofree char *quoted = etag != NULL ? g_strdup_printf ("\"%s\"", etag) : NULL;

  if (if_match != NULL && !(etag != NULL && (g_str_equal (if_match, "*") ||
                                             g_str_equal (if_match, quoted) ||
                                             g_str_equal (if_match, etag))))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_PRECONDITION_FAILED, "PreconditionFailed", NULL,
                             "The condition specified using HTTP conditional header(s) is not "
                             "met (If-Match '%s', current etag %s).",
                             if_match, quoted != NULL ? quoted : "none");
      return FALSE;
    }

  if (if_none_match != NULL && etag != NULL &&
      (g_str_equal (if_none_match, "*") || g_str_equal (if_none_match, quoted)))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_PRECONDITION_FAILED, "PreconditionFailed", NULL,
                             "The condition specified using HTTP conditional header(s) is not "
                             "met (If-None-Match '%s').", if_none_match);
      return FALSE;
    }

  return TRUE;
}

/* Validates a device body's "properties"; replies and returns FALSE when invalid. */
static gboolean
read_device_properties (CbSbRequest  *req,
                        JsonObject   *obj,
                        const char   *ns_id,
                        JsonObject  **out)
{
  JsonObject *properties;
  JsonObject *attributes;
  JsonObject *policy;
  const char *text;
  int enabled;

  *out = NULL;
  if (!cb_sb_arm_get_object (req, obj, "properties", "properties", &properties))
    return FALSE;
  if (properties == NULL)
    return TRUE;

  for (guint i = 0; i < cb_sb_n_device_string_props; i++)
    {
      g_autofree char *path = g_strdup_printf ("properties.%s", cb_sb_device_string_props[i]);

      if (!cb_sb_arm_get_string (req, properties, cb_sb_device_string_props[i], path, &text))
        return FALSE;
    }
  if (!cb_sb_arm_get_boolean (req, properties, "enabled", "properties.enabled", &enabled) ||
      !cb_sb_arm_get_object (req, properties, "attributes", "properties.attributes", &attributes) ||
      !cb_sb_arm_get_object (req, properties, "policy", "properties.policy", &policy) ||
      !cb_sb_arm_get_string (req, policy, "resourceId", "properties.policy.resourceId", &text))
    return FALSE;

  if (policy != NULL)
    {
      g_auto(CbSbPolicyRow) row = { 0 };
      g_autofree char *policy_ns = text != NULL ? cb_sb_namespace_of (text) : NULL;

      if (text == NULL || g_ascii_strcasecmp (policy_ns, ns_id) != 0 ||
          !cb_sb_adr_policy_row (req->sandbox, text, &row))
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                                 "properties.policy.resourceId",
                                 "The policy '%s' does not exist in this namespace.",
                                 text != NULL ? text : "");
          return FALSE;
        }
    }

  *out = properties;
  return TRUE;
}

static void
devices_list (CbSbRequest      *req,
              const CbSbArmIds *ids)
{
  g_autofree char *state = NULL;

  if ((state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL)
    return;

  cb_sb_arm_reply_list (req,
                        "SELECT id, name FROM adr_devices WHERE namespace_id = ?1 AND name > :k1 "
                        "ORDER BY name LIMIT :limit",
                        ids->ns_id, NULL, cb_sb_arm_device_json);
}

static void
device_get (CbSbRequest      *req,
            const CbSbArmIds *ids)
{
  g_autofree char *state = NULL;
  JsonNode *node;

  if ((state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL)
    return;

  node = cb_sb_arm_device_json (req->sandbox, ids->device_id, cb_sb_arm_api_version (req));
  if (node == NULL)
    reply_device_not_found (req);
  else
    cb_sb_reply_json (req, SOUP_STATUS_OK, node);
}

static void
device_put (CbSbRequest      *req,
            const CbSbArmIds *ids)
{
  CbSandbox *self = req->sandbox;
  const char *ns_id = ids->ns_id;
  const char *id = ids->device_id;
  const char *name = cb_sb_param (req, "device");
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *current_location = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *tags = NULL;
  JsonObject *obj;
  JsonObject *properties;
  const char *location;
  g_autoptr(GError) error = NULL;

  if ((ns_state = cb_sb_arm_require_namespace (req, ns_id, NULL)) == NULL ||
      cb_sb_arm_reply_if_deleting (req, ns_state))
    return;

  if (!cb_sb_adr_valid_child_name (name))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidResourceName", "name",
                             "The resource name '%s' is invalid. A device name has 3 to 63 "
                             "characters: letters, digits and hyphens, starting with a letter "
                             "or digit (^[0-9a-zA-Z][a-zA-Z0-9-]*$).", name);
      return;
    }

  state = cb_sb_adr_device_state (self, id, &current_location, &etag);
  if (!check_preconditions (req, etag))
    return;

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = cb_sb_arm_body_object (req, body)) == NULL)
    return;
  if (!cb_sb_arm_require_location (req, obj, &location) || !cb_sb_arm_get_tags (req, obj, &tags) ||
      !read_device_properties (req, obj, ns_id, &properties))
    return;

  if (state != NULL)
    {
      if (cb_sb_arm_reply_if_deleting (req, state) ||
          !cb_sb_arm_check_location_unchanged (req, name, current_location, location))
        return;

      if (!cb_sb_adr_apply_device_properties (self, id, properties, TRUE, &error))
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError",
                                 NULL, "%s", error->message);
          return;
        }
      cb_sb_adr_set_tags (self, "adr_devices", "id", id, tags);
      cb_sb_adr_set_modified (self, "adr_devices", "id", id, req->principal);
      cb_sb_reply_json (req, SOUP_STATUS_OK,
                        cb_sb_arm_device_json (self, id, cb_sb_arm_api_version (req)));
      return;
    }

  cb_sb_adr_insert_device (self, id, ns_id, name, location, tags, NULL, NULL, 0, "Accepted",
                           cb_sb_actor (req->principal), NULL);
  /* Version 1 once the properties are in. */
  if (!cb_sb_adr_apply_device_properties (self, id, properties, TRUE, &error))
    g_warning ("Could not store device properties: %s", error->message);

  cb_sb_arm_reply_created (req, location, "device-create", id, id, NULL, OP_DEVICE_WRITE,
                           cb_sb_arm_device_json (self, id, cb_sb_arm_api_version (req)));
}

static void
device_patch (CbSbRequest      *req,
              const CbSbArmIds *ids)
{
  const char *ns_id = ids->ns_id;
  const char *id = ids->device_id;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;
  JsonObject *properties;

  if ((ns_state = cb_sb_arm_require_namespace (req, ns_id, NULL)) == NULL)
    return;
  state = cb_sb_adr_device_state (req->sandbox, id, &location, &etag);
  if (state == NULL)
    {
      reply_device_not_found (req);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, state) || !check_preconditions (req, etag))
    return;

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = cb_sb_arm_body_object (req, body)) == NULL ||
      !cb_sb_arm_get_tags (req, obj, &tags) ||
      !read_device_properties (req, obj, ns_id, &properties))
    return;

  args = json_to_string (body, FALSE);
  cb_sb_arm_start_patch (req, "device-update", id, id, location, state, args, OP_DEVICE_WRITE);
}

static void
device_delete (CbSbRequest      *req,
               const CbSbArmIds *ids)
{
  const char *id = ids->device_id;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *etag = NULL;

  state = cb_sb_adr_device_state (req->sandbox, id, &location, &etag);
  if (state == NULL)
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, state) || !check_preconditions (req, etag))
    return;

  cb_sb_arm_start_delete (req, "device-delete", id, id, location, state, OP_DEVICE_DELETE);
}

static void
device_revoke (CbSbRequest      *req,
               const CbSbArmIds *ids)
{
  const char *ns_id = ids->ns_id;
  const char *id = ids->device_id;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj = NULL;
  int disable = -1;

  if ((ns_state = cb_sb_arm_require_namespace (req, ns_id, NULL)) == NULL)
    return;
  state = cb_sb_adr_device_state (req->sandbox, id, &location, NULL);
  if (state == NULL)
    {
      reply_device_not_found (req);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  if (req->body != NULL && g_bytes_get_size (req->body) > 0)
    {
      body = cb_sb_json_body (req, TRUE);
      if (body == NULL || (obj = cb_sb_arm_body_object (req, body)) == NULL ||
          !cb_sb_arm_get_boolean (req, obj, "disable", "disable", &disable))
        return;
    }

  args = g_strdup_printf ("{\"disable\":%s}", disable > 0 ? "true" : "false");
  cb_sb_arm_start_action (req, "device-revoke", id, id, location, args, CB_SB_FINAL_REVOKE,
                          TRUE, OP_DEVICE_REVOKE);
}

#define DEV CB_SB_ARM_SCOPE_DEVICE

CB_SB_ARM_ROUTE (handle_devices_list, CB_SB_ARM_SCOPE_NAMESPACE, OP_DEVICE_READ,
                 CB_SB_PERM_READ, FALSE, FALSE, devices_list)
CB_SB_ARM_ROUTE (handle_device_get, DEV, OP_DEVICE_READ, CB_SB_PERM_READ, FALSE, FALSE,
                 device_get)
CB_SB_ARM_ROUTE (handle_device_put, DEV, OP_DEVICE_WRITE, CB_SB_PERM_WRITE, FALSE, TRUE,
                 device_put)
CB_SB_ARM_ROUTE (handle_device_patch, DEV, OP_DEVICE_WRITE, CB_SB_PERM_WRITE, FALSE, TRUE,
                 device_patch)
CB_SB_ARM_ROUTE (handle_device_delete, DEV, OP_DEVICE_DELETE, CB_SB_PERM_WRITE, FALSE, TRUE,
                 device_delete)
CB_SB_ARM_ROUTE (handle_device_revoke, DEV, OP_DEVICE_REVOKE, CB_SB_PERM_WRITE_CREDENTIALS,
                 TRUE, TRUE, device_revoke)

void
cb_sb_routes_devices_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET", CB_SB_ARM_NS "/devices", CB_SB_STYLE_ARM,
                   handle_devices_list);
  cb_sb_add_route (self, "GET", CB_SB_ARM_DEV, CB_SB_STYLE_ARM, handle_device_get);
  cb_sb_add_route (self, "PUT", CB_SB_ARM_DEV, CB_SB_STYLE_ARM, handle_device_put);
  cb_sb_add_route (self, "PATCH", CB_SB_ARM_DEV, CB_SB_STYLE_ARM, handle_device_patch);
  cb_sb_add_route (self, "DELETE", CB_SB_ARM_DEV, CB_SB_STYLE_ARM, handle_device_delete);
  cb_sb_add_route (self, "POST", CB_SB_ARM_DEV "/revoke", CB_SB_STYLE_ARM,
                   handle_device_revoke);
}
