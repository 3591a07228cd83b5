/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-csr.h"
#include "cb-sas.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-adr-ids.h"
#include "cb-sb-adr-store.h"
#include "cb-test-arm.h"
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
#define ICA         "ica-one"
#define ROOT        "root-one"
#define POLICY      "leaf-policy"

#define STABLE      "api-version=2026-11-01"
#define STABLE_PRE  "api-version=2026-11-02-preview"
#define PREVIEW     "api-version=2026-03-01-preview"
#define DPS_STABLE  "api-version=2026-11-01"
#define DPS_PREVIEW "api-version=2025-07-01-preview"

#define RG_PATH     "/arm/subscriptions/" SUB "/resourceGroups/" RG
#define NS_PATH     RG_PATH "/providers/Microsoft.DeviceRegistry/namespaces/"
#define HUB_ID      "/subscriptions/" SUB "/resourceGroups/" RG \
                    "/providers/Microsoft.Devices/IotHubs/"
#define USER_IDENTITY "/subscriptions/" SUB "/resourceGroups/" RG \
                      "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/adr-caller"
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
  JsonNode *node = path != NULL ? cb_test_jget (root, path) : root;
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
  g_assert_cmpstr (cb_test_jstr (json, "error.code"), ==, code);
  message = cb_test_jstr (json, "error.message");
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
      const char *state = cb_test_jstr (json, state_path);

      g_assert_nonnull (state);
      if (!g_str_equal (state, "InProgress"))
        return g_steal_pointer (&json);
      g_usleep (10 * 1000);
    }

  g_error ("%s never left InProgress", endpoint);
  return NULL;
}

