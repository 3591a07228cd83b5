/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The AT command channel: a queue of command lines written one at a time to a serial port, and
 * a line splitter on what comes back that sorts each line into echo, information line, final
 * result, unsolicited result code or firmware log, as Nordic's nRF91 AT command reference and
 * V.250 describe the exchange. */
#define G_LOG_DOMAIN "cb-at-channel"

#include "config.h"

#include <string.h>

#include "cb-at-channel.h"

/* Names of the unsolicited result codes of the nRF91 AT command reference a host may see
 * between commands. A line with one of these names is an answer only to the command of the
 * same name (AT+CEREG? answers "+CEREG: ..."). */
static const char * const urc_names[] = {
  "+CEREG", "+CGEV", "+CSCON", "+CNEC_ESM", "+CNEC_EMM", "+CMT", "+CDS", "+CIREPI", "+CIREPH",
  "+CMTI", "%CESQ", "%XSIM", "%MDMEV", "%XTIME", "%XMODEMSLEEP", "%NCELLMEAS", "%XT3412",
  "%CONEVAL", "%XPOFWARN", "%REDCAP", "%PERIODICSEARCHCONF", "%XBANDLOCK",
};

/* A quoted value longer than this is shortened in a log line (a PEM, a CSR). */
#define LOG_QUOTED_MAX 32

/* More information lines than this in one answer is not an answer. */
#define MAX_LINES 4096

typedef struct
{
  char      *command;
  char      *name;
  guint      timeout_ms;
  GPtrArray *lines;
  gsize      bytes;
  GSource   *timeout_source;
  GSource   *cancel_source;
} Request;

struct _CbAtChannel
{
  GObject       parent_instance;

  CbSerialPort *port;
  gulong        bytes_id;
  gulong        disconnected_id;
  GQueue        queue;        /* GTask*, owned, not yet written */
  GTask        *current;      /* owned; written, waiting for its final result */
  GString      *line;
  gsize         max_line;
  gboolean      in_quote;
  gboolean      discarding;   /* the rest of an over-long line */
};

G_DEFINE_FINAL_TYPE (CbAtChannel, cb_at_channel, G_TYPE_OBJECT)
G_DEFINE_QUARK (cb-at-error-quark, cb_at_error)
G_DEFINE_QUARK (cb-at-cme-error-quark, cb_at_cme_error)

