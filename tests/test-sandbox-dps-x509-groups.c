/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cb-csr.h"
#include "cb-pki.h"
#include "cb-sas.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* X.509 enrollment groups on the sandbox's DPS, with clients no one here wrote: openssl makes
 * the factory CA, an intermediate, the devices' onboarding certificates and the proof-of-
 * possession certificate (CN = the verification code, signed by the CA's key); the CA goes up
 * through the ARM certificates sub-resource of the provisioning service, and curl --cert
 * registers the devices over HTTPS with a CSR. A registration is refused while the CA is
 * unverified, accepted once it is verified (leaf signed by the CA, or by an intermediate the
 * device sends in its handshake), ends "disabled" when the group is disabled or when an
 * individual enrollment of the device is, and is refused once the CA is deleted. */

#define SUB        "00000000-0000-0000-0000-00000000c0de"
#define RG         "rg-bench"
#define NS         "ns-bench"
#define HUB        "hub-bench"
#define DPS        "dps-bench"
#define ID_SCOPE   "0ne00C0FFEE"
#define POLICY     "default"
#define OWNER_KEY  "ZHBzLW93bmVyLWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc="
#define DPS_API    "api-version=2025-07-01-preview"
#define ARM_API    "api-version=2026-08-01"
#define CERTS      "/arm/subscriptions/" SUB "/resourceGroups/" RG "/providers/Microsoft.Devices/" \
                   "provisioningServices/" DPS "/certificates"
#define GROUP      "factory-group"

typedef struct
{
  CbTestSandbox *ts;
  char          *dir;
  char          *bearer;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  f->dir = g_dir_make_tmp ("test-dps-x509-groups-XXXXXX", &error);
  g_assert_no_error (error);

  cb_test_sandbox_add_dps_topology (f->ts, SUB, RG, NS, HUB, DPS, ID_SCOPE, OWNER_KEY, POLICY);

  f->bearer = cb_test_sandbox_token (f->ts, "dps-admin@sandbox.test", "Owner",
                                     "/subscriptions/" SUB, CB_SB_AUD_ARM);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  cb_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->bearer);
}

static JsonObject *
obj (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static const char *
error_message (JsonNode *node)
{
  JsonObject *error = json_object_get_object_member (obj (node), "error");

  return json_object_get_string_member (error != NULL ? error : obj (node), "message");
}

/* ---- openssl ----------------------------------------------------------------------------- */

static void
run (const char * const *argv)
{
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                               &out_text, &err_text, &wait_status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (wait_status, NULL))
    g_error ("%s failed: %s%s", argv[0], out_text, err_text);
}

static char *
path_of (Fixture    *f,
         const char *stem,
         const char *ext)
{
  return g_strdup_printf ("%s/%s.%s", f->dir, stem, ext);
}

/* stem.key and stem.crt: a self-signed CA. */
static void
openssl_root (Fixture    *f,
              const char *stem,
              const char *cn)
{
  g_autofree char *key = path_of (f, stem, "key");
  g_autofree char *crt = path_of (f, stem, "crt");
  g_autofree char *subject = g_strdup_printf ("/CN=%s/O=Test factory", cn);
  const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
                         "-subj", subject, "-days", "30", "-addext",
                         "basicConstraints=critical,CA:TRUE", "-addext",
                         "keyUsage=critical,keyCertSign,cRLSign", NULL };

  run (argv);
}

/* stem.key and stem.crt: a certificate for cn signed by issuer's key (a CA when is_ca). */
static void
openssl_issue (Fixture    *f,
               const char *stem,
               const char *cn,
               const char *issuer,
               gboolean    is_ca)
{
  g_autofree char *key = path_of (f, stem, "key");
  g_autofree char *csr = path_of (f, stem, "csr");
  g_autofree char *crt = path_of (f, stem, "crt");
  g_autofree char *ext = path_of (f, stem, "ext");
  g_autofree char *ca_crt = path_of (f, issuer, "crt");
  g_autofree char *ca_key = path_of (f, issuer, "key");
  g_autofree char *subject = g_strdup_printf ("/CN=%s", cn);
  g_autofree char *serial = g_strdup_printf ("0x%08x%08x", g_random_int (), g_random_int ());
  const char *req[] = { "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
                        "-subj", subject, NULL };
  const char *sign[] = { "openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                         "-set_serial", serial, "-days", "10", "-out", crt, "-extfile", ext, NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (ext, is_ca ? "basicConstraints=critical,CA:TRUE\n"
                                                   "keyUsage=critical,keyCertSign\n"
                                                 : "basicConstraints=CA:FALSE\n"
                                                   "extendedKeyUsage=clientAuth\n", -1, &error));
  g_assert_no_error (error);
  run (req);
  run (sign);
}

