/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CB_TYPE_CERTIFICATE_AUTHORITY (cb_certificate_authority_get_type ())

G_DECLARE_FINAL_TYPE (CbCertificateAuthority, cb_certificate_authority, CB, CERTIFICATE_AUTHORITY,
                      GObject)

typedef enum
{
  CB_CA_KIND_ROOT,
  CB_CA_KIND_INTERMEDIATE,
} CbCaKind;

typedef enum
{
  CB_CA_ISSUER_NONE,        /* a root: it issues itself */
  CB_CA_ISSUER_MICROSOFT,   /* an ICA signed by a root of the same namespace */
  CB_CA_ISSUER_EXTERNAL,    /* an ICA signed by the customer's CA, activated with its chain */
} CbCaIssuer;

/* An External ICA's issuer.status values. */
#define CB_CA_STATUS_PENDING_ACTIVATION        "PendingActivation"
#define CB_CA_STATUS_ACTIVE                    "Active"
#define CB_CA_STATUS_ACTIVE_PENDING_RENEWAL    "ActiveButPendingRenewal"

/* One certificate authority of an ADR namespace in the 2026-11-01 model
 * (Microsoft.DeviceRegistry/namespaces/certificateAuthorities). */
CbCertificateAuthority *cb_certificate_authority_new_from_json (JsonNode  *node,
                                                                GError   **error);

const char *cb_certificate_authority_get_id                 (CbCertificateAuthority *self);
const char *cb_certificate_authority_get_name               (CbCertificateAuthority *self);
const char *cb_certificate_authority_get_namespace          (CbCertificateAuthority *self);
const char *cb_certificate_authority_get_provisioning_state (CbCertificateAuthority *self);
CbCaKind    cb_certificate_authority_get_kind               (CbCertificateAuthority *self);
CbCaIssuer  cb_certificate_authority_get_issuer             (CbCertificateAuthority *self);
/* A Microsoft-issued ICA's root (its ARM id), else NULL. */
const char *cb_certificate_authority_get_issuer_ca_id       (CbCertificateAuthority *self);
const char *cb_certificate_authority_get_key_type           (CbCertificateAuthority *self);
const char *cb_certificate_authority_get_uuid               (CbCertificateAuthority *self);
const char *cb_certificate_authority_get_subject            (CbCertificateAuthority *self);
/* Unix seconds; 0 while unknown (an External ICA before activation). */
gint64      cb_certificate_authority_get_not_before         (CbCertificateAuthority *self);
gint64      cb_certificate_authority_get_not_after          (CbCertificateAuthority *self);
/* An External ICA's CSR (PEM), thumbprint and status; NULL for the others. */
const char *cb_certificate_authority_get_csr                (CbCertificateAuthority *self);
const char *cb_certificate_authority_get_thumbprint         (CbCertificateAuthority *self);
const char *cb_certificate_authority_get_status             (CbCertificateAuthority *self);
/* TRUE when leaves can be issued under it now: an ICA that is Microsoft-issued or an active
 * External one, provisioned. */
gboolean    cb_certificate_authority_can_issue              (CbCertificateAuthority *self);

G_END_DECLS
