/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-sas.h"
#include "cb-sb-adr.h"
#include "cb-test-sandbox.h"
#include "cb-util.h"
#include "cb-x509-chain.h"
#include "cb-x509.h"

/* The sandbox's DPS and IoT Hub surfaces over real HTTPS: registration with a CSR, the CSR and
 * SAS rejections, the enrollment service API, hub identities with etags, twins, the query with
 * its paging, SAS rights, and persistence across a restart. */

#define SUB        "00000000-0000-0000-0000-00000000c0de"
#define RG         "rg-bench"
#define NS         "ns-bench"
#define HUB        "hub-bench"
#define HUB_HOST   "hub-bench.azure-devices.net"
#define DPS        "dps-bench"
#define ID_SCOPE   "0ne00C0FFEE"
#define GROUP      "line-1"
#define POLICY     "default"
#define GROUP_KEY  "Y2VydGJlbmNoLWdyb3VwLWtleS0wMTIzNDU2Nzg5YWI="
#define OWNER_KEY  "ZHBzLW93bmVyLWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc="
#define DPS_API    "api-version=2025-07-01-preview"
#define HUB_API    "api-version=2021-04-12"

typedef struct
{
  CbTestSandbox *ts;
  char          *namespace_id;
} Fixture;

/* Hub and DPS only: what every test needs. */
static void
setup_topology (Fixture *fx)
{
  CbSandbox *sb = fx->ts->sandbox;
  g_autoptr(GError) error = NULL;

  fx->namespace_id = cb_sb_namespace_id (SUB, RG, NS);

  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB, fx->namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SUB, RG, DPS, ID_SCOPE, fx->namespace_id, HUB, &error);
  g_assert_no_error (error);
  g_assert_true (cb_sb_set_dps_owner_key (sb, DPS, OWNER_KEY));
  cb_sb_dps_create_enrollment_group (sb, DPS, GROUP, GROUP_KEY, POLICY, &error);
  g_assert_no_error (error);
  cb_sb_unlock (sb);
}

/* The ADR side (namespace, credential, policy), for the tests that issue certificates. */
static void
setup_adr (Fixture *fx)
{
  CbSandbox *sb = fx->ts->sandbox;
  g_autoptr(GError) error = NULL;

  cb_sb_lock (sb);
  cb_sb_adr_create_namespace (sb, SUB, RG, NS, "westeurope", &error);
  g_assert_no_error (error);
  cb_sb_adr_create_credential (sb, fx->namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_adr_create_policy (sb, fx->namespace_id, POLICY, 30, FALSE, &error);
  g_assert_no_error (error);
  cb_sb_unlock (sb);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  setup_topology (fx);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_clear_pointer (&fx->ts, cb_test_sandbox_free);
  g_free (fx->namespace_id);
}

/* ---- Requests -------------------------------------------------------------------------- */

/* A blocking request with extra headers (NULL-terminated name, value pairs). */
static guint
request (Fixture             *fx,
         const char          *method,
         const char          *path,
         const char          *authorization,
         const char          *body,
         JsonNode           **out_json,
         SoupMessageHeaders **out_headers,
         ...)
{
  g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (fx->ts->sandbox), path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  const char *name;
  va_list args;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (authorization != NULL)
    soup_message_headers_replace (headers, "Authorization", authorization);

  va_start (args, out_headers);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);

      /* A NULL value leaves the header out, so callers can pass optional ones. */
      if (value != NULL)
        soup_message_headers_replace (headers, name, value);
    }
  va_end (args);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  response = soup_session_send_and_read (fx->ts->session, msg, NULL, &error);
  g_assert_no_error (error);

  if (out_json != NULL)
    {
      gsize len = 0;
      const char *data = g_bytes_get_data (response, &len);

      *out_json = NULL;
      if (len > 0)
        {
          g_autofree char *text = g_strndup (data, len);

          *out_json = json_from_string (text, &error);
          if (*out_json == NULL)
            g_error ("%s %s answered non-JSON: %.*s", method, path, (int) MIN (len, 300), data);
        }
    }
  if (out_headers != NULL)
    *out_headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

  g_test_message ("%s %s -> %u", method, path, soup_message_get_status (msg));
  return soup_message_get_status (msg);
}

static char *
device_sas (const char *group_key,
            const char *registration_id,
            gint64      expiry)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *device_key = cb_sas_derive_device_key (group_key, registration_id, &error);
  g_autofree char *resource = g_strdup_printf ("%s/registrations/%s", ID_SCOPE, registration_id);
  char *token;

  g_assert_no_error (error);
  token = cb_sas_token_new (resource, device_key, "registration", expiry, CB_SAS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  return token;
}

static char *
hub_sas (Fixture    *fx,
         const char *key_name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  char *token;

  cb_sb_lock (fx->ts->sandbox);
  key = cb_sb_dup_hub_key (fx->ts->sandbox, HUB, key_name);
  cb_sb_unlock (fx->ts->sandbox);
  g_assert_nonnull (key);

  token = cb_sas_token_new (HUB_HOST, key, key_name, g_get_real_time () / G_USEC_PER_SEC + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

static char *
owner_sas (void)
{
  g_autoptr(GError) error = NULL;
  char *token = cb_sas_token_new (DPS ".azure-devices-provisioning.net", OWNER_KEY,
                                  "provisioningserviceowner",
                                  g_get_real_time () / G_USEC_PER_SEC + 3600,
                                  CB_SAS_FLAGS_NONE, &error);

  g_assert_no_error (error);
  return token;
}

static char *
csr_base64 (CbKeyType   type,
            const char *common_name,
            CbKey     **out_key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (type, &error);
  g_autoptr(GBytes) der = NULL;
  gsize len = 0;
  const guchar *data;

  g_assert_no_error (error);
  der = cb_csr_create (key, common_name, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (der, &len);

  if (out_key != NULL)
    *out_key = g_steal_pointer (&key);
  return g_base64_encode (data, len);
}

static char *
registration_body (const char *registration_id,
                   const char *csr)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "registrationId");
  json_builder_add_string_value (b, registration_id);
  if (csr != NULL)
    {
      json_builder_set_member_name (b, "csr");
      json_builder_add_string_value (b, csr);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static JsonObject *
obj (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static void
assert_dps_error (guint               status,
                  JsonNode           *body,
                  SoupMessageHeaders *headers,
                  guint               expected_status,
                  gint64              expected_code,
                  const char         *message_fragment)
{
  JsonObject *o = obj (body);
  g_autofree char *code_text = g_strdup_printf ("%" G_GINT64_FORMAT, expected_code);
  const char *message = json_object_get_string_member_with_default (o, "message", "");

  g_assert_cmpuint (status, ==, expected_status);
  g_assert_cmpint (json_object_get_int_member (o, "errorCode"), ==, expected_code);
  g_assert_nonnull (json_object_get_string_member_with_default (o, "trackingId", NULL));
  g_assert_nonnull (json_object_get_string_member_with_default (o, "timestampUtc", NULL));
  g_assert_cmpstr (soup_message_headers_get_one (headers, "x-ms-error-code"), ==, code_text);
  if (message_fragment != NULL && strstr (message, message_fragment) == NULL)
    g_error ("DPS error message \"%s\" lacks \"%s\"", message, message_fragment);
}

static void
assert_hub_error (guint               status,
                  JsonNode           *body,
                  SoupMessageHeaders *headers,
                  guint               expected_status,
                  const char         *expected_code,
                  const char         *message_fragment)
{
  JsonObject *o = obj (body);
  const char *message = json_object_get_string_member_with_default (o, "Message", "");
  g_autofree char *prefix = g_strdup_printf ("ErrorCode:%s;", expected_code);

  g_assert_cmpuint (status, ==, expected_status);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "iothub-errorcode"), ==, expected_code);
  g_assert_true (g_str_has_prefix (message, prefix));
  g_assert_true (g_str_has_prefix (json_object_get_string_member_with_default (o, "ExceptionMessage", ""),
                                   "Tracking ID:"));
  if (message_fragment != NULL && strstr (message, message_fragment) == NULL)
    g_error ("Hub error message \"%s\" lacks \"%s\"", message, message_fragment);
}

/* Registers and polls until the operation is terminal; returns the final body. */
static JsonNode *
register_and_wait (Fixture    *fx,
                   const char *registration_id,
                   const char *csr,
                   gboolean    expect_assigning)
{
  g_autofree char *sas = device_sas (GROUP_KEY, registration_id, g_get_real_time () / G_USEC_PER_SEC + 600);
  g_autofree char *body = registration_body (registration_id, csr);
  g_autofree char *path = g_strdup_printf ("/dps/%s/registrations/%s/register?" DPS_API,
                                           ID_SCOPE, registration_id);
  g_autofree char *operation_id = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  guint status;

  status = request (fx, "PUT", path, sas, body, &reply, &headers, NULL);
  g_assert_cmpuint (status, ==, 202);
  g_assert_cmpstr (json_object_get_string_member (obj (reply), "status"), ==, "assigning");
  operation_id = g_strdup (json_object_get_string_member (obj (reply), "operationId"));
  g_assert_true (g_str_has_prefix (operation_id, "5."));
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));
  g_assert_true (g_str_has_suffix (soup_message_headers_get_one (headers, "Location"),
                                   "/register"));

  for (guint attempt = 0; attempt < 200; attempt++)
    {
      g_autofree char *poll = g_strdup_printf ("/dps/%s/registrations/%s/operations/%s?" DPS_API,
                                               ID_SCOPE, registration_id, operation_id);
      g_autoptr(JsonNode) state = NULL;

      status = request (fx, "GET", poll, sas, NULL, &state, NULL, NULL);
      if (status == 202)
        {
          g_assert_cmpstr (json_object_get_string_member (obj (state), "status"), ==, "assigning");
          expect_assigning = FALSE;
          g_usleep (20 * 1000);
          continue;
        }

      g_assert_cmpuint (status, ==, 200);
      /* The first poll must have seen the operation still assigning when asked to. */
      g_assert_false (expect_assigning);
      g_assert_cmpstr (json_object_get_string_member (obj (state), "operationId"), ==, operation_id);
      return g_steal_pointer (&state);
    }

  g_error ("The registration of %s never finished", registration_id);
  return NULL;
}

