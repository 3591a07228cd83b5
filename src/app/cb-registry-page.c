/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-a11y.h"
#include "cb-app-settings.h"
#include "cb-confirm-dialog.h"
#include "cb-error.h"
#include "cb-util.h"
#include "cb-x509.h"
#include "cb-registry-page.h"
#include "cb-policy-dialog.h"
#include "cb-registry-page-error.h"
#include "cb-toasts.h"

#define ACTIVITY_DAYS 30

struct _CbRegistryPage
{
  AdwBin              parent_instance;

  CbContext          *context;
  GCancellable       *cancellable;     /* ours: cancelled on dispose and on a profile switch */
  GListStore         *policies;
  CbDeviceListModel  *devices;
  GtkSingleSelection *device_selection;
  CbPolicy           *policy;          /* selected */
  char               *namespace_id;    /* selected namespace's resource id */
  char               *credential_state;
  char               *last_toast;
  AdwMessageDialog   *dialog;          /* weak */
  CbPolicyDialog     *policy_dialog;   /* weak */
  GPtrArray          *enrollment_groups; /* JsonObject from DPS, NULL until read */
  GtkFileChooserNative *chooser;
  GPtrArray          *operations;      /* char *, what is running */
  CbDeviceStateInfo  *state_info;      /* the signals device rows are judged with */
  guint               state_generation;
  char               *reselect;        /* a device to select again after a reload */
  guint               n_activity;
  guint               hub_device_count; /* devices holding a working certificate */
  guint               issuer_revoked_count;
  guint               counts_pending;   /* count queries in flight */
  gboolean            counted;          /* the counts above were read at least once */
  gboolean            loaded;
  gboolean            disposed;

  /* template */
  AdwToastOverlay    *toast_overlay;
  GtkStack           *main_stack;
  AdwStatusPage      *error_status;
  GtkListBox         *namespace_list;
  AdwActionRow       *credential_row;
  GtkListBox         *policy_list;
  AdwLeaflet         *leaflet;
  GtkWidget          *content_pane;
  GtkWidget          *back_button;
  guint               folded_idle;
  GtkRevealer        *busy_revealer;
  GtkSpinner         *busy_spinner;
  GtkLabel           *busy_label;
  AdwViewStack       *view_stack;
  GtkStack           *policy_stack;
  AdwActionRow       *ca_subject_row;
  AdwActionRow       *ca_validity_row;
  AdwActionRow       *key_type_row;
  AdwActionRow       *byor_row;
  GtkWidget          *byor_csr_button;
  GtkWidget          *byor_activate_button;
  GtkSpinButton      *validity_spin;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *filter_dropdown;
  GtkSpinner         *devices_spinner;
  GtkLabel           *devices_count_label;
  GtkStack           *devices_stack;
  GtkColumnView      *device_view;
  AdwStatusPage      *devices_status;
  GtkStack           *activity_stack;
  GtkListBox         *activity_list;
  AdwStatusPage      *activity_status;
};

