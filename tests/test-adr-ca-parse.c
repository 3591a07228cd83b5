/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The parsers of ADR's 2026-11-01 model: certificate authorities, certificate policies under an
 * ICA, and a namespace's linked hubs and DPS. The literals follow the shapes of the REST spec's
 * definitions (stable/2026-11-01/deviceregistry.json); the example files themselves run against
 * the sandbox in test-sandbox-adr-examples. */
#include "config.h"

#include "cb-certificate-authority.h"
#include "cb-error.h"
#include "cb-namespace.h"
#include "cb-policy.h"

#define NS_ID "/subscriptions/s-1/resourceGroups/rg-7/providers/Microsoft.DeviceRegistry/namespaces/factory-ns"

static JsonNode *
parse_literal (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static gint64
unix_of (const char *iso)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (iso, NULL);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt);
}

static CbCertificateAuthority *
parse_ca (const char *json)
{
  g_autoptr(JsonNode) node = parse_literal (json);
  g_autoptr(GError) error = NULL;
  CbCertificateAuthority *ca = cb_certificate_authority_new_from_json (node, &error);

  g_assert_no_error (error);
  g_assert_true (CB_IS_CERTIFICATE_AUTHORITY (ca));
  return ca;
}

static void
test_root (void)
{
  g_autoptr(CbCertificateAuthority) ca = parse_ca (
    "{\"id\": \"" NS_ID "/certificateAuthorities/line-root\", \"name\": \"line-root\","
    " \"type\": \"Microsoft.DeviceRegistry/namespaces/certificateAuthorities\","
    " \"location\": \"westeurope\","
    " \"properties\": {\"provisioningState\": \"Succeeded\", \"uuid\": \"u-1\","
    "   \"certificateAuthorityType\": \"Root\", \"keyType\": \"ECC\", \"subject\": \"CN=line-root\","
    "   \"validityNotBefore\": \"2026-02-01T00:00:00Z\", \"validityNotAfter\": \"2036-02-01T00:00:00Z\"}}");

  g_assert_cmpstr (cb_certificate_authority_get_name (ca), ==, "line-root");
  g_assert_cmpstr (cb_certificate_authority_get_namespace (ca), ==, "factory-ns");
  g_assert_cmpint (cb_certificate_authority_get_kind (ca), ==, CB_CA_KIND_ROOT);
  g_assert_cmpint (cb_certificate_authority_get_issuer (ca), ==, CB_CA_ISSUER_NONE);
  g_assert_null (cb_certificate_authority_get_issuer_ca_id (ca));
  g_assert_cmpstr (cb_certificate_authority_get_subject (ca), ==, "CN=line-root");
  g_assert_cmpint (cb_certificate_authority_get_not_before (ca), ==, unix_of ("2026-02-01T00:00:00Z"));
  g_assert_cmpint (cb_certificate_authority_get_not_after (ca), ==, unix_of ("2036-02-01T00:00:00Z"));
  /* A root issues ICAs, never a device's leaf. */
  g_assert_false (cb_certificate_authority_can_issue (ca));
}

static void
test_microsoft_ica (void)
{
  g_autoptr(CbCertificateAuthority) ca = parse_ca (
    "{\"id\": \"" NS_ID "/certificateAuthorities/line-ica\", \"name\": \"line-ica\","
    " \"properties\": {\"provisioningState\": \"Succeeded\", \"certificateAuthorityType\": \"ICA\","
    "   \"keyType\": \"ECC\", \"subject\": \"CN=line-ica\","
    "   \"issuer\": {\"issuerType\": \"Microsoft\","
    "     \"certificateAuthorityResourceId\": \"" NS_ID "/certificateAuthorities/line-root\"},"
    "   \"validityNotBefore\": \"2026-02-01T00:00:00Z\", \"validityNotAfter\": \"2028-02-01T00:00:00Z\"}}");

  g_assert_cmpint (cb_certificate_authority_get_kind (ca), ==, CB_CA_KIND_INTERMEDIATE);
  g_assert_cmpint (cb_certificate_authority_get_issuer (ca), ==, CB_CA_ISSUER_MICROSOFT);
  g_assert_cmpstr (cb_certificate_authority_get_issuer_ca_id (ca), ==,
                   NS_ID "/certificateAuthorities/line-root");
  g_assert_null (cb_certificate_authority_get_csr (ca));
  g_assert_true (cb_certificate_authority_can_issue (ca));
}

#define EXTERNAL_ICA(status) \
    "{\"id\": \"" NS_ID "/certificateAuthorities/byo\", \"name\": \"byo\"," \
    " \"properties\": {\"provisioningState\": \"Succeeded\", \"certificateAuthorityType\": \"ICA\"," \
    "   \"keyType\": \"ECC\", \"subject\": \"CN=byo\"," \
    "   \"issuer\": {\"issuerType\": \"External\", \"status\": \"" status "\", \"thumbprint\": \"00AA\"," \
    "     \"certificateSigningRequest\": \"-----BEGIN CERTIFICATE REQUEST-----\\nMIIB\\n-----END CERTIFICATE REQUEST-----\\n\"}}}"

