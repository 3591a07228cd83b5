/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-bulk-operation.h"
#include "cb-confirm-dialog.h"
#include "cb-context.h"
#include "cb-device-export.h"
#include "cb-device-list-model.h"

G_BEGIN_DECLS

/* The selection bar under a device table (issue 17, bulk actions): how many devices are
 * selected, "Select all N matching" (the whole filtered set on the service, counted first
 * and then listed page by page), the actions on them (revoke, disable, enable, export as CSV
 * or JSON), one impact dialog for the set, the progress of the run (it keeps running while
 * the page is left) and at the end a summary that lists each failed device with the reason
 * and retries them. */
#define CB_TYPE_BULK_BAR (cb_bulk_bar_get_type ())
G_DECLARE_FINAL_TYPE (CbBulkBar, cb_bulk_bar, CB, BULK_BAR, AdwBin)

GtkWidget       *cb_bulk_bar_new               (void);
void             cb_bulk_bar_set_context       (CbBulkBar          *self,
                                                CbContext          *context);
/* @selection: a multi-selection over @devices. */
void             cb_bulk_bar_set_model         (CbBulkBar          *self,
                                                GtkSelectionModel  *selection,
                                                CbDeviceListModel  *devices);
guint            cb_bulk_bar_get_n_selected    (CbBulkBar          *self);
/* The selected devices' ids, in list order. Returns: (transfer full) */
GStrv            cb_bulk_bar_list_selected     (CbBulkBar          *self);
/* How many devices match the list's filter on the service; 0 until counted. */
guint            cb_bulk_bar_get_n_matching    (CbBulkBar          *self);
/* Writes the selected devices to @file (async; the outcome is the last message). */
void             cb_bulk_bar_export_to_file    (CbBulkBar          *self,
                                                GFile              *file,
                                                CbDeviceExportFormat format);
/* For tests: the open dialog, the last run, the summary line and the last message. */
CbConfirmDialog *cb_bulk_bar_get_dialog        (CbBulkBar          *self);
CbBulkOperation *cb_bulk_bar_get_operation     (CbBulkBar          *self);
const char      *cb_bulk_bar_get_summary       (CbBulkBar          *self);
const char      *cb_bulk_bar_get_last_message  (CbBulkBar          *self);

G_END_DECLS
