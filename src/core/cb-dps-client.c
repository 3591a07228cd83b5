/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-client"

#include "config.h"

#include <string.h>

#include "cb-dps-client.h"
#include "cb-error.h"
#include "cb-sas.h"
#include "cb-secrets.h"

#define DEFAULT_TIMEOUT_SECS      300
#define DEFAULT_POLL_SECS         2
#define MAX_POLL_SECS             30
#define SAS_LIFETIME_SECS         3600
#define DEFAULT_SERVICE_POLICY    "provisioningserviceowner"

/* -------------------------------------------------------------------------------------------- */
/* CbDpsRegistration                                                                            */

struct _CbDpsRegistration
{
  GObject     parent_instance;

  char       *registration_id;
  char       *operation_id;
  char       *status;
  char       *substatus;
  char       *assigned_hub;
  char       *device_id;
  GPtrArray  *issued_chain;
  JsonObject *state;
};

G_DEFINE_FINAL_TYPE (CbDpsRegistration, cb_dps_registration, G_TYPE_OBJECT)

static void
cb_dps_registration_finalize (GObject *object)
{
  CbDpsRegistration *self = (CbDpsRegistration *)object;

  g_clear_pointer (&self->registration_id, g_free);
  g_clear_pointer (&self->operation_id, g_free);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->substatus, g_free);
  g_clear_pointer (&self->assigned_hub, g_free);
  g_clear_pointer (&self->device_id, g_free);
  g_clear_pointer (&self->issued_chain, g_ptr_array_unref);
  g_clear_pointer (&self->state, json_object_unref);

  G_OBJECT_CLASS (cb_dps_registration_parent_class)->finalize (object);
}

static void
cb_dps_registration_class_init (CbDpsRegistrationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_dps_registration_finalize;
}

