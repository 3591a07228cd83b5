/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-seed"

#include "config.h"

#include "cb-sandbox-seed.h"
#include "cb-sb-adr.h"
#include "cb-sb-adr-ca-rules.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-adr-endpoint-store.h"
#include "cb-sb-adr-linking.h"
#include "cb-sb-arm-resources.h"
#include "cb-sb-directory.h"
#include "cb-sb-dps.h"
#include "cb-sb-dps-store.h"
#include "cb-sb-hub.h"
#include "cb-sb-json.h"
#include "cb-sb-store.h"
#include "cb-util.h"
#include "cb-sb-topology.h"

/* Assembly: the demo seed, everything a new user needs to try every flow without an Azure
 * account: a namespace in ADR's preview model (credential and policy, a fleet) and one in the
 * stable 2026-11-01 model (root, Microsoft-issued ICA, certificate policy, linked hub and DPS).
 * Names and keys are fixed so docs/sandbox.md can show them; they are demo values only. */

#define DEMO_SUBSCRIPTION    "cb000000-0000-4000-8000-000000000001"
#define DEMO_RESOURCE_GROUP  "certbench-demo"
#define DEMO_NAMESPACE       "demo-ns"
#define DEMO_LOCATION        "westeurope"
#define DEMO_POLICY          "default"
#define DEMO_POLICY_DAYS     30
#define DEMO_HUB             "demo-hub"
#define DEMO_DPS             "demo-dps"
#define DEMO_ID_SCOPE        "0ne00CB0DE1"
#define DEMO_GROUP           "factory-line-1"
/* base64("certbench-demo-enrollment-key-01") */
#define DEMO_GROUP_KEY       "Y2VydGJlbmNoLWRlbW8tZW5yb2xsbWVudC1rZXktMDE="
/* base64("certbench-demo-iothubowner-key-01") */
#define DEMO_HUB_OWNER_KEY   "Y2VydGJlbmNoLWRlbW8taW90aHVib3duZXIta2V5LTAx"
/* base64("certbench-demo-dps-owner-key-0001") */
#define DEMO_DPS_OWNER_KEY   "Y2VydGJlbmNoLWRlbW8tZHBzLW93bmVyLWtleS0wMDAx"
#define DEMO_DEVICES         240

/* The stable model's namespace. Its names sort after the preview ones: the sandbox profile
 * takes the first hub and DPS of /sandbox/info, which must stay demo-hub and demo-dps. */
#define DEMO_CA_NAMESPACE    "demo-stable-ns"
#define DEMO_CA_ROOT         "demo-root"
#define DEMO_CA_ICA          "demo-ica"
#define DEMO_CA_POLICY       "thirty-days"
#define DEMO_CA_POLICY_DAYS  30
#define DEMO_CA_HUB          "demo-stable-hub"
#define DEMO_CA_DPS          "demo-stable-dps"
#define DEMO_CA_ID_SCOPE     "0ne00CB0CA1"
#define DEMO_CA_GROUP        "ca-line1"
/* base64("certbench-demo-ca-enrollment-key1") */
#define DEMO_CA_GROUP_KEY    "Y2VydGJlbmNoLWRlbW8tY2EtZW5yb2xsbWVudC1rZXkx"
/* base64("certbench-demo-ca-hub-owner-key01") */
#define DEMO_CA_HUB_OWNER_KEY "Y2VydGJlbmNoLWRlbW8tY2EtaHViLW93bmVyLWtleTAx"
/* base64("certbench-demo-ca-dps-owner-key01") */
#define DEMO_CA_DPS_OWNER_KEY "Y2VydGJlbmNoLWRlbW8tY2EtZHBzLW93bmVyLWtleTAx"

/* Discovery (issue 17): a second subscription the admin owns and an empty resource group, so
 * that choosing from ARM's lists after signing in is a real choice. */
#define DEMO_SUBSCRIPTION_NAME   "Certbench demo"
#define DEMO_LAB_SUBSCRIPTION    "cb000000-0000-4000-8000-000000000002"
#define DEMO_LAB_SUBSCRIPTION_NAME "Certbench lab"
#define DEMO_LAB_RESOURCE_GROUP  "certbench-lab"
#define DEMO_EMPTY_RESOURCE_GROUP "certbench-staging"

