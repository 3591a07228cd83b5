/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-serial-port"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>

#include "cb-serial-port.h"
#include "cb-deadline-source-private.h"
#include "cb-serial-port-private.h"
#include "cb-tty-vmin-private.h"

#define READ_CHUNK 4096
/* What one read(2) of a tty takes at most while VMIN is unmet (tty_io.c's kernel_buf). */
#define TTY_READ_BATCH 64
/* The terminal's VMIN is a cc_t: a reader can wait for at most this many bytes at once. */
#define READ_MIN_MAX 255
/* A read minimum the line does not meet is given up after twice its wire time plus this. */
#define READ_MIN_SLACK_MS 20
/* A timed wait reads this long after the bytes' wire time, plus a 32nd of it: a UART (or
 * the devsim's pacing, every 2 ms) hands the last of them over a little after the baud says. */
#define TIMED_SLACK_US 3000
/* One timed wait covers at most this much wire time: a device that hangs up while the port
 * is not polled for input is noticed by the read at the end of the wait, if not before. */
#define TIMED_WAIT_MAX_US (150 * 1000)
/* The line counts as paced once this many long waits measured it at no more than 1.5 times
 * the baud's byte rate; one faster measurement and it counts as fast again. */
#define PACED_EVIDENCE 2
/* Every this many timed waits, one VMIN wait measures the line again. */
#define PROBE_EVERY 16
/* A measurement counts only when a wait was for and brought at least this many bytes. */
#define MEASURE_MIN_WANT 16
#define MEASURE_MIN_BYTES 48
/* A VMIN wait that measures the line waits for at most this many bytes (enough for a
 * measurement): on a paced line every delivery until VMIN is met wakes the thread in the
 * kernel, so waiting for a whole frame's rest (up to 255 bytes, a dozen deliveries at 115200)
 * to measure it cost as many switches as reading it unlearnt. */
#define MEASURE_VMIN 64
/* A hold (cb_serial_port_hold_read) leaves at most this many bytes' wire time unread: half
 * of n_tty's buffer (N_TTY_BUF_SIZE), so a line without flow control loses nothing. */
#define HOLD_BUFFER_MAX 2048
/* Kinds of line whose pace the process keeps (see line_kind_assume): a station has a few. */
#define LINE_KINDS_MAX 16

/* What the port waits for now. */
typedef enum
{
  LINE_WAIT_ANY,     /* any byte wakes the reader (VMIN 1) */
  LINE_WAIT_VMIN,    /* the terminal's VMIN holds the wake-up back */
  LINE_WAIT_TIMED,   /* the fd is not polled for input; a deadline reads what came by then */
} LineWait;

/* The port's read source: a GPollFD of its own, whose events the port changes in place
 * between iterations (GLib reads them at each query, g_main_context_query), so taking the
 * fd out of the poll set and back costs no wake-up of the main context. */
typedef struct
{
  GSource source;
  GPollFD pfd;
} ReadSource;

typedef struct
{
  CbSerialPort *self;      /* borrowed; the queue never outlives the port */
  GTask        *task;      /* owned */
  GBytes       *bytes;     /* owned */
  gsize         offset;
  GSource      *cancel_source;
  gboolean      cancelled;
} WriteOp;

struct _CbSerialPort
{
  GObject  parent_instance;

  /* Owned */
  char    *path;
  ReadSource *read_source;
  GSource *write_source;
  GQueue   write_queue;     /* WriteOp* */
  GError  *close_error;

  CbDeadlineSource *read_min_deadline; /* gives up a read minimum the line does not meet */
  /* The settings in force, as the kernel holds them: a read minimum changes VMIN in a copy
   * and sets it, one ioctl (tcgetattr and glibc's tcsetattr would be three), dozens of times
   * per device. */
  CbTtyVmin       *tty;

  int      fd;
  guint    baud_rate;
  gsize    pending;
  guint    read_min;        /* VMIN in force */
  gsize    want_next;       /* asked for during a bytes-received emission */
  gsize    soon_next;       /* likely, not certain (set_read_soon), the same way */
  gint64   hold_next;       /* nothing useful before (hold_read), the same way */
  gint64   hold;            /* ...for the wait being armed */
  gboolean in_read;

  /* The wait in force, and what the port learnt of the line (see arm_wait) */
  LineWait wait;
  gint64   wait_start;      /* monotonic µs the wait began */
  gsize    timed_target;    /* bytes a timed wait expects by its deadline */
  gboolean timed_soft;      /* ...or may well not get (set_read_soon): no fallback if short */
  guint    paced_evidence;  /* long waits in a row that measured the line at its baud */
  guint    timed_left;      /* timed waits before the next measuring VMIN wait */
  gboolean frame_fallback;  /* a timed wait came short: VMIN until the reader wants any byte */
  gboolean measured_fast;   /* the last measurement found the line faster than its baud */
  guint    kind;            /* the device node's major number (its driver), or 0: unknown */
  gboolean pace_assumed;    /* paced as the last port of its kind was, not yet checked */

  CbSerialPortCounts counts;
  CbSerialPortReader reader;
  gpointer           reader_data;
};

