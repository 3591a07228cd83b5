/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cbd-pty"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cbd-at-modem.h"
#include "cbd-host.h"
#include "cbd-onboarding.h"

/* The pty transport: the devsim owns the master side, the station opens the slave by path.
 * Output goes through a queue so that pacing, faults, stalls and the unplug can act on the
 * byte stream the station sees. */

struct _CbdHost
{
  CbdOptions    opts;
  CbdStorage    storage;
  CbdDps       *dps;
  CbdHub       *hub;
  cbd_device   *device;
  CbdAtModem   *modem;        /* instead of device with the nrf91 personality */
  cbd_platform  platform;
  char         *onboarding_id; /* the CN of the onboarding certificate, or NULL */

  int           master;
  int           slave;        /* kept open so the master never sees a hangup */
  char         *pty_path;

  GMainLoop    *loop;
  guint         in_watch;
  guint         flush_source;
  guint         chatter_source;
  guint         stall_source;
  guint         tick_source;

  GByteArray   *out;
  GRand        *rand;
  gint64        sent;
  gint64        received;
  gboolean      stalled;
  gboolean      stalled_once;
  gint64        last_tick_us;
  double        tokens;
  gboolean      unplugged;
  int           exit_status;
};

static void schedule_flush (CbdHost *host, guint delay_ms);
static gboolean on_input (int fd, GIOCondition condition, gpointer user_data);

/* ---- faults on a byte stream ---- */

static void
apply_faults (CbdHost *host, const guint8 *data, gsize len, GByteArray *into)
{
  gsize i;

  for (i = 0; i < len; i++)
    {
      guint8 c = data[i];

      if (host->opts.drop_rate > 0 && g_rand_double (host->rand) < host->opts.drop_rate)
        continue;
      if (host->opts.flip_rate > 0 && g_rand_double (host->rand) < host->opts.flip_rate)
        c ^= (guint8) (1u << g_rand_int_range (host->rand, 0, 8));
      g_byte_array_append (into, &c, 1);
    }
}

/* ---- output ---- */

static gboolean
unplug_close_cb (gpointer user_data)
{
  CbdHost *host = user_data;

  if (host->master >= 0)
    close (host->master);
  if (host->slave >= 0)
    close (host->slave);
  host->master = host->slave = -1;
  if (host->opts.link_path != NULL)
    g_unlink (host->opts.link_path);
  g_main_loop_quit (host->loop);
  return G_SOURCE_REMOVE;
}

static void
unplug (CbdHost *host)
{
  g_message ("Unplugged after %" G_GINT64_FORMAT " bytes", host->sent);
  host->unplugged = TRUE;
  g_clear_handle_id (&host->in_watch, g_source_remove);
  g_clear_handle_id (&host->flush_source, g_source_remove);
  g_clear_handle_id (&host->chatter_source, g_source_remove);
  g_clear_handle_id (&host->stall_source, g_source_remove);
  /* Closing the master at once would make Linux discard what the station has not read yet;
   * give it a moment so that "after N bytes" is exact. */
  g_timeout_add (250, unplug_close_cb, host);
}

static gboolean
stall_end_cb (gpointer user_data)
{
  CbdHost *host = user_data;

  host->stall_source = 0;
  host->stalled = FALSE;
  g_message ("Stall over");
  if (host->master >= 0 && host->in_watch == 0)
    host->in_watch = g_unix_fd_add (host->master, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, host);
  host->last_tick_us = g_get_monotonic_time ();
  schedule_flush (host, 0);
  return G_SOURCE_REMOVE;
}

static void
start_stall (CbdHost *host)
{
  g_message ("Stalling for %d ms", host->opts.stall_ms);
  host->stalled = TRUE;
  host->stalled_once = TRUE;
  /* Neither read nor write: like a device stuck in a long flash erase. */
  g_clear_handle_id (&host->in_watch, g_source_remove);
  host->stall_source = g_timeout_add ((guint) host->opts.stall_ms, stall_end_cb, host);
}

