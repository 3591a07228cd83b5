/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM stand-in for Microsoft.DeviceRegistry (namespaces, the credential, policies, devices,
 * operation statuses), the IoT Hub resource provider's CA certificates, and the ADR state
 * behind them (tables adr_*).
 *
 * Long-running operations: a write that ARM answers with 201/202 stores an operation row and
 * leaves the resource in provisioningState Accepted (or Deleting). The operation reports
 * InProgress for sandbox->lro_delay_ms, then completes: on a timer in the serving context,
 * and in any case before anything looks at ADR state (every ARM request, the CA engine, the
 * check and CRL endpoints), so completion is never observably late. The action takes effect
 * at completion, so a fault-injected Failed operation leaves everything as it was; operations
 * are persisted, so a restart in the middle loses nothing.
 *
 * Azure-AsyncOperation: /arm/subscriptions/{sub}/providers/Microsoft.DeviceRegistry/locations/{loc}/operationStatuses/{id}
 * Location:            /arm/subscriptions/{sub}/providers/Microsoft.DeviceRegistry/locations/{loc}/operationResults/{id}
 * (the second is our design, after ARM's usual operationResults convention).
 */

#include "config.h"

#include <string.h>

#include "cb-sandbox-adr-private.h"
#include "cb-util.h"

#define TYPE_NAMESPACE  "Microsoft.DeviceRegistry/namespaces"
#define TYPE_CREDENTIAL "Microsoft.DeviceRegistry/namespaces/credentials"
#define TYPE_POLICY     "Microsoft.DeviceRegistry/namespaces/credentials/policies"
#define TYPE_DEVICE     "Microsoft.DeviceRegistry/namespaces/devices"
#define TYPE_HUB_CERT   "Microsoft.Devices/IotHubs/Certificates"

#define OP_NS_WRITE        "Microsoft.DeviceRegistry/namespaces/write"
#define OP_NS_DELETE       "Microsoft.DeviceRegistry/namespaces/delete"
#define OP_NS_READ         "Microsoft.DeviceRegistry/namespaces/read"
#define OP_CRED_WRITE      "Microsoft.DeviceRegistry/namespaces/credentials/write"
#define OP_CRED_DELETE     "Microsoft.DeviceRegistry/namespaces/credentials/delete"
#define OP_CRED_READ       "Microsoft.DeviceRegistry/namespaces/credentials/read"
#define OP_CRED_SYNC       "Microsoft.DeviceRegistry/namespaces/credentials/synchronize/action"
#define OP_POLICY_WRITE    "Microsoft.DeviceRegistry/namespaces/credentials/policies/write"
#define OP_POLICY_DELETE   "Microsoft.DeviceRegistry/namespaces/credentials/policies/delete"
#define OP_POLICY_READ     "Microsoft.DeviceRegistry/namespaces/credentials/policies/read"
#define OP_POLICY_REVOKE   "Microsoft.DeviceRegistry/namespaces/credentials/policies/revokeIssuer/action"
#define OP_POLICY_ACTIVATE "Microsoft.DeviceRegistry/namespaces/credentials/policies/activateBringYourOwnRoot/action"
#define OP_DEVICE_WRITE    "Microsoft.DeviceRegistry/namespaces/devices/write"
#define OP_DEVICE_DELETE   "Microsoft.DeviceRegistry/namespaces/devices/delete"
#define OP_DEVICE_READ     "Microsoft.DeviceRegistry/namespaces/devices/read"
#define OP_DEVICE_REVOKE   "Microsoft.DeviceRegistry/namespaces/devices/revoke/action"
#define OP_STATUS_READ     "Microsoft.DeviceRegistry/locations/operationStatuses/read"
#define OP_HUB_CERT_READ   "Microsoft.Devices/IotHubs/certificates/read"
#define OP_HUB_CERT_DELETE "Microsoft.Devices/IotHubs/certificates/delete"

#define SANDBOX_ACTOR      "certbench-sandbox"
#define DEFAULT_VALIDITY_DAYS 30
#define MIN_VALIDITY_DAYS  7
#define MAX_VALIDITY_DAYS  90
#define NOT_FOUND_HELP     "For more details please go to https://aka.ms/ARMResourceNotFoundFix"

#define SYSDATA_COLUMNS "created_by, created_by_type, created_at, modified_by, " \
                        "modified_by_type, modified_at"

static const char *schema =
  "CREATE TABLE IF NOT EXISTS adr_namespaces ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  subscription TEXT NOT NULL COLLATE NOCASE,"
  "  resource_group TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  location TEXT NOT NULL,"
  "  tags TEXT,"
  "  uuid TEXT NOT NULL,"
  "  principal_id TEXT NOT NULL,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE TABLE IF NOT EXISTS adr_credentials ("
  "  namespace_id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  location TEXT NOT NULL,"
  "  tags TEXT,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE TABLE IF NOT EXISTS adr_policies ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  namespace_id TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  key_type TEXT NOT NULL,"
  "  validity_days INTEGER NOT NULL,"
  "  byor INTEGER NOT NULL,"
  "  issuer_id TEXT,"
  "  location TEXT,"
  "  tags TEXT,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS adr_policies_ns ON adr_policies (namespace_id);"
  "CREATE TABLE IF NOT EXISTS adr_devices ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE,"
  "  namespace_id TEXT NOT NULL COLLATE NOCASE,"
  "  name TEXT NOT NULL COLLATE NOCASE,"
  "  location TEXT NOT NULL,"
  "  tags TEXT,"
  "  uuid TEXT NOT NULL,"
  "  enabled INTEGER NOT NULL DEFAULT 1,"
  "  props TEXT,"
  "  policy_id TEXT COLLATE NOCASE,"
  "  identifier TEXT NOT NULL,"
  "  version INTEGER NOT NULL DEFAULT 1,"
  "  etag TEXT NOT NULL,"
  "  last_transition INTEGER,"
  "  state TEXT NOT NULL,"
  "  created_by TEXT, created_by_type TEXT, created_at INTEGER,"
  "  modified_by TEXT, modified_by_type TEXT, modified_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS adr_devices_ns ON adr_devices (namespace_id, name);"
  "CREATE TABLE IF NOT EXISTS adr_operations ("
  "  id TEXT PRIMARY KEY,"
  "  subscription TEXT NOT NULL COLLATE NOCASE,"
  "  location TEXT NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  target TEXT NOT NULL,"
  "  resource_id TEXT NOT NULL,"
  "  args TEXT,"
  "  prev_state TEXT,"
  "  final_kind INTEGER NOT NULL,"
  "  status TEXT NOT NULL,"
  "  fail INTEGER NOT NULL DEFAULT 0,"
  "  start_usec INTEGER NOT NULL,"
  "  ready_usec INTEGER NOT NULL,"
  "  end_usec INTEGER,"
  "  error_code TEXT,"
  "  error_message TEXT,"
  "  error_http INTEGER,"
  "  operation_name TEXT,"
  "  caller TEXT,"
  "  caller_id TEXT,"
  "  correlation_id TEXT);"
  "CREATE INDEX IF NOT EXISTS adr_operations_due ON adr_operations (status, ready_usec);";

typedef enum
{
  FINAL_EMPTY,      /* 204 */
  FINAL_RESOURCE,   /* 200 with the resource */
  FINAL_REVOKE,     /* 200 {"result": ...} */
} FinalKind;

typedef struct
{
  gboolean completing;
} ArmState;

/* ---- Ids, names, small helpers ---------------------------------------------------------- */

char *
cb_sb_namespace_id (const char *subscription,
                    const char *resource_group,
                    const char *ns)
{
  return g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/"
                          "Microsoft.DeviceRegistry/namespaces/%s",
                          subscription, resource_group, ns);
}

char *
cb_sb_policy_id (const char *namespace_id,
                 const char *policy)
{
  return g_strdup_printf ("%s/credentials/default/policies/%s", namespace_id, policy);
}

static char *
credential_id (const char *namespace_id)
{
  return g_strdup_printf ("%s/credentials/default", namespace_id);
}

static char *
device_id (const char *namespace_id,
           const char *device)
{
  return g_strdup_printf ("%s/devices/%s", namespace_id, device);
}

static char *
hub_resource_id (const char *subscription,
                 const char *resource_group,
                 const char *hub)
{
  return g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Devices/"
                          "IotHubs/%s", subscription, resource_group, hub);
}

/* The namespace id is the policy/device id up to "/credentials/" or "/devices/". */
static char *
namespace_of (const char *resource_id)
{
  const char *p = strstr (resource_id, "/credentials/");

  if (p == NULL)
    p = strstr (resource_id, "/devices/");
  if (p == NULL)
    return g_strdup (resource_id);

  return g_strndup (resource_id, p - resource_id);
}

char *
cb_sb_arm_normalize_location (const char *location)
{
  GString *out = g_string_new (NULL);

  for (const char *p = location; p != NULL && *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, g_ascii_tolower (*p));

  return g_string_free (out, FALSE);
}

/* namespaces: 3..64, ^[a-z0-9][a-z0-9-]*[a-z0-9]$ */
static gboolean
valid_namespace_name (const char *name)
{
  gsize len = strlen (name);

  if (len < 3 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = name[i];
      gboolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

      if (!alnum && !(c == '-' && i > 0 && i < len - 1))
        return FALSE;
    }

  return TRUE;
}

/* policies, devices: 3..63, ^[0-9a-zA-Z][a-zA-Z0-9-]*$ */
static gboolean
valid_child_name (const char *name)
{
  gsize len = strlen (name);

  if (len < 3 || len > 63)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && !(name[i] == '-' && i > 0))
      return FALSE;

  return TRUE;
}

static char *
new_etag (void)
{
  g_autofree char *hex = cb_random_hex (16);

  /* The shape ADR uses: "c80325f9-0000-0800-0000-66fcb0290000" */
  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
                          hex + 20);
}

typedef struct
{
  const char *name;
  const char *type;
} Actor;

static Actor
actor_for (CbSbRequest *req)
{
  Actor actor = { SANDBOX_ACTOR, "Application" };

  if (req != NULL && req->principal != NULL)
    {
      actor.name = req->principal;
      actor.type = "User";
    }

  return actor;
}

static ArmState *
arm_state (CbSandbox *self)
{
  ArmState *state = cb_sandbox_get_module_data (self, "arm");

  if (state == NULL)
    {
      state = g_new0 (ArmState, 1);
      cb_sandbox_set_module_data (self, "arm", state, g_free);
    }

  return state;
}

static const char *
api_version_of (CbSbRequest *req)
{
  const char *v = cb_sb_query (req, "api-version");

  return v != NULL ? v : CB_SB_ARM_API_VERSION;
}

static gboolean
is_old_api (const char *api_version)
{
  return g_strcmp0 (api_version, CB_SB_ARM_API_VERSION_OLD) == 0;
}

/* ---- JSON output ------------------------------------------------------------------------ */

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_string_opt (JsonBuilder *b,
                const char  *name,
                const char  *value)
{
  if (value != NULL)
    add_string (b, name, value);
}

static void
add_time_usec (JsonBuilder *b,
               const char  *name,
               gint64       usec)
{
  g_autofree char *text = cb_time_format_precise (usec);

  add_string (b, name, text);
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

/* The six SYSDATA_COLUMNS starting at col. */
static void
add_system_data (JsonBuilder  *b,
                 sqlite3_stmt *stmt,
                 int           col)
{
  json_builder_set_member_name (b, "systemData");
  json_builder_begin_object (b);
  add_string (b, "createdBy", (const char *) sqlite3_column_text (stmt, col));
  add_string (b, "createdByType", (const char *) sqlite3_column_text (stmt, col + 1));
  add_time_usec (b, "createdAt", sqlite3_column_int64 (stmt, col + 2));
  add_string (b, "lastModifiedBy", (const char *) sqlite3_column_text (stmt, col + 3));
  add_string (b, "lastModifiedByType", (const char *) sqlite3_column_text (stmt, col + 4));
  add_time_usec (b, "lastModifiedAt", sqlite3_column_int64 (stmt, col + 5));
  json_builder_end_object (b);
}

static void
add_hub_endpoints (CbSandbox   *self,
                   JsonBuilder *b,
                   const char  *ns_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT name, subscription, resource_group, host_name "
                                      "FROM hubs WHERE namespace_id = ? COLLATE NOCASE "
                                      "ORDER BY name");
  gboolean any = FALSE;

  cb_sb_bind_text (stmt, 1, ns_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      g_autofree char *address = g_strdup_printf ("https://%s", sqlite3_column_text (stmt, 3));
      g_autofree char *hub_id = hub_resource_id ((const char *) sqlite3_column_text (stmt, 1),
                                                 (const char *) sqlite3_column_text (stmt, 2),
                                                 name);

      if (!any)
        {
          json_builder_set_member_name (b, "messaging");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "endpoints");
          json_builder_begin_object (b);
          any = TRUE;
        }
      json_builder_set_member_name (b, name);
      json_builder_begin_object (b);
      add_string (b, "address", address);
      add_string (b, "endpointType", "Microsoft.Devices/IoTHubs");
      add_string (b, "resourceId", hub_id);
      json_builder_end_object (b);
    }
  cb_sb_stmt_done (stmt);

  if (any)
    {
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
}

static JsonNode *
namespace_json (CbSandbox  *self,
                const char *ns_id,
                const char *api_version)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *id = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT id, name, location, tags, uuid, principal_id, state, "
                        SYSDATA_COLUMNS " FROM adr_namespaces WHERE id = ?");
  cb_sb_bind_text (stmt, 1, ns_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      return NULL;
    }

  tenant = cb_sandbox_dup_meta (self, "tenant_id");
  id = cb_sb_column_dup (stmt, 0);

  b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "id", id);
  add_string (b, "name", (const char *) sqlite3_column_text (stmt, 1));
  add_string (b, "type", TYPE_NAMESPACE);
  add_string (b, "location", (const char *) sqlite3_column_text (stmt, 2));
  add_json_text (b, "tags", (const char *) sqlite3_column_text (stmt, 3));
  json_builder_set_member_name (b, "identity");
  json_builder_begin_object (b);
  add_string (b, "principalId", (const char *) sqlite3_column_text (stmt, 5));
  add_string (b, "tenantId", tenant);
  add_string (b, "type", "SystemAssigned");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  add_string (b, "uuid", (const char *) sqlite3_column_text (stmt, 4));
  add_hub_endpoints (self, b, id);
  add_string (b, "provisioningState", (const char *) sqlite3_column_text (stmt, 6));
  json_builder_end_object (b);
  add_system_data (b, stmt, 7);
  json_builder_end_object (b);
  cb_sb_stmt_done (stmt);

  return json_builder_get_root (b);
}

static JsonNode *
credential_json (CbSandbox  *self,
                 const char *ns_id,
                 const char *api_version)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *id = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT namespace_id, location, tags, state, " SYSDATA_COLUMNS
                        " FROM adr_credentials WHERE namespace_id = ?");
  cb_sb_bind_text (stmt, 1, ns_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      return NULL;
    }

  id = credential_id ((const char *) sqlite3_column_text (stmt, 0));

  b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "id", id);
  add_string (b, "name", "default");
  add_string (b, "type", TYPE_CREDENTIAL);
  add_string (b, "location", (const char *) sqlite3_column_text (stmt, 1));
  add_json_text (b, "tags", (const char *) sqlite3_column_text (stmt, 2));
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  add_string (b, "provisioningState", (const char *) sqlite3_column_text (stmt, 3));
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

