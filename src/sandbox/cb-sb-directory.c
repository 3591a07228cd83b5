/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* State: the directory. Principals (users and apps, by name), their role assignments on ARM
 * scopes, the tokens Entra issued (only a hash of each is stored, with the tenant it was
 * issued in) and the tenants besides the sandbox's own (its home tenant, meta tenant_id,
 * where every principal is a member) with the principals that are guests in them. The Entra
 * surface mints and checks tokens here; the router's RBAC reads the role assignments. */

#include <string.h>

#include "cb-sb-directory.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"
#include "cb-util.h"

static const char directory_schema[] =
  "CREATE TABLE IF NOT EXISTS principals ("
  "  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, display_name TEXT) STRICT;"
  "CREATE TABLE IF NOT EXISTS role_assignments ("
  "  principal_id TEXT NOT NULL REFERENCES principals(id) ON DELETE CASCADE,"
  "  role TEXT NOT NULL, scope TEXT NOT NULL COLLATE NOCASE,"
  "  PRIMARY KEY (principal_id, role, scope)) STRICT;"
  "CREATE TABLE IF NOT EXISTS tokens ("
  "  hash TEXT PRIMARY KEY, kind TEXT NOT NULL, principal_id TEXT NOT NULL,"
  "  audience TEXT NOT NULL, scope TEXT, client_id TEXT, expires INTEGER NOT NULL) STRICT;"
  "CREATE TABLE IF NOT EXISTS entra_tenants ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE, display_name TEXT NOT NULL,"
  "  default_domain TEXT NOT NULL UNIQUE COLLATE NOCASE, country_code TEXT NOT NULL) STRICT;"
  "CREATE TABLE IF NOT EXISTS entra_tenant_members ("
  "  tenant TEXT NOT NULL COLLATE NOCASE REFERENCES entra_tenants(id) ON DELETE CASCADE,"
  "  principal_id TEXT NOT NULL REFERENCES principals(id) ON DELETE CASCADE,"
  "  PRIMARY KEY (tenant, principal_id)) STRICT;";

/* A store made before tokens named their tenant gets the column (NULL: the home tenant). */
static gboolean
add_token_tenant_column (CbSandbox  *self,
                         GError    **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT 1 FROM pragma_table_info('tokens') WHERE name = 'tenant'");
  gboolean has = sqlite3_step (stmt) == SQLITE_ROW;

  cb_sb_stmt_done (stmt);
  return has || cb_sb_exec (self, "ALTER TABLE tokens ADD COLUMN tenant TEXT", error);
}

gboolean
cb_sb_directory_init (CbSandbox  *self,
                      GError    **error)
{
  return cb_sb_exec (self, directory_schema, error) && add_token_tenant_column (self, error);
}

gboolean
cb_sb_add_principal (CbSandbox   *self,
                     const char  *name,
                     const char  *display_name,
                     GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT INTO principals (id, name, display_name) VALUES (?, ?, ?) "
      "ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name");
  g_autofree char *id = g_uuid_string_random ();

  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, display_name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

static char *
principal_id_for_name (CbSandbox  *self,
                       const char *name)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT id FROM principals WHERE name = ?");

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return cb_sb_column_dup (stmt, 0);

  return NULL;
}

gboolean
cb_sb_assign_role (CbSandbox   *self,
                   const char  *principal_name,
                   const char  *role,
                   const char  *scope,
                   GError     **error)
{
  g_autofree char *pid = principal_id_for_name (self, principal_name);
  g_autoptr(CbSbStmt) stmt = NULL;

  if (pid == NULL)
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                   "No principal named %s", principal_name);
      return FALSE;
    }

  stmt = cb_sb_prepare (self,
      "INSERT OR IGNORE INTO role_assignments (principal_id, role, scope) VALUES (?, ?, ?)");
  sqlite3_bind_text (stmt, 1, pid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, role, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, scope, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

/* Only a hash of each token is stored: a copied database grants nothing. */
static char *
token_hash (const char *token)
{
  return cb_sha256_hex ((const guint8 *) token, strlen (token));
}

char *
cb_sb_store_token (CbSandbox  *self,
                   const char *kind,
                   const char *principal_id,
                   const char *audience,
                   const char *scope,
                   const char *client_id,
                   const char *tenant,
                   gint64      lifetime)
{
  g_autofree char *random = cb_random_hex (32);
  g_autofree char *token = g_strdup_printf ("cbx%s.%s", g_str_equal (kind, "refresh") ? "r" : "a",
                                            random);
  g_autofree char *hash = token_hash (token);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT INTO tokens (hash, kind, principal_id, audience, scope, client_id, expires, tenant) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, principal_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, audience, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, scope, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, client_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, cb_sb_session_now (self) + lifetime);
  cb_sb_bind_text (stmt, 8, tenant);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return NULL;

  return g_steal_pointer (&token);
}

