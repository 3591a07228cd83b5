/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

#include "config.h"

#include <string.h>

#include "cb-sandbox-private.h"
#include "cb-sas.h"
#include "cb-util.h"

/* The Device Provisioning Service: the device API under /dps/{idScope} (registration with a
 * CSR, operation polling, status lookup) and the service API under /dps-service/{dpsName}
 * (enrollment groups and individual enrollments with credentialPolicyName).
 *
 * Azure publishes no CSR-specific DPS error codes (reference §2.6), so the sandbox uses these
 * errorCode values; the first three digits are the HTTP status:
 *
 *   400001  api-version missing or unsupported        (infrastructure)
 *   400004  empty body, 400006 malformed JSON         (infrastructure)
 *   400101  the body is not a DeviceRegistration object or lacks registrationId
 *   400102  registrationId in the body differs from the one in the path
 *   400103  registrationId is not valid (length, characters)
 *   400201  csr is not a base64 string
 *   400202  csr carries PEM armour (-----BEGIN ...)
 *   400203  csr does not decode as a PKCS#10 request
 *   400204  csr key is RSA or another key than EC P-256/P-384
 *   400205  csr subject CN differs from the registrationId
 *   400206  csr signature does not verify
 *   400207  csr sent to the status lookup (POST registrations/{id})
 *   400301  service API: the enrollment (group) body is not valid
 *   401002  SAS missing, malformed, expired, for another resource or not signed with the
 *           enrollment's (derived) key; unknown ID scope
 *   404201  no such registration or operation
 *   404301  service API: no such enrollment (group)
 *   412301  service API: If-Match does not match the enrollment's etag
 *
 * registrationState.errorCode of operations that end "failed" (or "disabled"):
 *   400208  a csr was sent but the enrollment has no credentialPolicyName
 *   403209  the device is disabled (IoT hub identity or ADR device)
 *   403210  the enrollment (group) is disabled                    (status "disabled")
 *   404211  the credential policy does not exist (missing or deleted)
 *   409212  the policy cannot issue now (e.g. bring-your-own-root pending activation)
 *   409213  the DPS instance has no linked IoT hub
 *   500214  internal failure, or the fault rule asked for it ("dps": "failed")
 */

#define DPS_API_VERSION_GA     "2021-06-01"
#define DPS_SERVICE_VERSION_GA "2021-10-01"
#define MAX_CSR_BYTES          8192
#define MAX_PAGE_SIZE          1000

static const char dps_schema[] =
  "CREATE TABLE IF NOT EXISTS dps_enrollment_groups ("
  "  dps TEXT NOT NULL COLLATE NOCASE,"
  "  group_id TEXT NOT NULL COLLATE NOCASE,"
  "  primary_key TEXT NOT NULL,"
  "  secondary_key TEXT NOT NULL,"
  "  credential_policy_name TEXT,"
  "  provisioning_status TEXT NOT NULL,"
  "  etag TEXT NOT NULL,"
  "  extra TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  PRIMARY KEY (dps, group_id)) STRICT;"
  "CREATE TABLE IF NOT EXISTS dps_enrollments ("
  "  dps TEXT NOT NULL COLLATE NOCASE,"
  "  registration_id TEXT NOT NULL COLLATE NOCASE,"
  "  device_id TEXT,"
  "  primary_key TEXT NOT NULL,"
  "  secondary_key TEXT NOT NULL,"
  "  credential_policy_name TEXT,"
  "  provisioning_status TEXT NOT NULL,"
  "  etag TEXT NOT NULL,"
  "  extra TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  PRIMARY KEY (dps, registration_id)) STRICT;"
  "CREATE TABLE IF NOT EXISTS dps_registrations ("
  "  dps TEXT NOT NULL COLLATE NOCASE,"
  "  registration_id TEXT NOT NULL COLLATE NOCASE,"
  "  device_id TEXT,"
  "  assigned_hub TEXT,"
  "  enrollment_group_id TEXT,"
  "  status TEXT NOT NULL,"
  "  substatus TEXT,"
  "  error_code INTEGER,"
  "  error_message TEXT,"
  "  etag TEXT NOT NULL,"
  "  operation_id TEXT,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  PRIMARY KEY (dps, registration_id)) STRICT;"
  "CREATE TABLE IF NOT EXISTS dps_operations ("
  "  operation_id TEXT PRIMARY KEY,"
  "  dps TEXT NOT NULL COLLATE NOCASE,"
  "  registration_id TEXT NOT NULL COLLATE NOCASE,"
  "  started INTEGER NOT NULL,"
  "  status TEXT NOT NULL,"
  "  substatus TEXT,"
  "  device_id TEXT,"
  "  assigned_hub TEXT,"
  "  enrollment_group_id TEXT,"
  "  error_code INTEGER,"
  "  error_message TEXT,"
  "  chain TEXT,"
  "  registration_created INTEGER NOT NULL,"
  "  etag TEXT NOT NULL,"
  "  updated INTEGER NOT NULL) STRICT;";

/* ---- Small helpers --------------------------------------------------------------------- */

static void
bind_text (sqlite3_stmt *stmt,
           int           col,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, col);
  else
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_TRANSIENT);
}

static gboolean
step_done (CbSandbox     *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }
  return TRUE;
}

static const char *
member_string (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

/* Present and neither null nor a string. */
static gboolean
member_not_string (JsonObject *obj,
                   const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) && member_string (obj, name) == NULL;
}

static char *
format_usec (gint64 usec)
{
  return cb_time_format_precise (usec);
}

/* DPS etags are base64 of a quoted opaque value, e.g. "IjY5MDAzNTUy..." */
static char *
new_etag (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", uuid);

  return g_base64_encode ((const guchar *) quoted, strlen (quoted));
}

/* Registration and enrollment ids: up to 128 characters, letters, digits and - . _ :, the
 * last one a letter, a digit or '-'. */
static gboolean
registration_id_is_valid (const char *id)
{
  gsize len = strlen (id);
  char last;

  if (len == 0 || len > 128)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-._:", *p) == NULL)
      return FALSE;
  last = id[len - 1];
  return g_ascii_isalnum (last) || last == '-';
}

static gboolean
key_is_valid (const char *key)
{
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  for (const char *p = key; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return FALSE;
  raw = g_base64_decode (key, &len);
  return len >= 16 && len <= 64;
}

/* ---- DPS instances --------------------------------------------------------------------- */

typedef struct
{
  char *name;
  char *id_scope;
  char *namespace_id;
  char *linked_hub;
  char *host_name;
  char *owner_key;
} DpsInstance;

static void
dps_instance_free (DpsInstance *dps)
{
  if (dps == NULL)
    return;
  g_free (dps->name);
  g_free (dps->id_scope);
  g_free (dps->namespace_id);
  g_free (dps->linked_hub);
  g_free (dps->host_name);
  g_free (dps->owner_key);
  g_free (dps);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DpsInstance, dps_instance_free)

static DpsInstance *
dps_instance_load (CbSandbox  *self,
                   const char *column,
                   const char *value)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT name, id_scope, namespace_id, linked_hub, host_name, owner_key "
      "FROM dps_instances WHERE %s = ?", column);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);
  DpsInstance *dps = NULL;

  bind_text (stmt, 1, value);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      dps = g_new0 (DpsInstance, 1);
      dps->name = cb_sb_column_dup (stmt, 0);
      dps->id_scope = cb_sb_column_dup (stmt, 1);
      dps->namespace_id = cb_sb_column_dup (stmt, 2);
      dps->linked_hub = cb_sb_column_dup (stmt, 3);
      dps->host_name = cb_sb_column_dup (stmt, 4);
      dps->owner_key = cb_sb_column_dup (stmt, 5);
    }
  sqlite3_reset (stmt);

  return dps;
}

static char *
hub_host_name (CbSandbox  *self,
               const char *hub)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT host_name FROM hubs WHERE name = ?");
  char *host = NULL;

  bind_text (stmt, 1, hub);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    host = cb_sb_column_dup (stmt, 0);
  sqlite3_reset (stmt);

  return host;
}

