/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-adr-client"

/* CbAdrClient, continued: one interface over ADR's two certificate-management models. The
 * client finds the namespace's model once (certificate authorities when it has any, the
 * credential model when it has credentials/default, the stable model for a namespace with
 * neither), and the policy operations both models have run on the model's own paths: in the
 * stable model a policy's issuing CA is its ICA, so "revoke the issuer" is the ICA's
 * revokeAndRotate and "activate" is the External ICA's activate. The app and the CLI call these
 * and never see an api-version. */

#include "config.h"

#include "cb-adr-client-ca.h"
#include "cb-adr-client-private.h"
#include "cb-error.h"

/* -------------------------------------------------------------------------------------------- */
/* Which model                                                                                  */

static void
model_credential_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;
  GError *ca_error = g_task_get_task_data (task);

  state = cb_adr_client_get_credential_finish (self, result, &error);
  if (state != NULL)
    {
      _cb_adr_client_set_model (self, CB_ADR_MODEL_CREDENTIAL);
      g_task_return_int (task, CB_ADR_MODEL_CREDENTIAL);
    }
  else if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (ca_error != NULL)
    /* Neither model answers: most likely the namespace itself is missing; say what the CA
     * list said. */
    g_task_return_error (task, g_error_copy (ca_error));
  else
    {
      /* A namespace with neither yet: every new namespace is in the stable model. */
      _cb_adr_client_set_model (self, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
      g_task_return_int (task, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
    }
}

static void
model_list_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cas = NULL;

  cas = cb_adr_client_list_certificate_authorities_finish (self, result, &error);
  if (cas != NULL && cas->len > 0)
    {
      _cb_adr_client_set_model (self, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
      g_task_return_int (task, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
      return;
    }

  /* A service without 2026-11-01 (400 for the api-version, or 404 for the route) is the
   * preview's; anything else is an answer we cannot read a model from. */
  if (error != NULL &&
      !g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND) &&
      !g_error_matches (error, CB_API_ERROR, CB_API_ERROR_BAD_REQUEST))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (error != NULL)
    g_task_set_task_data (task, g_steal_pointer (&error), (GDestroyNotify) g_error_free);
  cb_adr_client_get_credential_async (self, g_task_get_cancellable (task), model_credential_cb,
                                      g_object_ref (task));
}

void
cb_adr_client_get_model_async (CbAdrClient         *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_adr_client_get_model_async);

  if (_cb_adr_client_get_model (self) != CB_ADR_MODEL_UNKNOWN)
    {
      g_task_return_int (task, _cb_adr_client_get_model (self));
      return;
    }

  cb_adr_client_list_certificate_authorities_async (self, cancellable, model_list_cb,
                                                    g_steal_pointer (&task));
}

CbAdrModel
cb_adr_client_peek_model (CbAdrClient *self)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), CB_ADR_MODEL_UNKNOWN);

  return _cb_adr_client_get_model (self);
}

void
cb_adr_client_set_model (CbAdrClient *self,
                         CbAdrModel   model)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  _cb_adr_client_set_model (self, model);
}

/**
 * cb_adr_client_get_model_finish:
 *
 * Returns: the model, or %CB_ADR_MODEL_UNKNOWN with @error set
 */
CbAdrModel
cb_adr_client_get_model_finish (CbAdrClient   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  gssize model;

  g_return_val_if_fail (g_task_is_valid (result, self), CB_ADR_MODEL_UNKNOWN);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cb_adr_client_get_model_async,
                        CB_ADR_MODEL_UNKNOWN);

  model = g_task_propagate_int (G_TASK (result), error);

  return model < 0 ? CB_ADR_MODEL_UNKNOWN : (CbAdrModel) model;
}

/* -------------------------------------------------------------------------------------------- */
/* The policy operations both models have                                                       */

typedef enum
{
  OP_LIST,
  OP_GET,
  OP_UPDATE_VALIDITY,
  OP_DELETE,
  OP_REVOKE_ISSUER,
  OP_ACTIVATE,
  OP_DEVICES_PAGE,
  OP_GET_DEVICE,
  OP_UPDATE_DEVICE_ENABLED,
  OP_DELETE_DEVICE,
  OP_REVOKE_DEVICE,
  OP_SYNCHRONIZE,
} OpKind;

