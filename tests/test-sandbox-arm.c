/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "cb-csr.h"
#include "cb-pki.h"
#include "cb-sandbox-private.h"
#include "cb-test-arm.h"
#include "cb-test-sandbox.h"
#include "cb-util.h"
#include "cb-x509.h"

/* The ADR ARM surface, the CA engine and the activity log of the sandbox, over real HTTPS:
 * these tests check the wire format itself, so they speak raw HTTP instead of CbAdrClient. */

#define SUB       "5f0c1a2e-7b3d-4c9e-8a61-0d2f4b6c8e90"
#define RG        "rg-bench"
#define NS        "ns-one"
#define HUB       "hub-one"
#define API       "api-version=2026-03-01-preview"
#define NS_PATH   "/arm/subscriptions/" SUB "/resourceGroups/" RG \
                  "/providers/Microsoft.DeviceRegistry/namespaces/"
#define OWNER     "owner@contoso.example"
#define READER    "reader@contoso.example"

typedef struct
{
  CbTestSandbox *ts;
  char          *owner;     /* "Bearer ..." */
  char          *reader;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  f->owner = cb_test_sandbox_token (f->ts, OWNER, CB_SB_ROLE_OWNER, "/subscriptions/" SUB,
                                    CB_SB_AUD_ARM);
  f->reader = cb_test_sandbox_token (f->ts, READER, CB_SB_ROLE_READER, "/subscriptions/" SUB,
                                     CB_SB_AUD_ARM);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_clear_pointer (&f->owner, g_free);
  g_clear_pointer (&f->reader, g_free);
}

/* ---- JSON and HTTP helpers -------------------------------------------------------------- */



static char *
path_of (const char *rest)
{
  return g_strdup_printf (NS_PATH "%s%s" API, rest, strchr (rest, '?') ? "&" : "?");
}

static guint
request (Fixture             *f,
         const char          *method,
         const char          *path_or_url,
         const char          *token,
         const char          *body,
         JsonNode           **json,
         SoupMessageHeaders **headers)
{
  return cb_test_sandbox_request_json (f->ts, method, path_or_url, token, body, json, headers);
}

static void
assert_arm_error (JsonNode   *json,
                  const char *code)
{
  g_assert_nonnull (json);
  g_assert_cmpstr (cb_test_jstr (json, "error.code"), ==, code);
  g_assert_nonnull (cb_test_jstr (json, "error.message"));
}

/* Polls an Azure-AsyncOperation URL to a terminal status; returns the final body. */
static JsonNode *
wait_async (Fixture    *f,
            const char *url)
{
  return cb_test_arm_wait_async (f->ts, f->owner, url);
}

/* Polls a Location URL until it stops answering 202; returns the final status. */
static guint
wait_location (Fixture    *f,
               const char *url,
               JsonNode  **final)
{
  return cb_test_arm_wait_location (f->ts, f->owner, url, final);
}

/* PUT that must create: 201 + Azure-AsyncOperation + Retry-After, then Succeeded. */
static void
put_and_wait (Fixture    *f,
              const char *rest,
              const char *body)
{
  g_autofree char *path = path_of (rest);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) final = NULL;
  g_autoptr(JsonNode) resource = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  const char *async_url;

  g_assert_cmpuint (request (f, "PUT", path, f->owner, body, &json, &headers), ==, 201);
  g_assert_cmpstr (cb_test_jstr (json, "properties.provisioningState"), ==, "Accepted");
  async_url = soup_message_headers_get_one (headers, "Azure-AsyncOperation");
  g_assert_nonnull (async_url);
  g_assert_true (strstr (async_url, "/operationStatuses/") != NULL);
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));
  g_assert_null (soup_message_headers_get_one (headers, "Location"));

  final = wait_async (f, async_url);
  g_assert_cmpstr (cb_test_jstr (final, "status"), ==, "Succeeded");

  g_assert_cmpuint (request (f, "GET", path, f->owner, NULL, &resource, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (resource, "properties.provisioningState"), ==, "Succeeded");
}

/* POST/PATCH/DELETE answered 202 + Location + Retry-After; returns the final status. */
static guint
accepted_and_wait (Fixture    *f,
                   const char *method,
                   const char *rest,
                   const char *body,
                   JsonNode  **final)
{
  g_autofree char *path = path_of (rest);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  const char *location;

  g_assert_cmpuint (request (f, method, path, f->owner, body, &json, &headers), ==, 202);
  location = soup_message_headers_get_one (headers, "Location");
  g_assert_nonnull (location);
  g_assert_true (strstr (location, "/operationResults/") != NULL);
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));

  return wait_location (f, location, final);
}

#define NS_BODY     "{\"location\": \"North Europe\", \"tags\": {\"team\": \"bench\"}}"
#define CRED_BODY   "{\"location\": \"North Europe\", \"properties\": {}}"
#define POLICY_BODY(days, byor) \
  "{\"properties\": {\"certificate\": {\"certificateAuthorityConfiguration\": " \
  "{\"keyType\": \"ECC\", \"bringYourOwnRoot\": {\"enabled\": " byor "}}, " \
  "\"leafCertificateConfiguration\": {\"validityPeriodInDays\": " days "}}}}"

static char *
ns_id_of (const char *ns)
{
  return cb_sb_namespace_id (SUB, RG, ns);
}

/* A namespace with its credential and one policy, a hub linked to it, synchronized. */
static void
setup_pki (Fixture    *f,
           const char *ns,
           const char *policy,
           gboolean    byor,
           gboolean    with_hub)
{
  g_autofree char *cred = g_strdup_printf ("%s/credentials/default", ns);
  g_autofree char *pol = g_strdup_printf ("%s/credentials/default/policies/%s", ns, policy);
  g_autofree char *ns_id = ns_id_of (ns);

  put_and_wait (f, ns, NS_BODY);
  put_and_wait (f, cred, CRED_BODY);
  put_and_wait (f, pol, byor ? POLICY_BODY ("30", "true") : POLICY_BODY ("30", "false"));

  if (with_hub)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *sync = g_strdup_printf ("%s/credentials/default/synchronize", ns);

      cb_sb_lock (f->ts->sandbox);
      cb_sb_create_hub (f->ts->sandbox, SUB, RG, HUB, ns_id, &error);
      cb_sb_unlock (f->ts->sandbox);
      g_assert_no_error (error);

      if (!byor)
        g_assert_cmpuint (accepted_and_wait (f, "POST", sync, NULL, NULL), ==, 204);
    }
}