G_DEFINE_FINAL_TYPE (CbSerialPort, cb_serial_port, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_BAUD_RATE,
  PROP_OPEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_BYTES_RECEIVED,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void cb_serial_port_shutdown (CbSerialPort *self,
                                     GError       *error);
static void cb_serial_port_flush    (CbSerialPort *self);

static void
write_op_free (WriteOp *op)
{
  if (op->cancel_source != NULL)
    {
      g_source_destroy (op->cancel_source);
      g_source_unref (op->cancel_source);
    }
  g_clear_object (&op->task);
  g_clear_pointer (&op->bytes, g_bytes_unref);
  g_free (op);
}

guint
cb_serial_port_baud_to_speed (guint baud_rate)
{
  return cb_tty_vmin_speed (baud_rate);
}

/* Raw 8N1, no flow control, no modem-control hangup on close (the device's SMP server needs
 * every byte value untouched), VMIN 1, from the settings tty read (cb_tty_vmin_make_raw). */
static gboolean
configure_termios (CbTtyVmin   *tty,
                   int          fd,
                   const char  *path,
                   guint        baud_rate,
                   GError     **error)
{
  if (cb_serial_port_baud_to_speed (baud_rate) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "Serial port %s: unsupported baud rate %u", path, baud_rate);
      return FALSE;
    }

  if (!cb_tty_vmin_make_raw (tty, fd, baud_rate))
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Serial port %s: cannot apply terminal settings: %s",
                   path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

static void
cb_serial_port_finalize (GObject *object)
{
  CbSerialPort *self = (CbSerialPort *)object;

  cb_serial_port_close (self);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->tty, cb_tty_vmin_free);
  g_clear_error (&self->close_error);

  G_OBJECT_CLASS (cb_serial_port_parent_class)->finalize (object);
}

