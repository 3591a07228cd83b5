/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cb-csr.h"
#include "cb-dps-client.h"
#include "cb-http.h"
#include "cb-sandbox-client.h"
#include "cb-sandbox-profile.h"
#include "cb-sas.h"
#include "cb-sb-verdict.h"
#include "cb-test-arm.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"
#include "cb-util.h"

#define HUB_OWNER_KEY "Y2VydGJlbmNoLWRlbW8taW90aHVib3duZXIta2V5LTAx"
#define SUBSCRIPTION  "cb000000-0000-4000-8000-000000000001"

/* The stable model's namespace of the seed (docs/sandbox.md). */
#define CA_NS_PATH    "/arm/subscriptions/" SUBSCRIPTION "/resourceGroups/certbench-demo/" \
                      "providers/Microsoft.DeviceRegistry/namespaces/demo-stable-ns"
#define CA_STABLE     "api-version=2026-11-01"
#define CA_ID_SCOPE   "0ne00CB0CA1"
#define CA_GROUP_KEY  "Y2VydGJlbmNoLWRlbW8tY2EtZW5yb2xsbWVudC1rZXkx"
#define CA_DPS_KEY    "Y2VydGJlbmNoLWRlbW8tY2EtZHBzLW93bmVyLWtleTAx"

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
    /* One namespace per ADR model (issue 13): the preview one first. */
    g_assert_cmpuint (json_array_get_length (value), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (value, 0), "name"),
                     ==, "demo-ns");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (value, 1), "name"),
                     ==, "demo-stable-ns");
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

static JsonNode *
arm_get (CbTestSandbox *ts,
         const char    *path)
{
  g_autofree char *token = cb_sb_issue_token (ts->sandbox, "admin@sandbox.certbench.local",
                                              CB_SB_AUD_ARM, NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  JsonNode *json = NULL;

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", path, auth, NULL, &json, NULL), ==,
                    200);
  return json;
}

/* Registers registration_id through the stable group with a new key's CSR; the chain DPS
 * issued, as certificates. */
static GPtrArray *
register_stable (CbTestSandbox *ts,
                 const char    *registration_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autofree char *device_key = cb_sas_derive_device_key (CA_GROUP_KEY, registration_id, &error);
  g_autofree char *resource = g_strdup_printf (CA_ID_SCOPE "/registrations/%s", registration_id);
  g_autofree char *sas = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autofree char *csr = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = g_strdup_printf ("/dps/" CA_ID_SCOPE "/registrations/%s/register?"
                                           CA_STABLE, registration_id);
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *operation_id = NULL;
  gsize len = 0;
  const guchar *data;

  g_assert_no_error (error);
  sas = cb_sas_token_new (resource, device_key, "registration",
                          g_get_real_time () / G_USEC_PER_SEC + 600, CB_SAS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  der = cb_csr_create (key, registration_id, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (der, &len);
  csr = g_base64_encode (data, len);
  body = g_strdup_printf ("{\"registrationId\": \"%s\", \"csr\": \"%s\"}", registration_id, csr);

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "PUT", path, sas, body, &reply, NULL), ==,
                    202);
  operation_id = g_strdup (cb_test_jstr (reply, "operationId"));
  g_assert_nonnull (operation_id);

  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *poll = g_strdup_printf ("/dps/" CA_ID_SCOPE "/registrations/%s/operations/%s?"
                                               CA_STABLE, registration_id, operation_id);
      g_autoptr(JsonNode) state = NULL;
      guint status = cb_test_sandbox_request_json (ts, "GET", poll, sas, NULL, &state, NULL);
      GPtrArray *chain;
      JsonArray *array;

      if (status == 202)
        {
          g_usleep (10 * 1000);
          continue;
        }
      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpstr (cb_test_jstr (state, "status"), ==, "assigned");
      g_assert_cmpstr (cb_test_jstr (state, "registrationState.assignedHub"), ==,
                       "demo-stable-hub.azure-devices.net");

      array = json_node_get_array (cb_test_jget (state, "registrationState.issuedCertificateChain"));
      chain = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint j = 0; j < json_array_get_length (array); j++)
        {
          gsize raw_len = 0;
          g_autofree guchar *raw = g_base64_decode (json_array_get_string_element (array, j),
                                                    &raw_len);
          g_autoptr(GBytes) cert_der = g_bytes_new (raw, raw_len);
          CbCertificate *cert = cb_certificate_new_from_der (cert_der, &error);

          g_assert_no_error (error);
          g_ptr_array_add (chain, cert);
        }
      return chain;
    }

  g_error ("The registration of %s never finished", registration_id);
  return NULL;
}

