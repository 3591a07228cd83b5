/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-dps-client.h"
#include "cb-dps-private.h"
#include "cb-dps-service-client.h"
#include "cb-error.h"
#include "cb-pki.h"
#include "cb-sas.h"
#include "cb-sandbox-profile.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* CbDpsClient (device registration with a CSR) and CbDpsServiceClient (enrollments) against
 * the sandbox over real HTTPS on loopback; the registration tests run again over MQTT
 * (/cb/client-dps/mqtt/...), on the sandbox's MQTT listener. */

#define SUB        "00000000-0000-0000-0000-0000000000d5"
#define RG         "rg-dps"
#define NS         "ns-dps"
#define HUB        "hub-dps"
#define DPS        "dps-clients"
#define ID_SCOPE   "0ne00D5C1E7"
#define GROUP      "line-7"
#define POLICY     "default"
#define GROUP_KEY  "Y2xpZW50cy1ncm91cC1rZXktZm9yLXRlc3RzLTAxMjM="
#define OWNER_KEY  "Y2xpZW50cy1vd25lci1rZXktZm9yLXRlc3RzLTAxMjM="
#define PRINCIPAL  "dpsadmin@sandbox.example"

typedef struct
{
  CbTestSandbox      *ts;
  CbProfile          *profile;
  CbHttpClient       *http;
  CbSecrets          *secrets;
  CbEntraClient      *entra;
  CbDpsClient        *dps;
  CbDpsServiceClient *service;
  char               *hub_host;
  gboolean            mqtt;
} Fixture;

static const char *
instance_string (JsonNode   *info,
                 const char *section,
                 const char *array,
                 const char *name,
                 const char *member)
{
  JsonObject *root = json_node_get_object (info);
  JsonArray *items;

  if (section != NULL)
    root = json_object_get_object_member (root, section);
  items = json_object_get_array_member (root, array);

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      if (g_strcmp0 (json_object_get_string_member (item, "name"), name) == 0)
        return json_object_get_string_member (item, member);
    }

  return NULL;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  CbSandbox *sb;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) info = NULL;
  g_autofree char *namespace_id = cb_sb_namespace_id (SUB, RG, NS);
  g_autofree char *tenant = NULL;
  const char *dps_host;
  guint status;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  sb = f->ts->sandbox;

  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SUB, RG, DPS, ID_SCOPE, namespace_id, HUB, &error);
  g_assert_no_error (error);
  g_assert_true (cb_sb_set_dps_owner_key (sb, DPS, OWNER_KEY));
  cb_sb_dps_create_enrollment_group (sb, DPS, GROUP, GROUP_KEY, POLICY, &error);
  g_assert_no_error (error);
  cb_sb_adr_create_namespace (sb, SUB, RG, NS, "westeurope", &error);
  g_assert_no_error (error);
  cb_sb_adr_create_credential (sb, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_adr_create_policy (sb, namespace_id, POLICY, 30, FALSE, &error);
  g_assert_no_error (error);
  cb_sb_add_principal (sb, PRINCIPAL, "DPS admin", &error);
  g_assert_no_error (error);
  cb_sb_set_meta (sb, "default_principal", PRINCIPAL);
  tenant = cb_sb_dup_meta (sb, "tenant_id");
  cb_sb_unlock (sb);

  status = cb_test_sandbox_request_json (f->ts, "GET", "/sandbox/info", NULL, NULL, &info, NULL);
  g_assert_cmpuint (status, ==, 200);
  dps_host = instance_string (info, "dps", "instances", DPS, "hostName");
  g_assert_nonnull (dps_host);
  f->hub_host = g_strdup (instance_string (info, NULL, "hubs", HUB, "hostName"));
  g_assert_nonnull (f->hub_host);

  f->profile = cb_sandbox_create_profile (sb);
  cb_profile_set_client_id (f->profile, "certbench-tests");
  cb_profile_set_enrollment_group_id (f->profile, GROUP);
  g_assert_cmpstr (cb_profile_get_dps_id_scope (f->profile), ==, ID_SCOPE);
  g_assert_cmpstr (cb_profile_get_dps_name (f->profile), ==, DPS);
  g_assert_cmpstr (cb_profile_get_dps_host_name (f->profile), ==, dps_host);

  f->http = cb_http_client_new (f->profile, &error);
  g_assert_no_error (error);
  f->secrets = cb_secrets_new_memory ();
  f->entra = cb_entra_client_new (f->profile, f->http, f->secrets);
  f->dps = cb_dps_client_new (f->profile, f->http);
  cb_dps_client_set_timeout (f->dps, 30);
  f->mqtt = GPOINTER_TO_INT (data) == CB_DPS_TRANSPORT_MQTT;
  if (data != NULL)
    cb_dps_client_set_transport (f->dps, GPOINTER_TO_INT (data));
  f->service = cb_dps_service_client_new (f->profile, f->http, f->entra);
  cb_dps_service_client_set_sas_key (f->service, NULL, OWNER_KEY);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->service);
  g_assert_finalize_object (f->dps);
  g_assert_finalize_object (f->entra);
  g_assert_finalize_object (f->secrets);
  g_assert_finalize_object (f->http);
  g_assert_finalize_object (f->profile);
  g_free (f->hub_host);
  cb_test_sandbox_free (f->ts);
}

