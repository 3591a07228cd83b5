/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Limits checked on JSON text from the network BEFORE it reaches json-glib, whose parser
 * recurses once per nesting level (a 200 KB body of 85,000 '[' overflows the stack) and keeps
 * the whole tree in memory. Both the sandbox (request bodies, MQTT payloads) and the core
 * clients (service answers) check with cb_json_check_limits(). docs/security.md, "Limits". */

/* A request body the sandbox accepts (any content type). */
#define CB_JSON_MAX_REQUEST_SIZE  (1024 * 1024)
/* A service answer the clients parse (a page of twins can run to a few MB). */
#define CB_JSON_MAX_RESPONSE_SIZE (16 * 1024 * 1024)
/* Objects and arrays inside each other. IoT Hub allows 10 levels in twin properties; 64 leaves
 * room for the envelopes around them. */
#define CB_JSON_MAX_DEPTH         64

typedef enum
{
  CB_JSON_LIMIT_ERROR_TOO_LARGE,  /* more bytes than the size limit */
  CB_JSON_LIMIT_ERROR_TOO_DEEP,   /* objects/arrays nested deeper than the depth limit */
} CbJsonLimitError;

#define CB_JSON_LIMIT_ERROR (cb_json_limit_error_quark ())
GQuark   cb_json_limit_error_quark (void);

/* The nesting depth of JSON text (brackets outside strings), scanning no further than one level
 * past @max_depth. Pure and linear; it does not validate the JSON. */
guint    cb_json_scan_depth        (const char  *data,
                                    gsize        len,
                                    guint        max_depth);

/* TRUE when @len <= @max_size and the text nests at most @max_depth levels; otherwise a
 * CB_JSON_LIMIT_ERROR whose message names the limit that was crossed. @data may be NULL to
 * check the size alone. */
gboolean cb_json_check_limits      (const char  *data,
                                    gsize        len,
                                    gsize        max_size,
                                    guint        max_depth,
                                    GError     **error);

G_END_DECLS
