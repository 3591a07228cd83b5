/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-error.h"
#include "cb-http.h"
#include "cb-http-sleep.h"

/* CbHttpClient against a plain-HTTP SoupServer on loopback, in the same main context: the
 * retry, Retry-After, error and cancellation paths without the sandbox. */

typedef struct
{
  SoupServer   *server;
  GUri         *base;
  CbHttpClient *client;
  GMainLoop    *loop;

  /* What the handler does: answer `fail_status` this many times, then 200. */
  guint         failures_left;
  guint         fail_status;
  const char   *retry_after;
  guint         hits;
  char         *last_authorization;
  char         *last_content_type;
  char         *last_body;
  char         *last_custom;
  GHashTable   *client_ports;    /* the remote ports requests came from, as a set */

  CbHttpResponse *response;
  GError       *error;
} Fixture;

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (request_body);

  f->hits++;
  g_hash_table_add (f->client_ports, GUINT_TO_POINTER (g_inet_socket_address_get_port (
    G_INET_SOCKET_ADDRESS (soup_server_message_get_remote_address (msg)))));
  g_free (f->last_authorization);
  f->last_authorization = g_strdup (soup_message_headers_get_one (request_headers, "Authorization"));
  g_free (f->last_content_type);
  f->last_content_type = g_strdup (soup_message_headers_get_one (request_headers, "Content-Type"));
  g_free (f->last_custom);
  f->last_custom = g_strdup (soup_message_headers_get_one (request_headers, "x-custom"));
  g_free (f->last_body);
  f->last_body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  if (g_str_equal (path, "/echo-secret"))
    {
      /* A misbehaving service that quotes the credential back. */
      g_autofree char *json = g_strdup_printf ("{\"error\":{\"code\":\"Bad\",\"message\":\"token %s rejected\"}}",
                                               f->last_authorization + strlen ("Bearer "));

      soup_server_message_set_status (msg, 401, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
      return;
    }

  if (g_str_equal (path, "/empty"))
    {
      soup_server_message_set_status (msg, 204, NULL);
      return;
    }

  if (g_str_equal (path, "/big") || g_str_equal (path, "/big-not-json"))
    {
      /* A query page's size (parsed in a worker thread from 64 KiB on). */
      GString *json = g_string_new ("[");

      for (guint i = 0; i < 4000; i++)
        g_string_append_printf (json, "%s{\"deviceId\":\"device-%05u\",\"status\":\"enabled\"}",
                                i > 0 ? "," : "", i);
      g_string_append (json, g_str_equal (path, "/big") ? "]" : "");
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_replace (response_headers, "x-answer", "big");
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json->str,
                                        json->len);
      g_string_free (json, FALSE);
      return;
    }

  if (g_str_equal (path, "/not-json"))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{oops", 5);
      return;
    }

  if (f->failures_left > 0)
    {
      static const char throttled[] = "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow\"}}";

      f->failures_left--;
      soup_server_message_set_status (msg, f->fail_status, NULL);
      if (f->retry_after != NULL)
        soup_message_headers_replace (response_headers, "Retry-After", f->retry_after);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        throttled, strlen (throttled));
      return;
    }

  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_replace (response_headers, "x-answer", "42");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    "{\"ok\":true}", 11);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  f->client_ports = g_hash_table_new (NULL, NULL);
  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, handler, f, NULL);
  soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (f->server);
  f->base = g_uri_ref (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  f->client = cb_http_client_new_for_ca_file (NULL, &error);
  g_assert_no_error (error);
  /* No real waiting in tests: every backoff step is capped at 0 s. */
  cb_http_client_set_max_delay (f->client, 0);

  f->loop = g_main_loop_new (NULL, FALSE);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->response, cb_http_response_unref);
  g_clear_error (&f->error);
  g_assert_finalize_object (f->client);
  soup_server_disconnect (f->server);
  g_assert_finalize_object (f->server);
  g_uri_unref (f->base);
  g_main_loop_unref (f->loop);
  g_free (f->last_authorization);
  g_free (f->last_content_type);
  g_free (f->last_body);
  g_free (f->last_custom);
  g_hash_table_unref (f->client_ports);
}

static char *
url_for (Fixture    *f,
         const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%d%s", g_uri_get_port (f->base), path);
}

static void
request_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fixture *f = user_data;

  f->response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &f->error);
  g_main_loop_quit (f->loop);
}

