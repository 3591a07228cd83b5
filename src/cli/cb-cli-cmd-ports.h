/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `ports` command of certbench-cli. */
#pragma once

#include "cb-cli-types.h"

G_BEGIN_DECLS

/* Lists (and with --watch follows) the serial ports. Returns the exit code (CbCliExit). */
int cb_cli_cmd_ports (CbCliContext *ctx);

G_END_DECLS
