/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One action over many devices (cb-bulk-operation.c) against the seeded sandbox: a device
 * deleted before the run fails in the middle, is reported with the service's reason, and the
 * devices after it are still revoked and disabled; never more calls in flight than allowed;
 * a retry takes only the failed device; a cancelled run leaves the rest untried. */
#include "config.h"

#include <string.h>

#include "cb-adr-client.h"
#include "cb-adr-device.h"
#include "cb-bulk-operation.h"
#include "cb-device-export.h"
#include "cb-error.h"
#include "cb-test-sandbox.h"

#define DEMO_SUB   "cb000000-0000-4000-8000-000000000001"

typedef struct
{
  CbTestSandbox *ts;
  CbProfile     *profile;
  CbHttpClient  *http;
  CbAdrClient   *client;
  GAsyncResult  *result;
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
  cb_profile_set_resource_group (env->profile, "certbench-demo");
  cb_profile_set_namespace (env->profile, "demo-ns");
  cb_profile_set_location (env->profile, "westeurope");
  cb_profile_set_hub_name (env->profile, "demo-hub");
  cb_profile_set_pinned_ca_file (env->profile, cb_sandbox_get_ca_file (env->ts->sandbox));

  env->http = cb_http_client_new (env->profile, &error);
  g_assert_no_error (error);
  cb_http_client_set_max_delay (env->http, 2);
  bearer = cb_test_sandbox_token (env->ts, "bulk@sandbox.test", "Owner",
                                  "/subscriptions/" DEMO_SUB, CB_SB_AUD_ARM);
  env->client = cb_adr_client_new (env->profile, env->http);
  cb_adr_client_set_access_token (env->client, bearer + strlen ("Bearer "));
  cb_adr_client_set_max_poll_delay_ms (env->client, 50);
  cb_adr_client_set_operation_timeout (env->client, 30);
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
  g_free (env);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Env, env_free)

static gpointer
begin (Env *env)
{
  g_clear_object (&env->result);
  return &env->result;
}

static gboolean
device_enabled (Env        *env,
                const char *id)
{
  g_autoptr(CbAdrDevice) device = NULL;
  g_autoptr(GError) error = NULL;

  cb_adr_client_get_device_async (env->client, id, NULL, cb_test_store_result_cb, begin (env));
  device = cb_adr_client_get_device_finish (env->client, cb_test_wait_for (&env->result), &error);
  g_assert_no_error (error);
  return cb_adr_device_get_enabled (device);
}

typedef struct
{
  CbBulkOperation *op;
  guint            max_seen;
  guint            n_signals;
} Watch;

/* A result came in: the call it ended was in flight with the others still running. */
static void
item_done_cb (CbBulkOperation *op,
              guint            index,
              Watch           *watch)
{
  g_assert_true (cb_bulk_operation_get_item_done (op, index));
  watch->max_seen = MAX (watch->max_seen, cb_bulk_operation_get_n_in_flight (op) + 1);
  watch->n_signals++;
}

