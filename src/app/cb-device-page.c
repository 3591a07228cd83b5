/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-page"

/* The device page: one device read from the registry (ADR), the hub (twin, and the sandbox's
 * connection report where there is one) and the journal, judged by the same state rules as the
 * device lists (cb-device-item.c on cb-device-state.c), with its actions asked and run the way
 * the Registry page asks and runs them (cb-device-actions.c, cb-confirm-run.c). Loading is a
 * chain of async calls; a newer load or a dispose cancels the one under way. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-adr-client.h"
#include "cb-adr-device.h"
#include "cb-app-settings.h"
#include "cb-bench-page.h"
#include "cb-device-actions.h"
#include "cb-device-item.h"
#include "cb-device-page.h"
#include "cb-device-state-info.h"
#include "cb-error.h"
#include "cb-error-text.h"
#include "cb-hub-client.h"
#include "cb-journal-run.h"
#include "cb-journal.h"
#include "cb-page-context.h"
#include "cb-run-window.h"
#include "cb-sandbox-client.h"
#include "cb-toasts.h"

typedef enum
{
  ASK_REVOKE,
  ASK_DELETE,
} Ask;

struct _CbDevicePage
{
  AdwBin                 parent_instance;

  CbContext             *context;
  GCancellable          *cancellable;  /* the load and the actions; cancelled on dispose */
  GCancellable          *load;         /* the load under way */
  char                  *device_id;
  CbAdrDevice           *adr_device;
  CbDeviceStateInfo     *info;
  JsonObject            *twin;
  CbDeviceItem          *item;
  CbHubConnectionReport *connection;
  GPtrArray             *runs;         /* CbJournalRun, newest first */
  char                  *last_toast;
  AdwMessageDialog      *dialog;       /* weak */
  Ask                    asking;
  guint                  n_running;

  /* template */
  AdwWindowTitle        *title;
  AdwToastOverlay       *toast_overlay;
  GtkStack              *stack;
  GtkSpinner            *spinner;
  AdwStatusPage         *error_status;
  GtkListBox            *identity_list;
  GtkListBox            *state_list;
  GtkListBox            *connection_list;
  GtkListBox            *certificate_list;
  GtkListBox            *twin_list;
  GtkTextView           *twin_view;
  GtkListBox            *history_list;
  GtkWidget             *enable_button;
  GtkWidget             *disable_button;
};

G_DEFINE_FINAL_TYPE (CbDevicePage, cb_device_page, ADW_TYPE_BIN)

enum
{
  SIGNAL_BACK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void load (CbDevicePage *self);

/* ---- rows ------------------------------------------------------------------------------- */

static char *
format_unix (gint64 t)
{
  g_autoptr(GDateTime) dt = NULL;

  if (t <= 0)
    return g_strdup (_("Unknown"));
  dt = g_date_time_new_from_unix_utc (t);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M UTC");
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
add_row (GtkListBox *list,
         const char *title,
         const char *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               value != NULL && *value != '\0' ? value : _("Not set"));
  /* Values to read, not controls: focus does not stop on them. */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  gtk_list_box_append (list, row);
}

static void
add_row_take (GtkListBox *list,
              const char *title,
              char       *value)
{
  add_row (list, title, value);
  g_free (value);
}

/* A twin section's properties, one row each, nested objects as "a.b" (the service's
 * bookkeeping, $metadata and $version, left out). */
static void
add_property_rows (GtkListBox *list,
                   const char *prefix,
                   JsonObject *object,
                   guint       depth)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (object, name);
      g_autofree char *path = g_strdup_printf ("%s.%s", prefix, name);

      if (name[0] == '$')
        continue;
      if (JSON_NODE_HOLDS_OBJECT (node) && depth < 3)
        add_property_rows (list, path, json_node_get_object (node), depth + 1);
      else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        add_row (list, path, json_node_get_string (node));
      else
        add_row_take (list, path, json_to_string (node, FALSE));
    }
}

static JsonObject *
twin_section (JsonObject *twin,
              const char *name)
{
  JsonObject *properties = twin != NULL && json_object_has_member (twin, "properties")
                           ? json_object_get_object_member (twin, "properties") : NULL;

  return properties != NULL && json_object_has_member (properties, name)
         ? json_object_get_object_member (properties, name) : NULL;
}

static const char *
twin_string (JsonObject *object,
             const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
}

/* ---- what is shown ---------------------------------------------------------------------- */

