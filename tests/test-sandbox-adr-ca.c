/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-csr.h"
#include "cb-pki.h"
#include "cb-sandbox-private.h"
#include "cb-test-arm.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* ADR's stable 2026-11-01 certificate authorities and certificate policies in the sandbox,
 * over real HTTPS on loopback: the resources' shapes as Microsoft's example files show them,
 * the rules (one root, ICAs of the same namespace, at most three, policies only under an
 * ICA), activate (External ICA, chain checks), revokeAndRotate (Microsoft-issued ICA, and
 * the hub refusing what the old ICA issued), operation status at both paths, the
 * issuer-published event, RBAC and api-versions. Raw HTTP, as test-sandbox-arm.c does. */

#define SUB       "5f0c1a2e-7b3d-4c9e-8a61-0d2f4b6c8e90"
#define RG        "rg-bench"
#define NS        "ns-new"
#define HUB       "hub-new"
#define API       "api-version=2026-11-01"
#define API_OLD   "api-version=2026-03-01-preview"
#define NS_PATH   "/arm/subscriptions/" SUB "/resourceGroups/" RG \
                  "/providers/Microsoft.DeviceRegistry/namespaces/"
#define CAS       NS "/certificateAuthorities/"
#define OWNER     "owner@contoso.example"
#define READER    "reader@contoso.example"

#define ROOT_BODY "{\"location\": \"East US 2\", \"tags\": {\"env\": \"test\"}, " \
                  "\"properties\": {\"certificateAuthorityType\": \"Root\", \"keyType\": \"ECC\"}}"
#define EXT_BODY  "{\"location\": \"East US 2\", \"properties\": {\"certificateAuthorityType\": " \
                  "\"ICA\", \"keyType\": \"ECC\", \"issuer\": {\"issuerType\": \"External\"}}}"
#define POLICY_BODY(days) \
  "{\"location\": \"East US 2\", \"properties\": {\"certificate\": " \
  "{\"validityPeriodInDays\": " days "}}}"

typedef struct
{
  CbTestSandbox *ts;
  char          *owner;     /* "Bearer ..." */
  char          *reader;
  GMutex         lock;
  GPtrArray     *published; /* "<namespace id> <issuer id>" */
  gulong         handler;
} Fixture;

static void
issuer_published_cb (CbSbEvents *events,
                     const char *namespace_id,
                     const char *issuer_id,
                     gpointer    user_data)
{
  Fixture *f = user_data;

  g_mutex_lock (&f->lock);
  g_ptr_array_add (f->published, g_strdup_printf ("%s %s", namespace_id, issuer_id));
  g_mutex_unlock (&f->lock);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  f->owner = cb_test_sandbox_token (f->ts, OWNER, CB_SB_ROLE_OWNER, "/subscriptions/" SUB,
                                    CB_SB_AUD_ARM);
  f->reader = cb_test_sandbox_token (f->ts, READER, CB_SB_ROLE_READER, "/subscriptions/" SUB,
                                     CB_SB_AUD_ARM);
  g_mutex_init (&f->lock);
  f->published = g_ptr_array_new_with_free_func (g_free);
  f->handler = g_signal_connect (f->ts->sandbox->events, "issuer-published",
                                 G_CALLBACK (issuer_published_cb), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_signal_handler (&f->handler, f->ts->sandbox->events);
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_clear_pointer (&f->owner, g_free);
  g_clear_pointer (&f->reader, g_free);
  g_clear_pointer (&f->published, g_ptr_array_unref);
  g_mutex_clear (&f->lock);
}

static guint
n_published (Fixture *f)
{
  guint n;

  g_mutex_lock (&f->lock);
  n = f->published->len;
  g_mutex_unlock (&f->lock);

  return n;
}

/* ---- JSON and HTTP helpers -------------------------------------------------------------- */



/* The object's member names, sorted and joined with ",". */
static char *
members (JsonNode   *root,
         const char *path)
{
  JsonNode *node = path != NULL ? cb_test_jget (root, path) : root;
  g_autoptr(GList) names = NULL;
  GString *out = g_string_new (NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  names = json_object_get_members (json_node_get_object (node));
  names = g_list_sort (names, (GCompareFunc) g_strcmp0);
  for (GList *l = names; l != NULL; l = l->next)
    g_string_append_printf (out, "%s%s", out->len > 0 ? "," : "", (const char *) l->data);

  return g_string_free (out, FALSE);
}

static void
assert_members (JsonNode   *root,
                const char *path,
                const char *expected)
{
  g_autofree char *got = members (root, path);

  g_assert_cmpstr (got, ==, expected);
}

static char *
path_of (const char *rest,
         const char *api)
{
  return g_strdup_printf (NS_PATH "%s%s%s", rest, strchr (rest, '?') ? "&" : "?", api);
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

/* A request to NS_PATH + rest at 2026-11-01 that must fail with status and ARM code; returns
 * the message. */
static char *
expect_error (Fixture    *f,
              const char *method,
              const char *rest,
              const char *body,
              guint       status,
              const char *code)
{
  g_autofree char *path = path_of (rest, API);
  g_autoptr(JsonNode) json = NULL;

  g_assert_cmpuint (request (f, method, path, f->owner, body, &json, NULL), ==, status);
  g_assert_nonnull (json);
  g_assert_cmpstr (cb_test_jstr (json, "error.code"), ==, code);
  g_assert_nonnull (cb_test_jstr (json, "error.message"));
  g_test_message ("%s %s: %s", method, rest, cb_test_jstr (json, "error.message"));

  return g_strdup (cb_test_jstr (json, "error.message"));
}

static JsonNode *
wait_async (Fixture    *f,
            const char *url)
{
  return cb_test_arm_wait_async (f->ts, f->owner, url);
}

static guint
wait_location (Fixture    *f,
               const char *url,
               JsonNode  **final)
{
  return cb_test_arm_wait_location (f->ts, f->owner, url, final);
}

/* PUT that must create: 201 + Azure-AsyncOperation + Retry-After and no Location; returns
 * the operation's final status document. */
static JsonNode *
put_created (Fixture    *f,
             const char *rest,
             const char *body)
{
  g_autofree char *path = path_of (rest, API);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  const char *async_url;

  g_assert_cmpuint (request (f, "PUT", path, f->owner, body, &json, &headers), ==, 201);
  g_assert_cmpstr (cb_test_jstr (json, "properties.provisioningState"), ==, "Accepted");
  async_url = soup_message_headers_get_one (headers, "Azure-AsyncOperation");
  g_assert_nonnull (async_url);
  g_assert_true (strstr (async_url, "/locations/eastus2/operationStatuses/") != NULL);
  g_assert_true (strstr (async_url, API) != NULL);
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));
  g_assert_null (soup_message_headers_get_one (headers, "Location"));

  return wait_async (f, async_url);
}

static void
put_and_wait (Fixture    *f,
              const char *rest,
              const char *body)
{
  g_autoptr(JsonNode) status = put_created (f, rest, body);

  g_assert_cmpstr (cb_test_jstr (status, "status"), ==, "Succeeded");
}

/* POST/PATCH/DELETE answered 202 + Location + Retry-After; returns the final status. */
static guint
accepted_and_wait (Fixture    *f,
                   const char *method,
                   const char *rest,
                   const char *body,
                   JsonNode  **final)
{
  g_autofree char *path = path_of (rest, API);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  const char *location;

  g_assert_cmpuint (request (f, method, path, f->owner, body, NULL, &headers), ==, 202);
  location = soup_message_headers_get_one (headers, "Location");
  g_assert_nonnull (location);
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));

  return wait_location (f, location, final);
}

