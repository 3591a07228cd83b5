/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-arm-engine"

/* The Azure Resource Manager engine under the ARM clients (cb-arm-engine.h): bearer tokens,
 * one request, the long-running operation protocol, paging by nextLink, ARM error bodies, and
 * the rule that tokens go to the profile's ARM host only. */

#include "config.h"

#include <string.h>

#include "cb-adr-json-private.h"
#include "cb-arm-engine.h"
#include "cb-error.h"
#include "cb-secrets.h"

/* Without Retry-After: 1 s, 2 s, 4 s ... up to this, then max-poll-delay-ms caps it again. */
#define FALLBACK_POLL_BASE_MS      1000
#define FALLBACK_POLL_MAX_MS       30000
/* A service that keeps sending nextLinks is broken; stop instead of looping for ever. */
#define MAX_PAGES                  10000

/* ---- ARM bodies: pages and errors ------------------------------------------------------ */

/**
 * cb_arm_parse_page:
 * @page: an ARM list response
 * @parse: parses one element
 * @next_link: (out) (optional): the next page's URL, NULL on the last page
 *
 * Returns: (transfer full): the elements, or %NULL with %CB_API_ERROR_PARSE
 */
GPtrArray *
cb_arm_parse_page (JsonNode        *page,
                   CbArmParseFunc   parse,
                   char           **next_link,
                   GError         **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  JsonObject *obj;
  JsonNode *value;
  JsonArray *array;
  const char *next = NULL;

  g_return_val_if_fail (parse != NULL, NULL);

  if (next_link != NULL)
    *next_link = NULL;

  if (!(obj = cb_adr_json_require_object (page, "list", error)) ||
      !cb_adr_json_get_string (obj, "nextLink", "list", &next, error))
    return NULL;

  value = cb_adr_json_member (obj, "value");
  if (value == NULL || !JSON_NODE_HOLDS_ARRAY (value))
    {
      cb_adr_json_set_parse_error (error, "list", "value", "an array");
      return NULL;
    }

  array = json_node_get_array (value);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      gpointer item = parse (json_array_get_element (array, i), error);

      if (item == NULL)
        return NULL;
      g_ptr_array_add (items, item);
    }

  if (next_link != NULL && next != NULL && *next != '\0')
    *next_link = g_strdup (next);

  return g_steal_pointer (&items);
}

GError *
cb_arm_operation_error_from_object (JsonObject *error_object,
                                    guint       http_status,
                                    const char *fallback)
{
  const char *code = NULL;
  const char *message = NULL;
  const char *target = NULL;

  /* Lenient on purpose: we are already reporting a failure. */
  if (error_object != NULL)
    {
      JsonNode *node;

      if ((node = cb_adr_json_member (error_object, "code")) && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        code = json_node_get_string (node);
      if ((node = cb_adr_json_member (error_object, "message")) && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        message = json_node_get_string (node);
      if ((node = cb_adr_json_member (error_object, "target")) && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        target = json_node_get_string (node);
    }

  if (code != NULL && message != NULL)
    return cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, http_status, code, target, 0,
                                  "%s: %s", code, message);
  if (code != NULL)
    return cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, http_status, code, target, 0,
                                  "%s: %s", code, fallback);
  if (message != NULL)
    return cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, http_status, NULL, target, 0,
                                  "%s", message);
  return cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, http_status, NULL, NULL, 0,
                                "%s", fallback);
}

gboolean
cb_arm_require_setting (const char  *value,
                        const char  *label,
                        GError     **error)
{
  if (value != NULL && *value != '\0')
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "The profile has no %s", label);
  return FALSE;
}

char *
cb_arm_build_url (const char         *base,
                  const char * const *segments,
                  const char         *api_version)
{
  GString *url = g_string_new (base);

  while (url->len > 0 && url->str[url->len - 1] == '/')
    g_string_truncate (url, url->len - 1);

  for (guint i = 0; segments[i] != NULL; i++)
    {
      g_string_append_c (url, '/');
      g_string_append_uri_escaped (url, segments[i], NULL, FALSE);
    }

  if (api_version != NULL)
    g_string_append_printf (url, "?api-version=%s", api_version);

  return g_string_free (url, FALSE);
}

