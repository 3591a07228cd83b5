/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cb-sas.h"
#include "cb-sb-dps-store.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* DPS over MQTT with X.509 attestation on the sandbox, with clients no one here wrote: openssl
 * makes the device's onboarding certificate and its operational key's CSR, mosquitto_rr
 * (Debian mosquitto-clients) presents the certificate in the TLS handshake (--cert/--key, no
 * password, user name "{idScope}/registrations/{registrationId}/api-version=…") and publishes
 * the registration with the CSR and the poll on one connection, as DPS answers on the
 * connection that asked; the device gets the operational chain of the enrollment's ADR
 * policy. Refusals, CONNACK 5 through mosquitto_pub: an unknown certificate, a certificate
 * whose CN is not the registration id, neither certificate nor password. A disabled
 * enrollment connects and its registration ends "disabled" (403210), as over HTTPS. */

#define SUB        "00000000-0000-0000-0000-0000000000e7"
#define RG         "rg-mqttx509"
#define NS         "ns-mqttx509"
#define HUB        "hub-mqttx509"
#define DPS        "dps-mqttx509"
#define ID_SCOPE   "0ne00E7A509"
#define POLICY     "default"
#define OWNER_KEY  "ZHBzLW1xdHQteDUwOS1vd25lci1rZXktMDEyMzQ1Njc="
#define DPS_API    "api-version=2025-07-01-preview"
#define REG_ID     "factory-mqtt-0001"
#define USERNAME   ID_SCOPE "/registrations/" REG_ID "/api-version=2025-07-01-preview"

typedef struct
{
  CbTestSandbox *ts;
  char          *dir;
  char          *port;
  char          *hub_host;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  CbSandbox *sb;
  g_autoptr(GError) error = NULL;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  f->dir = g_dir_make_tmp ("test-dps-mqtt-x509-XXXXXX", &error);
  g_assert_no_error (error);
  sb = f->ts->sandbox;
  g_assert_cmpuint (cb_sandbox_get_mqtt_port (sb), >, 0);
  f->port = g_strdup_printf ("%u", cb_sandbox_get_mqtt_port (sb));

  cb_test_sandbox_add_dps_topology (f->ts, SUB, RG, NS, HUB, DPS, ID_SCOPE, OWNER_KEY, POLICY);
  cb_sb_lock (sb);
  f->hub_host = cb_sb_dps_hub_host_name (sb, HUB);
  cb_sb_unlock (sb);
  g_assert_nonnull (f->hub_host);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  cb_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->port);
  g_free (f->hub_host);
}

static JsonObject *
obj (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

/* Runs argv (NULL-terminated); its exit status, stdout in out (transfer full). */
static int
run (const char * const *argv,
     char              **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err_text = NULL;
  char *out_text = NULL;
  int wait_status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out_text, &err_text, &wait_status, &error));
  g_assert_no_error (error);
  g_test_message ("%s: %s%s", argv[0], out_text, err_text);
  if (out != NULL)
    *out = g_strconcat (out_text, err_text, NULL);
  g_free (out_text);
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

/* An onboarding certificate as a factory makes it, by openssl: self-signed, EC P-256,
 * clientAuth, CN=cn. Files {dir}/{stem}.crt and .key. */
static void
make_onboarding (Fixture    *f,
                 const char *cn,
                 const char *stem)
{
  g_autofree char *key = g_strdup_printf ("%s/%s.key", f->dir, stem);
  g_autofree char *crt = g_strdup_printf ("%s/%s.crt", f->dir, stem);
  g_autofree char *subject = g_strdup_printf ("/CN=%s/O=Test factory", cn);
  const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt,
                         "-days", "2", "-subj", subject, "-addext",
                         "extendedKeyUsage=clientAuth", NULL };

  g_assert_cmpint (run (argv, NULL), ==, 0);
}

