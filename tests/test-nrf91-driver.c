/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The nRF91 driver (cb-nrf91-driver.c) through the CbDeviceDriver interface against the real
 * simulated modem (certbench-devsim --personality nrf91 on a pty): identify with its facts,
 * %KEYGEN in offline mode and the mode restored, the CSR handed back with its COSE
 * attestation, a chain issued here installed (deleting what the tag held: writes never
 * overwrite), read back by SHA-256 digests, and AT%CMNG=1 on the modem listing the digests
 * of the text written; a digest that differs is a mismatch, said so. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb-at-channel.h"
#include "cb-csr.h"
#include "cb-device-driver.h"
#include "cb-nrf91-driver.h"
#include "cb-nrf91-modem.h"
#include "cb-pki.h"
#include "cb-x509.h"

typedef struct
{
  GSubprocess  *proc;
  char         *tmp_dir;
  char         *state_dir;
  CbSerialPort *port;
  CbAtChannel  *channel;
  CbNrf91Modem *modem;
  GPtrArray    *urcs;
  CbDeviceDriver *driver;
} Sim;

static void
on_unsolicited (CbAtChannel *channel, const char *line, Sim *sim)
{
  g_ptr_array_add (sim->urcs, g_strdup (line));
}

static Sim *
sim_start (const char * const *extra)
{
  Sim *sim = g_new0 (Sim, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  sim->tmp_dir = g_dir_make_tmp ("cb-nrf91-modem-XXXXXX", &error);
  g_assert_no_error (error);
  sim->state_dir = g_build_filename (sim->tmp_dir, "state", NULL);
  g_ptr_array_add (argv, (gpointer) g_getenv ("CERTBENCH_DEVSIM"));
  g_assert_nonnull (argv->pdata[0]);
  g_ptr_array_add (argv, (gpointer) "--personality");
  g_ptr_array_add (argv, (gpointer) "nrf91");
  g_ptr_array_add (argv, (gpointer) "--state-dir");
  g_ptr_array_add (argv, sim->state_dir);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);

  sim->proc = g_subprocess_newv ((const char * const *) argv->pdata,
                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "PTY /dev/"));

  sim->port = cb_serial_port_open (line + 4, CB_SERIAL_PORT_DEFAULT_BAUD, &error);
  g_assert_no_error (error);
  sim->channel = cb_at_channel_new (sim->port);
  sim->modem = cb_nrf91_modem_new (sim->channel);
  sim->urcs = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (sim->channel, "unsolicited", G_CALLBACK (on_unsolicited), sim);
  sim->driver = CB_DEVICE_DRIVER (cb_nrf91_driver_new (sim->modem));
  return sim;
}

