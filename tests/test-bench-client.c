/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <gnutls/x509.h>

#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-bench-client.h"
#include "cb-bench-format.h"
#include "cb-csr.h"
#include "cb-pki.h"
#include "cb-x509.h"

/* Every client operation against the real certbench-devsim on its pty. */

typedef struct
{
  GSubprocess    *devsim;
  char           *state_dir;
  char           *pty_path;
  CbSerialPort   *port;
  CbSmpTransport *transport;
  CbBenchClient  *client;
  guint           progress_put;
  guint           progress_get;
  guint64         last_put_done;
  guint           disconnected;
} Fixture;

static char *
devsim_path (void)
{
  const char *env = g_getenv ("CERTBENCH_DEVSIM");

  if (env != NULL)
    return g_strdup (env);
  return g_test_build_filename (G_TEST_BUILT, "..", "src", "devsim", "certbench-devsim", NULL);
}

static void
devsim_start (Fixture            *f,
              const char * const *extra_args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *exe = devsim_path ();

  g_ptr_array_add (argv, g_strdup (exe));
  g_ptr_array_add (argv, g_strdup ("--state-dir"));
  g_ptr_array_add (argv, g_strdup (f->state_dir));
  g_ptr_array_add (argv, g_strdup ("--serial"));
  g_ptr_array_add (argv, g_strdup ("CB-TEST-0001"));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  f->devsim = g_subprocess_newv ((const char * const *)argv->pdata,
                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->devsim));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PTY "));
  g_clear_pointer (&f->pty_path, g_free);
  f->pty_path = g_strdup (line + 4);
}

static void
devsim_stop (Fixture *f)
{
  if (f->devsim == NULL)
    return;
  g_subprocess_send_signal (f->devsim, SIGTERM);
  g_subprocess_wait (f->devsim, NULL, NULL);
  g_clear_object (&f->devsim);
}

static void
on_progress (CbBenchClient *client,
             const char    *operation,
             guint64        done,
             guint64        total,
             Fixture       *f)
{
  g_assert_cmpuint (done, <=, total);
  if (g_strcmp0 (operation, "put") == 0)
    {
      g_assert_cmpuint (done, >=, f->last_put_done);
      f->last_put_done = done;
      f->progress_put++;
    }
  else
    {
      g_assert_cmpstr (operation, ==, "get");
      f->progress_get++;
    }
}

static void
on_disconnected (CbSerialPort *port,
                 const GError *error,
                 Fixture      *f)
{
  f->disconnected++;
}

static void
on_log_line (CbSmpTransport *transport,
             const char     *line,
             gpointer        user_data)
{
  g_test_message ("device: %s", line);
}

static void
station_connect (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->port = cb_serial_port_open (f->pty_path, 115200, &error);
  g_assert_no_error (error);
  g_signal_connect (f->port, "disconnected", G_CALLBACK (on_disconnected), f);
  f->transport = cb_smp_transport_new (f->port);
  g_signal_connect (f->transport, "log-line", G_CALLBACK (on_log_line), NULL);
  f->client = cb_bench_client_new (f->transport);
  g_signal_connect (f->client, "transfer-progress", G_CALLBACK (on_progress), f);
}

static void
station_disconnect (Fixture *f)
{
  if (f->client != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->client));
  if (f->transport != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->transport));
  if (f->port != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->port));
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            rm_rf (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  const char * const *args = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *exe = devsim_path ();

  if (!g_file_test (exe, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("certbench-devsim is not built");
      return;
    }

  f->state_dir = g_dir_make_tmp ("cb-bench-client-XXXXXX", &error);
  g_assert_no_error (error);
  devsim_start (f, args);
  station_connect (f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  station_disconnect (f);
  devsim_stop (f);
  if (f->state_dir != NULL)
    rm_rf (f->state_dir);
  g_clear_pointer (&f->state_dir, g_free);
  g_clear_pointer (&f->pty_path, g_free);
}

/* Runs the main loop until the callback has stored its result. */
static GAsyncResult *
await (GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (*slot == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (*slot);
  return *slot;
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* Synchronous wrappers: each starts the call, waits, and finishes it. */

static CbDeviceInfo *
do_identify (Fixture  *f,
             GError  **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_identify_async (f->client, NULL, store_result, &res);
  return cb_bench_client_identify_finish (f->client, await (&res), error);
}

static CbDeviceInfo *
do_info (Fixture  *f,
         GError  **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_info_async (f->client, NULL, store_result, &res);
  return cb_bench_client_info_finish (f->client, await (&res), error);
}

static CbKeygenResult *
do_keygen (Fixture     *f,
           const char  *type,
           gboolean     replace,
           GError     **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_keygen_async (f->client, type, replace, NULL, store_result, &res);
  return cb_bench_client_keygen_finish (f->client, await (&res), error);
}

static GBytes *
do_csr (Fixture     *f,
        const char  *cn,
        GError     **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_csr_async (f->client, cn, NULL, store_result, &res);
  return cb_bench_client_csr_finish (f->client, await (&res), error);
}

static GBytes *
do_put (Fixture  *f,
        GBytes   *chain,
        GError  **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  f->last_put_done = 0;
  cb_bench_client_put_chain_async (f->client, chain, NULL, store_result, &res);
  return cb_bench_client_put_chain_finish (f->client, await (&res), error);
}

static CbCommitResult *
do_commit (Fixture  *f,
           GBytes   *sha,
           GError  **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_commit_async (f->client, sha, NULL, store_result, &res);
  return cb_bench_client_commit_finish (f->client, await (&res), error);
}

static GBytes *
do_get (Fixture     *f,
        const char  *slot,
        GError     **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_get_chain_async (f->client, slot, NULL, store_result, &res);
  return cb_bench_client_get_chain_finish (f->client, await (&res), error);
}

static CbPopResult *
do_pop (Fixture  *f,
        GBytes   *challenge,
        GError  **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_pop_async (f->client, challenge, NULL, store_result, &res);
  return cb_bench_client_pop_finish (f->client, await (&res), error);
}

static char *
do_echo (Fixture     *f,
         const char  *text,
         GError     **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_echo_async (f->client, text, NULL, store_result, &res);
  return cb_bench_client_echo_finish (f->client, await (&res), error);
}

static CbDeviceDiag *
do_diag (Fixture  *f,
         GError  **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_diag_async (f->client, NULL, store_result, &res);
  return cb_bench_client_diag_finish (f->client, await (&res), error);
}

static CbDpsStatus *
do_dps_status (Fixture  *f,
               GError  **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_dps_status_async (f->client, NULL, store_result, &res);
  return cb_bench_client_dps_status_finish (f->client, await (&res), error);
}

/* A three-certificate chain (leaf for device_pub, issuing CA, root), DER, leaf first. */
typedef struct
{
  GBytes *chain;
  GBytes *leaf;
  char   *pem;      /* the same three certificates as PEM */
  gint64  not_before;
  gint64  not_after;
} Chain;

static void
chain_clear (Chain *c)
{
  g_clear_pointer (&c->chain, g_bytes_unref);
  g_clear_pointer (&c->leaf, g_bytes_unref);
  g_clear_pointer (&c->pem, g_free);
}

static void
append_pem (GString *pem,
            GBytes  *der)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertificate) cert = cb_certificate_new_from_der (der, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = cb_certificate_to_pem (cert);
  g_string_append (pem, text);
}

static void
make_chain (GBytes     *device_pub,
            const char *cn,
            Chain      *out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) root_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(CbKey) ca_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) root_pub = NULL;
  g_autoptr(GBytes) ca_pub = NULL;
  g_autoptr(GBytes) root = NULL;
  g_autoptr(GBytes) ca = NULL;
  g_autoptr(GBytes) leaf = NULL;
  g_autofree char *leaf_dn = g_strdup_printf ("CN=%s", cn);
  static const char * const client_auth[] = { "1.3.6.1.5.5.7.3.2", NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = { 0 };
  GByteArray *all = g_byte_array_new ();

  g_assert_no_error (error);
  root_pub = cb_key_get_public_key_der (root_key);
  ca_pub = cb_key_get_public_key_der (ca_key);

  profile.subject_dn = "CN=Bench Test Root,O=Certbench Tests";
  profile.not_before = now - 3600;
  profile.not_after = now + 10 * 365 * 86400;
  profile.is_ca = TRUE;
  profile.path_len = 1;
  profile.key_usage = GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN;
  root = cb_cert_issue (&profile, root_pub, root_key, NULL, &error);
  g_assert_no_error (error);

  profile.subject_dn = "CN=Bench Test Issuing CA,O=Certbench Tests";
  profile.path_len = 0;
  ca = cb_cert_issue (&profile, ca_pub, root_key, root, &error);
  g_assert_no_error (error);

  profile.subject_dn = leaf_dn;
  profile.is_ca = FALSE;
  profile.path_len = -1;
  profile.key_usage = GNUTLS_KEY_DIGITAL_SIGNATURE;
  profile.ext_key_usage = client_auth;
  profile.not_before = now - 60;
  profile.not_after = now + 30 * 86400;
  leaf = cb_cert_issue (&profile, device_pub, ca_key, ca, &error);
  g_assert_no_error (error);

  g_byte_array_append (all, g_bytes_get_data (leaf, NULL), g_bytes_get_size (leaf));
  g_byte_array_append (all, g_bytes_get_data (ca, NULL), g_bytes_get_size (ca));
  g_byte_array_append (all, g_bytes_get_data (root, NULL), g_bytes_get_size (root));
  out->chain = g_byte_array_free_to_bytes (all);
  {
    GString *pem = g_string_new (NULL);

    append_pem (pem, leaf);
    append_pem (pem, ca);
    append_pem (pem, root);
    out->pem = g_string_free (pem, FALSE);
  }
  out->leaf = g_steal_pointer (&leaf);
  out->not_before = profile.not_before;
  out->not_after = profile.not_after;
}

static GBytes *
random_challenge (void)
{
  guint8 buf[32];

  for (guint i = 0; i < sizeof buf; i++)
    buf[i] = (guint8)g_random_int_range (0, 256);
  return g_bytes_new (buf, sizeof buf);
}

static void
test_identify (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autofree char *echo = NULL;
  guint buf_size = 0, buf_count = 0;

  if (g_test_failed () || f->client == NULL)
    return;

  cb_bench_client_mcumgr_params_async (f->client, NULL, store_result, &res);
  g_assert_true (cb_bench_client_mcumgr_params_finish (f->client, await (&res), &buf_size,
                                                       &buf_count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (buf_size, ==, 1024);
  g_assert_cmpuint (buf_count, >=, 1);

  info = do_identify (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_device_info_get_serial (info), ==, "CB-TEST-0001");
  g_assert_nonnull (cb_device_info_get_model (info));
  g_assert_nonnull (cb_device_info_get_firmware (info));
  g_assert_cmpuint (cb_device_info_get_protocol_version (info), ==, CBP_PROTO_VERSION);
  g_assert_true (cb_device_info_supports_key_type (info, "p256"));
  g_assert_true (cb_device_info_supports_key_type (info, "p384"));
  g_assert_false (cb_device_info_supports_key_type (info, "rsa2048"));
  g_assert_null (cb_device_info_get_key_type (info));
  g_assert_false (cb_device_info_get_has_next_key (info));
  g_assert_false (cb_device_info_get_has_active_chain (info));
  g_assert_cmpuint (cb_device_info_get_frame_size (info), ==, 127);
  g_assert_cmpuint (cb_device_info_get_buffer_size (info), ==, 1024);
  g_assert_cmpuint (cb_device_info_get_slot_size (info), ==, 8192);
  g_assert_cmpuint (cb_device_info_get_slots (info), ==, 2);
  g_assert_cmpuint (cb_device_info_get_staged_bytes (info), ==, 0);

  /* identify configured the transport from the device */
  g_assert_cmpuint (cb_smp_transport_get_max_packet (f->transport), ==, 1024);
  g_assert_cmpuint (cb_smp_transport_get_frame_size (f->transport), ==, 127);

  echo = do_echo (f, "hello, device", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (echo, ==, "hello, device");
}

static void
test_provision (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(CbKeygenResult) key = NULL;
  g_autoptr(CbKeygenResult) again = NULL;
  g_autoptr(GBytes) csr_der = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(GBytes) sha = NULL;
  g_autoptr(GBytes) staged = NULL;
  g_autoptr(CbCommitResult) commit = NULL;
  g_autoptr(CbCommitResult) commit_again = NULL;
  g_autoptr(GBytes) active = NULL;
  g_autoptr(GBytes) challenge = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(CbPopResult) pop = NULL;
  g_autoptr(CbDeviceDiag) diag = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  Chain chain = { 0 };
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  if (g_test_failed () || f->client == NULL)
    return;

  info = do_identify (f, &error);
  g_assert_no_error (error);
  g_clear_object (&info);

  /* csr before keygen: no_key */
  g_assert_null (do_csr (f, "dev-001", &error));
  g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_NO_KEY);
  g_assert_cmpuint (cb_smp_error_get_group (error), ==, 64);
  g_clear_error (&error);

  key = do_keygen (f, "p256", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key->key_type, ==, "p256");
  g_assert_true (key->created);
  g_assert_cmpint (cb_pki_key_type_from_spki (key->public_key), ==, CB_KEY_TYPE_EC_P256);

  /* repeat-safe without replace: the same key comes back */
  again = do_keygen (f, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (again->created);
  g_assert_true (g_bytes_equal (again->public_key, key->public_key));

  /* a key of another type without replace: key_exists */
  g_assert_null (do_keygen (f, "p384", FALSE, &error));
  g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_KEY_EXISTS);
  g_clear_error (&error);

  csr_der = do_csr (f, "dev-001", &error);
  g_assert_no_error (error);
  csr = cb_csr_new_from_der (csr_der, &error);
  g_assert_no_error (error);
  g_assert_true (cb_csr_check (csr, "dev-001", key->public_key, &error));
  g_assert_no_error (error);

  g_assert_null (do_csr (f, "bad,cn", &error));
  g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_BAD_SUBJECT);
  g_clear_error (&error);

  /* install: put (several chunks at a 1024-byte buffer), read staging back, commit */
  make_chain (key->public_key, "dev-001", &chain);
  g_assert_cmpuint (g_bytes_get_size (chain.chain), >, 1024);
  f->progress_put = 0;
  sha = do_put (f, chain.chain, &error);
  g_assert_no_error (error);
  g_checksum_update (checksum, g_bytes_get_data (chain.chain, NULL), g_bytes_get_size (chain.chain));
  g_checksum_get_digest (checksum, digest, &digest_len);
  g_assert_cmpmem (g_bytes_get_data (sha, NULL), g_bytes_get_size (sha), digest, digest_len);
  g_assert_cmpuint (f->progress_put, >=, 3);
  g_assert_cmpuint (f->last_put_done, ==, g_bytes_get_size (chain.chain));

  info = do_info (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cb_device_info_get_staged_bytes (info), ==, g_bytes_get_size (chain.chain));
  g_assert_false (cb_device_info_get_has_active_chain (info));
  g_clear_object (&info);

  /* nothing is active before the commit */
  g_assert_null (do_get (f, "active", &error));
  g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_NO_CERT);
  g_clear_error (&error);

  f->progress_get = 0;
  staged = do_get (f, "staging", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (staged, chain.chain));
  g_assert_cmpuint (f->progress_get, >=, 2);

  commit = do_commit (f, sha, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (commit->sha256, sha));
  g_assert_cmpint (commit->not_before, ==, chain.not_before);
  g_assert_cmpint (commit->not_after, ==, chain.not_after);

  /* a repeated commit (a lost answer) answers success again */
  commit_again = do_commit (f, sha, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (commit_again->sha256, sha));

  active = do_get (f, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (active, chain.chain));

  info = do_info (f, &error);
  g_assert_no_error (error);
  g_assert_true (cb_device_info_get_has_active_chain (info));
  g_assert_cmpstr (cb_device_info_get_key_type (info), ==, "p256");
  g_assert_cmpuint (cb_device_info_get_staged_bytes (info), ==, 0);
  g_clear_object (&info);

  /* proof of possession with the leaf's key */
  challenge = random_challenge ();
  pop = do_pop (f, challenge, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pop->algorithm, ==, "ecdsa-sha256");
  g_assert_true (g_bytes_equal (pop->public_key, key->public_key));
  message = cb_bench_pop_message (challenge);
  g_assert_cmpuint (g_bytes_get_size (message), ==, 49);
  g_assert_true (cb_pki_verify_signature (key->public_key, g_bytes_get_data (message, NULL),
                                          g_bytes_get_size (message), pop->signature, &error));
  g_assert_no_error (error);
  /* and the signature is over the prefixed message, not the bare challenge */
  g_assert_false (cb_pki_verify_signature (key->public_key, g_bytes_get_data (challenge, NULL),
                                           g_bytes_get_size (challenge), pop->signature, NULL));

  diag = do_diag (f, &error);
  g_assert_no_error (error);
  g_assert_true (cb_device_diag_get_has_validity (diag));
  g_assert_cmpint (cb_device_diag_get_not_before (diag), ==, chain.not_before);
  g_assert_cmpint (cb_device_diag_get_not_after (diag), ==, chain.not_after);
  g_assert_cmpint (cb_device_diag_get_renew_at (diag), ==,
                   chain.not_before + (gint64)(0.8 * (chain.not_after - chain.not_before)));
  g_assert_cmpint (ABS (cb_device_diag_get_time (diag) - g_get_real_time () / G_USEC_PER_SEC),
                   <, 60);

  /* Renewal: keygen with replace makes a next key. The active chain keeps its key until a
   * commit, so pop still answers with the current key while csr uses the next one. */
  {
    g_autoptr(CbKeygenResult) next = NULL;
    g_autoptr(CbPopResult) pop2 = NULL;
    g_autoptr(GBytes) csr2_der = NULL;
    g_autoptr(CbCsr) csr2 = NULL;

    next = do_keygen (f, "p256", TRUE, &error);
    g_assert_no_error (error);
    g_assert_true (next->created);
    g_assert_false (g_bytes_equal (next->public_key, key->public_key));
    info = do_info (f, &error);
    g_assert_no_error (error);
    g_assert_true (cb_device_info_get_has_next_key (info));
    g_assert_true (cb_device_info_get_has_active_chain (info));
    g_clear_object (&info);

    pop2 = do_pop (f, challenge, &error);
    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (pop2->public_key, key->public_key));

    csr2_der = do_csr (f, "dev-001", &error);
    g_assert_no_error (error);
    csr2 = cb_csr_new_from_der (csr2_der, &error);
    g_assert_no_error (error);
    g_assert_true (cb_csr_check (csr2, "dev-001", next->public_key, &error));
    g_assert_no_error (error);
  }

  chain_clear (&chain);
}

static void
test_install_errors (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(CbKeygenResult) key = NULL;
  g_autoptr(CbKeygenResult) next = NULL;
  g_autoptr(CbKey) other = NULL;
  g_autoptr(GBytes) other_pub = NULL;
  g_autoptr(GBytes) sha = NULL;
  g_autoptr(GBytes) short_challenge = g_bytes_new_static ("too short", 9);
  g_autoptr(GBytes) not_a_chain = g_bytes_new_static ("hello", 5);
  g_autoptr(GBytes) pem_bytes = NULL;
  g_autoptr(GBytes) staged = NULL;
  Chain wrong = { 0 };
  Chain right = { 0 };

  if (g_test_failed () || f->client == NULL)
    return;

  info = do_identify (f, &error);
  g_assert_no_error (error);
  g_clear_object (&info);
  key = do_keygen (f, NULL, FALSE, &error);
  g_assert_no_error (error);

  /* a chain for another key stages fine but the commit refuses it */
  other = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  other_pub = cb_key_get_public_key_der (other);
  make_chain (other_pub, "dev-002", &wrong);
  sha = do_put (f, wrong.chain, &error);
  g_assert_no_error (error);
  g_assert_null (do_commit (f, sha, &error));
  g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_KEY_MISMATCH);
  g_clear_error (&error);
  g_clear_pointer (&sha, g_bytes_unref);

  /* PEM input is converted to the DER chain the device stores */
  make_chain (key->public_key, "dev-002", &right);
  pem_bytes = g_bytes_new (right.pem, strlen (right.pem));
  sha = do_put (f, pem_bytes, &error);
  g_assert_no_error (error);
  staged = do_get (f, "staging", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (staged, right.chain));

  /* commit with a hash that is not the staged chain's */
  {
    g_autoptr(GBytes) zero = g_bytes_new_take (g_malloc0 (32), 32);

    g_assert_null (do_commit (f, zero, &error));
    g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
    g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_HASH_MISMATCH);
    g_clear_error (&error);
  }

  /* arguments checked before anything is sent */
  g_assert_null (do_pop (f, short_challenge, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (do_put (f, not_a_chain, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* keygen with replace always makes a new key (with no active chain there is nothing to
   * keep, so the device may simply replace its key) */
  next = do_keygen (f, "p256", TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (next->created);
  g_assert_false (g_bytes_equal (next->public_key, key->public_key));

  chain_clear (&wrong);
  chain_clear (&right);
}

static void
test_dps (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDpsStatus) status = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(CbKeygenResult) key = NULL;
  g_autofree char *state = NULL;
  gint64 deadline;

  if (g_test_failed () || f->client == NULL)
    return;

  g_assert_null (do_dps_status (f, &error));
  g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_DPS_NOT_CONFIGURED);
  g_clear_error (&error);

  /* Port 1 on loopback refuses at once, so the registration fails quickly and offline. */
  cb_bench_client_dps_config_async (f->client, "0ne00000001", "dev-003",
                                    "c2VjcmV0LWtleS1ub3QtZm9yLWxvZ3M=", "https://127.0.0.1:1",
                                    NULL, NULL, store_result, &res);
  g_assert_true (cb_bench_client_dps_config_finish (f->client, await (&res), &error));
  g_assert_no_error (error);
  g_clear_object (&res);

  status = do_dps_status (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status->state, ==, "idle");
  g_assert_cmpstr (status->scope, ==, "0ne00000001");
  g_assert_cmpstr (status->registration_id, ==, "dev-003");
  g_clear_pointer (&status, cb_dps_status_free);

  key = do_keygen (f, NULL, FALSE, &error);
  g_assert_no_error (error);

  cb_bench_client_dps_register_async (f->client, NULL, store_result, &res);
  state = cb_bench_client_dps_register_finish (f->client, await (&res), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (state, ==, "running");

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  do
    {
      g_clear_pointer (&status, cb_dps_status_free);
      status = do_dps_status (f, &error);
      g_assert_no_error (error);
      if (g_strcmp0 (status->state, "running") != 0)
        break;
      g_usleep (50 * 1000);
    }
  while (g_get_monotonic_time () < deadline);

  g_assert_cmpstr (status->state, ==, "failed");
  g_assert_nonnull (status->error);
  g_test_message ("DPS failed as expected: %s", status->error);
}

static gboolean
do_hub_config (Fixture     *f,
               const char  *host,
               const char  *device_id,
               const char  *endpoint,
               GError     **error)
{
  g_autoptr(GAsyncResult) res = NULL;

  cb_bench_client_hub_config_async (f->client, host, device_id, endpoint, NULL, NULL,
                                    store_result, &res);
  return cb_bench_client_hub_config_finish (f->client, await (&res), error);
}

/* hub_config is stored; with an active certificate the device tries to connect, and diag
 * tells the result (port 1 on loopback refuses at once). */
static void
test_hub (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDeviceDiag) diag = NULL;
  g_autoptr(CbKeygenResult) key = NULL;
  g_autoptr(GBytes) sha = NULL;
  g_autoptr(CbCommitResult) commit = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  Chain chain = { 0 };
  gint64 deadline;

  if (g_test_failed () || f->client == NULL)
    return;

  info = do_identify (f, &error);
  g_assert_no_error (error);
  diag = do_diag (f, &error);
  g_assert_no_error (error);
  g_assert_null (cb_device_diag_get_hub (diag));
  g_assert_cmpstr (cb_device_diag_get_hub_state (diag), ==, "off");
  g_assert_null (cb_device_diag_get_renew_state (diag));
  g_clear_object (&diag);

  g_assert_false (do_hub_config (f, "hub-b.azure-devices.net", "bad,cn", NULL, &error));
  g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_BAD_SUBJECT);
  g_clear_error (&error);

  g_assert_true (do_hub_config (f, "hub-b.azure-devices.net", "dev-009", "127.0.0.1:1", &error));
  g_assert_no_error (error);
  /* repeat-safe */
  g_assert_true (do_hub_config (f, "hub-b.azure-devices.net", "dev-009", "127.0.0.1:1", &error));
  g_assert_no_error (error);
  diag = do_diag (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_device_diag_get_hub (diag), ==, "hub-b.azure-devices.net");
  g_assert_cmpstr (cb_device_diag_get_hub_state (diag), ==, "off");
  g_clear_object (&diag);

  key = do_keygen (f, "p256", FALSE, &error);
  g_assert_no_error (error);
  make_chain (key->public_key, "dev-009", &chain);
  sha = do_put (f, chain.chain, &error);
  g_assert_no_error (error);
  commit = do_commit (f, sha, &error);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      diag = do_diag (f, &error);
      g_assert_no_error (error);
      if (g_strcmp0 (cb_device_diag_get_hub_state (diag), "unreachable") == 0 ||
          g_get_monotonic_time () > deadline)
        break;
      g_clear_object (&diag);
      g_usleep (100 * 1000);
    }
  g_assert_cmpstr (cb_device_diag_get_hub_state (diag), ==, "unreachable");
  g_assert_cmpstr (cb_device_diag_get_hub_error (diag), ==, "connection refused");
  g_assert_cmpint (ABS (cb_device_diag_get_hub_time (diag) - g_get_real_time () / G_USEC_PER_SEC),
                   <, 60);
  g_assert_null (cb_device_diag_get_renew_state (diag));
  g_assert_cmpint (cb_device_diag_get_renew_time (diag), ==, 0);
  g_assert_null (cb_device_diag_get_renew_error (diag));
  chain_clear (&chain);
}

static const char * const no_network_args[] = { "--no-network", NULL };

static void
test_hub_no_network (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDeviceDiag) diag = NULL;

  if (g_test_failed () || f->client == NULL)
    return;

  g_assert_false (do_hub_config (f, "hub-b.azure-devices.net", "dev-009", NULL, &error));
  g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_null (do_dps_status (f, &error));
  g_assert_error (error, CB_SMP_ERROR, CB_SMP_ERROR_GROUP_RC);
  g_assert_cmpint (cb_smp_error_get_rc (error), ==, CBP_RC_NOT_SUPPORTED);
  g_clear_error (&error);

  diag = do_diag (f, &error);
  g_assert_no_error (error);
  g_assert_null (cb_device_diag_get_hub (diag));
  g_assert_cmpstr (cb_device_diag_get_hub_state (diag), ==, "off");
}

/* Bit flips in both directions: frames get dropped, repeat-safe requests are resent and the
 * whole install still completes byte-exact. */
static const char * const flip_args[] = { "--flip-rate", "0.001", "--fault-seed", "7", NULL };

static void
test_bit_flips (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(CbKeygenResult) key = NULL;
  g_autoptr(GBytes) sha = NULL;
  g_autoptr(GBytes) staged = NULL;
  g_autoptr(CbCommitResult) commit = NULL;
  g_autoptr(GBytes) active = NULL;
  CbSmpTransportStats stats;
  Chain chain = { 0 };

  if (g_test_failed () || f->client == NULL)
    return;

  /* Short timeouts keep the test fast; more retries than the default keep it deterministic
   * enough at this error rate. Small packets so most frames get through. */
  cb_smp_transport_set_timeout_scale (f->transport, 0.05);
  cb_smp_transport_set_max_retries (f->transport, 12);

  info = do_identify (f, &error);
  g_assert_no_error (error);
  cb_smp_transport_set_max_packet (f->transport, 256);

  key = do_keygen (f, NULL, FALSE, &error);
  g_assert_no_error (error);

  make_chain (key->public_key, "dev-flip", &chain);
  sha = do_put (f, chain.chain, &error);
  g_assert_no_error (error);
  staged = do_get (f, "staging", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (staged, chain.chain));
  commit = do_commit (f, sha, &error);
  g_assert_no_error (error);
  active = do_get (f, "active", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (active, chain.chain));

  cb_smp_transport_get_stats (f->transport, &stats);
  g_test_message ("%" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT " retries, %"
                  G_GUINT64_FORMAT " frame errors (crc %" G_GUINT64_FORMAT ", base64 %"
                  G_GUINT64_FORMAT ")", stats.requests, stats.retries, stats.frame_errors,
                  stats.err_crc, stats.err_base64);
  g_assert_cmpuint (stats.retries, >, 0);
  g_assert_cmpuint (stats.timeouts, ==, 0);

  chain_clear (&chain);
}

/* The device vanishes part-way through an install: a clean BROKEN_PIPE, no hang, and after a
 * restart it still has the chain it had. */
static void
test_unplug_mid_install (Fixture       *f,
                         gconstpointer  data)
{
  static const char * const unplug_args[] = { "--unplug-after", "120", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(CbKeygenResult) key = NULL;
  g_autoptr(GBytes) sha = NULL;
  g_autoptr(CbCommitResult) commit = NULL;
  g_autoptr(GBytes) active = NULL;
  g_autofree char *echo = NULL;
  Chain first = { 0 };
  Chain second = { 0 };
  gint64 started;

  if (g_test_failed () || f->client == NULL)
    return;

  /* A committed chain first. */
  info = do_identify (f, &error);
  g_assert_no_error (error);
  g_clear_object (&info);
  key = do_keygen (f, NULL, FALSE, &error);
  g_assert_no_error (error);
  make_chain (key->public_key, "dev-unplug", &first);
  sha = do_put (f, first.chain, &error);
  g_assert_no_error (error);
  commit = do_commit (f, sha, &error);
  g_assert_no_error (error);
  g_clear_pointer (&sha, g_bytes_unref);

  /* Restart the device with an unplug a few answers into the next session. */
  station_disconnect (f);
  devsim_stop (f);
  devsim_start (f, unplug_args);
  station_connect (f);
  /* Small chunks (about 40 bytes of answer each), so the unplug lands mid-install. */
  cb_smp_transport_set_max_packet (f->transport, 256);

  make_chain (key->public_key, "dev-unplug-2", &second);
  started = g_get_monotonic_time ();
  sha = do_put (f, second.chain, &error);
  g_assert_null (sha);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_clear_error (&error);
  /* well under the 3 s cert_put timeout: the hangup is noticed, not waited out */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (f->disconnected, ==, 1);
  g_assert_false (cb_serial_port_is_open (f->port));
  g_assert_cmpuint (f->last_put_done, >, 0);
  g_assert_cmpuint (f->last_put_done, <, g_bytes_get_size (second.chain));

  /* Later requests fail at once with the same error. */
  g_assert_null (do_echo (f, "still there?", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_clear_error (&error);

  /* Plugged back in: the first chain is still the active one. */
  g_subprocess_wait (f->devsim, NULL, NULL);
  g_clear_object (&f->devsim);
  station_disconnect (f);
  devsim_start (f, NULL);
  station_connect (f);
  info = do_identify (f, &error);
  g_assert_no_error (error);
  g_assert_true (cb_device_info_get_has_active_chain (info));
  active = do_get (f, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (active, first.chain));
  echo = do_echo (f, "back", &error);
  g_assert_no_error (error);

  chain_clear (&first);
  chain_clear (&second);
}

static void
test_pure_helpers (void)
{
  g_autoptr(GBytes) challenge = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);
  g_autoptr(GBytes) message = cb_bench_pop_message (challenge);
  g_autoptr(GBytes) der = g_bytes_new_static ("\x30\x03\x02\x01\x01", 5);
  g_autoptr(GBytes) same = NULL;
  g_autoptr(GBytes) garbage = g_bytes_new_static ("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                  "-----END CERTIFICATE-----\n", 60);
  g_autoptr(GError) error = NULL;
  const guint8 *m;

  g_assert_cmpuint (g_bytes_get_size (message), ==, 49);
  m = g_bytes_get_data (message, NULL);
  g_assert_cmpmem (m, 16, "certbench-pop-v1", 16);
  g_assert_cmpint (m[16], ==, 0);
  g_assert_cmpmem (m + 17, 32, "0123456789abcdef0123456789abcdef", 32);

  same = cb_bench_chain_to_der (der, &error);
  g_assert_no_error (error);
  g_assert_true (same == der);

  g_assert_null (cb_bench_chain_to_der (garbage, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, args, func) \
  g_test_add ("/cb/bench-client/" path, Fixture, args, fixture_set_up, func, fixture_tear_down)

  ADD ("identify", NULL, test_identify);
  ADD ("provision", NULL, test_provision);
  ADD ("install-errors", NULL, test_install_errors);
  ADD ("dps", NULL, test_dps);
  ADD ("hub", NULL, test_hub);
  ADD ("hub-no-network", no_network_args, test_hub_no_network);
  ADD ("bit-flips", flip_args, test_bit_flips);
  ADD ("unplug-mid-install", NULL, test_unplug_mid_install);
  g_test_add_func ("/cb/bench-client/pure-helpers", test_pure_helpers);

  return g_test_run ();
}
