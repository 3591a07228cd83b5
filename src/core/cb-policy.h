/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "cb-certificate-authority.h"

G_BEGIN_DECLS

#define CB_TYPE_POLICY (cb_policy_get_type ())
G_DECLARE_FINAL_TYPE (CbPolicy, cb_policy, CB, POLICY, GObject)

/* bringYourOwnRoot.status values */
/* A credential holds one policy in the certificate-management preview [DOC]. */
#define CB_ADR_MAX_POLICIES_PER_CREDENTIAL       1

#define CB_POLICY_BYOR_PENDING_ACTIVATION        "PendingActivation"
#define CB_POLICY_BYOR_ACTIVE                    "Active"
#define CB_POLICY_BYOR_ACTIVE_PENDING_RENEWAL    "ActiveButPendingRenewal"

/* An ADR credential policy (an issuing CA under the namespace root or a BYOR root). */
CbPolicy   *cb_policy_new_from_json         (JsonNode  *node,
                                             GError   **error);

const char *cb_policy_get_id                (CbPolicy  *self);
const char *cb_policy_get_name              (CbPolicy  *self);
const char *cb_policy_get_namespace         (CbPolicy  *self);
const char *cb_policy_get_provisioning_state (CbPolicy *self);
const char *cb_policy_get_key_type          (CbPolicy  *self);
const char *cb_policy_get_ca_subject        (CbPolicy  *self);
gint64      cb_policy_get_ca_not_before     (CbPolicy  *self);
gint64      cb_policy_get_ca_not_after      (CbPolicy  *self);
guint       cb_policy_get_validity_days     (CbPolicy  *self);
gboolean    cb_policy_get_byor_enabled      (CbPolicy  *self);
const char *cb_policy_get_byor_status       (CbPolicy  *self);
const char *cb_policy_get_byor_csr          (CbPolicy  *self);
const char *cb_policy_get_byor_thumbprint   (CbPolicy  *self);

/* The 2026-11-01 model: a certificate policy under an ICA
 * (namespaces/{ns}/certificateAuthorities/{ica}/certificatePolicies/{p}). Its issuing CA is
 * the ICA, given with cb_policy_set_certificate_authority() once known; the CA getters above
 * (subject, validity, key type, and the BYOR ones for an External ICA) then read the ICA, so
 * the pages show both models' policies the same way. */
CbPolicy   *cb_policy_new_from_certificate_policy_json (JsonNode  *node,
                                                        GError   **error);
void        cb_policy_set_certificate_authority (CbPolicy               *self,
                                                 CbCertificateAuthority *ca);
/* Returns: (transfer none) (nullable): the ICA, NULL in the preview model */
CbCertificateAuthority *cb_policy_get_certificate_authority (CbPolicy *self);

G_END_DECLS
