/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-cli and DPS enrollments (cb-cli-enrollment.c). */
#pragma once

#include "cb-adr-client.h"
#include "cb-cli-types.h"

G_BEGIN_DECLS

/* `registry create-enrollment-group GROUP --policy P [--ca ICA]`: an enrollment group on the
 * profile's DPS whose devices get their certificates from the policy (and in the
 * certificate-authority model from its ICA in adr's namespace). Returns the exit code. */
int      cb_cli_create_enrollment_group (CbCliContext  *ctx,
                                         CbAdrClient   *adr,
                                         CbAdrModel     model,
                                         const char    *group_id);

/* `provision --enrollment-group GROUP`: reads the group from the profile's DPS (signed in to
 * ARM) and makes it this run's: its key becomes ctx->group_key and the policy it names the
 * profile's, in memory only. */
gboolean cb_cli_use_enrollment_group    (CbCliContext  *ctx,
                                         const char    *group_id,
                                         GError       **error);

/* `registry import-enrollments FOLDER|FILE.csv [--policy P [--ca ICA]]`: an individual X.509
 * enrollment on the profile's DPS for each device certificate (docs/cli.md), each item's
 * result on standard output as it finishes (or all of them as a JSON array with --json), a
 * summary on standard error. Returns the exit code: 1 when any item failed. */
int      cb_cli_import_enrollments      (CbCliContext  *ctx,
                                         CbAdrClient   *adr,
                                         CbAdrModel     model,
                                         const char    *path);

G_END_DECLS
