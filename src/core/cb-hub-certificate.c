/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-hub-certificate"

#include "config.h"

#include "cb-adr-json-private.h"
#include "cb-hub-certificate.h"

struct _CbHubCertificate
{
  GObject   parent_instance;

  char     *id;
  char     *name;
  char     *subject;
  char     *thumbprint;
  char     *policy_resource_id;
  char     *policy_name;
  char     *etag;
  char     *certificate;
  gint64    expiry;
  gboolean  is_verified;
};

G_DEFINE_FINAL_TYPE (CbHubCertificate, cb_hub_certificate, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_SUBJECT,
  PROP_THUMBPRINT,
  PROP_POLICY_RESOURCE_ID,
  PROP_POLICY_NAME,
  PROP_ETAG,
  PROP_CERTIFICATE,
  /* non-string properties after this line */
  PROP_EXPIRY,
  PROP_IS_VERIFIED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char **
cb_hub_certificate_string_field (CbHubCertificate *self,
                                 guint             prop_id)
{
  switch (prop_id)
    {
    case PROP_ID:
      return &self->id;
    case PROP_NAME:
      return &self->name;
    case PROP_SUBJECT:
      return &self->subject;
    case PROP_THUMBPRINT:
      return &self->thumbprint;
    case PROP_POLICY_RESOURCE_ID:
      return &self->policy_resource_id;
    case PROP_POLICY_NAME:
      return &self->policy_name;
    case PROP_ETAG:
      return &self->etag;
    case PROP_CERTIFICATE:
      return &self->certificate;
    default:
      return NULL;
    }
}

static void
cb_hub_certificate_finalize (GObject *object)
{
  CbHubCertificate *self = (CbHubCertificate *)object;

  for (guint i = PROP_0 + 1; i < PROP_EXPIRY; i++)
    g_clear_pointer (cb_hub_certificate_string_field (self, i), g_free);

  G_OBJECT_CLASS (cb_hub_certificate_parent_class)->finalize (object);
}

static void
cb_hub_certificate_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CbHubCertificate *self = CB_HUB_CERTIFICATE (object);
  char **field = cb_hub_certificate_string_field (self, prop_id);

  if (field != NULL)
    g_value_set_string (value, *field);
  else if (prop_id == PROP_EXPIRY)
    g_value_set_int64 (value, self->expiry);
  else if (prop_id == PROP_IS_VERIFIED)
    g_value_set_boolean (value, self->is_verified);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cb_hub_certificate_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  CbHubCertificate *self = CB_HUB_CERTIFICATE (object);
  char **field = cb_hub_certificate_string_field (self, prop_id);

  if (field != NULL)
    {
      if (cb_set_str (field, g_value_get_string (value)))
        g_object_notify_by_pspec (object, pspec);
    }
  else if (prop_id == PROP_EXPIRY)
    {
      if (self->expiry != g_value_get_int64 (value))
        {
          self->expiry = g_value_get_int64 (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else if (prop_id == PROP_IS_VERIFIED)
    {
      if (self->is_verified != g_value_get_boolean (value))
        {
          self->is_verified = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cb_hub_certificate_class_init (CbHubCertificateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_hub_certificate_finalize;
  object_class->get_property = cb_hub_certificate_get_property;
  object_class->set_property = cb_hub_certificate_set_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_SUBJECT] = g_param_spec_string ("subject", NULL, NULL, NULL, flags);
  properties[PROP_THUMBPRINT] = g_param_spec_string ("thumbprint", NULL, NULL, NULL, flags);
  properties[PROP_POLICY_RESOURCE_ID] =
    g_param_spec_string ("policy-resource-id", NULL, NULL, NULL, flags);
  properties[PROP_POLICY_NAME] = g_param_spec_string ("policy-name", NULL, NULL, NULL, flags);
  properties[PROP_ETAG] = g_param_spec_string ("etag", NULL, NULL, NULL, flags);
  properties[PROP_CERTIFICATE] = g_param_spec_string ("certificate", NULL, NULL, NULL, flags);
  properties[PROP_EXPIRY] =
    g_param_spec_int64 ("expiry", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_IS_VERIFIED] = g_param_spec_boolean ("is-verified", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_hub_certificate_init (CbHubCertificate *self)
{
}

/**
 * cb_hub_certificate_new_from_json:
 * @node: one certificate resource as the IoT Hub resource provider returns it
 *
 * Returns: (transfer full): the certificate, or %NULL with %CB_API_ERROR_PARSE
 */
CbHubCertificate *
cb_hub_certificate_new_from_json (JsonNode  *node,
                                  GError   **error)
{
  const char *what = "hub certificate";
  g_autoptr(CbHubCertificate) self = g_object_new (CB_TYPE_HUB_CERTIFICATE, NULL);
  JsonObject *obj;
  JsonObject *props = NULL;
  const char *id = NULL, *name = NULL, *etag = NULL, *subject = NULL, *thumbprint = NULL;
  const char *policy_id = NULL, *certificate = NULL;

  if (!(obj = cb_adr_json_require_object (node, what, error)) ||
      !cb_adr_json_require_string (obj, "name", what, &name, error) ||
      !cb_adr_json_get_string (obj, "id", what, &id, error) ||
      !cb_adr_json_get_string (obj, "etag", what, &etag, error) ||
      !cb_adr_json_get_object (obj, "properties", what, &props, error) ||
      !cb_adr_json_get_string (props, "subject", what, &subject, error) ||
      !cb_adr_json_get_string (props, "thumbprint", what, &thumbprint, error) ||
      !cb_adr_json_get_time (props, "expiry", what, &self->expiry, error) ||
      !cb_adr_json_get_string (props, "policyResourceId", what, &policy_id, error) ||
      !cb_adr_json_get_boolean (props, "isVerified", what, &self->is_verified, error) ||
      !cb_adr_json_get_string (props, "certificate", what, &certificate, error))
    return NULL;

  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->etag = g_strdup (etag);
  self->subject = g_strdup (subject);
  self->thumbprint = g_strdup (thumbprint);
  self->policy_resource_id = g_strdup (policy_id);
  self->policy_name = cb_adr_json_id_segment (policy_id, "policies");
  self->certificate = g_strdup (certificate);

  return g_steal_pointer (&self);
}

const char *
cb_hub_certificate_get_id (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), NULL);
  return self->id;
}

const char *
cb_hub_certificate_get_name (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), NULL);
  return self->name;
}

const char *
cb_hub_certificate_get_subject (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), NULL);
  return self->subject;
}

const char *
cb_hub_certificate_get_thumbprint (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), NULL);
  return self->thumbprint;
}

gint64
cb_hub_certificate_get_expiry (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), 0);
  return self->expiry;
}

const char *
cb_hub_certificate_get_policy_resource_id (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), NULL);
  return self->policy_resource_id;
}

const char *
cb_hub_certificate_get_policy_name (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), NULL);
  return self->policy_name;
}

gboolean
cb_hub_certificate_get_is_verified (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), FALSE);
  return self->is_verified;
}

const char *
cb_hub_certificate_get_etag (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), NULL);
  return self->etag;
}

const char *
cb_hub_certificate_get_certificate (CbHubCertificate *self)
{
  g_return_val_if_fail (CB_IS_HUB_CERTIFICATE (self), NULL);
  return self->certificate;
}