/* Bearer tokens go only where the profile's ARM endpoint is: a nextLink or an operation URL
 * on another origin is refused rather than followed. */
gboolean
cb_arm_engine_url_is_trusted (CbArmEngine *self,
                              const char  *url)
{
  g_autoptr(GUri) base = NULL;
  g_autoptr(GUri) other = NULL;
  const char *arm = cb_profile_get_arm_endpoint (self->profile);
  int base_port, other_port;

  if (arm == NULL || url == NULL)
    return FALSE;

  base = g_uri_parse (arm, G_URI_FLAGS_NONE, NULL);
  other = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (base == NULL || other == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (g_uri_get_scheme (base), g_uri_get_scheme (other)) != 0 ||
      g_uri_get_host (base) == NULL || g_uri_get_host (other) == NULL ||
      g_ascii_strcasecmp (g_uri_get_host (base), g_uri_get_host (other)) != 0)
    return FALSE;

  base_port = g_uri_get_port (base);
  other_port = g_uri_get_port (other);
  if (base_port == -1)
    base_port = g_ascii_strcasecmp (g_uri_get_scheme (base), "https") == 0 ? 443 : 80;
  if (other_port == -1)
    other_port = g_ascii_strcasecmp (g_uri_get_scheme (other), "https") == 0 ? 443 : 80;

  return base_port == other_port;
}

GError *
cb_arm_untrusted_url_error (const char *what)
{
  return cb_api_error_new_full (CB_API_ERROR_PARSE, 0, NULL, NULL, 0,
                                "The service sent a %s on another host; not following it", what);
}

static void
entra_token (const char         *scope,
             GCancellable       *cancellable,
             GAsyncReadyCallback callback,
             gpointer            callback_data,
             gpointer            user_data)
{
  cb_entra_client_get_access_token_async (user_data, scope, cancellable, callback, callback_data);
}

static char *
entra_token_finish (GAsyncResult  *result,
                    GError       **error,
                    gpointer       user_data)
{
  return cb_entra_client_get_access_token_finish (user_data, result, error);
}

/* ---- The engine's settings ------------------------------------------------------------ */

void
cb_arm_engine_init (CbArmEngine *self,
                    const char  *scope)
{
  memset (self, 0, sizeof *self);
  self->scope = scope;
  self->max_poll_delay_ms = CB_ARM_DEFAULT_MAX_POLL_DELAY_MS;
  self->operation_timeout = CB_ARM_DEFAULT_OPERATION_TIMEOUT;
}

void
cb_arm_engine_clear (CbArmEngine *self)
{
  g_clear_object (&self->profile);
  g_clear_object (&self->http);
  if (self->access_token != NULL)
    {
      memset (self->access_token, 0, strlen (self->access_token));
      g_clear_pointer (&self->access_token, g_free);
    }
  if (self->token_destroy != NULL)
    g_clear_pointer (&self->token_data, self->token_destroy);
  g_clear_pointer (&self->tenant, g_free);
}

void
cb_arm_engine_set_tenant (CbArmEngine *self,
                          const char  *tenant)
{
  g_free (self->tenant);
  self->tenant = tenant != NULL && *tenant != '\0' ? g_strdup (tenant) : NULL;
}

void
cb_arm_engine_set_access_token (CbArmEngine *self,
                                const char  *token)
{
  if (self->access_token != NULL)
    memset (self->access_token, 0, strlen (self->access_token));
  g_free (self->access_token);
  self->access_token = g_strdup (token);
}

void
cb_arm_engine_set_token_func (CbArmEngine          *self,
                              CbArmTokenFunc        func,
                              CbArmTokenFinishFunc  finish,
                              gpointer              user_data,
                              GDestroyNotify        destroy)
{
  if (self->token_destroy != NULL)
    g_clear_pointer (&self->token_data, self->token_destroy);

  self->token_func = func;
  self->token_finish = finish;
  self->token_data = user_data;
  self->token_destroy = destroy;
}

