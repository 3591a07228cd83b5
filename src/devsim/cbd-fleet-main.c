/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-devsim --fleet: the command line around CbdFleet. It parses the fleet's options,
 * raises the descriptor limit, runs the fleet until SIGINT/SIGTERM and prints its progress and
 * milestones (all registered, all connected, clock accelerated). The fleet itself, the devices'
 * platform and their roles, is cbd-fleet.c. */
#define G_LOG_DOMAIN "cbd-fleet"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cbd-fleet.h"
#include "cbd-fleet-private.h"

#include "cbd-fleet-main.h"

gboolean
cbd_fleet_wanted (int    argc,
                  char **argv)
{
  int i;

  for (i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--fleet") == 0 || g_str_has_prefix (argv[i], "--fleet="))
        return TRUE;
    }
  return FALSE;
}

/* Each device holds a socket and, while it connects, a few more: 1000 devices need more than
 * the usual soft limit of 1024 descriptors. */
static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_printerr ("certbench-devsim: cannot raise the file descriptor limit: %s\n",
                    g_strerror (errno));
    }
}

typedef struct
{
  CbdFleet  *fleet;
  GMainLoop *loop;
  guint      milestone_id;
  double     days_per_second;
  gboolean   registered_done;
  gboolean   connected_done;
  gboolean   accelerated_done;
} FleetRun;

