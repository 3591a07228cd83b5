/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ADR client on both of ADR's certificate-management models, against the sandbox over real
 * TLS: which model a namespace uses, the stable model's certificate authorities, policies,
 * linked hubs and DPS, activate and revokeAndRotate through the operations both models share,
 * registry devices, and a DPS enrollment naming namespace, ICA and policy. */
#include "config.h"

#include <string.h>

#include "cb-adr-client-ca.h"
#include "cb-adr-client.h"
#include "cb-dps-service-client.h"
#include "cb-error.h"
#include "cb-sandbox-profile.h"
#include "cb-sb-adr-ids.h"
#include "cb-sb-directory.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"
#include "cb-test-arm.h"
#include "cb-test-sandbox.h"

#define SUB        "cb000000-0000-4000-8000-000000000001"
#define RG         "certbench-demo"
#define LOCATION   "westeurope"
#define HUB        "line-hub"
#define DPS        "line-dps"
#define ID_SCOPE   "0ne00C0FFEE"
#define OWNER_KEY  "bW9kZWxzLW93bmVyLWtleS1mb3ItdGVzdHMtMDEyMzQ1"
#define HUB_ID     "/subscriptions/" SUB "/resourceGroups/" RG "/providers/Microsoft.Devices/IotHubs/" HUB
#define DPS_ID     "/subscriptions/" SUB "/resourceGroups/" RG \
                   "/providers/Microsoft.Devices/provisioningServices/" DPS

typedef struct
{
  CbTestSandbox      *ts;
  CbProfile          *profile;
  CbHttpClient       *http;
  CbAdrClient        *client;
  CbDpsServiceClient *service;
  char               *token;
  GAsyncResult       *result;
} Fixture;

static gpointer
begin (Fixture *f)
{
  g_clear_object (&f->result);
  return &f->result;
}

static GAsyncResult *
await (Fixture *f)
{
  return cb_test_wait_for (&f->result);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bearer = NULL;
  g_autofree char *arm = NULL;
  CbSandbox *sb;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  sb = f->ts->sandbox;

  /* A hub and a DPS that no namespace has linked yet. */
  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB, NULL, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SUB, RG, DPS, ID_SCOPE, NULL, HUB, &error);
  g_assert_no_error (error);
  g_assert_true (cb_sb_set_dps_owner_key (sb, DPS, OWNER_KEY));
  cb_sb_unlock (sb);

  f->profile = cb_sandbox_create_profile (sb);
  arm = g_strconcat (cb_sandbox_get_base_url (sb), "/arm", NULL);
  cb_profile_set_arm_endpoint (f->profile, arm);
  cb_profile_set_subscription_id (f->profile, SUB);
  cb_profile_set_resource_group (f->profile, RG);
  cb_profile_set_location (f->profile, LOCATION);
  cb_profile_set_enrollment_group_id (f->profile, "line-7");

  f->http = cb_http_client_new (f->profile, &error);
  g_assert_no_error (error);
  cb_http_client_set_max_delay (f->http, 2);

  bearer = cb_test_sandbox_token (f->ts, "adr-admin@sandbox.test", "Owner",
                                  "/subscriptions/" SUB, CB_SB_AUD_ARM);
  f->token = g_strdup (bearer + strlen ("Bearer "));
  f->client = cb_adr_client_new (f->profile, f->http);
  cb_adr_client_set_access_token (f->client, f->token);
  cb_adr_client_set_max_poll_delay_ms (f->client, 50);
  cb_adr_client_set_operation_timeout (f->client, 30);

  f->service = cb_dps_service_client_new (f->profile, f->http, NULL);
  cb_dps_service_client_set_sas_key (f->service, NULL, OWNER_KEY);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->result);
  g_clear_object (&f->service);
  g_clear_object (&f->client);
  g_clear_object (&f->http);
  g_clear_object (&f->profile);
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_free (f->token);
}

