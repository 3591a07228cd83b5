/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Codecs, inside the IoT Hub query language (cb-hub-query.h): its tokens, the lexer that
 * makes them, and the syntax errors that name a line and column (CB_HUB_QUERY_ERROR is
 * defined with the lexer, the lowest of its files). */

#include <glib.h>

G_BEGIN_DECLS

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

/* Words that cannot name a property without brackets (NULL-terminated). */
extern const char * const cb_hub_query_reserved_words[];

/* The line and column (in characters, from 1) of a byte offset in text. */
void          cb_hub_query_position_of         (const char  *text,
                                                gsize        offset,
                                                guint       *line,
                                                guint       *column);
/* Sets CB_HUB_QUERY_ERROR_SYNTAX "Syntax error at line L, column C near 'TOKEN': ..." for the
 * token at start (len 0: the end of the query). Returns FALSE. */
gboolean      cb_hub_query_syntax_error_at     (const char  *text,
                                                gsize        start,
                                                gsize        len,
                                                GError     **error,
                                                const char  *format,
                                                ...) G_GNUC_PRINTF (5, 6);
/* The tokens of text (Token, the last one TOK_EOF), or NULL with a syntax error. */
GArray       *cb_hub_query_tokenize            (const char  *text,
                                                GError     **error);

G_END_DECLS