static gboolean
quit_cb (gpointer user_data)
{
  FleetRun *run = user_data;

  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static void
print_stats (CbdFleet *fleet)
{
  CbdFleetStats stats;
  g_autofree char *line = NULL;

  cbd_fleet_get_stats (fleet, &stats);
  line = cbd_fleet_format_stats (&stats);
  printf ("%s\n", line);
  fflush (stdout);
}

static gboolean
status_cb (gpointer user_data)
{
  FleetRun *run = user_data;

  print_stats (run->fleet);
  return G_SOURCE_CONTINUE;
}

/* One line each when the fleet first reaches "all registered" and "all connected". */
static gboolean
milestone_cb (gpointer user_data)
{
  FleetRun *run = user_data;
  CbdFleetStats stats;

  cbd_fleet_get_stats (run->fleet, &stats);
  if (!run->registered_done && stats.all_registered_at > 0)
    {
      printf ("all-registered t=%.1f devices=%u\n", stats.all_registered_at, stats.devices);
      run->registered_done = TRUE;
    }
  if (!run->connected_done && stats.all_connected_at > 0)
    {
      printf ("all-connected t=%.1f devices=%u\n", stats.all_connected_at,
              stats.devices - stats.offline);
      run->connected_done = TRUE;
    }
  if (!run->accelerated_done && stats.accelerated_at > 0)
    {
      printf ("accelerated t=%.1f days-per-second=%g\n", stats.accelerated_at,
              run->days_per_second);
      run->accelerated_done = TRUE;
    }
  fflush (stdout);
  if (run->registered_done && run->connected_done &&
      (run->accelerated_done || run->days_per_second <= 0))
    {
      run->milestone_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

int
cbd_fleet_main (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *sandbox_url = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *dps_endpoint = NULL;
  g_autofree char *id_scope = NULL;
  g_autofree char *group_key_file = NULL;
  g_autofree char *hub_endpoint = NULL;
  char *group_key = NULL;
  CbdFleetOptions opts = { 0 };
  CbdFleetStats stats;
  FleetRun run = { 0 };
  int count = 0, seed = 1, max_registering = CBD_FLEET_DEFAULT_MAX_REGISTERING;
  double days_per_second = 0, never_renew = 0.05, offline = 0.05, renew_fraction = 0.8;
  double renew_jitter = 0.1;
  double interval = 2;
  guint status_id, sigint_id, sigterm_id;
  g_autofree char *line = NULL;
  GOptionEntry entries[] = {
    { "fleet", 0, 0, G_OPTION_ARG_INT, &count, "Run N simulated devices in this process", "N" },
    { "sandbox", 0, 0, G_OPTION_ARG_STRING, &sandbox_url,
      "Base URL of the sandbox (default https://127.0.0.1:7443)", "URL" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
      "The sandbox's CA file to pin (its sandbox-ca.pem)", "FILE" },
    { "state-dir", 's', 0, G_OPTION_ARG_FILENAME, &state_dir,
      "Directory for the devices' identities, keys and certificates (DIR/{id}/)", "DIR" },
    { "days-per-second", 0, 0, G_OPTION_ARG_DOUBLE, &days_per_second,
      "Run the sandbox clock this many days per real second (default 0: real time)", "D" },
    { "never-renew", 0, 0, G_OPTION_ARG_DOUBLE, &never_renew,
      "Fraction of devices that never renew (default 0.05)", "F" },
    { "offline", 0, 0, G_OPTION_ARG_DOUBLE, &offline,
      "Fraction of devices that register once and never connect (default 0.05)", "F" },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &prefix,
      "Registration ids are PREFIX0001, PREFIX0002, ... (default fleet-)", "PREFIX" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed,
      "Seed for which devices never renew or stay offline (default 1)", "S" },
    { "max-registering", 0, 0, G_OPTION_ARG_INT, &max_registering,
      "DPS registrations in flight at once (default 32)", "N" },
    { "renew-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &renew_fraction,
      "Renew at this fraction of the certificate lifetime (default 0.8)", "F" },
    { "renew-jitter", 0, 0, G_OPTION_ARG_DOUBLE, &renew_jitter,
      "Each device renews up to this fraction of the lifetime earlier, seeded (default 0.1)", "J" },
    { "interval", 0, 0, G_OPTION_ARG_DOUBLE, &interval,
      "Seconds between status lines (default 2)", "SECONDS" },
    { "dps-endpoint", 0, 0, G_OPTION_ARG_STRING, &dps_endpoint,
      "Without a sandbox: the DPS device endpoint (https://global.azure-devices-provisioning.net)",
      "URL" },
    { "id-scope", 0, 0, G_OPTION_ARG_STRING, &id_scope, "Without a sandbox: the DPS ID scope",
      "SCOPE" },
    { "group-key-file", 0, 0, G_OPTION_ARG_FILENAME, &group_key_file,
      "Without a sandbox: a file holding the enrollment group's key (base64)", "FILE" },
    { "hub-endpoint", 0, 0, G_OPTION_ARG_STRING, &hub_endpoint,
      "Without a sandbox: connect to HOST:PORT instead of the assigned hub's port 8883",
      "HOST:PORT" },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "A simulated fleet: N devices in one process register through the "
                                "sandbox's DPS, connect to its hub, report their certificate dates "
                                "and renew, on an accelerated clock if asked. Prints a status line "
                                "every few seconds until SIGINT or SIGTERM.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (dps_endpoint != NULL && (sandbox_url != NULL || id_scope == NULL ||
                               group_key_file == NULL || days_per_second > 0))
    {
      g_printerr ("--dps-endpoint runs the fleet without a sandbox: it needs --id-scope and "
                  "--group-key-file, and takes neither --sandbox nor --days-per-second\n");
      return 2;
    }
  if (count <= 0 || count > 100000 || state_dir == NULL ||
      (ca_file == NULL && dps_endpoint == NULL) ||
      days_per_second < 0 || days_per_second * 86400 > 1e6 || never_renew < 0 ||
      never_renew > 1 || offline < 0 || offline > 1 || never_renew + offline > 1 ||
      max_registering < 1 || renew_fraction <= 0 || renew_fraction >= 1 || renew_jitter < 0 ||
      renew_jitter >= renew_fraction || interval < 0.1)
    {
      g_printerr ("--fleet N (1..100000), --state-dir and --ca-file are required; fractions are "
                  "within 0..1 (never-renew + offline at most 1), --days-per-second within "
                  "0..11.5, --renew-fraction within 0..1, --renew-jitter below it, --interval at "
                  "least 0.1\n");
      return 2;
    }

  if (group_key_file != NULL)
    {
      gsize len = 0;

      if (!g_file_get_contents (group_key_file, &group_key, &len, &error))
        {
          g_printerr ("certbench-devsim: %s\n", error->message);
          return 1;
        }
      g_strstrip (group_key);
    }

  raise_fd_limit ();

  opts.sandbox_url = dps_endpoint != NULL ? NULL
                     : sandbox_url != NULL ? sandbox_url : "https://127.0.0.1:7443";
  opts.dps_endpoint = dps_endpoint;
  opts.id_scope = id_scope;
  opts.group_key = group_key;
  opts.hub_endpoint = hub_endpoint;
  opts.ca_file = ca_file;
  opts.state_dir = state_dir;
  opts.count = (guint) count;
  opts.days_per_second = days_per_second;
  opts.never_renew = never_renew;
  opts.offline = offline;
  opts.prefix = prefix;
  opts.seed = (guint32) seed;
  opts.max_registering = (guint) max_registering;
  opts.renew_fraction = renew_fraction;
  opts.renew_jitter = renew_jitter;

  run.fleet = cbd_fleet_new (&opts);
  run.days_per_second = days_per_second;
  cbd_fleet_wipe_free (group_key);
  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  sigint_id = g_unix_signal_add (SIGINT, quit_cb, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, quit_cb, &run);

  if (!cbd_fleet_start (run.fleet, &error))
    {
      g_printerr ("certbench-devsim: %s\n", error->message);
      cbd_fleet_free (run.fleet);
      g_source_remove (sigint_id);
      g_source_remove (sigterm_id);
      return 1;
    }

  printf ("fleet devices=%u offline=%u never-renew=%u %s=%s days-per-second=%g\n",
          (guint) count, cbd_fleet_fraction_count ((guint) count, offline),
          MIN (cbd_fleet_fraction_count ((guint) count, never_renew),
               (guint) count - cbd_fleet_fraction_count ((guint) count, offline)),
          opts.sandbox_url != NULL ? "sandbox" : "dps",
          opts.sandbox_url != NULL ? opts.sandbox_url : dps_endpoint, days_per_second);
  fflush (stdout);
  status_id = g_timeout_add ((guint) (interval * 1000), status_cb, &run);
  run.milestone_id = g_timeout_add (250, milestone_cb, &run);
  g_main_loop_run (loop);

  g_source_remove (status_id);
  g_clear_handle_id (&run.milestone_id, g_source_remove);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  cbd_fleet_get_stats (run.fleet, &stats);
  line = cbd_fleet_format_stats (&stats);
  printf ("summary %s all-registered=%.1f all-connected=%.1f registering=%u\n", line,
          stats.all_registered_at, stats.all_connected_at, stats.registering);
  fflush (stdout);
  cbd_fleet_free (run.fleet);
  return 0;
}
