/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-dps"

/* The Device Provisioning Service: the device API under /dps/{idScope} (registration with a
 * CSR, operation polling, status lookup) and the service API under /dps-service/{dpsName}
 * (enrollment groups and individual enrollments with credentialPolicyName; at 2026-11-01 with
 * namespaceName, certificateAuthorityName and certificatePolicyName instead, all three or none:
 * the issuing path of the stable ADR model, which DPS may name only when it is linked to that
 * namespace).
 *
 * Azure publishes no CSR-specific DPS error codes (reference §2.6), so the sandbox uses these
 * errorCode values; the first three digits are the HTTP status:
 *
 *   400001  api-version missing or unsupported        (infrastructure)
 *   400004  empty body, 400006 malformed JSON         (infrastructure)
 *   400101  the body is not a DeviceRegistration object or lacks registrationId
 *   400102  registrationId in the body differs from the one in the path
 *   400103  registrationId is not valid (length, characters)
 *   400201  csr is not a base64 string
 *   400202  csr carries PEM armour (-----BEGIN ...)
 *   400203  csr does not decode as a PKCS#10 request
 *   400204  csr key is RSA or another key than EC P-256/P-384
 *   400205  csr subject CN differs from the registrationId
 *   400206  csr signature does not verify
 *   400207  csr sent to the status lookup (POST registrations/{id})
 *   400004  service API, 2026-11-01: the DPS instance is linked to no ADR namespace
 *           ("A Device Registry Namespace is required to be set on this DPS instance"; the
 *           number is Azure's, and the same as the empty body's)
 *   400301  service API: the enrollment (group) body is not valid
 *   403000  service API, 2026-11-01: namespaceName is not the namespace the DPS instance is
 *           linked to (Azure's code for a DPS identity without access to the namespace)
 *   401002  SAS missing, malformed, expired, for another resource or not signed with the
 *           enrollment's (derived) key; unknown ID scope; a TLS client certificate that is not
 *           the X.509 enrollment's, not named for its registration id or not valid now, or
 *           that no X.509 group's verified signing CA issued (cb-sb-dps-x509-groups.c)
 *   404201  no such registration or operation
 *   404301  service API: no such enrollment (group)
 *   412301  service API: If-Match does not match the enrollment's etag
 *
 * registrationState.errorCode of operations that end "failed" (or "disabled"):
 *   400004  2026-11-01 enrollment: the DPS instance is linked to no ADR namespace
 *   403000  2026-11-01 enrollment: the DPS instance is linked to another namespace
 *   400208  a csr was sent but the enrollment has no credentialPolicyName (or, at 2026-11-01,
 *           certificate policy)
 *   400209  2026-11-01 enrollment: certificateAuthorityName names a root, not an intermediate CA
 *   403209  the device is disabled (IoT hub identity or ADR device)
 *   403210  the enrollment (group) is disabled                    (status "disabled")
 *   404211  the credential policy does not exist (missing or deleted)
 *   409212  the policy cannot issue now (e.g. bring-your-own-root pending activation)
 *   409213  the DPS instance has no linked IoT hub
 *   500214  internal failure, or the fault rule asked for it ("dps": "failed")
 */

#include "config.h"

#include <string.h>

#include "cb-sas.h"
#include "cb-sb-dps-ca-store.h"
#include "cb-sb-dps-store.h"
#include "cb-sb-dps-x509.h"
#include "cb-sb-json.h"
#include "cb-sb-modules.h"
#include "cb-sb-preconditions.h"
#include "cb-sb-request.h"
#include "cb-sb-routes-dps.h"
#include "cb-sb-routes-dps-certificates.h"
#include "cb-sb-validate.h"
#include "cb-util.h"

/* This file: the service API and the module's init; the device API is in
 * cb-sb-routes-dps-device.c. */

#define DPS_SERVICE_VERSION_GA "2021-10-01"
#define MAX_PAGE_SIZE          1000

/* SAS signed with the provisioningserviceowner key for the DPS host, or a bearer token for
 * the DPS audience. Returns the instance, or NULL after replying. */
