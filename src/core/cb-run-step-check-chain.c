/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-run"

/* The check-chain step of a provisioning run: the issued chain must match the CSR, the policy and
 * the service facts before anything reaches the device. */

#include "config.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-x509-chain.h"
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

/* A leaf may be back-dated by the CA (the sandbox does 5 minutes) and rounded to the minute. */
#define VALIDITY_BACKDATE_TOLERANCE (3600)
#define VALIDITY_ROUNDING_TOLERANCE (120)

static gboolean
hub_trusts (CbServiceFacts  *facts,
            CbCertificate *issuer)
{
  for (guint i = 0; i < facts->hub_cas->len; i++)
    if (cb_certificate_equal (g_ptr_array_index (facts->hub_cas, i), issuer))
      return TRUE;
  return FALSE;
}

/* Everything but the hub check: pure, on what the run has. */
static gboolean
check_chain (CbProvisioningRun  *self,
             CbServiceFacts       *facts,
             GString            *detail,
             GError            **error)
{
  g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
  g_autoptr(GError) local_error = NULL;
  CbCertificate *leaf, *root;
  gint64 lifetime, expected, now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GBytes) leaf_pub = NULL;
  g_autofree char *until = NULL;

  if (self->chain->len < 2)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The chain has %u certificate(s); DPS returns the leaf, the issuing CA and "
                   "the namespace root", self->chain->len);
      return FALSE;
    }

  leaf = g_ptr_array_index (self->chain, 0);
  root = g_ptr_array_index (self->chain, self->chain->len - 1);

  leaf_pub = cb_certificate_get_public_key_der (leaf);
  if (leaf_pub == NULL || self->csr_pub == NULL || !g_bytes_equal (leaf_pub, self->csr_pub))
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The leaf certificate's public key is not the key of the device's CSR");
      return FALSE;
    }

  if (g_strcmp0 (cb_certificate_get_common_name (leaf), self->registration_id) != 0)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The leaf certificate is for CN “%s”, not for “%s”",
                   cb_certificate_get_common_name (leaf), self->registration_id);
      return FALSE;
    }

  /* The namespace root: the last element DPS returned (over TLS that was verified against the
   * pinned or system trust), or, when the station pins one, exactly that root. */
  if (!cb_certificate_is_ca (root) || !cb_certificate_is_issued_by (root, root))
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The chain does not end at a root CA (%s is not a self-signed CA)",
                   cb_certificate_get_subject (root));
      return FALSE;
    }
  if (self->config->trusted_root != NULL &&
      !cb_certificate_equal (root, self->config->trusted_root))
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The chain ends at %s (SHA-256 %s), not at the namespace root this station "
                   "pins (SHA-256 %s)", cb_certificate_get_subject (root),
                   cb_certificate_get_sha256_fingerprint (root),
                   cb_certificate_get_sha256_fingerprint (self->config->trusted_root));
      return FALSE;
    }

  /* The chain must verify before it reaches the device, and nothing else in the run checks
   * it: the hub would, but only after install and commit. The issuing CA's and the root's
   * signatures were checked once for the station (cb_certificate_is_issued_by() keeps them),
   * so a device costs the leaf's one signature. */
  g_ptr_array_add (anchors, root);
  if (!cb_x509_verify_chain (self->chain, anchors, now, &local_error))
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK, "The chain does not verify: %s",
                   local_error->message);
      return FALSE;
    }

  if (facts->validity_days == 0)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CONFIG,
                   "The policy's validity is unknown, so the leaf's cannot be checked (%s; give "
                   "the policy's validityPeriodInDays in the station configuration)",
                   facts->validity_note ? facts->validity_note : "no source");
      return FALSE;
    }

  lifetime = cb_certificate_get_not_after (leaf) - cb_certificate_get_not_before (leaf);
  expected = (gint64) facts->validity_days * 86400;
  if (lifetime < expected - VALIDITY_ROUNDING_TOLERANCE ||
      lifetime > expected + VALIDITY_BACKDATE_TOLERANCE + VALIDITY_ROUNDING_TOLERANCE)
    {
      g_set_error (error, CB_RUN_ERROR, CB_RUN_ERROR_CHECK,
                   "The leaf is valid for %.2f days; policy “%s” says %u days (%s)",
                   lifetime / 86400.0, cb_provisioning_config_get_policy_name (self->config),
                   facts->validity_days, facts->validity_source);
      return FALSE;
    }

  until = cb_time_format_fixed (cb_certificate_get_not_after (leaf));
  /* No "key = …" in it: the journal's scrub would take it for a credential. */
  g_string_append_printf (detail, "chain of %u verifies to root %s; the leaf has the CSR's key "
                          "and CN %s; valid %u days as policy “%s” says (%s), until %s",
                          self->chain->len, cb_certificate_get_subject (root),
                          self->registration_id, facts->validity_days,
                          cb_provisioning_config_get_policy_name (self->config),
                          facts->validity_source, until);

  return TRUE;
}

static void check_facts_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data);
static void check_facts    (CbProvisioningRun *self,
                            CbServiceFacts    *facts);

void
cb_provisioning_run_do_check_chain (CbProvisioningRun *self)
{
  CbServiceFacts *facts = cb_provisioning_config_peek_facts (self->config);

  /* Facts a station keeps for its runs are taken at once: no task and no turn of the main
   * loop of their own a device. */
  if (facts != NULL)
    check_facts (self, facts);
  else
    cb_provisioning_config_get_facts_async (self->config, FALSE, check_facts_cb,
                                            g_object_ref (self));
}

static void
check_facts_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;

  check_facts (self, cb_provisioning_config_get_facts_finish (CB_PROVISIONING_CONFIG (object),
                                                              result));
}

static void
check_facts (CbProvisioningRun *self,
             CbServiceFacts    *facts)   /* (transfer full) */
{
  g_autoptr(GString) detail = g_string_new (NULL);
  CbCertificate *issuer;
  GError *error = NULL;

  g_clear_pointer (&self->facts, cb_service_facts_unref);
  self->facts = facts;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      cb_provisioning_run_fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled"));
      return;
    }

  if (!check_chain (self, facts, detail, &error))
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  /* The device will present this chain to the hub: its issuing CA must be one the hub has. */
  issuer = g_ptr_array_index (self->chain, 1);
  if (facts->hub_cas != NULL)
    {
      if (!hub_trusts (facts, issuer))
        {
          /* The list may predate a policy rotation: look once more before saying no. */
          if (!self->facts_refreshed)
            {
              self->facts_refreshed = TRUE;
              cb_provisioning_config_get_facts_async (self->config, TRUE, check_facts_cb, g_object_ref (self));
              return;
            }
          cb_provisioning_run_step_error (self, CHECK_FAILED ("The issuing CA %s (SHA-256 %s) is not among hub %s's "
                                                              "%u CA certificate(s): the device could not connect",
                                                              cb_certificate_get_subject (issuer),
                                                              cb_certificate_get_sha256_fingerprint (issuer),
                                                              cb_profile_get_hub_name (self->config->profile),
                                                              facts->hub_cas->len));
          return;
        }
      g_string_append_printf (detail, "; issuing CA is one of hub %s's CA certificates",
                              cb_profile_get_hub_name (self->config->profile));
    }
  else
    g_string_append_printf (detail, "; hub CA list not checked (%s)",
                            facts->hub_note ? facts->hub_note : "unknown");

  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail->str);
}
