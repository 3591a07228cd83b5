/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers more than one part of certbench-cli uses (cb-cli-shared.c). */
#pragma once

#include <json-glib/json-glib.h>

#include "cb-bench-client.h"
#include "cb-device-drivers.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"

#include "cb-cli-exit.h"
#include "cb-cli-types.h"

G_BEGIN_DECLS

/* Makes the context for the profile the options name (the local sandbox, found running or
 * started here, or one of the app's profiles) and starts it, without ARM. */
gboolean      cb_cli_context_connect   (CbCliContext  *ctx,
                                        GError       **error);
/* Signs in to ARM when the profile can; on failure ctx->context has no ADR client and
 * ctx->arm_note says why. */
void          cb_cli_context_connect_arm (CbCliContext *ctx);
gboolean      cb_cli_context_open_journal (CbCliContext *ctx,
                                           GError      **error);
/* Shuts the context down (stopping a sandbox started here) and wipes the group key. */
void          cb_cli_context_clear     (CbCliContext  *ctx);

/* Waits (iterating the default main context) for an async result. */
GAsyncResult *cb_cli_wait              (GAsyncResult **slot);
void          cb_cli_store_result      (GObject       *object,
                                        GAsyncResult  *result,
                                        gpointer       user_data);

/* Prints to stderr unless --quiet; progress and messages never go to stdout. */
void          cb_cli_note              (CbCliContext  *ctx,
                                        const char    *format,
                                        ...) G_GNUC_PRINTF (2, 3);
void          cb_cli_print_json        (JsonNode      *node);

/* Reports an error that stops a command before it produced a result: on stderr, and on stdout
 * as {"error", "exitCode"} with --json. Returns code. */
int           cb_cli_fail              (CbCliContext  *ctx,
                                        CbCliExit      code,
                                        const char    *format,
                                        ...) G_GNUC_PRINTF (3, 4);
/* Adds a member that is a string, or null when value is NULL. */
void          cb_cli_add_string        (JsonBuilder   *b,
                                        const char    *name,
                                        const char    *value);
/* Adds a member that is a fixed-format time, or null when unix_seconds is 0. */
void          cb_cli_add_time          (JsonBuilder   *b,
                                        const char    *name,
                                        gint64         unix_seconds);
/* Opens --port at --baud and the device's driver on it: --driver when it names one, else the
 * one whose probe answers. */
gboolean      cb_cli_open_device       (CbCliContext     *ctx,
                                        CbSerialPort    **out_port,
                                        CbDeviceDriver  **out_driver,
                                        GError          **error);
/* --sec-tag, or CB_NRF91_DRIVER_DEFAULT_SEC_TAG (cb_cli_check_driver_option() refuses a bad
 * one first). */
guint32       cb_cli_get_sec_tag         (CbCliContext   *ctx);
/* A usage error's message when --driver names no driver or --sec-tag no security tag; NULL
 * when they are fine.
 * Returns: (transfer full) (nullable) */
char         *cb_cli_check_driver_option (CbCliContext   *ctx);

/* The exit code for an error (CbRunError, G_IO_ERROR from the port, CB_SMP_ERROR...). */
CbCliExit     cb_cli_exit_for_error    (const GError  *error);

G_END_DECLS
