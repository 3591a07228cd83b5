/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gnutls/abstract.h>

#include "cb-pki.h"

G_BEGIN_DECLS

/* Private to core's crypto files (cb-pki.c, cb-x509.c, cb-csr.c): the same checks as
 * cb_pki_key_type_from_spki() and cb_pki_verify_signature(), on a key already parsed (a
 * certificate's or a request's), so a key is imported once however often it is used. */

CbKeyType  cb_pki_key_type_from_pubkey        (gnutls_pubkey_t  pub);
gboolean   cb_pki_verify_signature_with_pubkey (gnutls_pubkey_t  pub,
                                                const guint8    *data,
                                                gsize            len,
                                                GBytes          *signature,
                                                GError         **error);

G_END_DECLS
