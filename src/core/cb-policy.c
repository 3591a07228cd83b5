/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-policy"

#include "config.h"

#include "cb-adr-json-private.h"
#include "cb-policy.h"

struct _CbPolicy
{
  GObject   parent_instance;

  char     *id;
  char     *name;
  char     *namespace;
  char     *provisioning_state;
  char     *key_type;
  char     *ca_subject;
  gint64    ca_not_before;
  gint64    ca_not_after;
  guint     validity_days;
  gboolean  byor_enabled;
  char     *byor_status;
  char     *byor_csr;
  char     *byor_thumbprint;

  CbCertificateAuthority *ca;
};

G_DEFINE_FINAL_TYPE (CbPolicy, cb_policy, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_NAMESPACE,
  PROP_PROVISIONING_STATE,
  PROP_KEY_TYPE,
  PROP_CA_SUBJECT,
  PROP_CA_NOT_BEFORE,
  PROP_CA_NOT_AFTER,
  PROP_VALIDITY_DAYS,
  PROP_BYOR_ENABLED,
  PROP_BYOR_STATUS,
  PROP_BYOR_CSR,
  PROP_BYOR_THUMBPRINT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cb_policy_finalize (GObject *object)
{
  CbPolicy *self = (CbPolicy *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->namespace, g_free);
  g_clear_pointer (&self->provisioning_state, g_free);
  g_clear_pointer (&self->key_type, g_free);
  g_clear_pointer (&self->ca_subject, g_free);
  g_clear_pointer (&self->byor_status, g_free);
  g_clear_pointer (&self->byor_csr, g_free);
  g_clear_pointer (&self->byor_thumbprint, g_free);
  g_clear_object (&self->ca);

  G_OBJECT_CLASS (cb_policy_parent_class)->finalize (object);
}

static void
cb_policy_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CbPolicy *self = CB_POLICY (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_NAMESPACE:
      g_value_set_string (value, self->namespace);
      break;
    case PROP_PROVISIONING_STATE:
      g_value_set_string (value, self->provisioning_state);
      break;
    case PROP_KEY_TYPE:
      g_value_set_string (value, self->key_type);
      break;
    case PROP_CA_SUBJECT:
      g_value_set_string (value, self->ca_subject);
      break;
    case PROP_CA_NOT_BEFORE:
      g_value_set_int64 (value, self->ca_not_before);
      break;
    case PROP_CA_NOT_AFTER:
      g_value_set_int64 (value, self->ca_not_after);
      break;
    case PROP_VALIDITY_DAYS:
      g_value_set_uint (value, self->validity_days);
      break;
    case PROP_BYOR_ENABLED:
      g_value_set_boolean (value, self->byor_enabled);
      break;
    case PROP_BYOR_STATUS:
      g_value_set_string (value, self->byor_status);
      break;
    case PROP_BYOR_CSR:
      g_value_set_string (value, self->byor_csr);
      break;
    case PROP_BYOR_THUMBPRINT:
      g_value_set_string (value, self->byor_thumbprint);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_policy_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  CbPolicy *self = CB_POLICY (object);
  char **str_field = NULL;

  switch (prop_id)
    {
    case PROP_ID:
      str_field = &self->id;
      break;
    case PROP_NAME:
      str_field = &self->name;
      break;
    case PROP_NAMESPACE:
      str_field = &self->namespace;
      break;
    case PROP_PROVISIONING_STATE:
      str_field = &self->provisioning_state;
      break;
    case PROP_KEY_TYPE:
      str_field = &self->key_type;
      break;
    case PROP_CA_SUBJECT:
      str_field = &self->ca_subject;
      break;
    case PROP_BYOR_STATUS:
      str_field = &self->byor_status;
      break;
    case PROP_BYOR_CSR:
      str_field = &self->byor_csr;
      break;
    case PROP_BYOR_THUMBPRINT:
      str_field = &self->byor_thumbprint;
      break;
    case PROP_CA_NOT_BEFORE:
      if (self->ca_not_before != g_value_get_int64 (value))
        {
          self->ca_not_before = g_value_get_int64 (value);
          g_object_notify_by_pspec (object, pspec);
        }
      return;
    case PROP_CA_NOT_AFTER:
      if (self->ca_not_after != g_value_get_int64 (value))
        {
          self->ca_not_after = g_value_get_int64 (value);
          g_object_notify_by_pspec (object, pspec);
        }
      return;
    case PROP_VALIDITY_DAYS:
      if (self->validity_days != g_value_get_uint (value))
        {
          self->validity_days = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      return;
    case PROP_BYOR_ENABLED:
      if (self->byor_enabled != g_value_get_boolean (value))
        {
          self->byor_enabled = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      return;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  if (cb_set_str (str_field, g_value_get_string (value)))
    g_object_notify_by_pspec (object, pspec);
}

static void
cb_policy_class_init (CbPolicyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_policy_finalize;
  object_class->get_property = cb_policy_get_property;
  object_class->set_property = cb_policy_set_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  /* The namespace name, from the id; policies have no field of their own for it. */
  properties[PROP_NAMESPACE] = g_param_spec_string ("namespace", NULL, NULL, NULL, flags);
  properties[PROP_PROVISIONING_STATE] =
    g_param_spec_string ("provisioning-state", NULL, NULL, NULL, flags);
  properties[PROP_KEY_TYPE] = g_param_spec_string ("key-type", NULL, NULL, NULL, flags);
  properties[PROP_CA_SUBJECT] = g_param_spec_string ("ca-subject", NULL, NULL, NULL, flags);
  /* Unix seconds, 0 when the service did not say. */
  properties[PROP_CA_NOT_BEFORE] =
    g_param_spec_int64 ("ca-not-before", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_CA_NOT_AFTER] =
    g_param_spec_int64 ("ca-not-after", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_VALIDITY_DAYS] =
    g_param_spec_uint ("validity-days", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_BYOR_ENABLED] =
    g_param_spec_boolean ("byor-enabled", NULL, NULL, FALSE, flags);
  properties[PROP_BYOR_STATUS] = g_param_spec_string ("byor-status", NULL, NULL, NULL, flags);
  properties[PROP_BYOR_CSR] = g_param_spec_string ("byor-csr", NULL, NULL, NULL, flags);
  properties[PROP_BYOR_THUMBPRINT] =
    g_param_spec_string ("byor-thumbprint", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_policy_init (CbPolicy *self)
{
}

/**
 * cb_policy_new_from_json:
 * @node: one policy resource as ARM returns it
 *
 * Returns: (transfer full): the policy, or %NULL with %CB_API_ERROR_PARSE
 */
CbPolicy *
cb_policy_new_from_json (JsonNode  *node,
                         GError   **error)
{
  const char *what = "policy";
  g_autoptr(CbPolicy) self = NULL;
  JsonObject *obj;
  JsonObject *props = NULL;
  JsonObject *cert = NULL;
  JsonObject *ca = NULL;
  JsonObject *leaf = NULL;
  JsonObject *byor = NULL;
  const char *id = NULL, *name = NULL, *state = NULL, *key_type = NULL, *subject = NULL;
  const char *status = NULL, *csr = NULL, *thumbprint = NULL;
  gint64 validity = 0;
  gboolean byor_enabled = FALSE;

  if (!(obj = cb_adr_json_require_object (node, what, error)) ||
      !cb_adr_json_require_string (obj, "name", what, &name, error) ||
      !cb_adr_json_get_string (obj, "id", what, &id, error) ||
      !cb_adr_json_get_object (obj, "properties", what, &props, error) ||
      !cb_adr_json_get_string (props, "provisioningState", what, &state, error) ||
      !cb_adr_json_get_object (props, "certificate", what, &cert, error) ||
      !cb_adr_json_get_object (cert, "certificateAuthorityConfiguration", what, &ca, error) ||
      !cb_adr_json_get_object (cert, "leafCertificateConfiguration", what, &leaf, error) ||
      !cb_adr_json_get_string (ca, "keyType", what, &key_type, error) ||
      !cb_adr_json_get_string (ca, "subject", what, &subject, error) ||
      !cb_adr_json_get_object (ca, "bringYourOwnRoot", what, &byor, error) ||
      !cb_adr_json_get_boolean (byor, "enabled", what, &byor_enabled, error) ||
      !cb_adr_json_get_string (byor, "status", what, &status, error) ||
      !cb_adr_json_get_string (byor, "certificateSigningRequest", what, &csr, error) ||
      !cb_adr_json_get_string (byor, "issuingCertificateThumbprint", what, &thumbprint, error) ||
      !cb_adr_json_get_int (leaf, "validityPeriodInDays", what, &validity, error))
    return NULL;

  if (validity < 0 || validity > G_MAXINT32)
    {
      cb_adr_json_set_parse_error (error, what, "validityPeriodInDays", "a number of days");
      return NULL;
    }

  self = g_object_new (CB_TYPE_POLICY, NULL);
  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->namespace = cb_adr_json_id_segment (id, "namespaces");
  self->provisioning_state = g_strdup (state);
  self->key_type = g_strdup (key_type);
  self->ca_subject = g_strdup (subject);
  self->validity_days = (guint) validity;
  self->byor_enabled = byor_enabled;
  self->byor_status = g_strdup (status);
  self->byor_csr = g_strdup (csr);
  self->byor_thumbprint = g_strdup (thumbprint);

  if (!cb_adr_json_get_time (ca, "validityNotBefore", what, &self->ca_not_before, error) ||
      !cb_adr_json_get_time (ca, "validityNotAfter", what, &self->ca_not_after, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
cb_policy_get_id (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);
  return self->id;
}

const char *
cb_policy_get_name (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);
  return self->name;
}

const char *
cb_policy_get_namespace (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);
  return self->namespace;
}

const char *
cb_policy_get_provisioning_state (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);
  return self->provisioning_state;
}

const char *
cb_policy_get_key_type (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);
  return self->key_type;
}

const char *
cb_policy_get_ca_subject (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);
  return self->ca_subject;
}

gint64
cb_policy_get_ca_not_before (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), 0);
  return self->ca_not_before;
}

gint64
cb_policy_get_ca_not_after (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), 0);
  return self->ca_not_after;
}

