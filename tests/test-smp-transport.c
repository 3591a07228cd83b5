/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>

#include "cbp-frame.h"
#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-serial-port-private.h"
#include "cb-smp-answer-times-private.h"
#include "cb-protocol-log.h"
#include "cb-smp-transport.h"
#include "cb-smp-transport-private.h"

/* A scripted device on the master side of a pty pair, speaking the real framing through the
 * portable codec. Knobs make it misbehave in the ways the transport must survive. */

typedef enum
{
  REPLY_OK,
  REPLY_V2_GROUP_ERROR,   /* {"err": {"group": 64, "rc": 2}} */
  REPLY_V1_RC,            /* v1 header, {"rc": 8} */
  REPLY_V2_RC,            /* v2 header, {"rc": 3} */
  REPLY_NOT_A_MAP,        /* CBOR array */
} ReplyMode;

typedef struct
{
  int          master;
  int          slave_keep;
  char        *slave_path;
  GSource     *source;
  cbp_decoder *decoder;

  /* knobs */
  guint        frame_size;      /* for replies */
  guint        stall;           /* ignore this many requests (G_MAXUINT: all) */
  guint        corrupt;         /* break the CRC of this many replies */
  guint        break_frame;     /* put log text inside a frame line of this many replies */
  guint        wrong_seq;       /* send this many replies with seq + 1 first */
  gboolean     chatter;         /* log text before, between and after the frames */
  guint        pace;            /* hand replies over this many bytes every 2 ms, like a UART */
  ReplyMode    mode;
  guint        pads[2];         /* the first and later answers (not echo) carry so many bytes */
  guint        answered;        /* ...counted from here (a new device) */

  GByteArray  *paced;           /* reply bytes not handed over yet */
  guint        pace_id;

  /* observations */
  GArray      *seqs;            /* guint8 of every request seen */
  GArray      *commands;        /* guint of every request seen */
  guint        max_line;        /* longest frame line the station sent */
  guint        requests_framed; /* frames (lines) the station sent */
} Device;

static void device_write_now (Device       *dev,
                              const guint8 *data,
                              gsize         len);

static gboolean
on_device_pace (gpointer user_data)
{
  Device *dev = user_data;
  guint n = MIN (dev->pace, dev->paced->len);

  device_write_now (dev, dev->paced->data, n);
  g_byte_array_remove_range (dev->paced, 0, n);
  if (dev->paced->len > 0)
    return G_SOURCE_CONTINUE;
  dev->pace_id = 0;
  return G_SOURCE_REMOVE;
}

static void
device_write (Device       *dev,
              const guint8 *data,
              gsize         len)
{
  if (dev->pace == 0)
    {
      device_write_now (dev, data, len);
      return;
    }
  if (dev->paced == NULL)
    dev->paced = g_byte_array_new ();
  g_byte_array_append (dev->paced, data, (guint) len);
  if (dev->pace_id == 0)
    dev->pace_id = g_timeout_add (2, on_device_pace, dev);
}

static void
device_write_now (Device       *dev,
                  const guint8 *data,
                  gsize         len)
{
  gsize done = 0;

  while (done < len)
    {
      gssize n = write (dev->master, data + done, len - done);

      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        {
          g_usleep (1000);
          continue;
        }
      g_assert_cmpint (n, >, 0);
      done += n;
    }
}

static void
device_write_str (Device     *dev,
                  const char *s)
{
  device_write (dev, (const guint8 *)s, strlen (s));
}

static void
device_send (Device         *dev,
             cbp_smp_header *hdr,
             const guint8   *payload,
             gsize           payload_len,
             gboolean        corrupt,
             gboolean        break_frame)
{
  uint8_t *packet = NULL;
  size_t packet_len = 0;
  uint8_t *frames = NULL;
  size_t frames_len = 0;
  g_auto(GStrv) lines = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (cbp_smp_packet_build (hdr, payload, payload_len, &packet, &packet_len), ==, 0);
  g_assert_cmpint (cbp_frame_encode (packet, packet_len, dev->frame_size, &frames, &frames_len),
                   ==, 0);
  free (packet);

  if (corrupt)
    {
      /* Swap one base64 digit of the first frame for another: still valid base64, wrong CRC.
       * frames[6] is the first digit of the second group, which lands in the SMP header (the
       * first group carries the length, which would make it a length error instead). */
      frames[6] = frames[6] == 'A' ? 'B' : 'A';
    }

  text = g_strndup ((const char *)frames, frames_len);
  free (frames);

  if (dev->chatter)
    device_write_str (dev, "[00:01] booting\r\nI: partial ");

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      if (break_frame && i == 0)
        {
          gsize len = strlen (lines[i]);

          /* A log line that lands in the middle of a frame line. */
          device_write (dev, (const guint8 *)lines[i], len / 2);
          device_write_str (dev, "!! interrupt\n");
          device_write (dev, (const guint8 *)lines[i] + len / 2, len - len / 2);
        }
      else
        device_write_str (dev, lines[i]);
      device_write_str (dev, "\n");
      if (dev->chatter)
        device_write_str (dev, "W: between frames\n");
    }

  if (dev->chatter)
    device_write_str (dev, "done\n");
}

static void
on_device_packet (void          *user_data,
                  const uint8_t *packet,
                  size_t         len)
{
  Device *dev = user_data;
  cbp_smp_header hdr;
  cbp_smp_header rsp = { 0 };
  const uint8_t *payload;
  uint8_t *out = NULL;
  size_t out_len = 0;
  guint command;

  g_assert_cmpint (cbp_smp_packet_parse (packet, len, &hdr, &payload), ==, 0);
  g_assert_false (cbp_smp_op_is_response (hdr.op));
  g_array_append_val (dev->seqs, hdr.seq);
  command = hdr.id;
  g_array_append_val (dev->commands, command);

  if (dev->stall > 0)
    {
      if (dev->stall != G_MAXUINT)
        dev->stall--;
      return;
    }

  rsp.version = hdr.version;
  rsp.op = cbp_smp_response_op (hdr.op);
  rsp.group = hdr.group;
  rsp.seq = hdr.seq;
  rsp.id = hdr.id;

  switch (dev->mode)
    {
    case REPLY_OK:
      if (hdr.group == CBP_GROUP_OS && hdr.id == CBP_OS_ECHO)
        {
          const cbp_command *cmd = cbp_os_command (CBP_OS_ECHO);
          cbp_os_echo_req req = { 0 };
          cbp_os_echo_rsp echo = { 0 };

          g_assert_cmpint (cbp_request_decode (cmd, payload, hdr.len, &req), ==, CBP_OK);
          echo.r = req.d;
          g_assert_cmpint (cbp_response_encode (cmd, &echo, &out, &out_len), ==, CBP_OK);
          cbp_request_clear (cmd, &req);
        }
      else if (dev->pads[0] > 0)
        {
          /* {"p": text of the pad's length} */
          guint pad = dev->pads[MIN (dev->answered, 1)];

          dev->answered++;
          out_len = 6 + pad;
          out = malloc (out_len);
          memcpy (out, "\xa1\x61p\x79", 4);
          out[4] = pad >> 8;
          out[5] = pad & 0xff;
          memset (out + 6, 'p', pad);
        }
      else
        {
          out = malloc (1);
          out[0] = 0xa0;
          out_len = 1;
        }
      break;
    case REPLY_V2_GROUP_ERROR:
      g_assert_cmpint (cbp_error_encode_group (hdr.group, CBP_RC_NO_KEY, &out, &out_len), ==, 0);
      break;
    case REPLY_V1_RC:
      rsp.version = CBP_SMP_V1;
      g_assert_cmpint (cbp_error_encode_rc (CBP_SMP_RC_NOT_SUPPORTED, &out, &out_len), ==, 0);
      break;
    case REPLY_V2_RC:
      g_assert_cmpint (cbp_error_encode_rc (CBP_SMP_RC_INVALID, &out, &out_len), ==, 0);
      break;
    case REPLY_NOT_A_MAP:
      out = malloc (2);
      out[0] = 0x81;   /* [0] */
      out[1] = 0x00;
      out_len = 2;
      break;
    default:
      g_assert_not_reached ();
    }

  if (dev->wrong_seq > 0)
    {
      cbp_smp_header stale = rsp;

      dev->wrong_seq--;
      stale.seq = (guint8)(rsp.seq + 1);
      device_send (dev, &stale, out, out_len, FALSE, FALSE);
    }

  device_send (dev, &rsp, out, out_len, dev->corrupt > 0, dev->break_frame > 0);
  if (dev->corrupt > 0)
    dev->corrupt--;
  if (dev->break_frame > 0)
    dev->break_frame--;
  free (out);
}

