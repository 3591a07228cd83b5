/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-driver"

/* CbSmpDriver: the bench group over SMP as the station's first device driver. It adds nothing
 * to the bench client's behaviour: each driver operation is the bench command (or the client's
 * sequence) it always was, with the same timeouts, retries and errors, so the provisioning run
 * and the diagnosis behave on SMP devices exactly as before the driver layer. */

#include "config.h"

#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-bench-format.h"
#include "cb-serial-port.h"
#include "cb-smp-error.h"
#include "cb-smp-driver.h"

struct _CbSmpDriver
{
  GObject        parent_instance;

  CbBenchClient *bench;
};

static void cb_smp_driver_iface_init (CbDeviceDriverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CbSmpDriver, cb_smp_driver, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CB_TYPE_DEVICE_DRIVER,
                                                      cb_smp_driver_iface_init))

static void
cb_smp_driver_finalize (GObject *object)
{
  CbSmpDriver *self = CB_SMP_DRIVER (object);

  g_clear_object (&self->bench);

  G_OBJECT_CLASS (cb_smp_driver_parent_class)->finalize (object);
}

static void
cb_smp_driver_class_init (CbSmpDriverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_smp_driver_finalize;
}

static void
cb_smp_driver_init (CbSmpDriver *self)
{
}

CbSmpDriver *
cb_smp_driver_new (CbBenchClient *bench)
{
  CbSmpDriver *self;

  g_return_val_if_fail (CB_IS_BENCH_CLIENT (bench), NULL);

  self = g_object_new (CB_TYPE_SMP_DRIVER, NULL);
  self->bench = g_object_ref (bench);
  return self;
}

CbBenchClient *
cb_smp_driver_get_bench_client (CbSmpDriver *self)
{
  g_return_val_if_fail (CB_IS_SMP_DRIVER (self), NULL);
  return self->bench;
}

/* ---- Forwarding a bench call's result to the driver's task ------------------------------- */

typedef gpointer (*PointerFinish) (CbBenchClient *bench, GAsyncResult *result, GError **error);
typedef gboolean (*BooleanFinish) (CbBenchClient *bench, GAsyncResult *result, GError **error);

/* How a forwarded call's result is taken from the bench client and freed: the task's data
 * (looking two keys up in the task's GData, by name, cost two quark lookups under GLib's lock
 * and a datalist each way, at every exchange of every device). */
typedef struct
{
  gpointer       finish;
  GDestroyNotify free_result;
} Forward;

/* The task returns exactly what the bench client returned, also after a cancel (the run
 * decides what a cancel means, as it did with the client). A task made without @finish is
 * free to hold data of its own. */
static GTask *
new_task (CbSmpDriver         *self,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          const char          *source_tag,
          gpointer             finish,
          GDestroyNotify       free_result)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  /* The tag is the calling function's name (G_STRFUNC): one string per operation. */
  g_task_set_source_tag (task, (gpointer) source_tag);
  g_task_set_check_cancellable (task, FALSE);
  if (finish != NULL)
    {
      Forward *forward = g_new (Forward, 1);

      forward->finish = finish;
      forward->free_result = free_result;
      g_task_set_task_data (task, forward, g_free);
    }
  return task;
}

static void
pointer_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const Forward *forward = g_task_get_task_data (task);
  PointerFinish finish = forward->finish;
  GError *error = NULL;
  gpointer value;

  value = finish (CB_BENCH_CLIENT (object), result, &error);
  if (value == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, forward->free_result);
}

