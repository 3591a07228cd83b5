/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-smp-transport"

/* The answer times a station learns from its devices (cb-smp-answer-times-private.h).
 *
 * What a time is for: on a line the port has measured paced (a UART, the devsim), the station
 * would otherwise wake at an answer's first bytes, learn its length from them, and wake again
 * once the rest has had its wire time: two wake-ups an exchange, about thirteen exchanges a
 * device. Held until the time the same kind of request took last, the port reads the answer
 * once. A guess too early costs what it costs today (the rest is read at its wire time); too
 * late, it delays the answer by the difference, so a time is only used while it is short
 * (ANSWER_HOLD_MAX_US) and creeps down by a 64th each time it proved long enough, until a
 * read comes early and the time is learnt again, with a 16th more: a split read every dozen
 * exchanges of a kind or so, for some 3 % more wall time on each (bench-station's ratio). One table for the process, as the checked CA
 * links are (cb-x509.c): the devices a station serves one after the other on new ports are of
 * a kind, and the first exchange of each kind is read the usual way. */

#include "config.h"

#include "cb-smp-answer-times-private.h"

/* Longer answers are read the usual way: a hold delays what a faster device sends, and a
 * UART's hangup is noticed only at its end (cf. TIMED_WAIT_MAX_US in cb-serial-port.c). */
#define ANSWER_HOLD_MAX_US (150 * 1000)
/* A time that proved long enough comes down by a 64th of it, at least this much. */
#define ANSWER_CREEP_DIV    64
#define ANSWER_CREEP_MIN_US 250
/* A time learnt from an answer that was not whole at the hold (or not held) is kept a 16th
 * longer: devices of a kind answer alike, not exactly alike (a certificate's length varies by
 * a few dozen bytes, a UART hands bytes over in bursts), and a time at the edge comes early
 * at the next creep, a wake-up more each time. */
#define ANSWER_MARGIN_DIV   16
/* Kinds kept at most (a device speaks about a dozen): a hostile or odd device cannot grow it. */
#define ANSWER_KINDS_MAX 256

static GMutex lock;
static GHashTable *times;  /* key (a gint64, owned) → time in µs as a pointer */

guint64
cb_smp_answer_times_key (guint group,
                         guint command,
                         guint op,
                         gsize payload_len,
                         guint ordinal)
{
  return ((guint64) (group & 0xffff) << 24) | ((guint64) (command & 0xff) << 16) |
         ((guint64) (op & 0x7) << 8) | ((guint64) MIN (payload_len / 64, 31) << 3) |
         (guint64) MIN (ordinal, CB_SMP_ANSWER_ORDINAL_MAX);
}

/* The time to hold the port for the answer to a request of this kind, or 0: none known. */
gint64
cb_smp_answer_times_lookup (guint64 key)
{
  gint64 k = (gint64) key;
  gpointer value = NULL;

  g_mutex_lock (&lock);
  if (times != NULL)
    value = g_hash_table_lookup (times, &k);
  g_mutex_unlock (&lock);

  return (gint64) GPOINTER_TO_UINT (value);
}

/* What the answer to a request of this kind took; held_was_enough: the port was held for the
 * known time and the answer was whole when it read. */
void
cb_smp_answer_times_learn (guint64  key,
                           gint64   took_us,
                           gboolean held_was_enough)
{
  gint64 k = (gint64) key;

  g_mutex_lock (&lock);
  if (times == NULL)
    times = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  if (held_was_enough)
    took_us -= MAX (took_us / ANSWER_CREEP_DIV, ANSWER_CREEP_MIN_US);
  else
    took_us += took_us / ANSWER_MARGIN_DIV;

  if (took_us <= 0 || took_us > ANSWER_HOLD_MAX_US)
    g_hash_table_remove (times, &k);
  else if (g_hash_table_size (times) < ANSWER_KINDS_MAX || g_hash_table_contains (times, &k))
    g_hash_table_insert (times, g_memdup2 (&k, sizeof k), GUINT_TO_POINTER ((guint) took_us));
  g_mutex_unlock (&lock);
}

/* For tests that need a station that has learnt nothing. */
void
cb_smp_answer_times_forget (void)
{
  g_mutex_lock (&lock);
  g_clear_pointer (&times, g_hash_table_unref);
  g_mutex_unlock (&lock);
}
