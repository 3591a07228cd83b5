/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the router's side the assembly wires (routes are added with
 * cb_sb_add_route(), cb-sb-request.h). */

#include <libsoup/soup.h>
#include "cb-sb-exchange.h"
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* For the sandbox's route table (self->routes). */
void          cb_sb_route_free            (CbSbRoute         *route);
/* The SoupServer handler for every path; user_data is the CbSandbox. */
void          cb_sb_router_handle         (SoupServer        *server,
                                           SoupServerMessage *msg,
                                           const char        *path,
                                           GHashTable        *query,
                                           gpointer           user_data);

/* The next step of a request a worker had (cb-sb-workers.c), on the sandbox's thread: then
 * runs as its route's handler did, with the lock held, and the request finishes as any does. */
void          cb_sb_router_resume         (CbSbRequest       *req,
                                           CbSbHandler        then);

G_END_DECLS
