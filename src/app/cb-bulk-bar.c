/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bulk-bar"

/* The selection bar of a device table (cb-bulk-bar.h): three faces in one widget — the
 * selection with its actions, the progress of a run, and the run's summary — and the actions
 * themselves ("bulk.*"), which ask once for the whole set and hand the calls to core's
 * CbBulkOperation. The bar owns the run, so leaving the page does not stop it. */

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "cb-adr-client-ca.h"
#include "cb-bulk-bar.h"
#include "cb-error-text.h"
#include "cb-toasts.h"

struct _CbBulkBar
{
  AdwBin             parent_instance;

  CbContext         *context;
  GtkSelectionModel *selection;
  CbDeviceListModel *devices;
  CbBulkOperation   *operation;
  GCancellable      *cancellable;     /* the run's and the count's; cancelled on dispose */
  CbConfirmDialog   *dialog;          /* weak */
  char              *summary;
  char              *last_message;
  char              *counted;         /* the condition n_matching was counted for */
  guint              n_matching;
  gboolean           counting;
  gboolean           selecting_all;
  guint              select_all_idle;
  gboolean           show_summary;

  GtkWidget         *selection_box;
  GtkLabel          *count_label;
  GtkButton         *select_all_button;
  GtkWidget         *progress_box;
  GtkProgressBar    *progress;
  GtkLabel          *progress_label;
  GtkWidget         *summary_box;
  GtkLabel          *summary_label;
  GtkListBox        *failed_list;
  GtkWidget         *retry_button;
};

G_DEFINE_FINAL_TYPE (CbBulkBar, cb_bulk_bar, ADW_TYPE_BIN)

enum
{
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_message (CbBulkBar  *self,
             const char *text)
{
  g_free (self->last_message);
  self->last_message = g_strdup (text);
  cb_widget_toast (GTK_WIDGET (self), text);
}

guint
cb_bulk_bar_get_n_selected (CbBulkBar *self)
{
  g_autoptr(GtkBitset) set = NULL;

  g_return_val_if_fail (CB_IS_BULK_BAR (self), 0);

  if (self->selection == NULL)
    return 0;
  set = gtk_selection_model_get_selection (self->selection);
  return (guint) gtk_bitset_get_size (set);
}

/* The selected rows. Returns: (element-type CbDeviceItem) (transfer full) */
static GPtrArray *
selected_items (CbBulkBar *self)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GtkBitset) set = NULL;
  GtkBitsetIter iter;
  guint position;

  if (self->selection == NULL)
    return items;
  set = gtk_selection_model_get_selection (self->selection);
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &position); ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    {
      gpointer item = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

      if (item != NULL)
        g_ptr_array_add (items, item);
    }
  return items;
}

GStrv
cb_bulk_bar_list_selected (CbBulkBar *self)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (CB_IS_BULK_BAR (self), NULL);

  items = selected_items (self);
  for (guint i = 0; i < items->len; i++)
    g_strv_builder_add (builder, cb_device_item_get_device_id (g_ptr_array_index (items, i)));
  return g_strv_builder_end (builder);
}

static gboolean
is_ready (CbBulkBar *self)
{
  return self->context != NULL &&
         cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY &&
         cb_context_get_adr (self->context) != NULL;
}

static char *
progress_text (CbBulkOperation *op)
{
  guint done = cb_bulk_operation_get_n_done (op);
  guint n = cb_bulk_operation_get_n_items (op);

  switch (cb_bulk_operation_get_action (op))
    {
    case CB_BULK_ACTION_REVOKE:
    case CB_BULK_ACTION_REVOKE_AND_DISABLE:
      /* Translators: progress of a revoke over many devices: done, total */
      return g_strdup_printf (_("Revoking certificates: %u of %u devices done"), done, n);
    case CB_BULK_ACTION_DISABLE:
      return g_strdup_printf (_("Disabling: %u of %u devices done"), done, n);
    case CB_BULK_ACTION_ENABLE:
    default:
      return g_strdup_printf (_("Enabling: %u of %u devices done"), done, n);
    }
}

