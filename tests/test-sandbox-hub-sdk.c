/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cb-sas.h"
#include "cb-sb-mqtt-c2d.h"
#include "cb-test-sandbox.h"

/* What Microsoft's device and service SDKs need from the sandbox's hub, driven with clients
 * that are not ours where one exists (Debian's mosquitto_pub and mosquitto_sub over real TLS,
 * curl, openssl for a SAS signature): device identities with hub-generated SAS keys, devices
 * authenticating over MQTT with a SAS password, the registry list and statistics, direct
 * methods (service call -> device topic -> device answer -> service answer), cloud-to-device
 * messages, the refused-subscription record, and the IoT Hub resource provider's get, list and
 * listkeys on ARM. */

#define SUB       "9a1c2e3f-4b5d-4e6f-8a7b-0c1d2e3f4a5b"
#define RG        "rg-hub-sdk"
#define HUB       "hub-sdk"
#define HUB_HOST  "hub-sdk.azure-devices.net"
#define HUB_API   "api-version=2021-04-12"
#define RP_API    "api-version=2023-06-30"
#define RP_PATH   "/arm/subscriptions/" SUB "/resourceGroups/" RG \
                  "/providers/Microsoft.Devices/IotHubs/" HUB

typedef struct
{
  CbTestSandbox *ts;
  guint16        port;
  char          *service_sas;
} Fixture;

static char *
hub_sas (Fixture    *f,
         const char *policy,
         const char *resource)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  char *token;

  cb_sb_lock (f->ts->sandbox);
  key = cb_sb_dup_hub_key (f->ts->sandbox, HUB, policy);
  cb_sb_unlock (f->ts->sandbox);
  g_assert_nonnull (key);
  token = cb_sas_token_new (resource, key, policy, g_get_real_time () / G_USEC_PER_SEC + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  f->port = cb_sandbox_get_mqtt_port (f->ts->sandbox);
  g_assert_cmpuint (f->port, >, 0);

  cb_sb_lock (f->ts->sandbox);
  cb_sb_create_hub (f->ts->sandbox, SUB, RG, HUB, NULL, &error);
  cb_sb_unlock (f->ts->sandbox);
  g_assert_no_error (error);

  f->service_sas = hub_sas (f, "iothubowner", HUB_HOST);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_free (f->service_sas);
}

/* ---- Helpers ----------------------------------------------------------------------------- */

/* "a.b.c" through objects; NULL when absent. */
static JsonNode *
jget (JsonNode   *root,
      const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
          !json_object_has_member (json_node_get_object (node), parts[i]))
        return NULL;
      node = json_object_get_member (json_node_get_object (node), parts[i]);
    }
  return node;
}

static const char *
jstr (JsonNode   *root,
      const char *path)
{
  JsonNode *node = jget (root, path);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;
}

static gint64
jint (JsonNode   *root,
      const char *path)
{
  JsonNode *node = jget (root, path);

  g_assert_nonnull (node);
  return json_node_get_int (node);
}

static char *
find_tool (const char *name)
{
  char *path = g_find_program_in_path (name);

  if (path == NULL)
    g_test_skip_printf ("%s is not installed", name);
  return path;
}

static char *
username_for (const char *id)
{
  return g_strdup_printf (HUB_HOST "/%s/?api-version=2021-04-12", id);
}

/* A device's SAS signed with its own key (no skn), as the device SDKs make it. */
static char *
device_sas (const char *id,
            const char *key,
            gint64      lifetime)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *resource = g_strdup_printf (HUB_HOST "/devices/%s", id);
  char *token = cb_sas_token_new (resource, key, NULL,
                                  g_get_real_time () / G_USEC_PER_SEC + lifetime,
                                  CB_SAS_FLAGS_NONE, &error);

  g_assert_no_error (error);
  return token;
}

/* Creates a device the way azure-iothub's Registry.create sends it: type sas, empty keys. */
static JsonNode *
create_sas_device (Fixture    *f,
                   const char *id)
{
  g_autofree char *path = g_strdup_printf ("/hubs/" HUB "/devices/%s?" HUB_API, id);
  g_autofree char *body = g_strdup_printf ("{\"deviceId\": \"%s\", \"status\": \"enabled\", "
                                           "\"authentication\": {\"type\": \"sas\", "
                                           "\"symmetricKey\": {\"primaryKey\": \"\", "
                                           "\"secondaryKey\": \"\"}}}", id);
  JsonNode *device = NULL;

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "PUT", path, f->service_sas, body,
                                                  &device, NULL), ==, 200);
  return device;
}

