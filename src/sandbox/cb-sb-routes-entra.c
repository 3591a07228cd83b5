/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-entra"

#include "config.h"

#include <string.h>

#include "cb-sb-directory.h"
#include "cb-sb-modules.h"
#include "cb-sb-request.h"
#include "cb-sb-routes-entra-discovery.h"
#include "cb-sb-store.h"
#include "cb-util.h"

/* Surfaces: a stand-in for Microsoft Entra ID's device-code sign-in (OAuth 2.0 RFC 8628 as
 * Entra v2 speaks it): /devicecode, /token with the device_code and refresh_token grants, and
 * the page where a person enters the code. Tokens are opaque; each carries one audience (ARM,
 * IoT Hub or DPS), a principal and the tenant it was issued in (the id_token's tid), which is
 * all the other surfaces check. The tenant is the authority's ({tenant} of the URL: an id or
 * a domain), or for organizations and common the account's home tenant; a refresh token
 * redeemed at another tenant's authority gives a token in that tenant when the account
 * belongs to it, as Entra's multi-tenant refresh tokens do. MSAL and @azure/identity find the
 * endpoints the way they find Entra's: the OpenID configuration of a tenant and the
 * instance-discovery document, both naming the sandbox as the client reached it
 * (login.microsoftonline.com by host name, or the /entra prefix). */

#define DEVICE_CODE_LIFETIME   900
#define ACCESS_TOKEN_LIFETIME  3599
#define REFRESH_TOKEN_LIFETIME (90 * 86400)

static const char entra_schema[] =
  "CREATE TABLE IF NOT EXISTS entra_device_codes ("
  "  hash TEXT PRIMARY KEY, user_code TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL,"
  "  scope TEXT NOT NULL, audience TEXT NOT NULL, status TEXT NOT NULL,"
  "  principal_id TEXT, expires INTEGER NOT NULL) STRICT;";

static const char *known_audiences[] = {
  CB_SB_AUD_ARM,
  CB_SB_AUD_HUB,
  CB_SB_AUD_DPS,
};

static GHashTable *
form_body (CbSbRequest *req)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (req->body, &len);
  g_autofree char *text = g_strndup (data != NULL ? data : "", len);

  return soup_form_decode (text);
}

/* The one resource a scope string asks for ("<resource>/.default offline_access"). */
static char *
audience_for_scope (const char *scope,
                    gboolean   *offline,
                    gboolean   *openid)
{
  g_auto(GStrv) parts = g_strsplit (scope != NULL ? scope : "", " ", -1);
  char *audience = NULL;

  *offline = FALSE;
  *openid = FALSE;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *s = parts[i];
      const char *slash;

      if (*s == '\0')
        continue;
      if (g_str_equal (s, "offline_access"))
        {
          *offline = TRUE;
          continue;
        }
      if (g_str_equal (s, "openid") || g_str_equal (s, "profile") || g_str_equal (s, "email"))
        {
          *openid = TRUE;
          continue;
        }

      slash = strrchr (s, '/');
      if (slash == NULL || slash == s)
        goto bad;

      {
        g_autofree char *resource = g_strndup (s, slash - s);
        gboolean known = FALSE;

        while (g_str_has_suffix (resource, "/"))
          resource[strlen (resource) - 1] = '\0';

        for (guint j = 0; j < G_N_ELEMENTS (known_audiences); j++)
          if (g_ascii_strcasecmp (resource, known_audiences[j]) == 0)
            {
              known = TRUE;
              g_free (resource);
              resource = g_strdup (known_audiences[j]);
            }

        if (!known)
          goto bad;
        if (audience != NULL && !g_str_equal (audience, resource))
          goto bad;   /* one resource per token, as Entra v2 */

        g_free (audience);
        audience = g_steal_pointer (&resource);
      }
    }

  return audience;

bad:
  g_free (audience);
  return NULL;
}

static char *
default_principal_id (CbSandbox *self)
{
  g_autofree char *name = cb_sb_dup_meta (self, "default_principal");
  g_autoptr(CbSbStmt) stmt = NULL;

  if (name == NULL)
    return NULL;

  stmt = cb_sb_prepare (self, "SELECT id FROM principals WHERE name = ?");
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return cb_sb_column_dup (stmt, 0);

  return NULL;
}

