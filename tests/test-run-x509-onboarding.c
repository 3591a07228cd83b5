/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cb-test-factory.h"
#include "cb-test-sandbox.h"

#include "cb-bench-client.h"
#include "cb-dps-client.h"
#include "cb-dps-service-client.h"
#include "cb-error.h"
#include "cb-journal.h"
#include "cb-journal-run.h"
#include "cb-journal-step.h"
#include "cb-provisioning-config-private.h"
#include "cb-provisioning-run.h"
#include "cb-sandbox-profile.h"
#include "cb-sas.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"
#include "cb-x509.h"

/* A bench run of a device that onboards with X.509 (issue 18, the station side): the real
 * certbench-devsim on a pty with an onboarding certificate from a test factory CA, the real
 * sandbox on loopback. The station sees that the device's enrollment is X.509 (an individual
 * enrollment of its registration id, or the profile's enrollment group with a signing CA),
 * gives the device no key, lets it register itself with its certificate and a CSR, reads what
 * DPS reports of the registration over the service API and checks it against the enrollment;
 * the run's result and its journal carry the onboarding certificate's fingerprint, and curl
 * (a client we did not write) reads the same registration state. A device whose certificate
 * does not match fails at register with the cause named, and keeps the chain it had. */

#define DEMO_DPS        "demo-dps"
#define DPS_HOST        DEMO_DPS ".azure-devices-provisioning.net"
#define DPS_OWNER_KEY   "Y2VydGJlbmNoLWRlbW8tZHBzLW93bmVyLWtleS0wMDAx"
#define DPS_API         "api-version=2025-07-01-preview"

typedef struct
{
  CbTestSandbox      *ts;
  CbProfile          *profile;
  CbHttpClient       *http;
  CbDpsClient        *dps;
  CbDpsServiceClient *service;
  CbJournal          *journal;
  char               *dir;
  char               *policy;
} Fixture;

typedef struct
{
  char         *state_dir;
  char         *serial;
  GSubprocess  *process;
  CbSerialPort *port;
  CbSmpTransport *transport;
  CbBenchClient  *bench;
  char         *cert_pem;      /* its onboarding certificate */
} Device;

static void
on_result (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
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

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *journal = NULL;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_assert_true (cb_sandbox_seed_demo (f->ts->sandbox, &error));
  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("test-run-x509-XXXXXX", &error);
  g_assert_no_error (error);

  f->profile = cb_sandbox_create_profile (f->ts->sandbox);
  f->policy = g_strdup (cb_profile_get_credential_policy (f->profile));
  g_assert_nonnull (f->policy);
  f->http = cb_http_client_new (f->profile, &error);
  g_assert_no_error (error);
  cb_http_client_set_max_delay (f->http, 2);
  f->dps = cb_dps_client_new (f->profile, f->http);
  cb_dps_client_set_timeout (f->dps, 60);
  f->service = cb_dps_service_client_new (f->profile, f->http, NULL);
  cb_dps_service_client_set_sas_key (f->service, NULL, DPS_OWNER_KEY);

  journal = g_build_filename (f->dir, "journal.sqlite", NULL);
  f->journal = cb_journal_open (journal, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->journal);
  g_clear_object (&f->service);
  g_clear_object (&f->dps);
  g_clear_object (&f->http);
  g_clear_object (&f->profile);
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  cb_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->policy);
}

/* A test factory CA in f->dir: its certificate file (the key beside it, ".key"). */
static char *
factory_ca (Fixture    *f,
            const char *name)
{
  g_autofree char *key = g_strdup_printf ("%s/%s.key", f->dir, name);
  char *cert = g_strdup_printf ("%s/%s.crt", f->dir, name);

  g_assert_cmpint (cb_test_devsim_make_factory_ca (cert, key), ==, 0);
  return cert;
}

/* A device whose registration id is serial, with an onboarding certificate for it from the
 * factory CA ca, started behind a pty and opened as the station would. */
