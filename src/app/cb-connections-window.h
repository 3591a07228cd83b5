/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-connection-discovery.h"
#include "cb-context.h"

G_BEGIN_DECLS

#define CB_TYPE_CONNECTIONS_WINDOW (cb_connections_window_get_type ())
G_DECLARE_FINAL_TYPE (CbConnectionsWindow, cb_connections_window, CB, CONNECTIONS_WINDOW,
                      AdwPreferencesWindow)

/* Lists the context's profiles; "conn.use" switches, "conn.add" and "conn.edit" open the
 * Azure profile form, "conn.save" saves it, "conn.remove" removes the edited profile,
 * "conn.discover" fills the form from lists read after signing in (signing in first). */
CbConnectionsWindow *cb_connections_window_new        (CbContext           *context);
/* Opens the form for a new profile (NULL) or the profile with this id. */
void                 cb_connections_window_edit       (CbConnectionsWindow *self,
                                                       const char          *profile_id);
/* The form's entry for a field ("name", "tenant", "client-id", "subscription-id",
 * "resource-group", "namespace", "dps-id-scope", "dps-global-endpoint", "hub-host-name"). */
GtkEditable         *cb_connections_window_get_field  (CbConnectionsWindow *self,
                                                       const char          *field);
/* The toast offering to sign in to a profile just put to use ("conn.sign-in" opens the sign-in
 * dialog), or NULL. */
AdwToast            *cb_connections_window_get_sign_in_offer (CbConnectionsWindow *self);

/* The chooser "conn.discover" opened, while it is open; else NULL. */
CbConnectionDiscovery *cb_connections_window_get_discovery (CbConnectionsWindow *self);

G_END_DECLS