guint
cb_policy_get_validity_days (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), 0);
  return self->validity_days;
}

gboolean
cb_policy_get_byor_enabled (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), FALSE);
  return self->byor_enabled;
}

const char *
cb_policy_get_byor_status (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);
  return self->byor_status;
}

const char *
cb_policy_get_byor_csr (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);
  return self->byor_csr;
}

const char *
cb_policy_get_byor_thumbprint (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);
  return self->byor_thumbprint;
}

/**
 * cb_policy_new_from_certificate_policy_json:
 * @node: one certificate policy resource (2026-11-01) as ARM returns it
 *
 * Returns: (transfer full): the policy, or %NULL with %CB_API_ERROR_PARSE
 */
CbPolicy *
cb_policy_new_from_certificate_policy_json (JsonNode  *node,
                                            GError   **error)
{
  const char *what = "certificate policy";
  CbPolicy *self;
  JsonObject *obj;
  JsonObject *props = NULL;
  JsonObject *cert = NULL;
  const char *id = NULL, *name = NULL, *state = NULL;
  gint64 validity = 0;

  if (!(obj = cb_adr_json_require_object (node, what, error)) ||
      !cb_adr_json_require_string (obj, "name", what, &name, error) ||
      !cb_adr_json_get_string (obj, "id", what, &id, error) ||
      !cb_adr_json_get_object (obj, "properties", what, &props, error) ||
      !cb_adr_json_get_string (props, "provisioningState", what, &state, error) ||
      !cb_adr_json_get_object (props, "certificate", what, &cert, error) ||
      !cb_adr_json_get_int (cert, "validityPeriodInDays", what, &validity, error))
    return NULL;

  if (validity < 0 || validity > G_MAXINT32)
    {
      cb_adr_json_set_parse_error (error, what, "validityPeriodInDays", "a number of days");
      return NULL;
    }

  self = g_object_new (CB_TYPE_POLICY, NULL);
  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->namespace = cb_adr_json_id_segment (id, "namespaces");
  self->provisioning_state = g_strdup (state);
  self->validity_days = (guint) validity;

  return self;
}