static JsonNode *
policy_json (CbSandbox  *self,
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
                        "  tags, state, " SYSDATA_COLUMNS " FROM adr_policies WHERE id = ?");
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
  add_string (b, "id", (const char *) sqlite3_column_text (stmt, 0));
  add_string (b, "name", (const char *) sqlite3_column_text (stmt, 1));
  add_string (b, "type", TYPE_POLICY);
  if (is_old_api (api_version))
    {
      /* In 2025-11-01-preview a policy is a tracked resource. */
      add_string_opt (b, "location", (const char *) sqlite3_column_text (stmt, 6));
      add_json_text (b, "tags", (const char *) sqlite3_column_text (stmt, 7));
    }
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  add_string (b, "provisioningState", (const char *) sqlite3_column_text (stmt, 8));
  json_builder_set_member_name (b, "certificate");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "certificateAuthorityConfiguration");
  json_builder_begin_object (b);
  add_string (b, "keyType", (const char *) sqlite3_column_text (stmt, 2));
  if (have_issuer)
    {
      add_string (b, "subject", info.subject);
      if (info.not_before != 0)
        {
          add_time_usec (b, "validityNotBefore", info.not_before * G_USEC_PER_SEC);
          add_time_usec (b, "validityNotAfter", info.not_after * G_USEC_PER_SEC);
        }
    }
  if (!is_old_api (api_version))
    {
      json_builder_set_member_name (b, "bringYourOwnRoot");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "enabled");
      json_builder_add_boolean_value (b, byor);
      if (byor && have_issuer)
        {
          add_string_opt (b, "certificateSigningRequest", info.csr_pem);
          add_string_opt (b, "issuingCertificateThumbprint", info.thumbprint);
          add_string (b, "status", byor_status (&info));
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


static const char * const device_string_props[] = {
  "externalDeviceId", "manufacturer", "model", "operatingSystem", "operatingSystemVersion",
};

static JsonNode *
device_json (CbSandbox  *self,
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
                        "  version, etag, last_transition, state, " SYSDATA_COLUMNS
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
  add_string (b, "id", (const char *) sqlite3_column_text (stmt, 0));
  add_string (b, "name", (const char *) sqlite3_column_text (stmt, 1));
  add_string (b, "type", TYPE_DEVICE);
  add_string (b, "location", (const char *) sqlite3_column_text (stmt, 2));
  add_string (b, "etag", etag);
  add_json_text (b, "tags", (const char *) sqlite3_column_text (stmt, 3));
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  add_string (b, "uuid", (const char *) sqlite3_column_text (stmt, 4));
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, sqlite3_column_int (stmt, 5) != 0);
  for (guint i = 0; i < G_N_ELEMENTS (device_string_props); i++)
    if (props_obj != NULL && json_object_has_member (props_obj, device_string_props[i]))
      add_string (b, device_string_props[i],
                  json_object_get_string_member (props_obj, device_string_props[i]));
  if (props_obj != NULL && json_object_has_member (props_obj, "attributes"))
    {
      json_builder_set_member_name (b, "attributes");
      json_builder_add_value (b, json_node_copy (json_object_get_member (props_obj,
                                                                           "attributes")));
    }
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, sqlite3_column_int64 (stmt, 8));
  if (sqlite3_column_type (stmt, 10) != SQLITE_NULL)
    add_time_usec (b, "lastTransitionTime", sqlite3_column_int64 (stmt, 10));
  add_string (b, "provisioningState", (const char *) sqlite3_column_text (stmt, 11));
  if (sqlite3_column_type (stmt, 7) != SQLITE_NULL)
    {
      json_builder_set_member_name (b, "policy");
      json_builder_begin_object (b);
      add_string (b, "resourceId", (const char *) sqlite3_column_text (stmt, 7));
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  add_system_data (b, stmt, 12);
  json_builder_end_object (b);
  cb_sb_stmt_done (stmt);

  return json_builder_get_root (b);
}

/* ---- Errors ----------------------------------------------------------------------------- */

static void
reply_not_found (CbSbRequest *req,
                 const char  *resource,      /* "Microsoft.DeviceRegistry/namespaces/ns1" */
                 const char  *resource_group)
{
  cb_sb_reply_arm_error (req, SOUP_STATUS_NOT_FOUND, "ResourceNotFound", NULL,
                         "The Resource '%s' under resource group '%s' was not found. %s",
                         resource, resource_group, NOT_FOUND_HELP);
}

static void
reply_parent_not_found (CbSbRequest *req,
                        const char  *parent)          /* "ns1" or "ns1/default" */
{
  cb_sb_reply_arm_error (req, SOUP_STATUS_NOT_FOUND, "ParentResourceNotFound", NULL,
                         "Can not perform requested operation on nested resource. Parent "
                         "resource '%s' not found.", parent);
}

static void
reply_invalid_content (CbSbRequest *req,
                       const char  *target,
                       const char  *message)
{
  cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidRequestContent", target, "%s",
                         message);
}

/* ---- Request prelude and the activity log ----------------------------------------------- */

static gboolean
arm_begin (CbSbRequest    *req,
           const char     *scope,
           const char     *action,
           CbSbPermission  perm,
           gboolean        newest_only)
{
  if (!cb_sb_require_bearer (req, CB_SB_AUD_ARM))
    return FALSE;

  if (newest_only ? !cb_sb_require_api_version (req, CB_SB_ARM_API_VERSION, NULL)
                  : !cb_sb_require_api_version (req, CB_SB_ARM_API_VERSION,
                                                CB_SB_ARM_API_VERSION_OLD, NULL))
    return FALSE;

  if (!cb_sb_require_permission (req, scope, action, perm))
    return FALSE;

  cb_sb_arm_run_due_operations (req->sandbox);
  return TRUE;
}

/* Every management write lands in the activity log with its outcome, once answered. */
static void
log_write (CbSbRequest *req,
           const char  *operation,
           const char  *resource_id)
{
  guint status;
  const char *result;

  /* No principal: the request failed authentication, and there is no caller to name. */
  if (req->principal == NULL || !req->replied)
    return;

  status = soup_server_message_get_status (req->msg);
  if (status == SOUP_STATUS_CREATED || status == SOUP_STATUS_ACCEPTED)
    result = "Accepted";
  else if (status < 300)
    result = "Succeeded";
  else
    result = "Failed";

  cb_sandbox_log_activity (req->sandbox, req, operation, resource_id, result, status);
}

/* ---- Body validation -------------------------------------------------------------------- */

static JsonObject *
body_object (CbSbRequest *req,
             JsonNode    *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      reply_invalid_content (req, NULL,
                             "The request content was invalid and could not be deserialized: "
                             "a JSON object is expected.");
      return NULL;
    }

  return json_node_get_object (node);
}

static JsonNode *
member (JsonObject *obj,
        const char *name)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, name))
    return NULL;
  node = json_object_get_member (obj, name);

  return JSON_NODE_HOLDS_NULL (node) ? NULL : node;
}

static gboolean
get_object (CbSbRequest  *req,
            JsonObject   *obj,
            const char   *name,
            const char   *path,
            JsonObject  **out)
{
  JsonNode *node = member (obj, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *msg = g_strdup_printf ("The property '%s' must be an object.", path);
      reply_invalid_content (req, path, msg);
      return FALSE;
    }

  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
get_string (CbSbRequest  *req,
            JsonObject   *obj,
            const char   *name,
            const char   *path,
            const char  **out)
{
  JsonNode *node = member (obj, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_autofree char *msg = g_strdup_printf ("The property '%s' must be a string.", path);
      reply_invalid_content (req, path, msg);
      return FALSE;
    }

  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
get_boolean (CbSbRequest *req,
             JsonObject  *obj,
             const char  *name,
             const char  *path,
             int         *out)     /* -1 when absent */
{
  JsonNode *node = member (obj, name);

  *out = -1;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_autofree char *msg = g_strdup_printf ("The property '%s' must be a boolean.", path);
      reply_invalid_content (req, path, msg);
      return FALSE;
    }

  *out = json_node_get_boolean (node) ? 1 : 0;
  return TRUE;
}

static gboolean
get_int (CbSbRequest *req,
         JsonObject  *obj,
         const char  *name,
         const char  *path,
         gboolean    *present,
         gint64      *out)
{
  JsonNode *node = member (obj, name);

  *present = FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_autofree char *msg = g_strdup_printf ("The property '%s' must be an integer.", path);
      reply_invalid_content (req, path, msg);
      return FALSE;
    }

  *present = TRUE;
  *out = json_node_get_int (node);
  return TRUE;
}

/* tags: an object of strings. *out is NULL when absent. */
static gboolean
get_tags (CbSbRequest  *req,
          JsonObject   *obj,
          char        **out)
{
  JsonNode *node = member (obj, "tags");
  g_autoptr(GList) names = NULL;
  JsonObject *tags;

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      reply_invalid_content (req, "tags", "The property 'tags' must be an object of strings.");
      return FALSE;
    }

  tags = json_node_get_object (node);
  names = json_object_get_members (tags);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *v = json_object_get_member (tags, l->data);

      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        {
          g_autofree char *msg = g_strdup_printf ("The tag '%s' must have a string value.",
                                                  (const char *) l->data);
          reply_invalid_content (req, "tags", msg);
          return FALSE;
        }
    }

  *out = json_to_string (node, FALSE);
  return TRUE;
}

static gboolean
require_location (CbSbRequest  *req,
                  JsonObject   *obj,
                  const char  **out)
{
  if (!get_string (req, obj, "location", "location", out))
    return FALSE;
  if (*out == NULL || **out == '\0')
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "LocationRequired", "location",
                             "The location property is required for this definition.");
      return FALSE;
    }

  return TRUE;
}

static gboolean
same_location (const char *a,
               const char *b)
{
  g_autofree char *na = cb_sb_arm_normalize_location (a);
  g_autofree char *nb = cb_sb_arm_normalize_location (b);

  return g_strcmp0 (na, nb) == 0;
}

static gboolean
check_location_unchanged (CbSbRequest *req,
                          const char  *name,
                          const char  *resource_group,
                          const char  *current,
                          const char  *given)
{
  if (given == NULL || same_location (current, given))
    return TRUE;

  cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "InvalidResourceLocation", "location",
                         "The resource '%s' already exists in location '%s' in resource group "
                         "'%s'. A resource with the same name cannot be created in location "
                         "'%s'. Please select a new resource name.",
                         name, current, resource_group, given);
  return FALSE;
}

/* ---- Long-running operations ------------------------------------------------------------ */

static guint
retry_after_seconds (CbSandbox *self)
{
  return (self->lro_delay_ms + 999) / 1000;
}

static gboolean
operations_due_cb (gpointer data)
{
  CbSandbox *self = data;

  cb_sandbox_lock (self);
  /* The sandbox may have stopped since. */
  if (self->db != NULL)
    cb_sb_arm_run_due_operations (self);
  cb_sandbox_unlock (self);

  return G_SOURCE_REMOVE;
}

static char *
start_operation (CbSbRequest *req,
                 const char  *subscription,
                 const char  *location,
                 const char  *kind,
                 const char  *target,
                 const char  *resource_id,
                 const char  *args,
                 const char  *prev_state,
                 FinalKind    final_kind,
                 const char  *operation_name)
{
  CbSandbox *self = req->sandbox;
  char *id = g_uuid_string_random ();
  g_autofree char *loc = cb_sb_arm_normalize_location (location);
  gboolean fail = cb_sb_fault_wants (req, "lro", "Failed");
  gint64 now = cb_sandbox_now_usec (self);
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_operations (id, subscription, location, kind, target, "
                        "  resource_id, args, prev_state, final_kind, status, fail, start_usec, "
                        "  ready_usec, operation_name, caller, caller_id, correlation_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'InProgress', ?, ?, ?, ?, ?, ?, ?)");
  cb_sb_bind_text (stmt, 1, id);
  cb_sb_bind_text (stmt, 2, subscription);
  cb_sb_bind_text (stmt, 3, loc);
  cb_sb_bind_text (stmt, 4, kind);
  cb_sb_bind_text (stmt, 5, target);
  cb_sb_bind_text (stmt, 6, resource_id);
  cb_sb_bind_text (stmt, 7, args);
  cb_sb_bind_text (stmt, 8, prev_state);
  sqlite3_bind_int (stmt, 9, final_kind);
  sqlite3_bind_int (stmt, 10, fail ? 1 : 0);
  sqlite3_bind_int64 (stmt, 11, now);
  sqlite3_bind_int64 (stmt, 12, now + (gint64) self->lro_delay_ms * 1000);
  cb_sb_bind_text (stmt, 13, operation_name);
  cb_sb_bind_text (stmt, 14, req->principal);
  cb_sb_bind_text (stmt, 15, req->principal_id);
  cb_sb_bind_text (stmt, 16, req->correlation_id);
  if (!cb_sb_step_done (self, stmt, NULL))
    g_warning ("Could not record operation %s", id);

  if (fail)
    g_debug ("Operation %s (%s) will fail (fault)", id, kind);

  /* Handlers run in the serving context, so this is where the timer belongs. */
  {
    GSource *source = g_timeout_source_new (self->lro_delay_ms + 1);

    g_source_set_callback (source, operations_due_cb, g_object_ref (self), g_object_unref);
    g_source_attach (source, g_main_context_get_thread_default ());
    g_source_unref (source);
  }

  return id;
}

static void
set_operation_headers (CbSbRequest *req,
                       const char  *subscription,
                       const char  *location,
                       const char  *op_id,
                       gboolean     async_operation,
                       gboolean     location_header)
{
  g_autofree char *loc = cb_sb_arm_normalize_location (location);
  g_autofree char *sub = g_uri_escape_string (subscription, NULL, TRUE);
  g_autofree char *retry = g_strdup_printf ("%u", retry_after_seconds (req->sandbox));
  const char *api = api_version_of (req);

  if (async_operation)
    {
      g_autofree char *path = g_strdup_printf ("/arm/subscriptions/%s/providers/"
                                               "Microsoft.DeviceRegistry/locations/%s/"
                                               "operationStatuses/%s?api-version=%s",
                                               sub, loc, op_id, api);
      g_autofree char *url = cb_sb_url (req, path);

      cb_sb_set_header (req, "Azure-AsyncOperation", url);
    }

  if (location_header)
    {
      g_autofree char *path = g_strdup_printf ("/arm/subscriptions/%s/providers/"
                                               "Microsoft.DeviceRegistry/locations/%s/"
                                               "operationResults/%s?api-version=%s",
                                               sub, loc, op_id, api);
      g_autofree char *url = cb_sb_url (req, path);

      cb_sb_set_header (req, "Location", url);
    }

  cb_sb_set_header (req, "Retry-After", retry);
}

static void
set_state (CbSandbox  *self,
           const char *table,
           const char *key_column,
           const char *key,
           const char *state)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET state = ? WHERE %s = ?",
                                          table, key_column);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);

  cb_sb_bind_text (stmt, 1, state);
  cb_sb_bind_text (stmt, 2, key);
  cb_sb_step_done (self, stmt, NULL);
}

static void
set_modified (CbSandbox  *self,
              const char *table,
              const char *key_column,
              const char *key,
              const char *who)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET modified_by = ?, modified_by_type = ?, "
                                          "modified_at = ? WHERE %s = ?", table, key_column);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);

  cb_sb_bind_text (stmt, 1, who != NULL ? who : SANDBOX_ACTOR);
  cb_sb_bind_text (stmt, 2, who != NULL ? "User" : "Application");
  sqlite3_bind_int64 (stmt, 3, cb_sandbox_now_usec (self));
  cb_sb_bind_text (stmt, 4, key);
  cb_sb_step_done (self, stmt, NULL);
}

static void
table_for_kind (const char  *kind,
                const char **table,
                const char **key_column)
{
  if (g_str_has_prefix (kind, "ns-"))
    *table = "adr_namespaces", *key_column = "id";
  else if (g_str_has_prefix (kind, "credential-"))
    *table = "adr_credentials", *key_column = "namespace_id";
  else if (g_str_has_prefix (kind, "policy-"))
    *table = "adr_policies", *key_column = "id";
  else
    *table = "adr_devices", *key_column = "id";
}

static gboolean
has_credential (CbSandbox  *self,
                const char *ns_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT 1 FROM adr_credentials WHERE namespace_id = ?");
  gboolean found;

  cb_sb_bind_text (stmt, 1, ns_id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);

  return found;
}

static GPtrArray *
policy_names_of (CbSandbox  *self,
                 const char *ns_id)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT name FROM adr_policies WHERE namespace_id = ? "
                                      "ORDER BY name");

  cb_sb_bind_text (stmt, 1, ns_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (names, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  return names;
}

static char *
join_names (GPtrArray *names)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (out, "%s'%s'", i > 0 ? ", " : "",
                            (const char *) g_ptr_array_index (names, i));

  return g_string_free (out, FALSE);
}

