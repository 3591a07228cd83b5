/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The X.509 error domain: what every X.509 file (certificates, chains, signing requests, the
 * DER and PEM helpers) reports, kept below them all so none of them calls up for it. */

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  CB_X509_ERROR_FAILED,
  CB_X509_ERROR_PARSE,              /* not a certificate / CSR, truncated, bad PEM armour */
  CB_X509_ERROR_EMPTY,              /* no certificate in the input */
  CB_X509_ERROR_UNSUPPORTED_KEY,    /* RSA or an unknown curve where EC P-256/P-384 is needed */
  CB_X509_ERROR_BAD_SIGNATURE,      /* a signature does not verify */
  CB_X509_ERROR_WRONG_NAME,         /* CN differs from the expected one */
  CB_X509_ERROR_WRONG_KEY,          /* public key differs from the expected one */
  CB_X509_ERROR_EXPIRED,
  CB_X509_ERROR_NOT_YET_VALID,
  CB_X509_ERROR_UNKNOWN_ISSUER,     /* chain does not end at a given trust anchor */
  CB_X509_ERROR_NOT_A_CA,           /* an issuer lacks CA:TRUE or keyCertSign */
  CB_X509_ERROR_CHAIN_ORDER,        /* certificate i is not issued by certificate i+1 */
  CB_X509_ERROR_PATH_LENGTH,
  CB_X509_ERROR_INSECURE_ALGORITHM, /* SHA-1 or weaker */
} CbX509Error;

#define CB_X509_ERROR (cb_x509_error_quark ())
GQuark cb_x509_error_quark (void);

G_END_DECLS
