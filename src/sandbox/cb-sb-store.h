/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: the SQLite store (cached statements, nested transactions, the lock),
 * small persistent settings, in-memory module state and private key files. */

#include <sqlite3.h>
#include "cb-sb-world.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/* ---- Store (SQLite, WAL) -------------------------------------------------------------- */

/* Opens <data>/sandbox.db (created 0600) and creates the meta table; the assembly calls it at
 * start, then each table owner's init. */
gboolean      cb_sb_store_open            (CbSandbox   *self,
                                           GError     **error);
void          cb_sb_store_close           (CbSandbox   *self);

/* Returns a cached, reset statement for sql. Do not finalize it. */
sqlite3_stmt *cb_sb_prepare               (CbSandbox   *self,
                                           const char  *sql);
/* A cached statement, reset when the variable goes out of scope:
 *   g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT …");
 * A statement left mid-result (it returned a row and was not stepped to the end) keeps the
 * connection in a read transaction: the WAL can never be checkpointed and grows, and a write
 * after another connection's write fails with "database is locked". Before pointing the
 * variable at another statement, release the first one (cb_sb_stmt_release). */
typedef sqlite3_stmt CbSbStmt;
void          cb_sb_stmt_release          (CbSbStmt    *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSbStmt, cb_sb_stmt_release)
/* Complains (g_critical, naming the SQL) about every statement still mid-result and resets
 * it. Called when a request or an MQTT packet has been handled: nothing may stay open then. */
void          cb_sb_check_statements      (CbSandbox   *self,
                                           const char  *where);
gboolean      cb_sb_exec                  (CbSandbox   *self,
                                           const char  *sql,
                                           GError     **error);
/* Transactions nest (SAVEPOINTs): a cross-module function may begin/commit its own, and the
 * seed can still wrap hundreds of them in one. */
gboolean      cb_sb_begin                 (CbSandbox   *self);
gboolean      cb_sb_commit                (CbSandbox   *self);
void          cb_sb_rollback              (CbSandbox   *self);
/* A counter that moves whenever a watched table is written or a transaction or savepoint is
 * rolled back: a cache of those tables' rows is current while it has not moved. */
void          cb_sb_store_watch_table     (CbSandbox   *self,
                                           const char  *table);
guint64       cb_sb_store_generation      (CbSandbox   *self);
/* Request handlers run with this (recursive) lock held. Code that touches the store from
 * another thread (tests calling module functions directly while the server runs in its own
 * thread) takes it around the call. */
void          cb_sb_lock             (CbSandbox   *self);
/* The lock without the hook: the router's, which runs the hook itself when the request
 * does not join the group commit (cb-sb-router.c). */
void          cb_sb_lock_request     (CbSandbox   *self);
/* A function cb_sb_lock calls once it holds the lock (one per sandbox). */
typedef void (*CbSbLockHook) (CbSandbox *self);
void          cb_sb_set_lock_hook    (CbSandbox   *self,
                                      CbSbLockHook hook);
void          cb_sb_unlock           (CbSandbox   *self);
/* Sets a GError from the last SQLite failure. */
void          cb_sb_set_sqlite_error      (CbSandbox   *self,
                                           GError     **error);
/* The text of column col, duplicated, or NULL. */
char         *cb_sb_column_dup            (sqlite3_stmt *stmt,
                                           int          col);

/* Small persistent settings (tenant id, default principal, demo description). */
char         *cb_sb_dup_meta         (CbSandbox   *self,
                                      const char  *key);
gboolean      cb_sb_set_meta         (CbSandbox   *self,
                                      const char  *key,
                                      const char  *value);

/* Module state that is not persisted. The table the sandbox keeps it in (module name ->
 * data, freed with its destroy function). */
GHashTable   *cb_sb_module_data_new       (void);
gpointer      cb_sb_get_module_data  (CbSandbox   *self,
                                      const char  *module);
void          cb_sb_set_module_data  (CbSandbox   *self,
                                      const char  *module,
                                      gpointer     data,
                                      GDestroyNotify destroy);

/* Private key files under <data>/keys/, 0600 in a 0700 folder. Returns the file's base name
 * to keep in the database. */
char         *cb_sb_store_key             (CbSandbox   *self,
                                           CbKey       *key,
                                           GError     **error);
CbKey        *cb_sb_load_key              (CbSandbox   *self,
                                           const char  *key_ref,
                                           GError     **error);
void          cb_sb_delete_key            (CbSandbox   *self,
                                           const char  *key_ref);

G_END_DECLS