static JsonNode *
get_ok (Fixture    *f,
        const char *rest)
{
  g_autofree char *path = path_of (rest, API);
  JsonNode *json = NULL;

  g_assert_cmpuint (request (f, "GET", path, f->reader, NULL, &json, NULL), ==, 200);
  return json;
}

static char *
ns_id_of (const char *ns)
{
  return cb_sb_namespace_id (SUB, RG, ns);
}

static char *
ica_body (const char *ns,
          const char *root)
{
  g_autofree char *ns_id = ns_id_of (ns);

  return g_strdup_printf ("{\"location\": \"East US 2\", \"properties\": "
                          "{\"certificateAuthorityType\": \"ICA\", \"keyType\": \"ECC\", "
                          "\"issuer\": {\"issuerType\": \"Microsoft\", "
                          "\"certificateAuthorityResourceId\": "
                          "\"%s/certificateAuthorities/%s\"}}}", ns_id, root);
}

/* A namespace (the namespace routes are the preview's), its root "root" and, when ica is
 * given, a Microsoft-issued ICA with a 30-day policy "pol". */
static void
setup_hierarchy (Fixture    *f,
                 const char *ns,
                 const char *ica)
{
  g_autofree char *ns_path = path_of (ns, API_OLD);
  g_autofree char *root = g_strdup_printf ("%s/certificateAuthorities/root", ns);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;

  g_assert_cmpuint (request (f, "PUT", ns_path, f->owner, "{\"location\": \"East US 2\"}",
                             &json, &headers), ==, 201);
  g_clear_pointer (&json, json_node_unref);
  json = wait_async (f, soup_message_headers_get_one (headers, "Azure-AsyncOperation"));
  g_assert_cmpstr (cb_test_jstr (json, "status"), ==, "Succeeded");

  put_and_wait (f, root, ROOT_BODY);
  if (ica != NULL)
    {
      g_autofree char *ica_rest = g_strdup_printf ("%s/certificateAuthorities/%s", ns, ica);
      g_autofree char *pol_rest = g_strdup_printf ("%s/certificatePolicies/pol", ica_rest);
      g_autofree char *body = ica_body (ns, "root");

      put_and_wait (f, ica_rest, body);
      put_and_wait (f, pol_rest, POLICY_BODY ("30"));
    }
}

/* ---- Tests ------------------------------------------------------------------------------ */

