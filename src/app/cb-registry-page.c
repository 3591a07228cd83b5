/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-page"

/* The registry page: namespaces → credential → policies → devices, with the activity log of
 * the namespace. This file holds the widget, its lifecycle, its layout (the leaflet) and the
 * loading of namespaces, the credential and the devices; the actions, the policy pane and the
 * activity log are parts of their own sharing cb-registry-page-private.h. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-a11y.h"
#include "cb-drop-down.h"
#include "cb-adr-client-ca.h"
#include "cb-app-settings.h"
#include "cb-error.h"
#include "cb-page-context.h"
#include "cb-util.h"
#include "cb-error-text.h"
#include "cb-registry-enrollments-pane.h"
#include "cb-registry-page-private.h"
#include "cb-toasts.h"

G_DEFINE_FINAL_TYPE (CbRegistryPage, cb_registry_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- helpers ---------------------------------------------------------------------------- */

gboolean
_cb_registry_page_is_ready (CbRegistryPage *self)
{
  return self->context != NULL &&
         cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY &&
         cb_context_get_adr (self->context) != NULL;
}

GCancellable *
_cb_registry_page_get_cancellable (CbRegistryPage *self)
{
  return self->cancellable;
}

/* @kind: toasts of one kind replace each other (see cb-toasts.h). */
void
_cb_registry_page_show_toast_of_kind (CbRegistryPage *self,
                    const char     *kind,
                    const char     *text)
{
  AdwToast *toast;

  g_assert (CB_IS_REGISTRY_PAGE (self));

  cb_set_str (&self->last_toast, text);
  if (self->toast_overlay == NULL)
    return;
  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 5);
  cb_toast_overlay_add_kind (self->toast_overlay, kind, toast);
}

void
_cb_registry_page_show_toast (CbRegistryPage *self,
            const char     *text)
{
  /* The outcome of what the user did last: it replaces the toast up (cb-toasts.h). */
  _cb_registry_page_show_toast_of_kind (self, CB_TOAST_KIND_OUTCOME, text);
}

void
_cb_registry_page_show_error_toast (CbRegistryPage *self,
                  const char     *what,
                  const GError   *error)
{
  g_autofree char *reason = cb_error_text (error);
  g_autofree char *text = g_strdup_printf ("%s: %s", what, reason);

  _cb_registry_page_show_toast (self, text);
}

char *
_cb_registry_page_format_date (gint64 t)
{
  g_autoptr(GDateTime) dt = NULL;

  if (t <= 0)
    return g_strdup ("—");
  dt = g_date_time_new_from_unix_utc (t);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M UTC");
}

void
_cb_registry_page_clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

GtkWindow *
_cb_registry_page_get_parent_window (CbRegistryPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}


void
_cb_registry_page_set_dialog (CbRegistryPage   *self,
            AdwMessageDialog *dialog)
{
  if (self->dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->dialog), (gpointer *) &self->dialog);
  self->dialog = dialog;
  if (dialog != NULL)
    g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->dialog);
}

/* The one device the single-device actions act on: exactly one row selected. */
CbDeviceItem *
_cb_registry_page_get_selected_device (CbRegistryPage *self)
{
  g_autoptr(GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->device_selection));
  g_autoptr(CbDeviceItem) item = NULL;

  if (gtk_bitset_get_size (set) != 1)
    return NULL;
  item = g_list_model_get_item (G_LIST_MODEL (self->device_selection), gtk_bitset_get_nth (set, 0));
  /* The model keeps the row: transfer none, as before. */
  return item;
}

/* Folded (a narrow window), the policy's views replace the namespace and policy lists. */
void
_cb_registry_page_show_content (CbRegistryPage *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
}

static void
on_list_row_activated_cb (CbRegistryPage *self,
                          GtkListBoxRow  *row,
                          GtkListBox     *list)
{
  g_assert (CB_IS_REGISTRY_PAGE (self));
  _cb_registry_page_show_content (self);
}

/* The leaflet folds while it is being allocated. Showing the back button right then would ask
 * for a new layout in the middle of the current one, and with several pages hidden in the
 * window GDK's relayout budget for the frame can run out first: the frame is then painted
 * with the window's content unallocated. Show it once the layout is done instead. */
