/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/tcp.h>

#include "cb-sas.h"
#include "cb-test-sandbox.h"

/* A sandbox under long runs and hostile clients: statements never keep a read snapshot (the
 * WAL checkpoints, writes survive another connection's), one sandbox per data folder,
 * keep-alive connections that clients close do not leak, idle connections are closed, and
 * clients that stall in their TLS handshake keep nobody else out. */

#define SUB        "00000000-0000-0000-0000-00000000c0de"
#define RG         "rg-conn"
#define NS         "ns-conn"
#define HUB        "hub-conn"
#define DPS        "dps-conn"
#define ID_SCOPE   "0ne00C0FFE1"
#define GROUP      "line-1"
#define GROUP_KEY  "Y2VydGJlbmNoLWdyb3VwLWtleS0wMTIzNDU2Nzg5YWI="
#define DPS_API    "api-version=2025-07-01-preview"
#define HUB_API    "api-version=2021-04-12"
#define HUB_HOST   HUB ".azure-devices.net"

static SoupSession *
new_session (CbTestSandbox *ts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (cb_sandbox_get_ca_file (ts->sandbox),
                                                        &error);
  SoupSession *session;

  g_assert_no_error (error);
  session = soup_session_new ();
  soup_session_set_tls_database (session, db);
  soup_session_set_timeout (session, 60);
  return session;
}

static guint
get_info (SoupSession   *session,
          CbTestSandbox *ts)
{
  g_autofree char *url = g_strconcat (cb_sandbox_get_base_url (ts->sandbox), "/sandbox/info", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  return soup_message_get_status (msg);
}

/* Restarts the sandbox with short connection deadlines. */
static void
restart_with_timeouts (CbTestSandbox *ts,
                       guint          handshake_ms,
                       guint          idle_ms)
{
  g_autoptr(GError) error = NULL;

  cb_sandbox_stop (ts->sandbox);
  cb_sandbox_set_connection_timeouts (ts->sandbox, handshake_ms, idle_ms);
  cb_sandbox_start_in_thread (ts->sandbox, &error);
  g_assert_no_error (error);
  cb_sb_mqtt_set_connect_timeout_ms (ts->sandbox, handshake_ms);
}

/* ---- Statements and the WAL ------------------------------------------------------------ */

static char *
device_sas (const char *registration_id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *device_key = cb_sas_derive_device_key (GROUP_KEY, registration_id, &error);
  g_autofree char *resource = g_strdup_printf ("%s/registrations/%s", ID_SCOPE, registration_id);
  char *token;

  g_assert_no_error (error);
  token = cb_sas_token_new (resource, device_key, "registration",
                            g_get_real_time () / G_USEC_PER_SEC + 600, CB_SAS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  return token;
}

static char *
hub_sas (CbTestSandbox *ts)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  char *token;

  cb_sb_lock (ts->sandbox);
  key = cb_sb_dup_hub_key (ts->sandbox, HUB, "iothubowner");
  cb_sb_unlock (ts->sandbox);
  g_assert_nonnull (key);
  token = cb_sas_token_new (HUB_HOST, key, "iothubowner", g_get_real_time () / G_USEC_PER_SEC + 3600,
                            CB_SAS_FLAGS_LOWERCASE_RESOURCE, &error);
  g_assert_no_error (error);
  return token;
}

/* A device's life in one sandbox: PUT register and one poll (both write, both read the
 * enrollment), then its hub identity read with an Entra token and with a hub SAS (token and
 * key lookups). */
static void
register_device (CbTestSandbox *ts,
                 guint          i,
                 const char    *bearer,
                 const char    *sas_owner)
{
  g_autofree char *id = g_strdup_printf ("soak-%05u", i);
  g_autofree char *sas = device_sas (id);
  g_autofree char *path = g_strdup_printf ("/dps/%s/registrations/%s/register?" DPS_API,
                                           ID_SCOPE, id);
  g_autofree char *body = g_strdup_printf ("{\"registrationId\":\"%s\"}", id);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) state = NULL;
  g_autofree char *poll = NULL;
  guint status;

  status = cb_test_sandbox_request_json (ts, "PUT", path, sas, body, &reply, NULL);
  if (status != 202)
    {
      g_autofree char *text = reply != NULL ? json_to_string (reply, FALSE) : NULL;
      g_error ("Registration %u answered %u: %s", i, status, text);
    }

  poll = g_strdup_printf ("/dps/%s/registrations/%s/operations/%s?" DPS_API, ID_SCOPE, id,
                          json_object_get_string_member (json_node_get_object (reply),
                                                         "operationId"));
  status = cb_test_sandbox_request_json (ts, "GET", poll, sas, NULL, &state, NULL);
  if (status != 200 && status != 202)
    g_error ("Polling registration %u answered %u", i, status);

  g_free (path);
  path = g_strdup_printf ("/hubs/%s/devices/%s?" HUB_API, HUB, id);
  status = cb_test_sandbox_request (ts, "GET", path, bearer, NULL, NULL, NULL, NULL);
  if (status != 200 && status != 404)
    g_error ("Reading device %u with a token answered %u", i, status);
  status = cb_test_sandbox_request (ts, "GET", path, sas_owner, NULL, NULL, NULL, NULL);
  if (status != 200 && status != 404)
    g_error ("Reading device %u with a SAS answered %u", i, status);
}

