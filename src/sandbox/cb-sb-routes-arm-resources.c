/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* Surfaces: the lists a client reads to find its way after signing in, in Azure's shapes:
 * GET /tenants (the home tenant and those the caller is a guest in, whichever tenant the token
 * is from; GetTenants.json), GET /subscriptions (those of the token's tenant only, as ARM
 * lists them: a client lists another tenant's with a token from that tenant) and
 * GET /subscriptions/{id} (GetSubscriptions.json, GetSubscription.json) and
 * GET /subscriptions/{id}/resourcegroups (the ResourceGroup of CreateResourceGroup.json), all
 * examples of specification/resources/resource-manager/Microsoft.Resources/stable/2022-12-01
 * in Azure/azure-rest-api-specs. The lists page by nextLink as Azure's do. A user sees what a
 * role lets them: a subscription when they have a role in it (at any scope under it), a
 * resource group when a role covers it, as ARM filters them; an unknown or hidden
 * subscription is 404 SubscriptionNotFound. */

#include "config.h"

#include <string.h>

#include "cb-sb-arm-request.h"
#include "cb-sb-arm-resources.h"
#include "cb-sb-directory.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-arm-resources.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"

/* A role of ?1 at the root, on the subscription s.id or anywhere under it. */
#define SEES_SUBSCRIPTION \
  "EXISTS (SELECT 1 FROM role_assignments r WHERE r.principal_id = ?1 AND " \
  "(rtrim(r.scope, '/') = '' OR r.scope = '/subscriptions/' || s.id OR " \
  "r.scope LIKE '/subscriptions/' || s.id || '/%'))"
/* A role of ?1 at the root, on the subscription ?2 or on the group g.name. */
#define SEES_GROUP \
  "EXISTS (SELECT 1 FROM role_assignments r WHERE r.principal_id = ?1 AND " \
  "(rtrim(r.scope, '/') = '' OR r.scope = '/subscriptions/' || ?2 OR " \
  "r.scope = '/subscriptions/' || ?2 || '/resourceGroups/' || g.name))"

/* The subscription s.id is in the tenant ?2 (no tenant named: the home tenant, meta). */
#define IN_TENANT \
  "COALESCE((SELECT a.tenant FROM arm_subscriptions a WHERE a.id = s.id), " \
  "(SELECT value FROM meta WHERE key = 'tenant_id')) = ?2 COLLATE NOCASE"

static gboolean
begin (CbSbRequest *req)
{
  /* The api-versions of Microsoft.Resources' subscriptions and resource groups that the
   * SDKs send (@azure/arm-resources 2021-04-01, @azure/arm-resources-subscriptions
   * 2022-12-01, Azure CLI 2022-09-01). */
  return cb_sb_require_bearer (req, CB_SB_AUD_ARM) &&
         cb_sb_require_api_version (req, "2022-12-01", "2022-09-01", "2021-04-01",
                                    "2021-01-01", "2020-01-01", "2016-06-01", NULL);
}

static void
add_domains (JsonBuilder *b,
             const char  *domain)
{
  json_builder_set_member_name (b, "domains");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, domain);
  json_builder_end_array (b);
}

static void
add_tenant (JsonBuilder *b,
            const char  *tenant,
            const char  *display_name,
            const char  *domain,
            const char  *country_code)
{
  g_autofree char *id = g_strconcat ("/tenants/", tenant, NULL);

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", id);
  cb_sb_json_add_string (b, "tenantId", tenant);
  cb_sb_json_add_string (b, "countryCode", country_code);
  cb_sb_json_add_string (b, "displayName", display_name);
  add_domains (b, domain);
  /* A guest's tenants are "Home" too: ProjectedBy and ManagedBy are Azure Lighthouse's. */
  cb_sb_json_add_string (b, "tenantCategory", "Home");
  cb_sb_json_add_string (b, "defaultDomain", domain);
  cb_sb_json_add_string (b, "tenantType", "AAD");
  json_builder_end_object (b);
}

