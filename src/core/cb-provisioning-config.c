/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-config"

/* CbProvisioningConfig: what every run of a station shares (the profile and its clients, the
 * enrollment-group key, the registration template, the journal), and the service facts it fetches
 * once for many runs: the policy's validity and the hub's CA certificates. */

#include "config.h"

#include "cbp-group.h"

#include "cb-error.h"
#include "cb-hub-certificates-client.h"
#include "cb-provisioning-config-private.h"
#include "cb-nrf91-driver.h"
#include "cb-registration-template.h"
#include "cb-util.h"

/* Facts from the service are shared by every run of a config for this long. */
#define FACTS_TTL_USEC (300 * G_USEC_PER_SEC)

static void
cb_service_facts_clear (CbServiceFacts *facts)
{
  g_free (facts->validity_source);
  g_free (facts->validity_note);
  g_clear_pointer (&facts->hub_cas, g_ptr_array_unref);
  g_free (facts->hub_note);
}

CbServiceFacts *
cb_service_facts_ref (CbServiceFacts *facts)
{
  return g_atomic_rc_box_acquire (facts);
}

void
cb_service_facts_unref (CbServiceFacts *facts)
{
  g_atomic_rc_box_release_full (facts, (GDestroyNotify) cb_service_facts_clear);
}

G_DEFINE_FINAL_TYPE (CbProvisioningConfig, cb_provisioning_config, G_TYPE_OBJECT)

static void
cb_provisioning_config_finalize (GObject *object)
{
  CbProvisioningConfig *self = CB_PROVISIONING_CONFIG (object);

  g_clear_object (&self->profile);
  g_clear_object (&self->dps);
  g_clear_object (&self->dps_service);
  g_clear_object (&self->adr);
  g_clear_object (&self->journal);
  g_clear_object (&self->hub);
  g_clear_object (&self->http);
  g_clear_object (&self->trusted_root);
  cb_wipe_string (&self->group_key);
  g_free (self->template_text);
  g_free (self->key_type);
  g_free (self->policy);
  g_free (self->station);
  g_free (self->operator_name);
  g_clear_pointer (&self->facts, cb_service_facts_unref);
  g_clear_pointer (&self->facts_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->group, json_object_unref);
  g_free (self->group_id);
  g_clear_pointer (&self->group_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (cb_provisioning_config_parent_class)->finalize (object);
}

static void
cb_provisioning_config_class_init (CbProvisioningConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_provisioning_config_finalize;
}

static void
cb_provisioning_config_init (CbProvisioningConfig *self)
{
  self->template_text = g_strdup (CB_REGISTRATION_TEMPLATE_DEFAULT);
  self->key_type = g_strdup (CBP_KEY_TYPE_P256);
  self->max_attempts = 3;
  self->device_dps_timeout = 120;
  self->device_dps_poll_ms = 500;
  self->hub_check = TRUE;
  self->hub_timeout = 30;
  self->hub_poll_ms = 250;
  self->modem_sec_tag = CB_NRF91_DRIVER_DEFAULT_SEC_TAG;
  self->mode = CB_REGISTRATION_MODE_STATION;
}

CbProvisioningConfig *
cb_provisioning_config_new (CbProfile *profile)
{
  CbProvisioningConfig *self;

  g_return_val_if_fail (CB_IS_PROFILE (profile), NULL);

  self = g_object_new (CB_TYPE_PROVISIONING_CONFIG, NULL);
  self->profile = g_object_ref (profile);
  return self;
}

CbProfile *
cb_provisioning_config_get_profile (CbProvisioningConfig *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (self), NULL);
  return self->profile;
}

void
cb_provisioning_config_set_dps_client (CbProvisioningConfig *self,
                                       CbDpsClient          *dps)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  g_set_object (&self->dps, dps);
}

void
cb_provisioning_config_set_dps_service_client (CbProvisioningConfig *self,
                                               CbDpsServiceClient   *dps_service)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  if (g_set_object (&self->dps_service, dps_service))
    self->group_read_at = 0;
}

void
cb_provisioning_config_set_adr_client (CbProvisioningConfig *self,
                                       CbAdrClient          *adr)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  if (g_set_object (&self->adr, adr))
    g_clear_pointer (&self->facts, cb_service_facts_unref);
}

void
cb_provisioning_config_set_enrollment_group_key (CbProvisioningConfig *self,
                                                 const char           *key_base64)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  cb_wipe_string (&self->group_key);
  self->group_key = g_strdup (key_base64);
}

