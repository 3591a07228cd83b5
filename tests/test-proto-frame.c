/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <string.h>

#include "cbp-frame.h"
#include "cbp-group.h"
#include "cbp-smp.h"

/* Collects what a decoder hands out. */
typedef struct
{
  GPtrArray  *packets;   /* GBytes */
  GByteArray *text;
} Sink;

static void
sink_packet (void *user_data, const uint8_t *packet, size_t len)
{
  Sink *sink = user_data;
  g_ptr_array_add (sink->packets, g_bytes_new (packet, len));
}

static void
sink_text (void *user_data, const uint8_t *text, size_t len)
{
  Sink *sink = user_data;
  g_byte_array_append (sink->text, text, (guint) len);
}

static void
sink_init (Sink *sink)
{
  sink->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  sink->text = g_byte_array_new ();
}

static void
sink_clear (Sink *sink)
{
  g_ptr_array_unref (sink->packets);
  g_byte_array_unref (sink->text);
}

static char *
sink_text_str (Sink *sink)
{
  return g_strndup ((const char *) sink->text->data, sink->text->len);
}

static GBytes *
encode (const guint8 *packet, gsize len, gsize frame_size)
{
  uint8_t *out = NULL;
  size_t out_len = 0;

  g_assert_cmpint (cbp_frame_encode (packet, len, frame_size, &out, &out_len), ==, 0);
  return g_bytes_new_take (out, out_len);
}

static void
test_crc (void)
{
  /* The CRC-16/XMODEM check value. */
  g_assert_cmphex (cbp_crc16_xmodem (0, (const uint8_t *) "123456789", 9), ==, 0x31c3);
  /* Continuation over split data gives the same result. */
  g_assert_cmphex (cbp_crc16_xmodem (cbp_crc16_xmodem (0, (const uint8_t *) "1234", 4),
                                     (const uint8_t *) "56789", 5), ==, 0x31c3);
  g_assert_cmphex (cbp_crc16_xmodem (0, NULL, 0), ==, 0);
}

