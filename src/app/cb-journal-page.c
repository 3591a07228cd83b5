/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-journal-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-a11y.h"
#include "cb-drop-down.h"
#include "cb-journal-export.h"
#include "cb-run-window.h"
#include "cb-toasts.h"

#include "cb-journal-page.h"
#include "cb-page-context.h"

#define MAX_RUNS 10000

struct _CbJournalPage
{
  AdwBin              parent_instance;

  /* Template widgets */
  GtkSearchEntry     *search_entry;
  GtkDropDown        *result_dropdown;
  GtkLabel           *count_label;
  GtkStack           *stack;
  GtkColumnView      *column_view;
  AdwStatusPage      *empty_page;

  /* Owned */
  CbContext          *context;
  GListStore         *runs;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkSortListModel   *sorted;
  GCancellable       *cancellable;
  char               *search_text;
  CbJournalResult     result_filter;
  gboolean            only_running;
  gboolean            loading;
  GtkNativeDialog    *chooser;
};

G_DEFINE_FINAL_TYPE (CbJournalPage, cb_journal_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The drop-down's items, in order. */
static const struct
{
  CbJournalResult result;
  gboolean        only_running;
} result_choices[] = {
  { CB_JOURNAL_RESULT_NONE, FALSE },
  { CB_JOURNAL_RESULT_PASS, FALSE },
  { CB_JOURNAL_RESULT_FAIL, FALSE },
  { CB_JOURNAL_RESULT_CANCELLED, FALSE },
  { CB_JOURNAL_RESULT_INTERRUPTED, FALSE },
  { CB_JOURNAL_RESULT_NONE, TRUE },
};

/* ---- Cells ------------------------------------------------------------------------------ */

typedef enum
{
  COLUMN_STARTED,
  COLUMN_RESULT,
  COLUMN_SERIAL,
  COLUMN_REGISTRATION_ID,
  COLUMN_PORT,
  COLUMN_POLICY,
  COLUMN_HUB,
  COLUMN_EXPIRES,
  COLUMN_DURATION,
  COLUMN_ERROR,
} ColumnId;

static char *
format_time_us (gint64 unix_us)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (unix_us <= 0)
    return g_strdup ("");
  utc = g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

static const char *
result_text (CbJournalRun *run)
{
  switch (cb_journal_run_get_result (run))
    {
    case CB_JOURNAL_RESULT_PASS:
      return _("PASS");
    case CB_JOURNAL_RESULT_FAIL:
      return _("FAIL");
    case CB_JOURNAL_RESULT_CANCELLED:
      return _("Cancelled");
    case CB_JOURNAL_RESULT_INTERRUPTED:
      return _("Interrupted");
    case CB_JOURNAL_RESULT_SKIPPED:
      return _("Skipped");
    case CB_JOURNAL_RESULT_NONE:
    default:
      return _("Running");
    }
}

static char *
cell_text (CbJournalRun *run,
           ColumnId      column)
{
  switch (column)
    {
    case COLUMN_STARTED:
      return format_time_us (cb_journal_run_get_started (run));
    case COLUMN_RESULT:
      return g_strdup (result_text (run));
    case COLUMN_SERIAL:
      return g_strdup (cb_journal_run_get_device_serial (run));
    case COLUMN_REGISTRATION_ID:
      return g_strdup (cb_journal_run_get_registration_id (run));
    case COLUMN_PORT:
      return g_strdup (cb_journal_run_get_port (run));
    case COLUMN_POLICY:
      return g_strdup (cb_journal_run_get_policy (run));
    case COLUMN_HUB:
      return g_strdup (cb_journal_run_get_hub (run));
    case COLUMN_EXPIRES:
      return cb_journal_run_get_not_after (run) > 0
               ? format_time_us (cb_journal_run_get_not_after (run) * G_USEC_PER_SEC)
               : NULL;
    case COLUMN_DURATION:
      if (cb_journal_run_get_ended (run) > 0)
        return g_strdup_printf (_("%.1f s"), (cb_journal_run_get_ended (run) -
                                              cb_journal_run_get_started (run)) / 1e6);
      return NULL;
    case COLUMN_ERROR:
      return g_strdup (cb_journal_run_get_error (run));
    default:
      g_assert_not_reached ();
    }
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  ColumnId column = GPOINTER_TO_UINT (user_data);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (column == COLUMN_STARTED || column == COLUMN_EXPIRES || column == COLUMN_DURATION)
    gtk_widget_add_css_class (label, "numeric");
  if (column == COLUMN_RESULT)
    gtk_widget_add_css_class (label, "heading");
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  ColumnId column = GPOINTER_TO_UINT (user_data);
  CbJournalRun *run = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);
  g_autofree char *text = cell_text (run, column);

  gtk_label_set_label (GTK_LABEL (label), text != NULL ? text : "");
  gtk_widget_set_tooltip_text (label, text != NULL && *text != '\0' ? text : NULL);
  if (column == COLUMN_RESULT)
    {
      CbJournalResult result = cb_journal_run_get_result (run);

      gtk_widget_remove_css_class (label, "success");
      gtk_widget_remove_css_class (label, "error");
      gtk_widget_remove_css_class (label, "warning");
      if (result == CB_JOURNAL_RESULT_PASS)
        gtk_widget_add_css_class (label, "success");
      else if (result == CB_JOURNAL_RESULT_FAIL)
        gtk_widget_add_css_class (label, "error");
      else if (result == CB_JOURNAL_RESULT_INTERRUPTED)
        gtk_widget_add_css_class (label, "warning");
    }
}

