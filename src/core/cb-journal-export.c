/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The journal export: the runs that match a filter as CSV (a row per run or per step, RFC 4180)
 * or JSON (each run with its steps), written to a stream on the journal's connection or on a
 * worker thread's; and to a file, as the app's Journal page and `certbench-cli journal export`
 * write it: the file is replaced, the records go in through cb_journal_export(), and the
 * replaced file is committed by the close. */

#define G_LOG_DOMAIN "cb-journal-export"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "cb-journal-db-private.h"
#include "cb-csv-writer.h"
#include "cb-journal-export.h"
#include "cb-journal-private.h"
#include "cb-journal-run-private.h"
#include "cb-journal-step-private.h"
#include "cb-util.h"

static char *
format_usec (gint64 usec)
{
  return usec > 0 ? cb_time_format_precise (usec) : NULL;
}

static char *
format_sec (gint64 sec)
{
  return sec != 0 ? cb_time_format_fixed (sec) : NULL;
}

static char *
format_duration_ms (gint64 started,
                    gint64 ended)
{
  return ended > 0 && started > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, (ended - started) / 1000)
                                  : NULL;
}

static gboolean
write_all (GOutputStream  *stream,
           const char     *text,
           GCancellable   *cancellable,
           GError        **error)
{
  return g_output_stream_write_all (stream, text, strlen (text), NULL, cancellable, error);
}

static gboolean
write_csv_row (GOutputStream      *stream,
               const char * const *fields,
               guint               n_fields,
               GCancellable       *cancellable,
               GError            **error)
{
  g_autoptr(GString) line = g_string_new (NULL);

  cb_csv_append_row (line, fields, n_fields);
  return write_all (stream, line->str, cancellable, error);
}

static const char * const csv_run_header[] = {
  "run_uuid", "started", "ended", "duration_ms", "station", "operator", "port", "profile",
  "policy", "device_serial", "device_model", "device_firmware", "registration_id", "hub",
  "device_id", "result", "failed_step", "error", "leaf_serial", "leaf_sha256", "not_before",
  "not_after",
};

static gboolean
export_run_csv (GOutputStream  *stream,
                CbJournalRun   *run,
                GCancellable   *cancellable,
                GError        **error)
{
  g_autofree char *started = format_usec (run->started);
  g_autofree char *ended = format_usec (run->ended);
  g_autofree char *duration = format_duration_ms (run->started, run->ended);
  g_autofree char *not_before = format_sec (run->not_before);
  g_autofree char *not_after = format_sec (run->not_after);
  const char *fields[] = {
    run->strings[RUN_STR_UUID], started, ended, duration, run->strings[RUN_STR_STATION],
    run->strings[RUN_STR_OPERATOR], run->strings[RUN_STR_PORT], run->strings[RUN_STR_PROFILE],
    run->strings[RUN_STR_POLICY], run->strings[RUN_STR_SERIAL], run->strings[RUN_STR_MODEL],
    run->strings[RUN_STR_FIRMWARE], run->strings[RUN_STR_REGISTRATION_ID],
    run->strings[RUN_STR_HUB], run->strings[RUN_STR_DEVICE_ID],
    cb_journal_result_to_string (run->result), run->strings[RUN_STR_FAILED_STEP],
    run->strings[RUN_STR_ERROR], run->strings[RUN_STR_LEAF_SERIAL],
    run->strings[RUN_STR_LEAF_FINGERPRINT], not_before, not_after,
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (fields) == G_N_ELEMENTS (csv_run_header));

  return write_csv_row (stream, fields, G_N_ELEMENTS (fields), cancellable, error);
}

static const char * const csv_step_header[] = {
  "run_uuid", "device_serial", "registration_id", "step_index", "step", "started", "ended",
  "duration_ms", "result", "error", "detail",
};

