/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The hub device endpoint's PUBLISH: see cb-sb-mqtt-handle.h. */

#include "config.h"

#include <string.h>

#include "cb-sb-mqtt-dps.h"
#include "cb-sb-mqtt-handle.h"
#include "cb-sb-mqtt-methods.h"
#include "cb-sb-mqtt-renewal.h"
#include "cb-sb-mqtt-response.h"
#include "cb-sb-mqtt-twin.h"

void
cb_sb_mqtt_handle_publish (CbSbMqttConn *c,
                           CbMqttPacket *p)
{
  g_autofree char *base = NULL;
  g_autofree char *rid = NULL;
  g_autofree char *telemetry = NULL;
  const char *props;

  if (cb_sb_mqtt_dps_handle_publish (c, p))    /* a DPS session's request */
    return;
  if (p->qos == 2)
    {
      cb_sb_mqtt_conn_close (c, "QoS 2 is not supported by IoT Hub", FALSE);
      return;
    }
  if (p->qos == 1)
    cb_sb_mqtt_conn_send (c, cb_mqtt_encode_ack (CB_MQTT_PUBACK, p->packet_id));

  props = strchr (p->topic, '?');
  base = props ? g_strndup (p->topic, props - p->topic) : g_strdup (p->topic);
  rid = cb_sb_mqtt_topic_property (props ? props + 1 : NULL, "$rid");
  telemetry = g_strdup_printf ("devices/%s/messages/events/", c->device_id);

  if (g_str_equal (base, CB_SB_MQTT_TOPIC_TWIN_GET))
    cb_sb_mqtt_twin_get (c, rid);
  else if (g_str_equal (base, CB_SB_MQTT_TOPIC_TWIN_PATCH))
    cb_sb_mqtt_twin_patch (c, rid, p->payload);
  else if (g_str_equal (base, CB_SB_MQTT_TOPIC_ISSUE_CERT))
    cb_sb_mqtt_handle_issue_certificate (c, rid, p->payload);
  else if (g_str_has_prefix (base, CB_SB_MQTT_TOPIC_METHOD_RES))
    cb_sb_mqtt_method_response (c, base, rid, p->payload);
  else if (g_str_has_prefix (base, telemetry))
    ;                                          /* telemetry: accepted, not stored */
  else
    {
      g_autofree char *why = g_strdup_printf ("publishing to “%s” is not allowed", base);
      cb_sb_mqtt_conn_close (c, why, TRUE);
    }
}
