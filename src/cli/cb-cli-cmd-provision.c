/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `provision` command: runs one provisioning run (CbProvisioningRun) against the device on
 * --port, shows its steps as they change and prints the result as text or JSON, with an exit
 * code that says how it ended.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "cb-bench-client.h"
#include "cb-dps-client.h"
#include "cb-error.h"
#include "cb-provisioning-run.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"
#include "cb-util.h"
#include "cbp-group.h"

#include "cb-cli-cmd-provision.h"
#include "cb-cli-enrollment.h"
#include "cb-cli-shared.h"

static char *
chain_to_pem (GPtrArray *chain)
{
  return chain != NULL && chain->len > 0 ? cb_certificate_list_to_pem (chain) : NULL;
}

typedef struct
{
  CbCliContext *ctx;
  gboolean      tty;
  gboolean      line_open;
} Progress;

static const char *
state_mark (CbRunStepState state)
{
  switch (state)
    {
    case CB_RUN_STEP_STATE_PASSED: return "ok  ";
    case CB_RUN_STEP_STATE_FAILED: return "FAIL";
    case CB_RUN_STEP_STATE_SKIPPED: return "skip";
    case CB_RUN_STEP_STATE_CANCELLED: return "stop";
    case CB_RUN_STEP_STATE_NOT_APPLICABLE: return "n/a ";
    case CB_RUN_STEP_STATE_RUNNING: return "... ";
    case CB_RUN_STEP_STATE_PENDING:
    default: return "    ";
    }
}

static void
on_step_changed (CbProvisioningRun *run,
                 CbRunStep         *step,
                 Progress          *progress)
{
  CbRunStepState state = cb_run_step_get_state (step);
  guint index = cb_run_step_get_kind (step) + 1;

  if (progress->ctx->options->quiet || progress->ctx->options->json)
    return;

  if (state == CB_RUN_STEP_STATE_RUNNING)
    {
      if (progress->tty)
        {
          if (cb_run_step_get_attempts (step) > 1)
            fprintf (stderr, "\r\033[K  [%2u/%u] %s %s (attempt %u)", index, CB_RUN_N_STEPS,
                     state_mark (state), cb_run_step_get_name (step),
                     cb_run_step_get_attempts (step));
          else
            fprintf (stderr, "\r\033[K  [%2u/%u] %s %s", index, CB_RUN_N_STEPS,
                     state_mark (state), cb_run_step_get_name (step));
          progress->line_open = TRUE;
        }
      return;
    }

  if (progress->line_open)
    fprintf (stderr, "\r\033[K");
  progress->line_open = FALSE;

  fprintf (stderr, "  [%2u/%u] %s %-20s %6" G_GINT64_FORMAT " ms  %s%s\n", index, CB_RUN_N_STEPS,
           state_mark (state), cb_run_step_get_name (step), cb_run_step_get_duration_ms (step),
           state == CB_RUN_STEP_STATE_FAILED || state == CB_RUN_STEP_STATE_CANCELLED
             ? (cb_run_step_get_error (step) ? cb_run_step_get_error (step) : "")
             : state == CB_RUN_STEP_STATE_NOT_APPLICABLE ? "not supported by this device: " : "",
           state == CB_RUN_STEP_STATE_FAILED || state == CB_RUN_STEP_STATE_CANCELLED
             ? ""
             : (cb_run_step_get_detail (step) ? cb_run_step_get_detail (step) : ""));
  fflush (stderr);
}

static const char *
result_word (CbRunResult *result)
{
  const GError *error = cb_run_result_get_error (result);

  if (cb_run_result_get_passed (result))
    return "pass";
  if (g_error_matches (error, CB_RUN_ERROR, CB_RUN_ERROR_CANCELLED))
    return "cancelled";
  return "fail";
}

static const char *
error_category (const GError *error)
{
  static const char * const names[] = {
    [CB_RUN_ERROR_FAILED] = "failed",
    [CB_RUN_ERROR_CONFIG] = "config",
    [CB_RUN_ERROR_DEVICE] = "device",
    [CB_RUN_ERROR_DEVICE_GONE] = "device-gone",
    [CB_RUN_ERROR_CHECK] = "check",
    [CB_RUN_ERROR_SERVICE] = "service",
    [CB_RUN_ERROR_JOURNAL] = "journal",
    [CB_RUN_ERROR_CANCELLED] = "cancelled",
  };

  if (error == NULL || error->domain != CB_RUN_ERROR || (guint) error->code >= G_N_ELEMENTS (names))
    return NULL;
  return names[error->code];
}

