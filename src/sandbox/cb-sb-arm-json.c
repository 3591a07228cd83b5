/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ADR resources as ARM shows them: a namespace (with its hubs' endpoints), the credential,
 * a policy (with its issuing CA, and bringYourOwnRoot from 2026-03-01-preview on; a tracked
 * resource with location and tags in 2025-11-01-preview), a device, each with systemData,
 * read from the ADR tables. */

#include "config.h"

#include "cb-sb-adr-ops.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-ca.h"
#include "cb-sb-json.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"
#include "cb-util.h"

void
cb_sb_arm_add_time (JsonBuilder *b,
                    const char  *name,
                    gint64       usec)
{
  g_autofree char *text = cb_time_format_precise (usec);

  cb_sb_json_add_string (b, name, text);
}

/* A stored JSON object (tags, attributes), or {} */
static void
add_json_text (JsonBuilder *b,
               const char  *name,
               const char  *text)
{
  JsonNode *node = text != NULL ? json_from_string (text, NULL) : NULL;

  json_builder_set_member_name (b, name);
  if (node == NULL)
    {
      json_builder_begin_object (b);
      json_builder_end_object (b);
      return;
    }

  json_builder_add_value (b, node);
}

/* The six CB_SB_ADR_SYSDATA_COLUMNS starting at col. */
static void
add_system_data (JsonBuilder  *b,
                 sqlite3_stmt *stmt,
                 int           col)
{
  json_builder_set_member_name (b, "systemData");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "createdBy", (const char *) sqlite3_column_text (stmt, col));
  cb_sb_json_add_string (b, "createdByType", (const char *) sqlite3_column_text (stmt, col + 1));
  cb_sb_arm_add_time (b, "createdAt", sqlite3_column_int64 (stmt, col + 2));
  cb_sb_json_add_string (b, "lastModifiedBy", (const char *) sqlite3_column_text (stmt, col + 3));
  cb_sb_json_add_string (b, "lastModifiedByType",
                         (const char *) sqlite3_column_text (stmt, col + 4));
  cb_sb_arm_add_time (b, "lastModifiedAt", sqlite3_column_int64 (stmt, col + 5));
  json_builder_end_object (b);
}

typedef struct
{
  JsonBuilder *builder;
  gboolean     any;
} Endpoints;

static void
add_hub_endpoint_cb (const char *name,
                     const char *subscription,
                     const char *resource_group,
                     const char *host_name,
                     gpointer    user_data)
{
  Endpoints *e = user_data;
  JsonBuilder *b = e->builder;
  g_autofree char *address = g_strdup_printf ("https://%s", host_name);
  g_autofree char *hub_id = cb_sb_hub_resource_id (subscription, resource_group, name);

  if (!e->any)
    {
      json_builder_set_member_name (b, "messaging");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "endpoints");
      json_builder_begin_object (b);
      e->any = TRUE;
    }
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "address", address);
  cb_sb_json_add_string (b, "endpointType", "Microsoft.Devices/IoTHubs");
  cb_sb_json_add_string (b, "resourceId", hub_id);
  json_builder_end_object (b);
}

static void
add_hub_endpoints (CbSandbox   *self,
                   JsonBuilder *b,
                   const char  *ns_id)
{
  Endpoints e = { b, FALSE };

  cb_sb_adr_foreach_hub_endpoint (self, ns_id, add_hub_endpoint_cb, &e);
  if (e.any)
    {
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
}

JsonNode *
cb_sb_arm_namespace_json (CbSandbox  *self,
                          const char *ns_id,
                          const char *api_version)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *id = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT id, name, location, tags, uuid, principal_id, state, "
                        CB_SB_ADR_SYSDATA_COLUMNS " FROM adr_namespaces WHERE id = ?");
  cb_sb_bind_text (stmt, 1, ns_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      return NULL;
    }

  tenant = cb_sb_dup_meta (self, "tenant_id");
  id = cb_sb_column_dup (stmt, 0);

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", id);
  cb_sb_json_add_string (b, "name", (const char *) sqlite3_column_text (stmt, 1));
  cb_sb_json_add_string (b, "type", CB_SB_TYPE_NAMESPACE);
  cb_sb_json_add_string (b, "location", (const char *) sqlite3_column_text (stmt, 2));
  add_json_text (b, "tags", (const char *) sqlite3_column_text (stmt, 3));
  json_builder_set_member_name (b, "identity");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "principalId", (const char *) sqlite3_column_text (stmt, 5));
  cb_sb_json_add_string (b, "tenantId", tenant);
  cb_sb_json_add_string (b, "type", "SystemAssigned");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "uuid", (const char *) sqlite3_column_text (stmt, 4));
  add_hub_endpoints (self, b, id);
  cb_sb_json_add_string (b, "provisioningState", (const char *) sqlite3_column_text (stmt, 6));
  json_builder_end_object (b);
  add_system_data (b, stmt, 7);
  json_builder_end_object (b);
  cb_sb_stmt_done (stmt);

  return json_builder_get_root (b);
}