static CbSbDpsInstance *
begin_service_request (CbSbRequest *req)
{
  const char *name = cb_sb_param (req, "dpsName");
  const char *auth = cb_sb_header (req, "Authorization");
  g_autoptr(CbSbDpsInstance) dps = cb_sb_dps_instance_load (req->sandbox, "name", name);

  if (dps == NULL)
    {
      cb_sb_reply_error (req, 404, "NotFound", 404301,
                         "The provisioning service '%s' does not exist in this sandbox", name);
      return NULL;
    }

  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    {
      if (!cb_sb_require_service_bearer (req, CB_SB_AUD_DPS, "dps_instances", dps->name))
        return NULL;
    }
  else
    {
      g_autoptr(CbSasToken) token = NULL;
      g_autoptr(GError) error = NULL;

      if (auth == NULL)
        {
          cb_sb_dps_reply_unauthorized (req, "the Authorization header is missing");
          return NULL;
        }
      if (!(token = cb_sas_token_parse (auth, &error)))
        {
          cb_sb_dps_reply_unauthorized (req, error->message);
          return NULL;
        }
      if (g_strcmp0 (token->key_name, "provisioningserviceowner") != 0)
        {
          cb_sb_dps_reply_unauthorized (req, "the service has no shared access policy by that "
                                             "name (use skn=provisioningserviceowner)");
          return NULL;
        }
      if (!cb_sas_token_verify (token, dps->host_name, dps->owner_key,
                                cb_sb_session_now (req->sandbox), &error))
        {
          cb_sb_dps_reply_unauthorized (req, error->message);
          return NULL;
        }
      g_free (req->auth_key_name);
      req->auth_key_name = g_strdup (token->key_name);
    }

  if (!cb_sb_require_api_version (req, CB_SB_DPS_API_VERSION, DPS_SERVICE_VERSION_GA,
                                  CB_SB_DPS_API_VERSION_STABLE, NULL))
    return NULL;

  return g_steal_pointer (&dps);
}

static gboolean
route_is_group (CbSbRequest *req)
{
  /* Route literals match in any case, as Azure's do. */
  g_autofree char *lower = g_ascii_strdown (req->path, -1);

  return strstr (lower, "/enrollmentgroups/") != NULL;
}

static const char * const known_enrollment_members[] = {
  "enrollmentGroupId", "registrationId", "deviceId", "attestation", "credentialPolicyName",
  "provisioningStatus", "etag", "createdDateTimeUtc", "lastUpdatedDateTimeUtc",
  "registrationState", NULL,
};

