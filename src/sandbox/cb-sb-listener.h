/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: the HTTPS listener (cb-sb-listener.c). */

#include <gio/gio.h>
#include <libsoup/soup.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

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
/* Listens on one more address (the --azure-hosts mode's port 443) for the same server. */
gboolean      cb_sb_listener_add_address  (CbSbListener     *listener,
                                           GSocketAddress   *address,
                                           guint16          *out_port,
                                           GError          **error);
/* The server name (SNI) the TLS client that sent msg asked for, or NULL. */
const char   *cb_sb_listener_get_server_name (SoupServerMessage *msg);
/* The certificate the TLS client that sent msg presented (the listener asks every client
 * for one and requires none), or NULL. */
GTlsCertificate *cb_sb_listener_get_peer_certificate (SoupServerMessage *msg);

G_END_DECLS