static void
update (CbBulkBar *self)
{
  guint n = cb_bulk_bar_get_n_selected (self);
  gboolean running = self->operation != NULL && cb_bulk_operation_get_running (self->operation);
  gboolean ready = is_ready (self);
  g_autofree char *count = NULL;

  /* Disposed: a run's last notifications find nothing to show. */
  if (self->count_label == NULL)
    return;

  if (self->selecting_all)
    count = g_strdup_printf (ngettext ("Listing %u matching device…", "Listing %u matching devices…",
                                       self->n_matching), self->n_matching);
  else
    count = g_strdup_printf (ngettext ("%u device selected", "%u devices selected", n), n);
  gtk_label_set_text (self->count_label, count);

  /* All the matching devices, when more match than are selected. */
  if (self->n_matching > n && !self->selecting_all)
    {
      g_autofree char *label = g_strdup_printf (ngettext ("Select all %u matching",
                                                          "Select all %u matching",
                                                          self->n_matching), self->n_matching);

      gtk_button_set_label (self->select_all_button, label);
      gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->select_all_button)), TRUE);
    }
  else
    gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->select_all_button)), FALSE);

  gtk_widget_set_visible (self->selection_box, n > 0 && !running);
  gtk_widget_set_visible (self->progress_box, running);
  gtk_widget_set_visible (self->summary_box, self->show_summary && !running);
  gtk_widget_set_visible (GTK_WIDGET (self), (n > 0 && !running) || running || self->show_summary);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bulk.revoke", ready && n > 0 && !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bulk.disable", ready && n > 0 && !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bulk.enable", ready && n > 0 && !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bulk.export", n > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bulk.select-all-matching",
                                 ready && !self->selecting_all);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bulk.cancel", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bulk.retry",
                                 ready && !running && self->operation != NULL &&
                                 (cb_bulk_operation_get_n_failed (self->operation) > 0 ||
                                  cb_bulk_operation_get_n_done (self->operation) <
                                    cb_bulk_operation_get_n_items (self->operation)));
  gtk_widget_set_visible (self->retry_button,
                          self->operation != NULL &&
                          (cb_bulk_operation_get_n_failed (self->operation) > 0 ||
                           cb_bulk_operation_get_n_done (self->operation) <
                             cb_bulk_operation_get_n_items (self->operation)));

  if (running)
    {
      g_autofree char *text = progress_text (self->operation);

      gtk_label_set_text (self->progress_label, text);
      gtk_progress_bar_set_fraction (self->progress, cb_bulk_operation_get_fraction (self->operation));
    }
}

/* ---- counting and listing what matches -------------------------------------------------- */

static void
count_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CbBulkBar) self = user_data;
  g_autoptr(CbHubQueryPage) page = NULL;
  g_autoptr(GError) error = NULL;

  self->counting = FALSE;
  page = cb_hub_client_query_finish (CB_HUB_CLIENT (object), result, &error);
  if (page == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("count: %s", error->message);
      return;
    }
  if (page->items != NULL && json_array_get_length (page->items) > 0 &&
      JSON_NODE_HOLDS_OBJECT (json_array_get_element (page->items, 0)))
    self->n_matching = json_object_get_int_member_with_default (
      json_node_get_object (json_array_get_element (page->items, 0)), "n", 0);
  update (self);
}