static JsonNode *
enrollment_to_json (CbSandbox   *self,
                    CbSbDpsInstance *dps,
                    CbSbEnrollment  *e)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *created = cb_time_format_precise (e->created);
  g_autofree char *updated = cb_time_format_precise (e->updated);
  g_autoptr(GList) members = json_object_get_members (e->extra);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, e->is_group ? "enrollmentGroupId" : "registrationId");
  json_builder_add_string_value (b, e->id);
  if (!e->is_group && e->device_id != NULL)
    {
      json_builder_set_member_name (b, "deviceId");
      json_builder_add_string_value (b, e->device_id);
    }

  if (cb_sb_dps_x509_is_x509 (e))
    cb_sb_dps_x509_add_attestation (b, e);
  else
    {
      json_builder_set_member_name (b, "attestation");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "symmetricKey");
      json_builder_set_member_name (b, "symmetricKey");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "primaryKey");
      json_builder_add_string_value (b, e->primary_key);
      json_builder_set_member_name (b, "secondaryKey");
      json_builder_add_string_value (b, e->secondary_key);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }

  if (!json_object_has_member (e->extra, "capabilities"))
    {
      json_builder_set_member_name (b, "capabilities");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "iotEdge");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "etag");
  json_builder_add_string_value (b, e->etag);
  json_builder_set_member_name (b, "provisioningStatus");
  json_builder_add_string_value (b, e->provisioning_status);
  if (!json_object_has_member (e->extra, "reprovisionPolicy"))
    {
      json_builder_set_member_name (b, "reprovisionPolicy");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "updateHubAssignment");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "migrateDeviceData");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "createdDateTimeUtc");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "lastUpdatedDateTimeUtc");
  json_builder_add_string_value (b, updated);
  if (!json_object_has_member (e->extra, "allocationPolicy"))
    {
      json_builder_set_member_name (b, "allocationPolicy");
      json_builder_add_string_value (b, "hashed");
    }
  if (!json_object_has_member (e->extra, "iotHubs"))
    {
      g_autofree char *host = dps->linked_hub != NULL
                              ? cb_sb_dps_hub_host_name (self, dps->linked_hub) : NULL;

      json_builder_set_member_name (b, "iotHubs");
      json_builder_begin_array (b);
      if (host != NULL)
        json_builder_add_string_value (b, host);
      json_builder_end_array (b);
    }
  if (e->policy != NULL)
    {
      json_builder_set_member_name (b, "credentialPolicyName");
      json_builder_add_string_value (b, e->policy);
    }

  for (GList *l = members; l != NULL; l = l->next)
    {
      /* An X.509 attestation is kept here, and shown above. */
      if (g_str_equal (l->data, "attestation"))
        continue;
      json_builder_set_member_name (b, l->data);
      json_builder_add_value (b, json_node_copy (json_object_get_member (e->extra, l->data)));
    }

  if (!e->is_group)
    {
      g_autoptr(CbSbDpsOperation) reg = cb_sb_dps_registration_load (self, dps->name, e->id);

      if (reg != NULL)
        {
          json_builder_set_member_name (b, "registrationState");
          cb_sb_dps_add_registration_state (b, reg, reg->status, FALSE);
        }
    }

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
reply_enrollment (CbSbRequest *req,
                  CbSbDpsInstance *dps,
                  CbSbEnrollment  *e,
                  guint        status)
{
  cb_sb_set_etag (req, e->etag);
  cb_sb_reply_json (req, status, enrollment_to_json (req->sandbox, dps, e));
}

static void
reply_enrollment_not_found (CbSbRequest *req,
                            gboolean     is_group,
                            const char  *id)
{
  cb_sb_reply_error (req, 404, "NotFound", 404301, "The %s '%s' does not exist",
                     is_group ? "enrollment group" : "enrollment", id);
}

/* The stable model's issuing path of an enrollment at 2026-11-01: namespaceName,
 * certificateAuthorityName and certificatePolicyName together, and DPS linked to that
 * namespace. Earlier api-versions know none of them. Replies and returns FALSE when wrong. */
static gboolean
check_issuing_path (CbSbRequest     *req,
                    CbSbDpsInstance *dps,
                    JsonObject      *body)
{
  static const char * const names[] = {
    "namespaceName", "certificateAuthorityName", "certificatePolicyName",
  };
  gboolean stable = g_strcmp0 (cb_sb_query (req, "api-version"), CB_SB_DPS_API_VERSION_STABLE) == 0;
  g_autoptr(GString) missing = g_string_new (NULL);
  const char *linked_name;
  guint given = 0;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = cb_sb_json_member_string (body, names[i]);

      if (!json_object_has_member (body, names[i]) ||
          JSON_NODE_HOLDS_NULL (json_object_get_member (body, names[i])))
        {
          g_string_append_printf (missing, "%s%s", missing->len > 0 ? ", " : "", names[i]);
          continue;
        }
      if (!stable)
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400301,
                             "%s is not known at api-version %s: the certificate authority and "
                             "policy of an enrollment are named from api-version %s on",
                             names[i], cb_sb_query (req, "api-version"),
                             CB_SB_DPS_API_VERSION_STABLE);
          return FALSE;
        }
      if (value == NULL || *value == '\0')
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400301, "%s must be a name", names[i]);
          return FALSE;
        }
      given++;
    }

  if (!stable || given == 0)
    return TRUE;

  if (json_object_has_member (body, "credentialPolicyName"))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "credentialPolicyName belongs to the preview model; an enrollment names "
                         "namespaceName, certificateAuthorityName and certificatePolicyName "
                         "instead");
      return FALSE;
    }

  if (given < G_N_ELEMENTS (names))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "namespaceName, certificateAuthorityName and certificatePolicyName come "
                         "together; missing: %s", missing->str);
      return FALSE;
    }

  if (dps->namespace_id == NULL)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400004,
                         "A Device Registry Namespace is required to be set on this DPS "
                         "instance: link it to the namespace (its provisioning endpoints) first");
      return FALSE;
    }

  linked_name = strrchr (dps->namespace_id, '/') != NULL ? strrchr (dps->namespace_id, '/') + 1
                                                         : dps->namespace_id;
  if (g_ascii_strcasecmp (linked_name, cb_sb_json_member_string (body, "namespaceName")) != 0)
    {
      cb_sb_reply_error (req, 403, "Forbidden", 403000,
                         "The DPS instance '%s' may not use the namespace '%s': it is linked to "
                         "the namespace '%s'", dps->name,
                         cb_sb_json_member_string (body, "namespaceName"), linked_name);
      return FALSE;
    }

  return TRUE;
}

