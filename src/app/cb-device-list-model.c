/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-list-model"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-device-list-model.h"
#include "cb-activity-event.h"
#include "cb-util.h"
#include "cb-x509.h"

/* ---- CbDeviceStateInfo ------------------------------------------------------------------ */

/* Activity logs keep 90 days; leaves live at most 90 days: an older revoke leaves nothing. */
#define REVOCATION_DAYS 90

CbDeviceStateInfo *
cb_device_state_info_new (gint64 now,
                          double renewal_fraction)
{
  CbDeviceStateInfo *info = g_rc_box_new0 (CbDeviceStateInfo);

  info->revocations = cb_revocations_new ();
  info->context.now = now;
  info->context.renewal_fraction = renewal_fraction;
  info->context.validity_days = 30;
  info->context.revocations = info->revocations;
  info->context.revocations_known = FALSE;
  return info;
}

CbDeviceStateInfo *
cb_device_state_info_ref (CbDeviceStateInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return g_rc_box_acquire (info);
}

static void
state_info_clear (CbDeviceStateInfo *info)
{
  cb_revocations_free (info->revocations);
  g_free (info->policy);
  g_clear_error (&info->error);
}

void
cb_device_state_info_unref (CbDeviceStateInfo *info)
{
  if (info != NULL)
    g_rc_box_release_full (info, (GDestroyNotify) state_info_clear);
}

typedef struct
{
  CbContext         *context;
  CbDeviceStateInfo *info;
  char              *wanted;
  char              *namespace_prefix;
  gint64             ca_not_before;
} InfoLoad;

static void
info_load_free (InfoLoad *load)
{
  g_object_unref (load->context);
  cb_device_state_info_unref (load->info);
  g_free (load->wanted);
  g_free (load->namespace_prefix);
  g_free (load);
}

static void
info_activity_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  InfoLoad *load = g_task_get_task_data (task);
  CbDeviceStateInfo *info = load->info;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  gint64 rotated;

  events = cb_adr_client_list_activity_finish (CB_ADR_CLIENT (object), result, &error);
  if (events == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_debug ("The activity log could not be read: %s", error->message);
      info->error = g_steal_pointer (&error);
      g_task_return_pointer (task, cb_device_state_info_ref (info),
                             (GDestroyNotify) cb_device_state_info_unref);
      return;
    }

  cb_revocations_add_events (info->revocations, events, load->namespace_prefix);
  info->context.revocations_known = TRUE;

  /* After a revokeIssuer the policy's issuing CA is the replacement: what predates it came
   * from the revoked one. */
  rotated = cb_revocations_get_issuer (info->revocations, info->policy);
  if (rotated > 0)
    info->context.issuer_rotated_at = load->ca_not_before > 0 ? load->ca_not_before : rotated;

  g_task_return_pointer (task, cb_device_state_info_ref (info),
                         (GDestroyNotify) cb_device_state_info_unref);
}

static void
info_read_activity (GTask *task)
{
  InfoLoad *load = g_task_get_task_data (task);
  gint64 now = load->info->context.now;

  cb_adr_client_list_activity_async (cb_context_get_adr (load->context),
                                     now - REVOCATION_DAYS * 86400, now + 3600, NULL,
                                     g_task_get_cancellable (task), info_activity_cb, task);
}

static void
info_policies_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  InfoLoad *load = g_task_get_task_data (task);
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GError) error = NULL;

  policies = cb_adr_client_list_policies_finish (CB_ADR_CLIENT (object), result, &error);
  if (policies == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  for (guint i = 0; policies != NULL && i < policies->len; i++)
    {
      CbPolicy *policy = g_ptr_array_index (policies, i);
      const char *id = cb_policy_get_id (policy);
      const char *credentials;

      if (i > 0 && g_strcmp0 (cb_policy_get_name (policy), load->wanted) != 0)
        continue;
      cb_set_str (&load->info->policy, cb_policy_get_name (policy));
      load->info->context.validity_days = cb_policy_get_validity_days (policy);
      load->ca_not_before = cb_policy_get_ca_not_before (policy);
      /* The namespace's resource id: what comes before /credentials/ in the policy's. */
      credentials = id != NULL ? strstr (id, "/credentials/") : NULL;
      if (credentials != NULL)
        {
          g_autofree char *ns = g_strndup (id, credentials - id);

          g_free (load->namespace_prefix);
          load->namespace_prefix = g_strconcat (ns, "/", NULL);
        }
    }

  info_read_activity (task);
}

void
cb_device_state_info_load_async (CbContext           *context,
                                 const char          *policy,
                                 double               renewal_fraction,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  InfoLoad *load;

  g_return_if_fail (CB_IS_CONTEXT (context));

  task = g_task_new (context, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_device_state_info_load_async);
  load = g_new0 (InfoLoad, 1);
  load->context = g_object_ref (context);
  load->wanted = g_strdup (policy);
  load->info = cb_device_state_info_new (cb_context_get_service_now (context), renewal_fraction);
  g_task_set_task_data (task, load, (GDestroyNotify) info_load_free);

  if (cb_context_get_adr (context) == NULL)
    {
      g_set_error_literal (&load->info->error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("The connection has no device registry to read revocations from"));
      g_task_return_pointer (task, cb_device_state_info_ref (load->info),
                             (GDestroyNotify) cb_device_state_info_unref);
      return;
    }

  cb_adr_client_list_policies_async (cb_context_get_adr (context), cancellable, info_policies_cb,
                                     g_steal_pointer (&task));
}