static void
sim_stop (Sim *sim)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_clear_object (&sim->driver);
  g_clear_object (&sim->modem);
  g_clear_object (&sim->channel);
  cb_serial_port_close (sim->port);
  g_clear_object (&sim->port);
  g_subprocess_send_signal (sim->proc, SIGTERM);
  g_subprocess_wait (sim->proc, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (sim->proc);
  dir = g_dir_open (sim->state_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *p = g_build_filename (sim->state_dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (sim->state_dir);
  g_rmdir (sim->tmp_dir);
  g_ptr_array_unref (sim->urcs);
  g_free (sim->state_dir);
  g_free (sim->tmp_dir);
  g_free (sim);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Spins the default context until the operation ends; bounded. */
static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  gint64 end = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  return *slot;
}

static char **
command (CbAtChannel *channel, const char *cmd, guint timeout_ms, GCancellable *cancel,
         GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_at_channel_command_async (channel, cmd, timeout_ms, cancel, on_done, &result);
  return cb_at_channel_command_finish (channel, wait_result (&result), error);
}


typedef struct
{
  CbKey  *root_key;
  GBytes *root_der;
  CbKey  *inter_key;
  GBytes *inter_der;
} Pki;

static void
pki_init (Pki *pki)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) root_pub = NULL;
  g_autoptr(GBytes) inter_pub = NULL;
  CbCertProfile profile = { 0 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  pki->root_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  root_pub = cb_key_get_public_key_der (pki->root_key);
  profile.subject_dn = "CN=Test root";
  profile.not_before = now - 3600;
  profile.not_after = now + 86400 * 365;
  profile.is_ca = TRUE;
  profile.path_len = -1;
  pki->root_der = cb_cert_issue (&profile, root_pub, pki->root_key, NULL, &error);
  g_assert_no_error (error);

  pki->inter_key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_assert_no_error (error);
  inter_pub = cb_key_get_public_key_der (pki->inter_key);
  profile.subject_dn = "CN=Test issuing CA";
  pki->inter_der = cb_cert_issue (&profile, inter_pub, pki->root_key, pki->root_der, &error);
  g_assert_no_error (error);
}

static void
pki_clear (Pki *pki)
{
  cb_key_unref (pki->root_key);
  cb_key_unref (pki->inter_key);
  g_bytes_unref (pki->root_der);
  g_bytes_unref (pki->inter_der);
}

/* leaf (for the CSR's key), intermediate, root */
static GPtrArray *
pki_issue (Pki *pki, CbCsr *csr)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pub = cb_csr_get_public_key_der (csr);
  g_autofree char *dn = g_strdup_printf ("CN=%s", cb_csr_get_common_name (csr));
  g_autoptr(GBytes) leaf = NULL;
  GPtrArray *chain = g_ptr_array_new_with_free_func (g_object_unref);
  CbCertProfile profile = { 0 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  profile.subject_dn = dn;
  profile.not_before = now - 60;
  profile.not_after = now + 86400 * 30;
  profile.path_len = -1;
  leaf = cb_cert_issue (&profile, pub, pki->inter_key, pki->inter_der, &error);
  g_assert_no_error (error);
  g_ptr_array_add (chain, cb_certificate_new_from_der (leaf, &error));
  g_assert_no_error (error);
  g_ptr_array_add (chain, cb_certificate_new_from_der (pki->inter_der, &error));
  g_ptr_array_add (chain, cb_certificate_new_from_der (pki->root_der, &error));
  g_assert_no_error (error);
  return chain;
}

static GBytes *
chain_der (GPtrArray *chain)
{
  GByteArray *all = g_byte_array_new ();

  for (guint i = 0; i < chain->len; i++)
    {
      g_autoptr(GBytes) der = cb_certificate_get_der (g_ptr_array_index (chain, i));

      g_byte_array_append (all, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
    }
  return g_byte_array_free_to_bytes (all);
}

static CbDeviceInfo *
drv_identify (Sim *sim)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CbDeviceInfo *info;

  cb_device_driver_identify_async (sim->driver, NULL, on_done, &result);
  info = cb_device_driver_identify_finish (sim->driver, wait_result (&result), &error);
  g_assert_no_error (error);
  return info;
}

static CbDeviceCsr *
drv_key_and_csr (Sim *sim, const char *cn)
{
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKeygenResult) key = NULL;
  CbDeviceCsr *csr;

  cb_device_driver_create_key_async (sim->driver, "p256", cn, TRUE, NULL, on_done, &r1);
  key = cb_device_driver_create_key_finish (sim->driver, wait_result (&r1), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key->key_type, ==, "p256");
  g_assert_true (key->created);
  cb_device_driver_create_csr_async (sim->driver, cn, NULL, on_done, &r2);
  csr = cb_device_driver_create_csr_finish (sim->driver, wait_result (&r2), &error);
  g_assert_no_error (error);
  return csr;
}

static void
drv_install (Sim *sim, GPtrArray *chain)
{
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) der = chain_der (chain);
  g_autoptr(GBytes) staged = NULL;
  g_autoptr(CbCommitResult) commit = NULL;

  cb_device_driver_install_chain_async (sim->driver, der, chain, NULL, on_done, &r1);
  g_assert_true (cb_device_driver_install_chain_finish (sim->driver, wait_result (&r1), &staged,
                                                        &error));
  g_assert_no_error (error);
  g_assert_null (staged);
  cb_device_driver_commit_async (sim->driver, NULL, NULL, on_done, &r2);
  commit = cb_device_driver_commit_finish (sim->driver, wait_result (&r2), &error);
  g_assert_no_error (error);
  g_assert_null (commit->sha256);
}

static CbDeviceReadBack *
drv_read_back (Sim *sim, GPtrArray *chain)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) der = chain_der (chain);
  CbDeviceReadBack *rb;

  cb_device_driver_read_back_async (sim->driver, der, chain, NULL, on_done, &result);
  rb = cb_device_driver_read_back_finish (sim->driver, wait_result (&result), &error);
  g_assert_no_error (error);
  return rb;
}

/* "%CMNG: <tag>,<type>,"<sha>"" lines the modem answers to AT%CMNG=1 */
static char *
modem_digest (Sim *sim, guint32 tag, int type)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = command (sim->channel, "AT%CMNG=1", 0, NULL, &error);
  g_autofree char *prefix = g_strdup_printf ("%%CMNG: %u,%d,\"", tag, type);

  g_assert_no_error (error);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return g_strndup (lines[i] + strlen (prefix), 64);
  return NULL;
}

