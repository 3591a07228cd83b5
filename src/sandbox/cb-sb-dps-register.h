/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: a device's registration with DPS, whatever carries it (HTTPS in
 * cb-sb-routes-dps-device.c, MQTT in cb-sb-mqtt-dps.c): the api-versions the device API
 * accepts, the SAS check against the enrollments, the DeviceRegistration body and its CSR, the
 * assignment (hub identity, ADR device, the chain issued under the enrollment's policy) and the
 * operation a device polls. Failures are CB_SB_DPS_ERROR errors whose code is DPS's errorCode;
 * its first three digits are the status (401002 -> 401). */

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "cb-sb-dps-store.h"
#include "cb-sb-world.h"

#include "cb-sb-issuance.h"

G_BEGIN_DECLS

#define CB_SB_DPS_ERROR (cb_sb_dps_error_quark ())
GQuark        cb_sb_dps_error_quark            (void);

/* The status (HTTP, or the MQTT response topic's) of a CB_SB_DPS_ERROR. */
guint         cb_sb_dps_error_status           (const GError *error);

/* The api-versions the device API accepts, NULL-terminated: those Microsoft's device SDKs
 * send (2019-03-31 Node 1.9.1, C and Embedded C; 2021-06-01; 2021-11-01-preview .NET;
 * 2025-07-01-preview the CSR branches) and 2026-11-01. */
extern const char * const cb_sb_dps_device_api_versions[];
/* NULL with 400001 when version is NULL or not accepted. */
gboolean      cb_sb_dps_check_api_version      (const char   *version,
                                                GError      **error);

/* The DPS instance of id_scope; NULL with 401002 when there is none. */
CbSbDpsInstance *cb_sb_dps_find_instance       (CbSandbox        *self,
                                                const char       *id_scope,
                                                GError          **error);
/* The enrollment of dps whose key (an individual enrollment's, or the key a group derives
 * for registration_id) signed sas ("SharedAccessSignature sr=…&sig=…&se=…&skn=registration").
 * NULL with 401002 otherwise. */
CbSbEnrollment *cb_sb_dps_authenticate         (CbSandbox        *self,
                                                CbSbDpsInstance  *dps,
                                                const char       *registration_id,
                                                const char       *sas,
                                                GError          **error);

/* The X.509 individual enrollment of registration_id (enabled or not) whose primary or
 * secondary certificate peer (the device's TLS client certificate) is; NULL with 401002 when
 * there is none, the certificate's CN is not registration_id, or it is outside its dates on
 * the session clock. */
CbSbEnrollment *cb_sb_dps_authenticate_certificate (CbSandbox     *self,
                                                CbSbDpsInstance  *dps,
                                                const char       *registration_id,
                                                GTlsCertificate  *peer,
                                                GError          **error);
/* Checks a DeviceRegistration body: an object whose registrationId (required or not) is
 * registration_id, itself valid. 4001xx otherwise. */
gboolean      cb_sb_dps_check_registration     (JsonNode         *body,
                                                const char       *registration_id,
                                                gboolean          required,
                                                GError          **error);

/* Registers: checks body (and its csr), assigns and records the operation and the
 * registration. fault (may be NULL) is the fault rule matched by the request. Returns the
 * operation (its status may be "failed" or "disabled": that is an outcome, not an error), or
 * NULL with the error to answer. */
CbSbDpsOperation *cb_sb_dps_register           (CbSandbox        *self,
                                                CbSbDpsInstance  *dps,
                                                CbSbEnrollment   *enrollment,
                                                const char       *registration_id,
                                                JsonNode         *body,
                                                const char       *x509_info,
                                                const CbSbFault  *fault,
                                                GError          **error);

/* A CSR checked ahead, in a worker thread (cb-sb-workers.c): the same check
 * cb_sb_dps_register makes of the body's csr, made of the raw body so that it needs no
 * sandbox state. */
typedef struct _CbSbCsrCheck CbSbCsrCheck;

CbSbCsrCheck *cb_sb_dps_csr_check_new          (GBytes           *body,
                                                const char       *registration_id);
/* Any thread. */
void          cb_sb_dps_csr_check_run          (CbSbCsrCheck     *check);
/* The body as the check parsed it (within the request limits, as cb_sb_json_body parses),
 * or NULL when it did not parse: the handler need not parse it again. */
JsonNode     *cb_sb_dps_csr_check_take_body    (CbSbCsrCheck     *check);
void          cb_sb_dps_csr_check_free         (CbSbCsrCheck     *check);

/* cb_sb_dps_register in two steps around the leaf's signature, which can then be made in a
 * worker thread. begin uses checked (may be NULL) as the csr's check when it was made of this
 * body, and with a leaf to sign returns the operation unsaved and the leaf in *leaf_out (NULL
 * otherwise: the operation is saved, as cb_sb_dps_register does); its writes so far (the
 * registry device, the hub identity) are made. Once the leaf is signed (cb_sb_leaf_job_sign),
 * finish records it and the operation (op and leaf are taken). */
CbSbDpsOperation *cb_sb_dps_register_begin     (CbSandbox        *self,
                                                CbSbDpsInstance  *dps,
                                                CbSbEnrollment   *enrollment,
                                                const char       *registration_id,
                                                JsonNode         *body,
                                                const char       *x509_info,
                                                const CbSbFault  *fault,
                                                CbSbCsrCheck     *checked,
                                                CbSbLeafJob     **leaf_out,
                                                GError          **error);
CbSbDpsOperation *cb_sb_dps_register_finish    (CbSandbox        *self,
                                                CbSbDpsInstance  *dps,
                                                CbSbEnrollment   *enrollment,
                                                CbSbDpsOperation *op,
                                                CbSbLeafJob      *leaf,
                                                GError          **error);

/* The answer to polling operation_id, as compact JSON text (the issued chain spliced in as
 * the registration wrote it, not parsed again): 202 with {operationId, status: "assigning"}
 * while the sandbox's LRO delay runs, then 200 with the RegistrationOperationStatus. NULL with
 * 404201 when there is no such operation. */
char         *cb_sb_dps_operation_status       (CbSandbox        *self,
                                                CbSbDpsInstance  *dps,
                                                const char       *registration_id,
                                                const char       *operation_id,
                                                const CbSbFault  *fault,
                                                guint            *status_out,
                                                GError          **error);

/* {"operationId": …, "status": "assigning"} */
JsonNode     *cb_sb_dps_assigning_body         (const char       *operation_id);
/* Seconds a device should wait before polling (Retry-After, &retry-after=). */
guint         cb_sb_dps_retry_after            (CbSandbox        *self);

G_END_DECLS