/* Several tenants (issue 17): a second directory the admin is a guest in, with a subscription
 * of its own holding a resource group and a namespace, so that choosing a tenant after
 * signing in is a real choice and ARM's tenant rule (a token from the subscription's tenant)
 * is met on every walk into it. */
#define DEMO_FIELD_TENANT        "cb000000-0000-4000-8000-000000000f1d"
#define DEMO_FIELD_TENANT_NAME   "Certbench Field Lab"
#define DEMO_FIELD_DOMAIN        "fieldlab.certbench.local"
#define DEMO_FIELD_SUBSCRIPTION  "cb000000-0000-4000-8000-000000000003"
#define DEMO_FIELD_SUBSCRIPTION_NAME "Field lab devices"
#define DEMO_FIELD_RESOURCE_GROUP "field-lab"
#define DEMO_FIELD_NAMESPACE     "field-ns"
#define DEMO_FIELD_LOCATION      "swedencentral"

#define ADMIN     "admin@sandbox.certbench.local"
#define OPERATOR  "operator@sandbox.certbench.local"
#define READER    "reader@sandbox.certbench.local"

/* The fleet's reported certificates: a spread across the four states the fleet view shows,
 * deterministic so screenshots and tests agree. */
typedef enum
{
  DEMO_EXPIRED,
  DEMO_RENEWAL_DUE,
  DEMO_HEALTHY,
  DEMO_NOT_REPORTING,
} DemoState;

static DemoState
demo_state_for (guint i)
{
  guint r = (i * 37) % 100;

  if (r < 10)
    return DEMO_EXPIRED;
  if (r < 28)
    return DEMO_RENEWAL_DUE;
  if (r < 88)
    return DEMO_HEALTHY;
  return DEMO_NOT_REPORTING;
}

JsonObject *
cb_sandbox_seed_certificate_patch (gint64 issued_at,
                                   gint64 lifetime)
{
  /* Whole minutes, so the fixed format round-trips exactly. */
  gint64 from = (issued_at / 60) * 60;
  g_autofree char *from_text = cb_time_format_fixed (from);
  g_autofree char *until_text = cb_time_format_fixed (from + lifetime);
  JsonObject *patch = json_object_new ();
  JsonObject *cert = json_object_new ();

  json_object_set_string_member (cert, "validFrom", from_text);
  json_object_set_string_member (cert, "validUntil", until_text);
  json_object_set_object_member (patch, "certificate", cert);
  return patch;
}

static gboolean
report_dates (CbSandbox   *self,
              const char  *device_id,
              DemoState    state,
              guint        i,
              GError     **error)
{
  const gint64 day = 86400;
  gint64 now = cb_sb_now (self);
  gint64 lifetime = DEMO_POLICY_DAYS * day;
  gint64 used;
  g_autoptr(JsonObject) patch = NULL;

  switch (state)
    {
    case DEMO_EXPIRED:
      used = lifetime + (1 + i % 20) * day;
      break;
    case DEMO_RENEWAL_DUE:
      used = lifetime * 8 / 10 + (i % 5) * day + 3600;
      break;
    case DEMO_HEALTHY:
      used = (i % 23) * day + 600;
      break;
    case DEMO_NOT_REPORTING:
    default:
      return TRUE;
    }

  patch = cb_sandbox_seed_certificate_patch (now - used, lifetime);

  return cb_sb_hub_patch_reported (self, DEMO_HUB, device_id, patch, error);
}

static gboolean
seed_people (CbSandbox   *self,
             const char  *namespace_id,
             GError     **error)
{
  g_autofree char *subscription_scope = g_strdup ("/subscriptions/" DEMO_SUBSCRIPTION);

  return cb_sb_add_principal (self, ADMIN, "Ada Admin", error) &&
         cb_sb_assign_role (self, ADMIN, CB_SB_ROLE_OWNER, subscription_scope, error) &&
         cb_sb_add_principal (self, OPERATOR, "Otto Operator", error) &&
         cb_sb_assign_role (self, OPERATOR, CB_SB_ROLE_ADR_CONTRIBUTOR, namespace_id, error) &&
         cb_sb_add_principal (self, READER, "Rita Reader", error) &&
         cb_sb_assign_role (self, READER, CB_SB_ROLE_READER, subscription_scope, error) &&
         cb_sb_set_meta (self, "default_principal", ADMIN);
}

