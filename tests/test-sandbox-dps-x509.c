/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cb-csr.h"
#include "cb-pki.h"
#include "cb-sas.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* DPS individual enrollments attested by X.509 on the sandbox, with a client no one here
 * wrote: curl presents the device's onboarding certificate in the TLS handshake of the DPS
 * registration (--cert/--key), with a CSR in the body; the device gets the operational chain
 * of the enrollment's policy. Refusals: an unknown certificate, a CN that is not the
 * registration id, no certificate and no SAS (401002); a disabled enrollment ends "disabled".
 * openssl s_client shows the sandbox asks for a certificate without requiring one. */

#define SUB        "00000000-0000-0000-0000-00000000c0de"
#define RG         "rg-bench"
#define NS         "ns-bench"
#define HUB        "hub-bench"
#define DPS        "dps-bench"
#define ID_SCOPE   "0ne00C0FFEE"
#define POLICY     "default"
#define OWNER_KEY  "ZHBzLW93bmVyLWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc="
#define DPS_API    "api-version=2025-07-01-preview"
#define REG_ID     "factory-0001"

typedef struct
{
  CbTestSandbox *ts;
  char          *dir;
} Fixture;

/* A device's onboarding certificate as a factory makes it (self-signed, clientAuth), and its
 * key, written as PEM files for curl. */
typedef struct
{
  CbCertificate *cert;
  char          *cert_file;
  char          *key_file;
} Onboarding;

static void
onboarding_clear (Onboarding *o)
{
  g_clear_object (&o->cert);
  g_clear_pointer (&o->cert_file, g_free);
  g_clear_pointer (&o->key_file, g_free);
}

