/* SPDX-License-Identifier: GPL-3.0-or-later */
/* X.509 certificates and CSRs (src/core/cb-x509.c, cb-pki.c) as they arrive from a device
 * (DER chains, CSRs), a service (PEM, base64 in JSON) or a user's file. */
#include <glib.h>

#include "cb-csr.h"
#include "cb-pki.h"
#include "cb-x509-chain.h"
#include "cb-x509.h"
#include "fuzz-harness.h"

static void
look_at_certificate (CbCertificate *cert)
{
  g_autoptr(GBytes) spki = cb_certificate_get_public_key_der (cert);
  g_autoptr(GBytes) key_id = spki != NULL ? cb_pki_key_id_from_spki (spki) : NULL;
  g_autofree char *pem = cb_certificate_to_pem (cert);

  (void) cb_certificate_get_key_type (cert);
  (void) cb_certificate_is_ca (cert);
  (void) cb_certificate_is_issued_by (cert, cert);
}

static void
look_at_csr (CbCsr *csr)
{
  g_autoptr(GBytes) spki = cb_csr_get_public_key_der (csr);
  g_autoptr(GError) error = NULL;

  (void) cb_csr_get_key_type (csr);
  (void) cb_csr_verify_signature (csr, &error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) der = g_bytes_new (data, size);
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(GError) e3 = NULL;
  g_autoptr(GError) e4 = NULL;
  g_autoptr(GError) e5 = NULL;
  g_autoptr(GError) e6 = NULL;
  g_autoptr(CbCertificate) from_der = cb_certificate_new_from_der (der, &e1);
  g_autoptr(CbCertificate) from_pem = cb_certificate_new_from_pem (text, -1, &e2);
  g_autoptr(CbCertificate) from_text = cb_certificate_new_from_text (text);
  g_autoptr(GPtrArray) list = cb_certificate_list_new_from_data (data, size, &e3);
  g_autoptr(CbCsr) csr_der = cb_csr_new_from_der (der, &e4);
  g_autoptr(CbCsr) csr_pem = cb_csr_new_from_pem (text, -1, &e5);
  g_autoptr(CbCsr) csr_b64 = cb_csr_new_from_base64 (text, &e6);

  if (from_der != NULL)
    look_at_certificate (from_der);
  if (from_pem != NULL)
    look_at_certificate (from_pem);
  if (from_text != NULL)
    look_at_certificate (from_text);
  if (list != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *pem = cb_certificate_list_to_pem (list);

      (void) cb_x509_verify_chain (list, list, 0, &error);
    }
  if (csr_der != NULL)
    look_at_csr (csr_der);
  if (csr_pem != NULL)
    look_at_csr (csr_pem);
  if (csr_b64 != NULL)
    look_at_csr (csr_b64);

  (void) cb_pki_key_type_from_spki (der);
  return 0;
}
