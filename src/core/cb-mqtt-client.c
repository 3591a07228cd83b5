/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-mqtt-client"

/* CbMqttClient: see cb-mqtt-client.h. The bytes are the codec's (cb-mqtt-packet.c, shared with
 * the sandbox's broker); this file is the I/O: TCP, the TLS handshake against the caller's
 * trust anchors, one read loop feeding the decoder, one queue of writes, a PINGREQ every half
 * keep-alive. Every callback holds a reference, so the object outlives its pending I/O;
 * closing cancels that I/O and the socket closes with the object. */

#include "config.h"

#include <string.h>

#include "cb-mqtt-client.h"
#include "cb-mqtt-packet.h"
#include "cb-tls-lazy-database.h"

#define KEEP_ALIVE_SECS   60
#define READ_CHUNK        4096

struct _CbMqttClient
{
  GObject             parent_instance;

  GTlsDatabase       *database;
  GTlsCertificate    *certificate;      /* the client's, or NULL */
  GSocketConnection  *base;
  GIOStream          *tls;
  GCancellable       *io;               /* cancelled on close */
  CbMqttDecoder      *decoder;
  guint8              inbuf[READ_CHUNK];
  GQueue              out;              /* GBytes waiting to be written */
  GBytes             *writing;         /* being written */
  GTask              *connect_task;     /* until CONNACK */
  char               *host;
  guint16             port;
  GBytes             *connect_packet;
  guint16             next_id;
  guint               ping_id;
  gboolean            connected;
  gboolean            closed;
};

G_DEFINE_FINAL_TYPE (CbMqttClient, cb_mqtt_client, G_TYPE_OBJECT)

enum { SIGNAL_MESSAGE, SIGNAL_CLOSED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
cb_mqtt_client_finalize (GObject *object)
{
  CbMqttClient *self = (CbMqttClient *)object;

  g_clear_handle_id (&self->ping_id, g_source_remove);
  if (self->base != NULL)
    g_io_stream_close (G_IO_STREAM (self->base), NULL, NULL);
  g_clear_object (&self->tls);
  g_clear_object (&self->base);
  g_clear_object (&self->io);
  g_clear_object (&self->database);
  g_clear_object (&self->certificate);
  g_clear_pointer (&self->decoder, cb_mqtt_decoder_free);
  g_queue_clear_full (&self->out, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&self->writing, g_bytes_unref);
  g_clear_pointer (&self->connect_packet, g_bytes_unref);
  g_free (self->host);
  g_assert (self->connect_task == NULL);

  G_OBJECT_CLASS (cb_mqtt_client_parent_class)->finalize (object);
}

static void
cb_mqtt_client_class_init (CbMqttClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_mqtt_client_finalize;
  /* Connections read the system trust store only when they verify against it. */
  cb_tls_lazy_database_install ();
  /* (topic, payload): a PUBLISH from the server. */
  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                          G_TYPE_STRING, G_TYPE_BYTES);
  /* (error): the connection ended after CONNACK (not by cb_mqtt_client_close()). */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
cb_mqtt_client_init (CbMqttClient *self)
{
  self->io = g_cancellable_new ();
  self->decoder = cb_mqtt_decoder_new (CB_MQTT_DEFAULT_MAX_REMAINING);
  g_queue_init (&self->out);
}

CbMqttClient *
cb_mqtt_client_new (GTlsDatabase *database)
{
  CbMqttClient *self = g_object_new (CB_TYPE_MQTT_CLIENT, NULL);

  g_return_val_if_fail (database == NULL || G_IS_TLS_DATABASE (database), NULL);
  self->database = database != NULL ? g_object_ref (database) : NULL;
  return self;
}

void
cb_mqtt_client_set_certificate (CbMqttClient    *self,
                                GTlsCertificate *certificate)
{
  g_return_if_fail (CB_IS_MQTT_CLIENT (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));
  g_set_object (&self->certificate, certificate);
}

/* Ends the connection with error: fails a connect still waiting, else says "closed". */
static void
fail (CbMqttClient *self,
      GError       *error)          /* transfer full */
{
  g_autoptr(GObject) keep = g_object_ref (G_OBJECT (self));
  g_autoptr(GError) owned = error;
  GTask *task;

  if (self->closed)
    return;
  self->closed = TRUE;
  g_cancellable_cancel (self->io);
  g_clear_handle_id (&self->ping_id, g_source_remove);

  if ((task = g_steal_pointer (&self->connect_task)) != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&owned));
      g_object_unref (task);
      return;
    }
  g_debug ("MQTT connection to %s closed: %s", self->host, owned->message);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, owned);
}

/* ---- Writing --------------------------------------------------------------------------- */

static void write_next (CbMqttClient *self);

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CbMqttClient) self = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->writing, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      g_prefix_error (&error, "Could not write to %s: ", self->host);
      fail (self, g_steal_pointer (&error));
      return;
    }
  write_next (self);
}

