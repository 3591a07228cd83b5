/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 13's "done when" with certbench-cli alone, on a real sandbox served from this process
 * (loopback, TLS) and a simulated device on a pty: a namespace in the stable model with a root,
 * an ICA linked to a hub and a DPS, a 30-day policy and an enrollment group that names
 * namespace, ICA and policy; the device provisioned through it (leaf issued by the ICA, chain
 * [leaf, ICA, root], 30 days); revoke-and-rotate counts the device and the hub refuses it
 * afterwards; an External ICA activated with a chain a test CA made; and revoke-device
 * confirmed by typing the device's name on a terminal. The CLI reaches the new DPS and hub
 * through a connection profile in profiles.ini, as an admin would point it there. Core's fleet
 * counts (the hub queries the Fleet page makes) and its diagnosis (inspect's findings and
 * state) give the stable model's revocations their verdicts. */
#include "config.h"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cb-test-arm.h"
#include "cb-test-cli.h"
#include "cb-test-nrf91.h"
#include "cb-test-sandbox.h"

#include "cb-context.h"
#include "cb-device-state-info.h"
#include "cb-hub-client.h"
#include "cb-nrf91-driver.h"
#include "cb-profile.h"
#include "cb-sandbox.h"
#include "cb-sandbox-profile.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"
#include "cb-sb-world.h"
#include "cb-x509.h"

#define SUB       "cb000000-0000-4000-8000-000000000001"
#define RG        "certbench-demo"
#define HUB       "walk-hub"
#define DPS       "walk-dps"
#define SCOPE     "0ne00C0FFEE"
#define NS        "walk-ns"
#define PROFILE   "walk"
#define GROUP     "walk-line"
#define SERIAL    "CB-WALK-0001"
#define DEVICE_ID "walk-cb-walk-0001"

/* docs/cli.md's exit codes. */
#define EXIT_NOT_CONFIRMED 10
#define EXIT_REJECTED      8

typedef struct
{
  CbTestSandbox *ts;
  char          *home;
  char          *journal;
  char          *cli;
  char          *devsim;
  GSubprocess   *device;
  char          *pty;
  CbProfile     *profile;       /* the profile in profiles.ini, for core's own context */
} Env;

static Env *env;

static void
env_free (void)
{
  if (env == NULL)
    return;
  if (env->device != NULL)
    {
      g_subprocess_send_signal (env->device, SIGTERM);
      g_subprocess_wait (env->device, NULL, NULL);
      g_object_unref (env->device);
    }
  g_clear_object (&env->profile);
  cb_test_sandbox_free (env->ts);
  if (g_getenv ("CB_TEST_KEEP_DATA") == NULL)
    cb_test_remove_tree (env->home);
  g_free (env->home);
  g_free (env->journal);
  g_free (env->cli);
  g_free (env->devsim);
  g_free (env->pty);
  g_clear_pointer (&env, g_free);
}

/* The object of array whose member is value, or NULL. */
static JsonObject *
find_by (JsonArray  *array,
         const char *member,
         const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (o, member), value) == 0)
        return o;
    }
  return NULL;
}

static JsonObject *
find_in (JsonArray  *array,
         const char *name)
{
  return find_by (array, "name", name);
}

/* The connection profile an admin makes for the new line: the sandbox's endpoints, the new
 * namespace, and the hub and DPS the namespace will link (their addresses as the sandbox
 * publishes them). No enrollment group yet: provision names it. */
