/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads one DER tag and length at *p, leaving *p at the contents. It does not check that the
 * contents fit before end: callers that report truncation precisely check that themselves.
 * Shared by cb-pki.c and cb-x509.c, which both pick signed DER apart by hand. */
static inline gboolean
cb_der_read_header (const guint8 **p,
                    const guint8  *end,
                    guint8        *tag,
                    gsize         *len)
{
  const guint8 *q = *p;
  gsize l;

  if (end - q < 2)
    return FALSE;

  *tag = *q++;
  l = *q++;

  if (l & 0x80)
    {
      guint n = l & 0x7f;

      if (n == 0 || n > 4 || (gsize) (end - q) < n)
        return FALSE;

      for (l = 0; n > 0; n--)
        l = (l << 8) | *q++;
    }

  *p = q;
  *len = l;
  return TRUE;
}

G_END_DECLS
