/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gnutls/abstract.h>

#include "cb-pki.h"

G_BEGIN_DECLS

/* Private to core's crypto files (cb-pki.c, cb-x509.c, cb-x509-encoding.c, cb-csr.c): the same
 * checks as cb_pki_key_type_from_spki() and cb_pki_verify_signature(), on a key already parsed
 * (a certificate's or a request's), so a key is imported once however often it is used. */

CbKeyType  cb_pki_key_type_from_pubkey        (gnutls_pubkey_t  pub);
/* The EC key type of a DER SubjectPublicKeyInfo that is exactly the form GnuTLS exports (named
 * curve, uncompressed point of the curve's size), CB_KEY_TYPE_UNKNOWN for any other bytes, valid
 * or not. Such bytes are what GnuTLS would export again for the key it imports from them. */
CbKeyType  cb_pki_key_type_from_ec_spki       (const guint8    *data,
                                                gsize            len);
gboolean   cb_pki_verify_signature_with_pubkey (gnutls_pubkey_t  pub,
                                                const guint8    *data,
                                                gsize            len,
                                                GBytes          *signature,
                                                GError         **error);

G_END_DECLS
