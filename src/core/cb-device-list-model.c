/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The paged device model: a GListModel of CbDeviceItem that reads hub query pages on demand,
 * never the whole fleet at once.
 *
 * Rows are kept compact: one array of plain structs (Row, 48 bytes) whose device ids live in
 * string chunks, one chunk a page. A CbDeviceItem is made only for a row that is asked for (a
 * view binding it, a selection read, an action), and kept in a weak cache while someone holds
 * it, so that the same row gives the same item for as long as it is referenced. At 100k
 * devices a view holds a few hundred items, not 100k (issue 16). */

#define G_LOG_DOMAIN "cb-device-list-model"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-device-list-model.h"
#include "cb-util.h"
#include "cb-x509.h"

#define DEFAULT_PAGE_SIZE 50
/* A view that keeps reaching the end (a scrollbar dragged down a long fleet) gets each page
 * twice as large as the one before, up to the hub's largest page: the last of 100k devices is
 * about a hundred requests away, not two thousand, while the first page stays small. */
#define MAX_PAGE_SIZE     1000
/* Fetch the next page when a view reaches this close to the end of what is shown: half of
 * what is shown, between these bounds, so that the next page is on its way before the view
 * gets to the end (and a list without a view, asked for its first rows, fetches nothing). */
#define PREFETCH_MARGIN   10
#define PREFETCH_AHEAD    100
/* A page goes to the views this many rows at a time, one main-loop turn apart: a view takes
 * in each slice between two frames, not a page of 1,000 in one go. */
#define SLICE_SIZE        100

struct _CbDeviceListModel
{
  GObject       parent_instance;
  CbHubClient  *hub;
  GCancellable *cancellable;
  GCancellable *load_cancellable;
  gulong        cancel_handler;
  GArray       *rows;             /* Row: the rows shown to the views */
  GPtrArray    *chunks;           /* GStringChunk: the rows' device ids, one a page */
  GHashTable   *live;             /* device id (the item's own) -> CbDeviceItem, weak */
  char         *condition;
  char         *policy;
  char         *continuation;
  GError       *error;
  CbDeviceStateInfo *info;
  guint         page_size;
  guint         next_page_size;   /* the page the next fetch asks for */
  guint         n_requests;
  GArray       *pending;          /* Row: read, not yet shown to the views */
  guint         publish_id;       /* the idle that shows them, a slice at a time */
  gint64        page_now;         /* the service's clock when the last page was read */
  guint         fetching : 1;     /* a page request is on its way */
  guint         reading : 1;      /* a page is being read in a worker thread */
  guint         loading : 1;      /* any of these, or rows pending */
  guint         emitting : 1;
  guint         more_wanted : 1;  /* a view reached the end during an emission */
  guint         complete : 1;
  guint         started : 1;
};

enum
{
  PROP_0,
  PROP_LOADING,
  PROP_COMPLETE,
  PROP_N_ITEMS,
  PROP_N_REQUESTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One device as the list keeps it: what its item is made from (the state is judged when the
 * item is made, with the model's signals of the time). */
typedef struct
{
  const char *device_id;        /* in one of the model's chunks; NULL: the twin had none */
  gint64      valid_from;
  gint64      valid_until;
  gint64      last_activity;    /* 0: unknown */
  gint64      now;              /* the service's clock when its page was read */
  guint       enabled : 1;
  guint       has_dates : 1;
} Row;

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CbDeviceListModel, cb_device_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
list_model_get_item_type (GListModel *model)
{
  return CB_TYPE_DEVICE_ITEM;
}

static guint
list_model_get_n_items (GListModel *model)
{
  return CB_DEVICE_LIST_MODEL (model)->rows->len;
}

static void item_gone_cb (gpointer data, GObject *where_the_object_was);

/* An item that has left the cache: no longer the row's, and no longer followed. */
static void
forget_item (CbDeviceListModel *self,
             CbDeviceItem      *item)
{
  g_object_weak_unref (G_OBJECT (item), item_gone_cb, self);
  g_signal_handlers_disconnect_by_data (item, self);
}

static void
forget_all_items (CbDeviceListModel *self)
{
  GHashTableIter iter;
  gpointer item;

  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, NULL, &item))
    {
      forget_item (self, item);
      g_hash_table_iter_remove (&iter);
    }
}

