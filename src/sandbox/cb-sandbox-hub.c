/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

#include "config.h"

#include <string.h>

#include "cb-hub-query.h"
#include "cb-sandbox-private.h"
#include "cb-sas.h"
#include "cb-util.h"

/* IoT Hub's service REST surface (api-version 2021-04-12) under /hubs/{hub}: device identities
 * with etags, twins with tags, desired and reported properties and their $metadata, and the
 * device query. Identities and twins live in one row per device (hub_devices), so they are
 * created, deleted and persisted together.
 *
 * Error codes follow the service's ErrorCode names: ArgumentInvalid (400004), ArgumentNull
 * (400005), IotHubUnauthorizedAccess (401002), DeviceNotFound (404001), IotHubNotFound,
 * DeviceAlreadyExists (409001), PreconditionFailed (412001). */

#define HUB_API_VERSION_CLI "2024-03-31"
#define NEVER_TIME          "0001-01-01T00:00:00Z"
#define MAX_PAGE_SIZE       1000

static const char hub_schema[] =
  "CREATE TABLE IF NOT EXISTS hub_devices ("
  "  hub TEXT NOT NULL COLLATE NOCASE,"
  "  device_id TEXT NOT NULL,"
  "  generation_id TEXT NOT NULL,"
  "  etag TEXT NOT NULL,"
  "  status TEXT NOT NULL,"
  "  status_reason TEXT,"
  "  status_updated INTEGER NOT NULL,"
  "  auth_type TEXT NOT NULL,"
  "  primary_key TEXT,"
  "  secondary_key TEXT,"
  "  primary_thumbprint TEXT,"
  "  secondary_thumbprint TEXT,"
  "  iot_edge INTEGER NOT NULL DEFAULT 0,"
  "  connection_state TEXT NOT NULL DEFAULT 'Disconnected',"
  "  connection_state_updated INTEGER NOT NULL DEFAULT 0,"
  "  last_activity INTEGER NOT NULL DEFAULT 0,"
  "  c2d_count INTEGER NOT NULL DEFAULT 0,"
  "  twin_version INTEGER NOT NULL,"
  "  twin_etag_seq INTEGER NOT NULL,"
  "  tags TEXT NOT NULL,"
  "  desired TEXT NOT NULL,"
  "  desired_meta TEXT NOT NULL,"
  "  desired_version INTEGER NOT NULL,"
  "  reported TEXT NOT NULL,"
  "  reported_meta TEXT NOT NULL,"
  "  reported_version INTEGER NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  PRIMARY KEY (hub, device_id)) STRICT;";

#define DEVICE_COLUMNS \
  "hub, device_id, generation_id, etag, status, status_reason, status_updated, auth_type, " \
  "primary_key, secondary_key, primary_thumbprint, secondary_thumbprint, iot_edge, " \
  "connection_state, connection_state_updated, last_activity, c2d_count, twin_version, " \
  "twin_etag_seq, tags, desired, desired_meta, desired_version, reported, reported_meta, " \
  "reported_version, created"

/* ---- The device row -------------------------------------------------------------------- */

typedef struct
{
  char       *hub;
  char       *device_id;
  char       *generation_id;
  char       *etag;
  char       *status;
  char       *status_reason;
  gint64      status_updated;          /* usec; 0: never */
  char       *auth_type;
  char       *primary_key;
  char       *secondary_key;
  char       *primary_thumbprint;
  char       *secondary_thumbprint;
  gboolean    iot_edge;
  char       *connection_state;
  gint64      connection_state_updated;
  gint64      last_activity;
  gint64      c2d_count;
  gint64      twin_version;
  gint64      twin_etag_seq;
  JsonObject *tags;
  JsonObject *desired;
  JsonObject *desired_meta;
  gint64      desired_version;
  JsonObject *reported;
  JsonObject *reported_meta;
  gint64      reported_version;
  gint64      created;
} HubDevice;

static void
hub_device_free (HubDevice *dev)
{
  if (dev == NULL)
    return;
  g_free (dev->hub);
  g_free (dev->device_id);
  g_free (dev->generation_id);
  g_free (dev->etag);
  g_free (dev->status);
  g_free (dev->status_reason);
  g_free (dev->auth_type);
  g_free (dev->primary_key);
  g_free (dev->secondary_key);
  g_free (dev->primary_thumbprint);
  g_free (dev->secondary_thumbprint);
  g_free (dev->connection_state);
  g_clear_pointer (&dev->tags, json_object_unref);
  g_clear_pointer (&dev->desired, json_object_unref);
  g_clear_pointer (&dev->desired_meta, json_object_unref);
  g_clear_pointer (&dev->reported, json_object_unref);
  g_clear_pointer (&dev->reported_meta, json_object_unref);
  g_free (dev);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HubDevice, hub_device_free)

static JsonObject *
object_from_text (const char *text)
{
  g_autoptr(JsonNode) node = NULL;

  if (text != NULL)
    node = json_from_string (text, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    return json_object_ref (json_node_get_object (node));

  return json_object_new ();
}

static char *
object_to_text (JsonObject *obj)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, obj);
  return json_to_string (node, FALSE);
}

static HubDevice *
hub_device_from_row (sqlite3_stmt *stmt)
{
  HubDevice *dev = g_new0 (HubDevice, 1);

  dev->hub = cb_sb_column_dup (stmt, 0);
  dev->device_id = cb_sb_column_dup (stmt, 1);
  dev->generation_id = cb_sb_column_dup (stmt, 2);
  dev->etag = cb_sb_column_dup (stmt, 3);
  dev->status = cb_sb_column_dup (stmt, 4);
  dev->status_reason = cb_sb_column_dup (stmt, 5);
  dev->status_updated = sqlite3_column_int64 (stmt, 6);
  dev->auth_type = cb_sb_column_dup (stmt, 7);
  dev->primary_key = cb_sb_column_dup (stmt, 8);
  dev->secondary_key = cb_sb_column_dup (stmt, 9);
  dev->primary_thumbprint = cb_sb_column_dup (stmt, 10);
  dev->secondary_thumbprint = cb_sb_column_dup (stmt, 11);
  dev->iot_edge = sqlite3_column_int (stmt, 12) != 0;
  dev->connection_state = cb_sb_column_dup (stmt, 13);
  dev->connection_state_updated = sqlite3_column_int64 (stmt, 14);
  dev->last_activity = sqlite3_column_int64 (stmt, 15);
  dev->c2d_count = sqlite3_column_int64 (stmt, 16);
  dev->twin_version = sqlite3_column_int64 (stmt, 17);
  dev->twin_etag_seq = sqlite3_column_int64 (stmt, 18);
  dev->tags = object_from_text ((const char *) sqlite3_column_text (stmt, 19));
  dev->desired = object_from_text ((const char *) sqlite3_column_text (stmt, 20));
  dev->desired_meta = object_from_text ((const char *) sqlite3_column_text (stmt, 21));
  dev->desired_version = sqlite3_column_int64 (stmt, 22);
  dev->reported = object_from_text ((const char *) sqlite3_column_text (stmt, 23));
  dev->reported_meta = object_from_text ((const char *) sqlite3_column_text (stmt, 24));
  dev->reported_version = sqlite3_column_int64 (stmt, 25);
  dev->created = sqlite3_column_int64 (stmt, 26);

  return dev;
}

static HubDevice *
hub_device_load (CbSandbox  *self,
                 const char *hub,
                 const char *device_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT " DEVICE_COLUMNS " FROM hub_devices WHERE hub = ? AND device_id = ?");
  HubDevice *dev = NULL;

  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    dev = hub_device_from_row (stmt);
  sqlite3_reset (stmt);

  return dev;
}

