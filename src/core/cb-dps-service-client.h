/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-adr-model.h"
#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-profile.h"

G_BEGIN_DECLS

/**
 * CbDpsServiceClient:
 *
 * The DPS service API ({dps}.azure-devices-provisioning.net): enrollment groups and individual
 * enrollments, naming where their devices' certificates come from in either ADR model: a
 * "credentialPolicyName" (the credential model, api-version 2025-07-01-preview), or
 * "namespaceName", "certificateAuthorityName" and "certificatePolicyName" together (the
 * certificate-authority model, api-version 2026-11-01). A body is sent at the version its
 * members need; reads use the version of the client's model. Authenticates with a shared access policy key
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
/* Which ADR model the enrollments read with get and query follow (CB_ADR_MODEL_UNKNOWN, read
 * as the credential model, until set; CbContext sets it once the ADR client knows the model). */
void                cb_dps_service_client_set_model    (CbDpsServiceClient  *self,
                                                        CbAdrModel           model);
CbAdrModel          cb_dps_service_client_get_model    (CbDpsServiceClient  *self);
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

/* GET /registrations/{id}: the device registration state DPS keeps of the device's latest
 * registration (for a device that attested with X.509, its "x509": certificateInfo,
 * enrollmentGroupId, signingCertificateInfo). Not found: CB_API_ERROR_NOT_FOUND.
 * Returns: (transfer full) */
void        cb_dps_service_client_get_registration_state_async  (CbDpsServiceClient  *self,
                                                                 const char          *id,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
JsonObject *cb_dps_service_client_get_registration_state_finish (CbDpsServiceClient  *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);

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

/* The certificate policy an enrollment names, in either model (NULL when none), and in the
 * certificate-authority model the ICA and namespace it names with it (else NULL). */
const char         *cb_dps_enrollment_get_policy        (JsonObject          *enrollment);
const char         *cb_dps_enrollment_get_certificate_authority (JsonObject  *enrollment);
const char         *cb_dps_enrollment_get_namespace     (JsonObject          *enrollment);
/* A symmetric-key enrollment's primary key as the service returned it (a secret: never log
 * it); NULL for another attestation. */
const char         *cb_dps_enrollment_get_primary_key   (JsonObject          *enrollment);
/* Points an enrollment at a policy: ca_name NULL is the credential model's credentialPolicyName;
 * else the three names of the certificate-authority model (the other model's members go). */
void                cb_dps_enrollment_set_policy        (JsonObject          *enrollment,
                                                         const char          *namespace_name,
                                                         const char          *ca_name,
                                                         const char          *policy);

G_END_DECLS
