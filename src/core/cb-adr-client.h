/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-adr-device.h"
#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-namespace.h"
#include "cb-policy.h"
#include "cb-profile.h"

G_BEGIN_DECLS

/* The only place that knows ADR's ARM paths and bodies, in both of its certificate-management
 * models (cb-adr-model.h): the operations below work on either, on the paths of the model the
 * namespace uses; cb-adr-client-ca.h has what only the certificate-authority model has. */
#define CB_ADR_API_VERSION       "2026-03-01-preview"
#define CB_ADR_HUB_API_VERSION   "2025-08-01-preview"
#define CB_ADR_ACTIVITY_API_VERSION "2015-04-01"
#define CB_ADR_ARM_SCOPE         "https://management.azure.com/.default"

/* Parses one element of a list; returns a new GObject or NULL with error. */
typedef gpointer (*CbAdrParseFunc) (JsonNode  *node,
                                    GError   **error);

/* Pure: one ARM list page {"value":[...],"nextLink":...}. Returns the parsed elements
 * (transfer full, elements owned) and the next link (NULL on the last page). */
GPtrArray   *cb_adr_parse_page   (JsonNode        *page,
                                  CbAdrParseFunc   parse,
                                  char           **next_link,
                                  GError         **error);
/* Pure: the 200 body of devices/{d}/revoke. {"result":"Succeeded"} is TRUE;
 * {"result":"Failed","error":{...}} is CB_API_ERROR_OPERATION_FAILED with the error's code. */
gboolean     cb_adr_parse_revoke_result (JsonNode  *body,
                                         GError   **error);

/* Callback that supplies a bearer token for a scope, asynchronously. The client calls it
 * once per operation; cache tokens in the source. */
typedef void (*CbAdrTokenFunc) (const char         *scope,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            callback_data,
                                gpointer            user_data);
/* Finishes a CbAdrTokenFunc call: result is whatever the token function passed to its
 * callback; returns the access token (transfer full). */
typedef char *(*CbAdrTokenFinishFunc) (GAsyncResult  *result,
                                       GError       **error,
                                       gpointer       user_data);

#define CB_TYPE_ADR_CLIENT (cb_adr_client_get_type ())
G_DECLARE_FINAL_TYPE (CbAdrClient, cb_adr_client, CB, ADR_CLIENT, GObject)

CbAdrClient *cb_adr_client_new                   (CbProfile            *profile,
                                                  CbHttpClient         *http);
CbProfile   *cb_adr_client_get_profile           (CbAdrClient          *self);
/* Where tokens come from: a fixed token (tests, scripts) or a token function. */
void         cb_adr_client_set_access_token      (CbAdrClient          *self,
                                                  const char           *token);
void         cb_adr_client_set_token_func        (CbAdrClient          *self,
                                                  CbAdrTokenFunc        func,
                                                  CbAdrTokenFinishFunc  finish,
                                                  gpointer              user_data,
                                                  GDestroyNotify        destroy);
/* Tokens from a signed-in Entra client (scope CB_ADR_ARM_SCOPE); NULL clears it. */
void         cb_adr_client_set_entra_client      (CbAdrClient          *self,
                                                  CbEntraClient        *entra);
/* The namespace the credential/policy/device calls address; NULL: the profile's. */
const char  *cb_adr_client_get_namespace         (CbAdrClient          *self);
void         cb_adr_client_set_namespace         (CbAdrClient          *self,
                                                  const char           *ns);
/* Long-running operations: the longest single wait between polls, whatever Retry-After
 * says (tests set it low), and the time after which polling gives up with TIMEOUT. */
guint        cb_adr_client_get_max_poll_delay_ms (CbAdrClient          *self);
void         cb_adr_client_set_max_poll_delay_ms (CbAdrClient          *self,
                                                  guint                 max_ms);
guint        cb_adr_client_get_operation_timeout (CbAdrClient          *self);
void         cb_adr_client_set_operation_timeout (CbAdrClient          *self,
                                                  guint                 seconds);

/* URLs (for logs and tests). Returns: (transfer full) */
char        *cb_adr_client_dup_namespace_url     (CbAdrClient          *self,
                                                  const char           *ns);
char        *cb_adr_client_dup_policy_id         (CbAdrClient          *self,
                                                  const char           *policy);

