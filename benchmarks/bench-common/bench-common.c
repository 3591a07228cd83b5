/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The measuring helpers the ratio benchmarks share (see bench-common.h). */

#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench-common.h"

double
bench_process_cpu_ms (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *p;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (p = strrchr (stat, ')')) == NULL)
    g_error ("cannot read %s", path);
  fields = g_strsplit (p + 2, " ", 0);
  /* After "pid (comm) ": state is [0], utime [11], stime [12]. */
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) * 1000.0 /
         sysconf (_SC_CLK_TCK);
}

double
bench_thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

double
bench_children_cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_CHILDREN, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

double
bench_now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double d = *(const double *) a - *(const double *) b;

  return d < 0 ? -1 : d > 0;
}

void
bench_stats (double *v,
             guint   n,
             double *min,
             double *median,
             double *max)
{
  g_assert (n > 0);
  qsort (v, n, sizeof (double), compare_doubles);
  *min = v[0];
  *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  *max = v[n - 1];
}

void
bench_print_stats (const char *label,
                   const char *fmt,
                   double     *v,
                   guint       n,
                   double     *median)
{
  g_autofree char *line = g_strdup_printf ("%%-52s %s  %s  %s\n", fmt, fmt, fmt);
  double min, med, max;

  bench_stats (v, n, &min, &med, &max);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  printf (line, label, min, med, max);
#pragma GCC diagnostic pop
  if (median != NULL)
    *median = med;
}

/* A sandbox left behind by a failed assertion or a killed benchmark goes with it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GSubprocess *
bench_spawn_sandbox_full (const char  *sandbox_exe,
                          const char  *data_dir,
                          const char  *out_path,
                          gboolean     seed,
                          char       **url,
                          GPid        *pid)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GError) error = NULL;
  GSubprocess *sandbox;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_unlink (out_path);
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  sandbox = g_subprocess_launcher_spawn (launcher, &error, sandbox_exe, "--data-dir", data_dir,
                                         "--port", "0", "--lro-delay-ms", "0",
                                         seed ? "--seed" : NULL, "demo", NULL);
  if (sandbox == NULL)
    g_error ("%s: %s", sandbox_exe, error->message);
  if (pid != NULL)
    *pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (sandbox), NULL, 10);

  while (g_get_monotonic_time () < deadline && g_subprocess_get_identifier (sandbox) != NULL)
    {
      g_autofree char *text = NULL;
      const char *p, *end;

      if (g_file_get_contents (out_path, &text, NULL, NULL) &&
          (p = strstr (text, "is listening on ")) != NULL && (end = strchr (p, '\n')) != NULL)
        {
          *url = g_strndup (p + strlen ("is listening on "), end - p - strlen ("is listening on "));
          return sandbox;
        }
      g_usleep (20000);
    }
  g_error ("The sandbox did not start (see %s)", out_path);
  return NULL;
}

GSubprocess *
bench_spawn_sandbox (const char  *sandbox_exe,
                     const char  *data_dir,
                     const char  *out_path,
                     char       **url,
                     GPid        *pid)
{
  return bench_spawn_sandbox_full (sandbox_exe, data_dir, out_path, TRUE, url, pid);
}

void
bench_store_result (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

GAsyncResult *
bench_wait (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

void
bench_remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            bench_remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}