JsonNode *
cb_sb_arm_credential_json (CbSandbox  *self,
                           const char *ns_id,
                           const char *api_version)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *id = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT namespace_id, location, tags, state, " CB_SB_ADR_SYSDATA_COLUMNS
                        " FROM adr_credentials WHERE namespace_id = ?");
  cb_sb_bind_text (stmt, 1, ns_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      return NULL;
    }

  id = cb_sb_credential_id ((const char *) sqlite3_column_text (stmt, 0));

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", id);
  cb_sb_json_add_string (b, "name", "default");
  cb_sb_json_add_string (b, "type", CB_SB_TYPE_CREDENTIAL);
  cb_sb_json_add_string (b, "location", (const char *) sqlite3_column_text (stmt, 1));
  add_json_text (b, "tags", (const char *) sqlite3_column_text (stmt, 2));
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "provisioningState", (const char *) sqlite3_column_text (stmt, 3));
  json_builder_end_object (b);
  add_system_data (b, stmt, 4);
  json_builder_end_object (b);
  cb_sb_stmt_done (stmt);

  return json_builder_get_root (b);
}

static const char *
byor_status (const CbSbIssuerInfo *info)
{
  if (g_strcmp0 (info->status, "pending") == 0)
    return "PendingActivation";

  return "Active";
}

JsonNode *
cb_sb_arm_policy_json (CbSandbox  *self,
                       const char *policy_id,
                       const char *api_version)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_auto(CbSbIssuerInfo) info = { 0 };
  gboolean have_issuer = FALSE;
  gboolean byor;
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT id, name, key_type, validity_days, byor, issuer_id, location, "
                        "  tags, state, " CB_SB_ADR_SYSDATA_COLUMNS
                        " FROM adr_policies WHERE id = ?");
  cb_sb_bind_text (stmt, 1, policy_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      return NULL;
    }

  byor = sqlite3_column_int (stmt, 4) != 0;
  if (sqlite3_column_type (stmt, 5) != SQLITE_NULL)
    have_issuer = cb_sb_ca_get_issuer_info (self, (const char *) sqlite3_column_text (stmt, 5),
                                            &info);

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", (const char *) sqlite3_column_text (stmt, 0));
  cb_sb_json_add_string (b, "name", (const char *) sqlite3_column_text (stmt, 1));
  cb_sb_json_add_string (b, "type", CB_SB_TYPE_POLICY);
  if (g_strcmp0 (api_version, CB_SB_ARM_API_VERSION_OLD) == 0)
    {
      /* In 2025-11-01-preview a policy is a tracked resource. */
      cb_sb_json_add_string_opt (b, "location", (const char *) sqlite3_column_text (stmt, 6));
      add_json_text (b, "tags", (const char *) sqlite3_column_text (stmt, 7));
    }
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "provisioningState", (const char *) sqlite3_column_text (stmt, 8));
  json_builder_set_member_name (b, "certificate");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "certificateAuthorityConfiguration");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "keyType", (const char *) sqlite3_column_text (stmt, 2));
  if (have_issuer)
    {
      cb_sb_json_add_string (b, "subject", info.subject);
      if (info.not_before != 0)
        {
          cb_sb_arm_add_time (b, "validityNotBefore", info.not_before * G_USEC_PER_SEC);
          cb_sb_arm_add_time (b, "validityNotAfter", info.not_after * G_USEC_PER_SEC);
        }
    }
  if (!g_strcmp0 (api_version, CB_SB_ARM_API_VERSION_OLD) == 0)
    {
      json_builder_set_member_name (b, "bringYourOwnRoot");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "enabled");
      json_builder_add_boolean_value (b, byor);
      if (byor && have_issuer)
        {
          cb_sb_json_add_string_opt (b, "certificateSigningRequest", info.csr_pem);
          cb_sb_json_add_string_opt (b, "issuingCertificateThumbprint", info.thumbprint);
          cb_sb_json_add_string (b, "status", byor_status (&info));
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "leafCertificateConfiguration");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "validityPeriodInDays");
  json_builder_add_int_value (b, sqlite3_column_int64 (stmt, 3));
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  add_system_data (b, stmt, 9);
  json_builder_end_object (b);
  cb_sb_stmt_done (stmt);

  return json_builder_get_root (b);
}

