/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* Codecs: hub queries as SQL over hub_devices (cb-sb-hub-query-sql.h).
 *
 * Each path the query reads becomes two SQL expressions: its value and its JSON type
 * (json_type's names: 'text', 'integer', 'real', 'true', 'false', 'null', 'object', 'array';
 * NULL when the path is undefined). A comparison is SQL NULL unless both sides are primitives
 * of the same kind, which is the evaluator's "undefined", and SQL's AND, OR and NOT treat NULL
 * as the evaluator treats undefined. Strings compare byte by byte in both (UTF-8 orders as
 * code points). Paths map to columns: deviceId, status, connectionState, lastActivityTime
 * (formatted as the twin shows it), tags.* (json in tags) and properties.reported.* (json in
 * reported, except the $metadata and $version the twin adds). Any other path, a comparison of
 * two paths or of two literals, or a member name a JSON path cannot quote, gives no SQL. */

#include "config.h"

#include <string.h>

#include "cb-hub-query-private.h"
#include "cb-sb-hub-query-sql.h"

/* lastActivityTime as cb_sb_hub_format_time() writes it: milliseconds, or the year 1 for
 * never. */
#define ACTIVITY_SQL \
  "(CASE WHEN last_activity <= 0 THEN '0001-01-01T00:00:00Z' ELSE " \
  "strftime('%Y-%m-%dT%H:%M:%S', last_activity / 1000000, 'unixepoch') || " \
  "printf('.%03dZ', (last_activity % 1000000) / 1000) END)"

typedef struct
{
  char *value;   /* SQL giving the value (text for strings, 0/1 not used for booleans) */
  char *type;    /* SQL giving the json_type name, or NULL when it is always 'text' */
  const char *json_column;
  char *path_param;
} Column;

static void
column_clear (Column *c)
{
  g_clear_pointer (&c->value, g_free);
  g_clear_pointer (&c->type, g_free);
  g_clear_pointer (&c->path_param, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Column, column_clear)

void
cb_sb_hub_query_sql_clear (CbSbHubQuerySql *self)
{
  if (self->sql != NULL)
    g_string_free (self->sql, TRUE);
  self->sql = NULL;
  g_clear_pointer (&self->binds, g_ptr_array_unref);
}

static void
ensure (CbSbHubQuerySql *out)
{
  if (out->sql == NULL)
    out->sql = g_string_new (NULL);
  if (out->binds == NULL)
    out->binds = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
}

/* Adds a value to bind and returns its parameter, "?N". */
static char *
bind (CbSbHubQuerySql *out,
      JsonNode        *value)
{
  g_ptr_array_add (out->binds, json_node_ref (value));
  return g_strdup_printf ("?%u", out->binds->len);
}

static char *
bind_string (CbSbHubQuerySql *out,
             const char      *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return bind (out, node);
}

/* A JSON path SQLite reads exactly as the hub query names it: $."a"."b". */
static char *
json_path (char **names)
{
  GString *path = g_string_new ("$");

  for (guint i = 0; names[i] != NULL; i++)
    {
      if (names[i][0] == '\0' || strpbrk (names[i], "\"\\") != NULL)
        {
          g_string_free (path, TRUE);
          return NULL;
        }
      g_string_append_printf (path, ".\"%s\"", names[i]);
    }
  return g_string_free (path, FALSE);
}

static gboolean
map_path (char            **path,
          CbSbHubQuerySql  *out,
          Column           *col)
{
  const char *json_column = NULL;
  char **rest = NULL;
  g_autofree char *jpath = NULL;
  g_autofree char *param = NULL;

  if (path == NULL || path[0] == NULL)
    return FALSE;

  /* The first name matches regardless of case, as in the evaluator. */
  if (path[1] == NULL)
    {
      const char *simple = NULL;

      if (g_ascii_strcasecmp (path[0], "deviceId") == 0)
        simple = "device_id";
      else if (g_ascii_strcasecmp (path[0], "status") == 0)
        simple = "status";
      else if (g_ascii_strcasecmp (path[0], "connectionState") == 0)
        simple = "connection_state";
      else if (g_ascii_strcasecmp (path[0], "lastActivityTime") == 0)
        simple = ACTIVITY_SQL;

      if (simple == NULL)
        return FALSE;
      col->value = g_strdup (simple);
      col->type = NULL;
      return TRUE;
    }

  if (g_ascii_strcasecmp (path[0], "tags") == 0)
    {
      json_column = "tags";
      rest = path + 1;
    }
  else if (g_ascii_strcasecmp (path[0], "properties") == 0 && g_str_equal (path[1], "reported") &&
           path[2] != NULL && path[2][0] != '$')
    {
      json_column = "reported";
      rest = path + 2;
    }
  else
    return FALSE;

  if (!(jpath = json_path (rest)))
    return FALSE;
  param = bind_string (out, jpath);
  col->value = g_strdup_printf ("json_extract(%s, %s)", json_column, param);
  col->type = g_strdup_printf ("json_type(%s, %s)", json_column, param);
  col->json_column = json_column;
  col->path_param = g_steal_pointer (&param);
  return TRUE;
}

typedef enum
{
  LIT_NULL,
  LIT_BOOL,
  LIT_NUMBER,
  LIT_STRING,
  LIT_OTHER,
} LitKind;

static LitKind
lit_kind (JsonNode *node)
{
  GType type;

  if (JSON_NODE_HOLDS_NULL (node))
    return LIT_NULL;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return LIT_OTHER;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_BOOLEAN)
    return LIT_BOOL;
  if (type == G_TYPE_STRING)
    return LIT_STRING;
  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE)
    return LIT_NUMBER;
  return LIT_OTHER;
}

