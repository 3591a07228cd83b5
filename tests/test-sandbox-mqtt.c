/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cb-error.h"
#include "cb-http.h"
#include "cb-mqtt-packet.h"
#include "cb-pki.h"
#include "cb-renewal-result.h"
#include "cb-sandbox-client.h"
#include "cb-sandbox-profile.h"
#include "cb-sas.h"
#include "cb-sb-mqtt-transport.h"
#include "cb-test-sandbox.h"
#include "cb-util.h"
#include "cb-x509.h"

/* The sandbox hub's device endpoint over real TLS: which certificates may connect and what the
 * connection endpoint says about the refusals, the twin and certificate renewal over MQTT, the
 * protocol rules, robustness against garbage on one connection while another device keeps
 * working, dropping live connections on revoke, a thousand concurrent devices, and Debian's
 * mosquitto clients and libmosquitto as clients that are not our code. */

#define SUB       "5f0c1a2e-7b3d-4c9e-8a61-0d2f4b6c8e90"
#define RG        "rg-mqtt"
#define NS        "ns-mqtt"
#define HUB       "hub-mqtt"
#define HUB_HOST  "hub-mqtt.azure-devices.net"
#define POLICY    "default"
#define OWNER     "owner@contoso.example"
#define HUB_API   "api-version=2021-04-12"
#define ARM_API   "api-version=2026-03-01-preview"
#define NS_PATH   "/arm/subscriptions/" SUB "/resourceGroups/" RG \
                  "/providers/Microsoft.DeviceRegistry/namespaces/" NS

typedef struct
{
  CbTestSandbox *ts;
  char          *ns_id;
  char          *policy_id;
  char          *dir;          /* key and chain files */
  guint16        port;
} Fixture;

typedef struct
{
  char   *id;
  char   *key_pem;
  char   *chain_pem;           /* leaf + issuing CA */
  char   *key_file;
  char   *chain_file;
} Device;

static void
device_free (Device *d)
{
  if (d == NULL)
    return;
  g_free (d->id);
  g_free (d->key_pem);
  g_free (d->chain_pem);
  g_free (d->key_file);
  g_free (d->chain_file);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Device, device_free)

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  CbSandbox *sb;
  g_autoptr(GError) error = NULL;

  f->ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  sb = f->ts->sandbox;
  f->ns_id = cb_sb_namespace_id (SUB, RG, NS);
  f->policy_id = cb_sb_policy_id (f->ns_id, POLICY);
  f->port = cb_sandbox_get_mqtt_port (sb);
  g_assert_cmpuint (f->port, >, 0);
  f->dir = g_build_filename (f->ts->data_dir, "devices", NULL);
  g_mkdir_with_parents (f->dir, 0700);

  cb_sb_lock (sb);
  cb_sb_adr_create_namespace (sb, SUB, RG, NS, "westeurope", &error);
  g_assert_no_error (error);
  cb_sb_adr_create_credential (sb, f->ns_id, &error);
  g_assert_no_error (error);
  cb_sb_adr_create_policy (sb, f->ns_id, POLICY, 30, FALSE, &error);
  g_assert_no_error (error);
  cb_sb_create_hub (sb, SUB, RG, HUB, f->ns_id, &error);
  g_assert_no_error (error);
  cb_sb_adr_synchronize (sb, f->ns_id, &error);
  g_assert_no_error (error);
  cb_sb_unlock (sb);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->ts, cb_test_sandbox_free);
  g_free (f->ns_id);
  g_free (f->policy_id);
  g_free (f->dir);
}

/* ---- Devices ----------------------------------------------------------------------------- */

static char *
chain_to_pem (GPtrArray *chain,
              guint      n)
{
  GString *pem = g_string_new (NULL);

  for (guint i = 0; i < MIN (n, chain->len); i++)
    {
      g_autoptr(CbCertificate) cert = cb_certificate_new_from_der (g_ptr_array_index (chain, i),
                                                                  NULL);
      g_autofree char *one = cb_certificate_to_pem (cert);
      g_string_append (pem, one);
    }
  return g_string_free (pem, FALSE);
}

static void
device_write_files (Fixture *f,
                    Device  *d)
{
  g_autoptr(GError) error = NULL;

  d->key_file = g_strdup_printf ("%s/%s.key", f->dir, d->id);
  d->chain_file = g_strdup_printf ("%s/%s.pem", f->dir, d->id);
  g_file_set_contents (d->key_file, d->key_pem, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (d->chain_file, d->chain_pem, -1, &error);
  g_assert_no_error (error);
}

/* Registers device `id` in ADR and the hub and issues it a leaf for a CSR with common name
 * `cn` (normally the id), as DPS does. */
static Device *
make_device_cn (Fixture    *f,
                const char *id,
                const char *cn)
{
  CbSandbox *sb = f->ts->sandbox;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  Device *d = g_new0 (Device, 1);

  g_assert_no_error (error);
  csr = cb_csr_create (key, cn, &error);
  g_assert_no_error (error);

  cb_sb_lock (sb);
  cb_sb_adr_ensure_device (sb, f->ns_id, cn, f->policy_id, &error);
  g_assert_no_error (error);
  cb_sb_hub_ensure_device (sb, HUB, cn, &error);
  g_assert_no_error (error);
  if (!g_str_equal (id, cn))
    {
      cb_sb_adr_ensure_device (sb, f->ns_id, id, f->policy_id, &error);
      g_assert_no_error (error);
      cb_sb_hub_ensure_device (sb, HUB, id, &error);
      g_assert_no_error (error);
    }
  chain = cb_sb_ca_issue_leaf (sb, f->policy_id, cn, csr, &error);
  cb_sb_unlock (sb);
  g_assert_no_error (error);
  g_assert_cmpuint (chain->len, ==, 3);

  d->id = g_strdup (id);
  d->key_pem = cb_key_to_pem (key, &error);
  g_assert_no_error (error);
  d->chain_pem = chain_to_pem (chain, 2);
  device_write_files (f, d);
  return d;
}

static Device *
make_device (Fixture    *f,
             const char *id)
{
  return make_device_cn (f, id, id);
}

/* A device the hub knows, with a certificate from a CA the hub has never seen. */
static Device *
make_foreign_device (Fixture    *f,
                     const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) ca_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) ca_spki = cb_key_get_public_key_der (ca_key);
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
  g_autoptr(GBytes) ca_der = NULL;
  g_autoptr(GBytes) leaf_der = NULL;
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree char *subject = g_strdup_printf ("CN=%s", id);
  const char * const eku[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile ca = { 0 };
  CbCertProfile leaf = { 0 };
  Device *d = g_new0 (Device, 1);

  ca.subject_dn = "CN=Somebody Else's CA";
  ca.not_before = now - 3600;
  ca.not_after = now + 86400 * 30;
  ca.is_ca = TRUE;
  ca.path_len = 0;
  ca.key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN;
  ca_der = cb_cert_issue (&ca, ca_spki, ca_key, NULL, &error);
  g_assert_no_error (error);

  leaf.subject_dn = subject;
  leaf.not_before = now - 3600;
  leaf.not_after = now + 86400 * 7;
  leaf.path_len = -1;
  leaf.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE;
  leaf.ext_key_usage = eku;
  leaf_der = cb_cert_issue (&leaf, spki, ca_key, ca_der, &error);
  g_assert_no_error (error);

  cb_sb_lock (f->ts->sandbox);
  cb_sb_hub_ensure_device (f->ts->sandbox, HUB, id, &error);
  cb_sb_unlock (f->ts->sandbox);
  g_assert_no_error (error);

  g_ptr_array_add (chain, g_bytes_ref (leaf_der));
  g_ptr_array_add (chain, g_bytes_ref (ca_der));
  d->id = g_strdup (id);
  d->key_pem = cb_key_to_pem (key, &error);
  g_assert_no_error (error);
  d->chain_pem = chain_to_pem (chain, 2);
  device_write_files (f, d);
  return d;
}

/* ---- A raw MQTT client over GIO TLS, with our codec ------------------------------------- */

typedef struct
{
  GSocketConnection *base;
  GIOStream         *tls;         /* NULL for a plain TCP client */
  CbMqttDecoder     *decoder;
  gboolean           closed;
} Raw;

static void
raw_free (Raw *r)
{
  if (r == NULL)
    return;
  if (r->base != NULL)
    g_io_stream_close (G_IO_STREAM (r->base), NULL, NULL);
  g_clear_object (&r->tls);
  g_clear_object (&r->base);
  g_clear_pointer (&r->decoder, cb_mqtt_decoder_free);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)

static Raw *
raw_tcp (Fixture *f)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  Raw *r = g_new0 (Raw, 1);

  r->base = g_socket_client_connect_to_host (client, "127.0.0.1", f->port, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (r->base), 10);
  g_socket_set_option (g_socket_connection_get_socket (r->base), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  r->decoder = cb_mqtt_decoder_new (0);
  return r;
}

/* TLS pinned to the sandbox CA, presenting device d (or nothing). */
static Raw *
raw_tls (Fixture *f,
         Device  *d)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (cb_sandbox_get_ca_file (f->ts->sandbox),
                                                        &error);
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("127.0.0.1", f->port);
  Raw *r = raw_tcp (f);

  g_assert_no_error (error);
  /* The database at construction spares loading the system trust store per connection. */
  r->tls = g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                           NULL, &error, "base-io-stream", r->base, "server-identity", identity,
                           "database", db, NULL);
  g_assert_no_error (error);
  if (d != NULL)
    {
      g_autofree char *both = g_strconcat (d->chain_pem, d->key_pem, NULL);
      g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_pem (both, -1, &error);

      g_assert_no_error (error);
      g_tls_connection_set_certificate (G_TLS_CONNECTION (r->tls), cert);
    }
  g_tls_connection_handshake (G_TLS_CONNECTION (r->tls), NULL, &error);
  g_assert_no_error (error);
  return r;
}

static GIOStream *
raw_stream (Raw *r)
{
  return r->tls != NULL ? r->tls : G_IO_STREAM (r->base);
}

static gboolean
raw_write (Raw          *r,
           const void   *data,
           gsize         len)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (raw_stream (r)), data, len,
                                    NULL, NULL, NULL);
}

static gboolean
raw_send (Raw    *r,
          GBytes *bytes)
{
  gboolean ok = raw_write (r, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  g_bytes_unref (bytes);
  return ok;
}

/* The next packet; NULL when the server closed the connection (sets closed) or after
 * timeout_ms without one. */
static CbMqttPacket *
raw_recv (Raw   *r,
          guint  timeout_ms)
{
  GSocket *socket = g_socket_connection_get_socket (r->base);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      CbMqttPacket *p = cb_mqtt_decoder_next (r->decoder, &error);
      guint8 buf[4096];
      gssize n;
      gint64 left;

      g_assert_no_error (error);
      if (p != NULL)
        return p;
      if (r->closed)
        return NULL;

      left = deadline - g_get_monotonic_time ();
      if (left <= 0)
        return NULL;
      g_socket_set_timeout (socket, MAX (1, (guint) ((left + 999999) / 1000000)));
      /* Pending TLS data need no poll; otherwise wait at most what is left. */
      if (r->tls == NULL || !g_pollable_input_stream_is_readable (
            G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (r->tls))))
        {
          if (!g_socket_condition_timed_wait (socket, G_IO_IN, left, NULL, NULL))
            return NULL;
        }
      n = g_input_stream_read (g_io_stream_get_input_stream (raw_stream (r)), buf, sizeof buf,
                               NULL, &error);
      if (n <= 0)
        {
          r->closed = TRUE;
          return NULL;
        }
      cb_mqtt_decoder_feed (r->decoder, buf, n);
    }
}

