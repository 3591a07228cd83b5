/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `station` command: a long-running station in one process. It watches the port monitor
 * (USB serial ports, plus the --port paths and the entries that appear in --pty-dir, which is
 * how simulated devices are plugged in) and provisions each device as its port appears, with
 * the configuration core's CbStation makes and one CbBenchSession per port, as the app's
 * station does. One sign-in, one session per service and one journal serve every run. Each
 * result is printed (a line, or a JSON object per line) and journaled; Ctrl+C cancels the runs
 * in flight, waits for them and stops.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <stdio.h>

#include "cb-bench-session.h"
#include "cb-error.h"
#include "cb-port-monitor.h"
#include "cb-secrets.h"
#include "cb-station.h"
#include "cb-udev-port-monitor.h"

#include "cb-cli-cmd-station.h"
#include "cb-cli-enrollment.h"
#include "cb-cli-shared.h"

typedef struct
{
  CbCliContext         *ctx;
  CbProvisioningConfig *config;
  CbPortMonitor        *monitor;
  GFileMonitor         *dir_monitor;
  GHashTable           *running;    /* path -> CbBenchSession */
  guint                 n_started;
  guint                 n_passed;
  guint                 n_failed;
  int                   worst;
} Station;

static void
print_result (Station        *station,
              CbBenchSession *session,
              CbRunResult    *result,
              const char     *message)
{
  CbCliContext *ctx = station->ctx;
  const GError *error = result != NULL ? cb_run_result_get_error (result) : NULL;
  gboolean passed = result != NULL && cb_run_result_get_passed (result);
  const char *text = message != NULL ? message : error != NULL ? error->message : NULL;

  if (ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *line = NULL;

      json_builder_begin_object (b);
      cb_cli_add_string (b, "port", cb_bench_session_get_path (session));
      cb_cli_add_string (b, "result", passed ? "pass" : "fail");
      cb_cli_add_string (b, "registrationId",
                         result != NULL ? cb_run_result_get_registration_id (result) : NULL);
      cb_cli_add_string (b, "deviceSerial",
                         result != NULL ? cb_run_result_get_device_serial (result) : NULL);
      cb_cli_add_string (b, "leafSerial",
                         result != NULL ? cb_run_result_get_leaf_serial (result) : NULL);
      cb_cli_add_string (b, "error", passed ? NULL : text);
      json_builder_set_member_name (b, "durationMs");
      json_builder_add_int_value (b, result != NULL ? cb_run_result_get_duration_ms (result) : 0);
      json_builder_set_member_name (b, "journalRunId");
      json_builder_add_int_value (b, result != NULL ? cb_run_result_get_journal_id (result) : 0);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (generator, root);
      line = json_generator_to_data (generator, NULL);
      printf ("%s\n", line);
    }
  else if (passed)
    printf ("PASS  %s on %s (%" G_GINT64_FORMAT " ms)\n", cb_run_result_get_registration_id (result),
            cb_bench_session_get_path (session), cb_run_result_get_duration_ms (result));
  else
    printf ("FAIL  %s: %s\n", cb_bench_session_get_path (session), text != NULL ? text : "?");
  fflush (stdout);
}

static void
count (Station *station,
       int      code)
{
  if (code == CB_CLI_EXIT_OK)
    station->n_passed++;
  else
    station->n_failed++;
  if (code != CB_CLI_EXIT_OK && (station->worst == CB_CLI_EXIT_OK || code < station->worst))
    station->worst = code;
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  CbBenchSession *session = CB_BENCH_SESSION (object);
  Station *station = user_data;
  g_autoptr(CbRunResult) run_result = NULL;
  g_autoptr(GError) error = NULL;

  run_result = cb_bench_session_run_finish (session, result, &error);
  if (run_result == NULL)
    {
      print_result (station, session, NULL, error->message);
      count (station, CB_CLI_EXIT_FAILED);
    }
  else if (!g_error_matches (cb_run_result_get_error (run_result), CB_RUN_ERROR,
                             CB_RUN_ERROR_CANCELLED))
    {
      print_result (station, session, run_result, NULL);
      count (station, cb_cli_exit_for_error (cb_run_result_get_error (run_result)));
    }
  g_hash_table_remove (station->running, cb_bench_session_get_path (session));
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  CbBenchSession *session = CB_BENCH_SESSION (object);
  Station *station = user_data;
  g_autoptr(GError) error = NULL;

  if (!cb_bench_session_open_finish (session, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          cb_bench_session_fail (session, error->message);
          print_result (station, session, NULL, error->message);
          count (station, CB_CLI_EXIT_DEVICE);
        }
      g_hash_table_remove (station->running, cb_bench_session_get_path (session));
      return;
    }

  cb_bench_session_run_async (session, station->ctx->cancellable, run_cb, station);
}

