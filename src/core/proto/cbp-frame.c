/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cbp-frame.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* CRC-16/XMODEM (polynomial 0x1021) of each byte value, a byte at a time instead of a bit. */
static const uint16_t crc16_xmodem_table[256] = {
  0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50a5, 0x60c6, 0x70e7,
  0x8108, 0x9129, 0xa14a, 0xb16b, 0xc18c, 0xd1ad, 0xe1ce, 0xf1ef,
  0x1231, 0x0210, 0x3273, 0x2252, 0x52b5, 0x4294, 0x72f7, 0x62d6,
  0x9339, 0x8318, 0xb37b, 0xa35a, 0xd3bd, 0xc39c, 0xf3ff, 0xe3de,
  0x2462, 0x3443, 0x0420, 0x1401, 0x64e6, 0x74c7, 0x44a4, 0x5485,
  0xa56a, 0xb54b, 0x8528, 0x9509, 0xe5ee, 0xf5cf, 0xc5ac, 0xd58d,
  0x3653, 0x2672, 0x1611, 0x0630, 0x76d7, 0x66f6, 0x5695, 0x46b4,
  0xb75b, 0xa77a, 0x9719, 0x8738, 0xf7df, 0xe7fe, 0xd79d, 0xc7bc,
  0x48c4, 0x58e5, 0x6886, 0x78a7, 0x0840, 0x1861, 0x2802, 0x3823,
  0xc9cc, 0xd9ed, 0xe98e, 0xf9af, 0x8948, 0x9969, 0xa90a, 0xb92b,
  0x5af5, 0x4ad4, 0x7ab7, 0x6a96, 0x1a71, 0x0a50, 0x3a33, 0x2a12,
  0xdbfd, 0xcbdc, 0xfbbf, 0xeb9e, 0x9b79, 0x8b58, 0xbb3b, 0xab1a,
  0x6ca6, 0x7c87, 0x4ce4, 0x5cc5, 0x2c22, 0x3c03, 0x0c60, 0x1c41,
  0xedae, 0xfd8f, 0xcdec, 0xddcd, 0xad2a, 0xbd0b, 0x8d68, 0x9d49,
  0x7e97, 0x6eb6, 0x5ed5, 0x4ef4, 0x3e13, 0x2e32, 0x1e51, 0x0e70,
  0xff9f, 0xefbe, 0xdfdd, 0xcffc, 0xbf1b, 0xaf3a, 0x9f59, 0x8f78,
  0x9188, 0x81a9, 0xb1ca, 0xa1eb, 0xd10c, 0xc12d, 0xf14e, 0xe16f,
  0x1080, 0x00a1, 0x30c2, 0x20e3, 0x5004, 0x4025, 0x7046, 0x6067,
  0x83b9, 0x9398, 0xa3fb, 0xb3da, 0xc33d, 0xd31c, 0xe37f, 0xf35e,
  0x02b1, 0x1290, 0x22f3, 0x32d2, 0x4235, 0x5214, 0x6277, 0x7256,
  0xb5ea, 0xa5cb, 0x95a8, 0x8589, 0xf56e, 0xe54f, 0xd52c, 0xc50d,
  0x34e2, 0x24c3, 0x14a0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
  0xa7db, 0xb7fa, 0x8799, 0x97b8, 0xe75f, 0xf77e, 0xc71d, 0xd73c,
  0x26d3, 0x36f2, 0x0691, 0x16b0, 0x6657, 0x7676, 0x4615, 0x5634,
  0xd94c, 0xc96d, 0xf90e, 0xe92f, 0x99c8, 0x89e9, 0xb98a, 0xa9ab,
  0x5844, 0x4865, 0x7806, 0x6827, 0x18c0, 0x08e1, 0x3882, 0x28a3,
  0xcb7d, 0xdb5c, 0xeb3f, 0xfb1e, 0x8bf9, 0x9bd8, 0xabbb, 0xbb9a,
  0x4a75, 0x5a54, 0x6a37, 0x7a16, 0x0af1, 0x1ad0, 0x2ab3, 0x3a92,
  0xfd2e, 0xed0f, 0xdd6c, 0xcd4d, 0xbdaa, 0xad8b, 0x9de8, 0x8dc9,
  0x7c26, 0x6c07, 0x5c64, 0x4c45, 0x3ca2, 0x2c83, 0x1ce0, 0x0cc1,
  0xef1f, 0xff3e, 0xcf5d, 0xdf7c, 0xaf9b, 0xbfba, 0x8fd9, 0x9ff8,
  0x6e17, 0x7e36, 0x4e55, 0x5e74, 0x2e93, 0x3eb2, 0x0ed1, 0x1ef0,
};

