/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `station` command of certbench-cli. */
#pragma once

#include "cb-cli-types.h"

G_BEGIN_DECLS

/* Provisions each device as its port appears, until Ctrl+C (or --max-runs runs). Returns the
 * exit code (CbCliExit): OK when every run passed, else the first failure's kind. */
int cb_cli_cmd_station (CbCliContext *ctx);

G_END_DECLS
