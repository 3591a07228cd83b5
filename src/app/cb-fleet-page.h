/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"
#include "cb-device-list-model.h"

G_BEGIN_DECLS

/* The fleet's certificate expiry: devices grouped as expired / renewal due / healthy / not
 * reporting, counted by hub COUNT() queries, each group opening its filtered device list. */
#define CB_TYPE_FLEET_PAGE (cb_fleet_page_get_type ())
G_DECLARE_FINAL_TYPE (CbFleetPage, cb_fleet_page, CB, FLEET_PAGE, AdwBin)

GtkWidget         *cb_fleet_page_new          (CbContext     *context);
CbContext         *cb_fleet_page_get_context  (CbFleetPage   *self);
void               cb_fleet_page_set_context  (CbFleetPage   *self,
                                               CbContext     *context);
void               cb_fleet_page_reload       (CbFleetPage   *self);
/* TRUE while the counts are being read. */
gboolean           cb_fleet_page_get_loading  (CbFleetPage   *self);
/* The last counts (0 before the first load). */
guint              cb_fleet_page_get_count    (CbFleetPage   *self,
                                               CbDeviceState  state);
/* How many rounds of counts the page started (each counts every group once). */
guint              cb_fleet_page_get_rounds   (CbFleetPage   *self);
guint              cb_fleet_page_get_total    (CbFleetPage   *self);
/* Opens a group's device list (also the fleet.show-group action, parameter the state). */
void               cb_fleet_page_show_group   (CbFleetPage   *self,
                                               CbDeviceState  state);
/* Returns: (transfer none): the device list a group opens */
CbDeviceListModel *cb_fleet_page_get_devices  (CbFleetPage   *self);
/* Returns: (transfer none): the group list's selection bar (bulk actions) */
GtkWidget         *cb_fleet_page_get_bulk_bar (CbFleetPage   *self);

G_END_DECLS
