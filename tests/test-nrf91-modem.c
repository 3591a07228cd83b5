/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The AT channel (cb-at-channel.c) and the nRF91 modem's operations (cb-nrf91-modem.c) against
 * the real simulated modem (certbench-devsim --personality nrf91 on a pty), through the real
 * CbSerialPort: identification, +CFUN, %KEYGEN (the CSR checked with cb_csr, the COSE object
 * kept as bytes), %CMNG write/list/read/delete with the list digest equal to SHA-256 of the PEM
 * written, +CME ERROR codes as clear messages, echo on, unsolicited +CEREG lines, a stalled
 * modem (timeout), a cancel; and hostile bytes from a pty this test plays the device on. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <pty.h>
#include <string.h>
#include <unistd.h>

#include "cb-at-channel.h"
#include "cb-csr.h"
#include "cb-nrf91-modem.h"
#include "cb-pki.h"
#include "cb-registration-template.h"

typedef struct
{
  GSubprocess  *proc;
  char         *tmp_dir;
  char         *state_dir;
  CbSerialPort *port;
  CbAtChannel  *channel;
  CbNrf91Modem *modem;
  GPtrArray    *urcs;
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
  return sim;
}

static void
sim_stop (Sim *sim)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

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

static CbNrf91Identity *
identify (Sim *sim, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_nrf91_modem_identify_async (sim->modem, NULL, on_done, &result);
  return cb_nrf91_modem_identify_finish (sim->modem, wait_result (&result), error);
}

static int
get_cfun (Sim *sim)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int mode;

  cb_nrf91_modem_get_cfun_async (sim->modem, NULL, on_done, &result);
  mode = cb_nrf91_modem_get_cfun_finish (sim->modem, wait_result (&result), &error);
  g_assert_no_error (error);
  return mode;
}

static void
set_cfun (Sim *sim, int mode)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cb_nrf91_modem_set_cfun_async (sim->modem, mode, NULL, on_done, &result);
  g_assert_true (cb_nrf91_modem_set_cfun_finish (sim->modem, wait_result (&result), &error));
  g_assert_no_error (error);
}

static CbNrf91Keygen *
keygen (Sim *sim, guint32 tag, const char *attributes, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_nrf91_modem_keygen_async (sim->modem, tag, attributes, NULL, on_done, &result);
  return cb_nrf91_modem_keygen_finish (sim->modem, wait_result (&result), error);
}

static gboolean
cmng_write (Sim *sim, guint32 tag, CbNrf91CredType type, const char *content, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_nrf91_modem_cmng_write_async (sim->modem, tag, type, content, NULL, on_done, &result);
  return cb_nrf91_modem_cmng_write_finish (sim->modem, wait_result (&result), error);
}

static GPtrArray *
cmng_list (Sim *sim, gint64 tag, int type)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *list;

  cb_nrf91_modem_cmng_list_async (sim->modem, tag, type, NULL, on_done, &result);
  list = cb_nrf91_modem_cmng_list_finish (sim->modem, wait_result (&result), &error);
  g_assert_no_error (error);
  return list;
}

static CbNrf91Credential *
cmng_read (Sim *sim, guint32 tag, CbNrf91CredType type, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_nrf91_modem_cmng_read_async (sim->modem, tag, type, NULL, on_done, &result);
  return cb_nrf91_modem_cmng_read_finish (sim->modem, wait_result (&result), error);
}

static gboolean
cmng_delete (Sim *sim, guint32 tag, CbNrf91CredType type, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cb_nrf91_modem_cmng_delete_async (sim->modem, tag, type, NULL, on_done, &result);
  return cb_nrf91_modem_cmng_delete_finish (sim->modem, wait_result (&result), error);
}

