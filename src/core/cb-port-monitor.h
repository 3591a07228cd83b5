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

/* CbPortMonitor: the ports the station can use, as a GListModel of CbSerialPortInfo sorted by
 * path, plus `port-added` and `port-removed`. The base class is fed by hand (tests, and the
 * app's virtual device); CbUdevPortMonitor adds USB ports from libgudev on top. */

#define CB_TYPE_PORT_MONITOR (cb_port_monitor_get_type ())
G_DECLARE_DERIVABLE_TYPE (CbPortMonitor, cb_port_monitor, CB, PORT_MONITOR, GObject)

struct _CbPortMonitorClass
{
  GObjectClass parent_class;

  /* Backends fill the list here; the base class does nothing. */
  void (*start) (CbPortMonitor *self);

  gpointer padding[7];
};

CbPortMonitor    *cb_port_monitor_new                   (void);
/* Starts the backend (enumerates existing ports, then listens for hotplug). Idempotent. */
void              cb_port_monitor_start                 (CbPortMonitor    *self);
/* Returns: (transfer none): a GListModel of CbSerialPortInfo */
GListModel       *cb_port_monitor_get_ports             (CbPortMonitor    *self);
/* Returns: (transfer none) (nullable) */
CbSerialPortInfo *cb_port_monitor_lookup                (CbPortMonitor    *self,
                                                         const char       *path);
/* Adds or, for a known path, replaces (removed then added). */
void              cb_port_monitor_add_port              (CbPortMonitor    *self,
                                                         CbSerialPortInfo *info);
/* Returns TRUE when the path was listed. */
gboolean          cb_port_monitor_remove_port           (CbPortMonitor    *self,
                                                         const char       *path);

#define CB_TYPE_UDEV_PORT_MONITOR (cb_udev_port_monitor_get_type ())
G_DECLARE_FINAL_TYPE (CbUdevPortMonitor, cb_udev_port_monitor, CB, UDEV_PORT_MONITOR, CbPortMonitor)

/* Without a udev daemon (containers, CI) enumeration still works from sysfs and hotplug events
 * simply never arrive. */
CbPortMonitor    *cb_udev_port_monitor_new              (void);

G_END_DECLS