static gboolean
on_device_readable (int           fd,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  Device *dev = user_data;
  guint8 buf[4096];
  gssize n;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    {
      guint line = 0;

      /* Measure the station's frame lines: they must respect the frame size. */
      for (gssize i = 0; i < n; i++)
        {
          line++;
          if (buf[i] == '\n')
            {
              dev->max_line = MAX (dev->max_line, line);
              dev->requests_framed++;
              line = 0;
            }
        }
      cbp_decoder_feed (dev->decoder, buf, n);
    }

  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    {
      dev->source = NULL;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
device_open (Device *dev)
{
  struct termios tio;
  char name[256];

  memset (dev, 0, sizeof *dev);
  g_assert_cmpint (openpty (&dev->master, &dev->slave_keep, name, NULL, NULL), ==, 0);
  dev->slave_path = g_strdup (name);
  g_assert_cmpint (tcgetattr (dev->master, &tio), ==, 0);
  cfmakeraw (&tio);
  g_assert_cmpint (tcsetattr (dev->master, TCSANOW, &tio), ==, 0);
  g_assert_true (g_unix_set_fd_nonblocking (dev->master, TRUE, NULL));

  dev->frame_size = CBP_FRAME_SIZE_DEFAULT;
  dev->decoder = cbp_decoder_new (0, on_device_packet, NULL, dev);
  dev->seqs = g_array_new (FALSE, FALSE, sizeof (guint8));
  dev->commands = g_array_new (FALSE, FALSE, sizeof (guint));

  dev->source = g_unix_fd_source_new (dev->master, G_IO_IN | G_IO_HUP);
  g_source_set_callback (dev->source, G_SOURCE_FUNC (on_device_readable), dev, NULL);
  g_source_attach (dev->source, NULL);
  g_source_unref (dev->source);
}

static void
device_unplug (Device *dev)
{
  if (dev->source != NULL)
    g_source_destroy (g_steal_pointer (&dev->source));
  if (dev->master >= 0)
    close (dev->master);
  dev->master = -1;
}

static void
device_clear (Device *dev)
{
  device_unplug (dev);
  g_clear_handle_id (&dev->pace_id, g_source_remove);
  g_clear_pointer (&dev->paced, g_byte_array_unref);
  if (dev->slave_keep >= 0)
    close (dev->slave_keep);
  g_clear_pointer (&dev->decoder, cbp_decoder_free);
  g_clear_pointer (&dev->seqs, g_array_unref);
  g_clear_pointer (&dev->commands, g_array_unref);
  g_clear_pointer (&dev->slave_path, g_free);
}

/* The station side */

typedef struct
{
  Device          dev;
  CbSerialPort   *port;
  CbSmpTransport *transport;
  GPtrArray      *log_lines;
  GPtrArray      *traffic;      /* CbSmpTraffic* */
  guint           retries;
  guint64         frame_errors[CB_SMP_FRAME_ERROR_OVERLONG + 1];
} Fixture;

static void
on_log_line (CbSmpTransport *transport,
             const char     *line,
             Fixture        *f)
{
  g_test_message ("device log: %s", line);
  g_ptr_array_add (f->log_lines, g_strdup (line));
}

static void
on_traffic (CbSmpTransport     *transport,
            const CbSmpTraffic *traffic,
            Fixture            *f)
{
  g_autofree char *s = cb_smp_traffic_to_string (traffic, 64);

  g_test_message ("%s", s);
  g_ptr_array_add (f->traffic, cb_smp_traffic_copy (traffic));
}

static void
on_retry (CbSmpTransport *transport,
          guint           group,
          guint           command,
          guint           attempt,
          Fixture        *f)
{
  f->retries++;
}

static void
on_frame_error (CbSmpTransport *transport,
                guint           kind,
                guint64         count,
                Fixture        *f)
{
  g_assert_cmpuint (kind, <=, CB_SMP_FRAME_ERROR_OVERLONG);
  /* count is the running total of this kind */
  g_assert_cmpuint (count, >, f->frame_errors[kind]);
  f->frame_errors[kind] = count;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  device_open (&f->dev);
  /* Each test's port measures its line itself, whatever an earlier test's port found. */
  cb_serial_port_forget_line_paces ();
  f->port = cb_serial_port_open (f->dev.slave_path, 115200, &error);
  g_assert_no_error (error);
  close (f->dev.slave_keep);
  f->dev.slave_keep = -1;

  f->transport = cb_smp_transport_new (f->port);
  f->log_lines = g_ptr_array_new_with_free_func (g_free);
  f->traffic = g_ptr_array_new_with_free_func ((GDestroyNotify)cb_smp_traffic_free);
  g_signal_connect (f->transport, "log-line", G_CALLBACK (on_log_line), f);
  g_signal_connect (f->transport, "traffic", G_CALLBACK (on_traffic), f);
  g_signal_connect (f->transport, "retry", G_CALLBACK (on_retry), f);
  g_signal_connect (f->transport, "frame-error", G_CALLBACK (on_frame_error), f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_assert_finalize_object (g_steal_pointer (&f->transport));
  g_assert_finalize_object (g_steal_pointer (&f->port));
  g_clear_pointer (&f->log_lines, g_ptr_array_unref);
  g_clear_pointer (&f->traffic, g_ptr_array_unref);
  device_clear (&f->dev);
}

typedef struct
{
  gboolean  done;
  GBytes   *payload;
  GError   *error;
  gint64    finished_at;
} Result;

static void
on_request_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Result *res = user_data;

  res->payload = cb_smp_transport_request_finish (CB_SMP_TRANSPORT (object), result, &res->error);
  res->finished_at = g_get_monotonic_time ();
  res->done = TRUE;
}

static void
result_clear (Result *res)
{
  g_clear_pointer (&res->payload, g_bytes_unref);
  g_clear_error (&res->error);
  res->done = FALSE;
}

static void
wait_for (Result *res)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!res->done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (res->done);
}

static GBytes *
echo_payload (const char *text)
{
  const cbp_command *cmd = cbp_os_command (CBP_OS_ECHO);
  cbp_os_echo_req req = { (char *)text };
  uint8_t *out = NULL;
  size_t out_len = 0;

  g_assert_cmpint (cbp_request_encode (cmd, &req, &out, &out_len), ==, CBP_OK);
  return g_bytes_new_with_free_func (out, out_len, free, out);
}

static char *
echo_reply_text (GBytes *payload)
{
  const cbp_command *cmd = cbp_os_command (CBP_OS_ECHO);
  cbp_os_echo_rsp rsp = { 0 };
  gsize len;
  const guint8 *data;
  char *text;

  g_assert_nonnull (payload);
  data = g_bytes_get_data (payload, &len);
  g_assert_cmpint (cbp_response_decode (cmd, data, len, &rsp), ==, CBP_OK);
  text = g_strdup (rsp.r);
  cbp_response_clear (cmd, &rsp);
  return text;
}

static void
echo (Fixture    *f,
      const char *text,
      guint       timeout_ms,
      Result     *res)
{
  g_autoptr(GBytes) payload = echo_payload (text);

  cb_smp_transport_request_async (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE,
                                  payload, timeout_ms, CB_SMP_REQUEST_DEFAULT, NULL,
                                  on_request_done, res);
}

static void
test_echo (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *reply = NULL;
  CbSmpTraffic *tx, *rx;
  CbSmpTransportStats stats;
  Result res = { 0 };

  echo (f, "hello", 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, "hello");

  g_assert_cmpuint (f->traffic->len, ==, 2);
  tx = g_ptr_array_index (f->traffic, 0);
  rx = g_ptr_array_index (f->traffic, 1);
  g_assert_cmpint (tx->direction, ==, CB_SMP_DIRECTION_TX);
  g_assert_cmpint (tx->op, ==, CB_SMP_OP_WRITE);
  g_assert_cmpuint (tx->version, ==, 1);
  g_assert_cmpuint (tx->group, ==, 0);
  g_assert_cmpuint (tx->command, ==, 0);
  g_assert_cmpuint (tx->n_frames, ==, 1);
  g_assert_cmpuint (tx->payload_len, ==, 9);    /* a1 61 64 65 "hello" */
  g_assert_cmpint (rx->direction, ==, CB_SMP_DIRECTION_RX);
  g_assert_cmpint (rx->op, ==, CB_SMP_OP_WRITE_RSP);
  g_assert_cmpuint (rx->seq, ==, tx->seq);
  g_assert_false (rx->dropped);
  g_assert_cmpuint (f->dev.max_line, <=, 127);

  cb_smp_transport_get_stats (f->transport, &stats);
  g_assert_cmpuint (stats.requests, ==, 1);
  g_assert_cmpuint (stats.retries, ==, 0);
  g_assert_cmpuint (stats.frame_errors, ==, 0);

  result_clear (&res);
}

/* Small frames both ways, and sequence numbers that advance per request. */
static void
test_fragmentation (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *big = NULL;
  guint sizes[] = { 7, 16, 50, 127 };

  big = g_strnfill (700, 'x');
  for (guint i = 0; i < 700; i++)
    big[i] = 'a' + (i * 7) % 26;

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autofree char *reply = NULL;
      Result res = { 0 };
      guint frames_before = f->dev.requests_framed;

      f->dev.max_line = 0;
      f->dev.frame_size = sizes[s];
      cb_smp_transport_set_frame_size (f->transport, sizes[s]);
      g_assert_cmpuint (cb_smp_transport_get_frame_size (f->transport), ==, sizes[s]);

      echo (f, big, 0, &res);
      wait_for (&res);
      g_assert_no_error (res.error);
      reply = echo_reply_text (res.payload);
      g_assert_cmpstr (reply, ==, big);

      /* marker + base64 + newline never exceeds the frame size */
      g_assert_cmpuint (f->dev.max_line, <=, sizes[s]);
      g_assert_cmpuint (f->dev.requests_framed - frames_before, >,
                        (8 + 700) / cbp_frame_payload_per_frame (sizes[s]));
      result_clear (&res);
    }

  g_assert_cmpuint (f->dev.seqs->len, ==, G_N_ELEMENTS (sizes));
  for (guint i = 1; i < f->dev.seqs->len; i++)
    g_assert_cmpuint (g_array_index (f->dev.seqs, guint8, i), ==,
                      (guint8)(g_array_index (f->dev.seqs, guint8, i - 1) + 1));
}

