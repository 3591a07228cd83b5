/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-client"

/* CbDeviceDiag: a device's answer to the bench group's `diag` (its clock, errors, the active
 * leaf's validity, its hub connection and last renewal). Immutable. */

#include "config.h"

#include "cb-device-diag-private.h"

struct _CbDeviceDiag
{
  GObject   parent_instance;

  /* Owned */
  char     *tls_error;
  char     *dps_error;
  char     *hub;
  char     *hub_state;
  char     *hub_error;
  char     *renew_state;
  char     *renew_error;

  gint64    time;
  guint64   uptime;
  gint64    not_before;
  gint64    not_after;
  gint64    renew_at;
  gboolean  has_validity;
  gint64    hub_time;
  gint64    renew_time;
};

G_DEFINE_FINAL_TYPE (CbDeviceDiag, cb_device_diag, G_TYPE_OBJECT)

enum {
  DIAG_PROP_0,
  DIAG_PROP_TIME,
  DIAG_PROP_UPTIME,
  DIAG_PROP_TLS_ERROR,
  DIAG_PROP_DPS_ERROR,
  DIAG_PROP_HAS_VALIDITY,
  DIAG_PROP_NOT_BEFORE,
  DIAG_PROP_NOT_AFTER,
  DIAG_PROP_RENEW_AT,
  DIAG_PROP_HUB,
  DIAG_PROP_HUB_STATE,
  DIAG_PROP_HUB_ERROR,
  DIAG_PROP_HUB_TIME,
  DIAG_PROP_RENEW_STATE,
  DIAG_PROP_RENEW_ERROR,
  DIAG_PROP_RENEW_TIME,
  DIAG_N_PROPS
};

static GParamSpec *diag_properties[DIAG_N_PROPS];

static void
cb_device_diag_finalize (GObject *object)
{
  CbDeviceDiag *self = (CbDeviceDiag *)object;

  g_clear_pointer (&self->tls_error, g_free);
  g_clear_pointer (&self->dps_error, g_free);
  g_clear_pointer (&self->hub, g_free);
  g_clear_pointer (&self->hub_state, g_free);
  g_clear_pointer (&self->hub_error, g_free);
  g_clear_pointer (&self->renew_state, g_free);
  g_clear_pointer (&self->renew_error, g_free);

  G_OBJECT_CLASS (cb_device_diag_parent_class)->finalize (object);
}