void
cb_arm_engine_set_entra_client (CbArmEngine   *self,
                                CbEntraClient *entra)
{
  if (entra == NULL)
    cb_arm_engine_set_token_func (self, NULL, NULL, NULL, NULL);
  else
    cb_arm_engine_set_token_func (self, entra_token, entra_token_finish,
                                  g_object_ref (entra), g_object_unref);
}

/* -------------------------------------------------------------------------------------------- */
/* Calls and the long-running operation engine                                                 */

typedef struct
{
  CbArmEngine     *engine;
  char            *method;
  char            *url;
  JsonNode        *body;
  GStrv            extra_headers;
  CbArmFinal        final;
  gboolean         want_resource;
  gboolean         retried;        /* sent again once after a 401, with a new Entra token */

  char            *authorization;
  char            *async_url;
  char            *location_url;
  gboolean         polling_location;
  guint            polls;
  gint64           deadline;
  GSource         *wait_source;
} Call;

static void
call_free (Call *call)
{
  if (call->wait_source != NULL)
    {
      g_source_destroy (call->wait_source);
      g_clear_pointer (&call->wait_source, g_source_unref);
    }
  g_free (call->method);
  g_free (call->url);
  g_clear_pointer (&call->body, json_node_unref);
  g_strfreev (call->extra_headers);
  if (call->authorization != NULL)
    {
      memset (call->authorization, 0, strlen (call->authorization));
      g_free (call->authorization);
    }
  g_free (call->async_url);
  g_free (call->location_url);
  g_free (call);
}

static void call_send_initial (GTask *task);

static CbArmEngine *
task_engine (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  return call->engine;
}

static void call_poll (GTask *task);
static void call_get_resource (GTask *task);

static void
call_token_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbArmEngine *self = task_engine (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = self->token_finish (result, &error, self->token_data);

  if (token == NULL)
    {
      if (error == NULL)
        error = g_error_new (CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED, "Not signed in to Azure");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  call->authorization = g_strconcat ("Bearer ", token, NULL);
  memset (token, 0, strlen (token));
  call_send_initial (g_steal_pointer (&task));
}

static void
call_start (GTask *task)
{
  CbArmEngine *self = task_engine (task);
  Call *call = g_task_get_task_data (task);

  if (self->access_token != NULL)
    {
      call->authorization = g_strconcat ("Bearer ", self->access_token, NULL);
      call_send_initial (task);
      return;
    }

  if (self->token_func == NULL)
    {
      g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED,
                               "Not signed in to Azure");
      g_object_unref (task);
      return;
    }

  if (self->token_func == entra_token && self->tenant != NULL)
    cb_entra_client_get_tenant_access_token_async (self->token_data, self->tenant, self->scope,
                                                   g_task_get_cancellable (task),
                                                   call_token_cb, task);
  else
    self->token_func (self->scope, g_task_get_cancellable (task),
                      call_token_cb, task, self->token_data);
}

/* Takes over task. */
static void
call_return_response (GTask          *task,
                      CbHttpResponse *response)
{
  g_task_return_pointer (task, cb_http_response_ref (response),
                         (GDestroyNotify) cb_http_response_unref);
  g_object_unref (task);
}

static gboolean
response_is_resource (CbHttpResponse *response)
{
  JsonObject *obj = cb_http_response_get_object (response);

  return obj != NULL && json_object_has_member (obj, "name");
}

/* Takes over task: the operation is over, response is its last answer. */
static void
call_complete (GTask          *task,
               CbHttpResponse *response)
{
  Call *call = g_task_get_task_data (task);

  if (call->want_resource && !response_is_resource (response))
    {
      call_get_resource (task);
      return;
    }

  call_return_response (task, response);
}

static gboolean
call_wait_done_cb (gpointer user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);

  g_clear_pointer (&call->wait_source, g_source_unref);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }

  call_poll (task);
  return G_SOURCE_REMOVE;
}

