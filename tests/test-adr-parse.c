/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-activity-event.h"
#include "cb-activity-log-client.h"
#include "cb-adr-client.h"
#include "cb-adr-device.h"
#include "cb-error.h"
#include "cb-hub-certificate.h"
#include "cb-namespace.h"
#include "cb-policy.h"

/* Literal shapes copied from azure-api-reference.md §1.3 and §1.8 (with the "…" placeholders
 * filled in), and an Azure Monitor EventData entry. */

#define NS_ID "/subscriptions/0000-sub/resourceGroups/rg-1/providers/Microsoft.DeviceRegistry" \
              "/namespaces/adr-ns-1"

static const char namespace_json[] =
  "{ \"id\": \"" NS_ID "\","
  "  \"name\": \"adr-ns-1\", \"type\": \"Microsoft.DeviceRegistry/namespaces\", \"location\": "
  "\"North Europe\","
  "  \"identity\": {\"principalId\": \"p\", \"tenantId\": \"t\", \"type\": \"SystemAssigned\"},"
  "  \"properties\": {"
  "    \"uuid\": \"cfbef47a-6971-4c90-a7a9-99be82dea167\","
  "    \"messaging\": {\"endpoints\": {\"myHub\": {\"address\": \"https://hub\", \"endpointType\": "
  "\"Microsoft.Devices/IoTHubs\"}}},"
  "    \"provisioningState\": \"Succeeded\" },"
  "  \"systemData\": {\"createdBy\": \"a@b\", \"createdAt\": \"2025-06-12T20:17:41.741Z\"} }";

static const char policy_json[] =
  "{\"properties\": {\"provisioningState\": \"Succeeded\", \"certificate\": {"
  "   \"certificateAuthorityConfiguration\": {"
  "      \"keyType\": \"ECC\","
  "      \"subject\": \"CN=07b5d73a70e046f288ddc64518bc517e\","
  "      \"validityNotBefore\": \"2025-06-12T20:17:41.741Z\","
  "      \"validityNotAfter\":  \"2025-07-12T20:17:41.741Z\","
  "      \"bringYourOwnRoot\": {\"enabled\": true,"
  "         \"certificateSigningRequest\": "
  "  \"-----BEGIN CERTIFICATE REQUEST-----\\nMIIB\\n-----END CERTIFICATE REQUEST-----\\n\","
  "                           \"issuingCertificateThumbprint\": \"ABCDEF0123\", \"status\": "
  "\"Active\"}},"
  "   \"leafCertificateConfiguration\": {\"validityPeriodInDays\": 10}}},"
  " \"id\": \"" NS_ID "/credentials/default/policies/mypolicy\", \"name\": \"mypolicy\","
  " \"type\": \"Microsoft.DeviceRegistry/namespaces/credentials/policies\", \"systemData\": {}}";

static const char device_json[] =
  "{\"id\": \"" NS_ID "/devices/dev-1\", \"name\": \"dev-1\", \"type\": "
                      "\"Microsoft.DeviceRegistry/namespaces/devices\","
  " \"location\": \"North Europe\", \"etag\": \"\\\"c80325f9-0000-0800-0000-66fcb0290000\\\"\", "
  "\"tags\": {},"
  " \"properties\": {"
  "   \"uuid\": \"0b5e2c3d-1111-2222-3333-444455556666\", \"enabled\": false,"
  "   \"externalDeviceId\": \"ext-1\","
  "   \"manufacturer\": \"Contoso\", \"model\": \"T-1000\","
  "   \"operatingSystem\": \"Linux\", \"operatingSystemVersion\": \"6.1\", \"attributes\": "
  "{\"deviceType\": \"sensor\"},"
  "   \"version\": 3, \"lastTransitionTime\": \"2025-06-12T20:17:41.741Z\", \"provisioningState\": "
  "\"Succeeded\","
  "   \"policy\": {\"resourceId\": \"" NS_ID "/credentials/default/policies/mypolicy\"}}}";

