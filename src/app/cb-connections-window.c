/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-connections-window"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-connection-discovery.h"
#include "cb-connections-window.h"
#include "cb-sign-in-dialog.h"
#include "cb-toasts.h"

#define RESOURCE_PATH "/io/github/certbench/Certbench"

struct _CbConnectionsWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  GtkListBox           *list_box;
  GtkWidget            *editor;
  AdwWindowTitle       *editor_title;
  AdwEntryRow          *name_row;
  AdwEntryRow          *tenant_row;
  AdwEntryRow          *client_id_row;
  AdwEntryRow          *subscription_row;
  AdwEntryRow          *resource_group_row;
  AdwEntryRow          *namespace_row;
  AdwEntryRow          *id_scope_row;
  AdwEntryRow          *dps_endpoint_row;
  AdwEntryRow          *hub_host_row;
  GtkWidget            *remove_group;
  GtkLabel             *entra_error_label;
  GtkLabel             *registry_error_label;

  /* Owned */
  CbContext            *context;
  char                 *editing_id;   /* NULL: a new profile */
  char                 *offer_for;    /* a profile just put to use: offer sign-in for it */
  gboolean              discover_after_sign_in;

  /* Weak: the chooser while it is open */
  CbConnectionDiscovery *discovery;

  /* Borrowed */
  AdwToast             *sign_in_toast;
};

G_DEFINE_FINAL_TYPE (CbConnectionsWindow, cb_connections_window, ADW_TYPE_PREFERENCES_WINDOW)

static gboolean check_ids (CbConnectionsWindow *self);
static void     open_discovery (CbConnectionsWindow *self);

/* The window shows one toast at a time (cb-toasts.c): a newer one, the sign-in offer included,
 * takes the place of the one up. */
static void
toast (CbConnectionsWindow *self,
       const char          *title)
{
  cb_preferences_window_add_kind (ADW_PREFERENCES_WINDOW (self), CB_TOAST_KIND_OUTCOME,
                                  adw_toast_new (title));
  /* An offer up is gone: this toast took its place. */
  self->sign_in_toast = NULL;
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  CbConnectionsWindow *self = user_data;
  CbProfile *profile = item;
  gboolean sandbox = cb_profile_get_kind (profile) == CB_PROFILE_KIND_SANDBOX;
  gboolean active = cb_context_get_profile (self->context) != NULL &&
    g_strcmp0 (cb_profile_get_id (cb_context_get_profile (self->context)),
               cb_profile_get_id (profile)) == 0;
  g_autofree char *subtitle = NULL;
  GtkWidget *row;
  GtkWidget *widget;

  if (sandbox)
    subtitle = g_strdup (_("Runs on this computer, no account needed"));
  else
    /* Translators: a tenant, then a Device Registry namespace */
    subtitle = g_strdup_printf (_("Tenant %s · Namespace %s"),
                                cb_profile_get_tenant (profile) ?: "—",
                                cb_profile_get_namespace (profile) ?: "—");

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cb_profile_get_name (profile));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  widget = gtk_image_new_from_icon_name (sandbox ? "computer-symbolic" : "network-server-symbolic");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), widget);

  if (active)
    {
      widget = gtk_image_new_from_icon_name ("object-select-symbolic");
      gtk_widget_set_tooltip_text (widget, _("In Use"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("In Use"), -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), widget);
    }
  else
    {
      widget = gtk_button_new_with_mnemonic (_("_Use"));
      gtk_widget_set_valign (widget, GTK_ALIGN_CENTER);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (widget), "conn.use");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (widget), "s", cb_profile_get_id (profile));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), widget);
    }

  if (!sandbox)
    {
      widget = gtk_button_new_from_icon_name ("document-edit-symbolic");
      gtk_widget_set_valign (widget, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (widget, "flat");
      gtk_widget_set_tooltip_text (widget, _("Edit Profile"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (widget), "conn.edit");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (widget), "s", cb_profile_get_id (profile));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), widget);
    }

  return row;
}

static void
rebind (CbConnectionsWindow *self)
{
  gtk_list_box_bind_model (self->list_box, cb_context_get_profiles (self->context),
                           create_row, self, NULL);
}

static void
on_context_profile_cb (CbConnectionsWindow *self,
                       GParamSpec          *pspec,
                       CbContext           *context)
{
  rebind (self);
}

