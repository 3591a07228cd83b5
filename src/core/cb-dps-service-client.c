/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-client"

/* CbDpsServiceClient: the DPS service API, enrollment groups and individual enrollments (get,
 * put, query with continuation paging, delete) with a shared access key or an Entra token. */

#include "config.h"

#include <string.h>

#include "cb-dps-private.h"
#include "cb-dps-service-client.h"
#include "cb-error.h"
#include "cb-sas.h"
#include "cb-secrets.h"

#define DEFAULT_SERVICE_POLICY    "provisioningserviceowner"

struct _CbDpsServiceClient
{
  GObject        parent_instance;

  /* Owned */
  CbProfile     *profile;
  CbHttpClient  *http;
  CbEntraClient *entra;
  char          *policy_name;
  char          *key;
  CbAdrModel     model;
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

  /* A query (the one POST) only reads. */
  if (request->items != NULL)
    cb_http_client_query_async (self->http, request->url, authorization, headers,
                                request->body, CB_HTTP_STYLE_DPS,
                                g_task_get_cancellable (task), service_response_cb,
                                g_object_ref (task));
  else
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

/* The certificate-authority model's members exist only at 2026-11-01 (and the credential
 * model's only before it): a body goes at the version its members need, a read at the model's. */
#define CB_DPS_API_VERSION_CERTIFICATE_AUTHORITIES "2026-11-01"

static const char *
api_version_for (CbDpsServiceClient *self,
                 JsonObject         *body)
{
  if (body != NULL)
    return cb_dps_enrollment_get_certificate_authority (body) != NULL
           ? CB_DPS_API_VERSION_CERTIFICATE_AUTHORITIES : CB_DPS_API_VERSION;

  return self->model == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES
         ? CB_DPS_API_VERSION_CERTIFICATE_AUTHORITIES : CB_DPS_API_VERSION;
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
  const char *collection;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  endpoint = cb_profile_get_dps_service_endpoint (self->profile);
  if (endpoint == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               "The profile has no DPS service endpoint");
      return;
    }

  if (source_tag == cb_dps_service_client_get_registration_state_async)
    collection = "registrations";
  else
    collection = kind == CB_DPS_ENROLLMENT_GROUP ? "enrollmentGroups" : "enrollments";
  base = cb_http_build_url (endpoint, collection, id != NULL ? id : "query", NULL);

  request = g_new0 (ServiceRequest, 1);
  if (source_tag == cb_dps_service_client_query_async)
    request->items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  request->method = g_strdup (method);
  request->url = g_strconcat (base, "?api-version=", api_version_for (self, body), NULL);
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
                                                CB_DPS_SAS_LIFETIME_SECS, CB_SAS_FLAGS_NONE, &error);
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
cb_dps_service_client_get_registration_state_async (CbDpsServiceClient  *self,
                                                    const char          *registration_id,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data)
{
  g_return_if_fail (CB_IS_DPS_SERVICE_CLIENT (self));
  g_return_if_fail (registration_id != NULL);

  service_start (self, cb_dps_service_client_get_registration_state_async, "GET",
                 CB_DPS_ENROLLMENT_INDIVIDUAL, registration_id, NULL, NULL, cancellable,
                 callback, user_data);
}

JsonObject *
cb_dps_service_client_get_registration_state_finish (CbDpsServiceClient  *self,
                                                     GAsyncResult        *result,
                                                     GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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

void
cb_dps_service_client_set_model (CbDpsServiceClient *self,
                                 CbAdrModel          model)
{
  g_return_if_fail (CB_IS_DPS_SERVICE_CLIENT (self));

  self->model = model;
}

CbAdrModel
cb_dps_service_client_get_model (CbDpsServiceClient *self)
{
  g_return_val_if_fail (CB_IS_DPS_SERVICE_CLIENT (self), CB_ADR_MODEL_UNKNOWN);

  return self->model;
}

static const char *
string_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

const char *
cb_dps_enrollment_get_policy (JsonObject *enrollment)
{
  const char *policy;

  g_return_val_if_fail (enrollment != NULL, NULL);

  policy = string_member (enrollment, "certificatePolicyName");
  return policy != NULL ? policy : string_member (enrollment, "credentialPolicyName");
}

const char *
cb_dps_enrollment_get_certificate_authority (JsonObject *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, NULL);

  return string_member (enrollment, "certificateAuthorityName");
}

const char *
cb_dps_enrollment_get_primary_key (JsonObject *enrollment)
{
  JsonNode *attestation, *symmetric_key;

  g_return_val_if_fail (enrollment != NULL, NULL);

  attestation = json_object_get_member (enrollment, "attestation");
  if (attestation == NULL || !JSON_NODE_HOLDS_OBJECT (attestation))
    return NULL;
  symmetric_key = json_object_get_member (json_node_get_object (attestation), "symmetricKey");
  if (symmetric_key == NULL || !JSON_NODE_HOLDS_OBJECT (symmetric_key))
    return NULL;
  return string_member (json_node_get_object (symmetric_key), "primaryKey");
}

const char *
cb_dps_enrollment_get_namespace (JsonObject *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, NULL);

  return string_member (enrollment, "namespaceName");
}

void
cb_dps_enrollment_set_policy (JsonObject *enrollment,
                              const char *namespace_name,
                              const char *ca_name,
                              const char *policy)
{
  static const char * const members[] = {
    "credentialPolicyName", "namespaceName", "certificateAuthorityName", "certificatePolicyName",
  };

  g_return_if_fail (enrollment != NULL);
  g_return_if_fail (policy != NULL);
  g_return_if_fail (ca_name == NULL || namespace_name != NULL);

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    if (json_object_has_member (enrollment, members[i]))
      json_object_remove_member (enrollment, members[i]);

  if (ca_name == NULL)
    {
      json_object_set_string_member (enrollment, "credentialPolicyName", policy);
      return;
    }

  json_object_set_string_member (enrollment, "namespaceName", namespace_name);
  json_object_set_string_member (enrollment, "certificateAuthorityName", ca_name);
  json_object_set_string_member (enrollment, "certificatePolicyName", policy);
}
