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

  detail = g_strdup_printf ("the device registered itself: assigned to %s as %s, chain of %u",
                            self->hub ? self->hub : "?", self->device_id ? self->device_id : "?",
                            self->chain->len);
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
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
      cb_device_driver_read_chain_async (self->driver, CB_DEVICE_SLOT_STAGING, self->cancellable,
                                         device_staging_cb, g_object_ref (self));
      return;
    }

  if (g_strcmp0 (status->state, "failed") == 0)
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                                         "The device's own DPS registration failed: %s",
                                                         status->error ? status->error : "no reason given"));
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

void
cb_provisioning_run_do_register (CbProvisioningRun *self)
{
  CbProfile *profile = self->config->profile;
  GError *error = NULL;

  if (self->config->group_key == NULL)
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                                                         "No enrollment group key is set for profile “%s”",
                                                         cb_profile_get_name (profile)));
      return;
    }

  /* A device that cannot register itself is registered by the station with its CSR. */
  if (self->config->mode == CB_REGISTRATION_MODE_DEVICE &&
      cb_device_driver_has_capability (self->driver, CB_DEVICE_CAP_DPS_SELF_REGISTER))
    {
      g_autofree char *endpoint = NULL;
      char *device_key;

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
      device_key = cb_sas_derive_device_key (self->config->group_key, self->registration_id,
                                             &error);
      if (device_key == NULL)
        {
          cb_provisioning_run_step_error (self, error);
          return;
        }

      g_object_set_data (G_OBJECT (self), "cb-device-sha", NULL);
      cb_device_driver_dps_configure_async (self->driver, cb_profile_get_dps_id_scope (profile),
                                            self->registration_id, device_key, endpoint,
                                            cb_profile_get_pinned_ca_file (profile),
                                            self->cancellable, device_config_cb, g_object_ref (self));
      cb_wipe_string (&device_key);
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