/* TRUE when the server closes the connection within timeout_ms (packets before are dropped). */
static gboolean
raw_wait_closed (Raw   *r,
                 guint  timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!r->closed && g_get_monotonic_time () < deadline)
    {
      g_autoptr(CbMqttPacket) p = raw_recv (r, 200);
    }
  return r->closed;
}

static char *
username_for (const char *host,
              const char *id)
{
  return g_strdup_printf ("%s/%s/?api-version=2025-08-01-preview", host, id);
}

/* Sends CONNECT, returns the CONNACK code or -1 when the connection closed without one. */
static int
raw_mqtt_connect_full (Raw        *r,
                       const char *client_id,
                       const char *username,
                       guint8      level,
                       guint16     keep_alive)
{
  g_autoptr(CbMqttPacket) connect = cb_mqtt_packet_new (CB_MQTT_CONNECT);
  g_autoptr(CbMqttPacket) ack = NULL;

  connect->client_id = g_strdup (client_id);
  connect->username = g_strdup (username);
  connect->protocol_level = level;
  connect->keep_alive = keep_alive;
  connect->clean_session = TRUE;
  g_assert_true (raw_send (r, cb_mqtt_packet_encode (connect, NULL)));

  ack = raw_recv (r, 5000);
  if (ack == NULL)
    return -1;
  g_assert_cmpint (ack->type, ==, CB_MQTT_CONNACK);
  return ack->return_code;
}

static int
raw_mqtt_connect (Raw        *r,
                  const char *id)
{
  g_autofree char *user = username_for (HUB_HOST, id);

  return raw_mqtt_connect_full (r, id, user, 4, 60);
}

/* A connected device client. */
static Raw *
device_connect (Fixture *f,
                Device  *d)
{
  Raw *r = raw_tls (f, d);

  g_assert_cmpint (raw_mqtt_connect (r, d->id), ==, 0);
  return r;
}

static void
raw_subscribe (Raw         *r,
               const char  *filter,
               guint8       expected_code)
{
  g_autoptr(CbMqttPacket) sub = cb_mqtt_packet_new (CB_MQTT_SUBSCRIBE);
  g_autoptr(CbMqttPacket) ack = NULL;

  sub->packet_id = 11;
  sub->filters = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (sub->filters, g_strdup (filter));
  sub->codes = g_byte_array_new ();
  g_byte_array_append (sub->codes, (const guint8[]) { 1 }, 1);
  g_assert_true (raw_send (r, cb_mqtt_packet_encode (sub, NULL)));

  ack = raw_recv (r, 5000);
  g_assert_nonnull (ack);
  g_assert_cmpint (ack->type, ==, CB_MQTT_SUBACK);
  g_assert_cmpuint (ack->packet_id, ==, 11);
  g_assert_cmpuint (ack->codes->len, ==, 1);
  g_assert_cmpuint (ack->codes->data[0], ==, expected_code);
}

static void
raw_publish (Raw        *r,
             const char *topic,
             const char *payload)
{
  g_assert_true (raw_send (r, cb_mqtt_encode_publish (topic, payload,
                                                      payload ? strlen (payload) : 0, 0, 0)));
}

/* The next PUBLISH whose topic starts with prefix (others are skipped); NULL on timeout. */
static CbMqttPacket *
raw_expect_publish (Raw        *r,
                    const char *prefix,
                    guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      CbMqttPacket *p = raw_recv (r, MAX (1, (guint) left));

      if (p == NULL)
        {
          if (r->closed)
            return NULL;
          continue;
        }
      if (p->type == CB_MQTT_PUBLISH && g_str_has_prefix (p->topic, prefix))
        return p;
      g_test_message ("skipped %s %s", cb_mqtt_type_to_string (p->type), p->topic ? p->topic : "");
      cb_mqtt_packet_free (p);
    }
  return NULL;
}

static JsonNode *
payload_json (CbMqttPacket *p)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (p->payload, NULL),
                                     g_bytes_get_size (p->payload));
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_test_message ("%s %s", p->topic, text);
  return node;
}

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

/* ---- HTTP helpers ------------------------------------------------------------------------ */

static char *
hub_sas (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  char *token;

  cb_sb_lock (f->ts->sandbox);
  key = cb_sb_dup_hub_key (f->ts->sandbox, HUB, "iothubowner");
  cb_sb_unlock (f->ts->sandbox);
  g_assert_nonnull (key);
  token = cb_sas_token_new (HUB_HOST, key, "iothubowner", g_get_real_time () / G_USEC_PER_SEC + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

static JsonNode *
get_connection (Fixture    *f,
                const char *id,
                guint       expected_status)
{
  g_autofree char *path = g_strdup_printf ("/sandbox/hubs/%s/devices/%s/connection", HUB, id);
  JsonNode *json = NULL;

  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", path, NULL, NULL, &json, NULL),
                    ==, expected_status);
  return json;
}

/* The last attempt's verdict, checking the report's shape on the way. */
static void
assert_last_attempt (Fixture    *f,
                     const char *id,
                     const char *verdict)
{
  g_autoptr(JsonNode) report = get_connection (f, id, 200);
  JsonNode *attempts = jget (report, "attempts");
  const char *reason = jstr (report, "lastAttempt.reason");

  g_test_message ("%s: %s (%s)", id, jstr (report, "lastAttempt.verdict"), reason);
  g_assert_cmpstr (jstr (report, "deviceId"), ==, id);
  g_assert_cmpstr (jstr (report, "lastAttempt.verdict"), ==, verdict);
  g_assert_cmpint (json_node_get_boolean (jget (report, "lastAttempt.accepted")), ==,
                   g_str_equal (verdict, "accepted"));
  g_assert_nonnull (reason);
  g_assert_cmpuint (strlen (reason), >, 10);
  g_assert_nonnull (jstr (report, "lastAttempt.time"));
  g_assert_nonnull (attempts);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (attempts));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (attempts)), >=, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_node_get_array (attempts), 0), "verdict"), ==, verdict);
}

static void
assert_refused (Fixture    *f,
                Device     *d,
                const char *verdict)
{
  g_autoptr(Raw) r = raw_tls (f, d);

  g_assert_cmpint (raw_mqtt_connect (r, d->id), ==, CB_MQTT_CONNACK_NOT_AUTHORIZED);
  g_assert_true (raw_wait_closed (r, 5000));
  assert_last_attempt (f, d->id, verdict);
}

static const char *
connection_state (Fixture    *f,
                  const char *id,
                  JsonNode  **keep)
{
  *keep = get_connection (f, id, 200);
  return jstr (*keep, "connectionState");
}

/* Waits until the connection endpoint shows state (the server handles a close a moment after
 * the client sees it). */
static void
wait_state (Fixture    *f,
            const char *id,
            const char *state)
{
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(JsonNode) report = NULL;

      if (g_strcmp0 (connection_state (f, id, &report), state) == 0)
        return;
      g_usleep (50 * 1000);
    }
  g_error ("%s never became %s", id, state);
}

static char *
owner_token (Fixture *f)
{
  return cb_test_sandbox_token (f->ts, OWNER, CB_SB_ROLE_OWNER, "/subscriptions/" SUB,
                                CB_SB_AUD_ARM);
}

/* ARM device revoke; the operation completes after the test sandbox's 50 ms LRO delay and is
 * applied by the next request that reads ADR state (here: a GET of the device). */
static void
arm_revoke (Fixture    *f,
            const char *id)
{
  g_autofree char *token = owner_token (f);
  g_autofree char *path = g_strdup_printf (NS_PATH "/devices/%s/revoke?" ARM_API, id);
  g_autofree char *get = g_strdup_printf (NS_PATH "/devices/%s?" ARM_API, id);

  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", path, token, NULL,
                                             "{\"disable\": false}", NULL, NULL), ==, 202);
  g_usleep (150 * 1000);
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "GET", get, token, NULL, NULL, NULL, NULL),
                    ==, 200);
}

/* ---- Connect ----------------------------------------------------------------------------- */

static void
test_connect_verdicts (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(Device) good = make_device (f, "good-01");
  g_autoptr(Device) revoked = make_device (f, "revoked-01");
  g_autoptr(Device) disabled = make_device (f, "disabled-01");
  g_autoptr(Device) foreign = make_foreign_device (f, "foreign-01");
  g_autoptr(Device) wrong_cn = make_device_cn (f, "wrongcn-01", "wrongcn-other");
  g_autoptr(Raw) r = NULL;
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(JsonNode) hub_device = NULL;
  g_autoptr(JsonNode) twin = NULL;
  g_autofree char *sas = hub_sas (f);
  g_autoptr(GError) error = NULL;

  /* The valid device connects, and the hub REST API sees it connected. */
  r = device_connect (f, good);
  assert_last_attempt (f, good->id, "accepted");
  g_assert_cmpstr (connection_state (f, good->id, &report), ==, "Connected");
  g_assert_nonnull (jstr (report, "lastActivityTime"));
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" HUB "/devices/good-01?"
                                                  HUB_API, sas, NULL, &hub_device, NULL), ==, 200);
  g_assert_cmpstr (jstr (hub_device, "connectionState"), ==, "Connected");
  g_assert_false (g_str_has_prefix (jstr (hub_device, "connectionStateUpdatedTime"), "0001"));
  g_assert_false (g_str_has_prefix (jstr (hub_device, "lastActivityTime"), "0001"));
  g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" HUB "/twins/good-01?"
                                                  HUB_API, sas, NULL, &twin, NULL), ==, 200);
  g_assert_cmpstr (jstr (twin, "connectionState"), ==, "Connected");

  /* Revoked after issuing: the old identifier is refused. */
  arm_revoke (f, revoked->id);
  assert_refused (f, revoked, "revoked-identifier");

  /* A disabled hub identity. */
  cb_sb_hub_set_device_enabled (f->ts->sandbox, HUB, disabled->id, FALSE, &error);
  g_assert_no_error (error);
  assert_refused (f, disabled, "device-disabled");

  /* A certificate from a CA the hub does not trust. */
  assert_refused (f, foreign, "unknown-issuer");

  /* A valid certificate of another device. */
  assert_refused (f, wrong_cn, "wrong-name");

  /* The valid device was never disturbed. */
  raw_publish (r, "$iothub/twin/GET/?$rid=1", NULL);
  g_assert_false (r->closed);
  assert_last_attempt (f, good->id, "accepted");
}

