/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Core's CbContext built the way certbench-cli builds it (no port monitor, ARM signed in on
 * demand or never, the unattended timeouts) and the discovery of a running sandbox, against a
 * real sandbox served from this process. */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cb-context.h"
#include "cb-dps-service-client.h"
#include "cb-error.h"
#include "cb-provisioning-config-private.h"
#include "cb-sandbox-discovery.h"
#include "cb-sandbox-profile.h"
#include "cb-station.h"
#include "cb-test-factory.h"
#include "cb-test-sandbox.h"

#define COMMAND_LINE (CB_CONTEXT_FLAGS_NO_PORT_MONITOR | CB_CONTEXT_FLAGS_ARM_ON_DEMAND | \
                      CB_CONTEXT_FLAGS_UNATTENDED)

typedef struct
{
  CbTestSandbox *ts;
  CbProfile     *profile;
  CbSecrets     *secrets;
  CbContext     *context;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  cb_sandbox_seed_demo (f->ts->sandbox, &error);
  g_assert_no_error (error);
  f->profile = cb_sandbox_create_profile (f->ts->sandbox);
  f->secrets = cb_secrets_new_memory ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->context != NULL)
    cb_context_shutdown (f->context);
  g_clear_object (&f->context);
  g_clear_object (&f->secrets);
  g_clear_object (&f->profile);
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
}

static gboolean
sign_in_arm (CbContext  *context,
             GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_context_sign_in_arm_async (context, NULL, cb_test_store_result_cb, &result);
  return cb_context_sign_in_arm_finish (context, cb_test_wait_for (&result), error);
}

/* Started, a command line's context has its HTTP and DPS clients at once, with the unattended
 * limits, no port monitor and no ARM; ARM comes when asked, and only then the ADR and hub. */
