/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs the real certbench-devsim binary and speaks SMP to it over its pty, as a station
 * would, with the certbench-proto codec and hand-made byte vectors. */
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
#include "cbp-frame.h"
#include "cbp-group.h"
#include "cbp-smp.h"

typedef struct
{
  GSubprocess *proc;
  char        *state_dir;
  gboolean     own_dir;
  char        *pty_path;
  int          fd;
  cbp_decoder *dec;
  GPtrArray   *packets;   /* GBytes, in arrival order */
  GByteArray  *text;
  guint8       seq;
  gsize        received;  /* raw bytes read from the pty */
  gboolean     hangup;
} Dev;

static void
on_packet (void *user_data, const uint8_t *packet, size_t len)
{
  Dev *dev = user_data;
  g_ptr_array_add (dev->packets, g_bytes_new (packet, len));
}

static void
on_text (void *user_data, const uint8_t *text, size_t len)
{
  Dev *dev = user_data;
  g_byte_array_append (dev->text, text, (guint) len);
}

static const char *
devsim_path (void)
{
  const char *path = g_getenv ("CERTBENCH_DEVSIM");

  g_assert_nonnull (path);
  return path;
}

/* Starts the devsim on state_dir (NULL: a new temporary one) with extra options. */
static Dev *
dev_start_in (const char *state_dir, const char * const *extra)
{
  Dev *dev = g_new0 (Dev, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  struct termios tio;
  guint i;

  if (state_dir == NULL)
    {
      g_autofree char *tmp = g_dir_make_tmp ("cb-devsim-XXXXXX", &error);
      g_assert_no_error (error);
      dev->state_dir = g_build_filename (tmp, "state", NULL);
      g_free (g_steal_pointer (&tmp));
      dev->own_dir = TRUE;
    }
  else
    dev->state_dir = g_strdup (state_dir);

  g_ptr_array_add (argv, (gpointer) devsim_path ());
  g_ptr_array_add (argv, (gpointer) "--state-dir");
  g_ptr_array_add (argv, dev->state_dir);
  for (i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);

  dev->proc = g_subprocess_newv ((const char * const *) argv->pdata,
                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (dev->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PTY /dev/"));
  dev->pty_path = g_strdup (line + 4);

  dev->fd = open (dev->pty_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (dev->fd, >=, 0);
  g_assert_cmpint (tcgetattr (dev->fd, &tio), ==, 0);
  cfmakeraw (&tio);
  g_assert_cmpint (tcsetattr (dev->fd, TCSANOW, &tio), ==, 0);

  dev->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  dev->text = g_byte_array_new ();
  dev->dec = cbp_decoder_new (0, on_packet, on_text, dev);
  return dev;
}

static Dev *
dev_start (const char * const *extra)
{
  return dev_start_in (NULL, extra);
}

/* Stops the process (SIGTERM) and waits; keeps the state dir when keep is TRUE. */
static void
dev_stop (Dev *dev, gboolean keep_dir)
{
  g_autoptr(GError) error = NULL;

  if (dev->fd >= 0)
    close (dev->fd);
  g_subprocess_send_signal (dev->proc, SIGTERM);
  g_subprocess_wait (dev->proc, NULL, &error);
  g_assert_no_error (error);
  /* SIGTERM is a clean shutdown, and so is an unplug */
  g_assert_true (g_subprocess_get_if_exited (dev->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (dev->proc), ==, 0);
  if (dev->own_dir && !keep_dir)
    {
      g_autofree char *parent = g_path_get_dirname (dev->state_dir);
      g_autoptr(GDir) dir = g_dir_open (dev->state_dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *p = g_build_filename (dev->state_dir, name, NULL);
          g_unlink (p);
        }
      g_rmdir (dev->state_dir);
      g_rmdir (parent);
    }
  cbp_decoder_free (dev->dec);
  g_ptr_array_unref (dev->packets);
  g_byte_array_unref (dev->text);
  g_object_unref (dev->proc);
  g_free (dev->pty_path);
  g_free (dev->state_dir);
  g_free (dev);
}

static void
dev_send_raw (Dev *dev, const void *data, gsize len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = write (dev->fd, (const guint8 *) data + done, len - done);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        {
          g_usleep (1000);
          continue;
        }
      g_assert_cmpint (n, >, 0);
      done += (gsize) n;
    }
}

/* Reads for up to timeout_ms or until stop() says so. */
static void
dev_pump (Dev *dev, int timeout_ms, gboolean (*stop) (Dev *, gpointer), gpointer data)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!dev->hangup && (stop == NULL || !stop (dev, data)))
    {
      struct pollfd pfd = { dev->fd, POLLIN, 0 };
      gint64 left = (end - g_get_monotonic_time ()) / 1000;
      guint8 buf[4096];
      ssize_t n;

      if (left <= 0)
        break;
      if (poll (&pfd, 1, (int) left) <= 0)
        continue;
      n = read (dev->fd, buf, sizeof buf);
      if (n > 0)
        {
          dev->received += (gsize) n;
          cbp_decoder_feed (dev->dec, buf, (size_t) n);
        }
      else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        dev->hangup = TRUE;   /* EIO: the devsim closed its side */
      else if (pfd.revents & POLLHUP)
        dev->hangup = TRUE;
    }
}

static gboolean
has_packet (Dev *dev, gpointer data)
{
  return dev->packets->len > 0;
}

/* Sends one request and returns the response packet (header + payload) whose sequence number
 * matches, or NULL on timeout. */
static GBytes *
dev_request_full (Dev *dev, guint8 version, guint8 op, guint16 group, guint8 id,
                  const guint8 *payload, gsize payload_len, gsize frame_size, int timeout_ms)
{
  cbp_smp_header hdr = { version, op, 0, 0, group, ++dev->seq, id };
  uint8_t *packet = NULL, *frames = NULL;
  size_t packet_len = 0, frames_len = 0;
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  g_assert_cmpint (cbp_smp_packet_build (&hdr, payload, payload_len, &packet, &packet_len), ==, 0);
  g_assert_cmpint (cbp_frame_encode (packet, packet_len, frame_size, &frames, &frames_len), ==, 0);
  g_ptr_array_set_size (dev->packets, 0);
  dev_send_raw (dev, frames, frames_len);
  free (packet);
  free (frames);

  while (g_get_monotonic_time () < end && !dev->hangup)
    {
      dev_pump (dev, (int) MAX (1, (end - g_get_monotonic_time ()) / 1000), has_packet, NULL);
      while (dev->packets->len > 0)
        {
          GBytes *p = g_ptr_array_steal_index (dev->packets, 0);
          cbp_smp_header rh;
          gsize len;
          const guint8 *d = g_bytes_get_data (p, &len);

          if (cbp_smp_packet_parse (d, len, &rh, NULL) == 0 && rh.seq == hdr.seq)
            {
              g_assert_cmpint (rh.op, ==, cbp_smp_response_op (op));
              g_assert_cmpint (rh.group, ==, group);
              g_assert_cmpint (rh.id, ==, id);
              g_assert_cmpint (rh.version, ==, version);
              return p;
            }
          g_bytes_unref (p);
        }
    }
  return NULL;
}

/* Calls a command with the codec: returns 0, a bench rc (> 0), or a generic rc (negated);
 * G_MININT on timeout. rsp is filled on success. */
static int
dev_call_timeout (Dev *dev, const cbp_command *cmd, const void *req, void *rsp, int timeout_ms)
{
  uint8_t *cbor = NULL;
  size_t cbor_len = 0;
  g_autoptr(GBytes) reply = NULL;
  const guint8 *d;
  gsize len;
  cbp_error err;

  g_assert_cmpint (cbp_request_encode (cmd, req, &cbor, &cbor_len), ==, CBP_OK);
  reply = dev_request_full (dev, CBP_SMP_V2, cmd->op, cmd->group, cmd->id, cbor, cbor_len,
                            CBP_FRAME_SIZE_DEFAULT, timeout_ms);
  free (cbor);
  if (reply == NULL)
    return G_MININT;
  d = g_bytes_get_data (reply, &len);
  g_assert_cmpint (cbp_error_decode (d + 8, len - 8, &err), ==, CBP_OK);
  if (err.kind == CBP_ERROR_GROUP)
    {
      g_assert_cmpint (err.group, ==, cmd->group);
      return err.rc;
    }
  if (err.kind == CBP_ERROR_GENERIC)
    return -err.rc;
  if (rsp != NULL)
    g_assert_cmpint (cbp_response_decode (cmd, d + 8, len - 8, rsp), ==, CBP_OK);
  return 0;
}

static int
dev_call (Dev *dev, guint8 cmd_id, const void *req, void *rsp)
{
  return dev_call_timeout (dev, cbp_group_command (cmd_id), req, rsp, 10000);
}

static GBytes *
dev_keygen (Dev *dev, const char *type, gboolean replace, gboolean *created)
{
  cbp_keygen_req req = { (char *) type, replace, replace };
  cbp_keygen_rsp rsp;
  GBytes *pub;

  g_assert_cmpint (dev_call (dev, CBP_CMD_KEYGEN, &req, &rsp), ==, 0);
  pub = g_bytes_new (rsp.pub.data, rsp.pub.len);
  if (created != NULL)
    *created = rsp.created;
  cbp_response_clear (cbp_group_command (CBP_CMD_KEYGEN), &rsp);
  return pub;
}

static CbCsr *
dev_csr (Dev *dev, const char *cn)
{
  cbp_csr_req req = { (char *) cn };
  cbp_csr_rsp rsp;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GError) error = NULL;
  CbCsr *csr;

  g_assert_cmpint (dev_call (dev, CBP_CMD_CSR, &req, &rsp), ==, 0);
  der = g_bytes_new (rsp.csr.data, rsp.csr.len);
  cbp_response_clear (cbp_group_command (CBP_CMD_CSR), &rsp);
  csr = cb_csr_new_from_der (der, &error);
  g_assert_no_error (error);
  return csr;
}

/* ---- a chain from a test CA ---- */

typedef struct
{
  CbKey  *root_key;
  GBytes *root_der;
} TestCa;

static void
test_ca_init (TestCa *ca)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pub = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = { 0 };

  ca->root_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  pub = cb_key_get_public_key_der (ca->root_key);
  profile.subject_dn = "CN=Devsim Test Root";
  profile.not_before = now - 3600;
  profile.not_after = now + 365 * 86400;
  profile.is_ca = TRUE;
  profile.path_len = -1;
  profile.key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN;
  ca->root_der = cb_cert_issue (&profile, pub, ca->root_key, NULL, &error);
  g_assert_no_error (error);
}

