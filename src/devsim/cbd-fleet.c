/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cbd-fleet"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cb-dps-client.h"
#include "cb-error.h"
#include "cb-http.h"
#include "cb-sandbox-client.h"
#include "cb-sas.h"
#include "cbd-fleet.h"
#include "cbd-fleet-private.h"
#include "cbd-host.h"

/* One process, one main loop, N portable devices. The fleet is the devices' platform: file
 * storage per device, the shared sandbox-following clock, a DPS queue that bounds the
 * registrations in flight (the sandbox signs every CSR on one thread), and a CbdHub (MQTT on
 * this main loop) per online device. Nothing here is a station: each device configures itself
 * through cbd_device_dps_configure/_hub_configure and registers with cbd_device_register. */

#define DEFAULT_PREFIX          "fleet-"
#define TICK_MS                 1000
#define STATS_MS                250
#define CREATE_BATCH            25

typedef struct _FleetDevice FleetDevice;

struct _FleetDevice
{
  CbdFleet     *fleet;        /* borrowed */
  guint         index;
  char         *reg_id;
  gboolean      offline;
  gboolean      never_renew;
  CbdStorage    storage;
  cbd_platform  platform;
  cbd_device   *device;
  CbdHub       *hub;          /* NULL for offline devices: they have no hub network */
  gboolean      queued;       /* a DPS registration waits in the queue or runs */
  gboolean      trace;        /* CBD_FLEET_TRACE names it: its log lines go to stderr */
  guint         failures;     /* DPS failures in a row */
  gint64        retry_at;     /* monotonic usec of the next attempt after a failure; 0: none */
};

/* A registration waiting for a slot; the device's params are copied (they are only valid
 * during the platform call). */
typedef struct
{
  FleetDevice *fd;
  char        *reg_id;
  char        *key;           /* secret: wiped on free */
  GBytes      *csr;
} PendingRegistration;

typedef struct
{
  CbdFleet            *fleet;
  PendingRegistration *reg;
} RunningRegistration;

struct _CbdFleet
{
  /* Options (owned copies) */
  char          *sandbox_url;  /* NULL: plain DPS and hub (dps_endpoint) */
  char          *dps_endpoint;
  char          *id_scope;
  char          *ca_file;      /* absolute */
  char          *state_dir;
  char          *prefix;
  guint          count;
  double         days_per_second;
  double         never_renew;
  double         offline;
  guint32        seed;
  guint          max_registering;
  double         renew_fraction;
  double         renew_jitter;

  /* The sandbox */
  CbHttpClient  *http;
  CbProfile     *profile;
  CbDpsClient   *dps;
  char          *hub_host;
  char          *hub_endpoint;
  CbdClock      *clock;
  gboolean       rate_set;     /* the rate was asked for: stop sets it back to 1 */
  double         accelerated_at;  /* t when the sandbox took the rate; 0: not (yet) */
  char          *group_key;    /* secret: devices derive theirs from it; wiped once all exist */

  /* Devices */
  GPtrArray     *devices;      /* FleetDevice, by index */
  guint8        *roles;        /* per index: ROLE_* bits, from the seed */
  GQueue         queue;        /* PendingRegistration */
  guint          in_flight;
  guint          dps_failures;
  GCancellable  *cancellable;

  /* Progress */
  gint64         start_us;
  guint          tick_id;
  guint          stats_id;
  guint          pump_id;
  guint          create_id;    /* creates the devices in batches, so the loop keeps running */
  gboolean       dirty;
  double         all_registered_at;
  double         all_connected_at;
};

enum
{
  ROLE_OFFLINE     = 1 << 0,
  ROLE_NEVER_RENEW = 1 << 1,
};

void
cbd_fleet_wipe_free (char *secret)
{
  if (secret != NULL)
    memset (secret, 0, strlen (secret));
  g_free (secret);
}

static void
pending_registration_free (PendingRegistration *reg)
{
  g_free (reg->reg_id);
  cbd_fleet_wipe_free (reg->key);
  g_clear_pointer (&reg->csr, g_bytes_unref);
  g_free (reg);
}

/* ---- storage ---- */

static int
fleet_save (void          *ctx,
            const char    *name,
            const uint8_t *data,
            size_t         len)
{
  return cbd_storage_save (&((FleetDevice *) ctx)->storage, name, data, len);
}

