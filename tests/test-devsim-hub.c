/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The devsim as a connected device (issue 5). Two halves:
 * - the portable device's hub logic on a scripted platform (fake clock, fake DPS signed by a
 *   test CA, a fake hub that records what the device publishes and answers as the test says);
 * - the real thing in-process: the GLib host's libmosquitto platform against a real sandbox
 *   (its own thread, real TLS, its MQTT device endpoint): connect, twin, renewal on the
 *   sandbox clock, DPS re-registration after expiry, refusal after an ARM device revoke. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cb-csr.h"
#include "cb-pki.h"
#include "cb-sas.h"
#include "cb-test-sandbox.h"
#include "cb-x509.h"
#include "cbd-clock.h"
#include "cbd-device.h"
#include "cbd-host.h"
#include "cbp-frame.h"
#include "cbp-group.h"
#include "cbp-smp.h"

/* ---- shared bits ---- */

static char *
iso (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

/* A device under test: storage in its own folder, GnuTLS crypto, and either scripted or real
 * DPS and hub platforms. */
typedef struct
{
  char         *dir;
  CbdStorage    storage;
  cbd_platform  plat;
  cbd_device   *dev;
  GByteArray   *console;      /* everything the device wrote to its transport */
  cbp_decoder  *dec;
  GPtrArray    *packets;      /* SMP packets the device answered */

  /* clocks */
  CbdClock     *clock;        /* real mode: the sandbox clock... */
  gint64        offset;       /* ... plus this */
  gint64        now;          /* scripted mode */
  gint64        mono_ms;

  /* scripted DPS */
  GBytes       *ca_root_der;
  CbKey        *ca_key;
  gint64        lifetime;
  guint         dps_calls;
  char         *dps_hub;

  /* scripted hub */
  guint         connects;
  guint         disconnects;
  char         *username;
  char         *endpoint;
  char         *client_id;
  GBytes       *connect_chain;
  GPtrArray    *subscribed;   /* char * */
  GPtrArray    *topics;       /* char *, published */
  GPtrArray    *bodies;       /* char *, published */
  gboolean      hub_up;

  /* real */
  CbdDps       *dps;
  CbdHub       *hub;
  guint         notified;
} TDev;

static void
tdev_write (void *ctx, const uint8_t *data, size_t len)
{
  TDev *t = ctx;

  g_byte_array_append (t->console, data, (guint) len);
  cbp_decoder_feed (t->dec, data, len);
}

static void
on_packet (void *user_data, const uint8_t *packet, size_t len)
{
  TDev *t = user_data;

  g_ptr_array_add (t->packets, g_bytes_new (packet, len));
}

static int64_t
scripted_now (void *ctx)
{
  return ((TDev *) ctx)->now;
}

static int64_t
scripted_mono (void *ctx)
{
  return ((TDev *) ctx)->mono_ms;
}

static int64_t
real_now (void *ctx)
{
  return cbd_clock_now (((TDev *) ctx)->clock) + ((TDev *) ctx)->offset;
}

static int
t_load (void *ctx, const char *name, uint8_t **data, size_t *len)
{
  return cbd_storage_load (&((TDev *) ctx)->storage, name, data, len);
}

static int
t_save (void *ctx, const char *name, const uint8_t *data, size_t len)
{
  return cbd_storage_save (&((TDev *) ctx)->storage, name, data, len);
}

static int
t_remove (void *ctx, const char *name)
{
  return cbd_storage_remove (&((TDev *) ctx)->storage, name);
}

static void
t_notify (void *ctx)
{
  ((TDev *) ctx)->notified++;
}

/* ---- a scripted platform ---- */

static int
scripted_dps (void *ctx, const cbd_dps_params *params, const uint8_t *csr, size_t csr_len)
{
  TDev *t = ctx;
  g_autoptr(GBytes) der = g_bytes_new (csr, csr_len);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCsr) req = cb_csr_new_from_der (der, &error);
  g_autoptr(GBytes) pub = NULL;
  g_autoptr(GBytes) chain = NULL;

  g_assert_no_error (error);
  g_assert_true (cb_csr_check (req, params->reg_id, NULL, &error));
  g_assert_no_error (error);
  t->dps_calls++;
  pub = cb_csr_get_public_key_der (req);
  chain = cb_test_issue_chain (t->ca_key, t->ca_root_der, pub, params->reg_id, t->now - 60, t->now + t->lifetime);
  /* From inside the call, which the device allows. */
  cbd_device_dps_result (t->dev, true, NULL, t->dps_hub, params->reg_id,
                         g_bytes_get_data (chain, NULL), g_bytes_get_size (chain));
  return 0;
}

static int
scripted_connect (void *ctx, const cbd_hub_params *params)
{
  TDev *t = ctx;

  t->connects++;
  g_free (t->username);
  g_free (t->endpoint);
  g_free (t->client_id);
  t->username = g_strdup (params->username);
  t->endpoint = g_strdup (params->endpoint);
  t->client_id = g_strdup (params->device_id);
  g_clear_pointer (&t->connect_chain, g_bytes_unref);
  t->connect_chain = g_bytes_new (params->chain, params->chain_len);
  g_assert_nonnull (params->key);
  g_assert_cmpint (params->keepalive, >, 0);
  t->hub_up = FALSE;
  return 0;
}

static void
scripted_disconnect (void *ctx)
{
  TDev *t = ctx;

  t->disconnects++;
  t->hub_up = FALSE;
}

static int
scripted_subscribe (void *ctx, const char *topic)
{
  TDev *t = ctx;

  if (!t->hub_up)
    return -1;
  g_ptr_array_add (t->subscribed, g_strdup (topic));
  return 0;
}

static int
scripted_publish (void *ctx, const char *topic, const uint8_t *payload, size_t len)
{
  TDev *t = ctx;

  if (!t->hub_up)
    return -1;
  g_ptr_array_add (t->topics, g_strdup (topic));
  g_ptr_array_add (t->bodies, g_strndup ((const char *) payload, len));
  return 0;
}

