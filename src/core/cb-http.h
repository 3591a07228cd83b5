/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "cb-profile.h"

G_BEGIN_DECLS

/* How a service writes its error bodies; decides how a non-2xx response becomes a CbApiError. */
typedef enum
{
  CB_HTTP_STYLE_ARM,    /* {"error":{"code","message","target"}} */
  CB_HTTP_STYLE_DPS,    /* {"errorCode","message","trackingId"} + x-ms-error-code */
  CB_HTTP_STYLE_HUB,    /* {"Message":"ErrorCode:X;..."} + iothub-errorcode */
  CB_HTTP_STYLE_OAUTH,  /* {"error","error_description"} */
} CbHttpErrorStyle;

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
/* A JSON member that services write as a string or a number (DPS "errorCode": 401002 or
 * "401002"), as a string; NULL when absent or of another type. */
char           *cb_http_json_dup_code            (JsonObject     *object,
                                                  const char     *member);
/* Seconds from a Retry-After header (delta-seconds or HTTP date) or a JSON "retryAfter"
 * member; 0 when there is none. */
guint           cb_http_response_get_retry_after (CbHttpResponse *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbHttpResponse, cb_http_response_unref)

#define CB_TYPE_HTTP_CLIENT (cb_http_client_get_type ())
G_DECLARE_FINAL_TYPE (CbHttpClient, cb_http_client, CB, HTTP_CLIENT, GObject)

/* Trusts the profile's pinned-ca-file when set, else the system trust store. Fails only when
 * the pinned file cannot be loaded. */
CbHttpClient   *cb_http_client_new               (CbProfile       *profile,
                                                  GError         **error);
/* Same, from a pinned CA path directly (NULL: system trust). */
CbHttpClient   *cb_http_client_new_for_ca_file   (const char      *pinned_ca_file,
                                                  GError         **error);
SoupSession    *cb_http_client_get_session       (CbHttpClient    *self);
guint           cb_http_client_get_max_attempts  (CbHttpClient    *self);
void            cb_http_client_set_max_attempts  (CbHttpClient    *self,
                                                  guint            max_attempts);
/* The service's time (unix seconds) as the Date of the last response put it, moved on by our
 * clock since; our own clock until a response arrived. Judge certificate dates with it. */
gint64          cb_http_client_get_server_now    (CbHttpClient    *self);
guint           cb_http_client_get_max_delay     (CbHttpClient    *self);
void            cb_http_client_set_max_delay     (CbHttpClient    *self,
                                                  guint            max_delay_seconds);

/**
 * cb_http_client_request_async:
 * @authorization: (nullable): the whole Authorization header value ("Bearer ...",
 *   "SharedAccessSignature ..."); never logged
 * @extra_headers: (nullable): NULL-terminated name, value, name, value... list
 * @body: (nullable): sent as application/json
 *
 * Sends a request, retrying 429/503 (and connection errors of idempotent methods) with
 * Retry-After or bounded exponential backoff. A non-2xx final status becomes a CB_API_ERROR
 * parsed per @style.
 */
void            cb_http_client_request_async     (CbHttpClient       *self,
                                                  const char         *method,
                                                  const char         *url,
                                                  const char         *authorization,
                                                  const char * const *extra_headers,
                                                  JsonNode           *body,
                                                  CbHttpErrorStyle    style,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
/* POST application/x-www-form-urlencoded of @form (string -> string). */
void            cb_http_client_post_form_async   (CbHttpClient       *self,
                                                  const char         *url,
                                                  GHashTable         *form,
                                                  CbHttpErrorStyle    style,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
/* Finishes both request variants. Returns: (transfer full). */
CbHttpResponse *cb_http_client_request_finish    (CbHttpClient       *self,
                                                  GAsyncResult       *result,
                                                  GError            **error);

/* A cancellable timer for polling loops (DPS operations, device-code sign-in). Fails with
 * G_IO_ERROR_CANCELLED when @cancellable fires first. */
void            cb_http_sleep_async              (guint               delay_ms,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
gboolean        cb_http_sleep_finish             (GAsyncResult       *result,
                                                  GError            **error);

/* Pure helpers, unit-tested on literal strings. */
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
