/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-protocol-log"

#include "config.h"

#include <math.h>
#include <string.h>

#include "cbp-group.h"

#include "cb-journal.h"
#include "cb-protocol-log.h"
#include "cb-smp-transport-private.h"

#define MAX_TEXT 48      /* characters of a text value shown */
#define MAX_ITEMS 12     /* map pairs or array items shown */
#define MAX_DEPTH 4
/* Packets kept unwritten at most: a run has some thirty, and a device that floods the line
 * must not make the log hold thousands of payloads instead of their lines. */
#define PENDING_MAX 64

/* A packet seen and not yet written as text. */
typedef struct
{
  gint64       at;              /* monotonic */
  guint        bench_group;
  CbSmpTraffic traffic;         /* holds a reference on its payload */
} PendingPacket;

/* The log is kept as the text the journal stores, one GString a run: each line is appended
 * with no string of its own (a station makes some thirty a device). A packet's line is
 * written when the text is next needed (a note, the run's end), not as it passes: the
 * station wakes for each answer with cold caches, and its CBOR summaries written together
 * at the run's end cost it less (in its profile, 3.2 % of its CPU a device before, 2.5 %). */
struct _CbProtocolLog
{
  GObject         parent_instance;

  gint64          started;      /* monotonic */
  GString        *text;         /* the lines, each ending in "\n" */
  GArray         *pending;      /* PendingPacket, in the order seen */
  guint           n_lines;
  guint           n_lost;       /* lines past CB_PROTOCOL_LOG_MAX_LINES */
  CbSmpTransport *transport;    /* (weak while attached) */
  gulong          traffic_id;
  gulong          retry_id;
  gulong          frame_error_id;
};

G_DEFINE_FINAL_TYPE (CbProtocolLog, cb_protocol_log, G_TYPE_OBJECT)

/* ---- CBOR summaries --------------------------------------------------------------------- */

/* Field names whose values are secrets, whatever the command: a substring match, any case. */
static gboolean
is_secret_name (const char *name,
                gsize       len)
{
  static const char * const secret_parts[] = {
    "key", "token", "sas", "secret", "password", "passwd", "credential", "sig",
  };

  for (guint i = 0; i < G_N_ELEMENTS (secret_parts); i++)
    {
      gsize part_len = strlen (secret_parts[i]);

      for (gsize at = 0; at + part_len <= len; at++)
        if (g_ascii_strncasecmp (name + at, secret_parts[i], part_len) == 0)
          return TRUE;
    }
  return FALSE;
}

/* A number in decimal, without printf. */
static void
append_uint (GString *out,
             guint64  value)
{
  char digits[24];
  guint n = 0;

  do
    digits[n++] = '0' + value % 10;
  while ((value /= 10) > 0);
  while (n > 0)
    g_string_append_c (out, digits[--n]);
}

static void
append_text (GString    *out,
             const char *text,
             gsize       len)
{
  g_autofree char *valid = g_utf8_make_valid (text, len);
  /* Free text (a device's error message) may quote a credential: scrubbed whole, then cut. */
  g_autofree char *clean = cb_journal_scrub (valid);
  const char *p = clean;
  guint n = 0;

  g_string_append_c (out, '"');
  for (; *p != '\0' && n < MAX_TEXT; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (g_unichar_iscntrl (c))
        g_string_append_printf (out, "\\x%02x", c);
      else if (c < 0x80)
        g_string_append_c (out, (char) c);
      else
        g_string_append_unichar (out, c);
    }
  if (*p != '\0')
    g_string_append (out, "…");
  g_string_append_c (out, '"');
}

/* Appends a string's bytes (definite or in chunks) as they are; the item is checked. */
static void
append_string_bytes (GString      *out,
                     const guint8 *cbor,
                     gsize         len,
                     gsize         pos)
{
  int major, ai;
  guint64 value;

  if (!cbp_cbor_head (cbor, len, &pos, &major, &ai, &value))
    return;
  if (ai != 31)
    {
      g_string_append_len (out, (const char *) cbor + pos, (gssize) value);
      return;
    }
  while (pos < len && cbor[pos] != 0xff && cbp_cbor_head (cbor, len, &pos, &major, &ai, &value))
    {
      g_string_append_len (out, (const char *) cbor + pos, (gssize) value);
      pos += (gsize) value;
    }
}

