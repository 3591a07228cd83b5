/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-adr-client.h"

G_BEGIN_DECLS

/* One action applied to many devices (issue 17, bulk actions): a bounded number of calls in
 * flight, cancellable, one result per device, and a failed device never stops the rest. */
typedef enum
{
  CB_BULK_ACTION_REVOKE,
  CB_BULK_ACTION_REVOKE_AND_DISABLE,
  CB_BULK_ACTION_DISABLE,
  CB_BULK_ACTION_ENABLE,
} CbBulkAction;

#define CB_BULK_DEFAULT_IN_FLIGHT 4

#define CB_TYPE_BULK_OPERATION (cb_bulk_operation_get_type ())
G_DECLARE_FINAL_TYPE (CbBulkOperation, cb_bulk_operation, CB, BULK_OPERATION, GObject)

/* @device_ids: the devices, in the order results are kept (duplicates are dropped). */
CbBulkOperation *cb_bulk_operation_new              (CbAdrClient          *adr,
                                                     CbBulkAction          action,
                                                     const char * const   *device_ids);
/* A new operation of the same action over the devices that failed (not the cancelled ones
 * that never ran: those too, since they were not done). */
CbBulkOperation *cb_bulk_operation_new_for_failed   (CbBulkOperation      *self);
CbBulkAction     cb_bulk_operation_get_action       (CbBulkOperation      *self);
/* At most @n calls at once (1 or more); before the run. */
void             cb_bulk_operation_set_max_in_flight (CbBulkOperation     *self,
                                                     guint                 n);
guint            cb_bulk_operation_get_max_in_flight (CbBulkOperation     *self);
/* Runs every device once. The callback comes when no call is left in flight: finish returns
 * TRUE when every device was tried (some may have failed: see the per-item results), FALSE
 * with G_IO_ERROR_CANCELLED when @cancellable stopped it (the devices not tried read
 * cancelled). */
void             cb_bulk_operation_run_async        (CbBulkOperation      *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean         cb_bulk_operation_run_finish       (CbBulkOperation      *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
gboolean         cb_bulk_operation_get_running      (CbBulkOperation      *self);
guint            cb_bulk_operation_get_n_in_flight  (CbBulkOperation      *self);
guint            cb_bulk_operation_get_n_items      (CbBulkOperation      *self);
/* Devices with a result (succeeded or failed); notifies "n-done" after each. */
guint            cb_bulk_operation_get_n_done       (CbBulkOperation      *self);
guint            cb_bulk_operation_get_n_failed     (CbBulkOperation      *self);
double           cb_bulk_operation_get_fraction     (CbBulkOperation      *self);
const char      *cb_bulk_operation_get_item_id      (CbBulkOperation      *self,
                                                     guint                 index);
gboolean         cb_bulk_operation_get_item_done    (CbBulkOperation      *self,
                                                     guint                 index);
/* Why the device failed; NULL when it succeeded or has no result yet. */
const GError    *cb_bulk_operation_get_item_error   (CbBulkOperation      *self,
                                                     guint                 index);
/* The ids of the devices that failed or were not tried. Returns: (transfer full) */
GStrv            cb_bulk_operation_list_failed      (CbBulkOperation      *self);

G_END_DECLS
