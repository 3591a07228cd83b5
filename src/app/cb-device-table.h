/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The table of devices the Registry and Fleet pages show: a scrolled GtkColumnView of
 * CbDeviceItem rows (device, enabled, policy, reported validity, days left, state with its
 * reason), over the selection model the page gives it. */
#define CB_TYPE_DEVICE_TABLE (cb_device_table_get_type ())
G_DECLARE_FINAL_TYPE (CbDeviceTable, cb_device_table, CB, DEVICE_TABLE, AdwBin)

GtkWidget          *cb_device_table_new             (void);
void                cb_device_table_set_model       (CbDeviceTable      *self,
                                                     GtkSelectionModel  *model);
/* Returns: (transfer none) (nullable) */
GtkSelectionModel  *cb_device_table_get_model       (CbDeviceTable      *self);
/* The Policy column: shown unless every row is of one policy. */
void                cb_device_table_set_show_policy (CbDeviceTable      *self,
                                                     gboolean            show);
gboolean            cb_device_table_get_show_policy (CbDeviceTable      *self);
/* The table's accessible name ("Devices"). */
void                cb_device_table_set_label       (CbDeviceTable      *self,
                                                     const char         *label);
const char         *cb_device_table_get_label       (CbDeviceTable      *self);

G_END_DECLS