static gboolean has_line (Fixture    *f,
                          const char *line);

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Waits (at most 10 s) for the device's log line. */
static void
wait_for_line (Fixture    *f,
               const char *line)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint tick = g_timeout_add (100, tick_cb, NULL);

  while (!has_line (f, line) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  g_assert_true (has_line (f, line));
}

static void
count_wake_up (CbSerialPort *port,
               GBytes       *bytes,
               guint        *wake_ups)
{
  (*wake_ups)++;
}

/* A device that hands its reply over a few bytes at a time, as a UART does: once the
 * transport knows how long the packet is, the port wakes it for the rest in a few large
 * reads, not at every delivery. */
static void
test_paced_reply (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *big = g_strnfill (600, 'x');
  g_autofree char *reply = NULL;
  Result res = { 0 };
  guint wake_ups = 0, deliveries;

  for (guint i = 0; i < 600; i++)
    big[i] = 'a' + (i * 11) % 26;
  f->dev.pace = 16;
  /* A pty has no baud rate; at 9600 the port's fallback (twice the wire time of what it waits
   * for) is far longer than this device takes even on a loaded machine. */
  g_assert_true (cb_serial_port_set_baud_rate (f->port, 9600, NULL));
  g_signal_connect (f->port, "bytes-received", G_CALLBACK (count_wake_up), &wake_ups);

  echo (f, big, 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, big);

  /* The reply is about 830 bytes: some 52 deliveries of 16. */
  deliveries = (8 + 600 + 4) * 4 / 3 / 16;
  g_test_message ("%u wake-ups for about %u deliveries", wake_ups, deliveries);
  /* The first delivery, then the rest at most 255 bytes (a terminal's VMIN) at a time. */
  g_assert_cmpuint (wake_ups, <=, deliveries / 6);
  result_clear (&res);

  /* A log line and a prompt without a newline still come through, as at every byte. */
  f->dev.pace = 0;
  device_write_str (&f->dev, "I: after\nuart:~$ ");
  wait_for_line (f, "uart:~$ ");
  g_assert_true (has_line (f, "I: after"));
}

/* An echo of text; asserts the reply is that text. */
static void
echo_checked (Fixture    *f,
              const char *text)
{
  g_autofree char *reply = NULL;
  Result res = { 0 };

  echo (f, text, 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, text);
  result_clear (&res);
}

/* A device handing its replies over 16 bytes every 2 ms (80,000 baud: a paced line at a
 * nominal 115200), and two long replies that teach the port so. */
static void
teach_paced_line (Fixture *f)
{
  g_autofree char *big = g_strnfill (300, 'x');

  for (guint i = 0; i < 300; i++)
    big[i] = 'a' + (i * 7) % 26;
  f->dev.pace = 16;
  g_assert_true (cb_serial_port_set_baud_rate (f->port, 115200, NULL));
  echo_checked (f, big);
  echo_checked (f, big);
}

/* A device's log lines on a line the port has measured paced: half a line read, the rest is
 * read at its wire time, not at each delivery (16 bytes every 2 ms here). Four lines of 137
 * bytes come in 9 deliveries, each a wake-up before; now about 3. The replies that taught the
 * port its line still came whole. */
static void
test_paced_log_line (Fixture       *f,
                     gconstpointer  data)
{
  guint wake_ups = 0;

  teach_paced_line (f);
  g_signal_connect (f->port, "bytes-received", G_CALLBACK (count_wake_up), &wake_ups);
  device_write_str (&f->dev, "I: keygen: generating a key of type p256\n"
                             "I: keygen: done\n"
                             "I: dps: configured for registration id line1-0001-abcdef-7788\n"
                             "I: hub: connected\n");
  wait_for_line (f, "I: hub: connected");
  g_assert_true (has_line (f, "I: keygen: generating a key of type p256"));
  g_assert_true (has_line (f, "I: keygen: done"));
  g_assert_true (has_line (f, "I: dps: configured for registration id line1-0001-abcdef-7788"));
  g_test_message ("%u wake-ups for 9 deliveries of log text", wake_ups);
  g_assert_cmpuint (wake_ups, <=, 5);
}

/* On a line the port has measured paced, the answer to a kind of request the station has seen
 * answered is read once, when it was whole last time (cb-smp-answer-times.c), not at its first
 * bytes and again after their rest's wire time: 2 wake-ups an exchange before. A device that
 * has become slower still has its answers read whole, in more wake-ups. */
static void
test_learned_answer (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *text = g_strnfill (100, 'y');
  CbSerialPortCounts before, after;

  cb_smp_answer_times_forget ();
  /* Teach the port its line, and the station the echo's time: one for each of the first
   * CB_SMP_ANSWER_ORDINAL_MAX echoes on a transport and one for all later ones. */
  teach_paced_line (f);
  for (guint i = 0; i <= CB_SMP_ANSWER_ORDINAL_MAX; i++)
    echo_checked (f, text);

  cb_serial_port_get_counts (f->port, &before);
  for (guint i = 0; i < 6; i++)
    echo_checked (f, text);
  cb_serial_port_get_counts (f->port, &after);
  g_test_message ("6 exchanges: %" G_GUINT64_FORMAT " wake-ups, %" G_GUINT64_FORMAT " held",
                  after.wake_ups - before.wake_ups, after.held_waits - before.held_waits);
  g_assert_cmpuint (after.held_waits - before.held_waits, >=, 4);
  g_assert_cmpuint (after.wake_ups - before.wake_ups, <=, 9);

  /* The device now answers at half the pace: held for the old time, the answer is not whole;
   * its rest is read as any answer's. */
  f->dev.pace = 8;
  for (guint i = 0; i < 3; i++)
    echo_checked (f, text);
  cb_smp_answer_times_forget ();
}