static int
fleet_load (void        *ctx,
            const char  *name,
            uint8_t    **data,
            size_t      *len)
{
  return cbd_storage_load (&((FleetDevice *) ctx)->storage, name, data, len);
}

static int
fleet_remove (void       *ctx,
              const char *name)
{
  return cbd_storage_remove (&((FleetDevice *) ctx)->storage, name);
}

/* ---- the rest of the platform ---- */

static void
fleet_write (void          *ctx,
             const uint8_t *data,
             size_t         len)
{
  FleetDevice *fd = ctx;

  /* No station listens: the console goes nowhere, except the log lines of the device that
   * CBD_FLEET_TRACE names (frames start with 0x06 0x09 and are not text). */
  if (fd->trace && len > 0 && data[0] != 0x06)
    g_printerr ("%s: %.*s", fd->reg_id, (int) len, (const char *) data);
}

static int64_t
fleet_now (void *ctx)
{
  return cbd_clock_now (((FleetDevice *) ctx)->fleet->clock);
}

static void
fleet_notify (void *ctx)
{
  ((FleetDevice *) ctx)->fleet->dirty = TRUE;
}

static int
fleet_hub_connect (void                 *ctx,
                   const cbd_hub_params *params)
{
  return cbd_hub_connect (((FleetDevice *) ctx)->hub, params);
}

static void
fleet_hub_disconnect (void *ctx)
{
  cbd_hub_disconnect (((FleetDevice *) ctx)->hub);
}

static int
fleet_hub_subscribe (void       *ctx,
                     const char *topic)
{
  return cbd_hub_subscribe (((FleetDevice *) ctx)->hub, topic);
}

static int
fleet_hub_publish (void          *ctx,
                   const char    *topic,
                   const uint8_t *payload,
                   size_t         len)
{
  return cbd_hub_publish (((FleetDevice *) ctx)->hub, topic, payload, len);
}

/* ---- DPS: a bounded number of registrations in flight ---- */

static void pump_registrations (CbdFleet *fleet);

static void
registration_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  RunningRegistration *running = user_data;
  g_autoptr(CbDpsRegistration) reg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) chain = NULL;
  CbdFleet *fleet = running->fleet;
  FleetDevice *fd = running->reg->fd;
  GPtrArray *issued;
  guint i;

  reg = cb_dps_client_register_finish (CB_DPS_CLIENT (object), result, &error);
  pending_registration_free (running->reg);
  g_free (running);

  /* Cancelled: the fleet stopped and its devices may be gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  fleet->in_flight--;
  fd->queued = FALSE;
  fleet->dirty = TRUE;

  if (reg == NULL)
    {
      fleet->dps_failures++;
      fd->failures++;
      /* Again in 2, 4, 8 .. 64 s: a sandbox that refused now may accept later. */
      fd->retry_at = g_get_monotonic_time () +
                     (G_USEC_PER_SEC << MIN (fd->failures, 6));
      g_debug ("%s: DPS registration failed: %s", fd->reg_id, error->message);
      cbd_device_dps_result (fd->device, false, error->message, NULL, NULL, NULL, 0);
    }
  else
    {
      fd->failures = 0;
      fd->retry_at = 0;
      chain = g_byte_array_new ();
      issued = cb_dps_registration_get_issued_chain (reg);
      for (i = 0; issued != NULL && i < issued->len; i++)
        {
          gsize len = 0;
          const guint8 *der = g_bytes_get_data (g_ptr_array_index (issued, i), &len);

          g_byte_array_append (chain, der, (guint) len);
        }
      cbd_device_dps_result (fd->device, true, NULL,
                             cb_dps_registration_get_assigned_hub (reg),
                             cb_dps_registration_get_device_id (reg),
                             chain->data, chain->len);
    }

  pump_registrations (fleet);
}

static void
pump_registrations (CbdFleet *fleet)
{
  while (fleet->in_flight < fleet->max_registering && !g_queue_is_empty (&fleet->queue))
    {
      RunningRegistration *running = g_new0 (RunningRegistration, 1);

      running->fleet = fleet;
      running->reg = g_queue_pop_head (&fleet->queue);
      fleet->in_flight++;
      cb_dps_client_register_async (fleet->dps, running->reg->reg_id, running->reg->key,
                                    CB_DPS_KEY_DEVICE, running->reg->csr, NULL,
                                    fleet->cancellable, registration_cb, running);
    }
}

