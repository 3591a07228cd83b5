/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* State: the topology. The IoT hubs (with their shared access policies and keys) and the DPS
 * instances the sandbox serves, each in a subscription and resource group and, when linked,
 * an ADR namespace. The ARM, hub, DPS and MQTT surfaces look them up here. */

#include "cb-sb-store.h"
#include "cb-sb-topology.h"
#include "cb-util.h"

static const char topology_schema[] =
  "CREATE TABLE IF NOT EXISTS hubs ("
  "  name TEXT PRIMARY KEY COLLATE NOCASE, subscription TEXT NOT NULL,"
  "  resource_group TEXT NOT NULL, namespace_id TEXT COLLATE NOCASE, host_name TEXT NOT NULL,"
  "  created INTEGER NOT NULL) STRICT;"
  "CREATE TABLE IF NOT EXISTS hub_keys ("
  "  hub TEXT NOT NULL COLLATE NOCASE, key_name TEXT NOT NULL, primary_key TEXT NOT NULL,"
  "  secondary_key TEXT NOT NULL, rights TEXT NOT NULL, PRIMARY KEY (hub, key_name)) STRICT;"
  "CREATE TABLE IF NOT EXISTS dps_instances ("
  "  name TEXT PRIMARY KEY COLLATE NOCASE, id_scope TEXT NOT NULL UNIQUE COLLATE NOCASE,"
  "  subscription TEXT NOT NULL, resource_group TEXT NOT NULL, namespace_id TEXT COLLATE NOCASE,"
  "  linked_hub TEXT, host_name TEXT NOT NULL, owner_key TEXT NOT NULL,"
  "  created INTEGER NOT NULL) STRICT;";

gboolean
cb_sb_topology_init (CbSandbox  *self,
                     GError    **error)
{
  return cb_sb_exec (self, topology_schema, error);
}

gboolean
cb_sb_create_hub (CbSandbox   *self,
                  const char  *subscription,
                  const char  *resource_group,
                  const char  *name,
                  const char  *namespace_id,
                  GError     **error)
{
  static const struct { const char *name; const char *rights; } policies[] = {
    { "iothubowner", "RegistryWrite, ServiceConnect, DeviceConnect" },
    { "service", "ServiceConnect" },
    { "device", "DeviceConnect" },
    { "registryRead", "RegistryRead" },
    { "registryReadWrite", "RegistryWrite" },
  };
  g_autofree char *host = g_strdup_printf ("%s.azure-devices.net", name);
  g_autoptr(CbSbStmt) stmt = NULL;

  cb_sb_begin (self);

  stmt = cb_sb_prepare (self,
      "INSERT INTO hubs (name, subscription, resource_group, namespace_id, host_name, created) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, subscription, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, resource_group, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, namespace_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, host, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, cb_sb_now (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    goto failed;

  for (guint i = 0; i < G_N_ELEMENTS (policies); i++)
    {
      g_autofree char *primary = cb_random_base64 (32);
      g_autofree char *secondary = cb_random_base64 (32);

      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self,
          "INSERT INTO hub_keys (hub, key_name, primary_key, secondary_key, rights) "
          "VALUES (?, ?, ?, ?, ?)");
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, policies[i].name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, primary, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, secondary, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, policies[i].rights, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        goto failed;
    }

  cb_sb_commit (self);
  return TRUE;

failed:
  cb_sb_set_sqlite_error (self, error);
  cb_sb_rollback (self);
  return FALSE;
}

gboolean
cb_sb_set_hub_key (CbSandbox  *self,
                   const char *hub,
                   const char *key_name,
                   const char *primary_key)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "UPDATE hub_keys SET primary_key = ? WHERE hub = ? AND key_name = ?");

  sqlite3_bind_text (stmt, 1, primary_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, key_name, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_DONE && sqlite3_changes (self->db) == 1;
}

gboolean
cb_sb_create_dps (CbSandbox   *self,
                  const char  *subscription,
                  const char  *resource_group,
                  const char  *name,
                  const char  *id_scope,
                  const char  *namespace_id,
                  const char  *linked_hub,
                  GError     **error)
{
  g_autofree char *host = g_strdup_printf ("%s.azure-devices-provisioning.net", name);
  g_autofree char *owner_key = cb_random_base64 (32);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT INTO dps_instances (name, id_scope, subscription, resource_group, namespace_id, "
      "linked_hub, host_name, owner_key, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, id_scope, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, subscription, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, resource_group, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, namespace_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, linked_hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, host, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 8, owner_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 9, cb_sb_now (self));
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_sb_set_dps_owner_key (CbSandbox  *self,
                         const char *dps,
                         const char *owner_key)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "UPDATE dps_instances SET owner_key = ? WHERE name = ?");

  sqlite3_bind_text (stmt, 1, owner_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, dps, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_DONE && sqlite3_changes (self->db) == 1;
}

char *
cb_sb_dup_hub_key (CbSandbox  *self,
                   const char *hub,
                   const char *key_name)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT primary_key FROM hub_keys WHERE hub = ? AND key_name = ?");

  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, key_name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return cb_sb_column_dup (stmt, 0);

  return NULL;
}

GPtrArray *
cb_sb_list_hubs_for_namespace (CbSandbox  *self,
                               const char *namespace_id)
{
  GPtrArray *hubs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT name FROM hubs WHERE namespace_id = ? ORDER BY name");

  sqlite3_bind_text (stmt, 1, namespace_id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (hubs, cb_sb_column_dup (stmt, 0));

  return hubs;
}

/* The hubs and the DPS instances have the same columns for this. */
static const char *
topology_table (gboolean dps)
{
  return dps ? "dps_instances" : "hubs";
}

char *
cb_sb_topology_find (CbSandbox   *self,
                     gboolean     dps,
                     const char  *subscription,
                     const char  *resource_group,
                     const char  *name,
                     char       **namespace_id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT name, namespace_id FROM %s WHERE name = ? "
                                          "AND subscription = ? COLLATE NOCASE "
                                          "AND resource_group = ? COLLATE NOCASE",
                                          topology_table (dps));
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);
  char *stored = NULL;

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, subscription, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, resource_group, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      stored = cb_sb_column_dup (stmt, 0);
      if (namespace_id != NULL)
        *namespace_id = cb_sb_column_dup (stmt, 1);
    }
  sqlite3_reset (stmt);

  return stored;
}

gboolean
cb_sb_topology_set_namespace (CbSandbox   *self,
                              gboolean     dps,
                              const char  *name,
                              const char  *namespace_id,
                              GError     **error)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET namespace_id = ? WHERE name = ?",
                                          topology_table (dps));
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);

  if (namespace_id != NULL)
    sqlite3_bind_text (stmt, 1, namespace_id, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 1);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

GPtrArray *
cb_sb_topology_list_names (CbSandbox *self,
                           gboolean   dps)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, dps ? "SELECT name FROM dps_instances ORDER BY name"
                                                      : "SELECT name FROM hubs ORDER BY name");

  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (names, cb_sb_column_dup (stmt, 0));
  return names;
}