static void
run_request (Fixture          *f,
             const char       *method,
             const char       *path,
             const char       *authorization,
             JsonNode         *body,
             GCancellable     *cancellable)
{
  g_autofree char *url = url_for (f, path);
  const char * const headers[] = { "x-custom", "yes", NULL };

  cb_http_client_request_async (f->client, method, url, authorization, headers, body,
                                CB_HTTP_STYLE_ARM, cancellable, request_cb, f);
  g_main_loop_run (f->loop);
}

static void
test_success (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(JsonNode) body = json_from_string ("{\"name\":\"x\"}", NULL);

  run_request (f, "put", "/thing", "Bearer abcdefghijkl", body, NULL);

  g_assert_no_error (f->error);
  g_assert_nonnull (f->response);
  g_assert_cmpuint (f->response->status, ==, 200);
  g_assert_cmpstr (cb_http_response_get_header (f->response, "x-answer"), ==, "42");
  g_assert_true (json_object_get_boolean_member (cb_http_response_get_object (f->response), "ok"));
  g_assert_cmpstr (f->last_authorization, ==, "Bearer abcdefghijkl");
  g_assert_cmpstr (f->last_custom, ==, "yes");
  g_assert_cmpstr (f->last_body, ==, "{\"name\":\"x\"}");
  g_assert_true (g_str_has_prefix (f->last_content_type, "application/json"));
  g_assert_cmpuint (f->hits, ==, 1);
}

/* A query goes out on the connection the last one used; any other POST gets a new one, as
 * libsoup does for whatever may not be sent twice. */
static void
test_query_keeps_connection (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(JsonNode) body = json_from_string ("{\"query\":\"SELECT * FROM devices\"}", NULL);
  g_autofree char *url = url_for (f, "/devices/query");

  for (guint i = 0; i < 3; i++)
    {
      cb_http_client_query_async (f->client, url, "SharedAccessSignature sr=x", NULL, body,
                                  CB_HTTP_STYLE_HUB, NULL, request_cb, f);
      g_main_loop_run (f->loop);
      g_assert_no_error (f->error);
      g_assert_cmpuint (f->response->status, ==, 200);
      g_clear_pointer (&f->response, cb_http_response_unref);
    }
  g_assert_cmpstr (f->last_body, ==, "{\"query\":\"SELECT * FROM devices\"}");
  g_assert_true (g_str_has_prefix (f->last_content_type, "application/json"));
  g_assert_cmpuint (f->hits, ==, 3);
  g_assert_cmpuint (g_hash_table_size (f->client_ports), ==, 1);

  for (guint i = 0; i < 2; i++)
    {
      run_request (f, "POST", "/actions/revoke", NULL, body, NULL);
      g_assert_no_error (f->error);
      g_clear_pointer (&f->response, cb_http_response_unref);
    }
  g_assert_cmpuint (g_hash_table_size (f->client_ports), ==, 3);
}

static void
test_retry_then_success (Fixture       *f,
                         gconstpointer  data)
{
  f->failures_left = 2;
  f->fail_status = 429;
  f->retry_after = "0";

  run_request (f, "GET", "/thing", NULL, NULL, NULL);

  g_assert_no_error (f->error);
  g_assert_cmpuint (f->response->status, ==, 200);
  g_assert_cmpuint (f->hits, ==, 3);
}

