/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* The signing CA certificates of a DPS instance on ARM, with DPS's proof-of-possession flow:
 * PUT .../provisioningServices/{dps}/certificates/{name} uploads one (properties.certificate:
 * PEM, base64 DER or base64 of the PEM), GET reads one or lists them ({"value": [...]}),
 * DELETE removes one, POST .../generateVerificationCode hands out a code and POST .../verify
 * takes {"certificate": "<a certificate whose subject CN is the code, signed by the CA's
 * key>"} and marks the CA verified. Every change but the first upload needs If-Match with the
 * certificate's etag. An upload may set properties.isVerified true itself, as Azure allows
 * (CertificateBodyDescription.isVerified, writable since 2021; "az iot dps certificate create
 * --verified"); without it a certificate starts unverified and a new upload unverifies it.
 *
 * Shapes: azure-rest-api-specs specification/deviceprovisioningservices/resource-manager/
 * Microsoft.Devices/DeviceProvisioningServices/CertificateResponse.tsp and the examples of the
 * newest stable api-version, 2026-08-01: DPSCertificateCreateOrUpdate.json,
 * DPSGenerateVerificationCode.json, DPSGetCertificates.json, DPSDeleteCertificate.json (and
 * DPSVerifyCertificate.json of 2026-06-01-preview, which 2026-08-01 keeps). Dates are RFC 1123
 * ("Thu, 12 Oct 2017 19:23:50 GMT"), the thumbprint is the SHA-1 in upper-case hex. Azure
 * publishes no error codes for a failed verification: the sandbox answers 400
 * "CertificateVerificationFailed" with the reason, 412 "PreconditionFailed" for an etag that
 * does not match, 404 "ResourceNotFound" for a missing DPS instance or certificate. */

#include "config.h"

#include <string.h>

#include "cb-sb-arm-request.h"
#include "cb-sb-dps-ca-store.h"
#include "cb-sb-json.h"
#include "cb-sb-preconditions.h"
#include "cb-sb-routes-dps-certificates.h"
#include "cb-sb-store.h"
#include "cb-sb-validate.h"
#include "cb-util.h"
#include "cb-x509.h"

#define TYPE_CERTIFICATE "Microsoft.Devices/ProvisioningServices/Certificates"
#define OP_READ          "Microsoft.Devices/provisioningServices/certificates/Read"
#define OP_WRITE         "Microsoft.Devices/provisioningServices/certificates/Write"
#define OP_DELETE        "Microsoft.Devices/provisioningServices/certificates/Delete"
#define OP_CODE          "Microsoft.Devices/provisioningServices/certificates/GenerateVerificationCode/Action"
#define OP_VERIFY        "Microsoft.Devices/provisioningServices/certificates/Verify/Action"
#define API_2022         "2022-02-05"
#define API_PREVIEW      "2025-02-01-preview"

/* ---- Shapes ---------------------------------------------------------------------------- */

/* RFC 1123 in English whatever the locale. */
static char *
rfc1123 (gint64 unix_seconds)
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                         "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (unix_seconds);

  if (t == NULL)
    return g_strdup ("");
  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d GMT",
                          days[g_date_time_get_day_of_week (t) - 1],
                          g_date_time_get_day_of_month (t),
                          months[g_date_time_get_month (t) - 1], g_date_time_get_year (t),
                          g_date_time_get_hour (t), g_date_time_get_minute (t),
                          g_date_time_get_second (t));
}

static char *
plain_thumbprint (const char *fingerprint)
{
  GString *s = g_string_new (NULL);

  for (const char *p = fingerprint; p != NULL && *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (s, g_ascii_toupper (*p));
  return g_string_free (s, FALSE);
}

static char *
resource_id (const char *sub,
             const char *rg,
             const char *dps,
             const char *name)
{
  return g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Devices/"
                          "ProvisioningServices/%s%s%s", sub, rg, dps,
                          name != NULL ? "/certificates/" : "", name != NULL ? name : "");
}

