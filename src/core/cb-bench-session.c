/* SPDX-License-Identifier: GPL-3.0-or-later */

/* One port of the station and its runs: it opens the port, speaks the bench protocol over it,
 * builds and runs the provisioning run, keeps the result, and tells the protocol traffic as
 * log lines. The bench page shows sessions; it opens no port itself. */

#define G_LOG_DOMAIN "cb-bench-session"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-bench-client.h"
#include "cb-bench-session.h"
#include "cb-device-drivers.h"
#include "cb-nrf91-driver.h"
#include "cb-smp-driver.h"
#include "cb-smp-transport-private.h"
#include "cb-serial-port.h"

struct _CbBenchSession
{
  GObject              parent_instance;

  char                *path;
  CbSerialPortInfo    *info;
  CbSerialPort        *port;
  CbSmpTransport      *transport;
  CbBenchClient       *bench;
  CbDeviceDriver      *driver;
  char                *driver_name;  /* pinned: "smp", "nrf91"; NULL or "auto" */
  char                *probed_driver;  /* what answered the last open's probe, or NULL */
  CbProvisioningRun   *run;
  CbRunResult         *result;
  GCancellable        *cancellable;
  GCancellable        *context_cancellable;  /* the context's at the start; cancels ours */
  gulong               context_cancelled_id;
  char                *message;      /* why it failed before a run could start */
  CbSmpTransportStats  stats;        /* of the last transport, kept after the port closes */
  CbBenchSessionState  state;
};

G_DEFINE_FINAL_TYPE (CbBenchSession, cb_bench_session, G_TYPE_OBJECT)

enum { SIGNAL_LOG, N_SIGNALS };
static guint session_signals[N_SIGNALS];

static void
close_port (CbBenchSession *s)
{
  if (s->transport != NULL)
    cb_smp_transport_get_stats (s->transport, &s->stats);
  if (s->transport != NULL)
    {
      cb_smp_transport_remove_traffic_sink (s->transport, s);
      cb_smp_transport_set_line_sink (s->transport, NULL, NULL);
      g_signal_handlers_disconnect_matched (s->transport, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                            s);
    }
  g_clear_object (&s->driver);
  g_clear_object (&s->bench);
  g_clear_object (&s->transport);
  if (s->port != NULL)
    cb_serial_port_close (s->port);
  g_clear_object (&s->port);
}