enum {
  SIGNAL_UNSOLICITED,
  SIGNAL_TRAFFIC,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_next (CbAtChannel *self);

static void
drop_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
request_free (Request *req)
{
  drop_source (&req->timeout_source);
  drop_source (&req->cancel_source);
  g_clear_pointer (&req->lines, g_ptr_array_unref);
  g_free (req->command);
  g_free (req->name);
  g_free (req);
}

char *
cb_at_command_name (const char *command)
{
  const char *p = command;
  gsize n = 0;

  g_return_val_if_fail (command != NULL, NULL);

  if (g_ascii_strncasecmp (p, "AT", 2) == 0)
    p += 2;
  while (p[n] != '\0' && p[n] != '=' && p[n] != '?')
    n++;
  return g_ascii_strup (p, (gssize) n);
}

/* The command as an error message shows it: up to its first quote, so a PEM stays out. */
static char *
command_for_display (const char *command)
{
  const char *quote = strchr (command, '"');

  if (quote == NULL)
    return g_strdup (command);
  return g_strdup_printf ("%.*s\"…\"", (int) (quote - command), command);
}

/* The name a result line carries: "+CEREG: 2" -> "+CEREG"; "" for a bare line. */
static char *
line_name (const char *line)
{
  const char *colon;

  if (line[0] != '+' && line[0] != '%')
    return g_strdup ("");
  colon = strchr (line, ':');
  if (colon == NULL)
    return g_strdup (line);
  return g_ascii_strup (line, colon - line);
}

static gboolean
is_urc_name (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (urc_names); i++)
    if (g_ascii_strcasecmp (name, urc_names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* A Zephyr log line sharing the UART ("I: [00:00:01.234] ...", "<inf> at_host: ..."). */
static gboolean
is_log_line (const char *line)
{
  if (strchr ("IWED", line[0]) != NULL && line[0] != '\0' && line[1] == ':' && line[2] == ' ')
    return TRUE;
  return line[0] == '<' && (g_str_has_prefix (line, "<inf>") || g_str_has_prefix (line, "<wrn>") ||
                            g_str_has_prefix (line, "<err>") || g_str_has_prefix (line, "<dbg>"));
}

static gboolean
is_text (const GString *line)
{
  for (gsize i = 0; i < line->len; i++)
    {
      guchar c = (guchar) line->str[i];

      if (c == '\t' || c == '\r' || c == '\n')
        continue;
      if (c < 0x20 || c >= 0x7f)
        return FALSE;
    }
  return TRUE;
}

static void
finish_current (CbAtChannel *self,
                GError      *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->current);
  Request *req;

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  req = g_task_get_task_data (task);
  drop_source (&req->timeout_source);
  drop_source (&req->cancel_source);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    {
      g_ptr_array_add (req->lines, NULL);
      g_task_return_pointer (task, g_ptr_array_steal (req->lines, NULL),
                             (GDestroyNotify) g_strfreev);
    }

  if (self->current == NULL)
    start_next (self);
}

static void
fail_current (CbAtChannel *self,
              GQuark       domain,
              int          code,
              const char  *what)
{
  Request *req;
  g_autofree char *shown = NULL;

  if (self->current == NULL)
    return;
  req = g_task_get_task_data (self->current);
  shown = command_for_display (req->command);
  finish_current (self, g_error_new (domain, code, "%s: %s", shown, what));
}

static void
emit_unsolicited (CbAtChannel *self,
                  const char  *line)
{
  g_debug ("unsolicited: %s", line);
  g_signal_emit (self, signals[SIGNAL_UNSOLICITED], 0, line);
}

static void
handle_line (CbAtChannel *self,
             GString     *text)
{
  const char *line = text->str;
  Request *req = self->current != NULL ? g_task_get_task_data (self->current) : NULL;
  g_autofree char *name = NULL;

  if (!is_text (text))
    {
      if (req == NULL)
        g_debug ("dropped a line of binary bytes between commands");
      fail_current (self, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL,
                    "the device sent binary bytes, not AT text (wrong port or baud rate?)");
      return;
    }

  g_signal_emit (self, signals[SIGNAL_TRAFFIC], 0, FALSE, line);

  if (is_log_line (line))
    {
      g_debug ("device log: %s", line);
      return;
    }

  if (req == NULL)
    {
      if (line[0] == '+' || line[0] == '%')
        emit_unsolicited (self, line);
      else
        g_debug ("dropped a line no command asked for: %s", line);
      return;
    }

  /* The echo of what we sent (ATE1). Before any answer line, a line starting with "AT" is
   * an echo too (a device that echoes its own way). */
  if (req->lines->len == 0 &&
      (strcmp (line, req->command) == 0 || g_ascii_strncasecmp (line, "AT", 2) == 0))
    return;

  if (strcmp (line, "OK") == 0)
    {
      finish_current (self, NULL);
      return;
    }
  if (strcmp (line, "ERROR") == 0)
    {
      fail_current (self, CB_AT_ERROR, CB_AT_ERROR_FAILED, "the device answered ERROR");
      return;
    }
  if (g_str_has_prefix (line, "+CME ERROR:"))
    {
      guint64 code = 0;
      const char *n = line + strlen ("+CME ERROR:");
      g_autofree char *what = NULL;

      while (*n == ' ')
        n++;
      if (!g_ascii_string_to_unsigned (n, 10, 0, G_MAXINT, &code, NULL))
        {
          what = g_strdup_printf ("the device answered %s", line);
          fail_current (self, CB_AT_ERROR, CB_AT_ERROR_FAILED, what);
          return;
        }
      what = g_strdup_printf ("+CME ERROR: %u", (guint) code);
      fail_current (self, CB_AT_CME_ERROR, (int) code, what);
      return;
    }
  if (g_str_has_prefix (line, "+CMS ERROR:"))
    {
      g_autofree char *what = g_strdup_printf ("the device answered %s", line);

      fail_current (self, CB_AT_ERROR, CB_AT_ERROR_FAILED, what);
      return;
    }

  name = line_name (line);
  if (name[0] != '\0' && is_urc_name (name) && g_ascii_strcasecmp (name, req->name) != 0)
    {
      emit_unsolicited (self, line);
      return;
    }

  if (req->lines->len >= MAX_LINES)
    {
      fail_current (self, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL,
                    "the answer has too many lines and no final result");
      return;
    }
  g_ptr_array_add (req->lines, g_strndup (line, text->len));
}

static void
on_bytes_received (CbSerialPort *port,
                   GBytes       *bytes,
                   CbAtChannel  *self)
{
  g_autoptr(CbAtChannel) hold = g_object_ref (self);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  for (gsize i = 0; i < len; i++)
    {
      guint8 c = data[i];

      if (self->discarding)
        {
          if (c == '\r' || c == '\n')
            self->discarding = FALSE;
          continue;
        }
      if (!self->in_quote && (c == '\r' || c == '\n'))
        {
          if (self->line->len > 0)
            {
              g_autoptr(GString) line = g_steal_pointer (&self->line);

              self->line = g_string_new (NULL);
              handle_line (self, line);
            }
          continue;
        }
      if (self->line->len >= self->max_line)
        {
          g_autofree char *what = g_strdup_printf ("the device sent a line over %" G_GSIZE_FORMAT
                                                   " bytes", self->max_line);

          g_string_truncate (self->line, 0);
          self->in_quote = FALSE;
          self->discarding = TRUE;
          fail_current (self, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL, what);
          continue;
        }
      if (c == '"')
        self->in_quote = !self->in_quote;
      g_string_append_c (self->line, (char) c);
    }
}

static void
fail_all (CbAtChannel  *self,
          const GError *error)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->queue)) != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
  if (self->current != NULL)
    {
      g_autoptr(GTask) current = g_steal_pointer (&self->current);
      Request *req = g_task_get_task_data (current);

      drop_source (&req->timeout_source);
      drop_source (&req->cancel_source);
      g_task_return_error (current, g_error_copy (error));
    }
}

