/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs the real certbench-devsim binary with --personality nrf91 and types AT commands at its
 * pty the way a terminal would: plain writes, plain reads. The expected bytes come from
 * Nordic's nRF91 AT command reference (the pages docs/devices.md cites), not from any host
 * driver: "OK", "ERROR", "+CME ERROR: <n>" with +CMEE=1, every line ending in CR LF, the
 * %CMNG and %KEYGEN response lines and their quoting. The KEYGEN CSR is checked with GnuTLS,
 * its COSE object with libcbor. nrf91-credstore-client.py drives the same modem as Nordic's
 * nrfcredstore does, with pyserial. */
#include "config.h"

#include <cbor.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cb-pki.h"

#define WAIT_MS 20000

typedef struct
{
  GSubprocess *proc;
  char        *state_dir;
  char        *pty_path;
  int          fd;
  GString     *rx;
  gboolean     hangup;
} Modem;

static char *
new_state_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("cb-nrf91-XXXXXX", &error);

  g_assert_no_error (error);
  return g_build_filename (tmp, "state", NULL);
}

static void
remove_state_dir (const char *state_dir)
{
  g_autofree char *parent = g_path_get_dirname (state_dir);
  g_autoptr(GDir) dir = g_dir_open (state_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *p = g_build_filename (state_dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (state_dir);
  g_rmdir (parent);
}

static Modem *
modem_start (const char *state_dir, const char * const *extra)
{
  Modem *m = g_new0 (Modem, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  struct termios tio;
  guint i;

  m->state_dir = g_strdup (state_dir);
  g_ptr_array_add (argv, (gpointer) g_getenv ("CERTBENCH_DEVSIM"));
  g_assert_nonnull (argv->pdata[0]);
  g_ptr_array_add (argv, (gpointer) "--personality");
  g_ptr_array_add (argv, (gpointer) "nrf91");
  g_ptr_array_add (argv, (gpointer) "--state-dir");
  g_ptr_array_add (argv, m->state_dir);
  for (i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);

  m->proc = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (m->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PTY /dev/"));
  m->pty_path = g_strdup (line + 4);

  m->fd = open (m->pty_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (m->fd, >=, 0);
  g_assert_cmpint (tcgetattr (m->fd, &tio), ==, 0);
  cfmakeraw (&tio);
  g_assert_cmpint (tcsetattr (m->fd, TCSANOW, &tio), ==, 0);
  m->rx = g_string_new (NULL);
  return m;
}

static void
modem_stop (Modem *m)
{
  g_autoptr(GError) error = NULL;

  if (m->fd >= 0)
    close (m->fd);
  g_subprocess_send_signal (m->proc, SIGTERM);
  g_subprocess_wait (m->proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (m->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (m->proc), ==, 0);
  g_object_unref (m->proc);
  g_string_free (m->rx, TRUE);
  g_free (m->pty_path);
  g_free (m->state_dir);
  g_free (m);
}

static void
modem_write (Modem *m, const char *data, gsize len)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = write (m->fd, data + done, len - done);

      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        {
          struct pollfd pfd = { m->fd, POLLOUT, 0 };
          poll (&pfd, 1, 100);
          continue;
        }
      g_assert_cmpint (n, >, 0);
      done += (gsize) n;
    }
}

static void
modem_send (Modem *m, const char *text)
{
  modem_write (m, text, strlen (text));
}

/* Reads what is there within ms; FALSE when nothing came. */
static gboolean
modem_read_some (Modem *m, int ms)
{
  struct pollfd pfd = { m->fd, POLLIN, 0 };
  char buf[4096];
  ssize_t n;

  if (poll (&pfd, 1, ms) <= 0)
    return FALSE;
  n = read (m->fd, buf, sizeof buf);
  if (n <= 0)
    {
      /* EIO or POLLHUP: the devsim closed its side */
      if (n == 0 || (errno != EAGAIN && errno != EINTR) || (pfd.revents & POLLHUP))
        m->hangup = TRUE;
      return FALSE;
    }
  g_string_append_len (m->rx, buf, n);
  return TRUE;
}

/* The length of rx up to and with its first final result line ("OK", "ERROR",
 * "+CME ERROR: <n>"), or 0 while there is none. */
static gsize
final_end (const GString *rx)
{
  gsize start = 0;

  while (start < rx->len)
    {
      const char *nl = memchr (rx->str + start, '\n', rx->len - start);
      g_autofree char *line = NULL;

      if (nl == NULL)
        return 0;
      line = g_strndup (rx->str + start, (gsize) (nl - rx->str) - start + 1);
      start = (gsize) (nl - rx->str) + 1;
      if (strcmp (line, "OK\r\n") == 0 || strcmp (line, "ERROR\r\n") == 0 ||
          g_str_has_prefix (line, "+CME ERROR: "))
        return start;
    }
  return 0;
}

/* Everything up to and with the first final result line, removed from rx; what follows it
 * (an unsolicited result) stays. */
static char *
modem_wait_final (Modem *m)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;
  char *answer;
  gsize n;

  while ((n = final_end (m->rx)) == 0)
    {
      g_assert_false (m->hangup);
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      modem_read_some (m, 100);
    }
  answer = g_strndup (m->rx->str, n);
  g_string_erase (m->rx, 0, (gssize) n);
  return answer;
}

/* Sends cmd with CR LF, returns the whole answer. */
static char *
at (Modem *m, const char *cmd)
{
  g_assert_cmpuint (m->rx->len, ==, 0);
  modem_send (m, cmd);
  modem_send (m, "\r\n");
  return modem_wait_final (m);
}

static void
at_expect (Modem *m, const char *cmd, const char *answer)
{
  g_autofree char *got = at (m, cmd);

  g_assert_cmpstr (got, ==, answer);
}

/* No bytes at all for ms. */
static void
assert_quiet (Modem *m, int ms)
{
  modem_read_some (m, ms);
  g_assert_cmpstr (m->rx->str, ==, "");
}

static gboolean
luhn_ok (const char *digits)
{
  int sum = 0, i, n = (int) strlen (digits);

  for (i = 0; i < n; i++)
    {
      int d = digits[n - 1 - i] - '0';

      if (i % 2 == 1)
        {
          d *= 2;
          if (d > 9)
            d -= 9;
        }
      sum += d;
    }
  return sum % 10 == 0;
}

static GBytes *
base64url_decode (const char *text, gsize len)
{
  g_autoptr(GString) s = g_string_new_len (text, (gssize) len);
  gsize i, out_len = 0;
  guchar *data;

  for (i = 0; i < s->len; i++)
    {
      g_assert_true (g_ascii_isalnum (s->str[i]) || s->str[i] == '-' || s->str[i] == '_');
      if (s->str[i] == '-')
        s->str[i] = '+';
      else if (s->str[i] == '_')
        s->str[i] = '/';
    }
  while (s->len % 4 != 0)
    g_string_append_c (s, '=');
  data = g_base64_decode (s->str, &out_len);
  return g_bytes_new_take (data, out_len);
}

/* A self-signed certificate in PEM, with the line breaks of a file. */
static char *
make_cert_pem (const char *cn, GBytes **der_out)
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
  gsize i;

  profile.subject_dn = dn;
  profile.not_before = now - 3600;
  profile.not_after = now + 86400;
  profile.is_ca = TRUE;
  profile.path_len = -1;
  der = cb_cert_issue (&profile, pub, key, NULL, &error);
  g_assert_no_error (error);
  b64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  for (i = 0; i < strlen (b64); i += 64)
    {
      g_string_append_len (pem, b64 + i, (gssize) MIN (64, strlen (b64) - i));
      g_string_append_c (pem, '\n');
    }
  g_string_append (pem, "-----END CERTIFICATE-----");
  if (der_out != NULL)
    *der_out = g_bytes_ref (der);
  return g_string_free (pem, FALSE);
}

static char *
sha256_upper (const void *data, gsize len)
{
  g_autofree char *lower = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);

  return g_ascii_strup (lower, -1);
}

/* ---- tests ---- */

static void
test_basics (void)
{
  g_autofree char *dir = new_state_dir ();
  Modem *m = modem_start (dir, NULL);
  g_autofree char *imei_answer = NULL;
  g_autofree char *cgsn1 = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GRegex) uuid_re = g_regex_new ("^%XMODEMUUID: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                           "[0-9a-f]{4}-[0-9a-f]{12}\r\nOK\r\n$", 0, 0, NULL);
  char imei[16];

  /* Nothing unasked: no banner, no echo. */
  assert_quiet (m, 300);
  at_expect (m, "AT", "OK\r\n");
  at_expect (m, "at", "OK\r\n");

  /* +CGSN: the bare IMEI line; =1: +CGSN: "<imei>" (reference: AT+CGSN / AT+CGSN=1). */
  imei_answer = at (m, "AT+CGSN");
  g_assert_cmpuint (strlen (imei_answer), ==, 15 + 2 + 4);
  g_assert_true (g_str_has_suffix (imei_answer, "\r\nOK\r\n"));
  memcpy (imei, imei_answer, 15);
  imei[15] = '\0';
  g_assert_cmpuint (strspn (imei, "0123456789"), ==, 15);
  g_assert_true (luhn_ok (imei));
  cgsn1 = at (m, "AT+CGSN=1");
  expected = g_strdup_printf ("+CGSN: \"%s\"\r\nOK\r\n", imei);
  g_assert_cmpstr (cgsn1, ==, expected);
  at_expect (m, "AT+CGSN=9", "ERROR\r\n");

  uuid = at (m, "AT%XMODEMUUID");
  g_assert_true (g_regex_match (uuid_re, uuid, 0, NULL));
  at_expect (m, "AT+CGMI", "Nordic Semiconductor ASA\r\nOK\r\n");

  /* Unknown commands and bad syntax: ERROR. */
  at_expect (m, "AT+NOSUCH", "ERROR\r\n");
  at_expect (m, "AT%NOSUCH=1", "ERROR\r\n");
  at_expect (m, "HELLO", "ERROR\r\n");
  at_expect (m, "AT+CFUN=", "ERROR\r\n");
  at_expect (m, "AT+CFUN=3", "ERROR\r\n");

  /* Echo: ATE1 echoes every byte typed from then on, ATE0 (itself echoed) stops it. */
  at_expect (m, "ATE1", "OK\r\n");
  at_expect (m, "AT", "AT\r\nOK\r\n");
  at_expect (m, "ATE0", "ATE0\r\nOK\r\n");
  at_expect (m, "AT", "OK\r\n");

  /* Terminators: CR alone, LF alone, CR LF once; an empty line is no command. */
  modem_send (m, "AT\r");
  g_free (modem_wait_final (m));
  modem_send (m, "AT\n\r\n\r\n");
  {
    g_autofree char *got = modem_wait_final (m);
    g_assert_cmpstr (got, ==, "OK\r\n");
  }
  assert_quiet (m, 300);
  modem_stop (m);
  remove_state_dir (dir);
}

static void
test_errors_and_cfun (void)
{
  g_autofree char *dir = new_state_dir ();
  Modem *m = modem_start (dir, NULL);
  g_autofree char *pem = make_cert_pem ("nrf91-test-root", NULL);
  g_autofree char *write_cmd = g_strdup_printf ("AT%%CMNG=0,7,0,\"%s\"", pem);

  /* +CMEE=0 (the default): errors are a plain ERROR. */
  at_expect (m, "AT+CMEE?", "+CMEE: 0\r\nOK\r\n");
  at_expect (m, "AT%CMNG=2,7,0", "ERROR\r\n");
  at_expect (m, "AT+CMEE=1", "OK\r\n");
  at_expect (m, "AT+CMEE?", "+CMEE: 1\r\nOK\r\n");
  at_expect (m, "AT%CMNG=2,7,0", "+CME ERROR: 513\r\n");
  at_expect (m, "AT%CMNG=3,7,0", "+CME ERROR: 513\r\n");

  /* The modem starts at minimum functionality. */
  at_expect (m, "AT+CFUN?", "+CFUN: 0\r\nOK\r\n");
  at_expect (m, "AT+CFUN=1", "OK\r\n");
  at_expect (m, "AT+CFUN?", "+CFUN: 1\r\nOK\r\n");
  /* Normal mode: writes, deletes and KEYGEN are "518 – Not allowed in active state";
   * list and read are fine. */
  at_expect (m, write_cmd, "+CME ERROR: 518\r\n");
  at_expect (m, "AT%KEYGEN=7,2,0", "+CME ERROR: 518\r\n");
  at_expect (m, "AT%CMNG=3,7,0", "+CME ERROR: 518\r\n");
  at_expect (m, "AT%CMNG=1", "OK\r\n");
  at_expect (m, "AT%CMNG=2,7,0", "+CME ERROR: 513\r\n");

  /* Offline: allowed. */
  at_expect (m, "AT+CFUN=4", "OK\r\n");
  at_expect (m, write_cmd, "OK\r\n");
  at_expect (m, "AT+CFUN=0", "OK\r\n");
  at_expect (m, "AT%CMNG=3,7,0", "OK\r\n");

  /* Malformed %CMNG: ERROR, not a CME code. */
  at_expect (m, "AT%CMNG=0,7,0,\"\"", "ERROR\r\n");
  at_expect (m, "AT%CMNG=0,7,0", "ERROR\r\n");
  at_expect (m, "AT%CMNG=0,7,0,unquoted", "ERROR\r\n");
  at_expect (m, "AT%CMNG=4,7,0", "ERROR\r\n");
  at_expect (m, "AT%CMNG=2,2147483648,0", "ERROR\r\n");
  at_expect (m, "AT%CMNG=0,7,3,\"not hex\"", "ERROR\r\n");
  at_expect (m, "AT%CMNG=0,7,0,\"x\"junk", "ERROR\r\n");
  modem_stop (m);

  /* --cfun 1: a modem whose firmware went online at boot. */
  m = modem_start (dir, (const char * const[]) { "--cfun", "1", NULL });
  at_expect (m, "AT+CFUN?", "+CFUN: 1\r\nOK\r\n");
  modem_stop (m);
  remove_state_dir (dir);
}

static void
test_cmng (void)
{
  g_autofree char *dir = new_state_dir ();
  Modem *m = modem_start (dir, NULL);
  g_autoptr(GBytes) der = NULL;
  g_autofree char *pem = make_cert_pem ("nrf91-cmng", &der);
  g_autofree char *pem2 = make_cert_pem ("nrf91-cmng-2", NULL);
  g_autofree char *sha = sha256_upper (pem, strlen (pem));
  g_autofree char *sha2 = sha256_upper (pem2, strlen (pem2));
  g_autofree char *sha_der = sha256_upper (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_autofree char *cmd = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;

  at_expect (m, "AT+CMEE=1", "OK\r\n");
  at_expect (m, "AT%CMNG=1", "OK\r\n");

  cmd = g_strdup_printf ("AT%%CMNG=0,16842753,0,\"%s\"", pem);
  at_expect (m, cmd, "OK\r\n");
  /* Writing the same <sec_tag>,<type> again: "519 – Already exists". */
  at_expect (m, cmd, "+CME ERROR: 519\r\n");
  g_free (cmd);
  cmd = g_strdup_printf ("AT%%CMNG=0,16842753,1,\"%s\"", pem2);
  at_expect (m, cmd, "OK\r\n");
  g_free (cmd);
  cmd = g_strdup_printf ("AT%%CMNG=0,42,0,\"%s\"", pem2);
  at_expect (m, cmd, "OK\r\n");

  /* List: %CMNG: <sec_tag>,<type>,"<sha>", the SHA-256 of the stored entity as written (the
   * PEM text here, not the DER inside it), 64 hex digits, ordered by tag then type. */
  g_assert_cmpstr (sha, !=, sha_der);
  expected = g_strdup_printf ("%%CMNG: 42,0,\"%s\"\r\n"
                              "%%CMNG: 16842753,0,\"%s\"\r\n"
                              "%%CMNG: 16842753,1,\"%s\"\r\n"
                              "OK\r\n", sha2, sha, sha2);
  at_expect (m, "AT%CMNG=1", expected);
  g_free (expected);
  expected = g_strdup_printf ("%%CMNG: 16842753,0,\"%s\"\r\n%%CMNG: 16842753,1,\"%s\"\r\nOK\r\n",
                              sha, sha2);
  at_expect (m, "AT%CMNG=1,16842753", expected);
  g_free (expected);
  expected = g_strdup_printf ("%%CMNG: 16842753,1,\"%s\"\r\nOK\r\n", sha2);
  at_expect (m, "AT%CMNG=1,16842753,1", expected);
  at_expect (m, "AT%CMNG=1,5", "OK\r\n");

  /* Read: the content exactly as written, its line breaks inside the quotes. */
  g_free (expected);
  expected = g_strdup_printf ("%%CMNG: 16842753,0,\"%s\",\"%s\"\r\nOK\r\n", sha, pem);
  got = at (m, "AT%CMNG=2,16842753,0");
  g_assert_cmpstr (got, ==, expected);

  /* Delete, then it is gone. */
  at_expect (m, "AT%CMNG=3,16842753,0", "OK\r\n");
  at_expect (m, "AT%CMNG=2,16842753,0", "+CME ERROR: 513\r\n");
  at_expect (m, "AT%CMNG=3,16842753,0", "+CME ERROR: 513\r\n");

  /* PSK (hex) and a PEM sent with CR LF line breaks, as from a Windows file: kept as is. */
  at_expect (m, "AT%CMNG=0,9,3,\"0123456789abcdef\"", "OK\r\n");
  {
    g_autofree char *crlf = g_strjoinv ("\r\n", (char *[]) { "-----BEGIN CERTIFICATE-----",
                                                             "QUJD", "-----END CERTIFICATE-----",
                                                             NULL });
    g_autofree char *c = g_strdup_printf ("AT%%CMNG=0,9,0,\"%s\"", crlf);
    g_autofree char *s = sha256_upper (crlf, strlen (crlf));
    g_autofree char *e = g_strdup_printf ("%%CMNG: 9,0,\"%s\"\r\nOK\r\n", s);

    at_expect (m, c, "OK\r\n");
    at_expect (m, "AT%CMNG=1,9,0", e);
  }

  /* Persistence: the store survives a restart, as the modem's NVM does. */
  g_free (expected);
  expected = at (m, "AT%CMNG=1");
  modem_stop (m);
  m = modem_start (dir, NULL);
  at_expect (m, "AT%CMNG=1", expected);
  modem_stop (m);
  remove_state_dir (dir);
}

/* The COSE_Sign1 of a KEYGEN answer: protected {1: -7}, payload [9, device UUID, sec_tag,
 * SHA-256 of the CSR, nonce], a 64-byte signature. */
static void
check_keygen_cose (GBytes *cose, GBytes *csr, const guint8 device_uuid[16], guint32 sec_tag)
{
  struct cbor_load_result res;
  const guint8 *data = g_bytes_get_data (cose, NULL);
  cbor_item_t *arr, *prot, *payload_bstr, *payload, *sig, *tag_item;
  guint8 sha[32];
  gsize sha_len = sizeof sha;
  GChecksum *ck;

  /* Tag 18 (COSE_Sign1) is one byte, 0xD2. libcbor 0.8's decoder refuses tags 6 to 20 as
   * unassigned, so the tag is checked by hand and the array decoded after it. */
  g_assert_cmpuint (g_bytes_get_size (cose), >, 1);
  g_assert_cmphex (data[0], ==, 0xd2);
  arr = cbor_load (data + 1, g_bytes_get_size (cose) - 1, &res);
  g_assert_nonnull (arr);
  g_assert_cmpint (res.error.code, ==, CBOR_ERR_NONE);
  g_assert_cmpuint (res.read, ==, g_bytes_get_size (cose) - 1);
  g_assert_true (cbor_isa_array (arr));
  g_assert_cmpuint (cbor_array_size (arr), ==, 4);

  prot = cbor_array_get (arr, 0);
  g_assert_true (cbor_isa_bytestring (prot));
  g_assert_cmpuint (cbor_bytestring_length (prot), ==, 3);
  g_assert_cmpmem (cbor_bytestring_handle (prot), 3, "\xa1\x01\x26", 3);

  payload_bstr = cbor_array_get (arr, 2);
  g_assert_true (cbor_isa_bytestring (payload_bstr));
  payload = cbor_load (cbor_bytestring_handle (payload_bstr),
                       cbor_bytestring_length (payload_bstr), &res);
  g_assert_nonnull (payload);
  g_assert_true (cbor_isa_array (payload));
  g_assert_cmpuint (cbor_array_size (payload), ==, 5);
  {
    cbor_item_t *id = cbor_array_get (payload, 0);
    cbor_item_t *uuid = cbor_array_get (payload, 1);
    cbor_item_t *tag_bstr = cbor_array_get (payload, 2);
    cbor_item_t *digest = cbor_array_get (payload, 3);

    g_assert_cmpuint (cbor_get_int (id), ==, 9);
    g_assert_cmpmem (cbor_bytestring_handle (uuid), cbor_bytestring_length (uuid),
                     device_uuid, 16);
    tag_item = cbor_load (cbor_bytestring_handle (tag_bstr), cbor_bytestring_length (tag_bstr),
                          &res);
    g_assert_nonnull (tag_item);
    g_assert_cmpuint (cbor_get_int (tag_item), ==, sec_tag);
    ck = g_checksum_new (G_CHECKSUM_SHA256);
    g_checksum_update (ck, g_bytes_get_data (csr, NULL), g_bytes_get_size (csr));
    g_checksum_get_digest (ck, sha, &sha_len);
    g_checksum_free (ck);
    g_assert_cmpmem (cbor_bytestring_handle (digest), cbor_bytestring_length (digest), sha, 32);
    cbor_decref (&tag_item);
    cbor_decref (&id);
    cbor_decref (&uuid);
    cbor_decref (&tag_bstr);
    cbor_decref (&digest);
  }
  sig = cbor_array_get (arr, 3);
  g_assert_cmpuint (cbor_bytestring_length (sig), ==, 64);

  cbor_decref (&sig);
  cbor_decref (&payload);
  cbor_decref (&payload_bstr);
  cbor_decref (&prot);
  cbor_decref (&arr);
}

static char *
crq_dn_by_oid (gnutls_x509_crq_t crq, const char *oid)
{
  char buf[256];
  size_t size = sizeof buf;

  if (gnutls_x509_crq_get_dn_by_oid (crq, oid, 0, 0, buf, &size) < 0)
    return NULL;
  return g_strndup (buf, size);
}

/* Sends a KEYGEN, checks the answer's form, returns the CSR (DER) and the COSE. */
static gnutls_x509_crq_t
keygen (Modem *m, const char *cmd, GBytes **csr_out, GBytes **cose_out)
{
  g_autofree char *got = at (m, cmd);
  g_autoptr(GRegex) re = g_regex_new ("^%KEYGEN: \"([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]+)\"\r\nOK\r\n$",
                                      0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *b64_csr = NULL;
  g_autofree char *b64_cose = NULL;
  GBytes *csr;
  gnutls_x509_crq_t crq;
  gnutls_datum_t datum;

  g_assert_true (g_regex_match (re, got, 0, &match));
  b64_csr = g_match_info_fetch (match, 1);
  b64_cose = g_match_info_fetch (match, 2);
  csr = base64url_decode (b64_csr, strlen (b64_csr));
  *cose_out = base64url_decode (b64_cose, strlen (b64_cose));

  g_assert_cmpint (gnutls_x509_crq_init (&crq), ==, 0);
  datum.data = (unsigned char *) g_bytes_get_data (csr, NULL);
  datum.size = (unsigned int) g_bytes_get_size (csr);
  g_assert_cmpint (gnutls_x509_crq_import (crq, &datum, GNUTLS_X509_FMT_DER), ==, 0);
  /* Its self-signature verifies, ECDSA with SHA-256 over a P-256 key. */
  g_assert_cmpint (gnutls_x509_crq_verify (crq, 0), >=, 0);
  g_assert_cmpint (gnutls_x509_crq_get_signature_algorithm (crq), ==, GNUTLS_SIGN_ECDSA_SHA256);
  {
    unsigned int bits = 0;
    g_assert_cmpint (gnutls_x509_crq_get_pk_algorithm (crq, &bits), ==, GNUTLS_PK_EC);
    g_assert_cmpuint (bits, ==, 256);
  }
  *csr_out = csr;
  return crq;
}

static void
uuid_bin (const char *uuid, guint8 out[16])
{
  gsize n = 0;

  for (; *uuid != '\0' && n < 16; uuid++)
    {
      if (*uuid == '-')
        continue;
      out[n++] = (guint8) (g_ascii_xdigit_value (uuid[0]) << 4 | g_ascii_xdigit_value (uuid[1]));
      uuid++;
    }
  g_assert_cmpuint (n, ==, 16);
}

static void
test_keygen (void)
{
  g_autofree char *dir = new_state_dir ();
  Modem *m = modem_start (dir, NULL);
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GBytes) cose = NULL;
  g_autoptr(GBytes) csr2 = NULL;
  g_autoptr(GBytes) cose2 = NULL;
  g_autofree char *devuuid_answer = at (m, "AT%DEVICEUUID");
  g_autofree char *cn = NULL;
  g_autofree char *o = NULL;
  g_autofree char *list = NULL;
  g_autofree char *list_after = NULL;
  g_autoptr(GRegex) key_line = g_regex_new ("^%CMNG: 16842753,2,\"[0-9A-F]{64}\"\r\nOK\r\n$",
                                            0, 0, NULL);
  gnutls_x509_crq_t crq;
  guint8 device_uuid[16];
  char uuid_text[37];

  g_assert_true (g_str_has_prefix (devuuid_answer, "%DEVICEUUID: "));
  memcpy (uuid_text, devuuid_answer + strlen ("%DEVICEUUID: "), 36);
  uuid_text[36] = '\0';
  uuid_bin (uuid_text, device_uuid);

  at_expect (m, "AT+CMEE=1", "OK\r\n");
  at_expect (m, "AT+CFUN=4", "OK\r\n");
  crq = keygen (m, "AT%KEYGEN=16842753,2,0,\"O=Contoso,L=Trondheim,C=NO,CN=nrf91-dev-1\"",
                &csr, &cose);
  cn = crq_dn_by_oid (crq, GNUTLS_OID_X520_COMMON_NAME);
  o = crq_dn_by_oid (crq, GNUTLS_OID_X520_ORGANIZATION_NAME);
  g_assert_cmpstr (cn, ==, "nrf91-dev-1");
  g_assert_cmpstr (o, ==, "Contoso");
  gnutls_x509_crq_deinit (crq);
  check_keygen_cose (cose, csr, device_uuid, 16842753);

  /* The key stays in the tag: listed, never read back, no second one on top of it. */
  list = at (m, "AT%CMNG=1,16842753,2");
  g_assert_true (g_regex_match (key_line, list, 0, NULL));
  at_expect (m, "AT%CMNG=2,16842753,2", "+CME ERROR: 514\r\n");
  at_expect (m, "AT%KEYGEN=16842753,2,0", "+CME ERROR: 519\r\n");
  modem_stop (m);
  m = modem_start (dir, NULL);
  list_after = at (m, "AT%CMNG=1,16842753,2");
  g_assert_cmpstr (list_after, ==, list);

  /* No attributes: the device UUID is the CN. */
  at_expect (m, "AT+CMEE=1", "OK\r\n");
  crq = keygen (m, "AT%KEYGEN=5,2", &csr2, &cose2);
  g_free (cn);
  cn = crq_dn_by_oid (crq, GNUTLS_OID_X520_COMMON_NAME);
  g_assert_cmpstr (cn, ==, uuid_text);
  gnutls_x509_crq_deinit (crq);
  check_keygen_cose (cose2, csr2, device_uuid, 5);

  /* Malformed requests. */
  at_expect (m, "AT%KEYGEN=6,2,0,\"X=nope\"", "ERROR\r\n");
  at_expect (m, "AT%KEYGEN=6,2,0,\"CN=\"", "ERROR\r\n");
  at_expect (m, "AT%KEYGEN=6,2,7", "ERROR\r\n");
  at_expect (m, "AT%KEYGEN=6", "ERROR\r\n");
  at_expect (m, "AT%KEYGEN=6,8", "+CME ERROR: 514\r\n");
  at_expect (m, "AT%CMNG=1,6", "OK\r\n");
  modem_stop (m);
  remove_state_dir (dir);
}

static void
test_attesttoken (void)
{
  g_autofree char *dir = new_state_dir ();
  Modem *m = modem_start (dir, NULL);
  g_autofree char *got = at (m, "AT%ATTESTTOKEN");
  g_autoptr(GRegex) re = g_regex_new ("^%ATTESTTOKEN: \"[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\"\r\nOK\r\n$",
                                      0, 0, NULL);

  g_assert_true (g_regex_match (re, got, 0, NULL));
  g_free (got);
  got = at (m, "AT%ATTESTTOKEN=\"90115c20ac3f381b520b43c76bd5d99c\"");
  g_assert_true (g_regex_match (re, got, 0, NULL));
  at_expect (m, "AT%ATTESTTOKEN=\"90115c\"", "ERROR\r\n");
  modem_stop (m);
  remove_state_dir (dir);
}

static void
test_hostile (void)
{
  g_autofree char *dir = new_state_dir ();
  Modem *m = modem_start (dir, NULL);
  GString *big = g_string_new ("AT%CMNG=0,3,0,\"-----BEGIN CERTIFICATE-----\n");
  static const char garbage[] = "\x00\xff\x13\x80" "AT\x01\xfe" "+CFUN?";
  g_autofree char *got = NULL;
  guint i;

  /* An overlong line: one ERROR, then the modem is fine. */
  {
    g_autofree char *line = g_strnfill (40000, 'A');
    modem_send (m, line);
    modem_send (m, "\r\n");
    got = modem_wait_final (m);
    g_assert_cmpstr (got, ==, "ERROR\r\n");
    assert_quiet (m, 300);
    at_expect (m, "AT", "OK\r\n");
  }

  /* Binary garbage, NULs and all, in one line: ERROR. */
  modem_write (m, garbage, sizeof garbage - 1);
  g_free (got);
  got = at (m, "");
  g_assert_cmpstr (got, ==, "ERROR\r\n");
  at_expect (m, "AT", "OK\r\n");

  /* A huge PEM inside the quotes: ERROR once, its line breaks do not start new commands. */
  for (i = 0; i < 1000; i++)
    g_string_append (big, "MIIBszCCAVmgAwIBAgIUQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789\n");
  g_string_append (big, "-----END CERTIFICATE-----\"");
  g_free (got);
  got = at (m, big->str);
  g_assert_cmpstr (got, ==, "ERROR\r\n");
  assert_quiet (m, 300);
  at_expect (m, "AT%CMNG=1", "OK\r\n");

  /* An unterminated quote: the line can never end, so after a pause the modem gives it up
   * with ERROR (not a hang), and the next command works. */
  modem_send (m, "AT%CMNG=0,3,0,\"-----BEGIN CERTIFICATE-----\r\nQUJD\r\n");
  g_free (got);
  got = modem_wait_final (m);
  g_assert_cmpstr (got, ==, "ERROR\r\n");
  at_expect (m, "AT", "OK\r\n");

  /* Backspace takes back a byte, as in a terminal. */
  at_expect (m, "ATX\bE0", "OK\r\n");

  g_string_free (big, TRUE);
  modem_stop (m);
  remove_state_dir (dir);
}

static void
test_urc (void)
{
  g_autofree char *dir = new_state_dir ();
  Modem *m = modem_start (dir, (const char * const[]) { "--urc", NULL });
  g_autofree char *got = NULL;

  at_expect (m, "AT+CEREG?", "+CEREG: 1,0\r\nOK\r\n");
  /* Going online: OK, then the notification (searching: there is no network). */
  at_expect (m, "AT+CFUN=1", "OK\r\n");
  while (strstr (m->rx->str, "+CEREG: 2\r\n") == NULL)
    g_assert_true (modem_read_some (m, WAIT_MS));
  g_assert_cmpstr (m->rx->str, ==, "+CEREG: 2\r\n");
  g_string_truncate (m->rx, 0);
  at_expect (m, "AT+CEREG?", "+CEREG: 1,2\r\nOK\r\n");
  at_expect (m, "AT+CFUN=4", "OK\r\n");
  while (strstr (m->rx->str, "+CEREG: 0\r\n") == NULL)
    g_assert_true (modem_read_some (m, WAIT_MS));
  g_string_truncate (m->rx, 0);
  /* Unsubscribed: no more notifications. */
  at_expect (m, "AT+CEREG=0", "OK\r\n");
  at_expect (m, "AT+CFUN=1", "OK\r\n");
  assert_quiet (m, 300);
  modem_stop (m);

  /* Online at power-on with notifications on: the first bytes are a notification. */
  m = modem_start (dir, (const char * const[]) { "--urc", "--cfun", "1", NULL });
  while (strstr (m->rx->str, "\r\n") == NULL)
    g_assert_true (modem_read_some (m, WAIT_MS));
  g_assert_cmpstr (m->rx->str, ==, "+CEREG: 2\r\n");
  g_string_truncate (m->rx, 0);
  modem_stop (m);
  remove_state_dir (dir);
}

static void
test_faults (void)
{
  g_autofree char *dir = new_state_dir ();
  g_autofree char *pem = make_cert_pem ("nrf91-fault", NULL);
  g_autofree char *write_cert = g_strdup_printf ("AT%%CMNG=0,11,1,\"%s\"", pem);
  g_autofree char *write_ca = g_strdup_printf ("AT%%CMNG=0,11,0,\"%s\"", pem);
  g_autofree char *sha = sha256_upper (pem, strlen (pem));
  g_autofree char *expected = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(GBytes) cose = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cn = NULL;
  gnutls_x509_crq_t crq;
  Modem *m;
  guint ok = 0, i;

  /* --refuse-commit: the client certificate write is refused. */
  m = modem_start (dir, (const char * const[]) { "--refuse-commit", NULL });
  at_expect (m, "AT+CMEE=1", "OK\r\n");
  at_expect (m, write_ca, "OK\r\n");
  at_expect (m, write_cert, "+CME ERROR: 514\r\n");
  modem_stop (m);

  /* --unplug-at-commit: the certificate is stored, then the modem is gone before OK. */
  m = modem_start (dir, (const char * const[]) { "--unplug-at-commit", NULL });
  modem_send (m, write_cert);
  modem_send (m, "\r\n");
  while (!m->hangup)
    {
      g_assert_true (modem_read_some (m, WAIT_MS) || m->hangup);
    }
  g_assert_cmpstr (m->rx->str, ==, "");
  g_subprocess_wait (m->proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (m->proc), ==, 0);
  close (m->fd);
  m->fd = -1;
  g_object_unref (m->proc);
  g_string_free (m->rx, TRUE);
  g_free (m->pty_path);
  g_free (m->state_dir);
  g_free (m);
  m = modem_start (dir, NULL);
  expected = g_strdup_printf ("%%CMNG: 11,1,\"%s\"\r\nOK\r\n", sha);
  at_expect (m, "AT%CMNG=1,11,1", expected);
  modem_stop (m);

  /* --wrong-cn: the CSR's CN is not the one asked for. */
  m = modem_start (dir, (const char * const[]) { "--wrong-cn", NULL });
  crq = keygen (m, "AT%KEYGEN=12,2,0,\"CN=asked-for\"", &csr, &cose);
  cn = crq_dn_by_oid (crq, GNUTLS_OID_X520_COMMON_NAME);
  g_assert_cmpstr (cn, !=, "asked-for");
  gnutls_x509_crq_deinit (crq);
  modem_stop (m);

  /* --stall after a few bytes: the answer stops, then arrives whole. */
  m = modem_start (dir, (const char * const[]) { "--stall", "1", "--stall-after", "2", NULL });
  at_expect (m, "AT+CGMI", "Nordic Semiconductor ASA\r\nOK\r\n");
  modem_stop (m);

  /* --flip-rate: garbled bytes both ways; the modem keeps answering and never dies. */
  m = modem_start (dir, (const char * const[]) { "--flip-rate", "0.01", "--fault-seed", "3",
                                                NULL });
  for (i = 0; i < 30; i++)
    {
      gint64 end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

      modem_send (m, "AT\r\n");
      while (g_get_monotonic_time () < end && strchr (m->rx->str, '\n') == NULL)
        modem_read_some (m, 100);
      if (strstr (m->rx->str, "OK\r\n") != NULL)
        ok++;
      g_string_truncate (m->rx, 0);
    }
  g_assert_cmpuint (ok, >, 10);
  modem_stop (m);
  remove_state_dir (dir);
}

/* Nordic's own way of asking: the Python client does what nrfcredstore does. */
static void
test_python_client (void)
{
  g_autofree char *dir = new_state_dir ();
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "nrf91-credstore-client.py", NULL);
  g_autoptr(GSubprocess) probe = NULL;
  g_autoptr(GSubprocess) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = make_cert_pem ("nrf91-python", NULL);
  g_autofree char *pem_path = g_build_filename (dir, "..", "root.pem", NULL);
  Modem *m;

  probe = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                            "/usr/bin/python3", "-c", "import serial", NULL);
  g_assert_no_error (error);
  g_subprocess_wait (probe, NULL, &error);
  if (!g_subprocess_get_successful (probe))
    {
      g_test_skip ("python3-serial (pyserial) is not installed");
      return;
    }

  m = modem_start (dir, (const char * const[]) { "--urc", "--cfun", "1", NULL });
  g_assert_true (g_file_set_contents (pem_path, pem, -1, &error));
  /* The client owns the port now: close ours so no byte goes astray. */
  close (m->fd);
  m->fd = -1;
  client = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "/usr/bin/python3", script,
                             m->pty_path, pem_path, NULL);
  g_assert_no_error (error);
  g_subprocess_wait (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (client));
  g_assert_cmpint (g_subprocess_get_exit_status (client), ==, 0);
  g_unlink (pem_path);
  m->fd = open (m->pty_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  modem_stop (m);
  remove_state_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/devsim/nrf91/basics", test_basics);
  g_test_add_func ("/devsim/nrf91/errors-and-cfun", test_errors_and_cfun);
  g_test_add_func ("/devsim/nrf91/cmng", test_cmng);
  g_test_add_func ("/devsim/nrf91/keygen", test_keygen);
  g_test_add_func ("/devsim/nrf91/attesttoken", test_attesttoken);
  g_test_add_func ("/devsim/nrf91/hostile", test_hostile);
  g_test_add_func ("/devsim/nrf91/urc", test_urc);
  g_test_add_func ("/devsim/nrf91/faults", test_faults);
  g_test_add_func ("/devsim/nrf91/python-client", test_python_client);
  return g_test_run ();
}