static const char hub_certificate_json[] =
  "{\"id\": \"/subscriptions/0000-sub/resourceGroups/rg-1/providers/Microsoft.Devices/IotHubs"
  "/hub-1/certificates/mypolicy\","
  " \"name\": \"mypolicy\", \"type\": \"Microsoft.Devices/IotHubs/Certificates\","
  " \"properties\": {"
  "   \"certificate\": \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\","
  "   \"created\": \"Thu, 12 Jun 2025 20:17:41 GMT\","
  "   \"expiry\": \"Sat, 31 Dec 2039 23:59:59 GMT\", \"isVerified\": true,"
  "   \"policyResourceId\": \"" NS_ID "/credentials/default/policies/mypolicy\","
  "   \"subject\": \"CN=07b5d73a70e046f288ddc64518bc517e\", \"thumbprint\": "
  "\"97388ECDE9B8D8DE3F1E6C1B8A1E0A1D2F3C4B5A\","
  "   \"updated\": \"Thu, 12 Jun 2025 20:17:41 GMT\"},"
  " \"etag\": \"AAAAAAFPUVk=\"}";

static const char activity_json[] =
  "{\"authorization\": {\"action\": \"Microsoft.DeviceRegistry/namespaces/devices/revoke/action\","
  "   \"scope\": \"" NS_ID "/devices/dev-1\"},"
  " \"caller\": \"admin@contoso.com\", \"channels\": \"Operation\","
  " \"correlationId\": \"1c6f2f6c-1111-2222-3333-444455556666\", \"description\": \"\","
  " \"eventDataId\": \"e1\","
  " \"eventName\": {\"value\": \"EndRequest\", \"localizedValue\": \"End request\"},"
  " \"category\": {\"value\": \"Administrative\", \"localizedValue\": \"Administrative\"},"
  " \"httpRequest\": {\"clientRequestId\": \"c1\", \"clientIpAddress\": \"127.0.0.1\", \"method\": "
  "\"POST\"},"
  " \"id\": \"" NS_ID "/devices/dev-1/events/e1/ticks/638000000000000000\","
  " \"level\": \"Informational\", \"resourceGroupName\": \"rg-1\","
  " \"resourceProviderName\": {\"value\": \"Microsoft.DeviceRegistry\", \"localizedValue\": "
  "\"Microsoft.DeviceRegistry\"},"
  " \"resourceId\": \"" NS_ID "/devices/dev-1\", \"operationId\": \"op-1\","
  " \"operationName\": {\"value\": \"Microsoft.DeviceRegistry/namespaces/devices/revoke/action\", "
  "\"localizedValue\": \"Revoke device\"},"
  " \"properties\": {\"statusCode\": \"Accepted\", \"serviceRequestId\": \"s1\"},"
  " \"status\": {\"value\": \"Accepted\", \"localizedValue\": \"Accepted\"},"
  " \"subStatus\": {\"value\": \"Accepted\", \"localizedValue\": \"Accepted (HTTP Status Code: "
  "202)\"},"
  " \"eventTimestamp\": \"2025-06-12T20:17:41.7410000Z\", \"submissionTimestamp\": "
  "\"2025-06-12T20:18:00Z\","
  " \"subscriptionId\": \"0000-sub\", \"tenantId\": \"tenant\"}";

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

