/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* The Device Provisioning Service's tables: see cb-sb-dps-store.h. */

#include "config.h"

#include <string.h>

#include "cb-sb-dps-store.h"
#include "cb-sb-dps.h"
#include "cb-sb-json.h"
#include "cb-sb-store.h"
#include "cb-sb-validate.h"
#include "cb-util.h"

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
  "  x509 TEXT,"
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
  "  updated INTEGER NOT NULL,"
  "  x509 TEXT) STRICT;";

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

/* DPS etags are base64 of a quoted opaque value, e.g. "IjY5MDAzNTUy..." */
char *
cb_sb_dps_new_etag (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", uuid);

  return g_base64_encode ((const guchar *) quoted, strlen (quoted));
}

/* Whether table has column (a sandbox folder made before the column came has not). */
static gboolean
has_column (CbSandbox  *self,
            const char *table,
            const char *column)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT 1 FROM pragma_table_info (?) WHERE name = ?");
  gboolean found;

  bind_text (stmt, 1, table);
  bind_text (stmt, 2, column);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return found;
}

/* The migrations of a store made by an older sandbox: columns added since, each NULL in the
 * rows that were there (a registration by SAS, as every older one was). */
static gboolean
migrate (CbSandbox  *self,
         GError    **error)
{
  static const char * const tables[] = { "dps_registrations", "dps_operations" };

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = NULL;

      if (has_column (self, tables[i], "x509"))
        continue;
      sql = g_strdup_printf ("ALTER TABLE %s ADD COLUMN x509 TEXT", tables[i]);
      if (!cb_sb_exec (self, sql, error))
        return FALSE;
      g_message ("Sandbox store: added %s.x509 (X.509 registration state)", tables[i]);
    }
  return TRUE;
}

gboolean
cb_sb_dps_store_init (CbSandbox  *self,
                      GError    **error)
{
  return cb_sb_exec (self, dps_schema, error) && migrate (self, error);
}

/* ---- DPS instances --------------------------------------------------------------------- */

void
cb_sb_dps_instance_free (CbSbDpsInstance *dps)
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

CbSbDpsInstance *
cb_sb_dps_instance_load (CbSandbox  *self,
                         const char *column,
                         const char *value)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT name, id_scope, namespace_id, linked_hub, host_name, owner_key "
      "FROM dps_instances WHERE %s = ?", column);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);
  CbSbDpsInstance *dps = NULL;

  bind_text (stmt, 1, value);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      dps = g_new0 (CbSbDpsInstance, 1);
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

char *
cb_sb_dps_hub_host_name (CbSandbox  *self,
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

#define GROUP_COLUMNS "group_id, NULL, primary_key, secondary_key, credential_policy_name, " \
                      "provisioning_status, etag, extra, created, updated"
#define ENROLLMENT_COLUMNS "registration_id, device_id, primary_key, secondary_key, " \
                           "credential_policy_name, provisioning_status, etag, extra, created, updated"

void
cb_sb_enrollment_free (CbSbEnrollment *e)
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

static CbSbEnrollment *
enrollment_from_row (sqlite3_stmt *stmt,
                     gboolean      is_group)
{
  CbSbEnrollment *e = g_new0 (CbSbEnrollment, 1);

  e->is_group = is_group;
  e->id = cb_sb_column_dup (stmt, 0);
  e->device_id = cb_sb_column_dup (stmt, 1);
  e->primary_key = cb_sb_column_dup (stmt, 2);
  e->secondary_key = cb_sb_column_dup (stmt, 3);
  e->policy = cb_sb_column_dup (stmt, 4);
  e->provisioning_status = cb_sb_column_dup (stmt, 5);
  e->etag = cb_sb_column_dup (stmt, 6);
  e->extra = cb_sb_json_object_from_text ((const char *) sqlite3_column_text (stmt, 7));
  e->created = sqlite3_column_int64 (stmt, 8);
  e->updated = sqlite3_column_int64 (stmt, 9);

  return e;
}

CbSbEnrollment *
cb_sb_enrollment_load (CbSandbox  *self,
                       const char *dps,
                       gboolean    is_group,
                       const char *id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, is_group
      ? "SELECT " GROUP_COLUMNS " FROM dps_enrollment_groups WHERE dps = ? AND group_id = ?"
      : "SELECT " ENROLLMENT_COLUMNS " FROM dps_enrollments WHERE dps = ? AND registration_id = ?");
  CbSbEnrollment *e = NULL;

  bind_text (stmt, 1, dps);
  bind_text (stmt, 2, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    e = enrollment_from_row (stmt, is_group);
  sqlite3_reset (stmt);

  return e;
}

GPtrArray *
cb_sb_enrollment_list (CbSandbox  *self,
                       const char *dps,
                       gboolean    is_group)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_sb_enrollment_free);
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, is_group
      ? "SELECT " GROUP_COLUMNS " FROM dps_enrollment_groups WHERE dps = ? ORDER BY group_id"
      : "SELECT " ENROLLMENT_COLUMNS " FROM dps_enrollments WHERE dps = ? ORDER BY registration_id");

  bind_text (stmt, 1, dps);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (list, enrollment_from_row (stmt, is_group));
  sqlite3_reset (stmt);

  return list;
}

