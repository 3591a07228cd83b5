/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-smp-transport"

/* CbSmpTransport: SMP requests over the serial console framing on a CbSerialPort, one in
 * flight, with sequence matching, timeouts, resends of repeat-safe commands and the device's
 * log lines (see cb-smp-transport.h). */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cbp-frame.h"
#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-deadline-source-private.h"
#include "cb-smp-answer-times-private.h"
#include "cb-smp-error-private.h"
#include "cb-smp-schema-private.h"
#include "cb-serial-port-private.h"
#include "cb-smp-transport.h"
#include "cb-smp-transport-private.h"

/* A device's log line longer than this is cut, so a chatty device without newlines cannot grow
 * the buffer without bound. */
#define LOG_LINE_MAX 1024
/* A partial line (a shell prompt, a line cut by a reset) is shown after this much quiet. */
#define LOG_LINE_FLUSH_MS 500
/* What the rest of a device's log line half read is likely to be, in bytes: on a paced line
 * the port reads it at that wire time (about 7 ms at 115200 baud, slack included) rather than
 * at each delivery. */
#define LOG_LINE_REST 48

const char *
cb_smp_frame_error_to_string (CbSmpFrameError kind)
{
  switch (kind)
    {
    case CB_SMP_FRAME_ERROR_BASE64: return "base64";
    case CB_SMP_FRAME_ERROR_CRC: return "crc";
    case CB_SMP_FRAME_ERROR_LENGTH: return "length";
    case CB_SMP_FRAME_ERROR_SEQUENCE: return "sequence";
    case CB_SMP_FRAME_ERROR_OVERLONG: return "overlong";
    default: return "?";
    }
}

typedef struct
{
  guint              group;
  guint              command;
  CbSmpOp            op;
  GBytes            *payload;
  guint              timeout_ms;
  gboolean           idempotent;
  guint              attempt;     /* 1-based; 0 = not sent yet */
  guint8             seq;
  GSource           *cancel_source;
  /* On a paced line, for the answer's time (cb-smp-answer-times.c) */
  guint64            kind;        /* set when first sent */
  gint64             sent_at;     /* monotonic µs the last byte went out; 0: not timed */
  guint64            wake_ups_at_send;
  gint64             held_for;    /* µs the port was held for the kind's time; 0: not held */
  gint64             rest_due;    /* when the rest of the answer read in part was due */

  /* Who is told, once: the public API's GTask, or a plain callback (the bench client's, which
   * makes one GTask a command: cb-smp-transport-private.h). */
  guint              ref;
  CbSmpTransport    *self;        /* owned: a pending request keeps its transport */
  GCancellable      *cancellable; /* owned, or NULL */
  GTask             *task;        /* owned until it returns, or NULL */
  CbSmpReplyFunc     done;
  gpointer           done_data;
} Request;

typedef struct
{
  Request *req;
  guint    attempt;
} WriteCtx;

typedef enum
{
  EVENT_TEXT,
  EVENT_PACKET,
} EventKind;

typedef struct
{
  EventKind  kind;
  GBytes    *bytes;
} Event;

/* Listeners that take each traffic record without a signal emission (see emit_traffic). */
#define TRAFFIC_SINKS_MAX 4

typedef struct
{
  CbSmpTrafficSink sink;
  gpointer         data;
} TrafficSink;

/* Kinds of request (without their ordinal) a transport counts, for the answer times' ordinal
 * (cb-smp-answer-times-private.h): a device speaks about a dozen. A kind beyond them is
 * counted as its last ordinal. */
#define KINDS_COUNTED_MAX 32

typedef struct
{
  guint64 base;
  guint   sent;
} KindCount;

/* A request's timeout: one source a transport whose time each request sets (`at`, read at
 * each loop iteration), instead of a timeout source made, attached and destroyed for every
 * request and resend (a dozen a device in a station). */
struct _CbSmpTransport
{
  GObject        parent_instance;

  /* Owned */
  CbSerialPort  *port;
  cbp_decoder   *decoder;
  GQueue         queue;          /* Request*, waiting (a reference each) */
  Request       *current;        /* in flight (a reference) */
  CbDeadlineSource      *deadline;       /* the request's timeout, one source for all of them */
  GCancellable  *watched;        /* what the shared watch is on (see watch_cancellable) */
  GSource       *watch_source;
  GSource       *line_flush_source;
  GString       *line;
  GQueue         events;         /* Event*, decoded but not yet dispatched */
  GError        *closed_error;

  gulong         bytes_handler;
  gulong         disconnect_handler;

  guint          frame_size;
  guint          max_packet;
  guint          bench_group;
  guint          max_retries;
  double         timeout_scale;
  guint          version;
  guint8         next_seq;
  gboolean       dispatching;

  CbSmpTransportStats stats;
  cbp_decoder_stats   seen;      /* decoder counters already reported */

  TrafficSink         traffic_sinks[TRAFFIC_SINKS_MAX];
  guint               n_traffic_sinks;
  CbSmpLineSink       line_sink;
  gpointer            line_sink_data;

  KindCount           kinds[KINDS_COUNTED_MAX];
  guint               n_kinds;

  /* An idle wait (cb_smp_transport_idle_async): the caller's task, when it ends, the source
   * that steps the port's holds and ends it, and whether the port is held for it now. */
  GTask              *idle_task;
  gint64              idle_until;
  CbDeadlineSource   *idle_deadline;
  GSource            *idle_cancel_source;
  gboolean            idle_held;
};

G_DEFINE_FINAL_TYPE (CbSmpTransport, cb_smp_transport, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PORT,
  PROP_FRAME_SIZE,
  PROP_MAX_PACKET,
  PROP_BENCH_GROUP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_LOG_LINE,
  SIGNAL_FRAME_ERROR,
  SIGNAL_RETRY,
  SIGNAL_TRAFFIC,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void cb_smp_transport_send_current (CbSmpTransport *self);
static void idle_finish                   (CbSmpTransport *self,
                                           GError         *error);
static void idle_release                  (CbSmpTransport *self);
static void cb_smp_transport_start_next   (CbSmpTransport *self);

/* Hands a record to the sinks, then to the `traffic` handlers, if any. */
static void
emit_traffic (CbSmpTransport     *self,
              const CbSmpTraffic *traffic)
{
  TrafficSink sinks[TRAFFIC_SINKS_MAX];
  guint n = self->n_traffic_sinks;

  /* A sink may add or remove sinks: those in place now are told. */
  memcpy (sinks, self->traffic_sinks, n * sizeof (TrafficSink));
  for (guint i = 0; i < n; i++)
    sinks[i].sink (self, traffic, sinks[i].data);
  if (g_signal_has_handler_pending (self, signals[SIGNAL_TRAFFIC], 0, FALSE))
    g_signal_emit (self, signals[SIGNAL_TRAFFIC], 0, traffic);
}

static Request *
request_ref (Request *req)
{
  req->ref++;
  return req;
}

static void
request_unref (Request *req)
{
  if (--req->ref > 0)
    return;
  if (req->cancel_source != NULL)
    {
      g_source_destroy (req->cancel_source);
      g_source_unref (req->cancel_source);
    }
  g_clear_pointer (&req->payload, g_bytes_unref);
  g_clear_object (&req->task);
  g_clear_object (&req->cancellable);
  g_clear_object (&req->self);
  g_free (req);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_unref)

/* Tells the request's caller its answer (payload) or error (transfer full), once. A plain
 * callback is told as the GTask's propagate tells: a cancelled request reports its
 * cancellation, whatever came. */
static void
request_return (Request *req,
                GBytes  *payload,
                GError  *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&req->task);
  CbSmpReplyFunc done = req->done;

  req->done = NULL;

  if (task != NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, g_bytes_ref (payload), (GDestroyNotify)g_bytes_unref);
      return;
    }
  if (done == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (req->cancellable != NULL && g_cancellable_is_cancelled (req->cancellable))
    {
      g_clear_error (&error);
      g_cancellable_set_error_if_cancelled (req->cancellable, &error);
    }
  done (req->self, error != NULL ? NULL : payload, error, req->done_data);
}