static void
test_failed_item_in_the_middle (void)
{
  g_autoptr(Env) env = env_new ();
  const char *ids[] = { "demo-0001", "demo-0002", "demo-0003", "demo-0004", "demo-0005",
                        "demo-0006", "demo-0002", NULL };
  g_autoptr(CbBulkOperation) op = NULL;
  g_autoptr(CbBulkOperation) retry = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) failed = NULL;
  Watch watch = { 0 };
  const GError *item_error;

  /* demo-0003 is deleted before the run: its revoke fails in the middle of the list. */
  cb_adr_client_delete_device_async (env->client, "demo-0003", NULL, cb_test_store_result_cb,
                                     begin (env));
  cb_adr_client_delete_device_finish (env->client, cb_test_wait_for (&env->result), &error);
  g_assert_no_error (error);

  op = cb_bulk_operation_new (env->client, CB_BULK_ACTION_REVOKE_AND_DISABLE, ids);
  /* The repeated id is one device. */
  g_assert_cmpuint (cb_bulk_operation_get_n_items (op), ==, 6);
  cb_bulk_operation_set_max_in_flight (op, 2);
  watch.op = op;
  g_signal_connect (op, "item-done", G_CALLBACK (item_done_cb), &watch);

  cb_bulk_operation_run_async (op, NULL, cb_test_store_result_cb, begin (env));
  g_assert_true (cb_bulk_operation_get_running (op));
  /* Two calls in flight, no more: the third waits for a slot. */
  g_assert_cmpuint (cb_bulk_operation_get_n_in_flight (op), ==, 2);
  g_assert_cmpuint (cb_bulk_operation_get_n_done (op), ==, 0);
  g_assert_true (cb_bulk_operation_run_finish (op, cb_test_wait_for (&env->result), &error));
  g_assert_no_error (error);
  g_assert_false (cb_bulk_operation_get_running (op));

  g_assert_cmpuint (watch.n_signals, ==, 6);
  g_assert_cmpuint (watch.max_seen, ==, 2);
  g_assert_cmpuint (cb_bulk_operation_get_n_done (op), ==, 6);
  g_assert_cmpuint (cb_bulk_operation_get_n_failed (op), ==, 1);
  g_assert_cmpfloat (cb_bulk_operation_get_fraction (op), ==, 1.0);

  /* The deleted device is reported, with the service's reason. */
  g_assert_cmpstr (cb_bulk_operation_get_item_id (op, 2), ==, "demo-0003");
  item_error = cb_bulk_operation_get_item_error (op, 2);
  g_assert_nonnull (item_error);
  g_test_message ("demo-0003: %s", item_error->message);
  g_assert_error (item_error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);

  /* Every other device was revoked and disabled on the service, the ones after it too. */
  for (guint i = 0; i < cb_bulk_operation_get_n_items (op); i++)
    {
      const char *id = cb_bulk_operation_get_item_id (op, i);

      g_assert_true (cb_bulk_operation_get_item_done (op, i));
      if (i == 2)
        continue;
      g_assert_null (cb_bulk_operation_get_item_error (op, i));
      g_assert_false (device_enabled (env, id));
    }

  failed = cb_bulk_operation_list_failed (op);
  g_assert_cmpuint (g_strv_length (failed), ==, 1);
  g_assert_cmpstr (failed[0], ==, "demo-0003");

  /* Retry takes only the failed device (it fails again: it is gone). */
  retry = cb_bulk_operation_new_for_failed (op);
  g_assert_cmpuint (cb_bulk_operation_get_n_items (retry), ==, 1);
  g_assert_cmpint (cb_bulk_operation_get_action (retry), ==, CB_BULK_ACTION_REVOKE_AND_DISABLE);
  g_assert_cmpuint (cb_bulk_operation_get_max_in_flight (retry), ==, 2);
}

static void
test_enable_disable (void)
{
  g_autoptr(Env) env = env_new ();
  const char *ids[] = { "demo-0010", "demo-0011", "demo-0012", NULL };
  g_autoptr(CbBulkOperation) disable = NULL;
  g_autoptr(CbBulkOperation) enable = NULL;
  g_autoptr(GError) error = NULL;

  disable = cb_bulk_operation_new (env->client, CB_BULK_ACTION_DISABLE, ids);
  /* Two new TLS connections at once, not four: under the sanitizer on a loaded machine the
   * sandbox closes a handshake that takes over 10 s. */
  cb_bulk_operation_set_max_in_flight (disable, 2);
  cb_bulk_operation_run_async (disable, NULL, cb_test_store_result_cb, begin (env));
  g_assert_true (cb_bulk_operation_run_finish (disable, cb_test_wait_for (&env->result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cb_bulk_operation_get_n_failed (disable), ==, 0);
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert_false (device_enabled (env, ids[i]));

  enable = cb_bulk_operation_new (env->client, CB_BULK_ACTION_ENABLE, ids);
  cb_bulk_operation_set_max_in_flight (enable, 2);
  cb_bulk_operation_run_async (enable, NULL, cb_test_store_result_cb, begin (env));
  g_assert_true (cb_bulk_operation_run_finish (enable, cb_test_wait_for (&env->result), &error));
  g_assert_no_error (error);
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert_true (device_enabled (env, ids[i]));
}

static void
test_cancelled (void)
{
  g_autoptr(Env) env = env_new ();
  const char *ids[] = { "demo-0020", "demo-0021", "demo-0022", "demo-0023", NULL };
  g_autoptr(CbBulkOperation) op = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) failed = NULL;

  op = cb_bulk_operation_new (env->client, CB_BULK_ACTION_DISABLE, ids);
  cb_bulk_operation_set_max_in_flight (op, 1);
  cb_bulk_operation_run_async (op, cancellable, cb_test_store_result_cb, begin (env));
  /* One call in flight; cancelled before it returns: nothing more starts. */
  g_cancellable_cancel (cancellable);
  g_assert_false (cb_bulk_operation_run_finish (op, cb_test_wait_for (&env->result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (cb_bulk_operation_get_n_done (op), <=, 1);
  failed = cb_bulk_operation_list_failed (op);
  g_assert_cmpuint (g_strv_length (failed), >=, 3);
  /* The last device was never tried. */
  g_assert_true (device_enabled (env, "demo-0023"));
  g_assert_false (cb_bulk_operation_get_item_done (op, 3));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/bulk-operation/failed-item-in-the-middle", test_failed_item_in_the_middle);
  g_test_add_func ("/cb/bulk-operation/enable-disable", test_enable_disable);
  g_test_add_func ("/cb/bulk-operation/cancelled", test_cancelled);
  return g_test_run ();
}