static void
cb_serial_port_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CbSerialPort *self = CB_SERIAL_PORT (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_BAUD_RATE:
      g_value_set_uint (value, self->baud_rate);
      break;
    case PROP_OPEN:
      g_value_set_boolean (value, self->fd >= 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_serial_port_class_init (CbSerialPortClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_serial_port_finalize;
  object_class->get_property = cb_serial_port_get_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BAUD_RATE] =
    g_param_spec_uint ("baud-rate", NULL, NULL, 0, G_MAXUINT, CB_SERIAL_PORT_DEFAULT_BAUD,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OPEN] =
    g_param_spec_boolean ("open", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CbSerialPort::bytes-received:
   * @bytes: (transfer none): what one read(2) returned
   */
  signals[SIGNAL_BYTES_RECEIVED] =
    g_signal_new ("bytes-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_BYTES);

  /**
   * CbSerialPort::disconnected:
   * @error: (transfer none): why (G_IO_ERROR_BROKEN_PIPE)
   *
   * The device went away (EIO, EOF or HUP). The fd is already closed.
   */
  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
cb_serial_port_init (CbSerialPort *self)
{
  self->fd = -1;
  self->baud_rate = CB_SERIAL_PORT_DEFAULT_BAUD;
  g_queue_init (&self->write_queue);
}

static GError *
disconnect_error (CbSerialPort *self,
                  const char   *why)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                      "Serial port %s disconnected (%s)", self->path, why);
}

/* Tears down after a hangup, then tells listeners. Holds a ref because handlers commonly drop
 * the last one. */
static void
cb_serial_port_disconnect (CbSerialPort *self,
                           const char   *why)
{
  g_autoptr(CbSerialPort) hold = g_object_ref (self);
  g_autoptr(GError) error = NULL;

  if (self->fd < 0)
    return;

  error = disconnect_error (self, why);
  g_debug ("%s", error->message);
  cb_serial_port_shutdown (self, g_error_copy (error));
  g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, error);
}

static gint64
wire_us (CbSerialPort *self,
         gsize         bytes)
{
  return (gint64) bytes * 10 * G_USEC_PER_SEC / MAX (self->baud_rate, 1);
}

/* Puts the terminal's VMIN at want (at most a cc_t's 255): poll(2) says the port is readable
 * only once that many bytes wait (Linux's n_tty with VTIME 0), so the line's small deliveries
 * in between do not wake us. Returns whether VMIN is now want. */
static gboolean
set_vmin (CbSerialPort *self,
          guint         want)
{
  if (want == self->read_min)
    return TRUE;

  if (self->tty == NULL || !cb_tty_vmin_set (self->tty, self->fd, (guint8) want))
    {
      g_debug ("Serial port %s: cannot set VMIN %u: %s", self->path, want,
               self->tty == NULL ? "settings unknown" : g_strerror (errno));
      return FALSE;
    }
  self->read_min = want;
  self->counts.vmin_sets++;
  return TRUE;
}

static gboolean
line_is_paced (CbSerialPort *self)
{
  return self->paced_evidence >= PACED_EVIDENCE;
}

/* What the ports measured of their lines, for the next port on a line of the same kind: the
 * same baud on a device node of the same driver (its major number: a pty, a USB serial
 * adapter, a CDC-ACM device, an on-board UART). A station opens a new port for each device,
 * one after the other on lines alike, and each new port measured its pace again: two VMIN
 * waits (four TCSETS, a wake-up in the kernel at every delivery) over its first two
 * exchanges. Kept for the process, as the SMP answer times are (cb-smp-answer-times.c). */
typedef enum
{
  LINE_PACE_UNKNOWN,
  LINE_PACE_PACED,
  LINE_PACE_FAST,
} LinePace;

typedef struct
{
  guint    baud;
  guint    kind;
  LinePace pace;
} LineKindPace;

static GMutex line_kinds_lock;
static LineKindPace line_kinds[LINE_KINDS_MAX];
static guint n_line_kinds;

/* The last measurement of a port's kind of line becomes what the next such port assumes. */
static void
line_kind_record (CbSerialPort *self,
                  LinePace      pace)
{
  guint i;

  if (self->kind == 0)
    return;
  g_mutex_lock (&line_kinds_lock);
  for (i = 0; i < n_line_kinds; i++)
    if (line_kinds[i].baud == self->baud_rate && line_kinds[i].kind == self->kind)
      break;
  if (i == n_line_kinds && n_line_kinds < LINE_KINDS_MAX)
    n_line_kinds++;
  if (i < n_line_kinds)
    line_kinds[i] = (LineKindPace) { self->baud_rate, self->kind, pace };
  g_mutex_unlock (&line_kinds_lock);
}

/* A port (new, or at a new baud) starts from what the last port of its kind measured, as an
 * assumption its first waits check (learn_from_wake_up): a line found paced is read with timed
 * waits from the first frame, without the two measuring VMIN waits; if a timed wait comes
 * short (the line is slower than assumed) or brings more than a paced line could (faster),
 * the port measures as a new port did, and the frame's rest is read as after any short wait.
 * A line found fast waits for a frame's whole rest in one VMIN wait from the first frame. */
static void
line_kind_assume (CbSerialPort *self)
{
  LinePace pace = LINE_PACE_UNKNOWN;

  self->paced_evidence = 0;
  self->measured_fast = FALSE;
  self->pace_assumed = FALSE;
  if (self->kind == 0)
    return;

  g_mutex_lock (&line_kinds_lock);
  for (guint i = 0; i < n_line_kinds; i++)
    if (line_kinds[i].baud == self->baud_rate && line_kinds[i].kind == self->kind)
      pace = line_kinds[i].pace;
  g_mutex_unlock (&line_kinds_lock);

  if (pace == LINE_PACE_PACED)
    {
      self->paced_evidence = PACED_EVIDENCE;
      self->timed_left = PROBE_EVERY;
      self->pace_assumed = TRUE;
    }
  else if (pace == LINE_PACE_FAST)
    self->measured_fast = TRUE;
}

/* See cb-serial-port-private.h. */
void
cb_serial_port_forget_line_paces (void)
{
  g_mutex_lock (&line_kinds_lock);
  n_line_kinds = 0;
  g_mutex_unlock (&line_kinds_lock);
}

/* Sets up the wait for the reader's next wake-up, which needs want bytes (a lower bound).
 *
 * VMIN batches the line's deliveries, but not the kernel's wake-ups: n_tty wakes every poller
 * of the tty at each delivery (a UART's or the devsim's few dozen bytes every 2 ms), and
 * n_tty_poll then finds VMIN unmet and the thread sleeps again, a context switch each, about
 * forty a KiB. Only an fd that is not polled for input is not woken. So on a line known to be
 * paced at its baud (a real UART, or the devsim), the port polls the fd for hangup only and
 * reads at the time the bytes need on the wire (plus a slack): one wake-up for the rest of a
 * frame. A line that delivers faster than its baud (USB CDC-ACM hands over a KiB in about a
 * millisecond whatever the nominal baud) must not wait the wire time, so the port first
 * measures the line in VMIN waits (bytes over the time they took), uses the timed wait only
 * once PACED_EVIDENCE of them found it no faster than 1.5 times the baud's byte rate, measures
 * again every PROBE_EVERY timed waits, and stops at the first faster measurement.
 *
 * A hangup discards what the station has not read (tty_ldisc_hangup flushes n_tty's buffer,
 * a pty's included): a device that sends a frame and hangs up at once loses the part of it a
 * timed wait had left unread (up to TIMED_WAIT_MAX_US of wire time), where a VMIN wait left at
 * most VMIN bytes. The frame was cut short either way; the disconnect is reported as before. */
static void
arm_wait_from (CbSerialPort *self,
               gsize         want,
               gsize         soon,
               gint64        now)
{
  CbDeadlineSource *deadline = self->read_min_deadline;

  if (self->fd < 0)
    return;

  /* The reader expects nothing it can use before self->hold (the answer to a request whose
   * like took that long last time): on a paced line, one read then, instead of one at the
   * answer's first bytes and one after their rest's wire time. If it is not whole by then,
   * the reader asks for its rest as usual; if nothing came, any byte wakes it again. */
  if (want <= 1 && self->hold > now && line_is_paced (self) && !self->frame_fallback)
    {
      set_vmin (self, 1);
      self->read_source->pfd.events = G_IO_HUP | G_IO_ERR;
      self->wait = LINE_WAIT_TIMED;
      self->wait_start = now;
      self->timed_target = 1;
      self->timed_soft = TRUE;
      deadline->at = self->hold;
      self->hold = 0;
      self->counts.held_waits++;
      return;
    }
  self->hold = 0;

  /* Bytes that are likely but not certain (the rest of a device's log line): on a paced line
   * they are read at their wire time, one wake-up instead of one a delivery; a frame that
   * starts meanwhile is read then too, at most that wire time (plus the slack) after its first
   * bytes came, and its rest as any frame's. Elsewhere, any byte wakes the reader. */
  if (want <= 1 && soon > 1 && line_is_paced (self) && !self->frame_fallback)
    {
      gsize bytes = MIN (soon, (gsize) ((gint64) TIMED_WAIT_MAX_US * MAX (self->baud_rate, 1) /
                                        (10 * G_USEC_PER_SEC)));
      gint64 wire = wire_us (self, MAX (bytes, 1));

      set_vmin (self, 1);
      self->read_source->pfd.events = G_IO_HUP | G_IO_ERR;
      self->wait = LINE_WAIT_TIMED;
      self->wait_start = now;
      self->timed_target = bytes;
      self->timed_soft = TRUE;
      deadline->at = now + wire + TIMED_SLACK_US + wire / 32;
      return;
    }
  self->timed_soft = FALSE;

  if (want <= 1)
    {
      self->frame_fallback = FALSE;
      set_vmin (self, 1);
      self->read_source->pfd.events = G_IO_IN | G_IO_HUP | G_IO_ERR;
      self->wait = LINE_WAIT_ANY;
      deadline->at = -1;
      return;
    }

  if (line_is_paced (self) && !self->frame_fallback && self->timed_left > 0)
    {
      gsize bytes = MIN (want, (gsize) ((gint64) TIMED_WAIT_MAX_US * MAX (self->baud_rate, 1) /
                                        (10 * G_USEC_PER_SEC)));
      gint64 wire;

      bytes = MAX (bytes, 1);
      wire = wire_us (self, bytes);
      /* VMIN 1, so that the read at the deadline takes everything in one read(2). GLib leaves
       * HUP and ERR out of the events it polls for (the kernel reports them anyway), so this
       * polls the fd with no events: data does not wake us, a pty's hangup does (pty_close
       * wakes its peer's pollers with no key); a UART's hangup, whose wake-up is keyed to
       * input, is read at the deadline, at most TIMED_WAIT_MAX_US away. */
      set_vmin (self, 1);
      self->read_source->pfd.events = G_IO_HUP | G_IO_ERR;
      self->wait = LINE_WAIT_TIMED;
      self->wait_start = now;
      self->timed_target = bytes;
      self->timed_left--;
      deadline->at = now + wire + TIMED_SLACK_US + wire / 32;
      return;
    }

  /* A VMIN wait; when the line is paced, it is also the measurement that keeps it so. While
   * it measures (a line not found fast, outside a frame that fell back from a timed wait), it
   * waits for no more than a measurement needs: once measured paced, the rest is a timed wait. */
  self->timed_left = PROBE_EVERY;
  self->read_source->pfd.events = G_IO_IN | G_IO_HUP | G_IO_ERR;
  want = MIN (want, READ_MIN_MAX);
  if (!self->measured_fast && !self->frame_fallback)
    want = MIN (want, MEASURE_VMIN);
  if (!set_vmin (self, (guint) want))
    {
      self->wait = LINE_WAIT_ANY;
      deadline->at = -1;
      return;
    }
  if (!self->measured_fast && !self->frame_fallback && want >= MEASURE_MIN_WANT)
    self->counts.measuring_waits++;
  self->wait = LINE_WAIT_VMIN;
  self->wait_start = now;
  deadline->at = now + 2 * wire_us (self, self->read_min) + READ_MIN_SLACK_MS * 1000;
}

static void
arm_wait (CbSerialPort *self,
          gsize         want)
{
  arm_wait_from (self, want, 0, g_get_monotonic_time ());
}

/* What a wake-up that read total bytes at now says about the line (see arm_wait). */
static void
learn_from_wake_up (CbSerialPort *self,
                    gsize         total,
                    gint64        now)
{
  /* The most bytes a line at 1.5 times its baud's byte rate hands over in elapsed µs. */
  gint64 elapsed = MAX (now - self->wait_start, 1);
  double paced_max = 1.5 * elapsed * MAX (self->baud_rate, 1) / (10.0 * G_USEC_PER_SEC);

  switch (self->wait)
    {
    case LINE_WAIT_VMIN:
      if (self->read_min < MEASURE_MIN_WANT || total < MEASURE_MIN_BYTES)
        return;
      if (total > paced_max)
        {
          if (line_is_paced (self))
            g_debug ("Serial port %s: %" G_GSIZE_FORMAT " bytes in %" G_GINT64_FORMAT
                     " µs, faster than %u baud: no timed waits", self->path, total, elapsed,
                     self->baud_rate);
          self->paced_evidence = 0;
          self->measured_fast = TRUE;
          self->pace_assumed = FALSE;
          line_kind_record (self, LINE_PACE_FAST);
        }
      else
        {
          self->measured_fast = FALSE;
          self->pace_assumed = FALSE;
          if (self->paced_evidence < PACED_EVIDENCE)
            {
              self->paced_evidence++;
              self->timed_left = PROBE_EVERY;
              if (line_is_paced (self))
                line_kind_record (self, LINE_PACE_PACED);
            }
        }
      return;

    case LINE_WAIT_TIMED:
      /* A burst of a UART's FIFO aside, more than a paced line could have sent: it is fast. */
      if (total > paced_max + 128)
        {
          self->paced_evidence = 0;
          self->measured_fast = TRUE;
          self->pace_assumed = FALSE;
          line_kind_record (self, LINE_PACE_FAST);
        }
      /* A slower device (or one that gave the frame up): VMIN for the rest of the frame. A
       * wait for bytes that were only likely (set_read_soon), or held for an answer, may
       * well come short. */
      if (total < self->timed_target && !self->timed_soft)
        {
          self->frame_fallback = TRUE;
          /* A pace only assumed (line_kind_assume) did not hold: measure the line. */
          if (self->pace_assumed)
            {
              g_debug ("Serial port %s: slower than the last port of its kind; measuring it",
                       self->path);
              self->paced_evidence = 0;
              self->pace_assumed = FALSE;
            }
        }
      else if (!self->timed_soft)
        self->pace_assumed = FALSE;
      return;

    case LINE_WAIT_ANY:
    default:
      return;
    }
}

static gboolean
read_source_check (GSource *source)
{
  ReadSource *rs = (ReadSource *) source;

  return (rs->pfd.revents & (rs->pfd.events | G_IO_HUP | G_IO_ERR | G_IO_NVAL)) != 0;
}

static gboolean
read_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  ReadSource *rs = (ReadSource *) source;
  GIOCondition condition = rs->pfd.revents & (rs->pfd.events | G_IO_HUP | G_IO_ERR | G_IO_NVAL);

  rs->pfd.revents = 0;
  return ((GUnixFDSourceFunc) (void (*) (void)) callback) (rs->pfd.fd, condition, user_data);
}

