/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-port-monitor.h"

G_BEGIN_DECLS

/* CbUdevPortMonitor: CbPortMonitor fed with USB serial ports from libgudev (enumeration, then
 * hotplug events). */

#define CB_TYPE_UDEV_PORT_MONITOR (cb_udev_port_monitor_get_type ())
G_DECLARE_FINAL_TYPE (CbUdevPortMonitor, cb_udev_port_monitor, CB, UDEV_PORT_MONITOR, CbPortMonitor)

/* Without a udev daemon (containers, CI) enumeration still works from sysfs and hotplug events
 * simply never arrive. */
CbPortMonitor    *cb_udev_port_monitor_new              (void);

G_END_DECLS
