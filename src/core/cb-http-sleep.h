/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A cancellable timer for polling loops (DPS operations, device-code sign-in). Fails with
 * G_IO_ERROR_CANCELLED when @cancellable fires first. */
void            cb_http_sleep_async              (guint               delay_ms,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
gboolean        cb_http_sleep_finish             (GAsyncResult       *result,
                                                  GError            **error);

G_END_DECLS