/* ---- DPS: registration ----------------------------------------------------------------- */

static void
run_dps_register_with_csr (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(CbKey) key = NULL;
  g_autofree char *csr = NULL;
  g_autoptr(JsonNode) final = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(JsonNode) device = NULL;
  g_autoptr(JsonNode) lookup = NULL;
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) leaf_key = NULL;
  g_autoptr(GBytes) csr_key = NULL;
  g_autofree char *hub_auth = NULL;
  g_autofree char *sas = NULL;
  g_autofree char *lookup_body = NULL;
  JsonObject *state;
  JsonArray *issued;

  setup_adr (fx);
  /* Long enough that the first poll certainly sees "assigning". */
  cb_sb_lock (fx->ts->sandbox);
  fx->ts->sandbox->lro_delay_ms = 300;
  cb_sb_unlock (fx->ts->sandbox);

  csr = csr_base64 (CB_KEY_TYPE_EC_P384, "line1-0001", &key);
  final = register_and_wait (fx, "line1-0001", csr, TRUE);

  g_assert_cmpstr (json_object_get_string_member (obj (final), "status"), ==, "assigned");
  state = json_object_get_object_member (obj (final), "registrationState");
  g_assert_cmpstr (json_object_get_string_member (state, "registrationId"), ==, "line1-0001");
  g_assert_cmpstr (json_object_get_string_member (state, "status"), ==, "assigned");
  g_assert_cmpstr (json_object_get_string_member (state, "substatus"), ==, "initialAssignment");
  g_assert_cmpstr (json_object_get_string_member (state, "assignedHub"), ==, HUB_HOST);
  g_assert_cmpstr (json_object_get_string_member (state, "deviceId"), ==, "line1-0001");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (state, "symmetricKey"),
                                                  "enrollmentGroupId"), ==, GROUP);
  g_assert_nonnull (json_object_get_string_member_with_default (state, "createdDateTimeUtc", NULL));
  g_assert_nonnull (json_object_get_string_member_with_default (state, "lastUpdatedDateTimeUtc", NULL));
  g_assert_nonnull (json_object_get_string_member_with_default (state, "etag", NULL));

  /* [leaf, ICA, root], base64 DER, each issued by the next, verifying against the root. */
  issued = json_object_get_array_member (state, "issuedCertificateChain");
  g_assert_cmpuint (json_array_get_length (issued), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      gsize len = 0;
      guchar *der = g_base64_decode (json_array_get_string_element (issued, i), &len);
      g_autoptr(GBytes) bytes = g_bytes_new_take (der, len);
      CbCertificate *cert = cb_certificate_new_from_der (bytes, &error);

      g_assert_no_error (error);
      g_ptr_array_add (chain, cert);
    }
  g_ptr_array_add (anchors, g_ptr_array_index (chain, 2));
  cb_x509_verify_chain (chain, anchors, g_get_real_time () / G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_certificate_get_common_name (g_ptr_array_index (chain, 0)), ==, "line1-0001");
  leaf_key = cb_certificate_get_public_key_der (g_ptr_array_index (chain, 0));
  csr_key = cb_key_get_public_key_der (key);
  g_assert_true (g_bytes_equal (leaf_key, csr_key));

  /* The hub identity exists, authenticated by CA. */
  hub_auth = hub_sas (fx, "iothubowner");
  g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/devices/line1-0001?" HUB_API, hub_auth, NULL,
                             &device, NULL, NULL), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (obj (device), "authentication"), "type"),
                   ==, "certificateAuthority");
  g_assert_cmpstr (json_object_get_string_member (obj (device), "connectionState"), ==, "Disconnected");

  /* The status lookup answers without the chain, and refuses a csr. */
  sas = device_sas (GROUP_KEY, "line1-0001", g_get_real_time () / G_USEC_PER_SEC + 600);
  lookup_body = registration_body ("line1-0001", NULL);
  g_assert_cmpuint (request (fx, "POST", "/dps/" ID_SCOPE "/registrations/line1-0001?" DPS_API, sas,
                             lookup_body, &lookup, NULL, NULL), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (lookup), "status"), ==, "assigned");
  g_assert_cmpstr (json_object_get_string_member (obj (lookup), "assignedHub"), ==, HUB_HOST);
  g_assert_false (json_object_has_member (obj (lookup), "issuedCertificateChain"));
  {
    g_autofree char *with_csr = registration_body ("line1-0001", csr);
    g_autoptr(JsonNode) err = NULL;
    g_autoptr(SoupMessageHeaders) headers = NULL;
    guint status = request (fx, "POST", "/dps/" ID_SCOPE "/registrations/line1-0001?" DPS_API, sas,
                            with_csr, &err, &headers, NULL);

    assert_dps_error (status, err, headers, 400, 400207, "csr");
  }

  /* Registering again is a re-provisioning. */
  cb_sb_lock (fx->ts->sandbox);
  fx->ts->sandbox->lro_delay_ms = 20;
  cb_sb_unlock (fx->ts->sandbox);
  g_clear_pointer (&csr, g_free);
  g_clear_pointer (&key, cb_key_unref);
  csr = csr_base64 (CB_KEY_TYPE_EC_P256, "line1-0001", &key);
  again = register_and_wait (fx, "line1-0001", csr, FALSE);
  state = json_object_get_object_member (obj (again), "registrationState");
  g_assert_cmpstr (json_object_get_string_member (state, "substatus"), ==,
                   "reprovisionedToInitialAssignment");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (state,
                                                                         "issuedCertificateChain")), ==, 3);
}

/* A wall-clock check: the sanitizer pass (build-aux/test-sanitize.sh) leaves it out. */
static void
test_dps_register_with_csr (Fixture       *fx,
                            gconstpointer  data)
{
  if (cb_test_skip_under_sanitizer ("a first DPS poll that must come within the sandbox's "
                                    "300 ms assignment delay"))
    return;
  run_dps_register_with_csr (fx, data);
}

static void
test_dps_policy_missing (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) final = NULL;
  g_autofree char *csr = NULL;
  JsonObject *state;

  setup_adr (fx);
  cb_sb_lock (fx->ts->sandbox);
  cb_sb_dps_create_enrollment_group (fx->ts->sandbox, DPS, GROUP, GROUP_KEY, "no-such-policy", &error);
  fx->ts->sandbox->lro_delay_ms = 20;
  cb_sb_unlock (fx->ts->sandbox);
  g_assert_no_error (error);

  csr = csr_base64 (CB_KEY_TYPE_EC_P256, "line1-0002", NULL);
  final = register_and_wait (fx, "line1-0002", csr, FALSE);

  g_assert_cmpstr (json_object_get_string_member (obj (final), "status"), ==, "failed");
  state = json_object_get_object_member (obj (final), "registrationState");
  g_assert_cmpstr (json_object_get_string_member (state, "status"), ==, "failed");
  g_assert_cmpint (json_object_get_int_member (state, "errorCode"), ==, 404211);
  g_assert_nonnull (strstr (json_object_get_string_member (state, "errorMessage"), "no-such-policy"));
  g_assert_false (json_object_has_member (state, "issuedCertificateChain"));
}

