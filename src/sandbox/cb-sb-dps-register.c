/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* A device's registration with DPS, the part both transports share (see
 * cb-sb-dps-register.h): the HTTPS routes (cb-sb-routes-dps-device.c) and the MQTT topics
 * (cb-sb-mqtt-dps.c) only read their request and write the answer. The errorCode values are
 * listed in cb-sb-routes-dps.c. */

#include "config.h"

#include <string.h>

#include "cb-csr.h"
#include "cb-json-limits.h"
#include "cb-sas.h"
#include "cb-sb-adr.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-dps-cache.h"
#include "cb-sb-dps-register.h"
#include "cb-sb-dps-x509.h"
#include "cb-sb-faults.h"
#include "cb-sb-hub.h"
#include "cb-sb-json.h"
#include "cb-sb-store.h"
#include "cb-sb-validate.h"
#include "cb-util.h"
#include "cb-x509.h"

#define MAX_CSR_BYTES          8192

G_DEFINE_QUARK (cb-sb-dps-error-quark, cb_sb_dps_error)

const char * const cb_sb_dps_device_api_versions[] = {
  CB_SB_DPS_API_VERSION,          /* 2025-07-01-preview: the CSR branches */
  "2021-06-01",
  "2019-03-31",                   /* Node SDK 1.9.1, C SDK, Embedded C SDK */
  "2021-11-01-preview",           /* .NET SDK */
  CB_SB_DPS_API_VERSION_STABLE,   /* 2026-11-01 */
  NULL,
};

guint
cb_sb_dps_error_status (const GError *error)
{
  if (error == NULL || error->domain != CB_SB_DPS_ERROR || error->code < 100000)
    return 500;
  return (guint) error->code / 1000;
}

gboolean
cb_sb_dps_check_api_version (const char  *version,
                             GError     **error)
{
  g_autofree char *accepted = g_strjoinv ("', '", (char **) cb_sb_dps_device_api_versions);

  if (version != NULL && g_strv_contains (cb_sb_dps_device_api_versions, version))
    return TRUE;

  if (version == NULL)
    g_set_error (error, CB_SB_DPS_ERROR, 400001,
                 "The api-version is required. Supported: '%s'", accepted);
  else
    g_set_error (error, CB_SB_DPS_ERROR, 400001,
                 "The api-version '%s' is not supported. Supported: '%s'", version, accepted);
  return FALSE;
}

/* ---- Authentication -------------------------------------------------------------------- */

static gboolean
token_matches_key (const CbSasToken *token,
                   const char       *resource,
                   const char       *key,
                   gint64            now)
{
  return key != NULL && cb_sas_token_verify (token, resource, key, now, NULL);
}

static CbSbEnrollment *
unauthorized (GError     **error,
              const char  *reason)
{
  g_set_error (error, CB_SB_DPS_ERROR, 401002, "Unauthorized: %s", reason);
  return NULL;
}

/* The individual enrollment, or else the enrollment group (enabled ones first) whose derived
 * key signed token. */
static CbSbEnrollment *
enrollment_of_token (CbSandbox        *self,
                     CbSbDpsInstance  *dps,
                     const char       *registration_id,
                     const CbSasToken *token,
                     const char       *resource,
                     gint64            now,
                     GError          **error)
{
  g_autoptr(CbSbEnrollment) individual = NULL;
  g_autoptr(GPtrArray) groups = NULL;

  /* Whether there is one comes from memory (cb-sb-dps-cache.c): a group's devices, the
   * many, skip the row's lookup. */
  individual = cb_sb_dps_cache_has_individual (self, dps->name, registration_id)
               ? cb_sb_enrollment_load (self, dps->name, FALSE, registration_id) : NULL;
  if (individual != NULL)
    {
      /* As on DPS: an enrollment attests one way, and an X.509 one has no keys (the row keeps
       * the keys it had before it was switched to X.509, which DPS no longer shows). */
      if (cb_sb_dps_x509_is_x509 (individual))
        return unauthorized (error, "the individual enrollment attests with X.509, not with a "
                                    "symmetric key");
      if (token_matches_key (token, resource, individual->primary_key, now) ||
          token_matches_key (token, resource, individual->secondary_key, now))
        return g_steal_pointer (&individual);

      return unauthorized (error, "the signature does not match the individual enrollment's key");
    }

  /* The groups and the keys derived from theirs come from memory (cb-sb-dps-cache.c): a
   * device's poll, and its next registration, do not read and derive them again. */
  groups = g_ptr_array_ref (cb_sb_dps_cache_groups (self, dps->name));
  for (int pass = 0; pass < 2; pass++)
    {
      for (guint i = 0; i < groups->len; i++)
        {
          CbSbEnrollment *group = g_ptr_array_index (groups, i);
          gboolean enabled = g_strcmp0 (group->provisioning_status, "enabled") == 0;

          if (enabled != (pass == 0) || cb_sb_dps_x509_is_x509 (group))
            continue;

          for (int k = 0; k < 2; k++)
            {
              const char *device_key = cb_sb_dps_cache_derived_key (self, dps->name, group, k == 1,
                                                                    registration_id, NULL);

              if (token_matches_key (token, resource, device_key, now))
                return cb_sb_dps_cache_enrollment_copy (group);
            }
        }
    }

  return unauthorized (error, "no enrollment matches: the signature is not made with the "
                              "individual enrollment's key or a key derived from an enrollment "
                              "group's key");
}

