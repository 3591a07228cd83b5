/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The sandbox's worker threads (cb-sb-workers.c): a request's CPU-heavy, state-free part (a
 * CSR's signature check, a leaf's signature) runs there while its answer waits, paused, and
 * the sandbox's thread serves other requests. */

#include "cb-sb-exchange.h"

G_BEGIN_DECLS

/* Runs in a worker thread: touches data only, never the sandbox. */
typedef void (*CbSbWorkFunc) (gpointer data);

/* Whether req may be deferred: it came over HTTP and no fault rule matched it (a rule is the
 * sandbox's to change meanwhile). */
gboolean      cb_sb_request_can_defer     (CbSbRequest   *req);
/* Called from req's handler, which then returns without replying: req's answer is paused,
 * work (data) runs in a worker thread, and then then (req) runs on the sandbox's thread with
 * its lock held, as a route handler does (it replies, or defers again), with data in
 * req->work (freed with free when replaced or when req ends). A sandbox stopped meanwhile
 * drops req unanswered. */
void          cb_sb_request_defer         (CbSbRequest   *req,
                                           CbSbWorkFunc   work,
                                           gpointer       data,
                                           GDestroyNotify free,
                                           CbSbHandler    then);

G_END_DECLS
