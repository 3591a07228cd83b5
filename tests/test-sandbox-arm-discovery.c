/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ARM lists a signed-in user chooses a connection from, on the demo seed: tenants,
 * subscriptions, resource groups and DPS instances answer with the members of Azure's
 * examples (GetTenants.json, GetSubscriptions.json of Microsoft.Resources 2022-12-01,
 * DPSListByResourceGroup.json of Microsoft.Devices 2022-02-05 in Azure/azure-rest-api-specs),
 * page by nextLink, and show each user only what a role lets them see. */

#include "config.h"

#include "cb-sb-directory.h"
#include "cb-sb-store.h"
#include "cb-test-arm.h"
#include "cb-test-sandbox.h"

#define DEMO_SUB  "cb000000-0000-4000-8000-000000000001"
#define LAB_SUB   "cb000000-0000-4000-8000-000000000002"
#define ADMIN     "admin@sandbox.certbench.local"
#define OPERATOR  "operator@sandbox.certbench.local"
#define READER    "reader@sandbox.certbench.local"
#define RES_API   "api-version=2022-12-01"
#define DPS_API   "api-version=2022-02-05"

typedef struct
{
  CbTestSandbox *ts;
  char          *admin;
  char          *operator;
  char          *reader;
} Fixture;

static char *
token_for (Fixture    *f,
           const char *principal)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  cb_sb_lock (f->ts->sandbox);
  token = cb_sb_issue_token (f->ts->sandbox, principal, CB_SB_AUD_ARM, &error);
  cb_sb_unlock (f->ts->sandbox);
  g_assert_no_error (error);
  return g_strconcat ("Bearer ", token, NULL);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_demo (f->ts->sandbox, NULL));
  f->admin = token_for (f, ADMIN);
  f->operator = token_for (f, OPERATOR);
  f->reader = token_for (f, READER);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_free (f->admin);
  g_free (f->operator);
  g_free (f->reader);
}

static JsonNode *
get (Fixture    *f,
     const char *token,
     const char *url,
     guint       expected)
{
  JsonNode *body = NULL;

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", url, token, NULL, &body, NULL),
                    ==, expected);
  return body;
}

/* Every item of every page, following nextLink; *n_pages counts the pages. */
static JsonArray *
walk (Fixture    *f,
      const char *token,
      const char *first,
      guint      *n_pages)
{
  JsonArray *all = json_array_new ();
  g_autofree char *url = g_strdup (first);

  *n_pages = 0;
  while (url != NULL)
    {
      g_autoptr(JsonNode) page = get (f, token, url, 200);
      JsonArray *value = json_node_get_array (cb_test_jget (page, "value"));

      for (guint i = 0; i < json_array_get_length (value); i++)
        json_array_add_element (all, json_node_copy (json_array_get_element (value, i)));
      g_free (url);
      url = g_strdup (cb_test_jstr (page, "nextLink"));
      (*n_pages)++;
    }
  return all;
}

/* Every member of the example's element is there (those listed), and of the same JSON kind. */
static void
assert_members (JsonNode           *item,
                const char * const *strings,
                const char * const *objects)
{
  for (guint i = 0; strings[i] != NULL; i++)
    {
      g_test_message ("member %s", strings[i]);
      g_assert_nonnull (cb_test_jstr (item, strings[i]));
    }
  for (guint i = 0; objects != NULL && objects[i] != NULL; i++)
    {
      JsonNode *node = cb_test_jget (item, objects[i]);

      g_test_message ("member %s", objects[i]);
      g_assert_nonnull (node);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node) || JSON_NODE_HOLDS_ARRAY (node));
    }
}

static const char *
str_at (JsonArray  *array,
        guint       i,
        const char *path)
{
  return cb_test_jstr (json_array_get_element (array, i), path);
}

