/* SPDX-License-Identifier: GPL-3.0-or-later */

/* How the context signs its active profile in: when the profile comes up (the token stored for
 * it, or for the sandbox a device code the sandbox approves), by a device code the user
 * approves, on demand for a command line (ARM only when a command asks, bounded in time when
 * nobody is there to wait), and out. Part of CbContext (cb-context-private.h). */
#define G_LOG_DOMAIN "cb-context"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "cb-context-private.h"
#include "cb-error.h"

/* A command line gives the sandbox's device code this long to be approved
 * (CB_CONTEXT_FLAGS_UNATTENDED). */
#define UNATTENDED_SIGN_IN_S 30

/* ---- When the profile comes up ---------------------------------------------------------- */

static void
auto_complete_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!cb_entra_client_complete_sign_in_finish (CB_ENTRA_CLIENT (object), result, &error))
    {
      if (_cb_context_is_current (self, g_task_get_cancellable (task)))
        _cb_context_set_error (self, error);
      return;
    }

  if (_cb_context_is_current (self, g_task_get_cancellable (task)))
    _cb_context_set_ready (self);
}

static void
auto_begin_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *self = g_task_get_source_object (task);
  g_autoptr(CbEntraDeviceCode) code = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  code = cb_entra_client_begin_sign_in_finish (CB_ENTRA_CLIENT (object), result, &error);
  if (code == NULL)
    {
      if (_cb_context_is_current (self, g_task_get_cancellable (task)))
        _cb_context_set_error (self, error);
      return;
    }

  if (!_cb_context_is_current (self, g_task_get_cancellable (task)))
    return;

  /* The sandbox approves device codes itself: the same flow a user goes through for Azure. */
  _cb_context_set_state (self, CB_CONTEXT_STATE_STARTING, _("Signing in to the sandbox…"), NULL);
  cancellable = g_task_get_cancellable (task);
  cb_entra_client_complete_sign_in_async (CB_ENTRA_CLIENT (object), code, cancellable,
                                          auto_complete_cb, g_steal_pointer (&task));
}

static void
stored_token_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;

  token = cb_entra_client_get_access_token_finish (CB_ENTRA_CLIENT (object), result, &error);
  if (!_cb_context_is_current (self, cancellable))
    return;

  if (token != NULL)
    {
      _cb_context_set_ready (self);
      return;
    }

  if (_cb_context_is_sandbox (self->profile))
    {
      cb_entra_client_begin_sign_in_async (self->entra, cancellable, auto_begin_cb,
                                           g_steal_pointer (&task));
      return;
    }

  if (g_error_matches (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED))
    _cb_context_set_signed_out (self);
  else
    _cb_context_set_error (self, error);
}

void
_cb_context_sign_in (CbContext *self)
{
  GTask *task = g_task_new (self, self->cancellable, NULL, NULL);

  g_task_set_source_tag (task, _cb_context_sign_in);
  cb_entra_client_get_access_token_async (self->entra, CB_ENTRA_SCOPE_ARM, self->cancellable,
                                          stored_token_cb, task);
}

/* ---- ARM on demand (a command line) ----------------------------------------------------- */

typedef struct
{
  GCancellable *bound;        /* cancelled by the caller's cancellable or the time limit */
  GCancellable *caller;
  gulong        caller_id;
  guint         timeout_id;
} ArmSignIn;

static void
arm_sign_in_free (ArmSignIn *data)
{
  if (data->timeout_id != 0)
    g_source_remove (data->timeout_id);
  if (data->caller != NULL)
    g_cancellable_disconnect (data->caller, data->caller_id);
  g_clear_object (&data->caller);
  g_clear_object (&data->bound);
  g_free (data);
}

static gboolean
arm_timeout_cb (gpointer user_data)
{
  ArmSignIn *data = user_data;

  data->timeout_id = 0;
  g_cancellable_cancel (data->bound);
  return G_SOURCE_REMOVE;
}

static void
arm_caller_cancelled_cb (GCancellable *caller,
                         GCancellable *bound)
{
  g_cancellable_cancel (bound);
}

static void
arm_model_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  _cb_context_set_ready (CB_CONTEXT (object));
  g_task_return_boolean (task, TRUE);
}

static void
arm_return (GTask        *task,
            const GError *error)
{
  CbContext *self = g_task_get_source_object (task);

  if (error != NULL)
    {
      g_task_return_new_error (task, error->domain, error->code, _("not signed in to ARM (%s)"),
                               error->message);
      return;
    }

  if (self->adr == NULL && self->http != NULL)
    {
      _cb_context_make_arm_clients (self);
      _cb_context_notify_clients (self);
    }
  /* A command's next call may read an enrollment: it reads in the namespace's model. */
  _cb_context_find_model_async (self, g_task_get_cancellable (task), arm_model_cb,
                                g_object_ref (task));
}

static void
arm_complete_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  cb_entra_client_complete_sign_in_finish (CB_ENTRA_CLIENT (object), result, &error);
  arm_return (task, error);
}

