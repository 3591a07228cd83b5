/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-diagnostics-page"

/* The Diagnostics page: choose a port, diagnose, read the verdict and the findings; or drop or
 * paste a certificate file to check it against the service the same way. The checks and their
 * advice are core's (cb-diagnosis.c, which `certbench-cli inspect` uses too); the page shows
 * them. */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-a11y.h"
#include "cb-drop-down.h"
#include "cb-app-settings.h"
#include "cb-certificate-actions.h"
#include "cb-device-drivers.h"
#include "cb-diagnosis.h"
#include "cb-diagnostics-page.h"
#include "cb-page-context.h"
#include "cb-provisioning-chain.h"
#include "cb-serial-port.h"
#include "cb-toasts.h"

struct _CbDiagnosticsPage
{
  AdwBin             parent_instance;

  CbContext         *context;
  CbDiagnosis       *diagnosis;

  AdwToastOverlay   *toast_overlay;
  GtkDropDown       *port_dropdown;
  GtkStack          *results_stack;
  AdwStatusPage     *empty_status;
  AdwStatusPage     *running_status;
  GtkSpinner        *running_spinner;
  AdwActionRow      *device_row;
  GtkWidget         *device_menu;
  AdwPreferencesGroup *verdict_group;
  AdwActionRow      *verdict_row;
  GtkImage          *verdict_icon;
  GtkWidget         *device_page_button;
  AdwActionRow      *issuer_row;
  AdwActionRow      *validity_row;
  AdwActionRow      *state_row;
  GtkListBox        *checks_list;
};

G_DEFINE_FINAL_TYPE (CbDiagnosticsPage, cb_diagnostics_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_CONTEXT,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_actions (CbDiagnosticsPage *self);

static char *
format_date (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("—");
}

static GtkWidget *
create_check_row (gpointer item,
                  gpointer user_data)
{
  CbDiagnosticCheck *check = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon;
  GtkWidget *label;
  g_autofree char *subtitle = NULL;
  const char *icon_name;
  const char *css;

  switch (cb_diagnostic_check_get_status (check))
    {
    case CB_CHECK_PASS:
      icon_name = "emblem-ok-symbolic";
      css = "success";
      break;
    case CB_CHECK_WARNING:
      icon_name = "dialog-warning-symbolic";
      css = "warning";
      break;
    case CB_CHECK_FAIL:
      icon_name = "dialog-error-symbolic";
      css = "error";
      break;
    case CB_CHECK_NOT_AVAILABLE:
      /* Never shown as passed or failed: the detail is the device's reason. */
      icon_name = "action-unavailable-symbolic";
      css = "dim-label";
      break;
    case CB_CHECK_PENDING:
    default:
      icon_name = "content-loading-symbolic";
      css = "dim-label";
      break;
    }

  if (cb_diagnostic_check_get_advice (check) != NULL)
    subtitle = g_strdup_printf (_("%s\nWhat to do: %s"), cb_diagnostic_check_get_detail (check),
                                cb_diagnostic_check_get_advice (check));
  else
    subtitle = g_strdup (cb_diagnostic_check_get_detail (check));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 cb_diagnostic_check_get_title (check));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);

  icon = gtk_image_new_from_icon_name (icon_name);
  gtk_widget_add_css_class (icon, css);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  cb_check_status_to_label (cb_diagnostic_check_get_status (check)), -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);

  label = gtk_label_new (cb_check_status_to_label (cb_diagnostic_check_get_status (check)));
  gtk_widget_add_css_class (label, css);
  gtk_widget_add_css_class (label, "heading");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);

  return row;
}

/* ---- what the diagnosis found ----------------------------------------------------------- */