CbSbDpsInstance *
cb_sb_dps_find_instance (CbSandbox   *self,
                         const char  *id_scope,
                         GError     **error)
{
  CbSbDpsInstance *dps = id_scope != NULL ? cb_sb_dps_cache_instance (self, id_scope) : NULL;

  if (dps == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("no DPS instance has the ID scope '%s'",
                                              id_scope != NULL ? id_scope : "");
      unauthorized (error, msg);
    }
  return dps;
}

CbSbEnrollment *
cb_sb_dps_authenticate (CbSandbox        *self,
                        CbSbDpsInstance  *dps,
                        const char       *registration_id,
                        const char       *sas,
                        GError          **error)
{
  g_autoptr(CbSasToken) token = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *resource = NULL;
  gint64 now = cb_sb_session_now (self);

  if (sas == NULL || *sas == '\0')
    return unauthorized (error, "no SharedAccessSignature was sent (symmetric key attestation "
                                "needs one: the Authorization header over HTTPS, the password "
                                "over MQTT)");

  if (!(token = cb_sas_token_parse (sas, &local)))
    return unauthorized (error, local->message);

  if (g_strcmp0 (token->key_name, "registration") != 0)
    return unauthorized (error, "the SharedAccessSignature must use skn=registration");

  resource = g_strdup_printf ("%s/registrations/%s", dps->id_scope, registration_id);
  if (g_ascii_strcasecmp (token->resource, resource) != 0)
    {
      g_autofree char *msg = g_strdup_printf ("the token is for '%s', not for '%s'",
                                              token->resource, resource);
      return unauthorized (error, msg);
    }

  if (token->expiry <= now)
    return unauthorized (error, "the SharedAccessSignature has expired");

  return enrollment_of_token (self, dps, registration_id, token, resource, now, error);
}

/* The X.509 enrollment (individual, or group by its signing CA) of the chain the device
 * presented in its TLS handshake: the leaf's CN must be the registration id and it must be
 * valid now. The lookup itself is cb_sb_dps_x509_find_enrollment's. */
CbSbEnrollment *
cb_sb_dps_authenticate_certificate (CbSandbox        *self,
                                    CbSbDpsInstance  *dps,
                                    const char       *registration_id,
                                    GTlsCertificate  *peer,
                                    GError          **error)
{
  g_autoptr(GPtrArray) chain = cb_sb_dps_x509_chain_from_tls (peer);
  g_autofree char *reason = NULL;
  CbSbEnrollment *e;
  CbCertificate *presented;
  gint64 now = cb_sb_session_now (self);
  const char *cn;

  if (chain->len == 0)
    return unauthorized (error, "the TLS client certificate cannot be read");
  presented = g_ptr_array_index (chain, 0);

  cn = cb_certificate_get_common_name (presented);
  if (g_strcmp0 (cn, registration_id) != 0)
    {
      g_autofree char *msg = g_strdup_printf ("the certificate's common name '%s' is not the "
                                              "registration id '%s'", cn != NULL ? cn : "",
                                              registration_id);
      return unauthorized (error, msg);
    }
  if (cb_certificate_get_not_before (presented) > now ||
      cb_certificate_get_not_after (presented) < now)
    return unauthorized (error, "the certificate is outside its validity period");

  if (!(e = cb_sb_dps_x509_find_enrollment (self, dps, registration_id, chain, &reason)))
    return unauthorized (error, reason);
  return e;
}

/* ---- The CSR --------------------------------------------------------------------------- */

/* Checks csr as §2.2 and §4.2 require: the request parsed and its signature verified, once
 * for the whole registration. NULL with 4002xx when it is not valid. */
