/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Fleet page's counts at fleet scale, against SQLite on the same file.
 *
 * For each fleet size (default 10,000 and 100,000 twins, seeded through the sandbox's own code,
 * cb-sandbox-seed-fleet.c) it times every hub COUNT the Fleet page sends, over HTTPS through the
 * sandbox (sequentially, the way one query would), and the same count done by SQLite directly
 * on the sandbox's database file (sqlite3 C API, json_extract); then the page's time to its
 * counts: all its queries sent at once, as cb-fleet-page.c does, until the last answer. Each
 * figure is repeated, printed as min/median/max, with the ratio to SQLite's median.
 *
 * Run: bench-fleet-query [SIZE ...] [--repeat N]
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb-device-state.h"
#include "cb-hub-client.h"
#include "cb-http.h"
#include "cb-sandbox-private.h"
#include "cb-sandbox-profile.h"
#include "cb-sandbox-seed-fleet.h"
#include "cb-sb-activity.h"
#include "cb-sb-topology.h"
#include "cb-util.h"
#include "cb-x509.h"

#define VALID_FROM  "json_extract(reported, '$.certificate.validFrom')"
#define VALID_UNTIL "json_extract(reported, '$.certificate.validUntil')"
/* lastActivityTime as the twin shows it; a printf format (the percents doubled). */
#define ACTIVITY    "(CASE WHEN last_activity <= 0 THEN '0001-01-01T00:00:00Z' ELSE " \
                    "strftime('%%Y-%%m-%%dT%%H:%%M:%%S', last_activity / 1000000, 'unixepoch') " \
                    "|| printf('.%%03dZ', (last_activity %% 1000000) / 1000) END)"

typedef struct
{
  const char *name;
  int         state;      /* CbDeviceState, -1: the total */
  char       *hub_query;
  char       *sql;
  double     *hub_ms;
  double     *sql_ms;
  gint64      hub_n;
  gint64      sql_n;
} Count;

static int repeat = 5;

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double d = *(const double *) a - *(const double *) b;

  return d < 0 ? -1 : d > 0;
}

/* Sorts v in place. */
static double
median (double *v)
{
  qsort (v, repeat, sizeof (double), compare_doubles);
  return v[repeat / 2];
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
revoke_cb (const CbSbActivityEvent *event,
           gpointer                 user_data)
{
  const char *name = strrchr (event->resource_id, '/');

  if (g_str_has_suffix (event->operation_name, "/devices/revoke/action") && name != NULL)
    cb_revocations_add_device (user_data, name + 1, event->event_usec / G_USEC_PER_SEC);
}

/* SQLite's own form of the state's rule, written by hand from cb-device-state.c. */
static char *
sql_not_revoked (const CbDeviceStateContext *context)
{
  g_autoptr(GPtrArray) ids = cb_revocations_list_devices (context->revocations);
  GString *out = g_string_new ("1");

  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      g_autofree char *when = cb_time_format_fixed (cb_revocations_get_device (context->revocations, id));

      g_string_append_printf (out, " AND (device_id != '%s' OR " VALID_FROM " >= '%s' OR "
                              ACTIVITY " > '%s')", id, when, when);
    }
  return g_string_free (out, FALSE);
}

static char *
sql_for (int                         state,
         const CbDeviceStateContext *context)
{
  g_autofree char *now = cb_time_format_fixed (context->now);
  g_autofree char *cutoff = cb_time_format_fixed (context->now +
      (gint64) ((1.0 - context->renewal_fraction) * context->validity_days * 86400));
  g_autofree char *not_revoked = sql_not_revoked (context);
  const char *base = "SELECT COUNT(*) FROM hub_devices WHERE hub = 'demo-hub'";

  switch (state)
    {
    case -1:
      return g_strdup (base);
    case CB_DEVICE_STATE_REVOKED:
      {
        g_autoptr(GPtrArray) ids = cb_revocations_list_devices (context->revocations);
        GString *out = g_string_new (base);

        g_string_append (out, " AND (0");
        for (guint i = 0; i < ids->len; i++)
          {
            const char *id = g_ptr_array_index (ids, i);
            g_autofree char *when = cb_time_format_fixed (cb_revocations_get_device (context->revocations, id));

            g_string_append_printf (out, " OR (device_id = '%s' AND (" VALID_FROM " IS NULL OR "
                                    VALID_FROM " < '%s') AND " ACTIVITY " <= '%s')", id, when, when);
          }
        g_string_append (out, ")");
        return g_string_free (out, FALSE);
      }
    case CB_DEVICE_STATE_DISABLED:
      return g_strdup_printf ("%s AND %s AND status = 'disabled'", base, not_revoked);
    case CB_DEVICE_STATE_EXPIRED:
      return g_strdup_printf ("%s AND %s AND status != 'disabled' AND " VALID_UNTIL " < '%s'",
                              base, not_revoked, now);
    case CB_DEVICE_STATE_RENEWAL_DUE:
      return g_strdup_printf ("%s AND %s AND status != 'disabled' AND " VALID_UNTIL " >= '%s' AND "
                              VALID_UNTIL " <= '%s'", base, not_revoked, now, cutoff);
    case CB_DEVICE_STATE_HEALTHY:
      return g_strdup_printf ("%s AND %s AND status != 'disabled' AND " VALID_UNTIL " > '%s'",
                              base, not_revoked, cutoff);
    case CB_DEVICE_STATE_NOT_REPORTING:
      return g_strdup_printf ("%s AND %s AND status != 'disabled' AND " VALID_UNTIL " IS NULL",
                              base, not_revoked);
    default:
      g_assert_not_reached ();
    }
}

static gint64
sql_count (sqlite3    *db,
           const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static gint64
page_count (CbHubQueryPage *page)
{
  JsonNode *first;

  if (page->items == NULL || json_array_get_length (page->items) == 0)
    return -1;
  first = json_array_get_element (page->items, 0);
  return JSON_NODE_HOLDS_OBJECT (first)
         ? json_object_get_int_member_with_default (json_node_get_object (first), "n", -1) : -1;
}

typedef struct
{
  guint pending;
} Batch;

static void
batch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Batch *batch = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubQueryPage) page = cb_hub_client_query_finish (CB_HUB_CLIENT (object), result,
                                                               &error);

  if (page == NULL)
    g_error ("query: %s", error->message);
  batch->pending--;
}

static void
run_size (guint devices)
{
  g_autofree char *dir = g_dir_make_tmp ("certbench-bench-fleet-query-XXXXXX", NULL);
  g_autofree char *db_path = g_build_filename (dir, "sandbox.db", NULL);
  g_autoptr(CbSandbox) sandbox = cb_sandbox_new (dir);
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbHttpClient) http = NULL;
  g_autoptr(CbHubClient) hub = NULL;
  g_autoptr(CbRevocations) revocations = cb_revocations_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *hub_key = NULL;
  g_autofree double *page_ms = g_new0 (double, repeat);
  CbSandboxFleetSpec spec = { devices, devices / 50, 20, devices / 10 };
  CbDeviceStateContext context = { 0 };
  CbSbActivityQuery activity = { 0 };
  CbSbActivityCursor activity_cursor = { 0 };
  Count counts[] = {
    { "total", -1 },
    { "revoked", CB_DEVICE_STATE_REVOKED },
    { "disabled", CB_DEVICE_STATE_DISABLED },
    { "expired", CB_DEVICE_STATE_EXPIRED },
    { "renewal due", CB_DEVICE_STATE_RENEWAL_DUE },
    { "healthy", CB_DEVICE_STATE_HEALTHY },
    { "not reporting", CB_DEVICE_STATE_NOT_REPORTING },
  };
  double sql_sum = 0;
  sqlite3 *db = NULL;
  gint64 t0;

  cb_sandbox_set_port (sandbox, 0);
  cb_sandbox_set_mqtt_port (sandbox, 0);
  if (!cb_sandbox_start_in_thread (sandbox, &error))
    g_error ("start: %s", error->message);
  t0 = g_get_monotonic_time ();
  if (!cb_sandbox_seed_fleet (sandbox, &spec, &error))
    g_error ("seed: %s", error->message);
  printf ("\n== %u twins in demo-hub (seeded in %.1f s, data in %s)\n", devices,
          ms_since (t0) / 1000.0, dir);

  /* The signals the page counts with: the service's clock, the revocations in the log. */
  cb_sb_lock (sandbox);
  context.now = cb_sb_now (sandbox);
  activity.subscription = "cb000000-0000-4000-8000-000000000001";
  activity.from_usec = 0;
  activity.to_usec = G_MAXINT64;
  activity.status = "Succeeded";
  cb_sb_activity_query (sandbox, &activity, &activity_cursor, 100000, revoke_cb, revocations);
  hub_key = cb_sb_dup_hub_key (sandbox, "demo-hub", "iothubowner");
  cb_sb_unlock (sandbox);
  context.renewal_fraction = CB_DEFAULT_RENEWAL_FRACTION;
  context.validity_days = 30;
  context.revocations_known = TRUE;
  context.revocations = revocations;

  profile = cb_sandbox_create_profile (sandbox);
  http = cb_http_client_new (profile, &error);
  g_assert_no_error (error);
  hub = cb_hub_client_new (profile, http, NULL);
  cb_hub_client_set_sas_key (hub, "iothubowner", hub_key);

  if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    g_error ("%s: %s", db_path, sqlite3_errmsg (db));

  for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
    {
      Count *count = &counts[c];

      if (count->state < 0)
        count->hub_query = g_strdup ("SELECT COUNT() AS n FROM devices");
      else
        {
          g_autofree char *condition = cb_device_state_build_condition (count->state, &context);

          count->hub_query = g_strdup_printf ("SELECT COUNT() AS n FROM devices WHERE %s",
                                              condition);
        }
      count->sql = sql_for (count->state, &context);
      count->hub_ms = g_new0 (double, repeat);
      count->sql_ms = g_new0 (double, repeat);
    }

  printf ("%-14s %9s %26s %26s %7s\n", "COUNT", "n", "hub over HTTPS min/med/max ms",
          "SQLite min/med/max ms", "ratio");
  for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
    {
      Count *count = &counts[c];
      double hub_med, sql_med;

      for (int r = 0; r < repeat; r++)
        {
          g_autoptr(GAsyncResult) result = NULL;
          g_autoptr(CbHubQueryPage) page = NULL;

          t0 = g_get_monotonic_time ();
          cb_hub_client_query_async (hub, count->hub_query, 0, NULL, NULL, store_cb, &result);
          page = cb_hub_client_query_finish (hub, wait_for (&result), &error);
          count->hub_ms[r] = ms_since (t0);
          if (page == NULL)
            g_error ("%s: %s", count->name, error->message);
          count->hub_n = page_count (page);

          t0 = g_get_monotonic_time ();
          count->sql_n = sql_count (db, count->sql);
          count->sql_ms[r] = ms_since (t0);
        }
      hub_med = median (count->hub_ms);
      sql_med = median (count->sql_ms);
      sql_sum += sql_med;
      printf ("%-14s %9" G_GINT64_FORMAT " %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %6.2fx%s\n",
              count->name, count->hub_n, count->hub_ms[0], hub_med, count->hub_ms[repeat - 1],
              count->sql_ms[0], sql_med, count->sql_ms[repeat - 1], hub_med / sql_med,
              count->hub_n == count->sql_n ? "" : "  (SQLite counted differently)");
      if (count->hub_n != count->sql_n)
        printf ("  SQLite: %" G_GINT64_FORMAT "\n", count->sql_n);
    }

  /* The page: every count at once, until the last answer. */
  for (int r = 0; r < repeat; r++)
    {
      Batch batch = { G_N_ELEMENTS (counts) };

      t0 = g_get_monotonic_time ();
      for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
        cb_hub_client_query_async (hub, counts[c].hub_query, 0, NULL, NULL, batch_cb, &batch);
      while (batch.pending > 0)
        g_main_context_iteration (NULL, TRUE);
      page_ms[r] = ms_since (t0);
    }
  {
    double med = median (page_ms);

    printf ("Fleet page, %zu counts at once: %.1f / %.1f / %.1f ms (min/med/max); "
            "SQLite's %zu counts in sum %.1f ms; ratio %.2fx\n", G_N_ELEMENTS (counts),
            page_ms[0], med, page_ms[repeat - 1], G_N_ELEMENTS (counts), sql_sum, med / sql_sum);
  }
  fflush (stdout);

  for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
    {
      g_free (counts[c].hub_query);
      g_free (counts[c].sql);
      g_free (counts[c].hub_ms);
      g_free (counts[c].sql_ms);
    }
  sqlite3_close (db);
  g_clear_object (&hub);
  cb_sandbox_stop (sandbox);
  g_clear_object (&sandbox);
  if (g_getenv ("CB_BENCH_KEEP") == NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);

      if (system (cmd) != 0)
        g_printerr ("could not remove %s\n", dir);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (guint));

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--repeat") && i + 1 < argc)
        {
          repeat = atoi (argv[++i]);
          repeat = MAX (repeat, 1);
        }
      else
        {
          guint n = (guint) g_ascii_strtoull (argv[i], NULL, 10);

          g_array_append_val (sizes, n);
        }
    }
  if (sizes->len == 0)
    {
      guint defaults[] = { 10000, 100000 };

      g_array_append_vals (sizes, defaults, G_N_ELEMENTS (defaults));
    }

  printf ("bench-fleet-query: %d runs each; hub COUNT over HTTPS vs SQLite json_extract on the "
          "same file\n", repeat);
  for (guint i = 0; i < sizes->len; i++)
    run_size (g_array_index (sizes, guint, i));
  return 0;
}
