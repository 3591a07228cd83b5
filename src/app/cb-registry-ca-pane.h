/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

/* The Registry's view of a namespace in the certificate-authority model: its CA hierarchy
 * (root → intermediate CAs → the policy under each) and the hubs and provisioning services
 * linked to it, with the actions on them. Emits "toast" with what to tell the user and
 * "policies-changed" when a policy was added or its CA replaced. */
#define CB_TYPE_REGISTRY_CA_PANE (cb_registry_ca_pane_get_type ())
G_DECLARE_FINAL_TYPE (CbRegistryCaPane, cb_registry_ca_pane, CB, REGISTRY_CA_PANE, AdwBin)

GtkWidget        *cb_registry_ca_pane_new              (void);
void              cb_registry_ca_pane_set_context      (CbRegistryCaPane *self,
                                                        CbContext        *context);
/* Reads the client's namespace again: its CAs, their policies and its links. */
void              cb_registry_ca_pane_load             (CbRegistryCaPane *self);
/* Forgets what was shown (another namespace or profile) and cancels what runs. */
void              cb_registry_ca_pane_clear            (CbRegistryCaPane *self);

/* Activates the External intermediate CA @ca_name with the chain in @file (what the chain
 * chooser does once a file is chosen). */
void              cb_registry_ca_pane_activate_from_file (CbRegistryCaPane *self,
                                                          const char       *ca_name,
                                                          GFile            *file);

/* For tests: whether a load or an operation is running, the row or group titled @title (a
 * CA's group, a policy's row, a link's row; NULL when none), the dialog asking now, the chain chooser. */
gboolean          cb_registry_ca_pane_get_loading      (CbRegistryCaPane *self);
guint             cb_registry_ca_pane_get_n_operations (CbRegistryCaPane *self);
GtkWidget        *cb_registry_ca_pane_find_row         (CbRegistryCaPane *self,
                                                        const char       *title);
AdwMessageDialog *cb_registry_ca_pane_get_dialog       (CbRegistryCaPane *self);
GtkFileChooser   *cb_registry_ca_pane_get_chooser      (CbRegistryCaPane *self);
/* For tests: the form dialog open now (New Enrollment Group), NULL when none. */
GtkWindow        *cb_registry_ca_pane_get_form         (CbRegistryCaPane *self);

G_END_DECLS