/* The device's operational key and its CSR (CN=REG_ID), by openssl: the CSR as base64 DER. */
static char *
make_csr (Fixture *f)
{
  g_autofree char *key = g_build_filename (f->dir, "operational.key", NULL);
  g_autofree char *csr = g_build_filename (f->dir, "operational.csr", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *der = NULL;
  gsize len = 0;
  const char *argv[] = { "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                         "-subj", "/CN=" REG_ID, "-outform", "DER", "-out", csr, NULL };

  g_assert_cmpint (run (argv, NULL), ==, 0);
  g_assert_true (g_file_get_contents (csr, &der, &len, &error));
  return g_base64_encode ((const guchar *) der, len);
}

/* The X.509 individual enrollment of REG_ID with {stem}.crt as its primary certificate. */
static void
enroll (Fixture    *f,
        const char *stem,
        const char *status)
{
  g_autofree char *crt = g_strdup_printf ("%s/%s.crt", f->dir, stem);
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;
  g_autoptr(JsonNode) pem_node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *pem_json = NULL;
  g_autofree char *body = NULL;
  g_autofree char *owner = NULL;

  g_assert_true (g_file_get_contents (crt, &pem, NULL, &error));
  json_node_set_string (pem_node, pem);
  pem_json = json_to_string (pem_node, FALSE);
  body = g_strdup_printf ("{\"registrationId\": \"" REG_ID "\", \"provisioningStatus\": \"%s\","
                          " \"credentialPolicyName\": \"" POLICY "\", \"attestation\": {\"type\":"
                          " \"x509\", \"x509\": {\"clientCertificates\": {\"primary\":"
                          " {\"certificate\": %s}}}}}", status, pem_json);
  owner = cb_sas_token_new (DPS ".azure-devices-provisioning.net", OWNER_KEY,
                            "provisioningserviceowner", g_get_real_time () / G_USEC_PER_SEC + 3600,
                            CB_SAS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "PUT", "/dps-service/" DPS "/enrollments/"
                                                  REG_ID "?" DPS_API, owner, body, NULL, NULL),
                    ==, 200);
}

/* mosquitto_rr with the certificate {stem}.crt/.key and no password: publishes message on
 * topic, waits for the one answer on response_topic. Returns "topic payload". */
static char *
rr (Fixture    *f,
    const char *stem,
    const char *topic,
    const char *response_topic,
    const char *message)
{
  g_autofree char *crt = g_strdup_printf ("%s/%s.crt", f->dir, stem);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", f->dir, stem);
  const char *argv[] = { "mosquitto_rr", "-V", "mqttv311", "-h", "127.0.0.1", "-p", f->port,
                         "--cafile", cb_sandbox_get_ca_file (f->ts->sandbox), "--cert", crt,
                         "--key", key, "-i", REG_ID, "-u", USERNAME, "-e", response_topic,
                         "-t", topic, "-m", message, "-v", "-W", "20", NULL };
  char *out = NULL;

  g_assert_cmpint (run (argv, &out), ==, 0);
  g_assert_true (g_str_has_prefix (out, response_topic));
  g_assert_cmpint (out[strlen (response_topic)], ==, ' ');
  return out;
}

/* Registers REG_ID with {stem}'s certificate and a CSR, polls once DPS is done; the final
 * operation status. */
static JsonNode *
register_over_mqtt (Fixture    *f,
                    const char *stem)
{
  g_autofree char *csr = make_csr (f);
  g_autofree char *body = g_strdup_printf ("{\"registrationId\":\"" REG_ID "\",\"csr\":\"%s\"}", csr);
  g_autofree char *accepted = NULL;
  g_autofree char *poll_topic = NULL;
  g_autofree char *done = NULL;
  g_autoptr(JsonNode) started = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *state;
  const char *json;

  accepted = rr (f, stem, "$dps/registrations/PUT/iotdps-register/?$rid=1",
                 "$dps/registrations/res/202/?$rid=1&retry-after=1", body);
  json = strchr (accepted, ' ') + 1;
  started = json_from_string (json, &error);
  g_assert_no_error (error);
  g_assert_nonnull (json_object_get_string_member (obj (started), "operationId"));

  /* The sandbox's LRO delay is 50 ms; the answer said retry after 1 s, as a device waits. */
  g_usleep (G_USEC_PER_SEC);
  poll_topic = g_strdup_printf ("$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2"
                                "&operationId=%s",
                                json_object_get_string_member (obj (started), "operationId"));
  done = rr (f, stem, poll_topic, "$dps/registrations/res/200/?$rid=2", "");
  state = json_from_string (strchr (done, ' ') + 1, &error);
  g_assert_no_error (error);
  return state;
}

/* mosquitto_pub with {stem}'s certificate (none when NULL) and no password: whether the
 * sandbox accepted the connection, and what mosquitto_pub said. */
static gboolean
pub_connects (Fixture    *f,
              const char *stem,
              char      **said)
{
  g_autofree char *crt = stem ? g_strdup_printf ("%s/%s.crt", f->dir, stem) : NULL;
  g_autofree char *key = stem ? g_strdup_printf ("%s/%s.key", f->dir, stem) : NULL;
  const char *argv[] = { "mosquitto_pub", "-V", "mqttv311", "-h", "127.0.0.1", "-p", f->port,
                         "--cafile", cb_sandbox_get_ca_file (f->ts->sandbox), "-i", REG_ID,
                         "-u", USERNAME, "-t", "$dps/registrations/PUT/iotdps-register/?$rid=9",
                         "-m", "{}", stem ? "--cert" : NULL, crt, "--key", key, NULL };

  return run (argv, said) == 0;
}

static gboolean
have_tools (void)
{
  const char *tools[] = { "mosquitto_rr", "mosquitto_pub", "openssl" };

  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *path = g_find_program_in_path (tools[i]);

      if (path == NULL)
        {
          g_autofree char *why = g_strdup_printf ("%s is not installed (Debian packages "
                                                  "mosquitto-clients, openssl)", tools[i]);
          g_test_skip (why);
          return FALSE;
        }
    }
  return TRUE;
}