/* Registers the device (ADR + hub) and issues a leaf; returns the chain as PEM. */
static char *
issue (Fixture    *f,
       const char *ns,
       const char *policy,
       const char *device,
       GError    **error)
{
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autofree char *ns_id = ns_id_of (ns);
  g_autofree char *policy_id = cb_sb_policy_id (ns_id, policy);
  g_autoptr(GError) local_error = NULL;
  GString *pem;

  key = cb_key_generate (CB_KEY_TYPE_EC_P256, &local_error);
  g_assert_no_error (local_error);
  csr = cb_csr_create (key, device, &local_error);
  g_assert_no_error (local_error);

  cb_sb_lock (f->ts->sandbox);
  cb_sb_adr_ensure_device (f->ts->sandbox, ns_id, device, policy_id, &local_error);
  g_assert_no_error (local_error);
  cb_sb_hub_ensure_device (f->ts->sandbox, HUB, device, &local_error);
  g_assert_no_error (local_error);
  chain = cb_sb_ca_issue_leaf (f->ts->sandbox, policy_id, device, csr, error);
  cb_sb_unlock (f->ts->sandbox);

  if (chain == NULL)
    return NULL;

  g_assert_cmpuint (chain->len, ==, 3);
  pem = g_string_new (NULL);
  for (guint i = 0; i < chain->len; i++)
    {
      g_autofree char *one = cb_sb_der_to_pem ("CERTIFICATE", g_ptr_array_index (chain, i));
      g_string_append (pem, one);
    }

  return g_string_free (pem, FALSE);
}

static char *
issue_ok (Fixture    *f,
          const char *ns,
          const char *policy,
          const char *device)
{
  g_autoptr(GError) error = NULL;
  char *pem = issue (f, ns, policy, device, &error);

  g_assert_no_error (error);
  g_assert_nonnull (pem);
  return pem;
}

/* The hub's verdict through the sandbox endpoint. */
static char *
check_chain (Fixture    *f,
             const char *device,
             const char *pem)
{
  return cb_test_check_chain (f->ts, HUB, device, pem);
}

static void
assert_verdict (Fixture    *f,
                const char *device,
                const char *pem,
                const char *expected)
{
  g_autofree char *verdict = check_chain (f, device, pem);

  g_assert_cmpstr (verdict, ==, expected);
}

static CbCertificate *
cert_at (const char *pem,
         guint       index)
{
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;

  certs = cb_certificate_list_new_from_data ((const guint8 *) pem, strlen (pem), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (certs->len, >, index);

  return g_object_ref (g_ptr_array_index (certs, index));
}

/* ---- Tests ------------------------------------------------------------------------------ */

static void
test_create_and_poll (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonNode) ns = NULL;
  g_autoptr(JsonNode) cred = NULL;
  g_autoptr(JsonNode) policy = NULL;
  g_autoptr(JsonNode) patched = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) old = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *ns_path = path_of (NS);
  g_autofree char *cred_path = path_of (NS "/credentials/default");
  g_autofree char *pol_path = path_of (NS "/credentials/default/policies/pol-a");
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *old_path = NULL;
  const char *subject;
  const char *async_url;

  setup_pki (f, NS, "pol-a", FALSE, FALSE);

  g_assert_cmpuint (request (f, "GET", ns_path, f->owner, NULL, &ns, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (ns, "id"), ==, ns_id);
  g_assert_cmpstr (cb_test_jstr (ns, "name"), ==, NS);
  g_assert_cmpstr (cb_test_jstr (ns, "type"), ==, "Microsoft.DeviceRegistry/namespaces");
  g_assert_cmpstr (cb_test_jstr (ns, "location"), ==, "North Europe");
  g_assert_cmpstr (cb_test_jstr (ns, "tags.team"), ==, "bench");
  g_assert_cmpstr (cb_test_jstr (ns, "identity.type"), ==, "SystemAssigned");
  g_assert_nonnull (cb_test_jstr (ns, "identity.principalId"));
  g_assert_nonnull (cb_test_jstr (ns, "properties.uuid"));
  g_assert_cmpstr (cb_test_jstr (ns, "systemData.createdBy"), ==, OWNER);
  g_assert_cmpstr (cb_test_jstr (ns, "systemData.createdByType"), ==, "User");
  g_assert_nonnull (cb_test_jstr (ns, "systemData.lastModifiedAt"));

  g_assert_cmpuint (request (f, "GET", cred_path, f->owner, NULL, &cred, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (cred, "name"), ==, "default");
  g_assert_cmpstr (cb_test_jstr (cred, "type"), ==, "Microsoft.DeviceRegistry/namespaces/credentials");
  g_assert_cmpstr (cb_test_jstr (cred, "location"), ==, "North Europe");

  g_assert_cmpuint (request (f, "GET", pol_path, f->owner, NULL, &policy, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (policy, "type"), ==,
                   "Microsoft.DeviceRegistry/namespaces/credentials/policies");
  g_assert_null (cb_test_jget (policy, "location"));   /* a proxy resource in 2026-03-01-preview */
  g_assert_cmpstr (cb_test_jstr (policy, "properties.certificate.certificateAuthorityConfiguration.keyType"),
                   ==, "ECC");
  subject = cb_test_jstr (policy, "properties.certificate.certificateAuthorityConfiguration.subject");
  g_assert_nonnull (subject);
  g_assert_true (g_str_has_prefix (subject, "CN="));
  g_assert_cmpuint (strlen (subject), ==, 3 + 32);
  g_assert_nonnull (cb_test_jstr (policy, "properties.certificate.certificateAuthorityConfiguration.validityNotBefore"));
  g_assert_nonnull (cb_test_jstr (policy, "properties.certificate.certificateAuthorityConfiguration.validityNotAfter"));
  g_assert_false (json_node_get_boolean (cb_test_jget (policy, "properties.certificate.certificateAuthorityConfiguration.bringYourOwnRoot.enabled")));
  g_assert_cmpint (json_node_get_int (cb_test_jget (policy, "properties.certificate.leafCertificateConfiguration.validityPeriodInDays")), ==, 30);

  /* The 2025-11-01-preview shape: a tracked policy, no BYOR */
  old_path = g_strdup_printf (NS_PATH NS "/credentials/default/policies/pol-a"
                              "?api-version=2025-11-01-preview");
  g_assert_cmpuint (request (f, "GET", old_path, f->owner, NULL, &old, NULL), ==, 200);
  g_assert_nonnull (cb_test_jget (old, "tags"));
  g_assert_null (cb_test_jget (old, "properties.certificate.certificateAuthorityConfiguration.bringYourOwnRoot"));

  /* PATCH: 202 + Location, final 200 with the resource */
  g_assert_cmpuint (accepted_and_wait (f, "PATCH", NS "/credentials/default/policies/pol-a",
                                       "{\"properties\": {\"certificate\": "
                                       "{\"leafCertificateConfiguration\": "
                                       "{\"validityPeriodInDays\": 45}}}}", &patched),
                    ==, 200);
  g_assert_cmpint (json_node_get_int (cb_test_jget (patched, "properties.certificate.leafCertificateConfiguration.validityPeriodInDays")), ==, 45);
  g_assert_cmpstr (cb_test_jstr (patched, "properties.provisioningState"), ==, "Succeeded");

  /* A second PUT on an existing resource is synchronous */
  g_assert_cmpuint (request (f, "PUT", ns_path, f->owner,
                             "{\"location\": \"northeurope\", \"tags\": {\"team\": \"ops\"}}",
                             NULL, &headers), ==, 200);
  g_assert_null (soup_message_headers_get_one (headers, "Azure-AsyncOperation"));

  /* The operation status document */
  {
    g_autoptr(JsonNode) created = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;
    g_autofree char *dev = path_of (NS "/devices/dev-x");

    g_assert_cmpuint (request (f, "PUT", dev, f->owner, "{\"location\": \"North Europe\"}",
                               &created, &h), ==, 201);
    async_url = soup_message_headers_get_one (h, "Azure-AsyncOperation");
    g_assert_nonnull (async_url);
    g_assert_true (strstr (async_url, "/locations/northeurope/operationStatuses/") != NULL);
    status = wait_async (f, async_url);
    g_assert_cmpstr (cb_test_jstr (status, "status"), ==, "Succeeded");
    g_assert_nonnull (cb_test_jstr (status, "name"));
    g_assert_true (g_str_has_prefix (cb_test_jstr (status, "id"), "/subscriptions/" SUB
                                     "/providers/Microsoft.DeviceRegistry/locations/"));
    g_assert_nonnull (cb_test_jstr (status, "startTime"));
    g_assert_nonnull (cb_test_jstr (status, "endTime"));
    g_assert_cmpfloat (json_node_get_double (cb_test_jget (status, "percentComplete")), ==, 100.0);
  }

  /* DELETE of something absent: 204 */
  {
    g_autofree char *absent = path_of (NS "/devices/nobody-here");

    g_assert_cmpuint (request (f, "DELETE", absent, f->owner, NULL, NULL, NULL), ==, 204);
  }

  /* DELETE of a device: 202 + Location, then 204 and gone */
  g_assert_cmpuint (accepted_and_wait (f, "DELETE", NS "/devices/dev-x", NULL, NULL), ==, 204);
  {
    g_autofree char *dev = path_of (NS "/devices/dev-x");
    g_autoptr(JsonNode) gone = NULL;

    g_assert_cmpuint (request (f, "GET", dev, f->owner, NULL, &gone, NULL), ==, 404);
    assert_arm_error (gone, "ResourceNotFound");
  }
}

static void
test_paging (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *url = NULL;
  guint pages = 0;

  put_and_wait (f, NS, NS_BODY);
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *rest = g_strdup_printf (NS "/devices/dev-%02u", i);
      put_and_wait (f, rest, "{\"location\": \"North Europe\", \"properties\": "
                             "{\"manufacturer\": \"Contoso\", \"attributes\": {\"line\": 1}}}");
    }

  url = path_of (NS "/devices");
  while (url != NULL)
    {
      g_autoptr(JsonNode) page = NULL;
      JsonArray *value;
      const char *next;

      g_assert_cmpuint (request (f, "GET", url, f->reader, NULL, &page, NULL), ==, 200);
      value = json_node_get_array (cb_test_jget (page, "value"));
      for (guint i = 0; i < json_array_get_length (value); i++)
        {
          JsonNode *item = json_array_get_element (value, i);

          g_assert_cmpstr (cb_test_jstr (item, "properties.manufacturer"), ==, "Contoso");
          g_assert_true (g_hash_table_add (seen, g_strdup (cb_test_jstr (item, "name"))));
          g_assert_nonnull (cb_test_jstr (item, "etag"));
        }

      pages++;
      next = cb_test_jstr (page, "nextLink");
      g_clear_pointer (&url, g_free);
      if (next != NULL)
        {
          g_assert_cmpuint (json_array_get_length (value), ==, 3);
          g_assert_true (g_str_has_prefix (next, "https://"));
          g_assert_true (strstr (next, "api-version=2026-03-01-preview") != NULL);
          g_assert_true (strstr (next, "$skipToken=") != NULL);
          url = g_strdup (next);
        }
      else
        {
          g_assert_cmpuint (json_array_get_length (value), ==, 1);
        }
    }

  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 7);

  /* Namespaces by subscription and by resource group */
  put_and_wait (f, "ns-two", NS_BODY);
  {
    g_autoptr(JsonNode) list = NULL;

    g_assert_cmpuint (request (f, "GET", "/arm/subscriptions/" SUB
                               "/providers/Microsoft.DeviceRegistry/namespaces?" API,
                               f->reader, NULL, &list, NULL), ==, 200);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (cb_test_jget (list, "value"))), ==, 2);
    g_assert_null (cb_test_jget (list, "nextLink"));
  }
  {
    g_autoptr(JsonNode) list = NULL;

    g_assert_cmpuint (request (f, "GET", "/arm/subscriptions/" SUB "/resourceGroups/" RG
                               "/providers/Microsoft.DeviceRegistry/namespaces?" API,
                               f->reader, NULL, &list, NULL), ==, 200);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (cb_test_jget (list, "value"))), ==, 2);
  }
}

