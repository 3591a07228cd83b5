/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The provisioning run against the real sandbox (demo seed, real TLS, real CA) and the real
 * certbench-devsim over ptys. */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cb-hub-certificates-client.h"
#include "cb-test-sandbox.h"

#include "cb-adr-client.h"
#include "cb-bench-client.h"
#include "cb-dps-client.h"
#include "cb-journal.h"
#include "cb-journal-private.h"
#include "cb-provisioning-run.h"
#include "cb-registration-template.h"
#include "cb-sandbox-client.h"
#include "cb-sas.h"
#include "cb-smp-driver.h"
#include "cb-util.h"
#include "cb-x509-chain.h"

/* ---- Registration-id templates (pure) --------------------------------------------------- */

static void
test_template_expand (void)
{
  struct
  {
    const char *template_text, *serial, *model, *firmware, *expected;
  } cases[] = {
    { "{serial}", "SN-0001", NULL, NULL, "sn-0001" },
    { "line1-{serial}", "ABC123", NULL, NULL, "line1-abc123" },
    { "{model}.{serial}_{firmware}", "X9", "Gateway", "1.2.3", "gateway.x9_1.2.3" },
    { "plant:{serial}-", "7", NULL, NULL, "plant:7-" },
    { "no-placeholders", NULL, NULL, NULL, "no-placeholders" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = cb_registration_template_expand (cases[i].template_text,
                                                             cases[i].serial, cases[i].model,
                                                             cases[i].firmware, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (id, ==, cases[i].expected);
    }
}

static void
test_template_errors (void)
{
  g_autofree char *long_serial = g_strnfill (130, 'a');
  g_autofree char *max_serial = g_strnfill (128, 'b');
  struct
  {
    const char *template_text, *serial, *model;
    int code;
  } cases[] = {
    { "", "x", NULL, CB_REGISTRATION_ID_ERROR_EMPTY },
    { "{serial}", "", NULL, CB_REGISTRATION_ID_ERROR_MISSING_VALUE },
    { "{model}-{serial}", "x", NULL, CB_REGISTRATION_ID_ERROR_MISSING_VALUE },
    { "{serial", "x", NULL, CB_REGISTRATION_ID_ERROR_UNBALANCED_BRACE },
    { "serial}", "x", NULL, CB_REGISTRATION_ID_ERROR_UNBALANCED_BRACE },
    { "{se{rial}", "x", NULL, CB_REGISTRATION_ID_ERROR_UNBALANCED_BRACE },
    { "{imsi}", "x", NULL, CB_REGISTRATION_ID_ERROR_UNKNOWN_PLACEHOLDER },
    { "{imei}", "x", NULL, CB_REGISTRATION_ID_ERROR_MISSING_VALUE },
    { "line 1-{serial}", "x", NULL, CB_REGISTRATION_ID_ERROR_INVALID_CHARACTER },
    { "{serial}", "SN/1", NULL, CB_REGISTRATION_ID_ERROR_INVALID_CHARACTER },
    { "{serial}", "sn\xc3\xa9", NULL, CB_REGISTRATION_ID_ERROR_INVALID_CHARACTER },
    { "{serial}.", "x", NULL, CB_REGISTRATION_ID_ERROR_INVALID_LAST_CHARACTER },
    { "{serial}_", "x", NULL, CB_REGISTRATION_ID_ERROR_INVALID_LAST_CHARACTER },
    { "{serial}:", "x", NULL, CB_REGISTRATION_ID_ERROR_INVALID_LAST_CHARACTER },
    { "{serial}", long_serial, NULL, CB_REGISTRATION_ID_ERROR_TOO_LONG },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = cb_registration_template_expand (cases[i].template_text,
                                                             cases[i].serial, cases[i].model,
                                                             NULL, &error);
      g_test_message ("%s / %s -> %s", cases[i].template_text, cases[i].serial,
                      error ? error->message : id);
      g_assert_null (id);
      g_assert_error (error, CB_REGISTRATION_ID_ERROR, cases[i].code);
    }

  /* Exactly 128 is allowed; checking a template needs no device. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *id = cb_registration_template_expand ("{serial}", max_serial, NULL, NULL,
                                                           &error);
    g_assert_no_error (error);
    g_assert_cmpuint (strlen (id), ==, 128);
    g_assert_true (cb_registration_template_check ("line1-{serial}-{model}", &error));
    g_assert_no_error (error);
    g_assert_false (cb_registration_template_check ("line1-{Serial}", &error));
    g_assert_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_UNKNOWN_PLACEHOLDER);
  }

  /* An id given by hand keeps its case when validated, and is lower-cased by normalize. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *id = NULL;

    g_assert_true (cb_registration_id_validate ("Line1-ABC", &error));
    id = cb_registration_id_normalize ("Line1-ABC", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (id, ==, "line1-abc");
  }
}

/* ---- The sandbox, shared by every run test ---------------------------------------------- */

typedef struct
{
  CbTestSandbox *ts;
  CbProfile     *profile;
  CbHttpClient  *http;
  CbDpsClient   *dps;
  CbAdrClient   *adr;
  CbHubClient   *hub_client;
  char          *group_key;
  char          *subscription;
  char          *hub;
  char          *policy;
} Env;

static Env *env;

static const char *
member_string (JsonObject *object,
               const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_string_member (object, name);
}

static void
env_free (void)
{
  if (env == NULL)
    return;
  g_clear_object (&env->adr);
  g_clear_object (&env->hub_client);
  g_clear_object (&env->dps);
  g_clear_object (&env->http);
  g_clear_object (&env->profile);
  cb_test_sandbox_free (env->ts);
  g_free (env->group_key);
  g_free (env->subscription);
  g_free (env->hub);
  g_free (env->policy);
  g_clear_pointer (&env, g_free);
}

static Env *
env_get (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) info = NULL;
  g_autofree char *token = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *base_arm = NULL;
  g_autofree char *base_dps = NULL;
  g_autofree char *base_login = NULL;
  g_autofree char *hub_key = NULL;
  g_autoptr(CbProfile) advertised = NULL;
  JsonObject *root, *demo, *hub = NULL;
  JsonArray *hubs;
  guint status;

  if (env != NULL)
    return env;

  env = g_new0 (Env, 1);
  env->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  cb_sandbox_seed_demo (env->ts->sandbox, &error);
  g_assert_no_error (error);

  status = cb_test_sandbox_request_json (env->ts, "GET", "/sandbox/info", NULL, NULL, &info, NULL);
  g_assert_cmpuint (status, ==, 200);
  root = json_node_get_object (info);
  demo = json_object_get_object_member (root, "demo");
  g_assert_nonnull (demo);

  env->group_key = g_strdup (member_string (demo, "enrollmentGroupKey"));
  env->subscription = g_strdup (member_string (demo, "subscription"));
  env->hub = g_strdup (member_string (demo, "hub"));
  env->policy = g_strdup (member_string (demo, "policy"));

  hubs = json_object_get_array_member (root, "hubs");
  for (guint i = 0; i < json_array_get_length (hubs); i++)
    if (g_strcmp0 (member_string (json_array_get_object_element (hubs, i), "name"), env->hub) == 0)
      hub = json_array_get_object_element (hubs, i);
  g_assert_nonnull (hub);

  base_login = g_strconcat (cb_sandbox_get_base_url (env->ts->sandbox), "/entra", NULL);
  base_arm = g_strconcat (cb_sandbox_get_base_url (env->ts->sandbox), "/arm", NULL);
  base_dps = g_strconcat (cb_sandbox_get_base_url (env->ts->sandbox), "/dps", NULL);

  env->profile = cb_profile_new ("sandbox", "Sandbox", CB_PROFILE_KIND_SANDBOX);
  cb_profile_set_login_endpoint (env->profile, base_login);
  cb_profile_set_arm_endpoint (env->profile, base_arm);
  cb_profile_set_subscription_id (env->profile, env->subscription);
  cb_profile_set_resource_group (env->profile, member_string (demo, "resourceGroup"));
  cb_profile_set_namespace (env->profile, member_string (demo, "namespace"));
  cb_profile_set_location (env->profile, member_string (demo, "location"));
  cb_profile_set_hub_name (env->profile, env->hub);
  cb_profile_set_hub_host_name (env->profile, member_string (hub, "hostName"));
  cb_profile_set_hub_endpoint (env->profile, member_string (hub, "endpoint"));
  cb_profile_set_dps_global_endpoint (env->profile, base_dps);
  cb_profile_set_dps_id_scope (env->profile, member_string (demo, "idScope"));
  cb_profile_set_dps_name (env->profile, member_string (demo, "dps"));
  cb_profile_set_enrollment_group_id (env->profile, member_string (demo, "enrollmentGroup"));
  cb_profile_set_credential_policy (env->profile, env->policy);
  cb_profile_set_pinned_ca_file (env->profile, cb_sandbox_get_ca_file (env->ts->sandbox));
  /* Where devices connect: the sandbox's loopback MQTT port, as /sandbox/info advertises it. */
  advertised = cb_profile_new_from_sandbox_info (root, NULL);
  g_assert_nonnull (cb_profile_get_hub_device_endpoint (advertised));
  cb_profile_set_hub_device_endpoint (env->profile, cb_profile_get_hub_device_endpoint (advertised));
  /* The sandbox's own endpoints: why its hub refused a device. */
  cb_profile_set_sandbox_endpoint (env->profile, cb_profile_get_sandbox_endpoint (advertised));

  env->http = cb_http_client_new (env->profile, &error);
  g_assert_no_error (error);
  cb_http_client_set_max_delay (env->http, 2);
  env->dps = cb_dps_client_new (env->profile, env->http);
  cb_dps_client_set_timeout (env->dps, 60);

  scope = g_strconcat ("/subscriptions/", env->subscription, NULL);
  token = cb_test_sandbox_token (env->ts, "station@sandbox.test", "Owner", scope, CB_SB_AUD_ARM);
  g_assert_true (g_str_has_prefix (token, "Bearer "));
  env->adr = cb_adr_client_new (env->profile, env->http);
  cb_adr_client_set_access_token (env->adr, token + strlen ("Bearer "));
  cb_adr_client_set_max_poll_delay_ms (env->adr, 50);

  /* The hub step reads twins with the hub's owner key. */
  cb_sb_lock (env->ts->sandbox);
  hub_key = cb_sb_dup_hub_key (env->ts->sandbox, env->hub, "iothubowner");
  cb_sb_unlock (env->ts->sandbox);
  g_assert_nonnull (hub_key);
  env->hub_client = cb_hub_client_new (env->profile, env->http, NULL);
  cb_hub_client_set_sas_key (env->hub_client, NULL, hub_key);

  return env;
}

static CbProvisioningConfig *
config_new (CbJournal *journal)
{
  Env *e = env_get ();
  CbProvisioningConfig *config = cb_provisioning_config_new (e->profile);

  cb_provisioning_config_set_dps_client (config, e->dps);
  cb_provisioning_config_set_adr_client (config, e->adr);
  cb_provisioning_config_set_enrollment_group_key (config, e->group_key);
  cb_provisioning_config_set_journal (config, journal);
  cb_provisioning_config_set_station (config, "test-bench");
  cb_provisioning_config_set_operator (config, "tester");
  cb_provisioning_config_set_hub_client (config, e->hub_client);
  cb_provisioning_config_set_http_client (config, e->http);
  return config;
}

/* ---- Simulated devices ------------------------------------------------------------------ */

typedef struct
{
  char           *state_dir;
  char           *serial;
  char           *pty_path;
  GSubprocess    *process;
  CbSerialPort   *port;
  CbSmpTransport *transport;
  CbBenchClient  *bench;
} Device;

static char *
devsim_path (void)
{
  const char *path = g_getenv ("CERTBENCH_DEVSIM");

  if (path != NULL)
    return g_strdup (path);
  return g_test_build_filename (G_TEST_BUILT, "..", "src", "devsim", "certbench-devsim", NULL);
}

static void
on_device_log (CbSmpTransport *transport,
               const char     *line,
               Device         *device)
{
  g_test_message ("[%s] %s", device->serial, line);
}

static void
device_connect (Device *device)
{
  g_autoptr(GError) error = NULL;

  device->port = cb_serial_port_open (device->pty_path, 115200, &error);
  g_assert_no_error (error);
  device->transport = cb_smp_transport_new (device->port);
  g_signal_connect (device->transport, "log-line", G_CALLBACK (on_device_log), device);
  device->bench = cb_bench_client_new (device->transport);
}

static void
device_disconnect (Device *device)
{
  g_clear_object (&device->bench);
  g_clear_object (&device->transport);
  if (device->port != NULL)
    cb_serial_port_close (device->port);
  g_clear_object (&device->port);
}

/* A device process dies with the test, even when an assertion aborts it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* (Re)starts the device process on its state folder, with extra arguments (faults). */
static void
device_start (Device             *device,
              const char * const *extra)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *line = NULL;

  g_ptr_array_add (argv, devsim_path ());
  g_ptr_array_add (argv, g_strdup ("--state-dir"));
  g_ptr_array_add (argv, g_strdup (device->state_dir));
  g_ptr_array_add (argv, g_strdup ("--serial"));
  g_ptr_array_add (argv, g_strdup (device->serial));
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  device->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (device->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PTY "));
  g_free (device->pty_path);
  device->pty_path = g_strdup (line + 4);

  device_connect (device);
}

static void
device_stop (Device *device)
{
  device_disconnect (device);
  if (device->process != NULL)
    {
      g_subprocess_send_signal (device->process, SIGTERM);
      g_subprocess_wait (device->process, NULL, NULL);
      g_clear_object (&device->process);
    }
}

/* A device keeping its state in state_dir (taken), which device_free() removes. */
static Device *
device_new_in (char               *state_dir,
               const char         *serial,
               const char * const *extra)
{
  Device *device = g_new0 (Device, 1);

  device->state_dir = state_dir;
  device->serial = g_strdup (serial);
  device_start (device, extra);
  return device;
}

static Device *
device_new (const char         *serial,
            const char * const *extra)
{
  g_autoptr(GError) error = NULL;
  char *state_dir = g_dir_make_tmp ("cb-run-device-XXXXXX", &error);

  g_assert_no_error (error);
  return device_new_in (state_dir, serial, extra);
}

static void
device_free (Device *device)
{
  device_stop (device);
  cb_test_remove_tree (device->state_dir);
  g_free (device->state_dir);
  g_free (device->serial);
  g_free (device->pty_path);
  g_free (device);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Device, device_free)

static void
on_result (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* The device's active chain, or NULL when it has none. */
static GBytes *
device_active_chain (Device *device)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *chain;

  cb_bench_client_get_chain_async (device->bench, NULL, NULL, on_result, &result);
  chain = cb_bench_client_get_chain_finish (device->bench, wait_for (&result), &error);
  if (chain == NULL)
    {
      g_test_message ("no active chain: %s", error->message);
      g_assert_true (g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC));
    }
  return chain;
}

static CbRunResult *
run_sync (CbProvisioningConfig *config,
          Device               *device,
          CbProvisioningRun   **out_run)
{
  g_autoptr(CbProvisioningRun) run = cb_provisioning_run_new (config, device->bench, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CbRunResult *run_result;

  cb_provisioning_run_run_async (run, NULL, on_result, &result);
  run_result = cb_provisioning_run_run_finish (run, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (run_result);

  if (!cb_run_result_get_passed (run_result))
    g_test_message ("run on %s failed at %s: %s", device->serial,
                    cb_run_step_kind_to_name (cb_run_result_get_failed_step (run_result)),
                    cb_run_result_get_error (run_result)->message);

  if (out_run != NULL)
    *out_run = g_steal_pointer (&run);
  return run_result;
}

static char *
journal_path_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("cb-run-journal-XXXXXX", &error);

  g_assert_no_error (error);
  return g_build_filename (dir, "journal.sqlite", NULL);
}

static void
journal_path_free (char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  cb_test_remove_tree (dir);
  g_free (path);
}

/* ---- Runs ------------------------------------------------------------------------------- */

/* The hub's twin of the device reports these dates and says Connected. */
static void
twin_has_leaf_dates (const char *device_id,
                     gint64      not_before,
                     gint64      not_after)
{
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) twin = NULL;
  g_autofree char *from = cb_time_format_fixed (not_before);
  g_autofree char *until = cb_time_format_fixed (not_after);
  JsonObject *certificate;

  cb_hub_client_get_twin_async (env->hub_client, device_id, NULL, on_result, &async);
  twin = cb_hub_client_object_finish (env->hub_client, wait_for (&async), &error);
  g_assert_no_error (error);
  certificate = json_object_get_object_member (
                  json_object_get_object_member (
                    json_object_get_object_member (twin, "properties"), "reported"),
                  "certificate");
  g_assert_nonnull (certificate);
  g_assert_cmpstr (json_object_get_string_member (certificate, "validFrom"), ==, from);
  g_assert_cmpstr (json_object_get_string_member (certificate, "validUntil"), ==, until);
  g_assert_cmpstr (json_object_get_string_member (twin, "connectionState"), ==, "Connected");
}

static void
on_step_changed (CbProvisioningRun *run,
                 CbRunStep         *step,
                 guint             *count)
{
  (*count)++;
}

static void
test_run_pass (void)
{
  g_autoptr(Device) device = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbProvisioningRun) run = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) active = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
  g_autoptr(GPtrArray) hub_certs = NULL;
  g_autoptr(CbJournalRun) record = NULL;
  char *journal_path = journal_path_new ();
  GListModel *steps;
  CbCertificate *leaf, *issuer;
  gint64 previous_end = 0;
  guint changes = 0;
  gboolean issuer_on_hub = FALSE;

  device = device_new ("CB-PASS-0001", NULL);
  journal = cb_journal_open (journal_path, &error);
  g_assert_no_error (error);
  config = config_new (journal);
  g_assert_true (cb_provisioning_config_set_registration_template (config, "line1-{serial}",
                                                                    &error));
  g_assert_no_error (error);

  run = cb_provisioning_run_new (config, device->bench, NULL);
  g_signal_connect (run, "step-changed", G_CALLBACK (on_step_changed), &changes);
  steps = cb_provisioning_run_get_steps (run);
  g_assert_cmpuint (g_list_model_get_n_items (steps), ==, CB_RUN_N_STEPS);
  g_assert_true (g_list_model_get_item_type (steps) == CB_TYPE_RUN_STEP);

  cb_provisioning_run_run_async (run, NULL, on_result, &async);
  g_assert_true (cb_provisioning_run_get_running (run));
  result = cb_provisioning_run_run_finish (run, wait_for (&async), &error);
  g_assert_no_error (error);
  if (!cb_run_result_get_passed (result))
    g_test_message ("%s", cb_run_result_get_error (result)->message);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_false (cb_provisioning_run_get_running (run));
  g_assert_true (cb_provisioning_run_get_result (run) == result);
  g_assert_true (cb_run_result_get_device_changed (result));
  g_assert_cmpint (cb_run_result_get_failed_step (result), ==, CB_RUN_N_STEPS);
  g_assert_cmpstr (cb_run_result_get_registration_id (result), ==, "line1-cb-pass-0001");
  g_assert_cmpstr (cb_run_result_get_device_serial (result), ==, "CB-PASS-0001");
  g_assert_cmpstr (cb_run_result_get_device_id (result), ==, "line1-cb-pass-0001");
  g_assert_nonnull (cb_run_result_get_hub (result));
  g_assert_cmpuint (cb_run_result_get_validity_days (result), ==, 30);

  /* Every step ran, in order, with times; each one at least started and ended once. */
  for (guint i = 0; i < CB_RUN_N_STEPS; i++)
    {
      g_autoptr(CbRunStep) step = g_list_model_get_item (steps, i);

      g_test_message ("%-20s %-8s %4" G_GINT64_FORMAT " ms  %s", cb_run_step_get_name (step),
                      cb_run_step_state_to_string (cb_run_step_get_state (step)),
                      cb_run_step_get_duration_ms (step), cb_run_step_get_detail (step));
      g_assert_cmpint (cb_run_step_get_kind (step), ==, i);
      g_assert_cmpint (cb_run_step_get_state (step), ==, CB_RUN_STEP_STATE_PASSED);
      g_assert_cmpint (cb_run_step_get_started (step), >=, previous_end);
      g_assert_cmpint (cb_run_step_get_ended (step), >=, cb_run_step_get_started (step));
      g_assert_cmpuint (cb_run_step_get_attempts (step), >=, 1);
      g_assert_null (cb_run_step_get_error (step));
      g_assert_nonnull (cb_run_step_get_detail (step));
      previous_end = cb_run_step_get_ended (step);
    }
  g_assert_cmpuint (changes, >=, 2 * CB_RUN_N_STEPS);

  /* The device key the hub step gave the device (so it can re-register by itself) is a
   * secret: no step shows it. */
  {
    g_autofree char *device_key = cb_sas_derive_device_key (env->group_key, "line1-cb-pass-0001",
                                                            &error);

    g_assert_no_error (error);
    for (guint i = 0; i < CB_RUN_N_STEPS; i++)
      {
        CbRunStep *step = cb_provisioning_run_get_step (run, i);

        g_assert_null (strstr (cb_run_step_get_detail (step), device_key));
      }
  }

  /* The device connected with its new certificate and its twin carries the leaf's dates. */
  g_assert_nonnull (strstr (cb_run_step_get_detail (cb_provisioning_run_get_step (
                                run, CB_RUN_STEP_HUB_CONNECT)), "twin reports until"));
  twin_has_leaf_dates (cb_run_result_get_device_id (result), cb_run_result_get_not_before (result),
                       cb_run_result_get_not_after (result));

  /* What the device holds now is byte for byte what the run installed, and it verifies to the
   * namespace root through an issuing CA that the hub has. */
  active = device_active_chain (device);
  g_assert_nonnull (active);
  g_assert_true (g_bytes_equal (active, cb_run_result_get_chain_der (result)));
  chain = cb_provisioning_split_chain (active, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chain->len, ==, 3);
  leaf = g_ptr_array_index (chain, 0);
  issuer = g_ptr_array_index (chain, 1);
  g_assert_cmpstr (cb_certificate_get_common_name (leaf), ==, "line1-cb-pass-0001");
  g_ptr_array_add (anchors, g_ptr_array_index (chain, 2));
  g_assert_true (cb_x509_verify_chain (chain, anchors, g_get_real_time () / G_USEC_PER_SEC,
                                       &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cb_run_result_get_leaf_fingerprint (result), ==,
                   cb_certificate_get_sha256_fingerprint (leaf));

  g_clear_object (&async);
  cb_adr_client_list_hub_certificates_async (env->adr, NULL, on_result, &async);
  hub_certs = cb_adr_client_list_hub_certificates_finish (env->adr, wait_for (&async), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < hub_certs->len; i++)
    {
      const char *text = cb_hub_certificate_get_certificate (g_ptr_array_index (hub_certs, i));
      g_autoptr(GPtrArray) parsed = NULL;

      if (text == NULL)
        continue;
      parsed = cb_certificate_list_new_from_data ((const guint8 *) text, strlen (text), NULL);
      if (parsed == NULL)
        {
          g_autofree guchar *der = NULL;
          gsize len = 0;
          g_autoptr(GBytes) bytes = NULL;
          CbCertificate *cert;

          der = g_base64_decode (text, &len);
          bytes = g_bytes_new (der, len);
          cert = cb_certificate_new_from_der (bytes, NULL);
          if (cert == NULL)
            continue;
          parsed = g_ptr_array_new_with_free_func (g_object_unref);
          g_ptr_array_add (parsed, cert);
        }
      if (cb_certificate_equal (g_ptr_array_index (parsed, 0), issuer))
        issuer_on_hub = TRUE;
    }
  g_assert_true (issuer_on_hub);

  /* The journal tells the same story. */
  record = cb_journal_get_run (journal, cb_run_result_get_journal_id (result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (record), ==, CB_JOURNAL_RESULT_PASS);
  g_assert_cmpstr (cb_journal_run_get_device_serial (record), ==, "CB-PASS-0001");
  g_assert_cmpstr (cb_journal_run_get_registration_id (record), ==, "line1-cb-pass-0001");
  g_assert_cmpstr (cb_journal_run_get_station (record), ==, "test-bench");
  g_assert_cmpstr (cb_journal_run_get_operator (record), ==, "tester");
  g_assert_cmpstr (cb_journal_run_get_port (record), ==, device->pty_path);
  g_assert_cmpstr (cb_journal_run_get_policy (record), ==, env->policy);
  g_assert_cmpstr (cb_journal_run_get_leaf_serial (record), ==, cb_certificate_get_serial (leaf));
  g_assert_cmpstr (cb_journal_run_get_leaf_fingerprint (record), ==,
                   cb_certificate_get_sha256_fingerprint (leaf));
  g_assert_cmpint (cb_journal_run_get_not_before (record), ==, cb_certificate_get_not_before (leaf));
  g_assert_cmpint (cb_journal_run_get_not_after (record), ==, cb_certificate_get_not_after (leaf));
  g_assert_cmpuint (cb_journal_run_get_steps (record)->len, ==, CB_RUN_N_STEPS);
  for (guint i = 0; i < CB_RUN_N_STEPS; i++)
    {
      CbJournalStep *step = g_ptr_array_index (cb_journal_run_get_steps (record), i);
      g_assert_cmpstr (cb_journal_step_get_name (step), ==, cb_run_step_kind_to_name (i));
      g_assert_cmpint (cb_journal_step_get_result (step), ==, CB_JOURNAL_RESULT_PASS);
    }

  /* The run's decoded protocol log is stored with it: every step, the commands it sent and
   * their answers, decoded; and no secret: neither the device's DPS key (which went to the
   * device in dps_config) nor the enrollment group key it was derived from. */
  {
    const char *log = cb_journal_run_get_protocol_log (record);
    g_autofree char *device_key = cb_sas_derive_device_key (env->group_key, "line1-cb-pass-0001",
                                                            &error);
    g_auto(GStrv) lines = NULL;
    guint n_tx = 0, n_rx = 0;

    g_assert_no_error (error);
    g_assert_nonnull (log);
    g_test_message ("protocol log:\n%s", log);
    for (guint i = 0; i < CB_RUN_N_STEPS; i++)
      {
        g_autofree char *note = g_strdup_printf ("== step %s\n", cb_run_step_kind_to_name (i));

        g_assert_nonnull (strstr (log, note));
      }
    g_assert_nonnull (strstr (log, "(info) seq"));
    g_assert_nonnull (strstr (log, "serial: \"CB-PASS-0001\""));
    g_assert_nonnull (strstr (log, "(csr) seq"));
    g_assert_nonnull (strstr (log, "cn: \"line1-cb-pass-0001\""));
    g_assert_nonnull (strstr (log, "(cert_put) seq"));
    g_assert_nonnull (strstr (log, "(cert_commit) seq"));
    g_assert_nonnull (strstr (log, "(pop) seq"));
    g_assert_nonnull (strstr (log, "(dps_config) seq"));
    g_assert_nonnull (strstr (log, "reg_id: \"line1-cb-pass-0001\", key: [redacted]"));
    lines = g_strsplit (log, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      {
        if (strstr (lines[i], "  TX v") != NULL)
          n_tx++;
        if (strstr (lines[i], "  RX v") != NULL)
          n_rx++;
        /* "+   0.125 s  ...", the seconds as %8.3f gives them */
        if (lines[i][0] != '\0')
          g_assert_true (g_regex_match_simple ("^\\+( {3}[0-9]| {2}[0-9]{2}| [0-9]{3}|[0-9]{4,})"
                                               "\\.[0-9]{3} s  \\S", lines[i], 0, 0) ||
                         g_str_has_prefix (lines[i], "--"));
      }
    g_assert_cmpuint (n_tx, >=, 10);
    g_assert_cmpuint (n_rx, >=, n_tx - 1);
    g_assert_null (strstr (log, device_key));
    g_assert_null (strstr (log, env->group_key));
  }

  /* A second run on the same device rolls the key and replaces the chain. */
  {
    g_autoptr(CbRunResult) again = run_sync (config, device, NULL);
    g_autoptr(GBytes) now_active = NULL;
    g_autoptr(GPtrArray) new_chain = NULL;
    g_autoptr(GBytes) old_key = cb_certificate_get_public_key_der (leaf);
    g_autoptr(GBytes) new_key = NULL;

    g_assert_true (cb_run_result_get_passed (again));
    now_active = device_active_chain (device);
    g_assert_true (g_bytes_equal (now_active, cb_run_result_get_chain_der (again)));
    g_assert_false (g_bytes_equal (now_active, active));
    new_chain = cb_provisioning_split_chain (now_active, &error);
    g_assert_no_error (error);
    new_key = cb_certificate_get_public_key_der (g_ptr_array_index (new_chain, 0));
    g_assert_false (g_bytes_equal (old_key, new_key));
  }

  g_clear_object (&run);
  g_clear_object (&config);
  g_clear_object (&journal);
  journal_path_free (journal_path);
}


/* A device provisioned once (so it has a certificate to keep), then restarted with faults. */
typedef struct
{
  const char    *name;
  const char    *args[8];
  gboolean       passes;
  CbRunStepKind  failed_step;    /* CB_RUN_N_STEPS: any step before commit */
  CbRunError     code;
} FaultCase;

static const FaultCase fault_cases[] = {
  { "wrong-cn", { "--wrong-cn", NULL }, FALSE, CB_RUN_STEP_CSR, CB_RUN_ERROR_CHECK },
  { "csr-other-key", { "--csr-other-key", NULL }, FALSE, CB_RUN_STEP_CSR, CB_RUN_ERROR_CHECK },
  { "refuse-commit", { "--refuse-commit", NULL }, FALSE, CB_RUN_STEP_COMMIT, CB_RUN_ERROR_DEVICE },
  { "unplug", { "--unplug-after", "900", NULL }, FALSE, CB_RUN_N_STEPS, CB_RUN_ERROR_DEVICE_GONE },
  { "flip-bits", { "--flip-rate", "0.0005", "--fault-seed", "7", NULL }, TRUE, 0, 0 },
  { "drop-bytes", { "--drop-rate", "0.0001", "--fault-seed", "11", NULL }, TRUE, 0, 0 },
  { "stall", { "--stall", "1.5", "--stall-after", "600", NULL }, TRUE, 0, 0 },
  { "slow-keygen", { "--slow-keygen", "1500", NULL }, TRUE, 0, 0 },
  { "chatter", { "--chatter", "20", NULL }, TRUE, 0, 0 },
};

static void
test_run_fault (gconstpointer data)
{
  const FaultCase *fault = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *serial = g_strdup_printf ("CB-FAULT-%s", fault->name);
  g_autoptr(Device) device = device_new (serial, NULL);
  char *journal_path = journal_path_new ();
  g_autoptr(CbJournal) journal = cb_journal_open (journal_path, &error);
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbRunResult) first = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(CbJournalRun) record = NULL;
  GPtrArray *steps;

  g_assert_no_error (error);
  config = config_new (journal);
  cb_provisioning_config_set_registration_template (config, "fault-{serial}", &error);
  g_assert_no_error (error);

  first = run_sync (config, device, NULL);
  g_assert_true (cb_run_result_get_passed (first));
  before = device_active_chain (device);
  g_assert_nonnull (before);

  device_stop (device);
  device_start (device, fault->args);
  /* Short timeouts so lost frames cost little; the bounded retries stay the same. */
  cb_smp_transport_set_timeout_scale (device->transport, 0.1);

  result = run_sync (config, device, NULL);
  record = cb_journal_get_run (journal, cb_run_result_get_journal_id (result), &error);
  g_assert_no_error (error);

  if (fault->passes)
    {
      g_assert_true (cb_run_result_get_passed (result));
      g_assert_cmpint (cb_journal_run_get_result (record), ==, CB_JOURNAL_RESULT_PASS);
      after = device_active_chain (device);
      g_assert_true (g_bytes_equal (after, cb_run_result_get_chain_der (result)));
      g_assert_false (g_bytes_equal (after, before));
    }
  else
    {
      const GError *run_error = cb_run_result_get_error (result);
      CbRunStepKind step = cb_run_result_get_failed_step (result);

      g_assert_false (cb_run_result_get_passed (result));
      g_assert_error ((GError *) run_error, CB_RUN_ERROR, (gint) fault->code);
      if (fault->failed_step == CB_RUN_N_STEPS)
        g_assert_cmpint (step, <, CB_RUN_STEP_COMMIT);
      else
        g_assert_cmpint (step, ==, fault->failed_step);
      /* The message names the step, and so does the journal. */
      g_assert_true (g_str_has_prefix (run_error->message, cb_run_step_kind_to_name (step)));
      g_assert_false (cb_run_result_get_device_changed (result));
      g_assert_cmpint (cb_journal_run_get_result (record), ==, CB_JOURNAL_RESULT_FAIL);
      g_assert_cmpstr (cb_journal_run_get_failed_step (record), ==, cb_run_step_kind_to_name (step));
      g_assert_nonnull (cb_journal_run_get_error (record));
      g_assert_null (cb_journal_run_get_leaf_fingerprint (record));
      /* Every step up to the failed one is journaled with its end, a step that only reads as
       * well as one with effects (their rows wait for the run's next commit). */
      steps = cb_journal_run_get_steps (record);
      g_assert_cmpuint (steps->len, ==, step + 1);
      for (guint i = 0; i < steps->len; i++)
        {
          CbJournalStep *journaled = g_ptr_array_index (steps, i);

          g_assert_cmpstr (cb_journal_step_get_name (journaled), ==, cb_run_step_kind_to_name (i));
          if (i == step)
            g_assert_cmpint (cb_journal_step_get_result (journaled), ==, CB_JOURNAL_RESULT_FAIL);
          else
            g_assert_true (cb_journal_step_get_result (journaled) == CB_JOURNAL_RESULT_PASS ||
                           cb_journal_step_get_result (journaled) == CB_JOURNAL_RESULT_SKIPPED);
        }

      /* Back without faults, the device still has the certificate it had. */
      device_stop (device);
      device_start (device, NULL);
      after = device_active_chain (device);
      g_assert_nonnull (after);
      g_assert_true (g_bytes_equal (after, before));
    }

  g_clear_object (&config);
  g_clear_object (&journal);
  journal_path_free (journal_path);
}

/* Issue 11 row 7: the device activates the new chain and is unplugged before its commit answer
 * leaves. The run must not say the device keeps the certificate it had: the outcome is unknown,
 * the journal has the leaf as sent, and the next run on the device reads it back (installed). */
static void
test_run_commit_answer_lost (void)
{
  static const char * const unplug_at_commit[] = { "--unplug-at-commit", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(Device) device = device_new ("CB-COMMIT-LOST", NULL);
  char *journal_path = journal_path_new ();
  g_autoptr(CbJournal) journal = cb_journal_open (journal_path, &error);
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbRunResult) first = NULL;
  g_autoptr(CbRunResult) lost = NULL;
  g_autoptr(CbRunResult) next = NULL;
  g_autoptr(CbProvisioningRun) next_run = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(CbJournalRun) record = NULL;
  g_autofree char *fingerprint = NULL;
  const GError *run_error;
  gint64 lost_id;
  const char *identify_detail;

  g_assert_no_error (error);
  config = config_new (journal);
  cb_provisioning_config_set_registration_template (config, "lost-{serial}", &error);
  g_assert_no_error (error);

  first = run_sync (config, device, NULL);
  g_assert_true (cb_run_result_get_passed (first));
  before = device_active_chain (device);
  g_assert_nonnull (before);

  device_stop (device);
  device_start (device, unplug_at_commit);
  cb_smp_transport_set_timeout_scale (device->transport, 0.1);

  lost = run_sync (config, device, NULL);
  run_error = cb_run_result_get_error (lost);
  lost_id = cb_run_result_get_journal_id (lost);
  g_assert_false (cb_run_result_get_passed (lost));
  g_assert_cmpint (cb_run_result_get_failed_step (lost), ==, CB_RUN_STEP_COMMIT);
  g_assert_true (cb_run_result_get_outcome_unknown (lost));
  g_assert_false (cb_run_result_get_device_changed (lost));
  g_assert_true (g_str_has_prefix (run_error->message, "commit: "));
  g_assert_nonnull (strstr (run_error->message, "the outcome is unknown"));
  g_assert_null (strstr (run_error->message, "keeps"));

  /* The journal has the run's failure text and the leaf as sent (public facts only). */
  record = cb_journal_get_run (journal, lost_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (record), ==, CB_JOURNAL_RESULT_FAIL);
  g_assert_cmpstr (cb_journal_run_get_failed_step (record), ==, "commit");
  g_assert_nonnull (strstr (cb_journal_run_get_error (record), "the outcome is unknown"));
  g_assert_cmpint (cb_journal_get_leaf_state (journal, lost_id, &error), ==, CB_JOURNAL_LEAF_SENT);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_find_sent_leaf (journal, "CB-COMMIT-LOST", &fingerprint, &error),
                   ==, lost_id);
  g_assert_no_error (error);
  g_assert_cmpstr (fingerprint, ==, cb_run_result_get_leaf_fingerprint (lost));

  /* Plugged in again: the device had switched to the new chain. */
  device_stop (device);
  device_start (device, NULL);
  after = device_active_chain (device);
  g_assert_nonnull (after);
  g_assert_true (g_bytes_equal (after, cb_run_result_get_chain_der (lost)));
  g_assert_false (g_bytes_equal (after, before));

  /* The next run on the device reads it back and resolves the sent leaf as installed. */
  next = run_sync (config, device, &next_run);
  g_assert_true (cb_run_result_get_passed (next));
  g_assert_cmpint (cb_journal_get_leaf_state (journal, lost_id, &error), ==,
                   CB_JOURNAL_LEAF_INSTALLED);
  g_assert_no_error (error);
  g_clear_pointer (&fingerprint, g_free);
  g_assert_cmpint (cb_journal_find_sent_leaf (journal, "CB-COMMIT-LOST", &fingerprint, &error),
                   ==, 0);
  g_assert_no_error (error);
  identify_detail = cb_run_step_get_detail (cb_provisioning_run_get_step (next_run,
                                                                          CB_RUN_STEP_IDENTIFY));
  g_assert_nonnull (strstr (identify_detail, "is installed"));

  g_clear_object (&next_run);
  g_clear_object (&config);
  g_clear_object (&journal);
  journal_path_free (journal_path);
}