static gboolean
pump_idle_cb (gpointer user_data)
{
  CbdFleet *fleet = user_data;

  fleet->pump_id = 0;
  pump_registrations (fleet);
  return G_SOURCE_REMOVE;
}

static int
fleet_dps_register (void                 *ctx,
                    const cbd_dps_params *params,
                    const uint8_t        *csr,
                    size_t                csr_len)
{
  FleetDevice *fd = ctx;
  CbdFleet *fleet = fd->fleet;
  PendingRegistration *reg;

  if (fd->queued)
    return 0;
  reg = g_new0 (PendingRegistration, 1);
  reg->fd = fd;
  reg->reg_id = g_strdup (params->reg_id);
  reg->key = g_strdup (params->key);
  reg->csr = g_bytes_new (csr, csr_len);
  fd->queued = TRUE;
  g_queue_push_tail (&fleet->queue, reg);
  fleet->dirty = TRUE;
  /* Started from an idle, not inside the device's call (which is still setting its state). */
  if (fleet->pump_id == 0)
    fleet->pump_id = g_idle_add (pump_idle_cb, fleet);
  return 0;
}

/* ---- roles ---- */

/* A uniform double in [0, 1) from (seed, index): splitmix64, so each device's draw does not
 * depend on the others'. */
static double
seeded_uniform (guint32 seed,
                           guint   index)
{
  guint64 z = ((guint64) seed << 32 | index) + G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  z ^= z >> 31;
  return (z >> 11) * (1.0 / 9007199254740992.0);
}

guint
cbd_fleet_fraction_count (guint  count,
                          double fraction)
{
  double n = floor (count * fraction + 0.5);

  return n < 0 ? 0 : n > count ? count : (guint) n;
}

/* Exactly round(N x fraction) devices of each kind, chosen by a seeded shuffle: the same seed
 * gives the same roles, so a restarted fleet keeps them. */
static void
choose_roles (CbdFleet *fleet)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (fleet->seed);
  g_autofree guint *order = g_new (guint, MAX (fleet->count, 1));
  guint n_offline = cbd_fleet_fraction_count (fleet->count, fleet->offline);
  guint n_never = cbd_fleet_fraction_count (fleet->count, fleet->never_renew);
  guint i;

  if (n_offline + n_never > fleet->count)
    n_never = fleet->count - n_offline;
  for (i = 0; i < fleet->count; i++)
    order[i] = i;
  for (i = fleet->count; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i);
      guint t = order[i - 1];

      order[i - 1] = order[j];
      order[j] = t;
    }
  fleet->roles = g_new0 (guint8, MAX (fleet->count, 1));
  for (i = 0; i < n_offline; i++)
    fleet->roles[order[i]] |= ROLE_OFFLINE;
  for (i = n_offline; i < n_offline + n_never; i++)
    fleet->roles[order[i]] |= ROLE_NEVER_RENEW;
}

/* ---- lifecycle ---- */