static void
on_disconnected (CbSerialPort *port,
                 GError       *error,
                 CbAtChannel  *self)
{
  g_autoptr(CbAtChannel) hold = g_object_ref (self);

  fail_all (self, error);
}

static gboolean
on_timeout (gpointer user_data)
{
  CbAtChannel *self = user_data;
  Request *req = g_task_get_task_data (self->current);
  g_autofree char *what = g_strdup_printf ("no final result (OK or ERROR) within %u ms",
                                           req->timeout_ms);

  g_clear_pointer (&req->timeout_source, g_source_unref);
  fail_current (self, CB_AT_ERROR, CB_AT_ERROR_TIMEOUT, what);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  CbAtChannel *self = user_data;
  Request *req = g_task_get_task_data (self->current);

  g_clear_pointer (&req->cancel_source, g_source_unref);
  finish_current (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                             "Operation was cancelled"));
  return G_SOURCE_REMOVE;
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CbAtChannel *self = g_task_get_source_object (task);

  if (!cb_serial_port_write_finish (CB_SERIAL_PORT (source), result, &error) &&
      self->current == task)
    finish_current (self, g_steal_pointer (&error));
}

static void
start_next (CbAtChannel *self)
{
  Request *req;
  GCancellable *cancellable;
  g_autoptr(GBytes) bytes = NULL;

  while (self->current == NULL && !g_queue_is_empty (&self->queue))
    {
      GTask *task = g_queue_pop_head (&self->queue);

      if (g_task_return_error_if_cancelled (task))
        {
          g_object_unref (task);
          continue;
        }
      self->current = task;
    }
  if (self->current == NULL)
    return;

  req = g_task_get_task_data (self->current);
  if (!cb_serial_port_is_open (self->port))
    {
      const GError *why = cb_serial_port_get_close_error (self->port);

      finish_current (self, why != NULL ? g_error_copy (why)
                                        : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                               "The serial port is closed"));
      return;
    }

  /* A half line from before (garbage, a log line cut short) is not part of this answer. The
   * rest of an over-long line may still be on its way: it is dropped up to its line end, not
   * taken as the start of this answer (it would only overflow again). */
  g_string_truncate (self->line, 0);
  self->in_quote = FALSE;

  g_debug ("-> %s", req->name);
  g_signal_emit (self, signals[SIGNAL_TRAFFIC], 0, TRUE, req->command);
  req->timeout_source = g_timeout_source_new (req->timeout_ms);
  g_source_set_callback (req->timeout_source, on_timeout, self, NULL);
  g_source_attach (req->timeout_source, g_task_get_context (self->current));

  cancellable = g_task_get_cancellable (self->current);
  if (cancellable != NULL)
    {
      req->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (req->cancel_source, G_SOURCE_FUNC (on_cancelled), self, NULL);
      g_source_attach (req->cancel_source, g_task_get_context (self->current));
    }

  bytes = g_bytes_new_take (g_strconcat (req->command, "\r\n", NULL), strlen (req->command) + 2);
  cb_serial_port_write_async (self->port, bytes, NULL, on_written, g_object_ref (self->current));
}

void
cb_at_channel_command_async (CbAtChannel         *self,
                             const char          *command,
                             guint                timeout_ms,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  Request *req;

  g_return_if_fail (CB_IS_AT_CHANNEL (self));
  g_return_if_fail (command != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_at_channel_command_async);
  req = g_new0 (Request, 1);
  req->command = g_strdup (command);
  req->name = cb_at_command_name (command);
  req->timeout_ms = timeout_ms > 0 ? timeout_ms : CB_AT_CHANNEL_DEFAULT_TIMEOUT_MS;
  req->lines = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, req, (GDestroyNotify) request_free);

  g_queue_push_tail (&self->queue, task);
  start_next (self);
}