static void
make_onboarding (Fixture    *f,
                 const char *cn,
                 const char *file_stem,
                 Onboarding *out)
{
  static const char * const client_auth[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autofree char *dn = g_strdup_printf ("CN=%s,O=Test factory", cn);
  g_autofree char *pem = NULL;
  g_autofree char *key_pem = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = dn,
    .not_before = now - 3600,
    .not_after = now + 86400,
    .is_ca = FALSE,
    .path_len = -1,
    .key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE,
    .ext_key_usage = client_auth,
  };

  g_assert_no_error (error);
  spki = cb_key_get_public_key_der (key);
  der = cb_cert_issue (&profile, spki, key, NULL, &error);
  g_assert_no_error (error);
  out->cert = cb_certificate_new_from_der (der, &error);
  g_assert_no_error (error);
  pem = cb_certificate_to_pem (out->cert);
  key_pem = cb_key_to_pem (key, &error);
  g_assert_no_error (error);
  out->cert_file = g_strdup_printf ("%s/%s.crt", f->dir, file_stem);
  out->key_file = g_strdup_printf ("%s/%s.key", f->dir, file_stem);
  g_assert_true (g_file_set_contents (out->cert_file, pem, -1, &error));
  g_assert_true (g_file_set_contents_full (out->key_file, key_pem, -1,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  f->dir = g_dir_make_tmp ("test-dps-x509-XXXXXX", &error);
  g_assert_no_error (error);

  cb_test_sandbox_add_dps_topology (f->ts, SUB, RG, NS, HUB, DPS, ID_SCOPE, OWNER_KEY, POLICY);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  cb_test_remove_tree (f->dir);
  g_free (f->dir);
}

static char *
owner_sas (void)
{
  g_autoptr(GError) error = NULL;
  char *token = cb_sas_token_new (DPS ".azure-devices-provisioning.net", OWNER_KEY,
                                  "provisioningserviceowner",
                                  g_get_real_time () / G_USEC_PER_SEC + 3600,
                                  CB_SAS_FLAGS_NONE, &error);

  g_assert_no_error (error);
  return token;
}

static JsonObject *
obj (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static guint
put_enrollment (Fixture    *f,
                const char *body,
                JsonNode  **out)
{
  g_autofree char *owner = owner_sas ();

  return cb_test_sandbox_request_json (f->ts, "PUT",
                                       "/dps-service/" DPS "/enrollments/" REG_ID "?" DPS_API,
                                       owner, body, out, NULL);
}

static char *
x509_enrollment_body (CbCertificate *primary,
                      const char    *status)
{
  g_autofree char *pem = cb_certificate_to_pem (primary);
  g_autoptr(JsonNode) pem_node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *pem_json = NULL;

  json_node_set_string (pem_node, pem);
  pem_json = json_to_string (pem_node, FALSE);
  return g_strdup_printf ("{\"registrationId\": \"" REG_ID "\", \"provisioningStatus\": \"%s\","
                          " \"credentialPolicyName\": \"" POLICY "\", \"attestation\": {\"type\":"
                          " \"x509\", \"x509\": {\"clientCertificates\": {\"primary\":"
                          " {\"certificate\": %s}}}}}", status, pem_json);
}

/* curl, with the device's certificate when o is not NULL. Returns the HTTP status; the body
 * parsed as JSON in out. */
static guint
curl (Fixture    *f,
      const char *method,
      const char *path,
      const char *body,
      Onboarding *o,
      JsonNode  **out)
{
  g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (f->ts->sandbox), path, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;
  g_autoptr(GError) error = NULL;
  const char *status_line;
  int wait_status = 0;
  guint status;

  g_ptr_array_add (argv, (char *) "curl");
  g_ptr_array_add (argv, (char *) "--silent");
  g_ptr_array_add (argv, (char *) "--show-error");
  g_ptr_array_add (argv, (char *) "--noproxy");
  g_ptr_array_add (argv, (char *) "*");
  g_ptr_array_add (argv, (char *) "--cacert");
  g_ptr_array_add (argv, (char *) cb_sandbox_get_ca_file (f->ts->sandbox));
  if (o != NULL)
    {
      g_ptr_array_add (argv, (char *) "--cert");
      g_ptr_array_add (argv, o->cert_file);
      g_ptr_array_add (argv, (char *) "--key");
      g_ptr_array_add (argv, o->key_file);
    }
  g_ptr_array_add (argv, (char *) "-X");
  g_ptr_array_add (argv, (char *) method);
  g_ptr_array_add (argv, (char *) "-H");
  g_ptr_array_add (argv, (char *) "Content-Type: application/json");
  if (body != NULL)
    {
      g_ptr_array_add (argv, (char *) "--data-binary");
      g_ptr_array_add (argv, (char *) body);
    }
  g_ptr_array_add (argv, (char *) "--write-out");
  g_ptr_array_add (argv, (char *) "\n%{http_code}");
  g_ptr_array_add (argv, url);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out_text, &err_text, &wait_status, &error));
  g_assert_no_error (error);
  g_test_message ("curl %s %s -> %s%s", method, path, out_text, err_text);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));

  status_line = strrchr (out_text, '\n');
  g_assert_nonnull (status_line);
  status = (guint) g_ascii_strtoull (status_line + 1, NULL, 10);
  if (out != NULL)
    {
      g_autofree char *json = g_strndup (out_text, status_line - out_text);

      *out = *json != '\0' ? json_from_string (json, &error) : NULL;
      g_assert_no_error (error);
    }
  return status;
}

static char *
registration_body (const char *registration_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) der = NULL;
  g_autofree char *csr = NULL;

  g_assert_no_error (error);
  der = cb_csr_create (key, registration_id, &error);
  g_assert_no_error (error);
  csr = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  return g_strdup_printf ("{\"registrationId\": \"%s\", \"csr\": \"%s\"}", registration_id, csr);
}

/* Registers with curl and the certificate, polls to the end; the final operation status. */
static JsonNode *
register_with_curl (Fixture    *f,
                    Onboarding *o)
{
  g_autofree char *body = registration_body (REG_ID);
  g_autoptr(JsonNode) started = NULL;
  const char *operation_id;

  g_assert_cmpuint (curl (f, "PUT", "/dps/" ID_SCOPE "/registrations/" REG_ID "/register?" DPS_API,
                          body, o, &started), ==, 202);
  operation_id = json_object_get_string_member (obj (started), "operationId");
  g_assert_nonnull (operation_id);

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *poll = g_strdup_printf ("/dps/" ID_SCOPE "/registrations/" REG_ID
                                               "/operations/%s?" DPS_API, operation_id);
      JsonNode *state = NULL;
      guint status = curl (f, "GET", poll, NULL, o, &state);

      if (status == 200)
        return state;
      g_assert_cmpuint (status, ==, 202);
      g_clear_pointer (&state, json_node_unref);
      g_usleep (50000);
    }
  g_assert_not_reached ();
}