static gboolean
hub_device_save (CbSandbox  *self,
                 HubDevice  *dev,
                 GError    **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT OR REPLACE INTO hub_devices (" DEVICE_COLUMNS ") "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  g_autofree char *tags = object_to_text (dev->tags);
  g_autofree char *desired = object_to_text (dev->desired);
  g_autofree char *desired_meta = object_to_text (dev->desired_meta);
  g_autofree char *reported = object_to_text (dev->reported);
  g_autofree char *reported_meta = object_to_text (dev->reported_meta);
  int rc;

  sqlite3_bind_text (stmt, 1, dev->hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, dev->device_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, dev->generation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, dev->etag, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, dev->status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, dev->status_reason, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, dev->status_updated);
  sqlite3_bind_text (stmt, 8, dev->auth_type, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 9, dev->primary_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 10, dev->secondary_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 11, dev->primary_thumbprint, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 12, dev->secondary_thumbprint, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 13, dev->iot_edge ? 1 : 0);
  sqlite3_bind_text (stmt, 14, dev->connection_state, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 15, dev->connection_state_updated);
  sqlite3_bind_int64 (stmt, 16, dev->last_activity);
  sqlite3_bind_int64 (stmt, 17, dev->c2d_count);
  sqlite3_bind_int64 (stmt, 18, dev->twin_version);
  sqlite3_bind_int64 (stmt, 19, dev->twin_etag_seq);
  sqlite3_bind_text (stmt, 20, tags, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 21, desired, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 22, desired_meta, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 23, dev->desired_version);
  sqlite3_bind_text (stmt, 24, reported, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 25, reported_meta, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 26, dev->reported_version);
  sqlite3_bind_int64 (stmt, 27, dev->created);

  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
hub_device_delete (CbSandbox  *self,
                   const char *hub,
                   const char *device_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM hub_devices WHERE hub = ? AND device_id = ?");
  int rc;

  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);

  return rc == SQLITE_DONE;
}

/* Device etags look like the hub's: base64 of a decimal number. */
static char *
new_device_etag (void)
{
  g_autofree char *digits = g_strdup_printf ("%u", g_random_int_range (100000000, G_MAXINT32));

  return g_base64_encode ((const guchar *) digits, strlen (digits));
}

/* Twin etags are base64 of a big-endian 64-bit sequence number, as the hub writes them. */
static char *
twin_etag (gint64 seq)
{
  guint64 be = GUINT64_TO_BE ((guint64) seq);

  return g_base64_encode ((const guchar *) &be, sizeof be);
}

static char *
format_time (gint64 usec)
{
  if (usec <= 0)
    return g_strdup (NEVER_TIME);
  return cb_time_format_precise (usec);
}

/* ---- JSON helpers ---------------------------------------------------------------------- */

/* json_node_copy() shares objects and arrays; stored twin state must not. Nulls inside a new
 * object are dropped, as the hub does when a patch adds an object. */
static JsonNode *
deep_copy (JsonNode *node,
           gboolean  strip_nulls)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *src = json_node_get_object (node);
      JsonObject *dst = json_object_new ();
      JsonNode *out = json_node_new (JSON_NODE_OBJECT);
      g_autoptr(GList) members = json_object_get_members (src);

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *child = json_object_get_member (src, l->data);

          if (strip_nulls && JSON_NODE_HOLDS_NULL (child))
            continue;
          json_object_set_member (dst, l->data, deep_copy (child, strip_nulls));
        }
      json_node_take_object (out, dst);
      return out;
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *src = json_node_get_array (node);
      JsonArray *dst = json_array_new ();
      JsonNode *out = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < json_array_get_length (src); i++)
        json_array_add_element (dst, deep_copy (json_array_get_element (src, i), FALSE));
      json_node_take_array (out, dst);
      return out;
    }

  return json_node_copy (node);
}

static JsonObject *
deep_copy_object (JsonObject *obj)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonNode) copy = NULL;

  json_node_set_object (node, obj);
  copy = deep_copy (node, FALSE);
  return json_object_ref (json_node_get_object (copy));
}

static JsonObject *
leaf_metadata (const char *stamp,
               gint64      version)
{
  JsonObject *meta = json_object_new ();

  json_object_set_string_member (meta, "$lastUpdated", stamp);
  if (version >= 0)
    json_object_set_int_member (meta, "$lastUpdatedVersion", version);
  return meta;
}

/* $metadata for a value just written: every object level and every leaf gets $lastUpdated
 * (and $lastUpdatedVersion for desired properties). */
static JsonObject *
metadata_for (JsonNode   *value,
              const char *stamp,
              gint64      version)
{
  JsonObject *meta = leaf_metadata (stamp, version);

  if (JSON_NODE_HOLDS_OBJECT (value))
    {
      JsonObject *obj = json_node_get_object (value);
      g_autoptr(GList) members = json_object_get_members (obj);

      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_object_member (meta, l->data,
                                       metadata_for (json_object_get_member (obj, l->data),
                                                     stamp, version));
    }

  return meta;
}

/* Merges a patch the way twin PATCH and reported updates do: null deletes, objects merge,
 * anything else replaces. meta (may be NULL for tags) follows the changes. */
static void
merge_patch (JsonObject *target,
             JsonObject *meta,
             JsonObject *patch,
             const char *stamp,
             gint64      version)
{
  g_autoptr(GList) members = json_object_get_members (patch);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (patch, name);
      JsonNode *existing = json_object_get_member (target, name);

      if (JSON_NODE_HOLDS_NULL (value))
        {
          json_object_remove_member (target, name);
          if (meta != NULL)
            json_object_remove_member (meta, name);
          continue;
        }

      if (JSON_NODE_HOLDS_OBJECT (value) && existing != NULL && JSON_NODE_HOLDS_OBJECT (existing))
        {
          JsonObject *child_meta = NULL;

          if (meta != NULL)
            {
              JsonNode *m = json_object_get_member (meta, name);

              if (m == NULL || !JSON_NODE_HOLDS_OBJECT (m))
                json_object_set_object_member (meta, name, leaf_metadata (stamp, version));
              child_meta = json_object_get_object_member (meta, name);
              json_object_set_string_member (child_meta, "$lastUpdated", stamp);
              if (version >= 0)
                json_object_set_int_member (child_meta, "$lastUpdatedVersion", version);
            }
          merge_patch (json_node_get_object (existing), child_meta, json_node_get_object (value),
                       stamp, version);
          continue;
        }

      {
        JsonNode *copy = deep_copy (value, TRUE);

        if (meta != NULL)
          json_object_set_object_member (meta, name, metadata_for (copy, stamp, version));
        json_object_set_member (target, name, copy);
      }
    }

  if (meta != NULL)
    {
      json_object_set_string_member (meta, "$lastUpdated", stamp);
      if (version >= 0)
        json_object_set_int_member (meta, "$lastUpdatedVersion", version);
    }
}

/* Property names: no '$' at the start, no '.', no space, no control characters; at most 10
 * levels, as the hub enforces. */
static gboolean
validate_properties (JsonObject  *obj,
                     const char  *where,
                     guint        depth,
                     GError     **error)
{
  g_autoptr(GList) members = NULL;

  if (depth > 10)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s nests deeper than 10 levels", where);
      return FALSE;
    }

  members = json_object_get_members (obj);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (obj, name);

      if (*name == '\0' || *name == '$' || strchr (name, '.') != NULL || strchr (name, ' ') != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "The property name '%s' in %s is not allowed (it must not be empty, start "
                       "with '$' or contain '.' or ' ')", name, where);
          return FALSE;
        }
      for (const char *p = name; *p; p++)
        if ((guchar) *p < 0x20)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         "A property name in %s contains a control character", where);
            return FALSE;
          }

      if (JSON_NODE_HOLDS_OBJECT (value) &&
          !validate_properties (json_node_get_object (value), where, depth + 1, error))
        return FALSE;
    }

  return TRUE;
}

