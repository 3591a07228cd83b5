/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cb-pki.h"
#include "cb-sas.h"
#include "cb-test-dps-device.h"

/* Registering a device through DPS with a stable-model enrollment, over the sandbox's real
 * DPS service and device APIs: what a bench does, reduced to the requests. */

#define DPS_SERVICE_API "api-version=2026-11-01"
#define DPS_DEVICE_API  "api-version=2025-07-01-preview"

static JsonObject *
object_of (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static char *
enrollment_body (const char *registration_id,
                 const char *namespace_name,
                 const char *ca_name,
                 const char *policy_name)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "registrationId");
  json_builder_add_string_value (b, registration_id);
  json_builder_set_member_name (b, "attestation");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "symmetricKey");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "namespaceName");
  json_builder_add_string_value (b, namespace_name);
  json_builder_set_member_name (b, "certificateAuthorityName");
  json_builder_add_string_value (b, ca_name);
  json_builder_set_member_name (b, "certificatePolicyName");
  json_builder_add_string_value (b, policy_name);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static char *
registration_body (const char *registration_id,
                   GError    **error)
{
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, error);
  g_autoptr(GBytes) der = NULL;
  g_autofree char *csr = NULL;
  gsize len = 0;
  const guchar *data;

  if (key == NULL)
    return NULL;
  der = cb_csr_create (key, registration_id, error);
  if (der == NULL)
    return NULL;
  data = g_bytes_get_data (der, &len);
  csr = g_base64_encode (data, len);
  return g_strdup_printf ("{\"registrationId\": \"%s\", \"csr\": \"%s\"}", registration_id, csr);
}

gboolean
cb_test_dps_register_stable (CbTestSandbox *ts,
                             const char    *dps,
                             const char    *id_scope,
                             const char    *owner_key,
                             const char    *registration_id,
                             const char    *namespace_name,
                             const char    *ca_name,
                             const char    *policy_name,
                             GString       *report)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *host = g_strdup_printf ("%s.azure-devices-provisioning.net", dps);
  gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + 3600;
  g_autofree char *owner = cb_sas_token_new (host, owner_key, "provisioningserviceowner", expiry,
                                             CB_SAS_FLAGS_NONE, &error);
  g_autofree char *enrollment = g_strdup_printf ("/dps-service/%s/enrollments/%s?" DPS_SERVICE_API,
                                                 dps, registration_id);
  g_autofree char *body = enrollment_body (registration_id, namespace_name, ca_name,
                                           policy_name);
  g_autofree char *resource = g_strdup_printf ("%s/registrations/%s", id_scope,
                                               registration_id);
  g_autofree char *device_sas = NULL;
  g_autofree char *register_path = NULL;
  g_autofree char *registration = NULL;
  g_autofree char *operation_id = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) started = NULL;
  JsonObject *attestation;
  const char *device_key;
  guint status;

  g_assert_no_error (error);
  status = cb_test_sandbox_request_json (ts, "PUT", enrollment, owner, body, &answer, NULL);
  if (status != 200 && status != 201)
    {
      g_autofree char *text = answer != NULL ? json_to_string (answer, FALSE) : g_strdup ("");

      g_string_append_printf (report, "DPS enrollment %s: %u %s\n", enrollment, status, text);
      return FALSE;
    }
  attestation = json_object_get_object_member (object_of (answer), "attestation");
  device_key = attestation != NULL && json_object_has_member (attestation, "symmetricKey") ?
               json_object_get_string_member_with_default (
                 json_object_get_object_member (attestation, "symmetricKey"), "primaryKey", NULL) :
               NULL;
  if (device_key == NULL)
    {
      g_string_append_printf (report, "DPS enrollment %s: no attestation.symmetricKey.primaryKey\n",
                              enrollment);
      return FALSE;
    }

  device_sas = cb_sas_token_new (resource, device_key, "registration", expiry, CB_SAS_FLAGS_NONE,
                                 &error);
  g_assert_no_error (error);
  registration = registration_body (registration_id, &error);
  g_assert_no_error (error);
  register_path = g_strdup_printf ("/dps/%s/registrations/%s/register?" DPS_DEVICE_API, id_scope,
                                   registration_id);
  status = cb_test_sandbox_request_json (ts, "PUT", register_path, device_sas, registration,
                                         &started, NULL);
  if (status != 202 || object_of (started) == NULL)
    {
      g_autofree char *text = started != NULL ? json_to_string (started, FALSE) : g_strdup ("");

      g_string_append_printf (report, "DPS register %s: %u %s\n", registration_id, status, text);
      return FALSE;
    }
  operation_id = g_strdup (json_object_get_string_member_with_default (object_of (started),
                                                                       "operationId", ""));

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *poll = g_strdup_printf ("/dps/%s/registrations/%s/operations/%s?"
                                               DPS_DEVICE_API, id_scope, registration_id,
                                               operation_id);
      g_autoptr(JsonNode) state = NULL;
      const char *value;

      status = cb_test_sandbox_request_json (ts, "GET", poll, device_sas, NULL, &state, NULL);
      if (status == 202)
        {
          g_usleep (20 * 1000);
          continue;
        }
      value = object_of (state) != NULL ?
              json_object_get_string_member_with_default (object_of (state), "status", "") : "";
      if (status == 200 && g_str_equal (value, "assigned"))
        return TRUE;

      {
        g_autofree char *text = state != NULL ? json_to_string (state, FALSE) : g_strdup ("");

        g_string_append_printf (report, "DPS registration of %s: %u %s\n", registration_id,
                                status, text);
        return FALSE;
      }
    }

  g_string_append_printf (report, "DPS registration of %s never ended\n", registration_id);
  return FALSE;
}
