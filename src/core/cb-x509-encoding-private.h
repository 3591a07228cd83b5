/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Private to the X.509 files (cb-x509.c, cb-x509-encoding.c, cb-csr.c): the DER and PEM
 * helpers they share (cb-x509-encoding.c). */

#include <glib.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "cb-pki.h"

G_BEGIN_DECLS

typedef gnutls_pubkey_t CbX509Pubkey;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CbX509Pubkey, gnutls_pubkey_deinit, NULL)

typedef enum
{
  CB_X509_PEM_BLOCK,
  CB_X509_PEM_NONE,
  CB_X509_PEM_ERROR,
} CbX509PemResult;

/* Whether data is one complete DER SEQUENCE; reason says why not. */
gboolean         cb_x509_der_check_sequence   (const guint8    *data,
                                               gsize            size,
                                               char           **reason);
/* The to-be-signed part and the signature of a signed DER structure (certificate or CSR). */
gboolean         cb_x509_der_split_signed     (GBytes          *der,
                                               gnutls_datum_t  *tbs,
                                               gnutls_datum_t  *signature);
char            *cb_x509_pem_encode           (const char      *label,
                                               GBytes          *der);
/* The next PEM block between *pos and end: its label and DER. */
CbX509PemResult  cb_x509_pem_next_block       (const char     **pos,
                                               const char      *end,
                                               const char      *what,
                                               char           **label,
                                               GBytes         **der,
                                               GError         **error);
gboolean         cb_x509_is_certificate_label (const char      *label);
gboolean         cb_x509_is_csr_label         (const char      *label);
gboolean         cb_x509_is_blank             (const guint8    *data,
                                               gsize            len);
gboolean         cb_x509_looks_like_pem       (const guint8    *data,
                                               gsize            len);
char            *cb_x509_hex_string           (const guint8    *data,
                                               gsize            len,
                                               gboolean         upper,
                                               char             separator);
char            *cb_x509_checksum_fingerprint (GChecksumType    type,
                                               GBytes          *der);
GBytes          *cb_x509_pubkey_export        (gnutls_pubkey_t  pub);
/* Imports into pub (just initialised) the key of the certificate der, parsed as crt, or of the
 * request der, parsed as crq (crt then NULL), with no key usage, and gives its DER
 * SubjectPublicKeyInfo (the bytes cb_x509_pubkey_export() gives) and its type. A GnuTLS error
 * code when the key cannot be read, 0 otherwise. */
int              cb_x509_import_key           (GBytes             *der,
                                               gnutls_x509_crt_t   crt,
                                               gnutls_x509_crq_t   crq,
                                               gnutls_pubkey_t     pub,
                                               GBytes            **spki,
                                               CbKeyType          *type);
/* Takes over datum->data (gnutls_free) and returns it as a string. */
char            *cb_x509_datum_to_string      (gnutls_datum_t  *datum);
/* Whether signed_der's signature verifies with the signer's public key (parsed once by the
 * certificate or request that holds it). */
gboolean         cb_x509_signature_verifies   (GBytes                  *signed_der,
                                               gnutls_sign_algorithm_t  algorithm,
                                               gnutls_pubkey_t          signer);
/* How many signatures cb_x509_signature_verifies() has checked in this process (tests count
 * what a cache spares). */
guint            cb_x509_signature_verify_count (void);

G_END_DECLS
