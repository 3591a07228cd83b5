/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-http"

#include "config.h"

#include "cb-error.h"
#include "cb-http.h"

/* Temporary stub so dependants can compile; the implementation follows. */

struct _CbHttpClient
{
  GObject      parent_instance;
  SoupSession *session;
  guint        max_attempts;
  guint        max_delay;
};

G_DEFINE_FINAL_TYPE (CbHttpClient, cb_http_client, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (CbHttpResponse, cb_http_response, cb_http_response_ref, cb_http_response_unref)

static void
cb_http_client_finalize (GObject *object)
{
  CbHttpClient *self = (CbHttpClient *)object;

  g_clear_object (&self->session);
  G_OBJECT_CLASS (cb_http_client_parent_class)->finalize (object);
}

static void
cb_http_client_class_init (CbHttpClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_http_client_finalize;
}

static void
cb_http_client_init (CbHttpClient *self)
{
  self->session = soup_session_new ();
  self->max_attempts = 4;
  self->max_delay = 30;
}

CbHttpResponse *
cb_http_response_ref (CbHttpResponse *response)
{
  return response;
}

void
cb_http_response_unref (CbHttpResponse *response)
{
}

const char *
cb_http_response_get_header (CbHttpResponse *response, const char *name)
{
  return NULL;
}

JsonObject *
cb_http_response_get_object (CbHttpResponse *response)
{
  return NULL;
}

guint
cb_http_response_get_retry_after (CbHttpResponse *response)
{
  return 0;
}

CbHttpClient *
cb_http_client_new (CbProfile *profile, GError **error)
{
  return g_object_new (CB_TYPE_HTTP_CLIENT, NULL);
}

CbHttpClient *
cb_http_client_new_for_ca_file (const char *pinned_ca_file, GError **error)
{
  return g_object_new (CB_TYPE_HTTP_CLIENT, NULL);
}

SoupSession *
cb_http_client_get_session (CbHttpClient *self)
{
  return self->session;
}

guint
cb_http_client_get_max_attempts (CbHttpClient *self)
{
  return self->max_attempts;
}

void
cb_http_client_set_max_attempts (CbHttpClient *self, guint max_attempts)
{
  self->max_attempts = max_attempts;
}

guint
cb_http_client_get_max_delay (CbHttpClient *self)
{
  return self->max_delay;
}

void
cb_http_client_set_max_delay (CbHttpClient *self, guint max_delay_seconds)
{
  self->max_delay = max_delay_seconds;
}

void
cb_http_client_request_async (CbHttpClient       *self,
                              const char         *method,
                              const char         *url,
                              const char         *authorization,
                              const char * const *extra_headers,
                              JsonNode           *body,
                              CbHttpErrorStyle    style,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, cb_http_client_request_async);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Not implemented yet");
}

void
cb_http_client_post_form_async (CbHttpClient       *self,
                                const char         *url,
                                GHashTable         *form,
                                CbHttpErrorStyle    style,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, cb_http_client_request_async);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Not implemented yet");
}

CbHttpResponse *
cb_http_client_request_finish (CbHttpClient *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

GError *
cb_http_parse_error (CbHttpErrorStyle style, guint status, SoupMessageHeaders *headers, GBytes *body)
{
  return cb_api_error_new_full (cb_api_error_from_http_status (status), status, NULL, NULL, 0,
                                "HTTP %u", status);
}

guint
cb_http_parse_retry_after (SoupMessageHeaders *headers, JsonNode *json, GDateTime *now)
{
  return 0;
}

char *
cb_http_build_url (const char *base, ...)
{
  return g_strdup (base);
}