static TDev *
tdev_alloc (void)
{
  TDev *t = g_new0 (TDev, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("cb-devsim-hub-XXXXXX", &error);

  g_assert_no_error (error);
  t->dir = g_build_filename (tmp, "state", NULL);
  g_assert_true (cbd_storage_init (&t->storage, t->dir, &error));
  g_assert_no_error (error);
  t->console = g_byte_array_new ();
  t->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  t->dec = cbp_decoder_new (0, on_packet, NULL, t);
  t->subscribed = g_ptr_array_new_with_free_func (g_free);
  t->topics = g_ptr_array_new_with_free_func (g_free);
  t->bodies = g_ptr_array_new_with_free_func (g_free);

  t->plat.ctx = t;
  t->plat.write = tdev_write;
  t->plat.load = t_load;
  t->plat.save = t_save;
  t->plat.remove = t_remove;
  t->plat.notify = t_notify;
  cbd_crypto_fill (&t->plat);
  return t;
}

static void
tdev_new_device (TDev *t, double fraction)
{
  cbd_config cfg = { 0 };

  cfg.model = "test";
  cfg.renew_fraction = fraction;
  t->dev = cbd_device_new (&cfg, &t->plat);
  g_assert_nonnull (t->dev);
}

/* network: FALSE gives a device without DPS and hub. */
static TDev *
tdev_new_scripted (gboolean network)
{
  TDev *t = tdev_alloc ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pub = NULL;
  CbCertProfile profile = { 0 };

  t->now = 1900000000;
  t->mono_ms = 1000000;
  t->lifetime = 30 * 86400;
  t->dps_hub = g_strdup ("hub-one.azure-devices.net");
  t->ca_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  pub = cb_key_get_public_key_der (t->ca_key);
  profile.subject_dn = "CN=Hub Test Root";
  profile.not_before = t->now - 86400;
  profile.not_after = t->now + 3650 * 86400;
  profile.is_ca = TRUE;
  profile.path_len = -1;
  profile.key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN;
  t->ca_root_der = cb_cert_issue (&profile, pub, t->ca_key, NULL, &error);
  g_assert_no_error (error);

  t->plat.now = scripted_now;
  t->plat.monotonic_ms = scripted_mono;
  if (network)
    {
      t->plat.dps_register = scripted_dps;
      t->plat.hub_connect = scripted_connect;
      t->plat.hub_disconnect = scripted_disconnect;
      t->plat.hub_subscribe = scripted_subscribe;
      t->plat.hub_publish = scripted_publish;
    }
  tdev_new_device (t, 0.8);
  return t;
}

static void
tdev_free (TDev *t)
{
  g_autofree char *parent = g_path_get_dirname (t->dir);

  g_clear_pointer (&t->dev, cbd_device_free);
  if (t->dps != NULL)
    cbd_dps_set_device (t->dps, NULL);
  if (t->hub != NULL)
    cbd_hub_set_device (t->hub, NULL);
  g_clear_pointer (&t->dps, cbd_dps_free);
  g_clear_pointer (&t->hub, cbd_hub_free);
  cbd_storage_clear (&t->storage);
  cbp_decoder_free (t->dec);
  g_byte_array_unref (t->console);
  g_ptr_array_unref (t->packets);
  g_ptr_array_unref (t->subscribed);
  g_ptr_array_unref (t->topics);
  g_ptr_array_unref (t->bodies);
  g_clear_pointer (&t->ca_root_der, g_bytes_unref);
  g_clear_pointer (&t->ca_key, cb_key_unref);
  g_clear_pointer (&t->connect_chain, g_bytes_unref);
  g_free (t->dps_hub);
  g_free (t->username);
  g_free (t->endpoint);
  g_free (t->client_id);
  cb_test_remove_tree (parent);
  g_free (t->dir);
  g_free (t);
}

/* One bench request through the device's transport; returns 0, a group rc (> 0) or a
 * negated generic rc; rsp (may be NULL) gets the decoded response. */
static int
bench_call (TDev *t, uint8_t id, const void *req, void *rsp)
{
  const cbp_command *cmd = cbp_group_command (id);
  cbp_smp_header hdr = { 0 };
  uint8_t *payload = NULL, *packet = NULL, *frames = NULL;
  size_t payload_len = 0, packet_len = 0, frames_len = 0;
  const uint8_t *rsp_payload;
  cbp_smp_header rsp_hdr;
  cbp_error err;
  GBytes *answer;
  int ret;

  g_assert_nonnull (cmd);
  if (cmd->n_req_fields > 0)
    g_assert_cmpint (cbp_request_encode (cmd, req, &payload, &payload_len), ==, CBP_OK);
  hdr.version = CBP_SMP_V2;
  hdr.op = cmd->op;
  hdr.group = CBP_GROUP_DEFAULT;
  hdr.id = id;
  hdr.seq = 7;
  g_assert_cmpint (cbp_smp_packet_build (&hdr, payload, payload_len, &packet, &packet_len), ==, 0);
  g_assert_cmpint (cbp_frame_encode (packet, packet_len, 127, &frames, &frames_len), ==, 0);
  g_ptr_array_set_size (t->packets, 0);
  cbd_device_feed (t->dev, frames, frames_len);
  free (payload);
  free (packet);
  free (frames);

  g_assert_cmpuint (t->packets->len, ==, 1);
  answer = g_ptr_array_index (t->packets, 0);
  g_assert_cmpint (cbp_smp_packet_parse (g_bytes_get_data (answer, NULL),
                                         g_bytes_get_size (answer), &rsp_hdr, &rsp_payload), ==, 0);
  g_assert_cmpint (cbp_error_decode (rsp_payload, rsp_hdr.len, &err), ==, CBP_OK);
  if (err.kind == CBP_ERROR_GROUP)
    return err.rc;
  if (err.kind == CBP_ERROR_GENERIC)
    return -err.rc;
  ret = 0;
  if (rsp != NULL)
    ret = cbp_response_decode (cmd, rsp_payload, rsp_hdr.len, rsp);
  g_assert_cmpint (ret, ==, CBP_OK);
  return 0;
}

static const char *
last_topic (TDev *t)
{
  g_assert_cmpuint (t->topics->len, >, 0);
  return g_ptr_array_index (t->topics, t->topics->len - 1);
}

static const char *
last_body (TDev *t)
{
  g_assert_cmpuint (t->bodies->len, >, 0);
  return g_ptr_array_index (t->bodies, t->bodies->len - 1);
}

/* "$rid=N" of a topic */
static guint64
topic_rid (const char *topic)
{
  const char *p = strstr (topic, "$rid=");

  g_assert_nonnull (p);
  return g_ascii_strtoull (p + 5, NULL, 10);
}

static void
hub_answer (TDev *t, const char *what, int status, guint64 rid, const char *body)
{
  g_autofree char *topic = g_strdup_printf ("$iothub/%s/res/%d/?$rid=%" G_GUINT64_FORMAT "&$version=3",
                                            what, status, rid);

  cbd_device_hub_message (t->dev, topic, (const guint8 *) body, body != NULL ? strlen (body) : 0);
}

static GBytes *
active_chain (TDev *t)
{
  uint8_t *data = NULL;
  size_t len = 0;

  g_assert_cmpint (cbd_storage_load (&t->storage, "active", &data, &len), ==, 0);
  return g_bytes_new_take (data, len);
}

static CbCertificate *
leaf_of (GBytes *chain)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (chain, &len);
  size_t n = cbd_der_element_len (d, len);
  g_autoptr(GBytes) leaf = g_bytes_new (d, n);
  g_autoptr(GError) error = NULL;
  CbCertificate *cert;

  g_assert_cmpuint (n, >, 0);
  cert = cb_certificate_new_from_der (leaf, &error);
  g_assert_no_error (error);
  return cert;
}

static GBytes *
active_leaf_pub (TDev *t)
{
  g_autoptr(GBytes) chain = active_chain (t);
  g_autoptr(CbCertificate) leaf = leaf_of (chain);

  return cb_certificate_get_public_key_der (leaf);
}

/* Base64 DER elements of a chain, as a JSON array (pem: PEM strings with \n escapes). */
static char *
chain_json (GBytes *chain, gboolean pem, gboolean bare)
{
  GString *s = g_string_new (bare ? "[" : "{\"correlationId\":\"c-1\",\"certificates\":[");
  gsize len, pos = 0;
  const guint8 *d = g_bytes_get_data (chain, &len);

  while (pos < len)
    {
      size_t n = cbd_der_element_len (d + pos, len - pos);
      g_autofree char *b64 = g_base64_encode (d + pos, n);

      g_assert_cmpuint (n, >, 0);
      if (pos > 0)
        g_string_append_c (s, ',');
      if (pem)
        {
          gsize i;

          g_string_append (s, "\"-----BEGIN CERTIFICATE-----\\n");
          for (i = 0; i < strlen (b64); i += 64)
            {
              g_string_append_len (s, b64 + i, MIN (64, (gssize) (strlen (b64) - i)));
              g_string_append (s, "\\n");
            }
          g_string_append (s, "-----END CERTIFICATE-----\\n\"");
        }
      else
        g_string_append_printf (s, "\"%s\"", b64);
      pos += n;
    }
  g_string_append (s, bare ? "]" : "]}");
  return g_string_free (s, FALSE);
}

