/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* "New policy" under one intermediate CA (the certificate-authority model: one policy per
 * intermediate CA): its name and the validity of the device certificates it issues, 7 to 90
 * days, 30 to start with. Responds "create" or "cancel"; the caller runs the creation. */
#define CB_TYPE_CA_POLICY_DIALOG (cb_ca_policy_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbCaPolicyDialog, cb_ca_policy_dialog, CB, CA_POLICY_DIALOG, AdwMessageDialog)

CbCaPolicyDialog *cb_ca_policy_dialog_new           (GtkWindow        *parent,
                                                     const char       *ca_name);
const char       *cb_ca_policy_dialog_get_ca_name   (CbCaPolicyDialog *self);
const char       *cb_ca_policy_dialog_get_name      (CbCaPolicyDialog *self);
guint             cb_ca_policy_dialog_get_days      (CbCaPolicyDialog *self);

/* For tests. */
GtkEditable      *cb_ca_policy_dialog_get_name_entry (CbCaPolicyDialog *self);
GtkSpinButton    *cb_ca_policy_dialog_get_days_spin  (CbCaPolicyDialog *self);

G_END_DECLS
