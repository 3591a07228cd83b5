/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "cb-journal.h"

G_BEGIN_DECLS

/* The write path's prepared statements, a slot each (cb_journal_db_prepare_cached). */
typedef enum
{
  CB_JOURNAL_STMT_BEGIN,
  CB_JOURNAL_STMT_COMMIT,
  CB_JOURNAL_STMT_BEGIN_RUN,
  CB_JOURNAL_STMT_SET_DEVICE,
  CB_JOURNAL_STMT_NEXT_STEP,
  CB_JOURNAL_STMT_BEGIN_STEP,
  CB_JOURNAL_STMT_END_STEP,
  CB_JOURNAL_STMT_END_RUN,
  CB_JOURNAL_STMT_PROTOCOL_LOG,
  CB_JOURNAL_STMT_LEAF_SENT,
  CB_JOURNAL_STMT_RESOLVE_LEAF,
  CB_JOURNAL_STMT_LEAF_STATE,
  CB_JOURNAL_STMT_FIND_SENT_LEAF,
  CB_JOURNAL_N_STMTS
} CbJournalStmt;

/* The journal's fields and its readers, shared by cb-journal.c (the store: writes, recovery,
 * reads) and cb-journal-export.c (CSV and JSON export on a worker thread). */

struct _CbJournal
{
  GObject  parent_instance;

  /* Owned */
  char    *path;
  sqlite3 *db;
  /* The write path's prepared statements on db, by CbJournalStmt */
  sqlite3_stmt *statements[CB_JOURNAL_N_STMTS];
  guint    n_recovered;
  /* Run id (gint64 *) → the index its next step takes + 1, for the runs whose steps this
   * connection numbered: a station's run asks once, not at every step. Emptied when a write
   * or a batch fails (a rolled-back step must not leave its number taken). */
  GHashTable *next_step;
  /* cb_journal_batch_begin() nesting, and whether the outermost opened a transaction */
  guint    batch_depth;
  gboolean batch_open;
  /* cb_journal_defer_commit()'s idle, while its batch is open */
  GSource *deferred;
  /* What begin_run records of this process, read from /proc once per process (owner_pid) */
  char    *owner_boot;
  gint64   owner_start;
  int      owner_pid;
};

/* Filters own their strings while a worker thread reads with them. */
typedef struct
{
  CbJournalFilter        filter;
  char                  *path;
  CbJournalExportFormat  format;
  GOutputStream         *stream;
} CbJournalQueryData;

CbJournalQueryData *_cb_journal_query_data_new  (CbJournal             *self,
                                                 const CbJournalFilter *filter);
void                _cb_journal_query_data_free (CbJournalQueryData    *data);

/* Runs matching @filter, newest first, and a run's steps in order, read on @db (the journal's
 * own connection or a worker thread's). */
GPtrArray          *_cb_journal_list_runs_on    (sqlite3               *db,
                                                 const CbJournalFilter *filter,
                                                 GError               **error);
GPtrArray          *_cb_journal_list_steps_on   (sqlite3               *db,
                                                 gint64                 run_id,
                                                 GError               **error);

G_END_DECLS