gboolean
cb_sb_enrollment_save (CbSandbox   *self,
                       const char  *dps,
                       CbSbEnrollment  *e,
                       GError     **error)
{
  g_autofree char *extra = cb_sb_json_object_to_text (e->extra);
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

gboolean
cb_sb_enrollment_delete (CbSandbox   *self,
                         const char  *dps,
                         gboolean     is_group,
                         const char  *id,
                         GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, is_group
      ? "DELETE FROM dps_enrollment_groups WHERE dps = ? AND group_id = ?"
      : "DELETE FROM dps_enrollments WHERE dps = ? AND registration_id = ?");

  bind_text (stmt, 1, dps);
  bind_text (stmt, 2, id);
  return step_done (self, stmt, error);
}

/* ---- Registrations and operations ------------------------------------------------------ */

void
cb_sb_dps_operation_free (CbSbDpsOperation *op)
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
  g_free (op->x509);
  g_free (op->etag);
  g_free (op);
}

CbSbDpsOperation *
cb_sb_dps_operation_load (CbSandbox  *self,
                          const char *dps,
                          const char *registration_id,
                          const char *operation_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT operation_id, registration_id, started, status, substatus, device_id, assigned_hub, "
      "enrollment_group_id, error_code, error_message, chain, registration_created, etag, updated, "
      "x509 FROM dps_operations WHERE operation_id = ? AND dps = ? AND registration_id = ?");
  CbSbDpsOperation *op = NULL;

  bind_text (stmt, 1, operation_id);
  bind_text (stmt, 2, dps);
  bind_text (stmt, 3, registration_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      op = g_new0 (CbSbDpsOperation, 1);
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
      op->x509 = cb_sb_column_dup (stmt, 14);
    }
  sqlite3_reset (stmt);

  return op;
}

gboolean
cb_sb_dps_operation_save (CbSandbox   *self,
                          const char  *dps,
                          CbSbDpsOperation   *op,
                          GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT OR REPLACE INTO dps_operations (operation_id, dps, registration_id, started, status, "
      "substatus, device_id, assigned_hub, enrollment_group_id, error_code, error_message, chain, "
      "registration_created, etag, updated, x509) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

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
  bind_text (stmt, 16, op->x509);

  return step_done (self, stmt, error);
}

/* The registration record keeps the outcome of the latest registration for the status
 * lookup and the service API; the operation keeps its own snapshot for polling. */
gboolean
cb_sb_dps_registration_save (CbSandbox   *self,
                             const char  *dps,
                             CbSbDpsOperation   *op,
                             GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT OR REPLACE INTO dps_registrations (dps, registration_id, device_id, assigned_hub, "
      "enrollment_group_id, status, substatus, error_code, error_message, etag, operation_id, "
      "created, updated, x509) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

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
  bind_text (stmt, 14, op->x509);

  return step_done (self, stmt, error);
}

/* The latest registration of registration_id as an CbSbDpsOperation snapshot, or NULL. */
CbSbDpsOperation *
cb_sb_dps_registration_load (CbSandbox  *self,
                             const char *dps,
                             const char *registration_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT r.registration_id, r.device_id, r.assigned_hub, r.enrollment_group_id, r.status, "
      "r.substatus, r.error_code, r.error_message, r.etag, r.operation_id, r.created, r.updated, "
      "o.started, r.x509 FROM dps_registrations r LEFT JOIN dps_operations o "
      "ON o.operation_id = r.operation_id WHERE r.dps = ? AND r.registration_id = ?");
  CbSbDpsOperation *op = NULL;

  bind_text (stmt, 1, dps);
  bind_text (stmt, 2, registration_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      op = g_new0 (CbSbDpsOperation, 1);
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
      op->x509 = cb_sb_column_dup (stmt, 13);
    }
  sqlite3_reset (stmt);

  return op;
}

gboolean
cb_sb_dps_registration_delete (CbSandbox   *self,
                               const char  *dps,
                               const char  *registration_id,
                               GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "DELETE FROM dps_registrations WHERE dps = ? AND registration_id = ?");

  bind_text (stmt, 1, dps);
  bind_text (stmt, 2, registration_id);
  return step_done (self, stmt, error);
}

