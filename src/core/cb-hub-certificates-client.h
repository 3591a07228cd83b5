/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-adr-client.h"
#include "cb-hub-certificate.h"

G_BEGIN_DECLS

/* The IoT hub's CA certificates through ARM (Microsoft.Devices, CB_ADR_HUB_API_VERSION): the
 * certificate authorities a hub trusts for device authentication. Calls of the ADR client, on
 * its ARM engine and profile (subscription, resource group, hub name). */

/* The profile hub's CA certificates (Microsoft.Devices, 2025-08-01-preview). */
void         cb_adr_client_list_hub_certificates_async (CbAdrClient    *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GPtrArray   *cb_adr_client_list_hub_certificates_finish (CbAdrClient  *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* The CA certificates of the hub @hub_resource_id (a namespace's linked hub, on the profile's
 * ARM endpoint): ADR synchronizes each intermediate CA with a policy there, with its
 * certificate. */
void         cb_adr_client_list_hub_certificates_of_async (CbAdrClient   *self,
                                                  const char           *hub_resource_id,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GPtrArray   *cb_adr_client_list_hub_certificates_of_finish (CbAdrClient *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* etag: If-Match; required by the service. */
void         cb_adr_client_delete_hub_certificate_async (CbAdrClient   *self,
                                                  const char           *name,
                                                  const char           *etag,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_delete_hub_certificate_finish (CbAdrClient *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

G_END_DECLS