typedef struct
{
  OpKind    kind;
  char     *policy;       /* or the device */
  guint     validity_days;
  char     *chain;        /* or the next page's link */
  gboolean  flag;         /* enabled, or revoke's disable */
} Op;

static void
op_free (Op *op)
{
  g_free (op->policy);
  g_free (op->chain);
  g_free (op);
}

static gboolean
op_returns_pointer (OpKind kind)
{
  return kind == OP_LIST || kind == OP_GET || kind == OP_UPDATE_VALIDITY ||
         kind == OP_DEVICES_PAGE || kind == OP_GET_DEVICE || kind == OP_UPDATE_DEVICE_ENABLED;
}

static GDestroyNotify
op_pointer_free_func (OpKind kind)
{
  if (kind == OP_LIST)
    return (GDestroyNotify) g_ptr_array_unref;
  if (kind == OP_DEVICES_PAGE)
    return (GDestroyNotify) cb_arm_page_free;
  return g_object_unref;
}

static void
return_result (GTask    *task,
               gpointer  pointer,
               gboolean  ok,
               GError   *error)
{
  Op *op = g_task_get_task_data (task);

  if (error != NULL)
    g_task_return_error (task, error);
  else if (op_returns_pointer (op->kind))
    g_task_return_pointer (task, pointer, op_pointer_free_func (op->kind));
  else
    g_task_return_boolean (task, ok);
}

/* ---- The credential model: the preview's own paths ---- */

