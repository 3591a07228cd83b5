/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-cli and DPS enrollments: making an enrollment group that names where its devices'
 * certificates come from (a credential policy, or in the certificate-authority model the
 * namespace, ICA and policy together), provisioning through one other than the profile's (its
 * key is read from DPS for the run and never written anywhere), and importing device
 * certificates in bulk into individual X.509 enrollments (core's CbEnrollmentImport), each
 * item's result printed as it comes.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cb-adr-client-ca.h"
#include "cb-dps-enrollment-x509.h"
#include "cb-dps-service-client.h"
#include "cb-enrollment-import.h"
#include "cb-error.h"
#include "cb-provisioning-run.h"

#include "cb-cli-enrollment.h"
#include "cb-cli-shared.h"

int
cb_cli_create_enrollment_group (CbCliContext *ctx,
                                CbAdrClient  *adr,
                                CbAdrModel    model,
                                const char   *group_id)
{
  CbCliOptions *o = ctx->options;
  CbDpsServiceClient *dps = cb_context_get_dps_service (ctx->context);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(GError) error = NULL;
  const char *ca = NULL;

  if (group_id == NULL || o->policy == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                        _("Usage: certbench-cli registry create-enrollment-group GROUP "
                          "--policy POLICY [--ca ICA]"));
  if (dps == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_CONFIG, _("The profile names no DPS service"));

  /* The policy must exist; in the certificate-authority model it says its ICA. */
  cb_adr_client_get_policy_async (adr, o->policy, ctx->cancellable, cb_cli_store_result,
                                  &result);
  policy = cb_adr_client_get_policy_finish (adr, cb_cli_wait (&result), &error);
  if (policy == NULL)
    return cb_cli_fail (ctx, cb_cli_exit_for_error (error), _("The policy could not be read: %s"),
                        error->message);
  g_clear_object (&result);

  if (model == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES)
    {
      CbCertificateAuthority *policy_ca = cb_policy_get_certificate_authority (policy);

      ca = policy_ca != NULL ? cb_certificate_authority_get_name (policy_ca) : NULL;
      if (o->ca != NULL && ca != NULL && g_ascii_strcasecmp (o->ca, ca) != 0)
        return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                            _("The policy %s lives under %s, not under %s"),
                            cb_policy_get_name (policy), ca, o->ca);
      if (ca == NULL)
        ca = o->ca;
      if (ca == NULL)
        return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                            _("The policy's intermediate CA is not known: name it with --ca"));
    }
  else if (o->ca != NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                        _("--ca names an intermediate CA, which the credential model does not "
                          "have"));

  /* DPS makes the keys; the allocation goes to the hubs linked to DPS. */
  body = cb_dps_enrollment_new_symmetric_key (CB_DPS_ENROLLMENT_GROUP, group_id, NULL, NULL,
                                              NULL, NULL);
  cb_dps_enrollment_set_policy (body, cb_adr_client_get_namespace (adr), ca,
                                cb_policy_get_name (policy));
  cb_dps_service_client_put_async (dps, CB_DPS_ENROLLMENT_GROUP, group_id, body, NULL,
                                   ctx->cancellable, cb_cli_store_result, &result);
  created = cb_dps_service_client_enrollment_finish (dps, cb_cli_wait (&result), &error);
  if (created == NULL)
    return cb_cli_fail (ctx, cb_cli_exit_for_error (error),
                        _("The enrollment group could not be created: %s"), error->message);

  if (ca != NULL)
    cb_cli_note (ctx, _("Created the enrollment group %s: its devices get certificates from the "
                        "policy %s of %s in %s."), group_id, cb_policy_get_name (policy), ca,
                 cb_adr_client_get_namespace (adr));
  else
    cb_cli_note (ctx, _("Created the enrollment group %s: its devices get certificates from the "
                        "policy %s."), group_id, cb_policy_get_name (policy));
  return CB_CLI_EXIT_OK;
}

gboolean
cb_cli_use_enrollment_group (CbCliContext  *ctx,
                             const char    *group_id,
                             GError       **error)
{
  CbDpsServiceClient *dps;
  CbProfile *profile = cb_context_get_profile (ctx->context);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *key;
  const char *policy;

  cb_cli_context_connect_arm (ctx);
  dps = cb_context_get_dps_service (ctx->context);
  if (dps == NULL)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                   _("--enrollment-group needs ARM, to read the group from DPS: %s"),
                   ctx->arm_note != NULL ? ctx->arm_note : _("no reason given"));
      return FALSE;
    }

  cb_dps_service_client_get_async (dps, CB_DPS_ENROLLMENT_GROUP, group_id, ctx->cancellable,
                                   cb_cli_store_result, &result);
  group = cb_dps_service_client_enrollment_finish (dps, cb_cli_wait (&result), &local_error);
  if (group == NULL)
    {
      g_set_error (error, CB_RUN_ERROR,
                   g_error_matches (local_error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND)
                     ? CB_RUN_ERROR_CONFIG : CB_RUN_ERROR_SERVICE,
                   _("The enrollment group %s could not be read: %s"), group_id,
                   local_error->message);
      return FALSE;
    }

  key = cb_dps_enrollment_get_primary_key (group);
  policy = cb_dps_enrollment_get_policy (group);
  if (key == NULL || policy == NULL)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                   key == NULL ? _("The enrollment group %s has no symmetric key")
                               : _("The enrollment group %s names no certificate policy"),
                   group_id);
      return FALSE;
    }

  if (ctx->group_key != NULL)
    {
      memset (ctx->group_key, 0, strlen (ctx->group_key));
      g_free (ctx->group_key);
    }
  ctx->group_key = g_strdup (key);
  /* The group's key is a secret: the copy in the reply goes too. */
  memset ((char *) key, 0, strlen (key));
  cb_profile_set_enrollment_group_id (profile, group_id);
  cb_profile_set_credential_policy (profile, policy);
  cb_cli_note (ctx, _("Enrollment group %s, policy %s"), group_id, policy);
  return TRUE;
}