static CbCsr *
check_csr (JsonNode    *node,
           const char  *registration_id,
           GError     **error)
{
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree guchar *raw = NULL;
  const char *text;
  const char *cn;
  CbKeyType key_type;
  gsize len;
  gsize raw_len = 0;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400201,
                   "Invalid csr: it must be a string holding a base64-encoded DER PKCS#10 request");
      return NULL;
    }

  text = json_node_get_string (node);
  if (strstr (text, "-----BEGIN") != NULL || strstr (text, "-----END") != NULL)
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400202,
                   "Invalid csr: PEM armour is not accepted; send the base64 of the DER "
                   "request without the -----BEGIN/END CERTIFICATE REQUEST----- lines");
      return NULL;
    }

  len = strlen (text);
  if (len == 0 || len % 4 != 0)
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400201,
                   "Invalid csr: it is not valid base64 (the length %zu is not a multiple of 4)",
                   len);
      return NULL;
    }
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];
      gboolean padding = c == '=' && i >= len - 2 && (i == len - 1 || text[len - 1] == '=');

      if (!g_ascii_isalnum (c) && c != '+' && c != '/' && !padding)
        {
          g_set_error (error, CB_SB_DPS_ERROR, 400201,
                       "Invalid csr: it is not valid base64 (unexpected character at "
                       "offset %zu)", i);
          return NULL;
        }
    }

  raw = g_base64_decode (text, &raw_len);
  if (raw_len > MAX_CSR_BYTES)
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400201,
                   "Invalid csr: %zu bytes is larger than the %d bytes accepted",
                   raw_len, MAX_CSR_BYTES);
      return NULL;
    }
  der = g_bytes_new_take (g_steal_pointer (&raw), raw_len);

  if (!(csr = cb_csr_new_from_der (der, &local)))
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400203,
                   "Invalid csr: it is not a PKCS#10 certificate signing request (%s)",
                   local->message);
      return NULL;
    }

  if (!cb_csr_verify_signature (csr, &local))
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400206,
                   "Invalid csr: its signature does not verify with its own public key (%s)",
                   local->message);
      return NULL;
    }

  key_type = cb_csr_get_key_type (csr);
  if (key_type != CB_KEY_TYPE_EC_P256 && key_type != CB_KEY_TYPE_EC_P384)
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400204,
                   "Invalid csr: the key is %s; %sonly EC P-384 (or P-256) keys are accepted",
                   cb_key_type_to_string (key_type),
                   key_type == CB_KEY_TYPE_RSA ? "RSA keys aren't supported in the current preview: " : "");
      return NULL;
    }

  cn = cb_csr_get_common_name (csr);
  if (g_strcmp0 (cn, registration_id) != 0)
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400205,
                   "Invalid csr: the subject's common name ('%s') must equal the "
                   "registrationId ('%s')", cn != NULL ? cn : "", registration_id);
      return NULL;
    }

  /* The same checks once more through the shared helper, so the sandbox and the station never
   * disagree on what a valid CSR is. */
  if (!cb_csr_check (csr, registration_id, NULL, &local))
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400203, "Invalid csr: %s", local->message);
      return NULL;
    }

  return g_steal_pointer (&csr);
}

struct _CbSbCsrCheck
{
  GBytes   *body;
  JsonNode *parsed;     /* body, parsed (within the limits) */
  char     *registration_id;
  gboolean  done;       /* the body holds a csr and it was checked */
  CbCsr    *csr;
  GError   *error;
};

CbSbCsrCheck *
cb_sb_dps_csr_check_new (GBytes     *body,
                         const char *registration_id)
{
  CbSbCsrCheck *check = g_new0 (CbSbCsrCheck, 1);

  check->body = g_bytes_ref (body);
  check->registration_id = g_strdup (registration_id);
  return check;
}

void
cb_sb_dps_csr_check_run (CbSbCsrCheck *check)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) body = NULL;
  JsonNode *csr_node;
  gsize len = 0;
  const char *data = g_bytes_get_data (check->body, &len);

  /* Whatever is wrong with the body is the handler's to answer, as before: no check then. */
  if (check->registration_id == NULL || len == 0 ||
      !cb_json_check_limits (data, len, CB_JSON_MAX_REQUEST_SIZE, CB_JSON_MAX_DEPTH, NULL))
    return;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
      !(body = json_parser_steal_root (parser)))
    return;
  check->parsed = json_node_ref (body);
  if (!JSON_NODE_HOLDS_OBJECT (body))
    return;
  csr_node = json_object_get_member (json_node_get_object (body), "csr");
  if (csr_node == NULL || JSON_NODE_HOLDS_NULL (csr_node))
    return;

  check->csr = check_csr (csr_node, check->registration_id, &check->error);
  check->done = TRUE;
}

