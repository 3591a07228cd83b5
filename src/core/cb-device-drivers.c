/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-driver"

/* The registry of device drivers, one row each, and the port probe: the SMP OS group's MCUmgr
 * parameters (any SMP server answers, with the parameters or with rc 8; the SMP driver's
 * identify needs them, so the answer is handed to it), then `AT\r` (an AT modem answers `OK`),
 * each with a short deadline, the device's answer read to its end so the port is left clean
 * for the driver. */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cbp-smp.h"

#include "cb-bench-client.h"
#include "cb-device-drivers.h"
#include "cb-nrf91-driver.h"
#include "cb-smp-driver.h"
#include "cb-smp-transport.h"

/* How long the line must stay quiet after the AT probe's OK. */
#define AT_SETTLE_MS 50

typedef enum
{
  PROBE_SMP,
  PROBE_AT,
} ProbeKind;

typedef struct
{
  const char      *name;
  const char      *title;      /* N_() */
  ProbeKind        probe;
  CbDeviceDriver *(*new_driver) (CbSerialPort *port);
} DriverRow;

static CbDeviceDriver *
new_smp_driver (CbSerialPort *port)
{
  g_autoptr(CbSmpTransport) transport = cb_smp_transport_new (port);
  g_autoptr(CbBenchClient) bench = cb_bench_client_new (transport);

  return CB_DEVICE_DRIVER (cb_smp_driver_new (bench));
}

/* The table. The nRF91 driver (issue 15 item 2) sets its constructor when it lands. */
static const DriverRow drivers[] = {
  { "smp", N_("Certbench bench device (SMP)"), PROBE_SMP, new_smp_driver },
  { "nrf91", N_("Nordic nRF91 modem (AT commands)"), PROBE_AT, cb_nrf91_driver_new_on_port },
};

static const DriverRow *
find_row (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (drivers); i++)
    if (g_strcmp0 (drivers[i].name, name) == 0)
      return &drivers[i];
  return NULL;
}

static const DriverRow *
find_row_for_probe (ProbeKind probe)
{
  for (guint i = 0; i < G_N_ELEMENTS (drivers); i++)
    if (drivers[i].probe == probe)
      return &drivers[i];
  return NULL;
}

const char * const *
cb_device_drivers_list_names (void)
{
  static const char *names[G_N_ELEMENTS (drivers) + 2];

  if (names[0] == NULL)
    {
      names[0] = CB_DEVICE_DRIVER_AUTO;
      for (guint i = 0; i < G_N_ELEMENTS (drivers); i++)
        names[i + 1] = drivers[i].name;
    }
  return names;
}

gboolean
cb_device_drivers_is_known (const char *name)
{
  return g_strcmp0 (name, CB_DEVICE_DRIVER_AUTO) == 0 || find_row (name) != NULL;
}

gboolean
cb_device_drivers_is_available (const char *name)
{
  const DriverRow *row = find_row (name);

  return row != NULL && row->new_driver != NULL;
}

const char *
cb_device_drivers_get_title (const char *name)
{
  const DriverRow *row = find_row (name);

  return row != NULL ? _(row->title) : NULL;
}

static gboolean
set_unavailable (const char  *name,
                 GError     **error)
{
  const DriverRow *row = find_row (name);

  if (row == NULL)
    g_set_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE,
                 _("There is no device driver “%s” (use one of: auto, smp, nrf91)"), name);
  else
    g_set_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE,
                 _("The %s driver (%s) is not available in this build of Certbench"),
                 row->name, _(row->title));
  return FALSE;
}

CbDeviceDriver *
cb_device_drivers_new_driver (const char    *name,
                              CbSerialPort  *port,
                              GError       **error)
{
  const DriverRow *row = find_row (name);

  g_return_val_if_fail (CB_IS_SERIAL_PORT (port), NULL);

  if (row == NULL || row->new_driver == NULL)
    {
      set_unavailable (name, error);
      return NULL;
    }
  return row->new_driver (port);
}

/* ---- The probe ---------------------------------------------------------------------------- */