static void
show_identity (CbDevicePage *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);

  clear_list (self->identity_list);
  add_row (self->identity_list, _("Hub device ID"), self->device_id);
  add_row (self->identity_list, _("Registration ID"), self->device_id);
  if (self->adr_device != NULL)
    {
      add_row (self->identity_list, _("Registry device"), cb_adr_device_get_name (self->adr_device));
      add_row (self->identity_list, _("Registry resource ID"), cb_adr_device_get_id (self->adr_device));
      add_row (self->identity_list, _("Policy"), cb_adr_device_get_policy_name (self->adr_device));
      add_row (self->identity_list, _("Enabled in the registry"),
               cb_adr_device_get_enabled (self->adr_device) ? _("Yes") : _("No"));
    }
  else
    add_row (self->identity_list, _("Registry device"), _("Not in the registry"));
  add_row (self->identity_list, _("Namespace"), cb_profile_get_namespace (profile));
  add_row (self->identity_list, _("IoT hub"), cb_profile_get_hub_host_name (profile));
}

static void
show_state (CbDevicePage *self)
{
  clear_list (self->state_list);
  add_row (self->state_list, _("Effective state"), cb_device_item_get_state_label (self->item));
  add_row (self->state_list, _("Why"), cb_device_item_get_state_reason (self->item));
  if (self->info->error != NULL)
    add_row_take (self->state_list, _("Revocations"),
                  g_strdup_printf (_("Unknown: %s"), self->info->error->message));
}

static void
show_connection (CbDevicePage *self)
{
  CbHubConnectionReport *report = self->connection;

  clear_list (self->connection_list);
  add_row (self->connection_list, _("Connection state"),
           report != NULL ? report->connection_state : twin_string (self->twin, "connectionState"));
  add_row (self->connection_list, _("Last activity"),
           report != NULL ? format_unix (report->last_activity)
                          : twin_string (self->twin, "lastActivityTime"));
  if (report == NULL)
    {
      add_row (self->connection_list, _("Recent attempts"),
               _("Not reported: only the sandbox's hub tells its attempts"));
      return;
    }
  if (report->attempts == NULL || report->attempts->len == 0)
    add_row (self->connection_list, _("Recent attempts"), _("The device never tried to connect"));
  /* The hub's record, newest first: what it accepted and what it refused, and why. */
  for (guint i = 0; report->attempts != NULL && i < report->attempts->len; i++)
    {
      CbHubConnectionAttempt *attempt = g_ptr_array_index (report->attempts, i);
      g_autofree char *when = format_unix (attempt->time);

      add_row_take (self->connection_list, when,
                    attempt->accepted
                    ? g_strdup (_("Accepted"))
                    : g_strdup_printf (_("Refused: %s"), attempt->reason != NULL
                                                          ? attempt->reason : attempt->verdict));
    }
}

static void
show_certificate (CbDevicePage *self)
{
  JsonObject *reported = twin_section (self->twin, "reported");
  JsonNode *node = reported != NULL ? json_object_get_member (reported, "certificate") : NULL;
  JsonObject *certificate = node != NULL && JSON_NODE_HOLDS_OBJECT (node)
                            ? json_node_get_object (node) : NULL;
  CbJournalRun *last = NULL;

  clear_list (self->certificate_list);
  add_row (self->certificate_list, _("Reported valid from"), twin_string (certificate, "validFrom"));
  add_row (self->certificate_list, _("Reported valid until"), twin_string (certificate, "validUntil"));
  /* IoT Hub's device identity of a CA-issued device has no thumbprint, and no API returns the
   * chain a device presented: the hub checks it at each connection and keeps the outcome. */
  add_row (self->certificate_list, _("Chain the hub last saw"),
           _("Not kept by IoT Hub: it checks the chain at each connection and records only "
             "whether it accepted it (see Connection)"));

  for (guint i = 0; self->runs != NULL && i < self->runs->len && last == NULL; i++)
    if (cb_journal_run_get_leaf_fingerprint (g_ptr_array_index (self->runs, i)) != NULL)
      last = g_ptr_array_index (self->runs, i);
  if (last == NULL)
    return;
  add_row (self->certificate_list, _("Last issued on this station: serial"),
           cb_journal_run_get_leaf_serial (last));
  add_row (self->certificate_list, _("Last issued on this station: SHA-256"),
           cb_journal_run_get_leaf_fingerprint (last));
  add_row_take (self->certificate_list, _("Last issued on this station: valid until"),
                format_unix (cb_journal_run_get_not_after (last)));
}