/* Not paged: a person belongs to a handful of tenants. */
static void
handle_tenants (CbSbRequest *req)
{
  g_autofree char *tenant = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(CbSbStmt) stmt = NULL;

  if (!begin (req))
    return;

  tenant = cb_sb_dup_meta (req->sandbox, "tenant_id");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  add_tenant (b, tenant, "Certbench sandbox", CB_SB_HOME_DOMAIN, "DE");
  stmt = cb_sb_prepare (req->sandbox,
                        "SELECT t.id, t.display_name, t.default_domain, t.country_code "
                        "FROM entra_tenants t JOIN entra_tenant_members m ON m.tenant = t.id "
                        "WHERE m.principal_id = ? ORDER BY t.display_name, t.id");
  cb_sb_bind_text (stmt, 1, req->principal_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    add_tenant (b, (const char *) sqlite3_column_text (stmt, 0),
                (const char *) sqlite3_column_text (stmt, 1),
                (const char *) sqlite3_column_text (stmt, 2),
                (const char *) sqlite3_column_text (stmt, 3));
  cb_sb_stmt_done (stmt);
  json_builder_end_array (b);
  json_builder_end_object (b);
  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static JsonNode *
subscription_json (CbSandbox  *self,
                   const char *key,
                   const char *api_version)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *id = g_strconcat ("/subscriptions/", key, NULL);
  g_autofree char *tenant = cb_sb_arm_subscription_tenant (self, key);
  g_autofree char *name = cb_sb_arm_subscription_name (self, key);

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", id);
  cb_sb_json_add_string (b, "subscriptionId", key);
  cb_sb_json_add_string (b, "tenantId", tenant);
  cb_sb_json_add_string (b, "displayName", name);
  cb_sb_json_add_string (b, "state", "Enabled");
  json_builder_set_member_name (b, "subscriptionPolicies");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "locationPlacementId", "Public_2014-09-01");
  cb_sb_json_add_string (b, "quotaId", "PayAsYouGo_2014-09-01");
  cb_sb_json_add_string (b, "spendingLimit", "Off");
  json_builder_end_object (b);
  cb_sb_json_add_string (b, "authorizationSource", "RoleBased");
  json_builder_set_member_name (b, "managedByTenants");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "tags");
  json_builder_begin_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
handle_subscriptions (CbSbRequest *req)
{
  if (!begin (req))
    return;

  cb_sb_arm_reply_list (req,
                        /* ?1 before :k1: a named parameter takes the next free number. */
                        "SELECT s.id, s.id FROM (" CB_SB_ARM_SUBSCRIPTIONS_SQL ") s "
                        "WHERE " SEES_SUBSCRIPTION " AND " IN_TENANT " AND s.id > :k1 "
                        "ORDER BY s.id LIMIT :limit",
                        req->principal_id, req->tenant_id, subscription_json);
}

/* The subscription the path names when the caller may see it; replies 404 otherwise. */
static gboolean
require_subscription (CbSbRequest *req,
                      const char  *sub)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (req->sandbox,
                                            "SELECT 1 FROM (" CB_SB_ARM_SUBSCRIPTIONS_SQL ") s "
                                            "WHERE s.id = ?2 COLLATE NOCASE AND "
                                            SEES_SUBSCRIPTION);
  gboolean seen;

  cb_sb_bind_text (stmt, 1, req->principal_id);
  cb_sb_bind_text (stmt, 2, sub);
  seen = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);
  if (!seen)
    cb_sb_reply_arm_error (req, SOUP_STATUS_NOT_FOUND, "SubscriptionNotFound", NULL,
                           "The subscription '%s' could not be found.", sub);
  return seen;
}

static void
handle_subscription (CbSbRequest *req)
{
  const char *sub = cb_sb_param (req, "sub");

  if (!begin (req) || !require_subscription (req, sub))
    return;

  cb_sb_reply_json (req, SOUP_STATUS_OK, subscription_json (req->sandbox, sub, NULL));
}

/* key: "{subscription}/{group}" */
static JsonNode *
group_json (CbSandbox  *self,
            const char *key,
            const char *api_version)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *slash = strchr (key, '/');
  g_autofree char *sub = g_strndup (key, slash - key);
  const char *name = slash + 1;
  g_autofree char *id = g_strdup_printf ("/subscriptions/%s/resourceGroups/%s", sub, name);
  g_autofree char *location = cb_sb_arm_resource_group_location (self, sub, name);

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", id);
  cb_sb_json_add_string (b, "name", name);
  cb_sb_json_add_string (b, "type", "Microsoft.Resources/resourceGroups");
  cb_sb_json_add_string (b, "location", location);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "provisioningState", "Succeeded");
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
handle_groups (CbSbRequest *req)
{
  const char *sub = cb_sb_param (req, "sub");

  if (!begin (req) || !require_subscription (req, sub))
    return;

  cb_sb_arm_reply_list (req,
                        "SELECT g.subscription || '/' || g.name, g.name FROM ("
                        CB_SB_ARM_RESOURCE_GROUPS_SQL ") g "
                        "WHERE g.subscription = ?2 COLLATE NOCASE AND g.name > :k1 AND "
                        SEES_GROUP " ORDER BY g.name LIMIT :limit",
                        req->principal_id, sub, group_json);
}

void
cb_sb_routes_arm_resources_add (CbSandbox *self)
{
  static const CbSbArmRouteEntry routes[] = {
    { "GET", "/arm/tenants", handle_tenants },
    { "GET", "/arm/subscriptions", handle_subscriptions },
    { "GET", CB_SB_ARM_SUB, handle_subscription },
    { "GET", CB_SB_ARM_SUB "/resourcegroups", handle_groups },
  };

  cb_sb_arm_add_routes (self, routes, G_N_ELEMENTS (routes));
}
