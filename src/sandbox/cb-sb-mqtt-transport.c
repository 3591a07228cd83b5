/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The hub device endpoint's transport: see cb-sb-mqtt-transport.h. One epoll set holds the
 * listening socket and every connection's socket, and one GSource on the sandbox's main
 * context polls it: the main loop's cost does not grow with the connections, where a
 * GTlsConnection per socket cost one GSource each (and a thread per handshake). Each
 * connection is a non-blocking socket with a GnuTLS session of its own, driven by the epoll
 * events under the sandbox lock, as request handlers run. A connection holds no buffer
 * between packets: reads go through the endpoint's one read buffer, the packet decoder is
 * made when bytes arrive and freed once they are all packets, output is queued only while the
 * socket cannot take it (capped at MAX_OUTPUT). A client that stalls mid-handshake holds only
 * its socket and session until the connect timeout. TLS takes any client certificate: the hub
 * judges it after CONNECT (cb-sb-mqtt-handle-connect.c), where it can say why. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cb-sb-hub.h"
#include "cb-sb-mqtt-transport.h"
#include "cb-sb-store.h"
#include "cb-sb-tls.h"

#define READ_SIZE            16384           /* one TLS record */
#define MAX_EVENTS           64
#define MAX_ACCEPTS          32              /* per wake-up: the connections we hold go first */
#define MAX_CHAIN            8
#define MAX_OUTPUT           (256 * 1024)
#define CLOSE_TIMEOUT_US     (5 * G_USEC_PER_SEC)
#define ACTIVITY_FLUSH_US    (5 * G_USEC_PER_SEC)

static void conn_flush (CbSbMqttConn *c);

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

  if (c->fd >= 0)
    close (c->fd);
  if (c->session != NULL)
    gnutls_deinit (c->session);
  g_clear_pointer (&c->decoder, cb_mqtt_decoder_free);
  g_queue_clear_full (&c->out, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&c->writing, g_bytes_unref);
  if (c->session_data_free != NULL)
    c->session_data_free (c->session_data);
  g_free (c->hub);
  g_free (c->device_id);
  g_free (c->key);
  g_clear_pointer (&c->chain, g_ptr_array_unref);
  g_clear_pointer (&c->filters, g_ptr_array_unref);
  g_clear_object (&c->sandbox);
  g_free (c);
}