static char *
primary_key_of (JsonNode *device)
{
  return g_strdup (jstr (device, "authentication.symmetricKey.primaryKey"));
}

/* Runs argv to completion; returns the exit status, stdout and stderr. */
static int
run (const char * const *argv,
     char              **out,
     char              **err)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;

  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_test_message ("%s: exit %d: %s%s", argv[0], g_subprocess_get_exit_status (proc),
                  *out, *err);
  return g_subprocess_get_exit_status (proc);
}

typedef struct
{
  GSubprocess  *proc;
  GAsyncResult *done;
} Async;

static void
async_start (Async              *a,
             const char * const *argv)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&a->done);
  a->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (a->proc, NULL, NULL, cb_test_store_result_cb, &a->done);
}

/* Iterates the main context until a ended or until_usec (monotonic) passed. */
static gboolean
async_wait (Async  *a,
            gint64  until_usec)
{
  while (a->done == NULL && g_get_monotonic_time () < until_usec)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10 * 1000);
  return a->done != NULL;
}

static int
async_finish (Async  *a,
              char  **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  g_subprocess_communicate_utf8_finish (a->proc, cb_test_wait_for (&a->done), out, &err, &error);
  g_clear_object (&a->done);
  g_assert_no_error (error);
  status = g_subprocess_get_exit_status (a->proc);
  g_test_message ("%s (exit %d) %s", *out, status, err);
  g_clear_object (&a->proc);
  return status;
}

static JsonNode *
connection_report (Fixture    *f,
                   const char *id)
{
  g_autofree char *path = g_strdup_printf ("/sandbox/hubs/" HUB "/devices/%s/connection", id);
  JsonNode *json = NULL;

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", path, NULL, NULL, &json, NULL),
                    ==, 200);
  return json;
}

static char *
mqtt_port (Fixture *f)
{
  return g_strdup_printf ("%u", f->port);
}

/* The method call with curl, in the background: its output is the status and the body. */
static void
start_invoke (Fixture    *f,
              Async      *a,
              const char *id,
              const char *body)
{
  g_autofree char *curl = find_tool ("curl");
  g_autofree char *url = NULL;
  g_autofree char *auth = g_strdup_printf ("Authorization: %s", f->service_sas);
  const char *argv[] = { curl, "-s", "--cacert", cb_sandbox_get_ca_file (f->ts->sandbox),
                         "-X", "POST", "-H", auth, "-H", "Content-Type: application/json",
                         "-d", body, "-w", "\n%{http_code}", NULL, NULL };

  url = g_strdup_printf ("%s/hubs/" HUB "/twins/%s/methods?" HUB_API,
                         cb_sandbox_get_base_url (f->ts->sandbox), id);
  argv[G_N_ELEMENTS (argv) - 2] = url;
  async_start (a, argv);
}

/* ---- Device identities ------------------------------------------------------------------- */

static void
assert_generated_key (const char *key)
{
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  g_assert_nonnull (key);
  raw = g_base64_decode (key, &len);
  g_assert_cmpuint (len, ==, 32);
}

