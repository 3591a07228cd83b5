/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Surfaces: the router. The route table (method and pattern per surface), and the dispatch
 * of every HTTPS request: the fault rules first (latency, an injected status), then the first
 * matching route (405 for a known path with another method, 404 for none), the body cap, the
 * handler, and the check that nothing was left unanswered or open.
 *
 * Before that, the path is made canonical: repeated slashes count as one (the generic ARM
 * client writes "…/arm//subscriptions/…"), and a request sent to an Azure host name (the
 * Host header, or the TLS server name when Host names none) gets that host's path prefix, so
 * https://management.azure.com/subscriptions/… is served by the routes of /arm/subscriptions/…
 * (cb-sb-azure-hosts.c holds the table). */

#include <string.h>

#include "cb-json-limits.h"
#include "cb-sb-azure-hosts.h"
#include "cb-sb-batch.h"
#include "cb-sb-faults.h"
#include "cb-sb-listener.h"
#include "cb-sb-request.h"
#include "cb-sb-router.h"
#include "cb-sb-store.h"

struct _CbSbRoute
{
  char        *method;
  char       **segments;   /* pattern split on '/', without the leading empty one */
  guint        n_segments;
  CbSbStyle    style;
  CbSbHandler  handler;
  gboolean     batched;    /* joins the group commit (cb-sb-batch.c) */
};

void
cb_sb_route_free (CbSbRoute *route)
{
  g_free (route->method);
  g_strfreev (route->segments);
  g_free (route);
}

void
cb_sb_add_route (CbSandbox   *self,
                 const char  *method,
                 const char  *pattern,
                 CbSbStyle    style,
                 CbSbHandler  handler)
{
  CbSbRoute *route;

  g_return_if_fail (self != NULL);
  g_return_if_fail (pattern != NULL && pattern[0] == '/');

  route = g_new0 (CbSbRoute, 1);
  route->method = g_strdup (method);
  route->segments = g_strsplit (pattern + 1, "/", -1);
  route->n_segments = g_strv_length (route->segments);
  route->style = style;
  route->handler = handler;
  g_ptr_array_add (self->routes, route);
}

void
cb_sb_add_batched_route (CbSandbox   *self,
                         const char  *method,
                         const char  *pattern,
                         CbSbStyle    style,
                         CbSbHandler  handler)
{
  cb_sb_add_route (self, method, pattern, style, handler);
  ((CbSbRoute *) g_ptr_array_index (self->routes, self->routes->len - 1))->batched = TRUE;
}

/* n_path: the length of segments (every route is tried against the same path). */
static gboolean
route_match (CbSbRoute   *route,
             char       **segments,
             guint        n_path,
             GHashTable  *params)
{
  guint n_route = route->n_segments;

  if (n_route != n_path)
    return FALSE;

  for (guint i = 0; i < n_route; i++)
    {
      const char *rs = route->segments[i];
      gsize len = strlen (rs);

      if (len > 2 && rs[0] == '{' && rs[len - 1] == '}')
        {
          if (segments[i][0] == '\0')
            return FALSE;
          if (params != NULL)
            g_hash_table_insert (params, g_strndup (rs + 1, len - 2), g_strdup (segments[i]));
        }
      else if (g_ascii_strcasecmp (rs, segments[i]) != 0)
        return FALSE;
    }

  return TRUE;
}

static void
finish_request (CbSbRequest *req,
                gboolean     paused)
{
  /* Handed to a worker: its next step finishes it (cb_sb_router_resume). */
  if (req->deferred)
    return;

  if (!req->replied)
    cb_sb_reply_error (req, 500, "InternalServerError", 500001,
                       "The sandbox did not answer this request (a bug: please report it)");

  /* A held answer is sent when its group commit is done (cb-sb-batch.c). */
  if (paused && !req->held)
    soup_server_message_unpause (req->msg);

  /* A held request's statements are checked once for its whole group, when it commits (the
   * walk over every cached statement cost more than a poll's own work). */
  if (!req->held)
    cb_sb_check_statements (req->sandbox, req->path);
  cb_sb_request_free (req);
}

