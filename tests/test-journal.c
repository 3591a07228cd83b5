/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "cb-csv-reader.h"
#include "cb-journal.h"
#include "cb-journal-private.h"
#include "cb-journal-export.h"
#include "cb-protocol-log.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
remove_dir (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cb-journal-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "sub", "journal.sqlite", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *sub = g_path_get_dirname (f->path);

  remove_dir (sub);
  remove_dir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* A run with two steps, ended as given. Returns the run id. */
static gint64
add_run (CbJournal       *journal,
         const char      *serial,
         const char      *regid,
         CbJournalResult  result,
         const char      *error_text)
{
  g_autoptr(GError) error = NULL;
  CbJournalRunStart start = {
    .station = "bench-1", .operator_name = "ana", .port = "/dev/ttyUSB0",
    .profile = "sandbox", .policy = "line1",
  };
  CbJournalDevice device = { .serial = serial, .model = "cb-1", .firmware = "1.2.3",
                             .registration_id = regid };
  CbJournalRunEnd end = { .result = result };
  gint64 run_id, step_id;

  run_id = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run_id, >, 0);

  step_id = cb_journal_begin_step (journal, run_id, "identify", 0, &error);
  g_assert_no_error (error);
  cb_journal_set_device (journal, run_id, &device, &error);
  g_assert_no_error (error);
  cb_journal_end_step (journal, step_id, CB_JOURNAL_RESULT_PASS, NULL, "p256", 0, &error);
  g_assert_no_error (error);

  step_id = cb_journal_begin_step (journal, run_id, "register", 0, &error);
  g_assert_no_error (error);
  cb_journal_end_step (journal, step_id,
                       result == CB_JOURNAL_RESULT_PASS ? CB_JOURNAL_RESULT_PASS : result,
                       error_text, NULL, 0, &error);
  g_assert_no_error (error);

  if (result == CB_JOURNAL_RESULT_PASS)
    {
      end.leaf_serial = "0a1b2c";
      end.leaf_fingerprint = "AA:BB:CC";
      end.not_before = 1767225600;
      end.not_after = 1769817600;
      end.hub = "demo-hub.azure-devices.net";
      end.device_id = regid;
    }
  else
    {
      end.failed_step = "register";
      end.error = error_text;
    }
  cb_journal_end_run (journal, run_id, &end, &error);
  g_assert_no_error (error);

  return run_id;
}

