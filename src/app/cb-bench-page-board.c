/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-page"

/* The bench page's board and the unattended station's feedback: a tile per port with its
 * result in large type, for a station that provisions devices as they are plugged in while the
 * technician works a few metres away, and the notification and sound each result raises
 * (cb-station-feedback.c) (cb-bench-page-private.h). */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-station-tile.h"

#include "cb-bench-page-private.h"

/* ---- What a tile says ------------------------------------------------------------------- */

static CbRunStep *
find_step (CbProvisioningRun *run,
           CbRunStepState     state)
{
  GListModel *steps = run != NULL ? cb_provisioning_run_get_steps (run) : NULL;

  for (guint i = 0; steps != NULL && i < g_list_model_get_n_items (steps); i++)
    {
      g_autoptr(CbRunStep) step = g_list_model_get_item (steps, i);

      if (cb_run_step_get_state (step) == state)
        return step;
    }
  return NULL;
}

static char *
dup_step_text (CbBenchSession *s)
{
  CbProvisioningRun *run = cb_bench_session_get_run (s);
  CbRunResult *result = cb_bench_session_get_result (s);
  CbRunStep *step;

  switch (_cb_bench_page_row_state (s))
    {
    case CB_PORT_ROW_RUNNING:
      step = find_step (run, CB_RUN_STEP_STATE_RUNNING);
      if (step == NULL)
        /* Translators: a port's tile on the Bench while the device is probed */
        return g_strdup (_("Starting"));
      return g_strdup (_(cb_run_step_kind_to_title (cb_run_step_get_kind (step))));
    case CB_PORT_ROW_FAILED:
      step = find_step (run, CB_RUN_STEP_STATE_FAILED);
      if (step == NULL)
        /* Translators: a port's tile on the Bench, the run failed before its steps */
        return g_strdup (_("Could not start"));
      /* Translators: a port's tile on the Bench, %s is the step ("Register with DPS") */
      return g_strdup_printf (_("Failed at: %s"),
                              _(cb_run_step_kind_to_title (cb_run_step_get_kind (step))));
    case CB_PORT_ROW_PASSED:
      if (result == NULL)
        return NULL;
      /* Translators: a port's tile on the Bench, the run's length in seconds */
      return g_strdup_printf (_("Done in %.1f s"), cb_run_result_get_duration_ms (result) / 1000.0);
    case CB_PORT_ROW_IDLE:
    default:
      return NULL;
    }
}

/* The registration id once there is one, else the device's serial number. */
static const char *
device_text (CbBenchSession *s)
{
  CbRunResult *result = cb_bench_session_get_result (s);
  CbSerialPortInfo *info = cb_bench_session_get_info (s);

  if (_cb_bench_page_row_state (s) == CB_PORT_ROW_IDLE)
    return info != NULL ? cb_serial_port_info_get_serial_number (info) : NULL;
  if (result != NULL && cb_run_result_get_registration_id (result) != NULL)
    return cb_run_result_get_registration_id (result);
  if (result != NULL && cb_run_result_get_device_serial (result) != NULL)
    return cb_run_result_get_device_serial (result);
  return info != NULL ? cb_serial_port_info_get_serial_number (info) : NULL;
}

static CbStationTile *
find_tile (CbBenchPage *self,
           const char  *path)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->board));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (CB_IS_STATION_TILE (child) &&
          g_strcmp0 (cb_station_tile_get_path (CB_STATION_TILE (child)), path) == 0)
        return CB_STATION_TILE (child);
    }
  return NULL;
}

static void
show_on_tile (CbStationTile  *tile,
              CbBenchSession *s)
{
  g_autofree char *step = dup_step_text (s);

  cb_station_tile_set_result (tile, _cb_bench_page_row_state (s), step, device_text (s));
}

void
_cb_bench_page_update_tile (CbBenchPage    *self,
                            CbBenchSession *s)
{
  CbStationTile *tile;

  if (self->board == NULL)
    return;
  tile = find_tile (self, cb_bench_session_get_path (s));
  if (tile != NULL)
    show_on_tile (tile, s);
}

static GtkWidget *
create_tile (gpointer item,
             gpointer user_data)
{
  CbBenchPage *self = user_data;
  CbSerialPortInfo *info = item;
  GtkWidget *tile = cb_station_tile_new (info);
  CbBenchSession *s = _cb_bench_page_lookup_session (self, cb_serial_port_info_get_path (info),
                                                     FALSE);

  if (s != NULL)
    show_on_tile (CB_STATION_TILE (tile), s);
  return tile;
}

/* ---- The board -------------------------------------------------------------------------- */

static void
on_tile_activated_cb (CbBenchPage     *self,
                      GtkFlowBoxChild *child)
{
  /* A tile opens its port's run. */
  if (CB_IS_STATION_TILE (child))
    {
      self->board_shown = FALSE;
      _cb_bench_page_select_port (self, cb_station_tile_get_path (CB_STATION_TILE (child)));
      if (self->selected_path != NULL)
        _cb_bench_page_show_session (self, _cb_bench_page_lookup_session (self,
                                                                          self->selected_path,
                                                                          TRUE));
    }
}

