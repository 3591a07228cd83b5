/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-csr.h"
#include "cb-sas.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* The stable 2026-11-01 ADR model in the sandbox, over real HTTPS: a namespace's messaging and
 * provisioning endpoints and their linking, the intermediate CAs synced to linked hubs,
 * registry devices and (2026-11-02-preview) their authentication profiles with
 * revokeCertificates, and DPS enrollments at 2026-11-01 that name a certificate authority and
 * policy, with registration issuing through them. */

#define SUB         "6a1e0c2d-3b4f-4a5e-9c8d-7e6f5a4b3c2d"
#define RG          "rg-link"
#define NS          "ns-link"
#define NS_OTHER    "ns-other"
#define HUB         "hub-link"
#define HUB_OTHER   "hub-elsewhere"
#define DPS         "dps-link"
#define ID_SCOPE    "0ne00L1NK01"
#define OWNER       "owner@contoso.example"
#define OWNER_KEY   "ZHBzLW93bmVyLWtleS1mb3ItbGlua2luZy0wMTIzNDU="
#define GROUP       "line-stable"
#define GROUP_KEY   "Y2VydGJlbmNoLWxpbmtpbmctZ3JvdXAta2V5LTAxMjM="

#define STABLE      "api-version=2026-11-01"
#define STABLE_PRE  "api-version=2026-11-02-preview"
#define PREVIEW     "api-version=2026-03-01-preview"
#define DPS_STABLE  "api-version=2026-11-01"
#define DPS_PREVIEW "api-version=2025-07-01-preview"

#define RG_PATH     "/arm/subscriptions/" SUB "/resourceGroups/" RG
#define NS_PATH     RG_PATH "/providers/Microsoft.DeviceRegistry/namespaces/"
#define HUB_ID      "/subscriptions/" SUB "/resourceGroups/" RG \
                    "/providers/Microsoft.Devices/IotHubs/"
#define DPS_ID      "/subscriptions/" SUB "/resourceGroups/" RG \
                    "/providers/Microsoft.Devices/provisioningServices/"

typedef struct
{
  CbTestSandbox *ts;
  char          *owner;       /* "Bearer ..." */
  char          *ns_id;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  f->owner = cb_test_sandbox_token (f->ts, OWNER, CB_SB_ROLE_OWNER, "/subscriptions/" SUB,
                                    CB_SB_AUD_ARM);
  f->ns_id = cb_sb_namespace_id (SUB, RG, NS);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_clear_pointer (&f->owner, g_free);
  g_clear_pointer (&f->ns_id, g_free);
}

/* ---- Helpers ------------------------------------------------------------------------------ */

static JsonNode *
jget (JsonNode   *root,
      const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      JsonObject *obj;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        return NULL;
      obj = json_node_get_object (node);
      if (!json_object_has_member (obj, parts[i]))
        return NULL;
      node = json_object_get_member (obj, parts[i]);
    }

  return node;
}

static const char *
jstr (JsonNode   *root,
      const char *path)
{
  JsonNode *node = jget (root, path);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The members of the object at path, sorted and joined with commas. */
static char *
jmembers (JsonNode   *root,
          const char *path)
{
  JsonNode *node = path != NULL ? jget (root, path) : root;
  g_autoptr(GList) members = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  members = json_object_get_members (json_node_get_object (node));
  for (GList *l = members; l != NULL; l = l->next)
    g_ptr_array_add (names, l->data);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);

  return g_strjoinv (",", (char **) names->pdata);
}

static guint
arm (Fixture             *f,
     const char          *method,
     const char          *path,
     const char          *body,
     JsonNode           **json,
     SoupMessageHeaders **headers)
{
  return cb_test_sandbox_request_json (f->ts, method, path, f->owner, body, json, headers);
}

static void
assert_arm_error (JsonNode   *json,
                  const char *code,
                  const char *fragment)
{
  const char *message;

  g_assert_nonnull (json);
  g_assert_cmpstr (jstr (json, "error.code"), ==, code);
  message = jstr (json, "error.message");
  g_assert_nonnull (message);
  if (fragment != NULL && strstr (message, fragment) == NULL)
    g_error ("ARM error message \"%s\" lacks \"%s\"", message, fragment);
}