/* A request of the OS group with an empty map, answered as the device's pads say; returns
 * the wake-ups the port took for it. */
static guint64
padded_exchange (Fixture *f)
{
  CbSerialPortCounts before, after;
  Result res = { 0 };

  cb_serial_port_get_counts (f->port, &before);
  cb_smp_transport_request_async (f->transport, CBP_GROUP_OS, 60, CB_SMP_OP_READ, NULL, 2000,
                                  CB_SMP_REQUEST_DEFAULT, NULL, on_request_done, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  cb_serial_port_get_counts (f->port, &after);
  result_clear (&res);
  return after.wake_ups - before.wake_ups;
}

/* Requests that look alike (group, command, op and size) but are answered differently, as
 * read-back's two cert_get are (some 1,300 and 1,230 bytes), on each of a station's devices (a
 * transport each on the port here): each keeps its own time, by its ordinal on the transport.
 * With one time for all, the longer answer was held for the time the shorter ones proved
 * enough for (less a creep each) and came in two reads on every device (0 or 1 of 6 whole).
 * The times are kept with a margin (a 16th after an answer that came in two reads, a 64th
 * off when one proved enough): learnt at the edge and brought down by a 32nd, a time each
 * still left about every other answer in two reads (2 or 3 of 6 long, 6 to 8 of 18 short). */
static void
test_alike_requests (Fixture       *f,
                     gconstpointer  data)
{
  guint whole[2] = { 0, 0 };

  cb_smp_answer_times_forget ();
  teach_paced_line (f);
  f->dev.pads[0] = 400;
  f->dev.pads[1] = 300;
  for (guint device = 0; device < 7; device++)
    {
      /* A new device: the station makes a transport for it. */
      g_assert_finalize_object (g_steal_pointer (&f->transport));
      f->transport = cb_smp_transport_new (f->port);
      f->dev.answered = 0;
      for (guint i = 0; i < 4; i++)
        {
          guint64 wake_ups = padded_exchange (f);

          g_test_message ("device %u, request %u: %" G_GUINT64_FORMAT " wake-ups", device, i,
                          wake_ups);
          /* The first device teaches the times. */
          if (device > 0 && wake_ups == 1)
            whole[MIN (i, 1)]++;
        }
    }
  g_test_message ("read whole at the hold: %u of 6 long answers, %u of 18 short", whole[0],
                  whole[1]);
  g_assert_cmpuint (whole[0], >=, 3);
  g_assert_cmpuint (whole[1], >=, 9);
  cb_smp_answer_times_forget ();
}

/* A protocol log takes the transport's traffic records as a sink, without a `traffic`
 * emission each (two an exchange, about 26 a station's device): while the logs are the only
 * listeners, the signal has no handler. Handlers connected besides them still get every record,
 * and each log has what came while it was attached. */
static void
test_traffic_sink (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CbProtocolLog) log = cb_protocol_log_new ();
  g_autoptr(CbProtocolLog) second = cb_protocol_log_new ();
  guint signal_id = g_signal_lookup ("traffic", CB_TYPE_SMP_TRANSPORT);
  g_autofree char *text = NULL;
  g_autofree char *second_text = NULL;

  g_signal_handlers_disconnect_by_func (f->transport, on_traffic, f);
  cb_protocol_log_attach (log, f->transport);
  g_assert_false (g_signal_has_handler_pending (f->transport, signal_id, 0, FALSE));
  echo_checked (f, "sunk");
  g_assert_cmpuint (f->traffic->len, ==, 0);

  cb_protocol_log_attach (second, f->transport);
  g_assert_false (g_signal_has_handler_pending (f->transport, signal_id, 0, FALSE));
  g_signal_connect (f->transport, "traffic", G_CALLBACK (on_traffic), f);
  echo_checked (f, "both");
  g_assert_cmpuint (f->traffic->len, ==, 2);
  cb_protocol_log_detach (second);
  echo_checked (f, "first");
  cb_protocol_log_detach (log);

  text = cb_protocol_log_to_text (log);
  second_text = cb_protocol_log_to_text (second);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "sunk"));
  g_assert_nonnull (strstr (text, "both"));
  g_assert_nonnull (strstr (text, "first"));
  g_assert_null (strstr (second_text, "sunk"));
  g_assert_nonnull (strstr (second_text, "both"));
  g_assert_null (strstr (second_text, "first"));
}

/* A packet's line is written when the text is next needed, not as the packet passes: the
 * lines still come in the order things happened, with the times they happened at, notes
 * between packets where they were made, and nothing from after the log was detached. */
static void
test_protocol_log_order (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CbProtocolLog) log = cb_protocol_log_new ();
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  const char *expected[] = { "alpha", "alpha", "== between", "beta", "beta", "== after" };
  double last = 0;

  cb_protocol_log_attach (log, f->transport);
  echo_checked (f, "alpha");
  cb_protocol_log_add_note (log, "between");
  g_usleep (3000);
  echo_checked (f, "beta");
  g_assert_cmpuint (cb_protocol_log_get_n_lines (log), ==, 5);
  cb_protocol_log_detach (log);
  echo_checked (f, "unseen");
  cb_protocol_log_add_note (log, "after");

  text = cb_protocol_log_to_text (log);
  g_test_message ("%s", text);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (expected) + 1);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      double at = g_ascii_strtod (lines[i] + 1, NULL);

      g_assert_true (g_str_has_prefix (lines[i], "+"));
      g_assert_nonnull (strstr (lines[i], expected[i]));
      g_assert_cmpfloat (at, >=, last);
      last = at;
    }
  /* the note was made before the second exchange, which waited 3 ms after it */
  g_assert_cmpfloat (g_ascii_strtod (lines[3] + 1, NULL) - g_ascii_strtod (lines[2] + 1, NULL),
                     >=, 0.002);
}

static void
on_plain_done (CbSmpTransport *transport,
               GBytes         *payload,
               GError         *error,
               gpointer        user_data)
{
  Result *res = user_data;

  g_assert_true (CB_IS_SMP_TRANSPORT (transport));
  g_assert_true ((payload == NULL) != (error == NULL));
  g_assert_false (res->done);
  res->payload = payload != NULL ? g_bytes_ref (payload) : NULL;
  res->error = error;
  res->finished_at = g_get_monotonic_time ();
  res->done = TRUE;
}

/* The request the bench client makes (cb-smp-transport-private.h): no GTask of the
 * transport's, its caller told through a plain callback what request_finish() would return:
 * the answer, a cancellation that moves the queue on at once, a closed port's error (told
 * before the call returns, where the GTask told it from an idle). */