void
_cb_bench_page_show_board (CbBenchPage *self,
                           gboolean     shown)
{
  self->board_shown = shown;
  if (shown)
    {
      gtk_stack_set_visible_child_name (self->run_stack, "board");
      /* Folded (a narrow window), the board replaces the port list. */
      adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->run_stack));
    }
  else if (self->selected_path != NULL)
    _cb_bench_page_show_session (self, _cb_bench_page_lookup_session (self, self->selected_path,
                                                                      TRUE));
  else
    _cb_bench_page_show_session (self, NULL);
}

void
_cb_bench_page_show_board_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  _cb_bench_page_show_board (CB_BENCH_PAGE (widget), TRUE);
}

static void
on_auto_start_changed_cb (CbBenchPage *self)
{
  /* A station left to provision by itself shows every port at once. */
  if (g_settings_get_boolean (self->settings, "auto-start"))
    _cb_bench_page_show_board (self, TRUE);
}

void
_cb_bench_page_init_board (CbBenchPage *self)
{
  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *back = gtk_button_new_from_icon_name ("go-previous-symbolic");
  GtkWidget *titles = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *title = gtk_label_new (_("All Ports"));
  GtkWidget *subtitle = gtk_label_new (_("Each port’s latest result, large enough to read "
                                         "from across the bench"));
  GtkWidget *scroller = gtk_scrolled_window_new ();

  self->feedback = cb_station_feedback_new (self->settings);

  gtk_widget_set_margin_top (header, 24);
  gtk_widget_set_margin_start (header, 12);
  gtk_widget_set_margin_end (header, 12);
  gtk_widget_set_margin_bottom (header, 12);
  gtk_widget_set_valign (back, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (back), "bench.show-ports");
  gtk_widget_set_tooltip_text (back, _("Back to the ports"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (back), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Back to the ports"), -1);
  g_object_bind_property (self->leaflet, "folded", back, "visible", G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (header), back);
  gtk_widget_set_hexpand (titles, TRUE);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_widget_add_css_class (title, "title-2");
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_wrap (GTK_LABEL (subtitle), TRUE);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_box_append (GTK_BOX (titles), title);
  gtk_box_append (GTK_BOX (titles), subtitle);
  gtk_box_append (GTK_BOX (header), titles);
  gtk_box_append (GTK_BOX (page), header);

  self->board = GTK_FLOW_BOX (gtk_flow_box_new ());
  gtk_flow_box_set_selection_mode (self->board, GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (self->board, TRUE);
  gtk_flow_box_set_min_children_per_line (self->board, 1);
  gtk_flow_box_set_max_children_per_line (self->board, 4);
  gtk_flow_box_set_column_spacing (self->board, 12);
  gtk_flow_box_set_row_spacing (self->board, 6);
  gtk_flow_box_set_activate_on_single_click (self->board, TRUE);
  gtk_widget_set_valign (GTK_WIDGET (self->board), GTK_ALIGN_START);
  gtk_widget_set_margin_start (GTK_WIDGET (self->board), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->board), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->board), 24);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->board), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Every port’s result"), -1);
  g_signal_connect_object (self->board, "child-activated", G_CALLBACK (on_tile_activated_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->board));
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_box_append (GTK_BOX (page), scroller);

  gtk_stack_add_named (self->run_stack, page, "board");

  if (self->monitor != NULL)
    gtk_flow_box_bind_model (self->board, cb_port_monitor_get_ports (self->monitor),
                             create_tile, self, NULL);
  if (self->settings != NULL)
    {
      g_signal_connect_object (self->settings, "changed::auto-start",
                               G_CALLBACK (on_auto_start_changed_cb), self, G_CONNECT_SWAPPED);
      self->board_shown = g_settings_get_boolean (self->settings, "auto-start");
    }
}

/* ---- Feedback --------------------------------------------------------------------------- */

void
_cb_bench_page_announce (CbBenchPage    *self,
                         CbBenchSession *s)
{
  CbPortRowState state = _cb_bench_page_row_state (s);
  CbSerialPortInfo *info = cb_bench_session_get_info (s);
  CbRunResult *result = cb_bench_session_get_result (s);
  const char *path = cb_bench_session_get_path (s);
  g_autofree char *name = info != NULL ? cb_serial_port_info_dup_display_name (info) : NULL;
  g_autofree char *detail = NULL;

  if (self->feedback == NULL)
    return;
  if (state == CB_PORT_ROW_RUNNING)
    {
      cb_station_feedback_withdraw (self->feedback, GTK_WIDGET (self), path);
      return;
    }
  if (state != CB_PORT_ROW_PASSED && state != CB_PORT_ROW_FAILED)
    return;

  if (state == CB_PORT_ROW_PASSED && result != NULL)
    /* Translators: a notification's body, the registration id and the hub */
    detail = g_strdup_printf (_("%s is registered on %s"),
                              cb_run_result_get_registration_id (result),
                              cb_run_result_get_hub (result));
  else if (result != NULL && cb_run_result_get_error (result) != NULL)
    detail = g_strdup (cb_run_result_get_error (result)->message);
  else
    detail = g_strdup (cb_bench_session_get_message (s));
  cb_station_feedback_result (self->feedback, GTK_WIDGET (self), path, name,
                              state == CB_PORT_ROW_PASSED, detail);
}

GtkFlowBox *
cb_bench_page_get_board (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);
  return self->board;
}

CbStationFeedback *
cb_bench_page_get_feedback (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), NULL);
  return self->feedback;
}

gboolean
cb_bench_page_get_board_shown (CbBenchPage *self)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), FALSE);
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->run_stack), "board") == 0;
}
