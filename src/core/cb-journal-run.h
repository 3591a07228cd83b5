/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "cb-journal-result.h"
#include "cb-journal-step.h"

G_BEGIN_DECLS

/* A run with everything known about it. Properties of the same names exist for list bindings. */
#define CB_TYPE_JOURNAL_RUN (cb_journal_run_get_type ())
G_DECLARE_FINAL_TYPE (CbJournalRun, cb_journal_run, CB, JOURNAL_RUN, GObject)

gint64           cb_journal_run_get_id                 (CbJournalRun *self);
/* A random UUID, so journals of several stations can be merged. */
const char      *cb_journal_run_get_uuid               (CbJournalRun *self);
gint64           cb_journal_run_get_started            (CbJournalRun *self);
gint64           cb_journal_run_get_ended              (CbJournalRun *self);   /* 0: no end */
const char      *cb_journal_run_get_station            (CbJournalRun *self);
const char      *cb_journal_run_get_operator           (CbJournalRun *self);
const char      *cb_journal_run_get_port               (CbJournalRun *self);
const char      *cb_journal_run_get_profile            (CbJournalRun *self);
const char      *cb_journal_run_get_policy             (CbJournalRun *self);
const char      *cb_journal_run_get_device_serial      (CbJournalRun *self);
const char      *cb_journal_run_get_device_model       (CbJournalRun *self);
const char      *cb_journal_run_get_device_firmware    (CbJournalRun *self);
const char      *cb_journal_run_get_registration_id    (CbJournalRun *self);
const char      *cb_journal_run_get_hub                (CbJournalRun *self);
const char      *cb_journal_run_get_device_id          (CbJournalRun *self);
/* The issued leaf: serial (lower-case hex) and SHA-256 fingerprint (as openssl prints it). */
const char      *cb_journal_run_get_leaf_serial        (CbJournalRun *self);
const char      *cb_journal_run_get_leaf_fingerprint   (CbJournalRun *self);
/* Unix seconds; 0 when unknown. */
gint64           cb_journal_run_get_not_before         (CbJournalRun *self);
gint64           cb_journal_run_get_not_after          (CbJournalRun *self);
CbJournalResult  cb_journal_run_get_result             (CbJournalRun *self);
/* The step that failed, or for an interrupted run the step it was in. */
const char      *cb_journal_run_get_failed_step        (CbJournalRun *self);
const char      *cb_journal_run_get_error              (CbJournalRun *self);
/* Returns: (element-type CbJournalStep) (transfer none) (nullable): only when the run was
 * read with steps (cb_journal_get_run). */
GPtrArray       *cb_journal_run_get_steps              (CbJournalRun *self);
/* The run's decoded protocol log (cb-protocol-log.h: one line per packet, secrets redacted), or
 * NULL: only when the run was read with cb_journal_get_run and the run recorded one (runs
 * journaled before schema 2, or that never reached their end, have none). */
const char      *cb_journal_run_get_protocol_log       (CbJournalRun *self);

G_END_DECLS