static Device *
device_new (Fixture    *f,
            const char *serial,
            const char *ca)
{
  Device *d = g_new0 (Device, 1);
  g_autofree char *ca_key = g_strconcat (ca, "", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *pty = NULL;

  strcpy (ca_key + strlen (ca_key) - strlen ("crt"), "key");
  d->serial = g_strdup (serial);
  d->state_dir = g_build_filename (f->dir, serial, NULL);
  /* The factory: the device makes its key and the CA signs CN=<registration id>. */
  g_assert_cmpint (cb_test_devsim_onboarding_cert (d->state_dir, serial, ca, ca_key, serial,
                                                   &d->cert_pem), ==, 0);

  d->process = cb_test_devsim_start_pty ((const char *[]) {
                                           "--state-dir", d->state_dir, "--serial", serial,
                                           "--factory-ca", ca, "--factory-ca-key", ca_key,
                                           "--onboarding-id", serial, NULL }, &pty);
  d->port = cb_serial_port_open (pty, 115200, &error);
  g_assert_no_error (error);
  d->transport = cb_smp_transport_new (d->port);
  d->bench = cb_bench_client_new (d->transport);
  return d;
}

static void
device_free (Device *d)
{
  g_clear_object (&d->bench);
  g_clear_object (&d->transport);
  if (d->port != NULL)
    cb_serial_port_close (d->port);
  g_clear_object (&d->port);
  if (d->process != NULL)
    {
      g_subprocess_send_signal (d->process, SIGTERM);
      g_subprocess_wait (d->process, NULL, NULL);
      g_clear_object (&d->process);
    }
  g_free (d->state_dir);
  g_free (d->serial);
  g_free (d->cert_pem);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Device, device_free)

/* The device's onboarding certificate's SHA-256 fingerprint, as openssl prints it. */
static char *
device_fingerprint (Device *d)
{
  g_autoptr(CbCertificate) cert = cb_certificate_new_from_text (d->cert_pem);

  g_assert_nonnull (cert);
  return g_strdup (cb_certificate_get_sha256_fingerprint (cert));
}

/* "AB:CD:…" → "ABCD…", as DPS writes thumbprints. */
static char *
thumbprint (const char *fingerprint)
{
  GString *s = g_string_new (NULL);

  for (const char *p = fingerprint; *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (s, g_ascii_toupper (*p));
  return g_string_free (s, FALSE);
}

static char *
json_string (const char *text)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, text);
  return json_to_string (node, FALSE);
}

static void
service_put (Fixture    *f,
             const char *path,
             const char *body)
{
  g_autofree char *owner = owner_token (f);
  g_autofree char *url = g_strdup_printf ("/dps-service/" DEMO_DPS "/%s?" DPS_API, path);

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "PUT", url, owner, body, NULL, NULL),
                    ==, 200);
}

static void
enroll_individual (Fixture    *f,
                   const char *registration_id,
                   const char *pem)
{
  g_autofree char *cert = json_string (pem);
  g_autofree char *path = g_strdup_printf ("enrollments/%s", registration_id);
  g_autofree char *body = g_strdup_printf (
    "{\"registrationId\": \"%s\", \"credentialPolicyName\": \"%s\", \"attestation\": "
    "{\"type\": \"x509\", \"x509\": {\"clientCertificates\": {\"primary\": {\"certificate\": "
    "%s}}}}}", registration_id, f->policy, cert);

  service_put (f, path, body);
}

static void
enroll_group (Fixture    *f,
              const char *group,
              const char *ca_file)
{
  g_autofree char *pem = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *path = g_strdup_printf ("enrollmentGroups/%s", group);
  g_autofree char *body = NULL;

  g_assert_true (g_file_get_contents (ca_file, &pem, NULL, NULL));
  cert = json_string (pem);
  body = g_strdup_printf ("{\"enrollmentGroupId\": \"%s\", \"credentialPolicyName\": \"%s\", "
                          "\"attestation\": {\"type\": \"x509\", \"x509\": "
                          "{\"signingCertificates\": {\"primary\": {\"certificate\": %s}}}}}",
                          group, f->policy, cert);
  service_put (f, path, body);
}