/* Codes people type: eight letters from an alphabet without look-alikes. */
static char *
new_user_code (void)
{
  static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";
  g_autofree char *hex = cb_random_hex (8);
  char code[10];

  for (guint i = 0, j = 0; i < 8; i++)
    {
      guint v = (guint) g_ascii_xdigit_value (hex[i * 2]) * 16 + (guint) g_ascii_xdigit_value (hex[i * 2 + 1]);

      code[j++] = alphabet[v % (sizeof alphabet - 1)];
      if (i == 3)
        code[j++] = '-';
    }
  code[9] = '\0';

  return g_strdup (code);
}

static void
handle_devicecode (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  g_autoptr(GHashTable) form = form_body (req);
  const char *client_id = g_hash_table_lookup (form, "client_id");
  const char *scope = g_hash_table_lookup (form, "scope");
  g_autofree char *audience = NULL;
  g_autofree char *device_code = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *user_code = NULL;
  g_autofree char *principal = NULL;
  g_autofree char *verification_uri = NULL;
  g_autofree char *message = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean offline, openid;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (!cb_sb_entra_check_tenant (req))
    return;

  if (client_id == NULL || *client_id == '\0')
    {
      cb_sb_reply_error (req, 400, "invalid_request", 900144,
                         "The request body must contain the following parameter: 'client_id'.");
      return;
    }

  audience = audience_for_scope (scope, &offline, &openid);
  if (audience == NULL)
    {
      cb_sb_reply_error (req, 400, "invalid_scope", 70011,
                         "The provided value for the input parameter 'scope' is not valid: '%s'. "
                         "Ask for one of %s/.default, %s/.default or %s/.default, optionally with "
                         "offline_access.", scope != NULL ? scope : "", CB_SB_AUD_ARM,
                         CB_SB_AUD_HUB, CB_SB_AUD_DPS);
      return;
    }

  {
    g_autofree char *random = cb_random_hex (32);
    device_code = g_strconcat ("cbxd.", random, NULL);
  }
  hash = cb_sha256_hex ((const guint8 *) device_code, strlen (device_code));
  user_code = new_user_code ();

  if (self->auto_approve)
    principal = default_principal_id (self);

  stmt = cb_sb_prepare (self,
      "INSERT INTO entra_device_codes (hash, user_code, client_id, scope, audience, status, "
      "principal_id, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, user_code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, client_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, scope, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, audience, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, principal != NULL ? "approved" : "pending", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, principal, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, cb_sb_session_now (self) + DEVICE_CODE_LIFETIME);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      cb_sb_reply_error (req, 500, "server_error", 50000, "Could not store the device code");
      return;
    }

  verification_uri = cb_sb_url (req, "/entra/devicelogin");
  message = g_strdup_printf ("To sign in, use a web browser to open the page %s and enter the "
                             "code %s to authenticate.", verification_uri, user_code);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "user_code");
  json_builder_add_string_value (b, user_code);
  json_builder_set_member_name (b, "device_code");
  json_builder_add_string_value (b, device_code);
  json_builder_set_member_name (b, "verification_uri");
  json_builder_add_string_value (b, verification_uri);
  json_builder_set_member_name (b, "expires_in");
  json_builder_add_int_value (b, DEVICE_CODE_LIFETIME);
  json_builder_set_member_name (b, "interval");
  json_builder_add_int_value (b, self->device_code_interval);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);

  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static char *
base64url (const char *text)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) text, strlen (text));
  gsize len = strlen (b64);

  for (gsize i = 0; i < len; i++)
    {
      if (b64[i] == '+')
        b64[i] = '-';
      else if (b64[i] == '/')
        b64[i] = '_';
    }
  while (len > 0 && b64[len - 1] == '=')
    b64[--len] = '\0';

  return g_steal_pointer (&b64);
}

