/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-bench-session.h"
#include "cb-registration-template.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"

#include "cb-certificate-row.h"
#include "cb-page-context.h"
#include "cb-port-row.h"
#include "cb-run-step-row.h"
#include "cb-station.h"
#include "cb-toasts.h"

#include "cb-bench-page.h"

#define SETTINGS_SCHEMA   "io.github.certbench.Certbench"
#define LOG_MAX_LINES     4000
/* No periodic chatter: with nobody reading the pty the devsim would retry its writes every few
 * milliseconds once the tty buffer is full. The device still logs what it does. */
#define VIRTUAL_CHATTER_MS 0

/* ---- One port's protocol log ----------------------------------------------------------- */

/* The session (core's CbBenchSession) holds the port and its runs; the page keeps each port's
 * log as a text buffer, attached to its session. */
static GtkTextBuffer *
session_buffer (CbBenchSession *s)
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

static CbPortRowState
row_state (CbBenchSession *s)
{
  return (CbPortRowState) cb_bench_session_get_state (s);
}

static void
session_log (CbBenchSession *s,
             const char     *tag,
             const char     *text)
{
  GtkTextBuffer *log = session_buffer (s);
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

/* ---- The page --------------------------------------------------------------------------- */

struct _CbBenchPage
{
  AdwBin                parent_instance;

  /* Template widgets */
  AdwLeaflet           *leaflet;
  GtkScrolledWindow    *run_scroller;
  GtkLabel             *passed_label;
  GtkLabel             *failed_label;
  GtkListBox           *ports_list;
  AdwActionRow         *policy_row;
  AdwActionRow         *enrollment_row;
  AdwEntryRow          *template_row;
  GtkSwitch            *auto_start_switch;
  GtkStack             *run_stack;
  GtkLabel             *port_title_label;
  GtkLabel             *port_subtitle_label;
  GtkButton            *cancel_button;
  GtkButton            *provision_button;
  GtkLabel             *result_label;
  GtkLabel             *result_detail_label;
  GtkListBox           *steps_list;
  GtkWidget            *chain_group;
  GtkListBox           *chain_list;
  GtkLabel             *log_stats_label;
  GtkScrolledWindow    *log_scroller;
  GtkTextView          *log_view;
  GtkInfoBar           *station_bar;
  GtkLabel             *station_bar_label;
  GtkButton            *station_bar_button;

  /* Owned */
  CbContext            *context;
  GSettings            *settings;
  CbVirtualDevice      *virtual_device;
  CbProvisioningConfig *config;
  GCancellable         *config_cancellable;
  GPtrArray            *waiting;        /* sessions waiting for the config */
  GHashTable           *sessions;       /* path -> CbBenchSession */
  GListStore           *no_steps;
  char                 *selected_path;
  CbBenchSession       *shown_session;   /* borrowed, only compared: the run last on screen */
  CbPortRowState        shown_state;
  guint                 n_passed;
  guint                 n_failed;
  guint                 n_running;
  CbStationHealth      *health;         /* NULL until checked */
  GCancellable         *health_cancellable;

  /* Borrowed */
  CbPortMonitor        *monitor;
  CbStationChooser     *chooser;        /* weak */
};

G_DEFINE_FINAL_TYPE (CbBenchPage, cb_bench_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_N_PASSED,
  PROP_N_FAILED,
  PROP_N_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void show_session (CbBenchPage *self, CbBenchSession *s);
static void session_log_and_show (CbBenchSession *s, const char *tag, const char *text);
static void check_station (CbBenchPage *self);
static void update_station (CbBenchPage *self);

static CbBenchSession *
lookup_session (CbBenchPage *self,
                const char  *path,
                gboolean     create)
{
  CbBenchSession *s = g_hash_table_lookup (self->sessions, path);

  if (s == NULL && create)
    {
      g_autofree char *intro = NULL;

      s = cb_bench_session_new (path);
      g_object_set_data (G_OBJECT (s), "page", self);
      g_signal_connect (s, "log", G_CALLBACK (session_log_and_show), NULL);
      g_hash_table_insert (self->sessions, (gpointer) cb_bench_session_get_path (s), s);
      /* Translators: first line of a port's protocol log */
      intro = g_strdup_printf (_("Protocol log of %s: decoded frames, CRC errors, retries and "
                                 "the device’s own log text appear here while the station talks "
                                 "to it."),
                               path);
      session_log (s, "time", intro);
    }
  if (s != NULL && self->monitor != NULL)
    {
      CbSerialPortInfo *info = cb_port_monitor_lookup (self->monitor, path);

      if (info != NULL)
        cb_bench_session_set_info (s, info);
    }
  return s;
}

static CbPortRow *
find_port_row (CbBenchPage *self,
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

static void
update_counters (CbBenchPage *self)
{
  g_autofree char *passed = g_strdup_printf ("%u", self->n_passed);
  g_autofree char *failed = g_strdup_printf ("%u", self->n_failed);

  gtk_label_set_label (self->passed_label, passed);
  gtk_label_set_label (self->failed_label, failed);
}

static void
set_session_state (CbBenchPage    *self,
                   CbBenchSession *s,
                   CbPortRowState  state)
{
  CbPortRow *row;
  gboolean was_running = row_state (s) == CB_PORT_ROW_RUNNING;

  cb_bench_session_set_state (s, (CbBenchSessionState) state);
  if (was_running != (state == CB_PORT_ROW_RUNNING))
    {
      self->n_running += state == CB_PORT_ROW_RUNNING ? 1 : -1;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RUNNING]);
    }
  row = find_port_row (self, cb_bench_session_get_path (s));
  if (row != NULL)
    cb_port_row_set_state (row, state);
  if (g_strcmp0 (self->selected_path, cb_bench_session_get_path (s)) == 0)
    show_session (self, s);
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

static void
show_chain (CbBenchPage    *self,
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

  for (guint i = 0; chain != NULL && i < chain->len; i++)
    {
      GtkWidget *row = cb_certificate_row_new (g_ptr_array_index (chain, i), chain_role (chain, i));

      /* The bar marks the station's renewal point, not the default one. */
      cb_certificate_row_set_renewal_fraction (CB_CERTIFICATE_ROW (row), fraction);
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

  switch (row_state (s))
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

static void
show_session (CbBenchPage    *self,
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
      gtk_stack_set_visible_child_name (self->run_stack, "empty");
      gtk_list_box_bind_model (self->steps_list, G_LIST_MODEL (self->no_steps),
                               create_step_row, NULL, NULL);
      g_object_set_data (G_OBJECT (self->steps_list), "bound-run", NULL);
      return;
    }

  info = cb_bench_session_get_info (s);
  run = cb_bench_session_get_run (s);
  path = cb_bench_session_get_path (s);
  running = row_state (s) == CB_PORT_ROW_RUNNING;
  gtk_stack_set_visible_child_name (self->run_stack, "run");

  /* Another port, a new run or its result: back to the top, where the result is. A
   * scroll position kept from the last run would leave PASS/FAIL out of sight. */
  if (self->shown_session != s || self->shown_state != row_state (s))
    {
      GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment (self->run_scroller);

      gtk_adjustment_set_value (vadjustment, gtk_adjustment_get_lower (vadjustment));
      self->shown_session = s;
      self->shown_state = row_state (s);
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
  gtk_label_set_label (self->port_title_label, display != NULL ? display : path);
  gtk_label_set_label (self->port_subtitle_label, subtitle != NULL ? subtitle : "");

  /* The target first: the action takes a port and a button without one would warn. */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->provision_button), "s", path);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->cancel_button), "s", path);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->provision_button), "bench.provision");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cancel_button), "bench.cancel");
  gtk_widget_set_visible (GTK_WIDGET (self->provision_button), !running);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), running);
  if (!running && row_state (s) != CB_PORT_ROW_IDLE)
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

  show_chain (self, s);

  if (gtk_text_view_get_buffer (self->log_view) != session_buffer (s))
    {
      gtk_text_view_set_buffer (self->log_view, session_buffer (s));
      scroll_log_to_end (self);
    }
  update_log_stats (self, s);
}

