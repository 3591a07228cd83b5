/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "cb-provisioning-run.h"

G_BEGIN_DECLS

/* One step of a provisioning run, live: state icon (a spinner while it runs), title, time,
 * attempts, detail and the error that stopped it. */

#define CB_TYPE_RUN_STEP_ROW (cb_run_step_row_get_type ())
G_DECLARE_FINAL_TYPE (CbRunStepRow, cb_run_step_row, CB, RUN_STEP_ROW, GtkListBoxRow)

GtkWidget *cb_run_step_row_new      (CbRunStep    *step);
CbRunStep *cb_run_step_row_get_step (CbRunStepRow *self);

G_END_DECLS