/* The last reference to an item went: the row makes a new one when asked again. */
static void
item_gone_cb (gpointer  data,
              GObject  *where_the_object_was)
{
  CbDeviceListModel *self = data;
  /* Weak references are told before the item is finalized: its id is still there. */
  const char *device_id = cb_device_item_get_device_id (CB_DEVICE_ITEM (where_the_object_was));

  if (device_id != NULL && g_hash_table_lookup (self->live, device_id) == where_the_object_was)
    g_hash_table_remove (self->live, device_id);
}

static Row *
find_row (CbDeviceListModel *self,
          const char        *device_id,
          guint             *position)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *row = &g_array_index (self->rows, Row, i);

      if (g_strcmp0 (row->device_id, device_id) == 0)
        {
          if (position != NULL)
            *position = i;
          return row;
        }
    }
  return NULL;
}

/* An item's switch changed (an action, or a page of its own): the row keeps it for the items
 * made after this one is gone. */
static void
on_item_enabled_cb (CbDeviceItem      *item,
                    GParamSpec        *pspec,
                    CbDeviceListModel *self)
{
  Row *row = find_row (self, cb_device_item_get_device_id (item), NULL);

  if (row != NULL)
    row->enabled = cb_device_item_get_enabled (item);
}

/* The row's item: the one someone still holds, else a new one (cheap: no JSON, no date
 * parsing). Returns a new reference. */
static CbDeviceItem *
item_at (CbDeviceListModel *self,
         guint              position)
{
  Row *row = &g_array_index (self->rows, Row, position);
  CbDeviceRow parts = { 0, };
  CbDeviceItem *item;

  if (row->device_id != NULL && (item = g_hash_table_lookup (self->live, row->device_id)) != NULL)
    return g_object_ref (item);

  parts.device_id = g_strdup (row->device_id);
  parts.enabled = row->enabled;
  parts.signals.has_dates = row->has_dates;
  parts.signals.valid_from = row->valid_from;
  parts.signals.valid_until = row->valid_until;
  parts.signals.disabled = !row->enabled;
  parts.signals.last_activity = row->last_activity;
  item = cb_device_item_new_from_row (&parts, self->policy, self->info, row->now);
  cb_device_row_clear (&parts);
  if (row->device_id != NULL)
    {
      g_hash_table_insert (self->live, (gpointer) cb_device_item_get_device_id (item), item);
      g_object_weak_ref (G_OBJECT (item), item_gone_cb, self);
      g_signal_connect (item, "notify::enabled", G_CALLBACK (on_item_enabled_cb), self);
    }
  return item;
}

static gpointer
list_model_get_item (GListModel *model,
                     guint       position)
{
  CbDeviceListModel *self = CB_DEVICE_LIST_MODEL (model);

  if (position >= self->rows->len)
    return NULL;

  /* A view asking for rows near the end is the signal to fetch the next page. GtkListView
   * asks for the rows it shows while it handles items-changed, and may not ask again: such a
   * request is kept and served once the emission is over (a fetch started inside it would be
   * a change of state under the view's feet). */
  if (position + CLAMP (self->rows->len / 2, PREFETCH_MARGIN, PREFETCH_AHEAD) >= self->rows->len)
    {
      if (self->emitting)
        self->more_wanted = TRUE;
      else
        cb_device_list_model_load_more (self);
    }

  return item_at (self, position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_model_get_item_type;
  iface->get_n_items = list_model_get_n_items;
  iface->get_item = list_model_get_item;
}

/* Every change of the rows goes through here. */
static void
items_changed (CbDeviceListModel *self,
               guint              position,
               guint              removed,
               guint              added)
{
  g_autoptr(CbDeviceListModel) keep = g_object_ref (self);

  self->emitting = TRUE;
  self->more_wanted = FALSE;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  self->emitting = FALSE;
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);

  /* What a view asked for during the emission: at most one fetch, and none while one is on
   * its way, the list is complete or a reload is about to start its own. */
  if (self->more_wanted)
    {
      self->more_wanted = FALSE;
      cb_device_list_model_load_more (self);
    }
}

