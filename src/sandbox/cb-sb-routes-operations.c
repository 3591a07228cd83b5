/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM surface of long-running operations (cb-sb-lro.c):
 *
 *   GET .../providers/Microsoft.DeviceRegistry/locations/{loc}/operationStatuses/{id}
 *   GET .../providers/Microsoft.DeviceRegistry/locations/{loc}/asyncOperationStatuses/{id}
 *       the status (InProgress with Retry-After, Succeeded, Failed with its error); the
 *       second path is the one 2026-11-01's main.tsp adds (AsyncOperationStatus_Get), and
 *       its document's id names that path
 *   GET .../providers/Microsoft.DeviceRegistry/locations/{loc}/operationResults/{id}
 *       202 while running, then the resource, nothing (204), or a revoke's {"result"}
 *
 * Every api-version of both ADR models is accepted: an operation is read with the version
 * that started it. The caller needs read access to the operation's resource. */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-ca-rules.h"
#include "cb-sb-adr-operations.h"
#include "cb-sb-arm-ca.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-registry-device.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-json.h"
#include "cb-sb-lro.h"
#include "cb-sb-routes-operations.h"

#define OP_STATUS_READ     "Microsoft.DeviceRegistry/locations/operationStatuses/read"

/* Authenticates, finds the operation and checks the caller may read its resource. */
static gboolean
operation_begin (CbSbRequest   *req,
                 CbSbOperation *op)
{
  const char *op_id = cb_sb_param (req, "opId");

  memset (op, 0, sizeof *op);

  if (!cb_sb_require_bearer (req, CB_SB_AUD_ARM) ||
      !cb_sb_require_api_version (req, CB_SB_ARM_API_VERSION, CB_SB_ARM_API_VERSION_OLD,
                                  CB_SB_ARM_API_VERSION_STABLE,
                                  CB_SB_ARM_API_VERSION_STABLE_PREVIEW, NULL))
    return FALSE;

  cb_sb_arm_run_due_operations (req->sandbox);

  if (!cb_sb_adr_get_operation (req->sandbox, op_id, cb_sb_param (req, "sub"), FALSE, op))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_NOT_FOUND, "ResourceNotFound", NULL,
                             "The operation '%s' was not found in subscription '%s'.",
                             op_id, cb_sb_param (req, "sub"));
      return FALSE;
    }

  return cb_sb_require_permission (req, op->resource_id, OP_STATUS_READ, CB_SB_PERM_READ);
}

static void
add_error_object (JsonBuilder *b,
                  const char  *code,
                  const char  *message)
{
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "code", code);
  cb_sb_json_add_string (b, "message", message);
  json_builder_end_object (b);
}

static void
reply_operation_status (CbSbRequest *req,
                        const char  *collection)
{
  g_auto(CbSbOperation) row = { 0 };
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *id = NULL;
  gboolean running;

  if (!operation_begin (req, &row))
    return;

  running = g_strcmp0 (row.status, "InProgress") == 0;
  id = g_strdup_printf ("/subscriptions/%s/providers/Microsoft.DeviceRegistry/locations/%s/"
                        "%s/%s", row.subscription, row.location, collection, row.id);

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", id);
  cb_sb_json_add_string (b, "name", row.id);
  /* The 2026-11-01 examples (Get_AsyncOperationStatus) show no resourceId. */
  if (!cb_sb_arm_is_stable_api (req))
    cb_sb_json_add_string (b, "resourceId", row.resource_id);
  cb_sb_json_add_string (b, "status", row.status);
  json_builder_set_member_name (b, "percentComplete");
  json_builder_add_double_value (b, running ? 50.0 : 100.0);
  cb_sb_arm_add_time (b, "startTime", row.start_usec);
  if (!running)
    cb_sb_arm_add_time (b, "endTime", row.end_usec);
  if (g_strcmp0 (row.status, "Failed") == 0)
    add_error_object (b, row.error_code, row.error_message);
  json_builder_end_object (b);

  if (running)
    {
      g_autofree char *retry = g_strdup_printf ("%u", cb_sb_lro_retry_after (req->sandbox));

      cb_sb_set_header (req, "Retry-After", retry);
    }

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
handle_operation_status (CbSbRequest *req)
{
  reply_operation_status (req, "operationStatuses");
}

static void
handle_async_operation_status (CbSbRequest *req)
{
  reply_operation_status (req, "asyncOperationStatuses");
}

static void
handle_operation_result (CbSbRequest *req)
{
  g_auto(CbSbOperation) row = { 0 };
  g_autoptr(JsonBuilder) b = NULL;

  if (!operation_begin (req, &row))
    return;

  if (g_strcmp0 (row.status, "InProgress") == 0)
    {
      g_autofree char *retry = g_strdup_printf ("%u", cb_sb_lro_retry_after (req->sandbox));
      g_autofree char *url = cb_sb_arm_operation_url (req, row.subscription, row.location,
                                                      "operationResults", row.id);

      cb_sb_set_header (req, "Location", url);
      cb_sb_set_header (req, "Retry-After", retry);
      cb_sb_reply_empty (req, SOUP_STATUS_ACCEPTED);
      return;
    }

  if (row.final_kind == CB_SB_FINAL_REVOKE)
    {
      b = json_builder_new ();
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "result", row.status);
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

  if (row.final_kind == CB_SB_FINAL_RESOURCE)
    {
      const char *api_version = cb_sb_arm_api_version (req);
      JsonNode *node = cb_sb_adr_ca_is_kind (row.kind)
                       ? cb_sb_arm_ca_resource_json (req->sandbox, row.kind, row.target,
                                                     api_version)
                       : g_str_has_prefix (row.kind, "registry-device-")
                       ? cb_sb_arm_registry_device_json (req->sandbox, row.target, api_version)
                       : cb_sb_arm_resource_json (req->sandbox, row.kind, row.target,
                                                  api_version);

      if (node != NULL)
        {
          cb_sb_reply_json (req, SOUP_STATUS_OK, node);
          return;
        }
    }

  cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
}

#define LOC CB_SB_ARM_SUB "/providers/Microsoft.DeviceRegistry/locations/{location}"

void
cb_sb_routes_operations_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET", LOC "/operationStatuses/{opId}", CB_SB_STYLE_ARM,
                   handle_operation_status);
  cb_sb_add_route (self, "GET", LOC "/asyncOperationStatuses/{opId}", CB_SB_STYLE_ARM,
                   handle_async_operation_status);
  cb_sb_add_route (self, "GET", LOC "/operationResults/{opId}", CB_SB_STYLE_ARM,
                   handle_operation_result);
}
