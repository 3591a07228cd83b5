/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-activity"

/* The Azure Monitor activity log stand-in: the events of cb-sb-activity.c served by
 *
 *   GET /arm/subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values
 *       ?api-version=2015-04-01&$filter=eventTimestamp ge '...' and eventTimestamp le '...'
 *       [and resourceUri eq '...' | resourceGroupName eq '...' | resourceProvider eq '...'
 *        | correlationId eq '...' | caller eq '...' | status eq '...'][&$select=a,b]
 *
 * in the EventData shape of the 2015-04-01 API (example GetActivityLogsFiltered.json),
 * newest first, paged with nextLink. Monitor answers errors as a bare {"code","message"}
 * (its 2015-04-01 ErrorResponse), not ARM's {"error":{...}} envelope; so does this.
 */

#include "config.h"

#include <string.h>

#include "cb-sb-activity.h"
#include "cb-sb-json.h"
#include "cb-sb-lro.h"
#include "cb-sb-paging.h"
#include "cb-sb-request.h"
#include "cb-sb-routes-activity.h"
#include "cb-util.h"

#define MAX_AGE_SECONDS ((gint64) 90 * 24 * 3600)

/* ---- The $filter ------------------------------------------------------------------------ */

typedef struct
{
  gint64  from_usec;
  gint64  to_usec;
  gboolean have_from;
  gboolean have_to;
  char   *resource_uri;
  char   *resource_group;
  char   *provider;
  char   *correlation_id;
  char   *caller;
  char   *status;
} Filter;

static void
filter_clear (Filter *f)
{
  g_clear_pointer (&f->resource_uri, g_free);
  g_clear_pointer (&f->resource_group, g_free);
  g_clear_pointer (&f->provider, g_free);
  g_clear_pointer (&f->correlation_id, g_free);
  g_clear_pointer (&f->caller, g_free);
  g_clear_pointer (&f->status, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Filter, filter_clear)

/* Splits "a ge 'x' and b eq 'y and z'" on " and " outside quotes. */
static GPtrArray *
split_clauses (const char *text)
{
  GPtrArray *clauses = g_ptr_array_new_with_free_func (g_free);
  gboolean quoted = FALSE;
  const char *start = text;

  for (const char *p = text; ; p++)
    {
      if (*p == '\'')
        quoted = !quoted;
      if (*p == '\0' ||
          (!quoted && g_ascii_strncasecmp (p, " and ", 5) == 0))
        {
          g_autofree char *clause = g_strndup (start, p - start);

          g_ptr_array_add (clauses, g_strdup (g_strstrip (clause)));
          if (*p == '\0')
            break;
          p += 4;
          start = p + 1;
        }
    }

  return clauses;
}

static gboolean
parse_clause (const char  *clause,
              char       **field,
              char       **op,
              char       **value)
{
  g_autofree char *rest = NULL;
  const char *sp1 = strchr (clause, ' ');
  const char *sp2;
  gsize len;

  if (sp1 == NULL)
    return FALSE;
  sp2 = strchr (sp1 + 1, ' ');
  if (sp2 == NULL)
    return FALSE;

  rest = g_strstrip (g_strdup (sp2 + 1));
  len = strlen (rest);
  if (len < 2 || rest[0] != '\'' || rest[len - 1] != '\'')
    return FALSE;

  *field = g_strndup (clause, sp1 - clause);
  *op = g_strndup (sp1 + 1, sp2 - sp1 - 1);
  *value = g_strndup (rest + 1, len - 2);
  return TRUE;
}

static gboolean
parse_time_usec (const char *text,
                 gint64     *out)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (text, utc);

  if (dt == NULL)
    return FALSE;

  *out = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}

