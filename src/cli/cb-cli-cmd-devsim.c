/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `devsim` command: finds the certbench-devsim binary and runs it with the arguments that
 * follow, so a simulated device is one command away.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cb-util.h"

#include "cb-cli-cmd-devsim.h"
#include "cb-cli-shared.h"

static char *
find_devsim (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self != NULL ? g_path_get_dirname (self) : NULL;
  const char *env = g_getenv ("CERTBENCH_DEVSIM");
  char *path;

  if (env != NULL)
    return g_strdup (env);

  if (dir != NULL)
    {
      /* Installed side by side, or in the build tree (src/cli next to src/devsim). */
      path = g_build_filename (dir, "certbench-devsim", NULL);
      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
        return path;
      g_free (path);
      path = g_build_filename (dir, "..", "devsim", "certbench-devsim", NULL);
      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
        return path;
      g_free (path);
    }

  return g_find_program_in_path ("certbench-devsim");
}

int
cb_cli_cmd_devsim (CbCliContext *ctx)
{
  g_autofree char *exe = find_devsim ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  gboolean has_state = FALSE, has_serial = FALSE, wants_help = FALSE;
  g_autofree char *serial = NULL;
  char **rest = ctx->options->rest;

  if (exe == NULL)
    {
      fprintf (stderr, "certbench-cli: certbench-devsim is not installed next to certbench-cli "
               "or on PATH (set CERTBENCH_DEVSIM)\n");
      return CB_CLI_EXIT_CONFIG;
    }

  for (guint i = 0; rest != NULL && rest[i] != NULL; i++)
    {
      if (g_str_has_prefix (rest[i], "--state-dir") || g_str_equal (rest[i], "-s"))
        has_state = TRUE;
      if (g_str_has_prefix (rest[i], "--serial"))
        {
          has_serial = TRUE;
          if (g_str_has_prefix (rest[i], "--serial="))
            serial = g_strdup (rest[i] + strlen ("--serial="));
          else if (rest[i + 1] != NULL)
            serial = g_strdup (rest[i + 1]);
        }
      if (g_str_equal (rest[i], "--help") || g_str_equal (rest[i], "-h"))
        wants_help = TRUE;
    }

  g_ptr_array_add (argv, g_strdup (exe));
  /* A new virtual device gets a serial of its own; its state persists per serial so it can be
   * started again with the certificate it has. */
  if (!has_serial && !wants_help)
    {
      g_autofree char *hex = cb_random_hex (4);
      g_autofree char *upper = g_ascii_strup (hex, -1);

      serial = g_strconcat ("CB-VIRT-", upper, NULL);
      g_ptr_array_add (argv, g_strdup ("--serial"));
      g_ptr_array_add (argv, g_strdup (serial));
    }
  if (!has_state && !wants_help)
    {
      g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "certbench", "devsim",
                                               serial, NULL);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          fprintf (stderr, "certbench-cli: could not create %s: %s\n", dir, g_strerror (errno));
          return CB_CLI_EXIT_CONFIG;
        }
      g_ptr_array_add (argv, g_strdup ("--state-dir"));
      g_ptr_array_add (argv, g_steal_pointer (&dir));
    }
  for (guint i = 0; rest != NULL && rest[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (rest[i]));
  g_ptr_array_add (argv, NULL);

  if (!wants_help)
    fprintf (stderr, "Starting a simulated device%s%s; certbench-cli provision --port <PTY> "
             "provisions it. Ctrl+C stops it.\n", serial ? " " : "", serial ? serial : "");
  fflush (stderr);

  /* Become the device process, so signals and the exit status are its own. */
  execv (exe, (char **) argv->pdata);
  fprintf (stderr, "certbench-cli: could not run %s: %s\n", exe, g_strerror (errno));
  return CB_CLI_EXIT_CONFIG;
}
