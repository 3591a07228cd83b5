/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Surfaces: replies. A JSON or empty reply, response headers, and errors in each Azure
 * surface's own style (ARM, DPS, IoT Hub, OAuth, the sandbox's own), including the answer to
 * a body over the size or nesting limits. */

#include <string.h>

#include "cb-json-limits.h"
#include "cb-sb-reply.h"
#include "cb-util.h"

void
cb_sb_set_header (CbSbRequest *req,
                  const char  *name,
                  const char  *value)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), name, value);
}

void
cb_sb_reply_json_text (CbSbRequest *req,
                       guint        status,
                       char        *text)
{
  g_assert (!req->replied);

  req->replied = TRUE;
  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

void
cb_sb_reply_json (CbSbRequest *req,
                  guint        status,
                  JsonNode    *node)
{
  g_assert (!req->replied);

  if (node != NULL)
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();

      json_generator_set_root (gen, node);
      cb_sb_reply_json_text (req, status, json_generator_to_data (gen, NULL));
      json_node_unref (node);
    }
  else
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (req->msg);

      req->replied = TRUE;
      soup_server_message_set_status (req->msg, status, NULL);
      soup_server_message_set_response (req->msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
      /* An answer without a length is one that ends when the connection closes, and libsoup
       * closes it: a keep-alive client (Node's agent, so every Azure SDK for JavaScript) that
       * sends its next request on that connection gets "socket hang up". An empty 2xx says
       * Content-Length: 0 and keeps the connection. A 204 may carry neither a length nor a
       * chunked framing (RFC 9110 8.6, RFC 9112 6.1), and libsoup 3.2 closes the connection
       * after it whatever is set: it says so, so that clients open a new one instead of
       * reusing this. */
      if (status == SOUP_STATUS_NO_CONTENT)
        soup_message_headers_replace (headers, "Connection", "close");
      else
        soup_message_headers_set_content_length (headers, 0);
    }
}

void
cb_sb_reply_empty (CbSbRequest *req,
                   guint        status)
{
  cb_sb_reply_json (req, status, NULL);
}

static void
reply_error_valist (CbSbRequest *req,
                    guint        status,
                    const char  *code,
                    int          numeric_code,
                    const char  *target,
                    const char  *format,
                    va_list      args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *tracking = g_uuid_string_random ();
  g_autofree char *stamp = cb_time_format_precise (cb_sb_now_usec (req->sandbox));

  switch (req->style)
    {
    case CB_SB_STYLE_DPS:
      {
        g_autofree char *num = g_strdup_printf ("%d", numeric_code);

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "errorCode");
        json_builder_add_int_value (b, numeric_code);
        json_builder_set_member_name (b, "trackingId");
        json_builder_add_string_value (b, tracking);
        json_builder_set_member_name (b, "message");
        json_builder_add_string_value (b, message);
        json_builder_set_member_name (b, "timestampUtc");
        json_builder_add_string_value (b, stamp);
        json_builder_end_object (b);
        cb_sb_set_header (req, "x-ms-error-code", num);
        break;
      }

    case CB_SB_STYLE_HUB:
      {
        g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (cb_sb_now (req->sandbox));
        g_autofree char *when = g_date_time_format (now, "%m/%d/%Y %H:%M:%S");
        g_autofree char *msg_text = g_strdup_printf ("ErrorCode:%s;%s", code, message);
        g_autofree char *exc = g_strdup_printf ("Tracking ID:%s-G:0-TimeStamp:%s", tracking, when);

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "Message");
        json_builder_add_string_value (b, msg_text);
        json_builder_set_member_name (b, "ExceptionMessage");
        json_builder_add_string_value (b, exc);
        json_builder_end_object (b);
        cb_sb_set_header (req, "iothub-errorcode", code);
        break;
      }

    case CB_SB_STYLE_OAUTH:
      {
        g_autofree char *desc = g_strdup_printf ("AADSTS%d: %s", numeric_code, message);

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "error");
        json_builder_add_string_value (b, code);
        json_builder_set_member_name (b, "error_description");
        json_builder_add_string_value (b, desc);
        json_builder_set_member_name (b, "error_codes");
        json_builder_begin_array (b);
        json_builder_add_int_value (b, numeric_code);
        json_builder_end_array (b);
        json_builder_set_member_name (b, "timestamp");
        json_builder_add_string_value (b, stamp);
        json_builder_set_member_name (b, "trace_id");
        json_builder_add_string_value (b, tracking);
        json_builder_set_member_name (b, "correlation_id");
        json_builder_add_string_value (b, req->correlation_id);
        json_builder_end_object (b);
        break;
      }

    case CB_SB_STYLE_ARM:
    case CB_SB_STYLE_PLAIN:
    default:
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "error");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, code);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, message);
      if (target != NULL)
        {
          json_builder_set_member_name (b, "target");
          json_builder_add_string_value (b, target);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
      if (req->style == CB_SB_STYLE_ARM)
        cb_sb_set_header (req, "x-ms-failure-cause", status >= 500 ? "service" : "gateway");
      break;
    }

  g_debug ("%s %s -> %u %s: %s", req->method, req->path, status, code, message);
  cb_sb_reply_json (req, status, json_builder_get_root (b));
}