static void
write_profile (void)
{
  g_autoptr(CbProfile) sandbox = cb_sandbox_create_profile (env->ts->sandbox);
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (env->home, "config", "certbench", NULL);
  g_autofree char *path = g_build_filename (dir, "profiles.ini", NULL);
  const char *group = "profile " PROFILE;
  JsonObject *hub, *dps;

  g_assert_cmpuint (cb_test_sandbox_request_json (env->ts, "GET", "/sandbox/info", NULL, NULL,
                                                  &info, NULL), ==, 200);
  hub = find_in (json_object_get_array_member (json_node_get_object (info), "hubs"), HUB);
  dps = find_in (json_object_get_array_member (
                   json_object_get_object_member (json_node_get_object (info), "dps"),
                   "instances"), DPS);
  g_assert_nonnull (hub);
  g_assert_nonnull (dps);

  cb_profile_to_key_file (sandbox, key_file, group);
  g_key_file_set_string (key_file, group, "id", PROFILE);
  g_key_file_set_string (key_file, group, "name", "Walk line");
  g_key_file_set_string (key_file, group, "namespace", NS);
  g_key_file_set_string (key_file, group, "hub-name", HUB);
  g_key_file_set_string (key_file, group, "hub-host-name",
                         json_object_get_string_member (hub, "hostName"));
  g_key_file_set_string (key_file, group, "hub-endpoint",
                         json_object_get_string_member (hub, "endpoint"));
  g_key_file_set_string (key_file, group, "dps-name", DPS);
  g_key_file_set_string (key_file, group, "dps-id-scope", SCOPE);
  g_key_file_set_string (key_file, group, "dps-host-name",
                         json_object_get_string_member (dps, "hostName"));
  g_key_file_set_string (key_file, group, "dps-service-endpoint",
                         json_object_get_string_member (dps, "serviceEndpoint"));
  g_key_file_remove_key (key_file, group, "enrollment-group-id", NULL);
  g_key_file_remove_key (key_file, group, "credential-policy", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_key_file_save_to_file (key_file, path, &error);
  g_assert_no_error (error);
  env->profile = cb_profile_new_from_key_file (key_file, group, &error);
  g_assert_no_error (error);
}

static Env *
env_get (void)
{
  g_autoptr(GError) error = NULL;
  CbSandbox *sb;

  if (env != NULL)
    return env;

  env = g_new0 (Env, 1);
  env->cli = cb_test_cli_built_binary ("CERTBENCH_CLI", "cli", "certbench-cli");
  env->devsim = cb_test_cli_built_binary ("CERTBENCH_DEVSIM", "devsim", "certbench-devsim");
  env->home = g_dir_make_tmp ("cb-cli-walk-XXXXXX", &error);
  g_assert_no_error (error);
  env->journal = g_build_filename (env->home, "journal.sqlite", NULL);

  env->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  sb = env->ts->sandbox;
  cb_sandbox_seed_demo (sb, &error);
  g_assert_no_error (error);

  /* The Azure resources the admin has: a hub, and a DPS allocating to it. */
  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB, NULL, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SUB, RG, DPS, SCOPE, NULL, HUB, &error);
  g_assert_no_error (error);
  cb_sb_unlock (sb);

  write_profile ();
  return env;
}

/* certbench-cli --profile walk ARGS, with stdin not a terminal. */
static int
run_cli (char              **out_stdout,
         char              **out_stderr,
         const char * const *args)
{
  Env *e = env_get ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) "--profile");
  g_ptr_array_add (argv, (gpointer) PROFILE);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  return cb_test_cli_run (e->cli, e->home, e->ts, e->journal, out_stdout, out_stderr,
                          (const char * const *) argv->pdata);
}

static void
run_ok (const char * const *args)
{
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (NULL, &err, args), ==, 0);
}

static JsonNode *
run_json (int                 expected,
          const char * const *args)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  g_assert_cmpint (run_cli (&out, NULL, args), ==, expected);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_parser_steal_root (parser);
}

/* certbench-cli --profile walk ARGS on a terminal, where typed is what the user types. */
static int
run_cli_on_tty (const char          *typed,
                char               **out_stderr,
                const char * const  *args)
{
  Env *e = env_get ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_build_filename (e->home, "data", NULL);
  g_autofree char *config = g_build_filename (e->home, "config", NULL);
  g_autofree char *line = g_strconcat (typed, "\n", NULL);
  g_autofree char *err = NULL;
  int master, slave;

  g_assert_cmpint (openpty (&master, &slave, NULL, NULL, NULL), ==, 0);

  g_ptr_array_add (argv, g_strdup (e->cli));
  g_ptr_array_add (argv, g_strdup ("--sandbox-url"));
  g_ptr_array_add (argv, g_strdup (cb_sandbox_get_base_url (e->ts->sandbox)));
  g_ptr_array_add (argv, g_strdup ("--sandbox-dir"));
  g_ptr_array_add (argv, g_strdup (e->ts->data_dir));
  g_ptr_array_add (argv, g_strdup ("--profile"));
  g_ptr_array_add (argv, g_strdup (PROFILE));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_take_stdin_fd (launcher, slave);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  /* The terminal keeps the line until the CLI reads it at its question. */
  g_assert_cmpint (write (master, line, strlen (line)), ==, (gssize) strlen (line));
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  close (master);
  g_test_message ("stderr (on a terminal):\n%s", err);
  g_assert_true (g_subprocess_get_if_exited (process));
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);
  return g_subprocess_get_exit_status (process);
}