static GPtrArray *
hubs_of_namespace (CbSandbox  *self,
                   const char *ns_id)
{
  GPtrArray *hubs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT name FROM hubs WHERE namespace_id = ? "
                                      "COLLATE NOCASE ORDER BY name");

  cb_sb_bind_text (stmt, 1, ns_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (hubs, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  return hubs;
}

static JsonObject *
args_object (JsonNode *args)
{
  return args != NULL && JSON_NODE_HOLDS_OBJECT (args) ? json_node_get_object (args) : NULL;
}

static void
apply_tags (CbSandbox  *self,
            const char *table,
            const char *key_column,
            const char *key,
            JsonObject *args)
{
  JsonNode *tags = member (args, "tags");
  g_autofree char *text = NULL;
  g_autofree char *sql = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (tags == NULL)
    return;

  text = json_to_string (tags, FALSE);
  sql = g_strdup_printf ("UPDATE %s SET tags = ? WHERE %s = ?", table, key_column);
  stmt = cb_sb_prepare (self, sql);
  cb_sb_bind_text (stmt, 1, text);
  cb_sb_bind_text (stmt, 2, key);
  cb_sb_step_done (self, stmt, NULL);
}

static gboolean
rotate_device (CbSandbox   *self,
               const char  *id,
               gboolean     disable,
               GError     **error)
{
  g_autofree char *identifier = g_uuid_string_random ();
  g_autofree char *etag = new_etag ();
  g_autofree char *ns_id = NULL;
  g_autofree char *name = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean was_enabled = FALSE;

  stmt = cb_sb_prepare (self, "SELECT namespace_id, name, enabled FROM adr_devices WHERE id = ?");
  cb_sb_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      ns_id = cb_sb_column_dup (stmt, 0);
      name = cb_sb_column_dup (stmt, 1);
      was_enabled = sqlite3_column_int (stmt, 2) != 0;
    }
  cb_sb_stmt_done (stmt);

  if (ns_id == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The device no longer exists.");
      return FALSE;
    }

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self,
                        "UPDATE adr_devices SET identifier = ?, etag = ?, version = version + 1, "
                        "  enabled = CASE WHEN ? THEN 0 ELSE enabled END, "
                        "  last_transition = CASE WHEN ? THEN ? ELSE last_transition END "
                        "WHERE id = ?");
  cb_sb_bind_text (stmt, 1, identifier);
  cb_sb_bind_text (stmt, 2, etag);
  sqlite3_bind_int (stmt, 3, disable ? 1 : 0);
  sqlite3_bind_int (stmt, 4, disable && was_enabled ? 1 : 0);
  sqlite3_bind_int64 (stmt, 5, cb_sandbox_now_usec (self));
  cb_sb_bind_text (stmt, 6, id);
  if (!cb_sb_step_done (self, stmt, error))
    return FALSE;

  /* "All certificates that have ever been issued to that device are revoked." */
  cb_sb_ca_revoke_device_leaves (self, ns_id, name);
  cb_sandbox_mqtt_drop_device (self, NULL, name, "the device's credentials were revoked");

  if (disable)
    {
      g_autoptr(GPtrArray) hubs = hubs_of_namespace (self, ns_id);

      for (guint i = 0; i < hubs->len; i++)
        {
          const char *hub = g_ptr_array_index (hubs, i);
          gboolean enabled = FALSE;

          if (cb_sandbox_hub_lookup_device (self, hub, name, &enabled) && enabled &&
              !cb_sandbox_hub_set_device_enabled (self, hub, name, FALSE, error))
            return FALSE;
        }
    }

  return TRUE;
}

static void
sync_hub_enabled (CbSandbox  *self,
                  const char *ns_id,
                  const char *name,
                  gboolean    enabled)
{
  g_autoptr(GPtrArray) hubs = hubs_of_namespace (self, ns_id);

  for (guint i = 0; i < hubs->len; i++)
    {
      const char *hub = g_ptr_array_index (hubs, i);
      gboolean current = FALSE;
      g_autoptr(GError) error = NULL;

      if (cb_sandbox_hub_lookup_device (self, hub, name, &current) && current != enabled &&
          !cb_sandbox_hub_set_device_enabled (self, hub, name, enabled, &error))
        g_warning ("Could not update device %s in hub %s: %s", name, hub, error->message);
    }
}

/* Merges a validated device patch (the body's "properties") into the row. */
static gboolean
apply_device_properties (CbSandbox   *self,
                         const char  *id,
                         JsonObject  *properties,
                         gboolean     replace,
                         GError     **error)
{
  g_autoptr(JsonNode) current = NULL;
  g_autoptr(JsonObject) merged = json_object_new ();
  g_autofree char *ns_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *props_text = NULL;
  g_autofree char *etag = new_etag ();
  const char *policy = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean policy_given = FALSE;
  gboolean was_enabled = TRUE;
  int enabled = -1;

  stmt = cb_sb_prepare (self, "SELECT namespace_id, name, enabled, props FROM adr_devices "
                              "WHERE id = ?");
  cb_sb_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      ns_id = cb_sb_column_dup (stmt, 0);
      name = cb_sb_column_dup (stmt, 1);
      was_enabled = sqlite3_column_int (stmt, 2) != 0;
      if (!replace && sqlite3_column_type (stmt, 3) != SQLITE_NULL)
        current = json_from_string ((const char *) sqlite3_column_text (stmt, 3), NULL);
    }
  cb_sb_stmt_done (stmt);

  if (ns_id == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The device no longer exists.");
      return FALSE;
    }

  if (current != NULL && JSON_NODE_HOLDS_OBJECT (current))
    {
      JsonObject *obj = json_node_get_object (current);
      g_autoptr(GList) names = json_object_get_members (obj);

      for (GList *l = names; l != NULL; l = l->next)
        json_object_set_member (merged, l->data,
                                json_node_copy (json_object_get_member (obj, l->data)));
    }

  if (properties != NULL)
    {
      JsonNode *p;

      for (guint i = 0; i < G_N_ELEMENTS (device_string_props); i++)
        if ((p = member (properties, device_string_props[i])) != NULL)
          json_object_set_member (merged, device_string_props[i], json_node_copy (p));
      if ((p = member (properties, "attributes")) != NULL)
        json_object_set_member (merged, "attributes", json_node_copy (p));
      if ((p = member (properties, "enabled")) != NULL)
        enabled = json_node_get_boolean (p) ? 1 : 0;
      if ((p = member (properties, "policy")) != NULL)
        {
          policy_given = TRUE;
          policy = json_object_get_string_member_with_default (json_node_get_object (p),
                                                                "resourceId", NULL);
        }
    }
  if (replace && enabled < 0)
    enabled = 1;

  {
    g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

    json_node_set_object (node, merged);
    props_text = json_to_string (node, FALSE);
  }

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self,
                        "UPDATE adr_devices SET props = ?, etag = ?, version = version + 1, "
                        "  enabled = CASE WHEN ? >= 0 THEN ? ELSE enabled END, "
                        "  policy_id = CASE WHEN ? THEN ? ELSE policy_id END, "
                        "  last_transition = CASE WHEN ? THEN ? ELSE last_transition END "
                        "WHERE id = ?");
  cb_sb_bind_text (stmt, 1, props_text);
  cb_sb_bind_text (stmt, 2, etag);
  sqlite3_bind_int (stmt, 3, enabled);
  sqlite3_bind_int (stmt, 4, enabled);
  sqlite3_bind_int (stmt, 5, policy_given ? 1 : 0);
  cb_sb_bind_text (stmt, 6, policy);
  sqlite3_bind_int (stmt, 7, enabled >= 0 && (enabled != 0) != was_enabled ? 1 : 0);
  sqlite3_bind_int64 (stmt, 8, cb_sandbox_now_usec (self));
  cb_sb_bind_text (stmt, 9, id);
  if (!cb_sb_step_done (self, stmt, error))
    return FALSE;

  /* ADR is the source of truth: a disabled device cannot authenticate anywhere. */
  if (enabled >= 0 && (enabled != 0) != was_enabled)
    sync_hub_enabled (self, ns_id, name, enabled != 0);

  return TRUE;
}

static gboolean
apply_operation (CbSandbox   *self,
                 const char  *kind,
                 const char  *target,
                 JsonObject  *args,
                 const char  *caller,
                 GError     **error)
{
  const char *table;
  const char *key_column;
  g_autoptr(CbSbStmt) stmt = NULL;

  table_for_kind (kind, &table, &key_column);

  if (g_str_equal (kind, "ns-create") || g_str_equal (kind, "device-create"))
    {
      /* The row exists already; creation is the state change. */
    }
  else if (g_str_equal (kind, "ns-update") || g_str_equal (kind, "credential-update"))
    {
      apply_tags (self, table, key_column, target, args);
    }
  else if (g_str_equal (kind, "ns-delete"))
    {
      if (has_credential (self, target))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "The namespace still has a credential; delete it first.");
          return FALSE;
        }
      stmt = cb_sb_prepare (self, "DELETE FROM adr_devices WHERE namespace_id = ?");
      cb_sb_bind_text (stmt, 1, target);
      if (!cb_sb_step_done (self, stmt, error))
        return FALSE;
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "DELETE FROM adr_namespaces WHERE id = ?");
      cb_sb_bind_text (stmt, 1, target);
      return cb_sb_step_done (self, stmt, error);
    }
  else if (g_str_equal (kind, "credential-create"))
    {
      if (!cb_sb_ca_create_root (self, target, error))
        return FALSE;
    }
  else if (g_str_equal (kind, "credential-delete"))
    {
      g_autoptr(GPtrArray) names = policy_names_of (self, target);

      if (names->len > 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "The credential still has policies; revoke or delete them first.");
          return FALSE;
        }
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "DELETE FROM adr_credentials WHERE namespace_id = ?");
      cb_sb_bind_text (stmt, 1, target);
      if (!cb_sb_step_done (self, stmt, error))
        return FALSE;
      cb_sb_ca_delete_root (self, target);
      return TRUE;
    }
  else if (g_str_equal (kind, "credential-sync"))
    {
      return cb_sandbox_adr_synchronize (self, target, error);
    }
  else if (g_str_equal (kind, "policy-create"))
    {
      g_autofree char *ns_id = namespace_of (target);
      g_autofree char *issuer = NULL;
      gboolean byor = json_object_get_boolean_member_with_default (args, "byor", FALSE);

      issuer = cb_sb_ca_create_issuer (self, ns_id, target, byor, error);
      if (issuer == NULL)
        return FALSE;
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "UPDATE adr_policies SET issuer_id = ? WHERE id = ?");
      cb_sb_bind_text (stmt, 1, issuer);
      cb_sb_bind_text (stmt, 2, target);
      if (!cb_sb_step_done (self, stmt, error))
        return FALSE;
    }
  else if (g_str_equal (kind, "policy-update"))
    {
      gint64 days = json_object_get_int_member_with_default (args, "validityPeriodInDays", 0);

      if (days > 0)
        {
          cb_sb_stmt_release (stmt);
          stmt = cb_sb_prepare (self, "UPDATE adr_policies SET validity_days = ? WHERE id = ?");
          sqlite3_bind_int64 (stmt, 1, days);
          cb_sb_bind_text (stmt, 2, target);
          if (!cb_sb_step_done (self, stmt, error))
            return FALSE;
        }
      apply_tags (self, table, key_column, target, args);
    }
  else if (g_str_equal (kind, "policy-delete"))
    {
      g_autofree char *issuer = NULL;

      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "SELECT issuer_id FROM adr_policies WHERE id = ?");
      cb_sb_bind_text (stmt, 1, target);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        issuer = cb_sb_column_dup (stmt, 0);
      cb_sb_stmt_done (stmt);

      /* Issuance stops; the ICA and its hub certificates stay, so existing leaves keep
       * working until the hub certificate is deleted. */
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "DELETE FROM adr_policies WHERE id = ?");
      cb_sb_bind_text (stmt, 1, target);
      if (!cb_sb_step_done (self, stmt, error))
        return FALSE;
      if (issuer != NULL)
        cb_sb_ca_drop_pending_issuer (self, issuer);
      return TRUE;
    }
  else if (g_str_equal (kind, "policy-revoke-issuer"))
    {
      g_autofree char *ns_id = namespace_of (target);
      g_autofree char *old_issuer = NULL;
      g_autofree char *new_issuer = NULL;

      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "SELECT issuer_id FROM adr_policies WHERE id = ?");
      cb_sb_bind_text (stmt, 1, target);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        old_issuer = cb_sb_column_dup (stmt, 0);
      cb_sb_stmt_done (stmt);

      if (old_issuer != NULL && !cb_sb_ca_revoke_issuer (self, old_issuer, error))
        return FALSE;
      new_issuer = cb_sb_ca_create_issuer (self, ns_id, target, FALSE, error);
      if (new_issuer == NULL)
        return FALSE;
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "UPDATE adr_policies SET issuer_id = ? WHERE id = ?");
      cb_sb_bind_text (stmt, 1, new_issuer);
      cb_sb_bind_text (stmt, 2, target);
      if (!cb_sb_step_done (self, stmt, error))
        return FALSE;
      /* "ADR generates a replacement ICA and syncs it to linked hubs." */
      if (!cb_sandbox_adr_synchronize (self, ns_id, error))
        return FALSE;
      cb_sandbox_mqtt_recheck_all (self, "an issuing CA was revoked");
    }
  else if (g_str_equal (kind, "policy-activate"))
    {
      g_autofree char *issuer = NULL;

      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "SELECT issuer_id FROM adr_policies WHERE id = ?");
      cb_sb_bind_text (stmt, 1, target);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        issuer = cb_sb_column_dup (stmt, 0);
      cb_sb_stmt_done (stmt);

      if (!cb_sb_ca_activate_issuer (self, issuer,
                                     json_object_get_string_member_with_default (args,
                                                                                 "certificateChain",
                                                                                 NULL),
                                     error))
        return FALSE;
    }
  else if (g_str_equal (kind, "device-update"))
    {
      JsonObject *properties = NULL;
      JsonNode *p = member (args, "properties");

      if (p != NULL && JSON_NODE_HOLDS_OBJECT (p))
        properties = json_node_get_object (p);
      if (!apply_device_properties (self, target, properties, FALSE, error))
        return FALSE;
      apply_tags (self, table, key_column, target, args);
    }
  else if (g_str_equal (kind, "device-delete"))
    {
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "DELETE FROM adr_devices WHERE id = ?");
      cb_sb_bind_text (stmt, 1, target);
      return cb_sb_step_done (self, stmt, error);
    }
  else if (g_str_equal (kind, "device-revoke"))
    {
      if (!rotate_device (self, target,
                          json_object_get_boolean_member_with_default (args, "disable", FALSE),
                          error))
        return FALSE;
    }
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Unknown operation kind %s",
                   kind);
      return FALSE;
    }

  set_state (self, table, key_column, target, "Succeeded");
  set_modified (self, table, key_column, target, caller);
  return TRUE;
}

static void
error_to_arm (const GError  *error,
              const char   **code,
              guint         *http)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    *code = "Conflict", *http = SOUP_STATUS_CONFLICT;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    *code = "ResourceNotFound", *http = SOUP_STATUS_NOT_FOUND;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    *code = "BadRequest", *http = SOUP_STATUS_BAD_REQUEST;
  else if (error->domain == CB_SANDBOX_ERROR && error->code == CB_SANDBOX_ERROR_FAILED)
    *code = "OperationFailed", *http = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  else
    *code = "InternalServerError", *http = SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static void
