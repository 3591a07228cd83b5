/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-adr-client.h"
#include "cb-bench-client.h"
#include "cb-device-driver.h"
#include "cb-dps-client.h"
#include "cb-http.h"
#include "cb-hub-client.h"
#include "cb-journal.h"
#include "cb-profile.h"
#include "cb-provisioning-chain.h"
#include "cb-provisioning-config.h"
#include "cb-run-result.h"
#include "cb-run-step.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/* The provisioning run: one device on one port, from identify to the journal record.
 *
 *   identify → keygen → csr → register → check-chain → install → commit → read-back →
 *   proof-of-possession → hub-connect → journal
 *
 * Every step is a CbRunStep in a GListModel (name, state, start/end times, attempts, error,
 * detail), so a UI binds rows to it. A failure names its step and its cause. Nothing reaches the
 * device's active slot before the chain passed every check: until commit the device keeps the
 * certificate and key it had (the bench protocol stages the chain and keeps a "next" key apart).
 * Many runs may go at once on different ports; they share one CbProvisioningConfig. */

/* What makes a run fail, for exit codes and UI wording. The message always starts with the
 * step's name. */
typedef enum
{
  CB_RUN_ERROR_FAILED,
  CB_RUN_ERROR_CONFIG,          /* the station is not set up (no DPS client, no group key...) */
  CB_RUN_ERROR_DEVICE,          /* the device refused or answered wrongly */
  CB_RUN_ERROR_DEVICE_GONE,     /* the port closed or the device stopped answering */
  CB_RUN_ERROR_CHECK,           /* the device's CSR or the issued chain failed a check */
  CB_RUN_ERROR_SERVICE,         /* DPS, ARM or the hub said no or could not be reached */
  CB_RUN_ERROR_JOURNAL,         /* the journal could not be written */
  CB_RUN_ERROR_CANCELLED,
} CbRunError;

#define CB_RUN_ERROR (cb_run_error_quark ())
GQuark       cb_run_error_quark          (void);

#define CB_TYPE_PROVISIONING_RUN (cb_provisioning_run_get_type ())
G_DECLARE_FINAL_TYPE (CbProvisioningRun, cb_provisioning_run, CB, PROVISIONING_RUN, GObject)

/* A run on an SMP bench device (the bench client wrapped in a CbSmpDriver). port: the name
 * the journal records (the bench client's port path when NULL). */
CbProvisioningRun *cb_provisioning_run_new           (CbProvisioningConfig *config,
                                                      CbBenchClient        *bench,
                                                      const char           *port);
/* A run on any device, through its driver (cb-device-drivers.h finds one for a port). port:
 * the name the journal records (the driver's port path when NULL). */
CbProvisioningRun *cb_provisioning_run_new_for_driver (CbProvisioningConfig *config,
                                                       CbDeviceDriver       *driver,
                                                       const char           *port);
/* Returns: (transfer none): the driver the run talks to the device through */
CbDeviceDriver *cb_provisioning_run_get_driver       (CbProvisioningRun    *self);
/* Use this registration id instead of the template (validated and lower-cased at start). */
void         cb_provisioning_run_set_registration_id (CbProvisioningRun    *self,
                                                      const char           *registration_id);
/* Returns: (transfer none): a GListModel of CbRunStep, one per CbRunStepKind, in order */
GListModel  *cb_provisioning_run_get_steps           (CbProvisioningRun    *self);
/* Returns: (transfer none) */
CbRunStep   *cb_provisioning_run_get_step            (CbProvisioningRun    *self,
                                                      CbRunStepKind         kind);
/* The step running now, or NULL. Returns: (transfer none) (nullable) */
CbRunStep   *cb_provisioning_run_get_current_step    (CbProvisioningRun    *self);
gboolean     cb_provisioning_run_get_running         (CbProvisioningRun    *self);
/* Returns: (transfer none) (nullable): set once the run finished */
CbRunResult *cb_provisioning_run_get_result          (CbProvisioningRun    *self);

/* Runs once. The cancellable stops the run at the next safe point: a commit already sent to the
 * device is waited for (so the outcome is known), everything before it leaves the device as it
 * was. Emits `step-changed` (CbRunStep) whenever a step changes state and `finished`
 * (CbRunResult) at the end, on the thread-default main context of the caller. The finish
 * returns the result whether the run passed or not; it fails only for a run that could not
 * start (already run). Check cb_run_result_get_passed(). */
void         cb_provisioning_run_run_async           (CbProvisioningRun    *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
/* Returns: (transfer full) */
CbRunResult *cb_provisioning_run_run_finish          (CbProvisioningRun    *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void         cb_provisioning_run_cancel              (CbProvisioningRun    *self);

G_END_DECLS
