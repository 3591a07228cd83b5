/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-http"

/* What services write on the wire, read without any I/O: their error bodies as CbApiErrors (per
 * service style), Retry-After hints, JSON answers checked against the limits first; and the
 * URLs we send. Pure functions, unit-tested on literal strings. */

#include "config.h"

#include <string.h>

#include "cb-error.h"
#include "cb-http-parse.h"
#include "cb-json-limits.h"

static gboolean
parse_seconds (const char *text,
               guint      *out_seconds)
{
  guint64 value;
  char *end = NULL;

  if (text == NULL)
    return FALSE;

  while (g_ascii_isspace (*text))
    text++;
  if (!g_ascii_isdigit (*text))
    return FALSE;

  value = g_ascii_strtoull (text, &end, 10);
  while (end != NULL && g_ascii_isspace (*end))
    end++;
  if (end == NULL || *end != '\0')
    return FALSE;

  *out_seconds = (guint) MIN (value, G_MAXUINT);
  return TRUE;
}

static const char *
object_get_string_ci (JsonObject *object,
                      const char *member)
{
  g_autoptr(GList) members = NULL;

  if (object == NULL)
    return NULL;

  if (json_object_has_member (object, member))
    {
      JsonNode *node = json_object_get_member (object, member);

      return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node) : NULL;
    }

  /* Hub and DPS bodies are not consistent about casing ("Message" vs "message"). */
  members = json_object_get_members (object);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      if (g_ascii_strcasecmp (l->data, member) == 0)
        {
          JsonNode *node = json_object_get_member (object, l->data);

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            return json_node_get_string (node);
        }
    }

  return NULL;
}

/* A member that may be a string or a number ("errorCode": 401002 or "401002"). */
char *
cb_http_json_dup_code (JsonObject *object,
                       const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return g_strdup_printf ("%.0f", json_node_get_double (node));
    default:
      return NULL;
    }
}

/**
 * cb_http_parse_retry_after:
 * @headers: (nullable): response headers
 * @json: (nullable): the parsed body
 * @now: (nullable): the current time, for HTTP-date values (tests pass a fixed one)
 *
 * Reads "Retry-After" (delta-seconds or HTTP-date), then the Azure "retry-after-ms" /
 * "x-ms-retry-after-ms" headers, then a body member "retryAfter" (number or string).
 *
 * Returns: seconds to wait, 0 when there is no hint
 */
