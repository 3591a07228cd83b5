/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-page"

/* The registry page's "new namespace" flow: the form (cb-namespace-dialog.c) gets the names
 * the subscription has, so it refuses them as new names, and once the namespace and its root
 * exist the page lists the namespaces again with the new one selected. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-namespace-dialog.h"
#include "cb-registry-page-private.h"

#define DIALOG_KEY "cb-namespace-dialog"

static void
weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

static void
on_namespace_created_cb (CbNamespaceDialog *dialog,
                         const char        *name,
                         CbRegistryPage    *self)
{
  g_autofree char *text = NULL;

  if (cb_namespace_dialog_get_model (dialog) == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES)
    text = g_strdup_printf (_("Created the namespace “%s” and its root CA: give it an "
                              "intermediate CA next"), name);
  else
    text = g_strdup_printf (_("Created the namespace “%s” and its credential"), name);
  _cb_registry_page_show_toast (self, text);
  /* The dialog left the ADR client on the new namespace: the list selects it. */
  cb_registry_page_reload (self);
}

static void
new_namespace_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  CbNamespaceDialog *dialog;
  GWeakRef *ref;

  if (!_cb_registry_page_is_ready (self))
    return;

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->namespace_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      CbNamespace *ns = g_object_get_data (G_OBJECT (row), "cb-namespace");

      if (ns != NULL)
        g_ptr_array_add (names, (gpointer) cb_namespace_get_name (ns));
    }
  g_ptr_array_add (names, NULL);

  dialog = cb_namespace_dialog_new (self->context, (const char * const *) names->pdata);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), _cb_registry_page_get_parent_window (self));
  g_signal_connect_object (dialog, "created", G_CALLBACK (on_namespace_created_cb), self, 0);

  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, dialog);
  g_object_set_data_full (G_OBJECT (self), DIALOG_KEY, ref, (GDestroyNotify) weak_ref_free);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_cb_registry_page_namespaces_update (CbRegistryPage *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.new-namespace",
                                 _cb_registry_page_is_ready (self));
}

void
_cb_registry_page_namespaces_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "registry.new-namespace", NULL,
                                   new_namespace_action);
}

GtkWindow *
cb_registry_page_get_namespace_dialog (CbRegistryPage *self)
{
  GWeakRef *ref;
  GObject *dialog;

  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), NULL);

  ref = g_object_get_data (G_OBJECT (self), DIALOG_KEY);
  if (ref == NULL || (dialog = g_weak_ref_get (ref)) == NULL)
    return NULL;
  /* transfer none: the dialog lives while it is open */
  g_object_unref (dialog);
  return GTK_WINDOW (dialog);
}
