/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device clock of the devsim: real time, or the sandbox's world clock (which may run
 * faster than real time: GET /sandbox/clock returns {"now", "offsetSeconds", "rate"}). One
 * clock serves every device of a process. */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct _CbdClock CbdClock;

/* url NULL: real time. Otherwise the clock polls url (GET, every ~5 s, on the thread-default
 * main context) and extrapolates now = now_at_fetch + (real - real_at_fetch) * rate between
 * polls; ca_file (may be NULL: system trust) is pinned for the HTTPS GET. Until the first
 * answer arrives the clock shows real time. */
CbdClock   *cbd_clock_new          (const char    *url,
                                    const char    *ca_file,
                                    GError       **error);
void        cbd_clock_free         (CbdClock      *clock);
/* Follows another clock from now on (url NULL: real time), e.g. when the station switches to
 * another sandbox. Until its first answer the clock shows real time. */
gboolean    cbd_clock_follow       (CbdClock      *clock,
                                    const char    *url,
                                    const char    *ca_file,
                                    GError       **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbdClock, cbd_clock_free)

/* Iterates the thread-default main context until the first poll answered or failed, at most
 * timeout_ms. FALSE with error when the URL could not be read. */
gboolean    cbd_clock_wait_synced  (CbdClock      *clock,
                                    guint          timeout_ms,
                                    GError       **error);
/* Fetches again now (e.g. right after the caller changed the sandbox clock's rate). */
void        cbd_clock_refresh      (CbdClock      *clock);

/* Device time, Unix seconds. clock may be NULL (real time). */
gint64      cbd_clock_now          (CbdClock      *clock);
/* Rate of the followed clock (1.0 for real time). */
double      cbd_clock_get_rate     (CbdClock      *clock);

/* cbd_platform callbacks: ctx is a CbdClock (or NULL for real time). */
int64_t     cbd_clock_now_cb       (void          *ctx);
/* Real monotonic milliseconds (ctx ignored). */
int64_t     cbd_clock_monotonic_ms (void          *ctx);

G_END_DECLS
