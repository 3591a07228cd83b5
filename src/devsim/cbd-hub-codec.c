/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The small codecs the hub's answers need, with no allocation beyond what they return: base64,
 * a bounded JSON reader for credentials answers, UTC formatting for the twin and the response
 * topic parser. Pure functions: a firmware port that has its own JSON and base64 code replaces
 * this file. */
#include "cbd-hub-codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
cbd_dev_b64_encode (const uint8_t *data, size_t len)
{
  char *out = malloc ((len + 2) / 3 * 4 + 1);
  size_t i, o = 0;

  if (out == NULL)
    return NULL;
  for (i = 0; i + 2 < len; i += 3)
    {
      uint32_t v = (uint32_t) data[i] << 16 | (uint32_t) data[i + 1] << 8 | data[i + 2];
      out[o++] = b64_alphabet[v >> 18 & 63];
      out[o++] = b64_alphabet[v >> 12 & 63];
      out[o++] = b64_alphabet[v >> 6 & 63];
      out[o++] = b64_alphabet[v & 63];
    }
  if (i < len)
    {
      uint32_t v = (uint32_t) data[i] << 16 | (i + 1 < len ? (uint32_t) data[i + 1] << 8 : 0);
      out[o++] = b64_alphabet[v >> 18 & 63];
      out[o++] = b64_alphabet[v >> 12 & 63];
      out[o++] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
      out[o++] = '=';
    }
  out[o] = 0;
  return out;
}

/* Appends the base64 in [s, e) (whitespace ignored) to out. Returns false on bad input. */
static bool
b64_decode_append (const char *s, const char *e, uint8_t **out, size_t *out_len)
{
  size_t room = *out_len + (size_t) (e - s) / 4 * 3 + 3;
  uint8_t *buf = realloc (*out, room > 0 ? room : 1);
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  size_t o = *out_len;

  if (buf == NULL)
    return false;
  *out = buf;
  for (; s < e; s++)
    {
      const char *p;
      char c = *s;

      if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
        continue;
      if (c == '=')
        {
          pad++;
          continue;
        }
      if (pad > 0 || c == 0 || (p = strchr (b64_alphabet, c)) == NULL)
        return false;
      acc = acc << 6 | (uint32_t) (p - b64_alphabet);
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          buf[o++] = (uint8_t) (acc >> bits);
        }
    }
  *out_len = o;
  return true;
}

/* One certificate string of a hub answer: base64 DER, or PEM (one or more blocks). */
static bool
append_cert_text (const char *text, uint8_t **chain, size_t *chain_len)
{
  static const char begin[] = "-----BEGIN CERTIFICATE-----";
  static const char end[] = "-----END CERTIFICATE-----";
  const char *p = strstr (text, begin), *q;
  bool any = false;

  if (p == NULL)
    return b64_decode_append (text, text + strlen (text), chain, chain_len);
  while (p != NULL)
    {
      p += sizeof begin - 1;
      q = strstr (p, end);
      if (q == NULL || !b64_decode_append (p, q, chain, chain_len))
        return false;
      any = true;
      p = strstr (q + sizeof end - 1, begin);
    }
  return any;
}

typedef struct
{
  const char *p;
  const char *end;
} json_in;

static void
json_ws (json_in *in)
{
  while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r'))
    in->p++;
}

