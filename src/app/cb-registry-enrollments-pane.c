/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-app"

/* CbRegistryEnrollmentsPane: the profile's DPS individual enrollments as a list, and the ways
 * in for X.509 ones: one device's certificate file, or many at once from a folder or a CSV
 * (core's CbEnrollmentImport). An import shows its progress and can be cancelled or left
 * running while the rest of the app is used; at its end the pane says how many were created and
 * lists every certificate that was not enrolled, with why. Only certificates are read: the
 * choosers never ask for a key. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-dps-enrollment-x509.h"
#include "cb-dps-service-client.h"
#include "cb-util.h"

#include "cb-registry-enrollments-pane.h"

struct _CbRegistryEnrollmentsPane
{
  AdwBin              parent_instance;

  CbContext          *context;
  GCancellable       *load_cancellable;
  GCancellable       *import_cancellable;
  CbEnrollmentImport *import;
  gboolean            loading;
  gboolean            importing;

  GtkStack           *list_stack;
  GtkListBox         *list;
  GtkLabel           *list_error;
  GtkWidget          *import_box;
  GtkProgressBar     *progress;
  GtkLabel           *import_summary;
  GtkWidget          *cancel_button;
  GtkWidget          *dismiss_button;
  GtkListBox         *results;
  GtkWidget          *add_button;
  GtkWidget          *import_folder_button;
  GtkWidget          *import_csv_button;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (CbRegistryEnrollmentsPane, cb_registry_enrollments_pane, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_list_box (GtkListBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_list_box_remove (box, child);
}

/* ---- The list --------------------------------------------------------------------------- */

static char *
enrollment_subtitle (JsonObject *enrollment)
{
  const char *type = cb_dps_enrollment_get_attestation_type (enrollment);
  JsonNode *status_node = json_object_get_member (enrollment, "provisioningStatus");
  const char *status = status_node != NULL && JSON_NODE_HOLDS_VALUE (status_node)
                       ? json_node_get_string (status_node) : NULL;
  const char *status_text = g_strcmp0 (status, "disabled") == 0 ? _("disabled") : _("enabled");
  CbDpsX509Info info;

  if (cb_dps_enrollment_get_x509_info (enrollment, &info))
    {
      g_autoptr(GDateTime) expiry = g_date_time_new_from_unix_utc (info.not_after);
      g_autofree char *date = expiry != NULL ? g_date_time_format (expiry, "%Y-%m-%d") : NULL;

      /* Translators: an X.509 enrollment: its status, its certificate's subject and expiry */
      return g_strdup_printf (_("X.509 certificate · %s · %s · expires %s"), status_text,
                              info.subject != NULL ? info.subject : "?",
                              date != NULL ? date : "?");
    }
  if (g_strcmp0 (type, "symmetricKey") == 0)
    return g_strdup_printf (_("Symmetric key · %s"), status_text);
  return g_strdup_printf (_("%s · %s"), type != NULL ? type : _("Unknown attestation"),
                          status_text);
}

static void
query_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  CbRegistryEnrollmentsPane *self = user_data;
  g_autoptr(GPtrArray) enrollments = NULL;
  g_autoptr(GError) error = NULL;

  enrollments = cb_dps_service_client_query_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                    &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  self->loading = FALSE;
  clear_list_box (self->list);
  if (enrollments == NULL)
    {
      gtk_label_set_text (self->list_error, error->message);
      gtk_stack_set_visible_child_name (self->list_stack, "error");
      g_object_unref (self);
      return;
    }

  for (guint i = 0; i < enrollments->len; i++)
    {
      JsonObject *enrollment = g_ptr_array_index (enrollments, i);
      JsonNode *id = json_object_get_member (enrollment, "registrationId");
      g_autofree char *subtitle = enrollment_subtitle (enrollment);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     id != NULL && JSON_NODE_HOLDS_VALUE (id)
                                     ? json_node_get_string (id) : "?");
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
      gtk_list_box_append (self->list, row);
    }
  gtk_stack_set_visible_child_name (self->list_stack, enrollments->len > 0 ? "list" : "empty");
  g_object_unref (self);
}

