/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-run-step.h"

G_BEGIN_DECLS

/* How a provisioning run ended: passed or the step that failed and why, the device, the issued
 * chain and its dates, the journal's id. Read-only; the run fills it in once. */

#define CB_TYPE_RUN_RESULT (cb_run_result_get_type ())
G_DECLARE_FINAL_TYPE (CbRunResult, cb_run_result, CB, RUN_RESULT, GObject)

gboolean       cb_run_result_get_passed           (CbRunResult *self);
/* NULL when it passed. */
const GError  *cb_run_result_get_error            (CbRunResult *self);
/* CB_RUN_N_STEPS when it passed. */
CbRunStepKind  cb_run_result_get_failed_step      (CbRunResult *self);
/* Whether the device's active certificate changed (TRUE only from commit on). */
gboolean       cb_run_result_get_device_changed   (CbRunResult *self);
/* Whether a commit went out and its answer was lost, so nobody knows which certificate the
 * device has: the leaf is journaled as sent and read back at the next contact. */
gboolean       cb_run_result_get_outcome_unknown  (CbRunResult *self);
const char    *cb_run_result_get_port             (CbRunResult *self);
const char    *cb_run_result_get_device_serial    (CbRunResult *self);
const char    *cb_run_result_get_device_model     (CbRunResult *self);
const char    *cb_run_result_get_device_firmware  (CbRunResult *self);
const char    *cb_run_result_get_registration_id  (CbRunResult *self);
const char    *cb_run_result_get_hub              (CbRunResult *self);
const char    *cb_run_result_get_device_id        (CbRunResult *self);
const char    *cb_run_result_get_policy           (CbRunResult *self);
guint          cb_run_result_get_validity_days    (CbRunResult *self);
/* The issued chain, leaf first. Returns: (element-type CbCertificate) (transfer none) (nullable) */
GPtrArray     *cb_run_result_get_chain            (CbRunResult *self);
/* The chain as read back from the device (DER, concatenated). Returns: (transfer none) (nullable) */
GBytes        *cb_run_result_get_chain_der        (CbRunResult *self);
/* The leaf's serial and SHA-256 fingerprint; notBefore/notAfter in unix seconds. */
const char    *cb_run_result_get_leaf_serial      (CbRunResult *self);
const char    *cb_run_result_get_leaf_fingerprint (CbRunResult *self);
/* A device that onboarded with X.509: the SHA-256 fingerprint (as openssl prints it) of the
 * onboarding certificate it presented to DPS, as DPS reported it; NULL for a symmetric-key
 * onboarding. */
const char    *cb_run_result_get_onboarding_fingerprint (CbRunResult *self);
gint64         cb_run_result_get_not_before       (CbRunResult *self);
gint64         cb_run_result_get_not_after        (CbRunResult *self);
/* The journal's id for this run, 0 without a journal. */
gint64         cb_run_result_get_journal_id       (CbRunResult *self);
gint64         cb_run_result_get_duration_ms      (CbRunResult *self);

/* ---- CbProvisioningRun ---------------------------------------------------------------- */


G_END_DECLS