static void
arm_begin_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ArmSignIn *data = g_task_get_task_data (task);
  CbContext *self = g_task_get_source_object (task);
  g_autoptr(CbEntraDeviceCode) code = NULL;
  g_autoptr(GError) error = NULL;

  code = cb_entra_client_begin_sign_in_finish (CB_ENTRA_CLIENT (object), result, &error);
  if (code == NULL)
    {
      arm_return (task, error);
      return;
    }

  /* The sandbox approves its codes itself; with nobody to wait for, only for so long. */
  if (self->flags & CB_CONTEXT_FLAGS_UNATTENDED)
    data->timeout_id = g_timeout_add_seconds (UNATTENDED_SIGN_IN_S, arm_timeout_cb, data);
  cb_entra_client_complete_sign_in_async (CB_ENTRA_CLIENT (object), code, data->bound,
                                          arm_complete_cb, g_steal_pointer (&task));
}

static void
arm_token_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;

  token = cb_entra_client_get_access_token_finish (CB_ENTRA_CLIENT (object), result, &error);
  if (token != NULL)
    memset (token, 0, strlen (token));
  arm_return (task, error);
}

void
cb_context_sign_in_arm_async (CbContext           *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ArmSignIn *data;

  g_return_if_fail (CB_IS_CONTEXT (self));
  g_return_if_fail (self->flags & (CB_CONTEXT_FLAGS_ARM_ON_DEMAND | CB_CONTEXT_FLAGS_NO_ARM));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_context_sign_in_arm_async);

  if (self->adr != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->flags & CB_CONTEXT_FLAGS_NO_ARM)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                               _("ARM is turned off for this connection"));
      return;
    }
  if (cb_profile_get_arm_endpoint (self->profile) == NULL ||
      cb_profile_get_subscription_id (self->profile) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("the profile has no ARM subscription"));
      return;
    }
  if (self->entra == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("The connection is not ready yet"));
      return;
    }

  data = g_new0 (ArmSignIn, 1);
  data->bound = g_cancellable_new ();
  g_task_set_task_data (task, data, (GDestroyNotify) arm_sign_in_free);
  if (cancellable != NULL)
    {
      data->caller = g_object_ref (cancellable);
      data->caller_id = g_cancellable_connect (cancellable, G_CALLBACK (arm_caller_cancelled_cb),
                                               data->bound, NULL);
    }

  /* The sandbox signs in by device code; an Azure profile uses the refresh token the app's
   * sign-in stored. */
  if (_cb_context_is_sandbox (self->profile))
    cb_entra_client_begin_sign_in_async (self->entra, data->bound, arm_begin_cb,
                                         g_steal_pointer (&task));
  else
    cb_entra_client_get_access_token_async (self->entra, CB_ENTRA_SCOPE_ARM, data->bound,
                                            arm_token_cb, g_steal_pointer (&task));
}

gboolean
cb_context_sign_in_arm_finish (CbContext     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Asked for by the user -------------------------------------------------------------- */

static void
begin_sign_in_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CbEntraDeviceCode *code;

  code = cb_entra_client_begin_sign_in_finish (CB_ENTRA_CLIENT (object), result, &error);
  if (code == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, code, g_object_unref);
}

void
cb_context_begin_sign_in_async (CbContext           *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_CONTEXT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_context_begin_sign_in_async);

  if (self->entra == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("The connection is not ready yet"));
      return;
    }

  cb_entra_client_begin_sign_in_async (self->entra, cancellable, begin_sign_in_cb,
                                       g_steal_pointer (&task));
}

CbEntraDeviceCode *
cb_context_begin_sign_in_finish (CbContext     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
complete_sign_in_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!cb_entra_client_complete_sign_in_finish (CB_ENTRA_CLIENT (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (CB_ENTRA_CLIENT (object) == self->entra)
    _cb_context_set_ready (self);
  g_task_return_boolean (task, TRUE);
}

void
cb_context_complete_sign_in_async (CbContext           *self,
                                   CbEntraDeviceCode   *code,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_CONTEXT (self));
  g_return_if_fail (CB_IS_ENTRA_DEVICE_CODE (code));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_context_complete_sign_in_async);

  if (self->entra == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("The connection is not ready yet"));
      return;
    }

  cb_entra_client_complete_sign_in_async (self->entra, code, cancellable, complete_sign_in_cb,
                                          g_steal_pointer (&task));
}

gboolean
cb_context_complete_sign_in_finish (CbContext     *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sign_out_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!cb_entra_client_sign_out_finish (CB_ENTRA_CLIENT (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (CB_ENTRA_CLIENT (object) == self->entra)
    _cb_context_set_signed_out (self);
  g_task_return_boolean (task, TRUE);
}

void
cb_context_sign_out_async (CbContext           *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_CONTEXT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_context_sign_out_async);

  if (self->entra == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  cb_entra_client_sign_out_async (self->entra, cancellable, sign_out_cb, g_steal_pointer (&task));
}

gboolean
cb_context_sign_out_finish (CbContext     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