/* A group's caReferences must name certificates of the DPS instance (verified or not: the
 * registration refuses an unverified one). Replies and returns FALSE when one is missing. */
static gboolean
check_ca_references (CbSbRequest     *req,
                     CbSbDpsInstance *dps,
                     JsonObject      *attestation)
{
  CbSbEnrollment probe = { .is_group = TRUE, .extra = json_object_new () };
  g_autoptr(GPtrArray) names = NULL;
  gboolean ok = TRUE;

  json_object_set_object_member (probe.extra, "attestation", json_object_ref (attestation));
  names = cb_sb_dps_x509_group_ca_references (&probe);
  for (guint i = 0; ok && i < names->len; i++)
    {
      g_autoptr(CbSbDpsCaCert) cert = cb_sb_dps_ca_cert_load (req->sandbox, dps->name,
                                                              g_ptr_array_index (names, i));

      if (cert == NULL)
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400301,
                             "x509.caReferences names the certificate '%s', which the "
                             "provisioning service '%s' does not have: upload it first",
                             (const char *) g_ptr_array_index (names, i), dps->name);
          ok = FALSE;
        }
    }
  g_clear_pointer (&names, g_ptr_array_unref);
  json_object_unref (probe.extra);
  return ok;
}

static void
handle_put_enrollment (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  gboolean is_group = route_is_group (req);
  const char *id = cb_sb_param (req, "id");
  const char *id_member = is_group ? "enrollmentGroupId" : "registrationId";
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(JsonNode) body_node = NULL;
  g_autoptr(CbSbEnrollment) existing = NULL;
  g_autoptr(CbSbEnrollment) e = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *match = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *body;
  JsonObject *attestation;
  JsonObject *sym;
  g_autoptr(JsonObject) x509 = NULL;
  const char *body_id;
  const char *type;
  const char *primary;
  const char *secondary;
  const char *policy;
  const char *status;
  gint64 now = cb_sb_now_usec (self);

  if (!(dps = begin_service_request (req)))
    return;

  if (!(body_node = cb_sb_json_body (req, FALSE)))
    return;
  if (!JSON_NODE_HOLDS_OBJECT (body_node))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301, "The body must be an %s object",
                         is_group ? "EnrollmentGroup" : "IndividualEnrollment");
      return;
    }
  body = json_node_get_object (body_node);

  if (!cb_sb_registration_id_is_valid (id))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "The %s '%s' is not valid: up to 128 letters, digits and - . _ :",
                         id_member, id);
      return;
    }

  body_id = cb_sb_json_member_string (body, id_member);
  if ((body_id == NULL && cb_sb_json_member_not_string (body, id_member)) ||
      (body_id != NULL && g_ascii_strcasecmp (body_id, id) != 0))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "The %s in the body differs from the one in the path ('%s')", id_member, id);
      return;
    }

  attestation = cb_sb_json_member_object (body, "attestation");
  if (attestation == NULL && json_object_has_member (body, "attestation") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (body, "attestation")))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301, "attestation must be an object");
      return;
    }
  type = cb_sb_json_member_string (attestation, "type");
  if (attestation != NULL && g_strcmp0 (type, "x509") == 0)
    {
      g_autofree char *problem = NULL;

      x509 = is_group ? cb_sb_dps_x509_group_attestation_parse (attestation, &problem)
                      : cb_sb_dps_x509_attestation_parse (attestation, &problem);
      if (x509 == NULL)
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400301, "%s", problem);
          return;
        }
      if (is_group && !check_ca_references (req, dps, x509))
        return;
    }
  else if (attestation != NULL && g_strcmp0 (type, "symmetricKey") != 0)
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "The attestation type '%s' is not supported by the sandbox: use "
                         "symmetricKey or x509", type != NULL ? type : "(none)");
      return;
    }
  sym = cb_sb_json_member_object (attestation, "symmetricKey");
  primary = cb_sb_json_member_string (sym, "primaryKey");
  secondary = cb_sb_json_member_string (sym, "secondaryKey");
  if ((primary != NULL && !cb_sb_key_is_valid (primary)) ||
      (secondary != NULL && !cb_sb_key_is_valid (secondary)) ||
      cb_sb_json_member_not_string (sym, "primaryKey") ||
      cb_sb_json_member_not_string (sym, "secondaryKey"))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "The symmetric keys must be base64 encoded, 16 to 64 bytes long");
      return;
    }

  if (!check_issuing_path (req, dps, body))
    return;

  policy = cb_sb_json_member_string (body, "credentialPolicyName");
  if ((policy == NULL && cb_sb_json_member_not_string (body, "credentialPolicyName")) ||
      (policy != NULL && *policy == '\0'))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "credentialPolicyName must be the name of a policy in the linked namespace");
      return;
    }

  status = cb_sb_json_member_string (body, "provisioningStatus");
  if (cb_sb_json_member_not_string (body, "provisioningStatus") ||
      (status != NULL && g_strcmp0 (status, "enabled") != 0 && g_strcmp0 (status, "disabled") != 0))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301,
                         "provisioningStatus must be 'enabled' or 'disabled'");
      return;
    }

  if (!is_group && cb_sb_json_member_not_string (body, "deviceId"))
    {
      cb_sb_reply_error (req, 400, "BadRequest", 400301, "deviceId must be a string");
      return;
    }

  existing = cb_sb_enrollment_load (self, dps->name, is_group, id);
  match = cb_sb_if_match (req, FALSE);
  if (match != NULL && !g_str_equal (match, "*") &&
      (existing == NULL || !g_str_equal (match, existing->etag)))
    {
      cb_sb_reply_error (req, 412, "PreconditionFailed", 412301,
                         existing != NULL
                           ? "Precondition failed: the %s's etag is not \"%s\""
                           : "Precondition failed: there is no %s to match \"%s\"",
                         is_group ? "enrollment group" : "enrollment", match);
      return;
    }

  e = g_new0 (CbSbEnrollment, 1);
  e->is_group = is_group;
  e->id = g_strdup (existing != NULL ? existing->id : id);
  e->device_id = g_strdup (is_group ? NULL : cb_sb_json_member_string (body, "deviceId"));
  /* Keys that are not sent are kept, or generated for a new enrollment. */
  e->primary_key = primary != NULL ? g_strdup (primary)
                 : existing != NULL ? g_strdup (existing->primary_key) : cb_random_base64 (64);
  e->secondary_key = secondary != NULL ? g_strdup (secondary)
                   : existing != NULL ? g_strdup (existing->secondary_key) : cb_random_base64 (64);
  e->policy = g_strdup (policy);
  e->provisioning_status = g_strdup (status != NULL ? status : "enabled");
  e->etag = cb_sb_dps_new_etag ();
  e->created = existing != NULL ? existing->created : now;
  e->updated = now;
  e->extra = json_object_new ();

  members = json_object_get_members (body);
  for (GList *l = members; l != NULL; l = l->next)
    {
      if (g_strv_contains (known_enrollment_members, l->data))
        continue;
      json_object_set_member (e->extra, l->data, json_node_copy (json_object_get_member (body, l->data)));
    }
  /* An X.509 enrollment keeps its attestation (its certificates as base64 DER); one updated
   * without an attestation keeps the one it had. */
  if (x509 != NULL)
    json_object_set_object_member (e->extra, "attestation", g_steal_pointer (&x509));
  else if (attestation == NULL && existing != NULL && cb_sb_dps_x509_is_x509 (existing))
    json_object_set_member (e->extra, "attestation",
                            json_node_copy (json_object_get_member (existing->extra, "attestation")));

  if (!cb_sb_enrollment_save (self, dps->name, e, &error))
    {
      cb_sb_reply_error (req, 500, "InternalServerError", 500214, "%s", error->message);
      return;
    }

  reply_enrollment (req, dps, e, 200);
}

