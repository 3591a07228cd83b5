/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* DPS individual enrollments attested by X.509: the attestation as the service API takes it
 * (`{"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": "<PEM or
 * base64 DER>"}, "secondary": …}}}`), as it shows it (each certificate's `info`: subject,
 * thumbprints, issuer, dates, serial, version), and the device's certificate from its TLS
 * handshake checked against it. The attestation is kept in the enrollment's `extra` as
 * "attestation", certificates as base64 DER. */

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-sb-dps-store.h"
#include "cb-sb-world.h"

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
/* The individual enrollment registration_id whose primary or secondary certificate is the
 * one the device presented in its TLS handshake, enabled or not; NULL with 401002 when the
 * certificate is of no X.509 enrollment of that registration id, its CN is not the
 * registration id, or it is outside its validity at now (Unix seconds). */
CbSbEnrollment *cb_sb_dps_x509_authenticate       (CbSandbox         *self,
                                                   CbSbDpsInstance   *dps,
                                                   const char        *registration_id,
                                                   GTlsCertificate   *peer,
                                                   gint64             now,
                                                   GError           **error);

G_END_DECLS