/* ---- helpers -------------------------------------------------------------------------------- */



static GBytes *
make_csr (CbKeyType    type,
          const char  *common_name,
          CbKey      **out_key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (type, &error);
  GBytes *csr;

  g_assert_no_error (error);
  csr = cb_csr_create (key, common_name, &error);
  g_assert_no_error (error);

  if (out_key != NULL)
    *out_key = g_steal_pointer (&key);
  return csr;
}

static CbDpsRegistration *
do_register (Fixture       *f,
             const char    *registration_id,
             const char    *key,
             CbDpsKeyKind   kind,
             GBytes        *csr,
             GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_dps_client_register_async (f->dps, registration_id, key, kind, csr, NULL, NULL,
                                cb_test_store_result_cb, &result);
  return cb_dps_client_register_finish (f->dps, cb_test_wait_for (&result), error);
}

static void
set_faults (Fixture    *f,
            const char *json)
{
  guint status = cb_test_sandbox_request (f->ts, "PUT", "/sandbox/faults", NULL, NULL, json,
                                          NULL, NULL);

  g_assert_cmpuint (status / 100, ==, 2);
}

/* A fault rule on the register request of the fixture's transport (PUT …/register, or the
 * register topic over MQTT); rest is the rule's other members. */
static void
set_register_fault (Fixture    *f,
                    const char *rest)
{
  g_autofree char *json = f->mqtt
    ? g_strdup_printf ("{\"faults\":[{\"method\":\"PUBLISH\",\"path\":\"/mqtt/dps/*/iotdps-register/\",%s}]}", rest)
    : g_strdup_printf ("{\"faults\":[{\"method\":\"PUT\",\"path\":\"/dps/*/register\",%s}]}", rest);

  set_faults (f, json);
}

static JsonObject *
service_get (Fixture              *f,
             CbDpsEnrollmentKind   kind,
             const char           *id,
             GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_dps_service_client_get_async (f->service, kind, id, NULL, cb_test_store_result_cb, &result);
  return cb_dps_service_client_enrollment_finish (f->service, cb_test_wait_for (&result), error);
}

static JsonObject *
service_put (Fixture              *f,
             CbDpsEnrollmentKind   kind,
             const char           *id,
             JsonObject           *body,
             const char           *etag,
             GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_dps_service_client_put_async (f->service, kind, id, body, etag, NULL, cb_test_store_result_cb, &result);
  return cb_dps_service_client_enrollment_finish (f->service, cb_test_wait_for (&result), error);
}

