/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-http"

/* CbHttpResponse: a service's 2xx answer as the HTTP client hands it over (status, headers,
 * the raw body and its JSON), reference-counted and immutable. */

#include "config.h"

#include "cb-http-parse.h"
#include "cb-http-response-private.h"

typedef struct
{
  CbHttpResponse public;
  gatomicrefcount ref_count;
} CbHttpResponseReal;

G_DEFINE_BOXED_TYPE (CbHttpResponse, cb_http_response, cb_http_response_ref, cb_http_response_unref)

CbHttpResponse *
cb_http_response_new (guint               status,
                      SoupMessageHeaders *headers,
                      GBytes             *body,
                      JsonNode           *json)
{
  CbHttpResponseReal *real = g_new0 (CbHttpResponseReal, 1);

  g_atomic_ref_count_init (&real->ref_count);
  real->public.status = status;
  real->public.headers = headers ? soup_message_headers_ref (headers)
                                 : soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  real->public.body = body ? g_bytes_ref (body) : g_bytes_new (NULL, 0);
  real->public.json = json ? json_node_ref (json) : NULL;

  return &real->public;
}

CbHttpResponse *
cb_http_response_ref (CbHttpResponse *response)
{
  CbHttpResponseReal *real = (CbHttpResponseReal *)response;

  g_return_val_if_fail (response != NULL, NULL);

  g_atomic_ref_count_inc (&real->ref_count);
  return response;
}

void
cb_http_response_unref (CbHttpResponse *response)
{
  CbHttpResponseReal *real = (CbHttpResponseReal *)response;

  g_return_if_fail (response != NULL);

  if (g_atomic_ref_count_dec (&real->ref_count))
    {
      g_clear_pointer (&response->headers, soup_message_headers_unref);
      g_clear_pointer (&response->body, g_bytes_unref);
      g_clear_pointer (&response->json, json_node_unref);
      g_free (real);
    }
}

const char *
cb_http_response_get_header (CbHttpResponse *response,
                             const char     *name)
{
  g_return_val_if_fail (response != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return soup_message_headers_get_one (response->headers, name);
}

/**
 * cb_http_response_get_object:
 *
 * Returns: (transfer none) (nullable): the body when it is a JSON object
 */
JsonObject *
cb_http_response_get_object (CbHttpResponse *response)
{
  g_return_val_if_fail (response != NULL, NULL);

  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return NULL;

  return json_node_get_object (response->json);
}

guint
cb_http_response_get_retry_after (CbHttpResponse *response)
{
  g_return_val_if_fail (response != NULL, 0);

  return cb_http_parse_retry_after (response->headers, response->json, NULL);
}