/* The device's chain, or the port alone when it could not be read. */
static void
on_facts_changed_cb (CbDiagnosticsPage *self)
{
  CbCertificate *cert = cb_diagnosis_get_leaf (self->diagnosis);
  const char *port_path = cb_diagnosis_get_port_path (self->diagnosis) != NULL
                            ? cb_diagnosis_get_port_path (self->diagnosis)
                            : cb_diagnosis_get_source (self->diagnosis);
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;
  g_autofree char *validity = NULL;
  g_autofree char *device = NULL;

  /* Copy, save or inspect what was read. */
  cb_certificate_actions_install (GTK_WIDGET (self->device_row), cb_diagnosis_get_chain (self->diagnosis), 0);
  gtk_widget_set_visible (self->device_menu, cert != NULL);

  if (cert == NULL)
    {
      adw_action_row_set_subtitle (self->device_row, port_path);
      adw_action_row_set_subtitle (self->issuer_row, "—");
      adw_action_row_set_subtitle (self->validity_row, "—");
      return;
    }

  from = format_date (cb_certificate_get_not_before (cert));
  until = format_date (cb_certificate_get_not_after (cert));
  validity = g_strdup_printf (_("%s to %s"), from, until);
  device = g_strdup_printf (_("%s on %s"), cb_certificate_get_subject (cert), port_path);
  adw_action_row_set_subtitle (self->device_row, device);
  adw_action_row_set_subtitle (self->issuer_row, cb_certificate_get_issuer (cert));
  adw_action_row_set_subtitle (self->validity_row, validity);
}

static void
on_device_read_cb (CbDiagnosticsPage *self)
{
  gtk_stack_set_visible_child_name (self->results_stack, "results");
}

/* A device diagnosed on a port (not a file) whose certificate names it: its device page is one
 * click away (win.show-device, the hub device ID being the certificate's common name). */
static void
update_device_page_button (CbDiagnosticsPage *self)
{
  CbCertificate *cert = cb_diagnosis_get_leaf (self->diagnosis);
  const char *device_id = cert != NULL ? cb_certificate_get_common_name (cert) : NULL;
  gboolean shown = device_id != NULL && *device_id != '\0' &&
                   cb_diagnosis_get_source (self->diagnosis) == NULL &&
                   !cb_diagnosis_get_running (self->diagnosis);

  gtk_widget_set_visible (self->device_page_button, shown);
  if (shown)
    {
      g_autofree char *a11y = g_strdup_printf (_("Open the device page of %s"), device_id);

      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->device_page_button), "s", device_id);
      gtk_widget_set_tooltip_text (self->device_page_button, a11y);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->device_page_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
    }
}

/* "9 of 9 checks passed", or the count and what to do first. */
static void
update_verdict (CbDiagnosticsPage *self)
{
  g_autofree char *first = NULL;
  g_autofree char *verdict = cb_diagnosis_dup_verdict (self->diagnosis, &first);
  g_autofree char *subtitle = NULL;
  g_autofree char *a11y = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->verdict_group), verdict != NULL);
  update_device_page_button (self);
  if (verdict == NULL)
    return;

  if (first != NULL)
    /* Translators: the verdict's subtitle: what to do first, from the first failed check */
    subtitle = g_strdup_printf (_("What to do first: %s"), first);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->verdict_row), verdict);
  adw_action_row_set_subtitle (self->verdict_row, subtitle != NULL ? subtitle : "");
  gtk_image_set_from_icon_name (self->verdict_icon, first == NULL ? "emblem-ok-symbolic"
                                                                  : "dialog-warning-symbolic");
  gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_icon), first == NULL ? "warning" : "success");
  gtk_widget_add_css_class (GTK_WIDGET (self->verdict_icon), first == NULL ? "success" : "warning");
  a11y = subtitle != NULL ? g_strdup_printf ("%s. %s", verdict, subtitle) : g_strdup (verdict);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->verdict_icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  first == NULL ? _("All checks passed") : _("Needs attention"), -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->verdict_row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  a11y, -1);
}