static void
test_base64 (void)
{
  static const struct { const char *in, *out; } vectors[] = {
    { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
    { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      char enc[32];
      uint8_t dec[32];
      size_t n = cbp_base64_encode ((const uint8_t *) vectors[i].in, strlen (vectors[i].in), enc);
      long m;

      g_assert_cmpuint (n, ==, strlen (vectors[i].out));
      g_assert_cmpmem (enc, n, vectors[i].out, strlen (vectors[i].out));
      m = cbp_base64_decode (vectors[i].out, strlen (vectors[i].out), dec);
      g_assert_cmpint (m, ==, (long) strlen (vectors[i].in));
      g_assert_cmpmem (dec, (gsize) m, vectors[i].in, strlen (vectors[i].in));
    }

  {
    uint8_t dec[16];
    g_assert_cmpint (cbp_base64_decode ("Zg=", 3, dec), ==, -1);       /* not a multiple of 4 */
    g_assert_cmpint (cbp_base64_decode ("Z===", 4, dec), ==, -1);      /* too much padding */
    g_assert_cmpint (cbp_base64_decode ("Zg==Zg==", 8, dec), ==, -1);  /* padding mid-stream */
    g_assert_cmpint (cbp_base64_decode ("Zm9*", 4, dec), ==, -1);      /* not in the alphabet */
    g_assert_cmpint (cbp_base64_decode ("Z=9v", 4, dec), ==, -1);
  }
}

/* OS echo "hello", SMP v2, seq 1, built by hand from smp-notes.md:
 * header 0a 00 00 09 00 00 01 00 (v2 write, 9 payload bytes, group 0, seq 1, id 0),
 * CBOR {"d": "hello"} = a1 61 64 65 68 65 6c 6c 6f, CRC-16/XMODEM of those 17 bytes = 0x7a36,
 * length field = 17 + 2 = 0x0013; base64 of 00 13 <body> 7a 36 worked out separately. */
static const guint8 echo_body[] = {
  0x0a, 0x00, 0x00, 0x09, 0x00, 0x00, 0x01, 0x00,
  0xa1, 0x61, 0x64, 0x65, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};
static const char echo_frame[] = "\x06\x09" "ABMKAAAJAAABAKFhZGVoZWxsb3o2" "\n";

static void
test_echo_vector (void)
{
  cbp_smp_header hdr = { CBP_SMP_V2, CBP_OP_WRITE, 0, 0, CBP_GROUP_OS, 1, CBP_OS_ECHO };
  cbp_os_echo_req req = { (char *) "hello" };
  uint8_t *cbor = NULL, *packet = NULL;
  size_t cbor_len = 0, packet_len = 0;
  g_autoptr(GBytes) frames = NULL;
  cbp_smp_header back;
  const uint8_t *payload = NULL;

  g_assert_cmpint (cbp_request_encode (cbp_os_command (CBP_OS_ECHO), &req, &cbor, &cbor_len), ==, 0);
  g_assert_cmpint (cbp_smp_packet_build (&hdr, cbor, cbor_len, &packet, &packet_len), ==, 0);
  g_assert_cmpmem (packet, packet_len, echo_body, sizeof echo_body);
  g_assert_cmphex (cbp_crc16_xmodem (0, packet, packet_len), ==, 0x7a36);

  frames = encode (packet, packet_len, CBP_FRAME_SIZE_DEFAULT);
  g_assert_cmpmem (g_bytes_get_data (frames, NULL), g_bytes_get_size (frames),
                   echo_frame, strlen (echo_frame));

  g_assert_cmpint (cbp_smp_packet_parse (packet, packet_len, &back, &payload), ==, 0);
  g_assert_cmpint (back.version, ==, CBP_SMP_V2);
  g_assert_cmpint (back.op, ==, CBP_OP_WRITE);
  g_assert_cmpint (back.len, ==, 9);
  g_assert_cmpint (back.group, ==, 0);
  g_assert_cmpint (back.seq, ==, 1);
  g_assert_cmpint (back.id, ==, 0);
  g_assert_true (payload == packet + 8);

  free (cbor);
  free (packet);
}

static void
test_header (void)
{
  cbp_smp_header hdr = { CBP_SMP_V1, CBP_OP_READ_RSP, 0, 0x1234, 0x0040, 0xfe, 0x0a }, back;
  uint8_t buf[8];
  static const uint8_t want[8] = { 0x01, 0x00, 0x12, 0x34, 0x00, 0x40, 0xfe, 0x0a };

  cbp_smp_header_pack (&hdr, buf);
  g_assert_cmpmem (buf, 8, want, 8);
  g_assert_cmpint (cbp_smp_header_unpack (buf, 8, &back), ==, 0);
  g_assert_cmpint (back.len, ==, 0x1234);
  g_assert_cmpint (back.group, ==, 64);
  g_assert_cmpint (back.seq, ==, 0xfe);
  g_assert_true (cbp_smp_op_is_response (back.op));
  g_assert_cmpint (cbp_smp_response_op (CBP_OP_WRITE), ==, CBP_OP_WRITE_RSP);
  g_assert_cmpint (cbp_smp_response_op (CBP_OP_READ), ==, CBP_OP_READ_RSP);

  g_assert_cmpint (cbp_smp_header_unpack (buf, 7, &back), ==, -1);
  buf[0] = 0x20; /* reserved bit */
  g_assert_cmpint (cbp_smp_header_unpack (buf, 8, &back), ==, -1);
  buf[0] = 0x10; /* version 2 does not exist */
  g_assert_cmpint (cbp_smp_header_unpack (buf, 8, &back), ==, -1);
  /* parse checks the payload length against the header */
  buf[0] = 0x0a;
  g_assert_cmpint (cbp_smp_packet_parse (buf, 8, &back, NULL), ==, -1);
}

/* Feeds data in pieces of random size. */
static void
feed_chunked (cbp_decoder *dec, const guint8 *data, gsize len, GRand *rand)
{
  gsize pos = 0;

  while (pos < len)
    {
      /* not MIN (): it would draw twice */
      gsize n = (gsize) g_rand_int_range (rand, 1, 40);

      n = MIN (n, len - pos);
      cbp_decoder_feed (dec, data + pos, n);
      pos += n;
    }
}

static void
check_frames_shape (GBytes *frames, gsize frame_size)
{
  gsize len, start = 0, i, n_frames = 0;
  const guint8 *d = g_bytes_get_data (frames, &len);

  for (i = 0; i < len; i++)
    {
      if (d[i] != '\n')
        continue;
      g_assert_cmpuint (i + 1 - start, <=, frame_size);
      if (n_frames == 0)
        g_assert_true (d[start] == 0x06 && d[start + 1] == 0x09);
      else
        g_assert_true (d[start] == 0x04 && d[start + 1] == 0x14);
      /* each frame's base64 stands alone */
      g_assert_cmpuint ((i - start - 2) % 4, ==, 0);
      n_frames++;
      start = i + 1;
    }
  g_assert_cmpuint (start, ==, len);
  g_assert_cmpuint (n_frames, >=, 1);

  {
    /* The last frame holds both CRC bytes. */
    gsize last_start = 0, k;
    uint8_t raw[4096];
    long n;

    for (k = 0; k + 1 < len; k++)
      if (d[k] == '\n')
        last_start = k + 1;
    n = cbp_base64_decode ((const char *) d + last_start + 2, len - last_start - 3, raw);
    g_assert_cmpint (n, >=, 2);
  }
}

static void
test_round_trip (void)
{
  static const gsize frame_sizes[] = { 7, 8, 10, 20, 64, 127, 128, 300, 1024 };
  static const gsize packet_sizes[] = { 1, 2, 8, 9, 17, 89, 90, 91, 92, 93, 94, 95, 186, 279,
                                        500, 1000, 2048, 4000 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (frame_sizes); i++)
    for (j = 0; j < G_N_ELEMENTS (packet_sizes); j++)
      {
        g_autofree guint8 *packet = g_malloc (packet_sizes[j]);
        g_autoptr(GBytes) frames = NULL;
        cbp_decoder *dec;
        Sink sink;
        gsize k;

        for (k = 0; k < packet_sizes[j]; k++)
          packet[k] = (guint8) g_rand_int (rand);
        frames = encode (packet, packet_sizes[j], frame_sizes[i]);
        check_frames_shape (frames, frame_sizes[i]);

        sink_init (&sink);
        dec = cbp_decoder_new (4096, sink_packet, sink_text, &sink);
        feed_chunked (dec, g_bytes_get_data (frames, NULL), g_bytes_get_size (frames), rand);
        g_test_message ("frame size %" G_GSIZE_FORMAT ", packet %" G_GSIZE_FORMAT,
                        frame_sizes[i], packet_sizes[j]);
        g_assert_cmpuint (sink.packets->len, ==, 1);
        g_assert_cmpmem (g_bytes_get_data (sink.packets->pdata[0], NULL),
                         g_bytes_get_size (sink.packets->pdata[0]), packet, packet_sizes[j]);
        g_assert_cmpuint (sink.text->len, ==, 0);
        g_assert_cmpuint (cbp_decoder_errors (dec), ==, 0);
        cbp_decoder_free (dec);
        sink_clear (&sink);
      }

  {
    uint8_t *out = NULL;
    size_t out_len = 0;
    uint8_t one = 1;
    g_assert_cmpint (cbp_frame_encode (&one, 1, 6, &out, &out_len), ==, -1);
    g_assert_cmpint (cbp_frame_encode (&one, 0, 127, &out, &out_len), ==, -1);
    g_assert_cmpuint (cbp_frame_payload_per_frame (127), ==, 93);
  }
}

/* bytes_wanted is a lower bound a reader can wait for: at every byte of a packet's frames it
 * never asks for more than is left, never for nothing before the packet is complete, and once
 * a first frame's length is in, it asks for most of the rest at once. */
static void
test_bytes_wanted (void)
{
  static const gsize frame_sizes[] = { 7, 8, 10, 20, 64, 127, 128, 300, 1024 };
  static const gsize packet_sizes[] = { 1, 2, 8, 9, 17, 89, 90, 91, 92, 93, 94, 95, 186, 279,
                                        500, 1000, 2048, 4000 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (guint i = 0; i < G_N_ELEMENTS (frame_sizes); i++)
    for (guint j = 0; j < G_N_ELEMENTS (packet_sizes); j++)
      {
        g_autofree guint8 *packet = g_malloc (packet_sizes[j]);
        g_autoptr(GBytes) frames = NULL;
        const guint8 *d;
        gsize len, b64 = 0;
        cbp_decoder *dec;
        Sink sink;

        for (gsize k = 0; k < packet_sizes[j]; k++)
          packet[k] = (guint8) g_rand_int (rand);
        frames = encode (packet, packet_sizes[j], frame_sizes[i]);
        d = g_bytes_get_data (frames, &len);
        for (gsize k = 0; k < len; k++)
          b64 += d[k] != '\n' && d[k] != CBP_MARK_FIRST_0 && d[k] != CBP_MARK_FIRST_1 &&
                 d[k] != CBP_MARK_CONT_0 && d[k] != CBP_MARK_CONT_1;

        sink_init (&sink);
        dec = cbp_decoder_new (4096, sink_packet, sink_text, &sink);
        g_assert_cmpuint (cbp_decoder_bytes_wanted (dec), ==, 0);
        for (gsize k = 0; k < len; k++)
          {
            size_t wanted;

            cbp_decoder_feed (dec, d + k, 1);
            wanted = cbp_decoder_bytes_wanted (dec);
            g_assert_cmpuint (wanted, <=, len - k - 1);
            if (k + 1 < len)
              g_assert_cmpuint (wanted, >, 0);
            /* After the marker and the first group (the length): the rest of the base64. */
            if (k == 5)
              g_assert_cmpuint (wanted, >=, b64 - 4 - 3);
          }
        g_assert_cmpuint (cbp_decoder_bytes_wanted (dec), ==, 0);
        g_assert_cmpuint (sink.packets->len, ==, 1);
        cbp_decoder_free (dec);
        sink_clear (&sink);
      }
}

/* A decoder with the echo packet in it, a chunk of garbage and log text around and between. */
static void
test_garbage_and_logs (void)
{
  g_autoptr(GByteArray) in = g_byte_array_new ();
  g_autoptr(GBytes) big = NULL;
  g_autofree guint8 *big_packet = g_malloc (300);
  g_autofree char *text = NULL;
  const guint8 *fd;
  gsize flen, first_end, i;
  cbp_decoder *dec;
  Sink sink;

  for (i = 0; i < 300; i++)
    big_packet[i] = (guint8) (i * 7);
  big = encode (big_packet, 300, 127);
  fd = g_bytes_get_data (big, &flen);
  first_end = (const guint8 *) memchr (fd, '\n', flen) - fd + 1;

  g_byte_array_append (in, (const guint8 *) "boot: hello\r\n", 13);
  g_byte_array_append (in, (const guint8 *) "\x01\xff\x06x\x04\x13~", 7);  /* lone markers */
  g_byte_array_append (in, (const guint8 *) echo_frame, strlen (echo_frame));
  g_byte_array_append (in, (const guint8 *) "I: between\n", 11);
  /* log line inside a multi-frame packet: after the first frame */
  g_byte_array_append (in, fd, first_end);
  g_byte_array_append (in, (const guint8 *) "W: inside\n", 10);
  g_byte_array_append (in, fd + first_end, flen - first_end);
  g_byte_array_append (in, (const guint8 *) "tail", 4);

  sink_init (&sink);
  dec = cbp_decoder_new (0, sink_packet, sink_text, &sink);
  cbp_decoder_feed (dec, in->data, in->len);

  g_assert_cmpuint (sink.packets->len, ==, 2);
  g_assert_cmpmem (g_bytes_get_data (sink.packets->pdata[0], NULL),
                   g_bytes_get_size (sink.packets->pdata[0]), echo_body, sizeof echo_body);
  g_assert_cmpmem (g_bytes_get_data (sink.packets->pdata[1], NULL),
                   g_bytes_get_size (sink.packets->pdata[1]), big_packet, 300);
  text = sink_text_str (&sink);
  g_assert_cmpmem (sink.text->data, sink.text->len,
                   "boot: hello\r\n\x01\xff\x06x\x04\x13~I: between\nW: inside\ntail", 13 + 7 + 11 + 10 + 4);
  g_assert_cmpuint (cbp_decoder_errors (dec), ==, 0);

  /* The same bytes one at a time give the same result. */
  {
    Sink one;
    cbp_decoder *dec1;

    sink_init (&one);
    dec1 = cbp_decoder_new (0, sink_packet, sink_text, &one);
    for (i = 0; i < in->len; i++)
      cbp_decoder_feed (dec1, in->data + i, 1);
    g_assert_cmpuint (one.packets->len, ==, 2);
    g_assert_cmpmem (one.text->data, one.text->len, sink.text->data, sink.text->len);
    g_assert_cmpuint (cbp_decoder_errors (dec1), ==, 0);
    cbp_decoder_free (dec1);
    sink_clear (&one);
  }

  cbp_decoder_free (dec);
  sink_clear (&sink);
}

static void
test_truncated (void)
{
  g_autoptr(GBytes) big = NULL;
  g_autofree guint8 *big_packet = g_malloc0 (200);
  const guint8 *fd;
  gsize flen, first_end;
  cbp_decoder *dec;
  Sink sink;

  big = encode (big_packet, 200, 127);
  fd = g_bytes_get_data (big, &flen);
  first_end = (const guint8 *) memchr (fd, '\n', flen) - fd + 1;

  sink_init (&sink);
  dec = cbp_decoder_new (0, sink_packet, sink_text, &sink);

  /* A frame cut off in the middle, then a new packet: the marker ends the broken frame. */
  cbp_decoder_feed (dec, (const guint8 *) echo_frame, 12);
  cbp_decoder_feed (dec, (const guint8 *) echo_frame, strlen (echo_frame));
  g_assert_cmpuint (sink.packets->len, ==, 1);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_base64, ==, 1);

  /* A multi-frame packet whose continuation never comes: the next first frame abandons it. */
  cbp_decoder_feed (dec, fd, first_end);
  cbp_decoder_feed (dec, (const guint8 *) echo_frame, strlen (echo_frame));
  g_assert_cmpuint (sink.packets->len, ==, 2);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_sequence, ==, 1);

  /* Continuations on their own (this packet has two): each one counted. */
  cbp_decoder_feed (dec, fd + first_end, flen - first_end);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_sequence, ==, 3);
  g_assert_cmpuint (sink.packets->len, ==, 2);

  /* A frame that ends early (newline after a valid but short base64): length never reached,
   * then a good packet still gets through. */
  cbp_decoder_feed (dec, (const guint8 *) "\x06\x09" "ABMK\n", 7);
  cbp_decoder_feed (dec, (const guint8 *) echo_frame, strlen (echo_frame));
  g_assert_cmpuint (sink.packets->len, ==, 3);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_sequence, ==, 4);

  /* Empty frame */
  cbp_decoder_feed (dec, (const guint8 *) "\x06\x09\n", 3);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_base64, ==, 2);

  cbp_decoder_free (dec);
  sink_clear (&sink);
}

