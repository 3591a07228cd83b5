/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The station's set-up as the services see it: its enrollment group in DPS and the credential
 * policy that group names in ADR, what stands between them and the next run, the changes
 * that point the station at another group or policy, and the configuration its runs use. */
#define G_LOG_DOMAIN "cb-station"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-dps-enrollment-group-x509.h"
#include "cb-dps-service-client.h"
#include "cb-error.h"
#include "cb-station.h"

void
cb_station_health_free (CbStationHealth *health)
{
  if (health == NULL)
    return;
  g_free (health->enrollment_group);
  g_free (health->policy);
  g_free (health);
}

char *
cb_station_health_describe (CbStationHealth *health)
{
  const char *group = health->enrollment_group != NULL ? health->enrollment_group : "";
  const char *policy = health->policy != NULL ? health->policy : "";

  switch (health->problem)
    {
    case CB_STATION_OK:
      return NULL;
    case CB_STATION_NO_ENROLLMENT:
      return g_strdup (_("The station has no enrollment group: choose one to provision devices."));
    case CB_STATION_ENROLLMENT_MISSING:
      /* Translators: an enrollment group id */
      return g_strdup_printf (_("The enrollment group “%s” no longer exists: runs fail until the "
                                "station uses another one."), group);
    case CB_STATION_ENROLLMENT_DISABLED:
      return g_strdup_printf (_("The enrollment group “%s” is disabled: runs fail until the "
                                "station uses another one."), group);
    case CB_STATION_NO_POLICY:
      return g_strdup_printf (_("The enrollment group “%s” names no credential policy: devices "
                                "get no certificate until it uses one."), group);
    case CB_STATION_POLICY_MISSING:
      /* Translators: a policy name, then an enrollment group id */
      return g_strdup_printf (_("The credential policy “%s” no longer exists: runs fail until "
                                "enrollment group “%s” uses another policy."), policy, group);
    case CB_STATION_POLICY_CANNOT_ISSUE:
      return g_strdup_printf (_("The credential policy “%s” cannot issue certificates yet: "
                                "runs fail until it is activated or “%s” uses another policy."),
                              policy, group);
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
cb_station_policy_can_issue (CbPolicy    *policy,
                             const char **reason)
{
  const char *status = cb_policy_get_byor_status (policy);

  g_return_val_if_fail (CB_IS_POLICY (policy), FALSE);

  if (cb_policy_get_byor_enabled (policy) &&
      g_strcmp0 (status, CB_POLICY_BYOR_ACTIVE) != 0 &&
      g_strcmp0 (status, CB_POLICY_BYOR_ACTIVE_PENDING_RENEWAL) != 0)
    {
      if (reason != NULL)
        *reason = _("Its own root is not activated yet");
      return FALSE;
    }
  if (cb_policy_get_provisioning_state (policy) != NULL &&
      g_strcmp0 (cb_policy_get_provisioning_state (policy), "Succeeded") != 0)
    {
      if (reason != NULL)
        *reason = _("It is still being set up");
      return FALSE;
    }

  if (reason != NULL)
    *reason = NULL;
  return TRUE;
}

static const char *
member_string (JsonObject *object,
               const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
services_ready (CbContext *context,
                GError   **error)
{
  if (cb_context_get_profile (context) == NULL || cb_context_get_dps_service (context) == NULL ||
      cb_context_get_adr (context) == NULL ||
      cb_context_get_state (context) != CB_CONTEXT_STATE_READY)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           _("The station is not connected"));
      return FALSE;
    }
  return TRUE;
}

/* ---- check ---------------------------------------------------------------------------- */

/* The task keeps its data until it is finalized: the caller gets a copy. */
static void
return_health (GTask           *task,
               CbStationHealth *health)
{
  CbStationHealth *copy = g_new0 (CbStationHealth, 1);

  copy->problem = health->problem;
  copy->enrollment_group = g_strdup (health->enrollment_group);
  copy->policy = g_strdup (health->policy);
  g_task_return_pointer (task, copy, (GDestroyNotify) cb_station_health_free);
}

static void
check_policy_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbStationHealth *health = g_task_get_task_data (task);
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;

  policy = cb_adr_client_get_policy_finish (CB_ADR_CLIENT (object), result, &error);
  if (policy == NULL)
    {
      if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      health->problem = CB_STATION_POLICY_MISSING;
    }
  else if (!cb_station_policy_can_issue (policy, NULL))
    health->problem = CB_STATION_POLICY_CANNOT_ISSUE;

  return_health (task, health);
}

