/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * CbSmpError:
 * @CB_SMP_ERROR_FAILED: anything else
 * @CB_SMP_ERROR_GENERIC_RC: the device answered `{"rc": N}` (generic SMP code, v1 or v2)
 * @CB_SMP_ERROR_GROUP_RC: the device answered `{"err": {"group": G, "rc": RC}}` (SMP v2)
 * @CB_SMP_ERROR_TIMEOUT: no matching response within the timeout, after any retries
 * @CB_SMP_ERROR_PROTOCOL: the response is malformed (not a CBOR map, wrong type)
 * @CB_SMP_ERROR_TOO_LARGE: the request does not fit in the device's buffer
 *
 * Device errors carry the group and rc (cb_smp_error_get_group/_rc). A vanished device is
 * G_IO_ERROR_BROKEN_PIPE from the port, a closed one G_IO_ERROR_CLOSED.
 */
typedef enum
{
  CB_SMP_ERROR_FAILED,
  CB_SMP_ERROR_GENERIC_RC,
  CB_SMP_ERROR_GROUP_RC,
  CB_SMP_ERROR_TIMEOUT,
  CB_SMP_ERROR_PROTOCOL,
  CB_SMP_ERROR_TOO_LARGE,
} CbSmpError;

#define CB_SMP_ERROR (cb_smp_error_quark ())
GQuark  cb_smp_error_quark      (void);
/* The group of the failed request (for GROUP_RC: the group the device named). */
guint   cb_smp_error_get_group  (const GError *error);
/* The device's rc (generic SMP code for GENERIC_RC, group code for GROUP_RC), 0 otherwise. */
int     cb_smp_error_get_rc     (const GError *error);
guint   cb_smp_error_get_command (const GError *error);

G_END_DECLS
