/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-error.h"
#include "cb-dps-client.h"
#include "cb-http-parse.h"
#include "cb-hub-client.h"

static GBytes *
bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static SoupMessageHeaders *
headers_new (const char *first_name,
             ...)
{
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  const char *name = first_name;
  va_list args;

  va_start (args, first_name);
  while (name != NULL)
    {
      soup_message_headers_append (headers, name, va_arg (args, const char *));
      name = va_arg (args, const char *);
    }
  va_end (args);

  return headers;
}

static void
test_arm_not_found (void)
{
  g_autoptr(GBytes) body = bytes ("{\"error\": {\"code\": \"ResourceNotFound\", "
                                  "\"message\": \"The Resource 'ns1' was not found.\", "
                                  "\"target\": \"namespaces/ns1\", \"details\": []}}");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_ARM, 404, NULL, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "ResourceNotFound: The Resource 'ns1' was not found.");
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "ResourceNotFound");
  g_assert_cmpstr (cb_api_error_get_target (error), ==, "namespaces/ns1");
  g_assert_cmpuint (cb_api_error_get_http_status (error), ==, 404);
  g_assert_cmpuint (cb_api_error_get_retry_after (error), ==, 0);
}

static void
test_arm_throttled (void)
{
  g_autoptr(SoupMessageHeaders) headers = headers_new ("Retry-After", "17", NULL);
  g_autoptr(GBytes) body = bytes ("{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"Slow down.\"}}");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_ARM, 429, headers, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_THROTTLED);
  g_assert_cmpuint (cb_api_error_get_retry_after (error), ==, 17);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "TooManyRequests");
  g_assert_null (cb_api_error_get_target (error));
}

static void
test_arm_conflict_without_message (void)
{
  g_autoptr(GBytes) body = bytes ("{\"error\":{\"code\":\"Conflict\"}}");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_ARM, 409, NULL, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "Conflict (HTTP 409 Conflict)");
}

static void
test_dps_body_code (void)
{
  g_autoptr(GBytes) body = bytes ("{\"errorCode\":401002,\"trackingId\":\"8ad0463c-1\","
                                  "\"message\":\"Invalid certificate.\","
                                  "\"timestampUtc\":\"2020-04-10T05:24:22.4718526Z\"}");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_DPS, 401, NULL, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "401002");
  g_assert_cmpstr (error->message, ==, "401002: Invalid certificate. (tracking ID 8ad0463c-1)");
}

static void
test_dps_header_code (void)
{
  g_autoptr(SoupMessageHeaders) headers = headers_new ("x-ms-error-code", "400004", NULL);
  g_autoptr(GBytes) body = bytes ("{\"message\":\"CSR common name does not match\"}");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_DPS, 400, headers, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "400004");
  g_assert_cmpstr (error->message, ==, "400004: CSR common name does not match");
}

static void
test_dps_throttled_body_retry (void)
{
  g_autoptr(GBytes) body = bytes ("{\"errorCode\":429001,\"message\":\"Throttled\",\"retryAfter\":5}");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_DPS, 429, NULL, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_THROTTLED);
  g_assert_cmpuint (cb_api_error_get_retry_after (error), ==, 5);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "429001");
}

static void
test_hub_message (void)
{
  g_autoptr(SoupMessageHeaders) headers = headers_new ("iothub-errorcode", "DeviceNotFound", NULL);
  g_autoptr(GBytes) body = bytes ("{\"Message\":\"ErrorCode:DeviceNotFound;Device bench-1 not found\","
                                  "\"ExceptionMessage\":\"Tracking ID:abc-G:0-TimeStamp:x\"}");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_HUB, 404, headers, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "DeviceNotFound");
  g_assert_cmpstr (error->message, ==, "DeviceNotFound: Device bench-1 not found");
}

static void
test_hub_header_wins (void)
{
  g_autoptr(SoupMessageHeaders) headers = headers_new ("iothub-errorcode", "PreconditionFailed", NULL);
  g_autoptr(GBytes) body = bytes ("{\"message\":\"ErrorCode:412;Etag mismatch\"}");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_HUB, 412, headers, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PRECONDITION_FAILED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "PreconditionFailed");
  g_assert_cmpstr (error->message, ==, "PreconditionFailed: Etag mismatch");
}