static void
test_namespace (void)
{
  g_autoptr(JsonNode) node = parse_literal (namespace_json);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbNamespace) ns = cb_namespace_new_from_json (node, &error);
  g_autofree char *location = NULL;

  g_assert_no_error (error);
  g_assert_true (CB_IS_NAMESPACE (ns));
  g_assert_cmpstr (cb_namespace_get_id (ns), ==, NS_ID);
  g_assert_cmpstr (cb_namespace_get_name (ns), ==, "adr-ns-1");
  g_assert_cmpstr (cb_namespace_get_location (ns), ==, "North Europe");
  g_assert_cmpstr (cb_namespace_get_uuid (ns), ==, "cfbef47a-6971-4c90-a7a9-99be82dea167");
  g_assert_cmpstr (cb_namespace_get_provisioning_state (ns), ==, "Succeeded");
  g_assert_cmpstr (cb_namespace_get_resource_group (ns), ==, "rg-1");

  g_object_get (ns, "location", &location, NULL);
  g_assert_cmpstr (location, ==, "North Europe");
  g_assert_finalize_object (g_steal_pointer (&ns));
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_policy (void)
{
  g_autoptr(JsonNode) node = parse_literal (policy_json);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbPolicy) policy = cb_policy_new_from_json (node, &error);
  guint notified = 0;

  g_assert_no_error (error);
  g_assert_true (CB_IS_POLICY (policy));
  g_assert_cmpstr (cb_policy_get_id (policy), ==, NS_ID "/credentials/default/policies/mypolicy");
  g_assert_cmpstr (cb_policy_get_name (policy), ==, "mypolicy");
  g_assert_cmpstr (cb_policy_get_namespace (policy), ==, "adr-ns-1");
  g_assert_cmpstr (cb_policy_get_provisioning_state (policy), ==, "Succeeded");
  g_assert_cmpstr (cb_policy_get_key_type (policy), ==, "ECC");
  g_assert_cmpstr (cb_policy_get_ca_subject (policy), ==, "CN=07b5d73a70e046f288ddc64518bc517e");
  g_assert_cmpint (cb_policy_get_ca_not_before (policy), ==, unix_of ("2025-06-12T20:17:41Z"));
  g_assert_cmpint (cb_policy_get_ca_not_after (policy), ==, unix_of ("2025-07-12T20:17:41Z"));
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 10);
  g_assert_true (cb_policy_get_byor_enabled (policy));
  g_assert_cmpstr (cb_policy_get_byor_status (policy), ==, CB_POLICY_BYOR_ACTIVE);
  g_assert_true (g_str_has_prefix (cb_policy_get_byor_csr (policy),
                                   "-----BEGIN CERTIFICATE REQUEST-----\n"));
  g_assert_cmpstr (cb_policy_get_byor_thumbprint (policy), ==, "ABCDEF0123");

  /* Explicit notify: only real changes notify. */
  g_signal_connect (policy, "notify::validity-days", G_CALLBACK (count_notify), &notified);
  g_object_set (policy, "validity-days", 10, NULL);
  g_assert_cmpuint (notified, ==, 0);
  g_object_set (policy, "validity-days", 30, NULL);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 30);

  g_assert_finalize_object (g_steal_pointer (&policy));
}

static void
test_policy_minimal (void)
{
  /* The PUT body shape echoed back while Accepted: no CA yet, no BYOR block. */
  g_autoptr(JsonNode) node = parse_literal (
    "{\"name\": \"p1\", \"properties\": {\"provisioningState\": \"Accepted\", \"certificate\": {"
    "  \"certificateAuthorityConfiguration\": {\"keyType\": \"ECC\"},"
    "  \"leafCertificateConfiguration\": {\"validityPeriodInDays\": 30}}}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbPolicy) policy = cb_policy_new_from_json (node, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (cb_policy_get_name (policy), ==, "p1");
  g_assert_null (cb_policy_get_namespace (policy));
  g_assert_cmpstr (cb_policy_get_provisioning_state (policy), ==, "Accepted");
  g_assert_false (cb_policy_get_byor_enabled (policy));
  g_assert_null (cb_policy_get_byor_status (policy));
  g_assert_cmpint (cb_policy_get_ca_not_after (policy), ==, 0);
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 30);
}

static void
test_device (void)
{
  g_autoptr(JsonNode) node = parse_literal (device_json);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbAdrDevice) device = cb_adr_device_new_from_json (node, &error);
  guint notified = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (cb_adr_device_get_id (device), ==, NS_ID "/devices/dev-1");
  g_assert_cmpstr (cb_adr_device_get_name (device), ==, "dev-1");
  g_assert_cmpstr (cb_adr_device_get_uuid (device), ==, "0b5e2c3d-1111-2222-3333-444455556666");
  g_assert_false (cb_adr_device_get_enabled (device));
  g_assert_cmpstr (cb_adr_device_get_policy_id (device), ==,
                   NS_ID "/credentials/default/policies/mypolicy");
  g_assert_cmpstr (cb_adr_device_get_policy_name (device), ==, "mypolicy");
  g_assert_cmpstr (cb_adr_device_get_etag (device), ==, "\"c80325f9-0000-0800-0000-66fcb0290000\"");
  g_assert_cmpint (cb_adr_device_get_version (device), ==, 3);
  g_assert_cmpstr (cb_adr_device_get_external_device_id (device), ==, "ext-1");
  g_assert_cmpstr (cb_adr_device_get_manufacturer (device), ==, "Contoso");
  g_assert_cmpstr (cb_adr_device_get_model (device), ==, "T-1000");
  g_assert_cmpstr (cb_adr_device_get_provisioning_state (device), ==, "Succeeded");

  g_signal_connect (device, "notify::enabled", G_CALLBACK (count_notify), &notified);
  cb_adr_device_set_enabled (device, FALSE);
  g_assert_cmpuint (notified, ==, 0);
  cb_adr_device_set_enabled (device, TRUE);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_finalize_object (g_steal_pointer (&device));
}

