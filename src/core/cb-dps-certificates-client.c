/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-certificates-client"

/* The DPS instance's signing CA certificates through ARM (cb-dps-certificates-client.h): their
 * URL, and listing, uploading, reading, the proof of possession and deleting them, on the ADR
 * client's ARM engine. Shapes: azure-rest-api-specs specification/deviceprovisioningservices/
 * resource-manager/Microsoft.Devices/DeviceProvisioningServices/CertificateResponse.tsp and its
 * 2026-08-01 examples (DPSCertificateCreateOrUpdate.json, DPSGenerateVerificationCode.json). */

#include "config.h"

#include "cb-adr-client-private.h"
#include "cb-adr-json-private.h"
#include "cb-dps-certificates-client.h"

static char *
dps_certificates_url (CbAdrClient  *self,
                      const char   *name,
                      const char   *action,
                      GError      **error)
{
  CbProfile *profile = cb_adr_client_get_profile (self);
  const char *arm = cb_profile_get_arm_endpoint (profile);
  const char *sub = cb_profile_get_subscription_id (profile);
  const char *rg = cb_profile_get_resource_group (profile);
  const char *dps = cb_profile_get_dps_name (profile);
  const char *segments[] = {
    "subscriptions", sub, "resourceGroups", rg, "providers", "Microsoft.Devices",
    "provisioningServices", dps, "certificates", name, action, NULL
  };

  if (!cb_arm_require_setting (arm, "ARM endpoint", error) ||
      !cb_arm_require_setting (sub, "subscription id", error) ||
      !cb_arm_require_setting (rg, "resource group", error) ||
      !cb_arm_require_setting (dps, "provisioning service name", error))
    return NULL;

  return cb_arm_build_url (arm, segments, CB_DPS_ARM_API_VERSION);
}

void
cb_adr_client_list_dps_certificates_async (CbAdrClient         *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  url = dps_certificates_url (self, NULL, NULL, &error);
  cb_arm_engine_list (cb_adr_client_get_arm_engine (self), self,
                      cb_adr_client_list_dps_certificates_async, url, error,
                      (CbArmParseFunc) cb_hub_certificate_new_from_json, FALSE, cancellable,
                      callback, user_data);
}

GPtrArray *
cb_adr_client_list_dps_certificates_finish (CbAdrClient   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_list_dps_certificates_async, error);
}

/* One request whose answer is the certificate. */
static void
start_certificate (CbAdrClient         *self,
                   const char          *method,
                   const char          *name,
                   const char          *action,
                   const char          *etag,
                   JsonNode            *body,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  const char *headers[] = { "If-Match", etag, NULL };
  GError *error = NULL;
  char *url = dps_certificates_url (self, name, action, &error);

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_dps_certificate_finish, method, url, error, body,
                       etag != NULL ? headers : NULL, CB_ARM_FINAL_NONE, CB_ARM_RESULT_OBJECT,
                       (CbArmParseFunc) cb_hub_certificate_new_from_json, cancellable, callback,
                       user_data);
}

void
cb_adr_client_upload_dps_certificate_async (CbAdrClient         *self,
                                            const char          *name,
                                            const char          *pem,
                                            const char          *etag,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (pem != NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "properties");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "certificate");
  json_builder_add_string_value (b, pem);
  json_builder_end_object (b);
  json_builder_end_object (b);
  body = json_builder_get_root (b);

  start_certificate (self, "PUT", name, NULL, etag, body, cancellable, callback, user_data);
}

void
cb_adr_client_get_dps_certificate_async (CbAdrClient         *self,
                                         const char          *name,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');

  start_certificate (self, "GET", name, NULL, NULL, NULL, cancellable, callback, user_data);
}

void
cb_adr_client_verify_dps_certificate_async (CbAdrClient         *self,
                                            const char          *name,
                                            const char          *etag,
                                            const char          *verification_pem,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (etag != NULL && *etag != '\0');
  g_return_if_fail (verification_pem != NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "certificate");
  json_builder_add_string_value (b, verification_pem);
  json_builder_end_object (b);
  body = json_builder_get_root (b);

  start_certificate (self, "POST", name, "verify", etag, body, cancellable, callback, user_data);
}

CbHubCertificate *
cb_adr_client_dps_certificate_finish (CbAdrClient   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_dps_certificate_finish, error);
}

void
cb_dps_verification_code_free (CbDpsVerificationCode *code)
{
  if (code == NULL)
    return;
  g_free (code->code);
  g_free (code->etag);
  g_free (code);
}

static gpointer
parse_verification_code (JsonNode  *node,
                         GError   **error)
{
  const char *what = "verification code";
  g_autoptr(CbDpsVerificationCode) out = g_new0 (CbDpsVerificationCode, 1);
  JsonObject *obj;
  JsonObject *props = NULL;
  const char *code = NULL;
  const char *etag = NULL;

  if (!(obj = cb_adr_json_require_object (node, what, error)) ||
      !cb_adr_json_get_string (obj, "etag", what, &etag, error) ||
      !cb_adr_json_get_object (obj, "properties", what, &props, error) ||
      !cb_adr_json_require_string (props, "verificationCode", what, &code, error))
    return NULL;

  out->code = g_strdup (code);
  out->etag = g_strdup (etag);
  return g_steal_pointer (&out);
}

void
cb_adr_client_generate_dps_verification_code_async (CbAdrClient         *self,
                                                    const char          *name,
                                                    const char          *etag,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data)
{
  const char *headers[] = { "If-Match", etag, NULL };
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (etag != NULL && *etag != '\0');

  url = dps_certificates_url (self, name, "generateVerificationCode", &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_generate_dps_verification_code_async, "POST", url, error,
                       NULL, headers, CB_ARM_FINAL_NONE, CB_ARM_RESULT_OBJECT,
                       parse_verification_code, cancellable, callback, user_data);
}

CbDpsVerificationCode *
cb_adr_client_generate_dps_verification_code_finish (CbAdrClient   *self,
                                                     GAsyncResult  *result,
                                                     GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_generate_dps_verification_code_async,
                                error);
}

void
cb_adr_client_delete_dps_certificate_async (CbAdrClient         *self,
                                            const char          *name,
                                            const char          *etag,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  const char *headers[] = { "If-Match", etag, NULL };
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (etag != NULL && *etag != '\0');

  url = dps_certificates_url (self, name, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_delete_dps_certificate_async, "DELETE", url, error, NULL,
                       headers, CB_ARM_FINAL_NONE, CB_ARM_RESULT_BOOLEAN, NULL, cancellable,
                       callback, user_data);
}

gboolean
cb_adr_client_delete_dps_certificate_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_delete_dps_certificate_async, error);
}