static JsonObject *
find_named (JsonArray  *array,
            const char *name)
{
  JsonObject *o = find_in (array, name);

  g_assert_nonnull (o);
  return o;
}

static JsonArray *
list (JsonNode  **keep,
      const char *what)
{
  g_clear_pointer (keep, json_node_unref);
  *keep = run_json (0, (const char *[]) { "--json", "registry", what, "--all", NULL });
  g_assert_true (JSON_NODE_HOLDS_ARRAY (*keep));
  return json_node_get_array (*keep);
}

static gint64
iso_time (JsonObject *object,
          const char *member)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_iso8601 (
    json_object_get_string_member (object, member), NULL);

  g_assert_nonnull (time);
  return g_date_time_to_unix (time);
}

/* The certificate is the CA that `registry cas` lists as ca: its subject and validity (a
 * Microsoft-issued CA shows no thumbprint). */
static void
assert_is_ca (CbCertificate *certificate,
              JsonObject    *ca)
{
  g_assert_cmpstr (cb_certificate_get_subject (certificate), ==,
                   json_object_get_string_member (ca, "subject"));
  g_assert_cmpint (cb_certificate_get_not_before (certificate), ==, iso_time (ca, "notBefore"));
  g_assert_cmpint (cb_certificate_get_not_after (certificate), ==, iso_time (ca, "notAfter"));
}

/* Every link of the namespace settled; returns the links. */
static JsonArray *
wait_links (JsonNode **keep)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      JsonArray *links = list (keep, "links");
      gboolean settled = TRUE;

      for (guint i = 0; i < json_array_get_length (links); i++)
        settled &= g_strcmp0 (json_object_get_string_member (
                                json_array_get_object_element (links, i), "linkingState"),
                              "InProgress") != 0;
      if (settled)
        return links;
      g_usleep (200 * 1000);
    }
  g_assert_not_reached ();
}

/* inspect --json until the device itself says the hub refused it (it reconnects after the
 * sandbox dropped it); returns the last inspect. */