static void
boolean_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const Forward *forward = g_task_get_task_data (task);
  BooleanFinish finish = forward->finish;
  GError *error = NULL;

  if (!finish (CB_BENCH_CLIENT (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

#define POINTER_TASK(finish, free_result) \
  new_task (CB_SMP_DRIVER (driver), cancellable, callback, user_data, G_STRFUNC, \
            (gpointer) (finish), (GDestroyNotify) (free_result))
#define BOOLEAN_TASK(finish) \
  new_task (CB_SMP_DRIVER (driver), cancellable, callback, user_data, G_STRFUNC, \
            (gpointer) (finish), NULL)

static gpointer
propagate_pointer (GAsyncResult  *result,
                   GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
propagate_boolean (GAsyncResult  *result,
                   GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

#define BENCH(driver) (CB_SMP_DRIVER (driver)->bench)

/* ---- CbDeviceDriver ------------------------------------------------------------------------ */

static const char *
smp_get_name (CbDeviceDriver *driver)
{
  return "smp";
}

static const char *
smp_get_port_path (CbDeviceDriver *driver)
{
  return cb_serial_port_get_path (cb_smp_transport_get_port (cb_bench_client_get_transport (BENCH (driver))));
}

static CbDeviceCapabilities
smp_get_capabilities (CbDeviceDriver *driver)
{
  return CB_DEVICE_CAP_DPS_SELF_REGISTER | CB_DEVICE_CAP_HUB_CONNECT |
         CB_DEVICE_CAP_PROVE_POSSESSION | CB_DEVICE_CAP_READ_BACK_CHAIN |
         CB_DEVICE_CAP_DIAGNOSTICS | CB_DEVICE_CAP_REPLACE_KEY;
}

static char *
smp_dup_missing_reason (CbDeviceDriver       *driver,
                        CbDeviceCapabilities  capability)
{
  /* The bench group has every capability; a device without network says so per command
   * (not_supported), which the run reads as before. */
  return NULL;
}

static void
smp_attach_protocol_log (CbDeviceDriver *driver,
                         CbProtocolLog  *log)
{
  guint buf_size = 0, buf_count = 0;

  cb_protocol_log_attach (log, cb_bench_client_get_transport (BENCH (driver)));
  /* identify will not ask for them: the log says where they came from. */
  if (cb_bench_client_get_mcumgr_params (BENCH (driver), &buf_size, &buf_count))
    {
      if (buf_size != 0)
        cb_protocol_log_add_note (log, "MCUmgr parameters from the port probe: buf_size %u, "
                                  "buf_count %u", buf_size, buf_count);
      else
        cb_protocol_log_add_note (log, "MCUmgr parameters: the device lacks the command (rc 8 "
                                  "to the port probe)");
    }
}

static void
smp_detach_protocol_log (CbDeviceDriver *driver,
                         CbProtocolLog  *log)
{
  cb_protocol_log_detach (log);
}

/* A bench rc or an SMP rc is the device's answer; anything else (a timeout, a dropped link,
 * an answer that would not decode) means nobody knows what the device did. */
static gboolean
smp_error_is_refusal (CbDeviceDriver *driver,
                      const GError   *error)
{
  return g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC) ||
         g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GENERIC_RC) ||
         (error->domain == CB_DEVICE_DRIVER_ERROR &&
          error->code == CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED);
}

static void
smp_identify_async (CbDeviceDriver      *driver,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  cb_bench_client_identify_async (BENCH (driver), cancellable, pointer_cb,
                                  POINTER_TASK (cb_bench_client_identify_finish, g_object_unref));
}

static CbDeviceInfo *
smp_identify_finish (CbDeviceDriver  *driver,
                     GAsyncResult    *result,
                     GError         **error)
{
  return propagate_pointer (result, error);
}

static void
smp_create_key_async (CbDeviceDriver      *driver,
                      const char          *key_type,
                      const char          *common_name,
                      gboolean             replace,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  /* The bench group's keygen takes no subject: the CN goes into csr. */
  cb_bench_client_keygen_async (BENCH (driver), key_type, replace, cancellable, pointer_cb,
                                POINTER_TASK (cb_bench_client_keygen_finish, cb_keygen_result_free));
}

static CbKeygenResult *
smp_create_key_finish (CbDeviceDriver  *driver,
                       GAsyncResult    *result,
                       GError         **error)
{
  return propagate_pointer (result, error);
}

static void
csr_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) der = NULL;
  GError *error = NULL;

  der = cb_bench_client_csr_finish (CB_BENCH_CLIENT (object), result, &error);
  if (der == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, cb_device_csr_new (der, NULL), (GDestroyNotify) cb_device_csr_free);
}

static void
smp_create_csr_async (CbDeviceDriver      *driver,
                      const char          *common_name,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  cb_bench_client_csr_async (BENCH (driver), common_name, cancellable, csr_cb,
                             POINTER_TASK (NULL, NULL));
}

static CbDeviceCsr *
smp_create_csr_finish (CbDeviceDriver  *driver,
                       GAsyncResult    *result,
                       GError         **error)
{
  return propagate_pointer (result, error);
}

static void
smp_install_chain_async (CbDeviceDriver      *driver,
                         GBytes              *chain_der,
                         GPtrArray           *certificates,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  cb_bench_client_put_chain_async (BENCH (driver), chain_der, cancellable, pointer_cb,
                                   POINTER_TASK (cb_bench_client_put_chain_finish, g_bytes_unref));
}

static gboolean
smp_install_chain_finish (CbDeviceDriver  *driver,
                          GAsyncResult    *result,
                          GBytes         **staged_sha256,
                          GError         **error)
{
  GBytes *sha = propagate_pointer (result, error);

  if (sha == NULL)
    return FALSE;
  if (staged_sha256 != NULL)
    *staged_sha256 = sha;
  else
    g_bytes_unref (sha);
  return TRUE;
}

static void
smp_commit_async (CbDeviceDriver      *driver,
                  GBytes              *chain_sha256,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  cb_bench_client_commit_async (BENCH (driver), chain_sha256, cancellable, pointer_cb,
                                POINTER_TASK (cb_bench_client_commit_finish, cb_commit_result_free));
}

static CbCommitResult *
smp_commit_finish (CbDeviceDriver  *driver,
                   GAsyncResult    *result,
                   GError         **error)
{
  return propagate_pointer (result, error);
}

static void
read_back_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GBytes *installed = g_task_get_task_data (task);
  CbDeviceReadBack *read_back;
  GBytes *active;
  GError *error = NULL;

  active = cb_bench_client_get_chain_finish (CB_BENCH_CLIENT (object), result, &error);
  if (active == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  read_back = g_new0 (CbDeviceReadBack, 1);
  read_back->compared = CB_DEVICE_COMPARE_BYTES;
  read_back->chain_der = active;
  read_back->matches = g_bytes_equal (active, installed);
  g_task_return_pointer (task, read_back, (GDestroyNotify) cb_device_read_back_free);
}

static void
smp_read_back_async (CbDeviceDriver      *driver,
                     GBytes              *chain_der,
                     GPtrArray           *certificates,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task = POINTER_TASK (NULL, NULL);

  g_task_set_task_data (task, g_bytes_ref (chain_der), (GDestroyNotify) g_bytes_unref);
  cb_bench_client_get_chain_async (BENCH (driver), NULL, cancellable, read_back_cb, task);
}

static CbDeviceReadBack *
smp_read_back_finish (CbDeviceDriver  *driver,
                      GAsyncResult    *result,
                      GError         **error)
{
  return propagate_pointer (result, error);
}

static void
smp_read_chain_async (CbDeviceDriver      *driver,
                      CbDeviceSlot         slot,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  cb_bench_client_get_chain_async (BENCH (driver), slot == CB_DEVICE_SLOT_STAGING ? "staging" : NULL,
                                   cancellable, pointer_cb,
                                   POINTER_TASK (cb_bench_client_get_chain_finish, g_bytes_unref));
}

static GBytes *
smp_read_chain_finish (CbDeviceDriver  *driver,
                       GAsyncResult    *result,
                       GError         **error)
{
  return propagate_pointer (result, error);
}

static void
pop_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbPopResult) pop = NULL;
  CbDevicePossession *possession;
  GError *error = NULL;

  pop = cb_bench_client_pop_finish (CB_BENCH_CLIENT (object), result, &error);
  if (pop == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  possession = g_new0 (CbDevicePossession, 1);
  possession->signed_data = cb_bench_pop_message (g_task_get_task_data (task));
  possession->signature = g_steal_pointer (&pop->signature);
  possession->algorithm = g_steal_pointer (&pop->algorithm);
  g_task_return_pointer (task, possession, (GDestroyNotify) cb_device_possession_free);
}