/* Takes over task: waits Retry-After (or a backoff step), capped, then polls. */
static void
call_schedule_poll (GTask *task,
                    guint  retry_after)
{
  CbArmEngine *self = task_engine (task);
  Call *call = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  guint64 delay_ms;

  g_assert (call->wait_source == NULL);

  if (g_get_monotonic_time () >= call->deadline)
    {
      g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_TIMEOUT,
                               "The operation did not finish within %u seconds",
                               self->operation_timeout);
      g_object_unref (task);
      return;
    }

  if (retry_after > 0)
    delay_ms = (guint64) retry_after * 1000;
  else
    delay_ms = MIN ((guint64) FALLBACK_POLL_BASE_MS << MIN (call->polls, 16), FALLBACK_POLL_MAX_MS);
  delay_ms = MIN (delay_ms, self->max_poll_delay_ms);

  call->wait_source = g_timeout_source_new ((guint) delay_ms);
  g_source_set_static_name (call->wait_source, "[cb-arm-engine] operation poll");
  /* The source owns the task reference until it fires. A cancellable child wakes it up at
   * once when cancelled, and the callback then returns G_IO_ERROR_CANCELLED. */
  g_source_set_callback (call->wait_source, call_wait_done_cb, task, NULL);
  if (cancellable != NULL)
    {
      g_autoptr(GSource) cancel_source = g_cancellable_source_new (cancellable);

      g_source_set_dummy_callback (cancel_source);
      g_source_add_child_source (call->wait_source, cancel_source);
    }
  g_source_attach (call->wait_source, g_task_get_context (task));
}