static JsonNode *
wait_refused (void)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  JsonNode *node = NULL;

  do
    {
      g_clear_pointer (&node, json_node_unref);
      node = run_json (EXIT_REJECTED, (const char *[]) { "inspect", "--port", env->pty, "--json",
                                                         NULL });
      if (g_strcmp0 (json_object_get_string_member (
                       json_object_get_object_member (json_node_get_object (node), "device"),
                       "hubState"), "refused") == 0)
        return node;
      g_usleep (300 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return node;
}

/* How many of the hub's devices core's fleet counts in state: the Fleet page's query, with the
 * signals (the policy's ICA, the activity log's revocations) read for the policy. */
static gint64
fleet_count (CbDeviceState state)
{
  g_autoptr(CbSecrets) secrets = cb_secrets_new_memory ();
  g_autoptr(CbContext) context = NULL;
  g_autoptr(CbDeviceStateInfo) info = NULL;
  g_autoptr(CbHubQueryPage) page = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *condition = NULL;
  g_autofree char *query = NULL;
  gint64 n;

  context = cb_context_new_for_profile (env->profile, NULL, secrets,
                                        CB_CONTEXT_FLAGS_NO_PORT_MONITOR |
                                        CB_CONTEXT_FLAGS_ARM_ON_DEMAND |
                                        CB_CONTEXT_FLAGS_UNATTENDED);
  cb_context_start (context);
  cb_context_sign_in_arm_async (context, NULL, cb_test_store_result_cb, &result);
  g_assert_true (cb_context_sign_in_arm_finish (context, cb_test_wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  cb_device_state_info_load_async (context, "thirty-days", 0.8, NULL, cb_test_store_result_cb,
                                   &result);
  info = cb_device_state_info_load_finish (cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_no_error (info->error);
  g_assert_true (info->context.revocations_known);
  g_clear_object (&result);

  condition = cb_device_state_build_condition (state, &info->context);
  query = g_strdup_printf ("SELECT COUNT() AS n FROM devices WHERE %s", condition);
  g_test_message ("%s", query);
  cb_hub_client_query_async (cb_context_get_hub (context), query, 0, NULL, NULL,
                             cb_test_store_result_cb, &result);
  page = cb_hub_client_query_finish (cb_context_get_hub (context), cb_test_wait_for (&result),
                                     &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (page->items), ==, 1);
  n = json_object_get_int_member (json_array_get_object_element (page->items, 0), "n");
  cb_context_shutdown (context);
  return n;
}

/* inspect's verdict of core's diagnosis: the effective state and one finding's status. */
static void
assert_diagnosis (JsonNode   *inspect,
                  const char *state,
                  const char *check,
                  const char *status)
{
  JsonObject *object = json_node_get_object (inspect);
  JsonArray *findings = json_object_get_array_member (object, "findings");

  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "state"),
                                                  "state"), ==, state);
  g_assert_cmpstr (json_object_get_string_member (find_by (findings, "id", check), "status"), ==,
                   status);
}

static void
test_walk (void)
{
  Env *e = env_get ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) provision = NULL;
  g_autoptr(JsonNode) inspect = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *ica_before = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *chain_path = NULL;
  JsonArray *array;
  JsonObject *o, *hub, *ica, *root;
  const char *pem;

  /* 1. A namespace in the new model. */
  run_ok ((const char *[]) { "registry", "create-namespace", NS, NULL });
  g_clear_pointer (&node, json_node_unref);
  node = run_json (0, (const char *[]) { "--json", "registry", "model", NULL });
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "namespace"), ==,
                   NS);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "model"), ==,
                   "certificate-authorities");

  /* 2. A root, an ICA, the hub and the DPS linked, a 30-day policy under the ICA. */
  run_ok ((const char *[]) { "registry", "create-root", "walk-root", NULL });
  run_ok ((const char *[]) { "registry", "create-ica", "walk-ica", NULL });
  run_ok ((const char *[]) { "registry", "link-hub", HUB, NULL });
  run_ok ((const char *[]) { "registry", "link-dps", DPS, NULL });
  array = wait_links (&node);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (find_named (array, HUB), "linkingState"), ==,
                   "Succeeded");
  g_assert_cmpstr (json_object_get_string_member (find_named (array, DPS), "linkingState"), ==,
                   "Succeeded");
  run_ok ((const char *[]) { "registry", "create-policy", "thirty-days", "--ca", "walk-ica",
                             "--validity-days", "30", NULL });

  /* 3. An enrollment group that names namespace, ICA and policy; a policy of another ICA is
   * refused and makes nothing. */
  g_assert_cmpint (run_cli (NULL, &err, (const char *[]) { "registry", "create-enrollment-group",
                                                           GROUP, "--policy", "thirty-days",
                                                           "--ca", "other-ica", NULL }), ==, 2);
  g_assert_nonnull (strstr (err, "lives under walk-ica"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, &err, (const char *[]) { "registry", "create-enrollment-group",
                                                           GROUP, "--policy", "thirty-days",
                                                           NULL }), ==, 0);
  g_assert_nonnull (strstr (err, "policy thirty-days of walk-ica in " NS));
  g_clear_pointer (&err, g_free);

  /* 4. The Virtual device provisioned through it: the leaf from the ICA, [leaf, ICA, root],
   * 30 days. */
  e->device = cb_test_cli_start_device (e->cli, e->devsim, e->home,
                                        (const char *[]) { "--serial", SERIAL, NULL }, &e->pty);
  provision = run_json (0, (const char *[]) { "provision", "--port", e->pty, "--enrollment-group",
                                              GROUP, "--template", "walk-{serial}", "--json",
                                              NULL });
  o = json_node_get_object (provision);
  g_assert_cmpstr (json_object_get_string_member (o, "result"), ==, "pass");
  g_assert_cmpstr (json_object_get_string_member (o, "registrationId"), ==, DEVICE_ID);
  g_assert_cmpstr (json_object_get_string_member (o, "policy"), ==, "thirty-days");
  g_assert_cmpint (json_object_get_int_member (o, "validityDays"), ==, 30);
  g_assert_nonnull (strstr (json_object_get_string_member (o, "hub"), HUB));
  {
    gint64 lifetime = iso_time (o, "notAfter") - iso_time (o, "notBefore");

    /* 30 days, with up to an hour of back-dating. */
    g_assert_cmpint (lifetime, >=, 30 * 86400);
    g_assert_cmpint (lifetime, <=, 30 * 86400 + 3600);
  }
  pem = json_object_get_string_member (o, "chainPem");
  chain = cb_certificate_list_new_from_data ((const guint8 *) pem, strlen (pem), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chain->len, ==, 3);
  array = list (&node, "cas");
  ica = find_named (array, "walk-ica");
  root = find_named (array, "walk-root");
  assert_is_ca (g_ptr_array_index (chain, 1), ica);
  assert_is_ca (g_ptr_array_index (chain, 2), root);
  g_assert_cmpstr (cb_certificate_get_issuer (g_ptr_array_index (chain, 0)), ==,
                   cb_certificate_get_subject (g_ptr_array_index (chain, 1)));
  ica_before = json_to_string (json_array_get_element (array, 1), FALSE);

  /* The hub accepts it; the registry device names the policy its certificate came from. */
  inspect = run_json (0, (const char *[]) { "inspect", "--port", e->pty, "--json", NULL });
  hub = json_object_get_object_member (json_node_get_object (inspect), "hub");
  g_assert_cmpstr (json_object_get_string_member (hub, "verdict"), ==, "accepted");
  g_assert_cmpstr (json_object_get_string_member (hub, "source"), ==, "sandbox check-chain");
  assert_diagnosis (inspect, "healthy", "issuer", "pass");
  array = list (&node, "devices");
  g_assert_cmpstr (json_object_get_string_member (find_named (array, DEVICE_ID), "policy"), ==,
                   "thirty-days");

  /* 5. Revoke and rotate the ICA: the impact counts the device; without --yes nothing changes. */
  g_assert_cmpint (run_cli (NULL, &err, (const char *[]) { "registry", "revoke-and-rotate",
                                                           "walk-ica", NULL }), ==,
                   EXIT_NOT_CONFIRMED);
  g_assert_nonnull (strstr (err, "1 device loses its certificate"));
  g_clear_pointer (&err, g_free);
  array = list (&node, "cas");
  {
    g_autofree char *now = json_to_string (json_array_get_element (array, 1), FALSE);

    g_assert_cmpstr (now, ==, ica_before);
  }
  g_assert_cmpint (run_cli (NULL, &err, (const char *[]) { "registry", "revoke-and-rotate",
                                                           "walk-ica", "--yes", NULL }), ==, 0);
  g_assert_nonnull (strstr (err, "1 device loses its certificate"));
  g_clear_pointer (&err, g_free);
  /* A new ICA of the same name, made now. */
  array = list (&node, "cas");
  g_assert_cmpint (iso_time (find_named (array, "walk-ica"), "notBefore"), >,
                   cb_certificate_get_not_before (g_ptr_array_index (chain, 1)));

  /* The hub refuses the device from then on: its judge says why, and the device saw it. */
  g_clear_pointer (&inspect, json_node_unref);
  inspect = wait_refused ();
  hub = json_object_get_object_member (json_node_get_object (inspect), "hub");
  g_assert_false (json_object_get_boolean_member (hub, "accepted"));
  g_assert_cmpstr (json_object_get_string_member (hub, "verdict"), ==, "revoked-issuer");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_node_get_object (inspect), "device"),
                     "hubState"), ==, "refused");
  /* Core's diagnosis: the ICA was rotated, the device must be provisioned again; the fleet
   * counts it so. */
  assert_diagnosis (inspect, "issuer-revoked", "issuer", "fail");
  g_assert_cmpint (fleet_count (CB_DEVICE_STATE_ISSUER_REVOKED), ==, 1);
  g_assert_cmpint (fleet_count (CB_DEVICE_STATE_REVOKED), ==, 0);

  /* 6. An External ICA, activated with a chain a test CA made from its CSR. */
  run_ok ((const char *[]) { "registry", "create-external-ica", "byo-ica", NULL });
  array = list (&node, "cas");
  o = find_named (array, "byo-ica");
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "PendingActivation");
  chain_pem = cb_test_sign_csr (json_object_get_string_member (o, "csr"),
                                cb_sb_now (e->ts->sandbox), 730, CB_TEST_SIGN_NORMAL, NULL);
  chain_path = g_build_filename (e->home, "byo-chain.pem", NULL);
  g_file_set_contents (chain_path, chain_pem, -1, &error);
  g_assert_no_error (error);
  run_ok ((const char *[]) { "registry", "activate", "byo-ica", "--chain", chain_path, NULL });
  array = list (&node, "cas");
  o = find_named (array, "byo-ica");
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "Active");
  g_assert_true (json_object_get_boolean_member (o, "canIssue"));
}