static void
test_connect_mqtt_refusals (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "dev-01");
  g_autoptr(Device) other = make_device (f, "dev-02");

  /* The user name names another device than the client id. */
  {
    g_autoptr(Raw) r = raw_tls (f, d);
    g_autofree char *user = username_for (HUB_HOST, "dev-02");

    g_assert_cmpint (raw_mqtt_connect_full (r, d->id, user, 4, 60), ==, 5);
    g_assert_true (raw_wait_closed (r, 5000));
    assert_last_attempt (f, d->id, "bad-username");
  }
  /* A user name without the api-version. */
  {
    g_autoptr(Raw) r = raw_tls (f, d);

    g_assert_cmpint (raw_mqtt_connect_full (r, d->id, HUB_HOST "/dev-01/", 4, 60), ==, 5);
    assert_last_attempt (f, d->id, "bad-username");
  }
  /* No client certificate at all. */
  {
    g_autoptr(Raw) r = raw_tls (f, NULL);

    g_assert_cmpint (raw_mqtt_connect (r, d->id), ==, 5);
    assert_last_attempt (f, d->id, "no-certificate");
  }
  /* An unknown hub: refused, nothing to attribute it to. */
  {
    g_autoptr(Raw) r = raw_tls (f, d);
    g_autofree char *user = username_for ("nohub.azure-devices.net", d->id);

    g_assert_cmpint (raw_mqtt_connect_full (r, d->id, user, 4, 60), ==, 5);
  }
  /* MQTT 3.1 (level 3): CONNACK 1. */
  {
    g_autoptr(CbMqttPacket) connect = cb_mqtt_packet_new (CB_MQTT_CONNECT);
    g_autoptr(Raw) r = raw_tls (f, d);
    g_autoptr(CbMqttPacket) ack = NULL;

    connect->protocol_name = g_strdup ("MQIsdp");
    connect->protocol_level = 3;
    connect->client_id = g_strdup (d->id);
    connect->username = username_for (HUB_HOST, d->id);
    g_assert_true (raw_send (r, cb_mqtt_packet_encode (connect, NULL)));
    ack = raw_recv (r, 5000);
    g_assert_nonnull (ack);
    g_assert_cmpuint (ack->return_code, ==, CB_MQTT_CONNACK_BAD_PROTOCOL);
  }
  /* The bare hub name is accepted as the host, in any case. */
  {
    g_autoptr(Raw) r = raw_tls (f, d);
    g_autofree char *user = username_for ("HUB-MQTT", d->id);

    g_assert_cmpint (raw_mqtt_connect_full (r, d->id, user, 4, 60), ==, 0);
  }
  /* An unknown device: 404 from the connection endpoint. */
  {
    g_autoptr(JsonNode) missing = get_connection (f, "nobody", 404);
  }
  /* Another device's report has none of these attempts. */
  {
    g_autoptr(JsonNode) report = get_connection (f, other->id, 200);

    g_assert_true (JSON_NODE_HOLDS_NULL (jget (report, "lastAttempt")));
    g_assert_cmpstr (jstr (report, "connectionState"), ==, "Disconnected");
  }
}

static void
test_connect_expired (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "old-01");

  /* 31 days on: past the 30-day leaf. */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"advanceSeconds\": 2678400}", NULL, NULL), ==, 200);
  assert_refused (f, d, "expired");
}

/* The issue's story: a connected device is revoked; its connection drops and the next one is
 * refused with the reason. */
static void
test_revoke_drops_live_connection (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "live-01");
  g_autoptr(Device) bystander = make_device (f, "live-02");
  g_autoptr(Raw) r = device_connect (f, d);
  g_autoptr(Raw) other = device_connect (f, bystander);
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(GError) error = NULL;

  arm_revoke (f, d->id);
  g_assert_true (raw_wait_closed (r, 5000));
  wait_state (f, d->id, "Disconnected");
  assert_refused (f, d, "revoked-identifier");
  g_assert_true (strstr (jstr (report = get_connection (f, d->id, 200), "lastAttempt.reason"),
                         "revoked") != NULL);

  /* Disabling the hub identity drops the other one. */
  cb_sb_hub_set_device_enabled (f->ts->sandbox, HUB, bystander->id, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (raw_wait_closed (other, 5000));
}

/* revokeIssuer drops every live connection whose leaf that issuer signed; deleting the hub
 * identity drops its connection too. */
static void
test_revoke_issuer_drops_connections (Fixture       *f,
                                      gconstpointer  data)
{
  g_autoptr(Device) a = make_device (f, "issuer-01");
  g_autoptr(Device) b = make_device (f, "issuer-02");
  g_autoptr(Device) c = make_device (f, "issuer-03");
  g_autoptr(Raw) ra = device_connect (f, a);
  g_autoptr(Raw) rb = device_connect (f, b);
  g_autoptr(Raw) rc = device_connect (f, c);
  g_autofree char *token = owner_token (f);
  g_autofree char *sas = hub_sas (f);

  /* Deleting the hub identity (unconditionally: If-Match *). */
  {
    g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (f->ts->sandbox),
                                        "/hubs/" HUB "/devices/issuer-03?" HUB_API, NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("DELETE", url);
    g_autoptr(GBytes) reply = NULL;
    g_autoptr(GError) error = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", sas);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "If-Match", "*");
    reply = soup_session_send_and_read (f->ts->session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 204);
  }
  g_assert_true (raw_wait_closed (rc, 5000));
  g_assert_false (ra->closed);

  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", NS_PATH "/credentials/default/policies/"
                                             POLICY "/revokeIssuer?" ARM_API, token, NULL, NULL,
                                             NULL, NULL), ==, 202);
  g_usleep (150 * 1000);
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "GET", NS_PATH "/credentials/default/policies/"
                                             POLICY "?" ARM_API, token, NULL, NULL, NULL, NULL),
                    ==, 200);
  g_assert_true (raw_wait_closed (ra, 5000));
  g_assert_true (raw_wait_closed (rb, 5000));
  assert_refused (f, a, "revoked-issuer");
}

/* ---- Twin -------------------------------------------------------------------------------- */

static void
test_twin (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "twin-01");
  g_autoptr(Raw) r = device_connect (f, d);
  g_autofree char *sas = hub_sas (f);
  const char *patch = "{\"certificate\": {\"validFrom\": \"2026-03-01T00:00:00Z\", "
                      "\"validUntil\": \"2026-03-31T00:00:00Z\"}, \"fw\": \"1.2\"}";

  raw_subscribe (r, "$iothub/twin/res/#", 1);

  /* PATCH reported (QoS 1: PUBACK first), then 204 with the new $version. */
  {
    g_autoptr(CbMqttPacket) ack = NULL;
    g_autoptr(CbMqttPacket) res = NULL;

    g_assert_true (raw_send (r, cb_mqtt_encode_publish (
                               "$iothub/twin/PATCH/properties/reported/?$rid=p1", patch,
                               strlen (patch), 1, 42)));
    ack = raw_recv (r, 5000);
    g_assert_nonnull (ack);
    g_assert_cmpint (ack->type, ==, CB_MQTT_PUBACK);
    g_assert_cmpuint (ack->packet_id, ==, 42);
    res = raw_expect_publish (r, "$iothub/twin/res/", 5000);
    g_assert_nonnull (res);
    g_assert_cmpstr (res->topic, ==, "$iothub/twin/res/204/?$rid=p1&$version=2");
    g_assert_cmpuint (res->qos, ==, 0);
  }

  /* GET: desired and reported with their $version. */
  {
    g_autoptr(CbMqttPacket) res = NULL;
    g_autoptr(JsonNode) doc = NULL;

    raw_publish (r, "$iothub/twin/GET/?$rid=g1", NULL);
    res = raw_expect_publish (r, "$iothub/twin/res/", 5000);
    g_assert_nonnull (res);
    g_assert_cmpstr (res->topic, ==, "$iothub/twin/res/200/?$rid=g1");
    doc = payload_json (res);
    g_assert_cmpstr (jstr (doc, "reported.certificate.validUntil"), ==, "2026-03-31T00:00:00Z");
    g_assert_cmpint (jint (doc, "reported.$version"), ==, 2);
    g_assert_cmpint (jint (doc, "desired.$version"), ==, 1);
    g_assert_null (jget (doc, "reported.$metadata"));
  }

  /* A patch that is not an object: 400. */
  {
    g_autoptr(CbMqttPacket) res = NULL;

    raw_publish (r, "$iothub/twin/PATCH/properties/reported/?$rid=p2", "[1, 2]");
    res = raw_expect_publish (r, "$iothub/twin/res/", 5000);
    g_assert_nonnull (res);
    g_assert_cmpstr (res->topic, ==, "$iothub/twin/res/400/?$rid=p2");
  }

  /* The service side sees the reported values: twin and query. */
  {
    g_autoptr(JsonNode) twin = NULL;
    g_autoptr(JsonNode) rows = NULL;
    JsonArray *array;

    g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" HUB "/twins/twin-01?"
                                                    HUB_API, sas, NULL, &twin, NULL), ==, 200);
    g_assert_cmpstr (jstr (twin, "properties.reported.certificate.validFrom"), ==,
                     "2026-03-01T00:00:00Z");
    g_assert_cmpstr (jstr (twin, "properties.reported.fw"), ==, "1.2");
    g_assert_cmpstr (jstr (twin, "connectionState"), ==, "Connected");

    g_assert_cmpuint (cb_test_sandbox_request_json (
                        f->ts, "POST", "/hubs/" HUB "/devices/query?" HUB_API, sas,
                        "{\"query\": \"SELECT deviceId, properties.reported.certificate.validUntil "
                        "AS validUntil FROM devices WHERE properties.reported.certificate.validUntil "
                        "< '2026-05-01T00:00:00Z'\"}", &rows, NULL), ==, 200);
    g_assert_true (JSON_NODE_HOLDS_ARRAY (rows));
    array = json_node_get_array (rows);
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0),
                                                    "deviceId"), ==, "twin-01");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0),
                                                    "validUntil"), ==, "2026-03-31T00:00:00Z");
    g_clear_pointer (&rows, json_node_unref);

    /* The fleet counts connected devices this way. */
    g_assert_cmpuint (cb_test_sandbox_request_json (
                        f->ts, "POST", "/hubs/" HUB "/devices/query?" HUB_API, sas,
                        "{\"query\": \"SELECT COUNT() AS n FROM devices WHERE "
                        "connectionState = 'Connected'\"}", &rows, NULL), ==, 200);
    array = json_node_get_array (rows);
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (array, 0), "n"),
                     ==, 1);
  }

  /* Desired properties reach a subscribed device. */
  {
    g_autoptr(CbMqttPacket) note = NULL;
    g_autoptr(JsonNode) doc = NULL;

    raw_subscribe (r, "$iothub/twin/PATCH/properties/desired/#", 1);
    g_assert_cmpuint (cb_test_sandbox_request (f->ts, "PATCH", "/hubs/" HUB "/twins/twin-01?"
                                               HUB_API, sas, NULL,
                                               "{\"properties\": {\"desired\": {\"interval\": 30}}}",
                                               NULL, NULL), ==, 200);
    note = raw_expect_publish (r, "$iothub/twin/PATCH/properties/desired/", 5000);
    g_assert_nonnull (note);
    g_assert_cmpstr (note->topic, ==, "$iothub/twin/PATCH/properties/desired/?$version=2");
    doc = payload_json (note);
    g_assert_cmpint (jint (doc, "interval"), ==, 30);
    g_assert_cmpint (jint (doc, "$version"), ==, 2);
  }
}

/* ---- Renewal ----------------------------------------------------------------------------- */

static char *
renewal_body (const char *id,
              const char *cn,
              const char *replace,
              CbKey     **out_key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
  g_autoptr(GBytes) csr = cb_csr_create (key, cn, &error);
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (csr, NULL), g_bytes_get_size (csr));
  g_autofree char *replace_member = replace ? g_strdup_printf (", \"replace\": \"%s\"", replace)
                                            : g_strdup ("");

  g_assert_no_error (error);
  if (out_key != NULL)
    *out_key = g_steal_pointer (&key);
  return g_strdup_printf ("{\"id\": \"%s\", \"csr\": \"%s\"%s}", id, b64, replace_member);
}

