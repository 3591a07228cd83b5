/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The hub device endpoint's transport: see cb-sb-mqtt-transport.h. Everything runs on the
 * sandbox's main context; the callbacks take the sandbox lock as request handlers do. Per
 * connection the state is small (a 4 KiB read buffer, a decoder capped at the packet limit,
 * an output queue capped at MAX_OUTPUT). TLS takes any client certificate: the hub judges it
 * after CONNECT (cb-sb-mqtt-handle-connect.c), where it can say why. */

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "cb-sb-hub.h"
#include "cb-sb-mqtt-transport.h"
#include "cb-sb-store.h"

#define READ_SIZE            4096
#define MAX_OUTPUT           (256 * 1024)
#define CLOSE_TIMEOUT_US     (5 * G_USEC_PER_SEC)
#define ACTIVITY_FLUSH_US    (5 * G_USEC_PER_SEC)

static void conn_read        (CbSbMqttConn *c);
static void conn_start_write (CbSbMqttConn *c);

/* ---- Small helpers --------------------------------------------------------------------- */

char *
cb_sb_mqtt_device_key (const char *hub,
                       const char *device_id)
{
  g_autofree char *lower = g_ascii_strdown (hub, -1);

  return g_strconcat (lower, "/", device_id, NULL);
}

CbSbMqtt *
cb_sb_mqtt_get (CbSandbox *self)
{
  return cb_sb_get_module_data (self, CB_SB_MQTT_MODULE);
}

static void
run_on_context (CbSbMqtt       *m,
                GSourceFunc     func,
                gpointer        data,
                GDestroyNotify  destroy)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, func, data, destroy);
  g_source_attach (source, m->context);
  g_source_unref (source);
}

/* ---- Connections: lifetime and output -------------------------------------------------- */

CbSbMqttConn *
cb_sb_mqtt_conn_ref (CbSbMqttConn *c)
{
  g_atomic_int_inc (&c->ref);
  return c;
}

void
cb_sb_mqtt_conn_unref (CbSbMqttConn *c)
{
  if (!g_atomic_int_dec_and_test (&c->ref))
    return;

  g_assert (c->hello == NULL);
  if (!c->socket_closed && c->base != NULL)
    g_io_stream_close (G_IO_STREAM (c->base), NULL, NULL);
  g_clear_object (&c->tls);
  g_clear_object (&c->base);
  g_clear_object (&c->cancellable);
  g_clear_pointer (&c->decoder, cb_mqtt_decoder_free);
  g_free (c->inbuf);
  g_queue_clear_full (&c->out, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&c->writing, g_bytes_unref);
  g_free (c->hub);
  g_free (c->device_id);
  g_free (c->key);
  g_clear_pointer (&c->chain, g_ptr_array_unref);
  g_clear_pointer (&c->filters, g_ptr_array_unref);
  g_clear_object (&c->sandbox);
  g_free (c);
}

/* Closes the socket once no operation is pending on it (each one's callback calls this). */
static void
conn_maybe_close_socket (CbSbMqttConn *c)
{
  if (c->state != CB_SB_MQTT_CONN_CLOSED || c->socket_closed || c->reading || c->handshaking ||
      c->writing != NULL)
    return;

  c->socket_closed = TRUE;
  g_io_stream_close (G_IO_STREAM (c->base), NULL, NULL);
}

static gboolean
close_socket_cb (gpointer data)
{
  CbSbMqttConn *c = data;

  g_clear_pointer (&c->hello, cb_sb_client_hello_free);
  /* A handshake thread blocked in a read (a client that stalled mid-handshake) wakes up. */
  if (c->handshaking)
    g_socket_shutdown (g_socket_connection_get_socket (c->base), TRUE, TRUE, NULL);
  conn_maybe_close_socket (c);
  return G_SOURCE_REMOVE;
}

static void
flush_activity (CbSbMqttConn *c)
{
  if (!c->activity_dirty || c->hub == NULL || c->device_id == NULL)
    return;
  cb_sb_hub_set_activity (c->sandbox, c->hub, c->device_id, c->activity);
  c->activity_dirty = FALSE;
  c->activity_flushed = g_get_monotonic_time ();
}

