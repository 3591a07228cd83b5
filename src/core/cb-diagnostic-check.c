/* SPDX-License-Identifier: GPL-3.0-or-later */

/* One finding of the diagnosis: a check's id, title, status (pass, warning, fail, or not
 * available on the device), what was found and what to do about it. The Diagnostics page
 * shows them; `certbench-cli inspect` prints them. */

#define G_LOG_DOMAIN "cb-diagnostic-check"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-diagnostic-check.h"

struct _CbDiagnosticCheck
{
  GObject        parent_instance;
  char          *id;
  char          *title;
  char          *detail;
  char          *advice;
  CbCheckStatus  status;
};

G_DEFINE_FINAL_TYPE (CbDiagnosticCheck, cb_diagnostic_check, G_TYPE_OBJECT)

const char *
cb_check_status_to_string (CbCheckStatus status)
{
  switch (status)
    {
    case CB_CHECK_PASS:
      return "pass";
    case CB_CHECK_WARNING:
      return "warning";
    case CB_CHECK_FAIL:
      return "fail";
    case CB_CHECK_NOT_AVAILABLE:
      return "not-available";
    case CB_CHECK_PENDING:
    default:
      return "pending";
    }
}

const char *
cb_check_status_to_label (CbCheckStatus status)
{
  switch (status)
    {
    case CB_CHECK_PASS:
      return _("Pass");
    case CB_CHECK_WARNING:
      return _("Warning");
    case CB_CHECK_FAIL:
      return _("Fail");
    case CB_CHECK_NOT_AVAILABLE:
      return _("Not available");
    case CB_CHECK_PENDING:
    default:
      return _("Checking…");
    }
}

static void
cb_diagnostic_check_finalize (GObject *object)
{
  CbDiagnosticCheck *self = CB_DIAGNOSTIC_CHECK (object);

  g_free (self->id);
  g_free (self->title);
  g_free (self->detail);
  g_free (self->advice);

  G_OBJECT_CLASS (cb_diagnostic_check_parent_class)->finalize (object);
}

static void
cb_diagnostic_check_class_init (CbDiagnosticCheckClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_diagnostic_check_finalize;
}

static void
cb_diagnostic_check_init (CbDiagnosticCheck *self)
{
}

CbDiagnosticCheck *
cb_diagnostic_check_new (const char    *id,
           const char    *title,
           CbCheckStatus  status,
           const char    *detail,
           const char    *advice)
{
  CbDiagnosticCheck *self = g_object_new (CB_TYPE_DIAGNOSTIC_CHECK, NULL);

  self->id = g_strdup (id);
  self->title = g_strdup (title);
  self->status = status;
  self->detail = g_strdup (detail);
  self->advice = g_strdup (advice);
  return self;
}

const char *
cb_diagnostic_check_get_id (CbDiagnosticCheck *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTIC_CHECK (self), NULL);
  return self->id;
}

const char *
cb_diagnostic_check_get_title (CbDiagnosticCheck *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTIC_CHECK (self), NULL);
  return self->title;
}

CbCheckStatus
cb_diagnostic_check_get_status (CbDiagnosticCheck *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTIC_CHECK (self), CB_CHECK_PENDING);
  return self->status;
}

const char *
cb_diagnostic_check_get_detail (CbDiagnosticCheck *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTIC_CHECK (self), NULL);
  return self->detail;
}

const char *
cb_diagnostic_check_get_advice (CbDiagnosticCheck *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTIC_CHECK (self), NULL);
  return self->advice;
}
