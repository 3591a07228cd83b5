/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* A confirmation for a destructive action: a heading, a body that states the impact, an
 * optional "type the name to confirm" entry (the confirm response stays disabled until the
 * text matches exactly) and an optional check box for a related choice. Responds "confirm" or
 * "cancel". */
#define CB_TYPE_CONFIRM_DIALOG (cb_confirm_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbConfirmDialog, cb_confirm_dialog, CB, CONFIRM_DIALOG, AdwMessageDialog)

CbConfirmDialog *cb_confirm_dialog_new                (GtkWindow       *parent,
                                                       const char      *heading,
                                                       const char      *body,
                                                       const char      *confirm_label,
                                                       const char      *required_name);
void             cb_confirm_dialog_set_option         (CbConfirmDialog *self,
                                                       const char      *label,
                                                       gboolean         active);
gboolean         cb_confirm_dialog_get_option_active  (CbConfirmDialog *self);
/* Returns: (transfer none) (nullable): the name entry, when a name is required */
GtkEditable     *cb_confirm_dialog_get_name_entry     (CbConfirmDialog *self);
/* Returns: (transfer none) (nullable): the option check button */
GtkCheckButton  *cb_confirm_dialog_get_option         (CbConfirmDialog *self);
gboolean         cb_confirm_dialog_get_confirm_enabled (CbConfirmDialog *self);

G_END_DECLS