CbdFleet *
cbd_fleet_new (const CbdFleetOptions *options)
{
  CbdFleet *fleet = g_new0 (CbdFleet, 1);

  g_return_val_if_fail (options != NULL, NULL);

  fleet->sandbox_url = g_strdup (options->sandbox_url);
  if (fleet->sandbox_url != NULL)
    {
      gsize n = strlen (fleet->sandbox_url);

      while (n > 0 && fleet->sandbox_url[n - 1] == '/')
        fleet->sandbox_url[--n] = '\0';
    }
  fleet->dps_endpoint = g_strdup (options->dps_endpoint);
  fleet->id_scope = g_strdup (options->id_scope);
  fleet->group_key = g_strdup (options->group_key);
  fleet->hub_endpoint = g_strdup (options->hub_endpoint);
  fleet->ca_file = options->ca_file != NULL ? g_canonicalize_filename (options->ca_file, NULL)
                                            : NULL;
  fleet->state_dir = g_strdup (options->state_dir);
  fleet->prefix = g_strdup (options->prefix != NULL ? options->prefix : DEFAULT_PREFIX);
  fleet->count = options->count;
  fleet->days_per_second = options->days_per_second;
  fleet->never_renew = CLAMP (options->never_renew, 0.0, 1.0);
  fleet->offline = CLAMP (options->offline, 0.0, 1.0);
  fleet->seed = options->seed;
  fleet->max_registering = options->max_registering > 0 ? options->max_registering
                                                        : CBD_FLEET_DEFAULT_MAX_REGISTERING;
  fleet->renew_fraction = options->renew_fraction > 0 ? options->renew_fraction : 0.8;
  fleet->renew_jitter = CLAMP (options->renew_jitter, 0.0, fleet->renew_fraction * 0.9);
  fleet->devices = g_ptr_array_new ();
  fleet->cancellable = g_cancellable_new ();
  g_queue_init (&fleet->queue);
  choose_roles (fleet);
  return fleet;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* A request to the sandbox's own endpoints, waiting on the thread-default main context. */
static CbHttpResponse *
sandbox_request (CbdFleet    *fleet,
                 const char  *method,
                 const char  *path,
                 JsonNode    *body,
                 GError     **error)
{
  g_autofree char *url = g_strconcat (fleet->sandbox_url, path, NULL);
  GAsyncResult *result = NULL;
  CbHttpResponse *response;

  cb_http_client_request_async (fleet->http, method, url, NULL, NULL, body, CB_HTTP_STYLE_ARM,
                                NULL, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  response = cb_http_client_request_finish (fleet->http, result, error);
  g_object_unref (result);
  return response;
}

static gboolean
set_clock_rate (CbdFleet  *fleet,
                double     rate,
                GError   **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(CbHttpResponse) response = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rate");
  json_builder_add_double_value (builder, rate);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  response = sandbox_request (fleet, "POST", "/sandbox/clock", body, error);
  return response != NULL;
}

static void
rate_set_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  CbdFleet *fleet = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* stopped: the fleet may be gone */
  if (response == NULL)
    {
      g_printerr ("certbench-devsim: cannot set the sandbox clock rate: %s\n", error->message);
      return;
    }
  fleet->accelerated_at = (g_get_monotonic_time () - fleet->start_us) / (double) G_USEC_PER_SEC;
  /* The devices see the new rate now rather than at the clock's next poll. */
  cbd_clock_refresh (fleet->clock);
  fleet->dirty = TRUE;
}

/* The clock runs fast only once the first registrations are done: registering 1000 devices
 * takes about 15 s, which at a day a second is half a 30-day lifetime, so the first devices
 * would renew (and at a higher rate expire) before the last had registered. Day 0 is the
 * same for the whole fleet this way. */
static void
maybe_accelerate (CbdFleet *fleet)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *url = NULL;

  if (fleet->days_per_second <= 0 || fleet->rate_set || fleet->create_id != 0 ||
      fleet->in_flight > 0 || !g_queue_is_empty (&fleet->queue))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rate");
  json_builder_add_double_value (builder, fleet->days_per_second * 86400.0);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  url = g_strconcat (fleet->sandbox_url, "/sandbox/clock", NULL);
  fleet->rate_set = TRUE;
  cb_http_client_request_async (fleet->http, "POST", url, NULL, NULL, body, CB_HTTP_STYLE_ARM,
                                fleet->cancellable, rate_set_cb, fleet);
}

/* hubs[0].deviceEndpoint, for a core that does not put it into the profile yet. */
static const char *
info_device_endpoint (JsonObject *info)
{
  JsonArray *hubs;
  JsonObject *hub;

  if (!json_object_has_member (info, "hubs") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (info, "hubs")))
    return NULL;
  hubs = json_object_get_array_member (info, "hubs");
  if (json_array_get_length (hubs) == 0 ||
      !JSON_NODE_HOLDS_OBJECT (json_array_get_element (hubs, 0)))
    return NULL;
  hub = json_array_get_object_element (hubs, 0);
  if (!json_object_has_member (hub, "deviceEndpoint"))
    return NULL;
  return json_object_get_string_member_with_default (hub, "deviceEndpoint", NULL);
}