static void
test_lifecycle (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  CbJournalRunEnd end = { .result = CB_JOURNAL_RESULT_FAIL };
  CbJournalStep *step;
  gint64 run_id;

  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_get_n_recovered (journal), ==, 0);

  run_id = add_run (journal, "SN-1", "line1-sn-1", CB_JOURNAL_RESULT_PASS, NULL);

  run = cb_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (run), ==, CB_JOURNAL_RESULT_PASS);
  g_assert_cmpstr (cb_journal_run_get_station (run), ==, "bench-1");
  g_assert_cmpstr (cb_journal_run_get_operator (run), ==, "ana");
  g_assert_cmpstr (cb_journal_run_get_port (run), ==, "/dev/ttyUSB0");
  g_assert_cmpstr (cb_journal_run_get_device_serial (run), ==, "SN-1");
  g_assert_cmpstr (cb_journal_run_get_registration_id (run), ==, "line1-sn-1");
  g_assert_cmpstr (cb_journal_run_get_policy (run), ==, "line1");
  g_assert_cmpstr (cb_journal_run_get_leaf_serial (run), ==, "0a1b2c");
  g_assert_cmpstr (cb_journal_run_get_leaf_fingerprint (run), ==, "AA:BB:CC");
  g_assert_cmpint (cb_journal_run_get_not_before (run), ==, 1767225600);
  g_assert_cmpint (cb_journal_run_get_not_after (run), ==, 1769817600);
  g_assert_cmpint (cb_journal_run_get_ended (run), >=, cb_journal_run_get_started (run));
  g_assert_cmpuint (strlen (cb_journal_run_get_uuid (run)), ==, 36);
  g_assert_null (cb_journal_run_get_failed_step (run));

  g_assert_nonnull (cb_journal_run_get_steps (run));
  g_assert_cmpuint (cb_journal_run_get_steps (run)->len, ==, 2);
  step = g_ptr_array_index (cb_journal_run_get_steps (run), 0);
  g_assert_cmpstr (cb_journal_step_get_name (step), ==, "identify");
  g_assert_cmpuint (cb_journal_step_get_index (step), ==, 0);
  g_assert_cmpstr (cb_journal_step_get_detail (step), ==, "p256");
  g_assert_cmpint (cb_journal_step_get_result (step), ==, CB_JOURNAL_RESULT_PASS);
  g_assert_cmpint (cb_journal_step_get_ended (step), >=, cb_journal_step_get_started (step));
  step = g_ptr_array_index (cb_journal_run_get_steps (run), 1);
  g_assert_cmpstr (cb_journal_step_get_name (step), ==, "register");
  g_assert_cmpuint (cb_journal_step_get_index (step), ==, 1);

  /* An end is written once. */
  g_assert_false (cb_journal_end_run (journal, run_id, &end, &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED);
  g_clear_error (&error);
  g_assert_false (cb_journal_end_step (journal, cb_journal_step_get_id (step),
                                       CB_JOURNAL_RESULT_FAIL, "x", NULL, 0, &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED);
  g_clear_error (&error);
  /* A run that ended takes no more steps. */
  g_assert_cmpint (cb_journal_begin_step (journal, run_id, "late", 0, &error), ==, 0);
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED);
  g_clear_error (&error);
  /* Unknown ids, results that do not belong. */
  g_assert_cmpint (cb_journal_begin_step (journal, 9999, "x", 0, &error), ==, 0);
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (cb_journal_get_run (journal, 9999, &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  end.result = CB_JOURNAL_RESULT_INTERRUPTED;
  g_assert_false (cb_journal_end_run (journal, run_id, &end, &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (cb_journal_begin_step (journal, run_id, "", 0, &error), ==, 0);
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_INVALID);
}

static void
test_append_only (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  static const char * const tampering[] = {
    "UPDATE runs SET station = 'other'",
    "DELETE FROM runs",
    "UPDATE run_ends SET result = 'pass'",
    "DELETE FROM run_ends",
    "DELETE FROM step_records WHERE ended = 0",
    "UPDATE step_records SET error = NULL WHERE ended = 1",
    "DELETE FROM run_devices",
    "INSERT OR REPLACE INTO run_ends (run_id, ended, result) "
    "  SELECT run_id, ended, 'pass' FROM run_ends",
    "INSERT OR REPLACE INTO step_records (record_key, run_id, idx, ended, at, result) "
    "  SELECT record_key, run_id, idx, ended, at, 'pass' FROM step_records WHERE ended = 1",
  };
  g_autoptr(CbJournalRun) run = NULL;
  sqlite3 *db = NULL;
  gint64 run_id;

  g_assert_no_error (error);
  run_id = add_run (journal, "SN-1", "r-1", CB_JOURNAL_RESULT_FAIL, "DPS said no");

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  sqlite3_exec (db, "PRAGMA recursive_triggers = ON", NULL, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (tampering); i++)
    {
      char *message = NULL;
      int rc = sqlite3_exec (db, tampering[i], NULL, NULL, &message);

      g_test_message ("%s -> %d %s", tampering[i], rc, message != NULL ? message : "");
      g_assert_cmpint (rc, !=, SQLITE_OK);
      g_assert_nonnull (message);
      g_assert_nonnull (strstr (message, "append-only"));
      sqlite3_free (message);
    }
  sqlite3_close (db);

  run = cb_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_journal_run_get_station (run), ==, "bench-1");
  g_assert_cmpint (cb_journal_run_get_result (run), ==, CB_JOURNAL_RESULT_FAIL);
  g_assert_cmpstr (cb_journal_run_get_error (run), ==, "DPS said no");
}

static void
test_file_mode (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *dir = g_path_get_dirname (f->path);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  struct stat st;

  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  add_run (journal, "SN-1", "r-1", CB_JOURNAL_RESULT_PASS, NULL);

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  /* The folder was created for the journal, so it is private too. */
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  /* A wider file is tightened when opened. */
  g_clear_object (&journal);
  g_assert_cmpint (g_chmod (f->path, 0644), ==, 0);
  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_newer_schema (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  sqlite3 *db = NULL;

  g_assert_no_error (error);
  g_clear_object (&journal);

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 42", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  journal = cb_journal_open (f->path, &error);
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NEWER_SCHEMA);
  g_assert_null (journal);
}

/* A leaf whose commit answer was lost: sent, then resolved by a read-back; append-only. (A
 * journal from before the table gets it on open: test_migrate_v2.) */
static void
test_leaf_states (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  CbJournalRunStart start = { .station = "bench-1", .port = "/dev/ttyACM0" };
  CbJournalLeaf leaf = {
    .device_serial = "SN-1",
    .leaf_serial = "0a1b",
    .leaf_fingerprint = "AA:BB",
    .not_before = 1700000000,
    .not_after = 1702592000,
  };
  g_autofree char *fingerprint = NULL;
  sqlite3 *db = NULL;
  char *message = NULL;
  gint64 first, second;

  g_assert_no_error (error);
  first = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  second = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);

  g_assert_cmpint (cb_journal_get_leaf_state (journal, first, &error), ==, CB_JOURNAL_LEAF_NONE);
  g_assert_no_error (error);
  g_assert_false (cb_journal_resolve_leaf (journal, first, CB_JOURNAL_LEAF_INSTALLED, &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (cb_journal_leaf_sent (journal, first, &leaf, &error));
  g_assert_no_error (error);
  leaf.leaf_fingerprint = "CC:DD";
  g_assert_true (cb_journal_leaf_sent (journal, second, &leaf, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_get_leaf_state (journal, first, &error), ==, CB_JOURNAL_LEAF_SENT);

  /* The newest unresolved one first; resolving it uncovers the older one. */
  g_assert_cmpint (cb_journal_find_sent_leaf (journal, "SN-1", &fingerprint, &error), ==, second);
  g_assert_cmpstr (fingerprint, ==, "CC:DD");
  g_clear_pointer (&fingerprint, g_free);
  g_assert_true (cb_journal_resolve_leaf (journal, second, CB_JOURNAL_LEAF_NOT_INSTALLED, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_get_leaf_state (journal, second, &error), ==,
                   CB_JOURNAL_LEAF_NOT_INSTALLED);
  g_assert_cmpint (cb_journal_find_sent_leaf (journal, "SN-1", &fingerprint, &error), ==, first);
  g_assert_cmpstr (fingerprint, ==, "AA:BB");
  g_clear_pointer (&fingerprint, g_free);
  g_assert_true (cb_journal_resolve_leaf (journal, first, CB_JOURNAL_LEAF_INSTALLED, &error));
  g_assert_cmpint (cb_journal_find_sent_leaf (journal, "SN-1", &fingerprint, &error), ==, 0);
  g_assert_cmpint (cb_journal_find_sent_leaf (journal, "SN-2", &fingerprint, &error), ==, 0);
  g_assert_no_error (error);
  g_clear_object (&journal);

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE leaf_states SET state = 'sent'", NULL, NULL, &message),
                   !=, SQLITE_OK);
  g_assert_nonnull (strstr (message, "append-only"));
  sqlite3_free (message);
  sqlite3_close (db);
}

static void
test_filters (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  g_autoptr(GPtrArray) runs = NULL;
  CbJournalFilter filter = { 0, };
  gint64 middle, open_run;
  CbJournalRunStart start = { .port = "/dev/ttyUSB9" };

  g_assert_no_error (error);
  add_run (journal, "SN-1", "line1-sn-1", CB_JOURNAL_RESULT_PASS, NULL);
  add_run (journal, "SN-2", "line1-sn-2", CB_JOURNAL_RESULT_FAIL, "CSR had the wrong CN");
  g_usleep (2000);
  middle = g_get_real_time ();
  g_usleep (2000);
  add_run (journal, "SN-1", "line1-sn-1", CB_JOURNAL_RESULT_CANCELLED, "cancelled");
  add_run (journal, "SN-3", "line1-sn-3", CB_JOURNAL_RESULT_PASS, NULL);
  open_run = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);

  runs = cb_journal_list_runs (journal, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 5);
  /* Newest first. */
  g_assert_cmpint (cb_journal_run_get_id (g_ptr_array_index (runs, 0)), ==, open_run);
  g_assert_cmpint (cb_journal_run_get_result (g_ptr_array_index (runs, 0)), ==,
                   CB_JOURNAL_RESULT_NONE);
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter.result = CB_JOURNAL_RESULT_PASS;
  runs = cb_journal_list_runs (journal, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter = (CbJournalFilter) { .device_serial = "SN-1" };
  runs = cb_journal_list_runs (journal, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  g_clear_pointer (&runs, g_ptr_array_unref);

  /* Registration ids compare as DPS compares them: without case. */
  filter = (CbJournalFilter) { .registration_id = "LINE1-SN-2" };
  runs = cb_journal_list_runs (journal, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpstr (cb_journal_run_get_error (g_ptr_array_index (runs, 0)), ==,
                   "CSR had the wrong CN");
  g_assert_cmpstr (cb_journal_run_get_failed_step (g_ptr_array_index (runs, 0)), ==, "register");
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter = (CbJournalFilter) { .started_after = middle };
  runs = cb_journal_list_runs (journal, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 3);
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter = (CbJournalFilter) { .started_before = middle };
  runs = cb_journal_list_runs (journal, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter = (CbJournalFilter) { .only_running = TRUE };
  runs = cb_journal_list_runs (journal, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpstr (cb_journal_run_get_port (g_ptr_array_index (runs, 0)), ==, "/dev/ttyUSB9");
  g_clear_pointer (&runs, g_ptr_array_unref);

  filter = (CbJournalFilter) { .limit = 2, .offset = 1 };
  runs = cb_journal_list_runs (journal, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 2);
  g_assert_cmpstr (cb_journal_run_get_device_serial (g_ptr_array_index (runs, 0)), ==, "SN-3");
  g_clear_pointer (&runs, g_ptr_array_unref);
}

/* The export read back with the reader the enrollment import uses: rows of fields. */
static GPtrArray *
parse_csv (const char *text)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *records = cb_csv_parse (text, -1, &error);

  g_assert_no_error (error);
  return records;
}

static char *
export_to_string (CbJournal             *journal,
                  const CbJournalFilter *filter,
                  CbJournalExportFormat  format)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) bytes = NULL;

  g_assert_true (cb_journal_export (journal, filter, format, out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (out, "", 1, NULL, NULL, &error));
  g_output_stream_close (out, NULL, NULL);
  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  return g_strdup (g_bytes_get_data (bytes, NULL));
}

static void
test_export_csv (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  g_autofree char *csv = NULL;
  g_autofree char *steps_csv = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) step_rows = NULL;
  GStrv header, row;
  const char *nasty = "DPS answered 400, \"CN mismatch\"\nsee trace";
  int error_col = -1, serial_col = -1, result_col = -1;

  g_assert_no_error (error);
  add_run (journal, "SN-1", "r-1", CB_JOURNAL_RESULT_PASS, NULL);
  add_run (journal, "=cmd|' /C calc'!A0", "r-2", CB_JOURNAL_RESULT_FAIL, nasty);

  csv = export_to_string (journal, NULL, CB_JOURNAL_EXPORT_CSV);
  g_test_message ("%s", csv);
  g_assert_true (g_str_has_suffix (csv, "\r\n"));
  rows = parse_csv (csv);
  g_assert_cmpuint (rows->len, ==, 3);
  header = ((CbCsvRecord *) g_ptr_array_index (rows, 0))->fields;
  for (guint i = 0; header[i] != NULL; i++)
    {
      if (g_str_equal (header[i], "error"))
        error_col = i;
      if (g_str_equal (header[i], "device_serial"))
        serial_col = i;
      if (g_str_equal (header[i], "result"))
        result_col = i;
    }
  g_assert_cmpint (error_col, >=, 0);
  g_assert_cmpint (serial_col, >=, 0);
  g_assert_cmpint (result_col, >=, 0);

  /* Oldest first; every row as wide as the header. */
  row = ((CbCsvRecord *) g_ptr_array_index (rows, 1))->fields;
  g_assert_cmpuint (g_strv_length (row), ==, g_strv_length (header));
  g_assert_cmpstr (row[serial_col], ==, "SN-1");
  g_assert_cmpstr (row[result_col], ==, "pass");
  row = ((CbCsvRecord *) g_ptr_array_index (rows, 2))->fields;
  g_assert_cmpuint (g_strv_length (row), ==, g_strv_length (header));
  g_assert_cmpstr (row[error_col], ==, nasty);
  g_assert_cmpstr (row[serial_col], ==, "'=cmd|' /C calc'!A0");
  g_assert_cmpstr (row[result_col], ==, "fail");

  steps_csv = export_to_string (journal, NULL, CB_JOURNAL_EXPORT_CSV_STEPS);
  step_rows = parse_csv (steps_csv);
  g_assert_cmpuint (step_rows->len, ==, 1 + 4);
  row = ((CbCsvRecord *) g_ptr_array_index (step_rows, 4))->fields;
  g_assert_cmpstr (row[4], ==, "register");
  g_assert_cmpstr (row[8], ==, "fail");
  g_assert_cmpstr (row[9], ==, nasty);
}

static void
test_export_json (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  g_autofree char *empty = NULL;
  CbJournalFilter none = { .device_serial = "nobody" };
  JsonArray *runs, *steps;
  JsonObject *run, *step;

  g_assert_no_error (error);
  empty = export_to_string (journal, NULL, CB_JOURNAL_EXPORT_JSON);
  g_assert_true (json_parser_load_from_data (parser, empty, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json_parser_get_root (parser))),
                    ==, 0);

  add_run (journal, "SN-1", "r-1", CB_JOURNAL_RESULT_PASS, NULL);
  add_run (journal, "SN-2", "r-2", CB_JOURNAL_RESULT_FAIL, "chain check: expired");

  json = export_to_string (journal, NULL, CB_JOURNAL_EXPORT_JSON);
  g_test_message ("%s", json);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  runs = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (runs), ==, 2);

  run = json_array_get_object_element (runs, 0);
  g_assert_cmpstr (json_object_get_string_member (run, "deviceSerial"), ==, "SN-1");
  g_assert_cmpstr (json_object_get_string_member (run, "result"), ==, "pass");
  g_assert_cmpstr (json_object_get_string_member (run, "leafSha256"), ==, "AA:BB:CC");
  g_assert_cmpstr (json_object_get_string_member (run, "notBefore"), ==, "2026-01-01T00:00:00Z");
  g_assert_true (json_object_get_null_member (run, "error"));
  steps = json_object_get_array_member (run, "steps");
  g_assert_cmpuint (json_array_get_length (steps), ==, 2);
  step = json_array_get_object_element (steps, 0);
  g_assert_cmpstr (json_object_get_string_member (step, "name"), ==, "identify");
  g_assert_cmpint (json_object_get_int_member (step, "durationMs"), >=, 0);

  run = json_array_get_object_element (runs, 1);
  g_assert_cmpstr (json_object_get_string_member (run, "result"), ==, "fail");
  g_assert_cmpstr (json_object_get_string_member (run, "failedStep"), ==, "register");
  g_assert_cmpstr (json_object_get_string_member (run, "error"), ==, "chain check: expired");

  g_clear_pointer (&json, g_free);
  json = export_to_string (journal, &none, CB_JOURNAL_EXPORT_JSON);
  g_assert_cmpstr (json, ==, "[]\n");
}

static void
test_scrub (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  g_autofree char *contents = NULL;
  g_autofree char *wal_path = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *wal = NULL;
  const char *secrets[] = {
    "SharedAccessSignature sr=0ne%2Fregistrations%2Fx&sig=c2VjcmV0c2lnbmF0dXJl%3D&se=1&skn=registration",
    "sig=c2VjcmV0c2lnbmF0dXJl",
    "Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2VjcmV0",
    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----",
    "primaryKey=QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
  };
  const char *tokens[] = {
    "c2VjcmV0c2lnbmF0dXJl", "eyJhbGciOiJub25lIn0", "MIGHAgEAMBMGByqGSM49",
    "QUFBQUFBQUFBQUFBQUFB",
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    {
      g_autofree char *clean = cb_journal_scrub (secrets[i]);

      g_test_message ("%s -> %s", secrets[i], clean);
      g_assert_nonnull (strstr (clean, "redacted"));
      for (guint j = 0; j < G_N_ELEMENTS (tokens); j++)
        g_assert_null (strstr (clean, tokens[j]));
    }

  /* Each word a pattern keys on, in any case (a text without one skips the patterns), and
   * a non-ASCII letter PCRE folds to an ASCII one (U+212A KELVIN SIGN to k). */
  {
    const char *cased[] = {
      "PASSWORD: hunter2hunter2", "Secret=hunter2hunter2", "ACCESS_TOKEN=hunter2hunter2",
      "Id_Token: hunter2hunter2", "SKEY=hunter2hunter2", "SIG=hunter2hunter2",
      "bearer hunter2hunter2", "sharedaccesssignature hunter2hunter2",
      "x \xe2\x84\xaa" "ey=hunter2hunter2", "PrimaryKey \t: hunter2hunter2",
      "a token, then access_token = hunter2hunter2",
      /* U+017F LATIN SMALL LETTER LONG S folds to s; a no-break space and an em space are
       * white space to \s; the punctuation the fast path passes does not hide a word */
      "\xc5\xbf" "ecret=hunter2hunter2", "password\xc2\xa0= hunter2hunter2",
      "sig\xe2\x80\x83: hunter2hunter2",
      "policy \xe2\x80\x9c" "default\xe2\x80\x9d \xe2\x86\x92 sig=hunter2hunter2",
    };

    for (guint i = 0; i < G_N_ELEMENTS (cased); i++)
      {
        g_autofree char *clean = cb_journal_scrub (cased[i]);

        g_test_message ("%s -> %s", cased[i], clean);
        g_assert_null (strstr (clean, "hunter2hunter2"));
      }
  }

  /* Harmless text goes through unchanged, words of the patterns included. */
  {
    g_autofree char *key = cb_journal_scrub ("P-256 key generated; signature: verified");

    g_assert_cmpstr (key, ==, "P-256 key generated; signature: verified");
  }
  {
    g_autofree char *same = cb_journal_scrub ("DPS 401002: invalid certificate (step register)");
    g_assert_cmpstr (same, ==, "DPS 401002: invalid certificate (step register)");
  }
  {
    static const char detail[] = "serial SN-1 \xe2\x86\x92 registration id sn-1; the leaf has "
                                 "the CSR's key; policy \xe2\x80\x9c" "default\xe2\x80\x9d";
    g_autofree char *same = cb_journal_scrub (detail);

    g_assert_cmpstr (same, ==, detail);
  }

  /* Whatever reaches the journal as error text is scrubbed before it hits the disk. */
  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    add_run (journal, "SN", "r", CB_JOURNAL_RESULT_FAIL, secrets[i]);
  g_clear_object (&journal);

  g_assert_true (g_file_get_contents (f->path, &contents, NULL, NULL));
  g_file_get_contents (wal_path, &wal, NULL, NULL);
  for (guint j = 0; j < G_N_ELEMENTS (tokens); j++)
    {
      g_assert_null (g_strstr_len (contents, -1, tokens[j]));
      if (wal != NULL)
        g_assert_null (g_strstr_len (wal, -1, tokens[j]));
    }
}

/* The write path keeps its statements prepared: a reused one carries no value of the call
 * before (a run ended without dates after one ended with them stores none). */
static void
test_statements_reused (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  CbJournalRunStart start = { .station = "bench-1", .port = "/dev/ttyACM0" };
  CbJournalRunEnd dated = {
    .result = CB_JOURNAL_RESULT_PASS, .hub = "hub-1", .device_id = "dev-1",
    .leaf_serial = "01", .leaf_fingerprint = "AA", .not_before = 1700000000,
    .not_after = 1702592000,
  };
  CbJournalRunEnd bare = { .result = CB_JOURNAL_RESULT_FAIL, .error = "no answer" };
  g_autoptr(CbJournalRun) first = NULL;
  g_autoptr(CbJournalRun) second = NULL;
  gint64 run1, run2;

  g_assert_no_error (error);
  run1 = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  start.station = NULL;
  run2 = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  g_assert_true (cb_journal_end_run (journal, run1, &dated, &error));
  g_assert_no_error (error);
  g_assert_true (cb_journal_end_run (journal, run2, &bare, &error));
  g_assert_no_error (error);
  /* A failed write leaves its statement ready for the next. */
  g_assert_false (cb_journal_end_run (journal, run2, &bare, &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED);
  g_clear_error (&error);

  first = cb_journal_get_run (journal, run1, &error);
  g_assert_no_error (error);
  second = cb_journal_get_run (journal, run2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_not_before (first), ==, 1700000000);
  g_assert_cmpstr (cb_journal_run_get_station (first), ==, "bench-1");
  g_assert_cmpint (cb_journal_run_get_not_before (second), ==, 0);
  g_assert_cmpint (cb_journal_run_get_not_after (second), ==, 0);
  g_assert_null (cb_journal_run_get_station (second));
  g_assert_null (cb_journal_run_get_hub (second));
  g_assert_cmpint (cb_journal_run_get_result (second), ==, CB_JOURNAL_RESULT_FAIL);
}

/* The one integer sql answers, read on a connection of its own. */
static gint64
count_rows (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

#define STARTS "SELECT COUNT (*) FROM step_records WHERE ended = 0"
#define ENDS "SELECT COUNT (*) FROM step_records WHERE ended = 1"

/* A batch is one transaction: another connection sees none of its rows until it ends. */
static void
test_batch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  CbJournalRunStart start = { .station = "bench-1", .port = "/dev/ttyACM0" };
  gint64 run_id, step_id;

  g_assert_no_error (error);
  run_id = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  step_id = cb_journal_begin_step (journal, run_id, "identify", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->path, STARTS), ==, 1);

  cb_journal_batch_begin (journal);
  g_assert_true (cb_journal_end_step (journal, step_id, CB_JOURNAL_RESULT_PASS, NULL, NULL, 0,
                                      &error));
  cb_journal_batch_begin (journal);   /* nested: the outer batch commits */
  g_assert_cmpint (cb_journal_begin_step (journal, run_id, "keygen", 0, &error), >, 0);
  g_assert_true (cb_journal_batch_end (journal, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->path, STARTS), ==, 1);
  g_assert_cmpint (count_rows (f->path, ENDS), ==, 0);

  g_assert_true (cb_journal_batch_end (journal, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->path, STARTS), ==, 2);
  g_assert_cmpint (count_rows (f->path, ENDS), ==, 1);

  /* Outside a batch each row commits at once, as before. */
  g_assert_true (cb_journal_set_device (journal, run_id, &(CbJournalDevice) { .serial = "SN-1" },
                                        &error));
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM run_devices"), ==, 1);
}

/* A connection numbers the steps of the runs it starts without asking the table; a number
 * another connection took meanwhile, or one a rolled-back batch held, is asked for again. */
static void
test_steps_numbered (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  g_autoptr(CbJournal) other = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  CbJournalRunStart start = { .station = "bench-1", .port = "/dev/ttyACM0" };
  static const char * const names[] = { "identify", "other", "keygen", "csr" };
  GPtrArray *steps;
  gint64 run_id, step_id;

  g_assert_no_error (error);
  other = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  run_id = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  step_id = cb_journal_begin_step (journal, run_id, "identify", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (step_id % 65536, ==, 0);

  /* Step 1 taken on another connection: this one's next start is refused by the key and
   * asks again. */
  step_id = cb_journal_begin_step (other, run_id, "other", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (step_id % 65536, ==, 1);
  step_id = cb_journal_begin_step (journal, run_id, "keygen", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (step_id % 65536, ==, 2);

  /* A batch whose commit fails (rolled back behind its back): its step's number is free. */
  cb_journal_batch_begin (journal);
  step_id = cb_journal_begin_step (journal, run_id, "lost", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (step_id % 65536, ==, 3);
  g_assert_cmpint (sqlite3_exec (journal->db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_false (cb_journal_batch_end (journal, &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_DATABASE);
  g_clear_error (&error);
  step_id = cb_journal_begin_step (journal, run_id, "csr", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (step_id % 65536, ==, 3);

  run = cb_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  steps = cb_journal_run_get_steps (run);
  g_assert_cmpuint (steps->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < steps->len; i++)
    {
      CbJournalStep *step = g_ptr_array_index (steps, i);

      g_assert_cmpuint (cb_journal_step_get_index (step), ==, i);
      g_assert_cmpstr (cb_journal_step_get_name (step), ==, names[i]);
    }
}

/* The frames in a journal's write-ahead log (valid ones: the log's current salts). */
static guint
wal_frames (const char *path)
{
  g_autofree char *wal_path = g_strconcat (path, "-wal", NULL);
  g_autofree char *data = NULL;
  gsize length, page_size, offset;
  const guint8 *p;
  guint frames = 0;

  g_assert_true (g_file_get_contents (wal_path, &data, &length, NULL));
  p = (const guint8 *) data;
  page_size = GUINT32_FROM_BE (*(const guint32 *) (p + 8));
  for (offset = 32; offset + 24 + page_size <= length; offset += 24 + page_size, frames++)
    if (memcmp (p + offset + 8, p + 16, 8) != 0)
      break;
  return frames;
}

/* One run written the way a station's run writes it: seven commits (its start, before each of
 * the five steps with effects, its end), eleven steps, a device, a protocol log of 4 KiB. */
static void
station_run (CbJournal *journal,
             guint      n)
{
  static const char * const names[] = {
    "identify", "keygen", "csr", "register", "check-chain", "install", "commit", "read-back",
    "proof-of-possession", "hub-connect", "journal",
  };
  static const gboolean committed_before[] = { 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) log = g_string_new (NULL);
  g_autofree char *serial = g_strdup_printf ("CB-%08u", n);
  g_autofree char *regid = g_strdup_printf ("line1-cb-%08u", n);
  CbJournalRunStart start = { .station = "bench-1", .port = "/dev/ttyACM0", .profile = "sandbox",
                              .policy = "line1" };
  CbJournalDevice device = { .serial = serial, .model = "cb-1", .firmware = "1.2.3",
                             .registration_id = regid };
  CbJournalRunEnd end = { .result = CB_JOURNAL_RESULT_PASS, .hub = "demo-hub",
                          .device_id = regid, .leaf_serial = "0a1b2c",
                          .leaf_fingerprint = "AA:BB:CC", .not_before = 1, .not_after = 2 };
  gint64 run_id, step_id = 0;

  while (log->len < 4200)
    g_string_append (log, "+   0.001 s  TX v2 read 64/0 (info) {\"r\": 1}\n");
  cb_journal_batch_begin (journal);
  run_id = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  g_assert_true (cb_journal_batch_end (journal, &error));
  cb_journal_batch_begin (journal);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      step_id = cb_journal_begin_step (journal, run_id, names[i], 0, &error);
      g_assert_no_error (error);
      if (committed_before[i])
        {
          g_assert_true (cb_journal_batch_end (journal, &error));
          cb_journal_batch_begin (journal);
        }
      if (i == 0)
        g_assert_true (cb_journal_set_device (journal, run_id, &device, &error));
      if (i + 1 < G_N_ELEMENTS (names))
        g_assert_true (cb_journal_end_step (journal, step_id, CB_JOURNAL_RESULT_PASS, NULL,
                                            "a detail of the step", 0, &error));
    }
  g_assert_true (cb_journal_add_protocol_log (journal, run_id, log->str, &error));
  g_assert_true (cb_journal_end_step (journal, step_id, CB_JOURNAL_RESULT_PASS, NULL, NULL, 0,
                                      &error));
  g_assert_true (cb_journal_end_run (journal, run_id, &end, &error));
  g_assert_true (cb_journal_batch_end (journal, &error));
  g_assert_no_error (error);
}

/* The pages a station's run writes once the journal has runs before it (each a frame of the
 * write-ahead log; a commit writes each page of each b-tree it touches): 15.9 with schema 5,
 * 19.1 with a step's records in a WITHOUT ROWID table, whose splits at the end of the key
 * rewrote three leaves and their parent, 20 with the runs' unique index on uuid too. */
#define STATION_PAGES_PER_RUN 17

static void
test_station_pages (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  guint before, after;

  g_assert_no_error (error);
  /* No checkpoint while counting: the log keeps every frame. */
  g_assert_cmpint (sqlite3_exec (journal->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL,
                                 NULL), ==, SQLITE_OK);
  for (guint i = 0; i < 20; i++)
    station_run (journal, i);
  before = wal_frames (f->path);
  for (guint i = 20; i < 60; i++)
    station_run (journal, i);
  after = wal_frames (f->path);
  g_test_message ("%.2f pages a run", (after - before) / 40.0);
  g_assert_cmpuint (after - before, <=, 40 * STATION_PAGES_PER_RUN);
}

/* A step's row is written without a statement journal (schema 6): SQLite gives a statement
 * one when it may abort after writing, and copies into it each page the statement changes
 * (the journal's buffer: 67 KiB at the peak with schema 5's foreign key and aborting triggers;
 * 3.4 KiB now). Measured by the memory SQLite holds at its peak while a step's rows are
 * written, in a batch as a station writes them. */
static void
test_step_rows_unjournaled (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  CbJournalRunStart start = { .station = "bench-1", .port = "/dev/ttyACM0" };
  sqlite3_int64 used, peak, worst = 0;
  gint64 run_id, step_id;

  g_assert_no_error (error);
  cb_journal_batch_begin (journal);
  run_id = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 8; i++)
    {
      /* The leaf's page is in the batch already: only a statement journal would copy it. */
      used = sqlite3_memory_used ();
      sqlite3_memory_highwater (TRUE);
      step_id = cb_journal_begin_step (journal, run_id, "identify", 0, &error);
      g_assert_no_error (error);
      g_assert_true (cb_journal_end_step (journal, step_id, CB_JOURNAL_RESULT_PASS, NULL,
                                          "a detail", 0, &error));
      peak = sqlite3_memory_highwater (FALSE);
      if (i > 0)
        worst = MAX (worst, peak - used);
    }
  g_assert_true (cb_journal_batch_end (journal, &error));
  g_test_message ("%" G_GINT64_FORMAT " bytes at the peak over what SQLite held", (gint64) worst);
  g_assert_cmpint (worst, <, 16384);
}

/* The write system calls this process made (/proc/self/io), or -1. */
static gint64
write_calls (void)
{
  g_autofree char *io = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/io", &io, NULL, NULL) ||
      (line = strstr (io, "syscw: ")) == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("syscw: "), NULL, 10);
}

/* A commit's frames reach the write-ahead log as one write (cb-journal-vfs.c), where SQLite
 * writes each frame's header and page apart: a station's run made 34 writes for its 7 commits
 * (test-journal /station-pages' runs: 16 frames), now 7. And what was committed reads back, on
 * this connection and another. */
static void
test_commit_one_write (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  gint64 before, after;

  g_assert_no_error (error);
  if (write_calls () < 0)
    {
      g_test_skip ("no /proc/self/io");
      return;
    }
  g_assert_cmpint (sqlite3_exec (journal->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL,
                                 NULL), ==, SQLITE_OK);
  for (guint i = 0; i < 4; i++)
    station_run (journal, i);
  before = write_calls ();
  for (guint i = 4; i < 24; i++)
    station_run (journal, i);
  after = write_calls ();
  g_test_message ("%.2f writes a run", (after - before) / 20.0);
  /* Seven commits a run; a frame's two writes would be 30 and more. */
  g_assert_cmpint (after - before, <=, 20 * 8);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM run_ends"), ==, 24);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM step_view WHERE ended IS NULL"),
                   ==, 0);
  g_clear_object (&journal);
  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM step_records"), ==, 24 * 22);
}

/* The child writes a run, enters "install" and is killed: no atexit, no finalizers. With
 * batched, as a run does: "identify"'s end and "install"'s start in one batch, then a batch
 * it never ends ("install"'s end, "verify"'s start), killed in it: the committed batch is
 * all there, the open one is not. */
static void
crash_child (const char *path,
             gboolean    batched)
{
  g_autoptr(GError) error = NULL;
  CbJournal *journal = cb_journal_open (path, &error);
  CbJournalRunStart start = { .station = "bench-1", .port = "/dev/pts/7" };
  CbJournalDevice device = { .serial = "SN-CRASH", .registration_id = "line1-sn-crash" };
  gint64 run_id, step_id;

  g_assert_no_error (error);
  run_id = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  step_id = cb_journal_begin_step (journal, run_id, "identify", 0, &error);
  g_assert_no_error (error);
  cb_journal_set_device (journal, run_id, &device, &error);
  g_assert_no_error (error);
  if (batched)
    cb_journal_batch_begin (journal);
  cb_journal_end_step (journal, step_id, CB_JOURNAL_RESULT_PASS, NULL, NULL, 0, &error);
  g_assert_no_error (error);
  step_id = cb_journal_begin_step (journal, run_id, "install", 0, &error);
  g_assert_no_error (error);

  if (batched)
    {
      g_assert_true (cb_journal_batch_end (journal, &error));
      cb_journal_batch_begin (journal);
      cb_journal_end_step (journal, step_id, CB_JOURNAL_RESULT_PASS, NULL, NULL, 0, &error);
      g_assert_no_error (error);
      cb_journal_begin_step (journal, run_id, "verify", 0, &error);
      g_assert_no_error (error);
    }

  kill (getpid (), SIGKILL);
}

static char *
crash_path (pid_t parent)
{
  g_autofree char *name = g_strdup_printf ("cb-journal-crash-%d.sqlite", (int) parent);
  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

/* data: TRUE when the child writes as a run does, in batches (crash_child). Either
 * way the open after the kill finds the same run, interrupted in "install". */
static void
test_crash_killed_child (gconstpointer data)
{
  gboolean batched = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbJournal) again = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autofree char *path = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *shm = NULL;
  CbJournalStep *step;

  if (g_test_subprocess ())
    {
      g_autofree char *child_path = crash_path (getppid ());
      crash_child (child_path, batched);
      return;
    }

  path = crash_path (getpid ());
  wal = g_strconcat (path, "-wal", NULL);
  shm = g_strconcat (path, "-shm", NULL);
  g_unlink (path);

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();

  journal = cb_journal_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_get_n_recovered (journal), ==, 1);

  runs = cb_journal_list_runs (journal, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  run = cb_journal_get_run (journal, cb_journal_run_get_id (g_ptr_array_index (runs, 0)), &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (run), ==, CB_JOURNAL_RESULT_INTERRUPTED);
  g_assert_cmpstr (cb_journal_run_get_failed_step (run), ==, "install");
  g_assert_cmpstr (cb_journal_run_get_device_serial (run), ==, "SN-CRASH");
  g_assert_nonnull (strstr (cb_journal_run_get_error (run), "install"));
  g_assert_cmpuint (cb_journal_run_get_steps (run)->len, ==, 2);
  step = g_ptr_array_index (cb_journal_run_get_steps (run), 0);
  g_assert_cmpint (cb_journal_step_get_result (step), ==, CB_JOURNAL_RESULT_PASS);
  step = g_ptr_array_index (cb_journal_run_get_steps (run), 1);
  g_assert_cmpstr (cb_journal_step_get_name (step), ==, "install");
  g_assert_cmpint (cb_journal_step_get_result (step), ==, CB_JOURNAL_RESULT_INTERRUPTED);
  g_assert_cmpint (cb_journal_step_get_ended (step), >, 0);

  /* Marked once: the next open finds nothing more to do. */
  again = cb_journal_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_get_n_recovered (again), ==, 0);

  g_clear_object (&journal);
  g_clear_object (&again);
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}

static void
test_crash_owner_alive_or_gone (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbJournal) second = NULL;
  g_autoptr(CbJournal) third = NULL;
  g_autoptr(CbJournalRun) live = NULL;
  g_autoptr(CbJournalRun) dead = NULL;
  g_autofree char *sql = NULL;
  CbJournalRunStart start = { .port = "/dev/ttyUSB3" };
  const char *argv[] = { "/bin/true", NULL };
  GPid child = 0;
  gint64 live_run, dead_run;
  sqlite3 *db = NULL;
  int status;

  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  live_run = cb_journal_begin_run (journal, &start, &error);
  g_assert_no_error (error);
  cb_journal_begin_step (journal, live_run, "keygen", 0, &error);
  g_assert_no_error (error);

  /* A run whose process has exited (a reaped child's pid) and one from a previous boot. */
  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &child, &error));
  g_assert_no_error (error);
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_spawn_close_pid (child);

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  sql = g_strdup_printf ("INSERT INTO runs (uuid, started, port, owner_host, owner_pid) "
                         "VALUES ('dead-1', 1, 'p1', '%s', %d);"
                         "INSERT INTO step_records (record_key, run_id, idx, ended, at, name) "
                         "  SELECT id * 131072, id, 0, 0, 2, 'commit' FROM runs "
                         "  WHERE uuid = 'dead-1';"
                         "INSERT INTO runs (uuid, started, port, owner_host, owner_boot, owner_pid) "
                         "VALUES ('old-boot', 1, 'p2', '%s', 'another-boot', %d);",
                         g_get_host_name (), (int) child, g_get_host_name (), (int) getpid ());
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  /* A second journal on the same file in this (live) process: our open run stays open. */
  second = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_get_n_recovered (second), ==, 2);

  live = cb_journal_get_run (second, live_run, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (live), ==, CB_JOURNAL_RESULT_NONE);

  dead_run = live_run + 1;
  dead = cb_journal_get_run (second, dead_run, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_journal_run_get_uuid (dead), ==, "dead-1");
  g_assert_cmpint (cb_journal_run_get_result (dead), ==, CB_JOURNAL_RESULT_INTERRUPTED);
  g_assert_cmpstr (cb_journal_run_get_failed_step (dead), ==, "commit");
  g_clear_object (&dead);
  dead = cb_journal_get_run (second, dead_run + 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (dead), ==, CB_JOURNAL_RESULT_INTERRUPTED);
  g_assert_null (cb_journal_run_get_failed_step (dead));
  g_assert_nonnull (strstr (cb_journal_run_get_error (dead), "before its first step"));

  /* The live run can still finish normally. */
  {
    CbJournalRunEnd end = { .result = CB_JOURNAL_RESULT_CANCELLED };
    cb_journal_end_run (journal, live_run, &end, &error);
    g_assert_no_error (error);
  }
  third = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_get_n_recovered (third), ==, 0);
}

static void
on_async_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

static void
test_async (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  CbJournalFilter filter = { .result = CB_JOURNAL_RESULT_FAIL };

  g_assert_no_error (error);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *serial = g_strdup_printf ("SN-%u", i);
      add_run (journal, serial, serial, i % 4 == 0 ? CB_JOURNAL_RESULT_FAIL : CB_JOURNAL_RESULT_PASS,
               "x");
    }

  cb_journal_list_runs_async (journal, &filter, NULL, on_async_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  runs = cb_journal_list_runs_finish (journal, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 5);
  g_clear_object (&result);

  cb_journal_export_async (journal, NULL, CB_JOURNAL_EXPORT_CSV, out, NULL, on_async_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (cb_journal_export_finish (journal, result, &error));
  g_assert_no_error (error);
  /* header + 20 rows */
  g_assert_cmpuint (g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)), >, 20 * 40);
}


