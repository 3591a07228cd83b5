/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fleet figures: a real sandbox process and `certbench-devsim --fleet N` against it. Prints the
 * time until all devices registered and until all online devices connected, then, over a
 * steady-state window on the accelerated clock, the CPU and memory of both processes and the
 * renewals per second the pair sustains.
 * Run: ./build/benchmarks/bench-fleet build/src/sandbox/certbench-sandbox \
 *        build/src/devsim/certbench-devsim [N [DAYS_PER_SECOND [WINDOW_SECONDS]]]
 * (defaults 1000, 0.25 and 150; `meson test -C build --benchmark bench-fleet` runs those).
 * docs/performance.md records the figures. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  gint64 ticks;     /* utime + stime */
  gint64 when_us;   /* monotonic */
} CpuSample;

static gboolean
cpu_sample (const char *pid,
            CpuSample  *sample)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *p;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (p = strrchr (stat, ')')) == NULL)
    return FALSE;
  /* After "pid (comm)": state is field 3, utime 14 and stime 15. */
  fields = g_strsplit (p + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return FALSE;
  sample->ticks = g_ascii_strtoll (fields[11], NULL, 10) + g_ascii_strtoll (fields[12], NULL, 10);
  sample->when_us = g_get_monotonic_time ();
  return TRUE;
}

static double
cpu_percent (const CpuSample *a,
             const CpuSample *b)
{
  double seconds = (b->when_us - a->when_us) / (double) G_USEC_PER_SEC;

  return seconds > 0 ? 100.0 * (b->ticks - a->ticks) / sysconf (_SC_CLK_TCK) / seconds : 0;
}

static long
status_kib (const char *pid,
            const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL))
    return -1;
  line = strstr (status, field);
  return line != NULL ? strtol (line + strlen (field), NULL, 10) : -1;
}

