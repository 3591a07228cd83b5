/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-run"

/* The proof-of-possession step of a provisioning run: the device signs a fresh challenge with the
 * new key and the run checks the signature against the leaf. */

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
pop_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDevicePossession) pop = NULL;
  g_autoptr(GError) verify_error = NULL;
  CbCertificate *leaf = g_ptr_array_index (self->chain, 0);
  GError *error = NULL;
  gsize len = 0;
  const guint8 *data;

  pop = cb_device_driver_prove_possession_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (pop == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  /* Verified with the leaf's key (parsed with the leaf), not with whatever key the device says
   * it used. The only check that the device, after commit, signs with the key its certificate
   * names: the CSR's signature was made before install, with the key then waiting to be
   * committed; a device that activated the chain but kept (or lost) the key passes everything
   * else, and the hub's refusal of its handshake would say far less. */
  data = g_bytes_get_data (pop->signed_data, &len);
  if (!cb_certificate_verify_signature (leaf, data, len, pop->signature, &verify_error))
    {
      cb_provisioning_run_step_error (self, CHECK_FAILED ("The device's signature over the challenge does not verify "
                                                          "with the certificate's key: %s", verify_error->message));
      return;
    }

  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED,
                                   "32-byte random challenge signed by the device, verified with the leaf's key");
}

void
cb_provisioning_run_do_proof_of_possession (CbProvisioningRun *self)
{
  guint8 challenge[CBP_CHALLENGE_LEN];

  if (!cb_device_driver_has_capability (self->driver, CB_DEVICE_CAP_PROVE_POSSESSION))
    {
      g_autofree char *reason = cb_device_driver_dup_missing_reason (self->driver,
                                                                     CB_DEVICE_CAP_PROVE_POSSESSION);

      cb_provisioning_run_step_not_applicable (self, reason);
      return;
    }

  if (gnutls_rnd (GNUTLS_RND_NONCE, challenge, sizeof challenge) != 0)
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_FAILED,
                                                         "No random bytes for the challenge"));
      return;
    }

  g_clear_pointer (&self->challenge, g_bytes_unref);
  self->challenge = g_bytes_new (challenge, sizeof challenge);
  cb_device_driver_prove_possession_async (self->driver, self->challenge, self->cancellable,
                                           pop_cb, g_object_ref (self));
}