/* Links HUB to NS as the primary messaging endpoint and waits until it linked. */
static void
link_hub_and_wait (Fixture *f)
{
  g_autofree char *body = link_body ("messaging", "primary", HUB_ID HUB);
  g_autoptr(JsonNode) done = NULL;

  patch_endpoints (f, NS, body);
  done = wait_linked (f, NS, "messaging", "primary");
  g_assert_cmpstr (cb_test_jstr (done, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Succeeded");
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
  g_assert_cmpstr (cb_test_jstr (first, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "InProgress");
  g_assert_null (cb_test_jget (first, "properties.messaging.endpoints.primary.linkingError"));
  /* While it links it already shows where it is and how DPS may allocate to it (the defaults),
   * as CreateOrReplace_Namespace_With_MessagingAndProvisioningEndpoints.json's 201 does */
  g_assert_cmpstr (cb_test_jstr (first, "properties.messaging.endpoints.primary.address"), ==,
                   HUB ".service.azure-devices.net");
  g_assert_cmpstr (cb_test_jstr (first, "properties.messaging.endpoints.primary.deviceAddress"),
                   ==, HUB ".device.azure-devices.net");
  g_assert_cmpstr (cb_test_jstr (first, "properties.messaging.endpoints.primary.provisioning.availability"),
                   ==, "Available");
  g_assert_cmpint (json_node_get_int (cb_test_jget (first, "properties.messaging.endpoints.primary."
                                                           "provisioning.allocationWeight")), ==, 1);
  linked = topology_namespace (f, FALSE, HUB);
  g_assert_null (linked);

  done = wait_linked (f, NS, "messaging", "primary");
  members = jmembers (done, "properties.messaging.endpoints.primary");
  g_assert_cmpstr (members, ==, "address,deviceAddress,endpointType,inboundCallerIdentity,"
                                "linkingState,provisioning,resourceId");
  g_assert_cmpstr (cb_test_jstr (done, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Succeeded");
  g_assert_cmpstr (cb_test_jstr (done, "properties.messaging.endpoints.primary.address"), ==,
                   HUB ".service.azure-devices.net");
  g_assert_cmpstr (cb_test_jstr (done, "properties.messaging.endpoints.primary.deviceAddress"),
                   ==, HUB ".device.azure-devices.net");
  g_assert_cmpstr (cb_test_jstr (done, "properties.messaging.endpoints.primary.resourceId"), ==,
                   HUB_ID HUB);
  g_assert_cmpstr (cb_test_jstr (done, "properties.messaging.endpoints.primary.inboundCallerIdentity.type"),
                   ==, "SystemAssigned");
  g_assert_null (cb_test_jget (done, "properties.provisioning"));

  g_clear_pointer (&linked, g_free);
  linked = topology_namespace (f, FALSE, HUB);
  g_assert_cmpstr (linked, ==, f->ns_id);
}

/* A DPS instance links through properties.provisioning.endpoints. */
static void
test_link_dps (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *body = g_strdup_printf ("{\"properties\": {\"provisioning\": {\"endpoints\": "
                                           "{\"dps\": {\"endpointType\": "
                                           "\"Microsoft.Devices/provisioningServices\", "
                                           "\"resourceId\": \"%s\", \"inboundCallerIdentity\": "
                                           "{\"type\": \"UserAssigned\", \"userAssignedIdentity\": "
                                           "\"%s\"}}}}}}", DPS_ID DPS, USER_IDENTITY);
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
  g_assert_cmpstr (cb_test_jstr (done, "properties.provisioning.endpoints.dps."
                                       "inboundCallerIdentity.userAssignedIdentity"), ==,
                   USER_IDENTITY);
  g_assert_cmpstr (cb_test_jstr (done, "properties.provisioning.endpoints.dps.linkingState"), ==,
                   "Succeeded");
  g_assert_cmpstr (cb_test_jstr (done, "properties.provisioning.endpoints.dps.endpointType"), ==,
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
  g_assert_cmpstr (cb_test_jstr (failed, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Failed");
  g_assert_cmpstr (cb_test_jstr (failed, "properties.messaging.endpoints.primary.linkingError.code"), ==,
                   "LinkInitiateFailed");
  g_assert_nonnull (strstr (cb_test_jstr (failed,
                                  "properties.messaging.endpoints.primary.linkingError.message"),
                            "was not found"));
  g_assert_null (cb_test_jget (failed, "properties.messaging.endpoints.primary.address"));
  g_assert_null (cb_test_jget (failed, "properties.messaging.endpoints.primary.provisioning"));
  g_assert_cmpstr (cb_test_jstr (failed, "properties.provisioningState"), ==, "Failed");
  g_assert_null (cb_test_jget (failed, "tags"));

  add_hub (f, HUB, NULL);
  link_hub_and_wait (f);
  done = get_namespace (f, NS, STABLE);
  g_assert_null (cb_test_jget (done, "properties.messaging.endpoints.primary.linkingError"));
  g_assert_cmpstr (cb_test_jstr (done, "properties.provisioningState"), ==, "Succeeded");
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
  g_assert_cmpstr (cb_test_jstr (failed, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Failed");
  g_assert_cmpstr (cb_test_jstr (failed, "properties.messaging.endpoints.primary.linkingError.code"), ==,
                   "LinkInitiateFailed");
  g_assert_nonnull (strstr (cb_test_jstr (failed, "properties.messaging.endpoints.primary."
                                                  "linkingError.message"), "not authorized"));
  linked = topology_namespace (f, FALSE, HUB);
  g_assert_null (linked);

  /* The rule was for one request: sending it again links. */
  link_hub_and_wait (f);
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
  g_assert_cmpstr (cb_test_jstr (failed, "properties.messaging.endpoints.primary.linkingState"), ==,
                   "Failed");
  g_assert_nonnull (strstr (cb_test_jstr (failed,
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
  g_autoptr(JsonNode) after = NULL;
  g_autofree char *linked = NULL;

  add_hub (f, HUB, NULL);
  create_namespace (f, NS);
  link_hub_and_wait (f);

  patch_endpoints (f, NS, "{\"properties\": {\"messaging\": {\"endpoints\": "
                          "{\"primary\": null}}}}");
  after = get_namespace (f, NS, STABLE);
  g_assert_null (cb_test_jget (after, "properties.messaging"));
  linked = topology_namespace (f, FALSE, HUB);
  g_assert_null (linked);
}

/* Deleting the namespace unlinks its hubs and DPS instances; made again, it has no endpoints. */
static void
test_unlink_on_delete (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonNode) deleted = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *linked = NULL;

  add_hub (f, HUB, NULL);
  create_namespace (f, NS);
  link_hub_and_wait (f);

  g_assert_cmpuint (arm (f, "DELETE", NS_PATH NS "?" STABLE, NULL, &deleted, &headers), ==, 202);
  g_assert_cmpuint (cb_test_arm_wait_location (f->ts, f->owner,
                                               soup_message_headers_get_one (headers, "Location"),
                                               NULL), ==, 204);
  linked = topology_namespace (f, FALSE, HUB);
  g_assert_null (linked);

  create_namespace (f, NS);
  again = get_namespace (f, NS, STABLE);
  g_assert_null (cb_test_jget (again, "properties.messaging"));
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
      "userAssignedIdentity" },
    { "{\"properties\": {\"messaging\": {\"endpoints\": {\"e\": {\"resourceId\": \""
      HUB_ID HUB "\", \"inboundCallerIdentity\": {\"type\": \"None\"}}}}}}",
      "inboundCallerIdentity.type" },
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
      g_assert_null (cb_test_jget (after, "properties.messaging"));
      g_assert_null (cb_test_jget (after, "properties.provisioning"));
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
  g_assert_null (cb_test_jget (done, "properties.messaging"));

  g_clear_pointer (&done, json_node_unref);
  link_hub_and_wait (f);

  /* The preview shape shows the hub the way it always did (the topology's link). */
  preview = get_namespace (f, NS, PREVIEW);
  g_assert_null (cb_test_jget (preview, "properties.messaging.endpoints.primary"));
  g_assert_nonnull (cb_test_jget (preview, "properties.messaging.endpoints." HUB));

  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "?api-version=2026-10-01", NULL, &refused, NULL),
                    ==, 400);
  g_assert_nonnull (cb_test_jstr (refused, "error.code"));
}

/* Management endpoints (properties.management.endpoints) are kept as written, all four members
 * required: a PUT sets them, a PATCH merges (null removes one), a bad entry is refused with
 * nothing changed, the preview does not show them, and deleting the namespace drops them. */
#define MGMT(name, n) "\"" name "\": {\"endpointType\": \"Microsoft.EventGrid/Namespaces\", " \
                      "\"address\": \"eg-" n ".eastus2-1.ts.eventgrid.azure.net\", " \
                      "\"scopeId\": \"scope-" n "\", \"resourceId\": \"/subscriptions/" SUB \
                      "/resourceGroups/" RG "/providers/Microsoft.EventGrid/Namespaces/eg-" n "\"}"

static void
test_management_endpoints (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *path = g_strconcat (NS_PATH NS "?" STABLE, NULL);
  g_autofree char *preview_path = g_strconcat (NS_PATH NS "?" PREVIEW, NULL);
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) got = NULL;
  g_autoptr(JsonNode) patched = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(JsonNode) preview = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *members = NULL;
  g_autofree char *names = NULL;

  g_assert_cmpuint (arm (f, "PUT", path, "{\"location\": \"northeurope\", \"properties\": "
                         "{\"management\": {\"endpoints\": {" MGMT ("one", "1") ", "
                         MGMT ("two", "2") "}}}}", &created, NULL), ==, 201);
  g_assert_cmpstr (cb_test_jstr (created, "properties.management.endpoints.one.scopeId"), ==,
                   "scope-1");

  got = get_namespace (f, NS, STABLE);
  members = jmembers (got, "properties.management.endpoints.two");
  g_assert_cmpstr (members, ==, "address,endpointType,resourceId,scopeId");
  g_assert_cmpstr (cb_test_jstr (got, "properties.management.endpoints.two.address"), ==,
                   "eg-2.eastus2-1.ts.eventgrid.azure.net");
  g_assert_cmpstr (cb_test_jstr (got, "properties.management.endpoints.two.endpointType"), ==,
                   "Microsoft.EventGrid/Namespaces");
  g_assert_null (cb_test_jget (got, "properties.management.endpoints.two.linkingState"));

  /* PATCH merges: one goes, three comes, two stays */
  patch_endpoints (f, NS, "{\"properties\": {\"management\": {\"endpoints\": {\"one\": null, "
                          MGMT ("three", "3") "}}}}");
  patched = get_namespace (f, NS, STABLE);
  names = jmembers (patched, "properties.management.endpoints");
  g_assert_cmpstr (names, ==, "three,two");

  /* A member missing: 400 naming it, nothing changed */
  g_assert_cmpuint (arm (f, "PATCH", path, "{\"properties\": {\"management\": {\"endpoints\": "
                         "{\"two\": null, \"four\": {\"endpointType\": \"x\", \"address\": \"a\", "
                         "\"resourceId\": \"r\"}}}}}", &refused, NULL), ==, 400);
  assert_arm_error (refused, "InvalidRequestContent", "properties.management.endpoints.four.scopeId");
  after = get_namespace (f, NS, STABLE);
  g_clear_pointer (&names, g_free);
  names = jmembers (after, "properties.management.endpoints");
  g_assert_cmpstr (names, ==, "three,two");

  /* The preview's shape has no management endpoints */
  g_assert_cmpuint (arm (f, "GET", preview_path, NULL, &preview, NULL), ==, 200);
  g_assert_null (cb_test_jget (preview, "properties.management"));

  /* Deleted with the namespace: one made again under the name starts without them */
  {
    g_autoptr(JsonNode) deleted = NULL;
    g_autoptr(SoupMessageHeaders) headers = NULL;
    guint status = arm (f, "DELETE", path, NULL, &deleted, &headers);

    g_assert_true (status == 202 || status == 200 || status == 204);
    for (guint i = 0; i < 400 && status != 404; i++)
      {
        g_autoptr(JsonNode) json = NULL;

        status = arm (f, "GET", path, NULL, &json, NULL);
        if (status != 404)
          g_usleep (10 * 1000);
      }
    g_assert_cmpuint (status, ==, 404);
  }
  create_namespace (f, NS);
  again = get_namespace (f, NS, STABLE);
  g_assert_null (cb_test_jget (again, "properties.management"));
}

/* ---- Registry devices --------------------------------------------------------------------- */

/* A device in the namespace, as DPS registration makes it; policy_id may be NULL. */
static void
add_device (Fixture    *f,
            const char *name,
            const char *policy_id)
{
  g_autoptr(GError) error = NULL;

  with_lock (f);
  cb_sb_adr_ensure_device (f->ts->sandbox, f->ns_id, name, policy_id, &error);
  without_lock (f);
  g_assert_no_error (error);
}

static char *
stable_policy_id (const char *ns_id)
{
  return g_strconcat (ns_id, "/certificateAuthorities/" ICA "/certificatePolicies/" POLICY, NULL);
}

/* GET and list answer in Get_RegistryDevice.json's shape, at 2026-11-01 only. */
static void
test_registry_device_get (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(JsonNode) device = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autoptr(JsonNode) missing = NULL;
  g_autofree char *members = NULL;
  g_autofree char *props = NULL;
  g_autofree char *expected_id = g_strconcat (f->ns_id, "/registryDevices/sensor-1", NULL);
  JsonArray *value;

  create_namespace (f, NS);
  add_device (f, "sensor-1", NULL);
  add_device (f, "sensor-2", NULL);

  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/sensor-1?" STABLE, NULL,
                         &device, NULL), ==, 200);
  members = jmembers (device, NULL);
  g_assert_cmpstr (members, ==, "etag,id,location,name,properties,systemData,type");
  props = jmembers (device, "properties");
  g_assert_cmpstr (props, ==, "enablementState,externalDeviceId,provisioningState,uuid");
  g_assert_cmpstr (cb_test_jstr (device, "id"), ==, expected_id);
  g_assert_cmpstr (cb_test_jstr (device, "type"), ==,
                   "Microsoft.DeviceRegistry/namespaces/registryDevices");
  g_assert_cmpstr (cb_test_jstr (device, "properties.enablementState"), ==, "Enabled");
  g_assert_cmpstr (cb_test_jstr (device, "properties.externalDeviceId"), ==, "sensor-1");
  g_assert_cmpstr (cb_test_jstr (device, "properties.provisioningState"), ==, "Succeeded");
  g_assert_false (g_str_has_prefix (cb_test_jstr (device, "etag"), "\""));

  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices?" STABLE, NULL, &list, NULL),
                    ==, 200);
  value = json_node_get_array (cb_test_jget (list, "value"));
  g_assert_cmpuint (json_array_get_length (value), ==, 2);

  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/sensor-9?" STABLE, NULL,
                         &missing, NULL), ==, 404);
  assert_arm_error (missing, "ResourceNotFound", "registryDevices/sensor-9");

  /* The preview has no registry devices. */
  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/sensor-1?" PREVIEW, NULL,
                         &refused, NULL), ==, 400);
}

/* createOrReplace: 201 + Azure-AsyncOperation, then the device as CreateOrReplace_RegistryDevice
 * shows it; a second PUT replaces it (200) and can disable it; enablementState is required. */
static void
test_registry_device_put (Fixture       *f,
                          gconstpointer  data)
{
  static const char body[] =
    "{\"location\": \"northeurope\", \"tags\": {\"owner\": \"IT\"}, \"properties\": "
    "{\"externalDeviceId\": \"ext-7\", \"enablementState\": \"Enabled\", "
    "\"manufacturer\": \"Contoso\", \"model\": \"SmartSensor\", "
    "\"hardwareRevision\": \"1.0\", \"softwareRevision\": \"5.15\"}}";
  static const char disable[] =
    "{\"location\": \"northeurope\", \"properties\": {\"enablementState\": \"Disabled\", "
    "\"model\": \"SmartSensor 2\"}}";
  const char *path = NS_PATH NS "/registryDevices/sensor-7?" STABLE;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) final = NULL;
  g_autoptr(JsonNode) device = NULL;
  g_autoptr(JsonNode) replaced = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *props = NULL;

  create_namespace (f, NS);

  g_assert_cmpuint (arm (f, "PUT", path, body, &created, &headers), ==, 201);
  final = cb_test_arm_wait_async (f->ts, f->owner,
                                  soup_message_headers_get_one (headers, "Azure-AsyncOperation"));
  g_assert_cmpstr (cb_test_jstr (final, "status"), ==, "Succeeded");

  g_assert_cmpuint (arm (f, "GET", path, NULL, &device, NULL), ==, 200);
  props = jmembers (device, "properties");
  g_assert_cmpstr (props, ==, "enablementState,externalDeviceId,hardwareRevision,manufacturer,"
                              "model,provisioningState,softwareRevision,uuid");
  g_assert_cmpstr (cb_test_jstr (device, "properties.externalDeviceId"), ==, "ext-7");
  g_assert_cmpstr (cb_test_jstr (device, "properties.hardwareRevision"), ==, "1.0");
  g_assert_cmpstr (cb_test_jstr (device, "properties.softwareRevision"), ==, "5.15");
  g_assert_cmpstr (cb_test_jstr (device, "properties.provisioningState"), ==, "Succeeded");
  g_assert_cmpstr (cb_test_jstr (device, "tags.owner"), ==, "IT");

  g_assert_cmpuint (arm (f, "PUT", path, disable, &replaced, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (replaced, "properties.enablementState"), ==, "Disabled");
  g_assert_cmpstr (cb_test_jstr (replaced, "properties.model"), ==, "SmartSensor 2");
  g_assert_null (cb_test_jget (replaced, "properties.manufacturer"));
  g_assert_null (cb_test_jget (replaced, "tags"));

  g_assert_cmpuint (arm (f, "PUT", path, "{\"location\": \"northeurope\", \"properties\": {}}",
                         &refused, NULL), ==, 400);
  assert_arm_error (refused, "InvalidRequestContent", "enablementState");
}

/* update (PATCH): 202 + Location, then the device in the stable shape with the properties it
 * named changed and the others kept; Disabled disables it; externalDeviceId is fixed at
 * creation; a bad enablementState changes nothing. */
static void
test_registry_device_patch (Fixture       *f,
                            gconstpointer  data)
{
  const char *path = NS_PATH NS "/registryDevices/sensor-p?" STABLE;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) final = NULL;
  g_autoptr(JsonNode) device = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autoptr(JsonNode) fixed = NULL;
  g_autoptr(JsonNode) unchanged = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  gboolean enabled = TRUE;
  g_autofree char *device_id = cb_sb_device_id (f->ns_id, "sensor-p");
  guint status;

  create_namespace (f, NS);
  g_assert_cmpuint (arm (f, "PUT", path, "{\"location\": \"northeurope\", \"properties\": "
                         "{\"enablementState\": \"Enabled\", \"manufacturer\": \"Contoso\", "
                         "\"model\": \"SmartSensor\", \"softwareRevision\": \"5.15\"}}",
                         &created, NULL), ==, 201);

  g_assert_cmpuint (arm (f, "PATCH", path, "{\"tags\": {\"site\": \"north\"}, \"properties\": "
                         "{\"softwareRevision\": \"6.0\", \"enablementState\": \"Disabled\"}}",
                         NULL, &headers), ==, 202);
  status = cb_test_arm_wait_location (f->ts, f->owner,
                                      soup_message_headers_get_one (headers, "Location"), &final);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (cb_test_jstr (final, "type"), ==,
                   "Microsoft.DeviceRegistry/namespaces/registryDevices");
  g_assert_cmpstr (cb_test_jstr (final, "properties.softwareRevision"), ==, "6.0");

  g_assert_cmpuint (arm (f, "GET", path, NULL, &device, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (device, "properties.softwareRevision"), ==, "6.0");
  g_assert_cmpstr (cb_test_jstr (device, "properties.manufacturer"), ==, "Contoso");
  g_assert_cmpstr (cb_test_jstr (device, "properties.model"), ==, "SmartSensor");
  g_assert_cmpstr (cb_test_jstr (device, "properties.enablementState"), ==, "Disabled");
  g_assert_cmpstr (cb_test_jstr (device, "properties.provisioningState"), ==, "Succeeded");
  g_assert_cmpstr (cb_test_jstr (device, "tags.site"), ==, "north");
  with_lock (f);
  g_assert_true (cb_sb_adr_device_row (f->ts->sandbox, device_id, NULL, NULL, &enabled, NULL));
  without_lock (f);
  g_assert_false (enabled);

  g_assert_cmpuint (arm (f, "PATCH", path, "{\"properties\": {\"enablementState\": \"Off\"}}",
                         &refused, NULL), ==, 400);
  assert_arm_error (refused, "InvalidRequestContent", "enablementState");
  g_assert_cmpuint (arm (f, "PATCH", path, "{\"properties\": {\"externalDeviceId\": \"x\"}}",
                         &fixed, NULL), ==, 400);
  assert_arm_error (fixed, "PropertyChangeNotAllowed", "externalDeviceId");
  g_assert_cmpuint (arm (f, "GET", path, NULL, &unchanged, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (unchanged, "properties.enablementState"), ==, "Disabled");
  g_assert_cmpstr (cb_test_jstr (unchanged, "properties.externalDeviceId"), ==, "sensor-p");
}

/* A device whose certificates come from a stable certificate policy has the profile
 * "default"; others have none. The profiles answer at 2026-11-02-preview only. */
static void
test_profile_get (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *policy_id = stable_policy_id (f->ns_id);
  g_autoptr(JsonNode) profile = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) none = NULL;
  g_autoptr(JsonNode) missing = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autoptr(JsonNode) keys = NULL;
  g_autofree char *members = NULL;

  create_namespace (f, NS);
  add_device (f, "sensor-1", policy_id);
  add_device (f, "sensor-2", NULL);

  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/sensor-1/authenticationProfiles/"
                         "default?" STABLE_PRE, NULL, &profile, NULL), ==, 200);
  members = jmembers (profile, NULL);
  g_assert_cmpstr (members, ==, "id,name,properties,systemData,type");
  g_assert_cmpstr (cb_test_jstr (profile, "type"), ==,
                   "Microsoft.DeviceRegistry/namespaces/registryDevices/authenticationProfiles");
  g_assert_cmpstr (cb_test_jstr (profile, "properties.authenticationType"), ==,
                   "CertificateAuthoritySignedX509Certificate");
  g_assert_cmpstr (cb_test_jstr (profile, "properties.certificateAuthority.certificatePolicyResourceId"),
                   ==, policy_id);

  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/sensor-1/authenticationProfiles?"
                         STABLE_PRE, NULL, &list, NULL), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (cb_test_jget (list, "value"))), ==, 1);

  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/sensor-2/authenticationProfiles/"
                         "default?" STABLE_PRE, NULL, &none, NULL), ==, 404);
  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/sensor-1/authenticationProfiles/"
                         "other?" STABLE_PRE, NULL, &missing, NULL), ==, 404);
  assert_arm_error (missing, "ResourceNotFound", "authenticationProfiles/other");
  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/sensor-1/authenticationProfiles/"
                         "default?" STABLE, NULL, &refused, NULL), ==, 400);

  /* A certificate profile has no keys, by either action name. */
  g_assert_cmpuint (arm (f, "POST", NS_PATH NS "/registryDevices/sensor-1/authenticationProfiles/"
                         "default/getKeys?" STABLE_PRE, NULL, &keys, NULL), ==, 400);
  assert_arm_error (keys, "InvalidAuthenticationType", "SymmetricKey");
  g_clear_pointer (&keys, json_node_unref);
  g_assert_cmpuint (arm (f, "POST", NS_PATH NS "/registryDevices/sensor-1/authenticationProfiles/"
                         "default/listKeys?" STABLE_PRE, NULL, &keys, NULL), ==, 400);
  assert_arm_error (keys, "InvalidAuthenticationType", NULL);
}