/* The number of items of an array (pairs of a map) whose head is at pos, and where they start. */
static guint64
count_items (const guint8 *cbor,
             gsize         len,
             gsize         pos,
             gsize        *first)
{
  int major, ai;
  guint64 value, n = 0;

  if (!cbp_cbor_head (cbor, len, &pos, &major, &ai, &value))
    return 0;
  *first = pos;
  if (ai != 31)
    return value;
  while (pos < len && cbor[pos] != 0xff && cbp_cbor_item_end (cbor, len, &pos) == CBP_OK)
    n++;
  return major == 5 ? n / 2 : n;
}

/* A half-precision float as libcbor reads one. */
static double
half_to_double (guint16 half)
{
  int exp = (half >> 10) & 0x1f;
  int mant = half & 0x3ff;
  double value;

  if (exp == 0)
    value = ldexp (mant, -24);
  else if (exp != 31)
    value = ldexp (mant + 1024, exp - 25);
  else
    value = mant == 0 ? INFINITY : NAN;
  return (float) (half & 0x8000 ? -value : value);
}

static void append_item (GString *out, const guint8 *cbor, gsize len, gsize pos, guint depth);

static void
append_map (GString      *out,
            const guint8 *cbor,
            gsize         len,
            gsize         pos,
            guint         depth)
{
  gsize at = 0;
  guint64 n = count_items (cbor, len, pos, &at);

  g_string_append_c (out, '{');
  for (guint64 i = 0; i < n && i < MAX_ITEMS; i++)
    {
      gsize key = at, value, name_at = out->len, name_len = 0;
      int key_major, value_major, ai;
      guint64 arg;

      if (cbp_cbor_item_end (cbor, len, &at) != CBP_OK)
        break;
      value = at;
      if (cbp_cbor_item_end (cbor, len, &at) != CBP_OK)
        break;

      if (i > 0)
        g_string_append (out, ", ");
      /* The name is read where it was appended: no copy of its own. */
      {
        gsize p = key;

        cbp_cbor_head (cbor, len, &p, &key_major, &ai, &arg);
      }
      if (key_major == 3)
        {
          name_at = out->len;
          append_string_bytes (out, cbor, len, key);
          name_len = out->len - name_at;
        }
      else
        append_item (out, cbor, len, key, depth + 1);
      g_string_append (out, ": ");

      /* A secret's value is never looked at, only its kind. */
      {
        gsize p = value;

        cbp_cbor_head (cbor, len, &p, &value_major, &ai, &arg);
      }
      if (name_len > 0 && is_secret_name (out->str + name_at, name_len) &&
          (value_major == 3 || value_major == 2))
        {
          if (value_major == 2)
            append_item (out, cbor, len, value, depth + 1);   /* only its size */
          else
            g_string_append (out, "[redacted]");
        }
      else
        append_item (out, cbor, len, value, depth + 1);
    }
  if (n > MAX_ITEMS)
    {
      g_string_append (out, ", … ");
      append_uint (out, n - MAX_ITEMS);
      g_string_append (out, " more");
    }
  g_string_append_c (out, '}');
}

