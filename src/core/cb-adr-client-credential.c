/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-adr-client"

/* CbAdrClient, continued: the credential model of ADR certificate management
 * (2026-03-01-preview), the one namespaces made during the preview use. The namespace's one
 * credential (credentials/default) and its synchronize, the policies under it (each with its
 * issuing CA inside: revokeIssuer, activateBringYourOwnRoot) and the namespace's devices (revoke).
 * The public operations both models share (cb-adr-client-model.c) call these for a namespace in
 * this model. */

#include "config.h"

#include "cb-adr-client-private.h"
#include "cb-adr-json-private.h"
#include "cb-json-body.h"
#include "cb-error.h"
#include "cb-util.h"

static char *
namespace_url (CbAdrClient         *self,
               const char          *ns,
               const char * const  *extra,
               GError             **error)
{
  return _cb_adr_client_namespace_url (self, ns, extra, CB_ADR_API_VERSION_CREDENTIAL, error);
}

static char *
credential_url (CbAdrClient         *self,
                const char * const  *extra,
                GError             **error)
{
  g_autoptr(GPtrArray) segments = g_ptr_array_new ();

  g_ptr_array_add (segments, (gpointer) "credentials");
  g_ptr_array_add (segments, (gpointer) "default");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (segments, (gpointer) extra[i]);
  g_ptr_array_add (segments, NULL);

  return namespace_url (self, NULL, (const char * const *) segments->pdata, error);
}

static char *
policy_url (CbAdrClient  *self,
            const char   *policy,
            const char   *action,
            GError      **error)
{
  const char *segments[] = { "policies", policy, action, NULL };

  return credential_url (self, segments, error);
}

static char *
device_url (CbAdrClient  *self,
            const char   *device,
            const char   *action,
            GError      **error)
{
  const char *segments[] = { "devices", device, action, NULL };

  return namespace_url (self, NULL, segments, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Credential                                                                                   */

void
cb_adr_client_get_credential_async (CbAdrClient         *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  url = credential_url (self, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, cb_adr_client_get_credential_async, "GET", url, error, NULL, NULL,
            CB_ARM_FINAL_NONE, CB_ARM_RESULT_STATE, NULL, cancellable, callback, user_data);
}

/**
 * cb_adr_client_get_credential_finish:
 *
 * Returns: (transfer full): the credential's provisioningState
 */
char *
cb_adr_client_get_credential_finish (CbAdrClient   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_get_credential_async, error);
}

static void
create_credential_put (CbAdrClient  *self,
                       GTask        *task,
                       const char   *location);

static void
create_credential_put_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;

  response = cb_arm_engine_request_finish (object, result, &error);
  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
create_credential_namespace_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  CbAdrClient *self = (CbAdrClient *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbNamespace) ns = NULL;
  GError *error = NULL;

  ns = _cb_adr_client_read_namespace_finish (self, result, &error);
  if (ns == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (cb_namespace_get_location (ns) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Neither the profile nor the namespace has a location");
      return;
    }

  create_credential_put (self, g_steal_pointer (&task), cb_namespace_get_location (ns));
}

/* Takes over task. */
static void
create_credential_put (CbAdrClient *self,
                       GTask       *task,
                       const char  *location)
{
  g_autoptr(JsonNode) body = cb_json_body_new ();
  const char *url = g_task_get_task_data (task);

  cb_json_body_set_string (body, "location", location);
  cb_json_body_set_object (body, "properties");

  cb_arm_engine_request_async (cb_adr_client_get_arm_engine (self), self, "PUT", url, body, NULL, CB_ARM_FINAL_ORIGINAL, FALSE,
              g_task_get_cancellable (task), create_credential_put_cb, task);
}

void
cb_adr_client_create_credential_async (CbAdrClient         *self,
                                       const char          *location,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *task;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_adr_client_create_credential_async);

  if (!(url = credential_url (self, NULL, &error)))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, url, g_free);

  if (location == NULL || *location == '\0')
    location = cb_profile_get_location (cb_adr_client_get_profile (self));

  if (location != NULL && *location != '\0')
    {
      create_credential_put (self, task, location);
      return;
    }

  /* The credential must live where its namespace lives; ask the namespace. */
  _cb_adr_client_read_namespace_async (self, NULL, CB_ADR_API_VERSION_CREDENTIAL, cancellable,
                                       create_credential_namespace_cb, task);
}

gboolean
cb_adr_client_create_credential_finish (CbAdrClient   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_create_credential_async, error);
}