void
cb_sb_mqtt_conn_close (CbSbMqttConn *c,
                       const char   *reason,
                       gboolean      flush_first)
{
  CbSbMqtt *m = c->mqtt;

  if (c->state == CB_SB_MQTT_CONN_CLOSED)
    return;

  if (flush_first && (c->writing != NULL || !g_queue_is_empty (&c->out)))
    {
      /* Let the CONNACK or last answer out; the write callback comes back here. */
      if (!c->closing_after_flush)
        {
          c->closing_after_flush = TRUE;
          c->close_started = g_get_monotonic_time ();
          g_debug ("Closing %s after its output: %s", c->device_id ? c->device_id : "a client",
                   reason);
        }
      return;
    }

  c->state = CB_SB_MQTT_CONN_CLOSED;
  g_debug ("Closed the connection of %s: %s", c->device_id ? c->device_id : "a client", reason);

  if (m != NULL && c->key != NULL && g_hash_table_lookup (m->devices, c->key) == c)
    {
      g_hash_table_remove (m->devices, c->key);
      cb_sb_hub_set_connection (c->sandbox, c->hub, c->device_id, FALSE,
                                c->activity_dirty ? c->activity : 0);
      c->activity_dirty = FALSE;
    }

  g_cancellable_cancel (c->cancellable);

  if (m != NULL)
    {
      run_on_context (m, close_socket_cb, cb_sb_mqtt_conn_ref (c),
                      (GDestroyNotify) cb_sb_mqtt_conn_unref);
      /* Last: this may drop the table's reference. */
      g_hash_table_remove (m->conns, c);
    }
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  CbSbMqttConn *c = user_data;
  g_autoptr(GError) error = NULL;
  CbSandbox *sandbox;

  g_assert (c != NULL && c->sandbox != NULL);
  sandbox = g_object_ref (c->sandbox);

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error);

  cb_sb_lock (sandbox);

  c->out_bytes -= g_bytes_get_size (c->writing);
  g_clear_pointer (&c->writing, g_bytes_unref);

  if (c->state == CB_SB_MQTT_CONN_CLOSED)
    conn_maybe_close_socket (c);
  else if (error != NULL)
    cb_sb_mqtt_conn_close (c, error->message, FALSE);
  else if (!g_queue_is_empty (&c->out))
    conn_start_write (c);
  else if (c->closing_after_flush)
    cb_sb_mqtt_conn_close (c, "its last answer was sent", FALSE);

  cb_sb_unlock (sandbox);
  cb_sb_mqtt_conn_unref (c);
  g_object_unref (sandbox);
}

/* One write at a time; what queued up meanwhile goes out as one buffer. */
static void
conn_start_write (CbSbMqttConn *c)
{
  GBytes *next;

  if (c->writing != NULL || g_queue_is_empty (&c->out) || c->state == CB_SB_MQTT_CONN_CLOSED)
    return;

  if (c->out.length == 1)
    next = g_queue_pop_head (&c->out);
  else
    {
      GByteArray *all = g_byte_array_sized_new (c->out_bytes);
      GBytes *b;

      while ((b = g_queue_pop_head (&c->out)) != NULL)
        {
          g_byte_array_append (all, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
          g_bytes_unref (b);
        }
      next = g_byte_array_free_to_bytes (all);
    }
  c->writing = next;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (c->tls),
                                   g_bytes_get_data (next, NULL), g_bytes_get_size (next),
                                   G_PRIORITY_DEFAULT, c->cancellable, write_cb,
                                   cb_sb_mqtt_conn_ref (c));
}

static gboolean
start_write_cb (gpointer data)
{
  CbSbMqttConn *c = data;
  CbSandbox *sandbox = g_object_ref (c->sandbox);

  cb_sb_lock (sandbox);
  c->flush_scheduled = FALSE;
  conn_start_write (c);
  cb_sb_unlock (sandbox);
  g_object_unref (sandbox);

  return G_SOURCE_REMOVE;
}