/* Registry.create's body (empty keys) gets keys the hub makes; list, top and statistics. */
static void
test_identities (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonNode) created = create_sas_device (f, "sas-01");
  g_autoptr(JsonNode) second = create_sas_device (f, "sas-02");
  g_autoptr(JsonNode) got = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) stats = NULL;
  const char *primary = jstr (created, "authentication.symmetricKey.primaryKey");
  const char *secondary = jstr (created, "authentication.symmetricKey.secondaryKey");

  g_assert_cmpstr (jstr (created, "authentication.type"), ==, "sas");
  assert_generated_key (primary);
  assert_generated_key (secondary);
  g_assert_cmpstr (primary, !=, secondary);
  g_assert_cmpstr (primary, !=, jstr (second, "authentication.symmetricKey.primaryKey"));

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" HUB "/devices/sas-01?"
                                                  HUB_API, f->service_sas, NULL, &got, NULL),
                    ==, 200);
  g_assert_cmpstr (jstr (got, "authentication.symmetricKey.primaryKey"), ==, primary);

  /* Keys that are given are kept; a bad one is still refused. */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "PUT", "/hubs/" HUB "/devices/sas-03?" HUB_API,
                                             f->service_sas, NULL,
                                             "{\"authentication\": {\"type\": \"sas\", "
                                             "\"symmetricKey\": {\"primaryKey\": \"not base64!\", "
                                             "\"secondaryKey\": \"\"}}}", NULL, NULL), ==, 400);

  /* The list, with top, and the statistics after disabling one. */
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" HUB "/devices?top=1&"
                                                  HUB_API, f->service_sas, NULL, &list, NULL),
                    ==, 200);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (list));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, 1);

  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "PUT", "/hubs/" HUB "/devices/sas-02?" HUB_API,
                                             f->service_sas, NULL,
                                             "{\"deviceId\": \"sas-02\", \"status\": \"disabled\"}",
                                             NULL, NULL), ==, 409);
  {
    g_autoptr(SoupMessageHeaders) h = NULL;
    g_autoptr(GBytes) body = NULL;
    const char *etag = jstr (second, "etag");
    g_autofree char *path = g_strdup ("/hubs/" HUB "/devices/sas-02?" HUB_API);
    g_autoptr(GError) error = NULL;
    g_autoptr(SoupMessage) msg = NULL;
    g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (f->ts->sandbox), path, NULL);
    static const char disable[] = "{\"deviceId\": \"sas-02\", \"status\": \"disabled\"}";
    g_autoptr(GBytes) req_body = g_bytes_new_static (disable, strlen (disable));

    msg = soup_message_new ("PUT", url);
    soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization",
                                 f->service_sas);
    soup_message_headers_append (soup_message_get_request_headers (msg), "If-Match", etag);
    soup_message_set_request_body_from_bytes (msg, "application/json", req_body);
    body = soup_session_send_and_read (f->ts->session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  }

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" HUB "/statistics/devices?"
                                                  HUB_API, f->service_sas, NULL, &stats, NULL),
                    ==, 200);
  g_assert_cmpint (jint (stats, "totalDeviceCount"), ==, 2);
  g_assert_cmpint (jint (stats, "enabledDeviceCount"), ==, 1);
  g_assert_cmpint (jint (stats, "disabledDeviceCount"), ==, 1);
}

/* ---- SAS over MQTT ----------------------------------------------------------------------- */

static int
pub_with_password (Fixture    *f,
                   const char *id,
                   const char *password,
                   const char *message)
{
  g_autofree char *pub = find_tool ("mosquitto_pub");
  g_autofree char *port = mqtt_port (f);
  g_autofree char *user = username_for (id);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { pub, "-V", "mqttv311", "-h", "127.0.0.1", "-p", port, "--cafile",
                         cb_sandbox_get_ca_file (f->ts->sandbox), "-i", id, "-u", user,
                         "-P", password, "-q", "1",
                         "-t", "$iothub/twin/PATCH/properties/reported/?$rid=1", "-m", message,
                         NULL };

  if (pub == NULL)
    return -1;
  return run (argv, &out, &err);
}

static const char *
last_verdict (Fixture    *f,
              const char *id,
              JsonNode  **report)
{
  g_clear_pointer (report, json_node_unref);
  *report = connection_report (f, id);
  return jstr (*report, "lastAttempt.verdict");
}

