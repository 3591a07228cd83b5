/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ADR tables: adr_namespaces, adr_credentials (one "default" per namespace),
 * adr_policies and adr_devices, their ids and who changed them (systemData). The operations
 * rows are cb-sb-adr-operations.c. Rows in and out, no rules: the rules are cb-sb-adr-ops.c
 * and the LRO engine cb-sb-lro.c. ADR also reads the topology's hubs table here (the hubs a
 * namespace is linked to). */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-ids.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"
#include "cb-util.h"

static const char *schema =
  "CREATE TABLE IF NOT EXISTS adr_namespaces ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  subscription TEXT NOT NULL COLLATE NOCASE,"
  "  resource_group TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  location TEXT NOT NULL,"
  "  tags TEXT,"
  "  uuid TEXT NOT NULL,"
  "  principal_id TEXT NOT NULL,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE TABLE IF NOT EXISTS adr_credentials ("
  "  namespace_id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  location TEXT NOT NULL,"
  "  tags TEXT,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE TABLE IF NOT EXISTS adr_policies ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  namespace_id TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  key_type TEXT NOT NULL,"
  "  validity_days INTEGER NOT NULL,"
  "  byor INTEGER NOT NULL,"
  "  issuer_id TEXT,"
  "  location TEXT,"
  "  tags TEXT,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS adr_policies_ns ON adr_policies (namespace_id);"
  "CREATE TABLE IF NOT EXISTS adr_devices ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  namespace_id TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  location TEXT NOT NULL,"
  "  tags TEXT,"
  "  uuid TEXT NOT NULL,"
  "  enabled INTEGER NOT NULL DEFAULT 1,"
  "  props TEXT,"
  "  policy_id TEXT COLLATE NOCASE,"
  "  identifier TEXT NOT NULL,"
  "  version INTEGER NOT NULL DEFAULT 1,"
  "  etag TEXT NOT NULL,"
  "  last_transition INTEGER,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS adr_devices_ns ON adr_devices (namespace_id, name);";


gboolean
cb_sb_adr_store_init (CbSandbox  *self,
                      GError    **error)
{
  return cb_sb_exec (self, schema, error);
}

/* ---- Who changed a row ------------------------------------------------------------------ */

CbSbActor
cb_sb_actor (const char *principal)
{
  CbSbActor actor = { CB_SB_SANDBOX_ACTOR, "Application" };

  if (principal != NULL)
    {
      actor.name = principal;
      actor.type = "User";
    }

  return actor;
}

char *
cb_sb_adr_new_etag (void)
{
  g_autofree char *hex = cb_random_hex (16);

  /* The shape ADR uses: "c80325f9-0000-0800-0000-66fcb0290000" */
  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
                          hex + 20);
}

/* ---- Any ADR table ---------------------------------------------------------------------- */

void
cb_sb_adr_set_state (CbSandbox  *self,
                     const char *table,
                     const char *key_column,
                     const char *key,
                     const char *state)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET state = ? WHERE %s = ?",
                                          table, key_column);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);

  cb_sb_bind_text (stmt, 1, state);
  cb_sb_bind_text (stmt, 2, key);
  cb_sb_step_done (self, stmt, NULL);
}

void
cb_sb_adr_set_modified (CbSandbox  *self,
                        const char *table,
                        const char *key_column,
                        const char *key,
                        const char *who)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET modified_by = ?, modified_by_type = ?, "
                                          "modified_at = ? WHERE %s = ?", table, key_column);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);

  cb_sb_bind_text (stmt, 1, who != NULL ? who : CB_SB_SANDBOX_ACTOR);
  cb_sb_bind_text (stmt, 2, who != NULL ? "User" : "Application");
  sqlite3_bind_int64 (stmt, 3, cb_sb_now_usec (self));
  cb_sb_bind_text (stmt, 4, key);
  cb_sb_step_done (self, stmt, NULL);
}