/* As g_task_return_error_if_cancelled(). */
static void
request_return_cancelled (Request *req)
{
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (req->cancellable, &error);
  request_return (req, NULL, error);
}

static void
event_free (Event *ev)
{
  g_bytes_unref (ev->bytes);
  g_free (ev);
}

static void
on_decoder_packet (void          *user_data,
                   const uint8_t *packet,
                   size_t         len)
{
  CbSmpTransport *self = user_data;
  Event *ev = g_new0 (Event, 1);

  ev->kind = EVENT_PACKET;
  ev->bytes = g_bytes_new (packet, len);
  g_queue_push_tail (&self->events, ev);
}

static void
on_decoder_text (void          *user_data,
                 const uint8_t *text,
                 size_t         len)
{
  CbSmpTransport *self = user_data;
  Event *ev = g_queue_peek_tail (&self->events);

  /* Coalesce consecutive text so a line is not emitted byte by byte. */
  if (ev != NULL && ev->kind == EVENT_TEXT)
    {
      gsize old_len;
      const guint8 *old = g_bytes_get_data (ev->bytes, &old_len);
      guint8 *joined = g_malloc (old_len + len);

      memcpy (joined, old, old_len);
      memcpy (joined + old_len, text, len);
      g_bytes_unref (ev->bytes);
      ev->bytes = g_bytes_new_take (joined, old_len + len);
      return;
    }

  ev = g_new0 (Event, 1);
  ev->kind = EVENT_TEXT;
  ev->bytes = g_bytes_new (text, len);
  g_queue_push_tail (&self->events, ev);
}

static void
emit_log_line (CbSmpTransport *self)
{
  g_autofree char *valid = NULL;
  gsize len = self->line->len;
  gboolean emitted;

  while (len > 0 && (self->line->str[len - 1] == '\r' || self->line->str[len - 1] == '\n'))
    len--;

  g_clear_pointer (&self->line_flush_source, g_source_destroy);
  self->stats.log_lines++;
  /* The sink, then the handlers, if any: a line nobody takes is not copied. */
  emitted = g_signal_has_handler_pending (self, signals[SIGNAL_LOG_LINE], 0, FALSE);
  if (self->line_sink == NULL && !emitted)
    {
      g_string_truncate (self->line, 0);
      return;
    }
  valid = g_utf8_make_valid (self->line->str, len);
  g_string_truncate (self->line, 0);
  if (self->line_sink != NULL)
    self->line_sink (self, valid, self->line_sink_data);
  if (emitted)
    g_signal_emit (self, signals[SIGNAL_LOG_LINE], 0, valid);
}

static gboolean
on_line_flush (gpointer user_data)
{
  CbSmpTransport *self = user_data;

  g_assert (CB_IS_SMP_TRANSPORT (self));

  self->line_flush_source = NULL;
  if (self->line->len > 0)
    emit_log_line (self);

  return G_SOURCE_REMOVE;
}

static void
handle_text (CbSmpTransport *self,
             GBytes         *bytes)
{
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);

  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == '\n')
        {
          emit_log_line (self);
          continue;
        }
      g_string_append_c (self->line, text[i]);
      if (self->line->len >= LOG_LINE_MAX)
        emit_log_line (self);
    }

  if (self->line->len > 0 && self->line_flush_source == NULL)
    {
      self->line_flush_source = g_timeout_source_new (LOG_LINE_FLUSH_MS);
      g_source_set_callback (self->line_flush_source, on_line_flush, self, NULL);
      g_source_set_static_name (self->line_flush_source, "[cb-smp-transport log flush]");
      g_source_attach (self->line_flush_source, g_main_context_get_thread_default ());
      g_source_unref (self->line_flush_source);
    }
}


static guint
request_timeout_ms (CbSmpTransport *self,
                    Request        *req)
{
  double ms = req->timeout_ms * self->timeout_scale;

  return ms < 1 ? 1 : (guint)ms;
}

static void
disarm_timeout (CbSmpTransport *self)
{
  if (self->deadline != NULL)
    self->deadline->at = -1;
}

static void
finish_current (CbSmpTransport *self,
                GBytes         *payload,
                GError         *error)
{
  g_autoptr(Request) req = g_steal_pointer (&self->current);

  g_assert (req != NULL);

  disarm_timeout (self);
  self->stats.requests++;

  request_return (req, payload, error);

  cb_smp_transport_start_next (self);
}

static GError *
error_from_payload (CbSmpTransport *self,
                    Request        *req,
                    const cbp_error *err)
{
  if (err->kind == CBP_ERROR_GROUP)
    {
      const char *name = "?";
      const char *meaning = NULL;

      if (err->group == self->bench_group)
        {
          size_t n;
          const cbp_rc_info *table = cbp_rc_table (&n);

          for (size_t i = 0; i < n; i++)
            if (table[i].rc == err->rc)
              {
                name = table[i].name;
                meaning = table[i].meaning;
              }
        }

      return cb_smp_error_new_full (CB_SMP_ERROR_GROUP_RC, err->group, req->command, err->rc,
                                    "Device error %d (%s)%s%s in group %u command %u",
                                    err->rc, name, meaning ? ": " : "", meaning ? meaning : "",
                                    err->group, req->command);
    }

  return cb_smp_error_new_full (CB_SMP_ERROR_GENERIC_RC, req->group, req->command, err->rc,
                                "Device error %d (%s) in group %u command %u",
                                err->rc, cbp_smp_rc_name (err->rc), req->group, req->command);
}

