/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-serial-port-info.h"

G_BEGIN_DECLS

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
/* FALSE until the first scan is done: a port-added seen while it is FALSE is a port that was
 * already there (listed by the scan or by hand before it), not one plugged in. */
gboolean          cb_port_monitor_get_scanned           (CbPortMonitor    *self);
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

G_END_DECLS
