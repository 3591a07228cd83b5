/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* DPS's device API over MQTT (azure-api-reference.md §2.4), on the hub's device endpoint:
 * a session is a connection whose user name is "{idScope}/registrations/{registrationId}/
 * api-version=…[&ClientVersion=…]", whose client id is the registration id and whose password
 * is the SAS token, or, for an X.509 enrollment, no password and the device's onboarding
 * certificate in the TLS handshake (cb_sb_dps_authenticate_certificate(), as over HTTPS). It
 * subscribes to "$dps/registrations/res/#", publishes
 * "$dps/registrations/PUT/iotdps-register/?$rid=…" with the DeviceRegistration JSON (the same
 * body as over HTTPS, csr included) and is answered "$dps/registrations/res/202/?$rid=…&
 * retry-after=…" with the operation, then polls "…/GET/iotdps-get-operationstatus/?$rid=…&
 * operationId=…" until "res/200". Errors are answered "res/{status}/?$rid=…" with DPS's error
 * body. What a registration does is cb-sb-dps-register.c's, as for HTTPS.
 *
 * A session's ID scope and enrollment hang on the connection (its session data), so the
 * endpoint's connection struct stays the hub's; a session has no hub and no "hub/device" key,
 * so the hub's bookkeeping (presence, lastActivityTime, rechecks) never sees it. */

#include "config.h"

#include <string.h>

#include "cb-json-limits.h"
#include "cb-sb-dps-register.h"
#include "cb-sb-dps-x509.h"
#include "cb-sb-faults.h"
#include "cb-sb-mqtt-dps.h"
#include "cb-sb-mqtt-response.h"
#include "cb-sb-request.h"
#include "cb-sb-validate.h"
#include "cb-x509.h"

#define MAX_RID_LENGTH   64

typedef struct
{
  char     *id_scope;
  char     *registration_id;
  char     *sas;                     /* checked at CONNECT, checked again per request */
  GTlsCertificate *peer;             /* X.509 attestation: the handshake's chain, leaf first;
                                      * checked the same way */
} Session;

static void
session_free (gpointer data)
{
  Session *s = data;

  g_free (s->id_scope);
  g_free (s->registration_id);
  if (s->sas != NULL)
    memset (s->sas, 0, strlen (s->sas));
  g_free (s->sas);
  g_clear_object (&s->peer);
  g_free (s);
}

static Session *
session_of (CbSbMqttConn *c)
{
  return c->session_data_free == session_free ? c->session_data : NULL;
}

/* ---- CONNECT --------------------------------------------------------------------------- */

/* "{idScope}/registrations/{registrationId}/api-version=…&…" -> its parts; FALSE when the
 * user name is not a DPS one. api_version is NULL when the last segment does not carry it. */
static gboolean
parse_username (const char  *username,
                char       **id_scope,
                char       **registration_id,
                char       **api_version)
{
  g_auto(GStrv) parts = NULL;
  g_auto(GStrv) params = NULL;

  *id_scope = *registration_id = *api_version = NULL;
  if (username == NULL)
    return FALSE;

  parts = g_strsplit (username, "/", 4);
  if (g_strv_length (parts) != 4 || !g_str_equal (parts[1], "registrations") ||
      *parts[0] == '\0' || *parts[2] == '\0' || parts[3][0] == '?')
    return FALSE;

  *id_scope = g_strdup (parts[0]);
  *registration_id = g_strdup (parts[2]);
  params = g_strsplit (parts[3], "&", -1);
  for (guint i = 0; params[i] != NULL; i++)
    if (g_str_has_prefix (params[i], "api-version=") && params[i][12] != '\0')
      *api_version = g_strdup (params[i] + 12);
  return TRUE;
}

/* The chain the device presented in its TLS handshake (leaf first) as the GTlsCertificate the
 * DPS lookup takes, issuers linked; NULL when it presented none or it cannot be read. */
static GTlsCertificate *
peer_certificate (CbSbMqttConn *c)
{
  g_autoptr(GString) pem = g_string_new (NULL);

  for (guint i = 0; c->chain != NULL && i < c->chain->len; i++)
    {
      g_autoptr(CbCertificate) cert = cb_certificate_new_from_der (g_ptr_array_index (c->chain, i),
                                                                   NULL);
      g_autofree char *one = cert != NULL ? cb_certificate_to_pem (cert) : NULL;

      if (one == NULL)
        break;
      g_string_append (pem, one);
    }
  return pem->len > 0 ? g_tls_certificate_new_from_pem (pem->str, -1, NULL) : NULL;
}

