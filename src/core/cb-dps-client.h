/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-profile.h"

G_BEGIN_DECLS

#define CB_DPS_API_VERSION "2025-07-01-preview"

/**
 * CbDpsRegistration:
 *
 * The terminal state of a DPS registration that was assigned.
 */
#define CB_TYPE_DPS_REGISTRATION (cb_dps_registration_get_type ())
G_DECLARE_FINAL_TYPE (CbDpsRegistration, cb_dps_registration, CB, DPS_REGISTRATION, GObject)

const char *cb_dps_registration_get_registration_id (CbDpsRegistration *self);
const char *cb_dps_registration_get_operation_id    (CbDpsRegistration *self);
/* "assigned" (the only status a successful register returns) */
const char *cb_dps_registration_get_status          (CbDpsRegistration *self);
const char *cb_dps_registration_get_substatus       (CbDpsRegistration *self);
/* The hub host name, for example "myhub.azure-devices.net". */
const char *cb_dps_registration_get_assigned_hub    (CbDpsRegistration *self);
const char *cb_dps_registration_get_device_id       (CbDpsRegistration *self);
/* DER certificates, leaf first, each the issuer of the previous one. Returns: (transfer none)
 * (element-type GBytes) */
GPtrArray  *cb_dps_registration_get_issued_chain    (CbDpsRegistration *self);
/* The whole "registrationState" object. Returns: (transfer none) */
JsonObject *cb_dps_registration_get_state           (CbDpsRegistration *self);

/* Pure: parses a RegistrationOperationStatus body. Returns the registration when the status
 * is "assigned"; CB_API_ERROR_OPERATION_FAILED (remote code = DPS errorCode) when "failed" or
 * "disabled"; CB_API_ERROR_AUTHORIZATION_PENDING when still "assigning"/"unassigned";
 * CB_API_ERROR_PARSE for a malformed body or certificate chain. */
CbDpsRegistration *cb_dps_registration_new_from_json (JsonNode  *json,
                                                      GError   **error);

typedef enum
{
  CB_DPS_KEY_DEVICE,            /* the device's own symmetric key */
  CB_DPS_KEY_ENROLLMENT_GROUP,  /* the group key; the device key is derived from it */
} CbDpsKeyKind;

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

/**
 * CbDpsServiceClient:
 *
 * The DPS service API ({dps}.azure-devices-provisioning.net): enrollment groups and individual
 * enrollments, with "credentialPolicyName". Authenticates with a shared access policy key
 * (skn=provisioningserviceowner by default, sr = the DPS host name) when one is set, else with
 * an Entra token for https://azure-devices-provisioning.net/.default.
 */
#define CB_TYPE_DPS_SERVICE_CLIENT (cb_dps_service_client_get_type ())
G_DECLARE_FINAL_TYPE (CbDpsServiceClient, cb_dps_service_client, CB, DPS_SERVICE_CLIENT, GObject)

typedef enum
{
  CB_DPS_ENROLLMENT_GROUP,
  CB_DPS_ENROLLMENT_INDIVIDUAL,
} CbDpsEnrollmentKind;

CbDpsServiceClient *cb_dps_service_client_new          (CbProfile           *profile,
                                                        CbHttpClient        *http,
                                                        CbEntraClient       *entra);
/* policy_name NULL means "provisioningserviceowner"; key NULL goes back to Entra. */
void                cb_dps_service_client_set_sas_key  (CbDpsServiceClient  *self,
                                                        const char          *policy_name,
                                                        const char          *key_base64);

void                cb_dps_service_client_get_async    (CbDpsServiceClient  *self,
                                                        CbDpsEnrollmentKind  kind,
                                                        const char          *id,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* @etag: (nullable) sent as If-Match when set. */
void                cb_dps_service_client_put_async    (CbDpsServiceClient  *self,
                                                        CbDpsEnrollmentKind  kind,
                                                        const char          *id,
                                                        JsonObject          *enrollment,
                                                        const char          *etag,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* Finishes get and put. Returns: (transfer full): the enrollment as the service returned it */
JsonObject         *cb_dps_service_client_enrollment_finish (CbDpsServiceClient *self,
                                                             GAsyncResult       *result,
                                                             GError            **error);
void                cb_dps_service_client_delete_async (CbDpsServiceClient  *self,
                                                        CbDpsEnrollmentKind  kind,
                                                        const char          *id,
                                                        const char          *etag,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean            cb_dps_service_client_delete_finish (CbDpsServiceClient *self,
                                                         GAsyncResult       *result,
                                                         GError            **error);

/* POST .../query with x-ms-continuation paging: every enrollment group (or individual
 * enrollment) of the service. Returns: (transfer full) (element-type JsonObject) */
void                cb_dps_service_client_query_async  (CbDpsServiceClient  *self,
                                                        CbDpsEnrollmentKind  kind,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray          *cb_dps_service_client_query_finish (CbDpsServiceClient  *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Builds a symmetric-key enrollment body (group or individual) that references an ADR
 * credential policy. @iot_hubs: (nullable) NULL-terminated hub host names. */
JsonObject         *cb_dps_enrollment_new_symmetric_key (CbDpsEnrollmentKind  kind,
                                                         const char          *id,
                                                         const char          *credential_policy,
                                                         const char          *primary_key,
                                                         const char          *secondary_key,
                                                         const char * const  *iot_hubs);

G_END_DECLS
