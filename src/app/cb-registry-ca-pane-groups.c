/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-ca-pane"

/* The certificate authorities pane's enrollment groups: the groups of the connection's
 * provisioning service that name this namespace (with the intermediate CA and policy each
 * names), and the "new enrollment group" flow that makes one through an ICA's policy; below
 * them the service's signing CAs (cb-dps-signing-cas.c). */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-dps-service-client.h"
#include "cb-dps-signing-cas.h"
#include "cb-enrollment-group-dialog.h"
#include "cb-registry-ca-pane-private.h"

static gboolean
names_namespace (JsonObject *group,
                 CbNamespace *ns)
{
  const char *name = cb_dps_enrollment_get_namespace (group);

  return ns != NULL && name != NULL &&
         g_ascii_strcasecmp (name, cb_namespace_get_name (ns)) == 0;
}

void
_cb_registry_ca_groups_add (CbRegistryCaPane *self,
                            GtkBox           *content)
{
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *content_button;
  GtkWidget *button;
  guint n = 0;

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Enrollment Groups"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("The provisioning service's groups whose devices get "
                                           "their certificates from this namespace."));

  for (guint i = 0; self->groups != NULL && i < self->groups->len; i++)
    {
      JsonObject *g = g_ptr_array_index (self->groups, i);
      const char *id = json_object_get_string_member_with_default (g, "enrollmentGroupId", NULL);
      g_autofree char *subtitle = NULL;
      GtkWidget *row;

      if (id == NULL || !names_namespace (g, self->ns))
        continue;
      n++;
      /* Translators: an intermediate CA's name, then its policy's */
      subtitle = g_strdup_printf (_("%s · policy %s"),
                                  cb_dps_enrollment_get_certificate_authority (g) != NULL
                                    ? cb_dps_enrollment_get_certificate_authority (g) : "—",
                                  cb_dps_enrollment_get_policy (g) != NULL
                                    ? cb_dps_enrollment_get_policy (g) : "—");
      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), id);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_widget_set_focusable (row, FALSE);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }

  if (n == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     self->groups_error != NULL
                                       ? _("The enrollment groups could not be read")
                                       : _("No enrollment group"));
      if (self->groups_error != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), self->groups_error);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_widget_set_focusable (row, FALSE);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }

  /* Below the rows, as the pane's other adding buttons. */
  content_button = adw_button_content_new ();
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content_button), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content_button), _("New _enrollment group…"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content_button), TRUE);
  button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (button), content_button);
  gtk_widget_set_halign (button, GTK_ALIGN_START);
  gtk_widget_set_margin_top (button, 6);
  gtk_widget_add_css_class (button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "ca.new-enrollment-group");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), button);

  gtk_box_append (content, group);

  /* The CAs X.509 enrollment groups name, on the same provisioning service. */
  if (self->context != NULL && cb_context_get_profile (self->context) != NULL &&
      cb_profile_get_dps_name (cb_context_get_profile (self->context)) != NULL)
    {
      CbDpsSigningCas *cas = cb_dps_signing_cas_new (self->context);

      /* The new-group dialog offers the verified ones. */
      g_object_set_data_full (G_OBJECT (self), "cb-dps-signing-cas", g_object_ref (cas),
                              g_object_unref);
      gtk_box_append (content, GTK_WIDGET (cas));
    }
}

/* The state of the namespace's link to the connection's DPS (the one the group is made on),
 * for the dialog; NULL when the namespace does not link that DPS. */
static const char *
dps_link_text (CbRegistryCaPane *self)
{
  GPtrArray *endpoints = self->ns != NULL ? cb_namespace_get_endpoints (self->ns) : NULL;
  CbProfile *profile = cb_context_get_profile (self->context);
  const char *dps = profile != NULL ? cb_profile_get_dps_name (profile) : NULL;

  for (guint i = 0; dps != NULL && endpoints != NULL && i < endpoints->len; i++)
    {
      CbNamespaceEndpoint *e = g_ptr_array_index (endpoints, i);
      const char *resource = cb_namespace_endpoint_get_resource_name (e);
      const char *state = cb_namespace_endpoint_get_linking_state (e);

      if (cb_namespace_endpoint_get_kind (e) != CB_ENDPOINT_PROVISIONING || resource == NULL ||
          g_ascii_strcasecmp (dps, resource) != 0)
        continue;
      if (g_strcmp0 (state, CB_LINKING_SUCCEEDED) == 0)
        return _("linked to this namespace");
      if (g_strcmp0 (state, CB_LINKING_FAILED) == 0)
        return _("its link to this namespace failed");
      return _("being linked to this namespace");
    }
  return NULL;
}

static void
on_group_created_cb (CbEnrollmentGroupDialog *dialog,
                     const char              *id,
                     CbRegistryCaPane        *self)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("Created the enrollment group “%s”: the Bench can provision "
                            "through it"), id);
  _cb_registry_ca_pane_toast (self, text);
  cb_registry_ca_pane_load (self);
}

static void
new_group_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CbRegistryCaPane *self = CB_REGISTRY_CA_PANE (widget);
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  CbEnrollmentGroupDialog *dialog;

  if (self->cas == NULL || self->ns == NULL || self->context == NULL)
    return;
  for (guint i = 0; self->groups != NULL && i < self->groups->len; i++)
    {
      const char *id = json_object_get_string_member_with_default (
        g_ptr_array_index (self->groups, i), "enrollmentGroupId", NULL);

      if (id != NULL)
        g_ptr_array_add (ids, (gpointer) id);
    }
  g_ptr_array_add (ids, NULL);

  dialog = cb_enrollment_group_dialog_new (self->context, cb_namespace_get_name (self->ns),
                                           self->cas, self->policies,
                                           (const char * const *) ids->pdata,
                                           dps_link_text (self));
  if (g_object_get_data (G_OBJECT (self), "cb-dps-signing-cas") != NULL)
    cb_enrollment_group_dialog_set_signing_cas (
      dialog, cb_dps_signing_cas_get_certificates (g_object_get_data (G_OBJECT (self),
                                                                      "cb-dps-signing-cas")));
  gtk_window_set_transient_for (GTK_WINDOW (dialog), _cb_registry_ca_pane_get_window (self));
  g_signal_connect_object (dialog, "created", G_CALLBACK (on_group_created_cb), self, 0);
  _cb_registry_ca_pane_set_form (self, GTK_WINDOW (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_cb_registry_ca_groups_update (CbRegistryCaPane *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ca.new-enrollment-group",
                                 self->cas != NULL && self->ns != NULL &&
                                 self->context != NULL &&
                                 cb_context_get_dps_service (self->context) != NULL);
}

void
_cb_registry_ca_groups_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "ca.new-enrollment-group", NULL,
                                   new_group_action);
}
