/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-devsim --fleet: the fleet's command line (cbd-fleet-main.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when argv asks for a fleet; cbd_fleet_main then parses all of argv with the fleet's
 * options, runs until SIGINT/SIGTERM and returns the exit status. */
gboolean    cbd_fleet_wanted           (int                    argc,
                                        char                 **argv);
int         cbd_fleet_main             (int                    argc,
                                        char                 **argv);

G_END_DECLS
