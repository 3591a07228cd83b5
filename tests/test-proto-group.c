/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/resource.h>

#include "cbp-group.h"
#include "cbp-smp.h"

static GBytes *
enc_req (const cbp_command *cmd, const void *msg)
{
  uint8_t *out = NULL;
  size_t len = 0;

  g_assert_cmpint (cbp_request_encode (cmd, msg, &out, &len), ==, CBP_OK);
  return g_bytes_new_take (out, len);
}

static GBytes *
enc_rsp (const cbp_command *cmd, const void *msg)
{
  uint8_t *out = NULL;
  size_t len = 0;

  g_assert_cmpint (cbp_response_encode (cmd, msg, &out, &len), ==, CBP_OK);
  return g_bytes_new_take (out, len);
}

#define DEC_REQ(cmd, bytes, msg) \
  cbp_request_decode (cmd, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), msg)
#define DEC_RSP(cmd, bytes, msg) \
  cbp_response_decode (cmd, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), msg)

static void
test_tables (void)
{
  size_t n, i;
  const cbp_command *cmds = cbp_group_commands (&n);

  g_assert_cmpuint (n, ==, CBP_CMD_COUNT);
  for (i = 0; i < n; i++)
    {
      g_assert_cmpuint (cmds[i].id, ==, i);
      g_assert_true (cbp_group_command ((uint8_t) i) == &cmds[i]);
      g_assert_true (cbp_group_command_by_name (cmds[i].name) == &cmds[i]);
      g_assert_true (cmds[i].op == CBP_OP_READ || cmds[i].op == CBP_OP_WRITE);
    }
  g_assert_null (cbp_group_command (CBP_CMD_COUNT));
  g_assert_null (cbp_group_command_by_name ("format_flash"));
  g_assert_nonnull (cbp_os_command (0));
  g_assert_nonnull (cbp_os_command (6));
  g_assert_null (cbp_os_command (1));
  g_assert_cmpstr (cbp_rc_name (CBP_RC_KEY_MISMATCH), ==, "key_mismatch");
  g_assert_cmpstr (cbp_rc_name (999), ==, "?");
  g_assert_cmpint (cbp_rc_to_v1 (CBP_RC_NO_CERT), ==, CBP_SMP_RC_NO_ENTRY);
}

static void
test_info_round_trip (void)
{
  const cbp_command *cmd = cbp_group_command (CBP_CMD_INFO);
  char *types[] = { (char *) "p256", (char *) "p384" };
  cbp_info_rsp rsp = {
    .serial = (char *) "SN-0001", .model = (char *) "devsim", .fw = (char *) "1.2.3",
    .proto = 1, .key_types = { types, 2 }, .key = (char *) "p256", .next_key = true,
    .frame_size = 127, .buf_size = 1024, .slot_size = 8192, .slots = 2, .active = true,
    .staged = 70000,
  };
  cbp_info_rsp back;
  g_autoptr(GBytes) b = enc_rsp (cmd, &rsp);
  g_autoptr(GBytes) empty = enc_req (cmd, NULL);

  /* an empty request is the empty map */
  g_assert_cmpmem (g_bytes_get_data (empty, NULL), g_bytes_get_size (empty), "\xa0", 1);

  g_assert_cmpint (DEC_RSP (cmd, b, &back), ==, CBP_OK);
  g_assert_cmpstr (back.serial, ==, "SN-0001");
  g_assert_cmpstr (back.model, ==, "devsim");
  g_assert_cmpstr (back.fw, ==, "1.2.3");
  g_assert_cmpuint (back.proto, ==, 1);
  g_assert_cmpuint (back.key_types.n, ==, 2);
  g_assert_cmpstr (back.key_types.items[1], ==, "p384");
  g_assert_cmpstr (back.key, ==, "p256");
  g_assert_true (back.next_key);
  g_assert_cmpuint (back.frame_size, ==, 127);
  g_assert_cmpuint (back.buf_size, ==, 1024);
  g_assert_cmpuint (back.slot_size, ==, 8192);
  g_assert_cmpuint (back.slots, ==, 2);
  g_assert_true (back.active);
  g_assert_cmpuint (back.staged, ==, 70000);
  cbp_response_clear (cmd, &back);
  g_assert_null (back.serial);
  g_assert_null (back.key_types.items);

  /* Optional key absent */
  rsp.key = NULL;
  {
    g_autoptr(GBytes) b2 = enc_rsp (cmd, &rsp);
    g_assert_cmpint (DEC_RSP (cmd, b2, &back), ==, CBP_OK);
    g_assert_null (back.key);
    cbp_response_clear (cmd, &back);
  }
}

