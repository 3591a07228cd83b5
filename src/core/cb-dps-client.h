/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-dps-registration.h"
#include "cb-profile.h"

G_BEGIN_DECLS

/**
 * CbDpsTransport:
 * @CB_DPS_TRANSPORT_DEFAULT: MQTT for Azure profiles (the path Microsoft's CSR-capable SDKs
 *   take), HTTPS for sandbox profiles
 * @CB_DPS_TRANSPORT_MQTT: MQTT over TLS, port 8883 (a sandbox's MQTT port on a sandbox profile)
 * @CB_DPS_TRANSPORT_HTTPS: the REST device API
 */
typedef enum
{
  CB_DPS_TRANSPORT_DEFAULT,
  CB_DPS_TRANSPORT_MQTT,
  CB_DPS_TRANSPORT_HTTPS,
} CbDpsTransport;

/* "mqtt", "https" (NULL or anything else: FALSE). */
gboolean           cb_dps_transport_from_string   (const char          *text,
                                                   CbDpsTransport      *transport);

/**
 * CbDpsClient:
 *
 * Acts for a device: registers with DPS over MQTT or HTTPS with a symmetric-key SAS (or over
 * MQTT with an X.509 onboarding certificate) and a CSR, then polls the operation until DPS assigns the device and returns its certificate chain.
 */
#define CB_TYPE_DPS_CLIENT (cb_dps_client_get_type ())
G_DECLARE_FINAL_TYPE (CbDpsClient, cb_dps_client, CB, DPS_CLIENT, GObject)

CbDpsClient       *cb_dps_client_new              (CbProfile           *profile,
                                                   CbHttpClient        *http);
/* Upper bound on the whole register + poll, in seconds (default 300). */
void               cb_dps_client_set_timeout      (CbDpsClient         *self,
                                                   guint                seconds);
/* Which transport the registrations take (default: CB_DPS_TRANSPORT_DEFAULT). */
void               cb_dps_client_set_transport    (CbDpsClient         *self,
                                                   CbDpsTransport       transport);
/* X.509 attestation: the device's onboarding certificate (with its private key) authenticates
 * it in the TLS handshake, and registrations send no SAS (their key_base64 may be NULL).
 * MQTT only. NULL: symmetric key. */
void               cb_dps_client_set_client_certificate (CbDpsClient   *self,
                                                         GTlsCertificate *certificate);
/* The transport a registration takes now: MQTT or HTTPS, the default resolved. */
CbDpsTransport     cb_dps_client_get_transport    (CbDpsClient         *self);
/* Where a device registering itself should reach DPS: "mqtts://host:port" (the MQTT endpoint:
 * a sandbox's MQTT port, else the global endpoint's host on 8883), unless the transport was
 * set to HTTPS, then the global endpoint's URL. */
char              *cb_dps_client_dup_device_endpoint (CbDpsClient      *self,
                                                      GError          **error);
void               cb_dps_client_register_async   (CbDpsClient         *self,
                                                   const char          *registration_id,
                                                   const char          *key_base64,
                                                   CbDpsKeyKind         key_kind,
                                                   GBytes              *csr_der,
                                                   JsonNode            *payload,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
CbDpsRegistration *cb_dps_client_register_finish  (CbDpsClient         *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