static void
write_next (CbMqttClient *self)
{
  if (self->writing != NULL || self->closed || self->tls == NULL ||
      g_queue_is_empty (&self->out))
    return;

  self->writing = g_queue_pop_head (&self->out);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (self->tls),
                                   g_bytes_get_data (self->writing, NULL),
                                   g_bytes_get_size (self->writing),
                                   G_PRIORITY_DEFAULT, self->io, write_cb, g_object_ref (self));
}

static void
send_bytes (CbMqttClient *self,
            GBytes       *bytes)            /* transfer full */
{
  if (bytes == NULL || self->closed)
    {
      g_clear_pointer (&bytes, g_bytes_unref);
      return;
    }
  g_queue_push_tail (&self->out, bytes);
  write_next (self);
}

static gboolean
ping_cb (gpointer data)
{
  CbMqttClient *self = data;

  send_bytes (self, cb_mqtt_encode_empty (CB_MQTT_PINGREQ));
  return G_SOURCE_CONTINUE;
}

/* ---- Reading --------------------------------------------------------------------------- */

static void read_next (CbMqttClient *self);

static void
handle_packet (CbMqttClient *self,
               CbMqttPacket *p)
{
  switch (p->type)
    {
    case CB_MQTT_CONNACK:
      if (self->connect_task == NULL)
        {
          fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                   "%s sent a second CONNACK", self->host));
          return;
        }
      if (p->return_code != CB_MQTT_CONNACK_ACCEPTED)
        {
          const char *why = p->return_code == CB_MQTT_CONNACK_NOT_AUTHORIZED ? "not authorized"
                          : p->return_code == CB_MQTT_CONNACK_BAD_CREDENTIALS ? "bad user name or password"
                          : p->return_code == CB_MQTT_CONNACK_IDENTIFIER_REJECTED ? "client identifier rejected"
                          : p->return_code == CB_MQTT_CONNACK_SERVER_UNAVAILABLE ? "server unavailable"
                          : "unacceptable protocol version";

          fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                                   "%s refused the MQTT connection: %s (CONNACK %u)", self->host,
                                   why, p->return_code));
          return;
        }
      {
        GTask *task = g_steal_pointer (&self->connect_task);

        self->connected = TRUE;
        self->ping_id = g_timeout_add_seconds (KEEP_ALIVE_SECS / 2, ping_cb, self);
        g_task_return_boolean (task, TRUE);
        g_object_unref (task);
      }
      break;

    case CB_MQTT_SUBACK:
      for (guint i = 0; p->codes != NULL && i < p->codes->len; i++)
        if (p->codes->data[i] == CB_MQTT_SUBACK_FAILURE)
          {
            fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                                     "%s refused the subscription", self->host));
            return;
          }
      break;

    case CB_MQTT_PUBLISH:
      if (p->qos == 1)
        send_bytes (self, cb_mqtt_encode_ack (CB_MQTT_PUBACK, p->packet_id));
      g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, p->topic, p->payload);
      break;

    case CB_MQTT_PUBACK:
    case CB_MQTT_PINGRESP:
    case CB_MQTT_UNSUBACK:
      break;

    default:
      fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "%s sent %s, which a server does not send", self->host,
                               cb_mqtt_type_to_string (p->type)));
      break;
    }
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(CbMqttClient) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (self->closed)
    return;
  if (n < 0)
    {
      g_prefix_error (&error, "Could not read from %s: ", self->host);
      fail (self, g_steal_pointer (&error));
      return;
    }
  if (n == 0)
    {
      fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               "%s closed the MQTT connection", self->host));
      return;
    }

  cb_mqtt_decoder_feed (self->decoder, self->inbuf, n);
  while (!self->closed)
    {
      g_autoptr(CbMqttPacket) p = cb_mqtt_decoder_next (self->decoder, &error);

      if (p == NULL)
        {
          if (error != NULL)
            {
              g_prefix_error (&error, "%s sent what is not MQTT: ", self->host);
              fail (self, g_steal_pointer (&error));
            }
          break;
        }
      handle_packet (self, p);
    }

  read_next (self);
}

static void
read_next (CbMqttClient *self)
{
  if (self->closed)
    return;
  g_input_stream_read_async (g_io_stream_get_input_stream (self->tls), self->inbuf,
                             sizeof self->inbuf, G_PRIORITY_DEFAULT, self->io, read_cb,
                             g_object_ref (self));
}