static CbProfile *
lookup_profile (CbConnectionsWindow *self,
                const char          *id)
{
  GListModel *profiles = cb_context_get_profiles (self->context);

  for (guint i = 0; i < g_list_model_get_n_items (profiles); i++)
    {
      g_autoptr(CbProfile) profile = g_list_model_get_item (profiles, i);

      if (g_strcmp0 (cb_profile_get_id (profile), id) == 0)
        return g_steal_pointer (&profile);
    }

  return NULL;
}

static void
set_text (AdwEntryRow *row,
          const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text != NULL ? text : "");
}

static const char *
get_text (AdwEntryRow *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  return *text != '\0' ? text : NULL;
}

void
cb_connections_window_edit (CbConnectionsWindow *self,
                            const char          *profile_id)
{
  g_autoptr(CbProfile) profile = NULL;

  g_return_if_fail (CB_IS_CONNECTIONS_WINDOW (self));

  if (profile_id != NULL)
    {
      profile = lookup_profile (self, profile_id);
      g_return_if_fail (profile != NULL);
    }

  g_free (self->editing_id);
  self->editing_id = g_strdup (profile_id);

  adw_window_title_set_title (self->editor_title,
                              profile != NULL ? _("Edit Azure Profile") : _("New Azure Profile"));
  set_text (self->name_row, profile != NULL ? cb_profile_get_name (profile) : NULL);
  set_text (self->tenant_row, profile != NULL ? cb_profile_get_tenant (profile) : NULL);
  set_text (self->client_id_row, profile != NULL ? cb_profile_get_client_id (profile) : NULL);
  set_text (self->subscription_row,
            profile != NULL ? cb_profile_get_subscription_id (profile) : NULL);
  set_text (self->resource_group_row,
            profile != NULL ? cb_profile_get_resource_group (profile) : NULL);
  set_text (self->namespace_row, profile != NULL ? cb_profile_get_namespace (profile) : NULL);
  set_text (self->id_scope_row, profile != NULL ? cb_profile_get_dps_id_scope (profile) : NULL);
  set_text (self->dps_endpoint_row,
            profile != NULL ? cb_profile_get_dps_global_endpoint (profile)
                            : CB_AZURE_DPS_GLOBAL_ENDPOINT);
  set_text (self->hub_host_row, profile != NULL ? cb_profile_get_hub_host_name (profile) : NULL);
  gtk_widget_set_visible (self->remove_group, profile != NULL);
  /* A form opens without the marks of the last one. */
  gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->resource_group_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->namespace_row), "error");
  check_ids (self);

  adw_preferences_window_present_subpage (ADW_PREFERENCES_WINDOW (self), self->editor);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
conn_add_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  cb_connections_window_edit (CB_CONNECTIONS_WINDOW (widget), NULL);
}

static void
conn_edit_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  cb_connections_window_edit (CB_CONNECTIONS_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
conn_back_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (widget));
}

static void
conn_use_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  CbConnectionsWindow *self = CB_CONNECTIONS_WINDOW (widget);
  const char *id = g_variant_get_string (param, NULL);
  g_autoptr(GError) error = NULL;
  CbProfile *profile;

  g_free (self->offer_for);
  self->offer_for = g_strdup (id);
  if (!cb_context_switch_profile (self->context, id, &error))
    {
      g_clear_pointer (&self->offer_for, g_free);
      toast (self, error->message);
      return;
    }

  /* Said in a toast, which also takes the place of an offer to sign in to the profile used
   * before (dismissing it instead, with the next offer coming up as it hides, is what
   * libadwaita 1.2 could crash on; see cb-toasts.c). A profile that needs a sign-in replaces
   * this with its own offer (unless the switch made that offer already: then it stays). */
  profile = cb_context_get_profile (self->context);
  if (profile != NULL && (self->offer_for != NULL || self->sign_in_toast == NULL))
    {
      g_autofree char *title = NULL;

      /* Translators: a connection profile's name */
      title = g_strdup_printf (_("Using “%s”"), cb_profile_get_name (profile));
      toast (self, title);
    }
}

static void
on_sign_in_toast_dismissed_cb (AdwToast            *toast,
                               CbConnectionsWindow *self)
{
  if (self->sign_in_toast == toast)
    self->sign_in_toast = NULL;
}

