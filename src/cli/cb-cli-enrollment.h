/* SPDX-License-Identifier: GPL-3.0-or-later */
/* certbench-cli and DPS enrollment groups (cb-cli-enrollment.c). */
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

G_END_DECLS