static gboolean
service_delete (Fixture              *f,
                CbDpsEnrollmentKind   kind,
                const char           *id,
                const char           *etag,
                GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_dps_service_client_delete_async (f->service, kind, id, etag, NULL, cb_test_store_result_cb, &result);
  return cb_dps_service_client_delete_finish (f->service, cb_test_wait_for (&result), error);
}

/* ---- device registration -------------------------------------------------------------------- */

static void
test_register_group_key (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_EC_P384, "line7-0001", &key);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;
  g_autoptr(CbCertificate) leaf = NULL;
  g_autoptr(CbCertificate) issuer = NULL;
  g_autoptr(GBytes) csr_public = NULL;
  g_autoptr(GBytes) leaf_public = NULL;
  GPtrArray *chain;

  reg = do_register (f, "line7-0001", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reg);

  g_assert_cmpstr (cb_dps_registration_get_status (reg), ==, "assigned");
  g_assert_cmpstr (cb_dps_registration_get_registration_id (reg), ==, "line7-0001");
  g_assert_cmpstr (cb_dps_registration_get_device_id (reg), ==, "line7-0001");
  g_assert_cmpstr (cb_dps_registration_get_assigned_hub (reg), ==, f->hub_host);
  g_assert_nonnull (cb_dps_registration_get_operation_id (reg));
  g_assert_cmpstr (cb_dps_registration_get_substatus (reg), ==, "initialAssignment");

  /* Leaf, issuing CA, root: the leaf names the device and carries the CSR's key. */
  chain = cb_dps_registration_get_issued_chain (reg);
  g_assert_cmpuint (chain->len, ==, 3);
  leaf = cb_certificate_new_from_der (g_ptr_array_index (chain, 0), &error);
  g_assert_no_error (error);
  issuer = cb_certificate_new_from_der (g_ptr_array_index (chain, 1), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_certificate_get_common_name (leaf), ==, "line7-0001");
  g_assert_cmpstr (cb_certificate_get_issuer (leaf), ==, cb_certificate_get_subject (issuer));
  csr_public = cb_key_get_public_key_der (key);
  leaf_public = cb_certificate_get_public_key_der (leaf);
  g_assert_true (g_bytes_equal (leaf_public, csr_public));

  /* The hub now knows the device. */
  {
    gboolean enabled = FALSE;

    cb_sb_lock (f->ts->sandbox);
    g_assert_true (cb_sb_hub_lookup_device (f->ts->sandbox, HUB, "line7-0001", &enabled));
    cb_sb_unlock (f->ts->sandbox);
    g_assert_true (enabled);
  }
}

static void
test_register_device_key (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_EC_P256, "line7-0002", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;
  g_autofree char *device_key = cb_sas_derive_device_key (GROUP_KEY, "line7-0002", &error);

  g_assert_no_error (error);
  reg = do_register (f, "line7-0002", device_key, CB_DPS_KEY_DEVICE, csr, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_dps_registration_get_issued_chain (reg)->len, ==, 3);
}

static void
test_csr_wrong_name (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_EC_P384, "someone-else", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;

  reg = do_register (f, "line7-0003", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr, &error);
  g_assert_null (reg);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_assert_cmpuint (cb_api_error_get_http_status (error), ==, 400);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "400205");
  g_assert_nonnull (strstr (error->message, "someone-else"));
}

static void
test_csr_rsa (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_RSA, "line7-0004", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;

  reg = do_register (f, "line7-0004", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr, &error);
  g_assert_null (reg);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "400204");
}

static void
test_csr_garbage (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GBytes) csr = g_bytes_new_static ("\x30\x03\x02\x01\x05", 5);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;

  reg = do_register (f, "line7-0005", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr, &error);
  g_assert_null (reg);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "400203");
}

