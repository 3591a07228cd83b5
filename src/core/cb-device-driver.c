/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-driver"

/* CbDeviceDriver: the interface the station talks to a device through (cb-device-driver.h),
 * and its callers' side: each call checks its object and fails an optional operation the
 * driver lacks with CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED and the driver's reason, sending
 * nothing. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-device-driver.h"

G_DEFINE_QUARK (cb-device-driver-error-quark, cb_device_driver_error)

G_DEFINE_INTERFACE (CbDeviceDriver, cb_device_driver, G_TYPE_OBJECT)

static gboolean
default_error_is_refusal (CbDeviceDriver *self,
                          const GError   *error)
{
  return g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_REFUSED) ||
         g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NO_CHAIN) ||
         g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED);
}

static void
cb_device_driver_default_init (CbDeviceDriverInterface *iface)
{
  iface->error_is_refusal = default_error_is_refusal;
}

#define IFACE(self) CB_DEVICE_DRIVER_GET_IFACE (self)

const char *
cb_device_driver_get_name (CbDeviceDriver *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  return IFACE (self)->get_name (self);
}

const char *
cb_device_driver_get_port_path (CbDeviceDriver *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  return IFACE (self)->get_port_path (self);
}

CbDeviceCapabilities
cb_device_driver_get_capabilities (CbDeviceDriver *self)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), CB_DEVICE_CAP_NONE);
  return IFACE (self)->get_capabilities (self);
}

gboolean
cb_device_driver_has_capability (CbDeviceDriver       *self,
                                 CbDeviceCapabilities  capability)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), FALSE);
  return (cb_device_driver_get_capabilities (self) & capability) == capability;
}

char *
cb_device_driver_dup_missing_reason (CbDeviceDriver       *self,
                                     CbDeviceCapabilities  capability)
{
  char *reason;

  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);

  if (cb_device_driver_has_capability (self, capability))
    return NULL;
  reason = IFACE (self)->dup_missing_reason (self, capability);
  if (reason == NULL)
    reason = g_strdup (_("This device does not support it."));
  return reason;
}

void
cb_device_driver_attach_protocol_log (CbDeviceDriver *self,
                                      CbProtocolLog  *log)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  if (IFACE (self)->attach_protocol_log != NULL)
    IFACE (self)->attach_protocol_log (self, log);
}

void
cb_device_driver_detach_protocol_log (CbDeviceDriver *self,
                                      CbProtocolLog  *log)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  if (IFACE (self)->detach_protocol_log != NULL)
    IFACE (self)->detach_protocol_log (self, log);
  else if (log != NULL)
    cb_protocol_log_detach (log);
}

gboolean
cb_device_driver_error_is_refusal (CbDeviceDriver *self,
                                   const GError   *error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), FALSE);
  g_return_val_if_fail (error != NULL, FALSE);
  return IFACE (self)->error_is_refusal (self, error);
}

/* An optional operation the driver does not have: fail at once, sending nothing. */
static void
report_not_supported (CbDeviceDriver       *self,
                      CbDeviceCapabilities  capability,
                      gpointer              source_tag,
                      GAsyncReadyCallback   callback,
                      gpointer              user_data)
{
  g_autofree char *reason = capability != CB_DEVICE_CAP_NONE
                            ? cb_device_driver_dup_missing_reason (self, capability) : NULL;

  g_task_report_new_error (self, callback, user_data, source_tag, CB_DEVICE_DRIVER_ERROR,
                           CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED, "%s",
                           reason != NULL ? reason : _("This device does not support it."));
}
void
cb_device_driver_identify_async (CbDeviceDriver      *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  IFACE (self)->identify_async (self, cancellable, callback, user_data);
}

CbDeviceInfo *
cb_device_driver_identify_finish (CbDeviceDriver      *self,
                                  GAsyncResult        *result,
                                  GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  return IFACE (self)->identify_finish (self, result, error);
}

void
cb_device_driver_create_key_async (CbDeviceDriver      *self,
                                   const char          *key_type,
                                   const char          *common_name,
                                   gboolean            replace,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  IFACE (self)->create_key_async (self, key_type, common_name, replace, cancellable, callback, user_data);
}

CbKeygenResult *
cb_device_driver_create_key_finish (CbDeviceDriver      *self,
                                    GAsyncResult        *result,
                                    GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  return IFACE (self)->create_key_finish (self, result, error);
}

void
cb_device_driver_create_csr_async (CbDeviceDriver      *self,
                                   const char          *common_name,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  IFACE (self)->create_csr_async (self, common_name, cancellable, callback, user_data);
}

CbDeviceCsr *
cb_device_driver_create_csr_finish (CbDeviceDriver      *self,
                                    GAsyncResult        *result,
                                    GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  return IFACE (self)->create_csr_finish (self, result, error);
}

