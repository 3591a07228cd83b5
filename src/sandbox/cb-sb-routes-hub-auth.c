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
#include "cb-sb-sas.h"
#include "cb-sb-store.h"

#define HUB_API_VERSION_CLI "2024-03-31"
#define HUB_API_VERSION_NODE_PL "2020-09-30"   /* azure-iothub's IoTHubRegistryManager */

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

/* SAS: verified by cb_sb_hub_sas_verify() (the resource is the host plus the path under
 * /hubs/{hub}); the token must name a shared access policy holding one of the accepted rights.
 * Bearer: any sandbox principal with a token for the hub audience from the tenant of the hub's
 * subscription. */
static gboolean
authorize (CbSbRequest    *req,
           CbSbHubContext *ctx,
           guint           accepted,
           const char     *right_name)
{
  const char *auth = cb_sb_header (req, "Authorization");
  g_autoptr(CbSasToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *resource = NULL;
  g_autofree char *key_name = NULL;
  const char *sub_path;
  guint rights = 0;

  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    return cb_sb_require_service_bearer (req, CB_SB_AUD_HUB, "hubs", ctx->hub);

  if (auth == NULL)
    return unauthorized (req, "the Authorization header is missing");

  if (!(token = cb_sas_token_parse (auth, &error)))
    return unauthorized (req, error->message);

  if (token->key_name == NULL)
    return unauthorized (req, "a service token must name its shared access policy (skn)");

  sub_path = strchr (req->path + strlen ("/hubs/"), '/');
  resource = g_strconcat (ctx->host_name, sub_path, NULL);
  if (!cb_sb_hub_sas_verify (req->sandbox, ctx->hub, ctx->host_name, auth, resource, &rights,
                             &key_name, NULL, &error))
    return unauthorized (req, error->message);

  if ((rights & accepted) == 0)
    {
      g_autofree char *msg = g_strdup_printf ("the authorization rule '%s' does not allow access "
                                              "for '%s'", key_name, right_name);
      return unauthorized (req, msg);
    }

  g_free (req->auth_key_name);
  req->auth_key_name = g_steal_pointer (&key_name);
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
