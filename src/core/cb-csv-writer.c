/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-csv"

/* RFC 4180 fields and records (cb-csv-writer.h), with the spreadsheet formula guard OWASP
 * describes for CSV injection: a leading = + - @ TAB or CR is shown, never evaluated. */

#include "config.h"

#include <string.h>

#include "cb-csv-writer.h"

static void
append_field (GString    *out,
              const char *text)
{
  gboolean formula;

  if (text == NULL)
    return;

  formula = text[0] != '\0' && strchr ("=+-@\t\r", text[0]) != NULL;
  if (!formula && strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }

  g_string_append_c (out, '"');
  if (formula)
    g_string_append_c (out, '\'');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

char *
cb_csv_field (const char *text)
{
  GString *out = g_string_new (NULL);

  append_field (out, text);
  return g_string_free (out, FALSE);
}

void
cb_csv_append_row (GString            *out,
                   const char * const *fields,
                   gsize               n_fields)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (fields != NULL || n_fields == 0);

  for (gsize i = 0; i < n_fields; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_field (out, fields[i]);
    }
  g_string_append (out, "\r\n");
}
