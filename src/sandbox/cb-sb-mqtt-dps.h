/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: DPS's device API over MQTT on the hub's device endpoint (cb-sb-mqtt-dps.c), as
 * azure-api-reference.md §2.4 describes it. The endpoint's handlers (cb-sb-mqtt-handle-*.c)
 * hand a packet here first; a connection whose user name is
 * "{idScope}/registrations/{registrationId}/api-version=…" is a DPS session. */

#include "cb-mqtt-packet.h"
#include "cb-sb-mqtt-transport.h"

G_BEGIN_DECLS

/* The register topic, and the polling topic ("?$rid=…&operationId=…" follows each). */
#define CB_SB_MQTT_DPS_TOPIC_REGISTER  "$dps/registrations/PUT/iotdps-register/"
#define CB_SB_MQTT_DPS_TOPIC_STATUS    "$dps/registrations/GET/iotdps-get-operationstatus/"
/* Answers: "$dps/registrations/res/{status}/?$rid=…[&retry-after=…]". */
#define CB_SB_MQTT_DPS_TOPIC_RESPONSE  "$dps/registrations/res"

/* Whether p's user name is a DPS one; if so the device is judged (ID scope, api-version,
 * client id, SAS password or, with none, the TLS client certificate against the X.509
 * enrollments) and answered CONNACK here, and TRUE is returned. */
gboolean      cb_sb_mqtt_dps_handle_connect    (CbSbMqttConn *c,
                                                CbMqttPacket *p);
/* Whether c is a DPS session; if so p is handled here: register and poll requests are
 * answered on the response topic, anything else closes the connection. */
gboolean      cb_sb_mqtt_dps_handle_publish    (CbSbMqttConn *c,
                                                CbMqttPacket *p);
/* Whether c is a DPS session; if so it may subscribe to the response topics only. */
gboolean      cb_sb_mqtt_dps_handle_subscribe  (CbSbMqttConn *c,
                                                CbMqttPacket *p);

G_END_DECLS
