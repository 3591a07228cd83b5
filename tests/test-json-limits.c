/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-error.h"
#include "cb-http.h"
#include "cb-json-limits.h"
#include "cb-sas.h"
#include "cb-test-sandbox.h"

/* The JSON size and nesting limits (cb-json-limits.h), checked before json-glib sees a byte:
 * the pure check, the sandbox's answers to a deep or huge body on open and signed-in routes in
 * each error style, and the core client's handling of a deep answer. json-glib recurses once
 * per level, so without the check each of these crashes the process. */

#define SUB      "00000000-0000-0000-0000-00000000c0de"
#define RG       "rg-limits"
#define NS       "ns-limits"
#define HUB      "hub-limits"
#define HUB_HOST "hub-limits.azure-devices.net"
#define DPS      "dps-limits"
#define ID_SCOPE "0ne00C0FFEE"
#define OWNER_KEY "ZHBzLW93bmVyLWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc="
#define HUB_API  "api-version=2021-04-12"
#define DPS_API  "api-version=2025-07-01-preview"

/* The body: 100,000 '[' then as many ']' (200 KB). */
#define DEEP_LEVELS 100000

static char *
deep_json (guint levels)
{
  GString *text = g_string_sized_new (2 * levels + 1);

  for (guint i = 0; i < levels; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < levels; i++)
    g_string_append_c (text, ']');
  return g_string_free (text, FALSE);
}

/* ---- the pure check -------------------------------------------------------------------- */

static void
test_scan (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *deep = deep_json (DEEP_LEVELS);
  g_autofree char *at_limit = deep_json (CB_JSON_MAX_DEPTH);
  g_autofree char *over_limit = deep_json (CB_JSON_MAX_DEPTH + 1);
  /* brackets inside strings (with escaped quotes) do not count */
  static const char strings[] = "{\"a\":\"[[[[{{{{\\\"[[[[\",\"b\":[{\"c\":\"]]]]\\\\\"},[1]]}";

  g_assert_cmpuint (cb_json_scan_depth ("", 0, 10), ==, 0);
  g_assert_cmpuint (cb_json_scan_depth ("{}", 2, 10), ==, 1);
  g_assert_cmpuint (cb_json_scan_depth (strings, strlen (strings), 10), ==, 3);
  g_assert_cmpuint (cb_json_scan_depth ("]]]][[", 6, 10), ==, 2);
  /* the scan stops one level past the limit */
  g_assert_cmpuint (cb_json_scan_depth (deep, strlen (deep), 10), ==, 11);

  g_assert_true (cb_json_check_limits (at_limit, strlen (at_limit), 1000, CB_JSON_MAX_DEPTH, &error));
  g_assert_no_error (error);

  g_assert_false (cb_json_check_limits (over_limit, strlen (over_limit), 1000, CB_JSON_MAX_DEPTH,
                                        &error));
  g_assert_error (error, CB_JSON_LIMIT_ERROR, CB_JSON_LIMIT_ERROR_TOO_DEEP);
  g_assert_nonnull (strstr (error->message, "more than 64 levels deep"));
  g_clear_error (&error);

  g_assert_false (cb_json_check_limits (at_limit, strlen (at_limit), 100, CB_JSON_MAX_DEPTH, &error));
  g_assert_error (error, CB_JSON_LIMIT_ERROR, CB_JSON_LIMIT_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "128 bytes, more than the limit of 100 bytes"));
  g_clear_error (&error);

  g_assert_true (cb_json_check_limits (NULL, 100, 100, CB_JSON_MAX_DEPTH, &error));
  g_assert_no_error (error);
}

/* ---- the sandbox ----------------------------------------------------------------------- */

typedef struct
{
  CbTestSandbox *ts;
} Fixture;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  CbSandbox *sb;
  g_autoptr(GError) error = NULL;
  g_autofree char *namespace_id = cb_sb_namespace_id (SUB, RG, NS);

  fx->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_MANUAL_SIGN_IN);
  sb = fx->ts->sandbox;
  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SUB, RG, DPS, ID_SCOPE, namespace_id, HUB, &error);
  g_assert_no_error (error);
  g_assert_true (cb_sb_set_dps_owner_key (sb, DPS, OWNER_KEY));
  cb_sb_unlock (sb);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_clear_pointer (&fx->ts, cb_test_sandbox_free);
}

