/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <signal.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "cb-sas.h"
#include "cb-test-factory.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* A simulated device with a factory X.509 certificate onboards by itself, end to end, with the
 * real certbench-devsim binary against the sandbox on loopback: the devsim writes a test
 * factory CA (--make-factory-ca), makes its key and has the factory CA sign CN=<registration
 * id> (--print-onboarding-cert shows it, kept in its state directory), the certificate is
 * enrolled as an X.509 individual enrollment, and the device started with its DPS scope
 * registers over MQTT with that certificate (no SAS) and a CSR, installs the operational chain
 * the enrollment's ADR policy issues, connects to the hub with it and renews there once the
 * sandbox clock passes its renewal point. Each step is seen from the sandbox: the DPS
 * registration, the hub device's twin (connected, its reported certificate), the renewed
 * certificate. */

#define DEMO_DPS        "demo-dps"
#define DEMO_SCOPE      "0ne00CB0DE1"
#define DEMO_HUB        "demo-hub"
#define DEMO_HUB_HOST   "demo-hub.azure-devices.net"
#define DPS_OWNER_KEY   "Y2VydGJlbmNoLWRlbW8tZHBzLW93bmVyLWtleS0wMDAx"
#define DPS_API         "api-version=2025-07-01-preview"
#define HUB_API         "api-version=2021-04-12"
#define REG_ID          "onboard-0001"

typedef struct
{
  CbTestSandbox *ts;
  char          *dir;
  char          *ca;
  char          *ca_key;
  char          *state;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_demo (f->ts->sandbox, &error));
  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("test-devsim-onboarding-XXXXXX", &error);
  g_assert_no_error (error);
  f->ca = g_build_filename (f->dir, "factory-ca.crt", NULL);
  f->ca_key = g_build_filename (f->dir, "factory-ca.key", NULL);
  f->state = g_build_filename (f->dir, "device", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  cb_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->ca);
  g_free (f->ca_key);
  g_free (f->state);
}

static gint64
sandbox_now (Fixture *f)
{
  gint64 now;

  cb_sb_lock (f->ts->sandbox);
  now = cb_sb_now (f->ts->sandbox);
  cb_sb_unlock (f->ts->sandbox);
  return now;
}

static char *
dps_owner (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char *token = cb_sas_token_new (DEMO_DPS ".azure-devices-provisioning.net", DPS_OWNER_KEY,
                                  "provisioningserviceowner", sandbox_now (f) + 3600,
                                  CB_SAS_FLAGS_NONE, &error);

  g_assert_no_error (error);
  return token;
}

static char *
hub_owner (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  char *token;

  cb_sb_lock (f->ts->sandbox);
  key = cb_sb_dup_hub_key (f->ts->sandbox, DEMO_HUB, "iothubowner");
  cb_sb_unlock (f->ts->sandbox);
  g_assert_nonnull (key);
  token = cb_sas_token_new (DEMO_HUB_HOST, key, "iothubowner", sandbox_now (f) + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

/* The device's reported certificate ("validFrom") while its twin says it is connected; NULL
 * otherwise. */
static char *
connected_certificate (Fixture *f)
{
  g_autofree char *auth = hub_owner (f);
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *twin;
  JsonObject *properties;
  JsonObject *reported;
  JsonObject *cert;

  if (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" DEMO_HUB "/twins/" REG_ID "?" HUB_API,
                                    auth, NULL, &reply, NULL) != 200)
    return NULL;
  twin = json_node_get_object (reply);
  if (g_strcmp0 (json_object_get_string_member_with_default (twin, "connectionState", ""),
                 "Connected") != 0 ||
      !(properties = json_object_get_object_member (twin, "properties")) ||
      !(reported = json_object_get_object_member (properties, "reported")) ||
      !json_object_has_member (reported, "certificate") ||
      !(cert = json_object_get_object_member (reported, "certificate")))
    return NULL;
  return g_strdup (json_object_get_string_member_with_default (cert, "validFrom", ""));
}

/* Waits (bounded) until the device is connected with a reported certificate other than
 * not_this (NULL: any). */
static char *
wait_connected (Fixture    *f,
                const char *not_this,
                const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      char *valid_from = connected_certificate (f);

      if (valid_from != NULL && g_strcmp0 (valid_from, not_this) != 0)
        return valid_from;
      g_free (valid_from);
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_usleep (100000);
    }
}

static void
enroll (Fixture    *f,
        const char *pem)
{
  g_autoptr(JsonNode) pem_node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *pem_json = NULL;
  g_autofree char *body = NULL;
  g_autofree char *owner = dps_owner (f);

  json_node_set_string (pem_node, pem);
  pem_json = json_to_string (pem_node, FALSE);
  body = g_strdup_printf ("{\"registrationId\": \"" REG_ID "\", \"credentialPolicyName\":"
                          " \"default\", \"attestation\": {\"type\": \"x509\", \"x509\":"
                          " {\"clientCertificates\": {\"primary\": {\"certificate\": %s}}}}}",
                          pem_json);
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "PUT", "/dps-service/" DEMO_DPS
                                                  "/enrollments/" REG_ID "?" DPS_API, owner,
                                                  body, NULL, NULL), ==, 200);
}