/* Publishes a request and returns the response for its rid (status in *status). */
static JsonNode *
renew (Raw        *r,
       const char *rid,
       const char *body,
       guint      *status)
{
  g_autofree char *topic = g_strdup_printf ("$iothub/credentials/POST/issueCertificate/?$rid=%s",
                                            rid);
  g_autofree char *suffix = g_strdup_printf ("/?$rid=%s", rid);
  g_autoptr(CbMqttPacket) res = NULL;

  raw_publish (r, topic, body);
  res = raw_expect_publish (r, "$iothub/credentials/res/", 5000);
  g_assert_nonnull (res);
  g_assert_true (g_str_has_suffix (res->topic, suffix));
  *status = (guint) g_ascii_strtoull (res->topic + strlen ("$iothub/credentials/res/"), NULL, 10);
  return payload_json (res);
}

static void
assert_renewal_error (JsonNode   *reply,
                      guint       status,
                      guint       expected_status,
                      gint64      expected_code)
{
  g_assert_cmpuint (status, ==, expected_status);
  g_assert_cmpint (jint (reply, "errorCode"), ==, expected_code);
  g_assert_nonnull (jstr (reply, "message"));
  g_assert_nonnull (jstr (reply, "trackingId"));
  g_assert_nonnull (jstr (reply, "timestampUtc"));
}

static void
test_renewal (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "renew-01");
  g_autoptr(Raw) r = device_connect (f, d);
  g_autoptr(CbKey) new_key = NULL;
  g_autoptr(JsonNode) accepted = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autofree char *body = renewal_body (d->id, d->id, NULL, &new_key);
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbMqttPacket) final = NULL;
  g_autoptr(Device) renewed = g_new0 (Device, 1);
  g_autofree char *leaf_key = NULL;
  g_autofree char *correlation = NULL;
  gint64 expires = 0;
  guint status = 0;

  raw_subscribe (r, "$iothub/credentials/res/#", 1);

  accepted = renew (r, "ren1", body, &status);
  g_assert_cmpuint (status, ==, 202);
  g_assert_nonnull (jstr (accepted, "correlationId"));
  g_assert_true (cb_time_parse_iso8601 (jstr (accepted, "operationExpires"), &expires));
  g_assert_cmpint (ABS (expires - (g_get_real_time () / G_USEC_PER_SEC + 3600)), <, 120);

  final = raw_expect_publish (r, "$iothub/credentials/res/200/?$rid=ren1", 5000);
  g_assert_nonnull (final);
  done = payload_json (final);
  g_assert_cmpstr (jstr (done, "correlationId"), ==, jstr (accepted, "correlationId"));
  /* The default shape, {"correlationId", "certificates"}, as the station reads it. */
  chain = cb_renewal_result_parse (g_bytes_get_data (final->payload, NULL),
                                   g_bytes_get_size (final->payload), &correlation, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (correlation, ==, jstr (accepted, "correlationId"));
  g_assert_cmpuint (chain->len, ==, 3);

  /* Leaf first, CN = device id, the new key, and the chain verifies to the root. */
  g_assert_cmpstr (cb_certificate_get_common_name (chain->pdata[0]), ==, d->id);
  {
    g_autoptr(GBytes) leaf_spki = cb_certificate_get_public_key_der (chain->pdata[0]);
    g_autoptr(GBytes) new_spki = cb_key_get_public_key_der (new_key);

    g_assert_true (g_bytes_equal (leaf_spki, new_spki));
  }
  g_assert_true (cb_certificate_is_issued_by (chain->pdata[0], chain->pdata[1]));
  g_assert_true (cb_certificate_is_issued_by (chain->pdata[1], chain->pdata[2]));

  /* The new certificate is accepted: its identifier is the device's current one. */
  renewed->id = g_strdup (d->id);
  renewed->key_pem = cb_key_to_pem (new_key, &error);
  g_assert_no_error (error);
  {
    g_autofree char *leaf = cb_certificate_to_pem (chain->pdata[0]);
    g_autofree char *ica = cb_certificate_to_pem (chain->pdata[1]);

    renewed->chain_pem = g_strconcat (leaf, ica, NULL);
  }
  {
    g_autoptr(Raw) again = device_connect (f, renewed);

    /* ... and it replaced the first connection. */
    g_assert_true (raw_wait_closed (r, 5000));
  }
  assert_last_attempt (f, d->id, "accepted");
}

static void
test_renewal_conflicts (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "renew-02");
  g_autoptr(Raw) r = device_connect (f, d);
  g_autofree char *first = renewal_body (d->id, d->id, NULL, NULL);
  g_autofree char *second = renewal_body (d->id, d->id, NULL, NULL);
  g_autofree char *wrong_replace = renewal_body (d->id, d->id, "nomatch-1", NULL);
  g_autofree char *replace = renewal_body (d->id, d->id, "ren-a", NULL);
  guint status = 0;

  raw_subscribe (r, "$iothub/credentials/res/#", 1);

  /* A long pending operation, so the second request meets it. */
  cb_sb_mqtt_set_renewal_delay_ms (f->ts->sandbox, 5000);
  {
    g_autoptr(JsonNode) reply = renew (r, "ren-a", first, &status);
    g_assert_cmpuint (status, ==, 202);
  }
  {
    g_autoptr(JsonNode) reply = renew (r, "ren-b", second, &status);

    assert_renewal_error (reply, status, 409, 409005);
    g_assert_cmpstr (jstr (reply, "info.requestId"), ==, "ren-a");
    g_assert_nonnull (jstr (reply, "info.operationExpires"));
    g_assert_nonnull (jstr (reply, "info.correlationId"));
  }
  {
    g_autoptr(JsonNode) reply = renew (r, "ren-c", wrong_replace, &status);

    assert_renewal_error (reply, status, 412, 412001);
    g_assert_cmpstr (jstr (reply, "info.requestId"), ==, "nomatch-1");
  }

  /* replace names the active one: it is cancelled, the new one completes. */
  cb_sb_mqtt_set_renewal_delay_ms (f->ts->sandbox, 100);
  {
    g_autoptr(JsonNode) reply = renew (r, "ren-d", replace, &status);
    g_autoptr(CbMqttPacket) final = NULL;

    g_assert_cmpuint (status, ==, 202);
    final = raw_expect_publish (r, "$iothub/credentials/res/", 5000);
    g_assert_nonnull (final);
    g_assert_cmpstr (final->topic, ==, "$iothub/credentials/res/200/?$rid=ren-d");
  }
  /* Nothing active any more: an exact replace is 412, "*" is fine. */
  {
    g_autofree char *exact = renewal_body (d->id, d->id, "ren-d", NULL);
    g_autofree char *star = renewal_body (d->id, d->id, "*", NULL);
    g_autoptr(JsonNode) reply = renew (r, "ren-e", exact, &status);
    g_autoptr(JsonNode) ok = NULL;
    g_autoptr(CbMqttPacket) final = NULL;

    assert_renewal_error (reply, status, 412, 412001);
    ok = renew (r, "ren-f", star, &status);
    g_assert_cmpuint (status, ==, 202);
    final = raw_expect_publish (r, "$iothub/credentials/res/200/?$rid=ren-f", 5000);
    g_assert_nonnull (final);
  }
  /* The A operation never answers after being replaced. */
  {
    g_autoptr(CbMqttPacket) late = raw_expect_publish (r, "$iothub/credentials/res/", 500);

    g_assert_null (late);
  }
}

/* JSON nested deeper than CB_JSON_MAX_DEPTH in a twin patch or a renewal request: a 400 that
 * names the limit, before json-glib (which recurses per level) sees it. 30,000 levels fit
 * under the 64 KiB packet cap. */
static void
test_deep_json (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "deep-01");
  g_autoptr(Raw) r = device_connect (f, d);
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(CbMqttPacket) res = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) doc = NULL;
  guint status = 0;

  for (guint i = 0; i < 30000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 30000; i++)
    g_string_append_c (deep, ']');

  raw_subscribe (r, "$iothub/twin/res/#", 1);
  raw_subscribe (r, "$iothub/credentials/res/#", 1);

  raw_publish (r, "$iothub/twin/PATCH/properties/reported/?$rid=deep1", deep->str);
  res = raw_expect_publish (r, "$iothub/twin/res/", 5000);
  g_assert_nonnull (res);
  g_assert_cmpstr (res->topic, ==, "$iothub/twin/res/400/?$rid=deep1");
  doc = payload_json (res);
  g_assert_cmpint (jint (doc, "errorCode"), ==, 400004);
  g_assert_nonnull (strstr (jstr (doc, "message"), "more than 64 levels deep"));

  reply = renew (r, "deep2", deep->str, &status);
  g_assert_cmpuint (status, ==, 400);
  g_assert_cmpint (jint (reply, "errorCode"), ==, 400006);
  g_assert_nonnull (strstr (jstr (reply, "message"), "more than 64 levels deep"));
}

