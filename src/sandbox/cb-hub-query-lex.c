/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-hub-query"

/* The IoT Hub query language's lexer: see cb-hub-query-lex.h. */

#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "cb-hub-query-error.h"
#include "cb-hub-query-lex.h"

G_DEFINE_QUARK (cb-hub-query-error-quark, cb_hub_query_error)

const char * const cb_hub_query_reserved_words[] = {
  "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "NIN", "AS", "GROUP", "BY", "TOP",
  "ORDER", NULL,
};

static void
token_clear (gpointer p)
{
  Token *t = p;

  g_clear_pointer (&t->text, g_free);
}

void
cb_hub_query_position_of (const char *text,
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

gboolean
cb_hub_query_syntax_error_at (const char  *text,
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

  cb_hub_query_position_of (text, start, &line, &column);

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
        return cb_hub_query_syntax_error_at (text, start, *i - start, error,
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
                      return cb_hub_query_syntax_error_at (text, *i, 2, error,
                                                           "\\u must be followed by four hex digits");
                    hex[k] = text[*i + 2 + k];
                  }
                ch = (gunichar) strtoul (hex, NULL, 16);
                g_string_append_unichar (out, ch);
                *i += 4;
                break;
              }
            default:
              return cb_hub_query_syntax_error_at (text, *i, e != '\0' ? 2 : 1, error,
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
        return cb_hub_query_syntax_error_at (text, start, *i - start, error,
                                             "a digit must follow the decimal point");
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
        return cb_hub_query_syntax_error_at (text, start, *i - start, error,
                                             "the exponent has no digits");
      while (g_ascii_isdigit (text[*i]))
        (*i)++;
    }
  if (is_ident_char (text[*i]))
    {
      gsize end = *i;

      while (is_ident_char (text[end]))
        end++;
      return cb_hub_query_syntax_error_at (text, start, end - start, error, "not a number");
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

GArray *
cb_hub_query_tokenize (const char  *text,
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
                  cb_hub_query_syntax_error_at (text, i, 1, error,
                                                "unexpected character (did you mean '!=')");
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

                cb_hub_query_syntax_error_at (text, i, clen, error, "unexpected character");
                return NULL;
              }
            }
          i += tok.len;
        }

      g_array_append_val (tokens, tok);
    }

  return g_steal_pointer (&tokens);
}