static GSourceFuncs read_source_funcs = {
  NULL, read_source_check, read_source_dispatch, NULL, NULL, NULL
};

static gboolean on_read_ready (int           fd,
                               GIOCondition  condition,
                               gpointer      user_data);

/* A timed wait's time is up: read what the line brought. Otherwise the bytes a reader waited
 * for did not come in time (a device that abandoned a frame, or a guess too high): every byte
 * wakes it again. */
static gboolean
on_read_min_deadline (gpointer user_data)
{
  CbSerialPort *self = user_data;

  if (self->wait == LINE_WAIT_TIMED)
    {
      on_read_ready (self->fd, 0, self);
      return G_SOURCE_CONTINUE;
    }

  g_debug ("Serial port %s: %u bytes did not arrive in time; reading what is there",
           self->path, self->read_min);
  arm_wait (self, 1);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_read_ready (int           fd,
               GIOCondition  condition,
               gpointer      user_data)
{
  CbSerialPort *self = user_data;
  g_autoptr(CbSerialPort) hold = NULL;
  gboolean got_data = FALSE;
  gsize total = 0;
  gint64 now, drained_at = -1;

  g_assert (CB_IS_SERIAL_PORT (self));

  /* A nested main loop run from a listener: the outer dispatch reads on when it returns. */
  if (self->in_read || self->fd < 0)
    return G_SOURCE_CONTINUE;

  hold = g_object_ref (self);
  self->counts.wake_ups++;
  now = g_get_monotonic_time ();
  /* A read minimum lasts one wake-up: the listeners say again what they wait for. */
  self->in_read = TRUE;
  self->want_next = 1;
  self->soon_next = 0;
  self->hold_next = 0;

  /* Drain what is there first: a hangup can arrive with the device's last words queued. */
  while (self->fd >= 0)
    {
      guint8 buf[READ_CHUNK];
      gsize got = 0;
      gssize n;

      /* With VMIN above 64, Linux's tty read(2) hands over at most 64 bytes a call (it copies
       * through a 64-byte buffer and goes on to the next 64 only while VMIN is met): read on
       * while a call brings those 64, so a wake-up still takes all there is. A call that
       * brought fewer (or ran at VMIN 64 or less, which reads everything in one call) left the
       * line empty: one more would only say EAGAIN. */
      for (;;)
        {
          n = read (self->fd, buf + got, sizeof buf - got);
          self->counts.reads++;
          if (n > 0)
            {
              got += n;
              if (got < sizeof buf && self->read_min > TTY_READ_BATCH && n == TTY_READ_BATCH)
                continue;
            }
          else if (n < 0 && errno == EINTR)
            continue;
          break;
        }

      if (got > 0)
        {
          /* A short read left the line empty: the wait for what follows starts here, not
           * after the listeners, so bytes arriving while they work count in its time. */
          drained_at = g_get_monotonic_time ();
          got_data = TRUE;
          total += got;
          self->want_next = 1;
          self->soon_next = 0;
          self->hold_next = 0;
          if (self->reader != NULL)
            self->reader (self, buf, got, self->reader_data);
          if (g_signal_has_handler_pending (self, signals[SIGNAL_BYTES_RECEIVED], 0, FALSE))
            {
              g_autoptr(GBytes) bytes = g_bytes_new (buf, got);

              g_signal_emit (self, signals[SIGNAL_BYTES_RECEIVED], 0, bytes);
            }
          /* A short read took all there was: the next bytes wake us again, so no read that
           * can only say EAGAIN (at 115200 baud a wake-up brings a few dozen bytes). With a
           * hangup, drain to the end. */
          if (got < sizeof buf && (condition & (G_IO_HUP | G_IO_ERR)) == 0)
            break;
          continue;
        }

      if (n == 0)
        {
          self->in_read = FALSE;
          cb_serial_port_disconnect (self, "end of file");
          return G_SOURCE_REMOVE;
        }

      if (errno == EINTR)
        continue;

      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;

      self->in_read = FALSE;
      cb_serial_port_disconnect (self, g_strerror (errno));
      return G_SOURCE_REMOVE;
    }

  self->in_read = FALSE;
  if (self->fd < 0)
    return G_SOURCE_REMOVE;

  /* HUP with nothing left to read would wake us forever: that is the device gone. */
  if ((condition & (G_IO_HUP | G_IO_ERR | G_IO_NVAL)) != 0 && !got_data)
    {
      cb_serial_port_disconnect (self, (condition & G_IO_HUP) ? "hangup" : "I/O error");
      return G_SOURCE_REMOVE;
    }

  learn_from_wake_up (self, total, now);
  self->hold = self->hold_next;
  arm_wait_from (self, self->want_next, self->soon_next,
                 drained_at >= 0 ? drained_at : g_get_monotonic_time ());
  return G_SOURCE_CONTINUE;
}

static gboolean
on_write_ready (int           fd,
                GIOCondition  condition,
                gpointer      user_data)
{
  CbSerialPort *self = user_data;

  g_assert (CB_IS_SERIAL_PORT (self));

  g_clear_pointer (&self->write_source, g_source_destroy);
  cb_serial_port_flush (self);

  return G_SOURCE_REMOVE;
}

static void
complete_op (WriteOp *op,
             GError  *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&op->task);

  /* A plain write (cb_serial_port_write) has no one to tell. */
  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else if (op->cancelled)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  else
    g_task_return_boolean (task, TRUE);
}

