/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-hub"

/* IoT Hub's service REST surface: the hub a request names and its authorization, by a
 * shared access policy's SAS (with the policy's rights) or by a sandbox bearer token. See
 * cb-sb-routes-hub.h. */

#include "config.h"

#include <string.h>

#include "cb-sas.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-routes-hub-auth.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"

#define HUB_API_VERSION_CLI "2024-03-31"
#define HUB_API_VERSION_NODE_PL "2020-09-30"   /* azure-iothub's IoTHubRegistryManager */

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

void
cb_sb_hub_context_clear (CbSbHubContext *ctx)
{
  g_clear_pointer (&ctx->hub, g_free);
  g_clear_pointer (&ctx->host_name, g_free);
}

static gboolean
unauthorized (CbSbRequest *req,
              const char  *message)
{
  cb_sb_reply_error (req, 401, "IotHubUnauthorizedAccess", 401002, "Unauthorized: %s", message);
  return FALSE;
}

/* SAS: sr must be the hub host (or a prefix of the resource requested under it), the key
 * that of the named shared access policy, and the policy must hold one of the accepted rights.
 * Bearer: any sandbox principal with a token for the hub audience. */
static gboolean
authorize (CbSbRequest *req,
           CbSbHubContext  *ctx,
           guint        accepted,
           const char  *right_name)
{
  CbSandbox *self = req->sandbox;
  const char *auth = cb_sb_header (req, "Authorization");
  g_autoptr(CbSasToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *primary = NULL;
  g_autofree char *secondary = NULL;
  g_autofree char *rights_text = NULL;
  g_autofree char *resource = NULL;
  g_autofree char *sr = NULL;
  const char *sub_path;
  g_autoptr(CbSbStmt) stmt = NULL;
  gboolean verified;

  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    return cb_sb_require_bearer (req, CB_SB_AUD_HUB);

  if (auth == NULL)
    return unauthorized (req, "the Authorization header is missing");

  if (!(token = cb_sas_token_parse (auth, &error)))
    return unauthorized (req, error->message);

  if (token->key_name == NULL)
    return unauthorized (req, "a service token must name its shared access policy (skn)");

  /* The resource this request addresses: the host plus the path under /hubs/{hub}. */
  sub_path = strchr (req->path + strlen ("/hubs/"), '/');
  resource = g_ascii_strdown (ctx->host_name, -1);
  if (sub_path != NULL)
    {
      g_autofree char *tmp = g_steal_pointer (&resource);
      g_autofree char *lower_sub = g_ascii_strdown (sub_path, -1);

      resource = g_strconcat (tmp, lower_sub, NULL);
    }
  sr = g_ascii_strdown (token->resource, -1);
  while (g_str_has_suffix (sr, "/"))
    sr[strlen (sr) - 1] = '\0';
  if (!g_str_has_prefix (resource, sr) ||
      (resource[strlen (sr)] != '\0' && resource[strlen (sr)] != '/') ||
      strlen (sr) < strlen (ctx->host_name))
    {
      g_autofree char *msg = g_strdup_printf ("the token is for '%s', which does not cover '%s'",
                                              token->resource, resource);
      return unauthorized (req, msg);
    }

  primary = cb_sb_dup_hub_key (self, ctx->hub, token->key_name);
  stmt = cb_sb_prepare (self, "SELECT secondary_key, rights FROM hub_keys WHERE hub = ? AND key_name = ?");
  sqlite3_bind_text (stmt, 1, ctx->hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, token->key_name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      secondary = cb_sb_column_dup (stmt, 0);
      rights_text = cb_sb_column_dup (stmt, 1);
    }
  sqlite3_reset (stmt);

  if (primary == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("the hub has no shared access policy named '%s'",
                                              token->key_name);
      return unauthorized (req, msg);
    }

  verified = cb_sas_token_verify (token, token->resource, primary, cb_sb_session_now (self), &error);
  if (!verified && secondary != NULL &&
      g_error_matches (error, CB_SAS_ERROR, CB_SAS_ERROR_BAD_SIGNATURE))
    {
      g_clear_error (&error);
      verified = cb_sas_token_verify (token, token->resource, secondary, cb_sb_session_now (self), &error);
    }
  if (!verified)
    return unauthorized (req, error->message);

  if ((parse_rights (rights_text) & accepted) == 0)
    {
      g_autofree char *msg = g_strdup_printf ("the authorization rule '%s' does not allow access "
                                              "for '%s'", token->key_name, right_name);
      return unauthorized (req, msg);
    }

  g_free (req->auth_key_name);
  req->auth_key_name = g_strdup (token->key_name);
  return TRUE;
}

/* The common start of every hub request: the hub exists, the caller may do this, the
 * api-version is one the hub serves. */
gboolean
cb_sb_hub_begin_request (CbSbRequest *req,
                         CbSbHubContext  *ctx,
                         guint        accepted,
                         const char  *right_name)
{
  const char *name = cb_sb_param (req, "hub");

  if (!cb_sb_hub_lookup (req->sandbox, name, &ctx->hub, &ctx->host_name))
    {
      cb_sb_reply_error (req, 404, "IotHubNotFound", 404000,
                         "The IoT hub '%s' does not exist in this sandbox", name);
      return FALSE;
    }

  if (!authorize (req, ctx, accepted, right_name))
    return FALSE;

  return cb_sb_require_api_version (req, CB_SB_HUB_API_VERSION, HUB_API_VERSION_CLI,
                                    HUB_API_VERSION_NODE_PL, NULL);
}

void
cb_sb_hub_reply_device_not_found (CbSbRequest *req,
                                  CbSbHubContext  *ctx,
                                  const char  *device_id)
{
  cb_sb_reply_error (req, 404, "DeviceNotFound", 404001,
                     "Device %s not registered in IotHub %s", device_id, ctx->host_name);
}