/* A journal as Certbench wrote it before protocol logs (schema 1), byte for byte the old
 * schema and triggers, with one finished run. */
static const char schema_v1_sql[] =
  "CREATE TABLE runs ("
  "  id INTEGER PRIMARY KEY,"
  "  uuid TEXT NOT NULL UNIQUE,"
  "  started INTEGER NOT NULL,"
  "  station TEXT, operator_name TEXT, port TEXT, profile TEXT, policy TEXT,"
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
  "CREATE INDEX steps_run ON steps (run_id, idx);"
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
  "  FROM steps s LEFT JOIN step_ends x ON x.step_id = s.id;"
  "CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_devices_no_update BEFORE UPDATE ON run_devices "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_devices_no_delete BEFORE DELETE ON run_devices "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER steps_no_update BEFORE UPDATE ON steps "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER steps_no_delete BEFORE DELETE ON steps "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER step_ends_no_update BEFORE UPDATE ON step_ends "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER step_ends_no_delete BEFORE DELETE ON step_ends "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_ends_no_update BEFORE UPDATE ON run_ends "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_ends_no_delete BEFORE DELETE ON run_ends "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "INSERT INTO runs (id, uuid, started, station, port) VALUES (1, 'b1c3d8e2-0000-4000-8000-000000000001', 1700000000000000, 'old-bench', '/dev/ttyACM0');"
  "INSERT INTO run_devices (run_id, at, serial, model, firmware, registration_id) VALUES (1, 1700000000100000, 'OLD-0001', 'm', '1.0', 'line1-old-0001');"
  "INSERT INTO steps (id, run_id, idx, name, started) VALUES (1, 1, 0, 'identify', 1700000000000000);"
  "INSERT INTO step_ends (step_id, ended, result) VALUES (1, 1700000000200000, 'pass');"
  "INSERT INTO run_ends (run_id, ended, result) VALUES (1, 1700000001000000, 'pass');"
  "PRAGMA user_version = 1;";

