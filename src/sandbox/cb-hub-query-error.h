/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The IoT Hub device query language's errors and bounds, without code: the lexer
 * (cb-hub-query-lex.c, which defines the quark) and the parser (cb-hub-query.c) both use them,
 * so they live below both. */

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  CB_HUB_QUERY_ERROR_SYNTAX,      /* the text does not parse: the message names the token */
  CB_HUB_QUERY_ERROR_UNSUPPORTED, /* parses, but asks for something the sandbox does not serve */
  CB_HUB_QUERY_ERROR_INVALID,     /* e.g. a selected path that is not in GROUP BY */
  CB_HUB_QUERY_ERROR_TOO_COMPLEX, /* nests deeper than MAX_DEPTH or has more than MAX_CONDITIONS */
} CbHubQueryError;

/* The parser and the evaluator recurse once per level of parentheses and NOT, and once per
 * AND/OR in a chain: both are bounded so a hostile query cannot exhaust the stack. */
#define CB_HUB_QUERY_MAX_DEPTH      32
#define CB_HUB_QUERY_MAX_CONDITIONS 500

#define CB_HUB_QUERY_ERROR (cb_hub_query_error_quark ())
GQuark cb_hub_query_error_quark (void);

G_END_DECLS