static gint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

static void
test_wal_bounded (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autofree char *namespace_id = cb_sb_namespace_id (SUB, RG, NS);
  g_autofree char *db_path = g_build_filename (ts->data_dir, "sandbox.db", NULL);
  g_autofree char *wal_path = g_strconcat (db_path, "-wal", NULL);
  g_autoptr(GError) error = NULL;
  sqlite3 *other = NULL;
  int log_frames = -1, checkpointed = -1;
  gint64 wal_max = 0;
  g_autofree char *bearer = NULL;
  g_autofree char *sas_owner = NULL;

  cb_sb_lock (ts->sandbox);
  cb_sb_create_hub (ts->sandbox, SUB, RG, HUB, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (ts->sandbox, SUB, RG, DPS, ID_SCOPE, namespace_id, HUB, &error);
  g_assert_no_error (error);
  cb_sb_dps_create_enrollment_group (ts->sandbox, DPS, GROUP, GROUP_KEY, "default", &error);
  g_assert_no_error (error);
  cb_sb_unlock (ts->sandbox);

  bearer = cb_test_sandbox_token (ts, "ops@contoso.example", NULL, NULL, CB_SB_AUD_HUB);
  sas_owner = hub_sas (ts);
  for (guint i = 0; i < 300; i++)
    {
      register_device (ts, i, bearer, sas_owner);
      wal_max = MAX (wal_max, file_size (wal_path));
    }
  g_test_message ("WAL after 300 registrations: %" G_GINT64_FORMAT " bytes (largest %"
                  G_GINT64_FORMAT ")", file_size (wal_path), wal_max);

  /* Another connection can checkpoint every frame: the sandbox holds no old snapshot. */
  g_assert_cmpint (sqlite3_open_v2 (db_path, &other, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (other, 5000);
  g_assert_cmpint (sqlite3_exec (other, "SELECT count(*) FROM meta", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_wal_checkpoint_v2 (other, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                              &log_frames, &checkpointed), ==, SQLITE_OK);
  g_test_message ("Checkpoint: %d of %d frames", checkpointed, log_frames);
  g_assert_cmpint (log_frames, >=, 0);
  g_assert_cmpint (checkpointed, ==, log_frames);
  /* At most SQLite's auto-checkpoint (1000 pages) and a transaction or two. */
  g_assert_cmpint (wal_max, <, 6 * 1024 * 1024);

  /* The sandbox still writes after another connection wrote. */
  g_assert_cmpint (sqlite3_exec (other, "INSERT OR REPLACE INTO meta (key, value) "
                                 "VALUES ('test-other-writer', 'x')", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (other);
  register_device (ts, 1000, bearer, sas_owner);
}

/* ---- The data folder lock -------------------------------------------------------------- */

static void
test_folder_lock (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(CbSandbox) second = cb_sandbox_new (ts->data_dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *pid = g_strdup_printf ("process %ld", (long) getpid ());

  cb_sandbox_set_port (second, 0);
  g_assert_false (cb_sandbox_start (second, &error));
  g_assert_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_IN_USE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, ts->data_dir));
  g_assert_nonnull (strstr (error->message, pid));
  g_clear_error (&error);

  /* The standalone sandbox, another process, is refused the same way. */
  {
    g_autofree char *exe = g_getenv ("CERTBENCH_SANDBOX") != NULL
      ? g_strdup (g_getenv ("CERTBENCH_SANDBOX"))
      : g_test_build_filename (G_TEST_BUILT, "..", "src", "sandbox", "certbench-sandbox", NULL);
    g_autoptr(GSubprocess) process = NULL;
    g_autofree char *err = NULL;

    process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                &error, exe, "--data-dir", ts->data_dir, "--port", "0",
                                "--mqtt-port", "0", NULL);
    g_assert_no_error (error);
    g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
    g_assert_no_error (error);
    g_test_message ("certbench-sandbox: %s", err);
    g_assert_true (g_subprocess_get_if_exited (process));
    g_assert_cmpint (g_subprocess_get_exit_status (process), !=, 0);
    g_assert_nonnull (strstr (err, "is in use by another sandbox"));
    g_assert_nonnull (strstr (err, pid));
  }

  /* The first one still serves; once it stops, the folder is free. */
  g_assert_cmpuint (get_info (ts->session, ts), ==, 200);
  cb_sandbox_stop (ts->sandbox);
  g_assert_true (cb_sandbox_start_in_thread (second, &error));
  g_assert_no_error (error);
  cb_sandbox_stop (second);
  g_assert_true (cb_sandbox_start_in_thread (ts->sandbox, &error));
  g_assert_no_error (error);
}

/* ---- Keep-alive connections closed by the client --------------------------------------- */

static void
wait_for_fds (guint        limit,
              const char  *what)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  guint n;

  while ((n = cb_test_count_fds ()) > limit && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  if (n > limit)
    g_error ("%s: %u file descriptors open, expected at most %u", what, n, limit);
}

static void
test_keepalive_closed_by_client (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  guint baseline;

  /* Warm up: the sandbox's and the session's own descriptors. */
  g_assert_cmpuint (get_info (ts->session, ts), ==, 200);
  baseline = cb_test_count_fds ();

  for (guint i = 0; i < 30; i++)
    {
      g_autoptr(SoupSession) session = new_session (ts);

      g_assert_cmpuint (get_info (session, ts), ==, 200);
      g_assert_cmpuint (get_info (session, ts), ==, 200);
      soup_session_abort (session);
    }

  wait_for_fds (baseline, "After 30 clients closed their keep-alive connections");
  g_assert_cmpuint (get_info (ts->session, ts), ==, 200);
}

/* ---- Idle connections -------------------------------------------------------------------- */

static gboolean
accept_any_cb (GTlsConnection       *conn,
               GTlsCertificate      *peer,
               GTlsCertificateFlags  errors,
               gpointer              data)
{
  return TRUE;
}

static GIOStream *
tls_connect (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) tcp = NULL;
  g_autoptr(GError) error = NULL;
  GIOStream *tls;

  tcp = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (tcp), 10);
  tls = g_tls_client_connection_new (G_IO_STREAM (tcp), NULL, &error);
  g_assert_no_error (error);
  g_tls_connection_set_database (G_TLS_CONNECTION (tls), NULL);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
  g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error);
  g_assert_no_error (error);
  return tls;
}

static void
test_idle_timeout (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;
  const char *request = "GET /sandbox/info HTTP/1.1\r\nHost: localhost\r\n\r\n";
  char buf[4096];
  gssize n;
  gint64 start;
  gsize total = 0;

  restart_with_timeouts (ts, 10000, 1000);

  tls = tls_connect (cb_sandbox_get_port (ts->sandbox));
  g_output_stream_write_all (g_io_stream_get_output_stream (tls), request, strlen (request),
                             NULL, NULL, &error);
  g_assert_no_error (error);

  /* The answer, then nothing until the sandbox closes the idle connection. */
  start = g_get_monotonic_time ();
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (tls), buf, sizeof buf, NULL,
                                   &error)) > 0)
    total += n;
  g_test_message ("%zu bytes, then %s after %.1f s", total,
                  error != NULL ? error->message : "EOF",
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpuint (total, >, 0);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

/* Reads one answer's head (up to the blank line) from stream into a string. */
static char *
read_head (GIOStream *stream)
{
  GString *head = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  char c;

  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (stream), &c, 1, NULL,
                                      &error);

      if (n <= 0)
        g_error ("The connection ended after %zu bytes (%s): %s", head->len,
                 error != NULL ? error->message : "EOF", head->str);
      g_string_append_c (head, c);
    }
  return g_string_free (head, FALSE);
}