/* Answers the last issueCertificate request with 202 and then 200 and the chain for its CSR. */
static GBytes *
answer_renewal (TDev *t, gboolean pem, gboolean bare, const char *cn)
{
  const char *topic = last_topic (t);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(GBytes) pub = NULL;
  GBytes *chain;
  g_autofree char *json = NULL;
  JsonObject *req;
  guint64 rid = topic_rid (topic);

  g_assert_true (g_str_has_prefix (topic, "$iothub/credentials/POST/issueCertificate/?$rid="));
  g_assert_true (json_parser_load_from_data (parser, last_body (t), -1, &error));
  g_assert_no_error (error);
  req = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (req, "id"), ==, "hubdev-1");
  g_assert_null (strchr (json_object_get_string_member (req, "csr"), '\n'));
  csr = cb_csr_new_from_base64 (json_object_get_string_member (req, "csr"), &error);
  g_assert_no_error (error);
  g_assert_true (cb_csr_check (csr, "hubdev-1", NULL, &error));
  g_assert_no_error (error);
  pub = cb_csr_get_public_key_der (csr);

  hub_answer (t, "credentials", 202, rid,
              "{\"correlationId\":\"c-1\",\"operationExpires\":\"2030-01-01T00:00:00Z\"}");
  chain = cb_test_issue_chain (t->ca_key, t->ca_root_der, pub, cn, t->now - 60, t->now + t->lifetime);
  json = chain_json (chain, pem, bare);
  hub_answer (t, "credentials", 200, rid, json);
  return chain;
}

/* ---- scripted tests ---- */

static void
provision_scripted (TDev *t)
{
  cbd_dps_params dps = { 0 };
  cbd_status st;

  dps.scope = "0ne0000TEST";
  dps.reg_id = "hubdev-1";
  dps.key = "c2VjcmV0LWtleQ==";
  dps.endpoint = "dps.example";
  g_assert_cmpint (cbd_device_dps_configure (t->dev, &dps), ==, 0);
  /* Host and device id come from the DPS assignment. */
  g_assert_cmpint (cbd_device_hub_configure (t->dev, NULL, NULL, "127.0.0.1:18883", NULL), ==, 0);
  g_assert_cmpuint (t->connects, ==, 0);
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.hub_state, ==, CBD_HUB_OFF);

  g_assert_cmpint (cbd_device_register (t->dev, NULL), ==, 0);
  g_assert_cmpuint (t->dps_calls, ==, 1);
  cbd_device_get_status (t->dev, &st);
  g_assert_true (st.active);
  g_assert_cmpint (st.dps_state, ==, CBD_DPS_IDLE);
  g_assert_cmpstr (st.hub_host, ==, "hub-one.azure-devices.net");
  g_assert_cmpstr (st.device_id, ==, "hubdev-1");
  g_assert_cmpint (st.hub_state, ==, CBD_HUB_CONNECTING);
  g_assert_cmpuint (t->connects, ==, 1);
  g_assert_cmpstr (t->username, ==,
                   "hub-one.azure-devices.net/hubdev-1/?api-version=2025-08-01-preview");
  g_assert_cmpstr (t->endpoint, ==, "127.0.0.1:18883");
  g_assert_cmpstr (t->client_id, ==, "hubdev-1");
  {
    g_autoptr(GBytes) chain = active_chain (t);
    g_assert_true (g_bytes_equal (chain, t->connect_chain));
  }
}

/* Connected: subscriptions first, then the twin report, acknowledged by a 204. */
static void
connect_scripted (TDev *t)
{
  cbd_status st;
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;
  g_autofree char *expected = NULL;
  guint first = t->subscribed->len;

  t->hub_up = TRUE;
  cbd_device_hub_event (t->dev, CBD_HUB_EV_CONNECTED, NULL);
  g_assert_cmpuint (t->subscribed->len, ==, first + 2);
  g_assert_cmpstr (g_ptr_array_index (t->subscribed, first), ==, "$iothub/twin/res/#");
  g_assert_cmpstr (g_ptr_array_index (t->subscribed, first + 1), ==, "$iothub/credentials/res/#");
  g_assert_true (g_str_has_prefix (last_topic (t), "$iothub/twin/PATCH/properties/reported/?$rid="));
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.hub_state, ==, CBD_HUB_CONNECTED);
  from = iso (st.not_before);
  until = iso (st.not_after);
  expected = g_strdup_printf ("{\"certificate\":{\"validFrom\":\"%s\",\"validUntil\":\"%s\"}}",
                              from, until);
  g_assert_cmpstr (last_body (t), ==, expected);
  g_assert_false (st.twin_reported);
  /* A 204 for another request id changes nothing */
  hub_answer (t, "twin", 204, topic_rid (last_topic (t)) + 100, NULL);
  cbd_device_get_status (t->dev, &st);
  g_assert_false (st.twin_reported);
  hub_answer (t, "twin", 204, topic_rid (last_topic (t)), NULL);
  cbd_device_get_status (t->dev, &st);
  g_assert_true (st.twin_reported);
}

static void
test_scripted_connect (void)
{
  TDev *t = tdev_new_scripted (TRUE);
  cbp_diag_rsp diag = { 0 };
  cbd_status st;
  guint n;

  provision_scripted (t);
  connect_scripted (t);
  g_assert_cmpuint (t->notified, >, 0);

  g_assert_cmpint (bench_call (t, CBP_CMD_DIAG, NULL, &diag), ==, 0);
  g_assert_cmpstr (diag.hub, ==, "hub-one.azure-devices.net");
  g_assert_cmpstr (diag.hub_state, ==, "connected");
  g_assert_null (diag.hub_err);
  g_assert_true (diag.has_hub_time);
  g_assert_cmpint (diag.hub_time, ==, t->now);
  g_assert_null (diag.renew_state);
  g_assert_false (diag.has_renew_time);
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);

  /* Ticks while nothing is due do nothing. */
  n = t->topics->len;
  t->mono_ms += 5000;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->topics->len, ==, n);
  g_assert_cmpuint (t->connects, ==, 1);

  /* Lost: reconnect after 1 s, then 2 s, 4 s... of real (monotonic) time */
  t->hub_up = FALSE;
  cbd_device_hub_event (t->dev, CBD_HUB_EV_DISCONNECTED, NULL);
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.hub_state, ==, CBD_HUB_DISCONNECTED);
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->connects, ==, 1);
  t->mono_ms += 1000;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->connects, ==, 2);
  cbd_device_hub_event (t->dev, CBD_HUB_EV_UNREACHABLE, "connection refused");
  t->mono_ms += 1000;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->connects, ==, 2);
  t->mono_ms += 1000;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->connects, ==, 3);

  /* Refused: the state and the reason stay; a retry only after 30 s */
  cbd_device_hub_event (t->dev, CBD_HUB_EV_REFUSED, "CONNACK 5: not authorized");
  g_assert_cmpint (bench_call (t, CBP_CMD_DIAG, NULL, &diag), ==, 0);
  g_assert_cmpstr (diag.hub_state, ==, "refused");
  g_assert_cmpstr (diag.hub_err, ==, "CONNACK 5: not authorized");
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);
  t->mono_ms += 29000;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->connects, ==, 3);
  t->mono_ms += 2000;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->connects, ==, 4);
  connect_scripted (t);
  g_assert_cmpint (bench_call (t, CBP_CMD_DIAG, NULL, &diag), ==, 0);
  g_assert_cmpstr (diag.hub_state, ==, "connected");
  g_assert_null (diag.hub_err);
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);

  /* The configuration survives a restart: the device connects at once with it. */
  cbd_device_free (t->dev);
  t->dev = NULL;
  tdev_new_device (t, 0.8);
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpstr (st.hub_host, ==, "hub-one.azure-devices.net");
  g_assert_cmpint (st.hub_state, ==, CBD_HUB_OFF);
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->connects, ==, 5);
  g_assert_cmpstr (t->endpoint, ==, "127.0.0.1:18883");

  g_assert_null (g_strstr_len ((const char *) t->console->data, t->console->len,
                               "c2VjcmV0LWtleQ=="));
  tdev_free (t);
}