JsonNode *
cb_sb_arm_device_json (CbSandbox  *self,
                       const char *id,
                       const char *api_version)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) props = NULL;
  g_autofree char *etag = NULL;
  JsonObject *props_obj = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT id, name, location, tags, uuid, enabled, props, policy_id, "
                        "  version, etag, last_transition, state, " CB_SB_ADR_SYSDATA_COLUMNS
                        " FROM adr_devices WHERE id = ?");
  cb_sb_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      return NULL;
    }

  if (sqlite3_column_type (stmt, 6) != SQLITE_NULL)
    props = json_from_string ((const char *) sqlite3_column_text (stmt, 6), NULL);
  if (props != NULL && JSON_NODE_HOLDS_OBJECT (props))
    props_obj = json_node_get_object (props);
  etag = g_strdup_printf ("\"%s\"", sqlite3_column_text (stmt, 9));

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", (const char *) sqlite3_column_text (stmt, 0));
  cb_sb_json_add_string (b, "name", (const char *) sqlite3_column_text (stmt, 1));
  cb_sb_json_add_string (b, "type", CB_SB_TYPE_DEVICE);
  cb_sb_json_add_string (b, "location", (const char *) sqlite3_column_text (stmt, 2));
  cb_sb_json_add_string (b, "etag", etag);
  add_json_text (b, "tags", (const char *) sqlite3_column_text (stmt, 3));
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "uuid", (const char *) sqlite3_column_text (stmt, 4));
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, sqlite3_column_int (stmt, 5) != 0);
  for (guint i = 0; i < cb_sb_n_device_string_props; i++)
    if (props_obj != NULL && json_object_has_member (props_obj, cb_sb_device_string_props[i]))
      cb_sb_json_add_string (b, cb_sb_device_string_props[i],
                  json_object_get_string_member (props_obj, cb_sb_device_string_props[i]));
  if (props_obj != NULL && json_object_has_member (props_obj, "attributes"))
    {
      json_builder_set_member_name (b, "attributes");
      json_builder_add_value (b, json_node_copy (json_object_get_member (props_obj,
                                                                           "attributes")));
    }
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, sqlite3_column_int64 (stmt, 8));
  if (sqlite3_column_type (stmt, 10) != SQLITE_NULL)
    cb_sb_arm_add_time (b, "lastTransitionTime", sqlite3_column_int64 (stmt, 10));
  cb_sb_json_add_string (b, "provisioningState", (const char *) sqlite3_column_text (stmt, 11));
  if (sqlite3_column_type (stmt, 7) != SQLITE_NULL)
    {
      json_builder_set_member_name (b, "policy");
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "resourceId", (const char *) sqlite3_column_text (stmt, 7));
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  add_system_data (b, stmt, 12);
  json_builder_end_object (b);
  cb_sb_stmt_done (stmt);

  return json_builder_get_root (b);
}

JsonNode *
cb_sb_arm_resource_json (CbSandbox  *self,
                         const char *kind,
                         const char *target,
                         const char *api_version)
{
  if (g_str_has_prefix (kind, "ns-"))
    return cb_sb_arm_namespace_json (self, target, api_version);
  if (g_str_has_prefix (kind, "credential-"))
    return cb_sb_arm_credential_json (self, target, api_version);
  if (g_str_has_prefix (kind, "policy-"))
    return cb_sb_arm_policy_json (self, target, api_version);

  return cb_sb_arm_device_json (self, target, api_version);
}
