/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-run"

/* The hub-connect step of a provisioning run: the device connects to its IoT hub with the new
 * identity and the run watches its state and twin until it is in or refused. */

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

/* A device that answers not_supported has no network at the bench: nothing to check. */
static gboolean
is_not_supported (const GError *error)
{
  return g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED) ||
         (g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC) &&
          cb_smp_error_get_rc (error) == CBP_RC_NOT_SUPPORTED) ||
         (g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GENERIC_RC) &&
          cb_smp_error_get_rc (error) == CBP_SMP_RC_NOT_SUPPORTED);
}

static void hub_poll (CbProvisioningRun *self);
static void hub_learn_first_poll (CbProvisioningRun *self);

static void
hub_wait_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  GError *error = NULL;

  if (!cb_device_driver_wait_finish (CB_DEVICE_DRIVER (object), result, &error))
    {
      /* The link went during the wait: the poll would say as much. */
      if (cb_provisioning_run_error_is_cancelled (error))
        cb_provisioning_run_fail (self, error);
      else
        cb_provisioning_run_step_error (self, error);
      return;
    }
  if (g_cancellable_is_cancelled (self->cancellable))
    cb_provisioning_run_fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
  else
    hub_poll (self);
}

/* Polls again at @until. Until then the run sends the device nothing and needs nothing it
 * says, and tells the driver so: what the device prints meanwhile ("I: hub: connected") is
 * read in the wake-up of the poll, not a wake-up or more a line. */
static void
hub_poll_at (CbProvisioningRun *self,
             gint64             until)
{
  cb_device_driver_wait_async (self->driver, until, self->cancellable, hub_wait_cb,
                               g_object_ref (self));
}

/* A device connects within tens of ms of its hub config: poll soon at first, then less
 * often (half the time waited so far, at least HUB_POLL_MIN_MS), up to the poll interval, so
 * the polls cost the line a bounded share of its bytes. */
#define HUB_POLL_MIN_MS 20

static guint
hub_poll_delay_ms (CbProvisioningRun *self)
{
  gint64 started = self->hub_deadline - (gint64) self->config->hub_timeout * G_USEC_PER_SEC;
  gint64 waited_ms = (g_get_monotonic_time () - started) / 1000;

  return (guint) CLAMP (waited_ms / 2, MIN (HUB_POLL_MIN_MS, self->config->hub_poll_ms),
                        self->config->hub_poll_ms);
}

/* Asks again after the poll interval, or gives up at the deadline with what was seen last. */
static void
hub_poll_later (CbProvisioningRun *self)
{
  if (g_get_monotonic_time () > self->hub_deadline)
    {
      if (self->hub_twin_note != NULL)
        cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                                           "The device connected to %s, but within %u s %s",
                                                           self->hub, self->config->hub_timeout,
                                                           self->hub_twin_note));
      else
        cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                                           "The device did not connect to %s within %u s (last "
                                                           "state: %s)", self->hub, self->config->hub_timeout,
                                                           self->hub_last ? self->hub_last : "none reported"));
      return;
    }

  hub_poll_at (self, g_get_monotonic_time () + (gint64) hub_poll_delay_ms (self) * 1000);
}

static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
hub_twin_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(JsonObject) twin = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;
  g_autofree char *detail = NULL;
  g_autoptr(GDateTime) until_dt = NULL;
  g_autofree char *until_date = NULL;
  CbCertificate *leaf = g_ptr_array_index (self->chain, 0);
  JsonObject *certificate;
  const char *reported_from, *reported_until, *state;

  twin = cb_hub_client_object_finish (CB_HUB_CLIENT (object), result, &error);
  if (twin == NULL)
    {
      if (cb_provisioning_run_error_is_cancelled (error))
        {
          cb_provisioning_run_fail (self, g_steal_pointer (&error));
          return;
        }
      /* Throttling or a dropped connection: ask again; anything else is the answer. */
      if (!cb_provisioning_run_error_is_transient (error))
        {
          GError *wrapped = g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                         "The device connected, but its twin could not be read: "
                                         "%s", error->message);
          cb_provisioning_run_step_error (self, wrapped);
          return;
        }
      g_free (self->hub_twin_note);
      self->hub_twin_note = g_strdup_printf ("its twin could not be read (%s)", error->message);
      hub_poll_later (self);
      return;
    }

  from = cb_time_format_fixed (cb_certificate_get_not_before (leaf));
  until = cb_time_format_fixed (cb_certificate_get_not_after (leaf));
  certificate = object_member (object_member (object_member (twin, "properties"), "reported"),
                               "certificate");
  reported_from = certificate != NULL
                    ? json_object_get_string_member_with_default (certificate, "validFrom", NULL)
                    : NULL;
  reported_until = certificate != NULL
                     ? json_object_get_string_member_with_default (certificate, "validUntil", NULL)
                     : NULL;
  state = json_object_get_string_member_with_default (twin, "connectionState", NULL);

  g_clear_pointer (&self->hub_twin_note, g_free);
  if (reported_until == NULL || reported_from == NULL)
    self->hub_twin_note = g_strdup ("its twin reports no certificate dates "
                                    "(properties.reported.certificate)");
  else if (g_strcmp0 (reported_from, from) != 0 || g_strcmp0 (reported_until, until) != 0)
    self->hub_twin_note = g_strdup_printf ("its twin reports a certificate valid from %s until "
                                           "%s, not the issued one (%s until %s)", reported_from,
                                           reported_until, from, until);
  else if (g_strcmp0 (state, "Connected") != 0)
    self->hub_twin_note = g_strdup_printf ("its twin says connectionState %s",
                                           state ? state : "(none)");

  if (self->hub_twin_note != NULL)
    {
      hub_poll_later (self);
      return;
    }

  until_dt = g_date_time_new_from_unix_utc (cb_certificate_get_not_after (leaf));
  until_date = g_date_time_format (until_dt, "%Y-%m-%d");
  detail = g_strdup_printf ("connected to %s, twin reports until %s", self->hub, until_date);
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

