/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bulk-operation"

/* One action over many devices (cb-bulk-operation.h): a queue of device ids worked through
 * with at most max-in-flight ADR calls at once; each call's outcome is kept by its device and
 * the next call starts whatever the last one gave, so one failed device never stops the
 * others. Cancelling stops new calls and waits for the ones in flight. */

#include "config.h"

#include "cb-bulk-operation.h"

typedef struct
{
  char    *id;
  GError  *error;
  gboolean done;
} Item;

struct _CbBulkOperation
{
  GObject       parent_instance;

  CbAdrClient  *adr;
  CbBulkAction  action;
  GArray       *items;          /* Item */
  guint         max_in_flight;
  guint         next;           /* the first item not started */
  guint         in_flight;
  guint         n_done;
  guint         n_failed;
  GTask        *task;           /* while running */
};

G_DEFINE_FINAL_TYPE (CbBulkOperation, cb_bulk_operation, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_N_DONE,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  ITEM_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
item_clear (gpointer data)
{
  Item *item = data;

  g_free (item->id);
  g_clear_error (&item->error);
}

static void
cb_bulk_operation_finalize (GObject *object)
{
  CbBulkOperation *self = CB_BULK_OPERATION (object);

  g_clear_object (&self->adr);
  g_array_unref (self->items);

  G_OBJECT_CLASS (cb_bulk_operation_parent_class)->finalize (object);
}

static void
cb_bulk_operation_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CbBulkOperation *self = CB_BULK_OPERATION (object);

  switch (prop_id)
    {
    case PROP_N_DONE:
      g_value_set_uint (value, self->n_done);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->task != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_bulk_operation_class_init (CbBulkOperationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_bulk_operation_finalize;
  object_class->get_property = cb_bulk_operation_get_property;

  properties[PROP_N_DONE] =
    g_param_spec_uint ("n-done", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A device has its result: (index). */
  signals[ITEM_DONE] = g_signal_new ("item-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
cb_bulk_operation_init (CbBulkOperation *self)
{
  self->items = g_array_new (FALSE, TRUE, sizeof (Item));
  g_array_set_clear_func (self->items, item_clear);
  self->max_in_flight = CB_BULK_DEFAULT_IN_FLIGHT;
}

static void
add_item (CbBulkOperation *self,
          const char      *id)
{
  Item item = { 0 };

  for (guint i = 0; i < self->items->len; i++)
    if (g_strcmp0 (g_array_index (self->items, Item, i).id, id) == 0)
      return;
  item.id = g_strdup (id);
  g_array_append_val (self->items, item);
}

CbBulkOperation *
cb_bulk_operation_new (CbAdrClient        *adr,
                       CbBulkAction        action,
                       const char * const *device_ids)
{
  CbBulkOperation *self;

  g_return_val_if_fail (CB_IS_ADR_CLIENT (adr), NULL);
  g_return_val_if_fail (action <= CB_BULK_ACTION_ENABLE, NULL);

  self = g_object_new (CB_TYPE_BULK_OPERATION, NULL);
  self->adr = g_object_ref (adr);
  self->action = action;
  for (guint i = 0; device_ids != NULL && device_ids[i] != NULL; i++)
    add_item (self, device_ids[i]);
  return self;
}

CbBulkOperation *
cb_bulk_operation_new_for_failed (CbBulkOperation *self)
{
  g_auto(GStrv) failed = NULL;
  CbBulkOperation *retry;

  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), NULL);

  failed = cb_bulk_operation_list_failed (self);
  retry = cb_bulk_operation_new (self->adr, self->action, (const char * const *) failed);
  retry->max_in_flight = self->max_in_flight;
  return retry;
}

CbBulkAction
cb_bulk_operation_get_action (CbBulkOperation *self)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), CB_BULK_ACTION_REVOKE);
  return self->action;
}

void
cb_bulk_operation_set_max_in_flight (CbBulkOperation *self,
                                     guint            n)
{
  g_return_if_fail (CB_IS_BULK_OPERATION (self));
  g_return_if_fail (n > 0);
  self->max_in_flight = n;
}

guint
cb_bulk_operation_get_max_in_flight (CbBulkOperation *self)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), 0);
  return self->max_in_flight;
}

static void start_more (CbBulkOperation *self);

typedef struct
{
  CbBulkOperation *self;
  guint            index;
} Call;

