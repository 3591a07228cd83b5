/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The journal export to a file, as the app's Journal page and `certbench-cli journal export`
 * write it: the file is replaced, the records go in through cb_journal_export() (CSV or JSON),
 * and the replaced file is committed by the close. */

#define G_LOG_DOMAIN "cb-journal-export"

#include "config.h"

#include "cb-journal-export.h"

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
