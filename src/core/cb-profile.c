/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-profile"

#include "config.h"

#include "cb-profile.h"
#include "cb-util.h"

/* String properties live in one array indexed by property id, so the key file code, the
 * property code and the accessors share a single table. */
enum
{
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_LOGIN_ENDPOINT,
  PROP_TENANT,
  PROP_CLIENT_ID,
  PROP_ARM_ENDPOINT,
  PROP_SUBSCRIPTION_ID,
  PROP_RESOURCE_GROUP,
  PROP_NAMESPACE,
  PROP_LOCATION,
  PROP_HUB_NAME,
  PROP_HUB_HOST_NAME,
  PROP_HUB_ENDPOINT,
  PROP_DPS_GLOBAL_ENDPOINT,
  PROP_DPS_ID_SCOPE,
  PROP_DPS_NAME,
  PROP_DPS_HOST_NAME,
  PROP_DPS_SERVICE_ENDPOINT,
  PROP_ENROLLMENT_GROUP_ID,
  PROP_CREDENTIAL_POLICY,
  PROP_PINNED_CA_FILE,
  PROP_SANDBOX_ENDPOINT,
  PROP_HUB_DEVICE_ENDPOINT,
  N_STRING_PROPS,
  PROP_KIND = N_STRING_PROPS,
  N_PROPS
};

static const char * const string_prop_names[N_STRING_PROPS] = {
  [PROP_ID] = "id",
  [PROP_NAME] = "name",
  [PROP_LOGIN_ENDPOINT] = "login-endpoint",
  [PROP_TENANT] = "tenant",
  [PROP_CLIENT_ID] = "client-id",
  [PROP_ARM_ENDPOINT] = "arm-endpoint",
  [PROP_SUBSCRIPTION_ID] = "subscription-id",
  [PROP_RESOURCE_GROUP] = "resource-group",
  [PROP_NAMESPACE] = "namespace",
  [PROP_LOCATION] = "location",
  [PROP_HUB_NAME] = "hub-name",
  [PROP_HUB_HOST_NAME] = "hub-host-name",
  [PROP_HUB_ENDPOINT] = "hub-endpoint",
  [PROP_DPS_GLOBAL_ENDPOINT] = "dps-global-endpoint",
  [PROP_DPS_ID_SCOPE] = "dps-id-scope",
  [PROP_DPS_NAME] = "dps-name",
  [PROP_DPS_HOST_NAME] = "dps-host-name",
  [PROP_DPS_SERVICE_ENDPOINT] = "dps-service-endpoint",
  [PROP_ENROLLMENT_GROUP_ID] = "enrollment-group-id",
  [PROP_CREDENTIAL_POLICY] = "credential-policy",
  [PROP_PINNED_CA_FILE] = "pinned-ca-file",
  [PROP_SANDBOX_ENDPOINT] = "sandbox-endpoint",
  [PROP_HUB_DEVICE_ENDPOINT] = "hub-device-endpoint",
};

struct _CbProfile
{
  GObject        parent_instance;

  /* Owned */
  char          *strings[N_STRING_PROPS];
  CbProfileKind  kind;
};