static void
with_lock (Fixture *f)
{
  cb_sb_lock (f->ts->sandbox);
}

static void
without_lock (Fixture *f)
{
  cb_sb_unlock (f->ts->sandbox);
}

static void
add_hub (Fixture    *f,
         const char *name,
         const char *namespace_id)
{
  g_autoptr(GError) error = NULL;

  with_lock (f);
  cb_sb_create_hub (f->ts->sandbox, SUB, RG, name, namespace_id, &error);
  without_lock (f);
  g_assert_no_error (error);
}

static void
add_dps (Fixture    *f,
         const char *namespace_id)
{
  g_autoptr(GError) error = NULL;

  with_lock (f);
  cb_sb_create_dps (f->ts->sandbox, SUB, RG, DPS, ID_SCOPE, namespace_id, HUB, &error);
  g_assert_no_error (error);
  g_assert_true (cb_sb_set_dps_owner_key (f->ts->sandbox, DPS, OWNER_KEY));
  without_lock (f);
}

/* The namespace a hub (or DPS) is linked to in the topology, or NULL. */
static char *
topology_namespace (Fixture    *f,
                    gboolean    dps,
                    const char *name)
{
  g_autofree char *stored = NULL;
  char *ns = NULL;

  with_lock (f);
  stored = cb_sb_topology_find (f->ts->sandbox, dps, SUB, RG, name, &ns);
  without_lock (f);
  g_assert_nonnull (stored);

  return ns;
}

static void
create_namespace (Fixture    *f,
                  const char *name)
{
  g_autofree char *path = g_strconcat (NS_PATH, name, "?" STABLE, NULL);
  g_autoptr(JsonNode) json = NULL;
  guint status = arm (f, "PUT", path, "{\"location\": \"northeurope\"}", &json, NULL);

  g_assert_cmpuint (status, ==, 201);
}

static char *
link_body (const char *kind,
           const char *endpoint,
           const char *resource_id)
{
  gboolean dps = g_str_equal (kind, "provisioning");

  return g_strdup_printf ("{\"properties\": {\"%s\": {\"endpoints\": {\"%s\": {"
                          "\"endpointType\": \"%s\", \"resourceId\": \"%s\", "
                          "\"inboundCallerIdentity\": {\"type\": \"SystemAssigned\"}}}}}}",
                          kind, endpoint,
                          dps ? "Microsoft.Devices/provisioningServices"
                              : "Microsoft.Devices/IotHubs",
                          resource_id);
}

/* PATCHes the namespace's endpoints (202). */
static void
patch_endpoints (Fixture    *f,
                 const char *ns,
                 const char *body)
{
  g_autofree char *path = g_strconcat (NS_PATH, ns, "?" STABLE, NULL);
  g_autoptr(JsonNode) json = NULL;
  guint status = arm (f, "PATCH", path, body, &json, NULL);

  if (status != 202)
    g_error ("PATCH %s answered %u: %s", path, status,
             json != NULL ? json_to_string (json, FALSE) : "");
}

static JsonNode *
get_namespace (Fixture    *f,
               const char *ns,
               const char *api)
{
  g_autofree char *path = g_strconcat (NS_PATH, ns, "?", api, NULL);
  JsonNode *json = NULL;

  g_assert_cmpuint (arm (f, "GET", path, NULL, &json, NULL), ==, 200);
  return json;
}

/* Polls the namespace until endpoint of kind has left InProgress; returns the namespace. */
static JsonNode *
wait_linked (Fixture    *f,
             const char *ns,
             const char *kind,
             const char *endpoint)
{
  g_autofree char *state_path = g_strdup_printf ("properties.%s.endpoints.%s.linkingState",
                                                 kind, endpoint);

  for (guint i = 0; i < 400; i++)
    {
      g_autoptr(JsonNode) json = get_namespace (f, ns, STABLE);
      const char *state = jstr (json, state_path);

      g_assert_nonnull (state);
      if (!g_str_equal (state, "InProgress"))
        return g_steal_pointer (&json);
      g_usleep (10 * 1000);
    }

  g_error ("%s never left InProgress", endpoint);
  return NULL;
}

