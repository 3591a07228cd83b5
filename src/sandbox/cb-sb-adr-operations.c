/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The rows of ARM's long-running operations (table adr_operations): what each operation does
 * (kind, target, args), who started it, when it is ready, and how it ended. The engine that
 * starts and completes them is cb-sb-lro.c. */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-operations.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"

static const char *schema =
  "CREATE TABLE IF NOT EXISTS adr_operations ("
  "  id TEXT PRIMARY KEY,"
  "  subscription TEXT NOT NULL COLLATE NOCASE,"
  "  location TEXT NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  target TEXT NOT NULL,"
  "  resource_id TEXT NOT NULL,"
  "  args TEXT,"
  "  prev_state TEXT,"
  "  final_kind INTEGER NOT NULL,"
  "  status TEXT NOT NULL,"
  "  fail INTEGER NOT NULL DEFAULT 0,"
  "  start_usec INTEGER NOT NULL,"
  "  ready_usec INTEGER NOT NULL,"
  "  end_usec INTEGER,"
  "  error_code TEXT,"
  "  error_message TEXT,"
  "  error_http INTEGER,"
  "  operation_name TEXT,"
  "  caller TEXT,"
  "  caller_id TEXT,"
  "  correlation_id TEXT);"
  "CREATE INDEX IF NOT EXISTS adr_operations_due ON adr_operations (status, ready_usec);";

gboolean
cb_sb_adr_operations_init (CbSandbox  *self,
                           GError    **error)
{
  return cb_sb_exec (self, schema, error);
}

void
cb_sb_operation_clear (CbSbOperation *op)
{
  g_free (op->id);
  g_free (op->subscription);
  g_free (op->location);
  g_free (op->kind);
  g_free (op->target);
  g_free (op->resource_id);
  g_free (op->args);
  g_free (op->prev_state);
  g_free (op->status);
  g_free (op->error_code);
  g_free (op->error_message);
  g_free (op->operation_name);
  g_free (op->caller);
  g_free (op->caller_id);
  g_free (op->correlation_id);
  memset (op, 0, sizeof *op);
}

gboolean
cb_sb_adr_insert_operation (CbSandbox           *self,
                            const CbSbOperation *op)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_operations (id, subscription, location, kind, target, "
                        "  resource_id, args, prev_state, final_kind, status, fail, start_usec, "
                        "  ready_usec, operation_name, caller, caller_id, correlation_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'InProgress', ?, ?, ?, ?, ?, ?, ?)");
  cb_sb_bind_text (stmt, 1, op->id);
  cb_sb_bind_text (stmt, 2, op->subscription);
  cb_sb_bind_text (stmt, 3, op->location);
  cb_sb_bind_text (stmt, 4, op->kind);
  cb_sb_bind_text (stmt, 5, op->target);
  cb_sb_bind_text (stmt, 6, op->resource_id);
  cb_sb_bind_text (stmt, 7, op->args);
  cb_sb_bind_text (stmt, 8, op->prev_state);
  sqlite3_bind_int (stmt, 9, op->final_kind);
  sqlite3_bind_int (stmt, 10, op->fail ? 1 : 0);
  sqlite3_bind_int64 (stmt, 11, op->start_usec);
  sqlite3_bind_int64 (stmt, 12, op->ready_usec);
  cb_sb_bind_text (stmt, 13, op->operation_name);
  cb_sb_bind_text (stmt, 14, op->caller);
  cb_sb_bind_text (stmt, 15, op->caller_id);
  cb_sb_bind_text (stmt, 16, op->correlation_id);
  return cb_sb_step_done (self, stmt, NULL);
}

GPtrArray *
cb_sb_adr_due_operations (CbSandbox *self,
                          gint64     now_usec)
{
  GPtrArray *due = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT id FROM adr_operations WHERE status = 'InProgress' "
                        "  AND ready_usec <= ? ORDER BY ready_usec, rowid");
  sqlite3_bind_int64 (stmt, 1, now_usec);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (due, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  return due;
}

gboolean
cb_sb_adr_operation_pending (CbSandbox  *self,
                             const char *target)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean pending;

  stmt = cb_sb_prepare (self,
                        "SELECT 1 FROM adr_operations WHERE status = 'InProgress' "
                        "  AND target = ? LIMIT 1");
  sqlite3_bind_text (stmt, 1, target, -1, SQLITE_TRANSIENT);
  pending = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);

  return pending;
}

gboolean
cb_sb_adr_get_operation (CbSandbox     *self,
                         const char    *op_id,
                         const char    *subscription,
                         gboolean       in_progress,
                         CbSbOperation *op)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  memset (op, 0, sizeof *op);
  stmt = cb_sb_prepare (self,
                        "SELECT id, subscription, location, kind, target, resource_id, args, "
                        "  prev_state, final_kind, status, fail, start_usec, ready_usec, "
                        "  end_usec, error_code, error_message, error_http, operation_name, "
                        "  caller, caller_id, correlation_id "
                        "FROM adr_operations WHERE id = ?1 "
                        "  AND (?2 IS NULL OR subscription = ?2) "
                        "  AND (NOT ?3 OR status = 'InProgress')");
  cb_sb_bind_text (stmt, 1, op_id);
  cb_sb_bind_text (stmt, 2, subscription);
  sqlite3_bind_int (stmt, 3, in_progress ? 1 : 0);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      op->id = cb_sb_column_dup (stmt, 0);
      op->subscription = cb_sb_column_dup (stmt, 1);
      op->location = cb_sb_column_dup (stmt, 2);
      op->kind = cb_sb_column_dup (stmt, 3);
      op->target = cb_sb_column_dup (stmt, 4);
      op->resource_id = cb_sb_column_dup (stmt, 5);
      op->args = cb_sb_column_dup (stmt, 6);
      op->prev_state = cb_sb_column_dup (stmt, 7);
      op->final_kind = sqlite3_column_int (stmt, 8);
      op->status = cb_sb_column_dup (stmt, 9);
      op->fail = sqlite3_column_int (stmt, 10) != 0;
      op->start_usec = sqlite3_column_int64 (stmt, 11);
      op->ready_usec = sqlite3_column_int64 (stmt, 12);
      op->end_usec = sqlite3_column_int64 (stmt, 13);
      op->error_code = cb_sb_column_dup (stmt, 14);
      op->error_message = cb_sb_column_dup (stmt, 15);
      op->error_http = sqlite3_column_int (stmt, 16);
      op->operation_name = cb_sb_column_dup (stmt, 17);
      op->caller = cb_sb_column_dup (stmt, 18);
      op->caller_id = cb_sb_column_dup (stmt, 19);
      op->correlation_id = cb_sb_column_dup (stmt, 20);
    }
  cb_sb_stmt_done (stmt);

  return op->id != NULL;
}

gboolean
cb_sb_adr_finish_operation (CbSandbox  *self,
                            const char *op_id,
                            gboolean    ok,
                            gint64      end_usec,
                            const char *error_code,
                            const char *error_message,
                            guint       error_http)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "UPDATE adr_operations SET status = ?, end_usec = ?, error_code = ?, "
                        "  error_message = ?, error_http = ? WHERE id = ?");
  cb_sb_bind_text (stmt, 1, ok ? "Succeeded" : "Failed");
  sqlite3_bind_int64 (stmt, 2, end_usec);
  cb_sb_bind_text (stmt, 3, error_code);
  cb_sb_bind_text (stmt, 4, error_message);
  sqlite3_bind_int (stmt, 5, error_http);
  cb_sb_bind_text (stmt, 6, op_id);
  return cb_sb_step_done (self, stmt, NULL);
}
