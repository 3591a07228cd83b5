/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-adr-client.h"
#include "cb-arm-engine.h"

G_BEGIN_DECLS

/* For the ARM clients that share the ADR client's engine and profile (hub certificates, activity
 * log). Returns: (transfer none) */
CbArmEngine *cb_adr_client_get_arm_engine (CbAdrClient *self);

/* For the client's own files (cb-adr-client.c and the 2026-11-01 model's
 * cb-adr-client-ca.c, cb-adr-client-model.c). */

/* {arm}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DeviceRegistry/namespaces/
 * {ns}/{extra...}?api-version=api_version; ns NULL: the client's. */
char        *_cb_adr_client_namespace_url (CbAdrClient         *self,
                                           const char          *ns,
                                           const char * const  *extra,
                                           const char          *api_version,
                                           GError             **error);
CbAdrModel   _cb_adr_client_get_model     (CbAdrClient         *self);
void         _cb_adr_client_set_model     (CbAdrClient         *self,
                                           CbAdrModel           model);
/* Which ICA each policy hangs under (2026-11-01), as last listed. */
void         _cb_adr_client_remember_policy_ca (CbAdrClient    *self,
                                                const char     *policy,
                                                const char     *ca);
const char  *_cb_adr_client_lookup_policy_ca   (CbAdrClient    *self,
                                                const char     *policy);
void         _cb_adr_client_forget_policy_ca   (CbAdrClient    *self,
                                                const char     *policy);

/* 2026-11-01: every policy of the namespace (each ICA's, the ICA attached), remembering which
 * ICA each hangs under. */
void         _cb_adr_client_list_ca_policies_async  (CbAdrClient          *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
GPtrArray   *_cb_adr_client_list_ca_policies_finish (CbAdrClient          *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
/* 2026-11-01: the name of the ICA a policy hangs under (listing the policies when it is not
 * known yet); CB_API_ERROR_NOT_FOUND when no ICA has it. */
void         _cb_adr_client_find_policy_ca_async    (CbAdrClient          *self,
                                                     const char           *policy,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
char        *_cb_adr_client_find_policy_ca_finish   (CbAdrClient          *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* The credential model's (2026-03-01-preview) side of the operations both models have; the
 * public ones (cb-adr-client-model.c) pick the side by the namespace's model. */
void _cb_adr_client_credential_list_policies_async (CbAdrClient          *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GPtrArray *_cb_adr_client_credential_list_policies_finish (CbAdrClient          *self,
                                                           GAsyncResult         *result,
                                                           GError               **error);
void _cb_adr_client_credential_get_policy_async (CbAdrClient          *self,
                                                 const char           *policy,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
CbPolicy *_cb_adr_client_credential_get_policy_finish (CbAdrClient          *self,
                                                       GAsyncResult         *result,
                                                       GError               **error);
void _cb_adr_client_credential_update_policy_validity_async (CbAdrClient          *self,
                                                             const char           *policy,
                                                             guint                validity_days,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
CbPolicy *_cb_adr_client_credential_update_policy_validity_finish (CbAdrClient          *self,
                                                                   GAsyncResult         *result,
                                                                   GError               **error);
void _cb_adr_client_credential_delete_policy_async (CbAdrClient          *self,
                                                    const char           *policy,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean _cb_adr_client_credential_delete_policy_finish (CbAdrClient          *self,
                                                         GAsyncResult         *result,
                                                         GError               **error);
void _cb_adr_client_credential_revoke_issuer_async (CbAdrClient          *self,
                                                    const char           *policy,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean _cb_adr_client_credential_revoke_issuer_finish (CbAdrClient          *self,
                                                         GAsyncResult         *result,
                                                         GError               **error);
void _cb_adr_client_credential_activate_byor_async (CbAdrClient          *self,
                                                    const char           *policy,
                                                    const char           *certificate_chain,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean _cb_adr_client_credential_activate_byor_finish (CbAdrClient          *self,
                                                         GAsyncResult         *result,
                                                         GError               **error);

void _cb_adr_client_credential_list_devices_page_async (CbAdrClient          *self,
                                                        const char           *next_link,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
/* Returns: (transfer full): the page */
CbArmPage *_cb_adr_client_credential_list_devices_page_finish (CbAdrClient   *self,
                                                               GAsyncResult  *result,
                                                               GError       **error);
void _cb_adr_client_credential_get_device_async (CbAdrClient          *self,
                                                 const char           *device,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
CbAdrDevice *_cb_adr_client_credential_get_device_finish (CbAdrClient   *self,
                                                          GAsyncResult  *result,
                                                          GError       **error);
void _cb_adr_client_credential_update_device_enabled_async (CbAdrClient          *self,
                                                            const char           *device,
                                                            gboolean              enabled,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
CbAdrDevice *_cb_adr_client_credential_update_device_enabled_finish (CbAdrClient   *self,
                                                                     GAsyncResult  *result,
                                                                     GError       **error);
void _cb_adr_client_credential_delete_device_async (CbAdrClient          *self,
                                                    const char           *device,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean _cb_adr_client_credential_delete_device_finish (CbAdrClient   *self,
                                                         GAsyncResult  *result,
                                                         GError       **error);
void _cb_adr_client_credential_revoke_device_async (CbAdrClient          *self,
                                                    const char           *device,
                                                    gboolean              disable,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean _cb_adr_client_credential_revoke_device_finish (CbAdrClient   *self,
                                                         GAsyncResult  *result,
                                                         GError       **error);

/* The stable model's side of the device operations (registryDevices, cb-adr-client-ca.c). */
void _cb_adr_client_registry_list_devices_page_async (CbAdrClient          *self,
                                                      const char           *next_link,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
CbArmPage *_cb_adr_client_registry_list_devices_page_finish (CbAdrClient   *self,
                                                             GAsyncResult  *result,
                                                             GError       **error);
void _cb_adr_client_registry_get_device_async (CbAdrClient          *self,
                                               const char           *device,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
CbAdrDevice *_cb_adr_client_registry_get_device_finish (CbAdrClient   *self,
                                                        GAsyncResult  *result,
                                                        GError       **error);
void _cb_adr_client_registry_delete_device_async (CbAdrClient          *self,
                                                  const char           *device,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean _cb_adr_client_registry_delete_device_finish (CbAdrClient   *self,
                                                       GAsyncResult  *result,
                                                       GError       **error);
/* revokeCertificates on the device's authentication profile "default". */
void _cb_adr_client_registry_revoke_device_async (CbAdrClient          *self,
                                                  const char           *device,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean _cb_adr_client_registry_revoke_device_finish (CbAdrClient   *self,
                                                       GAsyncResult  *result,
                                                       GError       **error);

void _cb_adr_client_credential_synchronize_async (CbAdrClient          *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean _cb_adr_client_credential_synchronize_finish (CbAdrClient   *self,
                                                       GAsyncResult  *result,
                                                       GError       **error);

/* GET a namespace at api_version. */
void _cb_adr_client_read_namespace_async (CbAdrClient          *self,
                                          const char           *ns,
                                          const char           *api_version,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
CbNamespace *_cb_adr_client_read_namespace_finish (CbAdrClient   *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

G_END_DECLS
