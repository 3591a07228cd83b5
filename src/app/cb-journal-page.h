/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

#define CB_TYPE_JOURNAL_PAGE (cb_journal_page_get_type ())
G_DECLARE_FINAL_TYPE (CbJournalPage, cb_journal_page, CB, JOURNAL_PAGE, AdwBin)

GtkWidget *cb_journal_page_new (CbContext *context);

G_END_DECLS
