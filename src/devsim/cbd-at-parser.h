/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The AT command syntax of the simulated modem (cbd-at-parser.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  CBD_AT_EXEC,    /* AT+CMD        */
  CBD_AT_SET,     /* AT+CMD=a,b    */
  CBD_AT_READ,    /* AT+CMD?       */
  CBD_AT_TEST,    /* AT+CMD=?      */
} CbdAtOp;

typedef struct
{
  char     *text;     /* without the quotes; "" for an empty parameter */
  gboolean  quoted;
} CbdAtParam;

typedef struct
{
  char      *name;    /* upper case with its prefix: "+CFUN", "%CMNG", "E" (ATE1), "" (AT) */
  CbdAtOp    op;
  GPtrArray *params;  /* CbdAtParam */
} CbdAtCommand;

/* NULL when the line is not one well-formed AT command. */
CbdAtCommand *cbd_at_command_parse       (const char          *line);
void          cbd_at_command_free        (CbdAtCommand        *cmd);
guint         cbd_at_command_n_params    (const CbdAtCommand  *cmd);
/* The parameter at i as an unquoted decimal integer within [min, max]. */
gboolean      cbd_at_command_get_int     (const CbdAtCommand  *cmd,
                                          guint                i,
                                          gint64               min,
                                          gint64               max,
                                          gint64              *out);
/* The parameter at i as a quoted string, or NULL. */
const char   *cbd_at_command_get_string  (const CbdAtCommand  *cmd,
                                          guint                i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbdAtCommand, cbd_at_command_free)

G_END_DECLS