G_DEFINE_FINAL_TYPE (CbRegistryPage, cb_registry_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void load_namespace (CbRegistryPage *self);
static void update_actions (CbRegistryPage *self);

/* ---- helpers ---------------------------------------------------------------------------- */

static gboolean
is_ready (CbRegistryPage *self)
{
  return self->context != NULL &&
         cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY &&
         cb_context_get_adr (self->context) != NULL;
}

static GCancellable *
get_cancellable (CbRegistryPage *self)
{
  return self->cancellable;
}

/* @kind: toasts of one kind replace each other (see cb-toasts.h); NULL queues. */
static void
show_toast_of_kind (CbRegistryPage *self,
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

static void
show_toast (CbRegistryPage *self,
            const char     *text)
{
  show_toast_of_kind (self, NULL, text);
}

static void
show_error_toast (CbRegistryPage *self,
                  const char     *what,
                  const GError   *error)
{
  g_autofree char *reason = cb_registry_describe_error (error);
  g_autofree char *text = g_strdup_printf ("%s: %s", what, reason);

  show_toast (self, text);
}

static char *
format_date (gint64 t)
{
  g_autoptr(GDateTime) dt = NULL;

  if (t <= 0)
    return g_strdup ("—");
  dt = g_date_time_new_from_unix_utc (t);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M UTC");
}

static void
clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static GtkWindow *
get_parent_window (CbRegistryPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

/* Operations keep running while the user works elsewhere; the sidebar shows what is running. */
static void
update_busy (CbRegistryPage *self)
{
  g_autofree char *text = NULL;
  guint n = self->operations->len;

  if (n == 1)
    text = g_strdup (g_ptr_array_index (self->operations, 0));
  else if (n > 1)
    text = g_strdup_printf (ngettext ("%u operation running", "%u operations running", n), n);

  gtk_label_set_text (self->busy_label, text != NULL ? text : "");
  gtk_spinner_set_spinning (self->busy_spinner, n > 0);
  gtk_revealer_set_reveal_child (self->busy_revealer, n > 0);
}

static char *
begin_operation (CbRegistryPage *self,
                 const char     *description)
{
  char *op = g_strdup (description);

  g_ptr_array_add (self->operations, op);
  update_busy (self);
  return op;
}

static void
end_operation (CbRegistryPage *self,
               const char     *op)
{
  g_ptr_array_remove (self->operations, (gpointer) op);
  update_busy (self);
}

/* An async operation's state: the page, what it was about, and the running entry. */
typedef struct
{
  CbRegistryPage *self;
  char           *op;
  char           *subject;
  gboolean        flag;
} Op;

static Op *
op_new (CbRegistryPage *self,
        const char     *description,
        const char     *subject,
        gboolean        flag)
{
  Op *op = g_new0 (Op, 1);

  op->self = g_object_ref (self);
  op->op = begin_operation (self, description);
  op->subject = g_strdup (subject);
  op->flag = flag;
  return op;
}

static void
op_free (Op *op)
{
  /* After dispose the template widgets are gone. */
  if (op->self->busy_label != NULL)
    end_operation (op->self, op->op);
  else
    g_ptr_array_remove (op->self->operations, op->op);
  g_object_unref (op->self);
  g_free (op->subject);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

static void
set_dialog (CbRegistryPage   *self,
            AdwMessageDialog *dialog)
{
  if (self->dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->dialog), (gpointer *) &self->dialog);
  self->dialog = dialog;
  if (dialog != NULL)
    g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->dialog);
}

static CbDeviceItem *
get_selected_device (CbRegistryPage *self)
{
  return gtk_single_selection_get_selected_item (self->device_selection);
}

/* ---- activity --------------------------------------------------------------------------- */

static const char *
describe_operation (const char *operation)
{
  /* operationName.value ends with the verb: …/devices/revoke/action, …/policies/delete */
  if (operation == NULL)
    return _("Changed");
  if (g_str_has_suffix (operation, "/revoke/action"))
    return _("Revoked device");
  if (g_str_has_suffix (operation, "/revokeIssuer/action"))
    return _("Revoked issuer (rotated the issuing CA)");
  if (g_str_has_suffix (operation, "/activateBringYourOwnRoot/action"))
    return _("Activated own root");
  if (g_str_has_suffix (operation, "/synchronize/action"))
    return _("Synced to hubs");
  if (g_str_has_suffix (operation, "/delete"))
    return _("Deleted");
  if (g_str_has_suffix (operation, "/write"))
    return _("Created or changed");
  return operation;
}

static const char *
last_segment (const char *resource_id)
{
  const char *slash;

  if (resource_id == NULL)
    return "";
  slash = strrchr (resource_id, '/');
  return slash != NULL ? slash + 1 : resource_id;
}

static void
list_activity_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = NULL;

  events = cb_adr_client_list_activity_finish (CB_ADR_CLIENT (object), result, &error);
  if (events == NULL)
    {
      g_autofree char *reason = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      reason = cb_registry_describe_error (error);
      adw_status_page_set_title (self->activity_status, _("The Activity Log Could Not Be Read"));
      adw_status_page_set_description (self->activity_status, reason);
      gtk_stack_set_visible_child_name (self->activity_stack, "empty");
      return;
    }

  clear_list_box (self->activity_list);
  self->n_activity = 0;
  prefix = g_ascii_strdown (self->namespace_id != NULL ? self->namespace_id : "", -1);

  for (guint i = 0; i < events->len; i++)
    {
      CbActivityEvent *event = g_ptr_array_index (events, i);
      const char *resource = cb_activity_event_get_resource_id (event);
      const char *status = cb_activity_event_get_status (event);
      g_autofree char *lower = g_ascii_strdown (resource != NULL ? resource : "", -1);
      g_autofree char *when = format_date (cb_activity_event_get_time (event));
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;
      GtkWidget *row;

      /* Only this namespace, and only the outcome of each operation. */
      if (!g_str_has_prefix (lower, prefix))
        continue;
      if (g_strcmp0 (status, "Started") == 0 || g_strcmp0 (status, "Accepted") == 0)
        continue;

      title = g_strdup_printf ("%s %s",
                               describe_operation (cb_activity_event_get_operation_name (event)),
                               last_segment (resource));
      subtitle = g_strdup_printf (_("%s · %s · %s"),
                                  cb_activity_event_get_caller (event) != NULL
                                    ? cb_activity_event_get_caller (event) : _("unknown caller"),
                                  when, status != NULL ? status : "");
      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_list_box_append (self->activity_list, row);
      self->n_activity++;
    }

  if (self->n_activity == 0)
    {
      adw_status_page_set_title (self->activity_status, _("No Activity"));
      adw_status_page_set_description (self->activity_status,
                                       _("Nobody revoked, rotated or deleted anything in this "
                                         "namespace in the last 30 days"));
    }
  gtk_stack_set_visible_child_name (self->activity_stack, self->n_activity > 0 ? "list" : "empty");
}

static void
load_activity (CbRegistryPage *self)
{
  gint64 now;

  if (!is_ready (self))
    return;
  now = cb_context_get_service_now (self->context);
  /* A minute of slack: the sandbox's clock and ours may differ slightly. */
  cb_adr_client_list_activity_async (cb_context_get_adr (self->context),
                                     now - ACTIVITY_DAYS * 86400, now + 3600, NULL,
                                     get_cancellable (self), list_activity_cb,
                                     g_object_ref (self));
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
      g_autofree char *reason = cb_registry_describe_error (error);

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

static void load_state_info (CbRegistryPage *self);

static void
reload_devices (CbRegistryPage *self)
{
  g_autofree char *condition = NULL;
  CbDeviceItem *selected;

  if (!is_ready (self) || cb_context_get_hub (self->context) == NULL)
    return;
  /* Rows are judged with the revocations: read them first. */
  if (self->state_info == NULL)
    {
      load_state_info (self);
      return;
    }

  selected = get_selected_device (self);
  if (selected != NULL)
    cb_set_str (&self->reselect, cb_device_item_get_device_id (selected));

  condition = build_device_condition (self);
  cb_device_list_model_set_hub (self->devices, cb_context_get_hub (self->context));
  cb_device_list_model_set_cancellable (self->devices, get_cancellable (self));
  cb_device_list_model_set_policy (self->devices,
                                   self->policy != NULL ? cb_policy_get_name (self->policy) : NULL);
  cb_device_list_model_set_state_info (self->devices, self->state_info);
  cb_device_list_model_set_condition (self->devices, condition);
  cb_device_list_model_reload (self->devices);
  update_devices_view (self);
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
  update_devices_view (self);
  update_actions (self);
}

/* The device that was selected before a reload, once its row is back (after the selection
 * model has seen the new rows). */
static void
on_selection_items_changed_cb (CbRegistryPage *self)
{
  guint position;

  if (self->disposed || self->reselect == NULL)
    return;
  if (cb_device_list_model_find (self->devices, self->reselect, &position) == NULL)
    return;
  g_clear_pointer (&self->reselect, g_free);
  gtk_single_selection_set_selected (self->device_selection, position);
  update_actions (self);
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
                             get_cancellable (self), count_cb, op);
}

static void
count_hub_devices (CbRegistryPage *self)
{
  CbDeviceStateContext context;
  g_autofree char *live = NULL;

  if (!is_ready (self) || cb_context_get_hub (self->context) == NULL || self->state_info == NULL)
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
      update_actions (self);
    }
  else
    reload_devices (self);
  count_hub_devices (self);
}

static void start_state_info (CbRegistryPage *self,
                              gboolean        in_place);

/* After a device action: the rows stay, their states follow the service. */
static void
refresh_state_info (CbRegistryPage *self)
{
  start_state_info (self, TRUE);
}

static void
start_state_info (CbRegistryPage *self,
                  gboolean        in_place)
{
  StateLoad *load;

  if (!is_ready (self))
    return;
  load = g_new0 (StateLoad, 1);
  load->self = g_object_ref (self);
  load->generation = ++self->state_generation;
  load->in_place = in_place && self->state_info != NULL;
  cb_device_state_info_load_async (self->context,
                                   self->policy != NULL ? cb_policy_get_name (self->policy) : NULL,
                                   cb_app_settings_get_renewal_fraction (),
                                   get_cancellable (self), state_info_cb, load);
}

/* Reads the revocations and the selected policy's issuing CA again, then the devices. */
static void
load_state_info (CbRegistryPage *self)
{
  start_state_info (self, FALSE);
}

/* ---- policy view ------------------------------------------------------------------------ */

