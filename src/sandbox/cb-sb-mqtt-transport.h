/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the hub device endpoint's transport: the listening socket, TLS with client
 * certificates (GnuTLS, non-blocking, one epoll set and one GSource for every socket),
 * connections (reading packets, queueing output, closing), keep-alive and the timeouts. The endpoint (CbSbMqtt) and its connections (CbSbMqttConn) are shared by the
 * endpoint's files (cb-sb-mqtt*.c); what a packet means is theirs, handed over through
 * CbSbMqtt.handle_packet. */

#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include "cb-mqtt-packet.h"
#include "cb-sb-net.h"
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* The endpoint's module data key (cb_sb_get_module_data). */
#define CB_SB_MQTT_MODULE "mqtt"

typedef enum
{
  CB_SB_MQTT_CONN_HANDSHAKE,
  CB_SB_MQTT_CONN_WAIT_CONNECT,
  CB_SB_MQTT_CONN_ONLINE,
  CB_SB_MQTT_CONN_CLOSED,
} CbSbMqttConnState;

typedef struct _CbSbMqtt CbSbMqtt;

typedef struct
{
  gint                ref;
  CbSandbox          *sandbox;          /* owned: callbacks may outlive the module */
  CbSbMqtt           *mqtt;             /* NULL once the module is gone */

  int                 fd;               /* -1 once closed */
  gnutls_session_t    session;          /* TLS over fd, non-blocking */
  guint32             events;           /* what the endpoint's epoll set waits for on fd */
  CbMqttDecoder      *decoder;          /* NULL between packets: made on the next read */
  GQueue              out;              /* GBytes */
  gsize               out_bytes;
  GBytes             *writing;          /* taken by gnutls_record_send, written up to... */
  gsize               written;          /* ...here */
  gboolean            closing_after_flush;
  gint64              close_started;
  gpointer            session_data;     /* a protocol's state on the connection (DPS's) */
  GDestroyNotify      session_data_free;

  CbSbMqttConnState   state;
  char               *hub;              /* canonical hub name once CONNECT named it */
  char               *device_id;
  char               *key;              /* "hub/device" once accepted */
  GPtrArray          *chain;            /* GBytes DER, leaf first; NULL: none presented. Kept
                                         * as DER: a parsed certificate is ~20 KiB of ASN.1 */
  gboolean            sas;              /* authenticated by a SAS password, not the chain */
  gint64              sas_expiry;       /* its "se" (session clock): closed when it passes */
  GPtrArray          *filters;          /* subscribed topic filters (char *) */
  guint16             keep_alive;
  gint64              created;          /* monotonic usec */
  gint64              last_packet;      /* monotonic usec */
  gint64              activity;         /* sandbox clock usec */
  gint64              activity_flushed; /* monotonic usec */
  gboolean            activity_dirty;
} CbSbMqttConn;

/* Handles one decoded packet of c, with the sandbox lock held. */
typedef void (*CbSbMqttPacketFunc) (CbSbMqttConn *c,
                                    CbMqttPacket *packet);

struct _CbSbMqtt
{
  CbSandbox       *sandbox;             /* borrowed: the module is the sandbox's */
  GMainContext    *context;
  GSocket         *listener;
  int              epoll_fd;            /* the listener and every connection */
  GSource         *io;                  /* the one source that polls epoll_fd */
  gboolean         accept_paused;       /* out of fds: the sweep listens again */
  gnutls_certificate_credentials_t credentials;
  guint8          *read_buffer;         /* one for all connections: reads run under the lock */
  GHashTable      *conns;               /* CbSbMqttConn* -> CbSbMqttConn* (one ref each) */
  GHashTable      *devices;             /* "hub/device" -> CbSbMqttConn* (borrowed, in conns) */
  GHashTable      *ops;                 /* "hub/device" -> renewal operation (cb-sb-mqtt-renewal.c) */
  GHashTable      *refused_subscriptions; /* "hub/device" -> GPtrArray (cb-sb-mqtt-handle-subscribe.c) */
  GHashTable      *c2d;                 /* "hub/device" -> GQueue of waiting messages (cb-sb-mqtt-c2d.c) */
  GHashTable      *methods;             /* "hub/device/rid" -> pending direct method (cb-sb-mqtt-methods.c) */
  guint64          next_method_rid;
  GSource         *sweep;
  gsize            max_packet;
  guint            renewal_delay_ms;
  guint            connect_timeout_ms;  /* TLS handshake and CONNECT */
  CbSbMqttPacketFunc handle_packet;
};

/* The endpoint of a sandbox, or NULL when it is not running. */
CbSbMqtt     *cb_sb_mqtt_get                   (CbSandbox    *self);
/* "hub/device": the key of a device's live connection and renewal operation. */
char         *cb_sb_mqtt_device_key            (const char   *hub,
                                                const char   *device_id);

CbSbMqttConn *cb_sb_mqtt_conn_ref              (CbSbMqttConn *c);
void          cb_sb_mqtt_conn_unref            (CbSbMqttConn *c);
/* Closes c (after its queued output when flush_first), records Disconnected. */
void          cb_sb_mqtt_conn_close            (CbSbMqttConn *c,
                                                const char   *reason,
                                                gboolean      flush_first);
/* Takes bytes. Output that piles up because the peer does not read closes the connection. */
void          cb_sb_mqtt_conn_send             (CbSbMqttConn *c,
                                                GBytes       *bytes);
/* Publishes (QoS 0, as the hub answers) if the device subscribed to the topic. */
gboolean      cb_sb_mqtt_conn_publish          (CbSbMqttConn *c,
                                                const char   *topic,
                                                const char   *payload);
/* The connections of a table of m (keys or values), each with a reference: closing one while
 * walking would change the table. */
GPtrArray    *cb_sb_mqtt_snapshot              (GHashTable   *table,
                                                gboolean      values);

/* Listens on the sandbox's bind address and MQTT port (0: any; the port is written back). */
gboolean      cb_sb_mqtt_transport_listen      (CbSbMqtt     *m,
                                                GError      **error);
/* Closes what is late: a last answer not sent, no handshake and CONNECT in time, an expired
 * SAS token, no packet in 1.5 × the keep-alive; writes lastActivityTime that is due. Lock
 * held. */
void          cb_sb_mqtt_transport_sweep       (CbSbMqtt     *m,
                                                gint64        now);
/* Stops listening and closes every connection. */
void          cb_sb_mqtt_transport_stop        (CbSbMqtt     *m);

G_END_DECLS