/* A self-signed certificate as PEM with the line breaks of a file. */
static char *
make_cert_pem (const char *cn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  g_autoptr(GBytes) pub = cb_key_get_public_key_der (key);
  g_autofree char *dn = g_strdup_printf ("CN=%s", cn);
  g_autoptr(GBytes) der = NULL;
  g_autofree char *b64 = NULL;
  GString *pem = g_string_new ("-----BEGIN CERTIFICATE-----\n");
  CbCertProfile profile = { 0 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  profile.subject_dn = dn;
  profile.not_before = now - 3600;
  profile.not_after = now + 86400;
  profile.is_ca = TRUE;
  profile.path_len = -1;
  der = cb_cert_issue (&profile, pub, key, NULL, &error);
  g_assert_no_error (error);
  b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  for (gsize i = 0; i < strlen (b64); i += 64)
    {
      g_string_append_len (pem, b64 + i, (gssize) MIN (64, strlen (b64) - i));
      g_string_append_c (pem, '\n');
    }
  g_string_append (pem, "-----END CERTIFICATE-----\n");
  return g_string_free (pem, FALSE);
}

static gboolean
luhn_ok (const char *digits)
{
  int sum = 0, n = (int) strlen (digits);

  for (int i = 0; i < n; i++)
    {
      int d = digits[n - 1 - i] - '0';

      if (i % 2 == 1 && (d *= 2) > 9)
        d -= 9;
      sum += d;
    }
  return sum % 10 == 0;
}

/* ---- against the simulated modem ---- */

static void
test_identify (void)
{
  Sim *sim = sim_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbNrf91Identity) id = identify (sim, &error);
  g_autoptr(CbNrf91Identity) again = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (id->imei), ==, 15);
  g_assert_true (g_str_has_prefix (id->imei, "35265610"));
  g_assert_true (luhn_ok (id->imei));
  g_assert_true (g_uuid_string_is_valid (id->uuid));
  /* %DEVICEUUID, not the firmware's %XMODEMUUID */
  g_assert_cmpstr (id->uuid, !=, "7b2f1d0e-4c6a-4e8b-9f3d-2a5c8e1b6d40");
  g_assert_cmpstr (id->model, ==, "nRF9160-SICA");
  g_assert_true (g_str_has_prefix (id->firmware, "mfw_nrf9160_"));

  /* the same identity from the same state directory */
  again = identify (sim, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->imei, ==, id->imei);
  g_assert_cmpstr (again->uuid, ==, id->uuid);
  sim_stop (sim);
}

static void
test_cfun (void)
{
  Sim *sim = sim_start ((const char * const[]) { "--cfun", "1", NULL });

  g_assert_cmpint (get_cfun (sim), ==, 1);
  set_cfun (sim, 4);
  g_assert_cmpint (get_cfun (sim), ==, 4);
  set_cfun (sim, 1);
  g_assert_cmpint (get_cfun (sim), ==, 1);
  sim_stop (sim);
}

static void
test_keygen (void)
{
  Sim *sim = sim_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbNrf91Keygen) kg = NULL;
  g_autoptr(CbNrf91Keygen) none = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(CbNrf91Credential) key = NULL;
  g_autoptr(GPtrArray) list = NULL;
  const guint8 *cose;

  set_cfun (sim, 4);
  kg = keygen (sim, 16842753, "CN=line1-352656100367872", &error);
  g_assert_no_error (error);
  csr = cb_csr_new_from_der (kg->csr_der, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cb_csr_get_common_name (csr), ==, "line1-352656100367872");
  g_assert_true (cb_csr_verify_signature (csr, &error));
  g_assert_no_error (error);
  cose = g_bytes_get_data (kg->cose, NULL);
  g_assert_cmpuint (cose[0], ==, 0xd2);

  /* the key is in the tag as type 2, listed with a digest, never readable: 514 */
  list = cmng_list (sim, 16842753, -1);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpint (((CbNrf91Credential *) list->pdata[0])->type, ==, CB_NRF91_CRED_CLIENT_KEY);
  key = cmng_read (sim, 16842753, CB_NRF91_CRED_CLIENT_KEY, &error);
  g_assert_null (key);
  g_assert_error (error, CB_AT_CME_ERROR, 514);
  g_clear_error (&error);

  /* a second key into the same tag: 519, said plainly */
  none = keygen (sim, 16842753, "CN=x", &error);
  g_assert_null (none);
  g_assert_error (error, CB_AT_CME_ERROR, 519);
  g_assert_nonnull (strstr (error->message, "delete it first"));
  g_assert_nonnull (strstr (error->message, "519"));
  g_clear_error (&error);

  /* in normal mode: 518 */
  set_cfun (sim, 1);
  none = keygen (sim, 7, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, CB_AT_CME_ERROR, 518);
  g_assert_nonnull (strstr (error->message, "AT+CFUN=4"));
  sim_stop (sim);
}