static void
add_column (CbJournalPage *self,
            ColumnId       column,
            const char    *title,
            const char    *sort_property,
            gboolean       expand,
            int            fixed_width)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *col;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GUINT_TO_POINTER (column));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), GUINT_TO_POINTER (column));
  col = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (col, expand);
  gtk_column_view_column_set_resizable (col, TRUE);
  if (fixed_width > 0)
    gtk_column_view_column_set_fixed_width (col, fixed_width);
  if (sort_property != NULL)
    {
      GObjectClass *klass = g_type_class_ref (CB_TYPE_JOURNAL_RUN);
      GParamSpec *pspec = g_object_class_find_property (klass, sort_property);
      GtkExpression *expression = gtk_property_expression_new (CB_TYPE_JOURNAL_RUN, NULL,
                                                               sort_property);
      GtkSorter *sorter;

      if (pspec != NULL && pspec->value_type == G_TYPE_STRING)
        sorter = GTK_SORTER (gtk_string_sorter_new (expression));
      else
        sorter = GTK_SORTER (gtk_numeric_sorter_new (expression));
      gtk_column_view_column_set_sorter (col, sorter);
      g_object_unref (sorter);
      g_type_class_unref (klass);
    }
  gtk_column_view_append_column (self->column_view, col);
  g_object_unref (col);
}

/* ---- Filtering -------------------------------------------------------------------------- */

static gboolean
contains_casefold (const char *haystack,
                   const char *needle_folded)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;
  folded = g_utf8_casefold (haystack, -1);
  return strstr (folded, needle_folded) != NULL;
}

static gboolean
filter_run (gpointer item,
            gpointer user_data)
{
  CbJournalPage *self = user_data;
  CbJournalRun *run = item;
  CbJournalResult result = cb_journal_run_get_result (run);

  if (self->only_running && result != CB_JOURNAL_RESULT_NONE)
    return FALSE;
  if (!self->only_running && self->result_filter != CB_JOURNAL_RESULT_NONE &&
      result != self->result_filter)
    return FALSE;
  if (self->search_text != NULL && *self->search_text != '\0')
    {
      g_autofree char *needle = g_utf8_casefold (self->search_text, -1);

      if (!contains_casefold (cb_journal_run_get_device_serial (run), needle) &&
          !contains_casefold (cb_journal_run_get_registration_id (run), needle))
        return FALSE;
    }
  return TRUE;
}

