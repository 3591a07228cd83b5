/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-station-chooser"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-dps-service-client.h"
#include "cb-policy-dialog.h"
#include "cb-station.h"
#include "cb-station-chooser.h"

struct _CbStationChooser
{
  AdwWindow             parent_instance;

  /* Widgets */
  GtkStack             *stack;
  GtkListBox           *list;
  GtkLabel             *failure_label;
  GtkLabel             *error_label;
  GtkSpinner           *spinner;
  GtkCheckButton       *group;       /* the first radio: the others join it */

  /* Owned */
  CbContext            *context;
  CbStationChooserKind  kind;
  GCancellable         *cancellable;
  GPtrArray            *names;
  char                 *selected;
  char                 *select_after_load;
  char                 *error;
  gboolean              busy;
};

G_DEFINE_FINAL_TYPE (CbStationChooser, cb_station_chooser, ADW_TYPE_WINDOW)

static void load (CbStationChooser *self);

static const char *
current_name (CbStationChooser *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);

  if (profile == NULL)
    return NULL;
  return self->kind == CB_STATION_CHOOSER_POLICY ? cb_profile_get_credential_policy (profile)
                                                 : cb_profile_get_enrollment_group_id (profile);
}

static void
set_error (CbStationChooser *self,
           const char       *error)
{
  g_free (self->error);
  self->error = g_strdup (error);
  gtk_label_set_label (self->error_label, error != NULL ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
}

static void
update_actions (CbStationChooser *self)
{
  gboolean listed = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "list") == 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chooser.use",
                                 listed && self->selected != NULL && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chooser.new-policy",
                                 self->kind == CB_STATION_CHOOSER_POLICY && !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->list), !self->busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->busy);
  gtk_spinner_set_spinning (self->spinner, self->busy);
}

static void
on_radio_toggled_cb (GtkCheckButton   *button,
                     CbStationChooser *self)
{
  if (!gtk_check_button_get_active (button))
    return;
  g_free (self->selected);
  self->selected = g_strdup (g_object_get_data (G_OBJECT (button), "name"));
  update_actions (self);
}

static void
add_row (CbStationChooser *self,
         const char       *name,
         const char       *subtitle,
         gboolean          current)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *radio = gtk_check_button_new ();
  g_autofree char *title = NULL;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  title = current ? g_strdup_printf (_("%s (in use)"), name) : g_strdup (name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (radio, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (radio), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_object_set_data_full (G_OBJECT (radio), "name", g_strdup (name), g_free);
  if (self->group != NULL)
    gtk_check_button_set_group (GTK_CHECK_BUTTON (radio), self->group);
  else
    self->group = GTK_CHECK_BUTTON (radio);
  g_signal_connect (radio, "toggled", G_CALLBACK (on_radio_toggled_cb), self);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), radio);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), radio);
  gtk_list_box_append (self->list, row);
  g_ptr_array_add (self->names, g_strdup (name));
}

static void
clear_list (CbStationChooser *self)
{
  GtkWidget *child;

  self->group = NULL;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  g_ptr_array_set_size (self->names, 0);
  g_clear_pointer (&self->selected, g_free);
}

