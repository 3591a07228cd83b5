/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-http"

#include "config.h"

#include <string.h>

#include "cb-error.h"
#include "cb-http.h"
#include "cb-json-limits.h"

#define DEFAULT_MAX_ATTEMPTS   4
#define DEFAULT_MAX_DELAY      30
#define REQUEST_TIMEOUT        60
/* First backoff step; doubles each attempt, then jitter takes it down to 50..100 %. */
#define BACKOFF_BASE_MS        1000

struct _CbHttpClient
{
  GObject      parent_instance;

  /* Owned */
  SoupSession *session;

  guint        max_attempts;
  guint        max_delay;
  gint64       server_skew;        /* seconds the service's Date is ahead of our clock */
};

enum
{
  PROP_0,
  PROP_MAX_ATTEMPTS,
  PROP_MAX_DELAY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (CbHttpClient, cb_http_client, G_TYPE_OBJECT)

/* Certificates are judged on the service's clock, not on a possibly wrong desktop clock (or
 * on the sandbox's accelerated one): every response's Date tells how far apart they are. */
static void
record_server_time (CbHttpClient       *self,
                    SoupMessageHeaders *headers)
{
  const char *value = soup_message_headers_get_one (headers, "Date");
  g_autoptr(GDateTime) date = value != NULL ? soup_date_time_new_from_http_string (value) : NULL;

  if (date != NULL)
    self->server_skew = g_date_time_to_unix (date) - g_get_real_time () / G_USEC_PER_SEC;
}

gint64
cb_http_client_get_server_now (CbHttpClient *self)
{
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (self), 0);

  return g_get_real_time () / G_USEC_PER_SEC + self->server_skew;
}

/* -------------------------------------------------------------------------------------------- */
/* Responses                                                                                    */

typedef struct
{
  CbHttpResponse public;
  gatomicrefcount ref_count;
} CbHttpResponseReal;

G_DEFINE_BOXED_TYPE (CbHttpResponse, cb_http_response, cb_http_response_ref, cb_http_response_unref)

static CbHttpResponse *
cb_http_response_new (guint               status,
                      SoupMessageHeaders *headers,
                      GBytes             *body,
                      JsonNode           *json)
{
  CbHttpResponseReal *real = g_new0 (CbHttpResponseReal, 1);

  g_atomic_ref_count_init (&real->ref_count);
  real->public.status = status;
  real->public.headers = headers ? soup_message_headers_ref (headers)
                                 : soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  real->public.body = body ? g_bytes_ref (body) : g_bytes_new (NULL, 0);
  real->public.json = json ? json_node_ref (json) : NULL;

  return &real->public;
}

CbHttpResponse *
cb_http_response_ref (CbHttpResponse *response)
{
  CbHttpResponseReal *real = (CbHttpResponseReal *)response;

  g_return_val_if_fail (response != NULL, NULL);

  g_atomic_ref_count_inc (&real->ref_count);
  return response;
}

void
cb_http_response_unref (CbHttpResponse *response)
{
  CbHttpResponseReal *real = (CbHttpResponseReal *)response;

  g_return_if_fail (response != NULL);

  if (g_atomic_ref_count_dec (&real->ref_count))
    {
      g_clear_pointer (&response->headers, soup_message_headers_unref);
      g_clear_pointer (&response->body, g_bytes_unref);
      g_clear_pointer (&response->json, json_node_unref);
      g_free (real);
    }
}

