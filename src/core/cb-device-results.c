/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-driver"

/* The plain results of device drivers (a CSR with its attestation, a read-back, a signed
 * challenge) and their free functions. */

#include "config.h"

#include "cb-device-results.h"

CbDeviceCsr *
cb_device_csr_new (GBytes *der,
                   GBytes *attestation)
{
  CbDeviceCsr *csr = g_new0 (CbDeviceCsr, 1);

  csr->der = der != NULL ? g_bytes_ref (der) : NULL;
  csr->attestation = attestation != NULL ? g_bytes_ref (attestation) : NULL;
  return csr;
}

void
cb_device_csr_free (CbDeviceCsr *csr)
{
  if (csr == NULL)
    return;
  g_clear_pointer (&csr->der, g_bytes_unref);
  g_clear_pointer (&csr->attestation, g_bytes_unref);
  g_free (csr);
}

void
cb_device_read_back_free (CbDeviceReadBack *read_back)
{
  if (read_back == NULL)
    return;
  g_clear_pointer (&read_back->chain_der, g_bytes_unref);
  g_free (read_back->detail);
  g_free (read_back);
}

void
cb_device_possession_free (CbDevicePossession *possession)
{
  if (possession == NULL)
    return;
  g_clear_pointer (&possession->signed_data, g_bytes_unref);
  g_clear_pointer (&possession->signature, g_bytes_unref);
  g_free (possession->algorithm);
  g_free (possession);
}
