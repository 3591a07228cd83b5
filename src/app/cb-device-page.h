/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"
#include "cb-device-state.h"

G_BEGIN_DECLS

/* One device, everything the services and the journal know of it: identity, effective state
 * with its reason, certificate dates, connection, twin (rows and JSON), provisioning history,
 * and its actions. Shown by the window over the pages; "back" asks to leave it. */
#define CB_TYPE_DEVICE_PAGE (cb_device_page_get_type ())
G_DECLARE_FINAL_TYPE (CbDevicePage, cb_device_page, CB, DEVICE_PAGE, AdwBin)

GtkWidget        *cb_device_page_new            (CbContext    *context);
/* Loads @device_id (the hub device id, which is the ADR device's name). */
void              cb_device_page_show_device    (CbDevicePage *self,
                                                 const char   *device_id);
const char       *cb_device_page_get_device_id  (CbDevicePage *self);
gboolean          cb_device_page_get_loading    (CbDevicePage *self);
/* For tests: the shown state and its reason (NULL until loaded), the last confirm dialog
 * (weak), the last toast text and the number of actions running. */
const char       *cb_device_page_get_state_reason (CbDevicePage *self);
CbDeviceState     cb_device_page_get_state      (CbDevicePage *self);
AdwMessageDialog *cb_device_page_get_dialog     (CbDevicePage *self);
const char       *cb_device_page_get_last_toast (CbDevicePage *self);
guint             cb_device_page_get_n_running  (CbDevicePage *self);

G_END_DECLS
