/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-smp-transport.h"

G_BEGIN_DECLS

/* A transport's traffic sinks: each CbSmpTraffic record, before any `traffic` handler, without
 * the signal's emission (a station's device makes some 26 records, and its protocol log and
 * bench session are the listeners; the signal is emitted only while it has handlers). A sink
 * may close the transport's port. A transport keeps up to four. */
typedef void (*CbSmpTrafficSink) (CbSmpTransport     *transport,
                                  const CbSmpTraffic *traffic,
                                  gpointer            user_data);

gboolean cb_smp_transport_add_traffic_sink    (CbSmpTransport   *self,
                                               CbSmpTrafficSink  sink,
                                               gpointer          user_data);
void     cb_smp_transport_remove_traffic_sink (CbSmpTransport   *self,
                                               gpointer          user_data);

/* A transport's line sink: each line the device printed (valid UTF-8, without its end), before
 * any `log-line` handler, without the signal's emission (the bench session is the listener, and
 * shows the line only where someone reads its log; the signal is emitted only while it has
 * handlers). One a transport; NULL removes it. */
typedef void (*CbSmpLineSink) (CbSmpTransport *transport,
                               const char     *line,
                               gpointer        user_data);

void     cb_smp_transport_set_line_sink       (CbSmpTransport   *self,
                                               CbSmpLineSink     sink,
                                               gpointer          user_data);

/* A request whose caller is told through a plain callback instead of a GTask of the
 * transport's own (the bench client makes one GTask a command): the answer's payload
 * (transfer none) or an error (transfer full), exactly as cb_smp_transport_request_finish()
 * would return them (a cancelled request reports its cancellation). It may be called before
 * this returns (a closed port, a cancellable already cancelled). */
typedef void (*CbSmpReplyFunc) (CbSmpTransport *transport,
                                GBytes         *payload,
                                GError         *error,
                                gpointer        user_data);

void     cb_smp_transport_request            (CbSmpTransport    *self,
                                              guint              group,
                                              guint              command,
                                              CbSmpOp            op,
                                              GBytes            *payload,
                                              guint              timeout_ms,
                                              CbSmpRequestFlags  flags,
                                              GCancellable      *cancellable,
                                              CbSmpReplyFunc     done,
                                              gpointer           user_data);

G_END_DECLS