/* ---- Enrollments ----------------------------------------------------------------------- */

typedef struct
{
  gboolean    is_group;
  char       *id;                /* enrollmentGroupId or registrationId */
  char       *device_id;         /* individual enrollments only, may be NULL */
  char       *primary_key;
  char       *secondary_key;
  char       *policy;            /* credentialPolicyName, may be NULL */
  char       *provisioning_status;
  char       *etag;
  JsonObject *extra;             /* other fields the client set, echoed back */
  gint64      created;
  gint64      updated;
} Enrollment;

static void
enrollment_free (Enrollment *e)
{
  if (e == NULL)
    return;
  g_free (e->id);
  g_free (e->device_id);
  g_free (e->primary_key);
  g_free (e->secondary_key);
  g_free (e->policy);
  g_free (e->provisioning_status);
  g_free (e->etag);
  g_clear_pointer (&e->extra, json_object_unref);
  g_free (e);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Enrollment, enrollment_free)

static JsonObject *
object_from_text (const char *text)
{
  g_autoptr(JsonNode) node = text != NULL ? json_from_string (text, NULL) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    return json_object_ref (json_node_get_object (node));
  return json_object_new ();
}

static char *
object_to_text (JsonObject *obj)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, obj);
  return json_to_string (node, FALSE);
}

#define GROUP_COLUMNS "group_id, NULL, primary_key, secondary_key, credential_policy_name, " \
                      "provisioning_status, etag, extra, created, updated"
#define ENROLLMENT_COLUMNS "registration_id, device_id, primary_key, secondary_key, " \
                           "credential_policy_name, provisioning_status, etag, extra, created, updated"

static Enrollment *
enrollment_from_row (sqlite3_stmt *stmt,
                     gboolean      is_group)
{
  Enrollment *e = g_new0 (Enrollment, 1);

  e->is_group = is_group;
  e->id = cb_sb_column_dup (stmt, 0);
  e->device_id = cb_sb_column_dup (stmt, 1);
  e->primary_key = cb_sb_column_dup (stmt, 2);
  e->secondary_key = cb_sb_column_dup (stmt, 3);
  e->policy = cb_sb_column_dup (stmt, 4);
  e->provisioning_status = cb_sb_column_dup (stmt, 5);
  e->etag = cb_sb_column_dup (stmt, 6);
  e->extra = object_from_text ((const char *) sqlite3_column_text (stmt, 7));
  e->created = sqlite3_column_int64 (stmt, 8);
  e->updated = sqlite3_column_int64 (stmt, 9);

  return e;
}

static Enrollment *
enrollment_load (CbSandbox  *self,
                 const char *dps,
                 gboolean    is_group,
                 const char *id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, is_group
      ? "SELECT " GROUP_COLUMNS " FROM dps_enrollment_groups WHERE dps = ? AND group_id = ?"
      : "SELECT " ENROLLMENT_COLUMNS " FROM dps_enrollments WHERE dps = ? AND registration_id = ?");
  Enrollment *e = NULL;

  bind_text (stmt, 1, dps);
  bind_text (stmt, 2, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    e = enrollment_from_row (stmt, is_group);
  sqlite3_reset (stmt);

  return e;
}

static GPtrArray *
enrollment_list (CbSandbox  *self,
                 const char *dps,
                 gboolean    is_group)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) enrollment_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, is_group
      ? "SELECT " GROUP_COLUMNS " FROM dps_enrollment_groups WHERE dps = ? ORDER BY group_id"
      : "SELECT " ENROLLMENT_COLUMNS " FROM dps_enrollments WHERE dps = ? ORDER BY registration_id");

  bind_text (stmt, 1, dps);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (list, enrollment_from_row (stmt, is_group));
  sqlite3_reset (stmt);

  return list;
}

