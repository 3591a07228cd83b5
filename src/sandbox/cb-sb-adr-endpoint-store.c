/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* A namespace's endpoints (stable 2026-11-01 model): one row per entry of
 * properties.messaging.endpoints and properties.provisioning.endpoints, with what the client
 * wrote and the linking state the sandbox keeps for it. The hubs and DPS instances themselves
 * are the topology's; linking writes their namespace there (cb-sb-adr-linking.c). And its
 * properties.management.endpoints, which link nothing: the set as the client wrote it, one row
 * per namespace. */

#include "config.h"

#include "cb-sb-adr-endpoint-store.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS adr_endpoints ("
  "  namespace_id TEXT NOT NULL COLLATE NOCASE,"
  "  kind TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  endpoint_type TEXT NOT NULL,"
  "  resource_id TEXT NOT NULL,"
  "  identity_type TEXT,"
  "  user_identity TEXT,"
  "  availability TEXT,"
  "  allocation_weight INTEGER,"
  "  linking_state TEXT NOT NULL,"
  "  error_code TEXT,"
  "  error_message TEXT,"
  "  fault TEXT,"
  "  started INTEGER NOT NULL,"
  "  PRIMARY KEY (namespace_id, kind, name));"
  "CREATE TABLE IF NOT EXISTS adr_management_endpoints ("
  "  namespace_id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  endpoints TEXT NOT NULL);";

#define COLUMNS "namespace_id, kind, name, endpoint_type, resource_id, identity_type, " \
                "availability, allocation_weight, linking_state, error_code, error_message, " \
                "fault, started, user_identity"

gboolean
cb_sb_adr_endpoints_init (CbSandbox  *self,
                          GError    **error)
{
  return cb_sb_exec (self, schema, error);
}

void
cb_sb_endpoint_row_free (CbSbEndpointRow *row)
{
  if (row == NULL)
    return;

  g_free (row->namespace_id);
  g_free (row->kind);
  g_free (row->name);
  g_free (row->endpoint_type);
  g_free (row->resource_id);
  g_free (row->identity_type);
  g_free (row->user_identity);
  g_free (row->availability);
  g_free (row->linking_state);
  g_free (row->error_code);
  g_free (row->error_message);
  g_free (row->fault);
  g_free (row);
}

static GPtrArray *
read_rows (sqlite3_stmt *stmt)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_endpoint_row_free);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      CbSbEndpointRow *row = g_new0 (CbSbEndpointRow, 1);

      row->namespace_id = cb_sb_column_dup (stmt, 0);
      row->kind = cb_sb_column_dup (stmt, 1);
      row->name = cb_sb_column_dup (stmt, 2);
      row->endpoint_type = cb_sb_column_dup (stmt, 3);
      row->resource_id = cb_sb_column_dup (stmt, 4);
      row->identity_type = cb_sb_column_dup (stmt, 5);
      row->availability = cb_sb_column_dup (stmt, 6);
      row->allocation_weight = sqlite3_column_type (stmt, 7) == SQLITE_NULL
                               ? -1 : sqlite3_column_int64 (stmt, 7);
      row->linking_state = cb_sb_column_dup (stmt, 8);
      row->error_code = cb_sb_column_dup (stmt, 9);
      row->error_message = cb_sb_column_dup (stmt, 10);
      row->fault = cb_sb_column_dup (stmt, 11);
      row->started = sqlite3_column_int64 (stmt, 12);
      row->user_identity = cb_sb_column_dup (stmt, 13);
      g_ptr_array_add (rows, row);
    }
  cb_sb_stmt_done (stmt);

  return rows;
}

GPtrArray *
cb_sb_adr_endpoints_list (CbSandbox  *self,
                          const char *namespace_id,
                          const char *kind)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT " COLUMNS " FROM adr_endpoints WHERE namespace_id = ?1 "
      "  AND (?2 IS NULL OR kind = ?2) ORDER BY kind, name");

  cb_sb_bind_text (stmt, 1, namespace_id);
  cb_sb_bind_text (stmt, 2, kind);
  return read_rows (stmt);
}

