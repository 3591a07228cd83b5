/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-hub-client"

#include "config.h"

#include <string.h>

#include "cb-error.h"
#include "cb-hub-client.h"
#include "cb-sas.h"
#include "cb-secrets.h"

#define DEFAULT_POLICY     "iothubowner"
#define SAS_LIFETIME_SECS  3600

struct _CbHubClient
{
  GObject        parent_instance;

  /* Owned */
  CbProfile     *profile;
  CbHttpClient  *http;
  CbEntraClient *entra;
  char          *policy_name;
  char          *key;
};

G_DEFINE_FINAL_TYPE (CbHubClient, cb_hub_client, G_TYPE_OBJECT)

void
cb_hub_query_page_free (CbHubQueryPage *page)
{
  if (page == NULL)
    return;

  g_clear_pointer (&page->items, json_array_unref);
  g_free (page->continuation);
  g_free (page->item_type);
  g_free (page);
}

/**
 * cb_hub_query_page_new_from_response:
 * @headers: (nullable): the response headers
 *
 * Returns: (transfer full): the page, or %NULL with CB_API_ERROR_PARSE
 */
CbHubQueryPage *
cb_hub_query_page_new_from_response (JsonNode            *json,
                                     SoupMessageHeaders  *headers,
                                     GError             **error)
{
  CbHubQueryPage *page;
  const char *continuation = NULL;
  const char *item_type = NULL;

  if (json == NULL || !JSON_NODE_HOLDS_ARRAY (json))
    {
      g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "IoT Hub sent a query result that is not a JSON array");
      return NULL;
    }

  if (headers != NULL)
    {
      continuation = soup_message_headers_get_one (headers, "x-ms-continuation");
      item_type = soup_message_headers_get_one (headers, "x-ms-item-type");
    }

  page = g_new0 (CbHubQueryPage, 1);
  page->items = json_array_ref (json_node_get_array (json));
  page->continuation = (continuation && *continuation) ? g_strdup (continuation) : NULL;
  /* The wire casing of the item type is not documented: normalise it. */
  page->item_type = (item_type && *item_type) ? g_ascii_strdown (item_type, -1) : NULL;

  return page;
}

static void
cb_hub_client_finalize (GObject *object)
{
  CbHubClient *self = (CbHubClient *)object;

  g_clear_object (&self->profile);
  g_clear_object (&self->http);
  g_clear_object (&self->entra);
  g_clear_pointer (&self->policy_name, g_free);
  g_clear_pointer (&self->key, cb_secrets_free_value);

  G_OBJECT_CLASS (cb_hub_client_parent_class)->finalize (object);
}

static void
cb_hub_client_class_init (CbHubClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_hub_client_finalize;
}

static void
cb_hub_client_init (CbHubClient *self)
{
}

/**
 * cb_hub_client_new:
 * @entra: (nullable): for Entra authentication when no SAS key is set
 *
 * Returns: (transfer full): a hub service client
 */
CbHubClient *
cb_hub_client_new (CbProfile     *profile,
                   CbHttpClient  *http,
                   CbEntraClient *entra)
{
  CbHubClient *self;

  g_return_val_if_fail (CB_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (http), NULL);
  g_return_val_if_fail (!entra || CB_IS_ENTRA_CLIENT (entra), NULL);

  self = g_object_new (CB_TYPE_HUB_CLIENT, NULL);
  self->profile = g_object_ref (profile);
  self->http = g_object_ref (http);
  g_set_object (&self->entra, entra);

  return self;
}

CbHttpClient *
cb_hub_client_get_http (CbHubClient *self)
{
  g_return_val_if_fail (CB_IS_HUB_CLIENT (self), NULL);

  return self->http;
}

void
cb_hub_client_set_sas_key (CbHubClient *self,
                           const char  *policy_name,
                           const char  *key_base64)
{
  g_return_if_fail (CB_IS_HUB_CLIENT (self));

  g_free (self->policy_name);
  self->policy_name = g_strdup (policy_name ? policy_name : DEFAULT_POLICY);
  g_clear_pointer (&self->key, cb_secrets_free_value);
  self->key = g_strdup (key_base64);
}

/* ---- one authenticated request -------------------------------------------------------------- */

