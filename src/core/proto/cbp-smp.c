/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cbp-smp.h"

#include <stdlib.h>
#include <string.h>

void
cbp_smp_header_pack (const cbp_smp_header *hdr, uint8_t out[CBP_SMP_HEADER_LEN])
{
  out[0] = (uint8_t) (((hdr->version & 0x3) << 3) | (hdr->op & 0x7));
  out[1] = hdr->flags;
  out[2] = (uint8_t) (hdr->len >> 8);
  out[3] = (uint8_t) (hdr->len & 0xff);
  out[4] = (uint8_t) (hdr->group >> 8);
  out[5] = (uint8_t) (hdr->group & 0xff);
  out[6] = hdr->seq;
  out[7] = hdr->id;
}

int
cbp_smp_header_unpack (const uint8_t *in, size_t len, cbp_smp_header *hdr)
{
  if (in == NULL || hdr == NULL || len < CBP_SMP_HEADER_LEN)
    return -1;
  if ((in[0] & 0xe0) != 0)
    return -1;
  hdr->version = (uint8_t) ((in[0] >> 3) & 0x3);
  if (hdr->version > CBP_SMP_V2)
    return -1;
  hdr->op = in[0] & 0x7;
  hdr->flags = in[1];
  hdr->len = (uint16_t) ((in[2] << 8) | in[3]);
  hdr->group = (uint16_t) ((in[4] << 8) | in[5]);
  hdr->seq = in[6];
  hdr->id = in[7];
  return 0;
}

bool
cbp_smp_op_is_response (uint8_t op)
{
  return op == CBP_OP_READ_RSP || op == CBP_OP_WRITE_RSP;
}

uint8_t
cbp_smp_response_op (uint8_t request_op)
{
  return request_op == CBP_OP_WRITE ? CBP_OP_WRITE_RSP : CBP_OP_READ_RSP;
}

const char *
cbp_smp_rc_name (int rc)
{
  static const char *const names[] = {
    "ok", "unknown", "no memory", "invalid value", "timeout", "no entry", "bad state",
    "message too large", "not supported", "corrupt", "busy", "access denied",
    "unsupported too old", "unsupported too new",
  };

  if (rc < 0 || rc >= (int) (sizeof names / sizeof names[0]))
    return "?";
  return names[rc];
}

int
cbp_smp_packet_build (const cbp_smp_header *hdr,
                      const uint8_t        *payload,
                      size_t                payload_len,
                      uint8_t             **out,
                      size_t               *out_len)
{
  cbp_smp_header h;
  uint8_t *buf;

  if (hdr == NULL || out == NULL || out_len == NULL || payload_len > 0xffff ||
      (payload_len > 0 && payload == NULL))
    return -1;
  buf = malloc (CBP_SMP_HEADER_LEN + payload_len);
  if (buf == NULL)
    return -1;
  h = *hdr;
  h.len = (uint16_t) payload_len;
  cbp_smp_header_pack (&h, buf);
  if (payload_len > 0)
    memcpy (buf + CBP_SMP_HEADER_LEN, payload, payload_len);
  *out = buf;
  *out_len = CBP_SMP_HEADER_LEN + payload_len;
  return 0;
}

int
cbp_smp_packet_parse (const uint8_t   *packet,
                      size_t           len,
                      cbp_smp_header  *hdr,
                      const uint8_t  **payload)
{
  if (cbp_smp_header_unpack (packet, len, hdr) < 0)
    return -1;
  if ((size_t) hdr->len != len - CBP_SMP_HEADER_LEN)
    return -1;
  if (payload != NULL)
    *payload = packet + CBP_SMP_HEADER_LEN;
  return 0;
}