void
cb_device_driver_install_chain_async (CbDeviceDriver      *self,
                                      GBytes              *chain_der,
                                      GPtrArray           *certificates,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  IFACE (self)->install_chain_async (self, chain_der, certificates, cancellable, callback, user_data);
}

gboolean
cb_device_driver_install_chain_finish (CbDeviceDriver      *self,
                                       GAsyncResult        *result,
                                       GBytes              **staged_sha256,
                                       GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), FALSE);
  if (staged_sha256 != NULL)
    *staged_sha256 = NULL;
  return IFACE (self)->install_chain_finish (self, result, staged_sha256, error);
}

void
cb_device_driver_commit_async (CbDeviceDriver      *self,
                               GBytes              *chain_sha256,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  IFACE (self)->commit_async (self, chain_sha256, cancellable, callback, user_data);
}

CbCommitResult *
cb_device_driver_commit_finish (CbDeviceDriver      *self,
                                GAsyncResult        *result,
                                GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  return IFACE (self)->commit_finish (self, result, error);
}

void
cb_device_driver_read_back_async (CbDeviceDriver      *self,
                                  GBytes              *chain_der,
                                  GPtrArray           *certificates,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  IFACE (self)->read_back_async (self, chain_der, certificates, cancellable, callback, user_data);
}

CbDeviceReadBack *
cb_device_driver_read_back_finish (CbDeviceDriver      *self,
                                   GAsyncResult        *result,
                                   GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  return IFACE (self)->read_back_finish (self, result, error);
}

void
cb_device_driver_read_chain_async (CbDeviceDriver      *self,
                                   CbDeviceSlot        slot,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  if (IFACE (self)->read_chain_async == NULL)
    {
      report_not_supported (self, CB_DEVICE_CAP_READ_BACK_CHAIN, cb_device_driver_read_chain_async, callback, user_data);
      return;
    }
  IFACE (self)->read_chain_async (self, slot, cancellable, callback, user_data);
}

