/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-bench-client.h"
#include "cb-context.h"
#include "cb-device-state.h"
#include "cb-diagnostic-check.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/**
 * CbDiagnosis:
 *
 * Connects to a device on a port (or the Virtual device), reads its chain and diag, and checks
 * them against the registry and the hub: one finding per check (cb-diagnostic-check.h), in a
 * fixed order, and the device's effective state. "running" notifies when it starts and when
 * every check is in; "device-read" says the device part is done, "facts-changed" that the
 * device's chain was read (or could not be).
 */
#define CB_TYPE_DIAGNOSIS (cb_diagnosis_get_type ())
G_DECLARE_FINAL_TYPE (CbDiagnosis, cb_diagnosis, CB, DIAGNOSIS, GObject)

CbDiagnosis       *cb_diagnosis_new            (CbContext    *context);
void               cb_diagnosis_set_context    (CbDiagnosis  *self,
                                                CbContext    *context);
/* The driver to read the device with ("smp", "nrf91"); NULL or "auto": the bench group (SMP).
 * A driver not in this build fails every check with its reason. */
void               cb_diagnosis_set_driver_name (CbDiagnosis *self,
                                                 const char  *name);
/* Diagnoses the device on @port_path at @baud (0: the default); does nothing while running. */
void               cb_diagnosis_run            (CbDiagnosis  *self,
                                                const char   *port_path,
                                                guint         baud);
/* Checks @chain (leaf first; CbCertificate elements), read from a file or the clipboard named
 * @source, against the service with the same rules as a device's chain: the checks only the
 * device can answer are "not available". Does nothing while running. */
void               cb_diagnosis_run_chain      (CbDiagnosis  *self,
                                                GPtrArray    *chain,
                                                const char   *source);
/* Cancels what is in flight; the cancelled checks still count as done. */
void               cb_diagnosis_cancel         (CbDiagnosis  *self);
/* Cancels and closes the port for good (the page is going away): nothing more is reported. */
void               cb_diagnosis_stop           (CbDiagnosis  *self);
gboolean           cb_diagnosis_get_running    (CbDiagnosis  *self);
/* Returns: (transfer none): a GListModel of CbDiagnosticCheck */
GListModel        *cb_diagnosis_get_checks     (CbDiagnosis  *self);
/* Returns: (transfer none) (nullable) */
CbDiagnosticCheck *cb_diagnosis_lookup_check   (CbDiagnosis  *self,
                                                const char   *id);
/* What was read from the device (NULL until read). Returns: (transfer none) (nullable) */
CbCertificate     *cb_diagnosis_get_leaf       (CbDiagnosis  *self);
GPtrArray         *cb_diagnosis_get_chain      (CbDiagnosis  *self);
CbDeviceDiag      *cb_diagnosis_get_diag       (CbDiagnosis  *self);
const char        *cb_diagnosis_get_port_path  (CbDiagnosis  *self);
/* The device's effective state once a run is done (FALSE before, or without a certificate);
 * reason: (out) (optional) (transfer none) */
gboolean           cb_diagnosis_get_state      (CbDiagnosis    *self,
                                                CbDeviceState  *state,
                                                const char    **reason);
/* The findings as plain text (what "Copy Report" puts on the clipboard).
 * Returns: (transfer full) */
char              *cb_diagnosis_dup_report     (CbDiagnosis  *self);
/* Once a run is done (NULL before or while running): "9 of 9 checks passed", and in
 * first_advice what to do first, from the first failed check (else the first warning), or NULL
 * when all passed. first_advice: (out) (optional) (transfer full) */
char              *cb_diagnosis_dup_verdict    (CbDiagnosis  *self,
                                                char        **first_advice);
/* The file the last chain was checked from (NULL for a device). */
const char        *cb_diagnosis_get_source     (CbDiagnosis  *self);
/* The findings alone, in the report's words ("[Pass] title", detail, what to do).
 * Returns: (transfer full) */
char              *cb_diagnosis_dup_findings_text (CbDiagnosis *self);

G_END_DECLS