static void
expect_error (Fixture    *f,
              const char *method,
              const char *rest,
              const char *body,
              guint       status,
              const char *code,
              const char *message_part)
{
  g_autofree char *path = path_of (rest);
  g_autoptr(JsonNode) json = NULL;

  g_assert_cmpuint (request (f, method, path, f->owner, body, &json, NULL), ==, status);
  assert_arm_error (json, code);
  if (message_part != NULL)
    g_assert_true (strstr (cb_test_jstr (json, "error.message"), message_part) != NULL);
}

static void
test_validation (Fixture       *f,
                 gconstpointer  data)
{
  setup_pki (f, NS, "pol-a", FALSE, FALSE);

  expect_error (f, "PUT", "Bad_NS", NS_BODY, 400, "InvalidResourceName", NULL);
  expect_error (f, "PUT", "ns-three", "{\"tags\": {}}", 400, "LocationRequired", NULL);
  expect_error (f, "PUT", NS "/credentials/default/policies/-bad", POLICY_BODY ("30", "false"),
                400, "InvalidResourceName", NULL);
  expect_error (f, "PUT", NS "/credentials/default/policies/pol-b", POLICY_BODY ("6", "false"),
                400, "InvalidRequestContent", "between 7 and 90");
  expect_error (f, "PUT", NS "/credentials/default/policies/pol-b", POLICY_BODY ("91", "false"),
                400, "InvalidRequestContent", "between 7 and 90");
  expect_error (f, "PATCH", NS "/credentials/default/policies/pol-a",
                "{\"properties\": {\"certificate\": {\"leafCertificateConfiguration\": "
                "{\"validityPeriodInDays\": 120}}}}", 400, "InvalidRequestContent", NULL);
  expect_error (f, "PUT", NS "/credentials/default/policies/pol-b",
                "{\"properties\": {\"certificate\": {\"certificateAuthorityConfiguration\": "
                "{\"keyType\": \"RSA\"}}}}", 400, "InvalidRequestContent", "'ECC'");
  expect_error (f, "PUT", NS "/credentials/default/policies/pol-b", POLICY_BODY ("30", "false"),
                409, "Conflict", "at most 1");
  expect_error (f, "DELETE", NS "/credentials/default", NULL, 409, "Conflict",
                "first revoke or delete those policies");
  expect_error (f, "POST", NS "/credentials/default/policies/pol-a/activateBringYourOwnRoot",
                "{\"certificateChain\": \"x\"}", 400, "BadRequest", "bringYourOwnRoot");
  expect_error (f, "GET", NS "/credentials/default/policies/nope", NULL, 404,
                "ResourceNotFound", NULL);
  expect_error (f, "GET", "ns-missing/credentials/default/policies/pol-a", NULL, 404,
                "ParentResourceNotFound", NULL);
  expect_error (f, "PUT", "ns-missing/credentials/default", CRED_BODY, 404,
                "ParentResourceNotFound", NULL);
  expect_error (f, "GET", NS "/devices/nope", NULL, 404, "ResourceNotFound", NULL);
  expect_error (f, "PUT", NS "/credentials/default/policies/pol-a",
                "{\"properties\": {\"certificate\": {\"certificateAuthorityConfiguration\": "
                "{\"keyType\": \"ECC\", \"bringYourOwnRoot\": {\"enabled\": true}}}}}", 400,
                "PropertyChangeNotAllowed", NULL);
  expect_error (f, "PUT", NS "/devices/dev-1",
                "{\"location\": \"North Europe\", \"properties\": {\"enabled\": \"yes\"}}", 400,
                "InvalidRequestContent", NULL);

  /* revokeIssuer on an external-root policy, in a second namespace */
  setup_pki (f, "ns-byor", "pol-x", TRUE, FALSE);
  expect_error (f, "POST", "ns-byor/credentials/default/policies/pol-x/revokeIssuer", NULL, 400,
                "BadRequest", "bringYourOwnRoot");

  /* revokeIssuer does not exist before 2026-03-01-preview */
  {
    g_autoptr(JsonNode) json = NULL;

    g_assert_cmpuint (request (f, "POST", NS_PATH NS "/credentials/default/policies/pol-a/"
                               "revokeIssuer?api-version=2025-11-01-preview", f->owner, NULL,
                               &json, NULL), ==, 400);
    assert_arm_error (json, "InvalidApiVersionParameter");
  }
  {
    g_autoptr(JsonNode) json = NULL;

    g_assert_cmpuint (request (f, "GET", NS_PATH NS, f->owner, NULL, &json, NULL), ==, 400);
    assert_arm_error (json, "MissingApiVersionParameter");
  }
}