static JsonNode *
certificate_json (const char    *sub,
                  const char    *rg,
                  CbSbDpsCaCert *cert,
                  gboolean       with_code)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(CbCertificate) parsed = cb_sb_dps_ca_cert_parse (cert);
  g_autofree char *id = resource_id (sub, rg, cert->dps, cert->name);
  g_autofree char *created = rfc1123 (cert->created / G_USEC_PER_SEC);
  g_autofree char *updated = rfc1123 (cert->updated / G_USEC_PER_SEC);

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "name", cert->name);
  cb_sb_json_add_string (b, "type", TYPE_CERTIFICATE);
  cb_sb_json_add_string (b, "etag", cert->etag);
  cb_sb_json_add_string (b, "id", id);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "certificate", cert->certificate);
  cb_sb_json_add_string (b, "created", created);
  if (parsed != NULL)
    {
      g_autofree char *expiry = rfc1123 (cb_certificate_get_not_after (parsed));
      g_autofree char *thumbprint = plain_thumbprint (cb_certificate_get_sha1_fingerprint (parsed));

      cb_sb_json_add_string (b, "expiry", expiry);
      cb_sb_json_add_string (b, "subject", cb_certificate_get_subject (parsed));
      cb_sb_json_add_string (b, "thumbprint", thumbprint);
    }
  json_builder_set_member_name (b, "isVerified");
  json_builder_add_boolean_value (b, cert->verified);
  cb_sb_json_add_string (b, "updated", updated);
  if (with_code)
    cb_sb_json_add_string (b, "verificationCode", cert->verification_code);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* ---- The request's prelude ------------------------------------------------------------- */

/* The DPS instance's name as the topology spells it, or NULL. */
static char *
find_dps (CbSandbox  *self,
          const char *sub,
          const char *rg,
          const char *name)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT name FROM dps_instances WHERE name = ?1 "
                                                  "AND lower(subscription) = lower(?2) "
                                                  "AND lower(resource_group) = lower(?3)");
  char *found = NULL;

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, sub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, rg, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    found = cb_sb_column_dup (stmt, 0);
  return found;
}

/* Bearer token, api-version, the caller's role on the DPS instance, the instance itself.
 * Returns its name, or NULL after replying. */
static char *
begin (CbSbRequest    *req,
       const char     *action,
       CbSbPermission  perm)
{
  const char *sub = cb_sb_param (req, "sub");
  const char *rg = cb_sb_param (req, "rg");
  const char *dps = cb_sb_param (req, "dps");
  g_autofree char *scope = resource_id (sub, rg, dps, NULL);
  char *name;

  if (!cb_sb_require_bearer (req, CB_SB_AUD_ARM) ||
      !cb_sb_require_api_version (req, CB_SB_DPS_ARM_API_VERSION, API_PREVIEW, API_2022, NULL) ||
      !cb_sb_require_permission (req, scope, action, perm))
    return NULL;

  if (!(name = find_dps (req->sandbox, sub, rg, dps)))
    {
      g_autofree char *what = g_strdup_printf ("Microsoft.Devices/provisioningServices/%s", dps);

      cb_sb_arm_reply_not_found (req, what, rg);
    }
  return name;
}