const char *
cb_http_response_get_header (CbHttpResponse *response,
                             const char     *name)
{
  g_return_val_if_fail (response != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return soup_message_headers_get_one (response->headers, name);
}

/**
 * cb_http_response_get_object:
 *
 * Returns: (transfer none) (nullable): the body when it is a JSON object
 */
JsonObject *
cb_http_response_get_object (CbHttpResponse *response)
{
  g_return_val_if_fail (response != NULL, NULL);

  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return NULL;

  return json_node_get_object (response->json);
}

guint
cb_http_response_get_retry_after (CbHttpResponse *response)
{
  g_return_val_if_fail (response != NULL, 0);

  return cb_http_parse_retry_after (response->headers, response->json, NULL);
}

/* -------------------------------------------------------------------------------------------- */
/* Pure parsing                                                                                 */

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

/* -------------------------------------------------------------------------------------------- */
/* Client                                                                                       */

static void
cb_http_client_finalize (GObject *object)
{
  CbHttpClient *self = (CbHttpClient *)object;

  g_clear_object (&self->session);

  G_OBJECT_CLASS (cb_http_client_parent_class)->finalize (object);
}

static void
cb_http_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CbHttpClient *self = CB_HTTP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    case PROP_MAX_DELAY:
      g_value_set_uint (value, self->max_delay);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_http_client_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  CbHttpClient *self = CB_HTTP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_MAX_ATTEMPTS:
      cb_http_client_set_max_attempts (self, g_value_get_uint (value));
      break;
    case PROP_MAX_DELAY:
      cb_http_client_set_max_delay (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_http_client_class_init (CbHttpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_http_client_finalize;
  object_class->get_property = cb_http_client_get_property;
  object_class->set_property = cb_http_client_set_property;

  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL,
                       1, 100, DEFAULT_MAX_ATTEMPTS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_DELAY] =
    g_param_spec_uint ("max-delay", NULL, NULL,
                       0, 3600, DEFAULT_MAX_DELAY,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_http_client_init (CbHttpClient *self)
{
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->max_delay = DEFAULT_MAX_DELAY;
  self->session = soup_session_new_with_options ("user-agent", "certbench/" PACKAGE_VERSION,
                                                 "timeout", REQUEST_TIMEOUT,
                                                 NULL);
}

/**
 * cb_http_client_new_for_ca_file:
 * @pinned_ca_file: (nullable): a PEM file of trust anchors replacing the system store
 *
 * A relative path is made absolute first: GTlsFileDatabase rejects every certificate when
 * given a relative path. Verification is never disabled.
 *
 * Returns: (transfer full): a new client, or %NULL if the CA file cannot be loaded
 */
CbHttpClient *
cb_http_client_new_for_ca_file (const char  *pinned_ca_file,
                                GError     **error)
{
  g_autoptr(CbHttpClient) self = g_object_new (CB_TYPE_HTTP_CLIENT, NULL);

  if (pinned_ca_file != NULL && *pinned_ca_file != '\0')
    {
      g_autofree char *absolute = g_canonicalize_filename (pinned_ca_file, NULL);
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (absolute, error);

      if (database == NULL)
        {
          g_prefix_error (error, "Could not load the pinned CA file %s: ", absolute);
          return NULL;
        }

      soup_session_set_tls_database (self->session, database);
    }

  return g_steal_pointer (&self);
}

/**
 * cb_http_client_new:
 *
 * Returns: (transfer full): a client trusting @profile's pinned CA, or the system store
 */
CbHttpClient *
cb_http_client_new (CbProfile  *profile,
                    GError    **error)
{
  CbHttpClient *self;

  g_return_val_if_fail (CB_IS_PROFILE (profile), NULL);

  self = cb_http_client_new_for_ca_file (cb_profile_get_pinned_ca_file (profile), error);

  /* The sandbox is on loopback: asking the system's proxy resolver about it only costs time
   * (libproxy's first lookup takes about a second) and a proxy could never reach it anyway. */
  if (self != NULL && cb_profile_get_kind (profile) == CB_PROFILE_KIND_SANDBOX)
    soup_session_set_proxy_resolver (self->session, NULL);

  return self;
}

/**
 * cb_http_client_get_session:
 *
 * Returns: (transfer none): the session (for tests and for sharing its TLS database)
 */
SoupSession *
cb_http_client_get_session (CbHttpClient *self)
{
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (self), NULL);

  return self->session;
}

guint
cb_http_client_get_max_attempts (CbHttpClient *self)
{
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (self), 0);

  return self->max_attempts;
}

void
cb_http_client_set_max_attempts (CbHttpClient *self,
                                 guint         max_attempts)
{
  g_return_if_fail (CB_IS_HTTP_CLIENT (self));

  max_attempts = MAX (max_attempts, 1);
  if (self->max_attempts == max_attempts)
    return;

  self->max_attempts = max_attempts;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_ATTEMPTS]);
}