/* Loading: until the rows of every page asked for are shown. */
static void
update_loading (CbDeviceListModel *self)
{
  gboolean loading = self->fetching || self->reading || self->pending->len > 0;

  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_complete (CbDeviceListModel *self,
              gboolean           complete)
{
  if (self->complete == !!complete)
    return;
  self->complete = !!complete;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
}

static void
cb_device_list_model_dispose (GObject *object)
{
  CbDeviceListModel *self = CB_DEVICE_LIST_MODEL (object);

  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_handle_id (&self->publish_id, g_source_remove);
  if (self->cancellable != NULL && self->cancel_handler != 0)
    g_cancellable_disconnect (self->cancellable, self->cancel_handler);
  self->cancel_handler = 0;
  g_clear_object (&self->cancellable);
  g_clear_object (&self->hub);
  forget_all_items (self);

  G_OBJECT_CLASS (cb_device_list_model_parent_class)->dispose (object);
}

static void
cb_device_list_model_finalize (GObject *object)
{
  CbDeviceListModel *self = CB_DEVICE_LIST_MODEL (object);

  g_array_unref (self->rows);
  g_ptr_array_unref (self->chunks);
  g_hash_table_unref (self->live);
  g_array_unref (self->pending);
  g_free (self->condition);
  g_free (self->policy);
  g_free (self->continuation);
  g_clear_error (&self->error);
  g_clear_pointer (&self->info, cb_device_state_info_unref);

  G_OBJECT_CLASS (cb_device_list_model_parent_class)->finalize (object);
}

static void
cb_device_list_model_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  CbDeviceListModel *self = CB_DEVICE_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_COMPLETE:
      g_value_set_boolean (value, self->complete);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->rows->len);
      break;
    case PROP_N_REQUESTS:
      g_value_set_uint (value, self->n_requests);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_device_list_model_class_init (CbDeviceListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_device_list_model_dispose;
  object_class->finalize = cb_device_list_model_finalize;
  object_class->get_property = cb_device_list_model_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COMPLETE] =
    g_param_spec_boolean ("complete", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_REQUESTS] =
    g_param_spec_uint ("n-requests", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_device_list_model_init (CbDeviceListModel *self)
{
  self->rows = g_array_new (FALSE, FALSE, sizeof (Row));
  self->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_string_chunk_free);
  self->live = g_hash_table_new (g_str_hash, g_str_equal);
  self->pending = g_array_new (FALSE, FALSE, sizeof (Row));
  self->page_size = DEFAULT_PAGE_SIZE;
  self->next_page_size = DEFAULT_PAGE_SIZE;
}

CbDeviceListModel *
cb_device_list_model_new (void)
{
  return g_object_new (CB_TYPE_DEVICE_LIST_MODEL, NULL);
}

void
cb_device_list_model_set_hub (CbDeviceListModel *self,
                              CbHubClient       *hub)
{
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));
  g_set_object (&self->hub, hub);
}

void
cb_device_list_model_set_condition (CbDeviceListModel *self,
                                    const char        *condition)
{
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));
  cb_set_str (&self->condition, condition != NULL && *condition != '\0' ? condition : NULL);
}

const char *
cb_device_list_model_get_condition (CbDeviceListModel *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_LIST_MODEL (self), NULL);
  return self->condition;
}

void
cb_device_list_model_set_page_size (CbDeviceListModel *self,
                                    guint              page_size)
{
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));
  self->page_size = page_size;
}

void
cb_device_list_model_set_policy (CbDeviceListModel *self,
                                 const char        *policy)
{
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));
  cb_set_str (&self->policy, policy);
}