/* An unsigned id_token: enough for a client to show who signed in. */
static char *
make_id_token (CbSbRequest *req,
               const char  *principal_id,
               const char  *client_id,
               const char  *tenant)
{
  CbSandbox *self = req->sandbox;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *payload = NULL;
  g_autofree char *h = base64url ("{\"alg\":\"none\",\"typ\":\"JWT\"}");
  g_autofree char *p = NULL;
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT name, display_name FROM principals WHERE id = ?");
  gint64 now = cb_sb_session_now (self);

  sqlite3_bind_text (stmt, 1, principal_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "aud");
  json_builder_add_string_value (b, client_id);
  json_builder_set_member_name (b, "iss");
  {
    g_autofree char *path = g_strdup_printf ("/entra/%s/v2.0", tenant);
    g_autofree char *iss = cb_sb_url (req, path);
    json_builder_add_string_value (b, iss);
  }
  json_builder_set_member_name (b, "iat");
  json_builder_add_int_value (b, now);
  json_builder_set_member_name (b, "exp");
  json_builder_add_int_value (b, now + ACCESS_TOKEN_LIFETIME);
  json_builder_set_member_name (b, "oid");
  json_builder_add_string_value (b, principal_id);
  json_builder_set_member_name (b, "tid");
  json_builder_add_string_value (b, tenant);
  json_builder_set_member_name (b, "preferred_username");
  json_builder_add_string_value (b, (const char *) sqlite3_column_text (stmt, 0));
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, (const char *) sqlite3_column_text (stmt, 1));
  json_builder_end_object (b);

  {
    g_autoptr(JsonNode) root = json_builder_get_root (b);
    json_generator_set_root (gen, root);
  }
  payload = json_generator_to_data (gen, NULL);
  p = base64url (payload);

  return g_strdup_printf ("%s.%s.", h, p);
}

/* The tenant a token is issued in: the authority's, else (organizations, common) the
 * account's home tenant; NULL after a 400 when the account is not in the authority's tenant
 * (AADSTS50020). */
static char *
token_tenant (CbSbRequest *req,
              const char  *principal_id)
{
  g_autofree char *tenant = cb_sb_entra_authority_tenant (req);

  if (tenant == NULL)
    tenant = cb_sb_dup_meta (req->sandbox, "tenant_id");
  if (!cb_sb_is_tenant_member (req->sandbox, tenant, principal_id))
    {
      g_autoptr(CbSbStmt) stmt = cb_sb_prepare (req->sandbox,
                                                "SELECT name FROM principals WHERE id = ?");
      g_autofree char *name = NULL;

      sqlite3_bind_text (stmt, 1, principal_id, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        name = cb_sb_column_dup (stmt, 0);
      cb_sb_reply_error (req, 400, "invalid_grant", 50020,
                         "User account '%s' does not exist in tenant '%s' and cannot access "
                         "the application in that tenant. The account needs to be added as "
                         "an external user in the tenant first.",
                         name != NULL ? name : principal_id, tenant);
      return NULL;
    }
  return g_steal_pointer (&tenant);
}

static void
reply_tokens (CbSbRequest *req,
              const char  *principal_id,
              const char  *tenant,
              const char  *audience,
              const char  *scope,
              const char  *client_id,
              gboolean     offline,
              gboolean     openid)
{
  CbSandbox *self = req->sandbox;
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *id_token = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  /* Every sign-in and refresh adds tokens: those past their expiry go first. */
  cb_sb_prune_expired_tokens (self);
  access = cb_sb_store_token (self, "access", principal_id, audience, scope, client_id, tenant,
                              ACCESS_TOKEN_LIFETIME);

  if (offline)
    refresh = cb_sb_store_token (self, "refresh", principal_id, audience, scope, client_id,
                                 tenant, REFRESH_TOKEN_LIFETIME);
  if (openid || offline)
    id_token = make_id_token (req, principal_id, client_id, tenant);

  if (access == NULL || (offline && refresh == NULL))
    {
      cb_sb_reply_error (req, 500, "server_error", 50000, "Could not store the token");
      return;
    }

  cb_sb_set_header (req, "Cache-Control", "no-store");
  cb_sb_set_header (req, "Pragma", "no-cache");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "token_type");
  json_builder_add_string_value (b, "Bearer");
  json_builder_set_member_name (b, "scope");
  json_builder_add_string_value (b, scope);
  json_builder_set_member_name (b, "expires_in");
  json_builder_add_int_value (b, ACCESS_TOKEN_LIFETIME);
  json_builder_set_member_name (b, "ext_expires_in");
  json_builder_add_int_value (b, ACCESS_TOKEN_LIFETIME);
  json_builder_set_member_name (b, "access_token");
  json_builder_add_string_value (b, access);
  if (refresh != NULL)
    {
      json_builder_set_member_name (b, "refresh_token");
      json_builder_add_string_value (b, refresh);
    }
  if (id_token != NULL)
    {
      json_builder_set_member_name (b, "id_token");
      json_builder_add_string_value (b, id_token);
    }
  json_builder_end_object (b);

  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
token_device_code (CbSbRequest *req,
                   GHashTable  *form)
{
  CbSandbox *self = req->sandbox;
  const char *device_code = g_hash_table_lookup (form, "device_code");
  const char *client_id = g_hash_table_lookup (form, "client_id");
  g_autofree char *hash = NULL;
  g_autofree char *status = NULL;
  g_autofree char *principal = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *audience = NULL;
  g_autofree char *stored_client = NULL;
  g_autofree char *tenant = NULL;
  gboolean offline, openid;
  gint64 expires;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (device_code == NULL || client_id == NULL)
    {
      cb_sb_reply_error (req, 400, "invalid_request", 900144,
                         "The request body must contain the parameters 'device_code' and 'client_id'.");
      return;
    }

  hash = cb_sha256_hex ((const guint8 *) device_code, strlen (device_code));
  stmt = cb_sb_prepare (self,
      "SELECT status, principal_id, scope, audience, client_id, expires "
      "FROM entra_device_codes WHERE hash = ?");
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      cb_sb_reply_error (req, 400, "bad_verification_code", 70019,
                         "The device code is not known (it may have been redeemed already).");
      return;
    }

  status = cb_sb_column_dup (stmt, 0);
  principal = cb_sb_column_dup (stmt, 1);
  scope = cb_sb_column_dup (stmt, 2);
  audience = cb_sb_column_dup (stmt, 3);
  stored_client = cb_sb_column_dup (stmt, 4);
  expires = sqlite3_column_int64 (stmt, 5);

  if (g_strcmp0 (stored_client, client_id) != 0)
    {
      cb_sb_reply_error (req, 400, "invalid_grant", 70000,
                         "The device code was issued to another client.");
      return;
    }

  if (expires <= cb_sb_session_now (self))
    {
      cb_sb_reply_error (req, 400, "expired_token", 70020,
                         "The device code has expired. Start the sign-in again.");
      return;
    }

  if (g_str_equal (status, "declined"))
    {
      cb_sb_reply_error (req, 400, "authorization_declined", 70000,
                         "The user declined the sign-in.");
      return;
    }

  if (!g_str_equal (status, "approved") || principal == NULL)
    {
      cb_sb_reply_error (req, 400, "authorization_pending", 70016,
                         "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
      return;
    }

  tenant = token_tenant (req, principal);
  if (tenant == NULL)
    return;

  /* A device code is redeemed once. */
  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "DELETE FROM entra_device_codes WHERE hash = ?");
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);

  g_free (audience_for_scope (scope, &offline, &openid));
  reply_tokens (req, principal, tenant, audience, scope, client_id, offline, openid);
}

