/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The core's client of a DPS instance's signing CAs (cb-dps-certificates-client.h) against the
 * sandbox over real TLS: upload, list, the verification code, the proof-of-possession
 * certificate signed locally with the CA's key (cb-dps-proof.h; another key is refused before
 * anything is sent), verify, a stale etag refused, delete; and an X.509 enrollment group naming
 * the CA through the DPS service client. */
#include "config.h"

#include <string.h>

#include "cb-adr-client.h"
#include "cb-dps-certificates-client.h"
#include "cb-dps-enrollment-group-x509.h"
#include "cb-dps-proof.h"
#include "cb-dps-service-client.h"
#include "cb-error.h"
#include "cb-pki.h"
#include "cb-sandbox-profile.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

#define SUB        "cb000000-0000-4000-8000-000000000001"
#define RG         "certbench-demo"
#define HUB        "line-hub"
#define DPS        "line-dps"
#define ID_SCOPE   "0ne00C0FFEE"
#define OWNER_KEY  "bW9kZWxzLW93bmVyLWtleS1mb3ItdGVzdHMtMDEyMzQ1"

typedef struct
{
  CbTestSandbox      *ts;
  CbProfile          *profile;
  CbHttpClient       *http;
  CbAdrClient        *client;
  CbDpsServiceClient *service;
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
  cb_profile_set_dps_name (f->profile, DPS);
  f->http = cb_http_client_new (f->profile, &error);
  g_assert_no_error (error);
  cb_http_client_set_max_delay (f->http, 2);

  bearer = cb_test_sandbox_token (f->ts, "dps-admin@sandbox.test", "Owner",
                                  "/subscriptions/" SUB, CB_SB_AUD_ARM);
  f->client = cb_adr_client_new (f->profile, f->http);
  cb_adr_client_set_access_token (f->client, bearer + strlen ("Bearer "));
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
}

/* A self-signed CA: its certificate and key as PEM. */
static void
make_ca (const char  *cn,
         char       **cert_pem,
         char       **key_pem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autofree char *dn = g_strdup_printf ("CN=%s", cn);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = dn, .not_before = now - 60, .not_after = now + 86400 * 30, .is_ca = TRUE,
    .path_len = -1, .key_usage = CB_KEY_USAGE_KEY_CERT_SIGN,
  };

  g_assert_no_error (error);
  spki = cb_key_get_public_key_der (key);
  der = cb_cert_issue (&profile, spki, key, NULL, &error);
  g_assert_no_error (error);
  cert = cb_certificate_new_from_der (der, &error);
  g_assert_no_error (error);
  *cert_pem = cb_certificate_to_pem (cert);
  *key_pem = cb_key_to_pem (key, &error);
  g_assert_no_error (error);
}

