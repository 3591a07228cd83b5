/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The bench page's insides, shared by the files it is split into (GNOME Text Editor's
 * editor-window-private.h pattern): cb-bench-page.c (the widget and its lifecycle),
 * cb-bench-page-session-view.c (each port's session, its protocol log and the view of its
 * run), cb-bench-page-ports.c (the port list and the virtual device), cb-bench-page-actions.c
 * (the runs and the page's run actions), cb-bench-page-station.c (the station's health,
 * settings and the actions that fix it) and cb-bench-page-board.c (the board of big per-port
 * results and the unattended station's notifications and sounds). */

#include <adwaita.h>

#include "cb-bench-session.h"
#include "cb-context.h"
#include "cb-port-row.h"
#include "cb-station.h"
#include "cb-station-chooser.h"
#include "cb-station-feedback.h"

#include "cb-bench-page.h"

G_BEGIN_DECLS

#define SETTINGS_SCHEMA   "io.github.certbench.Certbench"
#define LOG_MAX_LINES     4000
/* No periodic chatter: with nobody reading the pty the devsim would retry its writes every few
 * milliseconds once the tty buffer is full. The device still logs what it does. */
#define VIRTUAL_CHATTER_MS 0

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
  CbStationFeedback    *feedback;
  GtkFlowBox           *board;          /* a tile per port, in run_stack's "board" page */
  gboolean              board_shown;

  /* Borrowed */
  CbPortMonitor        *monitor;
  CbStationChooser     *chooser;        /* weak */
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_N_PASSED,
  PROP_N_FAILED,
  PROP_N_RUNNING,
  N_PROPS
};

extern GParamSpec *_cb_bench_page_properties[N_PROPS];

/* cb-bench-page-session-view.c */
GtkTextBuffer *_cb_bench_page_session_buffer (CbBenchSession *s);
CbPortRowState _cb_bench_page_row_state (CbBenchSession *s);
void _cb_bench_page_session_log (CbBenchSession *s,
                                 const char     *tag,
                                 const char     *text);
CbBenchSession *_cb_bench_page_lookup_session (CbBenchPage *self,
                                               const char  *path,
                                               gboolean     create);
CbPortRow *_cb_bench_page_find_port_row (CbBenchPage *self,
                                         const char  *path);
void _cb_bench_page_update_counters (CbBenchPage *self);
void _cb_bench_page_set_session_state (CbBenchPage    *self,
                                       CbBenchSession *s,
                                       CbPortRowState  state);
void _cb_bench_page_show_chain (CbBenchPage    *self,
                                CbBenchSession *s);
void _cb_bench_page_show_session (CbBenchPage    *self,
                                  CbBenchSession *s);
CbBenchPage *_cb_bench_page_session_page (CbBenchSession *s);
void _cb_bench_page_session_log_and_show (CbBenchSession *s,
                                          const char     *tag,
                                          const char     *text);

/* cb-bench-page-ports.c */
void _cb_bench_page_select_port (CbBenchPage *self,
                                 const char  *path);
void _cb_bench_page_on_ports_list_row_selected_cb (CbBenchPage   *self,
                                                   GtkListBoxRow *row);
void _cb_bench_page_on_ports_list_row_activated_cb (CbBenchPage   *self,
                                                    GtkListBoxRow *row);
void _cb_bench_page_show_ports_action (GtkWidget  *widget,
                                       const char *action_name,
                                       GVariant   *parameter);
GtkWidget *_cb_bench_page_create_port_row (gpointer item,
                                           gpointer user_data);
void _cb_bench_page_on_port_added (CbBenchPage      *self,
                                   CbSerialPortInfo *info);
void _cb_bench_page_on_port_removed (CbBenchPage      *self,
                                     CbSerialPortInfo *info);
void _cb_bench_page_on_ports_scanned (CbBenchPage *self);
void _cb_bench_page_start_virtual_device (CbBenchPage *self);

/* cb-bench-page-actions.c */
void _cb_bench_page_toast (CbBenchPage *self,
                           const char  *text);
void _cb_bench_page_invalidate_config (CbBenchPage *self);
void _cb_bench_page_provision_port (CbBenchPage *self,
                                    const char  *path);
void _cb_bench_page_provision_action (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter);
void _cb_bench_page_provision_selected_action (GtkWidget  *widget,
                                               const char *action_name,
                                               GVariant   *parameter);
void _cb_bench_page_cancel_action (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter);
void _cb_bench_page_reset_counters_action (GtkWidget  *widget,
                                           const char *action_name,
                                           GVariant   *parameter);
void _cb_bench_page_clear_log_action (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter);

/* cb-bench-page-board.c */
void _cb_bench_page_init_board (CbBenchPage *self);
void _cb_bench_page_update_tile (CbBenchPage    *self,
                                 CbBenchSession *s);
void _cb_bench_page_show_board (CbBenchPage *self,
                                gboolean     shown);
void _cb_bench_page_show_board_action (GtkWidget  *widget,
                                       const char *action_name,
                                       GVariant   *parameter);
void _cb_bench_page_announce (CbBenchPage    *self,
                              CbBenchSession *s);

/* cb-bench-page-station.c */
void _cb_bench_page_check_station (CbBenchPage *self);
void _cb_bench_page_on_map_cb (CbBenchPage *self);
void _cb_bench_page_on_station_changed_cb (CbBenchPage *self);
void _cb_bench_page_choose_policy_action (GtkWidget  *widget,
                                          const char *action_name,
                                          GVariant   *parameter);
void _cb_bench_page_choose_enrollment_action (GtkWidget  *widget,
                                              const char *action_name,
                                              GVariant   *parameter);
void _cb_bench_page_fix_station_action (GtkWidget  *widget,
                                        const char *action_name,
                                        GVariant   *parameter);
void _cb_bench_page_update_station (CbBenchPage *self);
void _cb_bench_page_on_template_row_apply_cb (CbBenchPage *self);
void _cb_bench_page_update_actions (CbBenchPage *self);
void _cb_bench_page_update_virtual_device_clock (CbBenchPage *self);
void _cb_bench_page_on_context_changed (CbBenchPage *self);
void _cb_bench_page_on_renewal_fraction_changed (CbBenchPage *self);

G_END_DECLS