/* ---- JSON shapes ----------------------------------------------------------------------- */

static void
add_nullable_string (JsonBuilder *b,
                     const char  *name,
                     const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_time (JsonBuilder *b,
          const char  *name,
          gint64       usec)
{
  g_autofree char *text = format_time (usec);

  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, text);
}

static JsonNode *
device_to_json (HubDevice *dev)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean keys = g_strcmp0 (dev->auth_type, "sas") == 0;
  gboolean thumbs = g_strcmp0 (dev->auth_type, "selfSigned") == 0;

  json_builder_begin_object (b);
  add_nullable_string (b, "deviceId", dev->device_id);
  add_nullable_string (b, "generationId", dev->generation_id);
  add_nullable_string (b, "etag", dev->etag);
  add_nullable_string (b, "connectionState", dev->connection_state);
  add_nullable_string (b, "status", dev->status);
  add_nullable_string (b, "statusReason", dev->status_reason);
  add_time (b, "connectionStateUpdatedTime", dev->connection_state_updated);
  add_time (b, "statusUpdatedTime", dev->status_updated);
  add_time (b, "lastActivityTime", dev->last_activity);
  json_builder_set_member_name (b, "cloudToDeviceMessageCount");
  json_builder_add_int_value (b, dev->c2d_count);

  json_builder_set_member_name (b, "authentication");
  json_builder_begin_object (b);
  add_nullable_string (b, "type", dev->auth_type);
  json_builder_set_member_name (b, "symmetricKey");
  json_builder_begin_object (b);
  add_nullable_string (b, "primaryKey", keys ? dev->primary_key : NULL);
  add_nullable_string (b, "secondaryKey", keys ? dev->secondary_key : NULL);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "x509Thumbprint");
  json_builder_begin_object (b);
  add_nullable_string (b, "primaryThumbprint", thumbs ? dev->primary_thumbprint : NULL);
  add_nullable_string (b, "secondaryThumbprint", thumbs ? dev->secondary_thumbprint : NULL);
  json_builder_end_object (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "capabilities");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "iotEdge");
  json_builder_add_boolean_value (b, dev->iot_edge);
  json_builder_end_object (b);
  add_nullable_string (b, "deviceScope", NULL);
  json_builder_set_member_name (b, "parentScopes");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static JsonObject *
properties_with_metadata (JsonObject *props,
                          JsonObject *meta,
                          gint64      version)
{
  JsonObject *out = deep_copy_object (props);

  json_object_set_object_member (out, "$metadata", deep_copy_object (meta));
  json_object_set_int_member (out, "$version", version);
  return out;
}

static JsonObject *
twin_to_object (HubDevice *dev)
{
  JsonObject *twin = json_object_new ();
  JsonObject *thumbs = json_object_new ();
  JsonObject *caps = json_object_new ();
  JsonObject *props = json_object_new ();
  g_autofree char *etag = twin_etag (dev->twin_etag_seq);
  g_autofree char *status_time = format_time (dev->status_updated);
  g_autofree char *activity = format_time (dev->last_activity);
  gboolean self_signed = g_strcmp0 (dev->auth_type, "selfSigned") == 0;

  json_object_set_string_member (twin, "deviceId", dev->device_id);
  json_object_set_string_member (twin, "etag", etag);
  json_object_set_string_member (twin, "deviceEtag", dev->etag);
  json_object_set_int_member (twin, "version", dev->twin_version);
  json_object_set_string_member (twin, "status", dev->status);
  if (dev->status_reason != NULL)
    json_object_set_string_member (twin, "statusReason", dev->status_reason);
  json_object_set_string_member (twin, "statusUpdateTime", status_time);
  json_object_set_string_member (twin, "connectionState", dev->connection_state);
  json_object_set_string_member (twin, "lastActivityTime", activity);
  json_object_set_int_member (twin, "cloudToDeviceMessageCount", dev->c2d_count);
  json_object_set_string_member (twin, "authenticationType", dev->auth_type);

  if (self_signed && dev->primary_thumbprint != NULL)
    json_object_set_string_member (thumbs, "primaryThumbprint", dev->primary_thumbprint);
  else
    json_object_set_null_member (thumbs, "primaryThumbprint");
  if (self_signed && dev->secondary_thumbprint != NULL)
    json_object_set_string_member (thumbs, "secondaryThumbprint", dev->secondary_thumbprint);
  else
    json_object_set_null_member (thumbs, "secondaryThumbprint");
  json_object_set_object_member (twin, "x509Thumbprint", thumbs);

  json_object_set_boolean_member (caps, "iotEdge", dev->iot_edge);
  json_object_set_object_member (twin, "capabilities", caps);
  json_object_set_array_member (twin, "parentScopes", json_array_new ());

  json_object_set_object_member (twin, "tags", deep_copy_object (dev->tags));
  json_object_set_object_member (props, "desired",
                                 properties_with_metadata (dev->desired, dev->desired_meta,
                                                           dev->desired_version));
  json_object_set_object_member (props, "reported",
                                 properties_with_metadata (dev->reported, dev->reported_meta,
                                                           dev->reported_version));
  json_object_set_object_member (twin, "properties", props);

  return twin;
}

static JsonNode *
twin_to_json (HubDevice *dev)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, twin_to_object (dev));
  return node;
}

/* ---- Creating devices ------------------------------------------------------------------ */

static HubDevice *
hub_device_new (CbSandbox  *self,
                const char *hub,
                const char *device_id,
                const char *auth_type)
{
  HubDevice *dev = g_new0 (HubDevice, 1);
  gint64 now = cb_sandbox_now_usec (self);
  g_autofree char *stamp = cb_time_format_precise (now);

  dev->hub = g_strdup (hub);
  dev->device_id = g_strdup (device_id);
  /* Generation ids look like .NET ticks, as the hub's do. */
  dev->generation_id = g_strdup_printf ("%" G_GINT64_FORMAT,
                                        G_GINT64_CONSTANT (621355968000000000) + now * 10 + g_random_int_range (0, 10));
  dev->etag = new_device_etag ();
  dev->status = g_strdup ("enabled");
  dev->status_updated = 0;
  dev->auth_type = g_strdup (auth_type);
  dev->connection_state = g_strdup ("Disconnected");
  dev->twin_version = 1;
  dev->twin_etag_seq = 1;
  dev->tags = json_object_new ();
  dev->desired = json_object_new ();
  dev->desired_meta = leaf_metadata (stamp, 1);
  dev->desired_version = 1;
  dev->reported = json_object_new ();
  dev->reported_meta = leaf_metadata (stamp, -1);
  dev->reported_version = 1;
  dev->created = now;

  return dev;
}

/* The hub's canonical name and host, or FALSE when there is no such hub. */
static gboolean
lookup_hub (CbSandbox  *self,
            const char *name,
            char      **canonical,
            char      **host_name)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT name, host_name FROM hubs WHERE name = ?");
  gboolean found = FALSE;

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      if (canonical != NULL)
        *canonical = cb_sb_column_dup (stmt, 0);
      if (host_name != NULL)
        *host_name = cb_sb_column_dup (stmt, 1);
    }
  sqlite3_reset (stmt);

  return found;
}

/* ---- Requests: hub, authentication, rights --------------------------------------------- */

