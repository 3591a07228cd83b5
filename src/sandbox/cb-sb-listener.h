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

G_END_DECLS
