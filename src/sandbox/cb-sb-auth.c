/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Surfaces: authentication and RBAC. A bearer token from the sandbox's Entra for the
 * surface's audience, answered 401 in the surface's style; a token issued in the tenant of the
 * subscription the resource is in (ARM: the one the path names, 401
 * InvalidAuthenticationTokenTenant otherwise, worded as ARM words it; IoT Hub and DPS: the
 * hub's or the instance's, whose Entra sign-in is their directory's, 401 in their style); then
 * a role on the ARM scope (or a parent scope) that grants the action, answered 403
 * AuthorizationFailed naming the role. */

#include <string.h>

#include "cb-sb-arm-resources.h"
#include "cb-sb-directory.h"
#include "cb-sb-request.h"
#include "cb-sb-sql.h"
#include "cb-sb-store.h"

/* Azure takes a token for a resource only from the tenant of the resource's subscription; ARM
 * says which authority gives the right one (login.windows.net/{tenant}, as ARM writes it). */
static gboolean
require_subscription_tenant (CbSbRequest *req,
                             const char  *sub,
                             const char  *token_tenant)
{
  g_autofree char *tenant = NULL;
  g_autofree char *www = NULL;

  if (sub == NULL || (tenant = cb_sb_arm_subscription_tenant (req->sandbox, sub)) == NULL ||
      g_ascii_strcasecmp (tenant, token_tenant) == 0)
    return TRUE;

  if (req->style == CB_SB_STYLE_HUB || req->style == CB_SB_STYLE_DPS)
    {
      www = g_strdup_printf ("Bearer authorization_uri=\"https://login.windows.net/%s\", "
                             "error=\"invalid_token\"", tenant);
      cb_sb_set_header (req, "WWW-Authenticate", www);
      if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 401, "IotHubUnauthorizedAccess", 401002,
                           "Unauthorized: the token was issued by tenant '%s'; this IoT hub "
                           "takes tokens from its subscription's tenant '%s'", token_tenant,
                           tenant);
      else
        cb_sb_reply_error (req, 401, "Unauthorized", 401002,
                           "The token was issued by tenant '%s'; this provisioning service "
                           "takes tokens from its subscription's tenant '%s'", token_tenant,
                           tenant);
      return FALSE;
    }

  www = g_strdup_printf ("Bearer authorization_uri=\"https://login.windows.net/%s\", "
                         "error=\"invalid_token\", "
                         "error_description=\"The access token is from the wrong issuer.\"",
                         tenant);
  cb_sb_set_header (req, "WWW-Authenticate", www);
  cb_sb_reply_arm_error (req, 401, "InvalidAuthenticationTokenTenant", NULL,
                         "The access token is from the wrong issuer "
                         "'https://sts.windows.net/%s/'. It must match the tenant "
                         "'https://sts.windows.net/%s/' associated with this subscription. "
                         "Please use the authority (URL) 'https://login.windows.net/%s' to get "
                         "the token. Note, if the subscription is transferred to another tenant "
                         "there is no impact to the services, but information about new tenant "
                         "could take time to propagate (up to an hour). If you just transferred "
                         "your subscription and see this error message, please try back later.",
                         token_tenant, tenant, tenant);
  return FALSE;
}

static gboolean
require_bearer (CbSbRequest *req,
                const char  *audience,
                const char  *subscription)
{
  const char *auth = cb_sb_header (req, "Authorization");
  g_autofree char *token_audience = NULL;
  g_autofree char *principal = NULL;
  g_autofree char *pid = NULL;
  g_autofree char *tenant = NULL;
  gboolean expired = FALSE;
  g_autofree char *www = NULL;

  www = g_strdup_printf ("Bearer authorization_uri=\"%s/entra/common/oauth2/authorize\", "
                         "error=\"invalid_token\"", req->sandbox->base_url);

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0 || auth[7] == '\0')
    {
      cb_sb_set_header (req, "WWW-Authenticate", www);
      if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 401, "IotHubUnauthorizedAccess", 401002,
                           "Unauthorized: the Authorization header is missing or not a bearer token");
      else if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 401, "Unauthorized", 401002,
                           "The Authorization header is missing or not a bearer token");
      else
        cb_sb_reply_arm_error (req, 401, "AuthenticationFailed", NULL,
                               "Authentication failed. The 'Authorization' header is missing.");
      return FALSE;
    }

  pid = cb_sb_lookup_token (req->sandbox, auth + 7, "access", &token_audience, &principal,
                            NULL, &tenant, &expired);
  if (pid == NULL || expired)
    {
      cb_sb_set_header (req, "WWW-Authenticate", www);
      if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 401, "IotHubUnauthorizedAccess", 401002,
                           "Unauthorized: the bearer token is %s", expired ? "expired" : "not valid");
      else if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 401, "Unauthorized", 401002,
                           "The bearer token is %s", expired ? "expired" : "not valid");
      else
        cb_sb_reply_arm_error (req, 401, expired ? "ExpiredAuthenticationToken"
                                                 : "InvalidAuthenticationToken", NULL,
                               expired ? "The access token has expired. Get a new token and try again."
                                       : "The access token is invalid.");
      return FALSE;
    }

  if (g_strcmp0 (token_audience, audience) != 0)
    {
      cb_sb_set_header (req, "WWW-Authenticate", www);
      if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 401, "IotHubUnauthorizedAccess", 401002,
                           "Unauthorized: the token's audience is '%s', expected '%s'",
                           token_audience, audience);
      else if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 401, "Unauthorized", 401002,
                           "The token's audience is '%s', expected '%s'", token_audience, audience);
      else
        cb_sb_reply_arm_error (req, 401, "InvalidAuthenticationTokenAudience", NULL,
                               "The access token has been obtained for the wrong audience or "
                               "resource '%s'. It should exactly match one of the allowed "
                               "audiences '%s', '%s/'.", token_audience, audience, audience);
      return FALSE;
    }

  if (!require_subscription_tenant (req, subscription, tenant))
    return FALSE;

  g_free (req->principal);
  req->principal = g_steal_pointer (&principal);
  g_free (req->principal_id);
  req->principal_id = g_steal_pointer (&pid);
  g_free (req->tenant_id);
  req->tenant_id = g_steal_pointer (&tenant);

  return TRUE;
}