/* Counts the list's filter on the service once per filter, before any "all" is offered. */
static void
count_matching (CbBulkBar *self)
{
  const char *condition;
  g_autofree char *query = NULL;

  if (self->devices == NULL || !is_ready (self) || cb_context_get_hub (self->context) == NULL ||
      self->counting)
    return;
  condition = cb_device_list_model_get_condition (self->devices);
  if (self->counted != NULL && g_strcmp0 (self->counted, condition != NULL ? condition : "") == 0)
    return;
  g_free (self->counted);
  self->counted = g_strdup (condition != NULL ? condition : "");
  self->n_matching = 0;
  self->counting = TRUE;
  if (condition != NULL)
    query = g_strdup_printf ("SELECT COUNT() AS n FROM devices WHERE %s", condition);
  else
    query = g_strdup ("SELECT COUNT() AS n FROM devices");
  cb_hub_client_query_async (cb_context_get_hub (self->context), query, 0, NULL,
                             self->cancellable, count_cb, g_object_ref (self));
}

/* Select all matching: every page of the filtered list is listed, then all of it selected. */
static void
continue_select_all (CbBulkBar *self)
{
  if (!self->selecting_all || self->devices == NULL ||
      cb_device_list_model_get_loading (self->devices))
    return;
  if (cb_device_list_model_get_error (self->devices) != NULL)
    {
      g_autofree char *reason = cb_error_text (cb_device_list_model_get_error (self->devices));
      g_autofree char *text = g_strdup_printf (_("Not every matching device could be listed: %s"),
                                               reason);

      self->selecting_all = FALSE;
      set_message (self, text);
    }
  else if (!cb_device_list_model_get_complete (self->devices))
    {
      cb_device_list_model_load_more (self->devices);
      return;
    }
  else
    {
      self->selecting_all = FALSE;
      self->n_matching = g_list_model_get_n_items (G_LIST_MODEL (self->devices));
      gtk_selection_model_select_all (self->selection);
    }
  update (self);
}

static void
select_all_matching_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  CbBulkBar *self = CB_BULK_BAR (widget);

  if (self->devices == NULL)
    return;
  self->selecting_all = TRUE;
  update (self);
  continue_select_all (self);
}

static gboolean
continue_select_all_idle (gpointer data)
{
  CbBulkBar *self = data;

  self->select_all_idle = 0;
  continue_select_all (self);
  return G_SOURCE_REMOVE;
}

/* The model says it stopped loading before it has taken in the page: the next one is asked
 * for once it has. */
static void
on_loading_changed_cb (CbBulkBar *self)
{
  if (self->selecting_all && self->select_all_idle == 0)
    self->select_all_idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, continue_select_all_idle,
                                             g_object_ref (self), g_object_unref);
}

static void
on_selection_changed_cb (CbBulkBar *self)
{
  if (cb_bulk_bar_get_n_selected (self) > 0)
    count_matching (self);
  update (self);
}

static void
clear_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CbBulkBar *self = CB_BULK_BAR (widget);

  self->selecting_all = FALSE;
  if (self->selection != NULL)
    gtk_selection_model_unselect_all (self->selection);
  update (self);
}

/* ---- the run ---------------------------------------------------------------------------- */

static char *
summary_text (CbBulkOperation *op,
              gboolean         cancelled)
{
  guint n = cb_bulk_operation_get_n_items (op);
  guint failed = cb_bulk_operation_get_n_failed (op);
  guint done = cb_bulk_operation_get_n_done (op);
  guint ok = done - failed;

  if (cancelled)
    return g_strdup_printf (ngettext ("Stopped: %u of %u device done, %u failed",
                                      "Stopped: %u of %u devices done, %u failed", n),
                            ok, n, failed);
  if (failed > 0)
    return g_strdup_printf (ngettext ("%u of %u device done; %u failed",
                                      "%u of %u devices done; %u failed", n), ok, n, failed);
  switch (cb_bulk_operation_get_action (op))
    {
    case CB_BULK_ACTION_REVOKE:
      return g_strdup_printf (ngettext ("Revoked the certificates of %u device",
                                        "Revoked the certificates of %u devices", n), n);
    case CB_BULK_ACTION_REVOKE_AND_DISABLE:
      return g_strdup_printf (ngettext ("Revoked the certificates of %u device and disabled it",
                                        "Revoked the certificates of %u devices and disabled them",
                                        n), n);
    case CB_BULK_ACTION_DISABLE:
      return g_strdup_printf (ngettext ("Disabled %u device", "Disabled %u devices", n), n);
    case CB_BULK_ACTION_ENABLE:
    default:
      return g_strdup_printf (ngettext ("Enabled %u device", "Enabled %u devices", n), n);
    }
}