static void
test_auth (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *pol_path = path_of (NS "/credentials/default/policies/pol-a");
  g_autofree char *policy_id = NULL;
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *hub_token = NULL;
  g_autofree char *adr_contributor = NULL;
  g_autoptr(JsonNode) json = NULL;
  const char *message;

  setup_pki (f, NS, "pol-a", FALSE, FALSE);
  policy_id = cb_sb_policy_id (ns_id, "pol-a");

  /* A reader reads... */
  g_assert_cmpuint (request (f, "GET", pol_path, f->reader, NULL, NULL, NULL), ==, 200);

  /* ...but may not write, and is told which role on which scope would do */
  g_assert_cmpuint (request (f, "PATCH", pol_path, f->reader,
                             "{\"properties\": {}}", &json, NULL), ==, 403);
  assert_arm_error (json, "AuthorizationFailed");
  message = cb_test_jstr (json, "error.message");
  g_assert_true (strstr (message, policy_id) != NULL);
  g_assert_true (strstr (message, CB_SB_ROLE_ADR_CREDENTIALS) != NULL);
  g_assert_true (strstr (message, READER) != NULL);
  g_clear_pointer (&json, json_node_unref);

  /* An ADR Contributor manages devices but not credentials */
  adr_contributor = cb_test_sandbox_token (f->ts, "devops@contoso.example",
                                           CB_SB_ROLE_ADR_CONTRIBUTOR, ns_id, CB_SB_AUD_ARM);
  {
    g_autofree char *dev = path_of (NS "/devices/dev-1");
    g_autofree char *revoke = path_of (NS "/devices/dev-1/revoke");

    g_assert_cmpuint (request (f, "PUT", dev, adr_contributor,
                               "{\"location\": \"North Europe\"}", NULL, NULL), ==, 201);
    g_assert_cmpuint (request (f, "POST", revoke, adr_contributor, "{\"disable\": false}",
                               &json, NULL), ==, 403);
    assert_arm_error (json, "AuthorizationFailed");
    g_clear_pointer (&json, json_node_unref);
  }

  /* No token, a token for another audience */
  g_assert_cmpuint (request (f, "GET", pol_path, NULL, NULL, &json, NULL), ==, 401);
  assert_arm_error (json, "AuthenticationFailed");
  g_clear_pointer (&json, json_node_unref);

  hub_token = cb_test_sandbox_token (f->ts, OWNER, NULL, NULL, CB_SB_AUD_HUB);
  g_assert_cmpuint (request (f, "GET", pol_path, hub_token, NULL, &json, NULL), ==, 401);
  assert_arm_error (json, "InvalidAuthenticationTokenAudience");
  g_clear_pointer (&json, json_node_unref);

  g_assert_cmpuint (request (f, "GET", pol_path, "Bearer not-a-token", NULL, &json, NULL), ==, 401);
  assert_arm_error (json, "InvalidAuthenticationToken");
}

static char *
crl_serials (Fixture    *f,
             const char *root_pem,
             guint      *count)
{
  g_autoptr(CbCertificate) root = cert_at (root_pem, 0);
  g_autofree char *path = g_strdup_printf ("/sandbox/crl/%s.crl",
                                           cb_certificate_get_common_name (root));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) root_der = cb_certificate_get_der (root);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  gnutls_x509_crl_t crl;
  gnutls_x509_crt_t issuer;
  gnutls_datum_t datum;
  GString *out = g_string_new (NULL);
  unsigned int verify = 1;

  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "GET", path, NULL, NULL, NULL, &body,
                                             &headers), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==,
                   "application/pkix-crl");

  g_assert_cmpint (gnutls_x509_crl_init (&crl), ==, 0);
  datum.data = (unsigned char *) g_bytes_get_data (body, NULL);
  datum.size = g_bytes_get_size (body);
  g_assert_cmpint (gnutls_x509_crl_import (crl, &datum, GNUTLS_X509_FMT_DER), ==, 0);

  g_assert_cmpint (gnutls_x509_crt_init (&issuer), ==, 0);
  datum.data = (unsigned char *) g_bytes_get_data (root_der, NULL);
  datum.size = g_bytes_get_size (root_der);
  g_assert_cmpint (gnutls_x509_crt_import (issuer, &datum, GNUTLS_X509_FMT_DER), ==, 0);
  g_assert_cmpint (gnutls_x509_crl_verify (crl, &issuer, 1, 0, &verify), ==, 0);
  g_assert_cmpuint (verify, ==, 0);

  *count = gnutls_x509_crl_get_crt_count (crl);
  for (guint i = 0; i < *count; i++)
    {
      unsigned char serial[64];
      size_t size = sizeof serial;
      g_autofree char *hex = NULL;

      g_assert_cmpint (gnutls_x509_crl_get_crt_serial (crl, i, serial, &size, NULL), ==, 0);
      hex = cb_hex_encode (serial, size, FALSE);
      g_string_append_printf (out, "%s;", hex);
    }

  gnutls_x509_crt_deinit (issuer);
  gnutls_x509_crl_deinit (crl);
  return g_string_free (out, FALSE);
}