static void
token_refresh (CbSbRequest *req,
               GHashTable  *form)
{
  CbSandbox *self = req->sandbox;
  const char *refresh = g_hash_table_lookup (form, "refresh_token");
  const char *client_id = g_hash_table_lookup (form, "client_id");
  const char *scope = g_hash_table_lookup (form, "scope");
  g_autofree char *principal = NULL;
  g_autofree char *old_audience = NULL;
  g_autofree char *old_client = NULL;
  g_autofree char *audience = NULL;
  g_autofree char *new_scope = NULL;
  g_autofree char *tenant = NULL;
  gboolean expired = FALSE;
  gboolean offline = TRUE, openid = FALSE;

  if (refresh == NULL || client_id == NULL)
    {
      cb_sb_reply_error (req, 400, "invalid_request", 900144,
                         "The request body must contain the parameters 'refresh_token' and 'client_id'.");
      return;
    }

  principal = cb_sb_lookup_token (self, refresh, "refresh", &old_audience, NULL, &old_client,
                                  NULL, &expired);
  if (principal == NULL || expired)
    {
      cb_sb_reply_error (req, 400, "invalid_grant", 70008,
                         "The refresh token has expired or is not valid. Sign in again.");
      return;
    }

  if (g_strcmp0 (old_client, client_id) != 0)
    {
      cb_sb_reply_error (req, 400, "invalid_grant", 70000,
                         "The refresh token was issued to another client.");
      return;
    }

  if (scope != NULL && *scope != '\0')
    {
      audience = audience_for_scope (scope, &offline, &openid);
      if (audience == NULL)
        {
          cb_sb_reply_error (req, 400, "invalid_scope", 70011,
                             "The provided value for the input parameter 'scope' is not valid: '%s'.",
                             scope);
          return;
        }
      new_scope = g_strdup (scope);
      /* A refresh keeps the offline grant whether or not it is asked again. */
      offline = TRUE;
    }
  else
    {
      audience = g_steal_pointer (&old_audience);
      new_scope = g_strconcat (audience, "/.default offline_access", NULL);
    }

  tenant = token_tenant (req, principal);
  if (tenant == NULL)
    return;

  /* The answer carries a new refresh token, and the old one stays good until it expires:
   * Entra does not revoke a refresh token when it is redeemed ("Refresh tokens replace
   * themselves with a fresh token upon every use. The Microsoft identity platform doesn't
   * revoke old refresh tokens when used to fetch new access tokens", Microsoft identity
   * platform, "Refresh tokens"). Two clients of one account (the app and the CLI on one
   * profile) each go on with the one they hold. */
  reply_tokens (req, principal, tenant, audience, new_scope, client_id, offline, openid);
}