/* Looks a token up; returns its principal id and sets the other fields. */
char *
cb_sb_lookup_token (CbSandbox   *self,
                    const char  *token,
                    const char  *kind,
                    char       **out_audience,
                    char       **out_principal_name,
                    char       **out_client_id,
                    char       **out_tenant,
                    gboolean    *out_expired)
{
  g_autofree char *hash = token_hash (token);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT t.principal_id, t.audience, p.name, t.client_id, t.expires, t.tenant FROM tokens t "
      "JOIN principals p ON p.id = t.principal_id WHERE t.hash = ? AND t.kind = ?");

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;

  if (out_audience != NULL)
    *out_audience = cb_sb_column_dup (stmt, 1);
  if (out_principal_name != NULL)
    *out_principal_name = cb_sb_column_dup (stmt, 2);
  if (out_client_id != NULL)
    *out_client_id = cb_sb_column_dup (stmt, 3);
  if (out_expired != NULL)
    *out_expired = sqlite3_column_int64 (stmt, 4) <= cb_sb_session_now (self);
  if (out_tenant != NULL)
    {
      *out_tenant = cb_sb_column_dup (stmt, 5);
      if (*out_tenant == NULL)
        *out_tenant = cb_sb_dup_meta (self, "tenant_id");
    }

  return cb_sb_column_dup (stmt, 0);
}

void
cb_sb_prune_expired_tokens (CbSandbox *self)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM tokens WHERE expires <= ?");

  /* Past expiry on the session clock and on the real one: a clock moved ahead (POST
   * /sandbox/clock) and back again finds its tokens as they were. */
  sqlite3_bind_int64 (stmt, 1, MIN (g_get_real_time () / G_USEC_PER_SEC,
                                    cb_sb_session_now (self)));
  sqlite3_step (stmt);
}

void
cb_sb_delete_token (CbSandbox  *self,
                    const char *token)
{
  g_autofree char *hash = token_hash (token);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "DELETE FROM tokens WHERE hash = ?");

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
}

char *
cb_sb_issue_token (CbSandbox   *self,
                   const char  *principal_name,
                   const char  *audience,
                   GError     **error)
{
  g_autofree char *pid = NULL;
  g_autofree char *scope = NULL;
  char *token;

  g_return_val_if_fail (self != NULL, NULL);

  cb_sb_lock (self);
  pid = principal_id_for_name (self, principal_name);
  if (pid == NULL)
    {
      cb_sb_unlock (self);
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                   "No principal named %s", principal_name);
      return NULL;
    }

  scope = g_strconcat (audience, "/.default", NULL);
  token = cb_sb_store_token (self, "access", pid, audience, scope, "certbench", NULL, 3600);
  cb_sb_unlock (self);

  if (token == NULL)
    g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_STORE, "Could not store the token");

  return token;
}

/* ---- Tenants ---------------------------------------------------------------------------- */

gboolean
cb_sb_add_tenant (CbSandbox   *self,
                  const char  *id,
                  const char  *display_name,
                  const char  *default_domain,
                  const char  *country_code,
                  GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT OR REPLACE INTO entra_tenants (id, display_name, default_domain, country_code) "
      "VALUES (?, ?, ?, ?)");

  cb_sb_bind_text (stmt, 1, id);
  cb_sb_bind_text (stmt, 2, display_name);
  cb_sb_bind_text (stmt, 3, default_domain);
  cb_sb_bind_text (stmt, 4, country_code);
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_add_tenant_member (CbSandbox   *self,
                         const char  *tenant,
                         const char  *principal_name,
                         GError     **error)
{
  g_autofree char *pid = principal_id_for_name (self, principal_name);
  g_autoptr(CbSbStmt) stmt = NULL;

  if (pid == NULL)
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG,
                   "No principal named %s", principal_name);
      return FALSE;
    }

  stmt = cb_sb_prepare (self, "INSERT OR IGNORE INTO entra_tenant_members (tenant, principal_id) "
                              "VALUES (?, ?)");
  cb_sb_bind_text (stmt, 1, tenant);
  cb_sb_bind_text (stmt, 2, pid);
  return cb_sb_step_done (self, stmt, error);
}

char *
cb_sb_resolve_tenant (CbSandbox  *self,
                      const char *name)
{
  g_autofree char *home = cb_sb_dup_meta (self, "tenant_id");
  g_autoptr(CbSbStmt) stmt = NULL;
  char *id = NULL;

  if (name == NULL)
    return NULL;
  if (g_ascii_strcasecmp (name, home) == 0 || g_ascii_strcasecmp (name, "sandbox") == 0 ||
      g_ascii_strcasecmp (name, CB_SB_HOME_DOMAIN) == 0)
    return g_steal_pointer (&home);

  stmt = cb_sb_prepare (self, "SELECT id FROM entra_tenants WHERE id = ?1 OR default_domain = ?1");
  cb_sb_bind_text (stmt, 1, name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);
  return id;
}

gboolean
cb_sb_is_tenant_member (CbSandbox  *self,
                        const char *tenant,
                        const char *principal_id)
{
  g_autofree char *home = cb_sb_dup_meta (self, "tenant_id");
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean member;

  if (g_ascii_strcasecmp (tenant, home) == 0)
    return TRUE;

  stmt = cb_sb_prepare (self, "SELECT 1 FROM entra_tenant_members "
                              "WHERE tenant = ? AND principal_id = ?");
  cb_sb_bind_text (stmt, 1, tenant);
  cb_sb_bind_text (stmt, 2, principal_id);
  member = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);
  return member;
}
