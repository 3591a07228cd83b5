/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-seed"

/* Assembly: the fleet seed, a large fleet on top of the demo seed for the fleet benchmarks
 * (benchmarks/bench-fleet-query) and for trying the app at fleet scale. It goes through the
 * sandbox's own state modules (ADR devices, hub identities, reported twins, connection state,
 * the activity log's revoke events) in one transaction, so a fleet of 100,000 takes seconds,
 * not the hours DPS registrations over HTTPS would. The spread of states is deterministic so
 * benchmarks and docs agree run after run. */

#include "config.h"

#include "cb-sandbox-seed.h"
#include "cb-sandbox-seed-fleet.h"
#include "cb-sb-activity.h"
#include "cb-sb-adr.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-adr-ids.h"
#include "cb-sb-hub.h"
#include "cb-sb-store.h"

#define FLEET_HUB            "demo-hub"
#define FLEET_NAMESPACE      "demo-ns"
#define FLEET_POLICY         "default"
#define FLEET_CA_HUB         "demo-stable-hub"
#define FLEET_CA_NAMESPACE   "demo-stable-ns"
#define FLEET_CA_ICA         "demo-ica"
#define FLEET_CA_POLICY      "thirty-days"
#define FLEET_SUBSCRIPTION   "cb000000-0000-4000-8000-000000000001"
#define FLEET_RESOURCE_GROUP "certbench-demo"
#define FLEET_LIFETIME_DAYS  30
#define OP_DEVICE_REVOKE     "Microsoft.DeviceRegistry/namespaces/devices/revoke/action"

/* Which state the i-th device of the fleet is in (disabled and revoked devices are picked
 * apart, by stride, so they are spread through the fleet). */
CbSandboxFleetState
cb_sandbox_fleet_state_for (guint i)
{
  guint r = (i * 37) % 100;

  if (r < 8)
    return CB_SANDBOX_FLEET_EXPIRED;
  if (r < 23)
    return CB_SANDBOX_FLEET_RENEWAL_DUE;
  if (r < 85)
    return CB_SANDBOX_FLEET_HEALTHY;
  if (r < 93)
    return CB_SANDBOX_FLEET_NOT_REPORTING;
  return CB_SANDBOX_FLEET_NEVER_CONNECTED;
}

static gboolean
seed_device (CbSandbox   *self,
             const char  *namespace_id,
             const char  *policy_id,
             const char  *hub,
             const char  *device_id,
             guint        i,
             gboolean     disabled,
             GError     **error)
{
  const gint64 day = 86400;
  CbSandboxFleetState state = cb_sandbox_fleet_state_for (i);
  gint64 now = cb_sb_now (self);
  gint64 lifetime = FLEET_LIFETIME_DAYS * day;
  gint64 used;
  g_autoptr(JsonObject) patch = NULL;

  if (!cb_sb_adr_ensure_device (self, namespace_id, device_id, policy_id, error) ||
      !cb_sb_hub_ensure_device (self, hub, device_id, error))
    return FALSE;

  if (disabled && !cb_sb_hub_set_device_enabled (self, hub, device_id, FALSE, error))
    return FALSE;

  switch (state)
    {
    case CB_SANDBOX_FLEET_EXPIRED:
      used = lifetime + (1 + i % 20) * day;
      break;
    case CB_SANDBOX_FLEET_RENEWAL_DUE:
      used = lifetime * 8 / 10 + (i % 5) * day + 3600;
      break;
    case CB_SANDBOX_FLEET_HEALTHY:
      used = (i % 23) * day + 600;
      break;
    case CB_SANDBOX_FLEET_NOT_REPORTING:
      /* Connected once, but its twin reports no certificate. */
      return cb_sb_hub_set_activity (self, hub, device_id, (now - 3600 - i % 7200) * G_USEC_PER_SEC);
    case CB_SANDBOX_FLEET_NEVER_CONNECTED:
    default:
      return TRUE;
    }

  patch = cb_sandbox_seed_certificate_patch (now - used, lifetime);
  json_object_set_string_member (patch, "firmware", i % 3 == 0 ? "1.4.2" : "1.5.0");

  if (!cb_sb_hub_patch_reported (self, hub, device_id, patch, error))
    return FALSE;

  /* It last spoke a while after its certificate was issued (before any revoke below). */
  return cb_sb_hub_set_activity (self, hub, device_id,
                                 (((now - used) / 60) * 60 + 60) * G_USEC_PER_SEC);
}