/* The request's kind for the answer times, told from the requests of the same look that went
 * before it on this transport by its ordinal: a device's sequence has them in the same order,
 * and the second of two alike may well be answered differently (read-back's two cert_get). */
static guint64
answer_kind (CbSmpTransport *self,
             Request        *req)
{
  guint64 base = cb_smp_answer_times_key (req->group, req->command, req->op,
                                          g_bytes_get_size (req->payload), 0);
  guint i;

  for (i = 0; i < self->n_kinds; i++)
    if (self->kinds[i].base == base)
      break;
  if (i == self->n_kinds)
    {
      if (i == KINDS_COUNTED_MAX)
        return cb_smp_answer_times_key (req->group, req->command, req->op,
                                        g_bytes_get_size (req->payload),
                                        CB_SMP_ANSWER_ORDINAL_MAX);
      self->kinds[self->n_kinds++] = (KindCount) { base, 0 };
    }
  return cb_smp_answer_times_key (req->group, req->command, req->op,
                                  g_bytes_get_size (req->payload), self->kinds[i].sent++);
}

/* The request is out whole: on a paced line, the port reads its answer once, when the answer to
 * the same kind of request was whole last time, rather than at its first bytes and again for
 * their rest (cb-smp-answer-times.c). */
static void
hold_for_answer (CbSmpTransport *self,
                 Request        *req)
{
  CbSerialPortCounts counts;
  gint64 took;

  req->sent_at = 0;
  req->held_for = 0;
  req->rest_due = 0;
  if (!cb_serial_port_is_paced (self->port))
    return;

  cb_serial_port_get_counts (self->port, &counts);
  req->sent_at = g_get_monotonic_time ();
  req->wake_ups_at_send = counts.wake_ups;
  took = cb_smp_answer_times_lookup (req->kind);
  if (took > 0)
    {
      req->held_for = took;
      cb_serial_port_hold_read (self->port, req->sent_at + took);
    }
}

/* Part of the answer is here and the decoder wants @rest more bytes: they are due at their wire
 * time, less than the port's timed wait for them takes (its slack), which is what the answer
 * took. The last of them come with the line's next delivery, on average a millisecond later. */
static void
note_partial_answer (CbSmpTransport *self,
                     Request        *req,
                     gsize           rest)
{
  guint baud = cb_serial_port_get_baud_rate (self->port);
  gint64 wire;

  if (req->sent_at == 0 || rest == 0 || baud == 0)
    return;
  wire = (gint64) rest * 10 * G_USEC_PER_SEC / baud;
  req->rest_due = g_get_monotonic_time () + wire + wire / 32 + 1000;
}

/* The answer is here, read in the wake-up now under way: what it took teaches the next device's
 * exchange of the same kind; read in the one held wake-up, the hold was long enough. */
static void
learn_answer_time (CbSmpTransport *self,
                   Request        *req)
{
  CbSerialPortCounts counts;

  if (req->sent_at == 0 || self->port == NULL)
    return;

  cb_serial_port_get_counts (self->port, &counts);
  if (req->held_for > 0 && counts.wake_ups - req->wake_ups_at_send == 1)
    cb_smp_answer_times_learn (req->kind, req->held_for, TRUE);
  else if (req->rest_due > 0)
    cb_smp_answer_times_learn (req->kind, req->rest_due - req->sent_at, FALSE);
  else
    cb_smp_answer_times_learn (req->kind, g_get_monotonic_time () - req->sent_at, FALSE);
  req->sent_at = 0;
}

static void
handle_packet (CbSmpTransport *self,
               GBytes         *packet)
{
  CbSmpTraffic traffic = { 0 };
  g_autoptr(GBytes) body = NULL;
  cbp_smp_header hdr;
  const uint8_t *payload;
  gsize len;
  const guint8 *data = g_bytes_get_data (packet, &len);
  Request *req = NULL;
  cbp_error err = { 0 };
  int status;

  if (cbp_smp_packet_parse (data, len, &hdr, &payload) != 0)
    {
      /* The CRC matched, so this is a sender bug rather than line noise. */
      g_debug ("Dropping a packet with a malformed SMP header (%zu bytes)", len);
      self->stats.dropped_responses++;
      return;
    }

  status = cbp_error_decode (payload, hdr.len, &err);

  traffic.direction = CB_SMP_DIRECTION_RX;
  traffic.version = hdr.version;
  traffic.op = hdr.op;
  traffic.group = hdr.group;
  traffic.command = hdr.id;
  traffic.seq = hdr.seq;
  traffic.payload_len = hdr.len;
  traffic.is_error = status == CBP_OK && err.kind != CBP_ERROR_NONE;
  body = g_bytes_new_from_bytes (packet, payload - data, hdr.len);
  traffic.payload = body;

  if (self->current != NULL)
    req = self->current;

  /* Only the answer to what is in flight counts: a late answer to a timed-out attempt, an echo
   * of our own request (loopback) or anything unsolicited is dropped. */
  if (req == NULL || req->attempt == 0 ||
      !cbp_smp_op_is_response (hdr.op) ||
      hdr.op != cbp_smp_response_op (req->op) ||
      hdr.seq != req->seq ||
      hdr.group != req->group ||
      hdr.id != req->command)
    {
      traffic.dropped = TRUE;
      self->stats.dropped_responses++;
      emit_traffic (self, &traffic);
      return;
    }

  learn_answer_time (self, req);
  emit_traffic (self, &traffic);

  /* A handler may have closed us. */
  if (self->current == NULL)
    return;

  if (status != CBP_OK)
    {
      finish_current (self, NULL,
                      cb_smp_error_new_full (CB_SMP_ERROR_PROTOCOL, req->group, req->command, 0,
                                             "Malformed response to group %u command %u: "
                                             "the payload is not a CBOR map",
                                             req->group, req->command));
      return;
    }

  if (err.kind != CBP_ERROR_NONE)
    {
      finish_current (self, NULL, error_from_payload (self, req, &err));
      return;
    }

  finish_current (self, body, NULL);
}

static void
report_frame_errors (CbSmpTransport *self)
{
  const cbp_decoder_stats *now = cbp_decoder_get_stats (self->decoder);
  struct {
    CbSmpFrameError kind;
    unsigned long   now;
    unsigned long  *seen;
    guint64        *total;
  } counters[] = {
    { CB_SMP_FRAME_ERROR_BASE64, now->err_base64, &self->seen.err_base64, &self->stats.err_base64 },
    { CB_SMP_FRAME_ERROR_CRC, now->err_crc, &self->seen.err_crc, &self->stats.err_crc },
    { CB_SMP_FRAME_ERROR_LENGTH, now->err_length, &self->seen.err_length, &self->stats.err_length },
    { CB_SMP_FRAME_ERROR_SEQUENCE, now->err_sequence, &self->seen.err_sequence,
      &self->stats.err_sequence },
    { CB_SMP_FRAME_ERROR_OVERLONG, now->err_overlong, &self->seen.err_overlong,
      &self->stats.err_overlong },
  };

  for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
    {
      if (counters[i].now == *counters[i].seen)
        continue;

      *counters[i].total += counters[i].now - *counters[i].seen;
      self->stats.frame_errors += counters[i].now - *counters[i].seen;
      *counters[i].seen = counters[i].now;
      g_debug ("Frame error (%s), %" G_GUINT64_FORMAT " so far",
               cb_smp_frame_error_to_string (counters[i].kind), *counters[i].total);
      g_signal_emit (self, signals[SIGNAL_FRAME_ERROR], 0,
                     (guint)counters[i].kind, *counters[i].total);
    }
}

