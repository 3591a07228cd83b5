/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sandbox's caches of rows that change rarely (the DPS instances, enrollment groups and
 * enrollments, cb-sb-dps-cache.c) trust one counter, cb_sb_store_generation(), to move at every
 * write to a watched table. A DELETE without WHERE on a table without triggers is SQLite's
 * truncate optimization, which calls no update hook: the counter must move for it too, or a
 * cache would keep rows that are gone. */
#include "config.h"

#include "cb-sb-store.h"
#include "cb-test-sandbox.h"

static gint64
count_rows (CbSandbox  *sandbox,
            const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (sandbox, sql);

  g_assert_nonnull (stmt);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

static void
test_delete_all_moves_generation (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(GError) error = NULL;
  guint64 before, after;

  g_assert_true (cb_sb_exec (ts->sandbox,
                             "CREATE TABLE watch_probe (x INTEGER);"
                             "INSERT INTO watch_probe VALUES (1), (2), (3);",
                             &error));
  g_assert_no_error (error);
  cb_sb_store_watch_table (ts->sandbox, "watch_probe");

  before = cb_sb_store_generation (ts->sandbox);
  g_assert_true (cb_sb_exec (ts->sandbox, "DELETE FROM watch_probe", &error));
  g_assert_no_error (error);
  after = cb_sb_store_generation (ts->sandbox);

  g_assert_cmpint (count_rows (ts->sandbox, "watch_probe"), ==, 0);
  g_assert_cmpuint (after, >, before);

  /* A table not watched: its DELETE moves nothing. */
  g_assert_true (cb_sb_exec (ts->sandbox,
                             "CREATE TABLE unwatched (x INTEGER);"
                             "INSERT INTO unwatched VALUES (1);", &error));
  before = cb_sb_store_generation (ts->sandbox);
  g_assert_true (cb_sb_exec (ts->sandbox, "DELETE FROM unwatched", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cb_sb_store_generation (ts->sandbox), ==, before);
  g_assert_cmpint (count_rows (ts->sandbox, "unwatched"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sandbox-store/watch/delete-all", test_delete_all_moves_generation);
  return g_test_run ();
}