static void
test_external_ica (void)
{
  g_autoptr(CbCertificateAuthority) ca = parse_ca (EXTERNAL_ICA ("PendingActivation"));
  g_autoptr(CbCertificateAuthority) active = parse_ca (EXTERNAL_ICA ("Active"));

  g_assert_cmpint (cb_certificate_authority_get_issuer (ca), ==, CB_CA_ISSUER_EXTERNAL);
  g_assert_cmpstr (cb_certificate_authority_get_status (ca), ==, CB_CA_STATUS_PENDING_ACTIVATION);
  g_assert_cmpstr (cb_certificate_authority_get_thumbprint (ca), ==, "00AA");
  g_assert_true (g_str_has_prefix (cb_certificate_authority_get_csr (ca),
                                   "-----BEGIN CERTIFICATE REQUEST-----"));
  /* Not activated yet: no validity, and nothing issues under it. */
  g_assert_cmpint (cb_certificate_authority_get_not_before (ca), ==, 0);
  g_assert_false (cb_certificate_authority_can_issue (ca));
  g_assert_true (cb_certificate_authority_can_issue (active));
}

static void
test_malformed (void)
{
  const char *bad[] = {
    /* An ICA must say who issued it. */
    "{\"name\": \"x\", \"properties\": {\"certificateAuthorityType\": \"ICA\"}}",
    /* Unknown kinds and issuers are not guessed at. */
    "{\"name\": \"x\", \"properties\": {\"certificateAuthorityType\": \"Leaf\"}}",
    "{\"name\": \"x\", \"properties\": {\"certificateAuthorityType\": \"ICA\","
    " \"issuer\": {\"issuerType\": \"Somebody\"}}}",
    "{\"name\": \"x\", \"properties\": {\"certificateAuthorityType\": 7}}",
    "{\"name\": \"x\", \"properties\": {}}",
    "{\"properties\": {\"certificateAuthorityType\": \"Root\"}}",
    "{\"name\": \"x\", \"properties\": {\"certificateAuthorityType\": \"Root\","
    " \"validityNotAfter\": \"soon\"}}",
    "[]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) node = parse_literal (bad[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(CbCertificateAuthority) ca = cb_certificate_authority_new_from_json (node, &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (ca);
      g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
    }
}

static void
test_policy_under_ica (void)
{
  g_autoptr(CbCertificateAuthority) ca = parse_ca (
    "{\"id\": \"" NS_ID "/certificateAuthorities/byo\", \"name\": \"byo\","
    " \"properties\": {\"provisioningState\": \"Succeeded\", \"certificateAuthorityType\": \"ICA\","
    "   \"keyType\": \"ECC\", \"subject\": \"CN=byo\","
    "   \"validityNotBefore\": \"2026-03-01T00:00:00Z\", \"validityNotAfter\": \"2027-03-01T00:00:00Z\","
    "   \"issuer\": {\"issuerType\": \"External\", \"status\": \"Active\", \"thumbprint\": \"11BB\"}}}");
  g_autoptr(JsonNode) node = parse_literal (
    "{\"id\": \"" NS_ID "/certificateAuthorities/byo/certificatePolicies/thirty-days\","
    " \"name\": \"thirty-days\","
    " \"properties\": {\"provisioningState\": \"Succeeded\", \"uuid\": \"u-9\","
    "   \"certificate\": {\"validityPeriodInDays\": 30}}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbPolicy) policy = cb_policy_new_from_certificate_policy_json (node, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (cb_policy_get_name (policy), ==, "thirty-days");
  g_assert_cmpstr (cb_policy_get_namespace (policy), ==, "factory-ns");
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 30);
  g_assert_null (cb_policy_get_certificate_authority (policy));

  /* With its ICA attached, the policy reads like a preview policy with its issuing CA. */
  cb_policy_set_certificate_authority (policy, ca);
  g_assert_true (cb_policy_get_certificate_authority (policy) == ca);
  g_assert_cmpstr (cb_policy_get_ca_subject (policy), ==, "CN=byo");
  g_assert_cmpstr (cb_policy_get_key_type (policy), ==, "ECC");
  g_assert_cmpint (cb_policy_get_ca_not_after (policy), ==, unix_of ("2027-03-01T00:00:00Z"));
  g_assert_true (cb_policy_get_byor_enabled (policy));
  g_assert_cmpstr (cb_policy_get_byor_status (policy), ==, CB_POLICY_BYOR_ACTIVE);
  g_assert_cmpstr (cb_policy_get_byor_thumbprint (policy), ==, "11BB");
}

