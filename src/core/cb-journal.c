/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-journal"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cb-journal-db-private.h"
#include "cb-journal-private.h"
#include "cb-journal-run-private.h"
#include "cb-journal-step-private.h"
#include "cb-util.h"

G_DEFINE_FINAL_TYPE (CbJournal, cb_journal, G_TYPE_OBJECT)

/* ---- Process ownership ------------------------------------------------------------------ */

static char *
read_boot_id (void)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &contents, NULL, NULL))
    return NULL;
  return g_strdup (g_strstrip (contents));
}

/* The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), which with
 * the pid identifies a process even after the pid is reused. 0 when unknown; -1 when the
 * process is a zombie (killed, not reaped yet: it is gone for our purpose). */
static gint64
read_process_start (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;

  /* The command name may hold spaces and parentheses: fields resume after the last ')'. */
  after = strrchr (contents, ')');
  if (after == NULL)
    return 0;

  fields = g_strsplit (after + 2, " ", 0);
  if (g_strv_length (fields) < 20)
    return 0;
  if (g_strcmp0 (fields[0], "Z") == 0 || g_strcmp0 (fields[0], "X") == 0)
    return -1;

  return g_ascii_strtoll (fields[19], NULL, 10);
}

static gboolean
owner_is_alive (const char *host,
                const char *boot,
                gint64      pid,
                gint64      start)
{
  g_autofree char *my_boot = read_boot_id ();
  gint64 current_start;

  /* A journal on a shared folder: another machine's run is not ours to judge. */
  if (host != NULL && g_strcmp0 (host, g_get_host_name ()) != 0)
    return TRUE;

  if (boot != NULL && my_boot != NULL && g_strcmp0 (boot, my_boot) != 0)
    return FALSE;

  if (pid <= 0 || pid > G_MAXINT)
    return FALSE;

  if (kill ((pid_t) pid, 0) != 0 && errno == ESRCH)
    return FALSE;

  current_start = read_process_start ((int) pid);
  if (current_start < 0)
    return FALSE;
  if (start > 0 && current_start > 0 && current_start != start)
    return FALSE;

  return TRUE;
}

/* Marks runs without an end row whose owning process is gone as interrupted, naming the step
 * they were in. Runs in a transaction so two stations opening at once do not both do it. */