/* Decoder callbacks only queue; everything that can call out (signals, task callbacks) runs
 * here, after the decoder has returned, so a handler may close or drop the transport. */
static void
on_port_read (CbSerialPort *port,
              const guint8 *data,
              gsize         len,
              gpointer      user_data)
{
  CbSmpTransport *self = user_data;
  g_autoptr(CbSmpTransport) hold = g_object_ref (self);
  Event *ev;

  g_assert (CB_IS_SMP_TRANSPORT (self));

  if (self->decoder == NULL)
    return;

  cbp_decoder_feed (self->decoder, data, len);
  /* Inside a packet whose length is known, the port wakes us again only when the rest of it
   * (or 255 bytes of it) is there, not at every few bytes the line hands over. */
  cb_serial_port_set_read_min (port, cbp_decoder_bytes_wanted (self->decoder));
  if (self->current != NULL)
    note_partial_answer (self, self->current,
                         cbp_decoder_bytes_wanted (self->decoder));
  report_frame_errors (self);

  if (self->dispatching)
    return;

  self->dispatching = TRUE;
  while ((ev = g_queue_pop_head (&self->events)) != NULL)
    {
      if (ev->kind == EVENT_TEXT)
        handle_text (self, ev->bytes);
      else
        handle_packet (self, ev->bytes);
      event_free (ev);
    }
  self->dispatching = FALSE;

  /* Outside any frame with half a log line read: the rest of the line is likely to follow (a
   * device prints a line at once), so a paced line need not wake us at each delivery of it. */
  if (self->line->len > 0 && cbp_decoder_bytes_wanted (self->decoder) == 0)
    cb_serial_port_set_read_soon (port, LOG_LINE_REST);
}

/* The same, while the port's reader is another transport's (a probe's, until its last
 * reference goes): once the port has none, this one becomes its reader. */
static void
on_bytes_received (CbSerialPort   *port,
                   GBytes         *bytes,
                   CbSmpTransport *self)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (cb_serial_port_set_reader (port, on_port_read, self))
    g_clear_signal_handler (&self->bytes_handler, port);
  on_port_read (port, data, len, self);
}

static void
fail_all (CbSmpTransport *self,
          const GError   *error)
{
  Request *req;

  disarm_timeout (self);
  if (self->idle_task != NULL)
    idle_finish (self, g_error_copy (error));

  if (self->current != NULL)
    {
      g_autoptr(Request) current = g_steal_pointer (&self->current);

      self->stats.requests++;
      request_return (current, NULL, g_error_copy (error));
    }

  while ((req = g_queue_pop_head (&self->queue)) != NULL)
    {
      self->stats.requests++;
      request_return (req, NULL, g_error_copy (error));
      request_unref (req);
    }
}

static void
on_port_disconnected (CbSerialPort   *port,
                      const GError   *error,
                      CbSmpTransport *self)
{
  g_autoptr(CbSmpTransport) hold = g_object_ref (self);

  g_assert (CB_IS_SMP_TRANSPORT (self));

  g_clear_error (&self->closed_error);
  self->closed_error = g_error_copy (error);
  fail_all (self, error);
}

static gboolean
on_timeout (gpointer user_data)
{
  CbSmpTransport *self = user_data;
  Request *req;

  g_assert (CB_IS_SMP_TRANSPORT (self));
  g_assert (self->current != NULL);

  req = self->current;

  if (req->idempotent && req->attempt <= self->max_retries)
    {
      g_debug ("No answer to group %u command %u (seq %u), resending (%u of %u)",
               req->group, req->command, req->seq, req->attempt, self->max_retries);
      self->stats.retries++;
      g_signal_emit (self, signals[SIGNAL_RETRY], 0, req->group, req->command, req->attempt);
      if (self->current != NULL && self->current == req)
        cb_smp_transport_send_current (self);
      return G_SOURCE_REMOVE;
    }

  self->stats.timeouts++;
  finish_current (self, NULL,
                  cb_smp_error_new_full (CB_SMP_ERROR_TIMEOUT, req->group, req->command, 0,
                                         "The device did not answer group %u command %u "
                                         "within %u ms%s",
                                         req->group, req->command,
                                         request_timeout_ms (self, req),
                                         req->attempt > 1 ? " (after retries)" :
                                         req->idempotent ? "" : " (not repeat-safe, not resent)"));
  return G_SOURCE_REMOVE;
}

static void
destroy_deadline (CbSmpTransport *self)
{
  if (self->deadline == NULL)
    return;
  g_source_destroy (&self->deadline->source);
  g_source_unref (&self->deadline->source);
  self->deadline = NULL;
}

static void
arm_timeout (CbSmpTransport *self,
             Request        *req)
{
  GMainContext *context = g_main_context_get_thread_default ();

  /* Where the request was made: a transport used from another context (a nested loop of its
   * own) gets its source there. */
  if (self->deadline != NULL &&
      g_source_get_context (&self->deadline->source) !=
      (context != NULL ? context : g_main_context_default ()))
    destroy_deadline (self);
  if (self->deadline == NULL)
    {
      self->deadline = cb_deadline_source_new ();
      g_source_set_callback (&self->deadline->source, on_timeout, self, NULL);
      g_source_set_static_name (&self->deadline->source, "[cb-smp-transport timeout]");
      g_source_attach (&self->deadline->source, context);
    }
  self->deadline->at = g_get_monotonic_time () + (gint64) request_timeout_ms (self, req) * 1000;
}

static void
on_write_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  WriteCtx *ctx = user_data;
  g_autoptr(Request) req = ctx->req;
  g_autoptr(GError) error = NULL;
  CbSmpTransport *self = req->self;
  guint attempt = ctx->attempt;

  g_free (ctx);

  if (!cb_serial_port_write_finish (CB_SERIAL_PORT (object), result, &error))
    {
      /* A disconnect already failed everything through the signal. */
      if (self->current == req)
        {
          g_clear_error (&self->closed_error);
          self->closed_error = g_error_copy (error);
          fail_all (self, error);
        }
      return;
    }

  /* The timeout runs from the last byte sent. */
  if (self->current == req && req->attempt == attempt)
    arm_timeout (self, req);
}

