/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: how the hub device endpoint answers a request topic: the topic's properties
 * ($rid, ...), the response topic "<prefix>/<status>/?$rid=..." and the §3.2 error body. */

#include <json-glib/json-glib.h>
#include "cb-sb-mqtt-transport.h"

G_BEGIN_DECLS

/* The value (as sent) of name in "a=1&b=2" (what follows '?' in a topic); NULL when absent. */
char         *cb_sb_mqtt_topic_property        (const char   *props,
                                                const char   *name);
/* Publishes the answer to request rid on "<prefix>/<status>/?$rid=<rid>" (and "&$version="
 * when version >= 0). FALSE when rid is NULL or the device did not subscribe to it. */
gboolean      cb_sb_mqtt_respond               (CbSbMqttConn *c,
                                                const char   *prefix,
                                                guint         status,
                                                const char   *rid,
                                                gint64        version,
                                                const char   *payload);
/* The §3.2 error body: errorCode, message, trackingId, timestampUtc and info (transfer full,
 * may be NULL). */
char         *cb_sb_mqtt_error_payload         (CbSandbox    *self,
                                                int           code,
                                                const char   *message,
                                                JsonObject   *info);

G_END_DECLS
