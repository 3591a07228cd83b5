/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cbp-frame.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

uint16_t
cbp_crc16_xmodem (uint16_t crc, const uint8_t *data, size_t len)
{
  size_t i;
  int bit;

  for (i = 0; i < len; i++)
    {
      crc ^= (uint16_t) ((uint16_t) data[i] << 8);
      for (bit = 0; bit < 8; bit++)
        crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ 0x1021) : (uint16_t) (crc << 1);
    }
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

static int
b64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
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

  uint8_t          *pkt;         /* raw: length + body + crc */
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
  dec->pkt = malloc (max_packet + 4);
  if (dec->line == NULL || dec->decoded == NULL || dec->pkt == NULL)
    {
      cbp_decoder_free (dec);
      return NULL;
    }
  return dec;
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
      if (plen < 3 || plen > dec->max_packet + 2)
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
