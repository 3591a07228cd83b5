/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: waiting for a client's whole ClientHello before a TLS handshake
 * (cb-sb-client-hello.c). */

#include <gio/gio.h>

G_BEGIN_DECLS

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
/* The server name (SNI) the ClientHello asked for, NULL when it named none; valid once the
 * callback was called with complete TRUE, until the hello is freed. */
const char   *cb_sb_client_hello_get_server_name (CbSbClientHello *hello);

G_END_DECLS
