/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cb-test-cli.h"
#include "cb-test-factory.h"
#include "cb-test-sandbox.h"

#include "cb-sas.h"

/* certbench-cli provision of a device that onboards with X.509 (issue 18, the station side),
 * with clients no one here wrote for everything around it: openssl makes the factory CA and
 * the device's onboarding certificate, the built certbench-devsim presents it
 * (--onboarding-cert/--onboarding-key), curl reads DPS's registration state. The CLI gives the
 * device no key, the device registers itself, and --json and the journal carry the onboarding
 * certificate's SHA-256; with another certificate in the enrollment the run fails at register,
 * naming why. */

#define DEMO_DPS        "demo-dps"
#define DPS_HOST        DEMO_DPS ".azure-devices-provisioning.net"
#define DPS_OWNER_KEY   "Y2VydGJlbmNoLWRlbW8tZHBzLW93bmVyLWtleS0wMDAx"
#define DPS_API         "api-version=2025-07-01-preview"
#define REG_ID          "x509-cli-1"

typedef struct
{
  CbTestSandbox *ts;
  char          *home;
  char          *journal;
  char          *cli;
  char          *devsim;
  GSubprocess   *device;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->cli = cb_test_cli_built_binary ("CERTBENCH_CLI", "cli", "certbench-cli");
  f->devsim = cb_test_cli_built_binary ("CERTBENCH_DEVSIM", "devsim", "certbench-devsim");
  f->home = g_dir_make_tmp ("cb-cli-x509-XXXXXX", &error);
  g_assert_no_error (error);
  f->journal = g_build_filename (f->home, "journal.sqlite", NULL);
  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_demo (f->ts->sandbox, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->device != NULL)
    {
      g_subprocess_send_signal (f->device, SIGTERM);
      g_subprocess_wait (f->device, NULL, NULL);
      g_clear_object (&f->device);
    }
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  cb_test_remove_tree (f->home);
  g_free (f->home);
  g_free (f->journal);
  g_free (f->cli);
  g_free (f->devsim);
}

/* openssl: a factory CA named name (name.crt, name.key) in the home folder. */
static void
openssl_ca (Fixture    *f,
            const char *name)
{
  g_autofree char *crt = g_strdup_printf ("%s/%s.crt", f->home, name);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", f->home, name);
  g_autofree char *subject = g_strdup_printf ("/CN=%s/O=Certbench test", name);

  cb_test_factory_ca (crt, key, subject);
}

/* openssl: a device certificate CN=REG_ID signed by the CA ca, as name.crt and name.key. */
static void
openssl_device (Fixture    *f,
                const char *ca,
                const char *name)
{
  g_autofree char *ca_crt = g_strdup_printf ("%s/%s.crt", f->home, ca);
  g_autofree char *ca_key = g_strdup_printf ("%s/%s.key", f->home, ca);
  g_autofree char *crt = g_strdup_printf ("%s/%s.crt", f->home, name);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", f->home, name);

  cb_test_factory_device (ca_crt, ca_key, REG_ID, crt, key);
}

/* openssl's SHA-256 fingerprint of name.crt ("AB:CD:…"). */
static char *
openssl_fingerprint (Fixture    *f,
                     const char *name)
{
  g_autofree char *crt = g_strdup_printf ("%s/%s.crt", f->home, name);

  return cb_test_openssl_fingerprint (crt, "-sha256", FALSE);
}

static char *
owner_token (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  gint64 now;
  char *token;

  cb_sb_lock (f->ts->sandbox);
  now = cb_sb_now (f->ts->sandbox);
  cb_sb_unlock (f->ts->sandbox);
  token = cb_sas_token_new (DPS_HOST, DPS_OWNER_KEY, "provisioningserviceowner", now + 3600,
                            CB_SAS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  return token;
}

/* The individual X.509 enrollment of REG_ID holds name.crt. */
static void
enroll (Fixture    *f,
        const char *name)
{
  g_autofree char *crt = g_strdup_printf ("%s/%s.crt", f->home, name);
  g_autofree char *pem = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *pem_json = NULL;
  g_autofree char *body = NULL;
  g_autofree char *owner = owner_token (f);

  g_assert_true (g_file_get_contents (crt, &pem, NULL, NULL));
  json_node_set_string (node, pem);
  pem_json = json_to_string (node, FALSE);
  body = g_strdup_printf ("{\"registrationId\": \"" REG_ID "\", \"credentialPolicyName\": "
                          "\"default\", \"attestation\": {\"type\": \"x509\", \"x509\": "
                          "{\"clientCertificates\": {\"primary\": {\"certificate\": %s}}}}}",
                          pem_json);
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "PUT", "/dps-service/" DEMO_DPS
                                                  "/enrollments/" REG_ID "?" DPS_API, owner, body,
                                                  NULL, NULL), ==, 200);
}

