/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The AT command syntax the simulated modem accepts, as the nRF91 AT command reference's
 * "AT command syntax" chapter gives it: "AT" then one command, a basic one (a letter and an
 * optional number, ATE1) or an extended one ('+' or '%' and a name), then "=" and
 * comma-separated parameters (set), "?" (read), "=?" (test) or nothing. Integers are bare
 * decimals, strings are in double quotes and hold everything up to the closing quote (a PEM's
 * line breaks too: there are no escapes). The prefix and name are case-insensitive. One
 * command a line: anything else is a syntax error, which the modem answers with ERROR. */
#define G_LOG_DOMAIN "cbd-at"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cbd-at-parser.h"

static void
param_free (gpointer data)
{
  CbdAtParam *p = data;

  g_free (p->text);
  g_free (p);
}

void
cbd_at_command_free (CbdAtCommand *cmd)
{
  if (cmd == NULL)
    return;
  g_free (cmd->name);
  g_ptr_array_unref (cmd->params);
  g_free (cmd);
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t';
}

/* Parses "a,"b",c" from p to the end; FALSE on a syntax error. */
static gboolean
parse_params (const char *p, GPtrArray *params)
{
  for (;;)
    {
      CbdAtParam *param = g_new0 (CbdAtParam, 1);

      g_ptr_array_add (params, param);
      while (is_space (*p))
        p++;
      if (*p == '"')
        {
          const char *end = strchr (p + 1, '"');

          if (end == NULL)
            return FALSE;
          param->quoted = TRUE;
          param->text = g_strndup (p + 1, (gsize) (end - p - 1));
          p = end + 1;
          while (is_space (*p))
            p++;
        }
      else
        {
          const char *start = p;
          const char *end;

          while (*p != '\0' && *p != ',')
            {
              if (*p == '"' || (guchar) *p < ' ')
                return FALSE;
              p++;
            }
          end = p;
          while (end > start && is_space (end[-1]))
            end--;
          param->text = g_strndup (start, (gsize) (end - start));
        }
      if (*p == '\0')
        return TRUE;
      if (*p != ',')
        return FALSE;
      p++;
    }
}

CbdAtCommand *
cbd_at_command_parse (const char *line)
{
  g_autoptr(CbdAtCommand) cmd = g_new0 (CbdAtCommand, 1);
  const char *p = line;
  const char *name;

  cmd->params = g_ptr_array_new_with_free_func (param_free);
  while (is_space (*p))
    p++;
  if (g_ascii_toupper (p[0]) != 'A' || g_ascii_toupper (p[1]) != 'T')
    return NULL;
  p += 2;

  name = p;
  if (*p == '+' || *p == '%')
    {
      p++;
      while (g_ascii_isalnum (*p))
        p++;
      if (p == name + 1)
        return NULL;
    }
  else if (g_ascii_isalpha (*p))
    {
      /* A basic command: one letter, its number is its parameter (ATE1). */
      p++;
      cmd->name = g_ascii_strup (name, 1);
      if (g_ascii_isdigit (*p))
        {
          CbdAtParam *param = g_new0 (CbdAtParam, 1);
          const char *digits = p;

          while (g_ascii_isdigit (*p))
            p++;
          param->text = g_strndup (digits, (gsize) (p - digits));
          g_ptr_array_add (cmd->params, param);
          cmd->op = CBD_AT_SET;
        }
      else
        cmd->op = CBD_AT_EXEC;
      while (is_space (*p))
        p++;
      return *p == '\0' ? g_steal_pointer (&cmd) : NULL;
    }
  cmd->name = g_ascii_strup (name, p - name);

  if (*p == '\0')
    cmd->op = CBD_AT_EXEC;
  else if (p[0] == '?' && p[1] == '\0')
    cmd->op = CBD_AT_READ;
  else if (p[0] == '=' && p[1] == '?' && p[2] == '\0')
    cmd->op = CBD_AT_TEST;
  else if (p[0] == '=')
    {
      cmd->op = CBD_AT_SET;
      if (!parse_params (p + 1, cmd->params))
        return NULL;
    }
  else
    {
      while (is_space (*p))
        p++;
      if (*p != '\0')
        return NULL;
      cmd->op = CBD_AT_EXEC;
    }
  return g_steal_pointer (&cmd);
}

guint
cbd_at_command_n_params (const CbdAtCommand *cmd)
{
  return cmd->params->len;
}

gboolean
cbd_at_command_get_int (const CbdAtCommand *cmd,
                        guint               i,
                        gint64              min,
                        gint64              max,
                        gint64             *out)
{
  const CbdAtParam *param;
  const char *s;
  gint64 value = 0;

  if (i >= cmd->params->len)
    return FALSE;
  param = g_ptr_array_index (cmd->params, i);
  s = param->text;
  if (param->quoted || *s == '\0' || strlen (s) > 12)
    return FALSE;
  for (; *s != '\0'; s++)
    {
      if (!g_ascii_isdigit (*s))
        return FALSE;
      value = value * 10 + (*s - '0');
    }
  if (value < min || value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

const char *
cbd_at_command_get_string (const CbdAtCommand *cmd,
                           guint               i)
{
  const CbdAtParam *param;

  if (i >= cmd->params->len)
    return NULL;
  param = g_ptr_array_index (cmd->params, i);
  return param->quoted ? param->text : NULL;
}