static void
test_cert_round_trip (void)
{
  const cbp_command *put = cbp_group_command (CBP_CMD_CERT_PUT);
  const cbp_command *commit = cbp_group_command (CBP_CMD_CERT_COMMIT);
  const cbp_command *get = cbp_group_command (CBP_CMD_CERT_GET);
  guint8 sha[32], data[300];
  cbp_cert_put_req req = { 0 }, back = { 0 };
  guint i;

  for (i = 0; i < sizeof sha; i++)
    sha[i] = (guint8) i;
  for (i = 0; i < sizeof data; i++)
    data[i] = (guint8) (255 - i);

  req.off = 0;
  req.len = 1234;
  req.has_len = TRUE;
  req.sha.data = sha;
  req.sha.len = sizeof sha;
  req.data.data = data;
  req.data.len = sizeof data;
  {
    g_autoptr(GBytes) b = enc_req (put, &req);
    g_assert_cmpint (DEC_REQ (put, b, &back), ==, CBP_OK);
    g_assert_cmpuint (back.off, ==, 0);
    g_assert_true (back.has_len);
    g_assert_cmpuint (back.len, ==, 1234);
    g_assert_cmpmem (back.sha.data, back.sha.len, sha, sizeof sha);
    g_assert_cmpmem (back.data.data, back.data.len, data, sizeof data);
    cbp_request_clear (put, &back);
  }

  /* later chunks leave len and sha out */
  req.off = 300;
  req.has_len = FALSE;
  req.sha.data = NULL;
  req.sha.len = 0;
  req.data.len = 0;   /* an empty bstr is still present */
  {
    g_autoptr(GBytes) b = enc_req (put, &req);
    g_assert_cmpint (DEC_REQ (put, b, &back), ==, CBP_OK);
    g_assert_cmpuint (back.off, ==, 300);
    g_assert_false (back.has_len);
    g_assert_null (back.sha.data);
    g_assert_nonnull (back.data.data);
    g_assert_cmpuint (back.data.len, ==, 0);
    cbp_request_clear (put, &back);
  }

  {
    cbp_cert_commit_rsp rsp = { { sha, 32 }, -5, G_GINT64_CONSTANT (4102444800) }, rb;
    g_autoptr(GBytes) b = enc_rsp (commit, &rsp);
    g_assert_cmpint (DEC_RSP (commit, b, &rb), ==, CBP_OK);
    g_assert_cmpint (rb.not_before, ==, -5);
    g_assert_cmpint (rb.not_after, ==, G_GINT64_CONSTANT (4102444800));
    g_assert_cmpmem (rb.sha.data, rb.sha.len, sha, 32);
    cbp_response_clear (commit, &rb);
  }

  {
    cbp_cert_get_req greq = { 10, (char *) "staging", 100, TRUE }, gb;
    g_autoptr(GBytes) b = enc_req (get, &greq);
    g_assert_cmpint (DEC_REQ (get, b, &gb), ==, CBP_OK);
    g_assert_cmpuint (gb.off, ==, 10);
    g_assert_cmpstr (gb.slot, ==, "staging");
    g_assert_true (gb.has_max);
    g_assert_cmpuint (gb.max, ==, 100);
    cbp_request_clear (get, &gb);
  }
}