/* revoke-device through the device's authentication profile, confirmed on a terminal by typing
 * its name (a wrong name changes nothing). */
static void
test_revoke_device_on_tty (void)
{
  Env *e = env_get ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *err = NULL;
  JsonObject *hub;

  if (e->pty == NULL)
    {
      g_test_skip ("needs the walk's device");
      return;
    }

  /* The device gets a working identity again (the ICA was rotated, the policy stays). */
  node = run_json (0, (const char *[]) { "provision", "--port", e->pty, "--enrollment-group",
                                         GROUP, "--template", "walk-{serial}", "--json", NULL });
  g_clear_pointer (&node, json_node_unref);
  node = run_json (0, (const char *[]) { "inspect", "--port", e->pty, "--json", NULL });
  g_clear_pointer (&node, json_node_unref);

  g_assert_cmpint (run_cli_on_tty ("walk-cb-walk-0002", &err,
                                   (const char *[]) { "registry", "revoke-device", DEVICE_ID,
                                                      NULL }), ==, EXIT_NOT_CONFIRMED);
  g_assert_nonnull (strstr (err, "type “" DEVICE_ID "”"));
  g_assert_nonnull (strstr (err, "the name typed was not"));
  g_clear_pointer (&err, g_free);
  node = run_json (0, (const char *[]) { "inspect", "--port", e->pty, "--json", NULL });
  g_clear_pointer (&node, json_node_unref);

  g_assert_cmpint (run_cli_on_tty (DEVICE_ID, &err,
                                   (const char *[]) { "registry", "revoke-device", DEVICE_ID,
                                                      NULL }), ==, 0);
  g_assert_nonnull (strstr (err, "Revoked the certificates of " DEVICE_ID));
  node = run_json (EXIT_REJECTED, (const char *[]) { "inspect", "--port", e->pty, "--json",
                                                     NULL });
  hub = json_object_get_object_member (json_node_get_object (node), "hub");
  g_assert_cmpstr (json_object_get_string_member (hub, "verdict"), ==, "revoked-identifier");
  /* Core: revoked through the registry device's authentication profile, in the diagnosis and
   * in the fleet's count. */
  assert_diagnosis (node, "revoked", "identifier", "fail");
  g_assert_cmpint (fleet_count (CB_DEVICE_STATE_REVOKED), ==, 1);
}

