/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-hub-query"

/* The IoT Hub query language (cb-hub-query.h): the tree and the parser. The lexer is in
 * cb-hub-query-lex.c, the evaluation in cb-hub-query-eval.c, the grouping in
 * cb-hub-query-groups.c. */

#include "config.h"

#include "cb-hub-query-private.h"

typedef struct
{
  const char *text;
  GArray     *tokens;   /* Token */
  guint       pos;
  guint       depth;        /* open parentheses and NOTs around the current condition */
  guint       conditions;   /* conditions parsed so far */
} Parser;

/* ---- Tree ------------------------------------------------------------------------------ */

static void
operand_clear (Operand *o)
{
  g_clear_pointer (&o->path, g_strfreev);
  g_clear_pointer (&o->literal, json_node_unref);
}

static void
expr_free (Expr *e)
{
  if (e == NULL)
    return;
  expr_free (e->a);
  expr_free (e->b);
  operand_clear (&e->lhs);
  operand_clear (&e->rhs);
  g_clear_pointer (&e->list, g_ptr_array_unref);
  g_free (e);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Expr, expr_free)

static void
select_item_free (gpointer p)
{
  SelectItem *item = p;

  g_strfreev (item->path);
  g_free (item->name);
  g_free (item);
}

void
cb_hub_query_free (CbHubQuery *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->group_by, g_ptr_array_unref);
  expr_free (self->where);
  g_free (self);
}

/* ---- Parser ---------------------------------------------------------------------------- */

static Token *
peek (Parser *p)
{
  return &g_array_index (p->tokens, Token, p->pos);
}

static Token *
advance (Parser *p)
{
  Token *t = peek (p);

  if (t->kind != TOK_EOF)
    p->pos++;
  return t;
}

static gboolean
tok_is_word (Token      *t,
             const char *word)
{
  return t->kind == TOK_IDENT && g_ascii_strcasecmp (t->text, word) == 0;
}

static gboolean
is_reserved (Token *t)
{
  for (guint i = 0; cb_hub_query_reserved_words[i] != NULL; i++)
    if (tok_is_word (t, cb_hub_query_reserved_words[i]))
      return TRUE;
  return FALSE;
}

static gboolean
fail_at (Parser      *p,
         Token       *t,
         GError     **error,
         const char  *expected)
{
  return cb_hub_query_syntax_error_at (p->text, t->start, t->len, error, "%s", expected);
}

static gboolean
too_complex_at (Parser      *p,
                Token       *t,
                GError     **error,
                const char  *what)
{
  guint line, column;
  g_autofree char *near = g_strndup (p->text + t->start, MIN (t->len, 64));

  cb_hub_query_position_of (p->text, t->start, &line, &column);
  g_set_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_TOO_COMPLEX,
               "The query is too complex at line %u, column %u near '%s': %s",
               line, column, near, what);
  return FALSE;
}

/* One more level of parentheses or NOT; fails past CB_HUB_QUERY_MAX_DEPTH. */
static gboolean
enter_level (Parser  *p,
             GError **error)
{
  if (p->depth >= CB_HUB_QUERY_MAX_DEPTH)
    return too_complex_at (p, peek (p), error,
                           "conditions nest more than " G_STRINGIFY (CB_HUB_QUERY_MAX_DEPTH)
                           " levels deep (parentheses and NOT), the limit");
  p->depth++;
  return TRUE;
}

/* One more condition (a comparison, IN, or function); fails past CB_HUB_QUERY_MAX_CONDITIONS,
 * which also bounds the length of AND/OR chains. */
static gboolean
count_condition (Parser  *p,
                 GError **error)
{
  if (p->conditions >= CB_HUB_QUERY_MAX_CONDITIONS)
    return too_complex_at (p, peek (p), error,
                           "more than " G_STRINGIFY (CB_HUB_QUERY_MAX_CONDITIONS)
                           " conditions, the limit");
  p->conditions++;
  return TRUE;
}

static gboolean
accept_word (Parser     *p,
             const char *word)
{
  if (tok_is_word (peek (p), word))
    {
      advance (p);
      return TRUE;
    }
  return FALSE;
}

static gboolean
expect_word (Parser      *p,
             const char  *word,
             GError     **error)
{
  g_autofree char *what = NULL;

  if (accept_word (p, word))
    return TRUE;

  what = g_strdup_printf ("expected %s", word);
  return fail_at (p, peek (p), error, what);
}

static gboolean
expect_kind (Parser      *p,
             TokenKind    kind,
             const char  *what,
             GError     **error)
{
  if (peek (p)->kind == kind)
    {
      advance (p);
      return TRUE;
    }
  return fail_at (p, peek (p), error, what);
}

