/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-cli end to end: the built binaries (certbench-cli, and certbench-devsim through
 * `certbench-cli devsim`) against a real sandbox served from this process, openssl verify of
 * the chain read back from the device, and inspect after a revoke. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cb-test-cli.h"
#include "cb-test-nrf91.h"
#include "cb-test-sandbox.h"

#include "cb-adr-client.h"
#include "cb-dps-client.h"
#include "cb-nrf91-driver.h"
#include "cb-pki.h"
#include "cb-sas.h"
#include "cb-sandbox-profile.h"
#include "cb-x509.h"

typedef struct
{
  CbTestSandbox *ts;
  char          *home;          /* XDG folders for the CLI: nothing touches the real home */
  char          *journal;
  char          *cli;
  char          *devsim;
  GPtrArray     *devices;       /* GSubprocess */
  CbProfile     *profile;
  CbHttpClient  *http;
  char          *group_key;
  char          *token;
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
  g_clear_object (&env->http);
  g_clear_object (&env->profile);
  cb_test_sandbox_free (env->ts);
  if (g_getenv ("CB_TEST_KEEP_DATA") == NULL)
    cb_test_remove_tree (env->home);
  g_free (env->home);
  g_free (env->journal);
  g_free (env->cli);
  g_free (env->devsim);
  g_free (env->group_key);
  g_free (env->token);
  g_clear_pointer (&env, g_free);
}

static Env *
env_get (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) info = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *bearer = NULL;
  JsonObject *demo;

  if (env != NULL)
    return env;

  env = g_new0 (Env, 1);
  env->devices = g_ptr_array_new_with_free_func (g_object_unref);
  env->cli = cb_test_cli_built_binary ("CERTBENCH_CLI", "cli", "certbench-cli");
  env->devsim = cb_test_cli_built_binary ("CERTBENCH_DEVSIM", "devsim", "certbench-devsim");
  env->home = g_dir_make_tmp ("cb-cli-home-XXXXXX", &error);
  g_assert_no_error (error);
  env->journal = g_build_filename (env->home, "journal.sqlite", NULL);

  env->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  cb_sandbox_seed_demo (env->ts->sandbox, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (cb_test_sandbox_request_json (env->ts, "GET", "/sandbox/info", NULL, NULL,
                                                  &info, NULL), ==, 200);
  demo = json_object_get_object_member (json_node_get_object (info), "demo");
  env->group_key = g_strdup (json_object_get_string_member (demo, "enrollmentGroupKey"));

  /* The test's own clients, for what the CLI does not do: the revoke, and the namespace root
   * fetched apart from the device. */
  env->profile = cb_sandbox_create_profile (env->ts->sandbox);
  env->http = cb_http_client_new (env->profile, &error);
  g_assert_no_error (error);
  scope = g_strconcat ("/subscriptions/", cb_profile_get_subscription_id (env->profile), NULL);
  bearer = cb_test_sandbox_token (env->ts, "cli-test@sandbox.test", "Owner", scope, CB_SB_AUD_ARM);
  env->token = g_strdup (bearer + strlen ("Bearer "));

  return env;
}

/* Runs certbench-cli, with the sandbox of this process unless own_sandbox (then the CLI finds
 * or starts one itself, as on a fresh machine); returns the exit status. */
static int
run_cli_full (gboolean            own_sandbox,
              char              **out_stdout,
              char              **out_stderr,
              const char * const *args)
{
  Env *e = env_get ();

  return cb_test_cli_run (e->cli, e->home, own_sandbox ? NULL : e->ts, e->journal, out_stdout,
                          out_stderr, args);
}

static int
run_cli (char              **out_stdout,
         char              **out_stderr,
         const char * const *args)
{
  return run_cli_full (FALSE, out_stdout, out_stderr, args);
}

static JsonObject *
parse_object (const char  *text,
              JsonNode   **keep)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  *keep = json_parser_steal_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*keep));
  return json_node_get_object (*keep);
}

/* Starts a virtual device through `certbench-cli devsim`, which execs certbench-devsim; returns
 * its pty path. */