G_DEFINE_FINAL_TYPE (CbProfile, cb_profile, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
cb_profile_set_string (CbProfile  *self,
                       guint       prop_id,
                       const char *value)
{
  g_assert (prop_id > PROP_0 && prop_id < N_STRING_PROPS);

  /* Empty means unset: key files and entry widgets both produce "" for "nothing". */
  if (value != NULL && *value == '\0')
    value = NULL;

  if (cb_set_str (&self->strings[prop_id], value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
cb_profile_finalize (GObject *object)
{
  CbProfile *self = (CbProfile *)object;

  for (guint i = 0; i < N_STRING_PROPS; i++)
    g_clear_pointer (&self->strings[i], g_free);

  G_OBJECT_CLASS (cb_profile_parent_class)->finalize (object);
}

static void
cb_profile_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  CbProfile *self = CB_PROFILE (object);

  if (prop_id > PROP_0 && prop_id < N_STRING_PROPS)
    g_value_set_string (value, self->strings[prop_id]);
  else if (prop_id == PROP_KIND)
    g_value_set_enum (value, self->kind);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cb_profile_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  CbProfile *self = CB_PROFILE (object);

  if (prop_id == PROP_ID)
    /* construct-only */
    cb_set_str (&self->strings[PROP_ID], g_value_get_string (value));
  else if (prop_id > PROP_0 && prop_id < N_STRING_PROPS)
    cb_profile_set_string (self, prop_id, g_value_get_string (value));
  else if (prop_id == PROP_KIND)
    cb_profile_set_kind (self, g_value_get_enum (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cb_profile_constructed (GObject *object)
{
  CbProfile *self = (CbProfile *)object;

  G_OBJECT_CLASS (cb_profile_parent_class)->constructed (object);

  if (self->strings[PROP_ID] == NULL)
    self->strings[PROP_ID] = g_uuid_string_random ();
}

static void
cb_profile_class_init (CbProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_profile_finalize;
  object_class->get_property = cb_profile_get_property;
  object_class->set_property = cb_profile_set_property;
  object_class->constructed = cb_profile_constructed;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  for (guint i = PROP_NAME; i < N_STRING_PROPS; i++)
    properties[i] =
      g_param_spec_string (string_prop_names[i], NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       CB_TYPE_PROFILE_KIND, CB_PROFILE_KIND_AZURE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_profile_init (CbProfile *self)
{
  self->kind = CB_PROFILE_KIND_AZURE;
}

/**
 * cb_profile_new:
 * @id: (nullable): a stable identifier, or %NULL for a fresh UUID
 *
 * Returns: (transfer full): an empty profile
 */
CbProfile *
cb_profile_new (const char    *id,
                const char    *name,
                CbProfileKind  kind)
{
  return g_object_new (CB_TYPE_PROFILE,
                       "id", id,
                       "name", name,
                       "kind", kind,
                       NULL);
}

/**
 * cb_profile_new_azure:
 *
 * Returns: (transfer full): a profile for the public Azure cloud
 */
CbProfile *
cb_profile_new_azure (const char *name,
                      const char *tenant,
                      const char *client_id,
                      const char *subscription_id,
                      const char *resource_group,
                      const char *hub_name,
                      const char *dps_name,
                      const char *dps_id_scope)
{
  CbProfile *self = cb_profile_new (NULL, name, CB_PROFILE_KIND_AZURE);

  cb_profile_set_login_endpoint (self, CB_AZURE_LOGIN_ENDPOINT);
  cb_profile_set_tenant (self, tenant);
  cb_profile_set_client_id (self, client_id);
  cb_profile_set_arm_endpoint (self, CB_AZURE_ARM_ENDPOINT);
  cb_profile_set_subscription_id (self, subscription_id);
  cb_profile_set_resource_group (self, resource_group);
  cb_profile_set_dps_global_endpoint (self, CB_AZURE_DPS_GLOBAL_ENDPOINT);
  cb_profile_set_dps_id_scope (self, dps_id_scope);

  if (hub_name != NULL && *hub_name != '\0')
    {
      g_autofree char *host = g_strdup_printf ("%s.azure-devices.net", hub_name);
      g_autofree char *endpoint = g_strdup_printf ("https://%s", host);

      cb_profile_set_hub_name (self, hub_name);
      cb_profile_set_hub_host_name (self, host);
      cb_profile_set_hub_endpoint (self, endpoint);
    }

  if (dps_name != NULL && *dps_name != '\0')
    {
      g_autofree char *host = g_strdup_printf ("%s.azure-devices-provisioning.net", dps_name);
      g_autofree char *endpoint = g_strdup_printf ("https://%s", host);

      cb_profile_set_dps_name (self, dps_name);
      cb_profile_set_dps_host_name (self, host);
      cb_profile_set_dps_service_endpoint (self, endpoint);
    }

  return self;
}

/**
 * cb_profile_copy:
 *
 * Returns: (transfer full): a copy with the same id
 */
CbProfile *
cb_profile_copy (CbProfile *self)
{
  CbProfile *copy;

  g_return_val_if_fail (CB_IS_PROFILE (self), NULL);

  copy = cb_profile_new (self->strings[PROP_ID], NULL, self->kind);
  for (guint i = PROP_NAME; i < N_STRING_PROPS; i++)
    copy->strings[i] = g_strdup (self->strings[i]);

  return copy;
}

const char *
cb_profile_get_id (CbProfile *self)
{
  g_return_val_if_fail (CB_IS_PROFILE (self), NULL);
  return self->strings[PROP_ID];
}

CbProfileKind
cb_profile_get_kind (CbProfile *self)
{
  g_return_val_if_fail (CB_IS_PROFILE (self), CB_PROFILE_KIND_AZURE);
  return self->kind;
}

void
cb_profile_set_kind (CbProfile     *self,
                     CbProfileKind  kind)
{
  g_return_if_fail (CB_IS_PROFILE (self));

  if (self->kind == kind)
    return;

  self->kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
}

#define CB_PROFILE_DEFINE_STRING(prop, PROP)                  \
  const char *                                                \
  cb_profile_get_##prop (CbProfile *self)                     \
  {                                                           \
    g_return_val_if_fail (CB_IS_PROFILE (self), NULL);        \
    return self->strings[PROP];                               \
  }                                                           \
  void                                                        \
  cb_profile_set_##prop (CbProfile  *self,                    \
                         const char *value)                   \
  {                                                           \
    g_return_if_fail (CB_IS_PROFILE (self));                  \
    cb_profile_set_string (self, PROP, value);                \
  }

CB_PROFILE_DEFINE_STRING (name, PROP_NAME)
CB_PROFILE_DEFINE_STRING (login_endpoint, PROP_LOGIN_ENDPOINT)
CB_PROFILE_DEFINE_STRING (tenant, PROP_TENANT)
CB_PROFILE_DEFINE_STRING (client_id, PROP_CLIENT_ID)
CB_PROFILE_DEFINE_STRING (arm_endpoint, PROP_ARM_ENDPOINT)
CB_PROFILE_DEFINE_STRING (subscription_id, PROP_SUBSCRIPTION_ID)
CB_PROFILE_DEFINE_STRING (resource_group, PROP_RESOURCE_GROUP)
CB_PROFILE_DEFINE_STRING (namespace, PROP_NAMESPACE)
CB_PROFILE_DEFINE_STRING (location, PROP_LOCATION)
CB_PROFILE_DEFINE_STRING (hub_name, PROP_HUB_NAME)
CB_PROFILE_DEFINE_STRING (hub_host_name, PROP_HUB_HOST_NAME)
CB_PROFILE_DEFINE_STRING (hub_endpoint, PROP_HUB_ENDPOINT)
CB_PROFILE_DEFINE_STRING (dps_global_endpoint, PROP_DPS_GLOBAL_ENDPOINT)
CB_PROFILE_DEFINE_STRING (dps_id_scope, PROP_DPS_ID_SCOPE)
CB_PROFILE_DEFINE_STRING (dps_name, PROP_DPS_NAME)
CB_PROFILE_DEFINE_STRING (dps_host_name, PROP_DPS_HOST_NAME)
CB_PROFILE_DEFINE_STRING (dps_service_endpoint, PROP_DPS_SERVICE_ENDPOINT)
CB_PROFILE_DEFINE_STRING (enrollment_group_id, PROP_ENROLLMENT_GROUP_ID)
CB_PROFILE_DEFINE_STRING (credential_policy, PROP_CREDENTIAL_POLICY)
CB_PROFILE_DEFINE_STRING (pinned_ca_file, PROP_PINNED_CA_FILE)
CB_PROFILE_DEFINE_STRING (sandbox_endpoint, PROP_SANDBOX_ENDPOINT)
CB_PROFILE_DEFINE_STRING (hub_device_endpoint, PROP_HUB_DEVICE_ENDPOINT)

#undef CB_PROFILE_DEFINE_STRING

/* Key file format: one group "profile <id>" per profile, keys named like the properties.
 * There is deliberately no key for any secret. */
#define GROUP_PREFIX "profile "

void
cb_profile_to_key_file (CbProfile  *self,
                        GKeyFile   *key_file,
                        const char *group)
{
  g_autoptr(GEnumClass) kind_class = NULL;
  GEnumValue *kind_value;

  g_return_if_fail (CB_IS_PROFILE (self));
  g_return_if_fail (key_file != NULL);
  g_return_if_fail (group != NULL);

  kind_class = g_type_class_ref (CB_TYPE_PROFILE_KIND);
  kind_value = g_enum_get_value (kind_class, self->kind);
  g_key_file_set_string (key_file, group, "kind", kind_value->value_nick);

  for (guint i = PROP_ID; i < N_STRING_PROPS; i++)
    {
      if (self->strings[i] != NULL)
        g_key_file_set_string (key_file, group, string_prop_names[i], self->strings[i]);
    }
}

/**
 * cb_profile_new_from_key_file:
 *
 * Returns: (transfer full): the profile in @group, or %NULL with @error set
 */
CbProfile *
cb_profile_new_from_key_file (GKeyFile    *key_file,
                              const char  *group,
                              GError     **error)
{
  g_autoptr(GEnumClass) kind_class = NULL;
  g_autofree char *id = NULL;
  g_autofree char *kind_nick = NULL;
  GEnumValue *kind_value;
  CbProfile *self;

  g_return_val_if_fail (key_file != NULL, NULL);
  g_return_val_if_fail (group != NULL, NULL);

  if (!(id = g_key_file_get_string (key_file, group, "id", error)))
    return NULL;

  kind_class = g_type_class_ref (CB_TYPE_PROFILE_KIND);
  kind_nick = g_key_file_get_string (key_file, group, "kind", NULL);
  kind_value = kind_nick ? g_enum_get_value_by_nick (kind_class, kind_nick) : NULL;
  if (kind_value == NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "Profile “%s” has an unknown kind “%s”", id, kind_nick ? kind_nick : "");
      return NULL;
    }

  self = cb_profile_new (id, NULL, kind_value->value);
  for (guint i = PROP_NAME; i < N_STRING_PROPS; i++)
    {
      g_autofree char *value = g_key_file_get_string (key_file, group, string_prop_names[i], NULL);

      if (value != NULL && *value != '\0')
        self->strings[i] = g_steal_pointer (&value);
    }

  return self;
}

/**
 * cb_profile_list_load:
 *
 * A missing file is an empty list, not an error.
 *
 * Returns: (transfer full) (element-type CbProfile): the profiles in file order
 */
GPtrArray *
cb_profile_list_load (const char  *path,
                      GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) groups = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&profiles);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      CbProfile *profile;

      if (!g_str_has_prefix (groups[i], GROUP_PREFIX))
        continue;

      if (!(profile = cb_profile_new_from_key_file (key_file, groups[i], error)))
        return NULL;

      g_ptr_array_add (profiles, profile);
    }

  return g_steal_pointer (&profiles);
}

gboolean
cb_profile_list_save (GPtrArray   *profiles,
                      const char  *path,
                      GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (profiles != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  for (guint i = 0; i < profiles->len; i++)
    {
      CbProfile *profile = g_ptr_array_index (profiles, i);
      g_autofree char *group = g_strconcat (GROUP_PREFIX, cb_profile_get_id (profile), NULL);

      cb_profile_to_key_file (profile, key_file, group);
    }

  dir = g_path_get_dirname (path);
  if (!cb_mkdir_private (dir, error))
    return FALSE;

  data = g_key_file_to_data (key_file, &len, NULL);
  return cb_write_private_file (path, data, len, error);
}

/**
 * cb_profile_list_default_path:
 *
 * Returns: (transfer full): $XDG_CONFIG_HOME/certbench/profiles.ini
 */
char *
cb_profile_list_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "certbench", "profiles.ini", NULL);
}