/* ---- Connecting ------------------------------------------------------------------------ */

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CbMqttClient) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    {
      g_prefix_error (&error, "TLS with %s:%u failed: ", self->host, self->port);
      fail (self, g_steal_pointer (&error));
      return;
    }

  read_next (self);
  send_bytes (self, g_steal_pointer (&self->connect_packet));
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CbMqttClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnectable) identity = NULL;
  GIOStream *tls;

  if (!(self->base = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error)))
    {
      g_prefix_error (&error, "Could not connect to %s:%u: ", self->host, self->port);
      fail (self, g_steal_pointer (&error));
      return;
    }

  identity = g_network_address_new (self->host, self->port);
  /* The trust anchors at construction: set afterwards, glib-networking would first build the
   * connection's credentials from the default database (cb-tls-lazy-database.c). */
  if (self->database != NULL)
    tls = g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                          NULL, &error,
                          "base-io-stream", self->base,
                          "server-identity", identity,
                          "database", self->database,
                          NULL);
  else
    tls = g_tls_client_connection_new (G_IO_STREAM (self->base), identity, &error);
  if (tls == NULL)
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  self->tls = tls;
  if (self->certificate != NULL)
    g_tls_connection_set_certificate (G_TLS_CONNECTION (tls), self->certificate);

  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, self->io,
                                    handshake_cb, g_object_ref (self));
}

static void
source_drop (gpointer data)
{
  g_source_destroy (data);
  g_source_unref (data);
}

/* The cancellable of a connect fired: fails it if it still waits. */
static gboolean
connect_cancelled_cb (GCancellable *cancellable,
                      gpointer      data)
{
  CbMqttClient *self = data;

  if (self->connect_task != NULL)
    fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "The connection was cancelled"));
  return G_SOURCE_REMOVE;
}

void
cb_mqtt_client_connect_async (CbMqttClient        *self,
                              const char          *host,
                              guint16              port,
                              const char          *client_id,
                              const char          *username,
                              const char          *password,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(CbMqttPacket) connect = cb_mqtt_packet_new (CB_MQTT_CONNECT);
  g_autoptr(GError) error = NULL;
  GTask *task;

  g_return_if_fail (CB_IS_MQTT_CLIENT (self));
  g_return_if_fail (self->connect_task == NULL && self->base == NULL && !self->closed);
  g_return_if_fail (host != NULL && client_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_mqtt_client_connect_async);
  self->connect_task = task;
  self->host = g_strdup (host);
  self->port = port;

  connect->protocol_name = g_strdup ("MQTT");
  connect->protocol_level = 4;
  connect->clean_session = TRUE;
  connect->keep_alive = KEEP_ALIVE_SECS;
  connect->client_id = g_strdup (client_id);
  connect->username = g_strdup (username);
  if (password != NULL)
    connect->password = g_bytes_new (password, strlen (password));
  if (!(self->connect_packet = cb_mqtt_packet_encode (connect, &error)))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  if (connect->password != NULL)
    {
      gsize len = 0;
      memset ((void *) g_bytes_get_data (connect->password, &len), 0, len);
    }

  if (cancellable != NULL)
    {
      /* The wait for CONNACK is cancellable too, not only the TCP connect and the handshake. */
      g_autoptr(GSource) source = g_cancellable_source_new (cancellable);

      g_source_set_callback (source, G_SOURCE_FUNC (connect_cancelled_cb), g_object_ref (self),
                             g_object_unref);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_task_set_task_data (task, g_steal_pointer (&source), source_drop);
    }

  client = g_socket_client_new ();
  address = g_network_address_new (host, port);
  g_socket_client_connect_async (client, address, self->io, connected_cb, g_object_ref (self));
}

gboolean
cb_mqtt_client_connect_finish (CbMqttClient  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cb_mqtt_client_subscribe (CbMqttClient *self,
                          const char   *filter)
{
  g_autoptr(CbMqttPacket) p = cb_mqtt_packet_new (CB_MQTT_SUBSCRIBE);
  guint8 qos = 1;

  g_return_if_fail (CB_IS_MQTT_CLIENT (self));

  p->packet_id = ++self->next_id != 0 ? self->next_id : ++self->next_id;
  p->filters = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (p->filters, g_strdup (filter));
  p->codes = g_byte_array_new ();
  g_byte_array_append (p->codes, &qos, 1);
  send_bytes (self, cb_mqtt_packet_encode (p, NULL));
}

void
cb_mqtt_client_publish (CbMqttClient *self,
                        const char   *topic,
                        const void   *payload,
                        gsize         len)
{
  g_return_if_fail (CB_IS_MQTT_CLIENT (self));

  send_bytes (self, cb_mqtt_encode_publish (topic, payload, len, 0, 0));
}

void
cb_mqtt_client_close (CbMqttClient *self)
{
  g_return_if_fail (CB_IS_MQTT_CLIENT (self));

  if (self->closed)
    return;
  self->closed = TRUE;
  g_cancellable_cancel (self->io);
  g_clear_handle_id (&self->ping_id, g_source_remove);
  if (self->connect_task != NULL)
    {
      GTask *task = g_steal_pointer (&self->connect_task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The connection was closed");
      g_object_unref (task);
    }
}
