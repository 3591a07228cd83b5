/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `registry` command group of certbench-cli. */
#pragma once

#include "cb-cli-types.h"

G_BEGIN_DECLS

/* Lists or acts on the namespace's certificate authorities, policies, links and devices, in
 * either ADR model. Returns the exit code (CbCliExit). */
int cb_cli_cmd_registry (CbCliContext *ctx);

G_END_DECLS