static gboolean
update_back_button_cb (gpointer user_data)
{
  CbRegistryPage *self = user_data;

  self->folded_idle = 0;
  gtk_widget_set_visible (self->back_button, adw_leaflet_get_folded (self->leaflet));
  return G_SOURCE_REMOVE;
}

static void
on_leaflet_folded_cb (CbRegistryPage *self)
{
  g_assert (CB_IS_REGISTRY_PAGE (self));

  if (self->folded_idle == 0)
    self->folded_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, update_back_button_cb, self, NULL);
}


/* ---- devices ---------------------------------------------------------------------------- */

/* The filter drop-down after "All devices", in its order: every state the hub can count. */
static const CbDeviceState filter_states[] = {
  CB_DEVICE_STATE_REVOKED,
  CB_DEVICE_STATE_ISSUER_REVOKED,
  CB_DEVICE_STATE_DISABLED,
  CB_DEVICE_STATE_EXPIRED,
  CB_DEVICE_STATE_RENEWAL_DUE,
  CB_DEVICE_STATE_HEALTHY,
  CB_DEVICE_STATE_NOT_REPORTING,
  CB_DEVICE_STATE_UNKNOWN,
};

static char *
build_device_condition (CbRegistryPage *self)
{
  g_autoptr(GString) condition = g_string_new (NULL);
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  guint filter = gtk_drop_down_get_selected (self->filter_dropdown);

  if (search != NULL && *search != '\0')
    {
      g_autoptr(GString) escaped = g_string_new (NULL);

      /* Device ids never contain quotes; drop them rather than break the query. */
      for (const char *p = search; *p != '\0'; p++)
        if (*p != '\'' && *p != '\\')
          g_string_append_c (escaped, *p);
      g_string_append_printf (condition, "STARTSWITH(deviceId, '%s')", escaped->str);
    }

  if (filter >= 1 && filter <= G_N_ELEMENTS (filter_states) && self->state_info != NULL)
    {
      CbDeviceStateContext context = self->state_info->context;
      g_autofree char *state = NULL;

      /* The same rules as the rows, on the service's clock now. */
      context.now = cb_context_get_service_now (self->context);
      state = cb_device_state_build_condition (filter_states[filter - 1], &context);
      if (condition->len > 0)
        g_string_append (condition, " AND ");
      g_string_append_printf (condition, "(%s)", state);
    }

  return g_string_free (g_steal_pointer (&condition), FALSE);
}

static void
update_devices_view (CbRegistryPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->devices));
  const GError *error = cb_device_list_model_get_error (self->devices);
  gboolean loading = cb_device_list_model_get_loading (self->devices);
  g_autofree char *count = NULL;

  gtk_spinner_set_spinning (self->devices_spinner, loading);

  /* Short enough for the toolbar at 1280 px; the tooltip says how the rest arrives. */
  if (cb_device_list_model_get_complete (self->devices))
    {
      count = g_strdup_printf (ngettext ("%u device", "%u devices", n), n);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->devices_count_label), NULL);
    }
  else
    {
      count = g_strdup_printf (ngettext ("%u device so far", "%u devices so far", n), n);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->devices_count_label),
                                   _("More devices load as you scroll"));
    }
  gtk_label_set_text (self->devices_count_label, count);

  if (n > 0)
    {
      gtk_stack_set_visible_child_name (self->devices_stack, "list");
      return;
    }

  if (error != NULL)
    {
      g_autofree char *reason = cb_error_text (error);

      adw_status_page_set_icon_name (self->devices_status, "dialog-warning-symbolic");
      adw_status_page_set_title (self->devices_status, _("Devices Could Not Be Read"));
      adw_status_page_set_description (self->devices_status, reason);
    }
  else if (loading)
    {
      adw_status_page_set_icon_name (self->devices_status, "content-loading-symbolic");
      adw_status_page_set_title (self->devices_status, _("Loading Devices…"));
      adw_status_page_set_description (self->devices_status, NULL);
    }
  else
    {
      adw_status_page_set_icon_name (self->devices_status, "system-search-symbolic");
      adw_status_page_set_title (self->devices_status, _("No Devices"));
      adw_status_page_set_description (self->devices_status,
                                       _("No device matches the search and filter"));
    }
  gtk_stack_set_visible_child_name (self->devices_stack, "empty");
}