/* An empty answer is framed so that a keep-alive client (Node's agent, and with it every Azure
 * SDK for JavaScript) never sends its next request into a connection the sandbox closes, which
 * it reports as "socket hang up": a 204 (as every DELETE gets) carries no length and no chunked
 * framing and says "Connection: close", since libsoup 3.2 closes after it; the client's next
 * request on a new connection is served. */
static void
test_empty_answer_framing (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(GIOStream) tls = tls_connect (cb_sandbox_get_port (ts->sandbox));
  g_autoptr(GIOStream) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *head = NULL;
  g_autofree char *next = NULL;
  const char *del = "DELETE /sandbox/faults HTTP/1.1\r\nHost: localhost\r\n\r\n";
  /* Ends in a slash, as azure-iothub's Registry.list writes "/devices/": Azure serves it as the
   * path without. */
  const char *get = "GET /sandbox/clock/ HTTP/1.1\r\nHost: localhost\r\n\r\n";
  char byte;

  g_output_stream_write_all (g_io_stream_get_output_stream (tls), del, strlen (del), NULL, NULL,
                             &error);
  g_assert_no_error (error);
  head = read_head (tls);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 204 "));
  g_assert_nonnull (strstr (head, "\r\nConnection: close\r\n"));
  g_assert_null (strstr (head, "Content-Length"));
  g_assert_null (strstr (head, "Transfer-Encoding"));
  /* Nothing follows the head (no body, no chunk), then the connection ends. */
  g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (tls), &byte, 1, NULL, NULL),
                   <=, 0);

  again = tls_connect (cb_sandbox_get_port (ts->sandbox));
  g_output_stream_write_all (g_io_stream_get_output_stream (again), get, strlen (get), NULL,
                             NULL, &error);
  g_assert_no_error (error);
  next = read_head (again);
  g_assert_true (g_str_has_prefix (next, "HTTP/1.1 200 "));
}

