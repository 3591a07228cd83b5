/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-serial-port.h"
#include "cb-port-monitor.h"

G_BEGIN_DECLS

/* A serial port on the bench: product, vendor, serial number and path, what the station is
 * doing on it, and a "Provision" button (action bench.provision with the port's path). */

typedef enum
{
  CB_PORT_ROW_IDLE,
  CB_PORT_ROW_RUNNING,
  CB_PORT_ROW_PASSED,
  CB_PORT_ROW_FAILED,
} CbPortRowState;

#define CB_TYPE_PORT_ROW (cb_port_row_get_type ())
G_DECLARE_FINAL_TYPE (CbPortRow, cb_port_row, CB, PORT_ROW, AdwActionRow)

GtkWidget        *cb_port_row_new       (CbSerialPortInfo *info);
CbSerialPortInfo *cb_port_row_get_info  (CbPortRow        *self);
const char       *cb_port_row_get_path  (CbPortRow        *self);
CbPortRowState    cb_port_row_get_state (CbPortRow        *self);
void              cb_port_row_set_state (CbPortRow        *self,
                                         CbPortRowState    state);

G_END_DECLS
