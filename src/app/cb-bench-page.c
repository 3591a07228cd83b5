/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-page"

/* The bench page: the widget, its properties and lifecycle, and its API for tests. Its parts
 * are in cb-bench-page-*.c (cb-bench-page-private.h). */

#include "config.h"

#include "cb-certificate-row.h"
#include "cb-page-context.h"
#include "cb-run-step-row.h"

#include "cb-bench-page-private.h"

G_DEFINE_FINAL_TYPE (CbBenchPage, cb_bench_page, ADW_TYPE_BIN)

GParamSpec *_cb_bench_page_properties[N_PROPS];

/* ---- GObject ---------------------------------------------------------------------------- */

static void
cb_bench_page_constructed (GObject *object)
{
  CbBenchPage *self = CB_BENCH_PAGE (object);
  g_autoptr(GSettingsSchema) schema = NULL;
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();

  G_OBJECT_CLASS (cb_bench_page_parent_class)->constructed (object);

  g_assert (CB_IS_CONTEXT (self->context));

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, SETTINGS_SCHEMA, TRUE);
  if (schema != NULL)
    {
      g_autofree char *template_text = NULL;

      self->settings = g_settings_new (SETTINGS_SCHEMA);
      g_settings_bind (self->settings, "auto-start", self->auto_start_switch, "active",
                       G_SETTINGS_BIND_DEFAULT);
      template_text = g_settings_get_string (self->settings, "registration-id-template");
      gtk_editable_set_text (GTK_EDITABLE (self->template_row), template_text);
    }

  if (self->settings != NULL)
    g_signal_connect_object (self->settings, "changed::renewal-fraction",
                             G_CALLBACK (_cb_bench_page_on_renewal_fraction_changed), self,
                             G_CONNECT_SWAPPED);
  cb_page_context_watch (self, self->context, CB_PAGE_CONTEXT_PROFILE | CB_PAGE_CONTEXT_STATE,
                         G_CALLBACK (_cb_bench_page_on_context_changed));
  g_signal_connect_object (self->context, "station-changed",
                           G_CALLBACK (_cb_bench_page_on_station_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "map", G_CALLBACK (_cb_bench_page_on_map_cb), NULL);
  _cb_bench_page_update_station (self);
  _cb_bench_page_update_actions (self);
  _cb_bench_page_check_station (self);

  self->monitor = cb_context_get_port_monitor (self->context);
  if (self->monitor != NULL)
    {
      gtk_list_box_bind_model (self->ports_list, cb_port_monitor_get_ports (self->monitor),
                               _cb_bench_page_create_port_row, self, NULL);
      _cb_bench_page_start_virtual_device (self);
      _cb_bench_page_on_ports_scanned (self);
      /* Before the first scan the list may hold only the virtual device. */
      g_signal_connect_object (self->monitor, "notify::scanned",
                               G_CALLBACK (_cb_bench_page_on_ports_scanned), self,
                               G_CONNECT_SWAPPED);
      /* After the virtual device: auto-start is for devices plugged in from now on. */
      g_signal_connect_object (self->monitor, "port-added",
                               G_CALLBACK (_cb_bench_page_on_port_added), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->monitor, "port-removed",
                               G_CALLBACK (_cb_bench_page_on_port_removed), self,
                               G_CONNECT_SWAPPED);
    }
  _cb_bench_page_init_board (self);
  if (self->selected_path == NULL || self->board_shown)
    _cb_bench_page_show_board (self, self->board_shown);
}

