/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Group commit for the DPS device requests (cb-sb-batch.c): the requests one turn of the main
 * loop handles share one SQLite commit, and their answers wait for it. */

#include "cb-sb-exchange.h"

G_BEGIN_DECLS

/* Opens the batch if none is open (a savepoint the following turn of the main loop commits)
 * and marks req as joining it. FALSE (nothing done) for a request without an HTTP message. */
gboolean      cb_sb_batch_join            (CbSbRequest *req);
/* req's handler is done: its answer waits, paused, until the batch commits. */
void          cb_sb_batch_hold            (CbSbRequest *req);
/* req's handler is done but its answer is not written yet (a worker has it, cb-sb-workers.c):
 * its writes so far stay in the batch, and its next step joins a batch again. */
void          cb_sb_batch_leave           (CbSbRequest *req);
/* Whether the writes req made before it left a batch were committed (or are still in the open
 * batch, which its next step joins): FALSE when that batch's commit failed and took them back.
 * The next step then writes nothing and answers 500 with x-ms-error-code 500214 and
 * cb_sb_batch_failed_body, as a held answer of that batch did. */
gboolean      cb_sb_batch_left_committed  (CbSbRequest *req);
extern const char cb_sb_batch_failed_body[];
/* Commits the open batch, if any, and sends the answers it held (500 if the commit failed).
 * The router calls it before every request that does not join the batch. */
void          cb_sb_batch_flush           (CbSandbox   *self);
/* The same, but only in the thread that runs the sandbox's main loop and not while a joining
 * request is being handled (cb_sb_lock calls it: MQTT, timers, teardown). */
void          cb_sb_batch_flush_owned     (CbSandbox   *self);

G_END_DECLS
