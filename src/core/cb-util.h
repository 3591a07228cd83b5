/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  cb_set_str                 (char         **ptr,
                                      const char    *str);
/* Overwrites a secret string with zeros, frees it and sets *str to NULL. */
void      cb_wipe_string             (char         **str);

/* Timestamps. "Fixed" is the YYYY-MM-DDThh:mm:ssZ form that twin queries compare as strings;
 * "precise" adds milliseconds, as ARM writes them. */
char     *cb_time_format_fixed       (gint64         unix_seconds);
char     *cb_time_format_precise     (gint64         unix_usec);
gboolean  cb_time_parse_iso8601      (const char    *text,
                                      gint64        *out_unix_seconds);

char     *cb_random_hex              (gsize          n_bytes);
char     *cb_random_base64           (gsize          n_bytes);
char     *cb_sha256_hex              (const guint8  *data,
                                      gsize          len);
char     *cb_hex_encode              (const guint8  *data,
                                      gsize          len,
                                      gboolean       upper);
gboolean  cb_constant_time_equal     (const char    *a,
                                      const char    *b);

gboolean  cb_mkdir_private           (const char    *path,
                                      GError       **error);
gboolean  cb_write_private_file      (const char    *path,
                                      const char    *contents,
                                      gssize         len,
                                      GError       **error);

G_END_DECLS