static void
test_renewal_bad_requests (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "renew-03");
  g_autoptr(Raw) r = device_connect (f, d);
  g_autofree char *good = renewal_body (d->id, d->id, NULL, NULL);
  g_autofree char *other_id = renewal_body ("someone", "someone", NULL, NULL);
  g_autofree char *wrong_cn = renewal_body (d->id, "someone", NULL, NULL);
  g_autofree char *garbage_csr = g_strdup_printf ("{\"id\": \"%s\", \"csr\": \"%s\"}", d->id,
                                                  "aGVsbG8gd29ybGQ=");
  g_autofree char *pem_csr = g_strdup_printf ("{\"id\": \"%s\", \"csr\": \"-----BEGIN\"}", d->id);
  g_autofree char *extra = g_strdup_printf ("{\"id\": \"%s\", \"csr\": \"AAAA\", \"x\": 1}", d->id);
  g_autofree char *bad_replace = renewal_body (d->id, d->id, "-bad-", NULL);
  const struct { const char *body; guint status; gint64 code; } cases[] = {
    { "{not json", 400, 400006 },
    { "[1]", 400, 400004 },
    { extra, 400, 400004 },
    { other_id, 400, 400004 },
    { pem_csr, 400, 400004 },
    { bad_replace, 400, 400004 },
    { "{\"csr\": \"AAAA\"}", 400, 400004 },
    { garbage_csr, 400, 400040 },
  };
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *correlation = NULL;
  guint status = 0;

  raw_subscribe (r, "$iothub/credentials/res/#", 1);
  cb_sb_mqtt_set_renewal_delay_ms (f->ts->sandbox, 50);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *rid = g_strdup_printf ("bad%u", i);
      g_autoptr(JsonNode) reply = renew (r, rid, cases[i].body, &status);

      assert_renewal_error (reply, status, cases[i].status, cases[i].code);
    }
  {
    g_autoptr(JsonNode) reply = renew (r, "bad-csr", garbage_csr, &status);

    g_assert_cmpstr (jstr (reply, "info.credentialError"), ==, "FailedToDecodeCsr");
  }

  /* A CSR for another name: accepted, then refused by the CSR checks (400037). */
  {
    g_autoptr(JsonNode) reply = renew (r, "cn1", wrong_cn, &status);
    g_autoptr(CbMqttPacket) final = NULL;
    g_autoptr(JsonNode) error_body = NULL;

    g_assert_cmpuint (status, ==, 202);
    final = raw_expect_publish (r, "$iothub/credentials/res/", 5000);
    g_assert_nonnull (final);
    g_assert_cmpstr (final->topic, ==, "$iothub/credentials/res/400/?$rid=cn1");
    error_body = payload_json (final);
    g_assert_cmpint (jint (error_body, "errorCode"), ==, 400037);
    g_assert_cmpstr (jstr (error_body, "info.credentialError"), ==, "400000");
  }

  /* No $rid: no answer (and no operation: a good request right after is accepted). */
  raw_publish (r, "$iothub/credentials/POST/issueCertificate/", good);
  {
    g_autoptr(JsonNode) reply = renew (r, "ok1", good, &status);
    g_autoptr(CbMqttPacket) final = NULL;

    g_assert_cmpuint (status, ==, 202);
    final = raw_expect_publish (r, "$iothub/credentials/res/200/?$rid=ok1", 5000);
    g_assert_nonnull (final);
  }

  /* A throttling fault: 429 429002 with retryAfter, once. */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "[{\"method\": \"PUBLISH\", \"path\": \"/mqtt/*/renew-03/*\", "
                                             "\"status\": 429, \"retryAfter\": 7, \"count\": 1}]",
                                             NULL, NULL), ==, 200);
  {
    g_autoptr(JsonNode) reply = renew (r, "thr1", good, &status);

    assert_renewal_error (reply, status, 429, 429002);
    g_assert_cmpint (jint (reply, "retryAfter"), ==, 7);
  }

  /* The bare-array fault. */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "PUT", "/sandbox/faults", NULL, NULL,
                                             "[{\"method\": \"PUBLISH\", \"path\": \"/mqtt/*\", "
                                             "\"hubRenewal\": \"bare-array\", \"count\": 1}]",
                                             NULL, NULL), ==, 200);
  {
    g_autoptr(JsonNode) reply = renew (r, "ok2", good, &status);
    g_autoptr(CbMqttPacket) final = NULL;
    g_autoptr(JsonNode) array = NULL;

    g_assert_cmpuint (status, ==, 202);
    final = raw_expect_publish (r, "$iothub/credentials/res/200/?$rid=ok2", 5000);
    g_assert_nonnull (final);
    array = payload_json (final);
    g_assert_true (JSON_NODE_HOLDS_ARRAY (array));
    g_assert_cmpuint (json_array_get_length (json_node_get_array (array)), ==, 3);
    /* The station reads this shape too: the same chain, leaf first, no correlation id. */
    chain = cb_renewal_result_parse (g_bytes_get_data (final->payload, NULL),
                                     g_bytes_get_size (final->payload), &correlation, &error);
    g_assert_no_error (error);
    g_assert_null (correlation);
    g_assert_cmpuint (chain->len, ==, 3);
    g_assert_cmpstr (cb_certificate_get_common_name (chain->pdata[0]), ==, d->id);
    g_assert_true (cb_certificate_is_issued_by (chain->pdata[0], chain->pdata[1]));
  }

  /* The rule was for one renewal: the next result is the object again. */
  {
    g_autoptr(JsonNode) reply = renew (r, "ok3", good, &status);
    g_autoptr(CbMqttPacket) final = NULL;
    g_autoptr(JsonNode) object = NULL;

    g_assert_cmpuint (status, ==, 202);
    final = raw_expect_publish (r, "$iothub/credentials/res/200/?$rid=ok3", 5000);
    g_assert_nonnull (final);
    object = payload_json (final);
    g_assert_true (JSON_NODE_HOLDS_OBJECT (object));
    g_assert_cmpstr (jstr (object, "correlationId"), ==, jstr (reply, "correlationId"));
  }
}

/* A result that comes due while the device is away waits for it to come back and subscribe. */
static void
test_renewal_after_reconnect (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "renew-04");
  g_autofree char *body = renewal_body (d->id, d->id, NULL, NULL);
  g_autoptr(CbMqttPacket) final = NULL;
  guint status = 0;

  cb_sb_mqtt_set_renewal_delay_ms (f->ts->sandbox, 200);
  {
    g_autoptr(Raw) r = device_connect (f, d);
    g_autoptr(JsonNode) reply = NULL;

    raw_subscribe (r, "$iothub/credentials/res/#", 1);
    reply = renew (r, "away1", body, &status);
    g_assert_cmpuint (status, ==, 202);
    g_assert_true (raw_send (r, cb_mqtt_encode_empty (CB_MQTT_DISCONNECT)));
  }
  wait_state (f, d->id, "Disconnected");
  g_usleep (400 * 1000);

  {
    g_autoptr(Raw) r = device_connect (f, d);

    g_assert_null (raw_expect_publish (r, "$iothub/credentials/res/", 300));
    raw_subscribe (r, "$iothub/credentials/res/#", 1);
    final = raw_expect_publish (r, "$iothub/credentials/res/", 5000);
    g_assert_nonnull (final);
    g_assert_cmpstr (final->topic, ==, "$iothub/credentials/res/200/?$rid=away1");
  }
}

/* A fleet runs the sandbox clock at a day per second: the operation's hour must not run out
 * before its result is due. */
static void
test_renewal_accelerated_clock (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "renew-05");
  g_autoptr(Raw) r = device_connect (f, d);
  g_autofree char *body = renewal_body (d->id, d->id, NULL, NULL);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(CbMqttPacket) final = NULL;
  guint status = 0;

  raw_subscribe (r, "$iothub/credentials/res/#", 1);
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": 86400}", NULL, NULL), ==, 200);
  /* Longer than the once-a-second sweep that drops expired operations. */
  cb_sb_mqtt_set_renewal_delay_ms (f->ts->sandbox, 1500);

  reply = renew (r, "fast1", body, &status);
  g_assert_cmpuint (status, ==, 202);
  final = raw_expect_publish (r, "$iothub/credentials/res/", 5000);
  g_assert_nonnull (final);
  g_assert_cmpstr (final->topic, ==, "$iothub/credentials/res/200/?$rid=fast1");
}

/* ---- Protocol ---------------------------------------------------------------------------- */

static void
test_protocol (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "proto-01");
  g_autoptr(Raw) r = device_connect (f, d);

  /* Only the topics the hub serves may be subscribed: its response topics, methods and the
   * device's own cloud-to-device messages. */
  raw_subscribe (r, "devices/proto-01/messages/devicebound/#", 1);
  raw_subscribe (r, "devices/proto-02/messages/devicebound/#", CB_MQTT_SUBACK_FAILURE);
  raw_subscribe (r, "$iothub/methods/POST/#", 1);
  raw_subscribe (r, "#", CB_MQTT_SUBACK_FAILURE);
  raw_subscribe (r, "$iothub/twin/res/#", 1);

  /* PINGREQ -> PINGRESP */
  {
    g_autoptr(CbMqttPacket) pong = NULL;

    g_assert_true (raw_send (r, cb_mqtt_encode_empty (CB_MQTT_PINGREQ)));
    pong = raw_recv (r, 5000);
    g_assert_nonnull (pong);
    g_assert_cmpint (pong->type, ==, CB_MQTT_PINGRESP);
  }

  /* UNSUBSCRIBE: UNSUBACK, and responses stop. */
  {
    g_autoptr(CbMqttPacket) unsub = cb_mqtt_packet_new (CB_MQTT_UNSUBSCRIBE);
    g_autoptr(CbMqttPacket) ack = NULL;

    unsub->packet_id = 5;
    unsub->filters = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_add (unsub->filters, g_strdup ("$iothub/twin/res/#"));
    g_assert_true (raw_send (r, cb_mqtt_packet_encode (unsub, NULL)));
    ack = raw_recv (r, 5000);
    g_assert_nonnull (ack);
    g_assert_cmpint (ack->type, ==, CB_MQTT_UNSUBACK);
    g_assert_cmpuint (ack->packet_id, ==, 5);

    raw_publish (r, "$iothub/twin/GET/?$rid=u1", NULL);
    g_assert_null (raw_expect_publish (r, "$iothub/twin/res/", 300));
    g_assert_false (r->closed);
  }

  /* An exact response-topic subscription (what mosquitto_rr does) works too. */
  {
    g_autoptr(CbMqttPacket) res = NULL;

    raw_subscribe (r, "$iothub/twin/res/200/?$rid=x7", 1);
    raw_publish (r, "$iothub/twin/GET/?$rid=x7", NULL);
    res = raw_expect_publish (r, "$iothub/twin/res/", 5000);
    g_assert_nonnull (res);
    g_assert_cmpstr (res->topic, ==, "$iothub/twin/res/200/?$rid=x7");
  }

  /* A second connection for the device drops the first. */
  {
    g_autoptr(Raw) second = device_connect (f, d);

    g_assert_true (raw_wait_closed (r, 5000));
    g_assert_true (raw_send (second, cb_mqtt_encode_empty (CB_MQTT_PINGREQ)));
    {
      g_autoptr(CbMqttPacket) pong = raw_recv (second, 5000);

      g_assert_nonnull (pong);
      g_assert_cmpint (pong->type, ==, CB_MQTT_PINGRESP);
    }

    /* DISCONNECT: closed, and the device shows Disconnected. */
    g_assert_true (raw_send (second, cb_mqtt_encode_empty (CB_MQTT_DISCONNECT)));
    g_assert_true (raw_wait_closed (second, 5000));
    wait_state (f, d->id, "Disconnected");
  }

  /* Publishing outside the hub's topics closes the connection. */
  {
    g_autoptr(Raw) bad = device_connect (f, d);

    raw_publish (bad, "some/other/topic", "x");
    g_assert_true (raw_wait_closed (bad, 5000));
  }

  /* The first packet must be CONNECT. */
  {
    g_autoptr(Raw) bad = raw_tls (f, d);

    g_assert_true (raw_send (bad, cb_mqtt_encode_empty (CB_MQTT_PINGREQ)));
    g_assert_true (raw_wait_closed (bad, 5000));
  }
}

static void
test_keep_alive (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "idle-01");
  g_autoptr(Raw) r = raw_tls (f, d);
  g_autofree char *user = username_for (HUB_HOST, d->id);
  gint64 start;

  g_assert_cmpint (raw_mqtt_connect_full (r, d->id, user, 4, 1), ==, 0);
  start = g_get_monotonic_time ();
  /* 1.5 × 1 s, seen by a once-a-second sweep. */
  g_assert_true (raw_wait_closed (r, 5000));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1400 * 1000);
  wait_state (f, d->id, "Disconnected");
}

/* ---- Robustness -------------------------------------------------------------------------- */

static void
assert_still_serving (Fixture *f,
                      Raw     *watcher,
                      guint    round)
{
  g_autofree char *topic = g_strdup_printf ("$iothub/twin/GET/?$rid=w%u", round);
  g_autoptr(CbMqttPacket) res = NULL;

  raw_publish (watcher, topic, NULL);
  res = raw_expect_publish (watcher, "$iothub/twin/res/200/", 5000);
  g_assert_nonnull (res);
  g_assert_false (watcher->closed);
}

