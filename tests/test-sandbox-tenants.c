/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Several tenants, over HTTPS as a client sees them, on the demo seed: the admin signs in at
 * the organizations authority (Microsoft identity platform v2.0: /{tenant}/oauth2/v2.0/
 * devicecode and /token) and lands in the home tenant; GET /tenants (Microsoft.Resources
 * 2022-12-01) lists the home tenant and the Field Lab the admin is a guest in; the refresh
 * token sent to the Field Lab's authority (by id or domain) gives a token issued there (the
 * id_token's tid); GET /subscriptions lists only the token's tenant's; ARM refuses a token
 * from one tenant for a subscription of the other with 401 InvalidAuthenticationTokenTenant
 * in ARM's words, and IoT Hub and DPS refuse a token from another tenant than their
 * subscription's, in their own words; a reader who is no guest there gets no token for it
 * (AADSTS50020). */

#include "config.h"

#include <string.h>

#include "cb-sb-directory.h"
#include "cb-sb-store.h"
#include "cb-test-arm.h"
#include "cb-test-sandbox.h"

#define DEMO_SUB     "cb000000-0000-4000-8000-000000000001"
#define FIELD_SUB    "cb000000-0000-4000-8000-000000000003"
#define FIELD_TENANT "cb000000-0000-4000-8000-000000000f1d"
#define FIELD_DOMAIN "fieldlab.certbench.local"
#define ADMIN        "admin@sandbox.certbench.local"
#define READER       "reader@sandbox.certbench.local"
#define CLIENT_ID    "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
#define ARM_SCOPE    "https://management.azure.com/.default"
#define RES_API      "api-version=2022-12-01"
#define FORM         "application/x-www-form-urlencoded"
#define HUB_SCOPE    "https://iothubs.azure.net/.default"
#define DPS_SCOPE    "https://azure-devices-provisioning.net/.default"
#define DEMO_HUB     "demo-hub"
#define DEMO_DPS     "demo-dps"

typedef struct
{
  CbTestSandbox *ts;
  char          *home;   /* the home tenant's id */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_demo (f->ts->sandbox, NULL));
  f->home = cb_sb_dup_meta (f->ts->sandbox, "tenant_id");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_free (f->home);
}

/* POSTs a form to an authority's endpoint; returns the status, *out the JSON answer. */
static guint
post_form (Fixture    *f,
           const char *tenant,
           const char *leaf,
           GHashTable *form,
           JsonNode  **out)
{
  g_autofree char *path = g_strdup_printf ("/entra/%s/oauth2/v2.0/%s", tenant, leaf);
  g_autofree char *body = soup_form_encode_hash (form);
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  const char *data;
  guint status;

  status = cb_test_sandbox_request (f->ts, "POST", path, NULL, FORM, body, &answer, NULL);
  data = g_bytes_get_data (answer, &len);
  text = g_strndup (data, len);
  *out = json_from_string (text, NULL);
  g_assert_nonnull (*out);
  return status;
}

static GHashTable *
form_new (void)
{
  GHashTable *form = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (form, (gpointer) "client_id", (gpointer) CLIENT_ID);
  return form;
}

/* A device-code sign-in at tenant as the default principal (auto-approved): the answer. */
static JsonNode *
sign_in (Fixture    *f,
         const char *tenant)
{
  g_autoptr(GHashTable) form = form_new ();
  g_autoptr(JsonNode) code = NULL;
  JsonNode *tokens = NULL;

  g_hash_table_insert (form, (gpointer) "scope", (gpointer) ARM_SCOPE " offline_access");
  g_assert_cmpuint (post_form (f, tenant, "devicecode", form, &code), ==, 200);
  g_hash_table_remove_all (form);
  g_hash_table_insert (form, (gpointer) "client_id", (gpointer) CLIENT_ID);
  g_hash_table_insert (form, (gpointer) "grant_type",
                       (gpointer) "urn:ietf:params:oauth:grant-type:device_code");
  g_hash_table_insert (form, (gpointer) "device_code",
                       (gpointer) cb_test_jstr (code, "device_code"));
  g_assert_cmpuint (post_form (f, tenant, "token", form, &tokens), ==, 200);
  return tokens;
}

