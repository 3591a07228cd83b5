/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-hub-query"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cb-hub-query.h"

G_DEFINE_QUARK (cb-hub-query-error-quark, cb_hub_query_error)

/* ---- Tokens ---------------------------------------------------------------------------- */

typedef enum
{
  TOK_EOF,
  TOK_IDENT,
  TOK_STRING,
  TOK_NUMBER,
  TOK_LPAREN,
  TOK_RPAREN,
  TOK_LBRACKET,
  TOK_RBRACKET,
  TOK_COMMA,
  TOK_DOT,
  TOK_STAR,
  TOK_OP,
} TokenKind;

typedef enum
{
  OP_EQ,
  OP_NE,
  OP_LT,
  OP_GT,
  OP_LE,
  OP_GE,
} CmpOp;

typedef struct
{
  TokenKind  kind;
  gsize      start;     /* byte offset in the query text */
  gsize      len;
  char      *text;      /* identifiers: as written; strings: decoded */
  CmpOp      op;
  gboolean   is_int;
  gint64     int_value;
  double     double_value;
} Token;

typedef struct
{
  const char *text;
  GArray     *tokens;   /* Token */
  guint       pos;
  guint       depth;        /* open parentheses and NOTs around the current condition */
  guint       conditions;   /* conditions parsed so far */
} Parser;

/* Words that cannot name a property without brackets. */
static const char * const reserved_words[] = {
  "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "NIN", "AS", "GROUP", "BY", "TOP",
  "ORDER", NULL,
};

static void
token_clear (gpointer p)
{
  Token *t = p;

  g_clear_pointer (&t->text, g_free);
}

static void
position_of (const char *text,
             gsize       offset,
             guint      *line,
             guint      *column)
{
  const char *p = text;
  const char *end = text + offset;

  *line = 1;
  *column = 1;
  while (p < end && *p != '\0')
    {
      if (*p == '\n')
        {
          (*line)++;
          *column = 1;
        }
      else if ((*p & 0xC0) != 0x80)
        {
          /* Count characters, not UTF-8 continuation bytes. */
          (*column)++;
        }
      p++;
    }
}

static gboolean
syntax_error_at (const char  *text,
                 gsize        start,
                 gsize        len,
                 GError     **error,
                 const char  *format,
                 ...) G_GNUC_PRINTF (5, 6);

static gboolean
syntax_error_at (const char  *text,
                 gsize        start,
                 gsize        len,
                 GError     **error,
                 const char  *format,
                 ...)
{
  g_autofree char *what = NULL;
  guint line, column;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  position_of (text, start, &line, &column);

  if (len == 0)
    g_set_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_SYNTAX,
                 "Syntax error at line %u, column %u at the end of the query: %s",
                 line, column, what);
  else
    {
      g_autofree char *near = g_strndup (text + start, MIN (len, 64));

      g_set_error (error, CB_HUB_QUERY_ERROR, CB_HUB_QUERY_ERROR_SYNTAX,
                   "Syntax error at line %u, column %u near '%s': %s",
                   line, column, near, what);
    }

  return FALSE;
}

static gboolean
is_ident_start (char c)
{
  return g_ascii_isalpha (c) || c == '_' || c == '$' || c == '@';
}

static gboolean
is_ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '$' || c == '@';
}