typedef struct
{
  char      *method;
  char      *url;
  GStrv      headers;
  JsonNode  *body;
  gboolean   retried;    /* sent again once after a 401, with a new Entra token */
} Call;

static void
call_free (Call *call)
{
  g_free (call->method);
  g_free (call->url);
  g_strfreev (call->headers);
  g_clear_pointer (&call->body, json_node_unref);
  g_free (call);
}

static void call_token_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
call_response_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbHubClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  CbHttpResponse *response;
  GError *error = NULL;

  response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &error);
  /* An Entra token our clock still calls valid may have expired on the service's: once, get a
   * new one and send again. */
  if (response == NULL && self->key == NULL && self->entra != NULL && !call->retried &&
      g_error_matches (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED))
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      g_debug ("%s %s: token refused, getting a new one", call->method, call->url);
      g_clear_error (&error);
      call->retried = TRUE;
      cb_entra_client_forget_access_token (self->entra, CB_ENTRA_SCOPE_HUB);
      cb_entra_client_get_access_token_async (self->entra, CB_ENTRA_SCOPE_HUB, cancellable,
                                              call_token_cb, g_steal_pointer (&task));
      return;
    }

  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, response, (GDestroyNotify) cb_http_response_unref);
}

static void
call_send (GTask      *task,
           const char *authorization)
{
  CbHubClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  /* The one POST, the query, only reads. */
  if (g_str_equal (call->method, "POST"))
    cb_http_client_query_async (self->http, call->url, authorization,
                                (const char * const *) call->headers, call->body,
                                CB_HTTP_STYLE_HUB, g_task_get_cancellable (task),
                                call_response_cb, g_object_ref (task));
  else
    cb_http_client_request_async (self->http, call->method, call->url, authorization,
                                  (const char * const *) call->headers, call->body,
                                  CB_HTTP_STYLE_HUB, g_task_get_cancellable (task),
                                  call_response_cb, g_object_ref (task));
}