static void
reload_devices (CbRegistryPage *self)
{
  g_autofree char *condition = NULL;
  CbDeviceItem *selected;

  if (!_cb_registry_page_is_ready (self) || cb_context_get_hub (self->context) == NULL)
    return;
  /* Rows are judged with the revocations: read them first. */
  if (self->state_info == NULL)
    {
      _cb_registry_page_load_state_info (self);
      return;
    }

  selected = _cb_registry_page_get_selected_device (self);
  if (selected != NULL)
    cb_set_str (&self->reselect, cb_device_item_get_device_id (selected));

  condition = build_device_condition (self);
  cb_device_list_model_set_hub (self->devices, cb_context_get_hub (self->context));
  cb_device_list_model_set_cancellable (self->devices, _cb_registry_page_get_cancellable (self));
  cb_device_list_model_set_policy (self->devices,
                                   self->policy != NULL ? cb_policy_get_name (self->policy) : NULL);
  cb_device_list_model_set_state_info (self->devices, self->state_info);
  cb_device_list_model_set_condition (self->devices, condition);
  cb_device_list_model_reload (self->devices);
  update_devices_view (self);
}

/* A bulk run ended: the rows are judged again with the revocations it made, and read again
 * for the devices it enabled or disabled. */
static void
on_bulk_finished_cb (CbRegistryPage *self)
{
  if (self->disposed)
    return;
  g_clear_pointer (&self->state_info, cb_device_state_info_unref);
  self->state_generation++;
  reload_devices (self);
  _cb_registry_activity_load (self);
  _cb_registry_page_count_hub_devices (self);
}

static void
on_search_entry_search_changed_cb (CbRegistryPage *self,
                                   GtkSearchEntry *entry)
{
  g_assert (CB_IS_REGISTRY_PAGE (self));
  /* Template widgets emit while they are torn down. */
  if (self->disposed)
    return;
  reload_devices (self);
}

static void
on_filter_dropdown_selected_cb (CbRegistryPage *self,
                                GParamSpec     *pspec,
                                GtkDropDown    *dropdown)
{
  g_assert (CB_IS_REGISTRY_PAGE (self));
  /* Template widgets emit while they are torn down. */
  if (self->disposed)
    return;
  reload_devices (self);
}

static void
on_devices_changed_cb (CbRegistryPage *self)
{
  g_assert (CB_IS_REGISTRY_PAGE (self));
  /* Template widgets emit while they are torn down. */
  if (self->disposed)
    return;
  g_signal_connect_object (self->ca_pane, "toast", G_CALLBACK (_cb_registry_page_show_toast),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->ca_pane, "policies-changed",
                           G_CALLBACK (_cb_registry_policy_pane_load), self, G_CONNECT_SWAPPED);

  update_devices_view (self);
  _cb_registry_page_update_actions (self);
}

/* The device that was selected before a reload, once its row is back (after the selection
 * model has seen the new rows). */
static void
on_selection_items_changed_cb (CbRegistryPage *self)
{
  g_autoptr(CbDeviceItem) item = NULL;
  guint position;

  if (self->disposed || self->reselect == NULL)
    return;
  if ((item = cb_device_list_model_dup_device (self->devices, self->reselect, &position)) == NULL)
    return;
  g_clear_pointer (&self->reselect, g_free);
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->device_selection), position, TRUE);
  _cb_registry_page_update_actions (self);
}

/* Counts the hub's devices, for the impact line of policy-wide confirmations: those holding
 * a certificate that works (what a revoke or a CA removal takes), and those whose issuer is
 * revoked already (they need re-provisioning whatever happens). */
typedef struct
{
  CbRegistryPage *self;
  guint          *target;
} CountOp;