/* Every resource, member for member as the example files show them. */
static void
test_shapes (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) ica = NULL;
  g_autoptr(JsonNode) ext = NULL;
  g_autoptr(JsonNode) policy = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) policies = NULL;
  g_autoptr(JsonNode) patched = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *root_id = g_strdup_printf ("%s/certificateAuthorities/root", ns_id);
  g_autofree char *root_path = path_of (CAS "root", API);

  setup_hierarchy (f, NS, "ica");

  /* The 201 already shows what the CA will be: an External ICA's CSR and status */
  {
    g_autofree char *path = path_of (CAS "ext", API);
    g_autoptr(JsonNode) created = NULL;
    g_autoptr(SoupMessageHeaders) h = NULL;
    g_autoptr(JsonNode) done = NULL;

    g_assert_cmpuint (request (f, "PUT", path, f->owner, EXT_BODY, &created, &h), ==, 201);
    assert_members (created, "properties", "certificateAuthorityType,issuer,keyType,"
                                           "provisioningState,subject,uuid");
    assert_members (created, "properties.issuer", "certificateSigningRequest,issuerType,status,"
                                                  "thumbprint");
    g_assert_cmpstr (cb_test_jstr (created, "properties.subject"), ==, "CN=ext");
    done = wait_async (f, soup_message_headers_get_one (h, "Azure-AsyncOperation"));
    g_assert_cmpstr (cb_test_jstr (done, "status"), ==, "Succeeded");
  }

  root = get_ok (f, CAS "root");
  assert_members (root, NULL, "id,location,name,properties,tags,type");
  assert_members (root, "properties", "certificateAuthorityType,keyType,provisioningState,"
                                      "subject,uuid,validityNotAfter,validityNotBefore");
  g_assert_cmpstr (cb_test_jstr (root, "id"), ==, root_id);
  g_assert_cmpstr (cb_test_jstr (root, "name"), ==, "root");
  g_assert_cmpstr (cb_test_jstr (root, "type"), ==,
                   "Microsoft.DeviceRegistry/namespaces/certificateAuthorities");
  g_assert_cmpstr (cb_test_jstr (root, "location"), ==, "East US 2");
  g_assert_cmpstr (cb_test_jstr (root, "tags.env"), ==, "test");
  g_assert_cmpstr (cb_test_jstr (root, "properties.provisioningState"), ==, "Succeeded");
  g_assert_cmpstr (cb_test_jstr (root, "properties.certificateAuthorityType"), ==, "Root");
  g_assert_cmpstr (cb_test_jstr (root, "properties.keyType"), ==, "ECC");
  g_assert_true (g_uuid_string_is_valid (cb_test_jstr (root, "properties.uuid")));
  g_assert_cmpstr (cb_test_jstr (root, "properties.subject"), ==, "CN=root");

  ica = get_ok (f, CAS "ica");
  assert_members (ica, NULL, "id,location,name,properties,type");
  assert_members (ica, "properties", "certificateAuthorityType,issuer,keyType,"
                                     "provisioningState,subject,uuid,validityNotAfter,"
                                     "validityNotBefore");
  assert_members (ica, "properties.issuer", "certificateAuthorityResourceId,issuerType");
  g_assert_cmpstr (cb_test_jstr (ica, "properties.issuer.issuerType"), ==, "Microsoft");
  g_assert_cmpstr (cb_test_jstr (ica, "properties.issuer.certificateAuthorityResourceId"), ==, root_id);
  g_assert_cmpstr (cb_test_jstr (ica, "properties.subject"), ==, "CN=ica");

  /* An External ICA waits for its chain: CSR, status and the CSR's thumbprint (as
   * CreateOrReplace_CertificateAuthority_ICAExternalIssuer.json shows one), no validity yet */
  ext = get_ok (f, CAS "ext");
  assert_members (ext, "properties", "certificateAuthorityType,issuer,keyType,"
                                     "provisioningState,subject,uuid");
  assert_members (ext, "properties.issuer", "certificateSigningRequest,issuerType,status,"
                                            "thumbprint");
  {
    g_autoptr(CbCsr) csr = cb_csr_new_from_pem (cb_test_jstr (ext, "properties.issuer.certificateSigningRequest"),
                                                -1, NULL);
    g_autoptr(GBytes) der = cb_csr_get_der (csr);
    g_autofree char *sha1 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, der);
    g_autofree char *upper = g_ascii_strup (sha1, -1);

    g_assert_cmpstr (cb_test_jstr (ext, "properties.issuer.thumbprint"), ==, upper);
  }
  g_assert_cmpstr (cb_test_jstr (ext, "properties.issuer.status"), ==, "PendingActivation");
  g_assert_true (g_str_has_prefix (cb_test_jstr (ext, "properties.issuer.certificateSigningRequest"),
                                   "-----BEGIN CERTIFICATE REQUEST-----"));

  policy = get_ok (f, CAS "ica/certificatePolicies/pol");
  assert_members (policy, NULL, "id,location,name,properties,type");
  assert_members (policy, "properties", "certificate,provisioningState,uuid");
  g_assert_cmpstr (cb_test_jstr (policy, "type"), ==,
                   "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/certificatePolicies");
  g_assert_cmpint (json_node_get_int (cb_test_jget (policy, "properties.certificate.validityPeriodInDays")),
                   ==, 30);
  g_assert_true (json_node_get_value_type (cb_test_jget (policy, "properties.certificate.validityPeriodInDays"))
                 == G_TYPE_INT64);

  list = get_ok (f, NS "/certificateAuthorities");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (cb_test_jget (list, "value"))), ==, 3);
  g_assert_null (cb_test_jget (list, "nextLink"));
  policies = get_ok (f, CAS "ica/certificatePolicies");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (cb_test_jget (policies, "value"))), ==, 1);

  /* A PUT on an existing CA is synchronous and changes the tags only */
  g_assert_cmpuint (request (f, "PUT", root_path, f->owner,
                             "{\"location\": \"eastus2\", \"tags\": {\"env\": \"prod\"}, "
                             "\"properties\": {\"certificateAuthorityType\": \"Root\", "
                             "\"keyType\": \"ECC\"}}", &again, &headers), ==, 200);
  g_assert_null (soup_message_headers_get_one (headers, "Azure-AsyncOperation"));
  g_assert_cmpstr (cb_test_jstr (again, "tags.env"), ==, "prod");
  g_assert_cmpstr (cb_test_jstr (again, "properties.uuid"), ==, cb_test_jstr (root, "properties.uuid"));

  /* PATCH: 202 + Location, then the resource */
  g_assert_cmpuint (accepted_and_wait (f, "PATCH", CAS "ica/certificatePolicies/pol",
                                       "{\"tags\": {\"k\": \"v\"}, \"properties\": "
                                       "{\"certificate\": {\"validityPeriodInDays\": 60}}}",
                                       &patched), ==, 200);
  g_assert_cmpint (json_node_get_int (cb_test_jget (patched, "properties.certificate.validityPeriodInDays")),
                   ==, 60);
  g_assert_cmpstr (cb_test_jstr (patched, "tags.k"), ==, "v");
  g_assert_cmpstr (cb_test_jstr (patched, "properties.provisioningState"), ==, "Succeeded");

  /* DELETE: 202 then gone; of nothing: 204 */
  g_assert_cmpuint (accepted_and_wait (f, "DELETE", CAS "ica/certificatePolicies/pol", NULL,
                                       NULL), ==, 204);
  {
    g_autofree char *gone = path_of (CAS "ica/certificatePolicies/pol", API);

    g_assert_cmpuint (request (f, "GET", gone, f->owner, NULL, NULL, NULL), ==, 404);
    g_assert_cmpuint (request (f, "DELETE", gone, f->owner, NULL, NULL, NULL), ==, 204);
  }
}

