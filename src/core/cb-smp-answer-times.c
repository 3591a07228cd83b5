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
 * (ANSWER_HOLD_MAX_US) and creeps down by a 32nd each time it proved long enough, until a
 * read comes early and the time is learnt again. One table for the process, as the checked CA
 * links are (cb-x509.c): the devices a station serves one after the other on new ports are of
 * a kind, and the first exchange of each kind is read the usual way. */

#include "config.h"

#include "cb-smp-answer-times-private.h"

/* Longer answers are read the usual way: a hold delays what a faster device sends, and a
 * UART's hangup is noticed only at its end (cf. TIMED_WAIT_MAX_US in cb-serial-port.c). */
#define ANSWER_HOLD_MAX_US (150 * 1000)
/* A time that proved long enough comes down by at least this much. */
#define ANSWER_CREEP_MIN_US 500
/* Kinds kept at most (a device speaks about a dozen): a hostile or odd device cannot grow it. */
#define ANSWER_KINDS_MAX 256

static GMutex lock;
static GHashTable *times;  /* key → time in µs, both as pointers */

guint32
cb_smp_answer_times_key (guint group,
                         guint command,
                         guint op,
                         gsize payload_len)
{
  return ((guint32) (group & 0xffff) << 16) | ((guint32) (command & 0xff) << 8) |
         ((guint32) (op & 0x7) << 5) | (guint32) MIN (payload_len / 64, 31);
}

/* The time to hold the port for the answer to a request of this kind, or 0: none known. */
gint64
cb_smp_answer_times_lookup (guint32 key)
{
  gpointer value = NULL;

  g_mutex_lock (&lock);
  if (times != NULL)
    value = g_hash_table_lookup (times, GUINT_TO_POINTER (key));
  g_mutex_unlock (&lock);

  return (gint64) GPOINTER_TO_UINT (value);
}

/* What the answer to a request of this kind took; held_was_enough: the port was held for the
 * known time and the answer was whole when it read. */
void
cb_smp_answer_times_learn (guint32  key,
                           gint64   took_us,
                           gboolean held_was_enough)
{
  g_mutex_lock (&lock);
  if (times == NULL)
    times = g_hash_table_new (NULL, NULL);

  if (held_was_enough)
    took_us -= MAX (took_us / 32, ANSWER_CREEP_MIN_US);

  if (took_us <= 0 || took_us > ANSWER_HOLD_MAX_US)
    g_hash_table_remove (times, GUINT_TO_POINTER (key));
  else if (g_hash_table_size (times) < ANSWER_KINDS_MAX ||
           g_hash_table_contains (times, GUINT_TO_POINTER (key)))
    g_hash_table_insert (times, GUINT_TO_POINTER (key), GUINT_TO_POINTER ((guint) took_us));
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