/* One item of a checked payload, read where it lies. */
static void
append_item (GString      *out,
             const guint8 *cbor,
             gsize         len,
             gsize         pos,
             guint         depth)
{
  gsize at = pos;
  int major, ai;
  guint64 value;

  if (depth > MAX_DEPTH)
    {
      g_string_append (out, "…");
      return;
    }
  if (!cbp_cbor_head (cbor, len, &at, &major, &ai, &value))
    return;

  switch (major)
    {
    case 0:
      append_uint (out, value);
      break;
    case 1:
      /* -1 - n, printed without overflowing for n = 2^64 - 1 */
      g_string_append_c (out, '-');
      if (value == G_MAXUINT64)
        g_string_append (out, "18446744073709551616");
      else
        append_uint (out, value + 1);
      break;
    case 2:
      {
        guint64 total = value;

        if (ai == 31)
          for (total = 0; at < len && cbor[at] != 0xff &&
                          cbp_cbor_head (cbor, len, &at, &major, &ai, &value); at += (gsize) value)
            total += value;
        g_string_append_c (out, '<');
        append_uint (out, total);
        g_string_append (out, " bytes>");
      }
      break;
    case 3:
      {
        g_autoptr(GString) text = g_string_new (NULL);

        append_string_bytes (text, cbor, len, pos);
        append_text (out, text->str, text->len);
      }
      break;
    case 4:
      {
        gsize item = 0;
        guint64 n = count_items (cbor, len, pos, &item);

        g_string_append_c (out, '[');
        for (guint64 i = 0; i < n && i < MAX_ITEMS; i++)
          {
            if (i > 0)
              g_string_append (out, ", ");
            append_item (out, cbor, len, item, depth + 1);
            if (cbp_cbor_item_end (cbor, len, &item) != CBP_OK)
              break;
          }
        if (n > MAX_ITEMS)
          {
            g_string_append (out, ", … ");
            append_uint (out, n - MAX_ITEMS);
            g_string_append (out, " more");
          }
        g_string_append_c (out, ']');
      }
      break;
    case 5:
      append_map (out, cbor, len, pos, depth);
      break;
    case 6:
      g_string_append_printf (out, "tag %" G_GUINT64_FORMAT " ", value);
      append_item (out, cbor, len, at, depth + 1);
      break;
    default:
      if (ai == 20 || ai == 21)
        g_string_append (out, ai == 21 ? "true" : "false");
      else if (ai == 22)
        g_string_append (out, "null");
      else if (ai == 23)
        g_string_append (out, "undefined");
      else if (ai == 25)
        g_string_append_printf (out, "%g", half_to_double ((guint16) value));
      else if (ai == 26)
        {
          guint32 bits = (guint32) value;
          float f;

          memcpy (&f, &bits, sizeof f);
          g_string_append_printf (out, "%g", (double) f);
        }
      else if (ai == 27)
        {
          double d;

          memcpy (&d, &value, sizeof d);
          g_string_append_printf (out, "%g", d);
        }
      else
        g_string_append_printf (out, "simple %u", (guint) value);
    }
}

/* A payload's summary, read in place by the bench decoders' own rules (cbp_cbor_check): no
 * libcbor tree for each packet, which allocated whatever a header declared (five bytes, a
 * map of 3.2 billion pairs, cost the station over 20 GB), and none of libcbor's getters,
 * which assert on items of another kind (a float asked whether it is a bool aborted it).
 * What the decoders refuse, nesting deeper than CBP_CBOR_MAX_DEPTH included, is "not CBOR". */
static void
append_summary (GString      *out,
                const guint8 *cbor,
                gsize         len)
{
  gsize end = 0;

  if (cbor == NULL || len == 0)
    {
      g_string_append (out, "(empty)");
      return;
    }
  if (cbp_cbor_item_end (cbor, len, &end) != CBP_OK)
    {
      g_string_append_printf (out, "(not CBOR, %" G_GSIZE_FORMAT " bytes)", len);
      return;
    }

  append_item (out, cbor, len, 0, 0);
  if (end < len)
    g_string_append_printf (out, " (+%" G_GSIZE_FORMAT " trailing bytes)", len - end);
}

char *
cb_protocol_log_summarize_cbor (const guint8 *cbor,
                                gsize         len)
{
  GString *out = g_string_new (NULL);

  append_summary (out, cbor, len);
  return g_string_free (out, FALSE);
}

/* ---- Recording -------------------------------------------------------------------------- */