static void
on_step_changed_cancel (CbProvisioningRun *run,
                        CbRunStep         *step,
                        gpointer           user_data)
{
  CbRunStepKind *when = user_data;

  if (cb_run_step_get_kind (step) == *when &&
      cb_run_step_get_state (step) == CB_RUN_STEP_STATE_RUNNING)
    cb_provisioning_run_cancel (run);
}

static void
test_run_cancel (void)
{
  static const CbRunStepKind when[] = { CB_RUN_STEP_KEYGEN, CB_RUN_STEP_REGISTER,
                                        CB_RUN_STEP_INSTALL };
  g_autoptr(GError) error = NULL;
  g_autoptr(Device) device = device_new ("CB-CANCEL-1", NULL);
  char *journal_path = journal_path_new ();
  g_autoptr(CbJournal) journal = cb_journal_open (journal_path, &error);
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbRunResult) first = NULL;
  g_autoptr(GBytes) before = NULL;

  g_assert_no_error (error);
  config = config_new (journal);
  first = run_sync (config, device, NULL);
  g_assert_true (cb_run_result_get_passed (first));
  before = device_active_chain (device);

  for (guint i = 0; i < G_N_ELEMENTS (when); i++)
    {
      g_autoptr(CbProvisioningRun) run = cb_provisioning_run_new (config, device->bench, NULL);
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GAsyncResult) async = NULL;
      g_autoptr(CbRunResult) result = NULL;
      g_autoptr(CbJournalRun) record = NULL;
      g_autoptr(GBytes) after = NULL;
      CbRunStepKind at = when[i];

      g_signal_connect (run, "step-changed", G_CALLBACK (on_step_changed_cancel), &at);
      cb_provisioning_run_run_async (run, cancellable, on_result, &async);
      result = cb_provisioning_run_run_finish (run, wait_for (&async), &error);
      g_assert_no_error (error);

      g_assert_false (cb_run_result_get_passed (result));
      g_assert_error ((GError *) cb_run_result_get_error (result), CB_RUN_ERROR,
                      CB_RUN_ERROR_CANCELLED);
      g_assert_cmpint (cb_run_result_get_failed_step (result), >=, at);
      g_assert_cmpint (cb_run_result_get_failed_step (result), <=, at + 1);
      g_assert_cmpint (cb_run_step_get_state (cb_provisioning_run_get_step (
                         run, cb_run_result_get_failed_step (result))), ==,
                       CB_RUN_STEP_STATE_CANCELLED);
      g_assert_false (cb_run_result_get_device_changed (result));

      record = cb_journal_get_run (journal, cb_run_result_get_journal_id (result), &error);
      g_assert_no_error (error);
      g_assert_cmpint (cb_journal_run_get_result (record), ==, CB_JOURNAL_RESULT_CANCELLED);

      after = device_active_chain (device);
      g_assert_true (g_bytes_equal (after, before));
    }

  /* The caller's cancellable also works, and a run runs only once. */
  {
    g_autoptr(CbProvisioningRun) run = cb_provisioning_run_new (config, device->bench, NULL);
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GAsyncResult) async = NULL;
    g_autoptr(GAsyncResult) again = NULL;
    g_autoptr(CbRunResult) result = NULL;

    g_cancellable_cancel (cancellable);
    cb_provisioning_run_run_async (run, cancellable, on_result, &async);
    result = cb_provisioning_run_run_finish (run, wait_for (&async), &error);
    g_assert_no_error (error);
    g_assert_error ((GError *) cb_run_result_get_error (result), CB_RUN_ERROR,
                    CB_RUN_ERROR_CANCELLED);

    cb_provisioning_run_run_async (run, NULL, on_result, &again);
    g_assert_null (cb_provisioning_run_run_finish (run, wait_for (&again), &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
    g_clear_error (&error);
  }

  g_clear_object (&config);
  g_clear_object (&journal);
  journal_path_free (journal_path);
}