static char *
read_text (Fixture    *f,
           const char *stem,
           const char *ext)
{
  g_autofree char *path = path_of (f, stem, ext);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

static char *
json_string (const char *text)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, text);
  return json_to_string (node, FALSE);
}

/* The PEM file stem.crt as a JSON string. */
static char *
json_certificate (Fixture    *f,
                  const char *stem)
{
  g_autofree char *text = read_text (f, stem, "crt");

  return json_string (text);
}

/* ---- ARM: the certificates sub-resource ---------------------------------------------------- */

static guint
arm (Fixture    *f,
     const char *method,
     const char *path,
     const char *if_match,
     const char *body,
     JsonNode  **out)
{
  g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (f->ts->sandbox), path, NULL);
  guint status;

  /* If-Match needs a header of its own: the helper's request has none, so through curl. */
  if (if_match == NULL)
    return cb_test_sandbox_request_json (f->ts, method, path, f->bearer, body, out, NULL);

  {
    g_autofree char *auth = g_strdup_printf ("Authorization: %s", f->bearer);
    g_autofree char *match = g_strdup_printf ("If-Match: %s", if_match);
    g_autofree char *out_text = NULL;
    g_autofree char *err_text = NULL;
    g_autoptr(GError) error = NULL;
    const char *status_line;
    int wait_status = 0;
    const char *argv[] = { "curl", "--silent", "--show-error", "--noproxy", "*", "--cacert",
                           cb_sandbox_get_ca_file (f->ts->sandbox), "-X", method, "-H", auth,
                           "-H", match, "-H", "Content-Type: application/json", "--data-binary",
                           body != NULL ? body : "", "--write-out", "\n%{http_code}", url, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 &out_text, &err_text, &wait_status, &error));
    g_assert_no_error (error);
    g_test_message ("curl %s %s -> %s%s", method, path, out_text, err_text);
    status_line = strrchr (out_text, '\n');
    g_assert_nonnull (status_line);
    status = (guint) g_ascii_strtoull (status_line + 1, NULL, 10);
    if (out != NULL)
      {
        g_autofree char *json = g_strndup (out_text, status_line - out_text);

        *out = *json != '\0' ? json_from_string (json, &error) : NULL;
        g_assert_no_error (error);
      }
  }
  return status;
}

static char *
etag_of (JsonNode *node)
{
  return g_strdup (json_object_get_string_member (obj (node), "etag"));
}

static JsonObject *
properties (JsonNode *node)
{
  return json_object_get_object_member (obj (node), "properties");
}

/* ---- The service API and the devices --------------------------------------------------- */

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

static guint
service_put (Fixture    *f,
             const char *path,
             const char *body,
             JsonNode  **out)
{
  g_autofree char *owner = owner_sas ();
  g_autofree char *full = g_strdup_printf ("/dps-service/" DPS "/%s?" DPS_API, path);

  return cb_test_sandbox_request_json (f->ts, "PUT", full, owner, body, out, NULL);
}

static guint
put_group (Fixture    *f,
           const char *status,
           JsonNode  **out)
{
  g_autofree char *body = g_strdup_printf (
    "{\"enrollmentGroupId\": \"" GROUP "\", \"provisioningStatus\": \"%s\","
    " \"credentialPolicyName\": \"" POLICY "\", \"attestation\": {\"type\": \"x509\","
    " \"x509\": {\"caReferences\": {\"primary\": \"factory-root\"}}}}", status);

  return service_put (f, "enrollmentGroups/" GROUP, body, out);
}