static gboolean
seed_discovery (CbSandbox   *self,
                GError     **error)
{
  return cb_sb_arm_add_subscription (self, DEMO_SUBSCRIPTION, DEMO_SUBSCRIPTION_NAME, error) &&
         cb_sb_arm_add_subscription (self, DEMO_LAB_SUBSCRIPTION, DEMO_LAB_SUBSCRIPTION_NAME,
                                     error) &&
         cb_sb_arm_add_resource_group (self, DEMO_SUBSCRIPTION, DEMO_EMPTY_RESOURCE_GROUP,
                                       DEMO_LOCATION, error) &&
         cb_sb_arm_add_resource_group (self, DEMO_LAB_SUBSCRIPTION, DEMO_LAB_RESOURCE_GROUP,
                                       "northeurope", error) &&
         cb_sb_assign_role (self, ADMIN, CB_SB_ROLE_OWNER,
                            "/subscriptions/" DEMO_LAB_SUBSCRIPTION, error);
}

static gboolean
seed_field_tenant (CbSandbox   *self,
                   GError     **error)
{
  return cb_sb_add_tenant (self, DEMO_FIELD_TENANT, DEMO_FIELD_TENANT_NAME, DEMO_FIELD_DOMAIN,
                           "SE", error) &&
         cb_sb_add_tenant_member (self, DEMO_FIELD_TENANT, ADMIN, error) &&
         cb_sb_arm_add_subscription_in_tenant (self, DEMO_FIELD_SUBSCRIPTION,
                                               DEMO_FIELD_SUBSCRIPTION_NAME, DEMO_FIELD_TENANT,
                                               error) &&
         cb_sb_arm_add_resource_group (self, DEMO_FIELD_SUBSCRIPTION, DEMO_FIELD_RESOURCE_GROUP,
                                       DEMO_FIELD_LOCATION, error) &&
         cb_sb_assign_role (self, ADMIN, CB_SB_ROLE_OWNER,
                            "/subscriptions/" DEMO_FIELD_SUBSCRIPTION, error) &&
         cb_sb_adr_create_namespace (self, DEMO_FIELD_SUBSCRIPTION, DEMO_FIELD_RESOURCE_GROUP,
                                     DEMO_FIELD_NAMESPACE, DEMO_FIELD_LOCATION, error);
}

static void
describe_field_tenant (JsonBuilder *b)
{
  json_builder_set_member_name (b, "secondTenant");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "tenant", DEMO_FIELD_TENANT);
  cb_sb_json_add_string (b, "displayName", DEMO_FIELD_TENANT_NAME);
  cb_sb_json_add_string (b, "defaultDomain", DEMO_FIELD_DOMAIN);
  cb_sb_json_add_string (b, "subscription", DEMO_FIELD_SUBSCRIPTION);
  cb_sb_json_add_string (b, "resourceGroup", DEMO_FIELD_RESOURCE_GROUP);
  cb_sb_json_add_string (b, "namespace", DEMO_FIELD_NAMESPACE);
  json_builder_end_object (b);
}

/* ---- The stable model's namespace ------------------------------------------------------ */

/* A CA as its PUT and the completed operation make it (the route's and the LRO's calls). */
static gboolean
seed_ca (CbSandbox   *self,
         const char  *namespace_id,
         const char  *name,
         const char  *ca_type,
         const char  *issuer_type,
         const char  *parent_id,
         GError     **error)
{
  g_autofree char *ca_id = cb_sb_adr_ca_id (namespace_id, name);
  g_auto(CbSbCaRow) row = {
    .id = g_strdup (ca_id), .namespace_id = g_strdup (namespace_id), .name = g_strdup (name),
    .ca_type = g_strdup (ca_type), .key_type = g_strdup ("ECC"),
    .issuer_type = g_strdup (issuer_type), .parent_id = g_strdup (parent_id),
    .uuid = g_uuid_string_random (), .location = g_strdup (DEMO_LOCATION),
    .state = g_strdup ("Accepted"),
  };

  return cb_sb_adr_ca_check_create (self, namespace_id, ca_id, ca_type, issuer_type, parent_id,
                                    error) &&
         cb_sb_adr_ca_prepare (self, &row, error) &&
         cb_sb_adr_insert_ca (self, &row, cb_sb_actor (ADMIN), error) &&
         cb_sb_adr_ca_apply_operation (self, "ca-create", ca_id, NULL, ADMIN, error);
}