static void
test_run_device_registers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Device) device = device_new ("CB-SELF-1", NULL);
  g_autoptr(CbProvisioningConfig) config = config_new (NULL);
  g_autoptr(CbProvisioningRun) run = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(GBytes) active = NULL;

  cb_provisioning_config_set_registration_mode (config, CB_REGISTRATION_MODE_DEVICE);
  cb_provisioning_config_set_device_dps_timeout (config, 60, 100);
  /* The device registers over MQTT: every REST DPS request failing does not stop it. */
  g_assert_cmpuint (cb_test_sandbox_request (env_get ()->ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "{\"faults\":[{\"path\":\"/dps/*\",\"status\":403}]}",
                                             NULL, NULL) / 100, ==, 2);
  result = run_sync (config, device, &run);
  g_assert_cmpuint (cb_test_sandbox_request (env_get ()->ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "{\"faults\":[]}", NULL, NULL) / 100, ==, 2);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpstr (cb_run_result_get_registration_id (result), ==, "cb-self-1");
  g_assert_cmpint (cb_run_step_get_state (cb_provisioning_run_get_step (run, CB_RUN_STEP_INSTALL)),
                   ==, CB_RUN_STEP_STATE_SKIPPED);
  g_assert_cmpint (cb_run_step_get_state (cb_provisioning_run_get_step (run, CB_RUN_STEP_JOURNAL)),
                   ==, CB_RUN_STEP_STATE_SKIPPED);
  g_assert_nonnull (cb_run_result_get_hub (result));
  active = device_active_chain (device);
  g_assert_true (g_bytes_equal (active, cb_run_result_get_chain_der (result)));
}

