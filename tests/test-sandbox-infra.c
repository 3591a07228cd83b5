/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "cb-http.h"
#include "cb-test-sandbox.h"

#define NS_SCOPE "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.DeviceRegistry/namespaces/ns1"

/* A route only the tests add: it needs an ARM token and the permission named in the path. */
static void
handle_probe (CbSbRequest *req)
{
  const char *perm = cb_sb_param (req, "perm");
  CbSbPermission p = g_str_equal (perm, "read") ? CB_SB_PERM_READ
                   : g_str_equal (perm, "write") ? CB_SB_PERM_WRITE
                   : CB_SB_PERM_WRITE_CREDENTIALS;

  if (!cb_sb_require_bearer (req, CB_SB_AUD_ARM))
    return;
  if (!cb_sb_require_permission (req, NS_SCOPE, "Microsoft.DeviceRegistry/namespaces/probe/action", p))
    return;

  cb_sb_reply_json (req, 200, json_from_string ("{\"ok\": true}", NULL));
}

static void
add_probe_route (CbTestSandbox *ts)
{
  cb_sb_lock (ts->sandbox);
  cb_sb_add_route (ts->sandbox, "GET", "/arm/probe/{perm}", CB_SB_STYLE_ARM, handle_probe);
  cb_sb_unlock (ts->sandbox);
}

static void
add_people (CbTestSandbox *ts)
{
  g_autoptr(GError) error = NULL;

  cb_sb_lock (ts->sandbox);
  cb_sb_add_principal (ts->sandbox, "admin@sandbox.test", "Admin", &error);
  g_assert_no_error (error);
  cb_sb_assign_role (ts->sandbox, "admin@sandbox.test", "Owner", "/subscriptions/s1", &error);
  g_assert_no_error (error);
  cb_sb_add_principal (ts->sandbox, "reader@sandbox.test", "Reader", &error);
  g_assert_no_error (error);
  cb_sb_assign_role (ts->sandbox, "reader@sandbox.test", "Reader", "/subscriptions/s1", &error);
  g_assert_no_error (error);
  g_assert_true (cb_sb_set_meta (ts->sandbox, "default_principal", "admin@sandbox.test"));
  cb_sb_unlock (ts->sandbox);
}

static const char *
member (JsonNode   *node,
        const char *name)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_get_string_member_with_default (json_node_get_object (node), name, NULL);
}

static const char *
arm_code (JsonNode *node)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_get_string_member (json_object_get_object_member (json_node_get_object (node),
                                                                        "error"), "code");
}

static guint
form_post (CbTestSandbox  *ts,
           const char     *path,
           const char     *form,
           JsonNode      **out)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data;
  guint status;

  status = cb_test_sandbox_request (ts, "POST", path, NULL, "application/x-www-form-urlencoded",
                                    form, &body, NULL);
  data = g_bytes_get_data (body, &len);
  g_assert_true (json_parser_load_from_data (parser, data, len, NULL));
  *out = json_parser_steal_root (parser);
  return status;
}

static char *
start_device_code (CbTestSandbox  *ts,
                   const char     *scope,
                   char          **out_user_code)
{
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *form = g_strdup_printf ("client_id=certbench-test&scope=%s", scope);
  guint status = form_post (ts, "/entra/organizations/oauth2/v2.0/devicecode", form, &json);

  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (member (json, "device_code"));
  g_assert_cmpuint (strlen (member (json, "user_code")), ==, 9);
  g_assert_true (g_str_has_suffix (member (json, "verification_uri"), "/entra/devicelogin"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "interval"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "expires_in"), ==, 900);
  g_assert_nonnull (strstr (member (json, "message"), member (json, "user_code")));

  if (out_user_code != NULL)
    *out_user_code = g_strdup (member (json, "user_code"));
  return g_strdup (member (json, "device_code"));
}

