/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* Certificate renewal over the hub device endpoint: see cb-sb-mqtt-renewal.h. Operations are
 * found by "hub/device" in CbSbMqtt.ops. */

#include "config.h"

#include <string.h>

#include "cb-csr.h"
#include "cb-json-limits.h"
#include "cb-sb-adr.h"
#include "cb-sb-faults.h"
#include "cb-sb-mqtt-renewal.h"
#include "cb-sb-mqtt-response.h"
#include "cb-sb-request.h"
#include "cb-sb-store.h"
#include "cb-util.h"
#include "cb-x509.h"

#define OPERATION_LIFETIME   3600
#define MAX_CSR_BASE64       8192

typedef struct
{
  char     *hub;
  char     *device_id;
  char     *rid;                        /* the request's $rid, what "replace" names */
  char     *correlation_id;
  gint64    expires;                    /* unix seconds, sandbox clock: what the device is told */
  gint64    deadline;                   /* monotonic usec: when it is really dropped */
  GBytes   *csr_der;
  GSource  *timer;
  gboolean  done;
  guint     status;                     /* once done */
  char     *payload;
} RenewOp;

void
cb_sb_mqtt_renew_op_free (gpointer data)
{
  RenewOp *op = data;

  if (op->timer != NULL)
    {
      g_source_destroy (op->timer);
      g_source_unref (op->timer);
    }
  g_free (op->hub);
  g_free (op->device_id);
  g_free (op->rid);
  g_free (op->correlation_id);
  g_clear_pointer (&op->csr_der, g_bytes_unref);
  g_free (op->payload);
  g_free (op);
}