uint16_t
cbp_crc16_xmodem (uint16_t crc, const uint8_t *data, size_t len)
{
  size_t i;

  for (i = 0; i < len; i++)
    crc = (uint16_t) ((crc << 8) ^ crc16_xmodem_table[((crc >> 8) ^ data[i]) & 0xff]);
  return crc;
}

static const char b64_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
cbp_base64_encoded_len (size_t len)
{
  return (len + 2) / 3 * 4;
}

size_t
cbp_base64_encode (const uint8_t *in, size_t len, char *out)
{
  size_t i, o = 0;

  for (i = 0; i + 2 < len; i += 3)
    {
      uint32_t v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8) | in[i + 2];
      out[o++] = b64_alphabet[(v >> 18) & 0x3f];
      out[o++] = b64_alphabet[(v >> 12) & 0x3f];
      out[o++] = b64_alphabet[(v >> 6) & 0x3f];
      out[o++] = b64_alphabet[v & 0x3f];
    }
  if (len - i == 1)
    {
      uint32_t v = (uint32_t) in[i] << 16;
      out[o++] = b64_alphabet[(v >> 18) & 0x3f];
      out[o++] = b64_alphabet[(v >> 12) & 0x3f];
      out[o++] = '=';
      out[o++] = '=';
    }
  else if (len - i == 2)
    {
      uint32_t v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8);
      out[o++] = b64_alphabet[(v >> 18) & 0x3f];
      out[o++] = b64_alphabet[(v >> 12) & 0x3f];
      out[o++] = b64_alphabet[(v >> 6) & 0x3f];
      out[o++] = '=';
    }
  return o;
}

