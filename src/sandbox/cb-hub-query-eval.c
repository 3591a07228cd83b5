/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-hub-query"

/* The IoT Hub query language (cb-hub-query.h): evaluating a WHERE clause against a twin, and
 * projecting a matching twin into its result row. */

#include "config.h"

#include <string.h>

#include "cb-hub-query-private.h"

typedef enum
{
  TRI_FALSE,
  TRI_TRUE,
  TRI_UNDEFINED,
} Tri;

static JsonNode *
member_of (JsonObject *obj,
           const char *name,
           gboolean    fold_case)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL && fold_case)
    {
      /* Twin system properties match regardless of case (DeviceId, LastActivityTime). */
      g_autoptr(GList) members = json_object_get_members (obj);

      for (GList *l = members; l != NULL; l = l->next)
        if (g_ascii_strcasecmp (l->data, name) == 0)
          return json_object_get_member (obj, l->data);
    }

  return node;
}

/* The value a path names in the twin, or NULL when it is undefined. */
JsonNode *
cb_hub_query_resolve (JsonObject  *twin,
                      char       **path)
{
  JsonNode *node = NULL;
  JsonObject *obj = twin;

  for (guint i = 0; path[i] != NULL; i++)
    {
      if (obj == NULL)
        return NULL;
      node = member_of (obj, path[i], i == 0);
      if (node == NULL)
        return NULL;
      obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }

  return node;
}

static JsonNode *
operand_value (Operand    *o,
               JsonObject *twin)
{
  return o->path != NULL ? cb_hub_query_resolve (twin, o->path) : o->literal;
}

typedef enum
{
  KIND_NONE,
  KIND_NULL,
  KIND_BOOL,
  KIND_NUMBER,
  KIND_STRING,
} PrimKind;

static PrimKind
prim_kind (JsonNode *node)
{
  GType type;

  if (node == NULL)
    return KIND_NONE;
  if (JSON_NODE_HOLDS_NULL (node))
    return KIND_NULL;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return KIND_NONE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_BOOLEAN)
    return KIND_BOOL;
  if (type == G_TYPE_STRING)
    return KIND_STRING;
  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE || type == G_TYPE_INT || type == G_TYPE_FLOAT)
    return KIND_NUMBER;
  return KIND_NONE;
}

/* Compares two primitives of the same kind; FALSE when they cannot be compared. */
static gboolean
compare_values (JsonNode *a,
                JsonNode *b,
                int      *result)
{
  PrimKind ka = prim_kind (a);
  PrimKind kb = prim_kind (b);

  if (ka == KIND_NONE || ka != kb)
    return FALSE;

  switch (ka)
    {
    case KIND_NULL:
      *result = 0;
      return TRUE;

    case KIND_BOOL:
      *result = (int) json_node_get_boolean (a) - (int) json_node_get_boolean (b);
      return TRUE;

    case KIND_STRING:
      {
        int c = strcmp (json_node_get_string (a), json_node_get_string (b));

        *result = (c > 0) - (c < 0);
        return TRUE;
      }

    case KIND_NUMBER:
      if (json_node_get_value_type (a) == G_TYPE_INT64 && json_node_get_value_type (b) == G_TYPE_INT64)
        {
          gint64 x = json_node_get_int (a);
          gint64 y = json_node_get_int (b);

          *result = (x > y) - (x < y);
        }
      else
        {
          double x = json_node_get_double (a);
          double y = json_node_get_double (b);

          *result = (x > y) - (x < y);
        }
      return TRUE;

    case KIND_NONE:
    default:
      return FALSE;
    }
}

static Tri
tri_from_bool (gboolean b)
{
  return b ? TRI_TRUE : TRI_FALSE;
}