static void
check_group_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *context = g_task_get_source_object (task);
  CbStationHealth *health = g_task_get_task_data (task);
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GError) error = NULL;
  const char *policy;

  group = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                   &error);
  if (group == NULL)
    {
      if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      health->problem = CB_STATION_ENROLLMENT_MISSING;
      health->policy = g_strdup (cb_profile_get_credential_policy (cb_context_get_profile (context)));
      return_health (task, health);
      return;
    }

  policy = cb_dps_enrollment_get_policy (group);
  health->policy = g_strdup (policy);
  /* DPS decides which policy signs: the station shows that one. */
  if (policy != NULL &&
      g_strcmp0 (policy, cb_profile_get_credential_policy (cb_context_get_profile (context))) != 0)
    {
      g_autoptr(GError) save_error = NULL;

      if (!cb_context_set_station (context, health->enrollment_group, policy, &save_error))
        g_message ("The station's policy could not be saved: %s", save_error->message);
    }

  if (g_strcmp0 (member_string (group, "provisioningStatus"), "disabled") == 0)
    health->problem = CB_STATION_ENROLLMENT_DISABLED;
  else if (policy == NULL)
    health->problem = CB_STATION_NO_POLICY;
  else
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      cb_adr_client_get_policy_async (cb_context_get_adr (context), policy, cancellable,
                                      check_policy_cb, g_steal_pointer (&task));
      return;
    }

  return_health (task, health);
}

