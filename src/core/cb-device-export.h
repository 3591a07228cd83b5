/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "cb-device-item.h"

G_BEGIN_DECLS

/* Devices as a file to take away (issue 17, bulk actions): CSV (RFC 4180: CRLF lines, a
 * header row, fields with a comma, quote or line break quoted, quotes doubled) or a JSON
 * array of objects, with the same fields: device id, enabled, effective state, its reason,
 * the reported certificate expiry and the last activity (ISO 8601 UTC, empty/null unknown). */
typedef enum
{
  CB_DEVICE_EXPORT_CSV,
  CB_DEVICE_EXPORT_JSON,
} CbDeviceExportFormat;

/* @items: CbDeviceItem. Returns: (transfer full) the file's text */
char *cb_device_export (GPtrArray            *items,
                        CbDeviceExportFormat  format);
G_END_DECLS
