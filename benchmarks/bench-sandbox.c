/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sandbox figures: start-up, issuance through DPS, fleet queries, memory.
 * Run: meson compile -C build && ./build/benchmarks/bench-sandbox [REGISTRATIONS [QUERIES]]
 * (defaults 100 and 50, the figures docs/performance.md records; smaller ones are for the
 * smoke test, benchmarks/smoke/). Prints one line per figure. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb-dps-client.h"
#include "cb-hub-client.h"
#include "cb-http.h"
#include "cb-pki.h"
#include "cb-sandbox-profile.h"
#include "cb-sandbox-private.h"

#define REGISTRATIONS 100   /* the defaults */
#define QUERIES       50

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? strtol (line + 6, NULL, 10) : -1;
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

static int
compare_doubles (const void *a,
                 const void *b)
{
  double d = *(const double *) a - *(const double *) b;

  return d < 0 ? -1 : d > 0;
}

static CbSandbox *
start (const char *dir,
       double     *start_ms,
       double     *seed_ms)
{
  g_autoptr(GError) error = NULL;
  CbSandbox *sandbox = cb_sandbox_new (dir);
  gint64 t0;

  cb_sandbox_set_port (sandbox, 0);
  cb_sandbox_set_lro_delay_ms (sandbox, 0);
  t0 = g_get_monotonic_time ();
  if (!cb_sandbox_start_in_thread (sandbox, &error))
    g_error ("start: %s", error->message);
  *start_ms = ms_since (t0);
  t0 = g_get_monotonic_time ();
  if (!cb_sandbox_seed_demo (sandbox, &error))
    g_error ("seed: %s", error->message);
  *seed_ms = ms_since (t0);

  return sandbox;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = g_dir_make_tmp ("certbench-bench-XXXXXX", NULL);
  g_autoptr(CbSandbox) sandbox = NULL;
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbHttpClient) http = NULL;
  g_autoptr(CbDpsClient) dps = NULL;
  g_autoptr(CbHubClient) hub = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *group_key = NULL;
  g_autofree char *hub_key = NULL;
  double start_ms, seed_ms, total_ms;
  double *latencies;
  long rss_before = rss_kib ();
  guint registrations = REGISTRATIONS, n_queries = QUERIES;
  gint64 t0;

  if (argc > 1)
    registrations = (guint) g_ascii_strtoull (argv[1], NULL, 10);
  if (argc > 2)
    n_queries = (guint) g_ascii_strtoull (argv[2], NULL, 10);
  if (registrations < 1 || n_queries < 1)
    {
      g_printerr ("usage: %s [REGISTRATIONS >= 1 [QUERIES >= 1]]\n", argv[0]);
      return 2;
    }

  /* Cold: first start makes the TLS identity; the seed makes the CA, 240 devices and twins. */
  sandbox = start (dir, &start_ms, &seed_ms);
  printf ("sandbox cold start (TLS identity, schema)   %8.1f ms\n", start_ms);
  printf ("demo seed (root, issuing CA, 240 devices)   %8.1f ms\n", seed_ms);
  cb_sandbox_stop (sandbox);
  g_clear_object (&sandbox);

  sandbox = start (dir, &start_ms, &seed_ms);
  printf ("sandbox warm start (existing data)          %8.1f ms\n", start_ms);
  printf ("resident memory after start, whole process  %8ld KiB (%ld KiB before)\n",
          rss_kib (), rss_before);

  profile = cb_sandbox_create_profile (sandbox);
  http = cb_http_client_new (profile, &error);
  g_assert_no_error (error);
  dps = cb_dps_client_new (profile, http);
  group_key = cb_sandbox_dup_enrollment_group_key (sandbox, cb_profile_get_dps_name (profile),
                                                   cb_profile_get_enrollment_group_id (profile));

  /* DPS issuance end to end over HTTPS: key, CSR, register, poll, chain. */
  latencies = g_new0 (double, registrations);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < registrations; i++)
    {
      g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, NULL);
      g_autofree char *reg = g_strdup_printf ("bench-%04u", i);
      g_autoptr(GBytes) csr = cb_csr_create (key, reg, NULL);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(CbDpsRegistration) registration = NULL;
      gint64 t1 = g_get_monotonic_time ();

      cb_dps_client_register_async (dps, reg, group_key, CB_DPS_KEY_ENROLLMENT_GROUP, csr, NULL,
                                    NULL, store_cb, &result);
      registration = cb_dps_client_register_finish (dps, wait_for (&result), &error);
      g_assert_no_error (error);
      latencies[i] = ms_since (t1);
    }
  total_ms = ms_since (t0);
  qsort (latencies, registrations, sizeof (double), compare_doubles);
  printf ("DPS registrations with a CSR, sequential    %8.1f /s (%u in %.0f ms)\n",
          registrations * 1000.0 / total_ms, registrations, total_ms);
  printf ("  latency median / p95                      %8.1f / %.1f ms\n",
          latencies[registrations / 2], latencies[registrations * 95 / 100]);
  g_free (latencies);

  /* Fleet queries as the fleet view makes them. */
  hub = cb_hub_client_new (profile, http, NULL);
  cb_sb_lock (sandbox);
  hub_key = cb_sb_dup_hub_key (sandbox, cb_profile_get_hub_name (profile), "iothubowner");
  cb_sb_unlock (sandbox);
  cb_hub_client_set_sas_key (hub, "iothubowner", hub_key);

  {
    const char *queries[] = {
      "SELECT COUNT() AS n FROM devices WHERE properties.reported.certificate.validUntil < '2026-11-23T00:00:00Z'",
      "SELECT * FROM devices",
    };
    const char *names[] = { "COUNT() over the fleet (340 twins)", "SELECT * first page (100 twins)" };

    for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
      {
        t0 = g_get_monotonic_time ();
        for (guint i = 0; i < n_queries; i++)
          {
            g_autoptr(GAsyncResult) result = NULL;
            g_autoptr(CbHubQueryPage) page = NULL;

            cb_hub_client_query_async (hub, queries[q], 100, NULL, NULL, store_cb, &result);
            page = cb_hub_client_query_finish (hub, wait_for (&result), &error);
            g_assert_no_error (error);
          }
        printf ("hub query: %-34s %8.2f ms each\n", names[q], ms_since (t0) / n_queries);
      }
  }

  printf ("resident memory at the end                  %8ld KiB\n", rss_kib ());

  cb_sandbox_stop (sandbox);
  return 0;
}