static void
test_cmng (void)
{
  Sim *sim = sim_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *root = make_cert_pem ("root");
  g_autofree char *leaf = make_cert_pem ("leaf");
  g_autofree char *root_sha = cb_nrf91_content_digest (root);
  g_autofree char *leaf_sha = cb_nrf91_content_digest (leaf);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(CbNrf91Credential) read = NULL;
  CbNrf91Credential *c;

  set_cfun (sim, 4);
  g_assert_true (cmng_write (sim, 42, CB_NRF91_CRED_ROOT_CA, root, &error));
  g_assert_no_error (error);
  g_assert_true (cmng_write (sim, 42, CB_NRF91_CRED_CLIENT_CERT, leaf, &error));
  g_assert_no_error (error);

  list = cmng_list (sim, -1, -1);
  g_assert_cmpuint (list->len, ==, 2);
  c = list->pdata[0];
  g_assert_cmpuint (c->sec_tag, ==, 42);
  g_assert_cmpint (c->type, ==, CB_NRF91_CRED_ROOT_CA);
  g_assert_cmpstr (c->sha256, ==, root_sha);
  c = list->pdata[1];
  g_assert_cmpint (c->type, ==, CB_NRF91_CRED_CLIENT_CERT);
  g_assert_cmpstr (c->sha256, ==, leaf_sha);

  /* read gives the PEM exactly as written, line breaks and all */
  read = cmng_read (sim, 42, CB_NRF91_CRED_CLIENT_CERT, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (read->content, ==, leaf);
  g_assert_cmpstr (read->sha256, ==, leaf_sha);

  /* writes never overwrite: 519; delete then write */
  g_assert_false (cmng_write (sim, 42, CB_NRF91_CRED_ROOT_CA, leaf, &error));
  g_assert_error (error, CB_AT_CME_ERROR, 519);
  g_clear_error (&error);
  g_assert_true (cmng_delete (sim, 42, CB_NRF91_CRED_ROOT_CA, &error));
  g_assert_no_error (error);
  g_assert_false (cmng_delete (sim, 42, CB_NRF91_CRED_ROOT_CA, &error));
  g_assert_error (error, CB_AT_CME_ERROR, 513);
  g_assert_nonnull (strstr (error->message, "Not found"));
  g_clear_error (&error);
  g_assert_null (cmng_read (sim, 42, CB_NRF91_CRED_ROOT_CA, &error));
  g_assert_error (error, CB_AT_CME_ERROR, 513);
  g_clear_error (&error);

  after = cmng_list (sim, 42, CB_NRF91_CRED_CLIENT_CERT);
  g_assert_cmpuint (after->len, ==, 1);

  /* content an AT string cannot carry: refused before anything is sent */
  g_assert_false (cmng_write (sim, 43, CB_NRF91_CRED_ROOT_CA, "a\"b", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* normal mode: 518 */
  set_cfun (sim, 1);
  g_assert_false (cmng_delete (sim, 42, CB_NRF91_CRED_CLIENT_CERT, &error));
  g_assert_error (error, CB_AT_CME_ERROR, 518);
  sim_stop (sim);
}

static void
test_echo (void)
{
  Sim *sim = sim_start (NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(CbNrf91Identity) id = NULL;
  g_autoptr(CbNrf91Credential) read = NULL;
  g_autofree char *pem = make_cert_pem ("echoed");

  lines = command (sim->channel, "ATE1", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (lines), ==, 0);
  g_clear_pointer (&lines, g_strfreev);

  /* the echo of each command is not an answer line */
  lines = command (sim->channel, "AT+CGMI", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_cmpstr (lines[0], ==, "Nordic Semiconductor ASA");
  id = identify (sim, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id->model, ==, "nRF9160-SICA");

  /* a PEM with line breaks inside quotes, echoed back whole */
  set_cfun (sim, 4);
  g_assert_true (cmng_write (sim, 5, CB_NRF91_CRED_ROOT_CA, pem, &error));
  g_assert_no_error (error);
  read = cmng_read (sim, 5, CB_NRF91_CRED_ROOT_CA, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (read->content, ==, pem);
  sim_stop (sim);
}

static void
test_urc (void)
{
  Sim *sim = sim_start ((const char * const[]) { "--urc", "--cfun", "1", NULL });
  g_autoptr(GError) error = NULL;
  g_autoptr(CbNrf91Identity) id = NULL;
  g_auto(GStrv) lines = NULL;
  guint before;

  id = identify (sim, &error);
  g_assert_no_error (error);
  g_assert_nonnull (id->uuid);
  g_assert_cmpuint (sim->urcs->len, >=, 1);
  g_assert_cmpstr (sim->urcs->pdata[0], ==, "+CEREG: 2");

  /* leaving normal mode: +CEREG: 0 after the OK, not part of any answer */
  before = sim->urcs->len;
  set_cfun (sim, 4);
  g_assert_cmpint (get_cfun (sim), ==, 4);
  g_assert_cmpuint (sim->urcs->len, ==, before + 1);
  g_assert_cmpstr (sim->urcs->pdata[before], ==, "+CEREG: 0");

  /* the command of the same name gets its line as the answer */
  lines = command (sim->channel, "AT+CEREG?", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_true (g_str_has_prefix (lines[0], "+CEREG: 1,"));
  g_assert_cmpuint (sim->urcs->len, ==, before + 1);
  sim_stop (sim);
}

static void
test_plain_error (void)
{
  Sim *sim = sim_start (NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  lines = command (sim->channel, "AT+NOSUCH", 0, NULL, &error);
  g_assert_null (lines);
  g_assert_error (error, CB_AT_ERROR, CB_AT_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "AT+NOSUCH"));
  sim_stop (sim);
}

static void
test_timeout_and_cancel (void)
{
  Sim *sim = sim_start ((const char * const[]) { "--stall", "3", "--stall-after", "1", NULL });
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_auto(GStrv) lines = NULL;

  lines = command (sim->channel, "AT+CGMI", 300, NULL, &error);
  g_assert_null (lines);
  g_assert_error (error, CB_AT_ERROR, CB_AT_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "AT+CGMI"));
  g_clear_error (&error);

  /* a command in flight, cancelled, ends at once */
  cb_at_channel_command_async (sim->channel, "AT+CGMM", 60000, cancel, on_done, &result);
  g_cancellable_cancel (cancel);
  lines = cb_at_channel_command_finish (sim->channel, wait_result (&result), &error);
  g_assert_null (lines);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  sim_stop (sim);
}

/* ---- hostile bytes: this test plays the device on a pty of its own ---- */

typedef struct
{
  int           master;
  CbSerialPort *port;
  CbAtChannel  *channel;
  GPtrArray    *urcs;
} Fake;

static void
fake_urc (CbAtChannel *channel, const char *line, Fake *fake)
{
  g_ptr_array_add (fake->urcs, g_strdup (line));
}

static Fake *
fake_start (void)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr(GError) error = NULL;
  char name[256];
  int slave = -1;

  g_assert_cmpint (openpty (&fake->master, &slave, name, NULL, NULL), ==, 0);
  fake->port = cb_serial_port_open (name, CB_SERIAL_PORT_DEFAULT_BAUD, &error);
  g_assert_no_error (error);
  close (slave);
  fake->channel = cb_at_channel_new (fake->port);
  fake->urcs = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (fake->channel, "unsolicited", G_CALLBACK (fake_urc), fake);
  return fake;
}

static void
fake_stop (Fake *fake)
{
  g_clear_object (&fake->channel);
  cb_serial_port_close (fake->port);
  g_clear_object (&fake->port);
  if (fake->master >= 0)
    close (fake->master);
  g_ptr_array_unref (fake->urcs);
  g_free (fake);
}

static void
fake_say (Fake *fake, const void *data, gsize len)
{
  g_assert_cmpint (write (fake->master, data, len), ==, (gssize) len);
}

/* Sends cmd; once the device side has read the command line, says reply. */
static char **
fake_exchange (Fake *fake, const char *cmd, const void *reply, gsize reply_len, guint timeout_ms,
               GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GString) got = g_string_new (NULL);
  g_autofree char *sent = g_strconcat (cmd, "\r\n", NULL);
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  cb_at_channel_command_async (fake->channel, cmd, timeout_ms, NULL, on_done, &result);
  while (strstr (got->str, "\r\n") == NULL)
    {
      char buf[256];
      gssize n;

      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      fcntl (fake->master, F_SETFL, O_NONBLOCK);
      n = read (fake->master, buf, sizeof buf);
      if (n > 0)
        g_string_append_len (got, buf, n);
      else
        g_usleep (2000);
    }
  g_assert_cmpstr (got->str, ==, sent);
  fake_say (fake, reply, reply_len);
  return cb_at_channel_command_finish (fake->channel, wait_result (&result), error);
}

static void
test_hostile (void)
{
  Fake *fake = fake_start ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *huge = NULL;
  static const char binary[] = "\x06\x09\x00\x01\xff\xfe\r\nOK\r\n";
  static const char log_and_urc[] = "I: [00:00:01.000] at_host: ready\r\n+CEREG: 5,\"1A2B\"\r\n"
                                    "+CGSN: \"352656100367872\"\r\n\r\nOK\r\n";
  static const char quoted[] = "%CMNG: 1,0,\"AB\",\"line1\r\nOK\r\nline3\"\r\nOK\r\n";
  static const char cme[] = "+CME ERROR: 999\r\n";

  /* Zephyr log lines and URCs between the command and its answer are not the answer */
  lines = fake_exchange (fake, "AT+CGSN=1", log_and_urc, sizeof log_and_urc - 1, 2000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_cmpstr (lines[0], ==, "+CGSN: \"352656100367872\"");
  g_assert_cmpuint (fake->urcs->len, ==, 1);
  g_assert_cmpstr (fake->urcs->pdata[0], ==, "+CEREG: 5,\"1A2B\"");
  g_clear_pointer (&lines, g_strfreev);

  /* an "OK" inside quotes is content */
  lines = fake_exchange (fake, "AT%CMNG=2,1,0", quoted, sizeof quoted - 1, 2000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_cmpstr (lines[0], ==, "%CMNG: 1,0,\"AB\",\"line1\r\nOK\r\nline3\"");
  g_clear_pointer (&lines, g_strfreev);

  /* binary bytes: a clear error, not a hang */
  lines = fake_exchange (fake, "AT", binary, sizeof binary - 1, 2000, &error);
  g_assert_null (lines);
  g_assert_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "binary"));
  g_clear_error (&error);

  /* an unknown +CME ERROR code keeps its number */
  lines = fake_exchange (fake, "AT+CFUN=4", cme, sizeof cme - 1, 2000, &error);
  g_assert_null (lines);
  g_assert_error (error, CB_AT_CME_ERROR, 999);
  g_clear_error (&error);

  /* a line over the limit */
  cb_at_channel_set_max_line (fake->channel, 1024);
  huge = g_strnfill (2000, 'A');
  lines = fake_exchange (fake, "AT+CGMR", huge, strlen (huge), 2000, &error);
  g_assert_null (lines);
  g_assert_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "over 1024 bytes"));
  g_clear_error (&error);

  /* the rest of that line arrives only after the next command went out: it is dropped up to
   * its line end, and the next answer is read as it is */
  {
    g_autofree char *rest = g_strnfill (3000, 'A');
    g_autofree char *reply = g_strconcat (rest, "\r\n+CGMI: \"Nordic\"\r\nOK\r\n", NULL);

    lines = fake_exchange (fake, "AT+CGMI", reply, strlen (reply), 2000, &error);
    g_assert_no_error (error);
    g_assert_nonnull (lines);
    g_assert_cmpuint (g_strv_length (lines), ==, 1);
    g_assert_cmpstr (lines[0], ==, "+CGMI: \"Nordic\"");
    g_clear_pointer (&lines, g_strfreev);
  }

  /* an open quote and no final result: the command's timeout, not a hang */
  lines = fake_exchange (fake, "AT+CGMM", "\"never closed\r\nOK\r\n", 19, 300, &error);
  g_assert_null (lines);
  g_assert_error (error, CB_AT_ERROR, CB_AT_ERROR_TIMEOUT);
  g_clear_error (&error);

  /* the device goes away: the command in flight fails at once */
  {
    g_autoptr(GAsyncResult) result = NULL;

    cb_at_channel_command_async (fake->channel, "AT", 60000, NULL, on_done, &result);
    close (fake->master);
    fake->master = -1;
    lines = cb_at_channel_command_finish (fake->channel, wait_result (&result), &error);
    g_assert_null (lines);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  }
  fake_stop (fake);
}

static void
test_params (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) p = cb_at_result_params ("%CMNG: 16842753,0,\"AB,CD\",\"x\ny\"", "%CMNG", &error);
  g_auto(GStrv) bad = NULL;
  g_autofree char *name = cb_at_command_name ("AT+cereg?");

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (p), ==, 4);
  g_assert_cmpstr (p[2], ==, "AB,CD");
  g_assert_cmpstr (p[3], ==, "x\ny");
  g_assert_cmpstr (name, ==, "+CEREG");
  bad = cb_at_result_params ("%CMNG: 1,\"open", "%CMNG", &error);
  g_assert_null (bad);
  g_assert_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL);
}

