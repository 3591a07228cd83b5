/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `devsim` command of certbench-cli. */
#pragma once

#include "cb-cli-types.h"

G_BEGIN_DECLS

/* Runs certbench-devsim with the arguments that follow. Returns the exit code (CbCliExit). */
int cb_cli_cmd_devsim (CbCliContext *ctx);

G_END_DECLS
