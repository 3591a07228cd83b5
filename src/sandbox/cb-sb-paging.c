/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Paging of lists: one page size, one $skipToken format (the offset of the next item) and
 * one nextLink for every paged surface of the sandbox (ARM lists, the activity log). */

#include "config.h"

#include "cb-sb-paging.h"

guint
cb_sb_page_size (CbSandbox *self)
{
  return self->page_size > 0 ? self->page_size : 100;
}

gboolean
cb_sb_parse_skip_token (const char *token,
                        guint      *offset)
{
  guint64 value = 0;

  *offset = 0;
  if (token == NULL)
    return TRUE;

  if (!g_ascii_string_to_unsigned (token, 10, 0, G_MAXINT, &value, NULL))
    return FALSE;

  *offset = (guint) value;
  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

char *
cb_sb_next_link_path (const char *path,
                      GHashTable *query,
                      guint       offset)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);
  GHashTableIter iter;
  gpointer key;

  g_string_append (out, escaped);
  g_hash_table_iter_init (&iter, query);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_ascii_strcasecmp (key, "$skipToken") != 0)
      g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);

  for (guint i = 0; i < keys->len; i++)
    {
      const char *k = g_ptr_array_index (keys, i);
      g_autofree char *ek = g_uri_escape_string (k, "$", FALSE);
      g_autofree char *ev = g_uri_escape_string (g_hash_table_lookup (query, k), NULL, FALSE);

      g_string_append_printf (out, "%c%s=%s", i == 0 ? '?' : '&', ek, ev);
    }
  g_string_append_printf (out, "%c$skipToken=%u", keys->len == 0 ? '?' : '&', offset);

  return g_string_free (out, FALSE);
}
