/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-journal.h"

G_BEGIN_DECLS

/* The runs that match @filter, oldest first, in @format on @stream; the _async
 * variant reads on a worker thread with its own connection. */
gboolean         cb_journal_export               (CbJournal               *self,
                                                  const CbJournalFilter   *filter,
                                                  CbJournalExportFormat    format,
                                                  GOutputStream           *stream,
                                                  GCancellable            *cancellable,
                                                  GError                 **error);
void             cb_journal_export_async         (CbJournal               *self,
                                                  const CbJournalFilter   *filter,
                                                  CbJournalExportFormat    format,
                                                  GOutputStream           *stream,
                                                  GCancellable            *cancellable,
                                                  GAsyncReadyCallback      callback,
                                                  gpointer                 user_data);
gboolean         cb_journal_export_finish        (CbJournal               *self,
                                                  GAsyncResult            *result,
                                                  GError                 **error);

/* Writes the journal's runs that match @filter to @file in @format (cb_journal_export()):
 * the file is replaced (with @flags, see g_file_replace()) only once every record is written.
 * The app's Journal page and `certbench-cli journal export --output` both use it. */
gboolean cb_journal_export_to_file        (CbJournal               *journal,
                                           const CbJournalFilter   *filter,
                                           CbJournalExportFormat    format,
                                           GFile                   *file,
                                           GFileCreateFlags         flags,
                                           GCancellable            *cancellable,
                                           GError                 **error);
/* The same without blocking; @filter is copied. */
void     cb_journal_export_to_file_async  (CbJournal               *journal,
                                           const CbJournalFilter   *filter,
                                           CbJournalExportFormat    format,
                                           GFile                   *file,
                                           GFileCreateFlags         flags,
                                           GCancellable            *cancellable,
                                           GAsyncReadyCallback      callback,
                                           gpointer                 user_data);
gboolean cb_journal_export_to_file_finish (GAsyncResult            *result,
                                           GError                 **error);

G_END_DECLS
