/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"
#include "cb-journal.h"

G_BEGIN_DECLS

/* The station journal: every provisioning run in a column view, newest first, filtered by
 * result and by text (device serial or registration id), exported to CSV or JSON.
 *
 * Actions: journal.refresh, journal.export (s: "csv", "csv-steps" or "json"), journal.show-run
 * (x: the run's id; a window with the run and its steps, also on activating a row). */

#define CB_TYPE_JOURNAL_PAGE (cb_journal_page_get_type ())
G_DECLARE_FINAL_TYPE (CbJournalPage, cb_journal_page, CB, JOURNAL_PAGE, AdwBin)

GtkWidget       *cb_journal_page_new             (CbContext       *context);
/* Rereads the journal (property "loading" is TRUE until it is in). */
void             cb_journal_page_reload          (CbJournalPage   *self);
gboolean         cb_journal_page_get_loading     (CbJournalPage   *self);
/* The runs as shown, after the filters: a GListModel of CbJournalRun. */
GListModel      *cb_journal_page_get_model       (CbJournalPage   *self);
/* Filters, as the search entry and the result drop-down set them. NONE: any result. */
void             cb_journal_page_set_search_text (CbJournalPage   *self,
                                                  const char      *text);
void             cb_journal_page_set_result_filter (CbJournalPage *self,
                                                  CbJournalResult  result);
/* What the export action does once the user picked a file: writes the runs matching the result
 * filter (the text search is not applied: the export is the journal's own). */
void             cb_journal_page_export_async    (CbJournalPage        *self,
                                                  GFile                *file,
                                                  CbJournalExportFormat format,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean         cb_journal_page_export_finish   (CbJournalPage        *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

G_END_DECLS
