/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-hub-certificates-client"

/* The IoT hub's CA certificates through ARM (cb-hub-certificates-client.h): their URL, listing
 * and deleting them, on the ADR client's ARM engine. */

#include "config.h"

#include "cb-adr-client-private.h"
#include "cb-hub-certificates-client.h"

static char *
hub_certificates_url (CbAdrClient  *self,
                      const char   *name,
                      GError      **error)
{
  const char *arm = cb_profile_get_arm_endpoint (cb_adr_client_get_profile (self));
  const char *sub = cb_profile_get_subscription_id (cb_adr_client_get_profile (self));
  const char *rg = cb_profile_get_resource_group (cb_adr_client_get_profile (self));
  const char *hub = cb_profile_get_hub_name (cb_adr_client_get_profile (self));
  const char *segments[] = {
    "subscriptions", sub, "resourceGroups", rg, "providers", "Microsoft.Devices",
    "IotHubs", hub, "certificates", name, NULL
  };

  if (!cb_arm_require_setting (arm, "ARM endpoint", error) ||
      !cb_arm_require_setting (sub, "subscription id", error) ||
      !cb_arm_require_setting (rg, "resource group", error) ||
      !cb_arm_require_setting (hub, "IoT hub name", error))
    return NULL;

  return cb_arm_build_url (arm, segments, CB_ADR_HUB_API_VERSION);
}

/* Every page of a hub's CA certificates at @url (or @url_error), as CbHubCertificate. */
static void
list_certificates (CbAdrClient         *self,
                   gpointer             source_tag,
                   char                *url,
                   GError              *url_error,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  cb_arm_engine_list (cb_adr_client_get_arm_engine (self), self, source_tag, url, url_error,
                      (CbAdrParseFunc) cb_hub_certificate_new_from_json, FALSE,
                      cancellable, callback, user_data);
}

void
cb_adr_client_list_hub_certificates_async (CbAdrClient         *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  url = hub_certificates_url (self, NULL, &error);
  list_certificates (self, cb_adr_client_list_hub_certificates_async, url, error, cancellable,
                     callback, user_data);
}

/**
 * cb_adr_client_list_hub_certificates_finish:
 *
 * Returns: (transfer full) (element-type CbHubCertificate): the hub's CA certificates
 */
GPtrArray *
cb_adr_client_list_hub_certificates_finish (CbAdrClient   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_list_hub_certificates_async, error);
}

/* ".../providers/Microsoft.Devices/IotHubs/{hub}" and its certificates below it. */
static char *
hub_certificates_url_of (CbAdrClient  *self,
                         const char   *hub_resource_id,
                         GError      **error)
{
  const char *arm = cb_profile_get_arm_endpoint (cb_adr_client_get_profile (self));
  g_auto(GStrv) parts = NULL;
  g_autoptr(GPtrArray) segments = g_ptr_array_new ();

  if (!cb_arm_require_setting (arm, "ARM endpoint", error))
    return NULL;
  if (hub_resource_id == NULL || !g_str_has_prefix (hub_resource_id, "/"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IoT hub's resource id", hub_resource_id != NULL ? hub_resource_id : "");
      return NULL;
    }
  parts = g_strsplit (hub_resource_id + 1, "/", -1);
  /* subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Devices/IotHubs/{hub} */
  if (g_strv_length (parts) != 8 || g_ascii_strcasecmp (parts[0], "subscriptions") != 0 ||
      g_ascii_strcasecmp (parts[2], "resourceGroups") != 0 ||
      g_ascii_strcasecmp (parts[5], "Microsoft.Devices") != 0 ||
      g_ascii_strcasecmp (parts[6], "IotHubs") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IoT hub's resource id", hub_resource_id);
      return NULL;
    }
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (*parts[i] == '\0')
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not an IoT hub's resource id", hub_resource_id);
          return NULL;
        }
      g_ptr_array_add (segments, parts[i]);
    }
  g_ptr_array_add (segments, (gpointer) "certificates");
  g_ptr_array_add (segments, NULL);
  return cb_arm_build_url (arm, (const char * const *) segments->pdata, CB_ADR_HUB_API_VERSION);
}

void
cb_adr_client_list_hub_certificates_of_async (CbAdrClient         *self,
                                              const char          *hub_resource_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  url = hub_certificates_url_of (self, hub_resource_id, &error);
  list_certificates (self, cb_adr_client_list_hub_certificates_of_async, url, error, cancellable,
                     callback, user_data);
}

/**
 * cb_adr_client_list_hub_certificates_of_finish:
 *
 * Returns: (transfer full) (element-type CbHubCertificate): the hub's CA certificates
 */
GPtrArray *
cb_adr_client_list_hub_certificates_of_finish (CbAdrClient   *self,
                                               GAsyncResult  *result,
                                               GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_list_hub_certificates_of_async,
                                error);
}

void
cb_adr_client_delete_hub_certificate_async (CbAdrClient         *self,
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

  url = hub_certificates_url (self, name, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self, cb_adr_client_delete_hub_certificate_async, "DELETE", url, error, NULL,
            headers, CB_ARM_FINAL_NONE, CB_ARM_RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_hub_certificate_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_delete_hub_certificate_async, error);
}
