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
/* Fetch the next page when a view reaches this close to the end of what is loaded. */
#define PREFETCH_MARGIN   10

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
  guint         loading : 1;
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
  if (position + PREFETCH_MARGIN >= self->items->len)
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

static void
set_loading (CbDeviceListModel *self,
             gboolean           loading)
{
  if (self->loading == !!loading)
    return;
  self->loading = !!loading;
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
    {
      CbDeviceItem *item = g_ptr_array_index (self->items, i);

      cb_device_item_judge_again (item, info);
    }
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

static void
query_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CbDeviceListModel) self = user_data;
  g_autoptr(CbHubQueryPage) page = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now;
  guint position;
  guint added = 0;

  page = cb_hub_client_query_finish (CB_HUB_CLIENT (object), result, &error);
  if (page == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_loading (self, FALSE);
  g_clear_error (&self->error);
  now = cb_http_client_get_server_now (cb_hub_client_get_http (CB_HUB_CLIENT (object)));

  if (page == NULL)
    {
      g_debug ("Device query failed: %s", error->message);
      self->error = g_steal_pointer (&error);
      set_complete (self, TRUE);
      /* Let views notice the failure even when nothing changed. */
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
      return;
    }

  /* Rows are judged on the service's clock at the time they were read. */
  if (self->info == NULL)
    self->info = cb_device_state_info_new (now, CB_DEFAULT_RENEWAL_FRACTION);

  position = self->items->len;
  for (guint i = 0; page->items != NULL && i < json_array_get_length (page->items); i++)
    {
      JsonNode *node = json_array_get_element (page->items, i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      g_ptr_array_add (self->items,
                       cb_device_item_new_at (json_node_get_object (node), self->policy, self->info, now));
      added++;
    }

  g_free (self->continuation);
  self->continuation = g_strdup (page->continuation);
  set_complete (self, self->continuation == NULL);

  if (added > 0)
    items_changed (self, position, 0, added);
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
  set_loading (self, TRUE);

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
  self->next_page_size = self->page_size;
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

  if (!self->started || self->loading || self->complete || self->continuation == NULL)
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