static FleetDevice *
fleet_device_new (CbdFleet    *fleet,
                  guint        index,
                  GError     **error)
{
  FleetDevice *fd = g_new0 (FleetDevice, 1);
  g_autofree char *dir = NULL;
  char *device_key = NULL;
  cbd_config cfg;
  cbd_dps_params params;
  cbd_status status;
  int rc;

  fd->fleet = fleet;
  fd->index = index;
  fd->reg_id = g_strdup_printf ("%s%04u", fleet->prefix, index + 1);
  fd->offline = (fleet->roles[index] & ROLE_OFFLINE) != 0;
  fd->never_renew = (fleet->roles[index] & ROLE_NEVER_RENEW) != 0;
  fd->trace = g_strcmp0 (g_getenv ("CBD_FLEET_TRACE"), fd->reg_id) == 0;
  g_ptr_array_add (fleet->devices, fd);

  dir = g_build_filename (fleet->state_dir, fd->reg_id, NULL);
  if (!cbd_storage_init (&fd->storage, dir, error))
    return NULL;
  /* Renamed into place but not fsynced: an fsync costs about 7 ms on this machine's disk,
   * and 1000 devices renewing would stall the one loop for seconds. Power-cut safety is the
   * single devsim's concern, not a simulated fleet's. */
  fd->storage.no_fsync = TRUE;

  fd->platform.ctx = fd;
  fd->platform.write = fleet_write;
  fd->platform.now = fleet_now;
  fd->platform.monotonic_ms = cbd_clock_monotonic_ms;
  fd->platform.load = fleet_load;
  fd->platform.save = fleet_save;
  fd->platform.remove = fleet_remove;
  cbd_crypto_fill (&fd->platform);
  fd->platform.dps_register = fleet_dps_register;
  fd->platform.notify = fleet_notify;
  if (!fd->offline)
    {
      fd->hub = cbd_hub_new (dir);
      fd->platform.hub_connect = fleet_hub_connect;
      fd->platform.hub_disconnect = fleet_hub_disconnect;
      fd->platform.hub_subscribe = fleet_hub_subscribe;
      fd->platform.hub_publish = fleet_hub_publish;
    }

  memset (&cfg, 0, sizeof cfg);
  cfg.serial = fd->reg_id;
  cfg.model = "certbench-devsim-fleet";
  cfg.fw = PACKAGE_VERSION;
  cfg.group = 64;
  cfg.frame_size = 127;
  cfg.buf_size = 1024;
  cfg.buf_count = 1;
  cfg.slot_size = 8192;
  /* Seeded per device, independent of the creation order. */
  cfg.renew_fraction = fleet->renew_fraction -
                       fleet->renew_jitter * seeded_uniform (fleet->seed, index);
  /* An offline device registers once: it never connects, so it never renews either. */
  cfg.never_renew = fd->never_renew || fd->offline;
  fd->device = cbd_device_new (&cfg, &fd->platform);
  if (fd->device == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Device %s: cannot load its state from %s", fd->reg_id, dir);
      return NULL;
    }
  if (fd->hub != NULL)
    cbd_hub_set_device (fd->hub, fd->device);

  device_key = cb_sas_derive_device_key (fleet->group_key, fd->reg_id, error);
  if (device_key == NULL)
    return NULL;
  params.scope = cb_profile_get_dps_id_scope (fleet->profile);
  params.reg_id = fd->reg_id;
  params.key = device_key;
  params.endpoint = cb_profile_get_dps_global_endpoint (fleet->profile);
  params.ca_path = fleet->ca_file;
  rc = cbd_device_dps_configure (fd->device, &params);
  cbd_fleet_wipe_free (device_key);
  cbd_device_get_status (fd->device, &status);
  /* Without a sandbox the hub is the one DPS assigns; a restarted device keeps the one it
   * stored (configuring "no host" again would forget it). */
  if (rc == 0 && !fd->offline &&
      (fleet->hub_host != NULL || status.hub_host == NULL || status.hub_host[0] == '\0'))
    rc = cbd_device_hub_configure (fd->device, fleet->hub_host,
                                   fleet->hub_host != NULL ? fd->reg_id : NULL,
                                   fleet->hub_endpoint, fleet->ca_file);
  if (rc != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Device %s: configuration refused (rc %d)", fd->reg_id, rc);
      return NULL;
    }

  /* A restarted fleet keeps its identities: only devices without a certificate register.
   * (An expired one re-registers by itself on its tick, unless it never renews.) */
  cbd_device_get_status (fd->device, &status);
  if (!status.active)
    {
      rc = cbd_device_register (fd->device, NULL);
      if (rc != 0)
        g_warning ("%s: cannot start a registration (rc %d)", fd->reg_id, rc);
    }
  return fd;
}

static void
fleet_device_free (FleetDevice *fd)
{
  /* The device disconnects through the platform as it goes, so the hub outlives it; no
   * event reaches the device while it is being freed. */
  if (fd->hub != NULL)
    cbd_hub_set_device (fd->hub, NULL);
  g_clear_pointer (&fd->device, cbd_device_free);
  g_clear_pointer (&fd->hub, cbd_hub_free);
  cbd_storage_clear (&fd->storage);
  g_free (fd->reg_id);
  g_free (fd);
}