static gboolean
recover_interrupted (CbJournal  *self,
                     GError    **error)
{
  g_autoptr(sqlite3_stmt) open_runs = NULL;
  g_autoptr(GArray) dead = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 now = g_get_real_time ();
  int rc;

  if (!cb_journal_db_exec (self->db, "BEGIN IMMEDIATE", error))
    return FALSE;

  open_runs = cb_journal_db_prepare (self->db,
                       "SELECT r.id, r.owner_host, r.owner_boot, r.owner_pid, r.owner_start "
                       "FROM runs r WHERE NOT EXISTS (SELECT 1 FROM run_ends e WHERE e.run_id = r.id)",
                       error);
  if (open_runs == NULL)
    goto fail;

  while ((rc = sqlite3_step (open_runs)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (open_runs, 0);
      const char *host = (const char *) sqlite3_column_text (open_runs, 1);
      const char *boot = (const char *) sqlite3_column_text (open_runs, 2);

      if (!owner_is_alive (host, boot, sqlite3_column_int64 (open_runs, 3),
                           sqlite3_column_int64 (open_runs, 4)))
        g_array_append_val (dead, id);
    }
  if (rc != SQLITE_DONE)
    {
      cb_journal_db_set_error (error, self->db, "listing open runs");
      goto fail;
    }

  for (guint i = 0; i < dead->len; i++)
    {
      gint64 run_id = g_array_index (dead, gint64, i);
      g_autoptr(sqlite3_stmt) last = NULL;
      g_autoptr(sqlite3_stmt) end_step = NULL;
      g_autoptr(sqlite3_stmt) end_run = NULL;
      g_autofree char *step_name = NULL;
      g_autofree char *message = NULL;
      gint64 step_idx = 0;
      gboolean step_open = FALSE;

      last = cb_journal_db_prepare (self->db,
                      "SELECT s.idx, s.name, "
                      "  NOT EXISTS (SELECT 1 FROM step_records x "
                      "              WHERE x.record_key = s.record_key + 1) "
                      "FROM step_records s "
                      "WHERE s.record_key BETWEEN ?1 * 131072 AND ?1 * 131072 + 131071 "
                      "AND s.ended = 0 ORDER BY s.record_key DESC LIMIT 1",
                      error);
      if (last == NULL)
        goto fail;
      sqlite3_bind_int64 (last, 1, run_id);
      if (sqlite3_step (last) == SQLITE_ROW)
        {
          step_idx = sqlite3_column_int64 (last, 0);
          step_name = cb_journal_db_column_dup (last, 1);
          step_open = sqlite3_column_int (last, 2) != 0;
        }

      if (step_name != NULL)
        message = g_strdup_printf ("The run was cut off during step “%s”: the station process "
                                   "ended before the run did", step_name);
      else
        message = g_strdup ("The run was cut off before its first step: the station process "
                            "ended before the run did");

      if (step_open)
        {
          end_step = cb_journal_db_prepare (self->db,
                              "INSERT OR IGNORE INTO step_records "
                              "  (record_key, run_id, idx, ended, at, result, error) "
                              "VALUES ((?1 * 65536 + ?2) * 2 + 1, ?1, ?2, 1, ?3, 'interrupted', "
                              "?4)",
                              error);
          if (end_step == NULL)
            goto fail;
          sqlite3_bind_int64 (end_step, 1, run_id);
          sqlite3_bind_int64 (end_step, 2, step_idx);
          sqlite3_bind_int64 (end_step, 3, now);
          cb_journal_db_bind_text (end_step, 4, message);
          if (sqlite3_step (end_step) != SQLITE_DONE)
            {
              cb_journal_db_set_error (error, self->db, "ending an interrupted step");
              goto fail;
            }
        }

      end_run = cb_journal_db_prepare (self->db,
                         "INSERT OR IGNORE INTO run_ends (run_id, ended, result, failed_step, error) "
                         "VALUES (?, ?, 'interrupted', ?, ?)",
                         error);
      if (end_run == NULL)
        goto fail;
      sqlite3_bind_int64 (end_run, 1, run_id);
      sqlite3_bind_int64 (end_run, 2, now);
      cb_journal_db_bind_text (end_run, 3, step_name);
      cb_journal_db_bind_text (end_run, 4, message);
      if (sqlite3_step (end_run) != SQLITE_DONE)
        {
          cb_journal_db_set_error (error, self->db, "ending an interrupted run");
          goto fail;
        }
      if (sqlite3_changes (self->db) > 0)
        self->n_recovered++;
    }

  return cb_journal_db_exec (self->db, "COMMIT", error);

fail:
  cb_journal_db_exec (self->db, "ROLLBACK", NULL);
  return FALSE;
}

/* ---- CbJournal -------------------------------------------------------------------------- */

static void
cb_journal_finalize (GObject *object)
{
  CbJournal *self = CB_JOURNAL (object);
  g_autoptr(GError) error = NULL;

  if (!cb_journal_flush (self, &error))
    g_warning ("%s", error->message);

  /* Prepared statements first: a connection with statements left does not close. */
  for (guint i = 0; i < CB_JOURNAL_N_STMTS; i++)
    g_clear_pointer (&self->statements[i], cb_journal_db_finalize);
  g_clear_pointer (&self->next_step, g_hash_table_unref);
  g_clear_pointer (&self->db, sqlite3_close);
  g_free (self->path);
  g_free (self->owner_boot);

  G_OBJECT_CLASS (cb_journal_parent_class)->finalize (object);
}

static void
cb_journal_class_init (CbJournalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_journal_finalize;
}

static void
cb_journal_init (CbJournal *self)
{
  self->next_step = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

char *
cb_journal_dup_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "certbench", "journal.sqlite", NULL);
}

/* Creates the file 0600 before SQLite sees it (SQLite gives the -wal and -shm files the main
 * file's mode), and tightens an existing file that is wider. */
static gboolean
prepare_file (const char  *path,
              GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  struct stat st;
  int fd;

  /* Only a folder we create is made private: never chmod someone's existing folder. */
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR) && !cb_mkdir_private (dir, error))
    return FALSE;

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not open the journal %s: %s", path, g_strerror (errsv));
      return FALSE;
    }

  if (fstat (fd, &st) == 0 && (st.st_mode & 077) != 0 && fchmod (fd, 0600) != 0)
    {
      int errsv = errno;
      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not restrict the journal %s to its owner: %s", path, g_strerror (errsv));
      return FALSE;
    }

  close (fd);
  return TRUE;
}

CbJournal *
cb_journal_open (const char  *path,
                 GError     **error)
{
  g_autoptr(CbJournal) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!prepare_file (path, error))
    return NULL;

  self = g_object_new (CB_TYPE_JOURNAL, NULL);
  self->path = g_strdup (path);
  self->db = cb_journal_db_open (path, error);
  if (self->db == NULL)
    return NULL;

  if (!cb_journal_db_ensure_schema (self->db, error) || !recover_interrupted (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
cb_journal_get_path (CbJournal *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL (self), NULL);
  return self->path;
}

guint
cb_journal_get_n_recovered (CbJournal *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL (self), 0);
  return self->n_recovered;
}

/* The write path's statement @which, prepared the first time (cb_journal_db_prepare_cached). */
static sqlite3_stmt *
cached (CbJournal      *self,
        CbJournalStmt   which,
        const char     *sql,
        GError        **error)
{
  return cb_journal_db_prepare_cached (&self->statements[which], self->db, sql, error);
}

