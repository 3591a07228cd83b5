/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-client"

/* CbDpsClient's MQTT transport (azure-api-reference.md §2.4), the path Microsoft's
 * CSR-capable device SDKs take: connect as the registration id with the SAS token as the
 * password, subscribe to "$dps/registrations/res/#", publish the DeviceRegistration (the same
 * body as over HTTPS) to "$dps/registrations/PUT/iotdps-register/?$rid=…", then poll
 * "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=…&operationId=…" every retry-after
 * until the answer is terminal. The answers become what the HTTPS path gives: the
 * registration, or the same CB_API_ERROR; 429 and 5xx are retried as CbHttpClient retries
 * them, after their retry-after. */

#include "config.h"

#include <string.h>

#include "cb-dps-private.h"
#include "cb-error.h"
#include "cb-http-parse.h"
#include "cb-mqtt-client.h"
#include "cb-secrets.h"

#define DEFAULT_POLL_SECS   2
#define MAX_POLL_SECS       30
#define RESPONSE_PREFIX     "$dps/registrations/res/"

typedef struct
{
  guint         ref;                 /* the registration's, and a connect's in flight */
  GTask        *task;                /* NULL once finished */
  CbMqttClient *mqtt;
  char         *host;
  guint16       port;
  char         *registration_id;
  char         *body;
  char         *operation_id;
  char          rid[16];
  guint         next_rid;
  gint64        deadline;            /* monotonic usec */
  guint         attempts;            /* of the current request */
  guint         max_attempts;
  guint         polls;               /* of the operation, while DPS is assigning */
  guint         timer_id;
  guint         deadline_id;
  GSource      *cancel_source;
  gulong        message_id;
  gulong        closed_id;
} MqttRegister;

/* Stops everything that could call back into r. */
static void
mqtt_register_stop (MqttRegister *r)
{
  g_clear_handle_id (&r->timer_id, g_source_remove);
  g_clear_handle_id (&r->deadline_id, g_source_remove);
  if (r->cancel_source != NULL)
    {
      g_source_destroy (r->cancel_source);
      g_clear_pointer (&r->cancel_source, g_source_unref);
    }
  g_clear_signal_handler (&r->message_id, r->mqtt);
  g_clear_signal_handler (&r->closed_id, r->mqtt);
  if (r->mqtt != NULL)
    cb_mqtt_client_close (r->mqtt);
}

static void
mqtt_register_unref (MqttRegister *r)
{
  if (--r->ref > 0)
    return;
  g_clear_object (&r->mqtt);
  g_free (r->host);
  g_free (r->registration_id);
  g_free (r->body);
  g_free (r->operation_id);
  g_free (r);
}

typedef struct
{
  GTask             *task;
  CbDpsRegistration *registration;
  GError            *error;
} Outcome;

/* The connection is gone with all its I/O: the registration's outcome goes out now, so nothing
 * of it outlives the task (a caller that exits once it has the answer leaks nothing). */
static void
connection_gone_cb (gpointer  data,
                    GObject  *where_the_object_was)
{
  Outcome *o = data;

  if (o->registration != NULL)
    g_task_return_pointer (o->task, o->registration, g_object_unref);
  else
    g_task_return_error (o->task, o->error);
  g_object_unref (o->task);
  g_free (o);
}

/* Ends the registration with registration or error (one of them). */
static void
finish (MqttRegister      *r,
        CbDpsRegistration *registration,
        GError            *error)
{
  Outcome *o;

  if (r->task == NULL)
    {
      g_clear_object (&registration);
      g_clear_error (&error);
      return;
    }

  o = g_new0 (Outcome, 1);
  o->task = g_steal_pointer (&r->task);
  o->registration = registration;
  o->error = error;
  mqtt_register_stop (r);
  g_object_weak_ref (G_OBJECT (r->mqtt), connection_gone_cb, o);
  g_clear_object (&r->mqtt);
  mqtt_register_unref (r);
}