static void
test_arm_on_demand (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->context = cb_context_new_for_profile (f->profile, NULL, f->secrets, COMMAND_LINE);
  g_assert_cmpint (cb_context_get_flags (f->context), ==, COMMAND_LINE);
  cb_context_start (f->context);

  g_assert_null (cb_context_get_port_monitor (f->context));
  g_assert_cmpint (cb_context_get_state (f->context), ==, CB_CONTEXT_STATE_SIGNED_OUT);
  g_assert_nonnull (cb_context_get_http (f->context));
  g_assert_cmpuint (cb_http_client_get_max_delay (cb_context_get_http (f->context)), ==, 10);
  g_assert_nonnull (cb_context_get_dps (f->context));
  g_assert_null (cb_context_get_adr (f->context));
  g_assert_null (cb_context_get_hub (f->context));
  g_assert_null (cb_context_get_dps_service (f->context));

  g_assert_true (sign_in_arm (f->context, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cb_context_get_state (f->context), ==, CB_CONTEXT_STATE_READY);
  g_assert_nonnull (cb_context_get_adr (f->context));
  g_assert_nonnull (cb_context_get_hub (f->context));
  g_assert_nonnull (cb_context_get_dps_service (f->context));

  /* Signed in once is enough. */
  g_assert_true (sign_in_arm (f->context, &error));
  g_assert_no_error (error);
}

/* The app's context from the same constructor: the port monitor, and signed in at start. */
static void
test_app_flags (Fixture       *f,
                gconstpointer  data)
{
  f->context = cb_context_new_for_profile (f->profile, NULL, f->secrets, CB_CONTEXT_FLAGS_NONE);
  g_assert_nonnull (cb_context_get_port_monitor (f->context));
  cb_context_start (f->context);
  g_assert_nonnull (cb_context_get_adr (f->context));
  g_assert_cmpuint (cb_http_client_get_max_delay (cb_context_get_http (f->context)), ==, 30);
  while (cb_context_get_state (f->context) == CB_CONTEXT_STATE_STARTING)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (cb_context_get_state (f->context), ==, CB_CONTEXT_STATE_READY);
}

/* Enrollments are read in the model of the profile's namespace: once signed in, the DPS service
 * client knows it (a command line's next call may read an enrollment at once), and the app's
 * context learns it too once it is ready. */
static void
test_dps_follows_model (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbContext) preview = NULL;
  gint64 deadline;

  cb_profile_set_namespace (f->profile, "demo-stable-ns");
  f->context = cb_context_new_for_profile (f->profile, NULL, f->secrets, COMMAND_LINE);
  cb_context_start (f->context);
  g_assert_true (sign_in_arm (f->context, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cb_dps_service_client_get_model (cb_context_get_dps_service (f->context)), ==,
                   CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
  cb_context_shutdown (f->context);
  g_clear_object (&f->context);

  /* The demo's own namespace is in the credential model. */
  cb_profile_set_namespace (f->profile, "demo-ns");
  preview = cb_context_new_for_profile (f->profile, NULL, f->secrets, COMMAND_LINE);
  cb_context_start (preview);
  g_assert_true (sign_in_arm (preview, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cb_dps_service_client_get_model (cb_context_get_dps_service (preview)), ==,
                   CB_ADR_MODEL_CREDENTIAL);
  cb_context_shutdown (preview);

  /* The app's context, signed in at start. */
  cb_profile_set_namespace (f->profile, "demo-stable-ns");
  f->context = cb_context_new_for_profile (f->profile, NULL, f->secrets, CB_CONTEXT_FLAGS_NONE);
  cb_context_start (f->context);
  /* A bounded wait that never blocks on the loop. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (cb_dps_service_client_get_model (cb_context_get_dps_service (f->context)) ==
           CB_ADR_MODEL_UNKNOWN && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10 * 1000);
  g_assert_cmpint (cb_context_get_state (f->context), ==, CB_CONTEXT_STATE_READY);
  g_assert_cmpint (cb_dps_service_client_get_model (cb_context_get_dps_service (f->context)), ==,
                   CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
}

/* The station takes an enrollment group of the stable model too: its key and the certificate
 * policy it names (certificatePolicyName, beside its ICA and namespace). */
static void
test_station_stable_group (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) info = NULL;
  g_autofree char *key = NULL;
  JsonArray *instances;

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/sandbox/info", NULL, NULL,
                                                  &info, NULL), ==, 200);
  instances = json_object_get_array_member (
    json_object_get_object_member (json_node_get_object (info), "dps"), "instances");
  for (guint i = 0; i < json_array_get_length (instances); i++)
    {
      JsonObject *dps = json_array_get_object_element (instances, i);

      if (g_strcmp0 (json_object_get_string_member (dps, "name"), "demo-stable-dps") != 0)
        continue;
      cb_profile_set_dps_name (f->profile, "demo-stable-dps");
      cb_profile_set_dps_id_scope (f->profile, json_object_get_string_member (dps, "idScope"));
      cb_profile_set_dps_host_name (f->profile, json_object_get_string_member (dps, "hostName"));
      cb_profile_set_dps_service_endpoint (f->profile,
                                           json_object_get_string_member (dps, "serviceEndpoint"));
    }
  g_assert_cmpstr (cb_profile_get_dps_name (f->profile), ==, "demo-stable-dps");
  cb_profile_set_namespace (f->profile, "demo-stable-ns");

  f->context = cb_context_new_for_profile (f->profile, NULL, f->secrets, COMMAND_LINE);
  cb_context_start (f->context);
  g_assert_true (sign_in_arm (f->context, &error));
  g_assert_no_error (error);

  cb_station_use_enrollment_group_async (f->context, "ca-line1", NULL, cb_test_store_result_cb,
                                         &result);
  g_assert_true (cb_station_use_enrollment_group_finish (f->context, cb_test_wait_for (&result),
                                                         &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cb_profile_get_enrollment_group_id (cb_context_get_profile (f->context)), ==,
                   "ca-line1");
  g_assert_cmpstr (cb_profile_get_credential_policy (cb_context_get_profile (f->context)), ==,
                   "thirty-days");
  g_clear_object (&result);
  cb_secrets_lookup_async (f->secrets, cb_profile_get_id (f->profile),
                           CB_SECRET_ENROLLMENT_GROUP_KEY, NULL, cb_test_store_result_cb,
                           &result);
  key = cb_secrets_lookup_finish (f->secrets, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (key);
}

/* A self-signed factory CA made by openssl, as PEM text. */
static char *
openssl_factory_ca (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cb-factory-XXXXXX", NULL);
  g_autofree char *key = g_build_filename (dir, "ca.key", NULL);
  g_autofree char *cert = g_build_filename (dir, "ca.pem", NULL);
  char *pem = NULL;

  cb_test_factory_ca (cert, key, "/CN=Factory CA");
  g_assert_true (g_file_get_contents (cert, &pem, NULL, NULL));
  g_unlink (key);
  g_unlink (cert);
  g_rmdir (dir);
  return pem;
}

/* A station on an X.509 enrollment group: its devices register with their own certificates,
 * so the station keeps no key (and drops the one an earlier group left), and its runs are
 * configured without one. */
static void
test_station_x509_group (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autofree char *ca_pem = openssl_factory_ca ();
  g_autofree char *body = NULL;
  g_autofree char *key = NULL;
  g_autofree char *symmetric_group = g_strdup (cb_profile_get_enrollment_group_id (f->profile));
  JsonBuilder *b;

  f->context = cb_context_new_for_profile (f->profile, NULL, f->secrets, COMMAND_LINE);
  cb_context_start (f->context);
  g_assert_true (sign_in_arm (f->context, &error));
  g_assert_no_error (error);

  /* A symmetric key group first: its key goes to the keyring. */
  cb_station_use_enrollment_group_async (f->context, symmetric_group, NULL,
                                         cb_test_store_result_cb, &result);
  g_assert_true (cb_station_use_enrollment_group_finish (f->context, cb_test_wait_for (&result),
                                                         &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "enrollmentGroupId");
  json_builder_add_string_value (b, "x509-line");
  json_builder_set_member_name (b, "credentialPolicyName");
  json_builder_add_string_value (b, cb_profile_get_credential_policy (f->profile));
  json_builder_set_member_name (b, "attestation");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "x509");
  json_builder_set_member_name (b, "x509");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "signingCertificates");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "primary");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "certificate");
  json_builder_add_string_value (b, ca_pem);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  group = json_node_dup_object (root);
  g_object_unref (b);
  cb_dps_service_client_put_async (cb_context_get_dps_service (f->context),
                                   CB_DPS_ENROLLMENT_GROUP, "x509-line", group, NULL, NULL,
                                   cb_test_store_result_cb, &result);
  created = cb_dps_service_client_enrollment_finish (cb_context_get_dps_service (f->context),
                                                     cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (created);
  g_clear_object (&result);

  cb_station_use_enrollment_group_async (f->context, "x509-line", NULL, cb_test_store_result_cb,
                                         &result);
  g_assert_true (cb_station_use_enrollment_group_finish (f->context, cb_test_wait_for (&result),
                                                         &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpstr (cb_profile_get_enrollment_group_id (cb_context_get_profile (f->context)), ==,
                   "x509-line");

  cb_secrets_lookup_async (f->secrets, cb_profile_get_id (f->profile),
                           CB_SECRET_ENROLLMENT_GROUP_KEY, NULL, cb_test_store_result_cb,
                           &result);
  key = cb_secrets_lookup_finish (f->secrets, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_null (key);
  g_clear_object (&result);

  cb_station_make_config_async (f->context, "{serial}", NULL, cb_test_store_result_cb, &result);
  config = cb_station_make_config_finish (f->context, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_null (config->group_key);
}

static void
test_no_arm (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->context = cb_context_new_for_profile (f->profile, NULL, f->secrets,
                                           COMMAND_LINE | CB_CONTEXT_FLAGS_NO_ARM);
  cb_context_start (f->context);
  g_assert_nonnull (cb_context_get_dps (f->context));

  g_assert_false (sign_in_arm (f->context, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_null (cb_context_get_adr (f->context));
  g_assert_null (cb_context_get_hub (f->context));
  g_assert_cmpint (cb_context_get_state (f->context), ==, CB_CONTEXT_STATE_SIGNED_OUT);
}

/* The reasons certbench-cli prints after "ARM: ". */
static void
test_arm_reasons (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CbProfile) no_subscription = cb_sandbox_create_profile (f->ts->sandbox);
  g_autoptr(CbContext) other = NULL;
  g_autoptr(GError) error = NULL;

  cb_profile_set_subscription_id (no_subscription, NULL);
  other = cb_context_new_for_profile (no_subscription, NULL, f->secrets, COMMAND_LINE);
  cb_context_start (other);
  g_assert_false (sign_in_arm (other, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (error->message, ==, "the profile has no ARM subscription");
  g_clear_error (&error);
  cb_context_shutdown (other);

  /* The sandbox is gone: the sign-in fails, and says why. */
  f->context = cb_context_new_for_profile (f->profile, NULL, f->secrets, COMMAND_LINE);
  cb_context_start (f->context);
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_assert_false (sign_in_arm (f->context, &error));
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "not signed in to ARM ("));
  g_assert_true (g_str_has_suffix (error->message, ")"));
  g_assert_null (cb_context_get_adr (f->context));
}

static CbProfile *
discover (const char  *url,
          const char  *dir,
          char       **out_base_url,
          char       **out_group_key,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_sandbox_discover_async (url, dir, NULL, cb_test_store_result_cb, &result);
  return cb_sandbox_discover_finish (cb_test_wait_for (&result), out_base_url, out_group_key,
                                     error);
}

/* A running sandbox named by its URL, trusted through the CA in its folder: its profile and its
 * demo group key. */
static void
test_discover_named (Fixture       *f,
                     gconstpointer  data)
{
  const char *url = cb_sandbox_get_base_url (f->ts->sandbox);
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *group_key = NULL;
  g_autofree char *expected_key = NULL;

  profile = discover (url, f->ts->data_dir, &base_url, &group_key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (profile);
  g_assert_cmpstr (base_url, ==, url);
  g_assert_cmpint (cb_profile_get_kind (profile), ==, CB_PROFILE_KIND_SANDBOX);
  g_assert_cmpstr (cb_profile_get_hub_host_name (profile), ==,
                   cb_profile_get_hub_host_name (f->profile));
  expected_key = cb_sandbox_dup_enrollment_group_key (f->ts->sandbox,
                                                      cb_profile_get_dps_name (f->profile),
                                                      cb_profile_get_enrollment_group_id (
                                                        f->profile));
  g_assert_nonnull (group_key);
  g_assert_cmpstr (group_key, ==, expected_key);
}

/* Nothing named and no CA in the folder: not found, so the caller starts a sandbox. A named URL
 * that does not answer is an error that says where. */
static void
test_discover_none (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *empty = g_dir_make_tmp ("cb-discovery-XXXXXX", NULL);
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = NULL;

  profile = discover (NULL, empty, &base_url, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (profile);
  g_assert_null (base_url);
  g_clear_error (&error);

  profile = discover ("https://127.0.0.1:1", f->ts->data_dir, NULL, NULL, &error);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "The sandbox at https://127.0.0.1:1 (CA "));
  g_assert_nonnull (strstr (error->message, "does not answer"));
  g_assert_null (profile);

  cb_test_remove_tree (empty);
}

/* Interrupted while it looks at the default URL: cancelled, not "nothing runs" (which would
 * start a sandbox). */
static void
test_discover_cancelled (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  cb_sandbox_discover_async (NULL, f->ts->data_dir, cancellable, cb_test_store_result_cb,
                             &result);
  profile = cb_sandbox_discover_finish (cb_test_wait_for (&result), NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (profile);
}

/* The process's default proxy resolver, ranked above GIO's modules: it counts the lookups it
 * is asked and answers "direct", so a session that consults the system's proxy settings shows. */
typedef struct
{
  GObject parent_instance;
} CountingProxyResolver;

typedef GObjectClass CountingProxyResolverClass;

static guint n_proxy_lookups;

static void counting_proxy_resolver_iface_init (GProxyResolverInterface *iface);
GType counting_proxy_resolver_get_type (void);

G_DEFINE_TYPE_WITH_CODE (CountingProxyResolver, counting_proxy_resolver, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_PROXY_RESOLVER,
                                                counting_proxy_resolver_iface_init))

static gboolean
counting_proxy_resolver_is_supported (GProxyResolver *resolver)
{
  return TRUE;
}

static char **
counting_proxy_resolver_lookup (GProxyResolver  *resolver,
                                const char      *uri,
                                GCancellable    *cancellable,
                                GError         **error)
{
  char *direct[] = { (char *) "direct://", NULL };

  g_atomic_int_inc (&n_proxy_lookups);
  return g_strdupv (direct);
}

static void
counting_proxy_resolver_lookup_async (GProxyResolver      *resolver,
                                      const char          *uri,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);

  g_task_return_pointer (task, counting_proxy_resolver_lookup (resolver, uri, NULL, NULL),
                         (GDestroyNotify) g_strfreev);
}

static char **
counting_proxy_resolver_lookup_finish (GProxyResolver  *resolver,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
counting_proxy_resolver_iface_init (GProxyResolverInterface *iface)
{
  iface->is_supported = counting_proxy_resolver_is_supported;
  iface->lookup = counting_proxy_resolver_lookup;
  iface->lookup_async = counting_proxy_resolver_lookup_async;
  iface->lookup_finish = counting_proxy_resolver_lookup_finish;
}

static void
counting_proxy_resolver_class_init (CountingProxyResolverClass *klass)
{
}

static void
counting_proxy_resolver_init (CountingProxyResolver *self)
{
}

/* The sandbox answers on loopback: asking the system's proxy resolver first would load GIO's
 * proxy modules (GNOME settings through dconf, libproxy and its lookup thread) before the
 * process's first connection, for a URL no proxy serves. */
static void
test_discover_no_proxy (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  /* Ours is the default, or the test proves nothing. */
  g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (g_proxy_resolver_get_default (),
                                             counting_proxy_resolver_get_type ()));
  n_proxy_lookups = 0;
  profile = discover (cb_sandbox_get_base_url (f->ts->sandbox), f->ts->data_dir, NULL, NULL,
                      &error);
  g_assert_no_error (error);
  g_assert_nonnull (profile);
  g_assert_cmpuint (g_atomic_int_get (&n_proxy_lookups), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *data = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Before anything asks GIO for its default proxy resolver (the choice is made once). */
  g_io_extension_point_register (G_PROXY_RESOLVER_EXTENSION_POINT_NAME);
  g_io_extension_point_implement (G_PROXY_RESOLVER_EXTENSION_POINT_NAME,
                                  counting_proxy_resolver_get_type (), "cb-test-counting", 1000);
  /* The sandbox station's choice is written under the user's data folder: a private one. */
  data = g_dir_make_tmp ("cb-context-data-XXXXXX", NULL);
  g_assert_nonnull (data);
  g_setenv ("XDG_DATA_HOME", data, TRUE);

  g_test_add ("/cb/context/command-line/arm-on-demand", Fixture, NULL, fixture_setup,
              test_arm_on_demand, fixture_teardown);
  g_test_add ("/cb/context/command-line/app-flags", Fixture, NULL, fixture_setup,
              test_app_flags, fixture_teardown);
  g_test_add ("/cb/context/command-line/dps-follows-model", Fixture, NULL, fixture_setup,
              test_dps_follows_model, fixture_teardown);
  g_test_add ("/cb/context/command-line/station-x509-group", Fixture, NULL, fixture_setup,
              test_station_x509_group, fixture_teardown);
  g_test_add ("/cb/context/command-line/station-stable-group", Fixture, NULL, fixture_setup,
              test_station_stable_group, fixture_teardown);
  g_test_add ("/cb/context/command-line/no-arm", Fixture, NULL, fixture_setup, test_no_arm,
              fixture_teardown);
  g_test_add ("/cb/context/command-line/arm-reasons", Fixture, NULL, fixture_setup,
              test_arm_reasons, fixture_teardown);
  g_test_add ("/cb/sandbox-discovery/named", Fixture, NULL, fixture_setup, test_discover_named,
              fixture_teardown);
  g_test_add ("/cb/sandbox-discovery/no-proxy", Fixture, NULL, fixture_setup,
              test_discover_no_proxy, fixture_teardown);
  g_test_add ("/cb/sandbox-discovery/none", Fixture, NULL, fixture_setup, test_discover_none,
              fixture_teardown);
  g_test_add ("/cb/sandbox-discovery/cancelled", Fixture, NULL, fixture_setup,
              test_discover_cancelled, fixture_teardown);

  status = g_test_run ();
  cb_test_remove_tree (data);
  return status;
}