/* The session's enrollment: by its SAS, else by the certificate of its handshake. */
static CbSbEnrollment *
authenticate (CbSbMqttConn     *c,
              CbSbDpsInstance  *dps,
              const char       *registration_id,
              const char       *sas,
              GTlsCertificate  *peer,
              GError          **error)
{
  if (sas == NULL && peer != NULL)
    return cb_sb_dps_authenticate_certificate (c->sandbox, dps, registration_id, peer, error);
  return cb_sb_dps_authenticate (c->sandbox, dps, registration_id, sas, error);
}

static void
refuse (CbSbMqttConn *c,
        guint8        code,
        const char   *registration_id,
        const char   *reason)
{
  g_message ("Refused the DPS connection of “%s”: %s", registration_id ? registration_id : "",
             reason);
  cb_sb_mqtt_conn_send (c, cb_mqtt_encode_connack (FALSE, code));
  cb_sb_mqtt_conn_close (c, reason, TRUE);
}

gboolean
cb_sb_mqtt_dps_handle_connect (CbSbMqttConn *c,
                               CbMqttPacket *p)
{
  g_autofree char *id_scope = NULL;
  g_autofree char *registration_id = NULL;
  g_autofree char *api_version = NULL;
  g_autofree char *sas = NULL;
  g_autoptr(GTlsCertificate) peer = NULL;
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbEnrollment) enrollment = NULL;
  g_autoptr(GError) error = NULL;
  Session *session;

  if (!parse_username (p->username, &id_scope, &registration_id, &api_version))
    return FALSE;

  if (p->client_id == NULL || !g_str_equal (p->client_id, registration_id))
    {
      g_autofree char *why = g_strdup_printf ("The client identifier (“%s”) must be the "
                                              "registration id of the user name (“%s”).",
                                              p->client_id ? p->client_id : "", registration_id);
      refuse (c, CB_MQTT_CONNACK_IDENTIFIER_REJECTED, registration_id, why);
      return TRUE;
    }

  if (!cb_sb_registration_id_is_valid (registration_id))
    {
      refuse (c, CB_MQTT_CONNACK_IDENTIFIER_REJECTED, registration_id,
              "The registration id is not valid: up to 128 letters, digits and - . _ :.");
      return TRUE;
    }

  if (p->password != NULL)
    sas = g_strndup (g_bytes_get_data (p->password, NULL), g_bytes_get_size (p->password));
  /* No password: X.509 attestation, the certificate of the handshake authenticates. */
  if (sas == NULL)
    peer = peer_certificate (c);

  if (!(dps = cb_sb_dps_find_instance (c->sandbox, id_scope, &error)) ||
      !cb_sb_dps_check_api_version (api_version, &error) ||
      !(enrollment = authenticate (c, dps, registration_id, sas, peer, &error)))
    {
      refuse (c, CB_MQTT_CONNACK_NOT_AUTHORIZED, registration_id, error->message);
      if (sas != NULL)
        memset (sas, 0, strlen (sas));
      return TRUE;
    }

  session = g_new0 (Session, 1);
  session->id_scope = g_strdup (dps->id_scope);
  session->registration_id = g_strdup (registration_id);
  session->sas = g_steal_pointer (&sas);
  session->peer = g_steal_pointer (&peer);
  g_assert (c->session_data == NULL);
  c->session_data = session;
  c->session_data_free = session_free;

  c->device_id = g_strdup (registration_id);
  c->state = CB_SB_MQTT_CONN_ONLINE;
  c->activity = cb_sb_now_usec (c->sandbox);
  c->activity_flushed = g_get_monotonic_time ();
  g_debug ("%s connected to DPS %s (api-version %s, %s)", registration_id, dps->name,
           api_version, session->peer != NULL ? "X.509" : "SAS");

  cb_sb_mqtt_conn_send (c, cb_mqtt_encode_connack (FALSE, CB_MQTT_CONNACK_ACCEPTED));
  return TRUE;
}

/* ---- SUBSCRIBE ------------------------------------------------------------------------- */

gboolean
cb_sb_mqtt_dps_handle_subscribe (CbSbMqttConn *c,
                                 CbMqttPacket *p)
{
  g_autoptr(CbMqttPacket) ack = NULL;

  if (session_of (c) == NULL)
    return FALSE;

  if (c->filters == NULL)
    c->filters = g_ptr_array_new_with_free_func (g_free);

  ack = cb_mqtt_packet_new (CB_MQTT_SUBACK);
  ack->packet_id = p->packet_id;
  ack->codes = g_byte_array_new ();
  for (guint i = 0; i < p->filters->len; i++)
    {
      const char *filter = g_ptr_array_index (p->filters, i);
      guint8 code = CB_MQTT_SUBACK_FAILURE;

      if (g_str_has_prefix (filter, CB_SB_MQTT_DPS_TOPIC_RESPONSE "/") && c->filters->len < 16)
        {
          g_ptr_array_add (c->filters, g_strdup (filter));
          code = MIN (p->codes->data[i], 1);
        }
      else
        g_message ("DPS session %s may not subscribe to “%s”", c->device_id, filter);
      g_byte_array_append (ack->codes, &code, 1);
    }

  cb_sb_mqtt_conn_send (c, cb_mqtt_packet_encode (ack, NULL));
  return TRUE;
}