typedef enum
{
  RIGHT_REGISTRY_READ  = 1 << 0,
  RIGHT_REGISTRY_WRITE = 1 << 1,
  RIGHT_SERVICE        = 1 << 2,
  RIGHT_DEVICE         = 1 << 3,
} HubRights;

static guint
parse_rights (const char *text)
{
  g_auto(GStrv) parts = g_strsplit_set (text != NULL ? text : "", ", |", -1);
  guint rights = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (parts[i], "RegistryRead") == 0)
        rights |= RIGHT_REGISTRY_READ;
      else if (g_ascii_strcasecmp (parts[i], "RegistryWrite") == 0)
        rights |= RIGHT_REGISTRY_WRITE | RIGHT_REGISTRY_READ;  /* write implies read */
      else if (g_ascii_strcasecmp (parts[i], "ServiceConnect") == 0)
        rights |= RIGHT_SERVICE;
      else if (g_ascii_strcasecmp (parts[i], "DeviceConnect") == 0)
        rights |= RIGHT_DEVICE;
    }

  return rights;
}

typedef struct
{
  char *hub;
  char *host_name;
} HubContext;

static void
hub_context_clear (HubContext *ctx)
{
  g_clear_pointer (&ctx->hub, g_free);
  g_clear_pointer (&ctx->host_name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HubContext, hub_context_clear)

static gboolean
unauthorized (CbSbRequest *req,
              const char  *message)
{
  cb_sb_reply_error (req, 401, "IotHubUnauthorizedAccess", 401002, "Unauthorized: %s", message);
  return FALSE;
}

/* SAS: sr must be the hub host (or a prefix of the resource requested under it), the key
 * that of the named shared access policy, and the policy must hold one of the accepted rights.
 * Bearer: any sandbox principal with a token for the hub audience. */
static gboolean
authorize (CbSbRequest *req,
           HubContext  *ctx,
           guint        accepted,
           const char  *right_name)
{
  CbSandbox *self = req->sandbox;
  const char *auth = cb_sb_header (req, "Authorization");
  g_autoptr(CbSasToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *primary = NULL;
  g_autofree char *secondary = NULL;
  g_autofree char *rights_text = NULL;
  g_autofree char *resource = NULL;
  g_autofree char *sr = NULL;
  const char *sub_path;
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean verified;

  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    return cb_sb_require_bearer (req, CB_SB_AUD_HUB);

  if (auth == NULL)
    return unauthorized (req, "the Authorization header is missing");

  if (!(token = cb_sas_token_parse (auth, &error)))
    return unauthorized (req, error->message);

  if (token->key_name == NULL)
    return unauthorized (req, "a service token must name its shared access policy (skn)");

  /* The resource this request addresses: the host plus the path under /hubs/{hub}. */
  sub_path = strchr (req->path + strlen ("/hubs/"), '/');
  resource = g_ascii_strdown (ctx->host_name, -1);
  if (sub_path != NULL)
    {
      g_autofree char *tmp = g_steal_pointer (&resource);
      g_autofree char *lower_sub = g_ascii_strdown (sub_path, -1);

      resource = g_strconcat (tmp, lower_sub, NULL);
    }
  sr = g_ascii_strdown (token->resource, -1);
  while (g_str_has_suffix (sr, "/"))
    sr[strlen (sr) - 1] = '\0';
  if (!g_str_has_prefix (resource, sr) ||
      (resource[strlen (sr)] != '\0' && resource[strlen (sr)] != '/') ||
      strlen (sr) < strlen (ctx->host_name))
    {
      g_autofree char *msg = g_strdup_printf ("the token is for '%s', which does not cover '%s'",
                                              token->resource, resource);
      return unauthorized (req, msg);
    }

  primary = cb_sandbox_dup_hub_key (self, ctx->hub, token->key_name);
  stmt = cb_sb_prepare (self, "SELECT secondary_key, rights FROM hub_keys WHERE hub = ? AND key_name = ?");
  sqlite3_bind_text (stmt, 1, ctx->hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, token->key_name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      secondary = cb_sb_column_dup (stmt, 0);
      rights_text = cb_sb_column_dup (stmt, 1);
    }
  sqlite3_reset (stmt);

  if (primary == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("the hub has no shared access policy named '%s'",
                                              token->key_name);
      return unauthorized (req, msg);
    }

  verified = cb_sas_token_verify (token, token->resource, primary, cb_sandbox_session_now (self), &error);
  if (!verified && secondary != NULL &&
      g_error_matches (error, CB_SAS_ERROR, CB_SAS_ERROR_BAD_SIGNATURE))
    {
      g_clear_error (&error);
      verified = cb_sas_token_verify (token, token->resource, secondary, cb_sandbox_session_now (self), &error);
    }
  if (!verified)
    return unauthorized (req, error->message);

  if ((parse_rights (rights_text) & accepted) == 0)
    {
      g_autofree char *msg = g_strdup_printf ("the authorization rule '%s' does not allow access "
                                              "for '%s'", token->key_name, right_name);
      return unauthorized (req, msg);
    }

  g_free (req->auth_key_name);
  req->auth_key_name = g_strdup (token->key_name);
  return TRUE;
}

/* The common start of every hub request: the hub exists, the caller may do this, the
 * api-version is one the hub serves. */
static gboolean
begin_request (CbSbRequest *req,
               HubContext  *ctx,
               guint        accepted,
               const char  *right_name)
{
  const char *name = cb_sb_param (req, "hub");

  if (!lookup_hub (req->sandbox, name, &ctx->hub, &ctx->host_name))
    {
      cb_sb_reply_error (req, 404, "IotHubNotFound", 404000,
                         "The IoT hub '%s' does not exist in this sandbox", name);
      return FALSE;
    }

  if (!authorize (req, ctx, accepted, right_name))
    return FALSE;

  return cb_sb_require_api_version (req, CB_SB_HUB_API_VERSION, HUB_API_VERSION_CLI, NULL);
}

/* The etag in If-Match without quotes, "*" as is, or NULL when absent. */
static char *
if_match (CbSbRequest *req)
{
  const char *value = cb_sb_header (req, "If-Match");
  g_autofree char *text = NULL;
  gsize len;

  if (value == NULL)
    return NULL;

  text = g_strstrip (g_strdup (value));
  if (g_str_has_prefix (text, "W/"))
    memmove (text, text + 2, strlen (text + 2) + 1);
  len = strlen (text);
  if (len >= 2 && text[0] == '"' && text[len - 1] == '"')
    return g_strndup (text + 1, len - 2);

  return g_steal_pointer (&text);
}

static void
set_etag_header (CbSbRequest *req,
                 const char  *etag)
{
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", etag);

  cb_sb_set_header (req, "ETag", quoted);
}

static void
reply_device_not_found (CbSbRequest *req,
                        HubContext  *ctx,
                        const char  *device_id)
{
  cb_sb_reply_error (req, 404, "DeviceNotFound", 404001,
                     "Device %s not registered in IotHub %s", device_id, ctx->host_name);
}

/* ---- Device identities ----------------------------------------------------------------- */

/* Device ids: up to 128 ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ ' */
static gboolean
device_id_is_valid (const char *id)
{
  gsize len = strlen (id);

  if (len == 0 || len > 128)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-.%_*?!(),:=@$'", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
key_is_valid (const char *key)
{
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  for (const char *p = key; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return FALSE;
  raw = g_base64_decode (key, &len);
  return len >= 16 && len <= 64;
}

static gboolean
thumbprint_is_valid (const char *t)
{
  gsize len = strlen (t);

  if (len != 40 && len != 64)
    return FALSE;
  for (const char *p = t; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

static const char *
member_string (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static gboolean
member_is_non_string (JsonObject *obj,
                      const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) && member_string (obj, name) == NULL;
}

/* Applies a PUT /devices body to dev. Replies 400 and returns FALSE when it is invalid. */
static gboolean
apply_device_body (CbSbRequest *req,
                   HubDevice   *dev,
                   JsonObject  *body)
{
  const char *body_id = member_string (body, "deviceId");
  const char *status = member_string (body, "status");
  JsonObject *auth = member_object (body, "authentication");
  JsonObject *caps = member_object (body, "capabilities");
  JsonObject *keys = member_object (auth, "symmetricKey");
  JsonObject *thumbs = member_object (auth, "x509Thumbprint");
  const char *type = member_string (auth, "type");
  const char *primary;
  const char *secondary;
  gint64 now = cb_sandbox_now_usec (req->sandbox);

  if (body_id != NULL && g_strcmp0 (body_id, dev->device_id) != 0)
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "The deviceId in the body ('%s') does not match the one in the URI ('%s')",
                         body_id, dev->device_id);
      return FALSE;
    }

  if (member_is_non_string (body, "status") ||
      (status != NULL && g_ascii_strcasecmp (status, "enabled") != 0 &&
       g_ascii_strcasecmp (status, "disabled") != 0))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "status must be 'enabled' or 'disabled'");
      return FALSE;
    }

  if (type == NULL && member_is_non_string (auth, "type"))
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
      primary = member_string (keys, "primaryKey");
      secondary = member_string (keys, "secondaryKey");
      if ((primary != NULL && !key_is_valid (primary)) || (secondary != NULL && !key_is_valid (secondary)))
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
      primary = member_string (thumbs, "primaryThumbprint");
      secondary = member_string (thumbs, "secondaryThumbprint");
      if (primary == NULL || !thumbprint_is_valid (primary) ||
          (secondary != NULL && !thumbprint_is_valid (secondary)))
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
  dev->status_reason = g_strdup (member_string (body, "statusReason"));

  if (caps != NULL)
    {
      JsonNode *edge = json_object_get_member (caps, "iotEdge");

      dev->iot_edge = edge != NULL && JSON_NODE_HOLDS_VALUE (edge) &&
                      json_node_get_value_type (edge) == G_TYPE_BOOLEAN && json_node_get_boolean (edge);
    }
  else
    dev->iot_edge = FALSE;

  g_free (dev->etag);
  dev->etag = new_device_etag ();

  return TRUE;
}

static void
handle_get_device (CbSbRequest *req)
{
  g_auto(HubContext) ctx = { 0 };
  g_autoptr(HubDevice) dev = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!begin_request (req, &ctx, RIGHT_REGISTRY_READ, "RegistryRead"))
    return;

  if (!(dev = hub_device_load (req->sandbox, ctx.hub, id)))
    {
      reply_device_not_found (req, &ctx, id);
      return;
    }

  set_etag_header (req, dev->etag);
  cb_sb_reply_json (req, 200, device_to_json (dev));
}

static void
handle_put_device (CbSbRequest *req)
{
  g_auto(HubContext) ctx = { 0 };
  g_autoptr(HubDevice) dev = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *match = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!begin_request (req, &ctx, RIGHT_REGISTRY_WRITE, "RegistryWrite"))
    return;

  if (!device_id_is_valid (id))
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

  match = if_match (req);
  dev = hub_device_load (req->sandbox, ctx.hub, id);

  if (dev == NULL)
    {
      /* Creating: no If-Match, or "*". An etag names a version that cannot exist. */
      if (match != NULL && !g_str_equal (match, "*"))
        {
          reply_device_not_found (req, &ctx, id);
          return;
        }
      dev = hub_device_new (req->sandbox, ctx.hub, id, "sas");
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

  if (!hub_device_save (req->sandbox, dev, &error))
    {
      cb_sb_reply_error (req, 500, "ServerError", 500001, "%s", error->message);
      return;
    }

  if (!g_str_equal (dev->status, "enabled"))
    cb_sandbox_mqtt_drop_device (req->sandbox, ctx.hub, id, "the device was disabled");

  set_etag_header (req, dev->etag);
  cb_sb_reply_json (req, 200, device_to_json (dev));
}

static void
handle_delete_device (CbSbRequest *req)
{
  g_auto(HubContext) ctx = { 0 };
  g_autoptr(HubDevice) dev = NULL;
  g_autofree char *match = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!begin_request (req, &ctx, RIGHT_REGISTRY_WRITE, "RegistryWrite"))
    return;

  match = if_match (req);
  if (match == NULL)
    {
      cb_sb_reply_error (req, 400, "ArgumentNull", 400005,
                         "Deleting a device requires If-Match: the device's etag, or \"*\" to "
                         "delete unconditionally");
      return;
    }

  if (!(dev = hub_device_load (req->sandbox, ctx.hub, id)))
    {
      reply_device_not_found (req, &ctx, id);
      return;
    }

  if (!g_str_equal (match, "*") && !g_str_equal (match, dev->etag))
    {
      cb_sb_reply_error (req, 412, "PreconditionFailed", 412001,
                         "Precondition failed: the device's etag is \"%s\", not \"%s\"",
                         dev->etag, match);
      return;
    }

  if (!hub_device_delete (req->sandbox, ctx.hub, id))
    {
      cb_sb_reply_error (req, 500, "ServerError", 500001, "The device could not be deleted");
      return;
    }

  cb_sandbox_mqtt_drop_device (req->sandbox, ctx.hub, id, "the device was deleted");

  cb_sb_reply_empty (req, 204);
}

