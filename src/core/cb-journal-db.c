/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-journal"

/* The journal's SQLite: a connection set up for many writers (WAL, busy timeout), the small
 * helpers every query uses, and the schema with its migrations (version 1: runs and steps;
 * 2: protocol logs; 3: leaf states), every table append-only by trigger. */

#include "config.h"

#include "cb-journal-db-private.h"

#define SCHEMA_VERSION 3
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

GHashTable *
cb_journal_db_cache_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) cb_journal_db_finalize);
}

sqlite3_stmt *
cb_journal_db_prepare_cached (GHashTable  *cache,
                              sqlite3     *db,
                              const char  *sql,
                              GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (cache, sql);

  if (stmt != NULL)
    return stmt;

  if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      cb_journal_db_set_error (error, db, "preparing a statement");
      return NULL;
    }

  g_hash_table_insert (cache, g_strdup (sql), stmt);
  return stmt;
}

/* A reset statement holds no read transaction and no bound text of the last run. */
void
cb_journal_db_release (CbJournalDbCachedStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

/* Binds a string, storing NULL for NULL or empty text. */
void
cb_journal_db_bind_text (sqlite3_stmt *stmt,
                         int           index,
                         const char   *text)
{
  if (text == NULL || *text == '\0')
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

void
cb_journal_db_bind_scrubbed (sqlite3_stmt *stmt,
                             int           index,
                             const char   *text)
{
  g_autofree char *clean = cb_journal_scrub (text);

  cb_journal_db_bind_text (stmt, index, clean);
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

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
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
 * makes INSERT OR REPLACE fire the delete trigger too, so REPLACE cannot sneak a change in. */
static const char schema_sql[] =
  "CREATE TABLE runs ("
  "  id INTEGER PRIMARY KEY,"
  "  uuid TEXT NOT NULL UNIQUE,"
  "  started INTEGER NOT NULL,"
  "  station TEXT, operator_name TEXT, port TEXT, profile TEXT, policy TEXT,"
  /* Who owns the run while it has no end row: lets a later open tell a crash from a run that
   * another process is still doing. */
  "  owner_host TEXT, owner_boot TEXT, owner_pid INTEGER, owner_start INTEGER"
  ") STRICT;"
  "CREATE TABLE run_devices ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL UNIQUE REFERENCES runs (id),"
  "  at INTEGER NOT NULL,"
  "  serial TEXT, model TEXT, firmware TEXT, registration_id TEXT"
  ") STRICT;"
  "CREATE TABLE steps ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL REFERENCES runs (id),"
  "  idx INTEGER NOT NULL,"
  "  name TEXT NOT NULL,"
  "  started INTEGER NOT NULL,"
  "  UNIQUE (run_id, idx)"
  ") STRICT;"
  "CREATE TABLE step_ends ("
  "  id INTEGER PRIMARY KEY,"
  "  step_id INTEGER NOT NULL UNIQUE REFERENCES steps (id),"
  "  ended INTEGER NOT NULL,"
  "  result TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'cancelled', 'interrupted', 'skipped')),"
  "  error TEXT, detail TEXT"
  ") STRICT;"
  "CREATE TABLE run_ends ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL UNIQUE REFERENCES runs (id),"
  "  ended INTEGER NOT NULL,"
  "  result TEXT NOT NULL CHECK (result IN ('pass', 'fail', 'cancelled', 'interrupted')),"
  "  failed_step TEXT, error TEXT, hub TEXT, device_id TEXT,"
  "  leaf_serial TEXT, leaf_fingerprint TEXT, not_before INTEGER, not_after INTEGER"
  ") STRICT;"
  "CREATE INDEX runs_started ON runs (started);"
  "CREATE INDEX run_devices_serial ON run_devices (serial);"
  "CREATE INDEX run_devices_registration ON run_devices (registration_id COLLATE NOCASE);"
  "CREATE VIEW run_view AS"
  "  SELECT r.id, r.uuid, r.started, r.station, r.operator_name, r.port, r.profile, r.policy,"
  "         d.serial, d.model, d.firmware, d.registration_id,"
  "         e.ended, e.result, e.failed_step, e.error, e.hub, e.device_id,"
  "         e.leaf_serial, e.leaf_fingerprint, e.not_before, e.not_after"
  "  FROM runs r"
  "  LEFT JOIN run_devices d ON d.run_id = r.id"
  "  LEFT JOIN run_ends e ON e.run_id = r.id;"
  "CREATE VIEW step_view AS"
  "  SELECT s.id, s.run_id, s.idx, s.name, s.started, x.ended, x.result, x.error, x.detail"
  "  FROM steps s LEFT JOIN step_ends x ON x.step_id = s.id;";

static const char * const journal_tables_v1[] = {
  "runs", "run_devices", "steps", "step_ends", "run_ends",
};

/* Version 2: each run's decoded protocol log (cb-protocol-log.h), written once at the run's
 * end. A journal of version 1 gets the table on open; its runs read as before, without a log. */
static const char schema_v2_sql[] =
  "CREATE TABLE run_protocol_logs ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL UNIQUE REFERENCES runs (id),"
  "  at INTEGER NOT NULL,"
  "  log TEXT NOT NULL"
  ") STRICT;";

static const char * const journal_tables_v2[] = {
  "run_protocol_logs",
};

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

gboolean
cb_journal_db_ensure_schema (sqlite3  *db,
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

  /* Each version's tables, then the migrations from there up, in one transaction. */
  if ((version < 1 && (!cb_journal_db_exec (db, schema_sql, error) ||
                       !add_append_only_triggers (db, journal_tables_v1,
                                                  G_N_ELEMENTS (journal_tables_v1), error))) ||
      (version < 2 && (!cb_journal_db_exec (db, schema_v2_sql, error) ||
                       !add_append_only_triggers (db, journal_tables_v2,
                                                  G_N_ELEMENTS (journal_tables_v2), error))) ||
      (version < 3 && !cb_journal_db_exec (db, leaf_states_sql, error)) ||
      /* Journals before 2026-12 had steps_run ON steps (run_id, idx), the twin of the index
       * UNIQUE (run_id, idx) makes: a page more to write at every step. Older Certbench does
       * not need it either, so the schema version stays. */
      !cb_journal_db_exec (db, "DROP INDEX IF EXISTS steps_run", error) ||
      (version < SCHEMA_VERSION &&
       !cb_journal_db_exec (db, "PRAGMA user_version = " G_STRINGIFY (SCHEMA_VERSION), error)))
    {
      cb_journal_db_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }

  return cb_journal_db_exec (db, "COMMIT", error);
}