static void
show_twin (CbDevicePage *self)
{
  JsonObject *reported = twin_section (self->twin, "reported");
  JsonObject *desired = twin_section (self->twin, "desired");
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), self->twin);
  g_autofree char *text = json_to_string (node, TRUE);

  clear_list (self->twin_list);
  add_row (self->twin_list, _("Status"), twin_string (self->twin, "status"));
  if (reported != NULL)
    add_property_rows (self->twin_list, "reported", reported, 0);
  if (desired != NULL)
    add_property_rows (self->twin_list, "desired", desired, 0);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->twin_view), text, -1);
}

static void
show_history (CbDevicePage *self)
{
  clear_list (self->history_list);
  if (self->runs == NULL || self->runs->len == 0)
    {
      add_row (self->history_list, _("No runs"), _("This station's journal has no run for this device"));
      return;
    }
  for (guint i = 0; i < self->runs->len; i++)
    {
      CbJournalRun *run = g_ptr_array_index (self->runs, i);
      g_autofree char *when = format_unix (cb_journal_run_get_started (run) / G_USEC_PER_SEC);
      const char *error = cb_journal_run_get_error (run);
      const char *result = cb_run_window_result_text (cb_journal_run_get_result (run));

      add_row_take (self->history_list, when,
                    error != NULL ? g_strdup_printf ("%s — %s", result, error)
                                  : g_strdup_printf ("%s — %s", result,
                                                     cb_journal_run_get_port (run)));
    }
}

static void
update_actions (CbDevicePage *self)
{
  gboolean loaded = self->item != NULL && self->n_running == 0;
  gboolean enabled = loaded && cb_device_item_get_enabled (self->item);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.revoke",
                                 loaded && cb_device_state_can_revoke (cb_device_item_get_state (self->item)));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.delete", loaded);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.enable", loaded && !enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.disable", enabled);
  /* One of the two at a time: a narrow window keeps the actions on one line. */
  if (self->enable_button != NULL && self->item != NULL)
    {
      gtk_widget_set_visible (self->enable_button, !cb_device_item_get_enabled (self->item));
      gtk_widget_set_visible (self->disable_button, cb_device_item_get_enabled (self->item));
    }
}

static void
show_all (CbDevicePage *self)
{
  show_identity (self);
  show_state (self);
  show_connection (self);
  show_certificate (self);
  show_twin (self);
  show_history (self);
  update_actions (self);
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "content");
}

static void
show_error (CbDevicePage *self,
            const GError *error)
{
  g_autofree char *text = cb_error_text (error);

  adw_status_page_set_description (self->error_status, text);
  g_clear_object (&self->load);
  gtk_spinner_stop (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "error");
  update_actions (self);
}

/* ---- loading: registry device, state signals, twin, connection, journal ------------------ */

typedef struct
{
  CbDevicePage *self;
  GCancellable *load;
} Load;

static Load *
load_new (CbDevicePage *self)
{
  Load *l = g_new0 (Load, 1);

  l->self = g_object_ref (self);
  l->load = g_object_ref (self->load);
  return l;
}

static void
load_free (Load *l)
{
  g_object_unref (l->self);
  g_object_unref (l->load);
  g_free (l);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Load, load_free)

/* NULL when the load was replaced or the page went away. */
static CbDevicePage *
load_current (Load *l)
{
  return g_cancellable_is_cancelled (l->load) || l->self->load != l->load ? NULL : l->self;
}

static void
load_done (CbDevicePage *self)
{
  if (self->item == NULL)
    return;
  g_clear_object (&self->load);
  show_all (self);
}

static void
runs_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Load) l = user_data;
  g_autoptr(GPtrArray) runs = cb_journal_list_runs_finish (CB_JOURNAL (object), result, NULL);
  CbDevicePage *self = load_current (l);

  if (self == NULL)
    return;
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  self->runs = g_steal_pointer (&runs);
  load_done (self);
}

static void
load_runs (CbDevicePage *self)
{
  CbJournalFilter filter = { .registration_id = self->device_id, .limit = 50 };

  cb_journal_list_runs_async (cb_context_get_journal (self->context), &filter, self->load,
                              runs_cb, load_new (self));
}