static guint
poll_token (CbTestSandbox  *ts,
            const char     *device_code,
            JsonNode      **out)
{
  g_autofree char *form = g_strdup_printf ("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Adevice_code"
                                           "&client_id=certbench-test&device_code=%s", device_code);
  return form_post (ts, "/entra/organizations/oauth2/v2.0/token", form, out);
}

static void
test_tls_pinned (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(SoupSession) unpinned = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *url = NULL;
  guint status;

  status = cb_test_sandbox_request_json (ts, "GET", "/sandbox/info", NULL, NULL, &info, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (member (info, "baseUrl"), ==, cb_sandbox_get_base_url (ts->sandbox));
  g_assert_true (g_str_has_prefix (member (info, "baseUrl"), "https://127.0.0.1:"));
  g_assert_cmpstr (member (info, "caFile"), ==, cb_sandbox_get_ca_file (ts->sandbox));

  /* Without the pinned CA the handshake must fail: verification is never off. */
  url = g_strconcat (cb_sandbox_get_base_url (ts->sandbox), "/sandbox/info", NULL);
  msg = soup_message_new ("GET", url);
  body = soup_session_send_and_read (unpinned, msg, NULL, &error);
  g_assert_null (body);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
}

static void
test_refuse_remote (void)
{
  g_autofree char *dir = g_dir_make_tmp ("certbench-test-XXXXXX", NULL);
  g_autoptr(CbSandbox) sandbox = cb_sandbox_new (dir);
  g_autoptr(GError) error = NULL;

  cb_sandbox_set_port (sandbox, 0);
  cb_sandbox_set_bind_address (sandbox, "0.0.0.0", FALSE);
  g_assert_false (cb_sandbox_start (sandbox, &error));
  g_assert_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_REFUSED_ADDRESS);
  g_clear_error (&error);

  cb_sandbox_set_bind_address (sandbox, "not-an-address", FALSE);
  g_assert_false (cb_sandbox_start (sandbox, &error));
  g_assert_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_CONFIG);

  g_rmdir (dir);
}

static guint
file_mode (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

static void
test_permissions (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);

  g_assert_cmpuint (file_mode (ts->data_dir, "."), ==, 0700);
  g_assert_cmpuint (file_mode (ts->data_dir, "sandbox.db"), ==, 0600);
  g_assert_cmpuint (file_mode (ts->data_dir, "tls"), ==, 0700);
  g_assert_cmpuint (file_mode (ts->data_dir, "tls/server.key"), ==, 0600);
}

