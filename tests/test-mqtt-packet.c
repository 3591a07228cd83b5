/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-mqtt-packet.h"

/* The MQTT 3.1.1 codec: byte-exact encodings from the spec's examples, round trips of every
 * packet type, incremental decoding byte by byte, the precise errors for malformed and
 * oversize input, and topic filter matching. */

static GBytes *
bytes_of (const guint8 *data,
          gsize         len)
{
  return g_bytes_new (data, len);
}

static void
assert_bytes (GBytes       *bytes,
              const guint8 *expected,
              gsize         len)
{
  gsize got = 0;
  const guint8 *data = g_bytes_get_data (bytes, &got);

  g_assert_cmpmem (data, got, expected, len);
}

static CbMqttPacket *
decode_one (GBytes  *bytes,
            GError **error)
{
  g_autoptr(CbMqttDecoder) decoder = cb_mqtt_decoder_new (0);
  CbMqttPacket *packet;

  cb_mqtt_decoder_feed (decoder, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  packet = cb_mqtt_decoder_next (decoder, error);
  if (packet != NULL)
    g_assert_cmpuint (cb_mqtt_decoder_pending (decoder), ==, 0);
  return packet;
}

static void
test_encode_exact (void)
{
  g_autoptr(GBytes) connack = cb_mqtt_encode_connack (FALSE, CB_MQTT_CONNACK_NOT_AUTHORIZED);
  g_autoptr(GBytes) ping = cb_mqtt_encode_empty (CB_MQTT_PINGRESP);
  g_autoptr(GBytes) puback = cb_mqtt_encode_ack (CB_MQTT_PUBACK, 0x1234);
  g_autoptr(GBytes) publish = cb_mqtt_encode_publish ("a/b", "hi", 2, 1, 10);
  g_autoptr(GBytes) big = NULL;
  g_autofree char *payload = g_malloc0 (200);
  const guint8 *data;
  gsize len;

  assert_bytes (connack, (const guint8[]) { 0x20, 0x02, 0x00, 0x05 }, 4);
  assert_bytes (ping, (const guint8[]) { 0xd0, 0x00 }, 2);
  assert_bytes (puback, (const guint8[]) { 0x40, 0x02, 0x12, 0x34 }, 4);
  assert_bytes (publish, (const guint8[]) { 0x32, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0a,
                                            'h', 'i' }, 11);

  /* 5 + 200 bytes of body: the remaining length takes two bytes (0xcd 0x01). */
  big = cb_mqtt_encode_publish ("a/b", payload, 200, 0, 0);
  data = g_bytes_get_data (big, &len);
  g_assert_cmpuint (len, ==, 1 + 2 + 205);
  g_assert_cmpuint (data[1], ==, 0xcd);
  g_assert_cmpuint (data[2], ==, 0x01);
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  CbMqttType types[] = { CB_MQTT_CONNECT, CB_MQTT_CONNACK, CB_MQTT_PUBLISH, CB_MQTT_PUBACK,
                         CB_MQTT_PUBREC, CB_MQTT_PUBREL, CB_MQTT_PUBCOMP, CB_MQTT_SUBSCRIBE,
                         CB_MQTT_SUBACK, CB_MQTT_UNSUBSCRIBE, CB_MQTT_UNSUBACK, CB_MQTT_PINGREQ,
                         CB_MQTT_PINGRESP, CB_MQTT_DISCONNECT };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(CbMqttPacket) in = cb_mqtt_packet_new (types[i]);
      g_autoptr(CbMqttPacket) out = NULL;
      g_autoptr(GBytes) wire = NULL;

      switch (types[i])
        {
        case CB_MQTT_CONNECT:
          in->client_id = g_strdup ("bench-000123");
          in->username = g_strdup ("demo-hub.azure-devices.net/bench-000123/?api-version=2025-08-01-preview");
          in->password = g_bytes_new ("", 0);
          in->keep_alive = 30;
          in->clean_session = TRUE;
          in->will_topic = g_strdup ("w/t");
          in->will_payload = g_bytes_new ("bye", 3);
          in->will_qos = 1;
          break;
        case CB_MQTT_CONNACK:
          in->session_present = TRUE;
          in->return_code = 5;
          break;
        case CB_MQTT_PUBLISH:
          in->topic = g_strdup ("$iothub/twin/PATCH/properties/reported/?$rid=7");
          in->payload = g_bytes_new ("{\"a\":1}", 7);
          in->qos = 1;
          in->packet_id = 77;
          in->retain = TRUE;
          break;
        case CB_MQTT_SUBSCRIBE:
        case CB_MQTT_UNSUBSCRIBE:
          in->packet_id = 3;
          in->filters = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (in->filters, g_strdup ("$iothub/twin/res/#"));
          g_ptr_array_add (in->filters, g_strdup ("a/+/c"));
          if (types[i] == CB_MQTT_SUBSCRIBE)
            {
              in->codes = g_byte_array_new ();
              g_byte_array_append (in->codes, (const guint8[]) { 1, 0 }, 2);
            }
          break;
        case CB_MQTT_SUBACK:
          in->packet_id = 3;
          in->codes = g_byte_array_new ();
          g_byte_array_append (in->codes, (const guint8[]) { 1, 0x80 }, 2);
          break;
        default:
          in->packet_id = 0x0102;
          break;
        }

      wire = cb_mqtt_packet_encode (in, &error);
      g_assert_no_error (error);
      out = decode_one (wire, &error);
      g_assert_no_error (error);
      g_assert_nonnull (out);
      g_assert_cmpint (out->type, ==, types[i]);

      switch (types[i])
        {
        case CB_MQTT_CONNECT:
          g_assert_cmpstr (out->protocol_name, ==, "MQTT");
          g_assert_cmpuint (out->protocol_level, ==, 4);
          g_assert_cmpstr (out->client_id, ==, in->client_id);
          g_assert_cmpstr (out->username, ==, in->username);
          g_assert_nonnull (out->password);
          g_assert_cmpuint (g_bytes_get_size (out->password), ==, 0);
          g_assert_cmpuint (out->keep_alive, ==, 30);
          g_assert_true (out->clean_session);
          g_assert_cmpstr (out->will_topic, ==, "w/t");
          g_assert_cmpuint (out->will_qos, ==, 1);
          g_assert_true (g_bytes_equal (out->will_payload, in->will_payload));
          break;
        case CB_MQTT_CONNACK:
          g_assert_true (out->session_present);
          g_assert_cmpuint (out->return_code, ==, 5);
          break;
        case CB_MQTT_PUBLISH:
          g_assert_cmpstr (out->topic, ==, in->topic);
          g_assert_true (g_bytes_equal (out->payload, in->payload));
          g_assert_cmpuint (out->qos, ==, 1);
          g_assert_cmpuint (out->packet_id, ==, 77);
          g_assert_true (out->retain);
          break;
        case CB_MQTT_SUBSCRIBE:
        case CB_MQTT_UNSUBSCRIBE:
          g_assert_cmpuint (out->packet_id, ==, 3);
          g_assert_cmpuint (out->filters->len, ==, 2);
          g_assert_cmpstr (g_ptr_array_index (out->filters, 1), ==, "a/+/c");
          if (types[i] == CB_MQTT_SUBSCRIBE)
            g_assert_cmpmem (out->codes->data, out->codes->len, in->codes->data, 2);
          break;
        case CB_MQTT_SUBACK:
          g_assert_cmpmem (out->codes->data, out->codes->len, in->codes->data, 2);
          break;
        case CB_MQTT_PINGREQ:
        case CB_MQTT_PINGRESP:
        case CB_MQTT_DISCONNECT:
          break;
        default:
          g_assert_cmpuint (out->packet_id, ==, 0x0102);
          break;
        }
    }
}