static void
create_namespace (Fixture    *f,
                  const char *ns)
{
  g_autoptr(CbNamespace) created = NULL;
  g_autoptr(GError) error = NULL;

  cb_adr_client_create_namespace_async (f->client, ns, NULL, NULL, cb_test_store_result_cb,
                                        begin (f));
  created = cb_adr_client_create_namespace_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  cb_adr_client_set_namespace (f->client, ns);
}

static CbAdrModel
get_model (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  CbAdrModel model;

  cb_adr_client_get_model_async (f->client, NULL, cb_test_store_result_cb, begin (f));
  model = cb_adr_client_get_model_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  return model;
}

static CbCertificateAuthority *
create_ca (Fixture    *f,
           const char *name,
           CbCaIssuer  issuer,
           const char *root_id)
{
  g_autoptr(GError) error = NULL;
  CbCertificateAuthority *ca;

  cb_adr_client_create_certificate_authority_async (f->client, name, LOCATION, issuer, root_id,
                                                    NULL, cb_test_store_result_cb, begin (f));
  ca = cb_adr_client_create_certificate_authority_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_certificate_authority_get_name (ca), ==, name);
  g_assert_cmpstr (cb_certificate_authority_get_provisioning_state (ca), ==, "Succeeded");
  return ca;
}

static GPtrArray *
list_cas (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *cas;

  cb_adr_client_list_certificate_authorities_async (f->client, NULL, cb_test_store_result_cb,
                                                    begin (f));
  cas = cb_adr_client_list_certificate_authorities_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  return cas;
}

static GPtrArray *
list_policies (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *policies;

  cb_adr_client_list_policies_async (f->client, NULL, cb_test_store_result_cb, begin (f));
  policies = cb_adr_client_list_policies_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  return policies;
}

/* Links, then reads the namespace until every link has settled; returns it. */
static CbNamespace *
link_endpoint (Fixture        *f,
               CbEndpointKind  kind,
               const char     *name,
               const char     *resource_id)
{
  g_autoptr(CbNamespace) answered = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  cb_adr_client_set_endpoint_async (f->client, kind, name, resource_id, NULL,
                                    cb_test_store_result_cb, begin (f));
  answered = cb_adr_client_set_endpoint_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpint (cb_namespace_get_model (answered), ==, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(CbNamespace) ns = NULL;
      gboolean settled = TRUE;
      GPtrArray *endpoints;

      cb_adr_client_get_namespace_async (f->client, NULL, NULL, cb_test_store_result_cb,
                                         begin (f));
      ns = cb_adr_client_get_namespace_finish (f->client, await (f), &error);
      g_assert_no_error (error);
      endpoints = cb_namespace_get_endpoints (ns);
      for (guint i = 0; i < endpoints->len; i++)
        settled &= g_strcmp0 (cb_namespace_endpoint_get_linking_state (
                                g_ptr_array_index (endpoints, i)), CB_LINKING_IN_PROGRESS) != 0;
      if (settled)
        return g_steal_pointer (&ns);
      g_usleep (50 * 1000);
    }

  g_assert_not_reached ();
}

/* A namespace with the preview's credential is in the credential model; one with neither a
 * credential nor certificate authorities is in the stable model, as every new one is; the
 * answer is kept until the namespace changes. */
static void
test_model_detection (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  create_namespace (f, "preview-ns");
  cb_adr_client_create_credential_async (f->client, NULL, NULL, cb_test_store_result_cb,
                                         begin (f));
  g_assert_true (cb_adr_client_create_credential_finish (f->client, await (f), &error));
  g_assert_no_error (error);
  g_assert_cmpint (get_model (f), ==, CB_ADR_MODEL_CREDENTIAL);

  create_namespace (f, "stable-ns");
  g_assert_cmpint (get_model (f), ==, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);

  /* A namespace that does not exist is an error, not a guess. */
  cb_adr_client_set_namespace (f->client, "no-such-ns");
  cb_adr_client_get_model_async (f->client, NULL, cb_test_store_result_cb, begin (f));
  g_assert_cmpint (cb_adr_client_get_model_finish (f->client, await (f), &error), ==,
                   CB_ADR_MODEL_UNKNOWN);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
}

