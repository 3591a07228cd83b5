/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SMP serial console framing (see docs/bench-protocol.md, section 1).
 * Plain C11 + libc: portable to firmware. No GLib. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CBP_FRAME_SIZE_DEFAULT  127   /* bytes per frame including marker and newline */
#define CBP_FRAME_SIZE_MIN      7     /* marker + 4 base64 chars + newline */
#define CBP_FRAME_LINE_MAX      4096  /* longest frame a decoder accepts */
#define CBP_PACKET_MAX_DEFAULT  4096  /* largest SMP packet (header + CBOR) a decoder assembles */

#define CBP_MARK_FIRST_0 0x06
#define CBP_MARK_FIRST_1 0x09
#define CBP_MARK_CONT_0  0x04
#define CBP_MARK_CONT_1  0x14

/* CRC-16/XMODEM: poly 0x1021, init 0 (pass 0 to start), no reflection, no final XOR. Pass the
 * previous result as crc to continue over more data. */
uint16_t cbp_crc16_xmodem (uint16_t crc, const uint8_t *data, size_t len);

/* Standard base64 with padding. encode writes cbp_base64_encoded_len(len) chars (no NUL) and
 * returns that count. decode accepts only complete, padded groups; returns the number of bytes
 * written to out (which needs room for len / 4 * 3), or -1 for invalid input. */
size_t cbp_base64_encoded_len (size_t len);
size_t cbp_base64_encode      (const uint8_t *in, size_t len, char *out);
long   cbp_base64_decode      (const char *in, size_t len, uint8_t *out);

/* Raw packet bytes carried per frame for a frame size (93 for 127), 0 if below the minimum. */
size_t cbp_frame_payload_per_frame (size_t frame_size);

/* Encodes one packet (SMP header + CBOR) into console frames of at most frame_size bytes.
 * Returns 0 and a malloc'd buffer in *out (free with free()), or -1 for an empty or oversize
 * (> 65533 bytes) packet, a frame_size below CBP_FRAME_SIZE_MIN, or no memory. */
int cbp_frame_encode (const uint8_t *packet,
                      size_t         len,
                      size_t         frame_size,
                      uint8_t      **out,
                      size_t        *out_len);

/* Streaming decoder. Feed it whatever the port returned; it calls on_packet for each complete,
 * CRC-checked packet (the body: SMP header + CBOR, without length and CRC) and on_text for bytes
 * that are not SMP (device log), in order. Bad frames are dropped and counted. */
typedef void (*cbp_packet_func) (void *user_data, const uint8_t *packet, size_t len);
typedef void (*cbp_text_func)   (void *user_data, const uint8_t *text, size_t len);

typedef struct
{
  unsigned long packets;        /* good packets delivered */
  unsigned long frames;         /* frames seen (good or bad) */
  unsigned long err_base64;     /* frame with bad base64 or a stray byte inside */
  unsigned long err_crc;        /* assembled packet with wrong CRC */
  unsigned long err_length;     /* length field < 3 or > max packet, or data past the length */
  unsigned long err_sequence;   /* continuation without a first frame, or a first frame that
                                 * abandoned a partial packet */
  unsigned long err_overlong;   /* frame longer than CBP_FRAME_LINE_MAX */
} cbp_decoder_stats;

typedef struct cbp_decoder cbp_decoder;

/* max_packet: largest body accepted (0 = CBP_PACKET_MAX_DEFAULT). Returns NULL on no memory.
 * Memory use is fixed at creation: about max_packet + CBP_FRAME_LINE_MAX bytes. */
cbp_decoder *cbp_decoder_new   (size_t           max_packet,
                                cbp_packet_func  on_packet,
                                cbp_text_func    on_text,
                                void            *user_data);
void         cbp_decoder_free  (cbp_decoder     *dec);
/* Forgets any partial frame or packet (the stats stay). */
void         cbp_decoder_reset (cbp_decoder     *dec);
void         cbp_decoder_feed  (cbp_decoder     *dec,
                                const uint8_t   *data,
                                size_t           len);
/* A lower bound on the bytes that must still arrive before the packet being assembled is
 * complete (0 when no packet is under way), counting only its base64 and final newline: a
 * reader that knows the rest of a frame is coming can wait for that many bytes in one go
 * rather than wake at every few the line hands over. Only a bound for well-formed input: a
 * device that abandons a packet never sends them. */
size_t       cbp_decoder_bytes_wanted (const cbp_decoder *dec);
/* Total of all err_* counters. */
unsigned long cbp_decoder_errors (const cbp_decoder *dec);
const cbp_decoder_stats *cbp_decoder_get_stats (const cbp_decoder *dec);

#ifdef __cplusplus
}
#endif
