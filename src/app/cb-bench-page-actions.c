/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-page"

/* The bench page's runs: the provisioning config they share, starting, finishing and
 * cancelling a port's run, and the page's run actions (cb-bench-page-private.h). */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-app-settings.h"
#include "cb-device-drivers.h"
#include "cb-toasts.h"

#include "cb-bench-page-private.h"

/* ---- Runs ------------------------------------------------------------------------------- */

void
_cb_bench_page_toast (CbBenchPage *self,
                      const char  *text)
{
  cb_widget_toast (GTK_WIDGET (self), text);
}

static void
session_failed_to_start (CbBenchPage    *self,
                         CbBenchSession *s,
                         const char     *message)
{
  g_autofree char *line = g_strdup_printf (_("Cannot start: %s"), message);

  cb_bench_session_fail (s, message);
  _cb_bench_page_session_log_and_show (s, "error", line);
  self->n_failed++;
  _cb_bench_page_update_counters (self);
  g_object_notify_by_pspec (G_OBJECT (self), _cb_bench_page_properties[PROP_N_FAILED]);
  _cb_bench_page_set_session_state (self, s, CB_PORT_ROW_FAILED);
  _cb_bench_page_toast (self, line);
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(CbBenchSession) s = user_data;
  g_autoptr(CbRunResult) run_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  CbBenchPage *self = _cb_bench_page_session_page (s);

  run_result = cb_bench_session_run_finish (s, result, &error);
  if (self == NULL)
    return;   /* the page is gone */

  if (run_result == NULL)
    {
      session_failed_to_start (self, s, error->message);
      return;
    }

  if (cb_run_result_get_passed (run_result))
    {
      self->n_passed++;
      g_object_notify_by_pspec (G_OBJECT (self), _cb_bench_page_properties[PROP_N_PASSED]);
      /* Translators: _cb_bench_page_toast, %s is the registration id */
      line = g_strdup_printf (_("PASS: %s provisioned"),
                              cb_run_result_get_registration_id (run_result));
      _cb_bench_page_session_log_and_show (s, "station", line);
      _cb_bench_page_update_counters (self);
      _cb_bench_page_set_session_state (self, s, CB_PORT_ROW_PASSED);
    }
  else
    {
      const GError *run_error = cb_run_result_get_error (run_result);

      if (g_error_matches (run_error, CB_RUN_ERROR, CB_RUN_ERROR_CANCELLED))
        {
          _cb_bench_page_session_log_and_show (s, "station", _("Run cancelled"));
          cb_bench_session_clear_result (s);
          _cb_bench_page_set_session_state (self, s, CB_PORT_ROW_IDLE);
          return;
        }
      self->n_failed++;
      g_object_notify_by_pspec (G_OBJECT (self), _cb_bench_page_properties[PROP_N_FAILED]);
      line = g_strdup_printf (_("FAIL: %s"), run_error != NULL ? run_error->message : "?");
      _cb_bench_page_session_log_and_show (s, "error", line);
      _cb_bench_page_update_counters (self);
      _cb_bench_page_set_session_state (self, s, CB_PORT_ROW_FAILED);
      /* A failure may come from the station's enrollment or policy: the banner says so. */
      _cb_bench_page_check_station (self);
    }
  _cb_bench_page_toast (self, line);
}

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CbBenchSession) s = user_data;
  g_autoptr(GError) error = NULL;
  CbBenchPage *self = _cb_bench_page_session_page (s);
  gboolean opened = cb_bench_session_open_finish (s, result, &error);

  if (self == NULL)
    return;   /* the page is gone */
  if (!opened && (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
                  cb_bench_session_is_cancelled (s)))
    {
      /* Cancelled while the port was probed: nothing was sent but the probe. */
      cb_bench_session_fail (s, NULL);
      _cb_bench_page_session_log_and_show (s, "station", _("Run cancelled"));
      _cb_bench_page_set_session_state (self, s, CB_PORT_ROW_IDLE);
      return;
    }
  if (!opened)
    {
      session_failed_to_start (self, s, error->message);
      return;
    }
  if (g_strcmp0 (self->selected_path, cb_bench_session_get_path (s)) == 0)
    _cb_bench_page_show_session (self, s);

  cb_bench_session_run_async (s, cb_context_get_cancellable (self->context), run_cb,
                              g_object_ref (s));
}

static void
start_session_run (CbBenchPage    *self,
                   CbBenchSession *s)
{

  /* Read at every start: the preference may change between runs. */
  cb_provisioning_config_set_hub_check (self->config,
                                        self->settings == NULL ||
                                        g_settings_get_boolean (self->settings, "hub-check"));
  if (self->settings != NULL)
    cb_provisioning_config_set_modem_sec_tag (self->config,
                                              g_settings_get_uint (self->settings,
                                                                   "modem-sec-tag"));
  /* The driver pinned for this port, if any (also read at every start). */
  {
    g_autofree char *pinned = cb_app_settings_dup_port_driver (cb_bench_session_get_path (s));

    /* The Virtual device says what it is (the simulated modem speaks AT): no probe. */
    if (g_strcmp0 (pinned, CB_DEVICE_DRIVER_AUTO) == 0 && self->virtual_device != NULL &&
        g_strcmp0 (cb_bench_session_get_path (s),
                   cb_virtual_device_get_path (self->virtual_device)) == 0)
      {
        g_free (pinned);
        pinned = g_strdup (cb_virtual_device_get_kind (self->virtual_device) ==
                             CB_VIRTUAL_DEVICE_NRF91 ? "nrf91" : "smp");
      }
    cb_bench_session_set_driver_name (s, pinned);
  }
  /* A port set to "auto" is probed first: the page stays live meanwhile, the log tells it. */
  cb_bench_session_open_async (s, self->config, cb_context_get_cancellable (self->context),
                               opened_cb, g_object_ref (s));
  /* A pinned driver's run is built at once: the step list shows it from the start. */
  if (cb_bench_session_get_run (s) != NULL &&
      g_strcmp0 (self->selected_path, cb_bench_session_get_path (s)) == 0)
    _cb_bench_page_show_session (self, s);
}

