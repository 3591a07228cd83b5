/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-endpoint-link-dialog"

/* The question before linking a hub or a DPS to a namespace: which resource (a name in the
 * connection's resource group, as certbench-cli registry link-hub takes it, or a whole
 * resource ID) and under which link name. Asking only: the certificate authorities pane
 * links. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-endpoint-link-dialog.h"

struct _CbEndpointLinkDialog
{
  AdwMessageDialog  parent_instance;

  CbEndpointKind    kind;
  CbProfile        *profile;
  AdwEntryRow      *resource_row;
  AdwEntryRow      *link_row;
};

G_DEFINE_FINAL_TYPE (CbEndpointLinkDialog, cb_endpoint_link_dialog, ADW_TYPE_MESSAGE_DIALOG)

/* A resource name: letters, digits and hyphens (hubs and DPS both), 3 to 50. */
static gboolean
is_resource_name (const char *text)
{
  gsize len = strlen (text);

  if (len < 3 || len > 50)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '-')
      return FALSE;
  return TRUE;
}

static const char *
resource_type (CbEndpointLinkDialog *self)
{
  return self->kind == CB_ENDPOINT_MESSAGING ? CB_ENDPOINT_TYPE_IOT_HUB : CB_ENDPOINT_TYPE_DPS;
}

char *
cb_endpoint_link_dialog_dup_resource_id (CbEndpointLinkDialog *self)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (CB_IS_ENDPOINT_LINK_DIALOG (self), NULL);

  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->resource_row))));
  if (text[0] == '/')
    {
      g_autofree char *type = g_strdup_printf ("/providers/%s/", resource_type (self));

      /* A whole ID: of the right kind, naming a resource. */
      if (!g_str_has_prefix (text, "/subscriptions/") ||
          strstr (text, type) == NULL || g_str_has_suffix (text, "/"))
        return NULL;
      return g_steal_pointer (&text);
    }
  if (!is_resource_name (text) || self->profile == NULL ||
      cb_profile_get_subscription_id (self->profile) == NULL ||
      cb_profile_get_resource_group (self->profile) == NULL)
    return NULL;
  return g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/%s/%s",
                          cb_profile_get_subscription_id (self->profile),
                          cb_profile_get_resource_group (self->profile),
                          resource_type (self), text);
}

char *
cb_endpoint_link_dialog_dup_link_name (CbEndpointLinkDialog *self)
{
  g_autofree char *id = NULL;
  const char *typed;

  g_return_val_if_fail (CB_IS_ENDPOINT_LINK_DIALOG (self), NULL);

  typed = gtk_editable_get_text (GTK_EDITABLE (self->link_row));
  if (typed != NULL && *typed != '\0')
    return g_strstrip (g_strdup (typed));
  id = cb_endpoint_link_dialog_dup_resource_id (self);
  if (id == NULL)
    return NULL;
  return g_strdup (strrchr (id, '/') + 1);
}

static void
update (CbEndpointLinkDialog *self)
{
  g_autofree char *id = cb_endpoint_link_dialog_dup_resource_id (self);
  g_autofree char *link = cb_endpoint_link_dialog_dup_link_name (self);
  const char *typed = gtk_editable_get_text (GTK_EDITABLE (self->resource_row));
  gboolean ok = id != NULL && link != NULL && is_resource_name (link);

  if (*typed != '\0' && id == NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->resource_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->resource_row), "error");
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "link", ok);
}

static void
cb_endpoint_link_dialog_finalize (GObject *object)
{
  CbEndpointLinkDialog *self = CB_ENDPOINT_LINK_DIALOG (object);

  g_clear_object (&self->profile);
  G_OBJECT_CLASS (cb_endpoint_link_dialog_parent_class)->finalize (object);
}

static void
cb_endpoint_link_dialog_class_init (CbEndpointLinkDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_endpoint_link_dialog_finalize;
}

static void
cb_endpoint_link_dialog_init (CbEndpointLinkDialog *self)
{
}

CbEndpointLinkDialog *
cb_endpoint_link_dialog_new (GtkWindow      *parent,
                             CbEndpointKind  kind,
                             CbProfile      *profile)
{
  CbEndpointLinkDialog *self;
  gboolean hub = kind == CB_ENDPOINT_MESSAGING;
  g_autofree char *body = NULL;
  GtkWidget *list;
  body = g_strdup_printf (hub ? _("Linked hubs receive the namespace's intermediate CAs, so "
                                  "they accept the certificates those sign. Give the hub's "
                                  "name in the resource group “%s”, or its whole resource ID.")
                              : _("A linked provisioning service can issue the namespace's "
                                  "certificates through its enrollments. Give its name in the "
                                  "resource group “%s”, or its whole resource ID."),
                          profile != NULL && cb_profile_get_resource_group (profile) != NULL
                            ? cb_profile_get_resource_group (profile) : "—");
  self = g_object_new (CB_TYPE_ENDPOINT_LINK_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "heading", hub ? _("Link an IoT Hub") : _("Link a Provisioning Service"),
                       "body", body,
                       "default-response", "link",
                       "close-response", "cancel",
                       NULL);
  self->kind = kind;
  self->profile = profile != NULL ? g_object_ref (profile) : NULL;
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self),
                                    "cancel", _("_Cancel"),
                                    "link", _("_Link"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), "link",
                                              ADW_RESPONSE_SUGGESTED);

  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  hub ? _("The hub to link") : _("The provisioning service to link"),
                                  -1);
  self->resource_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->resource_row),
                                 hub ? _("Hub name or resource ID")
                                     : _("Service name or resource ID"));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->resource_row));
  self->link_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->link_row),
                                 _("Link name (optional)"));
  gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (self->link_row));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (self), list);


  g_signal_connect_object (self->resource_row, "changed", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->link_row, "changed", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  update (self);
  return self;
}

CbEndpointKind
cb_endpoint_link_dialog_get_kind (CbEndpointLinkDialog *self)
{
  g_return_val_if_fail (CB_IS_ENDPOINT_LINK_DIALOG (self), CB_ENDPOINT_MESSAGING);
  return self->kind;
}

GtkEditable *
cb_endpoint_link_dialog_get_resource_entry (CbEndpointLinkDialog *self)
{
  g_return_val_if_fail (CB_IS_ENDPOINT_LINK_DIALOG (self), NULL);
  return GTK_EDITABLE (self->resource_row);
}

GtkEditable *
cb_endpoint_link_dialog_get_link_entry (CbEndpointLinkDialog *self)
{
  g_return_val_if_fail (CB_IS_ENDPOINT_LINK_DIALOG (self), NULL);
  return GTK_EDITABLE (self->link_row);
}