GBytes *
cb_device_driver_read_chain_finish (CbDeviceDriver      *self,
                                    GAsyncResult        *result,
                                    GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  if (g_async_result_is_tagged (result, cb_device_driver_read_chain_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return IFACE (self)->read_chain_finish (self, result, error);
}

void
cb_device_driver_prove_possession_async (CbDeviceDriver      *self,
                                         GBytes              *challenge,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  if (IFACE (self)->prove_possession_async == NULL)
    {
      report_not_supported (self, CB_DEVICE_CAP_PROVE_POSSESSION, cb_device_driver_prove_possession_async, callback, user_data);
      return;
    }
  IFACE (self)->prove_possession_async (self, challenge, cancellable, callback, user_data);
}

CbDevicePossession *
cb_device_driver_prove_possession_finish (CbDeviceDriver      *self,
                                          GAsyncResult        *result,
                                          GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  if (g_async_result_is_tagged (result, cb_device_driver_prove_possession_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return IFACE (self)->prove_possession_finish (self, result, error);
}

void
cb_device_driver_dps_configure_async (CbDeviceDriver      *self,
                                      const char          *scope,
                                      const char          *registration_id,
                                      const char          *symmetric_key,
                                      const char          *endpoint,
                                      const char          *ca_path,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  if (IFACE (self)->dps_configure_async == NULL)
    {
      report_not_supported (self, CB_DEVICE_CAP_DPS_SELF_REGISTER, cb_device_driver_dps_configure_async, callback, user_data);
      return;
    }
  IFACE (self)->dps_configure_async (self, scope, registration_id, symmetric_key, endpoint, ca_path, cancellable, callback, user_data);
}

gboolean
cb_device_driver_dps_configure_finish (CbDeviceDriver      *self,
                                       GAsyncResult        *result,
                                       GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), FALSE);
  if (g_async_result_is_tagged (result, cb_device_driver_dps_configure_async))
    return g_task_propagate_boolean (G_TASK (result), error);
  return IFACE (self)->dps_configure_finish (self, result, error);
}

void
cb_device_driver_dps_register_async (CbDeviceDriver      *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  if (IFACE (self)->dps_register_async == NULL)
    {
      report_not_supported (self, CB_DEVICE_CAP_DPS_SELF_REGISTER, cb_device_driver_dps_register_async, callback, user_data);
      return;
    }
  IFACE (self)->dps_register_async (self, cancellable, callback, user_data);
}

char *
cb_device_driver_dps_register_finish (CbDeviceDriver      *self,
                                      GAsyncResult        *result,
                                      GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  if (g_async_result_is_tagged (result, cb_device_driver_dps_register_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return IFACE (self)->dps_register_finish (self, result, error);
}

void
cb_device_driver_dps_status_async (CbDeviceDriver      *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  if (IFACE (self)->dps_status_async == NULL)
    {
      report_not_supported (self, CB_DEVICE_CAP_DPS_SELF_REGISTER, cb_device_driver_dps_status_async, callback, user_data);
      return;
    }
  IFACE (self)->dps_status_async (self, cancellable, callback, user_data);
}

CbDpsStatus *
cb_device_driver_dps_status_finish (CbDeviceDriver      *self,
                                    GAsyncResult        *result,
                                    GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  if (g_async_result_is_tagged (result, cb_device_driver_dps_status_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return IFACE (self)->dps_status_finish (self, result, error);
}

void
cb_device_driver_hub_configure_async (CbDeviceDriver      *self,
                                      const char          *host,
                                      const char          *device_id,
                                      const char          *endpoint,
                                      const char          *ca_path,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  if (IFACE (self)->hub_configure_async == NULL)
    {
      report_not_supported (self, CB_DEVICE_CAP_HUB_CONNECT, cb_device_driver_hub_configure_async, callback, user_data);
      return;
    }
  IFACE (self)->hub_configure_async (self, host, device_id, endpoint, ca_path, cancellable, callback, user_data);
}

gboolean
cb_device_driver_hub_configure_finish (CbDeviceDriver      *self,
                                       GAsyncResult        *result,
                                       GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), FALSE);
  if (g_async_result_is_tagged (result, cb_device_driver_hub_configure_async))
    return g_task_propagate_boolean (G_TASK (result), error);
  return IFACE (self)->hub_configure_finish (self, result, error);
}

/* The default wait: a timer at @until, or the cancellation, whichever comes first. */
typedef struct
{
  GSource *timer;
  GSource *cancel;
} DefaultWait;

static void
default_wait_free (DefaultWait *wait)
{
  g_source_destroy (wait->timer);
  g_source_unref (wait->timer);
  if (wait->cancel != NULL)
    {
      g_source_destroy (wait->cancel);
      g_source_unref (wait->cancel);
    }
  g_free (wait);
}

static gboolean
default_wait_due (gpointer user_data)
{
  GTask *task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    g_task_return_boolean (task, TRUE);
  g_task_set_task_data (task, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
default_wait_cancelled (GCancellable *cancellable,
                        gpointer      user_data)
{
  return default_wait_due (user_data);
}

static void
default_wait_async (CbDeviceDriver      *self,
                    gint64               until,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GMainContext *context = g_main_context_get_thread_default ();
  DefaultWait *wait = g_new0 (DefaultWait, 1);

  g_task_set_source_tag (task, cb_device_driver_wait_async);
  /* The task owns the sources; each holds a reference to the task until it is destroyed. */
  wait->timer = g_timeout_source_new (0);
  g_source_set_ready_time (wait->timer, MAX (until, 0));
  g_source_set_callback (wait->timer, default_wait_due, g_object_ref (task), g_object_unref);
  g_source_set_static_name (wait->timer, "[cb-device-driver wait]");
  if (cancellable != NULL)
    {
      wait->cancel = g_cancellable_source_new (cancellable);
      g_source_set_callback (wait->cancel, G_SOURCE_FUNC (default_wait_cancelled),
                             g_object_ref (task), g_object_unref);
    }
  g_task_set_task_data (task, wait, (GDestroyNotify) default_wait_free);
  g_source_attach (wait->timer, context);
  if (wait->cancel != NULL)
    g_source_attach (wait->cancel, context);
  g_object_unref (task);
}

void
cb_device_driver_wait_async (CbDeviceDriver      *self,
                             gint64               until,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (IFACE (self)->wait_async == NULL)
    {
      default_wait_async (self, until, cancellable, callback, user_data);
      return;
    }
  IFACE (self)->wait_async (self, until, cancellable, callback, user_data);
}

gboolean
cb_device_driver_wait_finish (CbDeviceDriver  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), FALSE);
  if (g_async_result_is_tagged (result, cb_device_driver_wait_async))
    return g_task_propagate_boolean (G_TASK (result), error);
  return IFACE (self)->wait_finish (self, result, error);
}

void
cb_device_driver_diagnose_async (CbDeviceDriver      *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_return_if_fail (CB_IS_DEVICE_DRIVER (self));
  if (IFACE (self)->diagnose_async == NULL)
    {
      report_not_supported (self, CB_DEVICE_CAP_DIAGNOSTICS, cb_device_driver_diagnose_async, callback, user_data);
      return;
    }
  IFACE (self)->diagnose_async (self, cancellable, callback, user_data);
}

CbDeviceDiag *
cb_device_driver_diagnose_finish (CbDeviceDriver      *self,
                                  GAsyncResult        *result,
                                  GError              **error)
{
  g_return_val_if_fail (CB_IS_DEVICE_DRIVER (self), NULL);
  if (g_async_result_is_tagged (result, cb_device_driver_diagnose_async))
    return g_task_propagate_pointer (G_TASK (result), error);
  return IFACE (self)->diagnose_finish (self, result, error);
}