/* Namespaces. list: a GPtrArray of CbNamespace across all pages. */
void         cb_adr_client_list_namespaces_async (CbAdrClient          *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GPtrArray   *cb_adr_client_list_namespaces_finish (CbAdrClient        *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* ns NULL: the client's namespace. */
void         cb_adr_client_get_namespace_async   (CbAdrClient          *self,
                                                  const char           *ns,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbNamespace *cb_adr_client_get_namespace_finish  (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* location NULL: the profile's. */
void         cb_adr_client_create_namespace_async (CbAdrClient         *self,
                                                  const char           *ns,
                                                  const char           *location,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbNamespace *cb_adr_client_create_namespace_finish (CbAdrClient       *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
void         cb_adr_client_delete_namespace_async (CbAdrClient         *self,
                                                  const char           *ns,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_delete_namespace_finish (CbAdrClient       *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* The namespace credential (root CA), singleton "default". get returns its
 * provisioningState; a missing credential is CB_API_ERROR_NOT_FOUND. */
void         cb_adr_client_get_credential_async  (CbAdrClient          *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
char        *cb_adr_client_get_credential_finish (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* location NULL: the profile's, else the namespace's. */
void         cb_adr_client_create_credential_async (CbAdrClient        *self,
                                                  const char           *location,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_create_credential_finish (CbAdrClient      *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
void         cb_adr_client_delete_credential_async (CbAdrClient        *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_delete_credential_finish (CbAdrClient      *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* Pushes the issuing CAs to the linked hubs: the credential model's synchronize; in the
 * certificate-authority model ADR does it by itself, and this succeeds at once. */
void         cb_adr_client_synchronize_credential_async (CbAdrClient   *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_synchronize_credential_finish (CbAdrClient *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* Policies. */
void         cb_adr_client_list_policies_async   (CbAdrClient          *self,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GPtrArray   *cb_adr_client_list_policies_finish  (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
void         cb_adr_client_get_policy_async      (CbAdrClient          *self,
                                                  const char           *policy,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbPolicy    *cb_adr_client_get_policy_finish     (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* keyType is always "ECC" (the only type the preview defines). */
void         cb_adr_client_create_policy_async   (CbAdrClient          *self,
                                                  const char           *policy,
                                                  guint                 validity_days,
                                                  gboolean              bring_your_own_root,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbPolicy    *cb_adr_client_create_policy_finish  (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
void         cb_adr_client_update_policy_validity_async (CbAdrClient   *self,
                                                  const char           *policy,
                                                  guint                 validity_days,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbPolicy    *cb_adr_client_update_policy_validity_finish (CbAdrClient *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
void         cb_adr_client_delete_policy_async   (CbAdrClient          *self,
                                                  const char           *policy,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_delete_policy_finish  (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* Replaces the policy's issuing CA: every certificate it issued stops working. */
void         cb_adr_client_revoke_issuer_async   (CbAdrClient          *self,
                                                  const char           *policy,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_revoke_issuer_finish  (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* certificate_chain: PEM, the signed issuing CA first, then up to the root. */
void         cb_adr_client_activate_byor_async   (CbAdrClient          *self,
                                                  const char           *policy,
                                                  const char           *certificate_chain,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_activate_byor_finish  (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* Devices, one page at a time so a UI never loads the whole fleet. next_link NULL: the first
 * page; else the next_link a previous page returned. The finish returns a GPtrArray of
 * CbAdrDevice and sets *out_next_link to NULL on the last page. */
void         cb_adr_client_list_devices_page_async (CbAdrClient        *self,
                                                  const char           *next_link,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
GPtrArray   *cb_adr_client_list_devices_page_finish (CbAdrClient      *self,
                                                  GAsyncResult         *result,
                                                  char                **out_next_link,
                                                  GError              **error);
void         cb_adr_client_get_device_async      (CbAdrClient          *self,
                                                  const char           *device,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbAdrDevice *cb_adr_client_get_device_finish     (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
void         cb_adr_client_update_device_enabled_async (CbAdrClient    *self,
                                                  const char           *device,
                                                  gboolean              enabled,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
CbAdrDevice *cb_adr_client_update_device_enabled_finish (CbAdrClient  *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
void         cb_adr_client_delete_device_async   (CbAdrClient          *self,
                                                  const char           *device,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_delete_device_finish  (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
/* Revokes every certificate ever issued to the device; disable also disables it. */
void         cb_adr_client_revoke_device_async   (CbAdrClient          *self,
                                                  const char           *device,
                                                  gboolean              disable,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gboolean     cb_adr_client_revoke_device_finish  (CbAdrClient          *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

G_END_DECLS