char **
cb_at_channel_command_finish (CbAtChannel   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

CbSerialPort *
cb_at_channel_get_port (CbAtChannel *self)
{
  g_return_val_if_fail (CB_IS_AT_CHANNEL (self), NULL);

  return self->port;
}

void
cb_at_channel_set_max_line (CbAtChannel *self,
                            gsize        max_line)
{
  g_return_if_fail (CB_IS_AT_CHANNEL (self));
  g_return_if_fail (max_line > 0);

  self->max_line = max_line;
}

static void
cb_at_channel_dispose (GObject *object)
{
  CbAtChannel *self = CB_AT_CHANNEL (object);

  if (self->port != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                     "The AT channel was closed");

      g_clear_signal_handler (&self->bytes_id, self->port);
      g_clear_signal_handler (&self->disconnected_id, self->port);
      fail_all (self, error);
      g_clear_object (&self->port);
    }

  G_OBJECT_CLASS (cb_at_channel_parent_class)->dispose (object);
}

static void
cb_at_channel_finalize (GObject *object)
{
  CbAtChannel *self = CB_AT_CHANNEL (object);

  g_string_free (self->line, TRUE);

  G_OBJECT_CLASS (cb_at_channel_parent_class)->finalize (object);
}

static void
cb_at_channel_class_init (CbAtChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_at_channel_dispose;
  object_class->finalize = cb_at_channel_finalize;

  /**
   * CbAtChannel::unsolicited:
   * @line: the unsolicited result code's line, without its line end
   */
  signals[SIGNAL_UNSOLICITED] =
    g_signal_new ("unsolicited",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * CbAtChannel::traffic:
   * @sent: TRUE for a command line written, FALSE for a line read (any kind: echo, answer,
   *   unsolicited, device log)
   * @line: the line without its line end (cb_at_line_for_log() shortens it for a log)
   */
  signals[SIGNAL_TRAFFIC] =
    g_signal_new ("traffic",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

static void
cb_at_channel_init (CbAtChannel *self)
{
  g_queue_init (&self->queue);
  self->line = g_string_new (NULL);
  self->max_line = CB_AT_CHANNEL_MAX_LINE;
}

CbAtChannel *
cb_at_channel_new (CbSerialPort *port)
{
  CbAtChannel *self;

  g_return_val_if_fail (CB_IS_SERIAL_PORT (port), NULL);

  self = g_object_new (CB_TYPE_AT_CHANNEL, NULL);
  self->port = g_object_ref (port);
  self->bytes_id = g_signal_connect (port, "bytes-received", G_CALLBACK (on_bytes_received),
                                     self);
  self->disconnected_id = g_signal_connect (port, "disconnected", G_CALLBACK (on_disconnected),
                                            self);
  return self;
}

char *
cb_at_line_for_log (const char *line)
{
  GString *out = g_string_new (NULL);
  const char *p = line;

  g_return_val_if_fail (line != NULL, NULL);

  while (*p != '\0')
    {
      const char *close;
      gsize len;

      if (*p != '"' || (close = strchr (p + 1, '"')) == NULL)
        {
          g_string_append_c (out, g_ascii_isprint (*p) ? *p : '.');
          p++;
          continue;
        }
      len = (gsize) (close - p - 1);
      if (len <= LOG_QUOTED_MAX)
        {
          for (const char *q = p; q <= close; q++)
            g_string_append_c (out, g_ascii_isprint (*q) ? *q : '.');
        }
      else
        {
          g_string_append_c (out, '"');
          for (const char *q = p + 1; q < p + 1 + LOG_QUOTED_MAX; q++)
            g_string_append_c (out, g_ascii_isprint (*q) ? *q : '.');
          g_string_append_printf (out, "…\" (%" G_GSIZE_FORMAT " bytes)", len);
        }
      p = close + 1;
    }
  return g_string_free (out, FALSE);
}

char **
cb_at_result_params (const char  *line,
                     const char  *name,
                     GError     **error)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) param = g_string_new (NULL);
  gsize name_len = strlen (name);
  const char *p;
  gboolean in_quote = FALSE;

  g_return_val_if_fail (line != NULL && name != NULL, NULL);

  if (g_ascii_strncasecmp (line, name, name_len) != 0 || line[name_len] != ':')
    {
      g_set_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL,
                   "Expected a \"%s:\" line from the device, got \"%.40s\"", name, line);
      return NULL;
    }
  p = line + name_len + 1;
  while (*p == ' ')
    p++;
  for (; *p != '\0'; p++)
    {
      if (*p == '"')
        in_quote = !in_quote;
      else if (*p == ',' && !in_quote)
        {
          g_ptr_array_add (params, g_strdup (param->str));
          g_string_truncate (param, 0);
        }
      else
        g_string_append_c (param, *p);
    }
  if (in_quote)
    {
      g_set_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL,
                   "The device's \"%s:\" line has an unclosed quote", name);
      return NULL;
    }
  g_ptr_array_add (params, g_strdup (param->str));
  g_ptr_array_add (params, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&params), FALSE);
}
