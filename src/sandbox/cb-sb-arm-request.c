/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* What every ARM route of Microsoft.DeviceRegistry shares: the prelude, the activity log of
 * writes, ARM's errors, the replies that start a long-running operation (cb-sb-lro.c) and
 * paged lists.
 *
 * Azure-AsyncOperation: /arm/subscriptions/{sub}/providers/Microsoft.DeviceRegistry/locations/{loc}/operationStatuses/{id}
 * Location:            /arm/subscriptions/{sub}/providers/Microsoft.DeviceRegistry/locations/{loc}/operationResults/{id}
 * (the second is our design, after ARM's usual operationResults convention).
 */

#include "config.h"

#include "cb-sb-activity.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-adr-ids.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-faults.h"
#include "cb-sb-json.h"
#include "cb-sb-lro.h"
#include "cb-sb-paging.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"

#define NOT_FOUND_HELP     "For more details please go to https://aka.ms/ARMResourceNotFoundFix"

const char *
cb_sb_arm_api_version (CbSbRequest *req)
{
  const char *v = cb_sb_query (req, "api-version");

  return v != NULL ? v : CB_SB_ARM_API_VERSION;
}

gboolean
cb_sb_arm_is_old_api (CbSbRequest *req)
{
  return g_strcmp0 (cb_sb_arm_api_version (req), CB_SB_ARM_API_VERSION_OLD) == 0;
}

gboolean
cb_sb_arm_is_stable_api (CbSbRequest *req)
{
  const char *v = cb_sb_arm_api_version (req);

  return g_strcmp0 (v, CB_SB_ARM_API_VERSION_STABLE) == 0 ||
         g_strcmp0 (v, CB_SB_ARM_API_VERSION_STABLE_PREVIEW) == 0;
}

/* ---- The prelude and the activity log ----------------------------------------------------- */

static void
ids_clear (CbSbArmIds *ids)
{
  g_clear_pointer (&ids->scope, g_free);
  g_clear_pointer (&ids->ns_id, g_free);
  g_clear_pointer (&ids->cred_id, g_free);
  g_clear_pointer (&ids->policy_id, g_free);
  g_clear_pointer (&ids->device_id, g_free);
  g_clear_pointer (&ids->ca_id, g_free);
  g_clear_pointer (&ids->ca_policy_id, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbArmIds, ids_clear)

static void
ids_init (CbSbRequest  *req,
          CbSbArmScope  scope,
          CbSbArmIds   *ids)
{
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");

  switch (scope)
    {
    case CB_SB_ARM_SCOPE_SUBSCRIPTION:
      ids->scope = g_strdup_printf ("/subscriptions/%s", sub);
      return;
    case CB_SB_ARM_SCOPE_GROUP:
      ids->scope = g_strdup_printf ("/subscriptions/%s/resourceGroups/%s", sub, rg);
      return;
    case CB_SB_ARM_SCOPE_NAMESPACE:
    case CB_SB_ARM_SCOPE_CREDENTIAL:
    case CB_SB_ARM_SCOPE_POLICY:
    case CB_SB_ARM_SCOPE_DEVICE:
    case CB_SB_ARM_SCOPE_CA:
    case CB_SB_ARM_SCOPE_CA_POLICY:
    default:
      break;
    }

  ids->ns_id = cb_sb_namespace_id (sub, rg, cb_sb_param (req, "ns"));
  ids->cred_id = cb_sb_credential_id (ids->ns_id);
  if (scope == CB_SB_ARM_SCOPE_POLICY)
    ids->policy_id = cb_sb_policy_id (ids->ns_id, cb_sb_param (req, "policy"));
  if (scope == CB_SB_ARM_SCOPE_DEVICE)
    ids->device_id = cb_sb_device_id (ids->ns_id, cb_sb_param (req, "device"));
  if (scope == CB_SB_ARM_SCOPE_CA || scope == CB_SB_ARM_SCOPE_CA_POLICY)
    ids->ca_id = cb_sb_adr_ca_id (ids->ns_id, cb_sb_param (req, "ca"));
  if (scope == CB_SB_ARM_SCOPE_CA_POLICY)
    ids->ca_policy_id = cb_sb_adr_ca_policy_id (ids->ca_id, cb_sb_param (req, "cp"));

  ids->scope = g_strdup (scope == CB_SB_ARM_SCOPE_NAMESPACE ? ids->ns_id
                         : scope == CB_SB_ARM_SCOPE_CREDENTIAL ? ids->cred_id
                         : scope == CB_SB_ARM_SCOPE_POLICY ? ids->policy_id
                         : scope == CB_SB_ARM_SCOPE_CA ? ids->ca_id
                         : scope == CB_SB_ARM_SCOPE_CA_POLICY ? ids->ca_policy_id
                         : ids->device_id);
}

/* Every management write lands in the activity log with its outcome, once answered. */
void
cb_sb_arm_log_write (CbSbRequest *req,
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

  cb_sb_log_activity (req->sandbox, req->principal, req->principal_id, req->correlation_id,
                      req->method, operation, resource_id, result, status);
}

static gboolean
require_versions (CbSbRequest     *req,
                  CbSbArmVersions  versions)
{
  switch (versions)
    {
    case CB_SB_ARM_VERSIONS_NEWEST_PREVIEW:
      return cb_sb_require_api_version (req, CB_SB_ARM_API_VERSION, NULL);
    case CB_SB_ARM_VERSIONS_ANY:
      return cb_sb_require_api_version (req, CB_SB_ARM_API_VERSION, CB_SB_ARM_API_VERSION_OLD,
                                        CB_SB_ARM_API_VERSION_STABLE,
                                        CB_SB_ARM_API_VERSION_STABLE_PREVIEW, NULL);
    case CB_SB_ARM_VERSIONS_STABLE:
      return cb_sb_require_api_version (req, CB_SB_ARM_API_VERSION_STABLE,
                                        CB_SB_ARM_API_VERSION_STABLE_PREVIEW, NULL);
    case CB_SB_ARM_VERSIONS_STABLE_PREVIEW:
      return cb_sb_require_api_version (req, CB_SB_ARM_API_VERSION_STABLE_PREVIEW, NULL);
    case CB_SB_ARM_VERSIONS_PREVIEW:
    default:
      return cb_sb_require_api_version (req, CB_SB_ARM_API_VERSION, CB_SB_ARM_API_VERSION_OLD,
                                        NULL);
    }
}

void
cb_sb_arm_handle (CbSbRequest          *req,
                  const CbSbArmHandler *handler)
{
  g_auto(CbSbArmIds) ids = { 0 };

  ids_init (req, handler->scope, &ids);

  if (!cb_sb_require_bearer (req, CB_SB_AUD_ARM))
    return;

  if (!require_versions (req, handler->versions))
    return;

  if (!cb_sb_require_permission (req, ids.scope, handler->action, handler->perm))
    return;

  cb_sb_arm_run_due_operations (req->sandbox);
  handler->func (req, &ids);

  if (handler->write)
    cb_sb_arm_log_write (req, handler->action, ids.scope);
}

/* ---- Errors ----------------------------------------------------------------------------- */

void
cb_sb_arm_reply_not_found (CbSbRequest *req,
                           const char  *resource,
                           const char  *resource_group)
{
  cb_sb_reply_arm_error (req, SOUP_STATUS_NOT_FOUND, "ResourceNotFound", NULL,
                         "The Resource '%s' under resource group '%s' was not found. %s",
                         resource, resource_group, NOT_FOUND_HELP);
}

void
cb_sb_arm_reply_parent_not_found (CbSbRequest *req,
                                  const char  *parent)
{
  cb_sb_reply_arm_error (req, SOUP_STATUS_NOT_FOUND, "ParentResourceNotFound", NULL,
                         "Can not perform requested operation on nested resource. Parent "
                         "resource '%s' not found.", parent);
}

void
cb_sb_arm_reply_invalid_content (CbSbRequest *req,
                                 const char  *target,
                                 const char  *message)
{
  cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidRequestContent", target, "%s",
                         message);
}

gboolean
cb_sb_arm_reply_if_deleting (CbSbRequest *req,
                             const char  *state)
{
  if (g_strcmp0 (state, "Deleting") != 0)
    return FALSE;

  cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                         "The resource is being deleted; retry once the deletion completed.");
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

gboolean
cb_sb_arm_check_location_unchanged (CbSbRequest *req,
                                    const char  *name,
                                    const char  *current,
                                    const char  *given)
{
  if (given == NULL || same_location (current, given))
    return TRUE;

  cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "InvalidResourceLocation", "location",
                         "The resource '%s' already exists in location '%s' in resource group "
                         "'%s'. A resource with the same name cannot be created in location "
                         "'%s'. Please select a new resource name.",
                         name, current, cb_sb_param (req, "rg"), given);
  return FALSE;
}