static char **
parse_path (Parser  *p,
            GError **error)
{
  g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
  Token *t = peek (p);

  if (t->kind != TOK_IDENT || is_reserved (t))
    {
      fail_at (p, t, error, "expected a property path");
      return NULL;
    }
  g_ptr_array_add (segments, g_strdup (advance (p)->text));

  for (;;)
    {
      t = peek (p);
      if (t->kind == TOK_DOT)
        {
          advance (p);
          t = peek (p);
          if (t->kind != TOK_IDENT)
            {
              fail_at (p, t, error, "expected a property name after '.'");
              return NULL;
            }
          g_ptr_array_add (segments, g_strdup (advance (p)->text));
        }
      else if (t->kind == TOK_LBRACKET)
        {
          advance (p);
          t = peek (p);
          if (t->kind != TOK_STRING)
            {
              fail_at (p, t, error, "expected a quoted property name inside [ ]");
              return NULL;
            }
          g_ptr_array_add (segments, g_strdup (advance (p)->text));
          if (!expect_kind (p, TOK_RBRACKET, "expected ']'", error))
            return NULL;
        }
      else
        break;
    }

  g_ptr_array_add (segments, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&segments), FALSE);
}

/* A literal token as a JSON value, or NULL if the token is not a literal. */
static JsonNode *
literal_node (Token *t)
{
  JsonNode *node;

  switch (t->kind)
    {
    case TOK_STRING:
      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (node, t->text);
      return node;

    case TOK_NUMBER:
      node = json_node_new (JSON_NODE_VALUE);
      if (t->is_int)
        json_node_set_int (node, t->int_value);
      else
        json_node_set_double (node, t->double_value);
      return node;

    case TOK_IDENT:
      if (tok_is_word (t, "true") || tok_is_word (t, "false"))
        {
          node = json_node_new (JSON_NODE_VALUE);
          json_node_set_boolean (node, tok_is_word (t, "true"));
          return node;
        }
      if (tok_is_word (t, "null"))
        return json_node_new (JSON_NODE_NULL);
      return NULL;

    case TOK_EOF:
    case TOK_LPAREN:
    case TOK_RPAREN:
    case TOK_LBRACKET:
    case TOK_RBRACKET:
    case TOK_COMMA:
    case TOK_DOT:
    case TOK_STAR:
    case TOK_OP:
    default:
      return NULL;
    }
}

static gboolean
parse_operand (Parser   *p,
               Operand  *out,
               GError  **error)
{
  Token *t = peek (p);
  JsonNode *lit = literal_node (t);

  if (lit != NULL)
    {
      advance (p);
      out->literal = lit;
      return TRUE;
    }

  if (t->kind != TOK_IDENT || is_reserved (t))
    return fail_at (p, t, error, "expected a property path or a literal value");

  out->path = parse_path (p, error);
  return out->path != NULL;
}

static Expr *parse_or (Parser *p, GError **error);

static Expr *
parse_function (Parser  *p,
                GError **error)
{
  Token *name = advance (p);
  g_autoptr(Expr) e = g_new0 (Expr, 1);

  if (g_ascii_strcasecmp (name->text, "IS_DEFINED") == 0)
    e->kind = EXPR_DEFINED;
  else if (g_ascii_strcasecmp (name->text, "STARTSWITH") == 0)
    e->kind = EXPR_STARTSWITH;
  else if (g_ascii_strcasecmp (name->text, "ENDSWITH") == 0)
    e->kind = EXPR_ENDSWITH;
  else
    {
      fail_at (p, name, error, "unknown function (the sandbox knows IS_DEFINED, STARTSWITH, ENDSWITH)");
      return NULL;
    }

  advance (p); /* ( */

  if (!(e->lhs.path = parse_path (p, error)))
    return NULL;

  if (e->kind != EXPR_DEFINED)
    {
      if (!expect_kind (p, TOK_COMMA, "expected ','", error))
        return NULL;
      if (peek (p)->kind != TOK_STRING)
        {
          fail_at (p, peek (p), error, "expected a string");
          return NULL;
        }
      e->rhs.literal = literal_node (advance (p));
    }

  if (!expect_kind (p, TOK_RPAREN, "expected ')'", error))
    return NULL;

  return g_steal_pointer (&e);
}

