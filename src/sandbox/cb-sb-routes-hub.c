/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* IoT Hub's service REST surface (api-version 2021-04-12) under /hubs/{hub}: device identities
 * with etags, twins with tags, desired and reported properties and their $metadata, and the
 * device query. Identities and twins live in one row per device (hub_devices), so they are
 * created, deleted and persisted together.
 *
 * Error codes follow the service's ErrorCode names: ArgumentInvalid (400004), ArgumentNull
 * (400005), IotHubUnauthorizedAccess (401002), DeviceNotFound (404001), IotHubNotFound,
 * DeviceAlreadyExists (409001), PreconditionFailed (412001). */

#include "config.h"

#include "cb-sb-adr-store.h"
#include "cb-sb-events.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-json.h"
#include "cb-sb-modules.h"
#include "cb-sb-preconditions.h"
#include "cb-sb-routes-hub.h"
#include "cb-sb-routes-iothub-rp.h"
#include "cb-sb-store.h"
#include "cb-sb-validate.h"
#include "cb-util.h"

/* This file: the device identities (/hubs/{hub}/devices), and the module's init. The twins
 * are in cb-sb-routes-hub-twins.c, the query in cb-sb-routes-hub-query.c. */

/* ---- JSON shapes ----------------------------------------------------------------------- */

static void
add_time (JsonBuilder *b,
          const char  *name,
          gint64       usec)
{
  g_autofree char *text = cb_sb_hub_format_time (usec);

  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, text);
}

static JsonNode *
device_to_json (CbSbHubDevice *dev)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean keys = g_strcmp0 (dev->auth_type, "sas") == 0;
  gboolean thumbs = g_strcmp0 (dev->auth_type, "selfSigned") == 0;

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "deviceId", dev->device_id);
  cb_sb_json_add_string (b, "generationId", dev->generation_id);
  cb_sb_json_add_string (b, "etag", dev->etag);
  cb_sb_json_add_string (b, "connectionState", dev->connection_state);
  cb_sb_json_add_string (b, "status", dev->status);
  cb_sb_json_add_string (b, "statusReason", dev->status_reason);
  add_time (b, "connectionStateUpdatedTime", dev->connection_state_updated);
  add_time (b, "statusUpdatedTime", dev->status_updated);
  add_time (b, "lastActivityTime", dev->last_activity);
  json_builder_set_member_name (b, "cloudToDeviceMessageCount");
  json_builder_add_int_value (b, dev->c2d_count);

  json_builder_set_member_name (b, "authentication");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "type", dev->auth_type);
  json_builder_set_member_name (b, "symmetricKey");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "primaryKey", keys ? dev->primary_key : NULL);
  cb_sb_json_add_string (b, "secondaryKey", keys ? dev->secondary_key : NULL);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "x509Thumbprint");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "primaryThumbprint", thumbs ? dev->primary_thumbprint : NULL);
  cb_sb_json_add_string (b, "secondaryThumbprint", thumbs ? dev->secondary_thumbprint : NULL);
  json_builder_end_object (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "capabilities");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "iotEdge");
  json_builder_add_boolean_value (b, dev->iot_edge);
  json_builder_end_object (b);
  cb_sb_json_add_string (b, "deviceScope", NULL);
  json_builder_set_member_name (b, "parentScopes");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

/* ---- Device identities ----------------------------------------------------------------- */

