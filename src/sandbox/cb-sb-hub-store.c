/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* The IoT hub's device table: see cb-sb-hub-store.h. Identities and twins live in one row
 * per device (hub_devices). */

#include "config.h"

#include <string.h>

#include "cb-sb-events.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-hub.h"
#include "cb-sb-json.h"
#include "cb-sb-store.h"
#include "cb-sb-twin-json.h"
#include "cb-util.h"

#define NEVER_TIME          "0001-01-01T00:00:00Z"

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

/* ---- The device row -------------------------------------------------------------------- */

void
cb_sb_hub_device_free (CbSbHubDevice *dev)
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

CbSbHubDevice *
cb_sb_hub_device_from_row (sqlite3_stmt *stmt)
{
  CbSbHubDevice *dev = g_new0 (CbSbHubDevice, 1);

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
  dev->tags = cb_sb_json_object_from_text ((const char *) sqlite3_column_text (stmt, 19));
  dev->desired = cb_sb_json_object_from_text ((const char *) sqlite3_column_text (stmt, 20));
  dev->desired_meta = cb_sb_json_object_from_text ((const char *) sqlite3_column_text (stmt, 21));
  dev->desired_version = sqlite3_column_int64 (stmt, 22);
  dev->reported = cb_sb_json_object_from_text ((const char *) sqlite3_column_text (stmt, 23));
  dev->reported_meta = cb_sb_json_object_from_text ((const char *) sqlite3_column_text (stmt, 24));
  dev->reported_version = sqlite3_column_int64 (stmt, 25);
  dev->created = sqlite3_column_int64 (stmt, 26);

  return dev;
}

CbSbHubDevice *
cb_sb_hub_device_load (CbSandbox  *self,
                       const char *hub,
                       const char *device_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT " CB_SB_HUB_DEVICE_COLUMNS " FROM hub_devices WHERE hub = ? AND device_id = ?");
  CbSbHubDevice *dev = NULL;

  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    dev = cb_sb_hub_device_from_row (stmt);
  sqlite3_reset (stmt);

  return dev;
}