static gboolean
create_cb (gpointer user_data)
{
  CbdFleet *fleet = user_data;
  guint n;

  for (n = 0; n < CREATE_BATCH && fleet->devices->len < fleet->count; n++)
    {
      g_autoptr(GError) error = NULL;

      if (fleet_device_new (fleet, fleet->devices->len, &error) == NULL)
        {
          /* The same cause would fail every other device too. */
          g_printerr ("certbench-devsim: %s; the fleet stops growing at %u devices\n",
                      error->message, fleet->devices->len - 1);
          fleet_device_free (g_ptr_array_steal_index (fleet->devices, fleet->devices->len - 1));
          fleet->create_id = 0;
          return G_SOURCE_REMOVE;
        }
    }
  fleet->dirty = TRUE;
  if (fleet->devices->len < fleet->count)
    return G_SOURCE_CONTINUE;
  fleet->create_id = 0;
  /* Every device stored its own key: the group's is not needed any more. */
  g_clear_pointer (&fleet->group_key, cbd_fleet_wipe_free);
  return G_SOURCE_REMOVE;
}

static gboolean
stats_cb (gpointer user_data)
{
  CbdFleet *fleet = user_data;
  CbdFleetStats stats;

  if (!fleet->dirty)
    return G_SOURCE_CONTINUE;
  fleet->dirty = FALSE;
  maybe_accelerate (fleet);

  cbd_fleet_get_stats (fleet, &stats);
  if (fleet->all_registered_at == 0 && stats.registered == stats.devices)
    fleet->all_registered_at = stats.t;
  if (fleet->all_connected_at == 0 && stats.connected == stats.devices - stats.offline)
    fleet->all_connected_at = stats.t;
  return G_SOURCE_CONTINUE;
}

/* A device whose first registration failed has no certificate to renew and so never tries
 * again by itself: the fleet does, with a backoff. */
static void
retry_registration (FleetDevice *fd,
                    gint64       now_us)
{
  cbd_status status;
  int rc;

  if (fd->retry_at == 0 || now_us < fd->retry_at || fd->queued)
    return;
  fd->retry_at = 0;
  cbd_device_get_status (fd->device, &status);
  if (status.active || status.dps_state == CBD_DPS_RUNNING)
    return;
  rc = cbd_device_register (fd->device, NULL);
  if (rc != 0)
    g_debug ("%s: cannot start a registration (rc %d)", fd->reg_id, rc);
}

static gboolean
tick_cb (gpointer user_data)
{
  CbdFleet *fleet = user_data;
  gint64 now_us = g_get_monotonic_time ();
  guint i;

  for (i = 0; i < fleet->devices->len; i++)
    {
      FleetDevice *fd = g_ptr_array_index (fleet->devices, i);

      cbd_device_tick (fd->device);
      retry_registration (fd, now_us);
    }
  pump_registrations (fleet);
  return G_SOURCE_CONTINUE;
}

/* Everything from the sandbox's /sandbox/info: DPS, the demo group's key, the hub's device
 * endpoint; the devices' clock follows the sandbox's. */
static gboolean
start_with_sandbox (CbdFleet  *fleet,
                    GError   **error)
{
  g_autoptr(CbHttpResponse) info = NULL;
  g_autofree char *clock_url = NULL;
  JsonObject *object;
  const char *endpoint;

  info = sandbox_request (fleet, "GET", "/sandbox/info", NULL, error);
  if (info == NULL)
    return FALSE;
  object = cb_http_response_get_object (info);
  if (object == NULL)
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                   "%s/sandbox/info is not a sandbox's info document", fleet->sandbox_url);
      return FALSE;
    }
  /* The sandbox's own values win over any given with the options. */
  g_clear_pointer (&fleet->group_key, cbd_fleet_wipe_free);
  fleet->profile = cb_profile_new_from_sandbox_info (object, &fleet->group_key);
  endpoint = cb_profile_get_hub_device_endpoint (fleet->profile);
  if (endpoint == NULL)
    endpoint = info_device_endpoint (object);
  fleet->hub_host = g_strdup (cb_profile_get_hub_host_name (fleet->profile));
  g_free (fleet->hub_endpoint);
  fleet->hub_endpoint = g_strdup (endpoint);
  if (fleet->group_key == NULL || cb_profile_get_dps_id_scope (fleet->profile) == NULL ||
      cb_profile_get_dps_global_endpoint (fleet->profile) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The sandbox at %s has no demo enrollment group (start it with --seed demo)",
                   fleet->sandbox_url);
      return FALSE;
    }
  if (fleet->hub_host == NULL || fleet->hub_endpoint == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The sandbox at %s has no hub device endpoint (hubs[].deviceEndpoint)",
                   fleet->sandbox_url);
      return FALSE;
    }

  clock_url = g_strconcat (fleet->sandbox_url, "/sandbox/clock", NULL);
  fleet->clock = cbd_clock_new (clock_url, fleet->ca_file, error);
  return fleet->clock != NULL && cbd_clock_wait_synced (fleet->clock, 10000, error);
}