/* The new routes answer 2026-11-01 and 2026-11-02-preview only; operation status answers at
 * both documented paths. */
static void
test_api_versions (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) async_status = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *old = path_of (CAS "root", API_OLD);
  g_autofree char *preview = path_of (CAS "root", "api-version=2026-11-02-preview");
  g_autofree char *none = g_strdup (NS_PATH CAS "root");
  g_autofree char *async_url = NULL;
  g_autofree char *other = NULL;
  g_autofree char *put = path_of (CAS "ext", API);

  setup_hierarchy (f, NS, NULL);

  g_assert_cmpuint (request (f, "GET", old, f->owner, NULL, &json, NULL), ==, 400);
  g_assert_cmpstr (cb_test_jstr (json, "error.code"), ==, "InvalidApiVersionParameter");
  g_assert_true (strstr (cb_test_jstr (json, "error.message"), "2026-11-01") != NULL);
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (request (f, "GET", none, f->owner, NULL, &json, NULL), ==, 400);
  g_assert_cmpstr (cb_test_jstr (json, "error.code"), ==, "MissingApiVersionParameter");
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (request (f, "GET", preview, f->owner, NULL, &json, NULL), ==, 200);
  g_clear_pointer (&json, json_node_unref);

  /* The preview model's routes still refuse the stable version */
  {
    g_autofree char *cred = path_of (NS "/credentials/default", API);

    g_assert_cmpuint (request (f, "GET", cred, f->owner, NULL, &json, NULL), ==, 400);
    g_assert_cmpstr (cb_test_jstr (json, "error.code"), ==, "InvalidApiVersionParameter");
    g_clear_pointer (&json, json_node_unref);
  }

  g_assert_cmpuint (request (f, "PUT", put, f->owner, EXT_BODY, &json, &headers), ==, 201);
  async_url = g_strdup (soup_message_headers_get_one (headers, "Azure-AsyncOperation"));
  status = wait_async (f, async_url);
  g_assert_cmpstr (cb_test_jstr (status, "status"), ==, "Succeeded");
  g_assert_true (strstr (cb_test_jstr (status, "id"), "/operationStatuses/") != NULL);

  /* The same operation at .../asyncOperationStatuses/{id} (main.tsp, 2026-11-01), as the
   * Get_AsyncOperationStatus example shows it */
  other = g_strdup (async_url);
  {
    char *at = strstr (other, "/operationStatuses/");
    g_autofree char *head = g_strndup (other, at - other);
    g_autofree char *swapped = g_strdup_printf ("%s/asyncOperationStatuses/%s", head,
                                                at + strlen ("/operationStatuses/"));

    g_assert_cmpuint (request (f, "GET", swapped, f->reader, NULL, &async_status, NULL), ==, 200);
  }
  assert_members (async_status, NULL, "endTime,id,name,percentComplete,startTime,status");
  g_assert_cmpstr (cb_test_jstr (async_status, "status"), ==, "Succeeded");
  g_assert_cmpstr (cb_test_jstr (async_status, "name"), ==, cb_test_jstr (status, "name"));
  g_assert_true (strstr (cb_test_jstr (async_status, "id"), "/asyncOperationStatuses/") != NULL);
  g_assert_cmpfloat (json_node_get_double (cb_test_jget (async_status, "percentComplete")), ==, 100.0);
}