static int
user_version (const char *path)
{
  return (int) count_rows (path, "PRAGMA user_version");
}

static void
test_migrate_v1 (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autofree char *sub = g_path_get_dirname (f->path);
  sqlite3 *db = NULL;
  gint64 run_id;

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_v1_sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_cmpint (user_version (f->path), ==, 1);

  /* Opening migrates; the old run reads as it was written, without a protocol log. */
  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (user_version (f->path), ==, 6);
  /* The steps' duplicate index is gone, and so are the unique ones: each table a run writes
   * is keyed by what it belongs to, one b-tree (a WITHOUT ROWID table's key has no entry of
   * its own in sqlite_master); a step's start and end are rows of one table. */
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM sqlite_master WHERE type = 'index' "
                                        "AND tbl_name IN ('step_records', 'run_ends', "
                                        "'run_protocol_logs')"), ==, 0);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM sqlite_master "
                                        "WHERE name IN ('steps', 'step_ends')"), ==, 0);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM sqlite_master WHERE type = 'index' "
                                        "AND tbl_name = 'run_devices'"), ==, 2);
  runs = cb_journal_list_runs (journal, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  run = cb_journal_get_run (journal, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_journal_run_get_device_serial (run), ==, "OLD-0001");
  g_assert_cmpstr (cb_journal_run_get_registration_id (run), ==, "line1-old-0001");
  g_assert_cmpint (cb_journal_run_get_result (run), ==, CB_JOURNAL_RESULT_PASS);
  g_assert_cmpuint (cb_journal_run_get_steps (run)->len, ==, 1);
  g_assert_null (cb_journal_run_get_protocol_log (run));
  g_clear_object (&run);

  /* New runs get their log; opening again does not migrate twice. */
  run_id = cb_journal_begin_run (journal, &(CbJournalRunStart) { .station = "new-bench" }, &error);
  g_assert_no_error (error);
  g_assert_true (cb_journal_add_protocol_log (journal, run_id, "+   0.001 s  TX v2 read 64/0 (info)\n",
                                              &error));
  g_assert_no_error (error);
  g_clear_object (&journal);
  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  run = cb_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_journal_run_get_protocol_log (run), ==, "+   0.001 s  TX v2 read 64/0 (info)\n");
}

/* What schema 2 and 3 added to schema 1, as Certbench wrote them (the protocol logs with an id
 * of their own and a unique index on the run; the leaf states, unchanged since). */
static const char schema_v2_sql[] =
  "CREATE TABLE run_protocol_logs ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL UNIQUE REFERENCES runs (id),"
  "  at INTEGER NOT NULL,"
  "  log TEXT NOT NULL"
  ") STRICT;"
  "CREATE TRIGGER run_protocol_logs_no_update BEFORE UPDATE ON run_protocol_logs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_protocol_logs_no_delete BEFORE DELETE ON run_protocol_logs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "PRAGMA user_version = 2;";