static Tri
evaluate (Expr       *e,
          JsonObject *twin)
{
  switch (e->kind)
    {
    case EXPR_OR:
      {
        Tri a = evaluate (e->a, twin);
        Tri b;

        if (a == TRI_TRUE)
          return TRI_TRUE;
        b = evaluate (e->b, twin);
        if (b == TRI_TRUE)
          return TRI_TRUE;
        if (a == TRI_FALSE && b == TRI_FALSE)
          return TRI_FALSE;
        return TRI_UNDEFINED;
      }

    case EXPR_AND:
      {
        Tri a = evaluate (e->a, twin);
        Tri b;

        if (a == TRI_FALSE)
          return TRI_FALSE;
        b = evaluate (e->b, twin);
        if (b == TRI_FALSE)
          return TRI_FALSE;
        if (a == TRI_TRUE && b == TRI_TRUE)
          return TRI_TRUE;
        return TRI_UNDEFINED;
      }

    case EXPR_NOT:
      {
        Tri a = evaluate (e->a, twin);

        if (a == TRI_UNDEFINED)
          return TRI_UNDEFINED;
        return a == TRI_TRUE ? TRI_FALSE : TRI_TRUE;
      }

    case EXPR_CMP:
      {
        int c;

        if (!compare_values (operand_value (&e->lhs, twin), operand_value (&e->rhs, twin), &c))
          return TRI_UNDEFINED;

        switch (e->op)
          {
          case OP_EQ: return tri_from_bool (c == 0);
          case OP_NE: return tri_from_bool (c != 0);
          case OP_LT: return tri_from_bool (c < 0);
          case OP_GT: return tri_from_bool (c > 0);
          case OP_LE: return tri_from_bool (c <= 0);
          case OP_GE: return tri_from_bool (c >= 0);
          default: return TRI_UNDEFINED;
          }
      }

    case EXPR_IN:
    case EXPR_NIN:
      {
        JsonNode *v = operand_value (&e->lhs, twin);
        PrimKind kind = prim_kind (v);
        gboolean found = FALSE;

        if (kind == KIND_NONE)
          return TRI_UNDEFINED;

        for (guint i = 0; i < e->list->len && !found; i++)
          {
            int c;

            if (compare_values (v, g_ptr_array_index (e->list, i), &c) && c == 0)
              found = TRUE;
          }
        return tri_from_bool (e->kind == EXPR_IN ? found : !found);
      }

    case EXPR_DEFINED:
      return tri_from_bool (cb_hub_query_resolve (twin, e->lhs.path) != NULL);

    case EXPR_STARTSWITH:
    case EXPR_ENDSWITH:
      {
        JsonNode *v = cb_hub_query_resolve (twin, e->lhs.path);
        const char *affix = json_node_get_string (e->rhs.literal);

        if (prim_kind (v) != KIND_STRING)
          return TRI_UNDEFINED;
        if (e->kind == EXPR_STARTSWITH)
          return tri_from_bool (g_str_has_prefix (json_node_get_string (v), affix));
        return tri_from_bool (g_str_has_suffix (json_node_get_string (v), affix));
      }

    default:
      return TRI_UNDEFINED;
    }
}

gboolean
cb_hub_query_matches (CbHubQuery *self,
                      JsonObject *twin)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (twin != NULL, FALSE);

  if (self->where == NULL)
    return TRUE;

  return evaluate (self->where, twin) == TRI_TRUE;
}

JsonNode *
cb_hub_query_project (CbHubQuery *self,
                      JsonObject *twin)
{
  JsonObject *out;
  JsonNode *node;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (twin != NULL, NULL);
  g_return_val_if_fail (!self->aggregate, NULL);

  node = json_node_new (JSON_NODE_OBJECT);

  if (self->select_all)
    {
      /* Shares the twin's members: callers build a twin per row and drop it after. */
      json_node_set_object (node, twin);
      return node;
    }

  out = json_object_new ();
  for (guint i = 0; i < self->items->len; i++)
    {
      SelectItem *item = g_ptr_array_index (self->items, i);
      JsonNode *v = cb_hub_query_resolve (twin, item->path);

      /* Undefined values are left out of the row, as the hub does. */
      if (v != NULL)
        json_object_set_member (out, item->name, json_node_copy (v));
    }

  json_node_take_object (node, out);
  return node;
}