typedef struct
{
  CbSerialPort   *port;
  guint           timeout_ms;
  CbSmpTransport *transport;
  CbBenchClient  *bench;
  GString        *at_answer;
  gulong          bytes_handler;
  gulong          disconnect_handler;
  GSource        *deadline;
  GSource        *settle;
  GSource        *resend;
  gint64          settle_limit;  /* a chatty device does not keep the probe waiting */
  gboolean        at_done;
  /* What the SMP device answered to mcumgr_params (buf_size 0: it lacks the command) */
  gboolean        params_known;
  guint           buf_size;
  guint           buf_count;
} Probe;

static void
probe_stop_at (Probe *probe)
{
  g_clear_signal_handler (&probe->bytes_handler, probe->port);
  g_clear_signal_handler (&probe->disconnect_handler, probe->port);
  if (probe->deadline != NULL)
    {
      g_source_destroy (probe->deadline);
      g_clear_pointer (&probe->deadline, g_source_unref);
    }
  if (probe->settle != NULL)
    {
      if (g_get_monotonic_time () > probe->settle_limit)
        return;
      g_source_destroy (probe->settle);
      g_clear_pointer (&probe->settle, g_source_unref);
    }
  if (probe->resend != NULL)
    {
      g_source_destroy (probe->resend);
      g_clear_pointer (&probe->resend, g_source_unref);
    }
}

static void
probe_free (Probe *probe)
{
  probe_stop_at (probe);
  g_clear_object (&probe->bench);
  g_clear_object (&probe->transport);
  g_clear_object (&probe->port);
  if (probe->at_answer != NULL)
    g_string_free (probe->at_answer, TRUE);
  g_free (probe);
}

static void
probe_return_name (GTask     *task,
                   ProbeKind  kind)
{
  g_task_return_pointer (task, g_strdup (find_row_for_probe (kind)->name), g_free);
}

/* Whether the AT answer so far holds an `OK` line (echo and URCs may come before it). */
static gboolean
at_answer_has_ok (GString *answer)
{
  g_auto(GStrv) lines = g_strsplit_set (answer->str, "\r\n", -1);

  /* The last piece may be a line still arriving. */
  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    if (g_strcmp0 (g_strstrip (lines[i]), "OK") == 0)
      return TRUE;
  return FALSE;
}

static gboolean
at_settled_cb (gpointer user_data)
{
  GTask *task = user_data;
  Probe *probe = g_task_get_task_data (task);

  g_clear_pointer (&probe->settle, g_source_unref);
  probe->at_done = TRUE;
  probe_stop_at (probe);
  probe_return_name (task, PROBE_AT);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
probe_settle (GTask *task)
{
  Probe *probe = g_task_get_task_data (task);

  probe->settle = g_timeout_source_new (AT_SETTLE_MS);
  g_source_set_callback (probe->settle, at_settled_cb, task, NULL);
  g_source_attach (probe->settle, g_task_get_context (task));
}

static void
at_bytes_cb (CbSerialPort *port,
             GBytes       *bytes,
             gpointer      user_data)
{
  GTask *task = user_data;
  Probe *probe = g_task_get_task_data (task);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  if (probe->at_done)
    return;
  /* OK came: more bytes (a URC, the answer to the resent AT) restart the quiet wait. */
  if (probe->settle != NULL)
    {
      if (g_get_monotonic_time () > probe->settle_limit)
        return;
      g_source_destroy (probe->settle);
      g_clear_pointer (&probe->settle, g_source_unref);
      probe_settle (task);
      return;
    }
  /* Bounded: a chatty device does not grow the buffer without end. */
  if (probe->at_answer->len < 4096)
    g_string_append_len (probe->at_answer, data, len);
  if (!at_answer_has_ok (probe->at_answer))
    return;

  /* OK came: wait until the line is quiet a moment (a URC, or the OK of a resent AT, may
   * follow), so the driver starts clean. */
  if (probe->deadline != NULL)
    {
      g_source_destroy (probe->deadline);
      g_clear_pointer (&probe->deadline, g_source_unref);
    }
  if (probe->resend != NULL)
    {
      g_source_destroy (probe->resend);
      g_clear_pointer (&probe->resend, g_source_unref);
    }
  probe->settle_limit = g_get_monotonic_time () + 10 * AT_SETTLE_MS * G_TIME_SPAN_MILLISECOND;
  probe_settle (task);
}

static void
at_disconnected_cb (CbSerialPort *port,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Probe *probe = g_task_get_task_data (task);

  if (probe->at_done)
    return;
  probe->at_done = TRUE;
  probe_stop_at (probe);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                           _("%s went away while it was probed"), cb_serial_port_get_path (port));
  g_object_unref (task);
}