guint
cb_http_client_get_max_delay (CbHttpClient *self)
{
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (self), 0);

  return self->max_delay;
}

void
cb_http_client_set_max_delay (CbHttpClient *self,
                              guint         max_delay_seconds)
{
  g_return_if_fail (CB_IS_HTTP_CLIENT (self));

  if (self->max_delay == max_delay_seconds)
    return;

  self->max_delay = max_delay_seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_DELAY]);
}

/* -------------------------------------------------------------------------------------------- */
/* Requests                                                                                     */

typedef struct
{
  char             *method;
  char             *url;
  char             *authorization;
  GStrv             extra_headers;
  GBytes           *body;
  const char       *content_type;
  /* Form values that must not leak into error texts (refresh tokens, device codes). */
  GPtrArray        *secrets;
  CbHttpErrorStyle  style;
  guint             attempt;
} Request;

static void
request_free (Request *request)
{
  g_free (request->method);
  g_free (request->url);
  if (request->authorization != NULL)
    {
      /* Do not leave credentials lying around in freed memory. */
      memset (request->authorization, 0, strlen (request->authorization));
      g_free (request->authorization);
    }
  g_strfreev (request->extra_headers);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_clear_pointer (&request->secrets, g_ptr_array_unref);
  g_free (request);
}

static gboolean
method_is_idempotent (const char *method)
{
  return g_str_equal (method, "GET") || g_str_equal (method, "HEAD") ||
         g_str_equal (method, "PUT") || g_str_equal (method, "DELETE") ||
         g_str_equal (method, "OPTIONS");
}

static gboolean
error_is_transient (const GError *error)
{
  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_CONNECTION_REFUSED:
        case G_IO_ERROR_CONNECTION_CLOSED:
        case G_IO_ERROR_TIMED_OUT:
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
        case G_IO_ERROR_NOT_CONNECTED:
          return TRUE;
        default:
          return FALSE;
        }
    }

  if (error->domain == G_RESOLVER_ERROR)
    return error->code == G_RESOLVER_ERROR_TEMPORARY_FAILURE;

  return FALSE;
}

/* Replaces any credential the server echoed back with "[redacted]". */
static void
redact (Request *request,
        GError  *error)
{
  g_autoptr(GPtrArray) needles = g_ptr_array_new ();

  if (error == NULL || error->message == NULL)
    return;

  if (request->authorization != NULL)
    {
      const char *space = strchr (request->authorization, ' ');

      g_ptr_array_add (needles, request->authorization);
      if (space != NULL && space[1] != '\0')
        g_ptr_array_add (needles, (gpointer) (space + 1));
    }
  if (request->secrets != NULL)
    for (guint i = 0; i < request->secrets->len; i++)
      g_ptr_array_add (needles, g_ptr_array_index (request->secrets, i));

  for (guint i = 0; i < needles->len; i++)
    {
      const char *needle = g_ptr_array_index (needles, i);
      g_autoptr(GString) message = NULL;

      if (strlen (needle) < 8 || strstr (error->message, needle) == NULL)
        continue;

      message = g_string_new (error->message);
      g_string_replace (message, needle, "[redacted]", 0);
      g_free (error->message);
      error->message = g_string_free (g_steal_pointer (&message), FALSE);
    }
}

static guint
backoff_delay_ms (CbHttpClient *self,
                  guint         attempt,
                  gboolean      has_hint,
                  guint         retry_after)
{
  guint64 cap_ms = (guint64) self->max_delay * 1000;
  guint64 delay_ms;

  /* The service's own hint wins, "Retry-After: 0" included. */
  if (has_hint)
    return (guint) MIN ((guint64) retry_after * 1000, cap_ms);

  /* attempt is 1-based: 1 s, 2 s, 4 s ... with "equal jitter" (half fixed, half random) so
   * many clients throttled together do not come back in lockstep. */
  delay_ms = (guint64) BACKOFF_BASE_MS << MIN (attempt - 1, 20);
  delay_ms = MIN (delay_ms, cap_ms);
  if (delay_ms > 1)
    delay_ms = delay_ms / 2 + (guint64) g_random_int_range (0, (gint32) (delay_ms / 2 + 1));

  return (guint) delay_ms;
}

