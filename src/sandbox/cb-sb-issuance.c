/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-ca"

/* Issuance: the one way a device gets a certificate, shared by DPS registration and the hub's
 * renewal. The policy must be Succeeded with an active issuing CA (a BYOR one once activated),
 * the device (created in the namespace on first use) enabled, and the CSR's subject the
 * device's name on an EC P-256/P-384 key with a good signature. The leaf (profile in
 * cb-sb-ca.c) carries the device's current credential identifier and comes back with its
 * chain: [leaf, issuing CA, root] or, for BYOR, [leaf, issuing CA, the customer's chain]. */

#include "config.h"

#include <string.h>
#include <gnutls/crypto.h>

#include "cb-csr.h"
#include "cb-pki.h"
#include "cb-sb-adr.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-issuance.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-ca.h"
#include "cb-sb-lro.h"
#include "cb-sb-store.h"
#include "cb-x509.h"

#define CA_SEGMENT      "/certificateAuthorities/"
#define POLICY_SEGMENT  "/certificatePolicies/"

/* The issuing CA kept parsed: its certificate (for its dates) and, for signing, its
 * certificate imported into GnuTLS and matched with its key, once per issuer and kept while its
 * DER and its key are the same (a BYOR activation or a renewal changes them). */
typedef struct
{
  CbCertificate *cert;
  CbCertIssuer  *issuer;
} KeptIssuer;

static void
kept_issuer_free (gpointer data)
{
  KeptIssuer *kept = data;

  g_object_unref (kept->cert);
  cb_cert_issuer_unref (kept->issuer);
  g_free (kept);
}

static KeptIssuer *
kept_issuer (CbSandbox   *self,
             const char  *issuer_id,
             const char  *key_ref,
             GBytes      *der,
             GError     **error)
{
  KeptIssuer *kept = self->issuers != NULL ? g_hash_table_lookup (self->issuers, issuer_id) : NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  CbCertIssuer *issuer;

  if (!(key = cb_sb_load_key (self, key_ref, error)))
    return NULL;

  if (kept != NULL && cb_cert_issuer_get_key (kept->issuer) == key)
    {
      g_autoptr(GBytes) kept_der = cb_cert_issuer_get_der (kept->issuer);

      if (g_bytes_equal (kept_der, der))
        return kept;
    }

  if (!(cert = cb_certificate_new_from_der (der, error)) ||
      !(issuer = cb_cert_issuer_new (key, der, error)))
    return NULL;

  kept = g_new0 (KeptIssuer, 1);
  kept->cert = g_steal_pointer (&cert);
  kept->issuer = issuer;
  if (self->issuers == NULL)
    self->issuers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, kept_issuer_free);
  g_hash_table_insert (self->issuers, g_strdup (issuer_id), kept);
  return kept;
}

/* A random positive 16-byte serial, and its lower-case hex as CbCertificate gives it: the
 * leaf is recorded without parsing it back. */
static GBytes *
new_serial (char **hex)
{
  guint8 serial[16];
  GString *text = g_string_sized_new (2 * sizeof serial);

  if (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial) < 0)
    g_error ("No random numbers for a serial");
  serial[0] = (serial[0] & 0x7f) | 0x40;
  for (gsize i = 0; i < sizeof serial; i++)
    g_string_append_printf (text, "%02x", serial[i]);
  *hex = g_string_free (text, FALSE);
  return g_bytes_new (serial, sizeof serial);
}

/* A 2026-11-01 certificate policy's id: its namespace, its ICA's name and its own. */
static gboolean
split_certificate_policy (const char  *policy_id,
                          char       **namespace_id,
                          char       **ca_name,
                          char       **policy_name)
{
  const char *ca = strstr (policy_id, CA_SEGMENT);
  const char *policy = ca != NULL ? strstr (ca, POLICY_SEGMENT) : NULL;

  if (policy == NULL || policy == ca + strlen (CA_SEGMENT) ||
      strchr (policy + strlen (POLICY_SEGMENT), '/') != NULL)
    return FALSE;

  *namespace_id = g_strndup (policy_id, ca - policy_id);
  *ca_name = g_strndup (ca + strlen (CA_SEGMENT), policy - ca - strlen (CA_SEGMENT));
  *policy_name = g_strdup (policy + strlen (POLICY_SEGMENT));
  return TRUE;
}