/* Issue 15: a simulated Nordic nRF91 modem provisioned through the same 2026-11-01 namespace,
 * enrollment group and policy: PASS, and AT%CMNG=1 on the modem lists the digests read back;
 * inspect then judges the modem's chain as it does an SMP device's, before and after a revoke. */
static void
test_nrf91_modem (void)
{
  Env *e = env_get ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) inspect = NULL;
  g_autoptr(GSubprocess) modem = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pty = NULL;
  g_autofree char *reg_id = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *err = NULL;
  static const char * const not_available[] = { "device", "hub", "renewal" };
  JsonArray *findings;
  JsonObject *o, *hub;

  if (e->pty == NULL)
    {
      g_test_skip ("needs the walk's namespace and enrollment group");
      return;
    }
  modem = cb_test_cli_start_device (e->cli, e->devsim, e->home,
                                    (const char *[]) { "--personality", "nrf91", NULL }, &pty);
  node = run_json (0, (const char *[]) { "provision", "--port", pty, "--enrollment-group", GROUP,
                                         "--template", "walk-{imei}", "--json", NULL });
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "result"), ==, "pass");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "registrationId"),
                                   "walk-35265610"));
  g_assert_cmpstr (json_object_get_string_member (o, "policy"), ==, "thirty-days");
  cb_test_nrf91_assert_cmng (pty, CB_NRF91_DRIVER_DEFAULT_SEC_TAG,
                             json_object_get_string_member (o, "chainPem"));
  reg_id = g_strdup (json_object_get_string_member (o, "registrationId"));
  chain_pem = g_strdup (json_object_get_string_member (o, "chainPem"));

  /* inspect reads the modem's chain back (%CMNG=2: the client certificate with its ICA, the
   * root CA) and judges it as an SMP device's: accepted, valid to the namespace root, issued
   * by the policy's current ICA, healthy. The checks that need device diagnostics the modem
   * lacks are not available, with the driver's reason: neither passed nor failed. */
  inspect = run_json (0, (const char *[]) { "inspect", "--port", pty, "--json", NULL });
  o = json_node_get_object (inspect);
  g_assert_cmpstr (json_object_get_string_member (o, "chainPem"), ==, chain_pem);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "chain")), ==, 3);
  hub = json_object_get_object_member (o, "hub");
  g_assert_cmpstr (json_object_get_string_member (hub, "verdict"), ==, "accepted");
  g_assert_cmpstr (json_object_get_string_member (hub, "deviceId"), ==, reg_id);
  assert_diagnosis (inspect, "healthy", "issuer", "pass");
  assert_diagnosis (inspect, "healthy", "chain", "pass");
  findings = json_object_get_array_member (o, "findings");
  g_assert_nonnull (strstr (json_object_get_string_member (find_by (findings, "id", "issuer"),
                                                           "detail"), "thirty-days"));
  for (guint i = 0; i < G_N_ELEMENTS (not_available); i++)
    {
      JsonObject *finding = find_by (findings, "id", not_available[i]);

      g_assert_cmpstr (json_object_get_string_member (finding, "status"), ==, "not-available");
      g_assert_true (g_str_has_prefix (json_object_get_string_member (finding, "detail"),
                                       "Not available on this device: The modem reports no "
                                       "clock, TLS or hub state"));
    }

  /* Revoked through the registry: the modem's chain gets the revoked verdict too. */
  g_assert_cmpint (run_cli_on_tty (reg_id, &err,
                                   (const char *[]) { "registry", "revoke-device", reg_id,
                                                      NULL }), ==, 0);
  g_clear_pointer (&inspect, json_node_unref);
  inspect = run_json (EXIT_REJECTED, (const char *[]) { "inspect", "--port", pty, "--json",
                                                        NULL });
  hub = json_object_get_object_member (json_node_get_object (inspect), "hub");
  g_assert_cmpstr (json_object_get_string_member (hub, "verdict"), ==, "revoked-identifier");
  assert_diagnosis (inspect, "revoked", "identifier", "fail");
  g_subprocess_send_signal (modem, SIGTERM);
  g_subprocess_wait (modem, NULL, &error);
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  int devnull = open ("/dev/null", O_RDONLY);
  int status;

  /* The CLI inherits stdin: never a terminal here but where a test gives it one. */
  g_assert_cmpint (devnull, >=, 0);
  dup2 (devnull, STDIN_FILENO);
  close (devnull);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cb/cli-walk-stable/walk", test_walk);
  g_test_add_func ("/cb/cli-walk-stable/revoke-device-on-tty", test_revoke_device_on_tty);
  g_test_add_func ("/cb/cli-walk-stable/nrf91-modem", test_nrf91_modem);

  status = g_test_run ();
  env_free ();
  return status;
}
