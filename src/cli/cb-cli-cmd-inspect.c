/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `inspect` command: reads what the device on --port holds, asks the sandbox or ARM whether
 * its chain is accepted, runs the diagnosis and prints the verdict as text or JSON.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <stdio.h>
#include <gnutls/crypto.h>

#include "cb-x509-chain.h"
#include "cb-hub-certificates-client.h"
#include "cb-bench-client.h"
#include "cb-diagnosis.h"
#include "cb-error.h"
#include "cb-provisioning-chain.h"
#include "cb-sandbox-client.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"
#include "cb-util.h"
#include "cbp-group.h"

#include "cb-cli-cmd-inspect.h"
#include "cb-cli-shared.h"

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

  cb_sandbox_client_check_chain_async (cb_context_get_http (ctx->context),
                                       cb_context_get_profile (ctx->context), device_id, chain,
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
  CbAdrClient *adr;
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
  adr = cb_context_get_adr (ctx->context);
  if (adr == NULL)
    {
      v->verdict = g_strdup ("unknown");
      v->reason = g_strdup_printf ("the chain is valid, but the hub's CA list cannot be read: %s",
                                   ctx->arm_note);
      return;
    }

  cb_adr_client_list_hub_certificates_async (adr, ctx->cancellable, cb_cli_store_result, &async);
  certs = cb_adr_client_list_hub_certificates_finish (adr, cb_cli_wait (&async), &error);
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
                                   cb_profile_get_hub_name (cb_context_get_profile (ctx->context)));
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

/* The Diagnostics page's checks, from the same core diagnosis on this command's context, signed
 * in to ARM if it can be. With --no-arm it runs on a context for the profile that is not
 * started: no service is asked, and the checks that need one say so. */