/* A profile just put to use that needs a sign-in: say so, with the way to do it. */
static void
on_context_state_cb (CbConnectionsWindow *self,
                     GParamSpec          *pspec,
                     CbContext           *context)
{
  CbProfile *profile = cb_context_get_profile (context);
  CbContextState state = cb_context_get_state (context);
  g_autofree char *title = NULL;
  AdwToast *offer;

  if (self->discover_after_sign_in && state == CB_CONTEXT_STATE_READY)
    {
      self->discover_after_sign_in = FALSE;
      open_discovery (self);
    }

  if (self->offer_for == NULL || profile == NULL ||
      g_strcmp0 (cb_profile_get_id (profile), self->offer_for) != 0 ||
      state == CB_CONTEXT_STATE_STARTING)
    return;

  g_clear_pointer (&self->offer_for, g_free);
  if (state == CB_CONTEXT_STATE_READY || cb_profile_get_kind (profile) == CB_PROFILE_KIND_SANDBOX)
    return;

  /* Translators: a connection profile's name */
  title = g_strdup_printf (_("Sign in to use “%s”"), cb_profile_get_name (profile));
  offer = adw_toast_new (title);
  adw_toast_set_button_label (offer, _("_Sign In"));
  adw_toast_set_action_name (offer, "conn.sign-in");
  adw_toast_set_timeout (offer, 0);
  offer = cb_preferences_window_add_kind (ADW_PREFERENCES_WINDOW (self), CB_TOAST_KIND_OUTCOME,
                                          offer);
  g_signal_handlers_disconnect_by_func (offer, on_sign_in_toast_dismissed_cb, self);
  g_signal_connect_object (offer, "dismissed", G_CALLBACK (on_sign_in_toast_dismissed_cb), self, 0);
  self->sign_in_toast = offer;
}

static void
conn_sign_in_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  CbConnectionsWindow *self = CB_CONNECTIONS_WINDOW (widget);
  CbSignInDialog *dialog;

  if (cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY)
    return;
  dialog = cb_sign_in_dialog_new (self->context);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The chooser's choices into the form; a step left to the typed fields keeps what is there
 * and gets the focus. */
static void
on_discovery_finished_cb (CbConnectionDiscovery *discovery,
                          gboolean               complete,
                          CbConnectionsWindow   *self)
{
  CbArmResource *tenant = cb_connection_discovery_get_choice (discovery, CB_ARM_RESOURCE_TENANT);
  CbArmResource *sub = cb_connection_discovery_get_choice (discovery,
                                                           CB_ARM_RESOURCE_SUBSCRIPTION);
  CbArmResource *group = cb_connection_discovery_get_choice (discovery, CB_ARM_RESOURCE_GROUP);
  CbArmResource *ns = cb_connection_discovery_get_choice (discovery, CB_ARM_RESOURCE_NAMESPACE);
  CbArmResource *hub = cb_connection_discovery_get_choice (discovery, CB_ARM_RESOURCE_HUB);
  CbArmResource *dps = cb_connection_discovery_get_choice (discovery, CB_ARM_RESOURCE_DPS);
  AdwEntryRow *next = NULL;

  if (self->discovery == discovery)
    {
      g_object_remove_weak_pointer (G_OBJECT (discovery), (gpointer *) &self->discovery);
      self->discovery = NULL;
    }

  if (sub != NULL && cb_arm_resource_get_tenant_id (sub) != NULL)
    set_text (self->tenant_row, cb_arm_resource_get_tenant_id (sub));
  else if (tenant != NULL)
    set_text (self->tenant_row, cb_arm_resource_get_name (tenant));
  if (sub != NULL)
    {
      set_text (self->subscription_row, cb_arm_resource_get_name (sub));
      if (get_text (self->name_row) == NULL)
        set_text (self->name_row, cb_arm_resource_get_title (sub));
    }
  if (group != NULL)
    set_text (self->resource_group_row, cb_arm_resource_get_name (group));
  if (ns != NULL)
    set_text (self->namespace_row, cb_arm_resource_get_name (ns));
  if (hub != NULL && cb_arm_resource_get_host_name (hub) != NULL)
    set_text (self->hub_host_row, cb_arm_resource_get_host_name (hub));
  if (dps != NULL && cb_arm_resource_get_id_scope (dps) != NULL)
    set_text (self->id_scope_row, cb_arm_resource_get_id_scope (dps));
  check_ids (self);

  if (complete)
    {
      toast (self, _("Filled in from your account"));
      return;
    }

  /* Entered by hand from here: the first field the lists did not fill. */
  if (sub == NULL)
    next = self->subscription_row;
  else if (group == NULL)
    next = self->resource_group_row;
  else if (ns == NULL)
    next = self->namespace_row;
  else if (hub == NULL)
    next = self->hub_host_row;
  else
    next = self->id_scope_row;
  gtk_widget_grab_focus (GTK_WIDGET (next));
}

