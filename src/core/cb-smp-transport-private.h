/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-smp-transport.h"

G_BEGIN_DECLS

/* A transport's one traffic sink: each CbSmpTraffic record, before any `traffic` handler,
 * without the signal's emission (a station logs some 26 records a device, and its protocol
 * log is the only listener; the signal is emitted only while it has handlers). The sink may
 * close the transport's port. */
typedef void (*CbSmpTrafficSink) (CbSmpTransport     *transport,
                                  const CbSmpTraffic *traffic,
                                  gpointer            user_data);

gboolean cb_smp_transport_set_traffic_sink   (CbSmpTransport   *self,
                                              CbSmpTrafficSink  sink,
                                              gpointer          user_data);
void     cb_smp_transport_clear_traffic_sink (CbSmpTransport   *self,
                                              gpointer          user_data);

G_END_DECLS
