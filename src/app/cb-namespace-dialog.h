/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-adr-model.h"
#include "cb-context.h"

G_BEGIN_DECLS

/* What ARM accepts for a namespace name: 3 to 64 lower-case letters, digits and hyphens,
 * starting and ending with a letter or a digit. */
gboolean cb_namespace_name_is_valid (const char *name);

/**
 * CbNamespaceDialog:
 *
 * "New Namespace": a name (not one the subscription has), the location and the model it uses
 * (the stable certificate-authority model or the preview credential model), then, for the
 * stable model, the name of its Microsoft-issued root CA. Create makes the namespace in the
 * connection's resource group and then its root (or its credential), saying which step runs;
 * a refusal keeps the dialog open with the service's reason and everything typed, and a
 * namespace made before its root failed is not made again. "created" is emitted with the
 * namespace's name before the dialog closes; the connection's ADR client then addresses it.
 */
#define CB_TYPE_NAMESPACE_DIALOG (cb_namespace_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbNamespaceDialog, cb_namespace_dialog, CB, NAMESPACE_DIALOG, AdwWindow)

/* @existing: (nullable): the names of the subscription's namespaces, refused as new names. */
CbNamespaceDialog *cb_namespace_dialog_new               (CbContext          *context,
                                                          const char * const *existing);

/* For tests: the entries, the model chosen, the error shown (NULL when none), whether it runs
 * and whether Create is possible. */
GtkEditable       *cb_namespace_dialog_get_name_entry     (CbNamespaceDialog  *self);
GtkEditable       *cb_namespace_dialog_get_location_entry (CbNamespaceDialog  *self);
GtkEditable       *cb_namespace_dialog_get_root_entry     (CbNamespaceDialog  *self);
void               cb_namespace_dialog_set_model          (CbNamespaceDialog  *self,
                                                           CbAdrModel          model);
CbAdrModel         cb_namespace_dialog_get_model          (CbNamespaceDialog  *self);
const char        *cb_namespace_dialog_get_error          (CbNamespaceDialog  *self);
gboolean           cb_namespace_dialog_get_busy           (CbNamespaceDialog  *self);
gboolean           cb_namespace_dialog_can_create         (CbNamespaceDialog  *self);

G_END_DECLS
