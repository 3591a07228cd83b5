/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-activity"

/* The Azure Monitor activity log stand-in: every ARM management write (who, what, on which
 * resource, when, with which result and correlation id) is stored in activity_events and
 * served by
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

#include "cb-sandbox-adr-private.h"
#include "cb-util.h"

#define MAX_AGE_SECONDS ((gint64) 90 * 24 * 3600)

static const char *schema =
  "CREATE TABLE IF NOT EXISTS activity_events ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  event_data_id TEXT NOT NULL UNIQUE,"
  "  subscription TEXT NOT NULL COLLATE NOCASE,"
  "  resource_group TEXT COLLATE NOCASE,"
  "  resource_id TEXT NOT NULL COLLATE NOCASE,"
  "  provider TEXT COLLATE NOCASE,"
  "  resource_type TEXT,"
  "  operation_name TEXT NOT NULL,"
  "  event_name TEXT NOT NULL,"
  "  caller TEXT,"
  "  caller_id TEXT,"
  "  correlation_id TEXT,"
  "  method TEXT,"
  "  status TEXT NOT NULL COLLATE NOCASE,"
  "  http_status INTEGER,"
  "  event_usec INTEGER NOT NULL,"
  "  submission_usec INTEGER NOT NULL);"
  "CREATE INDEX IF NOT EXISTS activity_events_time ON activity_events (subscription, event_usec);";

/* ---- Recording -------------------------------------------------------------------------- */

/* The value after "/<collection>/" in an ARM id, case-insensitively. */
static char *
id_segment (const char *id,
            const char *collection)
{
  g_auto(GStrv) parts = g_strsplit (id, "/", -1);

  for (guint i = 0; parts[i] != NULL && parts[i + 1] != NULL; i++)
    if (g_ascii_strcasecmp (parts[i], collection) == 0 && parts[i + 1][0] != '\0')
      return g_strdup (parts[i + 1]);

  return NULL;
}

/* "Microsoft.DeviceRegistry/namespaces/credentials/policies" from the id's type segments. */
static char *
resource_type_of (const char *id,
                  char      **provider)
{
  g_auto(GStrv) parts = g_strsplit (id, "/", -1);
  GString *type = NULL;

  *provider = NULL;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (parts[i], "providers") != 0 || parts[i + 1] == NULL)
        continue;

      /* The last provider wins (extension resources), segments alternate type/name. */
      g_free (*provider);
      *provider = g_strdup (parts[i + 1]);
      if (type != NULL)
        g_string_free (type, TRUE);
      type = g_string_new (parts[i + 1]);
      for (guint j = i + 2; parts[j] != NULL; j += 2)
        {
          g_string_append_printf (type, "/%s", parts[j]);
          if (parts[j + 1] == NULL)
            break;
        }
    }

  return type != NULL ? g_string_free (type, FALSE) : NULL;
}

void
cb_sandbox_log_activity (CbSandbox   *self,
                         CbSbRequest *req,
                         const char  *operation_name,
                         const char  *resource_id,
                         const char  *status,
                         guint        http_status)
{
  g_autofree char *event_id = g_uuid_string_random ();
  g_autofree char *correlation = NULL;
  g_autofree char *subscription = NULL;
  g_autofree char *resource_group = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *type = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;
  gint64 now = cb_sandbox_now_usec (self);

  g_return_if_fail (CB_IS_SANDBOX (self));
  g_return_if_fail (operation_name != NULL && resource_id != NULL && status != NULL);

  subscription = id_segment (resource_id, "subscriptions");
  resource_group = id_segment (resource_id, "resourceGroups");
  type = resource_type_of (resource_id, &provider);
  correlation = req != NULL && req->correlation_id != NULL ? g_strdup (req->correlation_id)
                                                           : g_uuid_string_random ();

  stmt = cb_sb_prepare (self,
                        "INSERT INTO activity_events (event_data_id, subscription, "
                        "  resource_group, resource_id, provider, resource_type, operation_name, "
                        "  event_name, caller, caller_id, correlation_id, method, status, "
                        "  http_status, event_usec, submission_usec) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                        "  ?15, ?15)");
  cb_sb_bind_text (stmt, 1, event_id);
  cb_sb_bind_text (stmt, 2, subscription != NULL ? subscription : "");
  cb_sb_bind_text (stmt, 3, resource_group);
  cb_sb_bind_text (stmt, 4, resource_id);
  cb_sb_bind_text (stmt, 5, provider);
  cb_sb_bind_text (stmt, 6, type);
  cb_sb_bind_text (stmt, 7, operation_name);
  cb_sb_bind_text (stmt, 8, g_ascii_strcasecmp (status, "Started") == 0 ? "BeginRequest"
                                                                        : "EndRequest");
  cb_sb_bind_text (stmt, 9, req != NULL ? req->principal : NULL);
  cb_sb_bind_text (stmt, 10, req != NULL ? req->principal_id : NULL);
  cb_sb_bind_text (stmt, 11, correlation);
  cb_sb_bind_text (stmt, 12, req != NULL ? req->method : NULL);
  cb_sb_bind_text (stmt, 13, status);
  sqlite3_bind_int (stmt, 14, http_status);
  sqlite3_bind_int64 (stmt, 15, now);
  if (!cb_sb_step_done (self, stmt, NULL))
    g_warning ("Could not record activity %s on %s", operation_name, resource_id);
}

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

