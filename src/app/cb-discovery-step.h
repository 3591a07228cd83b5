/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-arm-resource.h"

G_BEGIN_DECLS

/* One step of choosing a connection from lists (cb-connection-discovery.c): a searchable list
 * with its loading, error and empty states, each of which leads on ("Enter Manually"). */
#define CB_TYPE_DISCOVERY_STEP (cb_discovery_step_get_type ())
G_DECLARE_FINAL_TYPE (CbDiscoveryStep, cb_discovery_step, CB, DISCOVERY_STEP, GtkBox)

/* title: "Subscription"; search_label: the search entry's accessible name; empty_title and
 * empty_text: what an empty list says, and what to do; optional: a "Skip" button. */
CbDiscoveryStep *cb_discovery_step_new          (CbArmResourceKind  kind,
                                                 const char        *title,
                                                 const char        *search_label,
                                                 const char        *empty_title,
                                                 const char        *empty_text,
                                                 gboolean           optional);
CbArmResourceKind cb_discovery_step_get_kind    (CbDiscoveryStep   *self);
void             cb_discovery_step_set_loading  (CbDiscoveryStep   *self);
/* Shows why the list could not be read; forbidden says the account may not list here. */
void             cb_discovery_step_set_error    (CbDiscoveryStep   *self,
                                                 const GError      *error);
/* The list (CbArmResource), or the empty state when there is nothing. */
void             cb_discovery_step_set_items    (CbDiscoveryStep   *self,
                                                 GPtrArray         *items);
/* The name of the page shown: "loading", "error", "empty" or "list". */
const char      *cb_discovery_step_get_state    (CbDiscoveryStep   *self);
GtkEditable     *cb_discovery_step_get_search   (CbDiscoveryStep   *self);
/* The row of the entry whose name is name, or NULL. */
GtkWidget       *cb_discovery_step_find_row     (CbDiscoveryStep   *self,
                                                 const char        *name);

G_END_DECLS