/* Checks that do not depend on the device: the policy's validity and the pinned root. */
static void
test_run_chain_checks (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Device) device = device_new ("CB-CHECKS-1", NULL);
  g_autoptr(CbProvisioningConfig) config = config_new (NULL);
  g_autoptr(CbRunResult) first = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) pub = NULL;
  g_autoptr(GBytes) other_root_der = NULL;
  g_autoptr(CbCertificate) other_root = NULL;
  CbCertProfile profile = {
    .subject_dn = "CN=not-the-namespace-root", .is_ca = TRUE, .path_len = 1,
    .key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN,
  };

  first = run_sync (config, device, NULL);
  g_assert_true (cb_run_result_get_passed (first));
  before = device_active_chain (device);

  /* Without ARM and without a configured validity the run does not guess. */
  cb_provisioning_config_set_adr_client (config, NULL);
  {
    g_autoptr(CbRunResult) result = run_sync (config, device, NULL);
    g_autoptr(GBytes) after = device_active_chain (device);

    g_assert_false (cb_run_result_get_passed (result));
    g_assert_cmpint (cb_run_result_get_failed_step (result), ==, CB_RUN_STEP_CHECK_CHAIN);
    g_assert_error ((GError *) cb_run_result_get_error (result), CB_RUN_ERROR, CB_RUN_ERROR_CONFIG);
    g_assert_true (g_bytes_equal (after, before));
  }

  /* A configured validity that is not the policy's is caught. */
  cb_provisioning_config_set_validity_days (config, 90);
  {
    g_autoptr(CbRunResult) result = run_sync (config, device, NULL);
    g_autoptr(GBytes) after = device_active_chain (device);

    g_assert_false (cb_run_result_get_passed (result));
    g_assert_cmpint (cb_run_result_get_failed_step (result), ==, CB_RUN_STEP_CHECK_CHAIN);
    g_assert_error ((GError *) cb_run_result_get_error (result), CB_RUN_ERROR, CB_RUN_ERROR_CHECK);
    g_assert_nonnull (strstr (cb_run_result_get_error (result)->message, "90 days"));
    g_assert_true (g_bytes_equal (after, before));
  }

  /* The right one passes (the hub check is skipped without ARM, and says so). */
  cb_provisioning_config_set_validity_days (config, 30);
  {
    g_autoptr(CbProvisioningRun) run = NULL;
    g_autoptr(CbRunResult) result = run_sync (config, device, &run);
    const char *detail;

    g_assert_true (cb_run_result_get_passed (result));
    detail = cb_run_step_get_detail (cb_provisioning_run_get_step (run, CB_RUN_STEP_CHECK_CHAIN));
    g_assert_nonnull (strstr (detail, "station configuration"));
    g_assert_nonnull (strstr (detail, "not checked"));
    g_clear_pointer (&before, g_bytes_unref);
    before = device_active_chain (device);
  }

  /* A pinned root that is not the one DPS returns stops the run before install. */
  key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  pub = cb_key_get_public_key_der (key);
  profile.not_before = g_get_real_time () / G_USEC_PER_SEC - 60;
  profile.not_after = profile.not_before + 86400 * 365;
  other_root_der = cb_cert_issue (&profile, pub, key, NULL, &error);
  g_assert_no_error (error);
  other_root = cb_certificate_new_from_der (other_root_der, &error);
  g_assert_no_error (error);
  cb_provisioning_config_set_trusted_root (config, other_root);
  {
    g_autoptr(CbRunResult) result = run_sync (config, device, NULL);
    g_autoptr(GBytes) after = device_active_chain (device);

    g_assert_false (cb_run_result_get_passed (result));
    g_assert_cmpint (cb_run_result_get_failed_step (result), ==, CB_RUN_STEP_CHECK_CHAIN);
    g_assert_error ((GError *) cb_run_result_get_error (result), CB_RUN_ERROR, CB_RUN_ERROR_CHECK);
    g_assert_nonnull (strstr (cb_run_result_get_error (result)->message, "pins"));
    g_assert_true (g_bytes_equal (after, before));
  }
}

