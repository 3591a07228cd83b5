/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Exec to first frame: Certbench (sandbox profile, the default GTK renderer) against a bare
 * libadwaita window with a view switcher (bare-window.c), run alternately so both see the same
 * machine. first-frame-probe.so, preloaded into both, notes when the first window's first
 * paint is done and ends the process. Each program runs in a throwaway HOME; Certbench's is
 * made once, untimed, so the timed runs start as a user's second start does (data folder,
 * sandbox database and keyring entries in place). Needs a display and a session bus:
 *   xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- \
 *     build-opt/benchmarks/bench-app-start/bench-app-start build-opt/src/app/certbench [runs] */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

static int
compare_doubles (const void *a,
                 const void *b)
{
  double d = *(const double *) a - *(const double *) b;

  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

static char **
make_env (const char *home,
          const char *probe,
          const char *stamp)
{
  char **env = g_get_environ ();
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *cache = g_build_filename (home, "cache", NULL);

  g_mkdir_with_parents (data, 0700);
  g_mkdir_with_parents (config, 0700);
  g_mkdir_with_parents (cache, 0700);
  env = g_environ_setenv (env, "HOME", home, TRUE);
  env = g_environ_setenv (env, "XDG_DATA_HOME", data, TRUE);
  env = g_environ_setenv (env, "XDG_CONFIG_HOME", config, TRUE);
  env = g_environ_setenv (env, "XDG_CACHE_HOME", cache, TRUE);
  env = g_environ_setenv (env, "GSETTINGS_BACKEND", "memory", TRUE);
  env = g_environ_setenv (env, "LD_PRELOAD", probe, TRUE);
  env = g_environ_setenv (env, "BENCH_FIRST_FRAME_FILE", stamp, TRUE);
  env = g_environ_unsetenv (env, "GSK_RENDERER");
  return env;
}

/* Seconds from exec to the first frame, or a negative number when there was none. */
static double
run_once (const char  *exe,
          char       **env,
          const char  *stamp)
{
  const char *argv[] = { exe, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  int status = 0;
  gint64 start;

  g_unlink (stamp);
  start = g_get_monotonic_time ();
  if (!g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                     NULL, &status, &error))
    g_error ("Could not run %s: %s", exe, error->message);
  if (!g_file_get_contents (stamp, &text, NULL, NULL))
    return -1;
  return (g_ascii_strtoll (text, NULL, 10) - start) / 1e6;
}

static void
print_stats (const char *what,
             GArray     *values)
{
  g_array_sort (values, compare_doubles);
  printf ("  %-30s min %6.3f  median %6.3f  max %6.3f s  (%u runs)\n", what,
          g_array_index (values, double, 0), g_array_index (values, double, values->len / 2),
          g_array_index (values, double, values->len - 1), values->len);
}

int
main (int   argc,
      char *argv[])
{
  const char *certbench;
  g_autofree char *self_dir = NULL;
  g_autofree char *probe = NULL;
  g_autofree char *bare = NULL;
  g_autofree char *top = NULL;
  g_autofree char *app_home = NULL;
  g_autofree char *bare_home = NULL;
  g_autofree char *stamp = NULL;
  g_auto(GStrv) app_env = NULL;
  g_auto(GStrv) bare_env = NULL;
  g_autoptr(GArray) app_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) bare_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  guint runs;
  double app_median, bare_median;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s CERTBENCH [runs]\n", argv[0]);
      return 2;
    }
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      fprintf (stderr, "bench-app-start needs a display (run it under xvfb-run)\n");
      return 77;
    }
  certbench = argv[1];
  runs = argc > 2 ? (guint) atoi (argv[2]) : 10;

  self_dir = g_path_get_dirname (argv[0]);
  if (!g_path_is_absolute (self_dir))
    {
      g_autofree char *cwd = g_get_current_dir ();
      g_autofree char *rel = g_steal_pointer (&self_dir);

      self_dir = g_build_filename (cwd, rel, NULL);
    }
  probe = g_build_filename (self_dir, "libfirst-frame-probe.so", NULL);
  bare = g_build_filename (self_dir, "bare-window", NULL);
  top = g_dir_make_tmp ("bench-app-start-XXXXXX", &error);
  g_assert_no_error (error);
  app_home = g_build_filename (top, "certbench", NULL);
  bare_home = g_build_filename (top, "bare", NULL);
  stamp = g_build_filename (top, "first-frame", NULL);
  app_env = make_env (app_home, probe, stamp);
  bare_env = make_env (bare_home, probe, stamp);

  /* The first start makes the data folder, the sandbox and its demo data: untimed. */
  if (run_once (certbench, app_env, stamp) < 0)
    g_error ("%s showed no frame", certbench);
  if (run_once (bare, bare_env, stamp) < 0)
    g_error ("%s showed no frame", bare);

  for (guint i = 0; i < runs; i++)
    {
      double t = run_once (certbench, app_env, stamp);
      double b = run_once (bare, bare_env, stamp);

      if (t < 0 || b < 0)
        g_error ("A run showed no frame");
      g_array_append_val (app_times, t);
      g_array_append_val (bare_times, b);
    }

  printf ("exec to first frame (default renderer, GSK_RENDERER unset)\n");
  print_stats ("certbench (sandbox profile)", app_times);
  print_stats ("bare libadwaita window", bare_times);
  app_median = g_array_index (app_times, double, app_times->len / 2);
  bare_median = g_array_index (bare_times, double, bare_times->len / 2);
  printf ("ratio certbench / bare window (medians): %.2fx (target <= 1.5x, and <= 1 s)\n",
          app_median / bare_median);

  {
    g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", top);

    if (system (rm) != 0)
      g_warning ("Could not remove %s", top);
  }
  return 0;
}