/* Takes bytes. Output that piles up because the peer does not read closes the connection. */
void
cb_sb_mqtt_conn_send (CbSbMqttConn *c,
                      GBytes       *bytes)
{
  if (bytes == NULL)
    return;

  if (c->state == CB_SB_MQTT_CONN_CLOSED)
    {
      g_bytes_unref (bytes);
      return;
    }

  c->out_bytes += g_bytes_get_size (bytes);
  g_queue_push_tail (&c->out, bytes);

  if (c->out_bytes > MAX_OUTPUT)
    {
      cb_sb_mqtt_conn_close (c, "its output queue is full (the client does not read)", FALSE);
      return;
    }

  /* Streams are driven from the sandbox's context only (a test thread may call in). */
  if (c->mqtt != NULL && !g_main_context_is_owner (c->mqtt->context))
    {
      if (!c->flush_scheduled)
        {
          c->flush_scheduled = TRUE;
          run_on_context (c->mqtt, start_write_cb, cb_sb_mqtt_conn_ref (c),
                          (GDestroyNotify) cb_sb_mqtt_conn_unref);
        }
      return;
    }

  conn_start_write (c);
}

static gboolean
conn_subscribed (CbSbMqttConn *c,
                 const char   *topic)
{
  for (guint i = 0; c->filters != NULL && i < c->filters->len; i++)
    if (cb_mqtt_topic_matches (g_ptr_array_index (c->filters, i), topic))
      return TRUE;
  return FALSE;
}

/* Publishes (QoS 0, as the hub answers) if the device subscribed to the topic. */
gboolean
cb_sb_mqtt_conn_publish (CbSbMqttConn *c,
                         const char   *topic,
                         const char   *payload)
{
  if (c->state != CB_SB_MQTT_CONN_ONLINE || !cb_mqtt_topic_is_valid (topic) ||
      !conn_subscribed (c, topic))
    return FALSE;

  cb_sb_mqtt_conn_send (c, cb_mqtt_encode_publish (topic, payload, payload ? strlen (payload) : 0,
                                                   0, 0));
  return TRUE;
}

/* ---- Reading --------------------------------------------------------------------------- */

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  CbSbMqttConn *c = user_data;
  g_autoptr(GError) error = NULL;
  CbSandbox *sandbox;
  gssize n;

  g_assert (c != NULL && c->sandbox != NULL);
  sandbox = g_object_ref (c->sandbox);

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  cb_sb_lock (sandbox);
  c->reading = FALSE;

  if (c->state == CB_SB_MQTT_CONN_CLOSED)
    conn_maybe_close_socket (c);
  else if (n <= 0)
    cb_sb_mqtt_conn_close (c, n == 0 ? "the peer closed the connection" : error->message, FALSE);
  else if (!c->closing_after_flush)
    {
      c->last_packet = g_get_monotonic_time ();
      cb_mqtt_decoder_feed (c->decoder, c->inbuf, n);

      while (c->state != CB_SB_MQTT_CONN_CLOSED && !c->closing_after_flush)
        {
          g_autoptr(CbMqttPacket) packet = cb_mqtt_decoder_next (c->decoder, &error);

          if (packet == NULL)
            {
              if (error != NULL)
                {
                  g_message ("Closing the hub connection of %s: %s",
                             c->device_id ? c->device_id : "a client", error->message);
                  cb_sb_mqtt_conn_close (c, error->message, FALSE);
                }
              break;
            }
          c->mqtt->handle_packet (c, packet);
          cb_sb_check_statements (sandbox, "an MQTT packet");
        }

      conn_read (c);
    }
  else
    conn_read (c);                             /* drain until the answer is out */

  cb_sb_unlock (sandbox);
  cb_sb_mqtt_conn_unref (c);
  g_object_unref (sandbox);
}

static void
conn_read (CbSbMqttConn *c)
{
  if (c->state == CB_SB_MQTT_CONN_CLOSED || c->reading)
    return;

  c->reading = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (c->tls), c->inbuf, READ_SIZE,
                             G_PRIORITY_DEFAULT, c->cancellable, read_cb, cb_sb_mqtt_conn_ref (c));
}

/* ---- TLS --------------------------------------------------------------------------------- */

static gboolean
accept_any_certificate_cb (GTlsConnection       *conn,
                           GTlsCertificate      *peer,
                           GTlsCertificateFlags  errors,
                           gpointer              user_data)
{
  /* The hub decides after CONNECT, where it can say why. */
  return TRUE;
}

