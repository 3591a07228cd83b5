/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The symmetric keys of registry devices (2026-11-02-preview SymmetricKey authentication
 * profiles): one row per device uuid with its primary and secondary key. Made when a device is
 * created through ARM; read by getKeys/listKeys. */

#include "config.h"

#include "cb-sb-adr-device-keys.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"
#include "cb-util.h"

#define KEY_BYTES 32

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS adr_device_keys ("
  "  device_uuid TEXT PRIMARY KEY COLLATE NOCASE,"
  "  primary_key TEXT NOT NULL,"
  "  secondary_key TEXT NOT NULL);";

gboolean
cb_sb_adr_device_keys_init (CbSandbox  *self,
                            GError    **error)
{
  return cb_sb_exec (self, schema, error);
}

gboolean
cb_sb_adr_device_keys_generate (CbSandbox   *self,
                                const char  *device_uuid,
                                GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "INSERT OR REPLACE INTO adr_device_keys (device_uuid, primary_key, secondary_key) "
      "VALUES (?, ?, ?)");
  g_autofree char *primary = cb_random_base64 (KEY_BYTES);
  g_autofree char *secondary = cb_random_base64 (KEY_BYTES);

  cb_sb_bind_text (stmt, 1, device_uuid);
  cb_sb_bind_text (stmt, 2, primary);
  cb_sb_bind_text (stmt, 3, secondary);

  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_adr_device_keys (CbSandbox   *self,
                       const char  *device_uuid,
                       char       **primary_key,
                       char       **secondary_key)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
      "SELECT primary_key, secondary_key FROM adr_device_keys WHERE device_uuid = ?");
  gboolean found;

  cb_sb_bind_text (stmt, 1, device_uuid);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  if (found && primary_key != NULL)
    *primary_key = cb_sb_column_dup (stmt, 0);
  if (found && secondary_key != NULL)
    *secondary_key = cb_sb_column_dup (stmt, 1);
  cb_sb_stmt_done (stmt);

  return found;
}