static void
send_request (MqttRegister *r)
{
  g_autofree char *topic = NULL;

  g_snprintf (r->rid, sizeof r->rid, "%u", ++r->next_rid);
  r->attempts++;

  if (r->operation_id == NULL)
    {
      topic = g_strdup_printf ("$dps/registrations/PUT/iotdps-register/?$rid=%s", r->rid);
      cb_mqtt_client_publish (r->mqtt, topic, r->body, strlen (r->body));
    }
  else
    {
      topic = g_strdup_printf ("$dps/registrations/GET/iotdps-get-operationstatus/?$rid=%s"
                               "&operationId=%s", r->rid, r->operation_id);
      cb_mqtt_client_publish (r->mqtt, topic, NULL, 0);
    }
  g_debug ("DPS over MQTT: %s", topic);
}

static gboolean
timer_cb (gpointer data)
{
  MqttRegister *r = data;

  r->timer_id = 0;
  send_request (r);
  return G_SOURCE_REMOVE;
}

/* Sends again after "retry-after=seconds", the count-th time: "retry-after=0" the first
 * time at once. */
static void
send_later (MqttRegister *r,
            guint         seconds,
            guint         count)
{
  r->timer_id = g_timeout_add (cb_dps_poll_delay_ms (MIN (seconds, MAX_POLL_SECS), count),
                               timer_cb, r);
}

/* "…/res/{status}/?$rid=…&retry-after=…" -> status, $rid and retry-after (-1: absent). */
static gboolean
parse_response_topic (const char  *topic,
                      guint       *status,
                      char       **rid,
                      int         *retry_after)
{
  const char *rest = topic + strlen (RESPONSE_PREFIX);
  const char *props = strchr (rest, '?');
  g_autofree char *code = NULL;
  g_auto(GStrv) pairs = NULL;
  guint64 value = 0;

  *rid = NULL;
  *retry_after = -1;
  if (!g_str_has_prefix (topic, RESPONSE_PREFIX) || props == NULL)
    return FALSE;
  code = g_strndup (rest, strcspn (rest, "/?"));
  if (!g_ascii_string_to_unsigned (code, 10, 100, 599, &value, NULL))
    return FALSE;
  *status = value;

  pairs = g_strsplit (props + 1, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      if (g_str_has_prefix (pairs[i], "$rid="))
        *rid = g_strdup (pairs[i] + 5);
      else if (g_str_has_prefix (pairs[i], "retry-after=") &&
               g_ascii_string_to_unsigned (pairs[i] + 12, 10, 0, 3600, &value, NULL))
        *retry_after = value;
    }
  return *rid != NULL;
}

static void
message_cb (CbMqttClient *mqtt,
            const char   *topic,
            GBytes       *payload,
            gpointer      data)
{
  MqttRegister *r = data;
  g_autoptr(CbDpsRegistration) registration = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rid = NULL;
  int retry_after;
  guint status = 0;

  if (!parse_response_topic (topic, &status, &rid, &retry_after) || !g_str_equal (rid, r->rid))
    {
      g_debug ("DPS over MQTT: ignoring %s", topic);
      return;
    }

  if (status >= 300)
    {
      if ((status == 429 || status >= 500) && r->attempts < r->max_attempts &&
          g_get_monotonic_time () < r->deadline)
        {
          g_debug ("DPS answered %u; retrying in %d s", status, retry_after);
          send_later (r, retry_after >= 0 ? (guint) retry_after : 1u << MIN (r->attempts, 4),
                      r->attempts);
          return;
        }
      error = cb_http_parse_error (CB_HTTP_STYLE_DPS, status, NULL, payload);
      finish (r, NULL, g_steal_pointer (&error));
      return;
    }

  if (!(json = cb_http_parse_json (payload, &error)) || !JSON_NODE_HOLDS_OBJECT (json))
    {
      finish (r, NULL, cb_api_error_new_full (CB_API_ERROR_PARSE, status, NULL, NULL, 0,
                                              "DPS sent an answer that is not a JSON object%s%s",
                                              error ? ": " : "", error ? error->message : ""));
      return;
    }

  registration = cb_dps_registration_from_operation (json, status, r->registration_id,
                                                     &r->operation_id, &error);
  if (registration != NULL)
    {
      finish (r, g_steal_pointer (&registration), NULL);
      return;
    }
  if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_PENDING))
    {
      finish (r, NULL, g_steal_pointer (&error));
      return;
    }

  r->attempts = 0;
  g_debug ("Registration %s is still assigning; polling again in %d s", r->registration_id,
           retry_after);
  send_later (r, retry_after >= 0 ? (guint) retry_after : DEFAULT_POLL_SECS, r->polls++);
}