static void
test_robustness (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(Device) watched = make_device (f, "robust-01");
  g_autoptr(Device) d = make_device (f, "robust-02");
  g_autoptr(Raw) watcher = device_connect (f, watched);
  GRand *rand = g_rand_new_with_seed (7);
  guint round = 0;

  raw_subscribe (watcher, "$iothub/twin/res/#", 1);

  /* Random bytes instead of a TLS handshake. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(Raw) r = raw_tcp (f);
      guint8 junk[512];

      for (guint j = 0; j < sizeof junk; j++)
        junk[j] = g_rand_int_range (rand, 0, 256);
      /* Not a TLS record type, so the handshake fails at once (a plausible record header
       * would make the server wait for the rest until the 10 s CONNECT deadline). */
      junk[0] = 0x00;
      raw_write (r, junk, sizeof junk);
      g_assert_true (raw_wait_closed (r, 5000));
    }
  assert_still_serving (f, watcher, round++);

  /* Random bytes after the TLS handshake, before and after CONNECT. */
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(Raw) r = raw_tls (f, d);
      guint8 junk[256];

      if (i % 2 == 1)
        g_assert_cmpint (raw_mqtt_connect (r, d->id), ==, 0);
      for (guint j = 0; j < sizeof junk; j++)
        junk[j] = g_rand_int_range (rand, 0, 256);
      /* Make sure it is not a valid packet by accident: type 0 is reserved. */
      junk[0] = 0x00;
      raw_write (r, junk, sizeof junk);
      g_assert_true (raw_wait_closed (r, 5000));
    }
  assert_still_serving (f, watcher, round++);

  /* Truncated packets, then the client goes away. */
  {
    g_autoptr(CbMqttPacket) connect = cb_mqtt_packet_new (CB_MQTT_CONNECT);
    g_autoptr(GBytes) wire = NULL;

    connect->client_id = g_strdup (d->id);
    connect->username = username_for (HUB_HOST, d->id);
    wire = cb_mqtt_packet_encode (connect, NULL);
    for (gsize cut = 1; cut < g_bytes_get_size (wire); cut += 7)
      {
        g_autoptr(Raw) r = raw_tls (f, d);

        raw_write (r, g_bytes_get_data (wire, NULL), cut);
      }
  }
  {
    g_autoptr(Raw) r = device_connect (f, d);
    g_autoptr(GBytes) publish = cb_mqtt_encode_publish ("$iothub/twin/GET/?$rid=t", "x", 1, 0, 0);

    raw_write (r, g_bytes_get_data (publish, NULL), g_bytes_get_size (publish) - 3);
  }
  assert_still_serving (f, watcher, round++);

  /* An oversize remaining length (just over 64 KiB) and a malformed packet after CONNECT. */
  {
    g_autoptr(Raw) r = device_connect (f, d);
    const guint8 header[] = { 0x30, 0x81, 0x80, 0x04 };   /* 65537 */

    raw_write (r, header, sizeof header);
    g_assert_true (raw_wait_closed (r, 5000));
  }
  {
    g_autoptr(Raw) r = device_connect (f, d);
    const guint8 bad[] = { 0x82, 0x02, 0x00, 0x01 };       /* SUBSCRIBE without a filter */

    raw_write (r, bad, sizeof bad);
    g_assert_true (raw_wait_closed (r, 5000));
  }
  /* A huge but legal publish fits under the cap only if it is below 64 KiB. */
  {
    g_autoptr(Raw) r = device_connect (f, d);
    g_autofree char *big = g_malloc0 (70000);
    g_autoptr(GBytes) wire = NULL;

    memset (big, 'a', 69999);
    wire = cb_mqtt_encode_publish ("$iothub/twin/PATCH/properties/reported/?$rid=big", big,
                                   69999, 0, 0);
    raw_write (r, g_bytes_get_data (wire, NULL), g_bytes_get_size (wire));
    g_assert_true (raw_wait_closed (r, 5000));
  }
  assert_still_serving (f, watcher, round++);

  /* Random sequences of well-formed packets: every handler meets odd input, and the client
   * vanishes without DISCONNECT in the middle of it. */
  for (guint i = 0; i < 30; i++)
    {
      g_autoptr(Raw) r = device_connect (f, d);
      static const char * const topics[] = {
        "$iothub/twin/GET/?$rid=",
        "$iothub/twin/PATCH/properties/reported/?$rid=",
        "$iothub/credentials/POST/issueCertificate/?$rid=",
        "$iothub/credentials/POST/issueCertificate/",
        "$iothub/twin/PATCH/properties/reported/",
        "devices/robust-02/messages/events/",
      };
      static const char * const payloads[] = {
        "", "{}", "null", "[]", "{\"a\": {\"b\": null}}", "{\"id\": \"robust-02\"}",
        "{\"id\": \"robust-02\", \"csr\": \"AAAA\", \"replace\": \"*\"}",
        "{\"$version\": 3}", "{\"x\": 1e400}", "\"text\"", "{\"deep\": [[[[[[1]]]]]]}",
      };
      static const char * const filters[] = {
        "$iothub/twin/res/#", "$iothub/credentials/res/+/#", "#", "$iothub/#", "a/b",
        "$iothub/twin/PATCH/properties/desired/#",
      };

      for (guint j = 0; j < 20 && !r->closed; j++)
        {
          g_autoptr(CbMqttPacket) p = NULL;
          guint kind = g_rand_int_range (rand, 0, 6);

          switch (kind)
            {
            case 0:
            case 1:
              {
                g_autofree char *topic = g_strdup_printf (
                  "%s%u", topics[g_rand_int_range (rand, 0, G_N_ELEMENTS (topics))],
                  g_rand_int_range (rand, 0, 1000));
                const char *payload = payloads[g_rand_int_range (rand, 0, G_N_ELEMENTS (payloads))];

                raw_send (r, cb_mqtt_encode_publish (topic, payload, strlen (payload),
                                                     g_rand_int_range (rand, 0, 2),
                                                     g_rand_int_range (rand, 1, 65535)));
              }
              break;
            case 2:
              p = cb_mqtt_packet_new (g_rand_boolean (rand) ? CB_MQTT_SUBSCRIBE
                                                            : CB_MQTT_UNSUBSCRIBE);
              p->packet_id = g_rand_int_range (rand, 1, 65535);
              p->filters = g_ptr_array_new_with_free_func (g_free);
              p->codes = g_byte_array_new ();
              for (guint k = 0; k < (guint) g_rand_int_range (rand, 1, 4); k++)
                {
                  guint8 qos = g_rand_int_range (rand, 0, 3);

                  g_ptr_array_add (p->filters, g_strdup (filters[g_rand_int_range (
                                                           rand, 0, G_N_ELEMENTS (filters))]));
                  g_byte_array_append (p->codes, &qos, 1);
                }
              raw_send (r, cb_mqtt_packet_encode (p, NULL));
              break;
            case 3:
              raw_send (r, cb_mqtt_encode_empty (CB_MQTT_PINGREQ));
              break;
            case 4:
              raw_send (r, cb_mqtt_encode_ack (CB_MQTT_PUBACK, g_rand_int_range (rand, 1, 65535)));
              break;
            default:
              {
                g_autoptr(CbMqttPacket) any = raw_recv (r, 20);
              }
              break;
            }
        }
    }
  assert_still_serving (f, watcher, round++);

  /* Silent clients (no TLS handshake; TLS but no CONNECT) are closed after the deadline. */
  cb_sb_mqtt_set_connect_timeout_ms (f->ts->sandbox, 1000);
  {
    g_autoptr(Raw) silent_tcp = raw_tcp (f);
    g_autoptr(Raw) silent_tls = raw_tls (f, d);

    g_assert_true (raw_wait_closed (silent_tcp, 5000));
    g_assert_true (raw_wait_closed (silent_tls, 5000));
  }
  assert_still_serving (f, watcher, round++);

  /* HTTP still answers too. */
  g_assert_cmpuint (cb_test_sandbox_request (f->ts, "GET", "/sandbox/info", NULL, NULL, NULL,
                                             NULL, NULL), ==, 200);
  g_rand_free (rand);
}

/* ---- Scale ------------------------------------------------------------------------------- */

typedef struct
{
  Fixture   *f;
  GPtrArray *devices;
  GPtrArray *clients;        /* slot i is filled by the thread that owns i */
  guint      first;
  guint      step;
} ConnectJob;

static gpointer
connect_thread (gpointer data)
{
  ConnectJob *job = data;

  for (guint i = job->first; i < job->devices->len; i += job->step)
    job->clients->pdata[i] = device_connect (job->f, job->devices->pdata[i]);
  return NULL;
}

static void
test_many_devices (Fixture       *f,
                   gconstpointer  data)
{
#ifdef __SANITIZE_ADDRESS__
  /* Under the sanitizer a TLS connect costs ~20 times its CPU: 300 took 136 s on a loaded
   * machine, longer than the first devices' keep-alive while they wait for the rest. The burst
   * from 8 threads is the same with 100. */
  guint n = 100;
#else
  guint n = g_test_slow () ? 1000 : 300;
#endif
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func ((GDestroyNotify) raw_free);
  g_autoptr(JsonNode) report = NULL;
  gint64 start;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("many-%04u", i);
      g_ptr_array_add (devices, make_device (f, id));
    }

  /* A burst from 8 threads, as a fleet connects. */
  start = g_get_monotonic_time ();
  g_ptr_array_set_size (clients, n);
  {
    ConnectJob jobs[8];
    GThread *threads[8];

    for (guint t = 0; t < 8; t++)
      {
        jobs[t] = (ConnectJob) { f, devices, clients, t, 8 };
        threads[t] = g_thread_new ("connect", connect_thread, &jobs[t]);
      }
    for (guint t = 0; t < 8; t++)
      g_thread_join (threads[t]);
  }
  for (guint i = 0; i < n; i++)
    g_assert_nonnull (clients->pdata[i]);
  g_test_message ("%u devices connected in %.1f s", n,
                  (g_get_monotonic_time () - start) / 1e6);

  /* All at once, every one answered. */
  for (guint i = 0; i < n; i++)
    raw_subscribe (clients->pdata[i], "$iothub/twin/res/#", 1);
  for (guint i = 0; i < n; i++)
    raw_publish (clients->pdata[i], "$iothub/twin/PATCH/properties/reported/?$rid=1",
                 "{\"n\": 1}");
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbMqttPacket) res = raw_expect_publish (clients->pdata[i], "$iothub/twin/res/204/",
                                                        10000);
      g_assert_nonnull (res);
    }
  g_test_message ("and patched in %.1f s", (g_get_monotonic_time () - start) / 1e6);

  g_assert_cmpstr (connection_state (f, "many-0000", &report), ==, "Connected");
}

/* ---- The transport: many sockets, one source ----------------------------------------------- */

static guint
endpoint_connections (Fixture *f)
{
  CbSandbox *sb = f->ts->sandbox;
  guint n;

  cb_sb_lock (sb);
  n = g_hash_table_size (cb_sb_mqtt_get (sb)->conns);
  cb_sb_unlock (sb);
  return n;
}

/* Waits (bounded) until the endpoint holds `conns` connections and the process at most
 * `fds` descriptors: what closed was let go. */
static void
wait_released (Fixture *f,
               guint    conns,
               guint    fds)
{
  for (guint i = 0; i < 500 && (endpoint_connections (f) != conns || cb_test_count_fds () > fds); i++)
    g_usleep (20000);
  g_assert_cmpuint (endpoint_connections (f), ==, conns);
  g_assert_cmpuint (cb_test_count_fds (), <=, fds);
}

