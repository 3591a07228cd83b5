/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>

#include "cb-bench-client.h"
#include "cb-diagnosis.h"
#include "cb-error.h"
#include "cb-hub-certificates-client.h"
#include "cb-journal-export.h"
#include "cb-port-monitor.h"
#include "cb-provisioning-run.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"
#include "cb-udev-port-monitor.h"
#include "cb-util.h"
#include "cbp-group.h"

#include "cb-cli-private.h"
#include "cb-sandbox-client.h"
#include "cb-x509-chain.h"

/* ---- Shared bits ------------------------------------------------------------------------ */

static int
fail (CbCliContext *ctx,
      CbCliExit     code,
      const char   *format,
      ...) G_GNUC_PRINTF (3, 4);

/* Reports an error that stops a command before it produced a result. */
static int
fail (CbCliContext *ctx,
      CbCliExit     code,
      const char   *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, message);
      json_builder_set_member_name (b, "exitCode");
      json_builder_add_int_value (b, code);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      cb_cli_print_json (root);
    }

  fprintf (stderr, "certbench-cli: %s\n", message);
  return code;
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_time (JsonBuilder *b,
          const char  *name,
          gint64       unix_seconds)
{
  g_autofree char *text = unix_seconds != 0 ? cb_time_format_fixed (unix_seconds) : NULL;

  add_string (b, name, text);
}

static char *
chain_to_pem (GPtrArray *chain)
{
  return chain != NULL && chain->len > 0 ? cb_certificate_list_to_pem (chain) : NULL;
}

static gboolean
open_device (CbCliContext    *ctx,
             CbSerialPort   **out_port,
             CbSmpTransport **out_transport,
             CbBenchClient  **out_bench,
             GError         **error)
{
  g_autoptr(CbSerialPort) port = NULL;

  port = cb_serial_port_open (ctx->options->port, (guint) ctx->options->baud, error);
  if (port == NULL)
    return FALSE;

  *out_transport = cb_smp_transport_new (port);
  *out_bench = cb_bench_client_new (*out_transport);
  *out_port = g_steal_pointer (&port);
  return TRUE;
}

