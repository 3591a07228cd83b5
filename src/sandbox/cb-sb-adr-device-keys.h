/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the symmetric keys of registry devices' SymmetricKey authentication profiles
 * (2026-11-02-preview), table adr_device_keys (cb-sb-adr-device-keys.c), keyed by the device's
 * uuid, so a device deleted and made again under its name never finds the old keys. The keys
 * are secrets: only getKeys/listKeys answers carry them, nothing logs them. */

#include <glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

gboolean  cb_sb_adr_device_keys_init     (CbSandbox   *self,
                                          GError     **error);
/* Two new random keys (32 bytes, base64, as IoT Hub makes them) for the device. */
gboolean  cb_sb_adr_device_keys_generate (CbSandbox   *self,
                                          const char  *device_uuid,
                                          GError     **error);
/* The device's keys; FALSE when it has none. Either out argument may be NULL. */
gboolean  cb_sb_adr_device_keys          (CbSandbox   *self,
                                          const char  *device_uuid,
                                          char       **primary_key,
                                          char       **secondary_key);

G_END_DECLS
