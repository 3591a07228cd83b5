/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device side of the bench protocol, written as a portable reference: plain C11 with
 * libcbor and certbench-proto, no GLib. Everything that depends on the platform (transport,
 * clock, storage, crypto, DPS over HTTPS) sits behind cbd_platform. A firmware team ports
 * this file and writes the callbacks for its RTOS. docs/bench-protocol.md is the contract. */
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
  const char *key;         /* base64 symmetric key: a secret, never log it */
  const char *endpoint;    /* host name or https:// URL */
  const char *ca_path;     /* NULL: system trust */
} cbd_dps_params;

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

const char *cbd_device_get_serial (cbd_device *dev);
/* Frame errors the decoder counted (bad base64, CRC, length...). */
unsigned long cbd_device_get_frame_errors (cbd_device *dev);

/* Splits concatenated DER certificates: returns the length of the first element (tag 0x30,
 * definite length), or 0 when data does not start with a complete one. */
size_t      cbd_der_element_len (const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif
