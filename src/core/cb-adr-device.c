/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-adr-device"

#include "config.h"

#include "cb-adr-device.h"
#include "cb-adr-json-private.h"

struct _CbAdrDevice
{
  GObject   parent_instance;

  char     *id;
  char     *name;
  char     *uuid;
  char     *policy_id;
  char     *policy_name;
  char     *etag;
  char     *external_device_id;
  char     *manufacturer;
  char     *model;
  char     *provisioning_state;
  gint64    version;
  gboolean  enabled;
};

G_DEFINE_FINAL_TYPE (CbAdrDevice, cb_adr_device, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_UUID,
  PROP_POLICY_ID,
  PROP_POLICY_NAME,
  PROP_ETAG,
  PROP_EXTERNAL_DEVICE_ID,
  PROP_MANUFACTURER,
  PROP_MODEL,
  PROP_PROVISIONING_STATE,
  /* non-string properties after this line */
  PROP_VERSION,
  PROP_ENABLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char **
cb_adr_device_string_field (CbAdrDevice *self,
                            guint        prop_id)
{
  switch (prop_id)
    {
    case PROP_ID:
      return &self->id;
    case PROP_NAME:
      return &self->name;
    case PROP_UUID:
      return &self->uuid;
    case PROP_POLICY_ID:
      return &self->policy_id;
    case PROP_POLICY_NAME:
      return &self->policy_name;
    case PROP_ETAG:
      return &self->etag;
    case PROP_EXTERNAL_DEVICE_ID:
      return &self->external_device_id;
    case PROP_MANUFACTURER:
      return &self->manufacturer;
    case PROP_MODEL:
      return &self->model;
    case PROP_PROVISIONING_STATE:
      return &self->provisioning_state;
    default:
      return NULL;
    }
}

static void
cb_adr_device_finalize (GObject *object)
{
  CbAdrDevice *self = (CbAdrDevice *)object;

  for (guint i = PROP_0 + 1; i < PROP_VERSION; i++)
    g_clear_pointer (cb_adr_device_string_field (self, i), g_free);

  G_OBJECT_CLASS (cb_adr_device_parent_class)->finalize (object);
}

static void
cb_adr_device_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CbAdrDevice *self = CB_ADR_DEVICE (object);
  char **field = cb_adr_device_string_field (self, prop_id);

  if (field != NULL)
    g_value_set_string (value, *field);
  else if (prop_id == PROP_VERSION)
    g_value_set_int64 (value, self->version);
  else if (prop_id == PROP_ENABLED)
    g_value_set_boolean (value, self->enabled);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cb_adr_device_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  CbAdrDevice *self = CB_ADR_DEVICE (object);
  char **field = cb_adr_device_string_field (self, prop_id);

  if (field != NULL)
    {
      if (cb_set_str (field, g_value_get_string (value)))
        g_object_notify_by_pspec (object, pspec);
    }
  else if (prop_id == PROP_VERSION)
    {
      if (self->version != g_value_get_int64 (value))
        {
          self->version = g_value_get_int64 (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else if (prop_id == PROP_ENABLED)
    cb_adr_device_set_enabled (self, g_value_get_boolean (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cb_adr_device_class_init (CbAdrDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_adr_device_finalize;
  object_class->get_property = cb_adr_device_get_property;
  object_class->set_property = cb_adr_device_set_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_UUID] = g_param_spec_string ("uuid", NULL, NULL, NULL, flags);
  properties[PROP_POLICY_ID] = g_param_spec_string ("policy-id", NULL, NULL, NULL, flags);
  properties[PROP_POLICY_NAME] = g_param_spec_string ("policy-name", NULL, NULL, NULL, flags);
  properties[PROP_ETAG] = g_param_spec_string ("etag", NULL, NULL, NULL, flags);
  properties[PROP_EXTERNAL_DEVICE_ID] =
    g_param_spec_string ("external-device-id", NULL, NULL, NULL, flags);
  properties[PROP_MANUFACTURER] = g_param_spec_string ("manufacturer", NULL, NULL, NULL, flags);
  properties[PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, flags);
  properties[PROP_PROVISIONING_STATE] =
    g_param_spec_string ("provisioning-state", NULL, NULL, NULL, flags);
  properties[PROP_VERSION] =
    g_param_spec_int64 ("version", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  /* The spec's default is true. */
  properties[PROP_ENABLED] = g_param_spec_boolean ("enabled", NULL, NULL, TRUE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_adr_device_init (CbAdrDevice *self)
{
  self->enabled = TRUE;
}

/**
 * cb_adr_device_new_from_json:
 * @node: one namespace device resource as ARM returns it
 *
 * Returns: (transfer full): the device, or %NULL with %CB_API_ERROR_PARSE
 */
CbAdrDevice *
cb_adr_device_new_from_json (JsonNode  *node,
                             GError   **error)
{
  const char *what = "device";
  g_autoptr(CbAdrDevice) self = g_object_new (CB_TYPE_ADR_DEVICE, NULL);
  JsonObject *obj;
  JsonObject *props = NULL;
  JsonObject *policy = NULL;
  const char *id = NULL, *name = NULL, *etag = NULL, *uuid = NULL, *policy_id = NULL;
  const char *external_id = NULL, *manufacturer = NULL, *model = NULL, *state = NULL;
  const char *enablement = NULL;

  if (!(obj = cb_adr_json_require_object (node, what, error)) ||
      !cb_adr_json_require_string (obj, "name", what, &name, error) ||
      !cb_adr_json_get_string (obj, "id", what, &id, error) ||
      !cb_adr_json_get_string (obj, "etag", what, &etag, error) ||
      !cb_adr_json_get_object (obj, "properties", what, &props, error) ||
      !cb_adr_json_get_string (props, "uuid", what, &uuid, error) ||
      !cb_adr_json_get_boolean (props, "enabled", what, &self->enabled, error) ||
      !cb_adr_json_get_string (props, "externalDeviceId", what, &external_id, error) ||
      !cb_adr_json_get_string (props, "manufacturer", what, &manufacturer, error) ||
      !cb_adr_json_get_string (props, "model", what, &model, error) ||
      !cb_adr_json_get_int (props, "version", what, &self->version, error) ||
      !cb_adr_json_get_string (props, "provisioningState", what, &state, error) ||
      !cb_adr_json_get_object (props, "policy", what, &policy, error) ||
      !cb_adr_json_get_string (policy, "resourceId", what, &policy_id, error) ||
      !cb_adr_json_get_string (props, "enablementState", what, &enablement, error))
    return NULL;

  /* A registry device (2026-11-01) says enablementState instead of enabled. */
  if (enablement != NULL)
    {
      if (g_str_equal (enablement, "Enabled"))
        self->enabled = TRUE;
      else if (g_str_equal (enablement, "Disabled"))
        self->enabled = FALSE;
      else
        {
          cb_adr_json_set_parse_error (error, what, "enablementState", "Enabled or Disabled");
          return NULL;
        }
    }

  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->etag = g_strdup (etag);
  self->uuid = g_strdup (uuid);
  self->external_device_id = g_strdup (external_id);
  self->manufacturer = g_strdup (manufacturer);
  self->model = g_strdup (model);
  self->provisioning_state = g_strdup (state);
  self->policy_id = g_strdup (policy_id);
  self->policy_name = cb_adr_json_id_segment (policy_id, "policies");

  return g_steal_pointer (&self);
}

const char *
cb_adr_device_get_id (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->id;
}

const char *
cb_adr_device_get_name (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->name;
}

const char *
cb_adr_device_get_uuid (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->uuid;
}

gboolean
cb_adr_device_get_enabled (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), FALSE);
  return self->enabled;
}

void
cb_adr_device_set_enabled (CbAdrDevice *self,
                           gboolean     enabled)
{
  g_return_if_fail (CB_IS_ADR_DEVICE (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;

  self->enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

const char *
cb_adr_device_get_policy_id (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->policy_id;
}

const char *
cb_adr_device_get_policy_name (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->policy_name;
}

const char *
cb_adr_device_get_etag (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->etag;
}

gint64
cb_adr_device_get_version (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), 0);
  return self->version;
}

const char *
cb_adr_device_get_external_device_id (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->external_device_id;
}

const char *
cb_adr_device_get_manufacturer (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->manufacturer;
}

const char *
cb_adr_device_get_model (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->model;
}

const char *
cb_adr_device_get_provisioning_state (CbAdrDevice *self)
{
  g_return_val_if_fail (CB_IS_ADR_DEVICE (self), NULL);
  return self->provisioning_state;
}