static void
handle_token (CbSbRequest *req)
{
  g_autoptr(GHashTable) form = form_body (req);
  const char *grant = g_hash_table_lookup (form, "grant_type");

  if (!cb_sb_entra_check_tenant (req))
    return;

  /* Entra v2 takes the device-code grant by its RFC 8628 name and by the short one MSAL and
   * @azure/identity send. */
  if (g_strcmp0 (grant, "urn:ietf:params:oauth:grant-type:device_code") == 0 ||
      g_strcmp0 (grant, "device_code") == 0)
    token_device_code (req, form);
  else if (g_strcmp0 (grant, "refresh_token") == 0)
    token_refresh (req, form);
  else
    cb_sb_reply_error (req, 400, "unsupported_grant_type", 70003,
                       "The app requested an unsupported grant type '%s'. The sandbox supports "
                       "'urn:ietf:params:oauth:grant-type:device_code' (also written "
                       "'device_code') and 'refresh_token'.", grant != NULL ? grant : "");
}

/* Approves or declines a pending code. Returns NULL on success, else a message. */
static char *
decide (CbSandbox  *self,
        const char *user_code,
        const char *principal_name,
        gboolean    decline)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (user_code != NULL ? user_code : ""));
  g_autofree char *code = g_ascii_strup (trimmed, -1);
  g_autofree char *pid = NULL;
  g_autoptr(CbSbStmt) stmt = NULL;

  if (!decline)
    {
      if (principal_name == NULL || *principal_name == '\0')
        {
          g_autofree char *dflt = cb_sb_dup_meta (self, "default_principal");
          principal_name = NULL;
          if (dflt == NULL)
            return g_strdup ("Choose who signs in.");
          stmt = cb_sb_prepare (self, "SELECT id FROM principals WHERE name = ?");
          sqlite3_bind_text (stmt, 1, dflt, -1, SQLITE_TRANSIENT);
        }
      else
        {
          cb_sb_stmt_release (stmt);
          stmt = cb_sb_prepare (self, "SELECT id FROM principals WHERE name = ?");
          sqlite3_bind_text (stmt, 1, principal_name, -1, SQLITE_TRANSIENT);
        }
      if (sqlite3_step (stmt) != SQLITE_ROW)
        return g_strdup_printf ("There is no account named “%s” in the sandbox.",
                                principal_name != NULL ? principal_name : "");
      pid = cb_sb_column_dup (stmt, 0);
    }

  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self,
      "UPDATE entra_device_codes SET status = ?, principal_id = ? "
      "WHERE user_code = ? AND status = 'pending' AND expires > ?");
  sqlite3_bind_text (stmt, 1, decline ? "declined" : "approved", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, pid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, cb_sb_session_now (self));
  if (sqlite3_step (stmt) != SQLITE_DONE || sqlite3_changes (sqlite3_db_handle (stmt)) != 1)
    return g_strdup_printf ("The code “%s” is not waiting for approval (wrong, expired or used).", code);

  return NULL;
}