static void
count_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  CountOp *op = user_data;
  g_autoptr(CbRegistryPage) self = op->self;
  g_autoptr(CbHubQueryPage) page = NULL;
  g_autoptr(GError) error = NULL;
  guint *target = op->target;
  JsonNode *first;

  g_free (op);
  page = cb_hub_client_query_finish (CB_HUB_CLIENT (object), result, &error);
  if (self->counts_pending > 0 && --self->counts_pending == 0 && page != NULL)
    self->counted = TRUE;
  if (page == NULL || page->items == NULL || json_array_get_length (page->items) == 0)
    return;
  first = json_array_get_element (page->items, 0);
  if (JSON_NODE_HOLDS_OBJECT (first))
    *target = json_object_get_int_member_with_default (json_node_get_object (first), "n", 0);
}

static void
count_where (CbRegistryPage *self,
             const char     *condition,
             guint          *target)
{
  g_autofree char *query = g_strdup_printf ("SELECT COUNT() AS n FROM devices WHERE %s",
                                            condition);
  CountOp *op = g_new0 (CountOp, 1);

  op->self = g_object_ref (self);
  op->target = target;
  self->counts_pending++;
  cb_hub_client_query_async (cb_context_get_hub (self->context), query, 0, NULL,
                             _cb_registry_page_get_cancellable (self), count_cb, op);
}

void
_cb_registry_page_count_hub_devices (CbRegistryPage *self)
{
  CbDeviceStateContext context;
  g_autofree char *live = NULL;

  if (!_cb_registry_page_is_ready (self) || cb_context_get_hub (self->context) == NULL || self->state_info == NULL)
    return;

  context = self->state_info->context;
  context.now = cb_context_get_service_now (self->context);
  live = cb_device_state_build_live_condition (&context);
  count_where (self, live, &self->hub_device_count);

  self->issuer_revoked_count = 0;
  if (context.issuer_rotated_at > 0)
    {
      g_autofree char *issuer = cb_device_state_build_condition (CB_DEVICE_STATE_ISSUER_REVOKED,
                                                                 &context);
      count_where (self, issuer, &self->issuer_revoked_count);
    }
}

typedef struct
{
  CbRegistryPage *self;
  guint           generation;
  gboolean        in_place;   /* judge the loaded rows again instead of reloading them */
} StateLoad;

static void
state_info_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  StateLoad *load = user_data;
  g_autoptr(CbRegistryPage) self = load->self;
  g_autoptr(CbDeviceStateInfo) info = NULL;
  guint generation = load->generation;
  gboolean in_place = load->in_place;

  g_free (load);
  info = cb_device_state_info_load_finish (result, NULL);
  if (info == NULL || self->disposed || generation != self->state_generation)
    return;

  g_clear_pointer (&self->state_info, cb_device_state_info_unref);
  self->state_info = g_steal_pointer (&info);
  if (in_place)
    {
      cb_device_list_model_update_state_info (self->devices, self->state_info);
      _cb_registry_page_update_actions (self);
    }
  else
    reload_devices (self);
  _cb_registry_page_count_hub_devices (self);
}

static void start_state_info (CbRegistryPage *self,
                              gboolean        in_place);

/* After a device action: the rows stay, their states follow the service. */
void
_cb_registry_page_refresh_state_info (CbRegistryPage *self)
{
  start_state_info (self, TRUE);
}

static void
start_state_info (CbRegistryPage *self,
                  gboolean        in_place)
{
  StateLoad *load;

  if (!_cb_registry_page_is_ready (self))
    return;
  load = g_new0 (StateLoad, 1);
  load->self = g_object_ref (self);
  load->generation = ++self->state_generation;
  load->in_place = in_place && self->state_info != NULL;
  cb_device_state_info_load_async (self->context,
                                   self->policy != NULL ? cb_policy_get_name (self->policy) : NULL,
                                   cb_app_settings_get_renewal_fraction (),
                                   _cb_registry_page_get_cancellable (self), state_info_cb, load);
}

/* Reads the revocations and the selected policy's issuing CA again, then the devices. */
void
_cb_registry_page_load_state_info (CbRegistryPage *self)
{
  start_state_info (self, FALSE);
}

/* ---- credential and namespaces ---------------------------------------------------------- */