static void
show_policy (CbRegistryPage *self,
             CbPolicy       *policy)
{
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;
  g_autofree char *validity = NULL;
  const char *byor;

  g_set_object (&self->policy, policy);

  if (policy == NULL)
    {
      gtk_stack_set_visible_child_name (self->policy_stack, "empty");
      update_actions (self);
      return;
    }

  from = format_date (cb_policy_get_ca_not_before (policy));
  until = format_date (cb_policy_get_ca_not_after (policy));
  validity = g_strdup_printf (_("%s to %s"), from, until);

  {
    g_autofree char *title = g_strdup_printf (_("Issuing CA of “%s”"), cb_policy_get_name (policy));

    adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (
                                       GTK_WIDGET (self->ca_subject_row), ADW_TYPE_PREFERENCES_GROUP)),
                                     title);
  }
  adw_action_row_set_subtitle (self->ca_subject_row,
                               cb_policy_get_ca_subject (policy) != NULL
                                 ? cb_policy_get_ca_subject (policy) : _("Not issued yet"));
  adw_action_row_set_subtitle (self->ca_validity_row, validity);
  adw_action_row_set_subtitle (self->key_type_row,
                               cb_policy_get_key_type (policy) != NULL
                                 ? cb_policy_get_key_type (policy) : "ECC");
  if (!cb_policy_get_byor_enabled (policy))
    byor = _("Not used: the namespace root signs the issuing CA");
  else if (g_strcmp0 (cb_policy_get_byor_status (policy), CB_POLICY_BYOR_PENDING_ACTIVATION) == 0)
    byor = _("Pending activation: sign the CSR with your root, then activate the chain");
  else if (g_strcmp0 (cb_policy_get_byor_status (policy), CB_POLICY_BYOR_ACTIVE_PENDING_RENEWAL) == 0)
    byor = _("Active, renewal pending");
  else
    byor = _("Active");
  adw_action_row_set_subtitle (self->byor_row, byor);
  gtk_widget_set_visible (self->byor_csr_button, cb_policy_get_byor_enabled (policy));
  gtk_widget_set_visible (self->byor_activate_button, cb_policy_get_byor_enabled (policy));

  gtk_spin_button_set_value (self->validity_spin, cb_policy_get_validity_days (policy));
  gtk_stack_set_visible_child_name (self->policy_stack, "policy");
  update_actions (self);
}

static GtkWidget *
create_policy_row (CbPolicy *policy)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = NULL;

  subtitle = g_strdup_printf (ngettext ("%u-day certificates", "%u-day certificates",
                                        cb_policy_get_validity_days (policy)),
                              cb_policy_get_validity_days (policy));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cb_policy_get_name (policy));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (cb_policy_get_byor_enabled (policy))
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_label_new (_("Own root")));
  return row;
}

static void
set_policies (CbRegistryPage *self,
              GPtrArray      *policies,
              const char     *select_name)
{
  /* A copy: the caller's name is usually the shown policy's, and emptying the list unselects
   * its row, which lets go of that policy (and of its name) before the loop below reads it. */
  g_autofree char *wanted = g_strdup (select_name);
  guint select = 0;

  g_list_store_remove_all (self->policies);
  clear_list_box (self->policy_list);

  for (guint i = 0; policies != NULL && i < policies->len; i++)
    {
      CbPolicy *policy = g_ptr_array_index (policies, i);

      g_list_store_append (self->policies, policy);
      gtk_list_box_append (self->policy_list, create_policy_row (policy));
      if (g_strcmp0 (cb_policy_get_name (policy), wanted) == 0)
        select = i;
    }

  if (policies != NULL && policies->len > 0)
    gtk_list_box_select_row (self->policy_list,
                             gtk_list_box_get_row_at_index (self->policy_list, select));
  else
    show_policy (self, NULL);
}

/* Folded (a narrow window), the policy's views replace the namespace and policy lists. */
static void
show_content (CbRegistryPage *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->content_pane);
}

static void
on_list_row_activated_cb (CbRegistryPage *self,
                          GtkListBoxRow  *row,
                          GtkListBox     *list)
{
  g_assert (CB_IS_REGISTRY_PAGE (self));
  show_content (self);
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

static void
show_sidebar_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  adw_leaflet_navigate (CB_REGISTRY_PAGE (widget)->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
on_policy_list_row_selected_cb (CbRegistryPage *self,
                                GtkListBoxRow  *row,
                                GtkListBox     *list)
{
  g_autoptr(CbPolicy) policy = NULL;
  gboolean changed;

  g_assert (CB_IS_REGISTRY_PAGE (self));
  /* Template widgets emit while they are torn down. */
  if (self->disposed)
    return;

  if (row != NULL)
    policy = g_list_model_get_item (G_LIST_MODEL (self->policies),
                                    gtk_list_box_row_get_index (row));
  changed = policy == NULL || self->policy == NULL ||
            g_strcmp0 (cb_policy_get_name (policy), cb_policy_get_name (self->policy)) != 0;
  show_policy (self, policy);
  /* Another policy: another issuing CA to judge the rows by. */
  if (changed)
    load_state_info (self);
}

static void
list_policies_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GError) error = NULL;
  guint generation;

  policies = cb_adr_client_list_policies_finish (CB_ADR_CLIENT (object), result, &error);
  if (policies == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* No credential yet: no policies, not an error. */
      if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
        show_error_toast (self, _("Policies could not be read"), error);
    }

  generation = self->state_generation;
  set_policies (self, policies,
                self->policy != NULL ? cb_policy_get_name (self->policy) : NULL);
  /* Selecting a different policy reloads the signals and devices; the same one (a refresh, an
   * issuer revoke) does not, but its issuing CA may be a new one. */
  if (self->state_generation == generation)
    load_state_info (self);
}

/* DPS's enrollment groups, to say which still use a policy about to be deleted. */
static void
query_groups_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GError) error = NULL;

  groups = cb_dps_service_client_query_finish (CB_DPS_SERVICE_CLIENT (object), result, &error);
  if (groups == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("The enrollment groups could not be read: %s", error->message);
      return;
    }
  g_clear_pointer (&self->enrollment_groups, g_ptr_array_unref);
  self->enrollment_groups = g_steal_pointer (&groups);
}

static void
load_policies (CbRegistryPage *self)
{
  if (!is_ready (self))
    return;
  cb_adr_client_list_policies_async (cb_context_get_adr (self->context), get_cancellable (self),
                                     list_policies_cb, g_object_ref (self));
  if (cb_context_get_dps_service (self->context) != NULL)
    cb_dps_service_client_query_async (cb_context_get_dps_service (self->context),
                                       CB_DPS_ENROLLMENT_GROUP, get_cancellable (self),
                                       query_groups_cb, g_object_ref (self));
}

/* "Enrollment groups still using it: a, b. …", or NULL when none (or not known). */
static char *
describe_groups_using (CbRegistryPage *self,
                       const char     *policy)
{
  g_autoptr(GString) names = g_string_new (NULL);
  guint n = 0;

  for (guint i = 0; self->enrollment_groups != NULL && i < self->enrollment_groups->len; i++)
    {
      JsonObject *group = g_ptr_array_index (self->enrollment_groups, i);
      const char *id = json_object_get_string_member_with_default (group, "enrollmentGroupId",
                                                                   NULL);

      if (id == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (group, "credentialPolicyName",
                                                                 NULL), policy) != 0)
        continue;
      /* Translators: the separator between enrollment group names */
      g_string_append_printf (names, "%s“%s”", n > 0 ? _(", ") : "", id);
      n++;
    }
  if (n == 0)
    return NULL;

  return g_strdup_printf (ngettext ("Enrollment group %s still uses it: its devices cannot be "
                                    "provisioned until it uses another policy.",
                                    "Enrollment groups %s still use it: their devices cannot be "
                                    "provisioned until they use another policy.", n),
                          names->str);
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
      g_autofree char *reason = cb_registry_describe_error (error);
      adw_action_row_set_subtitle (self->credential_row, reason);
    }
  update_actions (self);
}