static void
test_other_round_trips (void)
{
  {
    const cbp_command *cmd = cbp_group_command (CBP_CMD_KEYGEN);
    cbp_keygen_req req = { (char *) "p384", TRUE, TRUE }, back;
    g_autoptr(GBytes) b = enc_req (cmd, &req);
    g_assert_cmpint (DEC_REQ (cmd, b, &back), ==, CBP_OK);
    g_assert_cmpstr (back.type, ==, "p384");
    g_assert_true (back.has_replace && back.replace);
    cbp_request_clear (cmd, &back);
  }
  {
    const cbp_command *cmd = cbp_group_command (CBP_CMD_DIAG);
    cbp_diag_rsp rsp = { 0 }, back;
    g_autoptr(GBytes) b = NULL;
    rsp.time = 1700000000;
    rsp.uptime = 5;
    rsp.dps_err = (char *) "401 Unauthorized";
    rsp.not_after = 1800000000;
    rsp.has_not_after = TRUE;
    b = enc_rsp (cmd, &rsp);
    g_assert_cmpint (DEC_RSP (cmd, b, &back), ==, CBP_OK);
    g_assert_cmpint (back.time, ==, 1700000000);
    g_assert_null (back.tls_err);
    g_assert_cmpstr (back.dps_err, ==, "401 Unauthorized");
    g_assert_false (back.has_not_before);
    g_assert_true (back.has_not_after);
    g_assert_cmpint (back.not_after, ==, 1800000000);
    cbp_response_clear (cmd, &back);
  }
  {
    const cbp_command *cmd = cbp_group_command (CBP_CMD_DPS_CONFIG);
    cbp_dps_config_req req = { (char *) "0ne0001", (char *) "dev-1", (char *) "a2V5",
                               NULL, (char *) "/tmp/ca.pem" }, back;
    g_autoptr(GBytes) b = enc_req (cmd, &req);
    g_assert_cmpint (DEC_REQ (cmd, b, &back), ==, CBP_OK);
    g_assert_cmpstr (back.scope, ==, "0ne0001");
    g_assert_null (back.endpoint);
    g_assert_cmpstr (back.ca_path, ==, "/tmp/ca.pem");
    cbp_request_clear (cmd, &back);
  }
  {
    /* issue 5: the hub's state in diag; an older firmware's diag (no hub fields) still decodes */
    const cbp_command *cmd = cbp_group_command (CBP_CMD_DIAG);
    cbp_diag_rsp rsp = { 0 }, back;
    g_autoptr(GBytes) b = NULL;
    rsp.time = 1700000000;
    rsp.hub = (char *) "demo-hub.azure-devices.net";
    rsp.hub_state = (char *) CBP_HUB_STATE_REFUSED;
    rsp.hub_err = (char *) "CONNACK 5: not authorized";
    rsp.hub_time = 1700000001;
    rsp.has_hub_time = TRUE;
    rsp.renew_state = (char *) CBP_RENEW_STATE_REREGISTERED;
    rsp.renew_time = -3;
    rsp.has_renew_time = TRUE;
    b = enc_rsp (cmd, &rsp);
    g_assert_cmpint (DEC_RSP (cmd, b, &back), ==, CBP_OK);
    g_assert_cmpstr (back.hub, ==, "demo-hub.azure-devices.net");
    g_assert_cmpstr (back.hub_state, ==, "refused");
    g_assert_cmpstr (back.hub_err, ==, "CONNACK 5: not authorized");
    g_assert_true (back.has_hub_time);
    g_assert_cmpint (back.hub_time, ==, 1700000001);
    g_assert_cmpstr (back.renew_state, ==, "reregistered");
    g_assert_null (back.renew_err);
    g_assert_true (back.has_renew_time);
    g_assert_cmpint (back.renew_time, ==, -3);
    cbp_response_clear (cmd, &back);
  }
  {
    const cbp_command *cmd = cbp_group_command (CBP_CMD_DIAG);
    cbp_diag_rsp back;
    /* {"time": 1, "uptime": 2} */
    static const guint8 old[] = { 0xa2, 0x64, 't', 'i', 'm', 'e', 0x01,
                                  0x66, 'u', 'p', 't', 'i', 'm', 'e', 0x02 };
    memset (&back, 0, sizeof back);
    g_assert_cmpint (cbp_response_decode (cmd, old, sizeof old, &back), ==, CBP_OK);
    g_assert_null (back.hub_state);
    g_assert_false (back.has_hub_time);
    g_assert_null (back.renew_state);
    cbp_response_clear (cmd, &back);
  }
  {
    const cbp_command *cmd = cbp_group_command (CBP_CMD_HUB_CONFIG);
    cbp_hub_config_req req = { (char *) "demo-hub.azure-devices.net", (char *) "dev-1",
                               (char *) "127.0.0.1:8883", NULL }, back;
    g_autoptr(GBytes) b = enc_req (cmd, &req);
    /* {"host": "h", "device_id": "d"} without the optional ones is the smallest request */
    static const guint8 minimal[] = { 0xa2, 0x64, 'h', 'o', 's', 't', 0x61, 'h',
                                      0x69, 'd', 'e', 'v', 'i', 'c', 'e', '_', 'i', 'd', 0x61, 'd' };
    static const guint8 no_id[] = { 0xa1, 0x64, 'h', 'o', 's', 't', 0x61, 'h' };
    g_assert_cmpstr (cmd->name, ==, "hub_config");
    g_assert_cmpint (cmd->op, ==, CBP_OP_WRITE);
    g_assert_cmpuint (cmd->timeout_ms, ==, 3000);
    g_assert_true (cmd->idempotent);
    g_assert_cmpuint (cmd->n_rsp_fields, ==, 0);
    g_assert_cmpint (DEC_REQ (cmd, b, &back), ==, CBP_OK);
    g_assert_cmpstr (back.host, ==, "demo-hub.azure-devices.net");
    g_assert_cmpstr (back.device_id, ==, "dev-1");
    g_assert_cmpstr (back.endpoint, ==, "127.0.0.1:8883");
    g_assert_null (back.ca_path);
    cbp_request_clear (cmd, &back);
    memset (&back, 0, sizeof back);
    g_assert_cmpint (cbp_request_decode (cmd, minimal, sizeof minimal, &back), ==, CBP_OK);
    g_assert_cmpstr (back.device_id, ==, "d");
    cbp_request_clear (cmd, &back);
    memset (&back, 0, sizeof back);
    g_assert_cmpint (cbp_request_decode (cmd, no_id, sizeof no_id, &back), ==, CBP_ERR_MISSING);
  }
  {
    const cbp_command *cmd = cbp_os_command (CBP_OS_MCUMGR_PARAMS);
    cbp_os_params_rsp rsp = { 1024, 4 }, back;
    g_autoptr(GBytes) b = enc_rsp (cmd, &rsp);
    /* {"buf_size": 1024, "buf_count": 4}, integers in shortest form */
    static const guint8 want[] = {
      0xa2, 0x68, 'b', 'u', 'f', '_', 's', 'i', 'z', 'e', 0x19, 0x04, 0x00,
      0x69, 'b', 'u', 'f', '_', 'c', 'o', 'u', 'n', 't', 0x04,
    };
    g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), want, sizeof want);
    g_assert_cmpint (DEC_RSP (cmd, b, &back), ==, CBP_OK);
    g_assert_cmpuint (back.buf_size, ==, 1024);
    g_assert_cmpuint (back.buf_count, ==, 4);
  }
}

