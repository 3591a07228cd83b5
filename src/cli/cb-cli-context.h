/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Building and clearing the CbCliContext a command runs in (cb-cli-context.c). */
#pragma once

#include "cb-cli-types.h"

G_BEGIN_DECLS

/* Where a running certbench-sandbox answers unless --sandbox-url says otherwise. */
#define CB_CLI_SANDBOX_DEFAULT_URL "https://127.0.0.1:7443"

/* Sets up the profile (and the sandbox when it is the profile), the HTTP client and DPS. */
gboolean      cb_cli_context_connect   (CbCliContext  *ctx,
                                        GError       **error);
/* Signs in to ARM when the profile can; on failure ctx->adr stays NULL with ctx->arm_note. */
void          cb_cli_context_connect_arm (CbCliContext *ctx);
gboolean      cb_cli_context_open_journal (CbCliContext *ctx,
                                           GError      **error);
void          cb_cli_context_clear     (CbCliContext  *ctx);

G_END_DECLS
