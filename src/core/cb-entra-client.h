/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-entra-device-code.h"
#include "cb-http.h"
#include "cb-profile.h"
#include "cb-secrets.h"

G_BEGIN_DECLS

#define CB_ENTRA_SCOPE_ARM "https://management.azure.com/.default"
#define CB_ENTRA_SCOPE_HUB "https://iothubs.azure.net/.default"
#define CB_ENTRA_SCOPE_DPS "https://azure-devices-provisioning.net/.default"

/**
 * CbEntraClient:
 *
 * Microsoft Entra ID sign-in for one profile: device-code flow, refresh-token grant and a
 * per-scope access-token cache. The refresh token lives in CbSecrets, never in files.
 */
#define CB_TYPE_ENTRA_CLIENT (cb_entra_client_get_type ())
G_DECLARE_FINAL_TYPE (CbEntraClient, cb_entra_client, CB, ENTRA_CLIENT, GObject)

CbEntraClient     *cb_entra_client_new                      (CbProfile           *profile,
                                                             CbHttpClient        *http,
                                                             CbSecrets           *secrets);
CbProfile         *cb_entra_client_get_profile              (CbEntraClient       *self);
/* TRUE once a sign-in or a stored refresh token gave tokens; FALSE after sign-out. */
gboolean           cb_entra_client_get_signed_in            (CbEntraClient       *self);
/* The preferred_username claim of the ID token, when the service sent a readable one. */
const char        *cb_entra_client_get_username             (CbEntraClient       *self);

/* Step 1: ask for a device code ("<arm scope> offline_access"). */
void               cb_entra_client_begin_sign_in_async      (CbEntraClient       *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
CbEntraDeviceCode *cb_entra_client_begin_sign_in_finish     (CbEntraClient       *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* Step 2: poll until the user approves (honouring interval and slow_down), declines
 * (CB_API_ERROR_AUTHORIZATION_DECLINED) or the code expires (CB_API_ERROR_EXPIRED); then store
 * the refresh token and cache the ARM access token. */
void               cb_entra_client_complete_sign_in_async   (CbEntraClient       *self,
                                                             CbEntraDeviceCode   *code,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean           cb_entra_client_complete_sign_in_finish  (CbEntraClient       *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

/* A valid access token for @scope: from the cache, else through the refresh token (memory,
 * then CbSecrets). CB_API_ERROR_UNAUTHORIZED when not signed in or the refresh token is no
 * longer accepted. Concurrent calls for one scope share one token request. */
void               cb_entra_client_get_access_token_async   (CbEntraClient       *self,
                                                             const char          *scope,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
char              *cb_entra_client_get_access_token_finish  (CbEntraClient       *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* The cached access token for @scope when it is still good for a request (as
 * cb_entra_client_get_access_token_async() would answer it at once), else NULL: a caller
 * that holds one skips the async call's GTask and its idle. Free with cb_secrets_free_value(). */
char              *cb_entra_client_dup_cached_access_token  (CbEntraClient       *self,
                                                             const char          *scope);
/* The same for @scope in @tenant (its id or domain; NULL: the profile's, as above): the
 * refresh token is sent to that tenant's authority, which answers with a token issued in
 * that tenant when the account belongs to it. Finish with
 * cb_entra_client_get_access_token_finish(). */
void               cb_entra_client_get_tenant_access_token_async (CbEntraClient  *self,
                                                             const char          *tenant,
                                                             const char          *scope,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
/* Drops the cached access token for @scope (memory only): the service refused it (401) though
 * our clock said it was valid, so the next request gets a new one through the refresh token. */
void               cb_entra_client_forget_access_token      (CbEntraClient       *self,
                                                             const char          *scope);
void               cb_entra_client_forget_tenant_access_token (CbEntraClient    *self,
                                                             const char          *tenant,
                                                             const char          *scope);
/* Forces the refresh-token grant for @scope even if a cached token is still valid. */
void               cb_entra_client_refresh_async            (CbEntraClient       *self,
                                                             const char          *scope,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
char              *cb_entra_client_refresh_finish           (CbEntraClient       *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* Forgets every token, in memory and in CbSecrets. */
void               cb_entra_client_sign_out_async           (CbEntraClient       *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean           cb_entra_client_sign_out_finish          (CbEntraClient       *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

G_END_DECLS
