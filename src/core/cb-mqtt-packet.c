/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-mqtt-packet"

#include "config.h"

#include <string.h>

#include "cb-mqtt-packet.h"

/* MQTT 3.1.1 (OASIS standard, 2014): fixed header = type and flags byte, remaining length as
 * 1..4 bytes of 7-bit groups; strings are a 2-byte big-endian length and UTF-8 without NUL. */

G_DEFINE_QUARK (cb-mqtt-error-quark, cb_mqtt_error)

#define MAX_STRING 65535

CbMqttPacket *
cb_mqtt_packet_new (CbMqttType type)
{
  CbMqttPacket *packet = g_new0 (CbMqttPacket, 1);

  packet->type = type;
  return packet;
}

void
cb_mqtt_packet_free (CbMqttPacket *packet)
{
  if (packet == NULL)
    return;

  g_free (packet->protocol_name);
  g_free (packet->client_id);
  g_free (packet->username);
  g_clear_pointer (&packet->password, g_bytes_unref);
  g_free (packet->will_topic);
  g_clear_pointer (&packet->will_payload, g_bytes_unref);
  g_free (packet->topic);
  g_clear_pointer (&packet->payload, g_bytes_unref);
  g_clear_pointer (&packet->filters, g_ptr_array_unref);
  g_clear_pointer (&packet->codes, g_byte_array_unref);
  g_free (packet);
}

const char *
cb_mqtt_type_to_string (CbMqttType type)
{
  static const char * const names[] = {
    NULL, "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
  };

  if (type < 1 || type > CB_MQTT_DISCONNECT)
    return "reserved";
  return names[type];
}

/* ---- Topics ---------------------------------------------------------------------------- */

static gboolean
string_is_valid (const char *text)
{
  gsize len;

  if (text == NULL)
    return FALSE;
  len = strlen (text);
  return len > 0 && len <= MAX_STRING && g_utf8_validate (text, len, NULL);
}

gboolean
cb_mqtt_topic_is_valid (const char *topic)
{
  return string_is_valid (topic) && strpbrk (topic, "+#") == NULL;
}

gboolean
cb_mqtt_filter_is_valid (const char *filter)
{
  const char *p;

  if (!string_is_valid (filter))
    return FALSE;

  for (p = filter; *p != '\0'; p++)
    {
      gboolean starts_level = p == filter || p[-1] == '/';
      gboolean ends_level = p[1] == '\0' || p[1] == '/';

      if (*p == '+' && !(starts_level && ends_level))
        return FALSE;
      if (*p == '#' && !(starts_level && p[1] == '\0'))
        return FALSE;
    }

  return TRUE;
}

gboolean
cb_mqtt_topic_matches (const char *filter,
                       const char *topic)
{
  const char *f = filter;
  const char *t = topic;

  g_return_val_if_fail (filter != NULL, FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);

  if (topic[0] == '$' && (filter[0] == '+' || filter[0] == '#'))
    return FALSE;

  for (;;)
    {
      if (*f == '#')
        return TRUE;                       /* the rest, including the parent level itself */

      if (*f == '+')
        {
          while (*t != '\0' && *t != '/')
            t++;
          f++;
        }
      else
        {
          while (*f != '\0' && *f != '/' && *f == *t)
            f++, t++;
          if ((*f != '\0' && *f != '/') || (*t != '\0' && *t != '/'))
            return FALSE;
        }

      /* Both at a level boundary now. */
      if (*f == '\0' && *t == '\0')
        return TRUE;
      if (*f == '\0')
        return FALSE;
      if (*t == '\0')
        /* "a/#" matches "a" */
        return f[0] == '/' && f[1] == '#' && f[2] == '\0';
      f++, t++;
    }
}

/* ---- Encoding -------------------------------------------------------------------------- */

static void
put_u16 (GByteArray *out,
         guint16     value)
{
  guint8 b[2] = { value >> 8, value & 0xff };

  g_byte_array_append (out, b, 2);
}