CbDeviceStateInfo *
cb_device_state_info_load_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cb_device_state_info_load_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- CbDeviceItem ----------------------------------------------------------------------- */

struct _CbDeviceItem
{
  GObject            parent_instance;
  char              *device_id;
  char              *policy;
  char              *reason;
  gboolean           enabled;
  gboolean           has_dates;
  gint64             valid_from;
  gint64             valid_until;
  gint64             now;          /* the service's time when the item was read */
  CbDeviceState      state;
  CbDeviceStateInfo *info;         /* what the state was judged with */
  CbDeviceSignals    signals;      /* the twin's part (no strings) */
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
  ITEM_PROP_STATE_REASON,
  ITEM_N_PROPS
};

static GParamSpec *item_properties[ITEM_N_PROPS];

G_DEFINE_FINAL_TYPE (CbDeviceItem, cb_device_item, G_TYPE_OBJECT)

static char *
item_dup_valid_until_text (CbDeviceItem *self)
{
  g_autoptr(GDateTime) dt = NULL;

  if (!self->has_dates)
    return g_strdup ("—");
  dt = g_date_time_new_from_unix_utc (self->valid_until);
  return g_date_time_format (dt, "%Y-%m-%d %H:%M");
}

static char *
item_dup_days_left_text (CbDeviceItem *self)
{
  int days;

  if (!self->has_dates)
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
    case ITEM_PROP_STATE_REASON:
      g_value_set_string (value, self->reason);
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
  g_free (self->reason);
  cb_device_state_info_unref (self->info);

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
  item_properties[ITEM_PROP_STATE_REASON] =
    g_param_spec_string ("state-reason", NULL, NULL, NULL, RO);
#undef RO

  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_properties);
}

static void
cb_device_item_init (CbDeviceItem *self)
{
  self->state = CB_DEVICE_STATE_UNKNOWN;
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

/* Judges the item again: after new signals, or after its enabled switch changed. */
static void
item_evaluate (CbDeviceItem *self)
{
  CbDeviceStateContext context = self->info->context;
  g_autofree char *reason = NULL;
  CbDeviceState state;

  context.now = self->now;
  state = cb_device_state_evaluate (&context, &self->signals, &reason);
  if (state == self->state && g_strcmp0 (reason, self->reason) == 0)
    return;
  self->state = state;
  g_free (self->reason);
  self->reason = g_steal_pointer (&reason);
  g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_STATE_LABEL]);
  g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_STATE_REASON]);
}

static CbDeviceItem *
item_new (JsonObject        *twin,
          const char        *policy,
          CbDeviceStateInfo *info,
          gint64             now)
{
  CbDeviceItem *self;
  JsonObject *certificate;

  self = g_object_new (CB_TYPE_DEVICE_ITEM, NULL);
  self->device_id = g_strdup (object_get_string (twin, "deviceId"));
  self->policy = g_strdup (policy);
  self->now = now;
  self->info = cb_device_state_info_ref (info);
  self->enabled = g_strcmp0 (object_get_string (twin, "status"), "disabled") != 0;

  certificate = object_get_object (object_get_object (object_get_object (twin, "properties"),
                                                      "reported"),
                                   "certificate");
  cb_device_signals_init_from_twin (&self->signals, &info->context, self->device_id,
                                    object_get_string (twin, "status"),
                                    object_get_string (certificate, "validFrom"),
                                    object_get_string (certificate, "validUntil"),
                                    object_get_string (twin, "lastActivityTime"));
  self->has_dates = self->signals.has_dates;
  self->valid_from = self->signals.valid_from;
  self->valid_until = self->signals.valid_until;
  self->state = CB_DEVICE_N_STATES;
  item_evaluate (self);

  return self;
}

/**
 * cb_device_item_new_from_twin:
 * @info: (nullable): the fleet-wide signals (judged at its clock); NULL judges with none
 *   (revocations unknown) on the local clock
 */
CbDeviceItem *
cb_device_item_new_from_twin (JsonObject              *twin,
                              const char              *policy,
                              const CbDeviceStateInfo *info)
{
  g_autoptr(CbDeviceStateInfo) fallback = NULL;

  g_return_val_if_fail (twin != NULL, NULL);

  if (info == NULL)
    info = fallback = cb_device_state_info_new (g_get_real_time () / G_USEC_PER_SEC,
                                                CB_DEFAULT_RENEWAL_FRACTION);
  return item_new (twin, policy, (CbDeviceStateInfo *) info, info->context.now);
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
  self->signals.disabled = !enabled;
  g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_ENABLED]);
  g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_ENABLED_LABEL]);
  /* The state follows the switch. */
  item_evaluate (self);
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
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), CB_DEVICE_STATE_UNKNOWN);
  return self->state;
}

const char *
cb_device_item_get_state_label (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), NULL);
  return cb_device_state_to_label (self->state);
}

const char *
cb_device_item_get_state_reason (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), NULL);
  return self->reason;
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
  CbDeviceStateInfo *info;
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

      g_clear_pointer (&item->info, cb_device_state_info_unref);
      item->info = cb_device_state_info_ref (info);
      item->signals.revoked_at = cb_revocations_get_device (info->revocations, item->device_id);
      item_evaluate (item);
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
                       item_new (json_node_get_object (node), self->policy, self->info, now));
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