static GPtrArray *
peer_chain (GTlsConnection *tls)
{
  GTlsCertificate *cert = g_tls_connection_get_peer_certificate (tls);
  GPtrArray *chain;

  if (cert == NULL)
    return NULL;

  chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (; cert != NULL && chain->len < 8; cert = g_tls_certificate_get_issuer (cert))
    {
      GByteArray *der = NULL;

      g_object_get (cert, "certificate", &der, NULL);
      if (der == NULL)
        break;
      g_ptr_array_add (chain, g_byte_array_free_to_bytes (der));
    }

  return chain;
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CbSbMqttConn *c = user_data;
  g_autoptr(GError) error = NULL;
  CbSandbox *sandbox;
  gboolean ok;

  g_assert (c != NULL && c->sandbox != NULL);
  sandbox = g_object_ref (c->sandbox);

  ok = g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error);

  cb_sb_lock (sandbox);
  c->handshaking = FALSE;

  if (c->state == CB_SB_MQTT_CONN_CLOSED)
    conn_maybe_close_socket (c);
  else if (!ok)
    {
      g_debug ("TLS handshake failed: %s", error->message);
      cb_sb_mqtt_conn_close (c, error->message, FALSE);
    }
  else
    {
      c->chain = peer_chain (G_TLS_CONNECTION (c->tls));
      c->state = CB_SB_MQTT_CONN_WAIT_CONNECT;
      conn_read (c);
    }

  cb_sb_unlock (sandbox);
  cb_sb_mqtt_conn_unref (c);
  g_object_unref (sandbox);
}

static void
hello_cb (gboolean complete,
          gpointer data)
{
  CbSbMqttConn *c = data;
  CbSbMqtt *m = c->mqtt;
  g_autoptr(GError) error = NULL;
  CbSandbox *sandbox = g_object_ref (c->sandbox);

  cb_sb_lock (sandbox);
  cb_sb_mqtt_conn_ref (c);
  g_clear_pointer (&c->hello, cb_sb_client_hello_free);

  if (c->state == CB_SB_MQTT_CONN_CLOSED || m == NULL)
    ;
  else if (!complete)
    cb_sb_mqtt_conn_close (c, "it closed the connection before its TLS hello", FALSE);
  else
    {
      /* No trust store: any client certificate passes TLS, the hub judges it after CONNECT.
       * Requested rather than required, so a client without one hears "no-certificate". The
       * database is set at construction: g_tls_server_connection_new() would first load the
       * system trust store, about 9 ms of CPU per connection with glib-networking 2.74. */
      c->tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                               NULL, &error,
                               "base-io-stream", c->base,
                               "certificate", m->certificate,
                               "database", NULL,
                               "authentication-mode", G_TLS_AUTHENTICATION_REQUESTED,
                               NULL);
      if (c->tls == NULL)
        {
          g_warning ("Cannot start TLS on a hub connection: %s", error->message);
          cb_sb_mqtt_conn_close (c, error->message, FALSE);
        }
      else
        {
          g_signal_connect (c->tls, "accept-certificate", G_CALLBACK (accept_any_certificate_cb),
                            NULL);
          c->handshaking = TRUE;
          g_tls_connection_handshake_async (G_TLS_CONNECTION (c->tls), G_PRIORITY_DEFAULT,
                                            c->cancellable, handshake_cb, cb_sb_mqtt_conn_ref (c));
        }
    }

  cb_sb_mqtt_conn_unref (c);
  cb_sb_unlock (sandbox);
  g_object_unref (sandbox);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  CbSbMqtt *m = user_data;
  GSocket *socket = g_socket_connection_get_socket (connection);
  CbSbMqttConn *c;

  g_assert (m != NULL);

  /* Small request/response packets: without this, Nagle and delayed ACKs add 40 ms each. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  cb_sb_lock (m->sandbox);

  c = g_new0 (CbSbMqttConn, 1);
  c->ref = 1;
  c->sandbox = g_object_ref (m->sandbox);
  c->mqtt = m;
  c->base = g_object_ref (connection);
  c->cancellable = g_cancellable_new ();
  c->decoder = cb_mqtt_decoder_new (m->max_packet);
  c->inbuf = g_malloc (READ_SIZE);
  g_queue_init (&c->out);
  c->state = CB_SB_MQTT_CONN_HANDSHAKE;
  c->created = c->last_packet = g_get_monotonic_time ();
  g_hash_table_add (m->conns, c);

  /* The handshake starts once the whole ClientHello is in (cb-sandbox-client-hello.c): a
   * client that stalls before that holds no TLS thread. The sweep's connect timeout closes
   * it. */
  c->hello = cb_sb_client_hello_wait (socket, m->context, hello_cb, c);

  cb_sb_unlock (m->sandbox);
  return TRUE;
}

