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
 * CbDpsClient:
 *
 * Acts for a device: registers with DPS over HTTPS with a symmetric-key SAS and a CSR, then
 * polls the operation until DPS assigns the device and returns its certificate chain.
 */
#define CB_TYPE_DPS_CLIENT (cb_dps_client_get_type ())
G_DECLARE_FINAL_TYPE (CbDpsClient, cb_dps_client, CB, DPS_CLIENT, GObject)

CbDpsClient       *cb_dps_client_new              (CbProfile           *profile,
                                                   CbHttpClient        *http);
/* Upper bound on the whole register + poll, in seconds (default 300). */
void               cb_dps_client_set_timeout      (CbDpsClient         *self,
                                                   guint                seconds);
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