static void
test_crc_error (void)
{
  g_autofree char *bad = g_strdup (echo_frame);
  cbp_decoder *dec;
  Sink sink;

  /* Change one base64 character of the body: still valid base64, wrong CRC. */
  bad[10] = bad[10] == 'A' ? 'B' : 'A';
  sink_init (&sink);
  dec = cbp_decoder_new (0, sink_packet, sink_text, &sink);
  cbp_decoder_feed (dec, (const guint8 *) bad, strlen (bad));
  g_assert_cmpuint (sink.packets->len, ==, 0);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_crc, ==, 1);
  /* nothing of a frame leaks into the log text */
  g_assert_cmpuint (sink.text->len, ==, 0);

  cbp_decoder_feed (dec, (const guint8 *) echo_frame, strlen (echo_frame));
  g_assert_cmpuint (sink.packets->len, ==, 1);

  /* Bad base64 (a character outside the alphabet inside the frame) */
  cbp_decoder_feed (dec, (const guint8 *) "\x06\x09" "AB*K\n", 7);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_base64, ==, 1);
  /* Bad base64 length */
  cbp_decoder_feed (dec, (const guint8 *) "\x06\x09" "ABMKA\n", 8);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_base64, ==, 2);
  cbp_decoder_feed (dec, (const guint8 *) echo_frame, strlen (echo_frame));
  g_assert_cmpuint (sink.packets->len, ==, 2);
  cbp_decoder_free (dec);
  sink_clear (&sink);
}