static gboolean
step_insert (sqlite3_stmt  *stmt,
             sqlite3       *db,
             const char    *what,
             GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_DONE)
    return TRUE;

  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED,
                   "Journal: %s: the record exists already", what);
      return FALSE;
    }
  /* The step_records trigger: a start after the run's end, an end without a start, a start
   * without a run */
  if (rc == SQLITE_CONSTRAINT_TRIGGER && strstr (sqlite3_errmsg (db), "no such step") != NULL)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND,
                   "Journal: %s: no such step", what);
      return FALSE;
    }
  if (rc == SQLITE_CONSTRAINT_TRIGGER && strstr (sqlite3_errmsg (db), "no such run") != NULL)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND,
                   "Journal: %s: no such run", what);
      return FALSE;
    }
  if (rc == SQLITE_CONSTRAINT_TRIGGER)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED,
                   "Journal: %s: the run has ended already", what);
      return FALSE;
    }
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND,
                   "Journal: %s: no such run or step", what);
      return FALSE;
    }

  return cb_journal_db_set_error (error, db, what);
}

gint64
cb_journal_begin_run (CbJournal               *self,
                      const CbJournalRunStart *start,
                      GError                 **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  gint64 run_id;

  g_return_val_if_fail (CB_IS_JOURNAL (self), 0);
  g_return_val_if_fail (start != NULL, 0);

  /* The owner of every run this process starts is the same: a station starting hundreds
   * reads /proc twice once, not per run. A forked child is another owner. */
  if (self->owner_pid != getpid ())
    {
      g_free (self->owner_boot);
      self->owner_boot = read_boot_id ();
      self->owner_pid = getpid ();
      self->owner_start = read_process_start (self->owner_pid);
    }

  stmt = cached (self, CB_JOURNAL_STMT_BEGIN_RUN,
                  "INSERT INTO runs (uuid, started, station, operator_name, port, profile, policy, "
                  "  owner_host, owner_boot, owner_pid, owner_start) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  error);
  if (stmt == NULL)
    return 0;

  cb_journal_db_bind_text (stmt, 1, uuid);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  cb_journal_db_bind_text (stmt, 3, start->station);
  cb_journal_db_bind_text (stmt, 4, start->operator_name);
  cb_journal_db_bind_text (stmt, 5, start->port);
  cb_journal_db_bind_text (stmt, 6, start->profile);
  cb_journal_db_bind_text (stmt, 7, start->policy);
  cb_journal_db_bind_text (stmt, 8, g_get_host_name ());
  cb_journal_db_bind_text (stmt, 9, self->owner_boot);
  sqlite3_bind_int64 (stmt, 10, self->owner_pid);
  sqlite3_bind_int64 (stmt, 11, self->owner_start);

  if (!step_insert (stmt, self->db, "starting a run", error))
    return 0;

  /* A new run's first step is its step 0 (next_step holds the index + 1). */
  run_id = sqlite3_last_insert_rowid (self->db);
  g_hash_table_replace (self->next_step, g_memdup2 (&run_id, sizeof run_id), GSIZE_TO_POINTER (1));
  return run_id;
}

gboolean
cb_journal_set_device (CbJournal             *self,
                       gint64                 run_id,
                       const CbJournalDevice *device,
                       GError               **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (device != NULL, FALSE);

  stmt = cached (self, CB_JOURNAL_STMT_SET_DEVICE,
                  "INSERT INTO run_devices (run_id, at, serial, model, firmware, registration_id) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  cb_journal_db_bind_scrubbed (stmt, 3, device->serial);
  cb_journal_db_bind_scrubbed (stmt, 4, device->model);
  cb_journal_db_bind_scrubbed (stmt, 5, device->firmware);
  cb_journal_db_bind_text (stmt, 6, device->registration_id);

  return step_insert (stmt, self->db, "recording the device", error);
}

gint64
cb_journal_begin_step (CbJournal   *self,
                       gint64       run_id,
                       const char  *name,
                       gint64       started,
                       GError     **error)
{
  g_autoptr(CbJournalDbCachedStmt) next = NULL;
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;
  g_autoptr(GError) local_error = NULL;
  gpointer known;
  gint64 idx;

  g_return_val_if_fail (CB_IS_JOURNAL (self), 0);

  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_INVALID,
                           "Journal: a step needs a name");
      return 0;
    }

  /* The run's next index: what this connection numbered last for the run, else a seek to the
   * end of its steps in the table's key. A plain INSERT after it, rather than one INSERT …
   * SELECT, because SQLite gives a statement that reads what it inserts into a statement
   * journal of its own. */
  known = g_hash_table_lookup (self->next_step, &run_id);
  if (known != NULL)
    {
      idx = GPOINTER_TO_SIZE (known) - 1;
    }
  else
    {
      next = cached (self, CB_JOURNAL_STMT_NEXT_STEP,
                      "SELECT COALESCE (MAX (idx) + 1, 0) FROM step_records "
                      "WHERE record_key BETWEEN ?1 * 131072 AND ?1 * 131072 + 131071",
                      error);
      if (next == NULL)
        return 0;
      sqlite3_bind_int64 (next, 1, run_id);
      if (sqlite3_step (next) != SQLITE_ROW)
        {
          cb_journal_db_set_error (error, self->db, "numbering a step");
          return 0;
        }
      idx = sqlite3_column_int64 (next, 0);
      g_clear_pointer (&next, cb_journal_db_release);
    }

  /* A run that has ended takes no more steps (the step_records_in_order trigger), nor one
   * past the index a step id holds. OR FAIL: a refused row aborts nothing it wrote before,
   * which spares the statement a statement journal (cb-journal-db.c, STEP_RECORDS_SQL). */
  stmt = cached (self, CB_JOURNAL_STMT_BEGIN_STEP,
                  "INSERT OR FAIL INTO step_records (record_key, run_id, idx, ended, at, name) "
                  "VALUES ((?1 * 65536 + ?2) * 2, ?1, ?2, 0, ?3, ?4)",
                  error);
  if (stmt == NULL)
    return 0;

  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int64 (stmt, 2, idx);
  sqlite3_bind_int64 (stmt, 3, started > 0 ? started : g_get_real_time ());
  cb_journal_db_bind_text (stmt, 4, name);

  if (!step_insert (stmt, self->db, "starting a step", &local_error))
    {
      g_hash_table_remove_all (self->next_step);
      /* Another connection numbered a step of this run (the key refused ours): ask again. */
      if (known != NULL && sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
        {
          g_clear_pointer (&stmt, cb_journal_db_release);
          return cb_journal_begin_step (self, run_id, name, started, error);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return 0;
    }

  g_hash_table_replace (self->next_step, g_memdup2 (&run_id, sizeof run_id),
                        GSIZE_TO_POINTER ((gsize) idx + 2));
  return CB_JOURNAL_STEP_ID (run_id, idx);
}

gboolean
cb_journal_end_step (CbJournal        *self,
                     gint64            step_id,
                     CbJournalResult   result,
                     const char       *error_message,
                     const char       *detail,
                     gint64            ended,
                     GError          **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);

  if (result != CB_JOURNAL_RESULT_PASS && result != CB_JOURNAL_RESULT_FAIL &&
      result != CB_JOURNAL_RESULT_CANCELLED && result != CB_JOURNAL_RESULT_SKIPPED)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_INVALID,
                   "Journal: a step cannot end as “%s”", cb_journal_result_to_string (result));
      return FALSE;
    }

  stmt = cached (self, CB_JOURNAL_STMT_END_STEP,
                  "INSERT OR FAIL INTO step_records (record_key, run_id, idx, ended, at, result, "
                  "  error, detail) VALUES ((?1 * 65536 + ?2) * 2 + 1, ?1, ?2, 1, ?3, ?4, ?5, ?6)",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, CB_JOURNAL_STEP_ID_RUN (step_id));
  sqlite3_bind_int64 (stmt, 2, CB_JOURNAL_STEP_ID_INDEX (step_id));
  sqlite3_bind_int64 (stmt, 3, ended > 0 ? ended : g_get_real_time ());
  cb_journal_db_bind_text (stmt, 4, cb_journal_result_to_string (result));
  cb_journal_db_bind_scrubbed (stmt, 5, error_message);
  cb_journal_db_bind_scrubbed (stmt, 6, detail);

  return step_insert (stmt, self->db, "ending a step", error);
}

