/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-profile"

#include "config.h"

#include "cb-sandbox-client.h"
#include "cb-sandbox-profile.h"
#include "cb-sb-info.h"
#include "cb-sb-store.h"

/* Assembly: the connection profile that points the core clients at this sandbox: the same clients talk to
 * Azure with an Azure profile. It is made from the same /sandbox/info document a sandbox in
 * another process answers, by the same core function, so the app (in-process sandbox) and the
 * CLI (either) get identical profiles. The profile pins the sandbox's CA and holds no secret. */

CbProfile *
cb_sandbox_create_profile (CbSandbox *self)
{
  g_autoptr(JsonNode) info = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (self->base_url != NULL, NULL);

  cb_sb_lock (self);
  info = cb_sb_build_info (self);
  cb_sb_unlock (self);

  return cb_profile_new_from_sandbox_info (json_node_get_object (info), NULL);
}

char *
cb_sandbox_dup_enrollment_group_key (CbSandbox  *self,
                                     const char *dps,
                                     const char *group_id)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  char *key = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);

  cb_sb_lock (self);
  stmt = cb_sb_prepare (self, "SELECT primary_key FROM dps_enrollment_groups "
                              "WHERE dps = ? AND group_id = ?");
  sqlite3_bind_text (stmt, 1, dps, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, group_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    key = cb_sb_column_dup (stmt, 0);
  cb_sb_unlock (self);

  return key;
}
