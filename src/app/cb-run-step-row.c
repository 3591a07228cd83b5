/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-run-step-row"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-run-step-row.h"

struct _CbRunStepRow
{
  GtkListBoxRow parent_instance;

  /* Template widgets */
  GtkStack     *state_stack;
  GtkImage     *state_image;
  GtkSpinner   *spinner;
  GtkLabel     *title_label;
  GtkLabel     *detail_label;
  GtkLabel     *error_label;
  GtkLabel     *time_label;

  /* Owned */
  CbRunStep    *step;
  gulong        notify_handler;
  guint         tick_source;
};

G_DEFINE_FINAL_TYPE (CbRunStepRow, cb_run_step_row, GTK_TYPE_LIST_BOX_ROW)

static void
set_optional_label (GtkLabel   *label,
                    const char *text)
{
  gtk_label_set_label (label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL && *text != '\0');
}

static void
update (CbRunStepRow *self)
{
  CbRunStepState state = cb_run_step_get_state (self->step);
  const char *icon = NULL;
  const char *state_text = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *a11y = NULL;
  GtkWidget *image = GTK_WIDGET (self->state_image);
  guint attempts = cb_run_step_get_attempts (self->step);

  gtk_widget_remove_css_class (image, "success");
  gtk_widget_remove_css_class (image, "error");
  gtk_widget_remove_css_class (image, "dim-label");

  switch (state)
    {
    case CB_RUN_STEP_STATE_PENDING:
      icon = "content-loading-symbolic";
      state_text = _("Pending");
      gtk_widget_add_css_class (image, "dim-label");
      break;
    case CB_RUN_STEP_STATE_RUNNING:
      state_text = _("Running");
      break;
    case CB_RUN_STEP_STATE_PASSED:
      icon = "emblem-ok-symbolic";
      state_text = _("Passed");
      gtk_widget_add_css_class (image, "success");
      break;
    case CB_RUN_STEP_STATE_FAILED:
      icon = "dialog-error-symbolic";
      state_text = _("Failed");
      gtk_widget_add_css_class (image, "error");
      break;
    case CB_RUN_STEP_STATE_SKIPPED:
      icon = "media-skip-forward-symbolic";
      state_text = _("Skipped");
      gtk_widget_add_css_class (image, "dim-label");
      break;
    case CB_RUN_STEP_STATE_NOT_APPLICABLE:
      /* Never shown as passed: the detail is the device's reason. */
      icon = "action-unavailable-symbolic";
      state_text = _("Not supported by this device");
      gtk_widget_add_css_class (image, "dim-label");
      break;
    case CB_RUN_STEP_STATE_CANCELLED:
    default:
      icon = "process-stop-symbolic";
      state_text = _("Cancelled");
      gtk_widget_add_css_class (image, "dim-label");
      break;
    }

  if (icon != NULL)
    {
      gtk_image_set_from_icon_name (self->state_image, icon);
      gtk_stack_set_visible_child_name (self->state_stack, "icon");
      gtk_spinner_stop (self->spinner);
    }
  else
    {
      gtk_stack_set_visible_child_name (self->state_stack, "spinner");
      gtk_spinner_start (self->spinner);
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_stack), state_text);

  if (cb_run_step_get_started (self->step) != 0)
    {
      double seconds = cb_run_step_get_duration_ms (self->step) / 1000.0;

      if (attempts > 1)
        /* Translators: step time and number of attempts, "1.2 s · 2 attempts" */
        time_text = g_strdup_printf (_("%.1f s · %u attempts"), seconds, attempts);
      else
        /* Translators: step time in seconds */
        time_text = g_strdup_printf (_("%.1f s"), seconds);
    }
  gtk_label_set_label (self->time_label, time_text != NULL ? time_text : "");

  if (state == CB_RUN_STEP_STATE_NOT_APPLICABLE)
    {
      /* Translators: a run step the device cannot do; %s is the device's reason */
      g_autofree char *text = g_strdup_printf (_("Not supported by this device: %s"),
                                               cb_run_step_get_detail (self->step) ? cb_run_step_get_detail (self->step) : "");
      set_optional_label (self->detail_label, text);
    }
  else
    set_optional_label (self->detail_label, cb_run_step_get_detail (self->step));
  set_optional_label (self->error_label, cb_run_step_get_error (self->step));

  a11y = g_strdup_printf ("%s: %s", gtk_label_get_label (self->title_label), state_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
}

static gboolean
tick_cb (gpointer user_data)
{
  CbRunStepRow *self = user_data;

  update (self);
  return G_SOURCE_CONTINUE;
}

static void
on_step_notify (CbRunStepRow *self)
{
  update (self);
  /* A running step's time counts up. */
  if (cb_run_step_get_state (self->step) == CB_RUN_STEP_STATE_RUNNING)
    {
      if (self->tick_source == 0)
        self->tick_source = g_timeout_add (200, tick_cb, self);
    }
  else
    g_clear_handle_id (&self->tick_source, g_source_remove);
}

static void
cb_run_step_row_dispose (GObject *object)
{
  CbRunStepRow *self = CB_RUN_STEP_ROW (object);

  g_clear_handle_id (&self->tick_source, g_source_remove);
  if (self->step != NULL)
    g_clear_signal_handler (&self->notify_handler, self->step);
  g_clear_object (&self->step);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_RUN_STEP_ROW);

  G_OBJECT_CLASS (cb_run_step_row_parent_class)->dispose (object);
}

static void
cb_run_step_row_class_init (CbRunStepRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_run_step_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-run-step-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CbRunStepRow, state_stack);
  gtk_widget_class_bind_template_child (widget_class, CbRunStepRow, state_image);
  gtk_widget_class_bind_template_child (widget_class, CbRunStepRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, CbRunStepRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, CbRunStepRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, CbRunStepRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, CbRunStepRow, time_label);
}

static void
cb_run_step_row_init (CbRunStepRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cb_run_step_row_new (CbRunStep *step)
{
  CbRunStepRow *self;

  g_return_val_if_fail (CB_IS_RUN_STEP (step), NULL);

  self = g_object_new (CB_TYPE_RUN_STEP_ROW, NULL);
  self->step = g_object_ref (step);
  /* Core titles are English; they are marked for translation here, at the caller. */
  gtk_label_set_label (self->title_label,
                       _(cb_run_step_kind_to_title (cb_run_step_get_kind (step))));
  self->notify_handler = g_signal_connect_object (step, "notify", G_CALLBACK (on_step_notify),
                                                  self, G_CONNECT_SWAPPED);
  on_step_notify (self);
  return GTK_WIDGET (self);
}

CbRunStep *
cb_run_step_row_get_step (CbRunStepRow *self)
{
  g_return_val_if_fail (CB_IS_RUN_STEP_ROW (self), NULL);
  return self->step;
}