/* The endpoint's connection of a device, with a reference (NULL: none). */
static CbSbMqttConn *
endpoint_connection (Fixture    *f,
                     const char *id)
{
  CbSandbox *sb = f->ts->sandbox;
  g_autofree char *key = cb_sb_mqtt_device_key (HUB, id);
  CbSbMqttConn *c;

  cb_sb_lock (sb);
  c = g_hash_table_lookup (cb_sb_mqtt_get (sb)->devices, key);
  if (c != NULL)
    cb_sb_mqtt_conn_ref (c);
  cb_sb_unlock (sb);
  return c;
}

/* Connections open and close in bursts; each one's socket and memory go with it. */
static void
test_transport_churn (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(Device) watched = make_device (f, "churn-watch");
  g_autoptr(Raw) watcher = device_connect (f, watched);
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  guint fds, conns;

  raw_subscribe (watcher, "$iothub/twin/res/#", 1);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("churn-%02u", i);
      g_ptr_array_add (devices, make_device (f, id));
    }
  conns = endpoint_connections (f);
  fds = cb_test_count_fds ();

  for (guint round = 0; round < 5; round++)
    {
      g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func ((GDestroyNotify) raw_free);

      /* Online devices, TLS without CONNECT, bare TCP: all held at once, then all gone. */
      for (guint i = 0; i < devices->len; i++)
        g_ptr_array_add (clients, device_connect (f, devices->pdata[i]));
      for (guint i = 0; i < 10; i++)
        g_ptr_array_add (clients, raw_tls (f, devices->pdata[i]));
      for (guint i = 0; i < 10; i++)
        g_ptr_array_add (clients, raw_tcp (f));
      for (guint i = 0; i < 30 && endpoint_connections (f) < conns + clients->len; i++)
        g_usleep (20000);
      g_assert_cmpuint (endpoint_connections (f), ==, conns + clients->len);
      assert_still_serving (f, watcher, round);
      g_clear_pointer (&clients, g_ptr_array_unref);
      wait_released (f, conns, fds);
    }
  assert_still_serving (f, watcher, 99);
}

/* A client that sends its ClientHello and then nothing: as many as a small thread pool holds,
 * and more. */
typedef struct
{
  int              fd;
  gnutls_session_t session;
  gnutls_certificate_credentials_t creds;
} Stalled;

static void
stalled_free (Stalled *s)
{
  gnutls_deinit (s->session);
  gnutls_certificate_free_credentials (s->creds);
  close (s->fd);
  g_free (s);
}

/* Never anything to read: the client's handshake stops after its ClientHello. */
static ssize_t
never_pull (gnutls_transport_ptr_t  ptr,
            void                   *data,
            size_t                  size)
{
  errno = EAGAIN;
  return -1;
}

static Stalled *
stalled_new (Fixture *f)
{
  Stalled *s = g_new0 (Stalled, 1);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  int r;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", f->port, NULL, &error);
  g_assert_no_error (error);
  s->fd = dup (g_socket_get_fd (g_socket_connection_get_socket (conn)));
  g_socket_set_blocking (g_socket_connection_get_socket (conn), FALSE);
  gnutls_certificate_allocate_credentials (&s->creds);
  gnutls_init (&s->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
  gnutls_set_default_priority (s->session);
  gnutls_credentials_set (s->session, GNUTLS_CRD_CERTIFICATE, s->creds);
  gnutls_transport_set_int (s->session, s->fd);
  gnutls_transport_set_pull_function (s->session, never_pull);
  /* The ClientHello goes out; the server's answer is never read. */
  r = gnutls_handshake (s->session);
  g_assert_cmpint (r, ==, GNUTLS_E_AGAIN);
  return s;
}

static void
test_transport_slowloris (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "slow-ok");
  g_autoptr(GPtrArray) stalled = g_ptr_array_new_with_free_func ((GDestroyNotify) stalled_free);
  g_autoptr(GPtrArray) partial = g_ptr_array_new_with_free_func ((GDestroyNotify) raw_free);
  guint conns = endpoint_connections (f);

  /* Nothing closes them while the others connect. */
  cb_sb_mqtt_set_connect_timeout_ms (f->ts->sandbox, 600000);
  for (guint i = 0; i < 120; i++)
    g_ptr_array_add (stalled, stalled_new (f));
  /* And half a TLS record: a handshake record header announcing 300 bytes, then 10 of them. */
  for (guint i = 0; i < 20; i++)
    {
      const guint8 head[] = { 0x16, 0x03, 0x01, 0x01, 0x2c, 0x01, 0x00, 0x01, 0x28, 0x03,
                              0x03, 0, 0, 0, 0 };
      Raw *r = raw_tcp (f);

      raw_write (r, head, sizeof head);
      g_ptr_array_add (partial, r);
    }

  /* A device connects, subscribes and reads its twin, again and again, each time in the
   * ordinary time of the raw client's waits. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(Raw) r = device_connect (f, d);
      g_autofree char *rid = g_strdup_printf ("$iothub/twin/GET/?$rid=slow%u", i);
      g_autoptr(CbMqttPacket) res = NULL;

      raw_subscribe (r, "$iothub/twin/res/#", 1);
      raw_publish (r, rid, NULL);
      res = raw_expect_publish (r, "$iothub/twin/res/200/", 5000);
      g_assert_nonnull (res);
    }
  /* The device's last connection goes; the stalled ones stay. */
  for (guint i = 0; i < 500 && endpoint_connections (f) > conns + stalled->len + partial->len; i++)
    g_usleep (20000);
  g_assert_cmpuint (endpoint_connections (f), ==, conns + stalled->len + partial->len);

  /* The deadline closes them all. */
  cb_sb_mqtt_set_connect_timeout_ms (f->ts->sandbox, 200);
  for (guint i = 0; i < 500 && endpoint_connections (f) > conns; i++)
    g_usleep (20000);
  g_assert_cmpuint (endpoint_connections (f), ==, conns);
}

/* A connection that held half a packet and went away lets go of it; an idle one holds no
 * buffer at all. */
static void
test_transport_half_packet (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "half-01");
  g_autoptr(Raw) r = device_connect (f, d);
  g_autofree char *big = g_malloc0 (60000);
  g_autoptr(GBytes) wire = NULL;
  CbSbMqttConn *c;
  guint conns, fds;
  gsize pending = 0;

  raw_subscribe (r, "$iothub/twin/res/#", 1);
  c = endpoint_connection (f, "half-01");
  g_assert_nonnull (c);
  cb_sb_lock (f->ts->sandbox);
  g_assert_null (c->decoder);
  g_assert_null (c->writing);
  g_assert_true (g_queue_is_empty (&c->out));
  cb_sb_unlock (f->ts->sandbox);

  memset (big, 'a', 59999);
  wire = cb_mqtt_encode_publish ("$iothub/twin/PATCH/properties/reported/?$rid=half", big,
                                 59999, 0, 0);
  raw_write (r, g_bytes_get_data (wire, NULL), g_bytes_get_size (wire) / 2);
  for (guint i = 0; i < 500 && pending < g_bytes_get_size (wire) / 2; i++)
    {
      g_usleep (20000);
      cb_sb_lock (f->ts->sandbox);
      pending = c->decoder != NULL ? cb_mqtt_decoder_pending (c->decoder) : 0;
      cb_sb_unlock (f->ts->sandbox);
    }
  g_assert_cmpuint (pending, ==, g_bytes_get_size (wire) / 2);

  conns = endpoint_connections (f);
  fds = cb_test_count_fds ();
  g_clear_pointer (&r, raw_free);
  wait_released (f, conns - 1, fds - 1);

  /* Let go at close, not when the last reference goes. */
  cb_sb_lock (f->ts->sandbox);
  g_assert_cmpint (c->state, ==, CB_SB_MQTT_CONN_CLOSED);
  g_assert_null (c->decoder);
  g_assert_cmpint (c->fd, ==, -1);
  cb_sb_unlock (f->ts->sandbox);
  cb_sb_mqtt_conn_unref (c);
}

/* ---- Clients that are not ours ------------------------------------------------------------ */

static char *
find_tool (const char *name)
{
  char *path = g_find_program_in_path (name);

  if (path == NULL)
    g_test_skip_printf ("%s is not installed (Debian package mosquitto-clients)", name);
  return path;
}

static void
test_mosquitto_clients (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "mosq-01");
  g_autofree char *sub = find_tool ("mosquitto_sub");
  g_autofree char *pub = find_tool ("mosquitto_pub");
  g_autofree char *port = g_strdup_printf ("%u", f->port);
  g_autofree char *user = username_for (HUB_HOST, d->id);
  g_autofree char *sas = hub_sas (f);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) twin = NULL;
  const char *ca = cb_sandbox_get_ca_file (f->ts->sandbox);

  if (sub == NULL || pub == NULL)
    return;

  /* mosquitto_pub reports a twin property... */
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                           pub, "-V", "mqttv311", "-h", "127.0.0.1", "-p", port, "--cafile", ca,
                           "--cert", d->chain_file, "--key", d->key_file, "-i", d->id, "-u", user,
                           "-q", "1", "-t", "$iothub/twin/PATCH/properties/reported/?$rid=1",
                           "-m", "{\"via\": \"mosquitto_pub\"}", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("mosquitto_pub: %s%s", out, err);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_clear_object (&proc);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* ... that the service sees. */
  for (guint i = 0; i < 50; i++)
    {
      g_clear_pointer (&twin, json_node_unref);
      g_assert_cmpuint (cb_test_sandbox_request_json (f->ts, "GET", "/hubs/" HUB "/twins/mosq-01?"
                                                      HUB_API, sas, NULL, &twin, NULL), ==, 200);
      if (jstr (twin, "properties.reported.via") != NULL)
        break;
      g_usleep (50 * 1000);
    }
  g_assert_cmpstr (jstr (twin, "properties.reported.via"), ==, "mosquitto_pub");

  /* mosquitto_sub waits for a desired property the service sets. */
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                           sub, "-V", "mqttv311", "-h", "127.0.0.1", "-p", port, "--cafile", ca,
                           "--cert", d->chain_file, "--key", d->key_file, "-i", d->id, "-u", user,
                           "-t", "$iothub/twin/PATCH/properties/desired/#", "-C", "1", "-W", "10",
                           NULL);
  g_assert_no_error (error);
  wait_state (f, d->id, "Connected");

  /* Its SUBSCRIBE follows the CONNACK at its own pace: set the property until it has heard. */
  {
    g_autoptr(GAsyncResult) done = NULL;

    g_subprocess_communicate_utf8_async (proc, NULL, NULL, cb_test_store_result_cb, &done);
    for (guint i = 0; i < 50 && done == NULL; i++)
      {
        gint64 until = g_get_monotonic_time () + 200 * 1000;

        g_assert_cmpuint (cb_test_sandbox_request (f->ts, "PATCH", "/hubs/" HUB "/twins/mosq-01?"
                                                   HUB_API, sas, NULL,
                                                   "{\"properties\": {\"desired\": "
                                                   "{\"mode\": \"eco\"}}}", NULL, NULL), ==, 200);
        while (done == NULL && g_get_monotonic_time () < until)
          if (!g_main_context_iteration (NULL, FALSE))
            g_usleep (10 * 1000);
      }
    g_subprocess_communicate_utf8_finish (proc, cb_test_wait_for (&done), &out, &err, &error);
    g_assert_no_error (error);
  }
  g_test_message ("mosquitto_sub: %s%s", out, err);
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_nonnull (strstr (out, "\"mode\":\"eco\""));
}

