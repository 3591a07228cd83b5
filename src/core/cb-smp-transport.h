/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-serial-port.h"
#include "cb-smp-error.h"
#include "cb-smp-traffic.h"

G_BEGIN_DECLS

/* SMP over the serial console framing (docs/bench-protocol.md sections 1-3) on a CbSerialPort:
 * one request in flight at a time, the others queued in order. Each request gets a fresh
 * sequence number, is cut into frames of the device's frame size, and waits for the response
 * with the same group, command and sequence; anything else is dropped. Repeat-safe commands are
 * resent on timeout a bounded number of times; others fail with CB_SMP_ERROR_TIMEOUT. Bytes
 * outside frames come out as `log-line`. */

typedef enum
{
  CB_SMP_REQUEST_DEFAULT = 0,
  /* Never resend, whatever the schema says (keygen with replace). */
  CB_SMP_REQUEST_NO_RETRY = 1 << 0,
  /* Resend on timeout even though the schema does not know the command. */
  CB_SMP_REQUEST_IDEMPOTENT = 1 << 1,
} CbSmpRequestFlags;

/* Kinds for the `frame-error` signal; they mirror cbp_decoder_stats. */
typedef enum
{
  CB_SMP_FRAME_ERROR_BASE64,
  CB_SMP_FRAME_ERROR_CRC,
  CB_SMP_FRAME_ERROR_LENGTH,
  CB_SMP_FRAME_ERROR_SEQUENCE,
  CB_SMP_FRAME_ERROR_OVERLONG,
} CbSmpFrameError;

const char *cb_smp_frame_error_to_string (CbSmpFrameError kind);   /* "crc", "base64", ... */

typedef struct
{
  guint64 requests;           /* completed, any outcome */
  guint64 retries;            /* resends after a timeout */
  guint64 timeouts;           /* requests that failed with TIMEOUT */
  guint64 dropped_responses;  /* sequence/group/command mismatch or unsolicited */
  guint64 frame_errors;       /* sum of the decoder's error counters */
  guint64 err_base64;
  guint64 err_crc;
  guint64 err_length;
  guint64 err_sequence;
  guint64 err_overlong;
  guint64 log_lines;
} CbSmpTransportStats;

#define CB_SMP_DEFAULT_TIMEOUT_MS 5000   /* for commands the schema does not know */
#define CB_SMP_DEFAULT_RETRIES    3
#define CB_SMP_DEFAULT_MAX_PACKET 4096

#define CB_TYPE_SMP_TRANSPORT (cb_smp_transport_get_type ())
G_DECLARE_FINAL_TYPE (CbSmpTransport, cb_smp_transport, CB, SMP_TRANSPORT, GObject)

CbSmpTransport *cb_smp_transport_new               (CbSerialPort       *port);
/* Returns: (transfer none) */
CbSerialPort   *cb_smp_transport_get_port          (CbSmpTransport     *self);

/* Console frame size in bytes, marker and newline included (default 127, minimum 7). */
guint           cb_smp_transport_get_frame_size    (CbSmpTransport     *self);
void            cb_smp_transport_set_frame_size    (CbSmpTransport     *self,
                                                    guint               frame_size);
/* Largest packet (header + CBOR) the device accepts: MCUmgr buf_size. Requests above it fail
 * with CB_SMP_ERROR_TOO_LARGE without being sent. Default CB_SMP_DEFAULT_MAX_PACKET. */
guint           cb_smp_transport_get_max_packet    (CbSmpTransport     *self);
void            cb_smp_transport_set_max_packet    (CbSmpTransport     *self,
                                                    guint               max_packet);
/* The id of the bench group (>= 64, default 64): its commands' timeouts and repeat-safety come
 * from the schema in cbp-group.h. */
guint           cb_smp_transport_get_bench_group   (CbSmpTransport     *self);
void            cb_smp_transport_set_bench_group   (CbSmpTransport     *self,
                                                    guint               group);
/* Resends for a repeat-safe command after a timeout (default 3). */
void            cb_smp_transport_set_max_retries   (CbSmpTransport     *self,
                                                    guint               retries);
/* Multiplies every timeout (default 1.0); tests use small values. */
void            cb_smp_transport_set_timeout_scale (CbSmpTransport     *self,
                                                    double              scale);
/* SMP version of the requests: 1 (v2, default) or 0 (v1). */
void            cb_smp_transport_set_version       (CbSmpTransport     *self,
                                                    guint               version);
void            cb_smp_transport_get_stats         (CbSmpTransport     *self,
                                                    CbSmpTransportStats *stats);

/* Sends one request. payload is the CBOR map (NULL for an empty map). timeout_ms 0 takes the
 * schema's timeout for the command (CB_SMP_DEFAULT_TIMEOUT_MS when it has none); the timeout
 * runs from the last byte sent. Completes with the response's CBOR payload, or an error:
 * CB_SMP_ERROR_* for device errors and timeouts, the port's G_IO_ERROR when it is gone. */
void            cb_smp_transport_request_async     (CbSmpTransport     *self,
                                                    guint               group,
                                                    guint               command,
                                                    CbSmpOp             op,
                                                    GBytes             *payload,
                                                    guint               timeout_ms,
                                                    CbSmpRequestFlags   flags,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
/* Returns: (transfer full): the response's CBOR payload */
GBytes         *cb_smp_transport_request_finish    (CbSmpTransport     *self,
                                                    GAsyncResult       *result,
                                                    GError            **error);

/* Waits until @until (monotonic µs) while the caller sends nothing and needs nothing the device
 * says: on a paced line what the device prints meanwhile is read in one wake-up at the end
 * (at most 150 ms a hold), its log lines then, in order. Completes at @until, earlier with the
 * port's error when it goes, or cancelled; a request made meanwhile is sent as usual. */
void            cb_smp_transport_idle_async        (CbSmpTransport     *self,
                                                    gint64              until,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
gboolean        cb_smp_transport_idle_finish       (CbSmpTransport     *self,
                                                    GAsyncResult       *result,
                                                    GError            **error);

G_END_DECLS