static void
hub_connection_report_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbHubConnectionReport) report = NULL;
  g_autoptr(GError) error = NULL;
  const char *device_error = g_object_get_data (G_OBJECT (self), "cb-hub-error");
  g_autoptr(GString) message = g_string_new (NULL);

  report = cb_sandbox_client_get_connection_finish (result, &error);

  g_string_append_printf (message, "The hub %s refused the device's connection: %s", self->hub,
                          device_error != NULL && *device_error != '\0' ? device_error
                                                                        : "no reason given");
  if (report != NULL && report->has_attempt && !report->accepted)
    g_string_append_printf (message, "; the sandbox says %s: %s",
                            report->verdict ? report->verdict : "refused",
                            report->reason ? report->reason : "no reason given");
  else if (report == NULL && error != NULL && !cb_provisioning_run_error_is_cancelled (error))
    g_string_append_printf (message, " (the sandbox's report could not be read: %s)",
                            error->message);

  cb_provisioning_run_step_error (self, g_error_new_literal (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE, message->str));
}

static void
hub_refused (CbProvisioningRun *self,
             const char        *device_error)
{
  CbProfile *profile = self->config->profile;

  g_object_set_data_full (G_OBJECT (self), "cb-hub-error", g_strdup (device_error), g_free);

  /* The sandbox can tell why its hub said no; on Azure the device's word is all there is. */
  if (cb_profile_get_kind (profile) == CB_PROFILE_KIND_SANDBOX &&
      cb_profile_get_sandbox_endpoint (profile) != NULL && self->config->http != NULL)
    {
      cb_sandbox_client_get_connection_async (self->config->http, profile, self->device_id,
                                              self->cancellable, hub_connection_report_cb,
                                              g_object_ref (self));
      return;
    }

  cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                                     "The hub %s refused the device's connection: %s", self->hub,
                                                     device_error != NULL && *device_error != '\0'
                                                       ? device_error : "no reason given"));
}

static void
hub_diag_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDeviceDiag) diag = NULL;
  GError *error = NULL;
  const char *state, *hub_error;
  gint64 changed;

  diag = cb_device_driver_diagnose_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (diag == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  state = cb_device_diag_get_hub_state (diag);
  hub_error = cb_device_diag_get_hub_error (diag);
  changed = cb_device_diag_get_hub_time (diag);
  if (state == NULL)
    {
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_SKIPPED,
                                       "the device does not report its hub connection (older firmware): not checked");
      return;
    }

  g_free (self->hub_last);
  self->hub_last = hub_error != NULL && *hub_error != '\0'
                     ? g_strdup_printf ("%s: %s", state, hub_error)
                     : g_strdup (state);

  /* A refusal may predate hub_config (the old certificate's): it counts once the device was
   * seen trying again, or it happened after the second hub_config went out, or it stayed for
   * two seconds. A "connected" needs no such care: the twin below tells which certificate
   * connected. */
  if (g_strcmp0 (state, "connected") != 0 && g_strcmp0 (state, "refused") != 0)
    self->hub_saw_progress = TRUE;

  if (g_strcmp0 (state, "refused") == 0)
    {
      if (!self->hub_saw_progress && changed <= self->hub_sent &&
          g_get_real_time () / G_USEC_PER_SEC < self->hub_sent + 2)
        {
          hub_poll_later (self);
          return;
        }
      hub_refused (self, hub_error);
      return;
    }

  if (g_strcmp0 (state, "connected") != 0)
    {
      hub_poll_later (self);
      return;
    }
  hub_learn_first_poll (self);

  if (self->config->hub == NULL)
    {
      g_autofree char *detail = g_strdup_printf ("connected to %s; twin not checked (no hub "
                                                 "client on this station)", self->hub);
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
      return;
    }
  /* The hub client talks to the profile's hub; DPS may assign another one. */
  if (g_ascii_strcasecmp (self->hub, cb_profile_get_hub_host_name (self->config->profile)
                                       ? cb_profile_get_hub_host_name (self->config->profile)
                                       : "") != 0)
    {
      g_autofree char *detail = g_strdup_printf ("connected to %s; twin not checked (the "
                                                 "station reads twins of %s only)", self->hub,
                                                 cb_profile_get_hub_host_name (
                                                   self->config->profile));
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
      return;
    }

  /* Connected is not enough: the twin must carry the new certificate's dates, which only a
   * connection made with it reports. */
  cb_hub_client_get_twin_async (self->config->hub, self->device_id, self->cancellable,
                                hub_twin_cb, g_object_ref (self));
}