/* Three packets fed one byte at a time come out whole, in order, and only when complete. */
static void
test_incremental (void)
{
  g_autoptr(CbMqttDecoder) decoder = cb_mqtt_decoder_new (0);
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  g_autoptr(GBytes) a = cb_mqtt_encode_publish ("t/1", "one", 3, 0, 0);
  g_autoptr(GBytes) b = cb_mqtt_encode_empty (CB_MQTT_PINGREQ);
  g_autoptr(GBytes) c = cb_mqtt_encode_publish ("t/2", NULL, 0, 1, 9);
  g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_mqtt_packet_free);

  g_byte_array_append (stream, g_bytes_get_data (a, NULL), g_bytes_get_size (a));
  g_byte_array_append (stream, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_byte_array_append (stream, g_bytes_get_data (c, NULL), g_bytes_get_size (c));

  for (guint i = 0; i < stream->len; i++)
    {
      CbMqttPacket *p;
      GError *error = NULL;

      cb_mqtt_decoder_feed (decoder, stream->data + i, 1);
      while ((p = cb_mqtt_decoder_next (decoder, &error)) != NULL)
        g_ptr_array_add (got, p);
      g_assert_no_error (error);
    }

  g_assert_cmpuint (got->len, ==, 3);
  g_assert_cmpstr (((CbMqttPacket *) got->pdata[0])->topic, ==, "t/1");
  g_assert_cmpint (((CbMqttPacket *) got->pdata[1])->type, ==, CB_MQTT_PINGREQ);
  g_assert_cmpuint (((CbMqttPacket *) got->pdata[2])->packet_id, ==, 9);
  g_assert_cmpuint (g_bytes_get_size (((CbMqttPacket *) got->pdata[2])->payload), ==, 0);
  g_assert_cmpuint (cb_mqtt_decoder_pending (decoder), ==, 0);
}

