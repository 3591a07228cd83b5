/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* What the routes of ADR's 2026-11-01 CAs and policies share. Their ARM shape,
 * member for member as Microsoft's example files do (stable/2026-11-01/examples): id, name,
 * type, location, tags (only when set), properties. A CA's subject and validity are its
 * certificate's, read from the CA engine; an External ICA shows its issuer's
 * certificateSigningRequest, status and thumbprint (while it waits for its chain, the SHA-1 of
 * the CSR, as Microsoft's example shows one then), and its validity once activated. No
 * systemData: the examples show none. And how a broken rule is answered. */

#include "config.h"

#include "cb-csr.h"
#include "cb-sb-adr-ca-rules.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-arm-ca.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-ca.h"
#include "cb-sb-json.h"
#include "cb-sb-reply.h"
#include "cb-x509.h"

/* A stored JSON object (tags), when there is one. */
static void
add_tags (JsonBuilder *b,
          const char  *text)
{
  JsonNode *node = text != NULL ? json_from_string (text, NULL) : NULL;

  if (node == NULL)
    return;

  json_builder_set_member_name (b, "tags");
  json_builder_add_value (b, node);
}

static void
add_validity (JsonBuilder *b,
              gint64       not_before,
              gint64       not_after)
{
  if (not_before <= 0 || not_after <= 0)
    return;

  cb_sb_arm_add_time (b, "validityNotBefore", not_before * G_USEC_PER_SEC);
  cb_sb_arm_add_time (b, "validityNotAfter", not_after * G_USEC_PER_SEC);
}

/* subject and validity of the namespace's root certificate, when it exists. */
static void
add_root_certificate (CbSandbox   *self,
                      JsonBuilder *b,
                      const char  *namespace_id)
{
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;

  if (!cb_sb_ca_load_root (self, namespace_id, NULL, NULL, &der, NULL) ||
      (cert = cb_certificate_new_from_der (der, NULL)) == NULL)
    return;

  cb_sb_json_add_string (b, "subject", cb_certificate_get_subject (cert));
  add_validity (b, cb_certificate_get_not_before (cert), cb_certificate_get_not_after (cert));
}

/* The thumbprint of a pending External ICA: the SHA-1 of the CSR it waits on, upper-case hex
 * as ARM shows thumbprints [INF: the example shows a thumbprint before activation, the spec
 * does not say of what]. NULL when the CSR does not parse. */
static char *
csr_thumbprint (const char *csr_pem)
{
  g_autoptr(CbCsr) csr = csr_pem != NULL ? cb_csr_new_from_pem (csr_pem, -1, NULL) : NULL;
  g_autofree char *hex = NULL;
  g_autoptr(GBytes) der = NULL;

  if (csr == NULL)
    return NULL;

  der = cb_csr_get_der (csr);
  hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, der);
  return g_ascii_strup (hex, -1);
}

static void
add_ica (CbSandbox   *self,
         JsonBuilder *b,
         CbSbCaRow   *row)
{
  g_auto(CbSbIssuerInfo) info = { 0 };
  gboolean known = row->issuer_id != NULL && cb_sb_ca_get_issuer_info (self, row->issuer_id,
                                                                        &info);
  gboolean external = g_strcmp0 (row->issuer_type, CB_SB_ISSUER_EXTERNAL) == 0;

  json_builder_set_member_name (b, "issuer");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "issuerType", row->issuer_type);
  if (!external)
    cb_sb_json_add_string (b, "certificateAuthorityResourceId", row->parent_id);
  if (external && known)
    {
      g_autofree char *pending = info.thumbprint == NULL ? csr_thumbprint (info.csr_pem) : NULL;

      cb_sb_json_add_string_opt (b, "certificateSigningRequest", info.csr_pem);
      cb_sb_json_add_string_opt (b, "thumbprint", info.thumbprint != NULL ? info.thumbprint
                                                                          : pending);
    }
  if (external && row->status != NULL)
    cb_sb_json_add_string (b, "status", row->status);
  json_builder_end_object (b);

  if (known)
    {
      cb_sb_json_add_string (b, "subject", info.subject);
      add_validity (b, info.not_before, info.not_after);
    }
}

JsonNode *
cb_sb_arm_ca_json (CbSandbox  *self,
                   const char *ca_id,
                   const char *api_version)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_auto(CbSbCaRow) row = { 0 };

  if (!cb_sb_adr_ca_row (self, ca_id, &row))
    return NULL;

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", row.id);
  cb_sb_json_add_string (b, "name", row.name);
  cb_sb_json_add_string (b, "type", CB_SB_TYPE_CA);
  cb_sb_json_add_string (b, "location", row.location);
  add_tags (b, row.tags);

  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "provisioningState", row.state);
  cb_sb_json_add_string (b, "uuid", row.uuid);
  cb_sb_json_add_string (b, "certificateAuthorityType", row.ca_type);
  cb_sb_json_add_string (b, "keyType", row.key_type);
  if (g_strcmp0 (row.ca_type, CB_SB_CA_TYPE_ROOT) == 0)
    add_root_certificate (self, b, row.namespace_id);
  else
    add_ica (self, b, &row);
  json_builder_end_object (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
cb_sb_arm_ca_policy_json (CbSandbox  *self,
                          const char *policy_id,
                          const char *api_version)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_auto(CbSbCaPolicyRow) row = { 0 };

  if (!cb_sb_adr_ca_policy_row (self, policy_id, &row))
    return NULL;

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "id", row.id);
  cb_sb_json_add_string (b, "name", row.name);
  cb_sb_json_add_string (b, "type", CB_SB_TYPE_CA_POLICY);
  cb_sb_json_add_string_opt (b, "location", row.location);
  add_tags (b, row.tags);

  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "provisioningState", row.state);
  cb_sb_json_add_string (b, "uuid", row.uuid);
  json_builder_set_member_name (b, "certificate");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "validityPeriodInDays");
  json_builder_add_int_value (b, row.validity_days);
  json_builder_end_object (b);
  json_builder_end_object (b);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
cb_sb_arm_ca_resource_json (CbSandbox  *self,
                            const char *kind,
                            const char *target,
                            const char *api_version)
{
  if (g_str_has_prefix (kind, "capolicy-"))
    return cb_sb_arm_ca_policy_json (self, target, api_version);

  return cb_sb_arm_ca_json (self, target, api_version);
}

void
cb_sb_arm_reply_ca_rule (CbSbRequest  *req,
                         const GError *error)
{
  guint status = SOUP_STATUS_BAD_REQUEST;
  const char *code = "BadRequest";

  if (error->domain == CB_SB_ADR_CA_ERROR)
    {
      switch ((CbSbAdrCaError) error->code)
        {
        case CB_SB_ADR_CA_ERROR_CONFLICT:
          status = SOUP_STATUS_CONFLICT, code = "Conflict";
          break;
        case CB_SB_ADR_CA_ERROR_POLICY_NEEDS_ICA:
          status = SOUP_STATUS_CONFLICT, code = "PolicyRequiresIssuingCa";
          break;
        case CB_SB_ADR_CA_ERROR_INVALID:
          code = "InvalidRequestContent";
          break;
        case CB_SB_ADR_CA_ERROR_CHANGE_NOT_ALLOWED:
          code = "PropertyChangeNotAllowed";
          break;
        case CB_SB_ADR_CA_ERROR_BAD_CHAIN:
          code = "InvalidCertificateChain";
          break;
        case CB_SB_ADR_CA_ERROR_WRONG_TYPE:
        default:
          break;
        }
    }

  cb_sb_reply_arm_error (req, status, code, NULL, "%s", error->message);
}
