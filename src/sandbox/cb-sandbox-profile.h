/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-profile.h"
#include "cb-sandbox.h"

G_BEGIN_DECLS

/* A connection profile for this running sandbox (endpoints, names, pinned CA; no secrets). */
CbProfile  *cb_sandbox_create_profile            (CbSandbox  *self);
/* The sandbox's own copy of an enrollment group's primary key, for the app and the CLI to put
 * into the secret service for the sandbox profile. NULL when there is no such group. */
char       *cb_sandbox_dup_enrollment_group_key  (CbSandbox  *self,
                                                  const char *dps,
                                                  const char *group_id);

G_END_DECLS
