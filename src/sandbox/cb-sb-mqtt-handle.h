/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the hub device endpoint's per-packet handlers (as mosquitto's handle_*.c): CONNECT
 * (cb-sb-mqtt-handle-connect.c), PUBLISH (cb-sb-mqtt-handle-publish.c), SUBSCRIBE and
 * UNSUBSCRIBE (cb-sb-mqtt-handle-subscribe.c). Called with the sandbox lock held. */

#include <json-glib/json-glib.h>
#include "cb-mqtt-packet.h"
#include "cb-sb-mqtt-transport.h"

G_BEGIN_DECLS

/* Judges the device (user name, client id, and its SAS password or else its certificate chain:
 * the hub's verdict) and answers CONNACK; an accepted connection replaces the device's earlier
 * one. */
void          cb_sb_mqtt_handle_connect        (CbSbMqttConn *c,
                                                CbMqttPacket *p);
/* The certificates (CbCertificate) of a chain of DER GBytes, up to the first that does not
 * parse; NULL when none does. */
GPtrArray    *cb_sb_mqtt_parse_chain           (GPtrArray    *ders);

/* Twin requests, renewal requests, direct method answers and telemetry; anything else closes
 * the connection. */
void          cb_sb_mqtt_handle_publish        (CbSbMqttConn *c,
                                                CbMqttPacket *p);

void          cb_sb_mqtt_handle_subscribe      (CbSbMqttConn *c,
                                                CbMqttPacket *p);
void          cb_sb_mqtt_handle_unsubscribe    (CbSbMqttConn *c,
                                                CbMqttPacket *p);
/* Adds "refusedSubscriptions" (the newest ten topic filters the device "hub/device" was
 * refused, SUBACK 0x80, newest first: {"time", "topicFilter"}) to the object b is building. */
void          cb_sb_mqtt_add_refused_subscriptions_json (CbSbMqtt    *m,
                                                         const char  *key,
                                                         JsonBuilder *b);

G_END_DECLS
