/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-bench-client.h"
#include "cb-device-driver.h"

G_BEGIN_DECLS

/* CbSmpDriver: the Certbench bench group over SMP (docs/bench-protocol.md) as a
 * CbDeviceDriver, the registry's "smp". Every operation is one bench command or the bench
 * client's sequence for it; errors are the bench client's (CB_SMP_ERROR) unchanged. */

#define CB_TYPE_SMP_DRIVER (cb_smp_driver_get_type ())
G_DECLARE_FINAL_TYPE (CbSmpDriver, cb_smp_driver, CB, SMP_DRIVER, GObject)

CbSmpDriver   *cb_smp_driver_new              (CbBenchClient *bench);
/* Returns: (transfer none) */
CbBenchClient *cb_smp_driver_get_bench_client (CbSmpDriver   *self);

G_END_DECLS
