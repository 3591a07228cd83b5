/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-activity-log-client.h"
#include "cb-adr-client-ca.h"
#include "cb-adr-client.h"
#include "cb-csr.h"
#include "cb-entra-client.h"
#include "cb-error.h"
#include "cb-hub-certificates-client.h"
#include "cb-pki.h"
#include "cb-sandbox-profile.h"
#include "cb-secrets.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* Part 1: the client against a scripted SoupServer on loopback, for what the sandbox would
 * rarely do on purpose (exact request shapes, Failed/Canceled operations, cancellation,
 * timeouts, foreign next links). Part 2 (below) runs it against the real sandbox. */

/* -------------------------------------------------------------------------------------------- */
/* Scripted server                                                                              */

typedef struct _Mock Mock;
typedef void (*MockHandler) (Mock              *mock,
                             SoupServerMessage *msg,
                             const char        *method,
                             const char        *path,
                             const char        *query);

struct _Mock
{
  SoupServer   *server;
  char         *base;           /* http://127.0.0.1:PORT */
  CbProfile    *profile;
  CbHttpClient *http;
  CbAdrClient  *client;
  MockHandler   handler;
  GPtrArray    *log;            /* "METHOD /path?query" */
  GPtrArray    *bodies;         /* request bodies, "" when none */
  GPtrArray    *authorizations; /* Authorization header values, "" when none */
  GPtrArray    *if_match;       /* If-Match header values, "" when none */
  guint         counter;
  gpointer      data;
};

static void
mock_reply (SoupServerMessage *msg,
            guint              status,
            const char        *json,
            ...)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *name;
  va_list args;

  va_start (args, json);
  while ((name = va_arg (args, const char *)) != NULL)
    soup_message_headers_replace (headers, name, va_arg (args, const char *));
  va_end (args);

  soup_server_message_set_status (msg, status, NULL);
  if (json != NULL)
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json,
                                      strlen (json));
}

static void
mock_server_cb (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  Mock *mock = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  const char *raw_query = g_uri_get_query (uri);
  const char *auth = soup_message_headers_get_one (request_headers, "Authorization");
  const char *if_match = soup_message_headers_get_one (request_headers, "If-Match");

  /* SoupServer hands over the path decoded; test_mock_escaping checks the encoded form. */
  g_ptr_array_add (mock->log, g_strdup_printf ("%s %s%s%s", soup_server_message_get_method (msg),
                                               g_uri_get_path (uri), raw_query ? "?" : "",
                                               raw_query ? raw_query : ""));
  g_ptr_array_add (mock->bodies, g_strndup (g_bytes_get_data (bytes, NULL),
                                            g_bytes_get_size (bytes)));
  g_ptr_array_add (mock->authorizations, g_strdup (auth ? auth : ""));
  g_ptr_array_add (mock->if_match, g_strdup (if_match ? if_match : ""));

  mock->handler (mock, msg, soup_server_message_get_method (msg), g_uri_get_path (uri), raw_query);
}

static Mock *
mock_new (MockHandler handler)
{
  Mock *mock = g_new0 (Mock, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  g_autofree char *arm = NULL;
  GUri *uri;

  mock->handler = handler;
  mock->log = g_ptr_array_new_with_free_func (g_free);
  mock->bodies = g_ptr_array_new_with_free_func (g_free);
  mock->authorizations = g_ptr_array_new_with_free_func (g_free);
  mock->if_match = g_ptr_array_new_with_free_func (g_free);

  mock->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (mock->server, NULL, mock_server_cb, mock, NULL);
  soup_server_listen_local (mock->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (mock->server);
  g_assert_nonnull (uris);
  uri = uris->data;
  mock->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uri));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  arm = g_strconcat (mock->base, "/arm", NULL);
  mock->profile = cb_profile_new ("mock", "Mock", CB_PROFILE_KIND_AZURE);
  cb_profile_set_arm_endpoint (mock->profile, arm);
  cb_profile_set_subscription_id (mock->profile, "sub-1");
  cb_profile_set_resource_group (mock->profile, "rg-1");
  cb_profile_set_namespace (mock->profile, "ns-1");
  cb_profile_set_location (mock->profile, "westeurope");
  cb_profile_set_hub_name (mock->profile, "hub-1");

  mock->http = cb_http_client_new_for_ca_file (NULL, &error);
  g_assert_no_error (error);
  cb_http_client_set_max_delay (mock->http, 1);

  mock->client = cb_adr_client_new (mock->profile, mock->http);
  /* The scripted server speaks the credential model; the model's detection is tested against
   * the sandbox (test-adr-models). */
  cb_adr_client_set_model (mock->client, CB_ADR_MODEL_CREDENTIAL);
  cb_adr_client_set_access_token (mock->client, "mock-token-0123456789");
  cb_adr_client_set_max_poll_delay_ms (mock->client, 20);

  return mock;
}

static void
mock_free (Mock *mock)
{
  g_clear_object (&mock->client);
  g_clear_object (&mock->http);
  g_clear_object (&mock->profile);
  soup_server_disconnect (mock->server);
  g_clear_object (&mock->server);
  g_ptr_array_unref (mock->log);
  g_ptr_array_unref (mock->bodies);
  g_ptr_array_unref (mock->authorizations);
  g_ptr_array_unref (mock->if_match);
  g_free (mock->base);
  g_free (mock);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mock, mock_free)

#define LOG(mock, i) ((const char *) g_ptr_array_index ((mock)->log, (i)))
#define BODY(mock, i) ((const char *) g_ptr_array_index ((mock)->bodies, (i)))

#define P "/arm/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DeviceRegistry" \
          "/namespaces/ns-1"
#define V "?api-version=2026-03-01-preview"

/* Runs the main loop until an async call hands its result over. */

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
assert_json_equal (const char *actual,
                   const char *expected)
{
  g_autoptr(JsonNode) a = json_from_string (actual, NULL);
  g_autoptr(JsonNode) b = json_from_string (expected, NULL);

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  if (!json_node_equal (a, b))
    g_error ("JSON differs:\n  actual   %s\n  expected %s", actual, expected);
}

static const char policy_body[] =
  "{\"id\": \"/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.DeviceRegistry"
  "/namespaces/ns-1/credentials/default/policies/line 1\","
  " \"name\": \"line 1\", \"properties\": {\"provisioningState\": \"Succeeded\", \"certificate\": {"
  " \"certificateAuthorityConfiguration\": {\"keyType\": \"ECC\", \"subject\": \"CN=abc\"},"
  " \"leafCertificateConfiguration\": {\"validityPeriodInDays\": 14}}}}";

/* -------------------------------------------------------------------------------------------- */
/* PUT with Azure-AsyncOperation, then a final GET                                             */

static void
put_async_handler (Mock              *mock,
                   SoupServerMessage *msg,
                   const char        *method,
                   const char        *path,
                   const char        *query)
{
  g_autofree char *op_url = g_strconcat (mock->base, "/arm/ops/1?api-version=x", NULL);

  if (g_str_equal (method, "PUT"))
    mock_reply (msg, 201, "{\"name\": \"line 1\", \"properties\": {\"provisioningState\": "
                          "\"Accepted\"}}",
                "Azure-AsyncOperation", op_url, "Retry-After", "30", NULL);
  else if (g_str_equal (path, "/arm/ops/1"))
    mock_reply (msg, 200, ++mock->counter < 3 ? "{\"status\": \"InProgress\"}"
                                               : "{\"status\": \"Succeeded\"}",
                "Retry-After", "30", NULL);
  else
    mock_reply (msg, 200, policy_body, NULL);
}

