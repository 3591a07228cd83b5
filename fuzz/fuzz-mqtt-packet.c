/* SPDX-License-Identifier: GPL-3.0-or-later */
/* MQTT packets (src/sandbox/cb-mqtt-packet.c) as the sandbox's hub endpoint reads them from a
 * device's TLS connection: every packet the decoder yields is encoded again and its topic or
 * filters checked. */
#include <glib.h>

#include "cb-mqtt-packet.h"
#include "fuzz-harness.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(CbMqttDecoder) decoder = cb_mqtt_decoder_new (CB_MQTT_DEFAULT_MAX_REMAINING);
  size_t split = size > 0 ? data[0] % (size + 1) : 0;

  cb_mqtt_decoder_feed (decoder, data, split);
  cb_mqtt_decoder_feed (decoder, data + split, size - split);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbMqttPacket) packet = cb_mqtt_decoder_next (decoder, &error);
      g_autoptr(GBytes) again = NULL;
      g_autoptr(GError) encode_error = NULL;

      if (packet == NULL)
        break;

      if (packet->topic != NULL)
        (void) cb_mqtt_topic_is_valid (packet->topic);
      if (packet->filters != NULL)
        for (guint i = 0; i < packet->filters->len; i++)
          {
            const char *filter = g_ptr_array_index (packet->filters, i);

            if (cb_mqtt_filter_is_valid (filter))
              (void) cb_mqtt_topic_matches (filter, "$iothub/twin/res/200/?$rid=1");
          }
      again = cb_mqtt_packet_encode (packet, &encode_error);
    }

  return 0;
}
