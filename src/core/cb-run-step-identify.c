/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-run"

/* The identify step of a provisioning run: ask the device who it is, and read back a leaf whose
 * commit answer a previous run lost, so the journal tells what became of it. */

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

static void
identify_passed (CbProvisioningRun *self,
                 const char        *note)
{
  g_autofree char *detail = NULL;

  detail = g_strdup_printf ("serial %s, model %s, firmware %s → registration id %s%s%s",
                            cb_device_info_get_serial (self->info),
                            cb_device_info_get_model (self->info)
                              ? cb_device_info_get_model (self->info) : "?",
                            cb_device_info_get_firmware (self->info)
                              ? cb_device_info_get_firmware (self->info) : "?",
                            self->registration_id, note != NULL ? "; " : "",
                            note != NULL ? note : "");
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

/* The read-back of a chain that an earlier run sent and never heard back about. */
static void
identify_read_back_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) active = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autofree char *note = NULL;
  GError *error = NULL;
  gboolean installed;

  active = cb_device_driver_read_chain_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (active == NULL && !cb_provisioning_run_error_is_no_chain (self, error))
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }
  g_clear_error (&error);

  /* No active chain, or one whose leaf is another: the sent leaf did not take. */
  if (active != NULL)
    chain = cb_provisioning_split_chain (active, NULL);
  installed = chain != NULL && chain->len > 0 &&
              g_strcmp0 (cb_certificate_get_sha256_fingerprint (g_ptr_array_index (chain, 0)),
                         self->sent_fingerprint) == 0;
  cb_provisioning_run_journal_resolve_leaf (self, self->sent_run, installed ? CB_JOURNAL_LEAF_INSTALLED
                                                                            : CB_JOURNAL_LEAF_NOT_INSTALLED);
  note = g_strdup_printf ("the leaf of run %" G_GINT64_FORMAT ", whose commit answer was lost, "
                          "is %s", self->sent_run,
                          installed ? "installed" : "not installed");
  identify_passed (self, note);
}

static void
identify_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDeviceInfo) info = NULL;
  GError *error = NULL;
  CbJournalDevice device;

  info = cb_device_driver_identify_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (info == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }
  g_set_object (&self->info, info);

  if (!cb_device_info_supports_key_type (info, self->config->key_type))
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                                         "The device cannot make %s keys, which this station uses",
                                                         self->config->key_type));
      return;
    }

  g_clear_pointer (&self->registration_id, g_free);
  if (self->registration_id_override != NULL)
    self->registration_id = cb_registration_id_normalize (self->registration_id_override, &error);
  else
    /* Every fact the driver reports ({serial}, {model}, {firmware}, an nRF91's {imei}, {uuid}). */
    self->registration_id = cb_registration_template_expand_with (self->config->template_text,
                                                                  (CbRegistrationLookup) cb_device_info_get_fact,
                                                                  info, &error);
  if (self->registration_id == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  if (cb_provisioning_run_journal (self) != NULL)
    {
      device = (CbJournalDevice) {
        .serial = cb_device_info_get_serial (info),
        .model = cb_device_info_get_model (info),
        .firmware = cb_device_info_get_firmware (info),
        .registration_id = self->registration_id,
      };
      if (!cb_journal_set_device (cb_provisioning_run_journal (self), self->journal_run, &device, &error))
        {
          cb_provisioning_run_fail (self, error);
          return;
        }
    }

  /* An earlier run lost a commit's answer on this device: its chain tells what happened. */
  g_clear_pointer (&self->sent_fingerprint, g_free);
  self->sent_run = cb_provisioning_run_journal (self) != NULL
                   ? cb_journal_find_sent_leaf (cb_provisioning_run_journal (self), cb_device_info_get_serial (info),
                                                &self->sent_fingerprint, NULL)
                   : 0;
  if (self->sent_run > 0 &&
      cb_device_driver_has_capability (self->driver, CB_DEVICE_CAP_READ_BACK_CHAIN))
    {
      cb_device_driver_read_chain_async (self->driver, CB_DEVICE_SLOT_ACTIVE, self->cancellable,
                                       identify_read_back_cb, g_object_ref (self));
      return;
    }

  identify_passed (self, NULL);
}

void
cb_provisioning_run_do_identify (CbProvisioningRun *self)
{
  cb_device_driver_identify_async (self->driver, self->cancellable, identify_cb,
                                   g_object_ref (self));
}
