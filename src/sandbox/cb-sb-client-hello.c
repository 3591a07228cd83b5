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
 * descriptor and a poll entry, no thread. The caller's deadline closes it. */

#define RECORD_HEADER   5
#define RECORD_MAX      (RECORD_HEADER + 16384 + 2048)

struct _CbSbClientHello
{
  GSocket                *socket;
  GSource                *source;
  CbSbClientHelloFunc     func;
  gpointer                user_data;
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
  g_free (hello);
}
