/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-secrets"

#include "config.h"

#include <string.h>

#include <libsecret/secret.h>

#include "cb-secrets.h"

struct _CbSecrets
{
  GObject     parent_instance;

  /* Owned; only for the memory store: "profile\nkind" -> value */
  GHashTable *memory;
};

G_DEFINE_FINAL_TYPE (CbSecrets, cb_secrets, G_TYPE_OBJECT)

static const SecretSchema secret_schema = {
  "io.github.certbench.Secret",
  SECRET_SCHEMA_NONE,
  {
    { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

const char *
cb_secret_kind_to_string (CbSecretKind kind)
{
  switch (kind)
    {
    case CB_SECRET_REFRESH_TOKEN:
      return "refresh-token";
    case CB_SECRET_ENROLLMENT_GROUP_KEY:
      return "enrollment-group-key";
    case CB_SECRET_HUB_KEY:
      return "hub-key";
    case CB_SECRET_DPS_SERVICE_KEY:
      return "dps-service-key";
    default:
      g_return_val_if_reached (NULL);
    }
}

void
cb_secrets_free_value (char *value)
{
  if (value != NULL)
    {
      memset (value, 0, strlen (value));
      g_free (value);
    }
}

static void
cb_secrets_finalize (GObject *object)
{
  CbSecrets *self = (CbSecrets *)object;

  g_clear_pointer (&self->memory, g_hash_table_unref);

  G_OBJECT_CLASS (cb_secrets_parent_class)->finalize (object);
}

static void
cb_secrets_class_init (CbSecretsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_secrets_finalize;
}

static void
cb_secrets_init (CbSecrets *self)
{
}

/**
 * cb_secrets_new:
 *
 * Returns: (transfer full): a store backed by the user's keyring
 */
CbSecrets *
cb_secrets_new (void)
{
  return g_object_new (CB_TYPE_SECRETS, NULL);
}

/**
 * cb_secrets_new_memory:
 *
 * Returns: (transfer full): a store that lives and dies with this object
 */
CbSecrets *
cb_secrets_new_memory (void)
{
  CbSecrets *self = g_object_new (CB_TYPE_SECRETS, NULL);

  self->memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) cb_secrets_free_value);
  return self;
}

gboolean
cb_secrets_is_memory (CbSecrets *self)
{
  g_return_val_if_fail (CB_IS_SECRETS (self), FALSE);

  return self->memory != NULL;
}

static char *
memory_key (const char   *profile_id,
            CbSecretKind  kind)
{
  return g_strconcat (profile_id, "\n", cb_secret_kind_to_string (kind), NULL);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    /* libsecret says no without a reason when there is no keyring or its prompt was dismissed;
     * returning a NULL error would leave the caller waiting for ever. */
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                             "The secret service did not store the secret (no keyring is "
                             "unlocked, or its prompt was dismissed)");
}

void
cb_secrets_store_async (CbSecrets           *self,
                        const char          *profile_id,
                        CbSecretKind         kind,
                        const char          *value,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (CB_IS_SECRETS (self));
  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (value != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_secrets_store_async);

  g_debug ("Storing the %s of profile %s", cb_secret_kind_to_string (kind), profile_id);

  if (self->memory != NULL)
    {
      g_hash_table_replace (self->memory, memory_key (profile_id, kind), g_strdup (value));
      g_task_return_boolean (task, TRUE);
      return;
    }

  label = g_strdup_printf ("Certbench %s (profile %s)", cb_secret_kind_to_string (kind), profile_id);
  secret_password_store (&secret_schema, SECRET_COLLECTION_DEFAULT, label, value,
                         cancellable, store_cb, g_steal_pointer (&task),
                         "profile", profile_id,
                         "kind", cb_secret_kind_to_string (kind),
                         NULL);
}

gboolean
cb_secrets_store_finish (CbSecrets     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (CB_IS_SECRETS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *value;

  value = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    {
      /* Re-home the value so every caller frees it the same way. */
      char *copy = g_strdup (value);

      secret_password_free (value);
      g_task_return_pointer (task, copy, (GDestroyNotify) cb_secrets_free_value);
    }
}

void
cb_secrets_lookup_async (CbSecrets           *self,
                         const char          *profile_id,
                         CbSecretKind         kind,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_SECRETS (self));
  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_secrets_lookup_async);

  if (self->memory != NULL)
    {
      g_autofree char *key = memory_key (profile_id, kind);

      g_task_return_pointer (task, g_strdup (g_hash_table_lookup (self->memory, key)),
                             (GDestroyNotify) cb_secrets_free_value);
      return;
    }

  secret_password_lookup (&secret_schema, cancellable, lookup_cb, g_steal_pointer (&task),
                          "profile", profile_id,
                          "kind", cb_secret_kind_to_string (kind),
                          NULL);
}

/**
 * cb_secrets_lookup_finish:
 *
 * Returns: (transfer full) (nullable): the secret, or %NULL if there is none (check @error)
 */
char *
cb_secrets_lookup_finish (CbSecrets     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (CB_IS_SECRETS (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error just means there was nothing to clear. */
  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
cb_secrets_clear_async (CbSecrets           *self,
                        const char          *profile_id,
                        int                  kind,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_SECRETS (self));
  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_secrets_clear_async);

  if (self->memory != NULL)
    {
      if (kind >= 0)
        {
          g_autofree char *key = memory_key (profile_id, kind);

          g_hash_table_remove (self->memory, key);
        }
      else
        {
          g_autofree char *prefix = g_strconcat (profile_id, "\n", NULL);
          GHashTableIter iter;
          const char *key;

          g_hash_table_iter_init (&iter, self->memory);
          while (g_hash_table_iter_next (&iter, (gpointer *)&key, NULL))
            if (g_str_has_prefix (key, prefix))
              g_hash_table_iter_remove (&iter);
        }
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (kind >= 0)
    secret_password_clear (&secret_schema, cancellable, clear_cb, g_steal_pointer (&task),
                           "profile", profile_id,
                           "kind", cb_secret_kind_to_string (kind),
                           NULL);
  else
    secret_password_clear (&secret_schema, cancellable, clear_cb, g_steal_pointer (&task),
                           "profile", profile_id,
                           NULL);
}

gboolean
cb_secrets_clear_finish (CbSecrets     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (CB_IS_SECRETS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