static void
connection_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Load) l = user_data;
  g_autoptr(GError) error = NULL;
  CbHubConnectionReport *report = cb_sandbox_client_get_connection_finish (result, &error);
  CbDevicePage *self = load_current (l);

  if (self == NULL)
    {
      g_clear_pointer (&report, cb_hub_connection_report_free);
      return;
    }
  /* Azure has no such report: the twin's connection state is all there is. */
  if (error != NULL)
    g_debug ("no connection report for %s: %s", self->device_id, error->message);
  g_clear_pointer (&self->connection, cb_hub_connection_report_free);
  self->connection = report;
  load_runs (self);
}

static void
twin_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Load) l = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) twin = cb_hub_client_object_finish (CB_HUB_CLIENT (object), result, &error);
  CbDevicePage *self = load_current (l);

  if (self == NULL)
    return;
  if (twin == NULL)
    {
      show_error (self, error);
      return;
    }
  g_clear_pointer (&self->twin, json_object_unref);
  self->twin = g_steal_pointer (&twin);
  g_clear_object (&self->item);
  self->item = cb_device_item_new_from_twin (self->twin,
                                             self->adr_device != NULL
                                             ? cb_adr_device_get_policy_name (self->adr_device) : NULL,
                                             self->info);
  if (self->adr_device != NULL && !cb_adr_device_get_enabled (self->adr_device))
    cb_device_item_set_enabled (self->item, FALSE);
  if (cb_profile_get_kind (cb_context_get_profile (self->context)) == CB_PROFILE_KIND_SANDBOX)
    cb_sandbox_client_get_connection_async (cb_context_get_http (self->context),
                                            cb_context_get_profile (self->context),
                                            self->device_id, self->load, connection_cb,
                                            load_new (self));
  else
    load_runs (self);
}

static void
state_info_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Load) l = user_data;
  g_autoptr(GError) error = NULL;
  CbDeviceStateInfo *info = cb_device_state_info_load_finish (result, &error);
  CbDevicePage *self = load_current (l);

  if (self == NULL)
    {
      g_clear_pointer (&info, cb_device_state_info_unref);
      return;
    }
  if (info == NULL)
    {
      show_error (self, error);
      return;
    }
  g_clear_pointer (&self->info, cb_device_state_info_unref);
  self->info = info;
  cb_hub_client_get_twin_async (cb_context_get_hub (self->context), self->device_id, self->load,
                                twin_cb, load_new (self));
}

static void
adr_device_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Load) l = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbAdrDevice) device = cb_adr_client_get_device_finish (CB_ADR_CLIENT (object), result,
                                                                   &error);
  CbDevicePage *self = load_current (l);

  if (self == NULL)
    return;
  /* A hub device the registry does not hold (made on the hub alone) still has a page. */
  if (device == NULL && !g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
    {
      show_error (self, error);
      return;
    }
  g_set_object (&self->adr_device, device);
  cb_device_state_info_load_async (self->context,
                                   device != NULL ? cb_adr_device_get_policy_name (device) : NULL,
                                   cb_app_settings_get_renewal_fraction (), self->load,
                                   state_info_cb, load_new (self));
}

static void
load (CbDevicePage *self)
{
  if (self->load != NULL)
    g_cancellable_cancel (self->load);
  g_clear_object (&self->load);
  g_clear_object (&self->item);
  update_actions (self);
  if (self->device_id == NULL || self->context == NULL)
    return;

  self->load = g_cancellable_new ();
  g_signal_connect_object (self->cancellable, "cancelled", G_CALLBACK (g_cancellable_cancel),
                           self->load, G_CONNECT_SWAPPED);
  gtk_spinner_start (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  if (cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                     cb_context_get_status_text (self->context));
      show_error (self, error);
      return;
    }
  cb_adr_client_get_device_async (cb_context_get_adr (self->context), self->device_id, self->load,
                                  adr_device_cb, load_new (self));
}

/* ---- actions ---------------------------------------------------------------------------- */

static void
show_toast (CbDevicePage *self,
            const char   *text)
{
  g_free (self->last_toast);
  self->last_toast = g_strdup (text);
  cb_toast_overlay_add_kind (self->toast_overlay, CB_TOAST_KIND_OUTCOME, adw_toast_new (text));
}

static void
run_toast (gpointer      owner,
           const char   *text,
           const GError *error)
{
  CbDevicePage *self = owner;
  g_autofree char *reason = NULL;
  g_autofree char *full = NULL;

  if (error == NULL)
    {
      show_toast (self, text);
      return;
    }
  reason = cb_error_text (error);
  full = g_strdup_printf ("%s: %s", text, reason);
  show_toast (self, full);
}