/* curl as the device stem (its certificate file, with the intermediates it sends). */
static guint
curl_device (Fixture    *f,
             const char *method,
             const char *path,
             const char *body,
             const char *stem,
             JsonNode  **out)
{
  g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (f->ts->sandbox), path, NULL);
  g_autofree char *crt = g_strdup_printf ("%s/%s.chain", f->dir, stem);
  g_autofree char *key = path_of (f, stem, "key");
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;
  g_autoptr(GError) error = NULL;
  const char *status_line;
  int wait_status = 0;
  const char *head[] = { "curl", "--silent", "--show-error", "--noproxy", "*", "--cacert",
                         cb_sandbox_get_ca_file (f->ts->sandbox), "--cert", crt, "--key", key,
                         "-X", method, "-H", "Content-Type: application/json" };
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  guint status;

  for (guint i = 0; i < G_N_ELEMENTS (head); i++)
    g_ptr_array_add (argv, (gpointer) head[i]);
  if (body != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--data-binary");
      g_ptr_array_add (argv, (gpointer) body);
    }
  g_ptr_array_add (argv, (gpointer) "--write-out");
  g_ptr_array_add (argv, (gpointer) "\n%{http_code}");
  g_ptr_array_add (argv, url);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out_text, &err_text, &wait_status, &error));
  g_assert_no_error (error);
  g_test_message ("curl --cert %s %s %s -> %s%s", stem, method, path, out_text, err_text);
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

/* The device's certificate file as curl sends it: its certificate, then the intermediates. */
static void
write_chain (Fixture    *f,
             const char *stem,
             const char *intermediate)
{
  g_autofree char *leaf = read_text (f, stem, "crt");
  g_autofree char *rest = intermediate != NULL ? read_text (f, intermediate, "crt") : g_strdup ("");
  g_autofree char *chain = g_strconcat (leaf, rest, NULL);
  g_autofree char *path = path_of (f, stem, "chain");
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, chain, -1, &error));
  g_assert_no_error (error);
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

/* Registers device (its CN is its registration id) with a CSR: the final operation status, or
 * the refusal of the registration itself (with its status in refused_status). */
static JsonNode *
register_device (Fixture    *f,
                 const char *device,
                 guint      *refused_status)
{
  g_autofree char *body = registration_body (device);
  g_autofree char *path = g_strdup_printf ("/dps/" ID_SCOPE "/registrations/%s/register?" DPS_API,
                                           device);
  JsonNode *started = NULL;
  g_autofree char *operation_id = NULL;
  guint status = curl_device (f, "PUT", path, body, device, &started);

  *refused_status = status == 202 ? 0 : status;
  if (status != 202)
    return started;
  operation_id = g_strdup (json_object_get_string_member (obj (started), "operationId"));
  json_node_unref (started);

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *poll = g_strdup_printf ("/dps/" ID_SCOPE "/registrations/%s/operations/%s?"
                                               DPS_API, device, operation_id);
      JsonNode *state = NULL;

      status = curl_device (f, "GET", poll, NULL, device, &state);
      if (status == 200)
        return state;
      g_assert_cmpuint (status, ==, 202);
      g_clear_pointer (&state, json_node_unref);
      g_usleep (50000);
    }
  g_assert_not_reached ();
}

static void
assert_refused (Fixture    *f,
                const char *device,
                const char *says)
{
  guint status = 0;
  g_autoptr(JsonNode) reply = register_device (f, device, &status);

  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpint (json_object_get_int_member (obj (reply), "errorCode"), ==, 401002);
  g_assert_nonnull (strstr (json_object_get_string_member (obj (reply), "message"), says));
}

static void
assert_outcome (Fixture    *f,
                const char *device,
                const char *outcome,
                gint64      error_code)
{
  guint status = 0;
  g_autoptr(JsonNode) done = register_device (f, device, &status);
  JsonObject *state;

  g_assert_cmpuint (status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (obj (done), "status"), ==, outcome);
  state = json_object_get_object_member (obj (done), "registrationState");
  if (error_code != 0)
    g_assert_cmpint (json_object_get_int_member (state, "errorCode"), ==, error_code);
  else
    {
      JsonArray *chain = json_object_get_array_member (state, "issuedCertificateChain");
      g_autoptr(CbCertificate) leaf = NULL;

      g_assert_cmpstr (json_object_get_string_member (state, "deviceId"), ==, device);
      g_assert_nonnull (chain);
      leaf = cb_certificate_new_from_text (json_array_get_string_element (chain, 0));
      g_assert_nonnull (leaf);
      g_assert_cmpstr (cb_certificate_get_common_name (leaf), ==, device);
    }
}

/* ---- Tests ------------------------------------------------------------------------------- */