static void
select_port (CbBenchPage *self,
             const char  *path)
{
  CbPortRow *row = find_port_row (self, path);

  if (row != NULL)
    gtk_list_box_select_row (self->ports_list, GTK_LIST_BOX_ROW (row));
}

static void
on_ports_list_row_selected_cb (CbBenchPage   *self,
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
  show_session (self, lookup_session (self, self->selected_path, TRUE));
  /* Folded (a narrow window), the run replaces the port list. */
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->run_stack));
}

static void
on_ports_list_row_activated_cb (CbBenchPage   *self,
                                GtkListBoxRow *row)
{
  g_assert (CB_IS_BENCH_PAGE (self));

  /* The row already selected: selecting it again is no signal, but it should show the run. */
  if (CB_IS_PORT_ROW (row) && self->selected_path != NULL &&
      g_strcmp0 (self->selected_path, cb_port_row_get_path (CB_PORT_ROW (row))) == 0)
    adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->run_stack));
}

static void
show_ports_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* ---- Protocol log ----------------------------------------------------------------------- */

static CbBenchPage *
session_page (CbBenchSession *s)
{
  return g_object_get_data (G_OBJECT (s), "page");
}

static void
session_log_and_show (CbBenchSession *s,
                      const char     *tag,
                      const char     *text)
{
  CbBenchPage *self = session_page (s);

  session_log (s, tag, text);
  if (self != NULL && g_strcmp0 (self->selected_path, cb_bench_session_get_path (s)) == 0)
    {
      scroll_log_to_end (self);
      update_log_stats (self, s);
    }
}

