/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-profile.h"

G_BEGIN_DECLS

/* Where a standalone certbench-sandbox answers unless it was told otherwise. */
#define CB_SANDBOX_DEFAULT_URL "https://127.0.0.1:7443"

/* Finds a running certbench-sandbox whose data folder is @dir, trusting only its CA
 * (@dir/sandbox-ca.pem): GET /sandbox/info at @url (15 s), or without @url, when that CA file
 * exists, at CB_SANDBOX_DEFAULT_URL (3 s). */
void       cb_sandbox_discover_async   (const char           *url,
                                        const char           *dir,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
/* The sandbox's profile, the URL it answered at (@out_base_url) and its demo enrollment group
 * key (@out_group_key, a secret: NULL without the demo seed). Without @url, nothing answering
 * is G_IO_ERROR_NOT_FOUND (start a sandbox then); with it, an error that says why the sandbox
 * at @url does not answer; G_IO_ERROR_CANCELLED either way when @cancellable was cancelled. */
CbProfile *cb_sandbox_discover_finish  (GAsyncResult         *result,
                                        char                **out_base_url,
                                        char                **out_group_key,
                                        GError              **error);

G_END_DECLS