static void
show_loaded (CbStationChooser *self)
{
  const char *preselect = self->select_after_load != NULL ? self->select_after_load
                                                         : current_name (self);

  gtk_stack_set_visible_child_name (self->stack, self->names->len > 0 ? "list" : "empty");
  if (self->names->len > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  if (preselect != NULL)
    cb_station_chooser_select (self, preselect);
  g_clear_pointer (&self->select_after_load, g_free);
  update_actions (self);
}

static void
show_failure (CbStationChooser *self,
              const GError     *error)
{
  gtk_label_set_label (self->failure_label, error->message);
  gtk_stack_set_visible_child_name (self->stack, "error");
  update_actions (self);
}

static void
groups_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CbStationChooser) self = user_data;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GError) error = NULL;

  groups = cb_dps_service_client_query_finish (CB_DPS_SERVICE_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (groups == NULL)
    {
      show_failure (self, error);
      return;
    }

  clear_list (self);
  for (guint i = 0; i < groups->len; i++)
    {
      JsonObject *group = g_ptr_array_index (groups, i);
      const char *id = json_object_get_string_member_with_default (group, "enrollmentGroupId", NULL);
      const char *policy = cb_dps_enrollment_get_policy (group);
      const char *ca = cb_dps_enrollment_get_certificate_authority (group);
      const char *ns = cb_dps_enrollment_get_namespace (group);
      gboolean disabled = g_strcmp0 (json_object_get_string_member_with_default (
                                       group, "provisioningStatus", "enabled"), "disabled") == 0;
      g_autofree char *subtitle = NULL;

      if (id == NULL)
        continue;
      /* The certificate-authority model names the whole issuing path. */
      if (policy != NULL && ca != NULL)
        /* Translators: a namespace, an intermediate CA and a certificate policy */
        subtitle = g_strdup_printf (disabled ? _("Namespace %s · CA %s · policy %s · disabled")
                                             : _("Namespace %s · CA %s · policy %s"),
                                    ns != NULL ? ns : "—", ca, policy);
      else if (policy != NULL)
        /* Translators: a credential policy name */
        subtitle = g_strdup_printf (disabled ? _("Policy %s · disabled") : _("Policy %s"), policy);
      else
        subtitle = g_strdup (disabled ? _("No credential policy · disabled")
                                      : _("No credential policy"));
      add_row (self, id, subtitle, g_strcmp0 (id, current_name (self)) == 0);
    }
  show_loaded (self);
}

static void
policies_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbStationChooser) self = user_data;
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GError) error = NULL;

  policies = cb_adr_client_list_policies_finish (CB_ADR_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (policies == NULL)
    {
      show_failure (self, error);
      return;
    }

  clear_list (self);
  for (guint i = 0; i < policies->len; i++)
    {
      CbPolicy *policy = g_ptr_array_index (policies, i);
      const char *reason = NULL;
      g_autofree char *subtitle = NULL;

      if (!cb_station_policy_can_issue (policy, &reason))
        subtitle = g_strdup (reason);
      else if (cb_policy_get_certificate_authority (policy) != NULL)
        /* Translators: an intermediate CA's name, then the days */
        subtitle = g_strdup_printf (ngettext ("CA %s · leaf certificates valid %u day",
                                              "CA %s · leaf certificates valid %u days",
                                              cb_policy_get_validity_days (policy)),
                                    cb_certificate_authority_get_name (
                                      cb_policy_get_certificate_authority (policy)),
                                    cb_policy_get_validity_days (policy));
      else
        subtitle = g_strdup_printf (ngettext ("Leaf certificates valid %u day",
                                              "Leaf certificates valid %u days",
                                              cb_policy_get_validity_days (policy)),
                                    cb_policy_get_validity_days (policy));
      add_row (self, cb_policy_get_name (policy), subtitle,
               g_strcmp0 (cb_policy_get_name (policy), current_name (self)) == 0);
    }
  show_loaded (self);
}

static void
load (CbStationChooser *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_error (self, NULL);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  update_actions (self);

  if (cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY ||
      cb_context_get_adr (self->context) == NULL || cb_context_get_dps_service (self->context) == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                     _("The station is not connected."));
      show_failure (self, error);
      return;
    }

  if (self->kind == CB_STATION_CHOOSER_POLICY)
    cb_adr_client_list_policies_async (cb_context_get_adr (self->context), self->cancellable,
                                       policies_cb, g_object_ref (self));
  else
    cb_dps_service_client_query_async (cb_context_get_dps_service (self->context),
                                       CB_DPS_ENROLLMENT_GROUP, self->cancellable, groups_cb,
                                       g_object_ref (self));
}