static gboolean
enrollment_save (CbSandbox   *self,
                 const char  *dps,
                 Enrollment  *e,
                 GError     **error)
{
  g_autofree char *extra = object_to_text (e->extra);
  g_autoptr(CbSbStmt) stmt = NULL;

  if (e->is_group)
    {
      stmt = cb_sb_prepare (self,
          "INSERT OR REPLACE INTO dps_enrollment_groups (dps, group_id, primary_key, secondary_key, "
          "credential_policy_name, provisioning_status, etag, extra, created, updated) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      bind_text (stmt, 1, dps);
      bind_text (stmt, 2, e->id);
      bind_text (stmt, 3, e->primary_key);
      bind_text (stmt, 4, e->secondary_key);
      bind_text (stmt, 5, e->policy);
      bind_text (stmt, 6, e->provisioning_status);
      bind_text (stmt, 7, e->etag);
      bind_text (stmt, 8, extra);
      sqlite3_bind_int64 (stmt, 9, e->created);
      sqlite3_bind_int64 (stmt, 10, e->updated);
    }
  else
    {
      cb_sb_stmt_release (stmt);
      stmt = cb_sb_prepare (self,
          "INSERT OR REPLACE INTO dps_enrollments (dps, registration_id, device_id, primary_key, "
          "secondary_key, credential_policy_name, provisioning_status, etag, extra, created, updated) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      bind_text (stmt, 1, dps);
      bind_text (stmt, 2, e->id);
      bind_text (stmt, 3, e->device_id);
      bind_text (stmt, 4, e->primary_key);
      bind_text (stmt, 5, e->secondary_key);
      bind_text (stmt, 6, e->policy);
      bind_text (stmt, 7, e->provisioning_status);
      bind_text (stmt, 8, e->etag);
      bind_text (stmt, 9, extra);
      sqlite3_bind_int64 (stmt, 10, e->created);
      sqlite3_bind_int64 (stmt, 11, e->updated);
    }

  return step_done (self, stmt, error);
}

/* ---- Registrations and operations ------------------------------------------------------ */

typedef struct
{
  char   *operation_id;
  char   *registration_id;
  gint64  started;
  char   *status;
  char   *substatus;
  char   *device_id;
  char   *assigned_hub;
  char   *enrollment_group_id;   /* NULL for an individual enrollment */
  int     error_code;            /* 0: none */
  char   *error_message;
  char   *chain;                 /* JSON array text, or NULL */
  gint64  registration_created;
  char   *etag;
  gint64  updated;
} Operation;

static void
operation_free (Operation *op)
{
  if (op == NULL)
    return;
  g_free (op->operation_id);
  g_free (op->registration_id);
  g_free (op->status);
  g_free (op->substatus);
  g_free (op->device_id);
  g_free (op->assigned_hub);
  g_free (op->enrollment_group_id);
  g_free (op->error_message);
  g_free (op->chain);
  g_free (op->etag);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Operation, operation_free)

static Operation *
operation_load (CbSandbox  *self,
                const char *dps,
                const char *registration_id,
                const char *operation_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT operation_id, registration_id, started, status, substatus, device_id, assigned_hub, "
      "enrollment_group_id, error_code, error_message, chain, registration_created, etag, updated "
      "FROM dps_operations WHERE operation_id = ? AND dps = ? AND registration_id = ?");
  Operation *op = NULL;

  bind_text (stmt, 1, operation_id);
  bind_text (stmt, 2, dps);
  bind_text (stmt, 3, registration_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      op = g_new0 (Operation, 1);
      op->operation_id = cb_sb_column_dup (stmt, 0);
      op->registration_id = cb_sb_column_dup (stmt, 1);
      op->started = sqlite3_column_int64 (stmt, 2);
      op->status = cb_sb_column_dup (stmt, 3);
      op->substatus = cb_sb_column_dup (stmt, 4);
      op->device_id = cb_sb_column_dup (stmt, 5);
      op->assigned_hub = cb_sb_column_dup (stmt, 6);
      op->enrollment_group_id = cb_sb_column_dup (stmt, 7);
      op->error_code = sqlite3_column_int (stmt, 8);
      op->error_message = cb_sb_column_dup (stmt, 9);
      op->chain = cb_sb_column_dup (stmt, 10);
      op->registration_created = sqlite3_column_int64 (stmt, 11);
      op->etag = cb_sb_column_dup (stmt, 12);
      op->updated = sqlite3_column_int64 (stmt, 13);
    }
  sqlite3_reset (stmt);

  return op;
}

static gboolean
operation_save (CbSandbox   *self,
                const char  *dps,
                Operation   *op,
                GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT OR REPLACE INTO dps_operations (operation_id, dps, registration_id, started, status, "
      "substatus, device_id, assigned_hub, enrollment_group_id, error_code, error_message, chain, "
      "registration_created, etag, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

  bind_text (stmt, 1, op->operation_id);
  bind_text (stmt, 2, dps);
  bind_text (stmt, 3, op->registration_id);
  sqlite3_bind_int64 (stmt, 4, op->started);
  bind_text (stmt, 5, op->status);
  bind_text (stmt, 6, op->substatus);
  bind_text (stmt, 7, op->device_id);
  bind_text (stmt, 8, op->assigned_hub);
  bind_text (stmt, 9, op->enrollment_group_id);
  if (op->error_code != 0)
    sqlite3_bind_int (stmt, 10, op->error_code);
  else
    sqlite3_bind_null (stmt, 10);
  bind_text (stmt, 11, op->error_message);
  bind_text (stmt, 12, op->chain);
  sqlite3_bind_int64 (stmt, 13, op->registration_created);
  bind_text (stmt, 14, op->etag);
  sqlite3_bind_int64 (stmt, 15, op->updated);

  return step_done (self, stmt, error);
}

/* The registration record keeps the outcome of the latest registration for the status
 * lookup and the service API; the operation keeps its own snapshot for polling. */
static gboolean
registration_save (CbSandbox   *self,
                   const char  *dps,
                   Operation   *op,
                   GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT OR REPLACE INTO dps_registrations (dps, registration_id, device_id, assigned_hub, "
      "enrollment_group_id, status, substatus, error_code, error_message, etag, operation_id, "
      "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

  bind_text (stmt, 1, dps);
  bind_text (stmt, 2, op->registration_id);
  bind_text (stmt, 3, op->device_id);
  bind_text (stmt, 4, op->assigned_hub);
  bind_text (stmt, 5, op->enrollment_group_id);
  bind_text (stmt, 6, op->status);
  bind_text (stmt, 7, op->substatus);
  if (op->error_code != 0)
    sqlite3_bind_int (stmt, 8, op->error_code);
  else
    sqlite3_bind_null (stmt, 8);
  bind_text (stmt, 9, op->error_message);
  bind_text (stmt, 10, op->etag);
  bind_text (stmt, 11, op->operation_id);
  sqlite3_bind_int64 (stmt, 12, op->registration_created);
  sqlite3_bind_int64 (stmt, 13, op->updated);

  return step_done (self, stmt, error);
}

/* The latest registration of registration_id as an Operation snapshot, or NULL. */
static Operation *
registration_load (CbSandbox  *self,
                   const char *dps,
                   const char *registration_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT r.registration_id, r.device_id, r.assigned_hub, r.enrollment_group_id, r.status, "
      "r.substatus, r.error_code, r.error_message, r.etag, r.operation_id, r.created, r.updated, "
      "o.started FROM dps_registrations r LEFT JOIN dps_operations o "
      "ON o.operation_id = r.operation_id WHERE r.dps = ? AND r.registration_id = ?");
  Operation *op = NULL;

  bind_text (stmt, 1, dps);
  bind_text (stmt, 2, registration_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      op = g_new0 (Operation, 1);
      op->registration_id = cb_sb_column_dup (stmt, 0);
      op->device_id = cb_sb_column_dup (stmt, 1);
      op->assigned_hub = cb_sb_column_dup (stmt, 2);
      op->enrollment_group_id = cb_sb_column_dup (stmt, 3);
      op->status = cb_sb_column_dup (stmt, 4);
      op->substatus = cb_sb_column_dup (stmt, 5);
      op->error_code = sqlite3_column_int (stmt, 6);
      op->error_message = cb_sb_column_dup (stmt, 7);
      op->etag = cb_sb_column_dup (stmt, 8);
      op->operation_id = cb_sb_column_dup (stmt, 9);
      op->registration_created = sqlite3_column_int64 (stmt, 10);
      op->updated = sqlite3_column_int64 (stmt, 11);
      op->started = sqlite3_column_int64 (stmt, 12);
    }
  sqlite3_reset (stmt);

  return op;
}

/* Whether an operation started at started (usec) still reports "assigning". */
static gboolean
still_assigning (CbSandbox *self,
                 gint64     started)
{
  return cb_sandbox_now_usec (self) - started < (gint64) self->lro_delay_ms * 1000;
}

/* registrationState / DeviceRegistrationResult (§2.3). */
static void
add_registration_state (JsonBuilder *b,
                        Operation   *op,
                        const char  *status,
                        gboolean     with_chain)
{
  g_autofree char *created = format_usec (op->registration_created);
  g_autofree char *updated = format_usec (op->updated);
  gboolean assigned = g_strcmp0 (status, "assigned") == 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "registrationId");
  json_builder_add_string_value (b, op->registration_id);
  json_builder_set_member_name (b, "createdDateTimeUtc");
  json_builder_add_string_value (b, created);
  if (assigned)
    {
      json_builder_set_member_name (b, "assignedHub");
      json_builder_add_string_value (b, op->assigned_hub);
      json_builder_set_member_name (b, "deviceId");
      json_builder_add_string_value (b, op->device_id);
    }
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, status);
  if (assigned && op->substatus != NULL)
    {
      json_builder_set_member_name (b, "substatus");
      json_builder_add_string_value (b, op->substatus);
    }
  if (!assigned && op->error_code != 0 && g_strcmp0 (status, "assigning") != 0)
    {
      json_builder_set_member_name (b, "errorCode");
      json_builder_add_int_value (b, op->error_code);
      json_builder_set_member_name (b, "errorMessage");
      json_builder_add_string_value (b, op->error_message != NULL ? op->error_message : "");
    }
  json_builder_set_member_name (b, "lastUpdatedDateTimeUtc");
  json_builder_add_string_value (b, updated);
  json_builder_set_member_name (b, "etag");
  json_builder_add_string_value (b, op->etag);

  json_builder_set_member_name (b, "symmetricKey");
  json_builder_begin_object (b);
  if (op->enrollment_group_id != NULL)
    {
      json_builder_set_member_name (b, "enrollmentGroupId");
      json_builder_add_string_value (b, op->enrollment_group_id);
    }
  json_builder_end_object (b);

  if (assigned)
    {
      json_builder_set_member_name (b, "payload");
      json_builder_begin_object (b);
      json_builder_end_object (b);
    }

  if (with_chain && assigned && op->chain != NULL)
    {
      g_autoptr(JsonNode) chain = json_from_string (op->chain, NULL);

      if (chain != NULL && JSON_NODE_HOLDS_ARRAY (chain))
        {
          json_builder_set_member_name (b, "issuedCertificateChain");
          json_builder_add_value (b, g_steal_pointer (&chain));
        }
    }

  json_builder_end_object (b);
}

/* ---- Device API: authentication -------------------------------------------------------- */

static gboolean
device_unauthorized (CbSbRequest *req,
                     const char  *reason)
{
  cb_sb_reply_error (req, 401, "Unauthorized", 401002, "Unauthorized: %s", reason);
  return FALSE;
}

static gboolean
token_matches_key (const CbSasToken *token,
                   const char       *resource,
                   const char       *key,
                   gint64            now,
                   GError          **error)
{
  return key != NULL && cb_sas_token_verify (token, resource, key, now, error);
}

/* Verifies the device's SAS against its individual enrollment, or else against the key each
 * enrollment group derives for it (enabled groups first). Returns the enrollment, or replies
 * 401 and returns NULL. */
