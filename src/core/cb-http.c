/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-http"

/* CbHttpClient: the one way core talks HTTP to a service. Trusts a pinned CA or the system
 * store, retries throttling and transient failures with Retry-After or bounded backoff, turns
 * a non-2xx answer into a CbApiError and keeps credentials out of error texts. */

#include "config.h"

#include <string.h>

#include "cb-error.h"
#include "cb-http.h"
#include "cb-http-response-private.h"
#include "cb-http-sleep.h"
#include "cb-tls-lazy-database.h"

#define DEFAULT_MAX_ATTEMPTS   4
#define DEFAULT_MAX_DELAY      30
#define REQUEST_TIMEOUT        60
/* First backoff step; doubles each attempt, then jitter takes it down to 50..100 %. */
#define BACKOFF_BASE_MS        1000

struct _CbHttpClient
{
  GObject      parent_instance;

  /* Owned */
  SoupSession  *session;          /* the first service's pool; its settings are every pool's */
  GHashTable   *sessions;         /* pool key (cb_http_pool_key) -> SoupSession */
  GTlsDatabase *database;         /* the pinned CA, or NULL for the system store */
  gboolean      no_proxy;
  gboolean      pool_by_path;     /* the sandbox: a service is a path, not a host */

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
/* Client                                                                                       */

static void
cb_http_client_finalize (GObject *object)
{
  CbHttpClient *self = (CbHttpClient *)object;

  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_object (&self->session);
  g_clear_object (&self->database);

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

  /* libsoup sets a pinned CA only after making the connection: without this, every
   * connection would read the system trust store first (cb-tls-lazy-database.c). */
  cb_tls_lazy_database_install ();

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

static SoupSession *
session_new (CbHttpClient *self)
{
  SoupSession *session;

  session = soup_session_new_with_options ("user-agent", "certbench/" PACKAGE_VERSION,
                                           "timeout", REQUEST_TIMEOUT,
                                           NULL);
  if (self->database != NULL)
    soup_session_set_tls_database (session, self->database);
  if (self->no_proxy)
    soup_session_set_proxy_resolver (session, NULL);

  return session;
}

static void
cb_http_client_init (CbHttpClient *self)
{
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->max_delay = DEFAULT_MAX_DELAY;
  self->session = session_new (self);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/* One connection pool per service. libsoup 3.2 checks every idle connection of a session
 * each time it runs its queue (soup_connection_manager_cleanup(), a non-blocking read that
 * says EAGAIN on each, twice before a request goes out and once more as it is answered): with
 * one session for every service, a DPS request probed the idle connections to Entra, ARM and
 * the hub too. Azure serves each service on a host of its own, so the host and port are the
 * key; the sandbox serves each under a path of its own on one host and port (/entra, /arm,
 * /dps, /dps-service, /hubs), so for it the first path segment is part of the key. */
static char *
pool_key (GUri     *uri,
          gboolean  by_path)
{
  const char *scheme = g_uri_get_scheme (uri);
  const char *path = g_uri_get_path (uri);
  int port = g_uri_get_port (uri);
  gsize segment = 0;

  if (g_uri_get_host (uri) == NULL)
    return NULL;

  if (port == -1)
    port = g_ascii_strcasecmp (scheme, "https") == 0 ? 443 : 80;
  if (by_path && path[0] == '/')
    {
      const char *end = strchr (path + 1, '/');

      segment = end != NULL ? (gsize) (end - path) : strlen (path);
    }

  return g_strdup_printf ("%s://%s:%d%.*s", scheme, g_uri_get_host (uri), port, (int) segment,
                          path);
}

char *
cb_http_pool_key (const char *url,
                  gboolean    by_path)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  return uri != NULL ? pool_key (uri, by_path) : NULL;
}

static SoupSession *
session_for_uri (CbHttpClient *self,
                 GUri         *uri)
{
  g_autofree char *key = uri != NULL ? pool_key (uri, self->pool_by_path) : NULL;
  SoupSession *session;

  if (key == NULL)
    return self->session;

  session = g_hash_table_lookup (self->sessions, key);
  if (session == NULL)
    {
      /* The first service asked gets the session made with the client. */
      session = g_hash_table_size (self->sessions) == 0 ? g_object_ref (self->session)
                                                        : session_new (self);
      g_hash_table_insert (self->sessions, g_steal_pointer (&key), session);
    }

  return session;
}

/**
 * cb_http_client_get_session_for_url:
 *
 * Returns: (transfer none): the session whose connection pool requests to @url go through
 */
SoupSession *
cb_http_client_get_session_for_url (CbHttpClient *self,
                                    const char   *url)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (CB_IS_HTTP_CLIENT (self), NULL);
  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  return session_for_uri (self, uri);
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
      self->database = g_steal_pointer (&database);
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
    {
      soup_session_set_proxy_resolver (self->session, NULL);
      self->no_proxy = TRUE;
      self->pool_by_path = TRUE;
    }

  return self;
}

/**
 * cb_http_client_get_session:
 *
 * Returns: (transfer none): the session of the first service asked, whose TLS database and
 *   proxy resolver every service's session has (for sharing its TLS database)
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
  /* A POST that only reads (cb_http_client_query_async). */
  gboolean          read_only;
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

/* Bodies from this size on are parsed in a worker thread. */
#define PARSE_IN_THREAD_SIZE (64 * 1024)

static void
return_response (GTask              *task,
                 guint               status,
                 SoupMessageHeaders *headers,
                 GBytes             *body,
                 JsonNode           *json,
                 const GError       *error)
{
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

/* The worker thread sees only the body (a GBytes) and makes only the JSON tree: the request's
 * task and the headers stay with the main thread, and the job is freed there. */
typedef struct
{
  GTask              *task;
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  JsonNode           *json;
  GError             *error;
} ParseJob;

static void
parse_thread (GTask        *parse_task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ParseJob *job = task_data;

  job->json = cb_http_parse_json (job->body, &job->error);
  g_task_return_boolean (parse_task, TRUE);
}

static void
parse_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ParseJob *job = user_data;

  return_response (job->task, job->status, job->headers, job->body, job->json, job->error);
  g_clear_pointer (&job->json, json_node_unref);
  g_clear_error (&job->error);
  g_bytes_unref (job->body);
  soup_message_headers_unref (job->headers);
  g_object_unref (job->task);
  g_free (job);
}

static void
parse_in_thread (GTask              *task,
                 guint               status,
                 SoupMessageHeaders *headers,
                 GBytes             *body)
{
  g_autoptr(GTask) parse_task = NULL;
  ParseJob *job = g_new0 (ParseJob, 1);

  job->task = g_object_ref (task);
  job->status = status;
  job->headers = soup_message_headers_ref (headers);
  job->body = g_bytes_ref (body);
  /* No source object and no destroy notify: whichever thread drops the last reference to
   * this task, it frees nothing of the main thread's. */
  parse_task = g_task_new (NULL, NULL, parse_done_cb, job);
  g_task_set_source_tag (parse_task, parse_in_thread);
  g_task_set_task_data (parse_task, job, NULL);
  g_task_run_in_thread (parse_task, parse_thread);
}

/* No answer, or not all of it (takes @error): a cancellation is returned as it is, a transient
 * failure of a request that may be sent again is retried, anything else returned without
 * credentials. */
static void
request_failed (GTask  *task,
                GError *error)
{
  CbHttpClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }

  if (error_is_transient (error) &&
      (request->read_only || method_is_idempotent (request->method)) &&
      request->attempt < self->max_attempts)
    {
      g_debug ("%s %s: %s; retrying (attempt %u of %u)", request->method,
               request->url, error->message,
               request->attempt + 1, self->max_attempts);
      g_error_free (error);
      request_wait (task, backoff_delay_ms (self, request->attempt, FALSE, 0));
      return;
    }

  redact (request, error);
  g_task_return_error (task, error);
}

static void
request_answered (GTask       *task,
                  SoupMessage *message,
                  GBytes      *body)
{
  CbHttpClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = NULL;
  const char *content_type;
  SoupMessageHeaders *headers;
  guint status;

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
    {
      /* A large answer (a hub query page of 1,000 twins) is parsed in a worker thread: on the
       * main thread it would hold up the app's frames. */
      if (g_bytes_get_size (body) >= PARSE_IN_THREAD_SIZE)
        {
          parse_in_thread (task, status, headers, body);
          return;
        }
      json = cb_http_parse_json (body, &error);
    }
  return_response (task, status, headers, body, json, error);
}

/* The answer's body is read from libsoup's stream without blocking, as far as it has come,
 * and waited for with one pollable source only when it has not: libsoup's
 * soup_session_send_and_read_async() spliced it into memory through a chain of GTasks (the
 * splice, every read and write, both closes), each finishing in an idle of its own on a main
 * loop turn of its own (docs/performance.md, "wt-soup"). */
typedef struct
{
  GTask        *task;
  SoupMessage  *message;
  GInputStream *stream;
  GByteArray   *body;
} BodyRead;

#define BODY_READ_CHUNK (16 * 1024)

