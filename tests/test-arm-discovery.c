/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The core's discovery client against the real sandbox on the demo seed: it reads every list
 * a connection is chosen from, follows nextLink across pages, says "forbidden" where the
 * account may not list, and stops when cancelled. Across tenants: signed in with a device
 * code at organizations, it lists the account's two tenants and, once the second is chosen,
 * that tenant's subscription, group and namespace with a token got for it through the
 * refresh token (which stays in the secret store). */

#include "config.h"

#include <string.h>

#include "cb-arm-discovery.h"
#include "cb-entra-client.h"
#include "cb-error.h"
#include "cb-sandbox-profile.h"
#include "cb-sb-directory.h"
#include "cb-sb-store.h"
#include "cb-test-sandbox.h"

#define DEMO_SUB "cb000000-0000-4000-8000-000000000001"
#define LAB_SUB  "cb000000-0000-4000-8000-000000000002"
#define DEMO_RG  "certbench-demo"
#define FIELD_SUB    "cb000000-0000-4000-8000-000000000003"
#define FIELD_TENANT "cb000000-0000-4000-8000-000000000f1d"
#define CLIENT_ID    "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

typedef struct
{
  CbTestSandbox  *ts;
  CbProfile      *profile;
  CbHttpClient   *http;
  CbArmDiscovery *discovery;
} Env;

static char *
token_for (CbTestSandbox *ts,
           const char    *principal)
{
  g_autoptr(GError) error = NULL;
  char *token;

  cb_sb_lock (ts->sandbox);
  token = cb_sb_issue_token (ts->sandbox, principal, CB_SB_AUD_ARM, &error);
  cb_sb_unlock (ts->sandbox);
  g_assert_no_error (error);
  return token;
}

static Env *
env_new (const char *principal)
{
  Env *env = g_new0 (Env, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *arm = NULL;
  g_autofree char *token = NULL;

  env->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_demo (env->ts->sandbox, NULL));
  arm = g_strconcat (cb_sandbox_get_base_url (env->ts->sandbox), "/arm", NULL);
  env->profile = cb_profile_new ("sandbox", "Sandbox", CB_PROFILE_KIND_SANDBOX);
  cb_profile_set_arm_endpoint (env->profile, arm);
  cb_profile_set_pinned_ca_file (env->profile, cb_sandbox_get_ca_file (env->ts->sandbox));
  env->http = cb_http_client_new (env->profile, &error);
  g_assert_no_error (error);
  env->discovery = cb_arm_discovery_new (env->profile, env->http);
  token = token_for (env->ts, principal);
  cb_arm_discovery_set_access_token (env->discovery, token);
  return env;
}

static void
env_free (Env *env)
{
  g_clear_object (&env->discovery);
  g_clear_object (&env->http);
  g_clear_object (&env->profile);
  cb_test_sandbox_free (env->ts);
  g_free (env);
}

typedef struct
{
  GPtrArray *items;
  GError    *error;
  gboolean   done;
} Result;

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->items = cb_arm_discovery_list_finish (CB_ARM_DISCOVERY (object), result, &r->error);
  r->done = TRUE;
}