static gboolean
flush_cb (gpointer user_data)
{
  CbdHost *host = user_data;
  gsize budget;
  ssize_t n;

  host->flush_source = 0;
  if (host->stalled || host->unplugged || host->out->len == 0)
    return G_SOURCE_REMOVE;

  if (host->opts.stall_ms > 0 && !host->stalled_once && host->sent >= host->opts.stall_after)
    {
      start_stall (host);
      return G_SOURCE_REMOVE;
    }

  budget = host->out->len;
  if (host->opts.baud > 0)
    {
      gint64 now = g_get_monotonic_time ();
      double rate = host->opts.baud / 10.0;   /* 8N1: ten bits a byte */

      host->tokens += (now - host->last_tick_us) / 1e6 * rate;
      host->last_tick_us = now;
      /* A small burst at most, like a UART FIFO. */
      if (host->tokens > MAX (16.0, rate / 100.0))
        host->tokens = MAX (16.0, rate / 100.0);
      budget = MIN (budget, (gsize) host->tokens);
    }
  if (host->opts.stall_ms > 0 && !host->stalled_once)
    budget = MIN (budget, (gsize) (host->opts.stall_after - host->sent));
  if (host->opts.unplug_after > 0)
    budget = MIN (budget, (gsize) (host->opts.unplug_after - host->sent));

  if (budget > 0)
    {
      n = write (host->master, host->out->data, budget);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        {
          g_warning ("pty write failed: %s", g_strerror (errno));
          n = 0;
        }
      if (n > 0)
        {
          g_byte_array_remove_range (host->out, 0, (guint) n);
          host->sent += n;
          if (host->opts.baud > 0)
            host->tokens -= (double) n;
        }
    }

  if (host->opts.unplug_after > 0 && host->sent >= host->opts.unplug_after)
    {
      unplug (host);
      return G_SOURCE_REMOVE;
    }
  if (host->opts.stall_ms > 0 && !host->stalled_once && host->sent >= host->opts.stall_after &&
      host->out->len > 0)
    {
      start_stall (host);
      return G_SOURCE_REMOVE;
    }
  if (host->out->len > 0)
    schedule_flush (host, host->opts.baud > 0 ? 2 : 5);
  return G_SOURCE_REMOVE;
}

static void
schedule_flush (CbdHost *host, guint delay_ms)
{
  if (host->flush_source != 0 || host->unplugged)
    return;
  /* Not an idle: the devsim shares the main loop with a GTK app when the app runs it
   * in-process, and an idle (G_PRIORITY_DEFAULT_IDLE) never runs while GDK's frame clock
   * (GDK_PRIORITY_REDRAW, higher) has a frame due, which with a slow renderer (GL on
   * llvmpipe) and a spinner on screen is always. The answer then sat in the queue until the
   * station gave up. A UART's transmit does not wait for the host to be idle either. */
  if (delay_ms == 0)
    host->flush_source = g_idle_add_full (G_PRIORITY_DEFAULT, flush_cb, host, NULL);
  else
    host->flush_source = g_timeout_add (delay_ms, flush_cb, host);
}

static void
enqueue (CbdHost *host, const guint8 *data, gsize len)
{
  if (host->unplugged)
    return;
  if (host->out->len == 0)
    host->last_tick_us = g_get_monotonic_time ();
  apply_faults (host, data, len, host->out);
  schedule_flush (host, 0);
}

static void
host_write (void *ctx, const uint8_t *data, size_t len)
{
  CbdHost *host = ctx;
  const guint8 *nl;

  /* With chatter on, a log line also lands between the frames of a multi-frame packet:
   * the station must keep the packet together across it. */
  if (host->opts.chatter_ms > 0 && len > 2 && data[0] == 0x06 && data[1] == 0x09 &&
      (nl = memchr (data, '\n', len)) != NULL && (gsize) (nl - data) + 1 < len)
    {
      static const char line[] = "D: uart: tx busy\r\n";
      gsize first = (gsize) (nl - data) + 1;

      enqueue (host, data, first);
      enqueue (host, (const guint8 *) line, sizeof line - 1);
      enqueue (host, data + first, len - first);
      return;
    }
  enqueue (host, data, len);
}

static gboolean
chatter_cb (gpointer user_data)
{
  CbdHost *host = user_data;
  g_autofree char *line = NULL;

  /* Only between packets: the queue is empty, so no frame is in flight. */
  if (host->out->len == 0 && !host->stalled)
    {
      line = g_strdup_printf ("I: [%" G_GINT64_FORMAT "] sensor: temp=%.1fC rssi=-%d\r\n",
                              g_get_monotonic_time () / 1000,
                              20.0 + g_rand_double_range (host->rand, 0, 5),
                              g_rand_int_range (host->rand, 40, 90));
      enqueue (host, (const guint8 *) line, strlen (line));
    }
  return G_SOURCE_CONTINUE;
}

/* ---- input ---- */