static void
fill_failed (CbBulkBar       *self,
             CbBulkOperation *op)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->failed_list))) != NULL)
    gtk_list_box_remove (self->failed_list, child);

  for (guint i = 0; i < cb_bulk_operation_get_n_items (op); i++)
    {
      const GError *error = cb_bulk_operation_get_item_error (op, i);
      g_autofree char *reason = NULL;
      GtkWidget *row;

      if (cb_bulk_operation_get_item_done (op, i) && error == NULL)
        continue;
      if (error == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        reason = g_strdup (_("Not done: the run was stopped first"));
      else
        reason = cb_error_text (error);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cb_bulk_operation_get_item_id (op, i));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), reason);
      gtk_list_box_append (self->failed_list, row);
    }
  /* Its scrolled window keeps a height of its own: no failures, no box. */
  gtk_widget_set_visible (gtk_widget_get_ancestor (GTK_WIDGET (self->failed_list),
                                                   GTK_TYPE_SCROLLED_WINDOW),
                          gtk_widget_get_first_child (GTK_WIDGET (self->failed_list)) != NULL);
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(CbBulkBar) self = user_data;
  CbBulkOperation *op = CB_BULK_OPERATION (object);
  g_autoptr(GError) error = NULL;
  gboolean cancelled;

  cancelled = !cb_bulk_operation_run_finish (op, result, &error);
  /* Disposed: nothing left to show it in. */
  if (self->summary_label == NULL || op != self->operation)
    return;

  g_free (self->summary);
  self->summary = summary_text (op, cancelled);
  gtk_label_set_text (self->summary_label, self->summary);
  fill_failed (self, op);
  self->show_summary = TRUE;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  /* What matches the filter changed: count again when asked. */
  g_clear_pointer (&self->counted, g_free);
  self->n_matching = 0;
  update (self);
  gtk_widget_grab_focus (self->summary_box);
  g_signal_emit (self, signals[FINISHED], 0);
}

