/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-smp-transport.h"

G_BEGIN_DECLS

/* A provisioning run's protocol log: every SMP packet a transport sends or receives while the
 * log is attached, decoded into one line each, plus retries, dropped frames and notes (the step
 * a run enters). A line reads
 *
 *   +   0.125 s  TX v2 write 64/7 (dps_config) seq 9 len 180 in 2 frames  {scope: "0ne00…", reg_id: "line1-…", key: [redacted]}
 *
 * (time offset since the log was made, the packet header as cb_smp_traffic_to_string() gives it,
 * then a short summary of the CBOR map: text shortened, byte strings as their size).
 *
 * Secrets never enter the log: the values of fields that carry keys or tokens (the DPS
 * configuration's symmetric key, anything named like a key, token, SAS or password) are replaced
 * by "[redacted]" before a line is made; other text values and notes go through
 * cb_journal_scrub() (SAS tokens, bearer tokens, PEM private keys, "key=..." pairs) before they
 * are shortened; byte strings show only their size. Private keys never leave the device. */

#define CB_TYPE_PROTOCOL_LOG (cb_protocol_log_get_type ())
G_DECLARE_FINAL_TYPE (CbProtocolLog, cb_protocol_log, CB, PROTOCOL_LOG, GObject)

/* Lines beyond this many are counted, not kept (a log stays a few hundred kilobytes at most). */
#define CB_PROTOCOL_LOG_MAX_LINES 4000

/* The clock starts now. */
CbProtocolLog *cb_protocol_log_new          (void);
/* Records the transport's traffic until detached (or until the log goes away). One transport
 * at a time; attaching another detaches the first. */
void           cb_protocol_log_attach       (CbProtocolLog  *self,
                                             CbSmpTransport *transport);
void           cb_protocol_log_detach       (CbProtocolLog  *self);
/* A line of context ("step identify"); printf-style, never give it a secret. */
void           cb_protocol_log_add_note     (CbProtocolLog  *self,
                                             const char     *format,
                                             ...) G_GNUC_PRINTF (2, 3);
guint          cb_protocol_log_get_n_lines  (CbProtocolLog  *self);
/* The lines, each ending in "\n"; "" when nothing was recorded. Returns: (transfer full) */
char          *cb_protocol_log_to_text      (CbProtocolLog  *self);

/* "{key: value, ...}" for a CBOR payload, secrets redacted; "(not CBOR, N bytes)" for anything
 * that does not decode. Returns: (transfer full) */
char          *cb_protocol_log_summarize_cbor (const guint8 *cbor,
                                               gsize         len);

G_END_DECLS