/* A device created through ARM has a SymmetricKey "default" profile: the resource shows no
 * keys (an empty symmetricKey, as Get_RegistryDeviceAuthenticationProfile_SymmetricKey.json),
 * getKeys and listKeys return the two keys the sandbox made for it (32 bytes each, base64),
 * the same on every call; it has no certificates to revoke. */
static void
test_profile_symmetric_key (Fixture       *f,
                            gconstpointer  data)
{
  const char *device_path = NS_PATH NS "/registryDevices/sensor-k?" STABLE;
  const char *profile = NS_PATH NS "/registryDevices/sensor-k/authenticationProfiles/default";
  g_autofree char *get_path = g_strconcat (profile, "?" STABLE_PRE, NULL);
  g_autofree char *keys_path = g_strconcat (profile, "/getKeys?" STABLE_PRE, NULL);
  g_autofree char *list_path = g_strconcat (profile, "/listKeys?" STABLE_PRE, NULL);
  g_autofree char *revoke_path = g_strconcat (profile, "/revokeCertificates?" STABLE_PRE, NULL);
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) got = NULL;
  g_autoptr(JsonNode) keys = NULL;
  g_autoptr(JsonNode) listed = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autofree char *members = NULL;
  g_autofree char *key_members = NULL;
  const char *primary;
  const char *secondary;

  create_namespace (f, NS);
  g_assert_cmpuint (arm (f, "PUT", device_path, "{\"location\": \"northeurope\", \"properties\": "
                         "{\"enablementState\": \"Enabled\"}}", &created, NULL), ==, 201);

  g_assert_cmpuint (arm (f, "GET", get_path, NULL, &got, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (got, "properties.authenticationType"), ==, "SymmetricKey");
  members = jmembers (got, "properties.symmetricKey");
  g_assert_cmpstr (members, ==, "");

  g_assert_cmpuint (arm (f, "POST", keys_path, NULL, &keys, NULL), ==, 200);
  key_members = jmembers (keys, "symmetricKey");
  g_assert_cmpstr (key_members, ==, "primaryKey,secondaryKey");
  primary = cb_test_jstr (keys, "symmetricKey.primaryKey");
  secondary = cb_test_jstr (keys, "symmetricKey.secondaryKey");
  g_assert_cmpstr (primary, !=, secondary);
  {
    gsize len = 0;
    g_autofree guchar *raw = g_base64_decode (primary, &len);

    g_assert_cmpuint (len, ==, 32);
  }
  {
    g_autofree char *text = json_to_string (got, FALSE);

    g_assert_null (strstr (text, primary));
  }

  g_assert_cmpuint (arm (f, "POST", list_path, NULL, &listed, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (listed, "symmetricKey.primaryKey"), ==, primary);
  g_assert_cmpstr (cb_test_jstr (listed, "symmetricKey.secondaryKey"), ==, secondary);

  g_assert_cmpuint (arm (f, "POST", revoke_path, NULL, &refused, NULL), ==, 400);
  assert_arm_error (refused, "InvalidAuthenticationType", "SymmetricKey");
}

/* revokeCertificates: 202 + Location, then 204; the device has a new credential identifier
 * (every certificate issued to it is refused by the hub from then on). */
static void
test_profile_revoke_certificates (Fixture       *f,
                                  gconstpointer  data)
{
  g_autofree char *policy_id = stable_policy_id (f->ns_id);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  const char *location;
  gboolean enabled = FALSE;

  create_namespace (f, NS);
  add_device (f, "sensor-1", policy_id);
  with_lock (f);
  g_assert_true (cb_sb_adr_device_credential (f->ts->sandbox, f->ns_id, "sensor-1", &enabled,
                                              &before));
  without_lock (f);

  g_assert_cmpuint (arm (f, "POST", NS_PATH NS "/registryDevices/sensor-1/authenticationProfiles/"
                         "default/revokeCertificates?" STABLE_PRE, NULL, &json, &headers), ==, 202);
  location = soup_message_headers_get_one (headers, "Location");
  g_assert_nonnull (location);
  g_assert_true (strstr (location, "/operationResults/") != NULL);
  g_assert_null (soup_message_headers_get_one (headers, "Azure-AsyncOperation"));
  g_assert_cmpuint (cb_test_arm_wait_location (f->ts, f->owner, location, NULL), ==, 204);
  with_lock (f);
  g_assert_true (cb_sb_adr_device_credential (f->ts->sandbox, f->ns_id, "sensor-1", &enabled,
                                              &after));
  without_lock (f);
  g_assert_true (enabled);
  g_assert_cmpstr (before, !=, after);
}

/* ---- The ICAs on linked hubs -------------------------------------------------------------- */

/* An ICA of the 2026-11-01 model as the CA side leaves it: the CA engine's issuer (signed by
 * the namespace's root) behind a certificateAuthorities row in status. Returns the issuer. */
static char *
add_ica (Fixture    *f,
         const char *name,
         const char *status)
{
  CbSandbox *sb = f->ts->sandbox;
  g_autoptr(GError) error = NULL;
  g_autofree char *ica_id = g_strconcat (f->ns_id, "/certificateAuthorities/", name, NULL);
  g_autofree char *root_id = g_strconcat (f->ns_id, "/certificateAuthorities/" ROOT, NULL);
  g_autofree char *uuid = g_uuid_string_random ();
  CbSbCaRow row = { 0 };
  char *issuer;

  with_lock (f);
  if (!cb_sb_ca_has_root (sb, f->ns_id))
    cb_sb_ca_create_root (sb, f->ns_id, &error);
  g_assert_no_error (error);
  issuer = cb_sb_ca_create_issuer (sb, f->ns_id, ica_id, FALSE, &error);
  g_assert_no_error (error);

  row.id = ica_id;
  row.namespace_id = f->ns_id;
  row.name = (char *) name;
  row.ca_type = (char *) CB_SB_CA_TYPE_ICA;
  row.key_type = (char *) "ECC";
  row.issuer_type = (char *) CB_SB_ISSUER_MICROSOFT;
  row.parent_id = root_id;
  row.issuer_id = issuer;
  row.status = (char *) status;
  row.uuid = uuid;
  row.location = (char *) "northeurope";
  row.state = (char *) "Succeeded";
  cb_sb_adr_insert_ca (sb, &row, cb_sb_actor (NULL), &error);
  g_assert_no_error (error);
  without_lock (f);

  return issuer;
}

static void
add_ca_policy (Fixture    *f,
               const char *ica,
               const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ica_id = g_strconcat (f->ns_id, "/certificateAuthorities/", ica, NULL);
  g_autofree char *policy_id = g_strconcat (ica_id, "/certificatePolicies/", name, NULL);
  g_autofree char *uuid = g_uuid_string_random ();
  CbSbCaPolicyRow row = { 0 };

  row.id = policy_id;
  row.ca_id = ica_id;
  row.name = (char *) name;
  row.validity_days = 30;
  row.uuid = uuid;
  row.location = (char *) "northeurope";
  row.state = (char *) "Succeeded";
  with_lock (f);
  cb_sb_adr_insert_ca_policy (f->ts->sandbox, &row, cb_sb_actor (NULL), &error);
  without_lock (f);
  g_assert_no_error (error);
}

static gboolean
hub_trusts (Fixture    *f,
            const char *hub,
            const char *issuer)
{
  gboolean trusted;

  with_lock (f);
  trusted = cb_sb_ca_hub_has_issuer (f->ts->sandbox, hub, issuer);
  without_lock (f);

  return trusted;
}


/* A hub that links gets the namespace's usable ICAs (not a pending one), named after them. */
static void
test_sync_on_link (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *active = NULL;
  g_autofree char *pending = NULL;
  g_autoptr(GPtrArray) names = NULL;

  add_hub (f, HUB, NULL);
  create_namespace (f, NS);
  active = add_ica (f, ICA, CB_SB_CA_ACTIVE);
  pending = add_ica (f, "ica-pending", CB_SB_CA_PENDING);
  g_assert_false (hub_trusts (f, HUB, active));

  link_hub_and_wait (f);
  g_assert_true (hub_trusts (f, HUB, active));
  g_assert_false (hub_trusts (f, HUB, pending));

  with_lock (f);
  names = cb_sb_ca_list_hub_certificates (f->ts->sandbox, HUB);
  without_lock (f);
  g_assert_cmpuint (names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, ICA);
}

/* An ICA published after the link reaches every linked hub; one failed to link gets nothing. */
static void
test_sync_on_publish (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *failed_body = link_body ("messaging", "broken", HUB_ID HUB_OTHER);
  g_autofree char *other_id = cb_sb_namespace_id (SUB, RG, NS_OTHER);
  g_autoptr(JsonNode) failed = NULL;
  g_autofree char *issuer = NULL;

  add_hub (f, HUB, NULL);
  add_hub (f, HUB_OTHER, other_id);
  create_namespace (f, NS);
  link_hub_and_wait (f);
  patch_endpoints (f, NS, failed_body);
  failed = wait_linked (f, NS, "messaging", "broken");
  g_assert_cmpstr (cb_test_jstr (failed, "properties.messaging.endpoints.broken.linkingState"), ==,
                   "Failed");

  issuer = add_ica (f, ICA, CB_SB_CA_ACTIVE);
  g_assert_false (hub_trusts (f, HUB, issuer));

  with_lock (f);
  cb_sb_events_issuer_published (f->ts->sandbox->events, f->ns_id, issuer);
  without_lock (f);
  g_assert_true (hub_trusts (f, HUB, issuer));
  g_assert_false (hub_trusts (f, HUB_OTHER, issuer));
}

/* With the CA side's own routes: an ICA Microsoft issues after the hub linked reaches the hub
 * (the CA rules publish it; linking listens). */
static void
test_sync_arm_created (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *ica_body = g_strdup_printf ("{\"location\": \"northeurope\", \"properties\": "
                                               "{\"certificateAuthorityType\": \"ICA\", "
                                               "\"keyType\": \"ECC\", \"issuer\": {\"issuerType\": "
                                               "\"Microsoft\", \"certificateAuthorityResourceId\": "
                                               "\"%s/certificateAuthorities/" ROOT "\"}}}", f->ns_id);
  g_autofree char *ica_id = g_strconcat (f->ns_id, "/certificateAuthorities/" ICA, NULL);
  static const char root_body[] = "{\"location\": \"northeurope\", \"properties\": "
                                  "{\"certificateAuthorityType\": \"Root\", \"keyType\": \"ECC\"}}";
  const char *paths[] = { NS_PATH NS "/certificateAuthorities/" ROOT "?" STABLE,
                          NS_PATH NS "/certificateAuthorities/" ICA "?" STABLE };
  const char *bodies[] = { root_body, ica_body };
  CbSbCaRow row = { 0 };

  add_hub (f, HUB, NULL);
  create_namespace (f, NS);
  link_hub_and_wait (f);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(JsonNode) json = NULL;
      g_autoptr(JsonNode) final = NULL;
      g_autoptr(SoupMessageHeaders) headers = NULL;

      g_assert_cmpuint (arm (f, "PUT", paths[i], bodies[i], &json, &headers), ==, 201);
      final = cb_test_arm_wait_async (f->ts, f->owner,
                                      soup_message_headers_get_one (headers,
                                                                    "Azure-AsyncOperation"));
      g_assert_cmpstr (cb_test_jstr (final, "status"), ==, "Succeeded");
    }

  with_lock (f);
  g_assert_true (cb_sb_adr_ca_row (f->ts->sandbox, ica_id, &row));
  without_lock (f);
  g_assert_nonnull (row.issuer_id);
  g_assert_true (hub_trusts (f, HUB, row.issuer_id));
  cb_sb_ca_row_clear (&row);
}