static void
on_running_cb (CbDiagnosticsPage *self)
{
  gboolean running = cb_diagnosis_get_running (self->diagnosis);
  CbDeviceState state;
  const char *reason;

  if (!running)
    {
      if (cb_diagnosis_get_state (self->diagnosis, &state, &reason))
        {
          g_autofree char *text = g_strdup_printf (_("%s: %s"), cb_device_state_to_label (state),
                                                   reason);

          adw_action_row_set_subtitle (self->state_row, text);
        }
      else
        adw_action_row_set_subtitle (self->state_row, "—");
    }
  gtk_spinner_set_spinning (self->running_spinner, running);
  update_verdict (self);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* The Virtual device's kind (Preferences' "virtual-device": "smp", "nrf91"). */
static char *
dup_virtual_device_kind (void)
{
  GSettingsSchema *schema;
  char *kind = NULL;

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "io.github.certbench.Certbench", TRUE);
  if (schema != NULL && g_settings_schema_has_key (schema, "virtual-device"))
    {
      g_autoptr(GSettings) settings = g_settings_new ("io.github.certbench.Certbench");

      kind = g_settings_get_string (settings, "virtual-device");
    }
  if (schema != NULL)
    g_settings_schema_unref (schema);
  return kind;
}

/* The driver for @port_path, as the Bench chooses it: the one pinned for the port; else, for
 * the Virtual device, its kind's (the simulated modem speaks AT); else "auto": the diagnosis
 * probes the port (SMP, then AT). */
static char *
dup_driver_for_port (CbDiagnosticsPage *self,
                     const char        *port_path)
{
  g_autofree char *pinned = cb_app_settings_dup_port_driver (port_path);
  CbPortMonitor *monitor = self->context != NULL ? cb_context_get_port_monitor (self->context)
                                                 : NULL;
  CbSerialPortInfo *info = monitor != NULL ? cb_port_monitor_lookup (monitor, port_path) : NULL;

  if (g_strcmp0 (pinned, CB_DEVICE_DRIVER_AUTO) == 0 && info != NULL &&
      cb_serial_port_info_get_is_virtual (info))
    {
      g_autofree char *kind = dup_virtual_device_kind ();

      if (kind != NULL && cb_device_drivers_is_available (kind))
        return g_steal_pointer (&kind);
    }
  return g_steal_pointer (&pinned);
}

void
cb_diagnostics_page_run (CbDiagnosticsPage *self,
                         const char        *port_path)
{
  g_autofree char *driver = NULL;

  g_return_if_fail (CB_IS_DIAGNOSTICS_PAGE (self));
  g_return_if_fail (port_path != NULL);

  if (cb_diagnosis_get_running (self->diagnosis))
    return;

  driver = dup_driver_for_port (self, port_path);
  cb_diagnosis_set_driver_name (self->diagnosis, driver);
  adw_action_row_set_subtitle (self->state_row, "—");
  gtk_stack_set_visible_child_name (self->results_stack, "running");
  cb_diagnosis_run (self->diagnosis, port_path, 0);
}

/* ---- actions ---------------------------------------------------------------------------- */

static const char *
selected_port (CbDiagnosticsPage *self)
{
  CbSerialPortInfo *info = gtk_drop_down_get_selected_item (self->port_dropdown);

  return info != NULL ? cb_serial_port_info_get_path (info) : NULL;
}

static void
update_actions (CbDiagnosticsPage *self)
{
  gboolean running = cb_diagnosis_get_running (self->diagnosis);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "diagnostics.run",
                                 !running && selected_port (self) != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "diagnostics.paste",
                                 !running && self->context != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "diagnostics.copy-report",
                                 !running &&
                                 g_list_model_get_n_items (
                                   cb_diagnosis_get_checks (self->diagnosis)) > 0);
}

static void
on_port_dropdown_selected_cb (CbDiagnosticsPage *self)
{
  g_assert (CB_IS_DIAGNOSTICS_PAGE (self));
  update_actions (self);
}

static void
run_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  CbDiagnosticsPage *self = CB_DIAGNOSTICS_PAGE (widget);
  const char *path = selected_port (self);

  if (path != NULL)
    cb_diagnostics_page_run (self, path);
}

