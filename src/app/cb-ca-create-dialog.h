/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-certificate-authority.h"

G_BEGIN_DECLS

/* "New intermediate CA": its name, who issues it (a root of the namespace, or an external CA
 * that signs its request later) and, for a Microsoft-issued one, which root. Create stays off
 * until the name is one the service accepts and the choice is complete. Responds "create" or
 * "cancel"; the caller runs the creation. */
#define CB_TYPE_CA_CREATE_DIALOG (cb_ca_create_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbCaCreateDialog, cb_ca_create_dialog, CB, CA_CREATE_DIALOG, AdwMessageDialog)

/* @roots: (element-type CbCertificateAuthority): the namespace's roots; @n_icas: how many
 * intermediate CAs it has already. */
CbCaCreateDialog *cb_ca_create_dialog_new          (GtkWindow        *parent,
                                                    GPtrArray        *roots,
                                                    guint             n_icas);
const char       *cb_ca_create_dialog_get_name     (CbCaCreateDialog *self);
CbCaIssuer        cb_ca_create_dialog_get_issuer   (CbCaCreateDialog *self);
/* The chosen root's ARM id for a Microsoft-issued CA, else NULL. */
const char       *cb_ca_create_dialog_get_root_id  (CbCaCreateDialog *self);

/* For tests: the name entry, and choosing External or the first root. */
GtkEditable      *cb_ca_create_dialog_get_name_entry (CbCaCreateDialog *self);
void              cb_ca_create_dialog_set_issuer     (CbCaCreateDialog *self,
                                                      CbCaIssuer        issuer);

G_END_DECLS
