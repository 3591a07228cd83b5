/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-ca-create-dialog"

/* The "new intermediate CA" question of the Registry's certificate authorities: a name, the
 * issuer (a root of this namespace, or an external CA) and the root, checked as they are
 * chosen. Asking only: the certificate authorities pane runs the creation. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-adr-model.h"
#include "cb-ca-create-dialog.h"
#include "cb-policy-dialog.h"

struct _CbCaCreateDialog
{
  AdwMessageDialog  parent_instance;

  GPtrArray        *roots;        /* CbCertificateAuthority */
  guint             n_icas;
  AdwEntryRow      *name_row;
  AdwComboRow      *issuer_row;
  AdwComboRow      *root_row;
  GtkLabel         *hint;
};

G_DEFINE_FINAL_TYPE (CbCaCreateDialog, cb_ca_create_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
update (CbCaCreateDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  gboolean microsoft = adw_combo_row_get_selected (self->issuer_row) == 0;
  const char *hint = NULL;
  gboolean ok = TRUE;

  gtk_widget_set_sensitive (GTK_WIDGET (self->root_row), microsoft && self->roots->len > 0);
  if (self->n_icas >= CB_ADR_MAX_INTERMEDIATE_CAS)
    {
      hint = _("This namespace has three intermediate CAs, the most it can have: delete one "
               "first.");
      ok = FALSE;
    }
  else if (*name != '\0' && !cb_policy_name_is_valid (name))
    {
      hint = _("A name has 3 to 63 characters: letters, digits and hyphens, starting with a "
               "letter or a digit.");
      ok = FALSE;
    }
  else if (*name == '\0')
    ok = FALSE;
  else if (microsoft && self->roots->len == 0)
    {
      hint = _("This namespace has no root CA to issue it.");
      ok = FALSE;
    }

  if (hint == NULL)
    hint = microsoft ? _("The root signs it at once; it can issue as soon as it has a policy.")
                     : _("It waits for activation: your CA signs its request, then you "
                         "activate it with the signed chain.");
  gtk_label_set_text (self->hint, hint);
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->hint), "error");
  else if (*name != '\0' || self->n_icas >= CB_ADR_MAX_INTERMEDIATE_CAS)
    gtk_widget_add_css_class (GTK_WIDGET (self->hint), "error");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "create", ok);
}

static void
cb_ca_create_dialog_finalize (GObject *object)
{
  CbCaCreateDialog *self = CB_CA_CREATE_DIALOG (object);

  g_clear_pointer (&self->roots, g_ptr_array_unref);
  G_OBJECT_CLASS (cb_ca_create_dialog_parent_class)->finalize (object);
}

static void
cb_ca_create_dialog_class_init (CbCaCreateDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_ca_create_dialog_finalize;
}

static void
cb_ca_create_dialog_init (CbCaCreateDialog *self)
{
}

CbCaCreateDialog *
cb_ca_create_dialog_new (GtkWindow *parent,
                         GPtrArray *roots,
                         guint      n_icas)
{
  CbCaCreateDialog *self;
  g_autoptr(GtkStringList) issuers = NULL;
  g_autoptr(GtkStringList) root_names = gtk_string_list_new (NULL);
  GtkWidget *box;
  GtkWidget *list;

  g_return_val_if_fail (roots != NULL, NULL);

  self = g_object_new (CB_TYPE_CA_CREATE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "heading", _("New Intermediate CA"),
                       "body", _("An intermediate CA signs the certificates of the devices "
                                 "provisioned under its policy. A namespace has at most three."),
                       "default-response", "create",
                       "close-response", "cancel",
                       NULL);
  self->roots = g_ptr_array_ref (roots);
  self->n_icas = n_icas;
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
                                  _("The new intermediate CA"), -1);

  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Name"));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->name_row));

  issuers = gtk_string_list_new ((const char *[]) { _("Microsoft"), _("External"), NULL });
  self->issuer_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->issuer_row), _("Issued by"));
  adw_combo_row_set_model (self->issuer_row, G_LIST_MODEL (issuers));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->issuer_row));

  for (guint i = 0; i < roots->len; i++)
    gtk_string_list_append (root_names,
                            cb_certificate_authority_get_name (g_ptr_array_index (roots, i)));
  self->root_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->root_row), _("Root CA"));
  adw_combo_row_set_model (self->root_row, G_LIST_MODEL (root_names));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->root_row));
  gtk_box_append (GTK_BOX (box), list);

  self->hint = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->hint, TRUE);
  gtk_label_set_xalign (self->hint, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->hint), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->hint), "caption");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->hint));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), box);

  g_signal_connect_object (self->name_row, "changed", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->issuer_row, "notify::selected", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  update (self);
  return self;
}

const char *
cb_ca_create_dialog_get_name (CbCaCreateDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_CREATE_DIALOG (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->name_row));
}

CbCaIssuer
cb_ca_create_dialog_get_issuer (CbCaCreateDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_CREATE_DIALOG (self), CB_CA_ISSUER_MICROSOFT);
  return adw_combo_row_get_selected (self->issuer_row) == 0 ? CB_CA_ISSUER_MICROSOFT
                                                            : CB_CA_ISSUER_EXTERNAL;
}

const char *
cb_ca_create_dialog_get_root_id (CbCaCreateDialog *self)
{
  guint selected;

  g_return_val_if_fail (CB_IS_CA_CREATE_DIALOG (self), NULL);
  selected = adw_combo_row_get_selected (self->root_row);
  if (cb_ca_create_dialog_get_issuer (self) != CB_CA_ISSUER_MICROSOFT ||
      selected >= self->roots->len)
    return NULL;
  return cb_certificate_authority_get_id (g_ptr_array_index (self->roots, selected));
}

GtkEditable *
cb_ca_create_dialog_get_name_entry (CbCaCreateDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_CREATE_DIALOG (self), NULL);
  return GTK_EDITABLE (self->name_row);
}

void
cb_ca_create_dialog_set_issuer (CbCaCreateDialog *self,
                                CbCaIssuer        issuer)
{
  g_return_if_fail (CB_IS_CA_CREATE_DIALOG (self));
  adw_combo_row_set_selected (self->issuer_row, issuer == CB_CA_ISSUER_EXTERNAL ? 1 : 0);
}
