/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* IoT Hub's service REST surface: the device query (POST /hubs/{hub}/devices/query) over the
 * twins, in the hub's query language (cb-hub-query.c), paged with x-ms-max-item-count and
 * x-ms-continuation. */

#include "config.h"

#include <string.h>

#include "cb-hub-query.h"
#include "cb-sb-hub-query-sql.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-hub-auth.h"
#include "cb-sb-routes-hub-query.h"
#include "cb-sb-store.h"
#include "cb-sb-twin-store.h"

/* Continuation tokens carry the query's hash (so a token is refused for another query), how
 * many rows were returned so far (for TOP), and where to go on: after a device id for row
 * queries, at an offset into the groups for aggregates. */
static char *
make_continuation (const char *query_hash,
                   gint64      emitted,
                   const char *position)
{
  g_autofree char *text = g_strdup_printf ("v1\n%s\n%" G_GINT64_FORMAT "\n%s",
                                           query_hash, emitted, position);

  return g_base64_encode ((const guchar *) text, strlen (text));
}

static gboolean
parse_continuation (const char  *token,
                    const char  *query_hash,
                    gint64      *emitted,
                    char       **position)
{
  g_autofree guchar *raw = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;
  gsize len = 0;
  char *end = NULL;

  for (const char *p = token; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return FALSE;

  raw = g_base64_decode (token, &len);
  text = g_strndup ((const char *) raw, len);
  parts = g_strsplit (text, "\n", 4);
  if (g_strv_length (parts) != 4 || !g_str_equal (parts[0], "v1") ||
      !g_str_equal (parts[1], query_hash))
    return FALSE;

  *emitted = g_ascii_strtoll (parts[2], &end, 10);
  if (end == parts[2] || *end != '\0' || *emitted < 0)
    return FALSE;

  *position = g_strdup (parts[3]);
  return TRUE;
}

/* SQL filtering, counting and grouping (cb-sb-hub-query-sql.c), unless
 * CB_SANDBOX_HUB_QUERY=evaluate asks for the twin-by-twin evaluator (tests compare the two). */
static gboolean
use_sql (void)
{
  return g_strcmp0 (g_getenv ("CB_SANDBOX_HUB_QUERY"), "evaluate") != 0;
}

static void
node_unref0 (gpointer p)
{
  if (p != NULL)
    json_node_unref (p);
}

/* A statement of its own (the SQL changes with every query); NULL when SQLite cannot take it
 * (an expression deeper than it allows): the caller then evaluates twin by twin. */
static sqlite3_stmt *
prepare_query (CbSbRequest     *req,
               const char      *sql,
               CbSbHubQuerySql *binds,
               const char      *hub,
               const char      *after)
{
  sqlite3_stmt *stmt = NULL;
  int index;

  if (sqlite3_prepare_v2 (req->sandbox->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_debug ("hub query without SQL: %s", sqlite3_errmsg (req->sandbox->db));
      sqlite3_finalize (stmt);
      return NULL;
    }
  if (binds != NULL)
    cb_sb_hub_query_sql_bind (binds, stmt);
  /* The hub and the position take the parameters after the query's own. */
  index = binds != NULL && binds->binds != NULL ? (int) binds->binds->len : 0;
  sqlite3_bind_text (stmt, index + 1, hub, -1, SQLITE_TRANSIENT);
  if (sqlite3_bind_parameter_count (stmt) >= index + 2)
    sqlite3_bind_text (stmt, index + 2, after != NULL ? after : "", -1, SQLITE_TRANSIENT);
  return stmt;
}

/* Counts (and groups) the matching twins in SQLite. FALSE when it cannot. */
static gboolean
count_in_sql (CbSbRequest      *req,
              CbHubQuery       *query,
              CbSbHubQuerySql  *where,
              const char       *hub,
              CbHubQueryGroups *groups)
{
  g_autoptr(GString) keys = g_string_new (NULL);
  g_autoptr(GString) sql = g_string_new ("SELECT ");
  guint n_keys = cb_hub_query_get_group_by_length (query);
  sqlite3_stmt *stmt;
  int rc;

  if (!cb_sb_hub_query_group_sql (query, where, keys))
    return FALSE;

  if (n_keys > 0)
    g_string_append_printf (sql, "%s, ", keys->str);
  g_string_append_printf (sql, "COUNT(*) FROM hub_devices WHERE hub = ?%u AND (%s)",
                          where->binds->len + 1, where->sql->str);
  /* Groups in the order of their first twin by device id, as the evaluator meets them. */
  if (n_keys > 0)
    {
      g_string_append (sql, " GROUP BY ");
      for (guint i = 0; i < n_keys; i++)
        g_string_append_printf (sql, "%s%u", i > 0 ? ", " : "", i + 1);
      g_string_append (sql, " ORDER BY MIN(device_id)");
    }

  if (!(stmt = prepare_query (req, sql->str, where, hub, NULL)))
    return FALSE;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (node_unref0);

      for (guint i = 0; i < n_keys; i++)
        {
          const char *text = (const char *) sqlite3_column_text (stmt, i);

          g_ptr_array_add (values, text != NULL ? json_from_string (text, NULL) : NULL);
        }
      cb_hub_query_groups_add_counted (groups, values, sqlite3_column_int64 (stmt, n_keys));
    }
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE;
}

static void
handle_query (CbSbRequest *req)
{
  g_auto(CbSbHubContext) ctx = { 0 };
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(CbHubQuery) query = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) page = json_array_new ();
  g_autofree char *query_hash = NULL;
  g_autofree char *position = NULL;
  g_autofree char *next = NULL;
  const char *text;
  const char *max_text = cb_sb_header (req, "x-ms-max-item-count");
  const char *continuation = cb_sb_header (req, "x-ms-continuation");
  gint64 page_size = MIN (req->sandbox->page_size, CB_SB_HUB_MAX_PAGE_SIZE);
  gint64 emitted = 0;
  gint64 top;
  JsonNode *root;
  g_auto(CbSbHubQuerySql) where = { 0 };
  gboolean sql_where;

  if (!cb_sb_hub_begin_request (req, &ctx, CB_SB_HUB_RIGHT_REGISTRY_READ | CB_SB_HUB_RIGHT_SERVICE,
                                "RegistryRead"))
    return;

  if (!(body = cb_sb_json_body (req, FALSE)))
    return;
  text = JSON_NODE_HOLDS_OBJECT (body)
         ? cb_sb_json_member_string (json_node_get_object (body), "query") : NULL;
  if (text == NULL)
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "The body must be {\"query\": \"SELECT ... FROM devices ...\"}");
      return;
    }

  if (!(query = cb_hub_query_parse (text, &error)))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "%s", error->message);
      return;
    }

  if (max_text != NULL)
    {
      char *end = NULL;
      gint64 n = g_ascii_strtoll (max_text, &end, 10);

      if (end == max_text || *end != '\0' || n < 1)
        {
          cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                             "x-ms-max-item-count must be a whole number from 1 to %d",
                             CB_SB_HUB_MAX_PAGE_SIZE);
          return;
        }
      page_size = MIN (n, CB_SB_HUB_MAX_PAGE_SIZE);
    }

  query_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  query_hash[16] = '\0';

  if (continuation != NULL && *continuation != '\0' &&
      !parse_continuation (continuation, query_hash, &emitted, &position))
    {
      cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004,
                         "The continuation token is not valid for this query");
      return;
    }

  top = cb_hub_query_get_top (query);
  sql_where = use_sql () && cb_sb_hub_query_where_sql (query, &where);

  if (cb_hub_query_is_aggregate (query))
    {
      g_autoptr(CbHubQueryGroups) groups = cb_hub_query_groups_new (query);
      g_autoptr(JsonArray) all = NULL;
      gint64 offset = emitted;
      guint total;

      if (!sql_where || !count_in_sql (req, query, &where, ctx.hub, groups))
        {
          g_autoptr(CbSbStmt) stmt = cb_sb_prepare (req->sandbox,
              "SELECT " CB_SB_HUB_DEVICE_COLUMNS " FROM hub_devices WHERE hub = ? "
              "ORDER BY device_id");

          /* A fresh start: count_in_sql may have added groups before it failed. */
          g_clear_pointer (&groups, cb_hub_query_groups_free);
          groups = cb_hub_query_groups_new (query);
          sqlite3_bind_text (stmt, 1, ctx.hub, -1, SQLITE_TRANSIENT);
          while (sqlite3_step (stmt) == SQLITE_ROW)
            {
              g_autoptr(CbSbHubDevice) dev = cb_sb_hub_device_from_row (stmt);
              g_autoptr(JsonObject) twin = cb_sb_hub_twin_to_object (dev);

              if (cb_hub_query_matches (query, twin))
                cb_hub_query_groups_add (groups, twin);
            }
          sqlite3_reset (stmt);
        }

      all = cb_hub_query_groups_finish (groups);
      total = json_array_get_length (all);
      for (gint64 i = offset; i < total && i < offset + page_size; i++)
        json_array_add_element (page, json_node_copy (json_array_get_element (all, i)));
      if (offset + page_size < total)
        next = make_continuation (query_hash, offset + page_size, "");
    }
  else
    {
      g_autofree char *last_id = NULL;
      g_autofree char *sql = NULL;
      sqlite3_stmt *stmt = NULL;

      /* Only the matching twins are built as JSON. */
      if (sql_where)
        {
          sql = g_strdup_printf ("SELECT " CB_SB_HUB_DEVICE_COLUMNS " FROM hub_devices "
                                 "WHERE hub = ?%u AND device_id > ?%u AND (%s) "
                                 "ORDER BY device_id", where.binds->len + 1,
                                 where.binds->len + 2, where.sql->str);
          stmt = prepare_query (req, sql, &where, ctx.hub, position);
        }
      if (stmt == NULL)
        stmt = prepare_query (req, "SELECT " CB_SB_HUB_DEVICE_COLUMNS " FROM hub_devices "
                              "WHERE hub = ?1 AND device_id > ?2 ORDER BY device_id",
                              NULL, ctx.hub, position);
      if (stmt == NULL)
        {
          cb_sb_reply_error (req, 500, "ServerError", 500000, "The twins could not be read");
          return;
        }

      while ((top < 0 || emitted < top) && sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_autoptr(CbSbHubDevice) dev = cb_sb_hub_device_from_row (stmt);
          g_autoptr(JsonObject) twin = cb_sb_hub_twin_to_object (dev);

          if (!cb_hub_query_matches (query, twin))
            continue;

          if ((gint64) json_array_get_length (page) == page_size)
            {
              /* One more match exists: the client must come back for it. */
              next = make_continuation (query_hash, emitted, last_id);
              break;
            }

          json_array_add_element (page, cb_hub_query_project (query, twin));
          emitted++;
          g_free (last_id);
          last_id = g_strdup (dev->device_id);
        }
      sqlite3_finalize (stmt);
    }

  if (next != NULL)
    cb_sb_set_header (req, "x-ms-continuation", next);
  cb_sb_set_header (req, "x-ms-item-type", cb_hub_query_selects_all (query) ? "twin" : "raw");

  root = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (root, page);
  cb_sb_reply_json (req, 200, root);
}

void
cb_sb_routes_hub_query_add (CbSandbox *self)
{
  /* The query route comes first: a device may well be called "query". */
  cb_sb_add_route (self, "POST", "/hubs/{hub}/devices/query", CB_SB_STYLE_HUB, handle_query);
}