void
cb_sb_adr_table_for_kind (const char  *kind,
                          const char **table,
                          const char **key_column)
{
  if (g_str_has_prefix (kind, "ns-"))
    *table = "adr_namespaces", *key_column = "id";
  else if (g_str_has_prefix (kind, "credential-"))
    *table = "adr_credentials", *key_column = "namespace_id";
  else if (g_str_has_prefix (kind, "policy-"))
    *table = "adr_policies", *key_column = "id";
  else if (g_str_has_prefix (kind, "ca-"))
    *table = "adr_cas", *key_column = "id";
  else if (g_str_has_prefix (kind, "capolicy-"))
    *table = "adr_ca_policies", *key_column = "id";
  else
    *table = "adr_devices", *key_column = "id";
}

void
cb_sb_adr_set_tags (CbSandbox  *self,
                    const char *table,
                    const char *key_column,
                    const char *key,
                    const char *tags)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET tags = ? WHERE %s = ?", table, key_column);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);

  cb_sb_bind_text (stmt, 1, tags);
  cb_sb_bind_text (stmt, 2, key);
  cb_sb_step_done (self, stmt, NULL);
}

/* ---- Namespaces ------------------------------------------------------------------------- */

char *
cb_sb_adr_namespace_state (CbSandbox   *self,
                           const char  *ns_id,
                           char       **location)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT state, location FROM adr_namespaces WHERE id = ?");
  char *state = NULL;

  cb_sb_bind_text (stmt, 1, ns_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      state = cb_sb_column_dup (stmt, 0);
      if (location != NULL)
        *location = cb_sb_column_dup (stmt, 1);
    }
  cb_sb_stmt_done (stmt);

  return state;
}

void
cb_sb_adr_insert_namespace (CbSandbox  *self,
                            const char *subscription,
                            const char *resource_group,
                            const char *name,
                            const char *location,
                            const char *tags,
                            const char *state,
                            CbSbActor   actor)
{
  g_autofree char *ns_id = cb_sb_namespace_id (subscription, resource_group, name);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *principal_id = g_uuid_string_random ();
  gint64 now = cb_sb_now_usec (self);
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_namespaces (id, subscription, resource_group, name, "
                        "  location, tags, uuid, principal_id, state, "
                        CB_SB_ADR_SYSDATA_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                        "  ?10, ?11, ?12)");
  cb_sb_bind_text (stmt, 1, ns_id);
  cb_sb_bind_text (stmt, 2, subscription);
  cb_sb_bind_text (stmt, 3, resource_group);
  cb_sb_bind_text (stmt, 4, name);
  cb_sb_bind_text (stmt, 5, location);
  cb_sb_bind_text (stmt, 6, tags);
  cb_sb_bind_text (stmt, 7, uuid);
  cb_sb_bind_text (stmt, 8, principal_id);
  cb_sb_bind_text (stmt, 9, state);
  cb_sb_bind_text (stmt, 10, actor.name);
  cb_sb_bind_text (stmt, 11, actor.type);
  sqlite3_bind_int64 (stmt, 12, now);
  cb_sb_step_done (self, stmt, NULL);
}

gboolean
cb_sb_adr_delete_namespace (CbSandbox   *self,
                            const char  *ns_id,
                            GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self, "DELETE FROM adr_devices WHERE namespace_id = ?");
  cb_sb_bind_text (stmt, 1, ns_id);
  if (!cb_sb_step_done (self, stmt, error))
    return FALSE;
  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "DELETE FROM adr_namespaces WHERE id = ?");
  cb_sb_bind_text (stmt, 1, ns_id);
  return cb_sb_step_done (self, stmt, error);
}

/* ---- The credential --------------------------------------------------------------------- */

char *
cb_sb_adr_credential_state (CbSandbox   *self,
                            const char  *ns_id,
                            char       **location)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT state, location FROM adr_credentials "
                                      "WHERE namespace_id = ?");
  char *state = NULL;

  cb_sb_bind_text (stmt, 1, ns_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      state = cb_sb_column_dup (stmt, 0);
      if (location != NULL)
        *location = cb_sb_column_dup (stmt, 1);
    }
  cb_sb_stmt_done (stmt);

  return state;
}

gboolean
cb_sb_adr_has_credential (CbSandbox  *self,
                          const char *ns_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT 1 FROM adr_credentials "
                                                  "WHERE namespace_id = ?");
  gboolean found;

  cb_sb_bind_text (stmt, 1, ns_id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);

  return found;
}

