/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registration-template"

#include "config.h"

#include <string.h>

#include "cb-registration-template.h"

G_DEFINE_QUARK (cb-registration-id-error-quark, cb_registration_id_error)

/* serial, model and firmware every driver reports; imei and uuid an nRF91 modem's
 * (+CGSN, %DEVICEUUID). */
static const char * const placeholder_names[] = { "serial", "model", "firmware", "imei", "uuid" };

static gboolean
is_id_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c == ':';
}

gboolean
cb_registration_id_validate (const char  *registration_id,
                             GError     **error)
{
  gsize len;

  if (registration_id == NULL || *registration_id == '\0')
    {
      g_set_error_literal (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_EMPTY,
                           "The registration id is empty");
      return FALSE;
    }

  len = strlen (registration_id);
  if (len > CB_REGISTRATION_ID_MAX_LENGTH)
    {
      g_set_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_TOO_LONG,
                   "The registration id “%.20s…” has %" G_GSIZE_FORMAT " characters; DPS allows "
                   "at most %d", registration_id, len, CB_REGISTRATION_ID_MAX_LENGTH);
      return FALSE;
    }

  for (gsize i = 0; i < len; i++)
    {
      if (!is_id_char (registration_id[i]))
        {
          guchar c = (guchar) registration_id[i];

          if (c >= 0x20 && c < 0x7f)
            g_set_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_INVALID_CHARACTER,
                         "The registration id “%s” contains “%c” at position %" G_GSIZE_FORMAT
                         "; DPS allows only letters, digits and - . _ :",
                         registration_id, c, i + 1);
          else
            g_set_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_INVALID_CHARACTER,
                         "The registration id contains the byte 0x%02x at position %" G_GSIZE_FORMAT
                         "; DPS allows only ASCII letters, digits and - . _ :", c, i + 1);
          return FALSE;
        }
    }

  if (!g_ascii_isalnum (registration_id[len - 1]) && registration_id[len - 1] != '-')
    {
      g_set_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_INVALID_LAST_CHARACTER,
                   "The registration id “%s” ends with “%c”; DPS needs a letter, a digit or '-' "
                   "at the end", registration_id, registration_id[len - 1]);
      return FALSE;
    }

  return TRUE;
}

char *
cb_registration_id_normalize (const char  *registration_id,
                              GError     **error)
{
  g_autofree char *lower = NULL;

  if (!cb_registration_id_validate (registration_id, error))
    return NULL;

  lower = g_ascii_strdown (registration_id, -1);
  return g_steal_pointer (&lower);
}

/* Walks the template; with lookup NULL it only checks the syntax. */
static char *
expand (const char             *template_text,
        CbRegistrationLookup    lookup,
        gpointer                user_data,
        GError                **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = template_text;

  if (template_text == NULL || *template_text == '\0')
    {
      g_set_error_literal (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_EMPTY,
                           "The registration id template is empty");
      return NULL;
    }

  while (*p != '\0')
    {
      const char *close;
      gsize name_len;
      guint which = G_N_ELEMENTS (placeholder_names);

      if (*p == '}')
        {
          g_set_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_UNBALANCED_BRACE,
                       "The template “%s” has a “}” without a “{”", template_text);
          return NULL;
        }
      if (*p != '{')
        {
          g_string_append_c (out, *p++);
          continue;
        }

      close = strchr (p + 1, '}');
      if (close == NULL || memchr (p + 1, '{', close - p - 1) != NULL)
        {
          g_set_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_UNBALANCED_BRACE,
                       "The template “%s” has a “{” without a “}”", template_text);
          return NULL;
        }

      name_len = close - p - 1;
      for (guint i = 0; i < G_N_ELEMENTS (placeholder_names); i++)
        if (strlen (placeholder_names[i]) == name_len &&
            strncmp (p + 1, placeholder_names[i], name_len) == 0)
          which = i;

      if (which == G_N_ELEMENTS (placeholder_names))
        {
          g_set_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_UNKNOWN_PLACEHOLDER,
                       "The template “%s” uses “{%.*s}”; known placeholders are {serial}, "
                       "{model}, {firmware}, {imei} and {uuid}", template_text, (int) name_len,
                       p + 1);
          return NULL;
        }

      if (lookup != NULL)
        {
          const char *value = lookup (user_data, placeholder_names[which]);

          if (value == NULL || *value == '\0')
            {
              g_set_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_MISSING_VALUE,
                           "The template “%s” needs the device's %s, which it did not report",
                           template_text, placeholder_names[which]);
              return NULL;
            }
          g_string_append (out, value);
        }

      p = close + 1;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
cb_registration_template_check (const char  *template_text,
                                GError     **error)
{
  g_autofree char *skeleton = expand (template_text, NULL, NULL, error);

  return skeleton != NULL;
}

char *
cb_registration_template_expand_with (const char            *template_text,
                                      CbRegistrationLookup   lookup,
                                      gpointer               user_data,
                                      GError               **error)
{
  g_autofree char *expanded = NULL;

  g_return_val_if_fail (lookup != NULL, NULL);

  expanded = expand (template_text, lookup, user_data, error);
  if (expanded == NULL)
    return NULL;

  return cb_registration_id_normalize (expanded, error);
}

static const char *
lookup_three (gpointer    user_data,
              const char *name)
{
  const char * const *values = user_data;

  for (guint i = 0; i < 3; i++)
    if (strcmp (name, placeholder_names[i]) == 0)
      return values[i];
  return NULL;
}

char *
cb_registration_template_expand (const char  *template_text,
                                 const char  *serial,
                                 const char  *model,
                                 const char  *firmware,
                                 GError     **error)
{
  const char *values[] = { serial, model, firmware };

  return cb_registration_template_expand_with (template_text, lookup_three, values, error);
}