static void
handle_get_enrollment (CbSbRequest *req)
{
  gboolean is_group = route_is_group (req);
  const char *id = cb_sb_param (req, "id");
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbEnrollment) e = NULL;

  if (!(dps = begin_service_request (req)))
    return;

  if (!(e = cb_sb_enrollment_load (req->sandbox, dps->name, is_group, id)))
    {
      reply_enrollment_not_found (req, is_group, id);
      return;
    }

  reply_enrollment (req, dps, e, 200);
}

static void
handle_delete_enrollment (CbSbRequest *req)
{
  gboolean is_group = route_is_group (req);
  const char *id = cb_sb_param (req, "id");
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbEnrollment) e = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *match = NULL;

  if (!(dps = begin_service_request (req)))
    return;

  if (!(e = cb_sb_enrollment_load (req->sandbox, dps->name, is_group, id)))
    {
      reply_enrollment_not_found (req, is_group, id);
      return;
    }

  match = cb_sb_if_match (req, FALSE);
  if (match != NULL && !g_str_equal (match, "*") && !g_str_equal (match, e->etag))
    {
      cb_sb_reply_error (req, 412, "PreconditionFailed", 412301,
                         "Precondition failed: the %s's etag is not \"%s\"",
                         is_group ? "enrollment group" : "enrollment", match);
      return;
    }

  if (!cb_sb_enrollment_delete (req->sandbox, dps->name, is_group, e->id, &error))
    {
      cb_sb_reply_error (req, 500, "InternalServerError", 500214, "%s", error->message);
      return;
    }

  cb_sb_reply_empty (req, 204);
}