static void
test_sas_mqtt (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonNode) device = create_sas_device (f, "sas-mqtt");
  g_autofree char *key = primary_key_of (device);
  g_autofree char *good = device_sas ("sas-mqtt", key, 3600);
  g_autofree char *expired = device_sas ("sas-mqtt", key, -60);
  g_autofree char *other_key = g_base64_encode ((const guchar *) "0123456789abcdef0123456789abcdef", 32);
  g_autofree char *wrong = device_sas ("sas-mqtt", other_key, 3600);
  g_autofree char *policy = hub_sas (f, "device", HUB_HOST "/devices/sas-mqtt");
  g_autofree char *read_only = hub_sas (f, "registryRead", HUB_HOST);
  g_autofree char *sh = find_tool ("sh");
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(JsonNode) twin = NULL;

  if (pub_with_password (f, "sas-mqtt", good, "{\"via\": \"sas\"}") < 0 || sh == NULL)
    return;
  g_assert_cmpstr (last_verdict (f, "sas-mqtt", &report), ==, "accepted");

  /* What the device reported reached its twin. */
  for (guint i = 0; i < 100; i++)
    {
      g_clear_pointer (&twin, json_node_unref);
      g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" HUB "/twins/sas-mqtt?"
                                                      HUB_API, f->service_sas, NULL, &twin, NULL),
                        ==, 200);
      if (jstr (twin, "properties.reported.via") != NULL)
        break;
      g_usleep (50 * 1000);
    }
  g_assert_cmpstr (jstr (twin, "properties.reported.via"), ==, "sas");

  /* A signature made by openssl in the shell, as the docs show it. */
  {
    g_autofree char *script = g_strdup_printf (
      "hex() { od -An -v -tx1 | tr -d ' \\n'; }\n"
      "SR=%s\n"
      "SE=$(( $(date +%%s) + 600 ))\n"
      "SIG=$(printf '%%s\\n%%s' \"$SR\" \"$SE\" | openssl dgst -sha256 -mac HMAC "
      "-macopt hexkey:\"$(printf %%s '%s' | base64 -d | hex)\" -binary | base64 | "
      "sed 's/+/%%2B/g; s/\\//%%2F/g; s/=/%%3D/g')\n"
      "printf 'SharedAccessSignature sr=%%s&sig=%%s&se=%%s' \"$SR\" \"$SIG\" \"$SE\"\n",
      HUB_HOST "%2Fdevices%2Fsas-mqtt", key);
    const char *argv[] = { sh, "-c", script, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (run (argv, &out, &err), ==, 0);
    g_assert_true (g_str_has_prefix (out, "SharedAccessSignature sr="));
    g_assert_cmpint (pub_with_password (f, "sas-mqtt", out, "{\"via\": \"openssl\"}"), ==, 0);
    g_assert_cmpstr (last_verdict (f, "sas-mqtt", &report), ==, "accepted");
  }

  /* A hub policy with DeviceConnect, scoped to the device. */
  g_assert_cmpint (pub_with_password (f, "sas-mqtt", policy, "{}"), ==, 0);
  g_assert_cmpstr (last_verdict (f, "sas-mqtt", &report), ==, "accepted");

  /* Refused with CONNACK 5 (mosquitto_pub fails) and the reason on record. */
  g_assert_cmpint (pub_with_password (f, "sas-mqtt", expired, "{}"), !=, 0);
  g_assert_cmpstr (last_verdict (f, "sas-mqtt", &report), ==, "bad-sas");
  g_assert_nonnull (strstr (jstr (report, "lastAttempt.reason"), "expired"));

  g_assert_cmpint (pub_with_password (f, "sas-mqtt", wrong, "{}"), !=, 0);
  g_assert_cmpstr (last_verdict (f, "sas-mqtt", &report), ==, "bad-sas");
  g_assert_nonnull (strstr (jstr (report, "lastAttempt.reason"), "does not match"));

  g_assert_cmpint (pub_with_password (f, "sas-mqtt", read_only, "{}"), !=, 0);
  g_assert_cmpstr (last_verdict (f, "sas-mqtt", &report), ==, "bad-sas");

  /* Another device's token does not open this one. */
  {
    g_autoptr(JsonNode) other = create_sas_device (f, "sas-other");
    g_autofree char *other_device_key = primary_key_of (other);
    g_autofree char *others = device_sas ("sas-other", other_device_key, 3600);

    g_assert_cmpint (pub_with_password (f, "sas-mqtt", others, "{}"), !=, 0);
    g_assert_cmpstr (last_verdict (f, "sas-mqtt", &report), ==, "bad-sas");
  }
}

static const char *
connection_state (Fixture    *f,
                  const char *id,
                  JsonNode  **report)
{
  g_clear_pointer (report, json_node_unref);
  *report = connection_report (f, id);
  return jstr (*report, "connectionState");
}

/* A connection lives as long as its token: when the (session) clock passes "se", the hub
 * closes it, so the device connects again with a new token, as on IoT Hub. */