static void
test_device_defaults (void)
{
  /* enabled defaults to true; no policy on devices created outside certificate management. */
  g_autoptr(JsonNode) node = parse_literal ("{\"name\": \"d\", \"properties\": {}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbAdrDevice) device = cb_adr_device_new_from_json (node, &error);

  g_assert_no_error (error);
  g_assert_true (cb_adr_device_get_enabled (device));
  g_assert_null (cb_adr_device_get_policy_id (device));
  g_assert_null (cb_adr_device_get_policy_name (device));
}

static void
test_hub_certificate (void)
{
  g_autoptr(JsonNode) node = parse_literal (hub_certificate_json);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubCertificate) cert = cb_hub_certificate_new_from_json (node, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (cb_hub_certificate_get_name (cert), ==, "mypolicy");
  g_assert_cmpstr (cb_hub_certificate_get_subject (cert), ==,
                   "CN=07b5d73a70e046f288ddc64518bc517e");
  g_assert_cmpstr (cb_hub_certificate_get_thumbprint (cert), ==,
                   "97388ECDE9B8D8DE3F1E6C1B8A1E0A1D2F3C4B5A");
  g_assert_cmpint (cb_hub_certificate_get_expiry (cert), ==, unix_of ("2039-12-31T23:59:59Z"));
  g_assert_cmpstr (cb_hub_certificate_get_policy_resource_id (cert), ==,
                   NS_ID "/credentials/default/policies/mypolicy");
  g_assert_cmpstr (cb_hub_certificate_get_policy_name (cert), ==, "mypolicy");
  g_assert_true (cb_hub_certificate_get_is_verified (cert));
  g_assert_cmpstr (cb_hub_certificate_get_etag (cert), ==, "AAAAAAFPUVk=");
  g_assert_true (g_str_has_prefix (cb_hub_certificate_get_certificate (cert),
                                   "-----BEGIN CERTIFICATE-----"));
}

static void
test_hub_certificate_iso_expiry (void)
{
  g_autoptr(JsonNode) node = parse_literal (
    "{\"name\": \"c\", \"properties\": {\"expiry\": \"2030-01-02T03:04:05Z\", \"isVerified\": "
    "false}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbHubCertificate) cert = cb_hub_certificate_new_from_json (node, &error);

  g_assert_no_error (error);
  g_assert_cmpint (cb_hub_certificate_get_expiry (cert), ==, unix_of ("2030-01-02T03:04:05Z"));
  g_assert_null (cb_hub_certificate_get_policy_resource_id (cert));
  g_assert_false (cb_hub_certificate_get_is_verified (cert));
}

static void
test_activity_event (void)
{
  g_autoptr(JsonNode) node = parse_literal (activity_json);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbActivityEvent) event = cb_activity_event_new_from_json (node, &error);

  g_assert_no_error (error);
  g_assert_cmpint (cb_activity_event_get_time (event), ==, unix_of ("2025-06-12T20:17:41Z"));
  g_assert_cmpstr (cb_activity_event_get_caller (event), ==, "admin@contoso.com");
  g_assert_cmpstr (cb_activity_event_get_operation_name (event), ==,
                   "Microsoft.DeviceRegistry/namespaces/devices/revoke/action");
  g_assert_cmpstr (cb_activity_event_get_operation_display_name (event), ==, "Revoke device");
  g_assert_cmpstr (cb_activity_event_get_resource_id (event), ==, NS_ID "/devices/dev-1");
  g_assert_cmpstr (cb_activity_event_get_status (event), ==, "Accepted");
  g_assert_cmpstr (cb_activity_event_get_sub_status (event), ==, "Accepted");
  g_assert_cmpstr (cb_activity_event_get_correlation_id (event), ==,
                   "1c6f2f6c-1111-2222-3333-444455556666");
  g_assert_cmpstr (cb_activity_event_get_http_method (event), ==, "POST");
  g_assert_cmpuint (cb_activity_event_get_http_status (event), ==, 202);
}

static void
test_activity_event_status_sources (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) numeric = parse_literal (
    "{\"eventTimestamp\": \"2025-06-12T20:17:41Z\", \"operationName\": \"op\","
    " \"status\": \"Failed\", \"properties\": {\"statusCode\": 409}}");
  g_autoptr(JsonNode) substatus = parse_literal (
    "{\"eventTimestamp\": \"2025-06-12T20:17:41Z\", \"operationName\": {\"value\": \"op\"},"
    " \"status\": {\"value\": \"Failed\"}, \"subStatus\": {\"value\": \"Forbidden\", "
    "\"localizedValue\": \"\"}}");
  g_autoptr(JsonNode) started = parse_literal (
    "{\"eventTimestamp\": \"2025-06-12T20:17:41Z\", \"operationName\": {\"value\": \"op\"},"
    " \"status\": {\"value\": \"Started\"}, \"subStatus\": {\"value\": \"\", \"localizedValue\": "
    "\"\"}}");
  g_autoptr(CbActivityEvent) a = cb_activity_event_new_from_json (numeric, &error);
  g_autoptr(CbActivityEvent) b = NULL;
  g_autoptr(CbActivityEvent) c = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (cb_activity_event_get_http_status (a), ==, 409);
  g_assert_cmpstr (cb_activity_event_get_status (a), ==, "Failed");
  g_assert_cmpstr (cb_activity_event_get_operation_display_name (a), ==, "op");

  b = cb_activity_event_new_from_json (substatus, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_activity_event_get_http_status (b), ==, 403);

  c = cb_activity_event_new_from_json (started, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_activity_event_get_http_status (c), ==, 0);
  g_assert_null (cb_activity_event_get_sub_status (c));

  g_assert_cmpuint (cb_activity_event_parse_http_status ("201"), ==, 201);
  g_assert_cmpuint (cb_activity_event_parse_http_status ("Created"), ==, 201);
  g_assert_cmpuint (cb_activity_event_parse_http_status ("TooManyRequests"), ==, 429);
  g_assert_cmpuint (cb_activity_event_parse_http_status ("Bad (HTTP Status Code: 400)"), ==, 400);
  g_assert_cmpuint (cb_activity_event_parse_http_status ("Whatever"), ==, 0);
  g_assert_cmpuint (cb_activity_event_parse_http_status ("42"), ==, 0);
  g_assert_cmpuint (cb_activity_event_parse_http_status (NULL), ==, 0);
}