static void
get_credential_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;

  state = cb_adr_client_get_credential_finish (CB_ADR_CLIENT (object), result, &error);
  if (state == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_free (self->credential_state);
  self->credential_state = g_steal_pointer (&state);

  if (self->credential_state != NULL)
    {
      g_autofree char *subtitle = g_strdup_printf (_("“default”, %s"), self->credential_state);
      adw_action_row_set_subtitle (self->credential_row, subtitle);
    }
  else if (g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
    adw_action_row_set_subtitle (self->credential_row, _("None: this namespace issues no certificates"));
  else
    {
      g_autofree char *reason = cb_error_text (error);
      adw_action_row_set_subtitle (self->credential_row, reason);
    }
  _cb_registry_page_update_actions (self);
}

/* The certificate-authority model shows its hierarchy and links in place of the credential. */
static void
get_model_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  CbAdrModel model;
  gboolean authorities;

  model = cb_adr_client_get_model_finish (CB_ADR_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->disposed)
    return;

  self->model = model;
  authorities = model == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES;
  gtk_widget_set_visible (self->credential_heading, !authorities);
  gtk_widget_set_visible (self->credential_list, !authorities);
  adw_view_stack_page_set_visible (self->authorities_page, authorities);
  if (authorities)
    {
      /* No credential here: its actions (a new credential-model policy, sync) are off. */
      g_clear_pointer (&self->credential_state, g_free);
      _cb_registry_page_update_actions (self);
      adw_view_stack_set_visible_child_name (self->view_stack, "authorities");
      cb_registry_ca_pane_load (self->ca_pane);
      return;
    }
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "authorities") == 0)
    adw_view_stack_set_visible_child_name (self->view_stack, "policy");
  cb_adr_client_get_credential_async (CB_ADR_CLIENT (object), _cb_registry_page_get_cancellable (self),
                                      get_credential_cb, g_object_ref (self));
}

void
_cb_registry_page_load_namespace (CbRegistryPage *self)
{
  if (!_cb_registry_page_is_ready (self))
    return;

  cb_adr_client_get_model_async (cb_context_get_adr (self->context),
                                 _cb_registry_page_get_cancellable (self), get_model_cb,
                                 g_object_ref (self));
  _cb_registry_policy_pane_load (self);
  _cb_registry_activity_load (self);
}

static void
on_namespace_list_row_selected_cb (CbRegistryPage *self,
                                   GtkListBoxRow  *row,
                                   GtkListBox     *list)
{
  CbNamespace *ns;

  g_assert (CB_IS_REGISTRY_PAGE (self));
  /* Template widgets emit while they are torn down. */
  if (self->disposed)
    return;

  if (row == NULL || !_cb_registry_page_is_ready (self))
    return;
  ns = g_object_get_data (G_OBJECT (row), "cb-namespace");
  if (ns == NULL)
    return;

  if (g_strcmp0 (self->namespace_id, cb_namespace_get_id (ns)) != 0)
    cb_registry_ca_pane_clear (self->ca_pane);
  cb_set_str (&self->namespace_id, cb_namespace_get_id (ns));
  cb_adr_client_set_namespace (cb_context_get_adr (self->context), cb_namespace_get_name (ns));
  _cb_registry_page_load_namespace (self);
}