static void
cb_smp_transport_send_current (CbSmpTransport *self)
{
  /* A failed write fails every request from in here, whose callbacks may drop the last
   * reference to us (a resend from the timeout source holds none). */
  g_autoptr(CbSmpTransport) hold = g_object_ref (self);
  Request *req = self->current;
  CbSmpTraffic traffic = { 0 };
  cbp_smp_header hdr = { 0 };
  g_autoptr(GBytes) frames = NULL;
  uint8_t *packet = NULL;
  size_t packet_len = 0;
  uint8_t *encoded = NULL;
  size_t encoded_len = 0;
  gsize payload_len;
  const guint8 *payload = g_bytes_get_data (req->payload, &payload_len);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) drained = NULL;
  WriteCtx *ctx;

  req->attempt++;
  req->seq = self->next_seq++;
  if (req->attempt == 1)
    req->kind = answer_kind (self, req);

  hdr.version = self->version;
  hdr.op = req->op;
  hdr.flags = 0;
  hdr.group = req->group;
  hdr.seq = req->seq;
  hdr.id = req->command;

  if (cbp_smp_packet_build (&hdr, payload, payload_len, &packet, &packet_len) != 0 ||
      cbp_frame_encode (packet, packet_len, self->frame_size, &encoded, &encoded_len) != 0)
    {
      free (packet);
      finish_current (self, NULL,
                      cb_smp_error_new_full (CB_SMP_ERROR_TOO_LARGE, req->group, req->command, 0,
                                             "Cannot frame a %zu-byte request", payload_len));
      return;
    }
  free (packet);
  frames = g_bytes_new_with_free_func (encoded, encoded_len, free, encoded);

  traffic.direction = CB_SMP_DIRECTION_TX;
  traffic.version = self->version;
  traffic.op = req->op;
  traffic.group = req->group;
  traffic.command = req->command;
  traffic.seq = req->seq;
  traffic.payload_len = payload_len;
  traffic.n_frames = 0;
  for (size_t i = 0; i < encoded_len; i++)
    traffic.n_frames += encoded[i] == '\n';
  traffic.attempt = req->attempt;
  traffic.payload = req->payload;
  emit_traffic (self, &traffic);

  if (self->current != req)
    return;

  /* Also armed before the write completes, so a device that stopped reading cannot stall us. */
  arm_timeout (self, req);

  /* A request made during an idle wait: what the device said meanwhile is read now, or with
   * the answer when its time is known (hold_for_answer). */
  idle_release (self);

  /* A plain write: a failure closes the port, which fails the request through `disconnected`,
   * and the common case (the kernel takes the frames at once, so the timeout above runs from
   * the last byte sent) needs no completion, whose GTask would cost the loop a turn of its own
   * every exchange. */
  if (!cb_serial_port_write (self->port, frames, &error))
    {
      if (self->current == req)
        {
          g_clear_error (&self->closed_error);
          self->closed_error = g_error_copy (error);
          fail_all (self, error);
        }
      return;
    }
  if (self->current != req)
    return;
  if (cb_serial_port_get_pending (self->port) == 0)
    {
      hold_for_answer (self, req);
      return;
    }
  req->sent_at = 0;

  /* The kernel took only part: the timeout runs from when the rest is written, which an empty
   * write queued after it tells. */
  drained = g_bytes_new_static ("", 0);
  ctx = g_new0 (WriteCtx, 1);
  ctx->req = request_ref (req);
  ctx->attempt = req->attempt;
  cb_serial_port_write_async (self->port, drained, NULL, on_write_done, ctx);
}

static void
cb_smp_transport_start_next (CbSmpTransport *self)
{
  while (self->current == NULL && !g_queue_is_empty (&self->queue))
    {
      Request *req;

      self->current = g_queue_pop_head (&self->queue);
      req = self->current;

      if (g_cancellable_is_cancelled (req->cancellable))
        {
          g_autoptr(Request) cancelled = g_steal_pointer (&self->current);

          request_return_cancelled (cancelled);
          continue;
        }

      /* header + payload must fit the device's buffer */
      if (CBP_SMP_HEADER_LEN + g_bytes_get_size (req->payload) > self->max_packet)
        {
          finish_current (self, NULL,
                          cb_smp_error_new_full (CB_SMP_ERROR_TOO_LARGE, req->group,
                                                 req->command, 0,
                                                 "The request (%zu bytes) exceeds the device's "
                                                 "%u-byte buffer",
                                                 CBP_SMP_HEADER_LEN +
                                                 g_bytes_get_size (req->payload),
                                                 self->max_packet));
          return;
        }

      cb_smp_transport_send_current (self);
    }
}

static gboolean
on_request_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  Request *req = user_data;
  CbSmpTransport *self = req->self;

  g_clear_pointer (&req->cancel_source, g_source_unref);

  if (self->current == req)
    {
      /* A late answer will not match the next request's sequence number, so it is dropped. */
      finish_current (self, NULL,
                      g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled"));
    }
  else if (g_queue_remove (&self->queue, req))
    {
      request_return_cancelled (req);
      request_unref (req);
    }

  return G_SOURCE_REMOVE;
}

static void
clear_watch (CbSmpTransport *self)
{
  if (self->watch_source != NULL)
    {
      g_source_destroy (self->watch_source);
      g_clear_pointer (&self->watch_source, g_source_unref);
    }
  g_clear_object (&self->watched);
}

/* Whether a request in flight or waiting relies on the shared watch. */
static gboolean
watch_in_use (CbSmpTransport *self)
{
  if (self->current != NULL && self->current->cancellable == self->watched &&
      self->current->cancel_source == NULL)
    return TRUE;
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    if (((Request *) l->data)->cancellable == self->watched &&
        ((Request *) l->data)->cancel_source == NULL)
      return TRUE;
  return FALSE;
}

/* The watched cancellable was cancelled: every request relying on the watch ends as its own
 * cancel source would have ended it, in the same order (the one in flight, then the queue). */
static gboolean
on_watch_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  CbSmpTransport *self = user_data;
  g_autoptr(CbSmpTransport) hold = g_object_ref (self);
  GList *l;

  /* A request made from a callback below with the same cancellable watches it afresh. */
  g_clear_pointer (&self->watch_source, g_source_unref);
  g_clear_object (&self->watched);

  if (self->current != NULL && self->current->cancellable == cancellable &&
      self->current->cancel_source == NULL)
    finish_current (self, NULL,
                    g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled"));

  l = self->queue.head;
  while (l != NULL)
    {
      GList *next = l->next;
      Request *req = l->data;

      if (req->cancellable == cancellable && req->cancel_source == NULL)
        {
          g_queue_delete_link (&self->queue, l);
          request_return_cancelled (req);
          request_unref (req);
          /* A callback may have changed the queue: start over. */
          next = self->queue.head;
        }
      l = next;
    }

  return G_SOURCE_REMOVE;
}

