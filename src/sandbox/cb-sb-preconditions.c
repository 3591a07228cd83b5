/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Etags on the hub's and DPS's REST surfaces: see cb-sb-preconditions.h. */

#include "config.h"

#include <string.h>

#include "cb-sb-preconditions.h"

char *
cb_sb_if_match (CbSbRequest *req,
                gboolean     strip_weak)
{
  const char *value = cb_sb_header (req, "If-Match");
  g_autofree char *text = NULL;
  gsize len;

  if (value == NULL)
    return NULL;

  text = g_strstrip (g_strdup (value));
  if (strip_weak && g_str_has_prefix (text, "W/"))
    memmove (text, text + 2, strlen (text + 2) + 1);
  len = strlen (text);
  if (len >= 2 && text[0] == '"' && text[len - 1] == '"')
    return g_strndup (text + 1, len - 2);

  return g_steal_pointer (&text);
}

void
cb_sb_set_etag (CbSbRequest *req,
                const char  *etag)
{
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", etag);

  cb_sb_set_header (req, "ETag", quoted);
}