static void
test_wrong_key (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_EC_P256, "line7-0006", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;

  reg = do_register (f, "line7-0006", OWNER_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr, &error);
  g_assert_null (reg);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "401002");
  g_assert_null (strstr (error->message, "sig="));
}

static void
test_operation_failed (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_EC_P256, "line7-0007", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;

  /* The operation ends "failed": the DPS errorCode becomes the remote code. */
  set_register_fault (f, "\"dps\":\"failed\",\"count\":1");

  reg = do_register (f, "line7-0007", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr, &error);
  g_assert_null (reg);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_OPERATION_FAILED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "500214");
  g_assert_true (g_str_has_prefix (error->message, "500214: "));
}

static void
test_throttled_then_success (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_EC_P256, "line7-0008", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;
  gint64 start = g_get_monotonic_time ();

  set_register_fault (f, "\"status\":429,\"retryAfter\":1,\"count\":1");

  reg = do_register (f, "line7-0008", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reg);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_EC_P256, "line7-0009", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;

  /* Slow answers; cancel while waiting. */
  set_faults (f, "{\"faults\":[{\"path\":\"/dps/*\",\"latencyMs\":3000}]}");

  cb_dps_client_register_async (f->dps, "line7-0009", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr,
                                NULL, cancellable, cb_test_store_result_cb, &result);
  g_cancellable_cancel (cancellable);
  reg = cb_dps_client_register_finish (f->dps, cb_test_wait_for (&result), &error);
  g_assert_null (reg);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Over MQTT the REST device API is never asked: with every HTTPS DPS request failing, the
 * registration still succeeds. */
static void
test_mqtt_not_https (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_EC_P256, "line7-0010", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;

  g_assert_cmpint (cb_dps_client_get_transport (f->dps), ==, CB_DPS_TRANSPORT_MQTT);
  set_faults (f, "{\"faults\":[{\"path\":\"/dps/*\",\"status\":403}]}");

  reg = do_register (f, "line7-0010", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_dps_registration_get_assigned_hub (reg), ==, f->hub_host);
  g_assert_cmpuint (cb_dps_registration_get_issued_chain (reg)->len, ==, 3);
}

/* MQTT on Azure profiles (the path the CSR-capable SDKs take), HTTPS on sandbox profiles,
 * unless set. */
static void
test_transport_default (void)
{
  g_autoptr(CbProfile) azure = cb_profile_new_azure ("Azure", "tenant", "client", "sub", "rg",
                                                     "hub", "dps", "0ne00000001");
  g_autoptr(CbProfile) sandbox = cb_profile_new ("sb", "Sandbox", CB_PROFILE_KIND_SANDBOX);
  g_autoptr(CbHttpClient) http = cb_http_client_new_for_ca_file (NULL, NULL);
  g_autoptr(CbDpsClient) on_azure = cb_dps_client_new (azure, http);
  g_autoptr(CbDpsClient) on_sandbox = cb_dps_client_new (sandbox, http);
  CbDpsTransport parsed = CB_DPS_TRANSPORT_DEFAULT;

  g_assert_cmpint (cb_dps_client_get_transport (on_azure), ==, CB_DPS_TRANSPORT_MQTT);
  g_assert_cmpint (cb_dps_client_get_transport (on_sandbox), ==, CB_DPS_TRANSPORT_HTTPS);
  cb_dps_client_set_transport (on_azure, CB_DPS_TRANSPORT_HTTPS);
  g_assert_cmpint (cb_dps_client_get_transport (on_azure), ==, CB_DPS_TRANSPORT_HTTPS);
  cb_dps_client_set_transport (on_sandbox, CB_DPS_TRANSPORT_MQTT);
  g_assert_cmpint (cb_dps_client_get_transport (on_sandbox), ==, CB_DPS_TRANSPORT_MQTT);

  g_assert_true (cb_dps_transport_from_string ("mqtt", &parsed));
  g_assert_cmpint (parsed, ==, CB_DPS_TRANSPORT_MQTT);
  g_assert_true (cb_dps_transport_from_string ("https", &parsed));
  g_assert_cmpint (parsed, ==, CB_DPS_TRANSPORT_HTTPS);
  g_assert_false (cb_dps_transport_from_string ("amqp", &parsed));
  g_assert_false (cb_dps_transport_from_string (NULL, &parsed));
}

/* The sandbox keeps a group's keys, and the keys it derives from them, in memory
 * (cb-sb-dps-cache.c): a change through the service API takes effect on the next
 * registration, as the row it changed. */
static void
test_register_after_group_change (Fixture       *f,
                                  gconstpointer  data)
{
  const char *new_primary = "bmV3LXByaW1hcnkta2V5LWZvci10aGUtY2FjaGUtdGVzdA==";
  const char *new_secondary = "bmV3LXNlY29uZGFyeS1rZXktZm9yLXRoZS1jYWNoZS10ZXN0";
  const char * const hubs[] = { f->hub_host, NULL };
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(JsonObject) disabled = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsRegistration) first = NULL;
  g_autoptr(CbDpsRegistration) old_key = NULL;
  g_autoptr(CbDpsRegistration) new_key = NULL;
  g_autoptr(CbDpsRegistration) after_disable = NULL;
  g_autoptr(GBytes) csr1 = make_csr (CB_KEY_TYPE_EC_P256, "line7-0031", NULL);
  g_autoptr(GBytes) csr2 = make_csr (CB_KEY_TYPE_EC_P256, "line7-0032", NULL);
  g_autoptr(GBytes) csr3 = make_csr (CB_KEY_TYPE_EC_P256, "line7-0033", NULL);
  g_autoptr(GBytes) csr4 = make_csr (CB_KEY_TYPE_EC_P256, "line7-0034", NULL);

  first = do_register (f, "line7-0031", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_dps_registration_get_status (first), ==, "assigned");

  /* New keys: a device key derived from the old one is refused, one from the new accepted. */
  body = cb_dps_enrollment_new_symmetric_key (CB_DPS_ENROLLMENT_GROUP, GROUP, POLICY,
                                              new_primary, new_secondary, hubs);
  updated = service_put (f, CB_DPS_ENROLLMENT_GROUP, GROUP, body, NULL, &error);
  g_assert_no_error (error);

  old_key = do_register (f, "line7-0032", GROUP_KEY, CB_DPS_KEY_ENROLLMENT_GROUP, csr2, &error);
  g_assert_null (old_key);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "401002");
  g_clear_error (&error);

  new_key = do_register (f, "line7-0033", new_primary, CB_DPS_KEY_ENROLLMENT_GROUP, csr3, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_dps_registration_get_status (new_key), ==, "assigned");

  /* Disabled: the next registration is refused. */
  json_object_set_string_member (body, "provisioningStatus", "disabled");
  disabled = service_put (f, CB_DPS_ENROLLMENT_GROUP, GROUP, body, NULL, &error);
  g_assert_no_error (error);

  after_disable = do_register (f, "line7-0034", new_primary, CB_DPS_KEY_ENROLLMENT_GROUP, csr4,
                               &error);
  g_assert_null (after_disable);
  g_assert_nonnull (error);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "403210");
}

