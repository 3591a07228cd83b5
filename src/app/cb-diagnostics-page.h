/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"
#include "cb-device-state.h"
#include "cb-diagnostic-check.h"

G_BEGIN_DECLS

/* Connects to a device on a port (or the Virtual device), reads its chain and diag, and checks
 * them against the registry and the hub. */
#define CB_TYPE_DIAGNOSTICS_PAGE (cb_diagnostics_page_get_type ())
G_DECLARE_FINAL_TYPE (CbDiagnosticsPage, cb_diagnostics_page, CB, DIAGNOSTICS_PAGE, AdwBin)

GtkWidget         *cb_diagnostics_page_new          (CbContext         *context);
CbContext         *cb_diagnostics_page_get_context  (CbDiagnosticsPage *self);
void               cb_diagnostics_page_set_context  (CbDiagnosticsPage *self,
                                                     CbContext         *context);
/* Diagnoses the device on port_path (the diagnostics.run action uses the chosen port). */
void               cb_diagnostics_page_run          (CbDiagnosticsPage *self,
                                                     const char        *port_path);
gboolean           cb_diagnostics_page_get_running  (CbDiagnosticsPage *self);
/* Returns: (transfer none): a GListModel of CbDiagnosticCheck */
GListModel        *cb_diagnostics_page_get_checks   (CbDiagnosticsPage *self);
/* Returns: (transfer none) (nullable) */
CbDiagnosticCheck *cb_diagnostics_page_lookup_check (CbDiagnosticsPage *self,
                                                     const char        *id);
/* The findings as plain text (what "Copy Report" puts on the clipboard).
 * Returns: (transfer full) */
char              *cb_diagnostics_page_dup_report   (CbDiagnosticsPage *self);
/* Checks a certificate or chain (PEM or DER, what a dropped file or the clipboard holds),
 * named @source in the findings, against the service with the device checks' rules. When
 * @data holds no certificate, or a diagnosis is running, says why and changes nothing. */
gboolean           cb_diagnostics_page_check_data   (CbDiagnosticsPage  *self,
                                                     const guint8       *data,
                                                     gsize               len,
                                                     const char         *source,
                                                     GError            **error);
/* Reads @file and checks it (what dropping it on the page does); errors become toasts. */
void               cb_diagnostics_page_check_file   (CbDiagnosticsPage  *self,
                                                     GFile              *file);
/* The verdict shown at the top (cb_diagnosis_dup_verdict()).
 * first_advice: (out) (optional) (transfer full) */
char              *cb_diagnostics_page_dup_verdict  (CbDiagnosticsPage  *self,
                                                     char              **first_advice);
/* The device's effective state once a run is done (FALSE before, or without a certificate);
 * reason: (out) (optional) (transfer none) */
gboolean           cb_diagnostics_page_get_state    (CbDiagnosticsPage  *self,
                                                     CbDeviceState      *state,
                                                     const char        **reason);

G_END_DECLS