static void
on_context_cancelled (GCancellable *context_cancellable,
                      GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

/* A profile switch or shutdown cancels the context's cancellable: runs stop with it. */
static void
follow_context (CbBenchSession *s,
                GCancellable   *context_cancellable)
{
  if (s->context_cancellable != NULL)
    g_cancellable_disconnect (s->context_cancellable, s->context_cancelled_id);
  s->context_cancelled_id = 0;
  g_clear_object (&s->context_cancellable);

  if (context_cancellable == NULL)
    return;
  s->context_cancellable = g_object_ref (context_cancellable);
  s->context_cancelled_id = g_cancellable_connect (context_cancellable,
                                                   G_CALLBACK (on_context_cancelled),
                                                   g_object_ref (s->cancellable), g_object_unref);
}

static void
cb_bench_session_dispose (GObject *object)
{
  CbBenchSession *s = CB_BENCH_SESSION (object);

  follow_context (s, NULL);

  if (s->cancellable != NULL)
    g_cancellable_cancel (s->cancellable);
  close_port (s);
  g_clear_object (&s->cancellable);
  g_clear_object (&s->run);
  g_clear_object (&s->result);
  g_clear_object (&s->info);

  G_OBJECT_CLASS (cb_bench_session_parent_class)->dispose (object);
}

static void
cb_bench_session_finalize (GObject *object)
{
  CbBenchSession *s = CB_BENCH_SESSION (object);

  g_free (s->path);
  g_free (s->message);

  g_free (s->driver_name);
  g_free (s->probed_driver);

  G_OBJECT_CLASS (cb_bench_session_parent_class)->finalize (object);
}

static void
cb_bench_session_class_init (CbBenchSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cb_bench_session_dispose;
  G_OBJECT_CLASS (klass)->finalize = cb_bench_session_finalize;

  /* A line of the port's protocol log: tag ("tx", "rx", "error", "device"), text. */
  session_signals[SIGNAL_LOG] =
    g_signal_new ("log", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
cb_bench_session_init (CbBenchSession *s)
{
}

CbBenchSession *
cb_bench_session_new (const char *path)
{
  CbBenchSession *s;

  g_return_val_if_fail (path != NULL, NULL);

  s = g_object_new (CB_TYPE_BENCH_SESSION, NULL);
  s->path = g_strdup (path);
  return s;
}

static void
emit_log (CbBenchSession *s,
          const char     *tag,
          const char     *text)
{
  g_signal_emit (s, session_signals[SIGNAL_LOG], 0, tag, text);
}

/* Whether anyone shows the port's log (the app's bench page does; a CLI station does not):
 * a line nobody reads is not formatted, at every packet of every device. */
static gboolean
wants_log (CbBenchSession *s)
{
  return g_signal_has_handler_pending (s, session_signals[SIGNAL_LOG], 0, FALSE);
}

/* ---- Protocol log ----------------------------------------------------------------------- */

static void
on_transport_traffic (CbSmpTransport     *transport,
                      const CbSmpTraffic *traffic,
                      gpointer            user_data)
{
  CbBenchSession *s = user_data;
  g_autofree char *text = NULL;
  const char *tag = traffic->direction == CB_SMP_DIRECTION_TX ? "tx" : "rx";

  if (!wants_log (s))
    return;
  text = cb_smp_traffic_to_string (traffic, cb_smp_transport_get_bench_group (transport));
  if (traffic->is_error || traffic->dropped)
    tag = "error";
  emit_log (s, tag, text);
}

static void
on_transport_log_line (CbSmpTransport *transport,
                       const char     *line,
                       gpointer        user_data)
{
  CbBenchSession *s = user_data;
  g_autofree char *text = NULL;

  if (!wants_log (s))
    return;
  text = g_strdup_printf (_("device: %s"), line);
  emit_log (s, "device", text);
}

static void
on_transport_frame_error (CbSmpTransport *transport,
                          guint           kind,
                          guint64         count,
                          CbBenchSession *s)
{
  /* Translators: a garbled frame; %s is "crc", "base64"... */
  g_autofree char *text = g_strdup_printf (_("Frame dropped: %s error (%u so far)"),
                                           cb_smp_frame_error_to_string (kind),
                                           (guint) MIN (count, G_MAXUINT));

  emit_log (s, "error", text);
}

static void
on_transport_retry (CbSmpTransport *transport,
                    guint           group,
                    guint           command,
                    guint           attempt,
                    CbBenchSession *s)
{
  g_autofree char *text = g_strdup_printf (_("No answer to %u/%u (attempt %u): sending again"),
                                           group, command, attempt);

  emit_log (s, "error", text);
}

/* An nRF91 modem's AT lines, shortened (cb_at_line_for_log). */
static void
on_at_traffic (CbAtChannel    *channel,
               gboolean        sent,
               const char     *line,
               CbBenchSession *s)
{
  g_autofree char *shown = NULL;
  g_autofree char *text = NULL;

  if (!wants_log (s))
    return;
  shown = cb_at_line_for_log (line);
  text = g_strdup_printf ("%s %s", sent ? "TX" : "RX", shown);
  emit_log (s, sent ? "tx" : "rx", text);
}

/* ---- Runs ------------------------------------------------------------------------------- */

void
cb_bench_session_reset (CbBenchSession *self)
{
  g_return_if_fail (CB_IS_BENCH_SESSION (self));

  g_clear_object (&self->result);
  g_clear_object (&self->run);
  g_clear_pointer (&self->message, g_free);
  memset (&self->stats, 0, sizeof self->stats);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

void
cb_bench_session_cancel (CbBenchSession *self)
{
  g_return_if_fail (CB_IS_BENCH_SESSION (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

gboolean
cb_bench_session_is_cancelled (CbBenchSession *self)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), FALSE);
  return g_cancellable_is_cancelled (self->cancellable);
}

void
cb_bench_session_fail (CbBenchSession *self,
                       const char     *message)
{
  g_return_if_fail (CB_IS_BENCH_SESSION (self));

  g_free (self->message);
  self->message = g_strdup (message);
  close_port (self);
}

static gboolean
is_auto (const char *name)
{
  return name == NULL || g_strcmp0 (name, CB_DEVICE_DRIVER_AUTO) == 0;
}

/* The driver @name ("smp" or NULL: the bench group, with its protocol log) on the open port,
 * and the run built on it. */
static gboolean
attach_driver (CbBenchSession        *self,
               CbProvisioningConfig  *config,
               const char            *name,
               GError               **error)
{
  if (!is_auto (name) && g_strcmp0 (name, "smp") != 0)
    {
      self->driver = cb_device_drivers_new_driver (name, self->port, error);
      if (self->driver == NULL)
        {
          close_port (self);
          return FALSE;
        }
      if (CB_IS_NRF91_DRIVER (self->driver))
        cb_nrf91_driver_set_sec_tag (CB_NRF91_DRIVER (self->driver),
                                     cb_provisioning_config_get_modem_sec_tag (config));
      if (CB_IS_NRF91_DRIVER (self->driver))
        g_signal_connect_object (cb_nrf91_modem_get_channel (
                                   cb_nrf91_driver_get_modem (CB_NRF91_DRIVER (self->driver))),
                                 "traffic", G_CALLBACK (on_at_traffic), self, 0);
      g_clear_object (&self->run);
      self->run = cb_provisioning_run_new_for_driver (config, self->driver, self->path);
      return TRUE;
    }

  self->transport = cb_smp_transport_new (self->port);
  /* A sink of the transport's: no `traffic` emission an exchange when nobody else listens. */
  if (!cb_smp_transport_add_traffic_sink (self->transport, on_transport_traffic, self))
    g_signal_connect (self->transport, "traffic", G_CALLBACK (on_transport_traffic), self);
  /* The line sink: no `log-line` emission a console line when nobody else listens. */
  cb_smp_transport_set_line_sink (self->transport, on_transport_log_line, self);
  g_signal_connect (self->transport, "frame-error", G_CALLBACK (on_transport_frame_error), self);
  g_signal_connect (self->transport, "retry", G_CALLBACK (on_transport_retry), self);
  self->bench = cb_bench_client_new (self->transport);
  self->driver = CB_DEVICE_DRIVER (cb_smp_driver_new (self->bench));

  g_clear_object (&self->run);
  self->run = cb_provisioning_run_new_for_driver (config, self->driver, self->path);
  return TRUE;
}

static gboolean
open_port (CbBenchSession  *self,
           GError         **error)
{
  g_clear_pointer (&self->probed_driver, g_free);
  close_port (self);
  self->port = cb_serial_port_open (self->path, CB_SERIAL_PORT_DEFAULT_BAUD, error);
  return self->port != NULL;
}

gboolean
cb_bench_session_open (CbBenchSession        *self,
                       CbProvisioningConfig  *config,
                       GError               **error)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);

  if (!open_port (self, error))
    return FALSE;
  return attach_driver (self, config, self->driver_name, error);
}

static void
open_probed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbBenchSession *self = g_task_get_source_object (task);
  CbProvisioningConfig *config = g_task_get_task_data (task);
  g_autofree char *name = NULL;
  g_autofree char *line = NULL;
  GError *error = NULL;

  name = cb_device_drivers_probe_finish (result, &error);
  if (name != NULL && !cb_device_drivers_is_available (name))
    {
      g_set_error (&error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE,
                   _("The device on %s answers as a %s, but the %s driver is not available in "
                     "this build of Certbench"),
                   self->path, cb_device_drivers_get_title (name), name);
      g_clear_pointer (&name, g_free);
    }
  if (name == NULL)
    {
      close_port (self);
      g_task_return_error (task, error);
      return;
    }

  if (wants_log (self))
    {
      /* Translators: log line; %s is a driver's title ("Nordic nRF91 modem (AT commands)") */
      line = g_strdup_printf (_("The device answered the probe as a %s"),
                              cb_device_drivers_get_title (name));
      emit_log (self, "station", line);
    }
  self->probed_driver = g_strdup (name);
  if (!attach_driver (self, config, name, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* The probe's answer (an SMP device's MCUmgr parameters) saves the driver asking again. */
  cb_device_drivers_probe_hand_over (result, self->driver);
  g_task_return_boolean (task, TRUE);
}

void
cb_bench_session_open_async (CbBenchSession        *self,
                             CbProvisioningConfig  *config,
                             GCancellable          *context_cancellable,
                             GAsyncReadyCallback    callback,
                             gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *line = NULL;
  GError *error = NULL;

  g_return_if_fail (CB_IS_BENCH_SESSION (self));
  g_return_if_fail (config != NULL);

  if (self->cancellable == NULL)
    self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_session_open_async);
  g_task_set_task_data (task, g_object_ref (config), g_object_unref);
  follow_context (self, context_cancellable);

  if (!open_port (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!is_auto (self->driver_name))
    {
      if (!attach_driver (self, config, self->driver_name, &error))
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  if (wants_log (self))
    {
      /* Translators: log line; %s is the port */
      line = g_strdup_printf (_("Asking the device on %s which driver it speaks: an SMP request "
                                "(MCUmgr parameters), then AT"), self->path);
      emit_log (self, "station", line);
    }
  cb_device_drivers_probe_async (self->port, 0, self->cancellable, open_probed_cb,
                                 g_steal_pointer (&task));
}

gboolean
cb_bench_session_open_finish (CbBenchSession  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbBenchSession *self = g_task_get_source_object (task);
  GError *error = NULL;
  CbRunResult *run_result;

  run_result = cb_provisioning_run_run_finish (CB_PROVISIONING_RUN (object), result, &error);
  close_port (self);
  follow_context (self, NULL);
  if (run_result == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_set_object (&self->result, run_result);
  g_task_return_pointer (task, run_result, g_object_unref);
}

void
cb_bench_session_run_async (CbBenchSession      *self,
                            GCancellable        *context_cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CB_IS_BENCH_SESSION (self));
  g_return_if_fail (self->run != NULL);

  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_bench_session_run_async);
  /* The run says itself that it was cancelled (a result, not an error). */
  g_task_set_check_cancellable (task, FALSE);
  follow_context (self, context_cancellable);
  cb_provisioning_run_run_async (self->run, self->cancellable, run_cb, task);
}

CbRunResult *
cb_bench_session_run_finish (CbBenchSession  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Accessors -------------------------------------------------------------------------- */

const char *
cb_bench_session_get_path (CbBenchSession *self)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), NULL);
  return self->path;
}