/* ---- Runs ------------------------------------------------------------------------------- */

static void
toast (CbBenchPage *self,
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
  session_log_and_show (s, "error", line);
  self->n_failed++;
  update_counters (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
  set_session_state (self, s, CB_PORT_ROW_FAILED);
  toast (self, line);
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
  CbBenchPage *self = session_page (s);

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
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PASSED]);
      /* Translators: toast, %s is the registration id */
      line = g_strdup_printf (_("PASS: %s provisioned"),
                              cb_run_result_get_registration_id (run_result));
      session_log_and_show (s, "station", line);
      update_counters (self);
      set_session_state (self, s, CB_PORT_ROW_PASSED);
    }
  else
    {
      const GError *run_error = cb_run_result_get_error (run_result);

      if (g_error_matches (run_error, CB_RUN_ERROR, CB_RUN_ERROR_CANCELLED))
        {
          session_log_and_show (s, "station", _("Run cancelled"));
          cb_bench_session_clear_result (s);
          set_session_state (self, s, CB_PORT_ROW_IDLE);
          return;
        }
      self->n_failed++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
      line = g_strdup_printf (_("FAIL: %s"), run_error != NULL ? run_error->message : "?");
      session_log_and_show (s, "error", line);
      update_counters (self);
      set_session_state (self, s, CB_PORT_ROW_FAILED);
      /* A failure may come from the station's enrollment or policy: the banner says so. */
      check_station (self);
    }
  toast (self, line);
}

