/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Surfaces: the request a handler gets. Made from libsoup's message (decoded path, query,
 * body, correlation id, the error style of the surface the path belongs to), with accessors
 * for route parameters, query and headers, the JSON body checked against the limits, the
 * api-version check and absolute URLs. */

#include <string.h>

#include "cb-json-limits.h"
#include "cb-sb-azure-hosts.h"
#include "cb-sb-faults.h"
#include "cb-sb-request.h"

static CbSbStyle
style_for_path (const char *path)
{
  if (g_str_has_prefix (path, "/arm/"))
    return CB_SB_STYLE_ARM;
  if (g_str_has_prefix (path, "/dps/") || g_str_has_prefix (path, "/dps-service/"))
    return CB_SB_STYLE_DPS;
  if (g_str_has_prefix (path, "/hubs/"))
    return CB_SB_STYLE_HUB;
  if (g_str_has_prefix (path, "/entra/"))
    return CB_SB_STYLE_OAUTH;
  return CB_SB_STYLE_PLAIN;
}

static char *
decode_path (const char *raw)
{
  g_auto(GStrv) parts = g_strsplit (raw, "/", -1);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *seg = g_uri_unescape_string (parts[i], NULL);

      if (i > 0)
        g_string_append_c (out, '/');
      /* A segment that decodes to a slash or NUL would change the route: keep it encoded. */
      g_string_append (out, seg != NULL && strchr (seg, '/') == NULL ? seg : parts[i]);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

CbSbRequest *
cb_sb_request_new (CbSandbox         *self,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query)
{
  CbSbRequest *req;
  SoupMessageBody *body;
  const char *corr;

  req = g_new0 (CbSbRequest, 1);
  req->sandbox = g_object_ref (self);
  req->msg = g_object_ref (msg);
  req->method = g_strdup (soup_server_message_get_method (msg));
  req->path = decode_path (path);
  req->style = style_for_path (req->path);
  req->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (query != NULL)
    {
      GHashTableIter iter;
      gpointer k, v;

      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &k, &v))
        g_hash_table_insert (req->query, g_strdup (k), g_strdup (v));
    }

  body = soup_server_message_get_request_body (msg);
  req->body = soup_message_body_flatten (body);

  corr = cb_sb_header (req, "x-ms-correlation-request-id");
  if (corr == NULL)
    corr = cb_sb_header (req, "client-request-id");
  req->correlation_id = corr != NULL && strlen (corr) <= 64 ? g_strdup (corr) : g_uuid_string_random ();

  {
    g_autofree char *request_id = g_uuid_string_random ();
    cb_sb_set_header (req, "x-ms-request-id", request_id);
    cb_sb_set_header (req, "x-ms-correlation-request-id", req->correlation_id);
  }

  return req;
}

void
cb_sb_request_free (CbSbRequest *req)
{
  if (req->work_free != NULL)
    req->work_free (req->work);
  g_clear_pointer (&req->params, g_hash_table_unref);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free ((char *) req->method);
  g_free ((char *) req->path);
  g_free (req->principal);
  g_free (req->principal_id);
  g_free (req->tenant_id);
  g_free (req->auth_key_name);
  g_free (req->correlation_id);
  g_free (req->azure_host);
  g_clear_object (&req->msg);
  g_clear_object (&req->sandbox);
  g_free (req);
}

const char *
cb_sb_param (CbSbRequest *req,
             const char  *name)
{
  return req->params != NULL ? g_hash_table_lookup (req->params, name) : NULL;
}

const char *
cb_sb_query (CbSbRequest *req,
             const char  *name)
{
  return g_hash_table_lookup (req->query, name);
}

const char *
cb_sb_header (CbSbRequest *req,
              const char  *name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), name);
}