static Enrollment *
authenticate_device (CbSbRequest *req,
                     DpsInstance *dps,
                     const char  *registration_id)
{
  CbSandbox *self = req->sandbox;
  const char *auth = cb_sb_header (req, "Authorization");
  g_autoptr(CbSasToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Enrollment) individual = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autofree char *resource = g_strdup_printf ("%s/registrations/%s", dps->id_scope, registration_id);
  gint64 now = cb_sandbox_session_now (self);

  if (auth == NULL)
    {
      device_unauthorized (req, "the Authorization header is missing (symmetric key attestation "
                                "needs a SharedAccessSignature)");
      return NULL;
    }

  if (!(token = cb_sas_token_parse (auth, &error)))
    {
      device_unauthorized (req, error->message);
      return NULL;
    }

  if (g_strcmp0 (token->key_name, "registration") != 0)
    {
      device_unauthorized (req, "the SharedAccessSignature must use skn=registration");
      return NULL;
    }

  if (g_ascii_strcasecmp (token->resource, resource) != 0)
    {
      g_autofree char *msg = g_strdup_printf ("the token is for '%s', not for '%s'",
                                              token->resource, resource);
      device_unauthorized (req, msg);
      return NULL;
    }

  if (token->expiry <= now)
    {
      device_unauthorized (req, "the SharedAccessSignature has expired");
      return NULL;
    }

  individual = enrollment_load (self, dps->name, FALSE, registration_id);
  if (individual != NULL)
    {
      if (token_matches_key (token, resource, individual->primary_key, now, NULL) ||
          token_matches_key (token, resource, individual->secondary_key, now, NULL))
        return g_steal_pointer (&individual);

      device_unauthorized (req, "the signature does not match the individual enrollment's key");
      return NULL;
    }

  groups = enrollment_list (self, dps->name, TRUE);
  for (int pass = 0; pass < 2; pass++)
    {
      for (guint i = 0; i < groups->len; i++)
        {
          Enrollment *group = g_ptr_array_index (groups, i);
          gboolean enabled = g_strcmp0 (group->provisioning_status, "enabled") == 0;
          const char *keys[] = { group->primary_key, group->secondary_key };

          if (enabled != (pass == 0))
            continue;

          for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
            {
              g_autofree char *device_key = cb_sas_derive_device_key (keys[k], registration_id, NULL);

              if (token_matches_key (token, resource, device_key, now, NULL))
                return g_ptr_array_steal_index (groups, i);
            }
        }
    }

  device_unauthorized (req, "no enrollment matches: the signature is not made with the individual "
                            "enrollment's key or a key derived from an enrollment group's key");
  return NULL;
}

/* ---- Device API: the CSR --------------------------------------------------------------- */

/* Checks csr as §2.2 and §4.2 require. Replies 400 and returns NULL when it is not valid. */
static GBytes *
check_csr (CbSbRequest *req,
           JsonNode    *node,
           const char  *registration_id)
{
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guchar *raw = NULL;
  const char *text;
  const char *cn;
  CbKeyType key_type;
  gsize len;
  gsize raw_len = 0;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400201,
                         "Invalid csr: it must be a string holding a base64-encoded DER PKCS#10 request");
      return NULL;
    }

  text = json_node_get_string (node);
  if (strstr (text, "-----BEGIN") != NULL || strstr (text, "-----END") != NULL)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400202,
                         "Invalid csr: PEM armour is not accepted; send the base64 of the DER "
                         "request without the -----BEGIN/END CERTIFICATE REQUEST----- lines");
      return NULL;
    }

  len = strlen (text);
  if (len == 0 || len % 4 != 0)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400201,
                         "Invalid csr: it is not valid base64 (the length %zu is not a multiple of 4)",
                         len);
      return NULL;
    }
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];
      gboolean padding = c == '=' && i >= len - 2 && (i == len - 1 || text[len - 1] == '=');

      if (!g_ascii_isalnum (c) && c != '+' && c != '/' && !padding)
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400201,
                             "Invalid csr: it is not valid base64 (unexpected character at "
                             "offset %zu)", i);
          return NULL;
        }
    }

  raw = g_base64_decode (text, &raw_len);
  if (raw_len > MAX_CSR_BYTES)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400201,
                         "Invalid csr: %zu bytes is larger than the %d bytes accepted",
                         raw_len, MAX_CSR_BYTES);
      return NULL;
    }
  der = g_bytes_new_take (g_steal_pointer (&raw), raw_len);

  if (!(csr = cb_csr_new_from_der (der, &error)))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400203,
                         "Invalid csr: it is not a PKCS#10 certificate signing request (%s)",
                         error->message);
      return NULL;
    }

  if (!cb_csr_verify_signature (csr, &error))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400206,
                         "Invalid csr: its signature does not verify with its own public key (%s)",
                         error->message);
      return NULL;
    }

  key_type = cb_csr_get_key_type (csr);
  if (key_type != CB_KEY_TYPE_EC_P256 && key_type != CB_KEY_TYPE_EC_P384)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400204,
                         "Invalid csr: the key is %s; %sonly EC P-384 (or P-256) keys are accepted",
                         cb_key_type_to_string (key_type),
                         key_type == CB_KEY_TYPE_RSA ? "RSA keys aren't supported in the current preview: " : "");
      return NULL;
    }

  cn = cb_csr_get_common_name (csr);
  if (g_strcmp0 (cn, registration_id) != 0)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400205,
                         "Invalid csr: the subject's common name ('%s') must equal the "
                         "registrationId ('%s')", cn != NULL ? cn : "", registration_id);
      return NULL;
    }

  /* The same checks once more through the shared helper, so the sandbox and the station never
   * disagree on what a valid CSR is. */
  if (!cb_csr_check (csr, registration_id, NULL, &error))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400203, "Invalid csr: %s", error->message);
      return NULL;
    }

  return g_steal_pointer (&der);
}

/* ---- Device API: assignment ------------------------------------------------------------ */

static void
operation_fail (Operation  *op,
                const char *status,
                int         code,
                const char *message)
{
  g_free (op->status);
  op->status = g_strdup (status);
  op->error_code = code;
  g_free (op->error_message);
  op->error_message = g_strdup (message);
  g_clear_pointer (&op->chain, g_free);
  g_clear_pointer (&op->substatus, g_free);
}

static void
operation_fail_from_error (Operation  *op,
                           GError     *error,
                           const char *policy)
{
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      message = g_strdup_printf ("The credential policy '%s' of the enrollment cannot issue: it does "
                                 "not exist in the linked namespace (missing or deleted). Update the "
                                 "enrollment to use another policy, or disable it. (%s)",
                                 policy, error->message);
      operation_fail (op, "failed", 404211, message);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    {
      if (strstr (error->message, "disabled") != NULL)
        operation_fail (op, "failed", 403209, error->message);
      else
        operation_fail (op, "failed", 409212, error->message);
    }
  else if (error->domain == CB_X509_ERROR)
    {
      int code = error->code == CB_X509_ERROR_WRONG_NAME ? 400205
               : error->code == CB_X509_ERROR_UNSUPPORTED_KEY ? 400204
               : error->code == CB_X509_ERROR_BAD_SIGNATURE ? 400206 : 400203;

      message = g_strdup_printf ("Invalid csr: %s", error->message);
      operation_fail (op, "failed", code, message);
    }
  else
    {
      message = g_strdup_printf ("Internal error: %s", error->message);
      operation_fail (op, "failed", 500214, message);
    }
}

static char *
chain_to_json (GPtrArray *chain)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < chain->len; i++)
    {
      GBytes *der = g_ptr_array_index (chain, i);
      gsize len = 0;
      const guchar *data = g_bytes_get_data (der, &len);
      g_autofree char *b64 = g_base64_encode (data, len);

      json_array_add_string_element (array, b64);
    }

  json_node_set_array (node, array);
  return json_to_string (node, FALSE);
}

/* Assigns the device: the hub identity, the ADR device pointed at the enrollment's policy and,
 * with a CSR, the issued chain. Every outcome is recorded in op. */