gboolean
cb_provisioning_config_set_registration_template (CbProvisioningConfig  *self,
                                                  const char            *template_text,
                                                  GError               **error)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (self), FALSE);

  if (template_text == NULL)
    template_text = CB_REGISTRATION_TEMPLATE_DEFAULT;
  if (!cb_registration_template_check (template_text, error))
    return FALSE;

  cb_set_str (&self->template_text, template_text);
  return TRUE;
}

const char *
cb_provisioning_config_get_registration_template (CbProvisioningConfig *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (self), NULL);
  return self->template_text;
}

void
cb_provisioning_config_set_registration_mode (CbProvisioningConfig *self,
                                              CbRegistrationMode    mode)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  self->mode = mode;
}

void
cb_provisioning_config_set_key_type (CbProvisioningConfig *self,
                                     const char           *key_type)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  cb_set_str (&self->key_type, key_type != NULL ? key_type : CBP_KEY_TYPE_P256);
}

void
cb_provisioning_config_set_policy_name (CbProvisioningConfig *self,
                                        const char           *policy)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  if (cb_set_str (&self->policy, policy))
    g_clear_pointer (&self->facts, cb_service_facts_unref);
}

const char *
cb_provisioning_config_get_policy_name (CbProvisioningConfig *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (self), NULL);

  if (self->policy != NULL)
    return self->policy;
  return cb_profile_get_credential_policy (self->profile);
}

void
cb_provisioning_config_set_validity_days (CbProvisioningConfig *self,
                                          guint                 days)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  self->validity_days = days;
  g_clear_pointer (&self->facts, cb_service_facts_unref);
}

void
cb_provisioning_config_set_trusted_root (CbProvisioningConfig *self,
                                         CbCertificate        *root)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  g_set_object (&self->trusted_root, root);
}

void
cb_provisioning_config_set_journal (CbProvisioningConfig *self,
                                    CbJournal            *journal)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  g_set_object (&self->journal, journal);
}

CbJournal *
cb_provisioning_config_get_journal (CbProvisioningConfig *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (self), NULL);
  return self->journal;
}

void
cb_provisioning_config_set_station (CbProvisioningConfig *self,
                                    const char           *station)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  cb_set_str (&self->station, station);
}

void
cb_provisioning_config_set_operator (CbProvisioningConfig *self,
                                     const char           *operator_name)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  cb_set_str (&self->operator_name, operator_name);
}

void
cb_provisioning_config_set_max_attempts (CbProvisioningConfig *self,
                                         guint                 attempts)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  self->max_attempts = MAX (attempts, 1);
}

void
cb_provisioning_config_set_device_dps_timeout (CbProvisioningConfig *self,
                                               guint                 seconds,
                                               guint                 poll_ms)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  self->device_dps_timeout = MAX (seconds, 1);
  self->device_dps_poll_ms = MAX (poll_ms, 50);
}

void
cb_provisioning_config_set_hub_check (CbProvisioningConfig *self,
                                      gboolean              check)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  self->hub_check = !!check;
}

gboolean
cb_provisioning_config_get_hub_check (CbProvisioningConfig *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (self), FALSE);
  return self->hub_check;
}

void
cb_provisioning_config_set_modem_sec_tag (CbProvisioningConfig *self,
                                          guint32               sec_tag)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  g_return_if_fail (sec_tag <= CB_NRF91_SEC_TAG_MAX);
  self->modem_sec_tag = sec_tag;
}

guint32
cb_provisioning_config_get_modem_sec_tag (CbProvisioningConfig *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (self), CB_NRF91_DRIVER_DEFAULT_SEC_TAG);
  return self->modem_sec_tag;
}

void
cb_provisioning_config_set_hub_client (CbProvisioningConfig *self,
                                       CbHubClient          *hub)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  g_return_if_fail (hub == NULL || CB_IS_HUB_CLIENT (hub));
  g_set_object (&self->hub, hub);
}

void
cb_provisioning_config_set_http_client (CbProvisioningConfig *self,
                                        CbHttpClient         *http)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  g_set_object (&self->http, http);
}

void
cb_provisioning_config_set_hub_timeout (CbProvisioningConfig *self,
                                        guint                 seconds,
                                        guint                 poll_ms)
{
  g_return_if_fail (CB_IS_PROVISIONING_CONFIG (self));
  self->hub_timeout = MAX (seconds, 1);
  self->hub_poll_ms = MAX (poll_ms, 50);
}

/* Fetching the facts: the policy's validity, then the hub's CA certificates. One fetch serves
 * every run that asks while it is under way. ARM calls are not cancelled with one run: others
 * may be waiting for the same answer. */

typedef struct
{
  CbServiceFacts *facts;
} FactsFetch;

static void
facts_complete (CbProvisioningConfig *self,
                CbServiceFacts         *facts)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->facts_waiters);

  facts->fetched_at = g_get_monotonic_time ();
  g_clear_pointer (&self->facts, cb_service_facts_unref);
  self->facts = cb_service_facts_ref (facts);

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);
      g_task_return_pointer (task, cb_service_facts_ref (facts), (GDestroyNotify) cb_service_facts_unref);
    }
}

static void
facts_use_configured_validity (CbProvisioningConfig *self,
                               CbServiceFacts         *facts)
{
  if (self->validity_days > 0)
    {
      facts->validity_days = self->validity_days;
      facts->validity_source = g_strdup ("station configuration");
    }
}

static void
facts_hub_certs_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CbProvisioningConfig) self = user_data;
  g_autoptr(CbServiceFacts) facts = g_object_steal_data (G_OBJECT (self), "cb-facts-in-flight");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) certs = NULL;

  certs = cb_adr_client_list_hub_certificates_finish (CB_ADR_CLIENT (object), result, &error);
  if (certs == NULL)
    {
      facts->hub_note = g_strdup_printf ("the hub's CA certificates could not be listed: %s",
                                         error->message);
    }
  else
    {
      facts->hub_cas = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < certs->len; i++)
        {
          CbHubCertificate *hub_cert = g_ptr_array_index (certs, i);
          CbCertificate *cert =
            cb_certificate_new_from_text (cb_hub_certificate_get_certificate (hub_cert));

          if (cert != NULL)
            g_ptr_array_add (facts->hub_cas, cert);
        }
    }

  facts_complete (self, facts);
}

static void
facts_policy_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CbProvisioningConfig) self = user_data;
  CbServiceFacts *facts = g_object_get_data (G_OBJECT (self), "cb-facts-in-flight");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbPolicy) policy = NULL;

  policy = cb_adr_client_get_policy_finish (CB_ADR_CLIENT (object), result, &error);
  if (policy != NULL && cb_policy_get_validity_days (policy) > 0)
    {
      facts->validity_days = cb_policy_get_validity_days (policy);
      facts->validity_source = g_strdup ("ARM");
    }
  else
    {
      facts->validity_note = g_strdup_printf ("ARM did not give the policy's validity: %s",
                                              error != NULL ? error->message : "no value");
      facts_use_configured_validity (self, facts);
    }

  cb_adr_client_list_hub_certificates_async (CB_ADR_CLIENT (object), NULL, facts_hub_certs_cb,
                                             g_object_ref (self));
}

CbServiceFacts *
cb_provisioning_config_peek_facts (CbProvisioningConfig *self)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (self), NULL);

  if (self->facts == NULL || g_get_monotonic_time () - self->facts->fetched_at >= FACTS_TTL_USEC)
    return NULL;
  return cb_service_facts_ref (self->facts);
}

void
cb_provisioning_config_get_facts_async (CbProvisioningConfig *self,
                        gboolean              force,
                        GAsyncReadyCallback   callback,
                        gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  CbServiceFacts *facts;
  const char *policy;

  g_task_set_source_tag (task, cb_provisioning_config_get_facts_async);

  if (!force && (facts = cb_provisioning_config_peek_facts (self)) != NULL)
    {
      g_task_return_pointer (task, facts, (GDestroyNotify) cb_service_facts_unref);
      return;
    }

  if (self->facts_waiters != NULL)
    {
      g_ptr_array_add (self->facts_waiters, g_steal_pointer (&task));
      return;
    }

  self->facts_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->facts_waiters, g_steal_pointer (&task));

  facts = g_atomic_rc_box_new0 (CbServiceFacts);
  policy = cb_provisioning_config_get_policy_name (self);

  if (self->adr == NULL || policy == NULL)
    {
      facts->validity_note = g_strdup (self->adr == NULL ? "ARM is not configured for this station"
                                                         : "no credential policy is configured");
      facts->hub_note = g_strdup (facts->validity_note);
      facts_use_configured_validity (self, facts);
      facts_complete (self, facts);
      cb_service_facts_unref (facts);
      return;
    }

  g_object_set_data_full (G_OBJECT (self), "cb-facts-in-flight", facts,
                          (GDestroyNotify) cb_service_facts_unref);
  cb_adr_client_get_policy_async (self->adr, policy, NULL, facts_policy_cb, g_object_ref (self));
}