void
cb_device_list_model_set_state_info (CbDeviceListModel *self,
                                     CbDeviceStateInfo *info)
{
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));

  if (info != NULL)
    cb_device_state_info_ref (info);
  g_clear_pointer (&self->info, cb_device_state_info_unref);
  self->info = info;
}

void
cb_device_list_model_update_state_info (CbDeviceListModel *self,
                                        CbDeviceStateInfo *info)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer item;

  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));
  g_return_if_fail (info != NULL);

  cb_device_list_model_set_state_info (self, info);
  /* The items someone holds are judged again in place; the others are made with the new
   * signals when asked for. (Held here meanwhile: an item's handlers may let go of it.) */
  g_hash_table_iter_init (&iter, self->live);
  while (g_hash_table_iter_next (&iter, NULL, &item))
    g_ptr_array_add (items, g_object_ref (item));
  for (guint i = 0; i < items->len; i++)
    cb_device_item_judge_again (g_ptr_array_index (items, i), info);
}

CbDeviceStateInfo *
cb_device_list_model_get_state_info (CbDeviceListModel *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_LIST_MODEL (self), NULL);
  return self->info;
}

void
cb_device_list_model_set_cancellable (CbDeviceListModel *self,
                                      GCancellable      *cancellable)
{
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));
  if (self->cancellable != NULL && self->cancel_handler != 0)
    g_cancellable_disconnect (self->cancellable, self->cancel_handler);
  self->cancel_handler = 0;
  g_set_object (&self->cancellable, cancellable);
}

/* The rows read, shown a slice at a time. The list is complete once the last page's last
 * slice is shown. Returns whether rows are left for another turn. */
static gboolean
publish_slice (CbDeviceListModel *self)
{
  guint position = self->rows->len;
  guint n = MIN (self->pending->len, SLICE_SIZE);

  /* No item is made here: the views ask for the rows they show. */
  g_array_append_vals (self->rows, self->pending->data, n);
  g_array_remove_range (self->pending, 0, n);

  if (self->pending->len == 0 && !self->fetching && !self->reading)
    set_complete (self, self->continuation == NULL);
  if (n > 0)
    items_changed (self, position, 0, n);
  update_loading (self);

  return self->pending->len > 0;
}

static gboolean
publish_slice_cb (gpointer user_data)
{
  CbDeviceListModel *self = user_data;

  if (publish_slice (self))
    return G_SOURCE_CONTINUE;
  self->publish_id = 0;
  return G_SOURCE_REMOVE;
}

typedef struct
{
  JsonArray    *twins;
  Row          *rows;
  guint         n_rows;
  GStringChunk *ids;      /* the rows' device ids, the model's once the rows are */
  gint64        now;
} ReadJob;

static void
read_job_free (ReadJob *job)
{
  g_free (job->rows);
  g_clear_pointer (&job->ids, g_string_chunk_free);
  g_clear_pointer (&job->twins, json_array_unref);
  g_free (job);
}

/* In a worker thread: the page's twins to plain rows (strings and dates parsed). Touches
 * nothing but the job: the page is not used elsewhere while it is read. */
static void
read_page_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  ReadJob *job = task_data;
  guint n = json_array_get_length (job->twins);

  job->rows = g_new0 (Row, n);
  /* Device ids of the sandbox's and hub's kind are 10 to 30 bytes. */
  job->ids = g_string_chunk_new (MAX (n * 24, 256));
  for (guint i = 0; i < n && !g_cancellable_is_cancelled (cancellable); i++)
    {
      JsonNode *node = json_array_get_element (job->twins, i);
      CbDeviceRow parts = { 0, };
      Row *row;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      cb_device_row_init_from_select (&parts, json_node_get_object (node));
      row = &job->rows[job->n_rows++];
      row->device_id = parts.device_id != NULL ? g_string_chunk_insert (job->ids, parts.device_id)
                                               : NULL;
      row->enabled = parts.enabled;
      row->has_dates = parts.signals.has_dates;
      row->valid_from = parts.signals.valid_from;
      row->valid_until = parts.signals.valid_until;
      row->last_activity = parts.signals.last_activity;
      row->now = job->now;
      cb_device_row_clear (&parts);
    }
  /* The page's JSON is freed here too, not on the main thread (the job holds its only
   * reference: json-glib's are not atomic, see start_read_cb). */
  g_clear_pointer (&job->twins, json_array_unref);
  g_task_return_boolean (task, TRUE);
}