static gboolean
is_request_id (const char *id)
{
  gsize len = id ? strlen (id) : 0;

  if (len < 4 || len > 36 || id[0] == '-' || id[len - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
is_base64 (const char *text)
{
  gsize len = strlen (text);
  gsize pad = 0;

  if (len == 0 || len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char ch = text[i];

      if (ch == '=')
        {
          if (i < len - 2)
            return FALSE;
          pad++;
        }
      else if (pad > 0 || !(g_ascii_isalnum (ch) || ch == '+' || ch == '/'))
        return FALSE;
    }
  return TRUE;
}

static char *
device_policy (CbSandbox  *self,
               const char *hub,
               const char *device_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT d.policy_id FROM adr_devices d "
                                      "JOIN hubs h ON d.namespace_id = h.namespace_id "
                                      "WHERE h.name = ? AND d.name = ? LIMIT 1");
  char *policy = NULL;

  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    policy = cb_sb_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  return policy;
}

static JsonObject *
op_info (RenewOp *op)
{
  JsonObject *info = json_object_new ();
  g_autofree char *expires = cb_time_format_precise (op->expires * G_USEC_PER_SEC);

  json_object_set_string_member (info, "correlationId", op->correlation_id);
  json_object_set_string_member (info, "requestId", op->rid);
  json_object_set_string_member (info, "operationExpires", expires);
  return info;
}

static void
renewal_error (CbSbMqttConn *c,
               const char   *rid,
               guint         status,
               int           code,
               const char   *message,
               JsonObject   *info)
{
  g_autofree char *text = cb_sb_mqtt_error_payload (c->sandbox, code, message, info);

  g_debug ("Renewal request %s of %s: %u %d %s", rid, c->device_id, status, code, message);
  cb_sb_mqtt_respond (c, "$iothub/credentials/res", status, rid, -1, text);
}

/* Fault rules see a renewal as PUBLISH /mqtt/{hub}/{device}/$iothub/credentials/POST/... */
static const CbSbFault *
renewal_fault (CbSandbox  *self,
               const char *hub,
               const char *device_id)
{
  g_autofree char *path = g_strdup_printf ("/mqtt/%s/%s/" CB_SB_MQTT_TOPIC_ISSUE_CERT,
                                           hub, device_id);

  return cb_sb_find_fault (self, "PUBLISH", path);
}

static gboolean
wants_bare_array (CbSandbox  *self,
                  const char *hub,
                  const char *device_id)
{
  CbSbRequest fake = { 0 };

  fake.sandbox = self;
  fake.fault = renewal_fault (self, hub, device_id);
  return cb_sb_fault_wants (&fake, "hubRenewal", "bare-array");
}

/* A status fault answers the request at once: 429 429002 with retryAfter, 503 503001, or
 * the status with errorCode status × 1000 + 1. */
static gboolean
answer_status_fault (CbSbMqttConn *c,
                     const char   *rid)
{
  guint retry_after = 0;
  guint status = cb_sb_fault_take_status (renewal_fault (c->sandbox, c->hub, c->device_id),
                                          &retry_after);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *base = NULL;
  g_autofree char *text = NULL;
  JsonObject *obj;

  if (status == 0)
    return FALSE;

  base = cb_sb_mqtt_error_payload (c->sandbox,
                                   status == 429 ? 429002
                                   : status == 503 ? 503001 : (int) status * 1000 + 1,
                                   status == 429 ? "Too many requests (injected fault)"
                                                 : "The service is unavailable (injected fault)",
                                   NULL);
  node = json_from_string (base, NULL);
  obj = json_node_get_object (node);
  if (retry_after > 0)
    json_object_set_int_member (obj, "retryAfter", retry_after);
  text = json_to_string (node, FALSE);
  cb_sb_mqtt_respond (c, "$iothub/credentials/res", status, rid, -1, text);
  return TRUE;
}

static void
complete_op (CbSbMqtt *m,
             RenewOp  *op)
{
  CbSandbox *self = m->sandbox;
  g_autofree char *policy = device_policy (self, op->hub, op->device_id);
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;

  op->done = TRUE;

  if (policy == NULL)
    {
      JsonObject *info = op_info (op);

      json_object_set_string_member (info, "credentialError", "NoCredentialPolicy");
      json_object_set_string_member (info, "credentialMessage",
                                     "The device has no credential policy in ADR.");
      op->status = 400;
      op->payload = cb_sb_mqtt_error_payload (self, 400040,
                                              "A Certificate signing request operation failed",
                                              info);
      return;
    }

  chain = cb_sb_ca_issue_leaf (self, policy, op->device_id, op->csr_der, &error);
  if (chain == NULL)
    {
      JsonObject *info = op_info (op);
      gboolean csr_problem = error->domain == CB_X509_ERROR;
      g_autofree char *message = g_strdup_printf ("%s: %s", csr_problem
                                                  ? "CSR did not pass verification"
                                                  : "The certificate could not be issued",
                                                  error->message);

      json_object_set_string_member (info, "credentialError", csr_problem ? "400000"
                                                                          : "IssuanceFailed");
      json_object_set_string_member (info, "credentialMessage", message);
      op->status = 400;
      op->payload = cb_sb_mqtt_error_payload (self, csr_problem ? 400037 : 400040,
                                              csr_problem ? "The CSR did not pass verification"
                                               : "A Certificate signing request operation failed",
                                              info);
      return;
    }

  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    gboolean bare = wants_bare_array (self, op->hub, op->device_id);

    if (!bare)
      {
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "correlationId");
        json_builder_add_string_value (b, op->correlation_id);
        json_builder_set_member_name (b, "certificates");
      }
    json_builder_begin_array (b);
    for (guint i = 0; i < chain->len; i++)
      {
        GBytes *der = g_ptr_array_index (chain, i);
        g_autofree char *text = g_base64_encode (g_bytes_get_data (der, NULL),
                                                 g_bytes_get_size (der));
        json_builder_add_string_value (b, text);
      }
    json_builder_end_array (b);
    if (!bare)
      json_builder_end_object (b);

    root = json_builder_get_root (b);
    op->status = 200;
    op->payload = json_to_string (root, FALSE);
  }
}

typedef struct
{
  CbSbMqtt *mqtt;
  char     *key;
} OpTimer;

static void
op_timer_free (OpTimer *t)
{
  g_free (t->key);
  g_free (t);
}

static gboolean
op_timer_cb (gpointer data)
{
  OpTimer *t = data;
  CbSbMqtt *m = t->mqtt;
  RenewOp *op;

  cb_sb_lock (m->sandbox);
  op = g_hash_table_lookup (m->ops, t->key);
  if (op != NULL)
    {
      g_clear_pointer (&op->timer, g_source_unref);
      complete_op (m, op);
      cb_sb_mqtt_renewal_deliver (m, t->key);
    }
  cb_sb_unlock (m->sandbox);

  return G_SOURCE_REMOVE;
}