static gboolean
parse_filter (const char  *text,
              Filter      *f,
              char       **message)
{
  g_autoptr(GPtrArray) clauses = NULL;

  if (text == NULL || *text == '\0')
    {
      *message = g_strdup ("The $filter query parameter is required and must contain at least "
                           "the start time: eventTimestamp ge '<time>' and eventTimestamp le "
                           "'<time>'.");
      return FALSE;
    }

  clauses = split_clauses (text);
  for (guint i = 0; i < clauses->len; i++)
    {
      g_autofree char *field = NULL;
      g_autofree char *op = NULL;
      g_autofree char *value = NULL;
      const char *clause = g_ptr_array_index (clauses, i);

      if (!parse_clause (clause, &field, &op, &value))
        {
          *message = g_strdup_printf ("$filter searching parameters invalid: cannot read "
                                      "“%s”.", clause);
          return FALSE;
        }

      if (g_ascii_strcasecmp (field, "eventTimestamp") == 0)
        {
          gint64 usec = 0;

          if (!parse_time_usec (value, &usec))
            {
              *message = g_strdup_printf ("$filter searching parameters invalid: “%s” is not "
                                          "an ISO 8601 time.", value);
              return FALSE;
            }
          if (g_ascii_strcasecmp (op, "ge") == 0)
            f->from_usec = usec, f->have_from = TRUE;
          else if (g_ascii_strcasecmp (op, "le") == 0)
            f->to_usec = usec, f->have_to = TRUE;
          else
            {
              *message = g_strdup_printf ("$filter searching parameters invalid: eventTimestamp "
                                          "supports ge and le, not %s.", op);
              return FALSE;
            }
          continue;
        }

      if (g_ascii_strcasecmp (op, "eq") != 0)
        {
          *message = g_strdup_printf ("$filter searching parameters invalid: %s supports eq "
                                      "only.", field);
          return FALSE;
        }

      if (g_ascii_strcasecmp (field, "resourceUri") == 0 ||
          g_ascii_strcasecmp (field, "resourceId") == 0)
        g_free (f->resource_uri), f->resource_uri = g_steal_pointer (&value);
      else if (g_ascii_strcasecmp (field, "resourceGroupName") == 0)
        g_free (f->resource_group), f->resource_group = g_steal_pointer (&value);
      else if (g_ascii_strcasecmp (field, "resourceProvider") == 0)
        g_free (f->provider), f->provider = g_steal_pointer (&value);
      else if (g_ascii_strcasecmp (field, "correlationId") == 0)
        g_free (f->correlation_id), f->correlation_id = g_steal_pointer (&value);
      else if (g_ascii_strcasecmp (field, "caller") == 0)
        g_free (f->caller), f->caller = g_steal_pointer (&value);
      else if (g_ascii_strcasecmp (field, "status") == 0)
        g_free (f->status), f->status = g_steal_pointer (&value);
      else if (g_ascii_strcasecmp (field, "eventChannels") == 0 ||
               g_ascii_strcasecmp (field, "levels") == 0)
        ; /* accepted, every sandbox event is an Admin/Operation, Informational one */
      else
        {
          *message = g_strdup_printf ("$filter searching parameters invalid: %s is not a "
                                      "supported field.", field);
          return FALSE;
        }
    }

  if (!f->have_from)
    {
      *message = g_strdup ("$filter searching parameters invalid: the start time "
                           "(eventTimestamp ge '<time>') is required.");
      return FALSE;
    }

  return TRUE;
}

/* Monitor's own error body. */
static void
reply_monitor_error (CbSbRequest *req,
                     guint        status,
                     const char  *code,
                     const char  *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);

  cb_sb_reply_json (req, status, json_builder_get_root (b));
}

/* ---- Output ----------------------------------------------------------------------------- */

static void
add_localizable (JsonBuilder *b,
                 const char  *name,
                 const char  *value,
                 const char  *localized)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_add_string_value (b, value);
  json_builder_set_member_name (b, "localizedValue");
  json_builder_add_string_value (b, localized != NULL ? localized : value);
  json_builder_end_object (b);
}

static const char *
status_code_name (guint status)
{
  switch (status)
    {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "NoContent";
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 429: return "TooManyRequests";
    case 500: return "InternalServerError";
    case 503: return "ServiceUnavailable";
    default:  return NULL;
    }
}

/* The fields of the EventData in $select (all when NULL). */
static gboolean
selected (GStrv        select,
          const char  *field)
{
  if (select == NULL)
    return TRUE;

  for (guint i = 0; select[i] != NULL; i++)
    if (g_ascii_strcasecmp (g_strstrip (select[i]), field) == 0)
      return TRUE;

  return FALSE;
}

