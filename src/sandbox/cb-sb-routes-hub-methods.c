/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* IoT Hub's direct methods, service side: POST /hubs/{hub}/twins/{id}/methods with
 * {methodName, payload, responseTimeoutInSeconds, connectTimeoutInSeconds} goes to the device's
 * MQTT connection (cb-sb-mqtt-methods.c) and the REST call answers {status, payload} when the
 * device does: 404 DeviceNotOnline (404103) when it is not connected and listening, 504
 * GatewayTimeout (504101) when it does not answer within responseTimeoutInSeconds.
 *
 * The answer comes after the handler returned: the handler pauses the message and tells the
 * router it has replied; the device's answer (or the timer) replies on a request made anew from
 * the paused message, then resumes it. */

#include "config.h"

#include <string.h>

#include "cb-sb-hub.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-json.h"
#include "cb-sb-mqtt-methods.h"
#include "cb-sb-routes-hub-auth.h"
#include "cb-sb-routes-hub-methods.h"

#define DEFAULT_RESPONSE_TIMEOUT 30
#define MIN_RESPONSE_TIMEOUT     5
#define MAX_RESPONSE_TIMEOUT     300
#define MAX_CONNECT_TIMEOUT      300

typedef struct
{
  CbSandbox         *sandbox;
  SoupServerMessage *msg;
  char              *device_id;
  char              *method;
} PendingCall;

static void
pending_call_free (PendingCall *call)
{
  g_object_unref (call->sandbox);
  g_object_unref (call->msg);
  g_free (call->device_id);
  g_free (call->method);
  g_free (call);
}

/* A method's error as IoT Hub writes it: "Message" holds a JSON document with the numeric
 * errorCode (404103, 504101), and iothub-errorcode names it. */
static void
reply_method_error (CbSbRequest *req,
                    guint        status,
                    const char  *code,
                    int          numeric_code,
                    const char  *message)
{
  g_autoptr(JsonBuilder) inner = json_builder_new ();
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) inner_root = NULL;
  g_autofree char *tracking = g_uuid_string_random ();
  g_autofree char *inner_text = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (cb_sb_now (req->sandbox));
  g_autofree char *when = g_date_time_format_iso8601 (now);

  json_builder_begin_object (inner);
  json_builder_set_member_name (inner, "errorCode");
  json_builder_add_int_value (inner, numeric_code);
  cb_sb_json_add_string (inner, "trackingId", tracking);
  cb_sb_json_add_string (inner, "message", message);
  cb_sb_json_add_string (inner, "timestampUtc", when);
  json_builder_end_object (inner);
  inner_root = json_builder_get_root (inner);
  inner_text = json_to_string (inner_root, FALSE);

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "Message", inner_text);
  cb_sb_json_add_string (b, "ExceptionMessage", "");
  json_builder_end_object (b);

  g_debug ("%s %s -> %u %s: %s", req->method, req->path, status, code, message);
  cb_sb_set_header (req, "iothub-errorcode", code);
  cb_sb_reply_json (req, status, json_builder_get_root (b));
}

static void
method_done_cb (CbSbMethodOutcome  outcome,
                int                status,
                GBytes            *payload,
                gpointer           user_data)
{
  PendingCall *call = user_data;
  GUri *uri = soup_server_message_get_uri (call->msg);
  CbSbRequest *req = cb_sb_request_new (call->sandbox, call->msg, g_uri_get_path (uri), NULL);

  req->style = CB_SB_STYLE_HUB;
  switch (outcome)
    {
    case CB_SB_METHOD_ANSWERED:
      {
        g_autoptr(JsonBuilder) b = json_builder_new ();
        g_autoptr(JsonNode) body = NULL;
        gsize len = 0;
        const char *data = payload != NULL ? g_bytes_get_data (payload, &len) : NULL;

        /* The device's payload is JSON; anything else reaches the caller as a string. */
        if (len > 0)
          body = cb_sb_parse_json_body (data, len, NULL);
        if (body == NULL && len > 0)
          {
            g_autofree char *text = g_utf8_make_valid (data, len);

            body = json_node_new (JSON_NODE_VALUE);
            json_node_set_string (body, text);
          }

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "status");
        json_builder_add_int_value (b, status);
        json_builder_set_member_name (b, "payload");
        if (body != NULL)
          json_builder_add_value (b, g_steal_pointer (&body));
        else
          json_builder_add_null_value (b);
        json_builder_end_object (b);
        cb_sb_reply_json (req, 200, json_builder_get_root (b));
      }
      break;
    case CB_SB_METHOD_TIMED_OUT:
      {
        g_autofree char *message = g_strdup_printf ("Timed out waiting for the response from "
                                                    "device %s to method '%s'.",
                                                    call->device_id, call->method);

        reply_method_error (req, 504, "GatewayTimeout", 504101, message);
      }
      break;
    case CB_SB_METHOD_GONE:
    default:
      cb_sb_reply_error (req, 503, "ServiceUnavailable", 503001,
                         "The hub's device endpoint stopped before device %s answered",
                         call->device_id);
      break;
    }

  cb_sb_request_free (req);
  soup_server_message_unpause (call->msg);
  pending_call_free (call);
}