/* Without a csr the registration assigns the device without issuing: no ADR needed. */
static void
test_dps_register_without_csr_and_persist (Fixture       *fx,
                                           gconstpointer  data)
{
  g_autoptr(JsonNode) final = NULL;
  g_autoptr(JsonNode) lookup = NULL;
  g_autofree char *sas = NULL;
  JsonObject *state;
  gboolean enabled = FALSE;

  cb_sb_lock (fx->ts->sandbox);
  fx->ts->sandbox->lro_delay_ms = 20;
  cb_sb_unlock (fx->ts->sandbox);

  final = register_and_wait (fx, "plain-01", NULL, FALSE);
  state = json_object_get_object_member (obj (final), "registrationState");
  g_assert_cmpstr (json_object_get_string_member (state, "status"), ==, "assigned");
  g_assert_false (json_object_has_member (state, "issuedCertificateChain"));
  g_assert_true (cb_sb_hub_lookup_device (fx->ts->sandbox, HUB, "plain-01", &enabled));
  g_assert_true (enabled);

  /* Issued no certificate, the device authenticates to the hub with its key, derived from the
   * group's as DPS derives it, so a device SDK that registered with it connects with it. */
  {
    g_autofree char *hub_auth = hub_sas (fx, "iothubowner");
    g_autofree char *derived = cb_sas_derive_device_key (GROUP_KEY, "plain-01", NULL);
    g_autoptr(JsonNode) device = NULL;
    JsonObject *auth;

    g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/devices/plain-01?" HUB_API, hub_auth,
                               NULL, &device, NULL, NULL), ==, 200);
    auth = json_object_get_object_member (obj (device), "authentication");
    g_assert_cmpstr (json_object_get_string_member (auth, "type"), ==, "sas");
    g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (auth, "symmetricKey"), "primaryKey"), ==,
                     derived);
  }

  cb_test_sandbox_restart (fx->ts);
  /* The restarted sandbox has the helper's delay again: keep the one the operation ran with. */
  cb_sb_lock (fx->ts->sandbox);
  fx->ts->sandbox->lro_delay_ms = 20;
  cb_sb_unlock (fx->ts->sandbox);

  sas = device_sas (GROUP_KEY, "plain-01", g_get_real_time () / G_USEC_PER_SEC + 600);
  g_assert_cmpuint (request (fx, "POST", "/dps/" ID_SCOPE "/registrations/plain-01?" DPS_API, sas,
                             NULL, &lookup, NULL, NULL), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (lookup), "status"), ==, "assigned");
  g_assert_cmpstr (json_object_get_string_member (obj (lookup), "deviceId"), ==, "plain-01");
  g_assert_true (cb_sb_hub_lookup_device (fx->ts->sandbox, HUB, "plain-01", &enabled));
}

static void
test_dps_disabled_and_faults (Fixture       *fx,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) disabled_device = NULL;
  g_autoptr(JsonNode) faulted = NULL;
  g_autoptr(JsonNode) disabled_group = NULL;
  g_autofree char *owner = owner_sas ();
  JsonObject *state;

  cb_sb_lock (fx->ts->sandbox);
  fx->ts->sandbox->lro_delay_ms = 20;
  cb_sb_hub_ensure_device (fx->ts->sandbox, HUB, "off-01", &error);
  g_assert_no_error (error);
  cb_sb_hub_set_device_enabled (fx->ts->sandbox, HUB, "off-01", FALSE, &error);
  g_assert_no_error (error);
  cb_sb_unlock (fx->ts->sandbox);

  /* A device disabled in the hub fails. */
  disabled_device = register_and_wait (fx, "off-01", NULL, FALSE);
  state = json_object_get_object_member (obj (disabled_device), "registrationState");
  g_assert_cmpstr (json_object_get_string_member (state, "status"), ==, "failed");
  g_assert_cmpint (json_object_get_int_member (state, "errorCode"), ==, 403209);

  /* The fault rule turns the next registration into a failure, once. */
  g_assert_cmpuint (cb_test_sandbox_request (fx->ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "[{\"path\": \"/dps/*/register\", \"dps\": \"failed\", "
                                             "\"count\": 1}]", NULL, NULL), <, 300);
  faulted = register_and_wait (fx, "fault-01", NULL, FALSE);
  g_assert_cmpstr (json_object_get_string_member (obj (faulted), "status"), ==, "failed");
  state = json_object_get_object_member (obj (faulted), "registrationState");
  g_assert_cmpint (json_object_get_int_member (state, "errorCode"), ==, 500214);
  {
    g_autoptr(JsonNode) next = register_and_wait (fx, "fault-02", NULL, FALSE);

    g_assert_cmpstr (json_object_get_string_member (obj (next), "status"), ==, "assigned");
  }

  /* A disabled enrollment group: status "disabled". */
  g_assert_cmpuint (request (fx, "PUT", "/dps-service/" DPS "/enrollmentGroups/" GROUP "?" DPS_API,
                             owner,
                             "{\"enrollmentGroupId\": \"" GROUP "\", \"provisioningStatus\": \"disabled\","
                             " \"credentialPolicyName\": \"" POLICY "\", \"attestation\": {\"type\": "
                             "\"symmetricKey\", \"symmetricKey\": {\"primaryKey\": \"" GROUP_KEY "\"}}}",
                             NULL, NULL, NULL), ==, 200);
  disabled_group = register_and_wait (fx, "line1-0009", NULL, FALSE);
  g_assert_cmpstr (json_object_get_string_member (obj (disabled_group), "status"), ==, "disabled");
  state = json_object_get_object_member (obj (disabled_group), "registrationState");
  g_assert_cmpint (json_object_get_int_member (state, "errorCode"), ==, 403210);
}

static void
test_dps_csr_rejections (Fixture       *fx,
                         gconstpointer  data)
{
  struct
  {
    const char *name;
    char       *csr;
    gint64      code;
    const char *fragment;
  } cases[7];
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) der = cb_csr_create (key, "line1-0003", &error);
  g_autofree char *sas = device_sas (GROUP_KEY, "line1-0003", g_get_real_time () / G_USEC_PER_SEC + 600);
  g_autofree guint8 *tampered = NULL;
  g_autofree char *good_b64 = NULL;
  gsize len = 0;
  const guint8 *data_bytes;
  guint n = 0;

  g_assert_no_error (error);
  data_bytes = g_bytes_get_data (der, &len);
  good_b64 = g_base64_encode (data_bytes, len);

  cases[n].name = "RSA";
  cases[n].csr = csr_base64 (CB_KEY_TYPE_RSA, "line1-0003", NULL);
  cases[n].code = 400204;
  cases[n++].fragment = "RSA";

  cases[n].name = "wrong CN";
  cases[n].csr = csr_base64 (CB_KEY_TYPE_EC_P256, "someone-else", NULL);
  cases[n].code = 400205;
  cases[n++].fragment = "'someone-else'";

  /* The last byte belongs to the signature's s value: flipping it keeps the DER valid. */
  tampered = g_memdup2 (data_bytes, len);
  tampered[len - 1] ^= 0x01;
  cases[n].name = "bad signature";
  cases[n].csr = g_base64_encode (tampered, len);
  cases[n].code = 400206;
  cases[n++].fragment = "signature";

  cases[n].name = "PEM armour";
  cases[n].csr = g_strdup_printf ("-----BEGIN CERTIFICATE REQUEST-----\n%s\n"
                                  "-----END CERTIFICATE REQUEST-----\n", good_b64);
  cases[n].code = 400202;
  cases[n++].fragment = "PEM";

  cases[n].name = "not base64";
  cases[n].csr = g_strdup ("not base64 at all!");
  cases[n].code = 400201;
  cases[n++].fragment = "base64";

  cases[n].name = "not a CSR";
  cases[n].csr = g_base64_encode ((const guchar *) "just some bytes!", 16);
  cases[n].code = 400203;
  cases[n++].fragment = "PKCS#10";

  cases[n].name = "P-521";
  cases[n].csr = csr_base64 (CB_KEY_TYPE_EC_P521, "line1-0003", NULL);
  cases[n].code = 400204;
  cases[n++].fragment = "P-384";

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *body = registration_body ("line1-0003", cases[i].csr);
      g_autoptr(JsonNode) reply = NULL;
      g_autoptr(SoupMessageHeaders) headers = NULL;
      guint status;

      g_test_message ("CSR case: %s", cases[i].name);
      status = request (fx, "PUT", "/dps/" ID_SCOPE "/registrations/line1-0003/register?" DPS_API,
                        sas, body, &reply, &headers, NULL);
      assert_dps_error (status, reply, headers, 400, cases[i].code, cases[i].fragment);
      g_free (cases[i].csr);
    }

  /* registrationId in the body must match the path. */
  {
    g_autofree char *body = registration_body ("line1-0004", good_b64);
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) headers = NULL;
    guint status = request (fx, "PUT", "/dps/" ID_SCOPE "/registrations/line1-0003/register?" DPS_API,
                            sas, body, &reply, &headers, NULL);

    assert_dps_error (status, reply, headers, 400, 400102, "line1-0004");
  }
}