/* ---- One segment an answer --------------------------------------------------------------- */

/* The TCP segments with data this end of stream has received so far. */
static guint
data_segments_in (GIOStream *tls)
{
  g_autoptr(GIOStream) tcp = NULL;
  struct tcp_info info = { 0 };
  socklen_t len = sizeof info;

  g_object_get (tls, "base-io-stream", &tcp, NULL);
  g_assert_cmpint (getsockopt (g_socket_get_fd (g_socket_connection_get_socket (G_SOCKET_CONNECTION (tcp))),
                               IPPROTO_TCP, TCP_INFO, &info, &len), ==, 0);
  return info.tcpi_data_segs_in;
}

/* Reads one answer with a Content-Length: its head and its whole body. */
static void
read_answer (GIOStream *tls)
{
  g_autofree char *head = read_head (tls);
  const char *length = strstr (head, "\r\nContent-Length: ");
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  gsize n = 0;

  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 200 "));
  g_assert_nonnull (length);
  n = g_ascii_strtoull (length + strlen ("\r\nContent-Length: "), NULL, 10);
  g_assert_cmpuint (n, >, 0);
  body = g_malloc (n);
  g_input_stream_read_all (g_io_stream_get_input_stream (tls), body, n, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* A small answer reaches the client in one TCP segment, head and body together: libsoup writes
 * them as two TLS records, which would go out as two segments (TCP_NODELAY) and wake the client
 * twice (the station's libsoup read each answer in two turns of its loop). */
static void
test_one_segment_an_answer (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(GIOStream) tls = tls_connect (cb_sandbox_get_port (ts->sandbox));
  g_autoptr(GError) error = NULL;
  const char *get = "GET /sandbox/info HTTP/1.1\r\nHost: localhost\r\n\r\n";
  guint before;

  /* The first answer also brings TLS 1.3's session tickets: count from the second. */
  g_output_stream_write_all (g_io_stream_get_output_stream (tls), get, strlen (get), NULL, NULL,
                             &error);
  g_assert_no_error (error);
  read_answer (tls);

  for (guint i = 0; i < 3; i++)
    {
      before = data_segments_in (tls);
      g_output_stream_write_all (g_io_stream_get_output_stream (tls), get, strlen (get), NULL,
                                 NULL, &error);
      g_assert_no_error (error);
      read_answer (tls);
      g_assert_cmpuint (data_segments_in (tls) - before, ==, 1);
    }
}

/* ---- Stalled TLS handshakes -------------------------------------------------------------- */

/* Connects and sends the first bytes of a ClientHello whose record says 512 bytes follow. */
static GSocket *
stall (guint16 port)
{
  static const guint8 partial[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03 };
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, port);
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_connect (socket, addr, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_socket_send (socket, (const char *) partial, sizeof partial, NULL, &error),
                   ==, sizeof partial);
  g_assert_no_error (error);
  return socket;
}

static gboolean
closed_by_peer (GSocket *socket)
{
  char byte;
  gssize n = recv (g_socket_get_fd (socket), &byte, 1, MSG_DONTWAIT);

  return n == 0 || (n < 0 && errno != EAGAIN);
}

static void
test_stalled_handshakes (void)
{
  g_autoptr(CbTestSandbox) ts = cb_test_sandbox_new (CB_TEST_SANDBOX_NONE);
  g_autoptr(GPtrArray) stalled = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GIOStream) mqtt = NULL;
  gint64 start, deadline;
  guint open_left;

  restart_with_timeouts (ts, 2000, 60000);

  for (guint i = 0; i < 100; i++)
    {
      g_ptr_array_add (stalled, stall (cb_sandbox_get_port (ts->sandbox)));
      g_ptr_array_add (stalled, stall (cb_sandbox_get_mqtt_port (ts->sandbox)));
    }
  g_usleep (200 * 1000);

  /* Real clients get in at once. */
  start = g_get_monotonic_time ();
  session = new_session (ts);
  g_assert_cmpuint (get_info (session, ts), ==, 200);
  g_test_message ("An HTTPS request among 100 stalled handshakes took %.2f s",
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);

  start = g_get_monotonic_time ();
  mqtt = tls_connect (cb_sandbox_get_mqtt_port (ts->sandbox));
  g_test_message ("A hub TLS handshake among 100 stalled ones took %.2f s",
                  (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);

  /* The stalled ones are closed after the 2 s deadline. */
  deadline = g_get_monotonic_time () + 6 * G_USEC_PER_SEC;
  do
    {
      open_left = 0;
      for (guint i = 0; i < stalled->len; i++)
        if (!closed_by_peer (g_ptr_array_index (stalled, i)))
          open_left++;
      if (open_left > 0)
        g_usleep (100 * 1000);
    }
  while (open_left > 0 && g_get_monotonic_time () < deadline);
  g_assert_cmpuint (open_left, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/sandbox-connections/wal-bounded", test_wal_bounded);
  g_test_add_func ("/cb/sandbox-connections/folder-lock", test_folder_lock);
  g_test_add_func ("/cb/sandbox-connections/keepalive-closed-by-client",
                   test_keepalive_closed_by_client);
  g_test_add_func ("/cb/sandbox-connections/idle-timeout", test_idle_timeout);
  g_test_add_func ("/cb/sandbox-connections/empty-answer-framing", test_empty_answer_framing);
  g_test_add_func ("/cb/sandbox-connections/one-segment-an-answer", test_one_segment_an_answer);
  g_test_add_func ("/cb/sandbox-connections/stalled-handshakes", test_stalled_handshakes);

  return g_test_run ();
}