/* Each rule, with the error ARM answers when it is broken. */
static void
test_rules (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *message = NULL;
  g_autofree char *other_root = NULL;
  g_autofree char *ica_of_ica = NULL;
  g_autofree char *body = NULL;

  setup_hierarchy (f, NS, "ica1");
  setup_hierarchy (f, "ns-other", NULL);

  /* One root per namespace */
  message = expect_error (f, "PUT", CAS "root2", ROOT_BODY, 409, "Conflict");
  g_assert_true (strstr (message, "'root'") != NULL);
  g_clear_pointer (&message, g_free);

  /* A root has no issuer; a type and key type are required and fixed */
  g_free (expect_error (f, "PUT", "ns-other/certificateAuthorities/root-two",
                        "{\"location\": \"East US 2\", \"properties\": {\"certificateAuthorityType\": "
                        "\"Root\", \"keyType\": \"ECC\", \"issuer\": {\"issuerType\": \"External\"}}}",
                        400, "InvalidRequestContent"));
  g_free (expect_error (f, "PUT", CAS "rsa",
                        "{\"location\": \"East US 2\", \"properties\": {\"certificateAuthorityType\": "
                        "\"Root\", \"keyType\": \"RSA\"}}", 400, "InvalidRequestContent"));
  g_free (expect_error (f, "PUT", CAS "root",
                        "{\"location\": \"East US 2\", \"properties\": {\"certificateAuthorityType\": "
                        "\"ICA\", \"keyType\": \"ECC\", \"issuer\": {\"issuerType\": \"External\"}}}",
                        400, "PropertyChangeNotAllowed"));

  /* An ICA is signed by a root of its own namespace, named in the issuer */
  other_root = ica_body ("ns-other", "root");
  g_free (expect_error (f, "PUT", CAS "ica-x", other_root, 400, "InvalidRequestContent"));
  ica_of_ica = ica_body (NS, "ica1");
  g_free (expect_error (f, "PUT", CAS "ica-x", ica_of_ica, 400, "InvalidRequestContent"));
  g_free (expect_error (f, "PUT", CAS "ica-x",
                        "{\"location\": \"East US 2\", \"properties\": {\"certificateAuthorityType\": "
                        "\"ICA\", \"keyType\": \"ECC\", \"issuer\": {\"issuerType\": \"Microsoft\"}}}",
                        400, "InvalidRequestContent"));
  g_free (expect_error (f, "PUT", CAS "ica-x",
                        "{\"location\": \"East US 2\", \"properties\": {\"certificateAuthorityType\": "
                        "\"ICA\", \"keyType\": \"ECC\"}}", 400, "InvalidRequestContent"));

  /* At most three ICAs */
  body = ica_body (NS, "root");
  put_and_wait (f, CAS "ica2", body);
  put_and_wait (f, CAS "ica3", EXT_BODY);
  message = expect_error (f, "PUT", CAS "ica4", body, 409, "Conflict");
  g_assert_true (strstr (message, "at most 3") != NULL);
  g_clear_pointer (&message, g_free);

  /* A policy only under an ICA, one per ICA */
  g_free (expect_error (f, "PUT", CAS "root/certificatePolicies/pol-x", POLICY_BODY ("30"), 409,
                        "PolicyRequiresIssuingCa"));
  g_free (expect_error (f, "PUT", CAS "ica1/certificatePolicies/second", POLICY_BODY ("30"), 409,
                        "Conflict"));
  g_free (expect_error (f, "PUT", CAS "ica2/certificatePolicies/pol-x", POLICY_BODY ("3"), 400,
                        "InvalidRequestContent"));
  g_free (expect_error (f, "PUT", CAS "nobody/certificatePolicies/pol-x", POLICY_BODY ("30"), 404,
                        "ParentResourceNotFound"));

  /* Deletion order: policies, then ICAs, then the root */
  g_free (expect_error (f, "DELETE", CAS "root", NULL, 409, "Conflict"));
  g_free (expect_error (f, "DELETE", CAS "ica1", NULL, 409, "Conflict"));

  /* The actions are for one issuer type each */
  g_free (expect_error (f, "POST", CAS "ica1/activate", "{\"certificateChain\": \"x\"}", 400,
                        "BadRequest"));
  g_free (expect_error (f, "POST", CAS "ica3/revokeAndRotate", NULL, 400, "BadRequest"));
  g_free (expect_error (f, "POST", CAS "root/revokeAndRotate", NULL, 400, "BadRequest"));
  g_free (expect_error (f, "POST", CAS "nobody/revokeAndRotate", NULL, 404, "ResourceNotFound"));

  /* A namespace on the preview model cannot have a root too */
  {
    g_autofree char *ns = path_of ("ns-preview", API_OLD);
    g_autofree char *cred = path_of ("ns-preview/credentials/default", API_OLD);
    g_autoptr(SoupMessageHeaders) h1 = NULL;
    g_autoptr(SoupMessageHeaders) h2 = NULL;
    g_autoptr(JsonNode) s1 = NULL;
    g_autoptr(JsonNode) s2 = NULL;

    g_assert_cmpuint (request (f, "PUT", ns, f->owner, "{\"location\": \"East US 2\"}", NULL,
                               &h1), ==, 201);
    s1 = wait_async (f, soup_message_headers_get_one (h1, "Azure-AsyncOperation"));
    g_assert_cmpuint (request (f, "PUT", cred, f->owner,
                               "{\"location\": \"East US 2\", \"properties\": {}}", NULL, &h2),
                      ==, 201);
    s2 = wait_async (f, soup_message_headers_get_one (h2, "Azure-AsyncOperation"));
    g_assert_cmpstr (cb_test_jstr (s2, "status"), ==, "Succeeded");
    message = expect_error (f, "PUT", "ns-preview/certificateAuthorities/root", ROOT_BODY, 409,
                            "Conflict");
    g_assert_true (strstr (message, "preview credential") != NULL);
  }

  /* Deleting in order works */
  g_assert_cmpuint (accepted_and_wait (f, "DELETE", CAS "ica1/certificatePolicies/pol", NULL,
                                       NULL), ==, 204);
  g_assert_cmpuint (accepted_and_wait (f, "DELETE", CAS "ica1", NULL, NULL), ==, 204);
  g_assert_cmpuint (accepted_and_wait (f, "DELETE", CAS "ica2", NULL, NULL), ==, 204);
  g_assert_cmpuint (accepted_and_wait (f, "DELETE", CAS "ica3", NULL, NULL), ==, 204);
  g_assert_cmpuint (accepted_and_wait (f, "DELETE", CAS "root", NULL, NULL), ==, 204);
  put_and_wait (f, CAS "root2", ROOT_BODY);
}

