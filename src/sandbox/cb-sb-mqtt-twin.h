/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the twin topics of the hub device endpoint: GET of the twin, PATCH of the reported
 * properties, and the desired-properties patches pushed to a device that subscribed. */

#include <json-glib/json-glib.h>
#include "cb-sb-mqtt-transport.h"

G_BEGIN_DECLS

#define CB_SB_MQTT_TOPIC_TWIN_GET   "$iothub/twin/GET/"
#define CB_SB_MQTT_TOPIC_TWIN_PATCH "$iothub/twin/PATCH/properties/reported/"

void          cb_sb_mqtt_twin_get              (CbSbMqttConn *c,
                                                const char   *rid);
void          cb_sb_mqtt_twin_patch            (CbSbMqttConn *c,
                                                const char   *rid,
                                                GBytes       *payload);
/* Sends a desired-properties patch (with "$version") to the device if it is connected and
 * subscribed. */
void          cb_sb_mqtt_twin_push_desired     (CbSandbox    *self,
                                                const char   *hub,
                                                const char   *device_id,
                                                JsonObject   *patch,
                                                gint64        version);

G_END_DECLS
