/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cb-mqtt-client.h"
#include "cb-pki.h"
#include "cb-sas.h"
#include "cb-sb-dps-store.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"

/* The sandbox's DPS device API over MQTT (azure-api-reference.md §2.4) on its MQTT listener,
 * over real TLS on loopback: registration through an independent client (mosquitto_rr, which
 * subscribes and publishes on one connection as DPS needs), and hostile input through core's
 * MQTT client used as a raw one (bad JSON, a huge payload, unknown topics, missing or unknown
 * request ids, wrong SAS, wrong client id, wrong api-version): each gets DPS's error or a
 * refusal, the sandbox keeps serving. Core's CbDpsClient over MQTT is tested in
 * test-client-dps.c. */

#define SUB        "00000000-0000-0000-0000-0000000000d6"
#define RG         "rg-dpsmqtt"
#define NS         "ns-dpsmqtt"
#define HUB        "hub-dpsmqtt"
#define DPS        "dps-mqtt"
#define ID_SCOPE   "0ne00D6A7B8"
#define GROUP      "line-9"
#define POLICY     "default"
#define GROUP_KEY  "ZHBzLW1xdHQtZ3JvdXAta2V5LWZvci10ZXN0cy0wMTIz"
#define API        "2019-03-31"

typedef struct
{
  CbTestSandbox *ts;
  GTlsDatabase  *database;
  guint16        port;
  char          *hub_host;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  CbSandbox *sb;
  g_autoptr(GError) error = NULL;
  g_autofree char *namespace_id = cb_sb_namespace_id (SUB, RG, NS);

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  sb = f->ts->sandbox;
  f->port = cb_sandbox_get_mqtt_port (sb);
  g_assert_cmpuint (f->port, >, 0);
  f->database = g_tls_file_database_new (cb_sandbox_get_ca_file (sb), &error);
  g_assert_no_error (error);

  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SUB, RG, HUB, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SUB, RG, DPS, ID_SCOPE, namespace_id, HUB, &error);
  g_assert_no_error (error);
  cb_sb_dps_create_enrollment_group (sb, DPS, GROUP, GROUP_KEY, POLICY, &error);
  g_assert_no_error (error);
  cb_sb_adr_create_namespace (sb, SUB, RG, NS, "westeurope", &error);
  g_assert_no_error (error);
  cb_sb_adr_create_credential (sb, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_adr_create_policy (sb, namespace_id, POLICY, 30, FALSE, &error);
  g_assert_no_error (error);
  f->hub_host = cb_sb_dps_hub_host_name (sb, HUB);
  cb_sb_unlock (sb);
  g_assert_nonnull (f->hub_host);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->database);
  g_free (f->hub_host);
  cb_test_sandbox_free (f->ts);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static char *
username_for (const char *registration_id,
              const char *api_version)
{
  return g_strdup_printf (ID_SCOPE "/registrations/%s/api-version=%s&ClientVersion=tests",
                          registration_id, api_version);
}

static char *
sas_for (const char *registration_id,
         const char *group_key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *device_key = cb_sas_derive_device_key (group_key, registration_id, &error);
  g_autofree char *resource = g_strdup_printf (ID_SCOPE "/registrations/%s", registration_id);
  char *sas;

  g_assert_no_error (error);
  sas = cb_sas_token_new (resource, device_key, "registration",
                          g_get_real_time () / G_USEC_PER_SEC + 3600, CB_SAS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  return sas;
}

static char *
csr_base64 (const char *common_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) csr = NULL;

  g_assert_no_error (error);
  csr = cb_csr_create (key, common_name, &error);
  g_assert_no_error (error);
  return g_base64_encode (g_bytes_get_data (csr, NULL), g_bytes_get_size (csr));
}

/* A raw session: core's MQTT client, what it received, whether it closed. */
typedef struct
{
  CbMqttClient *client;
  GPtrArray    *topics;            /* char * */
  GPtrArray    *payloads;          /* char * */
  GError       *closed;
} Raw;

/* Closes the session and waits (bounded) until its I/O is done and the client gone, so nothing
 * of it outlives the test. */
static void
raw_free (Raw *r)
{
  gpointer client = r->client;
  gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_object_add_weak_pointer (client, &client);
  cb_mqtt_client_close (r->client);
  g_object_unref (r->client);
  while (client != NULL && g_get_monotonic_time () < until)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_null (client);
  g_ptr_array_unref (r->topics);
  g_ptr_array_unref (r->payloads);
  g_clear_error (&r->closed);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)