static void
assign (CbSbRequest *req,
        DpsInstance *dps,
        Enrollment  *enrollment,
        Operation   *op,
        GBytes      *csr_der,
        gboolean     reprovisioned)
{
  CbSandbox *self = req->sandbox;
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *policy_id = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  const char *device_id = enrollment->device_id != NULL ? enrollment->device_id : op->registration_id;
  gboolean enabled = TRUE;

  if (g_strcmp0 (enrollment->provisioning_status, "enabled") != 0)
    {
      g_autofree char *message = g_strdup_printf ("The %s '%s' is disabled",
                                                  enrollment->is_group ? "enrollment group"
                                                                       : "enrollment",
                                                  enrollment->id);
      operation_fail (op, "disabled", 403210, message);
      return;
    }

  if (cb_sb_fault_wants (req, "dps", "failed"))
    {
      operation_fail (op, "failed", 500214, "The registration failed (sandbox fault injection)");
      return;
    }

  if (dps->linked_hub == NULL || !(host = hub_host_name (self, dps->linked_hub)))
    {
      operation_fail (op, "failed", 409213, "The DPS instance has no linked IoT hub to assign to");
      return;
    }

  if (csr_der != NULL && enrollment->policy == NULL)
    {
      operation_fail (op, "failed", 400208,
                      "A csr was sent but the enrollment has no credentialPolicyName: certificate "
                      "issuance is not configured for it");
      return;
    }

  if (cb_sandbox_hub_lookup_device (self, dps->linked_hub, device_id, &enabled) && !enabled)
    {
      g_autofree char *message = g_strdup_printf ("The device '%s' is disabled in IoT hub %s",
                                                  device_id, host);
      operation_fail (op, "failed", 403209, message);
      return;
    }

  if (csr_der != NULL)
    {
      if (dps->namespace_id == NULL)
        {
          operation_fail (op, "failed", 404211,
                          "The DPS instance is not linked to an ADR namespace: no credential "
                          "policy can issue");
          return;
        }

      policy_id = cb_sb_policy_id (dps->namespace_id, enrollment->policy);
      if (!cb_sandbox_adr_ensure_device (self, dps->namespace_id, device_id, policy_id, &error))
        {
          operation_fail_from_error (op, error, enrollment->policy);
          return;
        }

      if (!(chain = cb_sandbox_ca_issue_leaf (self, policy_id, device_id, csr_der, &error)))
        {
          operation_fail_from_error (op, error, enrollment->policy);
          return;
        }
    }

  if (!cb_sandbox_hub_ensure_device (self, dps->linked_hub, device_id, &error))
    {
      operation_fail_from_error (op, error, enrollment->policy);
      return;
    }

  g_free (op->status);
  op->status = g_strdup ("assigned");
  g_free (op->substatus);
  op->substatus = g_strdup (reprovisioned ? "reprovisionedToInitialAssignment" : "initialAssignment");
  g_free (op->device_id);
  op->device_id = g_strdup (device_id);
  g_free (op->assigned_hub);
  op->assigned_hub = g_strdup (host);
  op->error_code = 0;
  g_clear_pointer (&op->error_message, g_free);
  g_clear_pointer (&op->chain, g_free);
  if (chain != NULL)
    op->chain = chain_to_json (chain);
}

/* ---- Device API: handlers -------------------------------------------------------------- */

/* The ID scope, the api-version and the device's SAS. Returns the enrollment, or NULL after
 * replying. */
static Enrollment *
begin_device_request (CbSbRequest  *req,
                      DpsInstance **dps_out)
{
  const char *id_scope = cb_sb_param (req, "idScope");
  const char *registration_id = cb_sb_param (req, "registrationId");
  g_autoptr(DpsInstance) dps = dps_instance_load (req->sandbox, "id_scope", id_scope);
  Enrollment *enrollment;

  if (dps == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("no DPS instance has the ID scope '%s'", id_scope);

      device_unauthorized (req, msg);
      return NULL;
    }

  if (!cb_sb_require_api_version (req, CB_SB_DPS_API_VERSION, DPS_API_VERSION_GA, NULL))
    return NULL;

  if (!(enrollment = authenticate_device (req, dps, registration_id)))
    return NULL;

  *dps_out = g_steal_pointer (&dps);
  return enrollment;
}

/* Checks a DeviceRegistration body's registrationId. Replies 400 and returns FALSE if wrong. */
static gboolean
check_registration_body (CbSbRequest *req,
                         JsonNode    *body,
                         const char  *registration_id,
                         gboolean     required)
{
  JsonObject *obj;
  const char *body_id;

  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400101,
                         "The body must be a DeviceRegistration object");
      return FALSE;
    }

  obj = json_node_get_object (body);
  body_id = member_string (obj, "registrationId");
  if (body_id == NULL && (required || member_not_string (obj, "registrationId")))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400101,
                         "The body must carry registrationId (a string)");
      return FALSE;
    }

  if (body_id != NULL && g_ascii_strcasecmp (body_id, registration_id) != 0)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400102,
                         "The registrationId in the body ('%s') differs from the one in the path ('%s')",
                         body_id, registration_id);
      return FALSE;
    }

  if (!registration_id_is_valid (registration_id))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400103,
                         "The registrationId '%s' is not valid: up to 128 letters, digits and - . _ :, "
                         "ending with a letter, a digit or '-'", registration_id);
      return FALSE;
    }

  return TRUE;
}

static void
set_retry_after (CbSbRequest *req)
{
  g_autofree char *seconds = g_strdup_printf ("%u", (req->sandbox->lro_delay_ms + 999) / 1000);

  cb_sb_set_header (req, "Retry-After", seconds);
}

static JsonNode *
assigning_body (const char *operation_id)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "operationId");
  json_builder_add_string_value (b, operation_id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, "assigning");
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static void
handle_register (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *id_scope = cb_sb_param (req, "idScope");
  const char *registration_id = cb_sb_param (req, "registrationId");
  g_autoptr(DpsInstance) dps = NULL;
  g_autoptr(Enrollment) enrollment = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GBytes) csr_der = NULL;
  g_autoptr(Operation) op = NULL;
  g_autoptr(Operation) previous = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *node_id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *location = NULL;
  JsonNode *csr_node;
  gint64 now = cb_sandbox_now_usec (self);

  if (!(enrollment = begin_device_request (req, &dps)))
    return;

  if (!(body = cb_sb_json_body (req, FALSE)))
    return;
  if (!check_registration_body (req, body, registration_id, TRUE))
    return;

  csr_node = json_object_get_member (json_node_get_object (body), "csr");
  if (csr_node != NULL && !JSON_NODE_HOLDS_NULL (csr_node) &&
      !(csr_der = check_csr (req, csr_node, registration_id)))
    return;

  previous = registration_load (self, dps->name, registration_id);

  uuid = g_uuid_string_random ();
  node_id = cb_random_hex (8);
  op = g_new0 (Operation, 1);
  op->operation_id = g_strdup_printf ("5.%s.%s", node_id, uuid);
  op->registration_id = g_strdup (registration_id);
  op->started = now;
  op->updated = now;
  op->registration_created = previous != NULL ? previous->registration_created : now;
  op->etag = new_etag ();
  op->enrollment_group_id = enrollment->is_group ? g_strdup (enrollment->id) : NULL;

  assign (req, dps, enrollment, op, csr_der,
          previous != NULL && g_strcmp0 (previous->status, "assigned") == 0);

  cb_sb_begin (self);
  if (!operation_save (self, dps->name, op, &error) ||
      !registration_save (self, dps->name, op, &error))
    {
      cb_sb_rollback (self);
      cb_sb_reply_error (req, 500, "InternalServerError", 500214, "%s", error->message);
      return;
    }
  cb_sb_commit (self);

  g_debug ("Registration %s of %s: %s", op->operation_id, registration_id, op->status);

  path = g_strdup_printf ("/dps/%s/registrations/%s/register", id_scope, registration_id);
  location = cb_sb_url (req, path);
  cb_sb_set_header (req, "Location", location);
  set_retry_after (req);
  cb_sb_reply_json (req, 202, assigning_body (op->operation_id));
}