/* Sends a finished operation's result if the device is connected and subscribed; the
 * operation ends there. Otherwise it waits (until it expires) for the device to come back. */
void
cb_sb_mqtt_renewal_deliver (CbSbMqtt   *m,
                            const char *key)
{
  RenewOp *op = g_hash_table_lookup (m->ops, key);
  CbSbMqttConn *c = g_hash_table_lookup (m->devices, key);

  if (op == NULL || !op->done || c == NULL || c->state != CB_SB_MQTT_CONN_ONLINE)
    return;

  if (cb_sb_mqtt_respond (c, "$iothub/credentials/res", op->status, op->rid, -1, op->payload))
    {
      g_debug ("Renewal %s of %s: %u", op->rid, op->device_id, op->status);
      g_hash_table_remove (m->ops, key);
    }
}

void
cb_sb_mqtt_handle_issue_certificate (CbSbMqttConn *c,
                                     const char   *rid,
                                     GBytes       *payload)
{
  CbSbMqtt *m = c->mqtt;
  CbSandbox *self = c->sandbox;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) csr_der = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) limit_error = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) accepted = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expires_text = NULL;
  JsonObject *body;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  const char *id = NULL;
  const char *csr_text = NULL;
  const char *replace = NULL;
  gsize len = 0;
  const char *data = payload ? g_bytes_get_data (payload, &len) : NULL;
  RenewOp *op;
  OpTimer *timer;
  guchar *decoded;
  gsize decoded_len = 0;

  /* "$rid is required; without it there is no response" (nor an operation). */
  if (rid == NULL || answer_status_fault (c, rid))
    return;

  /* The limits before json-glib, which recurses per level (cb-json-limits.h). */
  if (!cb_json_check_limits (data, len, CB_JSON_MAX_REQUEST_SIZE, CB_JSON_MAX_DEPTH, &limit_error))
    {
      gboolean too_large = g_error_matches (limit_error, CB_JSON_LIMIT_ERROR,
                                            CB_JSON_LIMIT_ERROR_TOO_LARGE);

      renewal_error (c, rid, too_large ? 413 : 400, too_large ? 413001 : 400006,
                     limit_error->message, NULL);
      return;
    }
  if (len > 0)
    {
      g_autofree char *copy = g_strndup (data, len);
      node = json_from_string (copy, NULL);
    }
  if (node == NULL)
    {
      renewal_error (c, rid, 400, 400006, "cannot decode json format", NULL);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      renewal_error (c, rid, 400, 400004, "The request body must be a JSON object.", NULL);
      return;
    }

  body = json_node_get_object (node);
  json_object_iter_init (&iter, body);
  while (json_object_iter_next (&iter, &name, &value))
    {
      gboolean is_string = JSON_NODE_HOLDS_VALUE (value) &&
                           json_node_get_value_type (value) == G_TYPE_STRING;
      g_autofree char *message = NULL;

      if (!g_str_equal (name, "id") && !g_str_equal (name, "csr") &&
          !g_str_equal (name, "replace"))
        message = g_strdup_printf ("Unknown field “%s”: the body has id, csr and replace.", name);
      else if (!is_string)
        message = g_strdup_printf ("“%s” must be a string.", name);

      if (message != NULL)
        {
          renewal_error (c, rid, 400, 400004, message, NULL);
          return;
        }

      if (g_str_equal (name, "id"))
        id = json_node_get_string (value);
      else if (g_str_equal (name, "csr"))
        csr_text = json_node_get_string (value);
      else
        replace = json_node_get_string (value);
    }

  if (id == NULL || *id == '\0' || !g_str_equal (id, c->device_id))
    {
      g_autofree char *message = id == NULL || *id == '\0'
        ? g_strdup ("“id” is required: the device id.")
        : g_strdup_printf ("“id” is “%s” but the connected device is “%s”.", id, c->device_id);
      renewal_error (c, rid, 400, 400004, message, NULL);
      return;
    }
  if (csr_text == NULL || *csr_text == '\0')
    {
      renewal_error (c, rid, 400, 400004, "“csr” is required: a base64 PKCS#10 DER CSR.", NULL);
      return;
    }
  if (strlen (csr_text) > MAX_CSR_BASE64)
    {
      renewal_error (c, rid, 400, 400004, "“csr” is larger than 8 KB.", NULL);
      return;
    }
  if (!is_base64 (csr_text))
    {
      renewal_error (c, rid, 400, 400004,
                     "“csr” must be base64 DER without a PEM header, footer or line breaks.",
                     NULL);
      return;
    }
  if (replace != NULL && !g_str_equal (replace, "*") && !is_request_id (replace))
    {
      renewal_error (c, rid, 400, 400004,
                     "“replace” must be \"*\" or a request id (4..36 letters, digits and "
                     "dashes, not starting or ending with a dash).", NULL);
      return;
    }

  op = g_hash_table_lookup (m->ops, c->key);
  if (op != NULL && op->deadline <= g_get_monotonic_time ())
    {
      g_hash_table_remove (m->ops, c->key);
      op = NULL;
    }

  if (op != NULL)
    {
      if (replace == NULL)
        {
          renewal_error (c, rid, 409, 409005,
                         "A credential operation is already active for this device.",
                         op_info (op));
          return;
        }
      if (!g_str_equal (replace, "*") && !g_str_equal (replace, op->rid))
        {
          JsonObject *info = json_object_new ();

          json_object_set_string_member (info, "requestId", replace);
          renewal_error (c, rid, 412, 412001,
                         "“replace” names no active request of this device.", info);
          return;
        }
      g_hash_table_remove (m->ops, c->key);
    }
  else if (replace != NULL && !g_str_equal (replace, "*"))
    {
      JsonObject *info = json_object_new ();

      json_object_set_string_member (info, "requestId", replace);
      renewal_error (c, rid, 412, 412001, "“replace” names no active request of this device.",
                     info);
      return;
    }

  decoded = g_base64_decode (csr_text, &decoded_len);
  csr_der = g_bytes_new_take (decoded, decoded_len);
  csr = cb_csr_new_from_der (csr_der, &error);
  if (csr == NULL)
    {
      JsonObject *info = json_object_new ();
      g_autofree char *message = g_strdup_printf ("Failed to decode CSR: %s", error->message);

      json_object_set_string_member (info, "credentialError", "FailedToDecodeCsr");
      json_object_set_string_member (info, "credentialMessage", message);
      json_object_set_string_member (info, "requestId", rid);
      renewal_error (c, rid, 400, 400040, "A Certificate signing request operation failed",
                     info);
      return;
    }

  op = g_new0 (RenewOp, 1);
  op->hub = g_strdup (c->hub);
  op->device_id = g_strdup (c->device_id);
  op->rid = g_strdup (rid);
  op->correlation_id = g_uuid_string_random ();
  op->expires = cb_sb_now (self) + OPERATION_LIFETIME;
  /* The hour runs in real time: on an accelerated sandbox clock (a fleet's day per second)
   * it would be over before the result is due. */
  op->deadline = g_get_monotonic_time () + (gint64) OPERATION_LIFETIME * G_USEC_PER_SEC;
  op->csr_der = g_steal_pointer (&csr_der);
  g_hash_table_insert (m->ops, g_strdup (c->key), op);

  b = json_builder_new ();
  expires_text = cb_time_format_precise (op->expires * G_USEC_PER_SEC);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "correlationId");
  json_builder_add_string_value (b, op->correlation_id);
  json_builder_set_member_name (b, "operationExpires");
  json_builder_add_string_value (b, expires_text);
  json_builder_end_object (b);
  accepted = json_builder_get_root (b);
  text = json_to_string (accepted, FALSE);
  cb_sb_mqtt_respond (c, "$iothub/credentials/res", 202, rid, -1, text);

  timer = g_new0 (OpTimer, 1);
  timer->mqtt = m;
  timer->key = g_strdup (c->key);
  op->timer = g_timeout_source_new (m->renewal_delay_ms);
  g_source_set_callback (op->timer, op_timer_cb, timer, (GDestroyNotify) op_timer_free);
  g_source_attach (op->timer, m->context);
}

void
cb_sb_mqtt_renewal_expire (CbSbMqtt *m,
                           gint64    now)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, m->ops);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((RenewOp *) value)->deadline <= now)
      g_hash_table_iter_remove (&iter);
}