static const char schema_v3_sql[] =
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
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  /* Run 2 failed in register after a leaf of an earlier attempt was sent and found installed;
   * run 3 is open on another machine (not ours to judge); run 4 was cut off in install by a
   * process of an earlier boot. Step ids out of run order, as concurrent runs leave them. */
  "INSERT INTO runs (id, uuid, started, station, operator_name, port, profile, policy, "
  "  owner_host, owner_boot, owner_pid, owner_start) VALUES "
  "  (2, 'b1c3d8e2-0000-4000-8000-000000000002', 1700000100000000, 'bench-2', 'ana', "
  "   '/dev/ttyACM1', 'sandbox', 'line1', 'this-bench', 'boot-a', 4242, 77),"
  "  (3, 'b1c3d8e2-0000-4000-8000-000000000003', 1700000200000000, 'bench-2', NULL, "
  "   '/dev/ttyACM2', NULL, NULL, 'another-machine', 'boot-z', 99, 1),"
  "  (4, 'b1c3d8e2-0000-4000-8000-000000000004', 1700000300000000, 'bench-2', NULL, "
  "   '/dev/ttyACM3', NULL, NULL, NULL, 'an-earlier-boot', 1, 1);"
  "INSERT INTO run_devices (run_id, at, serial, model, firmware, registration_id) VALUES "
  "  (3, 1700000200100000, 'OLD-0003', 'm', '1.0', 'line1-old-0003'),"
  "  (2, 1700000100100000, 'OLD-0002', 'm', '1.1', 'Line1-Old-0002'),"
  "  (4, 1700000300100000, 'OLD-0004', NULL, NULL, NULL);"
  "INSERT INTO steps (id, run_id, idx, name, started) VALUES "
  "  (2, 2, 0, 'identify', 1700000100000000),"
  "  (3, 3, 0, 'identify', 1700000200000000),"
  "  (4, 2, 1, 'register', 1700000100200000),"
  "  (5, 4, 0, 'identify', 1700000300000000),"
  "  (6, 3, 1, 'install', 1700000200300000),"
  "  (7, 4, 1, 'install', 1700000300300000);"
  "INSERT INTO step_ends (step_id, ended, result, error, detail) VALUES "
  "  (3, 1700000200200000, 'pass', NULL, 'serial OLD-0003'),"
  "  (2, 1700000100100000, 'pass', NULL, 'serial OLD-0002, model m'),"
  "  (5, 1700000300200000, 'skipped', NULL, 'not applicable: no modem'),"
  "  (4, 1700000100400000, 'fail', 'DPS said no', NULL);"
  "INSERT INTO run_protocol_logs (run_id, at, log) VALUES "
  "  (2, 1700000100500000, '+   0.001 s  TX v2 read 64/0 (info)\n+   0.002 s  == step register\n');"
  "INSERT INTO leaf_states (run_id, at, state, device_serial, leaf_serial, leaf_fingerprint, "
  "  not_before, not_after) VALUES "
  "  (2, 1700000100300000, 'sent', 'OLD-0002', '0a0b', 'AA:BB', 1700000000, 1702592000),"
  "  (2, 1700000100350000, 'installed', 'OLD-0002', '0a0b', 'AA:BB', 1700000000, 1702592000);"
  "INSERT INTO run_ends (run_id, ended, result, failed_step, error, hub, device_id, "
  "  leaf_serial, leaf_fingerprint, not_before, not_after) VALUES "
  "  (2, 1700000100600000, 'fail', 'register', 'register: DPS said no', NULL, NULL, NULL, "
  "   NULL, NULL, NULL);"
  "PRAGMA user_version = 3;";

/* A schema 2 journal (protocol logs, no leaf states) gets the leaf states and schema 4's tables
 * on open, its log kept. */
static void
test_migrate_v2 (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  g_autofree char *sub = g_path_get_dirname (f->path);
  CbJournalLeaf leaf = {
    .device_serial = "OLD-0001", .leaf_serial = "0a1b", .leaf_fingerprint = "AA:BB",
  };
  sqlite3 *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_v1_sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_v2_sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "INSERT INTO run_protocol_logs (run_id, at, log) "
                                     "VALUES (1, 1700000000900000, 'a log\n')",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_cmpint (user_version (f->path), ==, 2);

  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (user_version (f->path), ==, 6);
  g_assert_true (cb_journal_leaf_sent (journal, 1, &leaf, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_get_leaf_state (journal, 1, &error), ==, CB_JOURNAL_LEAF_SENT);
  run = cb_journal_get_run (journal, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_journal_run_get_protocol_log (run), ==, "a log\n");
  g_assert_cmpuint (cb_journal_run_get_steps (run)->len, ==, 1);
}

/* The first column of a query's first row, read on a read-only connection of its own. */
static char *
query_text (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *text;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

/* Everything a journal holds but the step ids, as one JSON text, read on a connection of its
 * own (the same queries on schema 3 and 4). */
static char *
journal_contents (const char *path,
                  const char *runs_where)
{
  g_autofree char *sql = g_strdup_printf (
    "SELECT json_array ("
    " (SELECT json_group_array (json_array (id, uuid, started, station, operator_name, port,"
    "    profile, policy, serial, model, firmware, registration_id, ended, result, failed_step,"
    "    error, hub, device_id, leaf_serial, leaf_fingerprint, not_before, not_after))"
    "  FROM (SELECT * FROM run_view WHERE %s ORDER BY id)),"
    " (SELECT json_group_array (json_array (run_id, idx, name, started, ended, result, error,"
    "    detail))"
    "  FROM (SELECT * FROM step_view WHERE run_id IN (SELECT id FROM runs WHERE %s)"
    "        ORDER BY run_id, idx)),"
    " (SELECT json_group_array (json_array (r.owner_host, r.owner_boot, r.owner_pid,"
    "    r.owner_start, d.at))"
    "  FROM (SELECT * FROM runs WHERE %s ORDER BY id) r LEFT JOIN run_devices d"
    "  ON d.run_id = r.id),"
    " (SELECT json_group_array (json_array (run_id, at, log))"
    "  FROM (SELECT * FROM run_protocol_logs ORDER BY run_id)),"
    " (SELECT json_group_array (json_array (id, run_id, at, state, device_serial, leaf_serial,"
    "    leaf_fingerprint, not_before, not_after))"
    "  FROM (SELECT * FROM leaf_states ORDER BY id)))",
    runs_where, runs_where, runs_where);

  return query_text (path, sql);
}

/* Schema 3 to 4 (each row a run writes keyed by what it belongs to): every run, step, end,
 * device, log and leaf state reads as before; a run cut off before the upgrade is still
 * recovered naming its step; the new tables are append-only and check what they hold; and the
 * journal takes runs. */
static void
test_migrate_v3 (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  g_autofree char *sub = g_path_get_dirname (f->path);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *before_all = NULL;
  static const char * const tampering[] = {
    "UPDATE step_records SET name = 'x' WHERE ended = 0",
    "DELETE FROM step_records WHERE ended = 1",
    "UPDATE run_devices SET serial = 'x'",
    "DELETE FROM run_ends",
    "UPDATE run_protocol_logs SET log = 'forged'",
    "INSERT INTO step_records (record_key, run_id, idx, ended, at, name) "
    "  VALUES (262148, 2, 2, 0, 1, 'late')",
    "INSERT INTO step_records (record_key, run_id, idx, ended, at, result) "
    "  VALUES (393219, 3, 1, 1, 1, 'passed')",
    "INSERT INTO step_records (record_key, run_id, idx, ended, at, result) "
    "  VALUES (393227, 3, 5, 1, 1, 'pass')",
    "INSERT INTO step_records (record_key, run_id, idx, ended, at, name, result) "
    "  VALUES (393220, 3, 2, 0, 1, 'half', 'pass')",
    "INSERT INTO run_ends (run_id, ended, result) VALUES (3, 1, 'skipped')",
    "INSERT INTO step_records (record_key, run_id, idx, ended, at, name) "
    "  VALUES (524288, 3, 65536, 0, 1, 'far')",
  };
  CbJournalStep *step;
  sqlite3 *db = NULL;
  gint64 run_id, step_id;

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_v1_sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_v2_sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_v3_sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_cmpint (user_version (f->path), ==, 3);
  before = journal_contents (f->path, "id != 4");
  before_all = journal_contents (f->path, "1");
  g_test_message ("schema 3: %s", before_all);

  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (user_version (f->path), ==, 6);
  g_assert_cmpuint (cb_journal_get_n_recovered (journal), ==, 1);
  after = journal_contents (f->path, "id != 4");
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM sqlite_master "
                                        "WHERE name LIKE 'v3_%'"), ==, 0);

  /* Run 4 was cut off in install: recovery names it, its earlier step kept. */
  run = cb_journal_get_run (journal, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (run), ==, CB_JOURNAL_RESULT_INTERRUPTED);
  g_assert_cmpstr (cb_journal_run_get_failed_step (run), ==, "install");
  g_assert_cmpuint (cb_journal_run_get_steps (run)->len, ==, 2);
  step = g_ptr_array_index (cb_journal_run_get_steps (run), 0);
  g_assert_cmpint (cb_journal_step_get_result (step), ==, CB_JOURNAL_RESULT_SKIPPED);
  g_assert_cmpstr (cb_journal_step_get_detail (step), ==, "not applicable: no modem");
  step = g_ptr_array_index (cb_journal_run_get_steps (run), 1);
  g_assert_cmpint (cb_journal_step_get_result (step), ==, CB_JOURNAL_RESULT_INTERRUPTED);
  g_clear_object (&run);

  /* Run 2 through the API: its steps' ids are the steps', its leaf's states kept. */
  run = cb_journal_get_run (journal, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_journal_run_get_protocol_log (run), ==,
                   "+   0.001 s  TX v2 read 64/0 (info)\n+   0.002 s  == step register\n");
  step = g_ptr_array_index (cb_journal_run_get_steps (run), 1);
  g_assert_cmpstr (cb_journal_step_get_error (step), ==, "DPS said no");
  g_assert_false (cb_journal_end_step (journal, cb_journal_step_get_id (step),
                                       CB_JOURNAL_RESULT_PASS, NULL, NULL, 0, &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED);
  g_clear_error (&error);
  g_assert_cmpint (cb_journal_begin_step (journal, 2, "late", 0, &error), ==, 0);
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED);
  g_clear_error (&error);
  g_assert_cmpint (cb_journal_get_leaf_state (journal, 2, &error), ==, CB_JOURNAL_LEAF_INSTALLED);
  g_assert_no_error (error);
  g_clear_object (&run);

  /* Append-only, and ended runs take no steps, behind the API's back too. */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  for (guint i = 0; i < G_N_ELEMENTS (tampering); i++)
    {
      char *message = NULL;

      g_assert_cmpint (sqlite3_exec (db, tampering[i], NULL, NULL, &message), !=, SQLITE_OK);
      g_test_message ("%s -> %s", tampering[i], message);
      g_assert_true (strstr (message, "append-only") != NULL ||
                     strstr (message, "the run has ended") != NULL ||
                     strstr (message, "no such step") != NULL ||
                     strstr (message, "CHECK constraint failed") != NULL);
      sqlite3_free (message);
    }
  sqlite3_close (db);

  /* New runs number their steps on from nothing, the old ones' untouched. */
  run_id = add_run (journal, "SN-NEW", "line1-sn-new", CB_JOURNAL_RESULT_PASS, NULL);
  g_assert_cmpint (run_id, ==, 5);
  run = cb_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_run_get_steps (run)->len, ==, 2);
  step = g_ptr_array_index (cb_journal_run_get_steps (run), 1);
  g_assert_cmpuint (cb_journal_step_get_index (step), ==, 1);
  step_id = cb_journal_begin_step (journal, 3, "verify", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (step_id, >, 0);
  g_clear_object (&journal);

  /* Opening again migrates nothing. */
  g_free (before);
  before = journal_contents (f->path, "1");
  journal = cb_journal_open (f->path, &error);
  g_assert_no_error (error);
  g_free (after);
  after = journal_contents (f->path, "1");
  g_assert_cmpstr (after, ==, before);
}

/* A journal as Certbench wrote it with schema 4 (runs with a unique index on uuid; a run's
 * rows keyed by the run), byte for byte the old schema, with four runs: passed, failed with a
 * leaf's states, open on another machine, cut off in install by an earlier boot. */