/* Plain DPS, as on Azure: the hub comes from each device's assignment, time is real. */
static gboolean
start_with_dps (CbdFleet  *fleet,
                GError   **error)
{
  if (fleet->id_scope == NULL || fleet->group_key == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "A fleet on DPS needs its ID scope and the enrollment group key");
      return FALSE;
    }
  if (fleet->days_per_second > 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Only the sandbox's clock can run fast: --days-per-second needs --sandbox");
      return FALSE;
    }
  fleet->profile = cb_profile_new ("fleet", "Simulated fleet", CB_PROFILE_KIND_AZURE);
  cb_profile_set_dps_global_endpoint (fleet->profile, fleet->dps_endpoint);
  cb_profile_set_dps_id_scope (fleet->profile, fleet->id_scope);
  fleet->clock = cbd_clock_new (NULL, NULL, error);
  return fleet->clock != NULL;
}

gboolean
cbd_fleet_start (CbdFleet  *fleet,
                 GError   **error)
{
  g_return_val_if_fail (fleet != NULL, FALSE);
  g_return_val_if_fail (fleet->http == NULL, FALSE);

  if ((fleet->sandbox_url == NULL && fleet->dps_endpoint == NULL) ||
      (fleet->sandbox_url != NULL && fleet->ca_file == NULL) || fleet->state_dir == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "A fleet needs a state directory and the sandbox URL and its CA file, or a "
                   "DPS endpoint");
      return FALSE;
    }

  fleet->start_us = g_get_monotonic_time ();
  fleet->http = cb_http_client_new_for_ca_file (fleet->ca_file, error);
  if (fleet->http == NULL)
    return FALSE;
  if (!(fleet->sandbox_url != NULL ? start_with_sandbox (fleet, error)
                                   : start_with_dps (fleet, error)))
    return FALSE;
  fleet->dps = cb_dps_client_new (fleet->profile, fleet->http);

  /* The first device here, so that a state directory or configuration problem is an error;
   * the rest in batches from the loop (a restart connects each device at once, and 1000 TLS
   * set-ups would hold the loop for seconds). */
  if (fleet->count > 0 && fleet_device_new (fleet, 0, error) == NULL)
    return FALSE;
  if (fleet->devices->len < fleet->count)
    fleet->create_id = g_idle_add (create_cb, fleet);
  else
    g_clear_pointer (&fleet->group_key, cbd_fleet_wipe_free);

  pump_registrations (fleet);
  fleet->dirty = TRUE;
  fleet->tick_id = g_timeout_add (TICK_MS, tick_cb, fleet);
  fleet->stats_id = g_timeout_add (STATS_MS, stats_cb, fleet);
  return TRUE;
}

void
cbd_fleet_stop (CbdFleet *fleet)
{
  g_autoptr(GError) error = NULL;
  PendingRegistration *reg;
  guint i;

  g_return_if_fail (fleet != NULL);

  g_clear_handle_id (&fleet->tick_id, g_source_remove);
  g_clear_handle_id (&fleet->stats_id, g_source_remove);
  g_clear_handle_id (&fleet->pump_id, g_source_remove);
  g_clear_handle_id (&fleet->create_id, g_source_remove);
  g_cancellable_cancel (fleet->cancellable);
  while ((reg = g_queue_pop_head (&fleet->queue)) != NULL)
    pending_registration_free (reg);
  fleet->in_flight = 0;

  for (i = 0; i < fleet->devices->len; i++)
    fleet_device_free (g_ptr_array_index (fleet->devices, i));
  g_ptr_array_set_size (fleet->devices, 0);

  if (fleet->rate_set)
    {
      /* Once, without the retries: a sandbox that is gone must not hold up the exit. */
      cb_http_client_set_max_attempts (fleet->http, 1);
      if (!set_clock_rate (fleet, 1.0, &error))
        g_printerr ("certbench-devsim: could not set the sandbox clock back to real time: %s\n",
                    error->message);
      fleet->rate_set = FALSE;
    }
}