/* The device's registration state as curl reads it from the DPS service API. */
static JsonObject *
curl_registration_state (Fixture    *f,
                         const char *registration_id)
{
  g_autofree char *owner = owner_token (f);
  g_autofree char *authorization = g_strconcat ("Authorization: ", owner, NULL);
  g_autofree char *url = g_strdup_printf ("%s/dps-service/" DEMO_DPS "/registrations/%s?" DPS_API,
                                          cb_sandbox_get_base_url (f->ts->sandbox),
                                          registration_id);
  const char *argv[] = { "curl", "--silent", "--show-error", "--fail", "--noproxy", "*",
                         "--cacert", cb_sandbox_get_ca_file (f->ts->sandbox), "-H",
                         authorization, url, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int wait_status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &wait_status, &error));
  g_assert_no_error (error);
  g_test_message ("curl GET registrations/%s -> %s%s", registration_id, out, err);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  node = json_from_string (out, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static const char *
member_at (JsonObject *object,
           const char *first,
           ...)
{
  const char *name = first;
  const char *next;
  va_list ap;

  va_start (ap, first);
  while (object != NULL && (next = va_arg (ap, const char *)) != NULL)
    {
      object = json_object_has_member (object, name)
               ? json_object_get_object_member (object, name) : NULL;
      name = next;
    }
  va_end (ap);
  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  return json_object_get_string_member (object, name);
}

static CbRunResult *
run_device_in (Fixture            *f,
               Device             *d,
               CbRegistrationMode  mode)
{
  g_autoptr(CbProvisioningConfig) config = cb_provisioning_config_new (f->profile);
  g_autoptr(CbProvisioningRun) run = NULL;
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GError) error = NULL;
  CbRunResult *result;

  cb_provisioning_config_set_dps_client (config, f->dps);
  cb_provisioning_config_set_dps_service_client (config, f->service);
  /* No enrollment group key: an X.509 onboarding needs none. */
  cb_provisioning_config_set_journal (config, f->journal);
  cb_provisioning_config_set_station (config, "test-bench");
  cb_provisioning_config_set_operator (config, "tester");
  cb_provisioning_config_set_registration_mode (config, mode);
  cb_provisioning_config_set_device_dps_timeout (config, 60, 100);
  /* The hub step goes by the device's word (no hub client): it connects with the issued chain. */
  /* No ARM here: the demo policy's validity, as a station configuration gives it. */
  cb_provisioning_config_set_validity_days (config, 30);

  run = cb_provisioning_run_new (config, d->bench, NULL);
  cb_provisioning_run_run_async (run, NULL, on_result, &async);
  result = cb_provisioning_run_run_finish (run, wait_for (&async), &error);
  g_assert_no_error (error);
  if (!cb_run_result_get_passed (result))
    g_test_message ("run of %s failed at %s: %s", d->serial,
                    cb_run_step_kind_to_name (cb_run_result_get_failed_step (result)),
                    cb_run_result_get_error (result)->message);
  return result;
}

static CbRunResult *
run_device (Fixture *f,
            Device  *d)
{
  return run_device_in (f, d, CB_REGISTRATION_MODE_DEVICE);
}

/* The journaled detail of the run's register step. */
static char *
journal_register_detail (Fixture     *f,
                         CbRunResult *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbJournalRun) run = cb_journal_get_run (f->journal,
                                                    cb_run_result_get_journal_id (result), &error);
  GPtrArray *steps;

  g_assert_no_error (error);
  steps = cb_journal_run_get_steps (run);
  for (guint i = 0; i < steps->len; i++)
    {
      CbJournalStep *step = g_ptr_array_index (steps, i);

      if (g_strcmp0 (cb_journal_step_get_name (step), "register") == 0)
        return g_strdup (cb_journal_step_get_detail (step));
    }
  g_assert_not_reached ();
  return NULL;
}

static GBytes *
device_active_chain (Device *d)
{
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GError) error = NULL;

  cb_bench_client_get_chain_async (d->bench, NULL, NULL, on_result, &async);
  return cb_bench_client_get_chain_finish (d->bench, wait_for (&async), &error);
}

/* An individual X.509 enrollment: PASS with the fingerprint everywhere; then the enrollment
 * holds another certificate and the same device fails at register, keeping its chain. */
