/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Paging of lists: one page size, one $skipToken format and one nextLink for every paged
 * surface of the sandbox (ARM lists, the activity log). A $skipToken is a keyset cursor: the
 * sort key of the last item the page held, so the next page is an index seek that costs the
 * same at the end of a long list as at its start, and rows inserted or deleted meanwhile
 * neither repeat nor hide the others. The token is
 *   base64url(GVariant (x issued, s path, as keys)) "." base64url(HMAC-SHA256)
 * signed with a key this sandbox process draws at random, so a client cannot move the cursor
 * by editing it, nor use one list's token on another. */

#include "config.h"

#include <string.h>

#include "cb-sb-paging.h"
#include "cb-sb-store.h"
#include "cb-util.h"

#define PAGING_MODULE "paging"
#define TOKEN_TYPE    "(xsas)"
#define MAC_BYTES     16

guint
cb_sb_page_size (CbSandbox *self)
{
  return self->page_size > 0 ? self->page_size : 100;
}

static const char *
paging_key (CbSandbox *self)
{
  char *key = cb_sb_get_module_data (self, PAGING_MODULE);

  if (key == NULL)
    {
      key = cb_random_base64 (32);
      cb_sb_set_module_data (self, PAGING_MODULE, key, g_free);
    }
  return key;
}

/* base64url without padding, and back (NULL when it is not). */
static char *
encode_url64 (const guint8 *data,
              gsize         len)
{
  char *out = g_base64_encode (data, len);
  char *p;

  for (p = out; *p != '\0'; p++)
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
    else if (*p == '=')
      {
        *p = '\0';
        break;
      }
  return out;
}

static guint8 *
decode_url64 (const char *text,
              gsize       text_len,
              gsize      *out_len)
{
  g_autoptr(GString) s = g_string_sized_new (text_len + 3);

  for (gsize i = 0; i < text_len; i++)
    {
      char c = text[i];

      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (!g_ascii_isalnum (c))
        return NULL;
      g_string_append_c (s, c);
    }
  if (s->len % 4 == 1)
    return NULL;
  while (s->len % 4 != 0)
    g_string_append_c (s, '=');
  return g_base64_decode (s->str, out_len);
}

static char *
mac_of (CbSandbox    *self,
        const guint8 *payload,
        gsize         len)
{
  const char *key = paging_key (self);
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_hmac_update (hmac, payload, len);
  g_hmac_get_digest (hmac, digest, &digest_len);
  return encode_url64 (digest, MAC_BYTES);
}

char *
cb_sb_skip_token_new (CbSandbox          *self,
                      const char         *path,
                      const char * const *keys)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  g_autoptr(GVariant) v = NULL;
  g_autofree char *body = NULL;
  g_autofree char *mac = NULL;

  v = g_variant_ref_sink (g_variant_new ("(xs^as)", cb_sb_session_now (self), lower, keys));
  body = encode_url64 (g_variant_get_data (v), g_variant_get_size (v));
  mac = mac_of (self, (const guint8 *) body, strlen (body));
  return g_strconcat (body, ".", mac, NULL);
}

CbSbSkipTokenStatus
cb_sb_skip_token_parse (CbSandbox   *self,
                        const char  *path,
                        const char  *token,
                        guint        n_keys,
                        char      ***keys)
{
  const char *dot;
  g_autofree char *mac = NULL;
  g_autofree char *given_mac = NULL;
  g_autofree char *lower = NULL;
  g_autofree guint8 *data = NULL;
  gsize len = 0;
  g_autoptr(GVariant) v = NULL;
  gint64 issued = 0;
  const char *token_path = NULL;
  g_auto(GStrv) token_keys = NULL;

  *keys = NULL;
  dot = token != NULL ? strchr (token, '.') : NULL;
  if (dot == NULL || dot == token)
    return CB_SB_SKIP_TOKEN_INVALID;

  mac = mac_of (self, (const guint8 *) token, dot - token);
  given_mac = g_strdup (dot + 1);
  if (!cb_constant_time_equal (mac, given_mac))
    return CB_SB_SKIP_TOKEN_INVALID;

  data = decode_url64 (token, dot - token, &len);
  if (data == NULL)
    return CB_SB_SKIP_TOKEN_INVALID;
  v = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE (TOKEN_TYPE), data, len,
                                                   FALSE, NULL, NULL));
  if (!g_variant_is_normal_form (v))
    return CB_SB_SKIP_TOKEN_INVALID;
  g_variant_get (v, "(x&s^as)", &issued, &token_path, &token_keys);

  lower = g_ascii_strdown (path, -1);
  if (g_strcmp0 (lower, token_path) != 0 || g_strv_length (token_keys) != n_keys)
    return CB_SB_SKIP_TOKEN_INVALID;
  if (cb_sb_session_now (self) - issued > CB_SB_SKIP_TOKEN_LIFETIME)
    return CB_SB_SKIP_TOKEN_EXPIRED;

  *keys = g_steal_pointer (&token_keys);
  return CB_SB_SKIP_TOKEN_OK;
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
                      const char *token)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);
  g_autofree char *escaped_token = g_uri_escape_string (token, NULL, FALSE);
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
  g_string_append_printf (out, "%c$skipToken=%s", keys->len == 0 ? '?' : '&', escaped_token);

  return g_string_free (out, FALSE);
}