JsonNode *
cb_sb_parse_json_body (const char  *data,
                       gsize        len,
                       GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;

  /* Before json-glib, which recurses once per level and crashes on a deep body. */
  if (!cb_json_check_limits (data, len, CB_JSON_MAX_REQUEST_SIZE, CB_JSON_MAX_DEPTH, error))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, error))
    return NULL;

  return json_parser_steal_root (parser);
}

JsonNode *
cb_sb_json_body (CbSbRequest *req,
                 gboolean     allow_empty)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (req->body, &len);
  JsonNode *root;

  if (len == 0)
    {
      if (!allow_empty)
        {
          if (req->style == CB_SB_STYLE_DPS)
            cb_sb_reply_error (req, 400, "BadRequest", 400004, "The request body is empty");
          else if (req->style == CB_SB_STYLE_HUB)
            cb_sb_reply_error (req, 400, "ArgumentInvalid", 400004, "The request body is empty");
          else
            cb_sb_reply_arm_error (req, 400, "InvalidRequestContent", NULL,
                                   "The request content was invalid and could not be deserialized: "
                                   "the body is empty.");
        }
      return NULL;
    }

  if ((root = cb_sb_parse_json_body (data, len, &error)) != NULL)
    return root;

  if (error->domain == CB_JSON_LIMIT_ERROR)
    cb_sb_reply_limit_error (req, error);
  else if (req->style == CB_SB_STYLE_DPS)
    cb_sb_reply_error (req, 400, "BadRequest", 400006, "Malformed JSON: %s", error->message);
  else if (req->style == CB_SB_STYLE_HUB)
    cb_sb_reply_error (req, 400, "ArgumentInvalid", 400006, "Malformed JSON: %s", error->message);
  else
    cb_sb_reply_arm_error (req, 400, "InvalidRequestContent", NULL,
                           "The request content was invalid and could not be deserialized: %s",
                           error->message);
  return NULL;
}

gboolean
cb_sb_require_api_version (CbSbRequest *req,
                           ...)
{
  const char *given = cb_sb_query (req, "api-version");
  g_autoptr(GString) accepted = g_string_new (NULL);
  const char *v;
  va_list args;

  va_start (args, req);
  while ((v = va_arg (args, const char *)) != NULL)
    {
      if (given != NULL && g_str_equal (given, v))
        {
          va_end (args);
          return TRUE;
        }
      if (accepted->len > 0)
        g_string_append (accepted, ", ");
      g_string_append_printf (accepted, "'%s'", v);
    }
  va_end (args);

  if (given == NULL)
    {
      if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 400, "BadRequest", 400001,
                           "The api-version query parameter is required. Supported: %s", accepted->str);
      else if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 400, "InvalidProtocolVersion", 400001,
                           "The api-version query parameter is required. Supported: %s", accepted->str);
      else
        cb_sb_reply_arm_error (req, 400, "MissingApiVersionParameter", NULL,
                               "The api-version query parameter (?api-version=) is required for all "
                               "requests. Supported api-versions: %s.", accepted->str);
    }
  else
    {
      if (req->style == CB_SB_STYLE_DPS)
        cb_sb_reply_error (req, 400, "BadRequest", 400001,
                           "The api-version '%s' is not supported. Supported: %s", given, accepted->str);
      else if (req->style == CB_SB_STYLE_HUB)
        cb_sb_reply_error (req, 400, "InvalidProtocolVersion", 400001,
                           "The api-version '%s' is not supported. Supported: %s", given, accepted->str);
      else
        cb_sb_reply_arm_error (req, 400, "InvalidApiVersionParameter", NULL,
                               "The api-version '%s' is invalid. The supported versions are %s.",
                               given, accepted->str);
    }

  return FALSE;
}

char *
cb_sb_url (CbSbRequest *req,
           const char  *path_and_query)
{
  return cb_sb_azure_url (req->sandbox->base_url, req->azure_host, path_and_query);
}

gboolean
cb_sb_fault_wants (CbSbRequest *req,
                   const char  *kind,
                   const char  *value)
{
  return cb_sb_fault_rule_wants (req->fault, kind, value);
}