complete_operation (CbSandbox  *self,
                    const char *op_id)
{
  g_autofree char *kind = NULL;
  g_autofree char *target = NULL;
  g_autofree char *resource_id = NULL;
  g_autofree char *args_text = NULL;
  g_autofree char *prev_state = NULL;
  g_autofree char *operation_name = NULL;
  g_autofree char *caller = NULL;
  g_autofree char *caller_id = NULL;
  g_autofree char *correlation_id = NULL;
  g_autoptr(JsonNode) args = NULL;
  g_autoptr(GError) error = NULL;
  CbSbRequest fake = { 0 };
  g_autoptr(CbSbStmt) stmt = NULL;
  const char *code = NULL;
  guint http = SOUP_STATUS_OK;
  gboolean fail = FALSE;
  gboolean ok;

  stmt = cb_sb_prepare (self,
                        "SELECT kind, target, resource_id, args, prev_state, fail, "
                        "  operation_name, caller, caller_id, correlation_id "
                        "FROM adr_operations WHERE id = ? AND status = 'InProgress'");
  cb_sb_bind_text (stmt, 1, op_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      kind = cb_sb_column_dup (stmt, 0);
      target = cb_sb_column_dup (stmt, 1);
      resource_id = cb_sb_column_dup (stmt, 2);
      args_text = cb_sb_column_dup (stmt, 3);
      prev_state = cb_sb_column_dup (stmt, 4);
      fail = sqlite3_column_int (stmt, 5) != 0;
      operation_name = cb_sb_column_dup (stmt, 6);
      caller = cb_sb_column_dup (stmt, 7);
      caller_id = cb_sb_column_dup (stmt, 8);
      correlation_id = cb_sb_column_dup (stmt, 9);
    }
  cb_sb_stmt_done (stmt);

  if (kind == NULL)
    return;

  if (args_text != NULL)
    args = json_from_string (args_text, NULL);

  cb_sb_begin (self);
  if (fail)
    {
      ok = FALSE;
      g_set_error (&error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_FAILED,
                   "The operation failed (injected fault); nothing was changed.");
    }
  else
    {
      ok = apply_operation (self, kind, target, args_object (args), caller, &error);
    }

  if (ok)
    {
      cb_sb_commit (self);
    }
  else
    {
      const char *table;
      const char *key_column;

      cb_sb_rollback (self);
      cb_sb_begin (self);
      table_for_kind (kind, &table, &key_column);
      /* A failed create leaves a Failed resource, as ARM does; anything else goes back to
       * the state it had. */
      set_state (self, table, key_column, target,
                 g_str_has_suffix (kind, "-create") ? "Failed"
                 : prev_state != NULL ? prev_state : "Succeeded");
      error_to_arm (error, &code, &http);
      g_debug ("Operation %s (%s) failed: %s", op_id, kind, error->message);
    }

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self,
                        "UPDATE adr_operations SET status = ?, end_usec = ?, error_code = ?, "
                        "  error_message = ?, error_http = ? WHERE id = ?");
  cb_sb_bind_text (stmt, 1, ok ? "Succeeded" : "Failed");
  sqlite3_bind_int64 (stmt, 2, cb_sandbox_now_usec (self));
  cb_sb_bind_text (stmt, 3, code);
  cb_sb_bind_text (stmt, 4, ok ? NULL : error->message);
  sqlite3_bind_int (stmt, 5, http);
  cb_sb_bind_text (stmt, 6, op_id);
  cb_sb_step_done (self, stmt, NULL);
  if (!ok)
    cb_sb_commit (self);

  /* The operation's own end event, attributed to whoever started it. */
  if (caller != NULL)
    {
      fake.sandbox = self;
      fake.method = g_str_has_suffix (kind, "-delete") ? "DELETE"
                  : g_str_has_suffix (kind, "-create") ? "PUT"
                  : g_str_has_suffix (kind, "-update") ? "PATCH"
                  : "POST";
      fake.principal = caller;
      fake.principal_id = caller_id;
      fake.correlation_id = correlation_id;
      cb_sandbox_log_activity (self, &fake, operation_name, resource_id,
                               ok ? "Succeeded" : "Failed", http);
    }
}

void
cb_sb_arm_run_due_operations (CbSandbox *self)
{
  ArmState *state = arm_state (self);
  g_autoptr(GPtrArray) due = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (state->completing)
    return;

  due = g_ptr_array_new_with_free_func (g_free);
  stmt = cb_sb_prepare (self,
                        "SELECT id FROM adr_operations WHERE status = 'InProgress' "
                        "  AND ready_usec <= ? ORDER BY ready_usec, rowid");
  sqlite3_bind_int64 (stmt, 1, cb_sandbox_now_usec (self));
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (due, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  state->completing = TRUE;
  for (guint i = 0; i < due->len; i++)
    complete_operation (self, g_ptr_array_index (due, i));
  state->completing = FALSE;
}

/* ---- Lists ------------------------------------------------------------------------------ */

typedef JsonNode *(*ToJsonFunc) (CbSandbox  *self,
                                 const char *key,
                                 const char *api_version);

static gboolean
parse_skip_token (CbSbRequest *req,
                  guint       *offset)
{
  const char *token = cb_sb_query (req, "$skipToken");
  guint64 value = 0;

  if (token == NULL)
    token = cb_sb_query (req, "$skiptoken");

  *offset = 0;
  if (token == NULL)
    return TRUE;

  if (!g_ascii_string_to_unsigned (token, 10, 0, G_MAXINT, &value, NULL))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidSkipToken", "$skipToken",
                             "The $skipToken '%s' is not valid. Use the nextLink the previous "
                             "page returned.", token);
      return FALSE;
    }

  *offset = (guint) value;
  return TRUE;
}

static guint
page_size (CbSandbox *self)
{
  return self->page_size > 0 ? self->page_size : 100;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The request's own URL with $skipToken = offset: every other query parameter is kept, so
 * clients can GET nextLink verbatim. */
static char *
next_link (CbSbRequest *req,
           guint        offset)
{
  g_autoptr(GString) path = g_string_new (NULL);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autofree char *escaped = g_uri_escape_string (req->path, "/", FALSE);
  GHashTableIter iter;
  gpointer key;

  g_string_append (path, escaped);
  g_hash_table_iter_init (&iter, req->query);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_ascii_strcasecmp (key, "$skipToken") != 0)
      g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);

  for (guint i = 0; i < keys->len; i++)
    {
      const char *k = g_ptr_array_index (keys, i);
      g_autofree char *ek = g_uri_escape_string (k, "$", FALSE);
      g_autofree char *ev = g_uri_escape_string (g_hash_table_lookup (req->query, k), NULL,
                                                 FALSE);

      g_string_append_printf (path, "%c%s=%s", i == 0 ? '?' : '&', ek, ev);
    }
  g_string_append_printf (path, "%c$skipToken=%u", keys->len == 0 ? '?' : '&', offset);

  return cb_sb_url (req, path->str);
}

/* sql selects the keys, with ?1/?2 bound to a/b and :limit/:offset for paging. */
static void
reply_list (CbSbRequest *req,
            const char  *sql,
            const char  *a,
            const char  *b,
            ToJsonFunc   to_json)
{
  CbSandbox *self = req->sandbox;
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(CbSbStmt) stmt = NULL;
  guint offset = 0;
  guint limit = page_size (self);
  gboolean more;

  if (!parse_skip_token (req, &offset))
    return;

  stmt = cb_sb_prepare (self, sql);
  if (a != NULL)
    cb_sb_bind_text (stmt, 1, a);
  if (b != NULL)
    cb_sb_bind_text (stmt, 2, b);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":limit"), limit + 1);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":offset"), offset);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (keys, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  more = keys->len > limit;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "value");
  json_builder_begin_array (builder);
  for (guint i = 0; i < MIN (keys->len, limit); i++)
    {
      JsonNode *node = to_json (self, g_ptr_array_index (keys, i), api_version_of (req));

      if (node != NULL)
        json_builder_add_value (builder, node);
    }
  json_builder_end_array (builder);
  if (more)
    {
      g_autofree char *link = next_link (req, offset + limit);

      add_string (builder, "nextLink", link);
    }
  json_builder_end_object (builder);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (builder));
}

/* ---- State lookups ---------------------------------------------------------------------- */

/* The state of a row, or NULL when it does not exist. */
static char *
namespace_state (CbSandbox   *self,
                 const char  *ns_id,
                 char       **location)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT state, location FROM adr_namespaces WHERE id = ?");
  char *state = NULL;

  cb_sb_bind_text (stmt, 1, ns_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      state = cb_sb_column_dup (stmt, 0);
      if (location != NULL)
        *location = cb_sb_column_dup (stmt, 1);
    }
  cb_sb_stmt_done (stmt);

  return state;
}

static char *
credential_state (CbSandbox   *self,
                  const char  *ns_id,
                  char       **location)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT state, location FROM adr_credentials "
                                      "WHERE namespace_id = ?");
  char *state = NULL;

  cb_sb_bind_text (stmt, 1, ns_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      state = cb_sb_column_dup (stmt, 0);
      if (location != NULL)
        *location = cb_sb_column_dup (stmt, 1);
    }
  cb_sb_stmt_done (stmt);

  return state;
}

typedef struct
{
  char    *state;
  char    *key_type;
  char    *issuer_id;
  char    *location;
  gboolean byor;
} PolicyRow;

static void
policy_row_clear (PolicyRow *row)
{
  g_clear_pointer (&row->state, g_free);
  g_clear_pointer (&row->key_type, g_free);
  g_clear_pointer (&row->issuer_id, g_free);
  g_clear_pointer (&row->location, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PolicyRow, policy_row_clear)

static gboolean
policy_row (CbSandbox  *self,
            const char *policy_id,
            PolicyRow  *row)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT state, key_type, issuer_id, location, byor "
                                      "FROM adr_policies WHERE id = ?");

  memset (row, 0, sizeof *row);
  cb_sb_bind_text (stmt, 1, policy_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      row->state = cb_sb_column_dup (stmt, 0);
      row->key_type = cb_sb_column_dup (stmt, 1);
      row->issuer_id = cb_sb_column_dup (stmt, 2);
      row->location = cb_sb_column_dup (stmt, 3);
      row->byor = sqlite3_column_int (stmt, 4) != 0;
    }
  cb_sb_stmt_done (stmt);

  return row->state != NULL;
}

static char *
device_state (CbSandbox   *self,
              const char  *id,
              char       **location,
              char       **etag)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT state, location, etag FROM adr_devices WHERE id = ?");
  char *state = NULL;

  cb_sb_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      state = cb_sb_column_dup (stmt, 0);
      if (location != NULL)
        *location = cb_sb_column_dup (stmt, 1);
      if (etag != NULL)
        *etag = cb_sb_column_dup (stmt, 2);
    }
  cb_sb_stmt_done (stmt);

  return state;
}

static gboolean
reply_if_deleting (CbSbRequest *req,
                   const char  *state)
{
  if (g_strcmp0 (state, "Deleting") != 0)
    return FALSE;

  cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                         "The resource is being deleted; retry once the deletion completed.");
  return TRUE;
}

/* ---- Namespaces ------------------------------------------------------------------------- */

static void
handle_namespaces_list_subscription (CbSbRequest *req)
{
  const char *sub = cb_sb_param (req, "sub");
  g_autofree char *scope = g_strdup_printf ("/subscriptions/%s", sub);

  if (!arm_begin (req, scope, OP_NS_READ, CB_SB_PERM_READ, FALSE))
    return;

  reply_list (req,
              "SELECT id FROM adr_namespaces WHERE subscription = ?1 ORDER BY name, id "
              "LIMIT :limit OFFSET :offset",
              sub, NULL, namespace_json);
}

static void
handle_namespaces_list_group (CbSbRequest *req)
{
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  g_autofree char *scope = g_strdup_printf ("/subscriptions/%s/resourceGroups/%s", sub, rg);

  if (!arm_begin (req, scope, OP_NS_READ, CB_SB_PERM_READ, FALSE))
    return;

  reply_list (req,
              "SELECT id FROM adr_namespaces WHERE subscription = ?1 AND resource_group = ?2 "
              "ORDER BY name LIMIT :limit OFFSET :offset",
              sub, rg, namespace_json);
}

static char *
ns_id_from (CbSbRequest *req)
{
  return cb_sb_namespace_id (cb_sb_param (req, "sub"), cb_sb_param (req, "rg"),
                             cb_sb_param (req, "ns"));
}

static void
reply_namespace_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s", TYPE_NAMESPACE, cb_sb_param (req, "ns"));

  reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
handle_namespace_get (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  JsonNode *node;

  if (!arm_begin (req, ns_id, OP_NS_READ, CB_SB_PERM_READ, FALSE))
    return;

  node = namespace_json (req->sandbox, ns_id, api_version_of (req));
  if (node == NULL)
    reply_namespace_not_found (req);
  else
    cb_sb_reply_json (req, SOUP_STATUS_OK, node);
}

static void
insert_namespace (CbSandbox  *self,
                  const char *subscription,
                  const char *resource_group,
                  const char *name,
                  const char *location,
                  const char *tags,
                  const char *state,
                  Actor       actor)
{
  g_autofree char *ns_id = cb_sb_namespace_id (subscription, resource_group, name);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *principal_id = g_uuid_string_random ();
  gint64 now = cb_sandbox_now_usec (self);
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_namespaces (id, subscription, resource_group, name, "
                        "  location, tags, uuid, principal_id, state, " SYSDATA_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?10, ?11, ?12)");
  cb_sb_bind_text (stmt, 1, ns_id);
  cb_sb_bind_text (stmt, 2, subscription);
  cb_sb_bind_text (stmt, 3, resource_group);
  cb_sb_bind_text (stmt, 4, name);
  cb_sb_bind_text (stmt, 5, location);
  cb_sb_bind_text (stmt, 6, tags);
  cb_sb_bind_text (stmt, 7, uuid);
  cb_sb_bind_text (stmt, 8, principal_id);
  cb_sb_bind_text (stmt, 9, state);
  cb_sb_bind_text (stmt, 10, actor.name);
  cb_sb_bind_text (stmt, 11, actor.type);
  sqlite3_bind_int64 (stmt, 12, now);
  cb_sb_step_done (self, stmt, NULL);
}

static void
namespace_put (CbSbRequest *req,
               const char  *ns_id)
{
  CbSandbox *self = req->sandbox;
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  const char *ns = cb_sb_param (req, "ns");
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *state = NULL;
  g_autofree char *current_location = NULL;
  g_autofree char *op_id = NULL;
  JsonObject *obj;
  const char *location;

  if (!valid_namespace_name (ns))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidResourceName", "name",
                             "The resource name '%s' is invalid. A namespace name has 3 to 64 "
                             "characters: lower-case letters, digits and hyphens, starting and "
                             "ending with a letter or digit (^[a-z0-9][a-z0-9-]*[a-z0-9]$).", ns);
      return;
    }

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = body_object (req, body)) == NULL)
    return;
  if (!require_location (req, obj, &location) || !get_tags (req, obj, &tags))
    return;

  state = namespace_state (self, ns_id, &current_location);
  if (state != NULL)
    {
      if (reply_if_deleting (req, state) ||
          !check_location_unchanged (req, ns, rg, current_location, location))
        return;

      if (tags != NULL)
        {
          g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "UPDATE adr_namespaces SET tags = ? "
                                                    "WHERE id = ?");
          cb_sb_bind_text (stmt, 1, tags);
          cb_sb_bind_text (stmt, 2, ns_id);
          cb_sb_step_done (self, stmt, NULL);
        }
      set_modified (self, "adr_namespaces", "id", ns_id, req->principal);
      cb_sb_reply_json (req, SOUP_STATUS_OK, namespace_json (self, ns_id, api_version_of (req)));
      return;
    }

  insert_namespace (self, sub, rg, ns, location, tags, "Accepted", actor_for (req));
  op_id = start_operation (req, sub, location, "ns-create", ns_id, ns_id, NULL, NULL,
                           FINAL_RESOURCE, OP_NS_WRITE);
  set_operation_headers (req, sub, location, op_id, TRUE, FALSE);
  cb_sb_reply_json (req, SOUP_STATUS_CREATED, namespace_json (self, ns_id, api_version_of (req)));
}

static void
handle_namespace_put (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);

  if (!arm_begin (req, ns_id, OP_NS_WRITE, CB_SB_PERM_WRITE, FALSE))
    return;

  namespace_put (req, ns_id);
  log_write (req, OP_NS_WRITE, ns_id);
}

/* PATCH bodies are applied when the operation completes: validate now, store them. */
static void
start_patch (CbSbRequest *req,
             const char  *kind,
             const char  *target,
             const char  *resource_id,
             const char  *location,
             const char  *prev_state,
             const char  *args,
             const char  *table,
             const char  *key_column,
             const char  *operation_name)
{
  g_autofree char *op_id = NULL;
  const char *sub = cb_sb_param (req, "sub");

  set_state (req->sandbox, table, key_column, target, "Accepted");
  op_id = start_operation (req, sub, location, kind, target, resource_id, args, prev_state,
                           FINAL_RESOURCE, operation_name);
  set_operation_headers (req, sub, location, op_id, FALSE, TRUE);
  cb_sb_reply_empty (req, SOUP_STATUS_ACCEPTED);
}

static char *
tags_args (const char *tags)
{
  return g_strdup_printf ("{\"tags\":%s}", tags != NULL ? tags : "null");
}

static void
namespace_patch (CbSbRequest *req,
                 const char  *ns_id)
{
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;

  state = namespace_state (req->sandbox, ns_id, &location);
  if (state == NULL)
    {
      reply_namespace_not_found (req);
      return;
    }
  if (reply_if_deleting (req, state))
    return;

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = body_object (req, body)) == NULL || !get_tags (req, obj, &tags))
    return;

  args = tags_args (tags);
  start_patch (req, "ns-update", ns_id, ns_id, location, state, args, "adr_namespaces", "id",
               OP_NS_WRITE);
}

