/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: connections (ClientHello wait, the HTTPS listener) and the data folder's lock. */

#include <gio/gio.h>
#include <libsoup/soup.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* ---- Connections and the data folder ------------------------------------------------- */

/* Waits, on context, until socket holds a whole TLS record (the ClientHello), then calls
 * func once: complete is FALSE when the client went away first. Free it to stop waiting. */
typedef struct _CbSbClientHello CbSbClientHello;
typedef void (*CbSbClientHelloFunc) (gboolean complete,
                                     gpointer user_data);
CbSbClientHello *cb_sb_client_hello_wait  (GSocket             *socket,
                                           GMainContext        *context,
                                           CbSbClientHelloFunc  func,
                                           gpointer             user_data);
void          cb_sb_client_hello_free     (CbSbClientHello *hello);

/* The HTTPS listener: accepts, handshakes (with a deadline) and hands connections to server;
 * closes idle ones. Free it after soup_server_disconnect(). */
typedef struct _CbSbListener CbSbListener;
CbSbListener *cb_sb_listener_new          (CbSandbox        *sandbox,
                                           SoupServer       *server,
                                           GTlsCertificate  *certificate,
                                           GSocketAddress   *address,
                                           guint16          *out_port,
                                           GError          **error);
void          cb_sb_listener_free         (CbSbListener     *listener);

/* Locks data_dir for this sandbox; returns the lock's fd (close it to unlock) or -1 with
 * CB_SANDBOX_ERROR_IN_USE naming the folder and the other sandbox's pid. */
int           cb_sb_lock_data_dir         (const char  *data_dir,
                                           GError     **error);

G_END_DECLS
