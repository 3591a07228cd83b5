/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Domain: the ADR API other modules use (the seed, DPS, the MQTT endpoint, tests): resource
 * ids (cb-sb-adr-ids.h), ADR operations (cb-sb-adr-ops.c), issuance (cb-sb-issuance.h) and
 * the hub's verdict on a device chain (cb-sb-verdict.h). */

#include <glib.h>
#include "cb-sb-adr-ids.h"
#include "cb-sb-issuance.h"
#include "cb-sb-verdict.h"
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* ADR operations (cb-sb-adr-ops.c) */
gboolean      cb_sb_adr_create_namespace  (CbSandbox *self, const char *subscription,
                                           const char *resource_group, const char *name,
                                           const char *location, GError **error);
gboolean      cb_sb_adr_create_credential (CbSandbox *self, const char *namespace_id,
                                           GError **error);
gboolean      cb_sb_adr_create_policy     (CbSandbox *self, const char *namespace_id,
                                           const char *policy, guint validity_days,
                                           gboolean byor, GError **error);
/* Pushes every active issuing CA of the namespace to its linked hubs' certificates. */
gboolean      cb_sb_adr_synchronize       (CbSandbox *self, const char *namespace_id,
                                           GError **error);
/* Creates or updates the ADR namespace device for a DPS registration and points it at the
 * policy. The device keeps its credential identifier unless it has none yet. */
gboolean      cb_sb_adr_ensure_device     (CbSandbox *self, const char *namespace_id,
                                           const char *device_name, const char *policy_id,
                                           GError **error);
G_END_DECLS