static void
test_scripted_renewal (void)
{
  TDev *t = tdev_new_scripted (TRUE);
  g_autoptr(GBytes) old_pub = NULL;
  g_autoptr(GBytes) new_pub = NULL;
  g_autoptr(GBytes) issued = NULL;
  g_autoptr(GBytes) active = NULL;
  cbp_diag_rsp diag = { 0 };
  cbd_status st;
  guint connects, n;
  gint64 renew_at;

  provision_scripted (t);
  connect_scripted (t);
  old_pub = active_leaf_pub (t);
  cbd_device_get_status (t->dev, &st);
  renew_at = st.renew_at;
  g_assert_cmpint (renew_at, ==, st.not_before + (st.not_after - st.not_before) * 8 / 10);

  /* Just before the renewal point: nothing */
  n = t->topics->len;
  t->now = renew_at - 1;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->topics->len, ==, n);

  /* At the renewal point: a fresh key and issueCertificate; the old key still connects */
  t->now = renew_at;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->topics->len, ==, n + 1);
  g_assert_null (strstr (last_body (t), "replace"));
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.renew_state, ==, CBD_RENEW_REQUESTED);
  g_assert_cmpint (st.hub_state, ==, CBD_HUB_CONNECTED);

  /* No 202 within 30 s: asked again with replace */
  t->mono_ms += 31000;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->topics->len, ==, n + 2);
  g_assert_nonnull (strstr (last_body (t), "\"replace\":\"*\""));

  /* A stale answer to the first request id is ignored; the bare-array PEM answer installs */
  hub_answer (t, "credentials", 400, topic_rid (g_ptr_array_index (t->topics, n)),
              "{\"errorCode\":400004,\"message\":\"stale\"}");
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.renew_state, ==, CBD_RENEW_REQUESTED);
  connects = t->connects;
  issued = answer_renewal (t, TRUE, TRUE, "hubdev-1");
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.renew_state, ==, CBD_RENEW_RENEWED);
  g_assert_null (st.renew_error);
  g_assert_cmpuint (st.renewals, ==, 1);
  active = active_chain (t);
  g_assert_true (g_bytes_equal (active, issued));
  new_pub = active_leaf_pub (t);
  g_assert_false (g_bytes_equal (new_pub, old_pub));
  /* ... and reconnects with it */
  g_assert_cmpuint (t->connects, ==, connects + 1);
  g_assert_true (g_bytes_equal (t->connect_chain, issued));
  g_assert_cmpint (st.hub_state, ==, CBD_HUB_CONNECTING);
  connect_scripted (t);
  g_assert_cmpint (bench_call (t, CBP_CMD_DIAG, NULL, &diag), ==, 0);
  g_assert_cmpstr (diag.renew_state, ==, "renewed");
  g_assert_true (diag.has_renew_time);
  g_assert_cmpint (diag.renew_time, ==, t->now);
  g_assert_cmpint (diag.renew_at, >, renew_at);
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);

  /* Next renewal: 409 (ours from before) is retried with replace, then a 400 fails it */
  cbd_device_get_status (t->dev, &st);
  t->now = st.renew_at;
  cbd_device_tick (t->dev);
  g_assert_null (strstr (last_body (t), "replace"));
  n = t->topics->len;
  hub_answer (t, "credentials", 409, topic_rid (last_topic (t)),
              "{\"errorCode\":409005,\"message\":\"A credential operation is already active\"}");
  g_assert_cmpuint (t->topics->len, ==, n + 1);
  g_assert_nonnull (strstr (last_body (t), "\"replace\":\"*\""));
  hub_answer (t, "credentials", 400, topic_rid (last_topic (t)),
              "{\"errorCode\":400040,\"message\":\"A Certificate signing request operation failed\","
              "\"info\":{\"credentialError\":\"FailedToDecodeCsr\"}}");
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.renew_state, ==, CBD_RENEW_FAILED);
  g_assert_cmpstr (st.renew_error, ==, "400 400040: A Certificate signing request operation failed");
  g_assert_cmpint (st.hub_state, ==, CBD_HUB_CONNECTED);
  /* The installed certificate is untouched */
  {
    g_autoptr(GBytes) still = active_chain (t);
    g_assert_true (g_bytes_equal (still, issued));
  }

  /* A retry after 30 s; a leaf with the wrong CN is not installed */
  n = t->topics->len;
  t->mono_ms += 10000;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->topics->len, ==, n);
  t->mono_ms += 21000;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->topics->len, ==, n + 1);
  {
    g_autoptr(GBytes) wrong = answer_renewal (t, FALSE, FALSE, "someone-else");
    g_autoptr(GBytes) still = active_chain (t);

    g_assert_true (g_bytes_equal (still, issued));
  }
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.renew_state, ==, CBD_RENEW_FAILED);
  g_assert_cmpstr (st.renew_error, ==, "the issued leaf's CN is not the device id");

  /* The object form with base64 DER installs as well */
  t->mono_ms += 31000;
  cbd_device_tick (t->dev);
  {
    g_autoptr(GBytes) again = answer_renewal (t, FALSE, FALSE, "hubdev-1");
    g_autoptr(GBytes) now_active = active_chain (t);

    g_assert_true (g_bytes_equal (now_active, again));
  }
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.renew_state, ==, CBD_RENEW_RENEWED);
  g_assert_cmpuint (st.renewals, ==, 2);
  tdev_free (t);
}

static void
test_scripted_expired (void)
{
  TDev *t = tdev_new_scripted (TRUE);
  g_autoptr(GBytes) old = NULL;
  g_autoptr(GBytes) now_active = NULL;
  cbd_status st;
  guint connects;

  provision_scripted (t);
  connect_scripted (t);
  old = active_chain (t);
  cbd_device_get_status (t->dev, &st);

  /* Expired by the device clock: DPS again (fresh key, auto-commit), then the hub */
  connects = t->connects;
  t->now = st.not_after + 1;
  cbd_device_tick (t->dev);
  g_assert_cmpuint (t->dps_calls, ==, 2);
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.renew_state, ==, CBD_RENEW_REREGISTERED);
  g_assert_cmpuint (st.reregistrations, ==, 1);
  g_assert_cmpint (st.not_after, >, t->now);
  now_active = active_chain (t);
  g_assert_false (g_bytes_equal (now_active, old));
  g_assert_cmpuint (t->connects, ==, connects + 1);
  g_assert_true (g_bytes_equal (t->connect_chain, now_active));
  tdev_free (t);

  /* Without a DPS configuration an expired device says why. */
  t = tdev_new_scripted (TRUE);
  provision_scripted (t);
  cbd_device_get_status (t->dev, &st);
  cbd_device_free (t->dev);
  t->plat.dps_register = NULL;
  tdev_new_device (t, 0.8);
  t->now = st.not_after + 1;
  cbd_device_tick (t->dev);
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.renew_state, ==, CBD_RENEW_NONE);
  tdev_free (t);
}

