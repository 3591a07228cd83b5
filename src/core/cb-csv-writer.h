/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writing CSV as RFC 4180 reads it (cb-csv-writer.c): the one writer behind every export, so a
 * journal export and a device export quote and guard their fields the same way. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One field: quoted when it holds a comma, quote, CR or LF (quotes doubled). Text that starts
 * with = + - @ TAB or CR (a device serial or a device id is untrusted input) gets a leading
 * single quote so a spreadsheet shows it instead of running it as a formula. NULL is the empty
 * field. Returns: (transfer full) */
char *cb_csv_field      (const char         *text);

/* Appends one record to @out: @n_fields fields (NULL ones empty) joined by commas, ended with
 * CRLF as RFC 4180 ends records. */
void  cb_csv_append_row (GString            *out,
                         const char * const *fields,
                         gsize               n_fields);

G_END_DECLS