static gboolean
lex_string (const char  *text,
            gsize       *i,
            Token       *tok,
            GError     **error)
{
  char quote = text[*i];
  gsize start = *i;
  g_autoptr(GString) out = g_string_new (NULL);

  (*i)++;
  for (;;)
    {
      char c = text[*i];

      if (c == '\0')
        return syntax_error_at (text, start, *i - start, error,
                                "the string is not terminated (missing %c)", quote);

      if (c == quote)
        {
          (*i)++;
          break;
        }

      if (c == '\\')
        {
          char e = text[*i + 1];

          switch (e)
            {
            case '\'': g_string_append_c (out, '\''); break;
            case '"': g_string_append_c (out, '"'); break;
            case '\\': g_string_append_c (out, '\\'); break;
            case '/': g_string_append_c (out, '/'); break;
            case 'b': g_string_append_c (out, '\b'); break;
            case 'f': g_string_append_c (out, '\f'); break;
            case 'n': g_string_append_c (out, '\n'); break;
            case 'r': g_string_append_c (out, '\r'); break;
            case 't': g_string_append_c (out, '\t'); break;
            case 'u':
              {
                char hex[5] = { 0 };
                gunichar ch;

                for (int k = 0; k < 4; k++)
                  {
                    if (!g_ascii_isxdigit (text[*i + 2 + k]))
                      return syntax_error_at (text, *i, 2, error,
                                              "\\u must be followed by four hex digits");
                    hex[k] = text[*i + 2 + k];
                  }
                ch = (gunichar) strtoul (hex, NULL, 16);
                g_string_append_unichar (out, ch);
                *i += 4;
                break;
              }
            default:
              return syntax_error_at (text, *i, e != '\0' ? 2 : 1, error,
                                      "unknown escape sequence in a string");
            }
          *i += 2;
          continue;
        }

      g_string_append_c (out, c);
      (*i)++;
    }

  tok->kind = TOK_STRING;
  tok->start = start;
  tok->len = *i - start;
  tok->text = g_string_free (g_steal_pointer (&out), FALSE);
  return TRUE;
}

static gboolean
lex_number (const char  *text,
            gsize       *i,
            Token       *tok,
            GError     **error)
{
  gsize start = *i;
  gboolean is_int = TRUE;
  g_autofree char *literal = NULL;

  if (text[*i] == '-' || text[*i] == '+')
    (*i)++;
  while (g_ascii_isdigit (text[*i]))
    (*i)++;
  if (text[*i] == '.')
    {
      is_int = FALSE;
      (*i)++;
      if (!g_ascii_isdigit (text[*i]))
        return syntax_error_at (text, start, *i - start, error, "a digit must follow the decimal point");
      while (g_ascii_isdigit (text[*i]))
        (*i)++;
    }
  if (text[*i] == 'e' || text[*i] == 'E')
    {
      is_int = FALSE;
      (*i)++;
      if (text[*i] == '-' || text[*i] == '+')
        (*i)++;
      if (!g_ascii_isdigit (text[*i]))
        return syntax_error_at (text, start, *i - start, error, "the exponent has no digits");
      while (g_ascii_isdigit (text[*i]))
        (*i)++;
    }
  if (is_ident_char (text[*i]))
    {
      gsize end = *i;

      while (is_ident_char (text[end]))
        end++;
      return syntax_error_at (text, start, end - start, error, "not a number");
    }

  literal = g_strndup (text + start, *i - start);
  tok->kind = TOK_NUMBER;
  tok->start = start;
  tok->len = *i - start;
  tok->is_int = is_int;
  if (is_int)
    {
      char *end = NULL;

      errno = 0;
      tok->int_value = g_ascii_strtoll (literal, &end, 10);
      if (errno != 0)
        {
          tok->is_int = FALSE;
          tok->double_value = g_ascii_strtod (literal, NULL);
        }
      else
        tok->double_value = (double) tok->int_value;
    }
  else
    tok->double_value = g_ascii_strtod (literal, NULL);

  return TRUE;
}

