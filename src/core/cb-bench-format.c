/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-client"

/* The bench protocol's byte formats outside CBOR: the message a device signs for pop, and a
 * chain as the device stores it (DER certificates, leaf first), from DER or PEM. */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "cbp-group.h"

#include "cb-bench-format.h"

GBytes *
cb_bench_pop_message (GBytes *challenge)
{
  GByteArray *msg;

  g_return_val_if_fail (challenge != NULL, NULL);

  msg = g_byte_array_sized_new (CBP_POP_PREFIX_LEN + g_bytes_get_size (challenge));
  /* the prefix's terminating NUL is the 0x00 separator */
  g_byte_array_append (msg, (const guint8 *)CBP_POP_PREFIX, CBP_POP_PREFIX_LEN);
  g_byte_array_append (msg, g_bytes_get_data (challenge, NULL), g_bytes_get_size (challenge));
  return g_byte_array_free_to_bytes (msg);
}

GBytes *
cb_bench_chain_to_der (GBytes  *der_or_pem,
                       GError **error)
{
  static const char begin[] = "-----BEGIN CERTIFICATE-----";
  static const char end[] = "-----END CERTIFICATE-----";
  g_autoptr(GByteArray) der = NULL;
  g_autofree char *text = NULL;
  gsize len;
  const guint8 *data;
  const char *p;

  g_return_val_if_fail (der_or_pem != NULL, NULL);

  data = g_bytes_get_data (der_or_pem, &len);
  if (len > 0 && data[0] == 0x30)
    return g_bytes_ref (der_or_pem);

  text = g_strndup ((const char *)data, len);
  der = g_byte_array_new ();
  p = text;
  while ((p = strstr (p, begin)) != NULL)
    {
      const char *body = p + strlen (begin);
      const char *stop = strstr (body, end);
      g_autofree char *b64 = NULL;
      g_autofree guchar *cert = NULL;
      gsize cert_len = 0;

      if (stop == NULL)
        break;

      b64 = g_strndup (body, stop - body);
      cert = g_base64_decode (g_strstrip (b64), &cert_len);
      if (cert_len < 2 || cert[0] != 0x30)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "A PEM CERTIFICATE block does not hold a DER certificate");
          return NULL;
        }
      g_byte_array_append (der, cert, cert_len);
      p = stop + strlen (end);
    }

  if (der->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The chain is neither DER nor PEM with CERTIFICATE blocks");
      return NULL;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&der));
}
