/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `journal` command: prints or exports (CSV, steps CSV, JSON) the station's journal of runs,
 * filtered by result, serial and time.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <stdio.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>

#include "cb-journal-export.h"
#include "cb-util.h"

#include "cb-cli-cmd-journal.h"
#include "cb-cli-shared.h"

static gboolean
parse_time (const char  *text,
            gint64      *out_usec,
            GError     **error)
{
  gint64 seconds;

  if (!cb_time_parse_iso8601 (text, &seconds))
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (text, NULL);
      g_autofree char *with_time = g_strconcat (text, "T00:00:00Z", NULL);

      /* A bare date means its start, UTC. */
      if (dt == NULL && !cb_time_parse_iso8601 (with_time, &seconds))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "“%s” is not an ISO 8601 time (e.g. 2026-03-01T08:00:00Z)", text);
          return FALSE;
        }
      if (dt != NULL)
        seconds = g_date_time_to_unix (dt);
    }

  *out_usec = seconds * G_USEC_PER_SEC;
  return TRUE;
}

int
cb_cli_cmd_journal (CbCliContext *ctx)
{
  CbCliOptions *o = ctx->options;
  g_autoptr(GError) error = NULL;
  CbJournalFilter filter = { 0, };
  CbJournalExportFormat format;
  g_autoptr(GOutputStream) out = NULL;

  if (o->subcommand == NULL ||
      (!g_str_equal (o->subcommand, "list") && !g_str_equal (o->subcommand, "export")))
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "journal needs “list” or “export”");

  if (o->result != NULL)
    {
      if (!cb_journal_result_from_string (o->result, &filter.result))
        return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "--result is one of pass, fail, cancelled, "
                     "interrupted, running; not “%s”", o->result);
      if (filter.result == CB_JOURNAL_RESULT_NONE)
        filter.only_running = TRUE;
    }
  filter.device_serial = o->serial;
  filter.registration_id = o->registration_id;
  filter.port = o->port;
  filter.limit = o->limit > 0 ? (guint) o->limit : 0;
  if (o->since != NULL && !parse_time (o->since, &filter.started_after, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "--since: %s", error->message);
  if (o->until != NULL && !parse_time (o->until, &filter.started_before, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "--until: %s", error->message);

  if (!cb_cli_context_open_journal (ctx, &error))
    return cb_cli_fail (ctx, CB_CLI_EXIT_JOURNAL, "The journal could not be opened: %s", error->message);

  if (g_str_equal (o->subcommand, "list") && !o->json)
    {
      g_autoptr(GPtrArray) runs = cb_journal_list_runs (ctx->journal, &filter, &error);

      if (runs == NULL)
        return cb_cli_fail (ctx, CB_CLI_EXIT_JOURNAL, "%s", error->message);

      printf ("%-24s %-11s %-18s %-28s %s\n", "STARTED", "RESULT", "SERIAL", "REGISTRATION ID",
              "DETAIL");
      for (guint i = 0; i < runs->len; i++)
        {
          CbJournalRun *run = g_ptr_array_index (runs, i);
          g_autofree char *started = cb_time_format_precise (cb_journal_run_get_started (run));
          g_autofree char *detail = NULL;

          /* No leaf serial (a journal written by other means): no "leaf (null)" (undefined). */
          if (cb_journal_run_get_result (run) == CB_JOURNAL_RESULT_PASS &&
              cb_journal_run_get_leaf_serial (run) != NULL)
            detail = g_strdup_printf ("leaf %s", cb_journal_run_get_leaf_serial (run));
          else if (cb_journal_run_get_error (run) != NULL)
            detail = g_strdup (cb_journal_run_get_error (run));
          else
            detail = g_strdup (cb_journal_run_get_port (run) ? cb_journal_run_get_port (run) : "");

          printf ("%-24s %-11s %-18s %-28s %s\n", started,
                  cb_journal_result_to_string (cb_journal_run_get_result (run)),
                  cb_journal_run_get_device_serial (run) ? cb_journal_run_get_device_serial (run)
                                                         : "-",
                  cb_journal_run_get_registration_id (run) ? cb_journal_run_get_registration_id (run)
                                                           : "-",
                  detail);
        }
      return CB_CLI_EXIT_OK;
    }

  /* list --json is the JSON export; export needs exactly one format. */
  if (g_str_equal (o->subcommand, "list"))
    format = CB_JOURNAL_EXPORT_JSON;
  else if ((o->csv ? 1 : 0) + (o->csv_steps ? 1 : 0) + (o->json ? 1 : 0) != 1)
    return cb_cli_fail (ctx, CB_CLI_EXIT_USAGE, "journal export needs one of --csv, --csv-steps, --json");
  else
    format = o->csv ? CB_JOURNAL_EXPORT_CSV
             : o->csv_steps ? CB_JOURNAL_EXPORT_CSV_STEPS : CB_JOURNAL_EXPORT_JSON;

  if (o->output != NULL && g_str_equal (o->subcommand, "export"))
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (o->output);

      if (!cb_journal_export_to_file (ctx->journal, &filter, format, file, G_FILE_CREATE_NONE,
                                      ctx->cancellable, &error))
        /* The file could not be written (G_IO_ERROR): not the device's fault. */
        return cb_cli_fail (ctx, error->domain == G_IO_ERROR ? CB_CLI_EXIT_FAILED
                                                      : cb_cli_exit_for_error (error),
                     "%s", error->message);
      return CB_CLI_EXIT_OK;
    }

  out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  if (!cb_journal_export (ctx->journal, &filter, format, out, ctx->cancellable, &error) ||
      !g_output_stream_close (out, ctx->cancellable, &error))
    return cb_cli_fail (ctx, cb_cli_exit_for_error (error), "%s", error->message);

  return CB_CLI_EXIT_OK;
}