static void
test_oversize (void)
{
  guint8 raw[6] = { 0xea, 0x60, 1, 2, 3, 4 };   /* length 60000 */
  char b64[16];
  g_autoptr(GString) frame = g_string_new ("\x06\x09");
  g_autoptr(GString) longline = g_string_new ("\x06\x09");
  cbp_decoder *dec;
  Sink sink;
  gsize n, i;

  n = cbp_base64_encode (raw, sizeof raw, b64);
  g_string_append_len (frame, b64, (gssize) n);
  g_string_append_c (frame, '\n');

  sink_init (&sink);
  dec = cbp_decoder_new (1024, sink_packet, sink_text, &sink);
  cbp_decoder_feed (dec, (const guint8 *) frame->str, frame->len);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_length, ==, 1);
  /* Continuations of the dropped packet are skipped without more errors. */
  cbp_decoder_feed (dec, (const guint8 *) "\x04\x14" "AAAA\n", 7);
  g_assert_cmpuint (cbp_decoder_errors (dec), ==, 1);

  /* A length too small to hold a CRC */
  raw[0] = 0; raw[1] = 2;
  n = cbp_base64_encode (raw, 4, b64);
  g_string_assign (frame, "\x06\x09");
  g_string_append_len (frame, b64, (gssize) n);
  g_string_append_c (frame, '\n');
  cbp_decoder_feed (dec, (const guint8 *) frame->str, frame->len);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_length, ==, 2);

  /* More data than the length says */
  raw[0] = 0; raw[1] = 3;
  n = cbp_base64_encode (raw, 6, b64);
  g_string_assign (frame, "\x06\x09");
  g_string_append_len (frame, b64, (gssize) n);
  g_string_append_c (frame, '\n');
  cbp_decoder_feed (dec, (const guint8 *) frame->str, frame->len);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_length, ==, 3);

  /* A frame longer than any decoder accepts: bounded, counted, and the next packet works. */
  for (i = 0; i < CBP_FRAME_LINE_MAX + 100; i++)
    g_string_append_c (longline, 'A');
  g_string_append_c (longline, '\n');
  cbp_decoder_feed (dec, (const guint8 *) longline->str, longline->len);
  g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_overlong, ==, 1);
  cbp_decoder_feed (dec, (const guint8 *) echo_frame, strlen (echo_frame));
  g_assert_cmpuint (sink.packets->len, ==, 1);
  g_assert_cmpuint (sink.text->len, ==, 0);

  /* A packet over the decoder's limit made by the real encoder */
  {
    g_autofree guint8 *p = g_malloc0 (1500);
    g_autoptr(GBytes) f = encode (p, 1500, 127);
    cbp_decoder_feed (dec, g_bytes_get_data (f, NULL), g_bytes_get_size (f));
    g_assert_cmpuint (sink.packets->len, ==, 1);
    g_assert_cmpuint (cbp_decoder_get_stats (dec)->err_length, ==, 4);
  }

  cbp_decoder_free (dec);
  sink_clear (&sink);
}