static void
test_policy_malformed (void)
{
  g_autoptr(JsonNode) node = parse_literal (
    "{\"name\": \"p\", \"properties\": {\"certificate\": {\"validityPeriodInDays\": -3}}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbPolicy) policy = cb_policy_new_from_certificate_policy_json (node, &error);

  g_assert_null (policy);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
}

static void
test_namespace_endpoints (void)
{
  g_autoptr(JsonNode) node = parse_literal (
    "{\"id\": \"" NS_ID "\", \"name\": \"factory-ns\", \"location\": \"westeurope\","
    " \"properties\": {\"provisioningState\": \"Failed\", \"uuid\": \"u-2\","
    "  \"messaging\": {\"endpoints\": {"
    "    \"line-hub\": {\"endpointType\": \"Microsoft.Devices/IotHubs\","
    "      \"resourceId\": \"/subscriptions/s-1/resourceGroups/rg-7/providers/Microsoft.Devices/IotHubs/line-hub-1\","
    "      \"inboundCallerIdentity\": {\"type\": \"SystemAssigned\"}, \"linkingState\": \"Failed\","
    "      \"linkingError\": {\"code\": \"LinkInitiateFailed\", \"message\": \"Grant access.\"}}}},"
    "  \"provisioning\": {\"endpoints\": {"
    "    \"line-dps\": {\"endpointType\": \"Microsoft.Devices/provisioningServices\","
    "      \"resourceId\": \"/subscriptions/s-1/resourceGroups/rg-7/providers/Microsoft.Devices/provisioningServices/line-dps-1\","
    "      \"linkingState\": \"Succeeded\"}}}}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbNamespace) ns = cb_namespace_new_from_json (node, &error);
  GPtrArray *endpoints;
  CbNamespaceEndpoint *hub, *dps;

  g_assert_no_error (error);
  g_assert_cmpint (cb_namespace_get_model (ns), ==, CB_ADR_MODEL_UNKNOWN);
  endpoints = cb_namespace_get_endpoints (ns);
  g_assert_cmpuint (endpoints->len, ==, 2);

  hub = g_ptr_array_index (endpoints, 0);
  g_assert_cmpint (cb_namespace_endpoint_get_kind (hub), ==, CB_ENDPOINT_MESSAGING);
  g_assert_cmpstr (cb_namespace_endpoint_get_name (hub), ==, "line-hub");
  g_assert_cmpstr (cb_namespace_endpoint_get_endpoint_type (hub), ==, CB_ENDPOINT_TYPE_IOT_HUB);
  g_assert_cmpstr (cb_namespace_endpoint_get_resource_name (hub), ==, "line-hub-1");
  g_assert_cmpstr (cb_namespace_endpoint_get_linking_state (hub), ==, CB_LINKING_FAILED);
  g_assert_cmpstr (cb_namespace_endpoint_get_linking_error_code (hub), ==, "LinkInitiateFailed");
  g_assert_cmpstr (cb_namespace_endpoint_get_linking_error_message (hub), ==, "Grant access.");

  dps = g_ptr_array_index (endpoints, 1);
  g_assert_cmpint (cb_namespace_endpoint_get_kind (dps), ==, CB_ENDPOINT_PROVISIONING);
  g_assert_cmpstr (cb_namespace_endpoint_get_resource_name (dps), ==, "line-dps-1");
  g_assert_cmpstr (cb_namespace_endpoint_get_linking_state (dps), ==, CB_LINKING_SUCCEEDED);
  g_assert_null (cb_namespace_endpoint_get_linking_error_code (dps));

  cb_namespace_set_model (ns, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
  g_assert_cmpint (cb_namespace_get_model (ns), ==, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
}

static void
test_endpoint_link_body (void)
{
  g_autoptr(JsonNode) node = cb_namespace_endpoint_build_link (CB_ENDPOINT_TYPE_DPS, "/x/dps-1");
  g_autofree char *json = json_to_string (node, FALSE);

  g_assert_cmpstr (json, ==,
                   "{\"endpointType\":\"Microsoft.Devices/provisioningServices\","
                   "\"resourceId\":\"/x/dps-1\","
                   "\"inboundCallerIdentity\":{\"type\":\"SystemAssigned\"}}");
}

static void
test_namespace_endpoint_malformed (void)
{
  g_autoptr(JsonNode) node = parse_literal (
    "{\"name\": \"n\", \"properties\": {\"messaging\": {\"endpoints\": {\"h\": 3}}}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbNamespace) ns = cb_namespace_new_from_json (node, &error);

  g_assert_null (ns);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/adr-ca-parse/root", test_root);
  g_test_add_func ("/cb/adr-ca-parse/microsoft-ica", test_microsoft_ica);
  g_test_add_func ("/cb/adr-ca-parse/external-ica", test_external_ica);
  g_test_add_func ("/cb/adr-ca-parse/malformed", test_malformed);
  g_test_add_func ("/cb/adr-ca-parse/policy-under-ica", test_policy_under_ica);
  g_test_add_func ("/cb/adr-ca-parse/policy-malformed", test_policy_malformed);
  g_test_add_func ("/cb/adr-ca-parse/namespace-endpoints", test_namespace_endpoints);
  g_test_add_func ("/cb/adr-ca-parse/endpoint-link-body", test_endpoint_link_body);
  g_test_add_func ("/cb/adr-ca-parse/namespace-endpoint-malformed",
                   test_namespace_endpoint_malformed);

  return g_test_run ();
}
