/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* How the hub device endpoint answers a request topic: see cb-sb-mqtt-response.h. */

#include "config.h"

#include <string.h>

#include "cb-sb-mqtt-response.h"
#include "cb-util.h"

/* The $rid (as sent) from "topic/?$rid=...&..."; NULL when absent. */
char *
cb_sb_mqtt_topic_property (const char *props,
                           const char *name)
{
  g_auto(GStrv) pairs = NULL;
  gsize name_len = strlen (name);

  if (props == NULL)
    return NULL;
  pairs = g_strsplit (props, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    if (strncmp (pairs[i], name, name_len) == 0 && pairs[i][name_len] == '=' &&
        pairs[i][name_len + 1] != '\0')
      return g_strdup (pairs[i] + name_len + 1);

  return NULL;
}

gboolean
cb_sb_mqtt_respond (CbSbMqttConn *c,
                    const char   *prefix,
                    guint         status,
                    const char   *rid,
                    gint64        version,
                    const char   *payload)
{
  g_autofree char *topic = NULL;

  if (rid == NULL)
    return FALSE;

  if (version >= 0)
    topic = g_strdup_printf ("%s/%u/?$rid=%s&$version=%" G_GINT64_FORMAT, prefix, status, rid,
                             version);
  else
    topic = g_strdup_printf ("%s/%u/?$rid=%s", prefix, status, rid);

  return cb_sb_mqtt_conn_publish (c, topic, payload);
}

/* The §3.2 error body: errorCode, message, trackingId, timestampUtc and info. */
char *
cb_sb_mqtt_error_payload (CbSandbox  *self,
                          int         code,
                          const char *message,
                          JsonObject *info)         /* transfer full, may be NULL */
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *tracking = g_uuid_string_random ();
  g_autofree char *stamp = cb_time_format_precise (cb_sb_now_usec (self));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "errorCode");
  json_builder_add_int_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "trackingId");
  json_builder_add_string_value (b, tracking);
  json_builder_set_member_name (b, "timestampUtc");
  json_builder_add_string_value (b, stamp);
  if (info != NULL)
    {
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);

      json_node_take_object (node, info);
      json_builder_set_member_name (b, "info");
      json_builder_add_value (b, node);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}