static const char schema_v4_sql[] =
  "CREATE TABLE runs ("
  "  id INTEGER PRIMARY KEY,"
  "  uuid TEXT NOT NULL UNIQUE,"
  "  started INTEGER NOT NULL,"
  "  station TEXT, operator_name TEXT, port TEXT, profile TEXT, policy TEXT,"
  "  owner_host TEXT, owner_boot TEXT, owner_pid INTEGER, owner_start INTEGER"
  ") STRICT;"
  "CREATE INDEX runs_started ON runs (started);"
  "CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
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
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TABLE run_devices ("
  "  run_id INTEGER PRIMARY KEY REFERENCES runs (id),"
  "  at INTEGER NOT NULL,"
  "  serial TEXT, model TEXT, firmware TEXT, registration_id TEXT"
  ") STRICT;"
  "CREATE TABLE step_records ("
  "  run_id INTEGER NOT NULL REFERENCES runs (id),"
  "  idx INTEGER NOT NULL CHECK (idx BETWEEN 0 AND 65535),"
  "  ended INTEGER NOT NULL CHECK (ended = 0 OR ended = 1),"
  "  at INTEGER NOT NULL,"
  "  name TEXT,"
  "  result TEXT, error TEXT, detail TEXT,"
  "  CHECK (ended = 0 AND name IS NOT NULL AND result IS NULL AND error IS NULL AND "
  "detail IS NULL OR ended = 1 AND name IS NULL AND (result = 'pass' OR result = 'fail' OR "
  "result = 'cancelled' OR result = 'interrupted' OR result = 'skipped')),"
  "  PRIMARY KEY (run_id, idx, ended)"
  ") STRICT, WITHOUT ROWID;"
  "CREATE TABLE run_ends ("
  "  run_id INTEGER PRIMARY KEY REFERENCES runs (id),"
  "  ended INTEGER NOT NULL,"
  "  result TEXT NOT NULL CHECK (result = 'pass' OR result = 'fail' OR result = 'cancelled' "
  "OR result = 'interrupted'),"
  "  failed_step TEXT, error TEXT, hub TEXT, device_id TEXT,"
  "  leaf_serial TEXT, leaf_fingerprint TEXT, not_before INTEGER, not_after INTEGER"
  ") STRICT;"
  "CREATE TABLE run_protocol_logs ("
  "  run_id INTEGER PRIMARY KEY REFERENCES runs (id),"
  "  at INTEGER NOT NULL,"
  "  log TEXT NOT NULL"
  ") STRICT;"
  "CREATE INDEX run_devices_serial ON run_devices (serial);"
  "CREATE INDEX run_devices_registration ON run_devices (registration_id COLLATE NOCASE);"
  "CREATE TRIGGER step_records_after_run_end BEFORE INSERT ON step_records "
  "WHEN NEW.ended = 0 AND EXISTS (SELECT 1 FROM run_ends WHERE run_id = NEW.run_id) "
  "BEGIN SELECT RAISE (ABORT, 'the run has ended'); END;"
  "CREATE TRIGGER step_records_end_after_start BEFORE INSERT ON step_records "
  "WHEN NEW.ended = 1 AND NOT EXISTS (SELECT 1 FROM step_records WHERE run_id = NEW.run_id "
  "AND idx = NEW.idx AND ended = 0) "
  "BEGIN SELECT RAISE (ABORT, 'no such step'); END;"
  "CREATE VIEW run_view AS"
  "  SELECT r.id, r.uuid, r.started, r.station, r.operator_name, r.port, r.profile, r.policy,"
  "         d.serial, d.model, d.firmware, d.registration_id,"
  "         e.ended, e.result, e.failed_step, e.error, e.hub, e.device_id,"
  "         e.leaf_serial, e.leaf_fingerprint, e.not_before, e.not_after"
  "  FROM runs r"
  "  LEFT JOIN run_devices d ON d.run_id = r.id"
  "  LEFT JOIN run_ends e ON e.run_id = r.id;"
  "CREATE VIEW step_view AS"
  "  SELECT s.run_id * 65536 + s.idx AS id, s.run_id, s.idx, s.name, s.at AS started,"
  "         x.at AS ended, x.result, x.error, x.detail"
  "  FROM step_records s"
  "  LEFT JOIN step_records x ON x.run_id = s.run_id AND x.idx = s.idx AND x.ended = 1"
  "  WHERE s.ended = 0;"
  "CREATE TRIGGER run_devices_no_update BEFORE UPDATE ON run_devices "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_devices_no_delete BEFORE DELETE ON run_devices "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER step_records_no_update BEFORE UPDATE ON step_records "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER step_records_no_delete BEFORE DELETE ON step_records "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_ends_no_update BEFORE UPDATE ON run_ends "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_ends_no_delete BEFORE DELETE ON run_ends "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_protocol_logs_no_update BEFORE UPDATE ON run_protocol_logs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_protocol_logs_no_delete BEFORE DELETE ON run_protocol_logs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "INSERT INTO runs (id, uuid, started, station, operator_name, port, profile, policy, "
  "  owner_host, owner_boot, owner_pid, owner_start) VALUES "
  "  (1, 'b1c3d8e2-0000-4000-8000-000000000001', 1700000000000000, 'bench-4', 'ana', "
  "   '/dev/ttyACM0', 'sandbox', 'line1', 'this-bench', 'boot-a', 4242, 77),"
  "  (2, 'b1c3d8e2-0000-4000-8000-000000000002', 1700000100000000, 'bench-4', NULL, "
  "   '/dev/ttyACM1', NULL, NULL, 'this-bench', 'boot-a', 4242, 77),"
  "  (3, 'b1c3d8e2-0000-4000-8000-000000000003', 1700000200000000, 'bench-4', NULL, "
  "   '/dev/ttyACM2', NULL, NULL, 'another-machine', 'boot-z', 99, 1),"
  "  (4, 'b1c3d8e2-0000-4000-8000-000000000004', 1700000300000000, 'bench-4', NULL, "
  "   '/dev/ttyACM3', NULL, NULL, NULL, 'an-earlier-boot', 1, 1);"
  "INSERT INTO run_devices (run_id, at, serial, model, firmware, registration_id) VALUES "
  "  (1, 1700000000100000, 'V4-0001', 'm', '1.0', 'line1-v4-0001'),"
  "  (2, 1700000100100000, 'V4-0002', 'm', '1.1', 'Line1-V4-0002'),"
  "  (3, 1700000200100000, 'V4-0003', NULL, NULL, NULL),"
  "  (4, 1700000300100000, 'V4-0004', NULL, NULL, NULL);"
  "INSERT INTO step_records (run_id, idx, ended, at, name, result, error, detail) VALUES "
  "  (1, 0, 0, 1700000000000000, 'identify', NULL, NULL, NULL),"
  "  (1, 0, 1, 1700000000100000, NULL, 'pass', NULL, 'serial V4-0001'),"
  "  (1, 1, 0, 1700000000100000, 'keygen', NULL, NULL, NULL),"
  "  (1, 1, 1, 1700000000200000, NULL, 'skipped', NULL, 'not applicable: kept'),"
  "  (2, 0, 0, 1700000100000000, 'identify', NULL, NULL, NULL),"
  "  (2, 0, 1, 1700000100100000, NULL, 'pass', NULL, NULL),"
  "  (2, 1, 0, 1700000100200000, 'register', NULL, NULL, NULL),"
  "  (2, 1, 1, 1700000100400000, NULL, 'fail', 'DPS said no', NULL),"
  "  (3, 0, 0, 1700000200000000, 'identify', NULL, NULL, NULL),"
  "  (4, 0, 0, 1700000300000000, 'identify', NULL, NULL, NULL),"
  "  (4, 0, 1, 1700000300200000, NULL, 'pass', NULL, NULL),"
  "  (4, 1, 0, 1700000300300000, 'install', NULL, NULL, NULL);"
  "INSERT INTO run_protocol_logs (run_id, at, log) VALUES "
  "  (1, 1700000000900000, '+   0.001 s  TX v2 read 64/0 (info)\n');"
  "INSERT INTO leaf_states (run_id, at, state, device_serial, leaf_serial, leaf_fingerprint, "
  "  not_before, not_after) VALUES "
  "  (2, 1700000100300000, 'sent', 'V4-0002', '0a0b', 'AA:BB', 1700000000, 1702592000),"
  "  (2, 1700000100350000, 'installed', 'V4-0002', '0a0b', 'AA:BB', 1700000000, 1702592000);"
  "INSERT INTO run_ends (run_id, ended, result, failed_step, error, hub, device_id, "
  "  leaf_serial, leaf_fingerprint, not_before, not_after) VALUES "
  "  (1, 1700000001000000, 'pass', NULL, NULL, 'hub-1', 'line1-v4-0001', '01', 'CC:DD', "
  "   1700000000, 1702592000),"
  "  (2, 1700000100600000, 'fail', 'register', 'register: DPS said no', NULL, NULL, NULL, "
  "   NULL, NULL, NULL);"
  "PRAGMA user_version = 4;";

/* The schema's objects (type, name, table) as one text, on a connection of its own. */
static char *
schema_objects (const char *path)
{
  return query_text (path, "SELECT group_concat (type || ' ' || name || ' ' || tbl_name, ', ') "
                           "FROM (SELECT * FROM sqlite_master ORDER BY type, name)");
}

/* Schema 4 to 5 (runs without a unique index on uuid: a page less in every run's first
 * commit; a step's records keyed by a rowid: fewer pages a split): every run, step, end,
 * device, log and leaf state reads as before and keeps its id;
 * the cut-off run is still recovered naming its step; the schema has what a new journal has;
 * runs stay append-only and the other tables' rows still need their run; new runs go on. */
/* A journal of an older schema made from its CREATE statements and rows: what it holds, but
 * for the cut-off run 4, for the migration to keep. */
static char *
make_old_journal (const char *path,
                  const char *schema_sql,
                  int         version)
{
  g_autofree char *dir = g_path_get_dirname (path);
  sqlite3 *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema_sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_cmpint (user_version (path), ==, version);
  return journal_contents (path, "id != 4");
}

/* Opening migrates the journal to schema 6, every row kept, and recovers the cut-off run. */
static CbJournal *
open_migrated (const char *path,
               const char *before)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (path, &error);
  g_autofree char *after = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (user_version (path), ==, 6);
  g_assert_cmpuint (cb_journal_get_n_recovered (journal), ==, 1);
  after = journal_contents (path, "id != 4");
  g_assert_cmpstr (after, ==, before);
  return g_steal_pointer (&journal);
}

/* The same schema objects as a journal made new, none left aside under @aside. */
static void
assert_schema_as_new (const char *path,
                      const char *aside)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *fresh_path = g_build_filename (dir, "fresh.sqlite", NULL);
  g_autofree char *fresh = NULL;
  g_autofree char *migrated = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) made = cb_journal_open (fresh_path, &error);

  g_assert_no_error (error);
  fresh = schema_objects (fresh_path);
  migrated = schema_objects (path);
  g_assert_cmpstr (migrated, ==, fresh);
  g_assert_null (strstr (migrated, aside));
}

/* The run cut off during its install, recovered as interrupted there. */
static void
assert_cut_off_run (CbJournal *journal)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournalRun) run = cb_journal_get_run (journal, 4, &error);

  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (run), ==, CB_JOURNAL_RESULT_INTERRUPTED);
  g_assert_cmpstr (cb_journal_run_get_failed_step (run), ==, "install");
}

/* A migrated journal opened again is left as it is. */
static void
assert_reopen_unchanged (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *before = journal_contents (path, "1");
  g_autoptr(CbJournal) journal = cb_journal_open (path, &error);
  g_autofree char *after = NULL;

  g_assert_no_error (error);
  after = journal_contents (path, "1");
  g_assert_cmpstr (after, ==, before);
}

static void
test_migrate_v4 (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  g_autofree char *before = NULL;
  static const char * const tampering[] = {
    "UPDATE runs SET station = 'x'",
    "DELETE FROM runs WHERE id = 1",
    "INSERT INTO run_devices (run_id, at, serial) VALUES (99, 1, 'orphan')",
    "INSERT INTO step_records (record_key, run_id, idx, ended, at, name) "
    "  VALUES (12976128, 99, 0, 0, 1, 'orphan')",
    "UPDATE step_records SET record_key = record_key + 131072",
    /* A record's key is its run, index and end: one that says otherwise is refused. */
    "INSERT INTO step_records (record_key, run_id, idx, ended, at, name) "
    "  VALUES (1000000000, 3, 1, 0, 1, 'elsewhere')",
    "INSERT INTO step_records (run_id, idx, ended, at, name) VALUES (3, 1, 0, 1, 'unkeyed')",
    "INSERT INTO run_ends (run_id, ended, result) VALUES (99, 1, 'pass')",
    "INSERT INTO leaf_states (run_id, at, state, leaf_serial, leaf_fingerprint) "
    "  VALUES (99, 1, 'sent', '01', 'AA')",
  };
  sqlite3 *db = NULL;
  gint64 run_id;

  before = make_old_journal (f->path, schema_v4_sql, 4);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM sqlite_master "
                                        "WHERE type = 'index' AND tbl_name = 'runs'"), ==, 2);

  journal = open_migrated (f->path, before);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM sqlite_master "
                                        "WHERE type = 'index' AND tbl_name = 'runs'"), ==, 1);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM pragma_foreign_key_check"), ==, 0);

  /* The same objects as a journal made new (the old runs table gone, none left aside). */
  assert_schema_as_new (f->path, "v5_");

  assert_cut_off_run (journal);
  g_assert_cmpint (cb_journal_get_leaf_state (journal, 2, &error), ==, CB_JOURNAL_LEAF_INSTALLED);
  g_assert_no_error (error);

  /* Behind the API's back: runs append-only, every row needs its run (foreign keys on; a
   * step's record by the table's trigger, schema 6). */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < G_N_ELEMENTS (tampering); i++)
    {
      char *message = NULL;

      g_assert_cmpint (sqlite3_exec (db, tampering[i], NULL, NULL, &message), !=, SQLITE_OK);
      g_test_message ("%s -> %s", tampering[i], message);
      g_assert_true (strstr (message, "append-only") != NULL ||
                     strstr (message, "FOREIGN KEY constraint failed") != NULL ||
                     strstr (message, "no such run") != NULL ||
                     strstr (message, "CHECK constraint failed") != NULL);
      sqlite3_free (message);
    }
  sqlite3_close (db);

  /* The journal's own connection checks them too, and takes runs on from the old ids. */
  g_assert_false (cb_journal_set_device (journal, 99, &(CbJournalDevice) { .serial = "x" },
                                         &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  run_id = add_run (journal, "SN-NEW", "line1-sn-new", CB_JOURNAL_RESULT_PASS, NULL);
  g_assert_cmpint (run_id, ==, 5);
  run = cb_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_run_get_steps (run)->len, ==, 2);
  g_assert_cmpuint (strlen (cb_journal_run_get_uuid (run)), ==, 36);
  g_clear_object (&journal);

  /* Opening again migrates nothing. */
  assert_reopen_unchanged (f->path);
}