static void
cb_bench_page_dispose (GObject *object)
{
  CbBenchPage *self = CB_BENCH_PAGE (object);
  GHashTableIter iter;
  gpointer value;

  if (self->config_cancellable != NULL)
    g_cancellable_cancel (self->config_cancellable);
  g_clear_object (&self->config_cancellable);
  if (self->health_cancellable != NULL)
    g_cancellable_cancel (self->health_cancellable);
  g_clear_object (&self->health_cancellable);
  g_clear_pointer (&self->health, cb_station_health_free);
  if (self->chooser != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->chooser), (gpointer *) &self->chooser);
      self->chooser = NULL;
    }

  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  /* Unlists itself from the monitor. */
  g_clear_object (&self->virtual_device);

  if (self->sessions != NULL)
    {
      g_hash_table_iter_init (&iter, self->sessions);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          CbBenchSession *s = value;

          /* Runs still going end without touching the page. */
          g_object_set_data (G_OBJECT (s), "page", NULL);
          g_signal_handlers_disconnect_by_func (s, _cb_bench_page_session_log_and_show, NULL);
          cb_bench_session_cancel (s);
        }
    }
  if (self->ports_list != NULL)
    gtk_list_box_bind_model (self->ports_list, NULL, NULL, NULL, NULL);
  if (self->board != NULL)
    gtk_flow_box_bind_model (self->board, NULL, NULL, NULL, NULL);
  self->board = NULL;   /* in the template's stack */
  g_clear_object (&self->feedback);
  if (self->steps_list != NULL)
    gtk_list_box_bind_model (self->steps_list, NULL, NULL, NULL, NULL);

  /* AdwBin keeps its own pointer to the template's top widget (the leaflet, a template
   * child too): drop it first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_BENCH_PAGE);

  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_object (&self->virtual_device);
  g_clear_object (&self->config);
  g_clear_object (&self->settings);
  g_clear_object (&self->no_steps);
  cb_page_context_clear (self, &self->context);
  self->monitor = NULL;

  G_OBJECT_CLASS (cb_bench_page_parent_class)->dispose (object);
}

static void
cb_bench_page_finalize (GObject *object)
{
  CbBenchPage *self = CB_BENCH_PAGE (object);

  g_free (self->selected_path);

  G_OBJECT_CLASS (cb_bench_page_parent_class)->finalize (object);
}

static void
cb_bench_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CbBenchPage *self = CB_BENCH_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    case PROP_N_PASSED:
      g_value_set_uint (value, self->n_passed);
      break;
    case PROP_N_FAILED:
      g_value_set_uint (value, self->n_failed);
      break;
    case PROP_N_RUNNING:
      g_value_set_uint (value, self->n_running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_bench_page_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  CbBenchPage *self = CB_BENCH_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The run pane's header (cb-bench-page.ui): the port's name beside the run's buttons while
 * the page shows both panes, the buttons on a row under it once the page folds to one. */
static GtkOrientation
header_orientation_cb (CbBenchPage *self,
                       gboolean     folded)
{
  return folded ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;
}

