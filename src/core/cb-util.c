/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-util"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cb-util.h"

gboolean
cb_set_str (char       **ptr,
            const char  *str)
{
  char *copy;

  g_assert (ptr != NULL);

  if (*ptr == str || g_strcmp0 (*ptr, str) == 0)
    return FALSE;

  copy = g_strdup (str);
  g_free (*ptr);
  *ptr = copy;

  return TRUE;
}

void
cb_wipe_string (char **str)
{
  if (*str != NULL)
    {
      memset (*str, 0, strlen (*str));
      g_clear_pointer (str, g_free);
    }
}

char *
cb_time_format_fixed (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);

  if (dt == NULL)
    return NULL;

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

char *
cb_time_format_precise (gint64 unix_usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_usec / G_USEC_PER_SEC);
  g_autofree char *base = NULL;

  if (dt == NULL)
    return NULL;

  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", base, (int) ((unix_usec % G_USEC_PER_SEC) / 1000));
}

gboolean
cb_time_parse_iso8601 (const char *text,
                       gint64     *out_unix_seconds)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GTimeZone) utc = NULL;

  g_return_val_if_fail (out_unix_seconds != NULL, FALSE);

  if (text == NULL || *text == '\0')
    return FALSE;

  utc = g_time_zone_new_utc ();
  dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL)
    return FALSE;

  *out_unix_seconds = g_date_time_to_unix (dt);
  return TRUE;
}

char *
cb_hex_encode (const guint8 *data,
               gsize         len,
               gboolean      upper)
{
  static const char lower_digits[] = "0123456789abcdef";
  static const char upper_digits[] = "0123456789ABCDEF";
  const char *digits = upper ? upper_digits : lower_digits;
  char *out = g_malloc (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    {
      out[i * 2] = digits[data[i] >> 4];
      out[i * 2 + 1] = digits[data[i] & 0xf];
    }
  out[len * 2] = '\0';

  return out;
}

static void
fill_random (guint8 *buf,
             gsize   len)
{
  if (gnutls_rnd (GNUTLS_RND_RANDOM, buf, len) != 0)
    g_error ("The system random number generator failed");
}

char *
cb_random_hex (gsize n_bytes)
{
  g_autofree guint8 *buf = g_malloc (n_bytes);

  fill_random (buf, n_bytes);
  return cb_hex_encode (buf, n_bytes, FALSE);
}

char *
cb_random_base64 (gsize n_bytes)
{
  g_autofree guint8 *buf = g_malloc (n_bytes);

  fill_random (buf, n_bytes);
  return g_base64_encode (buf, n_bytes);
}

char *
cb_sha256_hex (const guint8 *data,
               gsize         len)
{
  guint8 digest[32];

  if (gnutls_hash_fast (GNUTLS_DIG_SHA256, data, len, digest) != 0)
    g_error ("SHA-256 is not available");

  return cb_hex_encode (digest, sizeof digest, FALSE);
}

/* Compares secrets (signatures, tokens) without leaking where they differ. */
gboolean
cb_constant_time_equal (const char *a,
                        const char *b)
{
  gsize la, lb;
  guint8 diff;

  if (a == NULL || b == NULL)
    return FALSE;

  la = strlen (a);
  lb = strlen (b);
  diff = la != lb;

  for (gsize i = 0; i < MAX (la, lb); i++)
    diff |= (guint8) (i < la ? a[i] : 0) ^ (guint8) (i < lb ? b[i] : 0);

  return diff == 0;
}

gboolean
cb_mkdir_private (const char  *path,
                  GError     **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not create folder %s: %s", path, g_strerror (errsv));
      return FALSE;
    }

  if (g_chmod (path, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not restrict folder %s: %s", path, g_strerror (errsv));
      return FALSE;
    }

  return TRUE;
}

/* Writes a file readable only by its owner, atomically: the data goes to a 0600 temporary
 * file in the same folder which then replaces the target, so a crash never leaves a
 * half-written key and the key is never readable by others, not even for a moment. */
gboolean
cb_write_private_file (const char  *path,
                       const char  *contents,
                       gssize       len,
                       GError     **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", path);
  gsize remaining;
  const char *p = contents;
  int fd;

  if (len < 0)
    len = strlen (contents);

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not create %s: %s", path, g_strerror (errsv));
      return FALSE;
    }

  remaining = (gsize) len;
  while (remaining > 0)
    {
      gssize n = write (fd, p, remaining);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;
          close (fd);
          g_unlink (tmp);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "Could not write %s: %s", path, g_strerror (errsv));
          return FALSE;
        }
      p += n;
      remaining -= (gsize) n;
    }

  if (fsync (fd) != 0 || close (fd) != 0)
    {
      int errsv = errno;
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not write %s: %s", path, g_strerror (errsv));
      return FALSE;
    }

  if (g_rename (tmp, path) != 0)
    {
      int errsv = errno;
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not replace %s: %s", path, g_strerror (errsv));
      return FALSE;
    }

  return TRUE;
}