static void
handle_namespace_patch (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);

  if (!arm_begin (req, ns_id, OP_NS_WRITE, CB_SB_PERM_WRITE, FALSE))
    return;

  namespace_patch (req, ns_id);
  log_write (req, OP_NS_WRITE, ns_id);
}

static void
start_delete (CbSbRequest *req,
              const char  *kind,
              const char  *target,
              const char  *resource_id,
              const char  *location,
              const char  *prev_state,
              const char  *table,
              const char  *key_column,
              const char  *operation_name)
{
  g_autofree char *op_id = NULL;
  const char *sub = cb_sb_param (req, "sub");

  set_state (req->sandbox, table, key_column, target, "Deleting");
  op_id = start_operation (req, sub, location, kind, target, resource_id, NULL, prev_state,
                           FINAL_EMPTY, operation_name);
  set_operation_headers (req, sub, location, op_id, FALSE, TRUE);
  cb_sb_reply_empty (req, SOUP_STATUS_ACCEPTED);
}

static void
namespace_delete (CbSbRequest *req,
                  const char  *ns_id)
{
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;

  state = namespace_state (req->sandbox, ns_id, &location);
  if (state == NULL)
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (reply_if_deleting (req, state))
    return;

  /* The credential's root CA is deleted only on purpose [INF: Azure's cascade rules for
   * namespaces with a credential are not published]. */
  if (has_credential (req->sandbox, ns_id))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                             "The namespace '%s' has a credential. Delete its policies and its "
                             "credential before deleting the namespace.",
                             cb_sb_param (req, "ns"));
      return;
    }

  start_delete (req, "ns-delete", ns_id, ns_id, location, state, "adr_namespaces", "id",
                OP_NS_DELETE);
}

static void
handle_namespace_delete (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);

  if (!arm_begin (req, ns_id, OP_NS_DELETE, CB_SB_PERM_WRITE, FALSE))
    return;

  namespace_delete (req, ns_id);
  log_write (req, OP_NS_DELETE, ns_id);
}

/* ---- Credentials ------------------------------------------------------------------------ */

/* Replies ParentResourceNotFound and returns NULL when the namespace is missing. */
static char *
require_namespace (CbSbRequest *req,
                   const char  *ns_id,
                   char       **location)
{
  char *state = namespace_state (req->sandbox, ns_id, location);

  if (state == NULL)
    reply_parent_not_found (req, cb_sb_param (req, "ns"));

  return state;
}

static void
handle_credentials_list (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *state = NULL;

  if (!arm_begin (req, ns_id, OP_CRED_READ, CB_SB_PERM_READ, FALSE))
    return;
  if ((state = require_namespace (req, ns_id, NULL)) == NULL)
    return;

  reply_list (req,
              "SELECT namespace_id FROM adr_credentials WHERE namespace_id = ?1 "
              "LIMIT :limit OFFSET :offset",
              ns_id, NULL, credential_json);
}

static void
reply_credential_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/credentials/default", TYPE_NAMESPACE,
                                           cb_sb_param (req, "ns"));

  reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
handle_credential_get (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *cred_id = credential_id (ns_id);
  g_autofree char *state = NULL;
  JsonNode *node;

  if (!arm_begin (req, cred_id, OP_CRED_READ, CB_SB_PERM_READ, FALSE))
    return;
  if ((state = require_namespace (req, ns_id, NULL)) == NULL)
    return;

  node = credential_json (req->sandbox, ns_id, api_version_of (req));
  if (node == NULL)
    reply_credential_not_found (req);
  else
    cb_sb_reply_json (req, SOUP_STATUS_OK, node);
}

static void
credential_put (CbSbRequest *req,
                const char  *ns_id)
{
  CbSandbox *self = req->sandbox;
  const char *rg = cb_sb_param (req, "rg");
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *current_location = NULL;
  g_autofree char *op_id = NULL;
  JsonObject *obj;
  JsonObject *properties;
  const char *location;
  Actor actor = actor_for (req);
  g_autoptr(CbSbStmt) stmt = NULL;

  if ((ns_state = require_namespace (req, ns_id, NULL)) == NULL || reply_if_deleting (req, ns_state))
    return;

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = body_object (req, body)) == NULL)
    return;
  if (!require_location (req, obj, &location) || !get_tags (req, obj, &tags) ||
      !get_object (req, obj, "properties", "properties", &properties))
    return;

  state = credential_state (self, ns_id, &current_location);
  if (state != NULL && g_strcmp0 (state, "Failed") != 0)
    {
      if (reply_if_deleting (req, state) ||
          !check_location_unchanged (req, "default", rg, current_location, location))
        return;

      if (tags != NULL)
        {
          stmt = cb_sb_prepare (self, "UPDATE adr_credentials SET tags = ? WHERE namespace_id = ?");
          cb_sb_bind_text (stmt, 1, tags);
          cb_sb_bind_text (stmt, 2, ns_id);
          cb_sb_step_done (self, stmt, NULL);
        }
      set_modified (self, "adr_credentials", "namespace_id", ns_id, req->principal);
      cb_sb_reply_json (req, SOUP_STATUS_OK, credential_json (self, ns_id, api_version_of (req)));
      return;
    }

  if (state != NULL)
    {
      /* A failed creation is retried by PUT, as in ARM. */
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self, "DELETE FROM adr_credentials WHERE namespace_id = ?");
      cb_sb_bind_text (stmt, 1, ns_id);
      cb_sb_step_done (self, stmt, NULL);
    }

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_credentials (namespace_id, location, tags, state, "
                        SYSDATA_COLUMNS ") VALUES (?1, ?2, ?3, 'Accepted', ?4, ?5, ?6, ?4, ?5, ?6)");
  cb_sb_bind_text (stmt, 1, ns_id);
  cb_sb_bind_text (stmt, 2, location);
  cb_sb_bind_text (stmt, 3, tags);
  cb_sb_bind_text (stmt, 4, actor.name);
  cb_sb_bind_text (stmt, 5, actor.type);
  sqlite3_bind_int64 (stmt, 6, cb_sandbox_now_usec (self));
  cb_sb_step_done (self, stmt, NULL);

  {
    g_autofree char *cred_id = credential_id (ns_id);

    op_id = start_operation (req, cb_sb_param (req, "sub"), location, "credential-create", ns_id,
                             cred_id, NULL, NULL, FINAL_RESOURCE, OP_CRED_WRITE);
  }
  set_operation_headers (req, cb_sb_param (req, "sub"), location, op_id, TRUE, FALSE);
  cb_sb_reply_json (req, SOUP_STATUS_CREATED, credential_json (self, ns_id, api_version_of (req)));
}

static void
handle_credential_put (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *cred_id = credential_id (ns_id);

  if (!arm_begin (req, cred_id, OP_CRED_WRITE, CB_SB_PERM_WRITE_CREDENTIALS, FALSE))
    return;

  credential_put (req, ns_id);
  log_write (req, OP_CRED_WRITE, cred_id);
}

static void
credential_patch (CbSbRequest *req,
                  const char  *ns_id)
{
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *args = NULL;
  g_autofree char *cred_id = credential_id (ns_id);
  JsonObject *obj;

  if ((ns_state = require_namespace (req, ns_id, NULL)) == NULL)
    return;
  state = credential_state (req->sandbox, ns_id, &location);
  if (state == NULL)
    {
      reply_credential_not_found (req);
      return;
    }
  if (reply_if_deleting (req, state))
    return;

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = body_object (req, body)) == NULL || !get_tags (req, obj, &tags))
    return;

  args = tags_args (tags);
  start_patch (req, "credential-update", ns_id, cred_id, location, state, args,
               "adr_credentials", "namespace_id", OP_CRED_WRITE);
}

static void
handle_credential_patch (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *cred_id = credential_id (ns_id);

  if (!arm_begin (req, cred_id, OP_CRED_WRITE, CB_SB_PERM_WRITE_CREDENTIALS, FALSE))
    return;

  credential_patch (req, ns_id);
  log_write (req, OP_CRED_WRITE, cred_id);
}

static void
credential_delete (CbSbRequest *req,
                   const char  *ns_id)
{
  g_autoptr(GPtrArray) policies = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *cred_id = credential_id (ns_id);

  state = credential_state (req->sandbox, ns_id, &location);
  if (state == NULL)
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (reply_if_deleting (req, state))
    return;

  policies = policy_names_of (req->sandbox, ns_id);
  if (policies->len > 0)
    {
      g_autofree char *names = join_names (policies);

      /* Learn: "If the credential has policies, you must first revoke or delete those
       * policies." */
      cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                             "The credential 'default' of namespace '%s' cannot be deleted "
                             "because it has policies (%s). You must first revoke or delete "
                             "those policies.",
                             cb_sb_param (req, "ns"), names);
      return;
    }

  start_delete (req, "credential-delete", ns_id, cred_id, location, state, "adr_credentials",
                "namespace_id", OP_CRED_DELETE);
}

static void
handle_credential_delete (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *cred_id = credential_id (ns_id);

  if (!arm_begin (req, cred_id, OP_CRED_DELETE, CB_SB_PERM_WRITE_CREDENTIALS, FALSE))
    return;

  credential_delete (req, ns_id);
  log_write (req, OP_CRED_DELETE, cred_id);
}

static void
start_action (CbSbRequest *req,
              const char  *kind,
              const char  *target,
              const char  *resource_id,
              const char  *location,
              const char  *args,
              FinalKind    final_kind,
              gboolean     async_header,
              const char  *operation_name)
{
  g_autofree char *op_id = NULL;
  const char *sub = cb_sb_param (req, "sub");

  op_id = start_operation (req, sub, location, kind, target, resource_id, args, NULL,
                           final_kind, operation_name);
  set_operation_headers (req, sub, location, op_id, async_header, TRUE);
  cb_sb_reply_empty (req, SOUP_STATUS_ACCEPTED);
}

static void
credential_synchronize (CbSbRequest *req,
                        const char  *ns_id)
{
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *cred_id = credential_id (ns_id);

  state = credential_state (req->sandbox, ns_id, &location);
  if (state == NULL)
    {
      reply_credential_not_found (req);
      return;
    }
  if (reply_if_deleting (req, state))
    return;

  start_action (req, "credential-sync", ns_id, cred_id, location, NULL, FINAL_EMPTY, FALSE,
                OP_CRED_SYNC);
}

static void
handle_credential_synchronize (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *cred_id = credential_id (ns_id);

  if (!arm_begin (req, cred_id, OP_CRED_SYNC, CB_SB_PERM_WRITE_CREDENTIALS, FALSE))
    return;

  credential_synchronize (req, ns_id);
  log_write (req, OP_CRED_SYNC, cred_id);
}

/* ---- Policies --------------------------------------------------------------------------- */

/* Namespace and credential must exist; replies otherwise. */
static gboolean
require_credential (CbSbRequest *req,
                    const char  *ns_id,
                    char       **location)
{
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;

  if ((ns_state = require_namespace (req, ns_id, NULL)) == NULL)
    return FALSE;

  state = credential_state (req->sandbox, ns_id, location);
  if (state == NULL)
    {
      g_autofree char *parent = g_strdup_printf ("%s/default", cb_sb_param (req, "ns"));

      reply_parent_not_found (req, parent);
      return FALSE;
    }

  return TRUE;
}

static char *
policy_id_from (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);

  return cb_sb_policy_id (ns_id, cb_sb_param (req, "policy"));
}

static void
reply_policy_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/credentials/default/policies/%s",
                                           TYPE_NAMESPACE, cb_sb_param (req, "ns"),
                                           cb_sb_param (req, "policy"));

  reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
handle_policies_list (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *cred_id = credential_id (ns_id);

  if (!arm_begin (req, cred_id, OP_POLICY_READ, CB_SB_PERM_READ, FALSE))
    return;
  if (!require_credential (req, ns_id, NULL))
    return;

  reply_list (req,
              "SELECT id FROM adr_policies WHERE namespace_id = ?1 ORDER BY name "
              "LIMIT :limit OFFSET :offset",
              ns_id, NULL, policy_json);
}

static void
handle_policy_get (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *policy_id = policy_id_from (req);
  JsonNode *node;

  if (!arm_begin (req, policy_id, OP_POLICY_READ, CB_SB_PERM_READ, FALSE))
    return;
  if (!require_credential (req, ns_id, NULL))
    return;

  node = policy_json (req->sandbox, policy_id, api_version_of (req));
  if (node == NULL)
    reply_policy_not_found (req);
  else
    cb_sb_reply_json (req, SOUP_STATUS_OK, node);
}

#define P_CERT   "properties.certificate"
#define P_CA     "properties.certificate.certificateAuthorityConfiguration"
#define P_LEAF   "properties.certificate.leafCertificateConfiguration"
#define P_DAYS   "properties.certificate.leafCertificateConfiguration.validityPeriodInDays"
#define P_KEY    "properties.certificate.certificateAuthorityConfiguration.keyType"
#define P_BYOR   "properties.certificate.certificateAuthorityConfiguration.bringYourOwnRoot"

typedef struct
{
  const char *key_type;       /* NULL when absent */
  gboolean    days_given;
  gint64      days;
  int         byor;           /* -1 when absent */
  char       *tags;
  const char *location;
} PolicyInput;

static void
policy_input_clear (PolicyInput *in)
{
  g_clear_pointer (&in->tags, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PolicyInput, policy_input_clear)

/* Reads and validates a policy PUT or PATCH body; replies and returns FALSE when invalid. */
static gboolean
read_policy_input (CbSbRequest *req,
                   JsonObject  *obj,
                   PolicyInput *in)
{
  JsonObject *properties;
  JsonObject *certificate = NULL;
  JsonObject *ca = NULL;
  JsonObject *leaf = NULL;
  JsonObject *byor = NULL;

  in->byor = -1;

  if (!get_object (req, obj, "properties", "properties", &properties) ||
      !get_object (req, properties, "certificate", P_CERT, &certificate) ||
      !get_object (req, certificate, "certificateAuthorityConfiguration", P_CA, &ca) ||
      !get_object (req, certificate, "leafCertificateConfiguration", P_LEAF, &leaf) ||
      !get_string (req, ca, "keyType", P_KEY, &in->key_type) ||
      !get_object (req, ca, "bringYourOwnRoot", P_BYOR, &byor) ||
      !get_boolean (req, byor, "enabled", P_BYOR ".enabled", &in->byor) ||
      !get_int (req, leaf, "validityPeriodInDays", P_DAYS, &in->days_given, &in->days) ||
      !get_tags (req, obj, &in->tags) ||
      !get_string (req, obj, "location", "location", &in->location))
    return FALSE;

  if (in->key_type != NULL && g_strcmp0 (in->key_type, "ECC") != 0)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidRequestContent", P_KEY,
                             "The value '%s' is not valid for keyType. The allowed values "
                             "are: 'ECC'.", in->key_type);
      return FALSE;
    }

  if (in->days_given && (in->days < MIN_VALIDITY_DAYS || in->days > MAX_VALIDITY_DAYS))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidRequestContent", P_DAYS,
                             "The value %" G_GINT64_FORMAT " is not valid for "
                             "validityPeriodInDays: it must be between %d and %d days.",
                             in->days, MIN_VALIDITY_DAYS, MAX_VALIDITY_DAYS);
      return FALSE;
    }

  return TRUE;
}

static guint
count_policies (CbSandbox  *self,
                const char *ns_id)
{
  g_autoptr(GPtrArray) names = policy_names_of (self, ns_id);

  return names->len;
}

static void
insert_policy (CbSandbox  *self,
               const char *ns_id,
               const char *policy_id,
               const char *name,
               gint64      days,
               gboolean    byor,
               const char *location,
               const char *tags,
               const char *state,
               Actor       actor)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "INSERT INTO adr_policies (id, namespace_id, name, key_type, "
                        "  validity_days, byor, location, tags, state, " SYSDATA_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, 'ECC', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?9, ?10, ?11)");
  cb_sb_bind_text (stmt, 1, policy_id);
  cb_sb_bind_text (stmt, 2, ns_id);
  cb_sb_bind_text (stmt, 3, name);
  sqlite3_bind_int64 (stmt, 4, days);
  sqlite3_bind_int (stmt, 5, byor ? 1 : 0);
  cb_sb_bind_text (stmt, 6, location);
  cb_sb_bind_text (stmt, 7, tags);
  cb_sb_bind_text (stmt, 8, state);
  cb_sb_bind_text (stmt, 9, actor.name);
  cb_sb_bind_text (stmt, 10, actor.type);
  sqlite3_bind_int64 (stmt, 11, cb_sandbox_now_usec (self));
  cb_sb_step_done (self, stmt, NULL);
}

