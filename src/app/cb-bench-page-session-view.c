/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-page"

/* The bench page's sessions (one per port: its state, its protocol log) and the view of the
 * selected port's run: steps, result, certificate chain and log (cb-bench-page-private.h). */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-ca-certificate-store.h"
#include "cb-device-drivers.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"

#include "cb-certificate-row.h"
#include "cb-run-step-row.h"

#include "cb-bench-page-private.h"

/* ---- One port's protocol log ----------------------------------------------------------- */

/* The session (core's CbBenchSession) holds the port and its runs; the page keeps each port's
 * log as a text buffer, attached to its session. */
GtkTextBuffer *
_cb_bench_page_session_buffer (CbBenchSession *s)
{
  GtkTextBuffer *log = g_object_get_data (G_OBJECT (s), "log");

  if (log == NULL)
    {
      log = gtk_text_buffer_new (NULL);
      gtk_text_buffer_create_tag (log, "time", "foreground", "#77767b", NULL);
      gtk_text_buffer_create_tag (log, "tx", "foreground", "#1c71d8", NULL);
      gtk_text_buffer_create_tag (log, "rx", "foreground", "#26a269", NULL);
      gtk_text_buffer_create_tag (log, "error", "foreground", "#e01b24", "weight", 700, NULL);
      gtk_text_buffer_create_tag (log, "device", "style", PANGO_STYLE_ITALIC, NULL);
      gtk_text_buffer_create_tag (log, "station", "weight", 700, NULL);
      g_object_set_data_full (G_OBJECT (s), "log", log, g_object_unref);
    }
  return log;
}

G_STATIC_ASSERT ((int) CB_BENCH_SESSION_IDLE == (int) CB_PORT_ROW_IDLE);
G_STATIC_ASSERT ((int) CB_BENCH_SESSION_RUNNING == (int) CB_PORT_ROW_RUNNING);
G_STATIC_ASSERT ((int) CB_BENCH_SESSION_PASSED == (int) CB_PORT_ROW_PASSED);
G_STATIC_ASSERT ((int) CB_BENCH_SESSION_FAILED == (int) CB_PORT_ROW_FAILED);

CbPortRowState
_cb_bench_page_row_state (CbBenchSession *s)
{
  return (CbPortRowState) cb_bench_session_get_state (s);
}

void
_cb_bench_page_session_log (CbBenchSession *s,
                            const char     *tag,
                            const char     *text)
{
  GtkTextBuffer *log = _cb_bench_page_session_buffer (s);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S.%f");
  GtkTextIter end;

  /* Milliseconds are enough. */
  if (strlen (stamp) > 12)
    stamp[12] = '\0';

  gtk_text_buffer_get_end_iter (log, &end);
  gtk_text_buffer_insert_with_tags_by_name (log, &end, stamp, -1, "time", NULL);
  gtk_text_buffer_insert (log, &end, "  ", 2);
  if (tag != NULL)
    gtk_text_buffer_insert_with_tags_by_name (log, &end, text, -1, tag, NULL);
  else
    gtk_text_buffer_insert (log, &end, text, -1);
  gtk_text_buffer_insert (log, &end, "\n", 1);

  if (gtk_text_buffer_get_line_count (log) > LOG_MAX_LINES)
    {
      GtkTextIter start, cut;

      gtk_text_buffer_get_start_iter (log, &start);
      gtk_text_buffer_get_iter_at_line (log, &cut, LOG_MAX_LINES / 4);
      gtk_text_buffer_delete (log, &start, &cut);
    }
}


CbBenchSession *
_cb_bench_page_lookup_session (CbBenchPage *self,
                               const char  *path,
                               gboolean     create)
{
  CbBenchSession *s = g_hash_table_lookup (self->sessions, path);

  if (s == NULL && create)
    {
      g_autofree char *intro = NULL;

      s = cb_bench_session_new (path);
      g_object_set_data (G_OBJECT (s), "page", self);
      g_signal_connect (s, "log", G_CALLBACK (_cb_bench_page_session_log_and_show), NULL);
      g_hash_table_insert (self->sessions, (gpointer) cb_bench_session_get_path (s), s);
      /* Translators: first line of a port's protocol log */
      intro = g_strdup_printf (_("Protocol log of %s: decoded frames, CRC errors, retries and "
                                 "the device’s own log text appear here while the station talks "
                                 "to it."),
                               path);
      _cb_bench_page_session_log (s, "time", intro);
    }
  if (s != NULL && self->monitor != NULL)
    {
      CbSerialPortInfo *info = cb_port_monitor_lookup (self->monitor, path);

      if (info != NULL)
        cb_bench_session_set_info (s, info);
    }
  return s;
}