static Expr *
parse_primary (Parser  *p,
               GError **error)
{
  Token *t = peek (p);
  g_autoptr(Expr) e = NULL;

  if (t->kind == TOK_LPAREN)
    {
      if (!enter_level (p, error))
        return NULL;
      advance (p);
      if (!(e = parse_or (p, error)))
        return NULL;
      if (!expect_kind (p, TOK_RPAREN, "expected ')' or a boolean operator", error))
        return NULL;
      p->depth--;
      return g_steal_pointer (&e);
    }

  if (!count_condition (p, error))
    return NULL;

  if (t->kind == TOK_IDENT && !is_reserved (t) &&
      g_array_index (p->tokens, Token, p->pos + 1).kind == TOK_LPAREN)
    return parse_function (p, error);

  if (t->kind == TOK_EOF)
    {
      fail_at (p, t, error, "expected a condition");
      return NULL;
    }

  e = g_new0 (Expr, 1);
  if (!parse_operand (p, &e->lhs, error))
    return NULL;

  t = peek (p);
  if (t->kind == TOK_OP)
    {
      e->kind = EXPR_CMP;
      e->op = advance (p)->op;
      if (!parse_operand (p, &e->rhs, error))
        return NULL;
      return g_steal_pointer (&e);
    }

  if (tok_is_word (t, "IN") || tok_is_word (t, "NIN"))
    {
      e->kind = tok_is_word (t, "IN") ? EXPR_IN : EXPR_NIN;
      advance (p);
      if (!expect_kind (p, TOK_LBRACKET, "expected '[' to open the list", error))
        return NULL;
      e->list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
      for (;;)
        {
          JsonNode *lit = literal_node (peek (p));

          if (lit == NULL)
            {
              fail_at (p, peek (p), error, "expected a literal value in the list");
              return NULL;
            }
          advance (p);
          g_ptr_array_add (e->list, lit);
          if (peek (p)->kind == TOK_COMMA)
            {
              advance (p);
              continue;
            }
          if (!expect_kind (p, TOK_RBRACKET, "expected ',' or ']'", error))
            return NULL;
          break;
        }
      return g_steal_pointer (&e);
    }

  fail_at (p, t, error, "expected a comparison operator (=, !=, <>, <, >, <=, >=), IN or NIN");
  return NULL;
}

static Expr *
parse_not (Parser  *p,
           GError **error)
{
  if (tok_is_word (peek (p), "NOT"))
    {
      g_autoptr(Expr) e = NULL;

      if (!enter_level (p, error))
        return NULL;
      e = g_new0 (Expr, 1);
      advance (p);
      e->kind = EXPR_NOT;
      if (!(e->a = parse_not (p, error)))
        return NULL;
      p->depth--;
      return g_steal_pointer (&e);
    }

  return parse_primary (p, error);
}

static Expr *
parse_and (Parser  *p,
           GError **error)
{
  g_autoptr(Expr) left = parse_not (p, error);

  if (left == NULL)
    return NULL;

  while (accept_word (p, "AND"))
    {
      g_autoptr(Expr) e = g_new0 (Expr, 1);

      e->kind = EXPR_AND;
      e->a = g_steal_pointer (&left);
      if (!(e->b = parse_not (p, error)))
        return NULL;
      left = g_steal_pointer (&e);
    }

  return g_steal_pointer (&left);
}

static Expr *
parse_or (Parser  *p,
          GError **error)
{
  g_autoptr(Expr) left = parse_and (p, error);

  if (left == NULL)
    return NULL;

  while (accept_word (p, "OR"))
    {
      g_autoptr(Expr) e = g_new0 (Expr, 1);

      e->kind = EXPR_OR;
      e->a = g_steal_pointer (&left);
      if (!(e->b = parse_and (p, error)))
        return NULL;
      left = g_steal_pointer (&e);
    }

  return g_steal_pointer (&left);
}

gboolean
cb_hub_query_paths_equal (char **a,
                          char **b)
{
  return g_strv_equal ((const char * const *) a, (const char * const *) b);
}

static char *
path_to_string (char **path)
{
  return g_strjoinv (".", path);
}

static gboolean
parse_select_item (Parser      *p,
                   CbHubQuery  *query,
                   GError     **error)
{
  SelectItem *item = g_new0 (SelectItem, 1);
  Token *t = peek (p);

  g_ptr_array_add (query->items, item);

  if (tok_is_word (t, "COUNT") && g_array_index (p->tokens, Token, p->pos + 1).kind == TOK_LPAREN)
    {
      advance (p);
      advance (p);
      if (!expect_kind (p, TOK_RPAREN, "expected ')': COUNT() takes no argument", error))
        return FALSE;
      item->kind = ITEM_COUNT;
      query->aggregate = TRUE;
    }
  else
    {
      item->kind = ITEM_PATH;
      if (!(item->path = parse_path (p, error)))
        return FALSE;
    }

  if (accept_word (p, "AS"))
    {
      t = peek (p);
      if (t->kind != TOK_IDENT || is_reserved (t))
        return fail_at (p, t, error, "expected a name after AS");
      item->name = g_strdup (advance (p)->text);
    }
  else if (item->kind == ITEM_PATH)
    {
      item->name = g_strdup (item->path[g_strv_length (item->path) - 1]);
    }
  else
    {
      item->name = g_strdup_printf ("$%u", query->items->len);
    }

  return TRUE;
}