gboolean
cb_sb_hub_device_save (CbSandbox  *self,
                       CbSbHubDevice  *dev,
                       GError    **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT OR REPLACE INTO hub_devices (" CB_SB_HUB_DEVICE_COLUMNS ") "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  g_autofree char *tags = cb_sb_json_object_to_text (dev->tags);
  g_autofree char *desired = cb_sb_json_object_to_text (dev->desired);
  g_autofree char *desired_meta = cb_sb_json_object_to_text (dev->desired_meta);
  g_autofree char *reported = cb_sb_json_object_to_text (dev->reported);
  g_autofree char *reported_meta = cb_sb_json_object_to_text (dev->reported_meta);
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

gboolean
cb_sb_hub_device_delete (CbSandbox  *self,
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
char *
cb_sb_hub_new_device_etag (void)
{
  g_autofree char *digits = g_strdup_printf ("%u", g_random_int_range (100000000, G_MAXINT32));

  return g_base64_encode ((const guchar *) digits, strlen (digits));
}

/* Twin etags are base64 of a big-endian 64-bit sequence number, as the hub writes them. */
char *
cb_sb_hub_twin_etag (gint64 seq)
{
  guint64 be = GUINT64_TO_BE ((guint64) seq);

  return g_base64_encode ((const guchar *) &be, sizeof be);
}

char *
cb_sb_hub_format_time (gint64 usec)
{
  if (usec <= 0)
    return g_strdup (NEVER_TIME);
  return cb_time_format_precise (usec);
}

CbSbHubDevice *
cb_sb_hub_device_load_existing (CbSandbox   *self,
                                const char  *hub,
                                const char  *device_id,
                                GError     **error)
{
  CbSbHubDevice *dev = hub != NULL && device_id != NULL
                       ? cb_sb_hub_device_load (self, hub, device_id) : NULL;

  if (dev == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "The device '%s' is not registered in the hub '%s'",
                 device_id != NULL ? device_id : "(none)", hub != NULL ? hub : "(none)");
  return dev;
}

CbSbHubDevice *
cb_sb_hub_device_new (CbSandbox  *self,
                      const char *hub,
                      const char *device_id,
                      const char *auth_type)
{
  CbSbHubDevice *dev = g_new0 (CbSbHubDevice, 1);
  gint64 now = cb_sb_now_usec (self);
  g_autofree char *stamp = cb_time_format_precise (now);

  dev->hub = g_strdup (hub);
  dev->device_id = g_strdup (device_id);
  /* Generation ids look like .NET ticks, as the hub's do. */
  dev->generation_id = g_strdup_printf ("%" G_GINT64_FORMAT,
                                        G_GINT64_CONSTANT (621355968000000000) + now * 10 + g_random_int_range (0, 10));
  dev->etag = cb_sb_hub_new_device_etag ();
  dev->status = g_strdup ("enabled");
  dev->status_updated = 0;
  dev->auth_type = g_strdup (auth_type);
  dev->connection_state = g_strdup ("Disconnected");
  dev->twin_version = 1;
  dev->twin_etag_seq = 1;
  dev->tags = json_object_new ();
  dev->desired = json_object_new ();
  dev->desired_meta = cb_sb_twin_leaf_metadata (stamp, 1);
  dev->desired_version = 1;
  dev->reported = json_object_new ();
  dev->reported_meta = cb_sb_twin_leaf_metadata (stamp, -1);
  dev->reported_version = 1;
  dev->created = now;

  return dev;
}

/* The hub's canonical name and host, or FALSE when there is no such hub. */
static void
hub_info_free (gpointer data)
{
  CbSbHubInfo *info = data;

  g_free (info->name);
  g_free (info->subscription);
  g_free (info->resource_group);
  g_free (info->namespace_id);
  g_free (info->host_name);
  g_free (info);
}

GPtrArray *
cb_sb_hub_list_hubs (CbSandbox  *self,
                     const char *subscription,
                     const char *resource_group)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (hub_info_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT name, subscription, resource_group, namespace_id, host_name, created FROM hubs "
      "WHERE subscription = ?1 COLLATE NOCASE AND (?2 IS NULL OR resource_group = ?2 COLLATE NOCASE) "
      "ORDER BY name");

  sqlite3_bind_text (stmt, 1, subscription, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, resource_group, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      CbSbHubInfo *info = g_new0 (CbSbHubInfo, 1);

      info->name = cb_sb_column_dup (stmt, 0);
      info->subscription = cb_sb_column_dup (stmt, 1);
      info->resource_group = cb_sb_column_dup (stmt, 2);
      info->namespace_id = cb_sb_column_dup (stmt, 3);
      info->host_name = cb_sb_column_dup (stmt, 4);
      info->created = sqlite3_column_int64 (stmt, 5);
      g_ptr_array_add (list, info);
    }
  sqlite3_reset (stmt);
  return list;
}

static void
hub_policy_free (gpointer data)
{
  CbSbHubPolicy *policy = data;

  g_free (policy->key_name);
  cb_wipe_string (&policy->primary_key);
  cb_wipe_string (&policy->secondary_key);
  g_free (policy->rights);
  g_free (policy);
}

GPtrArray *
cb_sb_hub_list_policies (CbSandbox  *self,
                         const char *hub)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (hub_policy_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT key_name, primary_key, secondary_key, rights FROM hub_keys WHERE hub = ? "
      "ORDER BY CASE key_name WHEN 'iothubowner' THEN 0 WHEN 'service' THEN 1 "
      "WHEN 'device' THEN 2 WHEN 'registryRead' THEN 3 WHEN 'registryReadWrite' THEN 4 "
      "ELSE 5 END, key_name");

  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      CbSbHubPolicy *policy = g_new0 (CbSbHubPolicy, 1);

      policy->key_name = cb_sb_column_dup (stmt, 0);
      policy->primary_key = cb_sb_column_dup (stmt, 1);
      policy->secondary_key = cb_sb_column_dup (stmt, 2);
      policy->rights = cb_sb_column_dup (stmt, 3);
      g_ptr_array_add (list, policy);
    }
  sqlite3_reset (stmt);
  return list;
}

gboolean
cb_sb_hub_lookup (CbSandbox  *self,
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

char *
cb_sb_hub_resolve (CbSandbox  *self,
                   const char *host)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT name FROM hubs WHERE host_name = ?1 "
                                            "COLLATE NOCASE OR name = ?1 COLLATE NOCASE LIMIT 1");
  char *name = NULL;

  sqlite3_bind_text (stmt, 1, host, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    name = cb_sb_column_dup (stmt, 0);
  sqlite3_reset (stmt);

  return name;
}

/* ---- Cross-module functions: devices ---------------------------------------------------- */

gboolean
cb_sb_hub_ensure_device (CbSandbox   *self,
                         const char  *hub,
                         const char  *device_id,
                         GError     **error)
{
  g_autoptr(CbSbHubDevice) dev = NULL;
  g_autofree char *canonical = NULL;
  gboolean ret = TRUE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (device_id != NULL, FALSE);

  cb_sb_lock (self);

  if (hub == NULL || !cb_sb_hub_lookup (self, hub, &canonical, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The IoT hub '%s' does not exist",
                   hub != NULL ? hub : "(none)");
      cb_sb_unlock (self);
      return FALSE;
    }

  dev = cb_sb_hub_device_load (self, canonical, device_id);
  if (dev == NULL)
    {
      dev = cb_sb_hub_device_new (self, canonical, device_id, "certificateAuthority");
      dev->status_updated = dev->created;
      ret = cb_sb_hub_device_save (self, dev, error);
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
      dev->etag = cb_sb_hub_new_device_etag ();
      ret = cb_sb_hub_device_save (self, dev, error);
    }

  cb_sb_unlock (self);
  return ret;
}

