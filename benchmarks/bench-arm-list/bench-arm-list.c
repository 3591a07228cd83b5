/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The ARM device list of a namespace with 100k devices, walked page by page over HTTPS as a
 * client follows nextLink: the cost of the first, middle and last pages (min/median/max over
 * the walks, and last/first, which keyset paging keeps near 1), and the whole walk against
 * SQLite reading the same rows by keyset straight from the same file. For comparison it also
 * times SQLite's LIMIT/OFFSET pages, which is how the sandbox paged before.
 * The devices go in through the sandbox's own store code, in one transaction.
 * Run: ./build/benchmarks/bench-arm-list/bench-arm-list [devices] [walks] */

#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb-sandbox.h"
#include "cb-sandbox-private.h"
#include "cb-sb-adr-ids.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-directory.h"
#include "cb-sb-store.h"

#define SUB    "5d0e7c1a-2b3c-4d5e-8f90-a1b2c3d4e5f6"
#define RG     "rg-bench"
#define NS     "ns-bench"
#define API    "api-version=2026-03-01-preview"
#define USER   "bench@contoso.example"

static int
compare_doubles (const void *a,
                 const void *b)
{
  double d = *(const double *) a - *(const double *) b;

  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

typedef struct
{
  double min, median, max;
} Stats;

static Stats
stats_of (GArray *values)
{
  Stats s = { 0 };

  g_array_sort (values, compare_doubles);
  s.min = g_array_index (values, double, 0);
  s.median = g_array_index (values, double, values->len / 2);
  s.max = g_array_index (values, double, values->len - 1);
  return s;
}

static void
print_stats (const char *what,
             GArray     *values,
             const char *unit)
{
  Stats s = stats_of (values);

  printf ("  %-44s min %9.2f  median %9.2f  max %9.2f %s\n", what, s.min, s.median, s.max,
          unit);
}

static void
seed (CbSandbox *sandbox,
      guint      n_devices)
{
  g_autofree char *ns_id = cb_sb_namespace_id (SUB, RG, NS);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  cb_sb_lock (sandbox);
  cb_sb_add_principal (sandbox, USER, USER, &error);
  g_assert_no_error (error);
  cb_sb_assign_role (sandbox, USER, CB_SB_ROLE_READER, "/subscriptions/" SUB, &error);
  g_assert_no_error (error);
  g_assert_true (cb_sb_begin (sandbox));
  cb_sb_adr_insert_namespace (sandbox, SUB, RG, NS, "northeurope", NULL, "Succeeded",
                              cb_sb_actor (NULL));
  for (guint i = 0; i < n_devices; i++)
    {
      g_autofree char *name = g_strdup_printf ("line-%02u-device-%06u", i % 7, i);
      g_autofree char *id = cb_sb_device_id (ns_id, name);

      if (!cb_sb_adr_insert_device (sandbox, id, ns_id, name, "northeurope",
                                    "{\"line\": \"bench\"}",
                                    "{\"manufacturer\": \"Contoso\", \"model\": \"Sensor 3\"}",
                                    NULL, 1, "Succeeded", cb_sb_actor (NULL), &error))
        g_error ("Could not insert a device: %s", error->message);
    }
  g_assert_true (cb_sb_commit (sandbox));
  cb_sb_unlock (sandbox);
  printf ("seeded %u devices in %.2f s (one transaction, the sandbox's store code)\n", n_devices,
          (g_get_monotonic_time () - start) / 1e6);
}

/* One walk over HTTPS: the seconds each page took, in order. */
static GArray *
walk_https (SoupSession *session,
            const char  *base_url,
            const char  *authorization,
            guint       *n_items)
{
  GArray *pages = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *url = g_strdup_printf ("%s/arm/subscriptions/" SUB "/resourceGroups/" RG
                                          "/providers/Microsoft.DeviceRegistry/namespaces/" NS
                                          "/devices?" API, base_url);

  *n_items = 0;
  while (url != NULL)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *root;
      gint64 start = g_get_monotonic_time ();
      double seconds;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
      body = soup_session_send_and_read (session, msg, NULL, &error);
      if (body == NULL || soup_message_get_status (msg) != 200)
        g_error ("GET %s: %u %s", url, soup_message_get_status (msg),
                 error != NULL ? error->message : "");
      if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                       g_bytes_get_size (body), &error))
        g_error ("Not JSON: %s", error->message);
      seconds = (g_get_monotonic_time () - start) / 1e6;
      g_array_append_val (pages, seconds);

      root = json_node_get_object (json_parser_get_root (parser));
      *n_items += json_array_get_length (json_object_get_array_member (root, "value"));
      g_free (url);
      url = json_object_has_member (root, "nextLink")
              ? g_strdup (json_object_get_string_member (root, "nextLink")) : NULL;
    }
  return pages;
}

