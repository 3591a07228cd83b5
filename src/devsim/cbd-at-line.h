/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated modem's line discipline (cbd-at-line.c): AT command lines in, result lines out. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CbdAtLine CbdAtLine;

/* A complete command line, without its terminator; NUL-terminated (line[len] == '\0').
 * bad: the line held bytes a command cannot hold (NUL, binary) or was longer than the
 * limit; the modem answers ERROR to it. */
typedef void (*CbdAtLineFunc)  (const char *line,
                                gsize       len,
                                gboolean    bad,
                                gpointer    user_data);
typedef void (*CbdAtWriteFunc) (void          *ctx,
                                const guint8  *data,
                                gsize          len);

/* max_len: the longest command line; open_quote_ms: how long a line may wait inside an open
 * quoted string with no input before it is given up as bad (0: forever). */
CbdAtLine *cbd_at_line_new        (gsize          max_len,
                                   guint          open_quote_ms,
                                   CbdAtLineFunc  on_line,
                                   CbdAtWriteFunc write,
                                   gpointer       user_data);
void       cbd_at_line_free       (CbdAtLine     *line);
void       cbd_at_line_feed       (CbdAtLine     *line,
                                   const guint8  *data,
                                   gsize          len);
void       cbd_at_line_set_echo   (CbdAtLine     *line,
                                   gboolean       echo);
gboolean   cbd_at_line_get_echo   (CbdAtLine     *line);
/* Writes text and "\r\n". */
void       cbd_at_line_send       (CbdAtLine     *line,
                                   const char    *text);
void       cbd_at_line_sendf      (CbdAtLine     *line,
                                   const char    *format,
                                   ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