static void
test_ca_clear (TestCa *ca)
{
  g_clear_pointer (&ca->root_key, cb_key_unref);
  g_clear_pointer (&ca->root_der, g_bytes_unref);
}

static void
sha256 (GBytes *data, guint8 out[32])
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = 32;

  g_checksum_update (sum, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  g_checksum_get_digest (sum, out, &len);
}

/* cert_put in chunks of chunk bytes; returns the rc of the first failing call. */
static int
dev_put_chain (Dev *dev, GBytes *chain, gsize chunk)
{
  gsize len, off = 0;
  const guint8 *d = g_bytes_get_data (chain, &len);
  guint8 sha[32];
  int rc = 0;

  sha256 (chain, sha);
  while (off < len)
    {
      cbp_cert_put_req req = { 0 };
      cbp_cert_put_rsp rsp;

      req.off = off;
      if (off == 0)
        {
          req.len = len;
          req.has_len = TRUE;
          req.sha.data = sha;
          req.sha.len = 32;
        }
      req.data.data = (guint8 *) d + off;
      req.data.len = MIN (chunk, len - off);
      rc = dev_call (dev, CBP_CMD_CERT_PUT, &req, &rsp);
      if (rc != 0)
        return rc;
      g_assert_cmpuint (rsp.off, ==, off + req.data.len);
      g_assert_cmpint (rsp.done, ==, rsp.off == len);
      off = rsp.off;
    }
  return 0;
}

static int
dev_commit (Dev *dev, GBytes *chain, cbp_cert_commit_rsp *rsp_out)
{
  guint8 sha[32];
  cbp_cert_commit_req req = { { sha, 32 } };
  cbp_cert_commit_rsp rsp;
  int rc;

  sha256 (chain, sha);
  rc = dev_call (dev, CBP_CMD_CERT_COMMIT, &req, &rsp);
  if (rc == 0)
    {
      g_assert_cmpmem (rsp.sha.data, rsp.sha.len, sha, 32);
      if (rsp_out != NULL)
        *rsp_out = rsp;
      else
        cbp_response_clear (cbp_group_command (CBP_CMD_CERT_COMMIT), &rsp);
    }
  return rc;
}

/* Reads a slot back with cert_get. */
static GBytes *
dev_get_chain (Dev *dev, const char *slot, gsize max)
{
  GByteArray *all = g_byte_array_new ();
  guint8 last_sha[32];
  gsize total = 1;

  while (all->len < total)
    {
      cbp_cert_get_req req = { all->len, (char *) slot, max, max > 0 };
      cbp_cert_get_rsp rsp;
      int rc = dev_call (dev, CBP_CMD_CERT_GET, &req, &rsp);

      if (rc != 0)
        {
          g_byte_array_unref (all);
          return NULL;
        }
      g_assert_cmpuint (rsp.off, ==, all->len);
      g_assert_cmpuint (rsp.sha.len, ==, 32);
      g_assert_cmpuint (rsp.data.len, >, 0);
      if (max > 0)
        g_assert_cmpuint (rsp.data.len, <=, max);
      total = rsp.len;
      memcpy (last_sha, rsp.sha.data, 32);
      g_byte_array_append (all, rsp.data.data, (guint) rsp.data.len);
      cbp_response_clear (cbp_group_command (CBP_CMD_CERT_GET), &rsp);
    }
  {
    GBytes *bytes = g_byte_array_free_to_bytes (all);
    guint8 sha[32];

    sha256 (bytes, sha);
    g_assert_cmpmem (sha, 32, last_sha, 32);
    return bytes;
  }
}

/* ---- tests ---- */

static const char echo_request[] = "\x06\x09" "ABMKAAAJAAABAKFhZGVoZWxsb3o2" "\n";
/* Response by hand: header 0b 00 00 09 00 00 01 00 (v2 write response, seq 1), CBOR
 * {"r": "hello"} = a1 61 72 65 68 65 6c 6c 6f, CRC-16/XMODEM 0xfc8a, length 0x0013. */
static const char echo_response[] = "\x06\x09" "ABMLAAAJAAABAKFhcmVoZWxsb/yK" "\n";

static void
test_os_echo (void)
{
  Dev *dev = dev_start (NULL);
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  /* Byte-exact request, read the raw bytes back. */
  dev_send_raw (dev, echo_request, strlen (echo_request));
  while (raw->len < strlen (echo_response) && g_get_monotonic_time () < end)
    {
      struct pollfd pfd = { dev->fd, POLLIN, 0 };
      guint8 buf[256];
      ssize_t n;

      if (poll (&pfd, 1, 100) <= 0)
        continue;
      n = read (dev->fd, buf, sizeof buf);
      if (n > 0)
        g_byte_array_append (raw, buf, (guint) n);
    }
  g_assert_cmpmem (raw->data, raw->len, echo_response, strlen (echo_response));

  /* And through the codec with a longer text at a small frame size: multi-frame request. */
  {
    cbp_os_echo_req req = { (char *) "The quick brown fox jumps over the lazy dog, twice over: "
                                     "the quick brown fox jumps over the lazy dog." };
    cbp_os_echo_rsp rsp;
    uint8_t *cbor = NULL;
    size_t cbor_len = 0;
    g_autoptr(GBytes) reply = NULL;
    const guint8 *d;
    gsize len;

    g_assert_cmpint (cbp_request_encode (cbp_os_command (CBP_OS_ECHO), &req, &cbor, &cbor_len), ==, 0);
    reply = dev_request_full (dev, CBP_SMP_V2, CBP_OP_WRITE, 0, CBP_OS_ECHO, cbor, cbor_len, 20, 5000);
    free (cbor);
    g_assert_nonnull (reply);
    d = g_bytes_get_data (reply, &len);
    g_assert_cmpint (cbp_response_decode (cbp_os_command (CBP_OS_ECHO), d + 8, len - 8, &rsp), ==, 0);
    g_assert_cmpstr (rsp.r, ==, req.d);
    cbp_response_clear (cbp_os_command (CBP_OS_ECHO), &rsp);
  }
  dev_stop (dev, FALSE);
}