static void
start_session_run (CbBenchPage    *self,
                   CbBenchSession *s)
{
  g_autoptr(GError) error = NULL;

  /* Read at every start: the preference may change between runs. */
  cb_provisioning_config_set_hub_check (self->config,
                                        self->settings == NULL ||
                                        g_settings_get_boolean (self->settings, "hub-check"));
  if (!cb_bench_session_open (s, self->config, &error))
    {
      session_failed_to_start (self, s, error->message);
      return;
    }
  if (g_strcmp0 (self->selected_path, cb_bench_session_get_path (s)) == 0)
    show_session (self, s);

  cb_bench_session_run_async (s, cb_context_get_cancellable (self->context), run_cb,
                              g_object_ref (s));
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

static void
invalidate_config (CbBenchPage *self)
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

static void
provision_port (CbBenchPage *self,
                const char  *path)
{
  CbBenchSession *s;
  g_autofree char *line = NULL;

  s = lookup_session (self, path, TRUE);
  if (row_state (s) == CB_PORT_ROW_RUNNING)
    {
      toast (self, _("This port is already provisioning"));
      return;
    }

  cb_bench_session_reset (s);

  /* Translators: first log line of a run, %s is the port */
  line = g_strdup_printf (_("Provisioning the device on %s"), path);
  session_log (s, "station", line);

  if (self->selected_path == NULL)
    select_port (self, path);
  set_session_state (self, s, CB_PORT_ROW_RUNNING);

  g_ptr_array_add (self->waiting, g_object_ref (s));
  ensure_config (self);
}

static void
provision_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);
  const char *path = g_variant_get_string (parameter, NULL);

  if (self->selected_path == NULL || g_strcmp0 (self->selected_path, path) != 0)
    select_port (self, path);
  provision_port (self, path);
}

static void
provision_selected_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  if (self->selected_path == NULL)
    {
      toast (self, _("Choose a port first"));
      return;
    }
  provision_port (self, self->selected_path);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);
  CbBenchSession *s = lookup_session (self, g_variant_get_string (parameter, NULL), FALSE);

  if (s == NULL || row_state (s) != CB_PORT_ROW_RUNNING)
    return;
  cb_bench_session_cancel (s);
  /* Still waiting for the config: nothing was sent to the device. */
  if (g_ptr_array_remove (self->waiting, s))
    {
      session_log_and_show (s, "station", _("Run cancelled"));
      set_session_state (self, s, CB_PORT_ROW_IDLE);
    }
}

static void
reset_counters_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  self->n_passed = self->n_failed = 0;
  update_counters (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PASSED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FAILED]);
  toast (self, _("Counters reset for a new shift"));
}

static void
clear_log_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->log_view), "", 0);
}

/* ---- Station settings ------------------------------------------------------------------- */

static void
set_row_subtitle (AdwActionRow *row,
                  const char   *text)
{
  adw_action_row_set_subtitle (row, text != NULL && *text != '\0' ? text : _("Not set"));
}

/* ---- Station health: the banner, the rows and the choosers ----------------------------- */

static gboolean
is_policy_problem (CbStationProblem problem)
{
  return problem == CB_STATION_NO_POLICY || problem == CB_STATION_POLICY_MISSING ||
         problem == CB_STATION_POLICY_CANNOT_ISSUE;
}

static void
show_health (CbBenchPage *self)
{
  CbStationHealth *health = self->health;
  g_autofree char *text = health != NULL ? cb_station_health_describe (health) : NULL;
  g_autofree char *subtitle = NULL;

  gtk_label_set_label (self->station_bar_label, text != NULL ? text : "");
  gtk_info_bar_set_revealed (self->station_bar, text != NULL);
  if (text == NULL)
    return;

  gtk_button_set_label (self->station_bar_button,
                        is_policy_problem (health->problem) ? _("Choose _Policy…")
                                                            : _("Choose _Enrollment Group…"));

  /* The rows say it too, where the station's settings are. */
  switch (health->problem)
    {
    case CB_STATION_ENROLLMENT_MISSING:
      /* Translators: an enrollment group id */
      subtitle = g_strdup_printf (_("%s · no longer exists"), health->enrollment_group);
      adw_action_row_set_subtitle (self->enrollment_row, subtitle);
      break;
    case CB_STATION_ENROLLMENT_DISABLED:
      subtitle = g_strdup_printf (_("%s · disabled"), health->enrollment_group);
      adw_action_row_set_subtitle (self->enrollment_row, subtitle);
      break;
    case CB_STATION_POLICY_MISSING:
      /* Translators: a policy name */
      subtitle = g_strdup_printf (_("%s · no longer exists"), health->policy);
      adw_action_row_set_subtitle (self->policy_row, subtitle);
      break;
    case CB_STATION_POLICY_CANNOT_ISSUE:
      subtitle = g_strdup_printf (_("%s · cannot issue yet"), health->policy);
      adw_action_row_set_subtitle (self->policy_row, subtitle);
      break;
    case CB_STATION_OK:
    case CB_STATION_NO_ENROLLMENT:
    case CB_STATION_NO_POLICY:
    default:
      break;
    }
}

