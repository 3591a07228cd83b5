/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The paged device model: a GListModel of CbDeviceItem that reads hub query pages on demand,
 * never the whole fleet at once. */

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
  GPtrArray    *items;
  char         *condition;
  char         *policy;
  char         *continuation;
  GError       *error;
  CbDeviceStateInfo *info;
  guint         page_size;
  guint         next_page_size;   /* the page the next fetch asks for */
  guint         n_requests;
  GArray       *pending;          /* PendingRow: read, not yet shown to the views */
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

/* A row read and not yet shown: its item is made when its slice is shown, so that making a
 * page's thousand items is spread over the turns that show them. */
typedef struct
{
  CbDeviceRow row;
  gint64      now;    /* the service's clock when its page was read */
} PendingRow;

static void
pending_row_clear (PendingRow *pending)
{
  cb_device_row_clear (&pending->row);
}

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
  return CB_DEVICE_LIST_MODEL (model)->items->len;
}

static gpointer
list_model_get_item (GListModel *model,
                     guint       position)
{
  CbDeviceListModel *self = CB_DEVICE_LIST_MODEL (model);

  if (position >= self->items->len)
    return NULL;

  /* A view asking for rows near the end is the signal to fetch the next page. GtkListView
   * asks for the rows it shows while it handles items-changed, and may not ask again: such a
   * request is kept and served once the emission is over (a fetch started inside it would be
   * a change of state under the view's feet). */
  if (position + CLAMP (self->items->len / 2, PREFETCH_MARGIN, PREFETCH_AHEAD) >= self->items->len)
    {
      if (self->emitting)
        self->more_wanted = TRUE;
      else
        cb_device_list_model_load_more (self);
    }

  return g_object_ref (g_ptr_array_index (self->items, position));
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

  G_OBJECT_CLASS (cb_device_list_model_parent_class)->dispose (object);
}

static void
cb_device_list_model_finalize (GObject *object)
{
  CbDeviceListModel *self = CB_DEVICE_LIST_MODEL (object);

  g_ptr_array_unref (self->items);
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
      g_value_set_uint (value, self->items->len);
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
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending = g_array_new (FALSE, FALSE, sizeof (PendingRow));
  g_array_set_clear_func (self->pending, (GDestroyNotify) pending_row_clear);
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
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));
  g_return_if_fail (info != NULL);

  cb_device_list_model_set_state_info (self, info);
  for (guint i = 0; i < self->items->len; i++)
    cb_device_item_judge_again (g_ptr_array_index (self->items, i), info);
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
  guint position = self->items->len;
  guint n = MIN (self->pending->len, SLICE_SIZE);

  for (guint i = 0; i < n; i++)
    {
      PendingRow *pending = &g_array_index (self->pending, PendingRow, i);

      g_ptr_array_add (self->items, cb_device_item_new_from_row (&pending->row, self->policy,
                                                                 self->info, pending->now));
    }
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
  JsonArray   *twins;
  CbDeviceRow *rows;
  guint        n_rows;
  gint64       now;
} ReadJob;

static void
read_job_free (ReadJob *job)
{
  for (guint i = 0; i < job->n_rows; i++)
    cb_device_row_clear (&job->rows[i]);
  g_free (job->rows);
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

  job->rows = g_new0 (CbDeviceRow, n);
  for (guint i = 0; i < n && !g_cancellable_is_cancelled (cancellable); i++)
    {
      JsonNode *node = json_array_get_element (job->twins, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        cb_device_row_init_from_twin (&job->rows[job->n_rows++], json_node_get_object (node));
    }
  /* The page's JSON is freed here too, not on the main thread (the job holds its only
   * reference: json-glib's are not atomic, see start_read_cb). */
  g_clear_pointer (&job->twins, json_array_unref);
  g_task_return_boolean (task, TRUE);
}

/* Back on the main thread: the rows wait to be shown, and become items (cheap: no JSON, no
 * date parsing) a slice at a time as they are. */
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
  for (guint i = 0; i < job->n_rows; i++)
    {
      PendingRow pending = { job->rows[i], job->now };

      g_array_append_val (self->pending, pending);
    }
  /* The rows' strings are the pending rows' now. */
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

  if (self->condition != NULL)
    query = g_strdup_printf ("SELECT * FROM devices WHERE %s", self->condition);
  else
    query = g_strdup ("SELECT * FROM devices");

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
  removed = self->items->len;
  g_ptr_array_set_size (self->items, 0);
  if (removed > 0)
    items_changed (self, 0, removed, 0);

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
cb_device_list_model_find (CbDeviceListModel *self,
                           const char        *device_id,
                           guint             *position)
{
  g_return_val_if_fail (CB_IS_DEVICE_LIST_MODEL (self), NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      CbDeviceItem *item = g_ptr_array_index (self->items, i);

      if (g_strcmp0 (cb_device_item_get_device_id (item), device_id) == 0)
        {
          if (position != NULL)
            *position = i;
          return item;
        }
    }
  return NULL;
}

void
cb_device_list_model_remove_device (CbDeviceListModel *self,
                                    const char        *device_id)
{
  guint position;

  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));

  if (cb_device_list_model_find (self, device_id, &position) == NULL)
    return;
  g_ptr_array_remove_index (self->items, position);
  items_changed (self, position, 1, 0);
}