/* Serials compare without leading zero octets. */
static const char *
strip_zeros (const char *hex)
{
  while (hex[0] == '0' && hex[1] == '0' && hex[2] != '\0')
    hex += 2;
  return hex;
}

static gboolean
crl_has (const char *serials,
         const char *serial)
{
  g_auto(GStrv) parts = g_strsplit (serials, ";", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0' && g_str_equal (strip_zeros (parts[i]), strip_zeros (serial)))
      return TRUE;

  return FALSE;
}

static void
test_device_revoke (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *leaf1 = NULL;
  g_autofree char *leaf2 = NULL;
  g_autofree char *leaf1b = NULL;
  g_autofree char *revoke_path = path_of (NS "/devices/dev-1/revoke");
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) device = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertificate) leaf = NULL;
  g_autofree char *none = NULL;
  gboolean enabled = TRUE;

  setup_pki (f, NS, "pol-a", FALSE, TRUE);
  leaf1 = issue_ok (f, NS, "pol-a", "dev-1");
  leaf2 = issue_ok (f, NS, "pol-a", "dev-2");

  /* The leaf follows the §4.3 profile */
  leaf = cert_at (leaf1, 0);
  g_assert_cmpstr (cb_certificate_get_common_name (leaf), ==, "dev-1");
  g_assert_false (cb_certificate_is_ca (leaf));
  g_assert_cmpuint (cb_certificate_get_key_usage (leaf), ==, CB_KEY_USAGE_DIGITAL_SIGNATURE);
  g_assert_cmpstr (cb_certificate_get_ext_key_usage (leaf)[0], ==, CB_OID_EKU_CLIENT_AUTH);
  g_assert_cmpint (cb_certificate_get_not_after (leaf) - cb_certificate_get_not_before (leaf),
                   ==, 300 + 30 * 24 * 3600);
  {
    gboolean critical = TRUE;
    g_autoptr(GBytes) ext = cb_certificate_get_extension (leaf, CB_SB_OID_CREDENTIAL_IDENTIFIER,
                                                          &critical);
    g_assert_nonnull (ext);
    g_assert_false (critical);
  }

  assert_verdict (f, "dev-1", leaf1, "accepted");
  assert_verdict (f, "dev-2", leaf2, "accepted");
  assert_verdict (f, "dev-2", leaf1, "wrong-name");

  g_assert_cmpuint (request (f, "POST", revoke_path, f->owner, "{\"disable\": false}", &json,
                             &headers), ==, 202);
  g_assert_nonnull (soup_message_headers_get_one (headers, "Azure-AsyncOperation"));
  g_assert_nonnull (soup_message_headers_get_one (headers, "Location"));
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));
  status = wait_async (f, soup_message_headers_get_one (headers, "Azure-AsyncOperation"));
  g_assert_cmpstr (cb_test_jstr (status, "status"), ==, "Succeeded");
  g_assert_cmpuint (wait_location (f, soup_message_headers_get_one (headers, "Location"),
                                   &result), ==, 200);
  g_assert_cmpstr (cb_test_jstr (result, "result"), ==, "Succeeded");

  /* Every certificate it ever had is refused; other devices are unaffected; a new issuance
   * works. */
  assert_verdict (f, "dev-1", leaf1, "revoked-identifier");
  assert_verdict (f, "dev-2", leaf2, "accepted");
  leaf1b = issue_ok (f, NS, "pol-a", "dev-1");
  assert_verdict (f, "dev-1", leaf1b, "accepted");
  assert_verdict (f, "dev-1", leaf1, "revoked-identifier");

  /* revoke with disable: the hub identity is disabled and no credentials are issued */
  {
    g_autofree char *revoke2 = path_of (NS "/devices/dev-2/revoke");
    g_autoptr(SoupMessageHeaders) h = NULL;
    g_autoptr(JsonNode) r = NULL;

    g_assert_cmpuint (request (f, "POST", revoke2, f->owner, "{\"disable\": true}", NULL, &h),
                      ==, 202);
    /* The operation completes on its own, without anybody polling or reading ADR state */
    g_usleep (400 * 1000);
    cb_sb_lock (f->ts->sandbox);
    g_assert_true (cb_sb_hub_lookup_device (f->ts->sandbox, HUB, "dev-2", &enabled));
    cb_sb_unlock (f->ts->sandbox);
    g_assert_false (enabled);
    g_assert_cmpuint (wait_location (f, soup_message_headers_get_one (h, "Location"), &r), ==, 200);
    g_assert_cmpstr (cb_test_jstr (r, "result"), ==, "Succeeded");
  }
  assert_verdict (f, "dev-2", leaf2, "device-disabled");
  none = issue (f, NS, "pol-a", "dev-2", &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  {
    g_autofree char *dev = path_of (NS "/devices/dev-2");

    g_assert_cmpuint (request (f, "GET", dev, f->reader, NULL, &device, NULL), ==, 200);
    g_assert_false (json_node_get_boolean (cb_test_jget (device, "properties.enabled")));
    g_assert_cmpstr (cb_test_jstr (device, "properties.externalDeviceId"), ==, "dev-2");
    g_assert_true (g_str_has_suffix (cb_test_jstr (device, "properties.policy.resourceId"),
                                     "/policies/pol-a"));
  }

  /* Unknown devices are refused as such */
  assert_verdict (f, "dev-unknown", leaf1b, "unknown-device");

  /* The JSON form of the check endpoint */
  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) body = NULL;
    g_autoptr(JsonNode) answer = NULL;
    g_autofree char *text = NULL;

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "chain");
    json_builder_add_string_value (b, leaf1);
    json_builder_end_object (b);
    body = json_builder_get_root (b);
    text = json_to_string (body, FALSE);
    g_assert_cmpuint (request (f, "POST", "/sandbox/hubs/" HUB "/devices/dev-1/check-chain", NULL,
                               text, &answer, NULL), ==, 200);
    g_assert_cmpstr (cb_test_jstr (answer, "verdict"), ==, "revoked-identifier");
    g_assert_false (json_node_get_boolean (cb_test_jget (answer, "accepted")));
  }

  /* The issuing CA's CRL lists the revoked device's leaves (the hub never reads it) */
  {
    g_autoptr(CbCertificate) ica = cert_at (leaf1, 1);
    g_autoptr(CbCertificate) first = cert_at (leaf1, 0);
    g_autofree char *ica_pem = cb_certificate_to_pem (ica);
    g_autoptr(CbCertificate) renewed = cert_at (leaf1b, 0);
    g_autofree char *serials = NULL;
    guint count = 0;

    serials = crl_serials (f, ica_pem, &count);
    g_assert_cmpuint (count, ==, 2);   /* dev-1's first leaf and dev-2's */
    g_assert_true (crl_has (serials, cb_certificate_get_serial (first)));
    g_assert_false (crl_has (serials, cb_certificate_get_serial (renewed)));
  }
}