void
cb_sb_reply_error (CbSbRequest *req,
                   guint        status,
                   const char  *code,
                   int          numeric_code,
                   const char  *format,
                   ...)
{
  va_list args;

  va_start (args, format);
  reply_error_valist (req, status, code, numeric_code, NULL, format, args);
  va_end (args);
}

void
cb_sb_reply_arm_error (CbSbRequest *req,
                       guint        status,
                       const char  *code,
                       const char  *target,
                       const char  *format,
                       ...)
{
  va_list args;

  va_start (args, format);
  reply_error_valist (req, status, code, 0, target, format, args);
  va_end (args);
}

void
cb_sb_reply_limit_error (CbSbRequest  *req,
                         const GError *limit_error)
{
  gboolean too_large;

  g_assert (limit_error != NULL && limit_error->domain == CB_JSON_LIMIT_ERROR);

  too_large = limit_error->code == CB_JSON_LIMIT_ERROR_TOO_LARGE;
  if (too_large)
    {
      switch (req->style)
        {
        case CB_SB_STYLE_DPS:
        case CB_SB_STYLE_HUB:
          cb_sb_reply_error (req, 413, "RequestEntityTooLarge", 413001,
                             "The request body is too large: %s.", limit_error->message);
          break;
        case CB_SB_STYLE_OAUTH:
          cb_sb_reply_error (req, 413, "invalid_request", 90014,
                             "The request body is too large: %s.", limit_error->message);
          break;
        case CB_SB_STYLE_ARM:
        case CB_SB_STYLE_PLAIN:
        default:
          cb_sb_reply_arm_error (req, 413, "RequestEntityTooLarge", NULL,
                                 "The request body is too large: %s.", limit_error->message);
          break;
        }
      return;
    }

  switch (req->style)
    {
    case CB_SB_STYLE_DPS:
      cb_sb_reply_error (req, 400, "BadRequest", 400006,
                         "Malformed JSON: %s.", limit_error->message);
      break;
    case CB_SB_STYLE_HUB:
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400006,
                         "Malformed JSON: %s.", limit_error->message);
      break;
    case CB_SB_STYLE_OAUTH:
      cb_sb_reply_error (req, 400, "invalid_request", 90014,
                         "Malformed JSON: %s.", limit_error->message);
      break;
    case CB_SB_STYLE_ARM:
    case CB_SB_STYLE_PLAIN:
    default:
      cb_sb_reply_arm_error (req, 400, "InvalidRequestContent", NULL,
                             "The request content was invalid and could not be deserialized: %s.",
                             limit_error->message);
      break;
    }
}