/* ---- PUBLISH --------------------------------------------------------------------------- */

static void
respond (CbSbMqttConn *c,
         guint         status,
         const char   *rid,
         guint         retry_after,
         const char   *payload)
{
  g_autofree char *topic = NULL;

  if (status == 202 || status == 429 || (status >= 500 && retry_after > 0))
    topic = g_strdup_printf (CB_SB_MQTT_DPS_TOPIC_RESPONSE "/%u/?$rid=%s&retry-after=%u",
                             status, rid, retry_after);
  else
    topic = g_strdup_printf (CB_SB_MQTT_DPS_TOPIC_RESPONSE "/%u/?$rid=%s", status, rid);

  if (!cb_sb_mqtt_conn_publish (c, topic, payload))
    g_message ("DPS session %s did not subscribe to its answer %s", c->device_id, topic);
}

static void
respond_error (CbSbMqttConn *c,
               const char   *rid,
               const GError *error,
               guint         retry_after)
{
  int code = error->domain == CB_SB_DPS_ERROR ? error->code : 500214;
  g_autofree char *payload = cb_sb_mqtt_error_payload (c->sandbox, code, error->message, NULL);

  g_debug ("DPS session %s, request %s: %d %s", c->device_id, rid, code, error->message);
  respond (c, cb_sb_dps_error_status (error), rid, retry_after, payload);
}

/* A status fault (429, 503 ...) set on "/mqtt/dps/{idScope}/{registrationId}/{topic}" answers
 * at once. */
static gboolean
answer_status_fault (CbSbMqttConn    *c,
                     const CbSbFault *fault,
                     const char      *rid)
{
  g_autoptr(GError) error = NULL;
  guint retry_after = 0;
  guint status = cb_sb_fault_take_status (fault, &retry_after);

  if (status == 0)
    return FALSE;

  error = g_error_new (CB_SB_DPS_ERROR, status == 429 ? 429001 : (int) status * 1000 + 1,
                       status == 429 ? "Too many requests (injected fault)"
                                     : "The service could not answer (injected fault)");
  respond_error (c, rid, error, retry_after);
  return TRUE;
}

/* The session's DPS instance and enrollment, checked again: the enrollment may have been
 * deleted, its key rolled or its certificate replaced since CONNECT. */
static CbSbEnrollment *
reauthenticate (CbSbMqttConn     *c,
                Session          *s,
                CbSbDpsInstance **dps_out,
                GError          **error)
{
  g_autoptr(CbSbDpsInstance) dps = cb_sb_dps_find_instance (c->sandbox, s->id_scope, error);
  CbSbEnrollment *enrollment;

  if (dps == NULL)
    return NULL;
  enrollment = authenticate (c, dps, s->registration_id, s->sas, s->peer, error);
  if (enrollment != NULL)
    *dps_out = g_steal_pointer (&dps);
  return enrollment;
}

static void
handle_register (CbSbMqttConn    *c,
                 Session         *s,
                 const char      *rid,
                 GBytes          *payload,
                 const CbSbFault *fault)
{
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbEnrollment) enrollment = NULL;
  g_autoptr(CbSbDpsOperation) op = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *x509_info = NULL;
  g_autofree char *text = NULL;
  gsize len = payload != NULL ? g_bytes_get_size (payload) : 0;
  const char *data = payload != NULL ? g_bytes_get_data (payload, NULL) : "";

  if (!(enrollment = reauthenticate (c, s, &dps, &error)))
    {
      respond_error (c, rid, error, 0);
      return;
    }

  if (!(body = cb_sb_parse_json_body (data, len, &error)))
    {
      g_autoptr(GError) dps_error = NULL;

      if (error->domain == CB_JSON_LIMIT_ERROR)
        dps_error = g_error_new (CB_SB_DPS_ERROR, 413001, "The request body is too large: %s.",
                                 error->message);
      else
        dps_error = g_error_new (CB_SB_DPS_ERROR, 400006, "Malformed JSON: %s", error->message);
      respond_error (c, rid, dps_error, 0);
      return;
    }

  /* A session let in by its certificate keeps it for the registration state (s->sas NULL). */
  x509_info = s->sas == NULL ? cb_sb_dps_x509_registration_info (c->sandbox, dps, enrollment,
                                                                 s->peer)
                             : NULL;
  if (!(op = cb_sb_dps_register (c->sandbox, dps, enrollment, s->registration_id, body,
                                 x509_info, fault, &error)))
    {
      respond_error (c, rid, error, 0);
      return;
    }

  answer = cb_sb_dps_assigning_body (op->operation_id);
  text = json_to_string (answer, FALSE);
  respond (c, 202, rid, cb_sb_dps_retry_after (c->sandbox), text);
}