static void
credential_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  gpointer pointer = NULL;
  gboolean ok = FALSE;

  switch (op->kind)
    {
    case OP_LIST:
      pointer = _cb_adr_client_credential_list_policies_finish (self, result, &error);
      break;
    case OP_GET:
      pointer = _cb_adr_client_credential_get_policy_finish (self, result, &error);
      break;
    case OP_UPDATE_VALIDITY:
      pointer = _cb_adr_client_credential_update_policy_validity_finish (self, result, &error);
      break;
    case OP_DELETE:
      ok = _cb_adr_client_credential_delete_policy_finish (self, result, &error);
      break;
    case OP_REVOKE_ISSUER:
      ok = _cb_adr_client_credential_revoke_issuer_finish (self, result, &error);
      break;
    case OP_ACTIVATE:
      ok = _cb_adr_client_credential_activate_byor_finish (self, result, &error);
      break;
    case OP_DEVICES_PAGE:
      pointer = _cb_adr_client_credential_list_devices_page_finish (self, result, &error);
      break;
    case OP_GET_DEVICE:
      pointer = _cb_adr_client_credential_get_device_finish (self, result, &error);
      break;
    case OP_UPDATE_DEVICE_ENABLED:
      pointer = _cb_adr_client_credential_update_device_enabled_finish (self, result, &error);
      break;
    case OP_DELETE_DEVICE:
      ok = _cb_adr_client_credential_delete_device_finish (self, result, &error);
      break;
    case OP_REVOKE_DEVICE:
      ok = _cb_adr_client_credential_revoke_device_finish (self, result, &error);
      break;
    case OP_SYNCHRONIZE:
      ok = _cb_adr_client_credential_synchronize_finish (self, result, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  return_result (task, pointer, ok, error);
}

static void
run_credential (CbAdrClient *self,
                GTask       *task)
{
  Op *op = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  switch (op->kind)
    {
    case OP_LIST:
      _cb_adr_client_credential_list_policies_async (self, cancellable, credential_done_cb, task);
      break;
    case OP_GET:
      _cb_adr_client_credential_get_policy_async (self, op->policy, cancellable,
                                                  credential_done_cb, task);
      break;
    case OP_UPDATE_VALIDITY:
      _cb_adr_client_credential_update_policy_validity_async (self, op->policy,
                                                              op->validity_days, cancellable,
                                                              credential_done_cb, task);
      break;
    case OP_DELETE:
      _cb_adr_client_credential_delete_policy_async (self, op->policy, cancellable,
                                                     credential_done_cb, task);
      break;
    case OP_REVOKE_ISSUER:
      _cb_adr_client_credential_revoke_issuer_async (self, op->policy, cancellable,
                                                     credential_done_cb, task);
      break;
    case OP_ACTIVATE:
      _cb_adr_client_credential_activate_byor_async (self, op->policy, op->chain, cancellable,
                                                     credential_done_cb, task);
      break;
    case OP_DEVICES_PAGE:
      _cb_adr_client_credential_list_devices_page_async (self, op->chain, cancellable,
                                                         credential_done_cb, task);
      break;
    case OP_GET_DEVICE:
      _cb_adr_client_credential_get_device_async (self, op->policy, cancellable,
                                                  credential_done_cb, task);
      break;
    case OP_UPDATE_DEVICE_ENABLED:
      _cb_adr_client_credential_update_device_enabled_async (self, op->policy, op->flag,
                                                             cancellable, credential_done_cb,
                                                             task);
      break;
    case OP_DELETE_DEVICE:
      _cb_adr_client_credential_delete_device_async (self, op->policy, cancellable,
                                                     credential_done_cb, task);
      break;
    case OP_REVOKE_DEVICE:
      _cb_adr_client_credential_revoke_device_async (self, op->policy, op->flag, cancellable,
                                                     credential_done_cb, task);
      break;
    case OP_SYNCHRONIZE:
      _cb_adr_client_credential_synchronize_async (self, cancellable, credential_done_cb, task);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* ---- The stable model: the policy's ICA ---- */

static CbPolicy *
find_policy (GPtrArray  *policies,
             const char *name)
{
  for (guint i = 0; i < policies->len; i++)
    {
      CbPolicy *policy = g_ptr_array_index (policies, i);

      if (g_ascii_strcasecmp (cb_policy_get_name (policy), name) == 0)
        return policy;
    }
  return NULL;
}

static void
ca_listed_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) policies = NULL;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  CbPolicy *policy;

  policies = _cb_adr_client_list_ca_policies_finish (self, result, &error);
  if (policies == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (op->kind == OP_LIST)
    {
      g_task_return_pointer (task, g_steal_pointer (&policies),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  /* OP_GET, and an update's answer read back with its ICA. */
  policy = find_policy (policies, op->policy);
  if (policy == NULL)
    g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_NOT_FOUND,
                             "No certificate authority of namespace “%s” has a policy “%s”",
                             cb_adr_client_get_namespace (self), op->policy);
  else
    g_task_return_pointer (task, g_object_ref (policy), g_object_unref);
}

static void
ca_action_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(CbPolicy) updated = NULL;
  GError *error = NULL;
  gboolean ok = FALSE;

  switch (op->kind)
    {
    case OP_UPDATE_VALIDITY:
      updated = cb_adr_client_update_certificate_policy_finish (self, result, &error);
      if (updated != NULL)
        {
          GCancellable *cancellable = g_task_get_cancellable (task);

          _cb_adr_client_list_ca_policies_async (self, cancellable, ca_listed_cb,
                                                 g_steal_pointer (&task));
          return;
        }
      break;
    case OP_DELETE:
      ok = cb_adr_client_delete_certificate_policy_finish (self, result, &error);
      if (ok)
        _cb_adr_client_forget_policy_ca (self, op->policy);
      break;
    case OP_REVOKE_ISSUER:
      ok = cb_adr_client_revoke_and_rotate_finish (self, result, &error);
      break;
    case OP_ACTIVATE:
      ok = cb_adr_client_activate_certificate_authority_finish (self, result, &error);
      break;
    case OP_LIST:
    case OP_GET:
    default:
      g_assert_not_reached ();
    }

  return_result (task, NULL, ok, error);
}

static void
ca_found_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *ca = NULL;
  GError *error = NULL;

  ca = _cb_adr_client_find_policy_ca_finish (self, result, &error);
  if (ca == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  switch (op->kind)
    {
    case OP_UPDATE_VALIDITY:
      cb_adr_client_update_certificate_policy_async (self, ca, op->policy, op->validity_days,
                                                     cancellable, ca_action_done_cb,
                                                     g_steal_pointer (&task));
      break;
    case OP_DELETE:
      cb_adr_client_delete_certificate_policy_async (self, ca, op->policy, cancellable,
                                                     ca_action_done_cb, g_steal_pointer (&task));
      break;
    case OP_REVOKE_ISSUER:
      cb_adr_client_revoke_and_rotate_async (self, ca, cancellable, ca_action_done_cb,
                                             g_steal_pointer (&task));
      break;
    case OP_ACTIVATE:
      cb_adr_client_activate_certificate_authority_async (self, ca, op->chain, cancellable,
                                                          ca_action_done_cb,
                                                          g_steal_pointer (&task));
      break;
    case OP_LIST:
    case OP_GET:
    default:
      g_assert_not_reached ();
    }
}

/* ---- The stable model's registry devices ---- */

static void
registry_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;
  gpointer pointer = NULL;
  gboolean ok = FALSE;

  switch (op->kind)
    {
    case OP_DEVICES_PAGE:
      pointer = _cb_adr_client_registry_list_devices_page_finish (self, result, &error);
      break;
    case OP_GET_DEVICE:
      pointer = _cb_adr_client_registry_get_device_finish (self, result, &error);
      break;
    case OP_DELETE_DEVICE:
      ok = _cb_adr_client_registry_delete_device_finish (self, result, &error);
      break;
    case OP_REVOKE_DEVICE:
      ok = _cb_adr_client_registry_revoke_device_finish (self, result, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  return_result (task, pointer, ok, error);
}

static gboolean
run_registry_devices (CbAdrClient *self,
                      GTask       *task)
{
  Op *op = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  switch (op->kind)
    {
    case OP_DEVICES_PAGE:
      _cb_adr_client_registry_list_devices_page_async (self, op->chain, cancellable,
                                                       registry_done_cb, task);
      return TRUE;
    case OP_GET_DEVICE:
      _cb_adr_client_registry_get_device_async (self, op->policy, cancellable, registry_done_cb,
                                                task);
      return TRUE;
    case OP_DELETE_DEVICE:
      _cb_adr_client_registry_delete_device_async (self, op->policy, cancellable,
                                                   registry_done_cb, task);
      return TRUE;
    case OP_REVOKE_DEVICE:
      if (op->flag)
        break;
      _cb_adr_client_registry_revoke_device_async (self, op->policy, cancellable,
                                                   registry_done_cb, task);
      return TRUE;
    case OP_UPDATE_DEVICE_ENABLED:
      break;
    default:
      return FALSE;
    }

  /* The stable API has no way to enable or disable a registry device (it is read-only but for
   * DELETE); say so before anything is sent. */
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Namespace “%s” uses ADR's certificate authorities (2026-11-01), "
                           "which cannot disable a device: revoke its certificates, or delete it",
                           cb_adr_client_get_namespace (self));
  g_object_unref (task);
  return TRUE;
}

static void
run_certificate_authorities (CbAdrClient *self,
                             GTask       *task)
{
  Op *op = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (run_registry_devices (self, task))
    return;

  if (op->kind == OP_SYNCHRONIZE)
    {
      /* The stable model has no credential sync: ADR pushes a usable ICA to every linked hub
       * by itself. */
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  if (op->kind == OP_LIST || op->kind == OP_GET)
    _cb_adr_client_list_ca_policies_async (self, cancellable, ca_listed_cb, task);
  else
    _cb_adr_client_find_policy_ca_async (self, op->policy, cancellable, ca_found_cb, task);
}

/* ---- Either ---- */

static void
op_model_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  GTask *task = user_data;
  GError *error = NULL;
  CbAdrModel model;

  model = cb_adr_client_get_model_finish (self, result, &error);
  if (model == CB_ADR_MODEL_CREDENTIAL)
    run_credential (self, task);
  else if (model == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES)
    run_certificate_authorities (self, task);
  else
    {
      g_task_return_error (task, error);
      g_object_unref (task);
    }
}

static void
op_start (CbAdrClient         *self,
          gpointer             source_tag,
          Op                  *op,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  cb_adr_client_get_model_async (self, cancellable, op_model_cb, task);
}

static Op *
op_new (OpKind      kind,
        const char *policy)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->policy = g_strdup (policy);
  return op;
}

/* The public pair of an operation on one named policy or device: the async starts the Op of
 * that kind on the namespace's model, the finish returns what it gives. */
#define NAMED_OP(op_name, KIND, Result, finish_func)                                            \
  void                                                                                         \
  cb_adr_client_##op_name##_async (CbAdrClient         *self,                                  \
                                   const char          *name,                                  \
                                   GCancellable        *cancellable,                           \
                                   GAsyncReadyCallback  callback,                              \
                                   gpointer             user_data)                             \
  {                                                                                            \
    g_return_if_fail (CB_IS_ADR_CLIENT (self));                                                \
    g_return_if_fail (name != NULL && *name != '\0');                                          \
                                                                                               \
    op_start (self, cb_adr_client_##op_name##_async, op_new (KIND, name), cancellable,        \
              callback, user_data);                                                            \
  }                                                                                            \
                                                                                               \
  Result                                                                                       \
  cb_adr_client_##op_name##_finish (CbAdrClient   *self,                                       \
                                    GAsyncResult  *result,                                     \
                                    GError       **error)                                      \
  {                                                                                            \
    return finish_func (self, result, cb_adr_client_##op_name##_async, error);                \
  }

void
cb_adr_client_list_policies_async (CbAdrClient         *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  op_start (self, cb_adr_client_list_policies_async, op_new (OP_LIST, NULL),
            cancellable, callback, user_data);
}

/**
 * cb_adr_client_list_policies_finish:
 *
 * Returns: (transfer full) (element-type CbPolicy): the namespace's policies: the credential's
 *   in the preview model, every ICA's (each with its ICA) in the stable one
 */
GPtrArray *
cb_adr_client_list_policies_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_list_policies_async, error);
}

