/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the hub device endpoint over MQTT (cb-sandbox-mqtt.c). */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* The hub device endpoint (cb-sandbox-mqtt.c). Closing a device's live connections makes its
 * next attempt meet the new verdict: call these when a device is revoked, disabled or deleted
 * (hub NULL: in every hub), and recheck every live connection after an issuer is revoked. */
void          cb_sandbox_mqtt_drop_device      (CbSandbox *self, const char *hub,
                                                const char *device_id, const char *reason);
void          cb_sandbox_mqtt_recheck_all      (CbSandbox *self, const char *reason);
/* Sends a desired-properties patch (with "$version") to the device if it subscribed. */
void          cb_sandbox_mqtt_notify_desired   (CbSandbox *self, const char *hub,
                                                const char *device_id, JsonObject *patch,
                                                gint64 version);
/* Delay between a renewal's 202 and its result (default 200 ms). */
void          cb_sandbox_mqtt_set_renewal_delay_ms (CbSandbox *self, guint delay_ms);
/* How long a connection may take for its TLS handshake and CONNECT (default 10 s). */
void          cb_sandbox_mqtt_set_connect_timeout_ms (CbSandbox *self, guint timeout_ms);

G_END_DECLS