static void
test_revoke_issuer (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *leaf1 = NULL;
  g_autofree char *leaf2 = NULL;
  g_autofree char *leaf3 = NULL;
  g_autofree char *serials = NULL;
  g_autofree char *before = NULL;
  g_autofree char *pol_path = path_of (NS "/credentials/default/policies/pol-a");
  g_autoptr(CbCertificate) old_ica = NULL;
  g_autoptr(CbCertificate) new_ica = NULL;
  g_autoptr(JsonNode) policy = NULL;
  g_autoptr(JsonNode) certs = NULL;
  JsonNode *item;
  guint count = 0;

  setup_pki (f, NS, "pol-a", FALSE, TRUE);
  leaf1 = issue_ok (f, NS, "pol-a", "dev-1");
  leaf2 = issue_ok (f, NS, "pol-a", "dev-2");
  old_ica = cert_at (leaf1, 1);

  {
    g_autoptr(CbCertificate) root = cert_at (leaf1, 2);
    g_autofree char *root_pem = cb_certificate_to_pem (root);

    before = crl_serials (f, root_pem, &count);
    g_assert_cmpuint (count, ==, 0);
  }

  g_assert_cmpuint (accepted_and_wait (f, "POST", NS "/credentials/default/policies/pol-a/revokeIssuer",
                                       NULL, NULL), ==, 204);

  assert_verdict (f, "dev-1", leaf1, "revoked-issuer");
  assert_verdict (f, "dev-2", leaf2, "revoked-issuer");

  leaf3 = issue_ok (f, NS, "pol-a", "dev-1");
  new_ica = cert_at (leaf3, 1);
  g_assert_cmpstr (cb_certificate_get_subject (new_ica), !=, cb_certificate_get_subject (old_ica));
  assert_verdict (f, "dev-1", leaf3, "accepted");

  g_assert_cmpuint (request (f, "GET", pol_path, f->owner, NULL, &policy, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (policy, "properties.certificate.certificateAuthorityConfiguration.subject"),
                   ==, cb_certificate_get_subject (new_ica));

  /* The hub's certificate was replaced by the new ICA */
  g_assert_cmpuint (request (f, "GET", "/arm/subscriptions/" SUB "/resourceGroups/" RG
                             "/providers/Microsoft.Devices/IotHubs/" HUB
                             "/certificates?api-version=2025-08-01-preview",
                             f->reader, NULL, &certs, NULL), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (cb_test_jget (certs, "value"))), ==, 1);
  item = json_array_get_element (json_node_get_array (cb_test_jget (certs, "value")), 0);
  g_assert_cmpstr (cb_test_jstr (item, "properties.subject"), ==, cb_certificate_get_subject (new_ica));
  g_assert_true (g_str_has_suffix (cb_test_jstr (item, "properties.policyResourceId"), "/policies/pol-a"));
  g_assert_true (g_str_has_prefix (cb_test_jstr (item, "properties.certificate"), "-----BEGIN CERTIFICATE-----"));
  g_assert_cmpstr (cb_test_jstr (item, "type"), ==, "Microsoft.Devices/IotHubs/Certificates");
  g_assert_nonnull (cb_test_jstr (item, "etag"));
  g_assert_true (g_str_has_suffix (cb_test_jstr (item, "properties.expiry"), " GMT"));

  /* The root's CRL lists the old ICA */
  {
    g_autoptr(CbCertificate) root = cert_at (leaf1, 2);
    g_autofree char *root_pem = cb_certificate_to_pem (root);
    g_autofree char *want = g_strdup_printf ("%s;", strip_zeros (cb_certificate_get_serial (old_ica)));

    serials = crl_serials (f, root_pem, &count);
    g_assert_cmpuint (count, ==, 1);
    g_assert_cmpstr (strip_zeros (serials), ==, want);
  }
}

/* A customer root (P-384, pathLen 1) signing the policy's CSR key. */
static char *
sign_byor_csr (const char *csr_pem,
               gint64      now,
               gint64      ica_days,
               gboolean    wrong_key,
               gboolean    wrong_subject,
               GBytes    **root_out)
{
  return cb_test_sign_csr (csr_pem, now, ica_days,
                           (wrong_key ? CB_TEST_SIGN_WRONG_KEY : 0) |
                           (wrong_subject ? CB_TEST_SIGN_WRONG_SUBJECT : 0), root_out);
}


static void
test_byor (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *pol_path = path_of (NS "/credentials/default/policies/pol-x");
  g_autofree char *activate = path_of (NS "/credentials/default/policies/pol-x/activateBringYourOwnRoot");
  g_autoptr(JsonNode) policy = NULL;
  g_autoptr(JsonNode) active = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) root_der = NULL;
  g_autofree char *csr_pem = NULL;
  g_autofree char *none = NULL;
  g_autofree char *leaf = NULL;
  gint64 now = cb_sb_now (f->ts->sandbox);
  const struct
  {
    gint64      days;
    gboolean    wrong_key;
    gboolean    wrong_subject;
    const char *message;
  } bad[] = {
    { 100, FALSE, FALSE, "at least 365" },
    { 730, TRUE, FALSE, "does not certify the key" },
    { 730, FALSE, TRUE, "does not equal the CSR subject" },
  };

  setup_pki (f, NS, "pol-x", TRUE, TRUE);

  g_assert_cmpuint (request (f, "GET", pol_path, f->owner, NULL, &policy, NULL), ==, 200);
  g_assert_true (json_node_get_boolean (cb_test_jget (policy, "properties.certificate.certificateAuthorityConfiguration.bringYourOwnRoot.enabled")));
  g_assert_cmpstr (cb_test_jstr (policy, "properties.certificate.certificateAuthorityConfiguration.bringYourOwnRoot.status"),
                   ==, "PendingActivation");
  csr_pem = g_strdup (cb_test_jstr (policy, "properties.certificate.certificateAuthorityConfiguration.bringYourOwnRoot.certificateSigningRequest"));
  g_assert_nonnull (csr_pem);
  g_assert_true (g_str_has_prefix (csr_pem, "-----BEGIN CERTIFICATE REQUEST-----"));

  /* No issuance while pending */
  none = issue (f, NS, "pol-x", "dev-1", &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  /* Bad chains are refused with the reason */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *chain = sign_byor_csr (csr_pem, now, bad[i].days, bad[i].wrong_key,
                                              bad[i].wrong_subject, NULL);
      g_autofree char *body = cb_test_chain_body (chain);
      g_autoptr(JsonNode) json = NULL;

      g_assert_cmpuint (request (f, "POST", activate, f->owner, body, &json, NULL), ==, 400);
      assert_arm_error (json, "BadRequest");
      g_test_message ("refused: %s", cb_test_jstr (json, "error.message"));
      g_assert_true (strstr (cb_test_jstr (json, "error.message"), bad[i].message) != NULL);
    }

  /* A good chain activates the policy */
  {
    g_autofree char *chain = sign_byor_csr (csr_pem, now, 730, FALSE, FALSE, &root_der);
    g_autofree char *body = cb_test_chain_body (chain);

    g_assert_cmpuint (accepted_and_wait (f, "POST",
                                         NS "/credentials/default/policies/pol-x/activateBringYourOwnRoot",
                                         body, NULL), ==, 204);
  }

  g_assert_cmpuint (request (f, "GET", pol_path, f->owner, NULL, &active, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (active, "properties.certificate.certificateAuthorityConfiguration.bringYourOwnRoot.status"),
                   ==, "Active");
  g_assert_nonnull (cb_test_jstr (active, "properties.certificate.certificateAuthorityConfiguration.bringYourOwnRoot.issuingCertificateThumbprint"));
  g_assert_nonnull (cb_test_jstr (active, "properties.certificate.certificateAuthorityConfiguration.validityNotAfter"));

  /* After the sync the hub accepts leaves chaining to the customer's root */
  g_assert_cmpuint (accepted_and_wait (f, "POST", NS "/credentials/default/synchronize", NULL, NULL),
                    ==, 204);
  leaf = issue_ok (f, NS, "pol-x", "dev-1");
  {
    g_autoptr(CbCertificate) root = cert_at (leaf, 2);
    g_autoptr(GBytes) der = cb_certificate_get_der (root);

    g_assert_true (g_bytes_equal (der, root_der));
  }
  assert_verdict (f, "dev-1", leaf, "accepted");

  /* Activation is single-use, and revokeIssuer stays refused */
  {
    g_autofree char *chain = sign_byor_csr (csr_pem, now, 730, FALSE, FALSE, NULL);
    g_autofree char *body = cb_test_chain_body (chain);
    g_autoptr(JsonNode) json = NULL;

    g_assert_cmpuint (request (f, "POST", activate, f->owner, body, &json, NULL), ==, 409);
    assert_arm_error (json, "Conflict");
  }
  expect_error (f, "POST", NS "/credentials/default/policies/pol-x/revokeIssuer", NULL, 400,
                "BadRequest", NULL);
}