/* -------------------------------------------------------------------------------------------- */
/* Cancellable sleep                                                                            */

typedef struct
{
  GSource *source;
  gulong   cancelled_id;
} Sleep;

static void
sleep_free (Sleep *sleep)
{
  g_assert (sleep->source == NULL);
  g_free (sleep);
}

static gboolean
sleep_done_cb (gpointer user_data)
{
  GTask *task = user_data;
  Sleep *sleep = g_task_get_task_data (task);

  g_assert (G_IS_TASK (task));

  /* The source holds the only reference we rely on here; keep the task alive while tearing
   * the source down. */
  g_object_ref (task);

  g_source_destroy (sleep->source);
  g_clear_pointer (&sleep->source, g_source_unref);
  g_cancellable_disconnect (g_task_get_cancellable (task), sleep->cancelled_id);
  sleep->cancelled_id = 0;

  if (!g_task_return_error_if_cancelled (task))
    g_task_return_boolean (task, TRUE);

  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

static void
sleep_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  GSource *source = user_data;

  /* May run in any thread; the timer's own context then reports the cancellation. */
  g_source_set_ready_time (source, 0);
}

void
cb_http_sleep_async (guint               delay_ms,
                     GCancellable       *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  Sleep *sleep;

  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_http_sleep_async);

  sleep = g_new0 (Sleep, 1);
  g_task_set_task_data (task, sleep, (GDestroyNotify) sleep_free);

  sleep->source = g_timeout_source_new (delay_ms);
  g_source_set_static_name (sleep->source, "[cb-http] sleep");
  g_source_set_callback (sleep->source, sleep_done_cb, g_object_ref (task), g_object_unref);
  g_source_attach (sleep->source, g_task_get_context (task));

  if (cancellable != NULL)
    sleep->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (sleep_cancelled_cb),
                                                 g_source_ref (sleep->source),
                                                 (GDestroyNotify) g_source_unref);
}

gboolean
cb_http_sleep_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* -------------------------------------------------------------------------------------------- */

static void request_send (GTask *task);

static void
request_wait_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!cb_http_sleep_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  request_send (task);
}

static void
request_wait (GTask *task,
              guint  delay_ms)
{
  cb_http_sleep_async (delay_ms, g_task_get_cancellable (task), request_wait_cb,
                       g_object_ref (task));
}

