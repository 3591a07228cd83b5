/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The IoT Hub resource provider (Microsoft.Devices/IotHubs) on ARM, so scripts and
 * @azure/arm-iothub find the sandbox's hubs and their service keys: GET of a hub, the lists
 * by subscription and by resource group ({"value": [...]}, all on one page), POST listkeys
 * (every shared access policy with its keys and rights) and POST IotHubKeys/{keyName}/listkeys
 * (one of them). The shapes are those of the 2023-06-30 examples iothub_get.json and
 * iothub_listkeys.json; what the sandbox has no notion of (routing, event hubs, IP filters) is
 * left out. Reading needs any role on the hub; the keys need a role that may write, as
 * Microsoft.Devices/IotHubs/listkeys/Action does. */

#include "config.h"

#include "cb-sb-adr-ids.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-iothub-rp.h"
#include "cb-util.h"

#define TYPE_IOTHUB      "Microsoft.Devices/IotHubs"
#define OP_IOTHUB_READ   "Microsoft.Devices/IotHubs/Read"
#define OP_IOTHUB_KEYS   "Microsoft.Devices/IotHubs/listkeys/Action"
#define API_2023         "2023-06-30"
#define DEFAULT_LOCATION "westeurope"

static JsonNode *
hub_json (CbSandbox         *self,
          const CbSbHubInfo *info)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *id = cb_sb_hub_resource_id (info->subscription, info->resource_group,
                                               info->name);
  g_autofree char *etag = cb_sb_hub_twin_etag (info->created);
  g_autofree char *created = cb_time_format_precise (info->created * G_USEC_PER_SEC);
  g_autofree char *location = NULL;
  g_autofree char *state = NULL;

  /* A hub's location is its namespace's [INF: the topology keeps none]. */
  if (info->namespace_id != NULL)
    state = cb_sb_adr_namespace_state (self, info->namespace_id, &location);

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", id);
  cb_sb_json_add_string (b, "name", info->name);
  cb_sb_json_add_string (b, "type", TYPE_IOTHUB);
  cb_sb_json_add_string (b, "location", location != NULL ? location : DEFAULT_LOCATION);
  json_builder_set_member_name (b, "tags");
  json_builder_begin_object (b);
  json_builder_end_object (b);
  cb_sb_json_add_string (b, "etag", etag);

  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "state", "Active");
  cb_sb_json_add_string (b, "provisioningState", "Succeeded");
  cb_sb_json_add_string (b, "hostName", info->host_name);
  json_builder_set_member_name (b, "enableFileUploadNotifications");
  json_builder_add_boolean_value (b, FALSE);
  cb_sb_json_add_string (b, "features", "None");
  cb_sb_json_add_string (b, "minTlsVersion", "1.2");
  json_builder_end_object (b);

  json_builder_set_member_name (b, "sku");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "name", "S1");
  cb_sb_json_add_string (b, "tier", "Standard");
  json_builder_set_member_name (b, "capacity");
  json_builder_add_int_value (b, 1);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "systemData");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "createdAt", created);
  json_builder_end_object (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static void
add_policy (JsonBuilder         *b,
            const CbSbHubPolicy *policy)
{
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "keyName", policy->key_name);
  cb_sb_json_add_string (b, "primaryKey", policy->primary_key);
  cb_sb_json_add_string (b, "secondaryKey", policy->secondary_key);
  cb_sb_json_add_string (b, "rights", policy->rights);
  json_builder_end_object (b);
}

static gboolean
begin (CbSbRequest    *req,
       const char     *scope,
       const char     *action,
       CbSbPermission  perm)
{
  return cb_sb_require_bearer (req, CB_SB_AUD_ARM) &&
         cb_sb_require_api_version (req, API_2023, CB_SB_HUB_ARM_API_VERSION, NULL) &&
         cb_sb_require_permission (req, scope, action, perm);
}