static void
smp_prove_possession_async (CbDeviceDriver      *driver,
                            GBytes              *challenge,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = POINTER_TASK (NULL, NULL);

  g_task_set_task_data (task, g_bytes_ref (challenge), (GDestroyNotify) g_bytes_unref);
  cb_bench_client_pop_async (BENCH (driver), challenge, cancellable, pop_cb, task);
}

static CbDevicePossession *
smp_prove_possession_finish (CbDeviceDriver  *driver,
                             GAsyncResult    *result,
                             GError         **error)
{
  return propagate_pointer (result, error);
}

static void
smp_dps_configure_async (CbDeviceDriver      *driver,
                         const char          *scope,
                         const char          *registration_id,
                         const char          *symmetric_key,
                         const char          *endpoint,
                         const char          *ca_path,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  cb_bench_client_dps_config_async (BENCH (driver), scope, registration_id, symmetric_key,
                                    endpoint, ca_path, cancellable, boolean_cb,
                                    BOOLEAN_TASK (cb_bench_client_dps_config_finish));
}

static gboolean
smp_dps_configure_finish (CbDeviceDriver  *driver,
                          GAsyncResult    *result,
                          GError         **error)
{
  return propagate_boolean (result, error);
}

static void
smp_dps_register_async (CbDeviceDriver      *driver,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  cb_bench_client_dps_register_async (BENCH (driver), cancellable, pointer_cb,
                                      POINTER_TASK (cb_bench_client_dps_register_finish, g_free));
}