static void
handle_operation (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *registration_id = cb_sb_param (req, "registrationId");
  const char *operation_id = cb_sb_param (req, "operationId");
  g_autoptr(DpsInstance) dps = NULL;
  g_autoptr(Enrollment) enrollment = NULL;
  g_autoptr(Operation) op = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!(enrollment = begin_device_request (req, &dps)))
    return;

  if (!(op = operation_load (self, dps->name, registration_id, operation_id)))
    {
      cb_sb_reply_error (req, 404, "NotFound", 404201,
                         "The registration %s has no operation %s", registration_id, operation_id);
      return;
    }

  if (still_assigning (self, op->started))
    {
      set_retry_after (req);
      cb_sb_reply_json (req, 202, assigning_body (op->operation_id));
      return;
    }

  /* A fault rule on the polling path turns an outcome into a failure once it is reported. */
  if (g_strcmp0 (op->status, "assigned") == 0 && cb_sb_fault_wants (req, "dps", "failed"))
    {
      g_autoptr(GError) error = NULL;

      operation_fail (op, "failed", 500214, "The registration failed (sandbox fault injection)");
      op->updated = cb_sandbox_now_usec (self);
      if (!operation_save (self, dps->name, op, &error))
        g_warning ("Could not record the injected failure: %s", error->message);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "operationId");
  json_builder_add_string_value (b, op->operation_id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, op->status);
  json_builder_set_member_name (b, "registrationState");
  add_registration_state (b, op, op->status, TRUE);
  json_builder_end_object (b);

  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
handle_status_lookup (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *registration_id = cb_sb_param (req, "registrationId");
  g_autoptr(DpsInstance) dps = NULL;
  g_autoptr(Enrollment) enrollment = NULL;
  g_autoptr(Operation) reg = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *status;

  if (!(enrollment = begin_device_request (req, &dps)))
    return;

  body = cb_sb_json_body (req, TRUE);
  if (req->replied)
    return;
  if (body != NULL)
    {
      JsonNode *csr;

      if (!check_registration_body (req, body, registration_id, FALSE))
        return;
      csr = json_object_get_member (json_node_get_object (body), "csr");
      if (csr != NULL && !JSON_NODE_HOLDS_NULL (csr))
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400207,
                             "The registration status lookup must not carry a csr: certificates "
                             "are issued only by PUT .../register");
          return;
        }
    }

  if (!(reg = registration_load (self, dps->name, registration_id)))
    {
      cb_sb_reply_error (req, 404, "NotFound", 404201,
                         "The device %s has not registered with this DPS instance", registration_id);
      return;
    }

  status = reg->started != 0 && still_assigning (self, reg->started) ? "assigning" : reg->status;
  add_registration_state (b, reg, status, FALSE);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

/* ---- Service API ----------------------------------------------------------------------- */

static gboolean
service_unauthorized (CbSbRequest *req,
                      const char  *reason)
{
  cb_sb_reply_error (req, 401, "Unauthorized", 401002, "Unauthorized: %s", reason);
  return FALSE;
}

/* SAS signed with the provisioningserviceowner key for the DPS host, or a bearer token for
 * the DPS audience. Returns the instance, or NULL after replying. */
static DpsInstance *
begin_service_request (CbSbRequest *req)
{
  const char *name = cb_sb_param (req, "dpsName");
  const char *auth = cb_sb_header (req, "Authorization");
  g_autoptr(DpsInstance) dps = dps_instance_load (req->sandbox, "name", name);

  if (dps == NULL)
    {
      cb_sb_reply_error (req, 404, "NotFound", 404301,
                         "The provisioning service '%s' does not exist in this sandbox", name);
      return NULL;
    }

  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    {
      if (!cb_sb_require_bearer (req, CB_SB_AUD_DPS))
        return NULL;
    }
  else
    {
      g_autoptr(CbSasToken) token = NULL;
      g_autoptr(GError) error = NULL;

      if (auth == NULL)
        {
          service_unauthorized (req, "the Authorization header is missing");
          return NULL;
        }
      if (!(token = cb_sas_token_parse (auth, &error)))
        {
          service_unauthorized (req, error->message);
          return NULL;
        }
      if (g_strcmp0 (token->key_name, "provisioningserviceowner") != 0)
        {
          service_unauthorized (req, "the service has no shared access policy by that name "
                                     "(use skn=provisioningserviceowner)");
          return NULL;
        }
      if (!cb_sas_token_verify (token, dps->host_name, dps->owner_key,
                                cb_sandbox_session_now (req->sandbox), &error))
        {
          service_unauthorized (req, error->message);
          return NULL;
        }
      g_free (req->auth_key_name);
      req->auth_key_name = g_strdup (token->key_name);
    }

  if (!cb_sb_require_api_version (req, CB_SB_DPS_API_VERSION, DPS_SERVICE_VERSION_GA, NULL))
    return NULL;

  return g_steal_pointer (&dps);
}

static gboolean
route_is_group (CbSbRequest *req)
{
  /* Route literals match in any case, as Azure's do. */
  g_autofree char *lower = g_ascii_strdown (req->path, -1);

  return strstr (lower, "/enrollmentgroups/") != NULL;
}

static const char * const known_enrollment_members[] = {
  "enrollmentGroupId", "registrationId", "deviceId", "attestation", "credentialPolicyName",
  "provisioningStatus", "etag", "createdDateTimeUtc", "lastUpdatedDateTimeUtc",
  "registrationState", NULL,
};

static JsonNode *
enrollment_to_json (CbSandbox   *self,
                    DpsInstance *dps,
                    Enrollment  *e)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *created = format_usec (e->created);
  g_autofree char *updated = format_usec (e->updated);
  g_autoptr(GList) members = json_object_get_members (e->extra);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, e->is_group ? "enrollmentGroupId" : "registrationId");
  json_builder_add_string_value (b, e->id);
  if (!e->is_group && e->device_id != NULL)
    {
      json_builder_set_member_name (b, "deviceId");
      json_builder_add_string_value (b, e->device_id);
    }

  json_builder_set_member_name (b, "attestation");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "symmetricKey");
  json_builder_set_member_name (b, "symmetricKey");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "primaryKey");
  json_builder_add_string_value (b, e->primary_key);
  json_builder_set_member_name (b, "secondaryKey");
  json_builder_add_string_value (b, e->secondary_key);
  json_builder_end_object (b);
  json_builder_end_object (b);

  if (!json_object_has_member (e->extra, "capabilities"))
    {
      json_builder_set_member_name (b, "capabilities");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "iotEdge");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "etag");
  json_builder_add_string_value (b, e->etag);
  json_builder_set_member_name (b, "provisioningStatus");
  json_builder_add_string_value (b, e->provisioning_status);
  if (!json_object_has_member (e->extra, "reprovisionPolicy"))
    {
      json_builder_set_member_name (b, "reprovisionPolicy");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "updateHubAssignment");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "migrateDeviceData");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "createdDateTimeUtc");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "lastUpdatedDateTimeUtc");
  json_builder_add_string_value (b, updated);
  if (!json_object_has_member (e->extra, "allocationPolicy"))
    {
      json_builder_set_member_name (b, "allocationPolicy");
      json_builder_add_string_value (b, "hashed");
    }
  if (!json_object_has_member (e->extra, "iotHubs"))
    {
      g_autofree char *host = dps->linked_hub != NULL ? hub_host_name (self, dps->linked_hub) : NULL;

      json_builder_set_member_name (b, "iotHubs");
      json_builder_begin_array (b);
      if (host != NULL)
        json_builder_add_string_value (b, host);
      json_builder_end_array (b);
    }
  if (e->policy != NULL)
    {
      json_builder_set_member_name (b, "credentialPolicyName");
      json_builder_add_string_value (b, e->policy);
    }

  for (GList *l = members; l != NULL; l = l->next)
    {
      json_builder_set_member_name (b, l->data);
      json_builder_add_value (b, json_node_copy (json_object_get_member (e->extra, l->data)));
    }

  if (!e->is_group)
    {
      g_autoptr(Operation) reg = registration_load (self, dps->name, e->id);

      if (reg != NULL)
        {
          json_builder_set_member_name (b, "registrationState");
          add_registration_state (b, reg, reg->status, FALSE);
        }
    }

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
reply_enrollment (CbSbRequest *req,
                  DpsInstance *dps,
                  Enrollment  *e,
                  guint        status)
{
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", e->etag);

  cb_sb_set_header (req, "ETag", quoted);
  cb_sb_reply_json (req, status, enrollment_to_json (req->sandbox, dps, e));
}