static void
test_run_bad_identity (void)
{
  const char * const args[] = { "--model", "Model X", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(Device) device = device_new ("CB-ID-1", args);
  g_autoptr(CbProvisioningConfig) config = config_new (NULL);
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(CbProvisioningRun) run = NULL;

  g_assert_true (cb_provisioning_config_set_registration_template (config, "{model}-{serial}",
                                                                    &error));
  result = run_sync (config, device, NULL);
  g_assert_false (cb_run_result_get_passed (result));
  g_assert_cmpint (cb_run_result_get_failed_step (result), ==, CB_RUN_STEP_IDENTIFY);
  g_assert_error ((GError *) cb_run_result_get_error (result), CB_RUN_ERROR, CB_RUN_ERROR_DEVICE);
  g_assert_nonnull (strstr (cb_run_result_get_error (result)->message, "“ ”"));

  /* An operator's registration id replaces the template. */
  run = cb_provisioning_run_new (config, device->bench, "bench-port-3");
  cb_provisioning_run_set_registration_id (run, "Line1-Manual-7");
  {
    g_autoptr(GAsyncResult) async = NULL;
    g_autoptr(CbRunResult) manual = NULL;

    cb_provisioning_run_run_async (run, NULL, on_result, &async);
    manual = cb_provisioning_run_run_finish (run, wait_for (&async), &error);
    g_assert_no_error (error);
    g_assert_true (cb_run_result_get_passed (manual));
    g_assert_cmpstr (cb_run_result_get_registration_id (manual), ==, "line1-manual-7");
    g_assert_cmpstr (cb_run_result_get_port (manual), ==, "bench-port-3");
  }
}

/* Benches without network (the hub check off) and devices without network (not_supported):
 * the step is skipped and says why, and the run passes. Both at once, to save a DPS round. */
static void
test_run_hub_skipped (void)
{
  const char * const no_network[] = { "--no-network", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(Device) device = device_new ("CB-HUB-OFF-1", NULL);
  g_autoptr(Device) offline = device_new ("CB-HUB-NONET-1", no_network);
  char *journal_path = journal_path_new ();
  g_autoptr(CbJournal) journal = cb_journal_open (journal_path, &error);
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbProvisioningConfig) config_on = config_new (NULL);
  g_autoptr(CbProvisioningRun) run = NULL;
  g_autoptr(CbProvisioningRun) run_offline = NULL;
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GAsyncResult) async_offline = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(CbRunResult) result_offline = NULL;
  g_autoptr(CbJournalRun) record = NULL;
  CbRunStep *step;
  CbJournalStep *journaled;

  g_assert_no_error (error);
  config = config_new (journal);
  g_assert_true (cb_provisioning_config_get_hub_check (config));
  cb_provisioning_config_set_hub_check (config, FALSE);
  g_assert_false (cb_provisioning_config_get_hub_check (config));

  run = cb_provisioning_run_new (config, device->bench, NULL);
  run_offline = cb_provisioning_run_new (config_on, offline->bench, NULL);
  cb_provisioning_run_run_async (run, NULL, on_result, &async);
  cb_provisioning_run_run_async (run_offline, NULL, on_result, &async_offline);
  result = cb_provisioning_run_run_finish (run, wait_for (&async), &error);
  g_assert_no_error (error);
  result_offline = cb_provisioning_run_run_finish (run_offline, wait_for (&async_offline), &error);
  g_assert_no_error (error);

  g_assert_true (cb_run_result_get_passed (result));
  step = cb_provisioning_run_get_step (run, CB_RUN_STEP_HUB_CONNECT);
  g_assert_cmpint (cb_run_step_get_state (step), ==, CB_RUN_STEP_STATE_SKIPPED);
  g_assert_cmpstr (cb_run_step_get_detail (step), ==, "hub check off (no network at the bench)");
  g_assert_cmpstr (cb_run_step_get_name (step), ==, "hub-connect");

  /* The journal records the skipped step like the others. */
  record = cb_journal_get_run (journal, cb_run_result_get_journal_id (result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_run_get_steps (record)->len, ==, CB_RUN_N_STEPS);
  journaled = g_ptr_array_index (cb_journal_run_get_steps (record), CB_RUN_STEP_HUB_CONNECT);
  g_assert_cmpstr (cb_journal_step_get_name (journaled), ==, "hub-connect");
  g_assert_cmpint (cb_journal_step_get_result (journaled), ==, CB_JOURNAL_RESULT_SKIPPED);
  g_assert_cmpint (cb_journal_run_get_result (record), ==, CB_JOURNAL_RESULT_PASS);

  /* The device without network says not_supported to dps_config / hub_config. */
  if (!cb_run_result_get_passed (result_offline))
    g_test_message ("%s", cb_run_result_get_error (result_offline)->message);
  g_assert_true (cb_run_result_get_passed (result_offline));
  step = cb_provisioning_run_get_step (run_offline, CB_RUN_STEP_HUB_CONNECT);
  g_assert_cmpint (cb_run_step_get_state (step), ==, CB_RUN_STEP_STATE_SKIPPED);
  g_assert_nonnull (strstr (cb_run_step_get_detail (step), "has no network"));

  g_clear_object (&config);
  g_clear_object (&journal);
  journal_path_free (journal_path);
}

static void
on_step_changed_revoke (CbProvisioningRun *run,
                        CbRunStep         *step,
                        gpointer           user_data)
{
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GError) error = NULL;

  if (cb_run_step_get_kind (step) != CB_RUN_STEP_INSTALL ||
      cb_run_step_get_state (step) != CB_RUN_STEP_STATE_RUNNING)
    return;

  /* The chain was issued with the device's credential identifier; rotating it now (before the
   * device ever uses the chain) makes its first connection a revoked one. */
  cb_adr_client_revoke_device_async (env->adr, user_data, FALSE, NULL, on_result, &async);
  g_assert_true (cb_adr_client_revoke_device_finish (env->adr, wait_for (&async), &error));
  g_assert_no_error (error);
}