/* The enrolled certificate onboards with a CSR: the operational chain of the ADR policy, a
 * leaf for the registration id that is not the onboarding certificate. */
static void
test_register (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonNode) outcome = NULL;
  JsonObject *state;
  JsonArray *chain;

  if (!have_tools ())
    return;
  make_onboarding (f, REG_ID, "device");
  enroll (f, "device", "enabled");

  outcome = register_over_mqtt (f, "device");
  g_assert_cmpstr (json_object_get_string_member (obj (outcome), "status"), ==, "assigned");
  state = json_object_get_object_member (obj (outcome), "registrationState");
  g_assert_cmpstr (json_object_get_string_member (state, "assignedHub"), ==, f->hub_host);
  g_assert_cmpstr (json_object_get_string_member (state, "deviceId"), ==, REG_ID);
  chain = json_object_get_array_member (state, "issuedCertificateChain");
  g_assert_nonnull (chain);
  g_assert_cmpuint (json_array_get_length (chain), ==, 3);

  /* The issued leaf is the policy's, for the registration id, not the factory's. */
  {
    g_autoptr(CbCertificate) leaf = cb_certificate_new_from_text (json_array_get_string_element (chain, 0));

    g_assert_nonnull (leaf);
    g_assert_cmpstr (cb_certificate_get_common_name (leaf), ==, REG_ID);
    g_assert_null (strstr (cb_certificate_get_issuer (leaf), "Test factory"));
  }
}

/* Refusals: an unknown certificate, a CN that is not the registration id, no certificate and
 * no password get CONNACK 5; a disabled enrollment's registration ends "disabled". */
static void
test_refusals (Fixture       *f,
               gconstpointer  data)
{
  if (!have_tools ())
    return;
  make_onboarding (f, REG_ID, "device");
  make_onboarding (f, REG_ID, "stranger");
  make_onboarding (f, "someone-else", "misnamed");
  enroll (f, "device", "enabled");

  /* The enrolled certificate connects (mosquitto_pub publishes and leaves). */
  g_assert_true (pub_connects (f, "device", NULL));

  {
    g_autofree char *said = NULL;

    g_assert_false (pub_connects (f, "stranger", &said));
    g_assert_nonnull (strstr (said, "not authori"));
  }
  {
    g_autofree char *said = NULL;

    g_assert_false (pub_connects (f, "misnamed", &said));
    g_assert_nonnull (strstr (said, "not authori"));
  }
  {
    g_autofree char *said = NULL;

    g_assert_false (pub_connects (f, NULL, &said));
    g_assert_nonnull (strstr (said, "not authori"));
  }

  /* Disabled: DPS's answer, as over HTTPS. */
  enroll (f, "device", "disabled");
  {
    g_autoptr(JsonNode) outcome = register_over_mqtt (f, "device");

    g_assert_cmpstr (json_object_get_string_member (obj (outcome), "status"), ==, "disabled");
    g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (obj (outcome), "registrationState"),
                       "errorCode"), ==, 403210);
  }

  /* The enrollment's certificate replaced: the old one is refused at once. */
  enroll (f, "stranger", "enabled");
  g_assert_false (pub_connects (f, "device", NULL));
  g_assert_true (pub_connects (f, "stranger", NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/sandbox-dps-mqtt-x509/register", Fixture, NULL, fixture_setup, test_register,
              fixture_teardown);
  g_test_add ("/cb/sandbox-dps-mqtt-x509/refusals", Fixture, NULL, fixture_setup, test_refusals,
              fixture_teardown);
  return g_test_run ();
}
