/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cb-cli.h"

int
main (int    argc,
      char **argv)
{
  return cb_cli_main (argc, argv);
}