static void
on_message (CbMqttClient *client,
            const char   *topic,
            GBytes       *payload,
            Raw          *r)
{
  g_ptr_array_add (r->topics, g_strdup (topic));
  g_ptr_array_add (r->payloads, payload != NULL ? g_strndup (g_bytes_get_data (payload, NULL),
                                                             g_bytes_get_size (payload))
                                                : g_strdup (""));
}

static void
on_closed (CbMqttClient *client,
           const GError *error,
           Raw          *r)
{
  r->closed = g_error_copy (error);
}

/* Connects; NULL with the refusal in error. */
static Raw *
raw_connect (Fixture     *f,
             const char  *client_id,
             const char  *username,
             const char  *password,
             GError     **error)
{
  g_autoptr(Raw) r = g_new0 (Raw, 1);
  g_autoptr(GAsyncResult) result = NULL;

  r->client = cb_mqtt_client_new (f->database);
  r->topics = g_ptr_array_new_with_free_func (g_free);
  r->payloads = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (r->client, "message", G_CALLBACK (on_message), r);
  g_signal_connect (r->client, "closed", G_CALLBACK (on_closed), r);
  cb_mqtt_client_connect_async (r->client, "127.0.0.1", f->port, client_id, username, password,
                                NULL, cb_test_store_result_cb, &result);
  if (!cb_mqtt_client_connect_finish (r->client, cb_test_wait_for (&result), error))
    {
      g_clear_object (&result);
      return NULL;                         /* raw_free() waits for the client to go */
    }
  return g_steal_pointer (&r);
}

static Raw *
raw_session (Fixture    *f,
             const char *registration_id)
{
  g_autofree char *user = username_for (registration_id, API);
  g_autofree char *sas = sas_for (registration_id, GROUP_KEY);
  g_autoptr(GError) error = NULL;
  Raw *r = raw_connect (f, registration_id, user, sas, &error);

  g_assert_no_error (error);
  cb_mqtt_client_subscribe (r->client, "$dps/registrations/res/#");
  return r;
}

/* Waits (bounded) for an answer whose topic starts with prefix, or for the close. Returns
 * its index, or -1. */
static int
raw_wait (Raw        *r,
          const char *prefix)
{
  gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < until)
    {
      for (guint i = 0; i < r->topics->len; i++)
        if (g_str_has_prefix (g_ptr_array_index (r->topics, i), prefix))
          return i;
      if (r->closed != NULL)
        return -1;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5 * 1000);
    }
  return -1;
}

static gboolean
raw_wait_closed (Raw *r)
{
  gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (r->closed == NULL && g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5 * 1000);
    }
  return r->closed != NULL;
}

static void
raw_publish (Raw        *r,
             const char *topic,
             const char *payload)
{
  cb_mqtt_client_publish (r->client, topic, payload, payload != NULL ? strlen (payload) : 0);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return node;
}

static gint64
error_code_of (const char *payload)
{
  g_autoptr(JsonNode) node = parse (payload);

  return json_object_get_int_member (json_node_get_object (node), "errorCode");
}

/* Publishes a request, waits for its answer "res/{status}/?$rid={rid}…", returns the
 * payload (owned by r). */
static const char *
raw_request (Raw        *r,
             const char *topic,
             const char *rid,
             const char *payload,
             guint       status)
{
  g_autofree char *prefix = g_strdup_printf ("$dps/registrations/res/%u/?$rid=%s", status, rid);
  int index;

  raw_publish (r, topic, payload);
  index = raw_wait (r, prefix);
  if (index < 0)
    for (guint i = 0; i < r->topics->len; i++)
      g_test_message ("got %s %s", (char *) g_ptr_array_index (r->topics, i),
                      (char *) g_ptr_array_index (r->payloads, i));
  g_assert_cmpint (index, >=, 0);
  return g_ptr_array_index (r->payloads, index);
}

/* ---- a registration ----------------------------------------------------------------------- */