static void
reply_policy_limit (CbSbRequest *req,
                    const char  *ns_id)
{
  g_autoptr(GPtrArray) names = policy_names_of (req->sandbox, ns_id);
  g_autofree char *list = join_names (names);

  cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                         "The credential 'default' of namespace '%s' already has %u "
                         "polic%s (%s); a credential can have at most %u in this preview.",
                         cb_sb_param (req, "ns"), names->len, names->len == 1 ? "y" : "ies",
                         list, req->sandbox->max_policies);
}

static void
policy_put (CbSbRequest *req,
            const char  *ns_id,
            const char  *policy_id)
{
  CbSandbox *self = req->sandbox;
  const char *name = cb_sb_param (req, "policy");
  g_autoptr(JsonNode) body = NULL;
  g_auto(PolicyInput) in = { 0 };
  g_auto(PolicyRow) row = { 0 };
  g_autofree char *cred_location = NULL;
  g_autofree char *op_id = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;
  gboolean old_api = is_old_api (api_version_of (req));

  if (!require_credential (req, ns_id, &cred_location))
    return;

  if (!valid_child_name (name))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidResourceName", "name",
                             "The resource name '%s' is invalid. A policy name has 3 to 63 "
                             "characters: letters, digits and hyphens, starting with a letter "
                             "or digit (^[0-9a-zA-Z][a-zA-Z0-9-]*$).", name);
      return;
    }

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = body_object (req, body)) == NULL ||
      !read_policy_input (req, obj, &in))
    return;

  if (policy_row (self, policy_id, &row))
    {
      g_autoptr(CbSbStmt) stmt = NULL;

      if (reply_if_deleting (req, row.state))
        return;
      if (in.key_type != NULL && g_strcmp0 (in.key_type, row.key_type) != 0)
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "PropertyChangeNotAllowed", P_KEY,
                                 "Changing property 'keyType' is not allowed.");
          return;
        }
      if (in.byor >= 0 && (in.byor != 0) != row.byor)
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "PropertyChangeNotAllowed",
                                 P_BYOR ".enabled",
                                 "Changing property 'bringYourOwnRoot.enabled' is not allowed.");
          return;
        }

      stmt = cb_sb_prepare (self,
                            "UPDATE adr_policies SET validity_days = ?, "
                            "  tags = COALESCE(?, tags), location = COALESCE(?, location) "
                            "WHERE id = ?");
      sqlite3_bind_int64 (stmt, 1, in.days_given ? in.days : DEFAULT_VALIDITY_DAYS);
      cb_sb_bind_text (stmt, 2, old_api ? in.tags : NULL);
      cb_sb_bind_text (stmt, 3, old_api ? in.location : NULL);
      cb_sb_bind_text (stmt, 4, policy_id);
      cb_sb_step_done (self, stmt, NULL);
      set_modified (self, "adr_policies", "id", policy_id, req->principal);
      cb_sb_reply_json (req, SOUP_STATUS_OK,
                        policy_json (self, policy_id, api_version_of (req)));
      return;
    }

  if (in.key_type == NULL)
    {
      reply_invalid_content (req, P_KEY,
                             "The property 'keyType' is required to create a policy.");
      return;
    }

  if (count_policies (self, ns_id) >= self->max_policies)
    {
      reply_policy_limit (req, ns_id);
      return;
    }

  insert_policy (self, ns_id, policy_id, name, in.days_given ? in.days : DEFAULT_VALIDITY_DAYS,
                 in.byor > 0 && !old_api, old_api ? in.location : NULL,
                 old_api ? in.tags : NULL, "Accepted", actor_for (req));
  args = g_strdup_printf ("{\"byor\":%s}", in.byor > 0 && !old_api ? "true" : "false");
  op_id = start_operation (req, cb_sb_param (req, "sub"), cred_location, "policy-create",
                           policy_id, policy_id, args, NULL, FINAL_RESOURCE, OP_POLICY_WRITE);
  set_operation_headers (req, cb_sb_param (req, "sub"), cred_location, op_id, TRUE, FALSE);
  cb_sb_reply_json (req, SOUP_STATUS_CREATED, policy_json (self, policy_id, api_version_of (req)));
}

static void
handle_policy_put (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *policy_id = policy_id_from (req);

  if (!arm_begin (req, policy_id, OP_POLICY_WRITE, CB_SB_PERM_WRITE_CREDENTIALS, FALSE))
    return;

  policy_put (req, ns_id, policy_id);
  log_write (req, OP_POLICY_WRITE, policy_id);
}

/* Looks the policy up under an existing credential; replies 404 otherwise. */
static gboolean
require_policy (CbSbRequest *req,
                const char  *ns_id,
                const char  *policy_id,
                char       **location,
                PolicyRow   *row)
{
  if (!require_credential (req, ns_id, location))
    return FALSE;

  if (!policy_row (req->sandbox, policy_id, row))
    {
      reply_policy_not_found (req);
      return FALSE;
    }

  return TRUE;
}

static void
policy_patch (CbSbRequest *req,
              const char  *ns_id,
              const char  *policy_id)
{
  g_autoptr(JsonNode) body = NULL;
  g_auto(PolicyInput) in = { 0 };
  g_auto(PolicyRow) row = { 0 };
  g_autofree char *location = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;

  if (!require_policy (req, ns_id, policy_id, &location, &row) || reply_if_deleting (req, row.state))
    return;

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = body_object (req, body)) == NULL ||
      !read_policy_input (req, obj, &in))
    return;

  if (in.key_type != NULL && g_strcmp0 (in.key_type, row.key_type) != 0)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "PropertyChangeNotAllowed", P_KEY,
                             "Changing property 'keyType' is not allowed.");
      return;
    }
  if (in.byor >= 0 && (in.byor != 0) != row.byor)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "PropertyChangeNotAllowed",
                             P_BYOR ".enabled",
                             "Changing property 'bringYourOwnRoot.enabled' is not allowed.");
      return;
    }

  args = g_strdup_printf ("{\"validityPeriodInDays\":%" G_GINT64_FORMAT ",\"tags\":%s}",
                          in.days_given ? in.days : 0,
                          in.tags != NULL && is_old_api (api_version_of (req)) ? in.tags : "null");
  start_patch (req, "policy-update", policy_id, policy_id, location, row.state, args,
               "adr_policies", "id", OP_POLICY_WRITE);
}

static void
handle_policy_patch (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *policy_id = policy_id_from (req);

  if (!arm_begin (req, policy_id, OP_POLICY_WRITE, CB_SB_PERM_WRITE_CREDENTIALS, FALSE))
    return;

  policy_patch (req, ns_id, policy_id);
  log_write (req, OP_POLICY_WRITE, policy_id);
}

static void
policy_delete (CbSbRequest *req,
               const char  *ns_id,
               const char  *policy_id)
{
  g_auto(PolicyRow) row = { 0 };
  g_autofree char *location = NULL;

  if (!policy_row (req->sandbox, policy_id, &row))
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (reply_if_deleting (req, row.state))
    return;

  g_free (credential_state (req->sandbox, ns_id, &location));
  start_delete (req, "policy-delete", policy_id, policy_id,
                location != NULL ? location : "global", row.state, "adr_policies", "id",
                OP_POLICY_DELETE);
}

static void
handle_policy_delete (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *policy_id = policy_id_from (req);

  if (!arm_begin (req, policy_id, OP_POLICY_DELETE, CB_SB_PERM_WRITE_CREDENTIALS, FALSE))
    return;

  policy_delete (req, ns_id, policy_id);
  log_write (req, OP_POLICY_DELETE, policy_id);
}

static gboolean
reply_if_not_ready (CbSbRequest *req,
                    const char  *state)
{
  if (g_strcmp0 (state, "Succeeded") == 0)
    return FALSE;

  cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                         "The policy is in provisioningState '%s'; retry once it is "
                         "'Succeeded'.", state);
  return TRUE;
}

static void
policy_revoke_issuer (CbSbRequest *req,
                      const char  *ns_id,
                      const char  *policy_id)
{
  g_auto(PolicyRow) row = { 0 };
  g_autofree char *location = NULL;

  if (!require_policy (req, ns_id, policy_id, &location, &row))
    return;

  if (row.byor)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest", NULL,
                             "revokeIssuer is not supported for the policy '%s' because it uses "
                             "an external root (bringYourOwnRoot). Revoke every device "
                             "certificate it issued, then delete the policy.",
                             cb_sb_param (req, "policy"));
      return;
    }
  if (reply_if_not_ready (req, row.state))
    return;

  start_action (req, "policy-revoke-issuer", policy_id, policy_id, location, NULL, FINAL_EMPTY,
                FALSE, OP_POLICY_REVOKE);
}

static void
handle_policy_revoke_issuer (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *policy_id = policy_id_from (req);

  if (!arm_begin (req, policy_id, OP_POLICY_REVOKE, CB_SB_PERM_WRITE_CREDENTIALS, TRUE))
    return;

  policy_revoke_issuer (req, ns_id, policy_id);
  log_write (req, OP_POLICY_REVOKE, policy_id);
}

static void
policy_activate (CbSbRequest *req,
                 const char  *ns_id,
                 const char  *policy_id)
{
  g_auto(PolicyRow) row = { 0 };
  g_auto(CbSbIssuerInfo) info = { 0 };
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) args_node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *location = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;
  const char *chain = NULL;

  if (!require_policy (req, ns_id, policy_id, &location, &row))
    return;

  if (!row.byor)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest", NULL,
                             "activateBringYourOwnRoot applies only to policies with "
                             "bringYourOwnRoot enabled; the policy '%s' uses the namespace's "
                             "own root.", cb_sb_param (req, "policy"));
      return;
    }
  if (reply_if_not_ready (req, row.state))
    return;

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = body_object (req, body)) == NULL ||
      !get_string (req, obj, "certificateChain", "certificateChain", &chain))
    return;
  if (chain == NULL || *chain == '\0')
    {
      reply_invalid_content (req, "certificateChain",
                             "The property 'certificateChain' is required: the PEM chain from "
                             "the signed issuing CA certificate to your root.");
      return;
    }

  if (row.issuer_id == NULL || !cb_sb_ca_get_issuer_info (req->sandbox, row.issuer_id, &info) ||
      g_strcmp0 (info.status, "pending") != 0)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                             "The policy '%s' has no certificate signing request waiting for "
                             "activation.", cb_sb_param (req, "policy"));
      return;
    }

  if (!cb_sb_ca_check_byor_chain (req->sandbox, row.issuer_id, chain, &error))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest", "certificateChain",
                             "The certificate chain was refused: %s", error->message);
      return;
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "certificateChain", chain);
  json_builder_end_object (b);
  args_node = json_builder_get_root (b);
  args = json_to_string (args_node, FALSE);

  start_action (req, "policy-activate", policy_id, policy_id, location, args, FINAL_EMPTY, FALSE,
                OP_POLICY_ACTIVATE);
}

static void
handle_policy_activate (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *policy_id = policy_id_from (req);

  if (!arm_begin (req, policy_id, OP_POLICY_ACTIVATE, CB_SB_PERM_WRITE_CREDENTIALS, TRUE))
    return;

  policy_activate (req, ns_id, policy_id);
  log_write (req, OP_POLICY_ACTIVATE, policy_id);
}

/* ---- Devices ---------------------------------------------------------------------------- */

static char *
device_id_from (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);

  return device_id (ns_id, cb_sb_param (req, "device"));
}

static void
reply_device_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/devices/%s", TYPE_NAMESPACE,
                                           cb_sb_param (req, "ns"), cb_sb_param (req, "device"));

  reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
handle_devices_list (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *state = NULL;

  if (!arm_begin (req, ns_id, OP_DEVICE_READ, CB_SB_PERM_READ, FALSE))
    return;
  if ((state = require_namespace (req, ns_id, NULL)) == NULL)
    return;

  reply_list (req,
              "SELECT id FROM adr_devices WHERE namespace_id = ?1 ORDER BY name "
              "LIMIT :limit OFFSET :offset",
              ns_id, NULL, device_json);
}

static void
handle_device_get (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *id = device_id_from (req);
  g_autofree char *state = NULL;
  JsonNode *node;

  if (!arm_begin (req, id, OP_DEVICE_READ, CB_SB_PERM_READ, FALSE))
    return;
  if ((state = require_namespace (req, ns_id, NULL)) == NULL)
    return;

  node = device_json (req->sandbox, id, api_version_of (req));
  if (node == NULL)
    reply_device_not_found (req);
  else
    cb_sb_reply_json (req, SOUP_STATUS_OK, node);
}

/* If-Match / If-None-Match against the device's etag. */
static gboolean
check_preconditions (CbSbRequest *req,
                     const char  *etag)       /* NULL: the resource does not exist */
{
  const char *if_match = cb_sb_header (req, "If-Match");
  const char *if_none_match = cb_sb_header (req, "If-None-Match");
  g_autofree char *quoted = etag != NULL ? g_strdup_printf ("\"%s\"", etag) : NULL;

  if (if_match != NULL && !(etag != NULL && (g_str_equal (if_match, "*") ||
                                             g_str_equal (if_match, quoted) ||
                                             g_str_equal (if_match, etag))))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_PRECONDITION_FAILED, "PreconditionFailed", NULL,
                             "The condition specified using HTTP conditional header(s) is not "
                             "met (If-Match '%s', current etag %s).",
                             if_match, quoted != NULL ? quoted : "none");
      return FALSE;
    }

  if (if_none_match != NULL && etag != NULL &&
      (g_str_equal (if_none_match, "*") || g_str_equal (if_none_match, quoted)))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_PRECONDITION_FAILED, "PreconditionFailed", NULL,
                             "The condition specified using HTTP conditional header(s) is not "
                             "met (If-None-Match '%s').", if_none_match);
      return FALSE;
    }

  return TRUE;
}

/* Validates a device body's "properties"; replies and returns FALSE when invalid. */
static gboolean
read_device_properties (CbSbRequest  *req,
                        JsonObject   *obj,
                        const char   *ns_id,
                        JsonObject  **out)
{
  JsonObject *properties;
  JsonObject *attributes;
  JsonObject *policy;
  const char *text;
  int enabled;

  *out = NULL;
  if (!get_object (req, obj, "properties", "properties", &properties))
    return FALSE;
  if (properties == NULL)
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (device_string_props); i++)
    {
      g_autofree char *path = g_strdup_printf ("properties.%s", device_string_props[i]);

      if (!get_string (req, properties, device_string_props[i], path, &text))
        return FALSE;
    }
  if (!get_boolean (req, properties, "enabled", "properties.enabled", &enabled) ||
      !get_object (req, properties, "attributes", "properties.attributes", &attributes) ||
      !get_object (req, properties, "policy", "properties.policy", &policy) ||
      !get_string (req, policy, "resourceId", "properties.policy.resourceId", &text))
    return FALSE;

  if (policy != NULL)
    {
      g_auto(PolicyRow) row = { 0 };
      g_autofree char *policy_ns = text != NULL ? namespace_of (text) : NULL;

      if (text == NULL || g_ascii_strcasecmp (policy_ns, ns_id) != 0 ||
          !policy_row (req->sandbox, text, &row))
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                                 "properties.policy.resourceId",
                                 "The policy '%s' does not exist in this namespace.",
                                 text != NULL ? text : "");
          return FALSE;
        }
    }

  *out = properties;
  return TRUE;
}

