/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-adr-client.h"
#include "cb-bench-client.h"
#include "cb-dps-client.h"
#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-hub-client.h"
#include "cb-journal.h"
#include "cb-profile.h"
#include "cb-sandbox.h"
#include "cb-secrets.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"

#include "cb-cli.h"

G_BEGIN_DECLS

/* Where a running certbench-sandbox answers unless --sandbox-url says otherwise. */
#define CB_CLI_SANDBOX_DEFAULT_URL "https://127.0.0.1:7443"

/* Everything the command line said. */
typedef struct
{
  char     *command;
  char     *subcommand;
  char    **rest;            /* arguments after the command (devsim passes them on) */

  /* global */
  char     *profile;         /* NULL or "sandbox": the local sandbox */
  char     *sandbox_url;
  char     *sandbox_dir;
  char     *journal_path;
  char     *station;
  char     *operator_name;
  gboolean  json;
  gboolean  quiet;
  gboolean  no_journal;

  /* provision / inspect */
  char     *port;
  char     *registration_id;
  char     *template_text;
  char     *key_type;
  char     *trusted_root;
  char     *pem_path;        /* inspect: also write the device's chain here */
  int       validity_days;
  int       baud;
  gboolean  device_registers;
  gboolean  no_arm;
  gboolean  no_hub_check;

  /* ports */
  gboolean  watch;

  /* journal */
  gboolean  csv;
  gboolean  csv_steps;
  char     *output;
  char     *result;
  char     *serial;
  char     *since;
  char     *until;
  int       limit;
} CbCliOptions;

/* The environment a command runs in: the profile and its clients, built on demand. */
typedef struct
{
  CbCliOptions  *options;
  GCancellable  *cancellable;

  CbProfile     *profile;
  gboolean       is_sandbox;
  CbSandbox     *sandbox;        /* in-process, or NULL */
  char          *sandbox_base;   /* base URL of the sandbox in use */
  CbHttpClient  *http;
  CbSecrets     *secrets;
  CbEntraClient *entra;
  CbAdrClient   *adr;            /* NULL when ARM is not reachable */
  char          *arm_note;       /* why not */
  CbDpsClient   *dps;
  CbHubClient   *hub;            /* reads twins once ARM is signed in; NULL otherwise */
  char          *group_key;      /* secret: wiped on free */
  CbJournal     *journal;
} CbCliContext;

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

/* Sets up the profile (and the sandbox when it is the profile), the HTTP client and DPS. */
gboolean      cb_cli_context_connect   (CbCliContext  *ctx,
                                        GError       **error);
/* Signs in to ARM when the profile can; on failure ctx->adr stays NULL with ctx->arm_note. */
void          cb_cli_context_connect_arm (CbCliContext *ctx);
gboolean      cb_cli_context_open_journal (CbCliContext *ctx,
                                           GError      **error);
void          cb_cli_context_clear     (CbCliContext  *ctx);

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
/* Opens --port at --baud and the SMP transport and bench client on it. */
gboolean      cb_cli_open_device       (CbCliContext     *ctx,
                                        CbSerialPort    **out_port,
                                        CbSmpTransport  **out_transport,
                                        CbBenchClient   **out_bench,
                                        GError          **error);

/* The exit code for an error (CbRunError, G_IO_ERROR from the port, CB_SMP_ERROR...). */
CbCliExit     cb_cli_exit_for_error    (const GError  *error);

int           cb_cli_cmd_provision     (CbCliContext  *ctx);
int           cb_cli_cmd_inspect       (CbCliContext  *ctx);
int           cb_cli_cmd_ports         (CbCliContext  *ctx);
int           cb_cli_cmd_journal       (CbCliContext  *ctx);
int           cb_cli_cmd_devsim        (CbCliContext  *ctx);

G_END_DECLS