static void
closed_cb (CbMqttClient *mqtt,
           const GError *error,
           gpointer      data)
{
  MqttRegister *r = data;

  finish (r, NULL, g_error_new (error->domain, error->code,
                                "The DPS connection ended before the registration did: %s",
                                error->message));
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      data)
{
  MqttRegister *r = data;
  g_autoptr(GError) error = NULL;
  gboolean connected = cb_mqtt_client_connect_finish (CB_MQTT_CLIENT (object), result, &error);

  if (r->task == NULL)                     /* cancelled or timed out meanwhile */
    {
      mqtt_register_unref (r);
      return;
    }
  mqtt_register_unref (r);                 /* finish() below holds the registration's ref */

  if (!connected)
    {
      /* A refused CONNECT is DPS's 401002 over HTTPS: the same error either way. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        finish (r, NULL, cb_api_error_new_full (CB_API_ERROR_UNAUTHORIZED, 401, "401002", NULL, 0,
                                                "DPS refused the device: %s", error->message));
      else
        finish (r, NULL, g_steal_pointer (&error));
      return;
    }

  r->message_id = g_signal_connect (r->mqtt, "message", G_CALLBACK (message_cb), r);
  r->closed_id = g_signal_connect (r->mqtt, "closed", G_CALLBACK (closed_cb), r);
  cb_mqtt_client_subscribe (r->mqtt, RESPONSE_PREFIX "#");
  send_request (r);
}

static gboolean
deadline_cb (gpointer data)
{
  MqttRegister *r = data;

  r->deadline_id = 0;
  finish (r, NULL, cb_api_error_new_full (CB_API_ERROR_TIMEOUT, 0, NULL, NULL, 0,
                                          "DPS did not finish the registration in time"));
  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      data)
{
  MqttRegister *r = data;

  finish (r, NULL, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "The registration was cancelled"));
  return G_SOURCE_REMOVE;
}

void
cb_dps_mqtt_register (GTask        *task,
                      GTlsDatabase *database,
                      const char   *host,
                      guint16       port,
                      const char   *id_scope,
                      const char   *registration_id,
                      const char   *sas,
                      GTlsCertificate *certificate,
                      const char   *body,
                      gint64        deadline,
                      guint         max_attempts)
{
  MqttRegister *r = g_new0 (MqttRegister, 1);
  g_autofree char *username = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  gint64 left_ms = MAX (deadline - g_get_monotonic_time (), 0) / 1000;

  r->ref = 2;                              /* the registration and the connect */
  r->task = g_object_ref (task);
  r->mqtt = cb_mqtt_client_new (database);
  cb_mqtt_client_set_certificate (r->mqtt, certificate);
  r->host = g_strdup (host);
  r->port = port;
  r->registration_id = g_strdup (registration_id);
  r->body = g_strdup (body);
  r->deadline = deadline;
  r->max_attempts = MAX (max_attempts, 1);

  /* A connect still running when the registration ends is closed by mqtt_register_stop();
   * its callback then finds no task and drops the last reference. */
  r->deadline_id = g_timeout_add (MIN (left_ms, G_MAXUINT), deadline_cb, r);
  if (cancellable != NULL)
    {
      r->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (r->cancel_source, G_SOURCE_FUNC (cancelled_cb), r, NULL);
      g_source_attach (r->cancel_source, g_main_context_get_thread_default ());
    }

  username = g_strdup_printf ("%s/registrations/%s/api-version=" CB_DPS_API_VERSION
                              "&ClientVersion=certbench%%2F" PACKAGE_VERSION,
                              id_scope, registration_id);
  g_debug ("Registering %s with DPS scope %s over MQTT (%s:%u)", registration_id, id_scope,
           host, port);
  cb_mqtt_client_connect_async (r->mqtt, host, port, registration_id, username, sas, NULL,
                                connect_cb, r);
}