static gboolean
at_deadline_cb (gpointer user_data)
{
  GTask *task = user_data;
  Probe *probe = g_task_get_task_data (task);

  g_clear_pointer (&probe->deadline, g_source_unref);
  probe->at_done = TRUE;
  probe_stop_at (probe);
  g_task_return_new_error (task, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NO_DRIVER,
                           _("No device answered on %s: neither SMP nor AT (no answer to an SMP "
                             "request nor to AT within %u ms each, each sent twice). Check that "
                             "the device is powered on, that its cable is on this port, that "
                             "it runs at %u baud and that no other program has the port open"),
                           cb_serial_port_get_path (probe->port), probe->timeout_ms,
                           cb_serial_port_get_baud_rate (probe->port));
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
at_written_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Probe *probe = g_task_get_task_data (task);
  GError *error = NULL;

  if (!cb_serial_port_write_finish (CB_SERIAL_PORT (object), result, &error))
    {
      if (!probe->at_done)
        {
          probe->at_done = TRUE;
          probe_stop_at (probe);
          g_task_return_error (task, error);
          g_object_unref (task);   /* the handlers' reference */
        }
      else
        g_error_free (error);
    }
}

/* Half the probe's time went by without an OK: the command or its answer may have lost a
 * byte on the line. Sent once more; the CR first ends whatever partial line the modem holds
 * (a modem drops an empty line). */
static gboolean
at_resend_cb (gpointer user_data)
{
  GTask *task = user_data;
  Probe *probe = g_task_get_task_data (task);
  g_autoptr(GBytes) command = g_bytes_new_static ("\rAT\r", 4);

  g_clear_pointer (&probe->resend, g_source_unref);
  g_debug ("%s: no OK to AT yet; sending it once more", cb_serial_port_get_path (probe->port));
  cb_serial_port_write_async (probe->port, command, NULL, at_written_cb, g_object_ref (task));
  return G_SOURCE_REMOVE;
}

static void
probe_at (GTask *task)
{
  Probe *probe = g_task_get_task_data (task);
  g_autoptr(GBytes) command = g_bytes_new_static ("AT\r", 3);

  probe->at_answer = g_string_new (NULL);
  /* One reference for the handlers and timers, dropped by whichever ends the probe. */
  g_object_ref (task);
  probe->bytes_handler = g_signal_connect (probe->port, "bytes-received",
                                           G_CALLBACK (at_bytes_cb), task);
  probe->disconnect_handler = g_signal_connect (probe->port, "disconnected",
                                                G_CALLBACK (at_disconnected_cb), task);
  probe->deadline = g_timeout_source_new (probe->timeout_ms);
  g_source_set_callback (probe->deadline, at_deadline_cb, task, NULL);
  g_source_attach (probe->deadline, g_task_get_context (task));
  probe->resend = g_timeout_source_new (probe->timeout_ms / 2);
  g_source_set_callback (probe->resend, at_resend_cb, task, NULL);
  g_source_attach (probe->resend, g_task_get_context (task));
  cb_serial_port_write_async (probe->port, command, NULL, at_written_cb, g_object_ref (task));
}