static void
test_group_lifecycle (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *ca_pem = NULL;
  g_autofree char *ca_json = NULL;
  g_autofree char *upload = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *code = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) group = NULL;
  g_autoptr(JsonNode) listed = NULL;
  g_autoptr(JsonNode) coded = NULL;
  g_autoptr(JsonNode) verified = NULL;
  g_autoptr(JsonNode) no_match = NULL;
  g_autoptr(JsonNode) wrong = NULL;
  g_autoptr(JsonNode) deleted = NULL;
  JsonObject *x509;

  /* The factory: a root, an intermediate, a device under each. */
  openssl_root (f, "root", "Factory root");
  openssl_issue (f, "intermediate", "Factory line 2", "root", TRUE);
  openssl_issue (f, "device-a", "device-a", "root", FALSE);
  openssl_issue (f, "device-b", "device-b", "intermediate", FALSE);
  write_chain (f, "device-a", NULL);
  write_chain (f, "device-b", "intermediate");

  /* Upload: unverified, shown as Azure shows it. */
  ca_pem = read_text (f, "root", "crt");
  ca_json = json_string (ca_pem);
  upload = g_strdup_printf ("{\"properties\": {\"certificate\": %s}}", ca_json);
  g_assert_cmpuint (arm (f, "PUT", CERTS "/factory-root?" ARM_API, NULL, upload, &created), ==, 201);
  g_assert_false (json_object_get_boolean_member (properties (created), "isVerified"));
  g_assert_cmpstr (json_object_get_string_member (obj (created), "type"), ==,
                   "Microsoft.Devices/ProvisioningServices/Certificates");
  g_assert_nonnull (strstr (json_object_get_string_member (properties (created), "subject"),
                            "Factory root"));
  g_assert_nonnull (strstr (json_object_get_string_member (properties (created), "expiry"), " GMT"));
  g_assert_cmpuint (strlen (json_object_get_string_member (properties (created), "thumbprint")), ==, 40);
  etag = etag_of (created);

  g_assert_cmpuint (arm (f, "GET", CERTS "?" ARM_API, NULL, NULL, &listed), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (listed), "value")), ==, 1);

  /* The group names it; the service shows the reference. */
  g_assert_cmpuint (put_group (f, "enabled", &group), ==, 200);
  x509 = json_object_get_object_member (json_object_get_object_member (obj (group), "attestation"),
                                        "x509");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (x509, "caReferences"),
                                                  "primary"), ==, "factory-root");
  g_assert_false (json_object_has_member (json_object_get_object_member (obj (group), "attestation"),
                                          "symmetricKey"));

  /* Unverified: refused. */
  assert_refused (f, "device-a", "is not verified");

  /* Proof of possession: a code (If-Match required), then a certificate with it as CN. */
  g_assert_cmpuint (arm (f, "POST", CERTS "/factory-root/generateVerificationCode?" ARM_API, NULL,
                         NULL, &no_match), ==, 412);
  g_assert_cmpuint (arm (f, "POST", CERTS "/factory-root/generateVerificationCode?" ARM_API, etag,
                         NULL, &coded), ==, 200);
  code = g_strdup (json_object_get_string_member (properties (coded), "verificationCode"));
  g_assert_nonnull (code);
  g_free (etag);
  etag = etag_of (coded);

  /* A certificate with the code that the CA did not sign proves nothing. */
  {
    g_autofree char *proof_json = NULL;
    g_autofree char *body = NULL;

    openssl_root (f, "impostor", code);
    proof_json = json_certificate (f, "impostor");
    body = g_strdup_printf ("{\"certificate\": %s}", proof_json);
    g_assert_cmpuint (arm (f, "POST", CERTS "/factory-root/verify?" ARM_API, etag, body, &wrong),
                      ==, 400);
    g_assert_nonnull (strstr (error_message (wrong), "not signed by the uploaded certificate"));
  }
  {
    g_autofree char *proof_json = NULL;
    g_autofree char *body = NULL;

    openssl_issue (f, "proof", code, "root", FALSE);
    proof_json = json_certificate (f, "proof");
    body = g_strdup_printf ("{\"certificate\": %s}", proof_json);
    g_assert_cmpuint (arm (f, "POST", CERTS "/factory-root/verify?" ARM_API, etag, body, &verified),
                      ==, 200);
    g_assert_true (json_object_get_boolean_member (properties (verified), "isVerified"));
    g_free (etag);
    etag = etag_of (verified);
  }

  /* Verified: both devices are assigned, with their operational chains. */
  assert_outcome (f, "device-a", "assigned", 0);
  assert_outcome (f, "device-b", "assigned", 0);

  /* The group disabled: "disabled", 403210. */
  {
    g_autoptr(JsonNode) disabled = NULL;
    g_autoptr(JsonNode) enabled = NULL;

    g_assert_cmpuint (put_group (f, "disabled", &disabled), ==, 200);
    assert_outcome (f, "device-a", "disabled", 403210);
    g_assert_cmpuint (put_group (f, "enabled", &enabled), ==, 200);
  }

  /* One device revoked by a disabled individual enrollment of its certificate. */
  {
    g_autofree char *leaf_json = json_certificate (f, "device-b");
    g_autofree char *body = g_strdup_printf (
      "{\"registrationId\": \"device-b\", \"provisioningStatus\": \"disabled\","
      " \"attestation\": {\"type\": \"x509\", \"x509\": {\"clientCertificates\":"
      " {\"primary\": {\"certificate\": %s}}}}}", leaf_json);
    g_autoptr(JsonNode) individual = NULL;

    g_assert_cmpuint (service_put (f, "enrollments/device-b", body, &individual), ==, 200);
    assert_outcome (f, "device-b", "disabled", 403210);
    assert_outcome (f, "device-a", "assigned", 0);
  }

  /* The CA deleted (If-Match required): refused. */
  g_clear_pointer (&no_match, json_node_unref);
  g_assert_cmpuint (arm (f, "DELETE", CERTS "/factory-root?" ARM_API, NULL, NULL, &no_match), ==, 412);
  g_assert_cmpuint (arm (f, "DELETE", CERTS "/factory-root?" ARM_API, etag, NULL, &deleted), ==, 200);
  assert_refused (f, "device-a", "not in the provisioning service");
}