void
cb_registry_enrollments_pane_load (CbRegistryEnrollmentsPane *self)
{
  CbDpsServiceClient *dps;

  g_return_if_fail (CB_IS_REGISTRY_ENROLLMENTS_PANE (self));

  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  dps = self->context != NULL ? cb_context_get_dps_service (self->context) : NULL;
  gtk_widget_set_sensitive (self->add_button, dps != NULL);
  gtk_widget_set_sensitive (self->import_folder_button, dps != NULL && !self->importing);
  gtk_widget_set_sensitive (self->import_csv_button, dps != NULL && !self->importing);
  if (dps == NULL)
    {
      self->loading = FALSE;
      gtk_label_set_text (self->list_error, _("The profile names no provisioning service"));
      gtk_stack_set_visible_child_name (self->list_stack, "error");
      return;
    }

  self->loading = TRUE;
  self->load_cancellable = g_cancellable_new ();
  gtk_stack_set_visible_child_name (self->list_stack, "loading");
  cb_dps_service_client_query_async (dps, CB_DPS_ENROLLMENT_INDIVIDUAL, self->load_cancellable,
                                     query_cb, g_object_ref (self));
}

/* ---- The import ------------------------------------------------------------------------- */

static const char *
status_text (CbEnrollmentImportStatus status)
{
  switch (status)
    {
    case CB_ENROLLMENT_IMPORT_CREATED: return _("Created");
    case CB_ENROLLMENT_IMPORT_EXISTS: return _("Enrolled already");
    case CB_ENROLLMENT_IMPORT_CONFLICT: return _("Enrolled with another attestation");
    case CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE: return _("Not a usable certificate");
    case CB_ENROLLMENT_IMPORT_INVALID_ID: return _("Registration id not allowed");
    case CB_ENROLLMENT_IMPORT_DUPLICATE: return _("Twice in the input");
    case CB_ENROLLMENT_IMPORT_SERVICE_ERROR: return _("Refused by the service");
    case CB_ENROLLMENT_IMPORT_CANCELLED: return _("Cancelled");
    case CB_ENROLLMENT_IMPORT_PENDING:
    default: return _("Waiting");
    }
}

static void
update_progress (CbRegistryEnrollmentsPane *self)
{
  guint total = cb_enrollment_import_get_items (self->import)->len;
  guint done = cb_enrollment_import_get_n_finished (self->import);
  g_autofree char *text = NULL;

  if (total == 0)
    {
      gtk_progress_bar_pulse (self->progress);
      gtk_progress_bar_set_text (self->progress, _("Reading the certificates…"));
      return;
    }
  gtk_progress_bar_set_fraction (self->progress, (double) done / total);
  /* Translators: progress of an import: certificates done of all */
  text = g_strdup_printf (_("%u of %u certificates"), done, total);
  gtk_progress_bar_set_text (self->progress, text);
}

static void
on_item_finished (CbEnrollmentImport *import,
                  guint               index,
                  gpointer            user_data)
{
  update_progress (user_data);
}

static void
show_results (CbRegistryEnrollmentsPane *self)
{
  GPtrArray *items = cb_enrollment_import_get_items (self->import);
  guint created = cb_enrollment_import_count (self->import, CB_ENROLLMENT_IMPORT_CREATED);
  guint exists = cb_enrollment_import_count (self->import, CB_ENROLLMENT_IMPORT_EXISTS);
  guint failed = cb_enrollment_import_count_failed (self->import);
  g_autofree char *summary = NULL;

  clear_list_box (self->results);
  for (guint i = 0; i < items->len; i++)
    {
      const CbEnrollmentImportItem *item = g_ptr_array_index (items, i);
      g_autofree char *subtitle = NULL;
      GtkWidget *row;

      if (!cb_enrollment_import_status_is_failure (item->status))
        continue;
      subtitle = g_strdup_printf ("%s: %s", status_text (item->status),
                                  item->message != NULL ? item->message : "");
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), item->source);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
      gtk_list_box_append (self->results, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->results), failed > 0);

  /* Translators: the end of an import; the last number counts the failures listed below */
  summary = g_strdup_printf (_("%u enrollments created, %u enrolled already, %u not enrolled"),
                             created, exists, failed);
  gtk_label_set_text (self->import_summary, summary);
  gtk_widget_set_visible (GTK_WIDGET (self->import_summary), TRUE);
}

