/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-run"

/* The register step of a provisioning run: the device registers with DPS (directly or through
 * the bench) and the run takes the issued chain it gets back. */

#include "config.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-dps-enrollment-group-x509.h"
#include "cb-dps-enrollment-x509.h"
#include "cb-error.h"
#include "cb-protocol-log.h"
#include "cb-provisioning-config-private.h"
#include "cb-provisioning-run-private.h"
#include "cb-registration-template.h"
#include "cb-run-result-private.h"
#include "cb-run-step-private.h"
#include "cb-sandbox-client.h"
#include "cb-sas.h"
#include "cb-util.h"

static gboolean reconsider_onboarding (CbProvisioningRun *self,
                                       GError            *refusal,
                                       JsonObject        *state);

static GBytes *
sha256_of (GBytes *bytes)
{
  guint8 digest[32];
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  gnutls_hash_fast (GNUTLS_DIG_SHA256, data, len, digest);
  return g_bytes_new (digest, sizeof digest);
}

static gboolean
take_chain_blob (CbProvisioningRun  *self,
                 GBytes             *blob,
                 GError            **error)
{
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) local_error = NULL;

  chain = cb_provisioning_split_chain (blob, &local_error);
  if (chain == NULL)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The issued chain cannot be read: %s", local_error->message);
      return FALSE;
    }

  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_clear_pointer (&self->chain_blob, g_bytes_unref);
  g_clear_pointer (&self->chain_sha, g_bytes_unref);
  self->chain = g_steal_pointer (&chain);
  self->chain_blob = g_bytes_ref (blob);
  self->chain_sha = sha256_of (blob);
  return TRUE;
}

static void
register_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDpsRegistration) registration = NULL;
  g_autoptr(GByteArray) blob = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *detail = NULL;
  GPtrArray *issued;
  GError *error = NULL;

  registration = cb_dps_client_register_finish (CB_DPS_CLIENT (object), result, &error);
  if (registration == NULL)
    {
      /* The group's key refused: the group may onboard with X.509 now, or the device has an
       * individual enrollment the run did not read (first_group_cb). */
      if ((!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED) &&
           !g_error_matches (error, CB_API_ERROR, CB_API_ERROR_FORBIDDEN)) ||
          !reconsider_onboarding (self, error, NULL))
        cb_provisioning_run_step_error (self, error);
      return;
    }

  issued = cb_dps_registration_get_issued_chain (registration);
  if (issued == NULL || issued->len == 0)
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                                         "DPS assigned the device but returned no certificate chain "
                                                         "(is the enrollment linked to a credential policy?)"));
      return;
    }

  for (guint i = 0; i < issued->len; i++)
    {
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (issued, i), &len);
      g_byte_array_append (blob, data, len);
    }
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&blob));

  if (!take_chain_blob (self, bytes, &error))
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  cb_set_str (&self->hub, cb_dps_registration_get_assigned_hub (registration));
  cb_set_str (&self->device_id, cb_dps_registration_get_device_id (registration));

  detail = g_strdup_printf ("assigned to %s as %s, chain of %u (%" G_GSIZE_FORMAT " bytes)",
                            self->hub ? self->hub : "?", self->device_id ? self->device_id : "?",
                            self->chain->len, g_bytes_get_size (self->chain_blob));
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

/* Device self-registration: dps_config, dps_register, then dps_status until a result, then the
 * staged chain is read back. */

static void device_poll (CbProvisioningRun *self);
static void read_staging (CbProvisioningRun *self);
static void onboarding_decided (CbProvisioningRun *self);
static void onboarding_chosen (CbProvisioningRun *self);
static char *onboarding_refusal (CbProvisioningRun *self);
static void registration_state_cb (GObject      *object,
                                   GAsyncResult *result,
                                   gpointer      user_data);