static void
handle_list_devices (CbSbRequest *req)
{
  g_auto(HubContext) ctx = { 0 };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *top_text = cb_sb_query (req, "top");
  gint64 top = MAX_PAGE_SIZE;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (!begin_request (req, &ctx, RIGHT_REGISTRY_READ, "RegistryRead"))
    return;

  if (top_text != NULL)
    {
      char *end = NULL;

      top = g_ascii_strtoll (top_text, &end, 10);
      if (end == top_text || *end != '\0' || top < 1)
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                             "top must be a whole number from 1 to %d", MAX_PAGE_SIZE);
          return;
        }
      top = MIN (top, MAX_PAGE_SIZE);
    }

  json_builder_begin_array (b);
  stmt = cb_sb_prepare (req->sandbox,
      "SELECT " DEVICE_COLUMNS " FROM hub_devices WHERE hub = ? ORDER BY device_id LIMIT ?");
  sqlite3_bind_text (stmt, 1, ctx.hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, top);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(HubDevice) dev = hub_device_from_row (stmt);

      json_builder_add_value (b, device_to_json (dev));
    }
  sqlite3_reset (stmt);
  json_builder_end_array (b);

  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

/* ---- Twins ----------------------------------------------------------------------------- */

static HubDevice *
load_twin_for_update (CbSbRequest *req,
                      HubContext  *ctx,
                      JsonObject **body_out,
                      JsonNode   **body_node)
{
  g_autoptr(HubDevice) dev = NULL;
  g_autofree char *match = NULL;
  g_autofree char *etag = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!(*body_node = cb_sb_json_body (req, FALSE)))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (*body_node))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "The body must be a twin object");
      return NULL;
    }
  *body_out = json_node_get_object (*body_node);

  if (!(dev = hub_device_load (req->sandbox, ctx->hub, id)))
    {
      reply_device_not_found (req, ctx, id);
      return NULL;
    }

  match = if_match (req);
  etag = twin_etag (dev->twin_etag_seq);
  if (match != NULL && !g_str_equal (match, "*") && !g_str_equal (match, etag))
    {
      cb_sb_reply_error (req, 412, "PreconditionFailed", 412001,
                         "Precondition failed: the twin's etag is \"%s\", not \"%s\"", etag, match);
      return NULL;
    }

  return g_steal_pointer (&dev);
}