static void
device_put (CbSbRequest *req,
            const char  *ns_id,
            const char  *id)
{
  CbSandbox *self = req->sandbox;
  const char *name = cb_sb_param (req, "device");
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *current_location = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *op_id = NULL;
  JsonObject *obj;
  JsonObject *properties;
  const char *location;
  g_autoptr(GError) error = NULL;

  if ((ns_state = require_namespace (req, ns_id, NULL)) == NULL || reply_if_deleting (req, ns_state))
    return;

  if (!valid_child_name (name))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidResourceName", "name",
                             "The resource name '%s' is invalid. A device name has 3 to 63 "
                             "characters: letters, digits and hyphens, starting with a letter "
                             "or digit (^[0-9a-zA-Z][a-zA-Z0-9-]*$).", name);
      return;
    }

  state = device_state (self, id, &current_location, &etag);
  if (!check_preconditions (req, etag))
    return;

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = body_object (req, body)) == NULL)
    return;
  if (!require_location (req, obj, &location) || !get_tags (req, obj, &tags) ||
      !read_device_properties (req, obj, ns_id, &properties))
    return;

  if (state != NULL)
    {
      g_autoptr(CbSbStmt) stmt = NULL;

      if (reply_if_deleting (req, state) ||
          !check_location_unchanged (req, name, cb_sb_param (req, "rg"), current_location,
                                     location))
        return;

      if (!apply_device_properties (self, id, properties, TRUE, &error))
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError",
                                 NULL, "%s", error->message);
          return;
        }
      stmt = cb_sb_prepare (self, "UPDATE adr_devices SET tags = ? WHERE id = ?");
      cb_sb_bind_text (stmt, 1, tags);
      cb_sb_bind_text (stmt, 2, id);
      cb_sb_step_done (self, stmt, NULL);
      set_modified (self, "adr_devices", "id", id, req->principal);
      cb_sb_reply_json (req, SOUP_STATUS_OK, device_json (self, id, api_version_of (req)));
      return;
    }

  {
    g_autofree char *uuid = g_uuid_string_random ();
    g_autofree char *identifier = g_uuid_string_random ();
    g_autofree char *new_tag = new_etag ();
    Actor actor = actor_for (req);
    g_autoptr(CbSbStmt) stmt = NULL;

    cb_sb_stmt_release (stmt);
    stmt = cb_sb_prepare (self,
                          "INSERT INTO adr_devices (id, namespace_id, name, location, tags, uuid, "
                          "  enabled, props, identifier, version, etag, state, " SYSDATA_COLUMNS
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, NULL, ?7, 0, ?8, 'Accepted', "
                          "  ?9, ?10, ?11, ?9, ?10, ?11)");
    cb_sb_bind_text (stmt, 1, id);
    cb_sb_bind_text (stmt, 2, ns_id);
    cb_sb_bind_text (stmt, 3, name);
    cb_sb_bind_text (stmt, 4, location);
    cb_sb_bind_text (stmt, 5, tags);
    cb_sb_bind_text (stmt, 6, uuid);
    cb_sb_bind_text (stmt, 7, identifier);
    cb_sb_bind_text (stmt, 8, new_tag);
    cb_sb_bind_text (stmt, 9, actor.name);
    cb_sb_bind_text (stmt, 10, actor.type);
    sqlite3_bind_int64 (stmt, 11, cb_sandbox_now_usec (self));
    cb_sb_step_done (self, stmt, NULL);

    /* Version 1 once the properties are in. */
    if (!apply_device_properties (self, id, properties, TRUE, &error))
      g_warning ("Could not store device properties: %s", error->message);
  }

  op_id = start_operation (req, cb_sb_param (req, "sub"), location, "device-create", id, id,
                           NULL, NULL, FINAL_RESOURCE, OP_DEVICE_WRITE);
  set_operation_headers (req, cb_sb_param (req, "sub"), location, op_id, TRUE, FALSE);
  cb_sb_reply_json (req, SOUP_STATUS_CREATED, device_json (self, id, api_version_of (req)));
}

static void
handle_device_put (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *id = device_id_from (req);

  if (!arm_begin (req, id, OP_DEVICE_WRITE, CB_SB_PERM_WRITE, FALSE))
    return;

  device_put (req, ns_id, id);
  log_write (req, OP_DEVICE_WRITE, id);
}

static void
device_patch (CbSbRequest *req,
              const char  *ns_id,
              const char  *id)
{
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;
  JsonObject *properties;

  if ((ns_state = require_namespace (req, ns_id, NULL)) == NULL)
    return;
  state = device_state (req->sandbox, id, &location, &etag);
  if (state == NULL)
    {
      reply_device_not_found (req);
      return;
    }
  if (reply_if_deleting (req, state) || !check_preconditions (req, etag))
    return;

  body = cb_sb_json_body (req, FALSE);
  if (body == NULL || (obj = body_object (req, body)) == NULL || !get_tags (req, obj, &tags) ||
      !read_device_properties (req, obj, ns_id, &properties))
    return;

  args = json_to_string (body, FALSE);
  start_patch (req, "device-update", id, id, location, state, args, "adr_devices", "id",
               OP_DEVICE_WRITE);
}

static void
handle_device_patch (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *id = device_id_from (req);

  if (!arm_begin (req, id, OP_DEVICE_WRITE, CB_SB_PERM_WRITE, FALSE))
    return;

  device_patch (req, ns_id, id);
  log_write (req, OP_DEVICE_WRITE, id);
}

static void
device_delete (CbSbRequest *req,
               const char  *id)
{
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *etag = NULL;

  state = device_state (req->sandbox, id, &location, &etag);
  if (state == NULL)
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (reply_if_deleting (req, state) || !check_preconditions (req, etag))
    return;

  start_delete (req, "device-delete", id, id, location, state, "adr_devices", "id",
                OP_DEVICE_DELETE);
}

static void
handle_device_delete (CbSbRequest *req)
{
  g_autofree char *id = device_id_from (req);

  if (!arm_begin (req, id, OP_DEVICE_DELETE, CB_SB_PERM_WRITE, FALSE))
    return;

  device_delete (req, id);
  log_write (req, OP_DEVICE_DELETE, id);
}

static void
device_revoke (CbSbRequest *req,
               const char  *ns_id,
               const char  *id)
{
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj = NULL;
  int disable = -1;

  if ((ns_state = require_namespace (req, ns_id, NULL)) == NULL)
    return;
  state = device_state (req->sandbox, id, &location, NULL);
  if (state == NULL)
    {
      reply_device_not_found (req);
      return;
    }
  if (reply_if_deleting (req, state))
    return;

  if (req->body != NULL && g_bytes_get_size (req->body) > 0)
    {
      body = cb_sb_json_body (req, TRUE);
      if (body == NULL || (obj = body_object (req, body)) == NULL ||
          !get_boolean (req, obj, "disable", "disable", &disable))
        return;
    }

  args = g_strdup_printf ("{\"disable\":%s}", disable > 0 ? "true" : "false");
  start_action (req, "device-revoke", id, id, location, args, FINAL_REVOKE, TRUE,
                OP_DEVICE_REVOKE);
}

static void
handle_device_revoke (CbSbRequest *req)
{
  g_autofree char *ns_id = ns_id_from (req);
  g_autofree char *id = device_id_from (req);

  if (!arm_begin (req, id, OP_DEVICE_REVOKE, CB_SB_PERM_WRITE_CREDENTIALS, TRUE))
    return;

  device_revoke (req, ns_id, id);
  log_write (req, OP_DEVICE_REVOKE, id);
}

/* ---- Operation status and results ------------------------------------------------------- */

typedef struct
{
  char     *id;
  char     *subscription;
  char     *location;
  char     *kind;
  char     *target;
  char     *resource_id;
  char     *status;
  FinalKind final_kind;
  gint64    start_usec;
  gint64    end_usec;
  char     *error_code;
  char     *error_message;
  guint     error_http;
} OperationRow;

static void
operation_row_clear (OperationRow *row)
{
  g_free (row->id);
  g_free (row->subscription);
  g_free (row->location);
  g_free (row->kind);
  g_free (row->target);
  g_free (row->resource_id);
  g_free (row->status);
  g_free (row->error_code);
  g_free (row->error_message);
  memset (row, 0, sizeof *row);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OperationRow, operation_row_clear)

/* Authenticates, finds the operation and checks the caller may read its resource. */
static gboolean
operation_begin (CbSbRequest  *req,
                 OperationRow *row)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  const char *op_id = cb_sb_param (req, "opId");

  memset (row, 0, sizeof *row);

  if (!cb_sb_require_bearer (req, CB_SB_AUD_ARM) ||
      !cb_sb_require_api_version (req, CB_SB_ARM_API_VERSION, CB_SB_ARM_API_VERSION_OLD, NULL))
    return FALSE;

  cb_sb_arm_run_due_operations (req->sandbox);

  stmt = cb_sb_prepare (req->sandbox,
                        "SELECT id, subscription, location, kind, target, resource_id, status, "
                        "  final_kind, start_usec, end_usec, error_code, error_message, "
                        "  error_http "
                        "FROM adr_operations WHERE id = ? AND subscription = ?");
  cb_sb_bind_text (stmt, 1, op_id);
  cb_sb_bind_text (stmt, 2, cb_sb_param (req, "sub"));
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      row->id = cb_sb_column_dup (stmt, 0);
      row->subscription = cb_sb_column_dup (stmt, 1);
      row->location = cb_sb_column_dup (stmt, 2);
      row->kind = cb_sb_column_dup (stmt, 3);
      row->target = cb_sb_column_dup (stmt, 4);
      row->resource_id = cb_sb_column_dup (stmt, 5);
      row->status = cb_sb_column_dup (stmt, 6);
      row->final_kind = sqlite3_column_int (stmt, 7);
      row->start_usec = sqlite3_column_int64 (stmt, 8);
      row->end_usec = sqlite3_column_int64 (stmt, 9);
      row->error_code = cb_sb_column_dup (stmt, 10);
      row->error_message = cb_sb_column_dup (stmt, 11);
      row->error_http = sqlite3_column_int (stmt, 12);
    }
  cb_sb_stmt_done (stmt);

  if (row->id == NULL)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_NOT_FOUND, "ResourceNotFound", NULL,
                             "The operation '%s' was not found in subscription '%s'.",
                             op_id, cb_sb_param (req, "sub"));
      return FALSE;
    }

  return cb_sb_require_permission (req, row->resource_id, OP_STATUS_READ, CB_SB_PERM_READ);
}

static void
add_error_object (JsonBuilder *b,
                  const char  *code,
                  const char  *message)
{
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  add_string (b, "code", code);
  add_string (b, "message", message);
  json_builder_end_object (b);
}

static void
handle_operation_status (CbSbRequest *req)
{
  g_auto(OperationRow) row = { 0 };
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *id = NULL;
  gboolean running;

  if (!operation_begin (req, &row))
    return;

  running = g_strcmp0 (row.status, "InProgress") == 0;
  id = g_strdup_printf ("/subscriptions/%s/providers/Microsoft.DeviceRegistry/locations/%s/"
                        "operationStatuses/%s", row.subscription, row.location, row.id);

  b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "id", id);
  add_string (b, "name", row.id);
  add_string (b, "resourceId", row.resource_id);
  add_string (b, "status", row.status);
  json_builder_set_member_name (b, "percentComplete");
  json_builder_add_double_value (b, running ? 50.0 : 100.0);
  add_time_usec (b, "startTime", row.start_usec);
  if (!running)
    add_time_usec (b, "endTime", row.end_usec);
  if (g_strcmp0 (row.status, "Failed") == 0)
    add_error_object (b, row.error_code, row.error_message);
  json_builder_end_object (b);

  if (running)
    {
      g_autofree char *retry = g_strdup_printf ("%u", retry_after_seconds (req->sandbox));

      cb_sb_set_header (req, "Retry-After", retry);
    }

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static JsonNode *
resource_json_for (CbSandbox    *self,
                   OperationRow *row,
                   const char   *api_version)
{
  if (g_str_has_prefix (row->kind, "ns-"))
    return namespace_json (self, row->target, api_version);
  if (g_str_has_prefix (row->kind, "credential-"))
    return credential_json (self, row->target, api_version);
  if (g_str_has_prefix (row->kind, "policy-"))
    return policy_json (self, row->target, api_version);

  return device_json (self, row->target, api_version);
}

static void
handle_operation_result (CbSbRequest *req)
{
  g_auto(OperationRow) row = { 0 };
  g_autoptr(JsonBuilder) b = NULL;

  if (!operation_begin (req, &row))
    return;

  if (g_strcmp0 (row.status, "InProgress") == 0)
    {
      g_autofree char *retry = g_strdup_printf ("%u", retry_after_seconds (req->sandbox));
      g_autofree char *sub = g_uri_escape_string (row.subscription, NULL, TRUE);
      g_autofree char *path = g_strdup_printf ("/arm/subscriptions/%s/providers/"
                                               "Microsoft.DeviceRegistry/locations/%s/"
                                               "operationResults/%s?api-version=%s",
                                               sub, row.location, row.id, api_version_of (req));
      g_autofree char *url = cb_sb_url (req, path);

      cb_sb_set_header (req, "Location", url);
      cb_sb_set_header (req, "Retry-After", retry);
      cb_sb_reply_empty (req, SOUP_STATUS_ACCEPTED);
      return;
    }

  if (row.final_kind == FINAL_REVOKE)
    {
      b = json_builder_new ();
      json_builder_begin_object (b);
      add_string (b, "result", row.status);
      if (g_strcmp0 (row.status, "Failed") == 0)
        add_error_object (b, row.error_code, row.error_message);
      json_builder_end_object (b);
      cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
      return;
    }

  if (g_strcmp0 (row.status, "Failed") == 0)
    {
      cb_sb_reply_arm_error (req, row.error_http >= 400 ? row.error_http : 500,
                             row.error_code != NULL ? row.error_code : "InternalServerError",
                             NULL, "%s", row.error_message != NULL ? row.error_message : "");
      return;
    }

  if (row.final_kind == FINAL_RESOURCE)
    {
      JsonNode *node = resource_json_for (req->sandbox, &row, api_version_of (req));

      if (node != NULL)
        {
          cb_sb_reply_json (req, SOUP_STATUS_OK, node);
          return;
        }
    }

  cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
}

/* ---- Hub CA certificates (Microsoft.Devices) -------------------------------------------- */

static char *
http_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);

  return soup_date_time_to_string (dt, SOUP_DATE_HTTP);
}

static JsonNode *
hub_certificate_json (CbSandbox  *self,
                      const char *hub_id,
                      const char *hub,
                      const char *name)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *id = NULL;
  g_autofree char *expiry = NULL;
  g_autofree char *created = NULL;
  g_autofree char *updated = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self,
                        "SELECT c.name, c.etag, c.created, c.updated, c.policy_id, i.cert, "
                        "  i.subject, i.thumbprint, i.not_after "
                        "FROM ca_hub_certificates c JOIN ca_issuers i ON i.id = c.issuer_id "
                        "WHERE c.hub = ? AND c.name = ?");
  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, name);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_stmt_done (stmt);
      return NULL;
    }

  der = g_bytes_new (sqlite3_column_blob (stmt, 5), sqlite3_column_bytes (stmt, 5));
  pem = cb_sb_der_to_pem ("CERTIFICATE", der);
  id = g_strdup_printf ("%s/certificates/%s", hub_id, sqlite3_column_text (stmt, 0));
  expiry = http_date (sqlite3_column_int64 (stmt, 8));
  created = http_date (sqlite3_column_int64 (stmt, 2));
  updated = http_date (sqlite3_column_int64 (stmt, 3));

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  add_string (b, "subject", (const char *) sqlite3_column_text (stmt, 6));
  add_string (b, "expiry", expiry);
  add_string (b, "thumbprint", (const char *) sqlite3_column_text (stmt, 7));
  json_builder_set_member_name (b, "isVerified");
  json_builder_add_boolean_value (b, FALSE);
  add_string (b, "created", created);
  add_string (b, "updated", updated);
  add_string (b, "certificate", pem);
  add_string_opt (b, "policyResourceId", (const char *) sqlite3_column_text (stmt, 4));
  json_builder_end_object (b);
  add_string (b, "id", id);
  add_string (b, "name", (const char *) sqlite3_column_text (stmt, 0));
  add_string (b, "etag", (const char *) sqlite3_column_text (stmt, 1));
  add_string (b, "type", TYPE_HUB_CERT);
  json_builder_end_object (b);
  cb_sb_stmt_done (stmt);

  return json_builder_get_root (b);
}

/* Authenticates and finds the hub in the subscription and group; returns its name as
 * stored. */