static void
test_tenants (Fixture       *f,
              gconstpointer  data)
{
  static const char * const strings[] = { "id", "tenantId", "countryCode", "displayName",
                                          "tenantCategory", "defaultDomain", "tenantType", NULL };
  static const char * const objects[] = { "domains", NULL };
  g_autoptr(JsonNode) page = get (f, f->admin, "/arm/tenants?" RES_API, 200);
  g_autofree char *tenant = cb_sb_dup_meta (f->ts->sandbox, "tenant_id");
  g_autofree char *id = g_strconcat ("/tenants/", tenant, NULL);
  JsonArray *value = json_node_get_array (cb_test_jget (page, "value"));
  g_autoptr(JsonNode) none = get (f, NULL, "/arm/tenants?" RES_API, 401);
  g_autoptr(JsonNode) old = get (f, f->admin, "/arm/tenants?api-version=1999-01-01", 400);

  g_autoptr(JsonNode) reader = get (f, f->reader, "/arm/tenants?" RES_API, 200);

  /* The home tenant, then the one the admin is a guest in (test-sandbox-tenants). */
  g_assert_cmpuint (json_array_get_length (value), ==, 2);
  for (guint i = 0; i < 2; i++)
    assert_members (json_array_get_element (value, i), strings, objects);
  g_assert_cmpstr (str_at (value, 0, "tenantId"), ==, tenant);
  g_assert_cmpstr (str_at (value, 0, "id"), ==, id);
  g_assert_cmpstr (str_at (value, 1, "displayName"), ==, "Certbench Field Lab");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (cb_test_jget (reader, "value"))),
                    ==, 1);
}

static void
test_subscriptions (Fixture       *f,
                    gconstpointer  data)
{
  static const char * const strings[] = { "id", "subscriptionId", "tenantId", "displayName",
                                          "state", "authorizationSource",
                                          "subscriptionPolicies.locationPlacementId",
                                          "subscriptionPolicies.quotaId",
                                          "subscriptionPolicies.spendingLimit", NULL };
  static const char * const objects[] = { "managedByTenants", "tags", NULL };
  g_autofree char *tenant = cb_sb_dup_meta (f->ts->sandbox, "tenant_id");
  g_autoptr(JsonArray) admin = NULL;
  g_autoptr(JsonArray) paged = NULL;
  g_autoptr(JsonArray) reader = NULL;
  g_autoptr(JsonArray) operator = NULL;
  g_autoptr(JsonNode) one = NULL;
  g_autoptr(JsonNode) hidden = NULL;
  g_autoptr(JsonNode) unknown = NULL;
  guint pages;

  /* The admin owns the demo and the lab subscription. */
  admin = walk (f, f->admin, "/arm/subscriptions?" RES_API, &pages);
  g_assert_cmpuint (pages, ==, 1);
  g_assert_cmpuint (json_array_get_length (admin), ==, 2);
  for (guint i = 0; i < 2; i++)
    assert_members (json_array_get_element (admin, i), strings, objects);
  g_assert_cmpstr (str_at (admin, 0, "subscriptionId"), ==, DEMO_SUB);
  g_assert_cmpstr (str_at (admin, 0, "displayName"), ==, "Certbench demo");
  g_assert_cmpstr (str_at (admin, 0, "id"), ==, "/subscriptions/" DEMO_SUB);
  g_assert_cmpstr (str_at (admin, 0, "tenantId"), ==, tenant);
  g_assert_cmpstr (str_at (admin, 1, "subscriptionId"), ==, LAB_SUB);
  g_assert_cmpstr (str_at (admin, 1, "displayName"), ==, "Certbench lab");

  /* One a page: the same two, by nextLink. */
  cb_sandbox_set_page_size (f->ts->sandbox, 1);
  paged = walk (f, f->admin, "/arm/subscriptions?" RES_API, &pages);
  g_assert_cmpuint (pages, ==, 2);
  g_assert_cmpuint (json_array_get_length (paged), ==, 2);
  g_assert_cmpstr (str_at (paged, 1, "subscriptionId"), ==, LAB_SUB);
  cb_sandbox_set_page_size (f->ts->sandbox, 0);

  /* The reader has a role on the demo subscription only; the operator one on a namespace in
   * it, which is enough to see the subscription. */
  reader = walk (f, f->reader, "/arm/subscriptions?" RES_API, &pages);
  g_assert_cmpuint (json_array_get_length (reader), ==, 1);
  g_assert_cmpstr (str_at (reader, 0, "subscriptionId"), ==, DEMO_SUB);
  operator = walk (f, f->operator, "/arm/subscriptions?" RES_API, &pages);
  g_assert_cmpuint (json_array_get_length (operator), ==, 1);

  one = get (f, f->admin, "/arm/subscriptions/" LAB_SUB "?" RES_API, 200);
  g_assert_cmpstr (cb_test_jstr (one, "displayName"), ==, "Certbench lab");
  hidden = get (f, f->reader, "/arm/subscriptions/" LAB_SUB "?" RES_API, 404);
  g_assert_cmpstr (cb_test_jstr (hidden, "error.code"), ==, "SubscriptionNotFound");
  unknown = get (f, f->admin,
                 "/arm/subscriptions/00000000-0000-0000-0000-000000000000?" RES_API, 404);
  g_assert_cmpstr (cb_test_jstr (unknown, "error.code"), ==, "SubscriptionNotFound");
}