CbPortRow *
_cb_bench_page_find_port_row (CbBenchPage *self,
                              const char  *path)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->ports_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (CB_IS_PORT_ROW (child) &&
          g_strcmp0 (cb_port_row_get_path (CB_PORT_ROW (child)), path) == 0)
        return CB_PORT_ROW (child);
    }
  return NULL;
}

void
_cb_bench_page_update_counters (CbBenchPage *self)
{
  g_autofree char *passed = g_strdup_printf ("%u", self->n_passed);
  g_autofree char *failed = g_strdup_printf ("%u", self->n_failed);

  gtk_label_set_label (self->passed_label, passed);
  gtk_label_set_label (self->failed_label, failed);
}

void
_cb_bench_page_set_session_state (CbBenchPage    *self,
                                  CbBenchSession *s,
                                  CbPortRowState  state)
{
  CbPortRow *row;
  CbPortRowState was = _cb_bench_page_row_state (s);
  gboolean was_running = was == CB_PORT_ROW_RUNNING;

  cb_bench_session_set_state (s, (CbBenchSessionState) state);
  if (was_running != (state == CB_PORT_ROW_RUNNING))
    {
      self->n_running += state == CB_PORT_ROW_RUNNING ? 1 : -1;
      g_object_notify_by_pspec (G_OBJECT (self), _cb_bench_page_properties[PROP_N_RUNNING]);
    }
  row = _cb_bench_page_find_port_row (self, cb_bench_session_get_path (s));
  if (row != NULL)
    cb_port_row_set_state (row, state);
  _cb_bench_page_update_tile (self, s);
  if (g_strcmp0 (self->selected_path, cb_bench_session_get_path (s)) == 0)
    _cb_bench_page_show_session (self, s);
  /* A result (or a new run, which takes the last result's notification away). */
  if (state != was)
    _cb_bench_page_announce (self, s);
}

/* ---- Showing a port's run --------------------------------------------------------------- */

static GtkWidget *
create_step_row (gpointer item,
                 gpointer user_data)
{
  return cb_run_step_row_new (CB_RUN_STEP (item));
}

static const char *
chain_role (GPtrArray *chain,
            guint      i)
{
  CbCertificate *cert = g_ptr_array_index (chain, i);

  if (i == 0)
    return _("Device certificate");
  if (cb_certificate_is_issued_by (cert, cert))
    return _("Root CA");
  if (i == 1)
    return _("Issuing CA");
  return _("Intermediate CA");
}

void
_cb_bench_page_show_chain (CbBenchPage    *self,
                           CbBenchSession *s)
{
  GtkWidget *child;
  CbRunResult *result = cb_bench_session_get_result (s);
  GPtrArray *chain = result != NULL ? cb_run_result_get_chain (result) : NULL;
  double fraction = self->settings != NULL
                      ? g_settings_get_double (self->settings, "renewal-fraction")
                      : CB_DEFAULT_RENEWAL_FRACTION;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->chain_list))) != NULL)
    gtk_list_box_remove (self->chain_list, child);

  /* The issued chain holds the policy's CA and its root: the CA panes offer them from here. */
  if (chain != NULL && self->context != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!cb_ca_certificate_store_add_chain (cb_ca_certificate_store_get_for_context (self->context),
                                              chain, &error))
        g_warning ("The chain's CA certificates could not be kept: %s", error->message);
    }

  for (guint i = 0; chain != NULL && i < chain->len; i++)
    {
      GtkWidget *row = cb_certificate_row_new (g_ptr_array_index (chain, i), chain_role (chain, i));

      /* The bar marks the station's renewal point, not the default one. */
      cb_certificate_row_set_renewal_fraction (CB_CERTIFICATE_ROW (row), fraction);
      cb_certificate_row_set_chain (CB_CERTIFICATE_ROW (row), chain, i);
      gtk_list_box_append (self->chain_list, row);
    }
  gtk_widget_set_visible (self->chain_group, chain != NULL && chain->len > 0);
}