/* ---- provision -------------------------------------------------------------------------- */

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

  fprintf (stderr, "  [%2u/%u] %s %-20s %6" G_GINT64_FORMAT " ms  %s\n", index, CB_RUN_N_STEPS,
           state_mark (state), cb_run_step_get_name (step), cb_run_step_get_duration_ms (step),
           state == CB_RUN_STEP_STATE_FAILED || state == CB_RUN_STEP_STATE_CANCELLED
             ? (cb_run_step_get_error (step) ? cb_run_step_get_error (step) : "")
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
  add_string (b, "result", result_word (result));
  json_builder_set_member_name (b, "exitCode");
  json_builder_add_int_value (b, exit_code);
  add_string (b, "failedStep", cb_run_result_get_passed (result)
                                 ? NULL
                                 : cb_run_step_kind_to_name (cb_run_result_get_failed_step (result)));
  add_string (b, "errorCategory", error_category (error));
  add_string (b, "error", error != NULL ? error->message : NULL);
  json_builder_set_member_name (b, "deviceChanged");
  json_builder_add_boolean_value (b, cb_run_result_get_device_changed (result));
  json_builder_set_member_name (b, "outcomeUnknown");
  json_builder_add_boolean_value (b, cb_run_result_get_outcome_unknown (result));
  add_string (b, "port", cb_run_result_get_port (result));
  add_string (b, "deviceSerial", cb_run_result_get_device_serial (result));
  add_string (b, "deviceModel", cb_run_result_get_device_model (result));
  add_string (b, "deviceFirmware", cb_run_result_get_device_firmware (result));
  add_string (b, "registrationId", cb_run_result_get_registration_id (result));
  add_string (b, "hub", cb_run_result_get_hub (result));
  add_string (b, "deviceId", cb_run_result_get_device_id (result));
  add_string (b, "policy", cb_run_result_get_policy (result));
  json_builder_set_member_name (b, "validityDays");
  json_builder_add_int_value (b, cb_run_result_get_validity_days (result));
  add_string (b, "leafSerial", cb_run_result_get_leaf_serial (result));
  add_string (b, "leafSha256", cb_run_result_get_leaf_fingerprint (result));
  add_time (b, "notBefore", cb_run_result_get_not_before (result));
  add_time (b, "notAfter", cb_run_result_get_not_after (result));
  add_string (b, "chainPem", cb_run_result_get_passed (result) ? pem : NULL);
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
      add_string (b, "name", cb_run_step_get_name (step));
      add_string (b, "state", cb_run_step_state_to_string (cb_run_step_get_state (step)));
      json_builder_set_member_name (b, "durationMs");
      json_builder_add_int_value (b, cb_run_step_get_duration_ms (step));
      json_builder_set_member_name (b, "attempts");
      json_builder_add_int_value (b, cb_run_step_get_attempts (step));
      add_string (b, "detail", cb_run_step_get_detail (step));
      add_string (b, "error", cb_run_step_get_error (step));
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

int
cb_cli_cmd_provision (CbCliContext *ctx)
{
  CbCliOptions *o = ctx->options;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSerialPort) port = NULL;
  g_autoptr(CbSmpTransport) transport = NULL;
  g_autoptr(CbBenchClient) bench = NULL;
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbProvisioningRun) run = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(GAsyncResult) async = NULL;
  Progress progress = { .ctx = ctx, .tty = isatty (STDERR_FILENO) };
  int exit_code;

  if (o->port == NULL)
    return fail (ctx, CB_CLI_EXIT_USAGE, "provision needs --port PATH");
  if (o->key_type != NULL && !g_str_equal (o->key_type, CBP_KEY_TYPE_P256) &&
      !g_str_equal (o->key_type, CBP_KEY_TYPE_P384))
    return fail (ctx, CB_CLI_EXIT_USAGE, "--key-type is p256 or p384, not “%s”", o->key_type);
  if (o->validity_days < 0 || o->validity_days > 3650)
    return fail (ctx, CB_CLI_EXIT_USAGE, "--validity-days is out of range");

  if (!cb_cli_context_connect (ctx, &error))
    return fail (ctx, CB_CLI_EXIT_CONFIG, "%s", error->message);
  if (!o->no_journal && !cb_cli_context_open_journal (ctx, &error))
    return fail (ctx, CB_CLI_EXIT_JOURNAL, "The journal could not be opened: %s", error->message);
  if (ctx->group_key == NULL && !o->device_registers)
    return fail (ctx, CB_CLI_EXIT_CONFIG, "There is no enrollment group key for profile “%s” (the "
                 "app stores it in the secret service)", cb_profile_get_name (ctx->profile));

  cb_cli_context_connect_arm (ctx);
  if (ctx->adr == NULL)
    cb_cli_note (ctx, "ARM: %s; the policy's validity comes from --validity-days", ctx->arm_note);

  config = cb_provisioning_config_new (ctx->profile);
  cb_provisioning_config_set_dps_client (config, ctx->dps);
  cb_provisioning_config_set_adr_client (config, ctx->adr);
  cb_provisioning_config_set_enrollment_group_key (config, ctx->group_key);
  if (!cb_provisioning_config_set_registration_template (config, o->template_text, &error))
    return fail (ctx, CB_CLI_EXIT_USAGE, "%s", error->message);
  cb_provisioning_config_set_key_type (config, o->key_type);
  cb_provisioning_config_set_validity_days (config, (guint) o->validity_days);
  cb_provisioning_config_set_journal (config, ctx->journal);
  cb_provisioning_config_set_station (config, o->station ? o->station : g_get_host_name ());
  cb_provisioning_config_set_operator (config, o->operator_name ? o->operator_name
                                                                : g_get_user_name ());
  if (o->device_registers)
    cb_provisioning_config_set_registration_mode (config, CB_REGISTRATION_MODE_DEVICE);
  cb_provisioning_config_set_hub_check (config, !o->no_hub_check);
  cb_provisioning_config_set_hub_client (config, ctx->hub);
  cb_provisioning_config_set_http_client (config, ctx->http);
  if (!o->no_hub_check && ctx->hub == NULL)
    cb_cli_note (ctx, "The hub step goes by the device's word: without ARM the twin is not read");
  if (o->trusted_root != NULL)
    {
      g_autofree char *pem = NULL;
      g_autoptr(CbCertificate) root = NULL;
      gsize len = 0;

      if (!g_file_get_contents (o->trusted_root, &pem, &len, &error) ||
          !(root = cb_certificate_new_from_pem (pem, len, &error)))
        return fail (ctx, CB_CLI_EXIT_CONFIG, "--trusted-root: %s", error->message);
      cb_provisioning_config_set_trusted_root (config, root);
    }

  if (!open_device (ctx, &port, &transport, &bench, &error))
    return fail (ctx, CB_CLI_EXIT_DEVICE, "%s", error->message);

  run = cb_provisioning_run_new (config, bench, o->port);
  if (o->registration_id != NULL)
    cb_provisioning_run_set_registration_id (run, o->registration_id);
  g_signal_connect (run, "step-changed", G_CALLBACK (on_step_changed), &progress);

  cb_cli_note (ctx, "Provisioning %s with profile “%s”", o->port,
               cb_profile_get_name (ctx->profile));
  cb_provisioning_run_run_async (run, ctx->cancellable, cb_cli_store_result, &async);
  result = cb_provisioning_run_run_finish (run, cb_cli_wait (&async), &error);
  if (result == NULL)
    return fail (ctx, CB_CLI_EXIT_FAILED, "%s", error->message);

  exit_code = cb_cli_exit_for_error (cb_run_result_get_error (result));
  if (o->json)
    print_provision_json (run, result, exit_code);
  else
    print_provision_human (result);

  cb_serial_port_close (port);
  return exit_code;
}

/* ---- inspect ---------------------------------------------------------------------------- */

