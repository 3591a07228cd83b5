/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: certificate renewal over the hub device endpoint
 * ($iothub/credentials/POST/issueCertificate/): the request's checks, the operation (one per
 * device, answered 202 at once and with the issued chain after the renewal delay), its
 * delivery when the device is connected and subscribed, and its expiry. */

#include "cb-sb-mqtt-transport.h"

G_BEGIN_DECLS

#define CB_SB_MQTT_TOPIC_ISSUE_CERT "$iothub/credentials/POST/issueCertificate/"

/* Frees an operation (the value of CbSbMqtt.ops). */
void          cb_sb_mqtt_renew_op_free         (gpointer      op);
void          cb_sb_mqtt_handle_issue_certificate (CbSbMqttConn *c,
                                                   const char   *rid,
                                                   GBytes       *payload);
/* Sends a finished operation's result if the device is connected and subscribed; the
 * operation ends there. Otherwise it waits (until it expires) for the device to come back. */
void          cb_sb_mqtt_renewal_deliver       (CbSbMqtt     *m,
                                                const char   *key);
/* Drops the operations whose hour is over (now: monotonic usec). */
void          cb_sb_mqtt_renewal_expire        (CbSbMqtt     *m,
                                                gint64        now);

G_END_DECLS