static void
test_hub_plain_message (void)
{
  g_autoptr(GBytes) body = bytes ("{\"Message\":\"Unauthorized\"}");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_HUB, 401, NULL, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_assert_null (cb_api_error_get_remote_code (error));
  g_assert_cmpstr (error->message, ==, "Unauthorized");
}

static void
test_oauth_codes (void)
{
  static const struct {
    const char *code;
    CbApiError  expected;
  } cases[] = {
    { "authorization_pending", CB_API_ERROR_AUTHORIZATION_PENDING },
    { "slow_down", CB_API_ERROR_AUTHORIZATION_PENDING },
    { "authorization_declined", CB_API_ERROR_AUTHORIZATION_DECLINED },
    { "bad_verification_code", CB_API_ERROR_AUTHORIZATION_DECLINED },
    { "expired_token", CB_API_ERROR_EXPIRED },
    { "invalid_grant", CB_API_ERROR_UNAUTHORIZED },
    { "invalid_scope", CB_API_ERROR_BAD_REQUEST },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"error\":\"%s\",\"error_description\":"
                                               "\"AADSTS70016: something\",\"error_codes\":[70016]}",
                                               cases[i].code);
      g_autoptr(GBytes) body = bytes (json);
      g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_OAUTH, 400, NULL, body);
      g_autofree char *expected = g_strdup_printf ("%s: AADSTS70016: something", cases[i].code);

      g_assert_error (error, CB_API_ERROR, (gint) cases[i].expected);
      g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, cases[i].code);
      g_assert_cmpstr (error->message, ==, expected);
    }
}

static void
test_not_json (void)
{
  g_autoptr(GBytes) body = bytes ("<html><body>Bad gateway\r\n</body></html>");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_ARM, 502, NULL, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_SERVER);
  g_assert_null (cb_api_error_get_remote_code (error));
  g_assert_cmpstr (error->message, ==, "HTTP 502 Bad Gateway: <html><body>Bad gateway  </body></html>");
}

static void
test_empty_body (void)
{
  g_autoptr(GBytes) body = g_bytes_new (NULL, 0);
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_HUB, 503, NULL, body);
  g_autoptr(GError) error2 = cb_http_parse_error (CB_HTTP_STYLE_DPS, 403, NULL, NULL);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_SERVER);
  g_assert_cmpstr (error->message, ==, "HTTP 503 Service Unavailable");
  g_assert_error (error2, CB_API_ERROR, CB_API_ERROR_FORBIDDEN);
  g_assert_cmpuint (cb_api_error_get_http_status (error2), ==, 403);
}

static void
test_json_but_wrong_shape (void)
{
  /* An ARM-style body on a DPS endpoint: no structured code, but never a crash or empty text. */
  g_autoptr(GBytes) body = bytes ("[1,2,3]");
  g_autoptr(GError) error = cb_http_parse_error (CB_HTTP_STYLE_DPS, 400, NULL, body);

  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_assert_cmpstr (error->message, ==, "HTTP 400 Bad Request: [1,2,3]");
}

static void
test_retry_after (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 3, 1, 10, 0, 0);
  g_autoptr(SoupMessageHeaders) seconds = headers_new ("Retry-After", " 3 ", NULL);
  g_autoptr(SoupMessageHeaders) date = headers_new ("Retry-After", "Sun, 01 Mar 2026 10:00:42 GMT", NULL);
  g_autoptr(SoupMessageHeaders) past = headers_new ("Retry-After", "Sun, 01 Mar 2026 09:00:00 GMT", NULL);
  g_autoptr(SoupMessageHeaders) ms = headers_new ("retry-after-ms", "1500", NULL);
  g_autoptr(SoupMessageHeaders) junk = headers_new ("Retry-After", "soon", NULL);
  g_autoptr(JsonNode) number = json_from_string ("{\"retryAfter\": 9}", NULL);
  g_autoptr(JsonNode) string = json_from_string ("{\"retryAfter\": \"11\"}", NULL);
  g_autoptr(JsonNode) negative = json_from_string ("{\"retryAfter\": -4}", NULL);

  g_assert_cmpuint (cb_http_parse_retry_after (seconds, NULL, now), ==, 3);
  g_assert_cmpuint (cb_http_parse_retry_after (date, NULL, now), ==, 42);
  g_assert_cmpuint (cb_http_parse_retry_after (past, NULL, now), ==, 0);
  g_assert_cmpuint (cb_http_parse_retry_after (ms, NULL, now), ==, 2);
  g_assert_cmpuint (cb_http_parse_retry_after (junk, NULL, now), ==, 0);
  g_assert_cmpuint (cb_http_parse_retry_after (NULL, number, now), ==, 9);
  g_assert_cmpuint (cb_http_parse_retry_after (NULL, string, now), ==, 11);
  g_assert_cmpuint (cb_http_parse_retry_after (NULL, negative, now), ==, 0);
  g_assert_cmpuint (cb_http_parse_retry_after (NULL, NULL, now), ==, 0);
  /* The header wins over the body. */
  g_assert_cmpuint (cb_http_parse_retry_after (seconds, number, now), ==, 3);
}