/* Every body, JSON, form or PEM, stays within the cap before a handler reads it. */
static gboolean
check_body_size (CbSbRequest *req)
{
  g_autoptr(GError) error = NULL;

  if (req->body == NULL ||
      cb_json_check_limits (NULL, g_bytes_get_size (req->body), CB_JSON_MAX_REQUEST_SIZE,
                            CB_JSON_MAX_DEPTH, &error))
    return TRUE;

  cb_sb_reply_limit_error (req, error);
  return FALSE;
}

static void
route_request (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  g_auto(GStrv) segments = NULL;
  g_autoptr(GString) allowed = NULL;
  guint n_segments;

  /* A fault's status wins over the route: the client sees what a throttled service sends. */
  if (req->fault != NULL && cb_sb_fault_get_status (req->fault) != 0)
    {
      guint status = cb_sb_fault_get_status (req->fault);
      guint retry_after = cb_sb_fault_get_retry_after (req->fault);

      cb_sb_batch_flush (self);
      cb_sb_fault_consume (req->fault);

      if (retry_after > 0)
        {
          g_autofree char *ra = g_strdup_printf ("%u", retry_after);
          cb_sb_set_header (req, "Retry-After", ra);
        }

      switch (status)
        {
        case 429:
          if (req->style == CB_SB_STYLE_ARM)
            cb_sb_set_header (req, "x-ms-ratelimit-remaining-subscription-reads", "0");
          cb_sb_reply_error (req, 429, req->style == CB_SB_STYLE_HUB ? "ThrottlingException"
                                       : req->style == CB_SB_STYLE_OAUTH ? "temporarily_unavailable"
                                       : "TooManyRequests",
                             req->style == CB_SB_STYLE_HUB ? 429001 : 429001,
                             "Too many requests (injected fault). Retry after %u seconds.",
                             retry_after);
          break;
        case 503:
          cb_sb_reply_error (req, 503, req->style == CB_SB_STYLE_HUB ? "ServerBusy"
                                       : "ServiceUnavailable", 503001,
                             "The service is unavailable (injected fault).");
          break;
        default:
          cb_sb_reply_error (req, status, status >= 500 ? "InternalServerError"
                                                                       : "InjectedFault",
                             (int) status * 1000 + 1,
                             "Injected fault with status %u.", status);
          break;
        }
      return;
    }

  segments = g_strsplit (req->path + 1, "/", -1);
  n_segments = g_strv_length (segments);

  for (guint i = 0; i < self->routes->len; i++)
    {
      CbSbRoute *route = g_ptr_array_index (self->routes, i);

      if (!route_match (route, segments, n_segments, NULL))
        continue;

      if (g_ascii_strcasecmp (route->method, req->method) != 0)
        {
          if (allowed == NULL)
            allowed = g_string_new (NULL);
          else
            g_string_append (allowed, ", ");
          g_string_append (allowed, route->method);
          continue;
        }

      req->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      route_match (route, segments, n_segments, req->params);
      req->style = route->style;
      if (!check_body_size (req))
        return;
      /* Nothing answers before the writes of the requests before it are committed. */
      if (!route->batched)
        cb_sb_batch_flush (self);
      route->handler (req);
      return;
    }

  if (allowed != NULL)
    {
      cb_sb_set_header (req, "Allow", allowed->str);
      cb_sb_reply_error (req, 405, req->style == CB_SB_STYLE_ARM ? "MethodNotAllowed"
                                   : "MethodNotAllowed", 405001,
                         "The method %s is not allowed on %s (allowed: %s).",
                         req->method, req->path, allowed->str);
      return;
    }

  if (req->style == CB_SB_STYLE_ARM)
    cb_sb_reply_arm_error (req, 404, "InvalidResourceType", NULL,
                           "The resource type or path '%s' is not known to the sandbox.", req->path);
  else
    cb_sb_reply_error (req, 404, "NotFound", 404000,
                       "No such endpoint: %s %s. GET /sandbox/info lists the endpoints.",
                       req->method, req->path);
}

