/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The other resource provider's side of ADR: Microsoft.Devices/IotHubs/{hub}/certificates,
 * the hub's CA certificates that ADR synchronizes from the policies' issuing CAs (list, get,
 * delete with If-Match). Its own api-versions: 2025-08-01-preview, and the GA and preview
 * versions @azure/arm-iothub and the Azure CLI send (6.x: 2023-06-30), with one shape. */

#include "config.h"

#include "cb-sb-adr-store.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-ca.h"
#include "cb-sb-json.h"
#include "cb-sb-lro.h"
#include "cb-sb-routes-hub-certificates.h"

#define TYPE_HUB_CERT      "Microsoft.Devices/IotHubs/Certificates"
#define HUB_ARM_GA         "2023-06-30"
#define HUB_ARM_GA_OLD     "2021-07-02"
#define HUB_ARM_PREVIEW    "2023-06-30-preview"
#define OP_HUB_CERT_READ   "Microsoft.Devices/IotHubs/certificates/read"
#define OP_HUB_CERT_DELETE "Microsoft.Devices/IotHubs/certificates/delete"

static char *
http_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);

  return soup_date_time_to_string (dt, SOUP_DATE_HTTP);
}

static JsonNode *
hub_certificate_json (CbSandbox  *self,
                      const char *hub_id,
                      const char *hub,
                      const char *name)
{
  g_auto(CbSbHubCertificate) cert = { 0 };
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *id = NULL;
  g_autofree char *expiry = NULL;
  g_autofree char *created = NULL;
  g_autofree char *updated = NULL;

  if (!cb_sb_ca_get_hub_certificate (self, hub, name, &cert))
    return NULL;

  pem = cb_sb_der_to_pem ("CERTIFICATE", cert.cert);
  id = g_strdup_printf ("%s/certificates/%s", hub_id, cert.name);
  expiry = http_date (cert.not_after);
  created = http_date (cert.created);
  updated = http_date (cert.updated);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "subject", cert.subject);
  cb_sb_json_add_string (b, "expiry", expiry);
  cb_sb_json_add_string (b, "thumbprint", cert.thumbprint);
  json_builder_set_member_name (b, "isVerified");
  json_builder_add_boolean_value (b, FALSE);
  cb_sb_json_add_string (b, "created", created);
  cb_sb_json_add_string (b, "updated", updated);
  cb_sb_json_add_string (b, "certificate", pem);
  cb_sb_json_add_string_opt (b, "policyResourceId", cert.policy_id);
  json_builder_end_object (b);
  cb_sb_json_add_string (b, "id", id);
  cb_sb_json_add_string (b, "name", cert.name);
  cb_sb_json_add_string (b, "etag", cert.etag);
  cb_sb_json_add_string (b, "type", TYPE_HUB_CERT);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

/* Authenticates and finds the hub in the subscription and group; returns its name as
 * stored. */
static char *
hub_begin (CbSbRequest    *req,
           const char     *action,
           CbSbPermission  perm,
           char          **hub_id)
{
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  const char *hub = cb_sb_param (req, "hub");
  g_autofree char *id = cb_sb_hub_resource_id (sub, rg, hub);
  char *name;

  if (!cb_sb_require_bearer (req, CB_SB_AUD_ARM) ||
      !cb_sb_require_api_version (req, CB_SB_HUB_ARM_API_VERSION, HUB_ARM_GA, HUB_ARM_PREVIEW,
                                  HUB_ARM_GA_OLD, NULL) ||
      !cb_sb_require_permission (req, id, action, perm))
    return NULL;

  cb_sb_arm_run_due_operations (req->sandbox);

  name = cb_sb_adr_find_hub (req->sandbox, sub, rg, hub);

  if (name == NULL)
    {
      g_autofree char *what = g_strdup_printf ("Microsoft.Devices/IotHubs/%s", hub);

      cb_sb_arm_reply_not_found (req, what, rg);
      return NULL;
    }

  *hub_id = g_steal_pointer (&id);
  return name;
}

