/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* DPS individual enrollments attested by X.509: the attestation as the service API takes it
 * (`{"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": "<PEM or
 * base64 DER>"}, "secondary": …}}}`), as it shows it (each certificate's `info`: subject,
 * thumbprints, issuer, dates, serial, version), and the device's certificate from its TLS
 * handshake matched against it. The attestation is kept in the enrollment's `extra` as
 * "attestation", certificates as base64 DER. The device's check is cb-sb-dps-register.c's. */

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
/* Whether presented is e's primary or secondary certificate (the same DER). */
gboolean        cb_sb_dps_x509_matches            (CbSbEnrollment    *e,
                                                   CbCertificate     *presented);

G_END_DECLS
