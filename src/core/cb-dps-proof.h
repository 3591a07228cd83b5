/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The proof-of-possession certificate DPS asks of a signing CA: subject CN = the verification
 * code, signed by the CA's private key, valid for a day from now (an hour back for clock
 * skew). ca_pem is the CA certificate (PEM, or base64 DER as the service shows it), ca_key_pem
 * its private key (PEM, as the user keeps it: used for this signature and dropped, never
 * stored). The certificate's own key is made and
 * dropped too. Returns the PEM, or NULL with CB_PKI_ERROR_INVALID_KEY when the key is not the
 * CA's, CB_PKI_ERROR_INVALID_INPUT when a PEM cannot be read or the code is not one. */
char     *cb_dps_proof_certificate_new (const char  *ca_pem,
                                        const char  *ca_key_pem,
                                        const char  *code,
                                        GError     **error);

G_END_DECLS