/* The hub refuses the device: the step fails with the device's and the sandbox's reason. */
static void
test_run_hub_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Device) device = device_new ("CB-HUB-REVOKED-1", NULL);
  g_autoptr(CbProvisioningConfig) config = config_new (NULL);
  g_autoptr(CbProvisioningRun) run = NULL;
  g_autoptr(CbRunResult) result = NULL;
  const GError *run_error;
  CbRunStep *step;

  cb_provisioning_config_set_hub_timeout (config, 20, 100);
  run = cb_provisioning_run_new (config, device->bench, NULL);
  g_signal_connect (run, "step-changed", G_CALLBACK (on_step_changed_revoke),
                    (gpointer) "cb-hub-revoked-1");
  {
    g_autoptr(GAsyncResult) async = NULL;

    cb_provisioning_run_run_async (run, NULL, on_result, &async);
    result = cb_provisioning_run_run_finish (run, wait_for (&async), &error);
    g_assert_no_error (error);
  }

  g_assert_false (cb_run_result_get_passed (result));
  run_error = cb_run_result_get_error (result);
  g_test_message ("%s", run_error->message);
  g_assert_cmpint (cb_run_result_get_failed_step (result), ==, CB_RUN_STEP_HUB_CONNECT);
  g_assert_error ((GError *) run_error, CB_RUN_ERROR, CB_RUN_ERROR_SERVICE);
  g_assert_true (g_str_has_prefix (run_error->message, "hub-connect: "));
  g_assert_nonnull (strstr (run_error->message, "refused"));
  g_assert_nonnull (strstr (run_error->message, "revoked-identifier"));
  g_assert_true (cb_run_result_get_device_changed (result));
  step = cb_provisioning_run_get_step (run, CB_RUN_STEP_HUB_CONNECT);
  g_assert_cmpint (cb_run_step_get_state (step), ==, CB_RUN_STEP_STATE_FAILED);
  g_assert_nonnull (strstr (cb_run_step_get_error (step), "revoked-identifier"));
}

#define N_CONCURRENT 16

static void
run_run_concurrent (void)
{
  g_autoptr(GError) error = NULL;
  char *journal_path = journal_path_new ();
  g_autoptr(CbJournal) journal = cb_journal_open (journal_path, &error);
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) records = NULL;
  Device *devices[N_CONCURRENT];
  CbProvisioningRun *runs[N_CONCURRENT];
  GAsyncResult *results[N_CONCURRENT] = { NULL, };
  CbJournalFilter filter = { .result = CB_JOURNAL_RESULT_PASS };
  gint64 started;

  g_assert_no_error (error);
  config = config_new (journal);
  cb_provisioning_config_set_registration_template (config, "line2-{serial}", &error);
  g_assert_no_error (error);

  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      g_autofree char *serial = g_strdup_printf ("CB-MANY-%02u", i);
      devices[i] = device_new (serial, NULL);
    }

  started = g_get_monotonic_time ();
  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      runs[i] = cb_provisioning_run_new (config, devices[i]->bench, NULL);
      cb_provisioning_run_run_async (runs[i], NULL, on_result, &results[i]);
    }
  for (guint i = 0; i < N_CONCURRENT; i++)
    wait_for (&results[i]);
  g_test_message ("%d devices in %.1f s", N_CONCURRENT,
                  (g_get_monotonic_time () - started) / 1e6);

  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      g_autoptr(CbRunResult) result = cb_provisioning_run_run_finish (runs[i], results[i], &error);
      g_autoptr(GBytes) active = NULL;

      g_assert_no_error (error);
      if (!cb_run_result_get_passed (result))
        g_test_message ("%s: %s", devices[i]->serial, cb_run_result_get_error (result)->message);
      g_assert_true (cb_run_result_get_passed (result));
      g_hash_table_add (ids, (gpointer) cb_run_result_get_registration_id (result));
      active = device_active_chain (devices[i]);
      g_assert_true (g_bytes_equal (active, cb_run_result_get_chain_der (result)));

      g_object_unref (results[i]);
      g_object_unref (runs[i]);
    }
  g_assert_cmpuint (g_hash_table_size (ids), ==, N_CONCURRENT);

  records = cb_journal_list_runs (journal, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, N_CONCURRENT);

  for (guint i = 0; i < N_CONCURRENT; i++)
    device_free (devices[i]);
  g_clear_object (&config);
  g_clear_object (&journal);
  journal_path_free (journal_path);
}

/* A wall-clock check: the sanitizer pass (build-aux/test-sanitize.sh) leaves it out. */
static void
test_run_concurrent (void)
{
  if (cb_test_skip_under_sanitizer ("16 devices against a 30 s hub deadline"))
    return;
  run_run_concurrent ();
}

/* ---- A device that lacks capabilities ------------------------------------------------------ */

/* A test double of a device that cannot sign a station challenge nor connect to the hub: the
 * simulated bench device behind the SMP driver, with those two capabilities taken away (the
 * way an nRF91 modem lacks them). Every operation goes to the SMP driver, whose results carry
 * it as their source, so the run finishes them on it. */

#define TEST_TYPE_LIMITED_DRIVER (test_limited_driver_get_type ())
G_DECLARE_FINAL_TYPE (TestLimitedDriver, test_limited_driver, TEST, LIMITED_DRIVER, GObject)

struct _TestLimitedDriver
{
  GObject         parent_instance;
  CbDeviceDriver *inner;
};

static void test_limited_driver_iface_init (CbDeviceDriverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestLimitedDriver, test_limited_driver, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CB_TYPE_DEVICE_DRIVER,
                                                      test_limited_driver_iface_init))

#define LIMITED_REASON_POP "The test device signs no station challenge: the CSR's signature is the proof of possession at issuance."
#define LIMITED_REASON_HUB "The test device has no network of its own."
#define INNER(d) (((TestLimitedDriver *) (d))->inner)

static void
test_limited_driver_finalize (GObject *object)
{
  g_clear_object (&TEST_LIMITED_DRIVER (object)->inner);
  G_OBJECT_CLASS (test_limited_driver_parent_class)->finalize (object);
}

static void
test_limited_driver_class_init (TestLimitedDriverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_limited_driver_finalize;
}

static void
test_limited_driver_init (TestLimitedDriver *self)
{
}

static const char *
limited_get_name (CbDeviceDriver *d)
{
  return "test-limited";
}

static const char *
limited_get_port_path (CbDeviceDriver *d)
{
  return cb_device_driver_get_port_path (INNER (d));
}

static CbDeviceCapabilities
limited_get_capabilities (CbDeviceDriver *d)
{
  return cb_device_driver_get_capabilities (INNER (d)) &
         ~(CB_DEVICE_CAP_PROVE_POSSESSION | CB_DEVICE_CAP_HUB_CONNECT);
}

static char *
limited_dup_missing_reason (CbDeviceDriver       *d,
                            CbDeviceCapabilities  capability)
{
  if (capability == CB_DEVICE_CAP_PROVE_POSSESSION)
    return g_strdup (LIMITED_REASON_POP);
  if (capability == CB_DEVICE_CAP_HUB_CONNECT)
    return g_strdup (LIMITED_REASON_HUB);
  return NULL;
}

static void
limited_attach (CbDeviceDriver *d, CbProtocolLog *log)
{
  cb_device_driver_attach_protocol_log (INNER (d), log);
}

static void
limited_detach (CbDeviceDriver *d, CbProtocolLog *log)
{
  cb_device_driver_detach_protocol_log (INNER (d), log);
}

static gboolean
limited_error_is_refusal (CbDeviceDriver *d, const GError *error)
{
  return cb_device_driver_error_is_refusal (INNER (d), error);
}

static void
limited_identify (CbDeviceDriver *d, GCancellable *c, GAsyncReadyCallback cb, gpointer data)
{
  cb_device_driver_identify_async (INNER (d), c, cb, data);
}

static void
limited_create_key (CbDeviceDriver *d, const char *type, const char *cn, gboolean replace,
                    GCancellable *c, GAsyncReadyCallback cb, gpointer data)
{
  cb_device_driver_create_key_async (INNER (d), type, cn, replace, c, cb, data);
}

static void
limited_create_csr (CbDeviceDriver *d, const char *cn, GCancellable *c, GAsyncReadyCallback cb,
                    gpointer data)
{
  cb_device_driver_create_csr_async (INNER (d), cn, c, cb, data);
}

static void
limited_install (CbDeviceDriver *d, GBytes *der, GPtrArray *certs, GCancellable *c,
                 GAsyncReadyCallback cb, gpointer data)
{
  cb_device_driver_install_chain_async (INNER (d), der, certs, c, cb, data);
}

static void
limited_commit (CbDeviceDriver *d, GBytes *sha, GCancellable *c, GAsyncReadyCallback cb,
                gpointer data)
{
  cb_device_driver_commit_async (INNER (d), sha, c, cb, data);
}

static void
limited_read_back (CbDeviceDriver *d, GBytes *der, GPtrArray *certs, GCancellable *c,
                   GAsyncReadyCallback cb, gpointer data)
{
  cb_device_driver_read_back_async (INNER (d), der, certs, c, cb, data);
}

static void
limited_read_chain (CbDeviceDriver *d, CbDeviceSlot slot, GCancellable *c,
                    GAsyncReadyCallback cb, gpointer data)
{
  cb_device_driver_read_chain_async (INNER (d), slot, c, cb, data);
}

static void
limited_dps_configure (CbDeviceDriver *d, const char *scope, const char *id, const char *key,
                       const char *endpoint, const char *ca, GCancellable *c,
                       GAsyncReadyCallback cb, gpointer data)
{
  cb_device_driver_dps_configure_async (INNER (d), scope, id, key, endpoint, ca, c, cb, data);
}