/* The whole hierarchy through the client: a root, an ICA issued by it and an External one,
 * a hub and a DPS linked, a 30-day policy under the ICA, then the operations both models share
 * (list, update, revoke the issuer, activate, delete) on the stable model's paths. */
static void
test_hierarchy (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(CbCertificateAuthority) root = NULL;
  g_autoptr(CbCertificateAuthority) ica = NULL;
  g_autoptr(CbCertificateAuthority) external = NULL;
  g_autoptr(CbNamespace) ns = NULL;
  g_autoptr(GPtrArray) cas = NULL;
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *chain = NULL;
  GPtrArray *endpoints;

  create_namespace (f, "line-ns");
  root = create_ca (f, "line-root", CB_CA_ISSUER_NONE, NULL);
  g_assert_cmpint (cb_certificate_authority_get_kind (root), ==, CB_CA_KIND_ROOT);
  ica = create_ca (f, "line-ica", CB_CA_ISSUER_MICROSOFT, cb_certificate_authority_get_id (root));
  g_assert_cmpint (cb_certificate_authority_get_issuer (ica), ==, CB_CA_ISSUER_MICROSOFT);
  g_assert_true (cb_certificate_authority_can_issue (ica));
  external = create_ca (f, "byo-ica", CB_CA_ISSUER_EXTERNAL, NULL);
  g_assert_cmpstr (cb_certificate_authority_get_status (external), ==,
                   CB_CA_STATUS_PENDING_ACTIVATION);
  g_assert_nonnull (cb_certificate_authority_get_csr (external));
  g_assert_false (cb_certificate_authority_can_issue (external));

  /* The client found the model by itself (it has CAs now). */
  g_assert_cmpint (get_model (f), ==, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
  cas = list_cas (f);
  g_assert_cmpuint (cas->len, ==, 3);
  g_assert_cmpstr (cb_certificate_authority_get_name (g_ptr_array_index (cas, 0)), ==, "line-root");
  g_assert_cmpstr (cb_certificate_authority_get_name (g_ptr_array_index (cas, 1)), ==, "byo-ica");
  g_assert_cmpstr (cb_certificate_authority_get_name (g_ptr_array_index (cas, 2)), ==, "line-ica");

  g_clear_object (&ns);
  ns = link_endpoint (f, CB_ENDPOINT_MESSAGING, "line", HUB_ID);
  g_clear_object (&ns);
  ns = link_endpoint (f, CB_ENDPOINT_PROVISIONING, "line-dps", DPS_ID);
  endpoints = cb_namespace_get_endpoints (ns);
  g_assert_cmpuint (endpoints->len, ==, 2);
  for (guint i = 0; i < endpoints->len; i++)
    g_assert_cmpstr (cb_namespace_endpoint_get_linking_state (g_ptr_array_index (endpoints, i)),
                     ==, CB_LINKING_SUCCEEDED);
  g_assert_cmpstr (cb_namespace_endpoint_get_resource_name (g_ptr_array_index (endpoints, 0)),
                   ==, HUB);
  g_assert_cmpstr (cb_namespace_endpoint_get_resource_name (g_ptr_array_index (endpoints, 1)),
                   ==, DPS);

  /* A policy under the ICA, seen through the operations both models share. */
  cb_adr_client_put_certificate_policy_async (f->client, "line-ica", "thirty-days", 30, NULL,
                                              cb_test_store_result_cb, begin (f));
  policy = cb_adr_client_put_certificate_policy_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 30);
  g_clear_object (&policy);

  policies = list_policies (f);
  g_assert_cmpuint (policies->len, ==, 1);
  policy = g_object_ref (g_ptr_array_index (policies, 0));
  g_assert_cmpstr (cb_policy_get_name (policy), ==, "thirty-days");
  g_assert_cmpstr (cb_certificate_authority_get_name (cb_policy_get_certificate_authority (policy)),
                   ==, "line-ica");
  g_assert_cmpstr (cb_policy_get_ca_subject (policy), ==,
                   cb_certificate_authority_get_subject (ica));
  g_assert_false (cb_policy_get_byor_enabled (policy));
  g_clear_object (&policy);

  cb_adr_client_update_policy_validity_async (f->client, "thirty-days", 45, NULL,
                                              cb_test_store_result_cb, begin (f));
  policy = cb_adr_client_update_policy_validity_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_policy_get_validity_days (policy), ==, 45);
  g_assert_nonnull (cb_policy_get_certificate_authority (policy));
  g_clear_object (&policy);

  cb_adr_client_get_policy_async (f->client, "THIRTY-DAYS", NULL, cb_test_store_result_cb,
                                  begin (f));
  policy = cb_adr_client_get_policy_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_policy_get_name (policy), ==, "thirty-days");
  g_clear_object (&policy);

  /* Revoke the issuer: the ICA's revokeAndRotate, which the service allows for a
   * Microsoft-issued ICA only. */
  cb_adr_client_revoke_issuer_async (f->client, "thirty-days", NULL, cb_test_store_result_cb,
                                     begin (f));
  g_assert_true (cb_adr_client_revoke_issuer_finish (f->client, await (f), &error));
  g_assert_no_error (error);
  cb_adr_client_revoke_and_rotate_async (f->client, "byo-ica", NULL, cb_test_store_result_cb,
                                         begin (f));
  g_assert_false (cb_adr_client_revoke_and_rotate_finish (f->client, await (f), &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Activate the External ICA with a chain a test CA made from its CSR. */
  chain = cb_test_sign_csr (cb_certificate_authority_get_csr (external),
                            cb_sb_now (f->ts->sandbox), 730, CB_TEST_SIGN_NORMAL, NULL);
  cb_adr_client_activate_certificate_authority_async (f->client, "byo-ica", chain, NULL,
                                                      cb_test_store_result_cb, begin (f));
  g_assert_true (cb_adr_client_activate_certificate_authority_finish (f->client, await (f),
                                                                      &error));
  g_assert_no_error (error);
  g_clear_pointer (&cas, g_ptr_array_unref);
  cas = list_cas (f);
  g_assert_cmpstr (cb_certificate_authority_get_name (g_ptr_array_index (cas, 1)), ==, "byo-ica");
  g_assert_cmpstr (cb_certificate_authority_get_status (g_ptr_array_index (cas, 1)), ==,
                   CB_CA_STATUS_ACTIVE);
  g_assert_true (cb_certificate_authority_can_issue (g_ptr_array_index (cas, 1)));

  /* Deleting through the shared operation finds the policy's ICA. */
  cb_adr_client_delete_policy_async (f->client, "thirty-days", NULL, cb_test_store_result_cb,
                                     begin (f));
  g_assert_true (cb_adr_client_delete_policy_finish (f->client, await (f), &error));
  g_assert_no_error (error);
  g_clear_pointer (&policies, g_ptr_array_unref);
  policies = list_policies (f);
  g_assert_cmpuint (policies->len, ==, 0);

  cb_adr_client_delete_policy_async (f->client, "thirty-days", NULL, cb_test_store_result_cb,
                                     begin (f));
  g_assert_false (cb_adr_client_delete_policy_finish (f->client, await (f), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
}

/* Registry devices: listed from registryDevices; disabling one is not in the stable API and is
 * refused before anything is sent. */
static void
test_registry_devices (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(CbAdrDevice) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;

  create_namespace (f, "devices-ns");
  cb_adr_client_set_model (f->client, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);

  cb_adr_client_list_devices_page_async (f->client, NULL, NULL, cb_test_store_result_cb,
                                         begin (f));
  page = cb_adr_client_list_devices_page_finish (f->client, await (f), &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 0);
  g_assert_null (next);

  cb_adr_client_update_device_enabled_async (f->client, "some-device", FALSE, NULL,
                                             cb_test_store_result_cb, begin (f));
  device = cb_adr_client_update_device_enabled_finish (f->client, await (f), &error);
  g_assert_null (device);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  cb_adr_client_revoke_device_async (f->client, "some-device", TRUE, NULL,
                                     cb_test_store_result_cb, begin (f));
  g_assert_false (cb_adr_client_revoke_device_finish (f->client, await (f), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  /* Without disabling, the revoke goes to the device's authentication profile. */
  cb_adr_client_revoke_device_async (f->client, "some-device", FALSE, NULL,
                                     cb_test_store_result_cb, begin (f));
  g_assert_false (cb_adr_client_revoke_device_finish (f->client, await (f), &error));
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
}

/* A DPS enrollment group in the stable model names namespace, ICA and policy together, at the
 * DPS api-version that has them; reading it back at the model's version shows them again. */
static void
test_dps_enrollment (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CbCertificateAuthority) root = NULL;
  g_autoptr(CbCertificateAuthority) ica = NULL;
  g_autoptr(CbNamespace) ns = NULL;
  g_autoptr(CbPolicy) policy = NULL;
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(JsonObject) written = NULL;
  g_autoptr(JsonObject) read = NULL;
  g_autoptr(GError) error = NULL;

  create_namespace (f, "dps-ns");
  root = create_ca (f, "root", CB_CA_ISSUER_NONE, NULL);
  ica = create_ca (f, "ica", CB_CA_ISSUER_MICROSOFT, cb_certificate_authority_get_id (root));
  ns = link_endpoint (f, CB_ENDPOINT_PROVISIONING, "dps", DPS_ID);
  cb_adr_client_put_certificate_policy_async (f->client, "ica", "p30", 30, NULL,
                                              cb_test_store_result_cb, begin (f));
  policy = cb_adr_client_put_certificate_policy_finish (f->client, await (f), &error);
  g_assert_no_error (error);

  group = cb_dps_enrollment_new_symmetric_key (CB_DPS_ENROLLMENT_GROUP, "line-7", "ignored",
                                               NULL, NULL, NULL);
  cb_dps_enrollment_set_policy (group, "dps-ns", "ica", "p30");
  g_assert_false (json_object_has_member (group, "credentialPolicyName"));
  cb_dps_service_client_put_async (f->service, CB_DPS_ENROLLMENT_GROUP, "line-7", group, NULL,
                                   NULL, cb_test_store_result_cb, begin (f));
  written = cb_dps_service_client_enrollment_finish (f->service, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_dps_enrollment_get_namespace (written), ==, "dps-ns");
  g_assert_cmpstr (cb_dps_enrollment_get_certificate_authority (written), ==, "ica");
  g_assert_cmpstr (cb_dps_enrollment_get_policy (written), ==, "p30");

  cb_dps_service_client_set_model (f->service, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
  cb_dps_service_client_get_async (f->service, CB_DPS_ENROLLMENT_GROUP, "line-7", NULL,
                                   cb_test_store_result_cb, begin (f));
  read = cb_dps_service_client_enrollment_finish (f->service, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_dps_enrollment_get_policy (read), ==, "p30");
  g_assert_cmpstr (cb_dps_enrollment_get_certificate_authority (read), ==, "ica");

  /* Back to the credential model's member: the stable ones go. */
  cb_dps_enrollment_set_policy (read, NULL, NULL, "legacy");
  g_assert_cmpstr (cb_dps_enrollment_get_policy (read), ==, "legacy");
  g_assert_null (cb_dps_enrollment_get_certificate_authority (read));
  g_assert_null (cb_dps_enrollment_get_namespace (read));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/adr-models/model-detection", Fixture, NULL, fixture_setup,
              test_model_detection, fixture_teardown);
  g_test_add ("/cb/adr-models/hierarchy", Fixture, NULL, fixture_setup, test_hierarchy,
              fixture_teardown);
  g_test_add ("/cb/adr-models/registry-devices", Fixture, NULL, fixture_setup,
              test_registry_devices, fixture_teardown);
  g_test_add ("/cb/adr-models/dps-enrollment", Fixture, NULL, fixture_setup, test_dps_enrollment,
              fixture_teardown);

  return g_test_run ();
}