static gboolean
seed_ca_policy (CbSandbox   *self,
                const char  *ca_id,
                const char  *policy_id,
                GError     **error)
{
  g_autofree char *uuid = g_uuid_string_random ();
  CbSbCaPolicyRow row = {
    .id = (char *) policy_id, .ca_id = (char *) ca_id, .name = (char *) DEMO_CA_POLICY,
    .validity_days = DEMO_CA_POLICY_DAYS, .uuid = uuid, .location = (char *) DEMO_LOCATION,
    .tags = NULL, .state = (char *) "Accepted",
  };

  return cb_sb_adr_ca_check_policy_create (self, ca_id, error) &&
         cb_sb_adr_insert_ca_policy (self, &row, cb_sb_actor (ADMIN), error) &&
         cb_sb_adr_ca_apply_operation (self, "capolicy-create", policy_id, NULL, ADMIN, error);
}

/* The namespace's endpoints as a PUT names them: the hub and DPS by their ARM ids. */
static gboolean
seed_endpoint (CbSandbox   *self,
               const char  *namespace_id,
               const char  *kind,
               const char  *name,
               GError     **error)
{
  gboolean dps = g_str_equal (kind, CB_SB_ENDPOINTS_PROVISIONING);
  const char *type = dps ? CB_SB_ENDPOINT_TYPE_DPS : CB_SB_ENDPOINT_TYPE_HUB;
  g_autofree char *resource_id = g_strdup_printf ("/subscriptions/" DEMO_SUBSCRIPTION
                                                  "/resourceGroups/" DEMO_RESOURCE_GROUP
                                                  "/providers/%s/%s", type, name);
  g_autoptr(JsonObject) endpoints = json_object_new ();
  JsonObject *endpoint = json_object_new ();

  json_object_set_string_member (endpoint, "endpointType", type);
  json_object_set_string_member (endpoint, "resourceId", resource_id);
  json_object_set_object_member (endpoints, name, endpoint);

  return cb_sb_adr_linking_apply (self, namespace_id, kind, endpoints, FALSE, NULL, error);
}

/* An enrollment group at 2026-11-01: the three names of its issuing path, as the service
 * API keeps them. */
static gboolean
seed_ca_group (CbSandbox   *self,
               GError     **error)
{
  g_autoptr(CbSbEnrollment) group = NULL;

  if (!cb_sb_dps_create_enrollment_group (self, DEMO_CA_DPS, DEMO_CA_GROUP, DEMO_CA_GROUP_KEY,
                                          NULL, error))
    return FALSE;

  group = cb_sb_enrollment_load (self, DEMO_CA_DPS, TRUE, DEMO_CA_GROUP);
  if (group == NULL)
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }
  json_object_set_string_member (group->extra, "namespaceName", DEMO_CA_NAMESPACE);
  json_object_set_string_member (group->extra, "certificateAuthorityName", DEMO_CA_ICA);
  json_object_set_string_member (group->extra, "certificatePolicyName", DEMO_CA_POLICY);

  return cb_sb_enrollment_save (self, DEMO_CA_DPS, group, error);
}

static gboolean
seed_ca_namespace (CbSandbox   *self,
                   const char  *namespace_id,
                   GError     **error)
{
  g_autofree char *root_id = cb_sb_adr_ca_id (namespace_id, DEMO_CA_ROOT);
  g_autofree char *ica_id = cb_sb_adr_ca_id (namespace_id, DEMO_CA_ICA);
  g_autofree char *policy_id = cb_sb_adr_ca_policy_id (ica_id, DEMO_CA_POLICY);

  if (!cb_sb_adr_create_namespace (self, DEMO_SUBSCRIPTION, DEMO_RESOURCE_GROUP,
                                   DEMO_CA_NAMESPACE, DEMO_LOCATION, error) ||
      !cb_sb_create_hub (self, DEMO_SUBSCRIPTION, DEMO_RESOURCE_GROUP, DEMO_CA_HUB, NULL, error) ||
      !cb_sb_create_dps (self, DEMO_SUBSCRIPTION, DEMO_RESOURCE_GROUP, DEMO_CA_DPS,
                         DEMO_CA_ID_SCOPE, NULL, DEMO_CA_HUB, error) ||
      !seed_ca (self, namespace_id, DEMO_CA_ROOT, CB_SB_CA_TYPE_ROOT, NULL, NULL, error) ||
      !seed_ca (self, namespace_id, DEMO_CA_ICA, CB_SB_CA_TYPE_ICA, CB_SB_ISSUER_MICROSOFT,
                root_id, error) ||
      !seed_ca_policy (self, ica_id, policy_id, error) ||
      !seed_endpoint (self, namespace_id, CB_SB_ENDPOINTS_MESSAGING, DEMO_CA_HUB, error) ||
      !seed_endpoint (self, namespace_id, CB_SB_ENDPOINTS_PROVISIONING, DEMO_CA_DPS, error) ||
      !cb_sb_adr_linking_finish (self, namespace_id, error) ||
      !seed_ca_group (self, error))
    return FALSE;

  if (!cb_sb_set_hub_key (self, DEMO_CA_HUB, "iothubowner", DEMO_CA_HUB_OWNER_KEY) ||
      !cb_sb_set_dps_owner_key (self, DEMO_CA_DPS, DEMO_CA_DPS_OWNER_KEY))
    {
      cb_sb_set_sqlite_error (self, error);
      return FALSE;
    }

  return TRUE;
}

