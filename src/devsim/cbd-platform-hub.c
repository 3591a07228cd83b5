/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cbd-hub"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <mosquitto.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "cb-x509.h"
#include "cbd-host.h"

/* The device's hub connection on libmosquitto, driven by the GLib main context instead of
 * mosquitto's own threads: a fleet runs thousands of these in one process. Each connection
 * attempt gets its own struct mosquitto (a Conn); a closed one is destroyed from an idle
 * callback, because the device may close or replace a connection from inside one of its
 * callbacks, which run inside mosquitto_loop_read(). */

typedef struct
{
  GSource  source;
  gpointer tag;
  gpointer conn;
} ConnSource;

typedef struct
{
  CbdHub           *hub;       /* NULL once dead */
  struct mosquitto *mosq;
  ConnSource       *source;
  int               fd;
  GIOCondition      cond;
  guint             misc_timer;
  gboolean          tcp_up;      /* the non-blocking TCP connect completed */
  int               connect_errno;
  gboolean          connected;   /* CONNACK accepted */
  gboolean          reported;    /* the outcome went to the device */
  char             *tls_error;   /* last OpenSSL error libmosquitto logged */
} Conn;

struct _CbdHub
{
  char       *dir;
  char       *cert_path;
  char       *key_path;
  cbd_device *device;
  Conn       *conn;
};

static void conn_update_watch (Conn *conn);

static void
hub_lib_init (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      mosquitto_lib_init ();
      g_once_init_leave (&done, 1);
    }
}

CbdHub *
cbd_hub_new (const char *dir)
{
  CbdHub *hub = g_new0 (CbdHub, 1);

  hub_lib_init ();
  hub->dir = g_strdup (dir);
  hub->cert_path = g_build_filename (dir, "hub-client.pem", NULL);
  hub->key_path = g_build_filename (dir, "hub-client-key.pem", NULL);
  return hub;
}

void
cbd_hub_set_device (CbdHub     *hub,
                    cbd_device *device)
{
  hub->device = device;
}

/* ---- one connection ---- */

static void
conn_destroy (Conn *conn)
{
  g_clear_handle_id (&conn->misc_timer, g_source_remove);
  if (conn->source != NULL)
    {
      g_source_destroy ((GSource *) conn->source);
      g_source_unref ((GSource *) conn->source);
      conn->source = NULL;
    }
  if (conn->mosq != NULL)
    mosquitto_destroy (conn->mosq);
  g_free (conn->tls_error);
  g_free (conn);
}

static gboolean
conn_destroy_idle (gpointer user_data)
{
  conn_destroy (user_data);
  return G_SOURCE_REMOVE;
}

/* Detaches conn from its hub and closes it; the memory goes in an idle. */
static void
conn_close (Conn *conn)
{
  if (conn->hub != NULL && conn->hub->conn == conn)
    conn->hub->conn = NULL;
  conn->hub = NULL;
  g_clear_handle_id (&conn->misc_timer, g_source_remove);
  if (conn->source != NULL)
    {
      g_source_destroy ((GSource *) conn->source);
      g_source_unref ((GSource *) conn->source);
      conn->source = NULL;
    }
  if (conn->connected)
    mosquitto_disconnect (conn->mosq);
  g_idle_add (conn_destroy_idle, conn);
}

/* Reports the end of conn to the device once, then closes conn. */
static void
conn_fail (Conn           *conn,
           cbd_hub_event   event,
           const char     *text)
{
  CbdHub *hub = conn->hub;

  conn_close (conn);
  if (hub != NULL && hub->device != NULL)
    cbd_device_hub_event (hub->device, event, text);
}

static void
on_connect (struct mosquitto *mosq,
            void             *obj,
            int               rc)
{
  Conn *conn = obj;
  static const char *const reasons[] = {
    NULL, "unacceptable protocol version", "identifier rejected", "server unavailable",
    "bad user name or password", "not authorized",
  };
  g_autofree char *text = NULL;

  if (conn->hub == NULL)
    return;
  if (rc == 0)
    {
      conn->connected = TRUE;
      conn->reported = TRUE;
      if (conn->hub->device != NULL)
        cbd_device_hub_event (conn->hub->device, CBD_HUB_EV_CONNECTED, NULL);
      if (conn->hub != NULL)
        conn_update_watch (conn);
      return;
    }
  text = g_strdup_printf ("CONNACK %d: %s", rc,
                          rc > 0 && rc < (int) G_N_ELEMENTS (reasons) ? reasons[rc]
                                                                     : "refused");
  conn->reported = TRUE;
  conn_fail (conn, CBD_HUB_EV_REFUSED, text);
}

