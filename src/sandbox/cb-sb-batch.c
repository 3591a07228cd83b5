/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

/* Group commit for the DPS device requests. Each registration (and its poll) was one SQLite
 * commit of its own: with many devices registering at once, the WAL frames and the
 * checkpoints those commits wrote were the largest cost of the sandbox's own (docs/
 * performance.md, "DPS issuance"). Now the requests the main loop handles in one turn (and
 * the next) run inside one outer savepoint; an idle source at the default priority commits it
 * after them, and only then are their answers sent: each request's handler ends with its
 * message paused (cb_sb_batch_hold), the commit unpauses them. So a reply still never
 * precedes the commit of what it reports (a crash before the commit loses writes no client
 * has heard of), and the wire is unchanged: the PUT still answers 202 assigning, its poll the
 * result.
 *
 * What else may see the open batch: everything runs on the one connection, so reads see its
 * writes. Any other route, the MQTT transport and timers take the lock or go through the
 * router, and both commit the batch first (cb_sb_batch_flush, cb_sb_batch_flush_owned), so
 * their answers never precede a commit either. Another thread that takes the lock (the
 * in-process sandbox of the app and the tests) writes in a savepoint nested in the batch; it
 * is committed by the next turn of the sandbox's loop. If the commit fails, the batch is
 * rolled back (the caches empty: cb_sb_rollback counts it) and every held answer becomes a
 * 500. */

#include "config.h"

#include "cb-sb-batch.h"
#include "cb-sb-store.h"

#define BATCH_MODULE   "batch"
#define MAX_HELD       256      /* answers held before the batch commits anyway */

typedef struct
{
  CbSandbox    *sandbox;        /* not a reference: the batch is module data of the sandbox */
  gboolean      open;           /* the outer savepoint is open */
  gboolean      in_request;     /* a joining request's handler is running */
  GMainContext *context;        /* the loop the batch was opened in */
  GSource      *source;         /* the commit, next turn of that loop */
  GPtrArray    *held;           /* SoupServerMessage, paused */
  guint64       number;         /* the open batch's, counted from 1 */
  GArray       *failed;         /* guint64: the numbers of the batches whose commit failed */
} Batch;

static void commit_batch (Batch *batch);

static void
batch_free (gpointer data)
{
  Batch *batch = data;

  /* The sandbox is going away (teardown, before the store closes): what the batch holds is
   * committed; the server is gone, so the held answers are dropped unsent. */
  if (batch->open)
    {
      batch->in_request = FALSE;
      g_ptr_array_set_size (batch->held, 0);
      commit_batch (batch);
    }
  if (batch->source != NULL)
    {
      g_source_destroy (batch->source);
      g_source_unref (batch->source);
    }
  g_clear_pointer (&batch->context, g_main_context_unref);
  g_ptr_array_unref (batch->held);
  g_array_unref (batch->failed);
  g_free (batch);
}

static Batch *
get_batch (CbSandbox *self,
           gboolean   create)
{
  Batch *batch = self->module_data != NULL ? cb_sb_get_module_data (self, BATCH_MODULE) : NULL;

  if (batch == NULL && create)
    {
      batch = g_new0 (Batch, 1);
      batch->sandbox = self;
      batch->held = g_ptr_array_new_with_free_func (g_object_unref);
      batch->failed = g_array_new (FALSE, FALSE, sizeof (guint64));
      cb_sb_set_module_data (self, BATCH_MODULE, batch, batch_free);
      cb_sb_set_lock_hook (self, cb_sb_batch_flush_owned);
    }
  return batch;
}

const char cb_sb_batch_failed_body[] =
  "{\"errorCode\":500214,\"message\":\"Internal error: the sandbox could not commit the "
  "request to its database\"}";

static void
fail_held (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_remove (headers, "Location");
  soup_message_headers_remove (headers, "Retry-After");
  soup_message_headers_replace (headers, "x-ms-error-code", "500214");
  soup_server_message_set_status (msg, 500, NULL);
  /* soup_server_message_set_response() appends to a body already set: the answer the handler
   * wrote would come first, and the device would read two JSON texts in one. */
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    cb_sb_batch_failed_body, sizeof cb_sb_batch_failed_body - 1);
}

