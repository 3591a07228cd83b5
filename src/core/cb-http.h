/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "cb-http-parse.h"
#include "cb-http-response.h"
#include "cb-profile.h"

G_BEGIN_DECLS

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
/* The session whose connection pool a request to @url goes through: one a service. */
SoupSession    *cb_http_client_get_session_for_url (CbHttpClient  *self,
                                                    const char    *url);
/* The pool key of @url: scheme, host and port, and with @by_path the first path segment. */
char           *cb_http_pool_key                 (const char      *url,
                                                  gboolean         by_path);
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
/**
 * cb_http_client_query_async:
 *
 * POSTs @body (application/json) to @url, a request that only reads: an IoT Hub or DPS query.
 * Unlike cb_http_client_request_async() with "POST", it may go out on a kept-alive connection
 * and is retried after a connection error like a GET. Finish with
 * cb_http_client_request_finish().
 */
void            cb_http_client_query_async       (CbHttpClient       *self,
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

G_END_DECLS