/* ---- DPS at 2026-11-01 -------------------------------------------------------------------- */

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

static guint
dps_request (Fixture     *f,
             const char  *method,
             const char  *path,
             const char  *authorization,
             const char  *body,
             JsonNode   **json)
{
  return cb_test_sandbox_request_json (f->ts, method, path, authorization, body, json, NULL);
}

static guint
put_group (Fixture    *f,
           const char *api,
           const char *members,
           JsonNode  **json)
{
  g_autofree char *sas = owner_sas ();
  g_autofree char *path = g_strdup_printf ("/dps-service/" DPS "/enrollmentGroups/" GROUP "?%s",
                                           api);
  g_autofree char *body = g_strdup_printf ("{\"enrollmentGroupId\": \"" GROUP "\", "
                                           "\"attestation\": {\"type\": \"symmetricKey\", "
                                           "\"symmetricKey\": {\"primaryKey\": \"" GROUP_KEY "\", "
                                           "\"secondaryKey\": \"" GROUP_KEY "\"}}%s%s}",
                                           members[0] != '\0' ? ", " : "", members);

  return dps_request (f, "PUT", path, sas, body, json);
}

#define ISSUING_PATH "\"namespaceName\": \"" NS "\", \"certificateAuthorityName\": \"" ICA \
                     "\", \"certificatePolicyName\": \"" POLICY "\""

