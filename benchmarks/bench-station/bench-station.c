/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-station: what a provisioned device costs the station, and how a run's wall time
 * compares with the line's floor, at 115200 baud. A certbench-sandbox process serves both
 * ways of running: a long-running `certbench-cli station` that provisions each simulated
 * device as its pty link appears (one process for every device), and one `certbench-cli
 * provision --port` process per device. Each device is a certbench-devsim pacing its output
 * like a UART at 115200 baud; it says at exit how many bytes crossed the line. The floor of
 * a run is those bytes x 10 bits / 115200 plus the device's key generation (cb_key_generate
 * of the run's key type, as the devsim does it, measured here in the same run).
 * Figures, each min/median/max over rounds: CPU per device (the station's CPU between its
 * first device and its last, a round at a time; a one-shot CLI's whole CPU), wall per run
 * (the run's own durationMs; for one-shot runs also the process's wall), the floor, and the
 * ratios (each run's wall over its own floor, and the medians').
 * Run: ./build-opt/benchmarks/bench-station/bench-station SANDBOX CLI DEVSIM [DEVICES [ROUNDS [AT-ONCE]]]
 * AT-ONCE (default 1): the station's devices are plugged in that many at a time, as on a line
 * with several ports, each group after the last has finished; the CPU per device is then what a
 * station serving that many ports at once pays (the one-shot CLI runs stay one at a time).
 * With BENCH_STATION_NO_PACING set, the devsims do not pace (no --baud): the station's own work
 * per device without the line's wake-ups (the floor and its ratios then mean nothing).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bench-common.h"
#include "cb-pki.h"

#define BAUD 115200

typedef struct
{
  const char *cli;
  const char *devsim;
  const char *url;
  const char *data_dir;
  const char *tmp;
  guint       serial;
} Bench;

/* A devsim at BAUD with its pty linked at link_path; its stderr goes to err_path. */
static GSubprocess *
spawn_device (Bench      *bench,
              const char *link_path,
              const char *err_path)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *serial = g_strdup_printf ("BENCH-ST-%05u", bench->serial++);
  g_autofree char *state = g_build_filename (bench->tmp, serial, NULL);
  g_autofree char *baud = g_strdup_printf ("%d", BAUD);
  GSubprocess *device;

  g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  device = g_subprocess_launcher_spawn (launcher, &error, bench->devsim, "--state-dir", state,
                                        "--serial", serial, "--link", link_path,
                                        g_getenv ("BENCH_STATION_NO_PACING") != NULL ? NULL
                                                                                      : "--baud",
                                        baud, NULL);
  if (device == NULL)
    g_error ("%s: %s", bench->devsim, error->message);
  return device;
}

/* Unplugs the device and reads the bytes that crossed the line from its last words. */
static double
unplug_device (GSubprocess *device,
               const char  *err_path)
{
  g_autofree char *text = NULL;
  const char *p;
  gint64 sent = 0, received = 0;

  g_subprocess_send_signal (device, SIGTERM);
  g_subprocess_wait (device, NULL, NULL);
  if (!g_file_get_contents (err_path, &text, NULL, NULL) || (p = strstr (text, "Wire: ")) == NULL ||
      sscanf (p, "Wire: %" G_GINT64_FORMAT " bytes sent, %" G_GINT64_FORMAT, &sent, &received) != 2)
    g_error ("The devsim did not say what crossed the line (see %s)", err_path);
  return (double) (sent + received);
}

static void
wait_for_file (const char *path)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not appear", path);
      g_usleep (2000);
    }
}

/* A run's JSON line: its durationMs and port, or abort when it did not pass. */
static double
run_duration_port (const char  *line,
                   char       **port)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  if (!json_parser_load_from_data (parser, line, -1, &error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_error ("not a result: %s", line);
  object = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (object, "result", ""), "pass") != 0)
    g_error ("a run failed: %s", line);
  if (port != NULL)
    *port = g_strdup (json_object_get_string_member_with_default (object, "port", ""));
  return (double) json_object_get_int_member (object, "durationMs");
}

static double
run_duration (const char *line)
{
  return run_duration_port (line, NULL);
}

static char **
cli_argv (Bench      *bench,
          const char *command,
          const char *extra_name,
          const char *extra_value)
{
  g_autofree char *journal = g_build_filename (bench->tmp, "journal.db", NULL);
  GPtrArray *args = g_ptr_array_new ();

  g_ptr_array_add (args, g_strdup (bench->cli));
  g_ptr_array_add (args, g_strdup ("--sandbox-url"));
  g_ptr_array_add (args, g_strdup (bench->url));
  g_ptr_array_add (args, g_strdup ("--sandbox-dir"));
  g_ptr_array_add (args, g_strdup (bench->data_dir));
  g_ptr_array_add (args, g_strdup ("--journal"));
  g_ptr_array_add (args, g_steal_pointer (&journal));
  g_ptr_array_add (args, g_strdup ("--json"));
  g_ptr_array_add (args, g_strdup ("--quiet"));
  g_ptr_array_add (args, g_strdup (command));
  g_ptr_array_add (args, g_strdup (extra_name));
  g_ptr_array_add (args, g_strdup (extra_value));
  g_ptr_array_add (args, NULL);
  return (char **) g_ptr_array_free (args, FALSE);
}