/* Counts a line to come; FALSE (and the line counted as lost) when the log is full. */
static gboolean
count_line (CbProtocolLog *self)
{
  if (self->n_lines >= CB_PROTOCOL_LOG_MAX_LINES)
    {
      self->n_lost++;
      return FALSE;
    }
  self->n_lines++;
  return TRUE;
}

/* Writes a line's start: "+%8.3f s  " of the time since the log was made, rounded to the
 * millisecond. */
static void
write_time (CbProtocolLog *self,
            gint64         now)
{
  gint64 ms = (now - self->started + 500) / 1000;
  gsize at;

  g_string_append_c (self->text, '+');
  at = self->text->len;
  append_uint (self->text, ms / 1000);
  /* right-aligned in 4 columns before ".mmm", as %8.3f does */
  while (self->text->len - at < 4)
    g_string_insert_c (self->text, at, ' ');
  g_string_append_c (self->text, '.');
  g_string_append_c (self->text, '0' + ms % 1000 / 100);
  g_string_append_c (self->text, '0' + ms % 100 / 10);
  g_string_append_c (self->text, '0' + ms % 10);
  g_string_append (self->text, " s  ");
}

static void
pending_packet_clear (gpointer data)
{
  PendingPacket *packet = data;

  g_clear_pointer (&packet->traffic.payload, g_bytes_unref);
}

/* Writes the lines of the packets seen so far, in order, before any later line. */
static void
write_pending (CbProtocolLog *self)
{
  for (guint i = 0; i < self->pending->len; i++)
    {
      PendingPacket *packet = &g_array_index (self->pending, PendingPacket, i);

      write_time (self, packet->at);
      cb_smp_traffic_append (&packet->traffic, packet->bench_group, self->text);
      g_string_append (self->text, "  ");
      if (packet->traffic.payload != NULL)
        {
          gsize len;
          const guint8 *data = g_bytes_get_data (packet->traffic.payload, &len);

          append_summary (self->text, data, len);
        }
      g_string_append_c (self->text, '\n');
    }
  g_array_set_size (self->pending, 0);
}

/* Starts a line of text now, after the packets' lines; FALSE when the log is full. */
static gboolean
begin_line (CbProtocolLog *self)
{
  if (!count_line (self))
    return FALSE;
  write_pending (self);
  write_time (self, g_get_monotonic_time ());
  return TRUE;
}

static void
add_line (CbProtocolLog *self,
          const char    *text)
{
  if (!begin_line (self))
    return;
  g_string_append (self->text, text);
  g_string_append_c (self->text, '\n');
}

static void
on_traffic (CbSmpTransport     *transport,
            const CbSmpTraffic *traffic,
            gpointer            user_data)
{
  CbProtocolLog *self = user_data;
  PendingPacket packet;

  if (!count_line (self))
    return;
  packet.at = g_get_monotonic_time ();
  packet.bench_group = cb_smp_transport_get_bench_group (transport);
  packet.traffic = *traffic;
  if (traffic->payload != NULL)
    packet.traffic.payload = g_bytes_ref (traffic->payload);
  g_array_append_val (self->pending, packet);
  if (self->pending->len >= PENDING_MAX)
    write_pending (self);
}

static void
on_retry (CbSmpTransport *transport,
          guint           group,
          guint           command,
          guint           attempt,
          gpointer        user_data)
{
  CbProtocolLog *self = user_data;
  g_autofree char *line = g_strdup_printf ("-- no answer to %u/%u (attempt %u), resending",
                                           group, command, attempt);

  add_line (self, line);
}

static void
on_frame_error (CbSmpTransport *transport,
                guint           kind,
                guint64         count,
                gpointer        user_data)
{
  CbProtocolLog *self = user_data;
  g_autofree char *line = g_strdup_printf ("-- frame dropped: %s (%" G_GUINT64_FORMAT " so far)",
                                           cb_smp_frame_error_to_string (kind), count);

  add_line (self, line);
}

static void
on_transport_gone (gpointer  user_data,
                   GObject  *where_the_object_was)
{
  CbProtocolLog *self = user_data;

  self->transport = NULL;
  self->traffic_id = self->retry_id = self->frame_error_id = 0;
}