CbSerialPortInfo *
cb_bench_session_get_info (CbBenchSession *self)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), NULL);
  return self->info;
}

void
cb_bench_session_set_info (CbBenchSession   *self,
                           CbSerialPortInfo *info)
{
  g_return_if_fail (CB_IS_BENCH_SESSION (self));
  g_set_object (&self->info, info);
}

CbBenchSessionState
cb_bench_session_get_state (CbBenchSession *self)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), CB_BENCH_SESSION_IDLE);
  return self->state;
}

void
cb_bench_session_set_state (CbBenchSession      *self,
                            CbBenchSessionState  state)
{
  g_return_if_fail (CB_IS_BENCH_SESSION (self));
  self->state = state;
}

CbProvisioningRun *
cb_bench_session_get_run (CbBenchSession *self)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), NULL);
  return self->run;
}

CbRunResult *
cb_bench_session_get_result (CbBenchSession *self)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), NULL);
  return self->result;
}

void
cb_bench_session_clear_result (CbBenchSession *self)
{
  g_return_if_fail (CB_IS_BENCH_SESSION (self));
  g_clear_object (&self->result);
}

const char *
cb_bench_session_get_message (CbBenchSession *self)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), NULL);
  return self->message;
}

void
cb_bench_session_get_stats (CbBenchSession      *self,
                            CbSmpTransportStats *stats)
{
  g_return_if_fail (CB_IS_BENCH_SESSION (self));
  g_return_if_fail (stats != NULL);

  *stats = self->stats;
  if (self->transport != NULL)
    cb_smp_transport_get_stats (self->transport, stats);
}

void
cb_bench_session_set_driver_name (CbBenchSession *self,
                                  const char     *name)
{
  g_return_if_fail (CB_IS_BENCH_SESSION (self));
  g_free (self->driver_name);
  self->driver_name = g_strdup (name);
}

const char *
cb_bench_session_get_driver_name (CbBenchSession *self)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), NULL);
  return self->driver_name != NULL ? self->driver_name : CB_DEVICE_DRIVER_AUTO;
}

const char *
cb_bench_session_get_probed_driver (CbBenchSession *self)
{
  g_return_val_if_fail (CB_IS_BENCH_SESSION (self), NULL);
  return self->probed_driver;
}
