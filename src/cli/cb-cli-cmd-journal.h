/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `journal` command of certbench-cli. */
#pragma once

#include "cb-cli-types.h"

G_BEGIN_DECLS

/* Lists or exports the journal. Returns the exit code (CbCliExit). */
int cb_cli_cmd_journal (CbCliContext *ctx);

G_END_DECLS