/* SQL true when the column holds a primitive of the literal's kind. */
static char *
same_kind (Column  *col,
           LitKind  kind)
{
  if (col->type == NULL)
    return g_strdup (kind == LIT_STRING ? "1" : "0");

  switch (kind)
    {
    case LIT_NULL:
      return g_strdup_printf ("%s = 'null'", col->type);
    case LIT_BOOL:
      return g_strdup_printf ("%s IN ('true', 'false')", col->type);
    case LIT_NUMBER:
      return g_strdup_printf ("%s IN ('integer', 'real')", col->type);
    case LIT_STRING:
      return g_strdup_printf ("%s = 'text'", col->type);
    case LIT_OTHER:
    default:
      return g_strdup ("0");
    }
}

/* The column's value as it compares with a literal of that kind (booleans as 0/1). */
static char *
comparable (Column  *col,
            LitKind  kind)
{
  if (kind == LIT_BOOL)
    return g_strdup_printf ("(%s = 'true')", col->type);
  return g_strdup (col->value);
}

static char *
literal_sql (CbSbHubQuerySql *out,
             JsonNode        *lit,
             LitKind          kind)
{
  if (kind == LIT_BOOL)
    return g_strdup (json_node_get_boolean (lit) ? "1" : "0");
  if (kind == LIT_NULL)
    return g_strdup ("0");
  return bind (out, lit);
}

static const char *
op_sql (CmpOp op)
{
  switch (op)
    {
    case OP_EQ: return "=";
    case OP_NE: return "!=";
    case OP_LT: return "<";
    case OP_GT: return ">";
    case OP_LE: return "<=";
    case OP_GE: return ">=";
    default: return NULL;
    }
}

/* a op b is b flipped(op) a. */
static CmpOp
flip (CmpOp op)
{
  switch (op)
    {
    case OP_LT: return OP_GT;
    case OP_GT: return OP_LT;
    case OP_LE: return OP_GE;
    case OP_GE: return OP_LE;
    case OP_EQ:
    case OP_NE:
    default:
      return op;
    }
}

static gboolean translate (Expr *e, CbSbHubQuerySql *out);

static gboolean
translate_cmp (Expr            *e,
               CbSbHubQuerySql *out)
{
  g_auto(Column) col = { 0 };
  g_autofree char *kind_sql = NULL;
  g_autofree char *value = NULL;
  g_autofree char *lit = NULL;
  Operand *path_side;
  Operand *lit_side;
  CmpOp op = e->op;
  LitKind kind;

  if (e->lhs.path != NULL && e->rhs.path == NULL)
    {
      path_side = &e->lhs;
      lit_side = &e->rhs;
    }
  else if (e->lhs.path == NULL && e->rhs.path != NULL)
    {
      path_side = &e->rhs;
      lit_side = &e->lhs;
      op = flip (op);
    }
  else
    return FALSE;

  kind = lit_kind (lit_side->literal);
  if (kind == LIT_OTHER || op_sql (op) == NULL || !map_path (path_side->path, out, &col))
    return FALSE;

  /* A column always holds a string: against any other kind the comparison is undefined. */
  if (col.type == NULL && kind != LIT_STRING)
    {
      g_string_append (out->sql, "NULL");
      return TRUE;
    }

  kind_sql = same_kind (&col, kind);
  value = comparable (&col, kind);
  lit = literal_sql (out, lit_side->literal, kind);
  /* Undefined (NULL) unless the kinds agree; nulls are all equal. */
  g_string_append_printf (out->sql, "(CASE WHEN %s THEN %s %s %s END)", kind_sql,
                          kind == LIT_NULL ? "0" : value, op_sql (op), lit);
  return TRUE;
}

static gboolean
translate_in (Expr            *e,
              CbSbHubQuerySql *out)
{
  g_auto(Column) col = { 0 };

  if (e->lhs.path == NULL || !map_path (e->lhs.path, out, &col))
    return FALSE;

  /* Undefined unless the value is a primitive; then whether one literal of its kind equals it. */
  if (col.type != NULL)
    g_string_append_printf (out->sql, "(CASE WHEN %s IN ('null', 'true', 'false', 'integer', "
                            "'real', 'text') THEN ", col.type);
  else
    g_string_append (out->sql, "(CASE WHEN 1 THEN ");
  g_string_append (out->sql, e->kind == EXPR_NIN ? "NOT (0" : "(0");

  for (guint i = 0; i < e->list->len; i++)
    {
      JsonNode *lit = g_ptr_array_index (e->list, i);
      LitKind kind = lit_kind (lit);
      g_autofree char *kind_sql = NULL;
      g_autofree char *value = NULL;
      g_autofree char *lit_sql = NULL;

      if (kind == LIT_OTHER)
        return FALSE;
      if (col.type == NULL && kind != LIT_STRING)
        continue;       /* a column's string never equals another kind */
      kind_sql = same_kind (&col, kind);
      value = comparable (&col, kind);
      lit_sql = literal_sql (out, lit, kind);
      g_string_append_printf (out->sql, " OR (%s AND %s = %s)", kind_sql,
                              kind == LIT_NULL ? "0" : value, lit_sql);
    }
  g_string_append (out->sql, ") END)");
  return TRUE;
}

