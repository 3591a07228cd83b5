/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Serial framing (src/core/proto/cbp-frame.c): bytes from a serial port, as the station and the
 * devsim read them. Fed in two pieces to exercise the incremental decoder; each packet it
 * delivers goes on to the SMP header parser. */
#include <stdlib.h>

#include "cbp-frame.h"
#include "cbp-smp.h"
#include "fuzz-harness.h"

static void
on_packet (void          *user_data,
           const uint8_t *packet,
           size_t         len)
{
  cbp_smp_header hdr;
  const uint8_t *payload = NULL;

  (void) user_data;
  (void) cbp_smp_packet_parse (packet, len, &hdr, &payload);
}

static void
on_text (void          *user_data,
         const uint8_t *text,
         size_t         len)
{
  (void) user_data;
  (void) text;
  (void) len;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  cbp_decoder *dec = cbp_decoder_new (CBP_PACKET_MAX_DEFAULT, on_packet, on_text, NULL);
  size_t split = size > 0 ? data[0] % (size + 1) : 0;
  uint8_t *out;

  cbp_decoder_feed (dec, data, split);
  cbp_decoder_feed (dec, data + split, size - split);
  (void) cbp_decoder_errors (dec);
  cbp_decoder_free (dec);

  /* base64 on its own: out needs room for size / 4 * 3 */
  out = malloc (size / 4 * 3 + 1);
  if (out != NULL)
    (void) cbp_base64_decode ((const char *) data, size, out);
  free (out);
  return 0;
}