guint
cb_http_parse_retry_after (SoupMessageHeaders *headers,
                           JsonNode           *json,
                           GDateTime          *now)
{
  guint seconds = 0;

  if (headers != NULL)
    {
      const char *value = soup_message_headers_get_one (headers, "Retry-After");
      const char *ms_headers[] = { "retry-after-ms", "x-ms-retry-after-ms" };

      if (value != NULL)
        {
          g_autoptr(GDateTime) date = NULL;

          if (parse_seconds (value, &seconds))
            return seconds;

          if ((date = soup_date_time_new_from_http_string (value)))
            {
              g_autoptr(GDateTime) local_now = now ? g_date_time_ref (now)
                                                   : g_date_time_new_now_utc ();
              GTimeSpan diff = g_date_time_difference (date, local_now);

              return diff > 0 ? (guint) MIN ((diff + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC,
                                             G_MAXUINT)
                              : 0;
            }
        }

      for (guint i = 0; i < G_N_ELEMENTS (ms_headers); i++)
        {
          guint ms;

          if (parse_seconds (soup_message_headers_get_one (headers, ms_headers[i]), &ms))
            return ms / 1000 + (ms % 1000 ? 1 : 0);
        }
    }

  if (json != NULL && JSON_NODE_HOLDS_OBJECT (json))
    {
      g_autofree char *text = cb_http_json_dup_code (json_node_get_object (json), "retryAfter");

      if (text != NULL && parse_seconds (text, &seconds))
        return seconds;
    }

  return 0;
}

/**
 * cb_http_parse_json:
 * @body: (nullable): a service's answer
 *
 * The one reader of JSON answers: checks the size and nesting limits (cb-json-limits.h) before
 * json-glib sees a byte.
 *
 * Returns: (transfer full) (nullable): the root, or %NULL when @body is empty or on error
 */
JsonNode *
cb_http_parse_json (GBytes  *body,
                    GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  const char *data;
  gsize len = 0;

  if (body == NULL)
    return NULL;

  data = g_bytes_get_data (body, &len);
  if (len == 0)
    return NULL;

  /* Before json-glib, which recurses per level: a deep answer must not crash the station. */
  if (!cb_json_check_limits (data, len, CB_JSON_MAX_RESPONSE_SIZE, CB_JSON_MAX_DEPTH, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, error))
    return NULL;

  return json_parser_steal_root (parser);
}

static char *
body_excerpt (GBytes *body)
{
  const char *data;
  gsize len = 0;

  if (body == NULL)
    return NULL;

  data = g_bytes_get_data (body, &len);
  if (len == 0 || !g_utf8_validate (data, (gssize) len, NULL))
    return NULL;

  /* An HTML error page or a plain text line: keep a short, single-line excerpt. */
  if (len > 200)
    len = 200;
  return g_strdelimit (g_utf8_make_valid (data, (gssize) len), "\r\n\t", ' ');
}

static CbApiError
oauth_error_code (const char *remote_code,
                  CbApiError  fallback)
{
  if (remote_code == NULL)
    return fallback;
  if (g_str_equal (remote_code, "authorization_pending") || g_str_equal (remote_code, "slow_down"))
    return CB_API_ERROR_AUTHORIZATION_PENDING;
  if (g_str_equal (remote_code, "authorization_declined") ||
      g_str_equal (remote_code, "access_denied") ||
      g_str_equal (remote_code, "bad_verification_code"))
    return CB_API_ERROR_AUTHORIZATION_DECLINED;
  if (g_str_equal (remote_code, "expired_token"))
    return CB_API_ERROR_EXPIRED;
  /* A refresh token that was revoked or ran out: the user has to sign in again. */
  if (g_str_equal (remote_code, "invalid_grant"))
    return CB_API_ERROR_UNAUTHORIZED;
  return fallback;
}

/**
 * cb_http_parse_error:
 * @style: how the service writes errors
 * @status: the HTTP status (non-2xx)
 * @headers: (nullable): the response headers
 * @body: (nullable): the response body
 *
 * Returns: (transfer full): a CB_API_ERROR carrying the status, the service's own error code,
 *   the target and the Retry-After hint
 */
GError *
cb_http_parse_error (CbHttpErrorStyle    style,
                     guint               status,
                     SoupMessageHeaders *headers,
                     GBytes             *body)
{
  g_autoptr(JsonNode) json = cb_http_parse_json (body, NULL);
  JsonObject *object = NULL;
  CbApiError code = cb_api_error_from_http_status (status);
  g_autofree char *remote_code = NULL;
  g_autofree char *message = NULL;
  g_autofree char *target = NULL;
  g_autofree char *excerpt = NULL;
  const char *header_code = NULL;
  const char *text = NULL;
  guint retry_after;

  if (json != NULL && JSON_NODE_HOLDS_OBJECT (json))
    object = json_node_get_object (json);

  switch (style)
    {
    case CB_HTTP_STYLE_ARM:
      if (object != NULL && json_object_has_member (object, "error") &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "error")))
        {
          JsonObject *error_object = json_object_get_object_member (object, "error");

          remote_code = cb_http_json_dup_code (error_object, "code");
          message = g_strdup (object_get_string_ci (error_object, "message"));
          target = g_strdup (object_get_string_ci (error_object, "target"));
        }
      break;

    case CB_HTTP_STYLE_DPS:
      remote_code = cb_http_json_dup_code (object, "errorCode");
      message = g_strdup (object_get_string_ci (object, "message"));
      if (headers != NULL)
        header_code = soup_message_headers_get_one (headers, "x-ms-error-code");
      if (remote_code == NULL && header_code != NULL)
        remote_code = g_strdup (header_code);
      if ((text = object_get_string_ci (object, "trackingId")) && message != NULL)
        {
          char *with_tracking = g_strdup_printf ("%s (tracking ID %s)", message, text);

          g_free (message);
          message = with_tracking;
        }
      break;

    case CB_HTTP_STYLE_HUB:
      /* {"Message":"ErrorCode:DeviceNotFound;Device bench-1 not found", ...} */
      if ((text = object_get_string_ci (object, "Message")))
        {
          if (g_str_has_prefix (text, "ErrorCode:"))
            {
              const char *semicolon = strchr (text, ';');
              const char *start = text + strlen ("ErrorCode:");

              if (semicolon != NULL)
                {
                  remote_code = g_strndup (start, semicolon - start);
                  message = g_strdup (semicolon + 1);
                }
              else
                remote_code = g_strdup (start);
            }
          else
            message = g_strdup (text);
        }
      if (headers != NULL)
        header_code = soup_message_headers_get_one (headers, "iothub-errorcode");
      if (header_code != NULL && *header_code != '\0')
        {
          g_free (remote_code);
          remote_code = g_strdup (header_code);
        }
      break;

    case CB_HTTP_STYLE_OAUTH:
      remote_code = cb_http_json_dup_code (object, "error");
      message = g_strdup (object_get_string_ci (object, "error_description"));
      code = oauth_error_code (remote_code, code);
      break;

    default:
      g_assert_not_reached ();
    }

  if (remote_code != NULL)
    g_strstrip (remote_code);
  if (remote_code != NULL && *remote_code == '\0')
    g_clear_pointer (&remote_code, g_free);
  if (message != NULL)
    g_strstrip (message);
  if (message != NULL && *message == '\0')
    g_clear_pointer (&message, g_free);

  /* Nothing structured: fall back to the status line and a bit of the body. */
  if (message == NULL && remote_code == NULL && object == NULL)
    excerpt = body_excerpt (body);

  retry_after = cb_http_parse_retry_after (headers, json, NULL);

  if (remote_code != NULL && message != NULL)
    return cb_api_error_new_full (code, status, remote_code, target, retry_after,
                                  "%s: %s", remote_code, message);
  else if (remote_code != NULL)
    return cb_api_error_new_full (code, status, remote_code, target, retry_after,
                                  "%s (HTTP %u %s)", remote_code, status,
                                  soup_status_get_phrase (status));
  else if (message != NULL)
    return cb_api_error_new_full (code, status, NULL, target, retry_after, "%s", message);
  else if (excerpt != NULL)
    return cb_api_error_new_full (code, status, NULL, NULL, retry_after,
                                  "HTTP %u %s: %s", status, soup_status_get_phrase (status),
                                  excerpt);
  else
    return cb_api_error_new_full (code, status, NULL, NULL, retry_after,
                                  "HTTP %u %s", status, soup_status_get_phrase (status));
}

/**
 * cb_http_build_url:
 * @base: an absolute URL without a trailing query
 * @...: path segments, NULL-terminated; each is percent-encoded as one segment
 *
 * Returns: (transfer full): the joined URL (append "?api-version=..." yourself)
 */
char *
cb_http_build_url (const char *base,
                   ...)
{
  GString *url;
  const char *segment;
  va_list args;

  g_return_val_if_fail (base != NULL, NULL);

  url = g_string_new (base);
  while (url->len > 0 && url->str[url->len - 1] == '/')
    g_string_truncate (url, url->len - 1);

  va_start (args, base);
  while ((segment = va_arg (args, const char *)))
    {
      g_string_append_c (url, '/');
      g_string_append_uri_escaped (url, segment, NULL, FALSE);
    }
  va_end (args);

  return g_string_free (url, FALSE);
}
