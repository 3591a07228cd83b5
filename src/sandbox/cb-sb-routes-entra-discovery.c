/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-entra"

/* Surfaces: the documents MSAL and @azure/identity read before they sign in, as Entra ID
 * serves them: a tenant's OpenID configuration (/{tenant}/v2.0/.well-known/openid-configuration,
 * its endpoints on the sandbox as the client reached it: https://login.microsoftonline.com/…
 * by host name, https://127.0.0.1:7443/entra/… by prefix), its signing keys (none: the
 * sandbox's tokens are opaque and its id_tokens unsigned) and instance discovery
 * (/common/discovery/instance?api-version=1.1&authorization_endpoint=…), which tells MSAL where
 * an authority's OpenID configuration is and which host names are one cloud. */

#include "config.h"

#include <string.h>

#include "cb-sb-directory.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-entra-discovery.h"
#include "cb-sb-store.h"

char *
cb_sb_entra_authority_tenant (CbSbRequest *req)
{
  const char *tenant = cb_sb_param (req, "tenant");

  if (g_str_equal (tenant, "common") || g_str_equal (tenant, "organizations"))
    return NULL;
  return cb_sb_resolve_tenant (req->sandbox, tenant);
}

gboolean
cb_sb_entra_check_tenant (CbSbRequest *req)
{
  const char *tenant = cb_sb_param (req, "tenant");
  g_autofree char *own = NULL;
  g_autofree char *known = NULL;

  if (g_str_equal (tenant, "common") || g_str_equal (tenant, "organizations") ||
      (known = cb_sb_resolve_tenant (req->sandbox, tenant)) != NULL)
    return TRUE;

  own = cb_sb_dup_meta (req->sandbox, "tenant_id");
  cb_sb_reply_error (req, 400, "invalid_request", 90002,
                     "Tenant '%s' not found. The sandbox's tenant is '%s' (or use 'organizations').",
                     tenant, own);
  return FALSE;
}

static void
add_endpoint (CbSbRequest *req,
              JsonBuilder *b,
              const char  *member,
              const char  *tenant,
              const char  *rest)
{
  g_autofree char *path = g_strdup_printf ("/entra/%s%s", tenant, rest);
  g_autofree char *url = cb_sb_url (req, path);

  cb_sb_json_add_string (b, member, url);
}

static void
add_strings (JsonBuilder *b,
             const char  *member,
             const char  *const *values)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (b, values[i]);
  json_builder_end_array (b);
}

static void
handle_openid_configuration (CbSbRequest *req)
{
  const char *tenant = cb_sb_param (req, "tenant");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *own = NULL;
  /* Entra names the issuer of a multi-tenant authority with a placeholder. */
  gboolean multi = g_str_equal (tenant, "common") || g_str_equal (tenant, "organizations");
  static const char * const auth_methods[] = { "client_secret_post", "private_key_jwt",
                                               "client_secret_basic", NULL };
  static const char * const response_modes[] = { "query", "fragment", "form_post", NULL };
  static const char * const subject_types[] = { "pairwise", NULL };
  static const char * const signing_algs[] = { "RS256", NULL };
  static const char * const response_types[] = { "code", "id_token", "code id_token",
                                                 "id_token token", NULL };
  static const char * const scopes[] = { "openid", "profile", "email", "offline_access", NULL };
  static const char * const grants[] = { "urn:ietf:params:oauth:grant-type:device_code",
                                         "device_code", "refresh_token", NULL };
  static const char * const claims[] = { "sub", "iss", "aud", "exp", "iat", "oid", "tid",
                                         "name", "preferred_username", NULL };

  if (!cb_sb_entra_check_tenant (req))
    return;
  own = cb_sb_entra_authority_tenant (req);

  json_builder_begin_object (b);
  add_endpoint (req, b, "token_endpoint", tenant, "/oauth2/v2.0/token");
  add_strings (b, "token_endpoint_auth_methods_supported", auth_methods);
  add_endpoint (req, b, "jwks_uri", tenant, "/discovery/v2.0/keys");
  add_strings (b, "response_modes_supported", response_modes);
  add_strings (b, "subject_types_supported", subject_types);
  add_strings (b, "id_token_signing_alg_values_supported", signing_algs);
  add_strings (b, "response_types_supported", response_types);
  add_strings (b, "scopes_supported", scopes);
  add_strings (b, "grant_types_supported", grants);
  add_endpoint (req, b, "issuer", multi ? "{tenantid}" : own, "/v2.0");
  json_builder_set_member_name (b, "request_uri_parameter_supported");
  json_builder_add_boolean_value (b, FALSE);
  add_endpoint (req, b, "authorization_endpoint", tenant, "/oauth2/v2.0/authorize");
  add_endpoint (req, b, "device_authorization_endpoint", tenant, "/oauth2/v2.0/devicecode");
  add_endpoint (req, b, "end_session_endpoint", tenant, "/oauth2/v2.0/logout");
  json_builder_set_member_name (b, "http_logout_supported");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_set_member_name (b, "frontchannel_logout_supported");
  json_builder_add_boolean_value (b, FALSE);
  add_strings (b, "claims_supported", claims);
  json_builder_set_member_name (b, "tenant_region_scope");
  json_builder_add_null_value (b);
  cb_sb_json_add_string (b, "cloud_instance_name", "microsoftonline.com");
  cb_sb_json_add_string (b, "cloud_graph_host_name", "graph.windows.net");
  cb_sb_json_add_string (b, "msgraph_host", "graph.microsoft.com");
  json_builder_end_object (b);

  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
handle_keys (CbSbRequest *req)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!cb_sb_entra_check_tenant (req))
    return;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "keys");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