static void
test_scripted_bench (void)
{
  TDev *t = tdev_new_scripted (TRUE);
  cbp_hub_config_req req = { 0 };
  cbp_diag_rsp diag = { 0 };
  cbd_status st;

  /* hub_config before any certificate: stored, no connection */
  req.host = (char *) "hub-two.azure-devices.net";
  req.device_id = (char *) "bench-7";
  req.endpoint = (char *) "127.0.0.1:28883";
  req.ca_path = (char *) "/tmp/ca.pem";
  g_assert_cmpint (bench_call (t, CBP_CMD_HUB_CONFIG, &req, NULL), ==, 0);
  g_assert_cmpint (bench_call (t, CBP_CMD_HUB_CONFIG, &req, NULL), ==, 0);
  g_assert_cmpuint (t->connects, ==, 0);
  g_assert_cmpint (bench_call (t, CBP_CMD_DIAG, NULL, &diag), ==, 0);
  g_assert_cmpstr (diag.hub, ==, "hub-two.azure-devices.net");
  g_assert_cmpstr (diag.hub_state, ==, "off");
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);

  req.device_id = (char *) "bad,cn";
  g_assert_cmpint (bench_call (t, CBP_CMD_HUB_CONFIG, &req, NULL), ==, CBP_RC_BAD_SUBJECT);
  req.device_id = (char *) "bench-7";
  req.host = (char *) "";
  g_assert_cmpint (bench_call (t, CBP_CMD_HUB_CONFIG, &req, NULL), ==, -CBP_SMP_RC_INVALID);
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpstr (st.hub_host, ==, "hub-two.azure-devices.net");
  g_assert_cmpstr (st.device_id, ==, "bench-7");
  tdev_free (t);

  /* A device without network */
  t = tdev_new_scripted (FALSE);
  req.host = (char *) "hub-two.azure-devices.net";
  g_assert_cmpint (bench_call (t, CBP_CMD_HUB_CONFIG, &req, NULL), ==, CBP_RC_NOT_SUPPORTED);
  g_assert_cmpint (cbd_device_hub_configure (t->dev, "h", "d", NULL, NULL), ==,
                   CBP_RC_NOT_SUPPORTED);
  g_assert_cmpint (cbd_device_register (t->dev, NULL), ==, CBP_RC_NOT_SUPPORTED);
  g_assert_cmpint (bench_call (t, CBP_CMD_DIAG, NULL, &diag), ==, 0);
  g_assert_null (diag.hub);
  g_assert_cmpstr (diag.hub_state, ==, "off");
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);
  tdev_free (t);
}

/* ---- against the real sandbox ---- */

#define DEMO_HUB       "demo-hub"
#define DEMO_HUB_HOST  "demo-hub.azure-devices.net"
#define DEMO_SCOPE     "0ne00CB0DE1"
#define DEMO_GROUP_KEY "Y2VydGJlbmNoLWRlbW8tZW5yb2xsbWVudC1rZXktMDE="
#define DEMO_SUB       "cb000000-0000-4000-8000-000000000001"
#define DEMO_NS_PATH   "/arm/subscriptions/" DEMO_SUB "/resourceGroups/certbench-demo" \
                       "/providers/Microsoft.DeviceRegistry/namespaces/demo-ns"
#define HUB_API        "api-version=2021-04-12"
#define ARM_API        "api-version=2026-03-01-preview"
#define REG_ID         "hubdev-1"

static int
real_dps (void *ctx, const cbd_dps_params *params, const uint8_t *csr, size_t csr_len)
{
  return cbd_dps_register (((TDev *) ctx)->dps, params, csr, csr_len);
}

static int
real_connect (void *ctx, const cbd_hub_params *params)
{
  ((TDev *) ctx)->connects++;
  return cbd_hub_connect (((TDev *) ctx)->hub, params);
}

static void
real_disconnect (void *ctx)
{
  cbd_hub_disconnect (((TDev *) ctx)->hub);
}

static int
real_subscribe (void *ctx, const char *topic)
{
  return cbd_hub_subscribe (((TDev *) ctx)->hub, topic);
}

static int
real_publish (void *ctx, const char *topic, const uint8_t *payload, size_t len)
{
  return cbd_hub_publish (((TDev *) ctx)->hub, topic, payload, len);
}

static TDev *
tdev_new_real (CbdClock *clock)
{
  TDev *t = tdev_alloc ();

  t->clock = clock;
  t->plat.now = real_now;
  t->plat.monotonic_ms = cbd_clock_monotonic_ms;
  t->plat.dps_register = real_dps;
  t->plat.hub_connect = real_connect;
  t->plat.hub_disconnect = real_disconnect;
  t->plat.hub_subscribe = real_subscribe;
  t->plat.hub_publish = real_publish;
  t->dps = cbd_dps_new ();
  t->hub = cbd_hub_new (t->dir);
  tdev_new_device (t, 0.8);
  cbd_dps_set_device (t->dps, t->dev);
  cbd_hub_set_device (t->hub, t->dev);
  return t;
}

typedef gboolean (*Cond) (TDev *t, const cbd_status *st);

/* Runs the main context and ticks the device until cond holds. */
static void
run_until (TDev *t, Cond cond, guint timeout_s, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  gint64 next_tick = 0;
  cbd_status st;

  for (;;)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (g_get_monotonic_time () >= next_tick)
        {
          cbd_device_tick (t->dev);
          next_tick = g_get_monotonic_time () + 200000;
        }
      cbd_device_get_status (t->dev, &st);
      if (cond (t, &st))
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s: hub %s (%s), renew %s (%s), dps %d (%s)", what,
                 cbd_hub_state_name (st.hub_state), st.hub_error,
                 cbd_renew_state_name (st.renew_state), st.renew_error, st.dps_state,
                 st.dps_error);
      g_usleep (5000);
    }
  g_test_message ("%s: hub %s", what, cbd_hub_state_name (st.hub_state));
}

static gboolean
connected_reported (TDev *t, const cbd_status *st)
{
  return st->active && st->hub_state == CBD_HUB_CONNECTED && st->twin_reported;
}

static gboolean
unreachable (TDev *t, const cbd_status *st)
{
  return st->hub_state == CBD_HUB_UNREACHABLE;
}

static gboolean
renewed (TDev *t, const cbd_status *st)
{
  return st->renew_state == CBD_RENEW_RENEWED && connected_reported (t, st);
}

/* Not connected yet: by the shifted device clock the new certificate looks expired too. */
static gboolean
reregistered (TDev *t, const cbd_status *st)
{
  return st->renew_state == CBD_RENEW_REREGISTERED && st->reregistrations == 1;
}

static gboolean
refused (TDev *t, const cbd_status *st)
{
  return st->hub_state == CBD_HUB_REFUSED;
}

