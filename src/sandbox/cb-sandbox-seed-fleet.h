/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The fleet seed (cb-sandbox-seed-fleet.c): a large fleet on the demo seed, for benchmarks and
 * for trying the app at fleet scale. */

#include "cb-sandbox.h"

G_BEGIN_DECLS

/* The twin each device gets, by its index (deterministic). Disabled and revoked devices are
 * picked apart (CbSandboxFleetSpec). */
typedef enum
{
  CB_SANDBOX_FLEET_EXPIRED,
  CB_SANDBOX_FLEET_RENEWAL_DUE,
  CB_SANDBOX_FLEET_HEALTHY,
  CB_SANDBOX_FLEET_NOT_REPORTING,     /* connected once, reports no certificate dates */
  CB_SANDBOX_FLEET_NEVER_CONNECTED,   /* no twin dates, no activity */
} CbSandboxFleetState;

typedef struct
{
  guint devices;          /* fleet-NNNNNN in demo-ns and demo-hub (the preview model) */
  guint disabled;         /* of those, disabled in the hub */
  guint revoked;          /* of those, revoked (a Succeeded revoke in the activity log) */
  guint stable_devices;   /* fleet-ca-NNNNNN in demo-stable-ns and demo-stable-hub */
} CbSandboxFleetSpec;

CbSandboxFleetState cb_sandbox_fleet_state_for (guint i);

/* Seeds the demo (when it is not there yet), then the fleet, in one transaction. Call after
 * start; run it once per data folder (a second run finds the devices and only rewrites their
 * twins). */
gboolean    cb_sandbox_seed_fleet           (CbSandbox                 *self,
                                             const CbSandboxFleetSpec  *spec,
                                             GError                   **error);

G_END_DECLS
