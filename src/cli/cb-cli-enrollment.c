/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-cli and DPS enrollment groups: making one that names where its devices'
 * certificates come from (a credential policy, or in the certificate-authority model the
 * namespace, ICA and policy together), and provisioning through one other than the profile's:
 * its key is read from DPS for the run and never written anywhere.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-adr-client-ca.h"
#include "cb-dps-service-client.h"
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
