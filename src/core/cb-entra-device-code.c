/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-entra-device-code"

/* CbEntraDeviceCode: the code of Entra's device-code flow that a UI shows while the user signs
 * in elsewhere (the code, the link and Entra's message), with the device code the client polls
 * with. CbEntraClient fills it in from the service's answer. */

#include "config.h"

#include "cb-entra-device-code-private.h"
#include "cb-util.h"

G_DEFINE_FINAL_TYPE (CbEntraDeviceCode, cb_entra_device_code, G_TYPE_OBJECT)

enum
{
  CODE_PROP_0,
  CODE_PROP_USER_CODE,
  CODE_PROP_VERIFICATION_URI,
  CODE_PROP_MESSAGE,
  CODE_PROP_INTERVAL,
  CODE_PROP_EXPIRES_AT,
  CODE_N_PROPS
};

static GParamSpec *code_properties[CODE_N_PROPS];

static void
cb_entra_device_code_finalize (GObject *object)
{
  CbEntraDeviceCode *self = (CbEntraDeviceCode *)object;

  cb_wipe_string (&self->device_code);
  g_clear_pointer (&self->user_code, g_free);
  g_clear_pointer (&self->verification_uri, g_free);
  g_clear_pointer (&self->message, g_free);

  G_OBJECT_CLASS (cb_entra_device_code_parent_class)->finalize (object);
}

static void
cb_entra_device_code_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  CbEntraDeviceCode *self = CB_ENTRA_DEVICE_CODE (object);

  switch (prop_id)
    {
    case CODE_PROP_USER_CODE:
      g_value_set_string (value, self->user_code);
      break;
    case CODE_PROP_VERIFICATION_URI:
      g_value_set_string (value, self->verification_uri);
      break;
    case CODE_PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case CODE_PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case CODE_PROP_EXPIRES_AT:
      g_value_set_int64 (value, self->expires_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_entra_device_code_class_init (CbEntraDeviceCodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_entra_device_code_finalize;
  object_class->get_property = cb_entra_device_code_get_property;

  code_properties[CODE_PROP_USER_CODE] =
    g_param_spec_string ("user-code", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  code_properties[CODE_PROP_VERIFICATION_URI] =
    g_param_spec_string ("verification-uri", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  code_properties[CODE_PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  code_properties[CODE_PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL, 0, G_MAXUINT, CB_ENTRA_DEVICE_CODE_DEFAULT_INTERVAL,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  code_properties[CODE_PROP_EXPIRES_AT] =
    g_param_spec_int64 ("expires-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, CODE_N_PROPS, code_properties);
}

static void
cb_entra_device_code_init (CbEntraDeviceCode *self)
{
  self->interval = CB_ENTRA_DEVICE_CODE_DEFAULT_INTERVAL;
}

const char *
cb_entra_device_code_get_user_code (CbEntraDeviceCode *self)
{
  g_return_val_if_fail (CB_IS_ENTRA_DEVICE_CODE (self), NULL);
  return self->user_code;
}

const char *
cb_entra_device_code_get_verification_uri (CbEntraDeviceCode *self)
{
  g_return_val_if_fail (CB_IS_ENTRA_DEVICE_CODE (self), NULL);
  return self->verification_uri;
}

const char *
cb_entra_device_code_get_message (CbEntraDeviceCode *self)
{
  g_return_val_if_fail (CB_IS_ENTRA_DEVICE_CODE (self), NULL);
  return self->message;
}

guint
cb_entra_device_code_get_interval (CbEntraDeviceCode *self)
{
  g_return_val_if_fail (CB_IS_ENTRA_DEVICE_CODE (self), 0);
  return self->interval;
}

gint64
cb_entra_device_code_get_expires_at (CbEntraDeviceCode *self)
{
  g_return_val_if_fail (CB_IS_ENTRA_DEVICE_CODE (self), 0);
  return self->expires_at;
}
