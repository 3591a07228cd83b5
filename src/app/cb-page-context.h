/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

/* What a page reloads on. */
typedef enum
{
  CB_PAGE_CONTEXT_PROFILE = 1 << 0,   /* another connection profile */
  CB_PAGE_CONTEXT_STATE   = 1 << 1,   /* signed in or out, connected or not */
} CbPageContextWatch;

/* The plumbing every page repeats around its CbContext: its `context` property's setter
 * (@slot is the page's field), the notifications it reloads on, the disconnect on dispose,
 * and the signed-out / not connected / loading states shown in place of the page. @changed
 * is called with @page (G_CONNECT_SWAPPED) and is bound to @page's lifetime. */

/* Connects @changed to @context's notifications in @watch. */
void     cb_page_context_watch      (gpointer             page,
                                     CbContext           *context,
                                     CbPageContextWatch   watch,
                                     GCallback            changed);
/* Points *@slot at @context, moving the notifications from the old context to the new one,
 * then calls @changed once. Returns FALSE (and does nothing) when *@slot is @context already:
 * the caller then notifies its property. */
gboolean cb_page_context_set        (gpointer             page,
                                     CbContext          **slot,
                                     CbContext           *context,
                                     CbPageContextWatch   watch,
                                     GCallback            changed);
/* For dispose: disconnects @page from *@slot and clears it. */
void     cb_page_context_clear      (gpointer             page,
                                     CbContext          **slot);

/* Unless @context is ready, shows why on @status (Signed Out with @signed_out_description,
 * Not Connected with the reason) in @stack's "error" child, or the "loading" child while it
 * starts, and returns FALSE. */
gboolean cb_page_context_show_state (CbContext           *context,
                                     GtkStack            *stack,
                                     AdwStatusPage       *status,
                                     const char          *signed_out_description);

G_END_DECLS