/* Commits (or, failing that, rolls back) the outer savepoint and sends the held answers. */
static void
commit_batch (Batch *batch)
{
  CbSandbox *self = batch->sandbox;
  g_autoptr(GPtrArray) held = NULL;
  gboolean failed = FALSE;

  if (!batch->open || batch->in_request)
    return;

  batch->open = FALSE;
  if (batch->source != NULL)
    {
      g_source_destroy (batch->source);
      g_clear_pointer (&batch->source, g_source_unref);
    }

  cb_sb_check_statements (self, "a DPS device request (group commit)");
  if (!cb_sb_commit (self))
    {
      g_warning ("Could not commit %u DPS requests: %s", batch->held->len,
                 sqlite3_errmsg (self->db));
      cb_sb_rollback (self);
      failed = TRUE;
      /* Its requests that went on to a worker learn it at their next step. Failures are rare
       * (a full disk): the list stays short. */
      g_array_append_val (batch->failed, batch->number);
    }

  held = g_steal_pointer (&batch->held);
  batch->held = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < held->len; i++)
    {
      SoupServerMessage *msg = g_ptr_array_index (held, i);

      if (failed)
        fail_held (msg);
      soup_server_message_unpause (msg);
    }
}

static gboolean
commit_cb (gpointer data)
{
  CbSandbox *self = data;
  Batch *batch;

  g_rec_mutex_lock (&self->lock);
  if ((batch = get_batch (self, FALSE)) != NULL)
    {
      g_clear_pointer (&batch->source, g_source_unref);
      commit_batch (batch);
    }
  g_rec_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

gboolean
cb_sb_batch_join (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  Batch *batch;

  if (req->msg == NULL)
    return FALSE;

  batch = get_batch (self, TRUE);
  if (!batch->open)
    {
      if (!cb_sb_begin (self))
        return FALSE;
      batch->open = TRUE;
      batch->number++;
      g_clear_pointer (&batch->context, g_main_context_unref);
      batch->context = g_main_context_ref_thread_default ();
      /* The default priority, attached after the connections' sources: the requests ready in
       * the next turn are handled (and join) before it commits. */
      batch->source = g_idle_source_new ();
      g_source_set_priority (batch->source, G_PRIORITY_DEFAULT);
      g_source_set_callback (batch->source, commit_cb, self, NULL);
      g_source_attach (batch->source, batch->context);
    }
  batch->in_request = TRUE;
  req->held = TRUE;
  return TRUE;
}

void
cb_sb_batch_hold (CbSbRequest *req)
{
  Batch *batch = get_batch (req->sandbox, FALSE);

  g_return_if_fail (batch != NULL && batch->open && req->held);

  soup_server_message_pause (req->msg);
  g_ptr_array_add (batch->held, g_object_ref (req->msg));
  batch->in_request = FALSE;
  if (batch->held->len >= MAX_HELD)
    commit_batch (batch);
}

void
cb_sb_batch_leave (CbSbRequest *req)
{
  Batch *batch = get_batch (req->sandbox, FALSE);

  g_return_if_fail (batch != NULL && batch->open && req->held);

  batch->in_request = FALSE;
  req->held = FALSE;
  req->left_batch = batch->number;
}

gboolean
cb_sb_batch_left_committed (CbSbRequest *req)
{
  Batch *batch = get_batch (req->sandbox, FALSE);

  if (batch == NULL || req->left_batch == 0)
    return TRUE;
  for (guint i = 0; i < batch->failed->len; i++)
    if (g_array_index (batch->failed, guint64, i) == req->left_batch)
      return FALSE;
  return TRUE;
}

void
cb_sb_batch_flush (CbSandbox *self)
{
  Batch *batch = get_batch (self, FALSE);

  if (batch != NULL)
    commit_batch (batch);
}

void
cb_sb_batch_flush_owned (CbSandbox *self)
{
  Batch *batch = get_batch (self, FALSE);

  if (batch != NULL && batch->open && !batch->in_request &&
      g_main_context_is_owner (batch->context))
    commit_batch (batch);
}