#define DIAGNOSIS_TIMEOUT_S 120

typedef struct
{
  gboolean  known;
  gboolean  accepted;
  char     *verdict;
  char     *reason;
  char     *source;
} Verdict;

static void
verdict_clear (Verdict *v)
{
  g_free (v->verdict);
  g_free (v->reason);
  g_free (v->source);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Verdict, verdict_clear)

/* The sandbox's own judge: the same code decides the MQTT endpoint's TLS handshake. */
static gboolean
ask_sandbox (CbCliContext  *ctx,
             const char    *device_id,
             GPtrArray     *chain,
             Verdict       *v,
             GError       **error)
{
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(CbChainVerdict) answer = NULL;

  cb_sandbox_client_check_chain_async (ctx->http, ctx->profile, device_id, chain,
                                       ctx->cancellable, cb_cli_store_result, &async);
  answer = cb_sandbox_client_check_chain_finish (cb_cli_wait (&async), error);
  if (answer == NULL)
    return FALSE;

  v->known = TRUE;
  v->accepted = answer->accepted;
  v->verdict = g_steal_pointer (&answer->verdict);
  v->reason = g_steal_pointer (&answer->reason);
  v->source = g_strdup ("sandbox check-chain");
  return TRUE;
}

/* Azure: what can be known from ARM. The per-device revocation identifier is not published, so
 * a revoked device cannot be told from here: the verdict says so. */
static void
ask_arm (CbCliContext *ctx,
         GPtrArray    *chain,
         const char   *local_problem,
         Verdict      *v)
{
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;
  CbCertificate *issuer = chain->len > 1 ? g_ptr_array_index (chain, 1) : NULL;
  gboolean found = FALSE;

  v->source = g_strdup ("local checks and ARM");

  if (local_problem != NULL)
    {
      v->known = TRUE;
      v->accepted = FALSE;
      v->verdict = g_strdup ("bad-chain");
      v->reason = g_strdup (local_problem);
      return;
    }

  cb_cli_context_connect_arm (ctx);
  if (ctx->adr == NULL)
    {
      v->verdict = g_strdup ("unknown");
      v->reason = g_strdup_printf ("the chain is valid, but the hub's CA list cannot be read: %s",
                                   ctx->arm_note);
      return;
    }

  cb_adr_client_list_hub_certificates_async (ctx->adr, ctx->cancellable, cb_cli_store_result,
                                             &async);
  certs = cb_adr_client_list_hub_certificates_finish (ctx->adr, cb_cli_wait (&async), &error);
  if (certs == NULL)
    {
      v->verdict = g_strdup ("unknown");
      v->reason = g_strdup_printf ("the hub's CA list cannot be read: %s", error->message);
      return;
    }

  for (guint i = 0; issuer != NULL && i < certs->len && !found; i++)
    {
      g_autoptr(CbCertificate) cert =
        cb_certificate_new_from_text (cb_hub_certificate_get_certificate (g_ptr_array_index (certs, i)));
      found = cert != NULL && cb_certificate_equal (cert, issuer);
    }

  v->known = TRUE;
  if (!found)
    {
      v->accepted = FALSE;
      v->verdict = g_strdup ("unknown-issuer");
      v->reason = g_strdup_printf ("the issuing CA %s is not among hub %s's CA certificates "
                                   "(its policy was revoked or deleted, or the credential was "
                                   "not synchronised)",
                                   issuer ? cb_certificate_get_subject (issuer) : "?",
                                   cb_profile_get_hub_name (ctx->profile));
      return;
    }

  v->accepted = TRUE;
  v->verdict = g_strdup ("accepted");
  v->reason = g_strdup ("the chain is valid and its issuing CA is on the hub; whether the device "
                        "itself was revoked cannot be read from Azure");
}