gboolean
cb_sb_require_bearer (CbSbRequest *req,
                      const char  *audience)
{
  return require_bearer (req, audience,
                         req->style == CB_SB_STYLE_ARM ? cb_sb_param (req, "sub") : NULL);
}

gboolean
cb_sb_require_service_bearer (CbSbRequest *req,
                              const char  *audience,
                              const char  *service_table,
                              const char  *name)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *subscription = NULL;

  g_return_val_if_fail (g_strcmp0 (service_table, "hubs") == 0 ||
                        g_strcmp0 (service_table, "dps_instances") == 0, FALSE);

  sql = g_strconcat ("SELECT subscription FROM ", service_table, " WHERE name = ?1", NULL);
  stmt = cb_sb_prepare (req->sandbox, sql);
  cb_sb_bind_text (stmt, 1, name);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    subscription = cb_sb_column_dup (stmt, 0);
  cb_sb_stmt_done (stmt);

  return require_bearer (req, audience, subscription);
}

static gboolean
role_grants (const char     *role,
             CbSbPermission  perm)
{
  if (g_ascii_strcasecmp (role, CB_SB_ROLE_OWNER) == 0)
    return TRUE;

  switch (perm)
    {
    case CB_SB_PERM_READ:
      return TRUE;
    case CB_SB_PERM_WRITE:
      return g_ascii_strcasecmp (role, CB_SB_ROLE_CONTRIBUTOR) == 0 ||
             g_ascii_strcasecmp (role, CB_SB_ROLE_ADR_CONTRIBUTOR) == 0 ||
             g_ascii_strcasecmp (role, CB_SB_ROLE_ADR_CREDENTIALS) == 0;
    case CB_SB_PERM_WRITE_CREDENTIALS:
      return g_ascii_strcasecmp (role, CB_SB_ROLE_ADR_CREDENTIALS) == 0;
    default:
      return FALSE;
    }
}

static gboolean
scope_covers (const char *assigned,
              const char *target)
{
  gsize len = strlen (assigned);

  while (len > 0 && assigned[len - 1] == '/')
    len--;

  if (len == 0)
    return TRUE;

  return g_ascii_strncasecmp (assigned, target, len) == 0 &&
         (target[len] == '\0' || target[len] == '/');
}

gboolean
cb_sb_require_permission (CbSbRequest    *req,
                          const char     *scope,
                          const char     *action,
                          CbSbPermission  perm)
{
  g_autoptr(CbSbStmt) stmt = NULL;
  const char *needed;

  g_assert (req->principal_id != NULL);

  stmt = cb_sb_prepare (req->sandbox,
                        "SELECT role, scope FROM role_assignments WHERE principal_id = ?");
  sqlite3_bind_text (stmt, 1, req->principal_id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *role = (const char *) sqlite3_column_text (stmt, 0);
      const char *assigned = (const char *) sqlite3_column_text (stmt, 1);

      if (scope_covers (assigned, scope) && role_grants (role, perm))
        return TRUE;
    }

  needed = perm == CB_SB_PERM_READ ? CB_SB_ROLE_READER
         : perm == CB_SB_PERM_WRITE ? CB_SB_ROLE_ADR_CONTRIBUTOR
         : CB_SB_ROLE_ADR_CREDENTIALS;

  cb_sb_reply_arm_error (req, 403, "AuthorizationFailed", NULL,
                         "The client '%s' with object id '%s' does not have authorization to "
                         "perform action '%s' over scope '%s' or the scope is invalid. "
                         "Required role: '%s' (or '%s') on that scope or a parent scope.",
                         req->principal, req->principal_id, action, scope, needed,
                         CB_SB_ROLE_OWNER);
  return FALSE;
}

