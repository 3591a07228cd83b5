/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-run-step.h"

G_BEGIN_DECLS

/* What the provisioning run may do to its steps and nobody else: create them and move them
 * through their states, notifying each change. */

CbRunStep  *cb_run_step_new            (CbRunStepKind   kind);
/* Started now, attempt 1, running. */
void        cb_run_step_begin          (CbRunStep      *self);
/* One more attempt of a running step. */
void        cb_run_step_add_attempt    (CbRunStep      *self);
/* Ended now in state (PASSED or SKIPPED) with detail. */
void        cb_run_step_end            (CbRunStep      *self,
                                        CbRunStepState  state,
                                        const char     *detail);
/* Ended now in state (FAILED or CANCELLED) with the cause. */
void        cb_run_step_fail           (CbRunStep      *self,
                                        CbRunStepState  state,
                                        const char     *error);
/* The journal's row for the step, 0 without one. */
gint64      cb_run_step_get_journal_id (CbRunStep      *self);
void        cb_run_step_set_journal_id (CbRunStep      *self,
                                        gint64          journal_id);

G_END_DECLS