static gboolean
put_string (GByteArray  *out,
            const char  *text,
            gsize        len,
            GError     **error)
{
  if (len > MAX_STRING)
    {
      g_set_error (error, CB_MQTT_ERROR, CB_MQTT_ERROR_MALFORMED,
                   "A string of %" G_GSIZE_FORMAT " bytes does not fit MQTT's 65535", len);
      return FALSE;
    }
  put_u16 (out, (guint16) len);
  g_byte_array_append (out, (const guint8 *) text, len);
  return TRUE;
}

static gboolean
put_text (GByteArray  *out,
          const char  *text,
          GError     **error)
{
  return put_string (out, text ? text : "", text ? strlen (text) : 0, error);
}

static gboolean
put_bytes (GByteArray  *out,
           GBytes      *bytes,
           GError     **error)
{
  gsize len = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  return put_string (out, data, len, error);
}

static GBytes *
finish_packet (guint8      first,
               GByteArray *body)
{
  GByteArray *out = g_byte_array_sized_new (body->len + 5);
  guint32 len = body->len;

  g_byte_array_append (out, &first, 1);
  do
    {
      guint8 digit = len % 128;

      len /= 128;
      if (len > 0)
        digit |= 0x80;
      g_byte_array_append (out, &digit, 1);
    }
  while (len > 0);
  g_byte_array_append (out, body->data, body->len);

  return g_byte_array_free_to_bytes (out);
}

GBytes *
cb_mqtt_packet_encode (const CbMqttPacket  *p,
                       GError             **error)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  guint8 first;

  g_return_val_if_fail (p != NULL, NULL);

  first = (guint8) (p->type << 4);

  switch (p->type)
    {
    case CB_MQTT_CONNECT:
      {
        guint8 flags = 0;

        if (p->clean_session)
          flags |= 0x02;
        if (p->will_topic != NULL)
          flags |= 0x04 | ((p->will_qos & 3) << 3) | (p->will_retain ? 0x20 : 0);
        if (p->password != NULL)
          flags |= 0x40;
        if (p->username != NULL)
          flags |= 0x80;

        if (!put_text (body, p->protocol_name ? p->protocol_name : "MQTT", error))
          return NULL;
        g_byte_array_append (body, (guint8[]) { p->protocol_level ? p->protocol_level : 4 }, 1);
        g_byte_array_append (body, &flags, 1);
        put_u16 (body, p->keep_alive);
        if (!put_text (body, p->client_id, error))
          return NULL;
        if (p->will_topic != NULL &&
            (!put_text (body, p->will_topic, error) || !put_bytes (body, p->will_payload, error)))
          return NULL;
        if (p->username != NULL && !put_text (body, p->username, error))
          return NULL;
        if (p->password != NULL && !put_bytes (body, p->password, error))
          return NULL;
      }
      break;

    case CB_MQTT_CONNACK:
      g_byte_array_append (body, (guint8[]) { p->session_present ? 1 : 0, p->return_code }, 2);
      break;

    case CB_MQTT_PUBLISH:
      {
        gsize len = 0;
        const guint8 *data = p->payload ? g_bytes_get_data (p->payload, &len) : NULL;

        if (!cb_mqtt_topic_is_valid (p->topic) || p->qos > 2)
          {
            g_set_error (error, CB_MQTT_ERROR, CB_MQTT_ERROR_MALFORMED,
                         "A PUBLISH needs a topic name without wildcards and QoS 0..2");
            return NULL;
          }
        first |= (p->dup ? 0x08 : 0) | (p->qos << 1) | (p->retain ? 1 : 0);
        put_text (body, p->topic, NULL);
        if (p->qos > 0)
          put_u16 (body, p->packet_id);
        if (len > 0)
          g_byte_array_append (body, data, len);
      }
      break;

    case CB_MQTT_PUBREL:
      first |= 0x02;
      G_GNUC_FALLTHROUGH;
    case CB_MQTT_PUBACK:
    case CB_MQTT_PUBREC:
    case CB_MQTT_PUBCOMP:
    case CB_MQTT_UNSUBACK:
      put_u16 (body, p->packet_id);
      break;

    case CB_MQTT_SUBSCRIBE:
    case CB_MQTT_UNSUBSCRIBE:
      first |= 0x02;
      if (p->filters == NULL || p->filters->len == 0 ||
          (p->type == CB_MQTT_SUBSCRIBE && (p->codes == NULL || p->codes->len < p->filters->len)))
        {
          g_set_error (error, CB_MQTT_ERROR, CB_MQTT_ERROR_MALFORMED,
                       "%s needs at least one topic filter%s", cb_mqtt_type_to_string (p->type),
                       p->type == CB_MQTT_SUBSCRIBE ? " and a QoS for each" : "");
          return NULL;
        }
      put_u16 (body, p->packet_id);
      for (guint i = 0; i < p->filters->len; i++)
        {
          if (!put_text (body, g_ptr_array_index (p->filters, i), error))
            return NULL;
          if (p->type == CB_MQTT_SUBSCRIBE)
            g_byte_array_append (body, &p->codes->data[i], 1);
        }
      break;

    case CB_MQTT_SUBACK:
      put_u16 (body, p->packet_id);
      if (p->codes != NULL)
        g_byte_array_append (body, p->codes->data, p->codes->len);
      break;

    case CB_MQTT_PINGREQ:
    case CB_MQTT_PINGRESP:
    case CB_MQTT_DISCONNECT:
      break;

    default:
      g_set_error (error, CB_MQTT_ERROR, CB_MQTT_ERROR_MALFORMED,
                   "Packet type %d is not MQTT 3.1.1", p->type);
      return NULL;
    }

  if (body->len > 268435455)
    {
      g_set_error (error, CB_MQTT_ERROR, CB_MQTT_ERROR_MALFORMED, "The packet is too large");
      return NULL;
    }

  return finish_packet (first, body);
}