/* ---- Parents ---------------------------------------------------------------------------- */

char *
cb_sb_arm_require_namespace (CbSbRequest *req,
                             const char  *ns_id,
                             char       **location)
{
  char *state = cb_sb_adr_namespace_state (req->sandbox, ns_id, location);

  if (state == NULL)
    cb_sb_arm_reply_parent_not_found (req, cb_sb_param (req, "ns"));

  return state;
}

gboolean
cb_sb_arm_require_credential (CbSbRequest *req,
                              const char  *ns_id,
                              char       **location)
{
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;

  if ((ns_state = cb_sb_arm_require_namespace (req, ns_id, NULL)) == NULL)
    return FALSE;

  state = cb_sb_adr_credential_state (req->sandbox, ns_id, location);
  if (state == NULL)
    {
      g_autofree char *parent = g_strdup_printf ("%s/default", cb_sb_param (req, "ns"));

      cb_sb_arm_reply_parent_not_found (req, parent);
      return FALSE;
    }

  return TRUE;
}

/* ---- Long-running operations -------------------------------------------------------------- */

char *
cb_sb_arm_operation_url (CbSbRequest *req,
                         const char  *subscription,
                         const char  *location,
                         const char  *collection,
                         const char  *op_id)
{
  g_autofree char *loc = cb_sb_arm_normalize_location (location);
  g_autofree char *sub = g_uri_escape_string (subscription, NULL, TRUE);
  g_autofree char *path = g_strdup_printf ("/arm/subscriptions/%s/providers/"
                                           "Microsoft.DeviceRegistry/locations/%s/"
                                           "%s/%s?api-version=%s",
                                           sub, loc, collection, op_id,
                                           cb_sb_arm_api_version (req));

  return cb_sb_url (req, path);
}