/* Whether an operation started at started (usec) still reports "assigning". */
gboolean
cb_sb_dps_still_assigning (CbSandbox *self,
                           gint64     started)
{
  return cb_sb_now_usec (self) - started < (gint64) self->lro_delay_ms * 1000;
}

/* registrationState / DeviceRegistrationResult (§2.3). */
void
cb_sb_dps_add_registration_state (JsonBuilder *b,
                                  CbSbDpsOperation   *op,
                                  const char  *status,
                                  gboolean     with_chain)
{
  g_autofree char *created = cb_time_format_precise (op->registration_created);
  g_autofree char *updated = cb_time_format_precise (op->updated);
  g_autoptr(JsonObject) x509 = NULL;
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

  /* X509RegistrationResult for a device that attested with its certificate, else
   * SymmetricKeyRegistrationResult (device.json of the DPS device API). */
  x509 = op->x509 != NULL ? cb_sb_json_object_from_text (op->x509) : NULL;
  json_builder_set_member_name (b, x509 != NULL ? "x509" : "symmetricKey");
  json_builder_begin_object (b);
  if (x509 != NULL && json_object_has_member (x509, "certificateInfo"))
    {
      json_builder_set_member_name (b, "certificateInfo");
      json_builder_add_value (b, json_node_copy (json_object_get_member (x509, "certificateInfo")));
    }
  if (op->enrollment_group_id != NULL)
    {
      json_builder_set_member_name (b, "enrollmentGroupId");
      json_builder_add_string_value (b, op->enrollment_group_id);
    }
  if (x509 != NULL && json_object_has_member (x509, "signingCertificateInfo"))
    {
      JsonNode *signing = json_object_get_member (x509, "signingCertificateInfo");

      json_builder_set_member_name (b, "signingCertificateInfo");
      json_builder_add_value (b, json_node_copy (signing));
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

/* ---- Cross-module functions ------------------------------------------------------------ */

gboolean
cb_sb_dps_create_enrollment_group (CbSandbox   *self,
                                   const char  *dps,
                                   const char  *group_id,
                                   const char  *primary_key,
                                   const char  *credential_policy_name,
                                   GError     **error)
{
  g_autoptr(CbSbDpsInstance) instance = NULL;
  g_autoptr(CbSbEnrollment) existing = NULL;
  g_autoptr(CbSbEnrollment) e = NULL;
  gint64 now;
  gboolean ret;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (dps != NULL, FALSE);
  g_return_val_if_fail (group_id != NULL, FALSE);

  if (!cb_sb_registration_id_is_valid (group_id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The enrollment group id '%s' is not valid", group_id);
      return FALSE;
    }
  if (primary_key != NULL && !cb_sb_key_is_valid (primary_key))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The enrollment group key must be base64, 16 to 64 bytes");
      return FALSE;
    }

  cb_sb_lock (self);

  if (!(instance = cb_sb_dps_instance_load (self, "name", dps)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The DPS instance '%s' does not exist", dps);
      cb_sb_unlock (self);
      return FALSE;
    }

  now = cb_sb_now_usec (self);
  existing = cb_sb_enrollment_load (self, instance->name, TRUE, group_id);

  e = g_new0 (CbSbEnrollment, 1);
  e->is_group = TRUE;
  e->id = g_strdup (group_id);
  e->primary_key = primary_key != NULL ? g_strdup (primary_key) : cb_random_base64 (64);
  e->secondary_key = existing != NULL ? g_strdup (existing->secondary_key) : cb_random_base64 (64);
  e->policy = g_strdup (credential_policy_name);
  e->provisioning_status = g_strdup ("enabled");
  e->etag = cb_sb_dps_new_etag ();
  e->created = existing != NULL ? existing->created : now;
  e->updated = now;
  e->extra = existing != NULL ? json_object_ref (existing->extra) : json_object_new ();

  ret = cb_sb_enrollment_save (self, instance->name, e, error);

  cb_sb_unlock (self);
  return ret;
}
