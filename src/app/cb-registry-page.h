/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

#define CB_TYPE_REGISTRY_PAGE (cb_registry_page_get_type ())
G_DECLARE_FINAL_TYPE (CbRegistryPage, cb_registry_page, CB, REGISTRY_PAGE, AdwBin)

GtkWidget *cb_registry_page_new (CbContext *context);

G_END_DECLS
