/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-journal.h"

G_BEGIN_DECLS

/* One journal run in a window of its own: what the run found and did, its steps under their
 * translated titles, and its decoded protocol log (copyable). Titled "Run of <registration id>"
 * with the start time under it; Escape and Ctrl+W close it.
 *
 * Actions: run.copy-log (the protocol log to the clipboard), run.open-device (the device page
 * in the window it is transient for). */

#define CB_TYPE_RUN_WINDOW (cb_run_window_get_type ())
G_DECLARE_FINAL_TYPE (CbRunWindow, cb_run_window, CB, RUN_WINDOW, AdwWindow)

/* run: read with cb_journal_get_run (with its steps and protocol log). */
GtkWidget    *cb_run_window_new     (CbJournalRun *run);
CbJournalRun *cb_run_window_get_run (CbRunWindow  *self);
/* A run's result as people read it ("Passed"), for every place that lists runs. */
const char   *cb_run_window_result_text (CbJournalResult result);

G_END_DECLS