gboolean
cb_sb_adr_insert_credential (CbSandbox   *self,
                             const char  *ns_id,
                             const char  *location,
                             const char  *tags,
                             const char  *state,
                             CbSbActor    actor,
                             GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_credentials (namespace_id, location, tags, state, "
                        CB_SB_ADR_SYSDATA_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5, ?6, ?7)");
  cb_sb_bind_text (stmt, 1, ns_id);
  cb_sb_bind_text (stmt, 2, location);
  cb_sb_bind_text (stmt, 3, tags);
  cb_sb_bind_text (stmt, 4, state);
  cb_sb_bind_text (stmt, 5, actor.name);
  cb_sb_bind_text (stmt, 6, actor.type);
  sqlite3_bind_int64 (stmt, 7, cb_sb_now_usec (self));
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_delete_credential (CbSandbox   *self,
                             const char  *ns_id,
                             GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM adr_credentials "
                                                  "WHERE namespace_id = ?");

  cb_sb_bind_text (stmt, 1, ns_id);
  return cb_sb_step_done (self, stmt, error);
}

/* ---- Policies --------------------------------------------------------------------------- */

void
cb_sb_policy_row_clear (CbSbPolicyRow *row)
{
  g_clear_pointer (&row->state, g_free);
  g_clear_pointer (&row->key_type, g_free);
  g_clear_pointer (&row->issuer_id, g_free);
  g_clear_pointer (&row->location, g_free);
}

gboolean
cb_sb_adr_policy_row (CbSandbox     *self,
                      const char    *policy_id,
                      CbSbPolicyRow *row)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT state, key_type, issuer_id, location, byor "
                                      "FROM adr_policies WHERE id = ?");

  memset (row, 0, sizeof *row);
  cb_sb_bind_text (stmt, 1, policy_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      row->state = cb_sb_column_dup (stmt, 0);
      row->key_type = cb_sb_column_dup (stmt, 1);
      row->issuer_id = cb_sb_column_dup (stmt, 2);
      row->location = cb_sb_column_dup (stmt, 3);
      row->byor = sqlite3_column_int (stmt, 4) != 0;
    }
  cb_sb_stmt_done (stmt);

  return row->state != NULL;
}

GPtrArray *
cb_sb_adr_policy_names (CbSandbox  *self,
                        const char *ns_id)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT name FROM adr_policies WHERE namespace_id = ? "
                                      "ORDER BY name");

  cb_sb_bind_text (stmt, 1, ns_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (names, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  return names;
}

void
cb_sb_adr_insert_policy (CbSandbox  *self,
                         const char *ns_id,
                         const char *policy_id,
                         const char *name,
                         gint64      days,
                         gboolean    byor,
                         const char *location,
                         const char *tags,
                         const char *state,
                         CbSbActor   actor)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_policies (id, namespace_id, name, key_type, "
                        "  validity_days, byor, location, tags, state, "
                        CB_SB_ADR_SYSDATA_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, 'ECC', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                        "  ?9, ?10, ?11)");
  cb_sb_bind_text (stmt, 1, policy_id);
  cb_sb_bind_text (stmt, 2, ns_id);
  cb_sb_bind_text (stmt, 3, name);
  sqlite3_bind_int64 (stmt, 4, days);
  sqlite3_bind_int (stmt, 5, byor ? 1 : 0);
  cb_sb_bind_text (stmt, 6, location);
  cb_sb_bind_text (stmt, 7, tags);
  cb_sb_bind_text (stmt, 8, state);
  cb_sb_bind_text (stmt, 9, actor.name);
  cb_sb_bind_text (stmt, 10, actor.type);
  sqlite3_bind_int64 (stmt, 11, cb_sb_now_usec (self));
  cb_sb_step_done (self, stmt, NULL);
}

void
cb_sb_adr_update_policy (CbSandbox  *self,
                         const char *policy_id,
                         gint64      days,
                         const char *tags,
                         const char *location)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "UPDATE adr_policies SET validity_days = ?, "
                        "  tags = COALESCE(?, tags), location = COALESCE(?, location) "
                        "WHERE id = ?");
  sqlite3_bind_int64 (stmt, 1, days);
  cb_sb_bind_text (stmt, 2, tags);
  cb_sb_bind_text (stmt, 3, location);
  cb_sb_bind_text (stmt, 4, policy_id);
  cb_sb_step_done (self, stmt, NULL);
}