/* A device was plugged in: one run on its port, unless one is running there already. The
 * port is probed for its driver (SMP, then AT) unless --driver pins one. */
static void
on_port_added (CbPortMonitor    *monitor,
               CbSerialPortInfo *info,
               Station          *station)
{
  const char *path = cb_serial_port_info_get_path (info);
  int max_runs = station->ctx->options->max_runs;
  g_autoptr(CbBenchSession) session = NULL;

  if (g_cancellable_is_cancelled (station->ctx->cancellable) ||
      g_hash_table_contains (station->running, path) ||
      (max_runs > 0 && station->n_started >= (guint) max_runs))
    return;

  station->n_started++;
  session = cb_bench_session_new (path);
  cb_bench_session_set_info (session, info);
  cb_bench_session_reset (session);
  cb_bench_session_set_driver_name (session, station->ctx->options->driver);
  g_hash_table_insert (station->running, g_strdup (path), g_object_ref (session));
  cb_bench_session_open_async (session, station->config, station->ctx->cancellable, open_cb,
                               station);
}

static void
add_path (Station    *station,
          const char *path)
{
  g_autoptr(CbSerialPortInfo) info = cb_serial_port_info_new (path, 0, 0, NULL, NULL, NULL, TRUE);

  cb_port_monitor_add_port (station->monitor, info);
}

/* An entry appearing in --pty-dir is a device plugged in; one leaving it, unplugged. */
static void
on_dir_changed (GFileMonitor      *dir_monitor,
                GFile             *file,
                GFile             *other,
                GFileMonitorEvent  event,
                Station           *station)
{
  g_autofree char *path = g_file_get_path (file);

  if (event == G_FILE_MONITOR_EVENT_CREATED)
    add_path (station, path);
  else if (event == G_FILE_MONITOR_EVENT_DELETED)
    cb_port_monitor_remove_port (station->monitor, path);
}

static gboolean
watch_dir (Station     *station,
           const char  *dir,
           GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *child;

  station->dir_monitor = g_file_monitor_directory (file, G_FILE_MONITOR_NONE, NULL, error);
  if (station->dir_monitor == NULL)
    return FALSE;
  g_signal_connect (station->dir_monitor, "changed", G_CALLBACK (on_dir_changed), station);

  /* What is there already was plugged in before the station started. */
  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, error);
  if (children == NULL)
    return FALSE;
  while ((child = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, g_file_info_get_name (child), NULL);

      add_path (station, path);
      g_object_unref (child);
    }
  return TRUE;
}

static void
station_clear (Station *station)
{
  if (station->dir_monitor != NULL)
    g_signal_handlers_disconnect_by_data (station->dir_monitor, station);
  if (station->monitor != NULL)
    g_signal_handlers_disconnect_by_data (station->monitor, station);
  g_clear_object (&station->dir_monitor);
  g_clear_object (&station->monitor);
  g_clear_pointer (&station->running, g_hash_table_unref);
  g_clear_object (&station->config);
}

/* The configuration the app's station makes (cb_station_make_config), with what the command
 * line says on top. A sandbox found or started here keeps its group key in memory: it goes
 * into this process's memory secret store first, where CbStation reads it. */