static void
record (CbBulkOperation *self,
        guint            index,
        GError          *error)
{
  Item *item = &g_array_index (self->items, Item, index);

  g_clear_error (&item->error);
  item->error = error;
  item->done = TRUE;
  self->n_done++;
  if (error != NULL)
    {
      self->n_failed++;
      g_debug ("%s: %s", item->id, error->message);
    }
  g_signal_emit (self, signals[ITEM_DONE], 0, index);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DONE]);
}

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(CbBulkOperation) self = call->self;
  guint index = call->index;
  GError *error = NULL;

  g_free (call);
  switch (self->action)
    {
    case CB_BULK_ACTION_REVOKE:
    case CB_BULK_ACTION_REVOKE_AND_DISABLE:
      cb_adr_client_revoke_device_finish (CB_ADR_CLIENT (source), result, &error);
      break;
    case CB_BULK_ACTION_DISABLE:
    case CB_BULK_ACTION_ENABLE:
    default:
      {
        g_autoptr(CbAdrDevice) device =
          cb_adr_client_update_device_enabled_finish (CB_ADR_CLIENT (source), result, &error);
      }
      break;
    }
  self->in_flight--;
  record (self, index, error);
  start_more (self);
}

static void
start_call (CbBulkOperation *self,
            guint            index,
            GCancellable    *cancellable)
{
  const char *id = g_array_index (self->items, Item, index).id;
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->index = index;
  self->in_flight++;
  switch (self->action)
    {
    case CB_BULK_ACTION_REVOKE:
    case CB_BULK_ACTION_REVOKE_AND_DISABLE:
      cb_adr_client_revoke_device_async (self->adr, id,
                                         self->action == CB_BULK_ACTION_REVOKE_AND_DISABLE,
                                         cancellable, call_done, call);
      break;
    case CB_BULK_ACTION_DISABLE:
    case CB_BULK_ACTION_ENABLE:
    default:
      cb_adr_client_update_device_enabled_async (self->adr, id,
                                                 self->action == CB_BULK_ACTION_ENABLE,
                                                 cancellable, call_done, call);
      break;
    }
}

/* Fills the free slots; once nothing is in flight and nothing is left to start (or the run
 * was cancelled), the run returns. */
static void
start_more (CbBulkOperation *self)
{
  GCancellable *cancellable = g_task_get_cancellable (self->task);
  g_autoptr(GTask) task = NULL;

  while (!g_cancellable_is_cancelled (cancellable) && self->next < self->items->len &&
         self->in_flight < self->max_in_flight)
    start_call (self, self->next++, cancellable);

  if (self->in_flight > 0 || (self->next < self->items->len && !g_cancellable_is_cancelled (cancellable)))
    return;

  task = g_steal_pointer (&self->task);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  if (self->next < self->items->len)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                             "The operation was cancelled");
  else
    g_task_return_boolean (task, TRUE);
}

void
cb_bulk_operation_run_async (CbBulkOperation     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CB_IS_BULK_OPERATION (self));
  g_return_if_fail (self->task == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bulk_operation_run_async);
  g_task_set_check_cancellable (task, FALSE);
  self->task = task;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  start_more (self);
}

gboolean
cb_bulk_operation_run_finish (CbBulkOperation  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
cb_bulk_operation_get_running (CbBulkOperation *self)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), FALSE);
  return self->task != NULL;
}

guint
cb_bulk_operation_get_n_in_flight (CbBulkOperation *self)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), 0);
  return self->in_flight;
}

guint
cb_bulk_operation_get_n_items (CbBulkOperation *self)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), 0);
  return self->items->len;
}

guint
cb_bulk_operation_get_n_done (CbBulkOperation *self)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), 0);
  return self->n_done;
}

guint
cb_bulk_operation_get_n_failed (CbBulkOperation *self)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), 0);
  return self->n_failed;
}

double
cb_bulk_operation_get_fraction (CbBulkOperation *self)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), 0);
  return self->items->len > 0 ? (double) self->n_done / self->items->len : 1.0;
}

const char *
cb_bulk_operation_get_item_id (CbBulkOperation *self,
                               guint            index)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), NULL);
  g_return_val_if_fail (index < self->items->len, NULL);
  return g_array_index (self->items, Item, index).id;
}

gboolean
cb_bulk_operation_get_item_done (CbBulkOperation *self,
                                 guint            index)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), FALSE);
  g_return_val_if_fail (index < self->items->len, FALSE);
  return g_array_index (self->items, Item, index).done;
}

const GError *
cb_bulk_operation_get_item_error (CbBulkOperation *self,
                                  guint            index)
{
  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), NULL);
  g_return_val_if_fail (index < self->items->len, NULL);
  return g_array_index (self->items, Item, index).error;
}

GStrv
cb_bulk_operation_list_failed (CbBulkOperation *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (CB_IS_BULK_OPERATION (self), NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = &g_array_index (self->items, Item, i);

      if (!item->done || item->error != NULL)
        g_strv_builder_add (builder, item->id);
    }
  return g_strv_builder_end (builder);
}