/* POST .../query: every enrollment (group), paged with x-ms-max-item-count and an offset in
 * x-ms-continuation. The query text itself is not interpreted ("*" is what clients send). */
static void
handle_query_enrollments (CbSbRequest *req)
{
  gboolean is_group = route_is_group (req);
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  const char *max_text = cb_sb_header (req, "x-ms-max-item-count");
  const char *continuation = cb_sb_header (req, "x-ms-continuation");
  gint64 page_size = MIN (req->sandbox->page_size, MAX_PAGE_SIZE);
  gint64 offset = 0;

  if (!(dps = begin_service_request (req)))
    return;

  body = cb_sb_json_body (req, TRUE);
  if (req->replied)
    return;

  if (max_text != NULL)
    {
      char *end = NULL;

      page_size = g_ascii_strtoll (max_text, &end, 10);
      if (end == max_text || *end != '\0' || page_size < 1)
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400301,
                             "x-ms-max-item-count must be a whole number from 1 to %d", MAX_PAGE_SIZE);
          return;
        }
      page_size = MIN (page_size, MAX_PAGE_SIZE);
    }

  if (continuation != NULL && *continuation != '\0')
    {
      char *end = NULL;

      offset = g_ascii_strtoll (continuation, &end, 10);
      if (end == continuation || *end != '\0' || offset < 0)
        {
          cb_sb_reply_error (req, 400, "BadRequest", 400301, "The continuation token is not valid");
          return;
        }
    }

  list = cb_sb_enrollment_list (req->sandbox, dps->name, is_group);
  json_builder_begin_array (b);
  for (gint64 i = offset; i < (gint64) list->len && i < offset + page_size; i++)
    json_builder_add_value (b, enrollment_to_json (req->sandbox, dps, g_ptr_array_index (list, i)));
  json_builder_end_array (b);

  if (offset + page_size < (gint64) list->len)
    {
      g_autofree char *next = g_strdup_printf ("%" G_GINT64_FORMAT, offset + page_size);

      cb_sb_set_header (req, "x-ms-continuation", next);
    }
  cb_sb_set_header (req, "x-ms-item-type", is_group ? "enrollmentGroup" : "enrollment");

  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