static void
print_provision_json (CbProvisioningRun *run,
                      CbRunResult       *result,
                      int                exit_code)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *pem = chain_to_pem (cb_run_result_get_chain (result));
  const GError *error = cb_run_result_get_error (result);
  GListModel *steps = cb_provisioning_run_get_steps (run);

  json_builder_begin_object (b);
  cb_cli_add_string (b, "result", result_word (result));
  json_builder_set_member_name (b, "exitCode");
  json_builder_add_int_value (b, exit_code);
  cb_cli_add_string (b, "failedStep", cb_run_result_get_passed (result)
                                 ? NULL
                                 : cb_run_step_kind_to_name (cb_run_result_get_failed_step (result)));
  cb_cli_add_string (b, "errorCategory", error_category (error));
  cb_cli_add_string (b, "error", error != NULL ? error->message : NULL);
  json_builder_set_member_name (b, "deviceChanged");
  json_builder_add_boolean_value (b, cb_run_result_get_device_changed (result));
  json_builder_set_member_name (b, "outcomeUnknown");
  json_builder_add_boolean_value (b, cb_run_result_get_outcome_unknown (result));
  cb_cli_add_string (b, "port", cb_run_result_get_port (result));
  cb_cli_add_string (b, "deviceSerial", cb_run_result_get_device_serial (result));
  cb_cli_add_string (b, "deviceModel", cb_run_result_get_device_model (result));
  cb_cli_add_string (b, "deviceFirmware", cb_run_result_get_device_firmware (result));
  cb_cli_add_string (b, "registrationId", cb_run_result_get_registration_id (result));
  cb_cli_add_string (b, "hub", cb_run_result_get_hub (result));
  cb_cli_add_string (b, "deviceId", cb_run_result_get_device_id (result));
  cb_cli_add_string (b, "policy", cb_run_result_get_policy (result));
  json_builder_set_member_name (b, "validityDays");
  json_builder_add_int_value (b, cb_run_result_get_validity_days (result));
  cb_cli_add_string (b, "leafSerial", cb_run_result_get_leaf_serial (result));
  cb_cli_add_string (b, "leafSha256", cb_run_result_get_leaf_fingerprint (result));
  cb_cli_add_string (b, "onboardingSha256", cb_run_result_get_onboarding_fingerprint (result));
  cb_cli_add_time (b, "notBefore", cb_run_result_get_not_before (result));
  cb_cli_add_time (b, "notAfter", cb_run_result_get_not_after (result));
  cb_cli_add_string (b, "chainPem", cb_run_result_get_passed (result) ? pem : NULL);
  json_builder_set_member_name (b, "journalRunId");
  json_builder_add_int_value (b, cb_run_result_get_journal_id (result));
  json_builder_set_member_name (b, "durationMs");
  json_builder_add_int_value (b, cb_run_result_get_duration_ms (result));

  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  for (guint i = 0; i < g_list_model_get_n_items (steps); i++)
    {
      g_autoptr(CbRunStep) step = g_list_model_get_item (steps, i);

      json_builder_begin_object (b);
      cb_cli_add_string (b, "name", cb_run_step_get_name (step));
      cb_cli_add_string (b, "state", cb_run_step_state_to_string (cb_run_step_get_state (step)));
      json_builder_set_member_name (b, "durationMs");
      json_builder_add_int_value (b, cb_run_step_get_duration_ms (step));
      json_builder_set_member_name (b, "attempts");
      json_builder_add_int_value (b, cb_run_step_get_attempts (step));
      cb_cli_add_string (b, "detail", cb_run_step_get_detail (step));
      cb_cli_add_string (b, "error", cb_run_step_get_error (step));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  cb_cli_print_json (root);
}