/* Writes as much of the queue as the kernel takes, then waits for POLLOUT. */
static void
cb_serial_port_flush (CbSerialPort *self)
{
  g_autoptr(CbSerialPort) hold = g_object_ref (self);

  while (self->fd >= 0 && !g_queue_is_empty (&self->write_queue))
    {
      WriteOp *op = g_queue_peek_head (&self->write_queue);
      gsize len;
      const guint8 *data = g_bytes_get_data (op->bytes, &len);
      gssize n;

      if (op->offset >= len)
        {
          g_queue_pop_head (&self->write_queue);
          complete_op (op, NULL);
          write_op_free (op);
          continue;
        }

      n = write (self->fd, data + op->offset, len - op->offset);
      if (n > 0)
        {
          op->offset += n;
          self->pending -= n;
          continue;
        }

      if (n < 0 && errno == EINTR)
        continue;

      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          if (self->write_source == NULL)
            {
              self->write_source = g_unix_fd_source_new (self->fd, G_IO_OUT);
              g_source_set_callback (self->write_source, G_SOURCE_FUNC (on_write_ready),
                                     self, NULL);
              g_source_set_static_name (self->write_source, "[cb-serial-port write]");
              g_source_attach (self->write_source, g_main_context_get_thread_default ());
              g_source_unref (self->write_source);
            }
          return;
        }

      cb_serial_port_disconnect (self, n < 0 ? g_strerror (errno) : "short write");
      return;
    }
}