typedef GObject *(*ParseFunc) (JsonNode *node, GError **error);

static const struct
{
  const char *label;
  ParseFunc   parse;
  const char *json;
} malformed[] = {
  { "namespace array", (ParseFunc) cb_namespace_new_from_json, "[1, 2]" },
  { "namespace string", (ParseFunc) cb_namespace_new_from_json, "\"adr-ns-1\"" },
  { "namespace no name", (ParseFunc) cb_namespace_new_from_json, "{\"id\": \"x\", \"properties\": "
                                                                 "{}}" },
  { "namespace empty name", (ParseFunc) cb_namespace_new_from_json, "{\"name\": \"\"}" },
  { "namespace numeric name", (ParseFunc) cb_namespace_new_from_json, "{\"name\": 5}" },
  { "namespace properties array", (ParseFunc) cb_namespace_new_from_json, "{\"name\": \"n\", "
                                                                          "\"properties\": []}" },
  { "namespace uuid number", (ParseFunc) cb_namespace_new_from_json, "{\"name\": \"n\", "
                                                                     "\"properties\": {\"uuid\": "
                                                                     "1}}" },
  { "policy validity string", (ParseFunc) cb_policy_new_from_json,
    "{\"name\": \"p\", \"properties\": {\"certificate\": {\"leafCertificateConfiguration\": "
    "{\"validityPeriodInDays\": \"10\"}}}}" },
  { "policy validity fraction", (ParseFunc) cb_policy_new_from_json,
    "{\"name\": \"p\", \"properties\": {\"certificate\": {\"leafCertificateConfiguration\": "
    "{\"validityPeriodInDays\": 7.5}}}}" },
  { "policy validity negative", (ParseFunc) cb_policy_new_from_json,
    "{\"name\": \"p\", \"properties\": {\"certificate\": {\"leafCertificateConfiguration\": "
    "{\"validityPeriodInDays\": -1}}}}" },
  { "policy byor enabled string", (ParseFunc) cb_policy_new_from_json,
    "{\"name\": \"p\", \"properties\": {\"certificate\": {\"certificateAuthorityConfiguration\": "
    "{\"bringYourOwnRoot\": {\"enabled\": \"true\"}}}}}" },
  { "policy bad date", (ParseFunc) cb_policy_new_from_json,
    "{\"name\": \"p\", \"properties\": {\"certificate\": {\"certificateAuthorityConfiguration\": "
    "{\"validityNotAfter\": \"next tuesday\"}}}}" },
  { "policy certificate string", (ParseFunc) cb_policy_new_from_json,
    "{\"name\": \"p\", \"properties\": {\"certificate\": \"ECC\"}}" },
  { "device enabled string", (ParseFunc) cb_adr_device_new_from_json,
    "{\"name\": \"d\", \"properties\": {\"enabled\": \"yes\"}}" },
  { "device version string", (ParseFunc) cb_adr_device_new_from_json,
    "{\"name\": \"d\", \"properties\": {\"version\": \"3\"}}" },
  { "device policy string", (ParseFunc) cb_adr_device_new_from_json,
    "{\"name\": \"d\", \"properties\": {\"policy\": \"/x\"}}" },
  { "device etag object", (ParseFunc) cb_adr_device_new_from_json,
    "{\"name\": \"d\", \"etag\": {}}" },
  { "hub certificate no name", (ParseFunc) cb_hub_certificate_new_from_json,
    "{\"properties\": {}}" },
  { "hub certificate bad expiry", (ParseFunc) cb_hub_certificate_new_from_json,
    "{\"name\": \"c\", \"properties\": {\"expiry\": \"soon\"}}" },
  { "hub certificate verified string", (ParseFunc) cb_hub_certificate_new_from_json,
    "{\"name\": \"c\", \"properties\": {\"isVerified\": \"false\"}}" },
  { "activity no timestamp", (ParseFunc) cb_activity_event_new_from_json, "{\"operationName\": "
                                                                          "\"op\"}" },
  { "activity bad timestamp", (ParseFunc) cb_activity_event_new_from_json,
    "{\"eventTimestamp\": \"yesterday\", \"operationName\": \"op\"}" },
  { "activity no operation", (ParseFunc) cb_activity_event_new_from_json,
    "{\"eventTimestamp\": \"2025-06-12T20:17:41Z\"}" },
  { "activity status number", (ParseFunc) cb_activity_event_new_from_json,
    "{\"eventTimestamp\": \"2025-06-12T20:17:41Z\", \"operationName\": \"op\", \"status\": "
    "{\"value\": 1}}" },
};

