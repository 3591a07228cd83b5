/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A policy's retirement (cb-policy-retirement.c) against the seeded sandbox: the steps in
 * their order, the hub's CA removed only when asked, a device that keeps its certificate
 * keeps the policy, cancellation, and the devices of a policy over every page. */
#include "config.h"

#include <string.h>

#include "cb-adr-client.h"
#include "cb-error.h"
#include "cb-hub-certificates-client.h"
#include "cb-policy-retirement.h"
#include "cb-test-sandbox.h"

#define DEMO_SUB   "cb000000-0000-4000-8000-000000000001"
#define DEMO_RG    "certbench-demo"
#define DEMO_NS    "demo-ns"
#define DEMO_HUB   "demo-hub"
#define DEMO_LOC   "westeurope"

typedef struct
{
  CbTestSandbox *ts;
  CbProfile     *profile;
  CbHttpClient  *http;
  CbAdrClient   *client;
  GAsyncResult  *result;
  GString       *steps;     /* one letter per progress: r d f x . */
  guint          deleted;   /* policy-deleted emissions */
} Env;

static Env *
env_new (void)
{
  Env *env = g_new0 (Env, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *arm = NULL;
  g_autofree char *bearer = NULL;

  env->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_demo (env->ts->sandbox, &error));
  g_assert_no_error (error);

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

  bearer = cb_test_sandbox_token (env->ts, "retire@sandbox.test", "Owner",
                                  "/subscriptions/" DEMO_SUB, CB_SB_AUD_ARM);
  g_assert_true (g_str_has_prefix (bearer, "Bearer "));
  env->client = cb_adr_client_new (env->profile, env->http);
  cb_adr_client_set_access_token (env->client, bearer + strlen ("Bearer "));
  cb_adr_client_set_max_poll_delay_ms (env->client, 50);
  cb_adr_client_set_operation_timeout (env->client, 30);
  env->steps = g_string_new (NULL);

  return env;
}

static void
env_free (Env *env)
{
  g_clear_object (&env->result);
  g_clear_object (&env->client);
  g_clear_object (&env->http);
  g_clear_object (&env->profile);
  g_clear_pointer (&env->ts, cb_test_sandbox_free);
  g_string_free (env->steps, TRUE);
  g_free (env);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Env, env_free)

static gpointer
begin (Env *env)
{
  g_clear_object (&env->result);
  return &env->result;
}

static GAsyncResult *
await (Env *env)
{
  return cb_test_wait_for (&env->result);
}

static void
progress_cb (CbPolicyRetirement *retirement,
             Env                *env)
{
  static const char letters[] = "-rdfx.";

  g_string_append_c (env->steps, letters[cb_policy_retirement_get_step (retirement)]);
}

static void
policy_deleted_cb (CbPolicyRetirement *retirement,
                   Env                *env)
{
  env->deleted++;
}

static CbPolicyRetirement *
retirement_new (Env        *env,
                const char *policy)
{
  CbPolicyRetirement *retirement = cb_policy_retirement_new (env->client, policy);

  g_signal_connect (retirement, "progress", G_CALLBACK (progress_cb), env);
  g_signal_connect (retirement, "policy-deleted", G_CALLBACK (policy_deleted_cb), env);
  return retirement;
}

static guint
count_hub_certificates_of (Env        *env,
                           const char *policy)
{
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;

  cb_adr_client_list_hub_certificates_async (env->client, NULL, cb_test_store_result_cb, begin (env));
  certificates = cb_adr_client_list_hub_certificates_finish (env->client, await (env), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < certificates->len; i++)
    if (g_strcmp0 (cb_hub_certificate_get_policy_name (g_ptr_array_index (certificates, i)),
                   policy) == 0)
      n++;
  return n;
}

static gboolean
policy_exists (Env        *env,
               const char *name)
{
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;

  cb_adr_client_get_policy_async (env->client, name, NULL, cb_test_store_result_cb, begin (env));
  policy = cb_adr_client_get_policy_finish (env->client, await (env), &error);
  if (policy == NULL)
    g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  return policy != NULL;
}

static GPtrArray *
list_devices (Env        *env,
              const char *policy)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *devices;

  cb_policy_retirement_list_devices_async (env->client, policy, NULL, cb_test_store_result_cb,
                                           begin (env));
  devices = cb_policy_retirement_list_devices_finish (await (env), &error);
  g_assert_no_error (error);
  return devices;
}