static void
test_mcumgr_params (void)
{
  const char *args[] = { "--buf-size", "800", NULL };
  Dev *dev = dev_start (args);
  cbp_os_params_rsp rsp;
  g_autoptr(GBytes) v1 = NULL;
  const guint8 *d;
  gsize len;

  g_assert_cmpint (dev_call_timeout (dev, cbp_os_command (CBP_OS_MCUMGR_PARAMS), NULL, &rsp, 5000), ==, 0);
  g_assert_cmpuint (rsp.buf_size, ==, 800);
  g_assert_cmpuint (rsp.buf_count, ==, 4);

  /* SMP v1 works too (generic tools), the answer comes back in v1 */
  v1 = dev_request_full (dev, CBP_SMP_V1, CBP_OP_READ, 0, CBP_OS_MCUMGR_PARAMS,
                         (const guint8 *) "\xa0", 1, 127, 5000);
  g_assert_nonnull (v1);
  d = g_bytes_get_data (v1, &len);
  g_assert_cmpint (d[0], ==, 0x01);   /* v1, read response */
  g_assert_cmpint (cbp_response_decode (cbp_os_command (CBP_OS_MCUMGR_PARAMS), d + 8, len - 8, &rsp), ==, 0);
  g_assert_cmpuint (rsp.buf_size, ==, 800);
  dev_stop (dev, FALSE);
}

static void
test_info (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("cb-devsim-link-XXXXXX", NULL);
  g_autofree char *link = g_build_filename (tmp, "ttyDEVSIM", NULL);
  const char *args[] = { "--serial", "SN-TEST-1", "--model", "bench-model", "--link", link, NULL };
  Dev *dev = dev_start (args);
  g_autofree char *target = g_file_read_link (link, NULL);
  cbp_info_rsp info;

  /* --link gives the pty a stable name */
  g_assert_cmpstr (target, ==, dev->pty_path);

  g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
  g_assert_cmpstr (info.serial, ==, "SN-TEST-1");
  g_assert_cmpstr (info.model, ==, "bench-model");
  g_assert_cmpstr (info.fw, ==, PACKAGE_VERSION);
  g_assert_cmpuint (info.proto, ==, CBP_PROTO_VERSION);
  g_assert_cmpuint (info.key_types.n, ==, 2);
  g_assert_cmpstr (info.key_types.items[0], ==, "p256");
  g_assert_cmpstr (info.key_types.items[1], ==, "p384");
  g_assert_null (info.key);
  g_assert_false (info.next_key);
  g_assert_cmpuint (info.frame_size, ==, 127);
  g_assert_cmpuint (info.buf_size, ==, 1024);
  g_assert_cmpuint (info.slots, ==, 2);
  g_assert_false (info.active);
  g_assert_cmpuint (info.staged, ==, 0);
  cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);
  dev_stop (dev, FALSE);
  /* and takes it away on exit */
  g_assert_false (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_rmdir (tmp);
}

static void
test_keygen (void)
{
  Dev *dev = dev_start (NULL);
  g_autoptr(GBytes) pub1 = NULL;
  g_autoptr(GBytes) pub2 = NULL;
  g_autoptr(GBytes) pub3 = NULL;
  gboolean created = FALSE;
  cbp_keygen_req req = { 0 };
  cbp_keygen_rsp rsp;
  cbp_info_rsp info;

  /* csr before any key */
  {
    cbp_csr_req creq = { (char *) "dev-1" };
    g_assert_cmpint (dev_call (dev, CBP_CMD_CSR, &creq, NULL), ==, CBP_RC_NO_KEY);
  }

  pub1 = dev_keygen (dev, "p256", FALSE, &created);
  g_assert_true (created);
  g_assert_cmpint (cb_pki_key_type_from_spki (pub1), ==, CB_KEY_TYPE_EC_P256);

  /* idempotent: same key, not created again (also with the type left out) */
  pub2 = dev_keygen (dev, NULL, FALSE, &created);
  g_assert_false (created);
  g_assert_true (g_bytes_equal (pub1, pub2));

  req.type = (char *) "p384";
  g_assert_cmpint (dev_call (dev, CBP_CMD_KEYGEN, &req, &rsp), ==, CBP_RC_KEY_EXISTS);
  req.type = (char *) "rsa2048";
  g_assert_cmpint (dev_call (dev, CBP_CMD_KEYGEN, &req, &rsp), ==, CBP_RC_KEY_TYPE);

  /* replace without an active certificate: a new current key right away */
  pub3 = dev_keygen (dev, "p384", TRUE, &created);
  g_assert_true (created);
  g_assert_false (g_bytes_equal (pub1, pub3));
  g_assert_cmpint (cb_pki_key_type_from_spki (pub3), ==, CB_KEY_TYPE_EC_P384);

  g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
  g_assert_cmpstr (info.key, ==, "p384");
  g_assert_false (info.next_key);
  cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);
  dev_stop (dev, FALSE);
}

static void
test_csr (void)
{
  Dev *dev = dev_start (NULL);
  g_autoptr(GBytes) pub = dev_keygen (dev, "p256", FALSE, NULL);
  g_autoptr(CbCsr) csr = dev_csr (dev, "dev-0001");
  g_autoptr(GError) error = NULL;
  cbp_csr_req bad = { (char *) "a,b" };
  g_autofree char *long_cn = g_strnfill (65, 'x');

  g_assert_cmpstr (cb_csr_get_common_name (csr), ==, "dev-0001");
  g_assert_true (cb_csr_check (csr, "dev-0001", pub, &error));
  g_assert_no_error (error);

  g_assert_cmpint (dev_call (dev, CBP_CMD_CSR, &bad, NULL), ==, CBP_RC_BAD_SUBJECT);
  bad.cn = long_cn;
  g_assert_cmpint (dev_call (dev, CBP_CMD_CSR, &bad, NULL), ==, CBP_RC_BAD_SUBJECT);
  bad.cn = (char *) "";
  g_assert_cmpint (dev_call (dev, CBP_CMD_CSR, &bad, NULL), ==, CBP_RC_BAD_SUBJECT);
  dev_stop (dev, FALSE);
}