static gboolean
seed_namespace (CbSandbox   *self,
                const char  *namespace_name,
                const char  *policy_id,
                const char  *hub,
                const char  *prefix,
                guint        devices,
                guint        disabled,
                guint        revoked,
                GError     **error)
{
  g_autofree char *namespace_id = cb_sb_namespace_id (FLEET_SUBSCRIPTION, FLEET_RESOURCE_GROUP,
                                                      namespace_name);
  guint disabled_stride = disabled > 0 ? MAX (devices / disabled, 1) : 0;
  guint revoked_stride = revoked > 0 ? MAX (devices / revoked, 1) : 0;
  guint n_disabled = 0;
  guint n_revoked = 0;

  for (guint i = 1; i <= devices; i++)
    {
      g_autofree char *device_id = g_strdup_printf ("%s-%06u", prefix, i);
      gboolean is_disabled = disabled_stride > 0 && n_disabled < disabled &&
                             i % disabled_stride == 0;

      if (!seed_device (self, namespace_id, policy_id, hub, device_id, i, is_disabled, error))
        return FALSE;
      n_disabled += is_disabled;

      /* Revoked: a Succeeded revoke in the activity log, as the revoke action leaves it.
       * Offset by half a stride so no device is both disabled and revoked. */
      if (revoked_stride > 0 && n_revoked < revoked &&
          (i + revoked_stride / 2 + 1) % revoked_stride == 0)
        {
          g_autofree char *resource_id = cb_sb_device_id (namespace_id, device_id);

          cb_sb_log_activity (self, "admin@sandbox.certbench.local", NULL, NULL, "POST",
                              OP_DEVICE_REVOKE, resource_id, "Succeeded", 200);
          n_revoked++;
        }
    }

  return TRUE;
}

gboolean
cb_sandbox_seed_fleet (CbSandbox                  *self,
                       const CbSandboxFleetSpec   *spec,
                       GError                    **error)
{
  g_autofree char *namespace_id = NULL;
  g_autofree char *policy_id = NULL;
  g_autofree char *ca_namespace_id = NULL;
  g_autofree char *ica_id = NULL;
  g_autofree char *ca_policy_id = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);

  /* The fleet joins the demo's namespaces, hubs and policies. */
  if (!cb_sandbox_seed_demo (self, error))
    return FALSE;

  namespace_id = cb_sb_namespace_id (FLEET_SUBSCRIPTION, FLEET_RESOURCE_GROUP, FLEET_NAMESPACE);
  policy_id = cb_sb_policy_id (namespace_id, FLEET_POLICY);
  ca_namespace_id = cb_sb_namespace_id (FLEET_SUBSCRIPTION, FLEET_RESOURCE_GROUP,
                                        FLEET_CA_NAMESPACE);
  ica_id = cb_sb_adr_ca_id (ca_namespace_id, FLEET_CA_ICA);
  ca_policy_id = cb_sb_adr_ca_policy_id (ica_id, FLEET_CA_POLICY);

  cb_sb_lock (self);

  /* One transaction: 100,000 devices in seconds, and never half a fleet. */
  if (!cb_sb_begin (self))
    {
      cb_sb_set_sqlite_error (self, error);
      goto out;
    }

  if (!seed_namespace (self, FLEET_NAMESPACE, policy_id, FLEET_HUB, "fleet", spec->devices,
                       spec->disabled, spec->revoked, error) ||
      !seed_namespace (self, FLEET_CA_NAMESPACE, ca_policy_id, FLEET_CA_HUB, "fleet-ca",
                       spec->stable_devices, spec->stable_devices / 20, 0, error))
    {
      cb_sb_rollback (self);
      goto out;
    }

  if (!cb_sb_commit (self))
    {
      cb_sb_set_sqlite_error (self, error);
      cb_sb_rollback (self);
      goto out;
    }
  ok = TRUE;

out:
  cb_sb_unlock (self);
  return ok;
}
