/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: setting the sandbox's clocks (reading them: cb_sb_now() and friends in
 * cb-sb-world.h). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Keeps the world clock in the store / reads it back at start. */
void          cb_sb_clock_save            (CbSandbox   *self);
void          cb_sb_clock_load            (CbSandbox   *self);
/* World seconds per real second from now on (1: real time). */
void          cb_sb_clock_set_rate        (CbSandbox   *self,
                                           double       rate);
/* Jumps the clock; keeps the rate. */
void          cb_sb_clock_advance         (CbSandbox   *self,
                                           gint64       seconds);
/* Sets the offset from real time and forgets the time gained at earlier rates. */
void          cb_sb_clock_set_offset      (CbSandbox   *self,
                                           gint64       seconds);

G_END_DECLS