gboolean
cb_diagnostics_page_get_state (CbDiagnosticsPage  *self,
                               CbDeviceState      *state,
                               const char        **reason)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTICS_PAGE (self), FALSE);
  return cb_diagnosis_get_state (self->diagnosis, state, reason);
}

char *
cb_diagnostics_page_dup_report (CbDiagnosticsPage *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTICS_PAGE (self), NULL);
  return cb_diagnosis_dup_report (self->diagnosis);
}

static void
copy_report_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CbDiagnosticsPage *self = CB_DIAGNOSTICS_PAGE (widget);
  g_autofree char *report = cb_diagnostics_page_dup_report (self);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), report);
  cb_toast_overlay_add_kind (self->toast_overlay, CB_TOAST_KIND_OUTCOME,
                             adw_toast_new (_("Report copied")));
}

/* ---- a certificate from a file or the clipboard ------------------------------------------ */

char *
cb_diagnostics_page_dup_verdict (CbDiagnosticsPage  *self,
                                 char              **first_advice)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTICS_PAGE (self), NULL);
  return cb_diagnosis_dup_verdict (self->diagnosis, first_advice);
}

static void
toast_error (CbDiagnosticsPage *self,
             const char        *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 0);
  cb_toast_overlay_add_kind (self->toast_overlay, CB_TOAST_KIND_OUTCOME, toast);
}

gboolean
cb_diagnostics_page_check_data (CbDiagnosticsPage  *self,
                                const guint8       *data,
                                gsize               len,
                                const char         *source,
                                GError            **error)
{
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (CB_IS_DIAGNOSTICS_PAGE (self), FALSE);
  g_return_val_if_fail (source != NULL, FALSE);

  if (cb_diagnosis_get_running (self->diagnosis) || self->context == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   _("Wait for the diagnosis in progress to finish"));
      return FALSE;
    }

  /* The findings on the page stay until the new certificate is known to be one. DER starts
   * with a SEQUENCE: one certificate or, as a device holds its chain, several in a row. */
  if (len > 0 && data[0] == 0x30)
    {
      g_autoptr(GBytes) der = g_bytes_new (data, len);

      chain = cb_provisioning_split_chain (der, &local);
    }
  else
    chain = cb_certificate_list_new_from_data (data, len, &local);
  if (chain == NULL)
    {
      g_set_error (error, local->domain, local->code,
                   /* Translators: %s is a file name (or "the clipboard"), then why */
                   _("%s is not a certificate: %s"), source, local->message);
      return FALSE;
    }

  adw_action_row_set_subtitle (self->state_row, "—");
  gtk_stack_set_visible_child_name (self->results_stack, "running");
  cb_diagnosis_run_chain (self->diagnosis, chain, source);
  return TRUE;
}

static void
file_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CbDiagnosticsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = g_file_get_basename (G_FILE (object));
  gsize len = 0;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, &len, NULL, &error))
    {
      /* Translators: %s is a file name, then why it could not be read */
      g_autofree char *message = g_strdup_printf (_("%s could not be read: %s"), name,
                                                  error->message);

      toast_error (self, message);
      return;
    }
  if (!cb_diagnostics_page_check_data (self, (const guint8 *) contents, len, name, &error))
    toast_error (self, error->message);
}

void
cb_diagnostics_page_check_file (CbDiagnosticsPage *self,
                                GFile             *file)
{
  g_return_if_fail (CB_IS_DIAGNOSTICS_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  g_file_load_contents_async (file, NULL, file_loaded_cb, g_object_ref (self));
}

static gboolean
on_drop_cb (GtkDropTarget     *target,
            const GValue      *value,
            double             x,
            double             y,
            CbDiagnosticsPage *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  if (files == NULL)
    return FALSE;
  if (files->next != NULL)
    cb_toast_overlay_add_kind (self->toast_overlay, CB_TOAST_KIND_OUTCOME,
                               adw_toast_new (_("Drop one file at a time: checking the first")));
  cb_diagnostics_page_check_file (self, files->data);
  g_slist_free (files);
  return TRUE;
}

static void
clipboard_text_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CbDiagnosticsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);

  if (text == NULL)
    {
      toast_error (self, _("The clipboard holds no text to check"));
      return;
    }
  if (!cb_diagnostics_page_check_data (self, (const guint8 *) text, strlen (text),
                                       _("The clipboard"), &error))
    toast_error (self, error->message);
}