static gboolean
on_input (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  CbdHost *host = user_data;
  guint8 buf[1024];
  ssize_t n;

  n = read (fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* Nobody on the other side right now (EIO): wait and look again. */
      g_usleep (10000);
      return G_SOURCE_CONTINUE;
    }
  host->received += n;

  if (host->opts.flip_rate > 0 || host->opts.drop_rate > 0)
    {
      g_autoptr(GByteArray) in = g_byte_array_new ();
      apply_faults (host, buf, (gsize) n, in);
      if (host->modem != NULL)
        cbd_at_modem_feed (host->modem, in->data, in->len);
      else
        cbd_device_feed (host->device, in->data, in->len);
    }
  else if (host->modem != NULL)
    cbd_at_modem_feed (host->modem, buf, (gsize) n);
  else
    cbd_device_feed (host->device, buf, (size_t) n);
  return G_SOURCE_CONTINUE;
}

/* ---- platform glue ---- */

static int64_t
host_now (void *ctx)
{
  return cbd_clock_now (((CbdHost *) ctx)->opts.clock);
}

static int
host_hub_connect (void *ctx, const cbd_hub_params *params)
{
  return cbd_hub_connect (((CbdHost *) ctx)->hub, params);
}

static void
host_hub_disconnect (void *ctx)
{
  cbd_hub_disconnect (((CbdHost *) ctx)->hub);
}

static int
host_hub_subscribe (void *ctx, const char *topic)
{
  return cbd_hub_subscribe (((CbdHost *) ctx)->hub, topic);
}

static int
host_hub_publish (void *ctx, const char *topic, const uint8_t *payload, size_t len)
{
  return cbd_hub_publish (((CbdHost *) ctx)->hub, topic, payload, len);
}

static gboolean
tick_cb (gpointer user_data)
{
  CbdHost *host = user_data;

  cbd_device_tick (host->device);
  return G_SOURCE_CONTINUE;
}

static int
host_load (void *ctx, const char *name, uint8_t **data, size_t *len)
{
  return cbd_storage_load (&((CbdHost *) ctx)->storage, name, data, len);
}

static int
host_save (void *ctx, const char *name, const uint8_t *data, size_t len)
{
  return cbd_storage_save (&((CbdHost *) ctx)->storage, name, data, len);
}

static int
host_remove (void *ctx, const char *name)
{
  return cbd_storage_remove (&((CbdHost *) ctx)->storage, name);
}

static int
host_dps_register (void *ctx, const cbd_dps_params *params, const uint8_t *csr, size_t csr_len)
{
  return cbd_dps_register (((CbdHost *) ctx)->dps, params, csr, csr_len);
}

static void
host_unplug (void *ctx)
{
  CbdHost *host = ctx;

  if (!host->unplugged)
    unplug (host);
}

static gboolean
make_pty (CbdHost *host, GError **error)
{
  struct termios tio;
  char name[256];

  if (openpty (&host->master, &host->slave, name, NULL, NULL) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "openpty: %s",
                   g_strerror (saved));
      return FALSE;
    }
  /* Raw on the slave side until the station sets its own mode: no echo, no CR/LF mangling. */
  if (tcgetattr (host->slave, &tio) == 0)
    {
      cfmakeraw (&tio);
      cfsetispeed (&tio, B115200);
      cfsetospeed (&tio, B115200);
      tcsetattr (host->slave, TCSANOW, &tio);
    }
  if (tcgetattr (host->master, &tio) == 0)
    {
      cfmakeraw (&tio);
      tcsetattr (host->master, TCSANOW, &tio);
    }
  fcntl (host->master, F_SETFL, fcntl (host->master, F_GETFL) | O_NONBLOCK);
  fcntl (host->master, F_SETFD, FD_CLOEXEC);
  fcntl (host->slave, F_SETFD, FD_CLOEXEC);
  host->pty_path = g_strdup (name);

  if (host->opts.link_path != NULL)
    {
      g_unlink (host->opts.link_path);
      if (symlink (name, host->opts.link_path) != 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot link %s to %s: %s", host->opts.link_path, name,
                       g_strerror (saved));
          return FALSE;
        }
    }
  return TRUE;
}

/* The nrf91 personality: the AT modem on the same transport, faults and storage. */
static gboolean
host_start_modem (CbdHost *host, GError **error)
{
  CbdAtConfig config = { 0 };

  config.storage = &host->storage;
  config.write = host_write;
  config.unplug = host_unplug;
  config.ctx = host;
  config.cfun = host->opts.at_cfun;
  config.urc = host->opts.at_urc;
  config.slow_keygen_ms = host->opts.slow_keygen_ms;
  config.wrong_cn = host->opts.wrong_cn;
  config.csr_other_key = host->opts.csr_other_key;
  config.refuse_commit = host->opts.refuse_commit;
  config.unplug_at_commit = host->opts.unplug_at_commit;
  host->modem = cbd_at_modem_new (&config, error);
  if (host->modem == NULL)
    {
      cbd_host_free (host);
      return FALSE;
    }
  host->in_watch = g_unix_fd_add (host->master, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, host);
  if (host->opts.chatter_ms > 0)
    host->chatter_source = g_timeout_add ((guint) host->opts.chatter_ms, chatter_cb, host);
  return TRUE;
}