/* Core's client as a raw one: register with a CSR, poll until assigned. */
static void
test_register_raw (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Raw) r = raw_session (f, "line9-0001");
  g_autofree char *csr = csr_base64 ("line9-0001");
  g_autofree char *body = g_strdup_printf ("{\"registrationId\":\"line9-0001\",\"csr\":\"%s\"}", csr);
  g_autoptr(JsonNode) accepted = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autofree char *poll = NULL;
  JsonObject *state;
  const char *operation_id;
  const char *answer;

  answer = raw_request (r, "$dps/registrations/PUT/iotdps-register/?$rid=1", "1", body, 202);
  accepted = parse (answer);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (accepted), "status"), ==,
                   "assigning");
  operation_id = json_object_get_string_member (json_node_get_object (accepted), "operationId");
  g_assert_nonnull (operation_id);
  g_assert_true (g_str_has_suffix (g_ptr_array_index (r->topics, 0), "&retry-after=1"));

  /* Poll (a new $rid each time) until the answer is 200. */
  for (guint i = 2; i < 40 && done == NULL; i++)
    {
      g_autofree char *rid = g_strdup_printf ("%u", i);
      g_autofree char *topic = g_strdup_printf ("$dps/registrations/GET/iotdps-get-operationstatus/"
                                                "?$rid=%s&operationId=%s", rid, operation_id);
      g_autofree char *ok = g_strdup_printf ("$dps/registrations/res/200/?$rid=%s", rid);
      g_autofree char *wait = g_strdup_printf ("$dps/registrations/res/202/?$rid=%s", rid);
      int index;

      raw_publish (r, topic, NULL);
      while ((index = raw_wait (r, "$dps/registrations/res/")) >= 0)
        {
          const char *t = g_ptr_array_index (r->topics, index);

          if (g_str_has_prefix (t, ok))
            done = parse (g_ptr_array_index (r->payloads, index));
          if (g_str_has_prefix (t, ok) || g_str_has_prefix (t, wait))
            break;
          g_ptr_array_remove_index (r->topics, index);
          g_ptr_array_remove_index (r->payloads, index);
        }
      g_assert_cmpint (index, >=, 0);
      g_ptr_array_set_size (r->topics, 0);
      g_ptr_array_set_size (r->payloads, 0);
      if (done == NULL)
        g_usleep (200 * 1000);
    }
  g_assert_nonnull (done);

  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (done), "status"), ==,
                   "assigned");
  state = json_object_get_object_member (json_node_get_object (done), "registrationState");
  g_assert_cmpstr (json_object_get_string_member (state, "assignedHub"), ==, f->hub_host);
  g_assert_cmpstr (json_object_get_string_member (state, "deviceId"), ==, "line9-0001");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (state, "issuedCertificateChain")),
                    ==, 3);
}

/* mosquitto_rr (Debian mosquitto-clients), an independent client: SAS user name and password
 * over TLS, subscribed to the answer's topic on the connection it publishes on (DPS answers
 * on the connection that asked; mosquitto_rr takes an exact topic, not a filter). */
static char *
run_rr (Fixture    *f,
        const char *registration_id,
        const char *topic,
        const char *response_topic,
        const char *message)
{
  g_autofree char *rr = g_find_program_in_path ("mosquitto_rr");
  g_autofree char *port = g_strdup_printf ("%u", f->port);
  g_autofree char *user = username_for (registration_id, API);
  g_autofree char *sas = sas_for (registration_id, GROUP_KEY);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                           rr, "-V", "mqttv311", "-h", "127.0.0.1", "-p", port, "--cafile",
                           cb_sandbox_get_ca_file (f->ts->sandbox), "-i", registration_id,
                           "-u", user, "-P", sas, "-e", response_topic,
                           "-t", topic, "-m", message, "-v", "-W", "20", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("mosquitto_rr: %s%s", out, err);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  return out;
}

static void
test_mosquitto_rr (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *rr = g_find_program_in_path ("mosquitto_rr");
  g_autofree char *out = NULL;
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) accepted = NULL;
  g_autoptr(JsonNode) done = NULL;
  const char *operation_id;
  const char *json;

  if (rr == NULL)
    {
      g_test_skip ("mosquitto_rr is not installed (Debian package mosquitto-clients)");
      return;
    }

  /* Register (no CSR: a symmetric-key device as Microsoft's samples register it). */
  out = run_rr (f, "line9-0002", "$dps/registrations/PUT/iotdps-register/?$rid=1",
                "$dps/registrations/res/202/?$rid=1&retry-after=1",
                "{\"registrationId\":\"line9-0002\",\"payload\":{\"model\":\"mosq\"}}");
  g_assert_true (g_str_has_prefix (out, "$dps/registrations/res/202/?$rid=1&retry-after=1 "));
  json = strchr (out, ' ');
  g_assert_nonnull (json);
  accepted = parse (json + 1);
  operation_id = json_object_get_string_member (json_node_get_object (accepted), "operationId");
  g_assert_nonnull (operation_id);

  /* Poll once the operation is done: the sandbox's LRO delay is 50 ms and the answer said
   * retry after 1 s, as a device would wait. */
  g_usleep (G_USEC_PER_SEC);
  body = g_strdup_printf ("$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=%s",
                          operation_id);
  g_clear_pointer (&out, g_free);
  out = run_rr (f, "line9-0002", body, "$dps/registrations/res/200/?$rid=2", "");
  g_assert_true (g_str_has_prefix (out, "$dps/registrations/res/200/?$rid=2"));
  done = parse (strchr (out, ' ') + 1);
  {
    JsonObject *state = json_object_get_object_member (json_node_get_object (done),
                                                       "registrationState");

    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (done), "status"), ==,
                     "assigned");
    g_assert_cmpstr (json_object_get_string_member (state, "assignedHub"), ==, f->hub_host);
    g_assert_cmpstr (json_object_get_string_member (state, "deviceId"), ==, "line9-0002");
  }
}