static void
test_malformed (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr(JsonNode) node = parse_literal (malformed[i].json);
      g_autoptr(GError) error = NULL;
      g_autoptr(GObject) object = NULL;

      g_test_message ("case: %s", malformed[i].label);
      object = malformed[i].parse (node, &error);
      g_assert_null (object);
      g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
    }
}

static void
test_null_node (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbPolicy) policy = cb_policy_new_from_json (NULL, &error);

  g_assert_null (policy);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
}

#define NEXT_LINK "https://management.azure.com/x?api-version=1&$skipToken=2"

static void
test_page (void)
{
  g_autofree char *json = g_strdup_printf ("{\"value\": [%s, %s], \"nextLink\": \"%s\"}",
                                           device_json, device_json, NEXT_LINK);
  g_autoptr(JsonNode) node = parse_literal (json);
  g_autoptr(JsonNode) last = parse_literal ("{\"value\": [], \"nextLink\": null}");
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  g_autoptr(GPtrArray) items = cb_adr_parse_page (node,
                                                  (CbAdrParseFunc) cb_adr_device_new_from_json,
                                                  &next, &error);
  g_autoptr(GPtrArray) empty = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 2);
  g_assert_true (CB_IS_ADR_DEVICE (g_ptr_array_index (items, 1)));
  g_assert_cmpstr (next, ==, NEXT_LINK);

  g_clear_pointer (&next, g_free);
  empty = cb_adr_parse_page (last, (CbAdrParseFunc) cb_adr_device_new_from_json, &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->len, ==, 0);
  g_assert_null (next);
}