static char *
start_device (const char         *serial,
              const char * const *faults)
{
  Env *e = env_get ();
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  char *pty = NULL;

  g_ptr_array_add (args, (gpointer) "--serial");
  g_ptr_array_add (args, (gpointer) serial);
  for (guint i = 0; faults != NULL && faults[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) faults[i]);
  g_ptr_array_add (args, NULL);
  g_ptr_array_add (e->devices,
                   cb_test_cli_start_device (e->cli, e->devsim, e->home,
                                             (const char * const *) args->pdata, &pty));
  return pty;
}

static void
write_file (const char *dir,
            const char *name,
            const char *contents,
            char      **out_path)
{
  g_autoptr(GError) error = NULL;

  *out_path = g_build_filename (dir, name, NULL);
  g_file_set_contents (*out_path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
on_result (GObject      *object,
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

/* The namespace root as the service hands it out, fetched apart from the device: a throwaway
 * registration's chain ends with it. */
static char *
namespace_root_pem (void)
{
  Env *e = env_get ();
  g_autoptr(CbDpsClient) dps = cb_dps_client_new (e->profile, e->http);
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbDpsRegistration) registration = NULL;
  g_autoptr(CbCertificate) root = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *chain;

  key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  csr = cb_csr_create (key, "root-fetch-0001", &error);
  g_assert_no_error (error);
  cb_dps_client_register_async (dps, "root-fetch-0001", e->group_key, CB_DPS_KEY_ENROLLMENT_GROUP,
                                csr, NULL, NULL, on_result, &result);
  registration = cb_dps_client_register_finish (dps, wait_for (&result), &error);
  g_assert_no_error (error);
  chain = cb_dps_registration_get_issued_chain (registration);
  g_assert_cmpuint (chain->len, ==, 3);
  root = cb_certificate_new_from_der (g_ptr_array_index (chain, 2), &error);
  g_assert_no_error (error);
  return cb_certificate_to_pem (root);
}

static void
revoke_device (const char *device)
{
  Env *e = env_get ();
  g_autoptr(CbAdrClient) adr = cb_adr_client_new (e->profile, e->http);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cb_adr_client_set_access_token (adr, e->token);
  cb_adr_client_set_max_poll_delay_ms (adr, 50);
  cb_adr_client_revoke_device_async (adr, device, FALSE, NULL, on_result, &result);
  g_assert_true (cb_adr_client_revoke_device_finish (adr, wait_for (&result), &error));
  g_assert_no_error (error);
}

/* The whole story: provision → PASS; openssl verifies the chain read back from the device
 * against the namespace root; revoke; inspect says revoked, and why. */
static void
test_cli_provision_verify_revoke (void)
{
  Env *e = env_get ();
  g_autofree char *pty = start_device ("CB-CLI-0001", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *root_pem = NULL;
  g_autofree char *root_path = NULL;
  g_autofree char *leaf_path = NULL;
  g_autofree char *ica_path = NULL;
  g_autofree char *openssl_out = NULL;
  g_autofree char *openssl_err = NULL;
  g_autoptr(JsonNode) provision = NULL;
  g_autoptr(JsonNode) inspect = NULL;
  g_autoptr(JsonNode) revoked = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object, *hub;
  const char *chain_pem;
  int status;

  /* Human output first: PASS on stdout, the steps with timings on stderr. */
  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", pty,
                                                   "--template", "line1-{serial}", NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "PASS  line1-cb-cli-0001"));
  g_assert_nonnull (strstr (err, "identify"));
  g_assert_nonnull (strstr (err, "proof-of-possession"));
  g_assert_nonnull (strstr (err, " ms "));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Again with --json, for a script: the key is rolled and the result is machine-readable. */
  status = run_cli (&out, NULL, (const char *[]) { "provision", "--port", pty, "--template",
                                                   "line1-{serial}", "--json", NULL });
  g_assert_cmpint (status, ==, 0);
  object = parse_object (out, &provision);
  g_assert_cmpstr (json_object_get_string_member (object, "result"), ==, "pass");
  g_assert_cmpint (json_object_get_int_member (object, "exitCode"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "registrationId"), ==, "line1-cb-cli-0001");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (object, "steps")), ==, 11);
  /* The device connected to the hub with its new certificate and reported it in its twin. */
  {
    JsonObject *step = json_array_get_object_element (json_object_get_array_member (object, "steps"),
                                                      9);

    g_assert_cmpstr (json_object_get_string_member (step, "name"), ==, "hub-connect");
    g_assert_cmpstr (json_object_get_string_member (step, "state"), ==, "passed");
    g_assert_nonnull (strstr (json_object_get_string_member (step, "detail"), "twin reports until"));
  }
  g_clear_pointer (&out, g_free);

  /* The chain the device holds, read back by inspect. */
  status = run_cli (&out, NULL, (const char *[]) { "inspect", "--port", pty, "--json", NULL });
  g_assert_cmpint (status, ==, 0);
  object = parse_object (out, &inspect);
  hub = json_object_get_object_member (object, "hub");
  g_assert_true (json_object_get_boolean_member (hub, "accepted"));
  g_assert_cmpstr (json_object_get_string_member (hub, "verdict"), ==, "accepted");
  g_assert_true (json_object_get_boolean_member (object, "proofOfPossession"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "device"),
                                                  "hubState"), ==, "connected");
  chain_pem = json_object_get_string_member (object, "chainPem");
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (json_object_get_array_member (object, "chain"),
                                                    0), "sha256"), ==,
                   json_object_get_string_member (json_node_get_object (provision), "leafSha256"));

  /* openssl, with the root fetched from the service on its own. */
  chain = cb_certificate_list_new_from_data ((const guint8 *) chain_pem, strlen (chain_pem), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chain->len, ==, 3);
  root_pem = namespace_root_pem ();
  {
    g_autofree char *leaf_pem = cb_certificate_to_pem (g_ptr_array_index (chain, 0));
    g_autofree char *ica_pem = cb_certificate_to_pem (g_ptr_array_index (chain, 1));

    write_file (e->home, "root.pem", root_pem, &root_path);
    write_file (e->home, "leaf.pem", leaf_pem, &leaf_path);
    write_file (e->home, "ica.pem", ica_pem, &ica_path);
  }
  {
    const char *argv[] = { "openssl", "verify", "-CAfile", root_path, "-untrusted", ica_path,
                           leaf_path, NULL };
    int wait_status = 0;

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &openssl_out,
                  &openssl_err, &wait_status, &error);
    g_assert_no_error (error);
    g_test_message ("openssl: %s%s", openssl_out, openssl_err);
    g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
    g_assert_true (g_str_has_suffix (g_strstrip (openssl_out), "leaf.pem: OK"));
  }

  /* Dates are judged on the service's clock: 20 days on, in the sandbox, about 10 of the 30
   * remain. */
  g_assert_cmpuint (cb_test_sandbox_request (env->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 1728000}", NULL, NULL), ==, 200);
  g_clear_pointer (&out, g_free);
  status = run_cli (&out, NULL, (const char *[]) { "inspect", "--port", pty, NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (strstr (out, "(9 days left, valid)") != NULL ||
                 strstr (out, "(10 days left, valid)") != NULL);
  g_assert_cmpuint (cb_test_sandbox_request (env->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"offsetSeconds\": 0}", NULL, NULL), ==, 200);

  /* Revoke the device in the sandbox: inspect says so, and why, and exits 8. */
  revoke_device ("line1-cb-cli-0001");
  g_clear_pointer (&out, g_free);
  status = run_cli (&out, NULL, (const char *[]) { "inspect", "--port", pty, "--json", NULL });
  g_assert_cmpint (status, ==, 8);
  object = parse_object (out, &revoked);
  hub = json_object_get_object_member (object, "hub");
  g_assert_false (json_object_get_boolean_member (hub, "accepted"));
  g_assert_cmpstr (json_object_get_string_member (hub, "verdict"), ==, "revoked-identifier");
  g_assert_nonnull (strstr (json_object_get_string_member (hub, "reason"), "revoked"));
  /* The chain itself still verifies: revocation is the hub's call, not the chain's. */
  g_assert_cmpstr (json_object_get_string_member (object, "localCheck"), ==, "ok");

  /* The sandbox dropped the device's connection; it reconnects and is refused, and inspect
   * shows what the device itself saw. */
  {
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

    do
      {
        g_clear_pointer (&out, g_free);
        status = run_cli (&out, NULL, (const char *[]) { "inspect", "--port", pty, NULL });
        g_assert_cmpint (status, ==, 8);
        if (strstr (out, "Hub connection  refused") != NULL)
          break;
        g_usleep (300 * 1000);
      }
    while (g_get_monotonic_time () < deadline);
  }
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "REJECTED"));
  g_assert_nonnull (strstr (out, "revoked"));
  g_assert_nonnull (strstr (out, "Hub connection  refused"));
  g_assert_nonnull (strstr (out, "Last renewal"));

  /* Provisioning again gives the device a working identity. */
  g_clear_pointer (&out, g_free);
  status = run_cli (&out, NULL, (const char *[]) { "provision", "--port", pty, "--template",
                                                   "line1-{serial}", "--quiet", NULL });
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  status = run_cli (&out, NULL, (const char *[]) { "inspect", "--port", pty, NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "ACCEPTED"));

  /* A bench without network: the hub step is skipped and the run passes. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&provision, json_node_unref);
  status = run_cli (&out, NULL, (const char *[]) { "provision", "--port", pty, "--template",
                                                   "line1-{serial}", "--no-hub-check", "--json",
                                                   NULL });
  g_assert_cmpint (status, ==, 0);
  object = parse_object (out, &provision);
  {
    JsonObject *step = json_array_get_object_element (json_object_get_array_member (object, "steps"),
                                                      9);

    g_assert_cmpstr (json_object_get_string_member (step, "name"), ==, "hub-connect");
    g_assert_cmpstr (json_object_get_string_member (step, "state"), ==, "skipped");
    g_assert_cmpstr (json_object_get_string_member (step, "detail"), ==,
                     "hub check off (no network at the bench)");
  }
}

static void
set_faults (const char *json)
{
  Env *e = env_get ();

  g_assert_cmpuint (cb_test_sandbox_request (e->ts, "PUT", "/sandbox/faults", NULL, NULL, json,
                                             NULL, NULL) / 100, ==, 2);
}

/* provision registers with DPS over MQTT or HTTPS as --dps-transport says: over MQTT it passes
 * while every REST DPS request would fail, over HTTPS it passes again once they do not. */
static void
test_cli_provision_dps_transport (void)
{
  g_autofree char *pty = start_device ("CB-CLI-MQTT-1", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  set_faults ("{\"faults\":[{\"path\":\"/dps/*\",\"status\":403}]}");
  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", pty,
                                                   "--dps-transport", "mqtt", NULL });
  set_faults ("{\"faults\":[]}");
  g_test_message ("%s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "PASS  cb-cli-mqtt-1"));
  g_assert_nonnull (strstr (err, "DPS: over MQTT"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", pty,
                                                   "--dps-transport", "https", NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "PASS  cb-cli-mqtt-1"));
  g_assert_nonnull (strstr (err, "DPS: over HTTPS"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Over HTTPS the same fault fails the registration: the MQTT pass above did not use it. */
  set_faults ("{\"faults\":[{\"path\":\"/dps/*\",\"status\":403}]}");
  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", pty,
                                                   "--dps-transport", "https", NULL });
  set_faults ("{\"faults\":[]}");
  g_assert_cmpint (status, !=, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = run_cli (NULL, &err, (const char *[]) { "provision", "--port", pty,
                                                   "--dps-transport", "amqp", NULL });
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "--dps-transport is mqtt or https"));
}