static void
print_provision_human (CbRunResult *result)
{
  const GError *error = cb_run_result_get_error (result);

  if (cb_run_result_get_passed (result))
    {
      g_autofree char *from = cb_time_format_fixed (cb_run_result_get_not_before (result));
      g_autofree char *until = cb_time_format_fixed (cb_run_result_get_not_after (result));

      printf ("PASS  %s on %s\n", cb_run_result_get_registration_id (result),
              cb_run_result_get_port (result));
      printf ("  device        %s\n", cb_run_result_get_device_serial (result));
      printf ("  hub           %s (device id %s)\n", cb_run_result_get_hub (result),
              cb_run_result_get_device_id (result));
      printf ("  leaf serial   %s\n", cb_run_result_get_leaf_serial (result));
      printf ("  leaf SHA-256  %s\n", cb_run_result_get_leaf_fingerprint (result));
      if (cb_run_result_get_onboarding_fingerprint (result) != NULL)
        printf ("  onboarding    X.509, SHA-256 %s\n",
                cb_run_result_get_onboarding_fingerprint (result));
      printf ("  valid         %s until %s (policy %s, %u days)\n", from, until,
              cb_run_result_get_policy (result), cb_run_result_get_validity_days (result));
      if (cb_run_result_get_journal_id (result) > 0)
        printf ("  journal       run %" G_GINT64_FORMAT "\n", cb_run_result_get_journal_id (result));
    }
  else
    {
      printf ("%s  %s\n", g_str_equal (result_word (result), "cancelled") ? "CANCELLED" : "FAIL",
              error->message);
      if (cb_run_result_get_device_serial (result) != NULL)
        printf ("  device        %s (%s)\n", cb_run_result_get_device_serial (result),
                cb_run_result_get_registration_id (result) ? cb_run_result_get_registration_id (result)
                                                           : "no registration id");
      if (cb_run_result_get_outcome_unknown (result))
        printf ("  Which certificate the device has is unknown (the commit's answer was lost);\n"
                "  the next run on it reads the certificate back.\n");
      else if (cb_run_result_get_device_changed (result))
        printf ("  The device already holds the new certificate (the failure came after commit).\n");
      else
        printf ("  The device keeps the certificate it had.\n");
    }
  fflush (stdout);
}