static void
test_individual (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *ca = factory_ca (f, "factory");
  g_autofree char *other_ca = factory_ca (f, "other-factory");
  g_autoptr(Device) d = device_new (f, "x509-ind-1", ca);
  g_autoptr(Device) stranger = device_new (f, "x509-ind-2", other_ca);
  g_autofree char *fingerprint = device_fingerprint (d);
  g_autofree char *expected = thumbprint (fingerprint);
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(CbRunResult) refused = NULL;
  g_autoptr(JsonObject) state = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autofree char *detail = NULL;
  const GError *error;

  enroll_individual (f, "x509-ind-1", d->cert_pem);
  result = run_device (f, d);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpstr (cb_run_result_get_onboarding_fingerprint (result), ==, fingerprint);
  detail = journal_register_detail (f, result);
  g_assert_nonnull (strstr (detail, fingerprint));

  state = curl_registration_state (f, "x509-ind-1");
  g_assert_cmpstr (member_at (state, "status", NULL), ==, "assigned");
  g_assert_cmpstr (member_at (state, "x509", "certificateInfo", "sha256Thumbprint", NULL), ==,
                   expected);
  g_assert_true (g_str_has_prefix (member_at (state, "x509", "certificateInfo", "subjectName",
                                             NULL), "CN=x509-ind-1,"));
  g_assert_false (json_object_has_member (state, "symmetricKey"));
  g_assert_null (member_at (state, "x509", "enrollmentGroupId", NULL));

  /* The enrollment now holds another device's certificate: DPS refuses this one, the run fails
   * at register naming why, and the device keeps the chain of the first run. */
  before = device_active_chain (d);
  g_assert_nonnull (before);
  enroll_individual (f, "x509-ind-1", stranger->cert_pem);
  refused = run_device (f, d);
  g_assert_false (cb_run_result_get_passed (refused));
  g_assert_cmpint (cb_run_result_get_failed_step (refused), ==, CB_RUN_STEP_REGISTER);
  error = cb_run_result_get_error (refused);
  g_assert_nonnull (strstr (error->message, "DPS did not accept it for the individual "
                                            "enrollment “x509-ind-1”"));
  g_assert_false (cb_run_result_get_device_changed (refused));
  after = device_active_chain (d);
  g_assert_true (g_bytes_equal (before, after));
}

/* A group with the factory's CA as its signing certificate: PASS through the group; a device
 * of another factory, let in by DPS through another group, fails the station's check. */
static void
test_group (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *ca = factory_ca (f, "factory");
  g_autofree char *other_ca = factory_ca (f, "other-factory");
  g_autoptr(Device) d = device_new (f, "x509-grp-1", ca);
  g_autoptr(Device) stranger = device_new (f, "x509-grp-2", other_ca);
  g_autofree char *fingerprint = device_fingerprint (d);
  g_autofree char *expected = thumbprint (fingerprint);
  g_autofree char *ca_pem = NULL;
  g_autoptr(CbCertificate) ca_cert = NULL;
  g_autofree char *ca_thumbprint = NULL;
  g_autoptr(CbRunResult) result = NULL;
  g_autoptr(CbRunResult) refused = NULL;
  g_autoptr(JsonObject) state = NULL;
  g_autoptr(GBytes) chain = NULL;
  const GError *error;

  g_assert_true (g_file_get_contents (ca, &ca_pem, NULL, NULL));
  ca_cert = cb_certificate_new_from_text (ca_pem);
  ca_thumbprint = thumbprint (cb_certificate_get_sha256_fingerprint (ca_cert));
  enroll_group (f, "x509-line", ca);
  enroll_group (f, "other-line", other_ca);
  cb_profile_set_enrollment_group_id (f->profile, "x509-line");

  result = run_device (f, d);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpstr (cb_run_result_get_onboarding_fingerprint (result), ==, fingerprint);

  state = curl_registration_state (f, "x509-grp-1");
  g_assert_cmpstr (member_at (state, "x509", "certificateInfo", "sha256Thumbprint", NULL), ==,
                   expected);
  g_assert_cmpstr (member_at (state, "x509", "enrollmentGroupId", NULL), ==, "x509-line");
  g_assert_cmpstr (member_at (state, "x509", "signingCertificateInfo", "sha256Thumbprint", NULL),
                   ==, ca_thumbprint);

  /* DPS assigns the other factory's device through "other-line"; the station expected its own
   * group and refuses before the device's chain is touched. */
  refused = run_device (f, stranger);
  g_assert_false (cb_run_result_get_passed (refused));
  g_assert_cmpint (cb_run_result_get_failed_step (refused), ==, CB_RUN_STEP_REGISTER);
  error = cb_run_result_get_error (refused);
  g_assert_nonnull (strstr (error->message, "“other-line”, not the station's enrollment group "
                                            "“x509-line”"));
  g_assert_false (cb_run_result_get_device_changed (refused));
  chain = device_active_chain (stranger);
  g_assert_null (chain);
}