static void
test_build_url (void)
{
  g_autofree char *plain = cb_http_build_url ("https://127.0.0.1:8443/dps/", "0ne00AB",
                                              "registrations", "bench-1", "register", NULL);
  g_autofree char *escaped = cb_http_build_url ("https://h.example", "devices", "a b/c?d#e", NULL);
  g_autofree char *bare = cb_http_build_url ("https://h.example", NULL);

  g_assert_cmpstr (plain, ==, "https://127.0.0.1:8443/dps/0ne00AB/registrations/bench-1/register");
  g_assert_cmpstr (escaped, ==, "https://h.example/devices/a%20b%2Fc%3Fd%23e");
  g_assert_cmpstr (bare, ==, "https://h.example");
}

/* Two tiny well-formed DER SEQUENCEs stand in for certificates: the parser checks framing,
 * X.509 parsing is cb-x509's job. 30 03 02 01 05 and 30 81 03 02 01 07 (long-form length). */
#define DER_A "MAMCAQU="
#define DER_B "MIEDAgEH"

static void
test_dps_assigned (void)
{
  g_autoptr(JsonNode) json = json_from_string (
    "{\"operationId\":\"5.316aac5bdc130deb.b1e0\",\"status\":\"assigned\","
    "\"registrationState\":{\"registrationId\":\"bench-000123\","
    "\"assignedHub\":\"myhub.azure-devices.net\",\"deviceId\":\"bench-000123\","
    "\"status\":\"assigned\",\"substatus\":\"initialAssignment\","
    "\"issuedCertificateChain\":[\"" DER_A "\",\"" DER_B "\","
    "\"-----BEGIN CERTIFICATE-----\\n" DER_A "\\n-----END CERTIFICATE-----\\n\"]}}", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = cb_dps_registration_new_from_json (json, &error);
  GPtrArray *chain;
  GBytes *first;

  g_assert_no_error (error);
  g_assert_nonnull (reg);
  g_assert_cmpstr (cb_dps_registration_get_status (reg), ==, "assigned");
  g_assert_cmpstr (cb_dps_registration_get_substatus (reg), ==, "initialAssignment");
  g_assert_cmpstr (cb_dps_registration_get_assigned_hub (reg), ==, "myhub.azure-devices.net");
  g_assert_cmpstr (cb_dps_registration_get_device_id (reg), ==, "bench-000123");
  g_assert_cmpstr (cb_dps_registration_get_registration_id (reg), ==, "bench-000123");
  g_assert_cmpstr (cb_dps_registration_get_operation_id (reg), ==, "5.316aac5bdc130deb.b1e0");

  chain = cb_dps_registration_get_issued_chain (reg);
  g_assert_cmpuint (chain->len, ==, 3);
  first = g_ptr_array_index (chain, 0);
  g_assert_cmpuint (g_bytes_get_size (first), ==, 5);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (chain, 1)), ==, 6);
  g_assert_true (g_bytes_equal (first, g_ptr_array_index (chain, 2)));
}

static void
test_dps_failed (void)
{
  g_autoptr(JsonNode) json = json_from_string (
    "{\"operationId\":\"op\",\"status\":\"failed\",\"registrationState\":{"
    "\"registrationId\":\"bench-1\",\"status\":\"failed\",\"errorCode\":400209,"
    "\"errorMessage\":\"CSR common name does not match the registration ID\"}}", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = cb_dps_registration_new_from_json (json, &error);

  g_assert_null (reg);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_OPERATION_FAILED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "400209");
  g_assert_cmpstr (error->message, ==, "400209: CSR common name does not match the registration ID");
}