/* The device key the runs make (P-256, the default), as the devsim makes it. */
static double
keygen_ms (void)
{
  double v[21], median;

  for (guint i = 0; i < G_N_ELEMENTS (v); i++)
    {
      double t0 = bench_now_ms ();
      g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, NULL);
      g_autofree char *pem = cb_key_to_pem (key, NULL);

      v[i] = bench_now_ms () - t0;
    }
  bench_stats (v, G_N_ELEMENTS (v), &v[0], &median, &v[1]);
  return median;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *url = NULL;
  g_autofree char *pty_dir = NULL;
  g_autofree char *dev_err = NULL;
  g_autoptr(GSubprocess) sandbox = NULL;
  g_autoptr(GSubprocess) station = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_auto(GStrv) station_args = NULL;
  guint devices = 8, rounds = 3, at_once = 1;
  double *st_cpu, *st_wall, *st_floor, *cli_cpu, *cli_wall, *cli_run, *cli_floor;
  double *st_ratio, *cli_ratio;
  double keygen, med_st_cpu, med_st_wall, med_floor, med_cli_cpu, med_cli_wall, med_cli_run;
  double med_cli_floor, med_st_ratio, med_cli_ratio;
  GPid sandbox_pid, station_pid;
  Bench bench = { 0 };

  if (argc < 4)
    {
      g_printerr ("usage: %s CERTBENCH-SANDBOX CERTBENCH-CLI CERTBENCH-DEVSIM [DEVICES [ROUNDS]]\n",
                  argv[0]);
      return 2;
    }
  if (argc > 4)
    devices = MAX ((guint) g_ascii_strtoull (argv[4], NULL, 10), 1);
  if (argc > 5)
    rounds = MAX ((guint) g_ascii_strtoull (argv[5], NULL, 10), 1);
  if (argc > 6)
    at_once = CLAMP ((guint) g_ascii_strtoull (argv[6], NULL, 10), 1, devices);

  tmp = g_dir_make_tmp ("certbench-bench-station-XXXXXX", &error);
  g_assert_no_error (error);
  data_dir = g_build_filename (tmp, "data", NULL);
  out_path = g_build_filename (tmp, "sandbox.out", NULL);
  pty_dir = g_build_filename (tmp, "ptys", NULL);
  dev_err = g_build_filename (tmp, "devsim.err", NULL);
  g_mkdir (pty_dir, 0700);
  sandbox = bench_spawn_sandbox (argv[1], data_dir, out_path, &url, &sandbox_pid);
  bench.cli = argv[2];
  bench.devsim = argv[3];
  bench.url = url;
  bench.data_dir = data_dir;
  bench.tmp = tmp;

  keygen = keygen_ms ();
  st_cpu = g_new0 (double, rounds);
  st_wall = g_new0 (double, rounds * devices);
  st_floor = g_new0 (double, rounds * devices);
  cli_cpu = g_new0 (double, rounds * devices);
  cli_wall = g_new0 (double, rounds * devices);
  cli_run = g_new0 (double, rounds * devices);
  cli_floor = g_new0 (double, rounds * devices);
  st_ratio = g_new0 (double, rounds * devices);
  cli_ratio = g_new0 (double, rounds * devices);

  printf ("Station at %d baud: %u rounds of %u devices, %u plugged in at once, after one warm-up "
          "device; device key generation %.2f ms (median of 21)\n", BAUD, rounds, devices, at_once,
          keygen);

  /* A long-running station: one process, every device plugged in in turn (at_once at a time). */
  station_args = cli_argv (&bench, "station", "--pty-dir", pty_dir);
  station = g_subprocess_newv ((const char * const *) station_args,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  station_pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (station), NULL, 10);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (station));

  for (guint r = 0; r <= rounds; r++)
    {
      guint count = r == 0 ? 1 : devices;
      double cpu0 = bench_process_cpu_ms (station_pid);

      for (guint first = 0; first < count; first += at_once)
        {
          guint group = MIN (at_once, count - first);
          g_autoptr(GPtrArray) plugged = g_ptr_array_new_with_free_func (g_object_unref);
          g_autoptr(GPtrArray) links = g_ptr_array_new_with_free_func (g_free);
          g_autoptr(GPtrArray) errs = g_ptr_array_new_with_free_func (g_free);
          double *durations = g_new0 (double, group);

          for (guint j = 0; j < group; j++)
            {
              char *link = g_strdup_printf ("%s/dev-%u-%u", pty_dir, r, first + j);
              char *err = g_strdup_printf ("%s.%u", dev_err, j);

              g_ptr_array_add (plugged, spawn_device (&bench, link, err));
              g_ptr_array_add (links, link);
              g_ptr_array_add (errs, err);
            }
          for (guint j = 0; j < group; j++)
            {
              g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
              g_autofree char *port = NULL;
              double duration;
              guint k;

              if (line == NULL)
                g_error ("The station stopped: %s", error != NULL ? error->message : "end of output");
              duration = run_duration_port (line, &port);
              for (k = 0; k < group && g_strcmp0 (g_ptr_array_index (links, k), port) != 0; k++)
                ;
              if (k == group)
                g_error ("A run on a port not plugged in: %s", line);
              durations[k] = duration;
            }
          for (guint j = 0; j < group; j++)
            {
              double bytes = unplug_device (g_ptr_array_index (plugged, j),
                                            g_ptr_array_index (errs, j));
              guint i = first + j;

              if (r > 0)
                {
                  st_wall[(r - 1) * devices + i] = durations[j];
                  st_floor[(r - 1) * devices + i] = bytes * 10 * 1000.0 / BAUD + keygen;
                  st_ratio[(r - 1) * devices + i] = durations[j] / st_floor[(r - 1) * devices + i];
                }
            }
          g_free (durations);
        }
      if (r > 0)
        st_cpu[r - 1] = (bench_process_cpu_ms (station_pid) - cpu0) / count;
    }
  g_subprocess_send_signal (station, SIGINT);
  g_subprocess_wait (station, NULL, NULL);

  /* One process per device. */
  for (guint r = 0; r < rounds; r++)
    for (guint i = 0; i < devices; i++)
      {
        g_autofree char *link = g_strdup_printf ("%s/cli-%u-%u", pty_dir, r, i);
        g_autoptr(GSubprocess) device = spawn_device (&bench, link, dev_err);
        g_autoptr(GSubprocess) cli = NULL;
        g_auto(GStrv) args = NULL;
        g_autofree char *out = NULL;
        double cpu0, t0;
        guint k = r * devices + i;

        wait_for_file (link);
        args = cli_argv (&bench, "provision", "--port", link);
        cpu0 = bench_children_cpu_ms ();
        t0 = bench_now_ms ();
        cli = g_subprocess_newv ((const char * const *) args, G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                 &error);
        g_assert_no_error (error);
        if (!g_subprocess_communicate_utf8 (cli, NULL, NULL, &out, NULL, &error))
          g_error ("certbench-cli: %s", error->message);
        cli_wall[k] = bench_now_ms () - t0;
        cli_cpu[k] = bench_children_cpu_ms () - cpu0;
        cli_run[k] = run_duration (out);
        cli_floor[k] = unplug_device (device, dev_err) * 10 * 1000.0 / BAUD + keygen;
        cli_ratio[k] = cli_run[k] / cli_floor[k];
      }

  printf ("\n%-52s %10s  %10s  %10s\n", "figure", "min", "median", "max");
  bench_print_stats ("station: CPU per device, ms (round means)", "%10.1f", st_cpu, rounds,
                     &med_st_cpu);
  bench_print_stats ("one-shot CLI: CPU per device, ms", "%10.1f", cli_cpu, rounds * devices,
                     &med_cli_cpu);
  bench_print_stats ("station: wall per run, ms", "%10.1f", st_wall, rounds * devices,
                     &med_st_wall);
  bench_print_stats ("one-shot CLI: wall per run (the run), ms", "%10.1f", cli_run,
                     rounds * devices, &med_cli_run);
  bench_print_stats ("one-shot CLI: wall per process, ms", "%10.1f", cli_wall, rounds * devices,
                     &med_cli_wall);
  bench_print_stats ("floor: wire time of the run's bytes + keygen, ms", "%10.1f", st_floor,
                     rounds * devices, &med_floor);
  bench_print_stats ("floor of the one-shot runs, ms", "%10.1f", cli_floor, rounds * devices,
                     &med_cli_floor);
  bench_print_stats ("ratio: station run / its floor", "%10.2f", st_ratio, rounds * devices,
                     &med_st_ratio);
  bench_print_stats ("ratio: one-shot run / its floor", "%10.2f", cli_ratio, rounds * devices,
                     &med_cli_ratio);
  printf ("\nratio, station wall per run / floor:       %.2f (medians; per run %.2f; target <= "
          "1.20)\n", med_st_wall / med_floor, med_st_ratio);
  printf ("ratio, one-shot run / floor:               %.2f\n", med_cli_run / med_cli_floor);
  printf ("ratio, one-shot process / floor:           %.2f\n", med_cli_wall / med_cli_floor);
  printf ("station CPU per device:                    %.1f ms (target <= 5 ms); one-shot CLI "
          "%.1f ms (%.0fx)\n", med_st_cpu, med_cli_cpu, med_cli_cpu / MAX (med_st_cpu, 0.1));

  g_subprocess_send_signal (sandbox, SIGTERM);
  g_subprocess_wait (sandbox, NULL, NULL);
  g_free (st_cpu);
  g_free (st_wall);
  g_free (st_floor);
  g_free (cli_cpu);
  g_free (cli_wall);
  g_free (cli_run);
  g_free (cli_floor);
  g_free (st_ratio);
  g_free (cli_ratio);
  bench_remove_tree (tmp);
  return 0;
}