static void
hub_poll (CbProvisioningRun *self)
{
  self->hub_polls++;
  self->hub_poll_sent = g_get_monotonic_time ();
  cb_device_driver_diagnose_async (self->driver, self->cancellable, hub_diag_cb, g_object_ref (self));
}

static void
hub_config_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  GError *error = NULL;

  if (!cb_device_driver_hub_configure_finish (CB_DEVICE_DRIVER (object), result, &error))
    {
      if (is_not_supported (error))
        {
          g_error_free (error);
          cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_SKIPPED,
                                           "the device has no network (it does not support hub_config): not checked");
          return;
        }
      cb_provisioning_run_step_error (self, error);
      return;
    }

  self->hub_answered = g_get_monotonic_time ();
  self->hub_deadline = self->hub_answered + (gint64) self->config->hub_timeout * G_USEC_PER_SEC;
  self->hub_polls = 0;
  /* The device needs a while to connect (its TLS and MQTT handshakes): a read at once only
   * finds it connecting. The first read waits what the station's earlier runs needed. */
  if (self->config->hub_first_poll_us >= 1000)
    hub_poll_at (self, self->hub_answered + self->config->hub_first_poll_us);
  else
    hub_poll (self);
}

/* The device was connected when the last read went out: the next run's first read goes out
 * then, or an eighth sooner when this run's first read found it connected already (so the
 * wait follows a device that got faster; one that is slower costs one more read). */
static void
hub_learn_first_poll (CbProvisioningRun *self)
{
  gint64 at = self->hub_poll_sent - self->hub_answered;
  gint64 limit = (gint64) self->config->hub_poll_ms * 1000;

  if (self->hub_polls == 1 && self->config->hub_first_poll_us > 0)
    at = MIN (at, self->config->hub_first_poll_us) * 7 / 8;
  self->config->hub_first_poll_us = CLAMP (at, 0, limit);
}

static void
hub_send_config (CbProvisioningRun *self)
{
  CbProfile *profile = self->config->profile;

  g_clear_pointer (&self->hub_last, g_free);
  g_clear_pointer (&self->hub_twin_note, g_free);
  self->hub_saw_progress = FALSE;
  self->hub_sent = g_get_real_time () / G_USEC_PER_SEC;
  cb_device_driver_hub_configure_async (self->driver, self->hub, self->device_id,
                                        cb_profile_get_hub_device_endpoint (profile),
                                        cb_profile_get_pinned_ca_file (profile), self->cancellable,
                                        hub_config_cb, g_object_ref (self));
}

static void
hub_dps_config_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  GError *error = NULL;

  if (!cb_device_driver_dps_configure_finish (CB_DEVICE_DRIVER (object), result, &error))
    {
      if (is_not_supported (error))
        {
          g_error_free (error);
          cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_SKIPPED,
                                           "the device has no network (it does not support dps_config): not checked");
          return;
        }
      cb_provisioning_run_step_error (self, error);
      return;
    }

  hub_send_config (self);
}

void
cb_provisioning_run_do_hub_connect (CbProvisioningRun *self)
{
  CbProfile *profile = self->config->profile;
  char *device_key;
  GError *error = NULL;

  if (!self->config->hub_check)
    {
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_SKIPPED, "hub check off (no network at the bench)");
      return;
    }

  if (!cb_device_driver_has_capability (self->driver, CB_DEVICE_CAP_HUB_CONNECT))
    {
      g_autofree char *reason = cb_device_driver_dup_missing_reason (self->driver,
                                                                     CB_DEVICE_CAP_HUB_CONNECT);

      cb_provisioning_run_step_not_applicable (self, reason);
      return;
    }

  if (self->hub == NULL || self->device_id == NULL)
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_SERVICE,
                                                         "DPS did not say which hub the device is assigned to"));
      return;
    }

  /* A device that registered itself has its DPS configuration already; one that cannot
   * register itself gets none. */
  if (cb_provisioning_run_device_registers (self) ||
      !cb_device_driver_has_capability (self->driver, CB_DEVICE_CAP_DPS_SELF_REGISTER))
    {
      hub_send_config (self);
      return;
    }

  /* Station registration: the device still needs DPS to re-register on its own once its
   * certificate has expired. The key is a secret: it goes to the device and nowhere else. */
  device_key = cb_sas_derive_device_key (self->config->group_key, self->registration_id, &error);
  if (device_key == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }
  cb_device_driver_dps_configure_async (self->driver, cb_profile_get_dps_id_scope (profile),
                                        self->registration_id, device_key,
                                        cb_profile_get_dps_global_endpoint (profile),
                                        cb_profile_get_pinned_ca_file (profile), self->cancellable,
                                        hub_dps_config_cb, g_object_ref (self));
  cb_wipe_string (&device_key);
}
