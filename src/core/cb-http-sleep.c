/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-http"

/* A cancellable timer for retry backoff and polling loops: a GTask that completes after a delay,
 * or at once with G_IO_ERROR_CANCELLED when its cancellable fires. */

#include "config.h"

#include "cb-http-sleep.h"

typedef struct
{
  GSource *source;
  gulong   cancelled_id;
} Sleep;

static void
sleep_free (Sleep *sleep)
{
  g_assert (sleep->source == NULL);
  g_free (sleep);
}

static gboolean
sleep_done_cb (gpointer user_data)
{
  GTask *task = user_data;
  Sleep *sleep = g_task_get_task_data (task);

  g_assert (G_IS_TASK (task));

  /* The source holds the only reference we rely on here; keep the task alive while tearing
   * the source down. */
  g_object_ref (task);

  g_source_destroy (sleep->source);
  g_clear_pointer (&sleep->source, g_source_unref);
  g_cancellable_disconnect (g_task_get_cancellable (task), sleep->cancelled_id);
  sleep->cancelled_id = 0;

  if (!g_task_return_error_if_cancelled (task))
    g_task_return_boolean (task, TRUE);

  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

static void
sleep_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  GSource *source = user_data;

  /* May run in any thread; the timer's own context then reports the cancellation. */
  g_source_set_ready_time (source, 0);
}

void
cb_http_sleep_async (guint               delay_ms,
                     GCancellable       *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  Sleep *sleep;

  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_http_sleep_async);

  sleep = g_new0 (Sleep, 1);
  g_task_set_task_data (task, sleep, (GDestroyNotify) sleep_free);

  sleep->source = g_timeout_source_new (delay_ms);
  g_source_set_static_name (sleep->source, "[cb-http] sleep");
  g_source_set_callback (sleep->source, sleep_done_cb, g_object_ref (task), g_object_unref);
  g_source_attach (sleep->source, g_task_get_context (task));

  if (cancellable != NULL)
    sleep->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (sleep_cancelled_cb),
                                                 g_source_ref (sleep->source),
                                                 (GDestroyNotify) g_source_unref);
}

gboolean
cb_http_sleep_finish (GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