static void
list_namespaces_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GPtrArray) namespaces = NULL;
  g_autoptr(GError) error = NULL;
  const char *current;
  GtkListBoxRow *select = NULL;

  namespaces = cb_adr_client_list_namespaces_finish (CB_ADR_CLIENT (object), result, &error);
  if (namespaces == NULL)
    {
      g_autofree char *reason = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      reason = cb_error_text (error);
      adw_status_page_set_description (self->error_status, reason);
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return;
    }

  _cb_registry_page_clear_list_box (self->namespace_list);
  current = cb_adr_client_get_namespace (CB_ADR_CLIENT (object));

  for (guint i = 0; i < namespaces->len; i++)
    {
      CbNamespace *ns = g_ptr_array_index (namespaces, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *subtitle = NULL;

      subtitle = g_strdup_printf ("%s · %s",
                                  cb_namespace_get_location (ns) != NULL
                                    ? cb_namespace_get_location (ns) : "—",
                                  cb_namespace_get_resource_group (ns) != NULL
                                    ? cb_namespace_get_resource_group (ns) : "—");
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cb_namespace_get_name (ns));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      g_object_set_data_full (G_OBJECT (row), "cb-namespace", g_object_ref (ns), g_object_unref);
      /* An AdwActionRow is not activatable by itself: a click (or Enter) on it must show the
       * namespace's content when the leaflet is folded (on_list_row_activated_cb). */
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_list_box_append (self->namespace_list, row);
      if (select == NULL || g_strcmp0 (cb_namespace_get_name (ns), current) == 0)
        select = GTK_LIST_BOX_ROW (row);
    }

  if (select == NULL)
    {
      adw_status_page_set_title (self->error_status, _("No Namespaces"));
      adw_status_page_set_description (self->error_status,
                                       _("This subscription has no Azure Device Registry namespace"));
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return;
    }

  gtk_stack_set_visible_child_name (self->main_stack, "content");
  gtk_list_box_select_row (self->namespace_list, select);
  /* A namespace is chosen (the profile's, or the only one): folded, its content shows, with the
   * back button to the list, as GNOME Settings does on a phone. Set while unfolded too: the
   * leaflet shows its visible child when the window narrows. Only on a profile's first load:
   * a reload (Refresh, coming back to the page) leaves the folded page where the user went. */
  if (!self->content_chosen)
    {
      self->content_chosen = TRUE;
      _cb_registry_page_show_content (self);
    }
}

void
cb_registry_page_reload (CbRegistryPage *self)
{
  g_return_if_fail (CB_IS_REGISTRY_PAGE (self));

  if (self->context == NULL)
    return;

  if (!cb_page_context_show_state (self->context, self->main_stack, self->error_status,
                                   _("Sign in to the connection to see its registry")))
    return;

  self->loaded = TRUE;
  adw_status_page_set_title (self->error_status, _("The Registry Could Not Be Read"));
  if (gtk_stack_get_visible_child_name (self->main_stack) != NULL &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "content") != 0)
    gtk_stack_set_visible_child_name (self->main_stack, "loading");
  cb_adr_client_list_namespaces_async (cb_context_get_adr (self->context), _cb_registry_page_get_cancellable (self),
                                       list_namespaces_cb, g_object_ref (self));
}

/* ---- context ---------------------------------------------------------------------------- */

static void
on_context_changed_cb (CbRegistryPage *self)
{
  g_assert (CB_IS_REGISTRY_PAGE (self));

  /* A new profile or state: what was shown belongs to the old one. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->policy);
  g_clear_pointer (&self->credential_state, g_free);
  g_clear_pointer (&self->state_info, cb_device_state_info_unref);
  self->state_generation++;
  self->counted = FALSE;
  self->content_chosen = FALSE;
  self->counts_pending = 0;
  g_clear_pointer (&self->enrollment_groups, g_ptr_array_unref);
  g_list_store_remove_all (self->policies);
  self->model = CB_ADR_MODEL_UNKNOWN;
  cb_registry_ca_pane_set_context (self->ca_pane, self->context);
  cb_registry_ca_pane_clear (self->ca_pane);
  cb_bulk_bar_set_context (self->bulk_bar, self->context);
  _cb_registry_page_update_actions (self);
  cb_registry_page_reload (self);
}

void
cb_registry_page_set_context (CbRegistryPage *self,
                              CbContext      *context)
{
  g_return_if_fail (CB_IS_REGISTRY_PAGE (self));

  if (cb_page_context_set (self, &self->context, context,
                           CB_PAGE_CONTEXT_STATE | CB_PAGE_CONTEXT_PROFILE,
                           G_CALLBACK (on_context_changed_cb)))
    {
      cb_registry_ca_pane_set_context (self->ca_pane, context);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
    }
}

/* ---- GObject ---------------------------------------------------------------------------- */

/* Devices change behind the page's back (the bench provisions them): coming back shows the
 * current list and log. */
static void
cb_registry_page_map (GtkWidget *widget)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);

  GTK_WIDGET_CLASS (cb_registry_page_parent_class)->map (widget);

  if (self->loaded && _cb_registry_page_is_ready (self) &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "content") == 0)
    {
      _cb_registry_page_load_state_info (self);
      _cb_registry_activity_load (self);
    }
}