static GPtrArray *
list (Env               *env,
      CbArmResourceKind  kind,
      const char        *sub,
      const char        *rg,
      GCancellable      *cancellable,
      GError           **error)
{
  Result r = { 0 };

  cb_arm_discovery_list_async (env->discovery, kind, sub, rg, cancellable, list_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.items;
}

static const char *
name_at (GPtrArray *items,
         guint      i)
{
  return cb_arm_resource_get_name (g_ptr_array_index (items, i));
}

static void
test_lists (void)
{
  Env *env = env_new ("admin@sandbox.certbench.local");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GPtrArray) subs = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GPtrArray) namespaces = NULL;
  g_autoptr(GPtrArray) hubs = NULL;
  g_autoptr(GPtrArray) dps = NULL;
  g_autofree char *tenant = cb_sb_dup_meta (env->ts->sandbox, "tenant_id");
  CbArmResource *sub;
  CbArmResource *instance;

  tenants = list (env, CB_ARM_RESOURCE_TENANT, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tenants->len, ==, 2);
  g_assert_cmpstr (name_at (tenants, 0), ==, tenant);
  g_assert_cmpstr (cb_arm_resource_get_title (g_ptr_array_index (tenants, 0)), ==,
                   "Certbench sandbox");
  g_assert_cmpstr (name_at (tenants, 1), ==, FIELD_TENANT);

  /* One a page: the client follows nextLink. */
  cb_sandbox_set_page_size (env->ts->sandbox, 1);
  subs = list (env, CB_ARM_RESOURCE_SUBSCRIPTION, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (subs->len, ==, 2);
  sub = g_ptr_array_index (subs, 0);
  g_assert_cmpstr (cb_arm_resource_get_name (sub), ==, DEMO_SUB);
  g_assert_cmpstr (cb_arm_resource_get_title (sub), ==, "Certbench demo");
  g_assert_cmpstr (cb_arm_resource_get_tenant_id (sub), ==, tenant);
  g_assert_cmpstr (name_at (subs, 1), ==, LAB_SUB);

  groups = list (env, CB_ARM_RESOURCE_GROUP, DEMO_SUB, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (groups->len, ==, 2);
  g_assert_cmpstr (name_at (groups, 0), ==, DEMO_RG);
  g_assert_cmpstr (name_at (groups, 1), ==, "certbench-staging");
  cb_sandbox_set_page_size (env->ts->sandbox, 0);

  namespaces = list (env, CB_ARM_RESOURCE_NAMESPACE, DEMO_SUB, DEMO_RG, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (namespaces->len, ==, 2);
  g_assert_cmpstr (name_at (namespaces, 0), ==, "demo-ns");
  g_assert_cmpstr (cb_arm_resource_get_location (g_ptr_array_index (namespaces, 0)), ==,
                   "westeurope");

  hubs = list (env, CB_ARM_RESOURCE_HUB, DEMO_SUB, DEMO_RG, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hubs->len, ==, 2);
  g_assert_cmpstr (name_at (hubs, 0), ==, "demo-hub");
  g_assert_cmpstr (cb_arm_resource_get_host_name (g_ptr_array_index (hubs, 0)), ==,
                   "demo-hub.azure-devices.net");

  dps = list (env, CB_ARM_RESOURCE_DPS, DEMO_SUB, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dps->len, ==, 2);
  instance = g_ptr_array_index (dps, 1);
  g_assert_cmpstr (cb_arm_resource_get_name (instance), ==, "demo-stable-dps");
  g_assert_cmpstr (cb_arm_resource_get_id_scope (instance), ==, "0ne00CB0CA1");
  g_assert_nonnull (cb_arm_resource_get_host_name (instance));

  env_free (env);
}

/* The operator's role is on one namespace: no resource group to list, and the namespaces of
 * the group are forbidden: the app offers the typed fields then. */
static void
test_restricted (void)
{
  Env *env = env_new ("operator@sandbox.certbench.local");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) subs = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GPtrArray) namespaces = NULL;

  subs = list (env, CB_ARM_RESOURCE_SUBSCRIPTION, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (subs->len, ==, 1);
  groups = list (env, CB_ARM_RESOURCE_GROUP, DEMO_SUB, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (groups->len, ==, 0);
  namespaces = list (env, CB_ARM_RESOURCE_NAMESPACE, DEMO_SUB, DEMO_RG, NULL, &error);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_FORBIDDEN);
  g_assert_null (namespaces);

  env_free (env);
}

static void
test_cancel_and_missing_parent (void)
{
  Env *env = env_new ("admin@sandbox.certbench.local");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *url = NULL;

  g_cancellable_cancel (cancellable);
  items = list (env, CB_ARM_RESOURCE_SUBSCRIPTION, NULL, NULL, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (items);
  g_clear_error (&error);

  /* A resource group list names its subscription. */
  items = list (env, CB_ARM_RESOURCE_GROUP, NULL, NULL, NULL, &error);
  g_assert_nonnull (error);
  g_assert_null (items);
  g_clear_error (&error);

  url = cb_arm_discovery_build_url ("https://management.azure.com", CB_ARM_RESOURCE_DPS,
                                    DEMO_SUB, "rg one", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (url, ==, "https://management.azure.com/subscriptions/" DEMO_SUB
                   "/resourceGroups/rg%20one/providers/Microsoft.Devices/provisioningServices"
                   "?api-version=" CB_ARM_DISCOVERY_DPS_API_VERSION);

  env_free (env);
}

/* The tenant and principal the sandbox issued an access token in and to. */
static char *
token_tenant (CbTestSandbox *ts,
              const char    *token)
{
  g_autofree char *pid = NULL;
  char *tenant = NULL;

  cb_sb_lock (ts->sandbox);
  pid = cb_sb_lookup_token (ts->sandbox, token, "access", NULL, NULL, NULL, &tenant, NULL);
  cb_sb_unlock (ts->sandbox);
  g_assert_nonnull (pid);
  return tenant;
}

static void
test_several_tenants (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbHttpClient) http = NULL;
  g_autoptr(CbSecrets) secrets = cb_secrets_new_memory ();
  g_autoptr(CbEntraClient) entra = NULL;
  g_autoptr(CbArmDiscovery) discovery = NULL;
  g_autoptr(CbEntraDeviceCode) code = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tenants = NULL;
  g_autoptr(GPtrArray) home_subs = NULL;
  g_autoptr(GPtrArray) subs = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GPtrArray) namespaces = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  g_autofree char *home = NULL;
  g_autofree char *home_token = NULL;
  g_autofree char *field_token = NULL;
  g_autofree char *home_tid = NULL;
  g_autofree char *field_tid = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *stored_tenant = NULL;
  Env env = { 0 };

  g_assert_true (cb_sandbox_seed_demo (ts->sandbox, NULL));
  home = cb_sb_dup_meta (ts->sandbox, "tenant_id");
  profile = cb_sandbox_create_profile (ts->sandbox);
  cb_profile_set_client_id (profile, CLIENT_ID);
  cb_profile_set_tenant (profile, "organizations");
  http = cb_http_client_new (profile, &error);
  g_assert_no_error (error);
  entra = cb_entra_client_new (profile, http, secrets);

  /* The device-code sign-in at organizations (the sandbox approves as the admin). */
  cb_entra_client_begin_sign_in_async (entra, NULL, cb_test_store_result_cb, &result);
  code = cb_entra_client_begin_sign_in_finish (entra, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  cb_entra_client_complete_sign_in_async (entra, code, NULL, cb_test_store_result_cb, &result);
  g_assert_true (cb_entra_client_complete_sign_in_finish (entra, cb_test_wait_for (&result),
                                                          &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  discovery = cb_arm_discovery_new (profile, http);
  cb_arm_discovery_set_entra_client (discovery, entra);
  env.ts = ts;
  env.discovery = discovery;

  tenants = list (&env, CB_ARM_RESOURCE_TENANT, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tenants->len, ==, 2);
  g_assert_cmpstr (name_at (tenants, 1), ==, FIELD_TENANT);
  g_assert_cmpstr (cb_arm_resource_get_title (g_ptr_array_index (tenants, 1)), ==,
                   "Certbench Field Lab");
  g_assert_cmpstr (cb_arm_resource_get_detail (g_ptr_array_index (tenants, 1)), ==,
                   "fieldlab.certbench.local");

  /* The sign-in's own tenant: the home subscriptions; the Field Lab's is refused (401). */
  home_subs = list (&env, CB_ARM_RESOURCE_SUBSCRIPTION, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (home_subs->len, ==, 2);
  refused = list (&env, CB_ARM_RESOURCE_GROUP, FIELD_SUB, NULL, NULL, &error);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "wrong issuer"));
  g_assert_null (refused);
  g_clear_error (&error);
  g_assert_true (cb_entra_client_get_signed_in (entra));

  /* The second tenant chosen: its lists, with a token issued there. */
  cb_arm_discovery_set_tenant (discovery, FIELD_TENANT);
  g_assert_cmpstr (cb_arm_discovery_get_tenant (discovery), ==, FIELD_TENANT);
  subs = list (&env, CB_ARM_RESOURCE_SUBSCRIPTION, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (subs->len, ==, 1);
  g_assert_cmpstr (name_at (subs, 0), ==, FIELD_SUB);
  g_assert_cmpstr (cb_arm_resource_get_tenant_id (g_ptr_array_index (subs, 0)), ==,
                   FIELD_TENANT);
  groups = list (&env, CB_ARM_RESOURCE_GROUP, FIELD_SUB, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (groups->len, ==, 1);
  g_assert_cmpstr (name_at (groups, 0), ==, "field-lab");
  namespaces = list (&env, CB_ARM_RESOURCE_NAMESPACE, FIELD_SUB, "field-lab", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (namespaces->len, ==, 1);
  g_assert_cmpstr (name_at (namespaces, 0), ==, "field-ns");

  /* Two tokens side by side, each issued in its tenant. */
  cb_entra_client_get_access_token_async (entra, CB_ENTRA_SCOPE_ARM, NULL,
                                          cb_test_store_result_cb, &result);
  home_token = cb_entra_client_get_access_token_finish (entra, cb_test_wait_for (&result),
                                                        &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  cb_entra_client_get_tenant_access_token_async (entra, FIELD_TENANT, CB_ENTRA_SCOPE_ARM, NULL,
                                                 cb_test_store_result_cb, &result);
  field_token = cb_entra_client_get_access_token_finish (entra, cb_test_wait_for (&result),
                                                         &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpstr (home_token, !=, field_token);
  home_tid = token_tenant (ts, home_token);
  field_tid = token_tenant (ts, field_token);
  g_assert_cmpstr (home_tid, ==, home);
  g_assert_cmpstr (field_tid, ==, FIELD_TENANT);

  /* The refresh token the secret store holds is the sandbox's newest, issued in the Field
   * Lab (the last grant's). */
  cb_secrets_lookup_async (secrets, cb_profile_get_id (profile), CB_SECRET_REFRESH_TOKEN, NULL,
                           cb_test_store_result_cb, &result);
  stored = cb_secrets_lookup_finish (secrets, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_nonnull (stored);
  cb_sb_lock (ts->sandbox);
  g_free (cb_sb_lookup_token (ts->sandbox, stored, "refresh", NULL, NULL, NULL,
                              &stored_tenant, NULL));
  cb_sb_unlock (ts->sandbox);
  g_assert_cmpstr (stored_tenant, ==, FIELD_TENANT);

  /* Back to the profile's tenant. */
  cb_arm_discovery_set_tenant (discovery, NULL);
  g_clear_pointer (&subs, g_ptr_array_unref);
  subs = list (&env, CB_ARM_RESOURCE_SUBSCRIPTION, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (subs->len, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/arm-discovery/lists", test_lists);
  g_test_add_func ("/arm-discovery/restricted", test_restricted);
  g_test_add_func ("/arm-discovery/cancel-and-missing-parent", test_cancel_and_missing_parent);
  g_test_add_func ("/arm-discovery/several-tenants", test_several_tenants);

  return g_test_run ();
}
