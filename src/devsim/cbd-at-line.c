/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated modem's line discipline, as Nordic's AT host forwards a serial line to the
 * nRF91 modem: bytes gather into a command line until a CR or LF outside double quotes (so a
 * PEM with its line breaks travels inside one quoted parameter), CR LF counts once and empty
 * lines are dropped, backspace and DEL take back a byte, echo is off until ATE1. Every line
 * out ends in CR LF. Hostile input ends in ERROR, never in a hang: a line over the limit is
 * given up at once, and a quoted string left open with no input for a while is given up too. */
#define G_LOG_DOMAIN "cbd-at"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "cbd-at-line.h"

struct _CbdAtLine
{
  GByteArray     *buf;
  gsize           max_len;
  guint           open_quote_ms;
  CbdAtLineFunc   on_line;
  CbdAtWriteFunc  write;
  gpointer        user_data;

  gboolean        echo;
  gboolean        in_quotes;
  gboolean        bad;          /* a byte no command can hold */
  gboolean        skipping;     /* over the limit: drop up to the next terminator */
  guint           quote_timeout;
};

CbdAtLine *
cbd_at_line_new (gsize          max_len,
                 guint          open_quote_ms,
                 CbdAtLineFunc  on_line,
                 CbdAtWriteFunc write,
                 gpointer       user_data)
{
  CbdAtLine *line = g_new0 (CbdAtLine, 1);

  line->buf = g_byte_array_new ();
  line->max_len = max_len;
  line->open_quote_ms = open_quote_ms;
  line->on_line = on_line;
  line->write = write;
  line->user_data = user_data;
  return line;
}

void
cbd_at_line_free (CbdAtLine *line)
{
  if (line == NULL)
    return;
  g_clear_handle_id (&line->quote_timeout, g_source_remove);
  g_byte_array_unref (line->buf);
  g_free (line);
}

void
cbd_at_line_set_echo (CbdAtLine *line,
                      gboolean   echo)
{
  line->echo = echo;
}

gboolean
cbd_at_line_get_echo (CbdAtLine *line)
{
  return line->echo;
}

void
cbd_at_line_send (CbdAtLine  *line,
                  const char *text)
{
  line->write (line->user_data, (const guint8 *) text, strlen (text));
  line->write (line->user_data, (const guint8 *) "\r\n", 2);
}

void
cbd_at_line_sendf (CbdAtLine  *line,
                   const char *format,
                   ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  cbd_at_line_send (line, text);
}

static void
reset (CbdAtLine *line)
{
  g_byte_array_set_size (line->buf, 0);
  line->in_quotes = FALSE;
  line->bad = FALSE;
  g_clear_handle_id (&line->quote_timeout, g_source_remove);
}

static void
deliver (CbdAtLine *line, gboolean bad)
{
  g_autoptr(GByteArray) buf = g_steal_pointer (&line->buf);
  gsize len = buf->len;
  gsize i;

  bad = bad || line->bad;
  /* The next line gathers into a fresh buffer: the handler may feed the modem again. */
  line->buf = g_byte_array_new ();
  reset (line);

  /* Like the AT host: a line with nothing printable in it is no command. */
  for (i = 0; i < len && !bad; i++)
    if (buf->data[i] > ' ')
      break;
  if (i == len && !bad)
    return;
  g_byte_array_append (buf, (const guint8 *) "", 1);
  line->on_line ((const char *) buf->data, len, bad, line->user_data);
}

static gboolean
quote_timeout_cb (gpointer user_data)
{
  CbdAtLine *line = user_data;

  line->quote_timeout = 0;
  g_message ("A quoted string stayed open with no input: giving the line up");
  if (line->skipping)
    {
      /* Answered already when it went over the limit. */
      line->skipping = FALSE;
      reset (line);
    }
  else
    deliver (line, TRUE);
  return G_SOURCE_REMOVE;
}

void
cbd_at_line_feed (CbdAtLine    *line,
                  const guint8 *data,
                  gsize         len)
{
  gsize i;

  if (line->echo && len > 0)
    line->write (line->user_data, data, len);

  for (i = 0; i < len; i++)
    {
      guint8 c = data[i];

      if (line->skipping)
        {
          /* Over the limit, already answered: the rest of the line goes, up to its end
           * outside quotes (a PEM's own line breaks do not end it). */
          if (c == '"')
            line->in_quotes = !line->in_quotes;
          else if (!line->in_quotes && (c == '\r' || c == '\n'))
            line->skipping = FALSE;
          continue;
        }
      if (c == 0x08 || c == 0x7f)
        {
          if (line->buf->len > 0)
            {
              if (line->buf->data[line->buf->len - 1] == '"')
                line->in_quotes = !line->in_quotes;
              g_byte_array_set_size (line->buf, line->buf->len - 1);
            }
          continue;
        }
      if (!line->in_quotes && (c == '\r' || c == '\n'))
        {
          deliver (line, FALSE);
          continue;
        }
      if (line->buf->len >= line->max_len)
        {
          gboolean in_quotes = line->in_quotes;

          g_message ("Command line over %" G_GSIZE_FORMAT " bytes: giving it up", line->max_len);
          deliver (line, TRUE);
          line->skipping = TRUE;
          line->in_quotes = in_quotes;
          i--;      /* this byte is the first one skipped */
          continue;
        }
      /* NUL and other control bytes (but the line breaks and tabs of a quoted PEM) and
       * bytes beyond ASCII belong to no command. */
      if (c == 0 || c >= 0x80 ||
          (c < ' ' && !(line->in_quotes && (c == '\r' || c == '\n' || c == '\t'))))
        line->bad = TRUE;
      g_byte_array_append (line->buf, &c, 1);
      if (c == '"')
        line->in_quotes = !line->in_quotes;
    }

  g_clear_handle_id (&line->quote_timeout, g_source_remove);
  if (line->in_quotes && line->open_quote_ms > 0)
    line->quote_timeout = g_timeout_add (line->open_quote_ms, quote_timeout_cb, line);
}
