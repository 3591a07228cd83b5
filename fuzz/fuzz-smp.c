/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SMP header (src/core/proto/cbp-smp.c) of an assembled packet, and the error map of its
 * payload, as the station reads a device's answer. */
#include "cbp-group.h"
#include "cbp-smp.h"
#include "fuzz-harness.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  cbp_smp_header hdr;
  const uint8_t *payload = NULL;

  (void) cbp_smp_header_unpack (data, size, &hdr);
  if (cbp_smp_packet_parse (data, size, &hdr, &payload) == 0 && payload != NULL)
    {
      cbp_error err;

      (void) cbp_smp_op_is_response (hdr.op);
      (void) cbp_error_decode (payload, hdr.len, &err);
    }
  return 0;
}