static void
test_device_code_auto (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(JsonNode) tokens = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(JsonNode) refreshed = NULL;
  g_autoptr(JsonNode) reused = NULL;
  g_autoptr(JsonNode) probe = NULL;
  g_autofree char *device_code = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *form = NULL;
  g_autofree char *hub_auth = NULL;

  add_people (ts);
  add_probe_route (ts);

  device_code = start_device_code (ts, "https%3A%2F%2Fmanagement.azure.com%2F.default%20offline_access", NULL);
  g_assert_cmpuint (poll_token (ts, device_code, &tokens), ==, 200);
  g_assert_cmpstr (member (tokens, "token_type"), ==, "Bearer");
  g_assert_nonnull (member (tokens, "access_token"));
  g_assert_nonnull (member (tokens, "refresh_token"));
  g_assert_nonnull (member (tokens, "id_token"));

  auth = g_strconcat ("Bearer ", member (tokens, "access_token"), NULL);
  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/arm/probe/credentials", auth, NULL,
                                                  &probe, NULL), ==, 200);

  /* A device code is redeemed once. */
  g_assert_cmpuint (poll_token (ts, device_code, &again), ==, 400);
  g_assert_cmpstr (member (again, "error"), ==, "bad_verification_code");

  /* Refresh for another audience; the answer carries a new refresh token. */
  form = g_strdup_printf ("grant_type=refresh_token&client_id=certbench-test&refresh_token=%s"
                          "&scope=https%%3A%%2F%%2Fiothubs.azure.net%%2F.default",
                          member (tokens, "refresh_token"));
  g_assert_cmpuint (form_post (ts, "/entra/organizations/oauth2/v2.0/token", form, &refreshed), ==, 200);
  g_assert_nonnull (member (refreshed, "refresh_token"));
  hub_auth = g_strconcat ("Bearer ", member (refreshed, "access_token"), NULL);

  g_clear_pointer (&probe, json_node_unref);
  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/arm/probe/read", hub_auth, NULL,
                                                  &probe, NULL), ==, 401);
  g_assert_cmpstr (arm_code (probe), ==, "InvalidAuthenticationTokenAudience");

  g_assert_cmpstr (member (refreshed, "refresh_token"), !=, member (tokens, "refresh_token"));

  /* The redeemed one stays good until it expires, as Entra's do (it revokes none on use), and
   * so does the new one; a token the service revoked is refused. */
  g_assert_cmpuint (form_post (ts, "/entra/organizations/oauth2/v2.0/token", form, &reused), ==, 200);
  g_assert_nonnull (member (reused, "access_token"));
  cb_sb_lock (ts->sandbox);
  cb_sb_delete_token (ts->sandbox, member (tokens, "refresh_token"));
  cb_sb_unlock (ts->sandbox);
  g_clear_pointer (&reused, json_node_unref);
  g_assert_cmpuint (form_post (ts, "/entra/organizations/oauth2/v2.0/token", form, &reused), ==, 400);
  g_assert_cmpstr (member (reused, "error"), ==, "invalid_grant");
}

static void
test_device_code_manual (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_MANUAL_SIGN_IN);
  g_autoptr(JsonNode) pending = NULL;
  g_autoptr(JsonNode) tokens = NULL;
  g_autoptr(JsonNode) declined = NULL;
  g_autoptr(JsonNode) expired = NULL;
  g_autoptr(JsonNode) probe = NULL;
  g_autoptr(JsonNode) wrong = NULL;
  g_autofree char *user_code = NULL;
  g_autofree char *device_code = NULL;
  g_autofree char *approve = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *code2 = NULL;
  g_autofree char *user2 = NULL;
  g_autofree char *decline = NULL;
  g_autofree char *code3 = NULL;

  add_people (ts);
  add_probe_route (ts);

  device_code = start_device_code (ts, "https%3A%2F%2Fmanagement.azure.com%2F.default", &user_code);
  g_assert_cmpuint (poll_token (ts, device_code, &pending), ==, 400);
  g_assert_cmpstr (member (pending, "error"), ==, "authorization_pending");
  g_assert_true (g_str_has_prefix (member (pending, "error_description"), "AADSTS70016"));

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "POST", "/sandbox/entra/approve", NULL,
                                                  "{\"userCode\": \"NOPE-NOPE\", \"principal\": \"reader@sandbox.test\"}",
                                                  &wrong, NULL), ==, 404);

  approve = g_strdup_printf ("{\"userCode\": \"%s\", \"principal\": \"reader@sandbox.test\"}", user_code);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/entra/approve", NULL, NULL,
                                             approve, NULL, NULL), ==, 204);
  g_assert_cmpuint (poll_token (ts, device_code, &tokens), ==, 200);
  /* No offline_access asked: no refresh token. */
  g_assert_null (member (tokens, "refresh_token"));

  /* The reader may read but not write credentials, and the refusal names role and scope. */
  auth = g_strconcat ("Bearer ", member (tokens, "access_token"), NULL);
  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/arm/probe/read", auth, NULL,
                                                  &probe, NULL), ==, 200);
  g_clear_pointer (&probe, json_node_unref);
  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/arm/probe/credentials", auth, NULL,
                                                  &probe, NULL), ==, 403);
  g_assert_cmpstr (arm_code (probe), ==, "AuthorizationFailed");
  {
    const char *message = json_object_get_string_member (
        json_object_get_object_member (json_node_get_object (probe), "error"), "message");
    g_assert_nonnull (strstr (message, "Azure Device Registry Credentials Contributor"));
    g_assert_nonnull (strstr (message, NS_SCOPE));
    g_assert_nonnull (strstr (message, "reader@sandbox.test"));
  }

  /* Declined. */
  code2 = start_device_code (ts, "https%3A%2F%2Fmanagement.azure.com%2F.default", &user2);
  decline = g_strdup_printf ("{\"userCode\": \"%s\", \"decline\": true}", user2);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/entra/approve", NULL, NULL,
                                             decline, NULL, NULL), ==, 204);
  g_assert_cmpuint (poll_token (ts, code2, &declined), ==, 400);
  g_assert_cmpstr (member (declined, "error"), ==, "authorization_declined");

  /* Expired: move the sandbox clock past the code's 15 minutes. */
  code3 = start_device_code (ts, "https%3A%2F%2Fmanagement.azure.com%2F.default", NULL);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 901}", NULL, NULL), ==, 200);
  g_assert_cmpuint (poll_token (ts, code3, &expired), ==, 400);
  g_assert_cmpstr (member (expired, "error"), ==, "expired_token");
}