/* A device of the 2026-11-01 model renews under its certificate policy (hub renewal knows the
 * policy by its id only). */
static CbSbLeafJob *
prepare_under_certificate_policy (CbSandbox   *self,
                                const char  *namespace_id,
                                const char  *ca_name,
                                const char  *policy_name,
                                const char  *device_name,
                                CbCsr       *csr,
                                GError     **error)
{
  g_autofree char *issuer_id = NULL;
  g_autofree char *policy_id = NULL;
  g_autoptr(GError) local = NULL;
  guint days = 0;

  if (!cb_sb_adr_ca_find_policy (self, namespace_id, ca_name, policy_name, &issuer_id,
                                 &policy_id, &days, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                     "The certificate policy %s cannot issue: %s", policy_name, local->message);
      return NULL;
    }

  return cb_sb_ca_prepare_leaf_under (self, namespace_id, issuer_id, policy_id, days,
                                      device_name, csr, error);
}

/* The leaf decided on the sandbox's thread and signed in any thread: what signing needs, kept
 * apart from the sandbox's state (cb-sb-workers.c signs it in a worker). */
struct _CbSbLeafJob
{
  CbCertIssuer *issuer;
  char         *subject_dn;
  gint64        not_before;
  gint64        not_after;
  GBytes       *serial;
  char         *serial_hex;
  GBytes       *identifier_value;
  GBytes       *csr_key;
  /* For the record and the chain, on the sandbox's thread */
  char         *namespace_id;
  char         *device_name;
  char         *issuer_id;
  char         *policy_id;
  char         *identifier;
  gint64        now;
  GPtrArray    *chain;        /* [issuing CA, what is above it], GBytes DER */
  /* The signature */
  gboolean      signed_;
  GBytes       *leaf_der;
  GError       *sign_error;
};

void
cb_sb_leaf_job_free (CbSbLeafJob *job)
{
  if (job == NULL)
    return;

  g_clear_pointer (&job->issuer, cb_cert_issuer_unref);
  g_free (job->subject_dn);
  g_clear_pointer (&job->serial, g_bytes_unref);
  g_free (job->serial_hex);
  g_clear_pointer (&job->identifier_value, g_bytes_unref);
  g_clear_pointer (&job->csr_key, g_bytes_unref);
  g_free (job->namespace_id);
  g_free (job->device_name);
  g_free (job->issuer_id);
  g_free (job->policy_id);
  g_free (job->identifier);
  g_clear_pointer (&job->chain, g_ptr_array_unref);
  g_clear_pointer (&job->leaf_der, g_bytes_unref);
  g_clear_error (&job->sign_error);
  g_free (job);
}

GPtrArray *
cb_sb_ca_issue_leaf (CbSandbox   *self,
                     const char  *policy_id,
                     const char  *device_name,
                     GBytes      *csr_der,
                     GError     **error)
{
  g_autoptr(CbCsr) csr = NULL;

  g_return_val_if_fail (csr_der != NULL, NULL);

  if (!(csr = cb_csr_new_from_der (csr_der, error)))
    return NULL;
  return cb_sb_ca_issue_leaf_for_csr (self, policy_id, device_name, csr, error);
}

/* Signs and records a prepared leaf, here and now. */
static GPtrArray *
issue_now (CbSandbox    *self,
           CbSbLeafJob  *job,
           GError      **error)
{
  GPtrArray *chain;

  if (job == NULL)
    return NULL;
  cb_sb_leaf_job_sign (job);
  chain = cb_sb_leaf_job_finish (self, job, error);
  cb_sb_leaf_job_free (job);
  return chain;
}

GPtrArray *
cb_sb_ca_issue_leaf_for_csr (CbSandbox   *self,
                             const char  *policy_id,
                             const char  *device_name,
                             CbCsr       *csr,
                             GError     **error)
{
  return issue_now (self, cb_sb_ca_prepare_leaf_for_csr (self, policy_id, device_name, csr,
                                                         error), error);
}

