/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The core's discovery client against the real sandbox on the demo seed: it reads every list
 * a connection is chosen from, follows nextLink across pages, says "forbidden" where the
 * account may not list, and stops when cancelled. */

#include "config.h"

#include "cb-arm-discovery.h"
#include "cb-error.h"
#include "cb-sb-directory.h"
#include "cb-sb-store.h"
#include "cb-test-sandbox.h"

#define DEMO_SUB "cb000000-0000-4000-8000-000000000001"
#define LAB_SUB  "cb000000-0000-4000-8000-000000000002"
#define DEMO_RG  "certbench-demo"
#define FIELD_TENANT "cb000000-0000-4000-8000-000000000f1d"

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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/arm-discovery/lists", test_lists);
  g_test_add_func ("/arm-discovery/restricted", test_restricted);
  g_test_add_func ("/arm-discovery/cancel-and-missing-parent", test_cancel_and_missing_parent);

  return g_test_run ();
}