static char *
if_match (CbSbRequest *req)
{
  const char *value = cb_sb_header (req, "If-Match");
  g_autofree char *text = NULL;
  gsize len;

  if (value == NULL)
    return NULL;
  text = g_strstrip (g_strdup (value));
  len = strlen (text);
  if (len >= 2 && text[0] == '"' && text[len - 1] == '"')
    return g_strndup (text + 1, len - 2);
  return g_steal_pointer (&text);
}

static void
reply_enrollment_not_found (CbSbRequest *req,
                            gboolean     is_group,
                            const char  *id)
{
  cb_sb_reply_error (req, 404, "NotFound", 404301, "The %s '%s' does not exist",
                     is_group ? "enrollment group" : "enrollment", id);
}

static void
handle_put_enrollment (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  gboolean is_group = route_is_group (req);
  const char *id = cb_sb_param (req, "id");
  const char *id_member = is_group ? "enrollmentGroupId" : "registrationId";
  g_autoptr(DpsInstance) dps = NULL;
  g_autoptr(JsonNode) body_node = NULL;
  g_autoptr(Enrollment) existing = NULL;
  g_autoptr(Enrollment) e = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *match = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *body;
  JsonObject *attestation;
  JsonObject *sym;
  const char *body_id;
  const char *type;
  const char *primary;
  const char *secondary;
  const char *policy;
  const char *status;
  gint64 now = cb_sandbox_now_usec (self);

  if (!(dps = begin_service_request (req)))
    return;

  if (!(body_node = cb_sb_json_body (req, FALSE)))
    return;
  if (!JSON_NODE_HOLDS_OBJECT (body_node))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301, "The body must be an %s object",
                         is_group ? "EnrollmentGroup" : "IndividualEnrollment");
      return;
    }
  body = json_node_get_object (body_node);

  if (!registration_id_is_valid (id))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "The %s '%s' is not valid: up to 128 letters, digits and - . _ :",
                         id_member, id);
      return;
    }

  body_id = member_string (body, id_member);
  if ((body_id == NULL && member_not_string (body, id_member)) ||
      (body_id != NULL && g_ascii_strcasecmp (body_id, id) != 0))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "The %s in the body differs from the one in the path ('%s')", id_member, id);
      return;
    }

  attestation = member_object (body, "attestation");
  if (attestation == NULL && json_object_has_member (body, "attestation") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (body, "attestation")))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301, "attestation must be an object");
      return;
    }
  type = member_string (attestation, "type");
  if (attestation != NULL && g_strcmp0 (type, "symmetricKey") != 0)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "The attestation type '%s' is not supported by the sandbox: use symmetricKey",
                         type != NULL ? type : "(none)");
      return;
    }
  sym = member_object (attestation, "symmetricKey");
  primary = member_string (sym, "primaryKey");
  secondary = member_string (sym, "secondaryKey");
  if ((primary != NULL && !key_is_valid (primary)) || (secondary != NULL && !key_is_valid (secondary)) ||
      member_not_string (sym, "primaryKey") || member_not_string (sym, "secondaryKey"))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "The symmetric keys must be base64 encoded, 16 to 64 bytes long");
      return;
    }

  policy = member_string (body, "credentialPolicyName");
  if ((policy == NULL && member_not_string (body, "credentialPolicyName")) ||
      (policy != NULL && *policy == '\0'))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "credentialPolicyName must be the name of a policy in the linked namespace");
      return;
    }

  status = member_string (body, "provisioningStatus");
  if (member_not_string (body, "provisioningStatus") ||
      (status != NULL && g_strcmp0 (status, "enabled") != 0 && g_strcmp0 (status, "disabled") != 0))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "provisioningStatus must be 'enabled' or 'disabled'");
      return;
    }

  if (!is_group && member_not_string (body, "deviceId"))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301, "deviceId must be a string");
      return;
    }

  existing = enrollment_load (self, dps->name, is_group, id);
  match = if_match (req);
  if (match != NULL && !g_str_equal (match, "*") &&
      (existing == NULL || !g_str_equal (match, existing->etag)))
    {
      cb_sb_reply_error (req, 412, "PreconditionFailed", 412301,
                         existing != NULL
                           ? "Precondition failed: the %s's etag is not \"%s\""
                           : "Precondition failed: there is no %s to match \"%s\"",
                         is_group ? "enrollment group" : "enrollment", match);
      return;
    }

  e = g_new0 (Enrollment, 1);
  e->is_group = is_group;
  e->id = g_strdup (existing != NULL ? existing->id : id);
  e->device_id = g_strdup (is_group ? NULL : member_string (body, "deviceId"));
  /* Keys that are not sent are kept, or generated for a new enrollment. */
  e->primary_key = primary != NULL ? g_strdup (primary)
                 : existing != NULL ? g_strdup (existing->primary_key) : cb_random_base64 (64);
  e->secondary_key = secondary != NULL ? g_strdup (secondary)
                   : existing != NULL ? g_strdup (existing->secondary_key) : cb_random_base64 (64);
  e->policy = g_strdup (policy);
  e->provisioning_status = g_strdup (status != NULL ? status : "enabled");
  e->etag = new_etag ();
  e->created = existing != NULL ? existing->created : now;
  e->updated = now;
  e->extra = json_object_new ();

  members = json_object_get_members (body);
  for (GList *l = members; l != NULL; l = l->next)
    {
      if (g_strv_contains (known_enrollment_members, l->data))
        continue;
      json_object_set_member (e->extra, l->data, json_node_copy (json_object_get_member (body, l->data)));
    }

  if (!enrollment_save (self, dps->name, e, &error))
    {
      cb_sb_reply_error (req, 500, "InternalServerError", 500214, "%s", error->message);
      return;
    }

  reply_enrollment (req, dps, e, 200);
}

static void
handle_get_enrollment (CbSbRequest *req)
{
  gboolean is_group = route_is_group (req);
  const char *id = cb_sb_param (req, "id");
  g_autoptr(DpsInstance) dps = NULL;
  g_autoptr(Enrollment) e = NULL;

  if (!(dps = begin_service_request (req)))
    return;

  if (!(e = enrollment_load (req->sandbox, dps->name, is_group, id)))
    {
      reply_enrollment_not_found (req, is_group, id);
      return;
    }

  reply_enrollment (req, dps, e, 200);
}

static void
handle_delete_enrollment (CbSbRequest *req)
{
  gboolean is_group = route_is_group (req);
  const char *id = cb_sb_param (req, "id");
  g_autoptr(DpsInstance) dps = NULL;
  g_autoptr(Enrollment) e = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *match = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (!(dps = begin_service_request (req)))
    return;

  if (!(e = enrollment_load (req->sandbox, dps->name, is_group, id)))
    {
      reply_enrollment_not_found (req, is_group, id);
      return;
    }

  match = if_match (req);
  if (match != NULL && !g_str_equal (match, "*") && !g_str_equal (match, e->etag))
    {
      cb_sb_reply_error (req, 412, "PreconditionFailed", 412301,
                         "Precondition failed: the %s's etag is not \"%s\"",
                         is_group ? "enrollment group" : "enrollment", match);
      return;
    }

  stmt = cb_sb_prepare (req->sandbox, is_group
      ? "DELETE FROM dps_enrollment_groups WHERE dps = ? AND group_id = ?"
      : "DELETE FROM dps_enrollments WHERE dps = ? AND registration_id = ?");
  bind_text (stmt, 1, dps->name);
  bind_text (stmt, 2, e->id);
  if (!step_done (req->sandbox, stmt, &error))
    {
      cb_sb_reply_error (req, 500, "InternalServerError", 500214, "%s", error->message);
      return;
    }

  cb_sb_reply_empty (req, 204);
}

/* POST .../query: every enrollment (group), paged with x-ms-max-item-count and an offset in
 * x-ms-continuation. The query text itself is not interpreted ("*" is what clients send). */
