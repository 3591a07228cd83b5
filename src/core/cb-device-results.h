/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The plain results a device driver (cb-device-driver.h) hands back where the bench group's
 * own (cb-bench-results.h) do not fit every device: a CSR with its attestation, a read-back
 * that says what it compared, a signed challenge with the bytes that were signed. */

typedef struct
{
  GBytes *der;            /* PKCS#10, DER */
  GBytes *attestation;    /* (nullable) what the device gives beside it (nRF91: COSE_Sign1) */
} CbDeviceCsr;

CbDeviceCsr *cb_device_csr_new  (GBytes      *der,
                                 GBytes      *attestation);
void         cb_device_csr_free (CbDeviceCsr *csr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbDeviceCsr, cb_device_csr_free)

/* What a read-back compared. */
typedef enum
{
  CB_DEVICE_COMPARE_BYTES,    /* the chain's bytes as read from the device */
  CB_DEVICE_COMPARE_DIGESTS,  /* SHA-256 digests the device reports of what it stores */
} CbDeviceCompare;

typedef struct
{
  CbDeviceCompare compared;
  gboolean        matches;
  GBytes         *chain_der;  /* BYTES: the active chain read (DER, leaf first); else NULL */
  guint           n_items;    /* DIGESTS: how many stored items were compared */
  char           *detail;     /* (nullable) for people: "3 SHA-256 digests equal", or what
                               * differs ("the client certificate's digest differs") */
} CbDeviceReadBack;

void cb_device_read_back_free (CbDeviceReadBack *read_back);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbDeviceReadBack, cb_device_read_back_free)

typedef struct
{
  GBytes *signed_data;    /* the exact bytes the device signed (from the challenge) */
  GBytes *signature;      /* DER ECDSA-Sig-Value over signed_data */
  char   *algorithm;      /* (nullable) "ecdsa-sha256", "ecdsa-sha384" */
} CbDevicePossession;

void cb_device_possession_free (CbDevicePossession *possession);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbDevicePossession, cb_device_possession_free)

G_END_DECLS