static void
cb_registry_page_dispose (GObject *object)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (object);

  /* Callbacks still in flight see CANCELLED and leave the widgets alone. */
  self->disposed = TRUE;
  g_clear_handle_id (&self->folded_idle, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (self->devices != NULL)
    g_signal_handlers_disconnect_by_data (self->devices, self);
  if (self->device_selection != NULL)
    g_signal_handlers_disconnect_by_data (self->device_selection, self);
  _cb_registry_page_set_dialog (self, NULL);
  if (self->policy_dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->policy_dialog),
                                    (gpointer *) &self->policy_dialog);
      self->policy_dialog = NULL;
    }
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  cb_page_context_clear (self, &self->context);
  g_clear_object (&self->policy);
  /* AdwBin keeps its own pointer to the template's top widget: drop it first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_REGISTRY_PAGE);

  G_OBJECT_CLASS (cb_registry_page_parent_class)->dispose (object);
}

static void
cb_registry_page_finalize (GObject *object)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->policies);
  g_clear_pointer (&self->enrollment_groups, g_ptr_array_unref);
  g_clear_object (&self->device_selection);
  g_clear_object (&self->devices);
  g_ptr_array_unref (self->operations);
  g_free (self->namespace_id);
  g_free (self->credential_state);
  g_free (self->last_toast);
  g_free (self->reselect);
  g_strfreev (self->delete_devices);
  g_clear_pointer (&self->state_info, cb_device_state_info_unref);

  G_OBJECT_CLASS (cb_registry_page_parent_class)->finalize (object);
}

static void
cb_registry_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_registry_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      cb_registry_page_set_context (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_registry_page_class_init (CbRegistryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_registry_page_dispose;
  object_class->finalize = cb_registry_page_finalize;
  object_class->get_property = cb_registry_page_get_property;
  object_class->set_property = cb_registry_page_set_property;
  widget_class->map = cb_registry_page_map;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CB_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CB_TYPE_DEVICE_TABLE);
  g_type_ensure (CB_TYPE_BULK_BAR);
  g_type_ensure (CB_TYPE_REGISTRY_CA_PANE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-registry-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, main_stack);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, error_status);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, namespace_list);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, credential_row);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, policy_list);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, busy_revealer);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, busy_label);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, authorities_page);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, ca_pane);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, credential_heading);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, credential_list);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, policy_stack);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, ca_subject_row);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, ca_validity_row);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, key_type_row);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, byor_row);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, byor_csr_button);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, byor_activate_button);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, validity_spin);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, devices_spinner);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, devices_count_label);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, back_button);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, content_pane);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, devices_stack);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, device_table);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, bulk_bar);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, devices_status);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, activity_stack);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, activity_list);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, activity_status);
  gtk_widget_class_bind_template_callback (widget_class, on_namespace_list_row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_list_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_search_entry_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_dropdown_selected_cb);

  _cb_registry_policy_pane_class_init (widget_class);
  _cb_registry_page_class_actions_init (widget_class);
  _cb_registry_page_namespaces_class_init (widget_class);
}

static void
cb_registry_page_init (CbRegistryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cb_a11y_name_popup_button (GTK_WIDGET (self->filter_dropdown), _("Show devices"));
  cb_drop_down_ellipsize (self->filter_dropdown);
  gtk_widget_set_visible (self->back_button, adw_leaflet_get_folded (self->leaflet));
  g_signal_connect_object (self->leaflet, "notify::folded", G_CALLBACK (on_leaflet_folded_cb),
                           self, G_CONNECT_SWAPPED);

  self->operations = g_ptr_array_new_with_free_func (g_free);
  self->cancellable = g_cancellable_new ();
  self->policies = g_list_store_new (CB_TYPE_POLICY);
  self->devices = cb_device_list_model_new ();
  /* Several devices at once (shift/ctrl-click, Ctrl+A): the bulk bar acts on them; the
   * single-device actions on exactly one. */
  self->device_selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->devices)));
  cb_device_table_set_model (self->device_table, GTK_SELECTION_MODEL (self->device_selection));
  cb_bulk_bar_set_model (self->bulk_bar, GTK_SELECTION_MODEL (self->device_selection), self->devices);
  g_signal_connect_object (self->bulk_bar, "finished", G_CALLBACK (on_bulk_finished_cb), self,
                           G_CONNECT_SWAPPED);

  g_signal_connect_object (self->devices, "items-changed", G_CALLBACK (on_devices_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->devices, "notify::loading", G_CALLBACK (on_devices_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->devices, "notify::complete", G_CALLBACK (on_devices_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->device_selection, "selection-changed",
                           G_CALLBACK (_cb_registry_page_update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->device_selection, "items-changed",
                           G_CALLBACK (on_selection_items_changed_cb), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);

  g_signal_connect_object (self->ca_pane, "toast", G_CALLBACK (_cb_registry_page_show_toast),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->ca_pane, "policies-changed",
                           G_CALLBACK (_cb_registry_policy_pane_load), self, G_CONNECT_SWAPPED);

  cb_registry_enrollments_pane_add_to_stack (self->view_stack, G_OBJECT (self));

  update_devices_view (self);
  _cb_registry_page_update_actions (self);
}

GtkWidget *
cb_registry_page_new (CbContext *context)
{
  return g_object_new (CB_TYPE_REGISTRY_PAGE, "context", context, NULL);
}

CbContext *
cb_registry_page_get_context (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), NULL);
  return self->context;
}

GListModel *
cb_registry_page_get_policies (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), NULL);
  return G_LIST_MODEL (self->policies);
}

