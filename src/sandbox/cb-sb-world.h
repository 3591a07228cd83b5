/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The sandbox's world: its settings and owned state, shared by every layer, and its clocks.
 * Internal to src/sandbox. */

#include <glib-object.h>
#include <libsoup/soup.h>
#include <sqlite3.h>
#include "cb-sandbox.h"

G_BEGIN_DECLS

/* ---- Constants ------------------------------------------------------------------------ */

#define CB_SB_AUD_ARM  "https://management.azure.com"
#define CB_SB_AUD_HUB  "https://iothubs.azure.net"
#define CB_SB_AUD_DPS  "https://azure-devices-provisioning.net"

#define CB_SB_ARM_API_VERSION       "2026-03-01-preview"
#define CB_SB_ARM_API_VERSION_OLD   "2025-11-01-preview"
/* The stable model (certificate authorities, linked endpoints, registry devices) and the
 * preview that adds to it (authentication profiles). */
#define CB_SB_ARM_API_VERSION_STABLE          "2026-11-01"
#define CB_SB_ARM_API_VERSION_STABLE_PREVIEW  "2026-11-02-preview"
#define CB_SB_HUB_ARM_API_VERSION   "2025-08-01-preview"
#define CB_SB_ACTIVITY_API_VERSION  "2015-04-01"
#define CB_SB_DPS_API_VERSION       "2025-07-01-preview"
/* DPS with the stable ADR model: enrollments name a certificate authority and policy. */
#define CB_SB_DPS_API_VERSION_STABLE "2026-11-01"
#define CB_SB_HUB_API_VERSION       "2021-04-12"

#define CB_SB_ROLE_OWNER                  "Owner"
#define CB_SB_ROLE_CONTRIBUTOR            "Contributor"
#define CB_SB_ROLE_READER                 "Reader"
#define CB_SB_ROLE_ADR_CONTRIBUTOR        "Azure Device Registry Contributor"
#define CB_SB_ROLE_ADR_CREDENTIALS        "Azure Device Registry Credentials Contributor"

/* ---- The sandbox object --------------------------------------------------------------- */

typedef struct _CbSbRoute CbSbRoute;
typedef struct _CbSbFault CbSbFault;
typedef struct _CbSbEvents CbSbEvents;

struct _CbSandbox
{
  GObject       parent_instance;

  /* Settings */
  char         *data_dir;
  char         *bind_address;
  gboolean      allow_remote;
  guint16       port;
  guint16       mqtt_port;          /* the hub device endpoint (MQTT over TLS); 0: any free port */
  guint16       azure_https_port;   /* HTTPS on this port too (443, --azure-hosts); 0: none */
  guint         page_size;          /* ARM nextLink and hub query page size */
  guint         lro_delay_ms;       /* how long an LRO reports InProgress */
  guint         max_policies;       /* per credential: 1 in the preview */
  gboolean      auto_approve;       /* Entra device codes approve themselves */
  guint         device_code_interval; /* seconds between token polls (Entra default 5) */

  /* Owned */
  sqlite3      *db;
  GHashTable   *statements;         /* SQL text -> sqlite3_stmt*, cached */
  GHashTable   *keys;               /* key_ref -> CbKey*, each key file parsed once */
  GHashTable   *issuers;            /* issuer id -> the ICA kept parsed (cb-sb-issuance.c) */
  SoupServer   *server;
  char         *base_url;
  char         *ca_file;
  GPtrArray    *routes;             /* CbSbRoute */
  GPtrArray    *faults;             /* CbSbFault */
  gint64        clock_offset;       /* seconds added to the real clock (POST /sandbox/clock) */
  double        clock_rate;         /* how fast the world clock runs (1: real time) */
  gint64        clock_rate_since;   /* real usec when the rate was last set */
  gint64        clock_accel_usec;   /* world time gained at earlier rates, before rate_since */
  CbSbEvents   *events;             /* signals to the layers above (cb-sb-events.h) */
  GHashTable   *module_data;        /* module name -> gpointer, for modules' in-memory state */
  int           lock_fd;            /* the data folder's lock (cb-sb-folder-lock.c), or -1 */
  struct _CbSbListener *listener;   /* the HTTPS listener (cb-sb-listener.c) */
  guint         handshake_timeout_ms; /* a TLS handshake, from accept (0: none) */
  guint         idle_timeout_ms;    /* an HTTPS connection with no request (0: none) */
  gint64        date_second;        /* the world second date_text was written for */
  char          date_text[40];      /* the HTTP Date of that second (cb-sb-router.c) */

  /* Thread mode */
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  GRecMutex     lock;
  GMutex        mutex;
  GCond         cond;
  gboolean      thread_ready;
  GError       *thread_error;
};

/* The sandbox's world clock: real time plus the offset tests set, running `rate` times as
 * fast as real time once a rate is set (a simulated fleet lives a day a second). Use it for
 * everything a device or a certificate sees, never g_get_real_time() directly, so expiry and
 * renewal can be tested. */
gint64        cb_sb_now              (CbSandbox   *self);      /* unix seconds */
gint64        cb_sb_now_usec         (CbSandbox   *self);
/* The sign-in clock: real time plus the offset only, never accelerated. Entra's codes and
 * tokens and the expiry of SAS tokens live on it (clients sign with their own clock), so an
 * accelerated world does not sign everyone out every second. */
gint64        cb_sb_session_now      (CbSandbox   *self);      /* unix seconds */

G_END_DECLS
