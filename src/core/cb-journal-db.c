/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-journal"

/* The journal's SQLite: a connection set up for many writers (WAL, busy timeout), the small
 * helpers every query uses, and the schema with its migrations (version 1: runs and steps;
 * 2: protocol logs; 3: leaf states; 4: a run's rows keyed by what they belong to; 5: no unique
 * index on a run's uuid, a step's records keyed by a rowid; 6: a step record's run checked by
 * its one insert trigger, which fails the statement without a statement journal), every table
 * append-only by trigger. */

#include "config.h"

#include "cb-journal-db-private.h"
#include "cb-journal-vfs-private.h"

#define SCHEMA_VERSION 6
#define BUSY_TIMEOUT_MS 10000

gboolean
cb_journal_db_set_error (GError     **error,
                         sqlite3     *db,
                         const char  *what)
{
  g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_DATABASE,
               "Journal: %s failed: %s", what, sqlite3_errmsg (db));
  return FALSE;
}

gboolean
cb_journal_db_exec (sqlite3     *db,
                    const char  *sql,
                    GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_DATABASE,
                   "Journal: %s", message != NULL ? message : sqlite3_errmsg (db));
      sqlite3_free (message);
      return FALSE;
    }

  return TRUE;
}

void
cb_journal_db_finalize (sqlite3_stmt *stmt)
{
  sqlite3_finalize (stmt);
}

sqlite3_stmt *
cb_journal_db_prepare (sqlite3     *db,
                       const char  *sql,
                       GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      cb_journal_db_set_error (error, db, "preparing a statement");
      return NULL;
    }

  return stmt;
}

sqlite3_stmt *
cb_journal_db_prepare_cached (sqlite3_stmt **slot,
                              sqlite3       *db,
                              const char    *sql,
                              GError       **error)
{
  if (*slot != NULL)
    return *slot;

  if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK)
    {
      *slot = NULL;
      cb_journal_db_set_error (error, db, "preparing a statement");
      return NULL;
    }

  return *slot;
}

