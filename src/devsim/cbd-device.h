/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device side of the bench protocol, written as a portable reference: plain C11 with
 * libcbor and certbench-proto, no GLib. Everything that depends on the platform (transport,
 * clock, storage, crypto, DPS over HTTPS) sits behind cbd_platform. This header is the whole
 * public API; behind it the code is split by what a firmware team may need: cbd-device.c (the
 * session and command dispatch) and cbd-util.c always, then cbd-keystore.c, cbd-csr.c,
 * cbd-cert-store.c and cbd-cert.c for bench provisioning, cbd-dps.c for DPS, cbd-hub.c,
 * cbd-renewal.c and cbd-hub-codec.c for the hub connection and renewal, cbd-diag.c for info,
 * diag and status. The team ports those files and writes the callbacks for its RTOS.
 * docs/bench-protocol.md is the contract. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  const char *scope;
  const char *reg_id;
  const char *key;         /* base64 symmetric key: a secret, never log it; NULL (or "")
                            * with cbd_config.dps_x509 */
  const char *endpoint;    /* host name or https:// URL */
  const char *ca_path;     /* NULL: system trust */
} cbd_dps_params;

/* What the platform needs to open the hub connection (MQTT 3.1.1 over TLS, client cert). */
typedef struct
{
  const char    *host;        /* assigned hub host name */
  const char    *device_id;   /* also the MQTT client id */
  const char    *username;    /* "{host}/{device_id}/?api-version=2025-08-01-preview" */
  const char    *endpoint;    /* "host:port" to connect to; already defaulted to host:8883 */
  const char    *ca_path;     /* PEM CA file to trust; NULL: system trust */
  const uint8_t *chain;       /* DER certificates, leaf first, concatenated */
  size_t         chain_len;
  const uint8_t *key;         /* the leaf's platform key blob: a secret, never log it */
  size_t         key_len;
  int            keepalive;   /* seconds */
} cbd_hub_params;

/* Return conventions: 0 success, -1 failure. Buffers returned through uint8_t ** are
 * malloc'd and freed by the device with free(). */
typedef struct
{
  void *ctx;

  /* Transport: queue bytes for the station (already framed SMP, or a log line). */
  void    (*write)       (void *ctx, const uint8_t *data, size_t len);

  /* Clock: Unix seconds. */
  int64_t (*now)         (void *ctx);

  /* Random bytes (identity, throwaway keys). */
  int     (*random)      (void *ctx, uint8_t *out, size_t len);

  /* Storage of named blobs ("key", "active", ...). load returns 1 when the blob does not exist.
   * save replaces a blob atomically (old or new content after a power cut, never a mix). */
  int     (*load)        (void *ctx, const char *name, uint8_t **data, size_t *len);
  int     (*save)        (void *ctx, const char *name, const uint8_t *data, size_t len);
  int     (*remove)      (void *ctx, const char *name);

  /* Crypto. Keys are opaque blobs to the device (the platform may store a handle instead). */
  int     (*keygen)      (void *ctx, const char *type, uint8_t **key, size_t *key_len);
  /* DER SubjectPublicKeyInfo of a key. */
  int     (*public_key)  (void *ctx, const uint8_t *key, size_t key_len,
                          uint8_t **spki, size_t *spki_len);
  /* DER PKCS#10 with subject CN=cn, signed by key. */
  int     (*csr)         (void *ctx, const uint8_t *key, size_t key_len, const char *cn,
                          uint8_t **der, size_t *der_len);
  /* DER ECDSA signature over msg (SHA-256 for P-256, SHA-384 for P-384). */
  int     (*sign)        (void *ctx, const uint8_t *key, size_t key_len,
                          const uint8_t *msg, size_t msg_len, uint8_t **sig, size_t *sig_len);
  /* Parses one DER certificate: its SPKI (may be NULL to only validate) and validity. */
  int     (*cert_info)   (void *ctx, const uint8_t *der, size_t der_len,
                          uint8_t **spki, size_t *spki_len, int64_t *not_before,
                          int64_t *not_after);
  void    (*sha256)      (void *ctx, const uint8_t *data, size_t len, uint8_t out[32]);

  /* Starts a DPS registration in the background (NULL: the device has no network). The
   * platform reports the outcome with cbd_device_dps_result(). */
  int     (*dps_register) (void *ctx, const cbd_dps_params *params,
                           const uint8_t *csr, size_t csr_len);

  /* ---- issue 5: the hub connection. All optional: NULL hub_connect means the device has no
   * network to the hub (hub_config answers not_supported). ---- */

  /* Subject CN of one DER certificate (malloc'd, free()). Checked on a hub renewal. NULL: the
   * CN is not checked. */
  int     (*cert_cn)     (void *ctx, const uint8_t *der, size_t der_len, char **cn);

  /* Monotonic real-time milliseconds for timeouts and reconnect backoff (which run in real
   * time even when the device clock runs faster). NULL: now() * 1000. */
  int64_t (*monotonic_ms) (void *ctx);

  /* Starts connecting to the hub in the background with params (copy what you keep: the
   * pointers are only valid during the call). An open connection is closed first. Report
   * the outcome with cbd_device_hub_event(): CBD_HUB_EV_CONNECTED once the CONNACK accepted;
   * CBD_HUB_EV_REFUSED (CONNACK refused), CBD_HUB_EV_UNREACHABLE (TCP/TLS failure) otherwise.
   * Returns -1 when it could not even start (then no event follows). */
  int     (*hub_connect)    (void *ctx, const cbd_hub_params *params);
  /* Closes the connection; no event follows. Safe when not connected. */
  void    (*hub_disconnect) (void *ctx);
  /* QoS 0 subscribe / QoS 1 publish on the open connection. -1 when not connected. */
  int     (*hub_subscribe)  (void *ctx, const char *topic);
  int     (*hub_publish)    (void *ctx, const char *topic, const uint8_t *payload,
                             size_t len);

  /* Optional (may be NULL): called after any change of what cbd_device_get_status() reports
   * (hub state, renewal state, DPS state, active certificate). A fleet counts with it. Must
   * not free the device. */
  void    (*notify)      (void *ctx);

  /* Optional (may be NULL), fault injection only: cut the link to the station now; what the
   * device writes from here on is lost. */
  void    (*unplug)      (void *ctx);
} cbd_platform;