static void
check_station_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GWeakRef *ref = user_data;
  g_autoptr(CbBenchPage) self = g_weak_ref_get (ref);
  g_autoptr(CbStationHealth) health = NULL;
  g_autoptr(GError) error = NULL;

  g_weak_ref_clear (ref);
  g_free (ref);
  health = cb_station_check_finish (CB_CONTEXT (object), result, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      self->context == NULL)
    return;
  /* Not knowing is not a problem to announce: the next run or check tells. */
  if (health == NULL)
    g_debug ("The station could not be checked: %s", error->message);

  g_clear_pointer (&self->health, cb_station_health_free);
  self->health = g_steal_pointer (&health);
  update_station (self);
}

static void
check_station (CbBenchPage *self)
{
  GWeakRef *ref;

  if (self->health_cancellable != NULL)
    g_cancellable_cancel (self->health_cancellable);
  g_clear_object (&self->health_cancellable);

  if (self->context == NULL || cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    {
      g_clear_pointer (&self->health, cb_station_health_free);
      show_health (self);
      return;
    }

  self->health_cancellable = g_cancellable_new ();
  /* A weak reference: a check still on its way must not keep a closed page (and its Virtual
   * device, which follows the sandbox's clock) alive. */
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  cb_station_check_async (self->context, self->health_cancellable, check_station_cb, ref);
}

/* Coming back to the bench (after deleting a policy on the Registry page, say) shows the
 * station as the services have it now. */
static void
on_map_cb (CbBenchPage *self)
{
  g_assert (CB_IS_BENCH_PAGE (self));
  check_station (self);
}

static void
on_station_changed_cb (CbBenchPage *self)
{
  g_assert (CB_IS_BENCH_PAGE (self));

  /* The next run registers with the new group's key and checks against the new policy. */
  invalidate_config (self);
  update_station (self);
  check_station (self);
}

static void
open_chooser (CbBenchPage          *self,
              CbStationChooserKind  kind)
{
  CbStationChooser *chooser = cb_station_chooser_new (self->context, kind);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (chooser), GTK_WINDOW (root));
  if (self->chooser != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->chooser), (gpointer *) &self->chooser);
  self->chooser = chooser;
  g_object_add_weak_pointer (G_OBJECT (chooser), (gpointer *) &self->chooser);
  gtk_window_present (GTK_WINDOW (chooser));
}

static void
choose_policy_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  open_chooser (CB_BENCH_PAGE (widget), CB_STATION_CHOOSER_POLICY);
}

static void
choose_enrollment_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  open_chooser (CB_BENCH_PAGE (widget), CB_STATION_CHOOSER_ENROLLMENT_GROUP);
}

static void
fix_station_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  open_chooser (self, self->health != NULL && is_policy_problem (self->health->problem)
                        ? CB_STATION_CHOOSER_POLICY : CB_STATION_CHOOSER_ENROLLMENT_GROUP);
}

static void
update_station (CbBenchPage *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);
  g_autofree char *enrollment = NULL;

  if (profile == NULL)
    {
      set_row_subtitle (self->policy_row, NULL);
      set_row_subtitle (self->enrollment_row, NULL);
      return;
    }
  set_row_subtitle (self->policy_row, cb_profile_get_credential_policy (profile));
  if (cb_profile_get_enrollment_group_id (profile) != NULL)
    /* Translators: enrollment group id and the DPS it is in */
    enrollment = g_strdup_printf (_("%s in %s (ID scope %s)"),
                                  cb_profile_get_enrollment_group_id (profile),
                                  cb_profile_get_dps_name (profile) != NULL
                                    ? cb_profile_get_dps_name (profile) : "DPS",
                                  cb_profile_get_dps_id_scope (profile) != NULL
                                    ? cb_profile_get_dps_id_scope (profile) : "?");
  set_row_subtitle (self->enrollment_row, enrollment);
  show_health (self);
}

