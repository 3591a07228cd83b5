/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Surfaces: the /sandbox/info document. What a client needs to find its way around this
 * sandbox: the endpoints, the tenant and default principal, the hubs (with their device
 * endpoint), the DPS instances, the principals and their roles, and the demo seed's
 * description. The sandbox-own surface answers it; the connection profile is made from it. */

#include "config.h"

#include <string.h>

#include "cb-sb-info.h"
#include "cb-sb-json.h"
#include "cb-sb-store.h"

JsonNode *
cb_sb_build_info (CbSandbox *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *tenant = cb_sb_dup_meta (self, "tenant_id");
  g_autofree char *default_principal = cb_sb_dup_meta (self, "default_principal");
  g_autofree char *entra = g_strconcat (self->base_url, "/entra", NULL);
  g_autofree char *arm = g_strconcat (self->base_url, "/arm", NULL);
  g_autofree char *dps = g_strconcat (self->base_url, "/dps", NULL);
  g_autofree char *demo = cb_sb_dup_meta (self, "demo");
  g_autoptr(CbSbStmt) stmt = NULL;

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "name", "Certbench sandbox");
  cb_sb_json_add_string (b, "version", PACKAGE_VERSION);
  cb_sb_json_add_string (b, "baseUrl", self->base_url);
  cb_sb_json_add_string (b, "caFile", self->ca_file);

  json_builder_set_member_name (b, "entra");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "endpoint", entra);
  cb_sb_json_add_string (b, "tenant", tenant);
  cb_sb_json_add_string (b, "defaultPrincipal", default_principal);
  json_builder_set_member_name (b, "autoApprove");
  json_builder_add_boolean_value (b, self->auto_approve);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "arm");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "endpoint", arm);
  cb_sb_json_add_string (b, "apiVersion", CB_SB_ARM_API_VERSION);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "hubs");
  json_builder_begin_array (b);
  stmt = cb_sb_prepare (self, "SELECT name, host_name, subscription, resource_group, namespace_id "
                              "FROM hubs ORDER BY name");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autofree char *endpoint = g_strdup_printf ("%s/hubs/%s", self->base_url,
                                                   sqlite3_column_text (stmt, 0));
      g_autofree char *device_endpoint = strchr (self->bind_address, ':') != NULL
        ? g_strdup_printf ("[%s]:%u", self->bind_address, self->mqtt_port)
        : g_strdup_printf ("%s:%u", self->bind_address, self->mqtt_port);
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "name", (const char *) sqlite3_column_text (stmt, 0));
      cb_sb_json_add_string (b, "hostName", (const char *) sqlite3_column_text (stmt, 1));
      cb_sb_json_add_string (b, "endpoint", endpoint);
      cb_sb_json_add_string (b, "deviceEndpoint", device_endpoint);
      cb_sb_json_add_string (b, "subscription", (const char *) sqlite3_column_text (stmt, 2));
      cb_sb_json_add_string (b, "resourceGroup", (const char *) sqlite3_column_text (stmt, 3));
      cb_sb_json_add_string (b, "namespaceId", (const char *) sqlite3_column_text (stmt, 4));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "dps");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "globalEndpoint", dps);
  json_builder_set_member_name (b, "instances");
  json_builder_begin_array (b);
  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "SELECT name, id_scope, host_name, namespace_id, linked_hub "
                              "FROM dps_instances ORDER BY name");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autofree char *endpoint = g_strdup_printf ("%s/dps-service/%s", self->base_url,
                                                   sqlite3_column_text (stmt, 0));
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "name", (const char *) sqlite3_column_text (stmt, 0));
      cb_sb_json_add_string (b, "idScope", (const char *) sqlite3_column_text (stmt, 1));
      cb_sb_json_add_string (b, "hostName", (const char *) sqlite3_column_text (stmt, 2));
      cb_sb_json_add_string (b, "serviceEndpoint", endpoint);
      cb_sb_json_add_string (b, "namespaceId", (const char *) sqlite3_column_text (stmt, 3));
      cb_sb_json_add_string (b, "linkedHub", (const char *) sqlite3_column_text (stmt, 4));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "principals");
  json_builder_begin_array (b);
  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "SELECT p.name, p.display_name, r.role, r.scope FROM principals p "
                              "LEFT JOIN role_assignments r ON r.principal_id = p.id "
                              "ORDER BY p.name, r.role");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "name", (const char *) sqlite3_column_text (stmt, 0));
      cb_sb_json_add_string (b, "displayName", (const char *) sqlite3_column_text (stmt, 1));
      cb_sb_json_add_string (b, "role", (const char *) sqlite3_column_text (stmt, 2));
      cb_sb_json_add_string (b, "scope", (const char *) sqlite3_column_text (stmt, 3));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "demo");
  if (demo != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, demo, -1, NULL))
        json_builder_add_value (b, json_parser_steal_root (parser));
      else
        json_builder_add_null_value (b);
    }
  else
    json_builder_add_null_value (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

