/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* Cloud-to-device messages, service side. The service SDKs send them over AMQP, which the
 * sandbox does not speak; this sandbox-own route on the hub's REST surface does the same:
 * POST /hubs/{hub}/devices/{id}/messages/deviceBound with the message as the body (any bytes,
 * up to 64 KiB, IoT Hub's limit), its id in "iothub-messageid" and application properties as
 * "iothub-app-{name}" headers, authorized as a service call (ServiceConnect). The message goes
 * to the device's MQTT connection now or when it subscribes (cb-sb-mqtt-c2d.c). Answers 200
 * {"messageId", "deviceId", "queued"}: queued counts the messages still waiting for the device. */

#include "config.h"

#include <string.h>

#include "cb-sb-hub.h"
#include "cb-sb-mqtt-c2d.h"
#include "cb-sb-routes-hub-auth.h"
#include "cb-sb-routes-hub-c2d.h"

#define MAX_C2D_SIZE (64 * 1024)
#define APP_PREFIX   "iothub-app-"

static void
handle_send (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(GHashTable) properties = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                             g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *mid = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;
  const char *id = cb_sb_param (req, "id");
  gboolean enabled = FALSE;

  if (!cb_sb_hub_begin_request (req, &ctx, CB_SB_HUB_RIGHT_SERVICE, "ServiceConnect"))
    return;

  if (!cb_sb_hub_lookup_device (req->sandbox, ctx.hub, id, &enabled))
    {
      cb_sb_hub_reply_device_not_found (req, &ctx, id);
      return;
    }

  if (g_bytes_get_size (req->body) > MAX_C2D_SIZE)
    {
      cb_sb_reply_error (req, 413, "MessageTooLarge", 413001,
                         "A cloud-to-device message may be at most %d bytes", MAX_C2D_SIZE);
      return;
    }

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (g_ascii_strncasecmp (name, APP_PREFIX, strlen (APP_PREFIX)) == 0 &&
        name[strlen (APP_PREFIX)] != '\0')
      g_hash_table_replace (properties, g_strdup (name + strlen (APP_PREFIX)), g_strdup (value));

  mid = cb_sb_mqtt_c2d_send (req->sandbox, ctx.hub, id, cb_sb_header (req, "iothub-messageid"),
                             properties, req->body, &error);
  if (mid == NULL)
    {
      if (g_error_matches (error, CB_SB_C2D_ERROR, CB_SB_C2D_ERROR_QUEUE_FULL))
        cb_sb_reply_error (req, 403, "DeviceMaximumQueueDepthExceeded", 403004, "%s",
                           error->message);
      else
        cb_sb_reply_error (req, 503, "ServiceUnavailable", 503001, "%s", error->message);
      return;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "messageId");
  json_builder_add_string_value (b, mid);
  json_builder_set_member_name (b, "deviceId");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "queued");
  json_builder_add_int_value (b, cb_sb_mqtt_c2d_queued (req->sandbox, ctx.hub, id));
  json_builder_end_object (b);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

void
cb_sb_routes_hub_c2d_add (CbSandbox *self)
{
  cb_sb_add_route (self, "POST", "/hubs/{hub}/devices/{id}/messages/deviceBound",
                   CB_SB_STYLE_HUB, handle_send);
}