static void
show_result (CbBenchPage    *self,
             CbBenchSession *s)
{
  GtkWidget *label = GTK_WIDGET (self->result_label);
  CbRunResult *result = cb_bench_session_get_result (s);
  g_autofree char *detail = NULL;
  const char *text;

  gtk_widget_remove_css_class (label, "success");
  gtk_widget_remove_css_class (label, "error");
  gtk_widget_remove_css_class (label, "accent");
  gtk_widget_remove_css_class (label, "dim-label");

  switch (_cb_bench_page_row_state (s))
    {
    case CB_PORT_ROW_RUNNING:
      text = _("Running…");
      gtk_widget_add_css_class (label, "accent");
      detail = g_strdup (_("Keep the device connected until the result shows."));
      break;
    case CB_PORT_ROW_PASSED:
      text = _("PASS");
      gtk_widget_add_css_class (label, "success");
      if (result != NULL)
        /* Translators: the summary under PASS */
        detail = g_strdup_printf (_("%s is registered as %s on %s (%.1f s)"),
                                  cb_run_result_get_device_serial (result),
                                  cb_run_result_get_registration_id (result),
                                  cb_run_result_get_hub (result),
                                  cb_run_result_get_duration_ms (result) / 1000.0);
      if (result != NULL && cb_run_result_get_onboarding_fingerprint (result) != NULL)
        {
          char *summary = detail;

          /* Translators: a second line under PASS; %s is a SHA-256 fingerprint (AB:CD:…) */
          detail = g_strdup_printf (_("%s\nOnboarded with its X.509 certificate, SHA-256 %s"),
                                    summary, cb_run_result_get_onboarding_fingerprint (result));
          g_free (summary);
        }
      break;
    case CB_PORT_ROW_FAILED:
      text = _("FAIL");
      gtk_widget_add_css_class (label, "error");
      if (result != NULL && cb_run_result_get_error (result) != NULL)
        {
          const GError *error = cb_run_result_get_error (result);

          if (cb_run_result_get_outcome_unknown (result))
            /* Translators: %s is the error; the commit's answer was lost */
            detail = g_strdup_printf (_("%s. Which certificate the device has is unknown until "
                                        "it answers again."), error->message);
          else if (cb_run_result_get_device_changed (result))
            /* Translators: %s is the error; the device's certificate did change */
            detail = g_strdup_printf (_("%s. The device has a new certificate."), error->message);
          else
            /* Translators: %s is the error */
            detail = g_strdup_printf (_("%s. The device keeps the certificate it had."),
                                      error->message);
        }
      else
        detail = g_strdup (cb_bench_session_get_message (s));
      break;
    case CB_PORT_ROW_IDLE:
    default:
      text = _("Ready");
      gtk_widget_add_css_class (label, "dim-label");
      detail = g_strdup (_("Press Provision to give this device its certificate."));
      break;
    }
  gtk_label_set_label (self->result_label, text);
  gtk_label_set_label (self->result_detail_label, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_detail_label), detail != NULL);
}

static void
scroll_log_to_end (CbBenchPage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->log_view);
  GtkTextMark *mark = gtk_text_buffer_get_mark (buffer, "end");
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  if (mark == NULL)
    mark = gtk_text_buffer_create_mark (buffer, "end", &end, FALSE);
  else
    gtk_text_buffer_move_mark (buffer, mark, &end);
  gtk_text_view_scroll_mark_onscreen (self->log_view, mark);
}

static void
update_log_stats (CbBenchPage    *self,
                  CbBenchSession *s)
{
  CbSmpTransportStats stats;
  g_autofree char *text = NULL;

  cb_bench_session_get_stats (s, &stats);
  if (stats.requests == 0)
    {
      gtk_label_set_label (self->log_stats_label, "");
      return;
    }
  /* Translators: protocol counters next to the log title */
  /* xgettext cannot expand G_GUINT64_FORMAT, so the counts go through %u (they stay small). */
  text = g_strdup_printf (_("%u requests · %u retries · %u CRC errors"),
                          (guint) MIN (stats.requests, G_MAXUINT),
                          (guint) MIN (stats.retries, G_MAXUINT),
                          (guint) MIN (stats.err_crc, G_MAXUINT));
  gtk_label_set_label (self->log_stats_label, text);
}