/* Each byte's value in the base64 alphabet, or -1: not in it. */
static const int8_t b64_values[256] = {
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
  52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
  -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
  15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
  -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
  41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static int
b64_value (char c)
{
  return b64_values[(uint8_t) c];
}

long
cbp_base64_decode (const char *in, size_t len, uint8_t *out)
{
  size_t i;
  long o = 0;

  if (len % 4 != 0)
    return -1;

  for (i = 0; i < len; i += 4)
    {
      int v[4];
      int k, pad = 0;
      bool last = (i + 4 == len);

      /* A whole group (all but perhaps the last): four values, no padding. */
      if (!last)
        {
          int a = b64_value (in[i]), b = b64_value (in[i + 1]);
          int c = b64_value (in[i + 2]), d = b64_value (in[i + 3]);

          if ((a | b | c | d) < 0)
            return -1;
          out[o++] = (uint8_t) ((a << 2) | (b >> 4));
          out[o++] = (uint8_t) (((b & 0xf) << 4) | (c >> 2));
          out[o++] = (uint8_t) (((c & 0x3) << 6) | d);
          continue;
        }

      for (k = 0; k < 4; k++)
        {
          if (in[i + k] == '=')
            {
              /* Padding only in the last group, only in its last two places, and only trailing. */
              if (!last || k < 2)
                return -1;
              pad++;
              v[k] = 0;
            }
          else
            {
              if (pad > 0)
                return -1;
              v[k] = b64_value (in[i + k]);
              if (v[k] < 0)
                return -1;
            }
        }

      out[o++] = (uint8_t) ((v[0] << 2) | (v[1] >> 4));
      if (pad < 2)
        out[o++] = (uint8_t) (((v[1] & 0xf) << 4) | (v[2] >> 2));
      if (pad < 1)
        out[o++] = (uint8_t) (((v[2] & 0x3) << 6) | v[3]);
    }

  return o;
}

size_t
cbp_frame_payload_per_frame (size_t frame_size)
{
  if (frame_size < CBP_FRAME_SIZE_MIN)
    return 0;
  return (frame_size - 3) / 4 * 3;
}

int
cbp_frame_encode (const uint8_t *packet,
                  size_t         len,
                  size_t         frame_size,
                  uint8_t      **out,
                  size_t        *out_len)
{
  size_t per = cbp_frame_payload_per_frame (frame_size);
  size_t total, n_frames, cap, pos, o;
  uint8_t *raw, *buf;
  uint16_t crc;

  if (out == NULL || out_len == NULL || packet == NULL || len == 0 || len > 0xffff - 2 || per == 0)
    return -1;

  total = len + 4;
  raw = malloc (total);
  if (raw == NULL)
    return -1;
  raw[0] = (uint8_t) ((len + 2) >> 8);
  raw[1] = (uint8_t) ((len + 2) & 0xff);
  memcpy (raw + 2, packet, len);
  crc = cbp_crc16_xmodem (0, packet, len);
  raw[total - 2] = (uint8_t) (crc >> 8);
  raw[total - 1] = (uint8_t) (crc & 0xff);

  /* One extra frame covers the case where the CRC is kept whole. */
  n_frames = total / per + 2;
  cap = n_frames * (3 + cbp_base64_encoded_len (per));
  buf = malloc (cap);
  if (buf == NULL)
    {
      free (raw);
      return -1;
    }

  pos = 0;
  o = 0;
  while (pos < total)
    {
      size_t n = total - pos < per ? total - pos : per;

      /* Never split the two CRC bytes across frames. */
      if (pos + n == total - 1)
        n--;

      if (pos == 0)
        {
          buf[o++] = CBP_MARK_FIRST_0;
          buf[o++] = CBP_MARK_FIRST_1;
        }
      else
        {
          buf[o++] = CBP_MARK_CONT_0;
          buf[o++] = CBP_MARK_CONT_1;
        }
      o += cbp_base64_encode (raw + pos, n, (char *) buf + o);
      buf[o++] = '\n';
      pos += n;
    }

  free (raw);
  *out = buf;
  *out_len = o;
  return 0;
}

/* ---- decoder ---- */

enum
{
  MODE_TEXT,
  MODE_MARK,        /* saw the first byte of a marker */
  MODE_FRAME,       /* collecting base64 up to the newline */
  MODE_SKIP,        /* discarding the rest of an overlong frame */
};

#define TEXT_BUF 256

struct cbp_decoder
{
  cbp_packet_func   on_packet;
  cbp_text_func     on_text;
  void             *user_data;
  size_t            max_packet;

  int               mode;
  uint8_t           mark0;
  bool              frame_first;

  char             *line;        /* CBP_FRAME_LINE_MAX */
  size_t            line_len;
  uint8_t          *decoded;     /* CBP_FRAME_LINE_MAX / 4 * 3 */

  uint8_t          *pkt;         /* raw: length + body + crc; grown to the largest packet yet */
  size_t            pkt_cap;
  size_t            pkt_len;
  size_t            pkt_expect;
  bool              pkt_active;
  bool              discarding;  /* continuations of a dropped packet are ignored quietly */

  uint8_t           text[TEXT_BUF];
  size_t            text_len;

  cbp_decoder_stats stats;
};

cbp_decoder *
cbp_decoder_new (size_t           max_packet,
                 cbp_packet_func  on_packet,
                 cbp_text_func    on_text,
                 void            *user_data)
{
  cbp_decoder *dec = calloc (1, sizeof *dec);

  if (dec == NULL)
    return NULL;
  if (max_packet == 0)
    max_packet = CBP_PACKET_MAX_DEFAULT;
  if (max_packet > 0xffff - 2)
    max_packet = 0xffff - 2;
  dec->max_packet = max_packet;
  dec->on_packet = on_packet;
  dec->on_text = on_text;
  dec->user_data = user_data;
  dec->line = malloc (CBP_FRAME_LINE_MAX);
  dec->decoded = malloc (CBP_FRAME_LINE_MAX / 4 * 3);
  /* The packet buffer is made for the packets that come (reserve_packet): a station's
   * transport allows 64 KiB, and that much, made and freed with every port, sat at the heap's
   * top, where each free trimmed the heap and the next port grew it again. */
  if (dec->line == NULL || dec->decoded == NULL)
    {
      cbp_decoder_free (dec);
      return NULL;
    }
  return dec;
}

/* Room for a packet of @size raw bytes; false when memory ran out (the packet is dropped). */
static bool
reserve_packet (cbp_decoder *dec,
                size_t       size)
{
  size_t cap = dec->pkt_cap != 0 ? dec->pkt_cap : 512;
  uint8_t *pkt;

  if (size <= dec->pkt_cap)
    return true;
  while (cap < size)
    cap *= 2;
  if (cap > dec->max_packet + 4)
    cap = dec->max_packet + 4;
  pkt = realloc (dec->pkt, cap);
  if (pkt == NULL)
    return false;
  dec->pkt = pkt;
  dec->pkt_cap = cap;
  return true;
}

void
cbp_decoder_free (cbp_decoder *dec)
{
  if (dec == NULL)
    return;
  free (dec->line);
  free (dec->decoded);
  free (dec->pkt);
  free (dec);
}

void
cbp_decoder_reset (cbp_decoder *dec)
{
  dec->mode = MODE_TEXT;
  dec->line_len = 0;
  dec->pkt_len = 0;
  dec->pkt_expect = 0;
  dec->pkt_active = false;
  dec->discarding = false;
  dec->text_len = 0;
}

unsigned long
cbp_decoder_errors (const cbp_decoder *dec)
{
  return dec->stats.err_base64 + dec->stats.err_crc + dec->stats.err_length +
         dec->stats.err_sequence + dec->stats.err_overlong;
}

const cbp_decoder_stats *
cbp_decoder_get_stats (const cbp_decoder *dec)
{
  return &dec->stats;
}

static void
flush_text (cbp_decoder *dec)
{
  if (dec->text_len > 0 && dec->on_text != NULL)
    dec->on_text (dec->user_data, dec->text, dec->text_len);
  dec->text_len = 0;
}

static void
emit_text (cbp_decoder *dec, uint8_t byte)
{
  if (dec->text_len == TEXT_BUF)
    flush_text (dec);
  dec->text[dec->text_len++] = byte;
}

static void
drop_packet (cbp_decoder *dec)
{
  dec->pkt_active = false;
  dec->pkt_len = 0;
  dec->pkt_expect = 0;
  dec->discarding = true;
}

static void
finish_frame (cbp_decoder *dec)
{
  long n;

  dec->stats.frames++;

  if (dec->frame_first)
    {
      if (dec->pkt_active)
        {
          dec->stats.err_sequence++;
          dec->pkt_active = false;
        }
      dec->discarding = false;
    }
  else if (!dec->pkt_active)
    {
      if (!dec->discarding)
        dec->stats.err_sequence++;
      return;
    }

  n = (dec->line_len == 0) ? -1 : cbp_base64_decode (dec->line, dec->line_len, dec->decoded);
  if (n < 0)
    {
      dec->stats.err_base64++;
      drop_packet (dec);
      return;
    }

  if (dec->frame_first)
    {
      size_t plen;

      if (n < 2)
        {
          dec->stats.err_length++;
          drop_packet (dec);
          return;
        }
      plen = ((size_t) dec->decoded[0] << 8) | dec->decoded[1];
      if (plen < 3 || plen > dec->max_packet + 2 || !reserve_packet (dec, plen + 2))
        {
          dec->stats.err_length++;
          drop_packet (dec);
          return;
        }
      dec->pkt_active = true;
      dec->pkt_len = 0;
      dec->pkt_expect = plen + 2;
    }

  if (dec->pkt_len + (size_t) n > dec->pkt_expect)
    {
      dec->stats.err_length++;
      drop_packet (dec);
      return;
    }
  memcpy (dec->pkt + dec->pkt_len, dec->decoded, (size_t) n);
  dec->pkt_len += (size_t) n;

  if (dec->pkt_len == dec->pkt_expect)
    {
      size_t body_len = dec->pkt_expect - 4;
      uint16_t want = (uint16_t) ((dec->pkt[dec->pkt_len - 2] << 8) | dec->pkt[dec->pkt_len - 1]);

      dec->pkt_active = false;
      if (cbp_crc16_xmodem (0, dec->pkt + 2, body_len) != want)
        {
          dec->stats.err_crc++;
          dec->pkt_len = 0;
          return;
        }
      dec->stats.packets++;
      flush_text (dec);
      if (dec->on_packet != NULL)
        dec->on_packet (dec->user_data, dec->pkt + 2, body_len);
      dec->pkt_len = 0;
    }
}

/* Base64 chars that carry left more bytes, at the fewest (no padding counted). */
static size_t
b64_chars_at_least (size_t left)
{
  return (left * 4 + 2) / 3;
}

/* Bytes still to come for a packet of expect raw bytes of which have are decoded, while the
 * current frame holds partial chars of a group not yet decoded: the rest of the base64 and the
 * frame's newline. */
static size_t
wanted_for (size_t expect,
            size_t have,
            size_t partial)
{
  size_t chars;

  if (have >= expect)
    return 1;
  chars = b64_chars_at_least (expect - have) + 1;
  return chars > partial + 1 ? chars - partial : 1;
}

size_t
cbp_decoder_bytes_wanted (const cbp_decoder *dec)
{
  uint8_t head[3];
  size_t plen;

  switch (dec->mode)
    {
    case MODE_TEXT:
      /* Between the frames of a packet: a continuation marker and the rest. */
      return dec->pkt_active ? 2 + wanted_for (dec->pkt_expect, dec->pkt_len, 0) : 0;

    case MODE_MARK:
      /* A lone marker byte may be text: only its second byte is certain. */
      return dec->pkt_active ? 1 + wanted_for (dec->pkt_expect, dec->pkt_len, 0) : 1;

    case MODE_FRAME:
      if (!dec->frame_first)
        return dec->pkt_active ? wanted_for (dec->pkt_expect,
                                             dec->pkt_len + dec->line_len / 4 * 3,
                                             dec->line_len % 4)
                               : 1;
      /* A first frame: its first group says how long the packet is. */
      if (dec->line_len < 4)
        return 4 - dec->line_len + 1;
      if (cbp_base64_decode (dec->line, 4, head) < 2)
        return 1;
      plen = ((size_t) head[0] << 8) | head[1];
      if (plen < 3 || plen > dec->max_packet + 2)
        return 1;
      return wanted_for (plen + 2, dec->line_len / 4 * 3, dec->line_len % 4);

    case MODE_SKIP:
    default:
      return 1;
    }
}

static bool
is_b64_char (uint8_t c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/' || c == '=';
}

void
cbp_decoder_feed (cbp_decoder   *dec,
                  const uint8_t *data,
                  size_t         len)
{
  size_t i = 0;

  while (i < len)
    {
      uint8_t c = data[i];

      switch (dec->mode)
        {
        case MODE_TEXT:
          if (c == CBP_MARK_FIRST_0 || c == CBP_MARK_CONT_0)
            {
              dec->mark0 = c;
              dec->mode = MODE_MARK;
            }
          else
            emit_text (dec, c);
          i++;
          break;

        case MODE_MARK:
          if ((dec->mark0 == CBP_MARK_FIRST_0 && c == CBP_MARK_FIRST_1) ||
              (dec->mark0 == CBP_MARK_CONT_0 && c == CBP_MARK_CONT_1))
            {
              flush_text (dec);
              dec->frame_first = (dec->mark0 == CBP_MARK_FIRST_0);
              dec->line_len = 0;
              dec->mode = MODE_FRAME;
              i++;
            }
          else
            {
              /* A lone marker byte is text; look at c again in text mode. */
              emit_text (dec, dec->mark0);
              dec->mode = MODE_TEXT;
            }
          break;

        case MODE_FRAME:
          if (c == '\n')
            {
              finish_frame (dec);
              dec->mode = MODE_TEXT;
              i++;
            }
          else if (c == '\r')
            i++;
          else if (is_b64_char (c))
            {
              if (dec->line_len == CBP_FRAME_LINE_MAX)
                {
                  dec->stats.frames++;
                  dec->stats.err_overlong++;
                  drop_packet (dec);
                  dec->mode = MODE_SKIP;
                }
              else
                dec->line[dec->line_len++] = (char) c;
              i++;
            }
          else
            {
              /* Something that is not base64 inside a frame: the frame is broken. Give the
               * byte back to text mode (it may start the next frame). */
              dec->stats.frames++;
              dec->stats.err_base64++;
              drop_packet (dec);
              dec->mode = MODE_TEXT;
            }
          break;

        case MODE_SKIP:
        default:
          if (c == '\n')
            {
              dec->mode = MODE_TEXT;
              i++;
            }
          else if (is_b64_char (c) || c == '\r')
            i++;
          else
            dec->mode = MODE_TEXT;
          break;
        }
    }

  flush_text (dec);
}