static void
test_proof_of_possession (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *ca_pem = NULL;
  g_autofree char *ca_key = NULL;
  g_autofree char *other_pem = NULL;
  g_autofree char *other_key = NULL;
  g_autofree char *proof = NULL;
  g_autofree char *stale_etag = NULL;
  g_autoptr(CbHubCertificate) uploaded = NULL;
  g_autoptr(CbHubCertificate) verified = NULL;
  g_autoptr(CbHubCertificate) got = NULL;
  g_autoptr(CbHubCertificate) refused = NULL;
  g_autoptr(CbDpsVerificationCode) code = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertificate) proof_cert = NULL;

  make_ca ("Factory root", &ca_pem, &ca_key);
  make_ca ("Someone else", &other_pem, &other_key);

  cb_adr_client_upload_dps_certificate_async (f->client, "factory-root", ca_pem, NULL, NULL,
                                              cb_test_store_result_cb, begin (f));
  uploaded = cb_adr_client_dps_certificate_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_hub_certificate_get_name (uploaded), ==, "factory-root");
  g_assert_false (cb_hub_certificate_get_is_verified (uploaded));
  g_assert_nonnull (strstr (cb_hub_certificate_get_subject (uploaded), "Factory root"));
  g_assert_cmpint (cb_hub_certificate_get_expiry (uploaded), >, g_get_real_time () / G_USEC_PER_SEC);

  cb_adr_client_list_dps_certificates_async (f->client, NULL, cb_test_store_result_cb, begin (f));
  list = cb_adr_client_list_dps_certificates_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);

  cb_adr_client_generate_dps_verification_code_async (f->client, "factory-root",
                                                      cb_hub_certificate_get_etag (uploaded),
                                                      NULL, cb_test_store_result_cb, begin (f));
  code = cb_adr_client_generate_dps_verification_code_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_nonnull (code->code);
  g_assert_nonnull (code->etag);

  /* Another key than the CA's: refused here, nothing sent. */
  g_assert_null (cb_dps_proof_certificate_new (ca_pem, other_key, code->code, &error));
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_KEY);
  g_clear_error (&error);
  g_assert_null (cb_dps_proof_certificate_new (ca_pem, "not a key", code->code, &error));
  g_assert_error (error, CB_PKI_ERROR, CB_PKI_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  proof = cb_dps_proof_certificate_new (ca_pem, ca_key, code->code, &error);
  g_assert_no_error (error);
  proof_cert = cb_certificate_new_from_text (proof);
  g_assert_cmpstr (cb_certificate_get_common_name (proof_cert), ==, code->code);

  /* The etag of the upload is stale once the code was made. */
  cb_adr_client_verify_dps_certificate_async (f->client, "factory-root",
                                              cb_hub_certificate_get_etag (uploaded), proof, NULL,
                                              cb_test_store_result_cb, begin (f));
  refused = cb_adr_client_dps_certificate_finish (f->client, await (f), &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "etag"));
  g_clear_error (&error);

  cb_adr_client_verify_dps_certificate_async (f->client, "factory-root", code->etag, proof, NULL,
                                              cb_test_store_result_cb, begin (f));
  verified = cb_adr_client_dps_certificate_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_true (cb_hub_certificate_get_is_verified (verified));

  cb_adr_client_get_dps_certificate_async (f->client, "factory-root", NULL,
                                           cb_test_store_result_cb, begin (f));
  got = cb_adr_client_dps_certificate_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_true (cb_hub_certificate_get_is_verified (got));
  stale_etag = g_strdup (cb_hub_certificate_get_etag (got));

  /* An X.509 group naming it, through the DPS service client. */
  {
    g_autoptr(JsonObject) body = cb_dps_enrollment_new_x509_group ("factory-line", NULL,
                                                                   "factory-root", NULL);
    g_autoptr(JsonObject) group = NULL;

    cb_dps_service_client_put_async (f->service, CB_DPS_ENROLLMENT_GROUP, "factory-line", body,
                                     NULL, NULL, cb_test_store_result_cb, begin (f));
    group = cb_dps_service_client_enrollment_finish (f->service, await (f), &error);
    g_assert_no_error (error);
    g_assert_true (cb_dps_enrollment_is_x509 (group));
    g_assert_cmpstr (cb_dps_enrollment_get_x509_ca_reference (group), ==, "factory-root");
  }

  cb_adr_client_delete_dps_certificate_async (f->client, "factory-root", stale_etag, NULL,
                                              cb_test_store_result_cb, begin (f));
  g_assert_true (cb_adr_client_delete_dps_certificate_finish (f->client, await (f), &error));
  g_assert_no_error (error);
  cb_adr_client_list_dps_certificates_async (f->client, NULL, cb_test_store_result_cb, begin (f));
  after = cb_adr_client_list_dps_certificates_finish (f->client, await (f), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/dps-certificates-client/proof-of-possession", Fixture, NULL, fixture_setup,
              test_proof_of_possession, fixture_teardown);

  return g_test_run ();
}