static char *
smp_dps_register_finish (CbDeviceDriver  *driver,
                         GAsyncResult    *result,
                         GError         **error)
{
  return propagate_pointer (result, error);
}

static void
smp_dps_status_async (CbDeviceDriver      *driver,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  cb_bench_client_dps_status_async (BENCH (driver), cancellable, pointer_cb,
                                    POINTER_TASK (cb_bench_client_dps_status_finish, cb_dps_status_free));
}

static CbDpsStatus *
smp_dps_status_finish (CbDeviceDriver  *driver,
                       GAsyncResult    *result,
                       GError         **error)
{
  return propagate_pointer (result, error);
}

static void
smp_hub_configure_async (CbDeviceDriver      *driver,
                         const char          *host,
                         const char          *device_id,
                         const char          *endpoint,
                         const char          *ca_path,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  cb_bench_client_hub_config_async (BENCH (driver), host, device_id, endpoint, ca_path,
                                    cancellable, boolean_cb,
                                    BOOLEAN_TASK (cb_bench_client_hub_config_finish));
}

static gboolean
smp_hub_configure_finish (CbDeviceDriver  *driver,
                          GAsyncResult    *result,
                          GError         **error)
{
  return propagate_boolean (result, error);
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!cb_smp_transport_idle_finish (CB_SMP_TRANSPORT (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* The transport's idle wait: the device's console text during it is read once, at its end. */
static void
smp_wait_async (CbDeviceDriver      *driver,
                gint64               until,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  cb_smp_transport_idle_async (cb_bench_client_get_transport (BENCH (driver)), until, cancellable,
                               wait_cb, BOOLEAN_TASK (NULL));
}

static gboolean
smp_wait_finish (CbDeviceDriver  *driver,
                 GAsyncResult    *result,
                 GError         **error)
{
  return propagate_boolean (result, error);
}

static void
smp_diagnose_async (CbDeviceDriver      *driver,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  cb_bench_client_diag_async (BENCH (driver), cancellable, pointer_cb,
                              POINTER_TASK (cb_bench_client_diag_finish, g_object_unref));
}

static CbDeviceDiag *
smp_diagnose_finish (CbDeviceDriver  *driver,
                     GAsyncResult    *result,
                     GError         **error)
{
  return propagate_pointer (result, error);
}

static void
cb_smp_driver_iface_init (CbDeviceDriverInterface *iface)
{
  iface->get_name = smp_get_name;
  iface->get_port_path = smp_get_port_path;
  iface->get_capabilities = smp_get_capabilities;
  iface->dup_missing_reason = smp_dup_missing_reason;
  iface->attach_protocol_log = smp_attach_protocol_log;
  iface->detach_protocol_log = smp_detach_protocol_log;
  iface->error_is_refusal = smp_error_is_refusal;
  iface->identify_async = smp_identify_async;
  iface->identify_finish = smp_identify_finish;
  iface->create_key_async = smp_create_key_async;
  iface->create_key_finish = smp_create_key_finish;
  iface->create_csr_async = smp_create_csr_async;
  iface->create_csr_finish = smp_create_csr_finish;
  iface->install_chain_async = smp_install_chain_async;
  iface->install_chain_finish = smp_install_chain_finish;
  iface->commit_async = smp_commit_async;
  iface->commit_finish = smp_commit_finish;
  iface->read_back_async = smp_read_back_async;
  iface->read_back_finish = smp_read_back_finish;
  iface->read_chain_async = smp_read_chain_async;
  iface->read_chain_finish = smp_read_chain_finish;
  iface->prove_possession_async = smp_prove_possession_async;
  iface->prove_possession_finish = smp_prove_possession_finish;
  iface->dps_configure_async = smp_dps_configure_async;
  iface->dps_configure_finish = smp_dps_configure_finish;
  iface->dps_register_async = smp_dps_register_async;
  iface->dps_register_finish = smp_dps_register_finish;
  iface->dps_status_async = smp_dps_status_async;
  iface->dps_status_finish = smp_dps_status_finish;
  iface->hub_configure_async = smp_hub_configure_async;
  iface->hub_configure_finish = smp_hub_configure_finish;
  iface->wait_async = smp_wait_async;
  iface->wait_finish = smp_wait_finish;
  iface->diagnose_async = smp_diagnose_async;
  iface->diagnose_finish = smp_diagnose_finish;
}
