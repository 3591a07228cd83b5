/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-client"

#include "config.h"

#include <string.h>

#include "cb-error.h"
#include "cb-sandbox-client.h"
#include "cb-util.h"

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
first_element (JsonObject *object,
               const char *name)
{
  JsonNode *node;
  JsonArray *array;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  array = json_node_get_array (node);
  if (json_array_get_length (array) == 0 || !JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, 0)))
    return NULL;
  return json_array_get_object_element (array, 0);
}

CbProfile *
cb_profile_new_from_sandbox_info (JsonObject  *info,
                                  char       **out_group_key)
{
  g_autoptr(CbProfile) profile = NULL;
  JsonObject *entra = member_object (info, "entra");
  JsonObject *arm = member_object (info, "arm");
  JsonObject *dps = member_object (info, "dps");
  JsonObject *hub = first_element (info, "hubs");
  JsonObject *instance = first_element (dps, "instances");
  JsonObject *demo = member_object (info, "demo");

  g_return_val_if_fail (info != NULL, NULL);

  if (out_group_key != NULL)
    *out_group_key = NULL;

  profile = cb_profile_new ("sandbox", "Local sandbox", CB_PROFILE_KIND_SANDBOX);
  cb_profile_set_sandbox_endpoint (profile, member_string (info, "baseUrl"));
  cb_profile_set_pinned_ca_file (profile, member_string (info, "caFile"));
  cb_profile_set_login_endpoint (profile, member_string (entra, "endpoint"));
  cb_profile_set_tenant (profile, member_string (entra, "tenant"));
  cb_profile_set_client_id (profile, "certbench");
  cb_profile_set_arm_endpoint (profile, member_string (arm, "endpoint"));
  cb_profile_set_dps_global_endpoint (profile, member_string (dps, "globalEndpoint"));

  if (hub != NULL)
    {
      const char *ns_id = member_string (hub, "namespaceId");
      const char *slash = ns_id != NULL ? strrchr (ns_id, '/') : NULL;

      cb_profile_set_hub_name (profile, member_string (hub, "name"));
      cb_profile_set_hub_host_name (profile, member_string (hub, "hostName"));
      cb_profile_set_hub_endpoint (profile, member_string (hub, "endpoint"));
      cb_profile_set_hub_device_endpoint (profile, member_string (hub, "deviceEndpoint"));
      cb_profile_set_subscription_id (profile, member_string (hub, "subscription"));
      cb_profile_set_resource_group (profile, member_string (hub, "resourceGroup"));
      cb_profile_set_namespace (profile, slash != NULL ? slash + 1 : ns_id);
    }

  if (instance != NULL)
    {
      cb_profile_set_dps_name (profile, member_string (instance, "name"));
      cb_profile_set_dps_id_scope (profile, member_string (instance, "idScope"));
      cb_profile_set_dps_host_name (profile, member_string (instance, "hostName"));
      cb_profile_set_dps_service_endpoint (profile, member_string (instance, "serviceEndpoint"));
    }

  if (demo != NULL)
    {
      cb_profile_set_name (profile, "Local sandbox (demo)");
      cb_profile_set_location (profile, member_string (demo, "location"));
      cb_profile_set_enrollment_group_id (profile, member_string (demo, "enrollmentGroup"));
      cb_profile_set_credential_policy (profile, member_string (demo, "policy"));
      if (out_group_key != NULL)
        *out_group_key = g_strdup (member_string (demo, "enrollmentGroupKey"));
    }

  return g_steal_pointer (&profile);
}

void
cb_chain_verdict_free (CbChainVerdict *verdict)
{
  if (verdict == NULL)
    return;
  g_free (verdict->verdict);
  g_free (verdict->reason);
  g_free (verdict);
}

