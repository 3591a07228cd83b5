/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-journal"

/* CbJournalResult's stable names, as the journal's tables and exports spell them. */

#include "config.h"

#include "cb-journal-result.h"

static const char * const result_names[] = {
  [CB_JOURNAL_RESULT_NONE] = "running",
  [CB_JOURNAL_RESULT_PASS] = "pass",
  [CB_JOURNAL_RESULT_FAIL] = "fail",
  [CB_JOURNAL_RESULT_CANCELLED] = "cancelled",
  [CB_JOURNAL_RESULT_INTERRUPTED] = "interrupted",
  [CB_JOURNAL_RESULT_SKIPPED] = "skipped",
};

const char *
cb_journal_result_to_string (CbJournalResult result)
{
  if ((guint) result >= G_N_ELEMENTS (result_names))
    return "unknown";
  return result_names[result];
}

gboolean
cb_journal_result_from_string (const char      *text,
                               CbJournalResult *out_result)
{
  g_return_val_if_fail (out_result != NULL, FALSE);

  if (text == NULL)
    {
      *out_result = CB_JOURNAL_RESULT_NONE;
      return TRUE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (result_names); i++)
    {
      if (g_ascii_strcasecmp (text, result_names[i]) == 0)
        {
          *out_result = i;
          return TRUE;
        }
    }

  return FALSE;
}

