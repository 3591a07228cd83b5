/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading CSV text as RFC 4180 writes it (cb-csv-reader.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One record: its fields and the line it starts on (1-based). */
typedef struct
{
  GStrv  fields;
  guint  line;
} CbCsvRecord;

void       cb_csv_record_free (CbCsvRecord *record);

/* Every record of @text (@len bytes, or -1 for NUL-terminated): fields separated by commas,
 * records by CRLF or LF, a field in double quotes may hold commas, line breaks and doubled
 * quotes. Blank lines are skipped; a UTF-8 byte-order mark at the start is dropped. Fails with
 * G_IO_ERROR_INVALID_DATA, naming the line, on a quote that is never closed or text after a
 * closing quote.
 * Returns: (transfer full) (element-type CbCsvRecord): the records, or NULL with @error */
GPtrArray *cb_csv_parse       (const char  *text,
                               gssize       len,
                               GError     **error);

G_END_DECLS