static void
device_staging_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) blob = NULL;
  g_autofree char *detail = NULL;
  GBytes *expected_sha = g_object_get_data (G_OBJECT (self), "cb-device-sha");
  GError *error = NULL;

  blob = cb_device_driver_read_chain_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (blob == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  if (!take_chain_blob (self, blob, &error))
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  if (expected_sha != NULL && !g_bytes_equal (expected_sha, self->chain_sha))
    {
      cb_provisioning_run_step_error (self, CHECK_FAILED ("The staged chain is not the one the device's DPS "
                                                          "registration reported (SHA-256 differs)"));
      return;
    }

  detail = g_strdup_printf ("the device registered itself%s%s%s%s: assigned to %s as %s, "
                            "chain of %u",
                            self->onboarding_fingerprint != NULL ? " with its onboarding "
                                                                   "certificate, SHA-256 " : "",
                            self->onboarding_fingerprint != NULL ? self->onboarding_fingerprint
                                                                 : "",
                            self->onboarding_group != NULL ? ", through the enrollment group " : "",
                            self->onboarding_group != NULL ? self->onboarding_group : "",
                            self->hub ? self->hub : "?", self->device_id ? self->device_id : "?",
                            self->chain->len);
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

static void
read_staging (CbProvisioningRun *self)
{
  cb_device_driver_read_chain_async (self->driver, CB_DEVICE_SLOT_STAGING, self->cancellable,
                                     device_staging_cb, g_object_ref (self));
}

/* ---- X.509 onboarding ---------------------------------------------------------------------- */

static JsonObject *
object_at (JsonObject *object,
           const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
string_at (JsonObject *object,
           const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* "ABCD…" as DPS writes thumbprints → "AB:CD:…" as openssl prints fingerprints. */
static char *
colon_hex (const char *thumbprint)
{
  GString *s = g_string_new (NULL);

  for (const char *p = thumbprint; p[0] != '\0' && p[1] != '\0'; p += 2)
    {
      if (s->len > 0)
        g_string_append_c (s, ':');
      g_string_append_c (s, g_ascii_toupper (p[0]));
      g_string_append_c (s, g_ascii_toupper (p[1]));
    }
  return g_string_free (s, FALSE);
}

static gboolean
thumbprint_expected (CbProvisioningRun *self,
                     const char        *sha)
{
  for (guint i = 0; sha != NULL && i < self->onboarding_expected->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (self->onboarding_expected, i), sha) == 0)
      return TRUE;
  return FALSE;
}

/* What DPS reports of the device's registration, checked against the enrollment the run chose
 * X.509 onboarding for: the presented certificate is the individual enrollment's, or it came
 * in through the station's group by one of the group's signing CAs. */
static GError *
check_registration_state (CbProvisioningRun *self,
                          JsonObject        *state)
{
  JsonObject *x509 = object_at (state, "x509");
  const char *sha = string_at (object_at (x509, "certificateInfo"), "sha256Thumbprint");
  const char *group = string_at (x509, "enrollmentGroupId");
  const char *signing = string_at (object_at (x509, "signingCertificateInfo"), "sha256Thumbprint");

  if (x509 == NULL || sha == NULL)
    return CHECK_FAILED ("DPS reports no onboarding certificate for %s (its registration state "
                         "has no x509.certificateInfo): the device did not register with X.509",
                         self->registration_id);

  g_free (self->onboarding_fingerprint);
  self->onboarding_fingerprint = colon_hex (sha);

  if (self->onboarding_group == NULL)
    {
      if (group != NULL)
        return CHECK_FAILED ("The device registered through the enrollment group “%s”, not its "
                             "individual X.509 enrollment “%s”", group, self->registration_id);
      if (!thumbprint_expected (self, sha))
        return CHECK_FAILED ("The onboarding certificate the device presented (SHA-256 %s) is "
                             "not the one its enrollment “%s” holds",
                             self->onboarding_fingerprint, self->registration_id);
      return NULL;
    }

  if (g_strcmp0 (group, self->onboarding_group) != 0)
    return CHECK_FAILED ("The device's onboarding certificate (SHA-256 %s) registered through "
                         "%s%s%s, not the station's enrollment group “%s”",
                         self->onboarding_fingerprint,
                         group != NULL ? "the enrollment group “" : "an individual enrollment",
                         group != NULL ? group : "", group != NULL ? "”" : "",
                         self->onboarding_group);
  if (signing == NULL)
    return CHECK_FAILED ("DPS names no signing CA for the onboarding certificate (SHA-256 %s) "
                         "of the enrollment group “%s”", self->onboarding_fingerprint,
                         self->onboarding_group);
  /* A group that references the service's CA certificates by name shows no thumbprint of
   * its own: there DPS's word that the group's verified CA signed it is what there is. */
  if (self->onboarding_expected->len > 0 && !thumbprint_expected (self, signing))
    return CHECK_FAILED ("The onboarding certificate (SHA-256 %s) was signed by a CA (SHA-256 "
                         "%s) that is not a signing certificate of the enrollment group “%s”",
                         self->onboarding_fingerprint, signing, self->onboarding_group);
  return NULL;
}

/* What a refused X.509 onboarding means, for the run's error (DPS over MQTT says only "not
 * authorized"): NULL for a symmetric-key onboarding. */
static char *
onboarding_refusal (CbProvisioningRun *self)
{
  g_autoptr(GString) expected = NULL;

  if (!self->onboarding_x509)
    return NULL;
  if (self->onboarding_group != NULL)
    return g_strdup_printf (". The device presented its X.509 onboarding certificate, and DPS did "
                            "not accept it: no verified signing CA of an enrollment group (the "
                            "station's is “%s”) issued it, or its group is disabled",
                            self->onboarding_group);

  expected = g_string_new (NULL);
  for (guint i = 0; i < self->onboarding_expected->len; i++)
    {
      g_autofree char *fingerprint = colon_hex (g_ptr_array_index (self->onboarding_expected, i));

      g_string_append_printf (expected, "%s%s", i > 0 ? " or " : "", fingerprint);
    }
  return g_strdup_printf (". The device presented its X.509 onboarding certificate, and DPS did "
                          "not accept it for the individual enrollment “%s”, which holds the "
                          "certificate SHA-256 %s (or the enrollment is disabled)",
                          self->registration_id, expected->len > 0 ? expected->str : "?");
}

static void
registration_state_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(JsonObject) state = NULL;
  GError *error = NULL;

  state = cb_dps_service_client_get_registration_state_finish (CB_DPS_SERVICE_CLIENT (object),
                                                               result, &error);
  if (state == NULL)
    {
      g_prefix_error (&error, "DPS's registration state of %s cannot be read: ",
                      self->registration_id);
      cb_provisioning_run_step_error (self, error);
      return;
    }

  if ((error = check_registration_state (self, state)) != NULL)
    {
      /* A signing CA the admin added to the group since the station read it? */
      if (self->onboarding_group == NULL || !reconsider_onboarding (self, error, state))
        cb_provisioning_run_step_error (self, error);
      return;
    }
  read_staging (self);
}

static gboolean
device_poll_timeout_cb (gpointer user_data)
{
  CbProvisioningRun *self = user_data;

  self->poll_source = 0;
  if (g_cancellable_is_cancelled (self->cancellable))
    cb_provisioning_run_fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  else
    device_poll (self);

  return G_SOURCE_REMOVE;
}

static void
device_status_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDpsStatus) status = NULL;
  GError *error = NULL;

  status = cb_device_driver_dps_status_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (status == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  if (g_strcmp0 (status->state, "assigned") == 0)
    {
      cb_set_str (&self->hub, status->hub);
      cb_set_str (&self->device_id, status->device_id);
      if (status->sha256 != NULL)
        g_object_set_data_full (G_OBJECT (self), "cb-device-sha", g_bytes_ref (status->sha256),
                                (GDestroyNotify) g_bytes_unref);
      /* An X.509 onboarding is checked against its enrollment before the chain is even read:
       * a mismatch leaves the device's certificates as they were. */
      if (self->onboarding_x509)
        cb_dps_service_client_get_registration_state_async (self->config->dps_service,
                                                            self->registration_id,
                                                            self->cancellable,
                                                            registration_state_cb,
                                                            g_object_ref (self));
      else
        read_staging (self);
      return;
    }

  if (g_strcmp0 (status->state, "failed") == 0)
    {
      g_autofree char *x509_cause = onboarding_refusal (self);

      error = g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                           "The device's own DPS registration failed: %s%s",
                           status->error ? status->error : "no reason given",
                           x509_cause != NULL ? x509_cause : "");
      /* Refused with what the group was when read: the admin may have changed it since. */
      if (!reconsider_onboarding (self, error, NULL))
        cb_provisioning_run_step_error (self, error);
      return;
    }

  if (g_get_monotonic_time () > self->dps_deadline)
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                                         "The device's own DPS registration gave no result within "
                                                         "%u s (state %s)", self->config->device_dps_timeout,
                                                         status->state ? status->state : "?"));
      return;
    }

  self->poll_source = g_timeout_add (self->config->device_dps_poll_ms, device_poll_timeout_cb,
                                     self);
}