typedef struct
{
  const char        *serial;       /* NULL: loaded from storage or made up once and stored */
  const char        *model;
  const char        *fw;
  uint16_t           group;        /* bench group id, >= 64 */
  size_t             frame_size;   /* console frame size of what the device sends */
  size_t             buf_size;     /* SMP buffer (MCUmgr params) */
  size_t             buf_count;
  size_t             slot_size;    /* largest chain */
  const char *const *key_types;    /* NULL-terminated; NULL: p256 and p384 */

  /* Faults in the protocol logic (the transport faults live in the platform). */
  bool               fault_wrong_cn;       /* CSR subject is not the requested CN */
  bool               fault_csr_other_key;  /* CSR made with a throwaway key */
  bool               fault_refuse_commit;  /* cert_commit answers commit_refused */
  bool               fault_unplug_at_commit; /* cert_commit activates, then platform->unplug
                                              * before the answer leaves */

  /* Hub renewal point: not_before + renew_fraction * lifetime (device clock). 0: 0.8. */
  double             renew_fraction;
  /* Never renew (neither through the hub nor DPS): a fleet's devices that let their
   * certificate expire. */
  bool               never_renew;
  /* The platform registers with a factory onboarding certificate (X.509 attestation): a DPS
   * configuration needs no symmetric key. */
  bool               dps_x509;
} cbd_config;

typedef struct cbd_device cbd_device;

/* Loads the state from storage (key, slots, DPS configuration) and finishes a commit that a
 * power cut interrupted. Returns NULL on no memory or unreadable storage. */
cbd_device *cbd_device_new   (const cbd_config *config, const cbd_platform *platform);
void        cbd_device_free  (cbd_device *dev);

/* Bytes from the station. Complete requests are answered through platform->write. */
void        cbd_device_feed  (cbd_device *dev, const uint8_t *data, size_t len);

/* A line of device log on the console ("I: ..."); a newline is added. */
void        cbd_device_log   (cbd_device *dev, const char *line);

/* The platform's DPS outcome. chain: DER certificates, leaf first, concatenated. */
void        cbd_device_dps_result (cbd_device    *dev,
                                   bool           ok,
                                   const char    *error,
                                   const char    *hub,
                                   const char    *device_id,
                                   const uint8_t *chain,
                                   size_t         chain_len);
/* Record the last TLS error text (shown by diag). */
void        cbd_device_set_tls_error (cbd_device *dev, const char *error);

/* ---- issue 5: hub connection, renewal, direct configuration ----
 *
 * A device with a hub configuration and an active certificate connects by itself: at once
 * when both come to exist (a device loaded from storage with both: at its first
 * cbd_device_tick()), again after every commit (bench cert_commit, a DPS auto-commit, a hub
 * renewal). While its certificate has expired by the device clock it does not connect. On connect it subscribes $iothub/twin/res/# and $iothub/credentials/res/#, and
 * reports {"certificate":{"validFrom","validUntil"}} to the twin. cbd_device_tick() drives
 * reconnects (backoff 1, 2, 4 .. 60 s real time; 30 s after a refusal), the renewal point
 * (a fresh key, issueCertificate over MQTT, install, reconnect) and, when the active
 * certificate has expired by the device clock, re-registration through DPS (needs a DPS
 * configuration; commits by itself). */