static void
test_dps_assigning (void)
{
  g_autoptr(JsonNode) json = json_from_string ("{\"operationId\":\"op\",\"status\":\"assigning\"}", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = cb_dps_registration_new_from_json (json, &error);

  g_assert_null (reg);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_PENDING);
}

static void
test_dps_bad_chain (void)
{
  static const char * const bad[] = {
    "MAMCAQ==",          /* truncated: says 3 bytes, has 2 */
    "MAMCAQUA",          /* padded: one byte too many */
    "not base64 at all!",
    "-----BEGIN CERTIFICATE-----\\nMAMCAQU=\\n",  /* no END line */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf (
        "{\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"h\","
        "\"deviceId\":\"d\",\"issuedCertificateChain\":[\"" DER_A "\",\"%s\"]}}", bad[i]);
      g_autoptr(JsonNode) json = json_from_string (text, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(CbDpsRegistration) reg = NULL;

      g_assert_nonnull (json);
      reg = cb_dps_registration_new_from_json (json, &error);
      g_assert_null (reg);
      g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
      g_assert_nonnull (strstr (error->message, "Certificate 2"));
    }
}

static void
test_hub_query_page (void)
{
  g_autoptr(SoupMessageHeaders) headers = headers_new ("x-ms-continuation", "c2tpcD0z",
                                                       "x-ms-item-type", "Twin", NULL);
  g_autoptr(SoupMessageHeaders) last = headers_new ("x-ms-item-type", "raw", NULL);
  g_autoptr(JsonNode) array = json_from_string ("[{\"deviceId\":\"a\"},{\"deviceId\":\"b\"}]", NULL);
  g_autoptr(JsonNode) object = json_from_string ("{\"deviceId\":\"a\"}", NULL);
  g_autoptr(CbHubQueryPage) page = NULL;
  g_autoptr(CbHubQueryPage) last_page = NULL;
  g_autoptr(GError) error = NULL;

  page = cb_hub_query_page_new_from_response (array, headers, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (page->items), ==, 2);
  g_assert_cmpstr (page->continuation, ==, "c2tpcD0z");
  g_assert_cmpstr (page->item_type, ==, "twin");

  last_page = cb_hub_query_page_new_from_response (array, last, &error);
  g_assert_no_error (error);
  g_assert_null (last_page->continuation);
  g_assert_cmpstr (last_page->item_type, ==, "raw");

  g_assert_null (cb_hub_query_page_new_from_response (object, NULL, &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/http-parse/arm/not-found", test_arm_not_found);
  g_test_add_func ("/cb/http-parse/arm/throttled", test_arm_throttled);
  g_test_add_func ("/cb/http-parse/arm/conflict-without-message", test_arm_conflict_without_message);
  g_test_add_func ("/cb/http-parse/dps/body-code", test_dps_body_code);
  g_test_add_func ("/cb/http-parse/dps/header-code", test_dps_header_code);
  g_test_add_func ("/cb/http-parse/dps/throttled-body-retry", test_dps_throttled_body_retry);
  g_test_add_func ("/cb/http-parse/hub/message", test_hub_message);
  g_test_add_func ("/cb/http-parse/hub/header-wins", test_hub_header_wins);
  g_test_add_func ("/cb/http-parse/hub/plain-message", test_hub_plain_message);
  g_test_add_func ("/cb/http-parse/oauth/codes", test_oauth_codes);
  g_test_add_func ("/cb/http-parse/not-json", test_not_json);
  g_test_add_func ("/cb/http-parse/empty-body", test_empty_body);
  g_test_add_func ("/cb/http-parse/json-wrong-shape", test_json_but_wrong_shape);
  g_test_add_func ("/cb/http-parse/retry-after", test_retry_after);
  g_test_add_func ("/cb/http-parse/build-url", test_build_url);
  g_test_add_func ("/cb/http-parse/dps-registration/assigned", test_dps_assigned);
  g_test_add_func ("/cb/http-parse/dps-registration/failed", test_dps_failed);
  g_test_add_func ("/cb/http-parse/dps-registration/assigning", test_dps_assigning);
  g_test_add_func ("/cb/http-parse/dps-registration/bad-chain", test_dps_bad_chain);
  g_test_add_func ("/cb/http-parse/hub-query-page", test_hub_query_page);

  return g_test_run ();
}