/* cb_adr_client_get_policy_finish() returns (transfer full) the policy. */
NAMED_OP (get_policy, OP_GET, CbPolicy *, cb_arm_finish_pointer)

void
cb_adr_client_update_policy_validity_async (CbAdrClient         *self,
                                            const char          *policy,
                                            guint                validity_days,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  Op *op;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  op = op_new (OP_UPDATE_VALIDITY, policy);
  op->validity_days = validity_days;
  op_start (self, cb_adr_client_update_policy_validity_async, op, cancellable, callback,
            user_data);
}

/**
 * cb_adr_client_update_policy_validity_finish:
 *
 * Returns: (transfer full): the updated policy
 */
CbPolicy *
cb_adr_client_update_policy_validity_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_update_policy_validity_async, error);
}

NAMED_OP (delete_policy, OP_DELETE, gboolean, cb_arm_finish_boolean)

NAMED_OP (revoke_issuer, OP_REVOKE_ISSUER, gboolean, cb_arm_finish_boolean)

void
cb_adr_client_activate_byor_async (CbAdrClient         *self,
                                   const char          *policy,
                                   const char          *certificate_chain,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Op *op;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');
  g_return_if_fail (certificate_chain != NULL);

  op = op_new (OP_ACTIVATE, policy);
  op->chain = g_strdup (certificate_chain);
  op_start (self, cb_adr_client_activate_byor_async, op, cancellable, callback, user_data);
}

