/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-adr-model.h"
#include "cb-context.h"
#include "cb-policy-dialog.h"
#include "cb-device-list-model.h"
#include "cb-registry-ca-pane.h"
#include "cb-toasts.h"

G_BEGIN_DECLS

/* Namespaces → credential → policies → devices, with the activity log of the namespace. */
#define CB_TYPE_REGISTRY_PAGE (cb_registry_page_get_type ())
G_DECLARE_FINAL_TYPE (CbRegistryPage, cb_registry_page, CB, REGISTRY_PAGE, AdwBin)

GtkWidget         *cb_registry_page_new              (CbContext      *context);
CbContext         *cb_registry_page_get_context      (CbRegistryPage *self);
void               cb_registry_page_set_context      (CbRegistryPage *self,
                                                      CbContext      *context);
/* Reads everything again. */
void               cb_registry_page_reload           (CbRegistryPage *self);

/* For tests and for the other pages. */
/* Returns: (transfer none): a GListModel of CbPolicy */
GListModel        *cb_registry_page_get_policies     (CbRegistryPage *self);
/* Returns: (transfer none) */
CbDeviceListModel *cb_registry_page_get_devices      (CbRegistryPage *self);
/* Returns: (transfer none): the device list's selection bar (bulk actions) */
GtkWidget         *cb_registry_page_get_bulk_bar     (CbRegistryPage *self);
/* Selects a loaded device row; FALSE when it is not loaded. */
gboolean           cb_registry_page_select_device    (CbRegistryPage *self,
                                                      const char     *device_id);
/* Shows the Devices view searched (device id prefix, NULL for none) and filtered (-1 for every
 * device, else a CbDeviceState the hub can count: any but CB_DEVICE_STATE_REFUSED). */
void               cb_registry_page_filter_devices   (CbRegistryPage *self,
                                                      const char     *search,
                                                      int             filter);
/* Returns: (transfer none) (nullable): the confirmation or form dialog now open */
AdwMessageDialog  *cb_registry_page_get_dialog       (CbRegistryPage *self);
/* Returns: (transfer none) (nullable): the New Policy dialog now open */
CbPolicyDialog    *cb_registry_page_get_policy_dialog (CbRegistryPage *self);
/* Returns: (transfer none) (nullable): the New Namespace dialog now open */
GtkWindow         *cb_registry_page_get_namespace_dialog (CbRegistryPage *self);

/* The kind of the policy validity toasts: a new one replaces the last (cb-toasts.h). The page
 * shows one toast at a time, as the window does: every toast of it is of this kind. */
#define CB_REGISTRY_TOAST_VALIDITY CB_TOAST_KIND_OUTCOME
/* The text of the last toast shown, NULL before the first. */
const char        *cb_registry_page_get_last_toast   (CbRegistryPage *self);
/* Operations (revoke, delete, sync…) still running. */
guint              cb_registry_page_get_n_operations (CbRegistryPage *self);
/* Activity entries shown for the namespace. */
guint              cb_registry_page_get_n_activity   (CbRegistryPage *self);
/* Selects the namespace @name in the list; FALSE when it is not listed. */
gboolean           cb_registry_page_select_namespace (CbRegistryPage *self,
                                                      const char     *name);
/* The selected namespace's model, CB_ADR_MODEL_UNKNOWN until it is known. */
CbAdrModel         cb_registry_page_get_model        (CbRegistryPage *self);
/* Returns: (transfer none): the certificate authorities view (the certificate-authority
 * model's) */
CbRegistryCaPane  *cb_registry_page_get_ca_pane      (CbRegistryPage *self);

G_END_DECLS
