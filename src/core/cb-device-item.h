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
/* The same, not kept in the item. */
char         *cb_device_item_dup_state_reason (CbDeviceItem *self);

/* The table's cell texts (the properties of the same names, without a GValue). */
const char   *cb_device_item_get_enabled_label    (CbDeviceItem *self);
char         *cb_device_item_dup_valid_until_text (CbDeviceItem *self);
char         *cb_device_item_dup_days_left_text   (CbDeviceItem *self);

/* For the list model: an item read at the service's time @now, and the same item judged again
 * with new signals (its state properties notify when they change). */
CbDeviceItem *cb_device_item_new_at          (JsonObject              *twin,
                                              const char              *policy,
                                              CbDeviceStateInfo       *info,
                                              gint64                   now);
/* A twin's row read in a worker thread (plain data, no GObject), made into an item on the
 * main thread: cb_device_item_new_from_row takes its strings. */
typedef struct
{
  char            *device_id;
  gboolean         enabled;
  CbDeviceSignals  signals;     /* revoked_at is filled in when the item is made */
} CbDeviceRow;

void          cb_device_row_init_from_twin   (CbDeviceRow             *row,
                                              JsonObject              *twin);
/* What a hub query gives for a row when it asks only for what a row needs: the twin's
 * deviceId, status and lastActivityTime, and its reported certificate as "certificate".
 * A page of such rows is about a tenth of a page of twins to send, parse and hold. */
#define CB_DEVICE_ROW_SELECT \
  "SELECT deviceId, status, lastActivityTime, properties.reported.certificate AS certificate"
void          cb_device_row_init_from_select (CbDeviceRow             *row,
                                              JsonObject              *selected);
void          cb_device_row_clear            (CbDeviceRow             *row);
CbDeviceItem *cb_device_item_new_from_row    (CbDeviceRow             *row,
                                              const char              *policy,
                                              CbDeviceStateInfo       *info,
                                              gint64                   now);
void          cb_device_item_judge_again     (CbDeviceItem            *self,
                                              CbDeviceStateInfo       *info);

G_END_DECLS