static void
test_policy_delete (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *leaf = NULL;
  g_autofree char *none = NULL;
  g_autofree char *certs_url = g_strdup ("/arm/subscriptions/" SUB "/resourceGroups/" RG
                                         "/providers/Microsoft.Devices/IotHubs/" HUB
                                         "/certificates/pol-a?api-version=2025-08-01-preview");
  g_autofree char *cred_path = path_of (NS "/credentials/default");
  g_autoptr(JsonNode) cert = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *quoted = NULL;

  setup_pki (f, NS, "pol-a", FALSE, TRUE);
  leaf = issue_ok (f, NS, "pol-a", "dev-1");
  assert_verdict (f, "dev-1", leaf, "accepted");

  g_assert_cmpuint (accepted_and_wait (f, "DELETE", NS "/credentials/default/policies/pol-a",
                                       NULL, NULL), ==, 204);
  expect_error (f, "GET", NS "/credentials/default/policies/pol-a", NULL, 404,
                "ResourceNotFound", NULL);

  /* Issuance stops, existing leaves keep working... */
  none = issue (f, NS, "pol-a", "dev-1", &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_verdict (f, "dev-1", leaf, "accepted");

  /* ...until the hub certificate is deleted (with its etag) */
  g_assert_cmpuint (request (f, "GET", certs_url, f->owner, NULL, &cert, NULL), ==, 200);
  etag = g_strdup (cb_test_jstr (cert, "etag"));
  g_assert_nonnull (etag);
  g_assert_cmpuint (request (f, "DELETE", certs_url, f->owner, NULL, &json, NULL), ==, 400);
  g_clear_pointer (&json, json_node_unref);

  {
    g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (f->ts->sandbox), certs_url, NULL);
    const char *tags[] = { "\"wrong\"", NULL };
    guint want[] = { 412, 200 };

    quoted = g_strdup_printf ("\"%s\"", etag);
    tags[1] = quoted;
    for (guint i = 0; i < 2; i++)
      {
        g_autoptr(SoupMessage) del = soup_message_new ("DELETE", url);
        g_autoptr(GBytes) body = NULL;

        soup_message_headers_replace (soup_message_get_request_headers (del), "Authorization",
                                      f->owner);
        soup_message_headers_replace (soup_message_get_request_headers (del), "If-Match",
                                      tags[i]);
        body = soup_session_send_and_read (f->ts->session, del, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (soup_message_get_status (del), ==, want[i]);
      }
  }
  assert_verdict (f, "dev-1", leaf, "unknown-issuer");

  /* With no policy left the credential can go */
  g_assert_cmpuint (accepted_and_wait (f, "DELETE", NS "/credentials/default", NULL, NULL), ==, 204);
  g_assert_cmpuint (request (f, "GET", cred_path, f->owner, NULL, NULL, NULL), ==, 404);
}

static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *leaf = NULL;
  g_autofree char *leaf2 = NULL;
  g_autofree char *pol_path = path_of (NS "/credentials/default/policies/pol-a");
  g_autoptr(JsonNode) policy = NULL;
  g_autoptr(CbCertificate) root1 = NULL;
  g_autoptr(CbCertificate) root2 = NULL;

  setup_pki (f, NS, "pol-a", FALSE, TRUE);
  leaf = issue_ok (f, NS, "pol-a", "dev-1");

  cb_test_sandbox_restart (f->ts);

  g_assert_cmpuint (request (f, "GET", pol_path, f->owner, NULL, &policy, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (policy, "properties.provisioningState"), ==, "Succeeded");
  assert_verdict (f, "dev-1", leaf, "accepted");

  leaf2 = issue_ok (f, NS, "pol-a", "dev-2");
  root1 = cert_at (leaf, 2);
  root2 = cert_at (leaf2, 2);
  g_assert_true (cb_certificate_equal (root1, root2));
  assert_verdict (f, "dev-2", leaf2, "accepted");

  /* The revocation state survives too */
  g_assert_cmpuint (accepted_and_wait (f, "POST", NS "/devices/dev-1/revoke",
                                       "{\"disable\": false}", NULL), ==, 200);
  cb_test_sandbox_restart (f->ts);
  assert_verdict (f, "dev-1", leaf, "revoked-identifier");
  assert_verdict (f, "dev-2", leaf2, "accepted");
}

static void
set_faults (Fixture    *f,
            const char *rules)
{
  g_autoptr(GBytes) body = NULL;

  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "PUT", "/sandbox/faults", NULL, NULL, rules,
                                             &body, NULL), ==, 200);
}

