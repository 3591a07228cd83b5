/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The hub device endpoint's SUBSCRIBE and UNSUBSCRIBE: see cb-sb-mqtt-handle.h. A device may
 * hold up to MAX_FILTERS filters, each inside one of the response prefixes. */

#include "config.h"

#include "cb-sb-mqtt-dps.h"
#include "cb-sb-mqtt-handle.h"
#include "cb-sb-mqtt-renewal.h"

#define MAX_FILTERS          16

/* What a device may subscribe to: filters inside these (e.g. "$iothub/twin/res/#", or the
 * exact response topic mosquitto_rr subscribes to). */
static const char * const allowed_prefixes[] = {
  "$iothub/twin/res/",
  "$iothub/credentials/res/",
  "$iothub/twin/PATCH/properties/desired/",
};

static gboolean
filter_allowed (const char *filter)
{
  for (guint i = 0; i < G_N_ELEMENTS (allowed_prefixes); i++)
    if (g_str_has_prefix (filter, allowed_prefixes[i]))
      return TRUE;
  return FALSE;
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
      if (filter_allowed (filter) && c->filters->len < MAX_FILTERS)
        {
          g_ptr_array_add (c->filters, g_strdup (filter));
          code = MIN (p->codes->data[i], 1);
        }
      g_byte_array_append (ack->codes, &code, 1);
    }

  cb_sb_mqtt_conn_send (c, cb_mqtt_packet_encode (ack, NULL));

  /* A renewal result that waited for the device goes out now if this subscription covers it. */
  cb_sb_mqtt_renewal_deliver (c->mqtt, c->key);
}

void
cb_sb_mqtt_handle_unsubscribe (CbSbMqttConn *c,
                               CbMqttPacket *p)
{
  for (guint i = 0; i < p->filters->len; i++)
    remove_filter (c, g_ptr_array_index (p->filters, i));

  cb_sb_mqtt_conn_send (c, cb_mqtt_encode_ack (CB_MQTT_UNSUBACK, p->packet_id));
}