gboolean
cb_adr_client_activate_byor_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_activate_byor_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* The device operations both models have                                                       */

void
cb_adr_client_list_devices_page_async (CbAdrClient         *self,
                                       const char          *next_link,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Op *op;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  op = op_new (OP_DEVICES_PAGE, NULL);
  op->chain = g_strdup (next_link);
  op_start (self, cb_adr_client_list_devices_page_async, op, cancellable, callback, user_data);
}

/**
 * cb_adr_client_list_devices_page_finish:
 * @out_next_link: (out) (optional): the link to the next page, NULL on the last page
 *
 * Returns: (transfer full) (element-type CbAdrDevice): one page of devices
 */
GPtrArray *
cb_adr_client_list_devices_page_finish (CbAdrClient   *self,
                                        GAsyncResult  *result,
                                        char         **out_next_link,
                                        GError       **error)
{
  CbArmPage *page;
  GPtrArray *items;

  if (out_next_link != NULL)
    *out_next_link = NULL;

  page = cb_arm_finish_pointer (self, result, cb_adr_client_list_devices_page_async, error);
  if (page == NULL)
    return NULL;

  items = g_steal_pointer (&page->items);
  if (out_next_link != NULL)
    *out_next_link = g_steal_pointer (&page->next_link);
  cb_arm_page_free (page);

  return items;
}

