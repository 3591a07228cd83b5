/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-namespace-endpoint.h"
#include "cb-profile.h"

G_BEGIN_DECLS

/* "Link a hub" / "Link a provisioning service" to a namespace of the certificate-authority
 * model: the hub or DPS by its name (in the connection's resource group) or its whole
 * resource ID, and the link's name (the resource's name unless given). Responds "link" or
 * "cancel"; the caller links. */
#define CB_TYPE_ENDPOINT_LINK_DIALOG (cb_endpoint_link_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbEndpointLinkDialog, cb_endpoint_link_dialog, CB, ENDPOINT_LINK_DIALOG,
                      AdwMessageDialog)

/* @profile gives the subscription and resource group a name is looked for in. */
CbEndpointLinkDialog *cb_endpoint_link_dialog_new              (GtkWindow            *parent,
                                                                CbEndpointKind        kind,
                                                                CbProfile            *profile);
CbEndpointKind        cb_endpoint_link_dialog_get_kind         (CbEndpointLinkDialog *self);
/* The resource ID to link (built from a name), or NULL while nothing is typed. */
char                 *cb_endpoint_link_dialog_dup_resource_id  (CbEndpointLinkDialog *self);
/* The link's name: as typed, else the resource's name. */
char                 *cb_endpoint_link_dialog_dup_link_name    (CbEndpointLinkDialog *self);

/* For tests. */
GtkEditable          *cb_endpoint_link_dialog_get_resource_entry (CbEndpointLinkDialog *self);
GtkEditable          *cb_endpoint_link_dialog_get_link_entry     (CbEndpointLinkDialog *self);

G_END_DECLS