static gboolean
export_steps_csv (GOutputStream  *stream,
                  CbJournalRun   *run,
                  GPtrArray      *steps,
                  GCancellable   *cancellable,
                  GError        **error)
{
  for (guint i = 0; i < steps->len; i++)
    {
      CbJournalStep *step = g_ptr_array_index (steps, i);
      g_autofree char *index = g_strdup_printf ("%u", step->index);
      g_autofree char *started = format_usec (step->started);
      g_autofree char *ended = format_usec (step->ended);
      g_autofree char *duration = format_duration_ms (step->started, step->ended);
      const char *fields[] = {
        run->strings[RUN_STR_UUID], run->strings[RUN_STR_SERIAL],
        run->strings[RUN_STR_REGISTRATION_ID], index, step->name, started, ended, duration,
        cb_journal_result_to_string (step->result), step->error, step->detail,
      };

      G_STATIC_ASSERT (G_N_ELEMENTS (fields) == G_N_ELEMENTS (csv_step_header));

      if (!write_csv_row (stream, fields, G_N_ELEMENTS (fields), cancellable, error))
        return FALSE;
    }

  return TRUE;
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_time_member (JsonBuilder *builder,
                 const char  *name,
                 char        *formatted)   /* (transfer full) */
{
  add_string_member (builder, name, formatted);
  g_free (formatted);
}

static gboolean
export_run_json (GOutputStream  *stream,
                 CbJournalRun   *run,
                 GPtrArray      *steps,
                 gboolean        first,
                 GCancellable   *cancellable,
                 GError        **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *indented = NULL;

  json_builder_begin_object (builder);
  add_string_member (builder, "runUuid", run->strings[RUN_STR_UUID]);
  add_time_member (builder, "started", format_usec (run->started));
  add_time_member (builder, "ended", format_usec (run->ended));
  json_builder_set_member_name (builder, "durationMs");
  if (run->ended > 0)
    json_builder_add_int_value (builder, (run->ended - run->started) / 1000);
  else
    json_builder_add_null_value (builder);
  add_string_member (builder, "station", run->strings[RUN_STR_STATION]);
  add_string_member (builder, "operator", run->strings[RUN_STR_OPERATOR]);
  add_string_member (builder, "port", run->strings[RUN_STR_PORT]);
  add_string_member (builder, "profile", run->strings[RUN_STR_PROFILE]);
  add_string_member (builder, "policy", run->strings[RUN_STR_POLICY]);
  add_string_member (builder, "deviceSerial", run->strings[RUN_STR_SERIAL]);
  add_string_member (builder, "deviceModel", run->strings[RUN_STR_MODEL]);
  add_string_member (builder, "deviceFirmware", run->strings[RUN_STR_FIRMWARE]);
  add_string_member (builder, "registrationId", run->strings[RUN_STR_REGISTRATION_ID]);
  add_string_member (builder, "hub", run->strings[RUN_STR_HUB]);
  add_string_member (builder, "deviceId", run->strings[RUN_STR_DEVICE_ID]);
  add_string_member (builder, "result", cb_journal_result_to_string (run->result));
  add_string_member (builder, "failedStep", run->strings[RUN_STR_FAILED_STEP]);
  add_string_member (builder, "error", run->strings[RUN_STR_ERROR]);
  add_string_member (builder, "leafSerial", run->strings[RUN_STR_LEAF_SERIAL]);
  add_string_member (builder, "leafSha256", run->strings[RUN_STR_LEAF_FINGERPRINT]);
  add_time_member (builder, "notBefore", format_sec (run->not_before));
  add_time_member (builder, "notAfter", format_sec (run->not_after));

  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint i = 0; i < steps->len; i++)
    {
      CbJournalStep *step = g_ptr_array_index (steps, i);

      json_builder_begin_object (builder);
      add_string_member (builder, "name", step->name);
      add_time_member (builder, "started", format_usec (step->started));
      add_time_member (builder, "ended", format_usec (step->ended));
      json_builder_set_member_name (builder, "durationMs");
      if (step->ended > 0)
        json_builder_add_int_value (builder, (step->ended - step->started) / 1000);
      else
        json_builder_add_null_value (builder);
      add_string_member (builder, "result", cb_journal_result_to_string (step->result));
      add_string_member (builder, "error", step->error);
      add_string_member (builder, "detail", step->detail);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);

  /* Indent the object one level inside the top-level array. */
  {
    g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
    g_autofree char *joined = g_strjoinv ("\n  ", lines);

    indented = g_strconcat (first ? "\n  " : ",\n  ", joined, NULL);
  }

  return write_all (stream, indented, cancellable, error);
}

static gboolean
export_on (sqlite3                *db,
           const CbJournalFilter  *filter,
           CbJournalExportFormat   format,
           GOutputStream          *stream,
           GCancellable           *cancellable,
           GError                **error)
{
  g_autoptr(GPtrArray) runs = NULL;

  runs = _cb_journal_list_runs_on (db, filter, error);
  if (runs == NULL)
    return FALSE;

  switch (format)
    {
    case CB_JOURNAL_EXPORT_CSV:
      if (!write_csv_row (stream, csv_run_header, G_N_ELEMENTS (csv_run_header), cancellable, error))
        return FALSE;
      break;
    case CB_JOURNAL_EXPORT_CSV_STEPS:
      if (!write_csv_row (stream, csv_step_header, G_N_ELEMENTS (csv_step_header), cancellable,
                          error))
        return FALSE;
      break;
    case CB_JOURNAL_EXPORT_JSON:
      if (!write_all (stream, "[", cancellable, error))
        return FALSE;
      break;
    default:
      g_set_error (error, CB_JOURNAL_ERROR, CB_JOURNAL_ERROR_INVALID,
                   "Journal: unknown export format %d", format);
      return FALSE;
    }

  /* Oldest first reads naturally in a file; the list is newest first for the UI. */
  for (guint i = runs->len; i > 0; i--)
    {
      CbJournalRun *run = g_ptr_array_index (runs, i - 1);
      g_autoptr(GPtrArray) steps = NULL;
      gboolean ok;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      if (format != CB_JOURNAL_EXPORT_CSV)
        {
          steps = _cb_journal_list_steps_on (db, run->id, error);
          if (steps == NULL)
            return FALSE;
        }

      if (format == CB_JOURNAL_EXPORT_CSV)
        ok = export_run_csv (stream, run, cancellable, error);
      else if (format == CB_JOURNAL_EXPORT_CSV_STEPS)
        ok = export_steps_csv (stream, run, steps, cancellable, error);
      else
        ok = export_run_json (stream, run, steps, i == runs->len, cancellable, error);

      if (!ok)
        return FALSE;
    }

  if (format == CB_JOURNAL_EXPORT_JSON &&
      !write_all (stream, runs->len > 0 ? "\n]\n" : "]\n", cancellable, error))
    return FALSE;

  return g_output_stream_flush (stream, cancellable, error);
}

