/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-list-model"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-device-list-model.h"
#include "cb-util.h"
#include "cb-x509.h"

/* ---- CbDeviceItem ----------------------------------------------------------------------- */

struct _CbDeviceItem
{
  GObject        parent_instance;
  char          *device_id;
  char          *policy;
  gboolean       enabled;
  gint64         valid_from;
  gint64         valid_until;
  gint64         now;          /* the service's time when the item was read */
  CbDeviceState  state;
};

enum
{
  ITEM_PROP_0,
  ITEM_PROP_DEVICE_ID,
  ITEM_PROP_ENABLED,
  ITEM_PROP_ENABLED_LABEL,
  ITEM_PROP_POLICY,
  ITEM_PROP_VALID_UNTIL_TEXT,
  ITEM_PROP_DAYS_LEFT_TEXT,
  ITEM_PROP_STATE_LABEL,
  ITEM_N_PROPS
};

static GParamSpec *item_properties[ITEM_N_PROPS];

G_DEFINE_FINAL_TYPE (CbDeviceItem, cb_device_item, G_TYPE_OBJECT)

const char *
cb_device_state_to_label (CbDeviceState state)
{
  switch (state)
    {
    case CB_DEVICE_STATE_EXPIRED:
      return _("Expired");
    case CB_DEVICE_STATE_RENEWAL_DUE:
      return _("Renewal due");
    case CB_DEVICE_STATE_HEALTHY:
      return _("Healthy");
    case CB_DEVICE_STATE_NOT_REPORTING:
    default:
      return _("Not reporting");
    }
}

static char *
item_dup_valid_until_text (CbDeviceItem *self)
{
  g_autoptr(GDateTime) dt = NULL;

  if (self->state == CB_DEVICE_STATE_NOT_REPORTING)
    return g_strdup ("—");
  dt = g_date_time_new_from_unix_utc (self->valid_until);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

static char *
item_dup_days_left_text (CbDeviceItem *self)
{
  int days;

  if (self->state == CB_DEVICE_STATE_NOT_REPORTING)
    return g_strdup ("—");
  days = cb_validity_get_days_left (self->valid_until, self->now);
  return g_strdup_printf ("%d", days);
}

static void
cb_device_item_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CbDeviceItem *self = CB_DEVICE_ITEM (object);

  switch (prop_id)
    {
    case ITEM_PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case ITEM_PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case ITEM_PROP_ENABLED_LABEL:
      g_value_set_string (value, self->enabled ? _("Enabled") : _("Disabled"));
      break;
    case ITEM_PROP_POLICY:
      g_value_set_string (value, self->policy != NULL ? self->policy : "—");
      break;
    case ITEM_PROP_VALID_UNTIL_TEXT:
      g_value_take_string (value, item_dup_valid_until_text (self));
      break;
    case ITEM_PROP_DAYS_LEFT_TEXT:
      g_value_take_string (value, item_dup_days_left_text (self));
      break;
    case ITEM_PROP_STATE_LABEL:
      g_value_set_string (value, cb_device_state_to_label (self->state));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_device_item_finalize (GObject *object)
{
  CbDeviceItem *self = CB_DEVICE_ITEM (object);

  g_free (self->device_id);
  g_free (self->policy);

  G_OBJECT_CLASS (cb_device_item_parent_class)->finalize (object);
}

static void
cb_device_item_class_init (CbDeviceItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = cb_device_item_get_property;
  object_class->finalize = cb_device_item_finalize;

#define RO (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)
  item_properties[ITEM_PROP_DEVICE_ID] =
    g_param_spec_string ("device-id", NULL, NULL, NULL, RO);
  item_properties[ITEM_PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, FALSE, RO);
  item_properties[ITEM_PROP_ENABLED_LABEL] =
    g_param_spec_string ("enabled-label", NULL, NULL, NULL, RO);
  item_properties[ITEM_PROP_POLICY] =
    g_param_spec_string ("policy", NULL, NULL, NULL, RO);
  item_properties[ITEM_PROP_VALID_UNTIL_TEXT] =
    g_param_spec_string ("valid-until-text", NULL, NULL, NULL, RO);
  item_properties[ITEM_PROP_DAYS_LEFT_TEXT] =
    g_param_spec_string ("days-left-text", NULL, NULL, NULL, RO);
  item_properties[ITEM_PROP_STATE_LABEL] =
    g_param_spec_string ("state-label", NULL, NULL, NULL, RO);
#undef RO

  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_properties);
}

static void
cb_device_item_init (CbDeviceItem *self)
{
  self->state = CB_DEVICE_STATE_NOT_REPORTING;
}

static const char *
object_get_string (JsonObject *obj,
                   const char *name)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, name))
    return NULL;
  node = json_object_get_member (obj, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
object_get_object (JsonObject *obj,
                   const char *name)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, name))
    return NULL;
  node = json_object_get_member (obj, name);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