static void
test_dps_bad_sas (Fixture       *fx,
                  gconstpointer  data)
{
  const char *path = "/dps/" ID_SCOPE "/registrations/line1-0005/register?" DPS_API;
  g_autofree char *body = registration_body ("line1-0005", NULL);
  gint64 later = g_get_real_time () / G_USEC_PER_SEC + 600;
  g_autofree char *wrong_key = device_sas ("b3RoZXItZ3JvdXAta2V5LTAxMjM0NTY3ODlhYmNkZWY=", "line1-0005", later);
  g_autofree char *expired = device_sas (GROUP_KEY, "line1-0005", g_get_real_time () / G_USEC_PER_SEC - 10);
  g_autofree char *other_device = device_sas (GROUP_KEY, "line1-0006", later);
  g_autoptr(GError) error = NULL;
  g_autofree char *device_key = cb_sas_derive_device_key (GROUP_KEY, "line1-0005", &error);
  g_autofree char *wrong_skn = cb_sas_token_new (ID_SCOPE "/registrations/line1-0005", device_key,
                                                 "device", later, CB_SAS_FLAGS_NONE, &error);
  const char *tokens[] = { wrong_key, expired, other_device, wrong_skn, NULL, "SharedAccessSignature x" };

  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autoptr(JsonNode) reply = NULL;
      g_autoptr(SoupMessageHeaders) headers = NULL;
      guint status = request (fx, "PUT", path, tokens[i], body, &reply, &headers, NULL);

      assert_dps_error (status, reply, headers, 401, 401002, "Unauthorized");
    }

  /* An unknown ID scope is refused the same way. */
  {
    g_autofree char *good = device_sas (GROUP_KEY, "line1-0005", later);
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) headers = NULL;
    guint status = request (fx, "PUT", "/dps/0ne00NOPE/registrations/line1-0005/register?" DPS_API,
                            good, body, &reply, &headers, NULL);

    assert_dps_error (status, reply, headers, 401, 401002, "0ne00NOPE");
  }
}

/* ---- DPS: service API ------------------------------------------------------------------ */

static void
test_dps_service_api (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *owner = owner_sas ();
  g_autofree char *bearer = cb_test_sandbox_token (fx->ts, "ops@sandbox.test", NULL, NULL, CB_SB_AUD_DPS);
  g_autofree char *arm_bearer = cb_test_sandbox_token (fx->ts, "arm@sandbox.test", NULL, NULL, CB_SB_AUD_ARM);
  g_autofree char *etag = NULL;
  g_autofree char *quoted = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  JsonObject *sym;
  guint status;
  const char *group_path = "/dps-service/" DPS "/enrollmentGroups/line-2?" DPS_API;

  status = request (fx, "PUT", group_path, owner,
                    "{\"enrollmentGroupId\": \"line-2\", \"credentialPolicyName\": \"" POLICY "\","
                    " \"attestation\": {\"type\": \"symmetricKey\"}, \"allocationPolicy\": \"hashed\"}",
                    &created, &headers, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (created), "enrollmentGroupId"), ==, "line-2");
  g_assert_cmpstr (json_object_get_string_member (obj (created), "credentialPolicyName"), ==, POLICY);
  g_assert_cmpstr (json_object_get_string_member (obj (created), "provisioningStatus"), ==, "enabled");
  sym = json_object_get_object_member (json_object_get_object_member (obj (created), "attestation"),
                                       "symmetricKey");
  /* Keys are generated when absent. */
  g_assert_cmpuint (strlen (json_object_get_string_member (sym, "primaryKey")), >=, 44);
  g_assert_cmpuint (strlen (json_object_get_string_member (sym, "secondaryKey")), >=, 44);
  etag = g_strdup (json_object_get_string_member (obj (created), "etag"));
  quoted = g_strdup_printf ("\"%s\"", etag);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "ETag"), ==, quoted);

  /* If-Match with a stale etag: 412. */
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "PUT", group_path, owner,
                      "{\"enrollmentGroupId\": \"line-2\", \"provisioningStatus\": \"disabled\"}",
                      &reply, &h, "If-Match", "\"bm90LXRoZS1ldGFn\"", NULL);
    assert_dps_error (status, reply, h, 412, 412301, "etag");
  }
  /* With the right one: updated, keys kept, new etag. */
  {
    g_autoptr(JsonNode) reply = NULL;
    JsonObject *sym2;

    status = request (fx, "PUT", group_path, bearer,
                      "{\"enrollmentGroupId\": \"line-2\", \"provisioningStatus\": \"disabled\","
                      " \"credentialPolicyName\": \"other\"}",
                      &reply, NULL, "If-Match", quoted, NULL);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (obj (reply), "provisioningStatus"), ==, "disabled");
    g_assert_cmpstr (json_object_get_string_member (obj (reply), "credentialPolicyName"), ==, "other");
    g_assert_cmpstr (json_object_get_string_member (obj (reply), "etag"), !=, etag);
    sym2 = json_object_get_object_member (json_object_get_object_member (obj (reply), "attestation"),
                                          "symmetricKey");
    g_assert_cmpstr (json_object_get_string_member (sym2, "primaryKey"), ==,
                     json_object_get_string_member (sym, "primaryKey"));
  }

  /* Individual enrollments. */
  {
    g_autoptr(JsonNode) reply = NULL;

    status = request (fx, "PUT", "/dps-service/" DPS "/enrollments/solo-1?" DPS_API, owner,
                      "{\"registrationId\": \"solo-1\", \"deviceId\": \"solo-1\","
                      " \"credentialPolicyName\": \"" POLICY "\", \"attestation\": {\"type\": \"symmetricKey\","
                      " \"symmetricKey\": {\"primaryKey\": \"" GROUP_KEY "\", \"secondaryKey\": \"" GROUP_KEY "\"}}}",
                      &reply, NULL, NULL);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (obj (reply), "registrationId"), ==, "solo-1");
    g_assert_cmpstr (json_object_get_string_member (obj (reply), "deviceId"), ==, "solo-1");
  }
  /* X.509 attestation is not served. */
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "PUT", "/dps-service/" DPS "/enrollments/solo-2?" DPS_API, owner,
                      "{\"registrationId\": \"solo-2\", \"attestation\": {\"type\": \"x509\"}}",
                      &reply, &h, NULL);
    assert_dps_error (status, reply, h, 400, 400301, "x509");
  }

  /* The query pages with x-ms-continuation: three groups, two a page. */
  {
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
    g_autofree char *continuation = NULL;
    guint pages = 0;

    g_assert_cmpuint (request (fx, "PUT", "/dps-service/" DPS "/enrollmentGroups/line-3?" DPS_API, owner,
                               "{}", NULL, NULL, NULL), ==, 200);
    do
      {
        g_autoptr(JsonNode) reply = NULL;
        g_autoptr(SoupMessageHeaders) h = NULL;
        JsonArray *items;

        status = request (fx, "POST", "/dps-service/" DPS "/enrollmentGroups/query?" DPS_API, owner,
                          "{\"query\": \"*\"}", &reply, &h,
                          "x-ms-max-item-count", "2",
                          continuation != NULL ? "x-ms-continuation" : NULL, continuation, NULL);
        g_assert_cmpuint (status, ==, 200);
        items = json_node_get_array (reply);
        for (guint i = 0; i < json_array_get_length (items); i++)
          g_ptr_array_add (ids, g_strdup (json_object_get_string_member (
                                            json_array_get_object_element (items, i), "enrollmentGroupId")));
        g_free (continuation);
        continuation = g_strdup (soup_message_headers_get_one (h, "x-ms-continuation"));
        pages++;
      }
    while (continuation != NULL);

    g_assert_cmpuint (pages, ==, 2);
    g_assert_cmpuint (ids->len, ==, 3);
    g_assert_cmpstr (g_ptr_array_index (ids, 0), ==, GROUP);
    g_assert_cmpstr (g_ptr_array_index (ids, 2), ==, "line-3");
  }

  /* Authentication: the wrong audience, no header, the wrong key. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *bad = cb_sas_token_new (DPS ".azure-devices-provisioning.net", GROUP_KEY,
                                             "provisioningserviceowner",
                                             g_get_real_time () / G_USEC_PER_SEC + 600,
                                             CB_SAS_FLAGS_NONE, &error);
    const char *tokens[] = { arm_bearer, NULL, bad };

    for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
      {
        g_autoptr(JsonNode) reply = NULL;
        g_autoptr(SoupMessageHeaders) h = NULL;

        status = request (fx, "GET", group_path, tokens[i], NULL, &reply, &h, NULL);
        assert_dps_error (status, reply, h, 401, 401002, NULL);
      }
  }

  /* Delete, then it is gone. */
  g_assert_cmpuint (request (fx, "DELETE", group_path, owner, NULL, NULL, NULL, NULL), ==, 204);
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "GET", group_path, owner, NULL, &reply, &h, NULL);
    assert_dps_error (status, reply, h, 404, 404301, "line-2");
  }
}