static void
handle_status (CbSbMqttConn    *c,
               Session         *s,
               const char      *rid,
               const char      *operation_id,
               const CbSbFault *fault)
{
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbEnrollment) enrollment = NULL;
  g_autofree char *answer = NULL;
  g_autoptr(GError) error = NULL;
  guint status = 0;

  if (!(enrollment = reauthenticate (c, s, &dps, &error)))
    {
      respond_error (c, rid, error, 0);
      return;
    }

  if (!(answer = cb_sb_dps_operation_status (c->sandbox, dps, s->registration_id, operation_id,
                                             fault, &status, &error)))
    {
      respond_error (c, rid, error, 0);
      return;
    }

  respond (c, status, rid, cb_sb_dps_retry_after (c->sandbox), answer);
}

/* A $rid the answer's topic can carry: 1 to MAX_RID_LENGTH characters, no wildcard, no '/'
 * and no '&'. */
static gboolean
rid_is_usable (const char *rid)
{
  gsize len = rid != NULL ? strlen (rid) : 0;

  if (len == 0 || len > MAX_RID_LENGTH || !g_utf8_validate (rid, -1, NULL))
    return FALSE;
  for (const char *r = rid; *r != '\0'; r++)
    if (*r == '#' || *r == '+' || *r == '/' || *r == '&' || (guchar) *r < 0x20)
      return FALSE;
  return TRUE;
}

gboolean
cb_sb_mqtt_dps_handle_publish (CbSbMqttConn *c,
                               CbMqttPacket *p)
{
  Session *s = session_of (c);
  g_autofree char *base = NULL;
  g_autofree char *rid = NULL;
  g_autofree char *operation_id = NULL;
  g_autofree char *fault_path = NULL;
  const CbSbFault *fault;
  const char *props;

  if (s == NULL)
    return FALSE;

  if (p->qos == 2)
    {
      cb_sb_mqtt_conn_close (c, "QoS 2 is not supported by DPS", FALSE);
      return TRUE;
    }
  if (p->qos == 1)
    cb_sb_mqtt_conn_send (c, cb_mqtt_encode_ack (CB_MQTT_PUBACK, p->packet_id));

  props = strchr (p->topic, '?');
  base = props ? g_strndup (p->topic, props - p->topic) : g_strdup (p->topic);
  rid = cb_sb_mqtt_topic_property (props ? props + 1 : NULL, "$rid");

  if (!g_str_has_prefix (base, "$dps/registrations/"))
    {
      g_autofree char *why = g_strdup_printf ("publishing to “%s” is not allowed on a DPS "
                                              "connection", base);
      cb_sb_mqtt_conn_close (c, why, TRUE);
      return TRUE;
    }

  if (!rid_is_usable (rid))
    {
      g_autofree char *why = g_strdup_printf ("the request “%s” carries no usable $rid (1 to %d "
                                              "characters, no wildcard, '/' or '&'): it cannot "
                                              "be answered", base, MAX_RID_LENGTH);
      cb_sb_mqtt_conn_close (c, why, TRUE);
      return TRUE;
    }

  fault_path = g_strdup_printf ("/mqtt/dps/%s/%s/%s", s->id_scope, s->registration_id, base);
  fault = cb_sb_find_fault (c->sandbox, "PUBLISH", fault_path);
  if (answer_status_fault (c, fault, rid))
    return TRUE;

  if (g_str_equal (base, CB_SB_MQTT_DPS_TOPIC_REGISTER))
    handle_register (c, s, rid, p->payload, fault);
  else if (g_str_equal (base, CB_SB_MQTT_DPS_TOPIC_STATUS))
    {
      operation_id = cb_sb_mqtt_topic_property (props + 1, "operationId");
      handle_status (c, s, rid, operation_id, fault);
    }
  else
    {
      g_autoptr(GError) error = g_error_new (CB_SB_DPS_ERROR, 404002,
                                             "The topic “%s” names no DPS operation: publish to "
                                             CB_SB_MQTT_DPS_TOPIC_REGISTER " or "
                                             CB_SB_MQTT_DPS_TOPIC_STATUS, base);
      respond_error (c, rid, error, 0);
    }
  return TRUE;
}