gboolean
cb_sb_hub_ensure_sas_device (CbSandbox   *self,
                             const char  *hub,
                             const char  *device_id,
                             const char  *primary_key,
                             const char  *secondary_key,
                             GError     **error)
{
  g_autoptr(CbSbHubDevice) dev = NULL;
  g_autofree char *canonical = NULL;
  gboolean ret;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (device_id != NULL && primary_key != NULL, FALSE);

  cb_sb_lock (self);

  if (hub == NULL || !cb_sb_hub_lookup (self, hub, &canonical, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The IoT hub '%s' does not exist",
                   hub != NULL ? hub : "(none)");
      cb_sb_unlock (self);
      return FALSE;
    }

  dev = cb_sb_hub_device_load (self, canonical, device_id);
  if (dev == NULL)
    {
      dev = cb_sb_hub_device_new (self, canonical, device_id, "sas");
      dev->status_updated = dev->created;
    }
  else if (g_strcmp0 (dev->auth_type, "sas") == 0 && g_strcmp0 (dev->primary_key, primary_key) == 0 &&
           g_strcmp0 (dev->secondary_key, secondary_key ? secondary_key : primary_key) == 0)
    {
      cb_sb_unlock (self);
      return TRUE;
    }

  g_free (dev->auth_type);
  dev->auth_type = g_strdup ("sas");
  g_free (dev->primary_key);
  dev->primary_key = g_strdup (primary_key);
  g_free (dev->secondary_key);
  dev->secondary_key = g_strdup (secondary_key ? secondary_key : primary_key);
  g_clear_pointer (&dev->primary_thumbprint, g_free);
  g_clear_pointer (&dev->secondary_thumbprint, g_free);
  g_free (dev->etag);
  dev->etag = cb_sb_hub_new_device_etag ();
  ret = cb_sb_hub_device_save (self, dev, error);

  cb_sb_unlock (self);
  return ret;
}

gboolean
cb_sb_hub_lookup_device (CbSandbox  *self,
                         const char *hub,
                         const char *device_id,
                         gboolean   *enabled)
{
  g_autoptr(CbSbHubDevice) dev = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (hub == NULL || device_id == NULL)
    return FALSE;

  cb_sb_lock (self);
  dev = cb_sb_hub_device_load (self, hub, device_id);
  cb_sb_unlock (self);

  if (dev == NULL)
    return FALSE;
  if (enabled != NULL)
    *enabled = g_strcmp0 (dev->status, "enabled") == 0;
  return TRUE;
}

gboolean
cb_sb_hub_set_device_enabled (CbSandbox   *self,
                              const char  *hub,
                              const char  *device_id,
                              gboolean     enabled,
                              GError     **error)
{
  g_autoptr(CbSbHubDevice) dev = NULL;
  const char *status = enabled ? "enabled" : "disabled";
  gboolean ret = TRUE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  cb_sb_lock (self);

  if (!(dev = cb_sb_hub_device_load_existing (self, hub, device_id, error)))
    {
      cb_sb_unlock (self);
      return FALSE;
    }

  if (!g_str_equal (dev->status, status))
    {
      g_free (dev->status);
      dev->status = g_strdup (status);
      dev->status_updated = cb_sb_now_usec (self);
      g_free (dev->etag);
      dev->etag = cb_sb_hub_new_device_etag ();
      ret = cb_sb_hub_device_save (self, dev, error);
    }

  if (ret && !enabled)
    cb_sb_events_drop_device (self->events, dev->hub, device_id, "the device was disabled");

  cb_sb_unlock (self);
  return ret;
}

/* ---- Cross-module functions: connection state -------------------------------------------- */

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

  cb_sb_lock (self);
  stmt = cb_sb_prepare (self, sql);
  sqlite3_bind_int64 (stmt, 1, now_usec);
  sqlite3_bind_int64 (stmt, 2, activity_usec);
  sqlite3_bind_text (stmt, 3, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, device_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  cb_sb_unlock (self);

  return rc == SQLITE_DONE;
}

gboolean
cb_sb_hub_set_connection (CbSandbox  *self,
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
                            hub, device_id, cb_sb_now_usec (self), activity_usec);
}

gboolean
cb_sb_hub_set_activity (CbSandbox  *self,
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
cb_sb_hub_reset_connections (CbSandbox *self)
{
  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sb_lock (self);
  cb_sb_exec (self, "UPDATE hub_devices SET connection_state = 'Disconnected' "
                    "WHERE connection_state != 'Disconnected'", NULL);
  cb_sb_unlock (self);
}

gboolean
cb_sb_hub_get_connection (CbSandbox  *self,
                          const char *hub,
                          const char *device_id,
                          char      **state,
                          gint64     *activity_usec)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean found = FALSE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  cb_sb_lock (self);
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
  cb_sb_unlock (self);

  return found;
}

/* ---- Registration ---------------------------------------------------------------------- */

gboolean
cb_sb_hub_store_init (CbSandbox  *self,
                      GError    **error)
{
  return cb_sb_exec (self, hub_schema, error);
}
