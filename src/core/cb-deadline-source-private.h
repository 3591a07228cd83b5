/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A GSource that fires at a monotonic time its owner sets in place, read at each loop
 * iteration (cb-deadline-source.c): g_source_set_ready_time() signals the main context's wakeup
 * fd at every change, a spurious poll wake-up for each frame or request that moves a deadline.
 * It lives until destroyed; after firing it is disarmed (at = -1) and its callback's return
 * value is ignored. */
typedef struct
{
  GSource source;
  gint64  at;               /* monotonic µs it fires at, or -1: disarmed */
} CbDeadlineSource;

CbDeadlineSource *cb_deadline_source_new (void);

G_END_DECLS