GPtrArray *
cb_sb_ca_issue_leaf_under (CbSandbox   *self,
                           const char  *namespace_id,
                           const char  *issuer_id,
                           const char  *policy_id,
                           gint64       validity_days,
                           const char  *device_name,
                           CbCsr       *csr,
                           GError     **error)
{
  return issue_now (self, cb_sb_ca_prepare_leaf_under (self, namespace_id, issuer_id, policy_id,
                                                       validity_days, device_name, csr, error),
                    error);
}

CbSbLeafJob *
cb_sb_ca_prepare_leaf_for_csr (CbSandbox   *self,
                               const char  *policy_id,
                               const char  *device_name,
                               CbCsr       *csr,
                               GError     **error)
{
  g_autofree char *namespace_id = NULL;
  g_autofree char *state = NULL;
  g_autofree char *issuer_id = NULL;
  g_autofree char *ca_name = NULL;
  g_autofree char *policy_name = NULL;
  gint64 validity_days = 0;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (policy_id != NULL, NULL);
  g_return_val_if_fail (device_name != NULL, NULL);
  g_return_val_if_fail (CB_IS_CSR (csr), NULL);

  cb_sb_arm_run_due_operations (self);

  if (split_certificate_policy (policy_id, &namespace_id, &ca_name, &policy_name))
    return prepare_under_certificate_policy (self, namespace_id, ca_name, policy_name,
                                             device_name, csr, error);

  if (!cb_sb_adr_policy_for_issuance (self, policy_id, &namespace_id, &state, &validity_days,
                                      &issuer_id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The credential policy %s does not exist", policy_id);
      return NULL;
    }
  if (g_strcmp0 (state, "Succeeded") != 0 || issuer_id == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The credential policy %s cannot issue certificates yet "
                   "(provisioningState %s)", policy_id, state);
      return NULL;
    }

  return cb_sb_ca_prepare_leaf_under (self, namespace_id, issuer_id, policy_id, validity_days,
                                      device_name, csr, error);
}

CbSbLeafJob *
cb_sb_ca_prepare_leaf_under (CbSandbox   *self,
                             const char  *namespace_id,
                             const char  *issuer_id,
                             const char  *policy_id,
                             gint64       validity_days,
                             const char  *device_name,
                             CbCsr       *csr,
                             GError     **error)
{
  g_autoptr(GBytes) ica_der = NULL;
  g_autoptr(GBytes) root_der = NULL;
  KeptIssuer *kept;
  CbCertificate *ica;
  g_autofree char *issuer_status = NULL;
  g_autofree char *key_ref = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *identifier = NULL;
  CbSbLeafJob *job;
  gboolean enabled = FALSE;
  gint64 now;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (namespace_id != NULL && issuer_id != NULL && policy_id != NULL, NULL);
  g_return_val_if_fail (device_name != NULL, NULL);
  g_return_val_if_fail (CB_IS_CSR (csr), NULL);

  cb_sb_ca_get_issuer_material (self, issuer_id, &issuer_status, &key_ref, &ica_der, &chain_pem);

  if (g_strcmp0 (issuer_status, "pending") == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The credential policy %s is PendingActivation: its issuing CA has not been "
                   "signed by your root and activated yet", policy_id);
      return NULL;
    }
  if (g_strcmp0 (issuer_status, "active") != 0 || ica_der == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The issuing CA of credential policy %s is not active", policy_id);
      return NULL;
    }

  if (!cb_sb_adr_device_credential (self, namespace_id, device_name, &enabled, &identifier))
    {
      if (!cb_sb_adr_ensure_device (self, namespace_id, device_name, policy_id, error))
        return NULL;
      if (!cb_sb_adr_device_credential (self, namespace_id, device_name, &enabled, &identifier))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "The device %s is not registered in the namespace", device_name);
          return NULL;
        }
    }
  if (!enabled)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The device %s is disabled; no new credentials are issued to it",
                   device_name);
      return NULL;
    }

  if (!cb_csr_check (csr, device_name, NULL, error))
    return NULL;

  if (!(kept = kept_issuer (self, issuer_id, key_ref, ica_der, error)))
    return NULL;
  ica = kept->cert;

  now = cb_sb_now (self);
  if (cb_certificate_get_not_after (ica) <= now)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "The issuing CA of credential policy %s has expired", policy_id);
      return NULL;
    }

  job = g_new0 (CbSbLeafJob, 1);
  job->issuer = cb_cert_issuer_ref (kept->issuer);
  job->subject_dn = g_strdup (cb_csr_get_subject (csr));
  job->not_before = now - CB_SB_CA_BACKDATE_SECONDS;
  job->not_after = MIN (job->not_before + CB_SB_CA_BACKDATE_SECONDS + validity_days * 24 * 3600,
                        cb_certificate_get_not_after (ica));
  job->serial = new_serial (&job->serial_hex);
  job->identifier_value = cb_sb_ca_encode_identifier (identifier);
  job->csr_key = cb_csr_get_public_key_der (csr);
  job->namespace_id = g_strdup (namespace_id);
  job->device_name = g_strdup (device_name);
  job->issuer_id = g_strdup (issuer_id);
  job->policy_id = g_strdup (policy_id);
  job->identifier = g_steal_pointer (&identifier);
  job->now = now;

  job->chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (job->chain, g_steal_pointer (&ica_der));
  if (chain_pem != NULL)
    {
      /* BYOR: [leaf, our ICA, the customer's chain above it] */
      g_autoptr(GPtrArray) above = NULL;

      above = cb_certificate_list_new_from_data ((const guint8 *) chain_pem, strlen (chain_pem),
                                                 NULL);
      for (guint i = 0; above != NULL && i < above->len; i++)
        g_ptr_array_add (job->chain, cb_certificate_get_der (g_ptr_array_index (above, i)));
    }
  else if (cb_sb_ca_load_root (self, namespace_id, NULL, NULL, &root_der, NULL))
    {
      g_ptr_array_add (job->chain, g_steal_pointer (&root_der));
    }

  return job;
}