static char *
hub_sas (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  char *token;

  cb_sb_lock (fx->ts->sandbox);
  key = cb_sb_dup_hub_key (fx->ts->sandbox, HUB, "iothubowner");
  cb_sb_unlock (fx->ts->sandbox);
  g_assert_nonnull (key);

  token = cb_sas_token_new (HUB_HOST, key, "iothubowner", g_get_real_time () / G_USEC_PER_SEC + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

static char *
owner_sas (void)
{
  g_autoptr(GError) error = NULL;
  char *token = cb_sas_token_new (DPS ".azure-devices-provisioning.net", OWNER_KEY,
                                  "provisioningserviceowner",
                                  g_get_real_time () / G_USEC_PER_SEC + 3600,
                                  CB_SAS_FLAGS_NONE, &error);

  g_assert_no_error (error);
  return token;
}

/* {"error":{"code","message"}} as ARM and the sandbox's own endpoints write it */
static void
assert_arm_error (guint       status,
                  JsonNode   *reply,
                  guint       expected_status,
                  const char *code,
                  const char *message_part)
{
  JsonObject *error;

  g_assert_cmpuint (status, ==, expected_status);
  g_assert_nonnull (reply);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply));
  error = json_object_get_object_member (json_node_get_object (reply), "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), message_part));
}

static void
test_sandbox_open_routes (Fixture       *fx,
                          gconstpointer  data)
{
  static const char * const routes[] = {
    "PUT", "/sandbox/faults",
    "POST", "/sandbox/clock",
    "POST", "/sandbox/entra/approve",
  };
  g_autofree char *deep = deep_json (DEEP_LEVELS);

  /* No authentication on these: the deep body is the first thing they read. */
  for (guint i = 0; i < G_N_ELEMENTS (routes); i += 2)
    {
      g_autoptr(JsonNode) reply = NULL;
      guint status = cb_test_sandbox_request_json (fx->ts, routes[i], routes[i + 1], NULL, deep,
                                                   &reply, NULL);

      assert_arm_error (status, reply, 400, "InvalidRequestContent",
                        "nests objects and arrays more than 64 levels deep");
    }

  /* and the sandbox is still there */
  g_assert_cmpuint (cb_test_sandbox_request (fx->ts, "GET", "/sandbox/clock", NULL, NULL, NULL,
                                             NULL, NULL), ==, 200);
}

static void
test_sandbox_too_large (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *huge = g_strnfill (CB_JSON_MAX_REQUEST_SIZE + 1, ' ');
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) oauth = NULL;
  guint status;

  /* JSON or not (a form, a PEM file), a body over the cap never reaches a handler */
  status = cb_test_sandbox_request_json (fx->ts, "POST", "/sandbox/clock", NULL, huge, &reply, NULL);
  assert_arm_error (status, reply, 413, "RequestEntityTooLarge",
                    "1048577 bytes, more than the limit of 1048576 bytes");

  status = cb_test_sandbox_request_json (fx->ts, "POST", "/entra/organizations/oauth2/v2.0/token",
                                         NULL, huge, &oauth, NULL);
  g_assert_cmpuint (status, ==, 413);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (oauth), "error"), ==,
                   "invalid_request");
  g_assert_nonnull (strstr (json_object_get_string_member (json_node_get_object (oauth),
                                                           "error_description"),
                            "more than the limit of 1048576 bytes"));
}

static void
test_sandbox_signed_in_routes (Fixture       *fx,
                               gconstpointer  data)
{
  g_autofree char *deep = deep_json (DEEP_LEVELS);
  g_autofree char *hub_auth = hub_sas (fx);
  g_autofree char *dps_auth = owner_sas ();
  g_autofree char *arm_auth = cb_test_sandbox_token (fx->ts, "arm@sandbox.test", CB_SB_ROLE_OWNER,
                                                     "/subscriptions/" SUB, CB_SB_AUD_ARM);
  g_autoptr(JsonNode) hub_reply = NULL;
  g_autoptr(JsonNode) dps_reply = NULL;
  g_autoptr(JsonNode) arm_reply = NULL;
  g_autoptr(SoupMessageHeaders) hub_headers = NULL;
  g_autoptr(SoupMessageHeaders) dps_headers = NULL;
  JsonObject *obj;
  guint status;

  /* IoT Hub: {"Message":"ErrorCode:ArgumentInvalid;..."} */
  status = cb_test_sandbox_request_json (fx->ts, "PUT", "/hubs/" HUB "/devices/d-1?" HUB_API,
                                         hub_auth, deep, &hub_reply, &hub_headers);
  g_assert_cmpuint (status, ==, 400);
  g_assert_cmpstr (soup_message_headers_get_one (hub_headers, "iothub-errorcode"), ==,
                   "ArgumentInvalid");
  obj = json_node_get_object (hub_reply);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (obj, "Message"),
                                   "ErrorCode:ArgumentInvalid;"));
  g_assert_nonnull (strstr (json_object_get_string_member (obj, "Message"), "64 levels deep"));

  /* DPS service API: {"errorCode":400006,...} */
  status = cb_test_sandbox_request_json (fx->ts, "PUT",
                                         "/dps-service/" DPS "/enrollmentGroups/g-1?" DPS_API,
                                         dps_auth, deep, &dps_reply, &dps_headers);
  g_assert_cmpuint (status, ==, 400);
  obj = json_node_get_object (dps_reply);
  g_assert_cmpint (json_object_get_int_member (obj, "errorCode"), ==, 400006);
  g_assert_nonnull (strstr (json_object_get_string_member (obj, "message"), "64 levels deep"));

  /* ARM */
  status = cb_test_sandbox_request_json (fx->ts, "PUT",
                                         "/arm/subscriptions/" SUB "/resourceGroups/" RG
                                         "/providers/Microsoft.DeviceRegistry/namespaces/ns-new"
                                         "?api-version=" CB_SB_ARM_API_VERSION,
                                         arm_auth, deep, &arm_reply, NULL);
  assert_arm_error (status, arm_reply, 400, "InvalidRequestContent", "64 levels deep");
}

