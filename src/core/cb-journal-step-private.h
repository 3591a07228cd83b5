/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-journal-step.h"

G_BEGIN_DECLS

/* The step record's fields, for the journal that fills them in from a row. */

struct _CbJournalStep
{
  GObject          parent_instance;

  gint64           id;
  gint64           run_id;
  guint            index;
  char            *name;
  gint64           started;
  gint64           ended;
  CbJournalResult  result;
  char            *error;
  char            *detail;
};

G_END_DECLS