/* Checks the tags and desired properties of a twin PATCH or PUT body. */
static gboolean
check_twin_body (CbSbRequest *req,
                 JsonObject  *body,
                 JsonObject **tags,
                 JsonObject **desired)
{
  JsonNode *tags_node = json_object_get_member (body, "tags");
  JsonNode *props_node = json_object_get_member (body, "properties");
  g_autoptr(GError) error = NULL;

  *tags = NULL;
  *desired = NULL;

  if (tags_node != NULL && !JSON_NODE_HOLDS_NULL (tags_node))
    {
      if (!JSON_NODE_HOLDS_OBJECT (tags_node))
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "tags must be an object");
          return FALSE;
        }
      *tags = json_node_get_object (tags_node);
    }

  if (props_node != NULL && !JSON_NODE_HOLDS_NULL (props_node))
    {
      JsonObject *props;
      JsonNode *desired_node;

      if (!JSON_NODE_HOLDS_OBJECT (props_node))
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "properties must be an object");
          return FALSE;
        }
      props = json_node_get_object (props_node);
      if (json_object_has_member (props, "reported"))
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                             "Reported properties are written by the device; a service cannot "
                             "update properties.reported");
          return FALSE;
        }
      desired_node = json_object_get_member (props, "desired");
      if (desired_node != NULL && !JSON_NODE_HOLDS_NULL (desired_node))
        {
          if (!JSON_NODE_HOLDS_OBJECT (desired_node))
            {
              cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                                 "properties.desired must be an object");
              return FALSE;
            }
          *desired = json_node_get_object (desired_node);
          /* A twin read back and sent again carries these: they are not properties. */
          json_object_remove_member (*desired, "$metadata");
          json_object_remove_member (*desired, "$version");
        }
    }

  if ((*tags != NULL && !validate_properties (*tags, "tags", 1, &error)) ||
      (*desired != NULL && !validate_properties (*desired, "properties.desired", 1, &error)))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "%s", error->message);
      return FALSE;
    }

  return TRUE;
}

static void
handle_get_twin (CbSbRequest *req)
{
  g_auto(HubContext) ctx = { 0 };
  g_autoptr(HubDevice) dev = NULL;
  g_autofree char *etag = NULL;
  const char *id = cb_sb_param (req, "id");

  if (!begin_request (req, &ctx, RIGHT_REGISTRY_READ | RIGHT_SERVICE, "ServiceConnect"))
    return;

  if (!(dev = hub_device_load (req->sandbox, ctx.hub, id)))
    {
      reply_device_not_found (req, &ctx, id);
      return;
    }

  etag = twin_etag (dev->twin_etag_seq);
  set_etag_header (req, etag);
  cb_sb_reply_json (req, 200, twin_to_json (dev));
}

static void
finish_twin_update (CbSbRequest *req,
                    HubDevice   *dev)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;

  if (!hub_device_save (req->sandbox, dev, &error))
    {
      cb_sb_reply_error (req, 500, "ServerError", 500001, "%s", error->message);
      return;
    }

  etag = twin_etag (dev->twin_etag_seq);
  set_etag_header (req, etag);
  cb_sb_reply_json (req, 200, twin_to_json (dev));
}

static void
handle_patch_twin (CbSbRequest *req)
{
  g_auto(HubContext) ctx = { 0 };
  g_autoptr(HubDevice) dev = NULL;
  g_autoptr(JsonNode) body_node = NULL;
  g_autofree char *stamp = NULL;
  JsonObject *body = NULL;
  JsonObject *tags;
  JsonObject *desired;

  if (!begin_request (req, &ctx, RIGHT_REGISTRY_WRITE | RIGHT_SERVICE, "ServiceConnect"))
    return;

  if (!(dev = load_twin_for_update (req, &ctx, &body, &body_node)))
    return;
  if (!check_twin_body (req, body, &tags, &desired))
    return;

  stamp = cb_time_format_precise (cb_sandbox_now_usec (req->sandbox));

  if (tags != NULL)
    merge_patch (dev->tags, NULL, tags, stamp, -1);
  if (desired != NULL)
    {
      dev->desired_version++;
      merge_patch (dev->desired, dev->desired_meta, desired, stamp, dev->desired_version);
    }
  if (tags != NULL || desired != NULL)
    {
      dev->twin_version++;
      dev->twin_etag_seq++;
    }

  finish_twin_update (req, dev);
  if (desired != NULL && req->replied && soup_server_message_get_status (req->msg) == 200)
    cb_sandbox_mqtt_notify_desired (req->sandbox, ctx.hub, dev->device_id, desired,
                                    dev->desired_version);
}

static void
handle_put_twin (CbSbRequest *req)
{
  g_auto(HubContext) ctx = { 0 };
  g_autoptr(HubDevice) dev = NULL;
  g_autoptr(JsonNode) body_node = NULL;
  g_autoptr(JsonNode) desired_node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *stamp = NULL;
  JsonObject *body = NULL;
  JsonObject *tags;
  JsonObject *desired;

  if (!begin_request (req, &ctx, RIGHT_REGISTRY_WRITE | RIGHT_SERVICE, "ServiceConnect"))
    return;

  if (!(dev = load_twin_for_update (req, &ctx, &body, &body_node)))
    return;
  if (!check_twin_body (req, body, &tags, &desired))
    return;

  stamp = cb_time_format_precise (cb_sandbox_now_usec (req->sandbox));

  /* Replace: tags and desired become exactly what was sent. */
  g_clear_pointer (&dev->tags, json_object_unref);
  dev->tags = json_object_new ();
  if (tags != NULL)
    merge_patch (dev->tags, NULL, tags, stamp, -1);

  dev->desired_version++;
  g_clear_pointer (&dev->desired, json_object_unref);
  dev->desired = json_object_new ();
  if (desired != NULL)
    merge_patch (dev->desired, NULL, desired, stamp, -1);
  json_node_set_object (desired_node, dev->desired);
  g_clear_pointer (&dev->desired_meta, json_object_unref);
  dev->desired_meta = metadata_for (desired_node, stamp, dev->desired_version);

  dev->twin_version++;
  dev->twin_etag_seq++;

  finish_twin_update (req, dev);
  if (soup_server_message_get_status (req->msg) == 200)
    cb_sandbox_mqtt_notify_desired (req->sandbox, ctx.hub, dev->device_id, dev->desired,
                                    dev->desired_version);
}

/* ---- Query ----------------------------------------------------------------------------- */

/* Continuation tokens carry the query's hash (so a token is refused for another query), how
 * many rows were returned so far (for TOP), and where to go on: after a device id for row
 * queries, at an offset into the groups for aggregates. */
static char *
make_continuation (const char *query_hash,
                   gint64      emitted,
                   const char *position)
{
  g_autofree char *text = g_strdup_printf ("v1\n%s\n%" G_GINT64_FORMAT "\n%s",
                                           query_hash, emitted, position);

  return g_base64_encode ((const guchar *) text, strlen (text));
}

