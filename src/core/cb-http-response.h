/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/**
 * CbHttpResponse:
 * @status: the HTTP status (always 2xx when returned by _finish)
 * @headers: the response headers (owned reference)
 * @json: the parsed JSON body, or %NULL when the body is empty or not JSON
 * @body: the raw body (never %NULL, may be empty)
 *
 * A reference-counted, immutable response.
 */
typedef struct
{
  guint               status;
  SoupMessageHeaders *headers;
  JsonNode           *json;
  GBytes             *body;
} CbHttpResponse;

#define CB_TYPE_HTTP_RESPONSE (cb_http_response_get_type ())
GType           cb_http_response_get_type        (void) G_GNUC_CONST;
CbHttpResponse *cb_http_response_ref             (CbHttpResponse *response);
void            cb_http_response_unref           (CbHttpResponse *response);
/* Convenience accessors; NULL when absent. */
const char     *cb_http_response_get_header      (CbHttpResponse *response,
                                                  const char     *name);
JsonObject     *cb_http_response_get_object      (CbHttpResponse *response);
/* Seconds from a Retry-After header (delta-seconds or HTTP date) or a JSON "retryAfter"
 * member; 0 when there is none. */
guint           cb_http_response_get_retry_after (CbHttpResponse *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbHttpResponse, cb_http_response_unref)

G_END_DECLS