JsonNode *
cb_sb_dps_csr_check_take_body (CbSbCsrCheck *check)
{
  return check != NULL ? g_steal_pointer (&check->parsed) : NULL;
}

void
cb_sb_dps_csr_check_free (CbSbCsrCheck *check)
{
  if (check == NULL)
    return;

  g_bytes_unref (check->body);
  g_clear_pointer (&check->parsed, json_node_unref);
  g_free (check->registration_id);
  g_clear_object (&check->csr);
  g_clear_error (&check->error);
  g_free (check);
}

/* ---- Assignment ------------------------------------------------------------------------ */

static void
operation_fail (CbSbDpsOperation  *op,
                const char *status,
                int         code,
                const char *message)
{
  g_free (op->status);
  op->status = g_strdup (status);
  op->error_code = code;
  g_free (op->error_message);
  op->error_message = g_strdup (message);
  g_clear_pointer (&op->chain, g_free);
  g_clear_pointer (&op->substatus, g_free);
}

static void
operation_fail_from_error (CbSbDpsOperation  *op,
                           GError     *error,
                           const char *policy)
{
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      message = g_strdup_printf ("The credential policy '%s' of the enrollment cannot issue: it does "
                                 "not exist in the linked namespace (missing or deleted). Update the "
                                 "enrollment to use another policy, or disable it. (%s)",
                                 policy, error->message);
      operation_fail (op, "failed", 404211, message);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    {
      if (strstr (error->message, "disabled") != NULL)
        operation_fail (op, "failed", 403209, error->message);
      else
        operation_fail (op, "failed", 409212, error->message);
    }
  else if (error->domain == CB_X509_ERROR)
    {
      int code = error->code == CB_X509_ERROR_WRONG_NAME ? 400205
               : error->code == CB_X509_ERROR_UNSUPPORTED_KEY ? 400204
               : error->code == CB_X509_ERROR_BAD_SIGNATURE ? 400206 : 400203;

      message = g_strdup_printf ("Invalid csr: %s", error->message);
      operation_fail (op, "failed", code, message);
    }
  else
    {
      message = g_strdup_printf ("Internal error: %s", error->message);
      operation_fail (op, "failed", 500214, message);
    }
}