static void
cb_dps_registration_init (CbDpsRegistration *self)
{
  self->issued_chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

const char *
cb_dps_registration_get_registration_id (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->registration_id;
}

const char *
cb_dps_registration_get_operation_id (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->operation_id;
}

const char *
cb_dps_registration_get_status (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->status;
}

const char *
cb_dps_registration_get_substatus (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->substatus;
}

const char *
cb_dps_registration_get_assigned_hub (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->assigned_hub;
}

const char *
cb_dps_registration_get_device_id (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->device_id;
}

GPtrArray *
cb_dps_registration_get_issued_chain (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->issued_chain;
}

JsonObject *
cb_dps_registration_get_state (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->state;
}

static const char *
get_string (JsonObject *object,
            const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* A DER certificate is one SEQUENCE whose encoded length covers exactly the whole buffer:
 * that catches truncated and padded elements before they reach the X.509 code. */
static gboolean
der_sequence_is_whole (const guint8 *data,
                       gsize         len)
{
  gsize header;
  gsize body = 0;

  if (len < 2 || data[0] != 0x30)
    return FALSE;

  if (data[1] < 0x80)
    {
      header = 2;
      body = data[1];
    }
  else
    {
      guint n = data[1] & 0x7f;

      if (n == 0 || n > 4 || len < 2 + n)
        return FALSE;
      for (guint i = 0; i < n; i++)
        body = (body << 8) | data[2 + i];
      header = 2 + n;
    }

  return header + body == len;
}

/* Chain elements are base64 DER; a PEM element (armour included) is tolerated. */
static GBytes *
decode_certificate (const char *text)
{
  g_autoptr(GString) b64 = g_string_new (NULL);
  g_autofree guchar *der = NULL;
  const char *p = text;
  gsize len = 0;

  if (g_str_has_prefix (text, "-----BEGIN CERTIFICATE-----"))
    {
      const char *end = strstr (text, "-----END CERTIFICATE-----");

      if (end == NULL)
        return NULL;
      p = text + strlen ("-----BEGIN CERTIFICATE-----");
      g_string_append_len (b64, p, end - p);
    }
  else
    g_string_append (b64, text);

  /* g_base64_decode skips junk silently; refuse it instead. */
  for (gsize i = 0; i < b64->len; i++)
    {
      char c = b64->str[i];

      if (!g_ascii_isalnum (c) && c != '+' && c != '/' && c != '=' && !g_ascii_isspace (c))
        return NULL;
    }

  der = g_base64_decode (b64->str, &len);
  if (der == NULL || !der_sequence_is_whole (der, len))
    return NULL;

  return g_bytes_new_take (g_steal_pointer (&der), len);
}

/**
 * cb_dps_registration_new_from_json:
 *
 * Returns: (transfer full): the assigned registration, or %NULL with @error set
 */
CbDpsRegistration *
cb_dps_registration_new_from_json (JsonNode  *json,
                                   GError   **error)
{
  g_autoptr(CbDpsRegistration) self = NULL;
  JsonObject *root;
  JsonObject *state = NULL;
  const char *status;

  if (json == NULL || !JSON_NODE_HOLDS_OBJECT (json))
    {
      g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "DPS sent an operation status that is not a JSON object");
      return NULL;
    }

  root = json_node_get_object (json);
  if (json_object_has_member (root, "registrationState") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "registrationState")))
    state = json_object_get_object_member (root, "registrationState");

  status = get_string (root, "status");
  if (status == NULL)
    status = get_string (state, "status");
  if (status == NULL)
    {
      g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "DPS sent an operation status without a status");
      return NULL;
    }

  if (g_str_equal (status, "assigning") || g_str_equal (status, "unassigned"))
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_PENDING,
                   "The registration is still %s", status);
      return NULL;
    }

  if (g_str_equal (status, "failed") || g_str_equal (status, "disabled"))
    {
      g_autofree char *code = cb_http_json_dup_code (state, "errorCode");
      const char *message = get_string (state, "errorMessage");

      if (code == NULL)
        code = g_strdup (status);
      if (message == NULL)
        message = g_str_equal (status, "disabled") ? "The enrollment or the registration is disabled"
                                                   : "DPS did not say why";

      g_propagate_error (error,
                         cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, 200, code, NULL, 0,
                                                "%s: %s", code, message));
      return NULL;
    }

  if (!g_str_equal (status, "assigned"))
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                   "DPS sent an unknown registration status “%s”", status);
      return NULL;
    }

  if (state == NULL)
    {
      g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "DPS assigned the device but sent no registration state");
      return NULL;
    }

  self = g_object_new (CB_TYPE_DPS_REGISTRATION, NULL);
  self->status = g_strdup (status);
  self->operation_id = g_strdup (get_string (root, "operationId"));
  self->registration_id = g_strdup (get_string (state, "registrationId"));
  self->substatus = g_strdup (get_string (state, "substatus"));
  self->assigned_hub = g_strdup (get_string (state, "assignedHub"));
  self->device_id = g_strdup (get_string (state, "deviceId"));
  self->state = json_object_ref (state);

  if (self->assigned_hub == NULL || self->device_id == NULL)
    {
      g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "DPS assigned the device but named no hub or device ID");
      return NULL;
    }

  if (json_object_has_member (state, "issuedCertificateChain"))
    {
      JsonNode *node = json_object_get_member (state, "issuedCertificateChain");
      JsonArray *chain;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                               "The issued certificate chain is not an array");
          return NULL;
        }

      chain = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (chain); i++)
        {
          JsonNode *element = json_array_get_element (chain, i);
          GBytes *der = NULL;

          if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
            der = decode_certificate (json_node_get_string (element));

          if (der == NULL)
            {
              g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "Certificate %u of the issued chain is not a base64 DER certificate",
                           i + 1);
              return NULL;
            }

          g_ptr_array_add (self->issued_chain, der);
        }
    }

  return g_steal_pointer (&self);
}

/* -------------------------------------------------------------------------------------------- */
/* CbDpsClient                                                                                  */

struct _CbDpsClient
{
  GObject       parent_instance;

  /* Owned */
  CbProfile    *profile;
  CbHttpClient *http;

  guint         timeout;
};

G_DEFINE_FINAL_TYPE (CbDpsClient, cb_dps_client, G_TYPE_OBJECT)

static void
cb_dps_client_finalize (GObject *object)
{
  CbDpsClient *self = (CbDpsClient *)object;

  g_clear_object (&self->profile);
  g_clear_object (&self->http);

  G_OBJECT_CLASS (cb_dps_client_parent_class)->finalize (object);
}