/* cb_sb_adr_ca_find_policy, the contract DPS issues through. */
static void
test_find_policy (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *issuer = NULL;
  g_autofree char *policy_id = NULL;
  g_autoptr(GError) error = NULL;
  CbSandbox *sb = f->ts->sandbox;
  guint days = 0;

  setup_hierarchy (f, NS, "ica");
  put_and_wait (f, CAS "ext", EXT_BODY);
  put_and_wait (f, CAS "ext/certificatePolicies/extpol", POLICY_BODY ("20"));

  cb_sb_lock (sb);
  g_assert_true (cb_sb_adr_ca_find_policy (sb, ns_id, "ica", "pol", &issuer, &policy_id, &days,
                                           &error));
  g_assert_no_error (error);
  g_assert_nonnull (issuer);
  g_assert_true (g_str_has_suffix (policy_id, "/certificateAuthorities/ica/certificatePolicies/pol"));
  g_assert_cmpuint (days, ==, 30);

  g_assert_false (cb_sb_adr_ca_find_policy (sb, ns_id, "nobody", "pol", NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (strstr (error->message, "nobody") != NULL);
  g_clear_error (&error);
  g_assert_false (cb_sb_adr_ca_find_policy (sb, ns_id, "ica", "nopol", NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (strstr (error->message, "nopol") != NULL);
  g_clear_error (&error);
  g_assert_false (cb_sb_adr_ca_find_policy (sb, ns_id, "root", "pol", NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (cb_sb_adr_ca_find_policy (sb, ns_id, "ext", "extpol", NULL, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_assert_true (strstr (error->message, "pending activation") != NULL);
  g_clear_error (&error);
  cb_sb_unlock (sb);
}

/* ---- activate ------------------------------------------------------------------------- */



static void
test_activate (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonNode) pending = NULL;
  g_autoptr(JsonNode) active = NULL;
  g_autofree char *csr_pem = NULL;
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *issuer = NULL;
  gint64 now = cb_sb_now (f->ts->sandbox);
  const struct
  {
    gint64          days;
    CbTestSignFlags flags;
    const char     *message;
  } bad[] = {
    { 730, CB_TEST_SIGN_WRONG_KEY, "does not certify the key" },
    { 100, CB_TEST_SIGN_NORMAL, "at least 365" },
    { 730, CB_TEST_SIGN_REVERSED, "does not certify the key" },
    { 730, CB_TEST_SIGN_WRONG_SUBJECT, "does not equal the CSR subject" },
  };

  setup_hierarchy (f, NS, NULL);
  put_and_wait (f, CAS "ext", EXT_BODY);
  put_and_wait (f, CAS "ext/certificatePolicies/pol", POLICY_BODY ("30"));
  g_assert_cmpuint (n_published (f), ==, 0);

  pending = get_ok (f, CAS "ext");
  csr_pem = g_strdup (cb_test_jstr (pending, "properties.issuer.certificateSigningRequest"));
  g_assert_nonnull (csr_pem);

  g_free (expect_error (f, "POST", CAS "ext/activate", "{}", 400, "InvalidRequestContent"));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *chain = cb_test_sign_csr (csr_pem, now, bad[i].days, bad[i].flags, NULL);
      g_autofree char *body = cb_test_chain_body (chain);
      g_autofree char *message = expect_error (f, "POST", CAS "ext/activate", body, 400,
                                               "InvalidCertificateChain");

      g_assert_true (strstr (message, bad[i].message) != NULL);
    }
  {
    g_autoptr(JsonNode) still = get_ok (f, CAS "ext");

    g_assert_cmpstr (cb_test_jstr (still, "properties.issuer.status"), ==, "PendingActivation");
  }

  {
    g_autofree char *chain = cb_test_sign_csr (csr_pem, now, 730, CB_TEST_SIGN_NORMAL, NULL);
    g_autofree char *body = cb_test_chain_body (chain);

    g_assert_cmpuint (accepted_and_wait (f, "POST", CAS "ext/activate", body, NULL), ==, 204);

    /* Single use */
    g_free (expect_error (f, "POST", CAS "ext/activate", body, 409, "Conflict"));
  }

  active = get_ok (f, CAS "ext");
  g_assert_cmpstr (cb_test_jstr (active, "properties.issuer.status"), ==, "Active");
  /* Once active, the thumbprint is the certificate's, no longer the CSR's */
  g_assert_cmpstr (cb_test_jstr (active, "properties.issuer.thumbprint"), !=,
                   cb_test_jstr (pending, "properties.issuer.thumbprint"));
  assert_members (active, "properties.issuer", "certificateSigningRequest,issuerType,status,"
                                               "thumbprint");
  g_assert_nonnull (cb_test_jstr (active, "properties.validityNotAfter"));

  /* Issuance may go through it now, and the linking side heard of it */
  cb_sb_lock (f->ts->sandbox);
  g_assert_true (cb_sb_adr_ca_find_policy (f->ts->sandbox, ns_id, "ext", "pol", &issuer, NULL,
                                           NULL, NULL));
  cb_sb_unlock (f->ts->sandbox);
  g_assert_cmpuint (n_published (f), ==, 1);
  {
    g_autofree char *expected = g_strdup_printf ("%s %s", ns_id, issuer);

    g_assert_cmpstr (g_ptr_array_index (f->published, 0), ==, expected);
  }
}

/* ---- revokeAndRotate and the hub ------------------------------------------------------ */

/* A leaf for device through the 2026-11-01 path (find_policy, then issuance under its
 * issuer), with the device registered on the hub; the chain as PEM. */
static char *
issue_leaf (Fixture    *f,
            const char *ica,
            const char *device)
{
  g_autoptr(CbKey) key = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(CbCsr) parsed = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *issuer = NULL;
  g_autofree char *policy_id = NULL;
  GString *pem = g_string_new (NULL);
  guint days = 0;

  key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  csr = cb_csr_create (key, device, &error);
  g_assert_no_error (error);
  parsed = cb_csr_new_from_der (csr, &error);
  g_assert_no_error (error);

  cb_sb_lock (f->ts->sandbox);
  g_assert_true (cb_sb_adr_ca_find_policy (f->ts->sandbox, ns_id, ica, "pol", &issuer,
                                           &policy_id, &days, &error));
  cb_sb_hub_ensure_device (f->ts->sandbox, HUB, device, &error);
  g_assert_no_error (error);
  chain = cb_sb_ca_issue_leaf_under (f->ts->sandbox, ns_id, issuer, policy_id, days, device,
                                     parsed, &error);
  cb_sb_unlock (f->ts->sandbox);
  g_assert_no_error (error);
  g_assert_cmpuint (chain->len, ==, 3);

  for (guint i = 0; i < chain->len; i++)
    {
      g_autofree char *one = cb_sb_der_to_pem ("CERTIFICATE", g_ptr_array_index (chain, i));
      g_string_append (pem, one);
    }

  return g_string_free (pem, FALSE);
}

/* What the linking side does on issuer-published: the ICA onto the hub's certificates. */
static void
sync_published (Fixture *f)
{
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *pol = g_strdup_printf ("%s/certificateAuthorities/ica/certificatePolicies/pol",
                                          ns_id);

  g_mutex_lock (&f->lock);
  cb_sb_lock (f->ts->sandbox);
  for (guint i = 0; i < f->published->len; i++)
    {
      g_autoptr(GError) error = NULL;
      const char *issuer = strchr (g_ptr_array_index (f->published, i), ' ') + 1;
      g_autofree char *name = g_strdup_printf ("adr-%s", issuer);

      if (!cb_sb_ca_hub_has_issuer (f->ts->sandbox, HUB, issuer))
        cb_sb_ca_put_hub_certificate (f->ts->sandbox, HUB, name, issuer, pol, &error);
      g_assert_no_error (error);
    }
  cb_sb_unlock (f->ts->sandbox);
  g_mutex_unlock (&f->lock);
}


static void
assert_verdict (Fixture    *f,
                const char *device,
                const char *pem,
                const char *expected)
{
  g_autofree char *got = cb_test_check_chain (f->ts, HUB, device, pem);

  g_assert_cmpstr (got, ==, expected);
}

static void
test_revoke_and_rotate (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *leaf1 = NULL;
  g_autofree char *leaf2 = NULL;
  g_autofree char *leaf3 = NULL;
  g_autofree char *old_issuer = NULL;
  g_autofree char *new_issuer = NULL;
  g_autofree char *before_uuid = NULL;
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(GError) error = NULL;

  setup_hierarchy (f, NS, "ica");
  cb_sb_lock (f->ts->sandbox);
  cb_sb_create_hub (f->ts->sandbox, SUB, RG, HUB, ns_id, &error);
  cb_sb_unlock (f->ts->sandbox);
  g_assert_no_error (error);

  /* Creating a Microsoft-issued ICA published it */
  g_assert_cmpuint (n_published (f), ==, 1);
  sync_published (f);

  leaf1 = issue_leaf (f, "ica", "dev-1");
  leaf2 = issue_leaf (f, "ica", "dev-2");
  assert_verdict (f, "dev-1", leaf1, "accepted");
  assert_verdict (f, "dev-2", leaf2, "accepted");

  before = get_ok (f, CAS "ica");
  before_uuid = g_strdup (cb_test_jstr (before, "properties.uuid"));
  cb_sb_lock (f->ts->sandbox);
  g_assert_true (cb_sb_adr_ca_find_policy (f->ts->sandbox, ns_id, "ica", "pol", &old_issuer,
                                           NULL, NULL, NULL));
  cb_sb_unlock (f->ts->sandbox);

  g_assert_cmpuint (accepted_and_wait (f, "POST", CAS "ica/revokeAndRotate", NULL, NULL), ==, 204);

  /* Every leaf the old ICA issued is refused, as after revokeIssuer */
  assert_verdict (f, "dev-1", leaf1, "revoked-issuer");
  assert_verdict (f, "dev-2", leaf2, "revoked-issuer");

  /* The same resource, a new ICA, published for the linked hubs */
  after = get_ok (f, CAS "ica");
  g_assert_cmpstr (cb_test_jstr (after, "properties.uuid"), ==, before_uuid);
  g_assert_cmpstr (cb_test_jstr (after, "properties.subject"), ==, "CN=ica");
  g_assert_cmpstr (cb_test_jstr (after, "properties.provisioningState"), ==, "Succeeded");
  cb_sb_lock (f->ts->sandbox);
  g_assert_true (cb_sb_adr_ca_find_policy (f->ts->sandbox, ns_id, "ica", "pol", &new_issuer,
                                           NULL, NULL, NULL));
  cb_sb_unlock (f->ts->sandbox);
  g_assert_cmpstr (new_issuer, !=, old_issuer);
  g_assert_cmpuint (n_published (f), ==, 2);
  g_assert_true (g_str_has_suffix (g_ptr_array_index (f->published, 1), new_issuer));

  sync_published (f);
  leaf3 = issue_leaf (f, "ica", "dev-1");
  assert_verdict (f, "dev-1", leaf3, "accepted");
  assert_verdict (f, "dev-1", leaf1, "revoked-issuer");
}

/* ---- RBAC and failures ---------------------------------------------------------------- */

static void
test_rbac (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *path = path_of (CAS "ica2", API);
  g_autofree char *body = ica_body (NS, "root");
  g_autofree char *contributor = NULL;
  g_autofree char *credentials = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;

  setup_hierarchy (f, NS, "ica");
  contributor = cb_test_sandbox_token (f->ts, "dev@contoso.example", CB_SB_ROLE_ADR_CONTRIBUTOR,
                                       ns_id, CB_SB_AUD_ARM);
  credentials = cb_test_sandbox_token (f->ts, "pki@contoso.example", CB_SB_ROLE_ADR_CREDENTIALS,
                                       ns_id, CB_SB_AUD_ARM);

  g_assert_cmpuint (request (f, "PUT", path, NULL, body, &json, NULL), ==, 401);
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (request (f, "PUT", path, f->reader, body, &json, NULL), ==, 403);
  g_assert_cmpstr (cb_test_jstr (json, "error.code"), ==, "AuthorizationFailed");
  g_clear_pointer (&json, json_node_unref);
  g_assert_cmpuint (request (f, "PUT", path, contributor, body, &json, NULL), ==, 403);
  g_assert_true (strstr (cb_test_jstr (json, "error.message"),
                         "Microsoft.DeviceRegistry/namespaces/certificateAuthorities/write") != NULL);
  g_clear_pointer (&json, json_node_unref);
  {
    g_autofree char *rotate = path_of (CAS "ica/revokeAndRotate", API);

    g_assert_cmpuint (request (f, "POST", rotate, contributor, NULL, &json, NULL), ==, 403);
    g_clear_pointer (&json, json_node_unref);
  }
  {
    g_autofree char *get = path_of (CAS "ica", API);

    g_assert_cmpuint (request (f, "GET", get, contributor, NULL, &json, NULL), ==, 200);
    g_clear_pointer (&json, json_node_unref);
  }

  g_assert_cmpuint (request (f, "PUT", path, credentials, body, &json, &headers), ==, 201);
  status = wait_async (f, soup_message_headers_get_one (headers, "Azure-AsyncOperation"));
  g_assert_cmpstr (cb_test_jstr (status, "status"), ==, "Succeeded");
}

static void
test_lro_fault (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) failed = NULL;
  g_autofree char *ns_id = ns_id_of (NS);
  g_autofree char *body = ica_body (NS, "root");
  g_autoptr(GError) error = NULL;

  setup_hierarchy (f, NS, NULL);
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "[{\"method\": \"PUT\", \"path\": "
                                             "\"/arm/*/certificateAuthorities/*\", "
                                             "\"lro\": \"Failed\", \"count\": 1}]",
                                             &answer, NULL), ==, 200);

  /* The operation fails, the CA is Failed and nothing was published */
  status = put_created (f, CAS "ica", body);
  g_assert_cmpstr (cb_test_jstr (status, "status"), ==, "Failed");
  g_assert_nonnull (cb_test_jstr (status, "error.code"));
  failed = get_ok (f, CAS "ica");
  g_assert_cmpstr (cb_test_jstr (failed, "properties.provisioningState"), ==, "Failed");
  g_assert_cmpuint (n_published (f), ==, 0);
  cb_sb_lock (f->ts->sandbox);
  g_assert_false (cb_sb_adr_ca_find_policy (f->ts->sandbox, ns_id, "ica", "pol", NULL, NULL,
                                            NULL, &error));
  cb_sb_unlock (f->ts->sandbox);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  /* A PUT retries the creation, as in ARM */
  put_and_wait (f, CAS "ica", body);
  {
    g_autoptr(JsonNode) created = get_ok (f, CAS "ica");

    g_assert_cmpstr (cb_test_jstr (created, "properties.provisioningState"), ==, "Succeeded");
  }
  g_assert_cmpuint (n_published (f), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/sandbox-adr-ca/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("shapes", test_shapes);
  ADD ("api-versions", test_api_versions);
  ADD ("rules", test_rules);
  ADD ("find-policy", test_find_policy);
  ADD ("activate", test_activate);
  ADD ("revoke-and-rotate", test_revoke_and_rotate);
  ADD ("rbac", test_rbac);
  ADD ("lro-fault", test_lro_fault);

  return g_test_run ();
}