/* Back on the main thread: the rows wait to be shown, a slice at a time. */
static void
read_page_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CbDeviceListModel *self = CB_DEVICE_LIST_MODEL (object);
  ReadJob *job = g_task_get_task_data (G_TASK (result));

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;

  self->reading = FALSE;
  g_array_append_vals (self->pending, job->rows, job->n_rows);
  /* The rows' strings are the model's now. */
  g_ptr_array_add (self->chunks, g_steal_pointer (&job->ids));
  job->n_rows = 0;
  /* The first slice now (a view waiting on an empty list shows it in this frame), the rest a
   * main-loop turn apart. */
  if (self->publish_id != 0)
    update_loading (self);
  else if (publish_slice (self) && self->publish_id == 0)
    {
      self->publish_id = g_idle_add (publish_slice_cb, self);
      g_source_set_name_by_id (self->publish_id, "[certbench] device list slice");
    }
}

/* The read starts a main-loop turn later: by then the HTTP response that also held the page's
 * JSON has let go of it (it does so once this callback returns), and the worker thread is
 * the only one left to touch its reference count. */
static gboolean
start_read_cb (gpointer user_data)
{
  GTask *task = user_data;

  g_task_run_in_thread (task, read_page_thread);
  return G_SOURCE_REMOVE;
}

static void
query_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CbDeviceListModel) self = user_data;
  g_autoptr(CbHubQueryPage) page = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  ReadJob *job;

  page = cb_hub_client_query_finish (CB_HUB_CLIENT (object), result, &error);
  if (page == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->fetching = FALSE;
  g_clear_error (&self->error);

  if (page == NULL)
    {
      g_debug ("Device query failed: %s", error->message);
      self->error = g_steal_pointer (&error);
      g_clear_pointer (&self->continuation, g_free);
      update_loading (self);
      if (self->pending->len == 0)
        set_complete (self, TRUE);
      /* Let views notice the failure even when nothing changed. */
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
      return;
    }

  /* Rows are judged on the service's clock at the time they were read. */
  self->page_now =
    cb_http_client_get_server_now (cb_hub_client_get_http (CB_HUB_CLIENT (object)));
  if (self->info == NULL)
    self->info = cb_device_state_info_new (self->page_now, CB_DEFAULT_RENEWAL_FRACTION);

  g_free (self->continuation);
  self->continuation = g_strdup (page->continuation);

  if (page->items == NULL || json_array_get_length (page->items) == 0)
    {
      if (self->pending->len == 0)
        set_complete (self, self->continuation == NULL);
      update_loading (self);
      return;
    }

  job = g_new0 (ReadJob, 1);
  job->twins = g_steal_pointer (&page->items);
  job->now = self->page_now;
  self->reading = TRUE;
  task = g_task_new (self, self->load_cancellable, read_page_cb, NULL);
  g_task_set_source_tag (task, query_cb);
  g_task_set_task_data (task, job, (GDestroyNotify) read_job_free);
  g_idle_add_full (G_PRIORITY_HIGH, start_read_cb, g_steal_pointer (&task), g_object_unref);
}

static void
fetch_page (CbDeviceListModel *self)
{
  g_autofree char *query = NULL;

  g_assert (CB_IS_DEVICE_LIST_MODEL (self));

  if (self->hub == NULL)
    return;

  /* Only what a row keeps (a page of 1,000 twins parsed in a worker held ten times the
   * memory: docs/performance.md, "Registry list scrolled to the end"). */
  if (self->condition != NULL)
    query = g_strdup_printf (CB_DEVICE_ROW_SELECT " FROM devices WHERE %s", self->condition);
  else
    query = g_strdup (CB_DEVICE_ROW_SELECT " FROM devices");

  if (self->load_cancellable == NULL)
    self->load_cancellable = g_cancellable_new ();

  self->n_requests++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_REQUESTS]);
  self->fetching = TRUE;
  update_loading (self);

  cb_hub_client_query_async (self->hub, query, self->next_page_size, self->continuation,
                             self->load_cancellable, query_cb, g_object_ref (self));
}

