/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>

#include <glib/gstdio.h>

#include "cb-test-sandbox.h"

#include "cb-sb-dps-store.h"

/* The sandbox store of a folder made before X.509 registration states: its DPS registration
 * and operation tables lack the x509 column. Starting a sandbox on it adds the column
 * (cb-sb-dps-store.c's migration) and keeps the rows, read as SAS registrations. The run test
 * (test-run-x509-onboarding) covers the new shape itself. */

static const char old_schema[] =
  "CREATE TABLE dps_registrations ("
  "  dps TEXT NOT NULL COLLATE NOCASE, registration_id TEXT NOT NULL COLLATE NOCASE,"
  "  device_id TEXT, assigned_hub TEXT, enrollment_group_id TEXT, status TEXT NOT NULL,"
  "  substatus TEXT, error_code INTEGER, error_message TEXT, etag TEXT NOT NULL,"
  "  operation_id TEXT, created INTEGER NOT NULL, updated INTEGER NOT NULL,"
  "  PRIMARY KEY (dps, registration_id)) STRICT;"
  "CREATE TABLE dps_operations ("
  "  operation_id TEXT PRIMARY KEY, dps TEXT NOT NULL COLLATE NOCASE,"
  "  registration_id TEXT NOT NULL COLLATE NOCASE, started INTEGER NOT NULL,"
  "  status TEXT NOT NULL, substatus TEXT, device_id TEXT, assigned_hub TEXT,"
  "  enrollment_group_id TEXT, error_code INTEGER, error_message TEXT, chain TEXT,"
  "  registration_created INTEGER NOT NULL, etag TEXT NOT NULL, updated INTEGER NOT NULL) STRICT;"
  "INSERT INTO dps_registrations VALUES ('demo-dps', 'old-device', 'old-device', 'h', NULL,"
  "  'assigned', 'initialAssignment', NULL, NULL, 'e', 'op-1', 1, 2);"
  "INSERT INTO dps_operations VALUES ('op-1', 'demo-dps', 'old-device', 1, 'assigned', NULL,"
  "  'old-device', 'h', NULL, NULL, NULL, NULL, 1, 'e', 2);";

static gboolean
has_column (sqlite3    *db,
            const char *table,
            const char *column)
{
  g_autofree char *sql = g_strdup_printf ("SELECT 1 FROM pragma_table_info ('%s') "
                                          "WHERE name = '%s'", table, column);
  sqlite3_stmt *stmt = NULL;
  gboolean found;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  return found;
}

static void
test_migration (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("cb-sb-x509-state-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "sandbox.db", NULL);
  g_autoptr(CbSandbox) sandbox = NULL;
  g_autoptr(CbSbDpsOperation) op = NULL;
  sqlite3 *db = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, old_schema, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_false (has_column (db, "dps_registrations", "x509"));
  sqlite3_close (db);
  g_chmod (path, 0600);

  sandbox = cb_sandbox_new (dir);
  cb_sandbox_set_port (sandbox, 0);
  g_assert_true (cb_sandbox_start (sandbox, &error));
  g_assert_no_error (error);

  cb_sb_lock (sandbox);
  op = cb_sb_dps_registration_load (sandbox, "demo-dps", "old-device");
  cb_sb_unlock (sandbox);
  g_assert_nonnull (op);
  g_assert_cmpstr (op->status, ==, "assigned");
  g_assert_null (op->x509);
  cb_sandbox_stop (sandbox);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_true (has_column (db, "dps_registrations", "x509"));
  g_assert_true (has_column (db, "dps_operations", "x509"));
  sqlite3_close (db);

  g_clear_object (&sandbox);
  cb_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/sandbox/dps-x509-state/migration", test_migration);
  return g_test_run ();
}