static void
on_disconnect (struct mosquitto *mosq,
               void             *obj,
               int               rc)
{
  Conn *conn = obj;
  int saved = errno;
  g_autofree char *text = NULL;

  if (conn->hub == NULL || (conn->reported && !conn->connected))
    return;
  if (conn->tls_error != NULL)
    text = g_strdup_printf ("TLS: %s", conn->tls_error);
  else if (rc == MOSQ_ERR_ERRNO)
    text = g_ascii_strdown (g_strerror (saved), -1);
  else if (rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_NO_CONN)
    text = g_strdup ("connection lost");
  else if (rc == MOSQ_ERR_KEEPALIVE)
    text = g_strdup ("keep-alive timeout");
  else
    text = g_strdup (mosquitto_strerror (rc));
  conn_fail (conn, conn->connected ? CBD_HUB_EV_DISCONNECTED : CBD_HUB_EV_UNREACHABLE, text);
}

static void
on_message (struct mosquitto               *mosq,
            void                           *obj,
            const struct mosquitto_message *msg)
{
  Conn *conn = obj;

  if (conn->hub == NULL || conn->hub->device == NULL || msg->topic == NULL)
    return;
  cbd_device_hub_message (conn->hub->device, msg->topic, msg->payload,
                          msg->payloadlen > 0 ? (size_t) msg->payloadlen : 0);
}

static void
on_log (struct mosquitto *mosq,
        void             *obj,
        int               level,
        const char       *line)
{
  Conn *conn = obj;
  const char *reason;

  /* "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed" */
  if (g_str_has_prefix (line, "OpenSSL Error"))
    {
      reason = strrchr (line, ':');
      g_free (conn->tls_error);
      conn->tls_error = g_strdup (reason != NULL && reason[1] != 0 ? g_strstrip ((char *) reason + 1) : line);
    }
}

/* ---- the main-context glue ---- */

/* A loop function's result: errors that libmosquitto did not report through on_disconnect
 * (a failed TLS handshake returns without it) end the connection here. */
static void
conn_check_rc (Conn *conn,
               int   rc)
{
  int saved = errno;

  if (conn->hub == NULL || rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_CONN_PENDING ||
      (rc == MOSQ_ERR_ERRNO && (saved == EAGAIN || saved == EWOULDBLOCK || saved == EINTR)))
    return;
  if (conn->reported && !conn->connected)
    return;
  errno = saved;
  on_disconnect (conn->mosq, conn, rc);
}

static void
conn_io (Conn         *conn,
         GIOCondition  revents)
{
  struct mosquitto *mosq = conn->mosq;
  int rc;

  /* The end of the non-blocking connect: writable, or an error on the socket. libmosquitto
   * 2.0 does not notice a failed connect (its first TLS write already consumed SO_ERROR and
   * its loop functions keep answering success), so look at the socket here. */
  if (!conn->tcp_up && (revents & (G_IO_OUT | G_IO_ERR | G_IO_HUP)))
    {
      struct sockaddr_storage peer;
      socklen_t peer_len = sizeof peer;
      int err = 0;
      socklen_t len = sizeof err;

      if (getsockopt (conn->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err == 0)
        {
          if (getpeername (conn->fd, (struct sockaddr *) &peer, &peer_len) != 0)
            err = conn->connect_errno == ECONNREFUSED || conn->connect_errno == ETIMEDOUT ||
                  conn->connect_errno == EHOSTUNREACH || conn->connect_errno == ENETUNREACH
                    ? conn->connect_errno : ECONNREFUSED;
        }
      if (err != 0)
        {
          g_autofree char *text = g_ascii_strdown (g_strerror (err), -1);
          conn->reported = TRUE;
          conn_fail (conn, CBD_HUB_EV_UNREACHABLE, text);
          return;
        }
      conn->tcp_up = TRUE;
    }

  /* Callbacks in here may close conn (hub set to NULL); the memory stays until the idle.
   * Reading also drives the TLS handshake, so it runs on writability before the CONNACK. */
  if (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR) || !conn->connected)
    {
      rc = mosquitto_loop_read (mosq, 1);
      conn_check_rc (conn, rc);
    }
  if (conn->hub != NULL && (revents & G_IO_OUT) && mosquitto_socket (mosq) >= 0)
    {
      rc = mosquitto_loop_write (mosq, 1);
      conn_check_rc (conn, rc);
    }
  if (conn->hub != NULL && mosquitto_socket (mosq) < 0 && !conn->reported)
    on_disconnect (mosq, conn, MOSQ_ERR_CONN_LOST);
  if (conn->hub != NULL)
    conn_update_watch (conn);
}

