/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* Surfaces: Microsoft.Devices/provisioningServices on ARM, read only, so a client that signed
 * in finds the sandbox's DPS instances and their ID scopes: GET of one, and the lists by
 * subscription and by resource group ({"value": [...], "nextLink"}, paged as Azure pages them).
 * The shape is that of DPSListByResourceGroup.json and DPSGet.json
 * (specification/deviceprovisioningservices/resource-manager/Microsoft.Devices/stable/
 * 2022-02-05/examples in Azure/azure-rest-api-specs); the linked hubs' connection strings carry
 * keys and are left out, with what the sandbox has no notion of (IP filters, private
 * endpoints). Reading needs any role on the instance or a scope above it. */

#include "config.h"

#include "cb-sb-adr-store.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-dps-rp.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"

#define TYPE_DPS         "Microsoft.Devices/ProvisioningServices"
#define OP_DPS_READ      "Microsoft.Devices/provisioningServices/Read"
#define DEFAULT_LOCATION "westeurope"

static JsonNode *
dps_json (CbSandbox  *self,
          const char *key,
          const char *api_version)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT name, subscription, resource_group, namespace_id, host_name, id_scope, created "
      "FROM dps_instances WHERE name = ?1");
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *name = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *rg = NULL;
  g_autofree char *ns_id = NULL;
  g_autofree char *host = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *id = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *location = NULL;
  g_autofree char *state = NULL;
  gint64 created;

  cb_sb_bind_text (stmt, 1, key);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      return NULL;
    }
  name = cb_sb_column_dup (stmt, 0);
  sub = cb_sb_column_dup (stmt, 1);
  rg = cb_sb_column_dup (stmt, 2);
  ns_id = cb_sb_column_dup (stmt, 3);
  host = cb_sb_column_dup (stmt, 4);
  scope = cb_sb_column_dup (stmt, 5);
  created = sqlite3_column_int64 (stmt, 6);
  cb_sb_stmt_done (stmt);

  /* An instance's location is its namespace's [INF: the topology keeps none]. */
  if (ns_id != NULL)
    state = cb_sb_adr_namespace_state (self, ns_id, &location);
  id = g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/" TYPE_DPS "/%s",
                        sub, rg, name);
  etag = g_base64_encode ((const guchar *) &created, sizeof created);

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "etag", etag);
  cb_sb_json_add_string (b, "name", name);
  cb_sb_json_add_string (b, "location", location != NULL ? location : DEFAULT_LOCATION);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "state", "Active");
  cb_sb_json_add_string (b, "provisioningState", "Succeeded");
  cb_sb_json_add_string (b, "allocationPolicy", "Hashed");
  cb_sb_json_add_string (b, "serviceOperationsHostName", host);
  cb_sb_json_add_string (b, "deviceProvisioningHostName", "global.azure-devices-provisioning.net");
  cb_sb_json_add_string (b, "idScope", scope);
  json_builder_end_object (b);
  cb_sb_json_add_string (b, "type", TYPE_DPS);
  cb_sb_json_add_string (b, "id", id);
  json_builder_set_member_name (b, "tags");
  json_builder_begin_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "sku");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "name", "S1");
  cb_sb_json_add_string (b, "tier", "Standard");
  json_builder_set_member_name (b, "capacity");
  json_builder_add_int_value (b, 1);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
begin (CbSbRequest *req,
       const char  *scope)
{
  return cb_sb_require_bearer (req, CB_SB_AUD_ARM) &&
         cb_sb_require_api_version (req, "2022-02-05", "2022-12-12", "2023-03-01-preview",
                                    "2021-10-15", "2020-03-01", NULL) &&
         cb_sb_require_permission (req, scope, OP_DPS_READ, CB_SB_PERM_READ);
}

static void
handle_get (CbSbRequest *req)
{
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  const char *dps = cb_sb_param (req, "dps");
  g_autofree char *id = g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/"
                                         TYPE_DPS "/%s", sub, rg, dps);
  g_autoptr(CbSbStmt) stmt = NULL;
  g_autofree char *name = NULL;

  if (!begin (req, id))
    return;

  stmt = cb_sb_prepare (req->sandbox,
                        "SELECT name FROM dps_instances WHERE name = ?1 AND "
                        "subscription = ?2 COLLATE NOCASE AND resource_group = ?3 COLLATE NOCASE");
  cb_sb_bind_text (stmt, 1, dps);
  cb_sb_bind_text (stmt, 2, sub);
  cb_sb_bind_text (stmt, 3, rg);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    name = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  if (name == NULL)
    {
      g_autofree char *what = g_strdup_printf (TYPE_DPS "/%s", dps);

      cb_sb_arm_reply_not_found (req, what, rg);
      return;
    }
  cb_sb_reply_json (req, SOUP_STATUS_OK, dps_json (req->sandbox, name, NULL));
}

static void
handle_list (CbSbRequest *req)
{
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  g_autofree char *scope = rg != NULL ? g_strdup_printf ("/subscriptions/%s/resourceGroups/%s",
                                                         sub, rg)
                                      : g_strdup_printf ("/subscriptions/%s", sub);

  if (!begin (req, scope))
    return;

  cb_sb_arm_reply_list (req,
                        "SELECT name, name FROM dps_instances "
                        "WHERE subscription = ?1 COLLATE NOCASE AND "
                        "(?2 IS NULL OR resource_group = ?2 COLLATE NOCASE) AND name > :k1 "
                        "ORDER BY name LIMIT :limit",
                        sub, rg, dps_json);
}

void
cb_sb_routes_dps_rp_add (CbSandbox *self)
{
  static const CbSbArmRouteEntry routes[] = {
    { "GET", CB_SB_ARM_SUB "/providers/Microsoft.Devices/provisioningServices", handle_list },
    { "GET", CB_SB_ARM_SUB "/resourceGroups/{rg}/providers/Microsoft.Devices/"
             "provisioningServices", handle_list },
    { "GET", CB_SB_ARM_SUB "/resourceGroups/{rg}/providers/Microsoft.Devices/"
             "provisioningServices/{dps}", handle_get },
  };

  cb_sb_arm_add_routes (self, routes, G_N_ELEMENTS (routes));
}