/* A whole number member in min..max, or fallback when absent. FALSE after replying 400. */
static gboolean
read_seconds (CbSbRequest *req,
              JsonObject  *body,
              const char  *name,
              gint64       min,
              gint64       max,
              gint64       fallback,
              gint64      *out)
{
  JsonNode *node = json_object_get_member (body, name);

  *out = fallback;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < min || json_node_get_int (node) > max)
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "%s must be a whole number of seconds from %" G_GINT64_FORMAT " to %"
                         G_GINT64_FORMAT, name, min, max);
      return FALSE;
    }
  *out = json_node_get_int (node);
  return TRUE;
}

static void
handle_invoke (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *payload = NULL;
  const char *id = cb_sb_param (req, "id");
  JsonObject *obj;
  JsonNode *payload_node;
  const char *method;
  gint64 response_timeout;
  gint64 connect_timeout;
  gboolean enabled = FALSE;
  PendingCall *call;

  if (!cb_sb_hub_begin_request (req, &ctx, CB_SB_HUB_RIGHT_SERVICE, "ServiceConnect"))
    return;

  if (!(body = cb_sb_json_body (req, FALSE)))
    return;
  if (!JSON_NODE_HOLDS_OBJECT (body))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "The body must be {\"methodName\", \"payload\", "
                         "\"responseTimeoutInSeconds\", \"connectTimeoutInSeconds\"}");
      return;
    }
  obj = json_node_get_object (body);
  method = cb_sb_json_member_string (obj, "methodName");
  if (method == NULL || *method == '\0' || strpbrk (method, "/#+?") != NULL)
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "methodName must be a non-empty string without '/', '#', '+' or '?'");
      return;
    }
  if (!read_seconds (req, obj, "responseTimeoutInSeconds", MIN_RESPONSE_TIMEOUT,
                     MAX_RESPONSE_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT, &response_timeout) ||
      !read_seconds (req, obj, "connectTimeoutInSeconds", 0, MAX_CONNECT_TIMEOUT, 0,
                     &connect_timeout))
    return;

  if (!cb_sb_hub_lookup_device (req->sandbox, ctx.hub, id, &enabled))
    {
      cb_sb_hub_reply_device_not_found (req, &ctx, id);
      return;
    }

  payload_node = json_object_get_member (obj, "payload");
  payload = payload_node != NULL ? json_to_string (payload_node, FALSE) : g_strdup ("null");

  call = g_new0 (PendingCall, 1);
  call->sandbox = g_object_ref (req->sandbox);
  call->msg = g_object_ref (req->msg);
  call->device_id = g_strdup (id);
  call->method = g_strdup (method);

  /* connectTimeoutInSeconds is accepted; a device not online now is not waited for. */
  if (!cb_sb_mqtt_method_invoke (req->sandbox, ctx.hub, id, method, payload,
                                 (guint) response_timeout, method_done_cb, call, &error))
    {
      pending_call_free (call);
      reply_method_error (req, 404, "DeviceNotOnline", 404103, error->message);
      return;
    }

  /* Answered later, by method_done_cb: the router must neither answer nor resume it. */
  soup_server_message_pause (req->msg);
  req->replied = TRUE;
}

void
cb_sb_routes_hub_methods_add (CbSandbox *self)
{
  cb_sb_add_route (self, "POST", "/hubs/{hub}/twins/{id}/methods", CB_SB_STYLE_HUB,
                   handle_invoke);
}