static void
device_poll (CbProvisioningRun *self)
{
  cb_device_driver_dps_status_async (self->driver, self->cancellable, device_status_cb,
                                     g_object_ref (self));
}

static void
device_register_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autofree char *state = NULL;
  GError *error = NULL;

  state = cb_device_driver_dps_register_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (state == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  self->dps_deadline = g_get_monotonic_time () +
                       (gint64) self->config->device_dps_timeout * G_USEC_PER_SEC;
  device_poll (self);
}

static void
device_config_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  GError *error = NULL;

  if (!cb_device_driver_dps_configure_finish (CB_DEVICE_DRIVER (object), result, &error))
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  cb_device_driver_dps_register_async (self->driver, self->cancellable, device_register_cb,
                                       g_object_ref (self));
}

/* Hands the device its DPS configuration: the key derived from the group's for a symmetric-key
 * onboarding, none for an X.509 one (the device has its own onboarding certificate and key,
 * which the station never holds). */
static void
device_configure (CbProvisioningRun *self)
{
  CbProfile *profile = self->config->profile;
  g_autofree char *endpoint = NULL;
  char *device_key = NULL;
  GError *error = NULL;

  /* The device registers over MQTT as the CSR-capable SDKs do (HTTPS when the station's
   * DPS transport is set to it). */
  endpoint = self->config->dps != NULL
    ? cb_dps_client_dup_device_endpoint (self->config->dps, &error)
    : g_strdup (cb_profile_get_dps_global_endpoint (profile));
  if (endpoint == NULL && error != NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  if (!self->onboarding_x509)
    {
      if (self->config->group_key == NULL)
        {
          cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                                                             "No enrollment group key is set for profile “%s”",
                                                             cb_profile_get_name (profile)));
          return;
        }
      device_key = cb_sas_derive_device_key (self->config->group_key, self->registration_id,
                                             &error);
      if (device_key == NULL)
        {
          cb_provisioning_run_step_error (self, error);
          return;
        }
    }

  g_object_set_data (G_OBJECT (self), "cb-device-sha", NULL);
  cb_device_driver_dps_configure_async (self->driver, cb_profile_get_dps_id_scope (profile),
                                        self->registration_id,
                                        device_key != NULL ? device_key : "", endpoint,
                                        cb_profile_get_pinned_ca_file (profile),
                                        self->cancellable, device_config_cb, g_object_ref (self));
  cb_wipe_string (&device_key);
}