static void
test_cli_failures (void)
{
  const char * const refuse[] = { "--refuse-commit", NULL };
  g_autofree char *pty = start_device ("CB-CLI-FAIL-1", refuse);
  g_autofree char *fresh = start_device ("CB-CLI-FRESH-1", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;
  int status;

  /* A device that refuses the commit: exit 4, the step named, the device unchanged. */
  status = run_cli (&out, NULL, (const char *[]) { "provision", "--port", pty, "--json", NULL });
  g_assert_cmpint (status, ==, 4);
  object = parse_object (out, &node);
  g_assert_cmpstr (json_object_get_string_member (object, "result"), ==, "fail");
  g_assert_cmpstr (json_object_get_string_member (object, "failedStep"), ==, "commit");
  g_assert_cmpstr (json_object_get_string_member (object, "errorCategory"), ==, "device");
  g_assert_false (json_object_get_boolean_member (object, "deviceChanged"));
  g_assert_true (json_object_get_null_member (object, "chainPem"));
  g_clear_pointer (&out, g_free);

  /* A device without a certificate: inspect exits 9. */
  status = run_cli (&out, &err, (const char *[]) { "inspect", "--port", fresh, NULL });
  g_assert_cmpint (status, ==, 9);
  g_assert_nonnull (strstr (err, "no certificate"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* No such port: 4. Usage errors: 2. */
  status = run_cli (NULL, &err, (const char *[]) { "provision", "--port", "/dev/nonexistent-tty",
                                                   NULL });
  g_assert_cmpint (status, ==, 4);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "provision", NULL }), ==, 2);
  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "frobnicate", NULL }), ==, 2);
  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "--no-such-option", NULL }), ==, 2);
  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "journal", "export", NULL }), ==, 2);
  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "provision", "--port", fresh,
                                                           "--key-type", "rsa", NULL }), ==, 2);
  /* A registration id DPS would refuse is caught before anything happens. */
  g_assert_cmpint (run_cli (NULL, NULL, (const char *[]) { "provision", "--port", fresh,
                                                           "--registration-id", "bad id!", NULL }),
                   ==, 3);
}