/* ---- api-versions ------------------------------------------------------------------------- */

/* The versions Microsoft's device SDKs send are accepted on both transports; others are not. */
static void
test_api_versions (Fixture       *f,
                   gconstpointer  data)
{
  const char *accepted[] = { "2019-03-31", "2021-06-01", "2021-11-01-preview",
                             "2025-07-01-preview", "2026-11-01" };
  g_autofree char *sas = sas_for ("line9-0006", GROUP_KEY);

  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dps/" ID_SCOPE "/registrations/line9-0006/register"
                                               "?api-version=%s", accepted[i]);
      g_autofree char *user = username_for ("line9-0006", accepted[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(Raw) r = NULL;

      g_assert_cmpuint (cb_test_sandbox_request (f->ts, "PUT", path, sas, NULL,
                                                 "{\"registrationId\":\"line9-0006\"}", NULL, NULL),
                        ==, 202);
      r = raw_connect (f, "line9-0006", user, sas, &error);
      g_assert_no_error (error);
    }

  {
    g_autoptr(JsonNode) answer = NULL;

    g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "PUT",
                                                    "/dps/" ID_SCOPE "/registrations/line9-0006/"
                                                    "register?api-version=2017-11-15", sas,
                                                    "{\"registrationId\":\"line9-0006\"}",
                                                    &answer, NULL), ==, 400);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (answer), "errorCode"), ==,
                     400001);
    g_assert_nonnull (strstr (json_object_get_string_member (json_node_get_object (answer), "message"),
                              "2019-03-31"));
  }
}