/* The factory onboarding certificate of the options, for DPS. */
static gboolean
host_onboarding (CbdHost           *host,
                 const CbdOptions  *options,
                 GError           **error)
{
  g_autoptr(CbdOnboarding) onboarding = cbd_onboarding_new_for_options (&host->storage, options,
                                                                        error);

  if (onboarding == NULL)
    return FALSE;

  cbd_dps_set_onboarding (host->dps, cbd_onboarding_get_certificate (onboarding));
  host->onboarding_id = g_strdup (cbd_onboarding_get_common_name (onboarding));
  g_message ("Onboarding to DPS as %s with the certificate SHA-256 %s",
             cbd_onboarding_get_common_name (onboarding),
             cbd_onboarding_get_fingerprint (onboarding));
  return TRUE;
}

/* A device with an onboarding certificate and its DPS scope registers by itself: DPS over
 * MQTT with its CSR, then the hub (the assigned one, at hub_endpoint when given), then it
 * renews there as any device does. */
static gboolean
host_self_provision (CbdHost           *host,
                     const CbdOptions  *options,
                     GError           **error)
{
  cbd_dps_params params = { 0 };
  cbd_status status;
  int rc;

  params.scope = options->dps_scope;
  params.reg_id = host->onboarding_id;
  params.key = NULL;
  params.endpoint = options->dps_endpoint;
  params.ca_path = options->ca_file;
  if ((rc = cbd_device_dps_configure (host->device, &params)) != 0 ||
      (rc = cbd_device_hub_configure (host->device, NULL, NULL, options->hub_endpoint,
                                      options->ca_file)) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The device cannot take its DPS and hub configuration (%d)", rc);
      return FALSE;
    }
  cbd_device_get_status (host->device, &status);
  if (!status.active && (rc = cbd_device_register (host->device, NULL)) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The device cannot start its DPS registration (%d)", rc);
      return FALSE;
    }
  return TRUE;
}

CbdHost *
cbd_host_new (const CbdOptions  *options,
              GError           **error)
{
  CbdHost *host = g_new0 (CbdHost, 1);
  cbd_config cfg;

  host->opts = *options;
  host->opts.state_dir = g_strdup (options->state_dir);
  host->opts.link_path = g_strdup (options->link_path);
  host->opts.serial = g_strdup (options->serial);
  host->opts.model = g_strdup (options->model);
  host->opts.key_types = g_strdupv (options->key_types);
  /* Used while starting only (options itself), not kept. */
  host->opts.onboarding_cert = host->opts.onboarding_key = host->opts.onboarding_id = NULL;
  host->opts.factory_ca = host->opts.factory_ca_key = NULL;
  host->opts.dps_scope = host->opts.dps_endpoint = host->opts.hub_endpoint = NULL;
  host->opts.ca_file = NULL;
  host->master = host->slave = -1;
  host->out = g_byte_array_new ();
  host->rand = options->fault_seed != 0 ? g_rand_new_with_seed (options->fault_seed) : g_rand_new ();
  host->loop = g_main_loop_new (NULL, FALSE);
  host->dps = cbd_dps_new ();
  host->hub = cbd_hub_new (host->opts.state_dir);

  if (!cbd_storage_init (&host->storage, host->opts.state_dir, error) ||
      ((options->onboarding_cert != NULL || options->factory_ca != NULL) &&
       !host_onboarding (host, options, error)) ||
      !make_pty (host, error))
    {
      cbd_host_free (host);
      return NULL;
    }

  host->platform.ctx = host;
  host->platform.write = host_write;
  host->platform.now = host_now;
  host->platform.load = host_load;
  host->platform.save = host_save;
  host->platform.remove = host_remove;
  cbd_crypto_fill (&host->platform);
  host->platform.monotonic_ms = cbd_clock_monotonic_ms;
  if (!options->no_network)
    {
      host->platform.dps_register = host_dps_register;
      host->platform.hub_connect = host_hub_connect;
      host->platform.hub_disconnect = host_hub_disconnect;
      host->platform.hub_subscribe = host_hub_subscribe;
      host->platform.hub_publish = host_hub_publish;
    }
  host->platform.unplug = host_unplug;
  cbd_crypto_set_keygen_delay (options->slow_keygen_ms);

  if (options->personality == CBD_PERSONALITY_NRF91)
    return host_start_modem (host, error) ? host : NULL;

  memset (&cfg, 0, sizeof cfg);
  cfg.serial = host->opts.serial;
  cfg.model = host->opts.model != NULL ? host->opts.model : "certbench-devsim";
  cfg.fw = PACKAGE_VERSION;
  cfg.group = (uint16_t) (options->group > 0 ? options->group : 64);
  cfg.frame_size = options->frame_size > 0 ? (size_t) options->frame_size : 127;
  cfg.buf_size = options->buf_size > 0 ? (size_t) options->buf_size : 1024;
  cfg.buf_count = 4;
  cfg.slot_size = options->slot_size > 0 ? (size_t) options->slot_size : 8192;
  cfg.key_types = (const char *const *) host->opts.key_types;
  cfg.fault_wrong_cn = options->wrong_cn;
  cfg.fault_csr_other_key = options->csr_other_key;
  cfg.fault_refuse_commit = options->refuse_commit;
  cfg.fault_unplug_at_commit = options->unplug_at_commit;
  cfg.renew_fraction = options->renew_fraction;
  cfg.dps_x509 = options->onboarding_cert != NULL || options->factory_ca != NULL;

  host->device = cbd_device_new (&cfg, &host->platform);
  if (host->device == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Cannot load the device state from %s", host->opts.state_dir);
      cbd_host_free (host);
      return NULL;
    }
  cbd_dps_set_device (host->dps, host->device);
  cbd_hub_set_device (host->hub, host->device);
  if (options->dps_scope != NULL && !host_self_provision (host, options, error))
    {
      cbd_host_free (host);
      return NULL;
    }
  host->tick_source = g_timeout_add (1000, tick_cb, host);
  /* A configured device with a certificate connects at once, not a tick later. */
  cbd_device_tick (host->device);

  host->in_watch = g_unix_fd_add (host->master, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, host);
  if (options->chatter_ms > 0)
    host->chatter_source = g_timeout_add ((guint) options->chatter_ms, chatter_cb, host);
  return host;
}