static void
assert_malformed (const guint8 *data,
                  gsize         len,
                  const char   *what)
{
  g_autoptr(GBytes) bytes = bytes_of (data, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbMqttPacket) p = decode_one (bytes, &error);

  g_test_message ("%s: %s", what, error ? error->message : "(no error)");
  g_assert_null (p);
  g_assert_error (error, CB_MQTT_ERROR, CB_MQTT_ERROR_MALFORMED);
}

static void
test_malformed (void)
{
  /* reserved types 0 and 15 */
  assert_malformed ((const guint8[]) { 0x00, 0x00 }, 2, "type 0");
  assert_malformed ((const guint8[]) { 0xf0, 0x00 }, 2, "type 15");
  /* a five-byte remaining length */
  assert_malformed ((const guint8[]) { 0x30, 0xff, 0xff, 0xff, 0xff, 0x01 }, 6, "length");
  /* SUBSCRIBE with flags 0 instead of 2 */
  assert_malformed ((const guint8[]) { 0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00 }, 8,
                    "subscribe flags");
  /* SUBSCRIBE without any filter */
  assert_malformed ((const guint8[]) { 0x82, 0x02, 0x00, 0x01 }, 4, "subscribe empty");
  /* SUBSCRIBE asking QoS 3 */
  assert_malformed ((const guint8[]) { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x03 }, 8,
                    "subscribe qos");
  /* SUBSCRIBE with a bad filter "a#" */
  assert_malformed ((const guint8[]) { 0x82, 0x07, 0x00, 0x01, 0x00, 0x02, 'a', '#', 0x00 }, 9,
                    "subscribe filter");
  /* PUBLISH QoS 3 */
  assert_malformed ((const guint8[]) { 0x36, 0x03, 0x00, 0x01, 'a' }, 5, "publish qos 3");
  /* PUBLISH with a wildcard in the topic name */
  assert_malformed ((const guint8[]) { 0x30, 0x03, 0x00, 0x01, '+' }, 5, "publish wildcard");
  /* PUBLISH whose topic length runs past the packet */
  assert_malformed ((const guint8[]) { 0x30, 0x03, 0x00, 0x09, 'a' }, 5, "publish topic length");
  /* PUBLISH with invalid UTF-8 */
  assert_malformed ((const guint8[]) { 0x30, 0x04, 0x00, 0x02, 0xc3, 0x28 }, 6, "utf-8");
  /* PUBLISH with NUL in the topic */
  assert_malformed ((const guint8[]) { 0x30, 0x04, 0x00, 0x02, 'a', 0x00 }, 6, "nul");
  /* PUBLISH QoS 1 with packet id 0 */
  assert_malformed ((const guint8[]) { 0x32, 0x05, 0x00, 0x01, 'a', 0x00, 0x00 }, 7, "packet id 0");
  /* PINGREQ with a body */
  assert_malformed ((const guint8[]) { 0xc0, 0x01, 0x00 }, 3, "pingreq body");
  /* PUBACK of 3 bytes */
  assert_malformed ((const guint8[]) { 0x40, 0x03, 0x00, 0x01, 0x00 }, 5, "puback length");
  /* CONNECT naming another protocol */
  assert_malformed ((const guint8[]) { 0x10, 0x0c, 0x00, 0x04, 'H', 'T', 'T', 'P', 0x04, 0x02,
                                       0x00, 0x3c, 0x00, 0x00 }, 14, "protocol name");
  /* CONNECT with the reserved flag */
  assert_malformed ((const guint8[]) { 0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x03,
                                       0x00, 0x3c, 0x00, 0x00 }, 14, "reserved flag");
  /* CONNECT with a password flag but no user name flag */
  assert_malformed ((const guint8[]) { 0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x42,
                                       0x00, 0x3c, 0x00, 0x00 }, 14, "password without user");
  /* CONNECT truncated inside the client id (remaining length says so) */
  assert_malformed ((const guint8[]) { 0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                       0x00, 0x3c, 0x00, 0x05 }, 14, "client id length");
}

