/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "cb-dps-client.h"
#include "cb-dps-registration.h"
#include "cb-http.h"

/* What an HTTPS request and a DPS registration cost the caller's main context, counted (never
 * timed): the loop's turns, the turns that only dispatch what is already ready (a poll with a
 * zero timeout) and the sources attached. The server runs in a thread and main context of its
 * own, so the test's default context holds only the client's work. Plain HTTP on loopback: the
 * main-loop work of a request is the same with TLS under it. */

#define ID_SCOPE     "0ne00C0FFEE"
#define DEVICE       "device-0001"
#define OPERATION    "4.0b8d7e0c3a1f2e5d.6a7b8c9d-0e1f-2a3b-4c5d-6e7f8a9b0c1d"

typedef struct
{
  GMutex        lock;
  GCond         cond;
  GMainContext *context;
  GMainLoop    *loop;
  GThread      *thread;
  guint         port;
  guint         puts;
  guint         gets;
} ServerThread;

/* About the size of DPS's answers: the register PUT's 202, the operation's 200. */
static const char assigning[] =
  "{\"operationId\":\"" OPERATION "\",\"status\":\"assigning\"}";
static const char assigned[] =
  "{\"operationId\":\"" OPERATION "\",\"status\":\"assigned\",\"registrationState\":{"
  "\"registrationId\":\"" DEVICE "\",\"createdDateTimeUtc\":\"2026-12-07T12:00:00Z\","
  "\"assignedHub\":\"hub.example\",\"deviceId\":\"" DEVICE "\",\"status\":\"assigned\","
  "\"substatus\":\"initialAssignment\",\"lastUpdatedDateTimeUtc\":\"2026-12-07T12:00:00Z\","
  "\"etag\":\"IjAwMDAwMDAwIg==\",\"issuedCertificateChain\":[\"MAA=\"]}}";

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  ServerThread *st = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (g_str_equal (method, "PUT") && g_str_has_suffix (path, "/register"))
    {
      /* The sandbox's answer as the station sees it: poll at once. */
      g_atomic_int_inc (&st->puts);
      soup_server_message_set_status (msg, 202, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "0");
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        assigning, strlen (assigning));
      return;
    }

  g_atomic_int_inc (&st->gets);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, assigned,
                                    strlen (assigned));
}