static void
test_register (Fixture       *f,
               gconstpointer  data)
{
  Onboarding device = { 0 };
  Onboarding stranger = { 0 };
  Onboarding misnamed = { 0 };
  g_autofree char *enrollment = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autoptr(JsonNode) refused = NULL;
  g_autoptr(JsonNode) anonymous = NULL;
  g_autoptr(JsonNode) wrong_cn = NULL;
  g_autofree char *body = registration_body (REG_ID);
  g_autofree char *sha256 = NULL;
  JsonObject *primary_info;
  JsonObject *state;
  JsonArray *chain;

  make_onboarding (f, REG_ID, "device", &device);
  make_onboarding (f, REG_ID, "stranger", &stranger);
  make_onboarding (f, "someone-else", "misnamed", &misnamed);

  /* The enrollment shows what DPS read from the certificate, not the certificate. */
  enrollment = x509_enrollment_body (device.cert, "enabled");
  g_assert_cmpuint (put_enrollment (f, enrollment, &created), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (obj (created), "attestation"), "type"), ==, "x509");
  primary_info = json_object_get_object_member (
    json_object_get_object_member (
      json_object_get_object_member (
        json_object_get_object_member (
          json_object_get_object_member (obj (created), "attestation"), "x509"),
        "clientCertificates"), "primary"), "info");
  g_assert_nonnull (primary_info);
  sha256 = g_strdup (cb_certificate_get_sha256_fingerprint (device.cert));
  {
    g_autoptr(GString) plain = g_string_new (NULL);

    for (const char *p = sha256; *p != '\0'; p++)
      if (*p != ':')
        g_string_append_c (plain, g_ascii_toupper (*p));
    g_assert_cmpstr (json_object_get_string_member (primary_info, "sha256Thumbprint"), ==, plain->str);
  }
  g_assert_nonnull (strstr (json_object_get_string_member (primary_info, "subjectName"), REG_ID));
  g_assert_false (json_object_has_member (json_object_get_object_member (obj (created), "attestation"),
                                          "symmetricKey"));

  /* curl with the onboarding certificate: assigned, with the chain of the policy. */
  done = register_with_curl (f, &device);
  g_assert_cmpstr (json_object_get_string_member (obj (done), "status"), ==, "assigned");
  state = json_object_get_object_member (obj (done), "registrationState");
  g_assert_cmpstr (json_object_get_string_member (state, "deviceId"), ==, REG_ID);
  chain = json_object_get_array_member (state, "issuedCertificateChain");
  g_assert_nonnull (chain);
  g_assert_cmpuint (json_array_get_length (chain), >=, 2);
  {
    g_autoptr(CbCertificate) leaf = cb_certificate_new_from_text (
      json_array_get_string_element (chain, 0));

    g_assert_nonnull (leaf);
    g_assert_cmpstr (cb_certificate_get_common_name (leaf), ==, REG_ID);
    /* The operational leaf is the CSR's, not the onboarding certificate. */
    g_assert_false (cb_certificate_equal (leaf, device.cert));
  }

  /* Another certificate with the same name: 401002. */
  g_assert_cmpuint (curl (f, "PUT", "/dps/" ID_SCOPE "/registrations/" REG_ID "/register?" DPS_API,
                          body, &stranger, &refused), ==, 401);
  g_assert_cmpint (json_object_get_int_member (obj (refused), "errorCode"), ==, 401002);
  g_assert_nonnull (strstr (json_object_get_string_member (obj (refused), "message"),
                            "not the enrollment's primary or secondary certificate"));

  /* A certificate for another name: 401002. */
  g_assert_cmpuint (curl (f, "PUT", "/dps/" ID_SCOPE "/registrations/" REG_ID "/register?" DPS_API,
                          body, &misnamed, &wrong_cn), ==, 401);
  g_assert_cmpint (json_object_get_int_member (obj (wrong_cn), "errorCode"), ==, 401002);
  g_assert_nonnull (strstr (json_object_get_string_member (obj (wrong_cn), "message"),
                            "common name"));

  /* Neither a certificate nor a SAS: 401002 (the listener asks, it does not require). */
  g_assert_cmpuint (curl (f, "PUT", "/dps/" ID_SCOPE "/registrations/" REG_ID "/register?" DPS_API,
                          body, NULL, &anonymous), ==, 401);
  g_assert_cmpint (json_object_get_int_member (obj (anonymous), "errorCode"), ==, 401002);

  /* Disabled: the registration ends "disabled" with 403210. */
  {
    g_autofree char *disabled = x509_enrollment_body (device.cert, "disabled");
    g_autoptr(JsonNode) updated = NULL;
    g_autoptr(JsonNode) outcome = NULL;

    g_assert_cmpuint (put_enrollment (f, disabled, &updated), ==, 200);
    outcome = register_with_curl (f, &device);
    g_assert_cmpstr (json_object_get_string_member (obj (outcome), "status"), ==, "disabled");
    g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (obj (outcome), "registrationState"),
                       "errorCode"), ==, 403210);
  }

  onboarding_clear (&device);
  onboarding_clear (&stranger);
  onboarding_clear (&misnamed);
}