/* The run's choice when the enrollment cannot be read: the group key when there is one. */
static void
onboarding_unknown (CbProvisioningRun *self,
                    GError            *error)   /* (transfer full) */
{
  if (self->config->group_key == NULL || cb_provisioning_run_error_is_cancelled (error))
    {
      g_prefix_error (&error, "Whether %s onboards with X.509 cannot be told (its enrollment "
                      "cannot be read): ", self->registration_id);
      cb_provisioning_run_step_error (self, error);
      return;
    }
  g_message ("The enrollment of %s cannot be read (%s): it onboards with the group's key",
             self->registration_id, error->message);
  g_error_free (error);
  onboarding_chosen (self);
}

/* What the station's enrollment group says of the run's onboarding (NULL: DPS has none). */
static void
onboarding_from_group (CbProvisioningRun *self,
                       JsonObject        *group)
{
  self->onboarding_x509 = FALSE;
  g_clear_pointer (&self->onboarding_group, g_free);
  g_clear_pointer (&self->onboarding_expected, g_ptr_array_unref);
  if (group != NULL && cb_dps_enrollment_is_x509 (group))
    {
      self->onboarding_x509 = TRUE;
      self->onboarding_group =
        g_strdup (cb_profile_get_enrollment_group_id (self->config->profile));
      self->onboarding_expected = cb_dps_enrollment_dup_x509_thumbprints (group);
    }
}