gboolean
cb_journal_end_run (CbJournal             *self,
                    gint64                 run_id,
                    const CbJournalRunEnd *end,
                    GError               **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (end != NULL, FALSE);

  if (end->result != CB_JOURNAL_RESULT_PASS && end->result != CB_JOURNAL_RESULT_FAIL &&
      end->result != CB_JOURNAL_RESULT_CANCELLED)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_INVALID,
                   "Journal: a run cannot end as “%s”", cb_journal_result_to_string (end->result));
      return FALSE;
    }

  stmt = cached (self, CB_JOURNAL_STMT_END_RUN,
                  "INSERT INTO run_ends (run_id, ended, result, failed_step, error, hub, device_id, "
                  "  leaf_serial, leaf_fingerprint, not_before, not_after) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  cb_journal_db_bind_text (stmt, 3, cb_journal_result_to_string (end->result));
  cb_journal_db_bind_text (stmt, 4, end->failed_step);
  cb_journal_db_bind_scrubbed (stmt, 5, end->error);
  cb_journal_db_bind_text (stmt, 6, end->hub);
  cb_journal_db_bind_text (stmt, 7, end->device_id);
  cb_journal_db_bind_text (stmt, 8, end->leaf_serial);
  cb_journal_db_bind_text (stmt, 9, end->leaf_fingerprint);
  if (end->not_before != 0)
    sqlite3_bind_int64 (stmt, 10, end->not_before);
  if (end->not_after != 0)
    sqlite3_bind_int64 (stmt, 11, end->not_after);

  if (!step_insert (stmt, self->db, "ending a run", error))
    return FALSE;
  g_hash_table_remove (self->next_step, &run_id);
  return TRUE;
}

