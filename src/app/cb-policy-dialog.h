/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

/* What the service accepts for a policy (ADR 2026-03-01-preview, as the sandbox enforces it):
 * 3 to 63 letters, digits and hyphens, starting with a letter or digit; leaf validity 7 to 90
 * days. */
#define CB_POLICY_NAME_MIN_LENGTH   3
#define CB_POLICY_NAME_MAX_LENGTH   63
#define CB_POLICY_MIN_VALIDITY_DAYS 7
#define CB_POLICY_MAX_VALIDITY_DAYS 90

gboolean cb_policy_name_is_valid (const char *name);

/**
 * CbPolicyDialog:
 *
 * "New Policy": name, leaf validity and bring-your-own-root, checked as they are typed against
 * what the service accepts. Create sends the request; a refusal keeps the dialog open with the
 * service's reason and everything typed. "created" is emitted with the new CbPolicy before the
 * dialog closes.
 */
#define CB_TYPE_POLICY_DIALOG (cb_policy_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbPolicyDialog, cb_policy_dialog, CB, POLICY_DIALOG, AdwWindow)

CbPolicyDialog *cb_policy_dialog_new            (CbContext      *context);

/* For tests: the entries, the error shown (NULL when none) and whether Create is possible. */
GtkEditable    *cb_policy_dialog_get_name_entry (CbPolicyDialog *self);
GtkEditable    *cb_policy_dialog_get_days_entry (CbPolicyDialog *self);
GtkCheckButton *cb_policy_dialog_get_byor_check (CbPolicyDialog *self);
const char     *cb_policy_dialog_get_error      (CbPolicyDialog *self);
gboolean        cb_policy_dialog_get_busy       (CbPolicyDialog *self);

G_END_DECLS