static void
cb_device_diag_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CbDeviceDiag *self = CB_DEVICE_DIAG (object);

  switch (prop_id)
    {
    case DIAG_PROP_TIME: g_value_set_int64 (value, self->time); break;
    case DIAG_PROP_UPTIME: g_value_set_uint64 (value, self->uptime); break;
    case DIAG_PROP_TLS_ERROR: g_value_set_string (value, self->tls_error); break;
    case DIAG_PROP_DPS_ERROR: g_value_set_string (value, self->dps_error); break;
    case DIAG_PROP_HAS_VALIDITY: g_value_set_boolean (value, self->has_validity); break;
    case DIAG_PROP_NOT_BEFORE: g_value_set_int64 (value, self->not_before); break;
    case DIAG_PROP_NOT_AFTER: g_value_set_int64 (value, self->not_after); break;
    case DIAG_PROP_RENEW_AT: g_value_set_int64 (value, self->renew_at); break;
    case DIAG_PROP_HUB: g_value_set_string (value, self->hub); break;
    case DIAG_PROP_HUB_STATE: g_value_set_string (value, self->hub_state); break;
    case DIAG_PROP_HUB_ERROR: g_value_set_string (value, self->hub_error); break;
    case DIAG_PROP_HUB_TIME: g_value_set_int64 (value, self->hub_time); break;
    case DIAG_PROP_RENEW_STATE: g_value_set_string (value, self->renew_state); break;
    case DIAG_PROP_RENEW_ERROR: g_value_set_string (value, self->renew_error); break;
    case DIAG_PROP_RENEW_TIME: g_value_set_int64 (value, self->renew_time); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_device_diag_class_init (CbDeviceDiagClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_device_diag_finalize;
  object_class->get_property = cb_device_diag_get_property;

  diag_properties[DIAG_PROP_TIME] =
    g_param_spec_int64 ("time", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  diag_properties[DIAG_PROP_UPTIME] =
    g_param_spec_uint64 ("uptime", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  diag_properties[DIAG_PROP_TLS_ERROR] =
    g_param_spec_string ("tls-error", NULL, NULL, NULL, flags);
  diag_properties[DIAG_PROP_DPS_ERROR] =
    g_param_spec_string ("dps-error", NULL, NULL, NULL, flags);
  diag_properties[DIAG_PROP_HAS_VALIDITY] =
    g_param_spec_boolean ("has-validity", NULL, NULL, FALSE, flags);
  diag_properties[DIAG_PROP_NOT_BEFORE] =
    g_param_spec_int64 ("not-before", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  diag_properties[DIAG_PROP_NOT_AFTER] =
    g_param_spec_int64 ("not-after", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  diag_properties[DIAG_PROP_RENEW_AT] =
    g_param_spec_int64 ("renew-at", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  diag_properties[DIAG_PROP_HUB] = g_param_spec_string ("hub", NULL, NULL, NULL, flags);
  diag_properties[DIAG_PROP_HUB_STATE] =
    g_param_spec_string ("hub-state", NULL, NULL, NULL, flags);
  diag_properties[DIAG_PROP_HUB_ERROR] =
    g_param_spec_string ("hub-error", NULL, NULL, NULL, flags);
  diag_properties[DIAG_PROP_HUB_TIME] =
    g_param_spec_int64 ("hub-time", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  diag_properties[DIAG_PROP_RENEW_STATE] =
    g_param_spec_string ("renew-state", NULL, NULL, NULL, flags);
  diag_properties[DIAG_PROP_RENEW_ERROR] =
    g_param_spec_string ("renew-error", NULL, NULL, NULL, flags);
  diag_properties[DIAG_PROP_RENEW_TIME] =
    g_param_spec_int64 ("renew-time", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, DIAG_N_PROPS, diag_properties);
}

static void
cb_device_diag_init (CbDeviceDiag *self)
{
}

CbDeviceDiag *
cb_device_diag_new_from_rsp (const cbp_diag_rsp *rsp)
{
  CbDeviceDiag *self = g_object_new (CB_TYPE_DEVICE_DIAG, NULL);

  self->time = rsp->time;
  self->uptime = rsp->uptime;
  self->tls_error = g_strdup (rsp->tls_err);
  self->dps_error = g_strdup (rsp->dps_err);
  self->has_validity = rsp->has_not_before && rsp->has_not_after;
  self->not_before = rsp->has_not_before ? rsp->not_before : 0;
  self->not_after = rsp->has_not_after ? rsp->not_after : 0;
  self->renew_at = rsp->has_renew_at ? rsp->renew_at : 0;
  self->hub = g_strdup (rsp->hub);
  self->hub_state = g_strdup (rsp->hub_state);
  self->hub_error = g_strdup (rsp->hub_err);
  self->hub_time = rsp->has_hub_time ? rsp->hub_time : 0;
  self->renew_state = g_strdup (rsp->renew_state);
  self->renew_error = g_strdup (rsp->renew_err);
  self->renew_time = rsp->has_renew_time ? rsp->renew_time : 0;

  return self;
}

gint64
cb_device_diag_get_time (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), 0);
  return self->time;
}

guint64
cb_device_diag_get_uptime (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), 0);
  return self->uptime;
}

const char *
cb_device_diag_get_tls_error (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), NULL);
  return self->tls_error;
}

const char *
cb_device_diag_get_dps_error (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), NULL);
  return self->dps_error;
}

gboolean
cb_device_diag_get_has_validity (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), FALSE);
  return self->has_validity;
}

gint64
cb_device_diag_get_not_before (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), 0);
  return self->not_before;
}

gint64
cb_device_diag_get_not_after (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), 0);
  return self->not_after;
}

gint64
cb_device_diag_get_renew_at (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), 0);
  return self->renew_at;
}

const char *
cb_device_diag_get_hub (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), NULL);
  return self->hub;
}

const char *
cb_device_diag_get_hub_state (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), NULL);
  return self->hub_state;
}

const char *
cb_device_diag_get_hub_error (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), NULL);
  return self->hub_error;
}

gint64
cb_device_diag_get_hub_time (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), 0);
  return self->hub_time;
}

const char *
cb_device_diag_get_renew_state (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), NULL);
  return self->renew_state;
}

const char *
cb_device_diag_get_renew_error (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), NULL);
  return self->renew_error;
}

gint64
cb_device_diag_get_renew_time (CbDeviceDiag *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DIAG (self), 0);
  return self->renew_time;
}