static gpointer
server_thread_main (gpointer data)
{
  ServerThread *st = data;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (st->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, handler, st, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);

  g_mutex_lock (&st->lock);
  st->port = g_uri_get_port (uris->data);
  g_cond_signal (&st->cond);
  g_mutex_unlock (&st->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (st->loop);
  soup_server_disconnect (server);
  g_clear_object (&server);
  while (g_main_context_iteration (st->context, FALSE))
    ;
  g_main_context_pop_thread_default (st->context);
  return NULL;
}

static void
server_thread_start (ServerThread *st)
{
  g_mutex_init (&st->lock);
  g_cond_init (&st->cond);
  st->context = g_main_context_new ();
  st->loop = g_main_loop_new (st->context, FALSE);
  st->thread = g_thread_new ("test-server", server_thread_main, st);

  g_mutex_lock (&st->lock);
  while (st->port == 0)
    g_cond_wait (&st->cond, &st->lock);
  g_mutex_unlock (&st->lock);
}

static gboolean
quit_in_thread (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
server_thread_stop (ServerThread *st)
{
  g_main_context_invoke (st->context, quit_in_thread, st->loop);
  g_thread_join (st->thread);
  g_main_loop_unref (st->loop);
  g_main_context_unref (st->context);
  g_mutex_clear (&st->lock);
  g_cond_clear (&st->cond);
}

/* The counts: every poll of the default context, and those that do not wait. */
typedef struct
{
  guint polls;
  guint at_once;
  guint first_id;
  guint sources;
  guint timers;      /* polls while a retry or poll timer of cb-http-sleep.c was pending */
} Count;

static Count *counting;

static gboolean
sleep_pending (void)
{
  /* The sources attached since counting began, by id (the context is not locked in a poll). */
  for (guint id = counting->first_id + 1; id < counting->first_id + 8192; id++)
    {
      GSource *source = g_main_context_find_source_by_id (NULL, id);

      if (source != NULL && g_strcmp0 (g_source_get_name (source), "[cb-http] sleep") == 0)
        return TRUE;
    }
  return FALSE;
}

static gint
counting_poll (GPollFD *fds,
               guint    nfds,
               gint     timeout)
{
  counting->polls++;
  if (timeout == 0)
    counting->at_once++;
  if (sleep_pending ())
    counting->timers++;
  return g_poll (fds, nfds, timeout);
}

/* GLib numbers a context's sources in the order they are attached: the difference between
 * two sources' ids, less one, is how many were attached between them. */
static guint
attach_marker (void)
{
  g_autoptr(GSource) marker = g_idle_source_new ();
  guint id = g_source_attach (marker, NULL);

  g_source_destroy (marker);
  return id;
}

static void
count_start (Count *count)
{
  memset (count, 0, sizeof *count);
  counting = count;
  g_main_context_set_poll_func (NULL, counting_poll);
  count->first_id = attach_marker ();
}

static void
count_stop (Count *count)
{
  count->sources = attach_marker () - count->first_id - 1;
  g_main_context_set_poll_func (NULL, NULL);
  counting = NULL;
}

#define COUNTED 10

static void
request_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  CbHttpResponse **response = user_data;
  g_autoptr(GError) error = NULL;

  *response = cb_http_client_request_finish (CB_HTTP_CLIENT (object), result, &error);
  g_assert_no_error (error);
}

/* A registration's answer read on a kept connection. libsoup's send_and_read spliced the
 * body into memory through a chain of GTasks, each finishing in an idle on a turn of its own:
 * 4-6 turns at once and 6-13 sources a request; now 2 and 1-8. */
static void
test_request (void)
{
  ServerThread st = { 0 };
  g_autoptr(CbHttpClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  Count count;

  server_thread_start (&st);
  url = g_strdup_printf ("http://127.0.0.1:%u/" ID_SCOPE "/registrations/" DEVICE
                         "/operations/" OPERATION, st.port);
  client = cb_http_client_new_for_ca_file (NULL, &error);
  g_assert_no_error (error);

  /* The first request connects; the counted ones reuse its connection. */
  for (guint i = 0; i <= COUNTED; i++)
    {
      g_autoptr(CbHttpResponse) response = NULL;

      if (i == 1)
        count_start (&count);
      cb_http_client_request_async (client, "GET", url, "SharedAccessSignature sr=x", NULL,
                                    NULL, CB_HTTP_STYLE_DPS, NULL, request_cb, &response);
      while (response == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (response->status, ==, 200);
      g_assert_cmpstr (json_object_get_string_member (cb_http_response_get_object (response),
                                                      "status"), ==, "assigned");
    }
  count_stop (&count);

  g_test_message ("a request: %.1f loop turns, %.1f of them at once, %.1f sources attached",
                  (double) count.polls / COUNTED, (double) count.at_once / COUNTED,
                  (double) count.sources / COUNTED);
  g_assert_cmpuint (g_atomic_int_get (&st.gets), ==, COUNTED + 1);
  g_assert_cmpuint (count.at_once, <=, 3 * COUNTED);
  /* Sources vary with how often a read must wait; only a gross regression fails here. */
  g_assert_cmpuint (count.sources, <=, 16 * COUNTED);

  g_clear_object (&client);
  server_thread_stop (&st);
}

static void
register_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  CbDpsRegistration **registration = user_data;
  g_autoptr(GError) error = NULL;

  *registration = cb_dps_client_register_finish (CB_DPS_CLIENT (object), result, &error);
  g_assert_no_error (error);
}

/* The register PUT answered "assigning, Retry-After: 0", then one operation GET: the GET
 * goes from the PUT's answer, with no timer between them (a GTask, a timeout source, a
 * cancellable handler and its dispatch, for a delay of 0). The PUT's request body costs four
 * turns at once in libsoup 3.2 (it splices the body into the socket through GTasks). */
static void
test_registration (void)
{
  ServerThread st = { 0 };
  g_autoptr(CbProfile) profile = cb_profile_new ("turns", "Turns", CB_PROFILE_KIND_SANDBOX);
  g_autoptr(CbHttpClient) client = NULL;
  g_autoptr(CbDpsClient) dps = NULL;
  g_autoptr(GBytes) csr = g_bytes_new_static ("\x30\x00", 2);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *endpoint = NULL;
  Count count;

  server_thread_start (&st);
  endpoint = g_strdup_printf ("http://127.0.0.1:%u", st.port);
  cb_profile_set_dps_global_endpoint (profile, endpoint);
  cb_profile_set_dps_id_scope (profile, ID_SCOPE);
  client = cb_http_client_new_for_ca_file (NULL, &error);
  g_assert_no_error (error);
  dps = cb_dps_client_new (profile, client);
  cb_dps_client_set_transport (dps, CB_DPS_TRANSPORT_HTTPS);

  for (guint i = 0; i <= COUNTED; i++)
    {
      g_autoptr(CbDpsRegistration) registration = NULL;

      if (i == 1)
        count_start (&count);
      /* With a cancellable, as a run registers. */
      cb_dps_client_register_async (dps, DEVICE, "Y2xpZW50cy1ncm91cC1rZXktZm9yLXRlc3RzLTAxMjM=",
                                    CB_DPS_KEY_DEVICE, csr, NULL, cancellable, register_cb,
                                    &registration);
      while (registration == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpstr (cb_dps_registration_get_device_id (registration), ==, DEVICE);
    }
  count_stop (&count);

  g_test_message ("a registration: %.1f loop turns, %.1f of them at once, %.1f sources "
                  "attached, %u polls with a timer pending", (double) count.polls / COUNTED,
                  (double) count.at_once / COUNTED, (double) count.sources / COUNTED,
                  count.timers);
  g_assert_cmpuint (g_atomic_int_get (&st.puts), ==, COUNTED + 1);
  g_assert_cmpuint (g_atomic_int_get (&st.gets), ==, COUNTED + 1);
  g_assert_cmpuint (count.timers, ==, 0);
  g_assert_cmpuint (count.at_once, <=, 9 * COUNTED);

  g_clear_object (&dps);
  g_clear_object (&client);
  server_thread_stop (&st);
}

/* libsoup 3.2 tells whether an idle pooled connection is still open by reading one byte
 * from it without blocking (soup_client_message_io_http1_is_open(): EAGAIN says open), for
 * every idle connection of the session each time it runs its queue. Counted here where GLib
 * makes that read: recv() of one byte that says EAGAIN, on the test's own thread (the
 * server's thread reads too). This definition stands in for libc's; the real one is next. */
static GThread *probe_thread;
static guint    probes;

ssize_t
recv (int     fd,
      void   *buffer,
      size_t  size,
      int     flags)
{
  static ssize_t (*real_recv) (int, void *, size_t, int);
  ssize_t ret;
  int saved;

  if (real_recv == NULL)
    real_recv = (ssize_t (*) (int, void *, size_t, int)) dlsym (RTLD_NEXT, "recv");
  ret = real_recv (fd, buffer, size, flags);
  saved = errno;
  if (ret < 0 && saved == EAGAIN && size == 1 && g_thread_self () == probe_thread)
    g_atomic_int_inc (&probes);
  errno = saved;
  return ret;
}

static void
send_and_wait (CbHttpClient *client,
               const char   *method,
               const char   *url)
{
  g_autoptr(CbHttpResponse) response = NULL;

  if (g_str_equal (method, "POST"))
    {
      g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);

      g_hash_table_insert (form, (gpointer) "grant_type", (gpointer) "refresh_token");
      cb_http_client_post_form_async (client, url, form, CB_HTTP_STYLE_OAUTH, NULL, request_cb,
                                      &response);
    }
  else
    cb_http_client_request_async (client, method, url, NULL, NULL, NULL, CB_HTTP_STYLE_DPS,
                                  NULL, request_cb, &response);
  while (response == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (response->status, ==, 200);
}

/* A station's requests on a sandbox: Entra's token POST (a new connection: a POST is sent on a
 * fresh one), then DPS and the hub, each on the pool of its own service. With one session for
 * all, each DPS or hub request also probed the idle Entra connection: 5 probes a request here
 * (6 in the station, over TLS); with a session a service, 4 (3 in the station). */
static void
test_pool_a_service (void)
{
  ServerThread st = { 0 };
  g_autoptr(CbProfile) profile = cb_profile_new ("pools", "Pools", CB_PROFILE_KIND_SANDBOX);
  g_autoptr(CbHttpClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *entra = NULL;
  g_autofree char *dps = NULL;
  g_autofree char *hub = NULL;
  g_autofree char *dps_key = NULL;
  g_autofree char *dps_pool = NULL;
  guint counted;

  server_thread_start (&st);
  entra = g_strdup_printf ("http://127.0.0.1:%u/entra/tenant/oauth2/v2.0/token", st.port);
  dps = g_strdup_printf ("http://127.0.0.1:%u/dps/" ID_SCOPE "/registrations/" DEVICE
                         "/operations/" OPERATION, st.port);
  hub = g_strdup_printf ("http://127.0.0.1:%u/hubs/hub/twins/" DEVICE, st.port);
  client = cb_http_client_new (profile, &error);
  g_assert_no_error (error);

  /* The sandbox's services are paths of one host; Azure's are hosts. */
  dps_key = cb_http_pool_key (dps, TRUE);
  dps_pool = g_strdup_printf ("http://127.0.0.1:%u/dps", st.port);
  g_assert_cmpstr (dps_key, ==, dps_pool);

  send_and_wait (client, "GET", dps);
  send_and_wait (client, "POST", entra);
  send_and_wait (client, "GET", hub);

  probe_thread = g_thread_self ();
  g_atomic_int_set (&probes, 0);
  for (guint i = 0; i < COUNTED; i++)
    {
      send_and_wait (client, "GET", dps);
      send_and_wait (client, "GET", hub);
    }
  counted = g_atomic_int_get (&probes);
  probe_thread = NULL;

  g_test_message ("a request: %.1f probes of idle connections", (double) counted / (2 * COUNTED));
  /* Not 0: the test would pass if the probes were not seen at all. */
  g_assert_cmpuint (counted, >=, 2 * COUNTED);
  g_assert_cmpuint (counted, <=, 4 * 2 * COUNTED);
  g_assert_true (cb_http_client_get_session_for_url (client, dps) !=
                 cb_http_client_get_session_for_url (client, hub));
  g_assert_true (cb_http_client_get_session_for_url (client, dps) ==
                 cb_http_client_get_session_for_url (client, dps));

  g_clear_object (&client);
  server_thread_stop (&st);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cb/http-turns/request", test_request);
  g_test_add_func ("/cb/http-turns/registration", test_registration);
  g_test_add_func ("/cb/http-turns/pool-a-service", test_pool_a_service);

  return g_test_run ();
}
