/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-ca-policy-dialog"

/* The "new policy" question for an intermediate CA: a name and the device certificates'
 * validity, checked as they are typed against what the service accepts. Asking only: the
 * certificate authorities pane runs the creation. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-ca-policy-dialog.h"
#include "cb-policy-dialog.h"

struct _CbCaPolicyDialog
{
  AdwMessageDialog  parent_instance;

  char             *ca_name;
  AdwEntryRow      *name_row;
  GtkSpinButton    *days_spin;
  GtkLabel         *hint;
};

G_DEFINE_FINAL_TYPE (CbCaPolicyDialog, cb_ca_policy_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
update (CbCaPolicyDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  gboolean valid = cb_policy_name_is_valid (name);

  gtk_widget_set_visible (GTK_WIDGET (self->hint), *name != '\0' && !valid);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "create", valid);
}

static void
cb_ca_policy_dialog_finalize (GObject *object)
{
  CbCaPolicyDialog *self = CB_CA_POLICY_DIALOG (object);

  g_free (self->ca_name);
  G_OBJECT_CLASS (cb_ca_policy_dialog_parent_class)->finalize (object);
}

static void
cb_ca_policy_dialog_class_init (CbCaPolicyDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_ca_policy_dialog_finalize;
}

static void
cb_ca_policy_dialog_init (CbCaPolicyDialog *self)
{
}

CbCaPolicyDialog *
cb_ca_policy_dialog_new (GtkWindow  *parent,
                         const char *ca_name)
{
  CbCaPolicyDialog *self;
  g_autofree char *heading = NULL;
  GtkWidget *box;
  GtkWidget *list;
  GtkWidget *days_row;

  g_return_val_if_fail (ca_name != NULL, NULL);

  heading = g_strdup_printf (_("New Policy for “%s”"), ca_name);
  self = g_object_new (CB_TYPE_CA_POLICY_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "heading", heading,
                       "body", _("The policy says how long the device certificates this "
                                 "intermediate CA signs stay valid. Enrollment groups name it "
                                 "to provision devices through it."),
                       "default-response", "create",
                       "close-response", "cancel",
                       NULL);
  self->ca_name = g_strdup (ca_name);
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
                                  _("The new policy"), -1);

  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Name"));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->name_row));

  days_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (days_row), _("Validity"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (days_row), _("Days, from 7 to 90"));
  self->days_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (CB_POLICY_MIN_VALIDITY_DAYS,
                                                                     CB_POLICY_MAX_VALIDITY_DAYS,
                                                                     1));
  gtk_spin_button_set_value (self->days_spin, 30);
  gtk_spin_button_set_numeric (self->days_spin, TRUE);
  gtk_widget_set_valign (GTK_WIDGET (self->days_spin), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->days_spin),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Device certificate validity in days"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (days_row), GTK_WIDGET (self->days_spin));
  gtk_list_box_append (GTK_LIST_BOX (list), days_row);
  gtk_box_append (GTK_BOX (box), list);

  self->hint = GTK_LABEL (gtk_label_new (_("A policy name has 3 to 63 characters: letters, "
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
cb_ca_policy_dialog_get_ca_name (CbCaPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_POLICY_DIALOG (self), NULL);
  return self->ca_name;
}

const char *
cb_ca_policy_dialog_get_name (CbCaPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_POLICY_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->name_row));
}

guint
cb_ca_policy_dialog_get_days (CbCaPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_POLICY_DIALOG (self), 0);
  gtk_spin_button_update (self->days_spin);
  return (guint) gtk_spin_button_get_value_as_int (self->days_spin);
}

GtkEditable *
cb_ca_policy_dialog_get_name_entry (CbCaPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_POLICY_DIALOG (self), NULL);
  return GTK_EDITABLE (self->name_row);
}

GtkSpinButton *
cb_ca_policy_dialog_get_days_spin (CbCaPolicyDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_POLICY_DIALOG (self), NULL);
  return self->days_spin;
}