/* The chain as a JSON array of base64 strings, written as text: base64 needs no escaping. */
static char *
chain_to_json (GPtrArray *chain)
{
  GString *out = g_string_sized_new (1024 * chain->len + 8);

  g_string_append_c (out, '[');
  for (guint i = 0; i < chain->len; i++)
    {
      GBytes *der = g_ptr_array_index (chain, i);
      gsize len = 0;
      const guchar *data = g_bytes_get_data (der, &len);
      gsize start, written;
      int state = 0, save = 0;

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '"');
      start = out->len;
      g_string_set_size (out, start + (len / 3 + 1) * 4 + 4);
      written = g_base64_encode_step (data, len, FALSE, out->str + start, &state, &save);
      written += g_base64_encode_close (FALSE, out->str + start + written, &state, &save);
      g_string_set_size (out, start + written);
      g_string_append_c (out, '"');
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

/* The certificate policy a 2026-11-01 enrollment names (namespaceName,
 * certificateAuthorityName, certificatePolicyName), as an ARM id, with the CA engine's issuer
 * that signs under it and its validity, when DPS is linked to that namespace and the policy
 * can issue. Records the failure in op and returns NULL otherwise. */
static char *
stable_policy (CbSandbox        *self,
               CbSbDpsInstance  *dps,
               CbSbEnrollment   *enrollment,
               CbSbDpsOperation *op,
               char            **issuer_out,
               gint64           *days_out)
{
  const char *ns_name = cb_sb_json_member_string (enrollment->extra, "namespaceName");
  const char *ca_name = cb_sb_json_member_string (enrollment->extra, "certificateAuthorityName");
  const char *policy_name = cb_sb_json_member_string (enrollment->extra,
                                                      "certificatePolicyName");
  const char *linked_name;
  g_autofree char *issuer_id = NULL;
  g_autofree char *policy_id = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  guint days = 0;

  if (dps->namespace_id == NULL)
    {
      operation_fail (op, "failed", 400004,
                      "A Device Registry Namespace is required to be set on this DPS instance");
      return NULL;
    }

  linked_name = strrchr (dps->namespace_id, '/') != NULL ? strrchr (dps->namespace_id, '/') + 1
                                                         : dps->namespace_id;
  if (ns_name == NULL || g_ascii_strcasecmp (linked_name, ns_name) != 0)
    {
      message = g_strdup_printf ("The DPS instance may not use the namespace '%s': it is linked "
                                 "to the namespace '%s'", ns_name ? ns_name : "", linked_name);
      operation_fail (op, "failed", 403000, message);
      return NULL;
    }

  if (!cb_sb_adr_ca_find_policy (self, dps->namespace_id, ca_name, policy_name, &issuer_id,
                                 &policy_id, &days, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          message = g_strdup_printf ("The enrollment's certificate policy '%s' of certificate "
                                     "authority '%s' cannot issue: %s. Update the enrollment, or "
                                     "disable it.", policy_name, ca_name, error->message);
          operation_fail (op, "failed", 404211, message);
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
        {
          message = g_strdup_printf ("The enrollment's certificateAuthorityName '%s' must name an "
                                     "intermediate CA, not a root: %s", ca_name, error->message);
          operation_fail (op, "failed", 400209, message);
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED))
        {
          operation_fail (op, "failed", 409212, error->message);
        }
      else
        {
          message = g_strdup_printf ("Internal error: %s", error->message);
          operation_fail (op, "failed", 500214, message);
        }
      return NULL;
    }

  *issuer_out = g_steal_pointer (&issuer_id);
  *days_out = days;
  return g_steal_pointer (&policy_id);
}

/* The device's identity in the hub it is assigned to. A device issued a certificate
 * authenticates with it (certificateAuthority); one attested by a symmetric key and issued
 * none authenticates with that key, as DPS makes it: the individual enrollment's keys, or
 * the ones derived from the group's for this registration id. */
static gboolean
ensure_hub_identity (CbSandbox        *self,
                     CbSbDpsInstance  *dps,
                     CbSbEnrollment   *enrollment,
                     const char       *registration_id,
                     const char       *device_id,
                     gboolean          issued,
                     GError          **error)
{
  g_autofree char *primary = NULL;
  g_autofree char *secondary = NULL;

  /* An X.509-attested device issued no certificate keeps authenticating with a certificate. */
  if (issued || enrollment->primary_key == NULL || cb_sb_dps_x509_is_x509 (enrollment))
    return cb_sb_hub_ensure_device (self, dps->linked_hub, device_id, error);

  if (enrollment->is_group)
    {
      const char *derived;

      if (!(derived = cb_sb_dps_cache_derived_key (self, dps->name, enrollment, FALSE,
                                                   registration_id, error)))
        return FALSE;
      primary = g_strdup (derived);
      if (enrollment->secondary_key != NULL)
        {
          if (!(derived = cb_sb_dps_cache_derived_key (self, dps->name, enrollment, TRUE,
                                                       registration_id, error)))
            return FALSE;
          secondary = g_strdup (derived);
        }
    }
  else
    {
      primary = g_strdup (enrollment->primary_key);
      secondary = g_strdup (enrollment->secondary_key);
    }

  return cb_sb_hub_ensure_sas_device (self, dps->linked_hub, device_id, primary, secondary,
                                      error);
}

/* Assigns the device: the hub identity, the ADR device pointed at the enrollment's policy and,
 * with a CSR, the issued chain. Every outcome is recorded in op. */
static void
assign (CbSandbox        *self,
        CbSbDpsInstance  *dps,
        CbSbEnrollment   *enrollment,
        CbSbDpsOperation *op,
        CbCsr            *csr,
        const CbSbFault  *fault,
        gboolean          reprovisioned,
        CbSbLeafJob     **leaf_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *policy_id = NULL;
  g_autofree char *issuer_id = NULL;
  gint64 validity_days = 0;
  g_autoptr(GPtrArray) chain = NULL;
  const char *device_id = enrollment->device_id != NULL ? enrollment->device_id : op->registration_id;
  gboolean enabled = TRUE;

  if (g_strcmp0 (enrollment->provisioning_status, "enabled") != 0)
    {
      g_autofree char *message = g_strdup_printf ("The %s '%s' is disabled",
                                                  enrollment->is_group ? "enrollment group"
                                                                       : "enrollment",
                                                  enrollment->id);
      operation_fail (op, "disabled", 403210, message);
      return;
    }

  if (cb_sb_fault_rule_wants (fault, "dps", "failed"))
    {
      operation_fail (op, "failed", 500214, "The registration failed (sandbox fault injection)");
      return;
    }

  if (dps->linked_hub == NULL || !(host = cb_sb_dps_hub_host_name (self, dps->linked_hub)))
    {
      operation_fail (op, "failed", 409213, "The DPS instance has no linked IoT hub to assign to");
      return;
    }

  if (cb_sb_json_member_string (enrollment->extra, "namespaceName") != NULL)
    {
      if (!(policy_id = stable_policy (self, dps, enrollment, op, &issuer_id, &validity_days)))
        return;
    }
  else if (csr != NULL && enrollment->policy == NULL)
    {
      operation_fail (op, "failed", 400208,
                      "A csr was sent but the enrollment has no credentialPolicyName: certificate "
                      "issuance is not configured for it");
      return;
    }

  if (cb_sb_hub_lookup_device (self, dps->linked_hub, device_id, &enabled) && !enabled)
    {
      g_autofree char *message = g_strdup_printf ("The device '%s' is disabled in IoT hub %s",
                                                  device_id, host);
      operation_fail (op, "failed", 403209, message);
      return;
    }

  if (policy_id != NULL && csr == NULL)
    {
      /* A registration through a 2026-11-01 enrollment makes the registry device, with or
       * without a certificate. */
      if (!cb_sb_adr_ensure_device (self, dps->namespace_id, device_id, policy_id, &error))
        {
          operation_fail_from_error (op, error, policy_id);
          return;
        }
    }

  if (csr != NULL)
    {
      if (dps->namespace_id == NULL)
        {
          operation_fail (op, "failed", 404211,
                          "The DPS instance is not linked to an ADR namespace: no credential "
                          "policy can issue");
          return;
        }

      if (policy_id == NULL)
        policy_id = cb_sb_policy_id (dps->namespace_id, enrollment->policy);
      if (!cb_sb_adr_ensure_device (self, dps->namespace_id, device_id, policy_id, &error))
        {
          operation_fail_from_error (op, error, enrollment->policy);
          return;
        }

      /* Signed later, in a worker, when the caller wants the leaf (cb_sb_dps_register_finish
       * records it); here otherwise. */
      if (leaf_out != NULL)
        *leaf_out = issuer_id != NULL
                    ? cb_sb_ca_prepare_leaf_under (self, dps->namespace_id, issuer_id, policy_id,
                                                   validity_days, device_id, csr, &error)
                    : cb_sb_ca_prepare_leaf_for_csr (self, policy_id, device_id, csr, &error);
      else if (issuer_id != NULL)
        chain = cb_sb_ca_issue_leaf_under (self, dps->namespace_id, issuer_id, policy_id,
                                           validity_days, device_id, csr, &error);
      else
        chain = cb_sb_ca_issue_leaf_for_csr (self, policy_id, device_id, csr, &error);
      if (chain == NULL && (leaf_out == NULL || *leaf_out == NULL))
        {
          operation_fail_from_error (op, error, enrollment->policy);
          return;
        }
    }

  if (!ensure_hub_identity (self, dps, enrollment, op->registration_id, device_id,
                            chain != NULL || (leaf_out != NULL && *leaf_out != NULL), &error))
    {
      if (leaf_out != NULL)
        g_clear_pointer (leaf_out, cb_sb_leaf_job_free);
      operation_fail_from_error (op, error, enrollment->policy);
      return;
    }

  g_free (op->status);
  op->status = g_strdup ("assigned");
  g_free (op->substatus);
  op->substatus = g_strdup (reprovisioned ? "reprovisionedToInitialAssignment" : "initialAssignment");
  g_free (op->device_id);
  op->device_id = g_strdup (device_id);
  g_free (op->assigned_hub);
  op->assigned_hub = g_strdup (host);
  op->error_code = 0;
  g_clear_pointer (&op->error_message, g_free);
  g_clear_pointer (&op->chain, g_free);
  if (chain != NULL)
    op->chain = chain_to_json (chain);
}

/* ---- Registration and polling ---------------------------------------------------------- */

gboolean
cb_sb_dps_check_registration (JsonNode    *body,
                              const char  *registration_id,
                              gboolean     required,
                              GError     **error)
{
  JsonObject *obj;
  const char *body_id;

  if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body))
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400101, "The body must be a DeviceRegistration object");
      return FALSE;
    }

  obj = json_node_get_object (body);
  body_id = cb_sb_json_member_string (obj, "registrationId");
  if (body_id == NULL && (required || cb_sb_json_member_not_string (obj, "registrationId")))
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400101, "The body must carry registrationId (a string)");
      return FALSE;
    }

  if (body_id != NULL && g_ascii_strcasecmp (body_id, registration_id) != 0)
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400102,
                   "The registrationId in the body ('%s') differs from the one the request names ('%s')",
                   body_id, registration_id);
      return FALSE;
    }

  if (!cb_sb_registration_id_is_valid (registration_id))
    {
      g_set_error (error, CB_SB_DPS_ERROR, 400103,
                   "The registrationId '%s' is not valid: up to 128 letters, digits and - . _ :, "
                   "ending with a letter, a digit or '-'", registration_id);
      return FALSE;
    }

  return TRUE;
}

