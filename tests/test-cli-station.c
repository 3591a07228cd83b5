/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-cli serving many ports in one process: `provision` with several --port (each
 * port's result printed, the exit code the worst) and `station`, which provisions each device
 * as its port appears (here: simulated devices' pty links appearing in --pty-dir) and stops
 * cleanly on Ctrl+C. The built binaries against a real sandbox served from this process. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-sandbox-discovery.h"
#include "cb-secrets.h"
#include "cb-test-cli.h"
#include "cb-test-sandbox.h"

typedef struct
{
  CbTestSandbox *ts;
  char          *home;
  char          *journal;
  char          *cli;
  char          *devsim;
  GPtrArray     *devices;   /* GSubprocess */
} Env;

static Env *env;

static void
env_free (void)
{
  if (env == NULL)
    return;

  for (guint i = 0; i < env->devices->len; i++)
    {
      GSubprocess *process = g_ptr_array_index (env->devices, i);

      g_subprocess_send_signal (process, SIGTERM);
      g_subprocess_wait (process, NULL, NULL);
    }
  g_ptr_array_unref (env->devices);
  cb_test_sandbox_free (env->ts);
  if (g_getenv ("CB_TEST_KEEP_DATA") == NULL)
    cb_test_remove_tree (env->home);
  g_free (env->home);
  g_free (env->journal);
  g_free (env->cli);
  g_free (env->devsim);
  g_clear_pointer (&env, g_free);
}

static Env *
env_get (void)
{
  g_autoptr(GError) error = NULL;

  if (env != NULL)
    return env;

  env = g_new0 (Env, 1);
  env->devices = g_ptr_array_new_with_free_func (g_object_unref);
  env->cli = cb_test_cli_built_binary ("CERTBENCH_CLI", "cli", "certbench-cli");
  env->devsim = cb_test_cli_built_binary ("CERTBENCH_DEVSIM", "devsim", "certbench-devsim");
  env->home = g_dir_make_tmp ("cb-cli-station-XXXXXX", &error);
  g_assert_no_error (error);
  env->journal = g_build_filename (env->home, "journal.sqlite", NULL);
  env->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  cb_sandbox_seed_demo (env->ts->sandbox, &error);
  g_assert_no_error (error);
  return env;
}

/* A simulated device with serial (an nRF91 modem with personality "nrf91", else a bench
 * device); with link, its pty is linked there too. Returns its pty. */
static char *
start_device_as (const char *serial,
                 const char *link,
                 const char *personality)
{
  Env *e = env_get ();
  const char *args[] = { "--serial", serial, "--personality",
                         personality != NULL ? personality : "smp",
                         link != NULL ? "--link" : NULL, link, NULL };
  char *pty = NULL;

  g_ptr_array_add (e->devices, cb_test_cli_start_device (e->cli, e->devsim, e->home, args, &pty));
  return pty;
}

static char *
start_device (const char *serial,
              const char *link)
{
  return start_device_as (serial, link, NULL);
}

static int
run_cli (char              **out_stdout,
         char              **out_stderr,
         const char * const *args)
{
  Env *e = env_get ();

  return cb_test_cli_run (e->cli, e->home, e->ts, e->journal, out_stdout, out_stderr, args);
}

static guint
count_lines_starting (const char *text,
                      const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_has_prefix (lines[i], prefix);
  return n;
}

/* Two ports in one process: both provisioned, each result printed. A port that is not there
 * makes the exit code the device's (4), while the other port still passes. */
static void
test_provision_ports (void)
{
  g_autofree char *a = start_device ("CB-PORTS-A", NULL);
  g_autofree char *b = start_device ("CB-PORTS-B", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", a, "--port", b, NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (count_lines_starting (out, "PASS  "), ==, 2);
  g_assert_nonnull (strstr (out, "PASS  cb-ports-a on "));
  g_assert_nonnull (strstr (out, "PASS  cb-ports-b on "));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", "/dev/nonexistent-tty",
                                                   "--port", a, NULL });
  g_assert_cmpint (status, ==, 4);
  g_assert_cmpuint (count_lines_starting (out, "PASS  "), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* One registration id cannot name two devices. */
  status = run_cli (NULL, &err, (const char *[]) { "provision", "--port", a, "--port", b,
                                                   "--registration-id", "one-id", NULL });
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "--registration-id"));
}

typedef struct
{
  const char * const *args;
  int                 status;
  char               *out;
  gboolean            done;
} CliThread;

static gpointer
run_cli_thread (gpointer data)
{
  CliThread *t = data;

  t->status = run_cli (&t->out, NULL, t->args);
  g_atomic_int_set (&t->done, TRUE);
  return NULL;
}

/* A station provisions devices as they are plugged in: two bench devices and an nRF91 modem
 * (found by the probe: it answers AT, not SMP) linked into its pty folder while it runs, each
 * provisioned once and printed as a JSON line. */
