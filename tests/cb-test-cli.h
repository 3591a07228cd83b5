/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-test-sandbox.h"

G_BEGIN_DECLS

/* The built binary @name under <build>/src/@dir, or the path in $@env_name. */
char *cb_test_cli_built_binary (const char          *env_name,
                                const char          *dir,
                                const char          *name);

/* Runs the certbench-cli at @cli with XDG folders under @home. With @ts it uses that sandbox
 * and @journal; without, it finds or starts a sandbox itself, as on a fresh machine. Returns
 * the exit status; the output goes to the test log. */
int   cb_test_cli_run          (const char          *cli,
                                const char          *home,
                                CbTestSandbox       *ts,
                                const char          *journal,
                                char               **out_stdout,
                                char               **out_stderr,
                                const char * const  *args);

/* Same, with the environment variables in @env ("NAME=value") set for it. */
int   cb_test_cli_run_with_env (const char          *cli,
                                const char          *home,
                                CbTestSandbox       *ts,
                                const char          *journal,
                                const char * const  *env,
                                char               **out_stdout,
                                char               **out_stderr,
                                const char * const  *args);

/* Starts the same command and returns it running, its stdout and stderr piped. */
GSubprocess *cb_test_cli_spawn        (const char          *cli,
                                       const char          *home,
                                       CbTestSandbox       *ts,
                                       const char          *journal,
                                       const char * const  *env,
                                       const char * const  *args);

/* Starts a simulated device through `certbench-cli devsim` (which execs @devsim) with @args
 * after the command; it dies with the test. Returns the process; @out_pty: its pty path. */
GSubprocess *cb_test_cli_start_device (const char         *cli,
                                       const char         *devsim,
                                       const char         *home,
                                       const char * const *args,
                                       char              **out_pty);

G_END_DECLS