static void
test_plain_callback (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) hello = echo_payload ("plain");
  g_autoptr(GBytes) never = echo_payload ("never");
  g_autoptr(GBytes) next_payload = echo_payload ("next");
  g_autofree char *reply = NULL;
  g_autofree char *next_reply = NULL;
  Result res = { 0 }, stalled = { 0 }, next = { 0 }, closed = { 0 };

  cb_smp_transport_request (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE, hello, 0,
                            CB_SMP_REQUEST_DEFAULT, NULL, on_plain_done, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, "plain");
  result_clear (&res);

  f->dev.stall = 1;
  cb_smp_transport_request (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE, never,
                            5000, CB_SMP_REQUEST_DEFAULT, cancellable, on_plain_done, &stalled);
  cb_smp_transport_request (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE,
                            next_payload, 0, CB_SMP_REQUEST_DEFAULT, NULL, on_plain_done, &next);
  while (f->dev.seqs->len < 2)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  wait_for (&stalled);
  g_assert_error (stalled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_for (&next);
  g_assert_no_error (next.error);
  next_reply = echo_reply_text (next.payload);
  g_assert_cmpstr (next_reply, ==, "next");
  g_assert_cmpint (next.finished_at - stalled.finished_at, <, 2 * G_USEC_PER_SEC);
  result_clear (&stalled);
  result_clear (&next);

  cb_serial_port_close (f->port);
  cb_smp_transport_request (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE, hello, 0,
                            CB_SMP_REQUEST_DEFAULT, NULL, on_plain_done, &closed);
  g_assert_true (closed.done);
  g_assert_error (closed.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  result_clear (&closed);
}

/* A device that stops in the middle of a long packet's first frame (a reset) and then says
 * something short: the port gave up waiting for the rest, so the words still arrive. */
static void
test_abandoned_frame (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree guint8 *packet = g_malloc0 (600);
  uint8_t *frames = NULL;
  size_t frames_len = 0;

  g_assert_cmpint (cbp_frame_encode (packet, 600, 127, &frames, &frames_len), ==, 0);
  device_write (&f->dev, frames, 40);
  free (frames);
  /* Let the transport see the frame's start, and so its length. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  device_write_str (&f->dev, "!! reset\n");
  wait_for_line (f, "!! reset");
}

static gboolean
has_line (Fixture    *f,
          const char *line)
{
  for (guint i = 0; i < f->log_lines->len; i++)
    if (g_strcmp0 (g_ptr_array_index (f->log_lines, i), line) == 0)
      return TRUE;
  return FALSE;
}

static void
test_log_text (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *reply = NULL;
  Result res = { 0 };
  guint between = 0;

  f->dev.chatter = TRUE;
  f->dev.frame_size = 20;

  echo (f, "log text around frames", 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, "log text around frames");

  /* "done\n" is written after the last frame: let it arrive. */
  while (!has_line (f, "done"))
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (has_line (f, "[00:01] booting"));
  /* "I: partial " was cut by the first frame; the rest of its line never came, so it is
   * completed by the text after that frame. */
  g_assert_true (has_line (f, "I: partial W: between frames"));
  for (guint i = 0; i < f->log_lines->len; i++)
    if (g_strcmp0 (g_ptr_array_index (f->log_lines, i), "W: between frames") == 0)
      between++;
  g_assert_cmpuint (between, >=, 2);
  g_assert_cmpuint (f->retries, ==, 0);

  /* No frame bytes leak into the log. */
  for (guint i = 0; i < f->log_lines->len; i++)
    {
      const char *line = g_ptr_array_index (f->log_lines, i);

      g_assert_null (strchr (line, 0x06));
      g_assert_null (strchr (line, 0x04));
      g_assert_null (strchr (line, '\r'));
    }

  result_clear (&res);
}

/* A prompt never ends its line: it shows up after a short quiet period anyway. */
static void
test_log_prompt (Fixture       *f,
                 gconstpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  gint64 started = g_get_monotonic_time ();

  device_write_str (&f->dev, "uart:~$ ");
  while (f->log_lines->len == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (f->log_lines->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->log_lines, 0), ==, "uart:~$ ");
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 400 * 1000);
}

static void
on_sunk_line (CbSmpTransport *transport,
              const char     *line,
              gpointer        user_data)
{
  GPtrArray *lines = user_data;

  g_ptr_array_add (lines, g_strdup (line));
}

static void
wait_lines (GPtrArray *lines,
            guint      n)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (lines->len < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (lines->len, ==, n);
}

/* The device's console lines reach the transport's line sink without a `log-line` emission
 * (the bench session's way to them: about seven a station's device): while the sink is the only
 * listener, the signal has no handler; handlers connected besides it still get every line, and
 * a line nobody takes is still counted. */
static void
test_line_sink (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) sunk = g_ptr_array_new_with_free_func (g_free);
  guint signal_id = g_signal_lookup ("log-line", CB_TYPE_SMP_TRANSPORT);
  CbSmpTransportStats stats;

  g_signal_handlers_disconnect_by_func (f->transport, on_log_line, f);
  cb_smp_transport_set_line_sink (f->transport, on_sunk_line, sunk);
  g_assert_false (g_signal_has_handler_pending (f->transport, signal_id, 0, FALSE));
  device_write_str (&f->dev, "I: sunk\r\n");
  wait_lines (sunk, 1);
  g_assert_cmpstr (g_ptr_array_index (sunk, 0), ==, "I: sunk");
  g_assert_cmpuint (f->log_lines->len, ==, 0);

  g_signal_connect (f->transport, "log-line", G_CALLBACK (on_log_line), f);
  device_write_str (&f->dev, "I: both\n");
  wait_lines (sunk, 2);
  wait_lines (f->log_lines, 1);
  g_assert_cmpstr (g_ptr_array_index (sunk, 1), ==, "I: both");
  g_assert_cmpstr (g_ptr_array_index (f->log_lines, 0), ==, "I: both");

  g_signal_handlers_disconnect_by_func (f->transport, on_log_line, f);
  cb_smp_transport_set_line_sink (f->transport, NULL, NULL);
  device_write_str (&f->dev, "I: nobody\nI: counted\n");
  for (gint64 end = g_get_monotonic_time () + 300 * 1000; g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (sunk->len, ==, 2);
  cb_smp_transport_get_stats (f->transport, &stats);
  g_assert_cmpuint (stats.log_lines, ==, 4);
}

static void
test_corrupt_then_retry (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *reply = NULL;
  CbSmpTransportStats stats;
  Result res = { 0 };

  f->dev.corrupt = 1;
  echo (f, "crc", 150, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, "crc");

  g_assert_cmpuint (f->frame_errors[CB_SMP_FRAME_ERROR_CRC], ==, 1);
  g_assert_cmpuint (f->retries, ==, 1);
  g_assert_cmpuint (f->dev.seqs->len, ==, 2);
  g_assert_cmpuint (g_array_index (f->dev.seqs, guint8, 0), !=,
                    g_array_index (f->dev.seqs, guint8, 1));

  cb_smp_transport_get_stats (f->transport, &stats);
  g_assert_cmpuint (stats.err_crc, ==, 1);
  g_assert_cmpuint (stats.frame_errors, ==, 1);
  g_assert_cmpuint (stats.retries, ==, 1);
  result_clear (&res);
}

/* Log text that lands inside a frame line breaks that frame; the text still reaches the log
 * and the retry succeeds. */
static void
test_text_inside_frame (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *reply = NULL;
  gboolean seen = FALSE;
  Result res = { 0 };

  f->dev.break_frame = 1;
  echo (f, "interrupted", 150, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, "interrupted");

  g_assert_cmpuint (f->frame_errors[CB_SMP_FRAME_ERROR_BASE64], ==, 1);
  g_assert_cmpuint (f->retries, ==, 1);
  for (guint i = 0; i < f->log_lines->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (f->log_lines, i), "!! interrupt"))
      seen = TRUE;
  g_assert_true (seen);
  result_clear (&res);
}

static void
test_garbage_resync (Fixture       *f,
                     gconstpointer  data)
{
  static const guint8 garbage[] = {
    0x06, 0x09, 'A', 'B', '*', '\n',      /* a first frame broken by a stray byte */
    0x04, 0x14, 'Q', 'U', 'J', 'D', '\n', /* a continuation with no first frame */
    0x06, 'x', 0x04, 'y', 0xff, 0x00, 0x80, '\n',
    0x06, 0x09, '=', '=', '=', '=', '\n', /* undecodable */
  };
  g_autofree char *reply = NULL;
  CbSmpTransportStats stats;
  Result res = { 0 };

  device_write (&f->dev, garbage, sizeof garbage);
  echo (f, "after garbage", 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, "after garbage");
  g_assert_cmpuint (f->retries, ==, 0);
  /* the broken first frame and the undecodable one; the orphan continuation is dropped
   * quietly after a broken first frame */
  g_assert_cmpuint (f->frame_errors[CB_SMP_FRAME_ERROR_BASE64], ==, 2);
  cb_smp_transport_get_stats (f->transport, &stats);
  g_assert_cmpuint (stats.frame_errors, ==, 2);
  g_assert_cmpuint (stats.err_base64, ==, 2);
  result_clear (&res);
}

