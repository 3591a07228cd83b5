/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "cb-device-state.h"
#include "cb-device-state-info.h"

G_BEGIN_DECLS

/* One row of the device list: a hub twin reduced to what the registry shows. */
#define CB_TYPE_DEVICE_ITEM (cb_device_item_get_type ())
G_DECLARE_FINAL_TYPE (CbDeviceItem, cb_device_item, CB, DEVICE_ITEM, GObject)

CbDeviceItem *cb_device_item_new_from_twin   (JsonObject              *twin,
                                              const char              *policy,
                                              const CbDeviceStateInfo *info);
const char   *cb_device_item_get_device_id   (CbDeviceItem  *self);
gboolean      cb_device_item_get_enabled     (CbDeviceItem  *self);
void          cb_device_item_set_enabled     (CbDeviceItem  *self,
                                              gboolean       enabled);
const char   *cb_device_item_get_policy      (CbDeviceItem  *self);
gint64        cb_device_item_get_valid_until (CbDeviceItem  *self);
gboolean      cb_device_item_get_has_dates   (CbDeviceItem  *self);
/* The twin's lastActivityTime (unix seconds), 0 when unknown. */
gint64        cb_device_item_get_last_activity (CbDeviceItem *self);
CbDeviceState cb_device_item_get_state       (CbDeviceItem  *self);
const char   *cb_device_item_get_state_label (CbDeviceItem  *self);
/* Why the row is in its state, a sentence. */
const char   *cb_device_item_get_state_reason (CbDeviceItem *self);

/* For the list model: an item read at the service's time @now, and the same item judged again
 * with new signals (its state properties notify when they change). */
CbDeviceItem *cb_device_item_new_at          (JsonObject              *twin,
                                              const char              *policy,
                                              CbDeviceStateInfo       *info,
                                              gint64                   now);
void          cb_device_item_judge_again     (CbDeviceItem            *self,
                                              CbDeviceStateInfo       *info);

G_END_DECLS
