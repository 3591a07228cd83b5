/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-client"

/* CbDpsClient: the DPS device API, registering a device with a symmetric key and a CSR and
 * polling the operation until it is assigned or fails. */

#include "config.h"

#include <string.h>

#include "cb-dps-client.h"
#include "cb-dps-private.h"
#include "cb-error.h"
#include "cb-http-sleep.h"
#include "cb-sas.h"
#include "cb-secrets.h"

#define DEFAULT_TIMEOUT_SECS      300
#define DEFAULT_POLL_SECS         2
#define MAX_POLL_SECS             30

struct _CbDpsClient
{
  GObject       parent_instance;

  /* Owned */
  CbProfile    *profile;
  CbHttpClient *http;

  guint         timeout;
  CbDpsTransport transport;
  GTlsCertificate *certificate;   /* X.509 attestation, or NULL */
};

G_DEFINE_FINAL_TYPE (CbDpsClient, cb_dps_client, G_TYPE_OBJECT)

static void
cb_dps_client_finalize (GObject *object)
{
  CbDpsClient *self = (CbDpsClient *)object;

  g_clear_object (&self->profile);
  g_clear_object (&self->http);
  g_clear_object (&self->certificate);

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

gboolean
cb_dps_transport_from_string (const char     *text,
                              CbDpsTransport *transport)
{
  if (g_strcmp0 (text, "mqtt") == 0)
    *transport = CB_DPS_TRANSPORT_MQTT;
  else if (g_strcmp0 (text, "https") == 0)
    *transport = CB_DPS_TRANSPORT_HTTPS;
  else
    return FALSE;
  return TRUE;
}

void
cb_dps_client_set_transport (CbDpsClient    *self,
                             CbDpsTransport  transport)
{
  g_return_if_fail (CB_IS_DPS_CLIENT (self));
  self->transport = transport;
}

void
cb_dps_client_set_client_certificate (CbDpsClient     *self,
                                      GTlsCertificate *certificate)
{
  g_return_if_fail (CB_IS_DPS_CLIENT (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));
  g_set_object (&self->certificate, certificate);
}

CbDpsTransport
cb_dps_client_get_transport (CbDpsClient *self)
{
  g_return_val_if_fail (CB_IS_DPS_CLIENT (self), CB_DPS_TRANSPORT_HTTPS);

  if (self->transport != CB_DPS_TRANSPORT_DEFAULT)
    return self->transport;
  return cb_profile_get_kind (self->profile) == CB_PROFILE_KIND_AZURE ? CB_DPS_TRANSPORT_MQTT
                                                                      : CB_DPS_TRANSPORT_HTTPS;
}

/* Where DPS's MQTT endpoint is: a sandbox profile's MQTT port ("host:port", shared with the
 * hub's), else the global endpoint's host on 8883. */
static gboolean
mqtt_endpoint (CbProfile  *profile,
               char      **host,
               guint16    *port,
               GError    **error)
{
  const char *device_endpoint = cb_profile_get_hub_device_endpoint (profile);
  g_autoptr(GUri) uri = NULL;

  if (cb_profile_get_dps_global_endpoint (profile) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   "The profile has no DPS endpoint");
      return FALSE;
    }
  if (device_endpoint != NULL && *device_endpoint != '\0')
    {
      g_autoptr(GSocketConnectable) address = g_network_address_parse (device_endpoint, 8883, error);

      if (address == NULL)
        return FALSE;
      *host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)));
      *port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
      return TRUE;
    }

  if (!(uri = g_uri_parse (cb_profile_get_dps_global_endpoint (profile), G_URI_FLAGS_NONE, error)))
    return FALSE;
  *host = g_strdup (g_uri_get_host (uri));
  *port = 8883;
  return TRUE;
}

char *
cb_dps_client_dup_device_endpoint (CbDpsClient  *self,
                                   GError      **error)
{
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_return_val_if_fail (CB_IS_DPS_CLIENT (self), NULL);

  if (self->transport == CB_DPS_TRANSPORT_HTTPS)
    return g_strdup (cb_profile_get_dps_global_endpoint (self->profile));
  if (!mqtt_endpoint (self->profile, &host, &port, error))
    return NULL;
  return strchr (host, ':') != NULL ? g_strdup_printf ("mqtts://[%s]:%u", host, port)
                                    : g_strdup_printf ("mqtts://%s:%u", host, port);
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
  guint delay;
  guint delay_ms;

  if (!(response = cb_http_client_request_finish (http, result, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  registration = cb_dps_registration_from_operation (response->json, response->status,
                                                     reg->registration_id, &reg->operation_id,
                                                     &error);
  if (registration != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&registration), g_object_unref);
      return;
    }
  if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_PENDING))
    {
      g_task_return_error (task, g_steal_pointer (&error));
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

  g_debug ("Registration %s is still assigning; polling again in %u s", reg->registration_id,
           delay);

  /* "Retry-After: 0" is honoured: the first poll goes at once, from here, without a timer
   * (a GTask, a timeout source and a main-loop turn of its own for nothing). */
  delay_ms = cb_dps_poll_delay_ms (delay, reg->polls++);
  if (delay_ms == 0)
    {
      if (!g_task_return_error_if_cancelled (task))
        poll_send (task);
      return;
    }
  cb_http_sleep_async (delay_ms, g_task_get_cancellable (task), poll_wait_cb,
                       g_object_ref (task));
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
  g_return_if_fail (key_base64 != NULL || self->certificate != NULL);
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

  if (self->certificate != NULL && cb_dps_client_get_transport (self) != CB_DPS_TRANSPORT_MQTT)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "A device with an onboarding certificate registers over MQTT");
      return;
    }

  if (self->certificate != NULL)
    device_key = NULL;
  else if (key_kind == CB_DPS_KEY_ENROLLMENT_GROUP)
    device_key = cb_sas_derive_device_key (key_base64, registration_id, &error);
  else
    device_key = g_strdup (key_base64);
  if (device_key == NULL && self->certificate == NULL)
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
  if (device_key != NULL)
    {
      reg->authorization = cb_sas_token_new (resource, device_key, "registration",
                                             g_get_real_time () / G_USEC_PER_SEC + CB_DPS_SAS_LIFETIME_SECS,
                                             CB_SAS_FLAGS_NONE, &error);
      memset (device_key, 0, strlen (device_key));
    }
  if (reg->authorization == NULL && self->certificate == NULL)
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

  if (cb_dps_client_get_transport (self) == CB_DPS_TRANSPORT_MQTT)
    {
      g_autofree char *host = NULL;
      g_autofree char *text = json_to_string (body, FALSE);
      guint16 port = 0;

      if (!mqtt_endpoint (self->profile, &host, &port, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      cb_dps_mqtt_register (task, soup_session_get_tls_database (cb_http_client_get_session (self->http)),
                            host, port, id_scope, registration_id, reg->authorization,
                            self->certificate, text,
                            reg->deadline, cb_http_client_get_max_attempts (self->http));
      return;
    }

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