static void
assert_dps_error (JsonNode *json,
                  gint64    code,
                  const char *fragment)
{
  const char *message;

  g_assert_nonnull (json);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "errorCode"), ==,
                   code);
  message = json_object_get_string_member_with_default (json_node_get_object (json), "message",
                                                        "");
  if (fragment != NULL && strstr (message, fragment) == NULL)
    g_error ("DPS error message \"%s\" lacks \"%s\"", message, fragment);
}

/* The three names come together, only at 2026-11-01, and not beside credentialPolicyName. */
static void
test_dps_enrollment_members (Fixture       *f,
                             gconstpointer  data)
{
  static const struct { const char *api; const char *members; const char *fragment; } bad[] = {
    { DPS_STABLE, "\"namespaceName\": \"" NS "\"", "certificateAuthorityName" },
    { DPS_STABLE, "\"namespaceName\": \"" NS "\", \"certificateAuthorityName\": \"" ICA "\"",
      "certificatePolicyName" },
    { DPS_STABLE, "\"certificatePolicyName\": \"" POLICY "\"", "namespaceName" },
    { DPS_STABLE, ISSUING_PATH ", \"credentialPolicyName\": \"default\"",
      "credentialPolicyName" },
    { DPS_STABLE, "\"namespaceName\": \"\", \"certificateAuthorityName\": \"" ICA "\", "
      "\"certificatePolicyName\": \"" POLICY "\"", "namespaceName" },
    { DPS_PREVIEW, ISSUING_PATH, "2026-11-01" },
  };
  g_autoptr(JsonNode) good = NULL;

  add_hub (f, HUB, NULL);
  add_dps (f, f->ns_id);
  create_namespace (f, NS);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) json = NULL;

      g_assert_cmpuint (put_group (f, bad[i].api, bad[i].members, &json), ==, 400);
      assert_dps_error (json, 400301, bad[i].fragment);
    }

  g_assert_cmpuint (put_group (f, DPS_STABLE, ISSUING_PATH, &good), ==, 200);
  g_assert_cmpstr (cb_test_jstr (good, "namespaceName"), ==, NS);
  g_assert_cmpstr (cb_test_jstr (good, "certificateAuthorityName"), ==, ICA);
  g_assert_cmpstr (cb_test_jstr (good, "certificatePolicyName"), ==, POLICY);
  g_assert_null (cb_test_jget (good, "credentialPolicyName"));
}

