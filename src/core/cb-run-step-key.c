/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-run"

/* The keygen and csr steps of a provisioning run: the device makes its next key pair and a
 * certificate signing request for it, and the run checks the request. */

#include "config.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-csr.h"
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
keygen_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbKeygenResult) keygen = NULL;
  g_autofree char *detail = NULL;
  GError *error = NULL;
  CbKeyType type;

  keygen = cb_device_driver_create_key_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (keygen == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  type = cb_pki_key_type_from_spki (keygen->public_key);
  if ((g_strcmp0 (self->config->key_type, CBP_KEY_TYPE_P256) == 0 && type != CB_KEY_TYPE_EC_P256) ||
      (g_strcmp0 (self->config->key_type, CBP_KEY_TYPE_P384) == 0 && type != CB_KEY_TYPE_EC_P384))
    {
      cb_provisioning_run_step_error (self, CHECK_FAILED ("The device made a %s key where %s was asked for",
                                                          cb_key_type_to_string (type), self->config->key_type));
      return;
    }

  g_clear_pointer (&self->key_pub, g_bytes_unref);
  self->key_pub = g_bytes_ref (keygen->public_key);
  self->key_created = keygen->created;

  detail = g_strdup_printf ("%s, %s", cb_key_type_to_string (type),
                            keygen->created ? "new key" : "the device's existing key");
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

void
cb_provisioning_run_do_keygen (CbProvisioningRun *self)
{
  /* A device that has a key gets a new "next" key: its current key and certificate stay in use
   * until commit, so a failed run leaves it as it was. Each run gets a fresh key pair. */
  gboolean replace = cb_device_info_get_key_type (self->info) != NULL ||
                     cb_device_info_get_has_active_chain (self->info);

  cb_device_driver_create_key_async (self->driver, self->config->key_type, self->registration_id,
                                     replace, self->cancellable, keygen_cb, g_object_ref (self));
}

/* ---- csr -------------------------------------------------------------------------------- */

static void
csr_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDeviceCsr) device_csr = NULL;
  GBytes *der;
  g_autoptr(CbCsr) csr = NULL;
  g_autofree char *detail = NULL;
  GError *error = NULL;

  device_csr = cb_device_driver_create_csr_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (device_csr == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }
  der = device_csr->der;

  csr = cb_csr_new_from_der (der, &error);
  if (csr == NULL)
    {
      GError *wrapped = g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                     "The device's CSR cannot be read: %s", error->message);
      g_error_free (error);
      cb_provisioning_run_step_error (self, wrapped);
      return;
    }

  /* Signature, EC curve, CN = registration id, public key = the key keygen reported.
   *
   * The signature is one of the run's three (with the leaf's, in check-chain, and the proof of
   * possession). The proof of possession later shows the device holds the key this CSR names
   * (the leaf has to carry the same key), but not before the CSR has gone to DPS and the chain
   * to the device: a device that signs its request with another key than the one it names (its
   * current key instead of the next one, say) fails here, before DPS sees the request, with
   * the CSR named as the cause. With a driver that cannot prove possession, it is the station's
   * only check that the device holds the key. */
  if (!cb_csr_check (csr, self->registration_id, self->key_pub, &error))
    {
      GError *wrapped = CHECK_FAILED ("The device's CSR fails a check: %s", error->message);
      g_error_free (error);
      cb_provisioning_run_step_error (self, wrapped);
      return;
    }

  g_clear_pointer (&self->csr_der, g_bytes_unref);
  g_clear_pointer (&self->csr_pub, g_bytes_unref);
  self->csr_der = g_bytes_ref (der);
  self->csr_pub = cb_csr_get_public_key_der (csr);

  detail = g_strdup_printf ("CN=%s, %s, signature valid, key matches keygen",
                            cb_csr_get_common_name (csr),
                            cb_key_type_to_string (cb_csr_get_key_type (csr)));
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

void
cb_provisioning_run_do_csr (CbProvisioningRun *self)
{
  cb_device_driver_create_csr_async (self->driver, self->registration_id, self->cancellable,
                                     csr_cb, g_object_ref (self));
}