GBytes *
cb_mqtt_encode_connack (gboolean session_present,
                        guint8   return_code)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  g_byte_array_append (body, (guint8[]) { session_present ? 1 : 0, return_code }, 2);
  return finish_packet (CB_MQTT_CONNACK << 4, body);
}

GBytes *
cb_mqtt_encode_publish (const char *topic,
                        const void *payload,
                        gsize       len,
                        guint8      qos,
                        guint16     packet_id)
{
  g_autoptr(GByteArray) body = g_byte_array_sized_new (strlen (topic) + len + 4);

  g_return_val_if_fail (cb_mqtt_topic_is_valid (topic), NULL);
  g_return_val_if_fail (qos <= 2, NULL);

  put_text (body, topic, NULL);
  if (qos > 0)
    put_u16 (body, packet_id);
  if (len > 0)
    g_byte_array_append (body, payload, len);

  return finish_packet ((CB_MQTT_PUBLISH << 4) | (qos << 1), body);
}

GBytes *
cb_mqtt_encode_ack (CbMqttType type,
                    guint16    packet_id)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  put_u16 (body, packet_id);
  return finish_packet ((type << 4) | (type == CB_MQTT_PUBREL ? 0x02 : 0), body);
}

GBytes *
cb_mqtt_encode_empty (CbMqttType type)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  return finish_packet (type << 4, body);
}

/* ---- Decoding -------------------------------------------------------------------------- */

struct _CbMqttDecoder
{
  GByteArray *buffer;
  gsize       start;          /* first byte not consumed yet */
  gsize       max_remaining;
  gsize       peak;           /* the buffer's largest length since it was last new */
  gboolean    failed;
};

CbMqttDecoder *
cb_mqtt_decoder_new (gsize max_remaining)
{
  CbMqttDecoder *decoder = g_new0 (CbMqttDecoder, 1);

  decoder->buffer = g_byte_array_new ();
  decoder->max_remaining = max_remaining > 0 ? MIN (max_remaining, 268435455)
                                             : CB_MQTT_DEFAULT_MAX_REMAINING;
  return decoder;
}

