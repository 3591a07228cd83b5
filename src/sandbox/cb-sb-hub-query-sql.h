/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Codecs: a hub query's WHERE clause and GROUP BY keys as SQL over the hub_devices table
 * (cb-sb-hub-store.c), so SQLite filters, counts and groups the twins instead of the sandbox
 * building every twin as JSON (cb-sb-hub-query-sql.c). The SQL is exact: it gives the
 * evaluator's answer (cb-hub-query-eval.c) for every twin, its three-valued logic included;
 * a query with any part SQL cannot say exactly gets no SQL and is evaluated twin by twin. */

#include <sqlite3.h>
#include "cb-hub-query.h"

G_BEGIN_DECLS

typedef struct
{
  GString   *sql;      /* the condition, or the GROUP BY key expressions, comma separated */
  GPtrArray *binds;    /* JsonNode: what ?1, ?2, ... stand for */
} CbSbHubQuerySql;

void      cb_sb_hub_query_sql_clear   (CbSbHubQuerySql *self);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbHubQuerySql, cb_sb_hub_query_sql_clear)

/* The WHERE clause as an SQL condition over hub_devices ("1" without one), true exactly for
 * the twins the query matches; FALSE when some part has no exact SQL form. */
gboolean  cb_sb_hub_query_where_sql   (CbHubQuery      *query,
                                       CbSbHubQuerySql *out);
/* The GROUP BY paths as SQL expressions giving each twin's value as JSON text (NULL when
 * undefined), comma separated, appended to keys; their values to bind go after what out
 * holds. FALSE when a path has none. */
gboolean  cb_sb_hub_query_group_sql   (CbHubQuery      *query,
                                       CbSbHubQuerySql *out,
                                       GString         *keys);
/* Binds out's values to stmt's parameters 1..n. */
void      cb_sb_hub_query_sql_bind    (CbSbHubQuerySql *self,
                                       sqlite3_stmt    *stmt);

G_END_DECLS