static void
handle_approve (CbSbRequest *req)
{
  g_autoptr(JsonNode) root = cb_sb_json_body (req, FALSE);
  g_autofree char *problem = NULL;
  JsonObject *obj;

  if (root == NULL)
    return;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400, "Expected {\"userCode\": \"...\", \"principal\": \"...\"}");
      return;
    }

  obj = json_node_get_object (root);
  problem = decide (req->sandbox,
                    json_object_get_string_member_with_default (obj, "userCode", NULL),
                    json_object_get_string_member_with_default (obj, "principal", NULL),
                    json_object_get_boolean_member_with_default (obj, "decline", FALSE));
  if (problem != NULL)
    {
      cb_sb_reply_error (req, 404, "CodeNotPending", 404, "%s", problem);
      return;
    }

  cb_sb_reply_empty (req, 204);
}

static void
reply_html (CbSbRequest *req,
            guint        status,
            const char  *body_html)
{
  g_autofree char *page = g_strdup_printf (
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Sign in to the Certbench sandbox</title>"
      "<style>body{font-family:sans-serif;max-width:32em;margin:3em auto;line-height:1.5}"
      "input,select,button{font-size:1.1em;margin:.3em 0;padding:.3em}</style></head>"
      "<body><h1>Certbench sandbox sign-in</h1>%s</body></html>", body_html);

  gsize len = strlen (page);

  req->replied = TRUE;
  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&page), len);
}

static void
handle_devicelogin_get (CbSbRequest *req)
{
  g_autoptr(GString) options = g_string_new (NULL);
  g_autofree char *dflt = cb_sb_dup_meta (req->sandbox, "default_principal");
  g_autofree char *html = NULL;
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (req->sandbox,
                                      "SELECT name, display_name FROM principals ORDER BY name");

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      g_autofree char *n = g_markup_escape_text (name, -1);
      g_autofree char *d = g_markup_escape_text ((const char *) sqlite3_column_text (stmt, 1), -1);

      g_string_append_printf (options, "<option value=\"%s\"%s>%s (%s)</option>", n,
                              g_strcmp0 (name, dflt) == 0 ? " selected" : "", d, n);
    }

  html = g_strdup_printf (
      "<form method=\"post\">"
      "<p><label>Code<br><input name=\"user_code\" autocomplete=\"off\" autofocus></label></p>"
      "<p><label>Sign in as<br><select name=\"principal\">%s</select></label></p>"
      "<p><button name=\"action\" value=\"approve\">Approve</button> "
      "<button name=\"action\" value=\"decline\">Decline</button></p></form>"
      "<p>This page stands in for Microsoft's device login page. Nothing leaves this computer.</p>",
      options->str);
  reply_html (req, 200, html);
}

static void
handle_devicelogin_post (CbSbRequest *req)
{
  g_autoptr(GHashTable) form = form_body (req);
  const char *action = g_hash_table_lookup (form, "action");
  gboolean decline = g_strcmp0 (action, "decline") == 0;
  g_autofree char *problem = decide (req->sandbox, g_hash_table_lookup (form, "user_code"),
                                     g_hash_table_lookup (form, "principal"), decline);
  g_autofree char *html = NULL;

  if (problem != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (problem, -1);
      html = g_strdup_printf ("<p>%s</p><p><a href=\"devicelogin\">Try again</a></p>", escaped);
      reply_html (req, 400, html);
      return;
    }

  reply_html (req, 200, decline ? "<p>You declined the sign-in. You can close this window.</p>"
                                : "<p>You have signed in. You can close this window and return to "
                                  "the application.</p>");
}

gboolean
cb_sb_routes_entra_init (CbSandbox  *self,
                         GError    **error)
{
  if (!cb_sb_exec (self, entra_schema, error))
    return FALSE;

  cb_sb_add_route (self, "POST", "/entra/{tenant}/oauth2/v2.0/devicecode",
                   CB_SB_STYLE_OAUTH, handle_devicecode);
  cb_sb_add_route (self, "POST", "/entra/{tenant}/oauth2/v2.0/token",
                   CB_SB_STYLE_OAUTH, handle_token);
  cb_sb_add_route (self, "GET", "/entra/devicelogin", CB_SB_STYLE_PLAIN,
                   handle_devicelogin_get);
  cb_sb_add_route (self, "POST", "/entra/devicelogin", CB_SB_STYLE_PLAIN,
                   handle_devicelogin_post);
  cb_sb_add_route (self, "POST", "/sandbox/entra/approve", CB_SB_STYLE_PLAIN,
                   handle_approve);
  cb_sb_routes_entra_discovery_add (self);

  return TRUE;
}