static void
cb_bench_page_class_init (CbBenchPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = cb_bench_page_constructed;
  object_class->dispose = cb_bench_page_dispose;
  object_class->finalize = cb_bench_page_finalize;
  object_class->get_property = cb_bench_page_get_property;
  object_class->set_property = cb_bench_page_set_property;

  _cb_bench_page_properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CB_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  _cb_bench_page_properties[PROP_N_PASSED] = g_param_spec_uint ("n-passed", NULL, NULL, 0,
                                                                G_MAXUINT, 0, ro);
  _cb_bench_page_properties[PROP_N_FAILED] = g_param_spec_uint ("n-failed", NULL, NULL, 0,
                                                                G_MAXUINT, 0, ro);
  _cb_bench_page_properties[PROP_N_RUNNING] = g_param_spec_uint ("n-running", NULL, NULL, 0,
                                                                 G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, _cb_bench_page_properties);

  g_type_ensure (CB_TYPE_PORT_ROW);
  g_type_ensure (CB_TYPE_RUN_STEP_ROW);
  g_type_ensure (CB_TYPE_CERTIFICATE_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-bench-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, run_scroller);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, passed_label);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, failed_label);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, ports_list);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, policy_row);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, enrollment_row);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, template_row);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, auto_start_switch);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, run_stack);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, port_title_label);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, port_subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, provision_button);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, result_label);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, result_detail_label);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, steps_list);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, chain_group);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, chain_list);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, log_stats_label);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, log_scroller);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, log_view);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, station_bar);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, station_bar_label);
  gtk_widget_class_bind_template_child (widget_class, CbBenchPage, station_bar_button);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_ports_list_row_selected_cb",
                                                G_CALLBACK (_cb_bench_page_on_ports_list_row_selected_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_ports_list_row_activated_cb",
                                                G_CALLBACK (_cb_bench_page_on_ports_list_row_activated_cb));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_template_row_apply_cb",
                                                G_CALLBACK (_cb_bench_page_on_template_row_apply_cb));
  gtk_widget_class_bind_template_callback (widget_class, header_orientation_cb);

  gtk_widget_class_install_action (widget_class, "bench.provision", "s",
                                   _cb_bench_page_provision_action);
  gtk_widget_class_install_action (widget_class, "bench.provision-selected", NULL,
                                   _cb_bench_page_provision_selected_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "bench.provision-selected", NULL);
  gtk_widget_class_install_action (widget_class, "bench.cancel", "s", _cb_bench_page_cancel_action);
  gtk_widget_class_install_action (widget_class, "bench.reset-counters", NULL,
                                   _cb_bench_page_reset_counters_action);
  gtk_widget_class_install_action (widget_class, "bench.clear-log", NULL,
                                   _cb_bench_page_clear_log_action);
  gtk_widget_class_install_action (widget_class, "bench.choose-policy", NULL,
                                   _cb_bench_page_choose_policy_action);
  gtk_widget_class_install_action (widget_class, "bench.choose-enrollment", NULL,
                                   _cb_bench_page_choose_enrollment_action);
  gtk_widget_class_install_action (widget_class, "bench.fix-station", NULL,
                                   _cb_bench_page_fix_station_action);
  gtk_widget_class_install_action (widget_class, "bench.show-ports", NULL,
                                   _cb_bench_page_show_ports_action);
  gtk_widget_class_install_action (widget_class, "bench.show-board", NULL,
                                   _cb_bench_page_show_board_action);
}

static void
cb_bench_page_init (CbBenchPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  self->no_steps = g_list_store_new (CB_TYPE_RUN_STEP);
}

GtkWidget *
cb_bench_page_new (CbContext *context)
{
  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  return g_object_new (CB_TYPE_BENCH_PAGE, "context", context, NULL);
}

CbVirtualDevice *
cb_bench_page_get_virtual_device (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);
  return self->virtual_device;
}

guint
cb_bench_page_get_n_passed (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), 0);
  return self->n_passed;
}

guint
cb_bench_page_get_n_failed (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), 0);
  return self->n_failed;
}

guint
cb_bench_page_get_n_running (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), 0);
  return self->n_running;
}

CbProvisioningRun *
cb_bench_page_get_run (CbBenchPage *self,
                       const char  *path)
{
  CbBenchSession *s;

  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);

  s = _cb_bench_page_lookup_session (self, path, FALSE);
  return s != NULL ? cb_bench_session_get_run (s) : NULL;
}

const char *
cb_bench_page_get_selected_port (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);
  return self->selected_path;
}

const char *
cb_bench_page_get_result_text (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);
  return gtk_label_get_label (self->result_label);
}

GtkListBox *
cb_bench_page_get_steps_list (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);
  return self->steps_list;
}

GtkListBox *
cb_bench_page_get_chain_list (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);
  return self->chain_list;
}

char *
cb_bench_page_dup_log_text (CbBenchPage *self,
                            const char  *path)
{
  CbBenchSession *s;
  GtkTextIter start, end;

  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);

  s = _cb_bench_page_lookup_session (self, path, FALSE);
  if (s == NULL)
    return NULL;
  gtk_text_buffer_get_bounds (_cb_bench_page_session_buffer (s), &start, &end);
  return gtk_text_buffer_get_text (_cb_bench_page_session_buffer (s), &start, &end, FALSE);
}

const char *
cb_bench_page_get_station_problem (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);

  if (!gtk_info_bar_get_revealed (self->station_bar))
    return NULL;
  return gtk_label_get_label (self->station_bar_label);
}

CbStationChooser *
cb_bench_page_get_station_chooser (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);
  return self->chooser;
}
