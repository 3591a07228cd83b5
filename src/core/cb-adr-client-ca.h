/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The ADR client's operations that only the 2026-11-01 model has: its certificate authorities,
 * their policies, and the hubs and DPS linked to the namespace. The operations both models
 * have (policies, revoke issuer, activate, devices) stay in cb-adr-client.h and choose the
 * namespace's model themselves. */

#include "cb-adr-client.h"
#include "cb-certificate-authority.h"
#include "cb-namespace-endpoint.h"

G_BEGIN_DECLS

/* Finds which model the client's namespace uses (and remembers it until the namespace changes):
 * certificate authorities when it has any, the credential model when it has
 * credentials/default, certificate authorities (the model of every new namespace) when it has
 * neither, and the credential model when the service does not know 2026-11-01 at all. */
void        cb_adr_client_get_model_async          (CbAdrClient          *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
CbAdrModel  cb_adr_client_get_model_finish         (CbAdrClient          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* The model as found so far: CB_ADR_MODEL_UNKNOWN until an operation (or
 * cb_adr_client_get_model_async()) has found it. For a page choosing what to offer. */
CbAdrModel  cb_adr_client_peek_model               (CbAdrClient          *self);
/* For a caller that knows the model already (a profile's setting, an earlier answer): the
 * client then asks nothing to find it. Forgotten when the namespace changes. */
void        cb_adr_client_set_model                (CbAdrClient          *self,
                                                    CbAdrModel            model);

void        cb_adr_client_list_certificate_authorities_async  (CbAdrClient         *self,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
/* Returns: (transfer full) (element-type CbCertificateAuthority): roots first, then ICAs,
 * each in the order of its name */
GPtrArray  *cb_adr_client_list_certificate_authorities_finish (CbAdrClient         *self,
                                                               GAsyncResult        *result,
                                                               GError             **error);

/* A root (issuer NONE, root_id NULL), a Microsoft-issued ICA under the root root_id (its ARM
 * id), or an External ICA (root_id NULL; it waits for activation). location is the
 * namespace's; NULL takes the profile's. */
void        cb_adr_client_create_certificate_authority_async  (CbAdrClient         *self,
                                                               const char          *name,
                                                               const char          *location,
                                                               CbCaIssuer           issuer,
                                                               const char          *root_id,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
CbCertificateAuthority *
            cb_adr_client_create_certificate_authority_finish (CbAdrClient         *self,
                                                               GAsyncResult        *result,
                                                               GError             **error);

void        cb_adr_client_delete_certificate_authority_async  (CbAdrClient         *self,
                                                               const char          *name,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
gboolean    cb_adr_client_delete_certificate_authority_finish (CbAdrClient         *self,
                                                               GAsyncResult        *result,
                                                               GError             **error);

/* An External ICA: its certificate and the chain above it (PEM). */
void        cb_adr_client_activate_certificate_authority_async  (CbAdrClient         *self,
                                                                 const char          *name,
                                                                 const char          *chain_pem,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
gboolean    cb_adr_client_activate_certificate_authority_finish (CbAdrClient         *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);

/* A Microsoft-issued ICA: a new key and certificate replace it; every leaf it issued is
 * refused from now on. */
void        cb_adr_client_revoke_and_rotate_async   (CbAdrClient         *self,
                                                     const char          *name,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean    cb_adr_client_revoke_and_rotate_finish  (CbAdrClient         *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* The policies under one ICA, each with the ICA attached. */
void        cb_adr_client_list_certificate_policies_async  (CbAdrClient         *self,
                                                            CbCertificateAuthority *ca,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
/* Returns: (transfer full) (element-type CbPolicy) */
GPtrArray  *cb_adr_client_list_certificate_policies_finish (CbAdrClient         *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);

/* PUT (create or replace) a policy under the ICA ca_name. */
void        cb_adr_client_put_certificate_policy_async  (CbAdrClient         *self,
                                                         const char          *ca_name,
                                                         const char          *policy,
                                                         guint                validity_days,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
/* Returns: (transfer full): the policy once provisioned (no CA attached) */
CbPolicy   *cb_adr_client_put_certificate_policy_finish (CbAdrClient         *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* PATCH a policy's validity. */
void        cb_adr_client_update_certificate_policy_async  (CbAdrClient         *self,
                                                            const char          *ca_name,
                                                            const char          *policy,
                                                            guint                validity_days,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
/* Returns: (transfer full): the policy as updated (no CA attached) */
CbPolicy   *cb_adr_client_update_certificate_policy_finish (CbAdrClient         *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);

void        cb_adr_client_delete_certificate_policy_async  (CbAdrClient         *self,
                                                            const char          *ca_name,
                                                            const char          *policy,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
gboolean    cb_adr_client_delete_certificate_policy_finish (CbAdrClient         *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);

/* Links a hub (CB_ENDPOINT_MESSAGING) or a DPS (CB_ENDPOINT_PROVISIONING), by its ARM id, to
 * the client's namespace under the name link_name; resource_id NULL unlinks link_name. Returns
 * the namespace as the service answers (its linkingState may still be InProgress). */
void        cb_adr_client_set_endpoint_async   (CbAdrClient          *self,
                                                CbEndpointKind        kind,
                                                const char           *link_name,
                                                const char           *resource_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
CbNamespace *cb_adr_client_set_endpoint_finish (CbAdrClient          *self,
                                                GAsyncResult         *result,
                                                GError              **error);

G_END_DECLS