/* The packet buffer is made for the packets that come: one decoder, allowing the most a
 * station's transport does, assembles small, large, largest and small packets in turn. */
static void
test_packet_sizes_in_turn (void)
{
  static const gsize sizes[] = { 10, 600, 3, 5000, 508, 509, 1021, 65529, 65530, 40 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  cbp_decoder *dec;
  Sink sink;

  sink_init (&sink);
  dec = cbp_decoder_new (65535, sink_packet, sink_text, &sink);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree guint8 *packet = g_malloc (sizes[i]);
      g_autoptr(GBytes) frames = NULL;

      for (gsize k = 0; k < sizes[i]; k++)
        packet[k] = (guint8) g_rand_int (rand);
      frames = encode (packet, sizes[i], 127);
      feed_chunked (dec, g_bytes_get_data (frames, NULL), g_bytes_get_size (frames), rand);
      g_assert_cmpuint (sink.packets->len, ==, i + 1);
      g_assert_cmpmem (g_bytes_get_data (sink.packets->pdata[i], NULL),
                       g_bytes_get_size (sink.packets->pdata[i]), packet, sizes[i]);
    }
  g_assert_cmpuint (cbp_decoder_errors (dec), ==, 0);
  cbp_decoder_free (dec);
  sink_clear (&sink);
}

