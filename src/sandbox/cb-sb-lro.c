/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* ARM's long-running operations for the ADR resources.
 *
 * A write that ARM answers with 201/202 stores an operation row and leaves the resource in
 * provisioningState Accepted (or Deleting). The operation reports InProgress for
 * sandbox->lro_delay_ms, then completes: on a timer in the serving context, and in any case
 * before anything looks at ADR state (every ARM request, the CA engine, the check and CRL
 * endpoints), so completion is never observably late. The action (cb-sb-adr-ops.c) takes
 * effect at completion, so a fault-injected Failed operation leaves everything as it was;
 * operations are persisted, so a restart in the middle loses nothing. The end of each
 * operation lands in the activity log, attributed to whoever started it.
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "cb-sb-activity.h"
#include "cb-sb-adr-ca-rules.h"
#include "cb-sb-adr-operations.h"
#include "cb-sb-adr-ops.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-adr-linking.h"
#include "cb-sb-lro.h"
#include "cb-sb-store.h"

typedef struct
{
  gboolean completing;
} LroState;

static LroState *
lro_state (CbSandbox *self)
{
  LroState *state = cb_sb_get_module_data (self, "arm");

  if (state == NULL)
    {
      state = g_new0 (LroState, 1);
      cb_sb_set_module_data (self, "arm", state, g_free);
    }

  return state;
}

char *
cb_sb_arm_normalize_location (const char *location)
{
  GString *out = g_string_new (NULL);

  for (const char *p = location; p != NULL && *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, g_ascii_tolower (*p));

  return g_string_free (out, FALSE);
}

guint
cb_sb_lro_retry_after (CbSandbox *self)
{
  return (self->lro_delay_ms + 999) / 1000;
}

static gboolean
operations_due_cb (gpointer data)
{
  CbSandbox *self = data;

  cb_sb_lock (self);
  /* The sandbox may have stopped since. */
  if (self->db != NULL)
    cb_sb_arm_run_due_operations (self);
  cb_sb_unlock (self);

  return G_SOURCE_REMOVE;
}

char *
cb_sb_lro_start (CbSandbox          *self,
                 const CbSbLroStart *start)
{
  char *id = g_uuid_string_random ();
  g_autofree char *loc = cb_sb_arm_normalize_location (start->location);
  gint64 now = cb_sb_now_usec (self);
  CbSbOperation op = { 0 };

  op.id = id;
  op.subscription = (char *) start->subscription;
  op.location = loc;
  op.kind = (char *) start->kind;
  op.target = (char *) start->target;
  op.resource_id = (char *) start->resource_id;
  op.args = (char *) start->args;
  op.prev_state = (char *) start->prev_state;
  op.final_kind = start->final_kind;
  op.fail = start->fail;
  op.start_usec = now;
  op.ready_usec = now + (gint64) self->lro_delay_ms * 1000;
  op.operation_name = (char *) start->operation_name;
  op.caller = (char *) start->caller;
  op.caller_id = (char *) start->caller_id;
  op.correlation_id = (char *) start->correlation_id;
  if (!cb_sb_adr_insert_operation (self, &op))
    g_warning ("Could not record operation %s", id);

  if (start->fail)
    g_debug ("Operation %s (%s) will fail (fault)", id, start->kind);

  /* Handlers run in the serving context, so this is where the timer belongs. */
  {
    GSource *source = g_timeout_source_new (self->lro_delay_ms + 1);

    g_source_set_callback (source, operations_due_cb, g_object_ref (self), g_object_unref);
    g_source_attach (source, g_main_context_get_thread_default ());
    g_source_unref (source);
  }

  return id;
}

static void
error_to_arm (const GError  *error,
              const char   **code,
              guint         *http)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    *code = "Conflict", *http = SOUP_STATUS_CONFLICT;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    *code = "ResourceNotFound", *http = SOUP_STATUS_NOT_FOUND;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    *code = "BadRequest", *http = SOUP_STATUS_BAD_REQUEST;
  else if (error->domain == CB_SANDBOX_ERROR && error->code == CB_SANDBOX_ERROR_FAILED)
    *code = "OperationFailed", *http = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  else
    *code = "InternalServerError", *http = SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static void
complete_operation (CbSandbox  *self,
                    const char *op_id)
{
  g_auto(CbSbOperation) op = { 0 };
  g_autoptr(JsonNode) args = NULL;
  g_autoptr(GError) error = NULL;
  const char *code = NULL;
  const char *method;
  guint http = SOUP_STATUS_OK;
  gboolean ok;

  if (!cb_sb_adr_get_operation (self, op_id, NULL, TRUE, &op))
    return;

  if (op.args != NULL)
    args = json_from_string (op.args, NULL);

  cb_sb_begin (self);
  if (op.fail)
    {
      ok = FALSE;
      g_set_error (&error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_FAILED,
                   "The operation failed (injected fault); nothing was changed.");
    }
  else
    {
      JsonObject *args_obj = args != NULL && JSON_NODE_HOLDS_OBJECT (args)
                             ? json_node_get_object (args) : NULL;

      ok = cb_sb_adr_ca_is_kind (op.kind)
           ? cb_sb_adr_ca_apply_operation (self, op.kind, op.target, args_obj, op.caller, &error)
           : cb_sb_adr_apply_operation (self, op.kind, op.target, args_obj, op.caller, &error);
    }

  if (ok)
    {
      cb_sb_commit (self);
    }
  else
    {
      const char *table;
      const char *key_column;

      cb_sb_rollback (self);
      cb_sb_begin (self);
      cb_sb_adr_table_for_kind (op.kind, &table, &key_column);
      /* A failed create leaves a Failed resource, as ARM does; anything else goes back to
       * the state it had. */
      cb_sb_adr_set_state (self, table, key_column, op.target,
                           g_str_has_suffix (op.kind, "-create") ? "Failed"
                           : op.prev_state != NULL ? op.prev_state : "Succeeded");
      error_to_arm (error, &code, &http);
      g_debug ("Operation %s (%s) failed: %s", op_id, op.kind, error->message);
    }

  cb_sb_adr_finish_operation (self, op_id, ok, cb_sb_now_usec (self), code,
                              ok ? NULL : error->message, http);
  if (!ok)
    cb_sb_commit (self);

  /* The operation's own end event, attributed to whoever started it. */
  if (op.caller != NULL)
    {
      method = g_str_has_suffix (op.kind, "-delete") ? "DELETE"
             : g_str_has_suffix (op.kind, "-create") ? "PUT"
             : g_str_has_suffix (op.kind, "-update") ? "PATCH"
             : "POST";
      cb_sb_log_activity (self, op.caller, op.caller_id, op.correlation_id, method,
                          op.operation_name, op.resource_id,
                          ok ? "Succeeded" : "Failed", http);
    }
}

void
cb_sb_arm_run_due_operations (CbSandbox *self)
{
  LroState *state = lro_state (self);
  g_autoptr(GPtrArray) due = NULL;

  if (state->completing)
    return;

  due = cb_sb_adr_due_operations (self, cb_sb_now_usec (self));

  state->completing = TRUE;
  for (guint i = 0; i < due->len; i++)
    complete_operation (self, g_ptr_array_index (due, i));
  /* Linked endpoints (2026-11-01) end their linking on the same clock. */
  cb_sb_adr_linking_run_due (self);
  state->completing = FALSE;
}