static gboolean
parse_continuation (const char  *token,
                    const char  *query_hash,
                    gint64      *emitted,
                    char       **position)
{
  g_autofree guchar *raw = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;
  gsize len = 0;
  char *end = NULL;

  for (const char *p = token; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return FALSE;

  raw = g_base64_decode (token, &len);
  text = g_strndup ((const char *) raw, len);
  parts = g_strsplit (text, "\n", 4);
  if (g_strv_length (parts) != 4 || !g_str_equal (parts[0], "v1") ||
      !g_str_equal (parts[1], query_hash))
    return FALSE;

  *emitted = g_ascii_strtoll (parts[2], &end, 10);
  if (end == parts[2] || *end != '\0' || *emitted < 0)
    return FALSE;

  *position = g_strdup (parts[3]);
  return TRUE;
}

static void
handle_query (CbSbRequest *req)
{
  g_auto(HubContext) ctx = { 0 };
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(CbHubQuery) query = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) page = json_array_new ();
  g_autofree char *query_hash = NULL;
  g_autofree char *position = NULL;
  g_autofree char *next = NULL;
  const char *text;
  const char *max_text = cb_sb_header (req, "x-ms-max-item-count");
  const char *continuation = cb_sb_header (req, "x-ms-continuation");
  gint64 page_size = MIN (req->sandbox->page_size, MAX_PAGE_SIZE);
  gint64 emitted = 0;
  gint64 top;
  JsonNode *root;

  if (!begin_request (req, &ctx, RIGHT_REGISTRY_READ | RIGHT_SERVICE, "RegistryRead"))
    return;

  if (!(body = cb_sb_json_body (req, FALSE)))
    return;
  text = JSON_NODE_HOLDS_OBJECT (body) ? member_string (json_node_get_object (body), "query") : NULL;
  if (text == NULL)
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "The body must be {\"query\": \"SELECT ... FROM devices ...\"}");
      return;
    }

  if (!(query = cb_hub_query_parse (text, &error)))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "%s", error->message);
      return;
    }

  if (max_text != NULL)
    {
      char *end = NULL;
      gint64 n = g_ascii_strtoll (max_text, &end, 10);

      if (end == max_text || *end != '\0' || n < 1)
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                             "x-ms-max-item-count must be a whole number from 1 to %d", MAX_PAGE_SIZE);
          return;
        }
      page_size = MIN (n, MAX_PAGE_SIZE);
    }

  query_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  query_hash[16] = '\0';

  if (continuation != NULL && *continuation != '\0' &&
      !parse_continuation (continuation, query_hash, &emitted, &position))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "The continuation token is not valid for this query");
      return;
    }

  top = cb_hub_query_get_top (query);

  if (cb_hub_query_is_aggregate (query))
    {
      g_autoptr(CbHubQueryGroups) groups = cb_hub_query_groups_new (query);
      g_autoptr(JsonArray) all = NULL;
      g_autoptr(CbSbStmt) stmt = cb_sb_prepare (req->sandbox,
          "SELECT " DEVICE_COLUMNS " FROM hub_devices WHERE hub = ? ORDER BY device_id");
      gint64 offset = emitted;
      guint total;

      sqlite3_bind_text (stmt, 1, ctx.hub, -1, SQLITE_TRANSIENT);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_autoptr(HubDevice) dev = hub_device_from_row (stmt);
          g_autoptr(JsonObject) twin = twin_to_object (dev);

          if (cb_hub_query_matches (query, twin))
            cb_hub_query_groups_add (groups, twin);
        }
      sqlite3_reset (stmt);

      all = cb_hub_query_groups_finish (groups);
      total = json_array_get_length (all);
      for (gint64 i = offset; i < total && i < offset + page_size; i++)
        json_array_add_element (page, json_node_copy (json_array_get_element (all, i)));
      if (offset + page_size < total)
        next = make_continuation (query_hash, offset + page_size, "");
    }
  else
    {
      g_autoptr(CbSbStmt) stmt = cb_sb_prepare (req->sandbox,
          "SELECT " DEVICE_COLUMNS " FROM hub_devices WHERE hub = ? AND device_id > ? "
          "ORDER BY device_id");
      g_autofree char *last_id = NULL;

      sqlite3_bind_text (stmt, 1, ctx.hub, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, position != NULL ? position : "", -1, SQLITE_TRANSIENT);

      while ((top < 0 || emitted < top) && sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_autoptr(HubDevice) dev = hub_device_from_row (stmt);
          g_autoptr(JsonObject) twin = twin_to_object (dev);

          if (!cb_hub_query_matches (query, twin))
            continue;

          if ((gint64) json_array_get_length (page) == page_size)
            {
              /* One more match exists: the client must come back for it. */
              next = make_continuation (query_hash, emitted, last_id);
              break;
            }

          json_array_add_element (page, cb_hub_query_project (query, twin));
          emitted++;
          g_free (last_id);
          last_id = g_strdup (dev->device_id);
        }
      sqlite3_reset (stmt);
    }

  if (next != NULL)
    cb_sb_set_header (req, "x-ms-continuation", next);
  cb_sb_set_header (req, "x-ms-item-type", cb_hub_query_selects_all (query) ? "twin" : "raw");

  root = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (root, page);
  cb_sb_reply_json (req, 200, root);
}

/* ---- Cross-module functions ------------------------------------------------------------ */

gboolean
cb_sandbox_hub_ensure_device (CbSandbox   *self,
                              const char  *hub,
                              const char  *device_id,
                              GError     **error)
{
  g_autoptr(HubDevice) dev = NULL;
  g_autofree char *canonical = NULL;
  gboolean ret = TRUE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (device_id != NULL, FALSE);

  cb_sandbox_lock (self);

  if (hub == NULL || !lookup_hub (self, hub, &canonical, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The IoT hub '%s' does not exist",
                   hub != NULL ? hub : "(none)");
      cb_sandbox_unlock (self);
      return FALSE;
    }

  dev = hub_device_load (self, canonical, device_id);
  if (dev == NULL)
    {
      dev = hub_device_new (self, canonical, device_id, "certificateAuthority");
      dev->status_updated = dev->created;
      ret = hub_device_save (self, dev, error);
    }
  else if (g_strcmp0 (dev->auth_type, "certificateAuthority") != 0)
    {
      /* Provisioning with an issued certificate moves the identity to CA authentication. */
      g_free (dev->auth_type);
      dev->auth_type = g_strdup ("certificateAuthority");
      g_clear_pointer (&dev->primary_key, g_free);
      g_clear_pointer (&dev->secondary_key, g_free);
      g_clear_pointer (&dev->primary_thumbprint, g_free);
      g_clear_pointer (&dev->secondary_thumbprint, g_free);
      g_free (dev->etag);
      dev->etag = new_device_etag ();
      ret = hub_device_save (self, dev, error);
    }

  cb_sandbox_unlock (self);
  return ret;
}

gboolean
cb_sandbox_hub_lookup_device (CbSandbox  *self,
                              const char *hub,
                              const char *device_id,
                              gboolean   *enabled)
{
  g_autoptr(HubDevice) dev = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (hub == NULL || device_id == NULL)
    return FALSE;

  cb_sandbox_lock (self);
  dev = hub_device_load (self, hub, device_id);
  cb_sandbox_unlock (self);

  if (dev == NULL)
    return FALSE;
  if (enabled != NULL)
    *enabled = g_strcmp0 (dev->status, "enabled") == 0;
  return TRUE;
}