static void
cb_dps_client_class_init (CbDpsClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_dps_client_finalize;
}

static void
cb_dps_client_init (CbDpsClient *self)
{
  self->timeout = DEFAULT_TIMEOUT_SECS;
}

/**
 * cb_dps_client_new:
 *
 * Returns: (transfer full): a device-side DPS client for @profile's global endpoint and ID scope
 */
CbDpsClient *
cb_dps_client_new (CbProfile    *profile,
                   CbHttpClient *http)
{
  CbDpsClient *self;

  g_return_val_if_fail (CB_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (http), NULL);

  self = g_object_new (CB_TYPE_DPS_CLIENT, NULL);
  self->profile = g_object_ref (profile);
  self->http = g_object_ref (http);

  return self;
}

void
cb_dps_client_set_timeout (CbDpsClient *self,
                           guint        seconds)
{
  g_return_if_fail (CB_IS_DPS_CLIENT (self));
  self->timeout = seconds;
}

typedef struct
{
  char   *registration_id;
  char   *authorization;
  char   *operation_id;
  gint64  deadline;   /* monotonic usec */
  guint   polls;
} Register;

static void
register_free (Register *reg)
{
  g_free (reg->registration_id);
  cb_secrets_free_value (reg->authorization);
  g_free (reg->operation_id);
  g_free (reg);
}

static const char * const dps_headers[] = { "Content-Encoding", "utf-8", NULL };

static void poll_send (GTask *task);

static void
poll_wait_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!cb_http_sleep_finish (result, &error))
    g_task_return_error (task, error);
  else
    poll_send (task);
}

/* Handles the answer of the register PUT and of every poll GET. */
static void
operation_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  g_autoptr(GTask) task = user_data;
  Register *reg = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(CbDpsRegistration) registration = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object_body;
  const char *operation_id;
  guint delay;

  if (!(response = cb_http_client_request_finish (http, result, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  object_body = cb_http_response_get_object (response);
  if ((operation_id = get_string (object_body, "operationId")) &&
      g_strcmp0 (operation_id, reg->operation_id) != 0)
    {
      g_free (reg->operation_id);
      reg->operation_id = g_strdup (operation_id);
    }

  registration = cb_dps_registration_new_from_json (response->json, &error);
  if (registration != NULL)
    {
      if (registration->issued_chain->len == 0)
        {
          g_task_return_error (task,
                               cb_api_error_new_full (CB_API_ERROR_PARSE, response->status,
                                                      NULL, NULL, 0,
                                                      "DPS assigned the device but issued no certificate chain"));
          return;
        }
      if (registration->registration_id == NULL)
        registration->registration_id = g_strdup (reg->registration_id);
      g_task_return_pointer (task, g_steal_pointer (&registration), g_object_unref);
      return;
    }

  if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_PENDING))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (reg->operation_id == NULL)
    {
      g_task_return_error (task,
                           cb_api_error_new_full (CB_API_ERROR_PARSE, response->status, NULL,
                                                  NULL, 0,
                                                  "DPS accepted the registration but sent no operation ID"));
      return;
    }

  if (g_get_monotonic_time () >= reg->deadline)
    {
      g_task_return_error (task,
                           cb_api_error_new_full (CB_API_ERROR_TIMEOUT, response->status, NULL,
                                                  NULL, 0,
                                                  "DPS did not finish the registration in time"));
      return;
    }

  delay = cb_http_response_get_retry_after (response);
  if (cb_http_response_get_header (response, "Retry-After") == NULL && delay == 0)
    delay = DEFAULT_POLL_SECS;
  delay = MIN (delay, MAX_POLL_SECS);

  reg->polls++;
  g_debug ("Registration %s is still assigning; polling again in %u s", reg->registration_id,
           delay);

  /* Even "Retry-After: 0" yields to the main loop for a moment. */
  cb_http_sleep_async (delay > 0 ? delay * 1000 : 100, g_task_get_cancellable (task),
                       poll_wait_cb, g_object_ref (task));
}