/* A request's cancellation, through one source for all the requests that share a cancellable
 * (a run passes its own to each of its dozen exchanges), each of which used to make, attach and
 * destroy a cancellable source of its own. Returns FALSE when the request needs its own: the
 * watch is on another cancellable still in use, or in another context. */
static gboolean
watch_cancellable (CbSmpTransport *self,
                   GCancellable   *cancellable)
{
  GMainContext *context = g_main_context_get_thread_default ();

  if (context == NULL)
    context = g_main_context_default ();

  if (self->watched == cancellable && self->watch_source != NULL)
    return g_source_get_context (self->watch_source) == context;
  if (self->watched != NULL && watch_in_use (self))
    return FALSE;

  clear_watch (self);
  self->watched = g_object_ref (cancellable);
  self->watch_source = g_cancellable_source_new (cancellable);
  g_source_set_callback (self->watch_source, G_SOURCE_FUNC (on_watch_cancelled), self, NULL);
  g_source_set_static_name (self->watch_source, "[cb-smp-transport cancel]");
  g_source_attach (self->watch_source, context);
  return TRUE;
}

static void
cb_smp_transport_dispose (GObject *object)
{
  CbSmpTransport *self = (CbSmpTransport *)object;

  /* Pending requests and an idle wait hold a reference on us, so nothing is in flight here. */
  destroy_deadline (self);
  if (self->idle_deadline != NULL)
    {
      g_source_destroy (&self->idle_deadline->source);
      g_source_unref (&g_steal_pointer (&self->idle_deadline)->source);
    }
  clear_watch (self);
  g_clear_pointer (&self->line_flush_source, g_source_destroy);

  if (self->port != NULL)
    {
      /* Whoever reads the port next waits for no packet of ours. */
      cb_serial_port_set_read_min (self->port, 1);
      cb_serial_port_clear_reader (self->port, self);
      g_clear_signal_handler (&self->bytes_handler, self->port);
      g_clear_signal_handler (&self->disconnect_handler, self->port);
      g_clear_object (&self->port);
    }

  G_OBJECT_CLASS (cb_smp_transport_parent_class)->dispose (object);
}

static void
cb_smp_transport_finalize (GObject *object)
{
  CbSmpTransport *self = (CbSmpTransport *)object;

  g_clear_pointer (&self->decoder, cbp_decoder_free);
  g_queue_clear_full (&self->events, (GDestroyNotify)event_free);
  g_string_free (self->line, TRUE);
  g_clear_error (&self->closed_error);

  G_OBJECT_CLASS (cb_smp_transport_parent_class)->finalize (object);
}

static void
cb_smp_transport_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CbSmpTransport *self = CB_SMP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_PORT:
      g_value_set_object (value, self->port);
      break;
    case PROP_FRAME_SIZE:
      g_value_set_uint (value, self->frame_size);
      break;
    case PROP_MAX_PACKET:
      g_value_set_uint (value, self->max_packet);
      break;
    case PROP_BENCH_GROUP:
      g_value_set_uint (value, self->bench_group);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_smp_transport_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CbSmpTransport *self = CB_SMP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_PORT:
      self->port = g_value_dup_object (value);
      break;
    case PROP_FRAME_SIZE:
      cb_smp_transport_set_frame_size (self, g_value_get_uint (value));
      break;
    case PROP_MAX_PACKET:
      cb_smp_transport_set_max_packet (self, g_value_get_uint (value));
      break;
    case PROP_BENCH_GROUP:
      cb_smp_transport_set_bench_group (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_smp_transport_constructed (GObject *object)
{
  CbSmpTransport *self = CB_SMP_TRANSPORT (object);

  G_OBJECT_CLASS (cb_smp_transport_parent_class)->constructed (object);

  g_assert (CB_IS_SERIAL_PORT (self->port));

  /* The port's reader: no signal emission and GBytes a read. */
  if (!cb_serial_port_set_reader (self->port, on_port_read, self))
    self->bytes_handler = g_signal_connect (self->port, "bytes-received",
                                            G_CALLBACK (on_bytes_received), self);
  self->disconnect_handler = g_signal_connect (self->port, "disconnected",
                                               G_CALLBACK (on_port_disconnected), self);
}

static void
cb_smp_transport_class_init (CbSmpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = cb_smp_transport_constructed;
  object_class->dispose = cb_smp_transport_dispose;
  object_class->finalize = cb_smp_transport_finalize;
  object_class->get_property = cb_smp_transport_get_property;
  object_class->set_property = cb_smp_transport_set_property;

  properties[PROP_PORT] =
    g_param_spec_object ("port", NULL, NULL, CB_TYPE_SERIAL_PORT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRAME_SIZE] =
    g_param_spec_uint ("frame-size", NULL, NULL, CBP_FRAME_SIZE_MIN, CBP_FRAME_LINE_MAX,
                       CBP_FRAME_SIZE_DEFAULT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_PACKET] =
    g_param_spec_uint ("max-packet", NULL, NULL, CBP_SMP_HEADER_LEN + 1, 65533,
                       CB_SMP_DEFAULT_MAX_PACKET,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BENCH_GROUP] =
    g_param_spec_uint ("bench-group", NULL, NULL, 64, G_MAXUINT16, CBP_GROUP_DEFAULT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CbSmpTransport::log-line:
   * @line: one line of device text outside SMP frames, without the line end, valid UTF-8
   */
  signals[SIGNAL_LOG_LINE] =
    g_signal_new ("log-line",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * CbSmpTransport::frame-error:
   * @kind: a #CbSmpFrameError
   * @count: how many errors of this kind so far
   *
   * A frame was dropped (bad base64, CRC, length...). The request it belonged to is resent on
   * timeout if it is repeat-safe.
   */
  signals[SIGNAL_FRAME_ERROR] =
    g_signal_new ("frame-error",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT64);

  /**
   * CbSmpTransport::retry:
   * @group: the request's group
   * @command: the request's command id
   * @attempt: the attempt that timed out (1 for the first send)
   */
  signals[SIGNAL_RETRY] =
    g_signal_new ("retry",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT);

  /**
   * CbSmpTransport::traffic:
   * @traffic: (transfer none): a #CbSmpTraffic for each packet sent or received
   */
  signals[SIGNAL_TRAFFIC] =
    g_signal_new ("traffic",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CB_TYPE_SMP_TRAFFIC | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
cb_smp_transport_init (CbSmpTransport *self)
{
  self->frame_size = CBP_FRAME_SIZE_DEFAULT;
  self->max_packet = CB_SMP_DEFAULT_MAX_PACKET;
  self->bench_group = CBP_GROUP_DEFAULT;
  self->max_retries = CB_SMP_DEFAULT_RETRIES;
  self->timeout_scale = 1.0;
  self->version = CBP_SMP_V2;
  self->next_seq = (guint8)g_random_int_range (0, 256);
  self->line = g_string_new (NULL);
  g_queue_init (&self->queue);
  g_queue_init (&self->events);
  /* Accept answers larger than what we may send: the device's buffer may grow later. */
  self->decoder = cbp_decoder_new (65535, on_decoder_packet, on_decoder_text, self);
}

/**
 * cb_smp_transport_new:
 * @port: an open port; the transport takes a reference and listens to it
 *
 * Returns: (transfer full)
 */
CbSmpTransport *
cb_smp_transport_new (CbSerialPort *port)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (port), NULL);

  return g_object_new (CB_TYPE_SMP_TRANSPORT, "port", port, NULL);
}

CbSerialPort *
cb_smp_transport_get_port (CbSmpTransport *self)
{
  g_return_val_if_fail (CB_IS_SMP_TRANSPORT (self), NULL);

  return self->port;
}

guint
cb_smp_transport_get_frame_size (CbSmpTransport *self)
{
  g_return_val_if_fail (CB_IS_SMP_TRANSPORT (self), 0);

  return self->frame_size;
}

void
cb_smp_transport_set_frame_size (CbSmpTransport *self,
                                 guint           frame_size)
{
  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));

  frame_size = CLAMP (frame_size, CBP_FRAME_SIZE_MIN, CBP_FRAME_LINE_MAX);
  if (self->frame_size == frame_size)
    return;

  self->frame_size = frame_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRAME_SIZE]);
}