GPtrArray *
cb_sb_adr_endpoints_linking (CbSandbox *self)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT " COLUMNS " FROM adr_endpoints WHERE linking_state = '"
      CB_SB_LINKING_IN_PROGRESS "' ORDER BY started");

  return read_rows (stmt);
}

gboolean
cb_sb_adr_endpoint_save (CbSandbox             *self,
                         const CbSbEndpointRow *row,
                         GError               **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT OR REPLACE INTO adr_endpoints (" COLUMNS ") "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

  cb_sb_bind_text (stmt, 1, row->namespace_id);
  cb_sb_bind_text (stmt, 2, row->kind);
  cb_sb_bind_text (stmt, 3, row->name);
  cb_sb_bind_text (stmt, 4, row->endpoint_type);
  cb_sb_bind_text (stmt, 5, row->resource_id);
  cb_sb_bind_text (stmt, 6, row->identity_type);
  cb_sb_bind_text (stmt, 7, row->availability);
  if (row->allocation_weight >= 0)
    sqlite3_bind_int64 (stmt, 8, row->allocation_weight);
  else
    sqlite3_bind_null (stmt, 8);
  cb_sb_bind_text (stmt, 9, row->linking_state);
  cb_sb_bind_text (stmt, 10, row->error_code);
  cb_sb_bind_text (stmt, 11, row->error_message);
  cb_sb_bind_text (stmt, 12, row->fault);
  sqlite3_bind_int64 (stmt, 13, row->started);
  cb_sb_bind_text (stmt, 14, row->user_identity);

  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_endpoint_set_linking (CbSandbox   *self,
                                const char  *namespace_id,
                                const char  *kind,
                                const char  *name,
                                const char  *state,
                                const char  *code,
                                const char  *message,
                                GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "UPDATE adr_endpoints SET linking_state = ?, error_code = ?, error_message = ? "
      "WHERE namespace_id = ? AND kind = ? AND name = ?");

  cb_sb_bind_text (stmt, 1, state);
  cb_sb_bind_text (stmt, 2, code);
  cb_sb_bind_text (stmt, 3, message);
  cb_sb_bind_text (stmt, 4, namespace_id);
  cb_sb_bind_text (stmt, 5, kind);
  cb_sb_bind_text (stmt, 6, name);

  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_endpoint_delete (CbSandbox   *self,
                           const char  *namespace_id,
                           const char  *kind,
                           const char  *name,
                           GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "DELETE FROM adr_endpoints WHERE namespace_id = ? AND kind = ? AND name = ?");

  cb_sb_bind_text (stmt, 1, namespace_id);
  cb_sb_bind_text (stmt, 2, kind);
  cb_sb_bind_text (stmt, 3, name);

  return cb_sb_step_done (self, stmt, error);
}

char *
cb_sb_adr_management_endpoints (CbSandbox  *self,
                                const char *namespace_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT endpoints FROM adr_management_endpoints WHERE namespace_id = ?");
  char *text = NULL;

  cb_sb_bind_text (stmt, 1, namespace_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  return text;
}

gboolean
cb_sb_adr_management_endpoints_set (CbSandbox   *self,
                                    const char  *namespace_id,
                                    const char  *endpoints,
                                    GError     **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  if (endpoints == NULL)
    stmt = cb_sb_prepare (self, "DELETE FROM adr_management_endpoints WHERE namespace_id = ?");
  else
    stmt = cb_sb_prepare (self, "INSERT OR REPLACE INTO adr_management_endpoints "
                                "(namespace_id, endpoints) VALUES (?, ?)");
  cb_sb_bind_text (stmt, 1, namespace_id);
  if (endpoints != NULL)
    cb_sb_bind_text (stmt, 2, endpoints);

  return cb_sb_step_done (self, stmt, error);
}