/* What the epoll set waits for on c's socket: reading always, writing while output waits. */
static void
conn_watch (CbSbMqttConn *c)
{
  struct epoll_event ev = { 0 };

  if (c->fd < 0 || c->mqtt == NULL)
    return;
  ev.events = EPOLLIN;
  if (c->writing != NULL ||
      (c->state == CB_SB_MQTT_CONN_HANDSHAKE && gnutls_record_get_direction (c->session) == 1))
    ev.events |= EPOLLOUT;
  if (ev.events == c->events)
    return;
  ev.data.ptr = c;
  c->events = ev.events;
  epoll_ctl (c->mqtt->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
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
      /* Let the CONNACK or last answer out; the write comes back here. */
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

  /* Everything is under the sandbox lock, epoll_wait() included: no event for this socket is
   * in flight, so it leaves the set and closes now. Its memory goes with the last reference. */
  if (c->fd >= 0)
    {
      if (m != NULL)
        epoll_ctl (m->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
      close (c->fd);
      c->fd = -1;
      gnutls_transport_set_int (c->session, -1);
    }
  g_clear_pointer (&c->decoder, cb_mqtt_decoder_free);
  g_queue_clear_full (&c->out, (GDestroyNotify) g_bytes_unref);
  g_queue_init (&c->out);
  g_clear_pointer (&c->writing, g_bytes_unref);
  c->out_bytes = 0;

  if (m != NULL)
    g_hash_table_remove (m->conns, c);         /* last: this may drop the table's reference */
}

/* Writes what is queued until the socket takes no more; what queued up meanwhile goes out as
 * one buffer. */
static void
conn_flush (CbSbMqttConn *c)
{
  while (c->state != CB_SB_MQTT_CONN_CLOSED && c->state != CB_SB_MQTT_CONN_HANDSHAKE)
    {
      gsize size;
      const guint8 *data;
      ssize_t n;

      if (c->writing == NULL)
        {
          if (g_queue_is_empty (&c->out))
            break;
          if (c->out.length == 1)
            c->writing = g_queue_pop_head (&c->out);
          else
            {
              GByteArray *all = g_byte_array_sized_new (c->out_bytes);
              GBytes *b;

              while ((b = g_queue_pop_head (&c->out)) != NULL)
                {
                  g_byte_array_append (all, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
                  g_bytes_unref (b);
                }
              c->writing = g_byte_array_free_to_bytes (all);
            }
          c->written = 0;
        }

      /* After GNUTLS_E_AGAIN the same call is repeated: the same data from the same point. */
      data = g_bytes_get_data (c->writing, &size);
      n = gnutls_record_send (c->session, data + c->written, size - c->written);
      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        break;
      if (n < 0)
        {
          cb_sb_mqtt_conn_close (c, gnutls_strerror (n), FALSE);
          return;
        }
      c->written += n;
      c->out_bytes -= n;
      if (c->written == size)
        g_clear_pointer (&c->writing, g_bytes_unref);
    }

  if (c->state == CB_SB_MQTT_CONN_CLOSED)
    return;
  if (c->closing_after_flush && c->writing == NULL && g_queue_is_empty (&c->out))
    cb_sb_mqtt_conn_close (c, "its last answer was sent", FALSE);
  else
    conn_watch (c);
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

  /* Under the sandbox lock, as every use of the session is, whatever the thread. */
  conn_flush (c);
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

/* Decodes and handles what bytes hold. */
static void
conn_handle_bytes (CbSbMqttConn *c,
                   const guint8 *bytes,
                   gsize         len)
{
  g_autoptr(GError) error = NULL;

  c->last_packet = g_get_monotonic_time ();
  if (c->decoder == NULL)
    c->decoder = cb_mqtt_decoder_new (c->mqtt->max_packet);
  cb_mqtt_decoder_feed (c->decoder, bytes, len);

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
      cb_sb_check_statements (c->sandbox, "an MQTT packet");
    }

  /* Nothing held between packets: most connections are idle most of the time. */
  if (c->decoder != NULL && cb_mqtt_decoder_pending (c->decoder) == 0)
    g_clear_pointer (&c->decoder, cb_mqtt_decoder_free);
}

static void
conn_read (CbSbMqttConn *c)
{
  while (c->state != CB_SB_MQTT_CONN_CLOSED)
    {
      ssize_t n = gnutls_record_recv (c->session, c->mqtt->read_buffer, READ_SIZE);

      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        break;
      if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION)
        cb_sb_mqtt_conn_close (c, "the peer closed the connection", FALSE);
      else if (n < 0)
        cb_sb_mqtt_conn_close (c, gnutls_strerror (n), FALSE);
      else if (!c->closing_after_flush)
        conn_handle_bytes (c, c->mqtt->read_buffer, n);
      /* else: drained until the answer is out */
    }
}

/* ---- TLS --------------------------------------------------------------------------------- */

/* The peer's chain as DER, leaf first; NULL when it presented none. Kept as DER: a parsed
 * certificate is ~20 KiB of ASN.1. */
static GPtrArray *
peer_chain (gnutls_session_t session)
{
  unsigned int n = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers (session, &n);
  GPtrArray *chain;

  if (certs == NULL || n == 0)
    return NULL;

  chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (unsigned int i = 0; i < n && i < MAX_CHAIN; i++)
    g_ptr_array_add (chain, g_bytes_new (certs[i].data, certs[i].size));
  return chain;
}

static void
conn_handshake (CbSbMqttConn *c)
{
  int r = gnutls_handshake (c->session);

  if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
    {
      conn_watch (c);
      return;
    }
  if (r < 0)
    {
      g_debug ("TLS handshake failed: %s", gnutls_strerror (r));
      cb_sb_mqtt_conn_close (c, gnutls_strerror (r), FALSE);
      return;
    }

  c->chain = peer_chain (c->session);
  c->state = CB_SB_MQTT_CONN_WAIT_CONNECT;
  conn_watch (c);
  conn_read (c);                               /* CONNECT may have come with the Finished */
}

static void
conn_event (CbSbMqttConn *c,
            guint32       events)
{
  if (c->state == CB_SB_MQTT_CONN_CLOSED)
    return;
  if (c->state == CB_SB_MQTT_CONN_HANDSHAKE)
    {
      conn_handshake (c);
      return;
    }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    conn_read (c);
  if (events & EPOLLOUT)
    conn_flush (c);
}

/* ---- Accepting --------------------------------------------------------------------------- */

static void
accept_one (CbSbMqtt *m,
            int       fd)
{
  struct epoll_event ev = { .events = EPOLLIN };
  CbSbMqttConn *c;

  /* Small request/response packets: without this, Nagle and delayed ACKs add 40 ms each. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof (int));

  c = g_new0 (CbSbMqttConn, 1);
  c->ref = 1;
  c->sandbox = g_object_ref (m->sandbox);
  c->mqtt = m;
  c->fd = fd;
  g_queue_init (&c->out);
  c->state = CB_SB_MQTT_CONN_HANDSHAKE;
  c->created = c->last_packet = g_get_monotonic_time ();

  /* No trust store: any client certificate passes TLS, the hub judges it after CONNECT.
   * Requested rather than required, so a client without one hears "no-certificate". No
   * session tickets: devices hold one long connection, and a ticket costs memory per
   * session. */
  if (gnutls_init (&c->session, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS) < 0 ||
      gnutls_set_default_priority (c->session) < 0 ||
      gnutls_credentials_set (c->session, GNUTLS_CRD_CERTIFICATE, m->credentials) < 0)
    {
      g_warning ("Cannot start TLS on a hub connection");
      cb_sb_mqtt_conn_unref (c);
      return;
    }
  gnutls_certificate_server_set_request (c->session, GNUTLS_CERT_REQUEST);
  gnutls_handshake_set_timeout (c->session, 0);   /* the sweep's connect timeout instead */
  gnutls_transport_set_int (c->session, fd);

  ev.data.ptr = c;
  c->events = ev.events;
  if (epoll_ctl (m->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
    {
      g_warning ("Cannot watch a hub connection: %s", g_strerror (errno));
      cb_sb_mqtt_conn_unref (c);
      return;
    }
  g_hash_table_add (m->conns, c);
}

static void
accept_some (CbSbMqtt *m)
{
  int listen_fd = g_socket_get_fd (m->listener);

  for (guint i = 0; i < MAX_ACCEPTS; i++)
    {
      int fd = accept (listen_fd, NULL, NULL);

      if (fd >= 0)
        {
          if (!g_unix_set_fd_nonblocking (fd, TRUE, NULL) || fcntl (fd, F_SETFD, FD_CLOEXEC) < 0)
            {
              close (fd);
              continue;
            }
          accept_one (m, fd);
          continue;
        }
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        {
          /* Waiting clients stay in the backlog; the sweep listens again in a second. */
          g_warning ("The hub device endpoint cannot accept a connection: %s (the process's "
                     "file descriptor limit, ulimit -n, bounds the connections)",
                     g_strerror (errno));
          epoll_ctl (m->epoll_fd, EPOLL_CTL_DEL, listen_fd, NULL);
          m->accept_paused = TRUE;
        }
      break;
    }
}

static gboolean
io_dispatch (GSource     *source,
             GSourceFunc  callback,
             gpointer     user_data)
{
  CbSbMqtt *m = *(CbSbMqtt **) ((guint8 *) source + sizeof (GSource));
  CbSandbox *sandbox;
  struct epoll_event events[MAX_EVENTS];
  CbSbMqttConn *conns[MAX_EVENTS];
  gboolean listener_ready = FALSE;
  int n;

  if (m == NULL)
    return G_SOURCE_REMOVE;
  sandbox = g_object_ref (m->sandbox);

  /* The lock before the wait: a connection another thread closes leaves the set under the
   * lock too, so every event of this batch is for a live connection. */
  cb_sb_lock (sandbox);
  n = epoll_wait (m->epoll_fd, events, MAX_EVENTS, 0);
  for (int i = 0; i < n; i++)
    {
      conns[i] = events[i].data.ptr;
      if (conns[i] != NULL)
        cb_sb_mqtt_conn_ref (conns[i]);        /* an earlier one may close it */
      else
        listener_ready = TRUE;
    }
  for (int i = 0; i < n; i++)
    if (conns[i] != NULL)
      {
        conn_event (conns[i], events[i].events);
        cb_sb_mqtt_conn_unref (conns[i]);
      }
  if (listener_ready && m->listener != NULL)
    accept_some (m);
  cb_sb_unlock (sandbox);
  g_object_unref (sandbox);

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs io_funcs = { NULL, NULL, io_dispatch, NULL, NULL, NULL };

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
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
  int r;

  if (!cb_sb_ensure_tls_identity (self, &cert_file, &key_file, error))
    return FALSE;
  gnutls_certificate_allocate_credentials (&m->credentials);
  r = gnutls_certificate_set_x509_key_file (m->credentials, cert_file, key_file,
                                            GNUTLS_X509_FMT_PEM);
  if (r < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The hub device endpoint cannot load its TLS identity: %s",
                   gnutls_strerror (r));
      return FALSE;
    }
  m->read_buffer = g_malloc (READ_SIZE);

  addr = g_inet_address_new_from_string (self->bind_address);
  sockaddr = g_inet_socket_address_new (addr, self->mqtt_port);
  m->listener = g_socket_new (g_inet_address_get_family (addr), G_SOCKET_TYPE_STREAM,
                              G_SOCKET_PROTOCOL_TCP, error);
  if (m->listener == NULL)
    return FALSE;
  g_socket_set_blocking (m->listener, FALSE);
  /* A fleet connects a thousand devices at once. */
  g_socket_set_listen_backlog (m->listener, 1024);
  if (!g_socket_bind (m->listener, sockaddr, TRUE, error) ||
      !g_socket_listen (m->listener, error) ||
      !(effective = g_socket_get_local_address (m->listener, error)))
    {
      g_prefix_error (error, "The hub device endpoint cannot listen on port %u: ",
                      self->mqtt_port);
      g_clear_object (&m->listener);
      return FALSE;
    }
  self->mqtt_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));

  m->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (m->epoll_fd < 0 ||
      epoll_ctl (m->epoll_fd, EPOLL_CTL_ADD, g_socket_get_fd (m->listener), &ev) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "The hub device endpoint cannot poll: %s", g_strerror (errno));
      return FALSE;
    }
  m->io = g_source_new (&io_funcs, sizeof (GSource) + sizeof (CbSbMqtt *));
  *(CbSbMqtt **) ((guint8 *) m->io + sizeof (GSource)) = m;
  g_source_set_name (m->io, "hub device endpoint");
  g_source_add_unix_fd (m->io, m->epoll_fd, G_IO_IN);
  g_source_attach (m->io, m->context);

  return TRUE;
}

