/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `provision` command of certbench-cli. */
#pragma once

#include "cb-cli-types.h"

G_BEGIN_DECLS

/* Provisions the device on --port (cb-cli-cmd-provision.c). Returns the exit code (CbCliExit). */
int cb_cli_cmd_provision (CbCliContext *ctx);

G_END_DECLS