CbServiceFacts *
cb_provisioning_config_get_facts_finish (CbProvisioningConfig *self,
                         GAsyncResult         *result)
{
  return g_task_propagate_pointer (G_TASK (result), NULL);
}

/* ---- The station's enrollment group ------------------------------------------------------ */

/* One read serves every run that asks while it is under way, and the runs after it for
 * CB_PROVISIONING_CONFIG_GROUP_TTL_SECONDS: a station's devices all onboard through the same
 * group, and reading it once per device was a request (and its wake-ups) per device. The run
 * reads again at once when DPS refuses what a kept answer made it do (cb-run-step-register.c),
 * so an admin's change is seen by the next registration it affects. Like the facts, the read
 * is not cancelled with one run: others may be waiting for it. */

static void
group_return (GTask      *task,
              JsonObject *group,
              gboolean    kept,
              const char *group_id)
{
  g_task_set_task_data (task, GINT_TO_POINTER (kept), NULL);
  if (group != NULL)
    g_task_return_pointer (task, json_object_ref (group), (GDestroyNotify) json_object_unref);
  else
    g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_NOT_FOUND,
                             "DPS has no enrollment group “%s”", group_id);
}

static void
group_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CbProvisioningConfig) self = user_data;
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->group_waiters);
  g_autofree char *read_id = g_object_steal_data (G_OBJECT (self), "cb-group-reading");
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GError) error = NULL;

  group = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                   &error);
  /* Kept only while it is the profile's group still. */
  if ((group != NULL || g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND)) &&
      g_strcmp0 (read_id, self->group_id) == 0)
    {
      g_clear_pointer (&self->group, json_object_unref);
      self->group = group != NULL ? json_object_ref (group) : NULL;
      self->group_read_at = g_get_monotonic_time ();
    }

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (group != NULL || error->code == CB_API_ERROR_NOT_FOUND)
        group_return (task, group, FALSE, read_id);
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

static gboolean
group_fresh (CbProvisioningConfig *self)
{
  return self->group_waiters == NULL && self->group_read_at != 0 &&
         g_get_monotonic_time () - self->group_read_at <
           CB_PROVISIONING_CONFIG_GROUP_TTL_SECONDS * G_USEC_PER_SEC;
}

gboolean
cb_provisioning_config_peek_group (CbProvisioningConfig  *self,
                                   JsonObject           **out_group)
{
  g_return_val_if_fail (CB_IS_PROVISIONING_CONFIG (self), FALSE);
  g_return_val_if_fail (out_group != NULL, FALSE);

  *out_group = NULL;
  /* Another group (the profile changed): what was read is not its answer. */
  if (g_strcmp0 (cb_profile_get_enrollment_group_id (self->profile), self->group_id) != 0 ||
      !group_fresh (self))
    return FALSE;
  if (self->group != NULL)
    *out_group = json_object_ref (self->group);
  return TRUE;
}

void
cb_provisioning_config_get_group_async (CbProvisioningConfig *self,
                                        gboolean              force,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *group_id = cb_profile_get_enrollment_group_id (self->profile);

  g_task_set_source_tag (task, cb_provisioning_config_get_group_async);
  g_return_if_fail (self->dps_service != NULL && group_id != NULL);

  /* Another group (the profile changed): what was read is not its answer. */
  if (g_strcmp0 (group_id, self->group_id) != 0)
    {
      cb_set_str (&self->group_id, group_id);
      self->group_read_at = 0;
    }

  if (!force && group_fresh (self))
    {
      group_return (task, self->group, TRUE, group_id);
      return;
    }

  if (self->group_waiters != NULL)
    {
      g_ptr_array_add (self->group_waiters, g_steal_pointer (&task));
      return;
    }

  self->group_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->group_waiters, g_steal_pointer (&task));
  g_object_set_data_full (G_OBJECT (self), "cb-group-reading", g_strdup (group_id), g_free);
  cb_dps_service_client_get_async (self->dps_service, CB_DPS_ENROLLMENT_GROUP, group_id, NULL,
                                   group_read_cb, g_object_ref (self));
}

JsonObject *
cb_provisioning_config_get_group_finish (CbProvisioningConfig *self,
                                         GAsyncResult         *result,
                                         gboolean             *out_kept,
                                         GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (out_kept != NULL)
    *out_kept = GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  return g_task_propagate_pointer (G_TASK (result), error);
}
