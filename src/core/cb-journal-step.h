/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "cb-journal-result.h"

G_BEGIN_DECLS

/* One journaled step of a run, immutable, as the journal read it back. */

#define CB_TYPE_JOURNAL_STEP (cb_journal_step_get_type ())
G_DECLARE_FINAL_TYPE (CbJournalStep, cb_journal_step, CB, JOURNAL_STEP, GObject)

gint64           cb_journal_step_get_id          (CbJournalStep *self);
gint64           cb_journal_step_get_run_id      (CbJournalStep *self);
guint            cb_journal_step_get_index       (CbJournalStep *self);
const char      *cb_journal_step_get_name        (CbJournalStep *self);
/* Unix microseconds, UTC; ended is 0 while the step has no end row. */
gint64           cb_journal_step_get_started     (CbJournalStep *self);
gint64           cb_journal_step_get_ended       (CbJournalStep *self);
CbJournalResult  cb_journal_step_get_result      (CbJournalStep *self);
const char      *cb_journal_step_get_error       (CbJournalStep *self);
/* A short human-readable note ("3 attempts", "chain of 3, 1412 bytes"), or NULL. */
const char      *cb_journal_step_get_detail      (CbJournalStep *self);

G_END_DECLS