static void
load_namespace (CbRegistryPage *self)
{
  if (!is_ready (self))
    return;

  cb_adr_client_get_credential_async (cb_context_get_adr (self->context), get_cancellable (self),
                                      get_credential_cb, g_object_ref (self));
  load_policies (self);
  load_activity (self);
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

  if (row == NULL || !is_ready (self))
    return;
  ns = g_object_get_data (G_OBJECT (row), "cb-namespace");
  if (ns == NULL)
    return;

  cb_set_str (&self->namespace_id, cb_namespace_get_id (ns));
  cb_adr_client_set_namespace (cb_context_get_adr (self->context), cb_namespace_get_name (ns));
  load_namespace (self);
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
      reason = cb_registry_describe_error (error);
      adw_status_page_set_description (self->error_status, reason);
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return;
    }

  clear_list_box (self->namespace_list);
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
}

void
cb_registry_page_reload (CbRegistryPage *self)
{
  g_return_if_fail (CB_IS_REGISTRY_PAGE (self));

  if (self->context == NULL)
    return;

  switch (cb_context_get_state (self->context))
    {
    case CB_CONTEXT_STATE_READY:
      break;
    case CB_CONTEXT_STATE_SIGNED_OUT:
      adw_status_page_set_title (self->error_status, _("Signed Out"));
      adw_status_page_set_description (self->error_status,
                                       _("Sign in to the connection to see its registry"));
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return;
    case CB_CONTEXT_STATE_ERROR:
      adw_status_page_set_title (self->error_status, _("Not Connected"));
      adw_status_page_set_description (self->error_status,
                                       cb_context_get_error (self->context) != NULL
                                         ? cb_context_get_error (self->context)->message : NULL);
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return;
    case CB_CONTEXT_STATE_STARTING:
    default:
      gtk_stack_set_visible_child_name (self->main_stack, "loading");
      return;
    }

  self->loaded = TRUE;
  adw_status_page_set_title (self->error_status, _("The Registry Could Not Be Read"));
  if (gtk_stack_get_visible_child_name (self->main_stack) != NULL &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "content") != 0)
    gtk_stack_set_visible_child_name (self->main_stack, "loading");
  cb_adr_client_list_namespaces_async (cb_context_get_adr (self->context), get_cancellable (self),
                                       list_namespaces_cb, g_object_ref (self));
}

/* ---- actions: policy -------------------------------------------------------------------- */

static void
update_actions (CbRegistryPage *self)
{
  CbDeviceItem *device = get_selected_device (self);
  gboolean ready = is_ready (self);
  gboolean has_policy = ready && self->policy != NULL;
  gboolean byor = has_policy && cb_policy_get_byor_enabled (self->policy);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.refresh", self->context != NULL);
  /* A credential holds one policy in this preview: a second one is refused by the service. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.create-policy",
                                 ready && self->credential_state != NULL &&
                                 g_list_model_get_n_items (G_LIST_MODEL (self->policies)) <
                                   CB_ADR_MAX_POLICIES_PER_CREDENTIAL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.save-validity",
                                 has_policy &&
                                 (guint) gtk_spin_button_get_value_as_int (self->validity_spin) !=
                                   cb_policy_get_validity_days (self->policy));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.sync",
                                 ready && self->credential_state != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.revoke-issuer", has_policy && !byor);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.delete-policy", has_policy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.activate-byor",
                                 byor && g_strcmp0 (cb_policy_get_byor_status (self->policy),
                                                    CB_POLICY_BYOR_ACTIVE) != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.copy-csr",
                                 byor && cb_policy_get_byor_csr (self->policy) != NULL &&
                                 g_strcmp0 (cb_policy_get_byor_status (self->policy),
                                            CB_POLICY_BYOR_ACTIVE) != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.delete-credential",
                                 ready && self->credential_state != NULL);
  /* Nothing left to revoke: already revoked, or its issuer's revoke took its certificate. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.revoke-device",
                                 ready && device != NULL &&
                                 cb_device_state_can_revoke (cb_device_item_get_state (device)));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.delete-device",
                                 ready && device != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.enable-device",
                                 ready && device != NULL && !cb_device_item_get_enabled (device));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "registry.disable-device",
                                 ready && device != NULL && cb_device_item_get_enabled (device));
}

static void
on_validity_spin_value_changed_cb (CbRegistryPage *self,
                                   GtkSpinButton  *spin)
{
  g_assert (CB_IS_REGISTRY_PAGE (self));
  /* Template widgets emit while they are torn down. */
  if (self->disposed)
    return;
  update_actions (self);
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (adw_view_stack_get_child_by_name (self->view_stack, name) != NULL)
    {
      adw_view_stack_set_visible_child_name (self->view_stack, name);
      show_content (self);
    }
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  cb_registry_page_reload (CB_REGISTRY_PAGE (widget));
}

static void
update_validity_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  policy = cb_adr_client_update_policy_validity_finish (CB_ADR_CLIENT (object), result, &error);
  if (policy == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("Leaf validity not changed"), error);
      return;
    }
  text = g_strdup_printf (_("New certificates from “%s” are valid for %u days"),
                          cb_policy_get_name (policy), cb_policy_get_validity_days (policy));
  show_toast_of_kind (op->self, CB_REGISTRY_TOAST_VALIDITY, text);
  load_policies (op->self);
}

static void
save_validity_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  guint days = CLAMP (gtk_spin_button_get_value_as_int (self->validity_spin), 7, 90);
  g_autofree char *what = NULL;

  if (self->policy == NULL || !is_ready (self))
    return;
  what = g_strdup_printf (_("Changing the leaf validity of “%s”…"), cb_policy_get_name (self->policy));
  cb_adr_client_update_policy_validity_async (cb_context_get_adr (self->context),
                                              cb_policy_get_name (self->policy), days,
                                              get_cancellable (self), update_validity_cb,
                                              op_new (self, what, cb_policy_get_name (self->policy),
                                                      FALSE));
}

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;

  if (!cb_adr_client_synchronize_credential_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("Sync to hubs failed"), error);
      return;
    }
  show_toast (op->self, _("The issuing CAs are on the linked hubs"));
  load_activity (op->self);
}

static void
sync_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);

  if (!is_ready (self))
    return;
  cb_adr_client_synchronize_credential_async (cb_context_get_adr (self->context),
                                              get_cancellable (self), sync_cb,
                                              op_new (self, _("Syncing to hubs…"), NULL, FALSE));
}

/* Create policy: its own dialog checks the form and stays open when the service refuses. */
static void
on_policy_created_cb (CbPolicyDialog *dialog,
                      CbPolicy       *policy,
                      CbRegistryPage *self)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("Created policy “%s”"), cb_policy_get_name (policy));
  show_toast (self, text);
  g_set_object (&self->policy, policy);
  load_policies (self);
  load_activity (self);
}

