/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "cb-enums.h"

G_BEGIN_DECLS

/* How a journaled run or step ended, and its stable names in the journal's tables and exports. */

typedef enum
{
  /* still running (or owned by a live process) */
  CB_JOURNAL_RESULT_NONE,         /*< nick=running >*/
  CB_JOURNAL_RESULT_PASS,
  CB_JOURNAL_RESULT_FAIL,
  CB_JOURNAL_RESULT_CANCELLED,
  CB_JOURNAL_RESULT_INTERRUPTED,  /* the owning process went away before the end */
  CB_JOURNAL_RESULT_SKIPPED,      /* steps only: not needed in this run */
} CbJournalResult;

/* "running", "pass", "fail", "cancelled", "interrupted", "skipped". */
const char      *cb_journal_result_to_string   (CbJournalResult  result);
/* Returns FALSE for an unknown string. */
gboolean         cb_journal_result_from_string (const char      *text,
                                                CbJournalResult *out_result);

G_END_DECLS