void
cb_station_check_async (CbContext           *context,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  CbStationHealth *health;
  const char *group;

  g_return_if_fail (CB_IS_CONTEXT (context));

  task = g_task_new (context, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_station_check_async);
  if (!services_ready (context, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  group = cb_profile_get_enrollment_group_id (cb_context_get_profile (context));
  health = g_new0 (CbStationHealth, 1);
  health->enrollment_group = g_strdup (group);
  g_task_set_task_data (task, health, (GDestroyNotify) cb_station_health_free);
  if (group == NULL || *group == '\0')
    {
      health->problem = CB_STATION_NO_ENROLLMENT;
      return_health (task, health);
      return;
    }

  cb_dps_service_client_get_async (cb_context_get_dps_service (context), CB_DPS_ENROLLMENT_GROUP,
                                   group, cancellable, check_group_cb, g_steal_pointer (&task));
}

CbStationHealth *
cb_station_check_finish (CbContext     *context,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, context), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- use a policy --------------------------------------------------------------------- */

/* The policy a station is to use, and where it hangs in the certificate-authority model. */
typedef struct
{
  char *policy;
  char *ca;          /* NULL in the credential model */
  char *namespace;
} UsePolicy;

static void
use_policy_free (UsePolicy *use)
{
  g_free (use->policy);
  g_free (use->ca);
  g_free (use->namespace);
  g_free (use);
}

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!cb_adr_client_synchronize_credential_finish (CB_ADR_CLIENT (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
put_group_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *context = g_task_get_source_object (task);
  UsePolicy *use = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(JsonObject) group = NULL;
  GError *error = NULL;

  group = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                   &error);
  if (group == NULL ||
      !cb_context_set_station (context, member_string (group, "enrollmentGroupId"), use->policy,
                               &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* The hubs trust the policy's issuing CA only once the credential is synced to them: a
   * new policy's devices could not connect before. */
  cb_adr_client_synchronize_credential_async (cb_context_get_adr (context), cancellable, sync_cb,
                                              g_steal_pointer (&task));
}

static void
get_group_for_policy_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *context = g_task_get_source_object (task);
  UsePolicy *use = g_task_get_task_data (task);
  g_autoptr(JsonObject) group = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  const char *id;

  group = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                   &error);
  if (group == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* The group as DPS has it, with only its policy changed; the etag guards a concurrent edit.
   * In the certificate-authority model the group names the policy's ICA and namespace too. */
  id = member_string (group, "enrollmentGroupId");
  cb_dps_enrollment_set_policy (group, use->namespace, use->ca, use->policy);
  cb_dps_service_client_put_async (CB_DPS_SERVICE_CLIENT (object), CB_DPS_ENROLLMENT_GROUP,
                                   id != NULL ? id
                                              : cb_profile_get_enrollment_group_id (
                                                  cb_context_get_profile (context)),
                                   group, member_string (group, "etag"), cancellable,
                                   put_group_cb, g_steal_pointer (&task));
}

static void
use_policy_found_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *context = g_task_get_source_object (task);
  UsePolicy *use = g_task_get_task_data (task);
  g_autoptr(CbPolicy) policy = NULL;
  CbCertificateAuthority *ca;
  GCancellable *cancellable;
  GError *error = NULL;

  policy = cb_adr_client_get_policy_finish (CB_ADR_CLIENT (object), result, &error);
  if (policy == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  ca = cb_policy_get_certificate_authority (policy);
  if (ca != NULL)
    {
      use->ca = g_strdup (cb_certificate_authority_get_name (ca));
      use->namespace = g_strdup (cb_certificate_authority_get_namespace (ca));
      if (use->namespace == NULL)
        use->namespace = g_strdup (cb_adr_client_get_namespace (CB_ADR_CLIENT (object)));
    }

  cancellable = g_task_get_cancellable (task);
  cb_dps_service_client_get_async (cb_context_get_dps_service (context), CB_DPS_ENROLLMENT_GROUP,
                                   cb_profile_get_enrollment_group_id (
                                     cb_context_get_profile (context)),
                                   cancellable, get_group_for_policy_cb, g_steal_pointer (&task));
}

void
cb_station_use_policy_async (CbContext           *context,
                             const char          *policy,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  UsePolicy *use;

  g_return_if_fail (CB_IS_CONTEXT (context));
  g_return_if_fail (policy != NULL);

  task = g_task_new (context, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_station_use_policy_async);
  use = g_new0 (UsePolicy, 1);
  use->policy = g_strdup (policy);
  g_task_set_task_data (task, use, (GDestroyNotify) use_policy_free);
  if (!services_ready (context, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (cb_profile_get_enrollment_group_id (cb_context_get_profile (context)) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("Choose an enrollment group first"));
      return;
    }

  /* Which model the namespace uses decides how the group names the policy. */
  cb_adr_client_get_policy_async (cb_context_get_adr (context), policy, cancellable,
                                  use_policy_found_cb, g_steal_pointer (&task));
}

gboolean
cb_station_use_policy_finish (CbContext     *context,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, context), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- use an enrollment group ---------------------------------------------------------- */

typedef struct
{
  char     *group;
  char     *policy;
  gboolean  x509;     /* its devices attest with their own certificates: no key to keep */
} UseGroup;

static void
use_group_free (UseGroup *data)
{
  g_free (data->group);
  g_free (data->policy);
  g_free (data);
}

/* The key stored (symmetric key group) or an earlier group's key cleared (X.509 group). */
static void
key_kept_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *context = g_task_get_source_object (task);
  UseGroup *data = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean kept = data->x509 ? cb_secrets_clear_finish (CB_SECRETS (object), result, &error)
                             : cb_secrets_store_finish (CB_SECRETS (object), result, &error);

  if (!kept || !cb_context_set_station (context, data->group, data->policy, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
get_group_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *context = g_task_get_source_object (task);
  UseGroup *data = g_task_get_task_data (task);
  g_autoptr(JsonObject) group = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  const char *key;

  group = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                   &error);
  if (group == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* In either model: a credential policy, or a certificate policy under an ICA. */
  data->policy = g_strdup (cb_dps_enrollment_get_policy (group));
  key = cb_dps_enrollment_get_primary_key (group);
  if (key == NULL && cb_dps_enrollment_is_x509 (group))
    {
      /* Its devices register themselves with their own certificates: the station holds no key
       * for them, and a key an earlier group left in the keyring must not be used for this one. */
      data->x509 = TRUE;
      cb_secrets_clear_async (cb_context_get_secrets (context),
                              cb_profile_get_id (cb_context_get_profile (context)),
                              CB_SECRET_ENROLLMENT_GROUP_KEY, cancellable, key_kept_cb,
                              g_steal_pointer (&task));
      return;
    }
  if (key == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("The enrollment group “%s” uses neither a symmetric key nor "
                                 "X.509 certificates, so this station cannot provision its "
                                 "devices"), data->group);
      return;
    }
  /* The key goes to the keyring only, as every enrollment key does. */
  cb_secrets_store_async (cb_context_get_secrets (context),
                          cb_profile_get_id (cb_context_get_profile (context)),
                          CB_SECRET_ENROLLMENT_GROUP_KEY, key, cancellable, key_kept_cb,
                          g_steal_pointer (&task));
}

void
cb_station_use_enrollment_group_async (CbContext           *context,
                                       const char          *group_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  UseGroup *data;

  g_return_if_fail (CB_IS_CONTEXT (context));
  g_return_if_fail (group_id != NULL);

  task = g_task_new (context, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_station_use_enrollment_group_async);
  data = g_new0 (UseGroup, 1);
  data->group = g_strdup (group_id);
  g_task_set_task_data (task, data, (GDestroyNotify) use_group_free);
  if (!services_ready (context, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cb_dps_service_client_get_async (cb_context_get_dps_service (context), CB_DPS_ENROLLMENT_GROUP,
                                   group_id, cancellable, get_group_cb, g_steal_pointer (&task));
}

gboolean
cb_station_use_enrollment_group_finish (CbContext     *context,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, context), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- The configuration of the station's runs -------------------------------------------- */

/* The station's run configuration; @key is NULL for a group whose devices attest with X.509. */
static CbProvisioningConfig *
station_config_new (CbContext   *context,
                    const char  *template_text,
                    const char  *key,
                    GError     **error)
{
  CbProfile *profile = cb_context_get_profile (context);
  g_autoptr(CbProvisioningConfig) config = cb_provisioning_config_new (profile);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *operator_name = NULL;

  cb_provisioning_config_set_dps_client (config, cb_context_get_dps (context));
  cb_provisioning_config_set_dps_service_client (config, cb_context_get_dps_service (context));
  if (cb_context_get_state (context) == CB_CONTEXT_STATE_READY)
    cb_provisioning_config_set_adr_client (config, cb_context_get_adr (context));
  if (key != NULL)
    cb_provisioning_config_set_enrollment_group_key (config, key);
  cb_provisioning_config_set_journal (config, cb_context_get_journal (context));
  cb_provisioning_config_set_station (config, g_get_host_name ());
  operator_name = g_strdup (cb_context_get_username (context) != NULL
                              ? cb_context_get_username (context)
                              : g_get_user_name ());
  cb_provisioning_config_set_operator (config, operator_name);
  /* The last step reads the twin and, on the sandbox, asks why a connection was refused. */
  cb_provisioning_config_set_hub_client (config, cb_context_get_hub (context));
  cb_provisioning_config_set_http_client (config, cb_context_get_http (context));

  if (!cb_provisioning_config_set_registration_template (config, template_text, &local_error))
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                   _("The registration ID template is not valid: %s"), local_error->message);
      return NULL;
    }
  return g_steal_pointer (&config);
}

static void
return_missing_key (GTask        *task,
                    const GError *why)
{
  CbContext *context = g_task_get_source_object (task);

  g_task_return_new_error (task, CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                           _("The enrollment group key of “%s” is not in the keyring%s%s"),
                           cb_profile_get_name (cb_context_get_profile (context)),
                           why != NULL ? ": " : "",
                           why != NULL ? why->message : "");
}

/* No key in the keyring: right for a group whose devices attest with X.509, which the service
 * says. */
static void
config_group_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *context = g_task_get_source_object (task);
  const char *template_text = g_task_get_task_data (task);
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GError) error = NULL;
  CbProvisioningConfig *config;

  group = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                   &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (group == NULL || !cb_dps_enrollment_is_x509 (group))
    {
      return_missing_key (task, NULL);
      return;
    }
  config = station_config_new (context, template_text, NULL, &error);
  if (config == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, config, g_object_unref);
}

static void
config_key_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *context = g_task_get_source_object (task);
  const char *template_text = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  CbProvisioningConfig *config;
  const char *group_id;
  CbProfile *profile;
  char *key;

  key = cb_secrets_lookup_finish (CB_SECRETS (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  profile = cb_context_get_profile (context);
  if (profile == NULL)
    {
      cb_secrets_free_value (key);
      g_task_return_new_error (task, CB_RUN_ERROR, CB_RUN_ERROR_CONFIG, "%s",
                               _("No connection profile is active"));
      return;
    }
  group_id = cb_profile_get_enrollment_group_id (profile);
  if (key == NULL && error == NULL && group_id != NULL &&
      cb_context_get_dps_service (context) != NULL)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      cb_dps_service_client_get_async (cb_context_get_dps_service (context),
                                       CB_DPS_ENROLLMENT_GROUP, group_id, cancellable,
                                       config_group_cb, g_steal_pointer (&task));
      return;
    }
  if (key == NULL)
    {
      return_missing_key (task, error);
      return;
    }

  config = station_config_new (context, template_text, key, &error);
  cb_secrets_free_value (key);
  if (config == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, config, g_object_unref);
}

void
cb_station_make_config_async (CbContext           *context,
                              const char          *template_text,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CbProfile *profile;

  g_return_if_fail (CB_IS_CONTEXT (context));
  g_return_if_fail (template_text != NULL);

  task = g_task_new (context, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_station_make_config_async);
  g_task_set_task_data (task, g_strdup (template_text), g_free);

  profile = cb_context_get_profile (context);
  if (profile == NULL || cb_context_get_dps (context) == NULL)
    {
      g_task_return_new_error (task, CB_RUN_ERROR, CB_RUN_ERROR_CONFIG, "%s",
                               cb_context_get_state (context) == CB_CONTEXT_STATE_STARTING
                                 ? _("The station is still connecting; try again in a moment")
                                 : _("The station is not connected to a provisioning service"));
      return;
    }

  cb_secrets_lookup_async (cb_context_get_secrets (context), cb_profile_get_id (profile),
                           CB_SECRET_ENROLLMENT_GROUP_KEY, cancellable, config_key_cb,
                           g_steal_pointer (&task));
}

CbProvisioningConfig *
cb_station_make_config_finish (CbContext     *context,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, context), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