/**
 * cb_policy_set_certificate_authority:
 * @ca: the ICA the policy hangs under
 *
 * Copies what the pages show of a policy's issuing CA from @ca.
 */
void
cb_policy_set_certificate_authority (CbPolicy               *self,
                                     CbCertificateAuthority *ca)
{
  g_return_if_fail (CB_IS_POLICY (self));
  g_return_if_fail (CB_IS_CERTIFICATE_AUTHORITY (ca));

  g_set_object (&self->ca, ca);
  cb_set_str (&self->key_type, cb_certificate_authority_get_key_type (ca));
  cb_set_str (&self->ca_subject, cb_certificate_authority_get_subject (ca));
  self->ca_not_before = cb_certificate_authority_get_not_before (ca);
  self->ca_not_after = cb_certificate_authority_get_not_after (ca);
  self->byor_enabled = cb_certificate_authority_get_issuer (ca) == CB_CA_ISSUER_EXTERNAL;
  cb_set_str (&self->byor_status, cb_certificate_authority_get_status (ca));
  cb_set_str (&self->byor_csr, cb_certificate_authority_get_csr (ca));
  cb_set_str (&self->byor_thumbprint, cb_certificate_authority_get_thumbprint (ca));
}

CbCertificateAuthority *
cb_policy_get_certificate_authority (CbPolicy *self)
{
  g_return_val_if_fail (CB_IS_POLICY (self), NULL);

  return self->ca;
}
