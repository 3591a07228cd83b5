/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How long a device took to answer each kind of SMP request on a paced line, kept for the
 * process (cb-smp-answer-times.c): a station's next device of the same kind answers alike, so
 * its port can read the answer once, when it is likely whole, instead of at its first bytes
 * and again for their rest. A kind is a request's group, command, op and size in 64-byte
 * steps, and its ordinal: how many requests of that group, command, op and size went before it
 * on the same transport (0, 1, 2, then 3 for all later ones), so that two requests that look
 * alike but are answered differently in a device's sequence (read-back's two cert_get, one
 * answered with some 1,300 bytes, the other with 1,230) keep a time each. Times are in µs from
 * the last byte written to when the answer was whole (for one read in two, its rest's wire
 * time after the first part).  */
#define CB_SMP_ANSWER_ORDINAL_MAX 3

guint64 cb_smp_answer_times_key    (guint    group,
                                    guint    command,
                                    guint    op,
                                    gsize    payload_len,
                                    guint    ordinal);
gint64  cb_smp_answer_times_lookup (guint64  key);
void    cb_smp_answer_times_learn  (guint64  key,
                                    gint64   took_us,
                                    gboolean held_was_enough);
void    cb_smp_answer_times_forget (void);

G_END_DECLS
