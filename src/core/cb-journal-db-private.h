/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include <glib.h>

#include "cb-journal-scrub.h"

G_BEGIN_DECLS

/* Private to the journal: its SQLite connection, helpers and schema (cb-journal-db.c). Errors
 * are CB_JOURNAL_ERROR_DATABASE (NEWER_SCHEMA for a journal from a newer Certbench). */

/* A step's id: its run's id and its index (below 2^16) in one number, as step_view gives it. */
#define CB_JOURNAL_STEP_ID(run_id, idx) ((run_id) * 65536 + (idx))
#define CB_JOURNAL_STEP_ID_RUN(step_id) ((step_id) / 65536)
#define CB_JOURNAL_STEP_ID_INDEX(step_id) ((step_id) % 65536)

/* Opens path read-write (creating it) in WAL mode with foreign keys and recursive triggers. */
sqlite3      *cb_journal_db_open          (const char    *path,
                                           GError       **error);
/* Creates the tables, or migrates older ones, in one transaction. */
gboolean      cb_journal_db_ensure_schema (sqlite3       *db,
                                           GError       **error);

/* Sets "Journal: <what> failed: <SQLite's message>"; returns FALSE. */
gboolean      cb_journal_db_set_error     (GError       **error,
                                           sqlite3       *db,
                                           const char    *what);
gboolean      cb_journal_db_exec          (sqlite3       *db,
                                           const char    *sql,
                                           GError       **error);
sqlite3_stmt *cb_journal_db_prepare       (sqlite3       *db,
                                           const char    *sql,
                                           GError       **error);
void          cb_journal_db_finalize      (sqlite3_stmt  *stmt);
/* Binds a string, storing NULL for NULL or empty text. Not copied: the text must live until
 * the statement has been stepped and reset (cb_journal_db_release clears the bindings). */
void          cb_journal_db_bind_text     (sqlite3_stmt  *stmt,
                                           int            index,
                                           const char    *text);
/* The same after cb_journal_scrub(); the scrubbed copy is the statement's. */
void          cb_journal_db_bind_scrubbed (sqlite3_stmt  *stmt,
                                           int            index,
                                           const char    *text);
char         *cb_journal_db_column_dup    (sqlite3_stmt  *stmt,
                                           int            column);

/* Statements a connection keeps prepared for its life, so the per-run writes do not parse
 * their SQL again (a station journals a dozen rows per device). Each call site has a slot of
 * its own (a pointer in the connection's owner, finalized before the connection closes), so
 * finding the statement costs no lookup by its text. */
/* The statement in @slot, prepared (SQLITE_PREPARE_PERSISTENT) the first time; borrowed: hand
 * it back with cb_journal_db_release() (or g_autoptr(CbJournalDbCachedStmt)), which resets it
 * and clears its bindings. */
sqlite3_stmt *cb_journal_db_prepare_cached (sqlite3_stmt **slot,
                                            sqlite3       *db,
                                            const char    *sql,
                                            GError       **error);
typedef sqlite3_stmt CbJournalDbCachedStmt;
void          cb_journal_db_release       (CbJournalDbCachedStmt *stmt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, cb_journal_db_finalize)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbJournalDbCachedStmt, cb_journal_db_release)

G_END_DECLS