static void
paste_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, clipboard_text_cb,
                                 g_object_ref (widget));
}

/* ---- ports and context ------------------------------------------------------------------ */

static char *
port_display_name (CbSerialPortInfo *info)
{
  if (info == NULL)
    return g_strdup ("");
  /* The Virtual device names its kind ("Virtual nRF91 modem"). */
  if (cb_serial_port_info_get_is_virtual (info))
    return g_strdup (cb_serial_port_info_get_product_name (info) != NULL
                     ? cb_serial_port_info_get_product_name (info) : _("Virtual device"));
  return cb_serial_port_info_dup_display_name (info);
}

static void
on_ports_changed_cb (CbDiagnosticsPage *self)
{
  GListModel *ports = gtk_drop_down_get_model (self->port_dropdown);
  gboolean empty = ports == NULL || g_list_model_get_n_items (ports) == 0;

  if (empty && !cb_diagnosis_get_running (self->diagnosis) &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->results_stack), "empty") == 0)
    adw_status_page_set_description (self->empty_status,
                                     _("No device is connected. Plug one in, or start the "
                                       "Virtual device on the bench page."));
  else
    adw_status_page_set_description (self->empty_status,
                                     _("Choose the device's port (or the Virtual device) and "
                                       "press Diagnose. Each check says what passed, what needs "
                                       "attention and what to do about it."));
  update_actions (self);
}

static void
on_profile_changed_cb (CbDiagnosticsPage *self)
{
  /* Findings against the old connection would mislead. */
  cb_diagnosis_cancel (self->diagnosis);
  gtk_stack_set_visible_child_name (self->results_stack, "empty");
}

