/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "cb-enums.h"

G_BEGIN_DECLS

/* One step of a provisioning run as a UI shows it: which step (CbRunStepKind), its state, its
 * times, attempts, error and detail. The run (cb-provisioning-run.h) owns and changes the steps;
 * everyone else reads them and binds to their properties. */

typedef enum
{
  CB_RUN_STEP_IDENTIFY,
  CB_RUN_STEP_KEYGEN,
  CB_RUN_STEP_CSR,
  CB_RUN_STEP_REGISTER,
  CB_RUN_STEP_CHECK_CHAIN,
  CB_RUN_STEP_INSTALL,
  CB_RUN_STEP_COMMIT,
  CB_RUN_STEP_READ_BACK,
  CB_RUN_STEP_PROOF_OF_POSSESSION,
  CB_RUN_STEP_HUB_CONNECT,
  CB_RUN_STEP_JOURNAL,
  CB_RUN_N_STEPS /*< skip >*/
} CbRunStepKind;

/* Stable machine names: "identify", "keygen", "csr", "register", "check-chain", "install",
 * "commit", "read-back", "proof-of-possession", "hub-connect", "journal". The journal and --json
 * use them. */
const char  *cb_run_step_kind_to_name    (CbRunStepKind kind);
/* Short English titles for people ("Check the chain"); mark for translation at the caller. */
const char  *cb_run_step_kind_to_title   (CbRunStepKind kind);

typedef enum
{
  CB_RUN_STEP_STATE_PENDING,
  CB_RUN_STEP_STATE_RUNNING,
  CB_RUN_STEP_STATE_PASSED,
  CB_RUN_STEP_STATE_FAILED,
  CB_RUN_STEP_STATE_SKIPPED,
  CB_RUN_STEP_STATE_CANCELLED,
  /* The device cannot do this step (its driver lacks the capability); the detail is the
   * driver's reason. Not passed: nothing was checked. */
  CB_RUN_STEP_STATE_NOT_APPLICABLE,
} CbRunStepState;

/* "pending", "running", "passed", "failed", "skipped", "cancelled", "not-applicable" */
const char  *cb_run_step_state_to_string (CbRunStepState state);

#define CB_TYPE_RUN_STEP (cb_run_step_get_type ())
G_DECLARE_FINAL_TYPE (CbRunStep, cb_run_step, CB, RUN_STEP, GObject)

CbRunStepKind  cb_run_step_get_kind        (CbRunStep *self);
const char    *cb_run_step_get_name        (CbRunStep *self);
CbRunStepState cb_run_step_get_state       (CbRunStep *self);
/* Unix microseconds; 0 until the step starts / ends. */
gint64         cb_run_step_get_started     (CbRunStep *self);
gint64         cb_run_step_get_ended       (CbRunStep *self);
/* Milliseconds from start to end (or to now while running); 0 when not started. */
gint64         cb_run_step_get_duration_ms (CbRunStep *self);
guint          cb_run_step_get_attempts    (CbRunStep *self);
/* The cause, without the step's name, or NULL. */
const char    *cb_run_step_get_error       (CbRunStep *self);
/* A short note: "p256, new key", "chain of 3, 1412 bytes", "policy 30 days (from ARM)". */
const char    *cb_run_step_get_detail      (CbRunStep *self);

G_END_DECLS