/* ---- Hub: identities ------------------------------------------------------------------- */

static void
test_hub_device_crud (Fixture       *fx,
                      gconstpointer  data)
{
  g_autofree char *auth = hub_sas (fx, "iothubowner");
  const char *path = "/hubs/" HUB "/devices/dev-1?" HUB_API;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *quoted = NULL;
  JsonObject *device;
  JsonObject *authn;
  guint status;

  status = request (fx, "PUT", path, auth, "{\"deviceId\": \"dev-1\"}", &created, &headers, NULL);
  g_assert_cmpuint (status, ==, 200);
  device = obj (created);
  g_assert_cmpstr (json_object_get_string_member (device, "deviceId"), ==, "dev-1");
  g_assert_cmpstr (json_object_get_string_member (device, "status"), ==, "enabled");
  g_assert_cmpstr (json_object_get_string_member (device, "connectionState"), ==, "Disconnected");
  g_assert_true (json_object_has_member (device, "statusReason"));
  g_assert_nonnull (json_object_get_string_member (device, "generationId"));
  g_assert_nonnull (json_object_get_string_member (device, "statusUpdatedTime"));
  g_assert_nonnull (json_object_get_string_member (device, "lastActivityTime"));
  g_assert_nonnull (json_object_get_string_member (device, "connectionStateUpdatedTime"));
  g_assert_cmpint (json_object_get_int_member (device, "cloudToDeviceMessageCount"), ==, 0);
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (device, "capabilities"),
                                                  "iotEdge"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (device, "parentScopes")), ==, 0);
  authn = json_object_get_object_member (device, "authentication");
  /* sas is the default type, and the hub generates the keys. */
  g_assert_cmpstr (json_object_get_string_member (authn, "type"), ==, "sas");
  g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (authn, "symmetricKey"),
                                                   "primaryKey"));
  etag = g_strdup (json_object_get_string_member (device, "etag"));
  quoted = g_strdup_printf ("\"%s\"", etag);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "ETag"), ==, quoted);

  /* Creating again: 409. */
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "PUT", path, auth, "{\"deviceId\": \"dev-1\"}", &reply, &h, NULL);
    assert_hub_error (status, reply, h, 409, "DeviceAlreadyExists", "dev-1");
  }
  /* A stale etag: 412. */
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "PUT", path, auth, "{\"deviceId\": \"dev-1\", \"status\": \"disabled\"}",
                      &reply, &h, "If-Match", "\"MTIzNDU2Nzg5\"", NULL);
    assert_hub_error (status, reply, h, 412, "PreconditionFailed", NULL);
  }
  /* The right etag: disabled as the docs say (GET, then PUT the whole device). */
  {
    g_autoptr(JsonNode) reply = NULL;

    status = request (fx, "PUT", path, auth,
                      "{\"deviceId\": \"dev-1\", \"status\": \"disabled\", \"statusReason\": \"rma\","
                      " \"authentication\": {\"type\": \"certificateAuthority\"}}",
                      &reply, NULL, "If-Match", quoted, NULL);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (obj (reply), "status"), ==, "disabled");
    g_assert_cmpstr (json_object_get_string_member (obj (reply), "statusReason"), ==, "rma");
    g_assert_cmpstr (json_object_get_string_member (obj (reply), "etag"), !=, etag);
    g_assert_cmpstr (json_object_get_string_member (obj (reply), "generationId"), ==,
                     json_object_get_string_member (device, "generationId"));
    authn = json_object_get_object_member (obj (reply), "authentication");
    g_assert_cmpstr (json_object_get_string_member (authn, "type"), ==, "certificateAuthority");
    g_assert_true (json_object_get_null_member (json_object_get_object_member (authn, "symmetricKey"),
                                                "primaryKey"));
  }
  {
    gboolean enabled = TRUE;

    g_assert_true (cb_sb_hub_lookup_device (fx->ts->sandbox, HUB, "dev-1", &enabled));
    g_assert_false (enabled);
  }
  /* "*" replaces unconditionally. */
  g_assert_cmpuint (request (fx, "PUT", path, auth, "{\"status\": \"enabled\"}", NULL, NULL,
                             "If-Match", "*", NULL), ==, 200);

  /* DELETE needs If-Match, and the etag must match. */
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "DELETE", path, auth, NULL, &reply, &h, NULL);
    assert_hub_error (status, reply, h, 400, "ArgumentNull", "If-Match");
  }
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "DELETE", path, auth, NULL, &reply, &h, "If-Match", quoted, NULL);
    assert_hub_error (status, reply, h, 412, "PreconditionFailed", NULL);
  }
  g_assert_cmpuint (request (fx, "DELETE", path, auth, NULL, NULL, NULL, "If-Match", "*", NULL), ==, 204);

  /* Gone: 404 DeviceNotFound, for the identity and its twin. */
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "GET", path, auth, NULL, &reply, &h, NULL);
    assert_hub_error (status, reply, h, 404, "DeviceNotFound", "dev-1");
  }
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "GET", "/hubs/" HUB "/twins/dev-1?" HUB_API, auth, NULL, &reply, &h, NULL);
    assert_hub_error (status, reply, h, 404, "DeviceNotFound", NULL);
  }
  /* A bad id and a bad body. */
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "PUT", "/hubs/" HUB "/devices/dev-2?" HUB_API, auth,
                      "{\"deviceId\": \"dev-3\"}", &reply, &h, NULL);
    assert_hub_error (status, reply, h, 400, "ArgumentInvalid", "dev-3");
  }
}

/* ---- Hub: twins and query -------------------------------------------------------------- */

static char *
query_body (const char *query)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "query");
  json_builder_add_string_value (b, query);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* Runs a query through every page; returns all rows and counts the pages. */
static JsonArray *
query_all (Fixture    *fx,
           const char *auth,
           const char *query,
           const char *max_items,
           const char *expected_item_type,
           guint      *pages)
{
  g_autofree char *body = query_body (query);
  g_autofree char *continuation = NULL;
  JsonArray *all = json_array_new ();

  *pages = 0;
  do
    {
      g_autoptr(JsonNode) reply = NULL;
      g_autoptr(SoupMessageHeaders) h = NULL;
      JsonArray *rows;
      guint status;

      status = request (fx, "POST", "/hubs/" HUB "/devices/query?" HUB_API, auth, body, &reply, &h,
                        "x-ms-max-item-count", max_items, "x-ms-continuation", continuation, NULL);
      g_assert_cmpuint (status, ==, 200);
      g_assert_cmpstr (soup_message_headers_get_one (h, "x-ms-item-type"), ==, expected_item_type);
      g_assert_true (JSON_NODE_HOLDS_ARRAY (reply));
      rows = json_node_get_array (reply);
      for (guint i = 0; i < json_array_get_length (rows); i++)
        json_array_add_element (all, json_node_copy (json_array_get_element (rows, i)));

      g_free (continuation);
      continuation = g_strdup (soup_message_headers_get_one (h, "x-ms-continuation"));
      (*pages)++;
      g_assert_cmpuint (*pages, <, 100);
    }
  while (continuation != NULL);

  return all;
}