gboolean
cb_journal_export (CbJournal              *self,
                   const CbJournalFilter  *filter,
                   CbJournalExportFormat   format,
                   GOutputStream          *stream,
                   GCancellable           *cancellable,
                   GError                **error)
{
  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);

  return export_on (self->db, filter, format, stream, cancellable, error);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CbJournalQueryData *data = task_data;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;
  gboolean ok;

  db = cb_journal_db_open (data->path, &error);
  if (db == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  ok = export_on (db, &data->filter, data->format, data->stream, cancellable, &error);
  sqlite3_close (db);

  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
cb_journal_export_async (CbJournal              *self,
                         const CbJournalFilter  *filter,
                         CbJournalExportFormat   format,
                         GOutputStream          *stream,
                         GCancellable           *cancellable,
                         GAsyncReadyCallback     callback,
                         gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  CbJournalQueryData *data;

  g_return_if_fail (CB_IS_JOURNAL (self));
  g_return_if_fail (G_IS_OUTPUT_STREAM (stream));

  data = _cb_journal_query_data_new (self, filter);
  data->format = format;
  data->stream = g_object_ref (stream);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_journal_export_async);
  g_task_set_task_data (task, data, (GDestroyNotify) _cb_journal_query_data_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
cb_journal_export_finish (CbJournal     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (CB_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
cb_journal_export_to_file (CbJournal              *journal,
                           const CbJournalFilter  *filter,
                           CbJournalExportFormat   format,
                           GFile                  *file,
                           GFileCreateFlags        flags,
                           GCancellable           *cancellable,
                           GError                **error)
{
  g_autoptr(GFileOutputStream) stream = NULL;

  g_return_val_if_fail (CB_IS_JOURNAL (journal), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  stream = g_file_replace (file, NULL, FALSE, flags, cancellable, error);
  if (stream == NULL)
    return FALSE;

  return cb_journal_export (journal, filter, format, G_OUTPUT_STREAM (stream), cancellable,
                            error) &&
         g_output_stream_close (G_OUTPUT_STREAM (stream), cancellable, error);
}

typedef struct
{
  CbJournal             *journal;
  GFileOutputStream     *stream;
  CbJournalFilter        filter;
  char                  *device_serial;
  char                  *registration_id;
  char                  *port;
  CbJournalExportFormat  format;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_object (&data->journal);
  g_clear_object (&data->stream);
  g_free (data->device_serial);
  g_free (data->registration_id);
  g_free (data->port);
  g_free (data);
}

static void
export_close_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
export_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!cb_journal_export_finish (CB_JOURNAL (object), result, &error))
    {
      /* Leave the old file as it was: replace only happens on a clean close. */
      g_output_stream_close (G_OUTPUT_STREAM (data->stream), NULL, NULL);
      g_task_return_error (task, error);
      return;
    }
  g_output_stream_close_async (G_OUTPUT_STREAM (data->stream), G_PRIORITY_DEFAULT,
                               g_task_get_cancellable (task), export_close_cb,
                               g_object_ref (task));
}

static void
export_replace_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->stream = g_file_replace_finish (G_FILE (object), result, &error);
  if (data->stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  cb_journal_export_async (data->journal, &data->filter, data->format,
                           G_OUTPUT_STREAM (data->stream), g_task_get_cancellable (task),
                           export_cb, g_object_ref (task));
}

void
cb_journal_export_to_file_async (CbJournal              *journal,
                                 const CbJournalFilter  *filter,
                                 CbJournalExportFormat   format,
                                 GFile                  *file,
                                 GFileCreateFlags        flags,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *data;

  g_return_if_fail (CB_IS_JOURNAL (journal));
  g_return_if_fail (filter != NULL);
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (journal, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_journal_export_to_file_async);
  data = g_new0 (ExportData, 1);
  data->journal = g_object_ref (journal);
  data->format = format;
  data->filter = *filter;
  data->filter.device_serial = data->device_serial = g_strdup (filter->device_serial);
  data->filter.registration_id = data->registration_id = g_strdup (filter->registration_id);
  data->filter.port = data->port = g_strdup (filter->port);
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);

  g_file_replace_async (file, NULL, FALSE, flags, G_PRIORITY_DEFAULT, cancellable,
                        export_replace_cb, g_steal_pointer (&task));
}

gboolean
cb_journal_export_to_file_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                          cb_journal_export_to_file_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