static void
create_policy_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  CbPolicyDialog *dialog;

  if (!is_ready (self))
    return;

  dialog = cb_policy_dialog_new (self->context);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), get_parent_window (self));
  g_signal_connect_object (dialog, "created", G_CALLBACK (on_policy_created_cb), self, 0);
  if (self->policy_dialog != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->policy_dialog), (gpointer *) &self->policy_dialog);
  self->policy_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->policy_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Revoke issuer */
static void
revoke_issuer_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!cb_adr_client_revoke_issuer_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("Issuer not revoked"), error);
      return;
    }
  text = g_strdup_printf (_("Revoked the issuing CA of “%s”; new registrations get a new one"),
                          op->subject);
  show_toast (op->self, text);
  load_policies (op->self);
  load_activity (op->self);
}

static void
on_revoke_issuer_response_cb (AdwMessageDialog *dialog,
                              const char       *response,
                              CbRegistryPage   *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "policy");
  g_autofree char *what = NULL;

  if (g_strcmp0 (response, "confirm") != 0 || !is_ready (self))
    return;
  what = g_strdup_printf (_("Revoking the issuer of “%s”…"), name);
  cb_adr_client_revoke_issuer_async (cb_context_get_adr (self->context), name,
                                     get_cancellable (self), revoke_issuer_cb,
                                     op_new (self, what, name, FALSE));
}

static void
revoke_issuer_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  CbConfirmDialog *dialog;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  const char *name;

  if (self->policy == NULL)
    return;
  name = cb_policy_get_name (self->policy);
  heading = g_strdup_printf (_("Revoke the Issuer of “%s”?"), name);
  /* The impact counts the devices whose certificate still works: those already revoked,
   * expired or issued by an earlier (revoked) CA lose nothing more. */
  if (!self->counted || self->counts_pending > 0)
    body = g_strdup (_("Every certificate this policy's issuing CA signed stops working at once: "
                       "the devices holding one lose it and must be provisioned again (they are "
                       "still being counted). The old CA goes on the root's revocation list; new "
                       "registrations get a new issuing CA."));
  else
    body = g_strdup_printf (ngettext ("Every certificate this policy's issuing CA signed stops "
                                      "working at once: %u device holding a working certificate "
                                      "loses it and must be provisioned again. The old CA goes on "
                                      "the root's revocation list; new registrations get a new "
                                      "issuing CA.",
                                      "Every certificate this policy's issuing CA signed stops "
                                      "working at once: %u devices holding a working certificate "
                                      "lose it and must be provisioned again. The old CA goes on "
                                      "the root's revocation list; new registrations get a new "
                                      "issuing CA.",
                                      self->hub_device_count),
                            self->hub_device_count);
  dialog = cb_confirm_dialog_new (get_parent_window (self), heading, body, _("_Revoke Issuer"), name);
  g_object_set_data_full (G_OBJECT (dialog), "policy", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_revoke_issuer_response_cb), self, 0);
  set_dialog (self, ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Delete policy, optionally removing its CA from the linked hubs afterwards. */
static void
delete_hub_certificate_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!cb_adr_client_delete_hub_certificate_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("The issuing CA was not removed from the hub"), error);
      return;
    }
  text = g_strdup_printf (_("Removed the issuing CA of “%s” from the hub; its certificates no "
                            "longer work"), op->subject);
  show_toast (op->self, text);
  load_activity (op->self);
}

static void
list_hub_certificates_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GError) error = NULL;
  guint removed = 0;

  certificates = cb_adr_client_list_hub_certificates_finish (CB_ADR_CLIENT (object), result, &error);
  if (certificates == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("The hub's CA certificates could not be read"), error);
      return;
    }

  for (guint i = 0; i < certificates->len; i++)
    {
      CbHubCertificate *certificate = g_ptr_array_index (certificates, i);
      g_autofree char *what = NULL;

      if (g_strcmp0 (cb_hub_certificate_get_policy_name (certificate), op->subject) != 0)
        continue;
      what = g_strdup_printf (_("Removing “%s” from the hub…"), cb_hub_certificate_get_name (certificate));
      cb_adr_client_delete_hub_certificate_async (CB_ADR_CLIENT (object),
                                                  cb_hub_certificate_get_name (certificate),
                                                  cb_hub_certificate_get_etag (certificate),
                                                  get_cancellable (op->self),
                                                  delete_hub_certificate_cb,
                                                  op_new (op->self, what, op->subject, FALSE));
      removed++;
    }

  if (removed == 0)
    show_toast (op->self, _("The linked hub holds no CA certificate of this policy"));
}

static void
delete_policy_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!cb_adr_client_delete_policy_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("Policy not deleted"), error);
      return;
    }

  if (op->flag)
    {
      g_autofree char *what = g_strdup_printf (_("Finding the CA of “%s” on the hubs…"), op->subject);

      cb_adr_client_list_hub_certificates_async (CB_ADR_CLIENT (object), get_cancellable (op->self),
                                                 list_hub_certificates_cb,
                                                 op_new (op->self, what, op->subject, FALSE));
      text = g_strdup_printf (_("Deleted policy “%s”"), op->subject);
    }
  else
    text = g_strdup_printf (_("Deleted policy “%s”; its certificates keep working while the hubs "
                              "hold its CA"), op->subject);
  show_toast (op->self, text);
  g_clear_object (&op->self->policy);
  load_policies (op->self);
  load_activity (op->self);
}

static void
start_delete_policy (CbRegistryPage *self,
                     const char     *name,
                     gboolean        remove_ca)
{
  g_autofree char *what = NULL;

  if (!is_ready (self))
    return;
  what = g_strdup_printf (_("Deleting policy “%s”…"), name);
  cb_adr_client_delete_policy_async (cb_context_get_adr (self->context), name,
                                     get_cancellable (self), delete_policy_cb,
                                     op_new (self, what, name, remove_ca));
}

/* A bring-your-own-root policy: an external CA's certificates must each be revoked before the
 * policy goes, so the devices holding them are found (in ADR, page by page) and offered. */
typedef struct
{
  CbRegistryPage *self;
  Op             *op;
  char           *policy;
  GPtrArray      *devices;   /* device names */
  guint           next;
} ByorDelete;

static void
byor_delete_free (ByorDelete *d)
{
  g_clear_pointer (&d->op, op_free);
  g_object_unref (d->self);
  g_free (d->policy);
  g_ptr_array_unref (d->devices);
  g_free (d);
}

static void revoke_next (ByorDelete *d);

static void
revoke_next_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ByorDelete *d = user_data;
  g_autoptr(GError) error = NULL;

  if (!cb_adr_client_revoke_device_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *what =
            g_strdup_printf (_("%s was not revoked, so policy “%s” was kept"),
                             (const char *) g_ptr_array_index (d->devices, d->next), d->policy);
          show_error_toast (d->self, what, error);
        }
      byor_delete_free (d);
      return;
    }

  d->next++;
  revoke_next (d);
}

