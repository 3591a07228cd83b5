/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

#define CB_TYPE_BENCH_PAGE (cb_bench_page_get_type ())
G_DECLARE_FINAL_TYPE (CbBenchPage, cb_bench_page, CB, BENCH_PAGE, AdwBin)

GtkWidget *cb_bench_page_new (CbContext *context);

G_END_DECLS
