/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-device-item.h"
#include "cb-device-state-info.h"
#include "cb-hub-client.h"

G_BEGIN_DECLS

/* A GListModel of CbDeviceItem that loads hub query pages on demand: the first page on reload,
 * the next one when a view asks for an item near the end of what is loaded. Never asks for the
 * whole fleet at once. Rows are kept as plain data; an item is made when asked for and is the
 * same one for as long as someone holds it. */
#define CB_TYPE_DEVICE_LIST_MODEL (cb_device_list_model_get_type ())
G_DECLARE_FINAL_TYPE (CbDeviceListModel, cb_device_list_model, CB, DEVICE_LIST_MODEL, GObject)

CbDeviceListModel *cb_device_list_model_new               (void);
void               cb_device_list_model_set_hub           (CbDeviceListModel *self,
                                                           CbHubClient       *hub);
/* A WHERE condition without the keyword (NULL: every device). Takes effect on reload. */
void               cb_device_list_model_set_condition     (CbDeviceListModel *self,
                                                           const char        *condition);
const char        *cb_device_list_model_get_condition     (CbDeviceListModel *self);
void               cb_device_list_model_set_page_size     (CbDeviceListModel *self,
                                                           guint              page_size);
/* The policy name rows show (the hub twin does not carry it). */
void               cb_device_list_model_set_policy        (CbDeviceListModel *self,
                                                           const char        *policy);
/* The signals rows are judged with; takes a reference. NULL: none known yet. The model's
 * clock follows the service on each page. */
void               cb_device_list_model_set_state_info    (CbDeviceListModel *self,
                                                           CbDeviceStateInfo *info);
CbDeviceStateInfo *cb_device_list_model_get_state_info    (CbDeviceListModel *self);
/* New signals for the rows already loaded: judged again in place (their states notify; no
 * rows come or go, so a view keeps its place). */
void               cb_device_list_model_update_state_info (CbDeviceListModel *self,
                                                           CbDeviceStateInfo *info);
void               cb_device_list_model_set_cancellable   (CbDeviceListModel *self,
                                                           GCancellable      *cancellable);
/* Drops what is loaded and fetches the first page. */
void               cb_device_list_model_reload            (CbDeviceListModel *self);
/* Fetches the next page if there is one and none is loading. */
void               cb_device_list_model_load_more         (CbDeviceListModel *self);
gboolean           cb_device_list_model_get_loading       (CbDeviceListModel *self);
gboolean           cb_device_list_model_get_complete      (CbDeviceListModel *self);
/* Query requests made since creation (tests check the paging). */
guint              cb_device_list_model_get_n_requests    (CbDeviceListModel *self);
/* The last load error, NULL when the last load worked. */
const GError      *cb_device_list_model_get_error         (CbDeviceListModel *self);
/* Model updates after an action, without a reload. The device's item (a new reference: the
 * one a view or anyone else holds, else a new one) and its position; NULL when not loaded. */
CbDeviceItem      *cb_device_list_model_dup_device        (CbDeviceListModel *self,
                                                           const char        *device_id,
                                                           guint             *position);
void               cb_device_list_model_remove_device     (CbDeviceListModel *self,
                                                           const char        *device_id);

G_END_DECLS