static void
limited_dps_register (CbDeviceDriver *d, GCancellable *c, GAsyncReadyCallback cb, gpointer data)
{
  cb_device_driver_dps_register_async (INNER (d), c, cb, data);
}

static void
limited_dps_status (CbDeviceDriver *d, GCancellable *c, GAsyncReadyCallback cb, gpointer data)
{
  cb_device_driver_dps_status_async (INNER (d), c, cb, data);
}

static void
limited_diagnose (CbDeviceDriver *d, GCancellable *c, GAsyncReadyCallback cb, gpointer data)
{
  cb_device_driver_diagnose_async (INNER (d), c, cb, data);
}

static void
test_limited_driver_iface_init (CbDeviceDriverInterface *iface)
{
  iface->get_name = limited_get_name;
  iface->get_port_path = limited_get_port_path;
  iface->get_capabilities = limited_get_capabilities;
  iface->dup_missing_reason = limited_dup_missing_reason;
  iface->attach_protocol_log = limited_attach;
  iface->detach_protocol_log = limited_detach;
  iface->error_is_refusal = limited_error_is_refusal;
  iface->identify_async = limited_identify;
  iface->create_key_async = limited_create_key;
  iface->create_csr_async = limited_create_csr;
  iface->install_chain_async = limited_install;
  iface->commit_async = limited_commit;
  iface->read_back_async = limited_read_back;
  iface->read_chain_async = limited_read_chain;
  iface->dps_configure_async = limited_dps_configure;
  iface->dps_register_async = limited_dps_register;
  iface->dps_status_async = limited_dps_status;
  iface->diagnose_async = limited_diagnose;
  /* No prove_possession, no hub_configure. The finishes are the inner driver's: the results'
   * source is the inner driver. */
}

/* A device that cannot do a step: the step ends "not applicable" with the driver's reason,
 * never passed, and the run passes on what the device can do. */
static void
test_run_not_applicable (void)
{
  g_autoptr(Device) device = device_new ("CB-NA-0001", NULL);
  g_autoptr(CbSmpDriver) smp = cb_smp_driver_new (device->bench);
  g_autoptr(TestLimitedDriver) limited = g_object_new (TEST_TYPE_LIMITED_DRIVER, NULL);
  g_autoptr(CbProvisioningConfig) config = config_new (NULL);
  g_autoptr(CbProvisioningRun) run = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GError) error = NULL;
  CbRunStep *pop, *hub;

  limited->inner = g_object_ref (CB_DEVICE_DRIVER (smp));
  g_assert_false (cb_device_driver_has_capability (CB_DEVICE_DRIVER (limited),
                                                   CB_DEVICE_CAP_PROVE_POSSESSION));
  g_assert_true (cb_provisioning_config_set_registration_template (config, "line1-{serial}",
                                                                    &error));
  run = cb_provisioning_run_new_for_driver (config, CB_DEVICE_DRIVER (limited), NULL);
  g_assert_true (cb_provisioning_run_get_driver (run) == CB_DEVICE_DRIVER (limited));
  cb_provisioning_run_run_async (run, NULL, on_result, &async);
  result = cb_provisioning_run_run_finish (run, wait_for (&async), &error);
  g_assert_no_error (error);
  if (!cb_run_result_get_passed (result))
    g_test_message ("failed: %s", cb_run_result_get_error (result)->message);
  g_assert_true (cb_run_result_get_passed (result));

  pop = cb_provisioning_run_get_step (run, CB_RUN_STEP_PROOF_OF_POSSESSION);
  g_assert_cmpint (cb_run_step_get_state (pop), ==, CB_RUN_STEP_STATE_NOT_APPLICABLE);
  g_assert_cmpstr (cb_run_step_state_to_string (cb_run_step_get_state (pop)), ==, "not-applicable");
  g_assert_cmpstr (cb_run_step_get_detail (pop), ==, LIMITED_REASON_POP);
  hub = cb_provisioning_run_get_step (run, CB_RUN_STEP_HUB_CONNECT);
  g_assert_cmpint (cb_run_step_get_state (hub), ==, CB_RUN_STEP_STATE_NOT_APPLICABLE);
  g_assert_cmpstr (cb_run_step_get_detail (hub), ==, LIMITED_REASON_HUB);
  /* The steps the device can do passed as ever. */
  g_assert_cmpint (cb_run_step_get_state (cb_provisioning_run_get_step (run, CB_RUN_STEP_READ_BACK)),
                   ==, CB_RUN_STEP_STATE_PASSED);

  /* Called directly, an operation the driver lacks fails at once with the reason. */
  {
    g_autoptr(GAsyncResult) r = NULL;
    g_autoptr(CbDevicePossession) possession = NULL;
    g_autoptr(GBytes) challenge = g_bytes_new_static ("01234567890123456789012345678901", 32);

    cb_device_driver_prove_possession_async (CB_DEVICE_DRIVER (limited), challenge, NULL,
                                             on_result, &r);
    possession = cb_device_driver_prove_possession_finish (CB_DEVICE_DRIVER (limited),
                                                           wait_for (&r), &error);
    g_assert_null (possession);
    g_assert_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED);
    g_assert_cmpstr (error->message, ==, LIMITED_REASON_POP);
  }
}

/* ---- Journal commits -------------------------------------------------------------------- */

/* The transactions committed to a journal so far, read the way SQLite's recovery reads them:
 * the commit frames of its write-ahead log (a frame whose header gives the database size)
 * that carry the log's current salts. Valid while the journal is open and not checkpointed
 * (SQLite checkpoints at 1000 pages; a run writes under 100). */
/* Pages a run writes to a new journal (counted: 13 to 15 with schema 5, as the protocol log
 * fits a page or not; 16 with schema 4 and a commit only before a step with effects, 21 with
 * a commit at every wait, 55 with schema 3). A journal with runs before writes more, as its
 * b-trees split: test-journal /cb/journal/station-pages. */
#define PAGES_PER_RUN 17
/* Pages the run's first commit writes: the runs table and its index on started (3 with
 * schema 4's unique index on uuid). */
#define PAGES_RUN_START 2
/* Commits a run makes: its start, the five steps with effects, its end. */
#define COMMITS_PER_RUN 7
/* Statements a run has the journal's connection run (counted: 41, a row each, a BEGIN and a
 * COMMIT a transaction, the check for a sent leaf of the device; 52 when each step's start
 * looked its index up). */
#define STATEMENTS_PER_RUN 41

typedef struct
{
  guint statements;
  guint lookups;
} StatementCounts;

/* SQLITE_TRACE_STMT: a statement starting, or a trigger's program ("-- TRIGGER …"). */
static int
count_statement (unsigned  type,
                 void     *user_data,
                 void     *p,
                 void     *x)
{
  StatementCounts *counts = user_data;
  const char *sql = x;

  if (g_str_has_prefix (sql, "--"))
    return 0;
  counts->statements++;
  if (strstr (sql, "MAX (idx)") != NULL)
    counts->lookups++;
  g_test_message ("statement: %s", sql);
  return 0;
}

static guint
wal_commits_from (const char *journal_path,
                  guint       first_frame,
                  guint      *n_frames,
                  guint      *first_commit_frames);

static guint
wal_commits (const char *journal_path,
             guint      *n_frames)
{
  return wal_commits_from (journal_path, 0, n_frames, NULL);
}