static void
revoke_next (ByorDelete *d)
{
  g_autofree char *what = NULL;

  g_clear_pointer (&d->op, op_free);

  if (d->next >= d->devices->len || !is_ready (d->self))
    {
      if (is_ready (d->self))
        start_delete_policy (d->self, d->policy, FALSE);
      byor_delete_free (d);
      return;
    }

  what = g_strdup_printf (_("Revoking %u of %u devices of “%s”…"), d->next + 1, d->devices->len,
                          d->policy);
  d->op = op_new (d->self, what, d->policy, FALSE);
  cb_adr_client_revoke_device_async (cb_context_get_adr (d->self->context),
                                     g_ptr_array_index (d->devices, d->next), FALSE,
                                     get_cancellable (d->self), revoke_next_cb, d);
}

static void
on_delete_policy_response_cb (CbConfirmDialog *dialog,
                              const char      *response,
                              CbRegistryPage  *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "policy");
  ByorDelete *d;

  if (g_strcmp0 (response, "confirm") != 0 || !is_ready (self))
    return;

  d = g_object_steal_data (G_OBJECT (dialog), "byor");
  if (d != NULL)
    {
      if (cb_confirm_dialog_get_option_active (dialog))
        {
          revoke_next (d);
          return;
        }
      byor_delete_free (d);
      start_delete_policy (self, name, FALSE);
      return;
    }

  start_delete_policy (self, name, cb_confirm_dialog_get_option_active (dialog));
}

static void
show_delete_dialog (CbRegistryPage *self,
                    const char     *name,
                    const char     *body,
                    ByorDelete     *byor)
{
  CbConfirmDialog *dialog;
  g_autofree char *heading = g_strdup_printf (_("Delete Policy “%s”?"), name);
  g_autofree char *groups = describe_groups_using (self, name);
  g_autofree char *full_body = groups != NULL ? g_strdup_printf ("%s\n\n%s", body, groups)
                                              : g_strdup (body);

  dialog = cb_confirm_dialog_new (get_parent_window (self), heading, full_body,
                                  _("_Delete Policy"), name);
  if (byor == NULL)
    cb_confirm_dialog_set_option (dialog, _("Also _remove its issuing CA from the linked hubs"), FALSE);
  else if (byor->devices->len > 0)
    cb_confirm_dialog_set_option (dialog, _("_Revoke their certificates first"), TRUE);
  g_object_set_data_full (G_OBJECT (dialog), "policy", g_strdup (name), g_free);
  if (byor != NULL)
    g_object_set_data_full (G_OBJECT (dialog), "byor", byor, (GDestroyNotify) byor_delete_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_policy_response_cb), self, 0);
  set_dialog (self, ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
byor_devices_page_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  ByorDelete *d = user_data;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next_link = NULL;
  g_autoptr(GString) names = NULL;
  g_autofree char *body = NULL;
  guint shown;

  devices = cb_adr_client_list_devices_page_finish (CB_ADR_CLIENT (object), result, &next_link,
                                                    &error);
  if (devices == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (d->self, _("The policy's devices could not be read"), error);
      byor_delete_free (d);
      return;
    }

  for (guint i = 0; i < devices->len; i++)
    {
      CbAdrDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (cb_adr_device_get_policy_name (device), d->policy) == 0)
        g_ptr_array_add (d->devices, g_strdup (cb_adr_device_get_name (device)));
    }

  /* One page per request, as everywhere; a confirmation needs the whole list. */
  if (next_link != NULL)
    {
      cb_adr_client_list_devices_page_async (CB_ADR_CLIENT (object), next_link,
                                             get_cancellable (d->self), byor_devices_page_cb, d);
      return;
    }

  g_clear_pointer (&d->op, op_free);

  if (d->devices->len == 0)
    body = g_strdup (_("The policy uses your own root and stops issuing certificates. No device "
                       "holds one of its certificates, so nothing else changes."));
  else
    {
      names = g_string_new (NULL);
      shown = MIN (d->devices->len, 8);
      for (guint i = 0; i < shown; i++)
        g_string_append_printf (names, "%s%s", i > 0 ? ", " : "",
                                (const char *) g_ptr_array_index (d->devices, i));
      if (d->devices->len > shown)
        g_string_append_printf (names, _(" and %u more"), d->devices->len - shown);
      body = g_strdup_printf (ngettext ("The policy uses your own root: each certificate it issued "
                                        "must be revoked before the policy goes. %u device still "
                                        "holds one: %s.",
                                        "The policy uses your own root: each certificate it issued "
                                        "must be revoked before the policy goes. %u devices still "
                                        "hold one: %s.", d->devices->len),
                              d->devices->len, names->str);
    }

  show_delete_dialog (d->self, d->policy, body, d);
}

static void
delete_policy_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  g_autofree char *body = NULL;
  const char *name;

  if (self->policy == NULL || !is_ready (self))
    return;
  name = cb_policy_get_name (self->policy);

  if (cb_policy_get_byor_enabled (self->policy))
    {
      ByorDelete *d = g_new0 (ByorDelete, 1);
      g_autofree char *what = g_strdup_printf (_("Finding the devices of “%s”…"), name);

      d->self = g_object_ref (self);
      d->policy = g_strdup (name);
      d->devices = g_ptr_array_new_with_free_func (g_free);
      d->op = op_new (self, what, name, FALSE);
      cb_adr_client_list_devices_page_async (cb_context_get_adr (self->context), NULL,
                                             get_cancellable (self), byor_devices_page_cb, d);
      return;
    }

  /* Devices whose certificate already stopped working (revoked issuer) do not keep working
   * either way: say so rather than count them as working. */
  {
    g_autofree char *working = NULL;

    if (!self->counted || self->counts_pending > 0)
      working = g_strdup (_("The policy stops issuing certificates. The devices holding its "
                            "certificates are still being counted: without removing its issuing "
                            "CA from the linked hubs, those whose certificate works keep working; "
                            "with it, they lose their certificates now."));
    else if (self->hub_device_count > 0)
      working = g_strdup_printf (ngettext ("The policy stops issuing certificates. Without "
                                           "removing its issuing CA from the linked hubs, the %u "
                                           "device that holds a working certificate of it keeps "
                                           "working; with it, that device loses its certificate "
                                           "now.",
                                           "The policy stops issuing certificates. Without "
                                           "removing its issuing CA from the linked hubs, the %u "
                                           "devices that hold working certificates of it keep "
                                           "working; with it, all of them lose their certificates "
                                           "now.",
                                           self->hub_device_count),
                                 self->hub_device_count);
    else
      working = g_strdup (_("The policy stops issuing certificates. No device holds a working "
                            "certificate of it, so removing its issuing CA from the linked hubs "
                            "takes nothing from any device."));

    if (self->issuer_revoked_count > 0)
      body = g_strdup_printf (ngettext ("%s %u device still holds a certificate of its revoked "
                                        "issuer: it does not work, and the device needs "
                                        "re-provisioning under another policy.",
                                        "%s %u devices still hold certificates of its revoked "
                                        "issuer: they do not work, and the devices need "
                                        "re-provisioning under another policy.",
                                        self->issuer_revoked_count),
                              working, self->issuer_revoked_count);
    else
      body = g_steal_pointer (&working);
  }
  show_delete_dialog (self, name, body, NULL);
}