static void
add_str (JsonBuilder *b,
         const char  *name,
         const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
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
event_json (sqlite3_stmt *stmt,
            GStrv         select)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *event_data_id = (const char *) sqlite3_column_text (stmt, 0);
  const char *subscription = (const char *) sqlite3_column_text (stmt, 1);
  const char *resource_group = (const char *) sqlite3_column_text (stmt, 2);
  const char *resource_id = (const char *) sqlite3_column_text (stmt, 3);
  const char *provider = (const char *) sqlite3_column_text (stmt, 4);
  const char *type = (const char *) sqlite3_column_text (stmt, 5);
  const char *operation = (const char *) sqlite3_column_text (stmt, 6);
  const char *event_name = (const char *) sqlite3_column_text (stmt, 7);
  const char *caller = (const char *) sqlite3_column_text (stmt, 8);
  const char *caller_id = (const char *) sqlite3_column_text (stmt, 9);
  const char *correlation = (const char *) sqlite3_column_text (stmt, 10);
  const char *method = (const char *) sqlite3_column_text (stmt, 11);
  const char *status = (const char *) sqlite3_column_text (stmt, 12);
  guint http_status = sqlite3_column_int (stmt, 13);
  gint64 event_usec = sqlite3_column_int64 (stmt, 14);
  gint64 submission_usec = sqlite3_column_int64 (stmt, 15);
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
      add_str (b, "action", operation);
      add_str (b, "scope", resource_id);
      json_builder_end_object (b);
    }
  if (selected (select, "caller"))
    add_str (b, "caller", caller);
  if (selected (select, "channels"))
    add_str (b, "channels", "Operation");
  if (selected (select, "claims"))
    {
      json_builder_set_member_name (b, "claims");
      json_builder_begin_object (b);
      if (caller != NULL)
        add_str (b, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", caller);
      if (caller_id != NULL)
        add_str (b, "http://schemas.microsoft.com/identity/claims/objectidentifier", caller_id);
      json_builder_end_object (b);
    }
  if (selected (select, "correlationId"))
    add_str (b, "correlationId", correlation);
  if (selected (select, "description"))
    add_str (b, "description", "");
  if (selected (select, "eventDataId"))
    add_str (b, "eventDataId", event_data_id);
  if (selected (select, "eventName"))
    add_localizable (b, "eventName", event_name,
                     g_str_equal (event_name, "BeginRequest") ? "Begin request" : "End request");
  if (selected (select, "category"))
    add_localizable (b, "category", "Administrative", NULL);
  if (selected (select, "httpRequest") && method != NULL)
    {
      json_builder_set_member_name (b, "httpRequest");
      json_builder_begin_object (b);
      add_str (b, "clientRequestId", correlation);
      add_str (b, "clientIpAddress", "127.0.0.1");
      add_str (b, "method", method);
      json_builder_end_object (b);
    }
  if (selected (select, "id"))
    add_str (b, "id", id);
  if (selected (select, "level"))
    add_str (b, "level", "Informational");
  if (selected (select, "resourceGroupName"))
    add_str (b, "resourceGroupName", resource_group);
  if (selected (select, "resourceProviderName"))
    add_localizable (b, "resourceProviderName", provider, NULL);
  if (selected (select, "resourceId"))
    add_str (b, "resourceId", resource_id);
  if (selected (select, "resourceType"))
    add_localizable (b, "resourceType", type, NULL);
  if (selected (select, "operationId"))
    add_str (b, "operationId", correlation);
  if (selected (select, "operationName"))
    add_localizable (b, "operationName", operation, NULL);
  if (selected (select, "properties"))
    {
      json_builder_set_member_name (b, "properties");
      json_builder_begin_object (b);
      if (code_name != NULL)
        add_str (b, "statusCode", code_name);
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
    add_str (b, "eventTimestamp", event_time);
  if (selected (select, "submissionTimestamp"))
    add_str (b, "submissionTimestamp", submission_time);
  if (selected (select, "subscriptionId"))
    add_str (b, "subscriptionId", subscription);
  if (selected (select, "tenantId"))
    add_str (b, "tenantId", NULL);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static char *
next_link (CbSbRequest *req,
           guint        offset)
{
  g_autoptr(GString) path = g_string_new (NULL);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autofree char *escaped = g_uri_escape_string (req->path, "/", FALSE);
  GHashTableIter iter;
  gpointer key;

  g_string_append (path, escaped);
  g_hash_table_iter_init (&iter, req->query);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_ascii_strcasecmp (key, "$skipToken") != 0)
      g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_keys);

  for (guint i = 0; i < keys->len; i++)
    {
      const char *k = g_ptr_array_index (keys, i);
      g_autofree char *ek = g_uri_escape_string (k, "$", FALSE);
      g_autofree char *ev = g_uri_escape_string (g_hash_table_lookup (req->query, k), NULL,
                                                 FALSE);

      g_string_append_printf (path, "%c%s=%s", i == 0 ? '?' : '&', ek, ev);
    }
  g_string_append_printf (path, "%c$skipToken=%u", keys->len == 0 ? '?' : '&', offset);

  return cb_sb_url (req, path->str);
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
  g_autoptr(CbSbStmt) stmt = NULL;
  guint64 offset = 0;
  guint limit = self->page_size > 0 ? self->page_size : 100;
  guint n = 0;
  gboolean more = FALSE;
  gint64 now = cb_sandbox_now_usec (self);

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
  if (token != NULL && !g_ascii_string_to_unsigned (token, 10, 0, G_MAXINT, &offset, NULL))
    {
      reply_monitor_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest",
                           "The $skipToken is not valid; use the nextLink of the previous page.");
      return;
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

  stmt = cb_sb_prepare (self,
                        "SELECT event_data_id, subscription, resource_group, resource_id, "
                        "  provider, resource_type, operation_name, event_name, caller, "
                        "  caller_id, correlation_id, method, status, http_status, event_usec, "
                        "  submission_usec "
                        "FROM activity_events "
                        "WHERE subscription = :sub AND event_usec >= :from AND event_usec <= :to "
                        "  AND (:uri IS NULL OR resource_id = :uri) "
                        "  AND (:rg IS NULL OR resource_group = :rg) "
                        "  AND (:provider IS NULL OR provider = :provider) "
                        "  AND (:corr IS NULL OR correlation_id = :corr) "
                        "  AND (:caller IS NULL OR caller = :caller COLLATE NOCASE) "
                        "  AND (:status IS NULL OR status = :status) "
                        "ORDER BY event_usec DESC, seq DESC LIMIT :limit OFFSET :offset");
#define BIND_TEXT(name, value) \
  cb_sb_bind_text (stmt, sqlite3_bind_parameter_index (stmt, name), value)
  BIND_TEXT (":sub", sub);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":from"), f.from_usec);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":to"), f.to_usec);
  BIND_TEXT (":uri", f.resource_uri);
  BIND_TEXT (":rg", f.resource_group);
  BIND_TEXT (":provider", f.provider);
  BIND_TEXT (":corr", f.correlation_id);
  BIND_TEXT (":caller", f.caller);
  BIND_TEXT (":status", f.status);
#undef BIND_TEXT
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":limit"), limit + 1);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":offset"), offset);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (n++ == limit)
        {
          more = TRUE;
          break;
        }
      json_builder_add_value (b, event_json (stmt, select));
    }
  cb_sb_stmt_done (stmt);
  json_builder_end_array (b);
  if (more)
    {
      g_autofree char *link = next_link (req, (guint) offset + limit);

      json_builder_set_member_name (b, "nextLink");
      json_builder_add_string_value (b, link);
    }
  json_builder_end_object (b);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

gboolean
cb_sandbox_activity_init (CbSandbox  *self,
                          GError    **error)
{
  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  if (!cb_sb_exec (self, schema, error))
    return FALSE;

  cb_sandbox_add_route (self, "GET",
                        "/arm/subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/"
                        "management/values",
                        CB_SB_STYLE_ARM, handle_list);

  return TRUE;
}