/* signingCertificates: the CA in the group itself, no proof needed; refusals of bad bodies. */
static void
test_signing_certificates (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *ca_json = NULL;
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) group = NULL;
  const struct { const char *body; const char *says; } cases[] = {
    { "{\"attestation\": {\"type\": \"x509\", \"x509\": {}}}", "one of the two" },
    { "{\"attestation\": {\"type\": \"x509\", \"x509\": {\"clientCertificates\": {}}}}",
      "client certificates are for individual enrollments" },
    { "{\"attestation\": {\"type\": \"x509\", \"x509\": {\"signingCertificates\": {\"primary\":"
      " {\"certificate\": \"bm90IGEgY2VydA==\"}}}}}", "must be a certificate" },
    { "{\"attestation\": {\"type\": \"x509\", \"x509\": {\"caReferences\": {\"primary\":"
      " \"nowhere\"}}}}", "does not have: upload it first" },
  };

  openssl_root (f, "root", "Factory root");
  openssl_issue (f, "device-a", "device-a", "root", FALSE);
  openssl_root (f, "other", "Another factory");
  openssl_issue (f, "device-c", "device-c", "other", FALSE);
  write_chain (f, "device-a", NULL);
  write_chain (f, "device-c", NULL);

  ca_json = json_certificate (f, "root");
  body = g_strdup_printf ("{\"provisioningStatus\": \"enabled\", \"credentialPolicyName\": \""
                          POLICY "\", \"attestation\": {\"type\": \"x509\", \"x509\":"
                          " {\"signingCertificates\": {\"primary\": {\"certificate\": %s}}}}}",
                          ca_json);
  g_assert_cmpuint (service_put (f, "enrollmentGroups/signed", body, &group), ==, 200);
  g_assert_nonnull (strstr (json_object_get_string_member (
    json_object_get_object_member (json_object_get_object_member (json_object_get_object_member (
      json_object_get_object_member (json_object_get_object_member (obj (group), "attestation"),
                                     "x509"), "signingCertificates"), "primary"), "info"),
    "subjectName"), "Factory root"));

  assert_outcome (f, "device-a", "assigned", 0);
  assert_refused (f, "device-c", "no enrollment group's verified signing CA issued");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) reply = NULL;

      g_assert_cmpuint (service_put (f, "enrollmentGroups/bad", cases[i].body, &reply), ==, 400);
      g_assert_cmpint (json_object_get_int_member (obj (reply), "errorCode"), ==, 400301);
      g_assert_nonnull (strstr (json_object_get_string_member (obj (reply), "message"),
                                cases[i].says));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/sandbox-dps-x509-groups/lifecycle", Fixture, NULL, fixture_setup,
              test_group_lifecycle, fixture_teardown);
  g_test_add ("/cb/sandbox-dps-x509-groups/signing-certificates", Fixture, NULL, fixture_setup,
              test_signing_certificates, fixture_teardown);

  return g_test_run ();
}