void
cb_sb_arm_start_operation (CbSbRequest   *req,
                           const char    *location,
                           const char    *kind,
                           const char    *target,
                           const char    *resource_id,
                           const char    *args,
                           const char    *prev_state,
                           CbSbFinalKind  final_kind,
                           const char    *operation_name,
                           gboolean       async_header,
                           gboolean       location_header)
{
  const char *sub = cb_sb_param (req, "sub");
  g_autofree char *op_id = NULL;
  g_autofree char *retry = NULL;
  CbSbLroStart start = { 0 };

  start.subscription = sub;
  start.location = location;
  start.kind = kind;
  start.target = target;
  start.resource_id = resource_id;
  start.args = args;
  start.prev_state = prev_state;
  start.final_kind = final_kind;
  start.operation_name = operation_name;
  start.fail = cb_sb_fault_wants (req, "lro", "Failed");
  start.caller = req->principal;
  start.caller_id = req->principal_id;
  start.correlation_id = req->correlation_id;
  op_id = cb_sb_lro_start (req->sandbox, &start);

  if (async_header)
    {
      g_autofree char *url = cb_sb_arm_operation_url (req, sub, location, "operationStatuses",
                                                      op_id);

      cb_sb_set_header (req, "Azure-AsyncOperation", url);
    }

  if (location_header)
    {
      g_autofree char *url = cb_sb_arm_operation_url (req, sub, location, "operationResults",
                                                      op_id);

      cb_sb_set_header (req, "Location", url);
    }

  retry = g_strdup_printf ("%u", cb_sb_lro_retry_after (req->sandbox));
  cb_sb_set_header (req, "Retry-After", retry);
}

void
cb_sb_arm_reply_created (CbSbRequest *req,
                         const char  *location,
                         const char  *kind,
                         const char  *target,
                         const char  *resource_id,
                         const char  *args,
                         const char  *operation_name,
                         JsonNode    *resource)
{
  cb_sb_arm_start_operation (req, location, kind, target, resource_id, args, NULL,
                             CB_SB_FINAL_RESOURCE, operation_name, TRUE, FALSE);
  cb_sb_reply_json (req, SOUP_STATUS_CREATED, resource);
}

void
cb_sb_arm_start_patch (CbSbRequest *req,
                       const char  *kind,
                       const char  *target,
                       const char  *resource_id,
                       const char  *location,
                       const char  *prev_state,
                       const char  *args,
                       const char  *operation_name)
{
  const char *table;
  const char *key_column;

  cb_sb_adr_table_for_kind (kind, &table, &key_column);
  cb_sb_adr_set_state (req->sandbox, table, key_column, target, "Accepted");
  cb_sb_arm_start_operation (req, location, kind, target, resource_id, args, prev_state,
                             CB_SB_FINAL_RESOURCE, operation_name, FALSE, TRUE);
  cb_sb_reply_empty (req, SOUP_STATUS_ACCEPTED);
}

void
cb_sb_arm_start_delete (CbSbRequest *req,
                        const char  *kind,
                        const char  *target,
                        const char  *resource_id,
                        const char  *location,
                        const char  *prev_state,
                        const char  *operation_name)
{
  const char *table;
  const char *key_column;

  cb_sb_adr_table_for_kind (kind, &table, &key_column);
  cb_sb_adr_set_state (req->sandbox, table, key_column, target, "Deleting");
  cb_sb_arm_start_operation (req, location, kind, target, resource_id, NULL, prev_state,
                             CB_SB_FINAL_EMPTY, operation_name, FALSE, TRUE);
  cb_sb_reply_empty (req, SOUP_STATUS_ACCEPTED);
}