/* The refresh_token grant at tenant's authority for scope; returns the status. */
static guint
refresh_for (Fixture    *f,
             const char *tenant,
             const char *refresh_token,
             const char *scope,
             JsonNode  **out)
{
  g_autoptr(GHashTable) form = form_new ();
  g_autofree char *scopes = g_strconcat (scope, " offline_access", NULL);

  g_hash_table_insert (form, (gpointer) "grant_type", (gpointer) "refresh_token");
  g_hash_table_insert (form, (gpointer) "refresh_token", (gpointer) refresh_token);
  g_hash_table_insert (form, (gpointer) "scope", scopes);
  return post_form (f, tenant, "token", form, out);
}

/* The same for ARM. */
static guint
refresh (Fixture    *f,
         const char *tenant,
         const char *refresh_token,
         JsonNode  **out)
{
  return refresh_for (f, tenant, refresh_token, ARM_SCOPE, out);
}

/* The tid claim of an answer's (unsigned) id_token. */
static char *
id_token_tid (JsonNode *tokens)
{
  const char *id_token = cb_test_jstr (tokens, "id_token");
  g_auto(GStrv) parts = NULL;
  g_autoptr(GString) b64 = NULL;
  g_autofree guchar *payload = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) claims = NULL;
  gsize len = 0;

  g_assert_nonnull (id_token);
  parts = g_strsplit (id_token, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  b64 = g_string_new (parts[1]);
  g_strdelimit (b64->str, "-", '+');
  g_strdelimit (b64->str, "_", '/');
  while (b64->len % 4 != 0)
    g_string_append_c (b64, '=');
  payload = g_base64_decode (b64->str, &len);
  text = g_strndup ((const char *) payload, len);
  claims = json_from_string (text, NULL);
  g_assert_nonnull (claims);
  return g_strdup (cb_test_jstr (claims, "tid"));
}

static guint
arm_get (Fixture             *f,
         const char          *access_token,
         const char          *path,
         JsonNode           **out,
         SoupMessageHeaders **out_headers)
{
  g_autofree char *auth = g_strconcat ("Bearer ", access_token, NULL);

  return cb_test_sandbox_request_json (f->ts, "GET", path, auth, NULL, out, out_headers);
}

static guint
n_values (JsonNode *page)
{
  return json_array_get_length (json_node_get_array (cb_test_jget (page, "value")));
}

static void
test_tenant_list (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonNode) tokens = sign_in (f, "organizations");
  g_autoptr(JsonNode) page = NULL;
  g_autofree char *tid = id_token_tid (tokens);
  JsonArray *value;

  /* Signed in at organizations: a token of the home tenant. */
  g_assert_cmpstr (tid, ==, f->home);

  g_assert_cmpuint (arm_get (f, cb_test_jstr (tokens, "access_token"),
                             "/arm/tenants?" RES_API, &page, NULL), ==, 200);
  value = json_node_get_array (cb_test_jget (page, "value"));
  g_assert_cmpuint (json_array_get_length (value), ==, 2);
  g_assert_cmpstr (cb_test_jstr (json_array_get_element (value, 0), "tenantId"), ==, f->home);
  g_assert_cmpstr (cb_test_jstr (json_array_get_element (value, 1), "tenantId"), ==,
                   FIELD_TENANT);
  g_assert_cmpstr (cb_test_jstr (json_array_get_element (value, 1), "id"), ==,
                   "/tenants/" FIELD_TENANT);
  g_assert_cmpstr (cb_test_jstr (json_array_get_element (value, 1), "displayName"), ==,
                   "Certbench Field Lab");
  g_assert_cmpstr (cb_test_jstr (json_array_get_element (value, 1), "defaultDomain"), ==,
                   FIELD_DOMAIN);
  g_assert_cmpstr (cb_test_jstr (json_array_get_element (value, 1), "tenantCategory"), ==,
                   "Home");
}