static void
describe_ca_namespace (JsonBuilder *b,
                       const char  *namespace_id)
{
  g_autofree char *ica_id = cb_sb_adr_ca_id (namespace_id, DEMO_CA_ICA);
  g_autofree char *policy_id = cb_sb_adr_ca_policy_id (ica_id, DEMO_CA_POLICY);

  json_builder_set_member_name (b, "stableNamespace");
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "namespace", DEMO_CA_NAMESPACE);
  cb_sb_json_add_string (b, "namespaceId", namespace_id);
  cb_sb_json_add_string (b, "apiVersion", CB_SB_ARM_API_VERSION_STABLE);
  cb_sb_json_add_string (b, "rootCa", DEMO_CA_ROOT);
  cb_sb_json_add_string (b, "ica", DEMO_CA_ICA);
  cb_sb_json_add_string (b, "policy", DEMO_CA_POLICY);
  cb_sb_json_add_string (b, "policyId", policy_id);
  cb_sb_json_add_string (b, "hub", DEMO_CA_HUB);
  cb_sb_json_add_string (b, "hubOwnerKey", DEMO_CA_HUB_OWNER_KEY);
  cb_sb_json_add_string (b, "dps", DEMO_CA_DPS);
  cb_sb_json_add_string (b, "idScope", DEMO_CA_ID_SCOPE);
  cb_sb_json_add_string (b, "dpsOwnerKey", DEMO_CA_DPS_OWNER_KEY);
  cb_sb_json_add_string (b, "enrollmentGroup", DEMO_CA_GROUP);
  cb_sb_json_add_string (b, "enrollmentGroupKey", DEMO_CA_GROUP_KEY);
  json_builder_end_object (b);
}

static char *
demo_description (const char *namespace_id,
                  const char *policy_id,
                  const char *ca_namespace_id)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "subscription", DEMO_SUBSCRIPTION);
  cb_sb_json_add_string (b, "resourceGroup", DEMO_RESOURCE_GROUP);
  cb_sb_json_add_string (b, "namespace", DEMO_NAMESPACE);
  cb_sb_json_add_string (b, "namespaceId", namespace_id);
  cb_sb_json_add_string (b, "location", DEMO_LOCATION);
  cb_sb_json_add_string (b, "policy", DEMO_POLICY);
  cb_sb_json_add_string (b, "policyId", policy_id);
  cb_sb_json_add_string (b, "hub", DEMO_HUB);
  cb_sb_json_add_string (b, "hubOwnerKey", DEMO_HUB_OWNER_KEY);
  cb_sb_json_add_string (b, "dps", DEMO_DPS);
  cb_sb_json_add_string (b, "idScope", DEMO_ID_SCOPE);
  cb_sb_json_add_string (b, "dpsOwnerKey", DEMO_DPS_OWNER_KEY);
  cb_sb_json_add_string (b, "enrollmentGroup", DEMO_GROUP);
  cb_sb_json_add_string (b, "enrollmentGroupKey", DEMO_GROUP_KEY);
  cb_sb_json_add_string (b, "admin", ADMIN);
  cb_sb_json_add_string (b, "operator", OPERATOR);
  cb_sb_json_add_string (b, "reader", READER);
  json_builder_set_member_name (b, "devices");
  json_builder_add_int_value (b, DEMO_DEVICES);
  describe_ca_namespace (b, ca_namespace_id);
  describe_field_tenant (b);
  json_builder_end_object (b);

  {
    g_autoptr(JsonNode) root = json_builder_get_root (b);
    json_generator_set_root (gen, root);
  }
  return json_generator_to_data (gen, NULL);
}