static void
test_lro_fault (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *leaf = NULL;
  g_autofree char *pol_path = path_of (NS "/credentials/default/policies/pol-a");
  g_autofree char *pol_b = path_of ("ns-two/credentials/default/policies/pol-b");
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(JsonNode) final = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) failed = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;

  setup_pki (f, NS, "pol-a", FALSE, TRUE);
  leaf = issue_ok (f, NS, "pol-a", "dev-1");
  g_assert_cmpuint (request (f, "GET", pol_path, f->owner, NULL, &before, NULL), ==, 200);

  set_faults (f, "[{\"method\": \"POST\", \"path\": \"/arm/*/revokeIssuer\", \"lro\": \"Failed\", "
                 "\"count\": 1}]");
  g_assert_cmpuint (accepted_and_wait (f, "POST", NS "/credentials/default/policies/pol-a/revokeIssuer",
                                       NULL, &final), ==, 500);
  assert_arm_error (final, "OperationFailed");

  /* Nothing happened */
  g_assert_cmpuint (request (f, "GET", pol_path, f->owner, NULL, &after, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (after, "properties.certificate.certificateAuthorityConfiguration.subject"), ==,
                   cb_test_jstr (before, "properties.certificate.certificateAuthorityConfiguration.subject"));
  g_assert_cmpstr (cb_test_jstr (after, "properties.provisioningState"), ==, "Succeeded");
  assert_verdict (f, "dev-1", leaf, "accepted");

  /* A failed create: the status says Failed with an error, the resource is Failed */
  put_and_wait (f, "ns-two", NS_BODY);
  put_and_wait (f, "ns-two/credentials/default", CRED_BODY);
  set_faults (f, "[{\"method\": \"PUT\", \"path\": \"/arm/*/policies/*\", \"lro\": \"Failed\"}]");
  g_assert_cmpuint (request (f, "PUT", pol_b, f->owner, POLICY_BODY ("30", "false"), &created,
                             &headers), ==, 201);
  status = wait_async (f, soup_message_headers_get_one (headers, "Azure-AsyncOperation"));
  g_assert_cmpstr (cb_test_jstr (status, "status"), ==, "Failed");
  g_assert_nonnull (cb_test_jstr (status, "error.code"));
  g_assert_nonnull (cb_test_jstr (status, "error.message"));
  g_assert_cmpuint (request (f, "GET", pol_b, f->owner, NULL, &failed, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (failed, "properties.provisioningState"), ==, "Failed");
  set_faults (f, "[]");
}

static JsonArray *
activity (Fixture    *f,
          const char *extra_filter,
          JsonNode  **page)
{
  gint64 now = cb_sb_now (f->ts->sandbox);
  g_autofree char *from = cb_time_format_fixed (now - 3600);
  g_autofree char *to = cb_time_format_fixed (now + 3600);
  g_autofree char *filter = g_strdup_printf ("eventTimestamp ge '%s' and eventTimestamp le '%s'%s",
                                             from, to, extra_filter ? extra_filter : "");
  g_autofree char *escaped = g_uri_escape_string (filter, NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("/arm/subscriptions/" SUB "/providers/Microsoft.Insights/"
                                          "eventtypes/management/values?api-version=2015-04-01"
                                          "&$filter=%s", escaped);

  g_assert_cmpuint (request (f, "GET", url, f->reader, NULL, page, NULL), ==, 200);
  return json_node_get_array (cb_test_jget (*page, "value"));
}

static void
test_activity (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *dev_id = g_strdup_printf ("%s/devices/dev-1", ns_id);
  g_autofree char *by_resource = g_strdup_printf (" and resourceUri eq '%s'", dev_id);
  g_autoptr(JsonNode) page = NULL;
  g_autoptr(JsonNode) filtered = NULL;
  g_autoptr(JsonNode) bad = NULL;
  JsonArray *events;
  const char *accepted_correlation = NULL;
  const char *succeeded_correlation = NULL;
  guint pages = 0;

  setup_pki (f, NS, "pol-a", FALSE, TRUE);
  g_free (issue_ok (f, NS, "pol-a", "dev-1"));
  g_assert_cmpuint (accepted_and_wait (f, "POST", NS "/devices/dev-1/revoke",
                                       "{\"disable\": true}", NULL), ==, 200);

  /* Filter by resource: the revoke's Accepted and Succeeded events, same correlation id */
  events = activity (f, by_resource, &filtered);
  g_assert_cmpuint (json_array_get_length (events), ==, 2);
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonNode *e = json_array_get_element (events, i);
      const char *status = cb_test_jstr (e, "status.value");

      g_assert_cmpstr (cb_test_jstr (e, "operationName.value"), ==,
                       "Microsoft.DeviceRegistry/namespaces/devices/revoke/action");
      g_assert_cmpstr (cb_test_jstr (e, "authorization.action"), ==,
                       "Microsoft.DeviceRegistry/namespaces/devices/revoke/action");
      g_assert_cmpstr (cb_test_jstr (e, "authorization.scope"), ==, dev_id);
      g_assert_cmpstr (cb_test_jstr (e, "caller"), ==, OWNER);
      g_assert_cmpstr (cb_test_jstr (e, "resourceId"), ==, dev_id);
      g_assert_cmpstr (cb_test_jstr (e, "level"), ==, "Informational");
      g_assert_cmpstr (cb_test_jstr (e, "category.value"), ==, "Administrative");
      g_assert_cmpstr (cb_test_jstr (e, "subscriptionId"), ==, SUB);
      g_assert_cmpstr (cb_test_jstr (e, "resourceGroupName"), ==, RG);
      g_assert_nonnull (cb_test_jstr (e, "eventDataId"));
      g_assert_nonnull (cb_test_jstr (e, "eventTimestamp"));
      g_assert_nonnull (cb_test_jstr (e, "submissionTimestamp"));
      g_assert_nonnull (cb_test_jstr (e, "subStatus.localizedValue"));
      if (g_strcmp0 (status, "Accepted") == 0)
        accepted_correlation = cb_test_jstr (e, "correlationId");
      else if (g_strcmp0 (status, "Succeeded") == 0)
        succeeded_correlation = cb_test_jstr (e, "correlationId");
    }
  g_assert_nonnull (accepted_correlation);
  g_assert_cmpstr (accepted_correlation, ==, succeeded_correlation);

  /* Unfiltered: every write so far, newest first, paged */
  events = activity (f, NULL, &page);
  g_assert_cmpuint (json_array_get_length (events), ==, 3);
  while (page != NULL)
    {
      const char *next = cb_test_jstr (page, "nextLink");
      g_autofree char *url = next != NULL ? g_strdup (next) : NULL;

      pages++;
      g_clear_pointer (&page, json_node_unref);
      if (url != NULL)
        g_assert_cmpuint (request (f, "GET", url, f->reader, NULL, &page, NULL), ==, 200);
    }
  g_assert_cmpuint (pages, >=, 3);

  /* Without a time range Monitor refuses */
  g_assert_cmpuint (request (f, "GET", "/arm/subscriptions/" SUB "/providers/Microsoft.Insights/"
                             "eventtypes/management/values?api-version=2015-04-01", f->reader,
                             NULL, &bad, NULL), ==, 400);
  g_assert_cmpstr (cb_test_jstr (bad, "code"), ==, "BadRequest");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/sandbox-arm/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("create-and-poll", test_create_and_poll);
  ADD ("paging", test_paging);
  ADD ("validation", test_validation);
  ADD ("auth", test_auth);
  ADD ("device-revoke", test_device_revoke);
  ADD ("revoke-issuer", test_revoke_issuer);
  ADD ("byor", test_byor);
  ADD ("policy-delete", test_policy_delete);
  ADD ("restart", test_restart);
  ADD ("lro-fault", test_lro_fault);
  ADD ("activity", test_activity);

  return g_test_run ();
}