/* Delete credential */
static void
delete_credential_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;

  if (!cb_adr_client_delete_credential_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("Credential not deleted"), error);
      return;
    }
  show_toast (op->self, _("Deleted the namespace credential"));
  load_namespace (op->self);
}

static void
on_delete_credential_response_cb (AdwMessageDialog *dialog,
                                  const char       *response,
                                  CbRegistryPage   *self)
{
  if (g_strcmp0 (response, "confirm") != 0 || !is_ready (self))
    return;
  cb_adr_client_delete_credential_async (cb_context_get_adr (self->context), get_cancellable (self),
                                         delete_credential_cb,
                                         op_new (self, _("Deleting the credential…"), "default", FALSE));
}

static void
delete_credential_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  CbConfirmDialog *dialog;
  g_autofree char *body = NULL;
  guint n_policies = g_list_model_get_n_items (G_LIST_MODEL (self->policies));

  if (n_policies > 0)
    body = g_strdup_printf (ngettext ("The namespace root CA is deleted and %u devices reporting a "
                                      "certificate lose it. %u policy must be deleted first: the "
                                      "service refuses while any remain.",
                                      "The namespace root CA is deleted and %u devices reporting a "
                                      "certificate lose it. %u policies must be deleted first: the "
                                      "service refuses while any remain.", n_policies),
                            self->hub_device_count, n_policies);
  else
    body = g_strdup_printf (_("The namespace root CA is deleted and %u devices reporting a "
                              "certificate lose it."), self->hub_device_count);
  dialog = cb_confirm_dialog_new (get_parent_window (self), _("Delete the Credential “default”?"),
                                  body, _("_Delete Credential"), "default");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_credential_response_cb), self, 0);
  set_dialog (self, ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Activate BYOR from a chain file */
static void
activate_byor_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!cb_adr_client_activate_byor_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("Own root not activated"), error);
      return;
    }
  text = g_strdup_printf (_("“%s” now issues under your own root"), op->subject);
  show_toast (op->self, text);
  load_policies (op->self);
}

static void
chain_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *what = NULL;
  gsize length;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, &length, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("The chain file could not be read"), error);
      return;
    }
  if (!is_ready (op->self))
    return;
  what = g_strdup_printf (_("Activating the own root of “%s”…"), op->subject);
  cb_adr_client_activate_byor_async (cb_context_get_adr (op->self->context), op->subject, contents,
                                     get_cancellable (op->self), activate_byor_cb,
                                     op_new (op->self, what, op->subject, FALSE));
}

static void
on_chooser_response_cb (GtkNativeDialog *chooser,
                        int              response,
                        CbRegistryPage  *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->policy != NULL)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_file_load_contents_async (file, get_cancellable (self), chain_loaded_cb,
                                  op_new (self, _("Reading the chain file…"),
                                          cb_policy_get_name (self->policy), FALSE));
    }
  g_clear_object (&self->chooser);
}

static void
copy_csr_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);

  if (self->policy == NULL || cb_policy_get_byor_csr (self->policy) == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), cb_policy_get_byor_csr (self->policy));
  show_toast (self, _("Signing request copied: sign it with your root, then activate the chain"));
}

static void
activate_byor_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Choose the Signed Chain"),
                                               get_parent_window (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Activate"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("PEM certificate chains"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_filter_add_pattern (filter, "*.cer");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- actions: devices ------------------------------------------------------------------- */

static void
revoke_device_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  CbDeviceItem *item;

  if (!cb_adr_client_revoke_device_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("Certificates not revoked"), error);
      return;
    }

  item = cb_device_list_model_find (op->self->devices, op->subject, NULL);
  if (item != NULL && op->flag)
    cb_device_item_set_enabled (item, FALSE);

  if (op->flag)
    text = g_strdup_printf (_("Revoked the certificates of %s and disabled it"), op->subject);
  else
    text = g_strdup_printf (_("Revoked the certificates of %s"), op->subject);
  show_toast (op->self, text);
  update_actions (op->self);
  load_activity (op->self);
  /* The activity log has the revoke now: the row reads Revoked, in place. */
  refresh_state_info (op->self);
}

static void
on_revoke_device_response_cb (CbConfirmDialog *dialog,
                              const char      *response,
                              CbRegistryPage  *self)
{
  const char *device = g_object_get_data (G_OBJECT (dialog), "device");
  gboolean disable = cb_confirm_dialog_get_option_active (dialog);
  g_autofree char *what = NULL;

  if (g_strcmp0 (response, "confirm") != 0 || !is_ready (self))
    return;
  what = g_strdup_printf (_("Revoking the certificates of %s…"), device);
  cb_adr_client_revoke_device_async (cb_context_get_adr (self->context), device, disable,
                                     get_cancellable (self), revoke_device_cb,
                                     op_new (self, what, device, disable));
}

static void
revoke_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  CbDeviceItem *device = get_selected_device (self);
  CbConfirmDialog *dialog;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;

  if (device == NULL)
    return;
  heading = g_strdup_printf (_("Revoke the Certificates of %s?"), cb_device_item_get_device_id (device));
  body = g_strdup_printf (_("1 device loses every certificate it was ever issued: the hub refuses "
                            "them from now on. %s can register again for a new certificate "
                            "unless you also disable it."),
                          cb_device_item_get_device_id (device));
  dialog = cb_confirm_dialog_new (get_parent_window (self), heading, body, _("_Revoke"), NULL);
  cb_confirm_dialog_set_option (dialog, _("Also _disable the device"), FALSE);
  g_object_set_data_full (G_OBJECT (dialog), "device",
                          g_strdup (cb_device_item_get_device_id (device)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_revoke_device_response_cb), self, 0);
  set_dialog (self, ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
delete_device_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!cb_adr_client_delete_device_finish (CB_ADR_CLIENT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, _("Device not deleted"), error);
      return;
    }
  cb_device_list_model_remove_device (op->self->devices, op->subject);
  text = g_strdup_printf (_("Deleted %s"), op->subject);
  show_toast (op->self, text);
  load_activity (op->self);
}

static void
on_delete_device_response_cb (AdwMessageDialog *dialog,
                              const char       *response,
                              CbRegistryPage   *self)
{
  const char *device = g_object_get_data (G_OBJECT (dialog), "device");
  g_autofree char *what = NULL;

  if (g_strcmp0 (response, "confirm") != 0 || !is_ready (self))
    return;
  what = g_strdup_printf (_("Deleting %s…"), device);
  cb_adr_client_delete_device_async (cb_context_get_adr (self->context), device,
                                     get_cancellable (self), delete_device_cb,
                                     op_new (self, what, device, FALSE));
}