static JsonObject *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* certbench-cli provision --device-registers --json on the device; the exit status. */
static int
provision (Fixture     *f,
           const char  *pty,
           JsonObject **out)
{
  g_autofree char *text = NULL;
  int status;

  status = cb_test_cli_run (f->cli, f->home, f->ts, f->journal, &text, NULL,
                            (const char *[]) { "provision", "--port", pty, "--device-registers",
                                               "--no-hub-check", "--validity-days", "30",
                                               "--json", NULL });
  *out = parse (text);
  return status;
}

static void
test_provision (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *cert = g_strdup_printf ("%s/device.crt", f->home);
  g_autofree char *key = g_strdup_printf ("%s/device.key", f->home);
  g_autofree char *fingerprint = NULL;
  g_autofree char *thumbprint = NULL;
  g_autofree char *pty = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *url = NULL;
  g_autofree char *state_text = NULL;
  g_autofree char *journal_text = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) state = NULL;
  g_auto(GStrv) hex = NULL;
  JsonObject *x509;

  openssl_ca (f, "factory");
  openssl_ca (f, "other-factory");
  openssl_device (f, "factory", "device");
  openssl_device (f, "other-factory", "stranger");
  fingerprint = openssl_fingerprint (f, "device");
  hex = g_strsplit (fingerprint, ":", -1);
  thumbprint = g_strjoinv ("", hex);
  enroll (f, "device");

  f->device = cb_test_cli_start_device (f->cli, f->devsim, f->home,
                                        (const char *[]) { "--serial", REG_ID,
                                                           "--onboarding-cert", cert,
                                                           "--onboarding-key", key, NULL },
                                        &pty);

  g_assert_cmpint (provision (f, pty, &result), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (result, "result"), ==, "pass");
  g_assert_cmpstr (json_object_get_string_member (result, "onboardingSha256"), ==, fingerprint);

  /* DPS's registration state, read by curl. */
  owner = owner_token (f);
  authorization = g_strconcat ("Authorization: ", owner, NULL);
  url = g_strdup_printf ("%s/dps-service/" DEMO_DPS "/registrations/" REG_ID "?" DPS_API,
                         cb_sandbox_get_base_url (f->ts->sandbox));
  state_text = cb_test_run_program ((const char *[]) {
                                      "curl", "--silent", "--show-error", "--fail", "--noproxy",
                                      "*", "--cacert", cb_sandbox_get_ca_file (f->ts->sandbox),
                                      "-H", authorization, url, NULL });
  state = parse (state_text);
  x509 = json_object_get_object_member (state, "x509");
  g_assert_nonnull (x509);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (x509,
                                                                                 "certificateInfo"),
                                                  "sha256Thumbprint"), ==, thumbprint);

  /* The journal, as certbench-cli shows it, holds the fingerprint. */
  g_assert_cmpint (cb_test_cli_run (f->cli, f->home, f->ts, f->journal, &journal_text, NULL,
                                    (const char *[]) { "journal", "list", "--json", NULL }), ==, 0);
  g_assert_nonnull (strstr (journal_text, fingerprint));

  /* The enrollment now holds another certificate: the run fails at register, naming why. */
  enroll (f, "stranger");
  g_assert_cmpint (provision (f, pty, &refused), !=, 0);
  g_assert_cmpstr (json_object_get_string_member (refused, "result"), ==, "fail");
  g_assert_cmpstr (json_object_get_string_member (refused, "failedStep"), ==, "register");
  g_assert_nonnull (strstr (json_object_get_string_member (refused, "error"),
                            "DPS did not accept it for the individual enrollment"));
  g_assert_false (json_object_get_boolean_member (refused, "deviceChanged"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/cli-x509-onboarding/provision", Fixture, NULL, fixture_setup, test_provision,
              fixture_teardown);
  return g_test_run ();
}