CbHubQuery *
cb_hub_query_parse (const char  *text,
                    GError     **error)
{
  g_autoptr(CbHubQuery) query = NULL;
  g_autoptr(GArray) tokens = NULL;
  Parser p = { 0 };
  Token *t;

  g_return_val_if_fail (text != NULL, NULL);

  if (!(tokens = cb_hub_query_tokenize (text, error)))
    return NULL;

  p.text = text;
  p.tokens = tokens;

  query = g_new0 (CbHubQuery, 1);
  query->top = -1;
  query->items = g_ptr_array_new_with_free_func (select_item_free);
  query->group_by = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  if (!expect_word (&p, "SELECT", error))
    return NULL;

  if (accept_word (&p, "TOP"))
    {
      t = peek (&p);
      if (t->kind != TOK_NUMBER || !t->is_int || t->int_value < 0)
        {
          fail_at (&p, t, error, "expected a non-negative whole number after TOP");
          return NULL;
        }
      query->top = advance (&p)->int_value;
    }

  if (peek (&p)->kind == TOK_STAR)
    {
      advance (&p);
      query->select_all = TRUE;
    }
  else
    {
      do
        {
          if (!parse_select_item (&p, query, error))
            return NULL;
        }
      while (peek (&p)->kind == TOK_COMMA && advance (&p) != NULL);
    }

  if (!expect_word (&p, "FROM", error))
    return NULL;

  t = peek (&p);
  if (t->kind != TOK_IDENT || is_reserved (t))
    {
      fail_at (&p, t, error, "expected a collection name (devices)");
      return NULL;
    }
  if (!tok_is_word (t, "devices"))
    {
      fail_at (&p, t, error, "unknown collection (the sandbox serves only FROM devices)");
      return NULL;
    }
  advance (&p);
  if (peek (&p)->kind == TOK_DOT)
    {
      Token *sub;

      advance (&p);
      sub = peek (&p);
      g_set_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_UNSUPPORTED,
                   "The collection devices.%s is not supported by the sandbox (only devices)",
                   sub->kind == TOK_IDENT ? sub->text : "");
      return NULL;
    }

  if (accept_word (&p, "WHERE"))
    {
      if (!(query->where = parse_or (&p, error)))
        return NULL;
    }

  if (accept_word (&p, "GROUP"))
    {
      if (!expect_word (&p, "BY", error))
        return NULL;
      do
        {
          char **path = parse_path (&p, error);

          if (path == NULL)
            return NULL;
          g_ptr_array_add (query->group_by, path);
        }
      while (peek (&p)->kind == TOK_COMMA && advance (&p) != NULL);
      query->aggregate = TRUE;
    }

  t = peek (&p);
  if (t->kind != TOK_EOF)
    {
      if (tok_is_word (t, "ORDER"))
        fail_at (&p, t, error, "ORDER BY is not supported by IoT Hub queries");
      else if (query->where == NULL && query->group_by->len == 0)
        fail_at (&p, t, error, "expected WHERE, GROUP BY or the end of the query");
      else
        fail_at (&p, t, error, "expected AND, OR, GROUP BY or the end of the query");
      return NULL;
    }

  if (query->aggregate)
    {
      if (query->select_all)
        {
          g_set_error_literal (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_INVALID,
                               "SELECT * cannot be combined with GROUP BY");
          return NULL;
        }

      for (guint i = 0; i < query->items->len; i++)
        {
          SelectItem *item = g_ptr_array_index (query->items, i);
          gboolean grouped = FALSE;

          if (item->kind != ITEM_PATH)
            continue;
          for (guint j = 0; j < query->group_by->len && !grouped; j++)
            grouped = cb_hub_query_paths_equal (item->path, g_ptr_array_index (query->group_by, j));
          if (!grouped)
            {
              g_autofree char *s = path_to_string (item->path);

              g_set_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_INVALID,
                           "'%s' is selected with an aggregate but does not appear in GROUP BY", s);
              return NULL;
            }
        }
    }

  return g_steal_pointer (&query);
}

gboolean
cb_hub_query_selects_all (CbHubQuery *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->select_all;
}

gboolean
cb_hub_query_is_aggregate (CbHubQuery *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->aggregate;
}

gint64
cb_hub_query_get_top (CbHubQuery *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->top;
}


guint
cb_hub_query_get_group_by_length (CbHubQuery *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->group_by->len;
}
