/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-page-context"

/* A page's CbContext plumbing, written once (cb-page-context.h): the Registry, Fleet and
 * Journal, Bench and Diagnostics pages use it. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-page-context.h"

void
cb_page_context_watch (gpointer            page,
                       CbContext          *context,
                       CbPageContextWatch  watch,
                       GCallback           changed)
{
  g_return_if_fail (G_IS_OBJECT (page));
  g_return_if_fail (CB_IS_CONTEXT (context));
  g_return_if_fail (changed != NULL);

  if (watch & CB_PAGE_CONTEXT_STATE)
    g_signal_connect_object (context, "notify::state", changed, page, G_CONNECT_SWAPPED);
  if (watch & CB_PAGE_CONTEXT_PROFILE)
    g_signal_connect_object (context, "notify::profile", changed, page, G_CONNECT_SWAPPED);
}

gboolean
cb_page_context_set (gpointer             page,
                     CbContext          **slot,
                     CbContext           *context,
                     CbPageContextWatch   watch,
                     GCallback            changed)
{
  g_return_val_if_fail (G_IS_OBJECT (page), FALSE);
  g_return_val_if_fail (slot != NULL, FALSE);
  g_return_val_if_fail (context == NULL || CB_IS_CONTEXT (context), FALSE);
  g_return_val_if_fail (changed != NULL, FALSE);

  if (*slot == context)
    return FALSE;

  if (*slot != NULL)
    g_signal_handlers_disconnect_by_data (*slot, page);
  g_set_object (slot, context);
  if (context != NULL)
    cb_page_context_watch (page, context, watch, changed);
  ((void (*) (gpointer)) changed) (page);
  return TRUE;
}

void
cb_page_context_clear (gpointer    page,
                       CbContext **slot)
{
  g_return_if_fail (G_IS_OBJECT (page));
  g_return_if_fail (slot != NULL);

  if (*slot != NULL)
    g_signal_handlers_disconnect_by_data (*slot, page);
  g_clear_object (slot);
}

gboolean
cb_page_context_show_state (CbContext     *context,
                            GtkStack      *stack,
                            AdwStatusPage *status,
                            const char    *signed_out_description)
{
  g_return_val_if_fail (CB_IS_CONTEXT (context), FALSE);
  g_return_val_if_fail (GTK_IS_STACK (stack), FALSE);
  g_return_val_if_fail (ADW_IS_STATUS_PAGE (status), FALSE);

  switch (cb_context_get_state (context))
    {
    case CB_CONTEXT_STATE_READY:
      return TRUE;
    case CB_CONTEXT_STATE_SIGNED_OUT:
      adw_status_page_set_title (status, _("Signed Out"));
      adw_status_page_set_description (status, signed_out_description);
      gtk_stack_set_visible_child_name (stack, "error");
      return FALSE;
    case CB_CONTEXT_STATE_ERROR:
      adw_status_page_set_title (status, _("Not Connected"));
      adw_status_page_set_description (status,
                                       cb_context_get_error (context) != NULL
                                         ? cb_context_get_error (context)->message : NULL);
      gtk_stack_set_visible_child_name (stack, "error");
      return FALSE;
    case CB_CONTEXT_STATE_STARTING:
    default:
      gtk_stack_set_visible_child_name (stack, "loading");
      return FALSE;
    }
}