static void
test_sas_expiry (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonNode) device = create_sas_device (f, "sas-expiry");
  g_autofree char *key = primary_key_of (device);
  g_autofree char *token = device_sas ("sas-expiry", key, 600);
  g_autofree char *sub = find_tool ("mosquitto_sub");
  g_autofree char *port = mqtt_port (f);
  g_autofree char *user = username_for ("sas-expiry");
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) report = NULL;
  Async listener = { 0 };
  guint i;
  const char *argv[] = { sub, "-V", "mqttv311", "-h", "127.0.0.1", "-p", port, "--cafile",
                         cb_sandbox_get_ca_file (f->ts->sandbox), "-i", "sas-expiry", "-u", user,
                         "-P", token, "-t", "$iothub/twin/res/#", "-C", "1", "-W", "60", NULL };

  if (sub == NULL)
    return;
  async_start (&listener, argv);
  for (i = 0; i < 200 && g_strcmp0 (connection_state (f, "sas-expiry", &report), "Connected") != 0; i++)
    g_usleep (50 * 1000);
  g_assert_cmpstr (connection_state (f, "sas-expiry", &report), ==, "Connected");

  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 3600}", NULL, NULL), ==, 200);
  for (i = 0; i < 200 && g_strcmp0 (connection_state (f, "sas-expiry", &report), "Connected") == 0; i++)
    g_usleep (50 * 1000);
  g_assert_cmpstr (connection_state (f, "sas-expiry", &report), ==, "Disconnected");

  /* mosquitto_sub would keep trying with its old token: stop it. */
  g_subprocess_force_exit (listener.proc);
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;

    g_subprocess_communicate_utf8_finish (listener.proc, cb_test_wait_for (&listener.done), &out,
                                          &err, &error);
    g_clear_object (&listener.done);
    g_assert_no_error (error);
    g_clear_object (&listener.proc);
  }
}

/* DPS's side: a symmetric-key registration gives the hub identity its derived key, and the
 * device connects with it. */
static void
test_sas_device_from_dps (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *group_key = g_base64_encode ((const guchar *) "certbench-test-group-key-0000001", 32);
  g_autofree char *derived = cb_sas_derive_device_key (group_key, "dps-sas-01", &error);
  g_autofree char *token = NULL;
  g_autoptr(JsonNode) device = NULL;
  g_autoptr(JsonNode) report = NULL;

  g_assert_no_error (error);
  g_assert_true (cb_sb_hub_ensure_sas_device (f->ts->sandbox, HUB, "dps-sas-01", derived, NULL,
                                              &error));
  g_assert_no_error (error);

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" HUB "/devices/dps-sas-01?"
                                                  HUB_API, f->service_sas, NULL, &device, NULL),
                    ==, 200);
  g_assert_cmpstr (jstr (device, "authentication.type"), ==, "sas");
  g_assert_cmpstr (jstr (device, "authentication.symmetricKey.primaryKey"), ==, derived);

  token = device_sas ("dps-sas-01", derived, 3600);
  if (pub_with_password (f, "dps-sas-01", token, "{}") < 0)
    return;
  g_assert_cmpstr (last_verdict (f, "dps-sas-01", &report), ==, "accepted");
}

/* ---- Direct methods ---------------------------------------------------------------------- */

/* mosquitto_sub as the device, waiting for one method call (its topic and payload). */
static gboolean
start_method_listener (Fixture    *f,
                       Async      *a,
                       const char *id,
                       const char *password)
{
  g_autofree char *sub = find_tool ("mosquitto_sub");
  g_autofree char *port = mqtt_port (f);
  g_autofree char *user = username_for (id);
  const char *argv[] = { sub, "-V", "mqttv311", "-h", "127.0.0.1", "-p", port, "--cafile",
                         cb_sandbox_get_ca_file (f->ts->sandbox), "-i", id, "-u", user,
                         "-P", password, "-t", "$iothub/methods/POST/#", "-C", "1", "-v",
                         "-W", "30", NULL };

  if (sub == NULL)
    return FALSE;
  async_start (a, argv);
  return TRUE;
}

/* Calls the method until the listener has subscribed (404 DeviceNotOnline until then); returns
 * the method call (running) and what the listener received. */
static char *
invoke_until_received (Fixture    *f,
                       Async      *listener,
                       Async      *call,
                       const char *id,
                       const char *body)
{
  char *received = NULL;

  for (guint attempt = 0; attempt < 100; attempt++)
    {
      g_autofree char *out = NULL;

      start_invoke (f, call, id, body);
      /* Either the device got it (the call waits for its answer) or the call ended (404). */
      while (call->done == NULL && listener->done == NULL)
        async_wait (call, g_get_monotonic_time () + 20 * 1000);
      if (listener->done != NULL)
        {
          g_assert_cmpint (async_finish (listener, &received), ==, 0);
          return received;
        }
      async_finish (call, &out);
      g_assert_true (g_str_has_suffix (out, "\n404"));
      g_assert_nonnull (strstr (out, "404103"));
      g_usleep (50 * 1000);
    }
  g_error ("the device never received the method");
  return NULL;
}

