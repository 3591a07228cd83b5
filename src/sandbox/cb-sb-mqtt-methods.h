/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: direct methods on the hub device endpoint (cb-sb-mqtt-methods.c): the service's
 * call goes to a connected device that subscribed to "$iothub/methods/POST/#" on
 * "$iothub/methods/POST/{method}/?$rid={rid}"; the device answers on
 * "$iothub/methods/res/{status}/?$rid={rid}" and the caller hears the status and payload, or
 * that the device did not answer in time. */

#include <gio/gio.h>
#include "cb-sb-mqtt-transport.h"

G_BEGIN_DECLS

typedef enum
{
  CB_SB_METHOD_ANSWERED,          /* the device answered: status and payload */
  CB_SB_METHOD_TIMED_OUT,         /* no answer within the response timeout */
  CB_SB_METHOD_GONE,              /* the endpoint stopped */
} CbSbMethodOutcome;

/* Called once, with the sandbox lock held; payload is what the device sent (may be NULL). */
typedef void (*CbSbMethodDoneFunc) (CbSbMethodOutcome  outcome,
                                    int                status,
                                    GBytes            *payload,
                                    gpointer           user_data);

/* Sends the call to the device's live connection. FALSE with G_IO_ERROR_NOT_CONNECTED when
 * the device is not connected or does not listen for methods; done is not called then. */
gboolean      cb_sb_mqtt_method_invoke         (CbSandbox          *self,
                                                const char         *hub,
                                                const char         *device_id,
                                                const char         *method,
                                                const char         *payload,
                                                guint               timeout_seconds,
                                                CbSbMethodDoneFunc  done,
                                                gpointer            user_data,
                                                GError            **error);
/* A device's PUBLISH to "$iothub/methods/res/{status}/" (base: the topic without properties):
 * ends the call rid names; an unknown rid is ignored, as the hub does. */
void          cb_sb_mqtt_method_response       (CbSbMqttConn       *c,
                                                const char         *base,
                                                const char         *rid,
                                                GBytes             *payload);
/* The free function of CbSbMqtt.methods' values: a pending call ends CB_SB_METHOD_GONE. */
void          cb_sb_mqtt_method_call_free      (gpointer            call);

#define CB_SB_MQTT_TOPIC_METHOD_RES "$iothub/methods/res/"

G_END_DECLS