typedef enum
{
  CBD_HUB_EV_CONNECTED,      /* CONNACK accepted; text NULL */
  CBD_HUB_EV_REFUSED,        /* CONNACK refused; text e.g. "CONNACK 5: not authorized" */
  CBD_HUB_EV_UNREACHABLE,    /* TCP or TLS failed; text e.g. "TLS: certificate verify failed" */
  CBD_HUB_EV_DISCONNECTED,   /* an accepted connection was lost; text may be NULL */
} cbd_hub_event;

/* The platform's hub events (see cbd_platform.hub_connect). */
void        cbd_device_hub_event   (cbd_device *dev, cbd_hub_event event, const char *text);
/* A PUBLISH the hub sent (twin and credentials responses). */
void        cbd_device_hub_message (cbd_device *dev, const char *topic,
                                    const uint8_t *payload, size_t len);

/* Call about once a second (any rate from 0.2 s to 5 s works). Cheap when nothing is due. */
void        cbd_device_tick        (cbd_device *dev);

/* Direct configuration, the same as the bench commands (for hosts without a station, like the
 * fleet). Return 0 or a cbp_rc (CBP_RC_NOT_SUPPORTED, CBP_RC_STORAGE, CBP_RC_BAD_SUBJECT...).
 * Both store the configuration persistently. */
int         cbd_device_dps_configure (cbd_device *dev, const cbd_dps_params *params);
/* host and device_id may be NULL: then the next DPS registration started with
 * cbd_device_register() fills them from its assignment (endpoint and ca_path stay). */
int         cbd_device_hub_configure (cbd_device *dev, const char *host, const char *device_id,
                                      const char *endpoint, const char *ca_path);
/* Starts a DPS registration with a fresh key (key_type NULL: "p256") that commits the issued
 * chain by itself and then connects to the hub (when one is configured). Returns 0 (started;
 * watch cbd_device_get_status()) or a cbp_rc: CBP_RC_DPS_NOT_CONFIGURED, CBP_RC_DPS_BUSY,
 * CBP_RC_NOT_SUPPORTED, CBP_RC_CRYPTO... */
int         cbd_device_register    (cbd_device *dev, const char *key_type);

typedef enum
{
  CBD_HUB_OFF,            /* no hub configured or no active certificate */
  CBD_HUB_CONNECTING,
  CBD_HUB_CONNECTED,
  CBD_HUB_REFUSED,
  CBD_HUB_UNREACHABLE,
  CBD_HUB_DISCONNECTED,
} cbd_hub_state;

typedef enum
{
  CBD_RENEW_NONE,         /* never tried */
  CBD_RENEW_REQUESTED,
  CBD_RENEW_RENEWED,
  CBD_RENEW_FAILED,
  CBD_RENEW_REREGISTERED,
} cbd_renew_state;

typedef enum
{
  CBD_DPS_IDLE,           /* also: not configured */
  CBD_DPS_RUNNING,
  CBD_DPS_ASSIGNED,       /* chain staged, waiting for the station's commit */
  CBD_DPS_FAILED,
} cbd_dps_state;

/* A snapshot; the strings belong to the device and stay valid until its next call. */
typedef struct
{
  bool            active;           /* an active certificate is installed */
  int64_t         not_before;       /* of the active leaf (device clock, Unix s) */
  int64_t         not_after;
  int64_t         renew_at;
  cbd_hub_state   hub_state;
  const char     *hub_error;        /* NULL when none */
  int64_t         hub_time;         /* device clock when hub_state last changed; 0: never */
  bool            twin_reported;    /* the hub acknowledged (204) the current dates */
  cbd_renew_state renew_state;
  const char     *renew_error;
  int64_t         renew_time;
  unsigned        renewals;         /* successful hub renewals since start */
  unsigned        reregistrations;  /* successful DPS re-registrations since start */
  cbd_dps_state   dps_state;
  const char     *dps_error;
  const char     *hub_host;         /* configured hub, NULL when none */
  const char     *device_id;
} cbd_status;

void        cbd_device_get_status  (cbd_device *dev, cbd_status *status);
const char *cbd_hub_state_name     (cbd_hub_state state);     /* "off", "connecting", ... */
const char *cbd_renew_state_name   (cbd_renew_state state);   /* NULL for NONE */

const char *cbd_device_get_serial (cbd_device *dev);
/* Frame errors the decoder counted (bad base64, CRC, length...). */
unsigned long cbd_device_get_frame_errors (cbd_device *dev);

/* Splits concatenated DER certificates: returns the length of the first element (tag 0x30,
 * definite length), or 0 when data does not start with a complete one. */
size_t      cbd_der_element_len (const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif
