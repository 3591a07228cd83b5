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
  GPtrArray        *root_checks;  /* GtkCheckButton, one per root: Microsoft, by that root */
  GtkCheckButton   *external_check;
  GtkLabel         *hint;
};

G_DEFINE_FINAL_TYPE (CbCaCreateDialog, cb_ca_create_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
update (CbCaCreateDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  gboolean microsoft = !gtk_check_button_get_active (self->external_check);
  const char *hint = NULL;
  gboolean ok = TRUE;

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
  g_clear_pointer (&self->root_checks, g_ptr_array_unref);
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
  GtkWidget *issuers;
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

  gtk_box_append (GTK_BOX (box), list);

  /* Who signs it: a root of this namespace (one choice per root), or your own CA. */
  issuers = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (issuers), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (issuers, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (issuers), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Issued by"), -1);
  self->root_checks = g_ptr_array_new ();
  for (guint i = 0; i <= roots->len; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      g_autofree char *subtitle = NULL;

      if (i < roots->len)
        {
          subtitle = g_strdup_printf (_("Signed by the root “%s” at once"),
                                      cb_certificate_authority_get_name (g_ptr_array_index (roots, i)));
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Microsoft"));
          g_ptr_array_add (self->root_checks, check);
        }
      else
        {
          subtitle = g_strdup (_("Signed by your own CA, then activated with its chain"));
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("External"));
          self->external_check = GTK_CHECK_BUTTON (check);
        }
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      subtitle, -1);
      if (i > 0)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (check),
                                    i < roots->len ? g_ptr_array_index (self->root_checks, 0)
                                                   : roots->len > 0
                                                       ? g_ptr_array_index (self->root_checks, 0)
                                                       : NULL);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), i == 0);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_list_box_append (GTK_LIST_BOX (issuers), row);
      g_signal_connect_object (check, "toggled", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
    }
  gtk_box_append (GTK_BOX (box), issuers);

  self->hint = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->hint, TRUE);
  gtk_label_set_xalign (self->hint, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->hint), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->hint), "caption");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->hint));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), box);

  g_signal_connect_object (self->name_row, "changed", G_CALLBACK (update), self,
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
  return gtk_check_button_get_active (self->external_check) ? CB_CA_ISSUER_EXTERNAL
                                                            : CB_CA_ISSUER_MICROSOFT;
}

const char *
cb_ca_create_dialog_get_root_id (CbCaCreateDialog *self)
{
  g_return_val_if_fail (CB_IS_CA_CREATE_DIALOG (self), NULL);

  for (guint i = 0; i < self->root_checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->root_checks, i)))
      return cb_certificate_authority_get_id (g_ptr_array_index (self->roots, i));
  return NULL;
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
  if (issuer == CB_CA_ISSUER_EXTERNAL)
    gtk_check_button_set_active (self->external_check, TRUE);
  else if (self->root_checks->len > 0)
    gtk_check_button_set_active (g_ptr_array_index (self->root_checks, 0), TRUE);
}