static void
test_refresh_for_tenant (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(JsonNode) home = sign_in (f, "organizations");
  g_autoptr(JsonNode) field = NULL;
  g_autoptr(JsonNode) by_domain = NULL;
  g_autoptr(JsonNode) back = NULL;
  g_autoptr(JsonNode) subs = NULL;
  g_autoptr(JsonNode) field_subs = NULL;
  g_autoptr(JsonNode) groups = NULL;
  g_autofree char *tid = NULL;
  g_autofree char *tid_domain = NULL;
  g_autofree char *tid_back = NULL;
  g_autofree char *home_list = NULL;

  /* The home token lists the home tenant's subscriptions only. */
  g_assert_cmpuint (arm_get (f, cb_test_jstr (home, "access_token"),
                             "/arm/subscriptions?" RES_API, &subs, NULL), ==, 200);
  g_assert_cmpuint (n_values (subs), ==, 2);
  home_list = json_to_string (subs, FALSE);
  g_assert_null (strstr (home_list, FIELD_SUB));

  /* The refresh token at the Field Lab's authority: a token issued there. */
  g_assert_cmpuint (refresh (f, FIELD_TENANT, cb_test_jstr (home, "refresh_token"), &field),
                    ==, 200);
  tid = id_token_tid (field);
  g_assert_cmpstr (tid, ==, FIELD_TENANT);
  g_assert_cmpuint (arm_get (f, cb_test_jstr (field, "access_token"),
                             "/arm/subscriptions?" RES_API, &field_subs, NULL), ==, 200);
  g_assert_cmpuint (n_values (field_subs), ==, 1);
  g_assert_cmpstr (cb_test_jstr (json_array_get_element (json_node_get_array (
                     cb_test_jget (field_subs, "value")), 0), "subscriptionId"), ==, FIELD_SUB);
  g_assert_cmpstr (cb_test_jstr (json_array_get_element (json_node_get_array (
                     cb_test_jget (field_subs, "value")), 0), "tenantId"), ==, FIELD_TENANT);
  g_assert_cmpuint (arm_get (f, cb_test_jstr (field, "access_token"),
                             "/arm/subscriptions/" FIELD_SUB "/resourcegroups?" RES_API,
                             &groups, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (json_array_get_element (json_node_get_array (
                     cb_test_jget (groups, "value")), 0), "name"), ==, "field-lab");

  /* By its domain too, with the rotated refresh token; organizations is the home tenant
   * again, whichever tenant the refresh token was last redeemed in. */
  g_assert_cmpuint (refresh (f, FIELD_DOMAIN, cb_test_jstr (field, "refresh_token"),
                             &by_domain), ==, 200);
  tid_domain = id_token_tid (by_domain);
  g_assert_cmpstr (tid_domain, ==, FIELD_TENANT);
  g_assert_cmpuint (refresh (f, "organizations", cb_test_jstr (by_domain, "refresh_token"),
                             &back), ==, 200);
  tid_back = id_token_tid (back);
  g_assert_cmpstr (tid_back, ==, f->home);
}

static void
assert_wrong_tenant (Fixture    *f,
                     const char *access_token,
                     const char *path,
                     const char *token_tenant,
                     const char *sub_tenant)
{
  g_autoptr(JsonNode) error = NULL;
  SoupMessageHeaders *headers = NULL;
  g_autofree char *issuer = g_strdup_printf ("'https://sts.windows.net/%s/'", token_tenant);
  g_autofree char *authority = g_strdup_printf ("'https://login.windows.net/%s'", sub_tenant);
  const char *message;
  const char *www;

  g_assert_cmpuint (arm_get (f, access_token, path, &error, &headers), ==, 401);
  g_assert_cmpstr (cb_test_jstr (error, "error.code"), ==, "InvalidAuthenticationTokenTenant");
  message = cb_test_jstr (error, "error.message");
  g_assert_true (g_str_has_prefix (message, "The access token is from the wrong issuer "));
  g_assert_nonnull (strstr (message, issuer));
  g_assert_nonnull (strstr (message, authority));
  www = soup_message_headers_get_one (headers, "WWW-Authenticate");
  g_assert_nonnull (www);
  g_assert_nonnull (strstr (www, sub_tenant));
  soup_message_headers_unref (headers);
}

static void
test_cross_tenant_refused (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(JsonNode) home = sign_in (f, "organizations");
  g_autoptr(JsonNode) field = NULL;
  g_autoptr(JsonNode) ok = NULL;
  const char *home_token = cb_test_jstr (home, "access_token");
  const char *field_token;

  g_assert_cmpuint (refresh (f, FIELD_TENANT, cb_test_jstr (home, "refresh_token"), &field),
                    ==, 200);
  field_token = cb_test_jstr (field, "access_token");

  /* A home token for the Field Lab's subscription, and its resources under it. */
  assert_wrong_tenant (f, home_token, "/arm/subscriptions/" FIELD_SUB "?" RES_API, f->home,
                       FIELD_TENANT);
  assert_wrong_tenant (f, home_token, "/arm/subscriptions/" FIELD_SUB "/resourceGroups/"
                       "field-lab/providers/Microsoft.DeviceRegistry/namespaces/field-ns"
                       "?api-version=2026-11-01", f->home, FIELD_TENANT);
  /* And the other way round. */
  assert_wrong_tenant (f, field_token, "/arm/subscriptions/" DEMO_SUB "/resourcegroups?"
                       RES_API, FIELD_TENANT, f->home);

  /* Each token opens its own tenant's namespace. */
  g_assert_cmpuint (arm_get (f, field_token, "/arm/subscriptions/" FIELD_SUB "/resourceGroups/"
                             "field-lab/providers/Microsoft.DeviceRegistry/namespaces/field-ns"
                             "?api-version=2026-11-01", &ok, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (ok, "name"), ==, "field-ns");
}

/* A data-plane request with a bearer token: the status, *out the answer. */
static guint
bearer_request (Fixture    *f,
                const char *method,
                const char *access_token,
                const char *path,
                JsonNode  **out)
{
  g_autofree char *auth = g_strconcat ("Bearer ", access_token, NULL);

  return cb_test_sandbox_request_json (f->ts, method, path, auth, NULL, out, NULL);
}

/* IoT Hub and DPS, like ARM, take a token only from their subscription's tenant: demo-hub and
 * demo-dps are in the home tenant's subscription, so the admin's token from the Field Lab,
 * for the right audience, is refused there, in each service's words, naming both tenants. */
static void
test_data_plane_tenant (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonNode) home = sign_in (f, "organizations");
  const char *refresh_token = cb_test_jstr (home, "refresh_token");
  static const struct
  {
    const char *scope;
    const char *path;
    const char *message_member;   /* IoT Hub: "ErrorCode:<code>;<text>"; DPS: the text */
    const char *code;
  } services[] = {
    { HUB_SCOPE, "/hubs/" DEMO_HUB "/devices?top=1&api-version=2021-04-12", "Message",
      "ErrorCode:IotHubUnauthorizedAccess;" },
    { DPS_SCOPE, "/dps-service/" DEMO_DPS "/enrollments/no-such-device?api-version=2026-11-01",
      "message", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    {
      g_autoptr(JsonNode) field = NULL;
      g_autoptr(JsonNode) own = NULL;
      g_autoptr(JsonNode) refused = NULL;
      g_autoptr(JsonNode) answer = NULL;
      const char *message;

      g_test_message ("%s", services[i].path);
      g_assert_cmpuint (refresh_for (f, FIELD_TENANT, refresh_token, services[i].scope, &field),
                        ==, 200);
      refresh_token = cb_test_jstr (field, "refresh_token");
      g_assert_cmpuint (bearer_request (f, "GET", cb_test_jstr (field, "access_token"),
                                        services[i].path, &refused), ==, 401);
      message = cb_test_jstr (refused, services[i].message_member);
      g_assert_nonnull (message);
      if (services[i].code != NULL)
        g_assert_true (g_str_has_prefix (message, services[i].code));
      else
        g_assert_cmpint (json_node_get_int (cb_test_jget (refused, "errorCode")), ==, 401002);
      g_assert_nonnull (strstr (message, FIELD_TENANT));
      g_assert_nonnull (strstr (message, f->home));

      /* The same audience from the home tenant passes (a missing enrollment is a 404). */
      g_assert_cmpuint (refresh_for (f, "organizations", refresh_token, services[i].scope, &own),
                        ==, 200);
      refresh_token = cb_test_jstr (own, "refresh_token");
      g_assert_cmpuint (bearer_request (f, "GET", cb_test_jstr (own, "access_token"),
                                        services[i].path, &answer), !=, 401);
      g_clear_pointer (&home, json_node_unref);
      home = g_steal_pointer (&own);
      refresh_token = cb_test_jstr (home, "refresh_token");
    }
}

static void
test_not_a_guest (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonNode) home = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autoptr(JsonNode) direct = NULL;
  g_autoptr(GHashTable) form = form_new ();
  g_autoptr(JsonNode) code = NULL;

  cb_sb_lock (f->ts->sandbox);
  g_assert_true (cb_sb_set_meta (f->ts->sandbox, "default_principal", READER));
  cb_sb_unlock (f->ts->sandbox);
  home = sign_in (f, "organizations");

  g_assert_cmpuint (refresh (f, FIELD_TENANT, cb_test_jstr (home, "refresh_token"), &refused),
                    ==, 400);
  g_assert_cmpstr (cb_test_jstr (refused, "error"), ==, "invalid_grant");
  g_assert_nonnull (strstr (cb_test_jstr (refused, "error_description"), FIELD_TENANT));
  g_assert_nonnull (strstr (cb_test_jstr (refused, "error_description"), READER));

  /* A device code redeemed at the Field Lab's authority: refused alike. */
  g_hash_table_insert (form, (gpointer) "scope", (gpointer) ARM_SCOPE " offline_access");
  g_assert_cmpuint (post_form (f, FIELD_TENANT, "devicecode", form, &code), ==, 200);
  g_hash_table_insert (form, (gpointer) "grant_type",
                       (gpointer) "urn:ietf:params:oauth:grant-type:device_code");
  g_hash_table_insert (form, (gpointer) "device_code",
                       (gpointer) cb_test_jstr (code, "device_code"));
  g_assert_cmpuint (post_form (f, FIELD_TENANT, "token", form, &direct), ==, 400);
  g_assert_cmpstr (cb_test_jstr (direct, "error"), ==, "invalid_grant");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sandbox/tenants/list", Fixture, NULL, fixture_setup, test_tenant_list,
              fixture_teardown);
  g_test_add ("/sandbox/tenants/refresh-for-tenant", Fixture, NULL, fixture_setup,
              test_refresh_for_tenant, fixture_teardown);
  g_test_add ("/sandbox/tenants/cross-tenant-refused", Fixture, NULL, fixture_setup,
              test_cross_tenant_refused, fixture_teardown);
  g_test_add ("/sandbox/tenants/data-plane-tenant", Fixture, NULL, fixture_setup,
              test_data_plane_tenant, fixture_teardown);
  g_test_add ("/sandbox/tenants/not-a-guest", Fixture, NULL, fixture_setup, test_not_a_guest,
              fixture_teardown);

  return g_test_run ();
}