static void
test_decode_errors (void)
{
  const cbp_command *csr = cbp_group_command (CBP_CMD_CSR);
  const cbp_command *put = cbp_group_command (CBP_CMD_CERT_PUT);
  cbp_csr_req req;
  cbp_cert_put_req preq;
  /* {"cn": 5} */
  static const guint8 wrong_type[] = { 0xa1, 0x62, 'c', 'n', 0x05 };
  /* {"x": "y"}: cn missing */
  static const guint8 missing[] = { 0xa1, 0x61, 'x', 0x61, 'y' };
  /* ["cn"] */
  static const guint8 not_map[] = { 0x81, 0x62, 'c', 'n' };
  /* map of one pair, truncated */
  static const guint8 truncated[] = { 0xa1, 0x62, 'c', 'n', 0x63, 'a' };
  /* trailing bytes after the map */
  static const guint8 trailing[] = { 0xa1, 0x62, 'c', 'n', 0x61, 'a', 0x00 };
  /* {"cn": "a\0b"}: an embedded NUL */
  static const guint8 nul[] = { 0xa1, 0x62, 'c', 'n', 0x63, 'a', 0x00, 'b' };
  /* indefinite map with an indefinite text string and an unknown key:
   * {_ "zz": 1, "cn": (_ "ab", "cd")} */
  static const guint8 indefinite[] = { 0xbf, 0x62, 'z', 'z', 0x01, 0x62, 'c', 'n',
                                       0x7f, 0x62, 'a', 'b', 0x62, 'c', 'd', 0xff, 0xff };
  /* duplicate key: last wins, no leak */
  static const guint8 dup[] = { 0xa2, 0x62, 'c', 'n', 0x61, 'a', 0x62, 'c', 'n', 0x61, 'b' };
  /* cert_put with off = -1 */
  static const guint8 neg_off[] = { 0xa2, 0x63, 'o', 'f', 'f', 0x20, 0x64, 'd', 'a', 't', 'a', 0x40 };

  g_assert_cmpint (cbp_request_decode (csr, wrong_type, sizeof wrong_type, &req), ==, CBP_ERR_TYPE);
  g_assert_cmpint (cbp_request_decode (csr, missing, sizeof missing, &req), ==, CBP_ERR_MISSING);
  g_assert_cmpint (cbp_request_decode (csr, not_map, sizeof not_map, &req), ==, CBP_ERR_NOT_MAP);
  g_assert_cmpint (cbp_request_decode (csr, truncated, sizeof truncated, &req), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_request_decode (csr, trailing, sizeof trailing, &req), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_request_decode (csr, nul, sizeof nul, &req), ==, CBP_ERR_TYPE);
  g_assert_cmpint (cbp_request_decode (csr, NULL, 0, &req), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_request_decode (csr, indefinite, sizeof indefinite, &req), ==, CBP_OK);
  g_assert_cmpstr (req.cn, ==, "abcd");
  cbp_request_clear (csr, &req);
  g_assert_cmpint (cbp_request_decode (csr, dup, sizeof dup, &req), ==, CBP_OK);
  g_assert_cmpstr (req.cn, ==, "b");
  cbp_request_clear (csr, &req);
  g_assert_cmpint (cbp_request_decode (put, neg_off, sizeof neg_off, &preq), ==, CBP_ERR_TYPE);
  g_assert_null (preq.data.data);
}

/* {"a": [2^28 items]} in 8 bytes: libcbor allocates the declared count before it reads on. */
static const guint8 huge_array[] = { 0xa1, 0x61, 'a', 0x9a, 0x10, 0x00, 0x00, 0x00 };