/* What the device says of its hub connection and its last renewal (diag). */
static void
print_hub_and_renewal (CbDeviceDiag *diag)
{
  const char *state = cb_device_diag_get_hub_state (diag);
  const char *renew = cb_device_diag_get_renew_state (diag);

  if (state == NULL)
    printf ("Hub connection  not reported by the device\n");
  else
    {
      const char *hub_error = cb_device_diag_get_hub_error (diag);
      g_autofree char *since = cb_device_diag_get_hub_time (diag) != 0
                                 ? cb_time_format_fixed (cb_device_diag_get_hub_time (diag)) : NULL;

      printf ("Hub connection  %s%s%s%s%s%s%s%s\n", state,
              cb_device_diag_get_hub (diag) ? " (" : "",
              cb_device_diag_get_hub (diag) ? cb_device_diag_get_hub (diag) : "",
              cb_device_diag_get_hub (diag) ? ")" : "",
              since ? " since " : "", since ? since : "",
              hub_error && *hub_error ? ": " : "", hub_error && *hub_error ? hub_error : "");
    }

  if (renew == NULL)
    printf ("Last renewal    none yet\n");
  else
    {
      const char *renew_error = cb_device_diag_get_renew_error (diag);
      g_autofree char *at = cb_device_diag_get_renew_time (diag) != 0
                              ? cb_time_format_fixed (cb_device_diag_get_renew_time (diag)) : NULL;

      printf ("Last renewal    %s%s%s%s%s\n", renew, at ? " at " : "", at ? at : "",
              renew_error && *renew_error ? ": " : "",
              renew_error && *renew_error ? renew_error : "");
    }
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The Diagnostics page's checks, from the same core diagnosis on a context for this profile
 * (with --no-arm it stays unconnected, and the checks that ask the services say so). */
static CbDiagnosis *
run_diagnosis (CbCliContext *ctx)
{
  g_autoptr(CbContext) context = cb_context_new_for_profile (ctx->profile, ctx->secrets);
  g_autoptr(CbDiagnosis) diagnosis = cb_diagnosis_new (context);
  g_autoptr(GCancellable) timeout = g_cancellable_new ();
  guint timeout_id = g_timeout_add_seconds (DIAGNOSIS_TIMEOUT_S, cancel_cb, timeout);

  if (!ctx->options->no_arm)
    {
      cb_context_start (context);
      while (cb_context_get_state (context) == CB_CONTEXT_STATE_STARTING &&
             !g_cancellable_is_cancelled (timeout) &&
             !g_cancellable_is_cancelled (ctx->cancellable))
        g_main_context_iteration (NULL, TRUE);
    }

  cb_diagnosis_run (diagnosis, ctx->options->port, (guint) ctx->options->baud);
  while (cb_diagnosis_get_running (diagnosis))
    {
      if (g_cancellable_is_cancelled (timeout) || g_cancellable_is_cancelled (ctx->cancellable))
        cb_diagnosis_cancel (diagnosis);
      g_main_context_iteration (NULL, TRUE);
    }

  if (!g_cancellable_is_cancelled (timeout))
    g_source_remove (timeout_id);
  cb_context_shutdown (context);
  return g_steal_pointer (&diagnosis);
}

static void
add_findings (JsonBuilder *b,
              CbDiagnosis *diagnosis)
{
  GListModel *checks = cb_diagnosis_get_checks (diagnosis);
  CbDeviceState state;
  const char *reason;

  json_builder_set_member_name (b, "findings");
  json_builder_begin_array (b);
  for (guint i = 0; i < g_list_model_get_n_items (checks); i++)
    {
      g_autoptr(CbDiagnosticCheck) check = g_list_model_get_item (checks, i);

      json_builder_begin_object (b);
      add_string (b, "id", cb_diagnostic_check_get_id (check));
      add_string (b, "title", cb_diagnostic_check_get_title (check));
      add_string (b, "status", cb_check_status_to_string (cb_diagnostic_check_get_status (check)));
      add_string (b, "detail", cb_diagnostic_check_get_detail (check));
      add_string (b, "advice", cb_diagnostic_check_get_advice (check));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  if (cb_diagnosis_get_state (diagnosis, &state, &reason))
    {
      json_builder_set_member_name (b, "state");
      json_builder_begin_object (b);
      add_string (b, "state", cb_device_state_to_string (state));
      add_string (b, "reason", reason);
      json_builder_end_object (b);
    }
}

int
cb_cli_cmd_inspect (CbCliContext *ctx)
{
  CbCliOptions *o = ctx->options;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) chain_error = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(CbSerialPort) port = NULL;
  g_autoptr(CbSmpTransport) transport = NULL;
  g_autoptr(CbBenchClient) bench = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(CbDeviceDiag) diag = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
  g_autoptr(CbPopResult) pop = NULL;
  g_autoptr(GAsyncResult) a1 = NULL;
  g_autoptr(GAsyncResult) a2 = NULL;
  g_autoptr(GAsyncResult) a3 = NULL;
  g_autoptr(GAsyncResult) a4 = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *pop_note = NULL;
  g_auto(Verdict) verdict = { 0, };
  g_autoptr(CbDiagnosis) diagnosis = NULL;
  gint64 now;
  gboolean pop_ok = FALSE;
  CbCertificate *leaf;
  int exit_code;

  if (o->port == NULL)
    return fail (ctx, CB_CLI_EXIT_USAGE, "inspect needs --port PATH");

  if (!cb_cli_context_connect (ctx, &error))
    return fail (ctx, CB_CLI_EXIT_CONFIG, "%s", error->message);
  if (!open_device (ctx, &port, &transport, &bench, &error))
    return fail (ctx, CB_CLI_EXIT_DEVICE, "%s", error->message);

  cb_bench_client_identify_async (bench, ctx->cancellable, cb_cli_store_result, &a1);
  info = cb_bench_client_identify_finish (bench, cb_cli_wait (&a1), &error);
  if (info == NULL)
    return fail (ctx, cb_cli_exit_for_error (error), "The device does not identify: %s",
                 error->message);

  cb_bench_client_diag_async (bench, ctx->cancellable, cb_cli_store_result, &a2);
  diag = cb_bench_client_diag_finish (bench, cb_cli_wait (&a2), NULL);

  cb_bench_client_get_chain_async (bench, NULL, ctx->cancellable, cb_cli_store_result, &a3);
  blob = cb_bench_client_get_chain_finish (bench, cb_cli_wait (&a3), &error);
  if (blob == NULL)
    {
      if (g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC) &&
          cb_smp_error_get_rc (error) == CBP_RC_NO_CERT)
        return fail (ctx, CB_CLI_EXIT_NO_CERTIFICATE, "Device %s on %s has no certificate",
                     cb_device_info_get_serial (info), o->port);
      return fail (ctx, cb_cli_exit_for_error (error), "The chain could not be read: %s",
                   error->message);
    }

  chain = cb_provisioning_split_chain (blob, &chain_error);
  if (chain == NULL)
    return fail (ctx, CB_CLI_EXIT_REJECTED, "The device's chain cannot be read: %s",
                 chain_error->message);
  leaf = g_ptr_array_index (chain, 0);
  pem = cb_certificate_list_to_pem (chain);

  if (o->pem_path != NULL)
    {
      g_autoptr(GError) write_error = NULL;

      if (!g_file_set_contents (o->pem_path, pem, -1, &write_error))
        return fail (ctx, CB_CLI_EXIT_FAILED, "Cannot write %s: %s", o->pem_path,
                     write_error->message);
    }

  /* Does the device still hold the leaf's key? A fresh challenge says so. */
  {
    guint8 challenge[CBP_CHALLENGE_LEN];
    g_autoptr(GBytes) bytes = NULL;

    gnutls_rnd (GNUTLS_RND_NONCE, challenge, sizeof challenge);
    bytes = g_bytes_new (challenge, sizeof challenge);
    cb_bench_client_pop_async (bench, bytes, ctx->cancellable, cb_cli_store_result, &a4);
    pop = cb_bench_client_pop_finish (bench, cb_cli_wait (&a4), &error);
    if (pop != NULL)
      {
        g_autoptr(GBytes) message = cb_bench_pop_message (bytes);
        g_autoptr(GBytes) leaf_key = cb_certificate_get_public_key_der (leaf);
        g_autoptr(GError) verify_error = NULL;

        pop_ok = cb_pki_verify_signature (leaf_key, g_bytes_get_data (message, NULL),
                                          g_bytes_get_size (message), pop->signature,
                                          &verify_error);
        pop_note = pop_ok ? g_strdup ("the device proved it holds the leaf's key")
                          : g_strdup_printf ("the device's signature does not verify with the "
                                             "leaf's key: %s", verify_error->message);
      }
    else
      pop_note = g_strdup_printf ("proof of possession failed: %s", error->message);
    g_clear_error (&error);
  }

  if (ctx->is_sandbox && ctx->sandbox_base != NULL &&
      !ask_sandbox (ctx, cb_certificate_get_common_name (leaf), chain, &verdict, &error))
    return fail (ctx, CB_CLI_EXIT_SERVICE, "The sandbox could not judge the chain: %s",
                 error->message);

  /* Local check: the chain verifies to the root it carries, now on the service's clock (a
   * sandbox may run fast; the service's answers carried its time). */
  now = cb_http_client_get_server_now (ctx->http);
  g_ptr_array_add (anchors, g_ptr_array_index (chain, chain->len - 1));
  cb_x509_verify_chain (chain, anchors, now, &local_error);

  if (!(ctx->is_sandbox && ctx->sandbox_base != NULL))
    ask_arm (ctx, chain, local_error ? local_error->message : NULL, &verdict);

  exit_code = !verdict.known ? CB_CLI_EXIT_SERVICE
              : verdict.accepted ? CB_CLI_EXIT_OK : CB_CLI_EXIT_REJECTED;

  /* The port is free again for the diagnosis. */
  cb_serial_port_close (port);
  diagnosis = run_diagnosis (ctx);

  if (o->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      add_string (b, "port", o->port);
      json_builder_set_member_name (b, "exitCode");
      json_builder_add_int_value (b, exit_code);
      json_builder_set_member_name (b, "device");
      json_builder_begin_object (b);
      add_string (b, "serial", cb_device_info_get_serial (info));
      add_string (b, "model", cb_device_info_get_model (info));
      add_string (b, "firmware", cb_device_info_get_firmware (info));
      if (diag != NULL)
        {
          add_time (b, "clock", cb_device_diag_get_time (diag));
          add_string (b, "lastTlsError", cb_device_diag_get_tls_error (diag));
          add_string (b, "lastDpsError", cb_device_diag_get_dps_error (diag));
          if (cb_device_diag_get_has_validity (diag))
            add_time (b, "renewAt", cb_device_diag_get_renew_at (diag));
          add_string (b, "hubHost", cb_device_diag_get_hub (diag));
          add_string (b, "hubState", cb_device_diag_get_hub_state (diag));
          add_string (b, "hubError", cb_device_diag_get_hub_error (diag));
          add_time (b, "hubSince", cb_device_diag_get_hub_time (diag));
          add_string (b, "renewState", cb_device_diag_get_renew_state (diag));
          add_string (b, "renewError", cb_device_diag_get_renew_error (diag));
          add_time (b, "renewTime", cb_device_diag_get_renew_time (diag));
        }
      json_builder_end_object (b);

      json_builder_set_member_name (b, "chain");
      json_builder_begin_array (b);
      for (guint i = 0; i < chain->len; i++)
        {
          CbCertificate *cert = g_ptr_array_index (chain, i);

          json_builder_begin_object (b);
          add_string (b, "subject", cb_certificate_get_subject (cert));
          add_string (b, "issuer", cb_certificate_get_issuer (cert));
          add_string (b, "serial", cb_certificate_get_serial (cert));
          add_time (b, "notBefore", cb_certificate_get_not_before (cert));
          add_time (b, "notAfter", cb_certificate_get_not_after (cert));
          json_builder_set_member_name (b, "daysLeft");
          json_builder_add_int_value (b, cb_validity_get_days_left (cb_certificate_get_not_after (cert),
                                                                    now));
          add_string (b, "state", cb_validity_state_to_string (
                        cb_certificate_get_validity_state (cert, now, CB_DEFAULT_RENEWAL_FRACTION)));
          add_string (b, "sha256", cb_certificate_get_sha256_fingerprint (cert));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      add_string (b, "chainPem", pem);

      json_builder_set_member_name (b, "proofOfPossession");
      json_builder_add_boolean_value (b, pop_ok);
      add_string (b, "localCheck", local_error ? local_error->message : "ok");

      json_builder_set_member_name (b, "hub");
      json_builder_begin_object (b);
      add_string (b, "name", cb_profile_get_hub_name (ctx->profile));
      add_string (b, "deviceId", cb_certificate_get_common_name (leaf));
      json_builder_set_member_name (b, "accepted");
      if (verdict.known)
        json_builder_add_boolean_value (b, verdict.accepted);
      else
        json_builder_add_null_value (b);
      add_string (b, "verdict", verdict.verdict);
      add_string (b, "reason", verdict.reason);
      add_string (b, "source", verdict.source);
      json_builder_end_object (b);
      add_findings (b, diagnosis);
      json_builder_end_object (b);

      root = json_builder_get_root (b);
      cb_cli_print_json (root);
    }
  else
    {
      printf ("Device %s (%s, firmware %s) on %s\n", cb_device_info_get_serial (info),
              cb_device_info_get_model (info) ? cb_device_info_get_model (info) : "?",
              cb_device_info_get_firmware (info) ? cb_device_info_get_firmware (info) : "?",
              o->port);
      printf ("Chain of %u certificate(s):\n", chain->len);
      for (guint i = 0; i < chain->len; i++)
        {
          CbCertificate *cert = g_ptr_array_index (chain, i);
          g_autofree char *from = cb_time_format_fixed (cb_certificate_get_not_before (cert));
          g_autofree char *until = cb_time_format_fixed (cb_certificate_get_not_after (cert));
          CbValidityState state = cb_certificate_get_validity_state (cert, now,
                                                                      CB_DEFAULT_RENEWAL_FRACTION);

          printf ("  [%u] %s\n", i, cb_certificate_get_subject (cert));
          printf ("      issuer   %s\n", cb_certificate_get_issuer (cert));
          printf ("      serial   %s\n", cb_certificate_get_serial (cert));
          printf ("      valid    %s until %s (%d days left, %s)\n", from, until,
                  cb_validity_get_days_left (cb_certificate_get_not_after (cert), now),
                  cb_validity_state_to_string (state));
          printf ("      SHA-256  %s\n", cb_certificate_get_sha256_fingerprint (cert));
        }
      if (diag != NULL && cb_device_diag_get_has_validity (diag))
        {
          g_autofree char *renew = cb_time_format_fixed (cb_device_diag_get_renew_at (diag));
          printf ("Renewal point   %s\n", renew);
        }
      if (diag != NULL && cb_device_diag_get_dps_error (diag) != NULL)
        printf ("Last DPS error  %s\n", cb_device_diag_get_dps_error (diag));
      if (diag != NULL && cb_device_diag_get_tls_error (diag) != NULL)
        printf ("Last TLS error  %s\n", cb_device_diag_get_tls_error (diag));
      if (diag != NULL)
        print_hub_and_renewal (diag);
      printf ("Key             %s\n", pop_note);
      printf ("Chain           %s\n", local_error ? local_error->message
                                                  : "verifies to its root, now");
      if (!verdict.known)
        printf ("Hub %s: UNKNOWN  %s\n", cb_profile_get_hub_name (ctx->profile), verdict.reason);
      else
        printf ("Hub %s: %s  %s: %s (%s)\n", cb_profile_get_hub_name (ctx->profile),
                verdict.accepted ? "ACCEPTED" : "REJECTED", verdict.verdict,
                verdict.reason ? verdict.reason : "", verdict.source);
      {
        g_autofree char *findings = cb_diagnosis_dup_findings_text (diagnosis);
        CbDeviceState state;
        const char *reason;

        printf ("Findings (the Diagnostics page's checks):\n%s", findings);
        if (cb_diagnosis_get_state (diagnosis, &state, &reason))
          printf ("State           %s: %s\n", cb_device_state_to_label (state), reason);
      }
      fflush (stdout);
    }

  return exit_code;
}

/* ---- ports ------------------------------------------------------------------------------ */

static void
print_port (CbCliContext     *ctx,
            const char       *event,
            CbSerialPortInfo *info)
{
  g_autofree char *name = cb_serial_port_info_dup_display_name (info);

  if (ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;
      g_autofree char *vid = g_strdup_printf ("%04x", cb_serial_port_info_get_vendor_id (info));
      g_autofree char *pid = g_strdup_printf ("%04x", cb_serial_port_info_get_product_id (info));

      json_builder_begin_object (b);
      if (event != NULL)
        add_string (b, "event", event);
      add_string (b, "path", cb_serial_port_info_get_path (info));
      add_string (b, "name", name);
      add_string (b, "vendorId", vid);
      add_string (b, "productId", pid);
      add_string (b, "vendor", cb_serial_port_info_get_vendor_name (info));
      add_string (b, "product", cb_serial_port_info_get_product_name (info));
      add_string (b, "serialNumber", cb_serial_port_info_get_serial_number (info));
      json_builder_set_member_name (b, "virtual");
      json_builder_add_boolean_value (b, cb_serial_port_info_get_is_virtual (info));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      /* One object a line, so --watch output can be read line by line. */
      json_generator_set_root (generator, root);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
    }
  else
    printf ("%s%-24s %04x:%04x  %-40s %s\n", event != NULL ? event : "",
            cb_serial_port_info_get_path (info), cb_serial_port_info_get_vendor_id (info),
            cb_serial_port_info_get_product_id (info), name,
            cb_serial_port_info_get_serial_number (info) ? cb_serial_port_info_get_serial_number (info)
                                                         : "");
  fflush (stdout);
}

static void
on_port_added (CbPortMonitor    *monitor,
               CbSerialPortInfo *info,
               CbCliContext     *ctx)
{
  print_port (ctx, ctx->options->json ? "added" : "+ ", info);
}

static void
on_port_removed (CbPortMonitor    *monitor,
                 CbSerialPortInfo *info,
                 CbCliContext     *ctx)
{
  print_port (ctx, ctx->options->json ? "removed" : "- ", info);
}

int
cb_cli_cmd_ports (CbCliContext *ctx)
{
  g_autoptr(CbPortMonitor) monitor = cb_udev_port_monitor_new ();
  GListModel *ports;
  guint n;

  cb_port_monitor_start (monitor);
  ports = cb_port_monitor_get_ports (monitor);
  n = g_list_model_get_n_items (ports);

  if (ctx->options->json && !ctx->options->watch)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(CbSerialPortInfo) info = g_list_model_get_item (ports, i);
          g_autofree char *name = cb_serial_port_info_dup_display_name (info);

          json_builder_begin_object (b);
          add_string (b, "path", cb_serial_port_info_get_path (info));
          add_string (b, "name", name);
          add_string (b, "vendor", cb_serial_port_info_get_vendor_name (info));
          add_string (b, "product", cb_serial_port_info_get_product_name (info));
          add_string (b, "serialNumber", cb_serial_port_info_get_serial_number (info));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      cb_cli_print_json (root);
      return CB_CLI_EXIT_OK;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbSerialPortInfo) info = g_list_model_get_item (ports, i);
      print_port (ctx, NULL, info);
    }
  if (n == 0 && !ctx->options->json)
    cb_cli_note (ctx, "No USB serial ports. (A simulated device's pty is not listed: pass its "
                 "path to --port.)");

  if (!ctx->options->watch)
    return CB_CLI_EXIT_OK;

  g_signal_connect (monitor, "port-added", G_CALLBACK (on_port_added), ctx);
  g_signal_connect (monitor, "port-removed", G_CALLBACK (on_port_removed), ctx);
  cb_cli_note (ctx, "Watching for ports; Ctrl+C stops.");
  while (!g_cancellable_is_cancelled (ctx->cancellable))
    g_main_context_iteration (NULL, TRUE);

  return CB_CLI_EXIT_OK;
}