static void
test_entra_errors (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(JsonNode) scope = NULL;
  g_autoptr(JsonNode) tenant = NULL;
  g_autoptr(JsonNode) grant = NULL;
  g_autoptr(JsonNode) client = NULL;

  g_assert_cmpuint (form_post (ts, "/entra/organizations/oauth2/v2.0/devicecode",
                               "client_id=x&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default", &scope), ==, 400);
  g_assert_cmpstr (member (scope, "error"), ==, "invalid_scope");

  g_assert_cmpuint (form_post (ts, "/entra/contoso.example/oauth2/v2.0/devicecode",
                               "client_id=x&scope=https%3A%2F%2Fmanagement.azure.com%2F.default", &tenant), ==, 400);
  g_assert_cmpstr (member (tenant, "error"), ==, "invalid_request");

  g_assert_cmpuint (form_post (ts, "/entra/organizations/oauth2/v2.0/token",
                               "grant_type=password&client_id=x", &grant), ==, 400);
  g_assert_cmpstr (member (grant, "error"), ==, "unsupported_grant_type");

  g_assert_cmpuint (form_post (ts, "/entra/organizations/oauth2/v2.0/devicecode",
                               "scope=https%3A%2F%2Fmanagement.azure.com%2F.default", &client), ==, 400);
  g_assert_cmpstr (member (client, "error"), ==, "invalid_request");
}

static void
test_bearer (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(JsonNode) missing = NULL;
  g_autoptr(JsonNode) garbage = NULL;
  g_autoptr(JsonNode) sibling = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *other = NULL;

  add_probe_route (ts);

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/arm/probe/read", NULL, NULL,
                                                  &missing, &headers), ==, 401);
  g_assert_cmpstr (arm_code (missing), ==, "AuthenticationFailed");
  g_assert_nonnull (soup_message_headers_get_one (headers, "WWW-Authenticate"));

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/arm/probe/read", "Bearer nope",
                                                  NULL, &garbage, NULL), ==, 401);
  g_assert_cmpstr (arm_code (garbage), ==, "InvalidAuthenticationToken");

  /* Owner on the resource group covers the namespace below it. */
  owner = cb_test_sandbox_token (ts, "owner@sandbox.test", "Owner",
                                 "/subscriptions/s1/resourceGroups/rg1", CB_SB_AUD_ARM);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "GET", "/arm/probe/credentials", owner, NULL,
                                             NULL, NULL, NULL), ==, 200);

  /* A role on a sibling scope with a common prefix does not. */
  other = cb_test_sandbox_token (ts, "other@sandbox.test", "Owner",
                                 "/subscriptions/s1/resourceGroups/rg", CB_SB_AUD_ARM);
  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/arm/probe/read", other, NULL,
                                                  &sibling, NULL), ==, 403);
  g_assert_cmpstr (arm_code (sibling), ==, "AuthorizationFailed");
}