static CbProvisioningConfig *
make_config (CbCliContext  *ctx,
             GError       **error)
{
  CbCliOptions *o = ctx->options;
  CbContext *context = ctx->context;
  CbSecrets *secrets = cb_context_get_secrets (context);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbProvisioningConfig) config = NULL;

  if (ctx->group_key != NULL && cb_secrets_is_memory (secrets))
    {
      g_autoptr(GAsyncResult) stored = NULL;

      cb_secrets_store_async (secrets, cb_profile_get_id (cb_context_get_profile (context)),
                              CB_SECRET_ENROLLMENT_GROUP_KEY, ctx->group_key, ctx->cancellable,
                              cb_cli_store_result, &stored);
      if (!cb_secrets_store_finish (secrets, cb_cli_wait (&stored), error))
        return NULL;
    }

  cb_station_make_config_async (context, o->template_text != NULL ? o->template_text : "{serial}",
                                ctx->cancellable, cb_cli_store_result, &result);
  config = cb_station_make_config_finish (context, cb_cli_wait (&result), error);
  if (config == NULL)
    return NULL;

  cb_provisioning_config_set_journal (config, ctx->journal);
  if (o->station != NULL)
    cb_provisioning_config_set_station (config, o->station);
  if (o->operator_name != NULL)
    cb_provisioning_config_set_operator (config, o->operator_name);
  cb_provisioning_config_set_key_type (config, o->key_type);
  cb_provisioning_config_set_validity_days (config, (guint) o->validity_days);
  cb_provisioning_config_set_hub_check (config, !o->no_hub_check);
  cb_provisioning_config_set_modem_sec_tag (config, cb_cli_get_sec_tag (ctx));
  return g_steal_pointer (&config);
}

int
cb_cli_cmd_station (CbCliContext *ctx)
{
  CbCliOptions *o = ctx->options;
  Station station = { .ctx = ctx, .worst = CB_CLI_EXIT_OK };
  g_autoptr(GError) error = NULL;
  g_autofree char *driver_problem = cb_cli_check_driver_option (ctx);

  if (driver_problem != NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "%s", driver_problem);
  if (o->validity_days < 0 || o->validity_days > 3650)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "--validity-days is out of range");
  if (o->max_runs < 0)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "--max-runs is out of range");
  if (o->registration_id != NULL)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE,
                        "--registration-id names one device: a station takes them from the template");

  if (!cb_cli_context_connect (ctx, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_CONFIG, "%s", error->message);
  if (!o->no_journal && !cb_cli_context_open_journal (ctx, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_JOURNAL, "The journal could not be opened: %s",
                        error->message);
  if (o->enrollment_group != NULL && !cb_cli_use_enrollment_group (ctx, o->enrollment_group, &error))
    return cb_cli_fail (ctx, cb_cli_exit_for_error (error), "%s", error->message);
  cb_cli_context_connect_arm (ctx);

  station.config = make_config (ctx, &error);
  if (station.config == NULL)
    return cb_cli_fail (ctx, cb_cli_exit_for_error (error), "%s", error->message);

  station.running = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  station.monitor = cb_udev_port_monitor_new ();
  /* Connected first: the ports there at the start count as plugged in. */
  g_signal_connect (station.monitor, "port-added", G_CALLBACK (on_port_added), &station);
  cb_port_monitor_start (station.monitor);
  for (guint i = 0; o->ports != NULL && o->ports[i] != NULL; i++)
    add_path (&station, o->ports[i]);
  if (o->pty_dir != NULL && !watch_dir (&station, o->pty_dir, &error))
    {
      station_clear (&station);
      return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "--pty-dir: %s", error->message);
    }

  cb_cli_note (ctx, "Station ready: provisioning each device as it is plugged in; Ctrl+C stops.");
  while (g_hash_table_size (station.running) > 0 ||
         (!g_cancellable_is_cancelled (ctx->cancellable) &&
          (o->max_runs == 0 || station.n_started < (guint) o->max_runs)))
    g_main_context_iteration (NULL, TRUE);

  cb_cli_note (ctx, "Station stopped: %u passed, %u failed.", station.n_passed, station.n_failed);
  station_clear (&station);
  return station.worst;
}