static void
test_stalled_device (Fixture       *f,
                     gconstpointer  data)
{
  CbSmpTransportStats stats;
  Result res = { 0 };
  gint64 started;

  f->dev.stall = G_MAXUINT;
  started = g_get_monotonic_time ();
  echo (f, "anyone?", 100, &res);
  wait_for (&res);

  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_TIMEOUT);
  g_assert_cmpuint (cb_smp_error_get_group (res.error), ==, 0);
  g_assert_cmpuint (cb_smp_error_get_command (res.error), ==, 0);
  g_assert_null (res.payload);
  /* one send plus three bounded retries, each with its own sequence number */
  g_assert_cmpuint (f->dev.seqs->len, ==, 1 + CB_SMP_DEFAULT_RETRIES);
  g_assert_cmpuint (f->retries, ==, CB_SMP_DEFAULT_RETRIES);
  g_assert_cmpint (res.finished_at - started, >=, 4 * 100 * 1000);
  for (guint i = 1; i < f->dev.seqs->len; i++)
    g_assert_cmpuint (g_array_index (f->dev.seqs, guint8, i), !=,
                      g_array_index (f->dev.seqs, guint8, i - 1));

  cb_smp_transport_get_stats (f->transport, &stats);
  g_assert_cmpuint (stats.timeouts, ==, 1);
  g_assert_cmpuint (stats.retries, ==, CB_SMP_DEFAULT_RETRIES);
  result_clear (&res);

  /* Retries are configurable; nothing is sent after the request failed. */
  cb_smp_transport_set_max_retries (f->transport, 1);
  echo (f, "again?", 50, &res);
  wait_for (&res);
  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_TIMEOUT);
  g_assert_cmpuint (f->dev.seqs->len, ==, 1 + CB_SMP_DEFAULT_RETRIES + 2);
  result_clear (&res);
}

static void
test_not_idempotent (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) keygen = g_bytes_new_static ("\xa2\x64type\x64p256\x67replace\xf5", 19);
  Result res = { 0 };

  f->dev.stall = G_MAXUINT;

  /* keygen with replace: the client marks it not repeat-safe */
  cb_smp_transport_request_async (f->transport, 64, CBP_CMD_KEYGEN, CB_SMP_OP_WRITE, keygen, 100,
                                  CB_SMP_REQUEST_NO_RETRY, NULL, on_request_done, &res);
  wait_for (&res);
  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_TIMEOUT);
  g_assert_cmpuint (cb_smp_error_get_group (res.error), ==, 64);
  g_assert_cmpuint (cb_smp_error_get_command (res.error), ==, CBP_CMD_KEYGEN);
  g_assert_cmpuint (f->dev.seqs->len, ==, 1);
  g_assert_cmpuint (f->retries, ==, 0);
  result_clear (&res);

  /* A command the schema does not know is not assumed repeat-safe either. */
  cb_smp_transport_request_async (f->transport, 70, 5, CB_SMP_OP_WRITE, NULL, 100,
                                  CB_SMP_REQUEST_DEFAULT, NULL, on_request_done, &res);
  wait_for (&res);
  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_TIMEOUT);
  g_assert_cmpuint (f->dev.seqs->len, ==, 2);
  result_clear (&res);

  /* ...unless the caller says so. */
  cb_smp_transport_request_async (f->transport, 70, 5, CB_SMP_OP_READ, NULL, 50,
                                  CB_SMP_REQUEST_IDEMPOTENT, NULL, on_request_done, &res);
  wait_for (&res);
  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_TIMEOUT);
  g_assert_cmpuint (f->dev.seqs->len, ==, 3 + CB_SMP_DEFAULT_RETRIES);
  g_assert_cmpuint (f->retries, ==, CB_SMP_DEFAULT_RETRIES);
  result_clear (&res);
}

static void
test_sequence_mismatch (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *reply = NULL;
  CbSmpTransportStats stats;
  CbSmpTraffic *first_rx = NULL;
  Result res = { 0 };

  f->dev.wrong_seq = 1;
  echo (f, "match me", 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, "match me");

  cb_smp_transport_get_stats (f->transport, &stats);
  g_assert_cmpuint (stats.dropped_responses, ==, 1);
  g_assert_cmpuint (f->retries, ==, 0);
  for (guint i = 0; i < f->traffic->len && first_rx == NULL; i++)
    {
      CbSmpTraffic *t = g_ptr_array_index (f->traffic, i);

      if (t->direction == CB_SMP_DIRECTION_RX)
        first_rx = t;
    }
  g_assert_nonnull (first_rx);
  g_assert_true (first_rx->dropped);
  result_clear (&res);
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  Result res = { 0 };

  f->dev.mode = REPLY_V2_GROUP_ERROR;
  cb_smp_transport_request_async (f->transport, 64, CBP_CMD_CSR, CB_SMP_OP_READ, NULL, 0,
                                  CB_SMP_REQUEST_DEFAULT, NULL, on_request_done, &res);
  wait_for (&res);
  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpuint (cb_smp_error_get_group (res.error), ==, 64);
  g_assert_cmpint (cb_smp_error_get_rc (res.error), ==, CBP_RC_NO_KEY);
  g_assert_cmpuint (cb_smp_error_get_command (res.error), ==, CBP_CMD_CSR);
  g_assert_nonnull (strstr (res.error->message, "no_key"));
  result_clear (&res);

  /* v1 answers {"rc": N} with a v1 header */
  f->dev.mode = REPLY_V1_RC;
  cb_smp_transport_request_async (f->transport, 64, CBP_CMD_DIAG, CB_SMP_OP_READ, NULL, 0,
                                  CB_SMP_REQUEST_DEFAULT, NULL, on_request_done, &res);
  wait_for (&res);
  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_GENERIC_RC);
  g_assert_cmpuint (cb_smp_error_get_group (res.error), ==, 64);
  g_assert_cmpint (cb_smp_error_get_rc (res.error), ==, CBP_SMP_RC_NOT_SUPPORTED);
  result_clear (&res);

  f->dev.mode = REPLY_V2_RC;
  cb_smp_transport_request_async (f->transport, 0, 99, CB_SMP_OP_READ, NULL, 0,
                                  CB_SMP_REQUEST_DEFAULT, NULL, on_request_done, &res);
  wait_for (&res);
  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_GENERIC_RC);
  g_assert_cmpuint (cb_smp_error_get_group (res.error), ==, 0);
  g_assert_cmpint (cb_smp_error_get_rc (res.error), ==, CBP_SMP_RC_INVALID);
  result_clear (&res);

  f->dev.mode = REPLY_NOT_A_MAP;
  cb_smp_transport_request_async (f->transport, 64, CBP_CMD_INFO, CB_SMP_OP_READ, NULL, 0,
                                  CB_SMP_REQUEST_DEFAULT, NULL, on_request_done, &res);
  wait_for (&res);
  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_PROTOCOL);
  result_clear (&res);

  /* errors are not retried: the device answered */
  g_assert_cmpuint (f->retries, ==, 0);
  g_assert_cmpuint (f->dev.seqs->len, ==, 4);
}