static void
call_token_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *authorization;
  char *token;

  if (!(token = cb_entra_client_get_access_token_finish (CB_ENTRA_CLIENT (object), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  authorization = g_strconcat ("Bearer ", token, NULL);
  cb_secrets_free_value (token);
  call_send (task, authorization);
  cb_secrets_free_value (authorization);
}

/* Sends @method to {hub-endpoint}/{segment}/{id}[/{tail}] and returns the CbHttpResponse. */
static void
call_async (CbHubClient         *self,
            const char          *method,
            const char          *segment,
            const char          *id,
            JsonNode            *body,
            const char * const  *headers,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *base = NULL;
  const char *endpoint;
  Call *call;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, call_async);

  endpoint = cb_profile_get_hub_endpoint (self->profile);
  if (endpoint == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               "The profile has no IoT Hub endpoint");
      return;
    }

  base = cb_http_build_url (endpoint, segment, id, NULL);

  call = g_new0 (Call, 1);
  call->method = g_strdup (method);
  call->url = g_strconcat (base, "?api-version=" CB_HUB_API_VERSION, NULL);
  call->headers = g_strdupv ((char **) headers);
  call->body = body ? json_node_ref (body) : NULL;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  if (self->key != NULL)
    {
      g_autoptr(GError) error = NULL;
      char *authorization;

      /* IoT Hub signs the lower-cased, URL-encoded host name. */
      authorization = cb_sas_authorization_new (cb_profile_get_hub_host_name (self->profile),
                                                "IoT Hub host name", self->key,
                                                self->policy_name, SAS_LIFETIME_SECS,
                                                CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
      if (authorization == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      call_send (task, authorization);
      cb_secrets_free_value (authorization);
      return;
    }

  if (self->entra != NULL)
    {
      char *token = cb_entra_client_dup_cached_access_token (self->entra, CB_ENTRA_SCOPE_HUB);

      /* A cached token (every request but the first of the hour): sent at once, not from the
       * idle a GTask of the Entra client's would return it in. */
      if (token != NULL)
        {
          char *authorization = g_strconcat ("Bearer ", token, NULL);

          cb_secrets_free_value (token);
          call_send (task, authorization);
          cb_secrets_free_value (authorization);
          return;
        }

      cb_entra_client_get_access_token_async (self->entra, CB_ENTRA_SCOPE_HUB, cancellable,
                                              call_token_cb, g_steal_pointer (&task));
      return;
    }

  g_task_return_error (task,
                       cb_api_error_new_full (CB_API_ERROR_UNAUTHORIZED, 0, NULL, NULL, 0,
                                              "No IoT Hub key and no Entra sign-in"));
}

static CbHttpResponse *
call_finish (CbHubClient   *self,
             GAsyncResult  *result,
             GError       **error)
{
  g_assert (g_task_is_valid (result, self));

  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
if_match_value (const char *etag)
{
  if (etag == NULL || g_str_equal (etag, "*") || etag[0] == '"' || g_str_has_prefix (etag, "W/\""))
    return g_strdup (etag ? etag : "*");

  return g_strdup_printf ("\"%s\"", etag);
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return node;
}

/* ---- devices and twins ---------------------------------------------------------------------- */

static void
object_response_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CbHubClient *self = CB_HUB_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;
  JsonObject *body;

  if (!(response = call_finish (self, result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!(body = cb_http_response_get_object (response)))
    {
      g_task_return_error (task,
                           cb_api_error_new_full (CB_API_ERROR_PARSE, response->status, NULL,
                                                  NULL, 0,
                                                  "IoT Hub sent a response that is not a JSON object"));
      return;
    }

  g_task_return_pointer (task, json_object_ref (body), (GDestroyNotify) json_object_unref);
}

void
cb_hub_client_get_device_async (CbHubClient         *self,
                                const char          *device_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CB_IS_HUB_CLIENT (self));
  g_return_if_fail (device_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_hub_client_get_device_async);

  call_async (self, "GET", "devices", device_id, NULL, NULL, cancellable,
              object_response_cb, task);
}

void
cb_hub_client_put_device_async (CbHubClient         *self,
                                const char          *device_id,
                                JsonObject          *device,
                                const char          *etag,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *if_match = NULL;
  const char *headers[3] = { NULL, NULL, NULL };
  GTask *task;

  g_return_if_fail (CB_IS_HUB_CLIENT (self));
  g_return_if_fail (device_id != NULL);
  g_return_if_fail (device != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_hub_client_put_device_async);

  if (etag != NULL)
    {
      headers[0] = "If-Match";
      headers[1] = if_match = if_match_value (etag);
    }

  body = object_node (device);
  call_async (self, "PUT", "devices", device_id, body, headers, cancellable,
              object_response_cb, task);
}

static void
set_enabled_put_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonObject *device;

  if (!(device = cb_hub_client_object_finish (CB_HUB_CLIENT (object), result, &error)))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, device, (GDestroyNotify) json_object_unref);
}

static void
set_enabled_get_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CbHubClient *self = CB_HUB_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) device = NULL;
  gboolean enabled = GPOINTER_TO_INT (g_task_get_task_data (task));
  const char *etag;
  const char *device_id;
  GError *error = NULL;

  if (!(device = cb_hub_client_object_finish (self, result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  etag = json_object_get_string_member_with_default (device, "etag", NULL);
  device_id = json_object_get_string_member_with_default (device, "deviceId", NULL);
  if (etag == NULL || device_id == NULL)
    {
      g_task_return_error (task,
                           cb_api_error_new_full (CB_API_ERROR_PARSE, 200, NULL, NULL, 0,
                                                  "IoT Hub sent a device without an etag or ID"));
      return;
    }

  json_object_set_string_member (device, "status", enabled ? "enabled" : "disabled");

  /* If-Match with the etag just read: a concurrent change makes this fail with 412 instead
   * of silently overwriting it. */
  cb_hub_client_put_device_async (self, device_id, device, etag,
                                  g_task_get_cancellable (task),
                                  set_enabled_put_cb, g_object_ref (task));
}

void
cb_hub_client_set_device_enabled_async (CbHubClient         *self,
                                        const char          *device_id,
                                        gboolean             enabled,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_HUB_CLIENT (self));
  g_return_if_fail (device_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_hub_client_set_device_enabled_async);
  g_task_set_task_data (task, GINT_TO_POINTER (!!enabled), NULL);

  cb_hub_client_get_device_async (self, device_id, cancellable,
                                  set_enabled_get_cb, g_steal_pointer (&task));
}

void
cb_hub_client_get_twin_async (CbHubClient         *self,
                              const char          *device_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CB_IS_HUB_CLIENT (self));
  g_return_if_fail (device_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_hub_client_get_twin_async);

  call_async (self, "GET", "twins", device_id, NULL, NULL, cancellable,
              object_response_cb, task);
}

