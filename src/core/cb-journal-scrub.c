/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The journal's error domain and its scrub: the lowest piece of the journal, which the database
 * helpers and the journal API both use. */

#include "config.h"

#include <string.h>

#include "cb-journal-scrub.h"

G_DEFINE_QUARK (cb-journal-error-quark, cb_journal_error)

/* Whether word occurs in lower followed by optional white space and '=' or ':', as the
 * key-value pattern needs. */
static gboolean
has_assignment (const char *lower,
                const char *word)
{
  gsize len = strlen (word);

  for (const char *p = strstr (lower, word); p != NULL; p = strstr (p + 1, word))
    {
      const char *q = p + len;

      while (g_ascii_isspace (*q))
        q++;
      if (*q == '=' || *q == ':')
        return TRUE;
    }
  return FALSE;
}

/* Non-ASCII punctuation Certbench's own texts use ("serial X → registration id y", policy
 * “default”, "…"): none is a letter or white space to PCRE, so none can complete a pattern. */
static gboolean
is_plain_punctuation (gunichar c)
{
  switch (c)
    {
    case 0x2192:   /* → */
    case 0x201C:   /* “ */
    case 0x201D:   /* ” */
    case 0x2018:   /* ‘ */
    case 0x2019:   /* ’ */
    case 0x2026:   /* … */
    case 0x2013:   /* – */
    case 0x2014:   /* — */
    case 0x00D7:   /* × */
      return TRUE;
    default:
      return FALSE;
    }
}

/* Whether any pattern of cb_journal_scrub() could match: each needs one of these words, in
 * ASCII letters of either case (the key-value one followed by '=' or ':'), and only a
 * non-ASCII character can fold to one of them (PCRE's caseless matching in UTF-8 folds U+212A
 * KELVIN SIGN to k and U+017F to s, no other character to an ASCII letter) or be white space
 * to \s. Most texts (step details such as "P-256 key generated", device serials, error
 * messages) have none, and skip four regex passes; a non-ASCII character other than a few
 * punctuation marks sends a text to the regexes. */
static gboolean
may_hold_secret (const char *text)
{
  static const char * const anywhere[] = { "-----begin", "sharedaccesssignature", "bearer" };
  /* Every word of the key-value pattern ends with one of these. */
  static const char * const assigned[] = { "sig", "key", "token", "password", "secret" };
  g_autofree char *lower = NULL;

  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      {
        gunichar c = g_utf8_get_char_validated (p, -1);

        if (c >= 0x80 && c < 0x110000 && is_plain_punctuation (c))
          p = g_utf8_next_char (p) - 1;
        else
          return TRUE;
      }

  lower = g_ascii_strdown (text, -1);
  for (guint i = 0; i < G_N_ELEMENTS (anywhere); i++)
    if (strstr (lower, anywhere[i]) != NULL)
      return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (assigned); i++)
    if (has_assignment (lower, assigned[i]))
      return TRUE;
  return FALSE;
}

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
  if (!may_hold_secret (text))
    return g_strdup (text);

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