static CbDiagnosis *
run_diagnosis (CbCliContext *ctx,
               const char   *driver_name)
{
  g_autoptr(CbContext) offline = NULL;
  g_autoptr(CbDiagnosis) diagnosis = NULL;
  g_autoptr(GCancellable) timeout = g_cancellable_new ();
  CbContext *context = ctx->context;
  guint timeout_id;

  if (ctx->options->no_arm)
    context = offline = cb_context_new_for_profile (cb_context_get_profile (ctx->context), NULL,
                                                    cb_context_get_secrets (ctx->context),
                                                    CB_CONTEXT_FLAGS_NO_PORT_MONITOR |
                                                    CB_CONTEXT_FLAGS_NO_ARM);
  else
    cb_cli_context_connect_arm (ctx);

  diagnosis = cb_diagnosis_new (context);
  cb_diagnosis_set_driver_name (diagnosis, driver_name);
  timeout_id = g_timeout_add_seconds (DIAGNOSIS_TIMEOUT_S, cancel_cb, timeout);
  cb_diagnosis_run (diagnosis, ctx->options->port, (guint) ctx->options->baud);
  while (cb_diagnosis_get_running (diagnosis))
    {
      if (g_cancellable_is_cancelled (timeout) || g_cancellable_is_cancelled (ctx->cancellable))
        cb_diagnosis_cancel (diagnosis);
      g_main_context_iteration (NULL, TRUE);
    }

  if (!g_cancellable_is_cancelled (timeout))
    g_source_remove (timeout_id);
  if (offline != NULL)
    cb_context_shutdown (offline);
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
      cb_cli_add_string (b, "id", cb_diagnostic_check_get_id (check));
      cb_cli_add_string (b, "title", cb_diagnostic_check_get_title (check));
      cb_cli_add_string (b, "status", cb_check_status_to_string (cb_diagnostic_check_get_status (check)));
      cb_cli_add_string (b, "detail", cb_diagnostic_check_get_detail (check));
      cb_cli_add_string (b, "advice", cb_diagnostic_check_get_advice (check));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  if (cb_diagnosis_get_state (diagnosis, &state, &reason))
    {
      json_builder_set_member_name (b, "state");
      json_builder_begin_object (b);
      cb_cli_add_string (b, "state", cb_device_state_to_string (state));
      cb_cli_add_string (b, "reason", reason);
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
  g_autoptr(CbDeviceDriver) driver = NULL;
  g_autofree char *driver_problem = cb_cli_check_driver_option (ctx);
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(CbDeviceDiag) diag = NULL;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
  g_autoptr(CbDevicePossession) pop = NULL;
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
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "inspect needs --port PATH");
  if (driver_problem != NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "%s", driver_problem);

  if (!cb_cli_context_connect (ctx, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_CONFIG, "%s", error->message);
  if (!cb_cli_open_device (ctx, &port, &driver, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_DEVICE, "%s", error->message);

  cb_device_driver_identify_async (driver, ctx->cancellable, cb_cli_store_result, &a1);
  info = cb_device_driver_identify_finish (driver, cb_cli_wait (&a1), &error);
  if (info == NULL)
    return cb_cli_fail (ctx, cb_cli_exit_for_error (error), "The device does not identify: %s",
                 error->message);

  cb_device_driver_diagnose_async (driver, ctx->cancellable, cb_cli_store_result, &a2);
  diag = cb_device_driver_diagnose_finish (driver, cb_cli_wait (&a2), NULL);

  cb_device_driver_read_chain_async (driver, CB_DEVICE_SLOT_ACTIVE, ctx->cancellable,
                                     cb_cli_store_result, &a3);
  blob = cb_device_driver_read_chain_finish (driver, cb_cli_wait (&a3), &error);
  if (blob == NULL)
    {
      if ((g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC) &&
           cb_smp_error_get_rc (error) == CBP_RC_NO_CERT) ||
          g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NO_CHAIN))
        return cb_cli_fail (ctx, CB_CLI_EXIT_NO_CERTIFICATE, "Device %s on %s has no certificate",
                     cb_device_info_get_serial (info), o->port);
      return cb_cli_fail (ctx, cb_cli_exit_for_error (error), "The chain could not be read: %s",
                   error->message);
    }

  chain = cb_provisioning_split_chain (blob, &chain_error);
  if (chain == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_REJECTED, "The device's chain cannot be read: %s",
                 chain_error->message);
  leaf = g_ptr_array_index (chain, 0);
  pem = cb_certificate_list_to_pem (chain);

  if (o->pem_path != NULL)
    {
      g_autoptr(GError) write_error = NULL;

      if (!g_file_set_contents (o->pem_path, pem, -1, &write_error))
        return cb_cli_fail (ctx, CB_CLI_EXIT_FAILED, "Cannot write %s: %s", o->pem_path,
                     write_error->message);
    }

  /* Does the device still hold the leaf's key? A fresh challenge says so. */
  {
    guint8 challenge[CBP_CHALLENGE_LEN];
    g_autoptr(GBytes) bytes = NULL;

    gnutls_rnd (GNUTLS_RND_NONCE, challenge, sizeof challenge);
    bytes = g_bytes_new (challenge, sizeof challenge);
    cb_device_driver_prove_possession_async (driver, bytes, ctx->cancellable,
                                             cb_cli_store_result, &a4);
    pop = cb_device_driver_prove_possession_finish (driver, cb_cli_wait (&a4), &error);
    if (pop != NULL)
      {
        g_autoptr(GBytes) leaf_key = cb_certificate_get_public_key_der (leaf);
        g_autoptr(GError) verify_error = NULL;

        pop_ok = cb_pki_verify_signature (leaf_key, g_bytes_get_data (pop->signed_data, NULL),
                                          g_bytes_get_size (pop->signed_data), pop->signature,
                                          &verify_error);
        pop_note = pop_ok ? g_strdup ("the device proved it holds the leaf's key")
                          : g_strdup_printf ("the device's signature does not verify with the "
                                             "leaf's key: %s", verify_error->message);
      }
    else if (g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED))
      pop_note = g_strdup_printf ("proof of possession: not supported by this device: %s",
                                  error->message);
    else
      pop_note = g_strdup_printf ("proof of possession failed: %s", error->message);
    g_clear_error (&error);
  }

  if (ctx->is_sandbox &&
      !ask_sandbox (ctx, cb_certificate_get_common_name (leaf), chain, &verdict, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_SERVICE, "The sandbox could not judge the chain: %s",
                 error->message);

  /* Local check: the chain verifies to the root it carries, now on the service's clock (a
   * sandbox may run fast; the service's answers carried its time). */
  now = cb_http_client_get_server_now (cb_context_get_http (ctx->context));
  g_ptr_array_add (anchors, g_ptr_array_index (chain, chain->len - 1));
  cb_x509_verify_chain (chain, anchors, now, &local_error);

  if (!ctx->is_sandbox)
    ask_arm (ctx, chain, local_error ? local_error->message : NULL, &verdict);

  exit_code = !verdict.known ? CB_CLI_EXIT_SERVICE
              : verdict.accepted ? CB_CLI_EXIT_OK : CB_CLI_EXIT_REJECTED;

  /* The port is free again for the diagnosis. */
  cb_serial_port_close (port);
  diagnosis = run_diagnosis (ctx, cb_device_driver_get_name (driver));

  if (o->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      cb_cli_add_string (b, "port", o->port);
      json_builder_set_member_name (b, "exitCode");
      json_builder_add_int_value (b, exit_code);
      json_builder_set_member_name (b, "device");
      json_builder_begin_object (b);
      cb_cli_add_string (b, "serial", cb_device_info_get_serial (info));
      cb_cli_add_string (b, "model", cb_device_info_get_model (info));
      cb_cli_add_string (b, "firmware", cb_device_info_get_firmware (info));
      if (diag != NULL)
        {
          cb_cli_add_time (b, "clock", cb_device_diag_get_time (diag));
          cb_cli_add_string (b, "lastTlsError", cb_device_diag_get_tls_error (diag));
          cb_cli_add_string (b, "lastDpsError", cb_device_diag_get_dps_error (diag));
          if (cb_device_diag_get_has_validity (diag))
            cb_cli_add_time (b, "renewAt", cb_device_diag_get_renew_at (diag));
          cb_cli_add_string (b, "hubHost", cb_device_diag_get_hub (diag));
          cb_cli_add_string (b, "hubState", cb_device_diag_get_hub_state (diag));
          cb_cli_add_string (b, "hubError", cb_device_diag_get_hub_error (diag));
          cb_cli_add_time (b, "hubSince", cb_device_diag_get_hub_time (diag));
          cb_cli_add_string (b, "renewState", cb_device_diag_get_renew_state (diag));
          cb_cli_add_string (b, "renewError", cb_device_diag_get_renew_error (diag));
          cb_cli_add_time (b, "renewTime", cb_device_diag_get_renew_time (diag));
        }
      json_builder_end_object (b);

      json_builder_set_member_name (b, "chain");
      json_builder_begin_array (b);
      for (guint i = 0; i < chain->len; i++)
        {
          CbCertificate *cert = g_ptr_array_index (chain, i);

          json_builder_begin_object (b);
          cb_cli_add_string (b, "subject", cb_certificate_get_subject (cert));
          cb_cli_add_string (b, "issuer", cb_certificate_get_issuer (cert));
          cb_cli_add_string (b, "serial", cb_certificate_get_serial (cert));
          cb_cli_add_time (b, "notBefore", cb_certificate_get_not_before (cert));
          cb_cli_add_time (b, "notAfter", cb_certificate_get_not_after (cert));
          json_builder_set_member_name (b, "daysLeft");
          json_builder_add_int_value (b, cb_validity_get_days_left (cb_certificate_get_not_after (cert),
                                                                    now));
          cb_cli_add_string (b, "state", cb_validity_state_to_string (
                        cb_certificate_get_validity_state (cert, now, CB_DEFAULT_RENEWAL_FRACTION)));
          cb_cli_add_string (b, "sha256", cb_certificate_get_sha256_fingerprint (cert));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      cb_cli_add_string (b, "chainPem", pem);

      json_builder_set_member_name (b, "proofOfPossession");
      json_builder_add_boolean_value (b, pop_ok);
      cb_cli_add_string (b, "localCheck", local_error ? local_error->message : "ok");

      json_builder_set_member_name (b, "hub");
      json_builder_begin_object (b);
      cb_cli_add_string (b, "name", cb_profile_get_hub_name (cb_context_get_profile (ctx->context)));
      cb_cli_add_string (b, "deviceId", cb_certificate_get_common_name (leaf));
      json_builder_set_member_name (b, "accepted");
      if (verdict.known)
        json_builder_add_boolean_value (b, verdict.accepted);
      else
        json_builder_add_null_value (b);
      cb_cli_add_string (b, "verdict", verdict.verdict);
      cb_cli_add_string (b, "reason", verdict.reason);
      cb_cli_add_string (b, "source", verdict.source);
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
        printf ("Hub %s: UNKNOWN  %s\n", cb_profile_get_hub_name (cb_context_get_profile (ctx->context)), verdict.reason);
      else
        printf ("Hub %s: %s  %s: %s (%s)\n", cb_profile_get_hub_name (cb_context_get_profile (ctx->context)),
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