static char *
hub_begin (CbSbRequest    *req,
           const char     *action,
           CbSbPermission  perm,
           char          **hub_id)
{
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  const char *hub = cb_sb_param (req, "hub");
  g_autofree char *id = hub_resource_id (sub, rg, hub);
  char *name = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (!cb_sb_require_bearer (req, CB_SB_AUD_ARM) ||
      !cb_sb_require_api_version (req, CB_SB_HUB_ARM_API_VERSION, NULL) ||
      !cb_sb_require_permission (req, id, action, perm))
    return NULL;

  cb_sb_arm_run_due_operations (req->sandbox);

  stmt = cb_sb_prepare (req->sandbox,
                        "SELECT name FROM hubs WHERE name = ? COLLATE NOCASE "
                        "  AND subscription = ? COLLATE NOCASE "
                        "  AND resource_group = ? COLLATE NOCASE");
  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, sub);
  cb_sb_bind_text (stmt, 3, rg);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    name = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  if (name == NULL)
    {
      g_autofree char *what = g_strdup_printf ("Microsoft.Devices/IotHubs/%s", hub);

      reply_not_found (req, what, rg);
      return NULL;
    }

  *hub_id = g_steal_pointer (&id);
  return name;
}

static void
handle_hub_certificates_list (CbSbRequest *req)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *hub_id = NULL;
  g_autofree char *hub = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  if ((hub = hub_begin (req, OP_HUB_CERT_READ, CB_SB_PERM_READ, &hub_id)) == NULL)
    return;

  stmt = cb_sb_prepare (req->sandbox,
                        "SELECT name FROM ca_hub_certificates WHERE hub = ? ORDER BY name");
  cb_sb_bind_text (stmt, 1, hub);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (names, cb_sb_column_dup (stmt, 0));
  cb_sb_stmt_done (stmt);

  /* CertificateListDescription is not pageable: {"value": [...]} */
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++)
    {
      JsonNode *node = hub_certificate_json (req->sandbox, hub_id, hub,
                                             g_ptr_array_index (names, i));
      if (node != NULL)
        json_builder_add_value (b, node);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
reply_hub_certificate_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("Microsoft.Devices/IotHubs/%s/certificates/%s",
                                           cb_sb_param (req, "hub"), cb_sb_param (req, "name"));

  reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
handle_hub_certificate_get (CbSbRequest *req)
{
  g_autofree char *hub_id = NULL;
  g_autofree char *hub = NULL;
  JsonNode *node;

  if ((hub = hub_begin (req, OP_HUB_CERT_READ, CB_SB_PERM_READ, &hub_id)) == NULL)
    return;

  node = hub_certificate_json (req->sandbox, hub_id, hub, cb_sb_param (req, "name"));
  if (node == NULL)
    reply_hub_certificate_not_found (req);
  else
    cb_sb_reply_json (req, SOUP_STATUS_OK, node);
}

static void
hub_certificate_delete (CbSbRequest *req)
{
  g_autofree char *hub_id = NULL;
  g_autofree char *hub = NULL;
  g_autofree char *etag = NULL;
  const char *name = cb_sb_param (req, "name");
  const char *if_match = cb_sb_header (req, "If-Match");
  g_autoptr(CbSbStmt) stmt = NULL;

  if ((hub = hub_begin (req, OP_HUB_CERT_DELETE, CB_SB_PERM_WRITE, &hub_id)) == NULL)
    return;

  stmt = cb_sb_prepare (req->sandbox,
                        "SELECT etag FROM ca_hub_certificates WHERE hub = ? AND name = ?");
  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    etag = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  if (etag == NULL)
    {
      reply_hub_certificate_not_found (req);
      return;
    }

  if (if_match == NULL)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest", "If-Match",
                             "The If-Match header is required to delete a certificate: send "
                             "its etag (or *).");
      return;
    }
  if (!g_str_equal (if_match, "*") && !g_str_equal (if_match, etag))
    {
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", etag);

      if (!g_str_equal (if_match, quoted))
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_PRECONDITION_FAILED, "PreconditionFailed",
                                 "If-Match",
                                 "The etag '%s' does not match the certificate's current etag.",
                                 if_match);
          return;
        }
    }

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (req->sandbox, "DELETE FROM ca_hub_certificates WHERE hub = ? AND name = ?");
  cb_sb_bind_text (stmt, 1, hub);
  cb_sb_bind_text (stmt, 2, name);
  cb_sb_step_done (req->sandbox, stmt, NULL);

  cb_sb_reply_empty (req, SOUP_STATUS_OK);
}

static void
handle_hub_certificate_delete (CbSbRequest *req)
{
  g_autofree char *id = NULL;
  g_autofree char *hub_id = hub_resource_id (cb_sb_param (req, "sub"), cb_sb_param (req, "rg"),
                                             cb_sb_param (req, "hub"));

  hub_certificate_delete (req);
  id = g_strdup_printf ("%s/certificates/%s", hub_id, cb_sb_param (req, "name"));
  log_write (req, OP_HUB_CERT_DELETE, id);
}

/* ---- The cross-module API --------------------------------------------------------------- */

gboolean
cb_sandbox_adr_create_namespace (CbSandbox   *self,
                                 const char  *subscription,
                                 const char  *resource_group,
                                 const char  *name,
                                 const char  *location,
                                 GError     **error)
{
  g_autofree char *ns_id = NULL;
  g_autofree char *state = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!valid_namespace_name (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The namespace name “%s” is invalid", name);
      return FALSE;
    }

  ns_id = cb_sb_namespace_id (subscription, resource_group, name);
  state = namespace_state (self, ns_id, NULL);
  if (state != NULL)
    return TRUE;

  insert_namespace (self, subscription, resource_group, name, location, NULL, "Succeeded",
                    actor_for (NULL));
  state = namespace_state (self, ns_id, NULL);
  if (state == NULL)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_sandbox_adr_create_credential (CbSandbox   *self,
                                  const char  *namespace_id,
                                  GError     **error)
{
  g_autofree char *location = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  Actor actor = actor_for (NULL);
  g_autoptr(CbSbStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  ns_state = namespace_state (self, namespace_id, &location);
  if (ns_state == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The namespace %s does not exist", namespace_id);
      return FALSE;
    }

  cb_sb_begin (self);
  state = credential_state (self, namespace_id, NULL);
  if (state == NULL)
    {
      stmt = cb_sb_prepare (self,
                            "INSERT INTO adr_credentials (namespace_id, location, tags, state, "
                            SYSDATA_COLUMNS ") VALUES (?1, ?2, NULL, 'Succeeded', ?3, ?4, ?5, "
                            "  ?3, ?4, ?5)");
      cb_sb_bind_text (stmt, 1, namespace_id);
      cb_sb_bind_text (stmt, 2, location);
      cb_sb_bind_text (stmt, 3, actor.name);
      cb_sb_bind_text (stmt, 4, actor.type);
      sqlite3_bind_int64 (stmt, 5, cb_sandbox_now_usec (self));
      if (!cb_sb_step_done (self, stmt, error))
        {
          cb_sb_rollback (self);
          return FALSE;
        }
    }
  else
    {
      set_state (self, "adr_credentials", "namespace_id", namespace_id, "Succeeded");
    }

  if (!cb_sb_ca_create_root (self, namespace_id, error))
    {
      cb_sb_rollback (self);
      return FALSE;
    }

  cb_sb_commit (self);
  return TRUE;
}

gboolean
cb_sandbox_adr_create_policy (CbSandbox   *self,
                              const char  *namespace_id,
                              const char  *policy,
                              guint        validity_days,
                              gboolean     byor,
                              GError     **error)
{
  g_autofree char *policy_id = NULL;
  g_autofree char *issuer = NULL;
  g_auto(PolicyRow) row = { 0 };
  g_autoptr(CbSbStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!valid_child_name (policy))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The policy name “%s” is invalid", policy);
      return FALSE;
    }
  if (validity_days < MIN_VALIDITY_DAYS || validity_days > MAX_VALIDITY_DAYS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "validityPeriodInDays must be between %d and %d", MIN_VALIDITY_DAYS,
                   MAX_VALIDITY_DAYS);
      return FALSE;
    }
  if (!cb_sb_ca_has_root (self, namespace_id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The namespace %s has no credential", namespace_id);
      return FALSE;
    }

  policy_id = cb_sb_policy_id (namespace_id, policy);
  if (policy_row (self, policy_id, &row))
    return TRUE;

  if (count_policies (self, namespace_id) >= self->max_policies)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "The credential of %s already has its maximum of %u policies",
                   namespace_id, self->max_policies);
      return FALSE;
    }

  cb_sb_begin (self);
  insert_policy (self, namespace_id, policy_id, policy, validity_days, byor, NULL, NULL,
                 "Succeeded", actor_for (NULL));
  issuer = cb_sb_ca_create_issuer (self, namespace_id, policy_id, byor, error);
  if (issuer == NULL)
    {
      cb_sb_rollback (self);
      return FALSE;
    }
  stmt = cb_sb_prepare (self, "UPDATE adr_policies SET issuer_id = ? WHERE id = ?");
  cb_sb_bind_text (stmt, 1, issuer);
  cb_sb_bind_text (stmt, 2, policy_id);
  if (!cb_sb_step_done (self, stmt, error))
    {
      cb_sb_rollback (self);
      return FALSE;
    }

  cb_sb_commit (self);
  return TRUE;
}

gboolean
cb_sandbox_adr_synchronize (CbSandbox   *self,
                            const char  *namespace_id,
                            GError     **error)
{
  g_autoptr(GPtrArray) hubs = NULL;
  g_autoptr(GPtrArray) policies = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbSbStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  /* (policy id, name, issuer id) triples of policies whose ICA is active */
  stmt = cb_sb_prepare (self,
                        "SELECT p.id, p.name, p.issuer_id FROM adr_policies p "
                        "JOIN ca_issuers i ON i.id = p.issuer_id "
                        "WHERE p.namespace_id = ? AND i.status = 'active' ORDER BY p.name");
  cb_sb_bind_text (stmt, 1, namespace_id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (policies, cb_sb_column_dup (stmt, 0));
      g_ptr_array_add (policies, cb_sb_column_dup (stmt, 1));
      g_ptr_array_add (policies, cb_sb_column_dup (stmt, 2));
    }
  cb_sb_stmt_done (stmt);

  hubs = hubs_of_namespace (self, namespace_id);

  cb_sb_begin (self);
  for (guint i = 0; i < hubs->len; i++)
    for (guint j = 0; j + 2 < policies->len; j += 3)
      if (!cb_sb_ca_put_hub_certificate (self, g_ptr_array_index (hubs, i),
                                         g_ptr_array_index (policies, j + 1),
                                         g_ptr_array_index (policies, j + 2),
                                         g_ptr_array_index (policies, j), error))
        {
          cb_sb_rollback (self);
          return FALSE;
        }
  cb_sb_commit (self);

  return TRUE;
}

gboolean
cb_sandbox_adr_ensure_device (CbSandbox   *self,
                              const char  *namespace_id,
                              const char  *device_name,
                              const char  *policy_id,
                              GError     **error)
{
  g_autofree char *location = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *id = NULL;
  g_autofree char *state = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  ns_state = namespace_state (self, namespace_id, &location);
  if (ns_state == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The namespace %s does not exist", namespace_id);
      return FALSE;
    }

  id = device_id (namespace_id, device_name);
  state = device_state (self, id, NULL, NULL);

  if (state != NULL)
    {
      if (policy_id == NULL)
        return TRUE;

      stmt = cb_sb_prepare (self, "UPDATE adr_devices SET policy_id = ? WHERE id = ? "
                                  "  AND (policy_id IS NULL OR policy_id != ?)");
      cb_sb_bind_text (stmt, 1, policy_id);
      cb_sb_bind_text (stmt, 2, id);
      cb_sb_bind_text (stmt, 3, policy_id);
      return cb_sb_step_done (self, stmt, error);
    }

  {
    g_autofree char *uuid = g_uuid_string_random ();
    g_autofree char *identifier = g_uuid_string_random ();
    g_autofree char *etag = new_etag ();
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) props = NULL;
    g_autofree char *props_text = NULL;
    Actor actor = actor_for (NULL);

    /* The DPS registration id is the hub device id and the ADR device's external id. */
    json_builder_begin_object (b);
    add_string (b, "externalDeviceId", device_name);
    json_builder_end_object (b);
    props = json_builder_get_root (b);
    props_text = json_to_string (props, FALSE);

    cb_sb_stmt_release (stmt);
    stmt = cb_sb_prepare (self,
                          "INSERT INTO adr_devices (id, namespace_id, name, location, tags, uuid, "
                          "  enabled, props, policy_id, identifier, version, etag, state, "
                          SYSDATA_COLUMNS ") VALUES (?1, ?2, ?3, ?4, NULL, ?5, 1, ?6, ?7, ?8, 1, "
                          "  ?9, 'Succeeded', ?10, ?11, ?12, ?10, ?11, ?12)");
    cb_sb_bind_text (stmt, 1, id);
    cb_sb_bind_text (stmt, 2, namespace_id);
    cb_sb_bind_text (stmt, 3, device_name);
    cb_sb_bind_text (stmt, 4, location);
    cb_sb_bind_text (stmt, 5, uuid);
    cb_sb_bind_text (stmt, 6, props_text);
    cb_sb_bind_text (stmt, 7, policy_id);
    cb_sb_bind_text (stmt, 8, identifier);
    cb_sb_bind_text (stmt, 9, etag);
    cb_sb_bind_text (stmt, 10, actor.name);
    cb_sb_bind_text (stmt, 11, actor.type);
    sqlite3_bind_int64 (stmt, 12, cb_sandbox_now_usec (self));
    return cb_sb_step_done (self, stmt, error);
  }
}

/* ---- Routes ----------------------------------------------------------------------------- */

#define SUB "/arm/subscriptions/{sub}"
#define NS  SUB "/resourceGroups/{rg}/providers/Microsoft.DeviceRegistry/namespaces/{ns}"
#define CRED NS "/credentials/default"
#define POL CRED "/policies/{policy}"
#define DEV NS "/devices/{device}"
#define HUB SUB "/resourceGroups/{rg}/providers/Microsoft.Devices/IotHubs/{hub}"
#define LOC SUB "/providers/Microsoft.DeviceRegistry/locations/{location}"

gboolean
cb_sandbox_arm_init (CbSandbox  *self,
                     GError    **error)
{
  const struct
  {
    const char  *method;
    const char  *pattern;
    CbSbHandler  handler;
  } routes[] = {
    { "GET", SUB "/providers/Microsoft.DeviceRegistry/namespaces",
      handle_namespaces_list_subscription },
    { "GET", LOC "/operationStatuses/{opId}", handle_operation_status },
    { "GET", LOC "/operationResults/{opId}", handle_operation_result },
    { "GET", SUB "/resourceGroups/{rg}/providers/Microsoft.DeviceRegistry/namespaces",
      handle_namespaces_list_group },
    { "GET", NS, handle_namespace_get },
    { "PUT", NS, handle_namespace_put },
    { "PATCH", NS, handle_namespace_patch },
    { "DELETE", NS, handle_namespace_delete },
    { "GET", NS "/credentials", handle_credentials_list },
    { "GET", CRED, handle_credential_get },
    { "PUT", CRED, handle_credential_put },
    { "PATCH", CRED, handle_credential_patch },
    { "DELETE", CRED, handle_credential_delete },
    { "POST", CRED "/synchronize", handle_credential_synchronize },
    { "GET", CRED "/policies", handle_policies_list },
    { "GET", POL, handle_policy_get },
    { "PUT", POL, handle_policy_put },
    { "PATCH", POL, handle_policy_patch },
    { "DELETE", POL, handle_policy_delete },
    { "POST", POL "/revokeIssuer", handle_policy_revoke_issuer },
    { "POST", POL "/activateBringYourOwnRoot", handle_policy_activate },
    { "GET", NS "/devices", handle_devices_list },
    { "GET", DEV, handle_device_get },
    { "PUT", DEV, handle_device_put },
    { "PATCH", DEV, handle_device_patch },
    { "DELETE", DEV, handle_device_delete },
    { "POST", DEV "/revoke", handle_device_revoke },
    { "GET", HUB "/certificates", handle_hub_certificates_list },
    { "GET", HUB "/certificates/{name}", handle_hub_certificate_get },
    { "DELETE", HUB "/certificates/{name}", handle_hub_certificate_delete },
  };

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!cb_sb_exec (self, schema, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    cb_sandbox_add_route (self, routes[i].method, routes[i].pattern, CB_SB_STYLE_ARM,
                          routes[i].handler);

  return TRUE;
}
