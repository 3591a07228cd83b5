/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-activity"

/* The activity log's state: every ARM management write (who, what, on which resource, when,
 * with which result and correlation id) is a row of activity_events, read back newest first
 * for the Azure Monitor stand-in (cb-sb-routes-activity.c). */

#include "config.h"

#include <string.h>

#include "cb-sb-activity.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"

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
cb_sb_log_activity (CbSandbox   *self,
                    const char  *caller,
                    const char  *caller_id,
                    const char  *correlation_id,
                    const char  *method,
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
  gint64 now = cb_sb_now_usec (self);

  g_return_if_fail (CB_IS_SANDBOX (self));
  g_return_if_fail (operation_name != NULL && resource_id != NULL && status != NULL);

  subscription = id_segment (resource_id, "subscriptions");
  resource_group = id_segment (resource_id, "resourceGroups");
  type = resource_type_of (resource_id, &provider);
  correlation = correlation_id != NULL ? g_strdup (correlation_id) : g_uuid_string_random ();

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
  cb_sb_bind_text (stmt, 9, caller);
  cb_sb_bind_text (stmt, 10, caller_id);
  cb_sb_bind_text (stmt, 11, correlation);
  cb_sb_bind_text (stmt, 12, method);
  cb_sb_bind_text (stmt, 13, status);
  sqlite3_bind_int (stmt, 14, http_status);
  sqlite3_bind_int64 (stmt, 15, now);
  if (!cb_sb_step_done (self, stmt, NULL))
    g_warning ("Could not record activity %s on %s", operation_name, resource_id);
}

/* ---- Reading ---------------------------------------------------------------------------- */

gboolean
cb_sb_activity_query (CbSandbox               *self,
                      const CbSbActivityQuery *query,
                      CbSbActivityCursor      *cursor,
                      guint                    limit,
                      CbSbActivityFunc         func,
                      gpointer                 user_data)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean more = FALSE;
  guint n = 0;

  g_return_val_if_fail (cursor != NULL, FALSE);

  stmt = cb_sb_prepare (self,
                        "SELECT event_data_id, subscription, resource_group, resource_id, "
                        "  provider, resource_type, operation_name, event_name, caller, "
                        "  caller_id, correlation_id, method, status, http_status, event_usec, "
                        "  submission_usec, seq "
                        "FROM activity_events "
                        "WHERE subscription = :sub AND event_usec >= :from AND event_usec <= :to "
                        "  AND (:uri IS NULL OR resource_id = :uri) "
                        "  AND (:rg IS NULL OR resource_group = :rg) "
                        "  AND (:provider IS NULL OR provider = :provider) "
                        "  AND (:corr IS NULL OR correlation_id = :corr) "
                        "  AND (:caller IS NULL OR caller = :caller COLLATE NOCASE) "
                        "  AND (:status IS NULL OR status = :status) "
                        "  AND (event_usec, seq) < (:after_usec, :after_seq) "
                        "ORDER BY event_usec DESC, seq DESC LIMIT :limit");
#define BIND_TEXT(name, value) \
  cb_sb_bind_text (stmt, sqlite3_bind_parameter_index (stmt, name), value)
  BIND_TEXT (":sub", query->subscription);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":from"), query->from_usec);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":to"), query->to_usec);
  BIND_TEXT (":uri", query->resource_id);
  BIND_TEXT (":rg", query->resource_group);
  BIND_TEXT (":provider", query->provider);
  BIND_TEXT (":corr", query->correlation_id);
  BIND_TEXT (":caller", query->caller);
  BIND_TEXT (":status", query->status);
#undef BIND_TEXT
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":limit"), limit + 1);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":after_usec"),
                     cursor->set ? cursor->usec : G_MAXINT64);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":after_seq"),
                     cursor->set ? cursor->seq : G_MAXINT64);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      CbSbActivityEvent event;

      if (n++ == limit)
        {
          more = TRUE;
          break;
        }

      event.event_data_id = (const char *) sqlite3_column_text (stmt, 0);
      event.subscription = (const char *) sqlite3_column_text (stmt, 1);
      event.resource_group = (const char *) sqlite3_column_text (stmt, 2);
      event.resource_id = (const char *) sqlite3_column_text (stmt, 3);
      event.provider = (const char *) sqlite3_column_text (stmt, 4);
      event.resource_type = (const char *) sqlite3_column_text (stmt, 5);
      event.operation_name = (const char *) sqlite3_column_text (stmt, 6);
      event.event_name = (const char *) sqlite3_column_text (stmt, 7);
      event.caller = (const char *) sqlite3_column_text (stmt, 8);
      event.caller_id = (const char *) sqlite3_column_text (stmt, 9);
      event.correlation_id = (const char *) sqlite3_column_text (stmt, 10);
      event.method = (const char *) sqlite3_column_text (stmt, 11);
      event.status = (const char *) sqlite3_column_text (stmt, 12);
      event.http_status = sqlite3_column_int (stmt, 13);
      event.event_usec = sqlite3_column_int64 (stmt, 14);
      event.submission_usec = sqlite3_column_int64 (stmt, 15);
      func (&event, user_data);
      cursor->usec = event.event_usec;
      cursor->seq = sqlite3_column_int64 (stmt, 16);
    }
  cb_sb_stmt_done (stmt);

  return more;
}

gboolean
cb_sb_activity_store_init (CbSandbox  *self,
                           GError    **error)
{
  return cb_sb_exec (self, schema, error);
}