static int
modem_cfun (Sim *sim)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = command (sim->channel, "AT+CFUN?", 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (lines[0], "+CFUN: "));
  return atoi (lines[0] + 7);
}

static void
test_provision (void)
{
  Sim *sim = sim_start ((const char * const[]) { "--cfun", "1", NULL });
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(CbDeviceInfo) after = NULL;
  g_autoptr(CbDeviceCsr) dcsr = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(CbDeviceReadBack) rb = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *client_pem = NULL;
  g_autofree char *root_pem = NULL;
  g_autofree char *want_client = NULL;
  g_autofree char *want_root = NULL;
  g_autofree char *got_client = NULL;
  g_autofree char *got_root = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *regid = NULL;
  Pki pki;

  g_assert_cmpstr (cb_device_driver_get_name (sim->driver), ==, "nrf91");
  g_assert_false (cb_device_driver_has_capability (sim->driver, CB_DEVICE_CAP_PROVE_POSSESSION));
  reason = cb_device_driver_dup_missing_reason (sim->driver, CB_DEVICE_CAP_PROVE_POSSESSION);
  g_assert_nonnull (strstr (reason, "the CSR's signature is the proof of possession at issuance"));

  info = drv_identify (sim);
  g_assert_cmpuint (strlen (cb_device_info_get_fact (info, "imei")), ==, 15);
  g_assert_cmpstr (cb_device_info_get_serial (info), ==, cb_device_info_get_fact (info, "imei"));
  g_assert_true (g_uuid_string_is_valid (cb_device_info_get_fact (info, "uuid")));
  g_assert_cmpstr (cb_device_info_get_model (info), ==, "nRF9160-SICA");
  g_assert_null (cb_device_info_get_key_type (info));
  g_assert_cmpstr (cb_device_info_get_fact (info, "cfun"), ==, "1");
  g_assert_cmpstr (cb_device_info_get_fact (info, "credentials"), ==, "");
  g_assert_false (cb_device_info_get_has_active_chain (info));

  regid = g_strdup_printf ("nrf-%s", cb_device_info_get_fact (info, "imei"));
  dcsr = drv_key_and_csr (sim, regid);
  g_assert_nonnull (dcsr->attestation);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (dcsr->attestation, NULL))[0], ==, 0xd2);
  csr = cb_csr_new_from_der (dcsr->der, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_csr_get_common_name (csr), ==, regid);
  g_assert_true (cb_csr_verify_signature (csr, &error));
  /* normal mode again after the key */
  g_assert_cmpint (modem_cfun (sim), ==, 1);

  pki_init (&pki);
  chain = pki_issue (&pki, csr);
  drv_install (sim, chain);
  g_assert_cmpint (modem_cfun (sim), ==, 1);

  rb = drv_read_back (sim, chain);
  g_assert_cmpint (rb->compared, ==, CB_DEVICE_COMPARE_DIGESTS);
  g_assert_true (rb->matches);
  g_assert_cmpuint (rb->n_items, ==, 2);

  /* what AT%CMNG=1 lists is SHA-256 of the text Certbench wrote: the leaf with its
   * intermediate as type 1, the root as type 0 */
  cb_nrf91_driver_chain_texts (chain, &client_pem, &root_pem);
  g_assert_nonnull (strstr (client_pem, "BEGIN CERTIFICATE"));
  g_assert_nonnull (strstr (strstr (client_pem, "END CERTIFICATE") + 1, "BEGIN CERTIFICATE"));
  want_client = cb_nrf91_content_digest (client_pem);
  want_root = cb_nrf91_content_digest (root_pem);
  got_client = modem_digest (sim, CB_NRF91_DRIVER_DEFAULT_SEC_TAG, 1);
  got_root = modem_digest (sim, CB_NRF91_DRIVER_DEFAULT_SEC_TAG, 0);
  g_assert_cmpstr (got_client, ==, want_client);
  g_assert_cmpstr (got_root, ==, want_root);

  /* identify now sees the key and the chain */
  after = drv_identify (sim);
  g_assert_cmpstr (cb_device_info_get_key_type (after), ==, "p256");
  g_assert_true (cb_device_info_get_has_active_chain (after));
  g_assert_nonnull (strstr (cb_device_info_get_fact (after, "credentials"), "client certificate"));

  /* a second provisioning of the same modem: the old key and chain go first (519 otherwise) */
  {
    g_autoptr(CbDeviceCsr) dcsr2 = drv_key_and_csr (sim, regid);
    g_autoptr(CbCsr) csr2 = cb_csr_new_from_der (dcsr2->der, &error);
    g_autoptr(GPtrArray) chain2 = pki_issue (&pki, csr2);
    g_autoptr(CbDeviceReadBack) rb2 = NULL;
    g_autoptr(CbDeviceReadBack) stale = NULL;

    g_autoptr(GBytes) pub1 = cb_csr_get_public_key_der (csr);
    g_autoptr(GBytes) pub2 = cb_csr_get_public_key_der (csr2);

    g_assert_false (g_bytes_equal (pub1, pub2));
    drv_install (sim, chain2);
    rb2 = drv_read_back (sim, chain2);
    g_assert_true (rb2->matches);
    /* the first chain is no longer what the modem holds */
    stale = drv_read_back (sim, chain);
    g_assert_false (stale->matches);
    g_assert_nonnull (strstr (stale->detail, "client certificate"));
  }
  pki_clear (&pki);
  sim_stop (sim);
}

