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
  /* Owned; only for the keyring store: what the keyring could not keep, for this session */
  GHashTable *session;
  GHashTable *session_only;   /* profile ids whose secrets never go to the keyring */
  char       *problem;
  gboolean    store_failed;   /* then later secrets go to the session without a new prompt */
};

G_DEFINE_FINAL_TYPE (CbSecrets, cb_secrets, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROBLEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
  g_clear_pointer (&self->session, g_hash_table_unref);
  g_clear_pointer (&self->session_only, g_hash_table_unref);
  g_clear_pointer (&self->problem, g_free);

  G_OBJECT_CLASS (cb_secrets_parent_class)->finalize (object);
}

static void
cb_secrets_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  CbSecrets *self = CB_SECRETS (object);

  switch (prop_id)
    {
    case PROP_PROBLEM:
      g_value_set_string (value, self->problem);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_secrets_class_init (CbSecretsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_secrets_finalize;
  object_class->get_property = cb_secrets_get_property;

  /**
   * CbSecrets:problem: (nullable)
   *
   * Why the keyring could not keep a secret (no secret service, a locked keyring, a dismissed
   * prompt), or %NULL while it keeps them. Such secrets are kept in this process instead.
   */
  properties[PROP_PROBLEM] =
    g_param_spec_string ("problem", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
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
  CbSecrets *self = g_object_new (CB_TYPE_SECRETS, NULL);

  self->session = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) cb_secrets_free_value);
  self->session_only = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
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

/**
 * cb_secrets_get_problem:
 *
 * Returns: (nullable): why the keyring cannot keep secrets, or %NULL
 */
const char *
cb_secrets_get_problem (CbSecrets *self)
{
  g_return_val_if_fail (CB_IS_SECRETS (self), NULL);

  return self->problem;
}

/**
 * cb_secrets_set_session_only:
 * @profile_id: a profile whose secrets can be had again at every start (the local sandbox)
 *
 * Keeps @profile_id's secrets in this process, never in the keyring: no keyring prompt, no
 * keyring needed, nothing left behind.
 */
void
cb_secrets_set_session_only (CbSecrets  *self,
                             const char *profile_id)
{
  g_return_if_fail (CB_IS_SECRETS (self));
  g_return_if_fail (profile_id != NULL);

  if (self->session_only != NULL)
    g_hash_table_add (self->session_only, g_strdup (profile_id));
}

static gboolean
is_session_only (CbSecrets  *self,
                 const char *profile_id)
{
  return self->session_only != NULL && g_hash_table_contains (self->session_only, profile_id);
}

static void
set_problem (CbSecrets  *self,
             const char *problem)
{
  if (g_strcmp0 (self->problem, problem) == 0)
    return;

  if (problem != NULL)
    g_message ("The keyring cannot keep secrets; they last for this session only: %s", problem);
  g_free (self->problem);
  self->problem = g_strdup (problem);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM]);
}

static char *
memory_key (const char   *profile_id,
            CbSecretKind  kind)
{
  return g_strconcat (profile_id, "\n", cb_secret_kind_to_string (kind), NULL);
}

static void
remove_profile_keys (GHashTable *table,
                     const char *profile_id)
{
  g_autofree char *prefix = g_strconcat (profile_id, "\n", NULL);
  GHashTableIter iter;
  const char *key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, (gpointer *)&key, NULL))
    if (g_str_has_prefix (key, prefix))
      g_hash_table_iter_remove (&iter);
}

/* How long a store waits for the keyring before the secret is kept for the session and the
 * caller goes on: an unlock prompt nobody answers (or a keyring that never answers) must not
 * hold up a sign-in. The keyring may still store it later. */
#define KEYRING_PATIENCE_MS 5000

typedef struct
{
  CbSecrets *self;      /* owned */
  GTask     *task;      /* owned until returned */
  char      *key;       /* "profile\nkind" */
  char      *value;     /* wiped when freed */
  guint      timeout_id;
  int        ref;
} StoreOp;