/* Schema 5 as a Certbench of schema 5 made it (its CREATE statements as sqlite_master keeps
 * them), with runs like the v4 test's: a step's records keyed by a rowid, their run a foreign
 * key, two insert triggers that abort. */
static const char schema_v5_sql[] =
  "CREATE TABLE runs (  id INTEGER PRIMARY KEY,  uuid TEXT NOT NULL,  started INTEGER NOT NULL,"
  "  station TEXT, operator_name TEXT, port TEXT, profile TEXT, policy TEXT,  owner_host TEXT,"
  " owner_boot TEXT, owner_pid INTEGER, owner_start INTEGER) STRICT;"
  "CREATE INDEX runs_started ON runs (started);"
  "CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TABLE leaf_states (  id INTEGER PRIMARY KEY,  run_id INTEGER NOT NULL REFERENCES "
  "runs (id),  at INTEGER NOT NULL,  state TEXT NOT NULL CHECK (state IN ('sent', 'installed', "
  "'not-installed')),  device_serial TEXT,  leaf_serial TEXT NOT NULL, leaf_fingerprint TEXT "
  "NOT NULL,  not_before INTEGER, not_after INTEGER) STRICT;"
  "CREATE INDEX leaf_states_device ON leaf_states (device_serial);"
  "CREATE INDEX leaf_states_run ON leaf_states (run_id);"
  "CREATE TRIGGER leaf_states_no_update BEFORE UPDATE ON leaf_states "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER leaf_states_no_delete BEFORE DELETE ON leaf_states "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TABLE run_devices (  run_id INTEGER PRIMARY KEY REFERENCES runs (id),  at INTEGER NOT "
  "NULL,  serial TEXT, model TEXT, firmware TEXT, registration_id TEXT) STRICT;"
  "CREATE TABLE step_records (  record_key INTEGER PRIMARY KEY,  run_id INTEGER NOT NULL "
  "REFERENCES runs (id),  idx INTEGER NOT NULL CHECK (idx BETWEEN 0 AND 65535),  ended INTEGER "
  "NOT NULL CHECK (ended = 0 OR ended = 1),  at INTEGER NOT NULL,  name TEXT,  result TEXT, "
  "error TEXT, detail TEXT,  CHECK (record_key = (run_id * 65536 + idx) * 2 + ended),  CHECK "
  "(ended = 0 AND name IS NOT NULL AND result IS NULL AND error IS NULL AND detail IS NULL OR "
  "ended = 1 AND name IS NULL AND (result = 'pass' OR result = 'fail' OR result = 'cancelled' OR "
  "result = 'interrupted' OR result = 'skipped'))) STRICT;"
  "CREATE TABLE run_ends (  run_id INTEGER PRIMARY KEY REFERENCES runs (id),  ended INTEGER NOT "
  "NULL,  result TEXT NOT NULL CHECK (result = 'pass' OR result = 'fail' OR result = "
  "'cancelled' OR result = 'interrupted'),  failed_step TEXT, error TEXT, hub TEXT, device_id "
  "TEXT,  leaf_serial TEXT, leaf_fingerprint TEXT, not_before INTEGER, not_after INTEGER) STRICT;"
  "CREATE TABLE run_protocol_logs (  run_id INTEGER PRIMARY KEY REFERENCES runs (id),  at "
  "INTEGER NOT NULL,  log TEXT NOT NULL) STRICT;"
  "CREATE INDEX run_devices_serial ON run_devices (serial);"
  "CREATE INDEX run_devices_registration ON run_devices (registration_id COLLATE NOCASE);"
  "CREATE TRIGGER step_records_after_run_end BEFORE INSERT ON step_records WHEN NEW.ended = 0 "
  "AND EXISTS (SELECT 1 FROM run_ends WHERE run_id = NEW.run_id) BEGIN SELECT RAISE (ABORT, "
  "'the run has ended'); END;"
  "CREATE TRIGGER step_records_end_after_start BEFORE INSERT ON step_records WHEN NEW.ended = 1 "
  "AND NOT EXISTS (SELECT 1 FROM step_records WHERE record_key = (NEW.run_id * 65536 + NEW.idx) "
  "* 2) BEGIN SELECT RAISE (ABORT, 'no such step'); END;"
  "CREATE VIEW step_view AS  SELECT s.run_id * 65536 + s.idx AS id, s.run_id, s.idx, s.name, "
  "s.at AS started,         x.at AS ended, x.result, x.error, x.detail, s.record_key  FROM "
  "step_records s  LEFT JOIN step_records x ON x.record_key = s.record_key + 1  WHERE "
  "s.ended = 0;"
  "CREATE VIEW run_view AS  SELECT r.id, r.uuid, r.started, r.station, r.operator_name, r.port, "
  "r.profile, r.policy,         d.serial, d.model, d.firmware, d.registration_id,         "
  "e.ended, e.result, e.failed_step, e.error, e.hub, e.device_id,         e.leaf_serial, "
  "e.leaf_fingerprint, e.not_before, e.not_after  FROM runs r  LEFT JOIN run_devices d ON "
  "d.run_id = r.id  LEFT JOIN run_ends e ON e.run_id = r.id;"
  "CREATE TRIGGER run_devices_no_update BEFORE UPDATE ON run_devices "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_devices_no_delete BEFORE DELETE ON run_devices "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER step_records_no_update BEFORE UPDATE ON step_records "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER step_records_no_delete BEFORE DELETE ON step_records "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_ends_no_update BEFORE UPDATE ON run_ends "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_ends_no_delete BEFORE DELETE ON run_ends "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_protocol_logs_no_update BEFORE UPDATE ON run_protocol_logs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "CREATE TRIGGER run_protocol_logs_no_delete BEFORE DELETE ON run_protocol_logs "
  "BEGIN SELECT RAISE (ABORT, 'the journal is append-only'); END;"
  "INSERT INTO runs (id, uuid, started, station, operator_name, port, profile, policy, "
  "  owner_host, owner_boot, owner_pid, owner_start) VALUES "
  "  (1, 'b1c3d8e2-0000-4000-8000-000000000001', 1700000000000000, 'bench-5', 'ana', "
  "   '/dev/ttyACM0', 'sandbox', 'line1', 'this-bench', 'boot-a', 4242, 77),"
  "  (2, 'b1c3d8e2-0000-4000-8000-000000000002', 1700000100000000, 'bench-5', NULL, "
  "   '/dev/ttyACM1', NULL, NULL, 'this-bench', 'boot-a', 4242, 77),"
  "  (3, 'b1c3d8e2-0000-4000-8000-000000000003', 1700000200000000, 'bench-5', NULL, "
  "   '/dev/ttyACM2', NULL, NULL, 'another-machine', 'boot-z', 99, 1),"
  "  (4, 'b1c3d8e2-0000-4000-8000-000000000004', 1700000300000000, 'bench-5', NULL, "
  "   '/dev/ttyACM3', NULL, NULL, NULL, 'an-earlier-boot', 1, 1);"
  "INSERT INTO run_devices (run_id, at, serial, model, firmware, registration_id) VALUES "
  "  (1, 1700000000100000, 'V5-0001', 'm', '1.0', 'line1-v5-0001'),"
  "  (2, 1700000100100000, 'V5-0002', 'm', '1.1', 'Line1-V5-0002'),"
  "  (3, 1700000200100000, 'V5-0003', NULL, NULL, NULL),"
  "  (4, 1700000300100000, 'V5-0004', NULL, NULL, NULL);"
  "INSERT INTO step_records (record_key, run_id, idx, ended, at, name, result, error, detail) "
  "VALUES "
  "  (131072, 1, 0, 0, 1700000000000000, 'identify', NULL, NULL, NULL),"
  "  (131073, 1, 0, 1, 1700000000100000, NULL, 'pass', NULL, 'serial V5-0001'),"
  "  (131074, 1, 1, 0, 1700000000100000, 'keygen', NULL, NULL, NULL),"
  "  (131075, 1, 1, 1, 1700000000200000, NULL, 'skipped', NULL, 'not applicable: kept'),"
  "  (262144, 2, 0, 0, 1700000100000000, 'identify', NULL, NULL, NULL),"
  "  (262145, 2, 0, 1, 1700000100100000, NULL, 'pass', NULL, NULL),"
  "  (262146, 2, 1, 0, 1700000100200000, 'register', NULL, NULL, NULL),"
  "  (262147, 2, 1, 1, 1700000100400000, NULL, 'fail', 'DPS said no', NULL),"
  "  (393216, 3, 0, 0, 1700000200000000, 'identify', NULL, NULL, NULL),"
  "  (524288, 4, 0, 0, 1700000300000000, 'identify', NULL, NULL, NULL),"
  "  (524289, 4, 0, 1, 1700000300200000, NULL, 'pass', NULL, NULL),"
  "  (524290, 4, 1, 0, 1700000300300000, 'install', NULL, NULL, NULL);"
  "INSERT INTO run_protocol_logs (run_id, at, log) VALUES "
  "  (1, 1700000000900000, '+   0.001 s  TX v2 read 64/0 (info)\n');"
  "INSERT INTO leaf_states (run_id, at, state, device_serial, leaf_serial, leaf_fingerprint, "
  "  not_before, not_after) VALUES "
  "  (2, 1700000100300000, 'sent', 'V5-0002', '0a0b', 'AA:BB', 1700000000, 1702592000),"
  "  (2, 1700000100350000, 'installed', 'V5-0002', '0a0b', 'AA:BB', 1700000000, 1702592000);"
  "INSERT INTO run_ends (run_id, ended, result, failed_step, error, hub, device_id, "
  "  leaf_serial, leaf_fingerprint, not_before, not_after) VALUES "
  "  (1, 1700000001000000, 'pass', NULL, NULL, 'hub-1', 'line1-v5-0001', '01', 'CC:DD', "
  "   1700000000, 1702592000),"
  "  (2, 1700000100600000, 'fail', 'register', 'register: DPS said no', NULL, NULL, NULL, "
  "   NULL, NULL, NULL);"
  "PRAGMA user_version = 5;";

/* Schema 5 to 6 (a step record's run checked by the table's one insert trigger, which fails
 * the statement, instead of a foreign key: no statement journal for a step's row): every run,
 * step, end, device, log and leaf state reads as before; the cut-off run is recovered naming
 * its step; the schema has what a new journal has; a step record still needs its run, its
 * start and a run that has not ended, now with foreign keys off too. */