static void
test_declared_sizes (void)
{
  const cbp_command *csr = cbp_group_command (CBP_CMD_CSR);
  cbp_csr_req req;
  cbp_error err;
  /* a map that declares 2^31 pairs, a text string of 2^32 bytes, a byte string of 2^63 bytes */
  static const guint8 huge_map[] = { 0xba, 0x80, 0x00, 0x00, 0x00, 0x01 };
  static const guint8 huge_tstr[] = { 0xa1, 0x61, 'a', 0x7b, 0x00, 0x00, 0x00, 0x01,
                                      0x00, 0x00, 0x00, 0x00, 'x' };
  static const guint8 huge_bstr[] = { 0xa1, 0x61, 'a', 0x5b, 0x80, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x00 };
  /* an indefinite text string whose chunk declares more than is left, and one holding a byte
   * string chunk */
  static const guint8 huge_chunk[] = { 0xa1, 0x61, 'a', 0x7f, 0x7a, 0x01, 0x00, 0x00, 0x00, 0xff };
  static const guint8 wrong_chunk[] = { 0xa1, 0x61, 'a', 0x7f, 0x41, 'x', 0xff, };
  /* reserved additional information, a break outside any container, an odd indefinite map */
  static const guint8 reserved[] = { 0xa1, 0x61, 'a', 0x1c };
  static const guint8 stray_break[] = { 0xa1, 0x61, 'a', 0xff };
  static const guint8 odd_map[] = { 0xbf, 0x61, 'a', 0xff };
  /* indefinite containers and strings that are fine */
  static const guint8 fine[] = { 0xbf, 0x61, 'a', 0x9f, 0x01, 0x5f, 0x41, 'x', 0xff, 0xff,
                                 0x61, 'b', 0xc1, 0x1a, 0x00, 0x00, 0x00, 0x01, 0xff };
  guint8 deep[2 * CBP_CBOR_MAX_DEPTH + 4];
  gint64 start;
  size_t i;

  g_assert_cmpint (cbp_cbor_check (huge_array, sizeof huge_array), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check (huge_map, sizeof huge_map), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check (huge_tstr, sizeof huge_tstr), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check (huge_bstr, sizeof huge_bstr), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check (huge_chunk, sizeof huge_chunk), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check (wrong_chunk, sizeof wrong_chunk), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check (reserved, sizeof reserved), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check (stray_break, sizeof stray_break), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check (odd_map, sizeof odd_map), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check (fine, sizeof fine), ==, CBP_OK);
  /* what libcbor would refuse after it: text that is not UTF-8 (overlong, a surrogate, past
   * U+10FFFF, cut short), unassigned simple values and one-byte tags, a one-byte simple value */
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\x62\xc0\xaf", 3), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\x63\xed\xa0\x80", 4), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\x64\xf4\x90\x80\x80", 5), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\x7f\x61\xc3\x61\xa9\xff", 6), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\x64\xf0\x9f\x98\x80", 5), ==, CBP_OK);
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\xf3", 1), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\xf8\xff", 2), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\xd4\x01", 2), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\xc2\x41\x01", 3), ==, CBP_OK);
  g_assert_cmpint (cbp_cbor_check ((const guint8 *) "\xf5", 1), ==, CBP_OK);
  g_assert_cmpint (cbp_cbor_check (fine, sizeof fine - 1), ==, CBP_ERR_CBOR);

  /* {"a": [[[...]]]}: CBP_CBOR_MAX_DEPTH levels pass, one more does not */
  deep[0] = 0xa1;
  deep[1] = 0x61;
  deep[2] = 'a';
  for (i = 0; i < CBP_CBOR_MAX_DEPTH - 1; i++)
    deep[3 + i] = 0x81;
  deep[3 + i] = 0x00;
  g_assert_cmpint (cbp_cbor_check (deep, 4 + i), ==, CBP_OK);
  deep[3 + i] = 0x81;
  deep[4 + i] = 0x00;
  g_assert_cmpint (cbp_cbor_check (deep, 5 + i), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_error_decode (deep, 5 + i, &err), ==, CBP_ERR_CBOR);

  /* the decoders refuse them at once, and the rest of the message still decodes after */
  start = g_get_monotonic_time ();
  g_assert_cmpint (cbp_request_decode (csr, huge_array, sizeof huge_array, &req), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_request_decode (csr, huge_map, sizeof huge_map, &req), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_error_decode (huge_array, sizeof huge_array, &err), ==, CBP_ERR_CBOR);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

/* The decode must not allocate what the header declares: in a child limited to 512 MB of
 * address space, a 2 GB allocation fails and shows as CBP_ERR_NOMEM instead. */