/* Runs a statement without rows (BEGIN, COMMIT) from the cache. */
static gboolean
exec_cached (CbJournal      *self,
             CbJournalStmt   which,
             const char     *sql,
             const char     *what,
             GError        **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;

  stmt = cached (self, which, sql, error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return cb_journal_db_set_error (error, self->db, what);
  return TRUE;
}

void
cb_journal_batch_begin (CbJournal *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CB_IS_JOURNAL (self));

  if (self->batch_depth++ > 0 || !sqlite3_get_autocommit (self->db))
    return;

  /* IMMEDIATE: the write lock now (waiting out another writer like any write), so no row of
   * the batch meets a busy database halfway. */
  if (exec_cached (self, CB_JOURNAL_STMT_BEGIN, "BEGIN IMMEDIATE", "starting a batch", &error))
    self->batch_open = TRUE;
  else
    g_debug ("%s; each row commits on its own", error->message);
}

gboolean
cb_journal_batch_end (CbJournal  *self,
                      GError    **error)
{
  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (self->batch_depth > 0, FALSE);

  if (--self->batch_depth > 0 || !self->batch_open)
    return TRUE;

  self->batch_open = FALSE;
  if (exec_cached (self, CB_JOURNAL_STMT_COMMIT, "COMMIT", "committing a batch", error))
    return TRUE;

  if (!sqlite3_get_autocommit (self->db))
    cb_journal_db_exec (self->db, "ROLLBACK", NULL);
  g_hash_table_remove_all (self->next_step);
  return FALSE;
}

static gboolean
deferred_commit_cb (gpointer user_data)
{
  CbJournal *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cb_journal_flush (self, &error))
    g_warning ("%s", error->message);
  return G_SOURCE_REMOVE;
}

void
cb_journal_defer_commit (CbJournal *self)
{
  g_return_if_fail (CB_IS_JOURNAL (self));

  if (self->deferred != NULL)
    return;

  cb_journal_batch_begin (self);
  /* HIGH: dispatched before any default-priority source of the next turn, so before the
   * loop hands control to another event or blocks in poll. Attached from the context's own
   * thread, it writes no wake-up. */
  self->deferred = g_idle_source_new ();
  g_source_set_priority (self->deferred, G_PRIORITY_HIGH);
  g_source_set_callback (self->deferred, deferred_commit_cb, self, NULL);
  g_source_set_static_name (self->deferred, "[certbench] journal commit");
  g_source_attach (self->deferred, g_main_context_get_thread_default ());
}

gboolean
cb_journal_flush (CbJournal  *self,
                  GError    **error)
{
  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);

  if (self->deferred == NULL)
    return TRUE;

  g_source_destroy (self->deferred);
  g_clear_pointer (&self->deferred, g_source_unref);
  return cb_journal_batch_end (self, error);
}

gboolean
cb_journal_add_protocol_log (CbJournal   *self,
                             gint64       run_id,
                             const char  *log,
                             GError     **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (log != NULL, FALSE);

  stmt = cached (self, CB_JOURNAL_STMT_PROTOCOL_LOG,
                  "INSERT INTO run_protocol_logs (run_id, at, log) VALUES (?, ?, ?)",
                  error);
  if (stmt == NULL)
    return FALSE;

  /* Not scrubbed here: the log redacted every field and scrubbed every text value as it made
   * its lines, and a second pass would take "next_key: false" for a key. */
  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  sqlite3_bind_text (stmt, 3, log, -1, SQLITE_TRANSIENT);

  return step_insert (stmt, self->db, "recording the protocol log", error);
}

/* ---- Leaves with a lost commit answer ----------------------------------------------------- */

static const char * const leaf_state_names[] = {
  [CB_JOURNAL_LEAF_NONE] = NULL,
  [CB_JOURNAL_LEAF_SENT] = "sent",
  [CB_JOURNAL_LEAF_INSTALLED] = "installed",
  [CB_JOURNAL_LEAF_NOT_INSTALLED] = "not-installed",
};

gboolean
cb_journal_leaf_sent (CbJournal            *self,
                      gint64                run_id,
                      const CbJournalLeaf  *leaf,
                      GError              **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (leaf != NULL, FALSE);

  if (leaf->leaf_serial == NULL || leaf->leaf_fingerprint == NULL)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_INVALID,
                   "Journal: a sent leaf needs its serial and fingerprint");
      return FALSE;
    }

  stmt = cached (self, CB_JOURNAL_STMT_LEAF_SENT,
                  "INSERT INTO leaf_states (run_id, at, state, device_serial, leaf_serial, "
                  "  leaf_fingerprint, not_before, not_after) "
                  "VALUES (?, ?, 'sent', ?, ?, ?, ?, ?)",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  cb_journal_db_bind_scrubbed (stmt, 3, leaf->device_serial);
  cb_journal_db_bind_text (stmt, 4, leaf->leaf_serial);
  cb_journal_db_bind_text (stmt, 5, leaf->leaf_fingerprint);
  if (leaf->not_before != 0)
    sqlite3_bind_int64 (stmt, 6, leaf->not_before);
  if (leaf->not_after != 0)
    sqlite3_bind_int64 (stmt, 7, leaf->not_after);

  return step_insert (stmt, self->db, "recording a sent leaf", error);
}

