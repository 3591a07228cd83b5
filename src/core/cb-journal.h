/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-journal-result.h"
#include "cb-journal-run.h"
#include "cb-journal-scrub.h"
#include "cb-journal-step.h"

G_BEGIN_DECLS

/* The station journal: one record per provisioning run and per step, in SQLite (WAL), append
 * only. A run's start, its device identity, each step's start and end, and the run's end are
 * separate inserted rows; triggers refuse UPDATE and DELETE on every journal table, so a record,
 * once written, stays as it was written.
 *
 * Opening a journal marks runs whose owning process is gone (crash, kill, power cut) and that
 * never got an end row as "interrupted", naming the step they were in.
 *
 * Nothing in this API can carry a key, a token or a SAS key: only names, serials, fingerprints,
 * dates, results and human-readable error text (which is scrubbed of anything that looks like a
 * credential before it is stored). */


/* ---- Writing -------------------------------------------------------------------------- */

/* What is known when a run starts. Any field may be NULL. */
typedef struct
{
  const char *station;
  const char *operator_name;
  const char *port;
  const char *profile;
  const char *policy;
} CbJournalRunStart;

/* What identify and the registration-id template found out. */
typedef struct
{
  const char *serial;
  const char *model;
  const char *firmware;
  const char *registration_id;
} CbJournalDevice;

/* How a run ended. result is PASS, FAIL or CANCELLED. */
typedef struct
{
  CbJournalResult  result;
  const char      *failed_step;
  const char      *error;
  const char      *hub;
  const char      *device_id;
  const char      *leaf_serial;
  const char      *leaf_fingerprint;
  gint64           not_before;      /* unix seconds, 0: unknown */
  gint64           not_after;
} CbJournalRunEnd;

/* Filters for listing and export. Zero/NULL fields do not filter. */
typedef struct
{
  gint64           started_after;   /* unix microseconds, inclusive */
  gint64           started_before;  /* unix microseconds, exclusive */
  CbJournalResult  result;          /* NONE: any result */
  gboolean         only_running;    /* only runs without an end row */
  const char      *device_serial;
  const char      *registration_id; /* compared case-insensitively, as DPS does */
  const char      *port;
  guint            limit;           /* 0: no limit */
  guint            offset;
} CbJournalFilter;

typedef enum
{
  CB_JOURNAL_EXPORT_CSV,         /* one row per run (RFC 4180) */
  CB_JOURNAL_EXPORT_CSV_STEPS,   /* one row per step, with the run's uuid, serial and id */
  CB_JOURNAL_EXPORT_JSON,        /* an array of runs, each with its steps */
} CbJournalExportFormat;

#define CB_TYPE_JOURNAL (cb_journal_get_type ())
G_DECLARE_FINAL_TYPE (CbJournal, cb_journal, CB, JOURNAL, GObject)

/* $XDG_DATA_HOME/certbench/journal.sqlite */
char            *cb_journal_dup_default_path     (void);

/* Opens (creating it 0600 in a 0700 folder when missing) and marks interrupted runs. Writes are
 * synchronous and small (a few hundred microseconds each in WAL mode); listing and export may be
 * large, so they also come as _async variants that read on a worker thread with a connection of
 * their own. Several processes may share one journal file. */
CbJournal       *cb_journal_open                 (const char              *path,
                                                  GError                 **error);
const char      *cb_journal_get_path             (CbJournal               *self);
/* Runs this open marked as interrupted. */
guint            cb_journal_get_n_recovered      (CbJournal               *self);

/* Returns the new run's id (> 0), or 0 with error. */
gint64           cb_journal_begin_run            (CbJournal               *self,
                                                  const CbJournalRunStart *start,
                                                  GError                 **error);
gboolean         cb_journal_set_device           (CbJournal               *self,
                                                  gint64                   run_id,
                                                  const CbJournalDevice   *device,
                                                  GError                 **error);
/* started: unix microseconds (0: now). Returns the step id (> 0), or 0 with error. */
gint64           cb_journal_begin_step           (CbJournal               *self,
                                                  gint64                   run_id,
                                                  const char              *name,
                                                  gint64                   started,
                                                  GError                 **error);
/* result: PASS, FAIL, CANCELLED or SKIPPED. ended 0: now. */
gboolean         cb_journal_end_step             (CbJournal               *self,
                                                  gint64                   step_id,
                                                  CbJournalResult          result,
                                                  const char              *error_message,
                                                  const char              *detail,
                                                  gint64                   ended,
                                                  GError                 **error);