static void
import_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  CbRegistryEnrollmentsPane *self = user_data;
  g_autoptr(GError) error = NULL;

  cb_enrollment_import_run_finish (CB_ENROLLMENT_IMPORT (object), result, &error);
  self->importing = FALSE;
  gtk_widget_set_visible (self->cancel_button, FALSE);
  gtk_widget_set_visible (self->dismiss_button, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
  gtk_widget_set_sensitive (self->import_folder_button, TRUE);
  gtk_widget_set_sensitive (self->import_csv_button, TRUE);
  gtk_widget_set_sensitive (self->add_button, TRUE);
  if (error != NULL && cb_enrollment_import_get_items (self->import)->len == 0)
    {
      gtk_label_set_text (self->import_summary, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->import_summary), TRUE);
    }
  else
    show_results (self);
  cb_registry_enrollments_pane_load (self);
  g_object_unref (self);
}

void
cb_registry_enrollments_pane_import (CbRegistryEnrollmentsPane *self,
                                     GFile                     *source)
{
  CbDpsServiceClient *dps;

  g_return_if_fail (CB_IS_REGISTRY_ENROLLMENTS_PANE (self));
  g_return_if_fail (G_IS_FILE (source));
  g_return_if_fail (!self->importing);

  dps = self->context != NULL ? cb_context_get_dps_service (self->context) : NULL;
  if (dps == NULL)
    return;

  if (self->import != NULL)
    g_signal_handlers_disconnect_by_data (self->import, self);
  g_clear_object (&self->import);
  g_clear_object (&self->import_cancellable);
  self->import = cb_enrollment_import_new (dps, source);
  self->import_cancellable = g_cancellable_new ();
  self->importing = TRUE;
  g_signal_connect (self->import, "item-finished", G_CALLBACK (on_item_finished), self);
  g_signal_connect_swapped (self->import, "items-read", G_CALLBACK (update_progress), self);

  clear_list_box (self->results);
  gtk_widget_set_visible (GTK_WIDGET (self->results), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->import_summary), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), TRUE);
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_widget_set_visible (self->cancel_button, TRUE);
  gtk_widget_set_visible (self->dismiss_button, FALSE);
  gtk_widget_set_visible (self->import_box, TRUE);
  gtk_widget_set_sensitive (self->import_folder_button, FALSE);
  gtk_widget_set_sensitive (self->import_csv_button, FALSE);
  gtk_widget_set_sensitive (self->add_button, FALSE);
  update_progress (self);

  cb_enrollment_import_run_async (self->import, self->import_cancellable, import_cb,
                                  g_object_ref (self));
}

static void
on_cancel_clicked (CbRegistryEnrollmentsPane *self)
{
  g_cancellable_cancel (self->import_cancellable);
}

static void
on_dismiss_clicked (CbRegistryEnrollmentsPane *self)
{
  gtk_widget_set_visible (self->import_box, FALSE);
}

static void
chooser_response (GtkNativeDialog           *dialog,
                  int                        response,
                  CbRegistryEnrollmentsPane *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL && !self->importing)
        cb_registry_enrollments_pane_import (self, file);
    }
  g_clear_object (&self->chooser);
}

static void
open_chooser (CbRegistryEnrollmentsPane *self,
              const char                *title,
              GtkFileChooserAction       action,
              const char                *filter_name,
              const char * const        *patterns)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               action, _("_Import"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  if (patterns != NULL)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, filter_name);
      for (guint i = 0; patterns[i] != NULL; i++)
        gtk_file_filter_add_pattern (filter, patterns[i]);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
    }
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_add_clicked (CbRegistryEnrollmentsPane *self)
{
  static const char * const patterns[] = { "*.pem", "*.crt", "*.cer", "*.der", "*.PEM", "*.CRT",
                                           "*.CER", "*.DER", NULL };

  open_chooser (self, _("Device Certificate"), GTK_FILE_CHOOSER_ACTION_OPEN,
                _("Certificates"), patterns);
}

static void
on_import_folder_clicked (CbRegistryEnrollmentsPane *self)
{
  open_chooser (self, _("Folder of Device Certificates"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                NULL, NULL);
}

static void
on_import_csv_clicked (CbRegistryEnrollmentsPane *self)
{
  static const char * const patterns[] = { "*.csv", "*.CSV", NULL };

  open_chooser (self, _("CSV of Device Certificates"), GTK_FILE_CHOOSER_ACTION_OPEN,
                _("CSV files"), patterns);
}

/* ---- Construction ----------------------------------------------------------------------- */

static GtkWidget *
labelled_button (const char *label,
                 const char *tooltip)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_tooltip_text (button, tooltip);
  return button;
}

static GtkWidget *
boxed_list (void)
{
  GtkWidget *list = gtk_list_box_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  return list;
}