/* A station that registers devices itself (the app's default) still lets an X.509 device
 * register on its own: only the device can attest with its certificate, and the station holds
 * no key for it. */
static void
test_station_mode (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *ca = factory_ca (f, "factory");
  g_autoptr(Device) d = device_new (f, "x509-stn-1", ca);
  g_autofree char *fingerprint = device_fingerprint (d);
  g_autoptr(CbRunResult) result = NULL;

  enroll_individual (f, "x509-stn-1", d->cert_pem);
  result = run_device_in (f, d, CB_REGISTRATION_MODE_STATION);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpstr (cb_run_result_get_onboarding_fingerprint (result), ==, fingerprint);
}

/* ---- The station's enrollment group, read once for many runs ------------------------------ */

/* A station's config as the app and CLI make it: the group's key, the DPS service client, and
 * the station registers a device whose group onboards with the key. */
static CbProvisioningConfig *
station_config_new (Fixture    *f,
                    const char *group_key)
{
  CbProvisioningConfig *config = cb_provisioning_config_new (f->profile);

  cb_provisioning_config_set_dps_client (config, f->dps);
  cb_provisioning_config_set_dps_service_client (config, f->service);
  cb_provisioning_config_set_enrollment_group_key (config, group_key);
  cb_provisioning_config_set_journal (config, f->journal);
  cb_provisioning_config_set_station (config, "test-bench");
  cb_provisioning_config_set_operator (config, "tester");
  cb_provisioning_config_set_registration_mode (config, CB_REGISTRATION_MODE_STATION);
  cb_provisioning_config_set_device_dps_timeout (config, 60, 100);
  cb_provisioning_config_set_validity_days (config, 30);
  return config;
}

static CbRunResult *
run_with (CbProvisioningConfig *config,
          Device               *d)
{
  g_autoptr(CbProvisioningRun) run = cb_provisioning_run_new (config, d->bench, NULL);
  g_autoptr(GAsyncResult) async = NULL;
  g_autoptr(GError) error = NULL;
  CbRunResult *result;

  cb_provisioning_run_run_async (run, NULL, on_result, &async);
  result = cb_provisioning_run_run_finish (run, wait_for (&async), &error);
  g_assert_no_error (error);
  if (!cb_run_result_get_passed (result))
    g_test_message ("run of %s failed at %s: %s", d->serial,
                    cb_run_step_kind_to_name (cb_run_result_get_failed_step (result)),
                    cb_run_result_get_error (result)->message);
  return result;
}

/* Counts the requests for the station's group the session sends, as they are queued (and
 * says every request, for the record of what a device costs); reads[1] counts the reads of
 * individual enrollments when reads points to two counters. */
static void
count_reads (SoupSession *session,
             SoupMessage *msg,
             guint       *reads)
{
  const char *path = g_uri_get_path (soup_message_get_uri (msg));

  g_test_message ("request: %s %s", soup_message_get_method (msg), path);
  if (strstr (path, "/enrollmentGroups/") != NULL)
    reads[0]++;
  else if (strstr (path, "/dps-service/") != NULL && strstr (path, "/enrollments/") != NULL)
    reads[1]++;
}

/* The session DPS's service API goes through: one connection pool a service (cb-http.c). */
static SoupSession *
service_session (Fixture *f)
{
  const char *endpoint = cb_profile_get_dps_service_endpoint (f->profile);

  g_assert_nonnull (endpoint);
  return cb_http_client_get_session_for_url (f->http, endpoint);
}

static void
count_group_reads (SoupSession *session,
                   SoupMessage *msg,
                   guint       *reads)
{
  guint both[2] = { 0, 0 };

  count_reads (session, msg, both);
  *reads += both[0];
}

