/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sas"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "cb-sas.h"
#include "cb-util.h"

G_DEFINE_QUARK (cb-sas-error-quark, cb_sas_error)

static const char sas_prefix[] = "SharedAccessSignature ";

static GBytes *
decode_key (const char  *key_base64,
            GError     **error)
{
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  if (key_base64 == NULL || *key_base64 == '\0')
    {
      g_set_error_literal (error, CB_SAS_ERROR, CB_SAS_ERROR_BAD_KEY, "The key is empty");
      return NULL;
    }

  for (const char *p = key_base64; *p; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
        {
          g_set_error_literal (error, CB_SAS_ERROR, CB_SAS_ERROR_BAD_KEY,
                               "The key is not valid base64");
          return NULL;
        }
    }

  raw = g_base64_decode (key_base64, &len);
  if (len == 0)
    {
      g_set_error_literal (error, CB_SAS_ERROR, CB_SAS_ERROR_BAD_KEY,
                           "The key is not valid base64");
      return NULL;
    }

  return g_bytes_new_take (g_steal_pointer (&raw), len);
}

static char *
hmac_base64 (GBytes     *key,
             const char *message)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256,
                                      g_bytes_get_data (key, NULL),
                                      g_bytes_get_size (key));
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) message, strlen (message));
  g_hmac_get_digest (hmac, digest, &digest_len);

  return g_base64_encode (digest, digest_len);
}

/* Azure encodes everything but unreserved characters, with upper-case hex. */
static char *
sas_escape (const char *text)
{
  return g_uri_escape_string (text, NULL, FALSE);
}

char *
cb_sas_token_new (const char  *resource_uri,
                  const char  *key_base64,
                  const char  *key_name,
                  gint64       expiry_unix,
                  CbSasFlags   flags,
                  GError     **error)
{
  g_autoptr(GBytes) key = NULL;
  g_autofree char *lower = NULL;
  g_autofree char *sr = NULL;
  g_autofree char *to_sign = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *sig_escaped = NULL;

  g_return_val_if_fail (resource_uri != NULL, NULL);

  if (!(key = decode_key (key_base64, error)))
    return NULL;

  if (flags & CB_SAS_FLAGS_LOWERCASE_RESOURCE)
    lower = g_ascii_strdown (resource_uri, -1);

  sr = sas_escape (lower != NULL ? lower : resource_uri);
  if (flags & CB_SAS_FLAGS_LOWERCASE_RESOURCE)
    {
      g_autofree char *tmp = g_steal_pointer (&sr);
      sr = g_ascii_strdown (tmp, -1);
    }

  to_sign = g_strdup_printf ("%s\n%" G_GINT64_FORMAT, sr, expiry_unix);
  sig = hmac_base64 (key, to_sign);
  sig_escaped = sas_escape (sig);

  if (key_name != NULL)
    return g_strdup_printf ("%ssr=%s&sig=%s&se=%" G_GINT64_FORMAT "&skn=%s",
                            sas_prefix, sr, sig_escaped, expiry_unix, key_name);

  return g_strdup_printf ("%ssr=%s&sig=%s&se=%" G_GINT64_FORMAT,
                          sas_prefix, sr, sig_escaped, expiry_unix);
}

char *
cb_sas_authorization_new (const char  *resource_uri,
                          const char  *what,
                          const char  *key_base64,
                          const char  *key_name,
                          gint64       lifetime_seconds,
                          CbSasFlags   flags,
                          GError     **error)
{
  if (resource_uri == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   "The profile has no %s to sign for", what);
      return NULL;
    }

  return cb_sas_token_new (resource_uri, key_base64, key_name,
                           g_get_real_time () / G_USEC_PER_SEC + lifetime_seconds, flags, error);
}

char *
cb_sas_derive_device_key (const char  *group_key_base64,
                          const char  *registration_id,
                          GError     **error)
{
  g_autoptr(GBytes) key = NULL;

  g_return_val_if_fail (registration_id != NULL, NULL);

  if (!(key = decode_key (group_key_base64, error)))
    return NULL;

  return hmac_base64 (key, registration_id);
}

