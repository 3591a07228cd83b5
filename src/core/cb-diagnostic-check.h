/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  CB_CHECK_PENDING,
  CB_CHECK_PASS,
  CB_CHECK_WARNING,
  CB_CHECK_FAIL,
  /* The device cannot report what the check needs (the driver says why): neither passed nor
   * failed. */
  CB_CHECK_NOT_AVAILABLE,
} CbCheckStatus;

/* "pass", "warning", "fail", "not-available", "pending". */
const char *cb_check_status_to_string (CbCheckStatus status);
/* "Pass", "Warning", "Fail", "Not available", "Checking…" (translated). */
const char *cb_check_status_to_label  (CbCheckStatus status);

/* One item of the checklist. */
#define CB_TYPE_DIAGNOSTIC_CHECK (cb_diagnostic_check_get_type ())
G_DECLARE_FINAL_TYPE (CbDiagnosticCheck, cb_diagnostic_check, CB, DIAGNOSTIC_CHECK, GObject)

/* Stable ids: "chain", "issuer", "validity", "enabled", "identifier", "twin", "device". */
const char    *cb_diagnostic_check_get_id     (CbDiagnosticCheck *self);
const char    *cb_diagnostic_check_get_title  (CbDiagnosticCheck *self);
CbCheckStatus  cb_diagnostic_check_get_status (CbDiagnosticCheck *self);
const char    *cb_diagnostic_check_get_detail (CbDiagnosticCheck *self);
/* What to do about it; NULL when it passed. */
const char    *cb_diagnostic_check_get_advice (CbDiagnosticCheck *self);

CbDiagnosticCheck *cb_diagnostic_check_new    (const char        *id,
                                               const char        *title,
                                               CbCheckStatus      status,
                                               const char        *detail,
                                               const char        *advice);

G_END_DECLS
