/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The hub device endpoint's record of connection attempts: see cb-sb-mqtt-attempts.h. */

#include "config.h"

#include "cb-sb-mqtt-attempts.h"
#include "cb-sb-store.h"
#include "cb-util.h"

#define MAX_ATTEMPTS 10

static const char attempts_schema[] =
  "CREATE TABLE IF NOT EXISTS mqtt_attempts ("
  "  id INTEGER PRIMARY KEY,"
  "  hub TEXT NOT NULL COLLATE NOCASE,"
  "  device_id TEXT NOT NULL,"
  "  time INTEGER NOT NULL,"            /* usec, sandbox clock */
  "  accepted INTEGER NOT NULL,"
  "  verdict TEXT NOT NULL,"
  "  reason TEXT) STRICT;"
  "CREATE INDEX IF NOT EXISTS mqtt_attempts_device ON mqtt_attempts (hub, device_id, id);";

gboolean
cb_sb_mqtt_attempts_init (CbSandbox  *self,
                          GError    **error)
{
  return cb_sb_exec (self, attempts_schema, error);
}

void
cb_sb_mqtt_attempts_record (CbSandbox  *self,
                            const char *hub,
                            const char *device_id,
                            gboolean    accepted,
                            const char *verdict,
                            const char *reason)
{
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self, "INSERT INTO mqtt_attempts (hub, device_id, time, accepted, "
                              "  verdict, reason) VALUES (?, ?, ?, ?, ?, ?)");
  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, cb_sb_now_usec (self));
  sqlite3_bind_int (stmt, 4, accepted ? 1 : 0);
  sqlite3_bind_text (stmt, 5, verdict, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, reason, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
  sqlite3_reset (stmt);

  /* Keep the newest MAX_ATTEMPTS per device. */
  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "DELETE FROM mqtt_attempts WHERE hub = ?1 AND device_id = ?2 "
                              "AND id <= (SELECT id FROM mqtt_attempts WHERE hub = ?1 "
                              "  AND device_id = ?2 ORDER BY id DESC LIMIT 1 OFFSET 10)");
  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
  sqlite3_reset (stmt);
}

static void
add_attempt (JsonBuilder  *b,
             sqlite3_stmt *stmt)
{
  g_autofree char *when = cb_time_format_precise (sqlite3_column_int64 (stmt, 0));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "time");
  json_builder_add_string_value (b, when);
  json_builder_set_member_name (b, "accepted");
  json_builder_add_boolean_value (b, sqlite3_column_int (stmt, 1) != 0);
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, (const char *) sqlite3_column_text (stmt, 2));
  json_builder_set_member_name (b, "reason");
  if (sqlite3_column_type (stmt, 3) == SQLITE_NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, (const char *) sqlite3_column_text (stmt, 3));
  json_builder_end_object (b);
}

void
cb_sb_mqtt_attempts_add_json (CbSandbox   *self,
                              const char  *hub,
                              const char  *device_id,
                              JsonBuilder *b)
{
  g_autoptr(JsonNode) attempts = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;
  guint n = 0;

  stmt = cb_sb_prepare (self, "SELECT time, accepted, verdict, reason FROM mqtt_attempts "
                              "WHERE hub = ? AND device_id = ? ORDER BY id DESC LIMIT 10");
  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  {
    g_autoptr(JsonBuilder) list = json_builder_new ();

    json_builder_begin_array (list);
    json_builder_set_member_name (b, "lastAttempt");
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        if (n++ == 0)
          add_attempt (b, stmt);
        add_attempt (list, stmt);
      }
    if (n == 0)
      json_builder_add_null_value (b);
    json_builder_end_array (list);
    attempts = json_builder_get_root (list);
  }
  sqlite3_reset (stmt);

  json_builder_set_member_name (b, "attempts");
  json_builder_add_value (b, g_steal_pointer (&attempts));
}