static void
fail_waiting (CbBenchPage *self,
              const char  *message)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);

  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiting->len; i++)
    session_failed_to_start (self, g_ptr_array_index (waiting, i), message);
}

static void
start_waiting (CbBenchPage *self)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);

  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiting->len; i++)
    {
      CbBenchSession *s = g_ptr_array_index (waiting, i);

      if (!cb_bench_session_is_cancelled (s))
        start_session_run (self, s);
    }
}

static void
make_config_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CbBenchPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbProvisioningConfig) config = NULL;

  config = cb_station_make_config_finish (CB_CONTEXT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->config_cancellable);

  if (config == NULL)
    {
      fail_waiting (self, error->message);
      return;
    }

  self->config = g_steal_pointer (&config);
  start_waiting (self);
}

static void
ensure_config (CbBenchPage *self)
{
  g_autofree char *template_text = NULL;

  if (self->config != NULL)
    {
      start_waiting (self);
      return;
    }
  if (self->config_cancellable != NULL)
    return;   /* on its way */

  template_text = self->settings != NULL
                    ? g_settings_get_string (self->settings, "registration-id-template")
                    : g_strdup ("{serial}");
  self->config_cancellable = g_cancellable_new ();
  cb_station_make_config_async (self->context, template_text, self->config_cancellable,
                                make_config_cb, g_object_ref (self));
}

void
_cb_bench_page_invalidate_config (CbBenchPage *self)
{
  g_clear_object (&self->config);
  if (self->config_cancellable != NULL)
    {
      g_cancellable_cancel (self->config_cancellable);
      g_clear_object (&self->config_cancellable);
      /* Whoever waited gets the new config. */
      if (self->waiting->len > 0)
        ensure_config (self);
    }
}

void
_cb_bench_page_provision_port (CbBenchPage *self,
                               const char  *path)
{
  CbBenchSession *s;
  g_autofree char *line = NULL;

  s = _cb_bench_page_lookup_session (self, path, TRUE);
  if (_cb_bench_page_row_state (s) == CB_PORT_ROW_RUNNING)
    {
      _cb_bench_page_toast (self, _("This port is already provisioning"));
      return;
    }

  cb_bench_session_reset (s);

  /* Translators: first log line of a run, %s is the port */
  line = g_strdup_printf (_("Provisioning the device on %s"), path);
  _cb_bench_page_session_log (s, "station", line);

  if (self->selected_path == NULL)
    _cb_bench_page_select_port (self, path);
  _cb_bench_page_set_session_state (self, s, CB_PORT_ROW_RUNNING);

  g_ptr_array_add (self->waiting, g_object_ref (s));
  ensure_config (self);
}

void
_cb_bench_page_provision_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);
  const char *path = g_variant_get_string (parameter, NULL);

  if (self->selected_path == NULL || g_strcmp0 (self->selected_path, path) != 0)
    _cb_bench_page_select_port (self, path);
  _cb_bench_page_provision_port (self, path);
}

void
_cb_bench_page_provision_selected_action (GtkWidget  *widget,
                                          const char *action_name,
                                          GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  if (self->selected_path == NULL)
    {
      _cb_bench_page_toast (self, _("Choose a port first"));
      return;
    }
  _cb_bench_page_provision_port (self, self->selected_path);
}

void
_cb_bench_page_cancel_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);
  CbBenchSession *s = _cb_bench_page_lookup_session (self, g_variant_get_string (parameter, NULL),
                                                     FALSE);

  if (s == NULL || _cb_bench_page_row_state (s) != CB_PORT_ROW_RUNNING)
    return;
  cb_bench_session_cancel (s);
  /* Still waiting for the config: nothing was sent to the device. */
  if (g_ptr_array_remove (self->waiting, s))
    {
      _cb_bench_page_session_log_and_show (s, "station", _("Run cancelled"));
      _cb_bench_page_set_session_state (self, s, CB_PORT_ROW_IDLE);
    }
}

void
_cb_bench_page_reset_counters_action (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  self->n_passed = self->n_failed = 0;
  _cb_bench_page_update_counters (self);
  g_object_notify_by_pspec (G_OBJECT (self), _cb_bench_page_properties[PROP_N_PASSED]);
  g_object_notify_by_pspec (G_OBJECT (self), _cb_bench_page_properties[PROP_N_FAILED]);
  _cb_bench_page_toast (self, _("Counters reset for a new shift"));
}

void
_cb_bench_page_clear_log_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->log_view), "", 0);
}