gboolean
cb_sb_adr_set_policy_validity (CbSandbox   *self,
                               const char  *policy_id,
                               gint64       days,
                               GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "UPDATE adr_policies SET validity_days = ? "
                                                  "WHERE id = ?");

  sqlite3_bind_int64 (stmt, 1, days);
  cb_sb_bind_text (stmt, 2, policy_id);
  return cb_sb_step_done (self, stmt, error);
}

char *
cb_sb_adr_policy_issuer (CbSandbox  *self,
                         const char *policy_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT issuer_id FROM adr_policies "
                                                  "WHERE id = ?");
  char *issuer = NULL;

  cb_sb_bind_text (stmt, 1, policy_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    issuer = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  return issuer;
}

gboolean
cb_sb_adr_set_policy_issuer (CbSandbox   *self,
                             const char  *policy_id,
                             const char  *issuer_id,
                             GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "UPDATE adr_policies SET issuer_id = ? "
                                                  "WHERE id = ?");

  cb_sb_bind_text (stmt, 1, issuer_id);
  cb_sb_bind_text (stmt, 2, policy_id);
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_delete_policy (CbSandbox   *self,
                         const char  *policy_id,
                         GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM adr_policies WHERE id = ?");

  cb_sb_bind_text (stmt, 1, policy_id);
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_policy_for_issuance (CbSandbox   *self,
                               const char  *policy_id,
                               char       **namespace_id,
                               char       **state,
                               gint64      *validity_days,
                               char       **issuer_id)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean found = FALSE;

  stmt = cb_sb_prepare (self,
                        "SELECT namespace_id, state, validity_days, issuer_id "
                        "FROM adr_policies WHERE id = ?");
  cb_sb_bind_text (stmt, 1, policy_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *namespace_id = cb_sb_column_dup (stmt, 0);
      *state = cb_sb_column_dup (stmt, 1);
      *validity_days = sqlite3_column_int64 (stmt, 2);
      *issuer_id = cb_sb_column_dup (stmt, 3);
      found = TRUE;
    }
  cb_sb_stmt_done (stmt);

  return found;
}

GPtrArray *
cb_sb_adr_active_policies (CbSandbox  *self,
                           const char *ns_id)
{
  GPtrArray *policies = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT p.id, p.name, p.issuer_id FROM adr_policies p "
                        "JOIN ca_issuers i ON i.id = p.issuer_id "
                        "WHERE p.namespace_id = ? AND i.status = 'active' ORDER BY p.name");
  cb_sb_bind_text (stmt, 1, ns_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (policies, cb_sb_column_dup (stmt, 0));
      g_ptr_array_add (policies, cb_sb_column_dup (stmt, 1));
      g_ptr_array_add (policies, cb_sb_column_dup (stmt, 2));
    }
  cb_sb_stmt_done (stmt);

  return policies;
}

/* ---- Devices ---------------------------------------------------------------------------- */

char *
cb_sb_adr_device_state (CbSandbox   *self,
                        const char  *id,
                        char       **location,
                        char       **etag)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT state, location, etag FROM adr_devices WHERE id = ?");
  char *state = NULL;

  cb_sb_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      state = cb_sb_column_dup (stmt, 0);
      if (location != NULL)
        *location = cb_sb_column_dup (stmt, 1);
      if (etag != NULL)
        *etag = cb_sb_column_dup (stmt, 2);
    }
  cb_sb_stmt_done (stmt);

  return state;
}

