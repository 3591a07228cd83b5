/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"
#include "cb-enrollment-import.h"

G_BEGIN_DECLS

/* The Registry's view of the profile's DPS individual enrollments (X.509 and symmetric key):
 * each with its registration id, attestation, status and (X.509) certificate subject and
 * expiry; adding one from a device's certificate file, and importing device certificates in
 * bulk from a folder or a CSV with progress, a cancel and each failed item's reason. */
#define CB_TYPE_REGISTRY_ENROLLMENTS_PANE (cb_registry_enrollments_pane_get_type ())
G_DECLARE_FINAL_TYPE (CbRegistryEnrollmentsPane, cb_registry_enrollments_pane, CB,
                      REGISTRY_ENROLLMENTS_PANE, AdwBin)

GtkWidget          *cb_registry_enrollments_pane_new         (void);
void                cb_registry_enrollments_pane_set_context (CbRegistryEnrollmentsPane *self,
                                                              CbContext                 *context);
/* Adds a pane as the page "enrollments" of @stack, its context bound to @context_source's
 * "context" property; it loads whenever it is shown. */
void                cb_registry_enrollments_pane_add_to_stack (AdwViewStack *stack,
                                                               GObject      *context_source);
/* Reads the individual enrollments again. */
void                cb_registry_enrollments_pane_load        (CbRegistryEnrollmentsPane *self);
/* Imports @source (a folder, a CSV file or one certificate file): what the choosers do. */
void                cb_registry_enrollments_pane_import      (CbRegistryEnrollmentsPane *self,
                                                              GFile                     *source);

/* For tests: whether a load runs, the import running or last run (NULL when none), the row
 * titled @title in the enrollments or the import's results (NULL when none). */
gboolean            cb_registry_enrollments_pane_get_loading (CbRegistryEnrollmentsPane *self);
CbEnrollmentImport *cb_registry_enrollments_pane_get_import  (CbRegistryEnrollmentsPane *self);
gboolean            cb_registry_enrollments_pane_get_importing (CbRegistryEnrollmentsPane *self);
GtkWidget          *cb_registry_enrollments_pane_find_row    (CbRegistryEnrollmentsPane *self,
                                                              const char                *title);

G_END_DECLS
