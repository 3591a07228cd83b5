/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Running the built certbench-cli and a simulated device from a test, with XDG folders of the
 * test's own (shared by test-cli and test-diagnosis). */

#include "config.h"

#include <signal.h>
#include <sys/prctl.h>

#include "cb-test-cli.h"

char *
cb_test_cli_built_binary (const char *env_name,
                          const char *dir,
                          const char *name)
{
  if (g_getenv (env_name) != NULL)
    return g_strdup (g_getenv (env_name));
  return g_test_build_filename (G_TEST_BUILT, "..", "src", dir, name, NULL);
}

int
cb_test_cli_run (const char          *cli,
                 const char          *home,
                 CbTestSandbox       *ts,
                 const char          *journal,
                 char               **out_stdout,
                 char               **out_stderr,
                 const char * const  *args)
{
  return cb_test_cli_run_with_env (cli, home, ts, journal, NULL, out_stdout, out_stderr, args);
}

GSubprocess *
cb_test_cli_spawn (const char          *cli,
                   const char          *home,
                   CbTestSandbox       *ts,
                   const char          *journal,
                   const char * const  *env,
                   const char * const  *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *command = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, g_strdup (cli));
  if (ts != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--sandbox-url"));
      g_ptr_array_add (argv, g_strdup (cb_sandbox_get_base_url (ts->sandbox)));
      g_ptr_array_add (argv, g_strdup ("--sandbox-dir"));
      g_ptr_array_add (argv, g_strdup (ts->data_dir));
      g_ptr_array_add (argv, g_strdup ("--journal"));
      g_ptr_array_add (argv, g_strdup (journal));
    }
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  command = g_strjoinv (" ", (char **) argv->pdata);
  g_test_message ("$ %s", command);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "CERTBENCH_SANDBOX_URL");
  g_subprocess_launcher_unsetenv (launcher, "CERTBENCH_SANDBOX_DIR");
  g_subprocess_launcher_unsetenv (launcher, "CERTBENCH_JOURNAL");
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      g_test_message ("%s", env[i]);
      g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

int
cb_test_cli_run_with_env (const char          *cli,
                          const char          *home,
                          CbTestSandbox       *ts,
                          const char          *journal,
                          const char * const  *env,
                          char               **out_stdout,
                          char               **out_stderr,
                          const char * const  *args)
{
  g_autoptr(GSubprocess) process = cb_test_cli_spawn (cli, home, ts, journal, env, args);
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);

  g_test_message ("stdout:\n%s", stdout_text);
  g_test_message ("stderr:\n%s", stderr_text);
  g_assert_true (g_subprocess_get_if_exited (process));

  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&stdout_text);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&stderr_text);
  return g_subprocess_get_exit_status (process);
}

/* A device process dies with the test, even when an assertion aborts it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GSubprocess *
cb_test_cli_start_device (const char         *cli,
                          const char         *devsim,
                          const char         *home,
                          const char * const *args,
                          char              **out_pty)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *line = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, g_strdup (cli));
  g_ptr_array_add (argv, g_strdup ("devsim"));
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "CERTBENCH_DEVSIM", devsim, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PTY /dev/"));
  *out_pty = g_strdup (line + 4);
  return process;
}
