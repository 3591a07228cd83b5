/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the hub device endpoint over MQTT (cb-sb-mqtt.c and its parts), as other modules
 * and tests tune it. It closes a device's live connections when the sandbox's events say
 * "device-dropped" or "recheck-all", and pushes "desired-patched" to a subscribed device. */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Delay between a renewal's 202 and its result (default 200 ms). */
void          cb_sb_mqtt_set_renewal_delay_ms (CbSandbox *self, guint delay_ms);
/* How long a connection may take for its TLS handshake and CONNECT (default 10 s). */
void          cb_sb_mqtt_set_connect_timeout_ms (CbSandbox *self, guint timeout_ms);

G_END_DECLS