static GArray *
tokenize (const char  *text,
          GError     **error)
{
  g_autoptr(GArray) tokens = g_array_new (FALSE, TRUE, sizeof (Token));
  gsize i = 0;

  g_array_set_clear_func (tokens, token_clear);

  for (;;)
    {
      Token tok = { 0 };
      char c;

      while (g_ascii_isspace (text[i]))
        i++;

      c = text[i];
      tok.start = i;

      if (c == '\0')
        {
          tok.kind = TOK_EOF;
          g_array_append_val (tokens, tok);
          break;
        }

      if (c == '\'' || c == '"')
        {
          if (!lex_string (text, &i, &tok, error))
            return NULL;
        }
      else if (g_ascii_isdigit (c) || ((c == '-' || c == '+') && g_ascii_isdigit (text[i + 1])))
        {
          if (!lex_number (text, &i, &tok, error))
            return NULL;
        }
      else if (is_ident_start (c))
        {
          while (is_ident_char (text[i]))
            i++;
          tok.kind = TOK_IDENT;
          tok.len = i - tok.start;
          tok.text = g_strndup (text + tok.start, tok.len);
        }
      else
        {
          tok.len = 1;
          switch (c)
            {
            case '(': tok.kind = TOK_LPAREN; break;
            case ')': tok.kind = TOK_RPAREN; break;
            case '[': tok.kind = TOK_LBRACKET; break;
            case ']': tok.kind = TOK_RBRACKET; break;
            case ',': tok.kind = TOK_COMMA; break;
            case '.': tok.kind = TOK_DOT; break;
            case '*': tok.kind = TOK_STAR; break;
            case '=':
              tok.kind = TOK_OP;
              tok.op = OP_EQ;
              break;
            case '!':
              if (text[i + 1] != '=')
                {
                  syntax_error_at (text, i, 1, error, "unexpected character (did you mean '!=')");
                  return NULL;
                }
              tok.kind = TOK_OP;
              tok.op = OP_NE;
              tok.len = 2;
              break;
            case '<':
              tok.kind = TOK_OP;
              if (text[i + 1] == '=')
                {
                  tok.op = OP_LE;
                  tok.len = 2;
                }
              else if (text[i + 1] == '>')
                {
                  tok.op = OP_NE;
                  tok.len = 2;
                }
              else
                tok.op = OP_LT;
              break;
            case '>':
              tok.kind = TOK_OP;
              if (text[i + 1] == '=')
                {
                  tok.op = OP_GE;
                  tok.len = 2;
                }
              else
                tok.op = OP_GT;
              break;
            default:
              {
                /* Point at the whole (possibly multi-byte) character. */
                const char *next = g_utf8_find_next_char (text + i, NULL);
                gsize clen = next != NULL ? (gsize) (next - (text + i)) : 1;

                syntax_error_at (text, i, clen, error, "unexpected character");
                return NULL;
              }
            }
          i += tok.len;
        }

      g_array_append_val (tokens, tok);
    }

  return g_steal_pointer (&tokens);
}

/* ---- Tree ------------------------------------------------------------------------------ */

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
  for (guint i = 0; reserved_words[i] != NULL; i++)
    if (tok_is_word (t, reserved_words[i]))
      return TRUE;
  return FALSE;
}

static gboolean
fail_at (Parser      *p,
         Token       *t,
         GError     **error,
         const char  *expected)
{
  return syntax_error_at (p->text, t->start, t->len, error, "%s", expected);
}

static gboolean
too_complex_at (Parser      *p,
                Token       *t,
                GError     **error,
                const char  *what)
{
  guint line, column;
  g_autofree char *near = g_strndup (p->text + t->start, MIN (t->len, 64));

  position_of (p->text, t->start, &line, &column);
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

static gboolean
paths_equal (char **a,
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
parse_select_item (Parser    *p,
                   CbHubQuery *query,
                   GError   **error)
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

  if (!(tokens = tokenize (text, error)))
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
            grouped = paths_equal (item->path, g_ptr_array_index (query->group_by, j));
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

/* ---- Evaluation ------------------------------------------------------------------------ */

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
static JsonNode *
resolve (JsonObject *twin,
         char      **path)
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
  return o->path != NULL ? resolve (twin, o->path) : o->literal;
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
      return tri_from_bool (resolve (twin, e->lhs.path) != NULL);

    case EXPR_STARTSWITH:
    case EXPR_ENDSWITH:
      {
        JsonNode *v = resolve (twin, e->lhs.path);
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
      JsonNode *v = resolve (twin, item->path);

      /* Undefined values are left out of the row, as the hub does. */
      if (v != NULL)
        json_object_set_member (out, item->name, json_node_copy (v));
    }

  json_node_take_object (node, out);
  return node;
}

/* ---- Grouping -------------------------------------------------------------------------- */

typedef struct
{
  GPtrArray *values;  /* JsonNode or NULL (undefined), one per GROUP BY path */
  gint64     count;
} Group;

struct _CbHubQueryGroups
{
  CbHubQuery *query;
  GHashTable *by_key;   /* key text -> Group (borrowed from groups) */
  GPtrArray  *groups;   /* Group, in first-seen order */
};

static void
group_free (gpointer p)
{
  Group *g = p;

  g_ptr_array_unref (g->values);
  g_free (g);
}

static void
node_unref0 (gpointer p)
{
  if (p != NULL)
    json_node_unref (p);
}

CbHubQueryGroups *
cb_hub_query_groups_new (CbHubQuery *self)
{
  CbHubQueryGroups *groups;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->aggregate, NULL);

  groups = g_new0 (CbHubQueryGroups, 1);
  groups->query = self;
  groups->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  groups->groups = g_ptr_array_new_with_free_func (group_free);

  /* Without GROUP BY there is exactly one group, even over no device (COUNT() = 0). */
  if (self->group_by->len == 0)
    {
      Group *g = g_new0 (Group, 1);

      g->values = g_ptr_array_new_with_free_func (node_unref0);
      g_ptr_array_add (groups->groups, g);
      g_hash_table_insert (groups->by_key, g_strdup (""), g);
    }

  return groups;
}