static void
cb_registry_enrollments_pane_init (CbRegistryEnrollmentsPane *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title = gtk_label_new (_("Individual enrollments"));
  GtkWidget *buttons = gtk_flow_box_new ();
  GtkWidget *import_buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *loading = gtk_spinner_new ();
  GtkWidget *empty = adw_status_page_new ();
  GtkWidget *list_scroll_box;

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_box_append (GTK_BOX (header), title);
  gtk_box_append (GTK_BOX (box), header);

  /* The ways in: they wrap below each other on a narrow window. */
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (buttons), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (buttons), 3);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (buttons), 6);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (buttons), 6);
  self->add_button = labelled_button (_("_Add from certificate…"),
                                      _("Enroll one device by its X.509 certificate file"));
  self->import_folder_button = labelled_button (_("Import _folder…"),
                                                _("Enroll every device certificate in a folder"));
  self->import_csv_button = labelled_button (_("Import _CSV…"),
                                             _("Enroll the devices of a CSV of serial,certificate"));
  gtk_widget_add_css_class (self->import_folder_button, "suggested-action");
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), self->add_button);
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), self->import_folder_button);
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), self->import_csv_button);
  gtk_accessible_update_property (GTK_ACCESSIBLE (buttons), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Ways to enroll devices"), -1);
  /* The flow box's children are containers, not stops of their own: Tab goes to the buttons. */
  for (GtkWidget *child = gtk_widget_get_first_child (buttons); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_set_focusable (child, FALSE);
  gtk_box_append (GTK_BOX (box), buttons);
  g_signal_connect_swapped (self->add_button, "clicked", G_CALLBACK (on_add_clicked), self);
  g_signal_connect_swapped (self->import_folder_button, "clicked",
                            G_CALLBACK (on_import_folder_clicked), self);
  g_signal_connect_swapped (self->import_csv_button, "clicked",
                            G_CALLBACK (on_import_csv_clicked), self);

  /* The import: progress and cancel while it runs, the summary and failures after. */
  self->import_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_visible (self->import_box, FALSE);
  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (self->progress, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Import progress"), -1);
  gtk_box_append (GTK_BOX (self->import_box), GTK_WIDGET (self->progress));
  self->import_summary = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->import_summary, TRUE);
  gtk_label_set_xalign (self->import_summary, 0);
  gtk_box_append (GTK_BOX (self->import_box), GTK_WIDGET (self->import_summary));
  self->results = GTK_LIST_BOX (boxed_list ());
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->results), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Certificates not enrolled"), -1);
  gtk_box_append (GTK_BOX (self->import_box), GTK_WIDGET (self->results));
  self->cancel_button = labelled_button (_("Cancel _import"),
                                         _("Stop asking the service; the rest are not enrolled"));
  self->dismiss_button = labelled_button (_("_Dismiss"), _("Hide the import's results"));
  gtk_widget_set_halign (import_buttons, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (import_buttons), self->cancel_button);
  gtk_box_append (GTK_BOX (import_buttons), self->dismiss_button);
  gtk_box_append (GTK_BOX (self->import_box), import_buttons);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self);
  g_signal_connect_swapped (self->dismiss_button, "clicked", G_CALLBACK (on_dismiss_clicked),
                            self);
  gtk_box_append (GTK_BOX (box), self->import_box);

  /* The enrollments. */
  self->list_stack = GTK_STACK (gtk_stack_new ());
  gtk_spinner_set_spinning (GTK_SPINNER (loading), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (loading), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Loading the enrollments"), -1);
  gtk_stack_add_named (self->list_stack, loading, "loading");
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "contact-new-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("No Individual Enrollments"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Add a device by its certificate, or import many"));
  gtk_stack_add_named (self->list_stack, empty, "empty");
  self->list_error = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->list_error, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list_error), "error");
  gtk_stack_add_named (self->list_stack, GTK_WIDGET (self->list_error), "error");
  self->list = GTK_LIST_BOX (boxed_list ());
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Individual enrollments"), -1);
  list_scroll_box = GTK_WIDGET (self->list);
  gtk_widget_set_valign (list_scroll_box, GTK_ALIGN_START);
  gtk_stack_add_named (self->list_stack, list_scroll_box, "list");
  gtk_stack_set_visible_child_name (self->list_stack, "empty");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->list_stack));

  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  adw_bin_set_child (ADW_BIN (self), scrolled);
}