static void
use_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(CbStationChooser) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean done;

  done = self->kind == CB_STATION_CHOOSER_POLICY
           ? cb_station_use_policy_finish (CB_CONTEXT (object), result, &error)
           : cb_station_use_enrollment_group_finish (CB_CONTEXT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->busy = FALSE;
  update_actions (self);
  if (!done)
    {
      g_autofree char *text = NULL;

      /* Translators: the service's reason follows */
      text = g_strdup_printf (_("The station was not changed: %s"), error->message);
      set_error (self, text);
      return;
    }
  gtk_window_close (GTK_WINDOW (self));
}

static void
use_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  CbStationChooser *self = CB_STATION_CHOOSER (widget);

  if (self->selected == NULL || self->busy)
    return;

  self->busy = TRUE;
  set_error (self, NULL);
  update_actions (self);
  if (self->kind == CB_STATION_CHOOSER_POLICY)
    cb_station_use_policy_async (self->context, self->selected, self->cancellable, use_cb,
                                 g_object_ref (self));
  else
    cb_station_use_enrollment_group_async (self->context, self->selected, self->cancellable,
                                           use_cb, g_object_ref (self));
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  load (CB_STATION_CHOOSER (widget));
}

static void
on_policy_created_cb (CbPolicyDialog   *dialog,
                      CbPolicy         *policy,
                      CbStationChooser *self)
{
  g_free (self->select_after_load);
  self->select_after_load = g_strdup (cb_policy_get_name (policy));
  load (self);
}

static void
new_policy_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  CbStationChooser *self = CB_STATION_CHOOSER (widget);
  CbPolicyDialog *dialog = cb_policy_dialog_new (self->context);

  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  g_signal_connect_object (dialog, "created", G_CALLBACK (on_policy_created_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
status_box (const char *icon,
            const char *title,
            GtkWidget  *extra)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *image = gtk_image_new_from_icon_name (icon);
  GtkWidget *label = gtk_label_new (title);

  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_image_set_pixel_size (GTK_IMAGE (image), 48);
  gtk_widget_add_css_class (image, "dim-label");
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (label, "title-4");
  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), label);
  if (extra != NULL)
    gtk_box_append (GTK_BOX (box), extra);
  return box;
}

static GtkWidget *
pill_button (const char *label,
             const char *action)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_widget_add_css_class (button, "pill");
  return button;
}

static void
build (CbStationChooser *self)
{
  gboolean policy = self->kind == CB_STATION_CHOOSER_POLICY;
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *button;
  GtkWidget *box;
  GtkWidget *scrolled;
  GtkWidget *label;

  gtk_window_set_title (GTK_WINDOW (self), policy ? _("Credential Policy")
                                                  : _("Enrollment Group"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (self), 480, 460);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);

  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  button = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "window.close");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), button);
  button = gtk_button_new_with_mnemonic (_("_Use"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "chooser.use");
  gtk_widget_add_css_class (button, "suggested-action");
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), button);
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), GTK_WIDGET (self->spinner));
  gtk_box_append (GTK_BOX (content), header);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), gtk_spinner_new ());
  gtk_spinner_start (GTK_SPINNER (gtk_widget_get_first_child (box)));
  label = gtk_label_new (policy ? _("Reading the policies…") : _("Reading the enrollment groups…"));
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (box), label);
  gtk_stack_add_named (self->stack, box, "loading");

  self->failure_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->failure_label, TRUE);
  gtk_label_set_wrap_mode (self->failure_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_justify (self->failure_label, GTK_JUSTIFY_CENTER);
  gtk_label_set_selectable (self->failure_label, TRUE);
  box = status_box ("dialog-error-symbolic",
                    policy ? _("The policies could not be read")
                           : _("The enrollment groups could not be read"),
                    GTK_WIDGET (self->failure_label));
  gtk_box_append (GTK_BOX (box), pill_button (_("_Try Again"), "chooser.retry"));
  gtk_widget_set_margin_start (box, 24);
  gtk_widget_set_margin_end (box, 24);
  gtk_stack_add_named (self->stack, box, "error");

  box = status_box (policy ? "security-medium-symbolic" : "view-list-symbolic",
                    policy ? _("The credential has no policy") : _("The service has no enrollment groups"),
                    policy ? pill_button (_("_New Policy…"), "chooser.new-policy") : NULL);
  gtk_stack_add_named (self->stack, box, "empty");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  label = gtk_label_new (policy ? _("The policy that signs the certificates of the station's "
                                    "enrollment group. Every device it provisions from now on "
                                    "gets one from this policy.")
                                : _("The group whose key the station registers devices with. "
                                    "Its policy signs their certificates."));
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (box), label);
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  policy ? _("Policies") : _("Enrollment groups"), -1);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->list));
  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_wrap_mode (self->error_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (self->error_label, 0);
  gtk_label_set_selectable (self->error_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->error_label));
  if (policy)
    {
      button = gtk_button_new_with_mnemonic (_("_New Policy…"));
      gtk_widget_set_halign (button, GTK_ALIGN_START);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "chooser.new-policy");
      gtk_box_append (GTK_BOX (box), button);
    }
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), box);
  gtk_stack_add_named (self->stack, scrolled, "list");

  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->stack));
  adw_window_set_content (ADW_WINDOW (self), content);
}