static void
test_cert_round_trip (void)
{
  Dev *dev = dev_start (NULL);
  g_autoptr(GBytes) pub = dev_keygen (dev, "p256", FALSE, NULL);
  g_autoptr(GBytes) chain = NULL;
  g_autoptr(GBytes) back = NULL;
  g_autoptr(GBytes) back_small = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 nb = now - 60, na = now - 60 + 30 * 86400;
  cbp_cert_commit_rsp crsp;
  cbp_diag_rsp diag;
  cbp_info_rsp info;
  TestCa ca;
  guint8 sha[32];

  test_ca_init (&ca);
  chain = cb_test_issue_chain (ca.root_key, ca.root_der, pub, "dev-1", nb, na);

  g_assert_cmpint (dev_call (dev, CBP_CMD_CERT_GET, &(cbp_cert_get_req) { 0 }, NULL), ==, CBP_RC_NO_CERT);
  /* commit with nothing staged */
  g_assert_cmpint (dev_commit (dev, chain, NULL), ==, CBP_RC_STAGING_EMPTY);

  g_assert_cmpint (dev_put_chain (dev, chain, 200), ==, 0);

  /* A repeated chunk is harmless: the device answers where it is. */
  {
    cbp_cert_put_req req = { 0 };
    cbp_cert_put_rsp rsp;
    req.off = 200;
    req.data.data = (guint8 *) g_bytes_get_data (chain, NULL) + 200;
    req.data.len = 200;
    g_assert_cmpint (dev_call (dev, CBP_CMD_CERT_PUT, &req, &rsp), ==, 0);
    g_assert_cmpuint (rsp.off, ==, g_bytes_get_size (chain));
    g_assert_true (rsp.done);
  }

  g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
  g_assert_cmpuint (info.staged, ==, g_bytes_get_size (chain));
  g_assert_false (info.active);
  cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);

  /* staging can be read back before commit */
  back = dev_get_chain (dev, "staging", 0);
  g_assert_true (g_bytes_equal (back, chain));
  g_clear_pointer (&back, g_bytes_unref);

  /* commit with the wrong hash */
  {
    cbp_cert_commit_req req = { { sha, 32 } };
    memset (sha, 0xab, 32);
    g_assert_cmpint (dev_call (dev, CBP_CMD_CERT_COMMIT, &req, NULL), ==, CBP_RC_HASH_MISMATCH);
  }

  g_assert_cmpint (dev_commit (dev, chain, &crsp), ==, 0);
  g_assert_cmpint (crsp.not_before, ==, nb);
  g_assert_cmpint (crsp.not_after, ==, na);
  cbp_response_clear (cbp_group_command (CBP_CMD_CERT_COMMIT), &crsp);
  /* a repeat of the same commit succeeds */
  g_assert_cmpint (dev_commit (dev, chain, NULL), ==, 0);

  back = dev_get_chain (dev, "active", 0);
  g_assert_true (g_bytes_equal (back, chain));
  back_small = dev_get_chain (dev, NULL, 100);
  g_assert_true (g_bytes_equal (back_small, chain));

  g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
  g_assert_true (info.active);
  g_assert_cmpuint (info.staged, ==, 0);
  cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);

  g_assert_cmpint (dev_call (dev, CBP_CMD_DIAG, NULL, &diag), ==, 0);
  g_assert_true (diag.has_not_before && diag.has_not_after && diag.has_renew_at);
  g_assert_cmpint (diag.not_before, ==, nb);
  g_assert_cmpint (diag.not_after, ==, na);
  g_assert_cmpint (diag.renew_at, ==, cb_validity_get_renewal_point (nb, na, 0.8));
  g_assert_cmpint (ABS (diag.time - now), <=, 5);
  g_assert_null (diag.dps_err);
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);

  /* a chain over the slot size, and a hash that does not match the data */
  {
    guint8 wrong[32] = { 0 };
    cbp_cert_put_req req = { 0 };
    req.len = 100000;
    req.has_len = TRUE;
    req.sha.data = wrong;
    req.sha.len = 32;
    req.data.data = wrong;
    req.data.len = 32;
    g_assert_cmpint (dev_call (dev, CBP_CMD_CERT_PUT, &req, NULL), ==, CBP_RC_TOO_LARGE);
    req.len = 32;
    g_assert_cmpint (dev_call (dev, CBP_CMD_CERT_PUT, &req, NULL), ==, CBP_RC_HASH_MISMATCH);
    /* off 0 without len and sha is malformed */
    req.has_len = FALSE;
    req.sha.data = NULL;
    g_assert_cmpint (dev_call (dev, CBP_CMD_CERT_PUT, &req, NULL), ==, -CBP_SMP_RC_INVALID);
  }
  /* ...and a chain that is not certificates */
  {
    g_autoptr(GBytes) junk = g_bytes_new_static ("\x30\x03\x01\x01\xff", 5);
    g_assert_cmpint (dev_put_chain (dev, junk, 100), ==, 0);
    g_assert_cmpint (dev_commit (dev, junk, NULL), ==, CBP_RC_CHAIN_INVALID);
  }
  /* the active chain never moved */
  g_clear_pointer (&back, g_bytes_unref);
  back = dev_get_chain (dev, "active", 0);
  g_assert_true (g_bytes_equal (back, chain));

  test_ca_clear (&ca);
  dev_stop (dev, FALSE);
}

static void
test_commit_key_mismatch (void)
{
  Dev *dev = dev_start (NULL);
  g_autoptr(GBytes) pub = dev_keygen (dev, "p256", FALSE, NULL);
  g_autoptr(CbKey) other = cb_key_generate (CB_KEY_TYPE_EC_P256, NULL);
  g_autoptr(GBytes) other_pub = cb_key_get_public_key_der (other);
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) bad = NULL;
  g_autoptr(GBytes) back = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  TestCa ca;

  test_ca_init (&ca);
  bad = cb_test_issue_chain (ca.root_key, ca.root_der, other_pub, "dev-1", now - 60, now + 86400);
  g_assert_cmpint (dev_put_chain (dev, bad, 300), ==, 0);
  g_assert_cmpint (dev_commit (dev, bad, NULL), ==, CBP_RC_KEY_MISMATCH);
  g_assert_cmpint (dev_call (dev, CBP_CMD_CERT_GET, &(cbp_cert_get_req) { 0 }, NULL), ==, CBP_RC_NO_CERT);

  /* with a good chain active, a bad one leaves it in place */
  good = cb_test_issue_chain (ca.root_key, ca.root_der, pub, "dev-1", now - 60, now + 86400);
  g_assert_cmpint (dev_put_chain (dev, good, 300), ==, 0);
  g_assert_cmpint (dev_commit (dev, good, NULL), ==, 0);
  g_assert_cmpint (dev_put_chain (dev, bad, 300), ==, 0);
  g_assert_cmpint (dev_commit (dev, bad, NULL), ==, CBP_RC_KEY_MISMATCH);
  back = dev_get_chain (dev, "active", 0);
  g_assert_true (g_bytes_equal (back, good));

  test_ca_clear (&ca);
  dev_stop (dev, FALSE);
}

static GBytes *
pop_message (const guint8 *challenge)
{
  GByteArray *msg = g_byte_array_new ();

  g_byte_array_append (msg, (const guint8 *) "certbench-pop-v1", 16);
  g_byte_array_append (msg, (const guint8 *) "", 1);
  g_byte_array_append (msg, challenge, 32);
  return g_byte_array_free_to_bytes (msg);
}

/* Runs pop and checks the signature against expected_pub. */
static void
check_pop (Dev *dev, GBytes *expected_pub, const char *alg)
{
  guint8 challenge[32];
  cbp_pop_req req = { { challenge, 32 } };
  cbp_pop_rsp rsp;
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(GError) error = NULL;
  guint i;

  for (i = 0; i < 32; i++)
    challenge[i] = (guint8) g_random_int ();
  msg = pop_message (challenge);
  g_assert_cmpint (dev_call (dev, CBP_CMD_POP, &req, &rsp), ==, 0);
  g_assert_cmpmem (rsp.pub.data, rsp.pub.len, g_bytes_get_data (expected_pub, NULL),
                   g_bytes_get_size (expected_pub));
  g_assert_cmpstr (rsp.alg, ==, alg);
  sig = g_bytes_new (rsp.sig.data, rsp.sig.len);
  g_assert_true (cb_pki_verify_signature (expected_pub, g_bytes_get_data (msg, NULL),
                                          g_bytes_get_size (msg), sig, &error));
  g_assert_no_error (error);
  /* the same signature over the bare challenge must not verify: the prefix is signed */
  g_assert_false (cb_pki_verify_signature (expected_pub, challenge, 32, sig, NULL));
  cbp_response_clear (cbp_group_command (CBP_CMD_POP), &rsp);
}

