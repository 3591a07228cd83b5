/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* State: the subscriptions and resource groups of Microsoft.Resources, as the sandbox knows
 * them. Most are implied by the resources that live in them (hubs, DPS instances, namespaces);
 * the tables below hold those that were named on their own (an empty resource group, a second
 * subscription) and the display names and locations ARM shows, and the tenant a subscription
 * belongs to when it is not the home tenant (NULL). */

#include "config.h"

#include "cb-sb-arm-resources.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"

#define DEFAULT_LOCATION "westeurope"

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS arm_subscriptions ("
  "  id TEXT PRIMARY KEY COLLATE NOCASE, display_name TEXT NOT NULL) STRICT;"
  "CREATE TABLE IF NOT EXISTS arm_resource_groups ("
  "  subscription TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE,"
  "  location TEXT NOT NULL, PRIMARY KEY (subscription, name)) STRICT;";

gboolean
cb_sb_arm_resources_init (CbSandbox  *self,
                          GError    **error)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean has_tenant;

  if (!cb_sb_exec (self, schema, error))
    return FALSE;

  /* A store made before subscriptions named their tenant gets the column. */
  stmt = cb_sb_prepare (self, "SELECT 1 FROM pragma_table_info('arm_subscriptions') "
                              "WHERE name = 'tenant'");
  has_tenant = sqlite3_step (stmt) == SQLITE_ROW;
  cb_sb_stmt_done (stmt);
  return has_tenant ||
         cb_sb_exec (self, "ALTER TABLE arm_subscriptions ADD COLUMN tenant TEXT", error);
}

gboolean
cb_sb_arm_add_subscription (CbSandbox   *self,
                            const char  *id,
                            const char  *display_name,
                            GError     **error)
{
  return cb_sb_arm_add_subscription_in_tenant (self, id, display_name, NULL, error);
}

gboolean
cb_sb_arm_add_subscription_in_tenant (CbSandbox   *self,
                                      const char  *id,
                                      const char  *display_name,
                                      const char  *tenant,
                                      GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                            "INSERT OR REPLACE INTO arm_subscriptions "
                                            "(id, display_name, tenant) VALUES (?, ?, ?)");

  cb_sb_bind_text (stmt, 1, id);
  cb_sb_bind_text (stmt, 2, display_name);
  cb_sb_bind_text (stmt, 3, tenant);
  return cb_sb_step_done (self, stmt, error);
}

gboolean
cb_sb_arm_add_resource_group (CbSandbox   *self,
                              const char  *subscription,
                              const char  *name,
                              const char  *location,
                              GError     **error)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                            "INSERT OR REPLACE INTO arm_resource_groups "
                                            "(subscription, name, location) VALUES (?, ?, ?)");

  cb_sb_bind_text (stmt, 1, subscription);
  cb_sb_bind_text (stmt, 2, name);
  cb_sb_bind_text (stmt, 3, location);
  return cb_sb_step_done (self, stmt, error);
}

static char *
first_text (CbSandbox  *self,
            const char *sql,
            const char *a,
            const char *b)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, sql);
  char *text = NULL;

  cb_sb_bind_text (stmt, 1, a);
  if (b != NULL)
    cb_sb_bind_text (stmt, 2, b);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);
  return text;
}

char *
cb_sb_arm_subscription_name (CbSandbox  *self,
                             const char *id)
{
  char *name = first_text (self, "SELECT display_name FROM arm_subscriptions WHERE id = ?1",
                           id, NULL);

  return name != NULL ? name : g_strdup ("Sandbox subscription");
}

char *
cb_sb_arm_resource_group_location (CbSandbox  *self,
                                   const char *subscription,
                                   const char *name)
{
  char *location = first_text (self,
                               "SELECT location FROM arm_resource_groups "
                               "WHERE subscription = ?1 AND name = ?2 "
                               "UNION ALL SELECT location FROM adr_namespaces "
                               "WHERE subscription = ?1 AND resource_group = ?2 LIMIT 1",
                               subscription, name);

  return location != NULL ? location : g_strdup (DEFAULT_LOCATION);
}

char *
cb_sb_arm_subscription_tenant (CbSandbox  *self,
                               const char *id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                            "SELECT s.id, (SELECT a.tenant FROM "
                                            "arm_subscriptions a WHERE a.id = s.id) FROM ("
                                            CB_SB_ARM_SUBSCRIPTIONS_SQL ") s "
                                            "WHERE s.id = ?1 COLLATE NOCASE");
  char *tenant = NULL;

  cb_sb_bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      tenant = cb_sb_column_dup (stmt, 1);
      if (tenant == NULL)
        tenant = cb_sb_dup_meta (self, "tenant_id");
    }
  cb_sb_stmt_done (stmt);
  return tenant;
}
