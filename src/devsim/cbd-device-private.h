/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portable device's private state: struct cbd_device, the key slot, the storage blob names
 * and the hub timings. Every cbd-*.c file of the portable device includes it (through its own
 * header); nothing outside the portable device does. A firmware port keeps it as is and drops the
 * fields of the modules it leaves out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbp-frame.h"
#include "cbp-group.h"

#include "cbd-device.h"

/* Storage blob names */
#define BLOB_SERIAL    "serial"
#define BLOB_KEY       "key"
#define BLOB_KEY_NEXT  "key-next"
#define BLOB_ACTIVE    "active"
#define BLOB_STAGING   "staging"
#define BLOB_DPS       "dps"
#define BLOB_HUB       "hub"

/* Hub timing, in real seconds (the device clock may run faster). */
#define HUB_BACKOFF_MAX_S       60
#define HUB_REFUSED_RETRY_S     30
#define HUB_CONNECT_TIMEOUT_S   60
#define HUB_KEEPALIVE_S         60
#define TWIN_RETRY_S            30
#define RENEW_ACCEPT_TIMEOUT_S  30    /* no 202 by then: ask again with replace */
#define RENEW_RESULT_TIMEOUT_S  120   /* 202 but no result by then: ask again with replace */
#define RENEW_RETRY_S           30    /* after a failed renewal */
#define REREGISTER_RETRY_S      30
#define HUB_API_VERSION         "2025-08-01-preview"

/* Handler results: 0 ok, > 0 a bench-group rc, < 0 a generic SMP rc (negated). */
#define GENERIC(rc) (-(rc))

typedef struct
{
  uint8_t *blob;       /* platform key */
  size_t   blob_len;
  char    *type;       /* "p256" */
  uint8_t *pub;        /* DER SPKI */
  size_t   pub_len;
} cbd_key_slot;

enum
{
  DPS_IDLE,
  DPS_RUNNING,
  DPS_ASSIGNED,
  DPS_FAILED,
};

struct cbd_device
{
  cbd_config      cfg;
  cbd_platform    plat;
  cbp_decoder    *dec;
  char           *serial;
  int64_t         boot_time;

  cbd_key_slot        key;        /* current: belongs to the active chain */
  cbd_key_slot        next;       /* made by keygen with replace, not committed yet */

  uint8_t        *active;
  size_t          active_len;
  bool            active_valid;
  int64_t         active_not_before;
  int64_t         active_not_after;

  uint8_t        *staging;     /* staging_total bytes allocated */
  size_t          staging_len;
  size_t          staging_total;
  uint8_t         staging_sha[CBP_SHA256_LEN];
  bool            staging_done;  /* complete and hash checked */

  cbp_dps_config_req dps;      /* scope == NULL: not configured */
  int             dps_state;
  char           *dps_error;
  char           *dps_hub;
  char           *dps_device_id;

  char           *last_tls_error;
  char           *last_dps_error;

  /* DPS registrations started with cbd_device_register() commit by themselves. */
  bool            dps_auto_commit;
  bool            dps_rereg;          /* ... and this one replaces an expired certificate */
  int64_t         rereg_next_ms;

  /* hub: hub.host == NULL means none configured; "" means "from the next DPS assignment" */
  cbp_hub_config_req hub;
  cbd_hub_state   hub_state;
  char           *hub_error;
  int64_t         hub_time;
  int64_t         hub_next_try_ms;    /* reconnect due (monotonic), 0: none scheduled */
  int64_t         hub_connect_ms;     /* when the current attempt started */
  unsigned        hub_backoff_s;
  uint64_t        rid;                /* last $rid used */
  uint64_t        twin_rid;
  bool            twin_reported;
  int64_t         twin_sent_ms;

  /* renewal through the hub */
  cbd_renew_state renew_state;
  char           *renew_error;
  int64_t         renew_time;
  bool            renew_active;       /* a request is out */
  bool            renew_accepted;     /* ... and got its 202 */
  uint64_t        renew_rid;
  int64_t         renew_sent_ms;
  int64_t         renew_next_ms;      /* no new attempt before (monotonic) */
  char           *renew_body_csr;     /* base64 CSR of the active request, for a replace */
  unsigned        renew_conflicts;
  unsigned        renewals;
  unsigned        reregistrations;
};