static void
test_pop (void)
{
  Dev *dev = dev_start (NULL);
  g_autoptr(GBytes) pub = NULL;
  guint8 short_challenge[31] = { 0 };
  cbp_pop_req bad = { { short_challenge, 31 } };

  g_assert_cmpint (dev_call (dev, CBP_CMD_POP, &(cbp_pop_req) { { short_challenge, 31 } }, NULL),
                   ==, CBP_RC_BAD_CHALLENGE);
  {
    guint8 c[32] = { 0 };
    g_assert_cmpint (dev_call (dev, CBP_CMD_POP, &(cbp_pop_req) { { c, 32 } }, NULL), ==, CBP_RC_NO_KEY);
  }
  pub = dev_keygen (dev, "p384", FALSE, NULL);
  check_pop (dev, pub, "ecdsa-sha384");
  g_assert_cmpint (dev_call (dev, CBP_CMD_POP, &bad, NULL), ==, CBP_RC_BAD_CHALLENGE);
  dev_stop (dev, FALSE);
}

/* Renewal with a new key: the old pair stays until commit, then the new key takes over. */
static void
test_renewal_next_key (void)
{
  Dev *dev = dev_start (NULL);
  g_autoptr(GBytes) pub1 = dev_keygen (dev, "p256", FALSE, NULL);
  g_autoptr(GBytes) pub2 = NULL;
  g_autoptr(GBytes) chain1 = NULL;
  g_autoptr(GBytes) chain2 = NULL;
  g_autoptr(CbCsr) csr = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  cbp_info_rsp info;
  gboolean created;
  TestCa ca;

  test_ca_init (&ca);
  chain1 = cb_test_issue_chain (ca.root_key, ca.root_der, pub1, "dev-1", now - 60, now + 86400);
  g_assert_cmpint (dev_put_chain (dev, chain1, 400), ==, 0);
  g_assert_cmpint (dev_commit (dev, chain1, NULL), ==, 0);

  pub2 = dev_keygen (dev, "p256", TRUE, &created);
  g_assert_true (created);
  g_assert_false (g_bytes_equal (pub1, pub2));
  g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
  g_assert_true (info.next_key);
  g_assert_true (info.active);
  cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);

  /* keygen without replace now returns the next key */
  {
    g_autoptr(GBytes) again = dev_keygen (dev, "p256", FALSE, &created);
    g_assert_false (created);
    g_assert_true (g_bytes_equal (again, pub2));
  }
  /* the CSR carries the new key; pop still proves the old one */
  csr = dev_csr (dev, "dev-1");
  g_assert_true (cb_csr_check (csr, "dev-1", pub2, NULL));
  check_pop (dev, pub1, "ecdsa-sha256");

  /* a chain for the old key is refused now: commit wants the working key */
  g_assert_cmpint (dev_put_chain (dev, chain1, 400), ==, 0);
  g_assert_cmpint (dev_commit (dev, chain1, NULL), ==, CBP_RC_KEY_MISMATCH);

  chain2 = cb_test_issue_chain (ca.root_key, ca.root_der, pub2, "dev-1", now - 60, now + 2 * 86400);
  g_assert_cmpint (dev_put_chain (dev, chain2, 400), ==, 0);
  g_assert_cmpint (dev_commit (dev, chain2, NULL), ==, 0);
  check_pop (dev, pub2, "ecdsa-sha256");
  g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
  g_assert_false (info.next_key);
  cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);

  test_ca_clear (&ca);
  dev_stop (dev, FALSE);
}

static void
test_persistence (void)
{
  const char *args[] = { "--serial", "SN-PERSIST", NULL };
  Dev *dev = dev_start (args);
  g_autofree char *state_dir = g_strdup (dev->state_dir);
  g_autofree char *parent = g_path_get_dirname (state_dir);
  g_autoptr(GBytes) pub = dev_keygen (dev, "p256", FALSE, NULL);
  g_autoptr(GBytes) chain = NULL;
  g_autoptr(GBytes) back = NULL;
  g_autoptr(GBytes) pub_again = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *new_args[] = { "--serial", "SN-OTHER", NULL };
  cbp_info_rsp info;
  gboolean created = TRUE;
  struct stat st;
  TestCa ca;

  test_ca_init (&ca);
  chain = cb_test_issue_chain (ca.root_key, ca.root_der, pub, "dev-1", now - 60, now + 86400);
  g_assert_cmpint (dev_put_chain (dev, chain, 500), ==, 0);
  g_assert_cmpint (dev_commit (dev, chain, NULL), ==, 0);
  dev_stop (dev, TRUE);

  /* private files in a private directory */
  g_assert_cmpint (g_stat (state_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  {
    const char *names[] = { "key", "active", "serial" };
    guint i;
    for (i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *p = g_build_filename (state_dir, names[i], NULL);
        g_assert_cmpint (g_stat (p, &st), ==, 0);
        g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      }
  }

  dev = dev_start_in (state_dir, new_args);
  dev->own_dir = TRUE;   /* clean up this time */
  g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
  g_assert_cmpstr (info.serial, ==, "SN-PERSIST");   /* the stored identity wins */
  g_assert_true (info.active);
  g_assert_cmpstr (info.key, ==, "p256");
  cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);
  back = dev_get_chain (dev, "active", 0);
  g_assert_true (g_bytes_equal (back, chain));
  pub_again = dev_keygen (dev, "p256", FALSE, &created);
  g_assert_false (created);
  g_assert_true (g_bytes_equal (pub, pub_again));
  check_pop (dev, pub, "ecdsa-sha256");
  dev_stop (dev, FALSE);
  g_rmdir (parent);
  test_ca_clear (&ca);
}

static void
test_unknown (void)
{
  Dev *dev = dev_start (NULL);
  g_autoptr(GBytes) r1 = NULL;
  g_autoptr(GBytes) r2 = NULL;
  g_autoptr(GBytes) r3 = NULL;
  g_autoptr(GBytes) r4 = NULL;
  g_autoptr(GBytes) r5 = NULL;
  g_autoptr(GBytes) r6 = NULL;
  static const guint8 rc8[] = { 0xa1, 0x62, 'r', 'c', 0x08 };
  static const guint8 rc3[] = { 0xa1, 0x62, 'r', 'c', 0x03 };

  /* unknown group */
  r1 = dev_request_full (dev, CBP_SMP_V2, CBP_OP_READ, 99, 0, (const guint8 *) "\xa0", 1, 127, 3000);
  g_assert_nonnull (r1);
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (r1, NULL) + 8, g_bytes_get_size (r1) - 8, rc8, 5);
  /* unknown command in the bench group */
  r2 = dev_request_full (dev, CBP_SMP_V2, CBP_OP_READ, 64, 42, (const guint8 *) "\xa0", 1, 127, 3000);
  g_assert_nonnull (r2);
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (r2, NULL) + 8, g_bytes_get_size (r2) - 8, rc8, 5);
  /* unknown OS command */
  r3 = dev_request_full (dev, CBP_SMP_V2, CBP_OP_WRITE, 0, 5, (const guint8 *) "\xa0", 1, 127, 3000);
  g_assert_nonnull (r3);
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (r3, NULL) + 8, g_bytes_get_size (r3) - 8, rc8, 5);
  /* the wrong op for a known command */
  r4 = dev_request_full (dev, CBP_SMP_V2, CBP_OP_WRITE, 64, CBP_CMD_INFO, (const guint8 *) "\xa0", 1, 127, 3000);
  g_assert_nonnull (r4);
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (r4, NULL) + 8, g_bytes_get_size (r4) - 8, rc8, 5);
  /* malformed CBOR */
  r5 = dev_request_full (dev, CBP_SMP_V2, CBP_OP_READ, 64, CBP_CMD_CSR, (const guint8 *) "\xa1\x62", 2, 127, 3000);
  g_assert_nonnull (r5);
  g_assert_cmpmem ((const guint8 *) g_bytes_get_data (r5, NULL) + 8, g_bytes_get_size (r5) - 8, rc3, 5);
  /* a group error asked in v1 comes back as a generic rc */
  r6 = dev_request_full (dev, CBP_SMP_V1, CBP_OP_READ, 64, CBP_CMD_CERT_GET,
                         (const guint8 *) "\xa1\x63off\x00", 6, 127, 3000);
  g_assert_nonnull (r6);
  {
    cbp_error err;
    g_assert_cmpint (cbp_error_decode ((const guint8 *) g_bytes_get_data (r6, NULL) + 8,
                                       g_bytes_get_size (r6) - 8, &err), ==, CBP_OK);
    g_assert_cmpint (err.kind, ==, CBP_ERROR_GENERIC);
    g_assert_cmpint (err.rc, ==, cbp_rc_to_v1 (CBP_RC_NO_CERT));
  }
  /* a different group id is configurable */
  dev_stop (dev, FALSE);
  {
    const char *args[] = { "--group", "77", NULL };
    cbp_info_rsp info;
    g_autoptr(GBytes) r = NULL;

    dev = dev_start (args);
    r = dev_request_full (dev, CBP_SMP_V2, CBP_OP_READ, 77, CBP_CMD_INFO, (const guint8 *) "\xa0", 1, 127, 3000);
    g_assert_nonnull (r);
    g_assert_cmpint (cbp_response_decode (cbp_group_command (CBP_CMD_INFO),
                                          (const guint8 *) g_bytes_get_data (r, NULL) + 8,
                                          g_bytes_get_size (r) - 8, &info), ==, 0);
    cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);
    dev_stop (dev, FALSE);
  }
}

static void
test_dps_plumbing (void)
{
  Dev *dev = dev_start (NULL);
  cbp_dps_config_req cfg = { (char *) "0ne00TEST", (char *) "dev-dps-1", (char *) "c2VjcmV0LWtleQ==",
                             (char *) "https://127.0.0.1:9", NULL };
  cbp_dps_status_rsp st;
  cbp_dps_register_rsp reg;
  cbp_diag_rsp diag;
  g_autoptr(GBytes) pub = NULL;
  gint64 end;

  g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_STATUS, NULL, NULL), ==, CBP_RC_DPS_NOT_CONFIGURED);
  g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_REGISTER, NULL, NULL), ==, CBP_RC_DPS_NOT_CONFIGURED);
  g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_CONFIG, &cfg, NULL), ==, 0);

  g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_STATUS, NULL, &st), ==, 0);
  g_assert_cmpstr (st.state, ==, "idle");
  g_assert_cmpstr (st.scope, ==, "0ne00TEST");
  g_assert_cmpstr (st.reg_id, ==, "dev-dps-1");
  g_assert_cmpstr (st.endpoint, ==, "https://127.0.0.1:9");
  cbp_response_clear (cbp_group_command (CBP_CMD_DPS_STATUS), &st);

  /* no key yet */
  g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_REGISTER, NULL, NULL), ==, CBP_RC_NO_KEY);
  pub = dev_keygen (dev, "p256", FALSE, NULL);

  /* Nothing listens on port 9: the registration fails, and says so. */
  g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_REGISTER, NULL, &reg), ==, 0);
  g_assert_cmpstr (reg.state, ==, "running");
  cbp_response_clear (cbp_group_command (CBP_CMD_DPS_REGISTER), &reg);

  end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_STATUS, NULL, &st), ==, 0);
      if (g_strcmp0 (st.state, "running") != 0 || g_get_monotonic_time () > end)
        break;
      cbp_response_clear (cbp_group_command (CBP_CMD_DPS_STATUS), &st);
      g_usleep (100000);
    }
  g_assert_cmpstr (st.state, ==, "failed");
  g_assert_nonnull (st.error);
  g_test_message ("DPS error: %s", st.error);
  cbp_response_clear (cbp_group_command (CBP_CMD_DPS_STATUS), &st);

  g_assert_cmpint (dev_call (dev, CBP_CMD_DIAG, NULL, &diag), ==, 0);
  g_assert_nonnull (diag.dps_err);
  g_assert_false (diag.has_not_after);
  cbp_response_clear (cbp_group_command (CBP_CMD_DIAG), &diag);

  /* The key is stored on the device (0600) and never comes back over the wire. */
  {
    g_autofree char *p = g_build_filename (dev->state_dir, "dps", NULL);
    struct stat sb;
    g_assert_cmpint (g_stat (p, &sb), ==, 0);
    g_assert_cmpint (sb.st_mode & 0777, ==, 0600);
  }
  g_assert_null (g_strstr_len ((const char *) dev->text->data, dev->text->len, "c2VjcmV0"));
  dev_stop (dev, FALSE);
}

/* The device registers itself with DPS (the sandbox, over real HTTPS with its pinned CA) and
 * stages the chain it gets; the station commits it. */
#define SB_SUB       "00000000-0000-0000-0000-0000000000d7"
#define SB_RG        "rg-devsim"
#define SB_NS        "ns-devsim"
#define SB_HUB       "hub-devsim"
#define SB_DPS       "dps-devsim"
#define SB_ID_SCOPE  "0ne00DEF5A1"
#define SB_GROUP     "bench-line"
#define SB_POLICY    "default"
#define SB_GROUP_KEY "ZGV2c2ltLWdyb3VwLWtleS1mb3ItdGVzdHMtMDEyMzQ1"

static void
test_dps_sandbox (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  CbSandbox *sb = ts->sandbox;
  g_autofree char *namespace_id = cb_sb_namespace_id (SB_SUB, SB_RG, SB_NS);
  g_autofree char *global = g_strconcat (cb_sandbox_get_base_url (sb), "/dps", NULL);
  g_autofree char *device_key = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pub = NULL;
  g_autoptr(GBytes) chain = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  cbp_dps_config_req cfg = { 0 };
  cbp_dps_register_rsp reg;
  cbp_dps_status_rsp st;
  cbp_cert_commit_rsp crsp;
  guint8 sha[32];
  gint64 end;
  Dev *dev;

  cb_sb_lock (sb);
  cb_sb_create_hub (sb, SB_SUB, SB_RG, SB_HUB, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, SB_SUB, SB_RG, SB_DPS, SB_ID_SCOPE, namespace_id, SB_HUB, &error);
  g_assert_no_error (error);
  cb_sb_dps_create_enrollment_group (sb, SB_DPS, SB_GROUP, SB_GROUP_KEY, SB_POLICY, &error);
  g_assert_no_error (error);
  cb_sb_adr_create_namespace (sb, SB_SUB, SB_RG, SB_NS, "westeurope", &error);
  g_assert_no_error (error);
  cb_sb_adr_create_credential (sb, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_adr_create_policy (sb, namespace_id, SB_POLICY, 30, FALSE, &error);
  g_assert_no_error (error);
  cb_sb_unlock (sb);

  device_key = cb_sas_derive_device_key (SB_GROUP_KEY, "devsim-0001", &error);
  g_assert_no_error (error);

  dev = dev_start (NULL);
  pub = dev_keygen (dev, "p256", FALSE, NULL);
  cfg.scope = (char *) SB_ID_SCOPE;
  cfg.reg_id = (char *) "devsim-0001";
  cfg.key = device_key;
  cfg.endpoint = global;
  cfg.ca_path = (char *) cb_sandbox_get_ca_file (sb);
  g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_CONFIG, &cfg, NULL), ==, 0);
  g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_REGISTER, NULL, &reg), ==, 0);
  g_assert_cmpstr (reg.state, ==, "running");
  cbp_response_clear (cbp_group_command (CBP_CMD_DPS_REGISTER), &reg);

  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  for (;;)
    {
      g_assert_cmpint (dev_call (dev, CBP_CMD_DPS_STATUS, NULL, &st), ==, 0);
      if (g_strcmp0 (st.state, "running") != 0 || g_get_monotonic_time () > end)
        break;
      cbp_response_clear (cbp_group_command (CBP_CMD_DPS_STATUS), &st);
      g_usleep (100000);
    }
  g_test_message ("DPS state %s, error %s", st.state, st.error);
  g_assert_cmpstr (st.state, ==, "assigned");
  g_assert_cmpstr (st.device_id, ==, "devsim-0001");
  g_assert_nonnull (st.hub);
  g_assert_cmpuint (st.sha.len, ==, 32);

  /* The station reads the staged chain back and checks it before committing. */
  chain = dev_get_chain (dev, "staging", 0);
  g_assert_nonnull (chain);
  sha256 (chain, sha);
  g_assert_cmpmem (sha, 32, st.sha.data, st.sha.len);
  cbp_response_clear (cbp_group_command (CBP_CMD_DPS_STATUS), &st);
  {
    gsize len, pos = 0;
    const guint8 *d = g_bytes_get_data (chain, &len);

    certs = g_ptr_array_new_with_free_func (g_object_unref);
    while (pos < len)
      {
        /* DER SEQUENCE with a two-byte long-form length, as every certificate here is */
        gsize n = 4 + ((gsize) d[pos + 2] << 8) + d[pos + 3];
        g_autoptr(GBytes) one = g_bytes_new (d + pos, n);
        g_assert_cmpint (d[pos], ==, 0x30);
        g_assert_cmpint (d[pos + 1], ==, 0x82);
        g_ptr_array_add (certs, cb_certificate_new_from_der (one, &error));
        g_assert_no_error (error);
        pos += n;
      }
  }
  g_assert_cmpuint (certs->len, >=, 2);
  g_assert_cmpstr (cb_certificate_get_common_name (g_ptr_array_index (certs, 0)), ==, "devsim-0001");
  {
    g_autoptr(GBytes) leaf_pub = cb_certificate_get_public_key_der (g_ptr_array_index (certs, 0));
    g_assert_true (g_bytes_equal (leaf_pub, pub));
  }

  g_assert_cmpint (dev_commit (dev, chain, &crsp), ==, 0);
  g_assert_cmpint (crsp.not_after - crsp.not_before, >=, 29 * 86400);
  g_assert_cmpint (crsp.not_after - crsp.not_before, <=, 31 * 86400);
  cbp_response_clear (cbp_group_command (CBP_CMD_CERT_COMMIT), &crsp);
  check_pop (dev, pub, "ecdsa-sha256");

  g_assert_null (g_strstr_len ((const char *) dev->text->data, dev->text->len, device_key));
  dev_stop (dev, FALSE);
}

/* Random bytes and well-framed packets with random CBOR: answers or silence, never a crash,
 * and the device still works afterwards. */
static void
test_garbage (void)
{
  Dev *dev = dev_start (NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  guint8 junk[4096];
  cbp_os_echo_req req = { (char *) "still alive" };
  cbp_os_echo_rsp rsp;
  guint i, answered = 0;

  for (i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) g_rand_int (rand);
  dev_send_raw (dev, junk, sizeof junk);

  for (i = 0; i < 40; i++)
    {
      guint8 payload[64];
      gsize n = (gsize) g_rand_int_range (rand, 0, sizeof payload), k;
      guint8 id = (guint8) g_rand_int_range (rand, 0, CBP_CMD_COUNT);
      g_autoptr(GBytes) r = NULL;

      for (k = 0; k < n; k++)
        payload[k] = (guint8) g_rand_int (rand);
      if (n > 0)
        payload[0] = 0xa0 | (payload[0] & 0x1f);   /* mostly maps, to get past the first check */
      r = dev_request_full (dev, CBP_SMP_V2, cbp_group_command (id)->op, 64, id, payload, n, 127, 2000);
      if (r != NULL)
        answered++;
    }
  /* every well-framed request gets an answer */
  g_assert_cmpuint (answered, ==, 40);
  g_assert_cmpint (dev_call_timeout (dev, cbp_os_command (CBP_OS_ECHO), &req, &rsp, 3000), ==, 0);
  g_assert_cmpstr (rsp.r, ==, "still alive");
  cbp_response_clear (cbp_os_command (CBP_OS_ECHO), &rsp);
  dev_stop (dev, FALSE);
}

/* ---- faults ---- */

static void
test_fault_csr (void)
{
  const char *wrong_cn[] = { "--wrong-cn", NULL };
  const char *other_key[] = { "--csr-other-key", NULL };
  Dev *dev = dev_start (wrong_cn);
  g_autoptr(GBytes) pub = dev_keygen (dev, "p256", FALSE, NULL);
  g_autoptr(CbCsr) csr = dev_csr (dev, "dev-1");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (cb_csr_get_common_name (csr), !=, "dev-1");
  g_assert_false (cb_csr_check (csr, "dev-1", pub, &error));
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_WRONG_NAME);
  g_clear_error (&error);
  g_clear_object (&csr);
  g_clear_pointer (&pub, g_bytes_unref);
  dev_stop (dev, FALSE);

  dev = dev_start (other_key);
  pub = dev_keygen (dev, "p256", FALSE, NULL);
  csr = dev_csr (dev, "dev-1");
  g_assert_true (cb_csr_verify_signature (csr, NULL));   /* well-formed, just the wrong key */
  g_assert_false (cb_csr_check (csr, "dev-1", pub, &error));
  g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_WRONG_KEY);
  dev_stop (dev, FALSE);
}

static void
test_fault_refuse_commit (void)
{
  const char *args[] = { "--refuse-commit", NULL };
  Dev *dev = dev_start (args);
  g_autoptr(GBytes) pub = dev_keygen (dev, "p256", FALSE, NULL);
  g_autoptr(GBytes) chain = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  TestCa ca;

  test_ca_init (&ca);
  chain = cb_test_issue_chain (ca.root_key, ca.root_der, pub, "dev-1", now - 60, now + 86400);
  g_assert_cmpint (dev_put_chain (dev, chain, 500), ==, 0);
  g_assert_cmpint (dev_commit (dev, chain, NULL), ==, CBP_RC_COMMIT_REFUSED);
  g_assert_cmpint (dev_call (dev, CBP_CMD_CERT_GET, &(cbp_cert_get_req) { 0 }, NULL), ==, CBP_RC_NO_CERT);
  test_ca_clear (&ca);
  dev_stop (dev, FALSE);
}

static void
test_fault_slow_keygen (void)
{
  const char *args[] = { "--slow-keygen", "1500", NULL };
  Dev *dev = dev_start (args);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GBytes) pub = NULL;
  cbp_keygen_req req = { 0 };

  /* A station with a short timeout gives up... */
  g_assert_cmpint (dev_call_timeout (dev, cbp_group_command (CBP_CMD_KEYGEN), &req, NULL, 500), ==, G_MININT);
  /* ...the key still gets made, and the repeat returns it without making another. */
  pub = dev_keygen (dev, "p256", FALSE, NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1400 * 1000);
  dev_stop (dev, FALSE);
}

static gboolean
frames_ok (const guint8 *data, gsize len, gsize max, guint *n_frames)
{
  gsize i, start = G_MAXSIZE;

  *n_frames = 0;
  for (i = 0; i + 1 < len; i++)
    if ((data[i] == 0x06 && data[i + 1] == 0x09) || (data[i] == 0x04 && data[i + 1] == 0x14))
      {
        const guint8 *nl = memchr (data + i, '\n', len - i);
        if (nl == NULL || (gsize) (nl - (data + i)) + 1 > max)
          return FALSE;
        (*n_frames)++;
        start = i;
        i = (gsize) (nl - data);
      }
  return start != G_MAXSIZE;
}

static void
test_fault_frame_size (void)
{
  const char *args[] = { "--frame-size", "40", NULL };
  Dev *dev = dev_start (args);
  cbp_info_rsp info;
  guint n_frames = 0;

  /* Record the raw stream through the text-free path: decode and keep a copy. */
  g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
  g_assert_cmpuint (info.frame_size, ==, 40);
  cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);

  /* Look at the raw bytes of one more answer. */
  {
    GByteArray *raw = g_byte_array_new ();
    cbp_smp_header hdr = { CBP_SMP_V2, CBP_OP_READ, 0, 0, 64, 200, CBP_CMD_INFO };
    uint8_t *packet = NULL, *frames = NULL;
    size_t plen = 0, flen = 0;
    gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

    g_assert_cmpint (cbp_smp_packet_build (&hdr, (const guint8 *) "\xa0", 1, &packet, &plen), ==, 0);
    g_assert_cmpint (cbp_frame_encode (packet, plen, 127, &frames, &flen), ==, 0);
    dev_send_raw (dev, frames, flen);
    free (packet);
    free (frames);
    while (g_get_monotonic_time () < end)
      {
        struct pollfd pfd = { dev->fd, POLLIN, 0 };
        guint8 buf[512];
        ssize_t n;
        if (poll (&pfd, 1, 200) <= 0)
          {
            if (raw->len > 0)
              break;
            continue;
          }
        n = read (dev->fd, buf, sizeof buf);
        if (n > 0)
          g_byte_array_append (raw, buf, (guint) n);
      }
    g_assert_true (frames_ok (raw->data, raw->len, 40, &n_frames));
    g_assert_cmpuint (n_frames, >, 5);
    g_byte_array_unref (raw);
  }
  dev_stop (dev, FALSE);
}

static void
test_fault_chatter (void)
{
  const char *args[] = { "--chatter", "30", NULL };
  Dev *dev = dev_start (args);
  cbp_info_rsp info;
  guint i;

  dev_pump (dev, 200, NULL, NULL);
  /* Log lines arrive, and multi-frame answers survive a log line between their frames. */
  for (i = 0; i < 5; i++)
    {
      g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
      cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);
    }
  g_assert_nonnull (g_strstr_len ((const char *) dev->text->data, dev->text->len, "sensor:"));
  g_assert_nonnull (g_strstr_len ((const char *) dev->text->data, dev->text->len, "D: uart"));
  g_assert_cmpuint (cbp_decoder_errors (dev->dec), ==, 0);
  dev_stop (dev, FALSE);
}

static void
test_fault_baud (void)
{
  const char *args[] = { "--baud", "9600", NULL };
  Dev *dev = dev_start (args);
  cbp_info_rsp info;
  gint64 start;
  gsize before;
  double seconds, expected;

  start = g_get_monotonic_time ();
  before = dev->received;
  g_assert_cmpint (dev_call (dev, CBP_CMD_INFO, NULL, &info), ==, 0);
  cbp_response_clear (cbp_group_command (CBP_CMD_INFO), &info);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  expected = (dev->received - before) / 960.0;
  g_test_message ("%" G_GSIZE_FORMAT " bytes in %.3f s (9600 baud wants %.3f s)",
                  dev->received - before, seconds, expected);
  g_assert_cmpfloat (seconds, >=, expected * 0.8);
  dev_stop (dev, FALSE);
}

static void
test_fault_stall (void)
{
  const char *args[] = { "--stall", "1.0", NULL };
  Dev *dev = dev_start (args);
  cbp_os_echo_req req = { (char *) "ping" };
  cbp_os_echo_rsp rsp;
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpint (dev_call_timeout (dev, cbp_os_command (CBP_OS_ECHO), &req, &rsp, 5000), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
  cbp_response_clear (cbp_os_command (CBP_OS_ECHO), &rsp);
  /* once only */
  start = g_get_monotonic_time ();
  g_assert_cmpint (dev_call_timeout (dev, cbp_os_command (CBP_OS_ECHO), &req, &rsp, 5000), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 500 * 1000);
  cbp_response_clear (cbp_os_command (CBP_OS_ECHO), &rsp);
  dev_stop (dev, FALSE);
}

static void
test_fault_unplug (void)
{
  const char *args[] = { "--unplug-after", "150", NULL };
  Dev *dev = dev_start (args);
  g_autoptr(GError) error = NULL;

  /* info's answer is longer than 150 bytes: the pty goes away in the middle of it */
  g_assert_cmpint (dev_call_timeout (dev, cbp_group_command (CBP_CMD_INFO), NULL, NULL, 3000), ==, G_MININT);
  g_assert_true (dev->hangup);
  g_assert_cmpuint (dev->received, ==, 150);
  g_subprocess_wait (dev->proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (dev->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (dev->proc), ==, 0);
  dev_stop (dev, FALSE);
}

static void
test_fault_noise (void)
{
  const char *flips[] = { "--flip-rate", "0.003", "--fault-seed", "3", NULL };
  const char *drops[] = { "--drop-rate", "0.003", "--fault-seed", "5", NULL };
  const char * const *variants[] = { flips, drops };
  guint v;

  for (v = 0; v < G_N_ELEMENTS (variants); v++)
    {
      Dev *dev = dev_start (variants[v]);
      cbp_os_echo_req req = { (char *) "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz" };
      guint ok = 0, lost = 0, i;

      for (i = 0; i < 30; i++)
        {
          cbp_os_echo_rsp rsp;
          int rc = dev_call_timeout (dev, cbp_os_command (CBP_OS_ECHO), &req, &rsp, 300);
          if (rc == 0)
            {
              /* a corrupted frame never yields a wrong answer: CRC catches it */
              g_assert_cmpstr (rsp.r, ==, req.d);
              cbp_response_clear (cbp_os_command (CBP_OS_ECHO), &rsp);
              ok++;
            }
          else
            lost++;
        }
      g_test_message ("variant %u: %u answered, %u lost, %lu frame errors seen", v, ok, lost,
                      cbp_decoder_errors (dev->dec));
      g_assert_cmpuint (ok, >, 0);
      g_assert_cmpuint (lost, >, 0);
      dev_stop (dev, FALSE);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cb/devsim/os-echo", test_os_echo);
  g_test_add_func ("/cb/devsim/mcumgr-params", test_mcumgr_params);
  g_test_add_func ("/cb/devsim/info", test_info);
  g_test_add_func ("/cb/devsim/keygen", test_keygen);
  g_test_add_func ("/cb/devsim/csr", test_csr);
  g_test_add_func ("/cb/devsim/cert-round-trip", test_cert_round_trip);
  g_test_add_func ("/cb/devsim/commit-key-mismatch", test_commit_key_mismatch);
  g_test_add_func ("/cb/devsim/pop", test_pop);
  g_test_add_func ("/cb/devsim/renewal-next-key", test_renewal_next_key);
  g_test_add_func ("/cb/devsim/persistence", test_persistence);
  g_test_add_func ("/cb/devsim/unknown-command", test_unknown);
  g_test_add_func ("/cb/devsim/garbage", test_garbage);
  g_test_add_func ("/cb/devsim/dps-plumbing", test_dps_plumbing);
  g_test_add_func ("/cb/devsim/dps-sandbox", test_dps_sandbox);
  g_test_add_func ("/cb/devsim/fault/csr", test_fault_csr);
  g_test_add_func ("/cb/devsim/fault/refuse-commit", test_fault_refuse_commit);
  g_test_add_func ("/cb/devsim/fault/slow-keygen", test_fault_slow_keygen);
  g_test_add_func ("/cb/devsim/fault/frame-size", test_fault_frame_size);
  g_test_add_func ("/cb/devsim/fault/chatter", test_fault_chatter);
  g_test_add_func ("/cb/devsim/fault/baud", test_fault_baud);
  g_test_add_func ("/cb/devsim/fault/stall", test_fault_stall);
  g_test_add_func ("/cb/devsim/fault/unplug", test_fault_unplug);
  g_test_add_func ("/cb/devsim/fault/noise", test_fault_noise);
  return g_test_run ();
}