/* The same, and the frames of the first commit at or after frame first_frame. */
static guint
wal_commits_from (const char *journal_path,
                  guint       first_frame,
                  guint      *n_frames,
                  guint      *first_commit_frames)
{
  g_autofree char *wal_path = g_strconcat (journal_path, "-wal", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *p;
  gsize length, page_size, offset;
  guint commits = 0, frame_index = 0;
  gboolean first_seen = FALSE;

  g_assert_true (g_file_get_contents (wal_path, &data, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length, >=, 32);
  p = (const guint8 *) data;
  page_size = GUINT32_FROM_BE (*(const guint32 *) (p + 8));
  g_assert_cmpuint (page_size, >=, 512);

  for (offset = 32; offset + 24 + page_size <= length; offset += 24 + page_size)
    {
      const guint8 *frame = p + offset;

      gboolean is_commit;

      if (memcmp (frame + 8, p + 16, 8) != 0)
        break;
      if (n_frames != NULL)
        (*n_frames)++;
      is_commit = GUINT32_FROM_BE (*(const guint32 *) (frame + 4)) != 0;
      if (is_commit)
        commits++;
      if (first_commit_frames != NULL && frame_index++ >= first_frame && !first_seen)
        {
          (*first_commit_frames)++;
          first_seen = is_commit;
        }
    }
  return commits;
}

/* A run commits its journal rows before it waits in a step that can change something outside
 * the station (keygen, register, install, commit, hub-connect), at its start and at its end,
 * not once per row nor once per wait: seven commits; once per wait was eleven (ten waits here,
 * check-chain's fetch of the service's facts among them), a commit per step sixteen. And each
 * commit writes a page per b-tree it touches (a frame of the log each): a step's end and the
 * next step's start one page since schema 4 keeps both in one table keyed by (run, index,
 * ended), four before (steps and step ends, a unique index each). */
static void
test_run_journal_commits (void)
{
  g_autoptr(Device) device = device_new ("CB-COMMITS-0001", NULL);
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(CbJournalRun) record = NULL;
  g_autoptr(GError) error = NULL;
  char *journal_path = journal_path_new ();
  CbJournal *journal = cb_journal_open (journal_path, &error);
  guint before, after, frames_before = 0, frames_after = 0, frames_start = 0;
  StatementCounts counts = { 0, };

  g_assert_no_error (error);
  config = config_new (journal);
  g_assert_true (cb_provisioning_config_set_registration_template (config, "line1-{serial}",
                                                                    &error));
  before = wal_commits (journal_path, &frames_before);
  sqlite3_trace_v2 (journal->db, SQLITE_TRACE_STMT, count_statement, &counts);

  result = run_sync (config, device, NULL);
  g_assert_true (cb_run_result_get_passed (result));
  sqlite3_trace_v2 (journal->db, 0, NULL, NULL);
  /* The caller hears of the end once the end is on disk. */
  after = wal_commits_from (journal_path, frames_before, &frames_after, &frames_start);
  g_test_message ("%u commits, %u pages written (%u by the first), %u statements (%u index "
                  "lookups) for a run of %u steps", after - before, frames_after - frames_before,
                  frames_start, counts.statements, counts.lookups, CB_RUN_N_STEPS);
  g_assert_cmpuint (after - before, <=, COMMITS_PER_RUN);
  g_assert_cmpuint (frames_after - frames_before, <=, PAGES_PER_RUN);
  g_assert_cmpuint (frames_start, <=, PAGES_RUN_START);
  /* A run numbers its own steps: no step's start looks its index up. */
  g_assert_cmpuint (counts.lookups, ==, 0);
  g_assert_cmpuint (counts.statements, <=, STATEMENTS_PER_RUN);

  record = cb_journal_get_run (journal, cb_run_result_get_journal_id (result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (record), ==, CB_JOURNAL_RESULT_PASS);
  g_assert_cmpuint (cb_journal_run_get_steps (record)->len, ==, CB_RUN_N_STEPS);
  g_assert_nonnull (cb_journal_run_get_protocol_log (record));

  g_clear_object (&config);
  g_object_unref (journal);
  journal_path_free (journal_path);
}

static char *
killed_journal_path (pid_t parent)
{
  g_autofree char *name = g_strdup_printf ("cb-run-killed-%d.sqlite", (int) parent);
  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

/* The killed station's device keeps its state where the parent finds it and removes it: the
 * child dies before its own cleanup runs. */
static char *
killed_device_dir (pid_t parent)
{
  g_autofree char *name = g_strdup_printf ("cb-run-killed-%d-device", (int) parent);
  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

/* Where a killed test's station dies, and what the next open must say of it. */
typedef struct
{
  CbRunStepKind kill_in;      /* the step the run waits in when the station is killed */
  CbRunStepKind named;        /* the step recovery names: the last whose start was committed */
  int           priority;     /* of the idle that kills, once the step has begun */
} KilledCase;

/* Hub-connect waits seconds for the device: killed once the loop has nothing else to do (its
 * request is out). */
static const KilledCase killed_hub_connect = {
  CB_RUN_STEP_HUB_CONNECT, CB_RUN_STEP_HUB_CONNECT, G_PRIORITY_LOW
};
/* Read-back only reads: its start waits for the next commit, so a run killed there is named at
 * commit, the step before it that changed the device (an earlier step, never a later one or
 * one that could not have changed anything while an effect may have happened). Its wait is
 * short, so the kill comes right after the journal's end-of-turn commit (G_PRIORITY_HIGH) and
 * before any answer from the device (default priority) can end the step. */
static const KilledCase killed_read_back = {
  CB_RUN_STEP_READ_BACK, CB_RUN_STEP_COMMIT, G_PRIORITY_HIGH + 1
};
/* CSR only reads: named at keygen, whose effect (the device's new key) happened. */
static const KilledCase killed_csr = { CB_RUN_STEP_CSR, CB_RUN_STEP_KEYGEN, G_PRIORITY_HIGH + 1 };

typedef struct
{
  CbProvisioningRun *run;
  const KilledCase  *kc;
} KillState;

static gboolean
kill_self_cb (gpointer user_data)
{
  KillState *state = user_data;

  /* Still waiting in the step: the device or the sandbox has not answered yet. */
  g_assert_cmpint (cb_run_step_get_kind (cb_provisioning_run_get_current_step (state->run)), ==,
                   state->kc->kill_in);
  kill (getpid (), SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
on_step_changed_kill (CbProvisioningRun *run,
                      CbRunStep         *step,
                      gpointer           user_data)
{
  KillState *state = user_data;

  /* After the turn in which the step began (and its commit, if any): the run waits. */
  if (cb_run_step_get_kind (step) == state->kc->kill_in &&
      cb_run_step_get_state (step) == CB_RUN_STEP_STATE_RUNNING)
    g_idle_add_full (state->kc->priority, kill_self_cb, state, NULL);
}

/* A station killed (SIGKILL: no finalizers) while a run waits in a step: the next open of the
 * journal marks the run interrupted and names the step (or, for a step that only reads, the
 * last step with effects before it), with every earlier step's end. */
static void
test_run_journal_killed (gconstpointer data)
{
  const KilledCase *kc = data;
  g_autofree char *path = NULL;
  g_autofree char *device_dir = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *shm = NULL;
  g_autoptr(CbJournal) journal = NULL;
  g_autoptr(CbJournalRun) run = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *steps;

  if (g_test_subprocess ())
    {
      g_autofree char *child_path = killed_journal_path (getppid ());
      char *state_dir = killed_device_dir (getppid ());
      g_autoptr(Device) device = NULL;
      g_autoptr(CbProvisioningConfig) config = NULL;
      g_autoptr(CbProvisioningRun) child_run = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      CbJournal *child_journal = cb_journal_open (child_path, &error);
      KillState state = { NULL, kc };

      g_assert_no_error (error);
      g_assert_cmpint (g_mkdir_with_parents (state_dir, 0700), ==, 0);
      device = device_new_in (state_dir, "CB-KILLED-0001", NULL);
      config = config_new (child_journal);
      g_assert_true (cb_provisioning_config_set_registration_template (config, "line1-{serial}",
                                                                        &error));
      child_run = cb_provisioning_run_new (config, device->bench, NULL);
      state.run = child_run;
      g_signal_connect (child_run, "step-changed", G_CALLBACK (on_step_changed_kill), &state);
      cb_provisioning_run_run_async (child_run, NULL, on_result, &result);
      wait_for (&result);
      g_assert_not_reached ();
    }

  path = killed_journal_path (getpid ());
  wal = g_strconcat (path, "-wal", NULL);
  shm = g_strconcat (path, "-shm", NULL);
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);

  device_dir = killed_device_dir (getpid ());
  cb_test_remove_tree (device_dir);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  cb_test_remove_tree (device_dir);
  g_test_trap_assert_failed ();

  journal = cb_journal_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_journal_get_n_recovered (journal), ==, 1);
  runs = cb_journal_list_runs (journal, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  run = cb_journal_get_run (journal, cb_journal_run_get_id (g_ptr_array_index (runs, 0)), &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_journal_run_get_result (run), ==, CB_JOURNAL_RESULT_INTERRUPTED);
  g_assert_cmpstr (cb_journal_run_get_failed_step (run), ==, cb_run_step_kind_to_name (kc->named));
  g_assert_nonnull (strstr (cb_journal_run_get_error (run), cb_run_step_kind_to_name (kc->named)));
  g_assert_cmpstr (cb_journal_run_get_device_serial (run), ==, "CB-KILLED-0001");

  steps = cb_journal_run_get_steps (run);
  g_assert_cmpuint (steps->len, ==, kc->named + 1);
  for (guint i = 0; i < steps->len; i++)
    {
      CbJournalStep *step = g_ptr_array_index (steps, i);

      g_assert_cmpstr (cb_journal_step_get_name (step), ==, cb_run_step_kind_to_name (i));
      g_assert_cmpint (cb_journal_step_get_result (step), ==,
                       i == kc->named ? CB_JOURNAL_RESULT_INTERRUPTED : CB_JOURNAL_RESULT_PASS);
    }

  g_clear_object (&journal);
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}

/* The diagnostics reads (SMP "diag") a run's hub-connect step sent, from its protocol log. */
static guint
count_diag_reads (CbJournal   *journal,
                  CbRunResult *result)
{
  g_autoptr(CbJournalRun) record = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  record = cb_journal_get_run (journal, cb_run_result_get_journal_id (result), &error);
  g_assert_no_error (error);
  lines = g_strsplit (cb_journal_run_get_protocol_log (record), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "TX v") != NULL && strstr (lines[i], "(diag) seq") != NULL)
      n++;
  return n;
}

/* A station's runs learn when the device is connected after hub_config: the first run reads
 * the diagnostics at once and again until it is (two reads or more: a device needs its TLS
 * and MQTT handshakes first), the later ones wait that long and mostly need one read. */
static void
test_run_hub_first_poll (void)
{
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  char *journal_path = journal_path_new ();
  CbJournal *journal = cb_journal_open (journal_path, &error);
  guint reads[4], later = 0;

  g_assert_no_error (error);
  config = config_new (journal);
  g_assert_true (cb_provisioning_config_set_registration_template (config, "line1-{serial}",
                                                                    &error));
  for (guint i = 0; i < G_N_ELEMENTS (reads); i++)
    {
      g_autofree char *serial = g_strdup_printf ("CB-POLL-%04u", i);
      g_autoptr(Device) device = device_new (serial, NULL);
      g_autoptr(CbRunResult) result = run_sync (config, device, NULL);

      g_assert_true (cb_run_result_get_passed (result));
      reads[i] = count_diag_reads (journal, result);
      g_test_message ("run %u: %u diagnostics reads", i, reads[i]);
      g_assert_cmpuint (reads[i], >=, 1);
      if (i > 0)
        later += reads[i];
    }
  g_assert_cmpuint (reads[0], >=, 2);
  /* One read each, two for a device slower than the last (a loaded machine); without the
   * learnt wait every run needs as many as the first (3 or 4 here). */
  g_assert_cmpuint (later, <=, 2 * (G_N_ELEMENTS (reads) - 1));

  g_clear_object (&config);
  g_object_unref (journal);
  journal_path_free (journal_path);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/provisioning-run/template/expand", test_template_expand);
  g_test_add_func ("/cb/provisioning-run/template/errors", test_template_errors);
  g_test_add_func ("/cb/provisioning-run/pass", test_run_pass);
  g_test_add_func ("/cb/provisioning-run/cancel", test_run_cancel);
  g_test_add_func ("/cb/provisioning-run/device-registers", test_run_device_registers);
  g_test_add_func ("/cb/provisioning-run/chain-checks", test_run_chain_checks);
  g_test_add_func ("/cb/provisioning-run/bad-identity", test_run_bad_identity);
  g_test_add_func ("/cb/provisioning-run/concurrent", test_run_concurrent);
  g_test_add_func ("/cb/provisioning-run/hub/skipped", test_run_hub_skipped);
  g_test_add_func ("/cb/provisioning-run/hub/refused", test_run_hub_refused);
  g_test_add_func ("/cb/provisioning-run/commit-answer-lost", test_run_commit_answer_lost);
  g_test_add_func ("/cb/provisioning-run/not-applicable", test_run_not_applicable);
  g_test_add_func ("/cb/provisioning-run/journal/commits", test_run_journal_commits);
  g_test_add_data_func ("/cb/provisioning-run/journal/killed", &killed_hub_connect,
                        test_run_journal_killed);
  g_test_add_data_func ("/cb/provisioning-run/journal/killed-read-back", &killed_read_back,
                        test_run_journal_killed);
  g_test_add_data_func ("/cb/provisioning-run/journal/killed-csr", &killed_csr,
                        test_run_journal_killed);
  g_test_add_func ("/cb/provisioning-run/hub/first-poll", test_run_hub_first_poll);
  for (guint i = 0; i < G_N_ELEMENTS (fault_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cb/provisioning-run/fault/%s",
                                               fault_cases[i].name);
      g_test_add_data_func (path, &fault_cases[i], test_run_fault);
    }

  status = g_test_run ();
  env_free ();
  return status;
}
