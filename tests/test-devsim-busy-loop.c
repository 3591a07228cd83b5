/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The devsim host sharing its main loop with a busy GTK app, as the app's Virtual device does:
 * a source at GDK's redraw priority that always has a frame due (the GL renderer on llvmpipe
 * drawing a spinner) must not keep the device's answers from the station. */
#include "config.h"

#include "cb-test-sandbox.h"

#include "cb-bench-client.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"
#include "cbd-host.h"

/* GDK_PRIORITY_REDRAW: the frame clock's layout and paint. */
#define REDRAW_PRIORITY (G_PRIORITY_HIGH_IDLE + 20)

typedef struct
{
  GSource source;
  guint   frames;
} FrameSource;

static gboolean
frame_prepare (GSource *source,
               gint    *timeout)
{
  *timeout = 0;
  return TRUE;   /* a frame is always due: rendering one takes longer than a frame lasts */
}

static gboolean
frame_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  FrameSource *frames = (FrameSource *) source;

  frames->frames++;
  g_usleep (8000);   /* llvmpipe drawing the window */
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs frame_funcs = { frame_prepare, NULL, frame_dispatch, NULL, NULL, NULL };

typedef struct
{
  CbDeviceInfo *info;
  GError       *error;
  gboolean      done;
} Identify;

static void
identify_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Identify *id = user_data;

  id->info = cb_bench_client_identify_finish (CB_BENCH_CLIENT (object), result, &id->error);
  id->done = TRUE;
}

static gboolean
flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_answers_while_redrawing (void)
{
  g_autofree char *state_dir = g_dir_make_tmp ("cb-devsim-busy-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSerialPort) port = NULL;
  g_autoptr(CbSmpTransport) transport = NULL;
  g_autoptr(CbBenchClient) client = NULL;
  CbdOptions opts = { 0 };
  CbdHost *host;
  GSource *redraw;
  Identify id = { 0 };
  gboolean idle_ran = FALSE, warm = FALSE;
  guint idle_id;
  gint64 start, elapsed;

  opts.state_dir = state_dir;
  opts.model = (char *) "certbench-virtual";
  opts.no_network = TRUE;
  host = cbd_host_new (&opts, &error);
  g_assert_no_error (error);

  redraw = g_source_new (&frame_funcs, sizeof (FrameSource));
  g_source_set_priority (redraw, REDRAW_PRIORITY);
  g_source_set_static_name (redraw, "[test redraw]");
  g_source_attach (redraw, NULL);

  port = cb_serial_port_open (cbd_host_get_pty_path (host), CB_SERIAL_PORT_DEFAULT_BAUD, &error);
  g_assert_no_error (error);
  transport = cb_smp_transport_new (port);
  client = cb_bench_client_new (transport);

  /* The setup is real: while frames are due, an idle never runs. */
  idle_id = g_idle_add (flag_cb, &idle_ran);
  g_timeout_add (100, flag_cb, &warm);
  while (!warm)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (idle_ran);
  g_assert_cmpuint (((FrameSource *) redraw)->frames, >, 0);

  start = g_get_monotonic_time ();
  cb_bench_client_identify_async (client, NULL, identify_cb, &id);
  while (!id.done)
    g_main_context_iteration (NULL, TRUE);
  elapsed = (g_get_monotonic_time () - start) / 1000;

  /* Each answer is due at once: no retry (2 s each) may have been needed. */
  g_assert_no_error (id.error);
  g_assert_nonnull (id.info);
  g_test_message ("identified in %" G_GINT64_FORMAT " ms while %u frames were drawn",
                  elapsed, ((FrameSource *) redraw)->frames);
  g_assert_cmpint (elapsed, <, 1500);
  g_assert_false (idle_ran);
  g_source_remove (idle_id);

  g_source_destroy (redraw);
  g_source_unref (redraw);
  g_clear_object (&id.info);
  g_clear_object (&client);
  g_clear_object (&transport);
  cb_serial_port_close (port);
  cbd_host_free (host);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  cb_test_remove_tree (state_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cb/devsim/answers-while-redrawing", test_answers_while_redrawing);
  return g_test_run ();
}