/* ---- hostile input ------------------------------------------------------------------------ */

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *user = username_for ("line9-0003", API);
  g_autofree char *sas = sas_for ("line9-0003", GROUP_KEY);
  g_autofree char *other_sas = sas_for ("line9-0003", "b3RoZXIta2V5LW5vdC10aGUtZ3JvdXAtb25lLTAxMjM=");
  g_autofree char *wrong_api = username_for ("line9-0003", "2017-01-01");
  g_autofree char *wrong_scope = g_strdup ("0ne00000000/registrations/line9-0003/api-version=" API);
  struct { const char *client_id, *user, *password; const char *why; } cases[] = {
    { "line9-0003", user, other_sas, "wrong key" },
    { "line9-0003", user, "SharedAccessSignature sr=garbage", "garbage SAS" },
    { "line9-0003", user, NULL, "no password" },
    { "line9-0003", wrong_api, sas, "unknown api-version" },
    { "line9-0003", wrong_scope, sas, "unknown ID scope" },
    { "someone-else", user, sas, "client id is not the registration id" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(Raw) r = raw_connect (f, cases[i].client_id, cases[i].user, cases[i].password, &error);

      g_test_message ("%s: %s", cases[i].why, error ? error->message : "accepted");
      g_assert_null (r);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    }

  /* The sandbox still serves the right device. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(Raw) r = raw_connect (f, "line9-0003", user, sas, &error);

    g_assert_no_error (error);
    g_assert_nonnull (r);
  }
}

static void
test_bad_requests (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Raw) r = raw_session (f, "line9-0004");
  g_autoptr(GString) huge_csr = g_string_new (NULL);
  g_autofree char *body = NULL;
  const char *answer;

  /* Not JSON. */
  answer = raw_request (r, "$dps/registrations/PUT/iotdps-register/?$rid=a1", "a1",
                        "{\"registrationId\": ", 400);
  g_assert_cmpint (error_code_of (answer), ==, 400006);

  /* Not an object; another device's id; an invalid CSR; one too large. */
  answer = raw_request (r, "$dps/registrations/PUT/iotdps-register/?$rid=a2", "a2", "[1,2]", 400);
  g_assert_cmpint (error_code_of (answer), ==, 400101);
  answer = raw_request (r, "$dps/registrations/PUT/iotdps-register/?$rid=a3", "a3",
                        "{\"registrationId\":\"line9-9999\"}", 400);
  g_assert_cmpint (error_code_of (answer), ==, 400102);
  answer = raw_request (r, "$dps/registrations/PUT/iotdps-register/?$rid=a4", "a4",
                        "{\"registrationId\":\"line9-0004\",\"csr\":\"not base64!\"}", 400);
  g_assert_cmpint (error_code_of (answer), ==, 400201);
  for (guint i = 0; i < 3000; i++)
    g_string_append (huge_csr, "QUJD");
  body = g_strdup_printf ("{\"registrationId\":\"line9-0004\",\"csr\":\"%s\"}", huge_csr->str);
  answer = raw_request (r, "$dps/registrations/PUT/iotdps-register/?$rid=a5", "a5", body, 400);
  g_assert_cmpint (error_code_of (answer), ==, 400201);

  /* An unknown operation of this device; a topic that names no operation. */
  answer = raw_request (r, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=a6&operationId=5.nope",
                        "a6", NULL, 404);
  g_assert_cmpint (error_code_of (answer), ==, 404201);
  answer = raw_request (r, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=a7", "a7", NULL, 404);
  g_assert_cmpint (error_code_of (answer), ==, 404201);
  answer = raw_request (r, "$dps/registrations/DELETE/everything/?$rid=a8", "a8", NULL, 404);
  g_assert_cmpint (error_code_of (answer), ==, 404002);

  /* Still a working session: a good registration after all that. */
  answer = raw_request (r, "$dps/registrations/PUT/iotdps-register/?$rid=a9", "a9",
                        "{\"registrationId\":\"line9-0004\"}", 202);
  g_assert_nonnull (strstr (answer, "\"assigning\""));
  g_assert_null (r->closed);
}

/* What cannot be answered closes the connection, and only it. */
static void
test_closing_requests (Fixture       *f,
                       gconstpointer  data)
{
  const char *topics[] = {
    "$dps/registrations/PUT/iotdps-register/",                 /* no $rid */
    "$dps/registrations/PUT/iotdps-register/?$rid=",           /* an empty one */
    "$iothub/twin/GET/?$rid=1",                                /* not DPS */
    "devices/line9-0005/messages/events/",
  };

  for (guint i = 0; i < G_N_ELEMENTS (topics); i++)
    {
      g_autoptr(Raw) r = raw_session (f, "line9-0005");

      raw_publish (r, topics[i], "{\"registrationId\":\"line9-0005\"}");
      g_assert_true (raw_wait_closed (r));
      g_test_message ("%s: %s", topics[i], r->closed->message);
    }

  /* A subscription outside the response topics is refused (SUBACK 0x80: the client closes). */
  {
    g_autoptr(Raw) r = raw_session (f, "line9-0005");

    cb_mqtt_client_subscribe (r->client, "$iothub/twin/res/#");
    g_assert_true (raw_wait_closed (r));
    g_assert_nonnull (strstr (r->closed->message, "refused the subscription"));
  }

  /* A packet over the endpoint's size limit closes the connection; the next one works. */
  {
    g_autoptr(Raw) r = raw_session (f, "line9-0005");
    g_autofree char *huge = g_strnfill (200 * 1024, 'x');
    g_autoptr(Raw) next = NULL;
    const char *answer;

    raw_publish (r, "$dps/registrations/PUT/iotdps-register/?$rid=1", huge);
    g_assert_true (raw_wait_closed (r));

    next = raw_session (f, "line9-0005");
    answer = raw_request (next, "$dps/registrations/PUT/iotdps-register/?$rid=2", "2",
                          "{\"registrationId\":\"line9-0005\"}", 202);
    g_assert_nonnull (strstr (answer, "operationId"));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/sandbox-dps-mqtt/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("register/raw", test_register_raw);
  ADD ("register/mosquitto-rr", test_mosquitto_rr);
  ADD ("api-versions", test_api_versions);
  ADD ("hostile/refused", test_refused);
  ADD ("hostile/bad-requests", test_bad_requests);
  ADD ("hostile/closing", test_closing_requests);
#undef ADD

  return g_test_run ();
}