/* A reset statement holds no read transaction and no bound text of the last run. */
void
cb_journal_db_release (CbJournalDbCachedStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

/* Binds a string, storing NULL for NULL or empty text. Not copied: every caller steps the
 * statement while the text lives, and resets it (which clears its bindings) before it reads
 * another. */
void
cb_journal_db_bind_text (sqlite3_stmt *stmt,
                         int           index,
                         const char   *text)
{
  if (text == NULL || *text == '\0')
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

/* The scrubbed copy is the statement's, freed when the binding goes. */
void
cb_journal_db_bind_scrubbed (sqlite3_stmt *stmt,
                             int           index,
                             const char   *text)
{
  char *clean = cb_journal_scrub (text);

  if (clean == NULL || *clean == '\0')
    {
      g_free (clean);
      sqlite3_bind_null (stmt, index);
    }
  else
    sqlite3_bind_text (stmt, index, clean, -1, g_free);
}

char *
cb_journal_db_column_dup (sqlite3_stmt *stmt,
                          int           column)
{
  const unsigned char *text = sqlite3_column_text (stmt, column);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

sqlite3 *
cb_journal_db_open (const char  *path,
                    GError     **error)
{
  sqlite3 *db = NULL;

  /* NOMUTEX: a connection is used by one thread at a time (the journal's own on its owner's
   * thread, a reader's on its worker), so SQLite need not lock it at every call. */
  if (sqlite3_open_v2 (path, &db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       cb_journal_vfs_name ()) != SQLITE_OK)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_DATABASE,
                   "Could not open the journal %s: %s", path,
                   db != NULL ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return NULL;
    }

  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (db, 1);

  /* WAL lets the app's list and export read while runs write; NORMAL sync is durable across
   * a process crash (which is what a bench sees), and loses at most the last commits on power
   * loss, never corrupts. */
  if (!cb_journal_db_exec (db,
                 "PRAGMA journal_mode = WAL;"
                 "PRAGMA synchronous = NORMAL;"
                 "PRAGMA foreign_keys = ON;"
                 "PRAGMA recursive_triggers = ON;",
                 error))
    {
      sqlite3_close (db);
      return NULL;
    }

  return db;
}

/* ---- Schema and migrations --------------------------------------------------------------- */

/* Every table is append-only: a record is inserted once and never changed. recursive_triggers
 * makes INSERT OR REPLACE fire the delete trigger too, so REPLACE cannot sneak a change in.
 *
 * Version 1 made the runs table (unchanged since) and the rows a run writes, each table with
 * an id of its own and a unique index on what it belongs to; version 2 added the protocol
 * logs, 3 the leaf states. Version 4 keys each row a run writes by what it belongs to, one
 * b-tree per table: a run's device, end and log by the run's id (their rowid), a step's start
 * and end by (run id, index, ended), WITHOUT ROWID, in one table. A commit writes a page per
 * b-tree it touches, and a station commits a step's end with the next step's start at every
 * step of every device: 1 page instead of 4 (steps, their ends, and a UNIQUE index of each),
 * and a run's start, device and end 3 pages fewer.
 *
 * Version 5 keeps a run's uuid without a unique index: nothing looks a run up by it (the
 * exports print it), it is 122 random bits, and the index cost every run's first commit a page
 * at a random place in a b-tree as large as the runs table (and a read, once the journal
 * outgrows SQLite's cache). A journal of version 1 to 4 moves its runs into the new table
 * (rebuild_runs).
 *
 * owner_*: who owns the run while it has no end row, which lets a later open tell a crash
 * from a run that another process is still doing. */
#define RUNS_COLUMNS \
  "  id INTEGER PRIMARY KEY," \
  "  uuid TEXT NOT NULL," \
  "  started INTEGER NOT NULL," \
  "  station TEXT, operator_name TEXT, port TEXT, profile TEXT, policy TEXT," \
  "  owner_host TEXT, owner_boot TEXT, owner_pid INTEGER, owner_start INTEGER"

static const char runs_sql[] =
  "CREATE TABLE runs (" RUNS_COLUMNS ") STRICT;"
  "CREATE INDEX runs_started ON runs (started);";

static const char * const runs_tables[] = {
  "runs",
};

/* A step's start and its end are two rows of one table, keyed (run, index, ended), so the
 * end of a step and the start of the next, which a station commits together, land on one page.
 * A step's index is below 2^16: a step's id is its run's id and its index in one number
 * (CB_JOURNAL_STEP_ID), and a record's key is that id and whether it is the end in one number,
 * the table's rowid (schema 5; schema 4 had the three columns as the key of a WITHOUT ROWID
 * table). A station appends at the end of the key: SQLite adds a page to a full rowid leaf
 * and leaves the others, where an index b-tree's split rewrote the last three leaves and their
 * parent (10 pages a run instead of 6.6).
 *
 * A record's run is checked by the table's insert trigger (STEP_READERS_SQL), not by a foreign
 * key (schema 6): SQLite gives every statement on a table with an insert trigger a statement
 * journal (a savepoint, and a copy of each page it changes) as soon as anything in it may
 * abort, and an immediate foreign key counted in a statement with a trigger may; the trigger
 * fails the statement instead (RAISE (FAIL)), before the row is written, and the journal's own
 * inserts say OR FAIL, so nothing in them aborts (a station's run: 6 % fewer instructions,
 * 65 KiB less memory at a step row's peak). */
#define STEP_RECORDS_SQL(table) \
  "CREATE TABLE " table " (" \
  "  record_key INTEGER PRIMARY KEY," \
  "  run_id INTEGER NOT NULL," \
  "  idx INTEGER NOT NULL CHECK (idx BETWEEN 0 AND 65535)," \
  "  ended INTEGER NOT NULL CHECK (ended = 0 OR ended = 1)," \
  "  at INTEGER NOT NULL," \
  "  name TEXT," \
  "  result TEXT, error TEXT, detail TEXT," \
  "  CHECK (record_key = (run_id * 65536 + idx) * 2 + ended)," \
  "  CHECK (ended = 0 AND name IS NOT NULL AND result IS NULL AND error IS NULL AND " \
  "detail IS NULL OR ended = 1 AND name IS NULL AND (result = 'pass' OR result = 'fail' OR " \
  "result = 'cancelled' OR result = 'interrupted' OR result = 'skipped'))" \
  ") STRICT;"

/* A start names its step; an end has a result (compared one by one: SQLite evaluates
 * "IN (five constants)" by building a temporary b-tree of them at every insert). A step ends
 * once (the key) and only after it started; a start needs its run, and a run that has ended
 * takes no more steps: one trigger checks at the insert, a lookup by key each (one trigger:
 * SQLite runs each as a program of its own at every insert). It fails the statement
 * (RAISE (FAIL)): the row is not written, and a statement that wrote rows before it keeps them,
 * each of them checked the same way. Readers go through step_view; a run's steps are the keys
 * from run id × 131072 on. */
#define STEP_TRIGGER_SQL \
  "CREATE TRIGGER step_records_in_order BEFORE INSERT ON step_records " \
  "WHEN CASE NEW.ended WHEN 0 THEN " \
  "NOT EXISTS (SELECT 1 FROM runs WHERE id = NEW.run_id) OR " \
  "EXISTS (SELECT 1 FROM run_ends WHERE run_id = NEW.run_id) " \
  "ELSE NOT EXISTS (SELECT 1 FROM step_records " \
  "WHERE record_key = (NEW.run_id * 65536 + NEW.idx) * 2) END " \
  "BEGIN " \
  "SELECT RAISE (FAIL, 'no such run') WHERE NEW.ended = 0 AND " \
  "NOT EXISTS (SELECT 1 FROM runs WHERE id = NEW.run_id); " \
  "SELECT RAISE (FAIL, 'the run has ended') WHERE NEW.ended = 0; " \
  "SELECT RAISE (FAIL, 'no such step'); " \
  "END;"
#define STEP_READERS_SQL \
  STEP_TRIGGER_SQL \
  "CREATE VIEW step_view AS" \
  "  SELECT s.run_id * 65536 + s.idx AS id, s.run_id, s.idx, s.name, s.at AS started," \
  "         x.at AS ended, x.result, x.error, x.detail, s.record_key" \
  "  FROM step_records s" \
  "  LEFT JOIN step_records x ON x.record_key = s.record_key + 1" \
  "  WHERE s.ended = 0;"

static const char run_rows_sql[] =
  "CREATE TABLE run_devices ("
  "  run_id INTEGER PRIMARY KEY REFERENCES runs (id),"
  "  at INTEGER NOT NULL,"
  "  serial TEXT, model TEXT, firmware TEXT, registration_id TEXT"
  ") STRICT;"
  STEP_RECORDS_SQL ("step_records")
  "CREATE TABLE run_ends ("
  "  run_id INTEGER PRIMARY KEY REFERENCES runs (id),"
  "  ended INTEGER NOT NULL,"
  "  result TEXT NOT NULL CHECK (result = 'pass' OR result = 'fail' OR result = 'cancelled' "
  "OR result = 'interrupted'),"
  "  failed_step TEXT, error TEXT, hub TEXT, device_id TEXT,"
  "  leaf_serial TEXT, leaf_fingerprint TEXT, not_before INTEGER, not_after INTEGER"
  ") STRICT;"
  /* Each run's decoded protocol log (cb-protocol-log.h), written once at the run's end. */
  "CREATE TABLE run_protocol_logs ("
  "  run_id INTEGER PRIMARY KEY REFERENCES runs (id),"
  "  at INTEGER NOT NULL,"
  "  log TEXT NOT NULL"
  ") STRICT;";

#define RUN_VIEW_SQL \
  "CREATE VIEW run_view AS" \
  "  SELECT r.id, r.uuid, r.started, r.station, r.operator_name, r.port, r.profile, r.policy," \
  "         d.serial, d.model, d.firmware, d.registration_id," \
  "         e.ended, e.result, e.failed_step, e.error, e.hub, e.device_id," \
  "         e.leaf_serial, e.leaf_fingerprint, e.not_before, e.not_after" \
  "  FROM runs r" \
  "  LEFT JOIN run_devices d ON d.run_id = r.id" \
  "  LEFT JOIN run_ends e ON e.run_id = r.id;"

/* What reads and guards those tables. */
static const char run_rows_readers_sql[] =
  "CREATE INDEX run_devices_serial ON run_devices (serial);"
  "CREATE INDEX run_devices_registration ON run_devices (registration_id COLLATE NOCASE);"
  STEP_READERS_SQL
  RUN_VIEW_SQL;

static const char * const run_rows_tables[] = {
  "run_devices", "step_records", "run_ends", "run_protocol_logs",
};

/* From version 1 to 3's tables (the protocol logs from version 2) to version 4's: the old ones
 * renamed aside, every row copied (a step's end finds its step's run and index through the
 * old step id), the old ones dropped with their indexes and triggers. The readers go first:
 * they name the tables. */
static const char run_rows_set_aside_sql[] =
  "DROP VIEW IF EXISTS run_view;"
  "DROP VIEW IF EXISTS step_view;"
  "ALTER TABLE run_devices RENAME TO v3_run_devices;"
  "ALTER TABLE steps RENAME TO v3_steps;"
  "ALTER TABLE step_ends RENAME TO v3_step_ends;"
  "ALTER TABLE run_ends RENAME TO v3_run_ends;";

static const char run_rows_copy_sql[] =
  "INSERT INTO run_devices (run_id, at, serial, model, firmware, registration_id)"
  "  SELECT run_id, at, serial, model, firmware, registration_id FROM v3_run_devices;"
  "INSERT INTO step_records (record_key, run_id, idx, ended, at, name)"
  "  SELECT (run_id * 65536 + idx) * 2, run_id, idx, 0, started, name FROM v3_steps;"
  "INSERT INTO step_records (record_key, run_id, idx, ended, at, result, error, detail)"
  "  SELECT (s.run_id * 65536 + s.idx) * 2 + 1, s.run_id, s.idx, 1, x.ended, x.result,"
  "         x.error, x.detail"
  "  FROM v3_step_ends x JOIN v3_steps s ON s.id = x.step_id;"
  "INSERT INTO run_ends (run_id, ended, result, failed_step, error, hub, device_id,"
  "                      leaf_serial, leaf_fingerprint, not_before, not_after)"
  "  SELECT run_id, ended, result, failed_step, error, hub, device_id,"
  "         leaf_serial, leaf_fingerprint, not_before, not_after FROM v3_run_ends;"
  "DROP TABLE v3_step_ends;"
  "DROP TABLE v3_steps;"
  "DROP TABLE v3_run_devices;"
  "DROP TABLE v3_run_ends;";

static const char run_logs_set_aside_sql[] =
  "ALTER TABLE run_protocol_logs RENAME TO v3_run_protocol_logs;";

static const char run_logs_copy_sql[] =
  "INSERT INTO run_protocol_logs (run_id, at, log)"
  "  SELECT run_id, at, log FROM v3_run_protocol_logs;"
  "DROP TABLE v3_run_protocol_logs;";

/* Schema 3: what became of an issued leaf whose commit answer was lost. A 'sent' row when the
 * device got the commit but the station never heard back, then an 'installed' or
 * 'not-installed' row once a read-back of the device's chain told. Only the leaf's public
 * facts: serial, fingerprint, dates. Append-only like the rest. */
static const char leaf_states_sql[] =
  "CREATE TABLE leaf_states ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL REFERENCES runs (id),"
  "  at INTEGER NOT NULL,"
  "  state TEXT NOT NULL CHECK (state IN ('sent', 'installed', 'not-installed')),"
  "  device_serial TEXT,"
  "  leaf_serial TEXT NOT NULL, leaf_fingerprint TEXT NOT NULL,"
  "  not_before INTEGER, not_after INTEGER"
  ") STRICT;"
  "CREATE INDEX leaf_states_device ON leaf_states (device_serial);"
  "CREATE INDEX leaf_states_run ON leaf_states (run_id);"
  "CREATE TRIGGER leaf_states_no_update BEFORE UPDATE ON leaf_states "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER leaf_states_no_delete BEFORE DELETE ON leaf_states "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;";

/* Version 1 to 4's runs table (a unique index on uuid) into version 5's, keeping every id:
 * the generalized ALTER TABLE of SQLite's documentation. The new table is made under another
 * name, filled, the old one dropped (its indexes and triggers with it) and the new one renamed,
 * so the other tables' REFERENCES runs (id) name it. Needs foreign keys off (the drop would
 * delete every run under the other tables' rows: cb_journal_db_ensure_schema) and no view or
 * trigger naming runs while there is none (the rename checks every view and trigger). */
static const char runs_rebuild_sql[] =
  "DROP VIEW run_view;"
  "DROP TRIGGER step_records_in_order;"
  "CREATE TABLE v5_runs (" RUNS_COLUMNS ") STRICT;"
  "INSERT INTO v5_runs (id, uuid, started, station, operator_name, port, profile, policy,"
  "                     owner_host, owner_boot, owner_pid, owner_start)"
  "  SELECT id, uuid, started, station, operator_name, port, profile, policy,"
  "         owner_host, owner_boot, owner_pid, owner_start FROM runs;"
  "DROP TABLE runs;"
  "ALTER TABLE v5_runs RENAME TO runs;"
  "CREATE INDEX runs_started ON runs (started);"
  RUN_VIEW_SQL
  STEP_TRIGGER_SQL;

static gboolean
add_append_only_triggers (sqlite3            *db,
                          const char * const *tables,
                          guint               n_tables,
                          GError            **error)
{
  g_autoptr(GString) triggers = g_string_new (NULL);

  for (guint i = 0; i < n_tables; i++)
    g_string_append_printf (triggers,
                            "CREATE TRIGGER %s_no_update BEFORE UPDATE ON %s "
                            "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
                            "CREATE TRIGGER %s_no_delete BEFORE DELETE ON %s "
                            "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;",
                            tables[i], tables[i], tables[i], tables[i]);

  return cb_journal_db_exec (db, triggers->str, error);
}

/* The rows a run writes in version 4's tables: made new, or moved from an older journal's
 * (version 1 to 3; the protocol logs exist from 2). */
static gboolean
make_run_rows (sqlite3  *db,
               int       version,
               GError  **error)
{
  if (version >= 1 && !cb_journal_db_exec (db, run_rows_set_aside_sql, error))
    return FALSE;
  if (version >= 2 && !cb_journal_db_exec (db, run_logs_set_aside_sql, error))
    return FALSE;
  if (!cb_journal_db_exec (db, run_rows_sql, error))
    return FALSE;
  if (version >= 1 && !cb_journal_db_exec (db, run_rows_copy_sql, error))
    return FALSE;
  if (version >= 2 && !cb_journal_db_exec (db, run_logs_copy_sql, error))
    return FALSE;
  return cb_journal_db_exec (db, run_rows_readers_sql, error) &&
         add_append_only_triggers (db, run_rows_tables, G_N_ELEMENTS (run_rows_tables), error);
}

/* Version 4's step records (WITHOUT ROWID, keyed by the three columns) or version 5's (the
 * key a rowid, the run a foreign key) into version 6's (the run checked by the trigger), every
 * record kept, in key order; the same way as the runs. */
static const char steps_rebuild_sql[] =
  "DROP VIEW step_view;"
  STEP_RECORDS_SQL ("v6_step_records")
  "INSERT INTO v6_step_records (record_key, run_id, idx, ended, at, name, result, error, detail)"
  "  SELECT (run_id * 65536 + idx) * 2 + ended, run_id, idx, ended, at, name, result, error,"
  "         detail FROM step_records ORDER BY run_id, idx, ended;"
  "DROP TABLE step_records;"
  "ALTER TABLE v6_step_records RENAME TO step_records;"
  STEP_READERS_SQL;

static const char * const steps_tables[] = {
  "step_records",
};

static gboolean
rebuild_steps (sqlite3  *db,
               GError  **error)
{
  return cb_journal_db_exec (db, steps_rebuild_sql, error) &&
         add_append_only_triggers (db, steps_tables, G_N_ELEMENTS (steps_tables), error);
}

static gboolean
rebuild_runs (sqlite3  *db,
              GError  **error)
{
  return cb_journal_db_exec (db, runs_rebuild_sql, error) &&
         add_append_only_triggers (db, runs_tables, G_N_ELEMENTS (runs_tables), error);
}

static gboolean
ensure_schema (sqlite3  *db,
               GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int version;

  if (!cb_journal_db_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;

  stmt = cb_journal_db_prepare (db, "PRAGMA user_version", error);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    {
      if (stmt != NULL)
        cb_journal_db_set_error (error, db, "reading the schema version");
      cb_journal_db_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }
  version = sqlite3_column_int (stmt, 0);
  g_clear_pointer (&stmt, cb_journal_db_finalize);

  if (version > SCHEMA_VERSION)
    {
      cb_journal_db_exec (db, "ROLLBACK", NULL);
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NEWER_SCHEMA,
                   "The journal was written by a newer Certbench (schema %d, this one knows %d)",
                   version, SCHEMA_VERSION);
      return FALSE;
    }

  /* The tables a version lacks, in one transaction: a migration that fails leaves the journal
   * as it was. */
  if ((version < 1 && (!cb_journal_db_exec (db, runs_sql, error) ||
                       !add_append_only_triggers (db, runs_tables, G_N_ELEMENTS (runs_tables),
                                                  error))) ||
      (version < 3 && !cb_journal_db_exec (db, leaf_states_sql, error)) ||
      (version < 4 && !make_run_rows (db, version, error)) ||
      ((version == 4 || version == 5) && !rebuild_steps (db, error)) ||
      (version >= 1 && version < 5 && !rebuild_runs (db, error)) ||
      (version < SCHEMA_VERSION &&
       !cb_journal_db_exec (db, "PRAGMA user_version = " G_STRINGIFY (SCHEMA_VERSION), error)))
    {
      cb_journal_db_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }

  return cb_journal_db_exec (db, "COMMIT", error);
}

/* Foreign keys are off while the schema is made or migrated (a table rebuilt is dropped with
 * rows that others reference: rebuild_runs); SQLite takes the setting only outside a
 * transaction. */
gboolean
cb_journal_db_ensure_schema (sqlite3  *db,
                             GError  **error)
{
  gboolean ok;

  if (!cb_journal_db_exec (db, "PRAGMA foreign_keys = OFF", error))
    return FALSE;
  ok = ensure_schema (db, error);
  if (!cb_journal_db_exec (db, "PRAGMA foreign_keys = ON", ok ? error : NULL))
    return FALSE;
  return ok;
}