static void
test_cli_journal (void)
{
  g_autofree char *pty = start_device ("CB-CLI-JRNL-1", NULL);
  g_autofree char *out = NULL;
  g_autofree char *csv_path = NULL;
  g_autofree char *csv = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *runs;
  int status;

  status = run_cli (NULL, NULL, (const char *[]) { "provision", "--port", pty, "--station",
                                                   "bench-7", "--operator", "ana", "--quiet",
                                                   NULL });
  g_assert_cmpint (status, ==, 0);

  status = run_cli (&out, NULL, (const char *[]) { "journal", "list", NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "CB-CLI-JRNL-1"));
  g_assert_nonnull (strstr (out, "cb-cli-jrnl-1"));
  g_clear_pointer (&out, g_free);

  status = run_cli (&out, NULL, (const char *[]) { "journal", "list", "--json", "--serial",
                                                   "CB-CLI-JRNL-1", NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  runs = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (runs), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (runs, 0),
                                                  "station"), ==, "bench-7");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (runs, 0),
                                                  "operator"), ==, "ana");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (runs, 0),
                                                  "result"), ==, "pass");
  g_clear_pointer (&out, g_free);

  csv_path = g_build_filename (env->home, "export.csv", NULL);
  status = run_cli (NULL, NULL, (const char *[]) { "journal", "export", "--csv", "--result",
                                                   "pass", "--output", csv_path, NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (csv, "run_uuid,started,"));
  g_assert_nonnull (strstr (csv, "CB-CLI-JRNL-1"));
  /* The journal holds no secret: not the group key, not the device key the hub step gave the
   * device, not a SAS signature. */
  g_assert_null (strstr (csv, env->group_key));
  {
    g_autofree char *device_key = cb_sas_derive_device_key (env->group_key, "cb-cli-jrnl-1", &error);

    g_assert_no_error (error);
    g_assert_null (strstr (csv, device_key));
  }
  g_assert_null (strstr (csv, "SharedAccessSignature"));

  status = run_cli (&out, NULL, (const char *[]) { "journal", "list", "--result", "nonsense",
                                                   NULL });
  g_assert_cmpint (status, ==, 2);
}

