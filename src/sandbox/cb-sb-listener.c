/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>

#include "cb-sb-client-hello.h"
#include "cb-sb-listener.h"

/* The HTTPS listener. The sandbox accepts TCP connections itself, does the TLS handshake and
 * hands the TLS stream to libsoup (soup_server_accept_iostream), for three reasons:
 *
 *  - A handshake has a deadline, and a client that stalls in its ClientHello holds no thread
 *    (cb-sb-client-hello.c): with soup_server_listen(), a hundred stalled clients kept
 *    everyone else out for 35–55 s.
 *  - A connection that carries no request for idle_timeout_ms is closed.
 *  - libsoup 3.2 (Debian 12) never closes a keep-alive connection that the client closes
 *    while it is idle: the server's next message reads EOF, has no completion callback yet,
 *    and the connection stays in the server's list with its socket in CLOSE-WAIT
 *    (fixed upstream in 3.3 by d20c6601, "server: do not leak idle connections closed by the
 *    client"). About five leak per CLI provisioning run, until the sandbox runs out of file
 *    descriptors. The sandbox watches each idle connection's socket: once libsoup has read
 *    everything and the peer's end is closed, it tells libsoup's connection object that it is
 *    disconnected, which is what 3.3 does; libsoup then drops and closes it.
 *
 * libsoup's connection object (SoupServerConnection) is private in 3.2; the sandbox learns it
 * from that class's "request-started" signal, which soup_server_accept_iostream() emits before
 * it returns, and counts the messages in flight on it from the same signal.
 *
 * libsoup 3.2 also closes every connection after its first answer unless the server has a
 * listener of its own (request_finished() checks priv->listeners), without saying
 * "Connection: close": clients then send their next request into a closing connection. The
 * server gets a listener on an abstract Unix socket that nobody knows, so keep-alive works. */

typedef enum
{
  CONN_HELLO,          /* waiting for the whole ClientHello */
  CONN_HANDSHAKE,      /* TLS handshake in glib-networking's thread */
  CONN_SERVING,        /* libsoup has it */
  CONN_CLOSED,
} ConnState;

typedef struct _Conn Conn;

struct _CbSbListener
{
  CbSandbox       *sandbox;            /* not owned: it owns the listener */
  SoupServer      *server;
  GTlsCertificate *certificate;
  GSocketService  *service;
  GMainContext    *context;
  GHashTable      *conns;              /* Conn*, each with a reference */
  GSource         *sweep;
};

struct _Conn
{
  gint               ref;
  CbSbListener      *listener;         /* NULL once the listener is gone */
  ConnState          state;
  GSocketConnection *tcp;
  GSocket           *socket;
  GIOStream         *tls;
  GCancellable      *cancellable;
  CbSbClientHello   *hello;
  GObject           *soup_conn;        /* weak */
  guint              busy;             /* libsoup messages alive on it */
  gint64             since;            /* accepted, or idle since (monotonic usec) */
  gboolean           shut_down;        /* idle timeout: shutdown() sent, libsoup to notice */
  gboolean           announced;        /* libsoup's connection object was seen */
  gboolean           corked;           /* an answer's head waits for its body (TCP_CORK) */
  GSource           *watch;            /* idle: readable, to see the peer's close */
  char              *server_name;      /* what the ClientHello asked for (SNI), or NULL */
};

static GPrivate accepting;             /* the Conn being handed to libsoup, per thread */
static GQuark   conn_quark;
static GQuark   server_name_quark;
static GQuark   peer_quark;

static void conn_watch_idle (Conn *c);

static Conn *
conn_ref (Conn *c)
{
  g_atomic_int_inc (&c->ref);
  return c;
}

static void
conn_unref (Conn *c)
{
  if (!g_atomic_int_dec_and_test (&c->ref))
    return;

  g_assert (c->watch == NULL && c->hello == NULL && c->soup_conn == NULL);
  g_clear_object (&c->tls);
  g_clear_object (&c->tcp);
  g_clear_object (&c->socket);
  g_clear_object (&c->cancellable);
  g_free (c->server_name);
  g_free (c);
}

static void
conn_stop_watch (Conn *c)
{
  if (c->watch != NULL)
    {
      g_source_destroy (c->watch);
      g_clear_pointer (&c->watch, g_source_unref);
    }
}

/* Our side of a connection libsoup does not hold (or no longer holds). */
static void
conn_close (Conn *c)
{
  if (c->state == CONN_CLOSED)
    return;

  c->state = CONN_CLOSED;
  g_cancellable_cancel (c->cancellable);
  g_clear_pointer (&c->hello, cb_sb_client_hello_free);
  conn_stop_watch (c);

  /* A handshake thread blocked in a read wakes up on the shutdown. */
  g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
  if (c->tls == NULL)
    g_io_stream_close (G_IO_STREAM (c->tcp), NULL, NULL);
  else if (c->soup_conn == NULL)
    g_io_stream_close (c->tls, NULL, NULL);

  if (c->listener != NULL)
    g_hash_table_remove (c->listener->conns, c);
}

/* ---- libsoup's side ---------------------------------------------------------------------- */

static void
soup_conn_gone_cb (gpointer  data,
                   GObject  *where_the_object_was)
{
  Conn *c = data;

  c->soup_conn = NULL;
  conn_close (c);
  conn_unref (c);
}

/* What libsoup 3.3 does for an idle connection whose client went away: the server drops it
 * from its list, and the connection closes its stream when it is finalized. */
static void
conn_disconnect (Conn *c)
{
  conn_ref (c);
  conn_stop_watch (c);
  if (c->soup_conn != NULL)
    g_signal_emit_by_name (c->soup_conn, "disconnected");
  /* Normally libsoup finalized its connection just now and closed the stream. If something
   * still holds it, the socket is closed all the same. */
  if (c->state != CONN_CLOSED && c->tls != NULL)
    g_io_stream_close (c->tls, NULL, NULL);
  if (c->soup_conn == NULL)
    conn_close (c);
  conn_unref (c);
}

static void
message_gone_cb (gpointer  data,
                 GObject  *where_the_object_was)
{
  Conn *c = data;

  g_assert (c->busy > 0);
  c->busy--;
  if (c->busy == 0 && c->state == CONN_SERVING)
    {
      c->since = g_get_monotonic_time ();
      conn_watch_idle (c);
    }
  conn_unref (c);
}

/* ---- One segment an answer ---------------------------------------------------------------- */

/* libsoup writes an answer's head and its body in two writes, so TLS sends two records, which
 * TCP_NODELAY sends as two segments: the client wakes for the head and again for the body. An
 * answer of known length is sent as one: the socket is corked once the request is read, and
 * uncorked (which sends at once) when the body has been written. A streamed answer (chunked,
 * or until close) is uncorked as soon as its head is written, so nothing waits for a chunk. */
static void
conn_set_cork (Conn     *c,
               gboolean  cork)
{
  int value = cork ? 1 : 0;

  if (c->corked == cork || c->state != CONN_SERVING || g_socket_is_closed (c->socket))
    return;
  c->corked = cork;
  if (setsockopt (g_socket_get_fd (c->socket), IPPROTO_TCP, TCP_CORK, &value, sizeof value) < 0)
    g_debug ("TCP_CORK %d: %s", value, g_strerror (errno));
}

static void
answer_cork_cb (SoupServerMessage *msg,
                gpointer           data)
{
  conn_set_cork (data, TRUE);
}

static void
answer_head_written_cb (SoupServerMessage *msg,
                        gpointer           data)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    conn_set_cork (data, FALSE);
}

static void
answer_uncork_cb (SoupServerMessage *msg,
                  gpointer           data)
{
  conn_set_cork (data, FALSE);
}

static void
answer_body_data_cb (SoupServerMessage *msg,
                     guint              chunk_size,
                     gpointer           data)
{
  conn_set_cork (data, FALSE);
}

static void
conn_follow_answer (Conn    *c,
                    GObject *msg)
{
  g_signal_connect (msg, "got-body", G_CALLBACK (answer_cork_cb), c);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (answer_head_written_cb), c);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (answer_body_data_cb), c);
  g_signal_connect (msg, "wrote-body", G_CALLBACK (answer_uncork_cb), c);
  g_signal_connect (msg, "finished", G_CALLBACK (answer_uncork_cb), c);
  g_signal_connect (msg, "disconnected", G_CALLBACK (answer_uncork_cb), c);
}

static gboolean
request_started_hook (GSignalInvocationHint *hint,
                      guint                  n_params,
                      const GValue          *params,
                      gpointer               data)
{
  GObject *soup_conn = g_value_get_object (&params[0]);
  GObject *msg = n_params > 1 ? g_value_get_object (&params[1]) : NULL;
  Conn *c = g_object_get_qdata (soup_conn, conn_quark);

  if (c == NULL)
    {
      c = g_private_get (&accepting);
      if (c == NULL || c->soup_conn != NULL)
        return TRUE;                   /* not one of ours (another server in this process) */

      c->soup_conn = soup_conn;
      c->announced = TRUE;
      g_object_set_qdata (soup_conn, conn_quark, c);
      g_object_weak_ref (soup_conn, soup_conn_gone_cb, conn_ref (c));
    }

  if (msg != NULL)
    {
      GTlsCertificate *peer = c->tls != NULL
                              ? g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (c->tls))
                              : NULL;

      if (c->server_name != NULL)
        g_object_set_qdata_full (msg, server_name_quark, g_strdup (c->server_name), g_free);
      /* libsoup does not know the TLS of a stream it was handed: the listener says it. */
      if (peer != NULL)
        g_object_set_qdata_full (msg, peer_quark, g_object_ref (peer), g_object_unref);
      c->busy++;
      conn_stop_watch (c);
      conn_follow_answer (c, msg);
      g_object_weak_ref (msg, message_gone_cb, conn_ref (c));
    }

  return TRUE;
}

/* SoupServerConnection is registered when libsoup first needs it: a listener's class does. */
static gboolean
install_hook (GError **error)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      GType type = g_type_from_name ("SoupServerConnection");
      guint signal_id;

      if (type == 0)
        {
          g_autoptr(SoupServer) probe = soup_server_new (NULL, NULL);

          if (soup_server_listen_local (probe, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, NULL))
            soup_server_disconnect (probe);
          type = g_type_from_name ("SoupServerConnection");
        }

      /* Signals exist once the class is initialized; the reference is kept for good. */
      if (type != 0)
        g_type_class_ref (type);
      signal_id = type != 0 ? g_signal_lookup ("request-started", type) : 0;
      if (signal_id != 0)
        {
          conn_quark = g_quark_from_static_string ("cb-sandbox-listener-conn");
          server_name_quark = g_quark_from_static_string ("cb-sandbox-listener-server-name");
          peer_quark = g_quark_from_static_string ("cb-sandbox-listener-peer-certificate");
          g_signal_add_emission_hook (signal_id, 0, request_started_hook, NULL, NULL);
        }
      g_once_init_leave (&done, signal_id != 0 ? 1 : 2);
    }

  if (done != 1)
    {
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_FAILED,
                   "This libsoup has no server connection signal to follow connections with");
      return FALSE;
    }
  return TRUE;
}

/* ---- Idle connections -------------------------------------------------------------------- */

static gboolean
rearm_cb (gpointer data)
{
  Conn *c = data;

  g_clear_pointer (&c->watch, g_source_unref);
  conn_watch_idle (c);
  return G_SOURCE_REMOVE;
}

static gboolean
idle_readable_cb (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      data)
{
  Conn *c = data;
  char byte;
  gssize n;

  if (c->busy > 0)
    {
      g_clear_pointer (&c->watch, g_source_unref);
      return G_SOURCE_REMOVE;
    }

  n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&c->watch, g_source_unref);
  if (n <= 0)
    {
      /* libsoup has read all there was, and the client's end is closed. */
      conn_disconnect (c);
      return G_SOURCE_REMOVE;
    }

  /* Bytes libsoup has not read yet: it reads first (this watch runs at a lower priority), so
   * look again a little later instead of spinning. */
  c->watch = g_timeout_source_new (200);
  g_source_set_callback (c->watch, rearm_cb, c, NULL);
  g_source_attach (c->watch, c->listener->context);
  return G_SOURCE_REMOVE;
}

static void
conn_watch_idle (Conn *c)
{
  if (c->watch != NULL || c->state != CONN_SERVING || c->busy > 0 || c->listener == NULL ||
      g_socket_is_closed (c->socket))
    return;

  c->watch = g_socket_create_source (c->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_priority (c->watch, G_PRIORITY_LOW);
  g_source_set_callback (c->watch, (GSourceFunc) (void (*) (void)) idle_readable_cb, c, NULL);
  g_source_attach (c->watch, c->listener->context);
}

/* ---- Accepting --------------------------------------------------------------------------- */

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  Conn *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  CbSbListener *l = c->listener;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error) ||
      c->state != CONN_HANDSHAKE || l == NULL)
    {
      if (error != NULL)
        g_debug ("TLS handshake failed: %s", error->message);
      conn_close (c);
      conn_unref (c);
      return;
    }

  local = g_socket_connection_get_local_address (c->tcp, NULL);
  remote = g_socket_connection_get_remote_address (c->tcp, NULL);
  if (local == NULL || remote == NULL)
    {
      conn_close (c);
      conn_unref (c);
      return;
    }

  c->state = CONN_SERVING;
  c->since = g_get_monotonic_time ();

  g_private_set (&accepting, c);
  soup_server_accept_iostream (l->server, c->tls, local, remote, NULL);
  g_private_set (&accepting, NULL);

  /* libsoup may have served and closed it already: it reads what is there at once. */
  if (!c->announced)
    {
      g_warning ("libsoup took a connection without announcing it; it cannot be followed");
      c->state = CONN_CLOSED;
      g_hash_table_remove (l->conns, c);
    }
  else
    conn_watch_idle (c);

  conn_unref (c);
}

/* A client certificate is taken as it comes: no trust store could vouch for a factory's
 * device certificate, and the enrollment it is checked against (at the request, which can
 * answer with DPS's error) is the trust. */
static gboolean
accept_any_certificate (GTlsConnection       *conn,
                        GTlsCertificate      *peer,
                        GTlsCertificateFlags  errors,
                        gpointer              data)
{
  return TRUE;
}

static void
hello_cb (gboolean complete,
          gpointer data)
{
  Conn *c = data;
  CbSbListener *l = c->listener;
  g_autoptr(GError) error = NULL;
  const char *protocols[] = { "http/1.1", "http/1.0", NULL };

  if (complete && c->hello != NULL)
    c->server_name = g_strdup (cb_sb_client_hello_get_server_name (c->hello));
  g_clear_pointer (&c->hello, cb_sb_client_hello_free);
  if (!complete || l == NULL)
    {
      conn_close (c);
      return;
    }

  /* No trust store: g_tls_server_connection_new() would load the system's, about 9 ms of CPU
   * per connection. Clients are asked for a certificate and need not send one: a DPS device
   * attested by X.509 authenticates with it (cb-sb-dps-x509.c checks it against its
   * enrollment); every other surface ignores it. */
  c->tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                           NULL, &error,
                           "base-io-stream", c->tcp,
                           "certificate", l->certificate,
                           "database", NULL,
                           "authentication-mode", G_TLS_AUTHENTICATION_REQUESTED,
                           "require-close-notify", FALSE,
                           "advertised-protocols", protocols,
                           NULL);
  if (c->tls == NULL)
    {
      g_warning ("Cannot start TLS on a connection: %s", error->message);
      conn_close (c);
      return;
    }

  g_signal_connect (c->tls, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);

  c->state = CONN_HANDSHAKE;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (c->tls), G_PRIORITY_DEFAULT,
                                    c->cancellable, handshake_cb, conn_ref (c));
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           data)
{
  CbSbListener *l = data;
  Conn *c = g_new0 (Conn, 1);

  c->ref = 1;
  c->listener = l;
  c->state = CONN_HELLO;
  c->tcp = g_object_ref (connection);
  c->socket = g_object_ref (g_socket_connection_get_socket (connection));
  c->cancellable = g_cancellable_new ();
  c->since = g_get_monotonic_time ();
  g_hash_table_add (l->conns, c);

  /* Small requests and answers: without this, Nagle and delayed ACKs add 40 ms each. */
  g_socket_set_option (c->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  c->hello = cb_sb_client_hello_wait (c->socket, l->context, hello_cb, c);
  return TRUE;
}

/* ---- Deadlines --------------------------------------------------------------------------- */

static gboolean
sweep_cb (gpointer data)
{
  CbSbListener *l = data;
  CbSandbox *sandbox = l->sandbox;
  gint64 now = g_get_monotonic_time ();
  gint64 handshake_us = (gint64) sandbox->handshake_timeout_ms * 1000;
  gint64 idle_us = (gint64) sandbox->idle_timeout_ms * 1000;
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, l->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Conn *c = key;

      if ((c->state == CONN_HELLO || c->state == CONN_HANDSHAKE) &&
          handshake_us > 0 && now - c->since > handshake_us)
        g_ptr_array_add (expired, c);
      else if (c->state == CONN_SERVING && c->busy == 0 && !c->shut_down &&
               idle_us > 0 && now - c->since > idle_us)
        g_ptr_array_add (expired, c);
    }

  for (guint i = 0; i < expired->len; i++)
    {
      Conn *c = g_ptr_array_index (expired, i);

      if (c->state != CONN_SERVING)
        {
          g_debug ("Closing a connection: no TLS handshake within %u ms",
                   sandbox->handshake_timeout_ms);
          conn_close (c);
        }
      else
        {
          /* libsoup reads EOF on it, then the idle watch disconnects it. */
          c->shut_down = TRUE;
          g_socket_shutdown (c->socket, TRUE, TRUE, NULL);
          conn_watch_idle (c);
        }
    }

  return G_SOURCE_CONTINUE;
}

/* ---- The listener ------------------------------------------------------------------------ */