static void
test_hub_twin_and_query (Fixture       *fx,
                         gconstpointer  data)
{
  g_autofree char *auth = hub_sas (fx, "iothubowner");
  g_autofree char *service = hub_sas (fx, "service");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) twin = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *twin_etag = NULL;
  g_autofree char *quoted = NULL;
  JsonObject *desired;
  JsonObject *reported;
  guint status;
  guint pages;

  /* Eight devices: even ones on line L1, odd ones on L2; the first three report certificates. */
  cb_sb_lock (fx->ts->sandbox);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *id = g_strdup_printf ("q-%02u", i);

      cb_sb_hub_ensure_device (fx->ts->sandbox, HUB, id, &error);
      g_assert_no_error (error);
      if (i < 3)
        {
          g_autofree char *until = g_strdup_printf ("2026-0%u-01T00:00:00Z", 3 + i);
          g_autoptr(JsonObject) patch = json_object_new ();
          JsonObject *cert = json_object_new ();

          json_object_set_string_member (cert, "validFrom", "2026-02-01T00:00:00Z");
          json_object_set_string_member (cert, "validUntil", until);
          json_object_set_object_member (patch, "certificate", cert);
          cb_sb_hub_patch_reported (fx->ts->sandbox, HUB, id, patch, &error);
          g_assert_no_error (error);
        }
    }
  cb_sb_unlock (fx->ts->sandbox);

  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *path = g_strdup_printf ("/hubs/" HUB "/twins/q-%02u?" HUB_API, i);
      g_autofree char *body = g_strdup_printf ("{\"tags\": {\"line\": \"L%u\", \"slot\": %u}}",
                                               1 + i % 2, i);

      g_assert_cmpuint (request (fx, "PATCH", path, service, body, NULL, NULL, NULL), ==, 200);
    }

  /* The twin: tags, desired and reported with $metadata and $version, etag and version. */
  status = request (fx, "GET", "/hubs/" HUB "/twins/q-00?" HUB_API, auth, NULL, &twin, &headers, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (twin), "deviceId"), ==, "q-00");
  g_assert_cmpstr (json_object_get_string_member (obj (twin), "status"), ==, "enabled");
  g_assert_cmpstr (json_object_get_string_member (obj (twin), "authenticationType"), ==,
                   "certificateAuthority");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj (twin), "tags"),
                                                  "line"), ==, "L1");
  reported = json_object_get_object_member (json_object_get_object_member (obj (twin), "properties"),
                                            "reported");
  g_assert_cmpint (json_object_get_int_member (reported, "$version"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reported, "certificate"),
                                                  "validUntil"), ==, "2026-03-01T00:00:00Z");
  g_assert_nonnull (json_object_get_object_member (json_object_get_object_member (reported, "$metadata"),
                                                   "certificate"));
  twin_etag = g_strdup (json_object_get_string_member (obj (twin), "etag"));
  quoted = g_strdup_printf ("\"%s\"", twin_etag);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "ETag"), ==, quoted);

  /* PATCH desired with If-Match: merge, null deletes, $version counts. */
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(JsonNode) reply2 = NULL;
    JsonObject *meta;

    status = request (fx, "PATCH", "/hubs/" HUB "/twins/q-00?" HUB_API, auth,
                      "{\"properties\": {\"desired\": {\"interval\": 30, \"mode\": {\"a\": 1, \"b\": 2}}}}",
                      &reply, NULL, "If-Match", quoted, NULL);
    g_assert_cmpuint (status, ==, 200);
    status = request (fx, "PATCH", "/hubs/" HUB "/twins/q-00?" HUB_API, auth,
                      "{\"properties\": {\"desired\": {\"interval\": null, \"mode\": {\"b\": 3}}}}",
                      &reply2, NULL, NULL);
    g_assert_cmpuint (status, ==, 200);
    desired = json_object_get_object_member (json_object_get_object_member (obj (reply2), "properties"),
                                             "desired");
    g_assert_false (json_object_has_member (desired, "interval"));
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (desired, "mode"), "a"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (desired, "mode"), "b"), ==, 3);
    g_assert_cmpint (json_object_get_int_member (desired, "$version"), ==, 3);
    meta = json_object_get_object_member (desired, "$metadata");
    g_assert_nonnull (json_object_get_string_member (meta, "$lastUpdated"));
    g_assert_cmpint (json_object_get_int_member (meta, "$lastUpdatedVersion"), ==, 3);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
                       json_object_get_object_member (meta, "mode"), "b"), "$lastUpdatedVersion"), ==, 3);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
                       json_object_get_object_member (meta, "mode"), "a"), "$lastUpdatedVersion"), ==, 2);
    g_assert_false (json_object_has_member (meta, "interval"));
    g_assert_cmpstr (json_object_get_string_member (obj (reply2), "etag"), !=, twin_etag);
  }
  /* The old etag is stale now; reported properties are not the service's to write. */
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "PATCH", "/hubs/" HUB "/twins/q-00?" HUB_API, auth, "{\"tags\": {\"x\": 1}}",
                      &reply, &h, "If-Match", quoted, NULL);
    assert_hub_error (status, reply, h, 412, "PreconditionFailed", NULL);
  }
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "PATCH", "/hubs/" HUB "/twins/q-00?" HUB_API, auth,
                      "{\"properties\": {\"reported\": {\"x\": 1}}}", &reply, &h, NULL);
    assert_hub_error (status, reply, h, 400, "ArgumentInvalid", "reported");
  }
  /* PUT replaces tags and desired wholesale. */
  {
    g_autoptr(JsonNode) reply = NULL;
    JsonObject *tags;

    status = request (fx, "PUT", "/hubs/" HUB "/twins/q-07?" HUB_API, auth,
                      "{\"tags\": {\"line\": \"L2\"}, \"properties\": {\"desired\": {\"fw\": \"2.0\"}}}",
                      &reply, NULL, NULL);
    g_assert_cmpuint (status, ==, 200);
    tags = json_object_get_object_member (obj (reply), "tags");
    g_assert_cmpuint (json_object_get_size (tags), ==, 1);
    desired = json_object_get_object_member (json_object_get_object_member (obj (reply), "properties"),
                                             "desired");
    g_assert_cmpstr (json_object_get_string_member (desired, "fw"), ==, "2.0");
  }

  /* SELECT * over pages of 3 (the sandbox's page size) and of 2 (the header). */
  {
    g_autoptr(JsonArray) rows = query_all (fx, auth, "SELECT * FROM devices", NULL, "twin", &pages);

    g_assert_cmpuint (json_array_get_length (rows), ==, 8);
    g_assert_cmpuint (pages, ==, 3);
    for (guint i = 0; i < 8; i++)
      {
        g_autofree char *id = g_strdup_printf ("q-%02u", i);

        g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, i),
                                                        "deviceId"), ==, id);
      }
  }
  {
    g_autoptr(JsonArray) rows = query_all (fx, service, "SELECT * FROM devices WHERE tags.line = 'L1'",
                                           "2", "twin", &pages);

    g_assert_cmpuint (json_array_get_length (rows), ==, 4);
    g_assert_cmpuint (pages, ==, 2);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 3), "deviceId"),
                     ==, "q-06");
  }
  /* Projection: raw items; the date comparison is a string comparison. */
  {
    g_autoptr(JsonArray) rows = query_all (fx, auth,
        "SELECT deviceId, properties.reported.certificate.validUntil AS validUntil FROM devices "
        "WHERE properties.reported.certificate.validUntil < '2026-05-01T00:00:00Z'", "1", "raw", &pages);
    JsonObject *row;

    g_assert_cmpuint (json_array_get_length (rows), ==, 2);
    g_assert_cmpuint (pages, ==, 2);
    row = json_array_get_object_element (rows, 1);
    g_assert_cmpstr (json_object_get_string_member (row, "deviceId"), ==, "q-01");
    g_assert_cmpstr (json_object_get_string_member (row, "validUntil"), ==, "2026-04-01T00:00:00Z");
    g_assert_cmpuint (json_object_get_size (row), ==, 2);
  }
  /* TOP counts across pages. */
  {
    g_autoptr(JsonArray) rows = query_all (fx, auth, "SELECT TOP 3 deviceId FROM devices", "2", "raw",
                                           &pages);

    g_assert_cmpuint (json_array_get_length (rows), ==, 3);
    g_assert_cmpuint (pages, ==, 2);
  }
  /* GROUP BY and COUNT(). */
  {
    g_autoptr(JsonArray) rows = query_all (fx, auth,
        "SELECT tags.line AS line, COUNT() AS n FROM devices GROUP BY tags.line", NULL, "raw", &pages);

    g_assert_cmpuint (json_array_get_length (rows), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        JsonObject *row = json_array_get_object_element (rows, i);

        g_assert_cmpint (json_object_get_int_member (row, "n"), ==, 4);
      }
  }
  {
    g_autoptr(JsonArray) rows = query_all (fx, auth,
        "SELECT COUNT() AS n FROM devices WHERE NOT IS_DEFINED(properties.reported.certificate)",
        NULL, "raw", &pages);

    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (rows, 0), "n"), ==, 5);
  }
  /* A continuation token is bound to its query. */
  {
    g_autofree char *body = query_body ("SELECT * FROM devices");
    g_autofree char *other = query_body ("SELECT deviceId FROM devices");
    g_autoptr(SoupMessageHeaders) h = NULL;
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h2 = NULL;

    g_assert_cmpuint (request (fx, "POST", "/hubs/" HUB "/devices/query?" HUB_API, auth, body, NULL, &h,
                               NULL), ==, 200);
    status = request (fx, "POST", "/hubs/" HUB "/devices/query?" HUB_API, auth, other, &reply, &h2,
                      "x-ms-continuation", soup_message_headers_get_one (h, "x-ms-continuation"), NULL);
    assert_hub_error (status, reply, h2, 400, "ArgumentInvalid", "continuation");
  }
}