void
cb_protocol_log_detach (CbProtocolLog *self)
{
  g_return_if_fail (CB_IS_PROTOCOL_LOG (self));

  if (self->transport == NULL)
    return;
  cb_smp_transport_remove_traffic_sink (self->transport, self);
  g_clear_signal_handler (&self->traffic_id, self->transport);
  g_clear_signal_handler (&self->retry_id, self->transport);
  g_clear_signal_handler (&self->frame_error_id, self->transport);
  g_object_weak_unref (G_OBJECT (self->transport), on_transport_gone, self);
  self->transport = NULL;
}

void
cb_protocol_log_attach (CbProtocolLog  *self,
                        CbSmpTransport *transport)
{
  g_return_if_fail (CB_IS_PROTOCOL_LOG (self));
  g_return_if_fail (CB_IS_SMP_TRANSPORT (transport));

  cb_protocol_log_detach (self);
  self->transport = transport;
  g_object_weak_ref (G_OBJECT (transport), on_transport_gone, self);
  /* A sink of the transport's: no signal emission a record. */
  if (!cb_smp_transport_add_traffic_sink (transport, on_traffic, self))
    self->traffic_id = g_signal_connect (transport, "traffic", G_CALLBACK (on_traffic), self);
  self->retry_id = g_signal_connect (transport, "retry", G_CALLBACK (on_retry), self);
  self->frame_error_id = g_signal_connect (transport, "frame-error",
                                           G_CALLBACK (on_frame_error), self);
}

void
cb_protocol_log_add_note (CbProtocolLog *self,
                          const char    *format,
                          ...)
{
  g_autofree char *text = NULL;
  g_autofree char *clean = NULL;
  va_list args;

  g_return_if_fail (CB_IS_PROTOCOL_LOG (self));
  g_return_if_fail (format != NULL);

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  clean = cb_journal_scrub (text);
  if (!begin_line (self))
    return;
  g_string_append (self->text, "== ");
  g_string_append (self->text, clean);
  g_string_append_c (self->text, '\n');
}

guint
cb_protocol_log_get_n_lines (CbProtocolLog *self)
{
  g_return_val_if_fail (CB_IS_PROTOCOL_LOG (self), 0);
  return self->n_lines;
}

char *
cb_protocol_log_to_text (CbProtocolLog *self)
{
  GString *out;

  g_return_val_if_fail (CB_IS_PROTOCOL_LOG (self), NULL);

  write_pending (self);
  out = g_string_sized_new (self->text->len + 40);
  g_string_append_len (out, self->text->str, self->text->len);
  if (self->n_lost > 0)
    g_string_append_printf (out, "-- %u more lines not kept\n", self->n_lost);

  return g_string_free (out, FALSE);
}

/* ---- GObject ---------------------------------------------------------------------------- */

static void
cb_protocol_log_dispose (GObject *object)
{
  cb_protocol_log_detach (CB_PROTOCOL_LOG (object));

  G_OBJECT_CLASS (cb_protocol_log_parent_class)->dispose (object);
}

static void
cb_protocol_log_finalize (GObject *object)
{
  CbProtocolLog *self = CB_PROTOCOL_LOG (object);

  g_array_unref (self->pending);
  g_string_free (self->text, TRUE);

  G_OBJECT_CLASS (cb_protocol_log_parent_class)->finalize (object);
}

static void
cb_protocol_log_class_init (CbProtocolLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_protocol_log_dispose;
  object_class->finalize = cb_protocol_log_finalize;
}

static void
cb_protocol_log_init (CbProtocolLog *self)
{
  self->started = g_get_monotonic_time ();
  self->text = g_string_new (NULL);
  self->pending = g_array_new (FALSE, FALSE, sizeof (PendingPacket));
  g_array_set_clear_func (self->pending, pending_packet_clear);
}

CbProtocolLog *
cb_protocol_log_new (void)
{
  return g_object_new (CB_TYPE_PROTOCOL_LOG, NULL);
}