static gint64
sandbox_now (CbTestSandbox *ts)
{
  gint64 now;

  cb_sb_lock (ts->sandbox);
  now = cb_sb_now (ts->sandbox);
  cb_sb_unlock (ts->sandbox);
  return now;
}

static char *
hub_sas (CbTestSandbox *ts)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  char *token;

  cb_sb_lock (ts->sandbox);
  key = cb_sb_dup_hub_key (ts->sandbox, DEMO_HUB, "iothubowner");
  cb_sb_unlock (ts->sandbox);
  g_assert_nonnull (key);
  token = cb_sas_token_new (DEMO_HUB_HOST, key, "iothubowner", sandbox_now (ts) + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

/* The twin's reported certificate dates must be the device's active leaf's. */
static void
assert_twin_matches (CbTestSandbox *ts, TDev *t)
{
  g_autofree char *auth = hub_sas (ts);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GBytes) chain = active_chain (t);
  g_autoptr(CbCertificate) leaf = leaf_of (chain);
  g_autofree char *from = iso (cb_certificate_get_not_before (leaf));
  g_autofree char *until = iso (cb_certificate_get_not_after (leaf));
  JsonObject *twin, *cert;

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", "/hubs/" DEMO_HUB "/twins/" REG_ID
                                                  "?" HUB_API, auth, NULL, &reply, NULL), ==, 200);
  twin = json_node_get_object (reply);
  g_assert_cmpstr (json_object_get_string_member_with_default (twin, "connectionState", ""), ==,
                   "Connected");
  cert = json_object_get_object_member (
    json_object_get_object_member (json_object_get_object_member (twin, "properties"),
                                   "reported"), "certificate");
  g_assert_nonnull (cert);
  g_assert_cmpstr (json_object_get_string_member (cert, "validFrom"), ==, from);
  g_assert_cmpstr (json_object_get_string_member (cert, "validUntil"), ==, until);
}

static void
advance_sandbox (CbTestSandbox *ts, CbdClock *clock, gint64 seconds)
{
  g_autofree char *body = g_strdup_printf ("{\"advanceSeconds\": %" G_GINT64_FORMAT "}", seconds);
  guint status = cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL, body, NULL,
                                          NULL);

  g_assert_cmpuint (status, ==, 200);
  cbd_clock_refresh (clock);
}

static void
test_sandbox_lifecycle (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbdClock) clock = NULL;
  g_autofree char *clock_url = NULL;
  g_autofree char *dps_url = NULL;
  g_autofree char *device_key = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *closed = NULL;
  g_autofree char *key_path = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  cbd_dps_params dps = { 0 };
  const char *ca = cb_sandbox_get_ca_file (ts->sandbox);
  cbd_status st;
  struct stat sb;
  TDev *t;

  g_assert_true (cb_sandbox_seed_demo (ts->sandbox, &error));
  g_assert_no_error (error);
  clock_url = g_strconcat (cb_sandbox_get_base_url (ts->sandbox), "/sandbox/clock", NULL);
  clock = cbd_clock_new (clock_url, ca, &error);
  g_assert_no_error (error);
  g_assert_true (cbd_clock_wait_synced (clock, 10000, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ABS (cbd_clock_now (clock) - sandbox_now (ts)), <=, 2);

  dps_url = g_strconcat (cb_sandbox_get_base_url (ts->sandbox), "/dps", NULL);
  device_key = cb_sas_derive_device_key (DEMO_GROUP_KEY, REG_ID, &error);
  g_assert_no_error (error);
  endpoint = g_strdup_printf ("127.0.0.1:%u", cb_sandbox_get_mqtt_port (ts->sandbox));
  g_assert_cmpuint (cb_sandbox_get_mqtt_port (ts->sandbox), >, 0);

  t = tdev_new_real (clock);
  dps.scope = DEMO_SCOPE;
  dps.reg_id = REG_ID;
  dps.key = device_key;
  dps.endpoint = dps_url;
  dps.ca_path = ca;
  g_assert_cmpint (cbd_device_dps_configure (t->dev, &dps), ==, 0);

  /* First a port nobody listens on: unreachable, with the reason */
  {
    g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    g_assert_true (g_socket_bind (sock, any, TRUE, &error));
    bound = g_socket_get_local_address (sock, &error);
    closed = g_strdup_printf ("127.0.0.1:%u",
                              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  }
  g_assert_cmpint (cbd_device_hub_configure (t->dev, NULL, NULL, closed, ca), ==, 0);
  g_assert_cmpint (cbd_device_register (t->dev, NULL), ==, 0);
  run_until (t, unreachable, 30, "unreachable on a closed port");
  cbd_device_get_status (t->dev, &st);
  g_test_message ("closed port: %s", st.hub_error);
  g_assert_cmpstr (st.hub_error, ==, "connection refused");
  g_assert_cmpstr (st.hub_host, ==, DEMO_HUB_HOST);
  g_assert_cmpstr (st.device_id, ==, REG_ID);

  /* The right port but no pinned CA (system trust): the TLS verdict */
  g_assert_cmpint (cbd_device_hub_configure (t->dev, DEMO_HUB_HOST, REG_ID, endpoint, NULL), ==, 0);
  run_until (t, unreachable, 30, "TLS failure without the sandbox CA");
  cbd_device_get_status (t->dev, &st);
  g_test_message ("system trust: %s", st.hub_error);
  g_assert_true (g_str_has_prefix (st.hub_error, "TLS: "));
  g_assert_nonnull (strstr (st.hub_error, "verify failed"));

  /* Pinned: connected, twin reported */
  g_assert_cmpint (cbd_device_hub_configure (t->dev, DEMO_HUB_HOST, REG_ID, endpoint, ca), ==, 0);
  run_until (t, connected_reported, 30, "connected");
  assert_twin_matches (ts, t);
  key_path = g_build_filename (t->dir, "hub-client-key.pem", NULL);
  g_assert_cmpint (g_stat (key_path, &sb), ==, 0);
  g_assert_cmpint (sb.st_mode & 0777, ==, 0600);
  first = active_chain (t);

  /* Expired by the device clock: a DPS re-registration with a fresh key, then the hub. (The
   * sandbox clock stays: core's DPS client signs its SAS with real time, which a sandbox
   * advanced by a month would refuse.) Back to the sandbox time once it happened, or the
   * new certificate would look expired as well. */
  t->offset = 31 * 86400;
  run_until (t, reregistered, 40, "re-registered through DPS");
  cbd_device_get_status (t->dev, &st);
  g_assert_cmpint (st.hub_state, ==, CBD_HUB_DISCONNECTED);
  g_assert_cmpstr (st.hub_error, ==, "certificate expired");
  t->offset = 0;
  second = active_chain (t);
  g_assert_false (g_bytes_equal (first, second));
  run_until (t, connected_reported, 30, "connected after the re-registration");
  assert_twin_matches (ts, t);

  /* 25 days later on the sandbox clock (which the device follows): past the renewal point */
  advance_sandbox (ts, clock, 25 * 86400);
  run_until (t, renewed, 40, "renewed through the hub");
  {
    g_autoptr(GBytes) third = active_chain (t);
    g_autoptr(CbCertificate) a = leaf_of (second);
    g_autoptr(CbCertificate) b = leaf_of (third);

    g_assert_cmpint (cb_certificate_get_not_after (b), >=,
                     cb_certificate_get_not_after (a) + 24 * 86400);
    g_assert_cmpstr (cb_certificate_get_common_name (b), ==, REG_ID);
  }
  run_until (t, renewed, 10, "connected with the renewed certificate");
  assert_twin_matches (ts, t);

  /* The sandbox clock running 200000 times faster (the device follows its rate): the
   * renewal point of a 30-day certificate comes after about ten seconds. */
  {
    guint before;
    gint64 deadline = g_get_monotonic_time () + 40 * G_USEC_PER_SEC;

    cbd_device_get_status (t->dev, &st);
    before = st.renewals;
    g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                               "{\"rate\": 200000}", NULL, NULL), ==, 200);
    cbd_clock_refresh (clock);
    while (g_get_monotonic_time () < deadline)
      {
        while (g_main_context_iteration (NULL, FALSE))
          ;
        cbd_device_tick (t->dev);
        cbd_device_get_status (t->dev, &st);
        if (st.renewals > before && connected_reported (t, &st))
          break;
        g_usleep (20000);
      }
    g_assert_cmpfloat (cbd_clock_get_rate (clock), ==, 200000.0);
    g_assert_cmpuint (st.renewals, >, before);
    g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                               "{\"rate\": 1}", NULL, NULL), ==, 200);
    cbd_clock_refresh (clock);
    deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    while (cbd_clock_get_rate (clock) != 1.0 && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
    g_assert_cmpfloat (cbd_clock_get_rate (clock), ==, 1.0);
    run_until (t, connected_reported, 20, "connected on the accelerated clock");
    g_assert_cmpint (ABS (cbd_clock_now (clock) - sandbox_now (ts)), <=, 2);
    assert_twin_matches (ts, t);
  }

  /* An ARM device revoke: the sandbox drops the connection and refuses the next one */
  {
    g_autofree char *owner = cb_test_sandbox_token (ts, "owner@contoso.example",
                                                    CB_SB_ROLE_OWNER, "/subscriptions/" DEMO_SUB,
                                                    CB_SB_AUD_ARM);
    guint status = cb_test_sandbox_request (ts, "POST", DEMO_NS_PATH "/devices/" REG_ID
                                            "/revoke?" ARM_API, owner, NULL,
                                            "{\"disable\": false}", NULL, NULL);
    g_assert_cmpuint (status, ==, 202);
  }
  run_until (t, refused, 60, "refused after the revoke");
  cbd_device_get_status (t->dev, &st);
  g_test_message ("after revoke: %s", st.hub_error);
  g_assert_cmpstr (st.hub_error, ==, "CONNACK 5: not authorized");
  {
    cbp_diag_rsp diag = { 0 };

    g_assert_cmpint (bench_call (t, CBP_CMD_DIAG, NULL, &diag), ==, 0);
    g_assert_cmpstr (diag.hub, ==, DEMO_HUB_HOST);
    g_assert_cmpstr (diag.hub_state, ==, "refused");
    g_assert_cmpstr (diag.hub_err, ==, "CONNACK 5: not authorized");
    g_assert_cmpstr (diag.renew_state, ==, "renewed");
    g_assert_true (diag.has_hub_time && diag.has_renew_time);
    cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);
  }

  g_assert_null (g_strstr_len ((const char *) t->console->data, t->console->len, device_key));
  tdev_free (t);
}