/* ---- service API ---------------------------------------------------------------------------- */

static void
test_service_groups (Fixture       *f,
                     gconstpointer  data)
{
  const char * const hubs[] = { f->hub_host, NULL };
  g_autoptr(JsonObject) existing = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(JsonObject) stale = NULL;
  g_autoptr(JsonObject) gone = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;

  existing = service_get (f, CB_DPS_ENROLLMENT_GROUP, GROUP, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (existing, "enrollmentGroupId"), ==, GROUP);
  g_assert_cmpstr (json_object_get_string_member (existing, "credentialPolicyName"), ==, POLICY);

  body = cb_dps_enrollment_new_symmetric_key (CB_DPS_ENROLLMENT_GROUP, "line-8", POLICY,
                                              GROUP_KEY, OWNER_KEY, hubs);
  created = service_put (f, CB_DPS_ENROLLMENT_GROUP, "line-8", body, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (created, "credentialPolicyName"), ==, POLICY);
  etag = g_strdup (json_object_get_string_member (created, "etag"));
  g_assert_nonnull (etag);

  json_object_set_string_member (body, "provisioningStatus", "disabled");
  updated = service_put (f, CB_DPS_ENROLLMENT_GROUP, "line-8", body, etag, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (updated, "provisioningStatus"), ==, "disabled");

  /* The etag read before the update is stale now. */
  stale = service_put (f, CB_DPS_ENROLLMENT_GROUP, "line-8", body, etag, &error);
  g_assert_null (stale);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_PRECONDITION_FAILED);
  g_assert_cmpstr (cb_api_error_get_remote_code (error), ==, "412301");
  g_clear_error (&error);

  g_assert_true (service_delete (f, CB_DPS_ENROLLMENT_GROUP, "line-8", NULL, &error));
  g_assert_no_error (error);

  gone = service_get (f, CB_DPS_ENROLLMENT_GROUP, "line-8", &error);
  g_assert_null (gone);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
}