static void
cb_registry_enrollments_pane_dispose (GObject *object)
{
  CbRegistryEnrollmentsPane *self = CB_REGISTRY_ENROLLMENTS_PANE (object);

  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  /* An import runs on with the pane gone only if someone holds it; the pane's goes. */
  g_cancellable_cancel (self->import_cancellable);
  g_clear_object (&self->import_cancellable);
  if (self->import != NULL)
    g_signal_handlers_disconnect_by_data (self->import, self);
  g_clear_object (&self->import);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cb_registry_enrollments_pane_parent_class)->dispose (object);
}

static void
cb_registry_enrollments_pane_get_property (GObject    *object,
                                           guint       prop_id,
                                           GValue     *value,
                                           GParamSpec *pspec)
{
  CbRegistryEnrollmentsPane *self = CB_REGISTRY_ENROLLMENTS_PANE (object);

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
cb_registry_enrollments_pane_set_property (GObject      *object,
                                           guint         prop_id,
                                           const GValue *value,
                                           GParamSpec   *pspec)
{
  CbRegistryEnrollmentsPane *self = CB_REGISTRY_ENROLLMENTS_PANE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      cb_registry_enrollments_pane_set_context (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_registry_enrollments_pane_class_init (CbRegistryEnrollmentsPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_registry_enrollments_pane_dispose;
  object_class->get_property = cb_registry_enrollments_pane_get_property;
  object_class->set_property = cb_registry_enrollments_pane_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CB_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

GtkWidget *
cb_registry_enrollments_pane_new (void)
{
  return g_object_new (CB_TYPE_REGISTRY_ENROLLMENTS_PANE, NULL);
}

void
cb_registry_enrollments_pane_set_context (CbRegistryEnrollmentsPane *self,
                                          CbContext                 *context)
{
  g_return_if_fail (CB_IS_REGISTRY_ENROLLMENTS_PANE (self));

  if (!g_set_object (&self->context, context))
    return;
  clear_list_box (self->list);
  gtk_stack_set_visible_child_name (self->list_stack, "empty");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
  /* Another profile while shown: its enrollments. */
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    cb_registry_enrollments_pane_load (self);
}

static void
on_stack_child_changed (AdwViewStack              *stack,
                        GParamSpec                *pspec,
                        CbRegistryEnrollmentsPane *self)
{
  if (adw_view_stack_get_visible_child (stack) == GTK_WIDGET (self) && !self->loading)
    cb_registry_enrollments_pane_load (self);
}

void
cb_registry_enrollments_pane_add_to_stack (AdwViewStack *stack,
                                           GObject      *context_source)
{
  GtkWidget *pane;
  AdwViewStackPage *page;

  g_return_if_fail (ADW_IS_VIEW_STACK (stack));
  g_return_if_fail (G_IS_OBJECT (context_source));

  pane = cb_registry_enrollments_pane_new ();
  page = adw_view_stack_add_titled (stack, pane, "enrollments", _("Enrollments"));
  adw_view_stack_page_set_icon_name (page, "contact-new-symbolic");
  g_object_bind_property (context_source, "context", pane, "context", G_BINDING_SYNC_CREATE);
  g_signal_connect_object (stack, "notify::visible-child", G_CALLBACK (on_stack_child_changed),
                           pane, 0);
}

gboolean
cb_registry_enrollments_pane_get_loading (CbRegistryEnrollmentsPane *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_ENROLLMENTS_PANE (self), FALSE);
  return self->loading;
}

gboolean
cb_registry_enrollments_pane_get_importing (CbRegistryEnrollmentsPane *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_ENROLLMENTS_PANE (self), FALSE);
  return self->importing;
}

CbEnrollmentImport *
cb_registry_enrollments_pane_get_import (CbRegistryEnrollmentsPane *self)
{
  g_return_val_if_fail (CB_IS_REGISTRY_ENROLLMENTS_PANE (self), NULL);
  return self->import;
}

static GtkWidget *
find_in (GtkListBox *box,
         const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (box)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (ADW_IS_PREFERENCES_ROW (child) &&
        g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), title) == 0)
      return child;
  return NULL;
}

GtkWidget *
cb_registry_enrollments_pane_find_row (CbRegistryEnrollmentsPane *self,
                                       const char                *title)
{
  GtkWidget *row;

  g_return_val_if_fail (CB_IS_REGISTRY_ENROLLMENTS_PANE (self), NULL);

  row = find_in (self->list, title);
  return row != NULL ? row : find_in (self->results, title);
}