static void
body_read_free (BodyRead *read)
{
  g_clear_pointer (&read->body, g_byte_array_unref);
  g_clear_object (&read->stream);
  g_clear_object (&read->message);
  g_clear_object (&read->task);
  g_free (read);
}

static void
body_read_close_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_input_stream_close_finish (G_INPUT_STREAM (object), result, NULL);
}

/* Reads what is there; FALSE once the read is over (answered or failed), TRUE to wait. */
static gboolean
body_read_some (BodyRead *read)
{
  GCancellable *cancellable = g_task_get_cancellable (read->task);
  GError *error = NULL;

  for (;;)
    {
      guint8 chunk[BODY_READ_CHUNK];
      gssize n;

      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        break;

      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (read->stream),
                                                    chunk, sizeof chunk, cancellable, &error);
      if (n > 0)
        {
          g_byte_array_append (read->body, chunk, (guint) n);
          continue;
        }
      if (n == 0)
        {
          g_autoptr(GBytes) body = NULL;

          /* At the end of the body libsoup finishes the message here, at once, and gives
           * the connection back to the pool. */
          g_input_stream_close (read->stream, NULL, NULL);
          body = g_byte_array_free_to_bytes (g_steal_pointer (&read->body));
          request_answered (read->task, read->message, body);
          return FALSE;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          return TRUE;
        }
      break;
    }

  /* Failed half-way: let libsoup drop the rest of the answer without blocking the loop. */
  g_input_stream_close_async (read->stream, G_PRIORITY_DEFAULT, NULL, body_read_close_cb, NULL);
  request_failed (read->task, error);
  return FALSE;
}

static gboolean
body_readable_cb (GObject  *stream,
                  gpointer  user_data)
{
  BodyRead *read = user_data;

  return body_read_some (read) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
body_spliced_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  BodyRead *read = user_data;
  GError *error = NULL;

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (object), result, &error) < 0)
    request_failed (read->task, error);
  else
    {
      g_autoptr(GBytes) body = NULL;

      body = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (object));
      request_answered (read->task, read->message, body);
    }
  body_read_free (read);
}

static void
request_sent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SoupSession *session = (SoupSession *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(GInputStream) stream = NULL;
  GError *error = NULL;
  BodyRead *read;

  g_assert (SOUP_IS_SESSION (session));

  stream = soup_session_send_finish (session, result, &error);
  if (stream == NULL)
    {
      request_failed (task, error);
      return;
    }

  read = g_new0 (BodyRead, 1);
  read->task = g_steal_pointer (&task);
  read->message = g_object_ref (soup_session_get_async_result_message (session, result));
  read->stream = g_steal_pointer (&stream);

  /* A stream that cannot say when it is readable is read the way libsoup reads it. */
  if (!G_IS_POLLABLE_INPUT_STREAM (read->stream) ||
      !g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (read->stream)))
    {
      g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();

      g_output_stream_splice_async (memory, read->stream,
                                    G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                                    G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                    G_PRIORITY_DEFAULT, g_task_get_cancellable (read->task),
                                    body_spliced_cb, read);
      return;
    }

  read->body = g_byte_array_new ();
  if (body_read_some (read))
    {
      g_autoptr(GSource) source = NULL;

      source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (read->stream),
                                                      g_task_get_cancellable (read->task));
      g_source_set_callback (source, G_SOURCE_FUNC (body_readable_cb), read,
                             (GDestroyNotify) body_read_free);
      g_source_set_static_name (source, "[certbench] HTTP answer body");
      g_source_attach (source, g_task_get_context (read->task));
      return;
    }
  body_read_free (read);
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

  /* libsoup sends a POST on a new connection (a TLS handshake each) unless told that sending
   * it twice does no harm, which a query's does not. */
  if (request->read_only)
    soup_message_add_flags (message, SOUP_MESSAGE_IDEMPOTENT);

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

  soup_session_send_async (session_for_uri (self, soup_message_get_uri (message)), message,
                           G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), request_sent_cb, g_object_ref (task));
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

static Request *
request_new_json (const char         *method,
                  const char         *url,
                  const char         *authorization,
                  const char * const *extra_headers,
                  JsonNode           *body,
                  CbHttpErrorStyle    style)
{
  Request *request;

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

  return request;
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
  g_return_if_fail (CB_IS_HTTP_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (url != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  request_start (self, request_new_json (method, url, authorization, extra_headers, body, style),
                 cancellable, callback, user_data);
}

void
cb_http_client_query_async (CbHttpClient       *self,
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
  g_return_if_fail (url != NULL);
  g_return_if_fail (body != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  request = request_new_json ("POST", url, authorization, extra_headers, body, style);
  request->read_only = TRUE;
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
