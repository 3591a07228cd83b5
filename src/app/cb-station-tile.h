/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "cb-port-row.h"
#include "cb-serial-port-info.h"

G_BEGIN_DECLS

/* One port on the Bench's board of tiles, big enough to read from across the bench: the
 * port's name, PASS / FAIL / Running / Ready in large type with an icon and a colour (never
 * the colour alone), the step the run is at or failed at, and the device's id. */

#define CB_TYPE_STATION_TILE (cb_station_tile_get_type ())
G_DECLARE_FINAL_TYPE (CbStationTile, cb_station_tile, CB, STATION_TILE, GtkFlowBoxChild)

GtkWidget      *cb_station_tile_new             (CbSerialPortInfo *info);
const char     *cb_station_tile_get_path        (CbStationTile    *self);
CbPortRowState  cb_station_tile_get_state       (CbStationTile    *self);
/* @step: the step's title, or NULL; @device: the device's id (its registration id or serial
 * number), or NULL. */
void            cb_station_tile_set_result      (CbStationTile    *self,
                                                 CbPortRowState    state,
                                                 const char       *step,
                                                 const char       *device);
/* What the tile shows, for tests: "PASS", "FAIL", "Running", "Ready"; the step line; the
 * device line. */
const char     *cb_station_tile_get_state_text  (CbStationTile    *self);
const char     *cb_station_tile_get_step_text   (CbStationTile    *self);
const char     *cb_station_tile_get_device_text (CbStationTile    *self);

G_END_DECLS
