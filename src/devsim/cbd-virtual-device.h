/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-port-monitor.h"

G_BEGIN_DECLS

/* The Virtual device: the devsim's device side on a pty inside the app, so a new user has
 * something to provision without hardware. Its state (serial, keys, certificate slots) lives in
 * a folder of its own and survives restarts; it shows in a CbPortMonitor as a virtual port. */

#define CB_TYPE_VIRTUAL_DEVICE (cb_virtual_device_get_type ())
G_DECLARE_FINAL_TYPE (CbVirtualDevice, cb_virtual_device, CB, VIRTUAL_DEVICE, GObject)

/* Protocol faults the device can be told to make, to show (and test) what a failing run
 * looks like. */
typedef enum
{
  CB_VIRTUAL_DEVICE_FAULT_NONE          = 0,
  CB_VIRTUAL_DEVICE_FAULT_WRONG_CN      = 1 << 0,   /* the CSR names someone else */
  CB_VIRTUAL_DEVICE_FAULT_REFUSE_COMMIT = 1 << 1,   /* cert_commit always says no */
} CbVirtualDeviceFaults;

/* What the Virtual device is (issue 15): a Certbench bench device (SMP) or a simulated Nordic
 * nRF91 modem (AT commands, docs/devices.md). */
typedef enum
{
  CB_VIRTUAL_DEVICE_SMP,
  CB_VIRTUAL_DEVICE_NRF91,
} CbVirtualDeviceKind;

/* "smp" or "nrf91" (the names of the "virtual-device" setting); SMP for anything else. */
CbVirtualDeviceKind cb_virtual_device_kind_from_string (const char *name);

/* $XDG_DATA_HOME/certbench/virtual-device */
char            *cb_virtual_device_dup_default_state_dir (void);

/* Opens the pty and loads (or makes) the device state in state_dir (created 0700). The device
 * serves on the thread-default main context of the caller, which must be the default one (the
 * devsim host uses it). chatter_ms > 0 makes the device print a log line that often. */
CbVirtualDevice *cb_virtual_device_new          (const char      *state_dir,
                                                 guint            chatter_ms,
                                                 GError         **error);
CbVirtualDevice *cb_virtual_device_new_with_faults (const char            *state_dir,
                                                    guint                  chatter_ms,
                                                    CbVirtualDeviceFaults  faults,
                                                    GError               **error);
/* A Virtual device of that kind. Each kind keeps its own state: give each its own state_dir
 * (the app uses "virtual-device" and "virtual-modem"). An nRF91 modem starts in functional
 * mode 0 and its serial is its IMEI. */
CbVirtualDevice *cb_virtual_device_new_kind     (const char            *state_dir,
                                                 guint                  chatter_ms,
                                                 CbVirtualDeviceKind    kind,
                                                 GError               **error);
CbVirtualDeviceKind cb_virtual_device_get_kind  (CbVirtualDevice *self);
void             cb_virtual_device_follow_clock (CbVirtualDevice *self,
                                                 const char      *clock_url,
                                                 const char      *ca_file);
const char      *cb_virtual_device_get_path     (CbVirtualDevice *self);
const char      *cb_virtual_device_get_serial   (CbVirtualDevice *self);
const char      *cb_virtual_device_get_state_dir (CbVirtualDevice *self);
/* Lists the device in monitor (and takes it out again when the device goes or another monitor
 * is set). monitor may be NULL. */
void             cb_virtual_device_set_monitor  (CbVirtualDevice *self,
                                                 CbPortMonitor   *monitor);

G_END_DECLS