void
_cb_bench_page_show_session (CbBenchPage    *self,
                             CbBenchSession *s)
{
  g_autofree char *display = NULL;
  g_autofree char *subtitle = NULL;
  CbSerialPortInfo *info;
  CbProvisioningRun *run;
  const char *path;
  gboolean running;

  if (s == NULL)
    {
      if (!self->board_shown)
        gtk_stack_set_visible_child_name (self->run_stack, "empty");
      gtk_list_box_bind_model (self->steps_list, G_LIST_MODEL (self->no_steps),
                               create_step_row, NULL, NULL);
      g_object_set_data (G_OBJECT (self->steps_list), "bound-run", NULL);
      return;
    }

  info = cb_bench_session_get_info (s);
  run = cb_bench_session_get_run (s);
  path = cb_bench_session_get_path (s);
  running = _cb_bench_page_row_state (s) == CB_PORT_ROW_RUNNING;
  /* The board, when shown, stays: the run shows when its tile or port is chosen. */
  if (!self->board_shown)
    gtk_stack_set_visible_child_name (self->run_stack, "run");

  /* Another port, a new run or its result: back to the top, where the result is. A
   * scroll position kept from the last run would leave PASS/FAIL out of sight. */
  if (self->shown_session != s || self->shown_state != _cb_bench_page_row_state (s))
    {
      GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment (self->run_scroller);

      gtk_adjustment_set_value (vadjustment, gtk_adjustment_get_lower (vadjustment));
      self->shown_session = s;
      self->shown_state = _cb_bench_page_row_state (s);
    }

  if (info != NULL)
    {
      const char *serial = cb_serial_port_info_get_serial_number (info);

      display = cb_serial_port_info_dup_display_name (info);
      subtitle = serial != NULL
                   /* Translators: port path and the device's serial number */
                   ? g_strdup_printf (_("%s · Serial %s"), path, serial)
                   : g_strdup (path);
    }
  /* Which driver answered the probe of a port set to "auto". */
  if (cb_bench_session_get_probed_driver (s) != NULL)
    {
      char *with_driver =
        /* Translators: port (and serial) · the driver that answered the probe */
        g_strdup_printf (_("%s · %s, found by the probe"),
                         subtitle != NULL ? subtitle : path,
                         cb_device_drivers_get_title (cb_bench_session_get_probed_driver (s)));

      g_free (subtitle);
      subtitle = with_driver;
    }
  gtk_label_set_label (self->port_title_label, display != NULL ? display : path);
  gtk_label_set_label (self->port_subtitle_label, subtitle != NULL ? subtitle : "");

  /* The target first: the action takes a port and a button without one would warn. */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->provision_button), "s", path);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->cancel_button), "s", path);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->provision_button), "bench.provision");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cancel_button), "bench.cancel");
  gtk_widget_set_visible (GTK_WIDGET (self->provision_button), !running);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), running);
  if (!running && _cb_bench_page_row_state (s) != CB_PORT_ROW_IDLE)
    gtk_button_set_label (self->provision_button, _("_Provision Again"));
  else
    gtk_button_set_label (self->provision_button, _("_Provision"));

  show_result (self, s);

  /* Rebinding would rebuild the rows on every state change: only when the run changes. */
  if (g_object_get_data (G_OBJECT (self->steps_list), "bound-run") != (gpointer) run)
    {
      gtk_list_box_bind_model (self->steps_list,
                               run != NULL ? cb_provisioning_run_get_steps (run)
                                              : G_LIST_MODEL (self->no_steps),
                               create_step_row, NULL, NULL);
      /* A reference, so a later run cannot reuse the address and look already bound. */
      g_object_set_data_full (G_OBJECT (self->steps_list), "bound-run",
                              run != NULL ? g_object_ref (run) : NULL,
                              run != NULL ? g_object_unref : NULL);
    }

  _cb_bench_page_show_chain (self, s);

  if (gtk_text_view_get_buffer (self->log_view) != _cb_bench_page_session_buffer (s))
    {
      gtk_text_view_set_buffer (self->log_view, _cb_bench_page_session_buffer (s));
      scroll_log_to_end (self);
    }
  update_log_stats (self, s);
}

/* ---- Protocol log ----------------------------------------------------------------------- */

CbBenchPage *
_cb_bench_page_session_page (CbBenchSession *s)
{
  return g_object_get_data (G_OBJECT (s), "page");
}

void
_cb_bench_page_session_log_and_show (CbBenchSession *s,
                                     const char     *tag,
                                     const char     *text)
{
  CbBenchPage *self = _cb_bench_page_session_page (s);

  _cb_bench_page_session_log (s, tag, text);
  /* The run logs each step: the port's tile follows it. */
  if (self != NULL && _cb_bench_page_row_state (s) == CB_PORT_ROW_RUNNING)
    _cb_bench_page_update_tile (self, s);
  if (self != NULL && g_strcmp0 (self->selected_path, cb_bench_session_get_path (s)) == 0)
    {
      scroll_log_to_end (self);
      update_log_stats (self, s);
    }
}
