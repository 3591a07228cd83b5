/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* CbSerialPortInfo: one serial port as the station lists it. Immutable once built. */

#define CB_TYPE_SERIAL_PORT_INFO (cb_serial_port_info_get_type ())
G_DECLARE_FINAL_TYPE (CbSerialPortInfo, cb_serial_port_info, CB, SERIAL_PORT_INFO, GObject)

CbSerialPortInfo *cb_serial_port_info_new               (const char       *path,
                                                         guint             vendor_id,
                                                         guint             product_id,
                                                         const char       *vendor_name,
                                                         const char       *product_name,
                                                         const char       *serial_number,
                                                         gboolean          is_virtual);
/* Maps udev properties (and, when the udev database is empty because no daemon ran, the USB
 * parent's sysfs attributes idVendor, idProduct, manufacturer, product, serial) to an info.
 * props maps property name -> value; usb_attrs may be NULL. Returns NULL when the device is
 * not on USB (no usb_attrs and ID_BUS != "usb") or has no device file. */
CbSerialPortInfo *cb_serial_port_info_new_from_udev     (const char       *device_file,
                                                         GHashTable       *props,
                                                         GHashTable       *usb_attrs);
const char       *cb_serial_port_info_get_path          (CbSerialPortInfo *self);
guint             cb_serial_port_info_get_vendor_id     (CbSerialPortInfo *self);
guint             cb_serial_port_info_get_product_id    (CbSerialPortInfo *self);
const char       *cb_serial_port_info_get_vendor_name   (CbSerialPortInfo *self);
const char       *cb_serial_port_info_get_product_name  (CbSerialPortInfo *self);
const char       *cb_serial_port_info_get_serial_number (CbSerialPortInfo *self);
gboolean          cb_serial_port_info_get_is_virtual    (CbSerialPortInfo *self);
/* "Product (Vendor)" or the path when the port has no names; for lists and titles. */
char             *cb_serial_port_info_dup_display_name  (CbSerialPortInfo *self);

G_END_DECLS