/* Applies a PUT /devices body to dev. Replies 400 and returns FALSE when it is invalid. */
static gboolean
apply_device_body (CbSbRequest *req,
                   CbSbHubDevice   *dev,
                   JsonObject  *body)
{
  const char *body_id = cb_sb_json_member_string (body, "deviceId");
  const char *status = cb_sb_json_member_string (body, "status");
  JsonObject *auth = cb_sb_json_member_object (body, "authentication");
  JsonObject *caps = cb_sb_json_member_object (body, "capabilities");
  JsonObject *keys = cb_sb_json_member_object (auth, "symmetricKey");
  JsonObject *thumbs = cb_sb_json_member_object (auth, "x509Thumbprint");
  const char *type = cb_sb_json_member_string (auth, "type");
  const char *primary;
  const char *secondary;
  gint64 now = cb_sb_now_usec (req->sandbox);

  if (body_id != NULL && g_strcmp0 (body_id, dev->device_id) != 0)
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "The deviceId in the body ('%s') does not match the one in the URI ('%s')",
                         body_id, dev->device_id);
      return FALSE;
    }

  if (cb_sb_json_member_not_string (body, "status") ||
      (status != NULL && g_ascii_strcasecmp (status, "enabled") != 0 &&
       g_ascii_strcasecmp (status, "disabled") != 0))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "status must be 'enabled' or 'disabled'");
      return FALSE;
    }

  if (type == NULL && cb_sb_json_member_not_string (auth, "type"))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "authentication.type must be a string");
      return FALSE;
    }
  if (type == NULL)
    type = "sas";
  if (g_strcmp0 (type, "sas") != 0 && g_strcmp0 (type, "selfSigned") != 0 &&
      g_strcmp0 (type, "certificateAuthority") != 0 && g_strcmp0 (type, "none") != 0)
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "authentication.type '%s' is not one of sas, selfSigned, "
                         "certificateAuthority, none", type);
      return FALSE;
    }

  g_clear_pointer (&dev->primary_key, g_free);
  g_clear_pointer (&dev->secondary_key, g_free);
  g_clear_pointer (&dev->primary_thumbprint, g_free);
  g_clear_pointer (&dev->secondary_thumbprint, g_free);

  if (g_str_equal (type, "sas"))
    {
      /* Empty keys are what azure-iothub's Registry.create sends for "generate them". */
      primary = cb_sb_json_member_string (keys, "primaryKey");
      secondary = cb_sb_json_member_string (keys, "secondaryKey");
      if (primary != NULL && *primary == '\0')
        primary = NULL;
      if (secondary != NULL && *secondary == '\0')
        secondary = NULL;
      if ((primary != NULL && !cb_sb_key_is_valid (primary)) || (secondary != NULL && !cb_sb_key_is_valid (secondary)))
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                             "The symmetric keys must be base64 encoded, 16 to 64 bytes long");
          return FALSE;
        }
      /* The hub generates the keys it is not given. */
      dev->primary_key = primary != NULL ? g_strdup (primary) : cb_random_base64 (32);
      dev->secondary_key = secondary != NULL ? g_strdup (secondary) : cb_random_base64 (32);
    }
  else if (g_str_equal (type, "selfSigned"))
    {
      primary = cb_sb_json_member_string (thumbs, "primaryThumbprint");
      secondary = cb_sb_json_member_string (thumbs, "secondaryThumbprint");
      if (primary == NULL || !cb_sb_thumbprint_is_valid (primary) ||
          (secondary != NULL && !cb_sb_thumbprint_is_valid (secondary)))
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                             "selfSigned authentication needs x509Thumbprint.primaryThumbprint "
                             "(40 or 64 hex digits)");
          return FALSE;
        }
      dev->primary_thumbprint = g_ascii_strup (primary, -1);
      dev->secondary_thumbprint = secondary != NULL ? g_ascii_strup (secondary, -1) : NULL;
    }

  g_free (dev->auth_type);
  dev->auth_type = g_strdup (type);

  {
    g_autofree char *new_status = g_ascii_strdown (status != NULL ? status : "enabled", -1);

    if (g_strcmp0 (new_status, dev->status) != 0)
      {
        g_free (dev->status);
        dev->status = g_steal_pointer (&new_status);
        dev->status_updated = now;
      }
  }

  g_free (dev->status_reason);
  dev->status_reason = g_strdup (cb_sb_json_member_string (body, "statusReason"));

  if (caps != NULL)
    {
      JsonNode *edge = json_object_get_member (caps, "iotEdge");

      dev->iot_edge = edge != NULL && JSON_NODE_HOLDS_VALUE (edge) &&
                      json_node_get_value_type (edge) == G_TYPE_BOOLEAN && json_node_get_boolean (edge);
    }
  else
    dev->iot_edge = FALSE;

  g_free (dev->etag);
  dev->etag = cb_sb_hub_new_device_etag ();

  return TRUE;
}

static void
handle_get_device (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(CbSbHubDevice) dev = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!cb_sb_hub_begin_request (req, &ctx, CB_SB_HUB_RIGHT_REGISTRY_READ, "RegistryRead"))
    return;

  if (!(dev = cb_sb_hub_device_load (req->sandbox, ctx.hub, id)))
    {
      cb_sb_hub_reply_device_not_found (req, &ctx, id);
      return;
    }

  cb_sb_set_etag (req, dev->etag);
  cb_sb_reply_json (req, 200, device_to_json (dev));
}