static void
test_faults (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(JsonNode) bad = NULL;
  gint64 start;

  g_assert_cmpuint (cb_test_sandbox_request (ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "[{\"method\": \"GET\", \"path\": \"/sandbox/info\", "
                                             "\"status\": 429, \"retryAfter\": 2, \"count\": 1},"
                                             " {\"path\": \"/sandbox/clock\", \"latencyMs\": 300}]",
                                             NULL, NULL), ==, 200);

  g_assert_cmpuint (cb_test_sandbox_request (ts, "GET", "/sandbox/info", NULL, NULL, NULL, NULL,
                                             &headers), ==, 429);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Retry-After"), ==, "2");
  g_assert_cmpuint (cb_test_sandbox_request (ts, "GET", "/sandbox/info", NULL, NULL, NULL, NULL,
                                             NULL), ==, 200);

  start = g_get_monotonic_time ();
  g_assert_cmpuint (cb_test_sandbox_request (ts, "GET", "/sandbox/clock", NULL, NULL, NULL, NULL,
                                             NULL), ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "PUT", "/sandbox/faults", NULL,
                                                  "[{\"status\": 429}]", &bad, NULL), ==, 400);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "DELETE", "/sandbox/faults", NULL, NULL, NULL,
                                             NULL, NULL), ==, 204);
}

static void
test_router (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(JsonNode) missing = NULL;

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/arm/nowhere/at/all", NULL, NULL,
                                                  &missing, NULL), ==, 404);
  g_assert_cmpstr (arm_code (missing), ==, "InvalidResourceType");

  g_assert_cmpuint (cb_test_sandbox_request (ts, "DELETE", "/sandbox/info", NULL, NULL, NULL,
                                             NULL, &headers), ==, 405);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Allow"), ==, "GET");
}

static void
test_persistence (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autofree char *owner = NULL;
  g_autofree char *ca_before = NULL;
  g_autofree char *ca_after = NULL;

  owner = cb_test_sandbox_token (ts, "owner@sandbox.test", "Owner", "/subscriptions/s1", CB_SB_AUD_ARM);
  g_assert_true (g_file_get_contents (cb_sandbox_get_ca_file (ts->sandbox), &ca_before, NULL, NULL));

  cb_test_sandbox_restart (ts);
  add_probe_route (ts);

  g_assert_true (g_file_get_contents (cb_sandbox_get_ca_file (ts->sandbox), &ca_after, NULL, NULL));
  g_assert_cmpstr (ca_before, ==, ca_after);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "GET", "/arm/probe/credentials", owner, NULL,
                                             NULL, NULL, NULL), ==, 200);
}

/* Every sign-in and refresh adds tokens, and redeemed refresh tokens stay good: those past
 * their expiry are dropped at the next one, so the table stays bounded. */