gboolean
cb_bench_page_set_registration_template (CbBenchPage  *self,
                                         const char   *template_text,
                                         GError      **error)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), FALSE);
  g_return_val_if_fail (template_text != NULL, FALSE);

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->template_row)), template_text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->template_row), template_text);

  if (!cb_registration_template_check (template_text, error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->template_row), "error");
      return FALSE;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->template_row), "error");
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "registration-id-template", template_text);
  /* Runs already going keep the template they started with. */
  invalidate_config (self);
  return TRUE;
}

static void
on_template_row_apply_cb (CbBenchPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->template_row)));

  g_assert (CB_IS_BENCH_PAGE (self));

  if (!cb_bench_page_set_registration_template (self, text, &error))
    toast (self, error->message);
  else
    toast (self, _("Registration ID template saved"));
}

static void
update_actions (CbBenchPage *self)
{
  /* A run registers through DPS and checks the issued chain against the policy it reads through
   * ARM, so it waits until the connection is ready (signed in): pressed earlier, it would fail
   * at the chain check with "the policy's validity is unknown". */
  gboolean can_run = cb_context_get_profile (self->context) != NULL &&
                     cb_context_get_dps (self->context) != NULL &&
                     cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY;

  gboolean ready = cb_context_get_profile (self->context) != NULL &&
                   cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.choose-policy", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.choose-enrollment", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.fix-station", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.provision", can_run);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.provision-selected", can_run);
}

/* The virtual device keeps the clock of the sandbox the station works with. */
static void
update_virtual_device_clock (CbBenchPage *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);
  const char *sandbox = profile != NULL ? cb_profile_get_sandbox_endpoint (profile) : NULL;
  g_autofree char *url = NULL;

  if (self->virtual_device == NULL ||
      cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    return;
  if (sandbox != NULL && *sandbox != '\0')
    url = g_strconcat (sandbox, "/sandbox/clock", NULL);
  cb_virtual_device_follow_clock (self->virtual_device, url,
                                  url != NULL ? cb_profile_get_pinned_ca_file (profile) : NULL);
}

static void
on_context_changed (CbBenchPage *self)
{
  invalidate_config (self);
  update_station (self);
  update_actions (self);
  update_virtual_device_clock (self);
  check_station (self);
}

static void
on_renewal_fraction_changed (CbBenchPage *self)
{
  CbBenchSession *s = NULL;

  if (self->selected_path != NULL)
    s = lookup_session (self, self->selected_path, FALSE);
  if (s != NULL)
    show_chain (self, s);
}

/* ---- Ports ------------------------------------------------------------------------------ */

static GtkWidget *
create_port_row (gpointer item,
                 gpointer user_data)
{
  CbBenchPage *self = user_data;
  CbSerialPortInfo *info = item;
  GtkWidget *row = cb_port_row_new (info);
  CbBenchSession *s = lookup_session (self, cb_serial_port_info_get_path (info), FALSE);

  if (s != NULL)
    cb_port_row_set_state (CB_PORT_ROW (row), row_state (s));
  return row;
}

static void
on_port_added (CbBenchPage      *self,
               CbSerialPortInfo *info)
{
  const char *path = cb_serial_port_info_get_path (info);

  if (g_strcmp0 (path, self->selected_path) == 0)
    select_port (self, path);
  if (self->settings != NULL && g_settings_get_boolean (self->settings, "auto-start"))
    provision_port (self, path);
}

static void
on_port_removed (CbBenchPage      *self,
                 CbSerialPortInfo *info)
{
  CbBenchSession *s = lookup_session (self, cb_serial_port_info_get_path (info), FALSE);

  /* An unplug mid-run ends the run through the port's own error; nothing to do here but let
   * the next device on this path start fresh. */
  if (s != NULL && row_state (s) != CB_PORT_ROW_RUNNING)
    session_log_and_show (s, "station", _("Device unplugged"));
}