static void
test_honours_retry_after (Fixture       *f,
                          gconstpointer  data)
{
  gint64 start = g_get_monotonic_time ();

  cb_http_client_set_max_delay (f->client, 30);
  f->failures_left = 1;
  f->fail_status = 429;
  f->retry_after = "1";

  run_request (f, "GET", "/thing", NULL, NULL, NULL);

  g_assert_no_error (f->error);
  g_assert_cmpuint (f->hits, ==, 2);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

static void
test_backoff_capped (Fixture       *f,
                     gconstpointer  data)
{
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  /* No hint: exponential backoff (1 s, 2 s) with jitter, capped at max-delay = 1 s, so the
   * two waits take between 1 s and 2 s. */
  cb_http_client_set_max_delay (f->client, 1);
  f->failures_left = 2;
  f->fail_status = 503;

  run_request (f, "GET", "/thing", NULL, NULL, NULL);

  elapsed = g_get_monotonic_time () - start;
  g_assert_no_error (f->error);
  g_assert_cmpuint (f->hits, ==, 3);
  g_assert_cmpint (elapsed, >=, 950 * 1000);
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
}

static void
test_retry_503_post (Fixture       *f,
                     gconstpointer  data)
{
  /* 503 is retried even for POST: the service did not process the request. */
  f->failures_left = 1;
  f->fail_status = 503;

  run_request (f, "POST", "/thing", NULL, NULL, NULL);

  g_assert_no_error (f->error);
  g_assert_cmpuint (f->hits, ==, 2);
}

static void
test_retry_exhausted (Fixture       *f,
                      gconstpointer  data)
{
  f->failures_left = 10;
  f->fail_status = 429;
  f->retry_after = "7";
  cb_http_client_set_max_attempts (f->client, 3);

  run_request (f, "GET", "/thing", NULL, NULL, NULL);

  g_assert_null (f->response);
  g_assert_error (f->error, CB_API_ERROR, CB_API_ERROR_THROTTLED);
  g_assert_cmpuint (cb_api_error_get_retry_after (f->error), ==, 7);
  g_assert_cmpstr (cb_api_error_get_remote_code (f->error), ==, "TooManyRequests");
  g_assert_cmpuint (f->hits, ==, 3);
}

static void
test_no_retry_on_400 (Fixture       *f,
                      gconstpointer  data)
{
  f->failures_left = 1;
  f->fail_status = 400;

  run_request (f, "GET", "/thing", NULL, NULL, NULL);

  g_assert_error (f->error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_assert_cmpuint (cb_api_error_get_http_status (f->error), ==, 400);
  g_assert_cmpuint (f->hits, ==, 1);
}

static void
test_redacts_echoed_token (Fixture       *f,
                           gconstpointer  data)
{
  run_request (f, "GET", "/echo-secret", "Bearer eyJsecret-token-value", NULL, NULL);

  g_assert_error (f->error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_assert_null (strstr (f->error->message, "eyJsecret-token-value"));
  g_assert_nonnull (strstr (f->error->message, "[redacted]"));
}

static void
test_empty_and_bad_json (Fixture       *f,
                         gconstpointer  data)
{
  run_request (f, "DELETE", "/empty", NULL, NULL, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (f->response->status, ==, 204);
  g_assert_null (f->response->json);
  g_assert_cmpuint (g_bytes_get_size (f->response->body), ==, 0);
  g_clear_pointer (&f->response, cb_http_response_unref);

  run_request (f, "GET", "/not-json", NULL, NULL, NULL);
  g_assert_error (f->error, CB_API_ERROR, CB_API_ERROR_PARSE);
}

/* A large answer (parsed off the main thread) comes back whole, with its headers; a large
 * broken one is the same parse error as a small one. */
static void
test_large_json (Fixture       *f,
                 gconstpointer  data)
{
  JsonArray *array;

  run_request (f, "GET", "/big", NULL, NULL, NULL);
  g_assert_no_error (f->error);
  g_assert_cmpuint (g_bytes_get_size (f->response->body), >=, 64 * 1024);
  g_assert_cmpstr (cb_http_response_get_header (f->response, "x-answer"), ==, "big");
  g_assert_true (JSON_NODE_HOLDS_ARRAY (f->response->json));
  array = json_node_get_array (f->response->json);
  g_assert_cmpuint (json_array_get_length (array), ==, 4000);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 3999),
                                                  "deviceId"), ==, "device-03999");
  g_clear_pointer (&f->response, cb_http_response_unref);

  run_request (f, "GET", "/big-not-json", NULL, NULL, NULL);
  g_assert_error (f->error, CB_API_ERROR, CB_API_ERROR_PARSE);
  g_assert_null (f->response);
}

static void
test_form (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *url = url_for (f, "/token");

  g_hash_table_insert (form, (gpointer) "grant_type", (gpointer) "refresh_token");
  g_hash_table_insert (form, (gpointer) "scope", (gpointer) "a b");

  cb_http_client_post_form_async (f->client, url, form, CB_HTTP_STYLE_OAUTH, NULL, request_cb, f);
  g_main_loop_run (f->loop);

  g_assert_no_error (f->error);
  g_assert_cmpstr (f->last_content_type, ==, "application/x-www-form-urlencoded");
  g_assert_true (strstr (f->last_body, "grant_type=refresh_token") != NULL);
  g_assert_true (strstr (f->last_body, "scope=a+b") != NULL || strstr (f->last_body, "scope=a%20b") != NULL);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_during_backoff (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 start = g_get_monotonic_time ();

  /* A 30 s Retry-After, cut short by cancellation after 100 ms. */
  cb_http_client_set_max_delay (f->client, 30);
  f->failures_left = 5;
  f->fail_status = 429;
  f->retry_after = "30";
  g_timeout_add (100, cancel_cb, cancellable);

  run_request (f, "GET", "/thing", NULL, NULL, cancellable);

  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (f->hits, ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
}

static void
test_connection_refused_retried (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint port;

  /* Find a port nobody listens on: bind, read it, close. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any, TRUE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);

  url = g_strdup_printf ("http://127.0.0.1:%u/x", port);
  cb_http_client_request_async (f->client, "GET", url, NULL, NULL, NULL, CB_HTTP_STYLE_ARM,
                                NULL, request_cb, f);
  g_main_loop_run (f->loop);

  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

/* A server that promises a longer body than it sends, then closes: the answer's read fails
 * with libsoup's error (the same as when libsoup spliced the body), at once, and nothing waits
 * for the rest. */
static void
truncated_answer (GThreadedSocketService *service,
                  GSocketConnection      *connection,
                  GObject                *source_object,
                  gpointer                user_data)
{
  static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 100\r\n\r\n{\"status\":";
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  guint *hits = user_data;
  char request[4096];
  gsize got = 0;

  /* The request's head, then the half answer. */
  while (got < sizeof request - 1)
    {
      gssize n = g_input_stream_read (in, request + got, sizeof request - 1 - got, NULL, NULL);

      if (n <= 0)
        return;
      got += n;
      request[got] = '\0';
      if (strstr (request, "\r\n\r\n") != NULL)
        break;
    }
  g_atomic_int_inc (hits);
  g_output_stream_write_all (out, answer, strlen (answer), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

static void
test_truncated_body (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GSocketService) service = g_threaded_socket_service_new (1);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint hits = 0;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "run", G_CALLBACK (truncated_answer), &hits);
  g_socket_service_start (service);

  url = g_strdup_printf ("http://127.0.0.1:%u/twins/device-0001", port);
  cb_http_client_request_async (f->client, "GET", url, NULL, NULL, NULL, CB_HTTP_STYLE_HUB,
                                NULL, request_cb, f);
  g_main_loop_run (f->loop);

  g_assert_null (f->response);
  g_assert_error (f->error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  g_assert_cmpuint (g_atomic_int_get (&hits), ==, 1);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
}


static void
test_bad_ca_file (void)
{
  g_autoptr(GError) error = NULL;
  CbHttpClient *client = cb_http_client_new_for_ca_file ("/nonexistent/ca.pem", &error);

  g_assert_null (client);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "/nonexistent/ca.pem"));
}

typedef struct
{
  gboolean  done;
  GError   *error;
} SleepResult;

static void
sleep_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  SleepResult *r = user_data;

  cb_http_sleep_finish (result, &r->error);
  r->done = TRUE;
}

static void
test_sleep (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  SleepResult plain = { FALSE, NULL };
  SleepResult cancelled = { FALSE, NULL };
  gint64 start = g_get_monotonic_time ();

  /* Completes after the delay. */
  cb_http_sleep_async (50, NULL, sleep_cb, &plain);
  while (!plain.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (plain.error);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 45 * 1000);

  /* Cancelled before it starts: reports the cancellation instead of waiting a minute. */
  g_cancellable_cancel (cancellable);
  cb_http_sleep_async (60 * 1000, cancellable, sleep_cb, &cancelled);
  while (!cancelled.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&cancelled.error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/http-client/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("success", test_success);
  ADD ("query-keeps-connection", test_query_keeps_connection);
  ADD ("retry-then-success", test_retry_then_success);
  ADD ("honours-retry-after", test_honours_retry_after);
  ADD ("backoff-capped", test_backoff_capped);
  ADD ("retry-503-post", test_retry_503_post);
  ADD ("retry-exhausted", test_retry_exhausted);
  ADD ("no-retry-on-400", test_no_retry_on_400);
  ADD ("redacts-echoed-token", test_redacts_echoed_token);
  ADD ("empty-and-bad-json", test_empty_and_bad_json);
  ADD ("large-json", test_large_json);
  ADD ("form", test_form);
  ADD ("cancel-during-backoff", test_cancel_during_backoff);
  ADD ("connection-refused", test_connection_refused_retried);
  ADD ("truncated-body", test_truncated_body);
#undef ADD
  g_test_add_func ("/cb/http-client/bad-ca-file", test_bad_ca_file);
  g_test_add_func ("/cb/http-client/sleep", test_sleep);

  return g_test_run ();
}
