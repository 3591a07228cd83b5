/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DPS individual enrollments attested by a device's X.509 certificate
 * (cb-dps-enrollment-x509.c): the body to create one, and what the service shows of it. */
#pragma once

#include <json-glib/json-glib.h>

#include "cb-x509.h"

G_BEGIN_DECLS

/* What DPS read from an enrolled certificate (attestation.x509.clientCertificates.primary.info):
 * the strings point into the enrollment and live as long as it; times are Unix seconds, 0 when
 * the service did not say. Thumbprints are upper-case hex without separators, as DPS writes
 * them. */
typedef struct
{
  const char *subject;
  const char *issuer;
  const char *sha1_thumbprint;
  const char *sha256_thumbprint;
  gint64      not_before;
  gint64      not_after;
} CbDpsX509Info;

/* An individual enrollment of @registration_id attested by @certificate (sent as base64 DER in
 * x509.clientCertificates.primary), enabled, its device id the registration id. Only the
 * certificate goes: no key is ever part of it.
 * Returns: (transfer full) */
JsonObject *cb_dps_enrollment_new_x509        (const char     *registration_id,
                                               CbCertificate  *certificate);
/* The attestation's type as the service names it ("x509", "symmetricKey", "tpm"), or NULL. */
const char *cb_dps_enrollment_get_attestation_type (JsonObject *enrollment);
/* Fills @out from an X.509 enrollment as the service returned it. FALSE when the enrollment is
 * not attested by a client certificate the service described. */
gboolean    cb_dps_enrollment_get_x509_info   (JsonObject     *enrollment,
                                               CbDpsX509Info  *out);
/* The SHA-256 thumbprints DPS shows for an X.509 enrollment's certificates, primary then
 * secondary, upper-case hex: an individual enrollment's client certificates, a group's signing
 * certificates. Empty when it shows none (a group naming its CA by reference).
 * Returns: (transfer full) (element-type utf8) */
GPtrArray  *cb_dps_enrollment_dup_x509_thumbprints (JsonObject  *enrollment);
/* A certificate's SHA-256 thumbprint as DPS writes it (upper-case hex, no colons).
 * Returns: (transfer full) */
char       *cb_dps_x509_thumbprint            (CbCertificate  *certificate);

G_END_DECLS