static void
test_truncated_waits (void)
{
  g_autoptr(CbMqttDecoder) decoder = cb_mqtt_decoder_new (0);
  g_autoptr(GError) error = NULL;
  const guint8 partial[] = { 0x30, 0x0a, 0x00, 0x03, 'a' };

  /* Incomplete is not an error: the decoder waits for more. */
  cb_mqtt_decoder_feed (decoder, partial, sizeof partial);
  g_assert_null (cb_mqtt_decoder_next (decoder, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cb_mqtt_decoder_pending (decoder), ==, sizeof partial);

  /* Half a remaining length too. */
  {
    g_autoptr(CbMqttDecoder) d2 = cb_mqtt_decoder_new (0);

    cb_mqtt_decoder_feed (d2, (const guint8[]) { 0x30, 0x80 }, 2);
    g_assert_null (cb_mqtt_decoder_next (d2, &error));
    g_assert_no_error (error);
  }
}

static void
test_oversize (void)
{
  g_autoptr(CbMqttDecoder) decoder = cb_mqtt_decoder_new (1024);
  g_autoptr(CbMqttDecoder) ok = cb_mqtt_decoder_new (1024);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) fits = NULL;
  g_autoptr(CbMqttPacket) p = NULL;
  g_autofree char *payload = g_malloc0 (1000);

  /* The header alone (remaining length 2 MiB) is enough to refuse: no waiting for the body. */
  cb_mqtt_decoder_feed (decoder, (const guint8[]) { 0x30, 0x80, 0x80, 0x80, 0x01 }, 5);
  g_assert_null (cb_mqtt_decoder_next (decoder, &error));
  g_assert_error (error, CB_MQTT_ERROR, CB_MQTT_ERROR_OVERSIZE);
  g_clear_error (&error);

  /* The decoder is spent afterwards. */
  cb_mqtt_decoder_feed (decoder, (const guint8[]) { 0xc0, 0x00 }, 2);
  g_assert_null (cb_mqtt_decoder_next (decoder, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  fits = cb_mqtt_encode_publish ("t", payload, 1000, 0, 0);
  cb_mqtt_decoder_feed (ok, g_bytes_get_data (fits, NULL), g_bytes_get_size (fits));
  p = cb_mqtt_decoder_next (ok, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  g_assert_cmpuint (g_bytes_get_size (p->payload), ==, 1000);
}

/* Random bytes never crash the decoder; it either waits, errors, or yields packets. */
static void
test_random (void)
{
  GRand *rand = g_rand_new_with_seed (5);

  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr(CbMqttDecoder) decoder = cb_mqtt_decoder_new (4096);
      guint8 buf[64];
      guint len = g_rand_int_range (rand, 1, sizeof buf);

      for (guint i = 0; i < len; i++)
        buf[i] = g_rand_int_range (rand, 0, 256);
      cb_mqtt_decoder_feed (decoder, buf, len);
      for (;;)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(CbMqttPacket) p = cb_mqtt_decoder_next (decoder, &error);

          if (p == NULL)
            break;
        }
    }
  g_rand_free (rand);
}

static void
test_topics (void)
{
  const struct { const char *filter, *topic; gboolean match; } cases[] = {
    { "$iothub/twin/res/#", "$iothub/twin/res/200/?$rid=1", TRUE },
    { "$iothub/twin/res/#", "$iothub/twin/res", TRUE },
    { "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/?$version=2", FALSE },
    { "$iothub/credentials/res/#", "$iothub/credentials/res/202/?$rid=ab12", TRUE },
    { "$iothub/twin/res/+/?$rid=1", "$iothub/twin/res/204/?$rid=1", TRUE },
    { "$iothub/twin/res/200/?$rid=2", "$iothub/twin/res/200/?$rid=2", TRUE },
    { "$iothub/twin/res/200/?$rid=2", "$iothub/twin/res/200/?$rid=22", FALSE },
    { "#", "$iothub/twin/res/200", FALSE },
    { "+/twin/res/#", "$iothub/twin/res/200", FALSE },
    { "#", "a/b/c", TRUE },
    { "a/+/c", "a/b/c", TRUE },
    { "a/+/c", "a/b/d", FALSE },
    { "a/+", "a/b/c", FALSE },
    { "a/+", "a/", TRUE },
    { "+", "/finance", FALSE },
    { "+/+", "/finance", TRUE },
    { "/+", "/finance", TRUE },
    { "a/b", "a/b/c", FALSE },
    { "a/b/c", "a/b", FALSE },
    { "sport/tennis/#", "sport/tennis", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s ~ %s", cases[i].filter, cases[i].topic);
      g_assert_true (cb_mqtt_filter_is_valid (cases[i].filter));
      g_assert_cmpint (cb_mqtt_topic_matches (cases[i].filter, cases[i].topic), ==, cases[i].match);
    }

  g_assert_false (cb_mqtt_filter_is_valid ("a/#/b"));
  g_assert_false (cb_mqtt_filter_is_valid ("a+"));
  g_assert_false (cb_mqtt_filter_is_valid ("a/b#"));
  g_assert_false (cb_mqtt_filter_is_valid (""));
  g_assert_true (cb_mqtt_filter_is_valid ("+/+/#"));
  g_assert_false (cb_mqtt_topic_is_valid ("a/+"));
  g_assert_false (cb_mqtt_topic_is_valid (""));
  g_assert_true (cb_mqtt_topic_is_valid ("$iothub/twin/GET/?$rid=1"));
}

/* Found by fuzz/fuzz-mqtt-packet.c: asking an unfed decoder for a packet did arithmetic on
 * its NULL buffer (undefined behaviour; fails under -Db_sanitize=undefined with
 * UBSAN_OPTIONS=halt_on_error=1). It needs more bytes, no error. */
static void
test_unfed_decoder (void)
{
  g_autoptr(CbMqttDecoder) decoder = cb_mqtt_decoder_new (CB_MQTT_DEFAULT_MAX_REMAINING);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbMqttPacket) packet = cb_mqtt_decoder_next (decoder, &error);

  g_assert_null (packet);
  g_assert_no_error (error);
  cb_mqtt_decoder_feed (decoder, "", 0);
  g_assert_null (cb_mqtt_decoder_next (decoder, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cb_mqtt_decoder_pending (decoder), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/mqtt-packet/encode-exact", test_encode_exact);
  g_test_add_func ("/cb/mqtt-packet/round-trip", test_round_trip);
  g_test_add_func ("/cb/mqtt-packet/incremental", test_incremental);
  g_test_add_func ("/cb/mqtt-packet/malformed", test_malformed);
  g_test_add_func ("/cb/mqtt-packet/truncated-waits", test_truncated_waits);
  g_test_add_func ("/cb/mqtt-packet/unfed-decoder", test_unfed_decoder);
  g_test_add_func ("/cb/mqtt-packet/oversize", test_oversize);
  g_test_add_func ("/cb/mqtt-packet/random", test_random);
  g_test_add_func ("/cb/mqtt-packet/topics", test_topics);

  return g_test_run ();
}