static gpointer
run_begin (gpointer    owner,
           const char *description)
{
  CbDevicePage *self = g_object_ref (owner);

  self->n_running++;
  update_actions (self);
  return self;
}

static void
run_end (gpointer data)
{
  CbDevicePage *self = data;

  self->n_running--;
  update_actions (self);
  g_object_unref (self);
}

/* The confirmed call: revoke or delete, whichever was asked. */
static gboolean
action_start (gpointer             owner,
              const char          *device_id,
              gboolean             option,
              GAsyncReadyCallback  callback,
              gpointer             data)
{
  CbDevicePage *self = owner;
  CbAdrClient *adr;

  if (self->context == NULL || cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    return FALSE;
  adr = cb_context_get_adr (self->context);
  if (self->asking == ASK_REVOKE)
    cb_adr_client_revoke_device_async (adr, device_id, option, self->cancellable, callback, data);
  else
    cb_adr_client_delete_device_async (adr, device_id, self->cancellable, callback, data);
  return TRUE;
}

static char *
action_finish (gpointer       owner,
               const char    *device_id,
               GObject       *source,
               GAsyncResult  *result,
               gboolean       option,
               char         **failure,
               GError       **error)
{
  CbDevicePage *self = owner;

  /* Asked one at a time: the actions are off while one runs. */
  if (self->asking == ASK_DELETE)
    {
      if (!cb_adr_client_delete_device_finish (CB_ADR_CLIENT (source), result, error))
        return NULL;
      g_signal_emit (self, signals[SIGNAL_BACK], 0);
      return g_strdup_printf (_("Deleted %s"), device_id);
    }
  if (!cb_adr_client_revoke_device_finish (CB_ADR_CLIENT (source), result, error))
    return NULL;
  /* The activity log has the revoke now: the state reads Revoked. */
  load (self);
  return cb_device_actions_revoked_text (device_id, option);
}

static void
ask (CbDevicePage *self,
     Ask           what)
{
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  CbConfirmRun run = {
    .start = action_start,
    .finish = action_finish,
    .toast = run_toast,
    .begin = run_begin,
    .end = run_end,
  };
  CbConfirmDialog *dialog;

  if (self->item == NULL || self->n_running > 0)
    return;
  self->asking = what;
  if (what == ASK_REVOKE)
    cb_device_actions_ask_revoke (&run, self->context, self->device_id, strings);
  else
    cb_device_actions_ask_delete (&run, self->device_id, strings);
  dialog = cb_confirm_run (GTK_WIDGET (self), &run);
  g_set_weak_pointer (&self->dialog, ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
revoke_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ask (CB_DEVICE_PAGE (widget), ASK_REVOKE);
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ask (CB_DEVICE_PAGE (widget), ASK_DELETE);
}

static void
set_enabled_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CbDevicePage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbAdrDevice) device = NULL;

  self->n_running--;
  update_actions (self);
  device = cb_adr_client_update_device_enabled_finish (CB_ADR_CLIENT (object), result, &error);
  if (device == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        run_toast (self, _("Device not changed"), error);
      return;
    }
  show_toast (self, cb_adr_device_get_enabled (device) ? _("Device enabled") : _("Device disabled"));
  load (self);
}

static void
set_enabled (CbDevicePage *self,
             gboolean      enabled)
{
  if (self->item == NULL || self->n_running > 0)
    return;
  self->n_running++;
  update_actions (self);
  cb_adr_client_update_device_enabled_async (cb_context_get_adr (self->context), self->device_id,
                                             enabled, self->cancellable, set_enabled_cb,
                                             g_object_ref (self));
}

static void
enable_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  set_enabled (CB_DEVICE_PAGE (widget), TRUE);
}

static void
disable_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  set_enabled (CB_DEVICE_PAGE (widget), FALSE);
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  load (CB_DEVICE_PAGE (widget));
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_BACK], 0);
}

/* The window's Bench page: found in the widget tree, as the window includes this page (a call
 * back into cb-window.c would make a circle). */
static GtkWidget *
find_bench (GtkWidget *widget)
{
  if (CB_IS_BENCH_PAGE (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *bench = find_bench (child);

      if (bench != NULL)
        return bench;
    }
  return NULL;
}

/* On the Bench: the port the device is plugged into, or what to do to plug it in. */
static void
reprovision_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CbDevicePage *self = CB_DEVICE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *bench = root != NULL ? find_bench (GTK_WIDGET (root)) : NULL;

  if (self->device_id == NULL || bench == NULL)
    return;
  g_signal_emit (widget, signals[SIGNAL_BACK], 0);
  gtk_widget_activate_action (widget, "win.show-page", "s", "bench");
  cb_bench_page_reprovision (CB_BENCH_PAGE (bench), self->device_id);
}

