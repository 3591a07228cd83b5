/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-page"

/* The bench page's port list: selecting a port, the rows as ports come and go, and the
 * virtual device (cb-bench-page-private.h). */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-serial-port.h"

#include "cb-bench-page-private.h"

void
_cb_bench_page_select_port (CbBenchPage *self,
                            const char  *path)
{
  CbPortRow *row = _cb_bench_page_find_port_row (self, path);

  if (row != NULL)
    gtk_list_box_select_row (self->ports_list, GTK_LIST_BOX_ROW (row));
}

void
_cb_bench_page_on_ports_list_row_selected_cb (CbBenchPage   *self,
                                              GtkListBoxRow *row)
{
  g_assert (CB_IS_BENCH_PAGE (self));

  if (row == NULL || !CB_IS_PORT_ROW (row))
    {
      /* A port going away keeps its run on screen until another one is chosen. */
      return;
    }
  g_free (self->selected_path);
  self->selected_path = g_strdup (cb_port_row_get_path (CB_PORT_ROW (row)));
  _cb_bench_page_show_session (self, _cb_bench_page_lookup_session (self, self->selected_path,
                                                                    TRUE));
  /* Folded (a narrow window), the run replaces the port list. */
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->run_stack));
}

void
_cb_bench_page_on_ports_list_row_activated_cb (CbBenchPage   *self,
                                               GtkListBoxRow *row)
{
  g_assert (CB_IS_BENCH_PAGE (self));

  /* The row already selected: selecting it again is no signal, but it should show the run. */
  if (CB_IS_PORT_ROW (row) && self->selected_path != NULL &&
      g_strcmp0 (self->selected_path, cb_port_row_get_path (CB_PORT_ROW (row))) == 0)
    {
      /* Chosen by hand, a port shows its run rather than the board. */
      if (self->board_shown)
        _cb_bench_page_show_board (self, FALSE);
      adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->run_stack));
    }
}

void
_cb_bench_page_show_ports_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* ---- Ports ------------------------------------------------------------------------------ */

GtkWidget *
_cb_bench_page_create_port_row (gpointer item,
                                gpointer user_data)
{
  CbBenchPage *self = user_data;
  CbSerialPortInfo *info = item;
  GtkWidget *row = cb_port_row_new (info);
  CbBenchSession *s = _cb_bench_page_lookup_session (self, cb_serial_port_info_get_path (info),
                                                     FALSE);

  if (s != NULL)
    cb_port_row_set_state (CB_PORT_ROW (row), _cb_bench_page_row_state (s));
  return row;
}

void
_cb_bench_page_on_port_added (CbBenchPage      *self,
                              CbSerialPortInfo *info)
{
  const char *path = cb_serial_port_info_get_path (info);

  if (g_strcmp0 (path, self->selected_path) == 0)
    _cb_bench_page_select_port (self, path);
  /* Auto-start is for devices plugged in: a port the monitor's first scan lists was there
   * before, whenever that scan runs (the app scans after its first frame). */
  if (!cb_port_monitor_get_scanned (self->monitor))
    return;
  if (self->settings != NULL && g_settings_get_boolean (self->settings, "auto-start"))
    _cb_bench_page_provision_port (self, path);
}

void
_cb_bench_page_on_ports_scanned (CbBenchPage *self)
{
  GtkListBoxRow *first;

  /* Show a port from the start rather than an empty pane, once the ports are known. */
  if (self->selected_path != NULL)
    return;
  first = gtk_list_box_get_row_at_index (self->ports_list, 0);
  if (first != NULL)
    gtk_list_box_select_row (self->ports_list, first);
}

void
_cb_bench_page_on_port_removed (CbBenchPage      *self,
                                CbSerialPortInfo *info)
{
  CbBenchSession *s = _cb_bench_page_lookup_session (self, cb_serial_port_info_get_path (info),
                                                     FALSE);

  /* An unplug mid-run ends the run through the port's own error; nothing to do here but let
   * the next device on this path start fresh. */
  if (s != NULL && _cb_bench_page_row_state (s) != CB_PORT_ROW_RUNNING)
    _cb_bench_page_session_log_and_show (s, "station", _("Device unplugged"));
}

void
_cb_bench_page_start_virtual_device (CbBenchPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = NULL;

  g_autofree char *kind_name = self->settings != NULL
                               ? g_settings_get_string (self->settings, "virtual-device") : NULL;
  CbVirtualDeviceKind kind = cb_virtual_device_kind_from_string (kind_name);
  /* Each kind keeps its own state: a modem's identity is not a bench device's. */
  const char *folder = kind == CB_VIRTUAL_DEVICE_NRF91 ? "virtual-modem" : "virtual-device";

  /* Next to the app's other data ($XDG_DATA_HOME/certbench), so a test context keeps it in
   * its own folder too. */
  if (cb_context_get_data_dir (self->context) != NULL)
    state_dir = g_build_filename (cb_context_get_data_dir (self->context), folder, NULL);
  else if (kind == CB_VIRTUAL_DEVICE_NRF91)
    state_dir = g_build_filename (g_get_user_data_dir (), "certbench", folder, NULL);
  else
    state_dir = cb_virtual_device_dup_default_state_dir ();

  /* The Preferences choice takes effect at once: the old device goes, the new one comes. */
  if (self->settings != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->settings,
                                            G_CALLBACK (_cb_bench_page_start_virtual_device),
                                            self);
      g_signal_connect_object (self->settings, "changed::virtual-device",
                               G_CALLBACK (_cb_bench_page_start_virtual_device), self,
                               G_CONNECT_SWAPPED);
    }
  if (self->virtual_device != NULL)
    {
      cb_virtual_device_set_monitor (self->virtual_device, NULL);
      g_clear_object (&self->virtual_device);
    }

  self->virtual_device = cb_virtual_device_new_kind (state_dir, VIRTUAL_CHATTER_MS, kind, &error);
  if (self->virtual_device == NULL)
    {
      g_message ("The virtual device could not start: %s", error->message);
      return;
    }
  cb_virtual_device_set_monitor (self->virtual_device, self->monitor);
  _cb_bench_page_update_virtual_device_clock (self);
}

/* ---- Re-provisioning a device from its device page -------------------------------------- */

gboolean
cb_bench_page_reprovision (CbBenchPage *self,
                           const char  *device_id)
{
  GHashTableIter iter;
  gpointer value;
  g_autofree char *text = NULL;

  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), FALSE);
  g_return_val_if_fail (device_id != NULL, FALSE);

  /* The port whose last run registered this device, if it is still plugged in. */
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      CbBenchSession *s = value;
      CbRunResult *result = cb_bench_session_get_result (s);
      const char *path = cb_bench_session_get_path (s);

      if (result == NULL ||
          g_strcmp0 (cb_run_result_get_registration_id (result), device_id) != 0 ||
          self->monitor == NULL || cb_port_monitor_lookup (self->monitor, path) == NULL)
        continue;

      self->board_shown = FALSE;
      _cb_bench_page_select_port (self, path);
      _cb_bench_page_show_session (self, s);
      adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->run_stack));
      /* Translators: %s is the device's registration ID */
      text = g_strdup_printf (_("%s is on this port: Provision Again gives it a new certificate"),
                              device_id);
      _cb_bench_page_toast (self, text);
      return TRUE;
    }

  /* Translators: %s is the device's registration ID */
  text = g_strdup_printf (_("Plug in %s and provision it: the station registers it again with "
                            "the registration ID template"), device_id);
  _cb_bench_page_toast (self, text);
  return FALSE;
}
