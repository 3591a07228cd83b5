/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The hub device endpoint's SUBSCRIBE and UNSUBSCRIBE: see cb-sb-mqtt-handle.h. A device may
 * hold up to MAX_FILTERS filters, each inside one of the response prefixes. */

#include "config.h"

#include "cb-sb-mqtt-c2d.h"
#include "cb-sb-mqtt-dps.h"
#include "cb-sb-mqtt-handle.h"
#include "cb-sb-mqtt-renewal.h"
#include "cb-util.h"

#define MAX_FILTERS          16

/* What a device may subscribe to: filters inside these (e.g. "$iothub/twin/res/#", or the
 * exact response topic mosquitto_rr subscribes to), and inside its own
 * "devices/{deviceId}/messages/devicebound/" (cloud-to-device messages). */
static const char * const allowed_prefixes[] = {
  "$iothub/twin/res/",
  "$iothub/credentials/res/",
  "$iothub/twin/PATCH/properties/desired/",
  "$iothub/methods/POST/",
};

#define MAX_REFUSED          10

typedef struct
{
  gint64  time;                 /* sandbox clock usec */
  char   *filter;
} RefusedSubscription;

static void
refused_subscription_free (gpointer data)
{
  RefusedSubscription *r = data;

  g_free (r->filter);
  g_free (r);
}

static gboolean
filter_allowed (CbSbMqttConn *c,
                const char   *filter)
{
  g_autofree char *devicebound = g_strdup_printf ("devices/%s/messages/devicebound/",
                                                  c->device_id);

  if (g_str_has_prefix (filter, devicebound))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (allowed_prefixes); i++)
    if (g_str_has_prefix (filter, allowed_prefixes[i]))
      return TRUE;
  return FALSE;
}

/* SUBACK 0x80 is easy to miss (the Node device SDK swallows it): the sandbox's log says so,
 * and the device's connection report lists it. */
static void
record_refused (CbSbMqttConn *c,
                const char   *filter,
                gboolean      too_many)
{
  CbSbMqtt *m = c->mqtt;
  GPtrArray *list;
  RefusedSubscription *r;

  g_message ("Refused the subscription of “%s” (hub %s) to “%s” (SUBACK 0x80): %s",
             c->device_id, c->hub, filter,
             too_many ? "a device may hold at most 16 subscriptions"
                      : "the hub serves no such topic");

  if (m->refused_subscriptions == NULL)
    m->refused_subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) g_ptr_array_unref);
  list = g_hash_table_lookup (m->refused_subscriptions, c->key);
  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func (refused_subscription_free);
      g_hash_table_insert (m->refused_subscriptions, g_strdup (c->key), list);
    }
  r = g_new0 (RefusedSubscription, 1);
  r->time = cb_sb_now_usec (c->sandbox);
  r->filter = g_strdup (filter);
  g_ptr_array_insert (list, 0, r);
  if (list->len > MAX_REFUSED)
    g_ptr_array_set_size (list, MAX_REFUSED);
}

void
cb_sb_mqtt_add_refused_subscriptions_json (CbSbMqtt    *m,
                                           const char  *key,
                                           JsonBuilder *b)
{
  GPtrArray *list = m != NULL && m->refused_subscriptions != NULL
                    ? g_hash_table_lookup (m->refused_subscriptions, key) : NULL;

  json_builder_set_member_name (b, "refusedSubscriptions");
  json_builder_begin_array (b);
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      RefusedSubscription *r = g_ptr_array_index (list, i);
      g_autofree char *when = cb_time_format_precise (r->time);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "time");
      json_builder_add_string_value (b, when);
      json_builder_set_member_name (b, "topicFilter");
      json_builder_add_string_value (b, r->filter);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static gboolean
remove_filter (CbSbMqttConn *c,
               const char   *filter)
{
  for (guint i = 0; c->filters != NULL && i < c->filters->len; i++)
    if (g_str_equal (g_ptr_array_index (c->filters, i), filter))
      {
        g_ptr_array_remove_index (c->filters, i);
        return TRUE;
      }
  return FALSE;
}

void
cb_sb_mqtt_handle_subscribe (CbSbMqttConn *c,
                             CbMqttPacket *p)
{
  g_autoptr(CbMqttPacket) ack = cb_mqtt_packet_new (CB_MQTT_SUBACK);

  if (cb_sb_mqtt_dps_handle_subscribe (c, p))  /* a DPS session's response topics */
    return;
  if (c->filters == NULL)
    c->filters = g_ptr_array_new_with_free_func (g_free);

  ack->packet_id = p->packet_id;
  ack->codes = g_byte_array_new ();
  for (guint i = 0; i < p->filters->len; i++)
    {
      const char *filter = g_ptr_array_index (p->filters, i);
      guint8 code = CB_MQTT_SUBACK_FAILURE;

      remove_filter (c, filter);
      if (filter_allowed (c, filter) && c->filters->len < MAX_FILTERS)
        {
          g_ptr_array_add (c->filters, g_strdup (filter));
          code = MIN (p->codes->data[i], 1);
        }
      else
        record_refused (c, filter, filter_allowed (c, filter));
      g_byte_array_append (ack->codes, &code, 1);
    }

  cb_sb_mqtt_conn_send (c, cb_mqtt_packet_encode (ack, NULL));

  /* A renewal result or cloud-to-device messages that waited for the device go out now if
   * this subscription covers them. */
  cb_sb_mqtt_renewal_deliver (c->mqtt, c->key);
  cb_sb_mqtt_c2d_deliver (c);
}

void
cb_sb_mqtt_handle_unsubscribe (CbSbMqttConn *c,
                               CbMqttPacket *p)
{
  for (guint i = 0; i < p->filters->len; i++)
    remove_filter (c, g_ptr_array_index (p->filters, i));

  cb_sb_mqtt_conn_send (c, cb_mqtt_encode_ack (CB_MQTT_UNSUBACK, p->packet_id));
}