void
cbd_fleet_free (CbdFleet *fleet)
{
  if (fleet == NULL)
    return;
  cbd_fleet_stop (fleet);
  g_clear_pointer (&fleet->devices, g_ptr_array_unref);
  g_clear_pointer (&fleet->clock, cbd_clock_free);
  g_clear_object (&fleet->dps);
  g_clear_object (&fleet->profile);
  g_clear_object (&fleet->http);
  g_clear_object (&fleet->cancellable);
  g_free (fleet->roles);
  cbd_fleet_wipe_free (fleet->group_key);
  g_free (fleet->hub_host);
  g_free (fleet->hub_endpoint);
  g_free (fleet->sandbox_url);
  g_free (fleet->dps_endpoint);
  g_free (fleet->id_scope);
  g_free (fleet->ca_file);
  g_free (fleet->state_dir);
  g_free (fleet->prefix);
  g_free (fleet);
}

void
cbd_fleet_get_stats (CbdFleet      *fleet,
                     CbdFleetStats *stats)
{
  gint64 now;
  guint i;

  g_return_if_fail (fleet != NULL);
  g_return_if_fail (stats != NULL);

  memset (stats, 0, sizeof *stats);
  now = cbd_clock_now (fleet->clock);
  stats->now = now;
  stats->devices = fleet->count;
  for (i = 0; i < fleet->count; i++)
    {
      if (fleet->roles[i] & ROLE_OFFLINE)
        stats->offline++;
      if (fleet->roles[i] & ROLE_NEVER_RENEW)
        stats->never_renew++;
    }
  stats->registering = fleet->in_flight + g_queue_get_length (&fleet->queue);
  stats->t = fleet->start_us > 0 ? (g_get_monotonic_time () - fleet->start_us) / (double) G_USEC_PER_SEC
                                 : 0;
  stats->all_registered_at = fleet->all_registered_at;
  stats->all_connected_at = fleet->all_connected_at;
  stats->accelerated_at = fleet->accelerated_at;

  for (i = 0; i < fleet->devices->len; i++)
    {
      FleetDevice *fd = g_ptr_array_index (fleet->devices, i);
      cbd_status status;

      cbd_device_get_status (fd->device, &status);
      if (status.active)
        stats->registered++;
      if (status.active && status.not_after <= now)
        stats->expired++;
      if (status.hub_state == CBD_HUB_CONNECTED)
        stats->connected++;
      if (status.hub_state == CBD_HUB_REFUSED)
        stats->refused++;
      if (status.renew_state == CBD_RENEW_FAILED || status.dps_state == CBD_DPS_FAILED)
        stats->failed++;
      stats->renewed += status.renewals;
      stats->reregistered += status.reregistrations;
    }
}

char *
cbd_fleet_format_stats (const CbdFleetStats *stats)
{
  return g_strdup_printf ("t=%.1f registered=%u connected=%u renewed=%u reregistered=%u "
                          "refused=%u expired=%u failed=%u",
                          stats->t, stats->registered, stats->connected, stats->renewed,
                          stats->reregistered, stats->refused, stats->expired, stats->failed);
}

const char *
cbd_fleet_get_registration_id (CbdFleet *fleet,
                               guint     index)
{
  g_return_val_if_fail (fleet != NULL && index < fleet->devices->len, NULL);
  return ((FleetDevice *) g_ptr_array_index (fleet->devices, index))->reg_id;
}

gboolean
cbd_fleet_is_offline (CbdFleet *fleet,
                      guint     index)
{
  g_return_val_if_fail (fleet != NULL && index < fleet->count, FALSE);
  return (fleet->roles[index] & ROLE_OFFLINE) != 0;
}

gboolean
cbd_fleet_is_never_renew (CbdFleet *fleet,
                          guint     index)
{
  g_return_val_if_fail (fleet != NULL && index < fleet->count, FALSE);
  return (fleet->roles[index] & ROLE_NEVER_RENEW) != 0;
}
