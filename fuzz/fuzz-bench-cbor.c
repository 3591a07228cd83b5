/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bench group's CBOR (src/core/proto/cbp-group.c): the first byte picks a command, the rest
 * is decoded as its request (what the devsim reads from a station) and its response (what the
 * station reads from a device), and as an error map. */
#include <stdlib.h>

#include "cbp-group.h"
#include "fuzz-harness.h"

static void
decode_both (const cbp_command *cmd,
             const uint8_t     *cbor,
             size_t             len)
{
  void *msg;

  if (cmd == NULL)
    return;

  msg = calloc (1, cmd->req_size > cmd->rsp_size ? cmd->req_size : cmd->rsp_size);
  if (msg == NULL)
    return;
  if (cbp_request_decode (cmd, cbor, len, msg) == CBP_OK)
    {
      uint8_t *out = NULL;
      size_t out_len = 0;

      /* what decodes must encode again */
      if (cbp_request_encode (cmd, msg, &out, &out_len) == CBP_OK)
        free (out);
      cbp_request_clear (cmd, msg);
    }
  if (cbp_response_decode (cmd, cbor, len, msg) == CBP_OK)
    cbp_response_clear (cmd, msg);
  free (msg);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  cbp_error err;

  if (size < 1)
    return 0;

  if (data[0] & 0x80)
    decode_both (cbp_os_command (data[0] & 0x07), data + 1, size - 1);
  else
    decode_both (cbp_group_command (data[0] % CBP_CMD_COUNT), data + 1, size - 1);
  (void) cbp_error_decode (data + 1, size - 1, &err);
  (void) cbp_cbor_check (data + 1, size - 1);
  return 0;
}