static void
update_view (CbJournalPage *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->runs));
  g_autofree char *count = NULL;

  if (total == 0)
    {
      adw_status_page_set_title (self->empty_page, _("No Runs Yet"));
      adw_status_page_set_description (
        self->empty_page, _("Every device provisioned on this station is recorded here."));
    }
  else
    {
      adw_status_page_set_title (self->empty_page, _("No Matching Runs"));
      adw_status_page_set_description (self->empty_page,
                                       _("Try another search or result filter."));
    }
  gtk_stack_set_visible_child_name (self->stack, shown > 0 ? "list" : "empty");

  /* Translators: shown runs of all runs in the journal */
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u run", "%u of %u runs", total),
                           shown, total);
  gtk_label_set_label (self->count_label, count);
}

static void
refilter (CbJournalPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_view (self);
}

static void
on_search_entry_search_changed_cb (CbJournalPage *self)
{
  g_assert (CB_IS_JOURNAL_PAGE (self));

  g_free (self->search_text);
  self->search_text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  refilter (self);
}

static void
on_result_dropdown_selected_cb (CbJournalPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->result_dropdown);

  g_assert (CB_IS_JOURNAL_PAGE (self));

  if (selected >= G_N_ELEMENTS (result_choices))
    selected = 0;
  self->result_filter = result_choices[selected].result;
  self->only_running = result_choices[selected].only_running;
  refilter (self);
}

/* ---- Loading ---------------------------------------------------------------------------- */

static void
set_loading (CbJournalPage *self,
             gboolean       loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
list_runs_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CbJournalPage) self = user_data;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GError) error = NULL;

  runs = cb_journal_list_runs_finish (CB_JOURNAL (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  set_loading (self, FALSE);

  if (runs == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The journal could not be read: %s"),
                                                  error->message);

      g_list_store_remove_all (self->runs);
      adw_status_page_set_title (self->empty_page, _("Journal Unavailable"));
      adw_status_page_set_description (self->empty_page, message);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  g_list_store_splice (self->runs, 0, g_list_model_get_n_items (G_LIST_MODEL (self->runs)),
                       runs->pdata, runs->len);
  update_view (self);
}

void
cb_journal_page_reload (CbJournalPage *self)
{
  CbJournal *journal;
  CbJournalFilter filter = { 0 };

  g_return_if_fail (CB_IS_JOURNAL_PAGE (self));

  journal = cb_context_get_journal (self->context);
  if (journal == NULL)
    {
      adw_status_page_set_title (self->empty_page, _("Journal Unavailable"));
      adw_status_page_set_description (self->empty_page,
                                       _("The station journal could not be opened."));
      gtk_stack_set_visible_child_name (self->stack, "empty");
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "journal.export", FALSE);
      return;
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "journal.export", TRUE);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  filter.limit = MAX_RUNS;
  set_loading (self, TRUE);
  cb_journal_list_runs_async (journal, &filter, self->cancellable, list_runs_cb,
                              g_object_ref (self));
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  cb_journal_page_reload (CB_JOURNAL_PAGE (widget));
}

/* ---- Export ----------------------------------------------------------------------------- */

static void
export_to_file_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!cb_journal_export_to_file_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
cb_journal_page_export_async (CbJournalPage         *self,
                              GFile                 *file,
                              CbJournalExportFormat  format,
                              GCancellable          *cancellable,
                              GAsyncReadyCallback    callback,
                              gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  CbJournal *journal;
  CbJournalFilter filter = { 0 };

  g_return_if_fail (CB_IS_JOURNAL_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_journal_page_export_async);
  journal = cb_context_get_journal (self->context);
  if (journal == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("The station journal could not be opened"));
      return;
    }
  filter.result = self->only_running ? CB_JOURNAL_RESULT_NONE : self->result_filter;
  filter.only_running = self->only_running;
  cb_journal_export_to_file_async (journal, &filter, format, file,
                                   G_FILE_CREATE_REPLACE_DESTINATION, cancellable,
                                   export_to_file_cb, g_steal_pointer (&task));
}