static void
reply_certificate_not_found (CbSbRequest *req,
                             const char  *dps)
{
  g_autofree char *what = g_strdup_printf ("Microsoft.Devices/provisioningServices/%s/"
                                           "certificates/%s", dps, cb_sb_param (req, "name"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

/* The certificate the path names, whose etag If-Match gives (when required or given); NULL
 * after replying. */
static CbSbDpsCaCert *
find_certificate (CbSbRequest *req,
                  const char  *dps,
                  gboolean     match_required)
{
  g_autoptr(CbSbDpsCaCert) cert = cb_sb_dps_ca_cert_load (req->sandbox, dps,
                                                          cb_sb_param (req, "name"));
  g_autofree char *match = NULL;

  if (cert == NULL)
    {
      reply_certificate_not_found (req, dps);
      return NULL;
    }

  match = cb_sb_if_match (req, FALSE);
  if (match == NULL && match_required)
    {
      cb_sb_reply_arm_error (req, 412, "PreconditionFailed", "If-Match",
                             "The If-Match header with the certificate's etag is required.");
      return NULL;
    }
  if (match != NULL && !g_str_equal (match, "*") && !g_str_equal (match, cert->etag))
    {
      cb_sb_reply_arm_error (req, 412, "PreconditionFailed", "If-Match",
                             "The etag '%s' does not match the certificate's etag '%s'.",
                             match, cert->etag);
      return NULL;
    }
  return g_steal_pointer (&cert);
}

/* A certificate in any of the forms Azure takes: PEM, base64 DER, or base64 of the PEM. */
static CbCertificate *
read_certificate (const char *text)
{
  CbCertificate *cert;
  g_autofree guchar *raw = NULL;
  g_autofree char *decoded = NULL;
  gsize len = 0;

  if (text == NULL || *text == '\0')
    return NULL;
  if ((cert = cb_certificate_new_from_text (text)) != NULL)
    return cert;
  raw = g_base64_decode (text, &len);
  if (raw == NULL || len == 0)
    return NULL;
  decoded = g_strndup ((const char *) raw, len);
  return strstr (decoded, "-----BEGIN") != NULL ? cb_certificate_new_from_text (decoded) : NULL;
}

static char *
der_base64 (CbCertificate *cert)
{
  g_autoptr(GBytes) der = cb_certificate_get_der (cert);

  return g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
}

static gboolean
save (CbSbRequest   *req,
      CbSbDpsCaCert *cert)
{
  g_autoptr(GError) error = NULL;

  if (!cb_sb_dps_ca_cert_save (req->sandbox, cert, &error))
    {
      cb_sb_reply_arm_error (req, 500, "InternalServerError", NULL, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* The write in the activity log, once answered. */
static void
log_write (CbSbRequest *req,
           const char  *operation,
           const char  *name)
{
  g_autofree char *id = resource_id (cb_sb_param (req, "sub"), cb_sb_param (req, "rg"),
                                     cb_sb_param (req, "dps"), name);

  cb_sb_arm_log_write (req, operation, id);
}

/* ---- Handlers -------------------------------------------------------------------------- */

static void
handle_list (CbSbRequest *req)
{
  g_autofree char *dps = begin (req, OP_READ, CB_SB_PERM_READ);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonBuilder) b = NULL;

  if (dps == NULL)
    return;

  list = cb_sb_dps_ca_cert_list (req->sandbox, dps);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "value");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++)
    json_builder_add_value (b, certificate_json (cb_sb_param (req, "sub"), cb_sb_param (req, "rg"),
                                                 g_ptr_array_index (list, i), FALSE));
  json_builder_end_array (b);
  json_builder_end_object (b);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
handle_get (CbSbRequest *req)
{
  g_autofree char *dps = begin (req, OP_READ, CB_SB_PERM_READ);
  g_autoptr(CbSbDpsCaCert) cert = NULL;

  if (dps == NULL || !(cert = find_certificate (req, dps, FALSE)))
    return;
  cb_sb_reply_json (req, 200, certificate_json (cb_sb_param (req, "sub"), cb_sb_param (req, "rg"),
                                                cert, FALSE));
}

static void
handle_put (CbSbRequest *req)
{
  g_autofree char *dps = begin (req, OP_WRITE, CB_SB_PERM_WRITE);
  const char *name = cb_sb_param (req, "name");
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(CbSbDpsCaCert) existing = NULL;
  g_autoptr(CbSbDpsCaCert) cert = NULL;
  g_autoptr(CbCertificate) parsed = NULL;
  JsonObject *properties;
  JsonNode *verified_node;
  gint64 now;

  if (dps == NULL || !(body = cb_sb_json_body (req, FALSE)))
    return;

  properties = JSON_NODE_HOLDS_OBJECT (body)
               ? cb_sb_json_member_object (json_node_get_object (body), "properties") : NULL;
  if (!cb_sb_registration_id_is_valid (name))
    {
      cb_sb_arm_reply_invalid_content (req, "certificateName",
                                       "The certificate name may hold letters, digits and - . _ "
                                       ": only, up to 128 of them.");
      return;
    }
  if (!(parsed = read_certificate (cb_sb_json_member_string (properties, "certificate"))))
    {
      cb_sb_arm_reply_invalid_content (req, "properties.certificate",
                                       "properties.certificate must be an X.509 certificate: "
                                       "PEM, or the base64 of a .cer file (DER) or of a .pem "
                                       "file.");
      return;
    }
  verified_node = properties != NULL ? json_object_get_member (properties, "isVerified") : NULL;
  if (verified_node != NULL && !JSON_NODE_HOLDS_NULL (verified_node) &&
      (!JSON_NODE_HOLDS_VALUE (verified_node) ||
       json_node_get_value_type (verified_node) != G_TYPE_BOOLEAN))
    {
      cb_sb_arm_reply_invalid_content (req, "properties.isVerified",
                                       "properties.isVerified must be true or false.");
      return;
    }

  /* Creating ignores If-Match; replacing requires it. */
  if ((existing = cb_sb_dps_ca_cert_load (req->sandbox, dps, name)) != NULL)
    {
      g_clear_pointer (&existing, cb_sb_dps_ca_cert_free);
      if (!(existing = find_certificate (req, dps, TRUE)))
        return;
    }

  now = cb_sb_now_usec (req->sandbox);
  cert = g_new0 (CbSbDpsCaCert, 1);
  cert->dps = g_strdup (dps);
  cert->name = g_strdup (existing != NULL ? existing->name : name);
  cert->certificate = der_base64 (parsed);
  cert->verified = verified_node != NULL && JSON_NODE_HOLDS_VALUE (verified_node) &&
                   json_node_get_boolean (verified_node);
  cert->etag = cb_sb_dps_ca_new_etag ();
  cert->created = existing != NULL ? existing->created : now;
  cert->updated = now;
  if (!save (req, cert))
    return;

  cb_sb_reply_json (req, existing != NULL ? 200 : 201,
                    certificate_json (cb_sb_param (req, "sub"), cb_sb_param (req, "rg"), cert,
                                      FALSE));
  log_write (req, OP_WRITE, cert->name);
}

static void
handle_delete (CbSbRequest *req)
{
  g_autofree char *dps = begin (req, OP_DELETE, CB_SB_PERM_WRITE);
  g_autoptr(CbSbDpsCaCert) cert = NULL;
  g_autoptr(GError) error = NULL;

  if (dps == NULL || !(cert = find_certificate (req, dps, TRUE)))
    return;
  if (!cb_sb_dps_ca_cert_delete (req->sandbox, dps, cert->name, &error))
    {
      cb_sb_reply_arm_error (req, 500, "InternalServerError", NULL, "%s", error->message);
      return;
    }
  cb_sb_reply_empty (req, 200);
  log_write (req, OP_DELETE, cert->name);
}

static void
handle_generate_code (CbSbRequest *req)
{
  g_autofree char *dps = begin (req, OP_CODE, CB_SB_PERM_WRITE);
  g_autoptr(CbSbDpsCaCert) cert = NULL;

  if (dps == NULL || !(cert = find_certificate (req, dps, TRUE)))
    return;

  /* Upper-case hex, as the portal shows it; a CN holds it as is. */
  g_free (cert->verification_code);
  cert->verification_code = cb_random_hex (16);
  for (char *p = cert->verification_code; *p != '\0'; p++)
    *p = g_ascii_toupper (*p);
  g_free (cert->etag);
  cert->etag = cb_sb_dps_ca_new_etag ();
  cert->updated = cb_sb_now_usec (req->sandbox);
  if (!save (req, cert))
    return;
  cb_sb_reply_json (req, 200, certificate_json (cb_sb_param (req, "sub"), cb_sb_param (req, "rg"),
                                                cert, TRUE));
}

/* Why proof is not given by text (a verification certificate), or NULL when it is. */
static char *
check_proof (CbSandbox     *self,
             CbSbDpsCaCert *cert,
             const char    *text)
{
  g_autoptr(CbCertificate) ca = cb_sb_dps_ca_cert_parse (cert);
  g_autoptr(CbCertificate) proof = read_certificate (text);
  gint64 now = cb_sb_session_now (self);
  const char *cn;

  if (cert->verification_code == NULL)
    return g_strdup ("No verification code was generated for this certificate: call "
                     "generateVerificationCode first.");
  if (proof == NULL)
    return g_strdup ("The verification certificate must be an X.509 certificate (PEM, or the "
                     "base64 of a .cer or .pem file).");
  cn = cb_certificate_get_common_name (proof);
  if (g_strcmp0 (cn, cert->verification_code) != 0)
    return g_strdup_printf ("The verification certificate's subject common name is '%s', not "
                            "the verification code '%s'.", cn != NULL ? cn : "",
                            cert->verification_code);
  if (ca == NULL || !cb_certificate_is_issued_by (proof, ca))
    return g_strdup ("The verification certificate is not signed by the uploaded certificate's "
                     "private key.");
  if (cb_certificate_get_not_before (proof) > now || cb_certificate_get_not_after (proof) < now)
    return g_strdup ("The verification certificate is outside its validity period.");
  return NULL;
}

static void
handle_verify (CbSbRequest *req)
{
  g_autofree char *dps = begin (req, OP_VERIFY, CB_SB_PERM_WRITE);
  g_autoptr(CbSbDpsCaCert) cert = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *problem = NULL;

  if (dps == NULL || !(cert = find_certificate (req, dps, TRUE)) ||
      !(body = cb_sb_json_body (req, FALSE)))
    return;

  problem = check_proof (req->sandbox, cert,
                         JSON_NODE_HOLDS_OBJECT (body)
                         ? cb_sb_json_member_string (json_node_get_object (body), "certificate")
                         : NULL);
  if (problem != NULL)
    {
      cb_sb_reply_arm_error (req, 400, "CertificateVerificationFailed", "certificate", "%s",
                             problem);
      return;
    }

  cert->verified = TRUE;
  g_clear_pointer (&cert->verification_code, g_free);
  g_free (cert->etag);
  cert->etag = cb_sb_dps_ca_new_etag ();
  cert->updated = cb_sb_now_usec (req->sandbox);
  if (!save (req, cert))
    return;
  cb_sb_reply_json (req, 200, certificate_json (cb_sb_param (req, "sub"), cb_sb_param (req, "rg"),
                                                cert, FALSE));
  log_write (req, OP_VERIFY, cert->name);
}

gboolean
cb_sb_routes_dps_certificates_init (CbSandbox  *self,
                                    GError    **error)
{
  const char *list = "/arm/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Devices/"
                     "provisioningServices/{dps}/certificates";
  g_autofree char *one = g_strconcat (list, "/{name}", NULL);
  g_autofree char *code = g_strconcat (one, "/generateVerificationCode", NULL);
  g_autofree char *verify = g_strconcat (one, "/verify", NULL);

  if (!cb_sb_dps_ca_store_init (self, error))
    return FALSE;

  cb_sb_add_route (self, "GET", list, CB_SB_STYLE_ARM, handle_list);
  cb_sb_add_route (self, "GET", one, CB_SB_STYLE_ARM, handle_get);
  cb_sb_add_route (self, "PUT", one, CB_SB_STYLE_ARM, handle_put);
  cb_sb_add_route (self, "DELETE", one, CB_SB_STYLE_ARM, handle_delete);
  cb_sb_add_route (self, "POST", code, CB_SB_STYLE_ARM, handle_generate_code);
  cb_sb_add_route (self, "POST", verify, CB_SB_STYLE_ARM, handle_verify);
  return TRUE;
}