static void
put_symmetric_group (Fixture    *f,
                     const char *group,
                     const char *key)
{
  g_autofree char *path = g_strdup_printf ("enrollmentGroups/%s", group);
  g_autofree char *body = g_strdup_printf (
    "{\"enrollmentGroupId\": \"%s\", \"credentialPolicyName\": \"%s\", \"attestation\": "
    "{\"type\": \"symmetricKey\", \"symmetricKey\": {\"primaryKey\": \"%s\", "
    "\"secondaryKey\": \"%s\"}}}", group, f->policy, key, key);

  service_put (f, path, body);
}

/* Three devices of a station whose group onboards with its key: the group is read once, not
 * once a device (the individual enrollment, which decides for its device, is still read for
 * each). */
static void
test_group_read_once (Fixture       *f,
                      gconstpointer  data)
{
  const char *group = cb_profile_get_enrollment_group_id (f->profile);
  g_autofree char *key = cb_sandbox_dup_enrollment_group_key (f->ts->sandbox, DEMO_DPS, group);
  g_autofree char *ca = factory_ca (f, "factory");
  g_autoptr(CbProvisioningConfig) config = NULL;
  guint reads[2] = { 0, 0 };
  gulong handler;

  g_assert_nonnull (key);
  config = station_config_new (f, key);
  handler = g_signal_connect (service_session (f), "request-queued",
                              G_CALLBACK (count_reads), reads);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *serial = g_strdup_printf ("grp-once-%u", i);
      g_autoptr(Device) d = device_new (f, serial, ca);
      g_autoptr(CbRunResult) result = run_with (config, d);

      g_assert_true (cb_run_result_get_passed (result));
      g_assert_null (cb_run_result_get_onboarding_fingerprint (result));
    }
  g_signal_handler_disconnect (service_session (f), handler);
  g_assert_cmpuint (reads[0], ==, 1);
  g_assert_cmpuint (reads[1], ==, 0);
}

/* The config's group read itself: two runs asking at once share one read; the next one is
 * answered from it (and says so); a forced read asks DPS again; another group is another
 * read; a group DPS does not have is kept as "not found". */
static void
test_group_read_shared (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CbProvisioningConfig) config = station_config_new (f, NULL);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GAsyncResult) third = NULL;
  g_autoptr(GAsyncResult) forced = NULL;
  g_autoptr(GAsyncResult) missing = NULL;
  g_autoptr(GAsyncResult) missing_again = NULL;
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *group_id = g_strdup (cb_profile_get_enrollment_group_id (f->profile));
  gboolean kept = TRUE;
  guint reads = 0;
  gulong handler;

  handler = g_signal_connect (service_session (f), "request-queued",
                              G_CALLBACK (count_group_reads), &reads);
  /* Nothing read yet: a run has nothing to take at once. */
  g_assert_false (cb_provisioning_config_peek_group (config, &group));
  g_assert_null (group);
  cb_provisioning_config_get_group_async (config, FALSE, NULL, on_result, &first);
  /* A read under way is not an answer yet. */
  g_assert_false (cb_provisioning_config_peek_group (config, &group));
  cb_provisioning_config_get_group_async (config, FALSE, NULL, on_result, &second);
  wait_for (&first);
  wait_for (&second);
  g_assert_cmpuint (reads, ==, 1);
  /* What the next get_group answers from, taken at once. */
  g_assert_true (cb_provisioning_config_peek_group (config, &group));
  g_assert_nonnull (group);
  g_assert_cmpstr (json_object_get_string_member (group, "enrollmentGroupId"), ==, group_id);
  g_clear_pointer (&group, json_object_unref);
  group = cb_provisioning_config_get_group_finish (config, first, &kept, &error);
  g_assert_no_error (error);
  g_assert_nonnull (group);
  g_assert_false (kept);
  g_clear_pointer (&group, json_object_unref);
  group = cb_provisioning_config_get_group_finish (config, second, &kept, &error);
  g_assert_no_error (error);
  g_assert_nonnull (group);
  g_assert_false (kept);
  g_clear_pointer (&group, json_object_unref);

  cb_provisioning_config_get_group_async (config, FALSE, NULL, on_result, &third);
  group = cb_provisioning_config_get_group_finish (config, wait_for (&third), &kept, &error);
  g_assert_no_error (error);
  g_assert_true (kept);
  g_assert_cmpuint (reads, ==, 1);
  g_clear_pointer (&group, json_object_unref);

  cb_provisioning_config_get_group_async (config, TRUE, NULL, on_result, &forced);
  group = cb_provisioning_config_get_group_finish (config, wait_for (&forced), &kept, &error);
  g_assert_no_error (error);
  g_assert_false (kept);
  g_assert_cmpuint (reads, ==, 2);
  g_clear_pointer (&group, json_object_unref);

  cb_profile_set_enrollment_group_id (f->profile, "no-such-line");
  /* Another group: the kept read is not its answer. */
  g_assert_false (cb_provisioning_config_peek_group (config, &group));
  cb_provisioning_config_get_group_async (config, FALSE, NULL, on_result, &missing);
  group = cb_provisioning_config_get_group_finish (config, wait_for (&missing), &kept, &error);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_assert_null (group);
  g_assert_false (kept);
  g_clear_error (&error);
  g_assert_cmpuint (reads, ==, 3);
  cb_provisioning_config_get_group_async (config, FALSE, NULL, on_result, &missing_again);
  group = cb_provisioning_config_get_group_finish (config, wait_for (&missing_again), &kept,
                                                   &error);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
  g_assert_true (kept);
  g_assert_cmpuint (reads, ==, 3);
  /* "Not found" is kept too: an answer without a group. */
  g_assert_true (cb_provisioning_config_peek_group (config, &group));
  g_assert_null (group);

  g_signal_handler_disconnect (service_session (f), handler);
  cb_profile_set_enrollment_group_id (f->profile, group_id);
}