/* The hub the path names, authorized; NULL after replying. */
static CbSbHubInfo *
find_hub (CbSbRequest    *req,
          const char     *action,
          CbSbPermission  perm,
          GPtrArray     **hubs)
{
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  const char *hub = cb_sb_param (req, "hub");
  g_autofree char *id = cb_sb_hub_resource_id (sub, rg, hub);

  if (!begin (req, id, action, perm))
    return NULL;

  *hubs = cb_sb_hub_list_hubs (req->sandbox, sub, rg);
  for (guint i = 0; i < (*hubs)->len; i++)
    {
      CbSbHubInfo *info = g_ptr_array_index (*hubs, i);

      if (g_ascii_strcasecmp (info->name, hub) == 0)
        return info;
    }

  {
    g_autofree char *what = g_strdup_printf (TYPE_IOTHUB "/%s", hub);

    cb_sb_arm_reply_not_found (req, what, rg);
  }
  return NULL;
}

static void
handle_get (CbSbRequest *req)
{
  g_autoptr(GPtrArray) hubs = NULL;
  CbSbHubInfo *info = find_hub (req, OP_IOTHUB_READ, CB_SB_PERM_READ, &hubs);

  if (info != NULL)
    cb_sb_reply_json (req, SOUP_STATUS_OK, hub_json (req->sandbox, info));
}

static void
handle_list (CbSbRequest *req)
{
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  g_autofree char *scope = rg != NULL ? g_strdup_printf ("/subscriptions/%s/resourceGroups/%s",
                                                         sub, rg)
                                      : g_strdup_printf ("/subscriptions/%s", sub);
  g_autoptr(GPtrArray) hubs = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!begin (req, scope, OP_IOTHUB_READ, CB_SB_PERM_READ))
    return;

  hubs = cb_sb_hub_list_hubs (req->sandbox, sub, rg);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  for (guint i = 0; i < hubs->len; i++)
    json_builder_add_value (b, hub_json (req->sandbox, g_ptr_array_index (hubs, i)));
  json_builder_end_array (b);
  json_builder_end_object (b);
  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
handle_list_keys (CbSbRequest *req)
{
  g_autoptr(GPtrArray) hubs = NULL;
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  CbSbHubInfo *info = find_hub (req, OP_IOTHUB_KEYS, CB_SB_PERM_WRITE, &hubs);

  if (info == NULL)
    return;

  policies = cb_sb_hub_list_policies (req->sandbox, info->name);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  for (guint i = 0; i < policies->len; i++)
    add_policy (b, g_ptr_array_index (policies, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
handle_key_for_name (CbSbRequest *req)
{
  g_autoptr(GPtrArray) hubs = NULL;
  g_autoptr(GPtrArray) policies = NULL;
  const char *key_name = cb_sb_param (req, "keyName");
  CbSbHubInfo *info = find_hub (req, OP_IOTHUB_KEYS, CB_SB_PERM_WRITE, &hubs);

  if (info == NULL)
    return;

  policies = cb_sb_hub_list_policies (req->sandbox, info->name);
  for (guint i = 0; i < policies->len; i++)
    {
      CbSbHubPolicy *policy = g_ptr_array_index (policies, i);

      if (g_str_equal (policy->key_name, key_name))
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();

          add_policy (b, policy);
          cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
          return;
        }
    }

  cb_sb_reply_arm_error (req, SOUP_STATUS_NOT_FOUND, "KeyNameNotFound", NULL,
                         "The IoT hub %s has no shared access policy named '%s'.",
                         info->name, key_name);
}

void
cb_sb_routes_iothub_rp_add (CbSandbox *self)
{
  const char *hub = "/arm/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Devices/"
                    "IotHubs/{hub}";
  g_autofree char *keys = g_strconcat (hub, "/listkeys", NULL);
  g_autofree char *key = g_strconcat (hub, "/IotHubKeys/{keyName}/listkeys", NULL);

  cb_sb_add_route (self, "GET", "/arm/subscriptions/{sub}/providers/Microsoft.Devices/IotHubs",
                   CB_SB_STYLE_ARM, handle_list);
  cb_sb_add_route (self, "GET", "/arm/subscriptions/{sub}/resourceGroups/{rg}/providers/"
                   "Microsoft.Devices/IotHubs", CB_SB_STYLE_ARM, handle_list);
  cb_sb_add_route (self, "GET", hub, CB_SB_STYLE_ARM, handle_get);
  cb_sb_add_route (self, "POST", keys, CB_SB_STYLE_ARM, handle_list_keys);
  cb_sb_add_route (self, "POST", key, CB_SB_STYLE_ARM, handle_key_for_name);
}
