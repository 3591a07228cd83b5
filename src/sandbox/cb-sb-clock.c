/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Infrastructure: the sandbox's two clocks. The world clock (real time plus an offset, running
 * `rate` times as fast once a rate is set) is what devices and certificates see; the session
 * clock (real time plus the offset, never accelerated) is what sign-in tokens live on. The
 * world clock is kept in the store's meta table, so it survives a restart. */

#include "cb-sb-clock.h"
#include "cb-sb-store.h"

static gint64
clock_accel_usec (CbSandbox *self,
                  gint64     real_usec)
{
  if (self->clock_rate == 1.0)
    return self->clock_accel_usec;
  return self->clock_accel_usec +
         (gint64) ((double) (real_usec - self->clock_rate_since) * (self->clock_rate - 1.0));
}

gint64
cb_sb_now_usec (CbSandbox *self)
{
  gint64 real = g_get_real_time ();

  return real + self->clock_offset * G_USEC_PER_SEC + clock_accel_usec (self, real);
}

gint64
cb_sb_now (CbSandbox *self)
{
  return cb_sb_now_usec (self) / G_USEC_PER_SEC;
}

gint64
cb_sb_session_now (CbSandbox *self)
{
  return g_get_real_time () / G_USEC_PER_SEC + self->clock_offset;
}

/* The world clock belongs to the data, not to the process: certificates issued on a clock that
 * ran fast must not turn "not yet valid" when the sandbox restarts. Kept as the offset, the time
 * gained at earlier rates, and the current rate since when (all relative to real time). */
void
cb_sb_clock_save (CbSandbox *self)
{
  char rate[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *text = NULL;

  g_ascii_dtostr (rate, sizeof rate, self->clock_rate);
  text = g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s",
                          self->clock_offset, self->clock_accel_usec, self->clock_rate_since,
                          rate);
  if (!cb_sb_set_meta (self, "clock", text))
    g_warning ("The sandbox clock could not be saved: %s", sqlite3_errmsg (self->db));
}

void
cb_sb_clock_load (CbSandbox *self)
{
  g_autofree char *text = cb_sb_dup_meta (self, "clock");
  g_auto(GStrv) parts = NULL;
  double rate;

  if (text == NULL)
    return;
  parts = g_strsplit (text, " ", -1);
  if (g_strv_length (parts) != 4)
    return;
  rate = g_ascii_strtod (parts[3], NULL);
  if (!(rate >= 1.0 && rate <= 1e6))
    return;
  self->clock_offset = g_ascii_strtoll (parts[0], NULL, 10);
  self->clock_accel_usec = g_ascii_strtoll (parts[1], NULL, 10);
  self->clock_rate_since = g_ascii_strtoll (parts[2], NULL, 10);
  self->clock_rate = rate;
}

void
cb_sb_clock_set_rate (CbSandbox *self,
                      double     rate)
{
  gint64 real = g_get_real_time ();

  self->clock_accel_usec = clock_accel_usec (self, real);
  self->clock_rate_since = real;
  self->clock_rate = rate;
}

void
cb_sb_clock_advance (CbSandbox *self,
                     gint64     seconds)
{
  self->clock_offset += seconds;
}

void
cb_sb_clock_set_offset (CbSandbox *self,
                        gint64     seconds)
{
  gint64 real = g_get_real_time ();

  self->clock_offset = seconds;
  self->clock_accel_usec = 0;
  self->clock_rate_since = real;
}