static void
test_direct_methods (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonNode) device = create_sas_device (f, "method-01");
  g_autofree char *key = primary_key_of (device);
  g_autofree char *token = device_sas ("method-01", key, 3600);
  g_autofree char *received = NULL;
  g_autofree char *out = NULL;
  g_autofree char *rid = NULL;
  g_autoptr(JsonNode) answer = NULL;
  Async listener = { 0 };
  Async call = { 0 };
  const char *space;

  /* Offline: 404 DeviceNotOnline at once. */
  {
    g_autoptr(GBytes) body = NULL;

    g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", "/hubs/" HUB "/twins/method-01/methods?"
                                               HUB_API, f->service_sas, NULL,
                                               "{\"methodName\": \"reboot\"}", &body, NULL), ==, 404);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                    "404103"));
  }

  if (!start_method_listener (f, &listener, "method-01", token))
    return;
  received = invoke_until_received (f, &listener, &call, "method-01",
                                    "{\"methodName\": \"reboot\", \"payload\": {\"delay\": 3}, "
                                    "\"responseTimeoutInSeconds\": 30}");

  /* "$iothub/methods/POST/reboot/?$rid=N {"delay":3}" */
  g_assert_true (g_str_has_prefix (received, "$iothub/methods/POST/reboot/?$rid="));
  space = strchr (received, ' ');
  g_assert_nonnull (space);
  rid = g_strndup (received + strlen ("$iothub/methods/POST/reboot/?$rid="),
                   space - received - strlen ("$iothub/methods/POST/reboot/?$rid="));
  {
    g_autofree char *payload = g_strdup (space + 1);

    g_assert_cmpstr (g_strstrip (payload), ==, "{\"delay\":3}");
  }

  /* The device answers with mosquitto_pub; the service call returns its status and payload. */
  {
    g_autofree char *topic = g_strdup_printf ("$iothub/methods/res/201/?$rid=%s", rid);
    g_autofree char *pub = find_tool ("mosquitto_pub");
    g_autofree char *port = mqtt_port (f);
    g_autofree char *user = username_for ("method-01");
    g_autofree char *pout = NULL;
    g_autofree char *perr = NULL;
    const char *argv[] = { pub, "-V", "mqttv311", "-h", "127.0.0.1", "-p", port, "--cafile",
                           cb_sandbox_get_ca_file (f->ts->sandbox), "-i", "method-01", "-u", user,
                           "-P", token, "-q", "1", "-t", topic, "-m", "{\"rebooting\": true}",
                           NULL };

    g_assert_cmpint (run (argv, &pout, &perr), ==, 0);
  }
  g_assert_cmpint (async_finish (&call, &out), ==, 0);
  g_assert_true (g_str_has_suffix (out, "\n200"));
  *strrchr (out, '\n') = '\0';
  answer = json_from_string (out, NULL);
  g_assert_nonnull (answer);
  g_assert_cmpint (jint (answer, "status"), ==, 201);
  g_assert_true (json_node_get_boolean (jget (answer, "payload.rebooting")));

  /* A device that does not answer: 504 GatewayTimeout after responseTimeoutInSeconds. */
  g_clear_pointer (&received, g_free);
  g_clear_pointer (&out, g_free);
  if (!start_method_listener (f, &listener, "method-01", token))
    return;
  received = invoke_until_received (f, &listener, &call, "method-01",
                                    "{\"methodName\": \"hang\", \"payload\": null, "
                                    "\"responseTimeoutInSeconds\": 5}");
  g_assert_true (g_str_has_prefix (received, "$iothub/methods/POST/hang/?$rid="));
  async_finish (&call, &out);
  g_assert_true (g_str_has_suffix (out, "\n504"));
  g_assert_nonnull (strstr (out, "504101"));

  /* A bad timeout is refused before anything is sent. */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", "/hubs/" HUB "/twins/method-01/methods?"
                                             HUB_API, f->service_sas, NULL,
                                             "{\"methodName\": \"x\", "
                                             "\"responseTimeoutInSeconds\": 1}", NULL, NULL), ==, 400);
}

/* ---- Cloud-to-device --------------------------------------------------------------------- */