guint
cb_smp_transport_get_max_packet (CbSmpTransport *self)
{
  g_return_val_if_fail (CB_IS_SMP_TRANSPORT (self), 0);

  return self->max_packet;
}

void
cb_smp_transport_set_max_packet (CbSmpTransport *self,
                                 guint           max_packet)
{
  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));

  max_packet = CLAMP (max_packet, CBP_SMP_HEADER_LEN + 1, 65533);
  if (self->max_packet == max_packet)
    return;

  self->max_packet = max_packet;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_PACKET]);
}

guint
cb_smp_transport_get_bench_group (CbSmpTransport *self)
{
  g_return_val_if_fail (CB_IS_SMP_TRANSPORT (self), 0);

  return self->bench_group;
}

void
cb_smp_transport_set_bench_group (CbSmpTransport *self,
                                  guint           group)
{
  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));
  g_return_if_fail (group >= 64 && group <= G_MAXUINT16);

  if (self->bench_group == group)
    return;

  self->bench_group = group;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BENCH_GROUP]);
}

void
cb_smp_transport_set_max_retries (CbSmpTransport *self,
                                  guint           retries)
{
  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));

  self->max_retries = retries;
}

void
cb_smp_transport_set_timeout_scale (CbSmpTransport *self,
                                    double          scale)
{
  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));
  g_return_if_fail (scale > 0);

  self->timeout_scale = scale;
}

void
cb_smp_transport_set_version (CbSmpTransport *self,
                              guint           version)
{
  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));
  g_return_if_fail (version <= CBP_SMP_V2);

  self->version = version;
}

void
cb_smp_transport_get_stats (CbSmpTransport      *self,
                            CbSmpTransportStats *stats)
{
  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));
  g_return_if_fail (stats != NULL);

  *stats = self->stats;
}

/* What both ways of sending a request take. */
static gboolean
request_args_valid (CbSmpTransport *self,
                    guint           group,
                    guint           command,
                    CbSmpOp         op,
                    GCancellable   *cancellable)
{
  return CB_IS_SMP_TRANSPORT (self) && group <= G_MAXUINT16 && command <= G_MAXUINT8 &&
         (op == CB_SMP_OP_READ || op == CB_SMP_OP_WRITE) &&
         (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
}

/* Queues a request whose caller is told through task or done (request_return). */
static void
request_start (CbSmpTransport    *self,
               guint              group,
               guint              command,
               CbSmpOp            op,
               GBytes            *payload,
               guint              timeout_ms,
               CbSmpRequestFlags  flags,
               GCancellable      *cancellable,
               GTask             *task,
               CbSmpReplyFunc     done,
               gpointer           done_data)
{
  const cbp_command *cmd;
  Request *req;

  req = g_new0 (Request, 1);
  req->ref = 1;
  req->self = g_object_ref (self);
  req->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  req->task = task;
  req->done = done;
  req->done_data = done_data;

  if (self->closed_error != NULL || !cb_serial_port_is_open (self->port))
    {
      const GError *port_error = cb_serial_port_get_close_error (self->port);
      g_autoptr(Request) closed = req;

      if (self->closed_error != NULL)
        request_return (closed, NULL, g_error_copy (self->closed_error));
      else if (port_error != NULL)
        request_return (closed, NULL, g_error_copy (port_error));
      else
        request_return (closed, NULL,
                        g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED, "Serial port %s is closed",
                                     cb_serial_port_get_path (self->port)));
      return;
    }

  cmd = cb_smp_lookup_command (group, command, self->bench_group);

  req->group = group;
  req->command = command;
  req->op = op;
  /* An empty CBOR map: SMP payloads are always one map. */
  req->payload = payload != NULL ? g_bytes_ref (payload) : g_bytes_new_static ("\xa0", 1);
  req->timeout_ms = timeout_ms != 0 ? timeout_ms :
                    cmd != NULL ? cmd->timeout_ms : CB_SMP_DEFAULT_TIMEOUT_MS;
  req->idempotent = (cmd != NULL && cmd->idempotent) || (flags & CB_SMP_REQUEST_IDEMPOTENT);
  if (flags & CB_SMP_REQUEST_NO_RETRY)
    req->idempotent = FALSE;

  if (cancellable != NULL && !watch_cancellable (self, cancellable))
    {
      req->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (req->cancel_source, G_SOURCE_FUNC (on_request_cancelled),
                             req, NULL);
      g_source_attach (req->cancel_source, g_main_context_get_thread_default ());
    }

  g_queue_push_tail (&self->queue, req);
  cb_smp_transport_start_next (self);
}