static void
smp_params_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Probe *probe = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean answered;

  answered = cb_bench_client_mcumgr_params_finish (CB_BENCH_CLIENT (object), result,
                                                   &probe->buf_size, &probe->buf_count, &error);
  /* The transport is done with the port: nothing of it stays attached. */
  g_clear_object (&probe->bench);
  g_clear_object (&probe->transport);

  /* Any SMP answer, even an error code, is an SMP device. Its parameters go to the driver; so
   * does "not supported" (rc 8: the driver would only be told the same again). */
  if (answered || (error->domain == CB_SMP_ERROR && error->code != CB_SMP_ERROR_TIMEOUT &&
                   error->code != CB_SMP_ERROR_PROTOCOL))
    {
      if (answered)
        probe->params_known = TRUE;
      else if (g_error_matches (error, CB_SMP_ERROR, CB_SMP_ERROR_GENERIC_RC) &&
               cb_smp_error_get_rc (error) == CBP_SMP_RC_NOT_SUPPORTED)
        {
          probe->params_known = TRUE;
          probe->buf_size = probe->buf_count = 0;
        }
      probe_return_name (task, PROBE_SMP);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      (error->domain == G_IO_ERROR && !cb_serial_port_is_open (probe->port)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("%s: no SMP answer (%s); trying AT", cb_serial_port_get_path (probe->port),
           error->message);
  probe_at (task);
}

void
cb_device_drivers_probe_async (CbSerialPort        *port,
                               guint                timeout_ms,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Probe *probe;

  g_return_if_fail (CB_IS_SERIAL_PORT (port));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_device_drivers_probe_async);
  probe = g_new0 (Probe, 1);
  probe->port = g_object_ref (port);
  probe->timeout_ms = timeout_ms != 0 ? timeout_ms : CB_DEVICE_PROBE_TIMEOUT_MS;
  g_task_set_task_data (task, probe, (GDestroyNotify) probe_free);

  /* One request, sent again once if its frame or the answer's was lost on the line, both
   * within the probe's time: half of it each (the schema gives mcumgr_params 2 s). The request
   * is one the SMP driver makes anyway, so the probe costs the device no exchange of its own. */
  probe->transport = cb_smp_transport_new (port);
  cb_smp_transport_set_max_retries (probe->transport, 1);
  cb_smp_transport_set_timeout_scale (probe->transport, probe->timeout_ms / 2.0 / 2000.0);
  probe->bench = cb_bench_client_new (probe->transport);
  cb_bench_client_mcumgr_params_async (probe->bench, cancellable, smp_params_cb,
                                       g_steal_pointer (&task));
}

char *
cb_device_drivers_probe_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cb_device_drivers_probe_hand_over (GAsyncResult   *result,
                                   CbDeviceDriver *driver)
{
  Probe *probe;

  g_return_if_fail (g_task_is_valid (result, NULL));
  g_return_if_fail (g_task_get_source_tag (G_TASK (result)) == cb_device_drivers_probe_async);
  g_return_if_fail (CB_IS_DEVICE_DRIVER (driver));

  probe = g_task_get_task_data (G_TASK (result));
  if (probe->params_known && CB_IS_SMP_DRIVER (driver))
    cb_bench_client_set_mcumgr_params (cb_smp_driver_get_bench_client (CB_SMP_DRIVER (driver)),
                                       probe->buf_size, probe->buf_count);
}

/* ---- Open: pinned or probed --------------------------------------------------------------- */

static void
open_probed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbSerialPort *port = g_task_get_task_data (task);
  g_autofree char *name = NULL;
  GError *error = NULL;
  CbDeviceDriver *driver;

  name = cb_device_drivers_probe_finish (result, &error);
  if (name == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!cb_device_drivers_is_available (name))
    {
      g_task_return_new_error (task, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE,
                               _("The device on %s answers as a %s, but the %s driver is not "
                                 "available in this build of Certbench"),
                               cb_serial_port_get_path (port), cb_device_drivers_get_title (name),
                               name);
      return;
    }

  driver = cb_device_drivers_new_driver (name, port, &error);
  if (driver == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  cb_device_drivers_probe_hand_over (result, driver);
  g_task_return_pointer (task, driver, g_object_unref);
}

void
cb_device_drivers_open_async (CbSerialPort        *port,
                              const char          *name,
                              guint                timeout_ms,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  CbDeviceDriver *driver;

  g_return_if_fail (CB_IS_SERIAL_PORT (port));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_device_drivers_open_async);
  g_task_set_task_data (task, g_object_ref (port), g_object_unref);

  if (name == NULL || g_strcmp0 (name, CB_DEVICE_DRIVER_AUTO) == 0)
    {
      cb_device_drivers_probe_async (port, timeout_ms, cancellable, open_probed_cb,
                                     g_steal_pointer (&task));
      return;
    }

  driver = cb_device_drivers_new_driver (name, port, &error);
  if (driver == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, driver, g_object_unref);
}

CbDeviceDriver *
cb_device_drivers_open_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