void
cb_hub_client_update_twin_async (CbHubClient         *self,
                                 const char          *device_id,
                                 JsonObject          *tags,
                                 JsonObject          *desired,
                                 const char          *etag,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(JsonObject) patch = json_object_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *if_match = NULL;
  const char *headers[3] = { NULL, NULL, NULL };
  GTask *task;

  g_return_if_fail (CB_IS_HUB_CLIENT (self));
  g_return_if_fail (device_id != NULL);
  g_return_if_fail (tags != NULL || desired != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_hub_client_update_twin_async);

  if (tags != NULL)
    json_object_set_object_member (patch, "tags", json_object_ref (tags));
  if (desired != NULL)
    {
      JsonObject *properties = json_object_new ();

      json_object_set_object_member (properties, "desired", json_object_ref (desired));
      json_object_set_object_member (patch, "properties", properties);
    }

  if (etag != NULL)
    {
      headers[0] = "If-Match";
      headers[1] = if_match = if_match_value (etag);
    }

  body = object_node (patch);
  call_async (self, "PATCH", "twins", device_id, body, headers, cancellable,
              object_response_cb, task);
}

/**
 * cb_hub_client_object_finish:
 *
 * Returns: (transfer full): the device or twin
 */
JsonObject *
cb_hub_client_object_finish (CbHubClient   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (CB_IS_HUB_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
delete_response_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;

  if (!(response = call_finish (CB_HUB_CLIENT (object), result, &error)))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
cb_hub_client_delete_device_async (CbHubClient         *self,
                                   const char          *device_id,
                                   const char          *etag,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *if_match = NULL;
  const char *headers[3] = { "If-Match", NULL, NULL };
  GTask *task;

  g_return_if_fail (CB_IS_HUB_CLIENT (self));
  g_return_if_fail (device_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_hub_client_delete_device_async);

  /* The hub requires If-Match on delete. */
  headers[1] = if_match = if_match_value (etag);
  call_async (self, "DELETE", "devices", device_id, NULL, headers, cancellable,
              delete_response_cb, task);
}

gboolean
cb_hub_client_delete_device_finish (CbHubClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (CB_IS_HUB_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- query ---------------------------------------------------------------------------------- */

static void
query_response_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  CbHubQueryPage *page;
  GError *error = NULL;

  if (!(response = call_finish (CB_HUB_CLIENT (object), result, &error)) ||
      !(page = cb_hub_query_page_new_from_response (response->json, response->headers, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, page, (GDestroyNotify) cb_hub_query_page_free);
}

void
cb_hub_client_query_async (CbHubClient         *self,
                           const char          *query,
                           guint                page_size,
                           const char          *continuation,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(JsonObject) request = json_object_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *max_items = NULL;
  const char *headers[5] = { NULL, };
  guint n = 0;
  GTask *task;

  g_return_if_fail (CB_IS_HUB_CLIENT (self));
  g_return_if_fail (query != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_hub_client_query_async);

  if (page_size > 0)
    {
      headers[n++] = "x-ms-max-item-count";
      headers[n++] = max_items = g_strdup_printf ("%u", page_size);
    }
  if (continuation != NULL)
    {
      headers[n++] = "x-ms-continuation";
      headers[n++] = continuation;
    }

  json_object_set_string_member (request, "query", query);
  body = object_node (request);

  /* "devices" + "query" gives {hub}/devices/query */
  call_async (self, "POST", "devices", "query", body, headers, cancellable,
              query_response_cb, task);
}

/**
 * cb_hub_client_query_finish:
 *
 * Returns: (transfer full): one page
 */
CbHubQueryPage *
cb_hub_client_query_finish (CbHubClient   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (CB_IS_HUB_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
