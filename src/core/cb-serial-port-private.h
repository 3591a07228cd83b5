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

G_END_DECLS