/* The query returns every group, following x-ms-continuation page by page. */
static void
test_service_query (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("query-%u", i);
      g_autoptr(JsonObject) body = cb_dps_enrollment_new_symmetric_key (CB_DPS_ENROLLMENT_GROUP,
                                                                        id, POLICY, NULL, NULL,
                                                                        NULL);
      g_autoptr(JsonObject) created = service_put (f, CB_DPS_ENROLLMENT_GROUP, id, body, NULL,
                                                   &error);

      g_assert_no_error (error);
      g_assert_nonnull (created);
    }

  /* Two per page: the five new groups and the seeded one take three pages. */
  cb_sandbox_set_page_size (f->ts->sandbox, 2);
  cb_dps_service_client_query_async (f->service, CB_DPS_ENROLLMENT_GROUP, NULL,
                                     cb_test_store_result_cb, &result);
  groups = cb_dps_service_client_query_finish (f->service, cb_test_wait_for (&result), &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpuint (groups->len, ==, 6);
  for (guint i = 0; i < groups->len; i++)
    {
      const char *id = json_object_get_string_member (g_ptr_array_index (groups, i),
                                                      "enrollmentGroupId");

      g_assert_false (g_hash_table_contains (seen, id));
      g_hash_table_add (seen, (gpointer) id);
    }
  g_assert_true (g_hash_table_contains (seen, GROUP));
  g_assert_true (g_hash_table_contains (seen, "query-4"));
}

static void
test_service_individual (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(CbDpsRegistration) reg = NULL;
  g_autoptr(GBytes) csr = make_csr (CB_KEY_TYPE_EC_P384, "solo-1", NULL);
  g_autoptr(GError) error = NULL;

  body = cb_dps_enrollment_new_symmetric_key (CB_DPS_ENROLLMENT_INDIVIDUAL, "solo-1", POLICY,
                                              OWNER_KEY, GROUP_KEY, NULL);
  created = service_put (f, CB_DPS_ENROLLMENT_INDIVIDUAL, "solo-1", body, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (created, "registrationId"), ==, "solo-1");

  /* An individual enrollment's key is the device key itself. */
  reg = do_register (f, "solo-1", OWNER_KEY, CB_DPS_KEY_DEVICE, csr, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_dps_registration_get_device_id (reg), ==, "solo-1");
}

static void
test_service_bad_key (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GError) error = NULL;

  cb_dps_service_client_set_sas_key (f->service, NULL, GROUP_KEY);
  group = service_get (f, CB_DPS_ENROLLMENT_GROUP, GROUP, &error);
  g_assert_null (group);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED);
}