gboolean
cb_journal_resolve_leaf (CbJournal           *self,
                         gint64               run_id,
                         CbJournalLeafState   state,
                         GError             **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);

  if (state != CB_JOURNAL_LEAF_INSTALLED && state != CB_JOURNAL_LEAF_NOT_INSTALLED)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_INVALID,
                   "Journal: a sent leaf resolves as installed or not installed");
      return FALSE;
    }

  /* The resolution repeats the sent row's facts, so each row reads on its own. */
  stmt = cached (self, CB_JOURNAL_STMT_RESOLVE_LEAF,
                  "INSERT INTO leaf_states (run_id, at, state, device_serial, leaf_serial, "
                  "  leaf_fingerprint, not_before, not_after) "
                  "SELECT run_id, ?, ?, device_serial, leaf_serial, leaf_fingerprint, not_before, "
                  "  not_after FROM leaf_states WHERE run_id = ? AND state = 'sent' "
                  "ORDER BY id DESC LIMIT 1",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, g_get_real_time ());
  cb_journal_db_bind_text (stmt, 2, leaf_state_names[state]);
  sqlite3_bind_int64 (stmt, 3, run_id);

  if (!step_insert (stmt, self->db, "resolving a sent leaf", error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND,
                   "Journal: run %" G_GINT64_FORMAT " has no sent leaf", run_id);
      return FALSE;
    }
  return TRUE;
}

CbJournalLeafState
cb_journal_get_leaf_state (CbJournal  *self,
                           gint64      run_id,
                           GError    **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;
  const char *state;

  g_return_val_if_fail (CB_IS_JOURNAL (self), CB_JOURNAL_LEAF_NONE);

  stmt = cached (self, CB_JOURNAL_STMT_LEAF_STATE,
                  "SELECT state FROM leaf_states WHERE run_id = ? ORDER BY id DESC LIMIT 1",
                  error);
  if (stmt == NULL)
    return CB_JOURNAL_LEAF_NONE;
  sqlite3_bind_int64 (stmt, 1, run_id);

  switch (sqlite3_step (stmt))
    {
    case SQLITE_ROW:
      state = (const char *) sqlite3_column_text (stmt, 0);
      for (guint i = CB_JOURNAL_LEAF_SENT; i < G_N_ELEMENTS (leaf_state_names); i++)
        if (g_strcmp0 (state, leaf_state_names[i]) == 0)
          return i;
      return CB_JOURNAL_LEAF_NONE;
    case SQLITE_DONE:
      return CB_JOURNAL_LEAF_NONE;
    default:
      cb_journal_db_set_error (error, self->db, "reading a leaf state");
      return CB_JOURNAL_LEAF_NONE;
    }
}

gint64
cb_journal_find_sent_leaf (CbJournal   *self,
                           const char  *device_serial,
                           char       **leaf_fingerprint,
                           GError     **error)
{
  g_autoptr(CbJournalDbCachedStmt) stmt = NULL;
  g_autofree char *serial = NULL;
  int rc;

  g_return_val_if_fail (CB_IS_JOURNAL (self), 0);
  g_return_val_if_fail (leaf_fingerprint != NULL && *leaf_fingerprint == NULL, 0);

  if (device_serial == NULL || *device_serial == '\0')
    return 0;

  /* The newest sent leaf of the device that no later row resolved. */
  stmt = cached (self, CB_JOURNAL_STMT_FIND_SENT_LEAF,
                  "SELECT s.run_id, s.leaf_fingerprint FROM leaf_states s "
                  "WHERE s.device_serial = ? AND s.state = 'sent' AND NOT EXISTS ("
                  "  SELECT 1 FROM leaf_states r WHERE r.run_id = s.run_id AND r.id > s.id) "
                  "ORDER BY s.id DESC LIMIT 1",
                  error);
  if (stmt == NULL)
    return 0;
  serial = cb_journal_scrub (device_serial);
  sqlite3_bind_text (stmt, 1, serial, -1, SQLITE_TRANSIENT);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return 0;
  if (rc != SQLITE_ROW)
    {
      cb_journal_db_set_error (error, self->db, "looking for a sent leaf");
      return 0;
    }

  *leaf_fingerprint = cb_journal_db_column_dup (stmt, 1);
  return sqlite3_column_int64 (stmt, 0);
}

/* ---- Reading ---------------------------------------------------------------------------- */

