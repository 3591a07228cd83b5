/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-csv"

/* An RFC 4180 CSV reader: the text of a whole file in, its records out as arrays of fields,
 * each with the line it starts on so that a caller can name the line of a bad record. A
 * hand-made file's quirks are taken as a spreadsheet writes them (LF alone ends a record as
 * CRLF does, a blank line is no record), but a broken quote is an error, never a guess. */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "cb-csv-reader.h"

void
cb_csv_record_free (CbCsvRecord *record)
{
  if (record == NULL)
    return;
  g_strfreev (record->fields);
  g_free (record);
}

static void
end_record (GPtrArray *records,
            GPtrArray *fields,
            guint      line)
{
  CbCsvRecord *record;

  /* A blank line is one empty, unquoted field: no record. */
  if (fields->len == 1 && *(char *) g_ptr_array_index (fields, 0) == '\0')
    {
      g_ptr_array_set_size (fields, 0);
      return;
    }
  record = g_new0 (CbCsvRecord, 1);
  record->line = line;
  g_ptr_array_add (fields, NULL);
  record->fields = (GStrv) g_ptr_array_steal (fields, NULL);
  g_ptr_array_add (records, record);
}

GPtrArray *
cb_csv_parse (const char  *text,
              gssize       len,
              GError     **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_csv_record_free);
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) field = g_string_new (NULL);
  const char *p, *end;
  guint line = 1, record_line = 1;
  gboolean in_record = FALSE;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (len < 0)
    len = strlen (text);
  p = text;
  end = text + len;
  if (len >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3;

  while (p < end)
    {
      if (!in_record)
        {
          record_line = line;
          in_record = TRUE;
        }

      if (*p == '"' && field->len == 0)
        {
          guint quote_line = line;

          /* A quoted field, to its closing quote; "" is one quote. */
          for (p++;; p++)
            {
              if (p >= end)
                {
                  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "Line %u: a quote opens a field that never closes", quote_line);
                  return NULL;
                }
              if (*p == '"' && p + 1 < end && p[1] == '"')
                {
                  g_string_append_c (field, '"');
                  p++;
                }
              else if (*p == '"')
                break;
              else
                {
                  if (*p == '\n')
                    line++;
                  g_string_append_c (field, *p);
                }
            }
          p++;
          if (p < end && *p != ',' && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')
              && *p != '\r')
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "Line %u: text follows a closing quote (a quote inside a quoted field "
                           "is written twice)", line);
              return NULL;
            }
          continue;
        }

      if (*p == ',')
        {
          g_ptr_array_add (fields, g_strndup (field->str, field->len));
          g_string_truncate (field, 0);
          p++;
          continue;
        }

      if (*p == '\n' || *p == '\r')
        {
          g_ptr_array_add (fields, g_strndup (field->str, field->len));
          g_string_truncate (field, 0);
          end_record (records, fields, record_line);
          in_record = FALSE;
          if (*p == '\r' && p + 1 < end && p[1] == '\n')
            p++;
          p++;
          line++;
          continue;
        }

      g_string_append_c (field, *p);
      p++;
    }

  if (in_record)
    {
      g_ptr_array_add (fields, g_strndup (field->str, field->len));
      end_record (records, fields, record_line);
    }

  return g_steal_pointer (&records);
}