/* Provisions the device on ctx->options->port. */
static int
provision_port (CbCliContext *ctx)
{
  CbCliOptions *o = ctx->options;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSerialPort) port = NULL;
  g_autoptr(CbDeviceDriver) driver = NULL;
  g_autofree char *driver_problem = cb_cli_check_driver_option (ctx);
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbProvisioningRun) run = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(GAsyncResult) async = NULL;
  Progress progress = { .ctx = ctx, .tty = isatty (STDERR_FILENO) };
  CbContext *context;
  CbDpsTransport dps_transport = CB_DPS_TRANSPORT_DEFAULT;
  int exit_code;

  if (o->port == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "provision needs --port PATH");
  if (driver_problem != NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "%s", driver_problem);
  if (o->key_type != NULL && !g_str_equal (o->key_type, CBP_KEY_TYPE_P256) &&
      !g_str_equal (o->key_type, CBP_KEY_TYPE_P384))
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "--key-type is p256 or p384, not “%s”", o->key_type);
  if (o->validity_days < 0 || o->validity_days > 3650)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "--validity-days is out of range");
  if (o->dps_transport != NULL && !cb_dps_transport_from_string (o->dps_transport, &dps_transport))
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "--dps-transport is mqtt or https, not “%s”",
                        o->dps_transport);

  if (!cb_cli_context_connect (ctx, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_CONFIG, "%s", error->message);
  if (!o->no_journal && !cb_cli_context_open_journal (ctx, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_JOURNAL, "The journal could not be opened: %s", error->message);
  if (o->enrollment_group != NULL && !cb_cli_use_enrollment_group (ctx, o->enrollment_group, &error))
    return cb_cli_fail (ctx, cb_cli_exit_for_error (error), "%s", error->message);
  if (ctx->group_key == NULL && !o->device_registers)
    return cb_cli_fail (ctx, CB_CLI_EXIT_CONFIG, "There is no enrollment group key for profile “%s” (the "
                 "app stores it in the secret service)",
                 cb_profile_get_name (cb_context_get_profile (ctx->context)));

  cb_cli_context_connect_arm (ctx);
  context = ctx->context;
  if (cb_context_get_adr (context) == NULL)
    cb_cli_note (ctx, "ARM: %s; the policy's validity comes from --validity-days", ctx->arm_note);

  config = cb_provisioning_config_new (cb_context_get_profile (context));
  if (dps_transport != CB_DPS_TRANSPORT_DEFAULT)
    cb_dps_client_set_transport (cb_context_get_dps (context), dps_transport);
  cb_cli_note (ctx, "DPS: over %s", cb_dps_client_get_transport (cb_context_get_dps (context))
                                    == CB_DPS_TRANSPORT_MQTT ? "MQTT" : "HTTPS");
  cb_provisioning_config_set_dps_client (config, cb_context_get_dps (context));
  cb_provisioning_config_set_dps_service_client (config, cb_context_get_dps_service (context));
  cb_provisioning_config_set_adr_client (config, cb_context_get_adr (context));
  cb_provisioning_config_set_enrollment_group_key (config, ctx->group_key);
  if (!cb_provisioning_config_set_registration_template (config, o->template_text, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "%s", error->message);
  cb_provisioning_config_set_key_type (config, o->key_type);
  cb_provisioning_config_set_validity_days (config, (guint) o->validity_days);
  cb_provisioning_config_set_journal (config, ctx->journal);
  cb_provisioning_config_set_station (config, o->station ? o->station : g_get_host_name ());
  cb_provisioning_config_set_operator (config, o->operator_name ? o->operator_name
                                                                : g_get_user_name ());
  if (o->device_registers)
    cb_provisioning_config_set_registration_mode (config, CB_REGISTRATION_MODE_DEVICE);
  cb_provisioning_config_set_hub_check (config, !o->no_hub_check);
  cb_provisioning_config_set_modem_sec_tag (config, cb_cli_get_sec_tag (ctx));
  cb_provisioning_config_set_hub_client (config, cb_context_get_hub (context));
  cb_provisioning_config_set_http_client (config, cb_context_get_http (context));
  if (!o->no_hub_check && cb_context_get_hub (context) == NULL)
    cb_cli_note (ctx, "The hub step goes by the device's word: without ARM the twin is not read");
  if (o->trusted_root != NULL)
    {
      g_autofree char *pem = NULL;
      g_autoptr(CbCertificate) root = NULL;
      gsize len = 0;

      if (!g_file_get_contents (o->trusted_root, &pem, &len, &error) ||
          !(root = cb_certificate_new_from_pem (pem, len, &error)))
        return cb_cli_fail (ctx, CB_CLI_EXIT_CONFIG, "--trusted-root: %s", error->message);
      cb_provisioning_config_set_trusted_root (config, root);
    }

  if (!cb_cli_open_device (ctx, &port, &driver, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_DEVICE, "%s", error->message);

  run = cb_provisioning_run_new_for_driver (config, driver, o->port);
  if (o->registration_id != NULL)
    cb_provisioning_run_set_registration_id (run, o->registration_id);
  g_signal_connect (run, "step-changed", G_CALLBACK (on_step_changed), &progress);

  cb_cli_note (ctx, "Provisioning %s with profile “%s”", o->port,
               cb_profile_get_name (cb_context_get_profile (context)));
  cb_provisioning_run_run_async (run, ctx->cancellable, cb_cli_store_result, &async);
  result = cb_provisioning_run_run_finish (run, cb_cli_wait (&async), &error);
  if (result == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_FAILED, "%s", error->message);

  exit_code = cb_cli_exit_for_error (cb_run_result_get_error (result));
  if (o->json)
    print_provision_json (run, result, exit_code);
  else
    print_provision_human (result);

  cb_serial_port_close (port);
  return exit_code;
}

/* Exit codes from the worst down: a usage or set-up problem, then the run's failures, then
 * success. Anything unknown counts as a failure. */
static int
exit_severity (int code)
{
  switch (code)
    {
    case CB_CLI_EXIT_OK: return 0;
    case CB_CLI_EXIT_CANCELLED: return 3;
    case CB_CLI_EXIT_USAGE:
    case CB_CLI_EXIT_CONFIG:
    case CB_CLI_EXIT_JOURNAL: return 2;
    default: return 1;
    }
}

/* Several --port: one process (one sign-in, one session per service, one journal) provisions
 * each port in turn; each port's result is printed and journaled, and the exit code is the
 * worst of them. */
int
cb_cli_cmd_provision (CbCliContext *ctx)
{
  CbCliOptions *o = ctx->options;
  g_autofree char *first = g_steal_pointer (&o->port);
  guint n_ports = o->ports != NULL ? g_strv_length (o->ports) : 0;
  int worst = CB_CLI_EXIT_OK;

  if (n_ports <= 1)
    {
      o->port = g_steal_pointer (&first);
      return provision_port (ctx);
    }
  if (o->registration_id != NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                        "--registration-id names one device: give it with one --port");

  for (guint i = 0; i < n_ports && !g_cancellable_is_cancelled (ctx->cancellable); i++)
    {
      int code;

      g_free (o->port);
      o->port = g_strdup (o->ports[i]);
      code = provision_port (ctx);
      if (exit_severity (code) > exit_severity (worst) ||
          (exit_severity (code) == exit_severity (worst) && code > worst))
        worst = code;
      /* A usage or set-up problem is the same for every port. */
      if (exit_severity (code) == 2)
        break;
    }
  if (g_cancellable_is_cancelled (ctx->cancellable) && worst == CB_CLI_EXIT_OK)
    worst = CB_CLI_EXIT_CANCELLED;

  return worst;
}
