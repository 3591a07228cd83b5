/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cbd-dps"

#include "config.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "cb-dps-client.h"
#include "cb-http.h"
#include "cb-profile.h"
#include "cbp-group.h"
#include "cbd-host.h"

/* The device's own DPS registration (CbDpsClient), reported back to the portable device with
 * cbd_device_dps_result(). The endpoint the station configured says the transport:
 * "mqtts://host[:port]" is MQTT (port 8883 by default; what stations send), "https://…" or a
 * bare "host[:port][/path]" is the REST API (older stations); with none configured the
 * device goes to the global endpoint over MQTT, as Microsoft's CSR-capable SDKs do. */

struct _CbdDps
{
  cbd_device   *device;      /* borrowed */
  GCancellable *cancellable;
  gboolean      running;
  GTlsCertificate *onboarding;   /* X.509 attestation, or NULL */
};

CbdDps *
cbd_dps_new (void)
{
  CbdDps *dps = g_new0 (CbdDps, 1);

  dps->cancellable = g_cancellable_new ();
  return dps;
}

void
cbd_dps_free (CbdDps *dps)
{
  if (dps == NULL)
    return;
  g_cancellable_cancel (dps->cancellable);
  g_clear_object (&dps->cancellable);
  g_clear_object (&dps->onboarding);
  g_free (dps);
}

void
cbd_dps_set_device (CbdDps     *dps,
                    cbd_device *device)
{
  dps->device = device;
}

void
cbd_dps_set_onboarding (CbdDps          *dps,
                        GTlsCertificate *certificate)
{
  g_set_object (&dps->onboarding, certificate);
}

typedef struct
{
  CbdDps      *dps;
  CbDpsClient *client;
} RegisterData;

static void
register_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  RegisterData *data = user_data;
  g_autoptr(CbDpsRegistration) reg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) chain = g_byte_array_new ();
  CbdDps *dps = data->dps;

  reg = cb_dps_client_register_finish (CB_DPS_CLIENT (object), result, &error);
  g_clear_object (&data->client);
  g_free (data);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* the devsim is shutting down: dps may be gone */

  dps->running = FALSE;
  if (dps->device == NULL)
    return;

  if (reg == NULL)
    {
      if (error->domain == G_TLS_ERROR || error->domain == G_IO_ERROR)
        cbd_device_set_tls_error (dps->device, error->message);
      cbd_device_dps_result (dps->device, false, error->message, NULL, NULL, NULL, 0);
      return;
    }

  {
    GPtrArray *issued = cb_dps_registration_get_issued_chain (reg);
    guint i;

    for (i = 0; issued != NULL && i < issued->len; i++)
      {
        gsize len = 0;
        const guint8 *der = g_bytes_get_data (g_ptr_array_index (issued, i), &len);
        g_byte_array_append (chain, der, (guint) len);
      }
  }
  cbd_device_dps_result (dps->device, true, NULL,
                         cb_dps_registration_get_assigned_hub (reg),
                         cb_dps_registration_get_device_id (reg),
                         chain->data, chain->len);
}

int
cbd_dps_register (void                 *ctx,
                  const cbd_dps_params *params,
                  const uint8_t        *csr,
                  size_t                csr_len)
{
  CbdDps *dps = ctx;
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbHttpClient) http = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) csr_bytes = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *mqtt_host = NULL;     /* "host[:port]" when the endpoint is MQTT's */
  RegisterData *data;

  if (dps->running)
    return 0;

  if (g_str_has_prefix (params->endpoint, "mqtts://"))
    {
      mqtt_host = g_strdup (params->endpoint + strlen ("mqtts://"));
      mqtt_host[strcspn (mqtt_host, "/")] = '\0';
    }
  else if (g_str_equal (params->endpoint, CBP_DPS_ENDPOINT_DEFAULT))
    mqtt_host = g_strdup (params->endpoint);
  endpoint = mqtt_host != NULL ? g_strconcat ("https://", mqtt_host, NULL)
           : strstr (params->endpoint, "://") != NULL ? g_strdup (params->endpoint)
           : g_strconcat ("https://", params->endpoint, NULL);

  profile = cb_profile_new ("devsim", "devsim", CB_PROFILE_KIND_AZURE);
  cb_profile_set_dps_global_endpoint (profile, endpoint);
  if (mqtt_host != NULL && strchr (mqtt_host, ':') != NULL)
    cb_profile_set_hub_device_endpoint (profile, mqtt_host);
  cb_profile_set_dps_id_scope (profile, params->scope);
  if (params->ca_path != NULL)
    cb_profile_set_pinned_ca_file (profile, params->ca_path);

  http = cb_http_client_new (profile, &error);
  if (http == NULL)
    {
      if (dps->device != NULL)
        cbd_device_set_tls_error (dps->device, error->message);
      g_warning ("DPS: %s", error->message);
      return -1;
    }

  data = g_new0 (RegisterData, 1);
  data->dps = dps;
  data->client = cb_dps_client_new (profile, http);
  cb_dps_client_set_transport (data->client, mqtt_host != NULL ? CB_DPS_TRANSPORT_MQTT
                                                               : CB_DPS_TRANSPORT_HTTPS);
  /* With an onboarding certificate the handshake authenticates: no SAS. */
  cb_dps_client_set_client_certificate (data->client, dps->onboarding);
  csr_bytes = g_bytes_new (csr, csr_len);
  dps->running = TRUE;
  cb_dps_client_register_async (data->client, params->reg_id,
                                dps->onboarding != NULL ? NULL : params->key, CB_DPS_KEY_DEVICE,
                                csr_bytes, NULL, dps->cancellable, register_cb, data);
  return 0;
}