static void
test_mock_put_async_operation (void)
{
  g_autoptr(Mock) mock = mock_new (put_async_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  cb_adr_client_create_policy_async (mock->client, "line 1", 14, FALSE, NULL,
                                     cb_test_store_result_cb, &result);
  policy = cb_adr_client_create_policy_finish (mock->client, wait_result (&result), &error);
  g_assert_no_error (error);

  /* Retry-After 30 s is capped by max-poll-delay-ms. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  g_assert_cmpstr (cb_policy_get_name (policy), ==, "line 1");
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 14);
  g_assert_cmpstr (cb_policy_get_ca_subject (policy), ==, "CN=abc");

  g_assert_cmpuint (mock->log->len, ==, 5);
  g_assert_cmpstr (LOG (mock, 0), ==, "PUT " P "/credentials/default/policies/line 1" V);
  assert_json_equal (BODY (mock, 0),
                     "{\"properties\": {\"certificate\": {"
                     "\"certificateAuthorityConfiguration\": {\"keyType\": \"ECC\", "
                     "\"bringYourOwnRoot\": {\"enabled\": false}},"
                     "\"leafCertificateConfiguration\": {\"validityPeriodInDays\": 14}}}}");
  g_assert_cmpstr (LOG (mock, 1), ==, "GET /arm/ops/1?api-version=x");
  g_assert_cmpstr (LOG (mock, 2), ==, "GET /arm/ops/1?api-version=x");
  g_assert_cmpstr (LOG (mock, 3), ==, "GET /arm/ops/1?api-version=x");
  g_assert_cmpstr (LOG (mock, 4), ==, "GET " P "/credentials/default/policies/line 1" V);
  for (guint i = 0; i < mock->authorizations->len; i++)
    g_assert_cmpstr (g_ptr_array_index (mock->authorizations, i), ==,
                     "Bearer mock-token-0123456789");
}

/* -------------------------------------------------------------------------------------------- */
/* Failed and Canceled operations                                                               */

static void
async_failed_handler (Mock              *mock,
                      SoupServerMessage *msg,
                      const char        *method,
                      const char        *path,
                      const char        *query)
{
  g_autofree char *op_url = g_strconcat (mock->base, "/arm/ops/2", NULL);

  if (g_str_equal (method, "PUT"))
    mock_reply (msg, 201, "{}", "Azure-AsyncOperation", op_url, NULL);
  else if (GPOINTER_TO_INT (mock->data) == 0)
    mock_reply (msg, 200, "{\"id\": \"x\", \"name\": \"2\", \"status\": \"Failed\", "
                "\"error\": {\"code\": \"IssuingCaCreationFailed\", \"message\": \"The HSM is "
                "busy\"}}", NULL);
  else
    mock_reply (msg, 200, "{\"status\": \"Canceled\"}", NULL);
}

static void
test_mock_operation_failed (void)
{
  g_autoptr(Mock) mock = mock_new (async_failed_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  cb_adr_client_create_credential_async (mock->client, NULL, NULL, cb_test_store_result_cb, &result);
  ok = cb_adr_client_create_credential_finish (mock->client, wait_result (&result), &error);
  g_assert_false (ok);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_OPERATION_FAILED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "IssuingCaCreationFailed");
  g_assert_nonnull (strstr (error->message, "The HSM is busy"));
  g_assert_cmpstr (LOG (mock, 0), ==, "PUT " P "/credentials/default" V);
  assert_json_equal (BODY (mock, 0), "{\"location\": \"westeurope\", \"properties\": {}}");
  /* No final GET after a failure. */
  g_assert_cmpuint (mock->log->len, ==, 2);

  g_clear_error (&error);
  mock->data = GINT_TO_POINTER (1);
  cb_adr_client_create_credential_async (mock->client, NULL, NULL, cb_test_store_result_cb, &result2);
  ok = cb_adr_client_create_credential_finish (mock->client, wait_result (&result2), &error);
  g_assert_false (ok);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_OPERATION_FAILED);
}

/* -------------------------------------------------------------------------------------------- */
/* Device revoke: Location polling, the result body, disable always sent                       */

static void
revoke_handler (Mock              *mock,
                SoupServerMessage *msg,
                const char        *method,
                const char        *path,
                const char        *query)
{
  g_autofree char *location = g_strconcat (mock->base, "/arm/results/7", NULL);
  int mode = GPOINTER_TO_INT (mock->data);

  if (g_str_equal (method, "POST") && mode == 0)
    mock_reply (msg, 200, "{\"result\": \"Succeeded\"}", NULL);
  else if (g_str_equal (method, "POST"))
    mock_reply (msg, 202, NULL, "Location", location, "Retry-After", "1", NULL);
  else if (++mock->counter < 3)
    mock_reply (msg, 202, NULL, "Location", location, NULL);
  else if (mode == 2)
    mock_reply (msg, 500, "{\"error\": {\"code\": \"InternalError\", \"message\": \"Gave up\"}}",
                NULL);
  else
    mock_reply (msg, 200, "{\"result\": \"Failed\", \"error\": {\"code\": \"RevocationFailed\", "
                "\"message\": \"The issuing CA is offline\", \"details\": []}}", NULL);
}

static void
test_mock_revoke (void)
{
  g_autoptr(Mock) mock = mock_new (revoke_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GAsyncResult) result3 = NULL;
  g_autoptr(GError) error = NULL;

  cb_adr_client_revoke_device_async (mock->client, "dev/1", FALSE, NULL, cb_test_store_result_cb, &result);
  g_assert_true (cb_adr_client_revoke_device_finish (mock->client, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (LOG (mock, 0), ==, "POST " P "/devices/dev/1/revoke" V);
  /* disable is explicit even when false */
  assert_json_equal (BODY (mock, 0), "{\"disable\": false}");

  mock->data = GINT_TO_POINTER (1);
  cb_adr_client_revoke_device_async (mock->client, "dev-2", TRUE, NULL, cb_test_store_result_cb, &result2);
  g_assert_false (cb_adr_client_revoke_device_finish (mock->client, wait_result (&result2),
                                                      &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_OPERATION_FAILED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "RevocationFailed");
  assert_json_equal (BODY (mock, 1), "{\"disable\": true}");
  g_assert_cmpuint (mock->log->len, ==, 5);
  g_assert_cmpstr (LOG (mock, 4), ==, "GET /arm/results/7");
  g_clear_error (&error);

  /* A Location poll answering with an error status is the operation failing. */
  mock->data = GINT_TO_POINTER (2);
  mock->counter = 0;
  cb_adr_client_revoke_device_async (mock->client, "dev-3", TRUE, NULL, cb_test_store_result_cb, &result3);
  g_assert_false (cb_adr_client_revoke_device_finish (mock->client, wait_result (&result3),
                                                      &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_OPERATION_FAILED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "InternalError");
  g_assert_cmpuint (cb_api_error_get_http_status (error), ==, 500);
}

/* -------------------------------------------------------------------------------------------- */
/* Cancellation and timeout while polling                                                       */

static void
forever_handler (Mock              *mock,
                 SoupServerMessage *msg,
                 const char        *method,
                 const char        *path,
                 const char        *query)
{
  g_autofree char *location = g_strconcat (mock->base, "/arm/results/8", NULL);

  mock_reply (msg, 202, NULL, "Location", location, "Retry-After", "5", NULL);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_mock_cancel (void)
{
  g_autoptr(Mock) mock = mock_new (forever_handler);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  /* Retry-After 5 s under a 10 s cap: only cancellation can end the wait this early. */
  cb_adr_client_set_max_poll_delay_ms (mock->client, 10000);
  cb_adr_client_delete_policy_async (mock->client, "p1", cancellable, cb_test_store_result_cb, &result);
  g_timeout_add (500, cancel_cb, cancellable);
  start = g_get_monotonic_time ();
  g_assert_false (cb_adr_client_delete_policy_finish (mock->client, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpstr (LOG (mock, 0), ==, "DELETE " P "/credentials/default/policies/p1" V);
  g_assert_cmpuint (mock->log->len, ==, 1);
}

static void
test_mock_timeout (void)
{
  g_autoptr(Mock) mock = mock_new (forever_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cb_adr_client_set_operation_timeout (mock->client, 1);
  cb_adr_client_set_max_poll_delay_ms (mock->client, 100);
  cb_adr_client_synchronize_credential_async (mock->client, NULL, cb_test_store_result_cb, &result);
  g_assert_false (cb_adr_client_synchronize_credential_finish (mock->client, wait_result (&result),
                                                               &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_TIMEOUT);
  g_assert_cmpstr (LOG (mock, 0), ==, "POST " P "/credentials/default/synchronize" V);
  g_assert_cmpstr (BODY (mock, 0), ==, "");
}

/* -------------------------------------------------------------------------------------------- */
/* Paging and foreign links                                                                     */

static void
paging_handler (Mock              *mock,
                SoupServerMessage *msg,
                const char        *method,
                const char        *path,
                const char        *query)
{
  g_autofree char *body = NULL;
  const char *host = mock->data != NULL ? mock->data : mock->base;

  if (query != NULL && strstr (query, "skipToken=2"))
    body = g_strdup ("{\"value\": [{\"name\": \"n5\"}]}");
  else if (query != NULL && strstr (query, "skipToken=1"))
    body = g_strdup_printf ("{\"value\": [{\"name\": \"n3\"}, {\"name\": \"n4\"}], "
                            "\"nextLink\": \"%s%s?api-version=2026-03-01-preview&$skipToken=2\"}",
                            host, path);
  else
    body = g_strdup_printf ("{\"value\": [{\"name\": \"n1\", \"location\": \"westeurope\"}, "
                            "{\"name\": \"n2\"}], "
                            "\"nextLink\": \"%s%s?api-version=2026-03-01-preview&$skipToken=1\"}",
                            host, path);

  mock_reply (msg, 200, body, NULL);
}

static void
test_mock_paging (void)
{
  g_autoptr(Mock) mock = mock_new (paging_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) page1 = NULL;
  g_autoptr(GAsyncResult) page2 = NULL;
  g_autoptr(GPtrArray) namespaces = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;

  cb_adr_client_list_namespaces_async (mock->client, NULL, cb_test_store_result_cb, &result);
  namespaces = cb_adr_client_list_namespaces_finish (mock->client, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (namespaces->len, ==, 5);
  g_assert_cmpstr (cb_namespace_get_name (g_ptr_array_index (namespaces, 4)), ==, "n5");
  g_assert_cmpstr (LOG (mock, 0), ==,
                   "GET /arm/subscriptions/sub-1/providers/Microsoft.DeviceRegistry/namespaces" V);
  g_assert_cmpuint (mock->log->len, ==, 3);

  /* Devices come one page per call. */
  cb_adr_client_list_devices_page_async (mock->client, NULL, NULL, cb_test_store_result_cb, &page1);
  devices = cb_adr_client_list_devices_page_finish (mock->client, wait_result (&page1), &next,
                                                    &error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, 2);
  g_assert_nonnull (next);
  g_assert_cmpstr (LOG (mock, 3), ==, "GET " P "/devices" V);
  g_clear_pointer (&devices, g_ptr_array_unref);

  cb_adr_client_list_devices_page_async (mock->client, next, NULL, cb_test_store_result_cb, &page2);
  g_clear_pointer (&next, g_free);
  devices = cb_adr_client_list_devices_page_finish (mock->client, wait_result (&page2), &next,
                                                    &error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, 2);
  g_assert_true (CB_IS_ADR_DEVICE (g_ptr_array_index (devices, 0)));
  g_assert_nonnull (next);
  g_assert_cmpuint (mock->log->len, ==, 5);
}

static void
test_mock_foreign_next_link (void)
{
  g_autoptr(Mock) mock = mock_new (paging_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GPtrArray) namespaces = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;

  /* Same host, another port: not the ARM endpoint, so the token must not go there. */
  mock->data = (gpointer) "http://127.0.0.1:1";
  cb_adr_client_list_namespaces_async (mock->client, NULL, cb_test_store_result_cb, &result);
  namespaces = cb_adr_client_list_namespaces_finish (mock->client, wait_result (&result), &error);
  g_assert_null (namespaces);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
  g_assert_cmpuint (mock->log->len, ==, 1);
  g_clear_error (&error);

  cb_adr_client_list_devices_page_async (mock->client, "https://evil.example/arm/devices?x=1",
                                         NULL, cb_test_store_result_cb, &result2);
  devices = cb_adr_client_list_devices_page_finish (mock->client, wait_result (&result2), NULL,
                                                    &error);
  g_assert_null (devices);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
  g_assert_cmpuint (mock->log->len, ==, 1);
}

/* -------------------------------------------------------------------------------------------- */
/* Errors, hub certificates, activity log, tokens                                               */

static void
error_handler (Mock              *mock,
               SoupServerMessage *msg,
               const char        *method,
               const char        *path,
               const char        *query)
{
  if (g_str_equal (method, "PATCH"))
    mock_reply (msg, 400, "{\"error\": {\"code\": \"InvalidRequestContent\", \"message\": "
                "\"validityPeriodInDays must be between 7 and 90\", \"target\": "
                "\"properties.certificate\"}}",
                NULL);
  else
    mock_reply (msg, 404, "{\"error\": {\"code\": \"ResourceNotFound\", \"message\": \"No such "
                          "device\"}}",
                NULL);
}

static void
test_mock_arm_errors (void)
{
  g_autoptr(Mock) mock = mock_new (error_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(CbAdrDevice) device = NULL;
  g_autoptr(GError) error = NULL;

  cb_adr_client_update_policy_validity_async (mock->client, "p1", 5, NULL, cb_test_store_result_cb,
                                              &result);
  policy = cb_adr_client_update_policy_validity_finish (mock->client, wait_result (&result),
                                                        &error);
  g_assert_null (policy);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "InvalidRequestContent");
  g_assert_cmpuint (cb_api_error_get_http_status (error), ==, 400);
  g_assert_cmpstr (LOG (mock, 0), ==, "PATCH " P "/credentials/default/policies/p1" V);
  assert_json_equal (BODY (mock, 0),
                     "{\"properties\": {\"certificate\": {\"leafCertificateConfiguration\": "
                     "{\"validityPeriodInDays\": 5}}}}");
  g_clear_error (&error);

  cb_adr_client_get_device_async (mock->client, "ghost", NULL, cb_test_store_result_cb, &result2);
  device = cb_adr_client_get_device_finish (mock->client, wait_result (&result2), &error);
  g_assert_null (device);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "ResourceNotFound");
}

static void
misc_handler (Mock              *mock,
              SoupServerMessage *msg,
              const char        *method,
              const char        *path,
              const char        *query)
{
  if (g_str_equal (method, "DELETE"))
    mock_reply (msg, 200, NULL, NULL);
  else if (strstr (path, "/certificates"))
    mock_reply (msg, 200,
                "{\"value\": [{\"name\": \"default\", \"etag\": \"AAAA\", \"properties\": "
                          "{"
                "\"subject\": \"CN=x\", \"expiry\": \"Sat, 31 Dec 2039 23:59:59 GMT\", "
                "\"isVerified\": true,"
                "\"policyResourceId\": \"/subscriptions/sub-1/x/policies/default\"}}]}", NULL);
  else if (strstr (path, "eventtypes"))
    mock_reply (msg, 200, "{\"value\": [{\"eventTimestamp\": \"2026-01-01T10:00:00Z\","
                "\"operationName\": {\"value\": \"Microsoft.DeviceRegistry/namespaces/write\"},"
                "\"status\": {\"value\": \"Succeeded\"}, \"caller\": \"a@b\"}]}", NULL);
  else if (strstr (path, "/devices/"))
    mock_reply (msg, 200, "{\"name\": \"d1\", \"properties\": {\"enabled\": false}}", NULL);
  else
    mock_reply (msg, 500, NULL, NULL);
}

static void
test_mock_hub_certificates (void)
{
  g_autoptr(Mock) mock = mock_new (misc_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;

  cb_adr_client_list_hub_certificates_async (mock->client, NULL, cb_test_store_result_cb, &result);
  certs = cb_adr_client_list_hub_certificates_finish (mock->client, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (certs->len, ==, 1);
  g_assert_cmpstr (cb_hub_certificate_get_policy_name (g_ptr_array_index (certs, 0)), ==,
                   "default");
  g_assert_cmpstr (LOG (mock, 0), ==,
                   "GET /arm/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Devices"
                   "/IotHubs/hub-1/certificates?api-version=2025-08-01-preview");

  cb_adr_client_delete_hub_certificate_async (mock->client, "default", "AAAA", NULL,
                                              cb_test_store_result_cb, &result2);
  g_assert_true (cb_adr_client_delete_hub_certificate_finish (mock->client, wait_result (&result2),
                                                              &error));
  g_assert_no_error (error);
  g_assert_cmpstr (LOG (mock, 1), ==,
                   "DELETE /arm/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Devices"
                   "/IotHubs/hub-1/certificates/default?api-version=2025-08-01-preview");
  g_assert_cmpstr (g_ptr_array_index (mock->if_match, 1), ==, "AAAA");
}

static void
test_mock_activity (void)
{
  g_autoptr(Mock) mock = mock_new (misc_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) error = NULL;
  const char *log;

  cb_adr_client_list_activity_async (mock->client, 1767261600, 1767265200,
                                     "/subscriptions/sub-1/x", NULL, cb_test_store_result_cb, &result);
  events = cb_adr_client_list_activity_finish (mock->client, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (cb_activity_event_get_caller (g_ptr_array_index (events, 0)), ==, "a@b");

  log = LOG (mock, 0);
  g_assert_true (g_str_has_prefix (log, "GET /arm/subscriptions/sub-1/providers/Microsoft.Insights"
                                        "/eventtypes/management/values?"));
  params = g_uri_parse_params (strchr (log, '?') + 1, -1, "&", G_URI_PARAMS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (params, "api-version"), ==, "2015-04-01");
  g_assert_cmpstr (g_hash_table_lookup (params, "$filter"), ==,
                   "eventTimestamp ge '2026-01-01T10:00:00Z' and eventTimestamp le "
                   "'2026-01-01T11:00:00Z' and resourceUri eq '/subscriptions/sub-1/x'");
}

static void
test_mock_escaping (void)
{
  g_autoptr(Mock) mock = mock_new (misc_handler);
  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *policy_id = NULL;

  url = cb_adr_client_dup_namespace_url (mock->client, "a/b c?d");
  expected = g_strconcat (mock->base, "/arm/subscriptions/sub-1/resourceGroups/rg-1/providers"
                          "/Microsoft.DeviceRegistry/namespaces/a%2Fb%20c%3Fd" V, NULL);
  g_assert_cmpstr (url, ==, expected);

  g_clear_pointer (&url, g_free);
  g_clear_pointer (&expected, g_free);
  url = cb_adr_client_dup_namespace_url (mock->client, NULL);
  expected = g_strconcat (mock->base, P V, NULL);
  g_assert_cmpstr (url, ==, expected);

  cb_adr_client_set_namespace (mock->client, "other");
  policy_id = cb_adr_client_dup_policy_id (mock->client, "p1");
  g_assert_cmpstr (policy_id, ==, "/subscriptions/sub-1/resourceGroups/rg-1/providers"
                   "/Microsoft.DeviceRegistry/namespaces/other/credentials/default/policies/p1");
}

static void
token_func (const char         *scope,
            GCancellable       *cancellable,
            GAsyncReadyCallback callback,
            gpointer            callback_data,
            gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, callback_data);
  guint *calls = user_data;

  (*calls)++;
  g_assert_cmpstr (scope, ==, "https://management.azure.com/.default");
  g_task_return_pointer (task, g_strdup ("from-func-token-abcdef"), g_free);
}

static char *
token_finish (GAsyncResult  *result,
              GError       **error,
              gpointer       user_data)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_mock_tokens (void)
{
  g_autoptr(Mock) mock = mock_new (misc_handler);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(CbAdrDevice) device = NULL;
  g_autoptr(GError) error = NULL;
  guint calls = 0;

  /* Without any token source nothing is sent. */
  cb_adr_client_set_access_token (mock->client, NULL);
  cb_adr_client_get_device_async (mock->client, "d1", NULL, cb_test_store_result_cb, &result);
  device = cb_adr_client_get_device_finish (mock->client, wait_result (&result), &error);
  g_assert_null (device);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (mock->log->len, ==, 0);
  g_clear_error (&error);

  cb_adr_client_set_token_func (mock->client, token_func, token_finish, &calls, NULL);
  cb_adr_client_update_device_enabled_async (mock->client, "d1", FALSE, NULL,
                                             cb_test_store_result_cb, &result2);
  device = cb_adr_client_update_device_enabled_finish (mock->client, wait_result (&result2),
                                                       &error);
  g_assert_no_error (error);
  g_assert_false (cb_adr_device_get_enabled (device));
  g_assert_cmpuint (calls, ==, 1);
  g_assert_cmpstr (LOG (mock, 0), ==, "PATCH " P "/devices/d1" V);
  assert_json_equal (BODY (mock, 0), "{\"properties\": {\"enabled\": false}}");
  g_assert_cmpstr (g_ptr_array_index (mock->authorizations, 0), ==,
                   "Bearer from-func-token-abcdef");
}

/* -------------------------------------------------------------------------------------------- */
/* Part 2: against the real sandbox (TLS, RBAC, LROs, paging, faults, activity log)            */

#define DEMO_SUB   "cb000000-0000-4000-8000-000000000001"
#define DEMO_RG    "certbench-demo"
#define DEMO_NS    "demo-ns"
#define DEMO_HUB   "demo-hub"
/* The demo seed's subscription, group and location; the tests create their own namespaces. */
#define DEMO_LOC   "westeurope"
#define NS_ID      "/subscriptions/" DEMO_SUB "/resourceGroups/" DEMO_RG \
                   "/providers/Microsoft.DeviceRegistry/namespaces/"

typedef struct
{
  CbTestSandbox *ts;
  CbProfile     *profile;
  CbHttpClient  *http;
  CbAdrClient   *client;
  char          *token;
} Env;

static GAsyncResult *result_slot;

/* Pass begin() as user_data of an async call, then await() for its result (borrowed). */
static gpointer
begin (void)
{
  g_clear_object (&result_slot);
  return &result_slot;
}

static GAsyncResult *
await (void)
{
  return wait_result (&result_slot);
}

static char *
token_for (CbTestSandbox *ts,
           const char    *principal,
           const char    *role,
           const char    *scope)
{
  g_autofree char *bearer = cb_test_sandbox_token (ts, principal, role, scope, CB_SB_AUD_ARM);

  g_assert_true (g_str_has_prefix (bearer, "Bearer "));
  return g_strdup (bearer + strlen ("Bearer "));
}

/* A fresh sandbox (no demo seed: each test builds what it needs) and a client signed in as
 * an Owner of the subscription. */
static Env *
env_new (void)
{
  Env *env = g_new0 (Env, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *arm = NULL;

  env->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);

  arm = g_strconcat (cb_sandbox_get_base_url (env->ts->sandbox), "/arm", NULL);
  env->profile = cb_profile_new ("sandbox", "Sandbox", CB_PROFILE_KIND_SANDBOX);
  cb_profile_set_arm_endpoint (env->profile, arm);
  cb_profile_set_subscription_id (env->profile, DEMO_SUB);
  cb_profile_set_resource_group (env->profile, DEMO_RG);
  cb_profile_set_namespace (env->profile, DEMO_NS);
  cb_profile_set_location (env->profile, DEMO_LOC);
  cb_profile_set_hub_name (env->profile, DEMO_HUB);
  cb_profile_set_pinned_ca_file (env->profile, cb_sandbox_get_ca_file (env->ts->sandbox));

  env->http = cb_http_client_new (env->profile, &error);
  g_assert_no_error (error);
  cb_http_client_set_max_delay (env->http, 2);

  env->token = token_for (env->ts, "adr-owner@sandbox.test", "Owner", "/subscriptions/" DEMO_SUB);
  env->client = cb_adr_client_new (env->profile, env->http);
  cb_adr_client_set_access_token (env->client, env->token);
  cb_adr_client_set_max_poll_delay_ms (env->client, 50);
  cb_adr_client_set_operation_timeout (env->client, 30);

  return env;
}

static void
env_free (Env *env)
{
  g_clear_object (&result_slot);
  g_clear_object (&env->client);
  g_clear_object (&env->http);
  g_clear_object (&env->profile);
  g_clear_pointer (&env->ts, cb_test_sandbox_free);
  g_free (env->token);
  g_free (env);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Env, env_free)

/* Creates namespace ns with its credential and makes it the client's namespace. */
static void
env_lab_namespace (Env        *env,
                   const char *ns)
{
  g_autoptr(CbNamespace) created = NULL;
  g_autoptr(GError) error = NULL;

  cb_adr_client_create_namespace_async (env->client, ns, NULL, NULL, cb_test_store_result_cb, begin ());
  created = cb_adr_client_create_namespace_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_namespace_get_name (created), ==, ns);
  g_assert_cmpstr (cb_namespace_get_provisioning_state (created), ==, "Succeeded");
  g_assert_cmpstr (cb_namespace_get_location (created), ==, DEMO_LOC);

  cb_adr_client_set_namespace (env->client, ns);
  cb_adr_client_create_credential_async (env->client, NULL, NULL, cb_test_store_result_cb, begin ());
  g_assert_true (cb_adr_client_create_credential_finish (env->client, await (), &error));
  g_assert_no_error (error);
}

static gboolean
has_event (GPtrArray  *events,
           const char *operation_suffix,
           const char *status,
           guint       http_status)
{
  for (guint i = 0; i < events->len; i++)
    {
      CbActivityEvent *event = g_ptr_array_index (events, i);

      if (g_str_has_suffix (cb_activity_event_get_operation_name (event), operation_suffix) &&
          (status == NULL || g_strcmp0 (cb_activity_event_get_status (event), status) == 0) &&
          (http_status == 0 || cb_activity_event_get_http_status (event) == http_status))
        return TRUE;
    }

  return FALSE;
}

static void
test_sandbox_fleet (void)
{
  g_autoptr(Env) env = env_new ();
  g_autoptr(GPtrArray) namespaces = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(CbNamespace) ns = NULL;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(CbAdrDevice) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  g_autofree char *bearer = g_strconcat ("Bearer ", env->token, NULL);
  gboolean found = FALSE;
  guint pages = 0;

  env_lab_namespace (env, "fleet-ns");
  cb_adr_client_create_policy_async (env->client, "fleet", 30, FALSE, NULL, cb_test_store_result_cb,
                                     begin ());
  policy = cb_adr_client_create_policy_finish (env->client, await (), &error);
  g_assert_no_error (error);

  /* A hub linked to the namespace, and ten devices under the policy. */
  cb_sb_lock (env->ts->sandbox);
  cb_sb_create_hub (env->ts->sandbox, DEMO_SUB, DEMO_RG, "fleet-hub", NS_ID "fleet-ns",
                    &error);
  cb_sb_unlock (env->ts->sandbox);
  g_assert_no_error (error);
  cb_profile_set_hub_name (env->profile, "fleet-hub");

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *path = g_strdup_printf ("/arm" NS_ID "fleet-ns/devices/fleet-%04u"
                                               "?api-version=2026-03-01-preview", i);
      g_autofree char *body = g_strdup_printf ("{\"location\": \"" DEMO_LOC "\", \"properties\": "
                                               "{\"enabled\": true, \"policy\": {\"resourceId\": "
                                               "\"%s\"}}}",
                                               cb_policy_get_id (policy));
      guint status = cb_test_sandbox_request (env->ts, "PUT", path, bearer, NULL, body, NULL, NULL);

      g_assert_true (status == 200 || status == 201);
    }

  cb_adr_client_list_namespaces_async (env->client, NULL, cb_test_store_result_cb, begin ());
  namespaces = cb_adr_client_list_namespaces_finish (env->client, await (), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < namespaces->len; i++)
    found |= g_str_equal (cb_namespace_get_name (g_ptr_array_index (namespaces, i)), "fleet-ns");
  g_assert_true (found);

  cb_adr_client_get_namespace_async (env->client, NULL, NULL, cb_test_store_result_cb, begin ());
  ns = cb_adr_client_get_namespace_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_namespace_get_id (ns), ==, NS_ID "fleet-ns");
  g_assert_cmpstr (cb_namespace_get_resource_group (ns), ==, DEMO_RG);
  g_assert_nonnull (cb_namespace_get_uuid (ns));

  /* The test sandbox pages by 3: walk the fleet one page at a time. */
  do
    {
      g_autoptr(GPtrArray) page = NULL;
      g_autofree char *link = g_steal_pointer (&next);

      cb_adr_client_list_devices_page_async (env->client, link, NULL, cb_test_store_result_cb, begin ());
      page = cb_adr_client_list_devices_page_finish (env->client, await (), &next, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (page->len, <=, 3);
      g_assert_true (next == NULL || page->len == 3);
      pages++;
      for (guint i = 0; i < page->len; i++)
        {
          CbAdrDevice *item = g_ptr_array_index (page, i);

          g_assert_true (g_hash_table_add (seen, g_strdup (cb_adr_device_get_name (item))));
        }
    }
  while (next != NULL);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 10);
  g_assert_cmpuint (pages, ==, 4);
  g_assert_true (g_hash_table_contains (seen, "fleet-0009"));

  cb_adr_client_get_device_async (env->client, "fleet-0001", NULL, cb_test_store_result_cb, begin ());
  device = cb_adr_client_get_device_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_true (cb_adr_device_get_enabled (device));
  g_assert_cmpstr (cb_adr_device_get_policy_name (device), ==, "fleet");
  g_assert_nonnull (cb_adr_device_get_etag (device));
  g_clear_object (&device);

  cb_adr_client_update_device_enabled_async (env->client, "fleet-0001", FALSE, NULL,
                                             cb_test_store_result_cb, begin ());
  device = cb_adr_client_update_device_enabled_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_false (cb_adr_device_get_enabled (device));
  g_clear_object (&device);

  cb_adr_client_get_device_async (env->client, "fleet-0001", NULL, cb_test_store_result_cb, begin ());
  device = cb_adr_client_get_device_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_false (cb_adr_device_get_enabled (device));
  g_clear_object (&device);

  /* Revoke without disabling leaves the device enabled; with disable it is disabled. */
  cb_adr_client_revoke_device_async (env->client, "fleet-0002", FALSE, NULL, cb_test_store_result_cb,
                                     begin ());
  g_assert_true (cb_adr_client_revoke_device_finish (env->client, await (), &error));
  g_assert_no_error (error);
  cb_adr_client_get_device_async (env->client, "fleet-0002", NULL, cb_test_store_result_cb, begin ());
  device = cb_adr_client_get_device_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_true (cb_adr_device_get_enabled (device));
  g_clear_object (&device);

  cb_adr_client_revoke_device_async (env->client, "fleet-0003", TRUE, NULL, cb_test_store_result_cb,
                                     begin ());
  g_assert_true (cb_adr_client_revoke_device_finish (env->client, await (), &error));
  g_assert_no_error (error);
  cb_adr_client_get_device_async (env->client, "fleet-0003", NULL, cb_test_store_result_cb, begin ());
  device = cb_adr_client_get_device_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_false (cb_adr_device_get_enabled (device));
  g_clear_object (&device);

  cb_adr_client_revoke_device_async (env->client, "no-such-device", TRUE, NULL,
                                     cb_test_store_result_cb, begin ());
  g_assert_false (cb_adr_client_revoke_device_finish (env->client, await (), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_clear_error (&error);

  cb_adr_client_delete_device_async (env->client, "fleet-0009", NULL, cb_test_store_result_cb, begin ());
  g_assert_true (cb_adr_client_delete_device_finish (env->client, await (), &error));
  g_assert_no_error (error);
  cb_adr_client_get_device_async (env->client, "fleet-0009", NULL, cb_test_store_result_cb, begin ());
  g_assert_null (cb_adr_client_get_device_finish (env->client, await (), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* BYOR activation on a policy under the namespace's own root is refused. */
  cb_adr_client_activate_byor_async (env->client, "fleet",
                                     "-----BEGIN CERTIFICATE-----\nMIIB\n-----END "
                                     "CERTIFICATE-----\n",
                                     NULL, cb_test_store_result_cb, begin ());
  g_assert_false (cb_adr_client_activate_byor_finish (env->client, await (), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  /* After a sync the hub holds the policy's issuing CA, pointing back at the policy. */
  cb_adr_client_synchronize_credential_async (env->client, NULL, cb_test_store_result_cb, begin ());
  g_assert_true (cb_adr_client_synchronize_credential_finish (env->client, await (), &error));
  g_assert_no_error (error);
  cb_adr_client_list_hub_certificates_async (env->client, NULL, cb_test_store_result_cb, begin ());
  certs = cb_adr_client_list_hub_certificates_finish (env->client, await (), &error);
  g_assert_no_error (error);
  found = FALSE;
  for (guint i = 0; i < certs->len; i++)
    {
      CbHubCertificate *cert = g_ptr_array_index (certs, i);

      if (g_strcmp0 (cb_hub_certificate_get_policy_resource_id (cert),
                     cb_policy_get_id (policy)) == 0)
        {
          found = TRUE;
          g_assert_cmpstr (cb_hub_certificate_get_subject (cert), ==,
                           cb_policy_get_ca_subject (policy));
          g_assert_cmpint (cb_hub_certificate_get_expiry (cert), >,
                           g_get_real_time () / G_USEC_PER_SEC);
          g_assert_nonnull (cb_hub_certificate_get_etag (cert));
          g_assert_nonnull (cb_hub_certificate_get_certificate (cert));

          /* A stale etag is refused; the current one deletes it. */
          cb_adr_client_delete_hub_certificate_async (env->client,
                                                      cb_hub_certificate_get_name (cert),
                                                      "\"stale\"", NULL, cb_test_store_result_cb, begin ());
          g_assert_false (cb_adr_client_delete_hub_certificate_finish (env->client, await (),
                                                                       &error));
          g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PRECONDITION_FAILED);
          g_clear_error (&error);
          cb_adr_client_delete_hub_certificate_async (env->client,
                                                      cb_hub_certificate_get_name (cert),
                                                      cb_hub_certificate_get_etag (cert), NULL,
                                                      cb_test_store_result_cb, begin ());
          g_assert_true (cb_adr_client_delete_hub_certificate_finish (env->client, await (),
                                                                      &error));
          g_assert_no_error (error);
        }
    }
  g_assert_true (found);
}

static void
test_sandbox_policy_lifecycle (void)
{
  g_autoptr(Env) env = env_new ();
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(CbPolicy) updated = NULL;
  g_autoptr(CbPolicy) rotated = NULL;
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *policy_id = NULL;
  gint64 start = g_get_real_time () / G_USEC_PER_SEC;

  env_lab_namespace (env, "lab-ns");

  cb_adr_client_get_credential_async (env->client, NULL, cb_test_store_result_cb, begin ());
  state = cb_adr_client_get_credential_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (state, ==, "Succeeded");

  /* 5 days is outside 7..90: the service's 400 with its ARM code. */
  cb_adr_client_create_policy_async (env->client, "short", 5, FALSE, NULL, cb_test_store_result_cb,
                                     begin ());
  policy = cb_adr_client_create_policy_finish (env->client, await (), &error);
  g_assert_null (policy);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_assert_cmpuint (cb_api_error_get_http_status (error), ==, 400);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "InvalidRequestContent");
  g_assert_nonnull (strstr (error->message, "validityPeriodInDays"));
  g_clear_error (&error);

  /* Created through 201 + Azure-AsyncOperation polling and the final GET. */
  cb_adr_client_create_policy_async (env->client, "line1", 14, FALSE, NULL, cb_test_store_result_cb,
                                     begin ());
  policy = cb_adr_client_create_policy_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_policy_get_name (policy), ==, "line1");
  g_assert_cmpstr (cb_policy_get_namespace (policy), ==, "lab-ns");
  g_assert_cmpstr (cb_policy_get_provisioning_state (policy), ==, "Succeeded");
  g_assert_cmpstr (cb_policy_get_key_type (policy), ==, "ECC");
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 14);
  g_assert_false (cb_policy_get_byor_enabled (policy));
  g_assert_true (g_str_has_prefix (cb_policy_get_ca_subject (policy), "CN="));
  g_assert_cmpint (cb_policy_get_ca_not_after (policy), >, start);
  policy_id = g_strdup (cb_policy_get_id (policy));

  /* One policy per credential in this preview. */
  cb_adr_client_create_policy_async (env->client, "line2", 30, FALSE, NULL, cb_test_store_result_cb,
                                     begin ());
  g_assert_null (cb_adr_client_create_policy_finish (env->client, await (), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_CONFLICT);
  g_assert_cmpuint (cb_api_error_get_http_status (error), ==, 409);
  g_clear_error (&error);

  cb_adr_client_update_policy_validity_async (env->client, "line1", 60, NULL, cb_test_store_result_cb,
                                              begin ());
  updated = cb_adr_client_update_policy_validity_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_policy_get_validity_days (updated), ==, 60);

  /* The credential cannot go while a policy remains. */
  cb_adr_client_delete_credential_async (env->client, NULL, cb_test_store_result_cb, begin ());
  g_assert_false (cb_adr_client_delete_credential_finish (env->client, await (), &error));
  g_assert_true (g_error_matches (error, CB_API_ERROR, CB_API_ERROR_CONFLICT) ||
                 g_error_matches (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST));
  g_assert_nonnull (strstr (error->message, "line1"));
  g_clear_error (&error);

  /* revokeIssuer replaces the issuing CA. */
  cb_adr_client_revoke_issuer_async (env->client, "line1", NULL, cb_test_store_result_cb, begin ());
  g_assert_true (cb_adr_client_revoke_issuer_finish (env->client, await (), &error));
  g_assert_no_error (error);
  cb_adr_client_get_policy_async (env->client, "line1", NULL, cb_test_store_result_cb, begin ());
  rotated = cb_adr_client_get_policy_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_policy_get_ca_subject (rotated), !=, cb_policy_get_ca_subject (policy));

  /* An operation the sandbox is told to fail reports the service's error. */
  g_assert_cmpuint (cb_test_sandbox_request (env->ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "[{\"method\": \"POST\", \"path\": "
                                             "\"/arm/*/revokeIssuer\","
                                             " \"lro\": \"Failed\", \"count\": 1}]",
                                             NULL, NULL), ==, 200);
  cb_adr_client_revoke_issuer_async (env->client, "line1", NULL, cb_test_store_result_cb, begin ());
  g_assert_false (cb_adr_client_revoke_issuer_finish (env->client, await (), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_OPERATION_FAILED);
  g_assert_nonnull (cb_api_error_get_remote_code (error));
  g_clear_error (&error);

  cb_adr_client_delete_policy_async (env->client, "line1", NULL, cb_test_store_result_cb, begin ());
  g_assert_true (cb_adr_client_delete_policy_finish (env->client, await (), &error));
  g_assert_no_error (error);
  cb_adr_client_list_policies_async (env->client, NULL, cb_test_store_result_cb, begin ());
  policies = cb_adr_client_list_policies_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (policies->len, ==, 0);

  cb_adr_client_delete_credential_async (env->client, NULL, cb_test_store_result_cb, begin ());
  g_assert_true (cb_adr_client_delete_credential_finish (env->client, await (), &error));
  g_assert_no_error (error);
  g_clear_pointer (&state, g_free);
  cb_adr_client_get_credential_async (env->client, NULL, cb_test_store_result_cb, begin ());
  state = cb_adr_client_get_credential_finish (env->client, await (), &error);
  g_assert_null (state);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The activity log saw it all, for this policy. */
  cb_adr_client_list_activity_async (env->client, start - 60, start + 3600, policy_id, NULL,
                                     cb_test_store_result_cb, begin ());
  events = cb_adr_client_list_activity_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, >, 0);
  g_assert_true (has_event (events, "/policies/write", "Succeeded", 0));
  g_assert_true (has_event (events, "/revokeIssuer/action", "Succeeded", 0));
  g_assert_true (has_event (events, "/revokeIssuer/action", "Failed", 0));
  g_assert_true (has_event (events, "/policies/delete", NULL, 0));
  for (guint i = 0; i < events->len; i++)
    {
      CbActivityEvent *event = g_ptr_array_index (events, i);

      g_assert_cmpstr (cb_activity_event_get_resource_id (event), ==, policy_id);
      g_assert_cmpstr (cb_activity_event_get_caller (event), ==, "adr-owner@sandbox.test");
      g_assert_cmpint (cb_activity_event_get_time (event), >=, start - 60);
    }

  cb_adr_client_delete_namespace_async (env->client, "lab-ns", NULL, cb_test_store_result_cb, begin ());
  g_assert_true (cb_adr_client_delete_namespace_finish (env->client, await (), &error));
  g_assert_no_error (error);
}

/* A root the test owns (P-384, pathLen 1) signs the policy's CSR; the chain is issuing CA
 * first, then the root. */
static char *
make_byor_chain (const char *csr_pem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) root_key = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
  g_autoptr(GBytes) root_spki = NULL;
  g_autoptr(GBytes) root_der = NULL;
  g_autoptr(GBytes) ica_der = NULL;
  g_autoptr(GBytes) ica_spki = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(CbCertificate) root = NULL;
  g_autoptr(CbCertificate) ica = NULL;
  g_autofree char *root_pem = NULL;
  g_autofree char *ica_pem = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const guint usage = CB_KEY_USAGE_DIGITAL_SIGNATURE | CB_KEY_USAGE_KEY_CERT_SIGN |
                      CB_KEY_USAGE_CRL_SIGN;
  CbCertProfile root_profile = {
    .subject_dn = "CN=Certbench Test BYOR Root,O=Certbench Tests",
    .not_before = now - 3600,
    .not_after = now + 5 * 365 * 24 * 3600,
    .is_ca = TRUE,
    .path_len = 1,
    .key_usage = usage,
  };
  CbCertProfile ica_profile = {
    .not_before = now - 60,
    .not_after = now + 2 * 365 * 24 * 3600,
    .is_ca = TRUE,
    .path_len = 0,
    .key_usage = usage,
  };

  g_assert_no_error (error);
  root_spki = cb_key_get_public_key_der (root_key);
  root_der = cb_cert_issue (&root_profile, root_spki, root_key, NULL, &error);
  g_assert_no_error (error);

  csr = cb_csr_new_from_pem (csr_pem, -1, &error);
  g_assert_no_error (error);
  ica_profile.subject_dn = cb_csr_get_subject (csr);
  ica_spki = cb_csr_get_public_key_der (csr);
  ica_der = cb_cert_issue (&ica_profile, ica_spki, root_key, root_der, &error);
  g_assert_no_error (error);

  root = cb_certificate_new_from_der (root_der, &error);
  g_assert_no_error (error);
  ica = cb_certificate_new_from_der (ica_der, &error);
  g_assert_no_error (error);
  root_pem = cb_certificate_to_pem (root);
  ica_pem = cb_certificate_to_pem (ica);

  return g_strconcat (ica_pem, root_pem, NULL);
}

static void
test_sandbox_byor (void)
{
  g_autoptr(Env) env = env_new ();
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(CbPolicy) active = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *chain = NULL;

  env_lab_namespace (env, "byor-ns");

  cb_adr_client_create_policy_async (env->client, "external", 30, TRUE, NULL, cb_test_store_result_cb,
                                     begin ());
  policy = cb_adr_client_create_policy_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_true (cb_policy_get_byor_enabled (policy));
  g_assert_cmpstr (cb_policy_get_byor_status (policy), ==, CB_POLICY_BYOR_PENDING_ACTIVATION);
  g_assert_true (g_str_has_prefix (cb_policy_get_byor_csr (policy), "-----BEGIN CERTIFICATE "
                                                                    "REQUEST-----"));

  /* A chain that does not match the CSR is refused. */
  cb_adr_client_activate_byor_async (env->client, "external",
                                     "-----BEGIN CERTIFICATE-----\nMIIB\n-----END "
                                     "CERTIFICATE-----\n",
                                     NULL, cb_test_store_result_cb, begin ());
  g_assert_false (cb_adr_client_activate_byor_finish (env->client, await (), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  chain = make_byor_chain (cb_policy_get_byor_csr (policy));
  cb_adr_client_activate_byor_async (env->client, "external", chain, NULL, cb_test_store_result_cb,
                                     begin ());
  g_assert_true (cb_adr_client_activate_byor_finish (env->client, await (), &error));
  g_assert_no_error (error);

  cb_adr_client_get_policy_async (env->client, "external", NULL, cb_test_store_result_cb, begin ());
  active = cb_adr_client_get_policy_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_policy_get_byor_status (active), ==, CB_POLICY_BYOR_ACTIVE);
  g_assert_nonnull (cb_policy_get_byor_thumbprint (active));

  /* revokeIssuer does not apply to external roots. */
  cb_adr_client_revoke_issuer_async (env->client, "external", NULL, cb_test_store_result_cb, begin ());
  g_assert_false (cb_adr_client_revoke_issuer_finish (env->client, await (), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
}

static void
test_sandbox_forbidden_and_throttled (void)
{
  g_autoptr(Env) env = env_new ();
  g_autoptr(GPtrArray) namespaces = NULL;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reader = NULL;
  g_autofree char *owner = NULL;
  gint64 start;

  env_lab_namespace (env, "rbac-ns");

  reader = token_for (env->ts, "adr-reader@sandbox.test", "Reader", "/subscriptions/" DEMO_SUB);
  cb_adr_client_set_access_token (env->client, reader);

  /* Readers read... */
  cb_adr_client_list_namespaces_async (env->client, NULL, cb_test_store_result_cb, begin ());
  namespaces = cb_adr_client_list_namespaces_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (namespaces->len, >=, 1);

  /* ...and are told which role would let them write. */
  cb_adr_client_create_policy_async (env->client, "p1", 30, FALSE, NULL, cb_test_store_result_cb, begin ());
  policy = cb_adr_client_create_policy_finish (env->client, await (), &error);
  g_assert_null (policy);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_FORBIDDEN);
  g_assert_cmpuint (cb_api_error_get_http_status (error), ==, 403);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "AuthorizationFailed");
  g_assert_nonnull (strstr (error->message, "Azure Device Registry Credentials Contributor"));
  g_clear_error (&error);

  /* 429 twice with Retry-After, then the answer: the caller only sees the answer. */
  owner = token_for (env->ts, "adr-owner2@sandbox.test", "Owner", "/subscriptions/" DEMO_SUB);
  cb_adr_client_set_access_token (env->client, owner);
  g_assert_cmpuint (cb_test_sandbox_request (env->ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "[{\"method\": \"GET\", \"path\": "
                                             "\"/arm/subscriptions/*/namespaces\","
                                             " \"status\": 429, \"retryAfter\": 1, \"count\": 2}]",
                                             NULL, NULL), ==, 200);
  g_clear_pointer (&namespaces, g_ptr_array_unref);
  start = g_get_monotonic_time ();
  cb_adr_client_list_namespaces_async (env->client, NULL, cb_test_store_result_cb, begin ());
  namespaces = cb_adr_client_list_namespaces_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (namespaces->len, >=, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC - G_USEC_PER_SEC / 4);

  /* Past the attempts, the throttling reaches the caller with its hint. */
  g_assert_cmpuint (cb_test_sandbox_request (env->ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "[{\"method\": \"GET\", \"path\": "
                                             "\"/arm/subscriptions/*/namespaces\","
                                             " \"status\": 429, \"retryAfter\": 1}]",
                                             NULL, NULL), ==, 200);
  cb_http_client_set_max_attempts (env->http, 2);
  g_clear_pointer (&namespaces, g_ptr_array_unref);
  cb_adr_client_list_namespaces_async (env->client, NULL, cb_test_store_result_cb, begin ());
  namespaces = cb_adr_client_list_namespaces_finish (env->client, await (), &error);
  g_assert_null (namespaces);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_THROTTLED);
  g_assert_cmpuint (cb_api_error_get_retry_after (error), ==, 1);
}

/* Signed in through Entra: when the service refuses a token our clock still calls valid (two
 * hours on by the service's clock), the client gets a new one and sends again, once. */
static void
test_entra_token_refused (void)
{
  g_autoptr(Env) env = env_new ();
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbSecrets) secrets = cb_secrets_new_memory ();
  g_autoptr(CbEntraClient) entra = NULL;
  g_autoptr(CbEntraDeviceCode) code = NULL;
  g_autoptr(GPtrArray) namespaces = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *unused = token_for (env->ts, "adr-entra@sandbox.test", "Owner",
                                      "/subscriptions/" DEMO_SUB);

  cb_sb_lock (env->ts->sandbox);
  g_assert_true (cb_sb_set_meta (env->ts->sandbox, "default_principal", "adr-entra@sandbox.test"));
  profile = cb_sandbox_create_profile (env->ts->sandbox);
  cb_sb_unlock (env->ts->sandbox);
  cb_profile_set_client_id (profile, "certbench-tests");
  entra = cb_entra_client_new (profile, env->http, secrets);

  cb_entra_client_begin_sign_in_async (entra, NULL, cb_test_store_result_cb, begin ());
  code = cb_entra_client_begin_sign_in_finish (entra, await (), &error);
  g_assert_no_error (error);
  cb_entra_client_complete_sign_in_async (entra, code, NULL, cb_test_store_result_cb, begin ());
  g_assert_true (cb_entra_client_complete_sign_in_finish (entra, await (), &error));
  g_assert_no_error (error);

  cb_adr_client_set_access_token (env->client, NULL);
  cb_adr_client_set_entra_client (env->client, entra);
  cb_adr_client_list_namespaces_async (env->client, NULL, cb_test_store_result_cb, begin ());
  namespaces = cb_adr_client_list_namespaces_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_clear_pointer (&namespaces, g_ptr_array_unref);

  g_assert_cmpuint (cb_test_sandbox_request (env->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 7200}", NULL, NULL), ==, 200);
  cb_adr_client_list_namespaces_async (env->client, NULL, cb_test_store_result_cb, begin ());
  namespaces = cb_adr_client_list_namespaces_finish (env->client, await (), &error);
  g_assert_no_error (error);
  g_assert_nonnull (namespaces);
  cb_adr_client_set_entra_client (env->client, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/client-adr/entra-token-refused", test_entra_token_refused);
  g_test_add_func ("/cb/client-adr/mock/put-async-operation", test_mock_put_async_operation);
  g_test_add_func ("/cb/client-adr/mock/operation-failed", test_mock_operation_failed);
  g_test_add_func ("/cb/client-adr/mock/revoke", test_mock_revoke);
  g_test_add_func ("/cb/client-adr/mock/cancel", test_mock_cancel);
  g_test_add_func ("/cb/client-adr/mock/timeout", test_mock_timeout);
  g_test_add_func ("/cb/client-adr/mock/paging", test_mock_paging);
  g_test_add_func ("/cb/client-adr/mock/foreign-next-link", test_mock_foreign_next_link);
  g_test_add_func ("/cb/client-adr/mock/arm-errors", test_mock_arm_errors);
  g_test_add_func ("/cb/client-adr/mock/hub-certificates", test_mock_hub_certificates);
  g_test_add_func ("/cb/client-adr/mock/activity", test_mock_activity);
  g_test_add_func ("/cb/client-adr/mock/tokens", test_mock_tokens);
  g_test_add_func ("/cb/client-adr/mock/escaping", test_mock_escaping);
  g_test_add_func ("/cb/client-adr/sandbox/fleet", test_sandbox_fleet);
  g_test_add_func ("/cb/client-adr/sandbox/policy-lifecycle", test_sandbox_policy_lifecycle);
  g_test_add_func ("/cb/client-adr/sandbox/byor", test_sandbox_byor);
  g_test_add_func ("/cb/client-adr/sandbox/forbidden-and-throttled",
                   test_sandbox_forbidden_and_throttled);

  return g_test_run ();
}