static gboolean
on_write_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  WriteOp *op = user_data;
  CbSerialPort *self = op->self;

  /* Bytes already handed to the kernel cannot be taken back, so a started write finishes
   * and then reports the cancellation. */
  if (op->offset == 0)
    {
      gsize len = g_bytes_get_size (op->bytes);

      g_queue_remove (&self->write_queue, op);
      self->pending -= len;
      op->cancelled = TRUE;
      complete_op (op, NULL);
      write_op_free (op);
    }
  else
    {
      op->cancelled = TRUE;
      g_clear_pointer (&op->cancel_source, g_source_unref);
    }

  return G_SOURCE_REMOVE;
}

static void
cb_serial_port_shutdown (CbSerialPort *self,
                         GError       *error)
{
  WriteOp *op;

  g_assert (CB_IS_SERIAL_PORT (self));

  if (self->fd < 0)
    {
      g_error_free (error);
      return;
    }

  if (self->read_source != NULL)
    g_source_destroy (&g_steal_pointer (&self->read_source)->source);
  g_clear_pointer (&self->write_source, g_source_destroy);
  if (self->read_min_deadline != NULL)
    g_source_destroy (&g_steal_pointer (&self->read_min_deadline)->source);
  self->in_read = FALSE;

  ioctl (self->fd, TIOCNXCL);
  flock (self->fd, LOCK_UN);
  close (self->fd);
  self->fd = -1;
  self->pending = 0;

  g_clear_error (&self->close_error);
  self->close_error = error;

  while ((op = g_queue_pop_head (&self->write_queue)) != NULL)
    {
      complete_op (op, g_error_copy (error));
      write_op_free (op);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPEN]);
}

/**
 * cb_serial_port_open:
 * @path: a device node such as /dev/ttyACM0 or a pty slave
 * @baud_rate: e.g. 115200
 *
 * Opens @path without blocking, takes an exclusive lock and puts it in raw 8N1 mode. Reads
 * are dispatched on the calling thread's default main context.
 *
 * Returns: (transfer full): the open port, or NULL with @error set.
 */