static void
onboarding_group_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(JsonObject) group = NULL;
  GError *error = NULL;

  group = cb_provisioning_config_get_group_finish (CB_PROVISIONING_CONFIG (object), result,
                                                   &self->onboarding_group_kept, &error);
  if (group == NULL && !g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
    {
      onboarding_unknown (self, error);
      return;
    }
  g_clear_error (&error);

  onboarding_from_group (self, group);
  onboarding_chosen (self);
}

/* DPS refused what the run did on the strength of an earlier read of the station's group (the
 * group's key, or the device's X.509 certificate), or the device came in through the group by
 * a CA that read did not list: the admin may have changed the group since. It is read again
 * at once, and the run decides again: another onboarding is tried once, a registration DPS
 * made is checked again; else the refusal stands. */
typedef struct
{
  CbProvisioningRun *run;
  GError            *refusal;
  JsonObject        *state;   /* the device's registration state, to check again; or NULL */
} Reconsider;

static void
reconsider_free (Reconsider *r)
{
  g_object_unref (r->run);
  g_clear_error (&r->refusal);
  g_clear_pointer (&r->state, json_object_unref);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reconsider, reconsider_free)

static void
reconsider_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Reconsider) r = user_data;
  CbProvisioningRun *self = r->run;
  g_autoptr(JsonObject) group = NULL;
  GError *error = NULL;

  group = cb_provisioning_config_get_group_finish (CB_PROVISIONING_CONFIG (object), result, NULL,
                                                   &error);
  if (group == NULL && !g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
    {
      /* Cancelled, or the group cannot be read now: the refusal is what the run knows. */
      if (cb_provisioning_run_error_is_cancelled (error))
        cb_provisioning_run_step_error (self, error);
      else
        {
          g_error_free (error);
          cb_provisioning_run_step_error (self, g_steal_pointer (&r->refusal));
        }
      return;
    }
  g_clear_error (&error);
  onboarding_from_group (self, group);

  if ((error = check_registration_state (self, r->state)) != NULL)
    cb_provisioning_run_step_error (self, error);
  else
    read_staging (self);
}

static void read_individual (CbProvisioningRun *self);

/* Decides again from the enrollments as DPS has them now (the individual one read, the group
 * read again): onboarding_chosen() then tries the other onboarding, or ends the step with
 * @refusal when the choice is the same. */
static void
decide_again (CbProvisioningRun *self,
              GError            *refusal)   /* (transfer full) */
{
  g_object_set_data_full (G_OBJECT (self), "cb-onboarding-refusal", refusal,
                          (GDestroyNotify) g_error_free);
  self->onboarding_was_x509 = self->onboarding_x509;
  self->onboarding_x509 = FALSE;
  self->onboarding_group_kept = FALSE;
  self->onboarding_individual_unread = FALSE;
  g_clear_pointer (&self->onboarding_group, g_free);
  g_clear_pointer (&self->onboarding_expected, g_ptr_array_unref);
  read_individual (self);
}