static gboolean
sandbox_base (GTask      *task,
              CbProfile  *profile,
              const char **out_base)
{
  const char *base = cb_profile_get_sandbox_endpoint (profile);

  if (cb_profile_get_kind (profile) != CB_PROFILE_KIND_SANDBOX || base == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "“%s” is not a sandbox profile: Azure has no such check",
                               cb_profile_get_name (profile));
      return FALSE;
    }

  *out_base = base;
  return TRUE;
}

/* The sandbox's JSON answer to a request, when it has the member @required; otherwise the task
 * is answered with the error and NULL returned. The object belongs to *out_response. */
static JsonObject *
finish_answer (GTask           *task,
               GObject         *object,
               GAsyncResult    *result,
               const char      *required,
               const char      *what,
               CbHttpResponse **out_response)
{
  GError *error = NULL;
  JsonObject *answer;

  *out_response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &error);
  if (*out_response == NULL)
    {
      g_task_return_error (task, error);
      return NULL;
    }

  answer = cb_http_response_get_object (*out_response);
  if (answer == NULL || member_string (answer, required) == NULL)
    {
      g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_PARSE,
                               "The sandbox's %s has no %s", what, required);
      return NULL;
    }
  return answer;
}

static void
check_chain_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  CbChainVerdict *verdict;
  JsonObject *answer;

  if (!(answer = finish_answer (task, object, result, "verdict", "answer", &response)))
    return;

  verdict = g_new0 (CbChainVerdict, 1);
  verdict->accepted = json_object_get_boolean_member_with_default (answer, "accepted", FALSE);
  verdict->verdict = g_strdup (member_string (answer, "verdict"));
  verdict->reason = g_strdup (member_string (answer, "reason"));
  g_task_return_pointer (task, verdict, (GDestroyNotify) cb_chain_verdict_free);
}

void
cb_sandbox_client_check_chain_async (CbHttpClient        *http,
                                     CbProfile           *profile,
                                     const char          *device_id,
                                     GPtrArray           *chain,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *url = NULL;
  const char *base;

  g_return_if_fail (CB_IS_HTTP_CLIENT (http));
  g_return_if_fail (CB_IS_PROFILE (profile));
  g_return_if_fail (device_id != NULL);
  g_return_if_fail (chain != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_sandbox_client_check_chain_async);

  if (!sandbox_base (task, profile, &base))
    return;

  pem = cb_certificate_list_to_pem (chain);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "chain");
  json_builder_add_string_value (builder, pem);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  url = cb_http_build_url (base, "sandbox", "hubs", cb_profile_get_hub_name (profile), "devices",
                           device_id, "check-chain", NULL);
  cb_http_client_request_async (http, "POST", url, NULL, NULL, body, CB_HTTP_STYLE_ARM,
                                cancellable, check_chain_cb, g_steal_pointer (&task));
}

CbChainVerdict *
cb_sandbox_client_check_chain_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
get_root_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  CbCertificate *root;
  GBytes *body;

  response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  body = response->body;
  root = body != NULL ? cb_certificate_new_from_pem (g_bytes_get_data (body, NULL),
                                                     g_bytes_get_size (body), &error)
                      : NULL;
  if (root == NULL)
    {
      g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_PARSE,
                               "The sandbox's namespace root does not parse: %s",
                               error != NULL ? error->message : "empty answer");
      return;
    }

  g_task_return_pointer (task, root, g_object_unref);
}

void
cb_sandbox_client_get_root_async (CbHttpClient        *http,
                                  CbProfile           *profile,
                                  const char          *namespace_name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  const char *base;

  g_return_if_fail (CB_IS_HTTP_CLIENT (http));
  g_return_if_fail (CB_IS_PROFILE (profile));
  g_return_if_fail (namespace_name != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_sandbox_client_get_root_async);

  if (!sandbox_base (task, profile, &base))
    return;

  url = cb_http_build_url (base, "sandbox", "namespaces", namespace_name, "root.pem", NULL);
  cb_http_client_request_async (http, "GET", url, NULL, NULL, NULL, CB_HTTP_STYLE_ARM,
                                cancellable, get_root_cb, g_steal_pointer (&task));
}

