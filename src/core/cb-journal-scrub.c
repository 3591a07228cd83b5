/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The journal's error domain and its scrub: the lowest piece of the journal, which the database
 * helpers and the journal API both use. */

#include "config.h"

#include "cb-journal-scrub.h"

G_DEFINE_QUARK (cb-journal-error-quark, cb_journal_error)

char *
cb_journal_scrub (const char *text)
{
  static GRegex *patterns[4];
  static const char * const replacements[4] = {
    "[redacted private key]",
    "\\1 [redacted]",
    "\\1[redacted]",
    "\\1 [redacted]",
  };
  static gsize initialized = 0;
  g_autofree char *result = NULL;

  if (text == NULL)
    return NULL;

  if (g_once_init_enter (&initialized))
    {
      patterns[0] = g_regex_new ("-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
                                 G_REGEX_DOTALL, 0, NULL);
      patterns[1] = g_regex_new ("(SharedAccessSignature)\\s+\\S+",
                                 G_REGEX_CASELESS, 0, NULL);
      patterns[2] = g_regex_new ("((?:sig|skey|key|sharedaccesskey|primarykey|secondarykey|"
                                 "access_token|refresh_token|id_token|password|secret)"
                                 "\\s*[=:]\\s*\"?)[^\\s&;,\"]+",
                                 G_REGEX_CASELESS, 0, NULL);
      patterns[3] = g_regex_new ("(Bearer)\\s+[A-Za-z0-9._~+/=-]+",
                                 G_REGEX_CASELESS, 0, NULL);
      g_once_init_leave (&initialized, 1);
    }

  result = g_strdup (text);
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      char *next = g_regex_replace (patterns[i], result, -1, 0, replacements[i], 0, NULL);

      if (next != NULL)
        {
          g_free (result);
          result = next;
        }
    }

  return g_steal_pointer (&result);
}