static void
store_op_unref (StoreOp *op)
{
  if (--op->ref > 0)
    return;
  g_clear_handle_id (&op->timeout_id, g_source_remove);
  g_clear_object (&op->task);
  g_clear_object (&op->self);
  g_free (op->key);
  cb_secrets_free_value (op->value);
  g_free (op);
}

/* The secret is kept in this process from now on; the caller hears success. */
static void
store_op_keep_in_session (StoreOp    *op,
                          const char *problem)
{
  g_hash_table_replace (op->self->session, g_strdup (op->key), g_strdup (op->value));
  set_problem (op->self, problem);
  if (op->task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&op->task);

      g_task_return_boolean (task, TRUE);
    }
}

static gboolean
store_timeout_cb (gpointer user_data)
{
  StoreOp *op = user_data;

  op->timeout_id = 0;
  store_op_keep_in_session (op, "The keyring did not answer (is it locked, with its unlock "
                                "prompt still open?)");
  return G_SOURCE_REMOVE;
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  StoreOp *op = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&op->timeout_id, g_source_remove);

  if (secret_password_store_finish (result, &error))
    {
      set_problem (op->self, NULL);
      if (op->task != NULL)
        {
          g_autoptr(GTask) task = g_steal_pointer (&op->task);

          g_hash_table_remove (op->self->session, op->key);
          g_task_return_boolean (task, TRUE);
        }
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (op->task != NULL)
        {
          g_autoptr(GTask) task = g_steal_pointer (&op->task);

          g_task_return_error (task, g_steal_pointer (&error));
        }
    }
  else
    {
      /* No secret service, a locked keyring whose prompt was dismissed, or no keyring to store
       * into: the secret is kept for this session instead, and the problem says why it will
       * not be there next time. (libsecret says no without a reason when a prompt was
       * dismissed.) Later secrets go there directly rather than prompt again. */
      op->self->store_failed = TRUE;
      store_op_keep_in_session (op, error != NULL
                                      ? error->message
                                      : "No keyring is unlocked, or its prompt was dismissed");
    }

  store_op_unref (op);
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
  StoreOp *op;

  g_return_if_fail (CB_IS_SECRETS (self));
  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (value != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_secrets_store_async);

  g_debug ("Storing the %s of profile %s", cb_secret_kind_to_string (kind), profile_id);

  if (self->memory != NULL || self->store_failed || is_session_only (self, profile_id))
    {
      g_hash_table_replace (self->memory != NULL ? self->memory : self->session,
                            memory_key (profile_id, kind), g_strdup (value));
      g_task_return_boolean (task, TRUE);
      return;
    }

  op = g_new0 (StoreOp, 1);
  op->self = g_object_ref (self);
  op->task = g_steal_pointer (&task);
  op->key = memory_key (profile_id, kind);
  op->value = g_strdup (value);
  op->ref = 2;   /* the keyring's answer and the timeout */
  op->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, KEYRING_PATIENCE_MS, store_timeout_cb,
                                       op, (GDestroyNotify) store_op_unref);

  label = g_strdup_printf ("Certbench %s (profile %s)", cb_secret_kind_to_string (kind), profile_id);
  secret_password_store (&secret_schema, SECRET_COLLECTION_DEFAULT, label, value,
                         cancellable, store_cb, op,
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
  CbSecrets *self = g_task_get_source_object (task);
  GError *error = NULL;
  char *value;

  value = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_problem (self, error->message);
      g_task_return_error (task, error);
    }
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
  else
    {
      g_autofree char *key = memory_key (profile_id, kind);
      const char *kept = g_hash_table_lookup (self->session, key);

      /* What the keyring could not keep this session is not asked of it again. */
      if (kept != NULL || is_session_only (self, profile_id))
        {
          g_task_return_pointer (task, g_strdup (kept), (GDestroyNotify) cb_secrets_free_value);
          return;
        }
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
        remove_profile_keys (self->memory, profile_id);
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (kind >= 0)
    {
      g_autofree char *key = memory_key (profile_id, kind);

      g_hash_table_remove (self->session, key);
    }
  else
    remove_profile_keys (self->session, profile_id);
  if (is_session_only (self, profile_id))
    {
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