static void
test_resource_groups (Fixture       *f,
                      gconstpointer  data)
{
  static const char * const strings[] = { "id", "name", "type", "location",
                                          "properties.provisioningState", NULL };
  g_autoptr(JsonArray) demo = NULL;
  g_autoptr(JsonArray) lab = NULL;
  g_autoptr(JsonArray) paged = NULL;
  g_autoptr(JsonArray) operator = NULL;
  g_autoptr(JsonNode) hidden = NULL;
  guint pages;

  /* The demo's group with its resources, and an empty one named on its own. */
  demo = walk (f, f->admin, "/arm/subscriptions/" DEMO_SUB "/resourcegroups?" RES_API, &pages);
  g_assert_cmpuint (json_array_get_length (demo), ==, 2);
  for (guint i = 0; i < 2; i++)
    assert_members (json_array_get_element (demo, i), strings, NULL);
  g_assert_cmpstr (str_at (demo, 0, "name"), ==, "certbench-demo");
  g_assert_cmpstr (str_at (demo, 0, "id"), ==,
                   "/subscriptions/" DEMO_SUB "/resourceGroups/certbench-demo");
  g_assert_cmpstr (str_at (demo, 0, "type"), ==, "Microsoft.Resources/resourceGroups");
  g_assert_cmpstr (str_at (demo, 1, "name"), ==, "certbench-staging");

  lab = walk (f, f->admin, "/arm/subscriptions/" LAB_SUB "/resourceGroups?" RES_API, &pages);
  g_assert_cmpuint (json_array_get_length (lab), ==, 1);
  g_assert_cmpstr (str_at (lab, 0, "location"), ==, "northeurope");

  cb_sandbox_set_page_size (f->ts->sandbox, 1);
  paged = walk (f, f->admin, "/arm/subscriptions/" DEMO_SUB "/resourcegroups?" RES_API, &pages);
  g_assert_cmpuint (pages, ==, 2);
  g_assert_cmpstr (str_at (paged, 1, "name"), ==, "certbench-staging");
  cb_sandbox_set_page_size (f->ts->sandbox, 0);

  /* A role on a namespace does not let one read its resource group: none listed. */
  operator = walk (f, f->operator, "/arm/subscriptions/" DEMO_SUB "/resourcegroups?" RES_API,
                   &pages);
  g_assert_cmpuint (json_array_get_length (operator), ==, 0);

  hidden = get (f, f->reader, "/arm/subscriptions/" LAB_SUB "/resourcegroups?" RES_API, 404);
  g_assert_cmpstr (cb_test_jstr (hidden, "error.code"), ==, "SubscriptionNotFound");
}