/* ---- journal ---------------------------------------------------------------------------- */

static gboolean
parse_time (const char  *text,
            gint64      *out_usec,
            GError     **error)
{
  gint64 seconds;

  if (!cb_time_parse_iso8601 (text, &seconds))
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (text, NULL);
      g_autofree char *with_time = g_strconcat (text, "T00:00:00Z", NULL);

      /* A bare date means its start, UTC. */
      if (dt == NULL && !cb_time_parse_iso8601 (with_time, &seconds))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "“%s” is not an ISO 8601 time (e.g. 2026-03-01T08:00:00Z)", text);
          return FALSE;
        }
      if (dt != NULL)
        seconds = g_date_time_to_unix (dt);
    }

  *out_usec = seconds * G_USEC_PER_SEC;
  return TRUE;
}

int
cb_cli_cmd_journal (CbCliContext *ctx)
{
  CbCliOptions *o = ctx->options;
  g_autoptr(GError) error = NULL;
  CbJournalFilter filter = { 0, };
  CbJournalExportFormat format;
  g_autoptr(GOutputStream) out = NULL;

  if (o->subcommand == NULL ||
      (!g_str_equal (o->subcommand, "list") && !g_str_equal (o->subcommand, "export")))
    return fail (ctx, CB_CLI_EXIT_USAGE, "journal needs “list” or “export”");

  if (o->result != NULL)
    {
      if (!cb_journal_result_from_string (o->result, &filter.result))
        return fail (ctx, CB_CLI_EXIT_USAGE, "--result is one of pass, fail, cancelled, "
                     "interrupted, running; not “%s”", o->result);
      if (filter.result == CB_JOURNAL_RESULT_NONE)
        filter.only_running = TRUE;
    }
  filter.device_serial = o->serial;
  filter.registration_id = o->registration_id;
  filter.port = o->port;
  filter.limit = o->limit > 0 ? (guint) o->limit : 0;
  if (o->since != NULL && !parse_time (o->since, &filter.started_after, &error))
    return fail (ctx, CB_CLI_EXIT_USAGE, "--since: %s", error->message);
  if (o->until != NULL && !parse_time (o->until, &filter.started_before, &error))
    return fail (ctx, CB_CLI_EXIT_USAGE, "--until: %s", error->message);

  if (!cb_cli_context_open_journal (ctx, &error))
    return fail (ctx, CB_CLI_EXIT_JOURNAL, "The journal could not be opened: %s", error->message);

  if (g_str_equal (o->subcommand, "list") && !o->json)
    {
      g_autoptr(GPtrArray) runs = cb_journal_list_runs (ctx->journal, &filter, &error);

      if (runs == NULL)
        return fail (ctx, CB_CLI_EXIT_JOURNAL, "%s", error->message);

      printf ("%-24s %-11s %-18s %-28s %s\n", "STARTED", "RESULT", "SERIAL", "REGISTRATION ID",
              "DETAIL");
      for (guint i = 0; i < runs->len; i++)
        {
          CbJournalRun *run = g_ptr_array_index (runs, i);
          g_autofree char *started = cb_time_format_precise (cb_journal_run_get_started (run));
          g_autofree char *detail = NULL;

          if (cb_journal_run_get_result (run) == CB_JOURNAL_RESULT_PASS)
            detail = g_strdup_printf ("leaf %s", cb_journal_run_get_leaf_serial (run));
          else if (cb_journal_run_get_error (run) != NULL)
            detail = g_strdup (cb_journal_run_get_error (run));
          else
            detail = g_strdup (cb_journal_run_get_port (run) ? cb_journal_run_get_port (run) : "");

          printf ("%-24s %-11s %-18s %-28s %s\n", started,
                  cb_journal_result_to_string (cb_journal_run_get_result (run)),
                  cb_journal_run_get_device_serial (run) ? cb_journal_run_get_device_serial (run)
                                                         : "-",
                  cb_journal_run_get_registration_id (run) ? cb_journal_run_get_registration_id (run)
                                                           : "-",
                  detail);
        }
      return CB_CLI_EXIT_OK;
    }

  /* list --json is the JSON export; export needs exactly one format. */
  if (g_str_equal (o->subcommand, "list"))
    format = CB_JOURNAL_EXPORT_JSON;
  else if ((o->csv ? 1 : 0) + (o->csv_steps ? 1 : 0) + (o->json ? 1 : 0) != 1)
    return fail (ctx, CB_CLI_EXIT_USAGE, "journal export needs one of --csv, --csv-steps, --json");
  else
    format = o->csv ? CB_JOURNAL_EXPORT_CSV
             : o->csv_steps ? CB_JOURNAL_EXPORT_CSV_STEPS : CB_JOURNAL_EXPORT_JSON;

  if (o->output != NULL && g_str_equal (o->subcommand, "export"))
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (o->output);

      if (!cb_journal_export_to_file (ctx->journal, &filter, format, file, G_FILE_CREATE_NONE,
                                      ctx->cancellable, &error))
        /* The file could not be written (G_IO_ERROR): not the device's fault. */
        return fail (ctx, error->domain == G_IO_ERROR ? CB_CLI_EXIT_FAILED
                                                      : cb_cli_exit_for_error (error),
                     "%s", error->message);
      return CB_CLI_EXIT_OK;
    }

  out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  if (!cb_journal_export (ctx->journal, &filter, format, out, ctx->cancellable, &error) ||
      !g_output_stream_close (out, ctx->cancellable, &error))
    return fail (ctx, cb_cli_exit_for_error (error), "%s", error->message);

  return CB_CLI_EXIT_OK;
}

/* ---- devsim ----------------------------------------------------------------------------- */

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
