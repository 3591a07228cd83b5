/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* State: the directory. Principals (users and apps, by name), their role assignments on ARM
 * scopes, and the tokens Entra issued (only a hash of each is stored). The Entra surface
 * mints and checks tokens here; the router's RBAC reads the role assignments. */

#include <string.h>

#include "cb-sb-directory.h"
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
  "  audience TEXT NOT NULL, scope TEXT, client_id TEXT, expires INTEGER NOT NULL) STRICT;";

gboolean
cb_sb_directory_init (CbSandbox  *self,
                      GError    **error)
{
  return cb_sb_exec (self, directory_schema, error);
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
                   gint64      lifetime)
{
  g_autofree char *random = cb_random_hex (32);
  g_autofree char *token = g_strdup_printf ("cbx%s.%s", g_str_equal (kind, "refresh") ? "r" : "a",
                                            random);
  g_autofree char *hash = token_hash (token);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT INTO tokens (hash, kind, principal_id, audience, scope, client_id, expires) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, principal_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, audience, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, scope, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, client_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, cb_sb_session_now (self) + lifetime);
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
                    gboolean    *out_expired)
{
  g_autofree char *hash = token_hash (token);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT t.principal_id, t.audience, p.name, t.client_id, t.expires FROM tokens t "
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

  return cb_sb_column_dup (stmt, 0);
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
  token = cb_sb_store_token (self, "access", pid, audience, scope, "certbench", 3600);
  cb_sb_unlock (self);

  if (token == NULL)
    g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_STORE, "Could not store the token");

  return token;
}
