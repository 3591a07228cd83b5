/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* Cloud-to-device messages on the hub device endpoint: see cb-sb-mqtt-c2d.h. The topic's
 * property bag is the one IoT Hub writes ("$.mid", "$.to", then the application properties,
 * URL-encoded), so a device SDK parses it as it would from Azure. The hub publishes QoS 0, as
 * all its answers here; a message leaves the queue when it is sent. */

#include "config.h"

#include <string.h>

#include "cb-mqtt-packet.h"
#include "cb-sb-mqtt-c2d.h"

G_DEFINE_QUARK (cb-sb-c2d-error-quark, cb_sb_c2d_error)

typedef struct
{
  char   *topic;
  GBytes *payload;
} C2dMessage;

static void
c2d_message_free (gpointer data)
{
  C2dMessage *msg = data;

  g_free (msg->topic);
  g_bytes_unref (msg->payload);
  g_free (msg);
}

void
cb_sb_mqtt_c2d_queue_free (gpointer queue)
{
  g_queue_free_full (queue, c2d_message_free);
}

static void
append_property (GString    *topic,
                 const char *name,
                 const char *value)
{
  g_autofree char *n = g_uri_escape_string (name, NULL, FALSE);
  g_autofree char *v = g_uri_escape_string (value, NULL, FALSE);

  if (topic->str[topic->len - 1] != '/')
    g_string_append_c (topic, '&');
  g_string_append_printf (topic, "%s=%s", n, v);
}

static gboolean
publish (CbSbMqttConn *c,
         C2dMessage   *msg)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (msg->payload, &len);

  if (c->state != CB_SB_MQTT_CONN_ONLINE || c->filters == NULL)
    return FALSE;
  for (guint i = 0; i < c->filters->len; i++)
    if (cb_mqtt_topic_matches (g_ptr_array_index (c->filters, i), msg->topic))
      {
        cb_sb_mqtt_conn_send (c, cb_mqtt_encode_publish (msg->topic, data, len, 0, 0));
        return TRUE;
      }
  return FALSE;
}

void
cb_sb_mqtt_c2d_deliver (CbSbMqttConn *c)
{
  GQueue *queue;

  if (c->mqtt == NULL || c->mqtt->c2d == NULL || c->key == NULL ||
      (queue = g_hash_table_lookup (c->mqtt->c2d, c->key)) == NULL)
    return;

  while (!g_queue_is_empty (queue) && publish (c, g_queue_peek_head (queue)))
    c2d_message_free (g_queue_pop_head (queue));

  if (g_queue_is_empty (queue))
    g_hash_table_remove (c->mqtt->c2d, c->key);
}

char *
cb_sb_mqtt_c2d_send (CbSandbox   *self,
                     const char  *hub,
                     const char  *device_id,
                     const char  *message_id,
                     GHashTable  *properties,
                     GBytes      *payload,
                     GError     **error)
{
  CbSbMqtt *m = cb_sb_mqtt_get (self);
  g_autofree char *key = NULL;
  g_autofree char *mid = NULL;
  g_autofree char *to = NULL;
  GString *topic;
  GQueue *queue;
  C2dMessage *msg;
  CbSbMqttConn *c;

  if (m == NULL)
    {
      g_set_error_literal (error, CB_SB_C2D_ERROR, CB_SB_C2D_ERROR_NOT_RUNNING,
                           "The hub device endpoint is not running");
      return NULL;
    }

  key = cb_sb_mqtt_device_key (hub, device_id);
  if (m->c2d == NULL)
    m->c2d = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cb_sb_mqtt_c2d_queue_free);
  queue = g_hash_table_lookup (m->c2d, key);
  if (queue != NULL && g_queue_get_length (queue) >= CB_SB_C2D_MAX_QUEUE)
    {
      g_set_error (error, CB_SB_C2D_ERROR, CB_SB_C2D_ERROR_QUEUE_FULL,
                   "The device %s already has %d cloud-to-device messages waiting",
                   device_id, CB_SB_C2D_MAX_QUEUE);
      return NULL;
    }

  mid = message_id != NULL ? g_strdup (message_id) : g_uuid_string_random ();
  to = g_strdup_printf ("/devices/%s/messages/deviceBound", device_id);
  topic = g_string_new (NULL);
  g_string_printf (topic, "devices/%s/messages/devicebound/", device_id);
  append_property (topic, "$.mid", mid);
  append_property (topic, "$.to", to);
  if (properties != NULL)
    {
      GHashTableIter iter;
      gpointer name, value;

      g_hash_table_iter_init (&iter, properties);
      while (g_hash_table_iter_next (&iter, &name, &value))
        append_property (topic, name, value);
    }

  msg = g_new0 (C2dMessage, 1);
  msg->topic = g_string_free (topic, FALSE);
  msg->payload = g_bytes_ref (payload);

  c = g_hash_table_lookup (m->devices, key);
  if (queue == NULL && c != NULL && publish (c, msg))
    {
      c2d_message_free (msg);
      return g_steal_pointer (&mid);
    }

  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (m->c2d, g_strdup (key), queue);
    }
  g_queue_push_tail (queue, msg);
  return g_steal_pointer (&mid);
}

guint
cb_sb_mqtt_c2d_queued (CbSandbox  *self,
                       const char *hub,
                       const char *device_id)
{
  CbSbMqtt *m = cb_sb_mqtt_get (self);
  g_autofree char *key = cb_sb_mqtt_device_key (hub, device_id);
  GQueue *queue = m != NULL && m->c2d != NULL ? g_hash_table_lookup (m->c2d, key) : NULL;

  return queue != NULL ? g_queue_get_length (queue) : 0;
}