static void
handle_put_device (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(CbSbHubDevice) dev = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *match = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!cb_sb_hub_begin_request (req, &ctx, CB_SB_HUB_RIGHT_REGISTRY_WRITE, "RegistryWrite"))
    return;

  if (!cb_sb_hub_device_id_is_valid (id))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "The device id '%s' is not valid: up to 128 ASCII letters, digits and "
                         "- . %% _ * ? ! ( ) , : = @ $ '", id);
      return;
    }

  if (!(body = cb_sb_json_body (req, FALSE)))
    return;
  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "The body must be a device object");
      return;
    }

  match = cb_sb_if_match (req, TRUE);
  dev = cb_sb_hub_device_load (req->sandbox, ctx.hub, id);

  if (dev == NULL)
    {
      /* Creating: no If-Match, or "*". An etag names a version that cannot exist. */
      if (match != NULL && !g_str_equal (match, "*"))
        {
          cb_sb_hub_reply_device_not_found (req, &ctx, id);
          return;
        }
      dev = cb_sb_hub_device_new (req->sandbox, ctx.hub, id, "sas");
      dev->status_updated = dev->created;
    }
  else if (match == NULL)
    {
      cb_sb_reply_error (req, 409, "DeviceAlreadyExists", 409001,
                         "A device with ID '%s' is already registered. To replace it, send "
                         "If-Match with its etag (or \"*\")", id);
      return;
    }
  else if (!g_str_equal (match, "*") && !g_str_equal (match, dev->etag))
    {
      cb_sb_reply_error (req, 412, "PreconditionFailed", 412001,
                         "Precondition failed: the device's etag is \"%s\", not \"%s\"",
                         dev->etag, match);
      return;
    }

  if (!apply_device_body (req, dev, json_node_get_object (body)))
    return;

  if (!cb_sb_hub_device_save (req->sandbox, dev, &error))
    {
      cb_sb_reply_error (req, 500, "ServerError", 500001, "%s", error->message);
      return;
    }

  if (!g_str_equal (dev->status, "enabled"))
    cb_sb_events_drop_device (req->sandbox->events, ctx.hub, id, "the device was disabled");

  cb_sb_set_etag (req, dev->etag);
  cb_sb_reply_json (req, 200, device_to_json (dev));
}

/* A hub linked to an ADR namespace "uses the linked namespace as a registry for its devices"
 * (Learn, "Integration with Azure Device Registry (preview)",
 * https://learn.microsoft.com/azure/iot-hub/iot-hub-device-registry-overview), and the
 * namespace's devices have no create or delete of their own (the CLI's `az iot adr ns device`:
 * list, show, update, revoke): they come and go with the hubs' identities. So an identity
 * deleted on the hub takes its ADR device with it, unless another hub linked to the namespace
 * (hubs may share one) still has an identity of that name: the device is still theirs. Azure
 * does not spell this case out [INF]; the reverse, ADR's delete, is in cb-sb-adr-ops.c. */
static gboolean
leave_namespace (CbSandbox   *sandbox,
                 const char  *hub,
                 const char  *device_id,
                 GError     **error)
{
  g_autofree char *ns_id = NULL;
  g_autofree char *adr_id = cb_sb_adr_device_of_hub (sandbox, hub, device_id, &ns_id);
  g_autoptr(GPtrArray) hubs = NULL;

  if (adr_id == NULL)
    return TRUE;

  hubs = cb_sb_adr_hubs_of_namespace (sandbox, ns_id);
  for (guint i = 0; i < hubs->len; i++)
    {
      const char *other = g_ptr_array_index (hubs, i);
      g_autoptr(CbSbHubDevice) dev = NULL;

      if (g_ascii_strcasecmp (other, hub) == 0)
        continue;
      if ((dev = cb_sb_hub_device_load (sandbox, other, device_id)) != NULL)
        return TRUE;
    }

  return cb_sb_adr_delete_device (sandbox, adr_id, error);
}

