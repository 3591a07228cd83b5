/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-cli's exit codes: a header of its own, without code, so the commands and their
 * helpers name them without including the CLI's entry point. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes are part of the interface
 * (docs/cli.md); scripts branch on them. */
typedef enum
{
  CB_CLI_EXIT_OK = 0,            /* PASS; inspect: the hub would accept the device's chain */
  CB_CLI_EXIT_FAILED = 1,        /* anything not listed below */
  CB_CLI_EXIT_USAGE = 2,         /* bad command line */
  CB_CLI_EXIT_CONFIG = 3,        /* profile, secrets, sandbox or station set-up */
  CB_CLI_EXIT_DEVICE = 4,        /* port busy or missing, device refused, unplugged or silent */
  CB_CLI_EXIT_CHECK = 5,         /* the device's CSR or the issued chain failed a check */
  CB_CLI_EXIT_SERVICE = 6,       /* DPS, ARM or the hub said no or could not be reached */
  CB_CLI_EXIT_JOURNAL = 7,       /* the journal could not be opened or written */
  CB_CLI_EXIT_REJECTED = 8,      /* inspect: the hub would not accept the device's chain */
  CB_CLI_EXIT_NO_CERTIFICATE = 9,/* inspect: the device has no certificate */
  CB_CLI_EXIT_NOT_CONFIRMED = 10,/* registry: a destructive action was not confirmed (no --yes
                                  * without a terminal, or the name typed did not match) */
  CB_CLI_EXIT_CANCELLED = 130,   /* interrupted (SIGINT/SIGTERM) */
} CbCliExit;

G_END_DECLS
