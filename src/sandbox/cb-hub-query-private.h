/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Codecs, inside the IoT Hub query language (cb-hub-query.h): the tree a query parses into,
 * shared by the parser (cb-hub-query.c), the evaluation (cb-hub-query-eval.c) and the
 * grouping (cb-hub-query-groups.c). */

#include <json-glib/json-glib.h>
#include "cb-hub-query.h"
#include "cb-hub-query-lex.h"

G_BEGIN_DECLS

typedef enum
{
  EXPR_OR,
  EXPR_AND,
  EXPR_NOT,
  EXPR_CMP,
  EXPR_IN,
  EXPR_NIN,
  EXPR_DEFINED,
  EXPR_STARTSWITH,
  EXPR_ENDSWITH,
} ExprKind;

typedef struct
{
  char     **path;     /* property path, or NULL for a literal */
  JsonNode  *literal;
} Operand;

typedef struct _Expr Expr;
struct _Expr
{
  ExprKind   kind;
  Expr      *a;
  Expr      *b;
  CmpOp      op;
  Operand    lhs;
  Operand    rhs;
  GPtrArray *list;     /* JsonNode literals of IN / NIN */
};

typedef enum
{
  ITEM_PATH,
  ITEM_COUNT,
} ItemKind;

typedef struct
{
  ItemKind  kind;
  char    **path;
  char     *name;
} SelectItem;

struct _CbHubQuery
{
  gboolean   select_all;
  GPtrArray *items;      /* SelectItem */
  gint64     top;
  Expr      *where;
  GPtrArray *group_by;   /* char ** paths */
  gboolean   aggregate;
};


/* The value a path names in the twin, or NULL when it is undefined (cb-hub-query-eval.c). */
JsonNode     *cb_hub_query_resolve             (JsonObject  *twin,
                                                char       **path);
gboolean      cb_hub_query_paths_equal         (char       **a,
                                                char       **b);

G_END_DECLS
