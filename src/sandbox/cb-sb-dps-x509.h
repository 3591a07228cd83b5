/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* DPS individual enrollments attested by X.509: the attestation as the service API takes it
 * (`{"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": "<PEM or
 * base64 DER>"}, "secondary": …}}}`), as it shows it (each certificate's `info`: subject,
 * thumbprints, issuer, dates, serial, version), and the device's certificate from its TLS
 * handshake matched against it. The attestation is kept in the enrollment's `extra` as
 * "attestation", certificates as base64 DER. The device's check is cb-sb-dps-register.c's. */

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-sb-dps-store.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/* The attestation to keep: (transfer full) its normalized copy, or NULL with a message for
 * 400301 in error_text (transfer full). */
JsonObject     *cb_sb_dps_x509_attestation_parse  (JsonObject        *attestation,
                                                   char             **error_text);
/* Whether e is attested by X.509. */
gboolean        cb_sb_dps_x509_is_x509            (CbSbEnrollment    *e);
/* Adds "attestation" for an X.509 enrollment as the service API shows it. */
void            cb_sb_dps_x509_add_attestation    (JsonBuilder       *b,
                                                   CbSbEnrollment    *e);
/* One certificate as DPS describes it (X509CertificateInfo: subjectName, sha1Thumbprint,
 * sha256Thumbprint, issuerName, notBeforeUtc, notAfterUtc, serialNumber, version), as an
 * object value (the member name is the caller's). */
void            cb_sb_dps_x509_add_certificate_info (JsonBuilder     *b,
                                                     CbCertificate   *cert);
/* Whether presented is e's primary or secondary certificate (the same DER). */
gboolean        cb_sb_dps_x509_matches            (CbSbEnrollment    *e,
                                                   CbCertificate     *presented);

/* ---- Enrollment groups (cb-sb-dps-x509-groups.c) ----------------------------------------
 * A group's attestation names its signing CAs: {"type": "x509", "x509": {"signingCertificates":
 * {"primary": {"certificate": "<PEM or base64 DER>"}, "secondary": …}}}, kept as base64 DER,
 * or {"x509": {"caReferences": {"primary": "<certificate name>", "secondary": …}}}, names of
 * the DPS instance's certificates (cb-sb-dps-ca-store.h), which must be verified to count. */

/* The group attestation to keep: (transfer full), or NULL with a message for 400301. */
JsonObject     *cb_sb_dps_x509_group_attestation_parse (JsonObject  *attestation,
                                                        char       **error_text);
/* The certificate names of a group's caReferences (transfer container), maybe empty. */
GPtrArray      *cb_sb_dps_x509_group_ca_references     (CbSbEnrollment *group);
/* The presented chain of a TLS peer: its certificate, then the issuers it sent (transfer
 * full, CbCertificate, leaf first; empty when none can be read). */
GPtrArray      *cb_sb_dps_x509_chain_from_tls          (GTlsCertificate *peer);
/* The enrollment a device's presented chain (leaf first, the leaf already checked for its
 * name and validity) belongs to: the X.509 individual enrollment of registration_id when there
 * is one, else the X.509 enrollment group (enabled ones first) one of whose signing CAs issued
 * the chain: a signing certificate, or a referenced DPS certificate that is verified. NULL with
 * the reason in reason (transfer full; unknown certificate, unverified or deleted CA, no
 * matching group), which DPS answers with 401002 (cb_sb_dps_authenticate_certificate()). */
CbSbEnrollment *cb_sb_dps_x509_find_enrollment         (CbSandbox       *self,
                                                        CbSbDpsInstance *dps,
                                                        const char      *registration_id,
                                                        GPtrArray       *chain,
                                                        char           **reason);

/* What a registration by certificate keeps for its registration state's "x509"
 * (X509RegistrationResult, device.json of the DPS device API): {"certificateInfo": the leaf
 * the device presented, "signingCertificateInfo": the group's signing CA that issued it (a
 * group's registration only)} as JSON text (transfer full); NULL when peer is NULL. The
 * enrollmentGroupId is the registration's own. */
char           *cb_sb_dps_x509_registration_info       (CbSandbox       *self,
                                                        CbSbDpsInstance *dps,
                                                        CbSbEnrollment  *enrollment,
                                                        GTlsCertificate *peer);

G_END_DECLS