static const char run_columns[] =
  "id, uuid, started, station, operator_name, port, profile, policy, serial, model, firmware, "
  "registration_id, ended, result, failed_step, error, hub, device_id, leaf_serial, "
  "leaf_fingerprint, not_before, not_after";

static CbJournalRun *
run_from_row (sqlite3_stmt *stmt)
{
  CbJournalRun *run = g_object_new (CB_TYPE_JOURNAL_RUN, NULL);
  static const int string_columns[N_RUN_STRS] = {
    [RUN_STR_UUID] = 1,
    [RUN_STR_STATION] = 3,
    [RUN_STR_OPERATOR] = 4,
    [RUN_STR_PORT] = 5,
    [RUN_STR_PROFILE] = 6,
    [RUN_STR_POLICY] = 7,
    [RUN_STR_SERIAL] = 8,
    [RUN_STR_MODEL] = 9,
    [RUN_STR_FIRMWARE] = 10,
    [RUN_STR_REGISTRATION_ID] = 11,
    [RUN_STR_FAILED_STEP] = 14,
    [RUN_STR_ERROR] = 15,
    [RUN_STR_HUB] = 16,
    [RUN_STR_DEVICE_ID] = 17,
    [RUN_STR_LEAF_SERIAL] = 18,
    [RUN_STR_LEAF_FINGERPRINT] = 19,
  };

  run->id = sqlite3_column_int64 (stmt, 0);
  run->started = sqlite3_column_int64 (stmt, 2);
  run->ended = sqlite3_column_int64 (stmt, 12);
  if (!cb_journal_result_from_string ((const char *) sqlite3_column_text (stmt, 13), &run->result))
    run->result = CB_JOURNAL_RESULT_FAIL;
  run->not_before = sqlite3_column_int64 (stmt, 20);
  run->not_after = sqlite3_column_int64 (stmt, 21);
  for (guint i = 0; i < N_RUN_STRS; i++)
    run->strings[i] = cb_journal_db_column_dup (stmt, string_columns[i]);

  return run;
}

static sqlite3_stmt *
prepare_run_query (sqlite3               *db,
                   const CbJournalFilter *filter,
                   GError               **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  sqlite3_stmt *stmt;
  CbJournalFilter none = { 0, };
  int n = 0;

  if (filter == NULL)
    filter = &none;

  g_string_append_printf (sql, "SELECT %s FROM run_view WHERE 1", run_columns);
  if (filter->started_after != 0)
    g_string_append (sql, " AND started >= :after");
  if (filter->started_before != 0)
    g_string_append (sql, " AND started < :before");
  if (filter->only_running)
    g_string_append (sql, " AND result IS NULL");
  else if (filter->result != CB_JOURNAL_RESULT_NONE)
    g_string_append (sql, " AND result = :result");
  if (filter->device_serial != NULL)
    g_string_append (sql, " AND serial = :serial");
  if (filter->registration_id != NULL)
    g_string_append (sql, " AND registration_id = :regid COLLATE NOCASE");
  if (filter->port != NULL)
    g_string_append (sql, " AND port = :port");
  g_string_append (sql, " ORDER BY started DESC, id DESC");
  if (filter->limit > 0 || filter->offset > 0)
    g_string_append (sql, " LIMIT :limit OFFSET :offset");

  stmt = cb_journal_db_prepare (db, sql->str, error);
  if (stmt == NULL)
    return NULL;

  if ((n = sqlite3_bind_parameter_index (stmt, ":after")) > 0)
    sqlite3_bind_int64 (stmt, n, filter->started_after);
  if ((n = sqlite3_bind_parameter_index (stmt, ":before")) > 0)
    sqlite3_bind_int64 (stmt, n, filter->started_before);
  if ((n = sqlite3_bind_parameter_index (stmt, ":result")) > 0)
    sqlite3_bind_text (stmt, n, cb_journal_result_to_string (filter->result), -1, SQLITE_STATIC);
  if ((n = sqlite3_bind_parameter_index (stmt, ":serial")) > 0)
    sqlite3_bind_text (stmt, n, filter->device_serial, -1, SQLITE_TRANSIENT);
  if ((n = sqlite3_bind_parameter_index (stmt, ":regid")) > 0)
    sqlite3_bind_text (stmt, n, filter->registration_id, -1, SQLITE_TRANSIENT);
  if ((n = sqlite3_bind_parameter_index (stmt, ":port")) > 0)
    sqlite3_bind_text (stmt, n, filter->port, -1, SQLITE_TRANSIENT);
  if ((n = sqlite3_bind_parameter_index (stmt, ":limit")) > 0)
    sqlite3_bind_int64 (stmt, n, filter->limit > 0 ? (gint64) filter->limit : -1);
  if ((n = sqlite3_bind_parameter_index (stmt, ":offset")) > 0)
    sqlite3_bind_int64 (stmt, n, filter->offset);

  return stmt;
}

