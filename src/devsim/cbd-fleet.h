/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A simulated fleet: N portable devices in one process on one GLib main loop, no ptys. Each
 * registers through DPS with a CSR, connects to the hub, reports its twin and renews on the
 * sandbox's (possibly accelerated) clock; a seeded choice of them never renews or never
 * connects, so the fleet expiry view has something real to show. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *sandbox_url;       /* "https://127.0.0.1:7443": its /sandbox/info is read */
  const char *ca_file;           /* the sandbox CA to pin (HTTPS and MQTT) */
  const char *state_dir;         /* DIR/{registration id}/ per device */
  guint       count;             /* N */
  double      days_per_second;   /* 0: real time; else the sandbox clock runs D x 86400 */
  double      never_renew;       /* fraction that lets its certificate expire */
  double      offline;           /* fraction that registers once and never connects */
  const char *prefix;            /* registration ids are {prefix}0001..; NULL: "fleet-" */
  guint32     seed;              /* which devices are never-renew and offline */
  guint       max_registering;   /* DPS registrations in flight at once; 0: 32 */
  double      renew_fraction;    /* renewal point as a fraction of the lifetime; 0: 0.8 */
  double      renew_jitter;      /* each device renews at renew_fraction - jitter x U(0,1),
                                  * seeded, so that a fleet registered on one day does not
                                  * renew in one burst; 0: none */

  /* Without a sandbox (sandbox_url NULL): plain DPS and hub, as on Azure. Real time only (no
   * days_per_second); ca_file may then be NULL (system trust). */
  const char *dps_endpoint;      /* "https://global.azure-devices-provisioning.net" */
  const char *id_scope;
  const char *group_key;         /* the enrollment group's key, base64: a secret */
  const char *hub_endpoint;      /* "host:port" instead of {assigned hub}:8883; may be NULL */
} CbdFleetOptions;

typedef struct
{
  guint  devices;
  guint  offline;          /* devices that never connect (by the seeded choice) */
  guint  never_renew;      /* devices that never renew */
  guint  registered;       /* devices with an active certificate */
  guint  connected;        /* devices connected to the hub now */
  guint  renewed;          /* successful hub renewals since start, all devices */
  guint  reregistered;     /* successful DPS re-registrations of expired devices since start */
  guint  refused;          /* devices whose last connection was refused (CONNACK 5) */
  guint  expired;          /* devices whose active certificate expired (device clock) */
  guint  failed;           /* devices whose last DPS registration or renewal failed */
  guint  registering;      /* DPS registrations in flight or queued */
  gint64 now;              /* the devices' clock, Unix seconds */
  double t;                /* real seconds since cbd_fleet_start */
  double all_registered_at;  /* t when every device first had a certificate; 0: not yet */
  double all_connected_at;   /* t when every online device was first connected; 0: not yet */
  double accelerated_at;     /* t when the sandbox clock took the --days-per-second rate */
} CbdFleetStats;

typedef struct _CbdFleet CbdFleet;

CbdFleet   *cbd_fleet_new              (const CbdFleetOptions *options);
/* Reads /sandbox/info, follows the sandbox clock and creates the devices; registrations,
 * connections and renewals then run on the thread-default main context. Once the first
 * registrations are done it sets the sandbox clock rate (days_per_second x 86400), so day 0 is
 * the same for the whole fleet. Iterates the context while it waits for the sandbox. */
gboolean    cbd_fleet_start            (CbdFleet              *fleet,
                                        GError               **error);
/* Stops the devices (closes their connections) and sets the sandbox clock rate back to 1 when
 * the fleet changed it. Iterates the thread-default main context for at most a few seconds. */
void        cbd_fleet_stop             (CbdFleet              *fleet);
void        cbd_fleet_free             (CbdFleet              *fleet);

void        cbd_fleet_get_stats        (CbdFleet              *fleet,
                                        CbdFleetStats         *stats);
/* "t=12.0 registered=... connected=... renewed=... reregistered=... refused=... expired=...
 * failed=..." (t: real seconds since start). */
char       *cbd_fleet_format_stats     (const CbdFleetStats   *stats);

/* The seeded roles, for tests and the benchmark: index 0..count-1. */
const char *cbd_fleet_get_registration_id (CbdFleet           *fleet,
                                           guint               index);
gboolean    cbd_fleet_is_offline       (CbdFleet              *fleet,
                                        guint                  index);
gboolean    cbd_fleet_is_never_renew   (CbdFleet              *fleet,
                                        guint                  index);


G_END_DECLS
