/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-port-monitor.h"
#include "cb-provisioning-run.h"
#include "cb-smp-transport.h"

G_BEGIN_DECLS

typedef enum
{
  CB_BENCH_SESSION_IDLE,
  CB_BENCH_SESSION_RUNNING,
  CB_BENCH_SESSION_PASSED,
  CB_BENCH_SESSION_FAILED,
} CbBenchSessionState;

/**
 * CbBenchSession:
 *
 * One port of the station: its device, its last run and result. It opens the port, builds
 * the run and runs it; the protocol traffic comes out as "log" signals (tag: "tx", "rx",
 * "error", "device"; text: a line). A profile switch or shutdown (the context's cancellable)
 * cancels its run.
 */
#define CB_TYPE_BENCH_SESSION (cb_bench_session_get_type ())
G_DECLARE_FINAL_TYPE (CbBenchSession, cb_bench_session, CB, BENCH_SESSION, GObject)

CbBenchSession      *cb_bench_session_new         (const char           *path);
const char          *cb_bench_session_get_path    (CbBenchSession       *self);
CbSerialPortInfo    *cb_bench_session_get_info    (CbBenchSession       *self);
void                 cb_bench_session_set_info    (CbBenchSession       *self,
                                                   CbSerialPortInfo     *info);
CbBenchSessionState  cb_bench_session_get_state   (CbBenchSession       *self);
void                 cb_bench_session_set_state   (CbBenchSession       *self,
                                                   CbBenchSessionState   state);
/* The last run and its result (NULL before, and the result while running). */
CbProvisioningRun   *cb_bench_session_get_run     (CbBenchSession       *self);
CbRunResult         *cb_bench_session_get_result  (CbBenchSession       *self);
void                 cb_bench_session_clear_result (CbBenchSession      *self);
/* Why the last run could not start, NULL when it did. */
const char          *cb_bench_session_get_message (CbBenchSession       *self);
/* The protocol counters of the open port, or of the last one. */
void                 cb_bench_session_get_stats   (CbBenchSession       *self,
                                                   CbSmpTransportStats  *stats);

/* Forgets the last run and result and gives the next run a fresh cancellable. */
void                 cb_bench_session_reset       (CbBenchSession       *self);
void                 cb_bench_session_cancel      (CbBenchSession       *self);
gboolean             cb_bench_session_is_cancelled (CbBenchSession      *self);
/* Failed before a run could start: keeps @message and closes the port. */
void                 cb_bench_session_fail        (CbBenchSession       *self,
                                                   const char           *message);

/* The driver pinned for this port ("smp", "nrf91"), or "auto"/NULL (the default). "auto" is
 * probed by cb_bench_session_open_async(); the synchronous cb_bench_session_open() cannot
 * probe and opens the bench group (SMP) for it. A pinned driver that is not in this build
 * makes open fail with its reason. */
void                 cb_bench_session_set_driver_name (CbBenchSession  *self,
                                                       const char      *name);
const char          *cb_bench_session_get_driver_name (CbBenchSession  *self);
/* The driver that answered the last open's probe ("smp", "nrf91"); NULL when the driver was
 * pinned, the open was synchronous or nothing answered. */
const char          *cb_bench_session_get_probed_driver (CbBenchSession *self);

/* Opens the port and builds the run with @config (FALSE with @error when the port cannot be
 * opened); then cb_bench_session_run_async() runs it. "auto" opens the bench group without a
 * probe: use cb_bench_session_open_async() for a port whose driver is not known. */
gboolean             cb_bench_session_open        (CbBenchSession       *self,
                                                   CbProvisioningConfig *config,
                                                   GError              **error);
/* The same without blocking: a port set to "auto" is probed first (an SMP request, then AT, at
 * most CB_DEVICE_PROBE_TIMEOUT_MS each, see cb-device-drivers.h), the "log" signal telling
 * the probe and what answered. Errors: CB_DEVICE_DRIVER_ERROR_NO_DRIVER when nothing
 * answered ("No device answered on …: neither SMP nor AT", with what to check),
 * CB_DEVICE_DRIVER_ERROR_UNAVAILABLE, G_IO_ERROR (the port; G_IO_ERROR_CANCELLED when the
 * session or @context_cancellable was cancelled). The port is closed on error. A pinned
 * driver is opened before this returns (cb_bench_session_get_run() has the run at once). */
void                 cb_bench_session_open_async  (CbBenchSession       *self,
                                                   CbProvisioningConfig *config,
                                                   GCancellable         *context_cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean             cb_bench_session_open_finish (CbBenchSession       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* Runs the run cb_bench_session_open() built; @context_cancellable (the context's) cancels it
 * too. The finish closes the port and keeps the result. */
void                 cb_bench_session_run_async   (CbBenchSession       *self,
                                                   GCancellable         *context_cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
CbRunResult         *cb_bench_session_run_finish  (CbBenchSession       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

G_END_DECLS