CbDeviceItem *
cb_device_item_new_from_twin (JsonObject *twin,
                              const char *policy,
                              gint64      now,
                              double      renewal_fraction)
{
  CbDeviceItem *self;
  JsonObject *certificate;
  const char *from;
  const char *until;

  g_return_val_if_fail (twin != NULL, NULL);

  self = g_object_new (CB_TYPE_DEVICE_ITEM, NULL);
  self->device_id = g_strdup (object_get_string (twin, "deviceId"));
  self->policy = g_strdup (policy);
  self->now = now;
  self->enabled = g_strcmp0 (object_get_string (twin, "status"), "disabled") != 0;

  certificate = object_get_object (object_get_object (object_get_object (twin, "properties"),
                                                      "reported"),
                                   "certificate");
  from = object_get_string (certificate, "validFrom");
  until = object_get_string (certificate, "validUntil");
  if (from != NULL && until != NULL &&
      cb_time_parse_iso8601 (from, &self->valid_from) &&
      cb_time_parse_iso8601 (until, &self->valid_until))
    {
      switch (cb_validity_get_state (self->valid_from, self->valid_until, now, renewal_fraction))
        {
        case CB_VALIDITY_EXPIRED:
          self->state = CB_DEVICE_STATE_EXPIRED;
          break;
        case CB_VALIDITY_RENEWAL_DUE:
          self->state = CB_DEVICE_STATE_RENEWAL_DUE;
          break;
        case CB_VALIDITY_NOT_YET_VALID:
        case CB_VALIDITY_VALID:
        default:
          self->state = CB_DEVICE_STATE_HEALTHY;
          break;
        }
    }

  return self;
}

const char *
cb_device_item_get_device_id (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), NULL);
  return self->device_id;
}

gboolean
cb_device_item_get_enabled (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), FALSE);
  return self->enabled;
}

void
cb_device_item_set_enabled (CbDeviceItem *self,
                            gboolean      enabled)
{
  g_return_if_fail (CB_IS_DEVICE_ITEM (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_ENABLED]);
  g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_ENABLED_LABEL]);
}

const char *
cb_device_item_get_policy (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), NULL);
  return self->policy;
}

gint64
cb_device_item_get_valid_until (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), 0);
  return self->valid_until;
}

CbDeviceState
cb_device_item_get_state (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), CB_DEVICE_STATE_NOT_REPORTING);
  return self->state;
}

const char *
cb_device_item_get_state_label (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), NULL);
  return cb_device_state_to_label (self->state);
}

char *
cb_device_state_build_condition (CbDeviceState state,
                                 gint64        now,
                                 double        renewal_fraction,
                                 guint         validity_days)
{
  const char *path = "properties.reported.certificate.validUntil";
  g_autofree char *now_text = cb_time_format_fixed (now);
  g_autofree char *cutoff_text = NULL;
  gint64 lifetime = (gint64) validity_days * 86400;

  /* Due when now >= notBefore + f * L, that is when validUntil <= now + (1 - f) * L. */
  cutoff_text = cb_time_format_fixed (now + (gint64) ((1.0 - renewal_fraction) * lifetime));

  switch (state)
    {
    case CB_DEVICE_STATE_EXPIRED:
      return g_strdup_printf ("%s < '%s'", path, now_text);
    case CB_DEVICE_STATE_RENEWAL_DUE:
      return g_strdup_printf ("%s >= '%s' AND %s <= '%s'", path, now_text, path, cutoff_text);
    case CB_DEVICE_STATE_HEALTHY:
      return g_strdup_printf ("%s > '%s'", path, cutoff_text);
    case CB_DEVICE_STATE_NOT_REPORTING:
    default:
      return g_strdup_printf ("NOT IS_DEFINED(%s)", path);
    }
}

/* ---- CbDeviceListModel ------------------------------------------------------------------ */

#define DEFAULT_PAGE_SIZE 50
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
  double        renewal_fraction;
  guint         page_size;
  guint         n_requests;
  guint         loading : 1;
  guint         emitting : 1;
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

  /* A view asking for rows near the end is the signal to fetch the next page; views also
   * peek at rows while they handle items-changed, which says nothing about scrolling. */
  if (!self->emitting && position + PREFETCH_MARGIN >= self->items->len)
    cb_device_list_model_load_more (self);

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
  self->emitting = TRUE;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  self->emitting = FALSE;
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
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
  self->renewal_fraction = CB_DEFAULT_RENEWAL_FRACTION;
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
cb_device_list_model_set_renewal_fraction (CbDeviceListModel *self,
                                           double             fraction)
{
  g_return_if_fail (CB_IS_DEVICE_LIST_MODEL (self));
  self->renewal_fraction = fraction;
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

  position = self->items->len;
  for (guint i = 0; page->items != NULL && i < json_array_get_length (page->items); i++)
    {
      JsonNode *node = json_array_get_element (page->items, i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      g_ptr_array_add (self->items,
                       cb_device_item_new_from_twin (json_node_get_object (node), self->policy,
                                                     now, self->renewal_fraction));
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

  cb_hub_client_query_async (self->hub, query, self->page_size, self->continuation,
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
  self->loading = FALSE;
  self->started = TRUE;
  set_complete (self, FALSE);

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

      if (g_strcmp0 (item->device_id, device_id) == 0)
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