/* The factory: a test CA, the device's certificate signed by it, kept by the device. */
static void
test_factory (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *pem = NULL;
  g_autofree char *again = NULL;
  g_autofree char *ca_pem = NULL;
  g_autoptr(CbCertificate) cert = NULL;
  g_autoptr(CbCertificate) ca = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf sb;

  g_assert_cmpint (cb_test_devsim_make_factory_ca (f->ca, f->ca_key), ==, 0);
  g_assert_cmpint (g_stat (f->ca_key, &sb), ==, 0);
  g_assert_cmpint (sb.st_mode & 0777, ==, 0600);
  /* Never over an existing CA. */
  g_assert_cmpint (cb_test_devsim_make_factory_ca (f->ca, f->ca_key), ==, 1);

  g_assert_cmpint (cb_test_devsim_onboarding_cert (f->state, NULL, f->ca, f->ca_key, REG_ID,
                                                   &pem), ==, 0);
  cert = cb_certificate_new_from_text (pem);
  g_assert_nonnull (cert);
  g_assert_cmpstr (cb_certificate_get_common_name (cert), ==, REG_ID);
  g_assert_true (g_file_get_contents (f->ca, &ca_pem, NULL, &error));
  ca = cb_certificate_new_from_text (ca_pem);
  g_assert_cmpstr (cb_certificate_get_issuer (cert), ==, cb_certificate_get_subject (ca));

  /* The device keeps its identity: the same certificate at the next start. */
  g_assert_cmpint (cb_test_devsim_onboarding_cert (f->state, NULL, f->ca, f->ca_key, REG_ID,
                                                   &again), ==, 0);
  g_assert_cmpstr (again, ==, pem);

  /* Half an identity is refused. */
  g_assert_cmpint (cb_test_devsim_run (NULL, (const char *[]) {
                                         "--state-dir", f->state, "--factory-ca", f->ca,
                                         "--print-onboarding-cert", NULL }), ==, 2);
}

/* Onboards over MQTT with the certificate and a CSR, connects to the hub with the issued
 * chain, renews there. */
static void
test_onboard_and_renew (Fixture       *f,
                        gconstpointer  data)
{
  CbSandbox *sb = f->ts->sandbox;
  g_autofree char *pem = NULL;
  g_autofree char *endpoint = g_strdup_printf ("127.0.0.1:%u", cb_sandbox_get_mqtt_port (sb));
  g_autofree char *dps_endpoint = g_strconcat ("mqtts://", endpoint, NULL);
  g_autofree char *clock_url = g_strconcat (cb_sandbox_get_base_url (sb), "/sandbox/clock", NULL);
  g_autofree char *first = NULL;
  g_autofree char *renewed = NULL;
  g_autoptr(GSubprocess) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) registration = NULL;
  g_autofree char *owner = NULL;

  g_assert_cmpint (cb_test_devsim_make_factory_ca (f->ca, f->ca_key), ==, 0);
  g_assert_cmpint (cb_test_devsim_onboarding_cert (f->state, NULL, f->ca, f->ca_key, REG_ID,
                                                   &pem), ==, 0);
  enroll (f, pem);

  /* The device goes with the test, whichever way the test ends. */
  device = cb_test_devsim_spawn (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, (const char *[]) {
                                   "--state-dir", f->state, "--factory-ca", f->ca,
                                   "--factory-ca-key", f->ca_key, "--onboarding-id", REG_ID,
                                   "--dps-scope", DEMO_SCOPE, "--dps-endpoint", dps_endpoint,
                                   "--hub-endpoint", endpoint,
                                   "--ca-file", cb_sandbox_get_ca_file (sb),
                                   "--clock-url", clock_url, NULL });

  /* DPS assigned it over MQTT by its certificate, and it is on the hub with the chain. */
  first = wait_connected (f, NULL, "the device onboarded and connected");
  owner = dps_owner (f);
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/dps-service/" DEMO_DPS
                                                  "/registrations/" REG_ID "?" DPS_API, owner,
                                                  NULL, &registration, NULL), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (registration), "status"),
                   ==, "assigned");

  /* Past the renewal point (0.8 of the policy's 30 days): the device renews on the hub and
   * comes back with the new certificate. Its clock follows the sandbox's (polled ~5 s). */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 2160000}", NULL, NULL), ==, 200);
  renewed = wait_connected (f, first, "the device renewed on the hub");
  g_assert_cmpstr (renewed, >, first);

  g_subprocess_send_signal (device, SIGTERM);
  g_assert_true (g_subprocess_wait (device, NULL, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/devsim-onboarding/factory", Fixture, NULL, fixture_setup, test_factory,
              fixture_teardown);
  g_test_add ("/cb/devsim-onboarding/onboard-and-renew", Fixture, NULL, fixture_setup,
              test_onboard_and_renew, fixture_teardown);
  return g_test_run ();
}
