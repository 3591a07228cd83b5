/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* "New root CA" for a namespace of the certificate-authority model that has none (its
 * namespace was made elsewhere, or making its root failed): the root's name, checked as it is
 * typed; Microsoft issues it. Create stays off until the name is one the service accepts.
 * Responds "create" or "cancel"; the caller runs the creation. */
#define CB_TYPE_CA_ROOT_DIALOG (cb_ca_root_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbCaRootDialog, cb_ca_root_dialog, CB, CA_ROOT_DIALOG, AdwMessageDialog)

CbCaRootDialog *cb_ca_root_dialog_new            (GtkWindow      *parent,
                                                  const char     *namespace_name);
const char     *cb_ca_root_dialog_get_name       (CbCaRootDialog *self);
/* For tests: the name entry. */
GtkEditable    *cb_ca_root_dialog_get_name_entry (CbCaRootDialog *self);

G_END_DECLS
