/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The sandbox's own view of a device's hub connection: see cb-sb-routes-mqtt-connection.h.
 * The state and lastActivityTime come from the hub's table, refreshed by the live connection;
 * the attempts from the endpoint's record. */

#include "config.h"

#include "cb-sb-hub.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-mqtt-attempts.h"
#include "cb-sb-mqtt-handle.h"
#include "cb-sb-mqtt-transport.h"
#include "cb-sb-request.h"
#include "cb-sb-routes-mqtt-connection.h"
#include "cb-util.h"

static void
handle_connection (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *hub_param = cb_sb_param (req, "hub");
  const char *device_id = cb_sb_param (req, "deviceId");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *hub = cb_sb_hub_resolve (self, hub_param);
  g_autofree char *state = NULL;
  g_autofree char *key = NULL;
  gint64 activity = 0;
  CbSbMqtt *m = cb_sb_mqtt_get (self);
  CbSbMqttConn *c;

  if (hub == NULL)
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "HubNotFound", 0,
                         "There is no hub “%s” in the sandbox.", hub_param);
      return;
    }
  if (!cb_sb_hub_get_connection (self, hub, device_id, &state, &activity))
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "DeviceNotFound", 0,
                         "There is no device “%s” in hub “%s”.", device_id, hub);
      return;
    }

  /* The live connection knows a fresher lastActivityTime than the store. */
  key = cb_sb_mqtt_device_key (hub, device_id);
  c = m != NULL ? g_hash_table_lookup (m->devices, key) : NULL;
  if (c != NULL)
    activity = MAX (activity, c->activity);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "deviceId");
  json_builder_add_string_value (b, device_id);
  json_builder_set_member_name (b, "connectionState");
  json_builder_add_string_value (b, state);
  json_builder_set_member_name (b, "lastActivityTime");
  if (activity > 0)
    {
      g_autofree char *when = cb_time_format_precise (activity);
      json_builder_add_string_value (b, when);
    }
  else
    json_builder_add_null_value (b);

  cb_sb_mqtt_attempts_add_json (self, hub, device_id, b);
  cb_sb_mqtt_add_refused_subscriptions_json (m, key, b);
  json_builder_end_object (b);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

void
cb_sb_routes_mqtt_connection_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET", "/sandbox/hubs/{hub}/devices/{deviceId}/connection",
                   CB_SB_STYLE_PLAIN, handle_connection);
}
