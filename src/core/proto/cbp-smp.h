/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SMP header (8 bytes, big-endian). Plain C11, no GLib. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CBP_SMP_HEADER_LEN 8

typedef enum
{
  CBP_OP_READ = 0,
  CBP_OP_READ_RSP = 1,
  CBP_OP_WRITE = 2,
  CBP_OP_WRITE_RSP = 3,
} cbp_op;

typedef enum
{
  CBP_SMP_V1 = 0,
  CBP_SMP_V2 = 1,
} cbp_smp_version;

#define CBP_GROUP_OS 0

/* Generic SMP (MGMT_ERR) codes, used as {"rc": N}. */
typedef enum
{
  CBP_SMP_RC_OK = 0,
  CBP_SMP_RC_UNKNOWN = 1,
  CBP_SMP_RC_NO_MEMORY = 2,
  CBP_SMP_RC_INVALID = 3,
  CBP_SMP_RC_TIMEOUT = 4,
  CBP_SMP_RC_NO_ENTRY = 5,
  CBP_SMP_RC_BAD_STATE = 6,
  CBP_SMP_RC_TOO_LARGE = 7,
  CBP_SMP_RC_NOT_SUPPORTED = 8,
  CBP_SMP_RC_CORRUPT = 9,
  CBP_SMP_RC_BUSY = 10,
  CBP_SMP_RC_ACCESS_DENIED = 11,
  CBP_SMP_RC_TOO_OLD = 12,
  CBP_SMP_RC_TOO_NEW = 13,
} cbp_smp_rc;

typedef struct
{
  uint8_t  version;   /* cbp_smp_version */
  uint8_t  op;        /* cbp_op */
  uint8_t  flags;
  uint16_t len;       /* CBOR payload length */
  uint16_t group;
  uint8_t  seq;
  uint8_t  id;
} cbp_smp_header;

void cbp_smp_header_pack   (const cbp_smp_header *hdr, uint8_t out[CBP_SMP_HEADER_LEN]);
/* Returns 0, or -1 when len < 8, a reserved bit is set or the version is above 1. */
int  cbp_smp_header_unpack (const uint8_t *in, size_t len, cbp_smp_header *hdr);

bool cbp_smp_op_is_response (uint8_t op);
/* The response op for a request op (read -> read response, write -> write response). */
uint8_t cbp_smp_response_op (uint8_t request_op);
const char *cbp_smp_rc_name (int rc);   /* "ok", "invalid value", ... or "?" */

/* Builds header + payload into a malloc'd packet (hdr->len is set from payload_len).
 * Returns 0 or -1 (payload over 65535 bytes, no memory). */
int cbp_smp_packet_build (const cbp_smp_header *hdr,
                          const uint8_t        *payload,
                          size_t                payload_len,
                          uint8_t             **out,
                          size_t               *out_len);
/* Splits a packet: checks the header and that the payload length matches. Returns 0 or -1.
 * *payload points into packet. */
int cbp_smp_packet_parse (const uint8_t   *packet,
                          size_t           len,
                          cbp_smp_header  *hdr,
                          const uint8_t  **payload);

#ifdef __cplusplus
}
#endif