static gboolean
conn_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     user_data)
{
  ConnSource *cs = (ConnSource *) source;

  conn_io (cs->conn, g_source_query_unix_fd (source, cs->tag));
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs conn_source_funcs = { NULL, NULL, conn_dispatch, NULL, NULL, NULL };

static void
conn_update_watch (Conn *conn)
{
  int fd = mosquitto_socket (conn->mosq);
  GIOCondition cond = G_IO_IN;

  /* Writability ends the non-blocking TCP connect; after that only when there is output. */
  if (mosquitto_want_write (conn->mosq) || !conn->tcp_up)
    cond |= G_IO_OUT;

  if (conn->source != NULL && (fd != conn->fd || fd < 0))
    {
      g_source_destroy ((GSource *) conn->source);
      g_source_unref ((GSource *) conn->source);
      conn->source = NULL;
    }
  if (fd < 0)
    return;
  if (conn->source == NULL)
    {
      conn->source = (ConnSource *) g_source_new (&conn_source_funcs, sizeof (ConnSource));
      conn->source->conn = conn;
      conn->fd = fd;
      conn->cond = cond;
      conn->source->tag = g_source_add_unix_fd ((GSource *) conn->source, fd, cond);
      g_source_attach ((GSource *) conn->source, g_main_context_get_thread_default ());
    }
  else if (cond != conn->cond)
    {
      conn->cond = cond;
      g_source_modify_unix_fd ((GSource *) conn->source, conn->source->tag, cond);
    }
}

static gboolean
misc_cb (gpointer user_data)
{
  Conn *conn = user_data;

  if (conn->hub == NULL)
    return G_SOURCE_CONTINUE;
  if (mosquitto_loop_misc (conn->mosq) != MOSQ_ERR_SUCCESS && !conn->reported)
    {
      conn->misc_timer = 0;
      on_disconnect (conn->mosq, conn, MOSQ_ERR_KEEPALIVE);
      return G_SOURCE_REMOVE;
    }
  /* A keep-alive PINGREQ may be queued. */
  if (conn->hub != NULL)
    conn_update_watch (conn);
  return G_SOURCE_CONTINUE;
}

/* ---- the platform callbacks ---- */

static gboolean
write_private (const char  *path,
               const char  *data,
               gsize        len,
               GError     **error)
{
  g_autofree char *old = NULL;
  gsize old_len = 0;

  /* Unchanged on most reconnects: a fleet of a thousand need not rewrite (and sync) them. */
  if (g_file_get_contents (path, &old, &old_len, NULL) && old_len == len &&
      memcmp (old, data, len) == 0)
    {
      memset (old, 0, old_len);
      return TRUE;
    }
  if (old != NULL)
    memset (old, 0, old_len);
  /* Only libmosquitto reads them, right after this: no fsync needed (the device's own
   * storage keeps the real copies). */
  return g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_NONE, 0600,
                                   error);
}

/* The chain as PEM for mosquitto_tls_set. */
static char *
chain_to_pem (const uint8_t *chain,
              size_t         len)
{
  GString *pem = g_string_new (NULL);
  size_t pos = 0;

  while (pos < len)
    {
      size_t n = cbd_der_element_len (chain + pos, len - pos);
      g_autoptr(GBytes) der = NULL;
      g_autoptr(CbCertificate) cert = NULL;
      g_autofree char *one = NULL;

      if (n == 0)
        break;
      der = g_bytes_new (chain + pos, n);
      cert = cb_certificate_new_from_der (der, NULL);
      if (cert == NULL)
        break;
      one = cb_certificate_to_pem (cert);
      g_string_append (pem, one);
      pos += n;
    }
  return g_string_free (pem, FALSE);
}

