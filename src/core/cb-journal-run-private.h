/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-journal-run.h"

G_BEGIN_DECLS

/* The run record's fields, for the journal that fills them in from a row. */

/* Run record: string fields in one array so reading a row and the properties share a table. */
enum
{
  RUN_STR_UUID,
  RUN_STR_STATION,
  RUN_STR_OPERATOR,
  RUN_STR_PORT,
  RUN_STR_PROFILE,
  RUN_STR_POLICY,
  RUN_STR_SERIAL,
  RUN_STR_MODEL,
  RUN_STR_FIRMWARE,
  RUN_STR_REGISTRATION_ID,
  RUN_STR_FAILED_STEP,
  RUN_STR_ERROR,
  RUN_STR_HUB,
  RUN_STR_DEVICE_ID,
  RUN_STR_LEAF_SERIAL,
  RUN_STR_LEAF_FINGERPRINT,
  N_RUN_STRS
};

struct _CbJournalRun
{
  GObject          parent_instance;

  gint64           id;
  gint64           started;
  gint64           ended;
  gint64           not_before;
  gint64           not_after;
  CbJournalResult  result;
  char            *strings[N_RUN_STRS];
  GPtrArray       *steps;
  char            *protocol_log;
};

G_END_DECLS
