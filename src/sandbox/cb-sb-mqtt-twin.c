/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The twin topics of the hub device endpoint: see cb-sb-mqtt-twin.h. */

#include "config.h"

#include "cb-json-limits.h"
#include "cb-sb-hub.h"
#include "cb-sb-mqtt-response.h"
#include "cb-sb-mqtt-twin.h"
#include "cb-sb-store.h"

void
cb_sb_mqtt_twin_get (CbSbMqttConn *c,
                     const char   *rid)
{
  g_autoptr(JsonNode) doc = cb_sb_hub_dup_device_twin (c->sandbox, c->hub, c->device_id);
  g_autofree char *text = NULL;

  if (doc == NULL)
    {
      text = cb_sb_mqtt_error_payload (c->sandbox, 404001, "The device does not exist.", NULL);
      cb_sb_mqtt_respond (c, "$iothub/twin/res", 404, rid, -1, text);
      return;
    }

  text = json_to_string (doc, FALSE);
  cb_sb_mqtt_respond (c, "$iothub/twin/res", 200, rid, -1, text);
}

void
cb_sb_mqtt_twin_patch (CbSbMqttConn *c,
                       const char   *rid,
                       GBytes       *payload)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  const char *data = payload ? g_bytes_get_data (payload, &len) : NULL;
  gint64 version = 0;

  /* The limits before json-glib, which recurses per level (cb-json-limits.h). */
  if (!cb_json_check_limits (data, len, CB_JSON_MAX_REQUEST_SIZE, CB_JSON_MAX_DEPTH, &error))
    {
      gboolean too_large = g_error_matches (error, CB_JSON_LIMIT_ERROR,
                                            CB_JSON_LIMIT_ERROR_TOO_LARGE);

      text = cb_sb_mqtt_error_payload (c->sandbox, too_large ? 413001 : 400004, error->message,
                                       NULL);
      cb_sb_mqtt_respond (c, "$iothub/twin/res", too_large ? 413 : 400, rid, -1, text);
      return;
    }

  if (len > 0)
    {
      g_autofree char *copy = g_strndup (data, len);
      node = json_from_string (copy, &error);
    }

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      text = cb_sb_mqtt_error_payload (c->sandbox, 400004,
                                       "The reported properties patch must be a JSON object.",
                                       NULL);
      cb_sb_mqtt_respond (c, "$iothub/twin/res", 400, rid, -1, text);
      return;
    }

  if (!cb_sb_hub_patch_reported_versioned (c->sandbox, c->hub, c->device_id,
                                           json_node_get_object (node), &version, &error))
    {
      gboolean missing = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

      text = cb_sb_mqtt_error_payload (c->sandbox, missing ? 404001 : 400004, error->message, NULL);
      cb_sb_mqtt_respond (c, "$iothub/twin/res", missing ? 404 : 400, rid, -1, text);
      return;
    }

  cb_sb_mqtt_respond (c, "$iothub/twin/res", 204, rid, version, NULL);
}

void
cb_sb_mqtt_twin_push_desired (CbSandbox  *self,
                              const char *hub,
                              const char *device_id,
                              JsonObject *patch,
                              gint64      version)
{
  g_autofree char *key = NULL;
  g_autofree char *topic = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *copy;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  CbSbMqtt *m;
  CbSbMqttConn *c;

  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sb_lock (self);
  m = cb_sb_mqtt_get (self);
  key = hub != NULL && device_id != NULL ? cb_sb_mqtt_device_key (hub, device_id) : NULL;
  c = m != NULL && key != NULL ? g_hash_table_lookup (m->devices, key) : NULL;
  if (c == NULL)
    {
      cb_sb_unlock (self);
      return;
    }

  copy = json_object_new ();
  json_object_iter_init (&iter, patch);
  while (json_object_iter_next (&iter, &name, &value))
    if (name[0] != '$')
      json_object_set_member (copy, name, json_node_copy (value));
  json_object_set_int_member (copy, "$version", version);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, copy);
  text = json_to_string (node, FALSE);

  topic = g_strdup_printf ("$iothub/twin/PATCH/properties/desired/?$version=%" G_GINT64_FORMAT,
                           version);
  cb_sb_mqtt_conn_publish (c, topic, text);

  cb_sb_unlock (self);
}