static void
open_discovery (CbConnectionsWindow *self)
{
  CbConnectionDiscovery *discovery = cb_connection_discovery_new (self->context);

  if (self->discovery != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->discovery), (gpointer *) &self->discovery);
  self->discovery = discovery;
  g_object_add_weak_pointer (G_OBJECT (discovery), (gpointer *) &self->discovery);
  g_signal_connect_object (discovery, "finished", G_CALLBACK (on_discovery_finished_cb), self,
                           0);
  gtk_window_set_transient_for (GTK_WINDOW (discovery), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (discovery));
}

/* Choosing from the lists needs the sign-in: when there is none yet, sign in first, then
 * the chooser opens. */
static void
conn_discover_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  CbConnectionsWindow *self = CB_CONNECTIONS_WINDOW (widget);

  if (cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY)
    {
      open_discovery (self);
      return;
    }
  self->discover_after_sign_in = TRUE;
  conn_sign_in_action (widget, "conn.sign-in", NULL);
}

/* 8-4-4-4-12 hexadecimal digits, as Entra and ARM write client, tenant and subscription ids. */
static gboolean
is_guid (const char *text)
{
  static const int groups[] = { 8, 4, 4, 4, 12 };
  const char *p = text;

  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      for (int i = 0; i < groups[g]; i++, p++)
        if (!g_ascii_isxdigit (*p))
          return FALSE;
      if (g + 1 < G_N_ELEMENTS (groups) && *p++ != '-')
        return FALSE;
    }

  return *p == '\0';
}

/* A tenant is its GUID, a verified domain (contoso.onmicrosoft.com) or one of the names
 * Entra accepts in place of a tenant. */
static gboolean
is_tenant (const char *text)
{
  gboolean dot = FALSE;

  if (is_guid (text) || g_strcmp0 (text, "organizations") == 0 || g_strcmp0 (text, "common") == 0)
    return TRUE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (p == text || p[1] == '\0' || p[1] == '.')
            return FALSE;
          dot = TRUE;
        }
      else if (!g_ascii_isalnum (*p) && *p != '-')
        return FALSE;
    }

  return dot;
}

/* Marks a row whose text is there but malformed; returns the message, or NULL when fine. */
static const char *
check_row (AdwEntryRow *row,
           gboolean   (*valid) (const char *),
           const char  *message)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));
  gboolean bad = *text != '\0' && !valid (text);

  if (bad)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  return bad ? message : NULL;
}

/* Resource group names: 1 to 90 letters, digits, underscores, hyphens, periods and
 * parentheses, not ending in a period (ARM's rule). */
static gboolean
is_resource_group (const char *text)
{
  glong n = g_utf8_strlen (text, -1);

  if (!g_utf8_validate (text, -1, NULL) || n < 1 || n > 90 || g_str_has_suffix (text, "."))
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isalnum (c) && c != '_' && c != '-' && c != '.' && c != '(' && c != ')')
        return FALSE;
    }
  return TRUE;
}

/* Device Registry namespace names: 3 to 64 lowercase letters, digits and hyphens, starting
 * and ending with a letter or digit. */
