/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* How a service writes its error bodies; decides how a non-2xx response becomes a CbApiError. */
typedef enum
{
  CB_HTTP_STYLE_ARM,    /* {"error":{"code","message","target"}} */
  CB_HTTP_STYLE_DPS,    /* {"errorCode","message","trackingId"} + x-ms-error-code */
  CB_HTTP_STYLE_HUB,    /* {"Message":"ErrorCode:X;..."} + iothub-errorcode */
  CB_HTTP_STYLE_OAUTH,  /* {"error","error_description"} */
} CbHttpErrorStyle;

/* Pure helpers, unit-tested on literal strings. */

/* A JSON member that services write as a string or a number (DPS "errorCode": 401002 or
 * "401002"), as a string; NULL when absent or of another type. */
char           *cb_http_json_dup_code            (JsonObject     *object,
                                                  const char     *member);
GError         *cb_http_parse_error              (CbHttpErrorStyle    style,
                                                  guint               status,
                                                  SoupMessageHeaders *headers,
                                                  GBytes             *body);
guint           cb_http_parse_retry_after        (SoupMessageHeaders *headers,
                                                  JsonNode           *json,
                                                  GDateTime          *now);
/* A JSON answer checked against CB_JSON_MAX_RESPONSE_SIZE and CB_JSON_MAX_DEPTH first; NULL
 * for an empty body (no error) or with a CB_JSON_LIMIT_ERROR or JSON_PARSER_ERROR. */
JsonNode       *cb_http_parse_json               (GBytes             *body,
                                                  GError            **error);
/* Joins base and path segments, percent-encoding each segment; NULL-terminated. */
char           *cb_http_build_url                (const char         *base,
                                                  ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