/* Saves the operation and the registration, in the caller's savepoint. */
static gboolean
save_operation (CbSandbox         *self,
                CbSbDpsInstance   *dps,
                CbSbDpsOperation  *op,
                GError           **error)
{
  g_autoptr(GError) local = NULL;

  if (!cb_sb_dps_operation_save (self, dps->name, op, &local) ||
      !cb_sb_dps_registration_save (self, dps->name, op, &local))
    {
      g_set_error (error, CB_SB_DPS_ERROR, 500214, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

CbSbDpsOperation *
cb_sb_dps_register (CbSandbox        *self,
                    CbSbDpsInstance  *dps,
                    CbSbEnrollment   *enrollment,
                    const char       *registration_id,
                    JsonNode         *body,
                    const char       *x509_info,
                    const CbSbFault  *fault,
                    GError          **error)
{
  return cb_sb_dps_register_begin (self, dps, enrollment, registration_id, body, x509_info, fault,
                                   NULL, NULL, error);
}

CbSbDpsOperation *
cb_sb_dps_register_begin (CbSandbox        *self,
                          CbSbDpsInstance  *dps,
                          CbSbEnrollment   *enrollment,
                          const char       *registration_id,
                          JsonNode         *body,
                          const char       *x509_info,
                          const CbSbFault  *fault,
                          CbSbCsrCheck     *checked,
                          CbSbLeafJob     **leaf_out,
                          GError          **error)
{
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(CbSbDpsOperation) op = NULL;
  g_autoptr(CbSbDpsOperation) previous = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *node_id = NULL;
  JsonNode *csr_node;
  gint64 now = cb_sb_now_usec (self);

  if (leaf_out != NULL)
    *leaf_out = NULL;

  if (!cb_sb_dps_check_registration (body, registration_id, TRUE, error))
    return NULL;

  csr_node = json_object_get_member (json_node_get_object (body), "csr");
  if (csr_node != NULL && !JSON_NODE_HOLDS_NULL (csr_node))
    {
      /* Checked ahead (in a worker) when it was checked for this registration id. */
      if (checked != NULL && checked->done &&
          g_strcmp0 (checked->registration_id, registration_id) == 0)
        {
          if (checked->csr == NULL)
            {
              g_propagate_error (error, g_error_copy (checked->error));
              return NULL;
            }
          csr = g_object_ref (checked->csr);
        }
      else if (!(csr = check_csr (csr_node, registration_id, error)))
        return NULL;
    }

  previous = cb_sb_dps_registration_load (self, dps->name, registration_id);

  uuid = g_uuid_string_random ();
  node_id = cb_random_hex (8);
  op = g_new0 (CbSbDpsOperation, 1);
  op->operation_id = g_strdup_printf ("5.%s.%s", node_id, uuid);
  op->registration_id = g_strdup (registration_id);
  op->started = now;
  op->updated = now;
  op->registration_created = previous != NULL ? previous->registration_created : now;
  op->etag = cb_sb_dps_new_etag ();
  op->enrollment_group_id = enrollment->is_group ? g_strdup (enrollment->id) : NULL;
  op->x509 = g_strdup (x509_info);

  /* One transaction for the whole registration: the registry device, the leaf, the hub
   * identity and the operation commit together (one WAL commit, not one per write). With
   * the leaf signed in a worker, the leaf and the operation are the second step's
   * (cb_sb_dps_register_finish); both are in the group commit the answer waits for. */
  cb_sb_begin (self);
  assign (self, dps, enrollment, op, csr, fault,
          previous != NULL && g_strcmp0 (previous->status, "assigned") == 0, leaf_out);

  if (leaf_out != NULL && *leaf_out != NULL)
    {
      cb_sb_commit (self);
      return g_steal_pointer (&op);
    }

  if (!save_operation (self, dps, op, error))
    {
      cb_sb_rollback (self);
      return NULL;
    }
  cb_sb_commit (self);

  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    g_debug ("Registration %s of %s: %s", op->operation_id, registration_id, op->status);
  return g_steal_pointer (&op);
}

CbSbDpsOperation *
cb_sb_dps_register_finish (CbSandbox        *self,
                           CbSbDpsInstance  *dps,
                           CbSbEnrollment   *enrollment,
                           CbSbDpsOperation *op_in,
                           CbSbLeafJob      *leaf_in,
                           GError          **error)
{
  g_autoptr(CbSbDpsOperation) op = op_in;
  g_autoptr(CbSbLeafJob) leaf = leaf_in;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) local = NULL;

  cb_sb_begin (self);
  if (!(chain = cb_sb_leaf_job_finish (self, leaf, &local)))
    operation_fail_from_error (op, local, enrollment->policy);
  else
    {
      g_clear_pointer (&op->chain, g_free);
      op->chain = chain_to_json (chain);
    }

  if (!save_operation (self, dps, op, error))
    {
      cb_sb_rollback (self);
      return NULL;
    }
  cb_sb_commit (self);

  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    g_debug ("Registration %s of %s: %s", op->operation_id, op->registration_id, op->status);
  return g_steal_pointer (&op);
}

JsonNode *
cb_sb_dps_assigning_body (const char *operation_id)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "operationId");
  json_builder_add_string_value (b, operation_id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, "assigning");
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

guint
cb_sb_dps_retry_after (CbSandbox *self)
{
  return (self->lro_delay_ms + 999) / 1000;
}

/* The answer, with the issued chain (JSON array text) left out of it and given in chain_out
 * instead. */
static JsonNode *
operation_answer (CbSandbox        *self,
                  CbSbDpsInstance  *dps,
                  const char       *registration_id,
                  const char       *operation_id,
                  const CbSbFault  *fault,
                  guint            *status_out,
                  char            **chain_out,
                  GError          **error)
{
  g_autoptr(CbSbDpsOperation) op = NULL;
  g_autoptr(JsonBuilder) b = NULL;

  /* The registration that just finished left its operation in memory; the row otherwise. */
  if (operation_id != NULL &&
      !(op = cb_sb_dps_cache_take_operation (self, dps->name, registration_id, operation_id)))
    op = cb_sb_dps_operation_load (self, dps->name, registration_id, operation_id);
  if (op == NULL)
    {
      g_set_error (error, CB_SB_DPS_ERROR, 404201, "The registration %s has no operation %s",
                   registration_id, operation_id != NULL ? operation_id : "(none given)");
      return NULL;
    }

  if (cb_sb_dps_still_assigning (self, op->started))
    {
      JsonNode *body = cb_sb_dps_assigning_body (op->operation_id);

      *status_out = 202;
      cb_sb_dps_cache_put_operation (self, dps->name, g_steal_pointer (&op));
      return body;
    }

  /* A fault rule on the polling path turns an outcome into a failure once it is reported. */
  if (g_strcmp0 (op->status, "assigned") == 0 && cb_sb_fault_rule_wants (fault, "dps", "failed"))
    {
      g_autoptr(GError) local = NULL;

      operation_fail (op, "failed", 500214, "The registration failed (sandbox fault injection)");
      op->updated = cb_sb_now_usec (self);
      if (!cb_sb_dps_operation_save (self, dps->name, op, &local))
        g_warning ("Could not record the injected failure: %s", local->message);
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "operationId");
  json_builder_add_string_value (b, op->operation_id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, op->status);
  json_builder_set_member_name (b, "registrationState");
  cb_sb_dps_add_registration_state (b, op, op->status, FALSE);
  json_builder_end_object (b);

  if (g_strcmp0 (op->status, "assigned") == 0 && op->chain != NULL)
    *chain_out = g_steal_pointer (&op->chain);
  *status_out = 200;
  return json_builder_get_root (b);
}

char *
cb_sb_dps_operation_status (CbSandbox        *self,
                            CbSbDpsInstance  *dps,
                            const char       *registration_id,
                            const char       *operation_id,
                            const CbSbFault  *fault,
                            guint            *status_out,
                            GError          **error)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *chain = NULL;
  g_autofree char *text = NULL;
  gsize len;
  GString *out;

  if (!(answer = operation_answer (self, dps, registration_id, operation_id, fault, status_out,
                                   &chain, error)))
    return NULL;

  text = json_to_string (answer, FALSE);
  len = strlen (text);
  /* The chain is JSON text the registration wrote (chain_to_json): it goes in as it is, not
   * parsed and written again. issuedCertificateChain is registrationState's last member and
   * registrationState the answer's last, so the compact text ends with their two braces. */
  if (chain == NULL || chain[0] != '[' || len < 2 || strcmp (text + len - 2, "}}") != 0)
    return g_steal_pointer (&text);

  out = g_string_sized_new (len + strlen (chain) + 32);
  g_string_append_len (out, text, len - 2);
  g_string_append (out, ",\"issuedCertificateChain\":");
  g_string_append (out, chain);
  g_string_append (out, "}}");
  return g_string_free (out, FALSE);
}