/* Builds and signs the leaf: no sandbox state, so any thread (the kept issuer is shared
 * between threads: CbCertIssuer signs under its own lock). */
void
cb_sb_leaf_job_sign (CbSbLeafJob *job)
{
  const char * const eku[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
  CbCertExtension extension = { 0 };
  CbCertProfile profile = { 0 };

  g_return_if_fail (job != NULL && !job->signed_);

  extension.oid = CB_SB_OID_CREDENTIAL_IDENTIFIER;
  extension.der_value = job->identifier_value;
  extension.critical = FALSE;

  profile.subject_dn = job->subject_dn;
  profile.not_before = job->not_before;
  profile.not_after = job->not_after;
  profile.is_ca = FALSE;
  profile.path_len = -1;
  profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE;
  profile.ext_key_usage = eku;
  profile.extensions = &extension;
  profile.n_extensions = 1;
  profile.serial = job->serial;

  job->leaf_der = cb_cert_issuer_issue (job->issuer, &profile, job->csr_key, &job->sign_error);
  job->signed_ = TRUE;
}

GPtrArray *
cb_sb_leaf_job_finish (CbSandbox    *self,
                       CbSbLeafJob  *job,
                       GError      **error)
{
  g_autoptr(GPtrArray) result = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (job != NULL && job->signed_, NULL);

  if (job->leaf_der == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&job->sign_error));
      return NULL;
    }

  if (!cb_sb_ca_record_leaf (self, job->serial_hex, job->not_before, job->not_after,
                             job->namespace_id, job->device_name, job->issuer_id, job->policy_id,
                             job->identifier, job->now, error))
    return NULL;

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (result, g_bytes_ref (job->leaf_der));
  for (guint i = 0; i < job->chain->len; i++)
    g_ptr_array_add (result, g_bytes_ref (g_ptr_array_index (job->chain, i)));

  /* g_debug formats its message before the writer drops it: not for every leaf. */
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    g_debug ("Issued leaf %s for %s under %s", job->serial_hex, job->device_name,
             job->issuer_id);
  return g_steal_pointer (&result);
}