void
cb_sb_mqtt_transport_sweep (CbSbMqtt *m,
                            gint64    now)
{
  g_autoptr(GPtrArray) list = NULL;
  gboolean began = FALSE;

  if (m->accept_paused && m->listener != NULL)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

      m->accept_paused = FALSE;
      epoll_ctl (m->epoll_fd, EPOLL_CTL_ADD, g_socket_get_fd (m->listener), &ev);
    }

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

  if (m->io != NULL)
    {
      *(CbSbMqtt **) ((guint8 *) m->io + sizeof (GSource)) = NULL;
      g_source_destroy (m->io);
      g_clear_pointer (&m->io, g_source_unref);
    }
  if (m->listener != NULL)
    {
      g_socket_close (m->listener, NULL);
      g_clear_object (&m->listener);
    }

  list = cb_sb_mqtt_snapshot (m->conns, FALSE);
  for (guint i = 0; i < list->len; i++)
    {
      CbSbMqttConn *c = g_ptr_array_index (list, i);

      cb_sb_mqtt_conn_close (c, "the sandbox stops", FALSE);
      c->mqtt = NULL;
    }

  if (m->epoll_fd > 0)
    close (m->epoll_fd);
  m->epoll_fd = -1;
  if (m->credentials != NULL)
    gnutls_certificate_free_credentials (m->credentials);
  m->credentials = NULL;
  g_clear_pointer (&m->read_buffer, g_free);
}