static gboolean
is_namespace (const char *text)
{
  gsize n = strlen (text);

  if (n < 3 || n > 64 || text[0] == '-' || text[n - 1] == '-')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

/* Shows the messages given (NULL ones left out), one after the other; hides the label when
 * there are none. */
static void
show_message (GtkLabel   *label,
              const char *first,
              const char *second,
              const char *third)
{
  const char *messages[] = { first, second, third };
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    if (messages[i] != NULL)
      g_string_append_printf (text, "%s%s", text->len > 0 ? " " : "", messages[i]);
  gtk_label_set_label (label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (label), text->len > 0);
}

/* Checks the identifiers as they are typed; returns TRUE when all are well formed. */
static gboolean
check_ids (CbConnectionsWindow *self)
{
  const char *tenant = check_row (self->tenant_row, is_tenant,
                                  _("The tenant is a GUID or a domain such as "
                                    "contoso.onmicrosoft.com."));
  const char *client = check_row (self->client_id_row, is_guid,
                                  _("The application (client) ID is a GUID such as "
                                    "11111111-2222-3333-4444-555555555555."));
  const char *subscription = check_row (self->subscription_row, is_guid,
                                        _("The subscription ID is a GUID such as "
                                          "00000000-0000-0000-0000-000000000001."));

  const char *group = check_row (self->resource_group_row, is_resource_group,
                                 _("A resource group name has up to 90 letters, digits, "
                                   "underscores, hyphens, periods or parentheses, and does not "
                                   "end with a period."));
  const char *ns = check_row (self->namespace_row, is_namespace,
                              _("A namespace name has 3 to 64 lowercase letters, digits or "
                                "hyphens, and starts and ends with a letter or digit."));

  show_message (self->entra_error_label, tenant, client, NULL);
  show_message (self->registry_error_label, subscription, group, ns);
  return tenant == NULL && client == NULL && subscription == NULL && group == NULL &&
         ns == NULL;
}

static void
on_id_row_changed_cb (CbConnectionsWindow *self)
{
  g_assert (CB_IS_CONNECTIONS_WINDOW (self));
  check_ids (self);
}

static gboolean
mark_required (AdwEntryRow *row)
{
  gboolean missing = get_text (row) == NULL;

  if (missing)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");

  return missing;
}

static void
conn_save_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  CbConnectionsWindow *self = CB_CONNECTIONS_WINDOW (widget);
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  const char *hub_host;
  gboolean missing = FALSE;

  missing |= mark_required (self->name_row);
  missing |= mark_required (self->tenant_row);
  missing |= mark_required (self->client_id_row);
  missing |= mark_required (self->subscription_row);
  missing |= mark_required (self->resource_group_row);
  missing |= mark_required (self->namespace_row);
  if (missing)
    {
      toast (self, _("Fill in the highlighted fields"));
      return;
    }
  if (!check_ids (self))
    {
      toast (self, _("Correct the highlighted fields"));
      return;
    }

  if (self->editing_id != NULL)
    {
      g_autoptr(CbProfile) old = lookup_profile (self, self->editing_id);

      profile = old != NULL ? cb_profile_copy (old) : NULL;
    }
  if (profile == NULL)
    profile = cb_profile_new_azure (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

  cb_profile_set_name (profile, get_text (self->name_row));
  cb_profile_set_tenant (profile, get_text (self->tenant_row));
  cb_profile_set_client_id (profile, get_text (self->client_id_row));
  cb_profile_set_subscription_id (profile, get_text (self->subscription_row));
  cb_profile_set_resource_group (profile, get_text (self->resource_group_row));
  cb_profile_set_namespace (profile, get_text (self->namespace_row));
  cb_profile_set_dps_id_scope (profile, get_text (self->id_scope_row));
  cb_profile_set_dps_global_endpoint (profile, get_text (self->dps_endpoint_row)
                                               ?: CB_AZURE_DPS_GLOBAL_ENDPOINT);

  hub_host = get_text (self->hub_host_row);
  cb_profile_set_hub_host_name (profile, hub_host);
  if (hub_host != NULL)
    {
      g_autofree char *endpoint = g_strdup_printf ("https://%s", hub_host);
      g_autofree char *hub_name = g_strndup (hub_host, strcspn (hub_host, "."));

      cb_profile_set_hub_endpoint (profile, endpoint);
      cb_profile_set_hub_name (profile, hub_name);
    }

  if (!cb_context_save_profile (self->context, profile, &error))
    {
      toast (self, error->message);
      return;
    }

  rebind (self);
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));
  toast (self, _("Profile saved"));

  /* Edited the profile in use: reconnect with the new settings. */
  if (g_strcmp0 (self->editing_id,
                 cb_profile_get_id (cb_context_get_profile (self->context))) == 0)
    cb_context_switch_profile (self->context, self->editing_id, NULL);
}

static void
conn_remove_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  CbConnectionsWindow *self = CB_CONNECTIONS_WINDOW (widget);
  g_autoptr(GError) error = NULL;

  if (self->editing_id == NULL)
    return;

  if (!cb_context_remove_profile (self->context, self->editing_id, &error))
    {
      toast (self, error->message);
      return;
    }

  rebind (self);
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));
  toast (self, _("Profile removed"));
}

