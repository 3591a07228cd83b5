/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cb-dps-client.h"
#include "cb-http.h"
#include "cb-sandbox-client.h"
#include "cb-sandbox-profile.h"
#include "cb-sas.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"
#include "cb-util.h"

#define HUB_OWNER_KEY "Y2VydGJlbmNoLWRlbW8taW90aHVib3duZXIta2V5LTAx"
#define SUBSCRIPTION  "cb000000-0000-4000-8000-000000000001"

static char *
hub_sas (void)
{
  g_autoptr(GError) error = NULL;
  char *sas = cb_sas_token_new ("demo-hub.azure-devices.net", HUB_OWNER_KEY, "iothubowner",
                                g_get_real_time () / G_USEC_PER_SEC + 3600,
                                CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);

  g_assert_no_error (error);
  return sas;
}

static gint64
count (CbTestSandbox *ts,
       const char    *where)
{
  g_autofree char *sas = hub_sas ();
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *query = g_strdup_printf ("SELECT COUNT() AS n FROM devices%s%s",
                                            where != NULL ? " WHERE " : "", where ? where : "");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "query");
  json_builder_add_string_value (b, query);
  json_builder_end_object (b);
  {
    g_autoptr(JsonNode) root = json_builder_get_root (b);
    json_generator_set_root (gen, root);
  }
  body = json_generator_to_data (gen, NULL);

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "POST",
                                                  "/hubs/demo-hub/devices/query?api-version=2021-04-12",
                                                  sas, body, &json, NULL), ==, 200);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json)), ==, 1);
  return json_object_get_int_member (json_array_get_object_element (json_node_get_array (json), 0), "n");
}

static void
seed (CbTestSandbox *ts)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cb_sandbox_seed_demo (ts->sandbox, &error));
  g_assert_no_error (error);
}

static void
test_fleet_states (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autofree char *now = cb_time_format_fixed (g_get_real_time () / G_USEC_PER_SEC);
  g_autofree char *expired_where = NULL;
  g_autofree char *healthy_where = NULL;
  gint64 total, not_reporting, expired, healthy, renewal_due;

  seed (ts);

  total = count (ts, NULL);
  not_reporting = count (ts, "NOT IS_DEFINED(properties.reported.certificate.validUntil)");
  expired_where = g_strdup_printf ("properties.reported.certificate.validUntil < '%s'", now);
  expired = count (ts, expired_where);
  healthy_where = g_strdup_printf ("properties.reported.certificate.validUntil >= '%s'", now);
  healthy = count (ts, healthy_where);
  renewal_due = healthy;

  g_test_message ("total %" G_GINT64_FORMAT ", not reporting %" G_GINT64_FORMAT
                  ", expired %" G_GINT64_FORMAT ", valid %" G_GINT64_FORMAT,
                  total, not_reporting, expired, healthy);

  /* The issue asks for at least 200 devices covering every state the fleet view shows. */
  g_assert_cmpint (total, >=, 200);
  g_assert_cmpint (not_reporting, >, 0);
  g_assert_cmpint (expired, >, 0);
  g_assert_cmpint (healthy, >, 0);
  g_assert_cmpint (not_reporting + expired + healthy, ==, total);

  /* Past the renewal point (80 % of 30 days = 24 days after validFrom) but not expired. */
  {
    g_autofree char *cut = cb_time_format_fixed (g_get_real_time () / G_USEC_PER_SEC - 24 * 86400);
    g_autofree char *where = g_strdup_printf ("properties.reported.certificate.validFrom <= '%s' AND "
                                              "properties.reported.certificate.validUntil >= '%s'",
                                              cut, now);
    renewal_due = count (ts, where);
  }
  g_assert_cmpint (renewal_due, >, 0);
  g_assert_cmpint (renewal_due, <, healthy);
}

static void
test_idempotent_and_persistent (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(JsonNode) namespaces = NULL;
  g_autofree char *token = NULL;
  JsonObject *demo;
  gint64 before;

  seed (ts);
  before = count (ts, NULL);
  seed (ts);
  g_assert_cmpint (count (ts, NULL), ==, before);

  cb_test_sandbox_restart (ts);
  seed (ts);
  g_assert_cmpint (count (ts, NULL), ==, before);

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/sandbox/info", NULL, NULL, &info,
                                                  NULL), ==, 200);
  demo = json_object_get_object_member (json_node_get_object (info), "demo");
  g_assert_nonnull (demo);
  g_assert_cmpstr (json_object_get_string_member (demo, "idScope"), ==, "0ne00CB0DE1");
  g_assert_cmpstr (json_object_get_string_member (demo, "enrollmentGroup"), ==, "factory-line-1");

  /* The seeded admin may list the namespace through ARM. */
  token = cb_sb_issue_token (ts->sandbox, "admin@sandbox.certbench.local", CB_SB_AUD_ARM, NULL);
  g_assert_nonnull (token);
  {
    g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
    JsonArray *value;

    g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET",
                                                    "/arm/subscriptions/" SUBSCRIPTION "/providers/"
                                                    "Microsoft.DeviceRegistry/namespaces"
                                                    "?api-version=2026-03-01-preview",
                                                    auth, NULL, &namespaces, NULL), ==, 200);
    value = json_object_get_array_member (json_node_get_object (namespaces), "value");
    g_assert_cmpuint (json_array_get_length (value), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (value, 0), "name"),
                     ==, "demo-ns");
  }
}