void
cb_sb_arm_start_action (CbSbRequest   *req,
                        const char    *kind,
                        const char    *target,
                        const char    *resource_id,
                        const char    *location,
                        const char    *args,
                        CbSbFinalKind  final_kind,
                        gboolean       async_header,
                        const char    *operation_name)
{
  cb_sb_arm_start_operation (req, location, kind, target, resource_id, args, NULL, final_kind,
                             operation_name, async_header, TRUE);
  cb_sb_reply_empty (req, SOUP_STATUS_ACCEPTED);
}

/* ---- Lists ------------------------------------------------------------------------------ */

void
cb_sb_arm_reply_list (CbSbRequest   *req,
                      const char    *sql,
                      const char    *a,
                      const char    *b,
                      CbSbArmToJson  to_json)
{
  CbSandbox *self = req->sandbox;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(CbSbStmt) stmt = NULL;
  g_auto(GStrv) after = NULL;
  g_auto(GStrv) last = NULL;
  const char *token = cb_sb_query (req, "$skipToken");
  guint limit = cb_sb_page_size (self);
  guint n_keys;

  if (token == NULL)
    token = cb_sb_query (req, "$skiptoken");

  stmt = cb_sb_prepare (self, sql);
  n_keys = (guint) sqlite3_column_count (stmt) - 1;
  g_assert (n_keys >= 1 && n_keys <= 2);

  if (token != NULL)
    {
      switch (cb_sb_skip_token_parse (self, req->path, token, n_keys, &after))
        {
        case CB_SB_SKIP_TOKEN_OK:
          break;
        case CB_SB_SKIP_TOKEN_EXPIRED:
          cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "ExpiredSkipToken", "$skipToken",
                                 "The $skipToken has expired. List again from the first page.");
          return;
        case CB_SB_SKIP_TOKEN_INVALID:
        default:
          cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidSkipToken", "$skipToken",
                                 "The $skipToken is not valid for this list. Use the nextLink "
                                 "the previous page returned.");
          return;
        }
    }

  if (a != NULL)
    cb_sb_bind_text (stmt, 1, a);
  if (b != NULL)
    cb_sb_bind_text (stmt, 2, b);
  for (guint i = 0; i < n_keys; i++)
    {
      g_autofree char *name = g_strdup_printf (":k%u", i + 1);

      cb_sb_bind_text (stmt, sqlite3_bind_parameter_index (stmt, name),
                       after != NULL ? after[i] : "");
    }
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":limit"), limit + 1);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (ids, cb_sb_column_dup (stmt, 0));
      if (ids->len == limit)
        {
          g_strfreev (last);
          last = g_new0 (char *, n_keys + 1);
          for (guint i = 0; i < n_keys; i++)
            last[i] = cb_sb_column_dup (stmt, (int) i + 1);
        }
    }
  cb_sb_stmt_done (stmt);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "value");
  json_builder_begin_array (builder);
  for (guint i = 0; i < MIN (ids->len, limit); i++)
    {
      JsonNode *node = to_json (self, g_ptr_array_index (ids, i), cb_sb_arm_api_version (req));

      if (node != NULL)
        json_builder_add_value (builder, node);
    }
  json_builder_end_array (builder);
  if (ids->len > limit)
    {
      g_autofree char *next = cb_sb_skip_token_new (self, req->path, (const char * const *) last);
      g_autofree char *path = cb_sb_next_link_path (req->path, req->query, next);
      g_autofree char *link = cb_sb_url (req, path);

      cb_sb_json_add_string (builder, "nextLink", link);
    }
  json_builder_end_object (builder);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (builder));
}

void
cb_sb_arm_reply_namespace_list (CbSbRequest   *req,
                                const char    *ns_id,
                                const char    *sql,
                                CbSbArmToJson  to_json)
{
  g_autofree char *state = cb_sb_arm_require_namespace (req, ns_id, NULL);

  if (state != NULL)
    cb_sb_arm_reply_list (req, sql, ns_id, NULL, to_json);
}

void
cb_sb_arm_reply_found (CbSbRequest     *req,
                       JsonNode        *node,
                       CbSbArmNotFound  not_found)
{
  if (node == NULL)
    not_found (req);
  else
    cb_sb_reply_json (req, SOUP_STATUS_OK, node);
}

void
cb_sb_arm_add_routes (CbSandbox               *self,
                      const CbSbArmRouteEntry *routes,
                      guint                    n_routes)
{
  for (guint i = 0; i < n_routes; i++)
    cb_sb_add_route (self, routes[i].method, routes[i].pattern, CB_SB_STYLE_ARM,
                     routes[i].handler);
}
