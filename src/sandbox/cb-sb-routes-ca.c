/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-ca"

/* The sandbox's own CA endpoints, for people and tests checking a device independently of
 * what it says:
 *
 *   GET  /sandbox/crl/<root uuid>.crl     the root's CRL (revoked issuing CAs), DER
 *   GET  /sandbox/crl/<ICA id>.crl        an issuing CA's CRL (leaves of revoked devices)
 *   GET  /sandbox/namespaces/{ns}/root.pem  the namespace's root CA
 *   POST /sandbox/hubs/{hub}/devices/{deviceId}/check-chain  the hub's verdict on a chain
 */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-store.h"
#include "cb-sb-ca.h"
#include "cb-sb-lro.h"
#include "cb-sb-request.h"
#include "cb-sb-routes-ca.h"
#include "cb-sb-verdict.h"
#include "cb-x509.h"

/* GET /sandbox/namespaces/{ns}/root.pem: the namespace's root CA as PEM. Azure hands the root
 * to devices only inside the DPS chain; the sandbox also serves it so a person can check a
 * device's chain against it with openssl, independently of what the device says. */
static void
handle_namespace_root (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *ns = cb_sb_param (req, "ns");
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *pem = NULL;
  guint matches;
  gsize len;

  cb_sb_arm_run_due_operations (self);

  matches = cb_sb_ca_find_root_by_name (self, ns, &der);

  if (matches == 0)
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "NotFound", 0,
                         "Namespace “%s” has no credential (root CA).", ns);
      return;
    }
  if (matches > 1)
    {
      cb_sb_reply_error (req, SOUP_STATUS_CONFLICT, "Ambiguous", 0,
                         "%u namespaces are named “%s” in this sandbox.", matches, ns);
      return;
    }

  if (!(cert = cb_certificate_new_from_der (der, NULL)))
    {
      cb_sb_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalServerError", 0,
                         "The stored root certificate does not parse.");
      return;
    }

  pem = cb_certificate_to_pem (cert);
  len = strlen (pem);
  req->replied = TRUE;
  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (req->msg, "application/x-pem-file", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&pem), len);
}

static void
handle_crl (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *file = cb_sb_param (req, "file");
  g_autofree char *id = NULL;
  g_autoptr(GBytes) crl = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const guint8 *data;

  if (file == NULL || !g_str_has_suffix (file, ".crl"))
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "NotFound", 0, "No such CRL.");
      return;
    }
  id = g_strndup (file, strlen (file) - strlen (".crl"));
  cb_sb_arm_run_due_operations (self);

  crl = cb_sb_ca_make_crl (self, id, &error);
  if (crl == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "NotFound", 0,
                         "No CA has the CRL “%s”.", file);
      return;
    }
  if (crl == NULL)
    {
      cb_sb_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "InternalError", 0,
                         "The CRL could not be made: %s", error->message);
      return;
    }

  data = g_bytes_get_data (crl, &len);
  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (req->msg, "application/pkix-crl", SOUP_MEMORY_COPY,
                                    (const char *) data, len);
  req->replied = TRUE;
}

static void
handle_check_chain (CbSbRequest *req)
{
  const char *hub = cb_sb_param (req, "hub");
  const char *device_id = cb_sb_param (req, "deviceId");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *text = NULL;
  CbSbVerdict result;
  const char *data = NULL;
  gsize len = 0;

  if (req->body != NULL)
    data = g_bytes_get_data (req->body, &len);
  text = g_strndup (data ? data : "", len);
  g_strstrip (text);

  if (text[0] == '{')
    {
      g_autoptr(JsonNode) node = cb_sb_json_body (req, FALSE);
      JsonObject *obj;
      const char *pem;

      if (node == NULL)
        return;
      obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      pem = obj && json_object_has_member (obj, "chain") &&
            JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, "chain")) ?
            json_object_get_string_member (obj, "chain") : NULL;
      if (pem == NULL)
        {
          cb_sb_reply_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidRequestContent", 0,
                             "The body must be PEM text or {\"chain\": \"<PEM>\"}.");
          return;
        }
      g_free (text);
      text = g_strdup (pem);
    }

  if (!cb_sb_adr_hub_exists (req->sandbox, hub))
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "HubNotFound", 0,
                         "There is no hub “%s” in the sandbox.", hub);
      return;
    }

  chain = cb_certificate_list_new_from_data ((const guint8 *) text, strlen (text), &error);
  if (chain == NULL)
    {
      cb_sb_reply_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidChain", 0,
                         "The chain could not be read: %s", error->message);
      return;
    }

  result = cb_sb_check_device_chain (req->sandbox, hub, device_id, chain, &reason);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accepted");
  json_builder_add_boolean_value (builder, result == CB_SB_VERDICT_ACCEPTED);
  json_builder_set_member_name (builder, "verdict");
  json_builder_add_string_value (builder, cb_sb_verdict_to_string (result));
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason);
  json_builder_end_object (builder);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (builder));
}

void
cb_sb_routes_ca_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET", "/sandbox/crl/{file}", CB_SB_STYLE_PLAIN, handle_crl);
  cb_sb_add_route (self, "GET", "/sandbox/namespaces/{ns}/root.pem", CB_SB_STYLE_PLAIN,
                   handle_namespace_root);
  cb_sb_add_route (self, "POST", "/sandbox/hubs/{hub}/devices/{deviceId}/check-chain",
                   CB_SB_STYLE_PLAIN, handle_check_chain);
}