static void
cb_connections_window_dispose (GObject *object)
{
  CbConnectionsWindow *self = CB_CONNECTIONS_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_CONNECTIONS_WINDOW);
  g_clear_object (&self->context);
  g_clear_pointer (&self->editing_id, g_free);
  g_clear_pointer (&self->offer_for, g_free);
  if (self->discovery != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->discovery), (gpointer *) &self->discovery);
      self->discovery = NULL;
    }

  G_OBJECT_CLASS (cb_connections_window_parent_class)->dispose (object);
}

static void
cb_connections_window_class_init (CbConnectionsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_connections_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PATH "/cb-connections-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, list_box);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, editor);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, editor_title);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, name_row);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, tenant_row);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, subscription_row);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, resource_group_row);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, namespace_row);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, id_scope_row);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, dps_endpoint_row);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, hub_host_row);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, remove_group);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, entra_error_label);
  gtk_widget_class_bind_template_child (widget_class, CbConnectionsWindow, registry_error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_id_row_changed_cb);

  gtk_widget_class_install_action (widget_class, "conn.add", NULL, conn_add_action);
  gtk_widget_class_install_action (widget_class, "conn.edit", "s", conn_edit_action);
  gtk_widget_class_install_action (widget_class, "conn.back", NULL, conn_back_action);
  gtk_widget_class_install_action (widget_class, "conn.use", "s", conn_use_action);
  gtk_widget_class_install_action (widget_class, "conn.save", NULL, conn_save_action);
  gtk_widget_class_install_action (widget_class, "conn.remove", NULL, conn_remove_action);
  gtk_widget_class_install_action (widget_class, "conn.sign-in", NULL, conn_sign_in_action);
  gtk_widget_class_install_action (widget_class, "conn.discover", NULL, conn_discover_action);
}

static void
cb_connections_window_init (CbConnectionsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CbConnectionsWindow *
cb_connections_window_new (CbContext *context)
{
  CbConnectionsWindow *self;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  self = g_object_new (CB_TYPE_CONNECTIONS_WINDOW, NULL);
  self->context = g_object_ref (context);
  rebind (self);
  g_signal_connect_object (context, "notify::profile", G_CALLBACK (on_context_profile_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (context, "notify::state", G_CALLBACK (on_context_state_cb), self,
                           G_CONNECT_SWAPPED);
  return self;
}

GtkEditable *
cb_connections_window_get_field (CbConnectionsWindow *self,
                                 const char          *field)
{
  static const struct {
    const char *name;
    gsize       offset;
  } fields[] = {
    { "name", G_STRUCT_OFFSET (CbConnectionsWindow, name_row) },
    { "tenant", G_STRUCT_OFFSET (CbConnectionsWindow, tenant_row) },
    { "client-id", G_STRUCT_OFFSET (CbConnectionsWindow, client_id_row) },
    { "subscription-id", G_STRUCT_OFFSET (CbConnectionsWindow, subscription_row) },
    { "resource-group", G_STRUCT_OFFSET (CbConnectionsWindow, resource_group_row) },
    { "namespace", G_STRUCT_OFFSET (CbConnectionsWindow, namespace_row) },
    { "dps-id-scope", G_STRUCT_OFFSET (CbConnectionsWindow, id_scope_row) },
    { "dps-global-endpoint", G_STRUCT_OFFSET (CbConnectionsWindow, dps_endpoint_row) },
    { "hub-host-name", G_STRUCT_OFFSET (CbConnectionsWindow, hub_host_row) },
  };

  g_return_val_if_fail (CB_IS_CONNECTIONS_WINDOW (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_strcmp0 (fields[i].name, field) == 0)
      return GTK_EDITABLE (G_STRUCT_MEMBER (AdwEntryRow *, self, fields[i].offset));

  return NULL;
}

CbConnectionDiscovery *
cb_connections_window_get_discovery (CbConnectionsWindow *self)
{
  g_return_val_if_fail (CB_IS_CONNECTIONS_WINDOW (self), NULL);

  return self->discovery;
}

AdwToast *
cb_connections_window_get_sign_in_offer (CbConnectionsWindow *self)
{
  g_return_val_if_fail (CB_IS_CONNECTIONS_WINDOW (self), NULL);

  return self->sign_in_toast;
}