static void
start (CbBulkBar          *self,
       CbBulkAction        action,
       const char * const *ids)
{
  g_clear_object (&self->operation);
  self->operation = cb_bulk_operation_new (cb_context_get_adr (self->context), action, ids);
  g_signal_connect_object (self->operation, "notify::n-done", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  self->show_summary = FALSE;
  cb_bulk_operation_run_async (self->operation, self->cancellable, run_cb, g_object_ref (self));
  if (self->selection != NULL)
    gtk_selection_model_unselect_all (self->selection);
  update (self);
}

typedef struct
{
  CbBulkBar    *self;
  CbBulkAction  action;
  GStrv         ids;
} Ask;

static void
ask_free (gpointer data)
{
  Ask *ask = data;

  g_object_unref (ask->self);
  g_strfreev (ask->ids);
  g_free (ask);
}

static void
on_response_cb (AdwMessageDialog *dialog,
                const char       *response,
                Ask              *ask)
{
  CbBulkAction action = ask->action;

  if (g_strcmp0 (response, "confirm") != 0 || !is_ready (ask->self))
    return;
  if (action == CB_BULK_ACTION_REVOKE &&
      cb_confirm_dialog_get_option_active (CB_CONFIRM_DIALOG (dialog)))
    action = CB_BULK_ACTION_REVOKE_AND_DISABLE;
  start (ask->self, action, (const char * const *) ask->ids);
}

/* One question for the whole set: how many devices, and what they lose. */
static void
ask (CbBulkBar    *self,
     CbBulkAction  action)
{
  g_auto(GStrv) ids = cb_bulk_bar_list_selected (self);
  guint n = g_strv_length (ids);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  const char *confirm;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  CbConfirmDialog *dialog;
  Ask *data;

  if (n == 0 || !is_ready (self))
    return;

  if (action == CB_BULK_ACTION_REVOKE)
    {
      heading = g_strdup_printf (ngettext ("Revoke the Certificates of %u Device?",
                                           "Revoke the Certificates of %u Devices?", n), n);
      body = g_strdup_printf (ngettext ("%u device loses every certificate it was ever issued: "
                                        "the hub refuses them from now on, so it is disconnected "
                                        "and cannot reconnect until it is provisioned again.",
                                        "%u devices lose every certificate they were ever "
                                        "issued: the hub refuses them from now on, so they are "
                                        "disconnected and cannot reconnect until they are "
                                        "provisioned again.", n), n);
      confirm = _("_Revoke");
    }
  else
    {
      heading = g_strdup_printf (ngettext ("Disable %u Device?", "Disable %u Devices?", n), n);
      body = g_strdup_printf (ngettext ("%u device is disabled in the hub: it is disconnected and "
                                        "cannot connect until it is enabled again. Its "
                                        "certificates stay valid.",
                                        "%u devices are disabled in the hub: they are "
                                        "disconnected and cannot connect until they are enabled "
                                        "again. Their certificates stay valid.", n), n);
      confirm = _("_Disable");
    }

  dialog = cb_confirm_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body,
                                  confirm, NULL);
  /* ADR's certificate-authority model cannot disable a registry device: no such option. */
  if (action == CB_BULK_ACTION_REVOKE &&
      cb_adr_client_peek_model (cb_context_get_adr (self->context)) !=
        CB_ADR_MODEL_CERTIFICATE_AUTHORITIES)
    cb_confirm_dialog_set_option (dialog, _("Also _disable the devices"), FALSE);

  data = g_new0 (Ask, 1);
  data->self = g_object_ref (self);
  data->action = action;
  data->ids = g_steal_pointer (&ids);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_response_cb), data,
                         (GClosureNotify) (void (*) (void)) ask_free, 0);
  g_set_weak_pointer (&self->dialog, dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
revoke_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ask (CB_BULK_BAR (widget), CB_BULK_ACTION_REVOKE);
}

static void
disable_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ask (CB_BULK_BAR (widget), CB_BULK_ACTION_DISABLE);
}

/* Enabling takes nothing away: no question. */
static void
enable_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CbBulkBar *self = CB_BULK_BAR (widget);
  g_auto(GStrv) ids = cb_bulk_bar_list_selected (self);

  if (ids[0] != NULL && is_ready (self))
    start (self, CB_BULK_ACTION_ENABLE, (const char * const *) ids);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  g_cancellable_cancel (CB_BULK_BAR (widget)->cancellable);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CbBulkBar *self = CB_BULK_BAR (widget);
  g_autoptr(CbBulkOperation) previous = NULL;
  g_auto(GStrv) failed = NULL;

  if (self->operation == NULL || !is_ready (self))
    return;
  previous = g_object_ref (self->operation);
  failed = cb_bulk_operation_list_failed (previous);
  if (failed[0] != NULL)
    start (self, cb_bulk_operation_get_action (previous), (const char * const *) failed);
}

static void
dismiss_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CbBulkBar *self = CB_BULK_BAR (widget);

  self->show_summary = FALSE;
  update (self);
}

/* ---- export ----------------------------------------------------------------------------- */

typedef struct
{
  CbBulkBar *self;
  GFile     *file;
  guint      n;
  char      *contents;
} Export;

static void
export_free (Export *export)
{
  g_object_unref (export->self);
  g_object_unref (export->file);
  g_free (export->contents);
  g_free (export);
}

static void
export_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Export *export = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (export->file);
  g_autofree char *text = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    {
      g_autofree char *reason = cb_error_text (error);

      text = g_strdup_printf (_("Devices not exported: %s"), reason);
    }
  else
    text = g_strdup_printf (ngettext ("Exported %u device to %s", "Exported %u devices to %s",
                                      export->n), export->n, name);
  set_message (export->self, text);
  export_free (export);
}

