/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-confirm-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-confirm-dialog.h"

struct _CbConfirmDialog
{
  AdwMessageDialog  parent_instance;
  GtkBox           *box;
  GtkEntry         *name_entry;
  GtkCheckButton   *option;
  char             *required_name;
};

G_DEFINE_FINAL_TYPE (CbConfirmDialog, cb_confirm_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
cb_confirm_dialog_finalize (GObject *object)
{
  CbConfirmDialog *self = CB_CONFIRM_DIALOG (object);

  g_free (self->required_name);

  G_OBJECT_CLASS (cb_confirm_dialog_parent_class)->finalize (object);
}

static void
cb_confirm_dialog_class_init (CbConfirmDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_confirm_dialog_finalize;
}

static void
cb_confirm_dialog_init (CbConfirmDialog *self)
{
  self->box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 12));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), GTK_WIDGET (self->box));
}

static void
on_name_changed_cb (CbConfirmDialog *self,
                    GtkEditable     *editable)
{
  gboolean matches;

  g_assert (CB_IS_CONFIRM_DIALOG (self));

  matches = g_strcmp0 (gtk_editable_get_text (editable), self->required_name) == 0;
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "confirm", matches);
}

static void
on_name_activate_cb (CbConfirmDialog *self,
                     GtkEntry        *entry)
{
  g_assert (CB_IS_CONFIRM_DIALOG (self));

  if (cb_confirm_dialog_get_confirm_enabled (self))
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (self), "confirm");
}

CbConfirmDialog *
cb_confirm_dialog_new (GtkWindow  *parent,
                       const char *heading,
                       const char *body,
                       const char *confirm_label,
                       const char *required_name)
{
  CbConfirmDialog *self;

  self = g_object_new (CB_TYPE_CONFIRM_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "heading", heading,
                       "body", body,
                       "body-use-markup", FALSE,
                       "default-response", "cancel",
                       "close-response", "cancel",
                       NULL);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self),
                                    "cancel", _("_Cancel"),
                                    "confirm", confirm_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "confirm",
                                              ADW_RESPONSE_DESTRUCTIVE);

  if (required_name != NULL)
    {
      g_autofree char *prompt = g_strdup_printf (_("Type “%s” to confirm"), required_name);
      GtkWidget *label = gtk_label_new (prompt);

      self->required_name = g_strdup (required_name);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
      gtk_box_append (self->box, label);

      self->name_entry = GTK_ENTRY (gtk_entry_new ());
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->name_entry),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, prompt, -1);
      gtk_entry_set_placeholder_text (self->name_entry, required_name);
      g_signal_connect_object (self->name_entry, "changed",
                               G_CALLBACK (on_name_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->name_entry, "activate",
                               G_CALLBACK (on_name_activate_cb), self, G_CONNECT_SWAPPED);
      gtk_box_append (self->box, GTK_WIDGET (self->name_entry));
      adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "confirm", FALSE);
    }

  return self;
}

void
cb_confirm_dialog_set_option (CbConfirmDialog *self,
                              const char      *label,
                              gboolean         active)
{
  g_return_if_fail (CB_IS_CONFIRM_DIALOG (self));

  if (self->option == NULL)
    {
      self->option = GTK_CHECK_BUTTON (gtk_check_button_new ());
      gtk_box_prepend (self->box, GTK_WIDGET (self->option));
    }
  gtk_check_button_set_label (self->option, label);
  gtk_check_button_set_use_underline (self->option, TRUE);
  gtk_check_button_set_active (self->option, active);
}

gboolean
cb_confirm_dialog_get_option_active (CbConfirmDialog *self)
{
  g_return_val_if_fail (CB_IS_CONFIRM_DIALOG (self), FALSE);
  return self->option != NULL && gtk_check_button_get_active (self->option);
}

GtkEditable *
cb_confirm_dialog_get_name_entry (CbConfirmDialog *self)
{
  g_return_val_if_fail (CB_IS_CONFIRM_DIALOG (self), NULL);
  return self->name_entry != NULL ? GTK_EDITABLE (self->name_entry) : NULL;
}

GtkCheckButton *
cb_confirm_dialog_get_option (CbConfirmDialog *self)
{
  g_return_val_if_fail (CB_IS_CONFIRM_DIALOG (self), NULL);
  return self->option;
}

gboolean
cb_confirm_dialog_get_confirm_enabled (CbConfirmDialog *self)
{
  g_return_val_if_fail (CB_IS_CONFIRM_DIALOG (self), FALSE);
  return adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (self), "confirm");
}
