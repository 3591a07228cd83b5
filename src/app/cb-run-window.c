/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-run-window"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-provisioning-run.h"
#include "cb-run-window.h"
#include "cb-toasts.h"

struct _CbRunWindow
{
  AdwWindow        parent_instance;

  CbJournalRun    *run;
  AdwToastOverlay *toasts;
};

G_DEFINE_FINAL_TYPE (CbRunWindow, cb_run_window, ADW_TYPE_WINDOW)

static char *
format_time_us (gint64 unix_us)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (unix_us <= 0)
    return NULL;
  utc = g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

const char *
cb_run_window_result_text (CbJournalResult result)
{
  switch (result)
    {
    case CB_JOURNAL_RESULT_PASS:
      return _("Passed");
    case CB_JOURNAL_RESULT_FAIL:
      return _("Failed");
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

/* The journal keeps step ids ("identify"); people read the provisioning run's titles. */
static const char *
step_title (const char *name)
{
  for (guint kind = 0; kind < CB_RUN_N_STEPS; kind++)
    if (g_strcmp0 (cb_run_step_kind_to_name (kind), name) == 0)
      return _(cb_run_step_kind_to_title (kind));
  return name;   /* a step of a newer Certbench */
}

static void
add_detail_row (AdwPreferencesGroup *group,
                const char          *title,
                const char          *value)
{
  GtkWidget *row;

  if (value == NULL || *value == '\0')
    return;
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  gtk_widget_add_css_class (row, "property");
  /* Nothing happens on a detail: keyboard focus skips it. */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  adw_preferences_group_add (group, row);
}

static GtkWidget *
build_details (CbRunWindow *self)
{
  CbJournalRun *run = self->run;
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  g_autofree char *started = format_time_us (cb_journal_run_get_started (run));
  g_autofree char *expires = NULL;
  g_autofree char *device = NULL;

  adw_preferences_group_set_title (group, _("Run"));
  add_detail_row (group, _("Result"), cb_run_window_result_text (cb_journal_run_get_result (run)));
  add_detail_row (group, _("Error"), cb_journal_run_get_error (run));
  add_detail_row (group, _("Started"), started);
  add_detail_row (group, _("Serial number"), cb_journal_run_get_device_serial (run));
  if (cb_journal_run_get_device_model (run) != NULL)
    device = g_strdup_printf ("%s · %s", cb_journal_run_get_device_model (run),
                              cb_journal_run_get_device_firmware (run) != NULL
                                ? cb_journal_run_get_device_firmware (run) : "?");
  add_detail_row (group, _("Model and firmware"), device);
  add_detail_row (group, _("Registration ID"), cb_journal_run_get_registration_id (run));
  add_detail_row (group, _("Hub"), cb_journal_run_get_hub (run));
  add_detail_row (group, _("Device ID"), cb_journal_run_get_device_id (run));
  add_detail_row (group, _("Certificate serial"), cb_journal_run_get_leaf_serial (run));
  add_detail_row (group, _("Certificate SHA-256"), cb_journal_run_get_leaf_fingerprint (run));
  if (cb_journal_run_get_not_after (run) > 0)
    expires = format_time_us (cb_journal_run_get_not_after (run) * G_USEC_PER_SEC);
  add_detail_row (group, _("Certificate expires"), expires);
  add_detail_row (group, _("Policy"), cb_journal_run_get_policy (run));
  add_detail_row (group, _("Port"), cb_journal_run_get_port (run));
  add_detail_row (group, _("Station"), cb_journal_run_get_station (run));
  add_detail_row (group, _("Operator"), cb_journal_run_get_operator (run));
  add_detail_row (group, _("Profile"), cb_journal_run_get_profile (run));
  add_detail_row (group, _("Run ID"), cb_journal_run_get_uuid (run));

  return GTK_WIDGET (group);
}

static GtkWidget *
build_steps (CbRunWindow *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GPtrArray *steps = cb_journal_run_get_steps (self->run);

  adw_preferences_group_set_title (group, _("Steps"));
  for (guint i = 0; steps != NULL && i < steps->len; i++)
    {
      CbJournalStep *step = g_ptr_array_index (steps, i);
      g_autoptr(GString) text = g_string_new (cb_run_window_result_text (cb_journal_step_get_result (step)));
      GtkWidget *row = adw_action_row_new ();

      if (cb_journal_step_get_ended (step) > 0)
        g_string_append_printf (text, " · %.1f s", (cb_journal_step_get_ended (step) -
                                                     cb_journal_step_get_started (step)) / 1e6);
      if (cb_journal_step_get_detail (step) != NULL)
        g_string_append_printf (text, " · %s", cb_journal_step_get_detail (step));
      if (cb_journal_step_get_error (step) != NULL)
        g_string_append_printf (text, " · %s", cb_journal_step_get_error (step));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     step_title (cb_journal_step_get_name (step)));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), text->str);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_widget_set_focusable (row, FALSE);
      adw_preferences_group_add (group, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (group), steps != NULL && steps->len > 0);

  return GTK_WIDGET (group);
}