static gboolean
cb_station_chooser_close_request (GtkWindow *window)
{
  CbStationChooser *self = CB_STATION_CHOOSER (window);

  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (cb_station_chooser_parent_class)->close_request (window);
}

static void
cb_station_chooser_dispose (GObject *object)
{
  CbStationChooser *self = CB_STATION_CHOOSER (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_pointer (&self->names, g_ptr_array_unref);
  g_clear_pointer (&self->selected, g_free);
  g_clear_pointer (&self->select_after_load, g_free);
  g_clear_pointer (&self->error, g_free);

  G_OBJECT_CLASS (cb_station_chooser_parent_class)->dispose (object);
}

static void
cb_station_chooser_class_init (CbStationChooserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cb_station_chooser_dispose;
  window_class->close_request = cb_station_chooser_close_request;

  gtk_widget_class_install_action (widget_class, "chooser.use", NULL, use_action);
  gtk_widget_class_install_action (widget_class, "chooser.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "chooser.new-policy", NULL, new_policy_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cb_station_chooser_init (CbStationChooser *self)
{
  self->names = g_ptr_array_new_with_free_func (g_free);
}

CbStationChooser *
cb_station_chooser_new (CbContext            *context,
                        CbStationChooserKind  kind)
{
  CbStationChooser *self;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  self = g_object_new (CB_TYPE_STATION_CHOOSER, NULL);
  self->context = g_object_ref (context);
  self->kind = kind;
  build (self);
  load (self);
  return self;
}

const char *
cb_station_chooser_get_state (CbStationChooser *self)
{
  g_return_val_if_fail (CB_IS_STATION_CHOOSER (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

GStrv
cb_station_chooser_dup_names (CbStationChooser *self)
{
  GStrvBuilder *builder;
  GStrv names;

  g_return_val_if_fail (CB_IS_STATION_CHOOSER (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->names->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->names, i));
  names = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return names;
}

gboolean
cb_station_chooser_select (CbStationChooser *self,
                           const char       *name)
{
  g_return_val_if_fail (CB_IS_STATION_CHOOSER (self), FALSE);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      GtkWidget *radio = adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row));

      if (radio != NULL && g_strcmp0 (g_object_get_data (G_OBJECT (radio), "name"), name) == 0)
        {
          gtk_check_button_set_active (GTK_CHECK_BUTTON (radio), TRUE);
          return TRUE;
        }
    }
  return FALSE;
}

const char *
cb_station_chooser_get_error (CbStationChooser *self)
{
  g_return_val_if_fail (CB_IS_STATION_CHOOSER (self), NULL);
  return self->error;
}

gboolean
cb_station_chooser_get_busy (CbStationChooser *self)
{
  g_return_val_if_fail (CB_IS_STATION_CHOOSER (self), FALSE);
  return self->busy;
}