gboolean         cb_journal_end_run              (CbJournal               *self,
                                                  gint64                   run_id,
                                                  const CbJournalRunEnd   *end,
                                                  GError                 **error);

/* Writes made back to back between these two go in one transaction: one commit instead of
 * one per row. Only for writes with no waiting between them (a step's end and the next
 * step's start; a run's log and its end), so a process killed at any moment loses no row a
 * commit per row would have kept. Batches nest (the outermost commits). A batch that cannot
 * start leaves each write committing on its own; end returns FALSE when the commit failed,
 * and the batch's rows are then not written. */
void             cb_journal_batch_begin          (CbJournal               *self);
gboolean         cb_journal_batch_end            (CbJournal               *self,
                                                  GError                 **error);

/* Opens a batch that ends by itself when the thread-default main context next turns: writes
 * made from now until the current dispatch returns (and any other dispatch of the same
 * iteration) go in one transaction, committed by a high-priority idle before the loop waits
 * again. For a caller whose writes come in bursts between waits, like a run: a step's end,
 * the next step's start, the rows a step makes without waiting, and other runs' rows of the
 * same turn, so the rows of each wait are committed when the wait begins. Does nothing when
 * one is open already. cb_journal_flush() commits it at once (before telling anyone that
 * the rows are there); the journal's finalize commits one still open. */
void             cb_journal_defer_commit         (CbJournal               *self);
gboolean         cb_journal_flush                (CbJournal               *self,
                                                  GError                 **error);

/* Stores the run's protocol log, once per run. Give it only text from cb_protocol_log_to_text,
 * which has redacted every secret already. ALREADY_ENDED when the run has one already. */
gboolean         cb_journal_add_protocol_log     (CbJournal               *self,
                                                  gint64                   run_id,
                                                  const char              *log,
                                                  GError                 **error);

/* ---- A leaf whose commit answer was lost ---------------------------------------------- */

/* The device received the commit but the station never heard back: the leaf was sent, whether
 * the device installed it is known only after a read-back of its chain. */
typedef enum
{
  CB_JOURNAL_LEAF_NONE,            /* no record: the commit's answer came back */
  CB_JOURNAL_LEAF_SENT,            /* outcome unknown */
  CB_JOURNAL_LEAF_INSTALLED,       /* a read-back found it active */
  CB_JOURNAL_LEAF_NOT_INSTALLED,   /* a read-back found another chain (the previous one) */
} CbJournalLeafState;

/* Only public facts of the leaf. */
typedef struct
{
  const char *device_serial;
  const char *leaf_serial;
  const char *leaf_fingerprint;
  gint64      not_before;         /* unix seconds, 0: unknown */
  gint64      not_after;
} CbJournalLeaf;

gboolean           cb_journal_leaf_sent         (CbJournal            *self,
                                                 gint64                run_id,
                                                 const CbJournalLeaf  *leaf,
                                                 GError              **error);
/* state: INSTALLED or NOT_INSTALLED. NOT_FOUND when the run has no sent leaf. */
gboolean           cb_journal_resolve_leaf      (CbJournal            *self,
                                                 gint64                run_id,
                                                 CbJournalLeafState    state,
                                                 GError              **error);
/* The newest state of run_id's leaf (NONE: no record, or error set). */
CbJournalLeafState cb_journal_get_leaf_state    (CbJournal            *self,
                                                 gint64                run_id,
                                                 GError              **error);
/* The newest still unresolved sent leaf of a device: returns its run id and sets
 * leaf_fingerprint, or 0 (none, or error set). */
gint64             cb_journal_find_sent_leaf    (CbJournal            *self,
                                                 const char           *device_serial,
                                                 char                **leaf_fingerprint,
                                                 GError              **error);

/* ---- Reading -------------------------------------------------------------------------- */

/* Newest first. Returns: (element-type CbJournalRun) (transfer full) */
GPtrArray       *cb_journal_list_runs            (CbJournal               *self,
                                                  const CbJournalFilter   *filter,
                                                  GError                 **error);
void             cb_journal_list_runs_async      (CbJournal               *self,
                                                  const CbJournalFilter   *filter,
                                                  GCancellable            *cancellable,
                                                  GAsyncReadyCallback      callback,
                                                  gpointer                 user_data);
GPtrArray       *cb_journal_list_runs_finish     (CbJournal               *self,
                                                  GAsyncResult            *result,
                                                  GError                 **error);
/* One run with its steps (in order). */
CbJournalRun    *cb_journal_get_run              (CbJournal               *self,
                                                  gint64                   run_id,
                                                  GError                 **error);

G_END_DECLS
