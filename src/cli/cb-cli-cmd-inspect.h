/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `inspect` command of certbench-cli. */
#pragma once

#include "cb-cli-types.h"

G_BEGIN_DECLS

/* Inspects the device on --port and says whether the hub would accept its chain. Returns the exit code (CbCliExit). */
int cb_cli_cmd_inspect (CbCliContext *ctx);

G_END_DECLS