void
cb_adr_client_delete_credential_async (CbAdrClient         *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  url = credential_url (self, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, cb_adr_client_delete_credential_async, "DELETE", url, error, NULL, NULL,
            CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_credential_finish (CbAdrClient   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_delete_credential_async, error);
}

void
_cb_adr_client_credential_synchronize_async (CbAdrClient         *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  const char *segments[] = { "synchronize", NULL };
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  url = credential_url (self, segments, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_synchronize_async, "POST", url, error, NULL, NULL,
            CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
_cb_adr_client_credential_synchronize_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return cb_arm_finish_boolean (self, result, _cb_adr_client_credential_synchronize_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Policies                                                                                     */

void
_cb_adr_client_credential_list_policies_async (CbAdrClient         *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  const char *segments[] = { "policies", NULL };
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  url = credential_url (self, segments, &error);
  cb_arm_engine_list (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_list_policies_async, url, error,
              (CbAdrParseFunc) cb_policy_new_from_json, FALSE, cancellable, callback, user_data);
}

/**
 * _cb_adr_client_credential_list_policies_finish:
 *
 * Returns: (transfer full) (element-type CbPolicy): the credential's policies
 */
GPtrArray *
_cb_adr_client_credential_list_policies_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_pointer (self, result, _cb_adr_client_credential_list_policies_async, error);
}

void
_cb_adr_client_credential_get_policy_async (CbAdrClient         *self,
                                const char          *policy,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_get_policy_async, "GET", url, error, NULL, NULL,
            CB_ARM_FINAL_NONE, CB_ARM_RESULT_OBJECT, (CbAdrParseFunc) cb_policy_new_from_json,
            cancellable, callback, user_data);
}

/**
 * _cb_adr_client_credential_get_policy_finish:
 *
 * Returns: (transfer full): the policy
 */
CbPolicy *
_cb_adr_client_credential_get_policy_finish (CbAdrClient   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return cb_arm_finish_pointer (self, result, _cb_adr_client_credential_get_policy_async, error);
}

void
cb_adr_client_create_policy_async (CbAdrClient         *self,
                                   const char          *policy,
                                   guint                validity_days,
                                   gboolean             bring_your_own_root,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonNode) body = cb_json_body_new ();
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, NULL, &error);

  /* Range checks (7..90 days) are the service's: it answers with its own code and message. */
  cb_json_body_set_string (body, "properties/certificate/certificateAuthorityConfiguration/keyType",
                           "ECC");
  cb_json_body_set_boolean (body, "properties/certificate/certificateAuthorityConfiguration/"
                                  "bringYourOwnRoot/enabled", bring_your_own_root);
  cb_json_body_set_int (body, "properties/certificate/leafCertificateConfiguration/"
                              "validityPeriodInDays", validity_days);

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, cb_adr_client_create_policy_async, "PUT", url, error, body, NULL,
            CB_ARM_FINAL_ORIGINAL, CB_ARM_RESULT_OBJECT, (CbAdrParseFunc) cb_policy_new_from_json,
            cancellable, callback, user_data);
}

/**
 * cb_adr_client_create_policy_finish:
 *
 * Returns: (transfer full): the policy once provisioned
 */
CbPolicy *
cb_adr_client_create_policy_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_create_policy_async, error);
}

void
_cb_adr_client_credential_update_policy_validity_async (CbAdrClient         *self,
                                            const char          *policy,
                                            guint                validity_days,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, NULL, &error);
  body = cb_json_body_new_int ("properties/certificate/leafCertificateConfiguration/"
                               "validityPeriodInDays", validity_days);

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_update_policy_validity_async, "PATCH", url, error, body, NULL,
            CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_OBJECT, (CbAdrParseFunc) cb_policy_new_from_json,
            cancellable, callback, user_data);
}

/**
 * _cb_adr_client_credential_update_policy_validity_finish:
 *
 * Returns: (transfer full): the updated policy
 */
CbPolicy *
_cb_adr_client_credential_update_policy_validity_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return cb_arm_finish_pointer (self, result, _cb_adr_client_credential_update_policy_validity_async, error);
}

void
_cb_adr_client_credential_delete_policy_async (CbAdrClient         *self,
                                   const char          *policy,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_delete_policy_async, "DELETE", url, error, NULL, NULL,
            CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
_cb_adr_client_credential_delete_policy_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_boolean (self, result, _cb_adr_client_credential_delete_policy_async, error);
}