/* Returns: whether the run reads the enrollments again over @refusal (taking it); FALSE when
 * the choice did not rest on an earlier read or an unread individual enrollment, or they were
 * read again already. */
static gboolean
reconsider_onboarding (CbProvisioningRun *self,
                       GError            *refusal,
                       JsonObject        *state)
{
  Reconsider *r;

  if ((!self->onboarding_group_kept && !self->onboarding_individual_unread) ||
      self->onboarding_group_reread || cb_provisioning_run_error_is_cancelled (refusal))
    return FALSE;

  self->onboarding_group_reread = TRUE;
  cb_protocol_log_add_note (self->protocol_log,
                            "step register: %s; reading the enrollments again",
                            refusal->message);
  if (state == NULL)
    {
      decide_again (self, refusal);
      return TRUE;
    }

  r = g_new0 (Reconsider, 1);
  r->run = g_object_ref (self);
  r->refusal = refusal;
  r->state = state != NULL ? json_object_ref (state) : NULL;
  cb_provisioning_config_get_group_async (self->config, TRUE, self->cancellable, reconsider_cb,
                                          r);
  return TRUE;
}

static void
onboarding_individual_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(JsonObject) individual = NULL;
  const char *group_id = cb_profile_get_enrollment_group_id (self->config->profile);
  GError *error = NULL;

  individual = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                        &error);
  if (individual != NULL)
    {
      /* An individual enrollment decides for its device, whatever the group. */
      if (g_strcmp0 (cb_dps_enrollment_get_attestation_type (individual), "x509") == 0)
        {
          self->onboarding_x509 = TRUE;
          self->onboarding_expected = cb_dps_enrollment_dup_x509_thumbprints (individual);
        }
      onboarding_chosen (self);
      return;
    }
  if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
    {
      onboarding_unknown (self, error);
      return;
    }
  g_clear_error (&error);

  if (group_id == NULL || *group_id == '\0')
    {
      onboarding_chosen (self);
      return;
    }
  /* The station's group: one read serves many runs (cb-provisioning-config.c); read again
   * when deciding again after a refusal. */
  cb_provisioning_config_get_group_async (self->config, self->onboarding_group_reread,
                                          self->cancellable, onboarding_group_cb,
                                          g_object_ref (self));
}

static void
read_individual (CbProvisioningRun *self)
{
  cb_dps_service_client_get_async (self->config->dps_service, CB_DPS_ENROLLMENT_INDIVIDUAL,
                                   self->registration_id, self->cancellable,
                                   onboarding_individual_cb, g_object_ref (self));
}

/* The station registers a device of a group that onboards with the group's key, on the
 * station's last read of the group, without reading the device's individual enrollment first:
 * an individual enrollment (which decides for its device) makes DPS refuse the group's key,
 * and the run then reads it and decides again (reconsider_onboarding). The device is given
 * no key this way, so a device-registration station still reads the individual enrollment
 * before it hands the device one. */
static void
first_group (CbProvisioningRun *self,
             JsonObject        *group,
             gboolean           kept,
             const GError      *error)
{
  if (cb_provisioning_run_error_is_cancelled (error))
    {
      cb_provisioning_run_step_error (self, g_error_copy (error));
      return;
    }
  if ((group == NULL && !g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND)) ||
      (group != NULL && cb_dps_enrollment_is_x509 (group)))
    {
      /* Unknown, or X.509: the individual enrollment first, as always. */
      read_individual (self);
      return;
    }
  self->onboarding_group_kept = kept;
  self->onboarding_individual_unread = TRUE;
  onboarding_from_group (self, group);
  onboarding_chosen (self);
}

static void
first_group_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GError) error = NULL;
  gboolean kept = FALSE;

  group = cb_provisioning_config_get_group_finish (CB_PROVISIONING_CONFIG (object), result,
                                                   &kept, &error);
  first_group (self, group, kept, error);
}

gboolean
cb_provisioning_run_device_registers (CbProvisioningRun *self)
{
  return (self->config->mode == CB_REGISTRATION_MODE_DEVICE || self->onboarding_x509) &&
         cb_device_driver_has_capability (self->driver, CB_DEVICE_CAP_DPS_SELF_REGISTER);
}