handle_get_registration_state (CbSbRequest *req)
{
  const char *id = cb_sb_param (req, "id");
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbDpsOperation) reg = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!(dps = begin_service_request (req)))
    return;

  if (!(reg = cb_sb_dps_registration_load (req->sandbox, dps->name, id)))
    {
      cb_sb_reply_error (req, 404, "NotFound", 404201, "The device %s has not registered", id);
      return;
    }

  cb_sb_dps_add_registration_state (b, reg, reg->status, FALSE);
  cb_sb_reply_json (req, 200, json_builder_get_root (b));
}

static void
handle_delete_registration_state (CbSbRequest *req)
{
  const char *id = cb_sb_param (req, "id");
  g_autoptr(CbSbDpsInstance) dps = NULL;
  g_autoptr(CbSbDpsOperation) reg = NULL;
  g_autoptr(GError) error = NULL;

  if (!(dps = begin_service_request (req)))
    return;

  if (!(reg = cb_sb_dps_registration_load (req->sandbox, dps->name, id)))
    {
      cb_sb_reply_error (req, 404, "NotFound", 404201, "The device %s has not registered", id);
      return;
    }

  if (!cb_sb_dps_registration_delete (req->sandbox, dps->name, id, &error))
    {
      cb_sb_reply_error (req, 500, "InternalServerError", 500214, "%s", error->message);
      return;
    }

  cb_sb_reply_empty (req, 204);
}

/* ---- Registration ---------------------------------------------------------------------- */

gboolean
cb_sb_dps_init (CbSandbox  *self,
                GError    **error)
{
  if (!cb_sb_dps_store_init (self, error) ||
      !cb_sb_routes_dps_certificates_init (self, error))
    return FALSE;

  cb_sb_routes_dps_device_add (self);

  /* Service API ({dps}.azure-devices-provisioning.net) */
  cb_sb_add_route (self, "POST", "/dps-service/{dpsName}/enrollmentGroups/query",
                   CB_SB_STYLE_DPS, handle_query_enrollments);
  cb_sb_add_route (self, "PUT", "/dps-service/{dpsName}/enrollmentGroups/{id}",
                   CB_SB_STYLE_DPS, handle_put_enrollment);
  cb_sb_add_route (self, "GET", "/dps-service/{dpsName}/enrollmentGroups/{id}",
                   CB_SB_STYLE_DPS, handle_get_enrollment);
  cb_sb_add_route (self, "DELETE", "/dps-service/{dpsName}/enrollmentGroups/{id}",
                   CB_SB_STYLE_DPS, handle_delete_enrollment);
  cb_sb_add_route (self, "POST", "/dps-service/{dpsName}/enrollments/query",
                   CB_SB_STYLE_DPS, handle_query_enrollments);
  cb_sb_add_route (self, "PUT", "/dps-service/{dpsName}/enrollments/{id}",
                   CB_SB_STYLE_DPS, handle_put_enrollment);
  cb_sb_add_route (self, "GET", "/dps-service/{dpsName}/enrollments/{id}",
                   CB_SB_STYLE_DPS, handle_get_enrollment);
  cb_sb_add_route (self, "DELETE", "/dps-service/{dpsName}/enrollments/{id}",
                   CB_SB_STYLE_DPS, handle_delete_enrollment);
  cb_sb_add_route (self, "GET", "/dps-service/{dpsName}/registrations/{id}",
                   CB_SB_STYLE_DPS, handle_get_registration_state);
  cb_sb_add_route (self, "DELETE", "/dps-service/{dpsName}/registrations/{id}",
                   CB_SB_STYLE_DPS, handle_delete_registration_state);

  return TRUE;
}
