/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "cb-cli-exit.h"

G_BEGIN_DECLS

/* certbench-cli: the station's work without a display. */
int cb_cli_main (int    argc,
                 char **argv);

G_END_DECLS