static gboolean
give_server_a_listener (SoupServer  *server,
                        GError     **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *name = NULL;
  GError *local_error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                         &local_error);
  name = g_strdup_printf ("certbench-sandbox-%d-%p-%u", (int) getpid (), (void *) server,
                          g_random_int ());
  address = g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  if (socket == NULL ||
      !g_socket_bind (socket, address, FALSE, &local_error) ||
      !g_socket_listen (socket, &local_error) ||
      !soup_server_listen_socket (server, socket, 0, &local_error))
    {
      g_propagate_prefixed_error (error, local_error, "Cannot set up the HTTPS server: ");
      return FALSE;
    }
  return TRUE;
}

CbSbListener *
cb_sb_listener_new (CbSandbox        *sandbox,
                    SoupServer       *server,
                    GTlsCertificate  *certificate,
                    GSocketAddress   *address,
                    guint16          *out_port,
                    GError          **error)
{
  CbSbListener *l;
  g_autoptr(GSocketAddress) effective = NULL;

  if (!install_hook (error))
    return NULL;

  l = g_new0 (CbSbListener, 1);
  l->sandbox = sandbox;
  l->server = g_object_ref (server);
  l->certificate = g_object_ref (certificate);
  l->context = g_main_context_ref_thread_default ();
  l->conns = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) conn_unref, NULL);
  l->service = g_socket_service_new ();
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (l->service), 1024);

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (l->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, error))
    {
      cb_sb_listener_free (l);
      return NULL;
    }
  if (out_port != NULL)
    *out_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));

  if (!give_server_a_listener (server, error))
    {
      cb_sb_listener_free (l);
      return NULL;
    }

  g_signal_connect (l->service, "incoming", G_CALLBACK (incoming_cb), l);
  g_socket_service_start (l->service);

  l->sweep = g_timeout_source_new (250);
  g_source_set_callback (l->sweep, sweep_cb, l, NULL);
  g_source_attach (l->sweep, l->context);

  return l;
}

/* The lowest port anyone may listen on (Linux: 1024 unless the sysctl says otherwise). */
static guint
unprivileged_port_start (void)
{
  g_autofree char *text = NULL;
  guint64 value = 0;

  if (g_file_get_contents ("/proc/sys/net/ipv4/ip_unprivileged_port_start", &text, NULL, NULL) &&
      g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, 65536, &value, NULL))
    return (guint) value;
  return 1024;
}

gboolean
cb_sb_listener_add_address (CbSbListener    *l,
                            GSocketAddress  *address,
                            guint16         *out_port,
                            GError         **error)
{
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) local_error = NULL;
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (l->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_FAILED,
                     "Cannot listen on port %u (%s): only root or a program with the "
                     "CAP_NET_BIND_SERVICE capability may use a port below %u. Either run the "
                     "sandbox as root, or give it the capability once "
                     "(sudo setcap cap_net_bind_service=+ep <path of certbench-sandbox>), or let "
                     "every program use ports from %u up "
                     "(sudo sysctl net.ipv4.ip_unprivileged_port_start=%u)",
                     port, local_error->message, unprivileged_port_start (), port, port);
      else
        g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_FAILED,
                     "Cannot listen on port %u: %s", port, local_error->message);
      return FALSE;
    }
  if (out_port != NULL)
    *out_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return TRUE;
}

const char *
cb_sb_listener_get_server_name (SoupServerMessage *msg)
{
  if (server_name_quark == 0)
    return NULL;
  return g_object_get_qdata (G_OBJECT (msg), server_name_quark);
}

GTlsCertificate *
cb_sb_listener_get_peer_certificate (SoupServerMessage *msg)
{
  if (peer_quark == 0)
    return NULL;
  return g_object_get_qdata (G_OBJECT (msg), peer_quark);
}

/* Call after soup_server_disconnect(): libsoup has closed the connections it held. */
void
cb_sb_listener_free (CbSbListener *l)
{
  g_autoptr(GPtrArray) list = NULL;
  GHashTableIter iter;
  gpointer key;

  if (l == NULL)
    return;

  if (l->sweep != NULL)
    {
      g_source_destroy (l->sweep);
      g_source_unref (l->sweep);
    }

  g_socket_service_stop (l->service);
  g_socket_listener_close (G_SOCKET_LISTENER (l->service));
  g_signal_handlers_disconnect_by_data (l->service, l);

  list = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_unref);
  g_hash_table_iter_init (&iter, l->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (list, conn_ref (key));
  for (guint i = 0; i < list->len; i++)
    {
      Conn *c = g_ptr_array_index (list, i);

      conn_close (c);
      c->listener = NULL;
    }

  g_hash_table_destroy (l->conns);
  g_clear_object (&l->service);
  g_clear_object (&l->certificate);
  g_clear_object (&l->server);
  g_main_context_unref (l->context);
  g_free (l);
}
