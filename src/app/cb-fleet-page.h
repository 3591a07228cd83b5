/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

#define CB_TYPE_FLEET_PAGE (cb_fleet_page_get_type ())
G_DECLARE_FINAL_TYPE (CbFleetPage, cb_fleet_page, CB, FLEET_PAGE, AdwBin)

GtkWidget *cb_fleet_page_new (CbContext *context);

G_END_DECLS