void
cb_hub_query_groups_add (CbHubQueryGroups *groups,
                         JsonObject       *twin)
{
  CbHubQuery *self;
  g_autoptr(GString) key = g_string_new (NULL);
  Group *g;

  g_return_if_fail (groups != NULL);
  g_return_if_fail (twin != NULL);

  self = groups->query;

  for (guint i = 0; i < self->group_by->len; i++)
    {
      JsonNode *v = resolve (twin, g_ptr_array_index (self->group_by, i));

      if (v == NULL)
        g_string_append (key, "U;");
      else
        {
          g_autofree char *text = json_to_string (v, FALSE);

          g_string_append_printf (key, "D%zu:%s;", strlen (text), text);
        }
    }

  g = g_hash_table_lookup (groups->by_key, key->str);
  if (g == NULL)
    {
      g = g_new0 (Group, 1);
      g->values = g_ptr_array_new_with_free_func (node_unref0);
      for (guint i = 0; i < self->group_by->len; i++)
        {
          JsonNode *v = resolve (twin, g_ptr_array_index (self->group_by, i));

          g_ptr_array_add (g->values, v != NULL ? json_node_copy (v) : NULL);
        }
      g_ptr_array_add (groups->groups, g);
      g_hash_table_insert (groups->by_key, g_strdup (key->str), g);
    }

  g->count++;
}

JsonArray *
cb_hub_query_groups_finish (CbHubQueryGroups *groups)
{
  CbHubQuery *self;
  JsonArray *out;

  g_return_val_if_fail (groups != NULL, NULL);

  self = groups->query;
  out = json_array_new ();

  for (guint i = 0; i < groups->groups->len; i++)
    {
      Group *g = g_ptr_array_index (groups->groups, i);
      JsonObject *row;

      if (self->top >= 0 && (gint64) json_array_get_length (out) >= self->top)
        break;

      row = json_object_new ();
      for (guint k = 0; k < self->items->len; k++)
        {
          SelectItem *item = g_ptr_array_index (self->items, k);

          if (item->kind == ITEM_COUNT)
            {
              json_object_set_int_member (row, item->name, g->count);
              continue;
            }

          for (guint j = 0; j < self->group_by->len; j++)
            {
              JsonNode *v = g_ptr_array_index (g->values, j);

              if (paths_equal (item->path, g_ptr_array_index (self->group_by, j)))
                {
                  if (v != NULL)
                    json_object_set_member (row, item->name, json_node_copy (v));
                  break;
                }
            }
        }
      json_array_add_object_element (out, row);
    }

  return out;
}

void
cb_hub_query_groups_free (CbHubQueryGroups *groups)
{
  if (groups == NULL)
    return;
  g_hash_table_unref (groups->by_key);
  g_ptr_array_unref (groups->groups);
  g_free (groups);
}

JsonArray *
cb_hub_query_run (CbHubQuery *self,
                  GPtrArray  *twins)
{
  JsonArray *out;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (twins != NULL, NULL);

  if (self->aggregate)
    {
      g_autoptr(CbHubQueryGroups) groups = cb_hub_query_groups_new (self);

      for (guint i = 0; i < twins->len; i++)
        if (cb_hub_query_matches (self, g_ptr_array_index (twins, i)))
          cb_hub_query_groups_add (groups, g_ptr_array_index (twins, i));

      return cb_hub_query_groups_finish (groups);
    }

  out = json_array_new ();
  for (guint i = 0; i < twins->len; i++)
    {
      JsonObject *twin = g_ptr_array_index (twins, i);

      if (self->top >= 0 && (gint64) json_array_get_length (out) >= self->top)
        break;
      if (cb_hub_query_matches (self, twin))
        json_array_add_element (out, cb_hub_query_project (self, twin));
    }

  return out;
}