gboolean
cb_sandbox_hub_set_device_enabled (CbSandbox   *self,
                                   const char  *hub,
                                   const char  *device_id,
                                   gboolean     enabled,
                                   GError     **error)
{
  g_autoptr(HubDevice) dev = NULL;
  const char *status = enabled ? "enabled" : "disabled";
  gboolean ret = TRUE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  cb_sandbox_lock (self);

  dev = hub != NULL && device_id != NULL ? hub_device_load (self, hub, device_id) : NULL;
  if (dev == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The device '%s' is not registered in the hub '%s'",
                   device_id != NULL ? device_id : "(none)", hub != NULL ? hub : "(none)");
      cb_sandbox_unlock (self);
      return FALSE;
    }

  if (!g_str_equal (dev->status, status))
    {
      g_free (dev->status);
      dev->status = g_strdup (status);
      dev->status_updated = cb_sandbox_now_usec (self);
      g_free (dev->etag);
      dev->etag = new_device_etag ();
      ret = hub_device_save (self, dev, error);
    }

  if (ret && !enabled)
    cb_sandbox_mqtt_drop_device (self, dev->hub, device_id, "the device was disabled");

  cb_sandbox_unlock (self);
  return ret;
}

gboolean
cb_sandbox_hub_patch_reported (CbSandbox   *self,
                               const char  *hub,
                               const char  *device_id,
                               JsonObject  *patch,
                               GError     **error)
{
  return cb_sandbox_hub_patch_reported_versioned (self, hub, device_id, patch, NULL, error);
}

gboolean
cb_sandbox_hub_patch_reported_versioned (CbSandbox   *self,
                                         const char  *hub,
                                         const char  *device_id,
                                         JsonObject  *patch,
                                         gint64      *out_version,
                                         GError     **error)
{
  g_autoptr(HubDevice) dev = NULL;
  g_autofree char *stamp = NULL;
  gboolean ret;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (patch != NULL, FALSE);

  if (!validate_properties (patch, "the reported properties", 1, error))
    return FALSE;

  cb_sandbox_lock (self);

  dev = hub != NULL && device_id != NULL ? hub_device_load (self, hub, device_id) : NULL;
  if (dev == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The device '%s' is not registered in the hub '%s'",
                   device_id != NULL ? device_id : "(none)", hub != NULL ? hub : "(none)");
      cb_sandbox_unlock (self);
      return FALSE;
    }

  stamp = cb_time_format_precise (cb_sandbox_now_usec (self));
  dev->reported_version++;
  dev->twin_version++;
  merge_patch (dev->reported, dev->reported_meta, patch, stamp, -1);
  ret = hub_device_save (self, dev, error);
  if (ret && out_version != NULL)
    *out_version = dev->reported_version;

  cb_sandbox_unlock (self);
  return ret;
}

JsonNode *
cb_sandbox_hub_dup_device_twin (CbSandbox  *self,
                                const char *hub,
                                const char *device_id)
{
  g_autoptr(HubDevice) dev = NULL;
  JsonObject *doc;
  JsonObject *desired;
  JsonObject *reported;
  JsonNode *node;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);

  cb_sandbox_lock (self);
  dev = hub != NULL && device_id != NULL ? hub_device_load (self, hub, device_id) : NULL;
  cb_sandbox_unlock (self);
  if (dev == NULL)
    return NULL;

  /* What a device GETs has no $metadata: only the properties and their $version. */
  desired = deep_copy_object (dev->desired);
  json_object_set_int_member (desired, "$version", dev->desired_version);
  reported = deep_copy_object (dev->reported);
  json_object_set_int_member (reported, "$version", dev->reported_version);

  doc = json_object_new ();
  json_object_set_object_member (doc, "desired", desired);
  json_object_set_object_member (doc, "reported", reported);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, doc);
  return node;
}

static gboolean
update_connection (CbSandbox  *self,
                   const char *sql,
                   const char *hub,
                   const char *device_id,
                   gint64      now_usec,
                   gint64      activity_usec)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  int rc;

  cb_sandbox_lock (self);
  stmt = cb_sb_prepare (self, sql);
  sqlite3_bind_int64 (stmt, 1, now_usec);
  sqlite3_bind_int64 (stmt, 2, activity_usec);
  sqlite3_bind_text (stmt, 3, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, device_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  cb_sandbox_unlock (self);

  return rc == SQLITE_DONE;
}

gboolean
cb_sandbox_hub_set_connection (CbSandbox  *self,
                               const char *hub,
                               const char *device_id,
                               gboolean    connected,
                               gint64      activity_usec)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  /* ?2 = 0 keeps lastActivityTime. */
  return update_connection (self,
                            connected
                            ? "UPDATE hub_devices SET connection_state = 'Connected', "
                              "  connection_state_updated = ?1, "
                              "  last_activity = CASE WHEN ?2 > 0 THEN ?2 ELSE last_activity END "
                              "WHERE hub = ?3 AND device_id = ?4"
                            : "UPDATE hub_devices SET connection_state = 'Disconnected', "
                              "  connection_state_updated = ?1, "
                              "  last_activity = CASE WHEN ?2 > 0 THEN ?2 ELSE last_activity END "
                              "WHERE hub = ?3 AND device_id = ?4",
                            hub, device_id, cb_sandbox_now_usec (self), activity_usec);
}

gboolean
cb_sandbox_hub_set_activity (CbSandbox  *self,
                             const char *hub,
                             const char *device_id,
                             gint64      activity_usec)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  return update_connection (self,
                            "UPDATE hub_devices SET last_activity = MAX (last_activity, ?2) "
                            "WHERE ?1 IS NOT NULL AND hub = ?3 AND device_id = ?4",
                            hub, device_id, 0, activity_usec);
}

void
cb_sandbox_hub_reset_connections (CbSandbox *self)
{
  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sandbox_lock (self);
  cb_sb_exec (self, "UPDATE hub_devices SET connection_state = 'Disconnected' "
                    "WHERE connection_state != 'Disconnected'", NULL);
  cb_sandbox_unlock (self);
}

gboolean
cb_sandbox_hub_get_connection (CbSandbox  *self,
                               const char *hub,
                               const char *device_id,
                               char      **state,
                               gint64     *activity_usec)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean found = FALSE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  cb_sandbox_lock (self);
  stmt = cb_sb_prepare (self, "SELECT connection_state, last_activity FROM hub_devices "
                              "WHERE hub = ? AND device_id = ?");
  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      found = TRUE;
      if (state != NULL)
        *state = cb_sb_column_dup (stmt, 0);
      if (activity_usec != NULL)
        *activity_usec = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  cb_sandbox_unlock (self);

  return found;
}

/* ---- Registration ---------------------------------------------------------------------- */

gboolean
cb_sandbox_hub_init (CbSandbox  *self,
                     GError    **error)
{
  if (!cb_sb_exec (self, hub_schema, error))
    return FALSE;

  /* The query route comes first: a device may well be called "query". */
  cb_sandbox_add_route (self, "POST", "/hubs/{hub}/devices/query", CB_SB_STYLE_HUB, handle_query);
  cb_sandbox_add_route (self, "GET", "/hubs/{hub}/devices", CB_SB_STYLE_HUB, handle_list_devices);
  cb_sandbox_add_route (self, "GET", "/hubs/{hub}/devices/{id}", CB_SB_STYLE_HUB, handle_get_device);
  cb_sandbox_add_route (self, "PUT", "/hubs/{hub}/devices/{id}", CB_SB_STYLE_HUB, handle_put_device);
  cb_sandbox_add_route (self, "DELETE", "/hubs/{hub}/devices/{id}", CB_SB_STYLE_HUB,
                        handle_delete_device);
  cb_sandbox_add_route (self, "GET", "/hubs/{hub}/twins/{id}", CB_SB_STYLE_HUB, handle_get_twin);
  cb_sandbox_add_route (self, "PATCH", "/hubs/{hub}/twins/{id}", CB_SB_STYLE_HUB, handle_patch_twin);
  cb_sandbox_add_route (self, "PUT", "/hubs/{hub}/twins/{id}", CB_SB_STYLE_HUB, handle_put_twin);

  return TRUE;
}
