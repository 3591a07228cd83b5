/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-device-driver.h"
#include "cb-serial-port.h"

G_BEGIN_DECLS

/* The station's device drivers as a small table, and the port probe that finds which one a
 * device answers. A driver is one row (cb-device-drivers.c): its name ("smp", "nrf91"), a
 * title for people, which probe it answers (the SMP OS echo, or `AT` → `OK`), and its
 * constructor on an open port (NULL while the driver is not in this build: naming it is a
 * CB_DEVICE_DRIVER_ERROR_UNAVAILABLE error). "auto" names no driver: the probe decides. */

#define CB_DEVICE_DRIVER_AUTO "auto"

/* How long each probe waits for its answer by default. */
#define CB_DEVICE_PROBE_TIMEOUT_MS 800

/* The names a user may give (--driver, the per-port setting): "auto" and every row's name.
 * Returns: (transfer none) (array zero-terminated=1) */
const char * const *cb_device_drivers_list_names  (void);
/* TRUE for "auto" and every row's name (available or not). */
gboolean            cb_device_drivers_is_known    (const char    *name);
/* TRUE when the driver of that name is in this build. */
gboolean            cb_device_drivers_is_available (const char   *name);
/* "Certbench bench device (SMP)", "Nordic nRF91 modem (AT commands)"; NULL for an unknown
 * name. Translated. */
const char         *cb_device_drivers_get_title   (const char    *name);

/* A driver of @name on @port. Errors: CB_DEVICE_DRIVER_ERROR_UNAVAILABLE for a name that is
 * not known or whose driver is not in this build, with a message that says so. "auto" is not
 * a driver: probe first. Returns: (transfer full) */
CbDeviceDriver     *cb_device_drivers_new_driver  (const char    *name,
                                                   CbSerialPort  *port,
                                                   GError       **error);

/* Asks @port which driver answers: first an SMP request every SMP server answers (the OS
 * group's MCUmgr parameters, which the SMP driver needs anyway: a server without the command
 * answers rc 8, which is SMP too), then `AT\r` expecting `OK`, each waiting at most
 * @timeout_ms (0: CB_DEVICE_PROBE_TIMEOUT_MS), and reads what the device answers so the port
 * is left with nothing pending. Each is sent a second time when half its time went by
 * unanswered, so one frame lost on the line does not hide the device. Finish: the name of the
 * driver whose probe answered ("smp", "nrf91"), available in this build or not; or
 * CB_DEVICE_DRIVER_ERROR_NO_DRIVER when nothing answered, G_IO_ERROR when the port failed. */
void                cb_device_drivers_probe_async  (CbSerialPort        *port,
                                                    guint                timeout_ms,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
/* Returns: (transfer full) */
char               *cb_device_drivers_probe_finish (GAsyncResult        *result,
                                                    GError             **error);

/* Gives @driver, made on the probed port, what the probe's answer already told (an SMP
 * driver: the MCUmgr parameters, so that identify does not ask for them again). Call it with
 * the probe's @result before the driver's first operation; nothing for other drivers. */
void                cb_device_drivers_probe_hand_over (GAsyncResult     *result,
                                                       CbDeviceDriver   *driver);

/* The driver for @port: @name pinned ("smp", "nrf91"), or "auto"/NULL to probe first. A
 * probe that finds a driver not in this build fails with CB_DEVICE_DRIVER_ERROR_UNAVAILABLE
 * naming what answered. */
void                cb_device_drivers_open_async   (CbSerialPort        *port,
                                                    const char          *name,
                                                    guint                timeout_ms,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
/* Returns: (transfer full) */
CbDeviceDriver     *cb_device_drivers_open_finish  (GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