static void
test_station_plug_in (void)
{
  Env *e = env_get ();
  g_autofree char *dir = g_build_filename (e->home, "ptys", NULL);
  g_autofree char *link_a = g_build_filename (dir, "a", NULL);
  g_autofree char *link_b = g_build_filename (dir, "b", NULL);
  g_autofree char *link_c = g_build_filename (dir, "c", NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  guint modems = 0;
  g_auto(GStrv) lines = NULL;
  CliThread t = { 0 };
  GThread *thread;
  guint passed = 0;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  t.args = (const char *[]) { "--json", "station", "--pty-dir", dir, "--max-runs", "3",
                              "--template", "st-{serial}", NULL };
  thread = g_thread_new ("station", run_cli_thread, &t);
  a = start_device ("CB-STATION-A", link_a);
  b = start_device ("CB-STATION-B", link_b);
  c = start_device_as ("CB-STATION-C", link_c, "nrf91");
  g_thread_join (thread);

  g_assert_cmpint (t.status, ==, 0);
  lines = g_strsplit (t.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *object;

      if (*lines[i] == '\0')
        continue;
      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, &error));
      object = json_node_get_object (json_parser_get_root (parser));
      g_test_message ("%s", lines[i]);
      g_assert_cmpstr (json_object_get_string_member (object, "result"), ==, "pass");
      g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "registrationId"),
                                       "st-"));
      g_assert_cmpint (json_object_get_int_member (object, "journalRunId"), >, 0);
      modems += g_str_has_suffix (json_object_get_string_member (object, "port"), "/c");
      passed++;
    }
  g_assert_cmpuint (passed, ==, 3);
  g_assert_cmpuint (modems, ==, 1);
  g_free (t.out);
}

/* Ctrl+C stops an idle station cleanly: exit 0 and its summary. */
static void
test_station_interrupt (void)
{
  Env *e = env_get ();
  g_autofree char *dir = g_build_filename (e->home, "empty", NULL);
  g_autoptr(GSubprocess) station = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ready = FALSE;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  station = cb_test_cli_spawn (e->cli, e->home, e->ts, e->journal, NULL,
                               (const char *[]) { "station", "--pty-dir", dir, NULL });
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (station));
  while (!ready)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_test_message ("%s", line);
      ready = strstr (line, "Station ready") != NULL;
    }

  g_subprocess_send_signal (station, SIGINT);
  g_assert_true (g_subprocess_wait (station, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (station));
  g_assert_cmpint (g_subprocess_get_exit_status (station), ==, 0);
}

static void
store_result (GObject      *object,
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

/* A one-shot CLI signs in to the standalone sandbox every time: its codes approve
 * themselves, so it answers an interval of 0 (Entra's 5 s made every CLI run wait 5 s), and
 * the sign-in still completes through the real device-code flow. */
static void
test_standalone_sign_in_interval (void)
{
  Env *e = env_get ();
  g_autofree char *exe = g_getenv ("CERTBENCH_SANDBOX") != NULL
    ? g_strdup (g_getenv ("CERTBENCH_SANDBOX"))
    : g_test_build_filename (G_TEST_BUILT, "..", "src", "sandbox", "certbench-sandbox", NULL);
  g_autofree char *dir = g_build_filename (e->home, "standalone", NULL);
  g_autofree char *base_url = NULL;
  g_autofree char *group_key = NULL;
  g_autoptr(GSubprocess) sandbox = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbHttpClient) http = NULL;
  g_autoptr(CbSecrets) secrets = cb_secrets_new_memory ();
  g_autoptr(CbEntraClient) entra = NULL;
  g_autoptr(CbEntraDeviceCode) code = NULL;
  char *url = NULL;

  sandbox = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, exe, "--data-dir", dir,
                              "--port", "0", "--mqtt-port", "0", "--seed", "demo", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sandbox));
  while (url == NULL)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      const char *at;

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if ((at = strstr (line, "is listening on ")) != NULL)
        url = g_strdup (at + strlen ("is listening on "));
    }

  cb_sandbox_discover_async (url, dir, NULL, store_result, &result);
  profile = cb_sandbox_discover_finish (wait_for (&result), &base_url, &group_key, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  http = cb_http_client_new (profile, &error);
  g_assert_no_error (error);
  entra = cb_entra_client_new (profile, http, secrets);

  cb_entra_client_begin_sign_in_async (entra, NULL, store_result, &result);
  code = cb_entra_client_begin_sign_in_finish (entra, wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (cb_entra_device_code_get_interval (code), ==, 0);

  cb_entra_client_complete_sign_in_async (entra, code, NULL, store_result, &result);
  g_assert_true (cb_entra_client_complete_sign_in_finish (entra, wait_for (&result), &error));
  g_assert_no_error (error);

  g_subprocess_send_signal (sandbox, SIGTERM);
  g_subprocess_wait (sandbox, NULL, NULL);
  g_free (url);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cb/cli-station/provision-ports", test_provision_ports);
  g_test_add_func ("/cb/cli-station/plug-in", test_station_plug_in);
  g_test_add_func ("/cb/cli-station/interrupt", test_station_interrupt);
  g_test_add_func ("/cb/cli-station/standalone-sign-in-interval",
                   test_standalone_sign_in_interval);
  status = g_test_run ();
  env_free ();
  return status;
}