void
cb_sas_token_free (CbSasToken *token)
{
  if (token == NULL)
    return;

  g_free (token->resource);
  g_free (token->resource_raw);
  g_free (token->signature);
  g_free (token->key_name);
  g_free (token);
}

CbSasToken *
cb_sas_token_parse (const char  *authorization,
                    GError     **error)
{
  g_autoptr(CbSasToken) token = g_new0 (CbSasToken, 1);
  g_auto(GStrv) fields = NULL;
  gboolean have_se = FALSE;

  if (authorization == NULL || !g_str_has_prefix (authorization, sas_prefix))
    {
      g_set_error_literal (error, CB_SAS_ERROR, CB_SAS_ERROR_MALFORMED,
                           "The Authorization header is not a SharedAccessSignature");
      return NULL;
    }

  fields = g_strsplit (authorization + strlen (sas_prefix), "&", -1);
  for (guint i = 0; fields[i] != NULL; i++)
    {
      const char *eq = strchr (fields[i], '=');
      g_autofree char *name = NULL;
      const char *value;

      if (eq == NULL)
        continue;

      name = g_strndup (fields[i], eq - fields[i]);
      value = eq + 1;

      if (g_str_equal (name, "sr"))
        {
          g_free (token->resource_raw);
          token->resource_raw = g_strdup (value);
          g_free (token->resource);
          token->resource = g_uri_unescape_string (value, NULL);
        }
      else if (g_str_equal (name, "sig"))
        {
          g_free (token->signature);
          token->signature = g_uri_unescape_string (value, NULL);
        }
      else if (g_str_equal (name, "skn"))
        {
          g_free (token->key_name);
          token->key_name = g_strdup (value);
        }
      else if (g_str_equal (name, "se"))
        {
          char *end = NULL;
          gint64 se = g_ascii_strtoll (value, &end, 10);

          if (end == value || *end != '\0')
            break;
          token->expiry = se;
          have_se = TRUE;
        }
    }

  if (token->resource == NULL || token->signature == NULL || !have_se)
    {
      g_set_error_literal (error, CB_SAS_ERROR, CB_SAS_ERROR_MALFORMED,
                           "The SharedAccessSignature lacks sr, sig or se");
      return NULL;
    }

  return g_steal_pointer (&token);
}

gboolean
cb_sas_token_verify (const CbSasToken  *token,
                     const char        *expected_resource,
                     const char        *key_base64,
                     gint64             now_unix,
                     GError           **error)
{
  g_autoptr(GBytes) key = NULL;
  g_autofree char *to_sign = NULL;
  g_autofree char *expected_sig = NULL;

  g_return_val_if_fail (token != NULL, FALSE);
  g_return_val_if_fail (expected_resource != NULL, FALSE);

  if (g_ascii_strcasecmp (token->resource, expected_resource) != 0)
    {
      g_set_error (error, CB_SAS_ERROR, CB_SAS_ERROR_WRONG_RESOURCE,
                   "The signature is for %s, not for %s", token->resource, expected_resource);
      return FALSE;
    }

  if (token->expiry <= now_unix)
    {
      g_set_error_literal (error, CB_SAS_ERROR, CB_SAS_ERROR_EXPIRED, "The signature has expired");
      return FALSE;
    }

  if (!(key = decode_key (key_base64, error)))
    return FALSE;

  to_sign = g_strdup_printf ("%s\n%" G_GINT64_FORMAT, token->resource_raw, token->expiry);
  expected_sig = hmac_base64 (key, to_sign);

  if (!cb_constant_time_equal (expected_sig, token->signature))
    {
      g_set_error_literal (error, CB_SAS_ERROR, CB_SAS_ERROR_BAD_SIGNATURE,
                           "The signature does not match the key");
      return FALSE;
    }

  return TRUE;
}