/* ---- the real certbench-devsim binary over its pty ---- */

typedef struct
{
  GSubprocess *proc;
  int          fd;
  char        *dir;
  cbp_decoder *dec;
  GPtrArray   *packets;
  guint8       seq;
} Bin;

static void
bin_on_packet (void *user_data, const uint8_t *packet, size_t len)
{
  Bin *b = user_data;

  g_ptr_array_add (b->packets, g_bytes_new (packet, len));
}

static Bin *
bin_start (const char * const *extra)
{
  Bin *b = g_new0 (Bin, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("cb-devsim-hub-bin-XXXXXX", &error);
  struct termios tio;
  guint i;

  g_assert_no_error (error);
  b->dir = g_build_filename (tmp, "state", NULL);
  g_ptr_array_add (argv, g_test_build_filename (G_TEST_BUILT, "..", "src", "devsim",
                                                "certbench-devsim", NULL));
  g_ptr_array_add (argv, g_strdup ("--state-dir"));
  g_ptr_array_add (argv, g_strdup (b->dir));
  for (i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));
  g_ptr_array_add (argv, NULL);
  b->proc = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (b->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "PTY /dev/"));
  b->fd = open (line + 4, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (b->fd, >=, 0);
  g_assert_cmpint (tcgetattr (b->fd, &tio), ==, 0);
  cfmakeraw (&tio);
  g_assert_cmpint (tcsetattr (b->fd, TCSANOW, &tio), ==, 0);
  b->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  b->dec = cbp_decoder_new (0, bin_on_packet, NULL, b);
  return b;
}

static void
bin_stop (Bin *b)
{
  g_autofree char *parent = g_path_get_dirname (b->dir);

  close (b->fd);
  g_subprocess_send_signal (b->proc, SIGTERM);
  g_subprocess_wait (b->proc, NULL, NULL);
  g_object_unref (b->proc);
  cbp_decoder_free (b->dec);
  g_ptr_array_unref (b->packets);
  cb_test_remove_tree (parent);
  g_free (b->dir);
  g_free (b);
}

/* One bench call over the pty: 0, a group rc (> 0), a negated generic rc, G_MININT on timeout. */
static int
bin_call (Bin *b, guint8 id, const void *req, void *rsp)
{
  const cbp_command *cmd = cbp_group_command (id);
  cbp_smp_header hdr = { CBP_SMP_V2, cmd->op, 0, 0, CBP_GROUP_DEFAULT, ++b->seq, id };
  uint8_t *cbor = NULL, *packet = NULL, *frames = NULL;
  size_t cbor_len = 0, packet_len = 0, frames_len = 0, done = 0;
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_cmpint (cbp_request_encode (cmd, req, &cbor, &cbor_len), ==, CBP_OK);
  g_assert_cmpint (cbp_smp_packet_build (&hdr, cbor, cbor_len, &packet, &packet_len), ==, 0);
  g_assert_cmpint (cbp_frame_encode (packet, packet_len, 127, &frames, &frames_len), ==, 0);
  free (cbor);
  free (packet);
  while (done < frames_len)
    {
      ssize_t n = write (b->fd, frames + done, frames_len - done);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        {
          g_usleep (1000);
          continue;
        }
      g_assert_cmpint (n, >, 0);
      done += (size_t) n;
    }
  free (frames);

  while (g_get_monotonic_time () < end)
    {
      struct pollfd pfd = { b->fd, POLLIN, 0 };
      guint8 buf[4096];
      ssize_t n;

      while (b->packets->len > 0)
        {
          g_autoptr(GBytes) p = g_ptr_array_steal_index (b->packets, 0);
          gsize len;
          const guint8 *d = g_bytes_get_data (p, &len);
          const guint8 *payload;
          cbp_smp_header rh;
          cbp_error err;

          if (cbp_smp_packet_parse (d, len, &rh, &payload) != 0 || rh.seq != hdr.seq)
            continue;
          g_assert_cmpint (cbp_error_decode (payload, rh.len, &err), ==, CBP_OK);
          if (err.kind == CBP_ERROR_GROUP)
            return err.rc;
          if (err.kind == CBP_ERROR_GENERIC)
            return -err.rc;
          if (rsp != NULL)
            g_assert_cmpint (cbp_response_decode (cmd, payload, rh.len, rsp), ==, CBP_OK);
          return 0;
        }
      if (poll (&pfd, 1, 100) <= 0)
        continue;
      n = read (b->fd, buf, sizeof buf);
      if (n > 0)
        cbp_decoder_feed (b->dec, buf, (size_t) n);
    }
  return G_MININT;
}