static void
test_service_bearer (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CbEntraDeviceCode) code = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GError) error = NULL;

  cb_dps_service_client_set_sas_key (f->service, NULL, NULL);

  cb_entra_client_begin_sign_in_async (f->entra, NULL, cb_test_store_result_cb, &result);
  code = cb_entra_client_begin_sign_in_finish (f->entra, cb_test_wait_for (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  cb_entra_client_complete_sign_in_async (f->entra, code, NULL, cb_test_store_result_cb, &result);
  g_assert_true (cb_entra_client_complete_sign_in_finish (f->entra, cb_test_wait_for (&result), &error));
  g_assert_no_error (error);

  group = service_get (f, CB_DPS_ENROLLMENT_GROUP, GROUP, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (group, "enrollmentGroupId"), ==, GROUP);
}

/* "Retry-After: 0" is honoured: the first poll goes at once (it was a fixed 100 ms), later
 * ones back off to a second so a service that keeps saying 0 is not polled in a busy loop; a
 * stated delay is kept. */
static void
test_poll_delay (void)
{
  g_assert_cmpuint (cb_dps_poll_delay_ms (0, 0), ==, 0);
  g_assert_cmpuint (cb_dps_poll_delay_ms (0, 1), ==, 10);
  g_assert_cmpuint (cb_dps_poll_delay_ms (0, 2), ==, 20);
  g_assert_cmpuint (cb_dps_poll_delay_ms (0, 7), ==, 640);
  g_assert_cmpuint (cb_dps_poll_delay_ms (0, 8), ==, 1000);
  g_assert_cmpuint (cb_dps_poll_delay_ms (0, 1000), ==, 1000);
  g_assert_cmpuint (cb_dps_poll_delay_ms (3, 0), ==, 3000);
  g_assert_cmpuint (cb_dps_poll_delay_ms (2, 9), ==, 2000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/client-dps/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

#define ADD_BOTH(path, func) \
  g_test_add ("/cb/client-dps/" path, Fixture, NULL, fixture_setup, func, fixture_teardown); \
  g_test_add ("/cb/client-dps/mqtt/" path, Fixture, GINT_TO_POINTER (CB_DPS_TRANSPORT_MQTT), \
              fixture_setup, func, fixture_teardown)

  ADD_BOTH ("register/group-key", test_register_group_key);
  ADD_BOTH ("register/device-key", test_register_device_key);
  ADD_BOTH ("register/csr-wrong-name", test_csr_wrong_name);
  ADD_BOTH ("register/csr-rsa", test_csr_rsa);
  ADD_BOTH ("register/csr-garbage", test_csr_garbage);
  ADD_BOTH ("register/wrong-key", test_wrong_key);
  ADD_BOTH ("register/operation-failed", test_operation_failed);
  ADD_BOTH ("register/throttled-then-success", test_throttled_then_success);
  ADD_BOTH ("register/after-group-change", test_register_after_group_change);
  ADD ("register/cancel", test_cancel);
  g_test_add ("/cb/client-dps/mqtt/register/cancel", Fixture,
              GINT_TO_POINTER (CB_DPS_TRANSPORT_MQTT), fixture_setup, test_cancel, fixture_teardown);
  g_test_add ("/cb/client-dps/mqtt/register/not-over-https", Fixture,
              GINT_TO_POINTER (CB_DPS_TRANSPORT_MQTT), fixture_setup, test_mqtt_not_https,
              fixture_teardown);
  g_test_add_func ("/cb/client-dps/transport/default", test_transport_default);
  g_test_add_func ("/cb/client-dps/poll-delay", test_poll_delay);
  ADD ("service/groups", test_service_groups);
  ADD ("service/query", test_service_query);
  ADD ("service/individual", test_service_individual);
  ADD ("service/bad-key", test_service_bad_key);
  ADD ("service/bearer", test_service_bearer);
#undef ADD

  return g_test_run ();
}