static void
handle_delete_device (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(CbSbHubDevice) dev = NULL;
  g_autofree char *match = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!cb_sb_hub_begin_request (req, &ctx, CB_SB_HUB_RIGHT_REGISTRY_WRITE, "RegistryWrite"))
    return;

  match = cb_sb_if_match (req, TRUE);
  if (match == NULL)
    {
      cb_sb_reply_error (req, 400, "ArgumentNull", 400005,
                         "Deleting a device requires If-Match: the device's etag, or \"*\" to "
                         "delete unconditionally");
      return;
    }

  if (!(dev = cb_sb_hub_device_load (req->sandbox, ctx.hub, id)))
    {
      cb_sb_hub_reply_device_not_found (req, &ctx, id);
      return;
    }

  if (!g_str_equal (match, "*") && !g_str_equal (match, dev->etag))
    {
      cb_sb_reply_error (req, 412, "PreconditionFailed", 412001,
                         "Precondition failed: the device's etag is \"%s\", not \"%s\"",
                         dev->etag, match);
      return;
    }

  /* The identity and its ADR device go together, or neither does. */
  cb_sb_begin (req->sandbox);
  if (!cb_sb_hub_device_delete (req->sandbox, ctx.hub, id) ||
      !leave_namespace (req->sandbox, ctx.hub, id, NULL) ||
      !cb_sb_commit (req->sandbox))
    {
      cb_sb_rollback (req->sandbox);
      cb_sb_reply_error (req, 500, "ServerError", 500001, "The device could not be deleted");
      return;
    }

  cb_sb_events_drop_device (req->sandbox->events, ctx.hub, id, "the device was deleted");

  cb_sb_reply_empty (req, 204);
}

static void
handle_list_devices (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *top_text = cb_sb_query (req, "top");
  gint64 top = CB_SB_HUB_MAX_PAGE_SIZE;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (!cb_sb_hub_begin_request (req, &ctx, CB_SB_HUB_RIGHT_REGISTRY_READ, "RegistryRead"))
    return;

  if (top_text != NULL)
    {
      char *end = NULL;

      top = g_ascii_strtoll (top_text, &end, 10);
      if (end == top_text || *end != '\0' || top < 1)
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                             "top must be a whole number from 1 to %d", CB_SB_HUB_MAX_PAGE_SIZE);
          return;
        }
      top = MIN (top, CB_SB_HUB_MAX_PAGE_SIZE);
    }

  json_builder_begin_array (b);
  stmt = cb_sb_prepare (req->sandbox,
      "SELECT " CB_SB_HUB_DEVICE_COLUMNS " FROM hub_devices WHERE hub = ? ORDER BY device_id LIMIT ?");
  sqlite3_bind_text (stmt, 1, ctx.hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, top);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(CbSbHubDevice) dev = cb_sb_hub_device_from_row (stmt);

      json_builder_add_value (b, device_to_json (dev));
    }
  sqlite3_reset (stmt);
  json_builder_end_array (b);

  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

/* GET /statistics/devices: the registry's counts, as IoT Hub's RegistryStatistics. */
static void
handle_device_statistics (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(CbSbStmt) stmt = NULL;
  gint64 total = 0;
  gint64 enabled = 0;

  if (!cb_sb_hub_begin_request (req, &ctx, CB_SB_HUB_RIGHT_REGISTRY_READ, "RegistryRead"))
    return;

  stmt = cb_sb_prepare (req->sandbox,
      "SELECT COUNT(*), COUNT(CASE WHEN status = 'enabled' THEN 1 END) FROM hub_devices "
      "WHERE hub = ?");
  sqlite3_bind_text (stmt, 1, ctx.hub, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      total = sqlite3_column_int64 (stmt, 0);
      enabled = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "totalDeviceCount");
  json_builder_add_int_value (b, total);
  json_builder_set_member_name (b, "enabledDeviceCount");
  json_builder_add_int_value (b, enabled);
  json_builder_set_member_name (b, "disabledDeviceCount");
  json_builder_add_int_value (b, total - enabled);
  json_builder_end_object (b);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

/* ---- Registration ---------------------------------------------------------------------- */

gboolean
cb_sb_hub_init (CbSandbox  *self,
                GError    **error)
{
  if (!cb_sb_hub_store_init (self, error))
    return FALSE;

  cb_sb_routes_hub_query_add (self);
  cb_sb_add_route (self, "GET", "/hubs/{hub}/devices", CB_SB_STYLE_HUB, handle_list_devices);
  cb_sb_add_route (self, "GET", "/hubs/{hub}/devices/{id}", CB_SB_STYLE_HUB, handle_get_device);
  cb_sb_add_route (self, "PUT", "/hubs/{hub}/devices/{id}", CB_SB_STYLE_HUB, handle_put_device);
  cb_sb_add_route (self, "DELETE", "/hubs/{hub}/devices/{id}", CB_SB_STYLE_HUB,
                   handle_delete_device);
  cb_sb_add_route (self, "GET", "/hubs/{hub}/statistics/devices", CB_SB_STYLE_HUB,
                   handle_device_statistics);
  cb_sb_routes_hub_twins_add (self);
  cb_sb_routes_hub_methods_add (self);
  cb_sb_routes_hub_c2d_add (self);
  cb_sb_routes_iothub_rp_add (self);

  return TRUE;
}