void
cb_mqtt_decoder_free (CbMqttDecoder *decoder)
{
  if (decoder == NULL)
    return;
  g_byte_array_unref (decoder->buffer);
  g_free (decoder);
}

void
cb_mqtt_decoder_feed (CbMqttDecoder *decoder,
                      const void    *data,
                      gsize          len)
{
  g_return_if_fail (decoder != NULL);

  if (decoder->failed || len == 0)
    return;

  /* Compact before growing, so the buffer stays near one packet plus one read. */
  if (decoder->start > 0)
    {
      g_byte_array_remove_range (decoder->buffer, 0, decoder->start);
      decoder->start = 0;
    }
  g_byte_array_append (decoder->buffer, data, len);
  decoder->peak = MAX (decoder->peak, decoder->buffer->len);
}

gsize
cb_mqtt_decoder_pending (CbMqttDecoder *decoder)
{
  g_return_val_if_fail (decoder != NULL, 0);
  return decoder->buffer->len - decoder->start;
}

typedef struct
{
  const guint8 *p;
  gsize         left;
} Reader;

static gboolean
malformed (GError     **error,
           const char  *format,
           ...) G_GNUC_PRINTF (2, 3);

static gboolean
malformed (GError     **error,
           const char  *format,
           ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (CB_MQTT_ERROR, CB_MQTT_ERROR_MALFORMED, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
read_u8 (Reader *r,
         guint8 *out)
{
  if (r->left < 1)
    return FALSE;
  *out = r->p[0];
  r->p++, r->left--;
  return TRUE;
}

static gboolean
read_u16 (Reader  *r,
          guint16 *out)
{
  if (r->left < 2)
    return FALSE;
  *out = (guint16) ((r->p[0] << 8) | r->p[1]);
  r->p += 2, r->left -= 2;
  return TRUE;
}

static gboolean
read_binary (Reader  *r,
             GBytes **out)
{
  guint16 len;

  if (!read_u16 (r, &len) || r->left < len)
    return FALSE;
  *out = g_bytes_new (r->p, len);
  r->p += len, r->left -= len;
  return TRUE;
}

/* A UTF-8 string field; empty strings are allowed here (client ids may be empty). */
static gboolean
read_string (Reader      *r,
             char       **out,
             const char  *what,
             GError     **error)
{
  guint16 len;

  if (!read_u16 (r, &len) || r->left < len)
    return malformed (error, "The %s runs past the end of the packet", what);
  if (memchr (r->p, 0, len) != NULL || !g_utf8_validate ((const char *) r->p, len, NULL))
    return malformed (error, "The %s is not UTF-8 without NUL characters", what);
  *out = g_strndup ((const char *) r->p, len);
  r->p += len, r->left -= len;
  return TRUE;
}

static gboolean
parse_connect (CbMqttPacket  *pk,
               Reader        *r,
               GError       **error)
{
  guint8 flags;

  if (!read_string (r, &pk->protocol_name, "protocol name", error))
    return FALSE;
  if (!read_u8 (r, &pk->protocol_level) || !read_u8 (r, &flags) ||
      !read_u16 (r, &pk->keep_alive))
    return malformed (error, "CONNECT ends inside its variable header");
  if (!g_str_equal (pk->protocol_name, "MQTT") && !g_str_equal (pk->protocol_name, "MQIsdp"))
    return malformed (error, "CONNECT names protocol “%s”, not MQTT", pk->protocol_name);
  if (flags & 0x01)
    return malformed (error, "CONNECT's reserved flag is set");

  pk->clean_session = (flags & 0x02) != 0;
  pk->will_qos = (flags >> 3) & 3;
  pk->will_retain = (flags & 0x20) != 0;
  if (pk->will_qos == 3 || (!(flags & 0x04) && (pk->will_qos != 0 || pk->will_retain)))
    return malformed (error, "CONNECT's will flags are inconsistent");
  if ((flags & 0x40) && !(flags & 0x80))
    return malformed (error, "CONNECT has a password without a user name");

  if (!read_string (r, &pk->client_id, "client identifier", error))
    return FALSE;
  if (flags & 0x04)
    {
      if (!read_string (r, &pk->will_topic, "will topic", error))
        return FALSE;
      if (!read_binary (r, &pk->will_payload))
        return malformed (error, "CONNECT's will message runs past the end of the packet");
    }
  if ((flags & 0x80) && !read_string (r, &pk->username, "user name", error))
    return FALSE;
  if ((flags & 0x40) && !read_binary (r, &pk->password))
    return malformed (error, "CONNECT's password runs past the end of the packet");

  return TRUE;
}

static gboolean
parse_body (CbMqttPacket  *pk,
            Reader        *r,
            GError       **error)
{
  guint8 expected_flags = (pk->type == CB_MQTT_PUBREL || pk->type == CB_MQTT_SUBSCRIBE ||
                           pk->type == CB_MQTT_UNSUBSCRIBE) ? 0x02 : 0x00;

  if (pk->type != CB_MQTT_PUBLISH && pk->flags != expected_flags)
    return malformed (error, "%s has fixed-header flags 0x%x (must be 0x%x)",
                      cb_mqtt_type_to_string (pk->type), pk->flags, expected_flags);

  switch (pk->type)
    {
    case CB_MQTT_CONNECT:
      if (!parse_connect (pk, r, error))
        return FALSE;
      break;

    case CB_MQTT_CONNACK:
      if (r->left != 2)
        return malformed (error, "CONNACK must have 2 bytes");
      pk->session_present = (r->p[0] & 1) != 0;
      if (r->p[0] & 0xfe)
        return malformed (error, "CONNACK's reserved acknowledge flags are set");
      pk->return_code = r->p[1];
      r->left = 0;
      break;

    case CB_MQTT_PUBLISH:
      pk->dup = (pk->flags & 0x08) != 0;
      pk->qos = (pk->flags >> 1) & 3;
      pk->retain = (pk->flags & 0x01) != 0;
      if (pk->qos == 3)
        return malformed (error, "PUBLISH with QoS 3");
      if (!read_string (r, &pk->topic, "topic name", error))
        return FALSE;
      if (!cb_mqtt_topic_is_valid (pk->topic))
        return malformed (error, "PUBLISH topic “%s” is empty or has wildcards", pk->topic);
      if (pk->qos > 0)
        {
          if (!read_u16 (r, &pk->packet_id))
            return malformed (error, "PUBLISH ends before its packet identifier");
          if (pk->packet_id == 0)
            return malformed (error, "PUBLISH with packet identifier 0");
        }
      pk->payload = g_bytes_new (r->p, r->left);
      r->left = 0;
      break;

    case CB_MQTT_PUBACK:
    case CB_MQTT_PUBREC:
    case CB_MQTT_PUBREL:
    case CB_MQTT_PUBCOMP:
    case CB_MQTT_UNSUBACK:
      if (r->left != 2)
        return malformed (error, "%s must have 2 bytes", cb_mqtt_type_to_string (pk->type));
      read_u16 (r, &pk->packet_id);
      break;

    case CB_MQTT_SUBSCRIBE:
    case CB_MQTT_UNSUBSCRIBE:
      if (!read_u16 (r, &pk->packet_id) || pk->packet_id == 0)
        return malformed (error, "%s needs a non-zero packet identifier",
                          cb_mqtt_type_to_string (pk->type));
      pk->filters = g_ptr_array_new_with_free_func (g_free);
      if (pk->type == CB_MQTT_SUBSCRIBE)
        pk->codes = g_byte_array_new ();
      while (r->left > 0)
        {
          char *filter = NULL;

          if (!read_string (r, &filter, "topic filter", error))
            return FALSE;
          g_ptr_array_add (pk->filters, filter);
          if (!cb_mqtt_filter_is_valid (filter))
            return malformed (error, "“%s” is not a valid topic filter", filter);
          if (pk->type == CB_MQTT_SUBSCRIBE)
            {
              guint8 qos;

              if (!read_u8 (r, &qos))
                return malformed (error, "SUBSCRIBE ends before the QoS of “%s”", filter);
              if (qos > 2)
                return malformed (error, "SUBSCRIBE asks QoS byte 0x%x for “%s”", qos, filter);
              g_byte_array_append (pk->codes, &qos, 1);
            }
        }
      if (pk->filters->len == 0)
        return malformed (error, "%s without a topic filter", cb_mqtt_type_to_string (pk->type));
      break;

    case CB_MQTT_SUBACK:
      if (!read_u16 (r, &pk->packet_id) || r->left == 0)
        return malformed (error, "SUBACK needs a packet identifier and return codes");
      pk->codes = g_byte_array_new ();
      g_byte_array_append (pk->codes, r->p, r->left);
      r->left = 0;
      break;

    case CB_MQTT_PINGREQ:
    case CB_MQTT_PINGRESP:
    case CB_MQTT_DISCONNECT:
      break;

    default:
      return malformed (error, "Packet type %d is reserved", pk->type);
    }

  if (r->left != 0)
    return malformed (error, "%s has %" G_GSIZE_FORMAT " bytes left over",
                      cb_mqtt_type_to_string (pk->type), r->left);

  return TRUE;
}

CbMqttPacket *
cb_mqtt_decoder_next (CbMqttDecoder  *decoder,
                      GError        **error)
{
  g_autoptr(CbMqttPacket) packet = NULL;
  const guint8 *data;
  gsize avail;
  gsize remaining = 0;
  gsize header = 1;
  guint type;
  Reader r;

  g_return_val_if_fail (decoder != NULL, NULL);

  if (decoder->failed)
    {
      g_set_error (error, CB_MQTT_ERROR, CB_MQTT_ERROR_MALFORMED,
                   "The stream failed to decode before");
      return NULL;
    }

  /* Before anything was fed the buffer has no storage: no pointer arithmetic on NULL. */
  avail = decoder->buffer->len - decoder->start;
  if (avail < 2)
    return NULL;
  data = decoder->buffer->data + decoder->start;

  type = data[0] >> 4;
  if (type == 0 || type == 15)
    {
      decoder->failed = TRUE;
      malformed (error, "Packet type %u is reserved", type);
      return NULL;
    }

  for (guint shift = 0;; shift += 7)
    {
      guint8 digit;

      if (header > 4)
        {
          decoder->failed = TRUE;
          malformed (error, "The remaining length has more than 4 bytes");
          return NULL;
        }
      if (header >= avail)
        return NULL;                       /* the length itself is not complete */
      digit = data[header++];
      remaining |= (gsize) (digit & 0x7f) << shift;
      if (!(digit & 0x80))
        break;
    }

  if (remaining > decoder->max_remaining)
    {
      decoder->failed = TRUE;
      g_set_error (error, CB_MQTT_ERROR, CB_MQTT_ERROR_OVERSIZE,
                   "A %s of %" G_GSIZE_FORMAT " bytes is over the limit of %" G_GSIZE_FORMAT,
                   cb_mqtt_type_to_string (type), remaining, decoder->max_remaining);
      return NULL;
    }

  if (avail - header < remaining)
    return NULL;

  packet = cb_mqtt_packet_new (type);
  packet->flags = data[0] & 0x0f;
  r.p = data + header;
  r.left = remaining;
  if (!parse_body (packet, &r, error))
    {
      decoder->failed = TRUE;
      return NULL;
    }

  decoder->start += header + remaining;
  if (decoder->start == decoder->buffer->len)
    {
      /* An idle connection should not keep the memory of its largest packet. */
      if (decoder->peak > 16 * 1024)
        {
          g_byte_array_unref (decoder->buffer);
          decoder->buffer = g_byte_array_new ();
          decoder->peak = 0;
        }
      else
        g_byte_array_set_size (decoder->buffer, 0);
      decoder->start = 0;
    }

  return g_steal_pointer (&packet);
}
