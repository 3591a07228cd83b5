/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-serial-port.h"

G_BEGIN_DECLS

/* What a port has cost so far, for the tests that hold its line to a budget: calls, not time,
 * so that they do not move with the machine's load. */
typedef struct
{
  guint64 wake_ups;     /* reads of the line (bytes-received or a timed wait's end) */
  guint64 reads;        /* read(2) calls on the line, EAGAIN included */
  guint64 vmin_sets;    /* TCSETS ioctls that changed VMIN */
  guint64 held_waits;   /* waits held back by cb_serial_port_hold_read() */
  guint64 measuring_waits; /* VMIN waits that measure whether the line is paced */
} CbSerialPortCounts;

void cb_serial_port_get_counts (CbSerialPort       *self,
                                CbSerialPortCounts *counts);

/* A port's one reader: what a read(2) returned, before any `bytes-received` handler, without
 * the signal's GBytes and marshalling (an SMP station reads its line some 30 times a
 * device and its transport is the only listener). It may close the port or drop its last
 * reference. */
typedef void (*CbSerialPortReader) (CbSerialPort *port,
                                    const guint8 *data,
                                    gsize         len,
                                    gpointer      user_data);

gboolean cb_serial_port_set_reader   (CbSerialPort       *self,
                                      CbSerialPortReader  reader,
                                      gpointer            user_data);
void     cb_serial_port_clear_reader (CbSerialPort       *self,
                                      gpointer            user_data);

/* The reader expects nothing it can use before @until (monotonic µs), such as the answer to a
 * request whose like took that long: on a line the port has measured paced at its baud, the
 * next wait for any byte reads once at @until instead of at the first bytes (a pty's hangup
 * still wakes it). A hold lasts at most 150 ms and the wire time of half the kernel's buffer
 * (178 ms at 115200 baud), so a UART's hangup is read by then and nothing overflows. Called
 * between frames (waiting for any byte, held, or for a log line's rest), it replaces that
 * wait, and an @until already past ends a hold: what came is read at once. On any other line,
 * and in a frame, it changes nothing. Called from the reader, it holds for the next wait only.
 * Returns: when the hold ends (@until or the limit), 0 when it holds nothing. */
gint64   cb_serial_port_hold_read    (CbSerialPort       *self,
                                      gint64              until);
/* Whether the port has measured its line paced at its baud (the timed waits above). */
gboolean cb_serial_port_is_paced     (CbSerialPort       *self);

/* Forgets what ports measured of their kinds of line (cb-serial-port.c, line_kind_assume),
 * for tests that need a process whose ports have measured nothing. */
void     cb_serial_port_forget_line_paces (void);

G_END_DECLS
