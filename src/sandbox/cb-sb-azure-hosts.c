/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Codecs: the one table between Azure host names and the sandbox's path prefixes. Every
 * service answers both on its prefix (https://127.0.0.1:7443/arm/…) and on its Azure host
 * (https://management.azure.com/…, the host mapped to the sandbox by a hosts file or a
 * resolver option): the router turns a host into its prefix, absolute URLs the sandbox writes
 * (nextLink, Location) turn a prefix back into the host the client used, and the server
 * certificate names every host here. */

#include <string.h>

#include "cb-sb-azure-hosts.h"

#define HUB_SUFFIX      ".azure-devices.net"
#define DPS_SUFFIX      ".azure-devices-provisioning.net"

static const char * const certificate_names[] = {
  "localhost",
  CB_SB_AZURE_HOST_ENTRA,
  CB_SB_AZURE_HOST_ARM,
  CB_SB_AZURE_HOST_DPS,
  "*" DPS_SUFFIX,
  "*" HUB_SUFFIX,
  "*.service" HUB_SUFFIX,
  "*.device" HUB_SUFFIX,
  NULL
};

const char * const *
cb_sb_azure_host_certificate_names (void)
{
  return certificate_names;
}

/* One DNS label as hub and DPS names use them: letters, digits, hyphens. */
static gboolean
is_label (const char *s,
          gsize       len)
{
  if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '-')
      return FALSE;
  return TRUE;
}

/* host without its port and trailing dot, lower-cased; NULL for an IPv6 literal. */
static char *
bare_host (const char *host)
{
  const char *colon;
  g_autofree char *name = NULL;
  gsize len;

  if (host == NULL || host[0] == '[')
    return NULL;
  colon = strchr (host, ':');
  name = g_ascii_strdown (host, colon != NULL ? colon - host : -1);
  len = strlen (name);
  if (len > 0 && name[len - 1] == '.')
    name[len - 1] = '\0';
  return g_steal_pointer (&name);
}

guint16
cb_sb_azure_host_port (const char *host)
{
  const char *colon;
  guint64 port = 0;

  if (host == NULL)
    return 0;
  colon = host[0] == '[' ? strstr (host, "]:") : strchr (host, ':');
  if (colon == NULL)
    return 0;
  colon += colon[0] == ']' ? 2 : 1;
  if (!g_ascii_string_to_unsigned (colon, 10, 1, 65535, &port, NULL))
    return 0;
  return (guint16) port;
}

char *
cb_sb_azure_host_prefix (const char *host)
{
  g_autofree char *name = bare_host (host);
  gsize len;

  if (name == NULL)
    return NULL;
  len = strlen (name);

  if (g_str_equal (name, CB_SB_AZURE_HOST_ENTRA))
    return g_strdup ("/entra");
  if (g_str_equal (name, CB_SB_AZURE_HOST_ARM))
    return g_strdup ("/arm");
  if (g_str_equal (name, CB_SB_AZURE_HOST_DPS))
    return g_strdup ("/dps");

  if (g_str_has_suffix (name, DPS_SUFFIX) &&
      is_label (name, len - strlen (DPS_SUFFIX)))
    return g_strdup_printf ("/dps-service/%.*s", (int) (len - strlen (DPS_SUFFIX)), name);

  if (g_str_has_suffix (name, HUB_SUFFIX))
    {
      gsize hub_len = len - strlen (HUB_SUFFIX);

      /* {hub}.service… and {hub}.device… are the names ADR's linked endpoints show. */
      if (hub_len > 8 && memcmp (name + hub_len - 8, ".service", 8) == 0)
        hub_len -= 8;
      else if (hub_len > 7 && memcmp (name + hub_len - 7, ".device", 7) == 0)
        hub_len -= 7;
      if (is_label (name, hub_len))
        return g_strdup_printf ("/hubs/%.*s", (int) hub_len, name);
    }

  return NULL;
}

/* The first segment of path after the prefix segment seg (path starts with "/" seg "/"). */
static gboolean
segment_is (const char *path,
            const char *seg,
            const char **after)
{
  gsize n = strlen (seg);

  if (path[0] != '/' || g_ascii_strncasecmp (path + 1, seg, n) != 0)
    return FALSE;
  if (path[1 + n] != '\0' && path[1 + n] != '/' && path[1 + n] != '?')
    return FALSE;
  *after = path + 1 + n;
  return TRUE;
}

char *
cb_sb_azure_host_for_path (const char  *path,
                           const char **out_rest)
{
  const char *after = NULL;
  const char *host = NULL;
  char *named = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (segment_is (path, "entra", &after))
    host = CB_SB_AZURE_HOST_ENTRA;
  else if (segment_is (path, "arm", &after))
    host = CB_SB_AZURE_HOST_ARM;
  else if (segment_is (path, "dps", &after))
    host = CB_SB_AZURE_HOST_DPS;
  else if (segment_is (path, "dps-service", &after) || segment_is (path, "hubs", &after))
    {
      gboolean dps = g_ascii_strncasecmp (path, "/dps", 4) == 0;
      const char *name = after[0] == '/' ? after + 1 : after;
      gsize len = strcspn (name, "/?");

      if (!is_label (name, len))
        return NULL;
      named = g_strdup_printf ("%.*s%s", (int) len, name, dps ? DPS_SUFFIX : HUB_SUFFIX);
      after = name + len;
    }
  else
    return NULL;

  if (out_rest != NULL)
    *out_rest = after[0] == '\0' ? "/" : after;
  if (named != NULL)
    {
      char *lower = g_ascii_strdown (named, -1);
      g_free (named);
      return lower;
    }
  return g_strdup (host);
}

char *
cb_sb_azure_url (const char *base_url,
                 const char *azure_host,
                 const char *path_and_query)
{
  const char *rest = NULL;
  g_autofree char *host = NULL;
  guint16 port;

  if (azure_host == NULL ||
      (host = cb_sb_azure_host_for_path (path_and_query, &rest)) == NULL)
    return g_strconcat (base_url, path_and_query, NULL);

  port = cb_sb_azure_host_port (azure_host);
  if (port != 0 && port != 443)
    return g_strdup_printf ("https://%s:%u%s%s", host, port, rest[0] == '?' ? "/" : "", rest);
  return g_strconcat ("https://", host, rest[0] == '?' ? "/" : "", rest, NULL);
}

char *
cb_sb_azure_hub_host (const char *hub)
{
  g_autofree char *host = g_strconcat (hub, HUB_SUFFIX, NULL);
  return g_ascii_strdown (host, -1);
}

char *
cb_sb_azure_dps_host (const char *dps)
{
  g_autofree char *host = g_strconcat (dps, DPS_SUFFIX, NULL);
  return g_ascii_strdown (host, -1);
}