/* Random bytes must never crash the decoder, and a good packet after them still decodes. */
static void
test_fuzz (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint round;

  for (round = 0; round < 200; round++)
    {
      guint8 junk[512];
      guint i;
      cbp_decoder *dec;
      Sink sink;

      for (i = 0; i < sizeof junk; i++)
        {
          static const guint8 alphabet[] = "\x06\x09\x04\x14\nABMK+/=";
          junk[i] = g_rand_boolean (rand) ? alphabet[g_rand_int_range (rand, 0, 13)]
                                          : (guint8) g_rand_int (rand);
        }
      sink_init (&sink);
      dec = cbp_decoder_new (512, sink_packet, sink_text, &sink);
      feed_chunked (dec, junk, sizeof junk, rand);
      /* End any frame the junk left open, then a clean packet. */
      cbp_decoder_feed (dec, (const guint8 *) "\n", 1);
      g_ptr_array_set_size (sink.packets, 0);
      cbp_decoder_feed (dec, (const guint8 *) echo_frame, strlen (echo_frame));
      g_assert_cmpuint (sink.packets->len, ==, 1);
      g_assert_cmpmem (g_bytes_get_data (sink.packets->pdata[0], NULL),
                       g_bytes_get_size (sink.packets->pdata[0]), echo_body, sizeof echo_body);
      cbp_decoder_free (dec);
      sink_clear (&sink);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cb/proto-frame/crc16", test_crc);
  g_test_add_func ("/cb/proto-frame/base64", test_base64);
  g_test_add_func ("/cb/proto-frame/header", test_header);
  g_test_add_func ("/cb/proto-frame/echo-vector", test_echo_vector);
  g_test_add_func ("/cb/proto-frame/round-trip", test_round_trip);
  g_test_add_func ("/cb/proto-frame/bytes-wanted", test_bytes_wanted);
  g_test_add_func ("/cb/proto-frame/garbage-and-logs", test_garbage_and_logs);
  g_test_add_func ("/cb/proto-frame/truncated", test_truncated);
  g_test_add_func ("/cb/proto-frame/crc-error", test_crc_error);
  g_test_add_func ("/cb/proto-frame/oversize", test_oversize);
  g_test_add_func ("/cb/proto-frame/packet-sizes-in-turn", test_packet_sizes_in_turn);
  g_test_add_func ("/cb/proto-frame/fuzz", test_fuzz);
  return g_test_run ();
}