static void
delete_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);
  CbDeviceItem *device = get_selected_device (self);
  CbConfirmDialog *dialog;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;

  if (device == NULL)
    return;
  heading = g_strdup_printf (_("Delete %s?"), cb_device_item_get_device_id (device));
  body = g_strdup_printf (_("1 device is removed from the registry and its hub identity goes "
                            "with it: its certificate stops working and %s must be provisioned "
                            "again to connect."),
                          cb_device_item_get_device_id (device));
  dialog = cb_confirm_dialog_new (get_parent_window (self), heading, body, _("_Delete"), NULL);
  g_object_set_data_full (G_OBJECT (dialog), "device",
                          g_strdup (cb_device_item_get_device_id (device)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_device_response_cb), self, 0);
  set_dialog (self, ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
set_enabled_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(CbAdrDevice) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  CbDeviceItem *item;

  device = cb_adr_client_update_device_enabled_finish (CB_ADR_CLIENT (object), result, &error);
  if (device == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error_toast (op->self, op->flag ? _("Device not enabled") : _("Device not disabled"),
                          error);
      return;
    }
  item = cb_device_list_model_find (op->self->devices, op->subject, NULL);
  if (item != NULL)
    cb_device_item_set_enabled (item, cb_adr_device_get_enabled (device));
  text = g_strdup_printf (op->flag ? _("Enabled %s") : _("Disabled %s"), op->subject);
  show_toast_of_kind (op->self, "device-enabled", text);
  /* The row's state followed the switch; the counts for the dialogs follow too. */
  update_actions (op->self);
  count_hub_devices (op->self);
}

static void
set_device_enabled (CbRegistryPage *self,
                    gboolean        enabled)
{
  CbDeviceItem *device = get_selected_device (self);
  const char *id;
  g_autofree char *what = NULL;

  if (device == NULL || !is_ready (self))
    return;
  id = cb_device_item_get_device_id (device);
  what = g_strdup_printf (enabled ? _("Enabling %s…") : _("Disabling %s…"), id);
  cb_adr_client_update_device_enabled_async (cb_context_get_adr (self->context), id, enabled,
                                             get_cancellable (self), set_enabled_cb,
                                             op_new (self, what, id, enabled));
}

static void
enable_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  set_device_enabled (CB_REGISTRY_PAGE (widget), TRUE);
}

static void
disable_device_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  set_device_enabled (CB_REGISTRY_PAGE (widget), FALSE);
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
  self->counts_pending = 0;
  g_clear_pointer (&self->enrollment_groups, g_ptr_array_unref);
  g_list_store_remove_all (self->policies);
  update_actions (self);
  cb_registry_page_reload (self);
}

void
cb_registry_page_set_context (CbRegistryPage *self,
                              CbContext      *context)
{
  g_return_if_fail (CB_IS_REGISTRY_PAGE (self));

  if (self->context == context)
    return;

  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_set_object (&self->context, context);
  if (context != NULL)
    {
      g_signal_connect_object (context, "notify::state", G_CALLBACK (on_context_changed_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (context, "notify::profile", G_CALLBACK (on_context_changed_cb),
                               self, G_CONNECT_SWAPPED);
    }
  on_context_changed_cb (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

/* ---- GObject ---------------------------------------------------------------------------- */

/* Devices change behind the page's back (the bench provisions them): coming back shows the
 * current list and log. */
static void
cb_registry_page_map (GtkWidget *widget)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (widget);

  GTK_WIDGET_CLASS (cb_registry_page_parent_class)->map (widget);

  if (self->loaded && is_ready (self) &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "content") == 0)
    {
      load_state_info (self);
      load_activity (self);
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
  set_dialog (self, NULL);
  if (self->policy_dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->policy_dialog),
                                    (gpointer *) &self->policy_dialog);
      self->policy_dialog = NULL;
    }
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->context);
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

  g_type_ensure (CB_TYPE_DEVICE_ITEM);

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
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, device_view);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, devices_status);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, activity_stack);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, activity_list);
  gtk_widget_class_bind_template_child (widget_class, CbRegistryPage, activity_status);
  gtk_widget_class_bind_template_callback (widget_class, on_namespace_list_row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_policy_list_row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_list_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_validity_spin_value_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_search_entry_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_dropdown_selected_cb);

  gtk_widget_class_install_action (widget_class, "registry.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "registry.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "registry.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "registry.create-policy", NULL, create_policy_action);
  gtk_widget_class_install_action (widget_class, "registry.save-validity", NULL, save_validity_action);
  gtk_widget_class_install_action (widget_class, "registry.sync", NULL, sync_action);
  gtk_widget_class_install_action (widget_class, "registry.revoke-issuer", NULL, revoke_issuer_action);
  gtk_widget_class_install_action (widget_class, "registry.delete-policy", NULL, delete_policy_action);
  gtk_widget_class_install_action (widget_class, "registry.delete-credential", NULL,
                                   delete_credential_action);
  gtk_widget_class_install_action (widget_class, "registry.activate-byor", NULL, activate_byor_action);
  gtk_widget_class_install_action (widget_class, "registry.copy-csr", NULL, copy_csr_action);
  gtk_widget_class_install_action (widget_class, "registry.revoke-device", NULL, revoke_device_action);
  gtk_widget_class_install_action (widget_class, "registry.delete-device", NULL, delete_device_action);
  gtk_widget_class_install_action (widget_class, "registry.enable-device", NULL, enable_device_action);
  gtk_widget_class_install_action (widget_class, "registry.disable-device", NULL,
                                   disable_device_action);
}

static void
cb_registry_page_init (CbRegistryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cb_a11y_name_popup_button (GTK_WIDGET (self->filter_dropdown), _("Show devices"));
  gtk_widget_set_visible (self->back_button, adw_leaflet_get_folded (self->leaflet));
  g_signal_connect_object (self->leaflet, "notify::folded", G_CALLBACK (on_leaflet_folded_cb),
                           self, G_CONNECT_SWAPPED);

  self->operations = g_ptr_array_new_with_free_func (g_free);
  self->cancellable = g_cancellable_new ();
  self->policies = g_list_store_new (CB_TYPE_POLICY);
  self->devices = cb_device_list_model_new ();
  self->device_selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->devices)));
  gtk_single_selection_set_autoselect (self->device_selection, FALSE);
  gtk_single_selection_set_can_unselect (self->device_selection, TRUE);
  gtk_column_view_set_model (self->device_view, GTK_SELECTION_MODEL (self->device_selection));

  g_signal_connect_object (self->devices, "items-changed", G_CALLBACK (on_devices_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->devices, "notify::loading", G_CALLBACK (on_devices_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->devices, "notify::complete", G_CALLBACK (on_devices_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->device_selection, "notify::selected",
                           G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->device_selection, "items-changed",
                           G_CALLBACK (on_selection_items_changed_cb), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);

  update_devices_view (self);
  update_actions (self);
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
  guint position;

  g_return_val_if_fail (CB_IS_REGISTRY_PAGE (self), FALSE);

  if (cb_device_list_model_find (self->devices, device_id, &position) == NULL)
    return FALSE;
  gtk_single_selection_set_selected (self->device_selection, position);
  update_actions (self);
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
  show_content (self);
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