void
cbd_host_free (CbdHost *host)
{
  if (host == NULL)
    return;
  g_clear_handle_id (&host->in_watch, g_source_remove);
  g_clear_handle_id (&host->flush_source, g_source_remove);
  g_clear_handle_id (&host->chatter_source, g_source_remove);
  g_clear_handle_id (&host->stall_source, g_source_remove);
  g_clear_handle_id (&host->tick_source, g_source_remove);
  if (host->dps != NULL)
    cbd_dps_set_device (host->dps, NULL);
  if (host->hub != NULL)
    cbd_hub_set_device (host->hub, NULL);
  g_clear_pointer (&host->dps, cbd_dps_free);
  g_clear_pointer (&host->device, cbd_device_free);
  g_clear_pointer (&host->modem, cbd_at_modem_free);
  g_clear_pointer (&host->hub, cbd_hub_free);
  if (host->master >= 0)
    close (host->master);
  if (host->slave >= 0)
    close (host->slave);
  if (host->opts.link_path != NULL && !host->unplugged && host->pty_path != NULL)
    g_unlink (host->opts.link_path);
  cbd_storage_clear (&host->storage);
  g_free (host->pty_path);
  g_free (host->onboarding_id);
  g_free (host->opts.state_dir);
  g_free (host->opts.link_path);
  g_free (host->opts.serial);
  g_free (host->opts.model);
  g_strfreev (host->opts.key_types);
  g_byte_array_unref (host->out);
  g_rand_free (host->rand);
  g_main_loop_unref (host->loop);
  g_free (host);
}

const char *
cbd_host_get_pty_path (CbdHost *host)
{
  return host->pty_path;
}

static gboolean
quit_cb (gpointer user_data)
{
  cbd_host_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
cbd_host_run (CbdHost *host)
{
  guint term = g_unix_signal_add (SIGTERM, quit_cb, host);
  guint intr = g_unix_signal_add (SIGINT, quit_cb, host);

  g_main_loop_run (host->loop);
  g_source_remove (term);
  g_source_remove (intr);
  /* What crossed the line, for the wire-time floor of benchmarks/bench-station. */
  g_message ("Wire: %" G_GINT64_FORMAT " bytes sent, %" G_GINT64_FORMAT " bytes received",
             host->sent, host->received);
  return host->exit_status;
}

void
cbd_host_quit (CbdHost *host)
{
  g_main_loop_quit (host->loop);
}