typedef struct
{
  CbSbRequest *req;
} DelayedRequest;

static gboolean
delayed_request_cb (gpointer data)
{
  CbSbRequest *req = data;
  CbSandbox *self = g_object_ref (req->sandbox);

  cb_sb_lock_request (self);
  route_request (req);
  finish_request (req, TRUE);
  cb_sb_unlock (self);
  g_object_unref (self);

  return G_SOURCE_REMOVE;
}

void
cb_sb_router_resume (CbSbRequest *req,
                     CbSbHandler  then)
{
  CbSandbox *self = g_object_ref (req->sandbox);

  cb_sb_lock_request (self);
  req->deferred = FALSE;
  then (req);
  finish_request (req, TRUE);
  cb_sb_unlock (self);
  g_object_unref (self);
}

/* path with every run of slashes made one, and without a trailing one: Azure serves
 * ".../devices/" as ".../devices" (azure-iothub's Registry.list sends the former). */
static char *
collapse_slashes (const char *path)
{
  GString *out = g_string_sized_new (strlen (path));

  for (const char *p = path; *p != '\0'; p++)
    if (*p != '/' || out->len == 0 || out->str[out->len - 1] != '/')
      g_string_append_c (out, *p);
  if (out->len > 1 && out->str[out->len - 1] == '/')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

/* The path the routes know for a request: its Azure host's prefix (if it was sent to one) and
 * its path with single slashes. Sets *out_azure_host to the host it was routed by (the Host
 * header's value, so its port is kept) or NULL. */
static char *
canonical_path (SoupServerMessage  *msg,
                const char         *path,
                char              **out_azure_host)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *host = soup_message_headers_get_one (headers, "Host");
  const char *server_name = cb_sb_listener_get_server_name (msg);
  g_autofree char *single = collapse_slashes (path);
  g_autofree char *prefix = NULL;

  *out_azure_host = NULL;
  if ((prefix = cb_sb_azure_host_prefix (host)) != NULL)
    *out_azure_host = g_strdup (host);
  else if ((prefix = cb_sb_azure_host_prefix (server_name)) != NULL)
    {
      guint16 port = cb_sb_azure_host_port (host);

      *out_azure_host = port != 0 ? g_strdup_printf ("%s:%u", server_name, port)
                                  : g_strdup (server_name);
    }

  if (prefix == NULL)
    return g_steal_pointer (&single);
  return g_strconcat (prefix, single, NULL);
}

void
cb_sb_router_handle (SoupServer        *server,
                     SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  CbSandbox *self = user_data;
  CbSbRequest *req;
  g_autofree char *azure_host = NULL;
  g_autofree char *routed = canonical_path (msg, path, &azure_host);

  cb_sb_lock_request (self);

  req = cb_sb_request_new (self, msg, routed, query);
  req->azure_host = g_steal_pointer (&azure_host);

  /* Date on the world clock, which clients read as the service's time (libsoup set it to the
   * real time when the headers arrived); written once a world second, not per request. */
  {
    gint64 second = cb_sb_now (self);

    if (second != self->date_second || self->date_text[0] == '\0')
      {
        g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (second);
        g_autofree char *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);

        g_strlcpy (self->date_text, date, sizeof self->date_text);
        self->date_second = second;
      }
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Date",
                                  self->date_text);
  }

  req->fault = cb_sb_find_fault (self, req->method, req->path);

  if (req->fault != NULL && cb_sb_fault_get_latency_ms (req->fault) > 0)
    {
      GSource *source = g_timeout_source_new (cb_sb_fault_get_latency_ms (req->fault));

      soup_server_message_pause (msg);
      g_source_set_callback (source, delayed_request_cb, req, NULL);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
      cb_sb_unlock (self);
      return;
    }

  route_request (req);
  finish_request (req, FALSE);

  cb_sb_unlock (self);
}
