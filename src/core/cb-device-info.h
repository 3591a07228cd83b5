/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* CbDeviceInfo: the answer to `info`. */

#define CB_TYPE_DEVICE_INFO (cb_device_info_get_type ())
G_DECLARE_FINAL_TYPE (CbDeviceInfo, cb_device_info, CB, DEVICE_INFO, GObject)

const char         *cb_device_info_get_serial           (CbDeviceInfo *self);
const char         *cb_device_info_get_model            (CbDeviceInfo *self);
const char         *cb_device_info_get_firmware         (CbDeviceInfo *self);
guint               cb_device_info_get_protocol_version (CbDeviceInfo *self);
/* e.g. { "p256", "p384", NULL } */
const char * const *cb_device_info_get_key_types        (CbDeviceInfo *self);
gboolean            cb_device_info_supports_key_type    (CbDeviceInfo *self,
                                                         const char   *key_type);
/* Type of the current key, NULL when the device has none. */
const char         *cb_device_info_get_key_type         (CbDeviceInfo *self);
gboolean            cb_device_info_get_has_next_key     (CbDeviceInfo *self);
guint               cb_device_info_get_frame_size       (CbDeviceInfo *self);
guint               cb_device_info_get_buffer_size      (CbDeviceInfo *self);
guint               cb_device_info_get_slot_size        (CbDeviceInfo *self);
guint               cb_device_info_get_slots            (CbDeviceInfo *self);
gboolean            cb_device_info_get_has_active_chain (CbDeviceInfo *self);
guint               cb_device_info_get_staged_bytes     (CbDeviceInfo *self);

/* The facts the device's driver reports, by name: always "serial", "model", "firmware" (when
 * known); a driver adds its own ("imei", "uuid", "modem_uuid"...). NULL when not reported. */
const char         *cb_device_info_get_fact             (CbDeviceInfo *self,
                                                         const char   *name);
/* The facts' names, sorted. Returns: (transfer full) */
char              **cb_device_info_dup_fact_names       (CbDeviceInfo *self);

/* For drivers other than the bench group's: an info with what the device said. key_types:
 * the key types it makes ({ "p256", NULL }). The serial, model and firmware become facts. */
CbDeviceInfo       *cb_device_info_new                  (const char         *serial,
                                                         const char         *model,
                                                         const char         *firmware,
                                                         const char * const *key_types);
/* While the driver builds it (before handing it out). */
void                cb_device_info_set_fact             (CbDeviceInfo *self,
                                                         const char   *name,
                                                         const char   *value);
void                cb_device_info_set_key_type         (CbDeviceInfo *self,
                                                         const char   *key_type);
void                cb_device_info_set_has_active_chain (CbDeviceInfo *self,
                                                         gboolean      has_active_chain);

G_END_DECLS