/* Beside the preview namespace, the seed makes one in the stable 2026-11-01 model: root,
 * Microsoft-issued ICA, a 30-day policy under it, its hub and DPS linked, and an enrollment
 * group naming namespace, ICA and policy, through which a CSR gets [leaf, ICA, root]. */
static void
test_stable_namespace (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(JsonNode) ns = NULL;
  g_autoptr(JsonNode) cas = NULL;
  g_autoptr(JsonNode) ica = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) policy = NULL;
  g_autoptr(JsonNode) group = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dps_sas = NULL;
  JsonArray *value;
  CbSbVerdict verdict;

  seed (ts);

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/sandbox/info", NULL, NULL, &info,
                                                  NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (info, "demo.stableNamespace.namespace"), ==, "demo-stable-ns");
  g_assert_cmpstr (cb_test_jstr (info, "demo.stableNamespace.ica"), ==, "demo-ica");
  g_assert_cmpstr (cb_test_jstr (info, "demo.stableNamespace.policy"), ==, "thirty-days");
  g_assert_cmpstr (cb_test_jstr (info, "demo.stableNamespace.hub"), ==, "demo-stable-hub");
  g_assert_cmpstr (cb_test_jstr (info, "demo.stableNamespace.dps"), ==, "demo-stable-dps");
  g_assert_cmpstr (cb_test_jstr (info, "demo.stableNamespace.idScope"), ==, CA_ID_SCOPE);
  g_assert_cmpstr (cb_test_jstr (info, "demo.stableNamespace.enrollmentGroup"), ==, "ca-line1");
  g_assert_cmpstr (cb_test_jstr (info, "demo.stableNamespace.enrollmentGroupKey"), ==, CA_GROUP_KEY);
  /* The preview namespace's names are where they were. */
  g_assert_cmpstr (cb_test_jstr (info, "demo.namespace"), ==, "demo-ns");
  g_assert_cmpstr (cb_test_jstr (info, "demo.hub"), ==, "demo-hub");

  ns = arm_get (ts, CA_NS_PATH "?" CA_STABLE);
  g_assert_cmpstr (cb_test_jstr (ns, "properties.provisioningState"), ==, "Succeeded");
  g_assert_cmpstr (cb_test_jstr (ns, "properties.messaging.endpoints.demo-stable-hub.linkingState"), ==,
                   "Succeeded");
  g_assert_cmpstr (cb_test_jstr (ns, "properties.provisioning.endpoints.demo-stable-dps.linkingState"), ==,
                   "Succeeded");

  cas = arm_get (ts, CA_NS_PATH "/certificateAuthorities?" CA_STABLE);
  value = json_object_get_array_member (json_node_get_object (cas), "value");
  g_assert_cmpuint (json_array_get_length (value), ==, 2);

  root = arm_get (ts, CA_NS_PATH "/certificateAuthorities/demo-root?" CA_STABLE);
  g_assert_cmpstr (cb_test_jstr (root, "properties.certificateAuthorityType"), ==, "Root");
  g_assert_cmpstr (cb_test_jstr (root, "properties.provisioningState"), ==, "Succeeded");

  ica = arm_get (ts, CA_NS_PATH "/certificateAuthorities/demo-ica?" CA_STABLE);
  g_assert_cmpstr (cb_test_jstr (ica, "properties.certificateAuthorityType"), ==, "ICA");
  g_assert_cmpstr (cb_test_jstr (ica, "properties.provisioningState"), ==, "Succeeded");
  g_assert_cmpstr (cb_test_jstr (ica, "properties.issuer.issuerType"), ==, "Microsoft");
  g_assert_cmpstr (cb_test_jstr (ica, "properties.issuer.certificateAuthorityResourceId"), ==,
                   cb_test_jstr (root, "id"));

  policy = arm_get (ts, CA_NS_PATH "/certificateAuthorities/demo-ica/certificatePolicies/"
                    "thirty-days?" CA_STABLE);
  g_assert_cmpstr (cb_test_jstr (policy, "properties.provisioningState"), ==, "Succeeded");
  g_assert_cmpint (json_node_get_int (cb_test_jget (policy, "properties.certificate.validityPeriodInDays")),
                   ==, 30);

  dps_sas = cb_sas_token_new ("demo-stable-dps.azure-devices-provisioning.net", CA_DPS_KEY,
                              "provisioningserviceowner", g_get_real_time () / G_USEC_PER_SEC + 3600,
                              CB_SAS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/dps-service/demo-stable-dps/"
                                                  "enrollmentGroups/ca-line1?" CA_STABLE, dps_sas,
                                                  NULL, &group, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (group, "namespaceName"), ==, "demo-stable-ns");
  g_assert_cmpstr (cb_test_jstr (group, "certificateAuthorityName"), ==, "demo-ica");
  g_assert_cmpstr (cb_test_jstr (group, "certificatePolicyName"), ==, "thirty-days");
  g_assert_cmpstr (cb_test_jstr (group, "attestation.symmetricKey.primaryKey"), ==, CA_GROUP_KEY);

  /* [leaf, ICA, root]: the ICA's subject is the one ARM shows, the root signs itself. */
  chain = register_stable (ts, "ca-device-0001");
  g_assert_cmpuint (chain->len, ==, 3);
  g_assert_cmpstr (cb_certificate_get_common_name (g_ptr_array_index (chain, 0)), ==,
                   "ca-device-0001");
  g_assert_true (cb_certificate_is_issued_by (g_ptr_array_index (chain, 0),
                                              g_ptr_array_index (chain, 1)));
  g_assert_cmpstr (cb_certificate_get_subject (g_ptr_array_index (chain, 1)), ==,
                   cb_test_jstr (ica, "properties.subject"));
  g_assert_true (cb_certificate_is_issued_by (g_ptr_array_index (chain, 1),
                                              g_ptr_array_index (chain, 2)));
  g_assert_cmpstr (cb_certificate_get_subject (g_ptr_array_index (chain, 2)), ==,
                   cb_test_jstr (root, "properties.subject"));
  g_assert_true (cb_certificate_is_issued_by (g_ptr_array_index (chain, 2),
                                              g_ptr_array_index (chain, 2)));

  /* The linked hub trusts what its namespace's ICA issued. */
  cb_sb_lock (ts->sandbox);
  verdict = cb_sb_check_device_chain (ts->sandbox, "demo-stable-hub", "ca-device-0001", chain, NULL);
  cb_sb_unlock (ts->sandbox);
  g_assert_cmpint (verdict, ==, CB_SB_VERDICT_ACCEPTED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/sandbox/seed/fleet-states", test_fleet_states);
  g_test_add_func ("/cb/sandbox/seed/idempotent-and-persistent", test_idempotent_and_persistent);
  g_test_add_func ("/cb/sandbox/seed/profile-drives-clients", test_profile_drives_clients);
  g_test_add_func ("/cb/sandbox/seed/stable-namespace", test_stable_namespace);

  return g_test_run ();
}