static int
hex_val (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* A JSON string at in->p; *out (may be NULL to skip) gets a malloc'd copy, \u escapes
 * outside ASCII become '?'. */
static bool
json_string (json_in *in, char **out)
{
  const char *p;
  char *buf = NULL;
  size_t n = 0;

  json_ws (in);
  if (in->p >= in->end || *in->p != '"')
    return false;
  p = ++in->p;
  while (in->p < in->end && *in->p != '"')
    in->p += *in->p == '\\' ? 2 : 1;
  if (in->p >= in->end)
    return false;
  if (out != NULL)
    {
      buf = malloc ((size_t) (in->p - p) + 1);
      if (buf == NULL)
        return false;
      while (p < in->p)
        {
          char c = *p++;

          if (c == '\\')
            {
              c = *p++;
              switch (c)
                {
                case 'n': c = '\n'; break;
                case 'r': c = '\r'; break;
                case 't': c = '\t'; break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                case 'u':
                  {
                    int v = 0, i;
                    for (i = 0; i < 4 && p < in->p; i++, p++)
                      v = v * 16 + (hex_val (*p) < 0 ? 0 : hex_val (*p));
                    c = v > 0 && v < 0x80 ? (char) v : '?';
                  }
                  break;
                default: break;   /* " \ / */
                }
            }
          buf[n++] = c;
        }
      buf[n] = 0;
      *out = buf;
    }
  in->p++;
  return true;
}

static bool
json_skip (json_in *in, int depth)
{
  json_ws (in);
  if (in->p >= in->end || depth > 32)
    return false;
  if (*in->p == '"')
    return json_string (in, NULL);
  if (*in->p == '{' || *in->p == '[')
    {
      char close = *in->p == '{' ? '}' : ']';
      bool obj = close == '}';

      in->p++;
      json_ws (in);
      if (in->p < in->end && *in->p == close)
        {
          in->p++;
          return true;
        }
      for (;;)
        {
          if (obj)
            {
              if (!json_string (in, NULL))
                return false;
              json_ws (in);
              if (in->p >= in->end || *in->p++ != ':')
                return false;
            }
          if (!json_skip (in, depth + 1))
            return false;
          json_ws (in);
          if (in->p >= in->end)
            return false;
          if (*in->p == close)
            {
              in->p++;
              return true;
            }
          if (*in->p++ != ',')
            return false;
        }
    }
  /* number, true, false, null */
  while (in->p < in->end && *in->p != ',' && *in->p != '}' && *in->p != ']' &&
         *in->p != ' ' && *in->p != '\n' && *in->p != '\r' && *in->p != '\t')
    in->p++;
  return true;
}

/* A JSON array of strings at in->p: each decoded into chain. */
static bool
json_cert_array (json_in *in, uint8_t **chain, size_t *chain_len)
{
  json_ws (in);
  if (in->p >= in->end || *in->p != '[')
    return false;
  in->p++;
  json_ws (in);
  if (in->p < in->end && *in->p == ']')
    {
      in->p++;
      return true;
    }
  for (;;)
    {
      char *text = NULL;
      bool ok;

      if (!json_string (in, &text))
        return false;
      ok = append_cert_text (text, chain, chain_len);
      free (text);
      if (!ok)
        return false;
      json_ws (in);
      if (in->p >= in->end)
        return false;
      if (*in->p == ']')
        {
          in->p++;
          return true;
        }
      if (*in->p++ != ',')
        return false;
    }
}

/* The parts of a credentials answer the device uses: the chain (object with certificates,
 * or a bare array), the message and an errorCode. */
bool
cbd_dev_parse_credentials (const uint8_t *payload, size_t len, uint8_t **chain, size_t *chain_len,
                           char **message, char **error_code)
{
  json_in in = { (const char *) payload, (const char *) payload + len };

  json_ws (&in);
  if (in.p >= in.end)
    return false;
  if (*in.p == '[')
    return json_cert_array (&in, chain, chain_len);
  if (*in.p != '{')
    return false;
  in.p++;
  json_ws (&in);
  if (in.p < in.end && *in.p == '}')
    return true;
  for (;;)
    {
      char *key = NULL;
      bool ok;

      if (!json_string (&in, &key))
        return false;
      json_ws (&in);
      if (in.p >= in.end || *in.p++ != ':')
        {
          free (key);
          return false;
        }
      json_ws (&in);
      if (strcmp (key, "certificates") == 0)
        ok = json_cert_array (&in, chain, chain_len);
      else if (strcmp (key, "message") == 0 && in.p < in.end && *in.p == '"' && *message == NULL)
        ok = json_string (&in, message);
      else if (strcmp (key, "errorCode") == 0 && *error_code == NULL)
        {
          const char *start = in.p;
          ok = json_skip (&in, 0);
          if (ok && (*error_code = malloc ((size_t) (in.p - start) + 1)) != NULL)
            {
              memcpy (*error_code, start, (size_t) (in.p - start));
              (*error_code)[in.p - start] = 0;
            }
        }
      else
        ok = json_skip (&in, 0);
      free (key);
      if (!ok)
        return false;
      json_ws (&in);
      if (in.p >= in.end)
        return false;
      if (*in.p == '}')
        return true;
      if (*in.p++ != ',')
        return false;
    }
}

/* Unix seconds as YYYY-MM-DDThh:mm:ssZ (proleptic Gregorian, no libc time zone code). */
void
cbd_dev_format_utc (int64_t t, char out[24])
{
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;

  if (m <= 2)
    y++;
  snprintf (out, 24, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int) y, (int) m, (int) d,
            (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));
}

/* "$iothub/<what>/res/<status>/?$rid=<rid>..." */
bool
cbd_dev_parse_response_topic (const char *topic, const char *prefix, int *status, uint64_t *rid)
{
  size_t n = strlen (prefix);
  const char *p;
  char *end;

  if (strncmp (topic, prefix, n) != 0)
    return false;
  *status = (int) strtol (topic + n, &end, 10);
  if (end == topic + n || *end != '/')
    return false;
  p = strstr (end, "$rid=");
  if (p == NULL)
    return false;
  *rid = strtoull (p + 5, &end, 10);
  return end != p + 5;
}