/* Delete, then find and remove the CA on the hub: the policy and its hub CA are gone. */
static void
test_remove_hub_ca (void)
{
  g_autoptr(Env) env = env_new ();
  g_autoptr(CbPolicyRetirement) retirement = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (policy_exists (env, "default"));
  g_assert_cmpuint (count_hub_certificates_of (env, "default"), ==, 1);

  retirement = retirement_new (env, "default");
  cb_policy_retirement_set_remove_hub_ca (retirement, TRUE);
  cb_policy_retirement_run_async (retirement, NULL, cb_test_store_result_cb, begin (env));
  g_assert_true (cb_policy_retirement_run_finish (retirement, await (env), &error));
  g_assert_no_error (error);

  g_assert_cmpstr (env->steps->str, ==, "dfx.");
  g_assert_cmpuint (env->deleted, ==, 1);
  g_assert_true (cb_policy_retirement_get_policy_deleted (retirement));
  g_assert_cmpuint (cb_policy_retirement_get_n_hub_ca_removed (retirement), ==, 1);
  g_assert_cmpint (cb_policy_retirement_get_step (retirement), ==, CB_POLICY_RETIREMENT_STEP_DONE);
  g_assert_false (policy_exists (env, "default"));
  g_assert_cmpuint (count_hub_certificates_of (env, "default"), ==, 0);

  /* One run only. */
  cb_policy_retirement_run_async (retirement, NULL, cb_test_store_result_cb, begin (env));
  g_assert_false (cb_policy_retirement_run_finish (retirement, await (env), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
}

/* Without the option the hub keeps the CA, so the certificates it signed keep working. */
static void
test_keep_hub_ca (void)
{
  g_autoptr(Env) env = env_new ();
  g_autoptr(CbPolicyRetirement) retirement = NULL;
  g_autoptr(GError) error = NULL;

  retirement = retirement_new (env, "default");
  cb_policy_retirement_run_async (retirement, NULL, cb_test_store_result_cb, begin (env));
  g_assert_true (cb_policy_retirement_run_finish (retirement, await (env), &error));
  g_assert_no_error (error);

  g_assert_cmpstr (env->steps->str, ==, "d.");
  g_assert_cmpuint (cb_policy_retirement_get_n_hub_ca_removed (retirement), ==, 0);
  g_assert_false (policy_exists (env, "default"));
  g_assert_cmpuint (count_hub_certificates_of (env, "default"), ==, 1);
}

/* Devices are revoked one by one before the delete; one that cannot be revoked stops the
 * retirement there and the policy stays. */
static void
test_revoke_first (void)
{
  g_autoptr(Env) env = env_new ();
  g_autoptr(CbPolicyRetirement) retirement = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  const char *names[3] = { NULL, "no-such-device", NULL };

  /* The seed's devices use "default", every page of them. */
  devices = list_devices (env, "default");
  g_test_message ("%u devices of “default”", devices->len);
  g_assert_cmpuint (devices->len, >, 100);
  for (guint i = 0; i < devices->len; i++)
    for (guint j = i + 1; j < devices->len; j++)
      g_assert_cmpstr (g_ptr_array_index (devices, i), !=, g_ptr_array_index (devices, j));
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = list_devices (env, "no-such-policy");
  g_assert_cmpuint (devices->len, ==, 0);
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = list_devices (env, "default");

  names[0] = g_ptr_array_index (devices, 0);
  retirement = retirement_new (env, "default");
  cb_policy_retirement_set_devices (retirement, names);
  cb_policy_retirement_set_remove_hub_ca (retirement, TRUE);
  g_assert_cmpuint (cb_policy_retirement_get_total (retirement), ==, 2);
  cb_policy_retirement_run_async (retirement, NULL, cb_test_store_result_cb, begin (env));
  g_assert_false (cb_policy_retirement_run_finish (retirement, await (env), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);

  g_assert_cmpstr (env->steps->str, ==, "rr");
  g_assert_cmpint (cb_policy_retirement_get_step (retirement), ==,
                   CB_POLICY_RETIREMENT_STEP_REVOKE_DEVICE);
  g_assert_cmpstr (cb_policy_retirement_get_subject (retirement), ==, "no-such-device");
  g_assert_cmpuint (cb_policy_retirement_get_done (retirement), ==, 1);
  g_assert_cmpuint (env->deleted, ==, 0);
  g_assert_false (cb_policy_retirement_get_policy_deleted (retirement));
  g_assert_true (policy_exists (env, "default"));
  g_assert_cmpuint (count_hub_certificates_of (env, "default"), ==, 1);
}

/* Cancelled before it starts: nothing is deleted. */
static void
test_cancelled (void)
{
  g_autoptr(Env) env = env_new ();
  g_autoptr(CbPolicyRetirement) retirement = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  retirement = retirement_new (env, "default");
  g_cancellable_cancel (cancellable);
  cb_policy_retirement_run_async (retirement, cancellable, cb_test_store_result_cb, begin (env));
  g_assert_false (cb_policy_retirement_run_finish (retirement, await (env), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (env->steps->str, ==, "");
  g_assert_true (policy_exists (env, "default"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/policy-retirement/remove-hub-ca", test_remove_hub_ca);
  g_test_add_func ("/cb/policy-retirement/keep-hub-ca", test_keep_hub_ca);
  g_test_add_func ("/cb/policy-retirement/revoke-first", test_revoke_first);
  g_test_add_func ("/cb/policy-retirement/cancelled", test_cancelled);

  return g_test_run ();
}
