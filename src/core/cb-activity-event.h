/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CB_TYPE_ACTIVITY_EVENT (cb_activity_event_get_type ())
G_DECLARE_FINAL_TYPE (CbActivityEvent, cb_activity_event, CB, ACTIVITY_EVENT, GObject)

/* One Azure Monitor activity log entry (EventData, api-version 2015-04-01). */
CbActivityEvent *cb_activity_event_new_from_json             (JsonNode         *node,
                                                              GError          **error);

/* eventTimestamp, unix seconds */
gint64           cb_activity_event_get_time                  (CbActivityEvent  *self);
const char      *cb_activity_event_get_caller                (CbActivityEvent  *self);
/* operationName.value, e.g. "Microsoft.DeviceRegistry/namespaces/devices/revoke/action" */
const char      *cb_activity_event_get_operation_name        (CbActivityEvent  *self);
/* operationName.localizedValue, falling back to the value */
const char      *cb_activity_event_get_operation_display_name (CbActivityEvent *self);
const char      *cb_activity_event_get_resource_id           (CbActivityEvent  *self);
/* status.value: Started, Accepted, Succeeded, Failed ... */
const char      *cb_activity_event_get_status                (CbActivityEvent  *self);
/* subStatus.value: Created, OK, BadRequest ... (may be NULL) */
const char      *cb_activity_event_get_sub_status            (CbActivityEvent  *self);
const char      *cb_activity_event_get_correlation_id        (CbActivityEvent  *self);
const char      *cb_activity_event_get_http_method           (CbActivityEvent  *self);
/* 0 when the event does not say. */
guint            cb_activity_event_get_http_status           (CbActivityEvent  *self);

/* Exposed for tests: "Created" -> 201, "404" -> 404, "Created (HTTP Status Code: 201)" -> 201,
 * unknown -> 0. */
guint            cb_activity_event_parse_http_status         (const char       *text);

G_END_DECLS