gboolean
cb_journal_page_export_finish (CbJournalPage  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (CB_IS_JOURNAL_PAGE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
export_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GFile) file = user_data;
  g_autoptr(GError) error = NULL;
  CbJournalPage *self = CB_JOURNAL_PAGE (object);
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *message = NULL;

  if (!cb_journal_page_export_finish (self, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("Export failed: %s"), error->message);
    }
  else
    /* Translators: %s is a file name */
    message = g_strdup_printf (_("Journal exported to %s"), name);
  cb_widget_toast (GTK_WIDGET (self), message);
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     CbJournalPage   *self)
{
  CbJournalExportFormat format = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "format"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        cb_journal_page_export_async (self, file, format,
                                      cb_context_get_cancellable (self->context),
                                      export_done_cb, g_object_ref (file));
    }
  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CbJournalPage *self = CB_JOURNAL_PAGE (widget);
  const char *kind = g_variant_get_string (parameter, NULL);
  CbJournalExportFormat format;
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M");
  g_autofree char *name = NULL;
  GtkFileChooserNative *chooser;

  if (g_str_equal (kind, "json"))
    {
      format = CB_JOURNAL_EXPORT_JSON;
      name = g_strdup_printf ("certbench-journal-%s.json", stamp);
    }
  else if (g_str_equal (kind, "csv-steps"))
    {
      format = CB_JOURNAL_EXPORT_CSV_STEPS;
      name = g_strdup_printf ("certbench-journal-steps-%s.csv", stamp);
    }
  else
    {
      format = CB_JOURNAL_EXPORT_CSV;
      name = g_strdup_printf ("certbench-journal-%s.csv", stamp);
    }

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);

  chooser = gtk_file_chooser_native_new (_("Export the Journal"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data (G_OBJECT (chooser), "format", GINT_TO_POINTER (format));
  g_signal_connect (chooser, "response", G_CALLBACK (on_chooser_response), self);
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->chooser);
}

/* ---- Details of one run ----------------------------------------------------------------- */

static void
show_run_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CbJournalPage *self = CB_JOURNAL_PAGE (widget);
  CbJournal *journal = cb_context_get_journal (self->context);
  g_autoptr(CbJournalRun) run = NULL;
  g_autoptr(GError) error = NULL;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *window;

  if (journal == NULL)
    return;
  run = cb_journal_get_run (journal, g_variant_get_int64 (parameter), &error);
  if (run == NULL)
    {
      cb_widget_toast (widget, error->message);
      return;
    }
  window = cb_run_window_new (run);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_present (GTK_WINDOW (window));
}

static void
on_column_view_activate (CbJournalPage *self,
                         guint          position)
{
  g_autoptr(CbJournalRun) run = g_list_model_get_item (G_LIST_MODEL (self->sorted), position);

  if (run != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "journal.show-run", "x",
                                cb_journal_run_get_id (run));
}

/* ---- GObject ---------------------------------------------------------------------------- */

static void
on_context_changed (CbJournalPage *self)
{
  cb_journal_page_reload (self);
}

static void
on_map (CbJournalPage *self)
{
  /* The bench writes runs while this page is hidden: read again when it shows. */
  cb_journal_page_reload (self);
}

static void
cb_journal_page_constructed (GObject *object)
{
  CbJournalPage *self = CB_JOURNAL_PAGE (object);

  G_OBJECT_CLASS (cb_journal_page_parent_class)->constructed (object);

  cb_page_context_watch (self, self->context, CB_PAGE_CONTEXT_PROFILE,
                         G_CALLBACK (on_context_changed));
  g_signal_connect (self, "map", G_CALLBACK (on_map), NULL);
  cb_journal_page_reload (self);
}

static void
cb_journal_page_dispose (GObject *object)
{
  CbJournalPage *self = CB_JOURNAL_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_JOURNAL_PAGE);

  g_clear_object (&self->sorted);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->runs);
  cb_page_context_clear (self, &self->context);

  G_OBJECT_CLASS (cb_journal_page_parent_class)->dispose (object);
}

static void
cb_journal_page_finalize (GObject *object)
{
  CbJournalPage *self = CB_JOURNAL_PAGE (object);

  g_free (self->search_text);

  G_OBJECT_CLASS (cb_journal_page_parent_class)->finalize (object);
}