static void
test_v1_requests (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *reply = NULL;
  CbSmpTraffic *tx;
  Result res = { 0 };

  cb_smp_transport_set_version (f->transport, 0);
  echo (f, "old", 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  reply = echo_reply_text (res.payload);
  g_assert_cmpstr (reply, ==, "old");
  tx = g_ptr_array_index (f->traffic, 0);
  g_assert_cmpuint (tx->version, ==, 0);
  result_clear (&res);
}

static void
test_queue_in_order (Fixture       *f,
                     gconstpointer  data)
{
  Result res[5] = { { 0 } };
  char text[16];

  for (guint i = 0; i < G_N_ELEMENTS (res); i++)
    {
      g_snprintf (text, sizeof text, "msg-%u", i);
      echo (f, text, 0, &res[i]);
    }

  wait_for (&res[G_N_ELEMENTS (res) - 1]);
  for (guint i = 0; i < G_N_ELEMENTS (res); i++)
    {
      g_autofree char *reply = NULL;

      g_assert_true (res[i].done);
      g_assert_no_error (res[i].error);
      reply = echo_reply_text (res[i].payload);
      g_snprintf (text, sizeof text, "msg-%u", i);
      g_assert_cmpstr (reply, ==, text);
      if (i > 0)
        g_assert_cmpint (res[i].finished_at, >=, res[i - 1].finished_at);
      result_clear (&res[i]);
    }
}

static void
test_too_large (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *big = g_strnfill (200, 'z');
  Result res = { 0 };

  cb_smp_transport_set_max_packet (f->transport, 128);
  echo (f, big, 0, &res);
  wait_for (&res);
  g_assert_error (res.error, CB_SMP_ERROR, CB_SMP_ERROR_TOO_LARGE);
  g_assert_cmpuint (f->traffic->len, ==, 0);
  result_clear (&res);

  /* A request that fits still goes through after the refusal. */
  echo (f, "small", 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  result_clear (&res);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) payload = echo_payload ("never");
  g_autofree char *reply = NULL;
  Result res = { 0 };
  Result next = { 0 };

  f->dev.stall = 1;
  cb_smp_transport_request_async (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE,
                                  payload, 5000, CB_SMP_REQUEST_DEFAULT, cancellable,
                                  on_request_done, &res);
  echo (f, "next", 0, &next);
  while (f->dev.seqs->len < 1)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  wait_for (&res);
  g_assert_error (res.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The queue moves on at once rather than after the 5 s timeout. */
  wait_for (&next);
  g_assert_no_error (next.error);
  reply = echo_reply_text (next.payload);
  g_assert_cmpstr (reply, ==, "next");
  g_assert_cmpint (next.finished_at - res.finished_at, <, 2 * G_USEC_PER_SEC);
  result_clear (&res);
  result_clear (&next);
}

static void
test_unplug (Fixture       *f,
             gconstpointer  data)
{
  Result res = { 0 };
  Result queued = { 0 };
  Result later = { 0 };

  f->dev.stall = G_MAXUINT;
  echo (f, "in flight", 0, &res);
  echo (f, "queued", 0, &queued);
  while (f->dev.seqs->len < 1)
    g_main_context_iteration (NULL, TRUE);

  device_unplug (&f->dev);
  wait_for (&res);
  wait_for (&queued);
  g_assert_error (res.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_error (queued.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_cmpuint (f->retries, ==, 0);

  echo (f, "after", 0, &later);
  wait_for (&later);
  g_assert_error (later.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);

  result_clear (&res);
  result_clear (&queued);
  result_clear (&later);
}

/* ---- Idle waits (cb_smp_transport_idle_async) --------------------------------------------- */

static void
on_idle_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Result *res = user_data;

  cb_smp_transport_idle_finish (CB_SMP_TRANSPORT (object), result, &res->error);
  res->finished_at = g_get_monotonic_time ();
  res->done = TRUE;
}

typedef struct
{
  Device     *dev;
  const char *text;
} Say;

static gboolean
say_cb (gpointer user_data)
{
  Say *say = user_data;

  device_write_str (say->dev, say->text);
  return G_SOURCE_REMOVE;
}

/* The device prints these, one every 20 ms from now, each handed over 16 bytes every 2 ms. */
static Say says[] = {
  { NULL, "I: hub: connecting to hub-1.azure-devices.net:8883\n" },
  { NULL, "I: hub: connected\n" },
  { NULL, "I: mqtt: subscribed to the twin's topics\n" },
};

static void
device_says (Fixture *f,
             guint    every_ms)
{
  for (guint i = 0; i < G_N_ELEMENTS (says); i++)
    {
      says[i].dev = &f->dev;
      g_timeout_add (10 + every_ms * i, say_cb, &says[i]);
    }
}

static void
assert_says_logged (Fixture *f,
                    guint    from)
{
  g_assert_cmpuint (f->log_lines->len, ==, from + G_N_ELEMENTS (says));
  for (guint i = 0; i < G_N_ELEMENTS (says); i++)
    {
      g_autofree char *line = g_strndup (says[i].text, strlen (says[i].text) - 1);

      g_assert_cmpstr (g_ptr_array_index (f->log_lines, from + i), ==, line);
    }
}

/* A run between its polls waits idle (the hub step after hub_config): the console lines the
 * device prints meanwhile are read once, at the wait's end, not a wake-up or more a line as on
 * a plain timer (4 to 6 here), and come out whole and in order. */
static void
test_idle_console_text (Fixture       *f,
                        gconstpointer  data)
{
  CbSerialPortCounts before, after;
  Result res = { 0 };
  guint timer_wake_ups, tick;
  gint64 until, end;

  teach_paced_line (f);

  /* The plain timer it replaces: the loop runs until then, the port reads as it comes. */
  cb_serial_port_get_counts (f->port, &before);
  device_says (f, 20);
  tick = g_timeout_add (10, tick_cb, NULL);
  end = g_get_monotonic_time () + 120 * 1000;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  wait_for_line (f, "I: mqtt: subscribed to the twin's topics");
  cb_serial_port_get_counts (f->port, &after);
  timer_wake_ups = after.wake_ups - before.wake_ups;
  assert_says_logged (f, 0);

  cb_serial_port_get_counts (f->port, &before);
  until = g_get_monotonic_time () + 120 * 1000;
  cb_smp_transport_idle_async (f->transport, until, NULL, on_idle_done, &res);
  device_says (f, 20);
  wait_for (&res);
  g_assert_no_error (res.error);
  g_assert_cmpint (res.finished_at, >=, until);
  cb_serial_port_get_counts (f->port, &after);
  g_test_message ("3 console lines in 120 ms: %u wake-ups on a timer, %" G_GUINT64_FORMAT
                  " waiting idle", timer_wake_ups, after.wake_ups - before.wake_ups);
  /* Read when the wait ended: all three lines, in order. */
  assert_says_logged (f, G_N_ELEMENTS (says));
  g_assert_cmpuint (after.wake_ups - before.wake_ups, <=, 1);
  g_assert_cmpuint (timer_wake_ups, >=, 3);
  result_clear (&res);

  /* The line is read as usual afterwards: an exchange still works. */
  echo_checked (f, "after the wait");
}

/* A long idle wait holds the port at most 150 ms at a time (a UART's hangup is read by then
 * and the kernel's buffer never fills): lines printed all along still come whole, in order,
 * in about one wake-up a hold. */
static void
test_idle_long (Fixture       *f,
                gconstpointer  data)
{
  CbSerialPortCounts before, after;
  Result res = { 0 };

  teach_paced_line (f);
  cb_serial_port_get_counts (f->port, &before);
  cb_smp_transport_idle_async (f->transport, g_get_monotonic_time () + 400 * 1000, NULL,
                               on_idle_done, &res);
  device_says (f, 120);
  wait_for (&res);
  g_assert_no_error (res.error);
  cb_serial_port_get_counts (f->port, &after);
  g_test_message ("400 ms idle: %" G_GUINT64_FORMAT " wake-ups, %" G_GUINT64_FORMAT " holds",
                  after.wake_ups - before.wake_ups, after.held_waits - before.held_waits);
  assert_says_logged (f, 0);
  g_assert_cmpuint (after.held_waits - before.held_waits, >=, 3);
  g_assert_cmpuint (after.wake_ups - before.wake_ups, <=, 4);
  result_clear (&res);
}

/* A cancelled idle wait ends at once and lets the port go: what the device printed is read
 * then, not at the hold's end. A request made during a wait is answered as usual and the wait
 * still ends at its time. */
static void
test_idle_cancel_and_request (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Result res = { 0 };
  gint64 cancelled_at, until;

  teach_paced_line (f);
  cb_smp_transport_idle_async (f->transport, g_get_monotonic_time () + 2 * G_USEC_PER_SEC,
                               cancellable, on_idle_done, &res);
  device_write_str (&f->dev, "I: hub: connected\n");
  /* Well inside the port's first hold (150 ms) */
  {
    gint64 end = g_get_monotonic_time () + 40 * 1000;

    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE);
  }
  g_assert_false (has_line (f, "I: hub: connected"));
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  wait_for (&res);
  g_assert_error (res.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_for_line (f, "I: hub: connected");
  g_test_message ("the line came %" G_GINT64_FORMAT " µs after the cancel",
                  g_get_monotonic_time () - cancelled_at);
  g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <, 90 * 1000);
  result_clear (&res);

  until = g_get_monotonic_time () + 300 * 1000;
  cb_smp_transport_idle_async (f->transport, until, NULL, on_idle_done, &res);
  echo_checked (f, "during the wait");
  g_assert_false (res.done);
  wait_for (&res);
  g_assert_no_error (res.error);
  g_assert_cmpint (res.finished_at, >=, until);
  result_clear (&res);
}

/* A device unplugged during an idle wait ends it with the port's error, at once on a pty. */
static void
test_idle_unplug (Fixture       *f,
                  gconstpointer  data)
{
  Result res = { 0 }, second = { 0 };
  gint64 unplugged_at;

  teach_paced_line (f);
  cb_smp_transport_idle_async (f->transport, g_get_monotonic_time () + 2 * G_USEC_PER_SEC,
                               NULL, on_idle_done, &res);
  cb_smp_transport_idle_async (f->transport, g_get_monotonic_time () + 2 * G_USEC_PER_SEC,
                               NULL, on_idle_done, &second);
  wait_for (&second);
  g_assert_error (second.error, G_IO_ERROR, G_IO_ERROR_PENDING);
  unplugged_at = g_get_monotonic_time ();
  device_unplug (&f->dev);
  wait_for (&res);
  g_assert_error (res.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_cmpint (res.finished_at - unplugged_at, <, G_USEC_PER_SEC);
  result_clear (&res);
  result_clear (&second);
}

static void
test_traffic_string (void)
{
  CbSmpTraffic t = { 0 };
  g_autofree char *s = NULL;

  t.direction = CB_SMP_DIRECTION_TX;
  t.version = 1;
  t.op = CB_SMP_OP_WRITE;
  t.group = 64;
  t.command = CBP_CMD_CERT_PUT;
  t.seq = 12;
  t.payload_len = 230;
  t.n_frames = 3;
  t.attempt = 2;
  s = cb_smp_traffic_to_string (&t, 64);
  g_assert_cmpstr (s, ==, "TX v2 write 64/3 (cert_put) seq 12 len 230 in 3 frames retry 1");
}

static void
ignore_read (CbSerialPort *port,
             const guint8 *data,
             gsize         len,
             gpointer      user_data)
{
}

/* A transport reads its port as the port's one reader (no signal emission a read), and one
 * made while another still has the port (the probe's, until its last reference goes) listens
 * to `bytes-received` until that one is gone, then becomes the reader itself and leaves the
 * signal. */
static void
test_reader_handed_on (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(CbSmpTransport) next = cb_smp_transport_new (f->port);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  guint bytes_received = g_signal_lookup ("bytes-received", CB_TYPE_SERIAL_PORT);
  Result res = { 0 };

  g_assert_false (cb_serial_port_set_reader (f->port, ignore_read, NULL));
  g_assert_true (g_signal_has_handler_pending (f->port, bytes_received, 0, FALSE));

  g_assert_finalize_object (g_steal_pointer (&f->transport));
  f->transport = g_steal_pointer (&next);

  echo (f, "one", 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  first = echo_reply_text (res.payload);
  g_assert_cmpstr (first, ==, "one");
  result_clear (&res);

  g_assert_false (cb_serial_port_set_reader (f->port, ignore_read, NULL));
  g_assert_false (g_signal_has_handler_pending (f->port, bytes_received, 0, FALSE));

  echo (f, "two", 0, &res);
  wait_for (&res);
  g_assert_no_error (res.error);
  second = echo_reply_text (res.payload);
  g_assert_cmpstr (second, ==, "two");
  result_clear (&res);
}

static gboolean
never (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* The number of the next source the thread's context attaches (ids count up). */
static guint
next_source_id (void)
{
  guint id = g_idle_add (never, NULL);

  g_source_remove (id);
  return id + 1;
}

/* An exchange attaches no source of its own: the request's timeout is one source a transport
 * whose time each request sets, and requests that share a cancellable (a run's) share one
 * cancel source. Counted as the sources the loop attached (their ids) over ten echoes with a
 * cancellable: two a request before (a timeout source and a cancellable source, each made and
 * destroyed every time), one with the timeout shared. */
static void
test_sources_per_request (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) payload = echo_payload ("again");
  Result res = { 0 };
  guint first = 0, last;

  /* The first request attaches the transport's timeout source and its cancel watch. */
  for (guint i = 0; i < 11; i++)
    {
      if (i == 1)
        first = next_source_id ();
      cb_smp_transport_request_async (f->transport, CBP_GROUP_OS, CBP_OS_ECHO,
                                      CB_SMP_OP_WRITE, payload, 0, CB_SMP_REQUEST_DEFAULT,
                                      cancellable, on_request_done, &res);
      wait_for (&res);
      g_assert_no_error (res.error);
      result_clear (&res);
    }
  last = next_source_id ();
  g_test_message ("%u sources attached over 10 requests", last - first - 1);
  g_assert_cmpuint (last - first - 1, ==, 0);
}

/* Requests that share a cancellable, one in flight and two waiting, end at its cancellation
 * through the one watch; a request with another cancellable waiting among them goes on, and
 * one made after the cancellation with a fresh cancellable is answered. */
static void
test_cancel_shared (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) other = g_cancellable_new ();
  g_autoptr(GCancellable) fresh = g_cancellable_new ();
  g_autoptr(GBytes) payload = echo_payload ("shared");
  g_autofree char *reply = NULL;
  g_autofree char *last_reply = NULL;
  Result res[3] = { { 0 } };
  Result kept = { 0 };
  Result after = { 0 };

  f->dev.stall = 1;
  for (guint i = 0; i < 2; i++)
    cb_smp_transport_request_async (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE,
                                    payload, 5000, CB_SMP_REQUEST_DEFAULT, cancellable,
                                    on_request_done, &res[i]);
  cb_smp_transport_request_async (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE,
                                  payload, 0, CB_SMP_REQUEST_DEFAULT, other,
                                  on_request_done, &kept);
  cb_smp_transport_request_async (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE,
                                  payload, 5000, CB_SMP_REQUEST_DEFAULT, cancellable,
                                  on_request_done, &res[2]);
  while (f->dev.seqs->len < 1)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  for (guint i = 0; i < 3; i++)
    {
      wait_for (&res[i]);
      g_assert_error (res[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      result_clear (&res[i]);
    }
  wait_for (&kept);
  g_assert_no_error (kept.error);
  reply = echo_reply_text (kept.payload);
  g_assert_cmpstr (reply, ==, "shared");
  result_clear (&kept);

  cb_smp_transport_request_async (f->transport, CBP_GROUP_OS, CBP_OS_ECHO, CB_SMP_OP_WRITE,
                                  payload, 0, CB_SMP_REQUEST_DEFAULT, fresh,
                                  on_request_done, &after);
  wait_for (&after);
  g_assert_no_error (after.error);
  last_reply = echo_reply_text (after.payload);
  g_assert_cmpstr (last_reply, ==, "shared");
  result_clear (&after);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/smp-transport/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("echo", test_echo);
  ADD ("fragmentation", test_fragmentation);
  ADD ("paced-reply", test_paced_reply);
  ADD ("paced-log-line", test_paced_log_line);
  ADD ("learned-answer", test_learned_answer);
  ADD ("alike-requests", test_alike_requests);
  ADD ("traffic-sink", test_traffic_sink);
  ADD ("line-sink", test_line_sink);
  ADD ("protocol-log-order", test_protocol_log_order);
  ADD ("plain-callback", test_plain_callback);
  ADD ("abandoned-frame", test_abandoned_frame);
  ADD ("log-text", test_log_text);
  ADD ("log-prompt", test_log_prompt);
  ADD ("corrupt-then-retry", test_corrupt_then_retry);
  ADD ("text-inside-frame", test_text_inside_frame);
  ADD ("garbage-resync", test_garbage_resync);
  ADD ("stalled-device", test_stalled_device);
  ADD ("not-idempotent", test_not_idempotent);
  ADD ("sequence-mismatch", test_sequence_mismatch);
  ADD ("errors", test_errors);
  ADD ("v1-requests", test_v1_requests);
  ADD ("queue-in-order", test_queue_in_order);
  ADD ("too-large", test_too_large);
  ADD ("cancel", test_cancel);
  ADD ("unplug", test_unplug);
  ADD ("reader-handed-on", test_reader_handed_on);
  ADD ("sources-per-request", test_sources_per_request);
  ADD ("cancel-shared", test_cancel_shared);
  ADD ("idle-console-text", test_idle_console_text);
  ADD ("idle-long", test_idle_long);
  ADD ("idle-cancel-and-request", test_idle_cancel_and_request);
  ADD ("idle-unplug", test_idle_unplug);
  g_test_add_func ("/cb/smp-transport/traffic-string", test_traffic_string);

  return g_test_run ();
}