/* A write the modem refuses: a clear error, and the modem back in its mode. */
static void
test_refused (void)
{
  Sim *sim = sim_start ((const char * const[]) { "--cfun", "1", "--refuse-commit", NULL });
  g_autoptr(CbDeviceInfo) info = drv_identify (sim);
  g_autoptr(CbDeviceCsr) dcsr = drv_key_and_csr (sim, "dev-refused");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCsr) csr = cb_csr_new_from_der (dcsr->der, &error);
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CbKeygenResult) p384 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  Pki pki;

  pki_init (&pki);
  chain = pki_issue (&pki, csr);
  der = chain_der (chain);
  cb_device_driver_install_chain_async (sim->driver, der, chain, NULL, on_done, &result);
  g_assert_false (cb_device_driver_install_chain_finish (sim->driver, wait_result (&result),
                                                         NULL, &error));
  g_assert_error (error, CB_AT_CME_ERROR, 514);
  g_assert_true (cb_device_driver_error_is_refusal (sim->driver, error));
  g_assert_nonnull (strstr (error->message, "could not store"));
  g_clear_error (&error);
  g_assert_cmpint (modem_cfun (sim), ==, 1);

  /* a key type the modem does not make: nothing sent */
  cb_device_driver_create_key_async (sim->driver, "p384", "x", FALSE, NULL, on_done, &r2);
  p384 = cb_device_driver_create_key_finish (sim->driver, wait_result (&r2), &error);
  g_assert_null (p384);
  g_assert_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED);
  pki_clear (&pki);
  sim_stop (sim);
}

/* A root CA the tag already holds (the hub's TLS root, say) stays; the chain's root is not
 * forced over it, and the read-back compares the client certificate. */
static void
test_keeps_root (void)
{
  Sim *sim = sim_start (NULL);
  g_autoptr(CbDeviceInfo) info = drv_identify (sim);
  g_autoptr(CbDeviceCsr) dcsr = drv_key_and_csr (sim, "dev-keeps-root");
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCsr) csr = cb_csr_new_from_der (dcsr->der, &error);
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(CbDeviceReadBack) rb = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *hub_root = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  CbCertificate *other;
  Pki pki, hub;

  pki_init (&pki);
  pki_init (&hub);
  other = cb_certificate_new_from_der (hub.root_der, &error);
  g_assert_no_error (error);
  hub_root = cb_certificate_to_pem (other);
  g_object_unref (other);
  cb_nrf91_modem_cmng_write_async (sim->modem, CB_NRF91_DRIVER_DEFAULT_SEC_TAG,
                                   CB_NRF91_CRED_ROOT_CA, hub_root, NULL, on_done, &result);
  g_assert_true (cb_nrf91_modem_cmng_write_finish (sim->modem, wait_result (&result), &error));
  g_assert_no_error (error);

  chain = pki_issue (&pki, csr);
  drv_install (sim, chain);
  rb = drv_read_back (sim, chain);
  g_assert_true (rb->matches);
  g_assert_cmpuint (rb->n_items, ==, 1);
  want = cb_nrf91_content_digest (hub_root);
  got = modem_digest (sim, CB_NRF91_DRIVER_DEFAULT_SEC_TAG, 0);
  g_assert_cmpstr (got, ==, want);
  pki_clear (&pki);
  pki_clear (&hub);
  sim_stop (sim);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nrf91-driver/provision", test_provision);
  g_test_add_func ("/nrf91-driver/refused", test_refused);
  g_test_add_func ("/nrf91-driver/keeps-root", test_keeps_root);

  return g_test_run ();
}