void
cb_bulk_bar_export_to_file (CbBulkBar            *self,
                            GFile                *file,
                            CbDeviceExportFormat  format)
{
  g_autoptr(GPtrArray) items = NULL;
  Export *export;

  g_return_if_fail (CB_IS_BULK_BAR (self));
  g_return_if_fail (G_IS_FILE (file));

  items = selected_items (self);
  export = g_new0 (Export, 1);
  export->self = g_object_ref (self);
  export->file = g_object_ref (file);
  export->n = items->len;
  export->contents = cb_device_export (items, format);
  g_clear_pointer (&self->last_message, g_free);
  g_file_replace_contents_async (file, export->contents, strlen (export->contents), NULL, FALSE,
                                 G_FILE_CREATE_REPLACE_DESTINATION, NULL, export_written_cb,
                                 export);
}

static void
on_export_response_cb (GtkNativeDialog *chooser,
                       int              response,
                       CbBulkBar       *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      CbDeviceExportFormat format =
        GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "format"));

      if (file != NULL)
        cb_bulk_bar_export_to_file (self, file, format);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CbBulkBar *self = CB_BULK_BAR (widget);
  gboolean json = g_strcmp0 (g_variant_get_string (parameter, NULL), "json") == 0;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Export the Devices"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser),
                                     json ? "devices.json" : "devices.csv");
  g_object_set_data (G_OBJECT (chooser), "format",
                     GINT_TO_POINTER (json ? CB_DEVICE_EXPORT_JSON : CB_DEVICE_EXPORT_CSV));
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_export_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- the widget ------------------------------------------------------------------------- */

static GtkWidget *
status_label (void)
{
  /* A status: screen readers announce it as it changes. */
  GtkWidget *label = g_object_new (GTK_TYPE_LABEL, "accessible-role", GTK_ACCESSIBLE_ROLE_STATUS,
                                   "xalign", 0.0f, "wrap", TRUE, "hexpand", TRUE, NULL);

  gtk_widget_add_css_class (label, "heading");
  return label;
}

static GtkWidget *
button (const char *label,
        const char *action,
        const char *target,
        gboolean    destructive)
{
  GtkWidget *b = gtk_button_new_with_mnemonic (label);

  if (target != NULL)
    gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (b), target);
  else
    gtk_actionable_set_action_name (GTK_ACTIONABLE (b), action);
  if (destructive)
    gtk_widget_add_css_class (b, "destructive-action");
  return b;
}

static GtkWidget *
row_box (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  return box;
}