void
_cb_adr_client_credential_revoke_issuer_async (CbAdrClient         *self,
                                   const char          *policy,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, "revokeIssuer", &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_revoke_issuer_async, "POST", url, error, NULL, NULL,
            CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
_cb_adr_client_credential_revoke_issuer_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_boolean (self, result, _cb_adr_client_credential_revoke_issuer_async, error);
}

void
_cb_adr_client_credential_activate_byor_async (CbAdrClient         *self,
                                   const char          *policy,
                                   const char          *certificate_chain,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');
  g_return_if_fail (certificate_chain != NULL);

  url = policy_url (self, policy, "activateBringYourOwnRoot", &error);
  body = cb_json_body_new_string ("certificateChain", certificate_chain);

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_activate_byor_async, "POST", url, error, body, NULL,
            CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
_cb_adr_client_credential_activate_byor_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_boolean (self, result, _cb_adr_client_credential_activate_byor_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Devices                                                                                      */

void
_cb_adr_client_credential_list_devices_page_async (CbAdrClient         *self,
                                       const char          *next_link,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  const char *segments[] = { "devices", NULL };
  GError *error = NULL;
  char *url = NULL;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  if (next_link == NULL)
    url = namespace_url (self, NULL, segments, &error);
  else if (cb_arm_engine_url_is_trusted (cb_adr_client_get_arm_engine (self), next_link))
    url = g_strdup (next_link);
  else
    error = cb_arm_untrusted_url_error ("next page link");

  cb_arm_engine_list (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_list_devices_page_async, url, error,
              (CbAdrParseFunc) cb_adr_device_new_from_json, TRUE,
              cancellable, callback, user_data);
}

CbArmPage *
_cb_adr_client_credential_list_devices_page_finish (CbAdrClient   *self,
                                                    GAsyncResult  *result,
                                                    GError       **error)
{
  return cb_arm_finish_pointer (self, result, _cb_adr_client_credential_list_devices_page_async,
                                error);
}

void
_cb_adr_client_credential_get_device_async (CbAdrClient         *self,
                                const char          *device,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  url = device_url (self, device, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_get_device_async, "GET", url, error, NULL, NULL,
            CB_ARM_FINAL_NONE, CB_ARM_RESULT_OBJECT, (CbAdrParseFunc) cb_adr_device_new_from_json,
            cancellable, callback, user_data);
}

/**
 * _cb_adr_client_credential_get_device_finish:
 *
 * Returns: (transfer full): the device
 */
CbAdrDevice *
_cb_adr_client_credential_get_device_finish (CbAdrClient   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return cb_arm_finish_pointer (self, result, _cb_adr_client_credential_get_device_async, error);
}

void
_cb_adr_client_credential_update_device_enabled_async (CbAdrClient         *self,
                                           const char          *device,
                                           gboolean             enabled,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  url = device_url (self, device, NULL, &error);
  body = cb_json_body_new_boolean ("properties/enabled", enabled);

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_update_device_enabled_async, "PATCH", url, error, body, NULL,
            CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_OBJECT, (CbAdrParseFunc) cb_adr_device_new_from_json,
            cancellable, callback, user_data);
}

/**
 * _cb_adr_client_credential_update_device_enabled_finish:
 *
 * Returns: (transfer full): the updated device
 */
CbAdrDevice *
_cb_adr_client_credential_update_device_enabled_finish (CbAdrClient   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  return cb_arm_finish_pointer (self, result, _cb_adr_client_credential_update_device_enabled_async, error);
}

void
_cb_adr_client_credential_delete_device_async (CbAdrClient         *self,
                                   const char          *device,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  url = device_url (self, device, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_delete_device_async, "DELETE", url, error, NULL, NULL,
            CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
_cb_adr_client_credential_delete_device_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_boolean (self, result, _cb_adr_client_credential_delete_device_async, error);
}

void
_cb_adr_client_credential_revoke_device_async (CbAdrClient         *self,
                                   const char          *device,
                                   gboolean             disable,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  url = device_url (self, device, "revoke", &error);

  /* Always explicit: the az CLI once omitted a false "disable" and the service misread it. */
  body = cb_json_body_new_boolean ("disable", disable);

  cb_arm_engine_start_action (cb_adr_client_get_arm_engine (self), self, _cb_adr_client_credential_revoke_device_async, url, error,
                              body, cb_adr_parse_revoke_result, cancellable, callback,
                              user_data);
}

gboolean
_cb_adr_client_credential_revoke_device_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_boolean (self, result, _cb_adr_client_credential_revoke_device_async, error);
}