static void
call_initial_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  GTask *task = user_data;
  CbArmEngine *self = task_engine (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;
  const char *async_url;
  const char *location_url;

  response = cb_http_client_request_finish (http, result, &error);
  /* An Entra token our clock still calls valid may have expired on the service's: once, get a
   * new one and send again. */
  if (response == NULL && self->access_token == NULL && self->token_func == entra_token &&
      !call->retried && g_error_matches (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED))
    {
      g_debug ("%s %s: token refused, getting a new one", call->method, call->url);
      g_clear_error (&error);
      call->retried = TRUE;
      cb_entra_client_forget_tenant_access_token (self->token_data, self->tenant, self->scope);
      g_clear_pointer (&call->authorization, cb_secrets_free_value);
      call_start (task);
      return;
    }

  if (response == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  if (call->final == CB_ARM_FINAL_NONE || (response->status != 201 && response->status != 202))
    {
      call_complete (task, response);
      return;
    }

  async_url = cb_http_response_get_header (response, "Azure-AsyncOperation");
  location_url = cb_http_response_get_header (response, "Location");
  if (async_url != NULL && *async_url == '\0')
    async_url = NULL;
  if (location_url != NULL && *location_url == '\0')
    location_url = NULL;

  /* Nothing to poll: a 201 carries the resource, a 202 is all we will get. */
  if (async_url == NULL && location_url == NULL)
    {
      call_complete (task, response);
      return;
    }

  if ((async_url != NULL && !cb_arm_engine_url_is_trusted (self, async_url)) ||
      (location_url != NULL && !cb_arm_engine_url_is_trusted (self, location_url)))
    {
      g_task_return_error (task, cb_arm_untrusted_url_error ("operation URL"));
      g_object_unref (task);
      return;
    }

  call->async_url = g_strdup (async_url);
  call->location_url = g_strdup (location_url);
  call->polling_location = async_url == NULL;
  call->deadline = g_get_monotonic_time () + (gint64) self->operation_timeout * G_USEC_PER_SEC;

  g_debug ("%s %s: %u, polling %s", call->method, call->url, response->status,
           call->polling_location ? "Location" : "Azure-AsyncOperation");

  call_schedule_poll (task, cb_http_response_get_retry_after (response));
}

static void
call_send_initial (GTask *task)
{
  CbArmEngine *self = task_engine (task);
  Call *call = g_task_get_task_data (task);

  cb_http_client_request_async (self->http, call->method, call->url, call->authorization,
                                (const char * const *) call->extra_headers, call->body,
                                CB_HTTP_STYLE_ARM, g_task_get_cancellable (task),
                                call_initial_cb, task);
}

/* Takes over task: the Azure-AsyncOperation status said Succeeded. */
static void
call_operation_succeeded (GTask          *task,
                          CbHttpResponse *status_response)
{
  Call *call = g_task_get_task_data (task);

  switch (call->final)
    {
    case CB_ARM_FINAL_ORIGINAL:
      call_get_resource (task);
      break;

    case CB_ARM_FINAL_LOCATION:
      /* The Location URL holds the final answer (the revoke result, for example). */
      if (call->location_url != NULL)
        {
          call->polling_location = TRUE;
          call_poll (task);
          break;
        }
      call_complete (task, status_response);
      break;

    case CB_ARM_FINAL_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* A Location URL answers a failed operation with the failure's own status and ARM error
 * body; to the caller that is the operation failing, like Failed from Azure-AsyncOperation.
 * Authentication, throttling and a vanished operation keep their own codes. */
static GError *
location_poll_error (GError *error)
{
  GError *converted;
  guint status;

  if (error->domain != CB_API_ERROR)
    return error;

  status = cb_api_error_get_http_status (error);
  if (status < 400 || status == 401 || status == 403 || status == 404 || status == 429)
    return error;

  converted = cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, status,
                                     cb_api_error_get_remote_code (error),
                                     cb_api_error_get_target (error),
                                     cb_api_error_get_retry_after (error),
                                     "%s", error->message);
  g_error_free (error);
  return converted;
}

static void
call_poll_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;
  JsonObject *obj;
  JsonObject *error_object = NULL;
  const char *status = NULL;

  response = cb_http_client_request_finish (http, result, &error);
  if (response == NULL)
    {
      if (call->polling_location)
        error = location_poll_error (error);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  if (call->polling_location)
    {
      if (response->status == 202)
        call_schedule_poll (task, cb_http_response_get_retry_after (response));
      else
        call_complete (task, response);
      return;
    }

  if (!(obj = cb_adr_json_require_object (response->json, "operation status", &error)) ||
      !cb_adr_json_require_string (obj, "status", "operation status", &status, &error) ||
      !cb_adr_json_get_object (obj, "error", "operation status", &error_object, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  if (g_ascii_strcasecmp (status, "Succeeded") == 0)
    call_operation_succeeded (task, response);
  else if (g_ascii_strcasecmp (status, "Failed") == 0)
    {
      g_task_return_error (task, cb_arm_operation_error_from_object (error_object, response->status,
                                                              "The operation failed"));
      g_object_unref (task);
    }
  else if (g_ascii_strcasecmp (status, "Canceled") == 0)
    {
      g_task_return_error (task, cb_arm_operation_error_from_object (error_object, response->status,
                                                              "The operation was canceled"));
      g_object_unref (task);
    }
  else
    call_schedule_poll (task, cb_http_response_get_retry_after (response));
}

static void
call_poll (GTask *task)
{
  CbArmEngine *self = task_engine (task);
  Call *call = g_task_get_task_data (task);

  call->polls++;
  cb_http_client_request_async (self->http, "GET",
                                call->polling_location ? call->location_url : call->async_url,
                                call->authorization, NULL, NULL, CB_HTTP_STYLE_ARM,
                                g_task_get_cancellable (task), call_poll_cb, task);
}

static void
call_get_resource_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  GTask *task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;

  response = cb_http_client_request_finish (http, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  call_return_response (task, response);
}

static void
call_get_resource (GTask *task)
{
  CbArmEngine *self = task_engine (task);
  Call *call = g_task_get_task_data (task);

  cb_http_client_request_async (self->http, "GET", call->url, call->authorization, NULL, NULL,
                                CB_HTTP_STYLE_ARM, g_task_get_cancellable (task),
                                call_get_resource_cb, task);
}

void
cb_arm_engine_request_async (CbArmEngine         *self,
                             gpointer             source_object,
                             const char          *method,
                             const char          *url,
                             JsonNode            *body,
                             const char * const  *extra_headers,
                             CbArmFinal           final,
                             gboolean             want_resource,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  Call *call;

  task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_arm_engine_request_async);

  call = g_new0 (Call, 1);
  call->engine = self;
  call->method = g_strdup (method);
  call->url = g_strdup (url);
  call->body = body != NULL ? json_node_ref (body) : NULL;
  call->extra_headers = g_strdupv ((char **) extra_headers);
  call->final = final;
  call->want_resource = want_resource;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  call_start (task);
}

CbHttpResponse *
cb_arm_engine_request_finish (GObject       *source_object,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_assert (g_task_is_valid (result, source_object));
  g_assert (g_task_get_source_tag (G_TASK (result)) == cb_arm_engine_request_async);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -------------------------------------------------------------------------------------------- */
/* Operations: one public task per call, finished by how its answer is read                    */

typedef struct
{
  CbArmResult     kind;
  CbArmParseFunc  parse;
  CbArmCheckFunc  check;
} Op;

static void
op_call_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = cb_arm_engine_request_finish (object, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  switch (op->kind)
    {
    case CB_ARM_RESULT_BOOLEAN:
      g_task_return_boolean (task, TRUE);
      break;

    case CB_ARM_RESULT_OBJECT:
      {
        gpointer object_result = op->parse (response->json, &error);

        if (object_result == NULL)
          g_task_return_error (task, g_steal_pointer (&error));
        else
          g_task_return_pointer (task, object_result, g_object_unref);
      }
      break;

    case CB_ARM_RESULT_STATE:
      {
        JsonObject *obj;
        JsonObject *props = NULL;
        const char *state = NULL;

        if (!(obj = cb_adr_json_require_object (response->json, "credential", &error)) ||
            !cb_adr_json_get_object (obj, "properties", "credential", &props, &error) ||
            !cb_adr_json_get_string (props, "provisioningState", "credential", &state, &error))
          g_task_return_error (task, g_steal_pointer (&error));
        else
          g_task_return_pointer (task, g_strdup (state != NULL ? state : "Succeeded"), g_free);
      }
      break;

    case CB_ARM_RESULT_ACTION:
      /* 204 (or a bare Succeeded operation status) has no result: nothing failed. */
      if (response->status == 204 || cb_http_response_get_object (response) == NULL ||
          !json_object_has_member (cb_http_response_get_object (response), "result"))
        g_task_return_boolean (task, TRUE);
      else if (op->check (response->json, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
start (CbArmEngine         *self,
       gpointer             source_object,
       gpointer             source_tag,
       const char          *method,
       char                *url,
       GError              *url_error,
       JsonNode            *body,
       const char * const  *extra_headers,
       CbArmFinal           final,
       CbArmResult          kind,
       CbArmParseFunc       parse,
       CbArmCheckFunc       check,
       GCancellable        *cancellable,
       GAsyncReadyCallback  callback,
       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *owned_url = url;
  Op *op;

  task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (owned_url == NULL)
    {
      g_assert (url_error != NULL);
      g_task_return_error (task, url_error);
      return;
    }

  op = g_new0 (Op, 1);
  op->kind = kind;
  op->parse = parse;
  op->check = check;
  g_task_set_task_data (task, op, g_free);

  cb_arm_engine_request_async (self, source_object, method, owned_url, body, extra_headers, final,
              kind == CB_ARM_RESULT_OBJECT && g_strcmp0 (method, "GET") != 0,
              cancellable, op_call_cb, g_steal_pointer (&task));
}

void
cb_arm_engine_start (CbArmEngine         *self,
                     gpointer             source_object,
                     gpointer             source_tag,
                     const char          *method,
                     char                *url,
                     GError              *url_error,
                     JsonNode            *body,
                     const char * const  *extra_headers,
                     CbArmFinal           final,
                     CbArmResult          kind,
                     CbArmParseFunc       parse,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  start (self, source_object, source_tag, method, url, url_error, body, extra_headers, final,
         kind, parse, NULL, cancellable, callback, user_data);
}

void
cb_arm_engine_start_action (CbArmEngine         *self,
                            gpointer             source_object,
                            gpointer             source_tag,
                            char                *url,
                            GError              *url_error,
                            JsonNode            *body,
                            CbArmCheckFunc       check,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  start (self, source_object, source_tag, "POST", url, url_error, body, NULL,
         CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_ACTION, NULL, check, cancellable, callback, user_data);
}

gboolean
cb_arm_finish_boolean (gpointer       source_object,
                       GAsyncResult  *result,
                       gpointer       source_tag,
                       GError       **error)
{
  g_return_val_if_fail (G_IS_OBJECT (source_object), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, source_object), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gpointer
cb_arm_finish_pointer (gpointer       source_object,
                       GAsyncResult  *result,
                       gpointer       source_tag,
                       GError       **error)
{
  g_return_val_if_fail (G_IS_OBJECT (source_object), NULL);
  g_return_val_if_fail (g_task_is_valid (result, source_object), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -------------------------------------------------------------------------------------------- */
/* Lists                                                                                        */

typedef struct
{
  CbArmEngine    *engine;
  GPtrArray      *items;
  CbArmParseFunc  parse;
  char           *url;
  guint           pages;
  gboolean        one_page;
  char           *next_link;
} List;

static void
list_free (List *list)
{
  g_clear_pointer (&list->items, g_ptr_array_unref);
  g_free (list->url);
  g_free (list->next_link);
  g_free (list);
}

void
cb_arm_page_free (CbArmPage *page)
{
  g_clear_pointer (&page->items, g_ptr_array_unref);
  g_free (page->next_link);
  g_free (page);
}

static void list_fetch (GTask *task);

static void
list_call_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  List *list = g_task_get_task_data (task);
  CbArmEngine *self = list->engine;
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next_link = NULL;

  response = cb_arm_engine_request_finish (object, result, &error);
  if (response == NULL ||
      !(items = cb_arm_parse_page (response->json, list->parse, &next_link, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  list->pages++;
  g_ptr_array_extend_and_steal (list->items, g_steal_pointer (&items));

  if (next_link != NULL && !cb_arm_engine_url_is_trusted (self, next_link))
    {
      g_task_return_error (task, cb_arm_untrusted_url_error ("next page link"));
      return;
    }

  if (list->one_page)
    {
      CbArmPage *page = g_new0 (CbArmPage, 1);

      page->items = g_steal_pointer (&list->items);
      page->next_link = g_steal_pointer (&next_link);
      g_task_return_pointer (task, page, (GDestroyNotify) cb_arm_page_free);
      return;
    }

  if (next_link == NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&list->items),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  if (g_str_equal (next_link, list->url) || list->pages >= MAX_PAGES)
    {
      g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_PARSE,
                               "The service keeps sending more pages; stopped after %u",
                               list->pages);
      return;
    }

  g_free (list->url);
  list->url = g_steal_pointer (&next_link);
  list_fetch (g_steal_pointer (&task));
}

static void
list_fetch (GTask *task)
{
  List *list = g_task_get_task_data (task);

  cb_arm_engine_request_async (list->engine, g_task_get_source_object (task), "GET", list->url, NULL, NULL, CB_ARM_FINAL_NONE, FALSE,
              g_task_get_cancellable (task), list_call_cb, task);
}

void
cb_arm_engine_list (CbArmEngine         *self,
                    gpointer             source_object,
                    gpointer             source_tag,
                    char                *url,
                    GError              *url_error,
                    CbArmParseFunc       parse,
                    gboolean             one_page,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task;
  List *list;

  task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (url == NULL)
    {
      g_assert (url_error != NULL);
      g_task_return_error (task, url_error);
      g_object_unref (task);
      return;
    }

  list = g_new0 (List, 1);
  list->engine = self;
  list->items = g_ptr_array_new_with_free_func (g_object_unref);
  list->parse = parse;
  list->url = url;
  list->one_page = one_page;
  g_task_set_task_data (task, list, (GDestroyNotify) list_free);

  list_fetch (task);
}