/* ---- Linking ------------------------------------------------------------------------------ */

/* A hub links: InProgress, then Succeeded with the hub's address; the topology now names the
 * namespace, which is what the hub's verdict reads. */
static void
test_link_hub (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *body = link_body ("messaging", "primary", HUB_ID HUB);
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autofree char *members = NULL;
  g_autofree char *linked = NULL;

  add_hub (f, HUB, NULL);
  create_namespace (f, NS);
  cb_sandbox_set_lro_delay_ms (f->ts->sandbox, 400);

  patch_endpoints (f, NS, body);
  first = get_namespace (f, NS, STABLE);
  g_assert_cmpstr (jstr (first, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "InProgress");
  g_assert_null (jget (first, "properties.messaging.endpoints.primary.linkingError"));
  linked = topology_namespace (f, FALSE, HUB);
  g_assert_null (linked);

  done = wait_linked (f, NS, "messaging", "primary");
  members = jmembers (done, "properties.messaging.endpoints.primary");
  g_assert_cmpstr (members, ==, "address,deviceAddress,endpointType,inboundCallerIdentity,"
                                "linkingState,resourceId");
  g_assert_cmpstr (jstr (done, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Succeeded");
  g_assert_cmpstr (jstr (done, "properties.messaging.endpoints.primary.address"), ==,
                   HUB ".azure-devices.net");
  g_assert_cmpstr (jstr (done, "properties.messaging.endpoints.primary.resourceId"), ==,
                   HUB_ID HUB);
  g_assert_cmpstr (jstr (done, "properties.messaging.endpoints.primary.inboundCallerIdentity.type"),
                   ==, "SystemAssigned");
  g_assert_null (jget (done, "properties.provisioning"));

  g_clear_pointer (&linked, g_free);
  linked = topology_namespace (f, FALSE, HUB);
  g_assert_cmpstr (linked, ==, f->ns_id);
}

/* A DPS instance links through properties.provisioning.endpoints. */
static void
test_link_dps (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *body = link_body ("provisioning", "dps", DPS_ID DPS);
  g_autoptr(JsonNode) done = NULL;
  g_autofree char *members = NULL;
  g_autofree char *linked = NULL;

  add_hub (f, HUB, NULL);
  add_dps (f, NULL);
  create_namespace (f, NS);

  patch_endpoints (f, NS, body);
  done = wait_linked (f, NS, "provisioning", "dps");
  members = jmembers (done, "properties.provisioning.endpoints.dps");
  g_assert_cmpstr (members, ==, "endpointType,inboundCallerIdentity,linkingState,resourceId");
  g_assert_cmpstr (jstr (done, "properties.provisioning.endpoints.dps.linkingState"), ==,
                   "Succeeded");
  g_assert_cmpstr (jstr (done, "properties.provisioning.endpoints.dps.endpointType"), ==,
                   "Microsoft.Devices/provisioningServices");
  linked = topology_namespace (f, TRUE, DPS);
  g_assert_cmpstr (linked, ==, f->ns_id);
}

/* A resource the sandbox does not have fails to link, with a linkingError; sending the
 * request again once it exists links it and the error goes. */
static void
test_link_missing_resource (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *body = link_body ("messaging", "primary", HUB_ID HUB);
  g_autoptr(JsonNode) failed = NULL;
  g_autoptr(JsonNode) done = NULL;

  create_namespace (f, NS);
  patch_endpoints (f, NS, body);
  failed = wait_linked (f, NS, "messaging", "primary");
  g_assert_cmpstr (jstr (failed, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Failed");
  g_assert_cmpstr (jstr (failed, "properties.messaging.endpoints.primary.linkingError.code"), ==,
                   "LinkInitiateFailed");
  g_assert_nonnull (strstr (jstr (failed,
                                  "properties.messaging.endpoints.primary.linkingError.message"),
                            "was not found"));
  g_assert_null (jget (failed, "properties.messaging.endpoints.primary.address"));

  add_hub (f, HUB, NULL);
  patch_endpoints (f, NS, body);
  done = wait_linked (f, NS, "messaging", "primary");
  g_assert_cmpstr (jstr (done, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Succeeded");
  g_assert_null (jget (done, "properties.messaging.endpoints.primary.linkingError"));
}

/* A fault rule makes the link fail with the code it names; the hub stays unlinked. */
static void
test_link_fault (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *body = link_body ("messaging", "primary", HUB_ID HUB);
  g_autoptr(JsonNode) rules = json_from_string ("[{\"method\": \"PATCH\", \"path\": \"/arm/*\", "
                                                "\"linking\": \"LinkInitiateFailed\", "
                                                "\"count\": 1}]", NULL);
  g_autoptr(JsonNode) failed = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *linked = NULL;

  add_hub (f, HUB, NULL);
  create_namespace (f, NS);
  with_lock (f);
  cb_sb_faults_set_from_json (f->ts->sandbox, rules, &error);
  without_lock (f);
  g_assert_no_error (error);

  patch_endpoints (f, NS, body);
  failed = wait_linked (f, NS, "messaging", "primary");
  g_assert_cmpstr (jstr (failed, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Failed");
  g_assert_cmpstr (jstr (failed, "properties.messaging.endpoints.primary.linkingError.code"), ==,
                   "LinkInitiateFailed");
  g_assert_nonnull (jstr (failed, "properties.messaging.endpoints.primary.linkingError.message"));
  linked = topology_namespace (f, FALSE, HUB);
  g_assert_null (linked);

  /* The rule was for one request: sending it again links. */
  patch_endpoints (f, NS, body);
  done = wait_linked (f, NS, "messaging", "primary");
  g_assert_cmpstr (jstr (done, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Succeeded");
}

/* A hub linked to another namespace does not link to a second one. */
static void
test_link_elsewhere (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *body = link_body ("messaging", "primary", HUB_ID HUB_OTHER);
  g_autofree char *other_id = cb_sb_namespace_id (SUB, RG, NS_OTHER);
  g_autoptr(JsonNode) failed = NULL;
  g_autofree char *linked = NULL;

  add_hub (f, HUB_OTHER, other_id);
  create_namespace (f, NS);
  patch_endpoints (f, NS, body);
  failed = wait_linked (f, NS, "messaging", "primary");
  g_assert_cmpstr (jstr (failed, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Failed");
  g_assert_nonnull (strstr (jstr (failed,
                                  "properties.messaging.endpoints.primary.linkingError.message"),
                            NS_OTHER));
  linked = topology_namespace (f, FALSE, HUB_OTHER);
  g_assert_cmpstr (linked, ==, other_id);
}

/* A null endpoint in a PATCH unlinks it, in the topology too. */
static void
test_unlink (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *body = link_body ("messaging", "primary", HUB_ID HUB);
  g_autoptr(JsonNode) done = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autofree char *linked = NULL;

  add_hub (f, HUB, NULL);
  create_namespace (f, NS);
  patch_endpoints (f, NS, body);
  done = wait_linked (f, NS, "messaging", "primary");
  g_assert_cmpstr (jstr (done, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Succeeded");

  patch_endpoints (f, NS, "{\"properties\": {\"messaging\": {\"endpoints\": "
                          "{\"primary\": null}}}}");
  after = get_namespace (f, NS, STABLE);
  g_assert_null (jget (after, "properties.messaging"));
  linked = topology_namespace (f, FALSE, HUB);
  g_assert_null (linked);
}

/* Bad endpoints are refused before anything changes. */
static void
test_link_bad_body (Fixture       *f,
                    gconstpointer  data)
{
  static const struct { const char *body; const char *fragment; } cases[] = {
    { "{\"properties\": {\"messaging\": {\"endpoints\": {\"e\": {\"endpointType\": "
      "\"Microsoft.Devices/provisioningServices\", \"resourceId\": \"" HUB_ID HUB "\"}}}}}",
      "endpointType" },
    { "{\"properties\": {\"messaging\": {\"endpoints\": {\"e\": {\"endpointType\": "
      "\"Microsoft.Devices/IotHubs\", \"resourceId\": \"" DPS_ID DPS "\"}}}}}",
      "resourceId" },
    { "{\"properties\": {\"provisioning\": {\"endpoints\": {\"e\": {"
      "\"resourceId\": \"/subscriptions/" SUB "\"}}}}}", "resourceId" },
    { "{\"properties\": {\"messaging\": {\"endpoints\": {\"e\": {\"resourceId\": \""
      HUB_ID HUB "\", \"provisioning\": {\"availability\": \"Sometimes\"}}}}}}",
      "availability" },
    { "{\"properties\": {\"messaging\": {\"endpoints\": {\"e\": {\"resourceId\": \""
      HUB_ID HUB "\", \"inboundCallerIdentity\": {\"type\": \"UserAssigned\"}}}}}}",
      "inboundCallerIdentity" },
    { "{\"properties\": {\"messaging\": {\"endpoints\": {\"a\": {\"resourceId\": \""
      HUB_ID HUB "\"}, \"b\": {\"resourceId\": \"" HUB_ID HUB "\"}}}}}", "two endpoints" },
    { "{\"properties\": {\"messaging\": {\"endpoints\": [1]}}}", "endpoints" },
  };
  g_autofree char *path = g_strconcat (NS_PATH NS "?" STABLE, NULL);

  add_hub (f, HUB, NULL);
  create_namespace (f, NS);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) json = NULL;
      g_autoptr(JsonNode) after = NULL;

      g_assert_cmpuint (arm (f, "PATCH", path, cases[i].body, &json, NULL), ==, 400);
      assert_arm_error (json, "InvalidRequestContent", cases[i].fragment);
      after = get_namespace (f, NS, STABLE);
      g_assert_null (jget (after, "properties.messaging"));
      g_assert_null (jget (after, "properties.provisioning"));
    }
}

/* The preview api-versions neither show nor take the stable endpoints; an api-version the
 * namespace routes do not know is refused. */
static void
test_link_versions (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *body = link_body ("messaging", "primary", HUB_ID HUB);
  g_autofree char *preview_path = g_strconcat (NS_PATH NS "?" PREVIEW, NULL);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autoptr(JsonNode) preview = NULL;
  g_autoptr(JsonNode) refused = NULL;

  add_hub (f, HUB, NULL);
  create_namespace (f, NS);

  /* At the preview, messaging in a PATCH body is not read. */
  g_assert_cmpuint (arm (f, "PATCH", preview_path, body, &json, NULL), ==, 202);
  done = get_namespace (f, NS, STABLE);
  g_assert_null (jget (done, "properties.messaging"));

  g_clear_pointer (&done, json_node_unref);
  patch_endpoints (f, NS, body);
  done = wait_linked (f, NS, "messaging", "primary");
  g_assert_cmpstr (jstr (done, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Succeeded");

  /* The preview shape shows the hub the way it always did (the topology's link). */
  preview = get_namespace (f, NS, PREVIEW);
  g_assert_null (jget (preview, "properties.messaging.endpoints.primary"));
  g_assert_nonnull (jget (preview, "properties.messaging.endpoints." HUB));

  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "?api-version=2026-10-01", NULL, &refused, NULL),
                    ==, 400);
  g_assert_nonnull (jstr (refused, "error.code"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/adr-linking/endpoints/link-hub", test_link_hub);
  ADD ("/adr-linking/endpoints/link-dps", test_link_dps);
  ADD ("/adr-linking/endpoints/missing-resource", test_link_missing_resource);
  ADD ("/adr-linking/endpoints/fault", test_link_fault);
  ADD ("/adr-linking/endpoints/linked-elsewhere", test_link_elsewhere);
  ADD ("/adr-linking/endpoints/unlink", test_unlink);
  ADD ("/adr-linking/endpoints/bad-body", test_link_bad_body);
  ADD ("/adr-linking/endpoints/versions", test_link_versions);

  return g_test_run ();
}