/* The reference: the same rows, every column, by keyset, straight from the file. */
static GArray *
walk_sqlite (sqlite3 *db,
             guint    page_size,
             guint   *n_items)
{
  GArray *pages = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *ns_id = cb_sb_namespace_id (SUB, RG, NS);
  g_autofree char *after = g_strdup ("");
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT * FROM adr_devices WHERE namespace_id = ?1 "
                              "AND name > ?2 ORDER BY name LIMIT ?3", -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s", sqlite3_errmsg (db));
  *n_items = 0;
  for (;;)
    {
      gint64 start = g_get_monotonic_time ();
      guint n = 0;
      double seconds;

      sqlite3_bind_text (stmt, 1, ns_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, after, -1, SQLITE_TRANSIENT);
      /* One row more than a page, as the sandbox reads, to know whether another follows. */
      sqlite3_bind_int (stmt, 3, page_size + 1);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          if (++n > page_size)
            break;
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            (void) sqlite3_column_text (stmt, c);
          if (n == page_size)
            {
              g_free (after);
              after = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
            }
        }
      sqlite3_reset (stmt);
      seconds = (g_get_monotonic_time () - start) / 1e6;
      g_array_append_val (pages, seconds);
      *n_items += MIN (n, page_size);
      if (n <= page_size)
        break;
    }
  sqlite3_finalize (stmt);
  return pages;
}