static gboolean
translate_affix (Expr            *e,
                 CbSbHubQuerySql *out)
{
  g_auto(Column) col = { 0 };
  g_autofree char *kind_sql = NULL;
  g_autofree char *param = NULL;
  const char *affix;
  gsize len;

  if (e->rhs.literal == NULL || lit_kind (e->rhs.literal) != LIT_STRING ||
      !map_path (e->lhs.path, out, &col))
    return FALSE;

  affix = json_node_get_string (e->rhs.literal);
  len = strlen (affix);
  kind_sql = same_kind (&col, LIT_STRING);
  if (len == 0)
    {
      g_string_append_printf (out->sql, "(CASE WHEN %s THEN 1 END)", kind_sql);
      return TRUE;
    }

  /* Bytes, not characters: the evaluator compares bytes too. */
  param = bind (out, e->rhs.literal);
  g_string_append_printf (out->sql,
                          "(CASE WHEN %s THEN substr(CAST(%s AS BLOB), %s%zu%s) = CAST(%s AS BLOB) END)",
                          kind_sql, col.value, e->kind == EXPR_STARTSWITH ? "1, " : "-",
                          len, "", param);
  return TRUE;
}

static gboolean
translate (Expr            *e,
           CbSbHubQuerySql *out)
{
  switch (e->kind)
    {
    case EXPR_OR:
    case EXPR_AND:
      g_string_append_c (out->sql, '(');
      if (!translate (e->a, out))
        return FALSE;
      g_string_append (out->sql, e->kind == EXPR_OR ? " OR " : " AND ");
      if (!translate (e->b, out))
        return FALSE;
      g_string_append_c (out->sql, ')');
      return TRUE;

    case EXPR_NOT:
      g_string_append (out->sql, "(NOT ");
      if (!translate (e->a, out))
        return FALSE;
      g_string_append_c (out->sql, ')');
      return TRUE;

    case EXPR_CMP:
      return translate_cmp (e, out);

    case EXPR_IN:
    case EXPR_NIN:
      return translate_in (e, out);

    case EXPR_DEFINED:
      {
        g_auto(Column) col = { 0 };

        if (!map_path (e->lhs.path, out, &col))
          return FALSE;
        if (col.type == NULL)
          g_string_append (out->sql, "1");
        else
          g_string_append_printf (out->sql, "(%s IS NOT NULL)", col.type);
        return TRUE;
      }

    case EXPR_STARTSWITH:
    case EXPR_ENDSWITH:
      return translate_affix (e, out);

    default:
      return FALSE;
    }
}

gboolean
cb_sb_hub_query_where_sql (CbHubQuery      *query,
                           CbSbHubQuerySql *out)
{
  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  ensure (out);
  if (query->where == NULL)
    {
      g_string_append (out->sql, "1");
      return TRUE;
    }
  return translate (query->where, out);
}

gboolean
cb_sb_hub_query_group_sql (CbHubQuery      *query,
                           CbSbHubQuerySql *out,
                           GString         *keys)
{
  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  ensure (out);
  for (guint i = 0; i < query->group_by->len; i++)
    {
      g_auto(Column) col = { 0 };

      if (!map_path (g_ptr_array_index (query->group_by, i), out, &col))
        return FALSE;
      if (i > 0)
        g_string_append (keys, ", ");
      /* The value as JSON text: -> gives the stored text itself (what json-glib wrote), so
       * equal values group together exactly as the evaluator's serialized keys do. */
      if (col.type == NULL)
        g_string_append_printf (keys, "json_quote(%s)", col.value);
      else
        g_string_append_printf (keys, "(%s -> %s)", col.json_column, col.path_param);
    }
  return TRUE;
}

void
cb_sb_hub_query_sql_bind (CbSbHubQuerySql *self,
                          sqlite3_stmt    *stmt)
{
  for (guint i = 0; self->binds != NULL && i < self->binds->len; i++)
    {
      JsonNode *node = g_ptr_array_index (self->binds, i);
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_STRING)
        sqlite3_bind_text (stmt, i + 1, json_node_get_string (node), -1, SQLITE_TRANSIENT);
      else if (type == G_TYPE_INT64)
        sqlite3_bind_int64 (stmt, i + 1, json_node_get_int (node));
      else if (type == G_TYPE_DOUBLE)
        sqlite3_bind_double (stmt, i + 1, json_node_get_double (node));
      else
        sqlite3_bind_null (stmt, i + 1);
    }
}