static void
cb_journal_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CbJournalPage *self = CB_JOURNAL_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_journal_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CbJournalPage *self = CB_JOURNAL_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_journal_page_class_init (CbJournalPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cb_journal_page_constructed;
  object_class->dispose = cb_journal_page_dispose;
  object_class->finalize = cb_journal_page_finalize;
  object_class->get_property = cb_journal_page_get_property;
  object_class->set_property = cb_journal_page_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CB_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CB_TYPE_JOURNAL_RUN);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-journal-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CbJournalPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, CbJournalPage, result_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CbJournalPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, CbJournalPage, stack);
  gtk_widget_class_bind_template_child (widget_class, CbJournalPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, CbJournalPage, empty_page);
  gtk_widget_class_bind_template_callback (widget_class, on_search_entry_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_result_dropdown_selected_cb);

  gtk_widget_class_install_action (widget_class, "journal.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "journal.export", "s", export_action);
  gtk_widget_class_install_action (widget_class, "journal.show-run", "x", show_run_action);
}

static void
cb_journal_page_init (CbJournalPage *self)
{
  GtkSingleSelection *selection;
  GtkSorter *sorter;

  gtk_widget_init_template (GTK_WIDGET (self));
  cb_a11y_name_popup_button (GTK_WIDGET (self->result_dropdown), _("Result"));
  cb_drop_down_ellipsize (self->result_dropdown);

  self->runs = g_list_store_new (CB_TYPE_JOURNAL_RUN);
  self->filter = gtk_custom_filter_new (filter_run, self, NULL);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->runs)),
                                              GTK_FILTER (g_object_ref (self->filter)));

  add_column (self, COLUMN_STARTED, _("Started"), "started", FALSE, 170);
  add_column (self, COLUMN_RESULT, _("Result"), NULL, FALSE, 100);
  add_column (self, COLUMN_SERIAL, _("Serial Number"), "device-serial", FALSE, 150);
  add_column (self, COLUMN_REGISTRATION_ID, _("Registration ID"), "registration-id", TRUE, 180);
  add_column (self, COLUMN_PORT, _("Port"), "port", FALSE, 110);
  add_column (self, COLUMN_HUB, _("Hub"), "hub", FALSE, 230);
  add_column (self, COLUMN_EXPIRES, _("Certificate Expires"), "not-after", FALSE, 170);
  add_column (self, COLUMN_DURATION, _("Time"), NULL, FALSE, 70);
  add_column (self, COLUMN_ERROR, _("Error"), NULL, TRUE, 200);

  sorter = gtk_column_view_get_sorter (self->column_view);
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->filtered)),
                                          g_object_ref (sorter));
  selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->sorted)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
  gtk_column_view_set_single_click_activate (self->column_view, FALSE);
  g_signal_connect_swapped (self->column_view, "activate", G_CALLBACK (on_column_view_activate),
                            self);

  update_view (self);
}

GtkWidget *
cb_journal_page_new (CbContext *context)
{
  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  return g_object_new (CB_TYPE_JOURNAL_PAGE, "context", context, NULL);
}

gboolean
cb_journal_page_get_loading (CbJournalPage *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_PAGE (self), FALSE);
  return self->loading;
}

GListModel *
cb_journal_page_get_model (CbJournalPage *self)
{
  g_return_val_if_fail (CB_IS_JOURNAL_PAGE (self), NULL);
  return G_LIST_MODEL (self->sorted);
}

void
cb_journal_page_set_search_text (CbJournalPage *self,
                                 const char    *text)
{
  g_return_if_fail (CB_IS_JOURNAL_PAGE (self));

  /* Through the entry, so what the user sees and what filters agree. */
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text != NULL ? text : "");
  on_search_entry_search_changed_cb (self);
}

void
cb_journal_page_set_result_filter (CbJournalPage   *self,
                                   CbJournalResult  result)
{
  g_return_if_fail (CB_IS_JOURNAL_PAGE (self));

  for (guint i = 0; i < G_N_ELEMENTS (result_choices); i++)
    if (result_choices[i].result == result && !result_choices[i].only_running)
      {
        gtk_drop_down_set_selected (self->result_dropdown, i);
        on_result_dropdown_selected_cb (self);
        return;
      }
}