static void
test_tokens_pruned (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(JsonNode) old = NULL;
  g_autoptr(JsonNode) fresh = NULL;
  g_autofree char *device_code = NULL;
  g_autofree char *old_refresh = NULL;
  g_autofree char *old_access = NULL;
  g_autofree char *fresh_refresh = NULL;
  g_autofree char *back = g_strdup_printf ("{\"offsetSeconds\": %d}", -91 * 86400);
  g_autoptr(JsonNode) kept = NULL;
  g_autofree char *kept_access = NULL;

  add_people (ts);
  /* A sign-in 91 days ago: its tokens, the refresh token's 90 days included, are past. */
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL, back,
                                             NULL, NULL), ==, 200);
  device_code = start_device_code (ts, "https%3A%2F%2Fmanagement.azure.com%2F.default%20offline_access", NULL);
  g_assert_cmpuint (poll_token (ts, device_code, &old), ==, 200);
  g_clear_pointer (&device_code, g_free);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"offsetSeconds\": 0}", NULL, NULL), ==, 200);
  /* One of today's, then the clock moved a day ahead: expired on the session clock only. */
  device_code = start_device_code (ts, "https%3A%2F%2Fmanagement.azure.com%2F.default%20offline_access", NULL);
  g_assert_cmpuint (poll_token (ts, device_code, &kept), ==, 200);
  g_clear_pointer (&device_code, g_free);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 86400}", NULL, NULL), ==, 200);

  /* A new sign-in. */
  device_code = start_device_code (ts, "https%3A%2F%2Fmanagement.azure.com%2F.default%20offline_access", NULL);
  g_assert_cmpuint (poll_token (ts, device_code, &fresh), ==, 200);

  cb_sb_lock (ts->sandbox);
  old_refresh = cb_sb_lookup_token (ts->sandbox, member (old, "refresh_token"), "refresh", NULL,
                                    NULL, NULL, NULL, NULL);
  old_access = cb_sb_lookup_token (ts->sandbox, member (old, "access_token"), "access", NULL,
                                   NULL, NULL, NULL, NULL);
  fresh_refresh = cb_sb_lookup_token (ts->sandbox, member (fresh, "refresh_token"), "refresh",
                                      NULL, NULL, NULL, NULL, NULL);
  kept_access = cb_sb_lookup_token (ts->sandbox, member (kept, "access_token"), "access", NULL,
                                    NULL, NULL, NULL, NULL);
  cb_sb_unlock (ts->sandbox);
  g_assert_null (old_refresh);
  g_assert_null (old_access);
  g_assert_nonnull (fresh_refresh);
  /* Kept: with the clock back, it is good again. */
  g_assert_nonnull (kept_access);
}

static gint64
clock_offset (CbTestSandbox *ts,
              double        *out_rate)
{
  g_autoptr(JsonNode) clock = NULL;
  JsonObject *obj;

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/sandbox/clock", NULL, NULL,
                                                  &clock, NULL), ==, 200);
  obj = json_node_get_object (clock);
  if (out_rate != NULL)
    *out_rate = json_object_get_double_member (obj, "rate");
  return json_object_get_int_member (obj, "offsetSeconds");
}

