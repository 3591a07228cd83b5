/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* Direct methods on the hub device endpoint: see cb-sb-mqtt-methods.h. A pending call lives in
 * CbSbMqtt.methods under "hub/device/rid" until the device answers or its timer fires; the
 * timer takes the sandbox lock as every callback of the endpoint does. */

#include "config.h"

#include <string.h>

#include "cb-mqtt-packet.h"
#include "cb-sb-mqtt-methods.h"
#include "cb-sb-store.h"

typedef struct
{
  CbSandbox          *sandbox;
  char               *key;            /* "hub/device/rid" */
  GSource            *timer;
  CbSbMethodDoneFunc  done;
  gpointer            user_data;
} MethodCall;

/* Ends call with outcome (once): calls back, stops the timer. */
static void
finish (MethodCall        *call,
        CbSbMethodOutcome  outcome,
        int                status,
        GBytes            *payload)
{
  CbSbMethodDoneFunc done = call->done;

  call->done = NULL;
  if (call->timer != NULL)
    {
      g_source_destroy (call->timer);
      g_clear_pointer (&call->timer, g_source_unref);
    }
  if (done != NULL)
    done (outcome, status, payload, call->user_data);
}

void
cb_sb_mqtt_method_call_free (gpointer data)
{
  MethodCall *call = data;

  finish (call, CB_SB_METHOD_GONE, 0, NULL);
  g_free (call->key);
  g_object_unref (call->sandbox);
  g_free (call);
}

static gboolean
timeout_cb (gpointer data)
{
  MethodCall *call = data;
  CbSandbox *self = g_object_ref (call->sandbox);
  CbSbMqtt *m;

  cb_sb_lock (self);
  g_clear_pointer (&call->timer, g_source_unref);
  finish (call, CB_SB_METHOD_TIMED_OUT, 0, NULL);
  if ((m = cb_sb_mqtt_get (self)) != NULL && m->methods != NULL)
    g_hash_table_remove (m->methods, call->key);
  cb_sb_unlock (self);
  g_object_unref (self);

  return G_SOURCE_REMOVE;
}

static gboolean
listens_for_methods (CbSbMqttConn *c)
{
  for (guint i = 0; c->filters != NULL && i < c->filters->len; i++)
    if (cb_mqtt_topic_matches (g_ptr_array_index (c->filters, i), "$iothub/methods/POST/m/"))
      return TRUE;
  return FALSE;
}

gboolean
cb_sb_mqtt_method_invoke (CbSandbox           *self,
                          const char          *hub,
                          const char          *device_id,
                          const char          *method,
                          const char          *payload,
                          guint                timeout_seconds,
                          CbSbMethodDoneFunc   done,
                          gpointer             user_data,
                          GError             **error)
{
  CbSbMqtt *m = cb_sb_mqtt_get (self);
  g_autofree char *key = cb_sb_mqtt_device_key (hub, device_id);
  g_autofree char *rid = NULL;
  g_autofree char *topic = NULL;
  CbSbMqttConn *c = m != NULL ? g_hash_table_lookup (m->devices, key) : NULL;
  MethodCall *call;

  if (c == NULL || c->state != CB_SB_MQTT_CONN_ONLINE || !listens_for_methods (c))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                   c == NULL ? "The device %s is not connected"
                             : "The device %s is connected but has not subscribed to "
                               "$iothub/methods/POST/#", device_id);
      return FALSE;
    }

  if (m->methods == NULL)
    m->methods = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, cb_sb_mqtt_method_call_free);

  rid = g_strdup_printf ("%" G_GINT64_MODIFIER "x", ++m->next_method_rid);
  topic = g_strdup_printf ("$iothub/methods/POST/%s/?$rid=%s", method, rid);

  call = g_new0 (MethodCall, 1);
  call->sandbox = g_object_ref (self);
  call->key = g_strdup_printf ("%s/%s", key, rid);
  call->done = done;
  call->user_data = user_data;
  call->timer = g_timeout_source_new_seconds (MAX (timeout_seconds, 1));
  g_source_set_callback (call->timer, timeout_cb, call, NULL);
  g_source_attach (call->timer, m->context);
  g_hash_table_insert (m->methods, call->key, call);

  cb_sb_mqtt_conn_send (c, cb_mqtt_encode_publish (topic, payload, payload ? strlen (payload) : 0,
                                                   0, 0));
  return TRUE;
}

void
cb_sb_mqtt_method_response (CbSbMqttConn *c,
                            const char   *base,
                            const char   *rid,
                            GBytes       *payload)
{
  CbSbMqtt *m = c->mqtt;
  const char *status_text = base + strlen (CB_SB_MQTT_TOPIC_METHOD_RES);
  g_autofree char *key = NULL;
  char *end = NULL;
  gint64 status;
  MethodCall *call;

  status = g_ascii_strtoll (status_text, &end, 10);
  if (rid == NULL || m == NULL || m->methods == NULL || end == status_text ||
      (*end != '/' && *end != '\0'))
    {
      g_debug ("%s answered a method with topic %s: ignored", c->device_id, base);
      return;
    }

  key = g_strdup_printf ("%s/%s", c->key, rid);
  call = g_hash_table_lookup (m->methods, key);
  if (call == NULL)
    {
      g_debug ("%s answered method $rid=%s, which is not pending: ignored", c->device_id, rid);
      return;
    }

  finish (call, CB_SB_METHOD_ANSWERED, (int) CLAMP (status, G_MININT, G_MAXINT), payload);
  g_hash_table_remove (m->methods, key);
}