gboolean
cb_sb_adr_insert_device (CbSandbox   *self,
                         const char  *id,
                         const char  *ns_id,
                         const char  *name,
                         const char  *location,
                         const char  *tags,
                         const char  *props,
                         const char  *policy_id,
                         gint64       version,
                         const char  *state,
                         CbSbActor    actor,
                         GError     **error)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *identifier = g_uuid_string_random ();
  g_autofree char *etag = cb_sb_adr_new_etag ();
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_devices (id, namespace_id, name, location, tags, uuid, "
                        "  enabled, props, policy_id, identifier, version, etag, state, "
                        CB_SB_ADR_SYSDATA_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, "
                        "  ?11, ?12, ?13, ?14, ?15, ?13, ?14, ?15)");
  cb_sb_bind_text (stmt, 1, id);
  cb_sb_bind_text (stmt, 2, ns_id);
  cb_sb_bind_text (stmt, 3, name);
  cb_sb_bind_text (stmt, 4, location);
  cb_sb_bind_text (stmt, 5, tags);
  cb_sb_bind_text (stmt, 6, uuid);
  cb_sb_bind_text (stmt, 7, props);
  cb_sb_bind_text (stmt, 8, policy_id);
  cb_sb_bind_text (stmt, 9, identifier);
  sqlite3_bind_int64 (stmt, 10, version);
  cb_sb_bind_text (stmt, 11, etag);
  cb_sb_bind_text (stmt, 12, state);
  cb_sb_bind_text (stmt, 13, actor.name);
  cb_sb_bind_text (stmt, 14, actor.type);
  sqlite3_bind_int64 (stmt, 15, cb_sb_now_usec (self));
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_device_row (CbSandbox   *self,
                      const char  *id,
                      char       **ns_id,
                      char       **name,
                      gboolean    *enabled,
                      char       **props)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT namespace_id, name, enabled, props "
                                                  "FROM adr_devices WHERE id = ?");
  gboolean found = FALSE;

  cb_sb_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (ns_id != NULL)
        *ns_id = cb_sb_column_dup (stmt, 0);
      if (name != NULL)
        *name = cb_sb_column_dup (stmt, 1);
      if (enabled != NULL)
        *enabled = sqlite3_column_int (stmt, 2) != 0;
      if (props != NULL)
        *props = cb_sb_column_dup (stmt, 3);
      found = TRUE;
    }
  cb_sb_stmt_done (stmt);

  return found;
}

gboolean
cb_sb_adr_set_device_identifier (CbSandbox   *self,
                                 const char  *id,
                                 const char  *identifier,
                                 const char  *etag,
                                 gboolean     disable,
                                 gint64       transition_usec,
                                 GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "UPDATE adr_devices SET identifier = ?, etag = ?, version = version + 1, "
                        "  enabled = CASE WHEN ? THEN 0 ELSE enabled END, "
                        "  last_transition = CASE WHEN ? THEN ? ELSE last_transition END "
                        "WHERE id = ?");
  cb_sb_bind_text (stmt, 1, identifier);
  cb_sb_bind_text (stmt, 2, etag);
  sqlite3_bind_int (stmt, 3, disable ? 1 : 0);
  sqlite3_bind_int (stmt, 4, transition_usec != 0 ? 1 : 0);
  sqlite3_bind_int64 (stmt, 5, transition_usec);
  cb_sb_bind_text (stmt, 6, id);
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_set_device_properties (CbSandbox   *self,
                                 const char  *id,
                                 const char  *props,
                                 const char  *etag,
                                 int          enabled,
                                 gboolean     policy_given,
                                 const char  *policy_id,
                                 gint64       transition_usec,
                                 GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "UPDATE adr_devices SET props = ?, etag = ?, version = version + 1, "
                        "  enabled = CASE WHEN ? >= 0 THEN ? ELSE enabled END, "
                        "  policy_id = CASE WHEN ? THEN ? ELSE policy_id END, "
                        "  last_transition = CASE WHEN ? THEN ? ELSE last_transition END "
                        "WHERE id = ?");
  cb_sb_bind_text (stmt, 1, props);
  cb_sb_bind_text (stmt, 2, etag);
  sqlite3_bind_int (stmt, 3, enabled);
  sqlite3_bind_int (stmt, 4, enabled);
  sqlite3_bind_int (stmt, 5, policy_given ? 1 : 0);
  cb_sb_bind_text (stmt, 6, policy_id);
  sqlite3_bind_int (stmt, 7, transition_usec != 0 ? 1 : 0);
  sqlite3_bind_int64 (stmt, 8, transition_usec);
  cb_sb_bind_text (stmt, 9, id);
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_set_device_policy (CbSandbox   *self,
                             const char  *id,
                             const char  *policy_id,
                             GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self, "UPDATE adr_devices SET policy_id = ? WHERE id = ? "
                              "  AND (policy_id IS NULL OR policy_id != ?)");
  cb_sb_bind_text (stmt, 1, policy_id);
  cb_sb_bind_text (stmt, 2, id);
  cb_sb_bind_text (stmt, 3, policy_id);
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_delete_device (CbSandbox   *self,
                         const char  *id,
                         GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM adr_devices WHERE id = ?");

  cb_sb_bind_text (stmt, 1, id);
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_device_credential (CbSandbox   *self,
                             const char  *namespace_id,
                             const char  *device_name,
                             gboolean    *enabled,
                             char       **identifier)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                            "SELECT enabled, identifier FROM adr_devices "
                                            "WHERE namespace_id = ? AND name = ?");
  gboolean found = FALSE;

  cb_sb_bind_text (stmt, 1, namespace_id);
  cb_sb_bind_text (stmt, 2, device_name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      *enabled = sqlite3_column_int (stmt, 0) != 0;
      *identifier = cb_sb_column_dup (stmt, 1);
      found = TRUE;
    }
  cb_sb_stmt_done (stmt);

  return found;
}

