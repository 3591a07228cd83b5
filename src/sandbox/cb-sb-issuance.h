/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: issuance (cb-sb-issuance.c), the one way a device gets a leaf, for DPS registration
 * and hub renewal. */

#include "cb-csr.h"
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Checks the CSR (CN == device_name, EC P-256/P-384, signature) and issues a leaf under the
 * policy's current issuing CA carrying the device's current credential identifier.
 * Returns [leaf, issuing CA, root] as GBytes DER. Errors: CB_X509_ERROR for CSR problems,
 * G_IO_ERROR_NOT_FOUND for a missing/deleted policy, G_IO_ERROR_PERMISSION_DENIED for a
 * disabled device or a policy that cannot issue (PendingActivation). */
GPtrArray    *cb_sb_ca_issue_leaf         (CbSandbox *self, const char *policy_id,
                                           const char *device_name, GBytes *csr_der,
                                           GError **error);
/* The same for a CSR parsed (and its signature verified) once by the caller. */
GPtrArray    *cb_sb_ca_issue_leaf_for_csr (CbSandbox *self, const char *policy_id,
                                           const char *device_name, CbCsr *csr,
                                           GError **error);
/* The same under a given issuing CA (the CA engine's issuer id) and validity, for a policy
 * whose lookup the caller made (the 2026-11-01 model: cb_sb_adr_ca_find_policy). The leaf
 * is recorded under policy_id, and a device seen first is created in the namespace pointing
 * at it. Same errors, except G_IO_ERROR_NOT_FOUND. */
GPtrArray    *cb_sb_ca_issue_leaf_under   (CbSandbox *self, const char *namespace_id,
                                           const char *issuer_id, const char *policy_id,
                                           gint64 validity_days, const char *device_name,
                                           CbCsr *csr, GError **error);

/* The same in three steps, so that the signature can be made in another thread
 * (cb-sb-workers.c): prepare on the sandbox's thread with its lock held (every check and read
 * above, the device created if new, the serial and validity chosen), sign in any thread
 * (touches no sandbox state), finish on the sandbox's thread (records the leaf; the chain,
 * or the signing's error). Free the job with cb_sb_leaf_job_free in any thread. */
typedef struct _CbSbLeafJob CbSbLeafJob;

CbSbLeafJob  *cb_sb_ca_prepare_leaf_for_csr (CbSandbox *self, const char *policy_id,
                                             const char *device_name, CbCsr *csr,
                                             GError **error);
CbSbLeafJob  *cb_sb_ca_prepare_leaf_under   (CbSandbox *self, const char *namespace_id,
                                             const char *issuer_id, const char *policy_id,
                                             gint64 validity_days, const char *device_name,
                                             CbCsr *csr, GError **error);
void          cb_sb_leaf_job_sign           (CbSbLeafJob *job);
GPtrArray    *cb_sb_leaf_job_finish         (CbSandbox *self, CbSbLeafJob *job,
                                             GError **error);
void          cb_sb_leaf_job_free           (CbSbLeafJob *job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSbLeafJob, cb_sb_leaf_job_free)

G_END_DECLS