/* DPS must be linked to the namespace the enrollment names: 400004 when it is linked to none,
 * 403000 when it is linked to another. */
static void
test_dps_enrollment_not_linked (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(JsonNode) none = NULL;
  g_autoptr(JsonNode) other = NULL;
  g_autofree char *other_id = cb_sb_namespace_id (SUB, RG, NS_OTHER);
  g_autoptr(GError) error = NULL;

  add_hub (f, HUB, NULL);
  add_dps (f, NULL);
  create_namespace (f, NS);

  g_assert_cmpuint (put_group (f, DPS_STABLE, ISSUING_PATH, &none), ==, 400);
  assert_dps_error (none, 400004, "Device Registry Namespace is required");

  with_lock (f);
  cb_sb_topology_set_namespace (f->ts->sandbox, TRUE, DPS, other_id, &error);
  without_lock (f);
  g_assert_no_error (error);
  g_assert_cmpuint (put_group (f, DPS_STABLE, ISSUING_PATH, &other), ==, 403);
  assert_dps_error (other, 403000, NS_OTHER);
}

static char *
device_sas (const char *registration_id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *device_key = cb_sas_derive_device_key (GROUP_KEY, registration_id, &error);
  g_autofree char *resource = g_strdup_printf ("%s/registrations/%s", ID_SCOPE, registration_id);
  char *token;

  g_assert_no_error (error);
  token = cb_sas_token_new (resource, device_key, "registration",
                            g_get_real_time () / G_USEC_PER_SEC + 600, CB_SAS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  return token;
}

/* Registers registration_id with a new EC key's CSR; returns the final registration state. */
static JsonNode *
register_device (Fixture    *f,
                 const char *registration_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) der = NULL;
  g_autofree char *csr = NULL;
  g_autofree char *sas = device_sas (registration_id);
  g_autofree char *body = NULL;
  g_autofree char *path = g_strdup_printf ("/dps/" ID_SCOPE "/registrations/%s/register?"
                                           DPS_STABLE, registration_id);
  g_autoptr(JsonNode) reply = NULL;
  const char *operation_id;
  gsize len = 0;
  const guchar *data;

  g_assert_no_error (error);
  der = cb_csr_create (key, registration_id, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (der, &len);
  csr = g_base64_encode (data, len);
  body = g_strdup_printf ("{\"registrationId\": \"%s\", \"csr\": \"%s\"}", registration_id,
                          csr);

  g_assert_cmpuint (dps_request (f, "PUT", path, sas, body, &reply), ==, 202);
  operation_id = cb_test_jstr (reply, "operationId");
  g_assert_nonnull (operation_id);

  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *poll = g_strdup_printf ("/dps/" ID_SCOPE "/registrations/%s/operations/%s?"
                                               DPS_STABLE, registration_id, operation_id);
      g_autoptr(JsonNode) state = NULL;
      guint status = dps_request (f, "GET", poll, sas, NULL, &state);

      if (status == 202)
        {
          g_usleep (10 * 1000);
          continue;
        }
      g_assert_cmpuint (status, ==, 200);
      return g_steal_pointer (&state);
    }

  g_error ("The registration of %s never finished", registration_id);
  return NULL;
}