static void
station_register (CbProvisioningRun *self)
{
  CbProfile *profile = self->config->profile;

  if (self->config->group_key == NULL)
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                                                         "No enrollment group key is set for profile “%s”",
                                                         cb_profile_get_name (profile)));
      return;
    }

  if (self->config->dps == NULL)
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                                                         "This station has no DPS client"));
      return;
    }

  cb_dps_client_register_async (self->config->dps, self->registration_id, self->config->group_key,
                                CB_DPS_KEY_ENROLLMENT_GROUP, self->csr_der, NULL,
                                self->cancellable, register_cb, g_object_ref (self));
}

/* The onboarding is decided: the device registers itself (a device-registration station, or
 * an X.509 enrollment, which only the device can attest), else the station registers it. */
static void
onboarding_decided (CbProvisioningRun *self)
{
  if (cb_provisioning_run_device_registers (self))
    device_configure (self);
  else
    station_register (self);
}

/* The enrollments are read: go on with the choice, unless this is the second choice after a
 * refusal (decide_again) and it is the first one again, when the refusal stands. */
static void
onboarding_chosen (CbProvisioningRun *self)
{
  GError *refusal = g_object_steal_data (G_OBJECT (self), "cb-onboarding-refusal");

  if (refusal != NULL)
    {
      if (self->onboarding_x509 == self->onboarding_was_x509)
        {
          cb_provisioning_run_step_error (self, refusal);
          return;
        }
      g_error_free (refusal);
      cb_protocol_log_add_note (self->protocol_log,
                                "step register: %s onboards %s: registering again",
                                self->registration_id,
                                self->onboarding_x509 ? "with X.509" : "with the group's key");
    }
  onboarding_decided (self);
}

void
cb_provisioning_run_do_register (CbProvisioningRun *self)
{
  /* A device that cannot register itself is registered by the station with its CSR. */
  if (cb_device_driver_has_capability (self->driver, CB_DEVICE_CAP_DPS_SELF_REGISTER))
    {
      /* Which onboarding: the enrollment decides (an X.509 individual enrollment of the
       * registration id, read on every attempt; else an X.509 station group, as the station
       * last read it, and read again when DPS refuses what that read made the run do). */
      const char *group_id = cb_profile_get_enrollment_group_id (self->config->profile);

      self->onboarding_x509 = FALSE;
      self->onboarding_group_kept = FALSE;
      self->onboarding_group_reread = FALSE;
      self->onboarding_individual_unread = FALSE;
      g_object_set_data (G_OBJECT (self), "cb-onboarding-refusal", NULL);
      g_clear_pointer (&self->onboarding_group, g_free);
      g_clear_pointer (&self->onboarding_expected, g_ptr_array_unref);
      g_clear_pointer (&self->onboarding_fingerprint, g_free);
      if (self->config->dps_service == NULL)
        {
          onboarding_decided (self);
          return;
        }
      if (self->config->mode == CB_REGISTRATION_MODE_STATION && self->config->group_key != NULL &&
          group_id != NULL && *group_id != '\0')
        {
          g_autoptr(JsonObject) group = NULL;
          g_autoptr(GError) not_found = NULL;

          /* The station's kept read is taken at once: no task and no turn of the main loop
           * of their own a device. */
          if (g_cancellable_is_cancelled (self->cancellable) ||
              !cb_provisioning_config_peek_group (self->config, &group))
            {
              cb_provisioning_config_get_group_async (self->config, FALSE, self->cancellable,
                                                      first_group_cb, g_object_ref (self));
              return;
            }
          if (group == NULL)
            not_found = g_error_new (CB_API_ERROR, CB_API_ERROR_NOT_FOUND,
                                     "DPS has no enrollment group “%s”", group_id);
          first_group (self, group, TRUE, not_found);
        }
      else
        read_individual (self);
      return;
    }

  station_register (self);
}
