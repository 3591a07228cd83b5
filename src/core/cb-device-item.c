/* SPDX-License-Identifier: GPL-3.0-or-later */

/* One row of the device list: a hub twin reduced to what the registry shows, with its
 * effective state judged by the rules of cb-device-state.c. */

#define G_LOG_DOMAIN "cb-device-item"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-device-item.h"
#include "cb-x509.h"

struct _CbDeviceItem
{
  GObject            parent_instance;
  char              *device_id;
  char              *policy;         /* a GRefString, shared by the rows of one policy */
  char              *reason;         /* NULL until asked for: most rows never are */
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
      g_value_set_string (value, cb_device_item_get_state_reason (self));
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
  g_clear_pointer (&self->policy, g_ref_string_release);
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

static CbDeviceState
item_judge (CbDeviceItem  *self,
            char         **reason)
{
  CbDeviceStateContext context = self->info->context;

  context.now = self->now;
  return cb_device_state_evaluate (&context, &self->signals, reason);
}

/* Judges the item again: after new signals, or after its enabled switch changed. The reason
 * is kept only once someone asked for it (a sentence with dates, for 100k rows that nobody
 * reads): then it notifies when it changes, else whenever the item is judged again. */
static void
item_evaluate (CbDeviceItem *self)
{
  g_autofree char *reason = NULL;
  gboolean first = self->state == CB_DEVICE_N_STATES;
  CbDeviceState state;

  if (self->reason == NULL)
    {
      state = item_judge (self, NULL);
      if (first)
        {
          self->state = state;
          return;
        }
    }
  else
    {
      state = item_judge (self, &reason);
      if (state == self->state && g_strcmp0 (reason, self->reason) == 0)
        return;
      g_free (self->reason);
      self->reason = g_steal_pointer (&reason);
    }
  if (state != self->state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_STATE_LABEL]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_STATE_REASON]);
}

/* Read without touching any shared state: safe in a worker thread (the revocations are
 * looked up when the item is made). */
static void
row_init (CbDeviceRow *row,
          JsonObject  *fields,
          JsonObject  *certificate)
{
  static const CbDeviceStateContext no_context = { 0, };
  const char *status;

  g_return_if_fail (row != NULL);

  status = object_get_string (fields, "status");
  row->device_id = g_strdup (object_get_string (fields, "deviceId"));
  row->enabled = g_strcmp0 (status, "disabled") != 0;
  cb_device_signals_init_from_twin (&row->signals, &no_context, row->device_id, status,
                                    object_get_string (certificate, "validFrom"),
                                    object_get_string (certificate, "validUntil"),
                                    object_get_string (fields, "lastActivityTime"));
}

/* The part of a twin a row needs. */
void
cb_device_row_init_from_twin (CbDeviceRow *row,
                              JsonObject  *twin)
{
  row_init (row, twin,
            object_get_object (object_get_object (object_get_object (twin, "properties"),
                                                  "reported"),
                               "certificate"));
}

/* A row of CB_DEVICE_ROW_SELECT. */
void
cb_device_row_init_from_select (CbDeviceRow *row,
                                JsonObject  *selected)
{
  row_init (row, selected, object_get_object (selected, "certificate"));
}

void
cb_device_row_clear (CbDeviceRow *row)
{
  g_clear_pointer (&row->device_id, g_free);
}

/* Takes the row's strings. */
CbDeviceItem *
cb_device_item_new_from_row (CbDeviceRow       *row,
                             const char        *policy,
                             CbDeviceStateInfo *info,
                             gint64             now)
{
  CbDeviceItem *self;

  g_return_val_if_fail (row != NULL && info != NULL, NULL);

  self = g_object_new (CB_TYPE_DEVICE_ITEM, NULL);
  self->device_id = g_steal_pointer (&row->device_id);
  self->policy = policy != NULL ? g_ref_string_new_intern (policy) : NULL;
  self->now = now;
  self->info = cb_device_state_info_ref (info);
  self->enabled = row->enabled;
  self->signals = row->signals;
  self->signals.revoked_at = cb_revocations_get_device (info->context.revocations,
                                                        self->device_id);
  self->has_dates = self->signals.has_dates;
  self->valid_from = self->signals.valid_from;
  self->valid_until = self->signals.valid_until;
  self->state = CB_DEVICE_N_STATES;
  item_evaluate (self);

  return self;
}

CbDeviceItem *
cb_device_item_new_at (JsonObject        *twin,
                       const char        *policy,
                       CbDeviceStateInfo *info,
                       gint64             now)
{
  CbDeviceRow row = { 0, };

  cb_device_row_init_from_twin (&row, twin);
  return cb_device_item_new_from_row (&row, policy, info, now);
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
  return cb_device_item_new_at (twin, policy, (CbDeviceStateInfo *) info, info->context.now);
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

/* The table's texts, built when a cell is bound: nothing is kept per row. */
char *
cb_device_item_dup_valid_until_text (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), NULL);
  return item_dup_valid_until_text (self);
}

char *
cb_device_item_dup_days_left_text (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), NULL);
  return item_dup_days_left_text (self);
}

const char *
cb_device_item_get_enabled_label (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), NULL);
  return self->enabled ? _("Enabled") : _("Disabled");
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

/* The twin's lastActivityTime (unix seconds), 0 when unknown. */
gint64
cb_device_item_get_last_activity (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), 0);
  return self->signals.last_activity;
}

/* Whether the twin reports certificate dates (else valid_until means nothing). */
gboolean
cb_device_item_get_has_dates (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), FALSE);
  return self->has_dates;
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
  if (self->reason == NULL)
    item_judge (self, &self->reason);
  return self->reason;
}

/* The same sentence, not kept in the item (for a cell: rows scrolled past keep nothing). */
char *
cb_device_item_dup_state_reason (CbDeviceItem *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_ITEM (self), NULL);
  if (self->reason != NULL)
    return g_strdup (self->reason);
  item_judge (self, &self->reason);
  return g_steal_pointer (&self->reason);
}

void
cb_device_item_judge_again (CbDeviceItem      *self,
                            CbDeviceStateInfo *info)
{
  g_return_if_fail (CB_IS_DEVICE_ITEM (self));
  g_return_if_fail (info != NULL);

  g_clear_pointer (&self->info, cb_device_state_info_unref);
  self->info = cb_device_state_info_ref (info);
  self->signals.revoked_at = cb_revocations_get_device (info->revocations, self->device_id);
  item_evaluate (self);
}
