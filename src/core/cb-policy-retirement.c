/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-policy-retirement"

/* A credential policy's retirement as one operation: revoke the certificates its devices hold
 * (when asked), delete the policy, then remove its issuing CA from the linked hub (when asked).
 * The registry page used to chain these calls itself; the steps and their order live here so
 * any front end retires a policy the same way. */

#include "config.h"

#include "cb-hub-certificates-client.h"
#include "cb-policy-retirement.h"

struct _CbPolicyRetirement
{
  GObject                 parent_instance;

  CbAdrClient            *adr;
  char                   *policy;
  GStrv                   devices;
  gboolean                remove_hub_ca;

  CbPolicyRetirementStep  step;
  char                   *subject;
  guint                   done;
  gboolean                policy_deleted;
  guint                   n_hub_ca_removed;
  gboolean                started;
};

G_DEFINE_FINAL_TYPE (CbPolicyRetirement, cb_policy_retirement, G_TYPE_OBJECT)

enum
{
  SIGNAL_PROGRESS,
  SIGNAL_POLICY_DELETED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Hub certificates still to remove, for the task's data. */
typedef struct
{
  GPtrArray *certificates;   /* CbHubCertificate of the policy */
  guint      next;
} RemoveData;

static void
remove_data_free (RemoveData *data)
{
  g_clear_pointer (&data->certificates, g_ptr_array_unref);
  g_free (data);
}

static void
set_step (CbPolicyRetirement     *self,
          CbPolicyRetirementStep  step,
          const char             *subject)
{
  self->step = step;
  g_free (self->subject);
  self->subject = g_strdup (subject);
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

static void remove_next_hub_ca (GTask *task);

static void
delete_hub_certificate_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbPolicyRetirement *self = g_task_get_source_object (task);
  RemoveData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!cb_adr_client_delete_hub_certificate_finish (CB_ADR_CLIENT (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->n_hub_ca_removed++;
  data->next++;
  remove_next_hub_ca (g_steal_pointer (&task));
}

static void
remove_next_hub_ca (GTask *task)
{
  CbPolicyRetirement *self = g_task_get_source_object (task);
  RemoveData *data = g_task_get_task_data (task);
  CbHubCertificate *certificate;

  if (data->next >= data->certificates->len)
    {
      set_step (self, CB_POLICY_RETIREMENT_STEP_DONE, NULL);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  certificate = g_ptr_array_index (data->certificates, data->next);
  set_step (self, CB_POLICY_RETIREMENT_STEP_REMOVE_HUB_CA, cb_hub_certificate_get_name (certificate));
  cb_adr_client_delete_hub_certificate_async (self->adr, cb_hub_certificate_get_name (certificate),
                                              cb_hub_certificate_get_etag (certificate),
                                              g_task_get_cancellable (task),
                                              delete_hub_certificate_cb, task);
}

static void
list_hub_certificates_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbPolicyRetirement *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) certificates = NULL;
  RemoveData *data;
  GError *error = NULL;

  certificates = cb_adr_client_list_hub_certificates_finish (CB_ADR_CLIENT (object), result, &error);
  if (certificates == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  data = g_new0 (RemoveData, 1);
  data->certificates = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < certificates->len; i++)
    {
      CbHubCertificate *certificate = g_ptr_array_index (certificates, i);

      if (g_strcmp0 (cb_hub_certificate_get_policy_name (certificate), self->policy) == 0)
        g_ptr_array_add (data->certificates, g_object_ref (certificate));
    }
  g_task_set_task_data (task, data, (GDestroyNotify) remove_data_free);
  remove_next_hub_ca (g_steal_pointer (&task));
}

static void
delete_policy_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbPolicyRetirement *self = g_task_get_source_object (task);
  GCancellable *cancellable;
  GError *error = NULL;

  if (!cb_adr_client_delete_policy_finish (CB_ADR_CLIENT (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  self->policy_deleted = TRUE;
  g_signal_emit (self, signals[SIGNAL_POLICY_DELETED], 0);

  if (!self->remove_hub_ca)
    {
      set_step (self, CB_POLICY_RETIREMENT_STEP_DONE, NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* A handler of policy-deleted may have cancelled. */
  if (g_task_return_error_if_cancelled (task))
    return;
  set_step (self, CB_POLICY_RETIREMENT_STEP_FIND_HUB_CA, NULL);
  cancellable = g_task_get_cancellable (task);
  cb_adr_client_list_hub_certificates_async (self->adr, cancellable, list_hub_certificates_cb,
                                             g_steal_pointer (&task));
}

static void
delete_policy (GTask *task)
{
  CbPolicyRetirement *self = g_task_get_source_object (task);

  set_step (self, CB_POLICY_RETIREMENT_STEP_DELETE_POLICY, NULL);
  cb_adr_client_delete_policy_async (self->adr, self->policy, g_task_get_cancellable (task),
                                     delete_policy_cb, task);
}

static void revoke_next (GTask *task);

static void
revoke_device_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbPolicyRetirement *self = g_task_get_source_object (task);
  GError *error = NULL;

  /* A device that keeps its certificate keeps the policy: an external root's certificates
   * cannot be revoked once the policy is gone. */
  if (!cb_adr_client_revoke_device_finish (CB_ADR_CLIENT (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->done++;
  revoke_next (g_steal_pointer (&task));
}

static void
revoke_next (GTask *task)
{
  CbPolicyRetirement *self = g_task_get_source_object (task);
  guint total = cb_policy_retirement_get_total (self);

  if (self->done >= total)
    {
      delete_policy (task);
      return;
    }

  set_step (self, CB_POLICY_RETIREMENT_STEP_REVOKE_DEVICE, self->devices[self->done]);
  cb_adr_client_revoke_device_async (self->adr, self->devices[self->done], FALSE,
                                     g_task_get_cancellable (task), revoke_device_cb, task);
}

/* ---- GObject ---------------------------------------------------------------------------- */

static void
cb_policy_retirement_finalize (GObject *object)
{
  CbPolicyRetirement *self = CB_POLICY_RETIREMENT (object);

  g_clear_object (&self->adr);
  g_free (self->policy);
  g_strfreev (self->devices);
  g_free (self->subject);

  G_OBJECT_CLASS (cb_policy_retirement_parent_class)->finalize (object);
}

static void
cb_policy_retirement_class_init (CbPolicyRetirementClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_policy_retirement_finalize;

  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_POLICY_DELETED] =
    g_signal_new ("policy-deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
cb_policy_retirement_init (CbPolicyRetirement *self)
{
}

CbPolicyRetirement *
cb_policy_retirement_new (CbAdrClient *adr,
                          const char  *policy)
{
  CbPolicyRetirement *self;

  g_return_val_if_fail (CB_IS_ADR_CLIENT (adr), NULL);
  g_return_val_if_fail (policy != NULL, NULL);

  self = g_object_new (CB_TYPE_POLICY_RETIREMENT, NULL);
  self->adr = g_object_ref (adr);
  self->policy = g_strdup (policy);
  return self;
}

void
cb_policy_retirement_set_devices (CbPolicyRetirement *self,
                                  const char * const *devices)
{
  g_return_if_fail (CB_IS_POLICY_RETIREMENT (self));
  g_return_if_fail (!self->started);

  g_strfreev (self->devices);
  self->devices = g_strdupv ((char **) devices);
}

void
cb_policy_retirement_set_remove_hub_ca (CbPolicyRetirement *self,
                                        gboolean            remove)
{
  g_return_if_fail (CB_IS_POLICY_RETIREMENT (self));
  g_return_if_fail (!self->started);

  self->remove_hub_ca = !!remove;
}

gboolean
cb_policy_retirement_get_remove_hub_ca (CbPolicyRetirement *self)
{
  g_return_val_if_fail (CB_IS_POLICY_RETIREMENT (self), FALSE);
  return self->remove_hub_ca;
}

const char *
cb_policy_retirement_get_policy (CbPolicyRetirement *self)
{
  g_return_val_if_fail (CB_IS_POLICY_RETIREMENT (self), NULL);
  return self->policy;
}

CbPolicyRetirementStep
cb_policy_retirement_get_step (CbPolicyRetirement *self)
{
  g_return_val_if_fail (CB_IS_POLICY_RETIREMENT (self), CB_POLICY_RETIREMENT_STEP_NONE);
  return self->step;
}

const char *
cb_policy_retirement_get_subject (CbPolicyRetirement *self)
{
  g_return_val_if_fail (CB_IS_POLICY_RETIREMENT (self), NULL);
  return self->subject;
}

guint
cb_policy_retirement_get_done (CbPolicyRetirement *self)
{
  g_return_val_if_fail (CB_IS_POLICY_RETIREMENT (self), 0);
  return self->done;
}

guint
cb_policy_retirement_get_total (CbPolicyRetirement *self)
{
  g_return_val_if_fail (CB_IS_POLICY_RETIREMENT (self), 0);
  return self->devices != NULL ? g_strv_length (self->devices) : 0;
}

gboolean
cb_policy_retirement_get_policy_deleted (CbPolicyRetirement *self)
{
  g_return_val_if_fail (CB_IS_POLICY_RETIREMENT (self), FALSE);
  return self->policy_deleted;
}

guint
cb_policy_retirement_get_n_hub_ca_removed (CbPolicyRetirement *self)
{
  g_return_val_if_fail (CB_IS_POLICY_RETIREMENT (self), 0);
  return self->n_hub_ca_removed;
}

void
cb_policy_retirement_run_async (CbPolicyRetirement  *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_POLICY_RETIREMENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_policy_retirement_run_async);

  if (self->started)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "The retirement of policy “%s” ran already", self->policy);
      return;
    }
  self->started = TRUE;
  if (g_task_return_error_if_cancelled (task))
    return;
  revoke_next (g_steal_pointer (&task));
}

gboolean
cb_policy_retirement_run_finish (CbPolicyRetirement  *self,
                                 GAsyncResult        *result,
                                 GError             **error)
{
  g_return_val_if_fail (CB_IS_POLICY_RETIREMENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cb_policy_retirement_run_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the devices of a policy ------------------------------------------------------------ */

typedef struct
{
  char      *policy;
  GPtrArray *devices;   /* names */
} ListData;

static void
list_data_free (ListData *data)
{
  g_free (data->policy);
  g_ptr_array_unref (data->devices);
  g_free (data);
}

static void
list_devices_page_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ListData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) devices = NULL;
  g_autofree char *next_link = NULL;
  GError *error = NULL;

  devices = cb_adr_client_list_devices_page_finish (CB_ADR_CLIENT (object), result, &next_link,
                                                    &error);
  if (devices == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < devices->len; i++)
    {
      CbAdrDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (cb_adr_device_get_policy_name (device), data->policy) == 0)
        g_ptr_array_add (data->devices, g_strdup (cb_adr_device_get_name (device)));
    }

  /* One page per request, as everywhere; the caller needs the whole list. */
  if (next_link != NULL)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      cb_adr_client_list_devices_page_async (CB_ADR_CLIENT (object), next_link, cancellable,
                                             list_devices_page_cb, g_steal_pointer (&task));
      return;
    }

  g_task_return_pointer (task, g_ptr_array_ref (data->devices), (GDestroyNotify) g_ptr_array_unref);
}

void
cb_policy_retirement_list_devices_async (CbAdrClient         *adr,
                                         const char          *policy,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ListData *data;

  g_return_if_fail (CB_IS_ADR_CLIENT (adr));
  g_return_if_fail (policy != NULL);

  task = g_task_new (adr, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_policy_retirement_list_devices_async);
  data = g_new0 (ListData, 1);
  data->policy = g_strdup (policy);
  data->devices = g_ptr_array_new_with_free_func (g_free);
  g_task_set_task_data (task, data, (GDestroyNotify) list_data_free);

  cb_adr_client_list_devices_page_async (adr, NULL, cancellable, list_devices_page_cb,
                                         g_steal_pointer (&task));
}

GPtrArray *
cb_policy_retirement_list_devices_finish (GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                          cb_policy_retirement_list_devices_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
