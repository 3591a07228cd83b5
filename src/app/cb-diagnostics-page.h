/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

#define CB_TYPE_DIAGNOSTICS_PAGE (cb_diagnostics_page_get_type ())
G_DECLARE_FINAL_TYPE (CbDiagnosticsPage, cb_diagnostics_page, CB, DIAGNOSTICS_PAGE, AdwBin)

GtkWidget *cb_diagnostics_page_new (CbContext *context);

G_END_DECLS