static void
build (CbBulkBar *self)
{
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *top;
  GtkWidget *actions;
  GtkWidget *clear;
  GtkWidget *scrolled;
  GtkWidget *more;
  g_autoptr(GMenu) menu = NULL;

  gtk_widget_set_margin_start (outer, 12);
  gtk_widget_set_margin_end (outer, 12);
  gtk_widget_set_margin_top (outer, 6);
  gtk_widget_set_margin_bottom (outer, 6);
  gtk_widget_add_css_class (GTK_WIDGET (self), "toolbar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Selected devices"), -1);

  /* The selection: count, all matching, clear; the actions on a line of their own (they
   * wrap at phone widths). */
  self->selection_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  top = row_box ();
  self->count_label = GTK_LABEL (status_label ());
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (self->count_label));
  clear = gtk_button_new_from_icon_name ("edit-clear-all-symbolic");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (clear), "bulk.clear");
  gtk_widget_set_tooltip_text (clear, _("Clear the Selection"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (clear), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Clear the selection"), -1);
  gtk_box_append (GTK_BOX (top), clear);
  gtk_box_append (GTK_BOX (self->selection_box), top);

  actions = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (actions), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (actions), 6);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (actions), 6);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (actions), 6);
  gtk_accessible_update_property (GTK_ACCESSIBLE (actions), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Actions on the selected devices"), -1);
  self->select_all_button = GTK_BUTTON (button ("", "bulk.select-all-matching", NULL, FALSE));
  gtk_flow_box_append (GTK_FLOW_BOX (actions), GTK_WIDGET (self->select_all_button));
  gtk_flow_box_append (GTK_FLOW_BOX (actions), button (_("_Revoke…"), "bulk.revoke", NULL, TRUE));
  gtk_flow_box_append (GTK_FLOW_BOX (actions), button (_("_Disable…"), "bulk.disable", NULL, FALSE));
  /* The rest in a menu: the bar stays two lines high at phone widths. */
  menu = g_menu_new ();
  g_menu_append (menu, _("_Enable"), "bulk.enable");
  g_menu_append (menu, _("Export as _CSV…"), "bulk.export::csv");
  g_menu_append (menu, _("Export as _JSON…"), "bulk.export::json");
  more = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (more), "view-more-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (more), G_MENU_MODEL (menu));
  gtk_widget_set_tooltip_text (more, _("More Actions"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (more), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("More actions: enable, export"), -1);
  gtk_flow_box_append (GTK_FLOW_BOX (actions), more);
  /* The flow box's children are containers, not stops of their own: Tab goes to the buttons. */
  for (GtkWidget *child = gtk_widget_get_first_child (actions); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_set_focusable (child, FALSE);
  gtk_box_append (GTK_BOX (self->selection_box), actions);
  gtk_box_append (GTK_BOX (outer), self->selection_box);

  /* The run. */
  self->progress_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  top = row_box ();
  self->progress_label = GTK_LABEL (status_label ());
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (self->progress_label));
  gtk_box_append (GTK_BOX (top), button (_("_Stop"), "bulk.cancel", NULL, FALSE));
  gtk_box_append (GTK_BOX (self->progress_box), top);
  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Progress of the devices' action"), -1);
  gtk_box_append (GTK_BOX (self->progress_box), GTK_WIDGET (self->progress));
  gtk_box_append (GTK_BOX (outer), self->progress_box);

  /* The summary: what failed and why, retry, dismiss. */
  self->summary_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_focusable (self->summary_box, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->summary_box), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Outcome of the devices' action"), -1);
  self->summary_label = GTK_LABEL (status_label ());
  gtk_box_append (GTK_BOX (self->summary_box), GTK_WIDGET (self->summary_label));
  top = row_box ();
  gtk_widget_set_halign (top, GTK_ALIGN_END);
  self->retry_button = button (_("_Retry the Failed"), "bulk.retry", NULL, FALSE);
  gtk_box_append (GTK_BOX (top), self->retry_button);
  gtk_box_append (GTK_BOX (top), button (_("_Dismiss"), "bulk.dismiss", NULL, FALSE));
  gtk_box_append (GTK_BOX (self->summary_box), top);
  self->failed_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->failed_list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->failed_list), "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->failed_list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Devices that failed"), -1);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 180);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->failed_list));
  gtk_box_append (GTK_BOX (self->summary_box), scrolled);
  gtk_box_append (GTK_BOX (outer), self->summary_box);

  adw_bin_set_child (ADW_BIN (self), outer);
}

static void
cb_bulk_bar_dispose (GObject *object)
{
  CbBulkBar *self = CB_BULK_BAR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->select_all_idle, g_source_remove);
  self->selecting_all = FALSE;
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  if (self->devices != NULL)
    g_signal_handlers_disconnect_by_data (self->devices, self);
  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->devices);
  g_clear_object (&self->context);
  g_clear_weak_pointer (&self->dialog);
  adw_bin_set_child (ADW_BIN (self), NULL);
  self->selection_box = self->progress_box = self->summary_box = self->retry_button = NULL;
  self->count_label = self->progress_label = self->summary_label = NULL;
  self->select_all_button = NULL;
  self->progress = NULL;
  self->failed_list = NULL;

  G_OBJECT_CLASS (cb_bulk_bar_parent_class)->dispose (object);
}