int
cbd_hub_connect (void                 *ctx,
                 const cbd_hub_params *params)
{
  CbdHub *hub = ctx;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *host = NULL;
  const char *colon;
  Conn *conn;
  int port = 8883, rc;

  if (hub->conn != NULL)
    conn_close (hub->conn);

  colon = strrchr (params->endpoint, ':');
  if (colon != NULL && colon[1] != 0 && strchr (colon, ']') == NULL)
    {
      host = g_strndup (params->endpoint, (gsize) (colon - params->endpoint));
      port = atoi (colon + 1);
    }
  else
    host = g_strdup (params->endpoint);
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);
      g_free (host);
      host = inner;
    }

  pem = chain_to_pem (params->chain, params->chain_len);
  if (!write_private (hub->cert_path, pem, strlen (pem), &error) ||
      !write_private (hub->key_path, (const char *) params->key, params->key_len, &error))
    {
      g_warning ("Hub: cannot write the client credentials: %s", error->message);
      return -1;
    }

  conn = g_new0 (Conn, 1);
  conn->hub = hub;
  conn->fd = -1;
  conn->mosq = mosquitto_new (params->device_id, true, conn);
  if (conn->mosq == NULL)
    {
      g_free (conn);
      return -1;
    }
  mosquitto_int_option (conn->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set (conn->mosq, on_connect);
  mosquitto_disconnect_callback_set (conn->mosq, on_disconnect);
  mosquitto_message_callback_set (conn->mosq, on_message);
  mosquitto_log_callback_set (conn->mosq, on_log);
  mosquitto_username_pw_set (conn->mosq, params->username, NULL);
  rc = mosquitto_tls_set (conn->mosq, params->ca_path,
                          params->ca_path == NULL ? "/etc/ssl/certs" : NULL,
                          hub->cert_path, hub->key_path, NULL);
  if (rc == MOSQ_ERR_SUCCESS)
    rc = mosquitto_tls_opts_set (conn->mosq, 1, "tlsv1.2", NULL);
  if (rc != MOSQ_ERR_SUCCESS)
    {
      g_warning ("Hub: TLS setup failed: %s", mosquitto_strerror (rc));
      conn_destroy (conn);
      return -1;
    }

  hub->conn = conn;
  conn->misc_timer = g_timeout_add_seconds (1, misc_cb, conn);
  errno = 0;
  rc = mosquitto_connect_async (conn->mosq, host, port, params->keepalive > 0 ? params->keepalive : 60);
  conn->connect_errno = errno;
  if (rc != MOSQ_ERR_SUCCESS)
    {
      /* On loopback the TCP connect, and then the TLS handshake, may end inside the call. */
      g_autofree char *text = conn->tls_error != NULL
                                ? g_strdup_printf ("TLS: %s", conn->tls_error)
                                : rc == MOSQ_ERR_ERRNO ? g_ascii_strdown (g_strerror (errno), -1)
                                                       : g_strdup (mosquitto_strerror (rc));
      /* Reported like any unreachable hub: the device retries with its backoff. */
      conn->reported = TRUE;
      conn_fail (conn, CBD_HUB_EV_UNREACHABLE, text);
      return 0;
    }
  conn_update_watch (conn);
  return 0;
}

void
cbd_hub_disconnect (void *ctx)
{
  CbdHub *hub = ctx;

  if (hub->conn != NULL)
    conn_close (hub->conn);
}

int
cbd_hub_subscribe (void       *ctx,
                   const char *topic)
{
  CbdHub *hub = ctx;

  if (hub->conn == NULL || !hub->conn->connected ||
      mosquitto_subscribe (hub->conn->mosq, NULL, topic, 0) != MOSQ_ERR_SUCCESS)
    return -1;
  conn_update_watch (hub->conn);
  return 0;
}

int
cbd_hub_publish (void          *ctx,
                 const char    *topic,
                 const uint8_t *payload,
                 size_t         len)
{
  CbdHub *hub = ctx;

  if (hub->conn == NULL || !hub->conn->connected ||
      mosquitto_publish (hub->conn->mosq, NULL, topic, (int) len, payload, 1, false) !=
        MOSQ_ERR_SUCCESS)
    return -1;
  conn_update_watch (hub->conn);
  return 0;
}

void
cbd_hub_free (CbdHub *hub)
{
  if (hub == NULL)
    return;
  if (hub->conn != NULL)
    {
      Conn *conn = hub->conn;

      /* No idle: the main loop may not run again. */
      conn->hub = NULL;
      hub->conn = NULL;
      if (conn->connected)
        mosquitto_disconnect (conn->mosq);
      conn_destroy (conn);
    }
  g_free (hub->dir);
  g_free (hub->cert_path);
  g_free (hub->key_path);
  g_free (hub);
}