static void
test_page_malformed (void)
{
  const char *cases[] = {
    "[]",
    "{}",
    "{\"value\": {}}",
    "{\"value\": [], \"nextLink\": 5}",
    "{\"value\": [{\"name\": 5}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = parse_literal (cases[i]);
      g_autoptr(GError) error = NULL;
      g_autofree char *next = NULL;
      g_autoptr(GPtrArray) items = NULL;

      g_test_message ("case: %s", cases[i]);
      items = cb_adr_parse_page (node, (CbAdrParseFunc) cb_namespace_new_from_json, &next, &error);
      g_assert_null (items);
      g_assert_null (next);
      g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
    }
}

static void
test_revoke_result (void)
{
  g_autoptr(JsonNode) ok = parse_literal ("{\"result\": \"Succeeded\"}");
  g_autoptr(JsonNode) failed = parse_literal (
    "{\"result\": \"Failed\", \"error\": {\"code\": \"DeviceNotProvisioned\", \"message\": \"No "
    "certificate was issued\","
    " \"details\": [{\"code\": \"x\", \"correlationId\": \"c\", \"message\": \"m\"}]}}");
  g_autoptr(JsonNode) bare = parse_literal ("{\"result\": \"Failed\"}");
  g_autoptr(JsonNode) junk = parse_literal ("{\"result\": 1}");
  g_autoptr(GError) error = NULL;

  g_assert_true (cb_adr_parse_revoke_result (ok, &error));
  g_assert_no_error (error);

  g_assert_false (cb_adr_parse_revoke_result (failed, &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_OPERATION_FAILED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "DeviceNotProvisioned");
  g_assert_nonnull (strstr (error->message, "No certificate was issued"));
  g_clear_error (&error);

  g_assert_false (cb_adr_parse_revoke_result (bare, &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_OPERATION_FAILED);
  g_clear_error (&error);

  g_assert_false (cb_adr_parse_revoke_result (junk, &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PARSE);
}

static void
test_activity_filter (void)
{
  g_autofree char *plain = cb_adr_build_activity_filter (unix_of ("2025-06-12T00:00:00Z"),
                                                         unix_of ("2025-06-13T00:00:00Z"), NULL);
  g_autofree char *scoped = cb_adr_build_activity_filter (unix_of ("2025-06-12T00:00:00Z"),
                                                          unix_of ("2025-06-13T00:00:00Z"),
                                                          NS_ID "/devices/o'brien");

  g_assert_cmpstr (plain, ==,
                   "eventTimestamp ge '2025-06-12T00:00:00Z' and eventTimestamp le "
                   "'2025-06-13T00:00:00Z'");
  g_assert_cmpstr (scoped, ==,
                   "eventTimestamp ge '2025-06-12T00:00:00Z' and eventTimestamp le "
                   "'2025-06-13T00:00:00Z'"
                   " and resourceUri eq '" NS_ID "/devices/o''brien'");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/adr-parse/namespace", test_namespace);
  g_test_add_func ("/cb/adr-parse/policy", test_policy);
  g_test_add_func ("/cb/adr-parse/policy/minimal", test_policy_minimal);
  g_test_add_func ("/cb/adr-parse/device", test_device);
  g_test_add_func ("/cb/adr-parse/device/defaults", test_device_defaults);
  g_test_add_func ("/cb/adr-parse/hub-certificate", test_hub_certificate);
  g_test_add_func ("/cb/adr-parse/hub-certificate/iso-expiry", test_hub_certificate_iso_expiry);
  g_test_add_func ("/cb/adr-parse/activity-event", test_activity_event);
  g_test_add_func ("/cb/adr-parse/activity-event/status-sources",
                   test_activity_event_status_sources);
  g_test_add_func ("/cb/adr-parse/malformed", test_malformed);
  g_test_add_func ("/cb/adr-parse/null-node", test_null_node);
  g_test_add_func ("/cb/adr-parse/page", test_page);
  g_test_add_func ("/cb/adr-parse/page/malformed", test_page_malformed);
  g_test_add_func ("/cb/adr-parse/revoke-result", test_revoke_result);
  g_test_add_func ("/cb/adr-parse/activity-filter", test_activity_filter);

  return g_test_run ();
}