/* The connections of a table (keys or values), each with a reference: closing one while
 * walking would change the table. */
GPtrArray *
cb_sb_mqtt_snapshot (GHashTable *table,
                     gboolean    values)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_mqtt_conn_unref);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_ptr_array_add (list, cb_sb_mqtt_conn_ref (values ? value : key));
  return list;
}

/* ---- Listening, timeouts, stopping ------------------------------------------------------- */

gboolean
cb_sb_mqtt_transport_listen (CbSbMqtt  *m,
                             GError   **error)
{
  CbSandbox *self = m->sandbox;
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GSocketAddress) effective = NULL;

  m->service = g_socket_service_new ();
  /* A fleet connects a thousand devices at once. */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (m->service), 1024);
  addr = g_inet_address_new_from_string (self->bind_address);
  sockaddr = g_inet_socket_address_new (addr, self->mqtt_port);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (m->service), sockaddr,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, error))
    {
      g_prefix_error (error, "The hub device endpoint cannot listen on port %u: ",
                      self->mqtt_port);
      return FALSE;
    }
  self->mqtt_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (m->service, "incoming", G_CALLBACK (incoming_cb), m);
  g_socket_service_start (m->service);

  return TRUE;
}

void
cb_sb_mqtt_transport_sweep (CbSbMqtt *m,
                            gint64    now)
{
  g_autoptr(GPtrArray) list = NULL;
  gboolean began = FALSE;

  list = cb_sb_mqtt_snapshot (m->conns, FALSE);

  for (guint i = 0; i < list->len; i++)
    {
      CbSbMqttConn *c = g_ptr_array_index (list, i);

      if (c->state == CB_SB_MQTT_CONN_CLOSED)
        continue;
      if (c->closing_after_flush && now - c->close_started > CLOSE_TIMEOUT_US)
        {
          c->closing_after_flush = FALSE;
          cb_sb_mqtt_conn_close (c, "its last answer could not be sent in time", FALSE);
        }
      else if (c->state != CB_SB_MQTT_CONN_ONLINE &&
               now - c->created > (gint64) m->connect_timeout_ms * 1000)
        cb_sb_mqtt_conn_close (c, "no TLS handshake and CONNECT in time", FALSE);
      else if (c->state == CB_SB_MQTT_CONN_ONLINE && c->sas &&
               cb_sb_session_now (m->sandbox) >= c->sas_expiry)
        {
          /* As IoT Hub does: a device renews its token by connecting again. */
          g_message ("Closing the hub connection of %s: its SAS token expired", c->device_id);
          cb_sb_mqtt_conn_close (c, "the SAS token expired", FALSE);
        }
      else if (c->state == CB_SB_MQTT_CONN_ONLINE && c->keep_alive > 0 &&
               now - c->last_packet > (gint64) c->keep_alive * 1500000)
        {
          g_message ("Closing the hub connection of %s: no packet in 1.5 × its keep-alive "
                     "of %u s", c->device_id, c->keep_alive);
          cb_sb_mqtt_conn_close (c, "keep-alive timeout", FALSE);
        }
      else if (c->state == CB_SB_MQTT_CONN_ONLINE && c->activity_dirty &&
               now - c->activity_flushed >= ACTIVITY_FLUSH_US)
        {
          if (!began)
            began = cb_sb_begin (m->sandbox);
          flush_activity (c);
        }
    }
  if (began)
    cb_sb_commit (m->sandbox);
}

void
cb_sb_mqtt_transport_stop (CbSbMqtt *m)
{
  g_autoptr(GPtrArray) list = NULL;

  if (m->service != NULL)
    {
      g_socket_service_stop (m->service);
      g_socket_listener_close (G_SOCKET_LISTENER (m->service));
      g_signal_handlers_disconnect_by_data (m->service, m);
    }

  list = cb_sb_mqtt_snapshot (m->conns, FALSE);
  for (guint i = 0; i < list->len; i++)
    {
      CbSbMqttConn *c = g_ptr_array_index (list, i);

      cb_sb_mqtt_conn_close (c, "the sandbox stops", FALSE);
      c->mqtt = NULL;
    }
}
