/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device-driver registry and the port probe (src/core/cb-device-drivers.c) against the
 * real certbench-devsim over ptys: an SMP bench device is named "smp", the simulated nRF91
 * modem "nrf91" (it answers AT), a pty where nothing answers gives a clear error once the
 * probe's time is up, and a pinned driver is used without a probe. Every probe leaves the port
 * clean: the driver's first exchange after it gets its own answer. */

#define _GNU_SOURCE 1
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cb-app-settings.h"
#include "cb-bench-session.h"
#include "cb-device-drivers.h"
#include "cb-bench-client.h"
#include "cb-protocol-log.h"
#include "cb-serial-port.h"
#include "cb-smp-driver.h"

#define PROBE_MS 400

typedef struct
{
  GSubprocess *process;
  char        *state_dir;
  char        *pty_path;
} Sim;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* A devsim of that personality; drop_rate > 0 makes it lose that fraction of the bytes in
 * both directions, from the random sequence of seed (the same bytes every time). */
static Sim *
sim_start_dropping (const char *personality,
                    double      drop_rate,
                    int         seed)
{
  Sim *sim = g_new0 (Sim, 1);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *devsim = g_getenv ("CERTBENCH_DEVSIM");

  g_assert_nonnull (devsim);
  sim->state_dir = g_dir_make_tmp ("cb-drivers-XXXXXX", &error);
  g_assert_no_error (error);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  if (drop_rate > 0)
    {
      char rate[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *seed_text = g_strdup_printf ("%d", seed);

      g_ascii_dtostr (rate, sizeof rate, drop_rate);
      sim->process = g_subprocess_launcher_spawn (launcher, &error, devsim, "--personality",
                                                  personality, "--state-dir", sim->state_dir,
                                                  "--drop-rate", rate, "--fault-seed", seed_text,
                                                  NULL);
    }
  else
    sim->process = g_subprocess_launcher_spawn (launcher, &error, devsim, "--personality",
                                                personality, "--state-dir", sim->state_dir, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PTY "));
  sim->pty_path = g_strdup (line + 4);
  return sim;
}

static Sim *
sim_start (const char *personality)
{
  return sim_start_dropping (personality, 0, 0);
}

static void
sim_free (Sim *sim)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_subprocess_send_signal (sim->process, SIGTERM);
  g_subprocess_wait (sim->process, NULL, NULL);
  g_object_unref (sim->process);
  dir = g_dir_open (sim->state_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (sim->state_dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (sim->state_dir);
  g_free (sim->state_dir);
  g_free (sim->pty_path);
  g_free (sim);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sim, sim_free)

static void
on_result (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static CbSerialPort *
open_port (const char *path)
{
  g_autoptr(GError) error = NULL;
  CbSerialPort *port = cb_serial_port_open (path, CB_SERIAL_PORT_DEFAULT_BAUD, &error);

  g_assert_no_error (error);
  return port;
}

static char *
probe (CbSerialPort  *port,
       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_device_drivers_probe_async (port, PROBE_MS, NULL, on_result, &result);
  return cb_device_drivers_probe_finish (wait_for (&result), error);
}

/* ---- Bytes on the port, for the AT modem after its probe ---- */

typedef struct
{
  GString *rx;
} Rx;

static void
on_bytes (CbSerialPort *port,
          GBytes       *bytes,
          Rx           *rx)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  g_string_append_len (rx->rx, data, len);
}

static void
test_probe_smp (void)
{
  g_autoptr(Sim) sim = sim_start ("smp");
  g_autoptr(CbSerialPort) port = open_port (sim->pty_path);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = probe (port, &error);
  g_autoptr(CbDeviceDriver) driver = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "smp");

  /* The port is clean: the driver's first command gets its own answer. */
  driver = cb_device_drivers_new_driver (name, port, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_device_driver_get_name (driver), ==, "smp");
  g_assert_cmpstr (cb_device_driver_get_port_path (driver), ==, sim->pty_path);
  cb_device_driver_identify_async (driver, NULL, on_result, &result);
  info = cb_device_driver_identify_finish (driver, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (cb_device_info_get_serial (info));
  g_assert_cmpstr (cb_device_info_get_fact (info, "serial"), ==, cb_device_info_get_serial (info));
  g_assert_cmpstr (cb_device_info_get_fact (info, "firmware"), ==, cb_device_info_get_firmware (info));
  cb_serial_port_close (port);
}

/* The probe's SMP request is the MCUmgr parameters the SMP driver needs anyway: opened with
 * "auto", the driver's identify asks only info (one exchange, where a probe of its own and
 * identify's two made three), its packet limit comes from the probe's answer, and the run's
 * protocol log says where the parameters came from. */
static void
on_traffic (CbSmpTransport     *transport,
            const CbSmpTraffic *traffic,
            GPtrArray          *sent)
{
  if (traffic->direction == CB_SMP_DIRECTION_TX)
    g_ptr_array_add (sent, g_strdup_printf ("%u/%u", traffic->group, traffic->command));
}

static void
test_probe_hands_over (void)
{
  g_autoptr(Sim) sim = sim_start ("smp");
  g_autoptr(CbSerialPort) port = open_port (sim->pty_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDeviceDriver) driver = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CbProtocolLog) log = cb_protocol_log_new ();
  g_autofree char *text = NULL;
  CbBenchClient *bench;
  guint buf_size = 0, buf_count = 0;

  cb_device_drivers_open_async (port, CB_DEVICE_DRIVER_AUTO, PROBE_MS, NULL, on_result, &opened);
  driver = cb_device_drivers_open_finish (wait_for (&opened), &error);
  g_assert_no_error (error);
  g_assert_true (CB_IS_SMP_DRIVER (driver));
  bench = cb_smp_driver_get_bench_client (CB_SMP_DRIVER (driver));
  g_assert_true (cb_bench_client_get_mcumgr_params (bench, &buf_size, &buf_count));
  g_assert_cmpuint (buf_size, ==, 1024);
  g_assert_cmpuint (buf_count, ==, 4);
  g_assert_cmpuint (cb_smp_transport_get_max_packet (cb_bench_client_get_transport (bench)), ==,
                    1024);

  cb_device_driver_attach_protocol_log (driver, log);
  g_signal_connect (cb_bench_client_get_transport (bench), "traffic", G_CALLBACK (on_traffic),
                    sent);
  cb_device_driver_identify_async (driver, NULL, on_result, &result);
  info = cb_device_driver_identify_finish (driver, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (cb_device_info_get_serial (info));
  /* info alone: group 64 (the bench group), command 0. */
  g_assert_cmpuint (sent->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (sent, 0), ==, "64/0");
  g_assert_cmpuint (cb_smp_transport_get_max_packet (cb_bench_client_get_transport (bench)), ==,
                    1024);
  cb_device_driver_detach_protocol_log (driver, log);
  text = cb_protocol_log_to_text (log);
  g_assert_nonnull (strstr (text, "MCUmgr parameters from the port probe: buf_size 1024, "
                                  "buf_count 4"));
  g_assert_null (strstr (text, "mcumgr_params"));
  cb_serial_port_close (port);
}

static void
test_probe_nrf91 (void)
{
  g_autoptr(Sim) sim = sim_start ("nrf91");
  g_autoptr(CbSerialPort) port = open_port (sim->pty_path);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = probe (port, &error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) at = g_bytes_new_static ("AT+CGMI\r", 8);
  g_autoptr(CbDeviceDriver) driver = NULL;
  Rx rx = { g_string_new (NULL) };
  gulong handler;

  /* The modem answers AT, not SMP: the nRF91 driver's row. */
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "nrf91");
  g_assert_cmpstr (cb_device_drivers_get_title (name), ==, "Nordic nRF91 modem (AT commands)");

  /* The port is clean: the next command's answer is the first thing that comes. */
  handler = g_signal_connect (port, "bytes-received", G_CALLBACK (on_bytes), &rx);
  cb_serial_port_write_async (port, at, NULL, on_result, &result);
  g_assert_true (cb_serial_port_write_finish (port, wait_for (&result), &error));
  g_assert_no_error (error);
  while (strstr (rx.rx->str, "OK\r\n") == NULL && strstr (rx.rx->str, "ERROR\r\n") == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (rx.rx->str, ==, "Nordic Semiconductor ASA\r\nOK\r\n");
  g_signal_handler_disconnect (port, handler);
  g_string_free (rx.rx, TRUE);

  /* Until the nRF91 driver lands, "auto" on the modem says what answered and what is missing. */
  if (!cb_device_drivers_is_available ("nrf91"))
    {
      g_autoptr(GAsyncResult) opened = NULL;

      cb_device_drivers_open_async (port, CB_DEVICE_DRIVER_AUTO, PROBE_MS, NULL, on_result,
                                    &opened);
      driver = cb_device_drivers_open_finish (wait_for (&opened), &error);
      g_assert_null (driver);
      g_assert_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE);
      g_assert_nonnull (strstr (error->message, "nRF91"));
      g_assert_nonnull (strstr (error->message, "not available"));
    }
  cb_serial_port_close (port);
}

/* A pty with nothing behind it: no driver answers, and the probe says so once its time is
 * up (each probe waits PROBE_MS at most; the test waits for the answer, not for a time). */
static void
test_probe_silent (void)
{
  int master = posix_openpt (O_RDWR | O_NOCTTY);
  g_autoptr(CbSerialPort) port = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  port = open_port (ptsname (master));

  name = probe (port, &error);
  g_assert_null (name);
  g_assert_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NO_DRIVER);
  g_assert_nonnull (strstr (error->message, "No device answered on"));
  g_assert_nonnull (strstr (error->message, "neither SMP nor AT"));
  g_assert_nonnull (strstr (error->message, ptsname (master)));

  cb_serial_port_close (port);
  close (master);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* A run's wait between polls (cb_device_driver_wait_async): the SMP driver's is its transport's
 * idle wait, the nRF91 driver's the interface's timer; either ends at its time, not before,
 * and at once when cancelled. */
static void
test_wait (void)
{
  static const char * const names[] = { "smp", "nrf91" };
  int master = posix_openpt (O_RDWR | O_NOCTTY);
  g_autoptr(CbSerialPort) port = NULL;

  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  port = open_port (ptsname (master));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(CbDeviceDriver) driver = NULL;
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();

      if (!cb_device_drivers_is_available (names[i]))
        continue;
      driver = cb_device_drivers_new_driver (names[i], port, &error);
      g_assert_no_error (error);

      cb_device_driver_wait_async (driver, start + 60 * 1000, NULL, on_result, &result);
      g_assert_true (cb_device_driver_wait_finish (driver, wait_for (&result), &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_get_monotonic_time () - start, >=, 60 * 1000);
      g_clear_object (&result);

      start = g_get_monotonic_time ();
      cb_device_driver_wait_async (driver, start + 5 * G_USEC_PER_SEC, cancellable, on_result,
                                   &result);
      g_timeout_add (20, cancel_cb, cancellable);
      g_assert_false (cb_device_driver_wait_finish (driver, wait_for (&result), &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
    }

  cb_serial_port_close (port);
  close (master);
}

/* A pinned driver is used as named, without a probe (so even on a silent port); "nrf91" is
 * refused clearly while its driver is not in this build; an unknown name is refused. */
static void
test_pinned (void)
{
  int master = posix_openpt (O_RDWR | O_NOCTTY);
  g_autoptr(CbSerialPort) port = NULL;
  g_autoptr(CbDeviceDriver) driver = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  port = open_port (ptsname (master));

  cb_device_drivers_open_async (port, "smp", PROBE_MS, NULL, on_result, &result);
  driver = cb_device_drivers_open_finish (wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_device_driver_get_name (driver), ==, "smp");
  g_assert_true (cb_device_driver_has_capability (driver, CB_DEVICE_CAP_PROVE_POSSESSION));
  g_assert_null (cb_device_driver_dup_missing_reason (driver, CB_DEVICE_CAP_READ_BACK_CHAIN));
  g_clear_object (&driver);
  g_clear_object (&result);

  if (!cb_device_drivers_is_available ("nrf91"))
    {
      cb_device_drivers_open_async (port, "nrf91", PROBE_MS, NULL, on_result, &result);
      driver = cb_device_drivers_open_finish (wait_for (&result), &error);
      g_assert_null (driver);
      g_assert_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE);
      g_assert_nonnull (strstr (error->message, "not available"));
      g_clear_error (&error);
      g_clear_object (&result);
    }

  g_assert_true (cb_device_drivers_is_known ("auto"));
  g_assert_true (cb_device_drivers_is_known ("nrf91"));
  g_assert_false (cb_device_drivers_is_known ("modbus"));
  driver = cb_device_drivers_new_driver ("modbus", port, &error);
  g_assert_null (driver);
  g_assert_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "modbus"));

  cb_serial_port_close (port);
  close (master);
}

/* A port of the station with a driver pinned: its session opens that driver, and one that is
 * not in this build keeps the session from starting, with the reason. */
static void
test_session_pinned (void)
{
  g_autoptr(Sim) sim = sim_start ("smp");
  g_autoptr(CbBenchSession) session = cb_bench_session_new (sim->pty_path);
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(CbProfile) profile = cb_profile_new ("test", "Test", CB_PROFILE_KIND_SANDBOX);
  g_autoptr(GError) error = NULL;

  config = cb_provisioning_config_new (profile);
  g_assert_cmpstr (cb_bench_session_get_driver_name (session), ==, "auto");
  g_assert_true (cb_bench_session_open (session, config, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cb_device_driver_get_name (cb_provisioning_run_get_driver (cb_bench_session_get_run (session))),
                   ==, "smp");
  cb_bench_session_fail (session, "test over");

  if (!cb_device_drivers_is_available ("nrf91"))
    {
      cb_bench_session_set_driver_name (session, "nrf91");
      g_assert_cmpstr (cb_bench_session_get_driver_name (session), ==, "nrf91");
      g_assert_false (cb_bench_session_open (session, config, &error));
      g_assert_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE);
      g_assert_nonnull (strstr (error->message, "not available"));
    }
}

/* One frame lost on the line must not hide a device: each probe is sent a second time within
 * its time. The devsim drops bytes at random from a fixed seed (so the same bytes every run):
 * these seeds lose a byte of the first SMP exchange (MCUmgr parameters; or the first AT
 * exchange, on the modem) and none of the second. Without the resend the probe finds nothing, or the wrong
 * driver. */
typedef struct
{
  const char *personality;
  double      drop_rate;
  int         seed;
} DropCase;

static const DropCase drop_cases[] = {
  { "smp", 0.01, 5 },
  { "nrf91", 0.05, 4 },
};

static void
test_probe_drops (gconstpointer data)
{
  const DropCase *c = data;
  const char *seed_env = g_getenv ("CB_TEST_DROP_SEED");   /* to look for another seed */
  g_autoptr(Sim) sim = sim_start_dropping (c->personality, c->drop_rate,
                                           seed_env != NULL ? atoi (seed_env) : c->seed);
  g_autoptr(CbSerialPort) port = open_port (sim->pty_path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  cb_device_drivers_probe_async (port, 0, NULL, on_result, &result);
  name = cb_device_drivers_probe_finish (wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, c->personality);
  cb_serial_port_close (port);
}

/* The station's session on a port set to "auto" probes it without blocking, says in its log
 * what answered and opens that driver: the bench group on an SMP device (with its protocol
 * log), the nRF91 driver on the modem; on a silent port it fails with what to check and
 * leaves the port closed. */
typedef struct
{
  GPtrArray *lines;
} Log;

static void
on_log (CbBenchSession *session,
        const char     *tag,
        const char     *text,
        Log            *log)
{
  g_ptr_array_add (log->lines, g_strdup (text));
}

static gboolean
log_has (Log        *log,
         const char *part)
{
  for (guint i = 0; i < log->lines->len; i++)
    if (strstr (g_ptr_array_index (log->lines, i), part) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_session_probes (void)
{
  static const char * const personalities[] = { "smp", "nrf91" };
  g_autoptr(CbProfile) profile = cb_profile_new ("test", "Test", CB_PROFILE_KIND_SANDBOX);
  g_autoptr(CbProvisioningConfig) config = cb_provisioning_config_new (profile);

  for (guint i = 0; i < G_N_ELEMENTS (personalities); i++)
    {
      g_autoptr(Sim) sim = sim_start (personalities[i]);
      g_autoptr(CbBenchSession) session = cb_bench_session_new (sim->pty_path);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      Log log = { g_ptr_array_new_with_free_func (g_free) };

      g_signal_connect (session, "log", G_CALLBACK (on_log), &log);
      cb_bench_session_reset (session);
      cb_bench_session_open_async (session, config, NULL, on_result, &result);
      /* Not answered yet: the probe needs the main loop. */
      g_assert_null (result);
      g_assert_true (cb_bench_session_open_finish (session, wait_for (&result), &error));
      g_assert_no_error (error);
      g_assert_cmpstr (cb_bench_session_get_probed_driver (session), ==, personalities[i]);
      g_assert_cmpstr (cb_device_driver_get_name (cb_provisioning_run_get_driver (cb_bench_session_get_run (session))),
                       ==, personalities[i]);
      g_assert_true (log_has (&log, "which driver it speaks"));
      /* The probe's answer went to the SMP driver: its identify asks info only. */
      if (g_strcmp0 (personalities[i], "smp") == 0)
        {
          CbProvisioningRun *run = cb_bench_session_get_run (session);
          CbDeviceDriver *driver = cb_provisioning_run_get_driver (run);

          g_assert_true (cb_bench_client_get_mcumgr_params (
                           cb_smp_driver_get_bench_client (CB_SMP_DRIVER (driver)), NULL, NULL));
        }
      g_assert_true (log_has (&log, cb_device_drivers_get_title (personalities[i])));
      cb_bench_session_fail (session, "test over");
      g_ptr_array_unref (log.lines);
    }

  /* Nothing behind the pty. */
  {
    int master = posix_openpt (O_RDWR | O_NOCTTY);
    g_autoptr(CbBenchSession) session = NULL;
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint (master, >=, 0);
    g_assert_cmpint (grantpt (master), ==, 0);
    g_assert_cmpint (unlockpt (master), ==, 0);
    session = cb_bench_session_new (ptsname (master));
    cb_bench_session_reset (session);
    cb_bench_session_open_async (session, config, NULL, on_result, &result);
    g_assert_false (cb_bench_session_open_finish (session, wait_for (&result), &error));
    g_assert_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NO_DRIVER);
    g_assert_nonnull (strstr (error->message, "No device answered on"));
    g_assert_nonnull (strstr (error->message, "neither SMP nor AT"));
    g_assert_nonnull (strstr (error->message, "Check that"));
    g_assert_null (cb_bench_session_get_probed_driver (session));
    g_assert_null (cb_bench_session_get_run (session));
    close (master);
  }

  /* A pinned driver is opened without a probe. */
  {
    g_autoptr(Sim) sim = sim_start ("nrf91");
    g_autoptr(CbBenchSession) session = cb_bench_session_new (sim->pty_path);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    cb_bench_session_set_driver_name (session, "nrf91");
    cb_bench_session_reset (session);
    cb_bench_session_open_async (session, config, NULL, on_result, &result);
    g_assert_true (cb_bench_session_open_finish (session, wait_for (&result), &error));
    g_assert_no_error (error);
    g_assert_null (cb_bench_session_get_probed_driver (session));
    g_assert_cmpstr (cb_device_driver_get_name (cb_provisioning_run_get_driver (cb_bench_session_get_run (session))),
                     ==, "nrf91");
    cb_bench_session_fail (session, "test over");
  }
}

/* The operator's pin per port path, kept in the settings ("port-drivers"). */
static void
test_settings_pin (void)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = cb_app_settings_dup_port_driver ("/dev/ttyACM7");

  g_assert_cmpstr (before, ==, "auto");
  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "io.github.certbench.Certbench", TRUE);
  if (schema == NULL)
    {
      /* Built without the app: no schema, so nothing is pinned and a pin is refused. */
      g_assert_false (cb_app_settings_set_port_driver ("/dev/ttyACM7", "smp", &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
      return;
    }

  g_assert_true (cb_app_settings_set_port_driver ("/dev/ttyACM7", "nrf91", &error));
  g_assert_no_error (error);
  g_assert_true (cb_app_settings_set_port_driver ("/dev/ttyACM8", "smp", &error));
  {
    g_autofree char *a = cb_app_settings_dup_port_driver ("/dev/ttyACM7");
    g_autofree char *b = cb_app_settings_dup_port_driver ("/dev/ttyACM8");
    g_autofree char *c = cb_app_settings_dup_port_driver ("/dev/ttyACM9");

    g_assert_cmpstr (a, ==, "nrf91");
    g_assert_cmpstr (b, ==, "smp");
    g_assert_cmpstr (c, ==, "auto");
  }
  /* An unknown name is refused and changes nothing; "auto" unpins. */
  g_assert_false (cb_app_settings_set_port_driver ("/dev/ttyACM7", "modbus", &error));
  g_assert_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_true (cb_app_settings_set_port_driver ("/dev/ttyACM7", "auto", &error));
  {
    g_autofree char *a = cb_app_settings_dup_port_driver ("/dev/ttyACM7");
    g_autofree char *b = cb_app_settings_dup_port_driver ("/dev/ttyACM8");

    g_assert_cmpstr (a, ==, "auto");
    g_assert_cmpstr (b, ==, "smp");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/device-drivers/probe/smp", test_probe_smp);
  g_test_add_func ("/cb/device-drivers/probe/hands-over", test_probe_hands_over);
  g_test_add_func ("/cb/device-drivers/probe/nrf91", test_probe_nrf91);
  g_test_add_func ("/cb/device-drivers/probe/silent", test_probe_silent);
  g_test_add_func ("/cb/device-drivers/pinned", test_pinned);
  g_test_add_func ("/cb/device-drivers/wait", test_wait);
  g_test_add_func ("/cb/device-drivers/session-pinned", test_session_pinned);
  g_test_add_func ("/cb/device-drivers/settings-pin", test_settings_pin);
  g_test_add_data_func ("/cb/device-drivers/probe/smp-drops", &drop_cases[0], test_probe_drops);
  g_test_add_data_func ("/cb/device-drivers/probe/nrf91-drops", &drop_cases[1], test_probe_drops);
  g_test_add_func ("/cb/device-drivers/session-probes", test_session_probes);

  return g_test_run ();
}