/* ---- class ------------------------------------------------------------------------------ */

static void
cb_device_page_dispose (GObject *object)
{
  CbDevicePage *self = CB_DEVICE_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_weak_pointer (&self->dialog);
  cb_page_context_clear (self, &self->context);
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_DEVICE_PAGE);

  G_OBJECT_CLASS (cb_device_page_parent_class)->dispose (object);
}

static void
cb_device_page_finalize (GObject *object)
{
  CbDevicePage *self = CB_DEVICE_PAGE (object);

  g_clear_object (&self->context);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->load);
  g_clear_object (&self->adr_device);
  g_clear_object (&self->item);
  g_clear_pointer (&self->info, cb_device_state_info_unref);
  g_clear_pointer (&self->twin, json_object_unref);
  g_clear_pointer (&self->connection, cb_hub_connection_report_free);
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_free (self->device_id);
  g_free (self->last_toast);

  G_OBJECT_CLASS (cb_device_page_parent_class)->finalize (object);
}

static void
cb_device_page_class_init (CbDevicePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_device_page_dispose;
  object_class->finalize = cb_device_page_finalize;

  signals[SIGNAL_BACK] = g_signal_new ("back", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-device-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, title);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, stack);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, error_status);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, identity_list);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, state_list);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, connection_list);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, certificate_list);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, twin_list);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, twin_view);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, history_list);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, enable_button);
  gtk_widget_class_bind_template_child (widget_class, CbDevicePage, disable_button);

  gtk_widget_class_install_action (widget_class, "device.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "device.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "device.revoke", NULL, revoke_action);
  gtk_widget_class_install_action (widget_class, "device.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "device.enable", NULL, enable_action);
  gtk_widget_class_install_action (widget_class, "device.disable", NULL, disable_action);
  gtk_widget_class_install_action (widget_class, "device.reprovision", NULL, reprovision_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "device.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "device.back", NULL);
}

static void
cb_device_page_init (CbDevicePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  update_actions (self);
}

/* Another connection holds other devices: the page has nothing to show. */
static void
on_profile_changed_cb (CbDevicePage *self)
{
  if (self->load != NULL)
    g_cancellable_cancel (self->load);
  g_clear_object (&self->load);
  g_clear_object (&self->item);
  update_actions (self);
  g_signal_emit (self, signals[SIGNAL_BACK], 0);
}

GtkWidget *
cb_device_page_new (CbContext *context)
{
  CbDevicePage *self;

  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  self = g_object_new (CB_TYPE_DEVICE_PAGE, NULL);
  self->context = g_object_ref (context);
  cb_page_context_watch (self, context, CB_PAGE_CONTEXT_PROFILE, G_CALLBACK (on_profile_changed_cb));
  return GTK_WIDGET (self);
}

void
cb_device_page_show_device (CbDevicePage *self,
                            const char   *device_id)
{
  g_return_if_fail (CB_IS_DEVICE_PAGE (self));
  g_return_if_fail (device_id != NULL);

  g_free (self->device_id);
  self->device_id = g_strdup (device_id);
  adw_window_title_set_title (self->title, device_id);
  load (self);
}

const char *
cb_device_page_get_device_id (CbDevicePage *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_PAGE (self), NULL);
  return self->device_id;
}

gboolean
cb_device_page_get_loading (CbDevicePage *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_PAGE (self), FALSE);
  return self->load != NULL;
}

const char *
cb_device_page_get_state_reason (CbDevicePage *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_PAGE (self), NULL);
  return self->item != NULL ? cb_device_item_get_state_reason (self->item) : NULL;
}

CbDeviceState
cb_device_page_get_state (CbDevicePage *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_PAGE (self), CB_DEVICE_STATE_UNKNOWN);
  return self->item != NULL ? cb_device_item_get_state (self->item) : CB_DEVICE_STATE_UNKNOWN;
}

AdwMessageDialog *
cb_device_page_get_dialog (CbDevicePage *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_PAGE (self), NULL);
  return self->dialog;
}

const char *
cb_device_page_get_last_toast (CbDevicePage *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_PAGE (self), NULL);
  return self->last_toast;
}

guint
cb_device_page_get_n_running (CbDevicePage *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_PAGE (self), 0);
  return self->n_running;
}
