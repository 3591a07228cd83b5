/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* The sandbox's worker threads. The sandbox serves and writes on one thread; a DPS
 * registration's largest costs are the CSR's signature check and the leaf's signature, which
 * need no sandbox state (docs/performance.md, "DPS issuance"). So a handler can hand such a
 * part to a small pool (one thread fewer than the cores, at least one, at most four) with its
 * answer paused, and its next step runs on the sandbox's thread, the lock held, once the work
 * is done: the database and the answer stay where they were (cb-sb-batch.c).
 *
 * The finished work comes back through one queue and one source on the sandbox's thread,
 * attached when the queue was empty: every step that is ready runs in one dispatch, not one
 * main loop turn (and a wake-up of the loop) each. The first version, a source a step, cost
 * more of the sandbox's CPU than the worker took off its thread.
 *
 * The pool is module data of the sandbox: stopping the sandbox waits for the work under way
 * and marks the pool stopped, so a step still queued for the sandbox's thread drops its
 * request instead of running on a sandbox that is gone. */

#include "config.h"

#include "cb-sb-request.h"
#include "cb-sb-router.h"
#include "cb-sb-store.h"
#include "cb-sb-workers.h"

#define WORKERS_MODULE   "workers"
#define MAX_WORKERS      4

typedef struct
{
  gatomicrefcount ref_count;
  gint            stopped;      /* atomic: the sandbox stopped */
  gint            scheduled;    /* atomic: a source will drain done */
  GThreadPool    *pool;
  GAsyncQueue    *done;         /* Job, worked */
  GMainContext   *context;      /* the sandbox's thread's */
} Workers;

typedef struct
{
  CbSbRequest  *req;
  CbSbWorkFunc  work;
  CbSbHandler   then;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_clear_pointer (&job->req, cb_sb_request_free);
  g_free (job);
}

static void
workers_unref (Workers *workers)
{
  if (!g_atomic_ref_count_dec (&workers->ref_count))
    return;

  /* Steps a drain never ran (the context went away first): dropped. */
  g_async_queue_unref (workers->done);
  g_main_context_unref (workers->context);
  g_free (workers);
}

static void
workers_free (gpointer data)
{
  Workers *workers = data;

  /* Stopped first: the steps the work queues for the sandbox's thread, now or while the pool
   * finishes, drop their requests. */
  g_atomic_int_set (&workers->stopped, 1);
  g_thread_pool_free (g_steal_pointer (&workers->pool), FALSE, TRUE);
  workers_unref (workers);
}

/* On the sandbox's thread: every step that is ready. A stopped sandbox's are dropped. */
static gboolean
drain_cb (gpointer data)
{
  Workers *workers = data;
  Job *job;

  /* Cleared before the queue is read: work done after this schedules another drain. */
  g_atomic_int_set (&workers->scheduled, 0);
  while ((job = g_async_queue_try_pop (workers->done)) != NULL)
    {
      if (!g_atomic_int_get (&workers->stopped))
        cb_sb_router_resume (g_steal_pointer (&job->req), job->then);
      job_free (job);
    }
  return G_SOURCE_REMOVE;
}

static void
run_job (gpointer data,
         gpointer user_data)
{
  Workers *workers = user_data;
  Job *job = data;

  job->work (job->req->work);

  g_async_queue_push (workers->done, job);
  if (g_atomic_int_compare_and_exchange (&workers->scheduled, 0, 1))
    {
      /* The default priority, as the connections' sources: a resumed request does not wait
       * behind a whole turn of new ones. The source holds the workers until it ran or its
       * context went away. */
      GSource *source = g_idle_source_new ();

      g_atomic_ref_count_inc (&workers->ref_count);
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, drain_cb, workers, (GDestroyNotify) workers_unref);
      g_source_attach (source, workers->context);
      g_source_unref (source);
    }
}

static Workers *
get_workers (CbSandbox *self)
{
  Workers *workers = cb_sb_get_module_data (self, WORKERS_MODULE);

  if (workers == NULL)
    {
      guint n = CLAMP (g_get_num_processors () - 1, 1, MAX_WORKERS);

      workers = g_new0 (Workers, 1);
      g_atomic_ref_count_init (&workers->ref_count);
      workers->done = g_async_queue_new_full (job_free);
      workers->context = g_main_context_ref_thread_default ();
      workers->pool = g_thread_pool_new (run_job, workers, (int) n, FALSE, NULL);
      cb_sb_set_module_data (self, WORKERS_MODULE, workers, workers_free);
    }
  return workers;
}

gboolean
cb_sb_request_can_defer (CbSbRequest *req)
{
  return req->msg != NULL && req->fault == NULL && req->sandbox->module_data != NULL;
}

void
cb_sb_request_defer (CbSbRequest   *req,
                     CbSbWorkFunc   work,
                     gpointer       data,
                     GDestroyNotify free,
                     CbSbHandler    then)
{
  Workers *workers;
  Job *job;

  g_return_if_fail (cb_sb_request_can_defer (req));
  g_return_if_fail (!req->deferred);

  workers = get_workers (req->sandbox);

  if (req->work_free != NULL)
    req->work_free (req->work);
  req->work = data;
  req->work_free = free;
  req->deferred = TRUE;
  soup_server_message_pause (req->msg);

  job = g_new0 (Job, 1);
  job->req = req;
  job->work = work;
  job->then = then;
  g_thread_pool_push (workers->pool, job, NULL);
}