static void
cb_bulk_bar_finalize (GObject *object)
{
  CbBulkBar *self = CB_BULK_BAR (object);

  g_clear_object (&self->operation);
  g_clear_object (&self->cancellable);
  g_free (self->summary);
  g_free (self->last_message);
  g_free (self->counted);

  G_OBJECT_CLASS (cb_bulk_bar_parent_class)->finalize (object);
}

static void
cb_bulk_bar_class_init (CbBulkBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_bulk_bar_dispose;
  object_class->finalize = cb_bulk_bar_finalize;

  /* A run ended (its summary is shown): the page reads the devices again. */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_widget_class_install_action (widget_class, "bulk.revoke", NULL, revoke_action);
  gtk_widget_class_install_action (widget_class, "bulk.disable", NULL, disable_action);
  gtk_widget_class_install_action (widget_class, "bulk.enable", NULL, enable_action);
  gtk_widget_class_install_action (widget_class, "bulk.export", "s", export_action);
  gtk_widget_class_install_action (widget_class, "bulk.select-all-matching", NULL,
                                   select_all_matching_action);
  gtk_widget_class_install_action (widget_class, "bulk.clear", NULL, clear_action);
  gtk_widget_class_install_action (widget_class, "bulk.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "bulk.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "bulk.dismiss", NULL, dismiss_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "bulk.clear", NULL);
}

static void
cb_bulk_bar_init (CbBulkBar *self)
{
  self->cancellable = g_cancellable_new ();
  build (self);
  update (self);
}

GtkWidget *
cb_bulk_bar_new (void)
{
  return g_object_new (CB_TYPE_BULK_BAR, NULL);
}

void
cb_bulk_bar_set_context (CbBulkBar *self,
                         CbContext *context)
{
  g_return_if_fail (CB_IS_BULK_BAR (self));

  if (self->context == context)
    return;
  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_set_object (&self->context, context);
  if (context != NULL)
    g_signal_connect_object (context, "notify::state", G_CALLBACK (update), self,
                             G_CONNECT_SWAPPED);
  update (self);
}

void
cb_bulk_bar_set_model (CbBulkBar         *self,
                       GtkSelectionModel *selection,
                       CbDeviceListModel *devices)
{
  g_return_if_fail (CB_IS_BULK_BAR (self));
  g_return_if_fail (GTK_IS_SELECTION_MODEL (selection));
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (devices));

  g_set_object (&self->selection, selection);
  g_set_object (&self->devices, devices);
  g_signal_connect_object (selection, "selection-changed", G_CALLBACK (on_selection_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (selection, "items-changed", G_CALLBACK (on_selection_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (devices, "notify::loading", G_CALLBACK (on_loading_changed_cb),
                           self, G_CONNECT_SWAPPED);
  update (self);
}

guint
cb_bulk_bar_get_n_matching (CbBulkBar *self)
{
  g_return_val_if_fail (CB_IS_BULK_BAR (self), 0);
  return self->n_matching;
}

CbConfirmDialog *
cb_bulk_bar_get_dialog (CbBulkBar *self)
{
  g_return_val_if_fail (CB_IS_BULK_BAR (self), NULL);
  return self->dialog;
}

CbBulkOperation *
cb_bulk_bar_get_operation (CbBulkBar *self)
{
  g_return_val_if_fail (CB_IS_BULK_BAR (self), NULL);
  return self->operation;
}

const char *
cb_bulk_bar_get_summary (CbBulkBar *self)
{
  g_return_val_if_fail (CB_IS_BULK_BAR (self), NULL);
  return self->show_summary ? self->summary : NULL;
}

const char *
cb_bulk_bar_get_last_message (CbBulkBar *self)
{
  g_return_val_if_fail (CB_IS_BULK_BAR (self), NULL);
  return self->last_message;
}
