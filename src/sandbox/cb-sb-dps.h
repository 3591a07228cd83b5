/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: DPS enrollment groups, as other modules create them (cb-sb-dps-store.c). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

gboolean      cb_sb_dps_create_enrollment_group (CbSandbox *self, const char *dps,
                                                 const char *group_id,
                                                 const char *primary_key,
                                                 const char *credential_policy_name,
                                                 GError **error);

G_END_DECLS
