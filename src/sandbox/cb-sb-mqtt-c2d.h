/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: cloud-to-device messages on the hub device endpoint (cb-sb-mqtt-c2d.c): a message
 * the service sends waits in the device's queue (in memory, at most 50, as IoT Hub's queue
 * depth) until the device is connected and subscribed to
 * "devices/{deviceId}/messages/devicebound/#", then goes out on
 * "devices/{deviceId}/messages/devicebound/{properties}". */

#include <gio/gio.h>
#include "cb-sb-mqtt-transport.h"

G_BEGIN_DECLS

#define CB_SB_C2D_MAX_QUEUE 50

typedef enum
{
  CB_SB_C2D_ERROR_QUEUE_FULL,
  CB_SB_C2D_ERROR_NOT_RUNNING,
} CbSbC2dError;

#define CB_SB_C2D_ERROR (cb_sb_c2d_error_quark ())
GQuark        cb_sb_c2d_error_quark            (void);

/* Queues payload for device_id of hub (canonical name) with the application properties
 * (name -> value, may be NULL) and delivers it at once when the device listens. message_id
 * NULL gets a new one. Returns the message id, or NULL with CB_SB_C2D_ERROR. */
char         *cb_sb_mqtt_c2d_send              (CbSandbox    *self,
                                                const char   *hub,
                                                const char   *device_id,
                                                const char   *message_id,
                                                GHashTable   *properties,
                                                GBytes       *payload,
                                                GError      **error);
/* Sends c the messages waiting for it that its subscriptions now cover. */
void          cb_sb_mqtt_c2d_deliver           (CbSbMqttConn *c);
/* The number of messages waiting for the device. */
guint         cb_sb_mqtt_c2d_queued            (CbSandbox    *self,
                                                const char   *hub,
                                                const char   *device_id);
/* The free function of CbSbMqtt.c2d's values. */
void          cb_sb_mqtt_c2d_queue_free        (gpointer      queue);

G_END_DECLS