/* The sandbox's own profile is enough for the real clients: endpoints, names, pinned CA. */
static void
test_profile_drives_clients (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbHttpClient) http = NULL;
  g_autoptr(CbDpsClient) dps = NULL;
  g_autoptr(CbDpsRegistration) registration = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *group_key = NULL;
  g_autofree char *expected_hub = NULL;
  GPtrArray *chain;

  seed (ts);
  profile = cb_sandbox_create_profile (ts->sandbox);

  g_assert_cmpint (cb_profile_get_kind (profile), ==, CB_PROFILE_KIND_SANDBOX);
  g_assert_cmpstr (cb_profile_get_subscription_id (profile), ==, SUBSCRIPTION);
  g_assert_cmpstr (cb_profile_get_resource_group (profile), ==, "certbench-demo");
  g_assert_cmpstr (cb_profile_get_namespace (profile), ==, "demo-ns");
  g_assert_cmpstr (cb_profile_get_hub_name (profile), ==, "demo-hub");
  g_assert_cmpstr (cb_profile_get_hub_host_name (profile), ==, "demo-hub.azure-devices.net");
  g_assert_cmpstr (cb_profile_get_dps_id_scope (profile), ==, "0ne00CB0DE1");
  g_assert_cmpstr (cb_profile_get_enrollment_group_id (profile), ==, "factory-line-1");
  g_assert_cmpstr (cb_profile_get_credential_policy (profile), ==, "default");
  g_assert_cmpstr (cb_profile_get_pinned_ca_file (profile), ==, cb_sandbox_get_ca_file (ts->sandbox));
  g_assert_true (g_str_has_prefix (cb_profile_get_arm_endpoint (profile),
                                   cb_sandbox_get_base_url (ts->sandbox)));

  group_key = cb_sandbox_dup_enrollment_group_key (ts->sandbox, cb_profile_get_dps_name (profile),
                                                   cb_profile_get_enrollment_group_id (profile));
  g_assert_nonnull (group_key);

  http = cb_http_client_new (profile, &error);
  g_assert_no_error (error);
  dps = cb_dps_client_new (profile, http);

  key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  csr = cb_csr_create (key, "profile-0001", &error);
  g_assert_no_error (error);

  cb_dps_client_register_async (dps, "profile-0001", group_key, CB_DPS_KEY_ENROLLMENT_GROUP, csr,
                                NULL, NULL, cb_test_store_result_cb, &result);
  registration = cb_dps_client_register_finish (dps, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_dps_registration_get_status (registration), ==, "assigned");
  g_assert_cmpstr (cb_dps_registration_get_assigned_hub (registration), ==,
                   cb_profile_get_hub_host_name (profile));
  chain = cb_dps_registration_get_issued_chain (registration);
  g_assert_nonnull (chain);
  g_assert_cmpuint (chain->len, ==, 3);

  /* The sandbox serves the namespace root on its own: it is the root DPS handed out. */
  {
    g_autoptr(GBytes) pem = NULL;
    g_autoptr(CbCertificate) served = NULL;
    g_autoptr(CbCertificate) issued = NULL;
    gsize len;
    const char *data;

    g_assert_cmpuint (cb_test_sandbox_request (ts, "GET", "/sandbox/namespaces/demo-ns/root.pem",
                                               NULL, NULL, NULL, &pem, NULL), ==, 200);
    data = g_bytes_get_data (pem, &len);
    served = cb_certificate_new_from_pem (data, len, &error);
    g_assert_no_error (error);
    issued = cb_certificate_new_from_der (g_ptr_array_index (chain, 2), &error);
    g_assert_no_error (error);
    g_assert_true (cb_certificate_equal (served, issued));

    g_assert_cmpuint (cb_test_sandbox_request (ts, "GET", "/sandbox/namespaces/no-such-ns/root.pem",
                                               NULL, NULL, NULL, NULL, NULL), ==, 404);
  }

  /* The same through core, as the app and the CLI ask. */
  {
    g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr(GAsyncResult) verdict_result = NULL;
    g_autoptr(GAsyncResult) root_result = NULL;
    g_autoptr(CbChainVerdict) verdict = NULL;
    g_autoptr(CbCertificate) root = NULL;
    g_autoptr(CbCertificate) issued_root = NULL;

    g_assert_cmpstr (cb_profile_get_sandbox_endpoint (profile), ==,
                     cb_sandbox_get_base_url (ts->sandbox));

    for (guint i = 0; i < 2; i++)
      {
        CbCertificate *cert = cb_certificate_new_from_der (g_ptr_array_index (chain, i), &error);
        g_assert_no_error (error);
        g_ptr_array_add (certs, cert);
      }

    cb_sandbox_client_check_chain_async (http, profile, "profile-0001", certs, NULL,
                                         cb_test_store_result_cb, &verdict_result);
    verdict = cb_sandbox_client_check_chain_finish (cb_test_wait_for (&verdict_result), &error);
    g_assert_no_error (error);
    g_assert_true (verdict->accepted);
    g_assert_cmpstr (verdict->verdict, ==, "accepted");

    cb_sandbox_client_get_root_async (http, profile, "demo-ns", NULL, cb_test_store_result_cb,
                                      &root_result);
    root = cb_sandbox_client_get_root_finish (cb_test_wait_for (&root_result), &error);
    g_assert_no_error (error);
    issued_root = cb_certificate_new_from_der (g_ptr_array_index (chain, 2), &error);
    g_assert_no_error (error);
    g_assert_true (cb_certificate_equal (root, issued_root));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/sandbox/seed/fleet-states", test_fleet_states);
  g_test_add_func ("/cb/sandbox/seed/idempotent-and-persistent", test_idempotent_and_persistent);
  g_test_add_func ("/cb/sandbox/seed/profile-drives-clients", test_profile_drives_clients);

  return g_test_run ();
}
