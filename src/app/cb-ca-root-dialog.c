/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-ca-root-dialog"

/* The "new root CA" question of a certificate-authority namespace without a root: its name,
 * checked as it is typed against what the service accepts, prefilled from the namespace's.
 * Asking only: the certificate authorities pane runs the creation. */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-ca-root-dialog.h"
#include "cb-policy-dialog.h"

struct _CbCaRootDialog
{
  AdwMessageDialog  parent_instance;

  AdwEntryRow      *name_row;
  GtkLabel         *hint;
};

G_DEFINE_FINAL_TYPE (CbCaRootDialog, cb_ca_root_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
update (CbCaRootDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  gboolean valid = cb_policy_name_is_valid (name);

  gtk_widget_set_visible (GTK_WIDGET (self->hint), *name != '\0' && !valid);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "create", valid);
}

static void
cb_ca_root_dialog_class_init (CbCaRootDialogClass *klass)
{
}

static void
cb_ca_root_dialog_init (CbCaRootDialog *self)
{
}

CbCaRootDialog *
cb_ca_root_dialog_new (GtkWindow  *parent,
                       const char *namespace_name)
{
  CbCaRootDialog *self;
  g_autofree char *suggestion = NULL;
  GtkWidget *box;
  GtkWidget *list;

  self = g_object_new (CB_TYPE_CA_ROOT_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "heading", _("New Root CA"),
                       "body", _("Microsoft issues the namespace's root; it signs the "
                                 "intermediate CAs that sign your devices' certificates."),
                       "default-response", "create",
                       "close-response", "cancel",
                       NULL);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self),
                                    "cancel", _("_Cancel"),
                                    "create", _("C_reate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "create",
                                              ADW_RESPONSE_SUGGESTED);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("The new root CA"), -1);
  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Name"));
  if (namespace_name != NULL)
    {
      suggestion = g_strdup_printf ("%s-root", namespace_name);
      if (strlen (suggestion) > CB_POLICY_NAME_MAX_LENGTH)
        suggestion[CB_POLICY_NAME_MAX_LENGTH] = '\0';
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), suggestion);
    }
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->name_row));
  gtk_box_append (GTK_BOX (box), list);

  self->hint = GTK_LABEL (gtk_label_new (_("A root CA name has 3 to 63 characters: letters, "
                                           "digits and hyphens, starting with a letter or a "
                                           "digit.")));
  gtk_label_set_wrap (self->hint, TRUE);
  gtk_label_set_xalign (self->hint, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->hint), "error");
  gtk_widget_add_css_class (GTK_WIDGET (self->hint), "caption");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->hint));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), box);

  g_signal_connect_object (self->name_row, "changed", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  update (self);
  return self;
}

const char *
cb_ca_root_dialog_get_name (CbCaRootDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_ROOT_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->name_row));
}

GtkEditable *
cb_ca_root_dialog_get_name_entry (CbCaRootDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_ROOT_DIALOG (self), NULL);
  return GTK_EDITABLE (self->name_row);
}