static void
test_c2d (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(JsonNode) device = create_sas_device (f, "c2d-01");
  g_autofree char *key = primary_key_of (device);
  g_autofree char *token = device_sas ("c2d-01", key, 3600);
  g_autofree char *sub = find_tool ("mosquitto_sub");
  g_autofree char *port = mqtt_port (f);
  g_autofree char *user = username_for ("c2d-01");
  g_autofree char *out = NULL;
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GBytes) payload = g_bytes_new_static ("hello device", 12);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  Async listener = { 0 };

  if (sub == NULL)
    return;

  /* Sent while the device is offline: it waits. */
  url = g_strconcat (cb_sandbox_get_base_url (f->ts->sandbox),
                     "/hubs/" HUB "/devices/c2d-01/messages/deviceBound?" HUB_API, NULL);
  msg = soup_message_new ("POST", url);
  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization",
                               f->service_sas);
  soup_message_headers_append (soup_message_get_request_headers (msg), "iothub-messageid",
                               "msg-1");
  soup_message_headers_append (soup_message_get_request_headers (msg), "iothub-app-color",
                               "blue sky");
  soup_message_set_request_body_from_bytes (msg, "application/octet-stream", payload);
  reply = soup_session_send_and_read (f->ts->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  answer = json_from_string (g_bytes_get_data (reply, NULL), NULL);
  g_assert_cmpstr (jstr (answer, "messageId"), ==, "msg-1");
  g_assert_cmpint (jint (answer, "queued"), ==, 1);

  /* The device subscribes as the SDKs do and receives it, with its properties in the topic. */
  {
    const char *argv[] = { sub, "-V", "mqttv311", "-h", "127.0.0.1", "-p", port, "--cafile",
                           cb_sandbox_get_ca_file (f->ts->sandbox), "-i", "c2d-01", "-u", user,
                           "-P", token, "-t", "devices/c2d-01/messages/devicebound/#", "-C", "1",
                           "-v", "-W", "20", NULL };

    async_start (&listener, argv);
  }
  g_assert_cmpint (async_finish (&listener, &out), ==, 0);
  g_assert_true (g_str_has_prefix (out, "devices/c2d-01/messages/devicebound/"));
  g_assert_nonnull (strstr (out, "%24.mid=msg-1"));
  g_assert_nonnull (strstr (out, "%24.to=%2Fdevices%2Fc2d-01%2Fmessages%2FdeviceBound"));
  g_assert_nonnull (strstr (out, "color=blue%20sky"));
  g_assert_nonnull (strstr (out, " hello device"));
  cb_sb_lock (f->ts->sandbox);
  g_assert_cmpuint (cb_sb_mqtt_c2d_queued (f->ts->sandbox, HUB, "c2d-01"), ==, 0);
  cb_sb_unlock (f->ts->sandbox);

  /* An unknown device: 404. */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", "/hubs/" HUB "/devices/nobody/messages/"
                                             "deviceBound?" HUB_API, f->service_sas, "text/plain",
                                             "x", NULL, NULL), ==, 404);
}

/* ---- Subscriptions ----------------------------------------------------------------------- */

/* A topic the hub does not serve: SUBACK 0x80 (mosquitto_sub says so), a line in the sandbox's
 * log and the device's connection report. */
static void
test_refused_subscription (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(JsonNode) device = create_sas_device (f, "subs-01");
  g_autofree char *key = primary_key_of (device);
  g_autofree char *token = device_sas ("subs-01", key, 3600);
  g_autofree char *sub = find_tool ("mosquitto_sub");
  g_autofree char *port = mqtt_port (f);
  g_autofree char *user = username_for ("subs-01");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) report = NULL;
  JsonNode *refused;
  const char *argv[] = { sub, "-V", "mqttv311", "-h", "127.0.0.1", "-p", port, "--cafile",
                         cb_sandbox_get_ca_file (f->ts->sandbox), "-i", "subs-01", "-u", user,
                         "-P", token, "-t", "$iothub/streams/POST/#", "-C", "1", "-W", "5", NULL };

  if (sub == NULL)
    return;

  run (argv, &out, &err);
  g_assert_nonnull (strstr (err, "denied"));

  report = connection_report (f, "subs-01");
  refused = jget (report, "refusedSubscriptions");
  g_assert_nonnull (refused);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (refused)), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_node_get_array (refused), 0), "topicFilter"), ==, "$iothub/streams/POST/#");
}