/* The page at offset by LIMIT/OFFSET, as the sandbox paged before keyset tokens. */
static double
offset_page_sqlite (sqlite3 *db,
                    guint    page_size,
                    guint    offset)
{
  g_autofree char *ns_id = cb_sb_namespace_id (SUB, RG, NS);
  sqlite3_stmt *stmt = NULL;
  gint64 start = g_get_monotonic_time ();

  sqlite3_prepare_v2 (db, "SELECT id FROM adr_devices WHERE namespace_id = ?1 ORDER BY name "
                          "LIMIT ?2 OFFSET ?3", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, ns_id, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, page_size + 1);
  sqlite3_bind_int (stmt, 3, offset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    (void) sqlite3_column_text (stmt, 0);
  sqlite3_finalize (stmt);
  return (g_get_monotonic_time () - start) / 1e6;
}

static void
remove_tree (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (path);
}

/* The median cost of the five pages from `from`, in ms: one page is at the mercy of the
 * machine's other work; five in a row say what that part of the list costs. */
static double
pages_ms (GArray *pages,
          guint   from)
{
  double five[5];

  from = MIN (from, pages->len - G_N_ELEMENTS (five));
  for (guint i = 0; i < G_N_ELEMENTS (five); i++)
    five[i] = g_array_index (pages, double, from + i) * 1000;
  qsort (five, G_N_ELEMENTS (five), sizeof (double), compare_doubles);
  return five[G_N_ELEMENTS (five) / 2];
}

static void
add_value (GArray *array,
           double  value)
{
  g_array_append_val (array, value);
}

int
main (int   argc,
      char *argv[])
{
  guint n_devices = argc > 1 ? (guint) atoi (argv[1]) : 100000;
  guint walks = argc > 2 ? (guint) atoi (argv[2]) : 3;
  guint page_size = 100;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-arm-list-XXXXXX", &error);
  g_autofree char *db_path = NULL;
  g_autoptr(CbSandbox) sandbox = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GTlsDatabase) tls_db = NULL;
  g_autofree char *token = NULL;
  g_autofree char *authorization = NULL;
  g_autoptr(GArray) first = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) middle = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) last = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) total = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) ref_total = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) ref_first = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) ref_last = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) off_first = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) off_last = g_array_new (FALSE, FALSE, sizeof (double));
  sqlite3 *db = NULL;
  Stats f, l, t, rt;

  g_assert_no_error (error);
  /* Five pages at each end at least: pages_ms () takes the median of five. */
  if (n_devices < page_size * 5 || walks < 1)
    {
      fprintf (stderr, "usage: %s [devices ≥ 500] [walks ≥ 1]\n", argv[0]);
      return 2;
    }

  sandbox = cb_sandbox_new (dir);
  cb_sandbox_set_port (sandbox, 0);
  cb_sandbox_set_page_size (sandbox, page_size);
  if (!cb_sandbox_start_in_thread (sandbox, &error))
    g_error ("The sandbox did not start: %s", error->message);
  seed (sandbox, n_devices);

  token = cb_sb_issue_token (sandbox, USER, CB_SB_AUD_ARM, &error);
  g_assert_no_error (error);
  authorization = g_strconcat ("Bearer ", token, NULL);
  tls_db = g_tls_file_database_new (cb_sandbox_get_ca_file (sandbox), &error);
  g_assert_no_error (error);
  session = soup_session_new ();
  soup_session_set_tls_database (session, tls_db);
  soup_session_set_timeout (session, 120);

  db_path = g_build_filename (dir, "sandbox.db", NULL);
  if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    g_error ("%s", sqlite3_errmsg (db));

  printf ("ARM device list, %u devices, %u per page, %u walks each\n", n_devices, page_size,
          walks);
  for (guint w = 0; w < walks; w++)
    {
      guint n_items = 0;
      g_autoptr(GArray) pages = walk_https (session, cb_sandbox_get_base_url (sandbox),
                                            authorization, &n_items);
      g_autoptr(GArray) ref = NULL;
      double sum = 0;

      if (n_items != n_devices)
        g_error ("The walk gave %u devices, not %u", n_items, n_devices);
      add_value (first, pages_ms (pages, 0));
      add_value (middle, pages_ms (pages, pages->len / 2));
      add_value (last, pages_ms (pages, pages->len - 5));
      for (guint i = 0; i < pages->len; i++)
        sum += g_array_index (pages, double, i);
      add_value (total, sum);

      ref = walk_sqlite (db, page_size, &n_items);
      if (n_items != n_devices)
        g_error ("SQLite gave %u devices, not %u", n_items, n_devices);
      sum = 0;
      for (guint i = 0; i < ref->len; i++)
        sum += g_array_index (ref, double, i);
      add_value (ref_total, sum);
      add_value (ref_first, pages_ms (ref, 0));
      add_value (ref_last, pages_ms (ref, ref->len - 5));

      add_value (off_first, offset_page_sqlite (db, page_size, 0) * 1000);
      add_value (off_last, offset_page_sqlite (db, page_size, n_devices - page_size) * 1000);
    }

  printf ("page costs: the median of 5 pages in a row at the start, middle and end\n");
  printf ("certbench sandbox (HTTPS, keyset $skipToken):\n");
  print_stats ("first page", first, "ms");
  print_stats ("middle page", middle, "ms");
  print_stats ("last page", last, "ms");
  print_stats ("whole walk", total, "s");
  printf ("reference, SQLite on the same file (keyset, every column):\n");
  print_stats ("first page", ref_first, "ms");
  print_stats ("last page", ref_last, "ms");
  print_stats ("whole walk", ref_total, "s");
  printf ("for comparison, SQLite LIMIT/OFFSET (the sandbox's paging before):\n");
  print_stats ("first page", off_first, "ms");
  print_stats ("last page", off_last, "ms");

  f = stats_of (first);
  l = stats_of (last);
  t = stats_of (total);
  rt = stats_of (ref_total);
  printf ("ratio last/first page (medians): %.2fx (target ~1x)\n", l.median / f.median);
  printf ("ratio whole walk / SQLite keyset walk (medians): %.1fx\n", t.median / rt.median);

  sqlite3_close (db);
  cb_sandbox_stop (sandbox);
  g_clear_object (&sandbox);
  remove_tree (dir);
  return 0;
}
