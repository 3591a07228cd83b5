/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The GLib host around the portable device: pty transport with pacing and faults, file
 * storage, GnuTLS crypto and DPS over HTTPS. Nothing in here is part of the protocol. */
#pragma once

#include <glib.h>

#include "cbd-clock.h"
#include "cbd-device.h"

G_BEGIN_DECLS

typedef enum
{
  CBD_PERSONALITY_SMP,         /* Certbench's bench group over SMP (cbd-device.c) */
  CBD_PERSONALITY_NRF91,       /* a Nordic nRF91 modem's AT interface (cbd-at-modem.c) */
} CbdPersonality;

typedef struct
{
  char    *state_dir;
  char    *link_path;
  char    *serial;
  char    *model;
  int      group;
  int      frame_size;
  int      buf_size;
  int      slot_size;
  char   **key_types;          /* NULL: p256 and p384 */

  int      baud;               /* 0: as fast as the pty goes */
  int      chatter_ms;         /* 0: no log chatter */

  /* transport faults */
  double   flip_rate;          /* probability per byte, both directions */
  double   drop_rate;
  guint32  fault_seed;
  int      stall_ms;           /* one stall of this length... */
  gint64   stall_after;        /* ...once this many bytes were sent */
  gint64   unplug_after;       /* close the pty after this many bytes were sent; 0: never */
  int      slow_keygen_ms;

  /* protocol faults */
  gboolean wrong_cn;
  gboolean csr_other_key;
  gboolean refuse_commit;
  gboolean unplug_at_commit;   /* activate a committed chain, then unplug before answering */

  /* issue 5 */
  double   renew_fraction;     /* 0: 0.8 */
  gboolean no_network;         /* no DPS, no hub: dps_* and hub_config answer not_supported */
  CbdClock *clock;             /* borrowed; NULL: real time */

  /* issue 15: what the device speaks on the pty */
  CbdPersonality personality;
  int      at_cfun;            /* nrf91: functional mode at power-on */
  gboolean at_urc;             /* nrf91: +CEREG notifications subscribed at power-on */

  /* issue 18: a factory onboarding certificate (X.509 attestation to DPS over MQTT), given
   * as files or minted at start by a test factory CA for CN=onboarding_id */
  char    *onboarding_cert;
  char    *onboarding_key;     /* a secret's file */
  char    *factory_ca;
  char    *factory_ca_key;     /* a secret's file */
  char    *onboarding_id;      /* NULL: the serial */
  /* With an onboarding certificate: the DPS the device registers with by itself at start
   * when it has no certificate yet (as a factory-provisioned device does), and the hub
   * endpoint ("host:port") to use instead of the assigned hub's name; NULL: wait for a
   * station's dps_config. ca_file: the trust anchors of both (NULL: system trust). */
  char    *dps_scope;
  char    *dps_endpoint;       /* "mqtts://host:port"; NULL: the global endpoint */
  char    *hub_endpoint;
  char    *ca_file;
} CbdOptions;

typedef struct _CbdHost CbdHost;

CbdHost    *cbd_host_new           (const CbdOptions *options,
                                    GError          **error);
void        cbd_host_free          (CbdHost          *host);
const char *cbd_host_get_pty_path  (CbdHost          *host);
/* Runs until cbd_host_quit() or an unplug. Returns the exit status. */
int         cbd_host_run           (CbdHost          *host);
void        cbd_host_quit          (CbdHost          *host);

/* Private: the platform pieces, one file each. */
typedef struct
{
  char     *dir;
  /* Set after cbd_storage_init(): saves stay atomic (write, rename) but skip fsync, so they
   * survive a crash of the process but not of the machine. For a simulated fleet, where a
   * thousand devices renewing at once would otherwise wait seconds for the disk. */
  gboolean  no_fsync;
} CbdStorage;

gboolean    cbd_storage_init       (CbdStorage       *storage,
                                    const char       *dir,
                                    GError          **error);
void        cbd_storage_clear      (CbdStorage       *storage);
int         cbd_storage_load       (void *ctx, const char *name, uint8_t **data, size_t *len);
int         cbd_storage_save       (void *ctx, const char *name, const uint8_t *data, size_t len);
int         cbd_storage_remove     (void *ctx, const char *name);

/* Crypto callbacks (random, keygen, public_key, csr, sign, cert_info, sha256, cert_cn);
 * they ignore ctx, so any host can use them. */
void        cbd_crypto_fill        (cbd_platform     *platform);
void        cbd_crypto_set_keygen_delay (int ms);

/* DPS: registers in the background and reports to the device. */
typedef struct _CbdDps CbdDps;
CbdDps     *cbd_dps_new            (void);
void        cbd_dps_free           (CbdDps           *dps);
void        cbd_dps_set_device     (CbdDps           *dps,
                                    cbd_device       *device);
int         cbd_dps_register       (void *ctx, const cbd_dps_params *params,
                                    const uint8_t *csr, size_t csr_len);
/* X.509 attestation: registrations present certificate (with its key) over MQTT and send
 * no SAS; NULL: the symmetric key of the DPS configuration. */
void        cbd_dps_set_onboarding (CbdDps           *dps,
                                    GTlsCertificate  *certificate);

/* The hub connection: libmosquitto driven by the thread-default GLib main context (no
 * threads; thousands of them in one process are fine). One CbdHub per device. dir: the
 * device's state directory, where the client chain and key go as PEM files (0600) for
 * libmosquitto. Calls mosquitto_lib_init() once per process. */
typedef struct _CbdHub CbdHub;
CbdHub     *cbd_hub_new            (const char       *dir);
/* Closes the connection without an event to the device. */
void        cbd_hub_free           (CbdHub           *hub);
/* Where events go (cbd_device_hub_event / _hub_message); NULL: nowhere. */
void        cbd_hub_set_device     (CbdHub           *hub,
                                    cbd_device       *device);
/* The cbd_platform hub callbacks; ctx is the CbdHub. */
int         cbd_hub_connect        (void *ctx, const cbd_hub_params *params);
void        cbd_hub_disconnect     (void *ctx);
int         cbd_hub_subscribe      (void *ctx, const char *topic);
int         cbd_hub_publish        (void *ctx, const char *topic, const uint8_t *payload,
                                    size_t len);

G_END_DECLS
