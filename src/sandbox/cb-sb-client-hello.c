/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "cb-sb-client-hello.h"

/* Waiting for a client's whole first TLS record (its ClientHello) before the handshake starts.
 *
 * glib-networking runs every asynchronous TLS handshake in a thread of GLib's shared task pool
 * (about ten threads, growing slowly under load). A client that sends half a ClientHello and
 * stalls holds one of those threads, blocked in a read; a hundred of them kept every other
 * client's handshake queued for 35–55 s. Here the wait happens on the main context, on the
 * socket itself: SO_RCVLOWAT makes the socket readable only once the record header (5 bytes),
 * then the whole record it announces, has arrived, so a stalled client costs a file
 * descriptor and a poll entry, no thread. The caller's deadline closes it.
 *
 * Once the record is whole, the server name the client asked for (SNI) is read from it, so the
 * HTTPS side can route a request by the Azure host it was meant for. */

#define RECORD_HEADER   5
#define RECORD_MAX      (RECORD_HEADER + 16384 + 2048)

struct _CbSbClientHello
{
  GSocket                *socket;
  GSource                *source;
  CbSbClientHelloFunc     func;
  gpointer                user_data;
  char                   *server_name;
};

static void
set_low_water (GSocket *socket,
               int      bytes)
{
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVLOWAT, bytes, NULL);
}

/* Calls back once; the callback may free hello, so nothing touches it afterwards. */
static gboolean
finish (CbSbClientHello *hello,
        gboolean         complete)
{
  CbSbClientHelloFunc func = hello->func;

  set_low_water (hello->socket, 1);
  hello->func = NULL;
  if (func != NULL)
    func (complete, hello->user_data);
  return G_SOURCE_REMOVE;
}

/* Reads n big-endian bytes at *p if they are within end. */
static gboolean
read_uint (const guchar **p,
           const guchar  *end,
           guint          n,
           gsize         *out)
{
  gsize v = 0;

  if ((gsize) (end - *p) < n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    v = (v << 8) | (*p)[i];
  *p += n;
  *out = v;
  return TRUE;
}

static gboolean
skip (const guchar **p,
      const guchar  *end,
      gsize          n)
{
  if ((gsize) (end - *p) < n)
    return FALSE;
  *p += n;
  return TRUE;
}

/* The host_name of the server_name extension (RFC 6066) of a ClientHello record, or NULL. */
static char *
parse_server_name (const guchar *rec,
                   gsize         len)
{
  const guchar *p = rec + RECORD_HEADER;
  const guchar *end = rec + len;
  gsize v, ext_len;
  const guchar *ext_end;

  if (len < RECORD_HEADER + 4 || rec[0] != 0x16 || p[0] != 0x01)
    return NULL;
  p += 4;                                               /* handshake type and length */
  if (!skip (&p, end, 2 + 32) ||                        /* client version, random */
      !read_uint (&p, end, 1, &v) || !skip (&p, end, v) ||   /* session id */
      !read_uint (&p, end, 2, &v) || !skip (&p, end, v) ||   /* cipher suites */
      !read_uint (&p, end, 1, &v) || !skip (&p, end, v) ||   /* compression methods */
      !read_uint (&p, end, 2, &ext_len) || (gsize) (end - p) < ext_len)
    return NULL;

  ext_end = p + ext_len;
  while (p < ext_end)
    {
      gsize type, size, list_len, name_type, name_len;
      const guchar *data;

      if (!read_uint (&p, ext_end, 2, &type) || !read_uint (&p, ext_end, 2, &size) ||
          (gsize) (ext_end - p) < size)
        return NULL;
      data = p;
      p += size;
      if (type != 0)
        continue;

      if (!read_uint (&data, p, 2, &list_len) || !read_uint (&data, p, 1, &name_type) ||
          name_type != 0 || !read_uint (&data, p, 2, &name_len) || (gsize) (p - data) < name_len ||
          name_len == 0 || name_len > 253)
        return NULL;
      for (gsize i = 0; i < name_len; i++)
        if (!g_ascii_isalnum (data[i]) && data[i] != '-' && data[i] != '.')
          return NULL;
      return g_strndup ((const char *) data, name_len);
    }

  return NULL;
}

static void
read_server_name (CbSbClientHello *hello,
                  gsize            need)
{
  g_autofree guchar *rec = g_malloc (need);
  gssize n = recv (g_socket_get_fd (hello->socket), rec, need, MSG_PEEK | MSG_DONTWAIT);

  if (n == (gssize) need)
    hello->server_name = parse_server_name (rec, need);
}

static gboolean
readable_cb (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  CbSbClientHello *hello = data;
  guchar buf[RECORD_HEADER];
  gssize n;
  gsize need;

  n = recv (g_socket_get_fd (socket), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    return finish (hello, FALSE);     /* gone (or failed) before its hello was complete */

  if (n < RECORD_HEADER)
    {
      set_low_water (socket, RECORD_HEADER);
      return G_SOURCE_CONTINUE;
    }

  /* Anything but a TLS handshake record goes to the TLS layer at once: it fails on the data
   * that is there, so it holds no thread. */
  need = RECORD_HEADER + (((gsize) buf[3] << 8) | buf[4]);
  if (buf[0] == 0x16 && need <= RECORD_MAX &&
      g_socket_get_available_bytes (socket) < (gssize) need)
    {
      set_low_water (socket, (int) need);
      return G_SOURCE_CONTINUE;
    }

  if (buf[0] == 0x16 && need <= RECORD_MAX)
    read_server_name (hello, need);
  return finish (hello, TRUE);
}

CbSbClientHello *
cb_sb_client_hello_wait (GSocket             *socket,
                         GMainContext        *context,
                         CbSbClientHelloFunc  func,
                         gpointer             user_data)
{
  CbSbClientHello *hello = g_new0 (CbSbClientHello, 1);

  hello->socket = g_object_ref (socket);
  hello->func = func;
  hello->user_data = user_data;

  set_low_water (socket, RECORD_HEADER);
  hello->source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (hello->source, (GSourceFunc) (void (*) (void)) readable_cb, hello, NULL);
  g_source_attach (hello->source, context);

  return hello;
}

void
cb_sb_client_hello_free (CbSbClientHello *hello)
{
  if (hello == NULL)
    return;

  hello->func = NULL;
  if (hello->source != NULL)
    {
      g_source_destroy (hello->source);
      g_clear_pointer (&hello->source, g_source_unref);
    }
  g_clear_object (&hello->socket);
  g_free (hello->server_name);
  g_free (hello);
}

const char *
cb_sb_client_hello_get_server_name (CbSbClientHello *hello)
{
  return hello->server_name;
}