static void
on_outer_cancelled (GCancellable *outer,
                    GCancellable *inner)
{
  g_cancellable_cancel (inner);
}

void
cb_device_list_model_reload (CbDeviceListModel *self)
{
  guint removed;

  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));

  if (self->load_cancellable != NULL)
    {
      g_cancellable_cancel (self->load_cancellable);
      g_clear_object (&self->load_cancellable);
    }
  self->load_cancellable = g_cancellable_new ();
  if (self->cancellable != NULL)
    {
      if (self->cancel_handler != 0)
        g_cancellable_disconnect (self->cancellable, self->cancel_handler);
      self->cancel_handler =
        g_cancellable_connect (self->cancellable, G_CALLBACK (on_outer_cancelled),
                               g_object_ref (self->load_cancellable), g_object_unref);
    }

  g_clear_pointer (&self->continuation, g_free);
  g_clear_error (&self->error);
  g_clear_handle_id (&self->publish_id, g_source_remove);
  g_array_set_size (self->pending, 0);
  self->next_page_size = self->page_size;
  self->fetching = FALSE;
  self->reading = FALSE;
  self->loading = FALSE;
  self->started = TRUE;
  set_complete (self, FALSE);

  /* Nothing is left to continue from while the rows go: the first page comes next. */
  /* Items still held elsewhere keep their data; they are no longer the rows'. */
  forget_all_items (self);
  removed = self->rows->len;
  g_array_set_size (self->rows, 0);
  if (removed > 0)
    items_changed (self, 0, removed, 0);
  /* The rows' ids go with them (pending rows' too: their pages were read before). */
  g_ptr_array_set_size (self->chunks, 0);

  fetch_page (self);
}

void
cb_device_list_model_load_more (CbDeviceListModel *self)
{
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));

  /* The next page may be fetched while this one's rows are still being shown: the view does
   * not wait for a request at the end. One request and one page read at a time, in order. */
  if (!self->started || self->fetching || self->reading || self->complete ||
      self->continuation == NULL)
    return;
  self->next_page_size = MIN (self->next_page_size * 2, MAX (MAX_PAGE_SIZE, self->page_size));
  fetch_page (self);
}

gboolean
cb_device_list_model_get_loading (CbDeviceListModel *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_LIST_MODEL (self), FALSE);
  return self->loading;
}

gboolean
cb_device_list_model_get_complete (CbDeviceListModel *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_LIST_MODEL (self), FALSE);
  return self->complete;
}

guint
cb_device_list_model_get_n_requests (CbDeviceListModel *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_LIST_MODEL (self), 0);
  return self->n_requests;
}

const GError *
cb_device_list_model_get_error (CbDeviceListModel *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_LIST_MODEL (self), NULL);
  return self->error;
}

CbDeviceItem *
cb_device_list_model_dup_device (CbDeviceListModel *self,
                                 const char        *device_id,
                                 guint             *position)
{
  guint i;

  g_return_val_if_fail (CB_IS_DEVICE_LIST_MODEL (self), NULL);

  if (find_row (self, device_id, &i) == NULL)
    return NULL;
  if (position != NULL)
    *position = i;
  return item_at (self, i);
}

void
cb_device_list_model_remove_device (CbDeviceListModel *self,
                                    const char        *device_id)
{
  CbDeviceItem *item;
  guint position;

  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));

  if (device_id == NULL || find_row (self, device_id, &position) == NULL)
    return;
  /* An item still held elsewhere is no longer this list's. */
  if ((item = g_hash_table_lookup (self->live, device_id)) != NULL)
    {
      forget_item (self, item);
      g_hash_table_remove (self->live, device_id);
    }
  g_array_remove_index (self->rows, position);
  items_changed (self, position, 1, 0);
}