void
cb_smp_transport_request_async (CbSmpTransport      *self,
                                guint                group,
                                guint                command,
                                CbSmpOp              op,
                                GBytes              *payload,
                                guint                timeout_ms,
                                CbSmpRequestFlags    flags,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (request_args_valid (self, group, command, op, cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_smp_transport_request_async);
  request_start (self, group, command, op, payload, timeout_ms, flags, cancellable, task, NULL,
                 NULL);
}

/* See cb-smp-transport-private.h. */
void
cb_smp_transport_request (CbSmpTransport    *self,
                          guint              group,
                          guint              command,
                          CbSmpOp            op,
                          GBytes            *payload,
                          guint              timeout_ms,
                          CbSmpRequestFlags  flags,
                          GCancellable      *cancellable,
                          CbSmpReplyFunc     done,
                          gpointer           user_data)
{
  g_return_if_fail (request_args_valid (self, group, command, op, cancellable));
  g_return_if_fail (done != NULL);

  request_start (self, group, command, op, payload, timeout_ms, flags, cancellable, NULL, done,
                 user_data);
}

GBytes *
cb_smp_transport_request_finish (CbSmpTransport  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (CB_IS_SMP_TRANSPORT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Adds a traffic sink (see cb-smp-transport-private.h), unless the transport has as many as it
 * keeps: then it returns FALSE and the caller listens to `traffic` instead. */
gboolean
cb_smp_transport_add_traffic_sink (CbSmpTransport   *self,
                                   CbSmpTrafficSink  sink,
                                   gpointer          user_data)
{
  g_return_val_if_fail (CB_IS_SMP_TRANSPORT (self), FALSE);
  g_return_val_if_fail (sink != NULL, FALSE);

  if (self->n_traffic_sinks == TRAFFIC_SINKS_MAX)
    return FALSE;
  self->traffic_sinks[self->n_traffic_sinks++] = (TrafficSink) { sink, user_data };
  return TRUE;
}

/* Sets the line sink (see cb-smp-transport-private.h). */
void
cb_smp_transport_set_line_sink (CbSmpTransport *self,
                                CbSmpLineSink   sink,
                                gpointer        user_data)
{
  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));

  self->line_sink = sink;
  self->line_sink_data = sink != NULL ? user_data : NULL;
}

/* Removes the sinks that user_data added. */
void
cb_smp_transport_remove_traffic_sink (CbSmpTransport *self,
                                      gpointer        user_data)
{
  guint kept = 0;

  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));

  for (guint i = 0; i < self->n_traffic_sinks; i++)
    if (self->traffic_sinks[i].data != user_data)
      self->traffic_sinks[kept++] = self->traffic_sinks[i];
  self->n_traffic_sinks = kept;
}

/* ---- Idle waits ------------------------------------------------------------------------- */

/* Lets the port read at once what it holds for the idle wait, if it does. */
static void
idle_release (CbSmpTransport *self)
{
  if (!self->idle_held)
    return;
  self->idle_held = FALSE;
  if (self->port != NULL)
    cb_serial_port_hold_read (self->port, 0);
}

/* Ends the idle wait: TRUE at its time, or error (transfer full). */
static void
idle_finish (CbSmpTransport *self,
             GError         *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->idle_task);

  g_assert (task != NULL);

  idle_release (self);
  if (self->idle_deadline != NULL)
    self->idle_deadline->at = -1;
  if (self->idle_cancel_source != NULL)
    {
      g_source_destroy (self->idle_cancel_source);
      g_clear_pointer (&self->idle_cancel_source, g_source_unref);
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Holds the port until the wait's time or the port's limit on a hold, whichever is first, and
 * sets the wait's source to then: between frames with nothing in flight only, the line's own
 * business otherwise. The port's deadline for the hold was attached before this source, so in
 * the wake-up at the hold's end the port reads first, then the wait steps on or ends. */
static void
idle_step (CbSmpTransport *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 held = 0;

  if (now >= self->idle_until)
    {
      idle_finish (self, NULL);
      return;
    }
  if (self->current == NULL && g_queue_is_empty (&self->queue) && self->port != NULL &&
      cbp_decoder_bytes_wanted (self->decoder) == 0)
    held = cb_serial_port_hold_read (self->port, self->idle_until);
  self->idle_held = held > 0;
  self->idle_deadline->at = held > 0 ? held : self->idle_until;
}

static gboolean
on_idle_deadline (gpointer user_data)
{
  CbSmpTransport *self = user_data;
  g_autoptr(CbSmpTransport) hold = g_object_ref (self);

  g_assert (CB_IS_SMP_TRANSPORT (self));

  /* The port read at the hold's end (or the hold was let go). */
  self->idle_held = FALSE;
  if (self->idle_task != NULL)
    idle_step (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_idle_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  CbSmpTransport *self = user_data;
  g_autoptr(CbSmpTransport) hold = g_object_ref (self);
  GError *error = NULL;

  g_clear_pointer (&self->idle_cancel_source, g_source_unref);
  if (self->idle_task != NULL)
    {
      g_cancellable_set_error_if_cancelled (cancellable, &error);
      idle_finish (self, error);
    }
  return G_SOURCE_REMOVE;
}

/**
 * cb_smp_transport_idle_async:
 * @until: monotonic µs
 *
 * Waits until @until while the caller sends nothing and needs nothing the device says (a run
 * between its polls): on a paced line the port leaves what the device prints meanwhile unread
 * and reads it in one wake-up at the end (cb_serial_port_hold_read; at most 150 ms a hold, each
 * hold's end a wake-up), its log lines coming out then, in order. A request made meanwhile lets
 * the port go as usual. Completes at @until, or earlier with the port's error when it goes
 * (a pty's hangup at once, a UART's at a hold's end) or cancelled. One at a time.
 */
void
cb_smp_transport_idle_async (CbSmpTransport      *self,
                             gint64               until,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GMainContext *context = g_main_context_get_thread_default ();

  g_return_if_fail (CB_IS_SMP_TRANSPORT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_smp_transport_idle_async);

  if (self->idle_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "The transport is waiting idle already");
      return;
    }
  if (self->closed_error != NULL || self->port == NULL || !cb_serial_port_is_open (self->port))
    {
      g_task_return_error (task, self->closed_error != NULL
                                   ? g_error_copy (self->closed_error)
                                   : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                          "The serial port is closed"));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  if (self->idle_deadline != NULL &&
      g_source_get_context (&self->idle_deadline->source) !=
      (context != NULL ? context : g_main_context_default ()))
    {
      g_source_destroy (&self->idle_deadline->source);
      g_source_unref (&g_steal_pointer (&self->idle_deadline)->source);
    }
  if (self->idle_deadline == NULL)
    {
      self->idle_deadline = cb_deadline_source_new ();
      g_source_set_callback (&self->idle_deadline->source, on_idle_deadline, self, NULL);
      g_source_set_static_name (&self->idle_deadline->source, "[cb-smp-transport idle]");
      g_source_attach (&self->idle_deadline->source, context);
    }
  if (cancellable != NULL)
    {
      self->idle_cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->idle_cancel_source, G_SOURCE_FUNC (on_idle_cancelled), self,
                             NULL);
      g_source_set_static_name (self->idle_cancel_source, "[cb-smp-transport idle cancel]");
      g_source_attach (self->idle_cancel_source, context);
    }

  self->idle_task = g_steal_pointer (&task);
  self->idle_until = until;
  idle_step (self);
}

gboolean
cb_smp_transport_idle_finish (CbSmpTransport  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (CB_IS_SMP_TRANSPORT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, cb_smp_transport_idle_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
