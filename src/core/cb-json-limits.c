/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-json-limits"

#include "config.h"

#include "cb-json-limits.h"

G_DEFINE_QUARK (cb-json-limit-error-quark, cb_json_limit_error)

guint
cb_json_scan_depth (const char *data,
                    gsize       len,
                    guint       max_depth)
{
  gboolean in_string = FALSE;
  gboolean escaped = FALSE;
  guint depth = 0;
  guint deepest = 0;

  if (data == NULL)
    return 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          depth++;
          if (depth > deepest)
            {
              deepest = depth;
              if (deepest > max_depth)
                return deepest;
            }
          break;
        case ']':
        case '}':
          /* Unbalanced closers are the parser's business; never go below zero. */
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return deepest;
}

gboolean
cb_json_check_limits (const char  *data,
                      gsize        len,
                      gsize        max_size,
                      guint        max_depth,
                      GError     **error)
{
  if (len > max_size)
    {
      g_set_error (error, CB_JSON_LIMIT_ERROR, CB_JSON_LIMIT_ERROR_TOO_LARGE,
                   "The JSON text is %" G_GSIZE_FORMAT " bytes, more than the limit of %"
                   G_GSIZE_FORMAT " bytes",
                   len, max_size);
      return FALSE;
    }

  if (cb_json_scan_depth (data, len, max_depth) > max_depth)
    {
      g_set_error (error, CB_JSON_LIMIT_ERROR, CB_JSON_LIMIT_ERROR_TOO_DEEP,
                   "The JSON text nests objects and arrays more than %u levels deep (the limit)",
                   max_depth);
      return FALSE;
    }

  return TRUE;
}