static void
request_send_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SoupSession *session = (SoupSession *)object;
  g_autoptr(GTask) task = user_data;
  CbHttpClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  SoupMessage *message;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = NULL;
  const char *content_type;
  SoupMessageHeaders *headers;
  guint status;

  g_assert (SOUP_IS_SESSION (session));

  message = soup_session_get_async_result_message (session, result);
  body = soup_session_send_and_read_finish (session, result, &error);

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      if (error_is_transient (error) && method_is_idempotent (request->method) &&
          request->attempt < self->max_attempts)
        {
          g_debug ("%s %s: %s; retrying (attempt %u of %u)", request->method,
                   request->url, error->message,
                   request->attempt + 1, self->max_attempts);
          request_wait (task, backoff_delay_ms (self, request->attempt, FALSE, 0));
          return;
        }

      redact (request, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (message);
  headers = soup_message_get_response_headers (message);
  record_server_time (self, headers);

  g_debug ("%s %s -> %u (attempt %u)", request->method, request->url, status, request->attempt);

  if ((status == 429 || status == SOUP_STATUS_SERVICE_UNAVAILABLE) &&
      request->attempt < self->max_attempts)
    {
      g_autoptr(JsonNode) hint_json = cb_http_parse_json (body, NULL);
      guint retry_after = cb_http_parse_retry_after (headers, hint_json, NULL);
      gboolean has_hint = retry_after > 0 ||
                          soup_message_headers_get_one (headers, "Retry-After") != NULL;

      g_debug ("%s %s -> %u; retrying in %s (attempt %u of %u)", request->method, request->url,
               status, has_hint ? "the requested time" : "a backoff step",
               request->attempt + 1, self->max_attempts);
      request_wait (task, backoff_delay_ms (self, request->attempt, has_hint, retry_after));
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      error = cb_http_parse_error (request->style, status, headers, body);
      redact (request, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A body that says it is something else (a PEM file, a CRL) is handed over raw. */
  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type == NULL || g_str_equal (content_type, "application/json") ||
      g_str_has_suffix (content_type, "+json") || g_str_equal (content_type, "text/json"))
    json = cb_http_parse_json (body, &error);
  if (error != NULL)
    {
      g_task_return_error (task,
                           cb_api_error_new_full (CB_API_ERROR_PARSE, status, NULL, NULL, 0,
                                                  "The service sent a response that is not valid JSON: %s",
                                                  error->message));
      return;
    }

  g_task_return_pointer (task, cb_http_response_new (status, headers, body, json),
                         (GDestroyNotify) cb_http_response_unref);
}

static void
request_send (GTask *task)
{
  CbHttpClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autoptr(SoupMessage) message = NULL;
  SoupMessageHeaders *headers;

  g_assert (G_IS_TASK (task));

  message = soup_message_new (request->method, request->url);
  if (message == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Invalid URL “%s”", request->url);
      return;
    }

  request->attempt++;

  headers = soup_message_get_request_headers (message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (request->authorization != NULL)
    soup_message_headers_replace (headers, "Authorization", request->authorization);
  for (guint i = 0; request->extra_headers != NULL && request->extra_headers[i] != NULL; i += 2)
    {
      if (request->extra_headers[i + 1] != NULL)
        soup_message_headers_replace (headers, request->extra_headers[i],
                                      request->extra_headers[i + 1]);
    }

  if (request->body != NULL)
    soup_message_set_request_body_from_bytes (message, request->content_type, request->body);

  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task),
                                    request_send_cb, g_object_ref (task));
}

static void
request_start (CbHttpClient       *self,
               Request            *request,
               GCancellable       *cancellable,
               GAsyncReadyCallback callback,
               gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_http_client_request_async);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  request_send (task);
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
  Request *request;

  g_return_if_fail (CB_IS_HTTP_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (url != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  request = g_new0 (Request, 1);
  request->method = g_ascii_strup (method, -1);
  request->url = g_strdup (url);
  request->authorization = g_strdup (authorization);
  request->extra_headers = g_strdupv ((char **) extra_headers);
  request->style = style;

  if (body != NULL)
    {
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      gsize len = 0;
      char *data;

      json_generator_set_root (generator, body);
      data = json_generator_to_data (generator, &len);
      request->body = g_bytes_new_take (data, len);
      request->content_type = "application/json; charset=utf-8";
    }

  request_start (self, request, cancellable, callback, user_data);
}

static const char * const secret_form_fields[] = {
  "refresh_token", "device_code", "client_secret", "code", "assertion", "password",
};

void
cb_http_client_post_form_async (CbHttpClient       *self,
                                const char         *url,
                                GHashTable         *form,
                                CbHttpErrorStyle    style,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  Request *request;
  char *encoded;

  g_return_if_fail (CB_IS_HTTP_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (form != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  request = g_new0 (Request, 1);
  request->method = g_strdup ("POST");
  request->url = g_strdup (url);
  request->style = style;
  request->secrets = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (secret_form_fields); i++)
    {
      const char *value = g_hash_table_lookup (form, secret_form_fields[i]);

      if (value != NULL)
        g_ptr_array_add (request->secrets, g_strdup (value));
    }

  encoded = soup_form_encode_hash (form);
  request->body = g_bytes_new_take (encoded, strlen (encoded));
  request->content_type = "application/x-www-form-urlencoded";

  request_start (self, request, cancellable, callback, user_data);
}

/**
 * cb_http_client_request_finish:
 *
 * Returns: (transfer full): the 2xx response, or %NULL with @error set
 */
CbHttpResponse *
cb_http_client_request_finish (CbHttpClient  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cb_http_client_request_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