/* A station that registers with the group's key meets a device with an individual X.509
 * enrollment: DPS refuses the group's key for it, the run reads the enrollment and lets the
 * device register with its certificate. */
static void
test_individual_in_key_station (Fixture       *f,
                                gconstpointer  data)
{
  const char *group = cb_profile_get_enrollment_group_id (f->profile);
  g_autofree char *key = cb_sandbox_dup_enrollment_group_key (f->ts->sandbox, DEMO_DPS, group);
  g_autofree char *ca = factory_ca (f, "factory");
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(Device) d = device_new (f, "key-stn-x509", ca);
  g_autofree char *fingerprint = device_fingerprint (d);
  g_autoptr(CbRunResult) result = NULL;
  guint reads[2] = { 0, 0 };
  gulong handler;

  g_assert_nonnull (key);
  config = station_config_new (f, key);
  enroll_individual (f, "key-stn-x509", d->cert_pem);
  handler = g_signal_connect (service_session (f), "request-queued",
                              G_CALLBACK (count_reads), reads);
  result = run_with (config, d);
  g_signal_handler_disconnect (service_session (f), handler);
  g_assert_true (cb_run_result_get_passed (result));
  g_assert_cmpstr (cb_run_result_get_onboarding_fingerprint (result), ==, fingerprint);
  g_assert_cmpuint (reads[1], ==, 1);
}

/* The admin switches the station's group to X.509 between two devices, and back: each next
 * device is still decided right, at the cost of one more read of the group when DPS refuses
 * what the kept answer made the run do. */