gboolean
cb_sandbox_seed_demo (CbSandbox  *self,
                      GError    **error)
{
  g_autofree char *seeded = NULL;
  g_autofree char *namespace_id = NULL;
  g_autofree char *policy_id = NULL;
  g_autofree char *ca_namespace_id = NULL;
  g_autofree char *description = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);
  g_return_val_if_fail (self->db != NULL, FALSE);

  cb_sb_lock (self);

  seeded = cb_sb_dup_meta (self, "demo");
  if (seeded != NULL)
    {
      cb_sb_unlock (self);
      return TRUE;
    }

  namespace_id = cb_sb_namespace_id (DEMO_SUBSCRIPTION, DEMO_RESOURCE_GROUP, DEMO_NAMESPACE);
  policy_id = cb_sb_policy_id (namespace_id, DEMO_POLICY);
  ca_namespace_id = cb_sb_namespace_id (DEMO_SUBSCRIPTION, DEMO_RESOURCE_GROUP,
                                        DEMO_CA_NAMESPACE);

  /* One transaction: a half-made demo never survives a crash. */
  if (!cb_sb_begin (self))
    {
      cb_sb_set_sqlite_error (self, error);
      goto out;
    }

  if (!seed_people (self, namespace_id, error) || !seed_discovery (self, error) ||
      !cb_sb_adr_create_namespace (self, DEMO_SUBSCRIPTION, DEMO_RESOURCE_GROUP,
                                   DEMO_NAMESPACE, DEMO_LOCATION, error) ||
      !cb_sb_create_hub (self, DEMO_SUBSCRIPTION, DEMO_RESOURCE_GROUP, DEMO_HUB,
                         namespace_id, error) ||
      !cb_sb_create_dps (self, DEMO_SUBSCRIPTION, DEMO_RESOURCE_GROUP, DEMO_DPS,
                         DEMO_ID_SCOPE, namespace_id, DEMO_HUB, error) ||
      !cb_sb_adr_create_credential (self, namespace_id, error) ||
      !cb_sb_adr_create_policy (self, namespace_id, DEMO_POLICY, DEMO_POLICY_DAYS, FALSE,
                                error) ||
      !cb_sb_adr_synchronize (self, namespace_id, error) ||
      !cb_sb_dps_create_enrollment_group (self, DEMO_DPS, DEMO_GROUP, DEMO_GROUP_KEY,
                                          DEMO_POLICY, error))
    goto rollback;

  if (!cb_sb_set_hub_key (self, DEMO_HUB, "iothubowner", DEMO_HUB_OWNER_KEY) ||
      !cb_sb_set_dps_owner_key (self, DEMO_DPS, DEMO_DPS_OWNER_KEY))
    {
      cb_sb_set_sqlite_error (self, error);
      goto rollback;
    }

  for (guint i = 1; i <= DEMO_DEVICES; i++)
    {
      g_autofree char *device_id = g_strdup_printf ("demo-%04u", i);

      if (!cb_sb_adr_ensure_device (self, namespace_id, device_id, policy_id, error) ||
          !cb_sb_hub_ensure_device (self, DEMO_HUB, device_id, error) ||
          !report_dates (self, device_id, demo_state_for (i), i, error))
        goto rollback;
    }

  if (!seed_ca_namespace (self, ca_namespace_id, error) || !seed_field_tenant (self, error))
    goto rollback;

  description = demo_description (namespace_id, policy_id, ca_namespace_id);
  if (!cb_sb_set_meta (self, "demo", description))
    {
      cb_sb_set_sqlite_error (self, error);
      goto rollback;
    }

  if (!cb_sb_commit (self))
    {
      cb_sb_set_sqlite_error (self, error);
      goto rollback;
    }

  ok = TRUE;
  goto out;

rollback:
  cb_sb_rollback (self);

out:
  cb_sb_unlock (self);
  return ok;
}
