/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-profile"

#include "config.h"

#include <string.h>

#include "cb-sandbox-private.h"
#include "cb-sandbox-profile.h"

/* The connection profile that points the core clients at this sandbox: the same clients talk to
 * Azure with an Azure profile. Names come from the demo seed when it is there, else from the
 * first hub and DPS instance. The profile pins the sandbox's CA and holds no secret. */

static char *
column (sqlite3_stmt *stmt,
        int           col)
{
  return cb_sb_column_dup (stmt, col);
}

static char *
namespace_name_from_id (const char *namespace_id)
{
  const char *slash;

  if (namespace_id == NULL)
    return NULL;

  slash = strrchr (namespace_id, '/');
  return g_strdup (slash != NULL ? slash + 1 : namespace_id);
}

CbProfile *
cb_sandbox_create_profile (CbSandbox *self)
{
  g_autoptr(CbProfile) profile = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *demo = NULL;
  g_autofree char *login = NULL;
  g_autofree char *arm = NULL;
  g_autofree char *dps_global = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (self->base_url != NULL, NULL);

  cb_sandbox_lock (self);

  profile = cb_profile_new ("sandbox", "Local sandbox", CB_PROFILE_KIND_SANDBOX);

  tenant = cb_sandbox_dup_meta (self, "tenant_id");
  login = g_strconcat (self->base_url, "/entra", NULL);
  arm = g_strconcat (self->base_url, "/arm", NULL);
  dps_global = g_strconcat (self->base_url, "/dps", NULL);

  cb_profile_set_login_endpoint (profile, login);
  cb_profile_set_tenant (profile, tenant);
  cb_profile_set_client_id (profile, "certbench");
  cb_profile_set_arm_endpoint (profile, arm);
  cb_profile_set_dps_global_endpoint (profile, dps_global);
  cb_profile_set_pinned_ca_file (profile, self->ca_file);

  stmt = cb_sb_prepare (self, "SELECT name, host_name, subscription, resource_group, namespace_id "
                              "FROM hubs ORDER BY created, name LIMIT 1");
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autofree char *name = column (stmt, 0);
      g_autofree char *host = column (stmt, 1);
      g_autofree char *subscription = column (stmt, 2);
      g_autofree char *group = column (stmt, 3);
      g_autofree char *ns = namespace_name_from_id ((const char *) sqlite3_column_text (stmt, 4));
      g_autofree char *endpoint = g_strdup_printf ("%s/hubs/%s", self->base_url, name);

      cb_profile_set_hub_name (profile, name);
      cb_profile_set_hub_host_name (profile, host);
      cb_profile_set_hub_endpoint (profile, endpoint);
      cb_profile_set_subscription_id (profile, subscription);
      cb_profile_set_resource_group (profile, group);
      cb_profile_set_namespace (profile, ns);
    }

  stmt = cb_sb_prepare (self, "SELECT name, id_scope, host_name FROM dps_instances "
                              "ORDER BY created, name LIMIT 1");
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autofree char *name = column (stmt, 0);
      g_autofree char *scope = column (stmt, 1);
      g_autofree char *host = column (stmt, 2);
      g_autofree char *endpoint = g_strdup_printf ("%s/dps-service/%s", self->base_url, name);

      cb_profile_set_dps_name (profile, name);
      cb_profile_set_dps_id_scope (profile, scope);
      cb_profile_set_dps_host_name (profile, host);
      cb_profile_set_dps_service_endpoint (profile, endpoint);
    }

  demo = cb_sandbox_dup_meta (self, "demo");
  if (demo != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, demo, -1, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          JsonObject *obj = json_node_get_object (json_parser_get_root (parser));

          cb_profile_set_name (profile, "Local sandbox (demo)");
          cb_profile_set_location (profile, json_object_get_string_member_with_default (obj, "location", NULL));
          cb_profile_set_enrollment_group_id (profile, json_object_get_string_member_with_default (obj, "enrollmentGroup", NULL));
          cb_profile_set_credential_policy (profile, json_object_get_string_member_with_default (obj, "policy", NULL));
        }
    }

  cb_sandbox_unlock (self);

  return g_steal_pointer (&profile);
}

char *
cb_sandbox_dup_enrollment_group_key (CbSandbox  *self,
                                     const char *dps,
                                     const char *group_id)
{
  sqlite3_stmt *stmt;
  char *key = NULL;

  g_return_val_if_fail (CB_IS_SANDBOX (self), NULL);

  cb_sandbox_lock (self);
  stmt = cb_sb_prepare (self, "SELECT primary_key FROM dps_enrollment_groups "
                              "WHERE dps = ? AND group_id = ?");
  sqlite3_bind_text (stmt, 1, dps, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, group_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    key = column (stmt, 0);
  cb_sandbox_unlock (self);

  return key;
}