/* The query: 100,000 nested parentheses, which overflowed the stack. */
static void
test_sandbox_deep_query (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *hub_auth = hub_sas (fx);
  g_autoptr(GString) query = g_string_new ("{\"query\": \"SELECT * FROM devices WHERE ");
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  const char *message;
  guint status;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (query, '(');
  g_string_append (query, "status = 'enabled'");
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (query, ')');
  g_string_append (query, "\"}");

  status = cb_test_sandbox_request_json (fx->ts, "POST", "/hubs/" HUB "/devices/query?" HUB_API,
                                         hub_auth, query->str, &reply, &headers);
  g_assert_cmpuint (status, ==, 400);
  message = json_object_get_string_member (json_node_get_object (reply), "Message");
  g_assert_true (g_str_has_prefix (message, "ErrorCode:ArgumentInvalid;"));
  g_assert_nonnull (strstr (message, "more than 32 levels deep (parentheses and NOT)"));
}

/* ---- the core client ------------------------------------------------------------------- */

typedef struct
{
  SoupServer     *server;
  char           *deep;
  CbHttpResponse *response;
  GError         *error;
  GMainLoop      *loop;
} ClientFixture;

static void
deep_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  ClientFixture *f = user_data;

  soup_server_message_set_status (msg, g_str_equal (path, "/deep-error") ? 400 : 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, f->deep,
                                    strlen (f->deep));
}

static void
client_request_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClientFixture *f = user_data;

  f->response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &f->error);
  g_main_loop_quit (f->loop);
}

static void
test_client_deep_answer (void)
{
  ClientFixture f = { 0 };
  g_autoptr(CbHttpClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) deep_bytes = NULL;
  g_autoptr(GError) parsed = NULL;
  GSList *uris;
  guint port;

  f.deep = deep_json (DEEP_LEVELS);
  f.loop = g_main_loop_new (NULL, FALSE);
  f.server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f.server, NULL, deep_handler, &f, NULL);
  soup_server_listen_local (f.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f.server);
  port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  client = cb_http_client_new_for_ca_file (NULL, &error);
  g_assert_no_error (error);

  /* a 200 whose body nests too deep: a parse error that names the limit */
  {
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/deep", port);

    cb_http_client_request_async (client, "GET", url, NULL, NULL, NULL, CB_HTTP_STYLE_ARM, NULL,
                                  client_request_cb, &f);
    g_main_loop_run (f.loop);
    g_assert_null (f.response);
    g_assert_error (f.error, CB_API_ERROR, CB_API_ERROR_PARSE);
    g_assert_nonnull (strstr (f.error->message, "more than 64 levels deep"));
    g_clear_error (&f.error);
  }

  /* an error answer that nests too deep: still the status's error, without the body */
  {
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/deep-error", port);

    cb_http_client_request_async (client, "GET", url, NULL, NULL, NULL, CB_HTTP_STYLE_ARM, NULL,
                                  client_request_cb, &f);
    g_main_loop_run (f.loop);
    g_assert_error (f.error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
    g_clear_error (&f.error);
  }

  deep_bytes = g_bytes_new_static (f.deep, strlen (f.deep));
  parsed = cb_http_parse_error (CB_HTTP_STYLE_DPS, 400, NULL, deep_bytes);
  g_assert_error (parsed, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);

  soup_server_disconnect (f.server);
  g_object_unref (f.server);
  g_main_loop_unref (f.loop);
  g_free (f.deep);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/json-limits/scan", test_scan);
  g_test_add ("/cb/json-limits/sandbox/open-routes", Fixture, NULL, fixture_setup,
              test_sandbox_open_routes, fixture_teardown);
  g_test_add ("/cb/json-limits/sandbox/too-large", Fixture, NULL, fixture_setup,
              test_sandbox_too_large, fixture_teardown);
  g_test_add ("/cb/json-limits/sandbox/signed-in-routes", Fixture, NULL, fixture_setup,
              test_sandbox_signed_in_routes, fixture_teardown);
  g_test_add ("/cb/json-limits/sandbox/deep-query", Fixture, NULL, fixture_setup,
              test_sandbox_deep_query, fixture_teardown);
  g_test_add_func ("/cb/json-limits/client/deep-answer", test_client_deep_answer);

  return g_test_run ();
}
