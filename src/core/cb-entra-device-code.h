/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * CbEntraDeviceCode:
 *
 * What a UI shows while the user signs in elsewhere: the code, the link and Entra's own
 * message. Also carries the device code the client polls with (never shown, never logged).
 */
#define CB_TYPE_ENTRA_DEVICE_CODE (cb_entra_device_code_get_type ())
G_DECLARE_FINAL_TYPE (CbEntraDeviceCode, cb_entra_device_code, CB, ENTRA_DEVICE_CODE, GObject)

const char *cb_entra_device_code_get_user_code        (CbEntraDeviceCode *self);
const char *cb_entra_device_code_get_verification_uri (CbEntraDeviceCode *self);
const char *cb_entra_device_code_get_message          (CbEntraDeviceCode *self);
guint       cb_entra_device_code_get_interval         (CbEntraDeviceCode *self);
/* Unix seconds after which the code is no longer valid. */
gint64      cb_entra_device_code_get_expires_at       (CbEntraDeviceCode *self);

G_END_DECLS