/* ---- registry import-enrollments -------------------------------------------------------- */

typedef struct
{
  CbCliContext *ctx;
  guint         width;     /* the longest status word, for the text columns */
} ImportPrinter;

static void
print_import_item (CbEnrollmentImport *import,
                   guint               index,
                   gpointer            user_data)
{
  ImportPrinter *printer = user_data;
  const CbEnrollmentImportItem *item = g_ptr_array_index (cb_enrollment_import_get_items (import),
                                                          index);

  if (printer->ctx->options->json)
    return;
  /* One line per item as it finishes, for a script to follow or a person to read. */
  printf ("%-*s  %-24s  %s%s%s\n", printer->width,
          cb_enrollment_import_status_to_string (item->status),
          item->registration_id != NULL ? item->registration_id : "-", item->source,
          item->message != NULL ? ": " : "", item->message != NULL ? item->message : "");
  fflush (stdout);
}

static void
print_import_json (CbEnrollmentImport *import)
{
  GPtrArray *items = cb_enrollment_import_get_items (import);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; i < items->len; i++)
    {
      const CbEnrollmentImportItem *item = g_ptr_array_index (items, i);
      g_autofree char *thumbprint = item->certificate != NULL
                                    ? cb_dps_x509_thumbprint (item->certificate) : NULL;

      json_builder_begin_object (b);
      cb_cli_add_string (b, "source", item->source);
      cb_cli_add_string (b, "registrationId", item->registration_id);
      cb_cli_add_string (b, "status", cb_enrollment_import_status_to_string (item->status));
      cb_cli_add_string (b, "message", item->message);
      cb_cli_add_string (b, "subject", item->certificate != NULL
                                       ? cb_certificate_get_subject (item->certificate) : NULL);
      cb_cli_add_string (b, "sha256Thumbprint", thumbprint);
      cb_cli_add_time (b, "notAfter", item->certificate != NULL
                                      ? cb_certificate_get_not_after (item->certificate) : 0);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  cb_cli_print_json (root);
}

int
cb_cli_import_enrollments (CbCliContext *ctx,
                           CbAdrClient  *adr,
                           CbAdrModel    model,
                           const char   *path)
{
  CbCliOptions *o = ctx->options;
  CbDpsServiceClient *dps = cb_context_get_dps_service (ctx->context);
  g_autoptr(CbEnrollmentImport) import = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) source = NULL;
  g_autoptr(GError) error = NULL;
  ImportPrinter printer = { .ctx = ctx, .width = strlen ("invalid-certificate") };
  guint failed;
  gboolean done;

  if (path == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                        _("Usage: certbench-cli registry import-enrollments FOLDER|FILE.csv "
                          "[--policy POLICY [--ca ICA]]"));
  if (dps == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_CONFIG, _("The profile names no DPS service"));
  if (o->ca != NULL && o->policy == NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, _("--ca goes with --policy"));

  source = g_file_new_for_commandline_arg (path);
  import = cb_enrollment_import_new (dps, source);
  if (o->policy != NULL)
    {
      if (model == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES && o->ca == NULL)
        return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                            _("In the certificate-authority model --policy needs --ca, the "
                              "policy's intermediate CA"));
      cb_enrollment_import_set_policy (import, cb_adr_client_get_namespace (adr),
                                       model == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES ? o->ca : NULL,
                                       o->policy);
    }
  g_signal_connect (import, "item-finished", G_CALLBACK (print_import_item), &printer);

  cb_enrollment_import_run_async (import, ctx->cancellable, cb_cli_store_result, &result);
  done = cb_enrollment_import_run_finish (import, cb_cli_wait (&result), &error);
  if (!done && cb_enrollment_import_get_items (import)->len == 0)
    return cb_cli_fail (ctx,
                        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                          ? CB_CLI_EXIT_CANCELLED : CB_CLI_EXIT_USAGE,
                        _("The certificates could not be read: %s"), error->message);

  if (o->json)
    print_import_json (import);

  failed = cb_enrollment_import_count_failed (import);
  cb_cli_note (ctx, _("%u certificates: %u enrollments created, %u enrolled already, %u failed."),
               cb_enrollment_import_get_items (import)->len,
               cb_enrollment_import_count (import, CB_ENROLLMENT_IMPORT_CREATED),
               cb_enrollment_import_count (import, CB_ENROLLMENT_IMPORT_EXISTS), failed);
  if (!done)
    return CB_CLI_EXIT_CANCELLED;
  return failed > 0 ? CB_CLI_EXIT_FAILED : CB_CLI_EXIT_OK;
}