static void
handle_hub_certificates_list (CbSbRequest *req)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *hub_id = NULL;
  g_autofree char *hub = NULL;

  if ((hub = hub_begin (req, OP_HUB_CERT_READ, CB_SB_PERM_READ, &hub_id)) == NULL)
    return;

  names = cb_sb_ca_list_hub_certificates (req->sandbox, hub);

  /* CertificateListDescription is not pageable: {"value": [...]} */
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++)
    {
      JsonNode *node = hub_certificate_json (req->sandbox, hub_id, hub,
                                             g_ptr_array_index (names, i));
      if (node != NULL)
        json_builder_add_value (b, node);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

static void
reply_hub_certificate_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("Microsoft.Devices/IotHubs/%s/certificates/%s",
                                           cb_sb_param (req, "hub"), cb_sb_param (req, "name"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
handle_hub_certificate_get (CbSbRequest *req)
{
  g_autofree char *hub_id = NULL;
  g_autofree char *hub = NULL;
  JsonNode *node;

  if ((hub = hub_begin (req, OP_HUB_CERT_READ, CB_SB_PERM_READ, &hub_id)) == NULL)
    return;

  node = hub_certificate_json (req->sandbox, hub_id, hub, cb_sb_param (req, "name"));
  if (node == NULL)
    reply_hub_certificate_not_found (req);
  else
    cb_sb_reply_json (req, SOUP_STATUS_OK, node);
}

static void
hub_certificate_delete (CbSbRequest *req)
{
  g_autofree char *hub_id = NULL;
  g_autofree char *hub = NULL;
  g_auto(CbSbHubCertificate) cert = { 0 };
  const char *etag;
  const char *name = cb_sb_param (req, "name");
  const char *if_match = cb_sb_header (req, "If-Match");

  if ((hub = hub_begin (req, OP_HUB_CERT_DELETE, CB_SB_PERM_WRITE, &hub_id)) == NULL)
    return;

  if (!cb_sb_ca_get_hub_certificate (req->sandbox, hub, name, &cert))
    {
      reply_hub_certificate_not_found (req);
      return;
    }

  etag = cert.etag;
  if (if_match == NULL)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest", "If-Match",
                             "The If-Match header is required to delete a certificate: send "
                             "its etag (or *).");
      return;
    }
  if (!g_str_equal (if_match, "*") && !g_str_equal (if_match, etag))
    {
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", etag);

      if (!g_str_equal (if_match, quoted))
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_PRECONDITION_FAILED, "PreconditionFailed",
                                 "If-Match",
                                 "The etag '%s' does not match the certificate's current etag.",
                                 if_match);
          return;
        }
    }

  cb_sb_ca_delete_hub_certificate (req->sandbox, hub, name, NULL);

  cb_sb_reply_empty (req, SOUP_STATUS_OK);
}

static void
handle_hub_certificate_delete (CbSbRequest *req)
{
  g_autofree char *id = NULL;
  g_autofree char *hub_id = cb_sb_hub_resource_id (cb_sb_param (req, "sub"),
                                                   cb_sb_param (req, "rg"),
                                                   cb_sb_param (req, "hub"));

  hub_certificate_delete (req);
  id = g_strdup_printf ("%s/certificates/%s", hub_id, cb_sb_param (req, "name"));
  cb_sb_arm_log_write (req, OP_HUB_CERT_DELETE, id);
}

#define HUB CB_SB_ARM_SUB "/resourceGroups/{rg}/providers/Microsoft.Devices/IotHubs/{hub}"

void
cb_sb_routes_hub_certificates_add (CbSandbox *self)
{
  cb_sb_add_route (self, "GET", HUB "/certificates", CB_SB_STYLE_ARM,
                   handle_hub_certificates_list);
  cb_sb_add_route (self, "GET", HUB "/certificates/{name}", CB_SB_STYLE_ARM,
                   handle_hub_certificate_get);
  cb_sb_add_route (self, "DELETE", HUB "/certificates/{name}", CB_SB_STYLE_ARM,
                   handle_hub_certificate_delete);
}