static GtkWidget *
build_protocol_log (CbRunWindow *self)
{
  const char *log = cb_journal_run_get_protocol_log (self->run);
  GtkWidget *expander, *box, *scroller, *view, *copy;
  GtkTextBuffer *buffer;

  expander = gtk_expander_new_with_mnemonic (_("_Protocol log"));
  gtk_widget_set_name (expander, "protocol-log");
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_expander_set_child (GTK_EXPANDER (expander), box);

  if (log == NULL || *log == '\0')
    {
      GtkWidget *label = gtk_label_new (_("No protocol log was recorded for this run."));

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (box), label);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "run.copy-log", FALSE);
      return expander;
    }

  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 280);
  gtk_widget_add_css_class (scroller, "card");
  view = gtk_text_view_new ();
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_NONE);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  gtk_text_buffer_set_text (buffer, log, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Protocol log"),
                                  -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_box_append (GTK_BOX (box), scroller);

  copy = gtk_button_new_with_mnemonic (_("_Copy protocol log"));
  gtk_widget_set_halign (copy, GTK_ALIGN_END);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (copy), "run.copy-log");
  gtk_box_append (GTK_BOX (box), copy);

  return expander;
}

/* The device this run provisioned, on the main window's device page (issue 17). */
static void
open_device_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CbRunWindow *self = CB_RUN_WINDOW (widget);
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  const char *id = cb_journal_run_get_device_id (self->run);

  if (id == NULL)
    id = cb_journal_run_get_registration_id (self->run);
  /* The window's action, not a call into it: the main window opens run windows. */
  if (id == NULL || parent == NULL ||
      !gtk_widget_activate_action (GTK_WIDGET (parent), "win.show-device", "s", id))
    return;
  gtk_window_present (parent);
}

static void
copy_log_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CbRunWindow *self = CB_RUN_WINDOW (widget);
  const char *log = cb_journal_run_get_protocol_log (self->run);

  if (log == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), log);
  cb_toast_overlay_add_kind (self->toasts, CB_TOAST_KIND_OUTCOME,
                             adw_toast_new (_("Protocol log copied")));
}

static void
cb_run_window_dispose (GObject *object)
{
  CbRunWindow *self = CB_RUN_WINDOW (object);

  g_clear_object (&self->run);

  G_OBJECT_CLASS (cb_run_window_parent_class)->dispose (object);
}

static void
cb_run_window_class_init (CbRunWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_run_window_dispose;

  gtk_widget_class_install_action (widget_class, "run.copy-log", NULL, copy_log_action);
  gtk_widget_class_install_action (widget_class, "run.open-device", NULL, open_device_action);
  /* A details window goes away the way a dialog does. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
}

static void
cb_run_window_init (CbRunWindow *self)
{
}

GtkWidget *
cb_run_window_new (CbJournalRun *run)
{
  CbRunWindow *self;
  GtkWidget *box, *header, *window_title, *scroller, *clamp, *content;
  const char *who;
  g_autofree char *title = NULL;
  g_autofree char *started = NULL;

  g_return_val_if_fail (CB_IS_JOURNAL_RUN (run), NULL);

  self = g_object_new (CB_TYPE_RUN_WINDOW, NULL);
  self->run = g_object_ref (run);

  /* Named after what the run provisioned; a run that never identified its device has only
   * its time. */
  started = format_time_us (cb_journal_run_get_started (run));
  who = cb_journal_run_get_registration_id (run);
  if (who == NULL)
    who = cb_journal_run_get_device_serial (run);
  if (who != NULL)
    /* Translators: title of the window with one journal run, %s is the registration ID */
    title = g_strdup_printf (_("Run of %s"), who);
  else
    /* Translators: title of the window with one journal run of an unidentified device, %s is
     * the date and time it started */
    title = g_strdup_printf (_("Run at %s"), started != NULL ? started : "");
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_window_set_default_size (GTK_WINDOW (self), 720, 760);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  window_title = adw_window_title_new (title, who != NULL && started != NULL ? started : "");
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), window_title);
  if (cb_journal_run_get_device_id (run) != NULL || cb_journal_run_get_registration_id (run) != NULL)
    {
      GtkWidget *open = gtk_button_new_with_mnemonic (_("_Open device"));

      gtk_actionable_set_action_name (GTK_ACTIONABLE (open), "run.open-device");
      adw_header_bar_pack_start (ADW_HEADER_BAR (header), open);
    }
  gtk_box_append (GTK_BOX (box), header);

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->toasts), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->toasts));
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  adw_toast_overlay_set_child (self->toasts, scroller);
  clamp = adw_clamp_new ();
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 900);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
  content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  gtk_widget_set_margin_top (content, 24);
  gtk_widget_set_margin_bottom (content, 24);
  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);
  adw_clamp_set_child (ADW_CLAMP (clamp), content);

  gtk_box_append (GTK_BOX (content), build_details (self));
  gtk_box_append (GTK_BOX (content), build_steps (self));
  gtk_box_append (GTK_BOX (content), build_protocol_log (self));

  adw_window_set_content (ADW_WINDOW (self), box);
  return GTK_WIDGET (self);
}

CbJournalRun *
cb_run_window_get_run (CbRunWindow *self)
{
  g_return_val_if_fail (CB_IS_RUN_WINDOW (self), NULL);
  return self->run;
}