/* cb_adr_client_get_device_finish() returns (transfer full) the device. */
NAMED_OP (get_device, OP_GET_DEVICE, CbAdrDevice *, cb_arm_finish_pointer)

void
cb_adr_client_update_device_enabled_async (CbAdrClient         *self,
                                           const char          *device,
                                           gboolean             enabled,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  Op *op;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  op = op_new (OP_UPDATE_DEVICE_ENABLED, device);
  op->flag = !!enabled;
  op_start (self, cb_adr_client_update_device_enabled_async, op, cancellable, callback,
            user_data);
}

/**
 * cb_adr_client_update_device_enabled_finish:
 *
 * Returns: (transfer full): the updated device
 */
CbAdrDevice *
cb_adr_client_update_device_enabled_finish (CbAdrClient   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_update_device_enabled_async, error);
}

NAMED_OP (delete_device, OP_DELETE_DEVICE, gboolean, cb_arm_finish_boolean)

void
cb_adr_client_revoke_device_async (CbAdrClient         *self,
                                   const char          *device,
                                   gboolean             disable,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Op *op;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  op = op_new (OP_REVOKE_DEVICE, device);
  op->flag = !!disable;
  op_start (self, cb_adr_client_revoke_device_async, op, cancellable, callback, user_data);
}

gboolean
cb_adr_client_revoke_device_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_revoke_device_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Putting the issuing CAs on the hubs                                                          */

void
cb_adr_client_synchronize_credential_async (CbAdrClient         *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  op_start (self, cb_adr_client_synchronize_credential_async, op_new (OP_SYNCHRONIZE, NULL),
            cancellable, callback, user_data);
}

gboolean
cb_adr_client_synchronize_credential_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_synchronize_credential_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Reading a namespace                                                                          */

static void
namespace_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  CbAdrModel model = GPOINTER_TO_INT (g_task_get_task_data (task));
  CbNamespace *ns;
  GError *error = NULL;

  ns = _cb_adr_client_read_namespace_finish (self, result, &error);
  if (ns == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  cb_namespace_set_model (ns, model);
  g_task_return_pointer (task, ns, g_object_unref);
}

static void
namespace_model_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;
  CbAdrModel model;

  model = cb_adr_client_get_model_finish (self, result, &error);
  if (model == CB_ADR_MODEL_UNKNOWN)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Each model's api-version shows its own members: the stable one the linked endpoints. */
  g_task_set_task_data (task, GINT_TO_POINTER (model), NULL);
  _cb_adr_client_read_namespace_async (self, NULL,
                                       model == CB_ADR_MODEL_CERTIFICATE_AUTHORITIES
                                       ? CB_ADR_API_VERSION_CERTIFICATE_AUTHORITIES
                                       : CB_ADR_API_VERSION_CREDENTIAL,
                                       cancellable, namespace_read_cb, g_steal_pointer (&task));
}

/**
 * cb_adr_client_get_namespace_async:
 * @ns: (nullable): a namespace name; NULL: the client's
 *
 * The client's own namespace is read at the api-version of its model, which the namespace then
 * names (cb_namespace_get_model()); another namespace is read as the preview shows it, its model
 * left unknown.
 */
void
cb_adr_client_get_namespace_async (CbAdrClient         *self,
                                   const char          *ns,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *own;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_adr_client_get_namespace_async);
  g_task_set_task_data (task, GINT_TO_POINTER (CB_ADR_MODEL_UNKNOWN), NULL);

  own = cb_adr_client_get_namespace (self);
  if (ns == NULL || (own != NULL && g_ascii_strcasecmp (ns, own) == 0))
    cb_adr_client_get_model_async (self, cancellable, namespace_model_cb, g_steal_pointer (&task));
  else
    _cb_adr_client_read_namespace_async (self, ns, CB_ADR_API_VERSION_CREDENTIAL, cancellable,
                                         namespace_read_cb, g_steal_pointer (&task));
}

/**
 * cb_adr_client_get_namespace_finish:
 *
 * Returns: (transfer full): the namespace
 */
CbNamespace *
cb_adr_client_get_namespace_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_get_namespace_async, error);
}