static GPtrArray *
issued_chain (JsonNode *state)
{
  JsonArray *array = json_node_get_array (cb_test_jget (state, "registrationState.issuedCertificateChain"));
  GPtrArray *chain = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      gsize len = 0;
      g_autofree guchar *raw = g_base64_decode (json_array_get_string_element (array, i), &len);
      g_autoptr(GBytes) der = g_bytes_new (raw, len);
      g_autoptr(GError) error = NULL;
      CbCertificate *cert = cb_certificate_new_from_der (der, &error);

      g_assert_no_error (error);
      g_ptr_array_add (chain, cert);
    }

  return chain;
}

static CbSbVerdict
verdict (Fixture    *f,
         const char *device,
         GPtrArray  *chain)
{
  CbSbVerdict v;

  with_lock (f);
  v = cb_sb_check_device_chain (f->ts->sandbox, HUB, device, chain, NULL);
  without_lock (f);

  return v;
}

/* What the hub's MQTT renewal does for the device: issuance under its policy id. */
static GPtrArray *
renew (Fixture    *f,
       const char *device,
       const char *policy_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GPtrArray) ders = NULL;
  GPtrArray *chain = g_ptr_array_new_with_free_func (g_object_unref);

  g_assert_no_error (error);
  csr = cb_csr_create (key, device, &error);
  g_assert_no_error (error);
  with_lock (f);
  ders = cb_sb_ca_issue_leaf (f->ts->sandbox, policy_id, device, csr, &error);
  without_lock (f);
  g_assert_no_error (error);

  for (guint i = 0; i < ders->len; i++)
    {
      CbCertificate *cert = cb_certificate_new_from_der (g_ptr_array_index (ders, i), &error);

      g_assert_no_error (error);
      g_ptr_array_add (chain, cert);
    }

  return chain;
}