CbCertificate *
cb_sandbox_client_get_root_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cb_hub_connection_report_free (CbHubConnectionReport *report)
{
  if (report == NULL)
    return;
  g_free (report->connection_state);
  g_free (report->verdict);
  g_free (report->reason);
  g_clear_pointer (&report->attempts, g_ptr_array_unref);
  g_free (report);
}

void
cb_hub_connection_attempt_free (CbHubConnectionAttempt *attempt)
{
  if (attempt == NULL)
    return;
  g_free (attempt->verdict);
  g_free (attempt->reason);
  g_free (attempt);
}

static gint64
member_time (JsonObject *object,
             const char *name)
{
  gint64 when = 0;

  if (!cb_time_parse_iso8601 (member_string (object, name), &when))
    return 0;
  return when;
}

static void
get_connection_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(CbHubConnectionReport) report = NULL;
  JsonObject *answer;
  JsonObject *attempt;
  JsonArray *attempts;

  if (!(answer = finish_answer (task, object, result, "connectionState", "connection report",
                                &response)))
    return;

  report = g_new0 (CbHubConnectionReport, 1);
  report->connection_state = g_strdup (member_string (answer, "connectionState"));
  report->last_activity = member_time (answer, "lastActivityTime");

  attempt = member_object (answer, "lastAttempt");
  if (attempt != NULL)
    {
      report->has_attempt = TRUE;
      report->attempt_time = member_time (attempt, "time");
      report->accepted = json_object_get_boolean_member_with_default (attempt, "accepted", FALSE);
      report->verdict = g_strdup (member_string (attempt, "verdict"));
      report->reason = g_strdup (member_string (attempt, "reason"));
    }

  report->attempts = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_hub_connection_attempt_free);
  attempts = member_array (answer, "attempts");
  for (guint i = 0; attempts != NULL && i < json_array_get_length (attempts); i++)
    {
      JsonNode *node = json_array_get_element (attempts, i);
      CbHubConnectionAttempt *item;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      attempt = json_node_get_object (node);
      item = g_new0 (CbHubConnectionAttempt, 1);
      item->time = member_time (attempt, "time");
      item->accepted = json_object_get_boolean_member_with_default (attempt, "accepted", FALSE);
      item->verdict = g_strdup (member_string (attempt, "verdict"));
      item->reason = g_strdup (member_string (attempt, "reason"));
      g_ptr_array_add (report->attempts, item);
    }

  g_task_return_pointer (task, g_steal_pointer (&report),
                         (GDestroyNotify) cb_hub_connection_report_free);
}

void
cb_sandbox_client_get_connection_async (CbHttpClient        *http,
                                        CbProfile           *profile,
                                        const char          *device_id,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  const char *base;

  g_return_if_fail (CB_IS_HTTP_CLIENT (http));
  g_return_if_fail (CB_IS_PROFILE (profile));
  g_return_if_fail (device_id != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_sandbox_client_get_connection_async);

  if (!sandbox_base (task, profile, &base))
    return;

  url = cb_http_build_url (base, "sandbox", "hubs", cb_profile_get_hub_name (profile), "devices",
                           device_id, "connection", NULL);
  cb_http_client_request_async (http, "GET", url, NULL, NULL, NULL, CB_HTTP_STYLE_ARM,
                                cancellable, get_connection_cb, g_steal_pointer (&task));
}

/**
 * cb_sandbox_client_get_connection_finish:
 *
 * Returns: (transfer full): the report, or NULL with G_IO_ERROR_NOT_SUPPORTED (not a sandbox
 *   profile) or the HTTP layer's error (CB_API_ERROR_NOT_FOUND for an unknown device).
 */
CbHubConnectionReport *
cb_sandbox_client_get_connection_finish (GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