/* SAS tokens are signed with the client's clock: a sandbox clock running fast (a simulated
 * fleet) must not make them all look expired. */
static void
test_sas_on_fast_clock (Fixture       *fx,
                        gconstpointer  data)
{
  g_autofree char *auth = hub_sas (fx, "iothubowner");
  g_autofree char *body = query_body ("SELECT COUNT() AS n FROM devices");
  g_autoptr(JsonNode) final = NULL;

  cb_sb_lock (fx->ts->sandbox);
  fx->ts->sandbox->lro_delay_ms = 20;
  cb_sb_unlock (fx->ts->sandbox);

  g_assert_cmpuint (request (fx, "POST", "/sandbox/clock", NULL, "{\"rate\": 86400}", NULL, NULL,
                             NULL), ==, 200);
  g_usleep (200 * 1000);

  final = register_and_wait (fx, "fast-clock-01", NULL, FALSE);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (obj (final), "registrationState"), "status"),
                   ==, "assigned");
  g_assert_cmpuint (request (fx, "POST", "/hubs/" HUB "/devices/query?" HUB_API, auth, body, NULL,
                             NULL, NULL), ==, 200);
}

static void
test_hub_query_parse_error (Fixture       *fx,
                            gconstpointer  data)
{
  g_autofree char *auth = hub_sas (fx, "iothubowner");
  g_autofree char *body = query_body ("SELECT * FORM devices");
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(SoupMessageHeaders) h = NULL;
  guint status;

  status = request (fx, "POST", "/hubs/" HUB "/devices/query?" HUB_API, auth, body, &reply, &h, NULL);
  assert_hub_error (status, reply, h, 400, "ArgumentInvalid", "line 1, column 10 near 'FORM'");
}

static void
test_hub_sas_rights (Fixture       *fx,
                     gconstpointer  data)
{
  g_autofree char *read = hub_sas (fx, "registryRead");
  g_autofree char *readwrite = hub_sas (fx, "registryReadWrite");
  g_autofree char *bearer = cb_test_sandbox_token (fx->ts, "hubops@sandbox.test", NULL, NULL, CB_SB_AUD_HUB);
  g_autofree char *arm_bearer = cb_test_sandbox_token (fx->ts, "armops@sandbox.test", NULL, NULL,
                                                       CB_SB_AUD_ARM);
  g_autofree char *body = query_body ("SELECT * FROM devices");
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *wrong_hub = NULL;
  g_autofree char *expired = NULL;
  guint status;

  /* registryReadWrite creates; registryRead reads and queries but cannot write. */
  g_assert_cmpuint (request (fx, "PUT", "/hubs/" HUB "/devices/r-1?" HUB_API, readwrite, "{}", NULL, NULL,
                             NULL), ==, 200);
  g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/devices/r-1?" HUB_API, read, NULL, NULL, NULL,
                             NULL), ==, 200);
  g_assert_cmpuint (request (fx, "POST", "/hubs/" HUB "/devices/query?" HUB_API, read, body, NULL, NULL,
                             NULL), ==, 200);
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "PUT", "/hubs/" HUB "/devices/r-2?" HUB_API, read, "{}", &reply, &h, NULL);
    assert_hub_error (status, reply, h, 401, "IotHubUnauthorizedAccess", "registryRead");
  }
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "DELETE", "/hubs/" HUB "/devices/r-1?" HUB_API, read, NULL, &reply, &h,
                      "If-Match", "*", NULL);
    assert_hub_error (status, reply, h, 401, "IotHubUnauthorizedAccess", "RegistryWrite");
  }
  {
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;

    status = request (fx, "PATCH", "/hubs/" HUB "/twins/r-1?" HUB_API, read, "{\"tags\": {}}", &reply, &h,
                      NULL);
    assert_hub_error (status, reply, h, 401, "IotHubUnauthorizedAccess", NULL);
  }

  /* A token for another hub, an expired one, a device policy: refused. */
  cb_sb_lock (fx->ts->sandbox);
  key = cb_sb_dup_hub_key (fx->ts->sandbox, HUB, "iothubowner");
  cb_sb_unlock (fx->ts->sandbox);
  wrong_hub = cb_sas_token_new ("other-hub.azure-devices.net", key, "iothubowner",
                                g_get_real_time () / G_USEC_PER_SEC + 600,
                                CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  expired = cb_sas_token_new (HUB_HOST, key, "iothubowner", g_get_real_time () / G_USEC_PER_SEC - 5,
                              CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  {
    g_autofree char *device_policy = hub_sas (fx, "device");
    const char *tokens[] = { wrong_hub, expired, device_policy, NULL, arm_bearer };

    for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
      {
        g_autoptr(JsonNode) reply = NULL;
        g_autoptr(SoupMessageHeaders) h = NULL;

        status = request (fx, "GET", "/hubs/" HUB "/devices/r-1?" HUB_API, tokens[i], NULL, &reply, &h,
                          NULL);
        assert_hub_error (status, reply, h, 401, "IotHubUnauthorizedAccess", NULL);
      }
  }

  /* A token scoped to the device's own path works for it (sr is a prefix). */
  {
    g_autofree char *scoped = cb_sas_token_new (HUB_HOST "/devices/r-1", key, "iothubowner",
                                                g_get_real_time () / G_USEC_PER_SEC + 600,
                                                CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/devices/r-1?" HUB_API, scoped, NULL, NULL, NULL,
                               NULL), ==, 200);
    g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/devices/r-10?" HUB_API, scoped, NULL, NULL, NULL,
                               NULL), ==, 401);
  }

  /* Bearer tokens for the hub audience. */
  g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/twins/r-1?" HUB_API, bearer, NULL, NULL, NULL,
                             NULL), ==, 200);
  /* api-version is required. */
  g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/devices/r-1", bearer, NULL, NULL, NULL, NULL), ==, 400);
}

