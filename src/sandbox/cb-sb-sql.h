/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: small SQLite helpers for the store's cached statements (binding text,
 * stepping a write, resetting). They belong next to cb_sb_prepare in cb-sb-store.h; they live
 * here until that header's owner takes them. */

#include <sqlite3.h>
#include "cb-sb-store.h"

G_BEGIN_DECLS

/* Cached statements are shared: reset them as soon as a result is read, and never step the
 * same SQL text in a nested call. */
static inline void
cb_sb_stmt_done (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

static inline void
cb_sb_bind_text (sqlite3_stmt *stmt,
                 int           col,
                 const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, col);
  else
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_TRANSIENT);
}

/* Steps a statement that returns no rows we need, resets it. */
static inline gboolean
cb_sb_step_done (CbSandbox     *self,
                 sqlite3_stmt  *stmt,
                 GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      cb_sb_set_sqlite_error (self, error);
      cb_sb_stmt_done (stmt);
      return FALSE;
    }

  cb_sb_stmt_done (stmt);
  return TRUE;
}

static inline void
cb_sb_bind_bytes (sqlite3_stmt *stmt,
                  int           col,
                  GBytes       *bytes)
{
  gsize len = 0;
  const guint8 *data;

  if (bytes == NULL)
    {
      sqlite3_bind_null (stmt, col);
      return;
    }

  data = g_bytes_get_data (bytes, &len);
  sqlite3_bind_blob (stmt, col, data, (int) len, SQLITE_TRANSIENT);
}

/* The blob of column col, or NULL. */
static inline GBytes *
cb_sb_column_bytes (sqlite3_stmt *stmt,
                    int           col)
{
  if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
    return NULL;

  return g_bytes_new (sqlite3_column_blob (stmt, col), sqlite3_column_bytes (stmt, col));
}

G_END_DECLS