static const char *
identity_fact (gpointer user_data, const char *name)
{
  CbNrf91Identity *id = user_data;

  if (g_str_equal (name, "imei") || g_str_equal (name, "serial"))
    return id->imei;
  if (g_str_equal (name, "uuid"))
    return id->uuid;
  if (g_str_equal (name, "model"))
    return id->model;
  return NULL;
}

/* {imei} and {uuid} from what the modem reports */
static void
test_registration_template (void)
{
  Sim *sim = sim_start (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbNrf91Identity) id = identify (sim, &error);
  g_autofree char *by_imei = NULL;
  g_autofree char *by_uuid = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *none = NULL;

  g_assert_no_error (error);
  g_assert_true (cb_registration_template_check ("nrf-{imei}-{uuid}", &error));
  g_assert_no_error (error);
  by_imei = cb_registration_template_expand_with ("line1-{imei}", identity_fact, id, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("line1-%s", id->imei);
  g_assert_cmpstr (by_imei, ==, expected);
  by_uuid = cb_registration_template_expand_with ("{uuid}", identity_fact, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_uuid, ==, id->uuid);

  /* a device without the fact: said so */
  g_clear_pointer (&id->uuid, g_free);
  none = cb_registration_template_expand_with ("{uuid}", identity_fact, id, &error);
  g_assert_null (none);
  g_assert_error (error, CB_REGISTRATION_ID_ERROR, CB_REGISTRATION_ID_ERROR_MISSING_VALUE);
  sim_stop (sim);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nrf91-modem/params", test_params);
  g_test_add_func ("/nrf91-modem/identify", test_identify);
  g_test_add_func ("/nrf91-modem/cfun", test_cfun);
  g_test_add_func ("/nrf91-modem/keygen", test_keygen);
  g_test_add_func ("/nrf91-modem/cmng", test_cmng);
  g_test_add_func ("/nrf91-modem/echo", test_echo);
  g_test_add_func ("/nrf91-modem/urc", test_urc);
  g_test_add_func ("/nrf91-modem/plain-error", test_plain_error);
  g_test_add_func ("/nrf91-modem/timeout-and-cancel", test_timeout_and_cancel);
  g_test_add_func ("/nrf91-modem/hostile", test_hostile);
  g_test_add_func ("/nrf91-modem/registration-template", test_registration_template);

  return g_test_run ();
}