static void
test_hub_restart_persistence (Fixture       *fx,
                              gconstpointer  data)
{
  g_autofree char *auth = hub_sas (fx, "iothubowner");
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) twin_before = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(JsonNode) twin_after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) patch = json_object_new ();
  g_autofree char *after_auth = NULL;
  g_autofree char *key_before = NULL;
  g_autofree char *key_after = NULL;
  guint pages;

  g_assert_cmpuint (request (fx, "PUT", "/hubs/" HUB "/devices/keep-1?" HUB_API, auth,
                             "{\"status\": \"disabled\"}", &before, NULL, NULL), ==, 200);
  g_assert_cmpuint (request (fx, "PATCH", "/hubs/" HUB "/twins/keep-1?" HUB_API, auth,
                             "{\"tags\": {\"site\": \"north\"}, \"properties\": {\"desired\": {\"a\": 1}}}",
                             NULL, NULL, NULL), ==, 200);
  json_object_set_string_member (patch, "fw", "1.2.3");
  cb_sb_lock (fx->ts->sandbox);
  cb_sb_hub_patch_reported (fx->ts->sandbox, HUB, "keep-1", patch, &error);
  cb_sb_unlock (fx->ts->sandbox);
  g_assert_no_error (error);
  g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/twins/keep-1?" HUB_API, auth, NULL, &twin_before,
                             NULL, NULL), ==, 200);

  cb_sb_lock (fx->ts->sandbox);
  key_before = cb_sb_dup_hub_key (fx->ts->sandbox, HUB, "iothubowner");
  cb_sb_unlock (fx->ts->sandbox);

  cb_test_sandbox_restart (fx->ts);

  cb_sb_lock (fx->ts->sandbox);
  key_after = cb_sb_dup_hub_key (fx->ts->sandbox, HUB, "iothubowner");
  cb_sb_unlock (fx->ts->sandbox);
  g_assert_cmpstr (key_after, ==, key_before);
  after_auth = hub_sas (fx, "iothubowner");

  g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/devices/keep-1?" HUB_API, after_auth, NULL, &after,
                             NULL, NULL), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (obj (after), "etag"), ==,
                   json_object_get_string_member (obj (before), "etag"));
  g_assert_cmpstr (json_object_get_string_member (obj (after), "status"), ==, "disabled");
  g_assert_cmpstr (json_object_get_string_member (obj (after), "generationId"), ==,
                   json_object_get_string_member (obj (before), "generationId"));

  g_assert_cmpuint (request (fx, "GET", "/hubs/" HUB "/twins/keep-1?" HUB_API, after_auth, NULL,
                             &twin_after, NULL, NULL), ==, 200);
  {
    g_autofree char *a = json_to_string (twin_before, FALSE);
    g_autofree char *b = json_to_string (twin_after, FALSE);

    g_assert_cmpstr (a, ==, b);
  }

  {
    g_autoptr(JsonArray) rows = query_all (fx, after_auth,
                                           "SELECT deviceId FROM devices WHERE properties.reported.fw = '1.2.3'",
                                           NULL, "raw", &pages);

    g_assert_cmpuint (json_array_get_length (rows), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "deviceId"),
                     ==, "keep-1");
  }
}

/* ---- Hub: an identity deleted, and the namespace device it stands for ------------------ */

#define HUB2          "hub-second"
#define ADR_DEVICES   "/arm/subscriptions/" SUB "/resourceGroups/" RG \
                      "/providers/Microsoft.DeviceRegistry/namespaces/" NS "/devices/"
#define ADR_API       "api-version=2026-03-01-preview"

static char *
hub_sas_of (Fixture    *fx,
            const char *hub)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *host = g_strconcat (hub, ".azure-devices.net", NULL);
  char *token;

  cb_sb_lock (fx->ts->sandbox);
  key = cb_sb_dup_hub_key (fx->ts->sandbox, hub, "iothubowner");
  cb_sb_unlock (fx->ts->sandbox);
  g_assert_nonnull (key);
  token = cb_sas_token_new (host, key, "iothubowner", g_get_real_time () / G_USEC_PER_SEC + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

static void
put_identity (Fixture    *fx,
              const char *hub,
              const char *id)
{
  g_autofree char *auth = hub_sas_of (fx, hub);
  g_autofree char *path = g_strdup_printf ("/hubs/%s/devices/%s?" HUB_API, hub, id);
  g_autofree char *body = g_strdup_printf ("{\"deviceId\": \"%s\"}", id);

  g_assert_cmpuint (request (fx, "PUT", path, auth, body, NULL, NULL, NULL), ==, 200);
}

/* DELETE /devices/{id} with curl, as a service client outside the project sends it: the HTTP
 * status. */
static guint
curl_delete (Fixture    *fx,
             const char *hub,
             const char *id,
             const char *if_match)
{
  g_autofree char *curl = g_find_program_in_path ("curl");
  g_autofree char *sas = hub_sas_of (fx, hub);
  g_autofree char *auth = g_strconcat ("Authorization: ", sas, NULL);
  g_autofree char *match = g_strconcat ("If-Match: ", if_match, NULL);
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_assert_nonnull (curl);
  url = g_strdup_printf ("%s/hubs/%s/devices/%s?" HUB_API,
                         cb_sandbox_get_base_url (fx->ts->sandbox), hub, id);
  {
    const char *argv[] = { curl, "-s", "-o", "/dev/null", "-w", "%{http_code}",
                           "--cacert", cb_sandbox_get_ca_file (fx->ts->sandbox),
                           "-X", "DELETE", "-H", auth, "-H", match, url, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                 &err, &wait_status, &error));
  }
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  g_test_message ("curl DELETE %s/%s (If-Match %s) -> %s %s", hub, id, if_match, out, err);
  return (guint) g_ascii_strtoull (out, NULL, 10);
}

/* The namespace device on ARM, as the Registry reads it: its HTTP status. */
static guint
adr_device_status (Fixture    *fx,
                   const char *token,
                   const char *name)
{
  g_autofree char *path = g_strdup_printf (ADR_DEVICES "%s?" ADR_API, name);

  return request (fx, "GET", path, token, NULL, NULL, NULL, NULL);
}

/* The hub's own DELETE of an identity takes the namespace's device with it (the hub uses the
 * namespace as its registry), unless another hub linked to the namespace still has an identity
 * of that name; a refused delete leaves both. */
static void
test_hub_delete_leaves_namespace (Fixture       *fx,
                                  gconstpointer  data)
{
  CbSandbox *sb = fx->ts->sandbox;
  g_autoptr(GError) error = NULL;
  g_autofree char *reader = NULL;
  const char *names[] = { "line1-0001", "line1-0002" };
  g_autofree char *curl = g_find_program_in_path ("curl");

  if (curl == NULL)
    {
      g_test_skip ("curl is not installed");
      return;
    }
  setup_adr (fx);
  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB2, fx->namespace_id, &error);
  g_assert_no_error (error);
  /* The namespace devices DPS makes when it registers a device. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      cb_sb_adr_ensure_device (sb, fx->namespace_id, names[i], NULL, &error);
      g_assert_no_error (error);
    }
  cb_sb_unlock (sb);
  reader = cb_test_sandbox_token (fx->ts, "reader@contoso.example", CB_SB_ROLE_READER,
                                  "/subscriptions/" SUB, CB_SB_AUD_ARM);
  put_identity (fx, HUB, "line1-0001");
  put_identity (fx, HUB, "line1-0002");
  put_identity (fx, HUB2, "line1-0002");
  put_identity (fx, HUB, "no-adr-device");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpuint (adr_device_status (fx, reader, names[i]), ==, 200);

  /* A stale etag: refused, and nothing is gone. */
  g_assert_cmpuint (curl_delete (fx, HUB, "line1-0001", "\"MTIzNDU2Nzg5\""), ==, 412);
  g_assert_cmpuint (adr_device_status (fx, reader, "line1-0001"), ==, 200);

  /* Its only hub deletes it: the namespace device goes. */
  g_assert_cmpuint (curl_delete (fx, HUB, "line1-0001", "*"), ==, 204);
  g_assert_cmpuint (adr_device_status (fx, reader, "line1-0001"), ==, 404);

  /* One of its two hubs: the device stays for the other; then the other: it goes. */
  g_assert_cmpuint (curl_delete (fx, HUB, "line1-0002", "*"), ==, 204);
  g_assert_cmpuint (adr_device_status (fx, reader, "line1-0002"), ==, 200);
  g_assert_cmpuint (curl_delete (fx, HUB2, "line1-0002", "*"), ==, 204);
  g_assert_cmpuint (adr_device_status (fx, reader, "line1-0002"), ==, 404);

  /* An identity with no namespace device is deleted as before. */
  g_assert_cmpuint (curl_delete (fx, HUB, "no-adr-device", "*"), ==, 204);
  g_assert_cmpuint (curl_delete (fx, HUB, "no-adr-device", "*"), ==, 404);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add ("/cb/sandbox-dps-hub/" path, Fixture, NULL, fixture_setup, fn, \
                                  fixture_teardown)
  ADD ("dps/register-with-csr", test_dps_register_with_csr);
  ADD ("dps/policy-missing", test_dps_policy_missing);
  ADD ("dps/register-without-csr-persists", test_dps_register_without_csr_and_persist);
  ADD ("sas/fast-clock", test_sas_on_fast_clock);
  ADD ("dps/disabled-and-faults", test_dps_disabled_and_faults);
  ADD ("dps/csr-rejections", test_dps_csr_rejections);
  ADD ("dps/bad-sas", test_dps_bad_sas);
  ADD ("dps/service-api", test_dps_service_api);
  ADD ("hub/device-crud", test_hub_device_crud);
  ADD ("hub/twin-and-query", test_hub_twin_and_query);
  ADD ("hub/query-parse-error", test_hub_query_parse_error);
  ADD ("hub/sas-rights", test_hub_sas_rights);
  ADD ("hub/restart-persistence", test_hub_restart_persistence);
  ADD ("hub/delete-leaves-namespace", test_hub_delete_leaves_namespace);
#undef ADD

  return g_test_run ();
}
