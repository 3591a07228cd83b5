/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the ARM resource ids of ADR's resources (cb-sb-adr-ids.c). */

#include <glib.h>

G_BEGIN_DECLS

char         *cb_sb_namespace_id          (const char  *subscription,
                                           const char  *resource_group,
                                           const char  *ns);
char         *cb_sb_policy_id             (const char  *namespace_id,
                                           const char  *policy);
char         *cb_sb_credential_id         (const char  *namespace_id);
char         *cb_sb_device_id             (const char  *namespace_id,
                                           const char  *device);
char         *cb_sb_hub_resource_id       (const char  *subscription,
                                           const char  *resource_group,
                                           const char  *hub);
/* The namespace id is the policy/device id up to "/credentials/" or "/devices/". */
char         *cb_sb_namespace_of          (const char  *resource_id);

G_END_DECLS