static void
test_enrollment_refusals (Fixture       *f,
                          gconstpointer  data)
{
  const struct { const char *body; const char *says; } cases[] = {
    { "{\"attestation\": {\"type\": \"x509\"}}", "x509.clientCertificates.primary.certificate" },
    { "{\"attestation\": {\"type\": \"x509\", \"x509\": {\"clientCertificates\": {\"primary\":"
      " {\"certificate\": \"bm90IGEgY2VydA==\"}}}}}", "is not a certificate" },
    { "{\"attestation\": {\"type\": \"x509\", \"x509\": {\"clientCertificates\": {\"secondary\":"
      " {\"certificate\": \"bm90IGEgY2VydA==\"}}}}}", "primary.certificate is required" },
    { "{\"attestation\": {\"type\": \"x509\", \"x509\": {\"signingCertificates\": {}}}}",
      "signing certificates and CA references are for enrollment groups" },
    { "{\"attestation\": {\"type\": \"tpm\"}}", "'tpm' is not supported" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) reply = NULL;

      g_assert_cmpuint (put_enrollment (f, cases[i].body, &reply), ==, 400);
      g_assert_cmpint (json_object_get_int_member (obj (reply), "errorCode"), ==, 400301);
      g_assert_nonnull (strstr (json_object_get_string_member (obj (reply), "message"),
                                cases[i].says));
    }
}

/* openssl s_client: the sandbox asks for a client certificate, and the handshake completes
 * without one. */
static void
test_certificate_requested (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GUri) uri = g_uri_parse (cb_sandbox_get_base_url (f->ts->sandbox), G_URI_FLAGS_NONE,
                                     NULL);
  g_autofree char *connect = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
  const char *argv[] = { "openssl", "s_client", "-connect", connect, "-tls1_2", "-CAfile",
                         cb_sandbox_get_ca_file (f->ts->sandbox), "-verify_return_error", NULL };
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                               &out_text, &err_text, &wait_status, &error));
  g_assert_no_error (error);
  g_test_message ("%s%s", out_text, err_text);
  g_assert_nonnull (strstr (out_text, "Client Certificate Types"));
  g_assert_nonnull (strstr (out_text, "Verify return code: 0 (ok)"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/sandbox-dps-x509/register", Fixture, NULL, fixture_setup, test_register,
              fixture_teardown);
  g_test_add ("/cb/sandbox-dps-x509/enrollment-refusals", Fixture, NULL, fixture_setup,
              test_enrollment_refusals, fixture_teardown);
  g_test_add ("/cb/sandbox-dps-x509/certificate-requested", Fixture, NULL, fixture_setup,
              test_certificate_requested, fixture_teardown);

  return g_test_run ();
}