CbDeviceListModel *
cb_registry_page_get_devices (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), NULL);
  return self->devices;
}

gboolean
cb_registry_page_select_device (CbRegistryPage *self,
                                const char     *device_id)
{
  g_autoptr(CbDeviceItem) item = NULL;
  guint position;

  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), FALSE);

  if ((item = cb_device_list_model_dup_device (self->devices, device_id, &position)) == NULL)
    return FALSE;
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->device_selection), position, TRUE);
  _cb_registry_page_update_actions (self);
  return TRUE;
}

void
cb_registry_page_filter_devices (CbRegistryPage *self,
                                 const char     *search,
                                 int             filter)
{
  guint selected = 0;

  g_return_if_fail (CB_IS_REGISTRY_PAGE (self));
  g_return_if_fail (filter >= -1 && filter < CB_DEVICE_N_STATES);

  for (guint i = 0; filter >= 0 && i < G_N_ELEMENTS (filter_states); i++)
    if (filter_states[i] == (CbDeviceState) filter)
      selected = i + 1;
  g_return_if_fail (filter < 0 || selected > 0);

  adw_view_stack_set_visible_child_name (self->view_stack, "devices");
  _cb_registry_page_show_content (self);
  /* Both emit, and each reloads; the last reload wins (the model cancels the other). */
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), search != NULL ? search : "");
  gtk_drop_down_set_selected (self->filter_dropdown, selected);
  reload_devices (self);
}

AdwMessageDialog *
cb_registry_page_get_dialog (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), NULL);
  return self->dialog;
}

CbPolicyDialog *
cb_registry_page_get_policy_dialog (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), NULL);
  return self->policy_dialog;
}

const char *
cb_registry_page_get_last_toast (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), NULL);
  return self->last_toast;
}

guint
cb_registry_page_get_n_operations (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), 0);
  return self->operations->len;
}

guint
cb_registry_page_get_n_activity (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), 0);
  return self->n_activity;
}

gboolean
cb_registry_page_select_namespace (CbRegistryPage *self,
                                   const char     *name)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), FALSE);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->namespace_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      CbNamespace *ns = g_object_get_data (G_OBJECT (row), "cb-namespace");

      if (ns != NULL && g_strcmp0 (cb_namespace_get_name (ns), name) == 0)
        {
          gtk_list_box_select_row (self->namespace_list, GTK_LIST_BOX_ROW (row));
          return TRUE;
        }
    }
  return FALSE;
}

CbAdrModel
cb_registry_page_get_model (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), CB_ADR_MODEL_UNKNOWN);
  return self->model;
}

CbRegistryCaPane *
cb_registry_page_get_ca_pane (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), NULL);
  return self->ca_pane;
}

GtkWidget *
cb_registry_page_get_bulk_bar (CbRegistryPage *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), NULL);
  return GTK_WIDGET (self->bulk_bar);
}