static void
test_migrate_v5 (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  g_autofree char *before = NULL;
  static const struct
  {
    const char *sql;
    const char *refused;
  } tampering[] = {
    { "INSERT INTO step_records (record_key, run_id, idx, ended, at, name) "
      "  VALUES (12976128, 99, 0, 0, 1, 'orphan')", "no such run" },
    { "INSERT INTO step_records (record_key, run_id, idx, ended, at, name) "
      "  VALUES (262148, 2, 2, 0, 1, 'late')", "the run has ended" },
    { "INSERT INTO step_records (record_key, run_id, idx, ended, at, result) "
      "  VALUES (393219, 3, 1, 1, 1, 'pass')", "no such step" },
    { "INSERT INTO step_records (record_key, run_id, idx, ended, at, result) "
      "  VALUES (131073, 1, 0, 1, 1, 'fail')", "UNIQUE constraint failed" },
    { "INSERT INTO step_records (record_key, run_id, idx, ended, at, name) "
      "  VALUES (1000000000, 3, 1, 0, 1, 'elsewhere')", "CHECK constraint failed" },
    { "UPDATE step_records SET detail = 'x' WHERE ended = 1", "append-only" },
    { "DELETE FROM step_records WHERE ended = 0", "append-only" },
  };
  sqlite3 *db = NULL;
  gint64 run_id;

  before = make_old_journal (f->path, schema_v5_sql, 5);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM "
                                        "pragma_foreign_key_list ('step_records')"), ==, 1);

  journal = open_migrated (f->path, before);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM "
                                        "pragma_foreign_key_list ('step_records')"), ==, 0);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM sqlite_master "
                                        "WHERE type = 'trigger' AND tbl_name = 'step_records' "
                                        "AND sql LIKE '%ABORT, ''no such%'"), ==, 0);
  g_assert_cmpint (count_rows (f->path, "SELECT COUNT (*) FROM pragma_foreign_key_check"), ==, 0);

  assert_schema_as_new (f->path, "v6_");

  assert_cut_off_run (journal);
  run = cb_journal_get_run (journal, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_run_get_steps (run)->len, ==, 2);
  g_clear_object (&run);

  /* Behind the API's back, foreign keys off (a connection's default). */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  for (guint i = 0; i < G_N_ELEMENTS (tampering); i++)
    {
      char *message = NULL;

      g_assert_cmpint (sqlite3_exec (db, tampering[i].sql, NULL, NULL, &message), !=, SQLITE_OK);
      g_test_message ("%s -> %s", tampering[i].sql, message);
      g_assert_nonnull (strstr (message, tampering[i].refused));
      sqlite3_free (message);
    }
  sqlite3_close (db);

  /* The journal's own connection: the same refusals as errors it names. */
  g_assert_cmpint (cb_journal_begin_step (journal, 99, "x", 0, &error), ==, 0);
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (cb_journal_begin_step (journal, 2, "late", 0, &error), ==, 0);
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED);
  g_clear_error (&error);
  g_assert_false (cb_journal_end_step (journal, 3 * 65536 + 1, CB_JOURNAL_RESULT_PASS, NULL,
                                       NULL, 0, &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  run_id = add_run (journal, "SN-NEW", "line1-sn-new", CB_JOURNAL_RESULT_PASS, NULL);
  g_assert_cmpint (run_id, ==, 5);
  run = cb_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_run_get_steps (run)->len, ==, 2);
  g_clear_object (&journal);

  /* Opening again migrates nothing. */
  assert_reopen_unchanged (f->path);
}

static void
test_protocol_log (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournal) journal = cb_journal_open (f->path, &error);
  g_autoptr(CbJournalRun) run = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  sqlite3 *db = NULL;
  char *message = NULL;
  gint64 run_id;

  g_assert_no_error (error);
  run_id = cb_journal_begin_run (journal, &(CbJournalRunStart) { .port = "/dev/ttyX" }, &error);
  g_assert_no_error (error);

  /* No log yet: NULL, not "". */
  run = cb_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  g_assert_null (cb_journal_run_get_protocol_log (run));
  g_clear_object (&run);

  g_assert_true (cb_journal_add_protocol_log (journal, run_id, "line one\nline two\n", &error));
  g_assert_no_error (error);
  /* Once per run, and only for a run that exists. */
  g_assert_false (cb_journal_add_protocol_log (journal, run_id, "again\n", &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_ALREADY_ENDED);
  g_clear_error (&error);
  g_assert_false (cb_journal_add_protocol_log (journal, run_id + 100, "nobody\n", &error));
  g_assert_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_NOT_FOUND);
  g_clear_error (&error);

  run = cb_journal_get_run (journal, run_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_journal_run_get_protocol_log (run), ==, "line one\nline two\n");
  /* Lists stay light: the log comes with one run, not with every row of a list. */
  listed = cb_journal_list_runs (journal, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (cb_journal_run_get_protocol_log (g_ptr_array_index (listed, 0)));

  /* Append-only like the rest. */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE run_protocol_logs SET log = 'forged'", NULL, NULL,
                                 &message), !=, SQLITE_OK);
  sqlite3_free (message);
  message = NULL;
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM run_protocol_logs", NULL, NULL, &message), !=,
                   SQLITE_OK);
  sqlite3_free (message);
  sqlite3_close (db);
}

/* The protocol log's CBOR summaries: secret fields redacted by name, credentials in free text
 * scrubbed, bytes shown by size only. */
/* A packet's summary never allocates what its bytes only declare. The summary built a libcbor
 * tree of every packet without the pre-scan the decoders run first: five bytes from a device,
 * a map announcing 3.2 billion pairs, made the station allocate (and touch) over 20 GB. In a
 * child limited to 512 MB of address space such an allocation fails with ENOMEM; the summary
 * must not even try. */
static void
test_protocol_log_declared_sizes (void)
{
#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("the address sanitizer reserves more address space than the limit");
#else
  if (g_test_subprocess ())
    {
      static const struct { const char *bytes; gsize len; } huge[] = {
        { "\xba\xbf\x64\x74\x69", 5 },                         /* map of 0xbf647469 pairs */
        { "\x9b\x00\x00\x00\x01\x00\x00\x00\x00\x01", 10 },  /* array of 2^32 items */
        { "\xa1\x61k\x9a\x10\x00\x00\x00", 8 },                /* {"k": array of 2^28} */
      };
      struct rlimit limit = { 512 * 1024 * 1024, 512 * 1024 * 1024 };

      g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
      for (guint i = 0; i < G_N_ELEMENTS (huge); i++)
        {
          g_autofree char *summary = NULL;
          g_autofree char *expected = g_strdup_printf ("(not CBOR, %" G_GSIZE_FORMAT " bytes)",
                                                       huge[i].len);

          errno = 0;
          summary = cb_protocol_log_summarize_cbor ((const guint8 *) huge[i].bytes, huge[i].len);
          g_assert_cmpint (errno, !=, ENOMEM);
          g_assert_cmpstr (summary, ==, expected);
        }
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
#endif
}

static void
test_protocol_log_summary (void)
{
  static const char note[] = "SharedAccessSignature sr=hub&sig=S3cr3tSig&se=1";
  g_autoptr(GByteArray) cbor = g_byte_array_new ();
  g_autofree char *summary = NULL;
  guint8 byte;

#define PUT(data, len) g_byte_array_append (cbor, (const guint8 *) (data), (len))
  PUT ("\xa4", 1);                                    /* map of 4 */
  PUT ("\x63" "key", 4);
  PUT ("\x6c" "Zm9vYmFyMTIz", 13);                     /* "Zm9vYmFyMTIz" */
  PUT ("\x64" "note", 5);
  byte = 0x78;
  PUT (&byte, 1);
  byte = sizeof note - 1;
  PUT (&byte, 1);
  PUT (note, sizeof note - 1);
  PUT ("\x61" "n", 2);
  PUT ("\x01", 1);
  PUT ("\x63" "pub", 4);
  PUT ("\x43" "\x01\x02\x03", 4);                    /* 3 bytes */

  summary = cb_protocol_log_summarize_cbor (cbor->data, cbor->len);
  g_test_message ("%s", summary);
  g_assert_null (strstr (summary, "Zm9vYmFyMTIz"));
  g_assert_null (strstr (summary, "S3cr3tSig"));
  g_assert_nonnull (strstr (summary, "key: [redacted]"));
  g_assert_nonnull (strstr (summary, "n: 1"));
  g_assert_nonnull (strstr (summary, "pub: <3 bytes>"));
  g_free (summary);

  summary = cb_protocol_log_summarize_cbor ((const guint8 *) "\xff\xff", 2);
  g_assert_cmpstr (summary, ==, "(not CBOR, 2 bytes)");
  g_free (summary);

  /* A float in a device's answer: libcbor asserts when asked whether a float is a bool, which
   * aborted the station when it wrote the answer's line. {"t": 1.5 (single), "h": 1.0 (half),
   * "b": true, "z": null, "u": undefined} */
  summary = cb_protocol_log_summarize_cbor ((const guint8 *) "\xa5\x61t\xfa\x3f\xc0\x00\x00"
                                            "\x61h\xf9\x3c\x00\x61" "b\xf5\x61z\xf6\x61u\xf7",
                                            22);
  g_test_message ("%s", summary);
  g_assert_cmpstr (summary, ==, "{t: 1.5, h: 1, b: true, z: null, u: undefined}");
  g_free (summary);

  /* Whole, as the journal stores it: a secret name in any case, negative and large numbers,
   * long arrays cut, escapes, nesting. */
  g_byte_array_set_size (cbor, 0);
  PUT ("\xa5", 1);                                    /* map of 5 */
  PUT ("\x68" "SasToken", 9);
  PUT ("\x63" "abc", 4);
  PUT ("\x63" "neg", 4);
  PUT ("\x24", 1);                                    /* -5 */
  PUT ("\x63" "arr", 4);
  PUT ("\x8e", 1);                                    /* array of 14: 0 .. 13 */
  for (guint8 i = 0; i < 14; i++)
    PUT (&i, 1);
  PUT ("\x63" "big", 4);
  PUT ("\x3b\xff\xff\xff\xff\xff\xff\xff\xff", 9); /* -2^64 */
  PUT ("\x61" "m", 2);
  PUT ("\xa1\x61" "q\x65" "a\"b\\\n", 9);           /* {q: "a\"b\\\n"} */
  summary = cb_protocol_log_summarize_cbor (cbor->data, cbor->len);
  g_assert_cmpstr (summary, ==, "{SasToken: [redacted], neg: -5, arr: [0, 1, 2, 3, 4, 5, 6, 7, 8, "
                                "9, 10, 11, … 2 more], big: -18446744073709551616, "
                                "m: {q: \"a\\\"b\\\\\\x0a\"}}");
#undef PUT
}


int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/cb/journal/lifecycle", test_lifecycle);
  ADD ("/cb/journal/append-only", test_append_only);
  ADD ("/cb/journal/file-mode", test_file_mode);
  ADD ("/cb/journal/newer-schema", test_newer_schema);
  ADD ("/cb/journal/migrate-v1", test_migrate_v1);
  ADD ("/cb/journal/migrate-v2", test_migrate_v2);
  ADD ("/cb/journal/migrate-v3", test_migrate_v3);
  ADD ("/cb/journal/migrate-v4", test_migrate_v4);
  ADD ("/cb/journal/protocol-log", test_protocol_log);
  ADD ("/cb/journal/leaf-states", test_leaf_states);
  ADD ("/cb/journal/filters", test_filters);
  g_test_add_func ("/cb/protocol-log/summary", test_protocol_log_summary);
  g_test_add_func ("/cb/protocol-log/summary/declared-sizes", test_protocol_log_declared_sizes);
  ADD ("/cb/journal/export/csv", test_export_csv);
  ADD ("/cb/journal/export/json", test_export_json);
  ADD ("/cb/journal/scrub", test_scrub);
  g_test_add_data_func ("/cb/journal/crash/killed-child", GINT_TO_POINTER (FALSE),
                        test_crash_killed_child);
  g_test_add_data_func ("/cb/journal/crash/killed-in-batch", GINT_TO_POINTER (TRUE),
                        test_crash_killed_child);
  ADD ("/cb/journal/crash/owner-alive-or-gone", test_crash_owner_alive_or_gone);
  ADD ("/cb/journal/async", test_async);
  ADD ("/cb/journal/statements-reused", test_statements_reused);
  ADD ("/cb/journal/batch", test_batch);
  ADD ("/cb/journal/steps-numbered", test_steps_numbered);
  ADD ("/cb/journal/station-pages", test_station_pages);
  ADD ("/cb/journal/migrate-v5", test_migrate_v5);
  ADD ("/cb/journal/step-rows-unjournaled", test_step_rows_unjournaled);
  ADD ("/cb/journal/commit-one-write", test_commit_one_write);

#undef ADD

  return g_test_run ();
}