CbSerialPort *
cb_serial_port_open (const char  *path,
                     guint        baud_rate,
                     GError     **error)
{
  g_autoptr(CbSerialPort) self = NULL;
  g_autoptr(CbTtyVmin) tty = NULL;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = open (path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == EBUSY)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                     "Serial port %s is in use by another program", path);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                     "Cannot open serial port %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }

  /* The terminal's settings, which also say that it is one (isatty() is the same TCGETS). */
  tty = cb_tty_vmin_new (fd, NULL);
  if (tty == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s is not a serial port", path);
      close (fd);
      return NULL;
    }

  /* flock() catches other programs that lock (and root, which TIOCEXCL does not stop);
   * TIOCEXCL catches the ones that do not. */
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved_errno = errno;

      if (saved_errno == EWOULDBLOCK)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                     "Serial port %s is in use by another program", path);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                     "Cannot lock serial port %s: %s", path, g_strerror (saved_errno));
      close (fd);
      return NULL;
    }

  if (ioctl (fd, TIOCEXCL) != 0)
    g_debug ("TIOCEXCL on %s failed: %s", path, g_strerror (errno));

  if (!configure_termios (tty, fd, path, baud_rate, error))
    {
      ioctl (fd, TIOCNXCL);
      close (fd);
      return NULL;
    }

  self = g_object_new (CB_TYPE_SERIAL_PORT, NULL);
  self->path = g_strdup (path);
  self->fd = fd;
  self->baud_rate = baud_rate;
  self->tty = g_steal_pointer (&tty);
  {
    struct stat st;

    if (fstat (fd, &st) == 0 && S_ISCHR (st.st_mode))
      self->kind = major (st.st_rdev);
  }
  line_kind_assume (self);

  self->read_source = (ReadSource *) g_source_new (&read_source_funcs, sizeof (ReadSource));
  self->read_source->pfd.fd = fd;
  self->read_source->pfd.events = G_IO_IN | G_IO_HUP | G_IO_ERR;
  g_source_add_poll (&self->read_source->source, &self->read_source->pfd);
  g_source_set_callback (&self->read_source->source, G_SOURCE_FUNC (on_read_ready), self, NULL);
  g_source_set_static_name (&self->read_source->source, "[cb-serial-port read]");
  /* GLib 2.74 takes a source that cannot recurse out of the poll set while it dispatches and
   * puts it back after, each a write to the main context's wakeup fd, so every read would wake
   * the loop twice more for nothing. on_read_ready guards against re-entry itself. */
  g_source_set_can_recurse (&self->read_source->source, TRUE);
  g_source_attach (&self->read_source->source, g_main_context_get_thread_default ());
  g_source_unref (&self->read_source->source);

  self->read_min = 1;
  self->wait = LINE_WAIT_ANY;
  self->read_min_deadline = cb_deadline_source_new ();
  g_source_set_callback (&self->read_min_deadline->source, on_read_min_deadline, self, NULL);
  g_source_set_static_name (&self->read_min_deadline->source, "[cb-serial-port read minimum]");
  g_source_attach (&self->read_min_deadline->source, g_main_context_get_thread_default ());
  g_source_unref (&self->read_min_deadline->source);

  return g_steal_pointer (&self);
}

const char *
cb_serial_port_get_path (CbSerialPort *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), NULL);

  return self->path;
}

guint
cb_serial_port_get_baud_rate (CbSerialPort *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), 0);

  return self->baud_rate;
}

gboolean
cb_serial_port_set_baud_rate (CbSerialPort  *self,
                              guint          baud_rate,
                              GError       **error)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   "Serial port %s is closed", self->path);
      return FALSE;
    }

  if (self->tty == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "Serial port %s: terminal settings unknown", self->path);
      return FALSE;
    }
  if (!configure_termios (self->tty, self->fd, self->path, baud_rate, error))
    return FALSE;
  /* The settings start over at VMIN 1, and the line is measured again at its new rate (or
   * assumed as the last port of its kind at that rate measured it). */
  self->read_min = 1;
  if (self->baud_rate != baud_rate)
    {
      self->baud_rate = baud_rate;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BAUD_RATE]);
    }
  line_kind_assume (self);
  arm_wait (self, 1);

  return TRUE;
}

/**
 * cb_serial_port_set_read_min:
 * @bytes: how many bytes the reader needs before it can make progress (0 or 1: any)
 *
 * Wakes the reader (`bytes-received`) only once @bytes are waiting, so a reader that knows
 * how long the rest of a frame is takes it in one wake-up instead of at every few bytes the
 * line delivers: with the terminal's VMIN (at most 255 bytes a wake-up), or, on a line the
 * port has measured to be paced at its baud, by not polling for input and reading once their
 * wire time is past (see arm_wait). @bytes must be a lower bound: if fewer come, the reader is
 * woken anyway, at the latest after twice their time on the line plus 20 ms. Called from a
 * `bytes-received` handler, it holds from the end of that wake-up; a wake-up where nobody
 * calls it goes back to 1.
 */
void
cb_serial_port_set_read_min (CbSerialPort *self,
                             gsize         bytes)
{
  g_return_if_fail (CB_IS_SERIAL_PORT (self));

  bytes = MAX (bytes, 1);
  if (self->in_read)
    self->want_next = bytes;
  else
    arm_wait (self, bytes);
}

/**
 * cb_serial_port_set_read_soon:
 * @bytes: how many more bytes are likely to come soon (0: no guess)
 *
 * Says that more bytes are likely but not certain, such as the rest of a device's log line
 * whose first part was just read (text has no length). On a line the port has measured to be
 * paced (see cb_serial_port_set_read_min), the reader is woken once @bytes' wire time has
 * passed, with everything that came by then, instead of at each of the line's deliveries; on
 * any other line, and when a read minimum is set too, it changes nothing. Called from a
 * `bytes-received` handler, it holds for the next wait only.
 */