void
cb_diagnostics_page_set_context (CbDiagnosticsPage *self,
                                 CbContext         *context)
{
  GListModel *ports = NULL;

  g_return_if_fail (CB_IS_DIAGNOSTICS_PAGE (self));

  if (self->context == context)
    return;

  if (gtk_drop_down_get_model (self->port_dropdown) != NULL)
    g_signal_handlers_disconnect_by_data (gtk_drop_down_get_model (self->port_dropdown), self);
  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_set_object (&self->context, context);
  cb_diagnosis_set_context (self->diagnosis, context);
  if (context != NULL)
    cb_page_context_watch (self, context, CB_PAGE_CONTEXT_PROFILE,
                           G_CALLBACK (on_profile_changed_cb));

  if (context != NULL && cb_context_get_port_monitor (context) != NULL)
    ports = cb_port_monitor_get_ports (cb_context_get_port_monitor (context));
  gtk_drop_down_set_model (self->port_dropdown, ports);
  if (ports != NULL)
    g_signal_connect_object (ports, "items-changed", G_CALLBACK (on_ports_changed_cb), self,
                             G_CONNECT_SWAPPED);
  on_ports_changed_cb (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

/* ---- GObject ---------------------------------------------------------------------------- */

static void
cb_diagnostics_page_dispose (GObject *object)
{
  CbDiagnosticsPage *self = CB_DIAGNOSTICS_PAGE (object);

  if (self->diagnosis != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->diagnosis, self);
      cb_diagnosis_stop (self->diagnosis);
    }
  g_clear_object (&self->diagnosis);
  if (self->port_dropdown != NULL && gtk_drop_down_get_model (self->port_dropdown) != NULL)
    g_signal_handlers_disconnect_by_data (gtk_drop_down_get_model (self->port_dropdown), self);
  cb_page_context_clear (self, &self->context);
  /* AdwBin keeps its own pointer to the template's top widget: drop it first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_DIAGNOSTICS_PAGE);

  G_OBJECT_CLASS (cb_diagnostics_page_parent_class)->dispose (object);
}

static void
cb_diagnostics_page_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CbDiagnosticsPage *self = CB_DIAGNOSTICS_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, cb_diagnosis_get_running (self->diagnosis));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_diagnostics_page_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CbDiagnosticsPage *self = CB_DIAGNOSTICS_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      cb_diagnostics_page_set_context (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_diagnostics_page_class_init (CbDiagnosticsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_diagnostics_page_dispose;
  object_class->get_property = cb_diagnostics_page_get_property;
  object_class->set_property = cb_diagnostics_page_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CB_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-diagnostics-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, port_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, results_stack);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, empty_status);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, running_status);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, running_spinner);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, device_row);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, verdict_group);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, verdict_row);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, verdict_icon);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, issuer_row);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, validity_row);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, state_row);
  gtk_widget_class_bind_template_child (widget_class, CbDiagnosticsPage, checks_list);
  gtk_widget_class_bind_template_callback (widget_class, on_port_dropdown_selected_cb);

  gtk_widget_class_install_action (widget_class, "diagnostics.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "diagnostics.copy-report", NULL, copy_report_action);
  gtk_widget_class_install_action (widget_class, "diagnostics.paste", NULL, paste_action);
}

static void
cb_diagnostics_page_init (CbDiagnosticsPage *self)
{
  g_autoptr(GtkExpression) expression = NULL;
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  cb_a11y_name_popup_button (GTK_WIDGET (self->port_dropdown), _("Port"));

  self->device_menu = cb_certificate_actions_menu_button_new (TRUE, _("Device certificate actions"));
  gtk_widget_set_visible (self->device_menu, FALSE);
  adw_action_row_add_suffix (self->device_row, self->device_menu);

  /* The target first: an action with a parameter and a button without one would warn. */
  self->device_page_button = gtk_button_new_with_mnemonic (_("Device _Page"));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->device_page_button), "s", "");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->device_page_button), "win.show-device");
  gtk_widget_set_valign (self->device_page_button, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->device_page_button, FALSE);
  adw_action_row_add_suffix (self->verdict_row, self->device_page_button);

  /* A certificate file dropped anywhere on the page is checked like a device's chain. */
  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (drop, "drop", G_CALLBACK (on_drop_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  self->diagnosis = cb_diagnosis_new (NULL);
  g_signal_connect_object (self->diagnosis, "notify::running", G_CALLBACK (on_running_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->diagnosis, "device-read", G_CALLBACK (on_device_read_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->diagnosis, "facts-changed", G_CALLBACK (on_facts_changed_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_list_box_bind_model (self->checks_list, cb_diagnosis_get_checks (self->diagnosis),
                           create_check_row, NULL, NULL);

  expression = gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                            G_CALLBACK (port_display_name), NULL, NULL);
  gtk_drop_down_set_expression (self->port_dropdown, expression);
  cb_drop_down_ellipsize (self->port_dropdown);

  update_actions (self);
}

GtkWidget *
cb_diagnostics_page_new (CbContext *context)
{
  return g_object_new (CB_TYPE_DIAGNOSTICS_PAGE, "context", context, NULL);
}

CbContext *
cb_diagnostics_page_get_context (CbDiagnosticsPage *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTICS_PAGE (self), NULL);
  return self->context;
}

gboolean
cb_diagnostics_page_get_running (CbDiagnosticsPage *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTICS_PAGE (self), FALSE);
  return cb_diagnosis_get_running (self->diagnosis);
}

GListModel *
cb_diagnostics_page_get_checks (CbDiagnosticsPage *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTICS_PAGE (self), NULL);
  return cb_diagnosis_get_checks (self->diagnosis);
}

CbDiagnosticCheck *
cb_diagnostics_page_lookup_check (CbDiagnosticsPage *self,
                                  const char        *id)
{
  g_return_val_if_fail (CB_IS_DIAGNOSTICS_PAGE (self), NULL);
  return cb_diagnosis_lookup_check (self->diagnosis, id);
}
