/* SPDX-License-Identifier: GPL-3.0-or-later */

/* What the X.509-onboarding tests share: openssl makes the factory CA and the devices'
 * onboarding certificates and reads fingerprints; the built certbench-devsim runs as the
 * factory and as a device. Real programs, nothing stands in for them. */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "cb-test-factory.h"

/* argv: @first, then @args. */
static GPtrArray *
make_argv (const char         *first,
           const char * const *args)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (char *) first);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  return argv;
}

char *
cb_test_run_program (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *command = g_strjoinv (" ", (char **) argv);
  char *out = NULL;
  int wait_status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &wait_status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (wait_status, &error))
    g_error ("%s: %s\n%s", command, error->message, err);
  g_test_message ("%s: %s%s", command, out, err);
  return out;
}

char *
cb_test_openssl (const char * const *args)
{
  g_autoptr(GPtrArray) argv = make_argv ("openssl", args);

  return cb_test_run_program ((const char * const *) argv->pdata);
}

void
cb_test_factory_ca (const char *cert,
                    const char *key,
                    const char *subject)
{
  g_free (cb_test_openssl ((const char *[]) {
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", key, "-out", cert, "-days", "30", "-subj", subject,
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL }));
}

void
cb_test_factory_device (const char *ca_cert,
                        const char *ca_key,
                        const char *cn,
                        const char *cert,
                        const char *key)
{
  g_autofree char *subject = g_strconcat ("/CN=", cn, NULL);
  g_autofree char *csr = g_strconcat (cert, ".csr", NULL);

  g_free (cb_test_openssl ((const char *[]) {
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", key, "-out", csr, "-subj", subject, NULL }));
  g_free (cb_test_openssl ((const char *[]) {
    "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
    "-days", "30", "-out", cert, NULL }));
  g_unlink (csr);
}

char *
cb_test_openssl_fingerprint (const char *path,
                             const char *digest,
                             gboolean    der)
{
  g_autofree char *out = cb_test_openssl ((const char *[]) {
    "x509", "-noout", "-fingerprint", digest, "-in", path, der ? "-inform" : NULL, "DER",
    NULL });
  char *eq = strchr (out, '=');

  g_assert_nonnull (eq);
  return g_strdup (g_strstrip (eq + 1));
}

const char *
cb_test_devsim_path (void)
{
  const char *path = g_getenv ("CERTBENCH_DEVSIM");

  g_assert_nonnull (path);
  return path;
}

int
cb_test_devsim_run (char              **out,
                    const char * const *args)
{
  g_autoptr(GPtrArray) argv = make_argv (cb_test_devsim_path (), args);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *err = NULL;
  /* GLib's debug output would go to stdout, mixed with what it prints. */
  g_auto(GStrv) env = g_environ_unsetenv (g_get_environ (), "G_MESSAGES_DEBUG");
  int wait_status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL,
                               &text, &err, &wait_status, &error));
  g_assert_no_error (error);
  g_test_message ("certbench-devsim: %s%s", text, err);
  if (out != NULL)
    *out = g_steal_pointer (&text);
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

int
cb_test_devsim_make_factory_ca (const char *cert,
                                const char *key)
{
  return cb_test_devsim_run (NULL, (const char *[]) { "--make-factory-ca", "--factory-ca", cert,
                                                      "--factory-ca-key", key, NULL });
}

int
cb_test_devsim_onboarding_cert (const char  *state_dir,
                                const char  *serial,
                                const char  *ca,
                                const char  *ca_key,
                                const char  *id,
                                char       **out)
{
  /* Without a serial number, the list ends before "--serial". */
  const char *args[] = { "--state-dir", state_dir, "--factory-ca", ca, "--factory-ca-key", ca_key,
                         "--onboarding-id", id, "--print-onboarding-cert",
                         serial != NULL ? "--serial" : NULL, serial, NULL };

  return cb_test_devsim_run (out, args);
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GSubprocess *
cb_test_devsim_spawn (GSubprocessFlags    flags,
                      const char * const *args)
{
  g_autoptr(GPtrArray) argv = make_argv (cb_test_devsim_path (), args);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

GSubprocess *
cb_test_devsim_start_pty (const char * const *args,
                          char              **out_pty)
{
  GSubprocess *process = cb_test_devsim_spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, args);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PTY "));
  *out_pty = g_strdup (line + 4);
  return process;
}