static void
handle_query_enrollments (CbSbRequest *req)
{
  gboolean is_group = route_is_group (req);
  g_autoptr(DpsInstance) dps = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  const char *max_text = cb_sb_header (req, "x-ms-max-item-count");
  const char *continuation = cb_sb_header (req, "x-ms-continuation");
  gint64 page_size = MIN (req->sandbox->page_size, MAX_PAGE_SIZE);
  gint64 offset = 0;

  if (!(dps = begin_service_request (req)))
    return;

  body = cb_sb_json_body (req, TRUE);
  if (req->replied)
    return;

  if (max_text != NULL)
    {
      char *end = NULL;

      page_size = g_ascii_strtoll (max_text, &end, 10);
      if (end == max_text || *end != '\0' || page_size < 1)
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400301,
                             "x-ms-max-item-count must be a whole number from 1 to %d", MAX_PAGE_SIZE);
          return;
        }
      page_size = MIN (page_size, MAX_PAGE_SIZE);
    }

  if (continuation != NULL && *continuation != '\0')
    {
      char *end = NULL;

      offset = g_ascii_strtoll (continuation, &end, 10);
      if (end == continuation || *end != '\0' || offset < 0)
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400301, "The continuation token is not valid");
          return;
        }
    }

  list = enrollment_list (req->sandbox, dps->name, is_group);
  json_builder_begin_array (b);
  for (gint64 i = offset; i < (gint64) list->len && i < offset + page_size; i++)
    json_builder_add_value (b, enrollment_to_json (req->sandbox, dps, g_ptr_array_index (list, i)));
  json_builder_end_array (b);

  if (offset + page_size < (gint64) list->len)
    {
      g_autofree char *next = g_strdup_printf ("%" G_GINT64_FORMAT, offset + page_size);

      cb_sb_set_header (req, "x-ms-continuation", next);
    }
  cb_sb_set_header (req, "x-ms-item-type", is_group ? "enrollmentGroup" : "enrollment");

  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
handle_get_registration_state (CbSbRequest *req)
{
  const char *id = cb_sb_param (req, "id");
  g_autoptr(DpsInstance) dps = NULL;
  g_autoptr(Operation) reg = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!(dps = begin_service_request (req)))
    return;

  if (!(reg = registration_load (req->sandbox, dps->name, id)))
    {
      cb_sb_reply_error (req, 404, "NotFound", 404201, "The device %s has not registered", id);
      return;
    }

  add_registration_state (b, reg, reg->status, FALSE);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
handle_delete_registration_state (CbSbRequest *req)
{
  const char *id = cb_sb_param (req, "id");
  g_autoptr(DpsInstance) dps = NULL;
  g_autoptr(Operation) reg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (!(dps = begin_service_request (req)))
    return;

  if (!(reg = registration_load (req->sandbox, dps->name, id)))
    {
      cb_sb_reply_error (req, 404, "NotFound", 404201, "The device %s has not registered", id);
      return;
    }

  stmt = cb_sb_prepare (req->sandbox,
                        "DELETE FROM dps_registrations WHERE dps = ? AND registration_id = ?");
  bind_text (stmt, 1, dps->name);
  bind_text (stmt, 2, id);
  if (!step_done (req->sandbox, stmt, &error))
    {
      cb_sb_reply_error (req, 500, "InternalServerError", 500214, "%s", error->message);
      return;
    }

  cb_sb_reply_empty (req, 204);
}

/* ---- Cross-module functions ------------------------------------------------------------ */

gboolean
cb_sandbox_dps_create_enrollment_group (CbSandbox   *self,
                                        const char  *dps,
                                        const char  *group_id,
                                        const char  *primary_key,
                                        const char  *credential_policy_name,
                                        GError     **error)
{
  g_autoptr(DpsInstance) instance = NULL;
  g_autoptr(Enrollment) existing = NULL;
  g_autoptr(Enrollment) e = NULL;
  gint64 now;
  gboolean ret;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (dps != NULL, FALSE);
  g_return_val_if_fail (group_id != NULL, FALSE);

  if (!registration_id_is_valid (group_id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The enrollment group id '%s' is not valid", group_id);
      return FALSE;
    }
  if (primary_key != NULL && !key_is_valid (primary_key))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The enrollment group key must be base64, 16 to 64 bytes");
      return FALSE;
    }

  cb_sandbox_lock (self);

  if (!(instance = dps_instance_load (self, "name", dps)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The DPS instance '%s' does not exist", dps);
      cb_sandbox_unlock (self);
      return FALSE;
    }

  now = cb_sandbox_now_usec (self);
  existing = enrollment_load (self, instance->name, TRUE, group_id);

  e = g_new0 (Enrollment, 1);
  e->is_group = TRUE;
  e->id = g_strdup (group_id);
  e->primary_key = primary_key != NULL ? g_strdup (primary_key) : cb_random_base64 (64);
  e->secondary_key = existing != NULL ? g_strdup (existing->secondary_key) : cb_random_base64 (64);
  e->policy = g_strdup (credential_policy_name);
  e->provisioning_status = g_strdup ("enabled");
  e->etag = new_etag ();
  e->created = existing != NULL ? existing->created : now;
  e->updated = now;
  e->extra = existing != NULL ? json_object_ref (existing->extra) : json_object_new ();

  ret = enrollment_save (self, instance->name, e, error);

  cb_sandbox_unlock (self);
  return ret;
}

/* ---- Registration ---------------------------------------------------------------------- */

gboolean
cb_sandbox_dps_init (CbSandbox  *self,
                     GError    **error)
{
  if (!cb_sb_exec (self, dps_schema, error))
    return FALSE;

  /* Device API (global.azure-devices-provisioning.net) */
  cb_sandbox_add_route (self, "PUT", "/dps/{idScope}/registrations/{registrationId}/register",
                        CB_SB_STYLE_DPS, handle_register);
  cb_sandbox_add_route (self, "GET",
                        "/dps/{idScope}/registrations/{registrationId}/operations/{operationId}",
                        CB_SB_STYLE_DPS, handle_operation);
  cb_sandbox_add_route (self, "POST", "/dps/{idScope}/registrations/{registrationId}",
                        CB_SB_STYLE_DPS, handle_status_lookup);

  /* Service API ({dps}.azure-devices-provisioning.net) */
  cb_sandbox_add_route (self, "POST", "/dps-service/{dpsName}/enrollmentGroups/query",
                        CB_SB_STYLE_DPS, handle_query_enrollments);
  cb_sandbox_add_route (self, "PUT", "/dps-service/{dpsName}/enrollmentGroups/{id}",
                        CB_SB_STYLE_DPS, handle_put_enrollment);
  cb_sandbox_add_route (self, "GET", "/dps-service/{dpsName}/enrollmentGroups/{id}",
                        CB_SB_STYLE_DPS, handle_get_enrollment);
  cb_sandbox_add_route (self, "DELETE", "/dps-service/{dpsName}/enrollmentGroups/{id}",
                        CB_SB_STYLE_DPS, handle_delete_enrollment);
  cb_sandbox_add_route (self, "POST", "/dps-service/{dpsName}/enrollments/query",
                        CB_SB_STYLE_DPS, handle_query_enrollments);
  cb_sandbox_add_route (self, "PUT", "/dps-service/{dpsName}/enrollments/{id}",
                        CB_SB_STYLE_DPS, handle_put_enrollment);
  cb_sandbox_add_route (self, "GET", "/dps-service/{dpsName}/enrollments/{id}",
                        CB_SB_STYLE_DPS, handle_get_enrollment);
  cb_sandbox_add_route (self, "DELETE", "/dps-service/{dpsName}/enrollments/{id}",
                        CB_SB_STYLE_DPS, handle_delete_enrollment);
  cb_sandbox_add_route (self, "GET", "/dps-service/{dpsName}/registrations/{id}",
                        CB_SB_STYLE_DPS, handle_get_registration_state);
  cb_sandbox_add_route (self, "DELETE", "/dps-service/{dpsName}/registrations/{id}",
                        CB_SB_STYLE_DPS, handle_delete_registration_state);

  return TRUE;
}
