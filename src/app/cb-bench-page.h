/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"
#include "cb-station-chooser.h"
#include "cb-station-feedback.h"
#include "cb-provisioning-run.h"
#include "cbd-virtual-device.h"

G_BEGIN_DECLS

/* The station: serial ports (the Virtual device among them), the station's policy, enrollment
 * and registration-id template, a Provision action per port (bench.provision, parameter: the
 * port's path), the live step list, PASS / FAIL, the issued chain and the protocol log of the
 * selected port, and the passed / failed counters of this shift. Several ports may run at once.
 *
 * Actions: bench.provision (s), bench.provision-selected (Ctrl+Return), bench.cancel (s),
 * bench.reset-counters, bench.clear-log, bench.show-board (every port's result as a big tile). */

#define CB_TYPE_BENCH_PAGE (cb_bench_page_get_type ())
G_DECLARE_FINAL_TYPE (CbBenchPage, cb_bench_page, CB, BENCH_PAGE, AdwBin)

GtkWidget         *cb_bench_page_new                (CbContext   *context);

/* Checks and saves the station's registration-id template (GSettings), as the template row's
 * apply button does; runs that start afterwards use it. FALSE with
 * CB_REGISTRATION_ID_ERROR for a bad template (the row shows the error). */
gboolean           cb_bench_page_set_registration_template (CbBenchPage  *self,
                                                            const char   *template_text,
                                                            GError      **error);
/* The in-process virtual device, or NULL when it could not start. */
CbVirtualDevice   *cb_bench_page_get_virtual_device (CbBenchPage *self);
guint              cb_bench_page_get_n_passed       (CbBenchPage *self);
guint              cb_bench_page_get_n_failed       (CbBenchPage *self);
/* Runs going on now (property "n-running"). */
guint              cb_bench_page_get_n_running      (CbBenchPage *self);
/* The latest run on a port, or NULL. Returns: (transfer none) (nullable) */
CbProvisioningRun *cb_bench_page_get_run            (CbBenchPage *self,
                                                     const char  *path);
/* The port whose run the page shows, or NULL. */
const char        *cb_bench_page_get_selected_port  (CbBenchPage *self);
/* What the big result label says now ("PASS", "FAIL", "Running…", "Ready"). */
const char        *cb_bench_page_get_result_text    (CbBenchPage *self);
/* The list boxes of the shown run: steps (CbRunStepRow) and chain (CbCertificateRow). */
GtkListBox        *cb_bench_page_get_steps_list     (CbBenchPage *self);
GtkListBox        *cb_bench_page_get_chain_list     (CbBenchPage *self);
/* The protocol log of a port as text. Returns: (transfer full) (nullable) */
char              *cb_bench_page_dup_log_text       (CbBenchPage *self,
                                                     const char  *path);

/* The banner's sentence when the station's enrollment group or policy is gone or cannot issue
 * (bench.fix-station opens the chooser that repairs it), else NULL. */
const char        *cb_bench_page_get_station_problem (CbBenchPage *self);
/* The enrollment group or policy chooser now open (bench.choose-enrollment,
 * bench.choose-policy, bench.fix-station). Returns: (transfer none) (nullable) */
CbStationChooser  *cb_bench_page_get_station_chooser (CbBenchPage *self);

/* From a device's page: shows the port the device was last provisioned on, ready to provision
 * it again (TRUE), or says it needs the device plugged in (FALSE). */
gboolean           cb_bench_page_reprovision        (CbBenchPage *self,
                                                     const char  *device_id);
/* The board: a CbStationTile per port (shown when the station starts runs by itself, or by
 * bench.show-board), and whether it is what the run pane shows now. */
GtkFlowBox        *cb_bench_page_get_board          (CbBenchPage *self);
gboolean           cb_bench_page_get_board_shown    (CbBenchPage *self);
/* The notifications and sounds of each result. Returns: (transfer none) */
CbStationFeedback *cb_bench_page_get_feedback       (CbBenchPage *self);

G_END_DECLS
