/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A bounded MQTT 3.1.1 codec: an incremental decoder that turns bytes into packets or a precise
 * error, an encoder for every packet the sandbox's hub endpoint speaks, and topic filter
 * matching. No I/O: the sandbox's broker (cb-sb-mqtt-transport.c), core's client
 * (cb-mqtt-client.c) and the tests feed it. */

typedef enum
{
  CB_MQTT_CONNECT     = 1,
  CB_MQTT_CONNACK     = 2,
  CB_MQTT_PUBLISH     = 3,
  CB_MQTT_PUBACK      = 4,
  CB_MQTT_PUBREC      = 5,
  CB_MQTT_PUBREL      = 6,
  CB_MQTT_PUBCOMP     = 7,
  CB_MQTT_SUBSCRIBE   = 8,
  CB_MQTT_SUBACK      = 9,
  CB_MQTT_UNSUBSCRIBE = 10,
  CB_MQTT_UNSUBACK    = 11,
  CB_MQTT_PINGREQ     = 12,
  CB_MQTT_PINGRESP    = 13,
  CB_MQTT_DISCONNECT  = 14,
} CbMqttType;

/* CONNACK return codes (MQTT 3.1.1 §3.2.2.3) */
typedef enum
{
  CB_MQTT_CONNACK_ACCEPTED           = 0,
  CB_MQTT_CONNACK_BAD_PROTOCOL       = 1,
  CB_MQTT_CONNACK_IDENTIFIER_REJECTED = 2,
  CB_MQTT_CONNACK_SERVER_UNAVAILABLE = 3,
  CB_MQTT_CONNACK_BAD_CREDENTIALS    = 4,
  CB_MQTT_CONNACK_NOT_AUTHORIZED     = 5,
} CbMqttConnackCode;

#define CB_MQTT_SUBACK_FAILURE 0x80

/* The default cap on a packet's remaining length. */
#define CB_MQTT_DEFAULT_MAX_REMAINING (64 * 1024)

typedef enum
{
  CB_MQTT_ERROR_MALFORMED,   /* not MQTT 3.1.1: bad header, flags, lengths, strings */
  CB_MQTT_ERROR_OVERSIZE,    /* remaining length above the decoder's cap */
} CbMqttError;

#define CB_MQTT_ERROR (cb_mqtt_error_quark ())
GQuark       cb_mqtt_error_quark       (void);

/* One packet. Which members are used depends on type; the rest stay zero/NULL. */
typedef struct
{
  CbMqttType  type;
  guint8      flags;             /* low nibble of the fixed header as received */

  /* CONNECT */
  char       *protocol_name;     /* "MQTT" (level 4) or "MQIsdp" (level 3) */
  guint8      protocol_level;
  gboolean    clean_session;
  guint16     keep_alive;        /* seconds, 0: none */
  char       *client_id;
  char       *username;          /* NULL: not sent */
  GBytes     *password;          /* NULL: not sent */
  char       *will_topic;
  GBytes     *will_payload;
  guint8      will_qos;
  gboolean    will_retain;

  /* CONNACK */
  gboolean    session_present;
  guint8      return_code;

  /* PUBLISH (topic, payload, qos, retain, dup), PUBACK..., SUBSCRIBE, SUBACK, UNSUBSCRIBE,
   * UNSUBACK (packet_id) */
  char       *topic;
  GBytes     *payload;
  guint8      qos;
  gboolean    retain;
  gboolean    dup;
  guint16     packet_id;

  /* SUBSCRIBE, UNSUBSCRIBE: topic filters (char *); SUBSCRIBE: requested QoS per filter.
   * SUBACK: codes has the return codes. */
  GPtrArray  *filters;
  GByteArray *codes;
} CbMqttPacket;

CbMqttPacket *cb_mqtt_packet_new       (CbMqttType          type);
void          cb_mqtt_packet_free      (CbMqttPacket       *packet);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbMqttPacket, cb_mqtt_packet_free)

/* Serializes a packet (fixed header included). Returns NULL with CB_MQTT_ERROR_MALFORMED for a
 * packet that cannot be written (missing topic, string over 65535 bytes, ...). */
GBytes       *cb_mqtt_packet_encode    (const CbMqttPacket *packet,
                                        GError            **error);

/* Shorthands for what a broker sends most. */
GBytes       *cb_mqtt_encode_connack   (gboolean            session_present,
                                        guint8              return_code);
GBytes       *cb_mqtt_encode_publish   (const char         *topic,
                                        const void         *payload,
                                        gsize               len,
                                        guint8              qos,
                                        guint16             packet_id);
GBytes       *cb_mqtt_encode_ack       (CbMqttType          type,       /* PUBACK, UNSUBACK... */
                                        guint16             packet_id);
GBytes       *cb_mqtt_encode_empty     (CbMqttType          type);      /* PINGREQ, PINGRESP, DISCONNECT */

/* The incremental decoder. Feed it bytes as they arrive, then take packets until it returns
 * NULL without an error (it needs more bytes). After an error the decoder is spent: close the
 * connection. Memory is bounded by max_remaining plus one read. */
typedef struct _CbMqttDecoder CbMqttDecoder;

CbMqttDecoder *cb_mqtt_decoder_new     (gsize               max_remaining);
void           cb_mqtt_decoder_free    (CbMqttDecoder      *decoder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbMqttDecoder, cb_mqtt_decoder_free)

void           cb_mqtt_decoder_feed    (CbMqttDecoder      *decoder,
                                        const void         *data,
                                        gsize               len);
CbMqttPacket  *cb_mqtt_decoder_next    (CbMqttDecoder      *decoder,
                                        GError            **error);
/* Bytes held that are not yet a whole packet. */
gsize          cb_mqtt_decoder_pending (CbMqttDecoder      *decoder);

/* Topic names carry no wildcards; filters use + for one level and # (last) for the rest.
 * Both are 1..65535 bytes of UTF-8 without NUL. */
gboolean      cb_mqtt_topic_is_valid   (const char         *topic);
gboolean      cb_mqtt_filter_is_valid  (const char         *filter);
/* Whether topic matches filter; as the spec asks, a filter starting with a wildcard does not
 * match topics starting with $ ($iothub/...). */
gboolean      cb_mqtt_topic_matches    (const char         *filter,
                                        const char         *topic);

const char   *cb_mqtt_type_to_string   (CbMqttType          type);

G_END_DECLS