static guint
count_fds (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", pid);
  GDir *dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

/* The value of "key=" in a status line, or -1. */
static double
field (const char *line,
       const char *key)
{
  g_autofree char *needle = g_strconcat (key, "=", NULL);
  const char *p = strstr (line, needle);

  if (p == NULL || (p != line && p[-1] != ' '))
    return -1;
  return g_ascii_strtod (p + strlen (needle), NULL);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static char *
wait_for_url (const char *out_path,
              GSubprocess *sandbox)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *text = NULL;
      const char *p;

      if (g_file_get_contents (out_path, &text, NULL, NULL) &&
          (p = strstr (text, "is listening on ")) != NULL)
        {
          const char *end = strchr (p, '\n');

          if (end != NULL)
            return g_strndup (p + strlen ("is listening on "),
                              end - p - strlen ("is listening on "));
        }
      if (g_subprocess_get_identifier (sandbox) == NULL)
        break;   /* it exited */
      g_usleep (50000);
    }
  g_error ("The sandbox did not start (see %s)", out_path);
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *sandbox_dir = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *url = NULL;
  g_autofree char *count_arg = NULL;
  g_autofree char *dps_arg = NULL;
  g_autofree char *sandbox_out = NULL;
  g_autofree char *sandbox_err = NULL;
  g_autofree char *fleet_err = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) sandbox = NULL;
  g_autoptr(GSubprocess) fleet = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  const char *sandbox_pid, *fleet_pid;
  guint count = 1000;
  /* 0.25 days/s is what this machine sustains for 1000 devices (docs/performance.md). */
  double days_per_second = 0.25, window_s = 150;
  double all_registered = -1, all_connected = -1, accelerated = -1;
  double renewed_start = -1, renewed_end = -1, reregistered_end = 0, failed_end = 0;
  double refused_end = 0, expired_end = 0, connected_end = 0, reregistered_start = 0;
  double connected_min = G_MAXDOUBLE, connected_sum = 0, t_line;
  guint connected_n = 0, online;
  CpuSample sb_a = { 0 }, sb_b = { 0 }, fl_a = { 0 }, fl_b = { 0 };
  gint64 window_start = 0, window_end = 0, deadline;
  long sb_rss = 0, fl_rss = 0, sb_hwm = 0, fl_hwm = 0;
  guint fl_fds = 0;
  char *line;

  if (argc < 3)
    {
      g_printerr ("usage: %s CERTBENCH-SANDBOX CERTBENCH-DEVSIM [N [DAYS_PER_SECOND [WINDOW_S]]]\n",
                  argv[0]);
      return 2;
    }
  if (argc > 3)
    count = (guint) g_ascii_strtoull (argv[3], NULL, 10);
  if (argc > 4)
    days_per_second = g_ascii_strtod (argv[4], NULL);
  if (argc > 5)
    window_s = g_ascii_strtod (argv[5], NULL);
  online = count - (guint) (count * 0.05 + 0.5);

  tmp = g_dir_make_tmp ("certbench-bench-fleet-XXXXXX", &error);
  g_assert_no_error (error);
  sandbox_dir = g_build_filename (tmp, "sandbox", NULL);
  state_dir = g_build_filename (tmp, "fleet", NULL);
  ca_file = g_build_filename (sandbox_dir, "sandbox-ca.pem", NULL);
  sandbox_out = g_build_filename (tmp, "sandbox.out", NULL);
  sandbox_err = g_build_filename (tmp, "sandbox.err", NULL);
  fleet_err = g_build_filename (tmp, "fleet.err", NULL);

  /* The sandbox: its own process, so its CPU and memory are its own. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_stdout_file_path (launcher, sandbox_out);
  g_subprocess_launcher_set_stderr_file_path (launcher, sandbox_err);
  sandbox = g_subprocess_launcher_spawn (launcher, &error, argv[1], "--data-dir", sandbox_dir,
                                         "--port", "0", "--mqtt-port", "0", "--seed", "demo",
                                         "--lro-delay-ms", "0", NULL);
  g_assert_no_error (error);
  url = wait_for_url (sandbox_out, sandbox);
  sandbox_pid = g_subprocess_get_identifier (sandbox);
  printf ("sandbox %s (pid %s), data in %s\n", url, sandbox_pid, tmp);

  /* The fleet. */
  g_clear_object (&launcher);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, fleet_err);
  count_arg = g_strdup_printf ("%u", count);
  dps_arg = g_strdup_printf ("%g", days_per_second);
  fleet = g_subprocess_launcher_spawn (launcher, &error, argv[2], "--fleet", count_arg,
                                       "--sandbox", url, "--ca-file", ca_file,
                                       "--state-dir", state_dir, "--days-per-second", dps_arg,
                                       "--interval", "1", NULL);
  g_assert_no_error (error);
  fleet_pid = g_subprocess_get_identifier (fleet);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fleet));
  printf ("certbench-devsim --fleet %u --days-per-second %g (pid %s)\n", count, days_per_second,
          fleet_pid);
  fflush (stdout);

  deadline = g_get_monotonic_time () + 600 * G_USEC_PER_SEC;
  while ((line = g_data_input_stream_read_line (lines, NULL, NULL, &error)) != NULL)
    {
      gint64 now = g_get_monotonic_time ();

      g_printerr ("%s\n", line);
      if (g_str_has_prefix (line, "all-registered "))
        all_registered = field (line, "t");
      else if (g_str_has_prefix (line, "all-connected "))
        all_connected = field (line, "t");
      else if (g_str_has_prefix (line, "accelerated "))
        accelerated = field (line, "t");
      else if (g_str_has_prefix (line, "t="))
        {
          /* The window starts when the fleet sped the clock up (after its registrations) or,
           * on real time, when every online device is connected; two minutes after the start
           * at the latest. It lasts window_s, a few renewal cycles. */
          t_line = field (line, "t");
          if (window_start == 0 &&
              ((days_per_second > 0 && accelerated >= 0) ||
               (days_per_second <= 0 && all_connected >= 0) || t_line >= 120))
            {
              window_start = now;
              renewed_start = field (line, "renewed");
              reregistered_start = field (line, "reregistered");
              cpu_sample (sandbox_pid, &sb_a);
              cpu_sample (fleet_pid, &fl_a);
            }
          if (window_start != 0)
            {
              connected_min = MIN (connected_min, field (line, "connected"));
              connected_sum += field (line, "connected");
              connected_n++;
            }
          if (window_start != 0 && now - window_start >= window_s * G_USEC_PER_SEC)
            {
              window_end = now;
              renewed_end = field (line, "renewed");
              reregistered_end = field (line, "reregistered");
              failed_end = field (line, "failed");
              refused_end = field (line, "refused");
              expired_end = field (line, "expired");
              connected_end = field (line, "connected");
              cpu_sample (sandbox_pid, &sb_b);
              cpu_sample (fleet_pid, &fl_b);
              sb_rss = status_kib (sandbox_pid, "VmRSS:");
              fl_rss = status_kib (fleet_pid, "VmRSS:");
              sb_hwm = status_kib (sandbox_pid, "VmHWM:");
              fl_hwm = status_kib (fleet_pid, "VmHWM:");
              fl_fds = count_fds (fleet_pid);
              g_free (line);
              break;
            }
        }
      g_free (line);
      if (now > deadline)
        {
          g_printerr ("Gave up after 600 s\n");
          break;
        }
    }
  g_assert_no_error (error);

  /* SIGTERM: the fleet restores the sandbox clock and prints its summary. */
  g_subprocess_send_signal (fleet, SIGTERM);
  while ((line = g_data_input_stream_read_line (lines, NULL, NULL, NULL)) != NULL)
    {
      g_printerr ("%s\n", line);
      g_free (line);
    }
  g_subprocess_wait (fleet, NULL, NULL);
  g_subprocess_send_signal (sandbox, SIGTERM);
  g_subprocess_wait (sandbox, NULL, NULL);

  printf ("devices                                   %u (5 %% offline, 5 %% never renew)\n",
          count);
  printf ("time until all registered                 %.1f s\n", all_registered);
  printf ("time until all online devices connected   %.1f s\n", all_connected);
  printf ("clock sped up at                          %.1f s\n", accelerated);
  if (window_end != 0)
    {
      double seconds = (window_end - window_start) / (double) G_USEC_PER_SEC;

      printf ("steady-state window                       %.1f s at %g days per second\n",
              seconds, days_per_second);
      printf ("renewals sustained                        %.1f /s through the hub (%.0f in the "
              "window), %.1f /s re-registrations through DPS\n",
              (renewed_end - renewed_start) / seconds, renewed_end - renewed_start,
              (reregistered_end - reregistered_start) / seconds);
      printf ("connected during the window               %.0f on average, at least %.0f (of %u "
              "online)\n", connected_n > 0 ? connected_sum / connected_n : 0, connected_min,
              online);
      printf ("at the window's end                       connected=%.0f refused=%.0f expired=%.0f "
              "reregistered=%.0f failed=%.0f\n", connected_end, refused_end, expired_end,
              reregistered_end, failed_end);
      printf ("CPU, fleet                                %.1f %% of one core\n",
              cpu_percent (&fl_a, &fl_b));
      printf ("CPU, sandbox                              %.1f %% of one core\n",
              cpu_percent (&sb_a, &sb_b));
      printf ("resident memory, fleet                    %.1f MiB (peak %.1f MiB), %u fds\n",
              fl_rss / 1024.0, fl_hwm / 1024.0, fl_fds);
      printf ("resident memory, sandbox                  %.1f MiB (peak %.1f MiB)\n",
              sb_rss / 1024.0, sb_hwm / 1024.0);
    }
  else
    printf ("no steady state reached (see %s and %s)\n", fleet_err, sandbox_err);
  printf ("fleet exit status                         %d\n",
          g_subprocess_get_if_exited (fleet) ? g_subprocess_get_exit_status (fleet) : -1);
  if (g_getenv ("CB_BENCH_KEEP") == NULL)
    remove_tree (tmp);
  return window_end != 0 && g_subprocess_get_if_exited (fleet) &&
         g_subprocess_get_exit_status (fleet) == 0 ? 0 : 1;
}