static void
test_declared_sizes_memory (void)
{
#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("the address sanitizer reserves more address space than the limit");
#else
  if (g_test_subprocess ())
    {
      const cbp_command *csr = cbp_group_command (CBP_CMD_CSR);
      struct rlimit limit = { 512 * 1024 * 1024, 512 * 1024 * 1024 };
      cbp_csr_req req;
      cbp_error err;

      g_assert_cmpint (setrlimit (RLIMIT_AS, &limit), ==, 0);
      g_assert_cmpint (cbp_request_decode (csr, huge_array, sizeof huge_array, &req), ==,
                       CBP_ERR_CBOR);
      g_assert_cmpint (cbp_error_decode (huge_array, sizeof huge_array, &err), ==, CBP_ERR_CBOR);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
#endif
}

static void
test_errors (void)
{
  uint8_t *out = NULL;
  size_t len = 0;
  cbp_error err;
  /* {"err": {"group": 64, "rc": 10}} */
  static const guint8 group_err[] = { 0xa1, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g', 'r', 'o', 'u', 'p',
                                      0x18, 0x40, 0x62, 'r', 'c', 0x0a };
  static const guint8 ok_v1[] = { 0xa1, 0x62, 'r', 'c', 0x00 };

  g_assert_cmpint (cbp_error_encode_group (64, CBP_RC_KEY_MISMATCH, &out, &len), ==, CBP_OK);
  g_assert_cmpmem (out, len, group_err, sizeof group_err);
  g_assert_cmpint (cbp_error_decode (out, len, &err), ==, CBP_OK);
  g_assert_cmpint (err.kind, ==, CBP_ERROR_GROUP);
  g_assert_cmpint (err.group, ==, 64);
  g_assert_cmpint (err.rc, ==, CBP_RC_KEY_MISMATCH);
  free (out);

  g_assert_cmpint (cbp_error_encode_rc (CBP_SMP_RC_NOT_SUPPORTED, &out, &len), ==, CBP_OK);
  g_assert_cmpmem (out, len, "\xa1\x62rc\x08", 5);
  g_assert_cmpint (cbp_error_decode (out, len, &err), ==, CBP_OK);
  g_assert_cmpint (err.kind, ==, CBP_ERROR_GENERIC);
  g_assert_cmpint (err.rc, ==, 8);
  free (out);

  g_assert_cmpint (cbp_error_decode (ok_v1, sizeof ok_v1, &err), ==, CBP_OK);
  g_assert_cmpint (err.kind, ==, CBP_ERROR_NONE);
  g_assert_cmpint (cbp_error_decode ((const guint8 *) "\xa1\x61r\x65hello", 9, &err), ==, CBP_OK);
  g_assert_cmpint (err.kind, ==, CBP_ERROR_NONE);
  g_assert_cmpint (cbp_error_decode ((const guint8 *) "\x01", 1, &err), ==, CBP_ERR_NOT_MAP);
}

/* Every answer is looked at for an error before its decoder reads it: in place, so a
 * certificate chunk is not copied into a libcbor tree to learn it carries no "rc"; the keys
 * and maps an error may come in are still read in all their CBOR forms. */
static void
test_errors_in_place (void)
{
  g_autofree guint8 *chunk = g_malloc (1200 + 32);
  gsize n = 0;
  cbp_error err;
  /* {_ "data": "x", (_ "r" "c"): 7 }: an indefinite map, a key in chunks */
  static const guint8 chunked_key[] = { 0xbf, 0x64, 'd', 'a', 't', 'a', 0x61, 'x', 0x7f, 0x61, 'r',
                                        0x61, 'c', 0xff, 0x07, 0xff };
  /* {"rc": "no", "rc": 3}: the first unsigned "rc" counts */
  static const guint8 text_rc_first[] = { 0xa2, 0x62, 'r', 'c', 0x62, 'n', 'o', 0x62, 'r', 'c', 0x03 };
  /* {"err": {_ "rc": 9, "group": 64}} */
  static const guint8 indefinite_err[] = { 0xa1, 0x63, 'e', 'r', 'r', 0xbf, 0x62, 'r', 'c', 0x09, 0x65,
                                           'g', 'r', 'o', 'u', 'p', 0x18, 0x40, 0xff };
  /* {"err": {"group": 64, "rc": 0}, "rc": 0}: no error */
  static const guint8 zero_err[] = { 0xa2, 0x63, 'e', 'r', 'r', 0xa2, 0x65, 'g', 'r', 'o', 'u', 'p',
                                     0x18, 0x40, 0x62, 'r', 'c', 0x00, 0x62, 'r', 'c', 0x00 };

  /* {"off": 0, "data": h'00…' (1200 bytes), "len": 2000}: a read-back chunk */
  chunk[n++] = 0xa3;
  chunk[n++] = 0x63;
  memcpy (chunk + n, "off", 3);
  n += 3;
  chunk[n++] = 0x00;
  chunk[n++] = 0x64;
  memcpy (chunk + n, "data", 4);
  n += 4;
  chunk[n++] = 0x59;
  chunk[n++] = 1200 >> 8;
  chunk[n++] = 1200 & 0xff;
  memset (chunk + n, 0x30, 1200);
  n += 1200;
  chunk[n++] = 0x63;
  memcpy (chunk + n, "len", 3);
  n += 3;
  chunk[n++] = 0x19;
  chunk[n++] = 2000 >> 8;
  chunk[n++] = 2000 & 0xff;

  g_assert_cmpint (cbp_error_decode (chunk, n, &err), ==, CBP_OK);
  g_assert_cmpint (err.kind, ==, CBP_ERROR_NONE);

  g_assert_cmpint (cbp_error_decode (chunked_key, sizeof chunked_key, &err), ==, CBP_OK);
  g_assert_cmpint (err.kind, ==, CBP_ERROR_GENERIC);
  g_assert_cmpint (err.rc, ==, 7);
  g_assert_cmpint (cbp_error_decode (text_rc_first, sizeof text_rc_first, &err), ==, CBP_OK);
  g_assert_cmpint (err.kind, ==, CBP_ERROR_GENERIC);
  g_assert_cmpint (err.rc, ==, 3);
  g_assert_cmpint (cbp_error_decode (indefinite_err, sizeof indefinite_err, &err), ==, CBP_OK);
  g_assert_cmpint (err.kind, ==, CBP_ERROR_GROUP);
  g_assert_cmpint (err.group, ==, 64);
  g_assert_cmpint (err.rc, ==, 9);
  g_assert_cmpint (cbp_error_decode (zero_err, sizeof zero_err, &err), ==, CBP_OK);
  g_assert_cmpint (err.kind, ==, CBP_ERROR_NONE);
  /* what libcbor refuses is refused here too, as before */
  g_assert_cmpint (cbp_error_decode ((const guint8 *) "\xa1\x61x\x62\xc3\x28", 6, &err), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_error_decode ((const guint8 *) "\xa1\x61x\xe0", 4, &err), ==, CBP_ERR_CBOR);
  g_assert_cmpint (cbp_error_decode ((const guint8 *) "\xa1\x61x\xc6\x01", 5, &err), ==, CBP_ERR_CBOR);
}

/* A float where a bool belongs is the wrong type. The decoder built on libcbor's tree asked
 * cbor_is_bool() of it, which asserts that the item is a one-byte control value: an answer
 * {"created": 1.0} aborted the station (and a request {"replace": 0.0} the devsim). */
static void
test_bool_not_float (void)
{
  const cbp_command *keygen = cbp_group_command (CBP_CMD_KEYGEN);
  cbp_keygen_req req;
  cbp_keygen_rsp rsp;
  /* {"type": "p256", "created": 1.0 (half), "pub": h''} */
  static const guint8 half[] = { 0xa3, 0x64, 't', 'y', 'p', 'e', 0x64, 'p', '2', '5', '6', 0x67, 'c',
                                 'r', 'e', 'a', 't', 'e', 'd', 0xf9, 0x3c, 0x00, 0x63, 'p', 'u', 'b',
                                 0x40 };
  /* {"replace": 0.0 (single)} */
  static const guint8 single[] = { 0xa1, 0x67, 'r', 'e', 'p', 'l', 'a', 'c', 'e', 0xfa, 0, 0, 0, 0 };
  /* {"replace": 1.0 (double)} */
  static const guint8 dbl[] = { 0xa1, 0x67, 'r', 'e', 'p', 'l', 'a', 'c', 'e', 0xfb, 0x3f, 0xf0, 0,
                                0, 0, 0, 0, 0 };
  /* {"replace": true} */
  static const guint8 yes[] = { 0xa1, 0x67, 'r', 'e', 'p', 'l', 'a', 'c', 'e', 0xf5 };

  g_assert_cmpint (cbp_response_decode (keygen, half, sizeof half, &rsp), ==, CBP_ERR_TYPE);
  g_assert_cmpint (cbp_request_decode (keygen, single, sizeof single, &req), ==, CBP_ERR_TYPE);
  g_assert_cmpint (cbp_request_decode (keygen, dbl, sizeof dbl, &req), ==, CBP_ERR_TYPE);
  g_assert_cmpint (cbp_request_decode (keygen, yes, sizeof yes, &req), ==, CBP_OK);
  g_assert_true (req.replace);
  cbp_request_clear (keygen, &req);
}

/* ---- schema data vs C tables ---- */

static void
compare_fields (const char *where, JsonArray *json, const cbp_field *fields, size_t n)
{
  guint i;

  g_test_message ("checking %s", where);
  g_assert_cmpuint (json_array_get_length (json), ==, n);
  for (i = 0; i < n; i++)
    {
      JsonObject *f = json_array_get_object_element (json, i);
      g_assert_cmpstr (json_object_get_string_member (f, "key"), ==, fields[i].key);
      g_assert_cmpstr (json_object_get_string_member (f, "type"), ==, cbp_type_name (fields[i].type));
      g_assert_cmpint (json_object_get_boolean_member (f, "optional"), ==, fields[i].optional);
    }
}

static void
compare_commands (JsonArray *json, const cbp_command *cmds, size_t n)
{
  guint i;

  g_assert_cmpuint (json_array_get_length (json), ==, n);
  for (i = 0; i < n; i++)
    {
      JsonObject *c = json_array_get_object_element (json, i);
      const cbp_command *cmd = &cmds[i];
      g_autofree char *req_where = g_strdup_printf ("%s request", cmd->name);
      g_autofree char *rsp_where = g_strdup_printf ("%s response", cmd->name);

      g_assert_cmpstr (json_object_get_string_member (c, "name"), ==, cmd->name);
      g_assert_cmpint (json_object_get_int_member (c, "id"), ==, cmd->id);
      g_assert_cmpstr (json_object_get_string_member (c, "op"), ==,
                       cmd->op == CBP_OP_READ ? "read" : "write");
      g_assert_cmpint (json_object_get_int_member (c, "timeout_ms"), ==, cmd->timeout_ms);
      g_assert_cmpint (json_object_get_boolean_member (c, "idempotent"), ==, cmd->idempotent);
      compare_fields (req_where, json_object_get_array_member (c, "request"),
                      cmd->req_fields, cmd->n_req_fields);
      compare_fields (rsp_where, json_object_get_array_member (c, "response"),
                      cmd->rsp_fields, cmd->n_rsp_fields);
    }
}

static void
test_schema (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "src", "core", "proto",
                                                 "bench-group.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *bench, *os;
  JsonArray *rcs;
  const cbp_command *cmds;
  const cbp_rc_info *rc_table;
  size_t n;
  guint i;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));

  g_assert_cmpint (json_object_get_int_member (root, "protocol_version"), ==, CBP_PROTO_VERSION);
  g_assert_cmpint (json_object_get_int_member (root, "group_default"), ==, CBP_GROUP_DEFAULT);
  g_assert_cmpstr (json_object_get_string_member (root, "pop_prefix"), ==, CBP_POP_PREFIX);
  g_assert_cmpint (json_object_get_int_member (root, "pop_prefix_len"), ==, CBP_POP_PREFIX_LEN);
  g_assert_cmpint (json_object_get_int_member (root, "challenge_len"), ==, CBP_CHALLENGE_LEN);

  os = json_object_get_object_member (root, "os_group");
  g_assert_cmpint (json_object_get_int_member (os, "id"), ==, CBP_GROUP_OS);
  cmds = cbp_os_commands (&n);
  compare_commands (json_object_get_array_member (os, "commands"), cmds, n);

  bench = json_object_get_object_member (root, "bench_group");
  cmds = cbp_group_commands (&n);
  compare_commands (json_object_get_array_member (bench, "commands"), cmds, n);

  rcs = json_object_get_array_member (bench, "rc");
  rc_table = cbp_rc_table (&n);
  g_assert_cmpuint (json_array_get_length (rcs), ==, n);
  for (i = 0; i < n; i++)
    {
      JsonObject *r = json_array_get_object_element (rcs, i);
      g_assert_cmpint (json_object_get_int_member (r, "rc"), ==, rc_table[i].rc);
      g_assert_cmpstr (json_object_get_string_member (r, "name"), ==, rc_table[i].name);
      g_assert_cmpint (json_object_get_int_member (r, "v1"), ==, rc_table[i].v1_rc);
      g_assert_cmpstr (json_object_get_string_member (r, "meaning"), !=, "");
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cb/proto-group/tables", test_tables);
  g_test_add_func ("/cb/proto-group/info-round-trip", test_info_round_trip);
  g_test_add_func ("/cb/proto-group/cert-round-trip", test_cert_round_trip);
  g_test_add_func ("/cb/proto-group/other-round-trips", test_other_round_trips);
  g_test_add_func ("/cb/proto-group/decode-errors", test_decode_errors);
  g_test_add_func ("/cb/proto-group/declared-sizes", test_declared_sizes);
  g_test_add_func ("/cb/proto-group/declared-sizes/memory", test_declared_sizes_memory);
  g_test_add_func ("/cb/proto-group/errors", test_errors);
  g_test_add_func ("/cb/proto-group/errors/in-place", test_errors_in_place);
  g_test_add_func ("/cb/proto-group/bool-not-float", test_bool_not_float);
  g_test_add_func ("/cb/proto-group/schema", test_schema);
  return g_test_run ();
}