void
cb_serial_port_set_read_soon (CbSerialPort *self,
                              gsize         bytes)
{
  g_return_if_fail (CB_IS_SERIAL_PORT (self));

  if (self->in_read)
    self->soon_next = bytes;
  else if (self->wait == LINE_WAIT_ANY)
    arm_wait_from (self, 1, bytes, g_get_monotonic_time ());
}

/* See cb-serial-port-private.h. */
gint64
cb_serial_port_hold_read (CbSerialPort *self,
                          gint64        until)
{
  gint64 now;

  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), 0);

  if (self->fd < 0 || !line_is_paced (self))
    return 0;

  /* What the line brings during a hold waits in the kernel's buffer: no more than half of it
   * (at 115200 baud 178 ms of wire time), and no longer than a timed wait, so a UART's hangup
   * is noticed as soon. */
  now = g_get_monotonic_time ();
  if (until > now)
    until = MIN (until, now + MIN (TIMED_WAIT_MAX_US, wire_us (self, HOLD_BUFFER_MAX)));

  if (self->in_read)
    {
      self->hold_next = until;
      return until > now ? until : 0;
    }
  /* Between frames: waiting for any byte, held, or reading a log line's likely rest. */
  if (self->wait == LINE_WAIT_ANY || (self->wait == LINE_WAIT_TIMED && self->timed_soft))
    {
      self->hold = until;
      arm_wait (self, 1);
      return self->wait == LINE_WAIT_TIMED && self->read_min_deadline->at == until ? until : 0;
    }
  return 0;
}

gboolean
cb_serial_port_is_paced (CbSerialPort *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), FALSE);

  return line_is_paced (self);
}

void
cb_serial_port_get_counts (CbSerialPort       *self,
                           CbSerialPortCounts *counts)
{
  g_return_if_fail (CB_IS_SERIAL_PORT (self));
  g_return_if_fail (counts != NULL);

  *counts = self->counts;
}

/* Makes reader the port's reader (see cb-serial-port-private.h), unless it has one: then it
 * returns FALSE and the caller listens to `bytes-received` instead. */
gboolean
cb_serial_port_set_reader (CbSerialPort       *self,
                           CbSerialPortReader  reader,
                           gpointer            user_data)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), FALSE);
  g_return_val_if_fail (reader != NULL, FALSE);

  if (self->reader != NULL)
    return FALSE;
  self->reader = reader;
  self->reader_data = user_data;
  return TRUE;
}

/* Drops the reader that user_data set, if it is still the port's. */
void
cb_serial_port_clear_reader (CbSerialPort *self,
                             gpointer      user_data)
{
  g_return_if_fail (CB_IS_SERIAL_PORT (self));

  if (self->reader != NULL && self->reader_data == user_data)
    {
      self->reader = NULL;
      self->reader_data = NULL;
    }
}

gboolean
cb_serial_port_is_open (CbSerialPort *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), FALSE);

  return self->fd >= 0;
}

gsize
cb_serial_port_get_pending (CbSerialPort *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), 0);

  return self->pending;
}

const GError *
cb_serial_port_get_close_error (CbSerialPort *self)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), NULL);

  return self->fd >= 0 ? NULL : self->close_error;
}

gboolean
cb_serial_port_write (CbSerialPort  *self,
                      GBytes        *data,
                      GError       **error)
{
  WriteOp *op;

  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->fd < 0)
    {
      if (self->close_error != NULL)
        g_propagate_error (error, g_error_copy (self->close_error));
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "Serial port %s is closed",
                     self->path);
      return FALSE;
    }

  op = g_new0 (WriteOp, 1);
  op->self = self;
  op->bytes = g_bytes_ref (data);
  g_queue_push_tail (&self->write_queue, op);
  self->pending += g_bytes_get_size (data);

  if (self->write_source == NULL)
    cb_serial_port_flush (self);
  return TRUE;
}

void
cb_serial_port_write_async (CbSerialPort        *self,
                            GBytes              *data,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  WriteOp *op;

  g_return_if_fail (CB_IS_SERIAL_PORT (self));
  g_return_if_fail (data != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_serial_port_write_async);

  if (self->fd < 0)
    {
      if (self->close_error != NULL)
        g_task_return_error (task, g_error_copy (self->close_error));
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                                 "Serial port %s is closed", self->path);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  op = g_new0 (WriteOp, 1);
  op->self = self;
  op->task = g_steal_pointer (&task);
  op->bytes = g_bytes_ref (data);
  if (cancellable != NULL)
    {
      op->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (op->cancel_source, G_SOURCE_FUNC (on_write_cancelled), op, NULL);
      g_source_attach (op->cancel_source, g_main_context_get_thread_default ());
    }

  g_queue_push_tail (&self->write_queue, op);
  self->pending += g_bytes_get_size (data);

  if (self->write_source == NULL)
    cb_serial_port_flush (self);
}

gboolean
cb_serial_port_write_finish (CbSerialPort  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (CB_IS_SERIAL_PORT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cb_serial_port_close (CbSerialPort *self)
{
  g_return_if_fail (CB_IS_SERIAL_PORT (self));

  if (self->fd < 0)
    return;

  cb_serial_port_shutdown (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                              "Serial port %s is closed", self->path));
}