static void
test_dps (Fixture       *f,
          gconstpointer  data)
{
  static const char * const strings[] = { "etag", "name", "location", "properties.state",
                                          "properties.allocationPolicy",
                                          "properties.serviceOperationsHostName",
                                          "properties.deviceProvisioningHostName",
                                          "properties.idScope", "type", "id", "sku.name",
                                          "sku.tier", NULL };
  static const char * const objects[] = { "tags", NULL };
  const char *by_group = "/arm/subscriptions/" DEMO_SUB "/resourceGroups/certbench-demo/"
                         "providers/Microsoft.Devices/provisioningServices?" DPS_API;
  g_autoptr(JsonArray) group = NULL;
  g_autoptr(JsonArray) sub = NULL;
  g_autoptr(JsonArray) paged = NULL;
  g_autoptr(JsonArray) lab = NULL;
  g_autoptr(JsonNode) one = NULL;
  g_autoptr(JsonNode) missing = NULL;
  g_autoptr(JsonNode) forbidden = NULL;
  guint pages;

  group = walk (f, f->admin, by_group, &pages);
  g_assert_cmpuint (json_array_get_length (group), ==, 2);
  for (guint i = 0; i < 2; i++)
    assert_members (json_array_get_element (group, i), strings, objects);
  g_assert_cmpstr (str_at (group, 0, "name"), ==, "demo-dps");
  g_assert_cmpstr (str_at (group, 0, "properties.idScope"), ==, "0ne00CB0DE1");
  g_assert_cmpstr (str_at (group, 0, "type"), ==, "Microsoft.Devices/ProvisioningServices");
  g_assert_cmpstr (str_at (group, 0, "id"), ==,
                   "/subscriptions/" DEMO_SUB "/resourceGroups/certbench-demo/providers/"
                   "Microsoft.Devices/ProvisioningServices/demo-dps");
  g_assert_cmpstr (str_at (group, 1, "name"), ==, "demo-stable-dps");

  /* The reader lists by subscription; one a page gives the same two. */
  sub = walk (f, f->reader, "/arm/subscriptions/" DEMO_SUB
              "/providers/Microsoft.Devices/provisioningServices?" DPS_API, &pages);
  g_assert_cmpuint (json_array_get_length (sub), ==, 2);
  cb_sandbox_set_page_size (f->ts->sandbox, 1);
  paged = walk (f, f->reader, by_group, &pages);
  g_assert_cmpuint (pages, ==, 2);
  g_assert_cmpstr (str_at (paged, 1, "name"), ==, "demo-stable-dps");
  cb_sandbox_set_page_size (f->ts->sandbox, 0);
  lab = walk (f, f->admin, "/arm/subscriptions/" LAB_SUB
              "/providers/Microsoft.Devices/provisioningServices?" DPS_API, &pages);
  g_assert_cmpuint (json_array_get_length (lab), ==, 0);

  one = get (f, f->reader, "/arm/subscriptions/" DEMO_SUB "/resourceGroups/certbench-demo/"
             "providers/Microsoft.Devices/provisioningServices/demo-stable-dps?" DPS_API, 200);
  g_assert_cmpstr (cb_test_jstr (one, "properties.idScope"), ==, "0ne00CB0CA1");
  missing = get (f, f->reader, "/arm/subscriptions/" DEMO_SUB "/resourceGroups/certbench-demo/"
                 "providers/Microsoft.Devices/provisioningServices/nope?" DPS_API, 404);
  g_assert_cmpstr (cb_test_jstr (missing, "error.code"), ==, "ResourceNotFound");

  /* The operator's role is on a namespace: listing the group's instances is refused. */
  forbidden = get (f, f->operator, by_group, 403);
  g_assert_cmpstr (cb_test_jstr (forbidden, "error.code"), ==, "AuthorizationFailed");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sandbox/arm-discovery/tenants", Fixture, NULL, fixture_setup, test_tenants,
              fixture_teardown);
  g_test_add ("/sandbox/arm-discovery/subscriptions", Fixture, NULL, fixture_setup,
              test_subscriptions, fixture_teardown);
  g_test_add ("/sandbox/arm-discovery/resource-groups", Fixture, NULL, fixture_setup,
              test_resource_groups, fixture_teardown);
  g_test_add ("/sandbox/arm-discovery/dps", Fixture, NULL, fixture_setup, test_dps,
              fixture_teardown);

  return g_test_run ();
}