/* The authority an authorization endpoint belongs to ("https://h/t/oauth2/v2.0/authorize" →
 * base "https://h", tenant "t"); FALSE when it is not one. */
static gboolean
split_authorize_url (const char  *url,
                     char       **out_base,
                     char       **out_host,
                     char       **out_tenant)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *path;
  g_auto(GStrv) segments = NULL;
  guint n, t;

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 ||
      g_uri_get_host (uri) == NULL)
    return FALSE;

  path = g_uri_get_path (uri);
  segments = g_strsplit (path[0] == '/' ? path + 1 : path, "/", -1);
  n = g_strv_length (segments);
  /* …/{tenant}/oauth2/v2.0/authorize or …/{tenant}/oauth2/authorize */
  if (n >= 4 && g_str_equal (segments[n - 1], "authorize") &&
      g_str_equal (segments[n - 2], "v2.0") && g_str_equal (segments[n - 3], "oauth2"))
    t = n - 4;
  else if (n >= 3 && g_str_equal (segments[n - 1], "authorize") &&
           g_str_equal (segments[n - 2], "oauth2"))
    t = n - 3;
  else
    return FALSE;
  if (segments[t][0] == '\0')
    return FALSE;

  {
    g_autoptr(GString) base = g_string_new ("https://");
    int port = g_uri_get_port (uri);

    g_string_append (base, g_uri_get_host (uri));
    if (port > 0 && port != 443)
      g_string_append_printf (base, ":%d", port);
    *out_host = g_strdup (base->str + strlen ("https://"));
    for (guint i = 0; i < t; i++)
      g_string_append_printf (base, "/%s", segments[i]);
    *out_base = g_string_free (g_steal_pointer (&base), FALSE);
  }
  *out_tenant = g_strdup (segments[t]);
  return TRUE;
}

/* Whether host (with its port) is the sandbox as this request reached it. */
static gboolean
is_own_host (CbSbRequest *req,
             const char  *host)
{
  const char *reached = cb_sb_header (req, "Host");
  g_autofree char *own = NULL;

  if (g_ascii_strcasecmp (host, "login.microsoftonline.com") == 0)
    return TRUE;
  if (reached != NULL && g_ascii_strcasecmp (host, reached) == 0)
    return TRUE;
  own = g_strdup (req->sandbox->base_url + strlen ("https://"));
  return g_ascii_strcasecmp (host, own) == 0;
}

static void
handle_instance_discovery (CbSbRequest *req)
{
  const char *endpoint = cb_sb_query (req, "authorization_endpoint");
  g_autofree char *base = NULL;
  g_autofree char *host = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *discovery = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!cb_sb_entra_check_tenant (req))
    return;

  if (endpoint == NULL || *endpoint == '\0')
    {
      cb_sb_reply_error (req, 400, "invalid_request", 90014,
                         "The request must contain the parameter 'authorization_endpoint'.");
      return;
    }
  if (!split_authorize_url (endpoint, &base, &host, &tenant) || !is_own_host (req, host))
    {
      cb_sb_reply_error (req, 400, "invalid_instance", 50049,
                         "Unknown or invalid instance: '%s' is not an authorization endpoint "
                         "of this sandbox (https://login.microsoftonline.com/{tenant}/oauth2/"
                         "v2.0/authorize, or its /entra/{tenant}/… URL).", endpoint);
      return;
    }

  discovery = g_strdup_printf ("%s/%s/v2.0/.well-known/openid-configuration", base, tenant);

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "tenant_discovery_endpoint", discovery);
  cb_sb_json_add_string (b, "api-version", "1.1");
  json_builder_set_member_name (b, "metadata");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "preferred_network", host);
  cb_sb_json_add_string (b, "preferred_cache", host);
  json_builder_set_member_name (b, "aliases");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, host);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);

  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

void
cb_sb_routes_entra_discovery_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET", "/entra/{tenant}/v2.0/.well-known/openid-configuration",
                   CB_SB_STYLE_OAUTH, handle_openid_configuration);
  cb_sb_add_route (self, "GET", "/entra/{tenant}/discovery/v2.0/keys",
                   CB_SB_STYLE_OAUTH, handle_keys);
  cb_sb_add_route (self, "GET", "/entra/{tenant}/discovery/instance",
                   CB_SB_STYLE_OAUTH, handle_instance_discovery);
}