/* ---- The resource provider --------------------------------------------------------------- */

static void
test_resource_provider (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *owner = cb_test_sandbox_token (f->ts, "owner@contoso.example", CB_SB_ROLE_OWNER,
                                                  "/subscriptions/" SUB, CB_SB_AUD_ARM);
  g_autofree char *reader = cb_test_sandbox_token (f->ts, "reader@contoso.example",
                                                   CB_SB_ROLE_READER, "/subscriptions/" SUB,
                                                   CB_SB_AUD_ARM);
  const char *owner_auth = owner;        /* "Bearer …" */
  const char *reader_auth = reader;
  g_autofree char *owner_key = NULL;
  g_autoptr(JsonNode) hub = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) keys = NULL;
  g_autoptr(JsonNode) one = NULL;
  JsonArray *array;
  gboolean found = FALSE;

  cb_sb_lock (f->ts->sandbox);
  owner_key = cb_sb_dup_hub_key (f->ts->sandbox, HUB, "iothubowner");
  cb_sb_unlock (f->ts->sandbox);

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", RP_PATH "?" RP_API, reader_auth,
                                                  NULL, &hub, NULL), ==, 200);
  g_assert_cmpstr (jstr (hub, "name"), ==, HUB);
  g_assert_cmpstr (jstr (hub, "type"), ==, "Microsoft.Devices/IotHubs");
  g_assert_cmpstr (jstr (hub, "properties.hostName"), ==, HUB_HOST);
  g_assert_cmpstr (jstr (hub, "properties.state"), ==, "Active");
  g_assert_true (g_str_has_suffix (jstr (hub, "id"), "/providers/Microsoft.Devices/IotHubs/" HUB));

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/arm/subscriptions/" SUB
                                                  "/providers/Microsoft.Devices/IotHubs?" RP_API,
                                                  reader_auth, NULL, &list, NULL), ==, 200);
  array = json_node_get_array (jget (list, "value"));
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (array, i),
                                                  "name"), HUB) == 0)
      found = TRUE;
  g_assert_true (found);

  g_clear_pointer (&list, json_node_unref);
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/arm/subscriptions/" SUB
                                                  "/resourceGroups/other-rg/providers/"
                                                  "Microsoft.Devices/IotHubs?" RP_API,
                                                  reader_auth, NULL, &list, NULL), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (jget (list, "value"))), ==, 0);

  /* The keys: an Owner may list them, a Reader may not. */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", RP_PATH "/listkeys?" RP_API,
                                             reader_auth, NULL, NULL, NULL, NULL), ==, 403);
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "POST", RP_PATH "/listkeys?" RP_API,
                                                  owner_auth, NULL, &keys, NULL), ==, 200);
  array = json_node_get_array (jget (keys, "value"));
  g_assert_cmpuint (json_array_get_length (array), >=, 5);
  {
    JsonObject *first = json_array_get_object_element (array, 0);

    g_assert_cmpstr (json_object_get_string_member (first, "keyName"), ==, "iothubowner");
    g_assert_cmpstr (json_object_get_string_member (first, "primaryKey"), ==, owner_key);
    g_assert_cmpstr (json_object_get_string_member (first, "rights"), ==,
                     "RegistryWrite, ServiceConnect, DeviceConnect");
  }
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "POST", RP_PATH
                                                  "/IotHubKeys/device/listkeys?" RP_API,
                                                  owner_auth, NULL, &one, NULL), ==, 200);
  g_assert_cmpstr (jstr (one, "keyName"), ==, "device");

  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "GET", "/arm/subscriptions/" SUB
                                             "/resourceGroups/" RG "/providers/Microsoft.Devices/"
                                             "IotHubs/no-such-hub?" RP_API, reader_auth, NULL,
                                             NULL, NULL, NULL), ==, 404);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/sandbox-hub-sdk/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("identities", test_identities);
  ADD ("sas-mqtt", test_sas_mqtt);
  ADD ("sas-expiry", test_sas_expiry);
  ADD ("sas-device-from-dps", test_sas_device_from_dps);
  ADD ("direct-methods", test_direct_methods);
  ADD ("c2d", test_c2d);
  ADD ("refused-subscription", test_refused_subscription);
  ADD ("resource-provider", test_resource_provider);

#undef ADD

  return g_test_run ();
}