static JsonNode *
event_json (const CbSbActivityEvent *event,
            GStrv                    select)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *event_data_id = event->event_data_id;
  const char *subscription = event->subscription;
  const char *resource_group = event->resource_group;
  const char *resource_id = event->resource_id;
  const char *provider = event->provider;
  const char *type = event->resource_type;
  const char *operation = event->operation_name;
  const char *event_name = event->event_name;
  const char *caller = event->caller;
  const char *caller_id = event->caller_id;
  const char *correlation = event->correlation_id;
  const char *method = event->method;
  const char *status = event->status;
  guint http_status = event->http_status;
  gint64 event_usec = event->event_usec;
  gint64 submission_usec = event->submission_usec;
  g_autofree char *event_time = cb_time_format_precise (event_usec);
  g_autofree char *submission_time = cb_time_format_precise (submission_usec);
  /* .NET ticks, as in the real event id */
  g_autofree char *id = g_strdup_printf ("%s/events/%s/ticks/%" G_GINT64_FORMAT, resource_id,
                                         event_data_id,
                                         event_usec * 10 + G_GINT64_CONSTANT (621355968000000000));
  const char *code_name = status_code_name (http_status);

  json_builder_begin_object (b);

  if (selected (select, "authorization"))
    {
      json_builder_set_member_name (b, "authorization");
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "action", operation);
      cb_sb_json_add_string (b, "scope", resource_id);
      json_builder_end_object (b);
    }
  if (selected (select, "caller"))
    cb_sb_json_add_string (b, "caller", caller);
  if (selected (select, "channels"))
    cb_sb_json_add_string (b, "channels", "Operation");
  if (selected (select, "claims"))
    {
      json_builder_set_member_name (b, "claims");
      json_builder_begin_object (b);
      if (caller != NULL)
        cb_sb_json_add_string (b, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", caller);
      if (caller_id != NULL)
        cb_sb_json_add_string (b, "http://schemas.microsoft.com/identity/claims/objectidentifier", caller_id);
      json_builder_end_object (b);
    }
  if (selected (select, "correlationId"))
    cb_sb_json_add_string (b, "correlationId", correlation);
  if (selected (select, "description"))
    cb_sb_json_add_string (b, "description", "");
  if (selected (select, "eventDataId"))
    cb_sb_json_add_string (b, "eventDataId", event_data_id);
  if (selected (select, "eventName"))
    add_localizable (b, "eventName", event_name,
                     g_str_equal (event_name, "BeginRequest") ? "Begin request" : "End request");
  if (selected (select, "category"))
    add_localizable (b, "category", "Administrative", NULL);
  if (selected (select, "httpRequest") && method != NULL)
    {
      json_builder_set_member_name (b, "httpRequest");
      json_builder_begin_object (b);
      cb_sb_json_add_string (b, "clientRequestId", correlation);
      cb_sb_json_add_string (b, "clientIpAddress", "127.0.0.1");
      cb_sb_json_add_string (b, "method", method);
      json_builder_end_object (b);
    }
  if (selected (select, "id"))
    cb_sb_json_add_string (b, "id", id);
  if (selected (select, "level"))
    cb_sb_json_add_string (b, "level", "Informational");
  if (selected (select, "resourceGroupName"))
    cb_sb_json_add_string (b, "resourceGroupName", resource_group);
  if (selected (select, "resourceProviderName"))
    add_localizable (b, "resourceProviderName", provider, NULL);
  if (selected (select, "resourceId"))
    cb_sb_json_add_string (b, "resourceId", resource_id);
  if (selected (select, "resourceType"))
    add_localizable (b, "resourceType", type, NULL);
  if (selected (select, "operationId"))
    cb_sb_json_add_string (b, "operationId", correlation);
  if (selected (select, "operationName"))
    add_localizable (b, "operationName", operation, NULL);
  if (selected (select, "properties"))
    {
      json_builder_set_member_name (b, "properties");
      json_builder_begin_object (b);
      if (code_name != NULL)
        cb_sb_json_add_string (b, "statusCode", code_name);
      json_builder_end_object (b);
    }
  if (selected (select, "status"))
    add_localizable (b, "status", status, NULL);
  if (selected (select, "subStatus"))
    {
      g_autofree char *localized = code_name != NULL
        ? g_strdup_printf ("%s (HTTP Status Code: %u)", code_name, http_status)
        : g_strdup ("");

      add_localizable (b, "subStatus", code_name != NULL ? code_name : "", localized);
    }
  if (selected (select, "eventTimestamp"))
    cb_sb_json_add_string (b, "eventTimestamp", event_time);
  if (selected (select, "submissionTimestamp"))
    cb_sb_json_add_string (b, "submissionTimestamp", submission_time);
  if (selected (select, "subscriptionId"))
    cb_sb_json_add_string (b, "subscriptionId", subscription);
  if (selected (select, "tenantId"))
    cb_sb_json_add_string (b, "tenantId", NULL);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

typedef struct
{
  JsonBuilder *builder;
  GStrv        select;
} ListData;

static void
add_event_cb (const CbSbActivityEvent *event,
              gpointer                 user_data)
{
  ListData *data = user_data;

  json_builder_add_value (data->builder, event_json (event, data->select));
}

static void
handle_list (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *sub = cb_sb_param (req, "sub");
  const char *select_text = cb_sb_query (req, "$select");
  const char *token = cb_sb_query (req, "$skipToken");
  g_auto(Filter) f = { 0 };
  g_auto(GStrv) select = NULL;
  g_autofree char *message = NULL;
  g_autofree char *scope = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  CbSbActivityQuery query = { 0 };
  ListData data;
  CbSbActivityCursor cursor = { 0 };
  g_auto(GStrv) after = NULL;
  guint limit = cb_sb_page_size (self);
  gboolean more;
  gint64 now = cb_sb_now_usec (self);

  if (!cb_sb_require_bearer (req, CB_SB_AUD_ARM) ||
      !cb_sb_require_api_version (req, CB_SB_ACTIVITY_API_VERSION, NULL))
    return;

  /* Operations that are due log their end first. */
  cb_sb_arm_run_due_operations (self);

  if (!parse_filter (cb_sb_query (req, "$filter"), &f, &message))
    {
      reply_monitor_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest", message);
      return;
    }
  if (!f.have_to)
    f.to_usec = now;
  if (f.from_usec > f.to_usec)
    {
      reply_monitor_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                           "$filter searching parameters invalid: the start time is after the "
                           "end time.");
      return;
    }
  /* The activity log keeps 90 days; a day of slack for clients' clock skew. */
  if (f.from_usec < now - (MAX_AGE_SECONDS + 24 * 3600) * G_USEC_PER_SEC)
    {
      reply_monitor_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                           "$filter searching parameters invalid: the start time cannot be more "
                           "than 90 days in the past.");
      return;
    }

  if (token == NULL)
    token = cb_sb_query (req, "$skiptoken");
  if (token != NULL)
    {
      CbSbSkipTokenStatus status = cb_sb_skip_token_parse (self, req->path, token, 2, &after);

      if (status == CB_SB_SKIP_TOKEN_EXPIRED)
        {
          reply_monitor_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                               "The $skipToken has expired; list again from the first page.");
          return;
        }
      if (status != CB_SB_SKIP_TOKEN_OK ||
          !g_ascii_string_to_signed (after[0], 10, 0, G_MAXINT64, &cursor.usec, NULL) ||
          !g_ascii_string_to_signed (after[1], 10, 0, G_MAXINT64, &cursor.seq, NULL))
        {
          reply_monitor_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                               "The $skipToken is not valid; use the nextLink of the previous "
                               "page.");
          return;
        }
      cursor.set = TRUE;
    }

  if (f.resource_uri != NULL)
    scope = g_strdup (f.resource_uri);
  else if (f.resource_group != NULL)
    scope = g_strdup_printf ("/subscriptions/%s/resourceGroups/%s", sub, f.resource_group);
  else
    scope = g_strdup_printf ("/subscriptions/%s", sub);
  if (!cb_sb_require_permission (req, scope, "Microsoft.Insights/eventtypes/values/read",
                                 CB_SB_PERM_READ))
    return;

  if (select_text != NULL && *select_text != '\0')
    select = g_strsplit (select_text, ",", -1);

  query.subscription = sub;
  query.from_usec = f.from_usec;
  query.to_usec = f.to_usec;
  query.resource_id = f.resource_uri;
  query.resource_group = f.resource_group;
  query.provider = f.provider;
  query.correlation_id = f.correlation_id;
  query.caller = f.caller;
  query.status = f.status;

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  data.builder = b;
  data.select = select;
  more = cb_sb_activity_query (self, &query, &cursor, limit, add_event_cb, &data);
  json_builder_end_array (b);
  if (more)
    {
      g_autofree char *usec = g_strdup_printf ("%" G_GINT64_FORMAT, cursor.usec);
      g_autofree char *seq = g_strdup_printf ("%" G_GINT64_FORMAT, cursor.seq);
      const char *keys[] = { usec, seq, NULL };
      g_autofree char *next = cb_sb_skip_token_new (self, req->path, keys);
      g_autofree char *path = cb_sb_next_link_path (req->path, req->query, next);
      g_autofree char *link = cb_sb_url (req, path);

      json_builder_set_member_name (b, "nextLink");
      json_builder_add_string_value (b, link);
    }
  json_builder_end_object (b);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

void
cb_sb_routes_activity_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET",
                   "/arm/subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/"
                   "management/values",
                   CB_SB_STYLE_ARM, handle_list);
}