/* An accelerated world clock moves certificates and the service's Date, but not sign-in. */
static void
test_clock_rate (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(JsonNode) probe = NULL;
  g_autoptr(JsonNode) bad = NULL;
  g_autoptr(CbHttpClient) http = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers = NULL;
  g_autoptr(GDateTime) date = NULL;
  gint64 real, offset;
  double rate = 0;

  add_people (ts);
  add_probe_route (ts);
  auth = cb_test_sandbox_token (ts, "admin@sandbox.test", NULL, NULL, CB_SB_AUD_ARM);

  g_assert_cmpint (clock_offset (ts, &rate), ==, 0);
  g_assert_cmpfloat (rate, ==, 1.0);

  /* A day a second. */
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": 86400}", NULL, NULL), ==, 200);
  g_usleep (500 * 1000);
  offset = clock_offset (ts, &rate);
  g_assert_cmpfloat (rate, ==, 86400.0);
  g_assert_cmpint (offset, >=, 86400 * 4 / 10);

  /* The token lives on real time: it still works half a world-day later. */
  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/arm/probe/read", auth, NULL,
                                                  &probe, &headers), ==, 200);
  real = g_get_real_time () / G_USEC_PER_SEC;
  date = soup_date_time_new_from_http_string (soup_message_headers_get_one (headers, "Date"));
  g_assert_nonnull (date);
  g_assert_cmpint (g_date_time_to_unix (date) - real, >=, offset);
  g_clear_pointer (&headers, soup_message_headers_unref);

  /* Clients read the service's time from Date. */
  http = cb_http_client_new_for_ca_file (ts->sandbox->ca_file, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_http_client_get_server_now (http) - real, <, 5);
  url = g_strconcat (ts->sandbox->base_url, "/sandbox/clock", NULL);
  cb_http_client_request_async (http, "GET", url, NULL, NULL, NULL, CB_HTTP_STYLE_ARM, NULL,
                                cb_test_store_result_cb, &result);
  response = cb_http_client_request_finish (http, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  g_assert_cmpint (cb_http_client_get_server_now (http) - g_get_real_time () / G_USEC_PER_SEC, >=,
                   offset);

  /* Back to real time: the world keeps the time it gained. */
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": 1}", NULL, NULL), ==, 200);
  offset = clock_offset (ts, &rate);
  g_assert_cmpfloat (rate, ==, 1.0);
  g_usleep (300 * 1000);
  g_assert_cmpint (clock_offset (ts, NULL) - offset, <=, 1);
  g_assert_cmpint (offset, >=, 86400 * 4 / 10);

  /* Rates below real time or absurd ones are refused, and change nothing. */
  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "POST", "/sandbox/clock", NULL,
                                                  "{\"rate\": 0.5}", &bad, NULL), ==, 400);
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_object_get_object_member (json_node_get_object (bad), "error"),
                              "message"), "rate"));
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": \"fast\"}", NULL, NULL), ==, 400);
  clock_offset (ts, &rate);
  g_assert_cmpfloat (rate, ==, 1.0);

  /* An explicit offset starts over from real time. */
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"offsetSeconds\": 60}", NULL, NULL), ==, 200);
  g_assert_cmpint (ABS (clock_offset (ts, NULL) - 60), <=, 1);
}

/* The world clock is the data's: after a restart, certificates issued on a clock that ran
 * fast are not "not yet valid". */
static void
test_clock_persists (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  double rate = 0;
  gint64 offset;

  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 3456000}", NULL, NULL), ==, 200);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": 86400}", NULL, NULL), ==, 200);
  g_usleep (200 * 1000);
  offset = clock_offset (ts, NULL);

  cb_test_sandbox_restart (ts);
  g_assert_cmpint (clock_offset (ts, &rate), >=, offset);
  g_assert_cmpfloat (rate, ==, 86400.0);

  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": 1}", NULL, NULL), ==, 200);
  offset = clock_offset (ts, NULL);
  cb_test_sandbox_restart (ts);
  g_assert_cmpint (ABS (clock_offset (ts, &rate) - offset), <=, 1);
  g_assert_cmpfloat (rate, ==, 1.0);
  g_assert_cmpint (offset, >, 3456000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/sandbox/infra/tls-pinned", test_tls_pinned);
  g_test_add_func ("/cb/sandbox/infra/refuse-remote", test_refuse_remote);
  g_test_add_func ("/cb/sandbox/infra/permissions", test_permissions);
  g_test_add_func ("/cb/sandbox/infra/router", test_router);
  g_test_add_func ("/cb/sandbox/infra/faults", test_faults);
  g_test_add_func ("/cb/sandbox/infra/persistence", test_persistence);
  g_test_add_func ("/cb/sandbox/auth/bearer", test_bearer);
  g_test_add_func ("/cb/sandbox/entra/device-code-auto", test_device_code_auto);
  g_test_add_func ("/cb/sandbox/entra/device-code-manual", test_device_code_manual);
  g_test_add_func ("/cb/sandbox/entra/errors", test_entra_errors);
  g_test_add_func ("/cb/sandbox/entra/tokens-pruned", test_tokens_pruned);
  g_test_add_func ("/cb/sandbox/infra/clock-rate", test_clock_rate);
  g_test_add_func ("/cb/sandbox/infra/clock-persists", test_clock_persists);

  return g_test_run ();
}