static void
start_virtual_device (CbBenchPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = NULL;

  /* Next to the app's other data ($XDG_DATA_HOME/certbench), so a test context keeps it in
   * its own folder too. */
  if (cb_context_get_data_dir (self->context) != NULL)
    state_dir = g_build_filename (cb_context_get_data_dir (self->context), "virtual-device", NULL);
  else
    state_dir = cb_virtual_device_dup_default_state_dir ();

  self->virtual_device = cb_virtual_device_new (state_dir, VIRTUAL_CHATTER_MS, &error);
  if (self->virtual_device == NULL)
    {
      g_message ("The virtual device could not start: %s", error->message);
      return;
    }
  cb_virtual_device_set_monitor (self->virtual_device, self->monitor);
  update_virtual_device_clock (self);
}

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
                             G_CALLBACK (on_renewal_fraction_changed), self, G_CONNECT_SWAPPED);
  cb_page_context_watch (self, self->context, CB_PAGE_CONTEXT_PROFILE | CB_PAGE_CONTEXT_STATE,
                         G_CALLBACK (on_context_changed));
  g_signal_connect_object (self->context, "station-changed", G_CALLBACK (on_station_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "map", G_CALLBACK (on_map_cb), NULL);
  update_station (self);
  update_actions (self);
  check_station (self);

  self->monitor = cb_context_get_port_monitor (self->context);
  if (self->monitor != NULL)
    {
      GtkListBoxRow *first;

      gtk_list_box_bind_model (self->ports_list, cb_port_monitor_get_ports (self->monitor),
                               create_port_row, self, NULL);
      start_virtual_device (self);
      /* Show a port from the start rather than an empty pane. */
      first = gtk_list_box_get_row_at_index (self->ports_list, 0);
      if (first != NULL)
        gtk_list_box_select_row (self->ports_list, first);
      /* After the virtual device: auto-start is for devices plugged in from now on. */
      g_signal_connect_object (self->monitor, "port-added", G_CALLBACK (on_port_added), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->monitor, "port-removed", G_CALLBACK (on_port_removed), self,
                               G_CONNECT_SWAPPED);
    }
  if (self->selected_path == NULL)
    show_session (self, NULL);
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
          g_signal_handlers_disconnect_by_func (s, session_log_and_show, NULL);
          cb_bench_session_cancel (s);
        }
    }
  if (self->ports_list != NULL)
    gtk_list_box_bind_model (self->ports_list, NULL, NULL, NULL, NULL);
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

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CB_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PASSED] = g_param_spec_uint ("n-passed", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_FAILED] = g_param_spec_uint ("n-failed", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_RUNNING] = g_param_spec_uint ("n-running", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

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
  gtk_widget_class_bind_template_callback (widget_class, on_ports_list_row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_ports_list_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_template_row_apply_cb);

  gtk_widget_class_install_action (widget_class, "bench.provision", "s", provision_action);
  gtk_widget_class_install_action (widget_class, "bench.provision-selected", NULL,
                                   provision_selected_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "bench.provision-selected", NULL);
  gtk_widget_class_install_action (widget_class, "bench.cancel", "s", cancel_action);
  gtk_widget_class_install_action (widget_class, "bench.reset-counters", NULL,
                                   reset_counters_action);
  gtk_widget_class_install_action (widget_class, "bench.clear-log", NULL, clear_log_action);
  gtk_widget_class_install_action (widget_class, "bench.choose-policy", NULL, choose_policy_action);
  gtk_widget_class_install_action (widget_class, "bench.choose-enrollment", NULL,
                                   choose_enrollment_action);
  gtk_widget_class_install_action (widget_class, "bench.fix-station", NULL, fix_station_action);
  gtk_widget_class_install_action (widget_class, "bench.show-ports", NULL, show_ports_action);
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

  s = lookup_session (self, path, FALSE);
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

  s = lookup_session (self, path, FALSE);
  if (s == NULL)
    return NULL;
  gtk_text_buffer_get_bounds (session_buffer (s), &start, &end);
  return gtk_text_buffer_get_text (session_buffer (s), &start, &end, FALSE);
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
