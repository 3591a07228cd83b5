/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "cb-pki.h"
#include "cb-x509-error.h"

G_BEGIN_DECLS

/* Certificate signing requests (PKCS#10). */

#define CB_TYPE_CSR (cb_csr_get_type ())
G_DECLARE_FINAL_TYPE (CbCsr, cb_csr, CB, CSR, GObject)

/* DER, PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST"). */
CbCsr         *cb_csr_new_from_der                (GBytes         *der,
                                                   GError        **error);
CbCsr         *cb_csr_new_from_pem                (const char     *pem,
                                                   gssize          len,
                                                   GError        **error);
/* Base64 DER without armour, as DPS and the hub receive it (whitespace is ignored). */
CbCsr         *cb_csr_new_from_base64             (const char     *base64,
                                                   GError        **error);
GBytes        *cb_csr_get_der                     (CbCsr          *self);
const char    *cb_csr_get_subject                 (CbCsr          *self);
const char    *cb_csr_get_common_name             (CbCsr          *self);
CbKeyType      cb_csr_get_key_type                (CbCsr          *self);
GBytes        *cb_csr_get_public_key_der          (CbCsr          *self);
gboolean       cb_csr_verify_signature            (CbCsr          *self,
                                                   GError        **error);
/* The checks DPS and the station make: the signature verifies, the key is EC P-256 or
 * P-384 (CB_X509_ERROR_UNSUPPORTED_KEY otherwise), the CN equals expected_cn exactly
 * (CB_X509_ERROR_WRONG_NAME), and, when expected_public_key_der is not NULL, the key equals
 * it (CB_X509_ERROR_WRONG_KEY). */
gboolean       cb_csr_check                       (CbCsr          *self,
                                                   const char     *expected_cn,
                                                   GBytes         *expected_public_key_der,
                                                   GError        **error);

G_END_DECLS