char *
cb_sb_adr_current_identifier (CbSandbox  *self,
                              const char *hub,
                              const char *device_name)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                            "SELECT d.identifier FROM adr_devices d "
                                            "JOIN hubs h ON d.namespace_id = h.namespace_id "
                                            "WHERE h.name = ? AND d.name = ? LIMIT 1");
  char *identifier = NULL;

  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, device_name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    identifier = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  return identifier;
}

char *
cb_sb_adr_device_of_hub (CbSandbox   *self,
                         const char  *hub,
                         const char  *device_name,
                         char       **ns_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                            "SELECT d.id, d.namespace_id FROM adr_devices d "
                                            "JOIN hubs h ON d.namespace_id = h.namespace_id "
                                            "WHERE h.name = ? AND d.name = ? LIMIT 1");
  char *id = NULL;

  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, device_name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      id = cb_sb_column_dup (stmt, 0);
      if (ns_id != NULL)
        *ns_id = cb_sb_column_dup (stmt, 1);
    }
  cb_sb_stmt_done (stmt);

  return id;
}

/* ---- Hubs linked to a namespace --------------------------------------------------------- */

GPtrArray *
cb_sb_adr_hubs_of_namespace (CbSandbox  *self,
                             const char *ns_id)
{
  GPtrArray *hubs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                            "SELECT name FROM hubs WHERE namespace_id = ? "
                                            "COLLATE NOCASE ORDER BY name");

  cb_sb_bind_text (stmt, 1, ns_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (hubs, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  return hubs;
}

void
cb_sb_adr_foreach_hub_endpoint (CbSandbox          *self,
                                const char         *ns_id,
                                CbSbHubEndpointFunc func,
                                gpointer            user_data)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                            "SELECT name, subscription, resource_group, host_name "
                                            "FROM hubs WHERE namespace_id = ? COLLATE NOCASE "
                                            "ORDER BY name");

  cb_sb_bind_text (stmt, 1, ns_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    func ((const char *) sqlite3_column_text (stmt, 0),
          (const char *) sqlite3_column_text (stmt, 1),
          (const char *) sqlite3_column_text (stmt, 2),
          (const char *) sqlite3_column_text (stmt, 3),
          user_data);
  cb_sb_stmt_done (stmt);
}

gboolean
cb_sb_adr_hub_exists (CbSandbox  *self,
                      const char *hub)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT 1 FROM hubs "
                                                  "WHERE name = ? COLLATE NOCASE");
  gboolean found;

  cb_sb_bind_text (stmt, 1, hub);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);

  return found;
}

char *
cb_sb_adr_find_hub (CbSandbox  *self,
                    const char *subscription,
                    const char *resource_group,
                    const char *hub)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  char *name = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT name FROM hubs WHERE name = ? COLLATE NOCASE "
                        "  AND subscription = ? COLLATE NOCASE "
                        "  AND resource_group = ? COLLATE NOCASE");
  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, subscription);
  cb_sb_bind_text (stmt, 3, resource_group);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    name = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  return name;
}