GPtrArray *
_cb_journal_list_runs_on (sqlite3               *db,
                          const CbJournalFilter *filter,
                          GError               **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare_run_query (db, filter, error);
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (runs, run_from_row (stmt));

  if (rc != SQLITE_DONE)
    {
      cb_journal_db_set_error (error, db, "listing runs");
      return NULL;
    }

  return g_steal_pointer (&runs);
}

GPtrArray *
_cb_journal_list_steps_on (sqlite3  *db,
                           gint64    run_id,
                           GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  stmt = cb_journal_db_prepare (db,
                  "SELECT id, run_id, idx, name, started, ended, result, error, detail "
                  "FROM step_view "
                  "WHERE record_key BETWEEN ?1 * 131072 AND ?1 * 131072 + 131071 "
                  "ORDER BY record_key",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CbJournalStep *step = g_object_new (CB_TYPE_JOURNAL_STEP, NULL);

      step->id = sqlite3_column_int64 (stmt, 0);
      step->run_id = sqlite3_column_int64 (stmt, 1);
      step->index = sqlite3_column_int (stmt, 2);
      step->name = cb_journal_db_column_dup (stmt, 3);
      step->started = sqlite3_column_int64 (stmt, 4);
      step->ended = sqlite3_column_int64 (stmt, 5);
      if (!cb_journal_result_from_string ((const char *) sqlite3_column_text (stmt, 6),
                                          &step->result))
        step->result = CB_JOURNAL_RESULT_FAIL;
      step->error = cb_journal_db_column_dup (stmt, 7);
      step->detail = cb_journal_db_column_dup (stmt, 8);
      g_ptr_array_add (steps, step);
    }

  if (rc != SQLITE_DONE)
    {
      cb_journal_db_set_error (error, db, "listing steps");
      return NULL;
    }

  return g_steal_pointer (&steps);
}

GPtrArray *
cb_journal_list_runs (CbJournal             *self,
                      const CbJournalFilter *filter,
                      GError               **error)
{
  g_return_val_if_fail (CB_IS_JOURNAL (self), NULL);

  return _cb_journal_list_runs_on (self->db, filter, error);
}

CbJournalRun *
cb_journal_get_run (CbJournal  *self,
                    gint64      run_id,
                    GError    **error)
{
  g_autofree char *sql = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(CbJournalRun) run = NULL;

  g_return_val_if_fail (CB_IS_JOURNAL (self), NULL);

  sql = g_strdup_printf ("SELECT %s FROM run_view WHERE id = ?", run_columns);
  stmt = cb_journal_db_prepare (self->db, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);

  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND,
                   "Journal: there is no run %" G_GINT64_FORMAT, run_id);
      return NULL;
    }

  run = run_from_row (stmt);
  run->steps = _cb_journal_list_steps_on (self->db, run_id, error);
  if (run->steps == NULL)
    return NULL;

  g_clear_pointer (&stmt, cb_journal_db_finalize);
  stmt = cb_journal_db_prepare (self->db, "SELECT log FROM run_protocol_logs WHERE run_id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    run->protocol_log = cb_journal_db_column_dup (stmt, 0);

  return g_steal_pointer (&run);
}

void
_cb_journal_query_data_free (CbJournalQueryData *data)
{
  g_free ((char *) data->filter.device_serial);
  g_free ((char *) data->filter.registration_id);
  g_free ((char *) data->filter.port);
  g_free (data->path);
  g_clear_object (&data->stream);
  g_free (data);
}

CbJournalQueryData *
_cb_journal_query_data_new (CbJournal             *self,
                            const CbJournalFilter *filter)
{
  CbJournalQueryData *data = g_new0 (CbJournalQueryData, 1);

  if (filter != NULL)
    {
      data->filter = *filter;
      data->filter.device_serial = g_strdup (filter->device_serial);
      data->filter.registration_id = g_strdup (filter->registration_id);
      data->filter.port = g_strdup (filter->port);
    }
  data->path = g_strdup (self->path);

  return data;
}

static void
list_runs_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  CbJournalQueryData *data = task_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *runs;
  sqlite3 *db;

  db = cb_journal_db_open (data->path, &error);
  if (db == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  runs = _cb_journal_list_runs_on (db, &data->filter, &error);
  sqlite3_close (db);

  if (runs == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, runs, (GDestroyNotify) g_ptr_array_unref);
}

void
cb_journal_list_runs_async (CbJournal             *self,
                            const CbJournalFilter *filter,
                            GCancellable          *cancellable,
                            GAsyncReadyCallback    callback,
                            gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_JOURNAL (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_journal_list_runs_async);
  g_task_set_task_data (task, _cb_journal_query_data_new (self, filter),
                        (GDestroyNotify) _cb_journal_query_data_free);
  g_task_run_in_thread (task, list_runs_thread);
}

GPtrArray *
cb_journal_list_runs_finish (CbJournal     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (CB_IS_JOURNAL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