/* A fresh machine: no sandbox running, no data. The CLI starts one in its own process on the
 * default folder, provisions, and the next command finds the same sandbox data. */
static void
test_cli_fresh_machine (void)
{
  g_autofree char *pty = start_device ("CB-CLI-FRESH-2", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *sandbox_ca = g_build_filename (env->home, "data", "certbench", "sandbox",
                                                  "sandbox-ca.pem", NULL);
  g_autofree char *journal = g_build_filename (env->home, "data", "certbench", "journal.sqlite",
                                               NULL);
  int status;

  g_assert_false (g_file_test (sandbox_ca, G_FILE_TEST_EXISTS));
  status = run_cli_full (TRUE, &out, &err, (const char *[]) { "provision", "--port", pty, NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "PASS  cb-cli-fresh-2"));
  g_assert_nonnull (strstr (err, "Started a sandbox in this process"));
  g_assert_true (g_file_test (sandbox_ca, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (journal, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = run_cli_full (TRUE, &out, NULL, (const char *[]) { "inspect", "--port", pty, NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "ACCEPTED"));
  g_clear_pointer (&out, g_free);

  status = run_cli_full (TRUE, &out, NULL, (const char *[]) { "journal", "list", NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "CB-CLI-FRESH-2"));
}

/* The sandbox named by $CERTBENCH_SANDBOX_URL (its CA in $CERTBENCH_SANDBOX_DIR), and --no-arm:
 * the run passes without ARM, and the notes say which sandbox and why there is no ARM. A URL
 * that does not answer is a configuration error. */
static void
test_cli_sandbox_from_env (void)
{
  Env *e = env_get ();
  g_autofree char *pty = start_device ("CB-CLI-ENV-1", NULL);
  g_autofree char *url_env = g_strconcat ("CERTBENCH_SANDBOX_URL=",
                                          cb_sandbox_get_base_url (e->ts->sandbox), NULL);
  g_autofree char *dir_env = g_strconcat ("CERTBENCH_SANDBOX_DIR=", e->ts->data_dir, NULL);
  g_autofree char *journal_env = g_strconcat ("CERTBENCH_JOURNAL=", e->journal, NULL);
  g_autofree char *using = g_strconcat ("Using the sandbox at ",
                                        cb_sandbox_get_base_url (e->ts->sandbox), NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  status = cb_test_cli_run_with_env (e->cli, e->home, NULL, NULL,
                                     (const char *[]) { url_env, dir_env, journal_env, NULL },
                                     &out, &err,
                                     (const char *[]) { "provision", "--port", pty, "--no-arm",
                                                        "--validity-days", "30", NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "PASS  cb-cli-env-1"));
  g_assert_nonnull (strstr (err, using));
  g_assert_nonnull (strstr (err, "ARM: ARM was turned off with --no-arm; the policy's validity "
                                 "comes from --validity-days"));
  g_assert_nonnull (strstr (err, "The hub step goes by the device's word"));
  g_assert_null (strstr (err, "Started a sandbox"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = cb_test_cli_run_with_env (e->cli, e->home, NULL, NULL,
                                     (const char *[]) { "CERTBENCH_SANDBOX_URL=https://127.0.0.1:1",
                                                        dir_env, journal_env, NULL },
                                     &out, &err,
                                     (const char *[]) { "inspect", "--port", pty, NULL });
  g_assert_cmpint (status, ==, 3);
  g_assert_nonnull (strstr (err, "The sandbox at https://127.0.0.1:1 (CA "));
  g_assert_nonnull (strstr (err, "does not answer"));
}

static void
test_cli_help (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  status = run_cli (&out, &err, (const char *[]) { "--help", NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Exit status:"));
  g_assert_nonnull (strstr (out, "provision --port PATH"));
  g_assert_nonnull (strstr (out, "130"));
  g_clear_pointer (&out, g_free);

  status = run_cli (&out, NULL, (const char *[]) { "ports", "--json", NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (g_strstrip (out), "["));
}

/* --driver: an unknown name is a usage error; the nRF91 driver, pinned or found by the probe
 * (the simulated modem answers AT), provisions the simulated modem to PASS; a pinned smp
 * provisions as auto does. */
static void
test_cli_driver (void)
{
  g_autofree char *smp = start_device ("CB-CLI-DRV1", NULL);
  g_autofree char *modem = start_device ("CB-CLI-DRV2", (const char *[]) { "--personality", "nrf91", NULL });
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", smp, "--driver",
                                                   "modbus", NULL });
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "--driver is auto, smp or nrf91, not “modbus”"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", modem, "--driver",
                                                   "nrf91", "--template", "nrf-{imei}", NULL });
  if (status != 0)
    g_test_message ("%s\n%s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "PASS  nrf-35265610"));
  g_assert_nonnull (strstr (err, "SHA-256 digests compared"));
  g_assert_nonnull (strstr (err, "the CSR's signature is the proof of possession at issuance"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* probed: the modem answers AT; provisioned again over what it holds (writes never
   * overwrite: the driver deletes first); AT%CMNG=1 then lists the digests read back */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) error = NULL;
    JsonObject *o;

    status = run_cli (&out, &err, (const char *[]) { "provision", "--port", modem, "--template",
                                                     "nrf-{uuid}", "--json", NULL });
    if (status != 0)
      g_test_message ("%s\n%s", out, err);
    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (err, "answers as a Nordic nRF91 modem"));
    json_parser_load_from_data (parser, out, -1, &error);
    g_assert_no_error (error);
    o = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpstr (json_object_get_string_member (o, "result"), ==, "pass");
    g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "registrationId"), "nrf-"));
    cb_test_nrf91_assert_cmng (modem, CB_NRF91_DRIVER_DEFAULT_SEC_TAG,
                               json_object_get_string_member (o, "chainPem"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* --sec-tag: out of Nordic's range is a usage error; a tag of the operator's choosing holds
   * what the run wrote, and the default tag still what the run before wrote. */
  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", modem, "--sec-tag",
                                                   "2147483648", NULL });
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "--sec-tag is a security tag from 0 to 2147483647, not “2147483648”"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = run_cli (&out, &err, (const char *[]) { "inspect", "--port", modem, "--sec-tag",
                                                   "eleven", NULL });
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "not “eleven”"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) error = NULL;
    JsonObject *o;

    status = run_cli (&out, &err, (const char *[]) { "provision", "--port", modem, "--sec-tag",
                                                     "42", "--template", "tag42-{imei}",
                                                     "--json", NULL });
    if (status != 0)
      g_test_message ("%s\n%s", out, err);
    g_assert_cmpint (status, ==, 0);
    json_parser_load_from_data (parser, out, -1, &error);
    g_assert_no_error (error);
    o = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpstr (json_object_get_string_member (o, "result"), ==, "pass");
    cb_test_nrf91_assert_cmng (modem, 42, json_object_get_string_member (o, "chainPem"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  status = run_cli (&out, &err, (const char *[]) { "provision", "--port", smp, "--driver", "smp",
                                                   "--template", "line1-{serial}", NULL });
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "PASS  line1-cb-cli-drv1"));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/cli/provision-verify-revoke", test_cli_provision_verify_revoke);
  g_test_add_func ("/cb/cli/failures", test_cli_failures);
  g_test_add_func ("/cb/cli/provision-dps-transport", test_cli_provision_dps_transport);
  g_test_add_func ("/cb/cli/journal", test_cli_journal);
  g_test_add_func ("/cb/cli/fresh-machine", test_cli_fresh_machine);
  g_test_add_func ("/cb/cli/sandbox-from-env", test_cli_sandbox_from_env);
  g_test_add_func ("/cb/cli/help", test_cli_help);
  g_test_add_func ("/cb/cli/driver", test_cli_driver);

  status = g_test_run ();
  env_free ();
  return status;
}