/* The stable path end to end: hub and DPS linked through the namespace's endpoints, an ICA
 * and its policy, an enrollment group at 2026-11-01; a registration with a CSR gets a leaf
 * from that ICA, the registry device exists with its profile, and the hub accepts the chain
 * until revokeCertificates. */
static void
test_dps_register (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *dps_body = link_body ("provisioning", "dps", DPS_ID DPS);
  g_autofree char *policy_id = stable_policy_id (f->ns_id);
  g_autofree char *issuer = NULL;
  g_autoptr(JsonNode) linked = NULL;
  g_autoptr(JsonNode) group = NULL;
  g_autoptr(JsonNode) state = NULL;
  g_autoptr(JsonNode) device = NULL;
  g_autoptr(JsonNode) profile = NULL;
  g_autoptr(JsonNode) revoke = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GPtrArray) renewed = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  CbCertificate *leaf;

  add_hub (f, HUB, NULL);
  add_dps (f, NULL);
  create_namespace (f, NS);
  issuer = add_ica (f, ICA, CB_SB_CA_ACTIVE);
  add_ca_policy (f, ICA, POLICY);

  link_hub_and_wait (f);
  patch_endpoints (f, NS, dps_body);
  linked = wait_linked (f, NS, "provisioning", "dps");
  g_assert_cmpstr (cb_test_jstr (linked, "properties.provisioning.endpoints.dps.linkingState"), ==,
                   "Succeeded");

  g_assert_cmpuint (put_group (f, DPS_STABLE, ISSUING_PATH, &group), ==, 200);

  state = register_device (f, "stable-0001");
  g_assert_cmpstr (cb_test_jstr (state, "status"), ==, "assigned");
  g_assert_cmpstr (cb_test_jstr (state, "registrationState.assignedHub"), ==, HUB ".azure-devices.net");
  chain = issued_chain (state);
  g_assert_cmpuint (chain->len, >=, 2);
  leaf = g_ptr_array_index (chain, 0);
  g_assert_cmpstr (cb_certificate_get_common_name (leaf), ==, "stable-0001");
  g_assert_true (cb_certificate_is_issued_by (leaf, g_ptr_array_index (chain, 1)));
  g_assert_cmpint (verdict (f, "stable-0001", chain), ==, CB_SB_VERDICT_ACCEPTED);

  /* The hub's renewal knows the device's policy by its id: it issues under the same ICA. */
  renewed = renew (f, "stable-0001", policy_id);
  g_assert_cmpint (verdict (f, "stable-0001", renewed), ==, CB_SB_VERDICT_ACCEPTED);

  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/stable-0001?" STABLE, NULL,
                         &device, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (device, "properties.enablementState"), ==, "Enabled");
  g_assert_cmpuint (arm (f, "GET", NS_PATH NS "/registryDevices/stable-0001/authenticationProfiles/"
                         "default?" STABLE_PRE, NULL, &profile, NULL), ==, 200);
  g_assert_cmpstr (cb_test_jstr (profile, "properties.certificateAuthority.certificatePolicyResourceId"),
                   ==, policy_id);

  g_assert_cmpuint (arm (f, "POST", NS_PATH NS "/registryDevices/stable-0001/"
                         "authenticationProfiles/default/revokeCertificates?" STABLE_PRE, NULL,
                         &revoke, &headers), ==, 202);
  g_assert_cmpuint (cb_test_arm_wait_location (f->ts, f->owner,
                                               soup_message_headers_get_one (headers, "Location"),
                                               NULL), ==, 204);
  g_assert_cmpint (verdict (f, "stable-0001", chain), ==, CB_SB_VERDICT_REVOKED_IDENTIFIER);
  g_assert_cmpint (verdict (f, "stable-0001", renewed), ==, CB_SB_VERDICT_REVOKED_IDENTIFIER);
}

/* Registration through an enrollment whose CA cannot issue, or whose name is the root's,
 * fails with the registration state's errorCode. */
static void
test_dps_register_refused (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(JsonNode) group = NULL;
  g_autoptr(JsonNode) pending = NULL;
  g_autoptr(JsonNode) missing = NULL;
  g_autofree char *issuer = NULL;
  g_autoptr(GError) error = NULL;

  add_hub (f, HUB, f->ns_id);
  add_dps (f, f->ns_id);
  create_namespace (f, NS);
  issuer = add_ica (f, ICA, CB_SB_CA_PENDING);
  add_ca_policy (f, ICA, POLICY);

  g_assert_cmpuint (put_group (f, DPS_STABLE, ISSUING_PATH, &group), ==, 200);
  pending = register_device (f, "stable-0002");
  g_assert_cmpstr (cb_test_jstr (pending, "status"), ==, "failed");
  g_assert_cmpint (json_node_get_int (cb_test_jget (pending, "registrationState.errorCode")), ==, 409212);

  /* The link goes: the enrollment's namespace is no longer DPS's. */
  with_lock (f);
  cb_sb_topology_set_namespace (f->ts->sandbox, TRUE, DPS, NULL, &error);
  without_lock (f);
  g_assert_no_error (error);
  missing = register_device (f, "stable-0003");
  g_assert_cmpstr (cb_test_jstr (missing, "status"), ==, "failed");
  g_assert_cmpint (json_node_get_int (cb_test_jget (missing, "registrationState.errorCode")), ==, 400004);
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
  ADD ("/adr-linking/endpoints/unlink-on-delete", test_unlink_on_delete);
  ADD ("/adr-linking/endpoints/bad-body", test_link_bad_body);
  ADD ("/adr-linking/endpoints/versions", test_link_versions);
  ADD ("/adr-linking/endpoints/management", test_management_endpoints);
  ADD ("/adr-linking/sync/on-link", test_sync_on_link);
  ADD ("/adr-linking/sync/on-publish", test_sync_on_publish);
  ADD ("/adr-linking/sync/arm-created", test_sync_arm_created);
  ADD ("/adr-linking/registry-devices/get", test_registry_device_get);
  ADD ("/adr-linking/registry-devices/put", test_registry_device_put);
  ADD ("/adr-linking/registry-devices/patch", test_registry_device_patch);
  ADD ("/adr-linking/profiles/get", test_profile_get);
  ADD ("/adr-linking/profiles/symmetric-key", test_profile_symmetric_key);
  ADD ("/adr-linking/profiles/revoke-certificates", test_profile_revoke_certificates);
  ADD ("/adr-linking/dps/enrollment-members", test_dps_enrollment_members);
  ADD ("/adr-linking/dps/enrollment-not-linked", test_dps_enrollment_not_linked);
  ADD ("/adr-linking/dps/register", test_dps_register);
  ADD ("/adr-linking/dps/register-refused", test_dps_register_refused);

  return g_test_run ();
}