/* Polls diag until the hub state is want (and, when renew is set, renew_state too). */
static void
bin_wait_diag (Bin *b, const char *want, const char *renew, guint timeout_s, cbp_diag_rsp *out)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      memset (out, 0, sizeof *out);
      g_assert_cmpint (bin_call (b, CBP_CMD_DIAG, NULL, out), ==, 0);
      if (g_strcmp0 (out->hub_state, want) == 0 &&
          (renew == NULL || g_strcmp0 (out->renew_state, renew) == 0))
        return;
      if (g_get_monotonic_time () > end)
        g_error ("diag: hub %s (%s), renew %s (%s); waited for %s/%s", out->hub_state,
                 out->hub_err, out->renew_state, out->renew_err, want, renew);
      cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), out);
      g_usleep (200000);
    }
}

static void
assert_twin_dates (CbTestSandbox *ts, const char *device_id, gint64 not_before, gint64 not_after)
{
  g_autofree char *auth = hub_sas (ts);
  g_autofree char *path = g_strdup_printf ("/hubs/" DEMO_HUB "/twins/%s?" HUB_API, device_id);
  g_autofree char *from = iso (not_before);
  g_autofree char *until = iso (not_after);
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *cert;

  g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", path, auth, NULL, &reply, NULL), ==,
                    200);
  cert = json_object_get_object_member (
    json_object_get_object_member (
      json_object_get_object_member (json_node_get_object (reply), "properties"), "reported"),
    "certificate");
  g_assert_nonnull (cert);
  g_assert_cmpstr (json_object_get_string_member (cert, "validFrom"), ==, from);
  g_assert_cmpstr (json_object_get_string_member (cert, "validUntil"), ==, until);
}

/* A device provisioned over the bench protocol the way a station does it (keygen, the
 * device's own DPS registration, commit, hub_config) connects, reports its twin and, on an
 * accelerated sandbox clock that it follows with --clock-url, renews itself. */
static void
test_binary_bench (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(GError) error = NULL;
  const char *ca = cb_sandbox_get_ca_file (ts->sandbox);
  g_autofree char *clock_url = g_strconcat (cb_sandbox_get_base_url (ts->sandbox),
                                            "/sandbox/clock", NULL);
  g_autofree char *dps_url = g_strconcat (cb_sandbox_get_base_url (ts->sandbox), "/dps", NULL);
  g_autofree char *endpoint = g_strdup_printf ("127.0.0.1:%u",
                                               cb_sandbox_get_mqtt_port (ts->sandbox));
  g_autofree char *device_key = NULL;
  const char *extra[] = { "--clock-url", clock_url, "--ca-file", ca, NULL };
  cbp_keygen_req kreq = { (char *) "p256", false, false };
  cbp_keygen_rsp krsp;
  cbp_dps_config_req dreq = { 0 };
  cbp_dps_register_rsp rrsp;
  cbp_dps_status_rsp st = { 0 };
  cbp_cert_commit_req creq = { { 0 } };
  cbp_cert_commit_rsp crsp;
  cbp_hub_config_req hreq = { 0 };
  cbp_diag_rsp diag;
  gint64 first_after, end;
  guint8 sha[32];
  Bin *b;

  g_assert_true (cb_sandbox_seed_demo (ts->sandbox, &error));
  g_assert_no_error (error);
  device_key = cb_sas_derive_device_key (DEMO_GROUP_KEY, "hubbin-1", &error);
  g_assert_no_error (error);

  b = bin_start (extra);
  g_assert_cmpint (bin_call (b, CBP_CMD_KEYGEN, &kreq, &krsp), ==, 0);
  cbp_response_clear (cbp_group_command (CBP_CMD_KEYGEN), &krsp);
  dreq.scope = (char *) DEMO_SCOPE;
  dreq.reg_id = (char *) "hubbin-1";
  dreq.key = device_key;
  dreq.endpoint = dps_url;
  dreq.ca_path = (char *) ca;
  g_assert_cmpint (bin_call (b, CBP_CMD_DPS_CONFIG, &dreq, NULL), ==, 0);
  g_assert_cmpint (bin_call (b, CBP_CMD_DPS_REGISTER, NULL, &rrsp), ==, 0);
  cbp_response_clear (cbp_group_command (CBP_CMD_DPS_REGISTER), &rrsp);
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  for (;;)
    {
      g_assert_cmpint (bin_call (b, CBP_CMD_DPS_STATUS, NULL, &st), ==, 0);
      if (g_strcmp0 (st.state, "running") != 0 || g_get_monotonic_time () > end)
        break;
      cbp_response_clear (cbp_group_command (CBP_CMD_DPS_STATUS), &st);
      g_usleep (100000);
    }
  g_assert_cmpstr (st.state, ==, "assigned");
  g_assert_cmpstr (st.hub, ==, DEMO_HUB_HOST);
  memcpy (sha, st.sha.data, 32);
  creq.sha.data = sha;
  creq.sha.len = 32;
  g_assert_cmpint (bin_call (b, CBP_CMD_CERT_COMMIT, &creq, &crsp), ==, 0);
  cbp_response_clear (cbp_group_command (CBP_CMD_CERT_COMMIT), &crsp);

  hreq.host = st.hub;
  hreq.device_id = st.device_id;
  hreq.endpoint = endpoint;
  hreq.ca_path = (char *) ca;
  g_assert_cmpint (bin_call (b, CBP_CMD_HUB_CONFIG, &hreq, NULL), ==, 0);
  cbp_response_clear (cbp_group_command (CBP_CMD_DPS_STATUS), &st);

  bin_wait_diag (b, "connected", NULL, 20, &diag);
  g_assert_cmpstr (diag.hub, ==, DEMO_HUB_HOST);
  first_after = diag.not_after;
  /* The twin report follows the CONNACK closely. */
  g_usleep (500000);
  assert_twin_dates (ts, "hubbin-1", diag.not_before, diag.not_after);
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);

  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": 200000}", NULL, NULL), ==, 200);
  bin_wait_diag (b, "connected", "renewed", 45, &diag);
  g_assert_cmpint (diag.not_after, >, first_after);
  g_assert_cmpuint (cb_test_sandbox_request (ts, "POST", "/sandbox/clock", NULL, NULL,
                                             "{\"rate\": 1}", NULL, NULL), ==, 200);
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);
  /* Once the device's clock runs at rate 1 again, its current dates are in the twin. */
  g_usleep (6 * G_USEC_PER_SEC);
  bin_wait_diag (b, "connected", NULL, 10, &diag);
  g_usleep (500000);
  assert_twin_dates (ts, "hubbin-1", diag.not_before, diag.not_after);
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);
  bin_stop (b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/devsim-hub/scripted/connect", test_scripted_connect);
  g_test_add_func ("/cb/devsim-hub/scripted/renewal", test_scripted_renewal);
  g_test_add_func ("/cb/devsim-hub/scripted/expired", test_scripted_expired);
  g_test_add_func ("/cb/devsim-hub/scripted/bench", test_scripted_bench);
  g_test_add_func ("/cb/devsim-hub/sandbox/lifecycle", test_sandbox_lifecycle);
  g_test_add_func ("/cb/devsim-hub/binary/bench", test_binary_bench);
  return g_test_run ();
}