typedef struct
{
  GAsyncQueue *events;      /* char *: "connack N", "suback", "msg TOPIC PAYLOAD" */
} MosqState;

static void
on_connect (struct mosquitto *mosq,
            void             *obj,
            int               rc)
{
  g_async_queue_push (((MosqState *) obj)->events, g_strdup_printf ("connack %d", rc));
}

static void
on_subscribe (struct mosquitto *mosq,
              void             *obj,
              int               mid,
              int               qos_count,
              const int        *granted)
{
  g_async_queue_push (((MosqState *) obj)->events, g_strdup_printf ("suback %d", granted[0]));
}

static void
on_message (struct mosquitto               *mosq,
            void                           *obj,
            const struct mosquitto_message *msg)
{
  g_async_queue_push (((MosqState *) obj)->events,
                      g_strdup_printf ("msg %s %.*s", msg->topic, msg->payloadlen,
                                       (const char *) msg->payload));
}

static char *
next_event (MosqState *s)
{
  char *event = g_async_queue_timeout_pop (s->events, 10 * G_USEC_PER_SEC);

  g_assert_nonnull (event);
  g_test_message ("libmosquitto: %s", event);
  return event;
}

/* libmosquitto (the library the devsim uses): connect, subscribe, GET the twin; and a refused
 * device hears CONNACK 5. */
static void
test_libmosquitto (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "libmosq-01");
  g_autoptr(Device) refused = make_device (f, "libmosq-02");
  g_autofree char *user = username_for (HUB_HOST, d->id);
  g_autofree char *user2 = username_for (HUB_HOST, refused->id);
  const char *ca = cb_sandbox_get_ca_file (f->ts->sandbox);
  MosqState state = { g_async_queue_new_full (g_free) };
  struct mosquitto *mosq;
  g_autoptr(GError) error = NULL;

  mosquitto_lib_init ();

  mosq = mosquitto_new (d->id, true, &state);
  g_assert_nonnull (mosq);
  mosquitto_int_option (mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set (mosq, on_connect);
  mosquitto_subscribe_callback_set (mosq, on_subscribe);
  mosquitto_message_callback_set (mosq, on_message);
  g_assert_cmpint (mosquitto_tls_set (mosq, ca, NULL, d->chain_file, d->key_file, NULL), ==,
                   MOSQ_ERR_SUCCESS);
  g_assert_cmpint (mosquitto_username_pw_set (mosq, user, NULL), ==, MOSQ_ERR_SUCCESS);
  g_assert_cmpint (mosquitto_connect (mosq, "127.0.0.1", f->port, 30), ==, MOSQ_ERR_SUCCESS);
  g_assert_cmpint (mosquitto_loop_start (mosq), ==, MOSQ_ERR_SUCCESS);

  {
    g_autofree char *e = next_event (&state);
    g_assert_cmpstr (e, ==, "connack 0");
  }
  g_assert_cmpint (mosquitto_subscribe (mosq, NULL, "$iothub/twin/res/#", 0), ==, MOSQ_ERR_SUCCESS);
  {
    g_autofree char *e = next_event (&state);
    g_assert_cmpstr (e, ==, "suback 0");
  }
  g_assert_cmpint (mosquitto_publish (mosq, NULL, "$iothub/twin/GET/?$rid=lm1", 0, NULL, 1, false),
                   ==, MOSQ_ERR_SUCCESS);
  {
    g_autofree char *e = next_event (&state);
    g_assert_true (g_str_has_prefix (e, "msg $iothub/twin/res/200/?$rid=lm1 {\"desired\""));
  }
  mosquitto_disconnect (mosq);
  mosquitto_loop_stop (mosq, false);
  mosquitto_destroy (mosq);

  /* A revoked device: CONNACK 5 ("not authorised"). */
  arm_revoke (f, refused->id);
  mosq = mosquitto_new (refused->id, true, &state);
  mosquitto_int_option (mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set (mosq, on_connect);
  mosquitto_tls_set (mosq, ca, NULL, refused->chain_file, refused->key_file, NULL);
  mosquitto_username_pw_set (mosq, user2, NULL);
  g_assert_cmpint (mosquitto_connect (mosq, "127.0.0.1", f->port, 30), ==, MOSQ_ERR_SUCCESS);
  g_assert_cmpint (mosquitto_loop_start (mosq), ==, MOSQ_ERR_SUCCESS);
  {
    g_autofree char *e = next_event (&state);
    g_assert_cmpstr (e, ==, "connack 5");
  }
  mosquitto_disconnect (mosq);
  mosquitto_loop_stop (mosq, true);
  mosquitto_destroy (mosq);
  assert_last_attempt (f, refused->id, "revoked-identifier");

  g_async_queue_unref (state.events);
  mosquitto_lib_cleanup ();
}

/* ---- The core client ---------------------------------------------------------------------- */

static CbHubConnectionReport *
client_report (CbHttpClient *http,
               CbProfile    *profile,
               const char   *id,
               GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_sandbox_client_get_connection_async (http, profile, id, NULL, cb_test_store_result_cb,
                                          &result);
  return cb_sandbox_client_get_connection_finish (cb_test_wait_for (&result), error);
}

static void
test_client_report (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(Device) d = make_device (f, "client-01");
  g_autoptr(Device) revoked = make_device (f, "client-02");
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbHttpClient) http = NULL;
  g_autoptr(CbHubConnectionReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Raw) r = NULL;
  g_autofree char *endpoint = g_strdup_printf ("127.0.0.1:%u", f->port);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  cb_sb_lock (f->ts->sandbox);
  profile = cb_sandbox_create_profile (f->ts->sandbox);
  cb_sb_unlock (f->ts->sandbox);
  g_assert_cmpstr (cb_profile_get_hub_name (profile), ==, HUB);
  g_assert_cmpstr (cb_profile_get_hub_device_endpoint (profile), ==, endpoint);
  http = cb_http_client_new (profile, &error);
  g_assert_no_error (error);

  /* Never tried. */
  report = client_report (http, profile, d->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (report->connection_state, ==, "Disconnected");
  g_assert_false (report->has_attempt);
  g_assert_cmpint (report->last_activity, ==, 0);
  g_clear_pointer (&report, cb_hub_connection_report_free);

  r = device_connect (f, d);
  report = client_report (http, profile, d->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (report->connection_state, ==, "Connected");
  g_assert_true (report->has_attempt);
  g_assert_true (report->accepted);
  g_assert_cmpstr (report->verdict, ==, "accepted");
  g_assert_cmpint (ABS (report->attempt_time - now), <, 60);
  g_assert_cmpint (ABS (report->last_activity - now), <, 60);
  g_clear_pointer (&report, cb_hub_connection_report_free);

  /* Accepted once, then refused once revoked: both attempts, newest first. */
  g_clear_pointer (&r, raw_free);
  r = device_connect (f, revoked);
  g_clear_pointer (&r, raw_free);
  arm_revoke (f, revoked->id);
  assert_refused (f, revoked, "revoked-identifier");
  report = client_report (http, profile, revoked->id, &error);
  g_assert_no_error (error);
  g_assert_false (report->accepted);
  g_assert_cmpstr (report->verdict, ==, "revoked-identifier");
  g_assert_nonnull (strstr (report->reason, "revoked"));
  g_assert_cmpuint (report->attempts->len, ==, 2);
  {
    CbHubConnectionAttempt *refused = g_ptr_array_index (report->attempts, 0);
    CbHubConnectionAttempt *accepted = g_ptr_array_index (report->attempts, 1);

    g_assert_false (refused->accepted);
    g_assert_cmpstr (refused->verdict, ==, "revoked-identifier");
    g_assert_nonnull (strstr (refused->reason, "revoked"));
    g_assert_true (accepted->accepted);
    g_assert_cmpstr (accepted->verdict, ==, "accepted");
    g_assert_cmpint (accepted->time, <=, refused->time);
    g_assert_cmpint (ABS (accepted->time - now), <, 60);
  }
  g_clear_pointer (&report, cb_hub_connection_report_free);

  report = client_report (http, profile, "nobody", &error);
  g_assert_null (report);
  g_assert_error (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND);
}

/* The endpoint hears the sandbox's events (a device dropped, every connection to recheck, a
 * desired patch) only while it runs: a stopped sandbox keeps no handler that points at the
 * endpoint's freed state, and a restarted one connects its new endpoint once. */
static void
test_events_follow_the_endpoint (Fixture       *f,
                                 gconstpointer  data)
{
  const char *signals[] = { "device-dropped", "recheck-all", "desired-patched" };
  g_autoptr(CbSandbox) old = g_object_ref (f->ts->sandbox);
  g_autoptr(JsonObject) patch = json_object_new ();

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    g_assert_true (g_signal_has_handler_pending (old->events,
                                                 g_signal_lookup (signals[i], CB_TYPE_SB_EVENTS),
                                                 0, FALSE));

  cb_test_sandbox_restart (f->ts);

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      guint id = g_signal_lookup (signals[i], CB_TYPE_SB_EVENTS);

      g_assert_false (g_signal_has_handler_pending (old->events, id, 0, FALSE));
      g_assert_true (g_signal_has_handler_pending (f->ts->sandbox->events, id, 0, FALSE));
    }

  /* Emitting on the stopped sandbox reaches nobody (and nothing freed). */
  json_object_set_int_member (patch, "interval", 5);
  cb_sb_events_drop_device (old->events, HUB, "nobody", "a test");
  cb_sb_events_recheck_all (old->events, "a test");
  cb_sb_events_desired_patched (old->events, HUB, "nobody", patch, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/cb/sandbox-mqtt/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("connect/verdicts", test_connect_verdicts);
  ADD ("connect/mqtt-refusals", test_connect_mqtt_refusals);
  ADD ("connect/expired", test_connect_expired);
  ADD ("connect/revoke-drops-live-connection", test_revoke_drops_live_connection);
  ADD ("connect/revoke-issuer-drops-connections", test_revoke_issuer_drops_connections);
  ADD ("twin", test_twin);
  ADD ("deep-json", test_deep_json);
  ADD ("renewal/success", test_renewal);
  ADD ("renewal/conflicts", test_renewal_conflicts);
  ADD ("renewal/bad-requests", test_renewal_bad_requests);
  ADD ("renewal/after-reconnect", test_renewal_after_reconnect);
  ADD ("renewal/accelerated-clock", test_renewal_accelerated_clock);
  ADD ("protocol", test_protocol);
  ADD ("keep-alive", test_keep_alive);
  ADD ("robustness", test_robustness);
  ADD ("many-devices", test_many_devices);
  ADD ("transport/churn", test_transport_churn);
  ADD ("transport/slowloris", test_transport_slowloris);
  ADD ("transport/half-packet", test_transport_half_packet);
  ADD ("mosquitto-clients", test_mosquitto_clients);
  ADD ("libmosquitto", test_libmosquitto);
  ADD ("client-report", test_client_report);
  ADD ("events-follow-the-endpoint", test_events_follow_the_endpoint);

#undef ADD

  return g_test_run ();
}
