/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* IoT Hub's shared access signatures as the hub verifies them: see cb-sb-sas.h. The service
 * REST surface (cb-sb-routes-hub-auth.c) and the MQTT device endpoint
 * (cb-sb-mqtt-handle-connect.c) both call cb_sb_hub_sas_verify(), so a token the one accepts
 * the other accepts for the same resource. */

#include "config.h"

#include <string.h>

#include "cb-sas.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-sas.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"

static guint
parse_rights (const char *text)
{
  g_auto(GStrv) parts = g_strsplit_set (text != NULL ? text : "", ", |", -1);
  guint rights = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (parts[i], "RegistryRead") == 0)
        rights |= CB_SB_HUB_RIGHT_REGISTRY_READ;
      else if (g_ascii_strcasecmp (parts[i], "RegistryWrite") == 0)
        rights |= CB_SB_HUB_RIGHT_REGISTRY_WRITE | CB_SB_HUB_RIGHT_REGISTRY_READ;  /* write implies read */
      else if (g_ascii_strcasecmp (parts[i], "ServiceConnect") == 0)
        rights |= CB_SB_HUB_RIGHT_SERVICE;
      else if (g_ascii_strcasecmp (parts[i], "DeviceConnect") == 0)
        rights |= CB_SB_HUB_RIGHT_DEVICE;
    }

  return rights;
}

/* The primary key first: a bad signature tries the secondary one. */
static gboolean
verify_with_keys (CbSandbox        *self,
                  const CbSasToken *token,
                  const char       *primary,
                  const char       *secondary,
                  GError          **error)
{
  g_autoptr(GError) local = NULL;
  gint64 now = cb_sb_session_now (self);

  if (cb_sas_token_verify (token, token->resource, primary, now, &local))
    return TRUE;
  if (secondary != NULL && g_error_matches (local, CB_SAS_ERROR, CB_SAS_ERROR_BAD_SIGNATURE))
    {
      g_clear_error (&local);
      if (cb_sas_token_verify (token, token->resource, secondary, now, &local))
        return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* The device "{host}/devices/{id}" names (the host and "devices" in any case, the id as
 * sent: device ids keep their case), or NULL. */
static char *
device_of_resource (const char *sr,
                    const char *host)
{
  gsize host_len = strlen (host);
  g_autofree char *rest = NULL;

  if (g_ascii_strncasecmp (sr, host, host_len) != 0 ||
      g_ascii_strncasecmp (sr + host_len, "/devices/", 9) != 0)
    return NULL;
  rest = g_strdup (sr + host_len + 9);
  while (g_str_has_suffix (rest, "/"))
    rest[strlen (rest) - 1] = '\0';
  if (*rest == '\0' || strchr (rest, '/') != NULL)
    return NULL;
  return g_steal_pointer (&rest);
}

gboolean
cb_sb_hub_sas_verify (CbSandbox   *self,
                      const char  *hub,
                      const char  *host_name,
                      const char  *authorization,
                      const char  *resource,
                      guint       *out_rights,
                      char       **out_key_name,
                      char       **out_device_id,
                      GError     **error)
{
  g_autoptr(CbSasToken) token = NULL;
  g_autofree char *host = NULL;
  g_autofree char *res = NULL;
  g_autofree char *sr = NULL;
  g_autofree char *device = NULL;
  gsize sr_len;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (hub != NULL && host_name != NULL && resource != NULL, FALSE);

  *out_rights = 0;
  if (out_key_name != NULL)
    *out_key_name = NULL;
  if (out_device_id != NULL)
    *out_device_id = NULL;

  if (!(token = cb_sas_token_parse (authorization, error)))
    return FALSE;

  host = g_ascii_strdown (host_name, -1);
  res = g_ascii_strdown (resource, -1);
  sr = g_ascii_strdown (token->resource, -1);
  while (g_str_has_suffix (sr, "/"))
    sr[strlen (sr) - 1] = '\0';
  sr_len = strlen (sr);
  if (!g_str_has_prefix (res, sr) || (res[sr_len] != '\0' && res[sr_len] != '/') ||
      sr_len < strlen (host))
    {
      g_set_error (error, CB_SAS_ERROR, CB_SAS_ERROR_WRONG_RESOURCE,
                   "the token is for '%s', which does not cover '%s'", token->resource, res);
      return FALSE;
    }

  device = device_of_resource (token->resource, host);

  if (token->key_name != NULL)
    {
      g_autofree char *primary = cb_sb_dup_hub_key (self, hub, token->key_name);
      g_autofree char *secondary = NULL;
      g_autofree char *rights_text = NULL;
      g_autoptr(CbSbStmt) stmt = NULL;

      if (primary == NULL)
        {
          g_set_error (error, CB_SAS_ERROR, CB_SAS_ERROR_WRONG_KEY_NAME,
                       "the hub has no shared access policy named '%s'", token->key_name);
          return FALSE;
        }

      stmt = cb_sb_prepare (self, "SELECT secondary_key, rights FROM hub_keys "
                                  "WHERE hub = ? AND key_name = ?");
      sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, token->key_name, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          secondary = cb_sb_column_dup (stmt, 0);
          rights_text = cb_sb_column_dup (stmt, 1);
        }
      sqlite3_reset (stmt);

      if (!verify_with_keys (self, token, primary, secondary, error))
        return FALSE;

      *out_rights = parse_rights (rights_text);
      if (out_key_name != NULL)
        *out_key_name = g_strdup (token->key_name);
    }
  else
    {
      g_autoptr(CbSbHubDevice) dev = NULL;

      if (device == NULL)
        {
          g_set_error_literal (error, CB_SAS_ERROR, CB_SAS_ERROR_WRONG_KEY_NAME,
                               "a token without a shared access policy (skn) must be a device's, "
                               "for {hub}.azure-devices.net/devices/{deviceId}");
          return FALSE;
        }
      dev = cb_sb_hub_device_load (self, hub, device);
      if (dev == NULL || g_strcmp0 (dev->auth_type, "sas") != 0 || dev->primary_key == NULL)
        {
          g_set_error (error, CB_SAS_ERROR, CB_SAS_ERROR_BAD_KEY,
                       dev == NULL ? "the device '%s' is not registered in the hub"
                                   : "the device '%s' has no symmetric keys (its authentication "
                                     "is not sas)", device);
          return FALSE;
        }
      if (!verify_with_keys (self, token, dev->primary_key, dev->secondary_key, error))
        return FALSE;

      *out_rights = CB_SB_HUB_RIGHT_DEVICE;
    }

  if (out_device_id != NULL)
    *out_device_id = g_steal_pointer (&device);
  return TRUE;
}