static void
test_group_switched (Fixture       *f,
                     gconstpointer  data)
{
  const char *group = cb_profile_get_enrollment_group_id (f->profile);
  g_autofree char *key = cb_sandbox_dup_enrollment_group_key (f->ts->sandbox, DEMO_DPS, group);
  g_autofree char *ca = factory_ca (f, "factory");
  g_autoptr(CbProvisioningConfig) config = NULL;
  g_autoptr(Device) a = device_new (f, "grp-switch-a", ca);
  g_autoptr(Device) b = device_new (f, "grp-switch-b", ca);
  g_autoptr(Device) c = device_new (f, "grp-switch-c", ca);
  g_autoptr(CbRunResult) first = NULL;
  g_autoptr(CbRunResult) second = NULL;
  g_autoptr(CbRunResult) third = NULL;
  g_autofree char *fingerprint = device_fingerprint (b);
  g_autofree char *detail = NULL;
  guint reads = 0;
  gulong handler;

  g_assert_nonnull (key);
  config = station_config_new (f, key);
  handler = g_signal_connect (service_session (f), "request-queued",
                              G_CALLBACK (count_group_reads), &reads);

  first = run_with (config, a);
  g_assert_true (cb_run_result_get_passed (first));
  g_assert_null (cb_run_result_get_onboarding_fingerprint (first));
  g_assert_cmpuint (reads, ==, 1);

  /* Now X.509 with the factory's CA: the group's key is refused, the station reads the group
   * again and lets the device register with its certificate. */
  enroll_group (f, group, ca);
  second = run_with (config, b);
  g_assert_true (cb_run_result_get_passed (second));
  g_assert_cmpstr (cb_run_result_get_onboarding_fingerprint (second), ==, fingerprint);
  detail = journal_register_detail (f, second);
  g_assert_nonnull (strstr (detail, group));
  g_assert_cmpuint (reads, ==, 2);

  /* Back to the key: the device's certificate is refused, the station reads the group again
   * and registers the device with the key. */
  put_symmetric_group (f, group, key);
  third = run_with (config, c);
  g_assert_true (cb_run_result_get_passed (third));
  g_assert_null (cb_run_result_get_onboarding_fingerprint (third));
  g_assert_cmpuint (reads, ==, 3);

  g_signal_handler_disconnect (service_session (f), handler);
}

/* The admin gives the station's X.509 group another signing CA between two devices: the
 * second device, of the new factory, comes in through the group by a CA the kept read did not
 * list; the station reads the group again and checks the registration against it. */
static void
test_group_ca_changed (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *ca = factory_ca (f, "factory");
  g_autofree char *new_ca = factory_ca (f, "new-factory");
  g_autoptr(CbProvisioningConfig) config = station_config_new (f, NULL);
  g_autoptr(Device) a = device_new (f, "grp-ca-a", ca);
  g_autoptr(Device) b = device_new (f, "grp-ca-b", new_ca);
  g_autofree char *fingerprint = device_fingerprint (b);
  g_autoptr(CbRunResult) first = NULL;
  g_autoptr(CbRunResult) second = NULL;
  guint reads = 0;
  gulong handler;

  enroll_group (f, "x509-line", ca);
  cb_profile_set_enrollment_group_id (f->profile, "x509-line");
  handler = g_signal_connect (service_session (f), "request-queued",
                              G_CALLBACK (count_group_reads), &reads);

  first = run_with (config, a);
  g_assert_true (cb_run_result_get_passed (first));
  g_assert_cmpuint (reads, ==, 1);

  enroll_group (f, "x509-line", new_ca);
  second = run_with (config, b);
  g_assert_true (cb_run_result_get_passed (second));
  g_assert_cmpstr (cb_run_result_get_onboarding_fingerprint (second), ==, fingerprint);
  g_assert_cmpuint (reads, ==, 2);

  g_signal_handler_disconnect (service_session (f), handler);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/run-x509/individual", Fixture, NULL, fixture_setup, test_individual,
              fixture_teardown);
  g_test_add ("/cb/run-x509/group", Fixture, NULL, fixture_setup, test_group, fixture_teardown);
  g_test_add ("/cb/run-x509/station-mode", Fixture, NULL, fixture_setup, test_station_mode,
              fixture_teardown);
  g_test_add ("/cb/run-x509/group-read-once", Fixture, NULL, fixture_setup, test_group_read_once,
              fixture_teardown);
  g_test_add ("/cb/run-x509/group-switched", Fixture, NULL, fixture_setup, test_group_switched,
              fixture_teardown);
  g_test_add ("/cb/run-x509/group-ca-changed", Fixture, NULL, fixture_setup,
              test_group_ca_changed, fixture_teardown);
  g_test_add ("/cb/run-x509/individual-in-key-station", Fixture, NULL, fixture_setup,
              test_individual_in_key_station, fixture_teardown);
  g_test_add ("/cb/run-x509/group-read-shared", Fixture, NULL, fixture_setup,
              test_group_read_shared, fixture_teardown);
  return g_test_run ();
}