static void
poll_send (GTask *task)
{
  CbDpsClient *self = g_task_get_source_object (task);
  Register *reg = g_task_get_task_data (task);
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;

  base = cb_http_build_url (cb_profile_get_dps_global_endpoint (self->profile),
                            cb_profile_get_dps_id_scope (self->profile),
                            "registrations", reg->registration_id,
                            "operations", reg->operation_id, NULL);
  url = g_strconcat (base, "?api-version=" CB_DPS_API_VERSION, NULL);

  cb_http_client_request_async (self->http, "GET", url, reg->authorization, dps_headers, NULL,
                                CB_HTTP_STYLE_DPS, g_task_get_cancellable (task),
                                operation_cb, g_object_ref (task));
}

void
cb_dps_client_register_async (CbDpsClient         *self,
                              const char          *registration_id,
                              const char          *key_base64,
                              CbDpsKeyKind         key_kind,
                              GBytes              *csr_der,
                              JsonNode            *payload,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_key = NULL;
  g_autofree char *resource = NULL;
  g_autofree char *csr_b64 = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  const char *id_scope;
  const char *endpoint;
  Register *reg;

  g_return_if_fail (CB_IS_DPS_CLIENT (self));
  g_return_if_fail (registration_id != NULL);
  g_return_if_fail (key_base64 != NULL);
  g_return_if_fail (csr_der != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_dps_client_register_async);

  id_scope = cb_profile_get_dps_id_scope (self->profile);
  endpoint = cb_profile_get_dps_global_endpoint (self->profile);
  if (id_scope == NULL || endpoint == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               "The profile has no DPS endpoint or ID scope");
      return;
    }

  if (key_kind == CB_DPS_KEY_ENROLLMENT_GROUP)
    device_key = cb_sas_derive_device_key (key_base64, registration_id, &error);
  else
    device_key = g_strdup (key_base64);
  if (device_key == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  reg = g_new0 (Register, 1);
  reg->registration_id = g_strdup (registration_id);
  reg->deadline = g_get_monotonic_time () + (gint64) self->timeout * G_USEC_PER_SEC;
  g_task_set_task_data (task, reg, (GDestroyNotify) register_free);

  /* DPS signs "{idScope}/registrations/{registrationId}" with the ID scope's case kept. */
  resource = g_strdup_printf ("%s/registrations/%s", id_scope, registration_id);
  reg->authorization = cb_sas_token_new (resource, device_key, "registration",
                                         g_get_real_time () / G_USEC_PER_SEC + SAS_LIFETIME_SECS,
                                         CB_SAS_FLAGS_NONE, &error);
  memset (device_key, 0, strlen (device_key));
  if (reg->authorization == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  csr_b64 = g_base64_encode (g_bytes_get_data (csr_der, NULL), g_bytes_get_size (csr_der));

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "registrationId");
  json_builder_add_string_value (builder, registration_id);
  json_builder_set_member_name (builder, "csr");
  json_builder_add_string_value (builder, csr_b64);
  if (payload != NULL)
    {
      json_builder_set_member_name (builder, "payload");
      json_builder_add_value (builder, json_node_copy (payload));
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  base = cb_http_build_url (endpoint, id_scope, "registrations", registration_id, "register", NULL);
  url = g_strconcat (base, "?api-version=" CB_DPS_API_VERSION, NULL);

  g_debug ("Registering %s with DPS scope %s", registration_id, id_scope);

  cb_http_client_request_async (self->http, "PUT", url, reg->authorization, dps_headers, body,
                                CB_HTTP_STYLE_DPS, cancellable,
                                operation_cb, g_steal_pointer (&task));
}

/**
 * cb_dps_client_register_finish:
 *
 * Returns: (transfer full): the assigned registration with its certificate chain
 */
CbDpsRegistration *
cb_dps_client_register_finish (CbDpsClient   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (CB_IS_DPS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -------------------------------------------------------------------------------------------- */
/* CbDpsServiceClient                                                                           */

struct _CbDpsServiceClient
{
  GObject        parent_instance;

  /* Owned */
  CbProfile     *profile;
  CbHttpClient  *http;
  CbEntraClient *entra;
  char          *policy_name;
  char          *key;
};

G_DEFINE_FINAL_TYPE (CbDpsServiceClient, cb_dps_service_client, G_TYPE_OBJECT)

static void
cb_dps_service_client_finalize (GObject *object)
{
  CbDpsServiceClient *self = (CbDpsServiceClient *)object;

  g_clear_object (&self->profile);
  g_clear_object (&self->http);
  g_clear_object (&self->entra);
  g_clear_pointer (&self->policy_name, g_free);
  g_clear_pointer (&self->key, cb_secrets_free_value);

  G_OBJECT_CLASS (cb_dps_service_client_parent_class)->finalize (object);
}

static void
cb_dps_service_client_class_init (CbDpsServiceClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_dps_service_client_finalize;
}

static void
cb_dps_service_client_init (CbDpsServiceClient *self)
{
}

/**
 * cb_dps_service_client_new:
 * @entra: (nullable): for Entra authentication when no SAS key is set
 *
 * Returns: (transfer full): a DPS service client
 */
CbDpsServiceClient *
cb_dps_service_client_new (CbProfile     *profile,
                           CbHttpClient  *http,
                           CbEntraClient *entra)
{
  CbDpsServiceClient *self;

  g_return_val_if_fail (CB_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (http), NULL);
  g_return_val_if_fail (!entra || CB_IS_ENTRA_CLIENT (entra), NULL);

  self = g_object_new (CB_TYPE_DPS_SERVICE_CLIENT, NULL);
  self->profile = g_object_ref (profile);
  self->http = g_object_ref (http);
  g_set_object (&self->entra, entra);

  return self;
}

void
cb_dps_service_client_set_sas_key (CbDpsServiceClient *self,
                                   const char         *policy_name,
                                   const char         *key_base64)
{
  g_return_if_fail (CB_IS_DPS_SERVICE_CLIENT (self));

  g_free (self->policy_name);
  self->policy_name = g_strdup (policy_name ? policy_name : DEFAULT_SERVICE_POLICY);
  g_clear_pointer (&self->key, cb_secrets_free_value);
  self->key = g_strdup (key_base64);
}

typedef struct
{
  char       *method;
  char       *url;
  char       *etag;
  JsonNode   *body;
  /* Queries: the pages so far, the next page's token and the header to send it again with. */
  GPtrArray  *items;
  char       *continuation;
  char       *authorization;
} ServiceRequest;

static void
service_request_free (ServiceRequest *request)
{
  g_free (request->method);
  g_free (request->url);
  g_free (request->etag);
  g_clear_pointer (&request->body, json_node_unref);
  g_clear_pointer (&request->items, g_ptr_array_unref);
  g_free (request->continuation);
  cb_secrets_free_value (request->authorization);
  g_free (request);
}

static void service_send (GTask      *task,
                          const char *authorization);

static void
service_response_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;
  JsonObject *body;

  if (!(response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_task_get_source_tag (task) == cb_dps_service_client_delete_async)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (g_task_get_source_tag (task) == cb_dps_service_client_query_async)
    {
      ServiceRequest *request = g_task_get_task_data (task);
      const char *next = cb_http_response_get_header (response, "x-ms-continuation");
      JsonArray *page;

      if (response->json == NULL || !JSON_NODE_HOLDS_ARRAY (response->json))
        {
          g_task_return_error (task,
                               cb_api_error_new_full (CB_API_ERROR_PARSE, response->status, NULL,
                                                      NULL, 0,
                                                      "DPS sent a query result that is not a "
                                                      "JSON array"));
          return;
        }
      page = json_node_get_array (response->json);
      for (guint i = 0; i < json_array_get_length (page); i++)
        {
          JsonNode *node = json_array_get_element (page, i);

          if (JSON_NODE_HOLDS_OBJECT (node))
            g_ptr_array_add (request->items, json_object_ref (json_node_get_object (node)));
        }

      /* A token that does not move on would loop for ever. */
      if (next != NULL && *next != '\0' && g_strcmp0 (next, request->continuation) != 0)
        {
          g_free (request->continuation);
          request->continuation = g_strdup (next);
          service_send (task, request->authorization);
          return;
        }

      g_task_return_pointer (task, g_ptr_array_ref (request->items),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  if (!(body = cb_http_response_get_object (response)))
    {
      g_task_return_error (task,
                           cb_api_error_new_full (CB_API_ERROR_PARSE, response->status, NULL,
                                                  NULL, 0,
                                                  "DPS sent an enrollment that is not a JSON object"));
      return;
    }

  g_task_return_pointer (task, json_object_ref (body), (GDestroyNotify) json_object_unref);
}

static void
service_send (GTask      *task,
              const char *authorization)
{
  CbDpsServiceClient *self = g_task_get_source_object (task);
  ServiceRequest *request = g_task_get_task_data (task);
  g_autofree char *if_match = NULL;
  const char *headers[] = { "Content-Encoding", "utf-8", NULL, NULL, NULL };

  if (request->etag != NULL)
    {
      headers[2] = "If-Match";
      headers[3] = if_match = g_str_equal (request->etag, "*") || request->etag[0] == '"'
                              ? g_strdup (request->etag)
                              : g_strdup_printf ("\"%s\"", request->etag);
    }
  else if (request->continuation != NULL)
    {
      headers[2] = "x-ms-continuation";
      headers[3] = request->continuation;
    }
  if (request->items != NULL && request->authorization != authorization)
    {
      cb_secrets_free_value (request->authorization);
      request->authorization = g_strdup (authorization);
    }

  cb_http_client_request_async (self->http, request->method, request->url, authorization,
                                headers, request->body, CB_HTTP_STYLE_DPS,
                                g_task_get_cancellable (task), service_response_cb,
                                g_object_ref (task));
}

static void
service_token_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *authorization = NULL;
  GError *error = NULL;
  char *token;

  if (!(token = cb_entra_client_get_access_token_finish (CB_ENTRA_CLIENT (object), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  authorization = g_strconcat ("Bearer ", token, NULL);
  cb_secrets_free_value (token);
  service_send (task, authorization);
  memset (authorization, 0, strlen (authorization));
}

static void
service_start (CbDpsServiceClient  *self,
               gpointer             source_tag,
               const char          *method,
               CbDpsEnrollmentKind  kind,
               const char          *id,
               JsonObject          *body,
               const char          *etag,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *base = NULL;
  ServiceRequest *request;
  const char *endpoint;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  endpoint = cb_profile_get_dps_service_endpoint (self->profile);
  if (endpoint == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               "The profile has no DPS service endpoint");
      return;
    }

  base = cb_http_build_url (endpoint,
                            kind == CB_DPS_ENROLLMENT_GROUP ? "enrollmentGroups" : "enrollments",
                            id != NULL ? id : "query", NULL);

  request = g_new0 (ServiceRequest, 1);
  if (source_tag == cb_dps_service_client_query_async)
    request->items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  request->method = g_strdup (method);
  request->url = g_strconcat (base, "?api-version=" CB_DPS_API_VERSION, NULL);
  request->etag = g_strdup (etag);
  if (body != NULL)
    {
      request->body = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (request->body, body);
    }
  g_task_set_task_data (task, request, (GDestroyNotify) service_request_free);

  if (self->key != NULL)
    {
      g_autoptr(GError) error = NULL;
      char *authorization;

      authorization = cb_sas_authorization_new (cb_profile_get_dps_host_name (self->profile),
                                                "DPS host name", self->key, self->policy_name,
                                                SAS_LIFETIME_SECS, CB_SAS_FLAGS_NONE, &error);
      if (authorization == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      service_send (task, authorization);
      cb_secrets_free_value (authorization);
      return;
    }

  if (self->entra != NULL)
    {
      cb_entra_client_get_access_token_async (self->entra, CB_ENTRA_SCOPE_DPS, cancellable,
                                              service_token_cb, g_steal_pointer (&task));
      return;
    }

  g_task_return_error (task,
                       cb_api_error_new_full (CB_API_ERROR_UNAUTHORIZED, 0, NULL, NULL, 0,
                                              "No DPS service key and no Entra sign-in"));
}

void
cb_dps_service_client_get_async (CbDpsServiceClient  *self,
                                 CbDpsEnrollmentKind  kind,
                                 const char          *id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (CB_IS_DPS_SERVICE_CLIENT (self));
  g_return_if_fail (id != NULL);

  service_start (self, cb_dps_service_client_get_async, "GET", kind, id, NULL, NULL,
                 cancellable, callback, user_data);
}

void
cb_dps_service_client_put_async (CbDpsServiceClient  *self,
                                 CbDpsEnrollmentKind  kind,
                                 const char          *id,
                                 JsonObject          *enrollment,
                                 const char          *etag,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (CB_IS_DPS_SERVICE_CLIENT (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (enrollment != NULL);

  service_start (self, cb_dps_service_client_put_async, "PUT", kind, id, enrollment, etag,
                 cancellable, callback, user_data);
}

/* Every enrollment group (or individual enrollment) of the service, page by page. */
void
cb_dps_service_client_query_async (CbDpsServiceClient  *self,
                                   CbDpsEnrollmentKind  kind,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonObject) query = json_object_new ();

  g_return_if_fail (CB_IS_DPS_SERVICE_CLIENT (self));

  json_object_set_string_member (query, "query", "*");
  service_start (self, cb_dps_service_client_query_async, "POST", kind, NULL, query, NULL,
                 cancellable, callback, user_data);
}

/**
 * cb_dps_service_client_query_finish:
 *
 * Returns: (transfer full) (element-type JsonObject): the enrollments
 */
GPtrArray *
cb_dps_service_client_query_finish (CbDpsServiceClient  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  g_return_val_if_fail (CB_IS_DPS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        cb_dps_service_client_query_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * cb_dps_service_client_enrollment_finish:
 *
 * Returns: (transfer full): the enrollment
 */
JsonObject *
cb_dps_service_client_enrollment_finish (CbDpsServiceClient  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (CB_IS_DPS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cb_dps_service_client_delete_async (CbDpsServiceClient  *self,
                                    CbDpsEnrollmentKind  kind,
                                    const char          *id,
                                    const char          *etag,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (CB_IS_DPS_SERVICE_CLIENT (self));
  g_return_if_fail (id != NULL);

  service_start (self, cb_dps_service_client_delete_async, "DELETE", kind, id, NULL, etag,
                 cancellable, callback, user_data);
}

gboolean
cb_dps_service_client_delete_finish (CbDpsServiceClient  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (CB_IS_DPS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cb_dps_enrollment_new_symmetric_key:
 * @primary_key: (nullable): NULL lets the service generate keys
 *
 * Returns: (transfer full): the enrollment body
 */
JsonObject *
cb_dps_enrollment_new_symmetric_key (CbDpsEnrollmentKind  kind,
                                     const char          *id,
                                     const char          *credential_policy,
                                     const char          *primary_key,
                                     const char          *secondary_key,
                                     const char * const  *iot_hubs)
{
  JsonObject *enrollment = json_object_new ();
  JsonObject *attestation = json_object_new ();
  JsonObject *symmetric_key = json_object_new ();

  g_return_val_if_fail (id != NULL, NULL);

  json_object_set_string_member (enrollment,
                                 kind == CB_DPS_ENROLLMENT_GROUP ? "enrollmentGroupId"
                                                                 : "registrationId",
                                 id);
  if (kind == CB_DPS_ENROLLMENT_INDIVIDUAL)
    json_object_set_string_member (enrollment, "deviceId", id);
  if (credential_policy != NULL)
    json_object_set_string_member (enrollment, "credentialPolicyName", credential_policy);

  json_object_set_string_member (attestation, "type", "symmetricKey");
  if (primary_key != NULL)
    json_object_set_string_member (symmetric_key, "primaryKey", primary_key);
  if (secondary_key != NULL)
    json_object_set_string_member (symmetric_key, "secondaryKey", secondary_key);
  json_object_set_object_member (attestation, "symmetricKey", symmetric_key);
  json_object_set_object_member (enrollment, "attestation", attestation);

  json_object_set_string_member (enrollment, "provisioningStatus", "enabled");
  json_object_set_string_member (enrollment, "allocationPolicy", "hashed");
  if (iot_hubs != NULL && iot_hubs[0] != NULL)
    {
      JsonArray *hubs = json_array_new ();

      for (guint i = 0; iot_hubs[i] != NULL; i++)
        json_array_add_string_element (hubs, iot_hubs[i]);
      json_object_set_array_member (enrollment, "iotHubs", hubs);
    }

  return enrollment;
}
